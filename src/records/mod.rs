//! Loading records: JSON and JSON Lines files → records, each with where it sits in its file,
//! and validation against the record types the policy declares (rule set.3).

pub mod locate;
pub mod pointer;
mod strict;
pub mod time;
mod validate;

use std::sync::Arc;

use serde_json::Value as Json;

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

#[derive(Debug)]
pub struct Record {
    pub value: Json,
    pub place: Place,
    /// What is wrong with the record's text itself; such a record is refused (set.3).
    pub faults: Vec<Fault>,
}

/// A fault of a record's text, found while reading it, before it is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// An object gives this key (its pointer, inside the record) a second time.
    DuplicateKey(pointer::Pointer),
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
    match String::from_utf8(bytes) {
        Ok(text) => Decoded {
            text,
            not_utf8: Vec::new(),
        },
        Err(e) => {
            let bytes = e.into_bytes();
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
    }
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

/// A file's text that is not JSON, or not the shape the contract describes.
#[derive(Debug, Clone)]
pub struct Malformed {
    pub span: Span,
    pub message: String,
}

/// How text whose name does not tell is written (standard input, a FIFO): a JSON array, or one
/// JSON document (a pretty-printed record), or else JSON Lines. A text that is neither one
/// document nor JSON Lines throughout is read as JSON Lines when its first line looks like a
/// record on one line, so one bad line does not lose the lines after it.
pub fn sniff_format(text: &str) -> Format {
    let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if text.starts_with('[') {
        return Format::Json;
    }
    let first_line = text.lines().next().unwrap_or("").trim_end();
    if serde_json::from_str::<serde::de::IgnoredAny>(first_line).is_ok() {
        return Format::Lines;
    }
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
        return Format::Json;
    }
    let record_on_one_line = first_line.starts_with('{') && first_line.len() > 1;
    let brace_opens_a_document = first_line == "{";
    if record_on_one_line && !brace_opens_a_document {
        Format::Lines
    } else {
        Format::Json
    }
}

/// Parses a file's records; a malformed line of JSON Lines spoils only that line. `not_utf8` are
/// the places of bytes that were not UTF-8 (see [`decode`]): a line holding one is malformed, a
/// record of a JSON file holding one is refused.
pub fn parse(
    source: &Arc<SourceFile>,
    format: Format,
    not_utf8: &[(usize, u8)],
) -> (Vec<Record>, Vec<Malformed>) {
    let text = source.text.strip_prefix('\u{feff}').unwrap_or(&source.text);
    let bom = source.text.len() - text.len();
    match format {
        Format::Json => parse_json(source, text, bom, not_utf8),
        Format::Lines => {
            let mut records = Vec::new();
            let mut malformed = Vec::new();
            let mut offset = bom;
            let mut bad_bytes = not_utf8.iter().peekable();
            for (index, line) in text.split('\n').enumerate() {
                let start = offset;
                offset += line.len() + 1;
                let mut in_line = None;
                let mut more = 0;
                while let Some(&&(at, byte)) = bad_bytes.peek() {
                    if at >= offset {
                        break;
                    }
                    match in_line {
                        None => in_line = Some((at, byte)),
                        Some(_) => more += 1,
                    }
                    bad_bytes.next();
                }
                if let Some((at, byte)) = in_line {
                    malformed.push(Malformed {
                        span: replacement_span(at),
                        message: not_utf8_message(byte, more),
                    });
                    continue;
                }
                if line.trim().is_empty() {
                    continue;
                }
                match strict::parse(line) {
                    // A value that is not an object is refused as a record, as in an array.
                    Ok((value, duplicates)) => records.push(Record {
                        value,
                        place: Place::Line {
                            line: index + 1,
                            offset: start,
                        },
                        faults: duplicates.into_iter().map(Fault::DuplicateKey).collect(),
                    }),
                    Err(e) => malformed.push(json_error(source, &e, index, start)),
                }
            }
            (records, malformed)
        }
    }
}

/// The span of a U+FFFD written at `offset`.
fn replacement_span(offset: usize) -> Span {
    Span::new(offset, offset + char::REPLACEMENT_CHARACTER.len_utf8())
}

