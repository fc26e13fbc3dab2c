//! The integrity checks a policy gets without declaring them (set.1–set.4): `bylaw rules` lists
//! them, marked as built in, and `bylaw explain` explains them.

#[path = "support/run.rs"]
mod run;

use std::path::{Path, PathBuf};

use run::{bylaw_in, stderr, stdout};

/// A policy that declares none of the rules about the record set.
const REPLIES: &str = include_str!("support/replies-no-set-rules.bylaw");

/// A fresh folder holding `replies.bylaw`.
fn policy_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("builtin_rules")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    std::fs::write(dir.join("replies.bylaw"), REPLIES).expect("the policy is written");
    dir
}

#[test]
fn rules_lists_the_built_in_checks_marked_as_such() {
    let dir = policy_dir("list");
    let out = bylaw_in(&dir, &["rules", "--policy", "replies.bylaw"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "1.1     warning  art. 1      a reply answers a letter\n\
         set.1   error    built in    every record id is unique\n\
         set.2   error    built in    every reference names a record of the set, of the right type\n\
         set.3   error    built in    every record keeps the records contract\n\
         set.4   error    built in    a waiver names an existing rule, gives a reason, and has not run out\n"
    );
    let out = bylaw_in(
        &dir,
        &["rules", "--policy", "replies.bylaw", "--format", "json"],
    );
    let rules: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let shown: Vec<(&str, bool)> = rules
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| (r["id"].as_str().unwrap_or(""), r["built_in"] == true))
        .collect();
    assert_eq!(
        shown,
        [
            ("1.1", false),
            ("set.1", true),
            ("set.2", true),
            ("set.3", true),
            ("set.4", true)
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_bundled_policy_declares_its_set_rules() {
    let out = bylaw_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["rules", "--format", "json"],
    );
    let rules: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let rules = rules.as_array().expect("an array");
    assert!(rules.iter().all(|r| r["built_in"] == false));
    assert!(rules.iter().any(|r| r["id"] == "set.1"));
}

#[test]
fn explain_explains_a_built_in_check_and_how_to_declare_it() {
    let dir = policy_dir("explain");
    let out = bylaw_in(&dir, &["explain", "set.1", "--policy", "replies.bylaw"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.starts_with("set.1 (error) — every record id is unique\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "built in: the policy does not declare this rule, and bylaw checks it all the same"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "rule set.1 error {\n    title \"every record id is unique\"\n    builtin unique_ids\n}\n"
        ),
        "{text}"
    );
    assert!(!text.contains("as written in"), "{text}");
    // A mistyped id is told the nearest one, built in or not.
    let out = bylaw_in(&dir, &["explain", "set.9", "--policy", "replies.bylaw"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `set.1`?"));
    let _ = std::fs::remove_dir_all(&dir);
}
