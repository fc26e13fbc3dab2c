//! Human output: each finding as a miette diagnostic on the record file's text, then a summary.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use rayon::prelude::*;

use super::present;
use super::sanitise;
use super::window::{self, Layout, Windowed};
use crate::audit::Outcome;
use crate::check::Policy;
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::{format_of, Format};
use crate::finding::Finding;

/// The width a report gets when nothing says otherwise (not a terminal, `COLUMNS` unset).
pub const DEFAULT_WIDTH: usize = 100;
/// Narrower than this, a snippet cannot hold its gutter, a window and a label.
pub const MIN_WIDTH: usize = 40;
/// Wider than this is a mistake (and miette's padding overflows at 65,536).
pub const MAX_WIDTH: usize = 4096;

/// Help footers kept wrapped at most: the rules' helps repeat, a period finding's help does not.
const MAX_FOOTERS: usize = 512;

/// Renders diagnostics with or without colour; tests and pipes get plain Unicode. No line of a
/// snippet is wider than the width: long source lines are windowed (see [`window`]).
///
/// Shared by the threads that render a report: the help footers it has wrapped are kept, by help
/// text, because every finding of a rule carries the same help (with its article's words, wrapped
/// by miette at a cost of hundreds of thousands of instructions each time).
pub struct Renderer {
    colour: bool,
    width: usize,
    handler: GraphicalReportHandler,
    /// Wrapped help footers by the help's text, as miette writes them.
    footers: Mutex<HashMap<String, Arc<str>>>,
    /// A bare diagnostic's rendering without help: what precedes its footer (see [`Self::footer`]).
    bare: OnceLock<Option<String>>,
}

impl Renderer {
    /// A renderer [`DEFAULT_WIDTH`] columns wide.
    pub fn new(colour: bool) -> Renderer {
        Renderer::with_width(colour, DEFAULT_WIDTH)
    }

    /// A renderer `width` columns wide, clamped to [`MIN_WIDTH`]..=[`MAX_WIDTH`].
    pub fn with_width(colour: bool, width: usize) -> Renderer {
        let width = width.clamp(MIN_WIDTH, MAX_WIDTH);
        let theme = if colour {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        // One line of context; the windowed copy holds only the lines a snippet may show, so a
        // JSON Lines record comes without its neighbours. (miette's own `context_lines(0)` would
        // cut the record's line at the label.)
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(width)
            .with_links(false)
            .with_context_lines(1);
        Renderer {
            colour,
            width,
            handler,
            footers: Mutex::new(HashMap::new()),
            bare: OnceLock::new(),
        }
    }

    /// Whether this renderer writes terminal colours.
    pub fn colour(&self) -> bool {
        self.colour
    }

    /// The report's width in columns.
    pub fn width(&self) -> usize {
        self.width
    }

    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        let lines = diagnostic
            .source
            .as_ref()
            .is_some_and(|s| is_lines(&s.name, &s.text));
        // A JSON Lines record is shown without its neighbours, which are other records.
        let layout = Layout {
            width: self.width,
            context: if lines { 0 } else { 1 },
        };
        // miette writes the help last but for the related diagnostics: without those, the help's
        // footer is appended as wrapped before for the same text.
        let footer = match &diagnostic.help {
            Some(help) if diagnostic.related.is_empty() => self.footer(help),
            _ => None,
        };
        let shown = Shown::of(diagnostic, layout, footer.is_none());
        let mut out = String::new();
        if self.handler.render_report(&mut out, &shown).is_err() {
            return format!("{}: {}\n", shown.code, shown.message);
        }
        if let Some(footer) = footer {
            out.push_str(&footer);
        }
        out
    }

