//! The editor's changes to an open document, applied to the server's copy of its text. The
//! server asks for incremental synchronisation: a keystroke in a 25 MB export then sends a few
//! bytes and a range, not the whole text again (which the server had to read, unescape and copy
//! on every keystroke: a third of an edit's time in a document of 16,470 meetings).

use lsp_types::{Position, TextDocumentContentChangeEvent};

/// How much of a text changes left as it was: its first `prefix` bytes and its last `suffix`
/// bytes (counts past the text's length mean all of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unchanged {
    pub prefix: usize,
    pub suffix: usize,
}

impl Unchanged {
    /// No change.
    pub const ALL: Unchanged = Unchanged {
        prefix: usize::MAX,
        suffix: usize::MAX,
    };

    /// What neither these changes nor the `later` ones changed.
    pub fn and(self, later: Unchanged) -> Unchanged {
        Unchanged {
            prefix: self.prefix.min(later.prefix),
            suffix: self.suffix.min(later.suffix),
        }
    }
}

/// Applies the changes, in the order the client sent them (each against the text the ones
/// before it left), and tells what of the text they left as it was. A change without a range replaces the whole text. A position is read as the
/// protocol says: a character past its line's end means the line's end, a line past the text's
/// end means the text's end; a position inside a character (a UTF-16 count that splits one) is
/// taken at the character's start, so no change ever splits a character.
pub fn apply(text: &mut String, changes: Vec<TextDocumentContentChangeEvent>) -> Unchanged {
    apply_from(text, changes, &|_, _| (0, 0))
}

/// [`apply`], told where some lines start: `line_start(line, prefix)` is a line at or before
/// `line` and the offset it starts at, within the text's first `prefix` bytes (what the changes
/// so far left as they were). A change's position is looked for from there, not from the
/// text's start: in a 43 MB document, that read half the text per keystroke.
pub fn apply_from(
    text: &mut String,
    changes: Vec<TextDocumentContentChangeEvent>,
    line_start: &dyn Fn(u32, usize) -> (usize, u32),
) -> Unchanged {
    let mut unchanged = Unchanged::ALL;
    for change in changes {
        match change.range {
            None => {
                *text = change.text;
                unchanged = Unchanged {
                    prefix: 0,
                    suffix: 0,
                };
            }
            Some(range) => {
                let known = line_start(range.start.line, unchanged.prefix.min(text.len()));
                let known = match known.0 <= text.len() && known.1 <= range.start.line {
                    true => known,
                    false => (0, 0),
                };
                let (start, start_line) = offset(text, known, range.start);
                // The end is looked for from the start's line, not from the text's start again:
                // an edit in the middle of a 43 MB document reads half of it once, not twice.
                let end = match range.end.line < range.start.line {
                    true => start,
                    false => {
                        let from = (start_line, range.start.line);
                        offset(text, from, range.end).0.max(start)
                    }
                };
                unchanged = unchanged.and(Unchanged {
                    prefix: start,
                    suffix: text.len() - end,
                });
                text.replace_range(start..end, &change.text);
            }
        }
    }
    unchanged
}

