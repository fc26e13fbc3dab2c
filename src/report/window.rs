//! The windowed source: the part of a file a diagnostic's snippet shows, cut to the report's width.
//!
//! miette draws a snippet from whatever [`SourceCode`] it is handed. Handing it the whole file
//! breaks on real exports: a JSON Lines record of 2,000 characters is printed whole with an
//! underline as wide, and past column 65,535 miette's padding overflows and panics. So the human
//! report hands it a [`Windowed`] copy instead: only the lines the snippet can show, each cut to a
//! window around its labels with `…` where text was left out (as rustc does), every character
//! passed through [`sanitise`] so a record cannot command the terminal, tabs expanded, and the
//! labels' spans shifted into the copy. The copy answers miette's questions about places with the
//! original file's numbers, so the header's `file:line:column` is the one the JSON report gives
//! ([`SourceFile::line_column`], columns in characters), whatever was cut.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::rc::Rc;
use std::sync::{Arc, Weak};

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::sanitise;
use crate::diagnostic::Label;
use crate::source::{SourceFile, Span};

/// Marks text left out of a window.
const ELLIPSIS: &str = "…";
/// miette's tab stops; tabs are expanded here so the widths below are exact.
const TAB: usize = 4;
/// Columns of context kept left of a label that fits, so a value is seen with its key.
const LEFT_CONTEXT: usize = 30;
/// Label text is never wrapped narrower than this, however far right its label sits.
const MIN_LABEL_WIDTH: usize = 10;

/// A diagnostic's snippet source: window lines, numbered as in the original file.
#[derive(Debug)]
pub struct Windowed {
    name: String,
    text: String,
    /// The original 1-based number of the copy's first line.
    first_line: usize,
    /// Each label's start in the copy, with its original 1-based line and column (primary first).
    starts: Vec<(usize, usize, usize)>,
}

/// How a snippet is laid out.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The report's width in columns.
    pub width: usize,
    /// Lines of context shown around a label (0 for JSON Lines, where a neighbour is another
    /// record).
    pub context: usize,
}

/// One shown character: where it was, where it is drawn, and its replacement if not itself.
struct Cell {
    orig: usize,
    col: usize,
    width: usize,
    text: Option<String>,
}

/// A line as shown: its cells, and the window chosen over them.
struct ShownLine {
    cells: Rc<Vec<Cell>>,
    /// Included cells, as ranges of indices in order; a `…` stands for each gap, and for
    /// what is left out before the first and after the last.
    ranges: Vec<(usize, usize)>,
    /// Where the line starts in the copy.
    at: usize,
}

impl ShownLine {
    fn width(&self) -> usize {
        self.cells.last().map_or(0, |c| c.col + c.width)
    }

    /// The display column of the first cell at or after an original offset.
    fn col_at(&self, offset: usize) -> usize {
        let i = self.cells.partition_point(|c| c.orig < offset);
        self.cells.get(i).map_or(self.width(), |c| c.col)
    }

    /// The copy of this line: marks and included cells.
    fn render(&self, text: &str, copy: &mut String) {
        let mut prev = 0;
        for &(a, b) in &self.ranges {
            if a > prev {
                copy.push_str(ELLIPSIS);
            }
            for cell in &self.cells[a..b] {
                copy.push_str(cell_text(text, cell));
            }
            prev = b;
        }
        if prev < self.cells.len() {
            copy.push_str(ELLIPSIS);
        }
    }

    /// Where an original offset on this line lands in the copy; an offset left out lands just
    /// after the mark that stands for it.
    fn map(&self, text: &str, offset: usize) -> usize {
        let mut at = self.at;
        let mut prev = 0;
        for &(a, b) in &self.ranges {
            if a > prev {
                at += ELLIPSIS.len();
            }
            for cell in &self.cells[a..b] {
                if cell.orig >= offset {
                    return at;
                }
                at += cell_text(text, cell).len();
            }
            prev = b;
        }
        at
    }
}

fn cell_text<'a>(text: &'a str, cell: &'a Cell) -> &'a str {
    match &cell.text {
        Some(t) => t,
        None => char_at(text, cell.orig),
    }
}

/// A copy of the source for one diagnostic, and its labels moved into it with their texts
/// wrapped to the width left beside them. `None` when there is nothing to show.
pub fn window(
    source: &Arc<SourceFile>,
    labels: &[Label],
    layout: Layout,
) -> Option<(Windowed, Vec<Label>)> {
    window_with(source, labels, layout, WHOLE_LINE_BYTES)
}

