//! The policy language in small: expressions that parse, and rules evaluated on inline records.

use std::sync::Arc;

use bylaw::check::{Policy, RuleKind};
use bylaw::eval::{judge_record, World};
use bylaw::source::SourceFile;

fn policy_with(rules: &str) -> Policy {
    let mut files: Vec<Arc<SourceFile>> = bylaw::policy_files::default_policy();
    files.push(SourceFile::new("test.bylaw", rules));
    match bylaw::check::load(&files, &[]) {
        Ok(p) => p,
        Err(e) => panic!("{e:#?}"),
    }
}

/// `record` read as a record is read from a file.
fn read(record: &serde_json::Value) -> bylaw::json::Json {
    bylaw::records::read_value(&record.to_string())
        .expect("JSON")
        .0
}

/// Messages of the findings of rule `id` on `record`.
fn judge(policy: &Policy, id: &str, record: serde_json::Value) -> Vec<String> {
    let rule = policy.rule(id).expect("rule exists");
    let RuleKind::Record(body) = &rule.kind else {
        panic!("a record rule")
    };
    let world = World::default();
    let record = read(&record);
    judge_record(policy, rule, body, &record, &world)
        .expect("judged")
        .into_iter()
        .map(|f| f.message)
        .collect()
}

#[test]
fn expressions_parse_whole() {
    for text in [
        "kind is executive and not ad_hoc",
        "chair is (mayor or executive_vice_mayor if mayor_away and delegation.from is mayor)",
        "all(m in members: m is one of mayor, vice_mayors)",
        "weekday(start) == \"monday\" and hour(start) < 12",
        "plan.declared_at < quarter_start(start)",
        "kind in {plenary, executive} and count(minutes.matters) > 0",
        "start + 3 days > 2011-07-11T09:00:00+08:00",
        "x not in {1, 2} or -y >= 2.5",
        "last(s in ordered(steps): s.action in {sign, approve}).by is mayor",
        "first(t in topics: t.set_by is not same as convener).set_by.role == \"mayor\"",
        "(first(m in members: m is mayor)).name exists",
    ] {
        assert!(bylaw::syntax::parse_expr(text).is_ok(), "{text}");
    }
    for text in [
        "kind is",
        "a ==",
        "all(m in members",
        "x in in y",
        "first(s in steps).",
        "last(s in steps: s.at).by.",
    ] {
        assert!(
            bylaw::syntax::parse_expr(text).is_err(),
            "{text} should not parse"
        );
    }
}

#[test]
fn requirements_and_quantifiers() {
    let policy = policy_with(
        r#"
rule set.91 error {
  title "members are leaders"
  on meeting where kind is executive
  require all(m in members: m is leaders) else "not all members are leaders"
  require count(members) >= 2 else "{count(members)} members"
}
"#,
    );
    let ok = serde_json::json!({"type": "meeting", "id": "M", "kind": "executive", "start": "2011-07-11T09:00:00+08:00",
        "members": [{"id": "P-001", "role": "mayor"}, {"id": "P-004", "role": "vice_mayor"}]});
    assert!(judge(&policy, "set.91", ok).is_empty());
    let bad = serde_json::json!({"type": "meeting", "id": "M", "kind": "executive", "start": "2011-07-11T09:00:00+08:00",
        "members": [{"id": "P-210", "role": "department_head"}]});
    assert_eq!(
        judge(&policy, "set.91", bad),
        ["not all members are leaders", "1 members"]
    );
    let other_kind = serde_json::json!({"type": "meeting", "id": "M", "kind": "plenary", "start": "2011-07-11T09:00:00+08:00"});
    assert!(judge(&policy, "set.91", other_kind).is_empty());
}

#[test]
fn time_is_read_in_the_records_own_offset_and_before_is_strict() {
    let policy = policy_with(
        r#"
rule set.92 error {
  title "morning"
  on meeting
  require hour(start) < 12 else "{weekday(start)} {hour(start)}"
}
rule set.93 error {
  title "declared strictly before the quarter"
  on meeting
  require plan.declared_at < quarter_start(start) else "late"
}
"#,
    );
    let meeting = |start: &str, declared: &str| serde_json::json!({"type": "meeting", "id": "M", "kind": "citywide", "start": start, "plan": {"listed": true, "declared_at": declared}});
    // 09:00 at -05:00 is 22:00 in Beijing, but the record's own offset decides.
    assert!(judge(
        &policy,
        "set.92",
        meeting("2011-07-11T09:00:00-05:00", "2011-06-01")
    )
    .is_empty());
    assert_eq!(
        judge(
            &policy,
            "set.92",
            meeting("2011-07-11T13:00:00+08:00", "2011-06-01")
        ),
        ["Monday 13"]
    );
    assert!(judge(
        &policy,
        "set.93",
        meeting("2011-07-11T09:00:00+08:00", "2011-06-30")
    )
    .is_empty());
    assert_eq!(
        judge(
            &policy,
            "set.93",
            meeting("2011-07-11T09:00:00+08:00", "2011-07-01")
        ),
        ["late"]
    );
}

