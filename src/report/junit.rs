//! `--format junit`: JUnit XML for CI test dashboards. One testsuite per article, one testcase per
//! rule and record it judged (or period, for the rules that count meetings), so passing cases
//! show too. A finding is a `<failure>` (its `type` is the severity); a case whose findings are all
//! waived (or, against a baseline, known from it) is `<skipped>`. Set-level rules get a case per record they found something in, or one
//! passing case for the whole set; bad inputs are `<error>` cases in a suite of their own.
//!
//! The document is valid for the JUnit XSD that Jenkins uses (`tests/schemas/junit-10.xsd`): a
//! testcase has only `classname` (the file, so dashboards group cases by file), `name` (the rule
//! and what it judged) and no `file` attribute (GitLab's extension); the line is in the failure's
//! text.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::sanitise;
use crate::audit::Outcome;
use crate::check::Policy;
use crate::finding::Finding;

/// A testcase: which rule, about what, and the findings that fail it.
struct Case<'a> {
    rule: &'a str,
    subject: String,
    file: Option<&'a str>,
    findings: Vec<&'a Finding>,
}

pub fn document(policy: &Policy, outcome: &Outcome) -> String {
    // Cases by (rule, file, subject), in the order the audit judged them.
    let mut cases: Vec<Case<'_>> = Vec::new();
    let mut index: BTreeMap<(&str, Option<&str>, String), usize> = BTreeMap::new();
    for judged in &outcome.judged {
        let key = (
            judged.rule.as_str(),
            judged.file.as_deref(),
            judged.subject.clone(),
        );
        if let std::collections::btree_map::Entry::Vacant(slot) = index.entry(key) {
            slot.insert(cases.len());
            cases.push(Case {
                rule: &judged.rule,
                subject: judged.subject.clone(),
                file: judged.file.as_deref(),
                findings: Vec::new(),
            });
        }
    }
    for finding in &outcome.findings {
        // A grouped period finding is judged as "2024-10 S-7", as the audit names its case.
        let subject = match (&finding.period, &finding.group) {
            (Some(period), Some(group)) => format!("{period} {group}"),
            (Some(period), None) => period.clone(),
            _ => finding.record.clone().unwrap_or_default(),
        };
        let key = (
            finding.rule.as_str(),
            finding.file.as_deref(),
            subject.clone(),
        );
        match index.get(&key) {
            Some(&i) => cases[i].findings.push(finding),
            None => {
                index.insert(key, cases.len());
                cases.push(Case {
                    rule: &finding.rule,
                    subject,
                    file: finding.file.as_deref(),
                    findings: vec![finding],
                });
            }
        }
    }
    // Set rules that found nothing (and refused no input) pass, once, for the whole set.
    for rule in policy.all_rules().filter(|r| r.id.starts_with("set.")) {
        let refused = outcome
            .bad_inputs
            .iter()
            .any(|b| b.diagnostic.code == rule.id);
        if !refused && !cases.iter().any(|c| c.rule == rule.id) {
            cases.push(Case {
                rule: &rule.id,
                subject: "the record set".into(),
                file: None,
                findings: Vec::new(),
            });
        }
    }

    let mut suites: Vec<(String, Vec<&Case<'_>>)> = Vec::new();
    let mut record_set = Vec::new();
    let mut by_article: BTreeMap<u32, Vec<&Case<'_>>> = BTreeMap::new();
    for rule in policy.all_rules() {
        for case in cases.iter().filter(|c| c.rule == rule.id) {
            match rule.article.filter(|_| !rule.id.starts_with("set.")) {
                Some(number) => by_article.entry(number).or_default().push(case),
                None => record_set.push(case),
            }
        }
    }
    suites.push(("record set".to_string(), record_set));
    for (number, cases) in by_article {
        let title = policy
            .articles
            .get(&number)
            .map_or(String::new(), |a| format!(" — {}", a.title));
        suites.push((format!("article {number}{title}"), cases));
    }

    let mut body = String::new();
    let (mut tests, mut failures) = (0, 0);
    for (name, cases) in &suites {
        let failed = cases.iter().filter(|c| is_failure(c)).count();
        let waived = cases.iter().filter(|c| is_skipped(c)).count();
        let _ = writeln!(
            body,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"{waived}\">",
            escape(name),
            cases.len()
        );
        for case in cases {
            write_case(&mut body, policy, case);
        }
        body.push_str("  </testsuite>\n");
        tests += cases.len();
        failures += failed;
    }
    let errors = outcome.bad_inputs.len();
    if errors > 0 {
        let _ = writeln!(
            body,
            "  <testsuite name=\"bad input\" tests=\"{errors}\" failures=\"0\" errors=\"{errors}\" skipped=\"0\">"
        );
        for bad in &outcome.bad_inputs {
            let place = location(Some(&bad.file), bad.line, bad.column);
            let name = match (bad.line, bad.column) {
                (Some(l), Some(c)) => format!("{} at {l}:{c}", bad.diagnostic.code),
                (Some(l), None) => format!("{} at line {l}", bad.diagnostic.code),
                _ => bad.diagnostic.code.clone(),
            };
            let _ = writeln!(
                body,
                "    <testcase classname=\"{}\" name=\"{}\">\n      <error message=\"{}\">{}</error>\n    </testcase>",
                escape(&bad.file),
                escape(&name),
                escape(&bad.message),
                escape(&format!("{place}: {}", bad.message))
            );
        }
        body.push_str("  </testsuite>\n");
        tests += errors;
    }
    // The XSD has no `skipped` on `<testsuites>`: each suite counts its own.
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"bylaw: {}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n{body}</testsuites>\n",
        escape(&policy.name)
    )
}

