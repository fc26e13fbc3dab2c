//! The one presenter: how a finding reads, whatever shows it. Every format and the language
//! server take a finding's text from here, so a decoration (known from a baseline, waived, the
//! period, the record in the header, how to comply) is written once.

use crate::check::{Policy, RuleDef};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::finding::{Finding, Runs};

/// A finding's text, decorated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    /// `38.1 · article 38 · EXEC-2011-046`: the rule, its article and the record.
    pub header: String,
    /// The message, after `(known) ` (in the baseline), `(waived) ` and the period it is about, when the message does not say.
    pub message: String,
    /// The rule's advice on how to comply, when it gives one.
    pub how_to_comply: Option<String>,
}

impl Presented {
    /// The message, then "how to comply: …" on a line of its own: an annotation's whole text.
    pub fn message_and_help(&self) -> String {
        match &self.how_to_comply {
            Some(help) => format!("{}\nhow to comply: {help}", self.message),
            None => self.message.clone(),
        }
    }
}

/// The message with the period it is about, when the message does not say: for a format that
/// marks waived findings its own way (SARIF's suppressions).
pub fn message_with_period(finding: &Finding) -> String {
    // A group is named with its period, when the message does not name it either.
    let group = finding
        .group
        .as_ref()
        .filter(|g| !finding.message.contains(g.as_str()));
    let period = finding
        .period
        .as_ref()
        .filter(|p| !finding.message.contains(p.as_str()) || group.is_some());
    match (period, group) {
        (Some(period), Some(group)) => format!("{period} {group}: {}", finding.message),
        (Some(period), None) => format!("{period}: {}", finding.message),
        _ => finding.message.clone(),
    }
}

pub fn present(policy: &Policy, finding: &Finding) -> Presented {
    let mut message = message_with_period(finding);
    if finding.waived {
        message = format!("(waived) {message}");
    }
    if finding.new == Some(false) {
        message = format!("(known) {message}");
    }
    // The rule and its article (`38.1 · article 38`), then the record.
    let code = code_of(&finding.rule, finding.article);
    let header = match &finding.record {
        Some(record) => format!("{code} · {record}"),
        None => code,
    };
    Presented {
        header,
        message,
        how_to_comply: policy.rule(&finding.rule).and_then(|r| r.help.clone()),
    }
}

/// The diagnostic every format and the language server render for a finding: the header as its
/// code, the decorated message, the places blamed in the record's text (and the other records
/// shown with it), and help — for a finding about a period, the days it runs, what it counted,
/// then the rule's help and the words of its article. A waived finding, or one known from the
/// baseline, binds nobody: it is advice.
pub fn diagnostic(policy: &Policy, finding: &Finding) -> Diagnostic {
    let presented = present(policy, finding);
    let severity = if finding.waived || finding.new == Some(false) {
        Severity::Advice
    } else {
        finding.severity
    };
    let mut d = Diagnostic::new(severity, presented.header, presented.message);
    let rule_help = policy
        .rule(&finding.rule)
        .and_then(|rule| help_text(policy, rule));
    d.help = match (&finding.runs, &finding.period) {
        (Some(runs), Some(key)) => Some(period_help(finding, key, runs, rule_help)),
        _ => rule_help,
    };
    if let Some(place) = &finding.place {
        match place.text.get() {
            Some(source) => {
                d.source = Some(source);
                d.labels = place.labels.clone();
            }
            None => d.help = Some(not_shown(d.help.take())),
        }
        d.related = (place.elsewhere.iter())
            .map(|other| {
                let related =
                    Diagnostic::new(Severity::Advice, finding.rule.clone(), other.note.clone());
                match other.text.get() {
                    Some(source) => related
                        .in_file(source)
                        .with_label(Label::secondary(other.span, other.label.clone())),
                    None => related,
                }
            })
            .collect();
    }
    d
}

/// What a report says of a finding whose record's text cannot be shown: its file no longer
/// reads as it did when it was audited (the finding itself stands, at the line and column it
/// gives).
pub const NOT_SHOWN: &str = "the record's text is not shown: its file changed after it was audited";

/// The help of a finding whose record's text cannot be shown, [`NOT_SHOWN`] first.
fn not_shown(help: Option<String>) -> String {
    match help {
        Some(help) => format!("{NOT_SHOWN}\n{help}"),
        None => NOT_SHOWN.to_string(),
    }
}

