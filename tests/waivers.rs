//! Waivers of period findings, given in a waivers file (`--waivers`, `waivers` in bylaw.toml):
//! the real binary waives a period finding, reports broken and unused waivers at their place in
//! the file, and refuses a file that is not a waivers file; a waiver repeated in a record is unused.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value as Json;

#[path = "support/run.rs"]
mod run;
use run::{bylaw_in, stderr, stdout};

/// A month with no regular executive meeting: one 38.3 finding, for 2011-11.
const RECORDS: &str = "fixtures/fail/38.3/no-regular-executive-meeting-in-month.json";

/// A fresh folder holding the records as `records.json` and `waivers` as `waivers.json`.
fn folder(test: &str, waivers: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("waivers")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let records = Path::new(env!("CARGO_MANIFEST_DIR")).join(RECORDS);
    std::fs::copy(records, dir.join("records.json")).expect("a copy of the records");
    std::fs::write(dir.join("waivers.json"), waivers).expect("the waivers file");
    dir
}

fn report(o: &Output) -> Json {
    serde_json::from_str(&stdout(o)).expect("a JSON report")
}

/// (rule, period or file:line, waived) of each finding.
fn findings(report: &Json) -> Vec<(String, String, bool)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let at = match (&f["period"], &f["file"]) {
                (Json::String(p), _) => p.clone(),
                (_, Json::String(file)) => format!("{file}:{}", f["line"]),
                _ => String::new(),
            };
            let rule = f["rule"].as_str().unwrap_or_default().to_string();
            (rule, at, f["waived"] == Json::Bool(true))
        })
        .collect()
}

const GOOD: &str = r#"[
  {"rule": "38.3", "period": "2011-11", "reason": "the mayor was abroad all month",
   "approved_by": {"id": "P-001", "name": "李强", "role": "mayor"}, "until": "2011-12-31"}
]
"#;

#[test]
fn a_waiver_in_the_file_waives_its_period_finding() {
    let dir = folder("good", GOOD);
    let without = bylaw_in(&dir, &["check", "records.json", "--format", "json"]);
    assert_eq!(
        findings(&report(&without)),
        [("38.3".into(), "2011-11".into(), false)]
    );
    // The waivers file is not read as records when the folder is checked.
    for paths in [&["records.json"][..], &["."]] {
        let mut args = vec!["check", "--format", "json", "--waivers", "waivers.json"];
        args.extend(paths);
        let with = bylaw_in(&dir, &args);
        assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
        let report = report(&with);
        assert_eq!(findings(&report), [("38.3".into(), "2011-11".into(), true)]);
        assert_eq!(report["summary"]["waived"], 1);
        assert_eq!(report["summary"]["records"], 7, "{paths:?}");
    }
    let human = bylaw_in(
        &dir,
        &["check", "records.json", "--waivers", "waivers.json"],
    );
    assert!(stdout(&human).contains("(waived) 0 regular executive meetings in 2011-11"));
}

