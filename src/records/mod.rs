//! Loading records: JSON and JSON Lines files → records, each with where it sits in its file,
//! and validation against the record types the policy declares (rule set.3).

mod blocks;
mod fast;
pub mod locate;
pub mod pointer;
pub mod schema;
pub mod stream;
pub(crate) mod strict;
mod validate;
pub mod waiver_file;

use std::collections::HashMap;
use std::sync::Arc;

use crate::json::Json;

/// A JSON string read the quick way, for the language server's frames.
pub(crate) use fast::read_string;
pub use stream::{Fragment, Item, Limits, Malformed, Origin, RecordText, Refetch, Reopen};
pub use strict::{Duplicate, Duplicates};
pub use validate::{validate, Problem};

use crate::discover::Format;
use crate::source::{SourceFile, Span};

/// Where a record sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The file is this one record.
    Whole,
    /// Element `index` of the file's top-level array, starting at byte `offset`.
    Element { index: usize, offset: usize },
    /// A line of a JSON Lines file, starting at byte `offset`.
    Line { line: usize, offset: usize },
}

impl Place {
    /// The same place, `by` lines further down its file (a line's; any other stays).
    pub fn shifted(self, by: isize) -> Place {
        match self {
            Place::Line { line, offset } => Place::Line {
                line: crate::source::shift_line(line, by),
                offset,
            },
            other => other,
        }
    }
}

#[derive(Debug)]
pub struct Record {
    pub value: Json,
    pub place: Place,
    /// What is wrong with the record's text itself; such a record is refused (set.3).
    pub faults: Vec<Fault>,
    /// The record's own text, where findings are located.
    pub source: Arc<SourceFile>,
    /// How to read that text again once it is dropped.
    pub refetch: Refetch,
}

/// A fault of a record's text, found while reading it, before it is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// An object gives a key (its pointer, inside the record) again.
    DuplicateKey(Duplicate),
    /// More keys given again than are listed, each as a [`Fault::DuplicateKey`] (as many as
    /// the record's file shows bad inputs): counted, not located one by one.
    MoreDuplicateKeys { more: usize, listed: usize },
    /// Bytes that are not UTF-8, shown as U+FFFD at this byte offset of the decoded text; `more`
    /// counts the record's other such places, reported with the first.
    NotUtf8 {
        offset: usize,
        byte: u8,
        more: usize,
    },
}

/// A file's bytes as text: invalid UTF-8 sequences become U+FFFD, and where they were is kept, so
/// each is reported at its place and the rest of the file is still read.
#[derive(Debug, Default)]
pub struct Decoded {
    pub text: String,
    /// (offset of the U+FFFD in `text`, the first byte that was not UTF-8)
    pub not_utf8: Vec<(usize, u8)>,
}

