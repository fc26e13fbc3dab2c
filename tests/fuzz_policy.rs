//! Fuzzing the policy parser and checker on the stable toolchain: the bundled policy files and the
//! test policies, mutated by a small deterministic mutator, must each load or be refused with
//! located diagnostics (a file, a label inside its text) that render; nothing may panic, and every
//! load must finish (an exponential parse or a stack overflow fails the run).
//!
//! - `BYLAW_FUZZ_CASES` sets how many mutated cases to run (default 100, a few seconds; one in ten loads the
//!   whole policy, the others parse the mutated file alone);
//!   `BYLAW_FUZZ_SEED` the generator's seed (default 1), so a run can be replayed.
//! - Every file in `tests/fuzz/policy/` is run first, every time: an input that once failed goes
//!   there. A failing case is written to `target/fuzz-policy/` with its name in the failure; the
//!   case being run is always in `target/fuzz-policy/current.bylaw`, so even an abort leaves it.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bylaw::source::SourceFile;
use common::Lcg;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bylaw_files(dir: &Path) -> Vec<PathBuf> {
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
const TOKENS: &[&str] = &[
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
fn mutate(random: &mut Lcg, text: &str, seeds: &[String]) -> String {
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

/// How much of the pipeline a case runs.
#[derive(Clone, Copy)]
enum Stage {
    /// The mutated file alone through the parser and lowering: cheap, most cases.
    Parse,
    /// The whole policy with the mutated file in it through the checker.
    Load,
}

/// Runs `text` in place of file `index` of `files` (added when `index` is past the end) and
/// checks every rejection.
fn load_checked(files: &[Arc<SourceFile>], index: usize, name: &str, text: &str, stage: Stage) {
    let file = SourceFile::new(name, text);
    let files: Vec<Arc<SourceFile>> = match stage {
        Stage::Parse => vec![file.clone()],
        Stage::Load => {
            let mut files = files.to_vec();
            if index < files.len() {
                files[index] = file.clone();
            } else {
                files.push(file.clone());
            }
            files
        }
    };
    // Written before the run, so a stack overflow (which no test can catch) leaves it behind.
    let failures = root().join("target/fuzz-policy");
    let _ = std::fs::create_dir_all(&failures);
    let _ = std::fs::write(failures.join("current.bylaw"), text);
    let outcome = std::panic::catch_unwind(|| {
        let result = match stage {
            Stage::Parse => bylaw::syntax::parse(&file).map(|_| ()),
            Stage::Load => bylaw::check::load(&files, &[]).map(|_| ()),
        };
        if let Err(errors) = result {
            assert!(!errors.is_empty(), "refused with no error");
            let renderer = bylaw::report::human::Renderer::new(false);
            for e in &errors {
                let source = e
                    .source
                    .as_ref()
                    .unwrap_or_else(|| panic!("unlocated: {e:?}"));
                assert!(!e.labels.is_empty(), "no label: {e:?}");
                for label in &e.labels {
                    let s = label.span;
                    assert!(
                        s.start <= s.end
                            && s.end <= source.text.len()
                            && source.text.is_char_boundary(s.start)
                            && source.text.is_char_boundary(s.end),
                        "a label outside its text: {e:?}"
                    );
                }
                let _ = renderer.render(e);
            }
        }
    });
    if let Err(panic) = outcome {
        let hash = text.bytes().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
        let kept = failures.join(format!("{hash:016x}.bylaw"));
        let _ = std::fs::write(&kept, text);
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!(
            "`{name}` mutated fails: {why}\nthe input is in {}; move it to tests/fuzz/policy/",
            kept.display()
        );
    }
}

#[test]
fn mutated_policies_load_or_are_refused_with_located_diagnostics() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let cases = env("BYLAW_FUZZ_CASES", 100);
    let mut random = Lcg(env("BYLAW_FUZZ_SEED", 1));
    let bundled = bylaw::policy_files::default_policy();

    // The regression corpus, on top of the bundled policy.
    let corpus = bylaw_files(&root().join("tests/fuzz/policy"));
    for path in &corpus {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        load_checked(&bundled, usize::MAX, &name, &text, Stage::Load);
    }

    // Seeds: each bundled file (mutated in place) and each test policy (added to the bundle).
    let mut seeds: Vec<(usize, String, String)> = bundled
        .iter()
        .enumerate()
        .map(|(i, f)| (i, f.name.clone(), f.text.clone()))
        .collect();
    for path in bylaw_files(&root().join("tests/policies")) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        seeds.push((usize::MAX, path.display().to_string(), text));
    }
    let texts: Vec<String> = seeds.iter().map(|s| s.2.clone()).collect();
    for case in 0..cases {
        let (index, name, text) = &seeds[random.below(seeds.len())];
        let mut mutant = text.clone();
        for _ in 0..1 + random.below(4) {
            mutant = mutate(&mut random, &mutant, &texts);
        }
        // One case in ten goes through the checker too, which costs the whole policy's load.
        let stage = if case % 10 == 0 {
            Stage::Load
        } else {
            Stage::Parse
        };
        load_checked(&bundled, *index, name, &mutant, stage);
    }
    eprintln!(
        "policy fuzz: {} corpus files and {cases} mutated cases",
        corpus.len()
    );
}
