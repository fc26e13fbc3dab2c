//! Reading a record's text the quick way, for the text most records are: JSON whose objects give
//! each key once and hold at most [`MEMBERS_COMPARED`] members, whose numbers are integers with
//! no sign, fraction or exponent, nested at most [`MAX_DEPTH`] deep. Whatever this reader is not
//! sure of (anything else, and every text that is not JSON) it leaves to [`super::strict`], which
//! reads the text again from its start with serde_json: serde_json's verdicts, messages, places
//! and numbers stay the ones reported. Where this reader reads a text, it builds the value
//! serde_json's reading builds (a unit test compares the two on the fixtures and on generated and
//! broken texts). Reading the 10k export this way takes 200 M instructions where serde_json's
//! deserializer and `strict`'s visitors took 249 M (callgrind, one thread).

use std::ops::ControlFlow;

use super::strict::{remember_size, size_hint, write, write_key, write_str, MEMBERS_COMPARED};
use crate::json::{CompactString, Json, Number, Object};
use crate::text::same_text;

/// Deeper than this, a value is left to serde_json (whose own limit is 128).
const MAX_DEPTH: usize = 32;

/// Reads `text` into `place`, reusing what it holds as `strict::parse_into` does; `None` when it
/// leaves the text to serde_json, with `place` holding part of it.
pub(super) fn parse_into(text: &str, place: &mut Json) -> Option<()> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        unescaped: String::new(),
    };
    reader.blanks();
    reader.value(place, 0)?;
    reader.blanks();
    (reader.at == reader.bytes.len()).then_some(())
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    /// The offset of the next byte to read.
    at: usize,
    /// The last string read that holds escapes, unescaped.
    unescaped: String,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Moves past the blanks JSON allows between tokens.
    fn blanks(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Moves past `byte`, which must come next.
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// After an element or member: past a comma and the blanks after it (`true`: another
    /// follows), or past the closing bracket `close` (`false`).
    fn comma_or_close(&mut self, close: u8) -> Option<bool> {
        self.blanks();
        let another = match self.peek()? {
            b',' => true,
            byte if byte == close => false,
            _ => return None,
        };
        self.at += 1;
        if another {
            self.blanks();
        }
        Some(another)
    }

    fn value(&mut self, place: &mut Json, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(place, depth),
            b'[' => self.array(place, depth),
            b'"' => {
                write_str(place, self.string()?);
                Some(())
            }
            b't' => self.literal("true", place, Json::Bool(true)),
            b'f' => self.literal("false", place, Json::Bool(false)),
            b'n' => self.literal("null", place, Json::Null),
            b'0'..=b'9' => self.integer(place),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, place: &mut Json, value: Json) -> Option<()> {
        self.bytes[self.at..].starts_with(word.as_bytes()).then(|| {
            self.at += word.len();
            write(place, value);
        })
    }

    /// An integer with no sign, fraction or exponent that a `u64` holds, as serde_json reads it.
    fn integer(&mut self, place: &mut Json) -> Option<()> {
        let rest = &self.bytes[self.at..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        // A leading zero (`01`) is not JSON; a fraction or exponent makes a float.
        let leading_zero = digits > 1 && rest[0] == b'0';
        if leading_zero || matches!(rest.get(digits), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let n = (rest[..digits].iter()).try_fold(0u64, |n, &digit| {
            n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        })?;
        self.at += digits;
        write(place, Json::Number(Number::from(n)));
        Some(())
    }

    /// The string whose opening quote is next, unescaped; the reader moves past its closing quote.
    fn string(&mut self) -> Option<&str> {
        let start = self.at + 1;
        let end = start + plain_len(&self.bytes[start..]);
        match self.bytes.get(end)? {
            b'"' => {
                self.at = end + 1;
                Some(&self.text[start..end])
            }
            b'\\' => self.escaped(),
            // A control character, which JSON escapes.
            _ => None,
        }
    }

    /// The string whose opening quote is next, which holds escapes.
    fn escaped(&mut self) -> Option<&str> {
        self.unescaped.clear();
        self.at = read_string(self.text, self.at, &mut self.unescaped)?;
        Some(&self.unescaped)
    }

    fn array(&mut self, place: &mut Json, depth: usize) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.at += 1;
        if !place.is_array() {
            write(
                place,
                Json::Array(Vec::with_capacity(size_hint(depth, true))),
            );
        }
        let Json::Array(items) = place else {
            unreachable!("an array was just put there")
        };
        let mut read = 0;
        self.blanks();
        if self.peek()? == b']' {
            self.at += 1;
        } else {
            loop {
                if read == items.len() {
                    items.push(Json::Null);
                }
                self.value(&mut items[read], depth + 1)?;
                read += 1;
                if !self.comma_or_close(b']')? {
                    break;
                }
            }
        }
        items.truncate(read);
        remember_size(depth, true, read);
        Some(())
    }

    fn object(&mut self, place: &mut Json, depth: usize) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.at += 1;
        if !place.is_object() {
            let room = size_hint(depth, false);
            write(
                place,
                Json::Object(Object::from_members(Vec::with_capacity(room))),
            );
        }
        let Json::Object(object) = place else {
            unreachable!("an object was just put there")
        };
        let members = object.members_mut();
        // A bit for each length of key given so far (mod 64), as `strict` keeps them.
        let mut lengths = 0u64;
        let mut read = 0;
        self.blanks();
        if self.peek()? == b'}' {
            self.at += 1;
        } else {
            loop {
                // More members than `strict` compares one by one: it finds a key given again.
                if read == MEMBERS_COMPARED || self.peek()? != b'"' {
                    return None;
                }
                // Read into the next member's place, where the previous record's key most often
                // is this one.
                let key = self.string()?;
                match members.get_mut(read) {
                    Some(member) => write_key(&mut member.0, key),
                    None => members.push((CompactString::new(key), Json::Null)),
                }
                let (before, rest) = members.split_at_mut(read);
                let (key, slot) = &mut rest[0];
                let length = 1u64 << (key.len() % 64);
                // A key given again is `strict`'s to report.
                if lengths & length != 0 && before.iter().any(|(k, _)| same_text(k, key)) {
                    return None;
                }
                lengths |= length;
                self.blanks();
                self.expect(b':')?;
                self.blanks();
                self.value(slot, depth + 1)?;
                read += 1;
                if !self.comma_or_close(b'}')? {
                    break;
                }
            }
        }
        members.truncate(read);
        remember_size(depth, false, read);
        Some(())
    }
}