    /// The footer miette writes for `help` (sanitised), wrapped once per text. It is cut from
    /// miette's own rendering, so its bytes are miette's: a bare diagnostic rendered with the help,
    /// less the same rendered without (miette writes the footer after the header and message,
    /// which do not depend on the help). `None` if miette fails or the two disagree.
    fn footer(&self, help: &str) -> Option<Arc<str>> {
        let footers = self.footers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(footer) = footers.get(help) {
            return Some(footer.clone());
        }
        drop(footers);
        let bare = self
            .bare
            .get_or_init(|| self.render_bare(None))
            .as_deref()?;
        let with = self.render_bare(Some(sanitise::block(help).into_owned()))?;
        let footer: Arc<str> = Arc::from(with.strip_prefix(bare)?);
        let mut footers = self.footers.lock().unwrap_or_else(|e| e.into_inner());
        if footers.len() < MAX_FOOTERS {
            footers.insert(help.to_string(), footer.clone());
        }
        Some(footer)
    }

    /// A diagnostic with no source and a fixed message, with `help` or without.
    fn render_bare(&self, help: Option<String>) -> Option<String> {
        let bare = Shown {
            severity: Severity::Error,
            code: "bare".to_string(),
            message: "bare".to_string(),
            help,
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        let mut out = String::new();
        self.handler.render_report(&mut out, &bare).ok()?;
        Some(out)
    }
}

/// Whether a source is JSON Lines, as the reader took it: by its ending, or for standard input
/// by its first line.
fn is_lines(name: &str, text: &str) -> bool {
    match format_of(std::path::Path::new(name)) {
        Some(format) => format == Format::Lines,
        None => name == "<stdin>" && crate::records::sniff_format(text) == Format::Lines,
    }
}

/// A diagnostic as the terminal gets it: every text sanitised, the source windowed.
#[derive(Debug)]
struct Shown {
    severity: Severity,
    code: String,
    message: String,
    help: Option<String>,
    source: Option<Windowed>,
    labels: Vec<crate::diagnostic::Label>,
    related: Vec<Shown>,
}

impl Shown {
    /// `d` as shown; without its help when the caller writes the help's footer itself.
    fn of(d: &Diagnostic, layout: Layout, with_help: bool) -> Shown {
        let windowed = d
            .source
            .as_ref()
            .and_then(|source| window::window(source, &d.labels, layout));
        let (source, labels) = match windowed {
            Some((source, labels)) => (Some(source), labels),
            None => (None, Vec::new()),
        };
        Shown {
            severity: d.severity,
            code: sanitise::line(&d.code).into_owned(),
            message: sanitise::line(&d.message).into_owned(),
            help: (d.help.as_deref())
                .filter(|_| with_help)
                .map(|h| sanitise::block(h).into_owned()),
            source,
            labels,
            related: d
                .related
                .iter()
                .map(|r| Shown::of(r, layout, true))
                .collect(),
        }
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown {}

impl miette::Diagnostic for Shown {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity.into())
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() || self.source.is_none() {
            return None;
        }
        Some(Box::new(self.labels.iter().map(|l| {
            if l.primary {
                LabeledSpan::new_primary_with_span(l.text.clone(), l.span)
            } else {
                LabeledSpan::new_with_span(l.text.clone(), l.span)
            }
        })))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}

pub fn render(policy: &Policy, outcome: &Outcome, renderer: &Renderer) -> String {
    render_grouped(policy, outcome, renderer, GroupBy::File)
}

/// How the human report orders its findings. Period findings come last in every order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// By file, line and column, as every other format does.
    #[default]
    File,
    /// By rule, in the policy's order, each rule under a heading.
    Rule,
    /// By record id, each record under a heading.
    Record,
}

/// What the human report shows, and in which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct View {
    pub group: GroupBy,
    /// Against a baseline: show the findings it already held too (marked as known), instead of
    /// only counting them.
    pub show_known: bool,
}

impl View {
    /// Findings grouped as asked; known findings left out.
    pub fn grouped(group: GroupBy) -> View {
        View {
            group,
            ..View::default()
        }
    }
}

pub fn render_grouped(
    policy: &Policy,
    outcome: &Outcome,
    renderer: &Renderer,
    group: GroupBy,
) -> String {
    render_view(policy, outcome, renderer, View::grouped(group))
}

