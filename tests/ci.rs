//! The real binary in a CI pipeline: fingerprints that name a finding across runs, and baselines
//! that fail a run only on what is new.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value as Json;

#[path = "support/run.rs"]
mod run;
use run::{bylaw_in, stderr, stdout};

fn json(o: &Output) -> Json {
    serde_json::from_str(&stdout(o)).expect("a JSON report")
}

/// A fresh folder of this test's own, holding a copy of the bundled example's two record files.
fn example_copy(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ci").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example");
    for name in ["meetings-2011-q3.json", "meetings.jsonl"] {
        std::fs::copy(example.join(name), dir.join(name)).expect("a copy of the example");
    }
    dir
}

/// The example's array of meetings.
fn meetings(dir: &Path) -> Vec<Json> {
    let text = std::fs::read_to_string(dir.join("meetings-2011-q3.json")).expect("the example");
    match serde_json::from_str(&text) {
        Ok(Json::Array(records)) => records,
        other => panic!("the example is an array of records: {other:?}"),
    }
}

fn write(dir: &Path, name: &str, text: String) {
    std::fs::write(dir.join(name), text).expect("a record file");
}

/// Each finding's fingerprint under what it is about: (rule, record, pointer, period).
fn fingerprints(report: &Json) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in report["findings"].as_array().expect("findings") {
        let about = format!(
            "{} {} {} {}",
            f["rule"], f["record"], f["pointer"], f["period"]
        );
        let print = f["fingerprint"]
            .as_str()
            .expect("a fingerprint")
            .to_string();
        assert_eq!(print.len(), 32, "{print}");
        assert!(out.insert(about.clone(), print).is_none(), "{about} twice");
    }
    out
}

