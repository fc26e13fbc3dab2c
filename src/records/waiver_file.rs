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
//! missing or of the wrong type, an unknown field) is refused whole, with each fault at its place
//! (all of them, as a linter says them, unless the file is not JSON at all): a waiver that
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

/// Reads a waivers file, or says why it cannot be one: every fault of its waivers, each at its
/// place, in the file's order (or the one fault that keeps it from being read as JSON).
pub fn read(name: &str, bytes: std::io::Result<Vec<u8>>) -> Result<WaiverFile, Vec<Diagnostic>> {
    let bytes = bytes.map_err(|e| {
        vec![Diagnostic::error(
            "waivers",
            format!("cannot read the waivers file `{name}`: {e}"),
        )
        .with_help(HELP)]
    })?;
    let source = SourceFile::decode(name, bytes).map_err(|bad| {
        let message = format!("the waivers file `{name}` is not UTF-8 text");
        vec![located(&bad.source, bad.at, message, "not UTF-8")]
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
        vec![located(&source, Span::new(at, at), message, "here")]
    })?;
    let at =
        |pointer: &Pointer| locate(&source.text, 0, pointer).map_or(Span::new(0, 0), |l| l.span);
    let malformed = |pointer: &Pointer, what: String, label: &str| {
        let message = format!("the waivers file `{name}` is malformed: {what}");
        located(&source, at(pointer), message, label)
    };
    let mut faults: Vec<Diagnostic> = Vec::new();
    let mut repeated = crate::records::RepeatedKeys::new(
        &source,
        crate::records::Place::Whole,
        duplicates.kept.len(),
    );
    for duplicate in duplicates.iter() {
        let pointer = &duplicate.pointer;
        let message = format!(
            "the waivers file `{name}` is malformed: the key at `{pointer}` is given twice"
        );
        let span = repeated.locate(duplicate).unwrap_or(Span::new(0, 0));
        faults.push(located(&source, span, message, "given again here"));
    }
    if duplicates.more > 0 {
        let message = format!(
            "the waivers file `{name}` is malformed: {} more keys are given again, beyond the {} \
             listed",
            duplicates.more,
            duplicates.kept.len()
        );
        let span = repeated.last_located().unwrap_or(Span::new(0, 0));
        faults.push(located(&source, span, message, "and more after here"));
    }
    let Some(elements) = doc.as_array() else {
        let what = "it is not a JSON array of waivers".to_string();
        faults.push(malformed(&Pointer::root(), what, "not an array"));
        return Err(faults);
    };
    let mut waivers = Vec::with_capacity(elements.len());
    for (i, element) in elements.iter().enumerate() {
        if let Some(waiver) = waiver(i, element, &mut |pointer, what, label, help| {
            let mut d = malformed(pointer, what, label);
            d.help = help.or(d.help);
            faults.push(d);
        }) {
            waivers.push(waiver);
        }
    }
    if !faults.is_empty() {
        // In the file's order, whatever the kind of fault.
        faults.sort_by_key(|d| d.primary_span().map(|s| s.start));
        return Err(faults);
    }
    Ok(WaiverFile {
        source,
        doc,
        waivers,
    })
}

/// Where a fault is, what it is, its label, and a help of its own.
type Fault<'f> = &'f mut dyn FnMut(&Pointer, String, &str, Option<String>);

/// Waiver `i` of the file, or `None` after saying each of its faults.
fn waiver(i: usize, element: &Json, fault: Fault<'_>) -> Option<PeriodWaiver> {
    let here = Pointer::root().index(i);
    let Some(fields) = element.as_object() else {
        fault(
            &here,
            format!("waiver {i} is not an object"),
            "not an object",
            None,
        );
        return None;
    };
    let mut sound = true;
    for (key, _) in fields.iter().filter(|(k, _)| !FIELDS.contains(k)) {
        sound = false;
        let names: Vec<String> = FIELDS.iter().map(|f| f.to_string()).collect();
        let what = format!("waiver {i} has an unknown field `{key}`");
        let help = suggest(key, &names).unwrap_or_else(|| {
            "a waiver's fields are `rule`, `period`, `group`, `reason`, `approved_by` and `until`"
                .into()
        });
        fault(&here.clone().key(key), what, "unknown field", Some(help));
    }
    let mut text = |field: &str, required: bool| -> Option<String> {
        match fields.get(field) {
            Some(Json::String(s)) => Some(s.to_string()),
            None if !required => None,
            None => {
                sound = false;
                fault(
                    &here,
                    format!("waiver {i} has no `{field}`"),
                    "this waiver",
                    None,
                );
                None
            }
            Some(_) => {
                sound = false;
                let what = format!("the `{field}` of waiver {i} is not a string");
                fault(&here.clone().key(field), what, "not a string", None);
                None
            }
        }
    };
    let rule = text("rule", true).unwrap_or_default();
    let period = text("period", true).unwrap_or_default();
    let group = text("group", false);
    let reason = text("reason", false).unwrap_or_default().trim().to_string();
    let until = text("until", false);
    let until = match until.map(|u| (crate::time::parse_date(&u), u)) {
        None => None,
        Some((Ok(date), _)) => Some(date),
        Some((Err(e), u)) => {
            sound = false;
            let what = format!("the `until` of waiver {i}, `{u}`, is not a date: {e}");
            fault(&here.clone().key("until"), what, "not a date", None);
            None
        }
    };
    if fields.get("approved_by").is_some_and(|by| !by.is_object()) {
        sound = false;
        let what = format!("the `approved_by` of waiver {i} is not a person (an object)");
        fault(
            &here.clone().key("approved_by"),
            what,
            "not an object",
            None,
        );
    }
    sound.then_some(PeriodWaiver {
        rule,
        period,
        group,
        reason,
        until,
    })
}

