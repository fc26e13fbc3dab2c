//! Every rule's examples: the failing one breaks that rule alone, the passing one gives nothing,
//! and `bylaw explain` shows both as a user sees them.

mod common;

use std::path::Path;

use bylaw::examples::{self, Examples, Expect};
use bylaw::report::human::Renderer;

fn default_examples() -> Examples {
    Examples::new(bylaw::policy_files::default_examples())
}

#[test]
fn every_rule_has_examples_that_show_it() {
    let policy = common::default_policy();
    let verdicts = examples::verify(&policy, &default_examples());
    assert_eq!(verdicts.len(), policy.rules.len(), "no stray examples");
    let problems: Vec<String> = verdicts
        .iter()
        .flat_map(|v| {
            v.problems
                .iter()
                .map(move |(file, p)| format!("{}: {file}: {p}", v.rule))
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_failing_example_is_the_passing_one_with_a_small_change() {
    // The diff `explain` shows is the fix; a rewrite would teach nothing.
    let examples = default_examples();
    let policy = common::default_policy();
    for rule in &policy.rules {
        let (Some(fail), Some(pass)) = (
            examples.get(&rule.id, Expect::Fail),
            examples.get(&rule.id, Expect::Pass),
        ) else {
            panic!("rule {} lacks an example", rule.id);
        };
        let diff = similar::TextDiff::from_lines(&fail.text, &pass.text);
        let changed = diff
            .iter_all_changes()
            .filter(|c| c.tag() != similar::ChangeTag::Equal)
            .count();
        assert!(
            (1..=16).contains(&changed),
            "{}: {changed} lines differ between fail.json and pass.json",
            rule.id
        );
    }
}

#[test]
fn explain_shows_the_examples() {
    let policy = common::default_policy();
    let examples = default_examples();
    for id in ["38.1", "38.3", "52.1", "56.2", "set.1", "set.3"] {
        let text = bylaw::cli::explain(&policy, &examples, id, &Renderer::new(false))
            .unwrap_or_else(|| panic!("rule {id} is explained"));
        insta::assert_snapshot!(format!("explain_{id}"), text);
    }
}

#[test]
fn verify_reports_examples_that_do_not_show_their_rule() {
    // A copy of the default policy whose examples are wrong in every way `verify` knows.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("verify-broken-examples");
    let _ = std::fs::remove_dir_all(&dir);
    let policy_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/lianyungang");
    copy_tree(&policy_dir, &dir);
    let ex = dir.join("examples");
    // 38.1: the passing example is the failing one; 38.2: no failing example; a stray file; a rule
    // the policy does not have.
    std::fs::copy(ex.join("38.1/fail.json"), ex.join("38.1/pass.json")).expect("copy");
    std::fs::remove_file(ex.join("38.2/fail.json")).expect("remove");
    std::fs::write(ex.join("38.3/notes.json"), "{}").expect("write");
    std::fs::create_dir_all(ex.join("99.9")).expect("mkdir");
    std::fs::copy(ex.join("38.1/fail.json"), ex.join("99.9/fail.json")).expect("copy");

    let files = bylaw::policy_files::read_policy(&dir).expect("policy reads");
    let policy = bylaw::check::load(&files, &[]).expect("policy loads");
    let examples = Examples::new(bylaw::policy_files::read_examples(&dir).expect("examples read"));
    let shown = |file: &str| {
        Path::new(file)
            .strip_prefix(&dir)
            .map_or(file.to_string(), |f| f.display().to_string())
    };
    let mut report = Vec::new();
    for verdict in examples::verify(&policy, &examples) {
        for (file, problem) in &verdict.problems {
            report.push(format!("{} {}: {problem}", verdict.rule, shown(file)));
        }
    }
    insta::assert_snapshot!(report.join("\n"));
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let target = to.join(entry.path().strip_prefix(from).expect("under from"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
