//! Stage 2, for `bylaw fmt`: policy text → the same policy in its one canonical layout.
//!
//! The formatter walks pest's pairs, not the AST, because the AST has no comments and no layout.
//! It knows little about the grammar: a walk turns the tree into a stream of tokens (the pairs'
//! leaves, plus the keywords and punctuation found in the text between a pair's children) and
//! layout events, and a printer lays the stream out. What it must know per construct is in the
//! small tables below (which braces stay on one line, which `(` belongs to a call, which parts of a
//! clause may go on a line of their own); a node it does not know is formatted by formatting its
//! children, and a `{ … }` it does not know is a block of lines, so a grammar change rarely needs
//! more than a line here.
//!
//! The layout:
//! - four spaces per block level; a block's items each on a line; `{` ends its header's line and
//!   `}` has a line of its own. A block whose items are all single words (an enum's variants)
//!   stays on one line when it fits;
//! - one blank line before and after an item that opens a block (an article, a rule); elsewhere
//!   the author's blank line is kept, and runs of blank lines become one; none after `{` or
//!   before `}`;
//! - one space between tokens, none inside `( )`, `[ ]` and set braces, before `,` `:` `)` `.`,
//!   around `.` and `..`, between a call's name and its `(`, and after a unary `-`;
//! - a line longer than 100 columns is broken: first before each of a clause's `when`, `at`,
//!   `as`, `else` parts (and before a second string, as in `quote`), all of them, with four more
//!   spaces of indent; then, where a part is still too long, before `and` and `or`, filled
//!   greedily, indented four more spaces per open bracket. Strings are never broken;
//! - comments are kept: a comment on a line of its own stays above what follows it, at its
//!   indent; a comment after code stays at the end of that line;
//! - the text of strings, raw `"""` strings included, is kept byte for byte; outside strings, line
//!   endings become `\n`, a byte order mark is dropped, trailing spaces are removed, and the file
//!   ends with one newline (an empty file stays empty).

use std::borrow::Cow;
use std::sync::Arc;

use pest::iterators::Pair;
use pest::Parser;
use unicode_width::UnicodeWidthStr;

use super::grammar::{PolicyParser, Rule};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// The column a line should not pass.
pub const WIDTH: usize = 100;

/// Spaces per block level, and per continuation.
const INDENT: usize = 4;

/// Tokens kept exactly as written.
const VERBATIM: &[Rule] = &[Rule::raw_string, Rule::quoted_string];

/// Nodes whose braces are part of a line, not a block of lines.
const INLINE_BRACES: &[Rule] = &[Rule::set_literal, Rule::group_decl];

/// Nodes whose braces have no space inside: `{plenary, executive}`.
const TIGHT_BRACES: &[Rule] = &[Rule::set_literal];

/// Nodes whose `(` follows their name without a space: `count(x)`, `all(s in steps: …)`.
const CALL_LIKE: &[Rule] = &[Rule::call, Rule::quantifier, Rule::plays];

/// Parts of a clause that go on a line of their own when the clause is too long.
const SEGMENTS: &[Rule] = &[
    Rule::when_part,
    Rule::at_part,
    Rule::as_part,
    Rule::else_part,
];

/// Keywords the grammar names (so that an error can say one is missing): laid out as keywords.
const KEYWORDS: &[Rule] = &[
    Rule::chain_then,
    Rule::calendar_builtin,
    Rule::kw_if,
    Rule::kw_then,
    Rule::kw_else,
    Rule::kw_by,
    Rule::kw_sum,
];

/// Items of a block that have no keyword of their own but are still one line each; any other node
/// without a keyword of its own inside a block is a wrapper, whose children are the lines.
const LINES: &[Rule] = &[Rule::variant, Rule::policy_field, Rule::calendar_entry];

