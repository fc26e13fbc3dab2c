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

/// Whether a text is wholly a report of bylaw's, and no records: a file `-o` may write over. A
/// document report (JSON, SARIF, JUnit, HTML) is told by how it begins; a report of lines
/// (JSON Lines, GitHub annotations) by every line of it, so that records after a line that looks
/// like a finding are never taken for a report; a human report by its totals (`checked …`, then
/// `1 error, 0 warnings, …`), lines no JSON holds, in a text that does not begin as records do.
/// An empty text holds nothing to lose.
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
    if compact.is_empty() || document {
        return Ok(true);
    }
    let finding = |line: &str| {
        line.starts_with("{\"rule\":") && line.contains("\"severity\":")
            || line.starts_with("{\"summary\":{\"files\":")
    };
    let annotation = |line: &str| line.starts_with("::") || line.starts_with("bylaw: ");
    // A human report begins with a finding's heading or the policy's name, never as JSON does.
    let may_be_human = !compact.starts_with(['{', '[', '"', '\u{feff}']);
    let (mut findings, mut annotations, mut human_totals) = (true, true, false);
    let mut previous = String::new();
    for line in text.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        findings &= finding(&line);
        annotations &= annotation(&line);
        if !(findings || annotations || may_be_human) {
            return Ok(false);
        }
        human_totals |= human::is_checked_line(&previous) && human::is_totals_line(&line);
        previous = line;
    }
    Ok(findings || annotations || human_totals)
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
    use super::is_report;

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
            assert!(is_report(text.as_bytes()).expect("read"), "{text}");
        }
        let records = format!("[\n  {{\"id\": \"a\"}}\n]\n{totals}");
        let misspelt = totals.replace("waived", "waved");
        let unchecked = "notes\n1 error, 0 warnings, 0 waived, 9 bad inputs\n";
        for text in [records.as_str(), &misspelt, unchecked] {
            assert!(!is_report(text.as_bytes()).expect("read"), "{text}");
        }
    }
}