#[test]
fn the_report_as_its_own_baseline_exits_0_with_nothing_new() {
    let dir = example_copy("own-baseline");
    // The pipeline's way: the report is written among the records, and neither run reads it as one.
    let first = bylaw_in(&dir, &["check", ".", "--format", "json", "-o", "base.json"]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    let again = bylaw_in(
        &dir,
        &["check", ".", "--format", "json", "--baseline", "base.json"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let report = json(&again);
    assert_eq!(report["summary"]["new"], 0);
    assert_eq!(report["summary"]["fixed"], 0);
    assert_eq!(
        report["summary"]["errors"], 5,
        "known findings are still counted"
    );
    assert_eq!(
        report["summary"]["bad_inputs"], 0,
        "the baseline is no record"
    );
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 8);
    assert!(findings.iter().all(|f| f["new"] == false));
    // Known warnings do not fail the run under --deny-warnings either.
    let denied = bylaw_in(
        &dir,
        &["check", ".", "--baseline", "base.json", "--deny-warnings"],
    );
    assert_eq!(denied.status.code(), Some(0), "{}", stdout(&denied));
    // Without a baseline, no finding says whether it is new.
    let plain = json(&bylaw_in(&dir, &["check", ".", "--format", "json"]));
    assert!(plain["summary"].get("new").is_none());
    assert!(plain["findings"][0].get("new").is_none());
}

/// The example with one more violation: a copy of the plenary meeting PLN-2011-02, whose members
/// include someone who is no member of the city government (37.3), under a new id.
fn add_one_violation(dir: &Path) {
    let mut records = meetings(dir);
    let mut plenary = records
        .iter()
        .find(|r| r["id"] == "PLN-2011-02")
        .expect("the example's plenary meeting")
        .clone();
    plenary["id"] = "PLN-2011-03".into();
    records.push(plenary);
    let text = serde_json::to_string_pretty(&records).expect("JSON");
    write(dir, "meetings-2011-q3.json", text);
}

#[test]
fn one_new_violation_exits_1_with_exactly_one_new_finding() {
    let dir = example_copy("one-new");
    let base = bylaw_in(&dir, &["check", ".", "--format", "json", "-o", "base.json"]);
    assert_eq!(base.status.code(), Some(1));
    add_one_violation(&dir);
    let out = bylaw_in(
        &dir,
        &["check", ".", "--format", "json", "--baseline", "base.json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["new"], 1);
    assert_eq!(report["summary"]["fixed"], 0);
    let new: Vec<&Json> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["new"] == true)
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(
        (&new[0]["rule"], &new[0]["record"]),
        (&"37.3".into(), &"PLN-2011-03".into())
    );

    // The other way round: the violation is in the baseline and has gone, so it is fixed.
    std::fs::remove_file(dir.join("base.json")).expect("the first baseline");
    let worse = bylaw_in(
        &dir,
        &["check", ".", "--format", "json", "-o", "worse.json"],
    );
    assert_eq!(worse.status.code(), Some(1));
    let _ = std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example/meetings-2011-q3.json"),
        dir.join("meetings-2011-q3.json"),
    );
    let out = bylaw_in(
        &dir,
        &[
            "check",
            ".",
            "--format",
            "jsonl",
            "--baseline",
            "worse.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let last: Json = serde_json::from_str(text.lines().last().unwrap_or("")).expect("summary");
    assert_eq!(
        (&last["summary"]["new"], &last["summary"]["fixed"]),
        (&0.into(), &1.into())
    );
    let first: Json = serde_json::from_str(text.lines().next().unwrap_or("")).expect("a finding");
    assert_eq!(first["new"], false, "{first}");
    assert!(first["fingerprint"].is_string());
}

#[test]
fn fingerprints_survive_reindenting_inserting_and_renaming() {
    let dir = example_copy("stable");
    let report = |dir: &Path| json(&bylaw_in(dir, &["check", ".", "--format", "json"]));
    let before = fingerprints(&report(&dir));
    assert_eq!(before.len(), 8);

    // Minified: every line and column moves (and serde_json writes the keys in another order).
    let records = meetings(&dir);
    let minified = serde_json::to_string(&records).expect("JSON");
    write(&dir, "meetings-2011-q3.json", minified);
    let after = report(&dir);
    assert_eq!(fingerprints(&after), before, "re-indented");
    assert_eq!(after["findings"][0]["line"], 1, "the file was minified");

    // A compliant record inserted above the others, four-space indents, and the file renamed.
    let mut inserted = records.clone();
    let mut copy = records[0].clone();
    copy["id"] = "DEPT-2011-000".into();
    inserted.insert(0, copy);
    std::fs::remove_file(dir.join("meetings-2011-q3.json")).expect("the old name goes");
    let mut text = Vec::new();
    let indent = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut writer = serde_json::Serializer::with_formatter(&mut text, indent);
    serde::Serialize::serialize(&inserted, &mut writer).expect("JSON");
    write(
        &dir,
        "renamed.json",
        String::from_utf8(text).expect("UTF-8"),
    );
    let after = report(&dir);
    assert_eq!(after["summary"]["records"], 26, "one record more");
    assert_eq!(fingerprints(&after), before, "inserted and renamed");
}

#[test]
fn fingerprints_are_unique_within_a_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // `fixtures` as a whole holds ids used many times over (set.1): the ordinal tells them apart.
    for path in ["fixtures/example", "fixtures/export", "fixtures"] {
        let report = json(&bylaw_in(root, &["check", path, "--format", "json"]));
        let findings = report["findings"].as_array().expect("findings");
        assert!(!findings.is_empty(), "{path}");
        let unique: HashSet<&str> = findings
            .iter()
            .map(|f| f["fingerprint"].as_str().expect("a fingerprint"))
            .collect();
        assert_eq!(unique.len(), findings.len(), "{path}");
    }
}

#[test]
fn a_file_that_is_no_baseline_is_a_located_error() {
    let dir = example_copy("broken-baseline");
    let good = bylaw_in(&dir, &["check", ".", "--format", "json"]);
    let good = stdout(&good);
    let cases: [(&str, String, &str); 5] = [
        (
            "comma.json",
            "{\n  \"version\": 1,\n  \"findings\": [1,]\n}\n".into(),
            "comma.json:3:18",
        ),
        (
            "sarif.json",
            stdout(&bylaw_in(&dir, &["check", ".", "--format", "sarif"])),
            "is not a bylaw report: it has no `\"version\": 1`",
        ),
        (
            "old.json",
            good.replacen("\"fingerprint\":", "\"fingerprint_of_old\":", 1),
            "finding 0 has no `fingerprint`",
        ),
        (
            "other-policy.json",
            good.replacen("lianyungang-work-rules", "another-city", 1),
            "policy `another-city`, not",
        ),
        (
            "empty.json",
            String::new(),
            "is not JSON: EOF while parsing",
        ),
    ];
    for (name, text, expected) in cases {
        write(&dir, name, text);
        let out = bylaw_in(&dir, &["check", "meetings.jsonl", "--baseline", name]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
        assert!(
            stdout(&out).is_empty(),
            "{name}: nothing is reported as if all were new"
        );
    }
    let comma = bylaw_in(
        &dir,
        &["check", "meetings.jsonl", "--baseline", "comma.json"],
    );
    insta::assert_snapshot!("baseline_not_json", stderr(&comma));
    let missing = bylaw_in(&dir, &["check", ".", "--baseline", "no-such.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read the baseline `no-such.json`"));
}

/// The example with one new violation, against the example's own report: each format's output.
fn against_baseline(test: &str, args: &[&str]) -> String {
    let dir = example_copy(test);
    let base = bylaw_in(&dir, &["check", ".", "--format", "json", "-o", "base.json"]);
    assert_eq!(base.status.code(), Some(1));
    add_one_violation(&dir);
    let mut all = vec!["check", ".", "--baseline", "base.json"];
    all.extend(args);
    let out = bylaw_in(&dir, &all);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn human_output_leaves_known_findings_out_and_says_how_many() {
    let text = against_baseline("human", &[]);
    insta::assert_snapshot!("baseline_human", text);
    let all = against_baseline("human-all", &["--show-known"]);
    assert_eq!(all.matches("(known) ").count(), 8, "{all}");
    assert!(!all.contains("not shown"), "{all}");
}

#[test]
fn github_writes_known_findings_as_notices() {
    let text = against_baseline("github", &["--format", "github"]);
    insta::assert_snapshot!("baseline_github", text);
}

#[test]
fn junit_skips_known_findings() {
    let text = against_baseline("junit", &["--format", "junit"]);
    // The cases with a finding, each under its testcase: the one new failure, and the known
    // findings, skipped.
    let all: Vec<&str> = text.lines().collect();
    let mut lines = Vec::new();
    for (i, line) in all.iter().enumerate() {
        if line.contains("<failure") || line.contains("<skipped") {
            lines.push(all[i - 1]);
        }
        if line.contains("<failure") || line.contains("<skipped") || line.contains("fingerprint:") {
            lines.push(line);
        }
    }
    insta::assert_snapshot!("baseline_junit", lines.join("\n"));
}

#[test]
fn sarif_states_each_result_against_the_baseline() {
    let text = against_baseline("sarif", &["--format", "sarif"]);
    let doc: Json = serde_json::from_str(&text).expect("SARIF");
    let results: Vec<Json> = doc["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            serde_json::json!({
                "ruleId": r["ruleId"],
                "record": r["properties"]["record"],
                "period": r["properties"]["period"],
                "baselineState": r["baselineState"],
                "partialFingerprints": r["partialFingerprints"],
            })
        })
        .collect();
    insta::assert_json_snapshot!("baseline_sarif", results);
}
