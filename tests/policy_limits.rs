//! Hostile policies: deep nesting is parsed in linear time up to the limits and refused past them
//! with a located error, never a stack overflow. No test here is timed: an exponential parse of 60
//! nested parentheses would simply never finish.

use std::sync::Arc;

use bylaw::check::RuleKind;
use bylaw::diagnostic::Diagnostic;
use bylaw::eval::{judge_record, World};
use bylaw::source::SourceFile;

fn load(rules: &str) -> Result<bylaw::check::Policy, Vec<Diagnostic>> {
    let mut files: Vec<Arc<SourceFile>> = bylaw::policy_files::default_policy();
    files.push(SourceFile::new("hostile.bylaw", rules));
    bylaw::check::load(&files, &[])
}

fn rule_requiring(condition: &str) -> String {
    format!("rule 38.97 error {{\n  title \"hostile\"\n  on meeting\n  require {condition}\n}}\n")
}

/// The one error, which must be located in the hostile file at `expected` (a byte offset).
fn refused_at(rules: &str, code: &str) -> Diagnostic {
    let Err(errors) = load(rules) else {
        panic!("should be refused")
    };
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = errors.into_iter().next().expect("one error");
    assert_eq!(e.code, code, "{e:?}");
    assert_eq!(e.source.as_ref().map(|s| &*s.name), Some("hostile.bylaw"));
    assert!(!e.labels.is_empty(), "{e:?}");
    e
}

#[test]
fn sixty_nested_parentheses_parse() {
    let nested = format!("{}chair exists{}", "(".repeat(60), ")".repeat(60));
    assert!(bylaw::syntax::parse_expr(&nested).is_ok());
    load(&rule_requiring(&nested)).expect("loads");
    // The same nesting with a mistake at the bottom fails, also without exponential work.
    let broken = format!("{}chair exists{}", "(".repeat(60), ")".repeat(59));
    assert!(load(&rule_requiring(&broken)).is_err());
    let calls = format!("{}chair exists{}", "not (".repeat(60), ")".repeat(60));
    load(&rule_requiring(&calls)).expect("loads");
    let fields = format!(
        "{}first(m in members: m is mayor){}",
        "(".repeat(60),
        ").name".repeat(60)
    );
    assert!(bylaw::syntax::parse_expr(&fields).is_ok());
}

#[test]
fn a_hundred_thousand_nested_parentheses_are_refused_at_the_first_too_deep() {
    let nested = format!("{}chair exists{}", "(".repeat(100_000), ")".repeat(100_000));
    let rules = rule_requiring(&nested);
    let e = refused_at(&rules, "policy::too-deep");
    let at = e.primary_span().expect("a primary label");
    // Article 38's rule braces are not here: the rule's `{` is level 1, so the 100th `(` is 101.
    let first = rules.find('(').expect("a parenthesis");
    assert_eq!(at.start, first + 99, "{e:?}");
    // Square brackets of types and braces of sets count too.
    let types = format!(
        "record deep {{ x: {}int{} }}",
        "[".repeat(500),
        "]".repeat(500)
    );
    refused_at(&types, "policy::too-deep");
}

#[test]
fn ten_thousand_chained_nots_are_refused() {
    let e = refused_at(
        &rule_requiring(&format!("{}chair exists", "not ".repeat(10_000))),
        "policy::too-deep",
    );
    assert!(e.message.contains("100 levels"), "{}", e.message);
    for chain in [
        vec!["chair exists"; 10_000].join(" or "),
        format!("count(members){}", " + 1".repeat(10_000)),
        format!("{} > 0", "-".repeat(10_000) + "1"),
        format!("chair is mayor{}", " if chair is mayor".repeat(10_000)),
        format!("chair is mayor{}", " in charge of topic".repeat(10_000)),
        format!("chair.name{}", " exists".repeat(10_000)),
    ] {
        refused_at(&rule_requiring(&chain), "policy::too-deep");
    }
}

#[test]
fn defines_are_refused_when_their_expansion_is_too_deep() {
    let mut rules = format!("define d0 on meeting = {}chair exists\n", "not ".repeat(90));
    for i in 1..30 {
        rules.push_str(&format!(
            "define d{i} on meeting = {}d{}\n",
            "not ".repeat(90),
            i - 1
        ));
    }
    rules.push_str(&rule_requiring("d29"));
    let Err(errors) = load(&rules) else {
        panic!("should be refused")
    };
    assert!(errors
        .iter()
        .all(|e| e.code == "policy::too-deep" && e.source.is_some() && !e.labels.is_empty()));
}

#[test]
fn an_expression_at_the_limit_is_judged_on_a_test_thread() {
    // Test threads have a small stack: the deepest expression allowed must still be evaluated.
    let condition = format!("{}chair exists", "not not ".repeat(49));
    let policy = load(&rule_requiring(&condition)).expect("loads");
    let rule = policy.rule("38.97").expect("the rule");
    let RuleKind::Record(body) = &rule.kind else {
        panic!("a record rule")
    };
    let meeting = bylaw::json::Json::from(
        serde_json::json!({"type": "meeting", "id": "M", "kind": "executive",
        "start": "2011-07-11T09:00:00+08:00", "chair": {"id": "P-001", "role": "mayor"}}),
    );
    let world = World::default();
    let findings = judge_record(&policy, rule, body, &meeting, &world).expect("judged");
    assert!(findings.is_empty());
}
