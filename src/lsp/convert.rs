//! Our terms → the protocol's: byte spans to UTF-16 ranges, findings and bad input to LSP
//! diagnostics. The only place that knows how the protocol counts.

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range,
    Uri,
};

use crate::check::Policy;
use crate::diagnostic::{Diagnostic, Severity};
use crate::finding::{BadInput, Finding};
use crate::source::{SourceFile, Span};

/// A byte span of a file as a protocol range.
pub fn range(file: &SourceFile, span: Span) -> Range {
    let position = |offset| {
        let (line, character) = file.utf16_position(offset);
        Position { line, character }
    };
    Range {
        start: position(span.start),
        end: position(span.end),
    }
}

/// The byte offset of a protocol position in `text`: `None` past the end of a line or of the
/// text, or inside a character (a UTF-16 count that splits one).
pub fn offset(text: &str, position: Position) -> Option<usize> {
    let line = usize::try_from(position.line).ok()?;
    let start = if line == 0 {
        0
    } else {
        text.match_indices('\n').nth(line - 1)?.0 + 1
    };
    let rest = &text[start..];
    let rest = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let mut units = 0u32;
    for (i, c) in rest.char_indices() {
        if units == position.character {
            return Some(start + i);
        }
        units += c.len_utf16() as u32;
        if units > position.character {
            return None;
        }
    }
    (units == position.character).then_some(start + rest.len())
}

/// A problem of a policy (a syntax or check error) at its place.
pub fn problem(
    d: &Diagnostic,
    uri_of: &dyn Fn(&str) -> Option<Uri>,
) -> Option<lsp_types::Diagnostic> {
    let message = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    convert(d, &d.code, severity(d.severity), message, uri_of)
}

/// A finding as the editor shows it: the places of the diagnostic every format renders, the rule
/// id as its code, how to comply on a second line. A waived finding is advice (information), not
/// a problem. Findings about a period have no place.
pub fn finding(
    policy: &Policy,
    f: &Finding,
    uri_of: &dyn Fn(&str) -> Option<Uri>,
) -> Option<lsp_types::Diagnostic> {
    // Findings about a period have no place: nothing to build.
    f.place.as_ref()?;
    let d = crate::report::present::diagnostic(policy, f);
    let message = crate::report::present::present(policy, f).message_and_help();
    convert(&d, &f.rule, severity(d.severity), message, uri_of)
}

/// Input that could not be judged, at its place.
pub fn bad_input(
    b: &BadInput,
    uri_of: &dyn Fn(&str) -> Option<Uri>,
) -> Option<lsp_types::Diagnostic> {
    let d = &b.diagnostic;
    convert(
        d,
        &d.code,
        DiagnosticSeverity::ERROR,
        b.message.clone(),
        uri_of,
    )
}

fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Advice => DiagnosticSeverity::INFORMATION,
    }
}

fn convert(
    d: &Diagnostic,
    code: &str,
    severity: DiagnosticSeverity,
    message: String,
    uri_of: &dyn Fn(&str) -> Option<Uri>,
) -> Option<lsp_types::Diagnostic> {
    let file = d.source.as_ref()?;
    let span = d.primary_span().unwrap_or_default();
    // Secondary labels (the other step of a chain out of order) and related diagnostics (the
    // first use of a duplicate id, perhaps in another file) become related information.
    let mut related = Vec::new();
    if let Some(uri) = uri_of(&file.name) {
        for label in d.labels.iter().filter(|l| !l.primary) {
            related.push(DiagnosticRelatedInformation {
                location: Location {
                    uri: uri.clone(),
                    range: range(file, label.span),
                },
                message: label.text.clone().unwrap_or_default(),
            });
        }
    }
    for other in &d.related {
        let (Some(source), Some(span)) = (&other.source, other.primary_span()) else {
            continue;
        };
        if let Some(uri) = uri_of(&source.name) {
            related.push(DiagnosticRelatedInformation {
                location: Location {
                    uri,
                    range: range(source, span),
                },
                message: other.message.clone(),
            });
        }
    }
    Some(lsp_types::Diagnostic {
        range: range(file, span),
        severity: Some(severity),
        code: Some(NumberOrString::String(code.to_string())),
        source: Some("bylaw".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_count_utf16_units_from_zero() {
        let file = SourceFile::new("m.json", "{\n  \"chair\": \"张敏\"\n}\n");
        let start = file.text.find("\"张").unwrap_or(0);
        let end = start + "\"张敏\"".len();
        let r = range(&file, Span::new(start, end));
        assert_eq!((r.start.line, r.start.character), (1, 11));
        assert_eq!((r.end.line, r.end.character), (1, 15));
    }

    #[test]
    fn positions_become_offsets_or_nothing() {
        let text = "ab\n张x\n";
        let at = |line, character| offset(text, Position { line, character });
        assert_eq!(at(0, 0), Some(0));
        assert_eq!(at(0, 2), Some(2));
        assert_eq!(at(0, 3), None);
        assert_eq!(at(1, 1), Some(6));
        assert_eq!(at(1, 2), Some(7));
        assert_eq!(at(2, 0), Some(8));
        assert_eq!(at(3, 0), None);
        assert_eq!(at(u32::MAX, 0), None);
    }
}