#[test]
fn chains_say_what_is_missing_who_acted_and_what_is_out_of_order() {
    let policy = policy_with(
        r#"
rule set.94 error {
  title "review then sign"
  on meeting where minutes exists
  require chain minutes.steps {
    review by secretary_general
    then sign by mayor
  }
}
"#,
    );
    let with_steps = |steps: serde_json::Value| serde_json::json!({"type": "meeting", "id": "M", "kind": "executive", "start": "2011-07-11T09:00:00+08:00", "minutes": {"steps": steps}});
    let sg = serde_json::json!({"id": "P-003", "name": "赵志刚", "role": "secretary_general"});
    let mayor = serde_json::json!({"id": "P-001", "name": "李强", "role": "mayor"});
    let vm = serde_json::json!({"id": "P-004", "name": "张敏", "role": "vice_mayor"});
    let step = |action: &str, by: &serde_json::Value, at: &str| serde_json::json!({"action": action, "by": by, "at": at});
    let good = with_steps(serde_json::json!([
        step("sign", &mayor, "2011-07-13T09:00:00+08:00"),
        step("review", &sg, "2011-07-12T09:00:00+08:00")
    ]));
    assert!(
        judge(&policy, "set.94", good).is_empty(),
        "ordered by `at`, not by the array"
    );
    let missing = with_steps(serde_json::json!([step(
        "sign",
        &mayor,
        "2011-07-13T09:00:00+08:00"
    )]));
    assert_eq!(
        judge(&policy, "set.94", missing),
        ["no `review` by the secretary-general"]
    );
    let wrong = with_steps(serde_json::json!([
        step("review", &sg, "2011-07-12T09:00:00+08:00"),
        step("sign", &vm, "2011-07-13T09:00:00+08:00")
    ]));
    assert_eq!(
        judge(&policy, "set.94", wrong),
        ["`sign` by 张敏 (vice_mayor), expected the mayor"]
    );
    let swapped = with_steps(serde_json::json!([
        step("review", &sg, "2011-07-14T09:00:00+08:00"),
        step("sign", &mayor, "2011-07-13T09:00:00+08:00")
    ]));
    let messages = judge(&policy, "set.94", swapped);
    assert!(
        messages[0].contains("comes before the `review` it must follow"),
        "{messages:?}"
    );
}

#[test]
fn let_names_a_value_and_fields_follow_a_computed_value() {
    let policy = policy_with(
        r#"
rule set.95 error {
  title "the last sign-off, in chain order, is by the mayor"
  on document
  let last_signoff = last(s in ordered(steps): s.action in {sign, approve})
  require last_signoff.by is mayor
    else "last `{last_signoff.action}` by {last_signoff.by} at {last_signoff.at}"
  require first(s in steps: s.action is review).by.role == "secretary_general"
    when any(s in steps: s.action is review)
    else "first review by {first(s in steps: s.action is review).by}"
}
"#,
    );
    let step = |action: &str, id: &str, role: &str, at: &str| serde_json::json!({"action": action, "by": {"id": id, "role": role}, "at": at});
    let document = |steps: Vec<serde_json::Value>| serde_json::json!({"type": "document", "id": "D", "issued": "2011-07-13", "steps": steps});
    let mayor = |at| step("sign", "P-001", "mayor", at);
    let vice = |at| step("approve", "P-004", "vice_mayor", at);
    // Ordered by `at`, whatever the array order.
    let later_mayor = document(vec![
        mayor("2011-07-13T10:00:00+08:00"),
        vice("2011-07-12T10:00:00+08:00"),
    ]);
    assert!(judge(&policy, "set.95", later_mayor).is_empty());
    // Equal times keep array order: the vice mayor, listed last, signed off last.
    let tie = document(vec![
        mayor("2011-07-13T10:00:00+08:00"),
        vice("2011-07-13T10:00:00+08:00"),
    ]);
    assert_eq!(
        judge(&policy, "set.95", tie),
        ["last `approve` by P-004 (vice_mayor) at 2011-07-13 10:00+08:00"]
    );
    let reviewed = document(vec![
        step(
            "review",
            "P-021",
            "deputy_secretary_general",
            "2011-07-12T09:00:00+08:00",
        ),
        mayor("2011-07-13T10:00:00+08:00"),
    ]);
    assert_eq!(
        judge(&policy, "set.95", reviewed),
        ["first review by P-021 (deputy_secretary_general)"]
    );
    // No sign-off at all: `last(…)` is nothing, and nothing is not the mayor.
    assert_eq!(judge(&policy, "set.95", document(vec![])).len(), 1);
}

