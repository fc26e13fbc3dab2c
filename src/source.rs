//! Shared vocabulary: source files, byte spans and line/column lookup.
//!
//! Every later stage talks about places as a [`Span`] into a [`SourceFile`]; the conversion to
//! line and column (in Unicode scalar values, as the output contract counts them) happens here once.

use std::sync::{Arc, OnceLock};

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A file's name (as the user gave it) and its text: the whole file, or a fragment of it — one
/// record's text, read from a large file — that knows where it starts in the file, so positions
/// are still the file's.
#[derive(Debug)]
pub struct SourceFile {
    /// The file's name, shared by the texts of its records.
    pub name: Arc<str>,
    pub text: String,
    /// Where each line starts, found the first time a position is asked for: most records'
    /// texts are never asked (they have no finding).
    line_starts: OnceLock<Vec<usize>>,
    /// Characters counted up to every [`MARK_BYTES`]th byte, found the first time a column far
    /// from its line's start is asked for: one long line with thousands of findings counts each
    /// column from the mark before it, not from the line's start.
    marks: OnceLock<Vec<Units>>,
    start: TextStart,
}

/// Characters of a text counted as the output contract counts them (Unicode scalar values) and
/// as the Language Server Protocol does (UTF-16 code units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Units {
    chars: usize,
    utf16: usize,
}

impl Units {
    /// The characters of bytes that may start or end inside a character: each character is
    /// counted at its first byte.
    fn of(bytes: &[u8]) -> Units {
        let (mut chars, mut astral) = (0, 0);
        // Counted a block at a time in bytes, which the compiler does with vector instructions
        // (counted in `usize`s, a finding's column took some 3,000 instructions on a long line).
        for block in bytes.chunks(255) {
            let (mut block_chars, mut block_astral) = (0u8, 0u8);
            for &b in block {
                // Not a continuation byte (0b10xx_xxxx).
                block_chars += u8::from((b as i8) >= -0x40);
                // The first byte of four: a character outside the BMP, two UTF-16 units.
                block_astral += u8::from(b >= 0xf0);
            }
            chars += usize::from(block_chars);
            astral += usize::from(block_astral);
        }
        Units {
            chars,
            utf16: chars + astral,
        }
    }
}

impl std::ops::Add for Units {
    type Output = Units;
    fn add(self, more: Units) -> Units {
        Units {
            chars: self.chars + more.chars,
            utf16: self.utf16 + more.utf16,
        }
    }
}

impl std::ops::Sub for Units {
    type Output = Units;
    fn sub(self, before: Units) -> Units {
        Units {
            chars: self.chars - before.chars,
            utf16: self.utf16 - before.utf16,
        }
    }
}

/// How far apart the marks of a long text are, and how far from its line's start a column is
/// counted directly rather than from them.
const MARK_BYTES: usize = 1024;

/// Where a text starts in its file: byte offset, 1-based line, and the columns already taken on
/// that line (in Unicode scalar values, and in UTF-16 units for the language server).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextStart {
    pub offset: usize,
    pub line: usize,
    pub columns: usize,
    pub utf16_columns: usize,
}

impl TextStart {
    /// The start of a file.
    pub const FILE: TextStart = TextStart {
        offset: 0,
        line: 1,
        columns: 0,
        utf16_columns: 0,
    };
}

/// Line `line` (1-based) moved `by` lines down (up, when negative); never above the first.
pub fn shift_line(line: usize, by: isize) -> usize {
    line.saturating_add_signed(by).max(1)
}

/// A file that is not UTF-8: its text as far as it can be shown (each bad byte replaced), the
/// span of its first bad character there, and that character's first byte, for the caller's error.
#[derive(Debug)]
pub struct NotUtf8 {
    pub source: Arc<SourceFile>,
    pub at: Span,
    pub byte: u8,
}

