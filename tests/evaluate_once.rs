//! A rule's scope (`on TYPE where …`) is evaluated once per record and rule, whatever the output
//! needs: the rules that judge a record as it is read, the rules that wait for the whole set (a
//! record is read again for them, its scope not evaluated again), and the JUnit report's list of
//! what each rule judged. Counted by `eval::counters`, which test builds keep.
//!
//! One test in its own binary: the counter is the process's.

use std::path::Path;

use bylaw::audit;
use bylaw::check::RuleKind;
use bylaw::eval::counters;

/// Every record of the export, one `serde_json::Value` each.
fn export_records(root: &Path) -> Vec<serde_json::Value> {
    let mut records = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("fixtures/export")) {
        let path = entry.expect("a file").into_path();
        let text = match path.extension().and_then(|e| e.to_str()) {
            Some("json" | "jsonl") => std::fs::read_to_string(&path).expect("reads"),
            _ => continue,
        };
        if path.extension().is_some_and(|e| e == "jsonl") {
            records.extend(
                text.lines()
                    .map(|l| serde_json::from_str(l).expect("a record")),
            );
        } else {
            let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            match value {
                serde_json::Value::Array(items) => records.extend(items),
                one => records.push(one),
            }
        }
    }
    records
}

#[test]
fn each_scope_is_evaluated_once_per_record_and_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy = bylaw::check::load(&bylaw::policy_files::default_policy(), &[]).expect("policy");
    // What one evaluation per record and rule comes to: each record, times the rules about one
    // record of its type.
    let rules_on = |shape| {
        (policy.rules.iter())
            .filter(|r| matches!(&r.kind, RuleKind::Record(body) if body.record == shape))
            .count()
    };
    let records = export_records(root);
    let expected: usize = (records.iter())
        .map(|r| {
            let name = r["type"].as_str().expect("a type");
            rules_on(*policy.records.get(name).expect("a record type"))
        })
        .sum();
    assert!(
        records.len() > 300 && expected > 3000,
        "{} records",
        records.len()
    );

    for trace in [false, true] {
        let options = audit::Options {
            paths: vec![root.join("fixtures/export")],
            trace,
            ..audit::Options::default()
        };
        let before = counters::scopes_evaluated();
        let outcome = audit::run(&policy, &options, || Ok(Vec::new()));
        let evaluated = counters::scopes_evaluated() - before;
        assert!(outcome.bad_inputs.is_empty(), "{:#?}", outcome.bad_inputs);
        assert_eq!(outcome.summary.records, records.len());
        assert!(!outcome.findings.is_empty());
        assert_eq!(
            evaluated,
            expected,
            "scopes evaluated with trace = {trace}, for {} records",
            records.len()
        );
    }
}
