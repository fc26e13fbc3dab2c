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
    /// The document's line (1-based) the piece starts at.
    first_line: usize,
    /// What its text is known by (the text is held by its judgement, to read records again).
    key: TextKey,
    result: Arc<FileResult>,
    /// Its keys that look like misspelled fields ([`super::fields`]), at the document's lines.
    near_misses: Vec<Diagnostic>,
    /// Its records' near misses by their text, for a piece that replaces it.
    known: NearMisses,
}

impl Piece {
    /// The piece, found again at `first_line`: lines added or removed above it moved it, and
    /// what its judgement says of lines moves with it. Its judgement is shared only with the
    /// last check's, which the workspace dropped when the text changed: it is moved in place.
    fn moved_to(mut self, first_line: usize) -> Piece {
        let by = first_line as isize - self.first_line as isize;
        if by != 0 {
            Arc::make_mut(&mut self.result).shift_lines(by);
            for diagnostic in &mut self.near_misses {
                let range = &mut diagnostic.range;
                for position in [&mut range.start, &mut range.end] {
                    position.line = position.line.saturating_add_signed(by as i32);
                }
            }
            self.first_line = first_line;
        }
        self
    }
}

/// A piece's text, known by its length and a 64-bit hash of its lines, found as the text is
/// split (a text compared byte for byte took as long again: 6 ms for 43 MB). Two texts that
/// collide (a chance in 2^64 for an edit) would share a judgement until the next edit.
type TextKey = (usize, u64);

/// The pieces of an open document's last text, kept for the next.
#[derive(Default)]
pub struct Pieces(Vec<Piece>);

impl Pieces {
    /// The judgement of the open document `name` whose text is `text`: for JSON Lines longer
    /// than a piece, piece by piece, each piece of the last text that is unchanged kept; for
    /// anything else, whole.
    pub fn judge(&mut self, policy: &Policy, name: &str, text: &str) -> Parts {
        let format = crate::discover::format_of(std::path::Path::new(name))
            .unwrap_or_else(|| crate::records::sniff_format(text));
        let spans = match format {
            Format::Lines => split(text, piece_lines()),
            Format::Json => Vec::new(),
        };
        if spans.len() < 2 {
            self.0.clear();
            return vec![Arc::new(audit::judge_file(policy, name.to_string(), text))];
        }
        // The last text's pieces by their text, to be found again wherever they now start.
        let mut last: HashMap<TextKey, Vec<Piece>> = HashMap::new();
        for piece in std::mem::take(&mut self.0).into_iter().rev() {
            last.entry(piece.key).or_default().push(piece);
        }
        let mut pieces: Vec<Option<Piece>> = Vec::with_capacity(spans.len());
        let mut stale = Vec::new();
        for Span {
            first_line,
            range,
            key,
        } in spans
        {
            match last.get_mut(&key).and_then(Vec::pop) {
                Some(piece) => pieces.push(Some(piece.moved_to(first_line))),
                None => {
                    let piece_text = Arc::<str>::from(&text[range]);
                    stale.push((pieces.len(), first_line, key, piece_text));
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
            .map(|(at, first_line, key, text)| {
                let result = audit::judge_lines(policy, name.to_string(), text.clone(), first_line);
                let result = Arc::new(result);
                let part = (name, &*text, first_line);
                let (near_misses, known) = super::fields::near_misses(policy, part, &replaced);
                let piece = Piece {
                    first_line,
                    key,
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
        self.0 = pieces.into_iter().flatten().collect();
        // The bad inputs a file reports each at its place are counted over the whole file: past
        // that many, the whole text is judged, so that the count and the closing line are the
        // file's, not a piece's.
        let bad_inputs: usize = (self.0.iter())
            .map(|p| p.result.bad_inputs.len() + p.result.bad_inputs_not_shown)
            .sum();
        if bad_inputs > crate::records::Limits::default().max_bad_inputs {
            return vec![Arc::new(audit::judge_file(policy, name.to_string(), text))];
        }
        self.0.iter().map(|piece| piece.result.clone()).collect()
    }
}

impl Pieces {
    /// The near misses of the last text, when it was judged a piece at a time (the first
    /// [`MAX_NEAR_MISSES`] of the document, as [`super::fields::near_misses`] finds them).
    pub fn near_misses(&self) -> Option<Vec<Diagnostic>> {
        if self.0.is_empty() {
            return None;
        }
        let all = self.0.iter().flat_map(|piece| &piece.near_misses);
        Some(all.take(MAX_NEAR_MISSES).cloned().collect())
    }
}

/// A piece of a text: its first line (1-based), its bytes, and what it is known by.
#[derive(Debug, PartialEq, Eq)]
struct Span {
    first_line: usize,
    range: Range<usize>,
    key: TextKey,
}

/// The pieces of `text`, about `lines` lines each. A piece ends after a line chosen by its own
/// text (a hash of it), not by its number, so that a line added or removed changes the piece it
/// is in and leaves the others as they were, only moved: they are found again by their text. A
/// piece has at least a quarter of `lines` lines (each adds some work to the set stage) and at
/// most four times `lines`.
fn split(text: &str, lines: usize) -> Vec<Span> {
    use std::hash::BuildHasher;
    let fewest = (lines / 4).max(1);
    let most = lines.saturating_mul(4);
    // After its fewest lines, a piece ends after each line with a chance of one in `odds`, so
    // that it has about `lines` lines.
    let odds = (lines - fewest + 1) as u64;
    let hasher = foldhash::fast::FixedState::with_seed(1);
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let (mut start, mut first_line, mut count, mut hash) = (0, 1, 0, 0u64);
    let mut line_start = 0;
    // Each line's end: its `\n`, or the text's end for a last line without one.
    let last_line_end = (!text.is_empty() && !text.ends_with('\n')).then_some(bytes.len());
    for end in memchr::memchr_iter(b'\n', bytes).chain(last_line_end) {
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
                key: (range.len(), hash),
                range,
            });
            (start, first_line, count, hash) = (line_start, first_line + count, 0, 0);
        }
    }
    if count > 0 {
        let range = start..bytes.len();
        pieces.push(Span {
            first_line,
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
}