/// How many bytes of `text` come before its first quote, backslash or control character (all of
/// them if it has none): sixteen bytes at a time where the processor compares them at once, then
/// eight at a time, in a word.
#[inline]
/// The JSON string whose opening quote is `text[quote]`, unescaped onto the end of `out`, and
/// the offset just past its closing quote; `None` where serde_json would refuse it (a control
/// character, an escape JSON does not have, a lone surrogate, the text's end). Made for long
/// strings with many escapes (a document's text sent by an editor, every quote and line end
/// escaped): sixteen bytes are copied at a time, as far as the first that is not plain.
pub(crate) fn read_string(text: &str, quote: usize, out: &mut String) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut unescaped = std::mem::take(out).into_bytes();
    let mut at = quote + 1;
    let end = loop {
        let block: Option<&[u8; 16]> = bytes.get(at..at + 16).and_then(|b| b.try_into().ok());
        let plain = match block {
            Some(block) => {
                // Sixteen bytes copied as one, kept as far as the block is plain.
                unescaped.extend_from_slice(block);
                let plain = plain_len(block);
                unescaped.truncate(unescaped.len() - 16 + plain);
                plain
            }
            None => {
                let plain = plain_len(&bytes[at.min(bytes.len())..]);
                unescaped.extend_from_slice(&bytes[at..at + plain]);
                plain
            }
        };
        at += plain;
        if plain == 16 {
            continue;
        }
        match bytes.get(at) {
            Some(b'"') => break Some(at + 1),
            Some(b'\\') => {
                let (char, len) = escape(&bytes[at + 1..])?;
                match u8::try_from(char) {
                    // Most escapes in a document are a quote or a line's end.
                    Ok(ascii) if ascii.is_ascii() => unescaped.push(ascii),
                    _ => unescaped.extend_from_slice(char.encode_utf8(&mut [0; 4]).as_bytes()),
                }
                at += 1 + len;
            }
            _ => break None,
        }
    };
    debug_assert!(std::str::from_utf8(&unescaped).is_ok());
    // SAFETY: `unescaped` is what `out` held, then runs of `text` (a block is kept only up to
    // an ASCII byte, or whole when the next block goes on from where it ends) and whole
    // characters: valid UTF-8. Checking the 66 MB of a document sent by an editor again took
    // 25 ms.
    *out = unsafe { String::from_utf8_unchecked(unescaped) };
    end
}