/// A case fails on a finding that binds: not waived, and not known from the baseline.
fn is_failure(case: &Case<'_>) -> bool {
    case.findings
        .iter()
        .any(|f| !f.waived && f.new != Some(false))
}

fn is_skipped(case: &Case<'_>) -> bool {
    !case.findings.is_empty() && !is_failure(case)
}

fn write_case(out: &mut String, policy: &Policy, case: &Case<'_>) {
    // The file the case is about; a case with no file judged the whole set or a period.
    let class = case.file.unwrap_or(if case.rule.starts_with("set.") {
        "the record set"
    } else {
        "the period"
    });
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{} {}\"",
        escape(class),
        escape(case.rule),
        escape(&case.subject)
    );
    if case.findings.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    let details: Vec<String> = case.findings.iter().map(|f| detail(policy, f)).collect();
    let first = case.findings[0];
    if is_failure(case) {
        let unwaived = case
            .findings
            .iter()
            .find(|f| !f.waived && f.new != Some(false))
            .unwrap_or(&first);
        let _ = writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            unwaived.severity,
            escape(&unwaived.message),
            escape(&details.join("\n\n"))
        );
    } else if case.findings.iter().any(|f| f.new == Some(false)) {
        out.push_str("      <skipped message=\"known finding, in the baseline\"/>\n");
    } else {
        let _ = writeln!(
            out,
            "      <skipped message=\"{}\">{}</skipped>",
            escape(&format!("waived: {}", first.message)),
            escape(&details.join("\n\n"))
        );
    }
    out.push_str("    </testcase>\n");
}

/// A finding in full: where, what, and how to comply.
fn detail(policy: &Policy, f: &Finding) -> String {
    let presented = super::present::present(policy, f);
    let mut text = format!("{} {}: {}", f.severity, f.rule, presented.message);
    let place = location(f.file.as_deref(), f.line, f.column);
    if !place.is_empty() {
        text.push_str(&format!("\nat {place}"));
        if let Some(pointer) = &f.pointer {
            text.push_str(&format!(" ({pointer})"));
        }
    }
    if let Some(help) = &presented.how_to_comply {
        text.push_str(&format!("\nhow to comply: {help}"));
    }
    text.push_str(&format!("\nfingerprint: {}", f.fingerprint));
    text
}

fn location(file: Option<&str>, line: Option<usize>, column: Option<usize>) -> String {
    match (file, line, column) {
        (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
        (Some(f), Some(l), None) => format!("{f}:{l}"),
        (Some(f), _, _) => f.to_string(),
        _ => String::new(),
    }
}

/// XML text and attribute escaping, after the sanitiser: control characters (which XML 1.0
/// cannot hold even as `&#x1b;`), bidirectional and invisible characters become visible escapes
/// such as `\u{1b}`; newlines stay.
fn escape(text: &str) -> String {
    let text = sanitise::block(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_shows_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}\u{1b}[2J\u{202e}"),
            "a&lt;b &amp; &quot;c&quot;\\u{1}\\u{1b}[2J&lt;U+202E&gt;"
        );
    }
}
