//! Finding a JSON pointer's place in a file's text, on demand.
//!
//! serde_json parses fast but keeps no positions, so when a finding needs a line and column this
//! small scanner walks the text to the pointed value, skipping everything else without allocating.

use std::cell::Cell;

use super::pointer::{Pointer, Segment};
use crate::source::Span;

/// Where a pointer leads: the value's span, or — when the last part is missing — the container
/// that lacks it (its opening bracket), with `found` false.
#[derive(Debug, Clone, Copy)]
pub struct Located {
    pub span: Span,
    pub found: bool,
}

/// Two locations are equal when they are the same place: spans alone ignore offsets.
impl PartialEq for Located {
    fn eq(&self, other: &Located) -> bool {
        self.span.same_place(&other.span) && self.found == other.found
    }
}

impl Eq for Located {}

/// Locates `pointer` in the JSON value that starts at or after byte `start` of `text`.
pub fn locate(text: &str, start: usize, pointer: &Pointer) -> Option<Located> {
    Locator::new(text).locate(start, pointer)
}

/// Locates pointers in one text, remembering how far it walked the last array: the findings of
/// a record on many elements of one array, located in order, cost one walk over it rather than
/// one from its start for each (20,000 wrong elements: seconds, not minutes).
pub struct Locator<'t> {
    text: &'t str,
    last_array: Cell<Option<ArrayCursor>>,
}

/// An element reached in an array: the array's `[`, the element's index and where it starts.
#[derive(Clone, Copy)]
struct ArrayCursor {
    array: usize,
    index: usize,
    at: usize,
}

