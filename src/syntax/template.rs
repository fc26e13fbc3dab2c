//! Message templates: a string with `{expression}` holes, parsed with the policy so that a
//! mistake in a hole is a syntax error at the hole, and Check sees expressions, not text.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::{Template, TemplatePart, Text};
use crate::diagnostic::{Diagnostic, Label};
use crate::source::{SourceFile, Span};

/// The holes of one file read so far: each hole's text, and its expression with spans from the
/// hole's start (or why it cannot be read). Kept for one file only, so it never outgrows it.
pub type Holes = HashMap<String, Result<crate::ast::Expr, String>>;

/// Parses `text` as a template; each hole's expression keeps the place in the file where it is
/// written. A `{` that is never closed is refused: printed as it is, it would show the auditor a
/// message with a piece of the policy in it. Every mistake is returned, each at its hole. A hole
/// written before in the file (in `holes`) is not parsed again.
pub fn template(
    file: &Arc<SourceFile>,
    text: &Text,
    holes: &mut Holes,
) -> (Template, Vec<Diagnostic>) {
    let offsets = value_offsets(file, text);
    // The file span of value bytes `start..end`; the whole string if they cannot be mapped.
    let at = |start: usize, end: usize| match &offsets {
        Some(o) => Span::new(
            o.get(start).copied().unwrap_or(text.span.start),
            o.get(end).copied().unwrap_or(text.span.end),
        ),
        None => text.span,
    };
    let refuse = |span: Span, message: String, label: &str, help: &str| {
        Diagnostic::error("policy::syntax", message)
            .in_file(file.clone())
            .with_label(Label::primary(span, label))
            .with_help(help)
    };
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    let value = text.value.as_str();
    let mut done = 0;
    while let Some(open) = value[done..].find('{').map(|o| done + o) {
        let Some(close) = value[open..].find('}').map(|c| open + c) else {
            errors.push(refuse(
                at(open, open + 1),
                "this message opens a `{` that it never closes".into(),
                "never closed",
                "close the hole, as in `{chair.name}`",
            ));
            break;
        };
        if open > done {
            parts.push(TemplatePart::Text(value[done..open].to_string()));
        }
        let hole = &value[open + 1..close];
        let hole_start = open + 1;
        let parsed = match holes.get(hole) {
            Some(parsed) => parsed.clone(),
            None => {
                let parsed = super::parse_expr(hole);
                holes.insert(hole.to_string(), parsed.clone());
                parsed
            }
        };
        match parsed {
            Ok(mut e) => {
                // The hole was parsed on its own: move its spans to where it is in the file.
                e.map_spans(&|s: Span| at(hole_start + s.start, hole_start + s.end));
                parts.push(TemplatePart::Hole(e));
            }
            Err(message) => errors.push(refuse(
                at(open, close + 1),
                format!("cannot read `{{{hole}}}` in this message: {message}"),
                "in this hole",
                "a message hole holds an expression such as `{chair.name}`",
            )),
        }
        done = close + 1;
    }
    if done < value.len() {
        parts.push(TemplatePart::Text(value[done..].to_string()));
    }
    let template = Template {
        parts,
        span: text.span,
    };
    (template, errors)
}

/// Where each byte of a string literal's value is in the policy file: `offsets[i]` is the file
/// offset of value byte `i` (and `offsets[len]` of its end). `None` when the span does not hold
/// the literal, so the caller labels the whole string.
fn value_offsets(file: &SourceFile, text: &Text) -> Option<Vec<usize>> {
    let literal = file.text.get(text.span.start..text.span.end)?;
    let mut offsets = Vec::with_capacity(text.value.len() + 1);
    if let Some(raw) = literal.strip_prefix("\"\"\"") {
        // A text block drops the newline after its opening quotes.
        let skip = if raw.starts_with("\r\n") {
            2
        } else {
            usize::from(raw.starts_with('\n'))
        };
        let start = text.span.start + 3 + skip;
        offsets.extend((0..=text.value.len()).map(|i| start + i));
    } else {
        let body = literal.strip_prefix('"')?;
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let at = text.span.start + 1 + i;
            if c == '"' {
                break;
            }
            let value_char = if c == '\\' {
                match chars.next() {
                    Some((_, 'n')) => '\n',
                    Some((_, 't')) => '\t',
                    Some((_, other)) => other,
                    None => break,
                }
            } else {
                c
            };
            offsets.extend(std::iter::repeat_n(at, value_char.len_utf8()));
        }
        offsets.push(text.span.end.saturating_sub(1));
    }
    (offsets.len() == text.value.len() + 1).then_some(offsets)
}
