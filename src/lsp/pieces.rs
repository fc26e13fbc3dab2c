//! A large JSON Lines document judged a piece of lines at a time, so that an edit judges again
//! the piece it changed, not the document: in a JSON Lines export of 16,470 meetings (25 MB), a
//! keystroke judged all of them again (70 ms of an edit's 100). A JSON Lines record is its
//! line, so a piece reads as the same lines of the whole text do
//! (`records::stream::read_lines_from`): its line numbers are the document's, and the set
//! stage, given the pieces in order, sees the document's records in its order. Where a piece
//! ends is chosen by the text of its lines ([`split`]), so an edit, even one that adds or
//! removes lines, changes the piece it is in; every other piece is found again by its text, and
//! kept, its judgement moved to its new lines if lines were added or removed above it
//! ([`FileResult::shift_lines`]). A piece's near-miss keys are found with its judgement, and
//! kept with it.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use lsp_types::Diagnostic;
use rayon::prelude::*;

use super::edit::Unchanged;
use super::fields::{NearMisses, MAX_NEAR_MISSES};
use crate::audit::{self, FileResult};
use crate::check::Policy;
use crate::discover::Format;
use crate::records::stream::{ArrayPiece, OpeningKey};

/// A file's own judgement: one result for the whole text, or the results of its pieces in order.
pub type Parts = Vec<Arc<FileResult>>;

