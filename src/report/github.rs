//! `--format github`: GitHub Actions workflow commands, so each finding shows as an annotation on
//! the record file's line in a pull request (`::error file=…,line=…,col=…,title=38.1::…`).

use std::io::{self, Write};

use super::sanitise;
use crate::audit::Outcome;
use crate::check::Policy;
use crate::diagnostic::Severity;
use crate::finding::Finding;

/// One workflow command per finding and bad input, then a plain summary line for the log.
pub fn commands(policy: &Policy, outcome: &Outcome) -> String {
    super::text_of(|out| write(policy, outcome, out))
}

/// [`commands`], written as they are made.
pub fn write(policy: &Policy, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    for bad in &outcome.bad_inputs {
        let mut properties = vec![("file", bad.file.clone())];
        properties.extend(position(bad.line, bad.column));
        properties.push(("title", "bad input".into()));
        command(out, "error", &properties, &sanitise::line(&bad.message))?;
    }
    for finding in &outcome.findings {
        // A waived finding, or one the baseline already knew, does not fail the run: a notice.
        let known = finding.new == Some(false);
        let level = match (finding.waived || known, finding.severity) {
            (true, _) => "notice",
            (false, Severity::Error) => "error",
            (false, _) => "warning",
        };
        let mut properties = Vec::new();
        if let Some(file) = &finding.file {
            properties.push(("file", file.to_string()));
        }
        properties.extend(position(finding.line, finding.column));
        properties.push(("title", finding.rule.clone()));
        command(out, level, &properties, &message(policy, finding))?;
    }
    let s = &outcome.summary;
    writeln!(
        out,
        "bylaw: {} errors, {} warnings, {} waived, {} bad inputs in {} records of {} files",
        s.errors, s.warnings, s.waived, s.bad_inputs, s.records, s.files
    )
}

fn position(line: Option<usize>, column: Option<usize>) -> Vec<(&'static str, String)> {
    let mut properties = Vec::new();
    if let Some(line) = line {
        properties.push(("line", line.to_string()));
    }
    if let Some(column) = column {
        properties.push(("col", column.to_string()));
    }
    properties
}

/// The finding's message, marked when waived, known or about a period, then how to comply and
/// the fingerprint.
fn message(policy: &Policy, finding: &Finding) -> String {
    // The message may quote record values: one line, so a value cannot start a command.
    let mut presented = super::present::present(policy, finding);
    presented.message = sanitise::line(&presented.message).into_owned();
    format!(
        "{}\nfingerprint: {}",
        presented.message_and_help(),
        finding.fingerprint
    )
}

/// Every text passes the sanitiser first (an annotation is shown to people, and the log is read
/// in a terminal), then the workflow-command escaping.
fn command(
    out: &mut dyn Write,
    level: &str,
    properties: &[(&str, String)],
    message: &str,
) -> io::Result<()> {
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(&sanitise::line(value))))
        .collect();
    writeln!(
        out,
        "::{level} {}::{}",
        properties.join(","),
        escape_data(&sanitise::block(message))
    )
}

/// Workflow-command data: `%`, carriage return and newline are percent-encoded.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value also encodes `:` and `,`, which would end it.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_end_a_command() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(
            escape_property("a,b: c.json"),
            "a%2Cb%3A c.json".to_string()
        );
    }
}
