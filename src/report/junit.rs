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

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use super::sanitise;
use crate::audit::Outcome;
use crate::check::{Policy, RuleDef};
use crate::finding::Finding;

/// A testcase: which rule, about what, and the findings that fail it. A large set judges
/// hundreds of thousands, so a case is kept small: its texts borrowed, its findings elsewhere.
struct Case<'a> {
    /// The rule's place among the policy's rules (declared, then implicit).
    place: u32,
    /// Its findings' place in [`Cases::findings`]; [`NO_FINDINGS`] for a case that passes.
    findings: u32,
    subject: &'a str,
    file: Option<&'a str>,
}

const NO_FINDINGS: u32 = u32::MAX;

impl Case<'_> {
    /// What the audit orders what it judged by: the rule, then the subject, then the file.
    fn key(&self) -> (u32, &str, Option<&str>) {
        (self.place, self.subject, self.file)
    }
}

/// The cases, and the findings of those that have some.
struct Cases<'a> {
    cases: Vec<Case<'a>>,
    findings: Vec<Vec<&'a Finding>>,
}

impl<'a> Cases<'a> {
    fn findings_of(&self, case: &Case<'_>) -> &[&'a Finding] {
        match case.findings {
            NO_FINDINGS => &[],
            i => &self.findings[i as usize],
        }
    }

    /// Adds `finding` to the findings of the case at `i`.
    fn add(&mut self, i: usize, finding: &'a Finding) {
        let case = &mut self.cases[i];
        if case.findings == NO_FINDINGS {
            case.findings = u32::try_from(self.findings.len()).expect("fewer findings");
            self.findings.push(Vec::new());
        }
        self.findings[case.findings as usize].push(finding);
    }
}

/// The report as one text.
pub fn document(policy: &Policy, outcome: &Outcome) -> String {
    super::text_of(|out| write(policy, outcome, out))
}

/// Writes the report to `out` as it is made: at a million records it is hundreds of megabytes,
/// never held whole.
pub fn write(policy: &Policy, outcome: &Outcome, out: &mut dyn Write) -> std::io::Result<()> {
    let rules: Vec<&RuleDef> = policy.all_rules().collect();
    let place: HashMap<&str, u32> = (rules.iter().enumerate())
        .map(|(i, rule)| (rule.id.as_str(), u32::try_from(i).expect("fewer rules")))
        .collect();
    // A case for each rule and subject the audit judged, in its order, which puts a case given
    // twice next to itself.
    let mut all = Cases {
        cases: Vec::new(),
        findings: Vec::new(),
    };
    for judged in &outcome.judged {
        let Some(rule) =
            (policy.rules.get(judged.rule)).and_then(|_| u32::try_from(judged.rule).ok())
        else {
            continue;
        };
        let case = Case {
            place: rule,
            findings: NO_FINDINGS,
            subject: &judged.subject,
            file: judged.file.as_deref(),
        };
        if all.cases.last().is_none_or(|last| last.key() != case.key()) {
            all.cases.push(case);
        }
    }
    let judged_cases = all.cases.len();
    // A grouped period finding is judged as "2024-10 S-7", as the audit names its case.
    let subjects: Vec<Cow<'_, str>> = (outcome.findings.iter())
        .map(|finding| match (&finding.period, &finding.group) {
            (Some(period), Some(group)) => Cow::Owned(format!("{period} {group}")),
            (Some(period), None) => Cow::Borrowed(period.as_str()),
            _ => Cow::Borrowed(finding.record.as_deref().unwrap_or_default()),
        })
        .collect();
    // Each finding joins its case, found by its key among those judged, or one of its own.
    let mut unjudged: HashMap<(u32, Option<&str>, &str), usize> = HashMap::new();
    for (finding, subject) in outcome.findings.iter().zip(&subjects) {
        let Some(&rule) = place.get(finding.rule.as_str()) else {
            continue;
        };
        let file = finding.file.as_deref();
        let key = (rule, &**subject, file);
        let among_judged = all.cases[..judged_cases].binary_search_by(|c| c.key().cmp(&key));
        let i = match among_judged {
            Ok(i) => i,
            Err(_) => *unjudged.entry((rule, file, subject)).or_insert_with(|| {
                all.cases.push(Case {
                    place: rule,
                    findings: NO_FINDINGS,
                    subject,
                    file,
                });
                all.cases.len() - 1
            }),
        };
        all.add(i, finding);
    }
    // Set rules that found nothing (and refused no input) pass, once, for the whole set.
    let with_cases: HashSet<u32> = all.cases.iter().map(|c| c.place).collect();
    for (i, rule) in (0..).zip(&rules) {
        let refused = || {
            outcome
                .bad_inputs
                .iter()
                .any(|b| b.diagnostic.code == rule.id)
        };
        if rule.id.starts_with("set.") && !with_cases.contains(&i) && !refused() {
            all.cases.push(Case {
                place: i,
                findings: NO_FINDINGS,
                subject: "the record set",
                file: None,
            });
        }
    }

    // Each rule's cases in the order found, the rules in policy order.
    let mut in_order: Vec<&Case<'_>> = all.cases.iter().collect();
    in_order.sort_by_key(|case| case.place);
    let mut record_set = Vec::new();
    let mut by_article: BTreeMap<u32, Vec<&Case<'_>>> = BTreeMap::new();
    for case in in_order {
        let rule = rules[case.place as usize];
        match rule.article.filter(|_| !rule.id.starts_with("set.")) {
            Some(number) => by_article.entry(number).or_default().push(case),
            None => record_set.push(case),
        }
    }
    let mut suites: Vec<(String, Vec<&Case<'_>>)> = vec![("record set".into(), record_set)];
    for (number, cases) in by_article {
        let title = policy
            .articles
            .get(&number)
            .map_or(String::new(), |a| format!(" — {}", a.title));
        suites.push((format!("article {number}{title}"), cases));
    }

    // The totals head the document: counted first, then the document is written once.
    let errors = outcome.bad_inputs.len();
    let tests = suites.iter().map(|(_, cases)| cases.len()).sum::<usize>() + errors;
    let failures: usize = (suites.iter())
        .map(|(_, cases)| {
            cases
                .iter()
                .filter(|c| is_failure(all.findings_of(c)))
                .count()
        })
        .sum();
    // The XSD has no `skipped` on `<testsuites>`: each suite counts its own.
    writeln!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"bylaw: {}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">",
        Escaped(&policy.name)
    )?;
    for (name, cases) in &suites {
        let failed = (cases.iter()).filter(|c| is_failure(all.findings_of(c)));
        let waived = (cases.iter()).filter(|c| is_skipped(all.findings_of(c)));
        let (failed, waived) = (failed.count(), waived.count());
        writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"{waived}\">",
            Escaped(name),
            cases.len()
        )?;
        for case in cases {
            let rule = rules[case.place as usize];
            write_case(out, policy, (rule, case), all.findings_of(case))?;
        }
        out.write_all(b"  </testsuite>\n")?;
    }
    if errors > 0 {
        writeln!(
            out,
            "  <testsuite name=\"bad input\" tests=\"{errors}\" failures=\"0\" errors=\"{errors}\" skipped=\"0\">"
        )?;
        for bad in &outcome.bad_inputs {
            let place = location(Some(&bad.file), bad.line, bad.column);
            let name = match (bad.line, bad.column) {
                (Some(l), Some(c)) => format!("{} at {l}:{c}", bad.diagnostic.code),
                (Some(l), None) => format!("{} at line {l}", bad.diagnostic.code),
                _ => bad.diagnostic.code.clone(),
            };
            writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">\n      <error message=\"{}\">{}</error>\n    </testcase>",
                Escaped(&bad.file),
                Escaped(&name),
                Escaped(&bad.message),
                Escaped(&format!("{place}: {}", bad.message))
            )?;
        }
        out.write_all(b"  </testsuite>\n")?;
    }
    out.write_all(b"</testsuites>\n")
}