/// The lines of a piece of JSON Lines (`lines`), or the elements of a piece of an array;
/// `BYLAW_LSP_PIECE_LINES` sets both, for tests. A piece of 1,024 records is judged in about 5 ms
/// on one core; smaller pieces cost more in what each adds to the set stage. An array's piece is
/// a quarter of that: its size varies more (an element's end is a place to cut only where the
/// next element's line follows, and its elements are often larger than one line's records), and
/// an edit is found in it line by line from its start. In the 100k export's `meetings.json`
/// (16,470 meetings, 42 MB), a letter typed took 79 ms in pieces of about 1,024 elements and 22
/// ms in pieces of 256; in `documents.json` (63,180 documents), 62 and 48 ms.
fn piece_size(lines: bool) -> usize {
    std::env::var("BYLAW_LSP_PIECE_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(if lines { 1024 } else { 256 })
}

struct Piece {
    /// Where it lies in the text and what its text is known by (the text is held by its
    /// judgement, to read records again).
    span: Span,
    result: Arc<FileResult>,
    /// Its keys that look like misspelled fields ([`super::fields`]), at the document's lines.
    near_misses: Vec<Diagnostic>,
    /// Its records' near misses by their text, for a piece that replaces it.
    known: NearMisses,
}

impl Piece {
    /// The piece, found again at `span`: lines added or removed above it moved it, and
    /// what its judgement says of lines moves with it. Its judgement is shared only with the
    /// last check's, which the workspace dropped when the text changed: it is moved in place.
    fn moved_to(mut self, span: Span) -> Piece {
        let by = span.first_line as isize - self.span.first_line as isize;
        if by != 0 {
            Arc::make_mut(&mut self.result).shift_lines(by);
            for diagnostic in &mut self.near_misses {
                let range = &mut diagnostic.range;
                for position in [&mut range.start, &mut range.end] {
                    position.line = position.line.saturating_add_signed(by as i32);
                }
            }
        }
        self.span = span;
        self
    }
}

/// A piece's text, known by its length and a 64-bit hash of its lines, found as the text is
/// split (a text compared byte for byte took as long again: 6 ms for 43 MB). Two texts that
/// collide (a chance in 2^64 for an edit) would share a judgement until the next edit.
type TextKey = (usize, u64);

/// The pieces of an open document's last text, kept for the next, and what edits since left
/// of that text as it was.
pub struct Pieces {
    pieces: Vec<Piece>,
    /// The last text's length.
    len: usize,
    unchanged: Unchanged,
    /// The pieces the last judgement judged; the others it kept.
    judged: usize,
}

impl Default for Pieces {
    fn default() -> Pieces {
        Pieces {
            pieces: Vec::new(),
            len: 0,
            unchanged: Unchanged::ALL,
            judged: 0,
        }
    }
}

impl Pieces {
    /// A line at or before `line` (counted from 0, as the protocol counts) where a piece starts,
    /// and the offset it starts at, within the text's first `prefix` bytes, which the edits since
    /// the pieces were made did not change: where an edit's position is looked for from.
    pub fn line_start(&self, line: u32, prefix: usize) -> (usize, u32) {
        let bound = prefix.min(self.unchanged.prefix);
        let before = (self.pieces).partition_point(|p| {
            p.span.first_line.saturating_sub(1) <= line as usize && p.span.range.start <= bound
        });
        let piece = before.checked_sub(1).and_then(|i| self.pieces.get(i));
        piece.map_or((0, 0), |p| {
            let line = u32::try_from(p.span.first_line.saturating_sub(1));
            line.map_or((0, 0), |line| (p.span.range.start, line))
        })
    }

    /// Notes what an edit of the text left as it was: the pieces there are not split again.
    pub fn edited(&mut self, unchanged: Unchanged) {
        self.unchanged = self.unchanged.and(unchanged);
    }

    /// The pieces of `text`, the last text edited: those of the last text before and after
    /// what the edits changed kept (moved by what they added or removed), and the text between
    /// split again, up to where a piece ends where one ended before. A text is split as it is
    /// split whole ([`split_from`] its start), whatever its edits; only the lines between are
    /// read (an edit of a 43 MB document hashed all its lines: 7 ms).
    fn split_again(&self, text: &str, lines: usize) -> Vec<Span> {
        self.split_again_with(text, false, |from, stop| {
            split_from(
                text,
                (from.start, from.first_line),
                lines,
                |end, next_line| stop(end, next_line, 0),
            )
        })
    }

    /// [`Pieces::split_again`] of a pretty-printed array into pieces of about `elements`
    /// elements ([`split_array`]); none when it is not laid out as one.
    fn split_array_again(&self, text: &str, elements: usize) -> Vec<Span> {
        let Some(indent) = element_indent(text) else {
            return Vec::new();
        };
        self.split_again_with(text, true, |from, stop| {
            split_array_from(text, indent, from, elements, stop)
        })
    }

    /// [`Pieces::split_again`], the text between split by `split`, from where it is told to
    /// resume, until `stop` (told where a piece ends, and the next line and element) says.
    fn split_again_with(
        &self,
        text: &str,
        array: bool,
        split: impl FnOnce(Resume, &mut dyn FnMut(usize, usize, usize) -> bool) -> Vec<Span>,
    ) -> Vec<Span> {
        let bytes = text.as_bytes();
        // The last text's pieces, if they were cut as these are.
        let old: &[Piece] = match (self.pieces.iter()).all(|p| p.span.array.is_some() == array) {
            true => &self.pieces,
            false => &[],
        };
        let prefix = self.unchanged.prefix.min(self.len).min(text.len());
        let suffix = self.unchanged.suffix.min(self.len).min(text.len());
        // The pieces wholly before the first change, each ending with its last line's end; an
        // array's, with the line after it too (it ends only where an element's line follows).
        let head = (old.iter())
            .take_while(|p| {
                let end = p.span.range.end;
                let next_line_end = match array {
                    true => memchr::memchr(b'\n', &bytes[end.min(bytes.len())..]).map(|n| end + n),
                    false => Some(end),
                };
                next_line_end.is_some_and(|next| next <= prefix)
                    && end <= prefix
                    && bytes.get(end.wrapping_sub(1)) == Some(&b'\n')
            })
            .count();
        let mut spans: Vec<Span> = old[..head].iter().map(|p| p.span.clone()).collect();
        let from = spans.last().map_or(Resume::START, |s| Resume {
            start: s.range.end,
            first_line: s.first_line + s.lines,
            first_index: s
                .array
                .map_or(0, |(piece, count)| piece.first_index + count),
        });
        // The pieces after the last change, found again where a piece split anew ends where one
        // of them started: the text after it is the same, and is split the same.
        let grown = text.len() as isize - self.len as isize;
        let tail_from = self.len - suffix;
        let rest = &old[head..];
        let mut tail = None;
        let again = split(from, &mut |end, next_line, next_index| {
            let Some(was) = end
                .checked_add_signed(-grown)
                .filter(|&was| was >= tail_from)
            else {
                return false;
            };
            match rest.binary_search_by_key(&was, |p| p.span.range.start) {
                Ok(at) => {
                    tail = Some((at, next_line, next_index));
                    true
                }
                Err(_) => false,
            }
        });
        spans.extend(again);
        if let Some((at, next_line, next_index)) = tail {
            let moved = next_line as isize - rest[at].span.first_line as isize;
            let first_index = |p: &Piece| p.span.array.map_or(0, |(piece, _)| piece.first_index);
            let renumbered = next_index as isize - first_index(&rest[at]) as isize;
            spans.extend(rest[at..].iter().map(|p| {
                let mut span = p.span.clone();
                span.range = span.range.start.saturating_add_signed(grown)
                    ..span.range.end.saturating_add_signed(grown);
                span.first_line = span.first_line.saturating_add_signed(moved);
                if let Some((piece, _)) = &mut span.array {
                    piece.first_index = piece.first_index.saturating_add_signed(renumbered);
                }
                span
            }));
        }
        spans
    }

    /// The judgement of the open document `name` whose text is `text`: for JSON Lines longer
    /// than a piece, and for a `.json` file's pretty-printed array of more elements than a piece,
    /// piece by piece, each piece of the last text that is unchanged kept; for anything else,
    /// whole.
    pub fn judge(&mut self, policy: &Policy, name: &str, text: &str) -> Parts {
        self.judge_in_pieces_of(None, policy, name, text)
    }

    /// [`Pieces::judge`] in pieces of about `size` lines of JSON Lines or elements of an array
    /// ([`piece_size`] when `None`).
    fn judge_in_pieces_of(
        &mut self,
        size: Option<usize>,
        policy: &Policy,
        name: &str,
        text: &str,
    ) -> Parts {
        let named = crate::discover::format_of(std::path::Path::new(name));
        let spans = match named.unwrap_or_else(|| crate::records::sniff_format(text)) {
            Format::Lines => self.split_again(text, size.unwrap_or_else(|| piece_size(true))),
            // A piece of an array is told from JSON Lines by the file's name only.
            Format::Json if named.is_some() => {
                self.split_array_again(text, size.unwrap_or_else(|| piece_size(false)))
            }
            Format::Json => Vec::new(),
        };
        (self.len, self.unchanged) = (text.len(), Unchanged::ALL);
        if spans.len() < 2 {
            self.pieces.clear();
            return vec![Arc::new(audit::judge_file(policy, name.to_string(), text))];
        }
        // The last text's pieces by their text, to be found again wherever they now start.
        let mut last: HashMap<TextKey, Vec<Piece>> = HashMap::new();
        for piece in std::mem::take(&mut self.pieces).into_iter().rev() {
            last.entry(piece.span.key).or_default().push(piece);
        }
        let mut pieces: Vec<Option<Piece>> = Vec::with_capacity(spans.len());
        let mut stale = Vec::new();
        for span in spans {
            // A piece of an array is kept where its elements are numbered as they were: their
            // findings' pointers hold the numbers.
            let kept = last.get_mut(&span.key).and_then(|same| {
                let at = same.iter().rposition(|p| p.span.array == span.array)?;
                Some(same.remove(at))
            });
            match kept {
                Some(piece) => pieces.push(Some(piece.moved_to(span))),
                None => {
                    stale.push((pieces.len(), span));
                    pieces.push(None);
                }
            }
        }
        // What the pieces no longer there knew of their records' near misses: an edit leaves
        // most records of the piece it changed as they were.
        let mut replaced = NearMisses::default();
        for piece in last.into_values().flatten() {
            replaced.absorb(piece.known);
        }
        self.judged = stale.len();
        let judged: Vec<(usize, Piece)> = (stale.into_par_iter())
            .map(|(at, span)| {
                // Copied here, on every core: a document opened is copied whole, 66 MB of
                // fresh pages for the 100k export's `documents.json`.
                let text = Arc::<str>::from(&text[span.range.clone()]);
                let (first_line, name_owned) = (span.first_line, name.to_string());
                let result = match span.array {
                    None => audit::judge_lines(policy, name_owned, text.clone(), first_line),
                    Some((piece, _)) => {
                        audit::judge_elements(policy, name_owned, text.clone(), first_line, piece)
                    }
                };
                let result = Arc::new(result);
                let part = (name, &*text, first_line);
                let (near_misses, known) = super::fields::near_misses(policy, part, &replaced);
                let piece = Piece {
                    span,
                    result,
                    near_misses,
                    known,
                };
                (at, piece)
            })
            .collect();
        for (at, piece) in judged {
            pieces[at] = Some(piece);
        }
        self.pieces = pieces.into_iter().flatten().collect();
        // The bad inputs a file reports each at its place are counted over the whole file: past
        // that many, the whole text is judged, so that the count and the closing line are the
        // file's, not a piece's.
        let bad_inputs: usize = (self.pieces.iter())
            .map(|p| p.result.bad_inputs.len() + p.result.bad_inputs_not_shown)
            .sum();
        // An array's pieces read as the whole does only where each is the whole elements it
        // was cut for, read without a guess the whole text's reading may not make: the reader
        // then tells its values apart as it does in the whole text. A piece cut inside an
        // element (a nested object laid out as an element) gives other values; an element whose
        // closing brace an edit took gives a guess (where the next element starts, told by the
        // key the elements before opened with). An element told apart that does not parse
        // (`"days": 3x`), or whose quotes an edit broke (found again at the next element's
        // line), is the same bad input in both.
        let opening_key = whole_opening_key(&self.pieces);
        let elements_not_whole = (self.pieces.iter()).any(|p| {
            let Some((_, elements)) = p.span.array else {
                return false;
            };
            let read_by_guess = p.result.piece_read.as_ref().is_some_and(|read| {
                read.guessed
                    || (read.relied_on.as_deref()).is_some_and(|key| opening_key != Some(key))
            });
            read_by_guess || p.result.values != elements
        });
        // The pieces are kept all the same: each is its text's judgement, and the edit that
        // mends the element finds every other piece unchanged (a letter typed that broke a
        // record and deleted again: 710 ms a pair when the pieces were dropped, in the 100k
        // export's `documents.json`).
        if bad_inputs > crate::records::Limits::default().max_bad_inputs || elements_not_whole {
            return vec![Arc::new(audit::judge_file(policy, name.to_string(), text))];
        }
        self.pieces
            .iter()
            .map(|piece| piece.result.clone())
            .collect()
    }
}

/// The key every element of an array's pieces read whole opens with, when they all open with
/// the same.
fn whole_opening_key(pieces: &[Piece]) -> Option<&[u8]> {
    let mut agreed: Option<&[u8]> = None;
    for piece in pieces {
        match piece
            .result
            .piece_read
            .as_ref()
            .map(|read| &read.opening_key)
        {
            Some(OpeningKey::Same(key)) if agreed.is_none_or(|k| k == key.as_slice()) => {
                agreed = Some(key);
            }
            Some(OpeningKey::NoElement) => {}
            _ => return None,
        }
    }
    agreed
}

impl Pieces {
    /// The near misses of the last text, when it was judged a piece at a time (the first
    /// [`MAX_NEAR_MISSES`] of the document, as [`super::fields::near_misses`] finds them).
    pub fn near_misses(&self) -> Option<Vec<Diagnostic>> {
        if self.pieces.is_empty() {
            return None;
        }
        let all = self.pieces.iter().flat_map(|piece| &piece.near_misses);
        Some(all.take(MAX_NEAR_MISSES).cloned().collect())
    }
}

/// A piece of a text: its first line (1-based) and lines, its bytes, and what it is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    first_line: usize,
    lines: usize,
    range: Range<usize>,
    key: TextKey,
    /// For a piece of a JSON array: where it lies in the array, and the elements it begins.
    array: Option<(ArrayPiece, usize)>,
}