/// [`window`], with the length past which a line is shown from pieces around its labels.
fn window_with(
    source: &Arc<SourceFile>,
    labels: &[Label],
    layout: Layout,
    whole_line_bytes: usize,
) -> Option<(Windowed, Vec<Label>)> {
    if labels.is_empty() {
        return None;
    }
    let text = source.text.as_str();
    // Spans clamped to the text and to character boundaries.
    let spans: Vec<(usize, usize)> = labels
        .iter()
        .map(|l| {
            let start = floor_boundary(text, l.span.start);
            let end = ceil_boundary(text, l.span.end).max(start);
            (start, end)
        })
        .collect();
    let lines: Vec<(usize, usize)> = spans
        .iter()
        .map(|&(start, end)| {
            let end_line = source.line_number(end.saturating_sub(1).max(start));
            (source.line_number(start), end_line)
        })
        .collect();
    let first = lines
        .iter()
        .map(|l| l.0)
        .min()?
        .saturating_sub(layout.context)
        .max(1);
    let last = (lines.iter().map(|l| l.1).max()? + layout.context).min(source.line_count());

    // The lines miette can show: a label's own lines, their context, and the inside of a label
    // over several lines. Others become empty lines that keep the numbering.
    let mut needed = BTreeMap::new();
    for &(from, to) in &lines {
        for n in from.saturating_sub(layout.context).max(first)..=(from + layout.context).min(last)
        {
            needed.insert(n, ());
        }
        for n in to.saturating_sub(layout.context).max(first)..=(to + layout.context).min(last) {
            needed.insert(n, ());
        }
        for n in from..=to {
            needed.insert(n, ());
        }
    }

    let multi = lines.iter().filter(|(from, to)| from != to).count();
    let gutter = if multi > 0 { 2 * multi + 2 } else { 0 };
    let linum = source.file_line(last).to_string().len();
    // " 123 │ " before the text, and the gutter of labels over several lines.
    let budget = layout.width.saturating_sub(linum + 4 + gutter).max(12);

    let mut shown: BTreeMap<usize, ShownLine> = BTreeMap::new();
    // On a line too long to take whole, the bytes around each label's ends that a window can
    // show: a column is at most four bytes.
    let reach = 4 * layout.width.max(LEFT_CONTEXT);
    for &n in needed.keys() {
        let span = source.line_span(n);
        let cells = if span.len() > whole_line_bytes {
            Rc::new(piece_cells(text, span, &spans, reach))
        } else {
            cells_of(source, span)
        };
        shown.insert(
            n,
            ShownLine {
                ranges: vec![(0, cells.len())],
                cells,
                at: 0,
            },
        );
    }
    // Labelled lines choose their window around their labels; primary labels first.
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&i| !labels[i].primary);
    let mut starts_of: BTreeMap<usize, usize> = BTreeMap::new();
    for (&n, line) in shown.iter_mut() {
        let mut anchors = Vec::new();
        for &i in &order {
            let (start, end) = spans[i];
            let (from, to) = lines[i];
            let anchor = match (from == n, to == n) {
                (true, true) => (line.col_at(start), line.col_at(end)),
                (true, false) => {
                    let a = line.col_at(start);
                    (a, a + 1)
                }
                (false, true) => {
                    let b = line.col_at(end);
                    (b.saturating_sub(1), b.max(1))
                }
                (false, false) => continue,
            };
            anchors.push(anchor);
        }
        if anchors.is_empty() {
            continue;
        }
        let start = choose(line, &anchors, None, budget);
        starts_of.insert(n, start);
    }
    // Other lines follow the nearest labelled line's window, so columns stay aligned.
    for (&n, line) in shown.iter_mut() {
        if starts_of.contains_key(&n) {
            continue;
        }
        let nearest = starts_of
            .iter()
            .min_by_key(|(m, _)| m.abs_diff(n))
            .map(|(_, &s)| s);
        choose(line, &[], nearest, budget);
    }

    // The copy: every line from `first` to `last`, shown lines windowed, the rest empty.
    let mut copy = String::new();
    for n in first..=last {
        if n > first {
            copy.push('\n');
        }
        if let Some(line) = shown.get_mut(&n) {
            line.at = copy.len();
            line.render(text, &mut copy);
        }
    }

    // Where an original offset on line `n` lands in the copy.
    let map = |n: usize, offset: usize| shown.get(&n).map_or(0, |line| line.map(text, offset));

    let mut moved = Vec::with_capacity(labels.len());
    let mut starts = Vec::with_capacity(labels.len());
    for (i, label) in labels.iter().enumerate() {
        let (start, end) = spans[i];
        let (from, to) = lines[i];
        let at = map(from, start);
        let until = map(to, end).max(at);
        let (line, column) = source.line_column(label.span.start);
        starts.push((label.primary, at, line, column));
        let room = {
            let indent = linum + 4 + gutter;
            if from == to {
                let line_at = shown.get(&from).map_or(0, |l| l.at);
                let col = |o: usize| copy.get(line_at..o).map_or(0, UnicodeWidthStr::width);
                let (a, b) = (col(at), col(until).max(col(at) + 1));
                layout.width.saturating_sub(indent + (a + b) / 2 + 5)
            } else {
                layout.width.saturating_sub(indent + 4)
            }
        };
        moved.push(Label {
            span: Span::new(at, until),
            text: label
                .text
                .as_ref()
                .map(|t| wrap(&sanitise::line(t), room.max(MIN_LABEL_WIDTH))),
            primary: label.primary,
        });
    }
    starts.sort_by_key(|s| !s.0);
    Some((
        Windowed {
            name: sanitise::line(&source.name).into_owned(),
            text: copy,
            first_line: source.file_line(first),
            starts: starts.into_iter().map(|(_, a, l, c)| (a, l, c)).collect(),
        },
        moved,
    ))
}

