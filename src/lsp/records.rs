//! Record files in the editor, beyond diagnostics: the hover on a finding (the rule, its article
//! and how to comply, as `bylaw explain` words them) and the code action that adds a waiver
//! skeleton to the record, its `reason` left empty for someone to fill in (set.4 says so until
//! then).

use crate::check::{Policy, RuleDef};

/// A rule as a hover shows it: the summary `bylaw explain` prints, then its article's text.
pub fn rule_text(policy: &Policy, rule: &RuleDef) -> String {
    let summary = crate::report::present::rule_summary(policy, rule);
    let mut parts = vec![format!("**{}**", summary.heading)];
    parts.extend(summary.how_to_comply.map(|h| format!("how to comply: {h}")));
    parts.extend(summary.enforces);
    if let Some(article) = rule
        .article
        .filter(|_| !rule.id.starts_with("set."))
        .and_then(|a| policy.articles.get(&a))
    {
        parts.push(format!(
            "article {} — {}\n\n{}\n\n{}",
            article.number, article.title, article.text, article.gloss
        ));
    }
    parts.join("\n\n")
}

/// The edit that adds `{"rule": RULE, "reason": ""}` to the `waivers` of the record around byte
/// `offset` of a record file: `(offset, text to insert)`, or `None` when no record object holds
/// the offset or its `waivers` is not a list. The text stays valid JSON, and a record on one line
/// stays on one line.
pub fn waiver_insertion(text: &str, offset: usize, rule: &str) -> Option<(usize, String)> {
    let (start, end) = record_objects(text)
        .into_iter()
        .find(|&(start, end)| start <= offset && offset < end)?;
    let skeleton = format!(
        "{{\"rule\": {}, \"reason\": \"\"}}",
        serde_json::to_string(rule).ok()?
    );
    let object = &text[start..end];
    let bytes = object.as_bytes();
    if let Some(value) = member_value(object, "waivers") {
        if bytes.get(value) != Some(&b'[') {
            return None;
        }
        let after = value + 1;
        let empty = object[after..].trim_start().starts_with(']');
        let inserted = if empty {
            skeleton
        } else {
            format!("{skeleton}, ")
        };
        return Some((start + after, inserted));
    }
    // No `waivers`: a member after the last one, on its own line in a record of several lines.
    let last = object[..object.len() - 1].trim_end().len();
    if last <= 1 {
        return Some((start + 1, format!("\"waivers\": [{skeleton}]")));
    }
    let multiline = object.contains('\n');
    let member = if multiline {
        let first = &object[1..];
        let indent: String = first
            .trim_start_matches([' ', '\t', '\r'])
            .strip_prefix('\n')
            .map(|rest| {
                rest.chars()
                    .take_while(|c| *c == ' ' || *c == '\t')
                    .collect()
            })
            .unwrap_or_else(|| "  ".into());
        format!(",\n{indent}\"waivers\": [{skeleton}]")
    } else {
        format!(", \"waivers\": [{skeleton}]")
    };
    Some((start + last, member))
}

/// The spans of the records of the record file `name`: each line's text (blanks trimmed) in
/// JSON Lines, so that a broken line hides no record after it; else [`record_objects`].
pub(super) fn record_texts(name: &str, text: &str) -> Vec<(usize, usize)> {
    let format = crate::discover::format_of(std::path::Path::new(name))
        .unwrap_or_else(|| crate::records::sniff_format(text));
    if format != crate::discover::Format::Lines {
        return record_objects(text);
    }
    let mut spans = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end =
            memchr::memchr(b'\n', &text.as_bytes()[start..]).map_or(text.len(), |n| start + n);
        let line = &text[start..end];
        let trimmed = line.trim_ascii_start();
        let first = start + (line.len() - trimmed.len());
        let last = first + trimmed.trim_ascii_end().len();
        if first < last {
            spans.push((first, last));
        }
        start = end + 1;
    }
    spans
}

