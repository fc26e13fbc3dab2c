//! Human output: each finding as a miette diagnostic on the record file's text, then a summary.

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::audit::Outcome;
use crate::check::Policy;
use crate::diagnostic::Diagnostic;

/// Renders diagnostics with or without colour; tests and pipes get plain Unicode.
pub struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    pub fn new(colour: bool) -> Renderer {
        let theme = if colour {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Renderer {
            handler: GraphicalReportHandler::new_themed(theme)
                .with_width(100)
                .with_links(false),
        }
    }

    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        let mut out = String::new();
        if self.handler.render_report(&mut out, diagnostic).is_err() {
            out = format!("{}: {}\n", diagnostic.code, diagnostic.message);
        }
        out
    }
}

pub fn render(policy: &Policy, outcome: &Outcome, renderer: &Renderer) -> String {
    let mut out = diagnostics(outcome, renderer);
    out.push_str(&summary(policy, outcome));
    out
}

/// Bad inputs, then findings (waived ones marked, period ones named by their period).
pub fn diagnostics(outcome: &Outcome, renderer: &Renderer) -> String {
    let mut out = String::new();
    for bad in &outcome.bad_inputs {
        out.push_str(&renderer.render(&bad.diagnostic));
    }
    for finding in &outcome.findings {
        let mut d = finding.diagnostic.clone();
        if finding.waived {
            d.message = format!("(waived) {}", d.message);
            d.severity = crate::diagnostic::Severity::Advice;
        }
        if let Some(period) = finding
            .period
            .as_ref()
            .filter(|p| !d.message.contains(p.as_str()))
        {
            d.message = format!("{period}: {}", d.message);
        }
        out.push_str(&renderer.render(&d));
    }
    out
}

pub fn summary(policy: &Policy, outcome: &Outcome) -> String {
    let s = &outcome.summary;
    let period = outcome.period.map_or("no dated records".to_string(), |p| {
        // Say which records an inferred period runs between: a mistyped year shows at once.
        let whence = match &outcome.period_bounds {
            Some((first, last)) => format!(
                " (from `{}` of {} to `{}` of {})",
                first.field, first.record, last.field, last.record
            ),
            None => " (given)".to_string(),
        };
        format!("{} – {}{whence}", p.from, p.to)
    });
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let source = policy
        .source_document()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    let mut text = format!(
        "\n{}{source}\nperiod under audit: {period}\nchecked {} and {} ({} ignored)\n{}, {}, {} waived, {}\n",
        policy.name,
        plural(s.records, "record", "records"),
        plural(s.files, "file", "files"),
        s.ignored_files,
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        s.waived,
        plural(s.bad_inputs, "bad input", "bad inputs"),
    );
    text.push_str(&by_rule(policy, outcome));
    text
}

/// When findings come from several rules, how many each rule found, in policy order: where an
/// auditor starts reading a long report.
fn by_rule(policy: &Policy, outcome: &Outcome) -> String {
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
        text.push_str(&format!(
            "  {:<6} {:<7} {open:>4}  {}{waived}\n",
            rule.id,
            rule.severity.as_str(),
            rule.title
        ));
    }
    text
}
