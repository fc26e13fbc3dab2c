//! Messages with `{expression}` holes, each hole checked in the rule's scope and labelled at
//! its place in the policy file.

use super::names::map_spans;
use super::Resolver;
use crate::ast;
use crate::check::ir::{Template, TemplatePart};
use crate::source::{SourceFile, Span};

impl Resolver<'_> {
    /// A message with `{expression}` holes, each checked in the rule's scope. A mistake in a
    /// hole is labelled at the hole, and a `{` that is never closed is refused: printed as it is,
    /// it would show the auditor a message with a piece of the policy in it.
    pub fn template(&mut self, text: &ast::Text) -> Template {
        let offsets = value_offsets(&self.file, text);
        // The file span of value bytes `start..end`; the whole string if they cannot be mapped.
        let at = |start: usize, end: usize| match &offsets {
            Some(o) => Span::new(
                o.get(start).copied().unwrap_or(text.span.start),
                o.get(end).copied().unwrap_or(text.span.end),
            ),
            None => text.span,
        };
        let mut parts = Vec::new();
        let value = text.value.as_str();
        let mut done = 0;
        while let Some(open) = value[done..].find('{').map(|o| done + o) {
            let Some(close) = value[open..].find('}').map(|c| open + c) else {
                self.error(
                    at(open, open + 1),
                    "policy::syntax",
                    "this message opens a `{` that it never closes".into(),
                    "never closed",
                    Some("close the hole, as in `{chair.name}`".into()),
                );
                break;
            };
            if open > done {
                parts.push(TemplatePart::Text(value[done..open].to_string()));
            }
            let hole = &value[open + 1..close];
            let hole_start = open + 1;
            match crate::syntax::parse_expr(hole) {
                Ok(e) => {
                    // The hole was parsed on its own: move its spans to where it is in the file.
                    let e = map_spans(e, &|s: Span| at(hole_start + s.start, hole_start + s.end));
                    let compiled = self.expr(&e);
                    parts.push(TemplatePart::Hole(compiled));
                }
                Err(message) => self.error(
                    at(open, close + 1),
                    "policy::syntax",
                    format!("cannot read `{{{hole}}}` in this message: {message}"),
                    "in this hole",
                    Some("a message hole holds an expression such as `{chair.name}`".into()),
                ),
            }
            done = close + 1;
        }
        if done < value.len() {
            parts.push(TemplatePart::Text(value[done..].to_string()));
        }
        Template { parts }
    }
}

/// Where each byte of a string literal's value is in the policy file: `offsets[i]` is the file
/// offset of value byte `i` (and `offsets[len]` of its end). `None` when the span does not hold
/// the literal, so the caller labels the whole string.
fn value_offsets(file: &SourceFile, text: &ast::Text) -> Option<Vec<usize>> {
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
