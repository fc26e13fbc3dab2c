//! Shared vocabulary for the words of messages: the indefinite article chosen by sound, and a
//! number's noun in the right number. Every stage that writes prose uses these, so "a issuer" or
//! "1 days" cannot come back through one message that was written by hand.

/// Words spelt with a vowel but said with a consonant ("a unit", "a user", "a one-off"), and words
/// spelt with a consonant but said with a vowel ("an hour", "an honest").
const VOWEL_SPELT_CONSONANT_SOUND: &[&str] = &[
    "uni", "use", "usu", "uti", "ure", "uro", "one", "once", "eu", "ewe",
];
const CONSONANT_SPELT_VOWEL_SOUND: &[&str] = &["hour", "honest", "honour", "honor", "heir"];

/// Whether `word` is said starting with a vowel sound, so it takes "an".
pub fn starts_with_vowel_sound(word: &str) -> bool {
    let lower = word.trim_start_matches(['`', '"', '“', '(']).to_lowercase();
    let Some(first) = lower.chars().next() else {
        return false;
    };
    if CONSONANT_SPELT_VOWEL_SOUND
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return true;
    }
    if !"aeiou".contains(first) {
        // An initialism said letter by letter: "an SMS", "an HR office"; digits as said: "an 8".
        let said_as_letter = lower
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .is_some_and(|w| w.len() == 1 && "fhlmnrsx8".contains(w));
        return said_as_letter;
    }
    !VOWEL_SPELT_CONSONANT_SOUND
        .iter()
        .any(|p| lower.starts_with(p))
}

/// "a" or "an" for `word`.
pub fn article(word: &str) -> &'static str {
    if starts_with_vowel_sound(word) {
        "an"
    } else {
        "a"
    }
}

/// `word` with its indefinite article: "an issuer", "a unit head".
pub fn with_article(word: &str) -> String {
    format!("{} {word}", article(word))
}

/// Plural nouns that follow a number in messages, and their singular.
const PLURALS: &[(&str, &str)] = &[
    ("days", "day"),
    ("weeks", "week"),
    ("months", "month"),
    ("hours", "hour"),
    ("minutes", "minute"),
    ("meetings", "meeting"),
    ("records", "record"),
    ("items", "item"),
    ("findings", "finding"),
    ("heads", "head"),
    ("people", "person"),
];

/// Words that end the noun phrase after a number: a plural noun is looked for only before them,
/// so "1 day after 3 meetings" is not read as "1 … meetings".
const PHRASE_ENDS: &[&str] = &[
    "a", "after", "and", "at", "before", "by", "for", "from", "in", "late", "later", "of", "on",
    "the", "to", "with",
];

/// `text` (what follows a number `n`) with the noun it starts with made singular when `n` is 1 or
/// -1: `" days late"` after 1 becomes `" day late"`, `" regular executive meetings in"` becomes
/// `" regular executive meeting in"`.
pub fn agree_after_number(n: i64, text: &str) -> String {
    if n.unsigned_abs() != 1 || !text.starts_with(' ') {
        return text.to_string();
    }
    // Up to four words of the noun phrase: adjectives, then the noun.
    let mut offset = 1;
    for word in text[1..].split(' ').take(4) {
        let bare = word.trim_end_matches(|c: char| !c.is_alphanumeric());
        if bare.is_empty() || PHRASE_ENDS.contains(&bare) {
            break;
        }
        if let Some((_, singular)) = PLURALS.iter().find(|(plural, _)| *plural == bare) {
            return format!(
                "{}{singular}{}",
                &text[..offset],
                &text[offset + bare.len()..]
            );
        }
        if !bare.chars().all(|c| c.is_ascii_lowercase() || c == '-') || bare.len() != word.len() {
            break;
        }
        offset += word.len() + 1;
    }
    text.to_string()
}

/// `n` and the noun in the right number: "1 day", "2 days".
pub fn count(n: i64, singular: &str, plural: &str) -> String {
    if n.unsigned_abs() == 1 {
        format!("{n} {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// Names joined as English lists them: "何平", "何平 and 马超", "A, B and C"; empty for none.
pub fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `text` (what comes before a list of `n` names) with the plural noun it ends with made singular
/// when the list names one: `"county heads "` before one name becomes `"county head "`.
pub fn agree_before_list(n: usize, text: &str) -> String {
    if n != 1 || !text.ends_with(' ') {
        return text.to_string();
    }
    let body = &text[..text.len() - 1];
    let word_start = body.rfind(' ').map_or(0, |i| i + 1);
    match PLURALS
        .iter()
        .find(|(plural, _)| *plural == &body[word_start..])
    {
        Some((_, singular)) => format!("{}{singular} ", &body[..word_start]),
        None => text.to_string(),
    }
}

/// An English weekday name capitalised, as prose writes it: `tuesday` → `Tuesday`; other text as is.
pub fn weekday_name(name: &str) -> String {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    if DAYS.contains(&name) {
        let mut chars = name.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_by_sound() {
        for (word, a) in [
            ("issuer", "an"),
            ("addressee", "an"),
            ("office deputy director", "an"),
            ("executive meeting", "an"),
            ("unit head", "a"),
            ("user", "a"),
            ("one-off", "a"),
            ("hour", "an"),
            ("department", "a"),
            ("meeting", "a"),
            ("", "a"),
        ] {
            assert_eq!(article(word), a, "{word}");
        }
    }

    #[test]
    fn numbers_agree() {
        assert_eq!(agree_after_number(1, " days late"), " day late");
        assert_eq!(
            agree_after_number(1, " working days after"),
            " working day after"
        );
        assert_eq!(agree_after_number(2, " days late"), " days late");
        assert_eq!(agree_after_number(1, " daysx"), " daysx");
        assert_eq!(
            agree_after_number(1, " regular executive meetings in 2011-09"),
            " regular executive meeting in 2011-09"
        );
        assert_eq!(
            agree_after_number(1, " county heads invited)"),
            " county head invited)"
        );
        assert_eq!(
            agree_after_number(1, " day after 3 meetings"),
            " day after 3 meetings"
        );
        assert_eq!(
            agree_after_number(1, " after 3 meetings"),
            " after 3 meetings"
        );
        assert_eq!(agree_after_number(-1, " days"), " day");
        assert_eq!(count(1, "day", "days"), "1 day");
        assert_eq!(count(0, "day", "days"), "0 days");
        assert_eq!(weekday_name("tuesday"), "Tuesday");
        assert_eq!(weekday_name("x"), "x");
    }

    #[test]
    fn lists_agree() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(and_list(&names(&[])), "");
        assert_eq!(and_list(&names(&["何平"])), "何平");
        assert_eq!(and_list(&names(&["何平", "马超"])), "何平 and 马超");
        assert_eq!(and_list(&names(&["A", "B", "C"])), "A, B and C");
        assert_eq!(agree_before_list(1, "county heads "), "county head ");
        assert_eq!(agree_before_list(1, "(heads "), "(heads ");
        assert_eq!(agree_before_list(2, "county heads "), "county heads ");
        assert_eq!(agree_before_list(1, "county heads"), "county heads");
        assert_eq!(agree_before_list(1, "the people "), "the person ");
        assert_eq!(agree_before_list(1, "invited "), "invited ");
    }
}
