//! A waivers file (`--waivers FILE`, `waivers = "…"` in bylaw.toml): waivers of findings about a
//! period, which have no record to carry them. A JSON array of objects with the fields of a
//! record's waiver plus the period, written as the findings print it:
//!
//! ```json
//! [{"rule": "38.3", "period": "2024-03", "reason": "…", "approved_by": {…}, "until": "2024-12-31"}]
//! ```
//!
//! A waiver of a rule that counts `by` group may name the group (`"group": "S-7"`); without one
//! it waives every group of its period.
//!
//! A file that is not such an array (unreadable, not UTF-8, not JSON, a key given twice, a field
//! missing or of the wrong type, an unknown field) is refused whole, with its place: a waiver that
//! silently waives nothing would be worse. Whether each waiver may waive (its rule exists and
//! counts per period, it gives a reason, it has not run out, its period is written as the rule's
//! periods are) is judged by the record-set stage ([`crate::eval::set`]), as the waivers in records are.

use std::sync::Arc;

use crate::json::Json;

use crate::check::suggest;
use crate::diagnostic::{Diagnostic, Label};
use crate::records::locate::locate;
use crate::records::pointer::Pointer;
use crate::source::{SourceFile, Span};

/// The fields a waiver in the file may have.
const FIELDS: [&str; 6] = ["rule", "period", "group", "reason", "approved_by", "until"];

/// A waivers file that has the right form.
#[derive(Debug)]
pub struct WaiverFile {
    /// The file's text, where its waivers' findings are located.
    pub source: Arc<SourceFile>,
    /// The whole file as JSON: an array of waiver objects.
    pub doc: Json,
    /// One entry per element of the array, in order.
    pub waivers: Vec<PeriodWaiver>,
}

/// One waiver of a period finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodWaiver {
    pub rule: String,
    pub period: String,
    /// Of a rule that counts `by` group: the group waived; `None` waives every group of the period.
    pub group: Option<String>,
    /// Trimmed; empty when the waiver gives none.
    pub reason: String,
    pub until: Option<jiff::civil::Date>,
}

/// Reads a waivers file, or says why it cannot be one (located in the file where it can be).
pub fn read(name: &str, bytes: std::io::Result<Vec<u8>>) -> Result<WaiverFile, Box<Diagnostic>> {
    let bytes = bytes.map_err(|e| {
        Box::new(
            Diagnostic::error(
                "waivers",
                format!("cannot read the waivers file `{name}`: {e}"),
            )
            .with_help(HELP),
        )
    })?;
    let source = SourceFile::decode(name, bytes).map_err(|bad| {
        let message = format!("the waivers file `{name}` is not UTF-8 text");
        located(&bad.source, bad.at, message, "not UTF-8")
    })?;
    // A byte-order mark before the JSON (as some Windows editors write) is read past, as in a
    // record file.
    let bom = if source.text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let (doc, duplicates) = crate::records::strict::parse(&source.text[bom..]).map_err(|e| {
        let on_first_line = if e.line() == 1 { bom } else { 0 };
        let at = source.offset_of(e.line(), e.column().max(1) + on_first_line);
        let what = e.to_string();
        // serde_json ends its message with the place, which the label shows.
        let what = what
            .rsplit_once(" at line ")
            .map_or(what.as_str(), |(m, _)| m);
        let message = format!("the waivers file `{name}` is not JSON: {what}");
        located(&source, Span::new(at, at), message, "here")
    })?;
    let at =
        |pointer: &Pointer| locate(&source.text, 0, pointer).map_or(Span::new(0, 0), |l| l.span);
    let malformed = |pointer: &Pointer, what: String, label: &str| {
        let message = format!("the waivers file `{name}` is malformed: {what}");
        located(&source, at(pointer), message, label)
    };
    if let Some(duplicate) = duplicates.first() {
        let pointer = &duplicate.pointer;
        let message = format!(
            "the waivers file `{name}` is malformed: the key at `{pointer}` is given twice"
        );
        let span = (crate::records::RepeatedKeys::new(&source, crate::records::Place::Whole))
            .locate(duplicate)
            .unwrap_or(Span::new(0, 0));
        return Err(located(&source, span, message, "given again here"));
    }
    let Some(elements) = doc.as_array() else {
        let what = "it is not a JSON array of waivers".to_string();
        return Err(malformed(&Pointer::root(), what, "not an array"));
    };
    let mut waivers = Vec::with_capacity(elements.len());
    for (i, element) in elements.iter().enumerate() {
        let here = Pointer::root().index(i);
        let Some(fields) = element.as_object() else {
            let what = format!("waiver {i} is not an object");
            return Err(malformed(&here, what, "not an object"));
        };
        // The first unknown field by name, whatever order the file gives them in.
        let unknown = fields
            .iter()
            .map(|(key, _)| key)
            .filter(|k| !FIELDS.contains(k));
        if let Some(key) = unknown.min() {
            let names: Vec<String> = FIELDS.iter().map(|f| f.to_string()).collect();
            let mut d = malformed(
                &here.clone().key(key),
                format!("waiver {i} has an unknown field `{key}`"),
                "unknown field",
            );
            d.help = Some(suggest(key, &names).unwrap_or_else(|| {
                "a waiver's fields are `rule`, `period`, `group`, `reason`, `approved_by` and `until`".into()
            }));
            return Err(d);
        }
        let text = |field: &str, required: bool| -> Result<Option<String>, Box<Diagnostic>> {
            match fields.get(field) {
                Some(Json::String(s)) => Ok(Some(s.to_string())),
                None if !required => Ok(None),
                None => Err(malformed(
                    &here,
                    format!("waiver {i} has no `{field}`"),
                    "this waiver",
                )),
                Some(_) => Err(malformed(
                    &here.clone().key(field),
                    format!("the `{field}` of waiver {i} is not a string"),
                    "not a string",
                )),
            }
        };
        let rule = text("rule", true)?.unwrap_or_default();
        let period = text("period", true)?.unwrap_or_default();
        let group = text("group", false)?;
        let reason = text("reason", false)?
            .unwrap_or_default()
            .trim()
            .to_string();
        let until = match text("until", false)? {
            None => None,
            Some(u) => match crate::time::parse_date(&u) {
                Ok(date) => Some(date),
                Err(e) => {
                    let what = format!("the `until` of waiver {i}, `{u}`, is not a date: {e}");
                    return Err(malformed(&here.clone().key("until"), what, "not a date"));
                }
            },
        };
        if let Some(by) = fields.get("approved_by") {
            if !by.is_object() {
                let what = format!("the `approved_by` of waiver {i} is not a person (an object)");
                return Err(malformed(
                    &here.clone().key("approved_by"),
                    what,
                    "not an object",
                ));
            }
        }
        waivers.push(PeriodWaiver {
            rule,
            period,
            group,
            reason,
            until,
        });
    }
    Ok(WaiverFile {
        source,
        doc,
        waivers,
    })
}

