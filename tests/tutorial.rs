//! The tutorial in `docs/tutorial/`, run on the real binary: its finished policy verifies, its
//! records give the report the tutorial shows, and its files are formatted. CI runs this, so the
//! tutorial cannot drift from what bylaw does.

use std::process::{Command, Output};

/// Runs the binary in the repository root, so paths in the output are relative to it.
fn bylaw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // The report's width is pinned: the default, whatever the shell running the tests says.
        .env_remove("COLUMNS")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_finished_policy_verifies() {
    let out = bylaw(&["verify", "--policy", "docs/tutorial/policy"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // Every rule of the tutorial has its examples, and none is skipped.
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("5 rules verified, 0 with problems"),
        "{stdout}"
    );
}

#[test]
fn the_records_give_the_report_the_tutorial_shows() {
    let out = bylaw(&[
        "check",
        "--policy",
        "docs/tutorial/policy",
        "docs/tutorial/records",
        "--color",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "nothing on standard error");
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn the_policy_is_formatted() {
    let out = bylaw(&["fmt", "--check", "docs/tutorial/policy"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "run `bylaw fmt docs/tutorial/policy`:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
