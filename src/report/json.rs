//! `--format json` and `--format jsonl`, exactly as the output contract describes them.

use std::io::{self, Write};

use serde::{Serialize, Serializer};

use crate::audit::Outcome;
use crate::check::Policy;
use crate::finding::{BadInput, Finding, Summary};

/// The keys of the JSON report's document, of a finding in it (and a line of the JSON Lines
/// report), and of the JSON Lines report's last line: what an earlier report holds, told from
/// records `-o` must not write over ([`super::Written::writes`]).
pub const DOCUMENT_KEYS: [&str; 6] = [
    "version",
    "policy",
    "period",
    "summary",
    "findings",
    "bad_inputs",
];
pub const FINDING_KEYS: [&str; 15] = [
    "rule",
    "article",
    "severity",
    "waived",
    "message",
    "record",
    "file",
    "line",
    "column",
    "pointer",
    "period",
    "group",
    "counted",
    "fingerprint",
    "new",
];
pub const LAST_LINE_KEYS: [&str; 2] = ["summary", "bad_inputs"];

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    policy: PolicyRef<'a>,
    period: Option<PeriodOut>,
    summary: SummaryOut,
    findings: Findings<'a>,
    bad_inputs: Vec<BadOut<'a>>,
}

/// The findings, each turned into its output as it is written: a report of a million findings
/// is not held in memory as well as them.
struct Findings<'a>(&'a [Box<Finding>]);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|f| finding(f)))
    }
}

#[derive(Serialize)]
struct PolicyRef<'a> {
    name: &'a str,
    source: Option<&'a str>,
}

#[derive(Serialize)]
struct PeriodOut {
    from: String,
    to: String,
}

#[derive(Serialize)]
struct SummaryOut {
    files: usize,
    ignored_files: usize,
    records: usize,
    bad_inputs: usize,
    errors: usize,
    warnings: usize,
    waived: usize,
    /// Only against a baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    new: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<usize>,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule: &'a str,
    article: Option<u32>,
    severity: &'a str,
    waived: bool,
    message: &'a str,
    record: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    pointer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<&'a str>,
    /// Only for a rule that counts `by` group.
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    counted: &'a [String],
    fingerprint: &'a str,
    /// Only against a baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    new: Option<bool>,
}

#[derive(Serialize)]
struct BadOut<'a> {
    file: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
}

fn summary(s: &Summary) -> SummaryOut {
    SummaryOut {
        files: s.files,
        ignored_files: s.ignored_files,
        records: s.records,
        bad_inputs: s.bad_inputs,
        errors: s.errors,
        warnings: s.warnings,
        waived: s.waived,
        new: s.new,
        fixed: s.fixed,
    }
}

fn finding(f: &Finding) -> FindingOut<'_> {
    FindingOut {
        rule: &f.rule,
        article: f.article.filter(|_| !f.rule.starts_with("set.")),
        severity: f.severity.as_str(),
        waived: f.waived,
        message: &f.message,
        record: f.record.as_deref(),
        file: f.file.as_deref(),
        line: f.line,
        column: f.column,
        pointer: f.pointer.as_deref(),
        period: f.period.as_deref(),
        group: f.group.as_deref(),
        counted: &f.counted,
        fingerprint: &f.fingerprint,
        new: f.new,
    }
}

fn bad(b: &BadInput) -> BadOut<'_> {
    BadOut {
        file: &b.file,
        line: b.line,
        column: b.column,
        message: &b.message,
    }
}

/// One JSON document.
pub fn document(policy: &Policy, outcome: &Outcome) -> String {
    super::text_of(|out| write_document(policy, outcome, out))
}

/// [`document`], written as it is made.
pub fn write_document(policy: &Policy, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        version: 1,
        policy: PolicyRef {
            name: &policy.name,
            source: policy.source_document(),
        },
        period: outcome.period.map(|p| PeriodOut {
            from: p.from.to_string(),
            to: p.to.to_string(),
        }),
        summary: summary(&outcome.summary),
        findings: Findings(&outcome.findings),
        bad_inputs: outcome.bad_inputs.iter().map(bad).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

/// The JSON Lines report's last line.
#[derive(Serialize)]
struct Last<'a> {
    summary: SummaryOut,
    bad_inputs: Vec<BadOut<'a>>,
}

/// One finding per line, then the summary line.
pub fn lines(outcome: &Outcome) -> String {
    super::text_of(|out| write_lines(outcome, out))
}

/// [`lines`], written as it is made.
pub fn write_lines(outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    for f in &outcome.findings {
        serde_json::to_writer(&mut *out, &finding(f))?;
        out.write_all(b"\n")?;
    }
    let last = Last {
        summary: summary(&outcome.summary),
        bad_inputs: outcome.bad_inputs.iter().map(bad).collect(),
    };
    serde_json::to_writer(&mut *out, &last)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of `value`'s object, and those `told`, each sorted.
    fn sorted(value: &impl Serialize, told: &[&str]) -> (Vec<String>, Vec<String>) {
        let value = serde_json::to_value(value).expect("serialises");
        let object = value.as_object().expect("an object");
        let mut written: Vec<String> = object.keys().cloned().collect();
        let mut told: Vec<String> = told.iter().map(|k| k.to_string()).collect();
        written.sort();
        told.sort();
        (written, told)
    }

    /// The keys an earlier report is told by are the keys the reports write, every optional one
    /// included.
    #[test]
    fn the_keys_a_report_is_told_by_are_those_it_writes() {
        let summary = || SummaryOut {
            files: 1,
            ignored_files: 0,
            records: 1,
            bad_inputs: 0,
            errors: 1,
            warnings: 0,
            waived: 0,
            new: Some(1),
            fixed: Some(0),
        };
        let counted = ["a".to_string()];
        let finding = FindingOut {
            rule: "r",
            article: Some(1),
            severity: "error",
            waived: false,
            message: "m",
            record: Some("a"),
            file: Some("f"),
            line: Some(1),
            column: Some(1),
            pointer: Some("/id"),
            period: Some("2011-W27"),
            group: Some("g"),
            counted: &counted,
            fingerprint: "x",
            new: Some(true),
        };
        let (written, told) = sorted(&finding, &FINDING_KEYS);
        assert_eq!(written, told);
        let document = Document {
            version: 1,
            policy: PolicyRef {
                name: "p",
                source: None,
            },
            period: None,
            summary: summary(),
            findings: Findings(&[]),
            bad_inputs: Vec::new(),
        };
        let (written, told) = sorted(&document, &DOCUMENT_KEYS);
        assert_eq!(written, told);
        let last = Last {
            summary: summary(),
            bad_inputs: Vec::new(),
        };
        let (written, told) = sorted(&last, &LAST_LINE_KEYS);
        assert_eq!(written, told);
    }
}