/// A case fails on a finding that binds: not waived, and not known from the baseline.
fn is_failure(findings: &[&Finding]) -> bool {
    findings.iter().any(|f| !f.waived && f.new != Some(false))
}

fn is_skipped(findings: &[&Finding]) -> bool {
    !findings.is_empty() && !is_failure(findings)
}

fn write_case(
    out: &mut dyn Write,
    policy: &Policy,
    (rule, case): (&RuleDef, &Case<'_>),
    findings: &[&Finding],
) -> std::io::Result<()> {
    // The file the case is about; a case with no file judged the whole set or a period.
    let class = case.file.unwrap_or(if rule.id.starts_with("set.") {
        "the record set"
    } else {
        "the period"
    });
    write!(
        out,
        "    <testcase classname=\"{}\" name=\"{} {}\"",
        Escaped(class),
        Escaped(&rule.id),
        Escaped(case.subject)
    )?;
    let Some(first) = findings.first() else {
        return out.write_all(b"/>\n");
    };
    out.write_all(b">\n")?;
    let details: Vec<String> = findings.iter().map(|f| detail(policy, f)).collect();
    if is_failure(findings) {
        let unwaived = (findings.iter())
            .find(|f| !f.waived && f.new != Some(false))
            .unwrap_or(first);
        writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            unwaived.severity,
            Escaped(&unwaived.message),
            Escaped(&details.join("\n\n"))
        )?;
    } else if findings.iter().any(|f| f.new == Some(false)) {
        out.write_all(b"      <skipped message=\"known finding, in the baseline\"/>\n")?;
    } else {
        writeln!(
            out,
            "      <skipped message=\"{}\">{}</skipped>",
            Escaped(&format!("waived: {}", first.message)),
            Escaped(&details.join("\n\n"))
        )?;
    }
    out.write_all(b"    </testcase>\n")
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
/// such as `\u{1b}`; newlines stay. Written where it is formatted, with nothing allocated.
struct Escaped<'a>(&'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = sanitise::block(self.0);
        let mut rest: &str = &text;
        // Runs with nothing to escape are written whole.
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&apos;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::Escaped;

    #[test]
    fn escapes_markup_and_shows_what_xml_cannot_hold() {
        assert_eq!(
            Escaped("a<b & \"c\"\u{1}\u{1b}[2J\u{202e}").to_string(),
            "a&lt;b &amp; &quot;c&quot;\\u{1}\\u{1b}[2J&lt;U+202E&gt;"
        );
    }
}