impl<'t> Locator<'t> {
    pub fn new(text: &'t str) -> Locator<'t> {
        Locator {
            text,
            last_array: Cell::new(None),
        }
    }

    /// Locates `pointer` in the JSON value that starts at or after byte `start` of the text.
    pub fn locate(&self, start: usize, pointer: &Pointer) -> Option<Located> {
        let s = self.text.as_bytes();
        let mut at = skip_ws(s, start);
        for segment in &pointer.0 {
            let container = at;
            let next = match (s.get(at), segment) {
                (Some(b'{'), Segment::Key(key)) => member(s, at, key)?,
                (Some(b'['), Segment::Index(index)) => self.element(s, at, *index)?,
                _ => None,
            };
            match next {
                Some(value_at) => at = value_at,
                None => {
                    return Some(Located {
                        span: Span::new(container, container + 1),
                        found: false,
                    })
                }
            }
        }
        let end = skip_value(s, at)?;
        Some(Located {
            span: Span::new(at, end),
            found: true,
        })
    }

    /// The offset of element `index` in the array at `array` (Ok(None) when it is shorter),
    /// walked on from the element reached last in the same array when that comes before.
    fn element(&self, s: &[u8], array: usize, index: usize) -> Option<Option<usize>> {
        let (mut at, mut reached) = match self.last_array.get() {
            Some(cursor) if cursor.array == array && cursor.index <= index => {
                (cursor.at, cursor.index)
            }
            _ => {
                let at = skip_ws(s, array + 1);
                if s.get(at) == Some(&b']') {
                    return Some(None);
                }
                (at, 0)
            }
        };
        while reached < index {
            at = skip_ws(s, skip_value(s, at)?);
            match s.get(at) {
                Some(b',') => at = skip_ws(s, at + 1),
                _ => return Some(None),
            }
            reached += 1;
        }
        self.last_array.set(Some(ArrayCursor { array, index, at }));
        Some(Some(at))
    }
}

/// The span of the key (with its quotes) whose value starts at `value_at`, read backwards over
/// the `:` before the value; `None` when no key is there (an array element, the root).
pub fn key_before(text: &str, value_at: usize) -> Option<Span> {
    let s = text.as_bytes();
    let mut at = value_at;
    let back = |at: &mut usize| {
        while *at > 0 && matches!(s.get(*at - 1), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            *at -= 1;
        }
    };
    back(&mut at);
    if at == 0 || s.get(at - 1) != Some(&b':') {
        return None;
    }
    at -= 1;
    back(&mut at);
    if at == 0 || s.get(at - 1) != Some(&b'"') {
        return None;
    }
    let end = at;
    at -= 1;
    // The opening quote is the first `"` before the closing one not escaped by an odd number of
    // backslashes.
    while at > 0 {
        at -= 1;
        if s.get(at) == Some(&b'"') {
            let slashes = s[..at].iter().rev().take_while(|&&b| b == b'\\').count();
            if slashes % 2 == 0 {
                return Some(Span::new(at, end));
            }
        }
    }
    None
}

fn skip_ws(s: &[u8], mut at: usize) -> usize {
    while matches!(s.get(at), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        at += 1;
    }
    // A byte-order mark before the first value.
    if s.get(at..at + 3) == Some(&[0xEF, 0xBB, 0xBF]) {
        return skip_ws(s, at + 3);
    }
    at
}

/// The offset of `key`'s value in the object at `at` (Ok(None) when it has no such key).
fn member(s: &[u8], at: usize, key: &str) -> Option<Option<usize>> {
    let mut at = skip_ws(s, at + 1);
    if s.get(at) == Some(&b'}') {
        return Some(None);
    }
    loop {
        let key_end = skip_string(s, at)?;
        let matches = string_equals(&s[at..key_end], key);
        at = skip_ws(s, key_end);
        if s.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(s, at + 1);
        if matches {
            return Some(Some(at));
        }
        at = skip_ws(s, skip_value(s, at)?);
        match s.get(at) {
            Some(b',') => at = skip_ws(s, at + 1),
            _ => return Some(None),
        }
    }
}

/// The span (with its quotes) of every key named `key` of the object that starts at `object`, in
/// the text's order, up to the `most`th: one walk over its members.
pub fn keys_named(text: &str, object: usize, key: &str, most: usize) -> Vec<Span> {
    let s = text.as_bytes();
    let mut found = Vec::new();
    let object = skip_ws(s, object);
    if s.get(object) != Some(&b'{') {
        return found;
    }
    let mut at = skip_ws(s, object + 1);
    while s.get(at) == Some(&b'"') && found.len() < most {
        let Some(key_end) = skip_string(s, at) else {
            break;
        };
        if string_equals(&s[at..key_end], key) {
            found.push(Span::new(at, key_end));
        }
        at = skip_ws(s, key_end);
        if s.get(at) != Some(&b':') {
            break;
        }
        let Some(value_end) = skip_value(s, skip_ws(s, at + 1)) else {
            break;
        };
        at = skip_ws(s, value_end);
        match s.get(at) {
            Some(b',') => at = skip_ws(s, at + 1),
            _ => break,
        }
    }
    found
}

/// Where the value of the key that ends at `key_end` starts (after its `:`).
pub fn value_after_key(text: &str, key_end: usize) -> Option<usize> {
    let s = text.as_bytes();
    let at = skip_ws(s, key_end);
    (s.get(at) == Some(&b':')).then(|| skip_ws(s, at + 1))
}

/// The offset of every element of the array that starts at or after byte `start`, in one pass:
/// a record's place in a `.json` file, so locating in it never walks the elements before it.
pub fn element_starts(text: &str, start: usize) -> Vec<usize> {
    let s = text.as_bytes();
    let mut starts = Vec::new();
    let at = skip_ws(s, start);
    if s.get(at) != Some(&b'[') {
        return starts;
    }
    let mut at = skip_ws(s, at + 1);
    if s.get(at) == Some(&b']') {
        return starts;
    }
    while at < s.len() {
        starts.push(at);
        let Some(end) = skip_value(s, at) else {
            return starts;
        };
        at = skip_ws(s, end);
        match s.get(at) {
            Some(b',') => at = skip_ws(s, at + 1),
            _ => return starts,
        }
    }
    starts
}

/// Compares a raw JSON string token (with quotes) to `key`, decoding escapes only when present.
fn string_equals(token: &[u8], key: &str) -> bool {
    let inner = &token[1..token.len().saturating_sub(1).max(1)];
    if !inner.contains(&b'\\') {
        return inner == key.as_bytes();
    }
    std::str::from_utf8(token)
        .ok()
        .and_then(|t| serde_json::from_str::<String>(t).ok())
        .is_some_and(|decoded| decoded == key)
}

fn skip_string(s: &[u8], at: usize) -> Option<usize> {
    if s.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', s.get(i..)?)?;
        match s[i] {
            b'"' => return Some(i + 1),
            _ => i += 2,
        }
    }
}