#[test]
fn bylaw_toml_names_the_waivers_file_relative_to_itself() {
    let dir = folder("config", "");
    std::fs::create_dir_all(dir.join("cfg")).expect("a folder");
    std::fs::write(dir.join("cfg/waivers.json"), GOOD).expect("the waivers file");
    std::fs::write(
        dir.join("bylaw.toml"),
        "waivers = \"cfg/waivers.json\"\npaths = [\"records.json\"]\n",
    )
    .expect("the config");
    let out = bylaw_in(&dir, &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        findings(&report(&out)),
        [("38.3".into(), "2011-11".into(), true)]
    );
    // A `--waivers` on the command line wins.
    std::fs::write(dir.join("none.json"), "[]").expect("an empty waivers file");
    let out = bylaw_in(
        &dir,
        &["check", "--format", "json", "--waivers", "none.json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning only: {}",
        stderr(&out)
    );
    assert_eq!(
        findings(&report(&out)),
        [("38.3".into(), "2011-11".into(), false)]
    );
}

#[test]
fn broken_and_unused_waivers_are_findings_located_in_the_file() {
    let waivers = r#"[
  {"rule": "38.3", "period": "2011-11", "reason": "the mayor was abroad", "until": "2011-11-15"},
  {"rule": "38.3", "period": "2011-10", "reason": "a month without a finding"},
  {"rule": "38.3", "period": "2011-11-01", "reason": "a day is not a month"},
  {"rule": "38.1", "period": "2011-11", "reason": "38.1 judges meetings"},
  {"rule": "99.9", "period": "2011-11", "reason": "no such rule"},
  {"rule": "38.3", "period": "2011-11", "reason": "  "}
]
"#;
    let dir = folder("broken", waivers);
    let json = bylaw_in(
        &dir,
        &[
            "check",
            "records.json",
            "--waivers",
            "waivers.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(json.status.code(), Some(1));
    assert_eq!(
        findings(&report(&json)),
        [
            ("set.4".into(), "waivers.json:2".into(), false),
            ("set.5".into(), "waivers.json:3".into(), false),
            ("set.4".into(), "waivers.json:4".into(), false),
            ("set.4".into(), "waivers.json:5".into(), false),
            ("set.4".into(), "waivers.json:6".into(), false),
            ("set.4".into(), "waivers.json:7".into(), false),
            ("38.3".into(), "2011-11".into(), false),
        ]
    );
    let human = bylaw_in(
        &dir,
        &[
            "check",
            "records.json",
            "--waivers",
            "waivers.json",
            "--color",
            "never",
            "--group-by",
            "rule",
        ],
    );
    insta::assert_snapshot!("broken_and_unused", stdout(&human));
}

#[test]
fn a_file_that_is_not_a_waivers_file_is_refused_with_its_place() {
    let mut shown = String::new();
    for (test, text) in [
        ("not-json", "[{\"rule\": \"38.3\",}]"),
        (
            "not-an-array",
            "{\"rule\": \"38.3\", \"period\": \"2011-11\"}",
        ),
        (
            "misspelt",
            "[{\"rule\": \"38.3\", \"perod\": \"2011-11\", \"reason\": \"r\"}]",
        ),
        ("no-period", "[{\"rule\": \"38.3\", \"reason\": \"r\"}]"),
        (
            "twice",
            "[{\"rule\": \"38.3\", \"rule\": \"38.1\", \"period\": \"2011-11\"}]",
        ),
        (
            "every-fault-at-once",
            "[{\"rule\": \"38.3\", \"period\": \"2011-11\", \"until\": \"soon\"},\n 7,\n \
             {\"rule\": 38.1, \"period\": \"2011-12\"}]",
        ),
    ] {
        let dir = folder(test, text);
        let out = bylaw_in(
            &dir,
            &[
                "check",
                "records.json",
                "--waivers",
                "waivers.json",
                "--color",
                "never",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{test}");
        assert!(stdout(&out).is_empty(), "{test}: nothing is checked");
        shown.push_str(&format!("── {test}\n{}", stderr(&out)));
    }
    let dir = folder("missing", "[]");
    let out = bylaw_in(
        &dir,
        &["check", "records.json", "--waivers", "no-such.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read the waivers file `no-such.json`"),
        "{}",
        stderr(&out)
    );
    insta::assert_snapshot!("refused", shown);
}

/// A record that repeats the waiver which waives its finding: the first waives it, the repeat is
/// reported as unused (set.5) at its own place; two records sharing an id (set.1) each keep
/// their own waiver, neither a repeat of the other.
#[test]
fn a_waiver_repeated_in_its_record_is_unused_but_not_across_records() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(root.join("fixtures/waivers/one-of-two-findings-waived.json"))
            .expect("the fixture");
    // The fixture's one waiver, written again after it.
    let from = text.find("\n    {\n      \"rule\"").expect("a waiver") + 1;
    let to = text.rfind("\n  ]").expect("the end of the waivers");
    let waiver = &text[from..to];
    let repeated = text.replacen(
        &format!("{waiver}\n  ]"),
        &format!("{waiver},\n{waiver}\n  ]"),
        1,
    );
    let dir = folder("repeated-in-record", "[]");
    std::fs::write(dir.join("records.json"), &repeated).expect("the record");
    let out = bylaw_in(&dir, &["check", "records.json", "--format", "json"]);
    let found = report(&out);
    let second = repeated[..repeated.rfind("\"rule\": \"51.1\"").expect("the repeat")]
        .lines()
        .count()
        - 1;
    let unused: Vec<_> = found["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "set.5")
        .map(|f| (f["message"].as_str().unwrap_or_default(), f["line"].clone()))
        .collect();
    assert_eq!(
        unused,
        [(
            "unused waiver: it repeats waiver 0, which already waives 51.1 on this record",
            Json::from(second)
        )],
        "{found:#}"
    );
    assert!(findings(&found).contains(&("51.1".into(), "records.json:11".into(), true)));

    // The same record twice, once per line: set.1, both 51.1 waived, no repeat.
    let once: Json = serde_json::from_str(&text).expect("a record");
    let line = serde_json::to_string(&once).expect("a line");
    std::fs::write(dir.join("records.jsonl"), format!("{line}\n{line}\n")).expect("the records");
    let out = bylaw_in(&dir, &["check", "records.jsonl", "--format", "json"]);
    let rules: Vec<(String, bool)> = findings(&report(&out))
        .into_iter()
        .map(|(rule, _, waived)| (rule, waived))
        .collect();
    assert!(!rules.iter().any(|(rule, _)| rule == "set.5"), "{rules:?}");
    assert_eq!(
        rules
            .iter()
            .filter(|r| *r == &("51.1".to_string(), true))
            .count(),
        2
    );
}