/// Formats one policy file. A file with a syntax error is not formatted; its error is returned.
pub fn format(source: &Arc<SourceFile>) -> Result<String, Vec<Diagnostic>> {
    // Before pest, whose recursion (and this walk's) follows the nesting.
    if let Some(too_deep) = super::depth::check_nesting(source) {
        return Err(vec![too_deep]);
    }
    let text = source.text.as_str();
    let mut pairs = PolicyParser::parse(Rule::policy_file, text)
        .map_err(|e| vec![super::error::syntax_error(source, e)])?;
    let mut walk = Walk::new(text, false);
    if let Some(file) = pairs.next() {
        let pieces = walk.pieces(&file);
        walk.lines(pieces);
    }
    let mut printer = Printer::new(text);
    for event in walk.out {
        printer.event(event);
    }
    Ok(printer.finish())
}

// ───────────────────────────── the walk ─────────────────────────────

/// One token of the output, with where it came from.
#[derive(Clone)]
struct Tok<'s> {
    text: Cow<'s, str>,
    /// The rule of the leaf pair, or of the pair in whose text between children it was found.
    rule: Rule,
    /// Found between a pair's children (a keyword or punctuation), not a pair of its own.
    gap: bool,
    start: usize,
    end: usize,
}

impl Tok<'_> {
    fn is_string(&self) -> bool {
        VERBATIM.contains(&self.rule)
    }

    /// `and` and `or` as operators (not as a field name after a dot).
    fn breaks_before(&self) -> bool {
        (self.text == "and" || self.text == "or")
            && (self.gap || matches!(self.rule, Rule::op_and | Rule::op_or))
    }
}

enum Event<'s> {
    /// A new item of the current block begins; `multi` when the item opens a block of its own,
    /// `tail` for the comments after a block's last item.
    Line {
        multi: bool,
        tail: bool,
    },
    Tok(Tok<'s>),
    Comment {
        text: &'s str,
        start: usize,
        end: usize,
    },
    /// After a block's `{`.
    Open,
    /// Before a block's `}`.
    Close,
    /// A part of a clause that may go on a line of its own begins.
    Segment,
}

/// A pair's content in order: what lies between its children, lexed, and the children.
enum Piece<'s> {
    Tok(Tok<'s>),
    Comment {
        text: &'s str,
        start: usize,
        end: usize,
    },
    Child(Pair<'s, Rule>),
}

struct Walk<'s> {
    text: &'s str,
    out: Vec<Event<'s>>,
    /// Blocks are laid out on one line (to measure a block that might fit).
    flat: bool,
    depth: usize,
}

