//! The prose of every snapshot, scanned for the kinds of wording fault a user has met: "a issuer"
//! (the article by spelling, not by sound), "1 days" or "3 day", a weekday in lower case, a role
//! said twice ("the vice mayor 张敏 (vice_mayor)"), and "—" or "missing" standing for a value ("filed on missing").
//!
//! Only prose is read: the insta header, record and policy source lines (`12 │ …`) and the rule
//! text that `explain` prints are left out, since they quote input rather than say anything.

use std::fs;
use std::path::Path;

use regex::Regex;

/// Words spelt with a vowel but said with a consonant, so they take "a".
const SAID_WITH_CONSONANT: &[&str] = &["uni", "use", "usu", "uti", "ure", "one", "once", "eu"];
/// Words spelt with a consonant but said with a vowel, so they take "an".
const SAID_WITH_VOWEL: &[&str] = &["hour", "honest", "honour", "heir"];

struct Checks {
    a_before_vowel: Regex,
    an_before_consonant: Regex,
    one_with_plural: Regex,
    many_with_singular: Regex,
    weekday: Regex,
    person: Regex,
    dash_value: Regex,
    missing_value: Regex,
}

impl Checks {
    fn new() -> Checks {
        let nouns = "days|working days|meetings|weeks|months|hours|records|items|findings|heads";
        Checks {
            a_before_vowel: Regex::new(r"(?:^|[^\w'’-])[Aa] ([aeiouAEIOU][\w-]*)").unwrap(),
            an_before_consonant: Regex::new(r"(?:^|[^\w'’-])[Aa]n ([a-z][\w-]*)").unwrap(),
            one_with_plural: Regex::new(&format!(r"(?:^|[^\w.:-])1 (?:\w+ ){{0,2}}({nouns})\b"))
                .unwrap(),
            many_with_singular: Regex::new(
                r"(?:^|[^\w.:-])(?:0|[2-9]|[1-9]\d+) ((?:[a-z]+ ){0,2})(day|meeting|week|month|hour|head)\b",
            )
            .unwrap(),
            weekday: Regex::new(
                r#"(?:^|[^\w/."-])(monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:[^\w/."-]|$)"#,
            )
            .unwrap(),
            person: Regex::new(r"(\S+) \(([a-z]+(?:_[a-z]+)*)\)").unwrap(),
            dash_value: Regex::new(r"(?:^|[\s(`])—(?:[,;)`]|$|\x22)").unwrap(),
            missing_value: Regex::new(r"\b(?:on|dated|at|of|by|in|after|before|within) missing\b")
                .unwrap(),
        }
    }

    /// Every fault on one line of prose, in words.
    fn faults(&self, line: &str) -> Vec<String> {
        let mut found = Vec::new();
        for c in self.a_before_vowel.captures_iter(line) {
            let word = c[1].to_lowercase();
            if !SAID_WITH_CONSONANT.iter().any(|p| word.starts_with(p)) {
                found.push(format!("\"a {}\" should be \"an\"", &c[1]));
            }
        }
        for c in self.an_before_consonant.captures_iter(line) {
            let word = &c[1];
            let vowel_sound = if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
                !SAID_WITH_CONSONANT.iter().any(|p| word.starts_with(p))
            } else {
                SAID_WITH_VOWEL.iter().any(|p| word.starts_with(p))
            };
            if !vowel_sound {
                found.push(format!("\"an {}\" should be \"a\"", &c[1]));
            }
        }
        for c in self.one_with_plural.captures_iter(line) {
            found.push(format!("a plural after 1: \"{}\"", c[0].trim()));
        }
        for c in self.many_with_singular.captures_iter(line) {
            // Adjectives may come between ("3 regular executive meeting"), not a new phrase.
            let linked = c[1].split_whitespace().any(|w| {
                [
                    "of", "in", "on", "at", "to", "by", "the", "a", "and", "after", "before",
                    "from",
                ]
                .contains(&w)
            });
            if !linked {
                found.push(format!(
                    "a singular after a plural number: \"{}\"",
                    c[0].trim()
                ));
            }
        }
        for c in self.weekday.captures_iter(line) {
            found.push(format!("a weekday in lower case: \"{}\"", &c[1]));
        }
        for c in self.person.captures_iter(line) {
            // The role's words just before the person: "the vice mayor 张敏 (vice_mayor)".
            let role_words = c[2].replace('_', " ");
            let start = c.get(0).map_or(0, |m| m.start());
            let before = line[..start].trim_end().to_lowercase().replace('-', " ");
            if before.ends_with(&role_words) {
                found.push(format!("a role said twice: \"{role_words} {}\"", &c[0]));
            }
        }
        if self.dash_value.is_match(line) {
            found.push("\"—\" standing for a value".into());
        }
        if let Some(m) = self.missing_value.find(line) {
            found.push(format!(
                "\"missing\" standing for a value: \"{}\"",
                m.as_str()
            ));
        }
        found
    }
}