/// The findings as `view` asks, then the summary; findings known from a baseline are left out
/// unless asked for, and the summary says how many were.
pub fn render_view(policy: &Policy, outcome: &Outcome, renderer: &Renderer, view: View) -> String {
    let mut out = String::new();
    // A String takes every write.
    let _ = view_into(policy, outcome, renderer, view, &mut out);
    out
}

/// [`render_view`] written to `out` as it is rendered, a few hundred findings at a time (on every
/// thread of the current rayon pool), so a report of a large export is never held whole. Stops at
/// the first error writing.
pub fn write_view(
    policy: &Policy,
    outcome: &Outcome,
    renderer: &Renderer,
    view: View,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    view_into(policy, outcome, renderer, view, &mut Writer(out))
}

fn view_into(
    policy: &Policy,
    outcome: &Outcome,
    renderer: &Renderer,
    view: View,
    out: &mut dyn Sink,
) -> io::Result<()> {
    diagnostics_view(policy, outcome, renderer, view, out)?;
    out.put(&summary_within(policy, outcome, renderer.width()))?;
    let known = outcome
        .findings
        .iter()
        .filter(|f| f.new == Some(false))
        .count();
    if known > 0 && !view.show_known {
        let plural = if known == 1 { "finding" } else { "findings" };
        out.put(&format!(
            "{known} known {plural} from the baseline not shown; --show-known shows them\n"
        ))?;
    }
    Ok(())
}

/// Where a human report goes as it is rendered.
trait Sink {
    fn put(&mut self, text: &str) -> io::Result<()>;
}

impl Sink for String {
    fn put(&mut self, text: &str) -> io::Result<()> {
        self.push_str(text);
        Ok(())
    }
}

struct Writer<'a>(&'a mut dyn io::Write);

impl Sink for Writer<'_> {
    fn put(&mut self, text: &str) -> io::Result<()> {
        self.0.write_all(text.as_bytes())
    }
}

/// Diagnostics rendered at a time: enough to keep every thread busy, few enough that the report
/// is never held whole (a few hundred kilobytes).
const CHUNK: usize = 256;

/// Bad inputs, then findings (waived ones marked, period ones named by their period).
pub fn diagnostics(policy: &Policy, outcome: &Outcome, renderer: &Renderer) -> String {
    let mut out = String::new();
    let findings = outcome.findings.iter().map(|f| &**f).collect();
    let _ = diagnostics_in_order(policy, outcome, renderer, findings, |_| None, &mut out);
    out
}

/// [`diagnostics`], with the findings grouped under a heading per rule or per record.
pub fn diagnostics_grouped(
    policy: &Policy,
    outcome: &Outcome,
    renderer: &Renderer,
    group: GroupBy,
) -> String {
    let mut out = String::new();
    let _ = diagnostics_view(policy, outcome, renderer, View::grouped(group), &mut out);
    out
}

fn diagnostics_view(
    policy: &Policy,
    outcome: &Outcome,
    renderer: &Renderer,
    view: View,
    out: &mut dyn Sink,
) -> io::Result<()> {
    let group = view.group;
    let mut findings: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| view.show_known || f.new != Some(false))
        .map(|f| &**f)
        .collect();
    let rank = |f: &Finding| policy.all_rules().position(|r| r.id == f.rule);
    // A stable sort keeps the file order inside each group; period findings stay last. Each key
    // is made once, not at every comparison.
    match group {
        GroupBy::File => {}
        GroupBy::Rule => findings.sort_by_cached_key(|f| (f.period.is_some(), rank(f))),
        GroupBy::Record => findings.sort_by_cached_key(|f| (f.period.is_some(), f.record.clone())),
    }
    let heading = |f: &Finding| -> Option<String> {
        match group {
            GroupBy::File => None,
            GroupBy::Rule => Some(match policy.rule(&f.rule) {
                Some(rule) => format!("{} — {}", rule.id, rule.title),
                None => f.rule.clone(),
            }),
            GroupBy::Record => Some(match (&f.record, &f.period) {
                (Some(record), _) => format!("record {record}"),
                (None, Some(_)) => "periods".to_string(),
                (None, None) => "the record set".to_string(),
            }),
        }
    };
    diagnostics_in_order(policy, outcome, renderer, findings, heading, out)
}

