//! Reading JSON strictly: a record's value (crate::json), but an object that gives a key twice
//! is noticed instead of silently keeping the last value (records contract: a duplicate key is
//! bad input). serde_json's parser reads the text, so its verdicts, messages and places are the
//! ones reported, its nesting limit holds, and a number reads as serde_json reads it. One pass;
//! the place of a value is built only when a duplicate is found. Most records are read first the
//! quick way ([`super::fast`]), which reads only texts it reads as serde_json does and leaves the
//! others to serde_json here.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::pointer::{Pointer, Segment};
use crate::json::{CompactString, Json, Number, Object};
use crate::text::same_text;

/// Beyond this many members, an object finds a key given again through a hash map of its keys
/// rather than by comparing it with each member before it (a hostile record may give millions).
pub(super) const MEMBERS_COMPARED: usize = 32;
/// How many members the last object and how many elements the last array read at each depth of
/// nesting (on this thread) held, capped: the next at that depth is given room for as many at
/// once. Records of one export are alike, and a vector grown one member at a time reallocated
/// two or three times per object (a sixth of the instructions of reading a record).
const SIZED_DEPTHS: usize = 8;
/// The longest string compact_str holds inline, without an allocation.
const INLINE: usize = std::mem::size_of::<CompactString>();
const MAX_SIZE_HINT: usize = 64;
thread_local! {
    static LAST_SIZES: [Cell<u8>; 2 * SIZED_DEPTHS] = const { [const { Cell::new(0) }; 2 * SIZED_DEPTHS] };
}

/// The room to give an object (`array` false) or array at `depth`, and the size to remember.
pub(super) fn size_hint(depth: usize, array: bool) -> usize {
    let slot = depth.min(SIZED_DEPTHS - 1) * 2 + usize::from(array);
    LAST_SIZES.with(|sizes| usize::from(sizes[slot].get()))
}

pub(super) fn remember_size(depth: usize, array: bool, size: usize) {
    let slot = depth.min(SIZED_DEPTHS - 1) * 2 + usize::from(array);
    let size = size.min(MAX_SIZE_HINT) as u8;
    LAST_SIZES.with(|sizes| sizes[slot].set(size));
}

/// A key given again in one object: its pointer, and which giving of each key on the way it is
/// (1 for a key's first giving and for an array's element; the last, this key's, 2 or more), so
/// that each is located at its own place in the text, inside a value given again too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub pointer: Pointer,
    pub givings: Vec<usize>,
}

impl Duplicate {
    /// Which giving of its key this one is: 2 for the second.
    pub fn giving(&self) -> usize {
        self.givings.last().copied().unwrap_or(1)
    }
}

/// How many keys given again [`parse`] keeps, each with its place; the others are counted.
pub const DUPLICATES_KEPT: usize = super::stream::DEFAULT_MAX_BAD_INPUTS;

/// The keys a value gives again, in the text's order: the first so many (as many as a reading
/// was asked to keep), each with its place, and how many more. A hostile record may give one key
/// millions of times; each kept is located and reported, and an 18 MB record that gave one key
/// 3 million times took 3.4 GB and 10 s when all were kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Duplicates {
    pub kept: Vec<Duplicate>,
    pub more: usize,
    keep: usize,
}

impl Duplicates {
    /// No key is given again.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.more == 0
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Duplicate> {
        self.kept.iter()
    }

    /// None yet, to keep at most `keep`.
    pub fn keeping(keep: usize) -> Duplicates {
        Duplicates {
            keep,
            ..Duplicates::default()
        }
    }

    /// Notes the key given again at `here`.
    fn note(&mut self, here: &Path<'_>) {
        if self.kept.len() < self.keep {
            self.kept.push(here.duplicate());
        } else {
            self.more += 1;
        }
    }
}

/// Where the parser stands, as a chain of borrowed steps (turned into a pointer only for a key
/// given again): each key with which giving of it in its object this is.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str, usize),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn duplicate(&self) -> Duplicate {
        let mut steps = Vec::new();
        let mut here = self;
        loop {
            match here {
                Path::Root => break,
                Path::Key(parent, key, giving) => {
                    steps.push((Segment::Key((*key).to_string()), *giving));
                    here = parent;
                }
                Path::Index(parent, index) => {
                    steps.push((Segment::Index(*index), 1));
                    here = parent;
                }
            }
        }
        steps.reverse();
        let (segments, givings) = steps.into_iter().unzip();
        Duplicate {
            pointer: Pointer(segments),
            givings,
        }
    }
}

