//! Reading JSON strictly: the same `Value` serde_json builds, but an object that gives a key twice
//! is noticed instead of silently keeping the last value (records contract: a duplicate key is bad
//! input). One pass; the place of a value is built only when a duplicate is found.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value as Json};

use super::pointer::{At, Pointer};

/// Parses `text` as one JSON value; also returns the pointer of every key given a second time.
pub fn parse(text: &str) -> Result<(Json, Vec<Pointer>), serde_json::Error> {
    let duplicates = RefCell::new(Vec::new());
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Strict {
        at: At::Root,
        duplicates: &duplicates,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok((value, duplicates.into_inner()))
}

struct Strict<'p> {
    at: At<'p>,
    duplicates: &'p RefCell<Vec<Pointer>>,
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
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
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
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let element = Strict {
                at: At::Index(&self.at, items.len()),
                duplicates: self.duplicates,
            };
            match seq.next_element_seed(element)? {
                Some(value) => items.push(value),
                None => break,
            }
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Strict {
                at: At::Key(&self.at, &key),
                duplicates: self.duplicates,
            })?;
            if object.contains_key(&key) {
                let pointer = At::Key(&self.at, &key).pointer();
                self.duplicates.borrow_mut().push(pointer);
            }
            object.insert(key, value);
        }
        Ok(Json::Object(object))
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
            value,
            serde_json::from_str::<Json>(text).expect("valid JSON")
        );
        assert!(duplicates.is_empty());
    }

    #[test]
    fn finds_every_key_given_twice_with_its_place() {
        let text = r#"[{"id": "a", "id": "b"}, {"x": [{"k": 1, "k": 2}], "y": 1}]"#;
        let (value, duplicates) = parse(text).expect("valid JSON");
        assert_eq!(value[0]["id"], "b", "the last value, as serde_json keeps");
        let shown: Vec<String> = duplicates.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["/0/id", "/1/x/0/k"]);
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