/// The pieces of `text`, about `lines` lines each ([`split_from`] its start). A piece ends after a line chosen by its own
/// text (a hash of it), not by its number, so that a line added or removed changes the piece it
/// is in and leaves the others as they were, only moved: they are found again by their text. A
/// piece has at least a quarter of `lines` lines (each adds some work to the set stage) and at
/// most four times `lines`.
#[cfg(test)]
fn split(text: &str, lines: usize) -> Vec<Span> {
    split_from(text, (0, 1), lines, |_, _| false)
}

/// [`split`] of the text from byte `start`, a line's start, which is line `first_line`; after
/// each piece, `stop` is told where it ends and the next line, and ends the split when it says.
fn split_from(
    text: &str,
    (start, first_line): (usize, usize),
    lines: usize,
    mut stop: impl FnMut(usize, usize) -> bool,
) -> Vec<Span> {
    use std::hash::BuildHasher;
    let fewest = (lines / 4).max(1);
    let most = lines.saturating_mul(4);
    // After its fewest lines, a piece ends after each line with a chance of one in `odds`, so
    // that it has about `lines` lines.
    let odds = (lines - fewest + 1) as u64;
    let hasher = foldhash::fast::FixedState::with_seed(1);
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let (mut start, mut first_line, mut count, mut hash) = (start, first_line, 0, 0u64);
    let mut line_start = start;
    // Each line's end: its `\n`, or the text's end for a last line without one.
    let last_line_end = (start < bytes.len() && !text.ends_with('\n')).then_some(bytes.len());
    let from = start;
    let ends = memchr::memchr_iter(b'\n', &bytes[from..]).map(move |end| from + end);
    for end in ends.chain(last_line_end) {
        let line_hash = hasher.hash_one(&bytes[line_start..end]);
        // The lines' hashes in order: a line moved within the piece changes it.
        hash = (hash ^ line_hash)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
        count += 1;
        line_start = (end + 1).min(bytes.len());
        if count >= most || (count >= fewest && line_hash.is_multiple_of(odds)) {
            let range = start..line_start;
            pieces.push(Span {
                first_line,
                lines: count,
                key: (range.len(), hash),
                range,
                array: None,
            });
            (start, first_line, count, hash) = (line_start, first_line + count, 0, 0);
            if line_start < bytes.len() && stop(line_start, first_line) {
                return pieces;
            }
        }
    }
    if count > 0 {
        let range = start..bytes.len();
        pieces.push(Span {
            first_line,
            lines: count,
            key: (range.len(), hash),
            range,
            array: None,
        });
    }
    pieces
}