/// Picks the window of a line wider than `budget` (display columns, marks included): around the
/// `anchors` (display column ranges of labels, the primary first) when there are any, else from
/// `start`, else from the line's start. Anchors too far apart for one window get a window each,
/// joined by `…`. Returns the first column shown.
fn choose(
    line: &mut ShownLine,
    anchors: &[(usize, usize)],
    start: Option<usize>,
    budget: usize,
) -> usize {
    let total = line.width();
    line.ranges = vec![(0, line.cells.len())];
    if total <= budget {
        return 0;
    }
    // Room between two marks.
    let inner = budget - 2;
    let union = (
        anchors.iter().map(|a| a.0).min().unwrap_or(0),
        anchors.iter().map(|a| a.1).max().unwrap_or(0),
    );
    let segments: Vec<(usize, usize)> = if anchors.is_empty() {
        let from = start.filter(|&s| s < total).unwrap_or(0);
        vec![(from, if from == 0 { budget - 1 } else { from + inner })]
    } else if union.1 - union.0 <= inner {
        let (a, b) = union;
        let from = a - a.min(((inner - (b - a)) / 2).min(LEFT_CONTEXT));
        vec![(from, if from == 0 { budget - 1 } else { from + inner })]
    } else {
        // One window per anchor, left to right, in equal shares of the room between marks.
        let mut sorted = anchors.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let share = (budget.saturating_sub(sorted.len() + 1) / sorted.len()).max(1);
        let mut segments: Vec<(usize, usize)> = Vec::new();
        for (a, b) in sorted {
            let from = a - a.min(share.saturating_sub(b - a) / 4);
            let to = from + share;
            match segments.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => segments.push((from, to)),
            }
        }
        segments
    };
    // Near the line's end a window stops short rather than slide left: labels keep their place,
    // and room for their text beside them.
    line.ranges = segments
        .iter()
        .map(|&(from, to)| {
            let to = to.min(total);
            let a = line.cells.partition_point(|c| c.col < from);
            let b = line.cells.partition_point(|c| c.col + c.width <= to);
            (a, b.max(a))
        })
        .collect();
    segments.first().map_or(0, |s| s.0)
}

/// Lines longer than this are shown from pieces around their labels (see [`piece_cells`]): a
/// line of megabytes with thousands of findings (one record of a minified export) would
/// otherwise build the cells of all of it for each.
const WHOLE_LINE_BYTES: usize = 64 * 1024;

/// The lines whose cells are kept for the next diagnostics on the same thread: long enough that
/// building their cells again for each finding on them would cost more than finding them kept
/// (a record on one long line with thousands of findings), short enough to keep a few.
const KEPT_LINE_BYTES: RangeInclusive<usize> = 256..=WHOLE_LINE_BYTES;
/// How many such lines are kept.
const KEPT_LINES: usize = 4;

/// A long line's cells, by its source and where the line starts in it: a source's text never
/// changes, and the weak reference keeps the source's address from being given to another
/// source while the line is kept (its text is freed with the source).
struct KeptLine {
    source: Weak<SourceFile>,
    start: usize,
    cells: Rc<Vec<Cell>>,
}

