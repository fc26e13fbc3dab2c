//! Baselines: an earlier `--format json` report, read back, and which findings of this run it
//! already held. A pipeline that adopts bylaw on old records fails only on what is new.
//!
//! It sits beside the JSON report because it reads that report's shape; the audit itself knows
//! nothing of earlier runs. Findings are matched by their fingerprint alone (see
//! [`crate::audit::fingerprint`]), so a re-indented, reordered or renamed file changes nothing.
//! A file that cannot be a baseline is refused with its place, never taken as "everything is
//! new": a pipeline that silently failed on every old finding would teach people to drop the flag.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::audit::Outcome;
use crate::diagnostic::{Diagnostic, Label};
use crate::records::locate::locate;
use crate::records::pointer::Pointer;
use crate::source::{SourceFile, Span};

/// The fingerprints of an earlier report's findings.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    fingerprints: HashSet<String>,
}

const HELP: &str = "a baseline is a report written by `bylaw check --format json`";

/// Reads a baseline from the bytes of the file named `name`, written for the policy named
/// `policy`. The error is located in the file where the problem has a place.
pub fn read(name: &str, bytes: Vec<u8>, policy: &str) -> Result<Baseline, Box<Diagnostic>> {
    let source = SourceFile::decode(name, bytes).map_err(|bad| {
        let message = format!("the baseline `{name}` is not UTF-8 text");
        located(&bad.source, bad.at, message, "not UTF-8")
    })?;
    let report = Report::read(&source).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        let at = source.offset_of(line, column.max(1));
        let what = e.to_string();
        // serde_json ends its message with the place, which the label shows.
        let what = what
            .rsplit_once(" at line ")
            .map_or(what.as_str(), |(m, _)| m);
        let message = format!("the baseline `{name}` is not JSON: {what}");
        located(&source, Span::new(at, at), message, "here")
    })?;
    let not_a_report = |pointer: Pointer, what: &str| {
        let span = locate(&source.text, 0, &pointer).map_or(Span::new(0, 0), |l| l.span);
        let message = format!("the baseline `{name}` is not a bylaw report: {what}");
        located(&source, span, message, "here")
    };
    let Some(top) = report else {
        return Err(not_a_report(Pointer::root(), "it is not a JSON object"));
    };
    if top.version != Some(Json::from(1)) {
        let what = "it has no `\"version\": 1`";
        return Err(not_a_report(Pointer::root().key("version"), what));
    }
    match top.policy.as_ref().and_then(|p| p.get("name")) {
        Some(Json::String(theirs)) if theirs == policy => {}
        Some(Json::String(theirs)) => {
            let pointer = Pointer::root().key("policy").key("name");
            let span = locate(&source.text, 0, &pointer).map_or(Span::new(0, 0), |l| l.span);
            let message = format!(
                "the baseline `{name}` is a report of the policy `{theirs}`, not `{policy}`"
            );
            let mut d = located(&source, span, message, "this policy");
            d.help = Some(
                "a fingerprint names its policy, so no finding could match: write the baseline \
                 with the policy this run uses"
                    .into(),
            );
            return Err(d);
        }
        _ => {
            let pointer = Pointer::root().key("policy");
            return Err(not_a_report(pointer, "it names no policy"));
        }
    }
    let Some(findings) = &top.findings else {
        let what = "it has no `findings` list";
        return Err(not_a_report(Pointer::root().key("findings"), what));
    };
    let mut fingerprints = HashSet::with_capacity(findings.len());
    for (i, finding) in findings.iter().enumerate() {
        let pointer = Pointer::root().key("findings").index(i);
        match finding.fingerprint.as_ref().and_then(Json::as_str) {
            Some(print) if is_fingerprint(print) => {
                fingerprints.insert(print.to_string());
            }
            Some(print) => {
                let what = format!("`{print}` is not a fingerprint");
                return Err(not_a_report(pointer.key("fingerprint"), &what));
            }
            None => {
                let mut d = not_a_report(pointer, &format!("finding {i} has no `fingerprint`"));
                d.help = Some(
                    "the report was written by a bylaw without fingerprints: write it again with \
                     `bylaw check --format json`"
                        .into(),
                );
                return Err(d);
            }
        }
    }
    Ok(Baseline { fingerprints })
}

/// What a baseline is read for, and no more: a report of a large run holds hundreds of
/// thousands of findings, which as a tree of values took several times the file's size.
#[derive(serde::Deserialize)]
struct Report {
    version: Option<Json>,
    policy: Option<Json>,
    /// `None` when there is none, or it is not a list.
    findings: Option<Vec<Fingerprint>>,
}

/// A finding of a report, read for its fingerprint alone.
#[derive(serde::Deserialize)]
struct Fingerprint {
    fingerprint: Option<Json>,
}

