//! Loading records: JSON and JSON Lines files → records, each with where it sits in its file,
//! and validation against the record types the policy declares (rule set.3).

pub mod locate;
pub mod pointer;
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
    /// Element `index` of the file's top-level array.
    Element(usize),
    /// A line of a JSON Lines file, starting at byte `offset`.
    Line { line: usize, offset: usize },
}

#[derive(Debug)]
pub struct Record {
    pub value: Json,
    pub place: Place,
}

/// A file's text that is not JSON, or not the shape the contract describes.
#[derive(Debug, Clone)]
pub struct Malformed {
    pub span: Span,
    pub message: String,
}

/// How text without a file name is written: JSON Lines when its first line is a whole JSON value
/// (as every line of JSON Lines is), else JSON (a pretty-printed record or an array of records).
pub fn sniff_format(text: &str) -> Format {
    let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if text.starts_with('[') {
        return Format::Json;
    }
    let first_line = text.lines().next().unwrap_or("");
    match serde_json::from_str::<serde::de::IgnoredAny>(first_line) {
        Ok(_) => Format::Lines,
        Err(_) => Format::Json,
    }
}

/// Parses a file's records; a malformed line of JSON Lines spoils only that line.
pub fn parse(source: &Arc<SourceFile>, format: Format) -> (Vec<Record>, Vec<Malformed>) {
    let text = source.text.strip_prefix('\u{feff}').unwrap_or(&source.text);
    let bom = source.text.len() - text.len();
    match format {
        Format::Json => match serde_json::from_str::<Json>(text) {
            Ok(Json::Array(items)) => {
                let records = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, value)| Record {
                        value,
                        place: Place::Element(i),
                    })
                    .collect();
                (records, Vec::new())
            }
            Ok(value @ Json::Object(_)) => (
                vec![Record {
                    value,
                    place: Place::Whole,
                }],
                Vec::new(),
            ),
            Ok(_) => {
                let span = Span::new(bom, source.text.len().min(bom + 1));
                (
                    Vec::new(),
                    vec![Malformed {
                        span,
                        message: "expected a record (an object) or an array of records".into(),
                    }],
                )
            }
            Err(e) => (Vec::new(), vec![json_error(source, &e, 0, bom)]),
        },
        Format::Lines => {
            let mut records = Vec::new();
            let mut malformed = Vec::new();
            let mut offset = bom;
            for (index, line) in text.split('\n').enumerate() {
                let start = offset;
                offset += line.len() + 1;
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Json>(line) {
                    Ok(value @ Json::Object(_)) => records.push(Record {
                        value,
                        place: Place::Line {
                            line: index + 1,
                            offset: start,
                        },
                    }),
                    Ok(_) => malformed.push(Malformed {
                        span: Span::new(start, start + line.trim_end().len()),
                        message: "expected a record (an object) on this line".into(),
                    }),
                    Err(e) => malformed.push(json_error(source, &e, index, start)),
                }
            }
            (records, malformed)
        }
    }
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
        Place::Element(i) => (0, pointer::Pointer::root().index(i)),
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
        let (records, malformed) = parse(&source, Format::Json);
        assert!(records.is_empty());
        let span = malformed.first().expect("reported").span;
        assert_eq!(&source.text[span.start..span.end], "市");
    }

    #[test]
    fn standard_input_is_read_as_it_looks() {
        assert_eq!(sniff_format("{\"a\": 1}\n{\"a\": 2}\n"), Format::Lines);
        assert_eq!(sniff_format("{\n  \"a\": 1\n}\n"), Format::Json);
        assert_eq!(sniff_format("\u{feff}[{\"a\": 1}]"), Format::Json);
    }
}
