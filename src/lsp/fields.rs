//! Near-miss field names in an open record file: a key that an open type does not declare but
//! that is one or two letters away from a field it does (`answerd` for `answered`). The records
//! contract allows unknown fields, so `bylaw check` says nothing and a rule quietly reads the
//! field as missing; the editor says a word, as information, and says nothing of a key that
//! resembles no field (an extension). A closed type's unknown fields are already bad input, so
//! they are not reported twice.

use std::collections::HashMap;

use lsp_types::{Diagnostic, DiagnosticSeverity};

use super::convert;
use crate::check::{edit_distance, suggest, Policy, ShapeDef, ShapeId, Ty};
use crate::json::Json;
use crate::records::locate::{key_before, locate};
use crate::records::pointer::{Pointer, Segment};
use crate::source::{SourceFile, Span, TextStart};

/// A key that is probably a misspelled field: where in the record, and what to say.
struct NearMiss {
    pointer: Pointer,
    message: String,
}

/// At most this many near misses are shown in one document: each is located by reading its
/// record again, and a file of thousands of them is not helped by thousands of words.
pub const MAX_NEAR_MISSES: usize = 100;

/// The near misses found in each record of an open document, by the record's text, for the
/// policy they were found with: an edit reads again only the records it changed (an export of
/// 16,470 meetings read every record again on each keystroke, 150 ms, more than judging it). A record is
/// known by its length and a 64-bit hash of its text: two texts that collide would share their
/// hints, information the editor shows, never a finding.
#[derive(Default)]
pub struct NearMisses {
    by_record: HashMap<(usize, u64), Vec<(Span, String)>>,
}

impl NearMisses {
    /// Adds what `other` knows.
    pub fn absorb(&mut self, other: NearMisses) {
        self.by_record.extend(other.by_record);
    }

    fn key(record: &str) -> (usize, u64) {
        use std::hash::BuildHasher;
        let hash = foldhash::fast::FixedState::with_seed(0).hash_one(record);
        (record.len(), hash)
    }
}

/// The near-miss keys of the records in `text` (a record file's text), as diagnostics. Each
/// record is read once and each of its keys looked at once; only the keys found (at most
/// [`MAX_NEAR_MISSES`]) are located in the text, so a file with none costs one reading. A record
/// whose text `known` holds (found in an earlier text of the document) is not read again; what
/// is known of this text's records is returned with the diagnostics, for the next text. The
/// text is the file `name`'s from its line `first_line` (1-based): the diagnostics' lines are
/// the file's.
pub fn near_misses(
    policy: &Policy,
    (name, text, first_line): (&str, &str, usize),
    known: &NearMisses,
) -> (Vec<Diagnostic>, NearMisses) {
    let mut found: Vec<(Span, String)> = Vec::new();
    let mut now = HashMap::new();
    for (start, end) in super::records::record_texts(name, text) {
        if found.len() >= MAX_NEAR_MISSES {
            break;
        }
        let key = NearMisses::key(&text[start..end]);
        let in_record = match now
            .get(&key)
            .cloned()
            .or_else(|| known.by_record.get(&key).cloned())
        {
            Some(in_record) => in_record,
            None => near_misses_in_record(policy, text, start, end),
        };
        let room = MAX_NEAR_MISSES - found.len();
        let shifted = |(span, message): &(Span, String)| {
            (
                Span::new(start + span.start, start + span.end),
                message.clone(),
            )
        };
        found.extend(in_record.iter().take(room).map(shifted));
        now.insert(key, in_record);
    }
    let now = NearMisses { by_record: now };
    if found.is_empty() {
        return (Vec::new(), now);
    }
    let start = TextStart {
        line: first_line,
        ..TextStart::FILE
    };
    let file = SourceFile::fragment(name, text, start);
    found.sort_by_key(|(span, _)| span.start);
    let found = found
        .into_iter()
        .map(|(span, message)| Diagnostic {
            range: convert::range(&file, span),
            severity: Some(DiagnosticSeverity::INFORMATION),
            source: Some("bylaw".into()),
            message,
            ..Diagnostic::default()
        })
        .collect();
    (found, now)
}