impl Report {
    /// The report in `source`; `None` when the JSON is not an object. A text that is not read
    /// as a report's shape (a list where an object goes, a key given twice) is read whole, as a
    /// tree, so that what is said of it is said of any JSON.
    fn read(source: &SourceFile) -> Result<Option<Report>, serde_json::Error> {
        let text = source
            .text
            .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
        if text.starts_with('{') {
            if let Ok(report) = serde_json::from_str(&source.text) {
                return Ok(Some(report));
            }
        }
        let doc: Json = serde_json::from_str(&source.text)?;
        let Some(top) = doc.as_object() else {
            return Ok(None);
        };
        let findings = (top.get("findings").and_then(Json::as_array)).map(|findings| {
            (findings.iter())
                .map(|f| Fingerprint {
                    fingerprint: f.get("fingerprint").cloned(),
                })
                .collect()
        });
        Ok(Some(Report {
            version: top.get("version").cloned(),
            policy: top.get("policy").cloned(),
            findings,
        }))
    }
}

/// 32 lowercase hexadecimal digits, as [`crate::audit::fingerprint`] writes them.
fn is_fingerprint(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn located(source: &Arc<SourceFile>, span: Span, message: String, label: &str) -> Box<Diagnostic> {
    let diagnostic = Diagnostic::error("baseline", message)
        .in_file(source.clone())
        .with_label(Label::primary(span, label))
        .with_help(HELP);
    Box::new(diagnostic)
}

/// Marks each finding new or known, and counts the new findings and the baseline's findings that
/// are no longer found (fixed).
pub fn compare(baseline: &Baseline, outcome: &mut Outcome) {
    let mut new = 0;
    let mut found = HashSet::with_capacity(outcome.findings.len());
    for f in &mut outcome.findings {
        let known = baseline.fingerprints.contains(&f.fingerprint);
        f.new = Some(!known);
        new += usize::from(!known);
        found.insert(f.fingerprint.as_str());
    }
    let fixed = baseline
        .fingerprints
        .iter()
        .filter(|p| !found.contains(p.as_str()))
        .count();
    outcome.summary.new = Some(new);
    outcome.summary.fixed = Some(fixed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        match read("b.json", text.as_bytes().to_vec(), "p") {
            Ok(_) => "ok".into(),
            Err(d) => format!("{} @ {:?}", d.message, d.line_column()),
        }
    }

    #[test]
    fn what_is_not_a_report_is_refused_with_its_place() {
        assert_eq!(
            message("{\n  \"version\": 1,\n  oops"),
            "the baseline `b.json` is not JSON: key must be a string @ Some((3, 3))"
        );
        assert_eq!(
            message("[]"),
            "the baseline `b.json` is not a bylaw report: it is not a JSON object @ Some((1, 1))"
        );
        let no_print = r#"{"version": 1, "policy": {"name": "p"}, "findings": [{"rule": "38.1"}]}"#;
        assert!(message(no_print).ends_with("finding 0 has no `fingerprint` @ Some((1, 54))"));
        let other = r#"{"version": 1, "policy": {"name": "q"}, "findings": []}"#;
        assert!(message(other).contains("policy `q`, not `p`"));
        let ok = r#"{"version": 1, "policy": {"name": "p"}, "findings": []}"#;
        assert_eq!(message(ok), "ok");
        assert!(read("b.json", vec![b'{', 0xff], "p").is_err());
    }

    /// What is not a report's shape is read whole, as any JSON, and said of as before: a key
    /// given twice (its last value), a list or a number where an object or a list goes.
    #[test]
    fn a_text_not_of_a_reports_shape_is_read_as_any_json() {
        let print = "0123456789abcdef0123456789abcdef";
        let twice = format!(
            r#"{{"version": 2, "version": 1, "policy": {{"name": "p"}}, "findings": [{{"fingerprint": "{print}"}}]}}"#
        );
        let baseline = read("b.json", twice.into_bytes(), "p").expect("the last version is 1");
        assert!(baseline.fingerprints.contains(print));
        let not_a_list = r#"{"version": 1, "policy": {"name": "p"}, "findings": {"a": 1}}"#;
        assert!(message(not_a_list).contains("it has no `findings` list @ Some((1, 53))"));
        let a_number = r#"{"version": 1, "policy": {"name": "p"}, "findings": [7]}"#;
        assert!(message(a_number).ends_with("finding 0 has no `fingerprint` @ Some((1, 54))"));
        let not_text =
            r#"{"version": 1, "policy": {"name": "p"}, "findings": [{"fingerprint": 7}]}"#;
        assert!(message(not_text).ends_with("finding 0 has no `fingerprint` @ Some((1, 54))"));
    }
}