/// The heading code of the findings of rule `id` of `article`: `38.1 · article 38`; a rule about
/// the set names no article.
fn code_of(id: &str, article: Option<u32>) -> String {
    match article {
        Some(a) if !id.starts_with("set.") => format!("{id} · article {a}"),
        _ => id.to_string(),
    }
}

/// The rule's help, then the words of its article that it enforces.
fn help_text(policy: &Policy, rule: &RuleDef) -> Option<String> {
    let help = rule.help.iter().cloned().chain(policy.article_quote(rule));
    let help: Vec<String> = help.collect();
    (!help.is_empty()).then(|| help.join("\n"))
}

/// What a finding about a period says it counted: `period 2011-W32 runs 2011-08-08 – 2011-08-14;
/// counted: none`, then the rule's help on lines of its own.
fn period_help(finding: &Finding, key: &str, runs: &Runs, rule_help: Option<String>) -> String {
    let mut help = format!("period {key} runs {} – {}", runs.from, runs.to);
    if let Some(group) = &finding.group {
        help.push_str(&format!("; group {group}"));
    }
    let counted = if finding.counted.is_empty() {
        "none".to_string()
    } else {
        finding.counted.join(", ")
    };
    help.push_str(&format!("; counted: {counted}"));
    if let Some(total) = &runs.total {
        help.push_str(&format!("; total {total}"));
    }
    if let Some(more) = rule_help {
        help = format!("{help}\n{more}");
    }
    help
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, waived: bool, period: Option<&str>, record: Option<&str>) -> Finding {
        Finding {
            rule: rule.into(),
            article: None,
            severity: crate::diagnostic::Severity::Warning,
            waived,
            message: "0 briefing meetings".into(),
            record: record.map(Into::into),
            file: None,
            line: None,
            column: None,
            pointer: None,
            period: period.map(Into::into),
            group: None,
            counted: Vec::new(),
            fingerprint: Box::default(),
            new: None,
            require: None,
            place: None,
            runs: None,
        }
    }

    #[test]
    fn decorations_are_written_once_in_one_order() {
        let policy = Policy::default();
        let p = present(&policy, &finding("40.3", true, Some("2011-W32"), None));
        assert_eq!(p.message, "(waived) 2011-W32: 0 briefing meetings");
        assert_eq!(p.header, "40.3", "the diagnostic's code, and no record");
        assert_eq!(p.message_and_help(), p.message, "no rule, no help");
        let mut known = finding("40.3", true, Some("2011-W32"), None);
        known.new = Some(false);
        let p = present(&policy, &known);
        assert_eq!(p.message, "(known) (waived) 2011-W32: 0 briefing meetings");
        let p = present(&policy, &finding("set.1", false, None, Some("A-1")));
        assert_eq!(
            (p.header.as_str(), p.message.as_str()),
            ("set.1 · A-1", "0 briefing meetings")
        );
    }

    #[test]
    fn the_diagnostic_is_built_from_the_typed_finding() {
        use crate::finding::{Elsewhere, Runs, Site, SiteText};
        use crate::source::{SourceFile, Span};
        use std::sync::Arc;
        let policy = Policy::default();
        // About a period: no place, the days and what was counted in the help.
        let mut period = finding("40.3", true, Some("2011-W32"), None);
        period.article = Some(40);
        period.group = Some("S-7".into());
        period.runs = Some(Runs {
            from: jiff::civil::date(2011, 8, 8),
            to: jiff::civil::date(2011, 8, 14),
            total: Some("3".into()),
        });
        let d = diagnostic(&policy, &period);
        assert_eq!(d.code, "40.3 · article 40");
        assert_eq!(d.message, "(waived) 2011-W32 S-7: 0 briefing meetings");
        assert_eq!(
            d.severity,
            Severity::Advice,
            "a waived finding binds nobody"
        );
        assert_eq!(
            d.help.as_deref(),
            Some("period 2011-W32 runs 2011-08-08 – 2011-08-14; group S-7; counted: none; total 3")
        );
        assert!(d.source.is_none() && d.labels.is_empty());
        // About a record: its text, the labels in the rule's order, another record beneath.
        let here = SourceFile::new("b.json", "{\"id\": \"A-1\"}");
        let there = SourceFile::new("a.json", "{\"id\": \"A-1\"}");
        let mut record = finding("set.1", false, None, Some("A-1"));
        record.article = None;
        record.place = Some(Site {
            text: SiteText::Held(here.clone()),
            labels: vec![
                Label::secondary(Span::new(1, 5), "against this"),
                Label::primary(Span::new(7, 12), "used again here"),
            ],
            elsewhere: vec![Elsewhere {
                text: SiteText::Held(there.clone()),
                span: Span::new(7, 12),
                label: "first used here".into(),
                note: "first use of `A-1`".into(),
            }],
            date: None,
        });
        let d = diagnostic(&policy, &record);
        assert_eq!(
            (d.code.as_str(), d.severity),
            ("set.1 · A-1", Severity::Warning)
        );
        assert_eq!(d.primary_span(), Some(Span::new(7, 12)));
        assert_eq!(d.labels.len(), 2);
        assert!(d.help.is_none(), "no rule in the policy, no help");
        let [related] = d.related.as_slice() else {
            panic!("one related diagnostic: {:?}", d.related)
        };
        assert_eq!(
            (
                related.code.as_str(),
                related.message.as_str(),
                related.severity
            ),
            ("set.1", "first use of `A-1`", Severity::Advice)
        );
        assert!(related
            .source
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, &there)));
        assert!(d.source.as_ref().is_some_and(|s| Arc::ptr_eq(s, &here)));
    }

    #[test]
    fn a_findings_record_is_read_again_to_be_shown_and_never_shown_changed() {
        use crate::finding::Site;
        use crate::source::Span;
        let policy = Policy::default();
        let dir = std::env::temp_dir().join(format!("bylaw-present-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let path = dir.join("r.jsonl");
        std::fs::write(&path, "{\"id\": \"A-1\"}\n{\"id\": \"A-2\"}\n").expect("write");
        let records =
            crate::records::stream::records_on_disk(&path, crate::discover::Format::Lines);
        let [first, second] = &records[..] else {
            panic!("two records")
        };
        use crate::finding::SiteText;
        use std::sync::Arc;
        let shown = |text: &crate::records::RecordText| {
            let mut f = finding("set.1", false, None, Some("A-1"));
            f.place = Some(Site {
                text: SiteText::Again(text.refetch.clone()),
                labels: vec![Label::primary(Span::new(8, 13), "used again here")],
                elsewhere: Vec::new(),
                date: None,
            });
            diagnostic(&policy, &f)
        };
        // Shown in its own text, read again from the file, at the line it was read at.
        let d = shown(second);
        let source = d.source.as_ref().expect("the record's text");
        assert_eq!(source.text, "{\"id\": \"A-2\"}");
        assert_eq!(d.line_column(), Some((2, 9)));
        assert!(d.help.is_none());
        // Two findings of one record share one text, read once.
        let again = shown(second);
        assert!(Arc::ptr_eq(
            source,
            again.source.as_ref().expect("the text")
        ));
        // The file rewritten after the audit: the first record no longer reads as it did, so
        // it is not shown (nor a text that is not the record's), and the help says why.
        std::fs::write(&path, "{\"id\": \"B-1\"}\n{\"id\": \"A-2\"}\n").expect("write");
        let d = shown(first);
        assert!(d.source.is_none() && d.labels.is_empty());
        assert_eq!(
            d.help.as_deref(),
            Some("the record's text is not shown: its file changed after it was audited")
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// What a rule is, as `bylaw explain` and the language server's hover show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSummary {
    /// `38.1 (error) — the mayor's briefing meeting is held every week`.
    pub heading: String,
    /// The rule's advice on how to comply, when it gives one.
    pub how_to_comply: Option<String>,
    /// `what it enforces: article 40 (…): …`, when the rule belongs to an article.
    pub enforces: Option<String>,
}

/// A rule's heading, how to comply and what it enforces: written here once.
pub fn rule_summary(policy: &Policy, rule: &crate::check::RuleDef) -> RuleSummary {
    RuleSummary {
        heading: format!("{} ({}) — {}", rule.id, rule.severity, rule.title),
        how_to_comply: rule.help.clone(),
        enforces: policy
            .article_quote(rule)
            .map(|quote| format!("what it enforces: {quote}")),
    }
}
