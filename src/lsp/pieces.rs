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

/// A file's own judgement: one result for the whole text, or the results of its pieces in order.
pub type Parts = Vec<Arc<FileResult>>;

/// The lines of a piece; `BYLAW_LSP_PIECE_LINES` sets it, for tests. A piece of 1,024 records is
/// judged in about 5 ms on one core; smaller pieces cost more in what each adds to the set stage.
fn piece_lines() -> usize {
    std::env::var("BYLAW_LSP_PIECE_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(1024)
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
}

impl Default for Pieces {
    fn default() -> Pieces {
        Pieces {
            pieces: Vec::new(),
            len: 0,
            unchanged: Unchanged::ALL,
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
        let (old, bytes) = (&self.pieces, text.as_bytes());
        let prefix = self.unchanged.prefix.min(self.len).min(text.len());
        let suffix = self.unchanged.suffix.min(self.len).min(text.len());
        // The pieces wholly before the first change, each ending with its last line's end.
        let head = (old.iter())
            .take_while(|p| {
                let end = p.span.range.end;
                end <= prefix && bytes.get(end.wrapping_sub(1)) == Some(&b'\n')
            })
            .count();
        let mut spans: Vec<Span> = old[..head].iter().map(|p| p.span.clone()).collect();
        let (start, first_line) = spans
            .last()
            .map_or((0, 1), |s| (s.range.end, s.first_line + s.lines));
        // The pieces after the last change, found again where a piece split anew ends where one
        // of them started: the text after it is the same, and is split the same.
        let grown = text.len() as isize - self.len as isize;
        let tail_from = self.len - suffix;
        let rest = &old[head..];
        let mut tail = None;
        let again = split_from(text, (start, first_line), lines, |end, next_line| {
            let Some(was) = end
                .checked_add_signed(-grown)
                .filter(|&was| was >= tail_from)
            else {
                return false;
            };
            match rest.binary_search_by_key(&was, |p| p.span.range.start) {
                Ok(at) => {
                    tail = Some((at, next_line));
                    true
                }
                Err(_) => false,
            }
        });
        spans.extend(again);
        if let Some((at, next_line)) = tail {
            let moved = next_line as isize - rest[at].span.first_line as isize;
            spans.extend(rest[at..].iter().map(|p| {
                let mut span = p.span.clone();
                span.range = span.range.start.saturating_add_signed(grown)
                    ..span.range.end.saturating_add_signed(grown);
                span.first_line = span.first_line.saturating_add_signed(moved);
                span
            }));
        }
        spans
    }

    /// The judgement of the open document `name` whose text is `text`: for JSON Lines longer
    /// than a piece, piece by piece, each piece of the last text that is unchanged kept; for
    /// anything else, whole.
    pub fn judge(&mut self, policy: &Policy, name: &str, text: &str) -> Parts {
        let format = crate::discover::format_of(std::path::Path::new(name))
            .unwrap_or_else(|| crate::records::sniff_format(text));
        let spans = match format {
            Format::Lines => self.split_again(text, piece_lines()),
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
            match last.get_mut(&span.key).and_then(Vec::pop) {
                Some(piece) => pieces.push(Some(piece.moved_to(span))),
                None => {
                    let piece_text = Arc::<str>::from(&text[span.range.clone()]);
                    stale.push((pieces.len(), span, piece_text));
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
        let judged: Vec<(usize, Piece)> = (stale.into_par_iter())
            .map(|(at, span, text)| {
                let first_line = span.first_line;
                let result = audit::judge_lines(policy, name.to_string(), text.clone(), first_line);
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
        if bad_inputs > crate::records::Limits::default().max_bad_inputs {
            return vec![Arc::new(audit::judge_file(policy, name.to_string(), text))];
        }
        self.pieces
            .iter()
            .map(|piece| piece.result.clone())
            .collect()
    }
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
        });
    }
    pieces
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

    /// Edits drawn at random: the pieces of the text they leave, split again where they changed
    /// it, are those of the text split whole.
    #[test]
    fn a_text_split_again_where_edits_changed_it_is_split_as_a_whole() {
        let mut text = records(3_000).join("\n") + "\n";
        let mut state: u64 = 0x7069_6563_6573;
        let mut below = |n: usize| -> usize {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        };
        let as_pieces = |spans: Vec<Span>| -> Vec<Piece> {
            (spans.into_iter())
                .map(|span| Piece {
                    span,
                    result: Arc::default(),
                    near_misses: Vec::new(),
                    known: NearMisses::default(),
                })
                .collect()
        };
        let mut pieces = Pieces {
            pieces: as_pieces(split(&text, 16)),
            len: text.len(),
            unchanged: Unchanged::ALL,
        };
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
                pieces.edited(Unchanged {
                    prefix: at,
                    suffix: text.len() - end,
                });
                text.replace_range(at..end, &inserted);
            }
            let again = pieces.split_again(&text, 16);
            assert_eq!(again, split(&text, 16), "step {step}");
            pieces.pieces = as_pieces(again);
            (pieces.len, pieces.unchanged) = (text.len(), Unchanged::ALL);
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