/// The lines of a snapshot that are prose, with their line numbers.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let source_line = Regex::new(r"^\s*\d+\s*│|^\s*│?\s*\d+\s*\|").unwrap();
    let mut lines = Vec::new();
    let mut header_rules = 0;
    let mut in_rule_text = false;
    for (i, line) in text.lines().enumerate() {
        if header_rules < 2 {
            header_rules += usize::from(line == "---");
            continue;
        }
        // `explain` prints the rule as written: policy source, not prose.
        if line.starts_with("the rule, as written in") {
            in_rule_text = true;
            continue;
        }
        if in_rule_text {
            in_rule_text = line != "}";
            continue;
        }
        if source_line.is_match(line) {
            continue;
        }
        lines.push((i + 1, line));
    }
    lines
}

#[test]
fn no_snapshot_has_a_wording_fault() {
    let checks = Checks::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "snap"))
        .collect();
    files.sort();
    assert!(files.len() > 100, "the snapshots were not found in {dir:?}");
    let mut faults = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy();
        for (number, line) in prose(&text) {
            for fault in checks.faults(line) {
                faults.push(format!(
                    "tests/snapshots/{name}:{number}: {fault}\n    {line}"
                ));
            }
        }
    }
    assert!(
        faults.is_empty(),
        "{} wording faults:\n{}",
        faults.len(),
        faults.join("\n")
    );
}

/// The checks themselves catch the faults they are for, and pass the right wording.
#[test]
fn the_checks_catch_each_kind_of_fault() {
    let checks = Checks::new();
    for bad in [
        "`province` is not a issuer; expected one of",
        "`mayor` is not a addressee",
        "done on 2011-12-02, after its deadline of 2011-11-30 (1 days late)",
        "0 regular executive meeting in 2011-09",
        "(3 working day)",
        "briefing meeting starts at 2011-08-16 08:30 (tuesday), not on a Monday morning",
        "(`interim` is —)",
        "\"message\": \"meeting organised by —, not by the city government office\"",
        "executive meeting chaired by the executive vice mayor 王建国 (executive_vice_mayor) while",
        "the deputy secretary-general 孙丽 (deputy_secretary_general)",
        "an unit head",
        "filed on missing, missing days after issue on 2011-10-26",
        "under an approval dated missing that names no approver",
    ] {
        assert!(!checks.faults(bad).is_empty(), "not caught: {bad}");
    }
    for good in [
        "a unit head, an office deputy director, an executive meeting, a user, a one-off",
        "1 day late; 2 days late; 1 working day; 3 working days; 1 regular executive meeting",
        "starts at 2011-08-16 08:30+08:00 (Tuesday), not on a Monday morning",
        "(`interim` is missing)",
        "38.1 (error) — an executive meeting is convened",
        "executive meeting chaired by 王建国 (executive_vice_mayor) while",
        "input_file: fixtures/fail/40.4/tuesday-morning.json",
        "on 2011-07-01 at 09:00, article 52 allows 3",
        "2 of the meeting papers, day 3 of the meeting",
        "filed (date not given), 3 days after issue; `at` is missing",
    ] {
        assert!(
            checks.faults(good).is_empty(),
            "wrongly caught: {good}: {:?}",
            checks.faults(good)
        );
    }
}