impl<'s> Walk<'s> {
    fn new(text: &'s str, flat: bool) -> Walk<'s> {
        Walk {
            text,
            out: Vec::new(),
            flat,
            depth: 0,
        }
    }

    fn pieces(&self, pair: &Pair<'s, Rule>) -> Vec<Piece<'s>> {
        let rule = pair.as_rule();
        let span = pair.as_span();
        let mut pieces = Vec::new();
        let mut at = span.start();
        for child in pair.clone().into_inner() {
            if KEYWORDS.contains(&child.as_rule()) {
                // Read with the text around it, as the keyword it is.
                continue;
            }
            let (start, end) = (child.as_span().start(), child.as_span().end());
            lex(self.text, at, start, rule, &mut pieces);
            pieces.push(Piece::Child(child));
            at = end;
        }
        lex(self.text, at, span.end(), rule, &mut pieces);
        pieces
    }

    fn tok(&mut self, tok: Tok<'s>) {
        // Two strings in a row (`quote "…" "…"`): the second may go on a line of its own.
        if tok.is_string() {
            if let Some(Event::Tok(prev)) = self.out.last() {
                if prev.is_string() {
                    self.out.push(Event::Segment);
                }
            }
        }
        self.out.push(Event::Tok(tok));
    }

    fn piece(&mut self, piece: Piece<'s>) {
        match piece {
            Piece::Tok(t) => self.tok(t),
            Piece::Comment { text, start, end } => {
                self.out.push(Event::Comment { text, start, end })
            }
            Piece::Child(pair) => self.walk(pair),
        }
    }

    fn walk(&mut self, pair: Pair<'s, Rule>) {
        let rule = pair.as_rule();
        let span = pair.as_span();
        if VERBATIM.contains(&rule) || pair.clone().into_inner().next().is_none() {
            let raw = pair.as_str();
            if raw.is_empty() {
                return;
            }
            let text = if VERBATIM.contains(&rule) || !raw.contains(char::is_whitespace) {
                Cow::Borrowed(raw)
            } else {
                // `not  in`: the only tokens with spaces inside.
                Cow::Owned(raw.split_whitespace().collect::<Vec<_>>().join(" "))
            };
            self.tok(Tok {
                text,
                rule,
                gap: false,
                start: span.start(),
                end: span.end(),
            });
            return;
        }
        if SEGMENTS.contains(&rule) {
            self.out.push(Event::Segment);
        }
        let mut pieces = self.pieces(&pair);
        match block_bounds(&pieces, rule) {
            Some((open, close)) if !self.flat && !self.fits_flat(&pair) => {
                let after: Vec<Piece<'s>> = pieces.drain(close..).collect();
                let inner: Vec<Piece<'s>> = pieces.drain(open + 1..).collect();
                for piece in pieces {
                    self.piece(piece);
                }
                self.out.push(Event::Open);
                self.depth += 1;
                self.lines(inner);
                self.depth -= 1;
                self.out.push(Event::Close);
                for piece in after {
                    self.piece(piece);
                }
            }
            _ => {
                for piece in pieces {
                    self.piece(piece);
                }
            }
        }
    }

    /// Whether a block node stays on one line: its items are single words, it holds no comment,
    /// and it fits at this depth.
    fn fits_flat(&self, pair: &Pair<'s, Rule>) -> bool {
        let pieces = self.pieces(pair);
        let Some((open, close)) = block_bounds(&pieces, pair.as_rule()) else {
            return true;
        };
        let single_words = pieces[open + 1..close].iter().all(|p| match p {
            Piece::Child(c) => {
                let t = c.as_str().trim_end().trim_end_matches(',');
                !t.is_empty() && !t.contains(|c: char| c.is_whitespace() || c == '#')
            }
            Piece::Tok(_) => true,
            Piece::Comment { .. } => false,
        });
        if !single_words {
            return false;
        }
        let mut flat = Walk::new(self.text, true);
        flat.walk(pair.clone());
        let mut width = INDENT * self.depth;
        let mut prev: Option<&Tok> = None;
        for event in &flat.out {
            if let Event::Tok(t) = event {
                if prev.is_some_and(|p| space(p, t)) {
                    width += 1;
                }
                width += t.text.width();
                prev = Some(t);
            }
        }
        width <= WIDTH
    }

    /// The content of a block: each item on a line, with the comments and keywords before it.
    fn lines(&mut self, pieces: Vec<Piece<'s>>) {
        let mut pending: Vec<Piece<'s>> = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Child(child) if child.as_str().is_empty() => {}
                Piece::Child(child) if is_wrapper(&child, self) => {
                    // The comments and keywords before a wrapper go before its first line.
                    let mut inner: Vec<Piece<'s>> = std::mem::take(&mut pending);
                    inner.extend(self.pieces(&child));
                    self.lines(inner);
                }
                Piece::Child(child) => {
                    let multi = block_bounds(&self.pieces(&child), child.as_rule()).is_some()
                        && !self.fits_flat(&child);
                    self.out.push(Event::Line { multi, tail: false });
                    for p in pending.drain(..) {
                        self.piece(p);
                    }
                    self.walk(child);
                }
                Piece::Comment { start, .. }
                    if pending.is_empty() && !own_line(self.text, start) =>
                {
                    // A comment after the previous item's code stays on its line.
                    self.piece(piece);
                }
                other => pending.push(other),
            }
        }
        if !pending.is_empty() {
            self.out.push(Event::Line {
                multi: false,
                tail: true,
            });
            for p in pending {
                self.piece(p);
            }
        }
    }
}

