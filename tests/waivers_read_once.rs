//! A record that carries many waivers is read again once to locate every finding about them,
//! not once per finding: a record with thousands of repeated or broken waivers took seconds,
//! then minutes. Counted by `eval::counters`, which test builds keep.
//!
//! One test in its own binary: the counter is the process's.

use std::path::Path;

use bylaw::audit::{self, Options};
use bylaw::eval::counters;

mod common;

#[test]
fn a_record_is_read_again_once_for_all_its_waivers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = root.join("fixtures/waivers/one-of-two-findings-waived.json");
    let text = std::fs::read_to_string(fixture).expect("the fixture");
    let mut record: serde_json::Value = serde_json::from_str(&text).expect("a record");
    let waiver = record["waivers"][0].clone();
    let mut broken = waiver.clone();
    broken["reason"] = "".into();
    // The fixture's waiver, then 30 repeats of it (set.5) and 20 without a reason (set.4).
    let mut waivers = vec![waiver.clone()];
    waivers.extend(std::iter::repeat_n(waiver, 30));
    waivers.extend(std::iter::repeat_n(broken, 20));
    record["waivers"] = waivers.into();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("record.json");
    let pretty = serde_json::to_string_pretty(&record).expect("a record");
    std::fs::write(&path, &pretty).expect("the record");

    let policy = common::default_policy();
    let options = Options {
        paths: vec![path],
        ..Options::default()
    };
    let before = counters::records_read_for_waivers();
    let outcome = audit::run(&policy, &options, audit::Stdin::empty);
    let read = counters::records_read_for_waivers() - before;

    // Each finding at its own waiver: the line of its `{`, or of the reason it lacks.
    let lines = |rule: &str| -> Vec<usize> {
        (outcome.findings.iter())
            .filter(|f| f.rule == rule)
            .map(|f| f.line.expect("a line"))
            .collect()
    };
    let waivers_at = (pretty.lines()).position(|l| l == "  \"waivers\": [");
    let waivers_at = waivers_at.expect("the waivers");
    let opening: Vec<usize> = (pretty.lines().enumerate().skip(waivers_at))
        .filter(|(_, l)| *l == "    {")
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(opening.len(), 51, "one `{{` per waiver");
    assert_eq!(
        lines("set.5"),
        opening[1..31],
        "each repeat at its own place"
    );
    let reasons: Vec<usize> = (pretty.lines().enumerate())
        .filter(|(_, l)| l.trim() == "\"reason\": \"\",")
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        lines("set.4"),
        reasons,
        "each reason missing at its own place"
    );
    assert_eq!(reasons.len(), 20);
    // Once for the broken waivers (set.4), once for the unused ones (set.5).
    if cfg!(debug_assertions) {
        assert_eq!(read, 2, "the record read again once per kind of finding");
    }
}
