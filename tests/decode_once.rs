//! A date or datetime of a record is decoded once per record, however many rules read it:
//! validation decodes each date it checks and keeps it in the record's store, which every rule on
//! the record, the periodic counts and the event dates then read; a record read again for the
//! rules that wait for the whole set has its own store, filled as those rules read it. Counted
//! by `eval::counters`, which test builds keep.
//!
//! One test in its own binary: the counters are the process's.

use std::path::Path;

use bylaw::audit;
use bylaw::check::{Policy, ShapeId, Ty};
use bylaw::eval::counters;
use serde_json::Value as Json;

#[path = "support/export.rs"]
mod export;
use export::export_records;

/// The dates and datetimes of a value of type `ty`, as the records contract types them.
fn temporal_nodes(policy: &Policy, ty: &Ty, value: &Json) -> usize {
    match (ty, value) {
        (Ty::Date | Ty::DateTime, Json::String(_)) => 1,
        (Ty::Shape(shape), Json::Object(_)) => object_nodes(policy, *shape, value),
        (Ty::Array(inner), Json::Array(items)) => {
            items.iter().map(|i| temporal_nodes(policy, inner, i)).sum()
        }
        _ => 0,
    }
}

fn object_nodes(policy: &Policy, shape: ShapeId, value: &Json) -> usize {
    let shape = &policy.shapes[shape];
    (shape.fields.iter())
        .filter_map(|f| Some((f, value.get(&f.name)?)))
        .map(|(f, v)| temporal_nodes(policy, &f.ty, v))
        .sum()
}

/// Runs the audit of the export; the dates parsed and the nodes of records decoded meanwhile.
fn audit_export(policy: &Policy, root: &Path, trace: bool, records: usize) -> (usize, usize) {
    let options = audit::Options {
        paths: vec![root.join("fixtures/export")],
        trace,
        ..audit::Options::default()
    };
    let (parsed, nodes) = (counters::dates_parsed(), counters::nodes_decoded());
    let outcome = audit::run(policy, &options, audit::Stdin::empty);
    let counted = (
        counters::dates_parsed() - parsed,
        counters::nodes_decoded() - nodes,
    );
    assert!(outcome.bad_inputs.is_empty(), "{:#?}", outcome.bad_inputs);
    assert_eq!(outcome.summary.records, records);
    assert!(!outcome.findings.is_empty());
    counted
}

#[test]
fn each_date_is_decoded_once_per_record() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy = bylaw::check::load(&bylaw::policy_files::default_policy(), &[]).expect("policy");
    let records = export_records(root);
    // What validation decodes: every date and datetime the contract types, of every record.
    let typed: usize = (records.iter())
        .map(|r| {
            let name = r["type"].as_str().expect("a type");
            object_nodes(
                &policy,
                *policy.records.get(name).expect("a record type"),
                r,
            )
        })
        .sum();
    assert!(
        records.len() > 300 && typed > 1000,
        "{typed} dates in {} records",
        records.len()
    );
    // Without the rules that wait for the set, every record is judged as it is read: its dates
    // are the ones validation decoded, each once, and no rule, count or event date parses one.
    let mut as_read = policy.clone();
    as_read.rules.retain(|r| !r.needs_context);
    assert!(as_read.rules.len() < policy.rules.len());
    for trace in [false, true] {
        let (parsed, nodes) = audit_export(&as_read, root, trace, records.len());
        assert_eq!(
            (parsed, nodes),
            (typed, typed),
            "dates parsed and nodes decoded, with trace = {trace}"
        );
    }
    // With them, a record they judge is read again and decodes what they read, once, in its own
    // store: more nodes, each still parsed once.
    for trace in [false, true] {
        let (parsed, nodes) = audit_export(&policy, root, trace, records.len());
        assert_eq!(
            parsed, nodes,
            "dates parsed and nodes decoded, with trace = {trace}"
        );
        assert!(
            typed < nodes && nodes < 2 * typed,
            "{nodes} nodes decoded, {typed} typed, with trace = {trace}"
        );
    }
}