fn parse_json(
    source: &Arc<SourceFile>,
    text: &str,
    bom: usize,
    not_utf8: &[(usize, u8)],
) -> (Vec<Record>, Vec<Malformed>) {
    let bytes_malformed = || {
        not_utf8
            .iter()
            .map(|&(at, byte)| Malformed {
                span: replacement_span(at),
                message: not_utf8_message(byte, 0),
            })
            .collect::<Vec<_>>()
    };
    let (value, duplicates) = match strict::parse(text) {
        Ok(parsed) => parsed,
        // Bytes that are not UTF-8 are the likelier cause, and are named first.
        Err(e) => {
            let mut malformed = bytes_malformed();
            malformed.push(json_error(source, &e, 0, bom));
            return (Vec::new(), malformed);
        }
    };
    let mut records = match value {
        // Each element's offset comes from one scan of the text, so that locating a value in a
        // record never walks the records before it.
        Json::Array(items) => {
            let starts = locate::element_starts(&source.text, bom);
            items
                .into_iter()
                .enumerate()
                .map(|(index, value)| Record {
                    value,
                    // The scan finds every element the parse found; the array's start is a
                    // place to point at should it ever not.
                    place: Place::Element {
                        index,
                        offset: starts.get(index).copied().unwrap_or(bom),
                    },
                    faults: Vec::new(),
                })
                .collect()
        }
        value @ Json::Object(_) => vec![Record {
            value,
            place: Place::Whole,
            faults: Vec::new(),
        }],
        _ => {
            let span = Span::new(bom, source.text.len().min(bom + 1));
            let mut malformed = bytes_malformed();
            malformed.push(Malformed {
                span,
                message: "expected a record (an object) or an array of records".into(),
            });
            return (Vec::new(), malformed);
        }
    };
    for pointer in duplicates {
        let (record, inside) = match (records.len(), pointer.0.split_first()) {
            (_, Some((pointer::Segment::Index(i), rest))) if records[0].place != Place::Whole => {
                (*i, pointer::Pointer(rest.to_vec()))
            }
            _ => (0, pointer),
        };
        if let Some(record) = records.get_mut(record) {
            record.faults.push(Fault::DuplicateKey(inside));
        }
    }
    let mut outside = Vec::new();
    for &(at, byte) in not_utf8 {
        let holder = records.iter_mut().find(|r| {
            locate_in_file(source, r.place, &pointer::Pointer::root())
                .is_some_and(|l| l.span.start <= at && at < l.span.end)
        });
        match holder {
            Some(record) => match record.faults.iter_mut().find_map(|f| match f {
                Fault::NotUtf8 { more, .. } => Some(more),
                Fault::DuplicateKey(_) => None,
            }) {
                Some(more) => *more += 1,
                None => record.faults.push(Fault::NotUtf8 {
                    offset: at,
                    byte,
                    more: 0,
                }),
            },
            None => outside.push(Malformed {
                span: replacement_span(at),
                message: not_utf8_message(byte, 0),
            }),
        }
    }
    (records, outside)
}

/// serde_json's line and (byte) column, relative to a text starting at `base` on line `line0`.
fn json_error(source: &SourceFile, e: &serde_json::Error, line0: usize, base: usize) -> Malformed {
    let line_base = if line0 == 0 {
        source.line_column(base).0
    } else {
        line0 + 1
    };
    let line = line_base + e.line().saturating_sub(1);
    let column = if e.line() <= 1 {
        e.column() + source.line_column(base).1 - 1
    } else {
        e.column()
    };
    let at = source.offset_of(line, column.max(1));
    let mut at = if at > 0 && at >= source.text.len() {
        source.text.len().saturating_sub(1)
    } else {
        at
    };
    // The end of a truncated file may fall inside a character: point at the character's start.
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
    let end = source
        .text
        .get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(at, |c| at + c.len_utf8());
    Malformed {
        span: Span::new(at, end),
        message,
    }
}

/// The byte offset in the file where a record's own JSON starts, for locating pointers in it.
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
    let (start, prefix) = record_start(source, place);
    let mut full = prefix;
    full.0.extend(pointer.0.iter().cloned());
    locate::locate(&source.text, start, &full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_cut_inside_a_character_is_malformed_at_that_character() {
        let source = SourceFile::new("cut.json", "[{\"title\": \"《市");
        let (records, malformed) = parse(&source, Format::Json, &[]);
        assert!(records.is_empty());
        let span = malformed.first().expect("reported").span;
        assert_eq!(&source.text[span.start..span.end], "市");
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
    }
}
