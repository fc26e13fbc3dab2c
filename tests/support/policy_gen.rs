//! The policy generator shared by the policy fuzz test and the formatter's property tests: the
//! bundled policy and the test policies as seeds, mutated by a small deterministic mutator.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::common::Lcg;

/// Every `.bylaw` file under `dir`, sorted.
pub fn bylaw_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "bylaw"))
        .collect();
    files.sort();
    files
}

/// Pieces of the language that make mutants reach deep: brackets, keywords, holes, odd values.
pub const TOKENS: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\"\"\"",
    "\\",
    ".",
    ",",
    ":",
    "=",
    "==",
    "..",
    "->",
    "#",
    "\n",
    " ",
    "not ",
    "not in ",
    "is ",
    "is not ",
    "if ",
    "or ",
    "and ",
    "in ",
    "exists ",
    "then ",
    "when ",
    "else ",
    "all(x in ",
    "any(s in steps: ",
    "count(",
    "last(s in steps).by",
    "those(p in invitees: ",
    "{those(p in members: p is mayor)}",
    "one of ",
    "same as ",
    "in charge of ",
    "among ",
    "-",
    "+",
    "{chair",
    "{chair.nmae}",
    "}",
    "rule ",
    "rule 38.99 error {",
    "article 57 \"x\" {",
    "define d on meeting = ",
    "let x = ",
    "require ",
    "chain steps { ",
    "param p: int = ",
    "99999999999999999999999",
    "2011-02-30",
    "25:00",
    "2011-07-11T09:00:00+25:00",
    "3 days",
    "\u{FEFF}",
    "中",
    "\u{202E}",
    "\t",
    "\r\n",
    "set.1",
    "0.5",
    "true",
    "false",
    "meeting",
    "chair",
    "mayor",
    "steps",
];

/// One mutation of `text`, drawing material from `seeds`.
pub fn mutate(random: &mut Lcg, text: &str, seeds: &[String]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let at = random.below(n + 1);
    let piece = |random: &mut Lcg, chars: &[char]| -> String {
        let from = random.below(chars.len() + 1);
        let len = random.below(200).min(chars.len() - from);
        chars[from..from + len].iter().collect()
    };
    let (head, tail): (String, String) =
        (chars[..at].iter().collect(), chars[at..].iter().collect());
    match random.below(8) {
        // Delete a range.
        0 => {
            let len = random.below(64).min(n - at);
            let rest: String = chars[at + len..].iter().collect();
            head + &rest
        }
        // Insert a token.
        1 | 2 => head + TOKENS[random.below(TOKENS.len())] + &tail,
        // Repeat a token many times: nesting and long chains.
        3 => {
            let times = 1 + random.below(300);
            head + &TOKENS[random.below(TOKENS.len())].repeat(times) + &tail
        }
        // Duplicate a piece of the same file.
        4 => head + &piece(random, &chars) + &tail,
        // Splice in a piece of another seed.
        5 => {
            let other: Vec<char> = seeds[random.below(seeds.len())].chars().collect();
            head + &piece(random, &other) + &tail
        }
        // Replace a character with any character.
        6 if at < n => {
            let c = char::from_u32(random.below(0x3000) as u32).unwrap_or('\u{FFFD}');
            let rest: String = chars[at + 1..].iter().collect();
            format!("{head}{c}{rest}")
        }
        // Cut short.
        _ => head,
    }
}

/// The seeds: each bundled file (with its index in the bundle) and each test policy (`usize::MAX`).
pub fn seeds(root: &Path) -> Vec<(usize, String, String)> {
    let mut seeds: Vec<(usize, String, String)> = bylaw::policy_files::default_policy()
        .iter()
        .enumerate()
        .map(|(i, f)| (i, f.name.to_string(), f.text.clone()))
        .collect();
    for path in bylaw_files(&root.join("tests/policies")) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        seeds.push((usize::MAX, path.display().to_string(), text));
    }
    seeds
}

/// A mutant of a random seed: one to four mutations.
pub fn mutant(
    random: &mut Lcg,
    seeds: &[(usize, String, String)],
    texts: &[String],
) -> (usize, String, String) {
    let (index, name, text) = &seeds[random.below(seeds.len())];
    let mut mutant = text.clone();
    for _ in 0..1 + random.below(4) {
        mutant = mutate(random, &mutant, texts);
    }
    (*index, name.clone(), mutant)
}