/// The spans of the record objects of a record file: a top-level object, each object of a
/// top-level array, each line's object in JSON Lines.
pub(super) fn record_objects(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            // A string's end found by search, not byte by byte: most of a record's text is in
            // its strings.
            b'"' => loop {
                let Some(next) = bytes
                    .get(i + 1..)
                    .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                else {
                    return found; // a string that never ends: nothing to edit safely past here
                };
                i += 1 + next;
                if bytes[i] == b'"' {
                    break;
                }
                i += 1; // the escaped character
            },
            b'{' | b'[' => stack.push((b, i)),
            b'}' | b']' => {
                let Some((open, start)) = stack.pop() else {
                    return found; // not JSON: nothing to edit safely past here
                };
                let is_record =
                    open == b'{' && (stack.is_empty() || (stack.len() == 1 && stack[0].0 == b'['));
                if is_record {
                    found.push((start, i + 1));
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Where the value of the object's member `key` starts (relative to the object), if it has one.
fn member_value(object: &str, key: &str) -> Option<usize> {
    let bytes = object.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(bytes.len());
                if depth == 1 {
                    let rest = object.get(end + 1..)?;
                    let trimmed = rest.trim_start();
                    if let Some(value) = trimmed.strip_prefix(':') {
                        let name: Option<String> =
                            serde_json::from_str(object.get(start..=end)?).ok();
                        if name.as_deref() == Some(key) {
                            let value_start = object.len() - value.trim_start().len();
                            return Some(value_start);
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, at: &str, rule: &str) -> String {
        let offset = text.find(at).expect("the place");
        let (at, inserted) = waiver_insertion(text, offset, rule).expect("an edit");
        format!("{}{inserted}{}", &text[..at], &text[at..])
    }

    #[test]
    fn waivers_are_added_to_the_record_at_the_offset() {
        let two = r#"[{"id": "a", "x": 1}, {"id": "b", "waivers": [], "s": "}"}]"#;
        let once = apply(two, "\"b\"", "38.1");
        let v: serde_json::Value = serde_json::from_str(&once).expect("JSON");
        assert_eq!(v[1]["waivers"][0]["rule"], "38.1");
        assert_eq!(v[1]["waivers"][0]["reason"], "");
        let twice = apply(&once, "\"a\"", "1.2");
        let v: serde_json::Value = serde_json::from_str(&twice).expect("JSON");
        assert_eq!(v[0]["waivers"][0]["rule"], "1.2");
        let thrice = apply(&twice, "\"a\"", "3\"");
        let v: serde_json::Value = serde_json::from_str(&thrice).expect("JSON");
        assert_eq!(v[0]["waivers"][0]["rule"], "3\"");
        assert_eq!(v[0]["waivers"][1]["rule"], "1.2");
        assert_eq!(thrice.lines().count(), 1);
        let pretty = "{\n  \"id\": \"a\",\n  \"n\": {\"k\": 1}\n}\n";
        let added = apply(pretty, "\"k\"", "9.1");
        assert!(added.contains("\n  \"waivers\""), "{added}");
        let v: serde_json::Value = serde_json::from_str(&added).expect("JSON");
        assert_eq!(v["waivers"][0]["rule"], "9.1");
        // JSON Lines: each line's record, which stays on its line.
        let lines = "{\"id\": \"a\"}\n{\"id\": \"b\", \"waivers\": [{\"rule\": \"1.1\", \"reason\": \"r\"}]}\n";
        let added = apply(lines, "\"b\"", "2.1");
        assert_eq!(added.lines().count(), 2, "{added}");
        for line in added.lines() {
            let _: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        }
        assert!(added
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("\"2.1\"") && l.contains("\"1.1\"")));
        assert!(waiver_insertion(r#"{"waivers": 3}"#, 1, "1.1").is_none());
        assert!(waiver_insertion("not json", 1, "1.1").is_none());
    }
}
