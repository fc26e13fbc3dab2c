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
/// like a finding are never taken for a report. An empty text holds nothing to lose.
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
