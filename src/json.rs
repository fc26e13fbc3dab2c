//! The value a record is read into, for every stage after reading.
//!
//! serde_json's `Value` keeps each object in a `BTreeMap`: building and dropping those maps was
//! most of the cost of reading a record (callgrind, 10k records on one thread: 361 M instructions
//! to parse, 132 M to drop, of 1,152 M for the whole check). Here an object is its pairs in the
//! order the text gives them, looked up by a scan that compares lengths first: a record's objects
//! are small, and each is built once and read a few times. Strings and keys of up to 24 bytes
//! (keys, ids, names, roles, dates) are held inline, so a record allocates for its long strings
//! only. Reading a text into this value is `records::strict`'s (serde_json's parser, so its
//! verdicts and messages are kept; most records the quick way of `records::fast`, which builds
//! what serde_json's parser builds).

use std::fmt;

use crate::text::same_text;

pub use compact_str::CompactString;
pub use serde_json::Number;

/// A JSON value as a record holds it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(CompactString),
    Array(Vec<Json>),
    Object(Object),
}

/// An object's members, in the order the text gives them, each key once.
#[derive(Debug, Clone, Default)]
pub struct Object(Vec<(CompactString, Json)>);

/// Beyond this many members, two objects are compared by their members sorted by key rather
/// than by looking each key up in the other.
const MEMBERS_LOOKED_UP: usize = 32;

impl PartialEq for Object {
    /// Equal when they give the same keys equal values, in whatever order: as JSON means it, and
    /// as a rule comparing two people (`chair == convener`) expects.
    fn eq(&self, other: &Object) -> bool {
        if self.len() != other.len() {
            return false;
        }
        if self.len() <= MEMBERS_LOOKED_UP {
            return self.iter().all(|(k, v)| other.get(k) == Some(v));
        }
        fn sorted(object: &Object) -> Vec<&(CompactString, Json)> {
            let mut members: Vec<&(CompactString, Json)> = object.0.iter().collect();
            members.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            members
        }
        sorted(self) == sorted(other)
    }
}

/// The null value, for a field a record does not give.
pub static NULL: Json = Json::Null;

impl Object {
    /// The empty object.
    pub const fn new() -> Object {
        Object(Vec::new())
    }

    /// An object with these members; each key is given once (the reader keeps the last value
    /// of a key given twice).
    pub fn from_members(members: Vec<(CompactString, Json)>) -> Object {
        Object(members)
    }

    /// The members themselves, for the reader that reads a record into the previous one's place.
    pub(crate) fn members_mut(&mut self) -> &mut Vec<(CompactString, Json)> {
        &mut self.0
    }

    /// The value of `key`.
    pub fn get<K: AsRef<str> + ?Sized>(&self, key: &K) -> Option<&Json> {
        let key = key.as_ref();
        self.0
            .iter()
            .find(|(k, _)| same_text(k, key))
            .map(|(_, v)| v)
    }

    /// The members, in the order the text gives them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Json {
    /// The value of `key` in an object; `None` for a missing key or a value that is not an object.
    pub fn get<K: AsRef<str> + ?Sized>(&self, key: &K) -> Option<&Json> {
        self.as_object()?.get(key)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(object) => Some(object),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_number()?.as_u64()
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.as_number()?.as_f64()
    }

    fn as_number(&self) -> Option<&Number> {
        match self {
            Json::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn is_boolean(&self) -> bool {
        matches!(self, Json::Bool(_))
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Json::Number(_))
    }

    /// A whole number that fits an `i64`.
    pub fn is_i64(&self) -> bool {
        self.as_number().is_some_and(Number::is_i64)
    }

    /// A whole number that fits a `u64`.
    pub fn is_u64(&self) -> bool {
        self.as_number().is_some_and(Number::is_u64)
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Json::String(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }
}

impl<K: AsRef<str> + ?Sized> std::ops::Index<&K> for Json {
    type Output = Json;

    /// The value of `key`, or null (as serde_json's `Value` answers).
    fn index(&self, key: &K) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

impl std::ops::Index<usize> for Json {
    type Output = Json;

    /// The element at `index`, or null.
    fn index(&self, index: usize) -> &Json {
        self.as_array()
            .and_then(|items| items.get(index))
            .unwrap_or(&NULL)
    }
}

impl serde::Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(object) => {
                let mut map = serializer.serialize_map(Some(object.len()))?;
                for (key, value) in object.iter() {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl fmt::Display for Json {
    /// The value as JSON text, its keys in the order the record gives them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl From<serde_json::Value> for Json {
    /// serde_json's value (its keys sorted), for a record written in code: `json!({…}).into()`.
    fn from(value: serde_json::Value) -> Json {
        match value {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(b),
            serde_json::Value::Number(n) => Json::Number(n),
            serde_json::Value::String(s) => Json::String(s.into()),
            serde_json::Value::Array(items) => {
                Json::Array(items.into_iter().map(Json::from).collect())
            }
            serde_json::Value::Object(map) => Json::Object(Object::from_members(
                map.into_iter()
                    .map(|(k, v)| (k.into(), Json::from(v)))
                    .collect(),
            )),
        }
    }
}

/// A value written as JSON the way a message shows it: keys in the order of their names, as
/// serde_json writes a map, so that what is shown does not depend on the order a record's text
/// gives its keys in.
pub fn written(value: &Json) -> String {
    serde_json::to_value(value).map_or_else(|_| value.to_string(), |sorted| sorted.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Json {
        let value: serde_json::Value = serde_json::from_str(text).expect("JSON");
        let mut members = Vec::new();
        // In the text's order, which serde_json's map does not keep: built by hand.
        if let serde_json::Value::Object(map) = value {
            let mut keys: Vec<(usize, String)> = map
                .keys()
                .map(|k| (text.find(&format!("\"{k}\"")).unwrap_or(0), k.clone()))
                .collect();
            keys.sort();
            for (_, k) in keys {
                members.push((k.as_str().into(), Json::from(map[&k].clone())));
            }
        }
        Json::Object(Object::from_members(members))
    }

    /// Objects are equal whatever the order of their keys, as serde_json's were; small and large.
    #[test]
    fn objects_are_equal_whatever_the_order_of_their_keys() {
        let a = read(r#"{"id": "P-1", "name": "李强", "roles": ["mayor"]}"#);
        let b = read(r#"{"roles": ["mayor"], "name": "李强", "id": "P-1"}"#);
        assert_eq!(
            a.as_object().and_then(|o| o.iter().next()).map(|m| m.0),
            Some("id")
        );
        assert_eq!(
            b.as_object().and_then(|o| o.iter().next()).map(|m| m.0),
            Some("roles")
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            read(r#"{"id": "P-1", "name": "李强", "roles": ["vice_mayor"]}"#)
        );
        assert_ne!(a, read(r#"{"id": "P-1", "name": "李强"}"#));
        assert_ne!(
            a,
            read(r#"{"id": "P-1", "name": "李强", "role": ["mayor"]}"#)
        );

        let wide = |order: &mut dyn Iterator<Item = usize>| {
            let members: Vec<String> = order.map(|i| format!("\"k{i}\": {i}")).collect();
            read(&format!("{{{}}}", members.join(", ")))
        };
        let up = wide(&mut (0..100));
        assert_eq!(up, wide(&mut (0..100).rev()));
        assert_ne!(up, wide(&mut (1..101)));
    }
}
