//! Counts and sums per group: the real binary audits a small purchasing policy whose rule 9.1
//! finds a purchase split to stay under the tender threshold (`count … by supplier sum amount`),
//! one finding per supplier and month, which a waivers file can waive by group.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

#[path = "support/run.rs"]
mod run;
use run::{bylaw_in, stdout};

/// A fresh folder with the policy and records of `tests/groups/`, and `waivers` as `waivers.json`.
fn folder(test: &str, waivers: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("groups")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policy")).expect("a temporary folder");
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/groups");
    for file in ["records.json", "policy/purchases.bylaw"] {
        std::fs::copy(here.join(file), dir.join(file)).expect("a copy");
    }
    std::fs::write(dir.join("waivers.json"), waivers).expect("the waivers file");
    dir
}

const PERIOD: &str = "--period=2024-10-01..2024-12-31";

/// (rule, period, group, waived, message) of each finding of a JSON report.
fn findings(dir: &Path, waivers: bool) -> Vec<(String, String, String, bool, String)> {
    let mut args = vec!["check", "--policy", "policy", PERIOD, "--format", "json"];
    if waivers {
        args.extend(["--waivers", "waivers.json"]);
    }
    args.push("records.json");
    let out = bylaw_in(dir, &args);
    let report: Json = serde_json::from_str(&stdout(&out)).expect("a JSON report");
    let text = |v: &Json| v.as_str().unwrap_or_default().to_string();
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                text(&f["rule"]),
                text(&f["period"]),
                text(&f["group"]),
                f["waived"] == Json::Bool(true),
                text(&f["message"]),
            )
        })
        .collect()
}

#[test]
fn a_split_purchase_is_found_per_supplier_and_month() {
    let dir = folder("human", "[]");
    let out = bylaw_in(
        &dir,
        &["check", "--policy", "policy", PERIOD, "records.json"],
    );
    // B-8 has no amount: rule 9.2 cannot total S-3's quarter, which is bad input (exit 2).
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(stdout(&out));
    // Two suppliers in one month are two findings, each with its own fingerprint.
    let json = bylaw_in(
        &dir,
        &[
            "check",
            "--policy",
            "policy",
            PERIOD,
            "--format",
            "json",
            "records.json",
        ],
    );
    let report: Json = serde_json::from_str(&stdout(&json)).expect("a JSON report");
    let prints: Vec<&str> = (report["findings"].as_array().expect("findings").iter())
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    assert_eq!(prints.len(), 3);
    assert_ne!(prints[0], prints[1]);
    let formatted = bylaw_in(&dir, &["fmt", "--check", "policy"]);
    assert_eq!(formatted.status.code(), Some(0), "the policy is formatted");
}

#[test]
fn a_waiver_names_its_group_or_waives_every_group_of_its_period() {
    let waiver = |group: &str| {
        format!(
            r#"{{"rule": "9.1", "period": "2024-10", {group}"reason": "one framework contract"}}"#
        )
    };
    let dir = folder(
        "one-group",
        &format!(
            "[{}, {}]",
            waiver(r#""group": "S-7", "#),
            waiver(r#""group": "S-7", "#)
        ),
    );
    let found = findings(&dir, true);
    let s7 = |waived| {
        (
            "9.1".to_string(),
            "2024-10".to_string(),
            "S-7".to_string(),
            waived,
            "2 purchases from S-7 in 2024-10 total 58000.5; expected at most 50000".to_string(),
        )
    };
    assert!(found.contains(&s7(true)), "{found:#?}");
    assert!(found.iter().any(|f| f.2 == "S-9" && !f.3), "{found:#?}");
    // The second, identical waiver waives nothing more: set.5 says so.
    let unused: Vec<&String> = (found.iter())
        .filter(|f| f.0 == "set.5")
        .map(|f| &f.4)
        .collect();
    assert_eq!(
        unused,
        ["unused waiver: it repeats waiver 0, which already waives 9.1 in 2024-10 for S-7"]
    );

    let dir = folder("every-group", &format!("[{}]", waiver("")));
    let found = findings(&dir, true);
    let waived: Vec<(&str, bool)> = (found.iter())
        .filter(|f| f.0 == "9.1")
        .map(|f| (f.2.as_str(), f.3))
        .collect();
    assert_eq!(waived, [("S-7", true), ("S-9", true)]);
    assert!(found.iter().all(|f| f.0.starts_with("9.")), "{found:#?}");

    let dir = folder(
        "no-such-group",
        &format!("[{}]", waiver(r#""group": "S-1", "#)),
    );
    let found = findings(&dir, true);
    assert!(
        found.iter().any(|f| f.0 == "set.5"
            && f.4 == "unused waiver: there is no finding of 9.1 in 2024-10 for S-1 to waive"),
        "{found:#?}"
    );
}

/// What a CI user sees of a group in the machine formats: the JSON report's `group`, SARIF's
/// result properties and message, JUnit's case named "RULE PERIOD GROUP"; a group waived in the
/// waivers file is a SARIF suppression kept outside the analysed files and a skipped JUnit case.
#[test]
fn a_group_is_named_in_json_sarif_and_junit() {
    let dir = folder(
        "formats",
        r#"[{"rule": "9.1", "period": "2024-10", "group": "S-7", "reason": "one framework contract"}]"#,
    );
    let run = |format: &str| {
        let args = [
            "check",
            "--policy",
            "policy",
            PERIOD,
            "--waivers",
            "waivers.json",
            "--format",
            format,
            "records.json",
        ];
        let out = bylaw_in(&dir, &args);
        assert_eq!(out.status.code(), Some(2), "B-8 is bad input");
        stdout(&out)
    };
    let grouped = |findings: &Json| -> Vec<Json> {
        (findings.as_array().expect("a list").iter())
            .filter(|f| !f["group"].is_null() || !f["properties"]["group"].is_null())
            .cloned()
            .collect()
    };

    let report: Json = serde_json::from_str(&run("json")).expect("a JSON report");
    let json = grouped(&report["findings"]);
    assert_eq!(json.len(), 3);
    assert_eq!(
        (&json[0]["group"], &json[0]["waived"]),
        (&"S-7".into(), &true.into())
    );
    insta::assert_json_snapshot!("grouped_json", json);

    let sarif: Json = serde_json::from_str(&run("sarif")).expect("a SARIF log");
    let results = grouped(&sarif["runs"][0]["results"]);
    assert_eq!(results.len(), 3);
    assert_eq!(results[1]["properties"]["group"], "S-9");
    insta::assert_json_snapshot!("grouped_sarif", results);

    // The suite of article 9, whose cases are named for rule, period and group.
    let junit = run("junit");
    let suite: Vec<&str> = (junit.lines())
        .skip_while(|l| !l.contains(r#"<testsuite name="article 9"#))
        .take_while(|l| !l.contains("</testsuite>"))
        .collect();
    assert!(
        suite.contains(&r#"    <testcase classname="the period" name="9.1 2024-10 S-9">"#),
        "{junit}"
    );
    insta::assert_snapshot!("grouped_junit", suite.join("\n"));
}