#[test]
fn defines_expand_in_the_records_scope() {
    let policy = policy_with(
        r#"
define led_by_mayor on meeting = chair is mayor
define mayors_executive on meeting = kind is executive and led_by_mayor

rule set.96 error {
  title "a define used where a variable shadows one of its fields"
  on meeting where mayors_executive
  # `chair` here is the loop variable, yet the define still reads the meeting's own `chair`.
  for each chair in members where not led_by_mayor
  require chair is leaders else "{chair} is not a leader"
}
"#,
    );
    let meeting = |chair: &str| {
        serde_json::json!({"type": "meeting", "id": "M", "kind": "executive",
            "start": "2011-07-11T09:00:00+08:00", "chair": {"id": "C", "role": chair},
            "members": [{"id": "P-210", "role": "department_head"}]})
    };
    // Under the mayor the `for each` is skipped, so nothing is found.
    assert!(judge(&policy, "set.96", meeting("mayor")).is_empty());
    // Not an executive meeting led by the mayor: the rule does not apply at all.
    assert!(judge(&policy, "set.96", meeting("vice_mayor")).is_empty());
}

#[test]
fn a_scope_that_cannot_be_judged_is_reported_even_for_rules_about_the_set() {
    // The rule reads the period (so it is judged once the set is read) and its scope counts
    // working days (so a date outside the calendar cannot be judged): that record must come out
    // as bad input, not be dropped before the set is read.
    let policy = policy_with(
        r#"
rule set.97 error {
  title "a scope over working days, judged with the set"
  on leave where working_days(start, end) > 0
  require end <= period_end() else "ends after the period"
}
"#,
    );
    assert_leave_after_the_calendar_cannot_be_judged(&policy, "set.97");
}

#[test]
fn a_count_condition_that_cannot_be_judged_is_reported() {
    let policy = policy_with(
        r#"
rule set.98 warning {
  title "leave counted over working days"
  count leave where working_days(start, end) > 0
  per month of start
  expect 0..5
}
"#,
    );
    assert_leave_after_the_calendar_cannot_be_judged(&policy, "set.98");
}

#[test]
fn a_scope_condition_shared_by_rules_that_cannot_be_judged_is_reported_by_each() {
    // Both scopes start with the same condition, worked out once per record for both rules: one
    // that cannot be evaluated is not kept, so each rule still reports the record.
    let policy = policy_with(
        r#"
rule set.95 error {
  title "first rule over working days"
  on leave where working_days(start, end) > 0 and kind is leave_city
  require end >= start
}

rule set.96 error {
  title "second rule over working days"
  on leave where working_days(start, end) > 0
  require end >= start
}
"#,
    );
    assert_leave_after_the_calendar_cannot_be_judged(&policy, "set.95");
    assert_leave_after_the_calendar_cannot_be_judged(&policy, "set.96");
}

/// A leave in 2030, past the working-day calendar: `rule` must report it as bad input.
fn assert_leave_after_the_calendar_cannot_be_judged(policy: &Policy, rule: &str) {
    let record = r#"{"type": "leave", "id": "LV-2030-001",
        "person": {"id": "P-250", "name": "杨帆", "role": "unit_head", "unit": "市住房公积金管理中心"},
        "kind": "leave_city", "start": "2030-11-14", "end": "2030-11-16"}"#;
    let outcome = bylaw::audit::run_in_memory(policy, vec![("leave.json".into(), record.into())]);
    let messages: Vec<&str> = outcome
        .bad_inputs
        .iter()
        .map(|b| b.message.as_str())
        .collect();
    let expected = format!("rule {rule} cannot judge this record");
    assert!(
        messages.iter().any(|m| m.starts_with(&expected)),
        "{messages:#?}"
    );
}

#[test]
fn an_article_says_why_no_rule_checks_it() {
    let policy = policy_with(
        r#"
article 57 "Meeting rooms" {
  text """五十七、會議室應整潔。"""
  gloss """Meeting rooms shall be kept tidy."""
  not_checked """
the records contract has no field
for meeting rooms
"""
}
"#,
    );
    let reason = policy.articles[&57]
        .not_checked
        .as_ref()
        .map(|n| n.reason.as_str());
    assert_eq!(
        reason,
        Some("the records contract has no field for meeting rooms"),
        "one sentence, whatever the line breaks"
    );
    let misspelt = SourceFile::new("t.bylaw", "article 57 \"Rooms\" { not_check \"none\" }");
    let errors = bylaw::check::load(&[misspelt], &[])
        .err()
        .unwrap_or_default();
    assert!(
        errors.first().is_some_and(|e| e.message
            == "expected `gloss`, `not_checked`, `text` or a `rule`, found `not_check`"),
        "{errors:#?}"
    );
}