/// Renders `diagnostics` on every thread of the current pool, [`CHUNK`] at a time, and writes
/// them in their order, each after what `before` puts ahead of it.
fn render_chunked<T: Sync>(
    items: &[T],
    diagnostic: impl Fn(&T) -> Diagnostic + Sync,
    renderer: &Renderer,
    mut before: impl FnMut(&T, &mut String),
    out: &mut dyn Sink,
) -> io::Result<()> {
    for chunk in items.chunks(CHUNK) {
        let rendered: Vec<String> = chunk
            .par_iter()
            .map(|item| renderer.render(&diagnostic(item)))
            .collect();
        let mut text = String::with_capacity(rendered.iter().map(String::len).sum());
        for (item, one) in chunk.iter().zip(rendered) {
            before(item, &mut text);
            text.push_str(&one);
        }
        out.put(&text)?;
    }
    Ok(())
}

fn diagnostics_in_order(
    policy: &Policy,
    outcome: &Outcome,
    renderer: &Renderer,
    findings: Vec<&Finding>,
    heading: impl Fn(&Finding) -> Option<String>,
    out: &mut dyn Sink,
) -> io::Result<()> {
    render_chunked(
        &outcome.bad_inputs,
        |bad| bad.diagnostic.clone(),
        renderer,
        |_, _| {},
        out,
    )?;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for title in findings.iter().filter_map(|f| heading(f)) {
        *counts.entry(title).or_default() += 1;
    }
    let mut current: Option<String> = None;
    let before = |finding: &&Finding, text: &mut String| {
        if let Some(title) = heading(finding).filter(|t| current.as_ref() != Some(t)) {
            let count = counts.get(&title).copied().unwrap_or(0);
            let plural = if count == 1 { "finding" } else { "findings" };
            let counted = format!(" ({count} {plural})");
            let room = renderer.width().saturating_sub(3 + counted.chars().count());
            let shown = fit(&sanitise::line(&title), room);
            text.push_str(&format!("\n── {shown}{counted}\n\n"));
            // The group is remembered by its title, not by how it was cut to fit.
            current = Some(title);
        }
    };
    render_chunked(
        &findings,
        |finding| present::diagnostic(policy, finding),
        renderer,
        before,
        out,
    )
}

/// The summary, within 100 columns.
pub fn summary(policy: &Policy, outcome: &Outcome) -> String {
    summary_within(policy, outcome, 100)
}

/// The summary, no line wider than `width` columns.
pub fn summary_within(policy: &Policy, outcome: &Outcome, width: usize) -> String {
    let s = &outcome.summary;
    let period = outcome.period.map_or("no dated records".to_string(), |p| {
        // Say which records an inferred period runs between: a mistyped year shows at once.
        let whence = match &outcome.period_bounds {
            Some((first, last)) => format!(
                "(from `{}` of {} to `{}` of {})",
                sanitise::line(&first.field),
                sanitise::line(&first.record),
                sanitise::line(&last.field),
                sanitise::line(&last.record)
            ),
            None => "(given)".to_string(),
        };
        let line = format!("{} – {} {whence}", p.from, p.to);
        // "period under audit: " takes 20 columns; a long reason goes on a line of its own.
        if columns(&line) + 20 <= width {
            line
        } else {
            format!(
                "{} – {}\n  {}",
                p.from,
                p.to,
                fit(&whence, width.saturating_sub(2))
            )
        }
    });
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let source = policy
        .source_document()
        .map(|s| format!(" ({})", sanitise::line(s)))
        .unwrap_or_default();
    let mut text = format!(
        "\n{}{source}\nperiod under audit: {period}\nchecked {} and {} ({} ignored)\n{}, {}, {} waived, {}\n",
        sanitise::line(&policy.name),
        plural(s.records, "record", "records"),
        plural(s.files, "file", "files"),
        s.ignored_files,
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        s.waived,
        plural(s.bad_inputs, "bad input", "bad inputs"),
    );
    if let (Some(new), Some(fixed)) = (s.new, s.fixed) {
        text.push_str(&format!(
            "against the baseline: {new} new, {fixed} fixed (in the baseline, no longer found)\n"
        ));
    }
    text.push_str(&by_rule(policy, outcome, width));
    text
}

