//! The one presenter: how a finding reads, whatever shows it. Every format and the language
//! server take a finding's text from here, so a decoration (known from a baseline, waived, the
//! period, the record in the header, how to comply) is written once.

use crate::audit::Finding;
use crate::check::Policy;

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
    // The diagnostic's code is the rule and its article (`38.1 · article 38`).
    let header = match &finding.record {
        Some(record) => format!("{} · {record}", finding.diagnostic.code),
        None => finding.diagnostic.code.clone(),
    };
    Presented {
        header,
        message,
        how_to_comply: policy.rule(&finding.rule).and_then(|r| r.help.clone()),
    }
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
            fingerprint: String::new(),
            new: None,
            require: None,
            diagnostic: crate::diagnostic::Diagnostic::error(rule, "x"),
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