#[test]
fn type_of_tells_a_reference_to_another_type_from_one_to_nothing() {
    // Following a reference to a record of another type gives nothing; `type_of` tells it from
    // one to no record. The leave is in no rule's scope, and still resolves. A rule that reads
    // through a reference to no record does not judge the record (set.2 reports it): D-nothing
    // has no finding of set.94.
    let policy = policy_with(
        r#"
rule set.94 error {
  title "what a reference names"
  on document
  require type_of(decided_at) == "meeting" when type_of(decided_at) exists
    else "{decided_at} is a {type_of(decided_at)}"
  require decided_at.kind exists when decided_at exists
    else "{decided_at} gives no meeting kind"
}
"#,
    );
    let records = r#"[
  {"type": "meeting", "id": "EXEC-1", "kind": "executive", "start": "2011-07-11T09:00:00+08:00"},
  {"type": "leave", "id": "LV-1", "person": {"id": "P-004", "role": "vice_mayor"},
   "kind": "vacation", "start": "2011-07-11", "end": "2011-07-12"},
  {"type": "document", "id": "D-meeting", "issuer": "department", "category": "other",
   "issued": "2011-07-12", "decided_at": "EXEC-1"},
  {"type": "document", "id": "D-leave", "issuer": "department", "category": "other",
   "issued": "2011-07-12", "decided_at": "LV-1"},
  {"type": "document", "id": "D-nothing", "issuer": "department", "category": "other",
   "issued": "2011-07-12", "decided_at": "EXEC-404"}
]"#;
    let outcome = bylaw::audit::run_in_memory(&policy, vec![("set.json".into(), records.into())]);
    let mut found: Vec<(String, String)> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == "set.94")
        .map(|f| (f.record.clone().unwrap_or_default(), f.message.clone()))
        .collect();
    found.sort();
    let expected = [
        ("D-leave", "LV-1 gives no meeting kind"),
        ("D-leave", "LV-1 is a leave"),
    ]
    .map(|(r, m)| (r.to_string(), m.to_string()));
    assert_eq!(found, expected);
}

#[test]
fn a_rule_quotes_its_article_verbatim_whatever_the_line_breaks() {
    let policy = policy_with(
        r#"
article 57 "Meeting rooms" {
  text """
五十七、會議室應整潔,
每周清掃一次;會議結束后應關閉門窗。
"""
  gloss """Meeting rooms shall be kept tidy, and cleaned once a week; after a meeting, the doors and
windows shall be closed."""

  rule 57.1 warning {
    title "a meeting is not ad hoc"
    quote """會議室應整潔,每周
             清掃一次""" """Meeting rooms shall be kept tidy,
      and cleaned once a week"""
    quote """會議室……應關閉門窗""" """after a meeting, the doors and windows shall be closed"""
    on meeting
    require not ad_hoc
  }
}
"#,
    );
    let rule = policy.rule("57.1").expect("rule exists");
    assert_eq!(
        policy.article_quote(rule).as_deref(),
        Some(
            "article 57 (Meeting rooms): 會議室應整潔,每周清掃一次 (“Meeting rooms shall be kept \
             tidy, and cleaned once a week”); 會議室……應關閉門窗 (“after a meeting, the doors and \
             windows shall be closed”)"
        )
    );
    let set = policy.rule("set.1").expect("set rule exists");
    assert_eq!(policy.article_quote(set), None, "a set rule has no article");
    let quoted = policy
        .rules
        .iter()
        .filter(|r| !r.id.starts_with("set.") && r.id != "57.1")
        .filter(|r| r.quotes.is_empty())
        .map(|r| r.id.as_str())
        .collect::<Vec<_>>();
    assert!(
        quoted.is_empty(),
        "unquoted rules in the default policy: {quoted:?}"
    );
}

#[test]
fn a_quote_clause_parses_whole() {
    let ok = SourceFile::new(
        "t.bylaw",
        "article 1 \"A\" { text \"一、甲乙。\" gloss \"A B.\" rule 1.1 error { title \"t\" quote \"甲乙\" \"A B\" } }",
    );
    let errors = bylaw::check::load(&[ok], &[]).err().unwrap_or_default();
    assert!(
        errors
            .iter()
            .all(|e| e.code != "policy::syntax" && e.code != "policy::quote"),
        "{errors:#?}"
    );
    let one_text = SourceFile::new(
        "t.bylaw",
        "article 1 \"A\" { text \"一、甲乙。\" gloss \"A B.\" rule 1.1 error { title \"t\" quote \"甲乙\" } }",
    );
    let errors = bylaw::check::load(&[one_text], &[])
        .err()
        .unwrap_or_default();
    assert!(
        errors.first().is_some_and(|e| e.message
            == "expected a `\"\"\"` text block or a string in double quotes, found `}`"),
        "{errors:#?}"
    );
}