fn plain_len(text: &[u8]) -> usize {
    match plain_len_by_vectors(text) {
        ControlFlow::Break(len) => len,
        ControlFlow::Continue(len) => len + plain_len_by_words(&text[len..]),
    }
}

/// How many bytes of `text` come before its first quote, backslash or control character when
/// one is in its whole blocks of sixteen bytes (`Break`); else how many bytes those blocks hold
/// (`Continue`).
#[cfg(target_arch = "x86_64")]
fn plain_len_by_vectors(text: &[u8]) -> ControlFlow<usize, usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let mut len = 0;
    for block in text.chunks_exact(16) {
        // SAFETY: SSE2 is part of x86-64; the load reads the block's sixteen bytes, unaligned.
        let found = unsafe {
            let bytes = _mm_loadu_si128(block.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
            // Below 0x20: the byte is its own minimum with 0x1f.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1f)), bytes);
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
        };
        if found != 0 {
            return ControlFlow::Break(len + found.trailing_zeros() as usize);
        }
        len += 16;
    }
    ControlFlow::Continue(len)
}

#[cfg(not(target_arch = "x86_64"))]
fn plain_len_by_vectors(_: &[u8]) -> ControlFlow<usize, usize> {
    ControlFlow::Continue(0)
}

/// [`plain_len`] eight bytes at a time, in a word.
fn plain_len_by_words(text: &[u8]) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    // The high bit of each byte of `word` that is zero; a false one only above a true one, so
    // the lowest is always true.
    let zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    let mut len = 0;
    for chunk in text.chunks_exact(8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
        let found = control
            | zero(word ^ (ONES * u64::from(b'"')))
            | zero(word ^ (ONES * u64::from(b'\\')));
        if found != 0 {
            return len + found.trailing_zeros() as usize / 8;
        }
        len += 8;
    }
    let ends = |&b: &u8| b == b'"' || b == b'\\' || b < 0x20;
    len + text[len..]
        .iter()
        .position(ends)
        .unwrap_or(text.len() - len)
}

/// The character an escape stands for, from the byte after its backslash, and how many bytes
/// after the backslash it takes; `None` for an escape JSON does not have, or a surrogate that is
/// not half of a pair.
#[inline]
fn escape(rest: &[u8]) -> Option<(char, usize)> {
    let simple = match rest.first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let unit = hex4(rest.get(1..5)?)?;
            return match unit {
                0xD800..=0xDBFF => {
                    if rest.get(5..7)? != b"\\u" {
                        return None;
                    }
                    let low = hex4(rest.get(7..11)?)?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return None;
                    }
                    let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    Some((char::from_u32(code)?, 11))
                }
                0xDC00..=0xDFFF => None,
                _ => Some((char::from_u32(unit)?, 5)),
            };
        }
        _ => return None,
    };
    Some((simple, 1))
}