/// A child of a block with no keyword of its own that is not known as a line: its children are.
fn is_wrapper(child: &Pair<'_, Rule>, walk: &Walk<'_>) -> bool {
    if LINES.contains(&child.as_rule()) || child.clone().into_inner().next().is_none() {
        return false;
    }
    walk.pieces(child)
        .iter()
        .all(|p| !matches!(p, Piece::Tok(_)))
}

/// The places of a block's `{` and `}` among a node's pieces.
fn block_bounds(pieces: &[Piece<'_>], rule: Rule) -> Option<(usize, usize)> {
    if INLINE_BRACES.contains(&rule) {
        return None;
    }
    let open = pieces.iter().position(|p| match p {
        Piece::Tok(t) => t.text == "{",
        Piece::Child(c) => c.as_str() == "{",
        Piece::Comment { .. } => false,
    })?;
    let close = pieces
        .iter()
        .rposition(|p| matches!(p, Piece::Tok(t) if t.text == "}"))?;
    (close > open).then_some((open, close))
}

/// Whether the text before `at` on its line is blank.
fn own_line(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches([' ', '\t', '\r', '\u{FEFF}']);
    before.is_empty() || before.ends_with('\n')
}

/// The keywords, punctuation and comments of `text[from..to]`, text between a pair's children.
fn lex<'s>(text: &'s str, from: usize, to: usize, rule: Rule, out: &mut Vec<Piece<'s>>) {
    let gap = &text[from..to];
    let mut chars = gap.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let start = from + i;
        if c.is_whitespace() || c == '\u{FEFF}' {
            continue;
        }
        let mut end = start + c.len_utf8();
        if c == '#' {
            while let Some(&(j, d)) = chars.peek() {
                if d == '\n' {
                    break;
                }
                end = from + j + d.len_utf8();
                chars.next();
            }
            let comment = text[start..end].trim_end();
            out.push(Piece::Comment {
                text: comment,
                start,
                end,
            });
            continue;
        }
        let word = |d: char| d.is_ascii_alphanumeric() || d == '_';
        if word(c) {
            while let Some(&(j, d)) = chars.peek() {
                if !word(d) {
                    break;
                }
                end = from + j + d.len_utf8();
                chars.next();
            }
        } else if let Some(&(_, d)) = chars.peek() {
            let pair = [c, d];
            if matches!(
                pair,
                ['.', '.'] | ['-', '>'] | ['=', '='] | ['!', '='] | ['<', '='] | ['>', '=']
            ) {
                end += d.len_utf8();
                chars.next();
            }
        }
        out.push(Piece::Tok(Tok {
            text: Cow::Borrowed(&text[start..end]),
            rule,
            gap: true,
            start,
            end,
        }));
    }
}

/// Whether one space goes between two tokens on a line.
fn space(prev: &Tok<'_>, next: &Tok<'_>) -> bool {
    let (p, n) = (prev.text.as_ref(), next.text.as_ref());
    if n == ".." && next.rule == Rule::expect_upto {
        // `expect ..3`: the range has no lower end, so `..` is the first word after `expect`.
        return true;
    }
    if matches!(n, "," | ":" | ")" | "]" | "..") || matches!(p, "(" | "[" | "." | "..") {
        return false;
    }
    if prev.rule == Rule::op_neg {
        return false;
    }
    if n == "." {
        // `a.b` is a path; `a .b` a field of `a`, which means something else to the checker, so
        // the space stays there. After a bracket a field needs none: `last(…).by`.
        return next.rule == Rule::op_field && !matches!(p, ")" | "]" | "}");
    }
    if n == "(" {
        return !CALL_LIKE.contains(&next.rule);
    }
    if (p == "{" && TIGHT_BRACES.contains(&prev.rule))
        || (n == "}" && TIGHT_BRACES.contains(&next.rule))
        || (p == "{" && n == "}")
    {
        return false;
    }
    true
}

