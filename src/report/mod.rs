//! Stage 6: reports. Findings → the formats people and machines read.

pub mod baseline;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod present;
pub mod sanitise;
pub mod sarif;
pub mod window;

use crate::audit::Outcome;
use crate::diagnostic::Severity;

/// A report of bylaw's, by the format a text is written in: what `-o` may write over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Json,
    Sarif,
    Junit,
    Html,
    /// The JSON Lines report: a finding per line, then the summary.
    Lines,
    /// GitHub annotations.
    Annotations,
    Human,
    /// Blanks only: nothing to lose.
    Blank,
}

impl Written {
    /// Whether `object`, a JSON object read in the text as a record would be, is one this report
    /// writes: the JSON or SARIF document, a finding or summary line of the JSON Lines report,
    /// with no key the report does not write; or an empty object (`var f = {};` in the HTML
    /// report's script), which holds nothing. Any other object is a record, which no report
    /// holds (the others escape every quote), and which `-o` must not write over.
    pub fn writes(self, object: &crate::json::Json) -> bool {
        let Some(map) = object.as_object() else {
            return false;
        };
        if map.is_empty() {
            return true;
        }
        let within = |keys: &[&str], needed: &[&str]| {
            map.iter().all(|(k, _)| keys.contains(&k))
                && needed.iter().all(|k| map.get(k).is_some())
        };
        match self {
            Written::Json => within(&json::DOCUMENT_KEYS, &["version", "policy"]),
            Written::Sarif => within(&sarif::DOCUMENT_KEYS, &["$schema", "runs"]),
            Written::Lines => {
                within(&json::FINDING_KEYS, &["rule", "severity", "message"])
                    || within(&json::LAST_LINE_KEYS, &["summary"])
            }
            _ => false,
        }
    }
}

/// What report of bylaw's a text reads as, if any. A document report (JSON, SARIF, JUnit, HTML)
/// is told by how it begins; a report of lines (JSON Lines, GitHub annotations) by every line of
/// it; a human report by its totals (`checked …`, then `1 error, 0 warnings, …`), lines no JSON
/// holds, with no line that begins as a record's JSON does. A text may read as a report and still
/// hold records: whoever writes over it makes sure that every object read in it is one the report
/// writes ([`Written::writes`]).
pub fn written_report(mut text: impl std::io::BufRead) -> std::io::Result<Option<Written>> {
    let head = String::from_utf8_lossy(text.fill_buf()?).into_owned();
    let compact: String = (head.chars())
        .filter(|c| !c.is_whitespace())
        .take(120)
        .collect();
    let document = if compact.starts_with("{\"version\":") && compact.contains("\"policy\":{") {
        Some(Written::Json)
    } else if compact.starts_with("{\"$schema\":\"https://json.schemastore.org/sarif-") {
        Some(Written::Sarif)
    } else if compact
        .starts_with("<?xmlversion=\"1.0\"encoding=\"UTF-8\"?><testsuitesname=\"bylaw:")
    {
        Some(Written::Junit)
    } else if compact.starts_with("<!DOCTYPEhtml>") && head.contains("<title>bylaw audit report:") {
        Some(Written::Html)
    } else {
        None
    };
    if document.is_some() {
        return Ok(document);
    }
    let finding = |line: &str| {
        line.starts_with("{\"rule\":") && line.contains("\"severity\":")
            || line.starts_with("{\"summary\":{\"files\":")
    };
    let annotation = |line: &str| line.starts_with("::") || line.starts_with("bylaw: ");
    // Each true of every line that is not blank: true of a text of blanks only.
    let (mut findings, mut annotations, mut human) = (true, true, true);
    let (mut blank, mut totals, mut previous) = (true, false, String::new());
    for line in text.lines() {
        let line = line?;
        let begins = line.trim_start_matches(['\u{feff}', ' ', '\t', '\r']);
        if begins.is_empty() {
            continue;
        }
        blank = false;
        findings &= finding(&line);
        annotations &= annotation(&line);
        human &= !begins.starts_with(['{', '[']);
        if !(findings || annotations || human) {
            return Ok(None);
        }
        totals |= human::is_checked_line(&previous) && human::is_totals_line(&line);
        previous = line;
    }
    let written = if blank {
        Written::Blank
    } else if findings {
        Written::Lines
    } else if annotations {
        Written::Annotations
    } else if human && totals {
        Written::Human
    } else {
        return Ok(None);
    };
    Ok(Some(written))
}