/// The byte offset of a protocol position (UTF-16 columns), clamped to its line and the text,
/// and the offset its line starts at; looked for from `from`: the offset a line starts at, and
/// that line's number, at most the position's.
fn offset(text: &str, from: (usize, u32), position: Position) -> (usize, usize) {
    let (from, from_line) = from;
    let line_start = match position.line - from_line {
        0 => Some(from),
        n => memchr::memchr_iter(b'\n', &text.as_bytes()[from..])
            .nth(n as usize - 1)
            .map(|newline| from + newline + 1),
    };
    let Some(line_start) = line_start else {
        return (text.len(), text.len());
    };
    let rest = &text[line_start..];
    let line = &rest[..memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len())];
    // Lines end at `\n`, as everywhere in the server; a `\r` before it is the line's end too.
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut units = 0u32;
    for (i, c) in line.char_indices() {
        let next = units + c.len_utf16() as u32;
        if next > position.character {
            return (line_start + i, line_start);
        }
        units = next;
    }
    (line_start + line.len(), line_start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Range;

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|((l0, c0), (l1, c1))| Range {
                start: Position::new(l0, c0),
                end: Position::new(l1, c1),
            }),
            range_length: None,
            text: text.into(),
        }
    }

    fn applied(text: &str, changes: Vec<TextDocumentContentChangeEvent>) -> String {
        let mut text = text.to_string();
        apply(&mut text, changes);
        text
    }

    #[test]
    fn changes_tell_what_they_left_of_the_text() {
        let unchanged = |changes| apply(&mut "ab\ncd\nef\n".to_string(), changes);
        // One character typed on the second line: the 4 bytes before it and the 5 after it.
        let typed = vec![change(Some(((1, 1), (1, 1))), "x")];
        let one = Unchanged {
            prefix: 4,
            suffix: 5,
        };
        assert_eq!(unchanged(typed), one);
        // Then the first line taken away: what neither changed.
        let two = vec![
            change(Some(((1, 1), (1, 1))), "x"),
            change(Some(((0, 0), (1, 0))), ""),
        ];
        let both = Unchanged {
            prefix: 0,
            suffix: 5,
        };
        assert_eq!(unchanged(two), both);
        assert_eq!(unchanged(vec![]), Unchanged::ALL);
        let whole = Unchanged {
            prefix: 0,
            suffix: 0,
        };
        assert_eq!(unchanged(vec![change(None, "new")]), whole);
    }

    #[test]
    fn a_change_replaces_its_range_and_later_ones_see_it() {
        let text = "{\"id\": \"m-1\"}\n{\"id\": \"m-2\"}\n";
        assert_eq!(
            applied(text, vec![change(Some(((1, 10), (1, 11))), "7")]),
            "{\"id\": \"m-1\"}\n{\"id\": \"m-7\"}\n"
        );
        // Typed one after another: the second position counts the first's insertion.
        let typed = vec![
            change(Some(((0, 11), (0, 11))), "0"),
            change(Some(((0, 12), (0, 12))), "0"),
        ];
        assert_eq!(
            applied(text, typed),
            "{\"id\": \"m-100\"}\n{\"id\": \"m-2\"}\n"
        );
        // A line removed whole, and a change without a range.
        assert_eq!(
            applied(text, vec![change(Some(((0, 0), (1, 0))), "")]),
            "{\"id\": \"m-2\"}\n"
        );
        assert_eq!(applied(text, vec![change(None, "[]")]), "[]");
        // A range across lines, from within one to within another two lines down.
        assert_eq!(
            applied(
                "abc\ndef\n會hi\njk",
                vec![change(Some(((0, 1), (2, 2))), "_")]
            ),
            "a_i\njk"
        );
    }

    #[test]
    fn columns_count_utf16_units() {
        // 會 is one UTF-16 unit (three bytes), 𠀀 two (four bytes).
        let text = "\"會𠀀x\"";
        assert_eq!(
            applied(text, vec![change(Some(((0, 2), (0, 2))), "_")]),
            "\"會_𠀀x\""
        );
        assert_eq!(
            applied(text, vec![change(Some(((0, 4), (0, 5))), "y")]),
            "\"會𠀀y\""
        );
        // A column inside the surrogate pair is taken at the character's start.
        assert_eq!(
            applied(text, vec![change(Some(((0, 3), (0, 3))), "_")]),
            "\"會_𠀀x\""
        );
    }

    #[test]
    fn positions_past_a_line_or_the_text_are_clamped() {
        let text = "ab\ncd";
        assert_eq!(
            applied(text, vec![change(Some(((0, 99), (0, 99))), "!")]),
            "ab!\ncd"
        );
        assert_eq!(
            applied(text, vec![change(Some(((7, 0), (9, 3))), "!")]),
            "ab\ncd!"
        );
        // An end before its start inserts at the start, removing nothing.
        assert_eq!(
            applied(text, vec![change(Some(((1, 1), (0, 0))), "!")]),
            "ab\nc!d"
        );
        // CRLF: a column past the line's end stops before its carriage return.
        assert_eq!(
            applied("ab\r\ncd", vec![change(Some(((0, 2), (0, 9))), "!")]),
            "ab!\r\ncd"
        );
    }
}