/// The pieces of a pretty-printed JSON array, about `elements` elements each; none when the
/// text is not laid out as one: `[` alone on its first line, and each element beginning a line
/// with the indentation of the first and `{` (as `JSON.stringify(records, null, 2)`,
/// `json.dumps(records, indent=2)` and `jq .` write them), nested values indented further. A
/// piece ends after an element's last line, `},` at that indentation, that the next element's
/// line follows; which of them is chosen by a hash of the element's lines, as [`split_from`]
/// chooses lines, so that an edit changes the piece it is in. A text laid out otherwise below
/// its first lines is cut where it reads as elements only by chance: what the pieces read tells
/// ([`Pieces::judge`] judges the text whole when a piece does not read as the elements it was
/// cut for).
#[cfg(test)]
fn split_array(text: &str, elements: usize) -> Vec<Span> {
    match element_indent(text) {
        Some(indent) => {
            split_array_from(text, indent, Resume::START, elements, &mut |_, _, _| false)
        }
        None => Vec::new(),
    }
}

/// Where a split resumes: a line's start, its line (1-based), and the element it begins.
#[derive(Debug, Clone, Copy)]
struct Resume {
    start: usize,
    first_line: usize,
    first_index: usize,
}

impl Resume {
    const START: Resume = Resume {
        start: 0,
        first_line: 1,
        first_index: 0,
    };
}

/// The indentation of a pretty-printed array's elements, told by its first two lines: `[` alone,
/// then the first element's `{` after the indentation.
fn element_indent(text: &str) -> Option<&[u8]> {
    let bytes = text.as_bytes();
    let first_end = memchr::memchr(b'\n', bytes)?;
    let opening = text[..first_end]
        .trim_start_matches('\u{feff}')
        .trim_ascii();
    let second = &bytes[first_end + 1..];
    let second = &second[..memchr::memchr(b'\n', second).unwrap_or(second.len())];
    let indent = &second[..second
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()];
    let begins = !indent.is_empty() && second.get(indent.len()) == Some(&b'{');
    (opening == "[" && begins).then_some(indent)
}