impl SourceFile {
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<String>) -> Arc<SourceFile> {
        SourceFile::fragment(name, text, TextStart::FILE)
    }

    /// A file read as bytes, or where it stops being UTF-8.
    pub fn decode(name: impl Into<Arc<str>>, bytes: Vec<u8>) -> Result<Arc<SourceFile>, NotUtf8> {
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::new(name, text)),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let byte = e.as_bytes().get(at).copied().unwrap_or(0);
                let source = SourceFile::new(name, String::from_utf8_lossy(e.as_bytes()));
                let end = source.text[at..]
                    .chars()
                    .next()
                    .map_or(at, |c| at + c.len_utf8());
                Err(NotUtf8 {
                    source,
                    at: Span::new(at, end),
                    byte,
                })
            }
        }
    }

    /// A part of a file that starts at `start`. Offsets and line numbers passed to its methods
    /// are its own, but for [`line_column`](Self::line_column) and
    /// [`utf16_position`](Self::utf16_position), which answer in the file's numbering.
    pub fn fragment(
        name: impl Into<Arc<str>>,
        text: impl Into<String>,
        start: TextStart,
    ) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            name: name.into(),
            text: text.into(),
            line_starts: OnceLock::new(),
            marks: OnceLock::new(),
            start,
        })
    }

    /// Where this text starts in its file.
    pub fn start(&self) -> TextStart {
        self.start
    }

    /// The same text, `by` lines further down its file: a piece of an open document kept
    /// while lines were added or removed above it.
    pub fn shifted(&self, by: isize) -> Arc<SourceFile> {
        let start = TextStart {
            line: shift_line(self.start.line, by),
            ..self.start
        };
        SourceFile::fragment(self.name.clone(), self.text.clone(), start)
    }

    /// The file's line number of this text's line `n` (1-based).
    pub fn file_line(&self, n: usize) -> usize {
        n + self.start.line.max(1) - 1
    }

    /// 1-based line and column of a byte offset, in the file; the column counts Unicode scalar
    /// values.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let (line, before) = self.line_of(offset);
        let taken = if line == 1 { self.start.columns } else { 0 };
        (self.file_line(line), taken + before.chars + 1)
    }

    /// Where each line of the text starts (the first at 0).
    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| line_starts(&self.text))
    }

    /// The 1-based line holding a byte offset (clamped to the text), and the characters on that
    /// line before it.
    fn line_of(&self, offset: usize) -> (usize, Units) {
        let (line, mut start, offset) = self.line_start_of(offset);
        // A byte-order mark is not a character of the first line: columns start after it.
        if line == 1 && self.start.offset == 0 && self.text.starts_with('\u{feff}') {
            start = start.max('\u{feff}'.len_utf8()).min(offset);
        }
        (line, self.units_between(start, offset))
    }

    /// The 1-based line holding a byte offset, where that line starts, and the offset clamped
    /// to the text.
    fn line_start_of(&self, offset: usize) -> (usize, usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self
            .line_starts()
            .partition_point(|&start| start <= offset)
            .max(1);
        let start = self.line_starts().get(line - 1).copied().unwrap_or(0);
        (line, start, offset)
    }

    /// The characters between two byte offsets: counted directly when they are near, from the
    /// marks before each when they are far apart.
    fn units_between(&self, start: usize, end: usize) -> Units {
        if end - start <= 2 * MARK_BYTES {
            return Units::of(&self.text.as_bytes()[start..end]);
        }
        self.units_before(end) - self.units_before(start)
    }

    /// The characters before a byte offset, counted from the mark before it.
    fn units_before(&self, offset: usize) -> Units {
        let marks = self.marks.get_or_init(|| {
            let mut total = Units::default();
            let mut marks = vec![total];
            for block in self.text.as_bytes().chunks_exact(MARK_BYTES) {
                total = total + Units::of(block);
                marks.push(total);
            }
            marks
        });
        let mark = offset / MARK_BYTES;
        marks[mark] + Units::of(&self.text.as_bytes()[mark * MARK_BYTES..offset])
    }

    /// The number of lines (a final newline starts an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// The 1-based line holding a byte offset (clamped to the text).
    pub fn line_number(&self, offset: usize) -> usize {
        self.line_start_of(offset).0
    }

    /// The bytes of a 1-based line, without its newline (clamped to the text).
    pub fn line_span(&self, line: usize) -> Span {
        let index = line.clamp(1, self.line_starts().len()) - 1;
        let start = self.line_starts()[index];
        let end = self
            .line_starts()
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        Span::new(start, end)
    }

    /// 0-based line and UTF-16 code-unit character of a byte offset, in the file: a position as
    /// the Language Server Protocol counts it.
    pub fn utf16_position(&self, offset: usize) -> (u32, u32) {
        let (line, before) = self.line_of(offset);
        let taken = if line == 1 {
            self.start.utf16_columns
        } else {
            0
        };
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        (clamp(self.file_line(line) - 1), clamp(taken + before.utf16))
    }

    /// The byte offset of a 1-based line and byte column, clamped to the text.
    pub fn offset_of(&self, line: usize, byte_column: usize) -> usize {
        let start = self
            .line_starts()
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        (start + byte_column.saturating_sub(1)).min(self.text.len())
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

/// A byte range in one source file.
///
/// Spans take no part in equality: every span equals every other (and hashes alike), so AST
/// nodes, which all carry spans, compare by what they say, not where it was written, and two
/// layouts of one policy parse to equal trees. Code that means "the same place" compares
/// offsets, with [`Span::same_place`].
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl PartialEq for Span {
    /// Always true: see the type's documentation; [`Span::same_place`] compares offsets.
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Eq for Span {}

impl std::hash::Hash for Span {
    /// Hashes nothing, as every span is equal to every other.
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Whether both spans cover the same bytes (equality ignores spans: see [`Span`]).
    pub fn same_place(&self, other: &Span) -> bool {
        (self.start, self.end) == (other.start, other.end)
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> SourceSpan {
        SourceSpan::new(span.start.into(), span.len())
    }
}

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        let taken = if inner.line() == 0 {
            self.start.columns
        } else {
            0
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            inner.data(),
            *inner.span(),
            self.file_line(inner.line() + 1) - 1,
            taken + inner.column(),
            self.file_line(inner.line_count()),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_scalar_values() {
        let file = SourceFile::new("t.json", "{\n  \"title\": \"市政府\", \"x\": 1\n}");
        let x = file.text.find("\"x\"").unwrap();
        assert_eq!(file.line_column(x), (2, 19));
        assert_eq!(file.line_column(0), (1, 1));
        let last = file.text.len() - 1;
        assert_eq!(file.line_column(last), (3, 1));
    }

    /// Columns on a long line, counted from the marks, are the characters before them on the
    /// line, in scalar values and UTF-16 units, whatever the characters around the marks.
    #[test]
    fn columns_on_long_lines_count_from_the_marks_as_from_the_line_start() {
        let pieces = ["ab", "市", "𠮷", "\u{feff}", "é\t"];
        let mut text = String::from("\u{feff}");
        for i in 0..12_000 {
            text.push_str(pieces[i % pieces.len()]);
            if i % 5_000 == 4_999 {
                text.push('\n');
            }
        }
        let start = TextStart {
            offset: 0,
            line: 1,
            columns: 0,
            utf16_columns: 0,
        };
        let file = SourceFile::fragment("long.jsonl", text.clone(), start);
        let mut checked = 0;
        for (offset, _) in text.char_indices().step_by(7) {
            let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let before = text[line_start..offset]
                .strip_prefix(if line_start == 0 { "\u{feff}" } else { "" })
                .unwrap_or(&text[line_start..offset]);
            let line = 1 + text[..offset].matches('\n').count();
            let utf16: usize = before.chars().map(char::len_utf16).sum();
            assert_eq!(
                file.line_column(offset),
                (line, before.chars().count() + 1),
                "{offset}"
            );
            assert_eq!(file.utf16_position(offset), (line as u32 - 1, utf16 as u32));
            checked += 1;
        }
        assert!(checked > 2_000 && file.marks.get().is_some());
    }

    /// Characters and UTF-16 units counted a block at a time are those of the text, at every
    /// length across the blocks' edges, in texts of one, two, three and four-byte characters.
    #[test]
    fn units_are_counted_as_the_characters_are() {
        for text in ["a市é𠮷".repeat(200), "a".repeat(1_000), "𠮷".repeat(200)] {
            let bytes = text.as_bytes();
            for start in [0, 1, 2, 5] {
                for end in (start..bytes.len()).step_by(3).chain([bytes.len()]) {
                    let Some(part) = text.get(start..end) else {
                        continue;
                    };
                    let units = Units::of(part.as_bytes());
                    assert_eq!(units.chars, part.chars().count(), "{start}..{end}");
                    let utf16: usize = part.chars().map(char::len_utf16).sum();
                    assert_eq!(units.utf16, utf16, "{start}..{end}");
                }
            }
        }
    }

    #[test]
    fn spans_are_all_equal_but_not_all_the_same_place() {
        let (a, b) = (Span::new(3, 7), Span::new(10, 12));
        assert_eq!(a, b);
        assert!(a.same_place(&Span::new(3, 7)));
        assert!(!a.same_place(&b));
    }

    #[test]
    fn utf16_positions_count_code_units_from_zero() {
        // `市` is one UTF-16 unit, `𠮷` (outside the BMP) is two.
        let file = SourceFile::new("t.json", "{\n  \"市𠮷\": 1\n}");
        let one = file.text.find('1').unwrap();
        assert_eq!(file.utf16_position(one), (1, 9));
        assert_eq!(file.utf16_position(0), (0, 0));
    }
}

/// A policy file in a compiled policy (`check::compiled`), by its name: the files themselves are
/// the binary's own, and [`by_name::with_files`] says which ones the names are looked up among.
pub mod by_name {
    use std::cell::RefCell;
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::SourceFile;

    thread_local! {
        static FILES: RefCell<Vec<Arc<SourceFile>>> = const { RefCell::new(Vec::new()) };
    }

    /// Runs `read` with `files` as the files that names are looked up among.
    pub fn with_files<R>(files: &[Arc<SourceFile>], read: impl FnOnce() -> R) -> R {
        let before = FILES.replace(files.to_vec());
        let result = read();
        FILES.set(before);
        result
    }

    pub fn serialize<S: Serializer>(file: &Arc<SourceFile>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&file.name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<SourceFile>, D::Error> {
        let name = <&str>::deserialize(d)?;
        FILES
            .with_borrow(|files| files.iter().find(|f| &*f.name == name).cloned())
            .ok_or_else(|| serde::de::Error::custom(format!("no policy file is called `{name}`")))
    }
}
