//! `--format html`: the audit report as one self-contained page to open or send to a colleague.
//!
//! The page holds its style and script inline and fetches nothing; its Content-Security-Policy
//! (`default-src 'none'`) admits only that style and that script, by their SHA-256 hashes, so a
//! value that slipped past escaping still could not run or load anything. Every text from a
//! record, a file name or the policy goes through [`text`] or [`block`]: HTML-escaped, after
//! [`sanitise`] has made control and invisible characters visible. The script is a constant (it
//! reads the findings from the page's `data-` attributes), so no record text is ever inside it.
//!
//! The page: the summary and the period under audit; charts (findings per month and per article,
//! and for each periodic rule a calendar of the periods judged, counted against what the article
//! asks); the findings grouped by article and rule, each with its place, the record's source
//! around the value and how to comply (worded by [`present`], as every other report); the bad
//! inputs; and filters by severity, rule and file, also set by the URL's fragment
//! (`#severity=error&rule=38.1&file=…`), on load and on every change of the fragment.

mod charts;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::present::present;
use super::sanitise;
use crate::audit::Outcome;
use crate::check::Policy;
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::Format;
use crate::finding::{Finding, Tally};
use crate::source::{SourceFile, Span};

/// The page's style and script, hashed into its Content-Security-Policy.
const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Lines of the record's source shown around a value (JSON; in JSON Lines a neighbour is another
/// record, so none).
const CONTEXT_LINES: usize = 2;
/// An excerpt shows at most this many lines of a long value.
const MAX_VALUE_LINES: usize = 8;
/// Characters kept either side of a value on a long line; the rest becomes `…`.
const LINE_WINDOW: usize = 60;
/// A line longer than this is cut to a window around the value.
const LONG_LINE: usize = 160;

/// The tallies of the periodic rules by rule and period, to date a period finding in one look-up.
type Tallies<'a> = HashMap<(&'a str, &'a str), &'a Tally>;

fn tallies(outcome: &Outcome) -> Tallies<'_> {
    (outcome.tallies.iter())
        .map(|t| ((t.rule.as_str(), t.period.as_str()), t))
        .collect()
}

/// The tally of a period finding's period.
fn tally_of<'a>(tallies: &Tallies<'a>, f: &Finding) -> Option<&'a Tally> {
    let period = f.period.as_deref()?;
    tallies.get(&(f.rule.as_str(), period)).copied()
}

/// The whole page.
pub fn document(policy: &Policy, outcome: &Outcome) -> String {
    super::text_of(|out| write(policy, outcome, out))
}

/// Writes the whole page to `out` as it is made: a page of a hundred thousand findings is
/// hundreds of megabytes, never held whole.
pub fn write(
    policy: &Policy,
    outcome: &Outcome,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut page = Page::new(out);
    let title = format!("bylaw audit report: {}", policy.name);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        content_security_policy(),
        text(&title),
    );
    body_into(&mut page, policy, outcome);
    let _ = write!(page, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    page.finish()
}

/// The page being written: its text is handed to the writer whenever it grows past
/// [`Page::HANDED_ON`], between findings, so that the page is never held whole.
struct Page<'w> {
    text: String,
    out: &'w mut dyn std::io::Write,
    /// The first write that failed: nothing more is written, and it is what the page returns.
    failed: Option<std::io::Error>,
}

impl<'w> Page<'w> {
    const HANDED_ON: usize = 1 << 20;

    fn new(out: &'w mut dyn std::io::Write) -> Page<'w> {
        Page {
            text: String::with_capacity(64 * 1024),
            out,
            failed: None,
        }
    }

    /// Hands the text on once it is long enough.
    fn hand_on_if_long(&mut self) {
        if self.text.len() >= Self::HANDED_ON {
            self.hand_on();
        }
    }

    fn hand_on(&mut self) {
        if self.failed.is_none() {
            self.failed = self.out.write_all(self.text.as_bytes()).err();
        }
        self.text.clear();
    }

    fn finish(mut self) -> std::io::Result<()> {
        self.hand_on();
        self.failed.map_or(Ok(()), Err)
    }
}

impl std::ops::Deref for Page<'_> {
    type Target = String;

    fn deref(&self) -> &String {
        &self.text
    }
}

impl std::ops::DerefMut for Page<'_> {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.text
    }
}

impl std::fmt::Write for Page<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.text.push_str(s);
        Ok(())
    }
}

/// `default-src 'none'`, and the page's own style and script by their hashes.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; base-uri 'none'; \
         form-action 'none'",
        source_hash(STYLE),
        source_hash(SCRIPT)
    )
}