/// [`split_array`] of the text from `from`, a line that begins an element (or the text's
/// start); after each piece, `stop` is told where it ends, the next line and the next element,
/// and ends the split when it says.
fn split_array_from(
    text: &str,
    indent: &[u8],
    from: Resume,
    elements: usize,
    stop: &mut dyn FnMut(usize, usize, usize) -> bool,
) -> Vec<Span> {
    use std::hash::BuildHasher;
    let bytes = text.as_bytes();
    let line_end =
        |from: usize| memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |n| from + n);
    let begins_element =
        |line: &[u8]| line.starts_with(indent) && line.get(indent.len()) == Some(&b'{');
    let ends_element = |line: &[u8]| {
        let line = line.trim_ascii_end();
        line.starts_with(indent)
            && matches!(line.get(indent.len()), Some(b'{' | b'}'))
            && line.ends_with(b"},")
    };
    let fewest = (elements / 4).max(1);
    let most = elements.saturating_mul(4);
    let odds = (elements - fewest + 1) as u64;
    let hasher = foldhash::fast::FixedState::with_seed(1);
    let mut pieces = Vec::new();
    let mut piece = Cutting::at(from);
    let mut element_hash = 0u64;
    let mut line_start = from.start;
    let mut end = line_end(line_start);
    while line_start < bytes.len() {
        let line = &bytes[line_start..end];
        let line_hash = hasher.hash_one(line);
        let mix = |hash: u64| {
            (hash ^ line_hash)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(29)
        };
        if begins_element(line) {
            (piece.count, element_hash) = (piece.count + 1, 0);
        }
        (piece.hash, element_hash, piece.lines) =
            (mix(piece.hash), mix(element_hash), piece.lines + 1);
        line_start = (end + 1).min(bytes.len());
        end = line_end(line_start);
        let next = &bytes[line_start..end];
        let count = piece.count;
        let ends_piece = count >= most || (count >= fewest && element_hash.is_multiple_of(odds));
        if ends_piece && ends_element(line) && begins_element(next) {
            pieces.push(piece.span(line_start, false));
            piece = Cutting::at(Resume {
                start: line_start,
                first_line: piece.first_line + piece.lines,
                first_index: piece.first_index + count,
            });
            if stop(line_start, piece.first_line, piece.first_index) {
                return pieces;
            }
        }
    }
    pieces.push(piece.span(bytes.len(), true));
    pieces
}

/// A piece of an array being cut: where it starts, and what it holds so far.
struct Cutting {
    start: usize,
    first_line: usize,
    first_index: usize,
    lines: usize,
    hash: u64,
    count: usize,
}

impl Cutting {
    fn at(from: Resume) -> Cutting {
        Cutting {
            start: from.start,
            first_line: from.first_line,
            first_index: from.first_index,
            lines: 0,
            hash: 0,
            count: 0,
        }
    }

    /// The piece, ending at `end`; `closes` for the last.
    fn span(&self, end: usize, closes: bool) -> Span {
        let range = self.start..end;
        let piece = ArrayPiece {
            first_index: self.first_index,
            opens: self.start == 0,
            closes,
        };
        Span {
            first_line: self.first_line,
            lines: self.lines,
            key: (range.len(), self.hash),
            range,
            array: Some((piece, self.count)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'t>(text: &'t str, pieces: &[Span]) -> Vec<(usize, &'t str)> {
        pieces
            .iter()
            .map(|p| (p.first_line, &text[p.range.clone()]))
            .collect()
    }

    /// Lines like an export's: each with its own id.
    fn records(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("{{\"id\": \"LV-{i:06}\", \"days\": {}}}", i % 7))
            .collect()
    }

    #[test]
    fn pieces_cover_the_text_in_order_each_at_its_first_line() {
        let text = records(5_000).join("\n");
        for lines in [1, 2, 7, 64] {
            let pieces = split(&text, lines);
            let mut line = 1;
            let mut end = 0;
            for (
                i,
                Span {
                    first_line, range, ..
                },
            ) in pieces.iter().enumerate()
            {
                assert_eq!(
                    (*first_line, range.start),
                    (line, end),
                    "lines {lines}, piece {i}"
                );
                let count = text[range.clone()].lines().count();
                assert!(
                    count <= lines * 4,
                    "lines {lines}, piece {i}: {count} lines"
                );
                if i + 1 < pieces.len() {
                    assert!(
                        count >= (lines / 4).max(1),
                        "lines {lines}, piece {i}: {count}"
                    );
                }
                (line, end) = (line + count, range.end);
            }
            assert_eq!(end, text.len());
            let average = 5_000 / pieces.len();
            assert!(
                (lines / 2..=lines * 2).contains(&average),
                "{lines}: {average}"
            );
        }
        assert_eq!(
            texts("a\nb\n", &split("a\nb\n", 1)),
            [(1, "a\n"), (2, "b\n")]
        );
        assert_eq!(texts("a\nb", &split("a\nb", 1)), [(1, "a\n"), (2, "b")]);
        assert!(split("", 3).is_empty());
        // A byte changed changes its piece's key, and no other's.
        let changed = text.replacen("LV-002500", "LV-002501", 1);
        let keys = |text: &str| -> Vec<TextKey> { split(text, 64).iter().map(|p| p.key).collect() };
        let (was, now) = (keys(&text), keys(&changed));
        assert_eq!(was.len(), now.len());
        assert_eq!(was.iter().zip(&now).filter(|(a, b)| a != b).count(), 1);
    }

    /// A line added (or removed) changes the piece it is in, and perhaps the next: every other
    /// piece is found again with the same text, at a first line moved by one.
    #[test]
    fn a_line_added_changes_only_the_piece_it_is_in() {
        let lines = records(5_000);
        let before = lines.join("\n") + "\n";
        for at in [0, 1, 2_500, 4_999] {
            let mut added = lines.clone();
            added.insert(at, "{\"id\": \"LV-NEW\"}".into());
            let after = added.join("\n") + "\n";
            let was = texts(&before, &split(&before, 64));
            let now = texts(&after, &split(&after, 64));
            let kept = (now.iter())
                .filter(|(line, text)| {
                    let moved = if *line > at + 1 { line - 1 } else { *line };
                    was.contains(&(moved, *text))
                })
                .count();
            assert!(
                kept + 2 >= now.len(),
                "at {at}: {kept} of {} kept",
                now.len()
            );
        }
    }

    /// Numbers below the one asked for, drawn from `seed` (xorshift).
    fn random_below(mut state: u64) -> impl FnMut(usize) -> usize {
        move |n| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        }
    }

