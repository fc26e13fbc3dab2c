//! Reading JSON strictly: a record's value (crate::json), but an object that gives a key twice
//! is noticed instead of silently keeping the last value (records contract: a duplicate key is
//! bad input). serde_json's parser reads the text, so its verdicts, messages and places are the
//! ones reported, its nesting limit holds, and a number reads as serde_json reads it. One pass;
//! the place of a value is built only when a duplicate is found.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::pointer::{Pointer, Segment};
use crate::json::{CompactString, Json, Number, Object};
use crate::text::same_text;

/// Beyond this many members, an object finds a key given again through a hash map of its keys
/// rather than by comparing it with each member before it (a hostile record may give millions).
const MEMBERS_COMPARED: usize = 32;
/// How many members the last object and how many elements the last array read at each depth of
/// nesting (on this thread) held, capped: the next at that depth is given room for as many at
/// once. Records of one export are alike, and a vector grown one member at a time reallocated
/// two or three times per object (a sixth of the instructions of reading a record).
const SIZED_DEPTHS: usize = 8;
const MAX_SIZE_HINT: usize = 64;
thread_local! {
    static LAST_SIZES: [Cell<u8>; 2 * SIZED_DEPTHS] = const { [const { Cell::new(0) }; 2 * SIZED_DEPTHS] };
}

/// The room to give an object (`array` false) or array at `depth`, and the size to remember.
fn size_hint(depth: usize, array: bool) -> usize {
    let slot = depth.min(SIZED_DEPTHS - 1) * 2 + usize::from(array);
    LAST_SIZES.with(|sizes| usize::from(sizes[slot].get()))
}

fn remember_size(depth: usize, array: bool, size: usize) {
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

/// Parses `text` as one JSON value; also returns every key given again, in the text's order.
pub fn parse(text: &str) -> Result<(Json, Vec<Duplicate>), serde_json::Error> {
    let duplicates = RefCell::new(Vec::new());
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Strict {
        at: Path::Root,
        depth: 0,
        duplicates: &duplicates,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok((value, duplicates.into_inner()))
}

struct Strict<'p> {
    at: Path<'p>,
    /// How deep `at` is nested.
    depth: usize,
    duplicates: &'p RefCell<Vec<Duplicate>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(CompactString::new(v)))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(CompactString::from(v)))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(size_hint(self.depth, true));
        loop {
            let element = Strict {
                at: Path::Index(&self.at, items.len()),
                depth: self.depth + 1,
                duplicates: self.duplicates,
            };
            match seq.next_element_seed(element)? {
                Some(value) => items.push(value),
                None => break,
            }
        }
        remember_size(self.depth, true, items.len());
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members: Vec<(CompactString, Json)> =
            Vec::with_capacity(size_hint(self.depth, false));
        let mut index: Option<foldhash::HashMap<CompactString, usize>> = None;
        // How many times each member given again was given, by member.
        let mut givings: Option<foldhash::HashMap<usize, usize>> = None;
        // A bit for each length of key given so far (mod 64): a key of a length not given yet
        // is new without being compared with the keys before it.
        let mut lengths = 0u64;
        while let Some(key) = map.next_key::<CompactString>()? {
            // A key given again is known before its value is read: what is given again inside
            // that value is then placed in this giving of the key, and reported after it.
            let length = 1u64 << (key.len() % 64);
            let given = match &index {
                Some(index) => index.get(&key).copied(),
                None if lengths & length == 0 => None,
                None => members.iter().position(|(k, _)| same_text(k, &key)),
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
            let here = Path::Key(&self.at, &key, giving);
            if given.is_some() {
                self.duplicates.borrow_mut().push(here.duplicate());
            }
            let value = map.next_value_seed(Strict {
                at: here,
                depth: self.depth + 1,
                duplicates: self.duplicates,
            })?;
            if let Some(at) = given {
                // The last value of a key given twice, as serde_json keeps.
                members[at].1 = value;
                continue;
            }
            if let Some(index) = &mut index {
                index.insert(key.clone(), members.len());
            } else if members.len() == MEMBERS_COMPARED {
                let keys = members.iter().enumerate().map(|(i, (k, _))| (k.clone(), i));
                let mut built: foldhash::HashMap<CompactString, usize> = keys.collect();
                built.insert(key.clone(), members.len());
                index = Some(built);
            }
            members.push((key, value));
        }
        remember_size(self.depth, false, members.len());
        Ok(Json::Object(Object::from_members(members)))
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