// ───────────────────────────── the printer ─────────────────────────────

/// A part of the line being laid out.
enum Part<'s> {
    Tok {
        tok: Tok<'s>,
        /// Newlines in the source between this token and what came before it.
        newlines: usize,
    },
    Comment {
        text: &'s str,
        newlines: usize,
    },
    Segment,
}

/// How the line being collected starts.
#[derive(Clone, Copy, Default)]
struct LineStart {
    multi: bool,
    tail: bool,
    first: bool,
    after_multi: bool,
    closer: bool,
}

struct Printer<'s> {
    text: &'s str,
    lines: Vec<String>,
    parts: Vec<Part<'s>>,
    start: LineStart,
    depth: usize,
    /// Per open block: whether its last item so far opened a block (`None` before its first item).
    items: Vec<Option<bool>>,
    /// Where the last token or comment ended in the source.
    last_end: usize,
}

impl<'s> Printer<'s> {
    fn new(text: &'s str) -> Printer<'s> {
        Printer {
            text,
            lines: Vec::new(),
            parts: Vec::new(),
            start: LineStart {
                first: true,
                ..LineStart::default()
            },
            depth: 0,
            items: vec![None],
            last_end: 0,
        }
    }

    fn newlines_before(&mut self, start: usize, end: usize) -> usize {
        let n = self
            .text
            .get(self.last_end.min(start)..start)
            .map_or(0, |t| t.matches('\n').count());
        self.last_end = end;
        n
    }

    fn event(&mut self, event: Event<'s>) {
        match event {
            Event::Line { multi, tail } => {
                // A pair's text runs on over the comments after it (pest skips them inside the
                // pair when an optional part is absent): comments on lines of their own at the end
                // belong to the next item.
                let mut carry = Vec::new();
                while let Some(Part::Comment { newlines, .. }) = self.parts.last() {
                    if *newlines == 0 {
                        break;
                    }
                    carry.extend(self.parts.pop());
                }
                carry.reverse();
                self.flush();
                self.parts = carry;
                let last = self.items.last_mut();
                let previous = last.as_ref().and_then(|l| **l);
                self.start = LineStart {
                    multi,
                    tail,
                    first: previous.is_none(),
                    after_multi: previous == Some(true),
                    closer: false,
                };
                if let Some(last) = last {
                    if !tail {
                        *last = Some(multi);
                    } else if last.is_none() {
                        *last = Some(false);
                    }
                }
            }
            Event::Open => {
                self.flush();
                self.depth += 1;
                self.items.push(None);
                self.start = LineStart {
                    first: true,
                    ..LineStart::default()
                };
            }
            Event::Close => {
                self.flush();
                self.depth = self.depth.saturating_sub(1);
                self.items.pop();
                self.start = LineStart {
                    closer: true,
                    ..LineStart::default()
                };
            }
            Event::Tok(tok) => {
                let newlines = self.newlines_before(tok.start, tok.end);
                self.parts.push(Part::Tok { tok, newlines });
            }
            Event::Comment { text, start, end } => {
                let newlines = self.newlines_before(start, end);
                match self.lines.last_mut() {
                    // After a `{` or an item already laid out: stays at the end of that line.
                    Some(line) if newlines == 0 && self.parts.is_empty() => {
                        line.push(' ');
                        line.push_str(text);
                    }
                    _ => self.parts.push(Part::Comment { text, newlines }),
                }
            }
            Event::Segment => self.parts.push(Part::Segment),
        }
    }

    fn push_line(&mut self, line: String) {
        self.lines.push(line.trim_end().to_string());
    }

    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.lines.push(String::new());
        }
    }

    fn flush(&mut self) {
        if self.parts.is_empty() {
            return;
        }
        let parts = std::mem::take(&mut self.parts);
        let start = self.start;
        self.start = LineStart::default();
        let indent = INDENT * self.depth;
        let mut parts = parts.into_iter().peekable();
        let mut first = true;
        let author_blank = |newlines: usize| newlines >= 2;
        // Leading comments, each on a line of its own.
        loop {
            let newlines = match parts.peek() {
                Some(Part::Comment { newlines, .. }) | Some(Part::Tok { newlines, .. }) => {
                    *newlines
                }
                Some(Part::Segment) => {
                    parts.next();
                    continue;
                }
                None => break,
            };
            let blank = if self.lines.is_empty() || start.closer {
                false
            } else if first {
                !start.first
                    && ((!start.tail && (start.multi || start.after_multi))
                        || author_blank(newlines))
            } else {
                author_blank(newlines)
            };
            if blank {
                self.blank();
            }
            first = false;
            match parts.peek() {
                Some(Part::Comment { text, .. }) => {
                    let line = format!("{}{text}", " ".repeat(indent));
                    self.push_line(line);
                    parts.next();
                }
                _ => break,
            }
        }
        let mut rest: Vec<Part<'s>> = parts.collect();
        let mut tail = Vec::new();
        while let Some(Part::Comment { newlines, .. }) = rest.last() {
            if *newlines == 0 {
                break;
            }
            tail.extend(rest.pop());
        }
        if !rest.is_empty() {
            self.layout(rest, indent);
        }
        // Comments on lines of their own after the last item of a block or file.
        for part in tail.into_iter().rev() {
            if let Part::Comment { text, newlines } = part {
                if newlines >= 2 {
                    self.blank();
                }
                self.push_line(format!("{}{text}", " ".repeat(indent)));
            }
        }
    }

    /// Lays out one item's code from its first token: on one line if it fits, else broken.
    fn layout(&mut self, parts: Vec<Part<'s>>, indent: usize) {
        let mut segments: Vec<Vec<Part<'s>>> = vec![Vec::new()];
        for part in parts {
            match part {
                Part::Segment => {
                    if segments.last().is_some_and(|s| !s.is_empty()) {
                        segments.push(Vec::new());
                    }
                }
                other => {
                    if let Some(s) = segments.last_mut() {
                        s.push(other);
                    }
                }
            }
        }
        let all: Vec<&Part<'s>> = segments.iter().flatten().collect();
        if fits(&all, indent) {
            let lines = fill(&all, indent, None);
            self.push_lines(lines);
            return;
        }
        for (i, segment) in segments.iter().enumerate() {
            let at = if i == 0 { indent } else { indent + INDENT };
            let parts: Vec<&Part<'s>> = segment.iter().collect();
            // Breaks go in the fewest brackets that give lines as short as breaking anywhere.
            let deepest = max_brackets(&parts);
            let best = widest(&fill(&parts, at, Some(deepest)));
            let lines = (0..=deepest)
                .map(|limit| fill(&parts, at, Some(limit)))
                .find(|lines| widest(lines) <= best.max(WIDTH))
                .unwrap_or_else(|| fill(&parts, at, Some(deepest)));
            self.push_lines(lines);
        }
    }

    fn push_lines(&mut self, lines: Vec<String>) {
        for line in lines {
            self.push_line(line);
        }
    }

    fn finish(mut self) -> String {
        self.flush();
        while self.lines.last().is_some_and(|l| l.is_empty()) {
            self.lines.pop();
        }
        if self.lines.is_empty() {
            return String::new();
        }
        let mut out = self.lines.join("\n");
        out.push('\n');
        out
    }
}