#[test]
fn those_names_every_element_that_matches_and_each_is_labelled() {
    let policy = policy_with(
        r#"
rule set.81 error {
  title "no county head is invited"
  on meeting where kind is department
  require none(p in invitees: p is county_head)
    else "county heads {those(p in invitees: p is county_head)} invited ({count(p in those(p in invitees: p is county_head))} in all)"
  require count(p in those(t in topics: t.title exists)) == 0
    else "topics {those(t in topics: t.title exists)}"
}
"#,
    );
    let person = |id: &str, name: &str, role: &str| serde_json::json!({"id": id, "name": name, "role": role});
    let meeting = |invitees: Vec<serde_json::Value>| {
        serde_json::json!({"type": "meeting", "id": "M", "kind": "department",
        "start": "2011-07-11T09:00:00+08:00", "invitees": invitees, "topics": []})
    };
    let he = person("P-301", "何平", "county_head");
    let ma = person("P-302", "马超", "county_head");
    let zhao = person("P-210", "赵刚", "department_head");
    // None matches: an empty list, and nothing to name.
    assert!(judge(&policy, "set.81", meeting(vec![zhao.clone()])).is_empty());
    assert!(judge(&policy, "set.81", meeting(vec![])).is_empty());
    // One: the noun before the list is singular, and the person is named without the role.
    assert_eq!(
        judge(&policy, "set.81", meeting(vec![zhao.clone(), ma.clone()])),
        ["county head 马超 invited (1 in all)"]
    );
    // Several, joined as English lists them; `those` is a list other quantifiers take.
    let three = person("P-303", "", "county_head");
    let all = meeting(vec![he.clone(), zhao.clone(), ma.clone(), three]);
    assert_eq!(
        judge(&policy, "set.81", all.clone()),
        ["county heads 何平, 马超 and P-303 invited (3 in all)"]
    );
    // Each element that breaks `none(…)` is labelled: the first primary, the others beside it.
    let rule = policy.rule("set.81").expect("rule exists");
    let RuleKind::Record(body) = &rule.kind else {
        panic!("a record rule")
    };
    let world = World::default();
    let all = read(&all);
    let findings = judge_record(&policy, rule, body, &all, &world).expect("judged");
    let labelled: Vec<(String, bool)> = findings[0]
        .blame
        .iter()
        .map(|b| match b.origin {
            bylaw::eval::value::Origin::Node(node) => (node["id"].to_string(), b.primary),
            _ => panic!("a labelled element, not {:?}", b.origin),
        })
        .collect();
    assert_eq!(
        labelled,
        [
            ("\"P-301\"".to_string(), true),
            ("\"P-302\"".to_string(), false),
            ("\"P-303\"".to_string(), false)
        ]
    );
    // Many: nine named and the rest counted; ten labelled, so a hostile record stays readable.
    let many = meeting(
        (1..=12)
            .map(|i| person(&format!("P-{i}"), &format!("H{i}"), "county_head"))
            .collect(),
    );
    assert_eq!(
        judge(&policy, "set.81", many.clone()),
        ["county heads H1, H2, H3, H4, H5, H6, H7, H8, H9 and 3 others invited (12 in all)"]
    );
    let many = read(&many);
    let findings = judge_record(&policy, rule, body, &many, &world).expect("judged");
    assert_eq!(findings[0].blame.len(), 10);
}

#[test]
fn those_takes_a_list_and_a_condition() {
    for (rule, expected) in [
        (
            "require count(p in those(p in start: p exists)) == 0",
            "expected a list, found `datetime`",
        ),
        (
            "require count(p in those(p in invitees)) == 0",
            "this quantifier needs a condition after `:`",
        ),
        (
            "require those(p in invitees: p is county_head) else \"x\"",
            "expected a condition (true or false), found a value of type `[person]`",
        ),
    ] {
        let text = format!("rule set.82 error {{\n  title \"t\"\n  on meeting\n  {rule}\n}}\n");
        let mut files = bylaw::policy_files::default_policy();
        files.push(SourceFile::new("test.bylaw", &text));
        let errors = bylaw::check::load(&files, &[]).err().unwrap_or_default();
        assert!(
            errors.iter().any(|e| e.message == expected),
            "{rule}: {errors:#?}"
        );
    }
    // `those` is no keyword: a name may still be spelt so.
    assert!(bylaw::syntax::parse_expr("those.at exists and those(x in y: x)").is_ok());
}

/// The messages of the bad inputs an audit of `records` (one JSON text) reports.
fn bad_inputs(policy: &Policy, records: &str) -> Vec<String> {
    let outcome = bylaw::audit::run_in_memory(policy, vec![("in.json".into(), records.into())]);
    outcome.bad_inputs.into_iter().map(|b| b.message).collect()
}

/// The load errors of `rules` added to the bundled policy.
fn load_errors(rules: &str) -> Vec<String> {
    let mut files = bylaw::policy_files::default_policy();
    files.push(SourceFile::new("test.bylaw", rules));
    match bylaw::check::load(&files, &[]) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.message).collect(),
    }
}