/// Parses `text` as one JSON value; also returns the keys it gives again, in the text's order: the
/// first [`DUPLICATES_KEPT`] with their places, and how many more.
pub fn parse(text: &str) -> Result<(Json, Duplicates), serde_json::Error> {
    let mut value = Json::Null;
    let duplicates = parse_into(text, &mut value, DUPLICATES_KEPT)?;
    Ok((value, duplicates))
}

/// Parses `text` into `place`, reusing what it holds: an export's records are alike, so the
/// previous record's vectors and long strings take the next one's members and text, and neither
/// is freed and allocated again (a fifth of reading a record). `place` ends as [`parse`] would
/// build it; after an error it holds part of the text, to be overwritten by the next parse.
///
/// Most records are read the quick way ([`super::fast`]); what it leaves, serde_json reads here.
pub fn parse_into(
    text: &str,
    place: &mut Json,
    keep: usize,
) -> Result<Duplicates, serde_json::Error> {
    match super::fast::parse_into(text, place) {
        Some(()) => Ok(Duplicates::keeping(keep)),
        None => parse_with_serde_into(text, place, keep),
    }
}

/// [`parse_into`], with serde_json reading every text.
pub(super) fn parse_with_serde_into(
    text: &str,
    place: &mut Json,
    keep: usize,
) -> Result<Duplicates, serde_json::Error> {
    let duplicates = RefCell::new(Duplicates::keeping(keep));
    let mut deserializer = serde_json::Deserializer::from_str(text);
    Strict {
        place,
        at: Path::Root,
        depth: 0,
        duplicates: &duplicates,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(duplicates.into_inner())
}

/// Reads only the members of the object `text` whose keys are `wanted`, in the text's order; the
/// other values are scanned, not built. For a record read again that was read whole before (its
/// text unchanged, so its verdicts stand): the fields a reference to it may read.
pub fn parse_members(
    text: &str,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Object, serde_json::Error> {
    let duplicates = RefCell::new(Duplicates::default());
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let members = deserializer.deserialize_map(Members {
        wanted,
        duplicates: &duplicates,
    })?;
    deserializer.end()?;
    Ok(members)
}

/// Reads the wanted members of an object.
struct Members<'w> {
    wanted: &'w dyn Fn(&str) -> bool,
    duplicates: &'w RefCell<Duplicates>,
}

impl<'de> Visitor<'de> for Members<'_> {
    type Value = Object;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<CompactString>()? {
            if !(self.wanted)(&key) {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            let mut value = Json::Null;
            map.next_value_seed(Strict {
                place: &mut value,
                at: Path::Key(&Path::Root, &key, 1),
                depth: 1,
                duplicates: self.duplicates,
            })?;
            // A key given again keeps its last value, in its first place, as `parse` keeps it.
            match members.iter_mut().find(|(k, _)| *k == key) {
                Some((_, kept)) => *kept = value,
                None => members.push((key, value)),
            }
        }
        Ok(Object::from_members(members))
    }
}

/// Reads one value into `place`.
struct Strict<'p, 'v> {
    place: &'v mut Json,
    at: Path<'p>,
    /// How deep `at` is nested.
    depth: usize,
    duplicates: &'p RefCell<Duplicates>,
}

impl Strict<'_, '_> {
    fn set<E>(self, value: Json) -> Result<(), E> {
        write(self.place, value);
        Ok(())
    }
}

/// Writes `value` over what `place` holds.
pub(super) fn write(place: &mut Json, value: Json) {
    match place {
        // Null or a flag in place holds nothing to free: replaced without the call that drops a
        // whole value (most places hold what the last record held there).
        Json::Null | Json::Bool(_) => std::mem::forget(std::mem::replace(place, value)),
        _ => *place = value,
    }
}

/// Writes the string `v` over what `place` holds.
pub(super) fn write_str(place: &mut Json, v: &str) {
    match place {
        // A long string is written into the one in its place when that has the room.
        Json::String(s) if v.len() > INLINE && s.capacity() >= v.len() => {
            s.clear();
            s.push_str(v);
        }
        // A string in place of a string replaces just the string: dropping a whole value in its
        // place was a call per value read.
        Json::String(s) => *s = CompactString::new(v),
        _ => write(place, Json::String(CompactString::new(v))),
    }
}