    /// Pieces cut at `spans`, judged as nothing.
    fn as_pieces(spans: Vec<Span>) -> Vec<Piece> {
        (spans.into_iter())
            .map(|span| Piece {
                span,
                result: Arc::default(),
                near_misses: Vec::new(),
                known: NearMisses::default(),
            })
            .collect()
    }

    /// Pieces cut at `spans` of `text`, as a judgement of it leaves them.
    fn pieces_of(text: &str, spans: Vec<Span>) -> Pieces {
        Pieces {
            pieces: as_pieces(spans),
            len: text.len(),
            unchanged: Unchanged::ALL,
            judged: 0,
        }
    }

    /// `text` with `range` replaced by `inserted`, an edit `pieces` are told of.
    fn edit(pieces: &mut Pieces, text: &mut String, range: Range<usize>, inserted: &str) {
        pieces.edited(Unchanged {
            prefix: range.start,
            suffix: text.len() - range.end,
        });
        text.replace_range(range, inserted);
    }

    /// An array as an exporter lays it out, its elements with nested objects and lists.
    fn array_of(n: usize) -> String {
        let elements: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                serde_json::json!({
                    "id": format!("M-{i:04}"),
                    "chair": {"id": "P-001", "role": "mayor"},
                    "members": [{"id": "P-002"}, {"id": format!("P-{}", i % 9)}],
                    "tags": ["a", "b"],
                })
            })
            .collect();
        serde_json::to_string_pretty(&elements).expect("json") + "\n"
    }

    #[test]
    fn an_array_is_cut_between_its_elements() {
        let text = array_of(500);
        for elements in [1, 2, 7, 64] {
            let pieces = split_array(&text, elements);
            assert!(pieces.len() > 1, "{elements}: {} pieces", pieces.len());
            let (mut end, mut line, mut index) = (0, 1, 0);
            for (i, span) in pieces.iter().enumerate() {
                let (piece, count) = span.array.expect("a piece of an array");
                let piece_text = &text[span.range.clone()];
                assert_eq!(
                    (span.range.start, span.first_line),
                    (end, line),
                    "piece {i}"
                );
                assert_eq!(piece.first_index, index, "piece {i}");
                assert_eq!((piece.opens, piece.closes), (i == 0, i + 1 == pieces.len()));
                assert_eq!(
                    piece_text.matches("\n  {").count() + usize::from(i > 0),
                    count
                );
                if i > 0 {
                    assert!(piece_text.starts_with("  {\n"), "piece {i}: {piece_text}");
                }
                if i + 1 < pieces.len() {
                    assert!(piece_text.ends_with("  },\n"), "piece {i}: {piece_text}");
                    assert!(count <= elements * 4, "piece {i}: {count} elements");
                }
                (end, line, index) = (span.range.end, line + span.lines, index + count);
            }
            assert_eq!((end, index), (text.len(), 500), "{elements}");
        }
        // Laid out otherwise: not cut.
        let minified =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&text).expect("json"))
                .expect("json");
        assert!(split_array(&minified, 4).is_empty());
        assert!(split_array(&text.replace("\n  ", "\n"), 4).is_empty());
        assert!(split_array("", 4).is_empty());
        assert!(split_array("[\n", 4).is_empty());
    }

    /// What a report says of a finding, where it says it.
    fn findings(parts: &Parts) -> Vec<String> {
        let mut all: Vec<String> = (parts.iter())
            .flat_map(|part| &part.findings)
            .map(|f| {
                let at = (f.line, f.column, f.pointer.as_deref(), f.record.as_deref());
                format!("{} {at:?} {}", f.rule, f.message)
            })
            .collect();
        all.sort();
        all
    }

    #[test]
    fn an_arrays_pieces_read_as_the_whole_does_through_edits() {
        let policy = crate::check::load_bundled(&[]).expect("the bundled policy");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/export/meetings.json");
        let mut text = std::fs::read_to_string(path).expect("meetings.json");
        let first_id = "\"id\": \"BRF-2011-W27\"";
        assert!(text.contains(first_id));
        let element_lines = |text: &str, nth: usize| -> Range<usize> {
            let starts: Vec<usize> = text
                .match_indices("\n  {\n")
                .map(|(at, _)| at + 1)
                .collect();
            starts[nth]..starts[nth + 1]
        };
        type Edit<'e> = Box<dyn Fn(&mut String) + 'e>;
        let edits: Vec<Edit> = vec![
            Box::new(|_| {}),
            // A value changed in a later element: its id made the first one's (a duplicate
            // across pieces).
            Box::new(|text| {
                let element = element_lines(text, 40);
                let id_at = element.start + text[element].find("\"id\": ").expect("an id");
                let end = id_at + text[id_at..].find(',').expect("a comma");
                text.replace_range(id_at..end, first_id);
            }),
            // A line added inside an element (after its first, so that every element still
            // opens with the same key): the later pieces move down a line.
            Box::new(|text| {
                let element = element_lines(text, 5);
                let second_line = element.start + 5 + text[element.start + 4..].find('\n').unwrap();
                text.insert_str(second_line, "    \"ad_hok\": false,\n");
            }),
            // An element added at the start: every element after it numbered anew.
            Box::new(|text| {
                let copy = text[element_lines(text, 7)].to_string();
                text.insert_str(2, &copy);
            }),
            // An element removed.
            Box::new(|text| {
                let element = element_lines(text, 20);
                text.replace_range(element, "");
            }),
            // A value that does not parse, in an element told apart all the same: bad input in
            // its piece, as in the whole.
            Box::new(|text| {
                let element = element_lines(text, 30);
                let at = element.start + text[element].find(": false").expect("a flag");
                text.replace_range(at..at + ": false".len(), ": fals");
            }),
            // An element's closing brace deleted: the next element is found at the `{` that
            // opens with the key every element opens with, in the piece as in the whole text.
            Box::new(|text| {
                let element = element_lines(text, 12);
                let end = element.end - 2;
                text.replace_range(end - 1..end, "");
            }),
            // And mended.
            Box::new(|text| {
                let element = element_lines(text, 12);
                text.insert(element.end - 2, '}');
            }),
            // A quote typed in a string, which breaks its element: found again at the next
            // element's line, in its piece as in the whole text.
            Box::new(|text| {
                let element = element_lines(text, 50);
                let at = element.start + text[element].find("\"title\": \"").expect("a title");
                text.insert(at + 10, '"');
            }),
            // And deleted.
            Box::new(|text| {
                let element = element_lines(text, 50);
                let at = element.start + text[element].find("\"title\": \"").expect("a title");
                text.remove(at + 10);
            }),
        ];
        let mut pieces = Pieces::default();
        let name = "meetings.json";
        for (step, edit) in edits.iter().enumerate() {
            edit(&mut text);
            let whole = vec![Arc::new(audit::judge_file(
                &policy,
                name.into(),
                text.as_str(),
            ))];
            let parts = pieces.judge_in_pieces_of(Some(4), &policy, name, &text);
            assert_eq!(findings(&parts), findings(&whole), "step {step}");
            let records = |parts: &Parts| parts.iter().map(|p| p.records).sum::<usize>();
            assert_eq!(records(&parts), records(&whole), "step {step}");
            let bad = |parts: &Parts| parts.iter().map(|p| p.bad_inputs.len()).sum::<usize>();
            assert_eq!(bad(&parts), bad(&whole), "step {step}");
            assert_eq!(bad(&parts) > 0, step >= 5, "step {step}");
            // Judged in pieces unless broken, the pieces an edit left as they were kept; after
            // an element added or removed, those before it.
            let judged = pieces.judged;
            match step {
                0 => assert!(parts.len() > 5, "{} pieces", parts.len()),
                1 | 2 => assert!(judged <= 2, "step {step}: {judged} of {}", parts.len()),
                3 => assert_eq!(judged, parts.len(), "step {step}"),
                4 => assert!(
                    judged + 2 < parts.len(),
                    "step {step}: {judged} of {}",
                    parts.len()
                ),
                _ => assert!(parts.len() > 5 && judged <= 2, "step {step}: {judged}"),
            }
        }
    }

    /// A letter typed after an element's closing brace: the whole text's reading skips to the
    /// next `{` that opens with the key every element before opened with, or stops if they did
    /// not all open alike. A piece knows only its own elements: it is kept only where the whole
    /// text's elements agree.
    #[test]
    fn a_piece_that_went_by_its_elements_key_is_kept_only_where_the_whole_agrees() {
        let policy = crate::check::load_bundled(&[]).expect("the bundled policy");
        let name = "meetings.json";
        let original = array_of(120);
        let element_start = |text: &str, nth: usize| {
            text.match_indices("\n  {\n")
                .nth(nth)
                .expect("an element")
                .0
                + 1
        };
        for k in [40, 61, 90] {
            for differ_early in [false, true] {
                let mut text = original.clone();
                let next = element_start(&text, k + 1);
                text.insert(next - ",\n".len(), 'x');
                assert_eq!(&text[next - 5..next + 1], "  }x,\n", "{text}");
                if differ_early {
                    // Element 3 opens with another key.
                    let early = element_start(&text, 3);
                    text.replace_range(early + 8..early + 15, "\"chairs\"");
                }
                let whole = vec![Arc::new(audit::judge_file(
                    &policy,
                    name.into(),
                    text.as_str(),
                ))];
                let parts = Pieces::default().judge_in_pieces_of(Some(4), &policy, name, &text);
                let records = |parts: &Parts| parts.iter().map(|p| p.records).sum::<usize>();
                let case = format!("element {k}, differing early: {differ_early}");
                assert_eq!(records(&parts), records(&whole), "{case}");
                assert_eq!(bad_inputs(&parts), bad_inputs(&whole), "{case}");
                assert_eq!(findings(&parts), findings(&whole), "{case}");
                // Read on in the whole text, in pieces; stopped, whole.
                assert_eq!(records(&whole) < 120, differ_early, "{case}");
                assert_eq!(
                    parts.len() == 1,
                    differ_early,
                    "{case}: {} parts",
                    parts.len()
                );
            }
        }
    }

    /// What a report says of the bad inputs, where it says it.
    fn bad_inputs(parts: &Parts) -> Vec<String> {
        (parts.iter())
            .flat_map(|part| &part.bad_inputs)
            .map(|b| format!("{:?} {:?} {}", b.line, b.column, b.message))
            .collect()
    }

    /// Edits drawn at random in the export's array of meetings, brackets, quotes, commas and
    /// lines typed and deleted among them: judged in pieces (of 1 to 7 elements), it gives what
    /// it gives judged whole after each.
    #[test]
    fn an_array_edited_at_random_reads_in_pieces_as_it_reads_whole() {
        let policy = crate::check::load_bundled(&[]).expect("the bundled policy");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/export/meetings.json");
        let original = std::fs::read_to_string(path).expect("meetings.json");
        let mut below = random_below(0x6d65_6574_696e);
        let mut pieces = Pieces::default();
        let (mut in_pieces, mut broken_in_pieces) = (0, 0);
        let mut last = original.clone();
        // More with `BYLAW_RANDOM_EDITS`, when the reading of arrays changes.
        let steps =
            std::env::var("BYLAW_RANDOM_EDITS").map_or(60, |n| n.parse().expect("a number"));
        for step in 0..steps {
            // One or two edits of the file as it is, so that most texts read.
            let mut text = original.clone();
            for _ in 0..1 + below(2) {
                let at = text.floor_char_boundary(below(text.len() + 1));
                let end = text.floor_char_boundary((at + below(2) * below(300)).min(text.len()));
                let typed = [
                    "",
                    "\"",
                    "}",
                    "{",
                    ",",
                    "\n",
                    "x",
                    "  },\n  {\n",
                    "\"a\": 1,",
                ];
                text.replace_range(at..end, typed[below(typed.len())]);
            }
            // What an editor's changes from the last text would have left as it was.
            let (a, b) = (last.as_bytes(), text.as_bytes());
            let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
            let room = a.len().min(b.len()) - prefix;
            let suffix = (a.iter().rev().zip(b.iter().rev()))
                .take(room)
                .take_while(|(x, y)| x == y)
                .count();
            pieces.edited(Unchanged { prefix, suffix });
            last.clone_from(&text);
            let name = "meetings.json";
            let whole = vec![Arc::new(audit::judge_file(
                &policy,
                name.into(),
                text.as_str(),
            ))];
            let size = 1 + below(7);
            let parts = pieces.judge_in_pieces_of(Some(size), &policy, name, &text);
            in_pieces += usize::from(parts.len() > 1);
            broken_in_pieces += usize::from(parts.len() > 1 && !bad_inputs(&parts).is_empty());
            assert_eq!(findings(&parts), findings(&whole), "step {step}");
            assert_eq!(bad_inputs(&parts), bad_inputs(&whole), "step {step}");
            let records = |parts: &Parts| parts.iter().map(|p| p.records).sum::<usize>();
            assert_eq!(records(&parts), records(&whole), "step {step}");
        }
        assert!(
            in_pieces > 10,
            "judged in pieces {in_pieces} times of {steps}"
        );
        // Among them texts an edit broke: an element's quotes, a value that does not parse.
        assert!(
            broken_in_pieces > 3,
            "broken and in pieces {broken_in_pieces} times"
        );
    }

    /// Edits drawn at random in an array: its pieces, cut again where the edits changed it, are
    /// those of the text cut whole, numbered alike.
    #[test]
    fn an_array_cut_again_where_edits_changed_it_is_cut_as_a_whole() {
        let mut text = array_of(400);
        let mut below = random_below(0x6172_7261_7973);
        let mut pieces = pieces_of(&text, split_array(&text, 4));
        let element = "  {\n    \"id\": \"NEW\"\n  },\n";
        for step in 0..300 {
            for _ in 0..1 + below(3) {
                let at = text.floor_char_boundary(2 + below(text.len() - 1));
                let end = text.floor_char_boundary((at + below(3) * below(200)).min(text.len()));
                let inserted = match below(5) {
                    0 => String::new(),
                    1 => "\n".into(),
                    2 => "    \"x\": 1,\n".into(),
                    3 => element.into(),
                    _ => "x".into(),
                };
                edit(&mut pieces, &mut text, at..end, &inserted);
            }
            let again = pieces.split_array_again(&text, 4);
            assert_eq!(again, split_array(&text, 4), "step {step}");
            assert!(again.len() > 20, "step {step}: {} pieces", again.len());
            pieces = pieces_of(&text, again);
        }
    }

    /// Edits drawn at random: the pieces of the text they leave, split again where they changed
    /// it, are those of the text split whole.
    #[test]
    fn a_text_split_again_where_edits_changed_it_is_split_as_a_whole() {
        let mut text = records(3_000).join("\n") + "\n";
        let mut below = random_below(0x7069_6563_6573);
        let mut pieces = pieces_of(&text, split(&text, 16));
        for step in 0..300 {
            // One to three edits between two splits, each at a line's start or inside a line.
            for _ in 0..1 + below(3) {
                let at = text.floor_char_boundary(below(text.len() + 1));
                let end = text.floor_char_boundary((at + below(3) * below(200)).min(text.len()));
                let inserted = match below(4) {
                    0 => String::new(),
                    1 => "\n".into(),
                    2 => format!("{{\"id\": \"X-{step}\"}}\n"),
                    _ => "x".into(),
                };
                edit(&mut pieces, &mut text, at..end, &inserted);
            }
            let again = pieces.split_again(&text, 16);
            assert_eq!(again, split(&text, 16), "step {step}");
            pieces = pieces_of(&text, again);
            // Where an edit's line is looked for from: a line at or before it, where it starts.
            let line = below(text.lines().count() + 1) as u32;
            let (offset, found) = pieces.line_start(line, usize::MAX);
            let starts: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            assert!(found <= line, "step {step}: {found} > {line}");
            assert_eq!(starts[found as usize], offset, "step {step}");
            assert!(
                found + 64 > line || pieces.pieces.len() < 2,
                "step {step}: from {found}"
            );
        }
    }
}