/// The end offset of the JSON value starting at `at`.
fn skip_value(s: &[u8], at: usize) -> Option<usize> {
    match s.get(at)? {
        b'"' => skip_string(s, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match s.get(i)? {
                    b'"' => {
                        i = skip_string(s, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = at;
            while let Some(b) = s.get(i) {
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                    break;
                }
                i += 1;
            }
            (i > at).then_some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'t>(text: &'t str, pointer: &Pointer) -> (&'t str, bool) {
        let l = locate(text, 0, pointer).unwrap();
        (&text[l.span.start..l.span.end], l.found)
    }

    #[test]
    fn finds_the_key_before_a_value() {
        let text = r#"{ "a\\" : 1, "b\"x":"v", "c": [2] }"#;
        let key = |pointer: &Pointer| {
            let value = locate(text, 0, pointer).unwrap().span.start;
            key_before(text, value).map(|k| &text[k.start..k.end])
        };
        assert_eq!(key(&Pointer::root().key("a\\")), Some(r#""a\\""#));
        assert_eq!(key(&Pointer::root().key("b\"x")), Some(r#""b\"x""#));
        assert_eq!(key(&Pointer::root().key("c").index(0)), None);
        assert_eq!(key(&Pointer::root()), None);
    }

    #[test]
    fn finds_nested_values() {
        let text = r#"{ "a": [1, {"b\"x": "v", "c": {"d": true}}], "e": null }"#;
        assert_eq!(
            at(text, &Pointer::root().key("a").index(1).key("c").key("d")),
            ("true", true)
        );
        assert_eq!(
            at(text, &Pointer::root().key("a").index(1).key("b\"x")),
            ("\"v\"", true)
        );
        assert_eq!(at(text, &Pointer::root().key("e")), ("null", true));
        assert_eq!(at(text, &Pointer::root().key("a")).0.len(), 36);
    }

    /// One locator asked for many places, in order, backwards, in another array and past an
    /// array's end, answers as a fresh walk from the start does for each.
    #[test]
    fn a_locator_asked_many_times_answers_as_a_fresh_walk() {
        let text = r#"{"m": [1, [10, 11, 12], "x", {"k": [7, 8]}, 4, 5], "n": [0, 1]}"#;
        let m = |i: usize| Pointer::root().key("m").index(i);
        let pointers = [
            m(0),
            m(2),
            m(5),
            m(1).index(2),
            m(3).key("k").index(1),
            m(4),
            m(1),
            Pointer::root().key("n").index(1),
            m(6),
            m(3).key("k").index(0),
            m(2),
            Pointer::root().key("n").index(5),
            m(5),
        ];
        let locator = Locator::new(text);
        for pointer in &pointers {
            assert_eq!(
                locator.locate(0, pointer),
                locate(text, 0, pointer),
                "{pointer}"
            );
        }
        let (last, fresh) = (locator.locate(0, &m(5)), locate(text, 0, &m(5)));
        assert_eq!(last.map(|l| l.span.start), fresh.map(|l| l.span.start));
    }

    #[test]
    fn missing_parts_point_at_their_container() {
        let text = r#"{ "a": {"b": 1} }"#;
        assert_eq!(at(text, &Pointer::root().key("a").key("z")), ("{", false));
        assert_eq!(at(text, &Pointer::root().key("q").key("z")), ("{", false));
        assert_eq!(at("[1]", &Pointer::root().index(3)), ("[", false));
    }

    #[test]
    fn every_giving_of_a_key_is_found_escaped_or_not() {
        let text = r#" {"ab": 1, "x": {"ab": 0}, "a\u0062" : [2], "abc": 3, "ab": {}}"#;
        let spans = keys_named(text, 1, "ab", usize::MAX);
        let keys: Vec<&str> = spans.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(keys, [r#""ab""#, r#""a\u0062""#, r#""ab""#]);
        assert_eq!(
            keys_named(text, 1, "ab", 2),
            spans[..2],
            "only the first two"
        );
        assert!(keys_named("[1]", 0, "ab", 9).is_empty(), "not at an object");
        assert_eq!(
            keys_named(r#"{"ab": 1, "ab": "#, 0, "ab", 9).len(),
            2,
            "cut short"
        );
        assert_eq!(
            keys_named(r#"{"ab": 1, "ab"#, 0, "ab", 9).len(),
            1,
            "a key cut short"
        );
    }

    #[test]
    fn element_starts_are_found_in_one_pass() {
        let text = "\u{feff} [ {\"a\": \"],\"}, 2 ,[3] ]";
        let starts = element_starts(text, 0);
        let shown: Vec<&str> = starts.iter().map(|&i| &text[i..i + 1]).collect();
        assert_eq!(shown, ["{", "2", "["]);
        assert!(element_starts("[]", 0).is_empty());
        assert!(element_starts("{}", 0).is_empty());
        assert_eq!(element_starts("[1, ", 0).len(), 1);
    }

    #[test]
    fn truncated_text_is_not_a_panic() {
        let cut = locate("{\"a\": [1, 2", 0, &Pointer::root().key("a").index(5));
        assert!(cut.is_none_or(|l| !l.found));
        assert!(locate("", 0, &Pointer::root()).is_none());
    }
}
