//! Nesting limits. The parser, the lowering and every later stage walk a policy recursively, so a
//! policy nested without bound would overflow the stack; it is refused with a located diagnostic
//! before any of them runs into it.
//!
//! Two limits, both far above what a rule needs (the bundled policy nests at most 6 levels):
//! - [`MAX_NESTING`] bounds what the parser recurses on: brackets `(` `[` `{`, and `if` guards of a
//!   who-pattern (`x is a if y is b if …` nests without brackets). It is checked on the text, before
//!   parsing, by [`check_nesting`].
//! - [`MAX_DEPTH`] bounds the height of an expression's tree (operators, calls, fields, who
//!   qualifiers), which a chain of 10,000 `not`s or `+`s would make deep without brackets. It is
//!   checked while lowering.

use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Label};
use crate::source::{SourceFile, Span};

/// How many brackets and `if` guards may be open at once.
pub const MAX_NESTING: usize = 100;

/// How tall an expression's tree may be.
pub const MAX_DEPTH: usize = 100;

/// The error for a text that opens more than [`MAX_NESTING`] brackets and `if` guards at once, labelled
/// at the opening that goes one too deep. Strings and comments are skipped. A guard counts until
/// the bracket around it closes or a keyword that ends every guard before it (`then`, `when`,
/// `else`), so the count is never below the parser's real nesting.
pub fn check_nesting(source: &Arc<SourceFile>) -> Option<Diagnostic> {
    let text = source.text.as_bytes();
    // One entry per open bracket: how many guards were open in it.
    let mut guards: Vec<usize> = vec![0];
    let mut open = 0usize;
    // A word after a dot is a field name (`step.then`), not a keyword.
    let mut after_dot = false;
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        let field_name = after_dot;
        if !c.is_ascii_whitespace() && c != b'#' {
            after_dot = c == b'.';
        }
        match c {
            // Comments and strings, most of a policy's bytes, are skipped by searching for where
            // they end rather than byte by byte.
            b'#' => {
                i = memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |n| i + n);
                continue;
            }
            b'"' if text[i..].starts_with(b"\"\"\"") => {
                let body = i + 3;
                i = memchr::memmem::find(&text[body..], b"\"\"\"").map_or(text.len(), |n| body + n)
                    + 3;
                continue;
            }
            b'"' => {
                i += 1;
                // Past escapes to the closing quote, or to the line's end where none closes it.
                loop {
                    let rest = text.get(i..).unwrap_or_default();
                    match memchr::memchr3(b'"', b'\n', b'\\', rest) {
                        Some(n) if rest[n] == b'\\' => i += n + 2,
                        Some(n) => {
                            i += n;
                            break;
                        }
                        None => {
                            i = text.len();
                            break;
                        }
                    }
                }
                i += 1;
                continue;
            }
            b'(' | b'[' | b'{' => {
                open += 1;
                guards.push(0);
                if open > MAX_NESTING {
                    return Some(too_deep(source, Span::new(i, i + 1)));
                }
            }
            b')' | b']' | b'}' if guards.len() > 1 => {
                let closed = guards.pop().unwrap_or(0);
                open = open.saturating_sub(1 + closed);
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < text.len() && (text[i].is_ascii_alphanumeric() || text[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                if field_name {
                    continue;
                }
                let here = guards.last_mut();
                match (word, here) {
                    (b"if", Some(here)) => {
                        *here += 1;
                        open += 1;
                        if open > MAX_NESTING {
                            return Some(too_deep(source, Span::new(start, i)));
                        }
                    }
                    (b"then" | b"when" | b"else", Some(here)) => {
                        open = open.saturating_sub(*here);
                        *here = 0;
                    }
                    _ => {}
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn too_deep(source: &Arc<SourceFile>, span: Span) -> Diagnostic {
    Diagnostic::error(
        "policy::too-deep",
        format!("the policy nests brackets and `if` guards more than {MAX_NESTING} levels deep"),
    )
    .in_file(source.clone())
    .with_label(Label::primary(span, format!("level {}", MAX_NESTING + 1)))
    .with_help("give the inner parts names with `let` or `define`")
}

/// The diagnostic for an expression whose tree is taller than [`MAX_DEPTH`].
pub fn expression_too_deep(source: &Arc<SourceFile>, span: Span) -> Diagnostic {
    Diagnostic::error(
        "policy::too-deep",
        format!("the expression is nested more than {MAX_DEPTH} levels deep"),
    )
    .in_file(source.clone())
    .with_label(Label::primary(span, format!("level {}", MAX_DEPTH + 1)))
    .with_help("give the inner parts names with `let` or `define`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn too_deep_at(text: &str) -> Option<usize> {
        check_nesting(&SourceFile::new("t.bylaw", text))
            .map(|d| d.primary_span().expect("a label").start)
    }

    /// Brackets in comments and strings are text, not nesting, however a string or comment ends
    /// (or does not); brackets after one count from the byte where it ends.
    #[test]
    fn brackets_in_comments_and_strings_are_not_counted() {
        let deep = "(".repeat(MAX_NESTING + 1);
        for quiet in [
            format!("# {deep}\n"),
            format!("\"{deep}\""),
            format!("\"a \\\" {deep} \\\\\""),
            format!("\"\"\"{deep}\n{deep}\"\"\""),
            format!("\"\"\" \" {deep}"),
            format!("\"{deep}"),
            format!("\"{deep}\\"),
            format!("\"ends at the line's end\n\"{deep}\""),
        ] {
            assert_eq!(too_deep_at(&quiet), None, "{quiet:?}");
        }
        for (before, loud) in [
            ("# c\n", format!("# c\n{deep}")),
            ("\"s \\\\\"", format!("\"s \\\\\"{deep}")),
            ("\"\"\" \"\"\"", format!("\"\"\" \"\"\"{deep}")),
            ("\"open\n", format!("\"open\n{deep}")),
        ] {
            assert_eq!(
                too_deep_at(&loud),
                Some(before.len() + MAX_NESTING),
                "{loud:?}"
            );
        }
    }
}