#[test]
fn times_and_division_bind_tighter_than_plus_and_division_is_exact() {
    use bylaw::ast::{BinaryOp, ExprKind};
    let Ok(e) = bylaw::syntax::parse_expr("1 + 2 * 3 / 4 - 5") else {
        panic!("parses")
    };
    // (1 + ((2 * 3) / 4)) - 5
    let ExprKind::Binary {
        op: BinaryOp::Sub,
        lhs,
        ..
    } = e.kind
    else {
        panic!("{:?}", e.kind)
    };
    let ExprKind::Binary {
        op: BinaryOp::Add,
        rhs,
        ..
    } = lhs.kind
    else {
        panic!("{:?}", lhs.kind)
    };
    assert!(matches!(
        rhs.kind,
        ExprKind::Binary {
            op: BinaryOp::Div,
            ..
        }
    ));
    let policy = policy_with(
        r#"
rule set.71 error {
  title "arithmetic"
  on meeting
  require count(members) * 2 > 4 and start + 2 days * 2 > start + 3 days
    else "{count(members) * 3} {count(members) / 2} {count(members) * 1.5} {2 days * 3} {6 days / 4}"
}
"#,
    );
    let meeting = |n: usize| {
        let members: Vec<_> = (0..n)
            .map(|i| serde_json::json!({"id": format!("P-{i}"), "role": "vice_mayor"}))
            .collect();
        serde_json::json!({"type": "meeting", "id": "M", "kind": "executive",
            "start": "2011-07-11T09:00:00+08:00", "members": members})
    };
    assert!(judge(&policy, "set.71", meeting(3)).is_empty());
    // `/` of two whole numbers is exact: 3 / 2 is 1.5, not 1.
    assert_eq!(judge(&policy, "set.71", meeting(2)), ["6 1 3 6 days 36h"]);
}

#[test]
fn a_division_by_zero_cannot_be_judged_and_is_reported() {
    let policy = policy_with(
        r#"
rule set.72 error {
  title "share"
  on meeting
  require 10 / count(members) > 1 else "few"
}
"#,
    );
    let messages = bad_inputs(
        &policy,
        r#"{"type": "meeting", "id": "M-1", "kind": "executive", "start": "2011-07-11T09:00:00+08:00", "members": []}"#,
    );
    assert!(
        messages
            .iter()
            .any(|m| m == "rule set.72 cannot judge this record: it divides `10` by zero"),
        "{messages:#?}"
    );
}

#[test]
fn times_and_division_need_numbers_or_a_duration_and_a_number() {
    for (expr, expected) in [
        ("start * 2 > start", "cannot compute `datetime` * `int`"),
        ("kind / 2 == 1", "cannot compute `meeting_kind` / `int`"),
        ("2 / 1 day > 1 day", "cannot compute `int` / `duration`"),
        (
            "1 day * 1 day > 1 day",
            "cannot compute `duration` * `duration`",
        ),
    ] {
        let errors = load_errors(&format!(
            "rule set.73 error {{\n  title \"t\"\n  on meeting\n  require {expr}\n}}\n"
        ));
        assert!(errors.iter().any(|e| e == expected), "{expr}: {errors:#?}");
    }
    let errors =
        load_errors("rule set.73 error {\n  title \"t\"\n  on meeting\n  require 2 * \n}\n");
    assert!(!errors.is_empty());
}

#[test]
fn an_open_count_range_asks_at_least_or_at_most() {
    let policy = policy_with(
        r#"
rule set.74 warning {
  title "at least one meeting a month"
  count meeting
  per month of start
  expect 1..
  message "{count} in {period}, expected {expected}"
}
rule set.75 warning {
  title "at most one meeting a month"
  count meeting
  per month of start
  expect ..1
  message "{count} in {period}, expected {expected}"
}
"#,
    );
    let meeting = |id: &str, start: &str| {
        format!(r#"{{"type": "meeting", "id": "{id}", "kind": "executive", "start": "{start}"}}"#)
    };
    let records = format!(
        "[{}, {}, {}, {}]",
        meeting("M-0", "2011-07-01T09:00:00+08:00"),
        meeting("M-1", "2011-07-11T09:00:00+08:00"),
        meeting("M-2", "2011-07-12T09:00:00+08:00"),
        meeting("M-3", "2011-09-30T09:00:00+08:00"),
    );
    let mut outcome = bylaw::audit::run_in_memory(&policy, vec![("in.json".into(), records)]);
    outcome.findings.retain(|f| f.rule.starts_with("set.7"));
    let mut messages: Vec<(String, String)> = outcome
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.message.clone()))
        .collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            ("set.74".into(), "0 in 2011-08, expected at least 1".into()),
            ("set.75".into(), "3 in 2011-07, expected at most 1".into()),
        ]
    );
    let rule = policy.rule("set.74").expect("rule exists");
    let bylaw::check::RuleKind::Periodic(p) = &rule.kind else {
        panic!("a periodic rule")
    };
    assert_eq!((p.min, p.max), (1, u64::MAX));
}