/// Writes the key `v` over the key in its place (the previous record's), only where it differs.
pub(super) fn write_key(key: &mut CompactString, v: &str) {
    if !same_text(key, v) {
        *key = CompactString::new(v);
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.set(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.set(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.set(Json::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.set(Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        write_str(self.place, v);
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.set(Json::Null)
    }

    fn visit_none<E>(self) -> Result<(), E> {
        self.set(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !self.place.is_array() {
            *self.place = Json::Array(Vec::with_capacity(size_hint(self.depth, true)));
        }
        let Json::Array(items) = self.place else {
            unreachable!("an array was just put there")
        };
        let mut read = 0;
        loop {
            if read == items.len() {
                items.push(Json::Null);
            }
            let element = Strict {
                place: &mut items[read],
                at: Path::Index(&self.at, read),
                depth: self.depth + 1,
                duplicates: self.duplicates,
            };
            match seq.next_element_seed(element)? {
                Some(()) => read += 1,
                None => break,
            }
        }
        items.truncate(read);
        remember_size(self.depth, true, read);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if !self.place.is_object() {
            let room = size_hint(self.depth, false);
            *self.place = Json::Object(Object::from_members(Vec::with_capacity(room)));
        }
        let Json::Object(object) = self.place else {
            unreachable!("an object was just put there")
        };
        let members = object.members_mut();
        let mut index: Option<foldhash::HashMap<CompactString, usize>> = None;
        // How many times each member given again was given, by member.
        let mut givings: Option<foldhash::HashMap<usize, usize>> = None;
        // A bit for each length of key given so far (mod 64): a key of a length not given yet
        // is new without being compared with the keys before it.
        let mut lengths = 0u64;
        // The members read so far. Each key is read into the next member's place, where records
        // of one export, which give the same keys in the same order, most often find it already.
        let mut read = 0;
        loop {
            let more = match members.get_mut(read) {
                Some(member) => map.next_key_seed(KeyInto(&mut member.0))?.is_some(),
                None => match map.next_key::<CompactString>()? {
                    Some(key) => {
                        members.push((key, Json::Null));
                        true
                    }
                    None => false,
                },
            };
            if !more {
                break;
            }
            let (before, rest) = members.split_at_mut(read);
            let (key, slot) = &mut rest[0];
            // A key given again is known before its value is read: what is given again inside
            // that value is then placed in this giving of the key, and reported after it.
            let length = 1u64 << (key.len() % 64);
            let given = match &index {
                Some(index) => index.get(&**key).copied(),
                None if lengths & length == 0 => None,
                None => before.iter().position(|(k, _)| same_text(k, key)),
            };
            lengths |= length;
            let giving = match given {
                Some(at) => {
                    let giving = (givings.get_or_insert_default().entry(at)).or_insert(1);
                    *giving += 1;
                    *giving
                }
                None => 1,
            };
            let here = Path::Key(&self.at, key.as_str(), giving);
            if let Some(at) = given {
                self.duplicates.borrow_mut().note(&here);
                // The last value of a key given twice, as serde_json keeps; the slot read into
                // is read into again by the next key.
                let mut value = Json::Null;
                map.next_value_seed(Strict {
                    place: &mut value,
                    at: here,
                    depth: self.depth + 1,
                    duplicates: self.duplicates,
                })?;
                before[at].1 = value;
                continue;
            }
            map.next_value_seed(Strict {
                place: slot,
                at: here,
                depth: self.depth + 1,
                duplicates: self.duplicates,
            })?;
            if let Some(index) = &mut index {
                index.insert(key.clone(), read);
            } else if read == MEMBERS_COMPARED {
                let keys = before.iter().enumerate().map(|(i, (k, _))| (k.clone(), i));
                let mut built: foldhash::HashMap<CompactString, usize> = keys.collect();
                built.insert(key.clone(), read);
                index = Some(built);
            }
            read += 1;
        }
        members.truncate(read);
        remember_size(self.depth, false, read);
        Ok(())
    }
}

/// Reads a key into the place of the previous record's key, writing it only where it differs.
struct KeyInto<'k>(&'k mut CompactString);

impl<'de> DeserializeSeed<'de> for KeyInto<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        write_key(self.0, v);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_value_serde_json_builds() {
        let text = r#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": 18446744073709551615}"#;
        let (value, duplicates) = parse(text).expect("valid JSON");
        assert_eq!(
            serde_json::to_value(&value).expect("a value"),
            serde_json::from_str::<serde_json::Value>(text).expect("valid JSON")
        );
        assert!(duplicates.is_empty());
    }

    #[test]
    fn finds_every_key_given_twice_with_its_place() {
        let text = r#"[{"id": "a", "id": "b"}, {"x": [{"k": 1, "k": 2}], "y": 1}]"#;
        let (value, duplicates) = parse(text).expect("valid JSON");
        assert_eq!(
            value[0]["id"].as_str(),
            Some("b"),
            "the last value, as serde_json keeps"
        );
        let shown: Vec<(String, usize)> = (duplicates.iter())
            .map(|d| (d.pointer.to_string(), d.giving()))
            .collect();
        assert_eq!(shown, [("/0/id".into(), 2), ("/1/x/0/k".into(), 2)]);
        let (_, duplicates) = parse(r#"{"k": 1, "j": 0, "k": 2, "k": 3}"#).expect("valid JSON");
        let givings: Vec<usize> = duplicates.iter().map(Duplicate::giving).collect();
        assert_eq!(givings, [2, 3], "each giving again, counted");
    }

    /// A hostile record may give a key millions of times: only as many as are asked for are
    /// kept, in the text's order, and the others counted.
    #[test]
    fn keeps_as_many_keys_given_again_as_asked_and_counts_the_others() {
        let text = r#"{"k": 0, "k": 1, "j": [{"k": 2, "k": 3}], "k": 4, "k": 5, "k": 6}"#;
        for keep in [0, 1, 2, 5, 6] {
            let duplicates = parse_into(text, &mut Json::Null, keep).expect("valid JSON");
            let kept: Vec<String> = (duplicates.iter())
                .map(|d| format!("{}#{}", d.pointer, d.giving()))
                .collect();
            let all = ["/k#2", "/j/0/k#2", "/k#3", "/k#4", "/k#5"];
            assert_eq!(kept, all[..keep.min(5)], "keep {keep}");
            assert_eq!(duplicates.more, 5 - keep.min(5), "keep {keep}");
            assert!(!duplicates.is_empty(), "keep {keep}");
        }
    }

    #[test]
    fn keeps_the_order_of_the_text_and_finds_a_key_given_again_in_a_large_object() {
        let keys: Vec<String> = (0..200).rev().map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{{}, \"k7\": \"again\"}}", keys.join(", "));
        let (value, duplicates) = parse(&text).expect("valid JSON");
        let object = value.as_object().expect("an object");
        assert_eq!(object.len(), 200);
        assert_eq!(object.iter().next().map(|(k, _)| k), Some("k199"));
        assert_eq!(value["k7"].as_str(), Some("again"));
        let shown: Vec<String> = duplicates.iter().map(|d| d.pointer.to_string()).collect();
        assert_eq!(shown, ["/k7"]);
    }

    /// Read into the place of the value before it, a value is what a fresh parse builds, with
    /// the same keys given again, whatever the place held: an export's records one after the
    /// other in both orders, and values that change kind, shrink, grow, repeat keys or break off.
    #[test]
    fn a_value_read_into_the_last_ones_place_is_the_value_read_afresh() {
        let export = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/export/leave.jsonl");
        let export = std::fs::read_to_string(export).expect("the export's leave records");
        let mut texts: Vec<&str> = export.lines().collect();
        texts.extend([
            r#"{"a": [1, {"b": "a string longer than it can hold inline"}], "c": -0.0}"#,
            r#"{"a": "x", "c": [true, null, 18446744073709551615, 1.5e300]}"#,
            r#"["a string longer than it can hold inline, again", {"k": 1, "k": {"k": 2, "k": 3}}]"#,
            r#"{"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "b": "s"}"#,
            r#"{"a": [], "b": {}}"#,
            r#"{"a": [1, 2, {"unfinished": "#,
            r#"{"k": 1, "j": 0, "k": 2, "k": "a string longer than it can hold inline"}"#,
            "\"short\"",
            "7",
        ]);
        let many: Vec<String> = (0..40).map(|i| format!("\"k{}\": {i}", i % 37)).collect();
        let many = format!("{{{}}}", many.join(", "));
        texts.push(&many);
        let reversed: Vec<&str> = texts.iter().rev().copied().collect();
        for order in [&texts, &reversed] {
            let mut place = Json::Null;
            for text in order.iter() {
                let afresh = parse(text).map_err(|e| e.to_string());
                let into = parse_into(text, &mut place, DUPLICATES_KEPT)
                    .map(|duplicates| (place.clone(), duplicates))
                    .map_err(|e| e.to_string());
                assert_eq!(into, afresh, "{text}");
                if let Ok((value, _)) = &afresh {
                    assert_eq!(
                        json_text(&place),
                        json_text(value),
                        "members in order: {text}"
                    );
                }
            }
        }
    }

    /// The text of a value, members in their order (a value's equality ignores it).
    fn json_text(value: &Json) -> String {
        serde_json::to_string(value).expect("a value writes")
    }

    #[test]
    fn malformed_json_is_an_error_with_its_place() {
        let e = parse("{\"a\": 1,}").expect_err("trailing comma");
        assert_eq!((e.line(), e.column()), (1, 9));
        assert!(parse("{} {}").is_err(), "one value only");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
    }
}
