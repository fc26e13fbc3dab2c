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

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
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
        match finding.as_ref().and_then(Json::as_str) {
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
/// thousands of findings, which as one tree of values took several times the file's size. Every
/// value is still read as a value, one at a time, and dropped: what a tree refuses (a number out
/// of range, a lone surrogate, nesting too deep) is refused the same.
struct Report {
    version: Option<Json>,
    policy: Option<Json>,
    /// Each finding's fingerprint, if it is an object that gives one; `None` when the report
    /// has no list of findings.
    findings: Option<Vec<Option<Json>>>,
}

impl Report {
    /// The report in `source`; `None` when the JSON is not an object. A text that is not read as
    /// an object is read whole, as a tree, so that what is said of it is said of any JSON.
    fn read(source: &SourceFile) -> Result<Option<Report>, serde_json::Error> {
        if let Ok(report) = serde_json::from_str(&source.text) {
            return Ok(Some(report));
        }
        let doc: Json = serde_json::from_str(&source.text)?;
        let Some(top) = doc.as_object() else {
            return Ok(None);
        };
        let findings = (top.get("findings").and_then(Json::as_array)).map(|findings| {
            let prints = findings.iter().map(|f| f.get("fingerprint").cloned());
            prints.collect()
        });
        Ok(Some(Report {
            version: top.get("version").cloned(),
            policy: top.get("policy").cloned(),
            findings,
        }))
    }
}

impl<'de> Deserialize<'de> for Report {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Report, D::Error> {
        deserializer.deserialize_map(ReportVisitor)
    }
}

struct ReportVisitor;

impl<'de> Visitor<'de> for ReportVisitor {
    type Value = Report;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a report")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Report, A::Error> {
        let mut report = Report {
            version: None,
            policy: None,
            findings: None,
        };
        // A key given again keeps its last value, as a tree keeps it.
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "version" => report.version = Some(map.next_value()?),
                "policy" => report.policy = Some(map.next_value()?),
                "findings" => report.findings = map.next_value::<Findings>()?.0,
                _ => drop(map.next_value::<Json>()?),
            }
        }
        Ok(report)
    }
}

/// A report's `findings`: each finding read as a value for its fingerprint, then dropped;
/// `None` for what is not a list.
struct Findings(Option<Vec<Option<Json>>>);

impl<'de> Deserialize<'de> for Findings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Findings, D::Error> {
        deserializer.deserialize_any(FindingsVisitor)
    }
}

struct FindingsVisitor;

impl<'de> Visitor<'de> for FindingsVisitor {
    type Value = Findings;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Findings, A::Error> {
        let mut prints = Vec::new();
        while let Some(finding) = seq.next_element::<Json>()? {
            prints.push(finding.get("fingerprint").cloned());
        }
        Ok(Findings(Some(prints)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Findings, A::Error> {
        while map.next_entry::<String, Json>()?.is_some() {}
        Ok(Findings(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Findings, E> {
        Ok(Findings(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Findings, E> {
        Ok(Findings(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Findings, E> {
        Ok(Findings(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Findings, E> {
        Ok(Findings(None))
    }

    fn visit_str<E>(self, _: &str) -> Result<Findings, E> {
        Ok(Findings(None))
    }

    fn visit_unit<E>(self) -> Result<Findings, E> {
        Ok(Findings(None))
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
        let known = baseline.fingerprints.contains(&*f.fingerprint);
        f.new = Some(!known);
        new += usize::from(!known);
        found.insert(&*f.fingerprint);
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
        // A finding written as a list is no object, whatever it holds.
        let listed =
            format!(r#"{{"version": 1, "policy": {{"name": "p"}}, "findings": [["{print}"]]}}"#);
        assert!(message(&listed).ends_with("finding 0 has no `fingerprint` @ Some((1, 54))"));
        // What is not read for the baseline is still read, and refused as any JSON is.
        let head = r#"{"version": 1, "policy": {"name": "p"}, "findings": [], "x": "#;
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for (value, refused) in [
            ("1e999", "number out of range"),
            (r#""\ud800""#, "unexpected end of hex escape"),
            (r#""\udc00""#, "lone leading surrogate in hex escape"),
            (deep.as_str(), "recursion limit exceeded"),
        ] {
            let said = message(&format!("{head}{value}}}"));
            assert!(
                said.contains(&format!("is not JSON: {refused} @")),
                "{value}: {said}"
            );
        }
    }
}