const HELP: &str = "a waivers file is a JSON array of waivers of period findings, such as \
    `[{\"rule\": \"38.3\", \"period\": \"2024-03\", \"reason\": \"…\", \"until\": \"2024-12-31\"}]`";

fn located(source: &Arc<SourceFile>, span: Span, message: String, label: &str) -> Diagnostic {
    Diagnostic::error("waivers", message)
        .in_file(source.clone())
        .with_label(Label::primary(span, label))
        .with_help(HELP)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file, or its one fault.
    fn read_text(text: &str) -> Result<WaiverFile, Box<Diagnostic>> {
        read("w.json", Ok(text.as_bytes().to_vec())).map_err(|mut faults| {
            assert_eq!(faults.len(), 1, "{text}: {faults:?}");
            Box::new(faults.remove(0))
        })
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
        let d =
            read_text("\u{feff}[{\"rule\": \"40.3\", \"rule\": \"40.3\", \"period\": \"2024\"}]");
        let d = d.expect_err("twice");
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
                r#"[{"rule": "38.3", "period": "2024-03", "perod": "x"}]"#,
                "waiver 0 has an unknown field `perod`",
                48,
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
        let d = read("w.json", Ok(vec![b'[', 0xff]))
            .expect_err("not UTF-8")
            .remove(0);
        assert_eq!(d.message, "the waivers file `w.json` is not UTF-8 text");
        let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let d = read("w.json", Err(missing))
            .expect_err("unreadable")
            .remove(0);
        assert_eq!(
            d.message,
            "cannot read the waivers file `w.json`: no such file"
        );
    }

    /// Every fault of every waiver is said, each at its place, in the file's order: an author
    /// fixes them all at once, not one run at a time.
    /// A key given again more times than are listed: the rest said in one fault, at the last
    /// one listed, not each kept.
    #[test]
    fn keys_given_again_beyond_those_listed_are_said_at_once() {
        let again = r#", "reason": "r""#.repeat(crate::records::strict::DUPLICATES_KEPT + 6);
        let text = format!(r#"[{{"rule": "38.3", "period": "2024-03"{again}}}]"#);
        let faults = read("w.json", Ok(text.into_bytes())).expect_err("faulty");
        let given_again = (faults.iter())
            .filter(|d| d.message.ends_with("is given twice"))
            .count();
        assert_eq!(given_again, crate::records::strict::DUPLICATES_KEPT);
        let last = faults.last().expect("faults");
        assert_eq!(
            last.message,
            "the waivers file `w.json` is malformed: 5 more keys are given again, beyond the 1000 \
             listed"
        );
        let listed_last = faults[faults.len() - 2].primary_span();
        assert_eq!(last.primary_span(), listed_last, "at the last one listed");
    }

    #[test]
    fn every_fault_of_a_file_is_said_at_its_place() {
        let text = r#"[{"rule": "38.3", "perod": "2024-03", "why": 1},
 {"rule": "38.3", "period": "2024-03", "until": "2024-02-30"},
 7,
 {"rule": "38.3", "period": "2024-04"},
 {"rule": "38.3", "period": "2024-05", "period": "2024-06", "approved_by": "me"}]"#;
        let faults = read("w.json", Ok(text.as_bytes().to_vec())).expect_err("faulty");
        let said: Vec<(&str, usize)> = (faults.iter())
            .map(|d| {
                let message = d.message.split(": ").nth(1).unwrap_or(&d.message);
                (message, d.primary_span().map_or(0, |s| s.start))
            })
            .collect();
        let at = |what: &str| text.find(what).expect("in the text");
        assert_eq!(
            said,
            [
                ("waiver 0 has no `period`", 1),
                // An unknown field is marked at its value, as a record's is.
                ("waiver 0 has an unknown field `perod`", at("\"2024-03\"")),
                ("waiver 0 has an unknown field `why`", at("1}")),
                (
                    "the `until` of waiver 1, `2024-02-30`, is not a date",
                    at("\"2024-02-30\"")
                ),
                ("waiver 2 is not an object", at("7")),
                (
                    "the key at `/4/period` is given twice",
                    at("\"period\": \"2024-06\"")
                ),
                (
                    "the `approved_by` of waiver 4 is not a person (an object)",
                    at("\"me\"")
                ),
            ]
        );
        assert_eq!(
            faults[1].help.as_deref(),
            Some("did you mean `period`?"),
            "an unknown field's own help"
        );
    }
}