fn hex4(digits: &[u8]) -> Option<u32> {
    (digits.iter()).try_fold(0, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain part of a text is found as a byte-by-byte look finds it: every byte value that
    /// may end it, at every place of texts up to 80 bytes (past five blocks of sixteen), after
    /// plain bytes of each kind.
    #[test]
    fn the_plain_part_of_a_string_ends_where_a_byte_by_byte_look_ends_it() {
        let ends = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
        let mut compared = 0;
        for plain in [b'a', b' ', 0x7f, 0x80, 0xe5, 0xff] {
            for len in 0..=80 {
                for at in 0..=len {
                    for stop in (0..=255u8).filter(|&b| b % 7 == 0 || ends(b)) {
                        let mut text = vec![plain; len];
                        if at < len {
                            text[at] = stop;
                        }
                        let by_bytes = text.iter().position(|&b| ends(b)).unwrap_or(len);
                        assert_eq!(plain_len(&text), by_bytes, "{text:?}");
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 1_000_000);
    }

    /// What serde_json's reading (`strict`'s own) gives: the value, shown with its members in
    /// order, if the text reads with no key given twice.
    fn by_serde(text: &str) -> Option<String> {
        let mut value = Json::Null;
        let duplicates = super::super::strict::parse_with_serde_into(text, &mut value, 1).ok()?;
        duplicates.is_empty().then(|| format!("{value:?}"))
    }

    /// Reads `text` the quick way into `place`; compares with serde_json's reading. Whether it
    /// was read the quick way.
    fn compare(text: &str, place: &mut Json) -> bool {
        match parse_into(text, place) {
            Some(()) => {
                let quick = format!("{place:?}");
                assert_eq!(Some(quick), by_serde(text), "{text:?}");
                true
            }
            None => false,
        }
    }

    fn fixture_texts() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut texts = Vec::new();
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            let entry = entry.expect("the fixtures can be walked");
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            match entry.path().extension().and_then(|e| e.to_str()) {
                Some("jsonl") => texts.extend(text.lines().map(str::to_string)),
                Some("json") => texts.push(text),
                _ => {}
            }
        }
        texts
    }

    /// A small deterministic generator (xorshift), so that a failure comes back on every run.
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }

        /// A JSON text (or a near miss: the pieces include what JSON does not allow).
        fn json(&mut self, depth: usize, out: &mut String) {
            let blanks = ["", "", " ", "\n  ", "\t", "\r\n"];
            match self.below(if depth > 40 { 4 } else { 7 }) {
                0 => out.push_str(self.pick(&[
                    "0",
                    "7",
                    "42",
                    "-1",
                    "-0",
                    "1.5",
                    "1e3",
                    "2E-2",
                    "01",
                    "18446744073709551615",
                    "18446744073709551616",
                    "99999999999999999999",
                    "-9223372036854775808",
                    "1.",
                    ".5",
                    "+1",
                    "true",
                    "false",
                    "null",
                    "tru",
                    "nul",
                    "truex",
                ])),
                1..=3 => {
                    out.push('"');
                    for _ in 0..self.below(6) {
                        out.push_str(self.pick(&[
                            "plenary",
                            "市政府常务会议",
                            "a",
                            "\\\"",
                            "\\\\",
                            "\\/",
                            "\\b",
                            "\\n",
                            "\\t",
                            "\\u4e2d",
                            "\\u00e9",
                            "\\uD83D\\uDE00",
                            "\\uD83D",
                            "\\uDE00",
                            "\\uD83Dx",
                            "\\u12",
                            "\\x",
                            "\u{1}",
                            "\t",
                            "\u{7f}",
                            "é",
                            "😀",
                            "0123456789abcdef",
                        ]));
                    }
                    out.push('"');
                }
                4 => {
                    out.push('[');
                    for n in 0..self.below(4) {
                        if n > 0 {
                            out.push_str(self.pick(&[",", ",", ", ", ",,"]));
                        }
                        out.push_str(self.pick(&blanks));
                        self.json(depth + 1, out);
                    }
                    out.push_str(self.pick(&["]", "]", "]", ",]", ""]));
                }
                _ => {
                    out.push('{');
                    let most = if self.below(20) == 0 { 40 } else { 5 };
                    for n in 0..self.below(most) {
                        if n > 0 {
                            out.push_str(self.pick(&[",", ",", ", ", ",,"]));
                        }
                        out.push_str(self.pick(&blanks));
                        let key =
                            self.pick(&["id", "type", "kind", "at", "by", "a", "", "\\u0069d"]);
                        if self.below(8) == 0 {
                            out.push_str(&format!("\"k{n}\""));
                        } else {
                            out.push_str(&format!("\"{key}\""));
                        }
                        out.push_str(self.pick(&[":", ": ", " :", ""]));
                        self.json(depth + 1, out);
                    }
                    out.push_str(self.pick(&["}", "}", "}", ",}", "]"]));
                }
            }
        }
    }

    /// Every fixture record, generated texts, valid and not, and texts cut or changed: where the
    /// quick reading reads one, it gives what serde_json's gives, into a fresh place and into
    /// the place of what was read before; and it reads most records.
    #[test]
    fn reads_what_serde_json_reads_as_serde_json_reads_it() {
        let (mut records, mut quick) = (0, 0);
        let mut place = Json::Null;
        for text in &fixture_texts() {
            let read = compare(text, &mut place);
            compare(text, &mut Json::Null);
            if text.trim_start().starts_with('{') {
                records += 1;
                quick += usize::from(read);
            }
        }
        assert!(
            quick * 10 >= records * 9,
            "{quick} of {records} read the quick way"
        );

        let mut random = Random(0x2545_f491_4f6c_dd1d);
        let (mut generated, mut read) = (0, 0);
        for _ in 0..20_000 {
            let mut text = String::new();
            random.json(0, &mut text);
            let mut texts = vec![text.clone()];
            // Cut short, or with one character dropped or doubled.
            let boundaries: Vec<usize> = (text.char_indices().map(|(i, _)| i)).collect();
            if !boundaries.is_empty() {
                let at = boundaries[random.below(boundaries.len())];
                let next = text[at..].chars().next().map_or(0, char::len_utf8);
                texts.push(text[..at].to_string());
                texts.push(format!("{}{}", &text[..at], &text[at + next..]));
                texts.push(format!("{}{}", &text[..at + next], &text[at..]));
            }
            texts.push(format!(" {text} \n"));
            texts.push(format!("{text} x"));
            for text in &texts {
                generated += 1;
                read += usize::from(compare(text, &mut place));
                compare(text, &mut Json::Null);
            }
        }
        // Both ways taken often: the comparison means something.
        assert!(
            read * 10 > generated && read * 2 < generated,
            "{read} of {generated}"
        );
    }

    #[test]
    fn leaves_to_serde_json_what_it_is_not_sure_of() {
        for text in [
            r#"{"id": "a", "id": "b"}"#,
            r#"{"n": -1}"#,
            r#"{"n": 1.5}"#,
            r#"{"n": 18446744073709551616}"#,
            r#"{"s": "\uD83D"}"#,
            "{\"s\": \"\u{1}\"}",
            r#"{"a": 1,}"#,
            r#"{"a": 1} x"#,
            "\u{feff}{}",
            &format!(
                "{}1{}",
                "[".repeat(MAX_DEPTH + 1),
                "]".repeat(MAX_DEPTH + 1)
            ),
            &format!(
                "{{{}}}",
                (0..=MEMBERS_COMPARED)
                    .map(|n| format!("\"k{n}\": {n}"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ] {
            assert_eq!(parse_into(text, &mut Json::Null), None, "{text}");
        }
        let mut place = Json::Null;
        let text = r#" {"s": "a\"\\\/\b\f\n\r\t\u4e2d\uD83D\uDE00", "n": [0, 18446744073709551615, true, false, null, {}, []]} "#;
        assert!(compare(text, &mut place));
    }
}
