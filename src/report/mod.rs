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

/// Whether a text (a file's first bytes) is a report of bylaw's in a format a folder walk takes
/// for records (JSON, JSON Lines, SARIF), and not records: a file `-o` may write over. An empty
/// text is a JSON Lines report of no findings, and holds nothing to lose.
pub fn is_report(head: &str) -> bool {
    let compact: String = (head.chars())
        .filter(|c| !c.is_whitespace())
        .take(80)
        .collect();
    compact.is_empty()
        || compact.starts_with("{\"version\":") && compact.contains("\"policy\":{")
        || compact.starts_with("{\"$schema\":\"https://json.schemastore.org/sarif-")
        || compact.starts_with("{\"rule\":") && head.contains("\"severity\":")
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