/// Lays out parts from a new line at `indent`. With a `limit`, breaks before `and` and `or`
/// inside at most that many brackets where the line would pass [`WIDTH`], indented four spaces
/// more than `indent` and four more per open bracket.
fn fill(parts: &[&Part<'_>], indent: usize, limit: Option<usize>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = " ".repeat(indent);
    let mut column = indent;
    let mut fresh = true;
    let mut prev: Option<&Tok<'_>> = None;
    let mut brackets = 0usize;
    let continuation = |brackets: usize| indent + INDENT + INDENT * brackets;
    for (i, part) in parts.iter().enumerate() {
        match part {
            Part::Tok { tok, .. } => {
                let may_break = limit.filter(|&l| brackets <= l);
                if let (Some(limit), false, true) = (may_break, fresh, tok.breaks_before()) {
                    let chunk = chunk_width(&parts[i..], brackets, limit);
                    if column + 1 + chunk > WIDTH {
                        lines.push(std::mem::take(&mut line));
                        column = continuation(brackets);
                        line = " ".repeat(column);
                        fresh = true;
                    }
                }
                if !fresh && prev.is_some_and(|p| space(p, tok)) {
                    line.push(' ');
                    column += 1;
                }
                line.push_str(&tok.text);
                column = match tok.text.rfind('\n') {
                    Some(at) => tok.text[at + 1..].width(),
                    None => column + tok.text.width(),
                };
                match tok.text.as_ref() {
                    "(" | "[" | "{" => brackets += 1,
                    ")" | "]" | "}" => brackets = brackets.saturating_sub(1),
                    _ => {}
                }
                fresh = false;
                prev = Some(tok);
            }
            Part::Comment { text, newlines } => {
                if *newlines > 0 && !fresh {
                    lines.push(std::mem::take(&mut line));
                    line = " ".repeat(continuation(brackets));
                }
                if !fresh {
                    line.push(' ');
                }
                line.push_str(text);
                lines.push(std::mem::take(&mut line));
                column = continuation(brackets);
                line = " ".repeat(column);
                fresh = true;
            }
            Part::Segment => {}
        }
    }
    if !fresh {
        lines.push(line);
    }
    lines
}

/// The deepest bracket nesting among the parts.
fn max_brackets(parts: &[&Part<'_>]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for part in parts {
        if let Part::Tok { tok, .. } = part {
            match tok.text.as_ref() {
                "(" | "[" | "{" => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ")" | "]" | "}" => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    deepest
}

/// The width of the widest physical line.
fn widest(lines: &[String]) -> usize {
    lines
        .iter()
        .flat_map(|l| l.split('\n'))
        .map(|l| l.trim_end().width())
        .max()
        .unwrap_or(0)
}

/// Whether parts fit on one line at `indent`: no comment before the last part, no line past
/// [`WIDTH`] (a multi-line string counts by its first and last lines).
fn fits(parts: &[&Part<'_>], indent: usize) -> bool {
    let mut column = indent;
    let mut prev: Option<&Tok<'_>> = None;
    for (i, part) in parts.iter().enumerate() {
        match part {
            Part::Tok { tok, .. } => {
                if prev.is_some_and(|p| space(p, tok)) {
                    column += 1;
                }
                let head = tok.text.split('\n').next().unwrap_or("").width();
                if column + head > WIDTH {
                    return false;
                }
                column = match tok.text.rfind('\n') {
                    Some(at) => tok.text[at + 1..].width(),
                    None => column + head,
                };
                prev = Some(tok);
            }
            Part::Comment { newlines, .. } => {
                if *newlines > 0 || i + 1 < parts.len() {
                    return false;
                }
            }
            Part::Segment => {}
        }
    }
    column <= WIDTH
}

/// The width of the tokens from the first up to the next place a line may break: an `and` or
/// `or` inside at most `limit` brackets (`brackets` are open at the first), a comment, or a line
/// break in a string.
fn chunk_width(parts: &[&Part<'_>], mut brackets: usize, limit: usize) -> usize {
    let mut width = 0;
    let mut prev: Option<&Tok<'_>> = None;
    for (i, part) in parts.iter().enumerate() {
        let Part::Tok { tok, .. } = part else {
            break;
        };
        if i > 0 && tok.breaks_before() && brackets <= limit {
            break;
        }
        if prev.is_some_and(|p| space(p, tok)) {
            width += 1;
        }
        match tok.text.find('\n') {
            Some(at) => return width + tok.text[..at].width(),
            None => width += tok.text.width(),
        }
        match tok.text.as_ref() {
            "(" | "[" | "{" => brackets += 1,
            ")" | "]" | "}" => brackets = brackets.saturating_sub(1),
            _ => {}
        }
        prev = Some(tok);
    }
    width
}

#[cfg(test)]
mod tests {
    use super::format;
    use crate::source::SourceFile;

    fn fmt(text: &str) -> String {
        let out = format(&SourceFile::new("t.bylaw", text)).expect("formats");
        let again = format(&SourceFile::new("t.bylaw", out.as_str())).expect("formats again");
        assert_eq!(out, again, "not idempotent");
        out
    }

    #[test]
    fn tokens_are_spaced_once() {
        assert_eq!(
            fmt("define d on meeting=count( s in steps:s.at  exists )>=- 1 and kind not \t in {a ,b}"),
            "define d on meeting = count(s in steps: s.at exists) >= -1 and kind not in {a, b}\n"
        );
        assert_eq!(
            fmt("param p:int=3  \"x\" param q : duration = 3   days"),
            "param p: int = 3 \"x\"\nparam q: duration = 3 days\n"
        );
    }

    #[test]
    fn a_field_of_a_name_keeps_its_space_as_it_is_not_a_path() {
        assert_eq!(
            fmt("define d on meeting = a .b and (a).b and a.b"),
            "define d on meeting = a .b and (a).b and a.b\n"
        );
    }

    #[test]
    fn comments_stay_where_they_are() {
        let text = "rule set.1 error { # after the brace\n  title \"t\" # after a clause\n\n\n  # before a clause\n  builtin unique_ids\n  # before the end\n}\n# at the end\n";
        assert_eq!(
            fmt(text),
            "rule set.1 error { # after the brace\n    title \"t\" # after a clause\n\n    # before a clause\n    builtin unique_ids\n    # before the end\n}\n# at the end\n"
        );
    }

    #[test]
    fn blocks_open_and_close_on_their_lines_with_a_blank_line_around_rules() {
        assert_eq!(
            fmt("article 1 \"a\" {\n\n text \"t\" rule 1.1 error { builtin x } rule 1.2 error { builtin y }\n\n}"),
            "article 1 \"a\" {\n    text \"t\"\n\n    rule 1.1 error {\n        builtin x\n    }\n\n    rule 1.2 error {\n        builtin y\n    }\n}\n"
        );
        assert_eq!(
            fmt("record r {}\nenum e{a b}"),
            "record r {}\nenum e { a b }\n"
        );
    }

    #[test]
    fn long_clauses_break_before_their_parts_then_before_and_or() {
        let cond = (0..12)
            .map(|i| format!("field_{i} exists"))
            .collect::<Vec<_>>();
        let text = format!(
            "rule 1.1 error {{ require {} when x else \"m\" }}",
            cond.join(" and ")
        );
        let out = fmt(&text);
        for line in out.lines() {
            assert!(line.chars().count() <= 100, "{line}");
        }
        assert!(out.contains("\n        and field_"), "{out}");
        assert!(
            out.contains("\n        when x\n        else \"m\"\n"),
            "{out}"
        );
    }

    #[test]
    fn a_syntax_error_is_returned_not_formatted() {
        let errors = format(&SourceFile::new("t.bylaw", "rule {")).expect_err("refused");
        assert_eq!(errors[0].code, "policy::syntax");
    }
}