const HELP: &str = "a waivers file is a JSON array of waivers of period findings, such as \
    `[{\"rule\": \"38.3\", \"period\": \"2024-03\", \"reason\": \"…\", \"until\": \"2024-12-31\"}]`";

fn located(source: &Arc<SourceFile>, span: Span, message: String, label: &str) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error("waivers", message)
            .in_file(source.clone())
            .with_label(Label::primary(span, label))
            .with_help(HELP),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Result<WaiverFile, Box<Diagnostic>> {
        read("w.json", Ok(text.as_bytes().to_vec()))
    }

    #[test]
    fn a_well_formed_file_is_read() {
        let file = read_text(
            r#"[{"rule": "38.3", "period": "2024-03", "reason": " away ", "until": "2024-12-31",
                 "approved_by": {"id": "P-1", "role": "mayor"}}, {"rule": "40.3", "period": "2024"}]"#,
        )
        .expect("well formed");
        assert_eq!(
            file.waivers,
            [
                PeriodWaiver {
                    rule: "38.3".into(),
                    period: "2024-03".into(),
                    group: None,
                    reason: "away".into(),
                    until: Some(jiff::civil::date(2024, 12, 31)),
                },
                PeriodWaiver {
                    rule: "40.3".into(),
                    period: "2024".into(),
                    group: None,
                    reason: String::new(),
                    until: None,
                },
            ]
        );
        assert!(read_text("[]").expect("empty").waivers.is_empty());
        // After a byte-order mark, as a record file is; a fault after it is still at its place.
        let file = read_text("\u{feff}[{\"rule\": \"40.3\", \"period\": \"2024\"}]");
        assert_eq!(file.expect("after a BOM").waivers.len(), 1);
        let d = read_text("\u{feff}[{\"rule\": 1,}]").expect_err("not JSON");
        assert_eq!(
            d.primary_span().map(|s| s.start),
            Some(3 + 12),
            "{}",
            d.message
        );
        let d = read_text("\u{feff}[{\"rule\": \"40.3\", \"rule\": \"40.3\"}]").expect_err("twice");
        assert_eq!(
            d.primary_span().map(|s| s.start),
            Some(3 + 18),
            "{}",
            d.message
        );
    }

    #[test]
    fn a_malformed_file_is_refused_at_its_place() {
        for (text, message, at) in [
            ("{}", "it is not a JSON array of waivers", 0),
            ("[1]", "waiver 0 is not an object", 1),
            (r#"[{"period": "2024-03"}]"#, "waiver 0 has no `rule`", 1),
            (
                r#"[{"rule": 38, "period": "2024-03"}]"#,
                "the `rule` of waiver 0 is not a string",
                10,
            ),
            (
                r#"[{"rule": "38.3", "perod": "2024-03"}]"#,
                "waiver 0 has an unknown field `perod`",
                27,
            ),
            (
                r#"[{"rule": "38.3", "rule": "38.2", "period": "2024-03"}]"#,
                "the key at `/0/rule` is given twice",
                // The key where it is given again.
                18,
            ),
            (
                r#"[{"rule": "38.3", "period": "2024-03", "until": "2024-02-30"}]"#,
                "the `until` of waiver 0, `2024-02-30`, is not a date",
                48,
            ),
            (
                r#"[{"rule": "38.3", "period": "2024-03", "approved_by": "me"}]"#,
                "the `approved_by` of waiver 0 is not a person (an object)",
                54,
            ),
        ] {
            let d = read_text(text).expect_err(text);
            assert!(d.message.contains(message), "{text}: {}", d.message);
            assert_eq!(d.primary_span().map(|s| s.start), Some(at), "{text}");
        }
        let d = read_text("[{").expect_err("not JSON");
        assert!(
            d.message
                .starts_with("the waivers file `w.json` is not JSON: "),
            "{}",
            d.message
        );
        let d = read("w.json", Ok(vec![b'[', 0xff])).expect_err("not UTF-8");
        assert_eq!(d.message, "the waivers file `w.json` is not UTF-8 text");
        let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let d = read("w.json", Err(missing)).expect_err("unreadable");
        assert_eq!(
            d.message,
            "cannot read the waivers file `w.json`: no such file"
        );
    }
}