/// The near-miss keys of the record object at `start..end` of `text`: each key's span, relative
/// to the record's start, and what to say of it. A record being typed may not read yet: it gets
/// its hints once it does.
fn near_misses_in_record(
    policy: &Policy,
    text: &str,
    start: usize,
    end: usize,
) -> Vec<(Span, String)> {
    // Read as records are read (most by the quick reader, into the room of a record read before
    // on this thread): on opening an export, this is every record read a second time.
    let Some(record) = crate::records::read_value_again(&text[start..end]) else {
        return Vec::new();
    };
    let shape = (record.get("type").and_then(Json::as_str)).and_then(|t| policy.records.get(t));
    let mut misses = Vec::new();
    if let Some(&shape) = shape {
        object(policy, shape, &record, &mut Vec::new(), &mut misses);
    }
    crate::records::recycle_value(record, end - start);
    let mut found = Vec::new();
    for miss in misses.into_iter().take(MAX_NEAR_MISSES) {
        let key = locate(text, start, &miss.pointer)
            .filter(|l| l.found)
            .and_then(|l| key_before(text, l.span.start));
        if let Some(key) = key {
            found.push((Span::new(key.start - start, key.end - start), miss.message));
        }
    }
    found
}

/// The near misses in an object of type `shape` at `at`, and in the objects its fields hold.
fn object(
    policy: &Policy,
    shape: ShapeId,
    value: &Json,
    at: &mut Vec<Segment>,
    out: &mut Vec<NearMiss>,
) {
    let (Some(def), Json::Object(map)) = (policy.shapes.get(shape), value) else {
        return;
    };
    // The members in the text's order, each looked at once: a declared field is looked into, any
    // other key of an open type may be a near miss.
    for (key, inner) in map.iter() {
        if let Some(field) = def.field(key) {
            at.push(Segment::Key(key.to_string()));
            within(policy, &field.ty, inner, at, out);
            at.pop();
            continue;
        }
        if def.closed || (def.is_record && key == "type") {
            continue;
        }
        if let Some(field) = near_miss(key, def) {
            let mut pointer = at.clone();
            pointer.push(Segment::Key(key.to_string()));
            let hint = suggest(key, &[field.to_string()]).unwrap_or_default();
            out.push(NearMiss {
                pointer: Pointer(pointer),
                message: format!("`{key}` is not a field of `{}`; {hint}", def.name),
            });
        }
    }
}

/// The near misses in a value of type `ty`: an object of a shape, or the elements of a list.
fn within(policy: &Policy, ty: &Ty, value: &Json, at: &mut Vec<Segment>, out: &mut Vec<NearMiss>) {
    match (ty, value) {
        (Ty::Shape(shape), _) => object(policy, *shape, value, at, out),
        (Ty::Array(inner) | Ty::Set(inner), Json::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                at.push(Segment::Index(i));
                within(policy, inner, item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The declared field `key` is most likely a misspelling of: one edit away for a short key, two
/// for a longer one (so `id` is not taken for `at`), else `None`.
fn near_miss<'d>(key: &str, def: &'d ShapeDef) -> Option<&'d str> {
    let length = key.chars().count();
    let limit = if length <= 4 { 1 } else { 2 };
    def.fields
        .iter()
        // Lengths first: a long key is never compared letter by letter.
        .filter(|f| f.name.chars().count().abs_diff(length) <= limit)
        .map(|f| (edit_distance(key, &f.name), f.name.as_str()))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_found_in_records_and_their_shapes() {
        let policy = crate::check::load(&crate::policy_files::default_policy(), &[])
            .unwrap_or_else(|e| panic!("the bundled policy loads: {e:?}"));
        let text = concat!(
            r#"[{"type": "meeting", "id": "M-1", "chiar": {"name": "张", "rol": "mayor"}, "#,
            r#""members": [{"name": "x", "portfolo": []}], "colour": "red", "identifier": 1}, "#,
            r#"{"type": "nothing", "chiar": 1}, {"broken": ]"#
        );
        let (found, _) = near_misses(&policy, ("m.json", text, 1), &NearMisses::default());
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`chiar` is not a field of `meeting`; did you mean `chair`?",
                "`portfolo` is not a field of `person`; did you mean `portfolio`?",
            ],
            "{found:#?}"
        );
        // `chiar` is not a field: what it holds is not read as a person (`rol` stays unsaid).
        let start = text.find("\"chiar\"").unwrap_or_default();
        assert_eq!(found[0].range.start.character as usize, start);
        assert_eq!(found[0].range.end.character as usize, start + 7);
        let known = NearMisses::default();
        assert!(near_misses(&policy, ("m.json", "not json", 1), &known)
            .0
            .is_empty());
        // Thousands of near misses: the first hundred are said.
        let many: String = (0..5000)
            .map(|i| format!(r#"{{"type": "meeting", "id": "M-{i}", "chiar": 1}}"#) + "\n")
            .collect();
        assert_eq!(
            near_misses(&policy, ("m.jsonl", &many, 1), &known).0.len(),
            MAX_NEAR_MISSES
        );
    }
}
