//! `--format json` and `--format jsonl`, exactly as the output contract describes them.

use serde::Serialize;

use crate::audit::Outcome;
use crate::check::Policy;
use crate::finding::{BadInput, Finding, Summary};

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    policy: PolicyRef<'a>,
    period: Option<PeriodOut>,
    summary: SummaryOut,
    findings: Vec<FindingOut<'a>>,
    bad_inputs: Vec<BadOut<'a>>,
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

fn to_string<T: Serialize>(value: &T, pretty: bool) -> String {
    let result = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    // Serializing plain structs of strings and numbers cannot fail.
    result.unwrap_or_default()
}

/// One JSON document.
pub fn document(policy: &Policy, outcome: &Outcome) -> String {
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
        findings: outcome.findings.iter().map(finding).collect(),
        bad_inputs: outcome.bad_inputs.iter().map(bad).collect(),
    };
    to_string(&doc, true) + "\n"
}

/// One finding per line, then the summary line.
pub fn lines(outcome: &Outcome) -> String {
    let mut out = String::new();
    for f in &outcome.findings {
        out.push_str(&to_string(&finding(f), false));
        out.push('\n');
    }
    #[derive(Serialize)]
    struct Last<'a> {
        summary: SummaryOut,
        bad_inputs: Vec<BadOut<'a>>,
    }
    let last = Last {
        summary: summary(&outcome.summary),
        bad_inputs: outcome.bad_inputs.iter().map(bad).collect(),
    };
    out.push_str(&to_string(&last, false));
    out.push('\n');
    out
}
