//! Each distinct conjunct of the rules' scopes is evaluated at most once per record, however many
//! rules' scopes share it: `kind in {plenary, executive}` starts the scopes of several rules on
//! meetings, `category is normative` and `issuer is department` of several on documents. Counted
//! by `eval::counters`, which test builds keep; the number expected is worked out here, from the
//! rules' conditions, without the ids the checker gives them.
//!
//! One test in its own binary: the counter is the process's.

use std::path::Path;
use std::rc::Rc;

use bylaw::ast::BinaryOp;
use bylaw::check::ir::{Ir, Node};
use bylaw::check::{RecordRule, RuleDef, RuleKind};
use bylaw::eval::{self, counters, Env, World};
use bylaw::time::Decoded;

#[path = "support/export.rs"]
mod export;
use export::export_records;

/// The conjuncts of `a and b and c`, however the `and`s nest.
fn conjuncts<'i>(ir: &'i Ir, into: &mut Vec<&'i Ir>) {
    match &ir.node {
        Node::Binary(BinaryOp::And, left, right) => {
            conjuncts(left, into);
            conjuncts(right, into);
        }
        _ => into.push(ir),
    }
}

#[test]
fn each_distinct_scope_condition_is_evaluated_at_most_once_per_record() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy = bylaw::check::load(&bylaw::policy_files::default_policy(), &[]).expect("policy");
    let world = World::default();
    // Read as records are read from a file.
    let records: Vec<bylaw::json::Json> = (export_records(root).iter())
        .map(|r| bylaw::records::read_value(&r.to_string()).expect("JSON").0)
        .collect();
    assert!(records.len() > 300, "{} records", records.len());
    let (mut expected_total, mut without_sharing) = (0, 0);
    for record in &records {
        let name = record["type"].as_str().expect("a type");
        let shape = *policy.records.get(name).expect("a record type");
        // The rules whose scopes are judged as the record is read (not those that need the set).
        let rules: Vec<(&RuleDef, &RecordRule)> = (policy.rules.iter())
            .filter_map(|r| match &r.kind {
                RuleKind::Record(body) if body.record == shape && !body.scope_needs_context => {
                    Some((r, body))
                }
                _ => None,
            })
            .collect();

        // The distinct conjuncts the rules' scopes reach on this record: each in order, up to
        // the first that does not hold, evaluated alone here.
        let mut reached: Vec<&Ir> = Vec::new();
        for (rule, body) in &rules {
            let mut parts = Vec::new();
            if let Some(condition) = &body.condition {
                conjuncts(condition, &mut parts);
            }
            for part in parts {
                without_sharing += 1;
                if !reached.contains(&part) {
                    reached.push(part);
                }
                let mut env = Env::new(&policy, record, Rc::default(), rule.slots, &world);
                if !eval::eval(&mut env, part).expect("evaluates").truthy() {
                    break;
                }
            }
        }
        expected_total += reached.len();

        // The rules' scopes on the record, with one store and one memo of its scope conditions
        // for the record, as the audit keeps.
        let decoded = Rc::new(Decoded::default());
        let conditions = eval::ScopeConditions::default();
        let before = counters::conditions_evaluated();
        for (rule, body) in &rules {
            let record = (record, &decoded, &conditions);
            eval::scope(&policy, rule, body, record, &world).expect("evaluates");
        }
        assert_eq!(
            counters::conditions_evaluated() - before,
            reached.len(),
            "scope conditions evaluated for record {}",
            record["id"]
        );
    }
    // The rules share conditions enough for it to matter.
    assert!(
        expected_total * 3 < without_sharing * 2,
        "{expected_total} evaluated, {without_sharing} without sharing"
    );
}