/// Whether `line` is a human report's line of what was checked: `checked 2 records and 1 file
/// (0 ignored)`, as the summary writes it.
pub fn is_checked_line(line: &str) -> bool {
    line.starts_with("checked ") && line.ends_with(" ignored)")
}

/// Whether `line` is a human report's totals, as the summary writes them: `1 error,
/// 0 warnings, 0 waived, 2 bad inputs`.
pub fn is_totals_line(line: &str) -> bool {
    let counted = |part: &str, words: &[&str]| {
        part.split_once(' ').is_some_and(|(n, word)| {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && words.contains(&word)
        })
    };
    let parts: Vec<&str> = line.split(", ").collect();
    let [errors, warnings, waived, bad] = parts[..] else {
        return false;
    };
    counted(errors, &["error", "errors"])
        && counted(warnings, &["warning", "warnings"])
        && counted(waived, &["waived"])
        && counted(bad, &["bad input", "bad inputs"])
}

/// When findings come from several rules, how many each rule found, in policy order: where an
/// auditor starts reading a long report.
fn by_rule(policy: &Policy, outcome: &Outcome, width: usize) -> String {
    let counts: Vec<(&crate::check::RuleDef, usize, usize)> = policy
        .rules
        .iter()
        .map(|rule| {
            let mine = outcome.findings.iter().filter(|f| f.rule == rule.id);
            let (waived, open): (Vec<_>, Vec<_>) = mine.partition(|f| f.waived);
            (rule, open.len(), waived.len())
        })
        .filter(|(_, open, waived)| open + waived > 0)
        .collect();
    if counts.len() < 2 {
        return String::new();
    }
    let mut text = String::from("\nby rule:\n");
    for (rule, open, waived) in counts {
        let waived = if waived > 0 {
            format!(" (and {waived} waived)")
        } else {
            String::new()
        };
        let row = format!("  {:<6} {:<7} {open:>4}  ", rule.id, rule.severity.as_str());
        let room = width.saturating_sub(columns(&row) + columns(&waived));
        let title = fit(&sanitise::line(&rule.title), room);
        text.push_str(&format!("{row}{title}{waived}\n"));
    }
    text
}

/// The terminal columns `text` takes.
fn columns(text: &str) -> usize {
    use unicode_width::UnicodeWidthChar;
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// `text` cut to `width` terminal columns, with `…` where it was cut.
fn fit(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if columns(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A help footer taken from the cache is the one miette writes, in colour too.
    #[test]
    fn cached_footers_are_miettes() {
        let help =
            "one line of help that is long enough to be wrapped by miette at forty columns\n\
                    文件应当经分管副秘书长、秘书长审核,分管副市长审阅后,由市长签发 \u{1b}[2J";
        for colour in [false, true] {
            let renderer = Renderer::with_width(colour, 40);
            let mut d = Diagnostic::error("r.1", "a finding");
            d.help = Some(help.to_string());
            let shown = Shown::of(
                &d,
                Layout {
                    width: 40,
                    context: 1,
                },
                true,
            );
            let mut whole = String::new();
            renderer.handler.render_report(&mut whole, &shown).unwrap();
            assert_eq!(renderer.render(&d), whole);
            assert_eq!(renderer.render(&d), whole, "from the cache");
            assert_eq!(renderer.footers.lock().unwrap().len(), 1);
        }
    }
}
