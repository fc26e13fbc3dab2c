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
pub fn broken_item(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let starts: Vec<usize> = line_starts(text)
        .filter(|&s| begins_item(&text[s..]))
        .collect();
    let start = starts
        .iter()
        .rev()
        .find(|&&s| s <= at)
        .copied()
        .unwrap_or(0);
    let end = starts
        .iter()
        .find(|&&s| s > at)
        .copied()
        .unwrap_or(text.len());
    (start, end)
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
        let (start, end) = broken_item(text, at);
        assert_eq!(
            &text[start..end],
            "rule 1.1 error {\n  title \"é\" oops\n}\n"
        );
        let blanked = blank(text, start, end);
        assert_eq!(blanked.len(), text.len());
        assert_eq!(blanked.find("rule 1.2"), text.find("rule 1.2"));
        assert!(blanked.starts_with("enum a { x }\n  "));
    }

    #[test]
    fn an_error_before_any_declaration_skips_to_the_first() {
        let text = "oops\nrule 1.1 error { }\n";
        assert_eq!(broken_item(text, 0), (0, 5));
        assert_eq!(broken_item("oops", 2), (0, 4));
    }
}
