//! A large JSON Lines document judged a piece of lines at a time, so that an edit judges again
//! the piece it changed, not the document: in a JSON Lines export of 16,470 meetings (25 MB), a
//! keystroke judged all of them again (70 ms of an edit's 100). A JSON Lines record is its line, so a piece reads as
//! the same lines of the whole text do (`records::stream::read_lines_from`): its line numbers are
//! the document's, and the set stage, given the pieces in order, sees the document's records in
//! its order. A piece is kept while its text and first line are unchanged: an edit within a line
//! judges one piece again; an edit that adds or removes lines, the pieces from it to the end.
//! A piece's near-miss keys are found with its judgement, and kept with it.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use lsp_types::Diagnostic;
use rayon::prelude::*;

use super::fields::MAX_NEAR_MISSES;
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
    text: Arc<str>,
    result: Arc<FileResult>,
    /// Its keys that look like misspelled fields ([`super::fields`]), at the document's lines.
    near_misses: Vec<Diagnostic>,
}

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
        let mut last: HashMap<usize, Piece> = (std::mem::take(&mut self.0).into_iter())
            .map(|piece| (piece.first_line, piece))
            .collect();
        let mut pieces: Vec<Option<Piece>> = Vec::with_capacity(spans.len());
        let mut stale = Vec::new();
        for (first_line, range) in spans {
            let piece_text = &text[range];
            match last.remove(&first_line) {
                Some(piece) if *piece.text == *piece_text => pieces.push(Some(piece)),
                _ => {
                    stale.push((pieces.len(), first_line, Arc::<str>::from(piece_text)));
                    pieces.push(None);
                }
            }
        }
        let judged: Vec<(usize, Piece)> = (stale.into_par_iter())
            .map(|(at, first_line, text)| {
                let result = audit::judge_lines(policy, name.to_string(), text.clone(), first_line);
                let result = Arc::new(result);
                let part = (name, &*text, first_line);
                let near_misses = super::fields::near_misses(policy, part, &mut Default::default());
                let piece = Piece {
                    first_line,
                    text,
                    result,
                    near_misses,
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

/// The pieces of `text`, `lines` lines each (the last may be shorter): each one's first line
/// (1-based) and byte range.
fn split(text: &str, lines: usize) -> Vec<(usize, Range<usize>)> {
    let mut pieces = Vec::new();
    let (mut start, mut first_line) = (0, 1);
    let ends = memchr::memchr_iter(b'\n', text.as_bytes())
        .skip(lines - 1)
        .step_by(lines);
    for newline in ends {
        pieces.push((first_line, start..newline + 1));
        (start, first_line) = (newline + 1, first_line + lines);
    }
    if start < text.len() {
        pieces.push((first_line, start..text.len()));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_split_at_every_nth_line_end() {
        let text = "a\nb\nc\nd\ne";
        let pieces = split(text, 2);
        let read: Vec<(usize, &str)> = pieces.iter().map(|(l, r)| (*l, &text[r.clone()])).collect();
        assert_eq!(read, [(1, "a\nb\n"), (3, "c\nd\n"), (5, "e")]);
        assert_eq!(split("a\nb\n", 2), [(1, 0..4)]);
        assert_eq!(split("a\nb\n", 1), [(1, 0..2), (2, 2..4)]);
        assert!(split("", 3).is_empty());
    }
}