#[test]
fn a_count_range_is_checked() {
    let rule = |expect: &str| {
        format!("rule set.76 warning {{\n  title \"t\"\n  count meeting\n  per month of start\n  expect {expect}\n}}\n")
    };
    assert!(load_errors(&rule("2..1"))
        .iter()
        .any(|e| e == "the range 2..1 is empty"));
    assert!(load_errors(&rule("99999999999999999999.."))
        .iter()
        .any(|e| e == "`99999999999999999999` is too large"));
    assert!(!load_errors(&rule("..")).is_empty());
    assert!(!load_errors(&rule("1...2")).is_empty());
    // A bound may name an `int` parameter, and nothing else.
    for (bad, error) in [
        ("..filing_dayz", "unknown parameter `filing_dayz`"),
        ("filing_days..1", "the range 30..1 is empty"),
        (
            "..message",
            "expected a whole number or the name of an `int` parameter, found `message`",
        ),
    ] {
        let errors = load_errors(&rule(bad));
        assert!(errors.iter().any(|e| e == error), "{bad}: {errors:#?}");
    }
    let errors = load_errors(&format!(
        "param share: number = 0.5 \"a share\"\n{}",
        rule("..share")
    ));
    assert!(
        errors.iter().any(|e| e
            == "`expect` takes a whole number or an `int` parameter, and `share` is not an `int`"),
        "{errors:#?}"
    );
    for ok in ["1..", "..3", "0..0", "2", "..filing_days", "1..filing_days"] {
        assert_eq!(load_errors(&rule(ok)), Vec::<String>::new(), "{ok}");
    }
}

#[test]
fn a_conditional_gives_one_of_two_values() {
    let policy = policy_with(
        r#"
rule set.77 error {
  title "conditional"
  on meeting
  let size = (if kind is executive then 3 else if kind is plenary then 10 else 0)
  require (if kind is executive then count(members) >= size else true)
    else """{if kind is executive then "executive" else "other"}: {count(members)} of {size}, {(if size > 1 then 1.5 else 1) * 2}"""
}
"#,
    );
    let meeting = |kind: &str, n: usize| {
        let members: Vec<_> = (0..n)
            .map(|i| serde_json::json!({"id": format!("P-{i}"), "role": "vice_mayor"}))
            .collect();
        serde_json::json!({"type": "meeting", "id": "M", "kind": kind,
            "start": "2011-07-11T09:00:00+08:00", "members": members})
    };
    assert!(judge(&policy, "set.77", meeting("executive", 3)).is_empty());
    assert!(judge(&policy, "set.77", meeting("plenary", 1)).is_empty());
    assert_eq!(
        judge(&policy, "set.77", meeting("executive", 2)),
        ["executive: 2 of 3, 3"]
    );
    // A hole may hold a conditional bare, in a quoted string too.
    let policy = policy_with(
        "rule set.78 error {\n  title \"t\"\n  on meeting\n  require false else \"{if kind is executive then \\\"late\\\" else \\\"on time\\\"}\"\n}\n",
    );
    assert_eq!(judge(&policy, "set.78", meeting("executive", 0)), ["late"]);
}

#[test]
fn a_conditional_is_in_parentheses_its_condition_a_condition_and_its_values_of_one_type() {
    for (require, expected) in [
        (
            "require if kind is executive then true else false",
            "a conditional expression must be in parentheses",
        ),
        (
            "require (if kind is executive then true else false) when if true then true else false",
            "a conditional expression must be in parentheses",
        ),
        (
            "require (if kind is executive then 1 else \"x\") == 1",
            "the two values of `if` differ in type: `int` and `string`",
        ),
        (
            "require (if start then true else false)",
            "expected a condition (true or false), found a value of type `datetime`",
        ),
        (
            "require (if kind is executive then 1 else 2)",
            "expected a condition (true or false), found a value of type `int`",
        ),
    ] {
        let errors = load_errors(&format!(
            "rule set.79 error {{\n  title \"t\"\n  on meeting\n  {require}\n}}\n"
        ));
        assert!(
            errors.iter().any(|e| e == expected),
            "{require}: {errors:#?}"
        );
    }
    // The requirement's own `else` is never taken for the conditional's.
    let errors = load_errors(
        "rule set.79 error {\n  title \"t\"\n  on meeting\n  require if kind is executive then true else \"m\"\n}\n",
    );
    assert!(
        errors
            .iter()
            .any(|e| e == "a conditional expression must be in parentheses"),
        "{errors:#?}"
    );
    for text in [
        "(if a then b else c)",
        "(if a then 1 else if b then 2 else 3) + 1",
        "x is mayor if (if a then b else c)",
    ] {
        assert!(bylaw::syntax::parse_expr(text).is_ok(), "{text}");
    }
    for text in ["(if a then b)", "(if a else c)", "(if then b else c)"] {
        assert!(bylaw::syntax::parse_expr(text).is_err(), "{text}");
    }
}

