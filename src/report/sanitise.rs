//! The one gate between text from a record (or a file name, or a policy) and a terminal or an
//! annotation: characters that a terminal obeys rather than prints, or that hide or reorder what a
//! value says, are replaced by a visible escape.
//!
//! - C0 and C1 control characters and DEL (ESC starts a terminal command; U+009B is a one-byte
//!   CSI on some terminals) become `\u{1b}`, `\t`, `\r`, `\n` as Rust writes them.
//! - Bidirectional overrides, isolates and marks, zero-width and other invisible format
//!   characters, line and paragraph separators and tag characters become `<U+202E>`.
//!
//! Every other character, CJK text included, passes unchanged. Machine formats (JSON, SARIF) keep
//! values exact and rely on their serializers instead; JUnit XML and GitHub workflow commands
//! pass through here because CI dashboards and annotations show them to people.

use std::borrow::Cow;

/// Text meant to stay on one line: a message, a label, a value, a file name. Newlines escaped too,
/// so a value cannot forge a line of the report.
pub fn line(text: &str) -> Cow<'_, str> {
    sanitise(text, false)
}

/// Text of several lines (help, JUnit details): newlines kept, everything else as [`line()`].
pub fn block(text: &str) -> Cow<'_, str> {
    sanitise(text, true)
}

/// The visible form of one character, or `None` when it may reach a terminal as it is.
#[inline]
pub fn escape(c: char, keep_newline: bool) -> Option<String> {
    // Most of a record is printable ASCII: answered before the lists below.
    if c == ' ' || c.is_ascii_graphic() {
        return None;
    }
    match c {
        '\n' if keep_newline => None,
        '\n' => Some("\\n".into()),
        '\r' => Some("\\r".into()),
        '\t' => Some("\\t".into()),
        c if c.is_control() => Some(format!("\\u{{{:x}}}", c as u32)),
        c if is_invisible(c) => Some(format!("<U+{:04X}>", c as u32)),
        _ => None,
    }
}

/// Characters that draw nothing yet change how the text around them shows (or hide text).
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{061C}'                    // Arabic letter mark (bidi)
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers, drawn blank
        | '\u{180E}'                    // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'       // zero-width space, joiners, LRM, RLM
        | '\u{2028}' | '\u{2029}'       // line and paragraph separators
        | '\u{202A}'..='\u{202E}'       // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'       // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'       // bidi isolates
        | '\u{FEFF}'                    // zero-width no-break space (byte-order mark)
        | '\u{FFF9}'..='\u{FFFB}'       // interlinear annotation
        | '\u{FFFE}' | '\u{FFFF}'       // noncharacters (XML 1.0 cannot hold them)
        | '\u{E0000}'..='\u{E007F}' // tag characters: invisible ASCII
    )
}

fn sanitise(text: &str, keep_newline: bool) -> Cow<'_, str> {
    if text.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        return Cow::Borrowed(text);
    }
    if !text.chars().any(|c| escape(c, keep_newline).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match escape(c, keep_newline) {
            Some(visible) => out.push_str(&visible),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_commands_become_visible() {
        assert_eq!(line("a\u{1b}[2Jb\u{7}"), "a\\u{1b}[2Jb\\u{7}");
        assert_eq!(line("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(line("one\ntwo\r"), "one\\ntwo\\r");
        assert_eq!(block("one\ntwo\u{1b}"), "one\ntwo\\u{1b}");
    }

    #[test]
    fn hidden_and_reordering_characters_become_visible() {
        assert_eq!(line("abc\u{202E}fed"), "abc<U+202E>fed");
        assert_eq!(
            line("x\u{200B}y\u{2066}z\u{FEFF}"),
            "x<U+200B>y<U+2066>z<U+FEFF>"
        );
        assert_eq!(line("\u{E0041}"), "<U+E0041>");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        let text = "杨帆 (unit_head) — 市住房公积金管理中心 «ok» é";
        assert!(matches!(line(text), Cow::Borrowed(t) if t == text));
    }
}