pub fn decode(bytes: Vec<u8>) -> Decoded {
    // Checked with SIMD (simdutf8): about a tenth of the instructions of the standard library's
    // check, which took 3% of a check's on an export of short lines.
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: the bytes were just found to be UTF-8.
        let text = unsafe { String::from_utf8_unchecked(bytes) };
        return Decoded {
            text,
            not_utf8: Vec::new(),
        };
    }
    let mut decoded = Decoded::default();
    for chunk in bytes.utf8_chunks() {
        decoded.text.push_str(chunk.valid());
        if let Some(&byte) = chunk.invalid().first() {
            decoded.not_utf8.push((decoded.text.len(), byte));
            decoded.text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    decoded
}

/// The message for bytes that are not UTF-8, and `more` places like it after them.
pub fn not_utf8_message(byte: u8, more: usize) -> String {
    let more = match more {
        0 => String::new(),
        1 => ", and at 1 more place after it".to_string(),
        n => format!(", and at {n} more places after it"),
    };
    format!("the text is not UTF-8 here (byte 0x{byte:02X}){more}; records are written in UTF-8")
}

/// How text whose name does not tell is written (standard input, a FIFO), from its head: JSON
/// Lines, or JSON (an array, one document, or documents one after the other). When unsure it is
/// read as JSON Lines, where one bad line loses only itself.
pub fn sniff_format(text: &str) -> Format {
    format_of_head(text, Format::Lines)
}

/// How a source is read: as its name says (`named`), but for a `.json` file of JSON Lines (as
/// `jq -c` writes them, read line by line); as its head says when its name does not tell
/// (standard input, a FIFO, `records.txt`).
pub fn read_format(named: Option<Format>, head: &[u8]) -> Format {
    match named {
        None => stream::sniff(head),
        Some(Format::Json) if json_is_lines(&String::from_utf8_lossy(head)) => Format::Lines,
        Some(format) => format,
    }
}

/// Whether every object read in the file at `path`, as a run with `limits` reads it (see
/// [`read_format`]), passes `test`; a file in which one does not holds a record that the run
/// judges, and is never written over by a report.
pub fn every_object(
    path: &std::path::Path,
    named: Option<Format>,
    limits: Limits,
    test: &dyn Fn(&Json) -> bool,
) -> std::io::Result<bool> {
    let opened = stream::open(stream::Source::Again(Reopen::File(path.to_path_buf())))?;
    let format = read_format(named, &opened.head);
    let origin = Arc::new(Origin::new(path.display().to_string(), opened.reopen));
    let mut input = std::io::BufReader::with_capacity(stream::BUFFER, opened.input);
    let mut passed = true;
    stream::read(&mut input, &origin, (format, limits), None, &mut |item| {
        if let Item::Record(text) = item {
            if let Ok(record) = parse(text) {
                passed &= !record.value.is_object() || test(&record.value);
            }
        }
    })
    .map_err(|stopped| stopped.error)?;
    Ok(passed)
}

/// Whether a text named as JSON (`.json`) is JSON Lines, as `jq -c` writes them: read as JSON,
/// a bad line could hide the lines after it.
pub fn json_is_lines(head: &str) -> bool {
    format_of_head(head, Format::Json) == Format::Lines
}

/// How a text is written, told by its first lines; `unsure` when they do not tell. JSON Lines:
/// a first line that is one whole value, with a line after it that is not the opening of a
/// pretty-printed document (`{` or `[` alone). JSON: an array; a first line that opens a
/// document, or holds values one after the other (`{…}{…}`), or is longer than the head (a
/// minified export, read value by value whichever it is); a pretty-printed record.
fn format_of_head(head: &str, unsure: Format) -> Format {
    // The head may end before the text does: what it does not show does not decide.
    let cut = head.len() >= stream::BUFFER;
    let text = head.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let values_in = |line: &str| {
        let values = serde_json::Deserializer::from_str(line).into_iter::<serde::de::IgnoredAny>();
        let mut count = 0;
        for value in values {
            match value {
                Ok(_) => count += 1,
                Err(_) => return None,
            }
        }
        Some(count)
    };
    let Some((first, rest)) = text.split_once('\n') else {
        // One line, or a first line longer than the head.
        return match values_in(text) {
            Some(1) if !text.starts_with('[') => unsure,
            Some(0) => unsure,
            _ if text.starts_with(['[', '{']) => Format::Json,
            _ => unsure,
        };
    };
    let first = first.trim_end();
    let opens_a_value =
        |line: &str| line.ends_with(['[', '{']) || (line.starts_with('[') && line.ends_with(','));
    let next_line = rest.lines().map(str::trim).find(|l| !l.is_empty());
    match values_in(first) {
        Some(1) => match next_line {
            None if first.starts_with('[') => Format::Json,
            // The head ends with its first line: read value by value, whatever follows.
            None if cut && first.starts_with('{') => Format::Json,
            None => unsure,
            Some("{" | "[") => Format::Json,
            // An array whose elements are one per line is JSON; records one per line after it
            // (a stray `[` on a JSON Lines file) are JSON Lines.
            Some(_) => Format::Lines,
        },
        Some(0) => unsure,
        Some(_) => Format::Json,
        None if first == "[" || first == "{" => Format::Json,
        // A document that opens on a line it does not end on, unless the next line is a record
        // whole: then the first is a record cut short, or a stray `[` before JSON Lines.
        // (A first line that ends opening a value, or an array's first line that ends with a
        // comma, opens a document.)
        None if first.starts_with(['[', '{']) => match next_line.map(values_in) {
            Some(Some(1)) if !opens_a_value(first) => Format::Lines,
            _ => Format::Json,
        },
        None if values_in(text).is_some() => Format::Json,
        // Whatever the first line is, pretty-printed documents after it are JSON.
        None if matches!(next_line, Some("{" | "[")) => Format::Json,
        None => unsure,
    }
}

/// Reads a JSON text as records are read: its value, and every key it gives again (`strict`
/// says how each is read).
pub fn read_value(text: &str) -> Result<(Json, Duplicates), serde_json::Error> {
    strict::parse(text)
}

/// Above this many bytes of text, a record's value is not kept for the next record to be read
/// into: a large record would hold its memory for the rest of the run.
const REUSED_UP_TO: usize = 64 << 10;

/// The most values kept for the records read next on a thread: as many as a run of records read
/// before the first of them is judged.
const SPARES_KEPT: usize = 32;

thread_local! {
    /// The values of the last records judged on this thread, which the next ones are read into.
    static SPARES: std::cell::RefCell<Vec<Json>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A value to read a record into: the room of one judged before on this thread, if any.
fn spare() -> Json {
    SPARES.with_borrow_mut(Vec::pop).unwrap_or_default()
}

/// Takes back a record that has been judged: a record read next on this thread is read into its
/// value, reusing its room (see `strict::parse_into`).
pub fn recycle(record: Record) {
    recycle_value(record.value, record.source.text.len());
}

/// [`recycle`] for a value read from a text of `text_len` bytes.
pub fn recycle_value(value: Json, text_len: usize) {
    if text_len <= REUSED_UP_TO {
        SPARES.with_borrow_mut(|spares| {
            if spares.len() < SPARES_KEPT {
                spares.push(value);
            }
        });
    }
}

/// A record's value read again from its text (by the set stage), into the room of a record
/// read on this thread, as [`parse`] reads it; given back with [`recycle_value`] once used.
/// `None` if the text no longer reads as JSON.
pub fn read_value_again(text: &str) -> Option<Json> {
    let mut value = spare();
    // Its faults were reported when it was read first: none is kept.
    strict::parse_into(text, &mut value, 0).ok()?;
    Some(value)
}

/// The members of a record whose keys are `wanted`, read again from its text (by the set stage);
/// the rest of the record is scanned, not built. `None` if the text no longer reads as an object.
pub fn read_members_again(text: &str, wanted: &dyn Fn(&str) -> bool) -> Option<Json> {
    strict::parse_members(text, wanted).ok().map(Json::Object)
}

/// Parses one record's text. A text that is not JSON is malformed (after the bytes in it that
/// are not UTF-8, the likelier cause); a record that gives a key twice or holds bytes that are
/// not UTF-8 is read, with those faults, to be refused (set.3).
pub fn parse(text: RecordText) -> Result<Record, Vec<Malformed>> {
    let RecordText {
        source,
        place,
        not_utf8,
        refetch,
        keep_duplicates,
        ..
    } = text;
    let start = record_start(&source, place).0;
    let not_utf8_malformed = || {
        not_utf8
            .iter()
            .map(|&(at, byte)| Malformed {
                source: source.clone(),
                span: stream::replacement_span(at),
                message: not_utf8_message(byte, 0),
                of_encoding: true,
            })
            .collect::<Vec<_>>()
    };
    let mut value = spare();
    let duplicates = match strict::parse_into(&source.text[start..], &mut value, keep_duplicates) {
        Ok(duplicates) => duplicates,
        Err(e) => {
            let mut malformed = not_utf8_malformed();
            malformed.push(json_error(&source, &e, start, place));
            return Err(malformed);
        }
    };
    if place == Place::Whole && !value.is_object() {
        let mut malformed = not_utf8_malformed();
        malformed.push(Malformed {
            of_encoding: false,
            span: Span::new(start, source.text.len().min(start + 1)),
            message: "expected a record (an object) or an array of records".into(),
            source,
        });
        return Err(malformed);
    }
    let (more, listed) = (duplicates.more, duplicates.kept.len());
    let mut faults: Vec<Fault> = duplicates
        .kept
        .into_iter()
        .map(Fault::DuplicateKey)
        .collect();
    if more > 0 {
        faults.push(Fault::MoreDuplicateKeys { more, listed });
    }
    if let Some(&(offset, byte)) = not_utf8.first() {
        faults.push(Fault::NotUtf8 {
            offset,
            byte,
            more: not_utf8.len() - 1,
        });
    }
    Ok(Record {
        value,
        place,
        faults,
        source,
        refetch,
    })
}

/// What serde_json calls the end of the input, said of what ends there: a record's text is a line,
/// or an element that ends where the next begins (or where a string runs past its line), and only
/// a record that is the whole file ends with the file.
fn text_ends_inside(message: &str, place: Place) -> String {
    if message.ends_with("a string") {
        return "a string runs past the end of its line: its closing quote is missing".into();
    }
    match place {
        Place::Line { .. } => {
            "the line ends inside the record: a closing `}` or `]` is missing".into()
        }
        Place::Element { .. } => {
            "the record ends where the next one begins: a closing `}` or `]` is missing".into()
        }
        Place::Whole => "the file ends inside the record: it is cut short".into(),
    }
}

/// serde_json's line and (byte) column, relative to the text parsed from `base` of `source`, the
/// record's text at `place`.
fn json_error(
    source: &Arc<SourceFile>,
    e: &serde_json::Error,
    base: usize,
    place: Place,
) -> Malformed {
    let base_line = source.line_number(base);
    let line = base_line + e.line().saturating_sub(1);
    let column = if e.line() <= 1 {
        e.column() + (base - source.line_span(base_line).start)
    } else {
        e.column()
    };
    let at = source.offset_of(line, column.max(1));
    let mut at = if at > 0 && at >= source.text.len() {
        source.text.len().saturating_sub(1)
    } else {
        at
    };
    // The end of a truncated text may fall inside a character: point at the character's start.
    while !source.text.is_char_boundary(at) {
        at -= 1;
    }
    let message = e.to_string();
    // serde_json appends " at line L column C"; the location is shown separately.
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    // Said as the reader says it of an array's element, whichever finds it first.
    let message = match message.as_str() {
        "recursion limit exceeded" => stream::too_deep_message(),
        // Nothing but blanks: no record was cut short, there is none.
        _ if e.is_eof() && place == Place::Whole && source.text[base..].trim().is_empty() => {
            "the file holds no JSON: a `.json` file holds a record, or an array of records (`[]` \
             for none)"
                .into()
        }
        _ if e.is_eof() => text_ends_inside(&message, place),
        "expected `,` or `}`" | "expected `,` or `]`" | "expected `:`"
            if right_after_a_string(source.text.as_bytes(), at) =>
        {
            "a string ends right before this: a closing quote is missing before it, or a quote \
             inside a string is not escaped (`\\\"`)"
                .into()
        }
        _ => message,
    };
    let end = source
        .text
        .get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(at, |c| at + c.len_utf8());
    Malformed {
        of_encoding: false,
        source: source.clone(),
        span: Span::new(at, end),
        message,
    }
}

/// Whether the byte at `at` of `text` comes right after a string's closing quote (blanks aside)
/// and could not follow one ([`stream::follows_a_string`]): a letter, a digit, any character of
/// a string's text, where a string that ended as it should would be followed by `:`, `,` or a
/// closing bracket (or, a comma missing, by the next quote). A quote missing or not escaped turns
/// the strings after it inside out, and the parse stops at the first such byte.
fn right_after_a_string(text: &[u8], at: usize) -> bool {
    let before = text[..at.min(text.len())].trim_ascii_end();
    let here = text.get(at).copied();
    before.last() == Some(&b'"') && here.is_some_and(|b| !stream::follows_a_string(b))
}

/// The byte offset in the record's text where its own JSON starts, for locating pointers in it.
pub fn record_start(source: &SourceFile, place: Place) -> (usize, pointer::Pointer) {
    match place {
        Place::Whole => (0, pointer::Pointer::root()),
        Place::Element { offset, .. } => (offset.min(source.text.len()), pointer::Pointer::root()),
        Place::Line { offset, .. } => (offset.min(source.text.len()), pointer::Pointer::root()),
    }
}

/// Locates `pointer` (inside a record at `place`) in the file's text.
pub fn locate_in_file(
    source: &SourceFile,
    place: Place,
    pointer: &pointer::Pointer,
) -> Option<locate::Located> {
    RecordLocator::new(source, place).locate(pointer)
}

/// Locates many pointers inside one record, walking each array once while they point at its
/// elements in order (see [`locate::Locator`]).
pub struct RecordLocator<'s> {
    pub source: &'s SourceFile,
    place: Place,
    locator: locate::Locator<'s>,
}

impl<'s> RecordLocator<'s> {
    pub fn new(source: &'s SourceFile, place: Place) -> RecordLocator<'s> {
        RecordLocator {
            source,
            place,
            locator: locate::Locator::new(&source.text),
        }
    }

    /// Locates `pointer` (inside the record) in the file's text.
    pub fn locate(&self, pointer: &pointer::Pointer) -> Option<locate::Located> {
        let (start, prefix) = record_start(self.source, self.place);
        let mut full = prefix;
        full.0.extend(pointer.0.iter().cloned());
        self.locator.locate(start, &full)
    }
}

/// Locates the keys a record gives again, each at its own giving: the key's span (with its
/// quotes) where it is given that time, inside the giving of each key on the way that holds it.
/// The keys of one object are found in one walk of it, however many times it gives them (a
/// hostile record may give one key a million times), up to the last giving that is located.
pub struct RepeatedKeys<'s> {
    source: &'s SourceFile,
    start: usize,
    /// The last giving of a key that is located: one more than the keys given again that are
    /// (a key's `n`th giving comes after its `n - 1` givings again, listed first).
    most_givings: usize,
    /// The givings of a key in the object at an offset: where each is.
    keys: HashMap<(usize, String), Vec<Span>>,
    /// Where each element of the array at an offset starts.
    elements: HashMap<usize, Vec<usize>>,
    /// The last key located.
    last: Option<Span>,
}

impl<'s> RepeatedKeys<'s> {
    /// For the `listed` keys given again (the first in the text's order) of the record at
    /// `place` in `source`.
    pub fn new(source: &'s SourceFile, place: Place, listed: usize) -> RepeatedKeys<'s> {
        RepeatedKeys {
            source,
            start: record_start(source, place).0,
            most_givings: listed.saturating_add(1),
            keys: HashMap::new(),
            elements: HashMap::new(),
            last: None,
        }
    }

    /// Where the last key located is given: the place to say that more are given again than
    /// are listed ([`Fault::MoreDuplicateKeys`]).
    pub fn last_located(&self) -> Option<Span> {
        self.last
    }

    /// Where `duplicate` gives its key; `None` if the text does not hold it.
    pub fn locate(&mut self, duplicate: &Duplicate) -> Option<Span> {
        let text = &self.source.text;
        let last = duplicate.pointer.0.len().checked_sub(1)?;
        let mut at = self.start;
        let steps = duplicate.pointer.0.iter().zip(&duplicate.givings);
        for (n, (segment, &giving)) in steps.enumerate() {
            match segment {
                pointer::Segment::Key(key) => {
                    let givings = (self.keys.entry((at, key.clone())))
                        .or_insert_with(|| locate::keys_named(text, at, key, self.most_givings));
                    let span = *givings.get(giving.checked_sub(1)?)?;
                    if n == last {
                        self.last = Some(span);
                        return Some(span);
                    }
                    at = locate::value_after_key(text, span.end)?;
                }
                pointer::Segment::Index(index) => {
                    let starts = (self.elements.entry(at))
                        .or_insert_with(|| locate::element_starts(text, at));
                    at = *starts.get(*index)?;
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(name: &str, text: &str, format: Format) -> Vec<Item> {
        read_with(name, text, (format, Limits::default()))
    }

    /// The items of `text`, read from memory as `format` with `limits`.
    fn read_with(name: &str, text: &str, how: (Format, Limits)) -> Vec<Item> {
        let origin = Arc::new(Origin::new(
            name.into(),
            Reopen::Memory(text.as_bytes().into()),
        ));
        let mut items = Vec::new();
        let mut input = std::io::BufReader::new(text.as_bytes());
        stream::read(&mut input, &origin, how, None, &mut |i| items.push(i))
            .expect("reads from memory");
        items
    }

    #[test]
    fn a_file_cut_inside_a_character_is_malformed_at_that_character() {
        let items = read_all("cut.json", "[{\"title\": \"《市", Format::Json);
        let [Item::Malformed(m)] = &items[..] else {
            panic!("one fault expected");
        };
        assert_eq!(&m.source.text[m.span.start..m.span.end], "市");
    }

    /// The end of a record's text is said as what ends there: the line, the record before the
    /// next, or the file; never serde_json's "EOF", which names none of them.
    #[test]
    fn a_record_whose_text_ends_too_soon_is_said_to_end_where_it_does() {
        let said = |name: &str, text: &str, format: Format| -> Vec<String> {
            let items = read_all(name, text, format);
            let mut messages = Vec::new();
            for item in items {
                match item {
                    Item::Record(text) => {
                        if let Err(faults) = parse(text) {
                            messages.extend(faults.into_iter().map(|m| m.message));
                        }
                    }
                    Item::Malformed(m) => messages.push(m.message),
                }
            }
            messages
        };
        assert_eq!(
            said("cut.json", "{\"id\": \"a\"", Format::Json),
            ["the file ends inside the record: it is cut short"]
        );
        for blank in ["", "  \n\t\r\n", "\u{feff}", "\u{feff} \n"] {
            assert_eq!(
                said("blank.json", blank, Format::Json),
                [
                    "the file holds no JSON: a `.json` file holds a record, or an array of \
                     records (`[]` for none)"
                ],
                "{blank:?}"
            );
        }
        assert_eq!(
            said(
                "l.jsonl",
                "{\"id\": \"a\"\n{\"id\": \"b\"}\n",
                Format::Lines
            ),
            ["the line ends inside the record: a closing `}` or `]` is missing"]
        );
        assert_eq!(
            said("s.jsonl", "{\"id\": \"a}\n", Format::Lines),
            ["a string runs past the end of its line: its closing quote is missing"]
        );
        assert_eq!(
            said(
                "a.json",
                "[\n  {\"id\": \"a\",\n  {\"id\": \"b\"}\n]\n",
                Format::Json
            ),
            ["the record ends where the next one begins: a closing `}` or `]` is missing"]
        );
    }

    #[test]
    fn array_elements_are_read_one_by_one_with_their_place_in_the_file() {
        let text = "[\n  {\"id\": \"a\"},\n  {\"id\": \"b\", \"t\": \"市\"}, {\"id\": \"c\"}\n]\n";
        let items = read_all("a.json", text, Format::Json);
        let records: Vec<Record> = items
            .into_iter()
            .map(|i| match i {
                Item::Record(r) => parse(r).expect("parses"),
                Item::Malformed(m) => panic!("malformed: {}", m.message),
            })
            .collect();
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].source.text, "  {\"id\": \"b\", \"t\": \"市\"}");
        let c = &records[2];
        let at = c.source.text.find('{').unwrap();
        assert_eq!(c.source.line_column(at), (3, 26));
        let again = c.refetch.fetch().expect("read again");
        assert_eq!(again.text, c.source.text);
    }

    #[test]
    fn a_cut_array_keeps_the_records_before_the_cut() {
        let items = read_all("a.json", "[{\"id\": \"a\"}, {\"id\": \"b\"", Format::Json);
        assert!(matches!(items[0], Item::Record(_)));
        let Item::Malformed(m) = &items[1] else {
            panic!("the cut is reported");
        };
        assert_eq!(m.message, "the file ends inside record 2: it is cut short");
        assert_eq!(items.len(), 2);
    }

    /// Blanks before a record, however many, are no part of it: a record after more blanks than
    /// a record may hold is read (and shown from its first byte), not refused as too large, and
    /// memory never holds the blanks.
    #[test]
    fn a_record_after_a_sea_of_blanks_is_read() {
        let blanks = " ".repeat(100_000);
        for text in [
            format!("{blanks}{{\"id\": \"a\"}}\n"),
            format!("[\n{blanks}{{\"id\": \"a\"}}]\n"),
            format!("[\n    {{\"id\": \"b\"}},\n{blanks}{{\"id\": \"a\"}}]\n"),
        ] {
            let limits = Limits {
                max_record_bytes: 2048,
                ..Limits::default()
            };
            let items = read_with("blanks.json", &text, (Format::Json, limits));
            let Some(Item::Record(r)) = items.last() else {
                panic!("the record is read: {}", items.len());
            };
            assert_eq!(
                r.source.text.trim_end(),
                "{\"id\": \"a\"}",
                "shown from its first byte"
            );
            let line = if text.starts_with('[') {
                text.lines().count()
            } else {
                1
            };
            assert_eq!(r.source.line_column(0), (line, 100_001));
            let again = r.refetch.fetch().expect("read again");
            assert_eq!(again.text, r.source.text);
        }
    }

    #[test]
    fn a_record_over_the_limit_is_refused_and_the_next_still_read() {
        let big = format!("{{\"id\": \"{}\"}}", "x".repeat(100));
        let text = format!("{big}\n{{\"id\": \"b\"}}\n");
        let limits = Limits {
            max_record_bytes: 50,
            ..Limits::default()
        };
        let items = read_with("big.jsonl", &text, (Format::Lines, limits));
        assert!(
            matches!(&items[0], Item::Malformed(m) if m.message.contains("larger than 50 bytes"))
        );
        let Item::Record(r) = &items[1] else {
            panic!("the next line is read");
        };
        assert_eq!(r.source.line_column(0), (2, 1));
    }

    #[test]
    fn nesting_too_deep_is_refused_where_it_goes_too_deep() {
        let deep = format!("[{}{}]", "[".repeat(200), "]".repeat(200));
        let items = read_all("deep.json", &deep, Format::Json);
        let Item::Malformed(m) = &items[0] else {
            panic!("refused");
        };
        assert!(m.message.contains("more than 127 levels"), "{}", m.message);
        assert_eq!(m.source.line_column(m.span.start), (1, 129));
    }

    #[test]
    fn standard_input_is_read_as_it_looks() {
        assert_eq!(sniff_format("{\"a\": 1}\n{\"a\": 2}\n"), Format::Lines);
        assert_eq!(sniff_format("{\n  \"a\": 1\n}\n"), Format::Json);
        assert_eq!(sniff_format("\u{feff}[{\"a\": 1}]"), Format::Json);
        // A bad first line does not make JSON Lines one broken document.
        assert_eq!(sniff_format("{\"a\": 1,,}\n{\"a\": 2}\n"), Format::Lines);
        assert_eq!(sniff_format("{\"a\": \n{\"a\": 2}\n"), Format::Lines);
        // A pretty-printed record with a mistake is still one document, reported once.
        assert_eq!(sniff_format("{\n  \"a\": 1,,\n}\n"), Format::Json);
        assert_eq!(
            sniff_format("[\n  {\"a\": 1},\n  {\"a\": 2\n"),
            Format::Json
        );
        // When unsure, line by line: a first line that is not a record loses only itself.
        for head in [
            "#comment",
            "garbage",
            "// x",
            "[1, 2]",
            "null",
            "{\"a\": 1} x",
        ] {
            let text = format!("{head}\n{{\"a\": 1}}\n{{\"a\": 2}}\n");
            assert_eq!(sniff_format(&text), Format::Lines, "{head}");
        }
        assert_eq!(sniff_format("[{\"a\": 1}, {\"a\": 2}]\n"), Format::Json);
        assert_eq!(sniff_format("{\"a\": 1}"), Format::Lines);
        // Documents glued (`jq -j`), on one line or more; a compact one before pretty ones.
        assert_eq!(sniff_format("{\"a\": 1}{\"a\": 2}\n"), Format::Json);
        assert_eq!(sniff_format("{\"a\": 1} {\"a\": 2}"), Format::Json);
        assert_eq!(sniff_format("{\"a\": 1}\n{\n  \"a\": 2\n}\n"), Format::Json);
        // A first line longer than the head: a minified export, read value by value.
        assert_eq!(sniff_format("{\"a\": \"xxxx"), Format::Json);
        // A first line as long as the head: what follows is not seen, and decides nothing.
        let long = format!("{{\"a\": \"{}\"}}\n", "x".repeat(stream::BUFFER - 10));
        assert_eq!(long.len(), stream::BUFFER);
        assert_eq!(sniff_format(&long), Format::Json);
        assert!(!json_is_lines(&long));
        // An array of one record per line is JSON; a stray `[` before JSON Lines is not.
        assert_eq!(sniff_format("[\n{\"a\": 1}\n]\n"), Format::Json);
        assert_eq!(sniff_format("[{\"a\": 1}\n{\"a\": 2}\n"), Format::Lines);
    }

    #[test]
    fn a_json_file_of_json_lines_is_told() {
        assert!(json_is_lines("{\"a\": 1}\n{\"a\": 2}\n"));
        assert!(json_is_lines("\u{feff}\n{\"a\": 1}\r\nnot JSON\n"));
        for document in [
            "{\"a\": 1}\n",
            "{\"a\": 1}\n\n  \n",
            "[{\"a\": 1}]",
            "{\n  \"a\": 1\n}\n{\"a\": 2}\n",
            "[\n{\"a\": 1}\n]\n",
            "",
            "{\"a\": 1}{\"a\": 2}\n{\"a\": 3}\n",
            "{\"a\": 1}\n{\n  \"a\": 2\n}\n",
            "{\"a\": \"a first line longer than the head",
        ] {
            assert!(!json_is_lines(document), "{document:?}");
        }
    }
}