#[test]
fn working_days_move_a_date_on_the_calendar() {
    let policy = policy_with(
        r#"
param wd_lead: int = 3 "working days"
rule set.66 error {
  title "working-day dates"
  on leave
  require end <= start + wd_lead working days
    else "due {start + wd_lead working days}, from {end - 3 working days}, {start + 0 working days}"
}
"#,
    );
    let leave = |start: &str, end: &str| {
        serde_json::json!({"type": "leave", "id": "LV-1",
            "person": {"id": "P-250", "name": "杨帆", "role": "unit_head"},
            "kind": "leave_city", "start": start, "end": end})
    };
    // Friday 2011-09-30, then the National Day holidays and two adjusted workdays: the third
    // working day after it is Monday 2011-10-10.
    assert!(judge(&policy, "set.66", leave("2011-09-30", "2011-10-10")).is_empty());
    assert_eq!(
        judge(&policy, "set.66", leave("2011-09-30", "2011-10-11")),
        ["due 2011-10-10, from 2011-10-08, 2011-09-30"]
    );
    // Past the calendar's years, a working-day date is not guessed.
    let record = r#"{"type": "leave", "id": "LV-2030-001",
        "person": {"id": "P-250", "name": "杨帆", "role": "unit_head", "unit": "市住房公积金管理中心"},
        "kind": "leave_city", "start": "2026-12-30", "end": "2030-11-16"}"#;
    let messages = bad_inputs(&policy, record);
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("rule set.66 cannot judge this record: ")
                && m.contains("outside the working-day calendar")),
        "{messages:#?}"
    );
}

#[test]
fn working_days_are_a_whole_number_added_to_a_date() {
    for (require, expected) in [
        (
            "require end <= 3 working days",
            "working days can only be added to a date or taken from one",
        ),
        (
            "require end <= 3 working days + start",
            "working days can only be added to a date or taken from one",
        ),
        (
            "require end <= start + 1.5 working days",
            "a number of working days is a whole number, not a `number`",
        ),
        (
            "require end <= kind + 2 working days",
            "working days are added to a date, not to a `leave_kind`",
        ),
    ] {
        let errors = load_errors(&format!(
            "rule set.67 error {{\n  title \"t\"\n  on leave\n  {require}\n}}\n"
        ));
        assert!(
            errors.iter().any(|e| e == expected),
            "{require}: {errors:#?}"
        );
    }
    assert!(bylaw::syntax::parse_expr("received + 5 working days").is_ok());
    assert!(bylaw::syntax::parse_expr("received - limit working day").is_ok());
    assert!(bylaw::syntax::parse_expr("received + 5 working").is_err());
}

#[test]
fn a_chain_whose_steps_are_dated_by_day_is_ordered_by_day() {
    let policy = policy_with(
        r#"
shape day_step {
  action: action required
  by: person required
  at: date required
}

record memo {
  id: string required
  type: string required
  steps: [day_step]
}

rule set.93 error {
  title "review then sign, by day"
  on memo
  require chain steps {
    review by secretary_general
    then sign by mayor
  }
}
"#,
    );
    let sg = serde_json::json!({"id": "P-003", "name": "赵志刚", "role": "secretary_general"});
    let mayor = serde_json::json!({"id": "P-001", "name": "李强", "role": "mayor"});
    let memo = |review: &str, sign: &str| {
        serde_json::json!({"type": "memo", "id": "M-1", "steps": [
            {"action": "sign", "by": mayor, "at": sign},
            {"action": "review", "by": sg, "at": review}
        ]})
    };
    assert!(
        judge(&policy, "set.93", memo("2011-07-12", "2011-07-13")).is_empty(),
        "a review the day before the signature comes first, whatever the array's order"
    );
    let messages = judge(&policy, "set.93", memo("2011-07-14", "2011-07-13"));
    assert!(
        messages.len() == 1
            && messages[0].contains("comes before the `review` it must follow")
            && !messages[0].contains("undated"),
        "{messages:?}"
    );
}

#[test]
fn working_days_without_a_calendar_say_how_to_import_one() {
    let policy = SourceFile::new(
        "t.bylaw",
        r#"
enum role { clerk }
record letter {
  id: string required
  type: string required
  received: date required
  answered: date
}
rule set.92 error {
  title "answered within five working days"
  on letter
  require answered <= received + 5 working days
}
"#,
    );
    let errors = bylaw::check::load(&[policy], &[]).err().unwrap_or_default();
    assert!(
        errors.iter().any(|e| e.code == "policy::calendar"
            && e.help
                .as_deref()
                .is_some_and(|h| h.contains("calendar \"cn-mainland\" builtin"))),
        "{errors:#?}"
    );
}

#[test]
fn sum_adds_up_an_int_or_a_number_over_a_list() {
    let policy = policy_with(
        r#"
rule set.77 error {
  title "sums"
  on meeting
  require false
    else "{sum(m in members: count(m.portfolio))} {sum(m in members: count(m.portfolio) / 2)} {sum(m in nonvoting: 1)}"
}
"#,
    );
    let record = serde_json::json!({"type": "meeting", "id": "M", "kind": "executive",
        "start": "2011-07-11T09:00:00+08:00", "members": [
            {"id": "P-1", "role": "vice_mayor", "portfolio": ["a", "b"]},
            {"id": "P-2", "role": "vice_mayor", "portfolio": ["c"]}]});
    let messages = judge(&policy, "set.77", record);
    // An int while every term is one; an absent list adds up to 0, as `count` finds none in it.
    assert_eq!(messages, ["3 1.5 0"]);
}
