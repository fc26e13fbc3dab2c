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

#[path = "support/export.rs"]
mod export;
use export::export_records;

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
        let outcome = audit::run(&policy, &options, audit::Stdin::empty);
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
