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
#[path = "support/policy_gen.rs"]
mod policy_gen;

use std::path::Path;
use std::sync::Arc;

use bylaw::source::SourceFile;
use common::Lcg;
use policy_gen::bylaw_files;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
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
    let seeds = policy_gen::seeds(root());
    let texts: Vec<String> = seeds.iter().map(|s| s.2.clone()).collect();
    for case in 0..cases {
        let (index, name, mutant) = policy_gen::mutant(&mut random, &seeds, &texts);
        // One case in ten goes through the checker too, which costs the whole policy's load.
        let stage = if case % 10 == 0 {
            Stage::Load
        } else {
            Stage::Parse
        };
        load_checked(&bundled, index, &name, &mutant, stage);
    }
    eprintln!(
        "policy fuzz: {} corpus files and {cases} mutated cases",
        corpus.len()
    );
}
