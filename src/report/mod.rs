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
