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

/// Whether a text is wholly a machine report of bylaw's, and no records: a file `-o` may write
/// over. A document report (JSON, SARIF, JUnit, HTML) is told by how it begins; a report of lines
/// (JSON Lines, GitHub annotations) by every line of it, so that records after a line that looks
/// like a finding are never taken for a report. A text of blanks only holds nothing to lose. (A
/// human report: [`is_human_report`].)
pub fn is_report(mut text: impl std::io::BufRead) -> std::io::Result<bool> {
    let head = String::from_utf8_lossy(text.fill_buf()?).into_owned();
    let compact: String = (head.chars())
        .filter(|c| !c.is_whitespace())
        .take(120)
        .collect();
    let document = compact.starts_with("{\"version\":") && compact.contains("\"policy\":{")
        || compact.starts_with("{\"$schema\":\"https://json.schemastore.org/sarif-")
        || compact.starts_with("<?xmlversion=\"1.0\"encoding=\"UTF-8\"?><testsuitesname=\"bylaw:")
        || compact.starts_with("<!DOCTYPEhtml>") && head.contains("<title>bylaw audit report:");
    if document {
        return Ok(true);
    }
    let finding = |line: &str| {
        line.starts_with("{\"rule\":") && line.contains("\"severity\":")
            || line.starts_with("{\"summary\":{\"files\":")
    };
    let annotation = |line: &str| line.starts_with("::") || line.starts_with("bylaw: ");
    // Each true of every line that is not blank: true of a text of blanks only.
    let (mut findings, mut annotations) = (true, true);
    for line in text.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        findings &= finding(&line);
        annotations &= annotation(&line);
        if !(findings || annotations) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether a text reads as a human report of bylaw's: it holds the report's totals (`checked …`,
/// then `1 error, 0 warnings, …`), lines no JSON holds, and no line that begins as a record's
/// JSON does. A file of records may hold such lines too: whoever writes over a human report
/// makes sure it holds no record ([`crate::records::holds_a_record`]).
pub fn is_human_report(text: impl std::io::BufRead) -> std::io::Result<bool> {
    let (mut totals, mut previous) = (false, String::new());
    for line in text.lines() {
        let line = line?;
        let begins = line.trim_start_matches(['\u{feff}', ' ', '\t', '\r']);
        if begins.starts_with(['{', '[']) {
            return Ok(false);
        }
        if begins.is_empty() {
            continue;
        }
        totals |= human::is_checked_line(&previous) && human::is_totals_line(&line);
        previous = line;
    }
    Ok(totals)
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
    use super::{is_human_report, is_report};

    /// A human report is told by its totals, wherever its findings leave them; a text that
    /// begins as JSON does is records, whatever lines it holds after.
    #[test]
    fn a_human_report_is_told_by_its_totals() {
        let totals = "checked 2 records and 1 file (0 ignored)\n1 error, 0 warnings, 0 waived, 9 bad inputs\n";
        let report = format!(
            "56.3 · article 56 · LV-1\n\n  × the absence of 高峰 …\n\nlianyungang-work-rules\n\
             period under audit: no dated records\n{totals}"
        );
        let by_rule = format!("{report}\n  40.3   warning   24  one briefing meeting each week\n");
        for text in [report.as_str(), &by_rule] {
            assert!(is_human_report(text.as_bytes()).expect("read"), "{text}");
        }
        let records = format!("[\n  {{\"id\": \"a\"}}\n]\n{totals}");
        let misspelt = totals.replace("waived", "waved");
        let unchecked = "notes\n1 error, 0 warnings, 0 waived, 9 bad inputs\n";
        let lines_after = format!("id,type\n{{\"id\": \"a\"}}\n{totals}");
        for text in [records.as_str(), &misspelt, unchecked, &lines_after] {
            assert!(!is_human_report(text.as_bytes()).expect("read"), "{text}");
            assert!(!is_report(text.as_bytes()).expect("read"), "{text}");
        }
    }

    /// Blanks before records, however many, hide nothing: the records are still records.
    #[test]
    fn records_after_a_buffer_of_blanks_are_no_report() {
        let text = format!("{}{{\"id\": \"a\"}}\n", "\n".repeat(9000));
        let reader = std::io::BufReader::with_capacity(8192, text.as_bytes());
        assert!(!is_report(reader).expect("read"));
        assert!(
            is_report(" \n\t\n".as_bytes()).expect("read"),
            "blanks only"
        );
    }
}
