//! Fixture-driven tests: every file under `fixtures/` is a case. Dropping a file in adds a test.
//!
//! - `pass/**`: no finding, no bad input;
//! - `fail/<rule>/*`: findings of that rule only, pinned (human and JSON) in snapshots — or, for
//!   a file named `….with-<other>.json`, of that rule and `<other>`, each at least once, where the
//!   catalogue says the case breaks both (see [`BROKEN_TOGETHER`]);
//! - `bad/*`: bad input, located, exit status 2, the rest still judged;
//! - `waivers/*` and `example/`: snapshots.

mod common;

use std::path::Path;

use bylaw::report::exit_code;
use common::*;

#[test]
fn passing_fixtures_have_no_findings() {
    let policy = default_policy();
    insta::glob!("../fixtures/pass", "**/*.json*", |path| {
        let outcome = audit(&policy, path);
        assert!(
            outcome.findings.is_empty() && outcome.bad_inputs.is_empty(),
            "{} should pass, but:\n{}",
            relative(path).display(),
            human(&policy, &outcome)
        );
        assert_eq!(exit_code(&outcome, true), 0);
    });
}

/// The pairs of rules that the catalogue says one case breaks together, as `(rule, other)`: a
/// fixture `fail/<rule>/<name>.with-<other>.json` breaks exactly these two. Only the catalogue's
/// own words add a pair here, so the convention cannot hide a rule firing where it should not.
const BROKEN_TOGETHER: &[(&str, &str)] = &[
    // 16.1: "one naming a record of another type, such as a document, is set.2 and 16.1".
    ("16.1", "set.2"),
];

/// The other rule a fixture's name says it breaks too: `x.with-set.2.json` → `set.2`.
fn broken_with(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".json").or(name.strip_suffix(".jsonl"))?;
    Some(&stem[stem.rfind(".with-")? + ".with-".len()..])
}

#[test]
fn failing_fixtures_break_their_rule_only() {
    let policy = default_policy();
    insta::glob!("../fixtures/fail", "*/*.json*", |path| {
        let rule = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(
            policy.rule(rule).is_some(),
            "fixtures for rule {rule}, which the policy lacks"
        );
        let name = relative(path).display().to_string();
        let mut expected = vec![rule];
        if let Some(other) = broken_with(path) {
            assert!(
                BROKEN_TOGETHER.contains(&(rule, other)),
                "{name} says it breaks {other} with {rule}, which the catalogue does not say \
                 (add the pair to BROKEN_TOGETHER only if it does)"
            );
            expected.push(other);
        }
        let outcome = audit(&policy, path);
        assert!(
            outcome.bad_inputs.is_empty(),
            "{name} has bad input:\n{}",
            human(&policy, &outcome)
        );
        for wanted in &expected {
            assert!(
                outcome.findings.iter().any(|f| f.rule == *wanted),
                "{name} should break {wanted} but does not:\n{}",
                human(&policy, &outcome)
            );
        }
        for finding in &outcome.findings {
            assert!(
                expected.contains(&finding.rule.as_str()),
                "{name} should break {} only, not {}:\n{}",
                expected.join(" and "),
                finding.rule,
                human(&policy, &outcome)
            );
        }
        insta::assert_snapshot!("fail_human", human(&policy, &outcome));
        insta::assert_snapshot!("fail_json", json(&policy, &outcome));
    });
}

#[test]
fn bad_inputs_are_located_and_exit_2() {
    let policy = default_policy();
    insta::glob!("../fixtures/bad", "*.json*", |path| {
        let outcome = audit(&policy, path);
        let name = relative(path).display().to_string();
        assert!(!outcome.bad_inputs.is_empty(), "{name} should be bad input");
        for bad in &outcome.bad_inputs {
            assert!(
                bad.line.is_some() && bad.column.is_some(),
                "{name}: unlocated bad input {bad:?}"
            );
        }
        assert_eq!(exit_code(&outcome, false), 2);
        insta::assert_snapshot!("bad_human", human(&policy, &outcome));
        insta::assert_snapshot!("bad_json", json(&policy, &outcome));
    });
}

#[test]
fn waivers() {
    let policy = default_policy();
    insta::glob!("../fixtures/waivers", "*.json*", |path| {
        let outcome = audit(&policy, path);
        insta::assert_snapshot!("waiver_human", human(&policy, &outcome));
        insta::assert_snapshot!("waiver_json", json(&policy, &outcome));
    });
}

#[test]
fn bundled_example() {
    let policy = default_policy();
    let outcome = audit(
        &policy,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example"),
    );
    assert_eq!(
        outcome.summary.ignored_files, 2,
        "notes.txt and PLANTED.md are ignored"
    );
    insta::assert_snapshot!("example_human", human(&policy, &outcome));
    insta::assert_snapshot!("example_json", json(&policy, &outcome));
}

/// The larger export (half a year, mixed types and file forms) yields exactly the violations
/// planted in it, as listed in its `PLANTED.md`.
#[test]
fn export_yields_exactly_the_planted_findings() {
    let policy = default_policy();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/export");
    let planted_text = std::fs::read_to_string(root.join("PLANTED.md")).unwrap_or_default();
    let mut planted: Vec<(String, String)> = planted_text
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| file") && !l.starts_with("| ---"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[3].to_string(), cells[2].to_string())
        })
        .collect();
    planted.sort();
    assert!(
        planted.len() >= 6,
        "PLANTED.md lists the planted violations"
    );
    let outcome = audit(&policy, &root);
    assert!(outcome.bad_inputs.is_empty());
    let mut found: Vec<(String, String)> = outcome
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                f.record.clone().or(f.period.clone()).unwrap_or_default(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(found, planted);
    assert!(outcome.summary.records > 300);
}

#[test]
fn judging_files_one_by_one_then_the_set_is_the_same_audit() {
    // The language server keeps each file's judgement and completes the set on every edit: that
    // must give exactly what one run over the same files gives.
    let policy = common::default_policy();
    let export = std::path::Path::new("fixtures/export");
    let whole = common::audit(&policy, export);
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(export).sort_by_file_name() {
        let path = entry.expect("walks").into_path();
        if bylaw::discover::format_of(&path).is_some() {
            let text = std::fs::read_to_string(&path).expect("reads");
            files.push(bylaw::audit::judge_file(
                &policy,
                path.display().to_string(),
                text,
            ));
        }
    }
    let staged = bylaw::audit::judge_files(&policy, files, &bylaw::audit::Options::default());
    let findings = |o: &bylaw::audit::Outcome| {
        let lines = bylaw::report::json::lines(o);
        lines
            .lines()
            .rev()
            .skip(1)
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(findings(&staged), findings(&whole));
    assert_eq!(staged.findings.len(), 9, "the planted findings");
}