/// A CSP hash source: `'sha256-…'` of the exact text between the tags.
fn source_hash(code: &str) -> String {
    let digest = Sha256::digest(code.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Everything between `<body>` and the script: what a reader sees.
pub fn body(policy: &Policy, outcome: &Outcome) -> String {
    let mut text = Vec::new();
    let mut page = Page::new(&mut text);
    body_into(&mut page, policy, outcome);
    page.finish().expect("a vector takes every write");
    String::from_utf8(text).expect("the page is written from texts")
}

/// [`body`], written into the page itself.
fn body_into(out: &mut Page<'_>, policy: &Policy, outcome: &Outcome) {
    let tallies = tallies(outcome);
    header(out, policy, outcome);
    filters(out, outcome);
    charts::charts(out, policy, outcome, &tallies);
    findings(out, policy, outcome, &tallies);
    bad_inputs(out, outcome);
    let _ = writeln!(
        out,
        "<footer>written by bylaw {}; this page fetches nothing and runs only its own script</footer>",
        env!("CARGO_PKG_VERSION")
    );
}

fn header(out: &mut String, policy: &Policy, outcome: &Outcome) {
    let _ = writeln!(out, "<header>\n<h1>Audit report</h1>");
    let _ = write!(
        out,
        "<p class=\"policy\">policy <b>{}</b>",
        text(&policy.name)
    );
    if let Some(source) = policy.source_document() {
        let _ = write!(out, " ({})", text(source));
    }
    out.push_str("</p>\n");
    match (&outcome.period, &outcome.period_bounds) {
        (Some(p), Some((first, last))) => {
            let _ = writeln!(
                out,
                "<p class=\"audit-period\">period under audit <b>{} – {}</b>, inferred from the records: \
                 from <code>{}</code> of {} to <code>{}</code> of {}</p>",
                p.from,
                p.to,
                text(&first.field),
                text(&first.record),
                text(&last.field),
                text(&last.record)
            );
        }
        (Some(p), None) => {
            let _ = writeln!(
                out,
                "<p class=\"audit-period\">period under audit <b>{} – {}</b></p>",
                p.from, p.to
            );
        }
        (None, _) => {
            out.push_str(
                "<p class=\"audit-period\">no period under audit: no record has a date</p>\n",
            );
        }
    }
    let s = &outcome.summary;
    out.push_str("<dl class=\"summary\" id=\"summary\">\n");
    let items = [
        ("files", s.files, ""),
        ("ignored files", s.ignored_files, ""),
        ("records", s.records, ""),
        ("errors", s.errors, "error"),
        ("warnings", s.warnings, "warning"),
        ("waived", s.waived, "waived"),
        ("bad inputs", s.bad_inputs, "bad"),
    ];
    for (name, n, class) in items {
        let class = if n > 0 && !class.is_empty() {
            format!(" class=\"{class}\"")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<div{class}><dt>{name}</dt><dd data-count=\"{}\">{n}</dd></div>",
            name.replace(' ', "-")
        );
    }
    out.push_str("</dl>\n");
    let verdict = if !outcome.bad_inputs.is_empty() {
        "not everything could be judged: see the bad inputs below"
    } else if s.errors > 0 {
        "unwaived errors: the records break the work rules"
    } else if s.warnings > 0 {
        "no unwaived error; warnings to look at"
    } else {
        "nothing binding is broken"
    };
    let _ = writeln!(out, "<p class=\"verdict\">{verdict}</p>\n</header>");
}

/// The filters' controls; their options are the values the findings carry.
fn filters(out: &mut String, outcome: &Outcome) {
    let mut rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_by_key(|r| rule_order(r));
    rules.dedup();
    let mut files: Vec<&str> = (outcome.findings.iter())
        .filter_map(|f| f.file.as_deref())
        .collect();
    files.sort_unstable();
    files.dedup();
    out.push_str("<nav class=\"filters\" id=\"filters\" aria-label=\"filters\">\n");
    out.push_str(
        "<label>severity <select id=\"filter-severity\" data-key=\"severity\">\
         <option value=\"\">all</option><option value=\"error\">error</option>\
         <option value=\"warning\">warning</option></select></label>\n",
    );
    out.push_str(
        "<label>rule <select id=\"filter-rule\" data-key=\"rule\"><option value=\"\">all</option>",
    );
    for rule in rules {
        let _ = write!(out, "<option value=\"{0}\">{0}</option>", text(rule));
    }
    out.push_str("</select></label>\n");
    out.push_str(
        "<label>file <select id=\"filter-file\" data-key=\"file\"><option value=\"\">all</option>",
    );
    for file in files {
        let _ = write!(
            out,
            "<option value=\"{}\">{}</option>",
            attr(file),
            text(file)
        );
    }
    out.push_str("</select></label>\n");
    let total = outcome.findings.len();
    let _ = writeln!(
        out,
        "<button type=\"button\" id=\"filter-reset\">show all</button>\n\
         <output id=\"filter-count\">findings shown: {total} of {total}</output>\n</nav>"
    );
}

/// Findings under their article, then their rule, in the policy's order; the record set's rules
/// last.
fn findings(out: &mut Page<'_>, policy: &Policy, outcome: &Outcome, tallies: &Tallies<'_>) {
    let _ = writeln!(
        out,
        "<section id=\"findings\">\n<h2>Findings ({})</h2>",
        outcome.findings.len()
    );
    if outcome.findings.is_empty() {
        out.push_str("<p class=\"none\">no finding</p>\n");
    }
    // article (the record set last) → rule (by number) → findings, in report order within a rule.
    let mut groups: BTreeMap<(bool, u32), ByRule<'_>> = BTreeMap::new();
    for f in &outcome.findings {
        let article = f.article.filter(|_| !f.rule.starts_with("set."));
        let key = (article.is_none(), article.unwrap_or(0));
        let (a, n) = rule_order(&f.rule);
        (groups.entry(key).or_default())
            .entry((a, n, f.rule.clone()))
            .or_default()
            .push(f);
    }
    for ((set, number), rules) in &groups {
        if *set {
            out.push_str(
                "<section class=\"article-group\" data-article=\"\">\n<h3>The record set</h3>\n",
            );
        } else {
            let title = policy
                .articles
                .get(number)
                .map(|a| format!(" ({})", a.title))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<section class=\"article-group\" data-article=\"{number}\">\n\
                 <h3>Article {number}{}</h3>",
                text(&title)
            );
        }
        for ((_, _, rule), list) in rules {
            rule_group(out, policy, rule, list, tallies);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
}

/// A group's findings by rule, the rules in number order.
type ByRule<'a> = BTreeMap<(u32, u32, String), Vec<&'a Finding>>;

fn rule_group(
    out: &mut Page<'_>,
    policy: &Policy,
    rule: &str,
    list: &[&Finding],
    tallies: &Tallies<'_>,
) {
    let def = policy.rule(rule);
    let _ = write!(
        out,
        "<section class=\"rule-group\" data-rule=\"{0}\">\n<h4><span class=\"rule-id\">{0}</span>",
        text(rule)
    );
    if let Some(def) = def {
        let _ = write!(out, " {}", text(&def.title));
    }
    out.push_str("</h4>\n");
    if let Some(quote) = def.and_then(|d| policy.article_quote(d)) {
        let _ = writeln!(
            out,
            "<blockquote class=\"quote\">{}</blockquote>",
            block(&quote)
        );
    }
    for f in list {
        finding(out, policy, f, tallies);
        out.hand_on_if_long();
    }
    out.push_str("</section>\n");
}

fn finding(out: &mut String, policy: &Policy, f: &Finding, tallies: &Tallies<'_>) {
    let presented = present(policy, f);
    let severity = f.severity.as_str();
    let _ = writeln!(
        out,
        "<article class=\"finding {severity}{}\" data-severity=\"{severity}\" data-rule=\"{}\" \
         data-file=\"{}\" data-waived=\"{}\" data-fingerprint=\"{}\">",
        if f.waived { " waived" } else { "" },
        attr(&f.rule),
        attr(f.file.as_deref().unwrap_or("")),
        f.waived,
        attr(&f.fingerprint),
    );
    let _ = writeln!(
        out,
        "<p class=\"head\"><span class=\"badge {severity}\">{severity}</span>{}\
         <span class=\"header\">{}</span></p>",
        if f.waived {
            "<span class=\"badge waived\">waived</span>"
        } else {
            ""
        },
        text(&presented.header)
    );
    let _ = writeln!(out, "<p class=\"message\">{}</p>", text(&presented.message));
    out.push_str("<dl class=\"facts\">\n");
    if let Some(record) = &f.record {
        let _ = writeln!(
            out,
            "<dt>record</dt><dd class=\"record\">{}</dd>",
            text(record)
        );
    }
    if let Some(file) = &f.file {
        let place = match (f.line, f.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            _ => file.to_string(),
        };
        let _ = writeln!(
            out,
            "<dt>where</dt><dd class=\"place\">{}</dd>",
            text(&place)
        );
    }
    if let Some(pointer) = &f.pointer {
        let _ = writeln!(
            out,
            "<dt>value</dt><dd class=\"pointer\"><code>{}</code></dd>",
            text(pointer)
        );
    }
    if let Some(period) = &f.period {
        let dates = tally_of(tallies, f)
            .map(|t| format!(" ({} – {})", t.from, t.to))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<dt>period</dt><dd class=\"period\">{}{dates}</dd>",
            text(period)
        );
        if let Some(group) = &f.group {
            let _ = writeln!(
                out,
                "<dt>group</dt><dd class=\"group\">{}</dd>",
                text(group)
            );
        }
        let counted = if f.counted.is_empty() {
            "none".to_string()
        } else {
            f.counted.join(", ")
        };
        let _ = writeln!(
            out,
            "<dt>counted</dt><dd class=\"counted\">{}</dd>",
            text(&counted)
        );
    }
    out.push_str("</dl>\n");
    let diagnostic = super::present::diagnostic(policy, f);
    if f.place.is_some() && diagnostic.source.is_none() {
        let _ = writeln!(
            out,
            "<p class=\"note\">{}</p>",
            text(super::present::NOT_SHOWN)
        );
    }
    out.push_str(&excerpt(&diagnostic));
    if let Some(help) = &presented.how_to_comply {
        let _ = writeln!(
            out,
            "<p class=\"comply\"><b>how to comply</b> {}</p>",
            block(help)
        );
    }
    out.push_str("</article>\n");
}

fn bad_inputs(out: &mut Page<'_>, outcome: &Outcome) {
    let _ = writeln!(
        out,
        "<section id=\"bad-inputs\">\n<h2>Bad inputs ({})</h2>",
        outcome.bad_inputs.len()
    );
    if outcome.bad_inputs.is_empty() {
        out.push_str("<p class=\"none\">every input could be read and judged</p>\n");
    }
    for bad in &outcome.bad_inputs {
        let place = match (bad.line, bad.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", bad.file),
            _ => bad.file.clone(),
        };
        let _ = writeln!(
            out,
            "<article class=\"bad-input\" data-file=\"{}\">\n<p class=\"head\">\
             <span class=\"badge bad\">bad input</span><span class=\"place\">{}</span></p>\n\
             <p class=\"message\">{}</p>",
            attr(&bad.file),
            text(&place),
            text(&bad.message)
        );
        out.push_str(&excerpt(&bad.diagnostic));
        if let Some(help) = &bad.diagnostic.help {
            let _ = writeln!(out, "<p class=\"comply\"><b>help</b> {}</p>", block(help));
        }
        out.push_str("</article>\n");
        out.hand_on_if_long();
    }
    out.push_str("</section>\n");
}

/// The source around a diagnostic's primary label, numbered as in the file, the value in a
/// `<mark>`; empty when the diagnostic has no place in a file.
fn excerpt(diagnostic: &Diagnostic) -> String {
    let (Some(source), Some(span)) = (&diagnostic.source, diagnostic.primary_span()) else {
        return String::new();
    };
    let span = clamp(source, span);
    let lines = source.line_count().max(1);
    let first_value = source.line_number(span.start);
    let last_value = source
        .line_number(span.end.max(span.start + 1) - 1)
        .max(first_value);
    // A text of one line has no lines around its value: its format, told by reading its first
    // line, is asked only of a longer text (a long line is read once, not once per finding).
    let context = if lines == 1 || format_of(source) == Format::Lines {
        0
    } else {
        CONTEXT_LINES
    };
    let first = first_value.saturating_sub(context).max(1);
    let cut_value = last_value > first_value + MAX_VALUE_LINES;
    let last_value = last_value.min(first_value + MAX_VALUE_LINES);
    let last = if cut_value {
        last_value
    } else {
        (last_value + context).min(lines)
    };
    let label = diagnostic
        .labels
        .iter()
        .find(|l| l.primary)
        .and_then(|l| l.text.as_deref());
    let mut out = String::from("<figure class=\"excerpt\"><pre>");
    for n in first..=last {
        let line = source.line_span(n);
        let text_of = |a: usize, b: usize| source.text.get(a..b).unwrap_or("");
        // The part of this line that is the value.
        let (hl_start, hl_end) = (span.start.max(line.start), span.end.min(line.end));
        let has_value = n >= first_value && n <= last_value;
        // Numbered as in the file: a record's text may be a fragment of it.
        let _ = write!(out, "<span class=\"ln\">{:>5}</span> ", source.file_line(n));
        if has_value && hl_start <= hl_end {
            let before = text_of(line.start, hl_start);
            let value = text_of(hl_start, hl_end);
            let after = text_of(hl_end, line.end);
            // Counted as far as the limit: a line may hold thousands of values, each a finding.
            let mut chars = before.chars().chain(value.chars()).chain(after.chars());
            let long = chars.nth(LONG_LINE).is_some();
            let before = if long {
                tail(before, LINE_WINDOW)
            } else {
                before.into()
            };
            let (value, after) = if long {
                (head(value, LONG_LINE), head(after, LINE_WINDOW))
            } else {
                (value.into(), after.into())
            };
            let _ = write!(
                out,
                "{}<mark>{}</mark>{}",
                code(&before),
                code(&value),
                code(&after)
            );
        } else {
            let whole = text_of(line.start, line.end);
            out.push_str(&code(&head(whole, LONG_LINE)));
        }
        out.push('\n');
    }
    if cut_value {
        out.push_str("<span class=\"ln\">    …</span>\n");
    }
    out.push_str("</pre>");
    if let Some(label) = label {
        let _ = write!(out, "<figcaption>{}</figcaption>", text(label));
    }
    out.push_str("</figure>\n");
    out
}

/// A span kept inside the text and on character boundaries.
fn clamp(source: &SourceFile, span: Span) -> Span {
    let len = source.text.len();
    let mut start = span.start.min(len);
    while !source.text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, len);
    while !source.text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

fn format_of(source: &SourceFile) -> Format {
    crate::discover::format_of(std::path::Path::new(&*source.name))
        .unwrap_or_else(|| crate::records::sniff_format(&source.text))
}

/// The first `n` characters, and `…` if there were more.
fn head(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// The last `n` characters, after `…` if there were more; read from the end, as far as `n`.
fn tail(s: &str, n: usize) -> String {
    // The character before the last `n`, if there is one.
    match s.char_indices().rev().nth(n) {
        Some((at, c)) => format!("…{}", &s[at + c.len_utf8()..]),
        None => s.to_string(),
    }
}

/// Source text in an excerpt: tabs as spaces, every other control or invisible character made
/// visible, then escaped.
fn code(s: &str) -> String {
    escape(&sanitise::line(&s.replace('\t', "    ")))
}

/// One line of text from a record, a file name or the policy, for an element's content.
pub fn text(s: &str) -> String {
    escape(&sanitise::line(s))
}

/// Text of several lines (help, a quote); the style keeps its newlines.
pub fn block(s: &str) -> String {
    escape(&sanitise::block(s))
}

/// A value for a `data-` attribute that the script compares with the fragment: escaped but not
/// sanitised, so it stays the exact value (the select shows it through [`text`]-like escaping).
fn attr(s: &str) -> String {
    escape(s)
}

/// HTML-escapes the five characters that can end a text or an attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Rules sort by number: 9.1 < 38.1 < 38.10 < set.1.
fn rule_order(id: &str) -> (u32, u32) {
    let mut parts = id.split('.');
    let article = (parts.next().and_then(|p| p.parse().ok())).unwrap_or(u32::MAX);
    let n = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (article, n)
}

/// The severity's class and label, as the charts colour it.
fn severity_class(f: &Finding) -> &'static str {
    match (f.waived, f.severity) {
        (true, _) => "waived",
        (false, Severity::Error) => "error",
        (false, _) => "warning",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape("</script><img src=x onerror='a(\"b\")'>&"),
            "&lt;/script&gt;&lt;img src=x onerror=&#39;a(&quot;b&quot;)&#39;&gt;&amp;"
        );
        assert_eq!(text("a\u{202E}b\u{1b}"), "a&lt;U+202E&gt;b\\u{1b}");
    }

    #[test]
    fn the_policy_hashes_the_page_own_code() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(csp.contains(&source_hash(SCRIPT)) && csp.contains(&source_hash(STYLE)));
        // The SHA-256 of the empty string, as every CSP implementation computes it.
        assert_eq!(
            source_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_value() {
        assert_eq!(head("abcdef", 3), "abc…");
        assert_eq!(tail("abcdef", 3), "…def");
        assert_eq!(tail("ab", 3), "ab");
        assert_eq!(tail("abc", 3), "abc");
        assert_eq!(tail("一二三四", 2), "…三四");
        assert_eq!(head("一二三四", 2), "一二…");
    }
}
