//! A rule that reads through a reference naming no record is not judged: set.2 reports the
//! reference, and no other rule's finding shows the value that is not there ("decided at a —
//! meeting"), as catalogue 1.1 says of 16.1.

use std::sync::Arc;

use bylaw::source::SourceFile;

/// The bundled policy and a rule that reads through `decided_at` without asking first whether
/// it names a meeting, as a new author would write it.
fn policy() -> bylaw::check::Policy {
    let mut files: Vec<Arc<SourceFile>> = bylaw::policy_files::default_policy();
    files.push(SourceFile::new(
        "unguarded.bylaw",
        r#"
rule set.90 error {
  title "a major decision is taken at a plenary or executive meeting"
  on document where major_decision
  require decided_at.kind in {plenary, executive}
    else "decided at a {decided_at.kind} meeting, held on {date(decided_at.start)}"
}
"#,
    ));
    bylaw::check::load(&files, &[]).unwrap_or_else(|e| panic!("{e:#?}"))
}

/// (rule, message) of every finding of the fixture, audited alone.
fn findings(policy: &bylaw::check::Policy, fixture: &str) -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
    let text = std::fs::read_to_string(&path).expect("the fixture");
    let outcome = bylaw::audit::run_in_memory(policy, vec![(fixture.to_string(), text)]);
    assert!(outcome.bad_inputs.is_empty(), "{:#?}", outcome.bad_inputs);
    outcome
        .findings
        .into_iter()
        .map(|f| (f.rule, f.message))
        .collect()
}

#[test]
fn a_reference_naming_no_record_is_reported_by_set_2_alone() {
    let policy = policy();
    // `decided_at` names `EXEC-2011-041`, which no record of the set is.
    let found = findings(
        &policy,
        "fixtures/fail/set.2/major-decision-decided-at-no-record.json",
    );
    assert!(found.iter().any(|(rule, _)| rule == "set.2"), "{found:#?}");
    assert!(
        found
            .iter()
            .all(|(rule, m)| rule != "set.90" && !m.contains('—')),
        "{found:#?}"
    );
}

#[test]
fn a_reference_naming_a_record_is_read_through_and_judged() {
    let policy = policy();
    let found = findings(
        &policy,
        "fixtures/fail/16.1/decided-at-mayor-office-meeting.json",
    );
    let ours: Vec<&str> = found
        .iter()
        .filter(|(rule, _)| rule == "set.90")
        .map(|(_, m)| m.as_str())
        .collect();
    insta::assert_snapshot!(ours.join("\n"));
}
