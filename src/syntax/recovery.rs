//! Recovery after a syntax error: the declaration it is in is skipped, so that the errors of the
//! declarations after it are found in the same run.

/// The words that begin a declaration at the top of a file.
const ITEM_KEYWORDS: [&str; 11] = [
    "policy", "enum", "group", "param", "define", "record", "shape", "calendar", "chapter",
    "article", "rule",
];

/// The byte range to skip for an error at `at`: from the start of the line where the declaration
/// holding `at` begins, to the start of the next line after `at` that begins a declaration (or the
/// end of the text). A rule inside an article is a declaration of its own, so an error in one
/// rule leaves the article's other rules to be read.
///
/// An error on the line that begins a declaration most often means the one before it was left
/// open (`enum colour { red` then `rule …`): that one is skipped, unless `this_one` says the error
/// stayed where it was once it was.
pub fn broken_item(text: &str, at: usize, this_one: bool) -> (usize, usize) {
    let at = at.min(text.len());
    let starts: Vec<usize> = line_starts(text)
        .filter(|&s| begins_item(&text[s..]))
        .collect();
    let line = text[..at].rfind('\n').map_or(0, |i| i + 1);
    // Only the keyword before the error: the parser took it for a part of the declaration above.
    let at_keyword = text[line..at].split_whitespace().count() <= 1;
    if !this_one && at_keyword && starts.contains(&line) {
        let previous = starts.iter().rev().find(|&&s| s < line).copied();
        if let Some(previous) = previous.filter(|&p| block_end(text, p, line).is_none()) {
            return (previous, line);
        }
    }
    let start = starts
        .iter()
        .rev()
        .find(|&&s| s <= at)
        .copied()
        .unwrap_or(0);
    let next = starts
        .iter()
        .find(|&&s| s > at)
        .copied()
        .unwrap_or(text.len());
    // A declaration whose braces close before the next one ends there, so that the `}` of an
    // article around a broken rule is kept, not reported as a second mistake.
    let end = block_end(text, start, next)
        .filter(|&e| e > at)
        .unwrap_or(next);
    (start, end)
}

/// The end of the `{ … }` block that opens after `start`, if it closes before `limit`; braces in
/// strings and comments do not count.
fn block_end(text: &str, start: usize, limit: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < limit {
        match bytes[i] {
            b'#' => {
                while i < limit && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if text[i..].starts_with("\"\"\"") => {
                i += 3 + text[i + 3..].find("\"\"\"")? + 2;
            }
            b'"' => {
                i += 1;
                while i < limit && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' => depth += 1,
            b'}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `text` with `start..end` replaced by spaces, line breaks kept: every other byte stays where it
/// was, so positions in the copy are positions in the original.
pub fn blank(text: &str, start: usize, end: usize) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    for c in text[start..end].chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            // One space per byte: a multi-byte character leaves as many spaces as it had bytes.
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    out.push_str(&text[end..]);
    out
}

fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1))
}

/// Whether a line begins a declaration: a keyword after indentation, then a space.
fn begins_item(line: &str) -> bool {
    let line = line.trim_start_matches([' ', '\t']);
    ITEM_KEYWORDS.iter().any(|k| {
        line.strip_prefix(k)
            .is_some_and(|rest| rest.starts_with([' ', '\t']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_broken_declaration_is_blanked_and_positions_are_kept() {
        let text = "enum a { x }\nrule 1.1 error {\n  title \"é\" oops\n}\nrule 1.2 error { }\n";
        let at = text.find("oops").unwrap();
        let (start, end) = broken_item(text, at, false);
        assert_eq!(&text[start..end], "rule 1.1 error {\n  title \"é\" oops\n}");
        let blanked = blank(text, start, end);
        assert_eq!(blanked.len(), text.len());
        assert_eq!(blanked.find("rule 1.2"), text.find("rule 1.2"));
        assert!(blanked.starts_with("enum a { x }\n  "));
    }

    #[test]
    fn a_broken_rule_in_an_article_leaves_the_articles_brace() {
        let text = "article 5 \"x\" {\n  rule 5.1 error {\n    title \"{ }\" oops # }\n  }\n}\n";
        let (start, end) = broken_item(text, text.find("oops").unwrap(), false);
        assert_eq!(
            &text[start..end],
            "  rule 5.1 error {\n    title \"{ }\" oops # }\n  }"
        );
    }

    #[test]
    fn an_error_where_a_declaration_begins_blames_the_one_left_open() {
        let text = "enum a { x\nrule 1.1 error { }\n";
        let at = text.find("1.1").unwrap();
        assert_eq!(
            broken_item(text, at, false),
            (0, text.find("rule").unwrap())
        );
        assert_eq!(broken_item(text, at, true).0, text.find("rule").unwrap());
    }

    #[test]
    fn an_error_before_any_declaration_skips_to_the_first() {
        let text = "oops\nrule 1.1 error { }\n";
        assert_eq!(broken_item(text, 0, false), (0, 5));
        assert_eq!(broken_item("oops", 2, false), (0, 4));
    }
}