/// The text a report written as it is made ([`json::write_document`], [`json::write_lines`],
/// [`github::write`], [`junit::write`], [`sarif::write`], [`html::write`]) writes, whole: for a
/// caller that keeps the text, such as a test.
fn text_of(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut text = Vec::new();
    write(&mut text).expect("a vector takes every write");
    String::from_utf8(text).expect("a report is written from texts")
}

/// The exit status the output contract gives an outcome. Against a baseline, only new findings
/// count: a finding the baseline already held was accepted when the baseline was written.
pub fn exit_code(outcome: &Outcome, deny_warnings: bool) -> u8 {
    if !outcome.bad_inputs.is_empty() {
        return 2;
    }
    let failing = outcome.findings.iter().any(|f| {
        !f.waived
            && f.new != Some(false)
            && (f.severity == Severity::Error || (deny_warnings && f.severity == Severity::Warning))
    });
    u8::from(failing)
}

#[cfg(test)]
mod tests {
    use super::{written_report, Written};

    fn written(text: &str) -> Option<Written> {
        written_report(text.as_bytes()).expect("read")
    }

    /// A human report is told by its totals, wherever its findings leave them; a text with a line
    /// that begins as JSON does is none, whatever lines it holds after.
    #[test]
    fn a_human_report_is_told_by_its_totals() {
        let totals = "checked 2 records and 1 file (0 ignored)\n1 error, 0 warnings, 0 waived, 9 bad inputs\n";
        let report = format!(
            "56.3 · article 56 · LV-1\n\n  × the absence of 高峰 …\n\nlianyungang-work-rules\n\
             period under audit: no dated records\n{totals}"
        );
        let by_rule = format!("{report}\n  40.3   warning   24  one briefing meeting each week\n");
        for text in [report.as_str(), &by_rule] {
            assert_eq!(written(text), Some(Written::Human), "{text}");
        }
        let records = format!("[\n  {{\"id\": \"a\"}}\n]\n{totals}");
        let misspelt = totals.replace("waived", "waved");
        let unchecked = "notes\n1 error, 0 warnings, 0 waived, 9 bad inputs\n";
        let lines_after = format!("id,type\n{{\"id\": \"a\"}}\n{totals}");
        for text in [records.as_str(), &misspelt, unchecked, &lines_after] {
            assert_eq!(written(text), None, "{text}");
        }
    }

    /// Blanks before records, however many, hide nothing: the records are still records.
    #[test]
    fn records_after_a_buffer_of_blanks_are_no_report() {
        let text = format!("{}{{\"id\": \"a\"}}\n", "\n".repeat(9000));
        let reader = std::io::BufReader::with_capacity(8192, text.as_bytes());
        assert_eq!(written_report(reader).expect("read"), None);
        assert_eq!(written(" \n\t\n"), Some(Written::Blank));
    }

    /// An object a report writes has only the keys the report writes: a record that borrows a
    /// report's first key is a record.
    #[test]
    fn a_record_with_a_reports_key_is_no_part_of_a_report() {
        let json = |text: &str| -> crate::json::Json {
            serde_json::from_str::<serde_json::Value>(text)
                .expect("JSON")
                .into()
        };
        let finding = json(r#"{"rule":"38.1","severity":"error","message":"m","line":1}"#);
        assert!(Written::Lines.writes(&finding));
        assert!(Written::Lines.writes(&json(r#"{"summary":{"files":1},"bad_inputs":[]}"#)));
        let record = json(r#"{"rule":"r","severity":"s","message":"m","type":"meeting"}"#);
        assert!(!Written::Lines.writes(&record));
        let document = json(r#"{"version":1,"policy":{},"findings":[]}"#);
        assert!(Written::Json.writes(&document));
        assert!(!Written::Json.writes(&json(r#"{"version":1,"policy":{},"type":"meeting"}"#)));
        let sarif =
            json(r#"{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[]}"#);
        assert!(Written::Sarif.writes(&sarif));
        assert!(!Written::Sarif.writes(&json(r#"{"$schema":"x","runs":[],"id":"a"}"#)));
        for kind in [
            Written::Junit,
            Written::Html,
            Written::Annotations,
            Written::Human,
        ] {
            assert!(!kind.writes(&document), "{kind:?}");
            assert!(
                kind.writes(&json("{}")),
                "{kind:?}: an empty object holds nothing"
            );
        }
    }
}