thread_local! {
    /// The last long lines windowed on this thread.
    static KEPT: RefCell<Vec<KeptLine>> = const { RefCell::new(Vec::new()) };
}

/// The cells of the line at `span`, kept for the next diagnostics on it when it is long.
fn cells_of(source: &Arc<SourceFile>, span: Span) -> Rc<Vec<Cell>> {
    let text = &source.text[span.start..span.end];
    if !KEPT_LINE_BYTES.contains(&text.len()) {
        return Rc::new(line_cells(text, span.start));
    }
    KEPT.with_borrow_mut(|kept| {
        let same = |line: &&KeptLine| {
            line.start == span.start && std::ptr::eq(line.source.as_ptr(), Arc::as_ptr(source))
        };
        if let Some(line) = kept.iter().find(same) {
            return line.cells.clone();
        }
        let cells: Rc<Vec<Cell>> = Rc::new(line_cells(text, span.start));
        if kept.len() == KEPT_LINES {
            kept.remove(0);
        }
        kept.push(KeptLine {
            source: Arc::downgrade(source),
            start: span.start,
            cells: cells.clone(),
        });
        cells
    })
}

/// The cells of pieces of a very long line: the bytes within `reach` of each end of a label on
/// it (of its start, for a line without one), with a cell `…` for each part left out. A window
/// over them shows what one over the whole line would, but that a tab left of a label is
/// expanded from where its piece starts.
fn piece_cells(text: &str, line: Span, spans: &[(usize, usize)], reach: usize) -> Vec<Cell> {
    let on_line = |at: usize| (line.start..=line.end).contains(&at).then_some(at);
    let mut ends: Vec<usize> = (spans.iter())
        .flat_map(|&(start, end)| [on_line(start), on_line(end)])
        .flatten()
        .collect();
    if ends.is_empty() {
        ends.push(line.start);
    }
    ends.sort_unstable();
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    for at in ends {
        let from = floor_boundary(text, at.saturating_sub(reach).max(line.start));
        let to = ceil_boundary(text, (at + reach).min(line.end));
        match pieces.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => pieces.push((from, to)),
        }
    }
    let mut cells = Vec::with_capacity(pieces.iter().map(|(from, to)| to - from + 1).sum());
    let mut done = line.start;
    let left_out = |orig: usize, col: usize| Cell {
        orig,
        col,
        width: 1,
        text: Some(ELLIPSIS.to_string()),
    };
    // The display column after the cells so far.
    let next_col = |cells: &[Cell]| cells.last().map_or(0, |c| c.col + c.width);
    for (from, to) in pieces {
        if from > done {
            cells.push(left_out(done, next_col(&cells)));
        }
        let col = next_col(&cells);
        let piece = &text[from..to];
        let piece = if to == line.end {
            piece.strip_suffix('\r').unwrap_or(piece)
        } else {
            piece
        };
        push_cells(&mut cells, piece, from, col);
        done = to;
    }
    if done < line.end {
        cells.push(left_out(done, next_col(&cells)));
    }
    cells
}

/// The cells of a line's `text`, which starts at `start` of its file: each character
/// sanitised, tabs expanded, a file's byte-order mark dropped, with its display column.
fn line_cells(text: &str, start: usize) -> Vec<Cell> {
    let content = text.strip_suffix('\r').unwrap_or(text);
    let mut cells = Vec::with_capacity(content.chars().count());
    push_cells(&mut cells, content, start, 0);
    cells
}

/// The cells of `text`, which starts at byte `start` of its file and at display column `col`.
fn push_cells(cells: &mut Vec<Cell>, text: &str, start: usize, mut col: usize) {
    for (i, c) in text.char_indices() {
        let orig = start + i;
        let (width, replaced) = match c {
            '\t' => {
                let w = TAB - col % TAB;
                (w, Some(" ".repeat(w)))
            }
            '\u{feff}' if orig == 0 => (0, Some(String::new())),
            // Most of a record: one column, shown as it is.
            c if c == ' ' || c.is_ascii_graphic() => (1, None),
            c => match sanitise::escape(c, false) {
                Some(visible) => (visible.width(), Some(visible)),
                None => (c.width().unwrap_or(0), None),
            },
        };
        cells.push(Cell {
            orig,
            col,
            width,
            text: replaced,
        });
        col += width;
    }
}

fn char_at(text: &str, offset: usize) -> &str {
    let len = text[offset..].chars().next().map_or(0, char::len_utf8);
    &text[offset..offset + len]
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

fn ceil_boundary(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o += 1;
    }
    o
}

/// Greedy word wrap to `width` display columns; a word wider than a line is cut.
fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    for word in text.split(' ') {
        let w = word.width();
        if used > 0 && used + 1 + w > width {
            lines.push(std::mem::take(&mut current));
            used = 0;
        }
        if used > 0 {
            current.push(' ');
            used += 1;
        }
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width && used > 0 {
                lines.push(std::mem::take(&mut current));
                used = 0;
            }
            current.push(c);
            used += cw;
        }
    }
    lines.push(current);
    lines.join("\n")
}

impl SourceCode for Windowed {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        // miette asks for a label's own place (no context) to write the header: answer with the
        // original line and column, as the JSON report counts them.
        let original = self
            .starts
            .iter()
            .find(|s| s.0 == span.offset())
            .filter(|_| context_lines_before == 0);
        let (line, column) = match original {
            Some(&(_, line, column)) => (line - 1, column - 1),
            None => (inner.line() + self.first_line - 1, inner.column()),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column,
            // miette compares this with line numbers to merge snippets: keep it in the
            // original's numbering too.
            inner.line_count() + self.first_line - 1,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_words_and_cuts_long_ones() {
        assert_eq!(wrap("aa bb cc", 5), "aa bb\ncc");
        assert_eq!(wrap("abcdefg", 3), "abc\ndef\ng");
        assert_eq!(wrap("市政府会议", 4), "市政\n府会\n议");
    }

    /// A very long line shown from pieces around its labels gives the window the whole line
    /// gives: one label, two far apart, one over the rest of the line, at its start and end.
    #[test]
    fn a_line_shown_from_pieces_windows_as_the_whole_line() {
        let items: Vec<String> = (0..3_000)
            .map(|i| format!("{{\"id\": \"市{i}\"}}"))
            .collect();
        let line = format!("{{\"members\": [{}]}}\r", items.join(", "));
        let source = SourceFile::new("r.jsonl", format!("{line}\n{{}}\n"));
        let end = line.len() - 1;
        let label = |start: usize, end: usize, primary: bool| Label {
            span: Span::new(start, end),
            text: Some("here".into()),
            primary,
        };
        let cases = [
            vec![label(0, 1, true)],
            vec![label(30_000, 30_004, true)],
            vec![label(end - 3, end, true)],
            vec![label(50_000, 50_008, true), label(11, end - 1, false)],
            vec![label(40_000, 40_008, true), label(12, 13, false)],
        ];
        for width in [40, 100, 300] {
            let layout = Layout { width, context: 1 };
            for labels in &cases {
                let shown = |whole: usize| {
                    let (windowed, labels) =
                        window_with(&source, labels, layout, whole).expect("a window");
                    format!("{windowed:?} {labels:?}")
                };
                assert_eq!(shown(1_000), shown(usize::MAX), "{width} {labels:?}");
            }
        }
    }

    /// The cells kept of a long line give each finding on it the window built afresh, and a line
    /// of another source at the same place gets its own, even when the first source is gone.
    #[test]
    fn a_kept_long_line_windows_as_a_fresh_one() {
        let items: Vec<String> = (0..400).map(|i| format!("\"市{i}\t\"")).collect();
        let line = format!("{{\"members\": [{}]}}", items.join(","));
        // The same bytes at the same places, other widths.
        let other = line.replace('市', "abc");
        let layout = Layout {
            width: 80,
            context: 0,
        };
        let label = |at: usize| Label {
            span: Span::new(at, at + 3),
            text: Some("here".into()),
            primary: true,
        };
        let shown = |text: &str, at: usize| {
            let source = SourceFile::new("r.jsonl", text);
            let (windowed, labels) = window(&source, &[label(at)], layout).expect("a window");
            format!("{windowed:?} {labels:?}")
        };
        let fresh = |text: &str, at: usize| {
            KEPT.with_borrow_mut(Vec::clear);
            shown(text, at)
        };
        for at in [20, 2_000, line.len() - 10] {
            let (expected, expected_other) = (fresh(&line, at), fresh(&other, at));
            KEPT.with_borrow_mut(Vec::clear);
            assert_eq!(shown(&line, at), expected, "built");
            assert_eq!(shown(&line, at), expected, "kept");
            assert_eq!(shown(&other, at), expected_other, "another text");
            assert_eq!(shown(&line, at), expected, "after another text");
        }
    }
}
