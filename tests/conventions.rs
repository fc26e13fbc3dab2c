//! Conventions: the fields that play the language's parts (a person's role and areas in charge,
//! a chain step's action, person and time, a record's waivers) keep the names the bundled policy
//! uses unless a type declares its own with `as person(…)`, `as step(…)` or `as waivable(…)`; a
//! policy that would read a field its types do not have is refused at load.

use std::sync::Arc;

use bylaw::source::SourceFile;

/// The office rules of a university, whose records name things their own way. `{person}`,
/// `{step}` and `{waivable}` are where the declarations go.
const UNIVERSITY: &str = r#"
policy "university office rules" {
    title "Office rules of a university"
}

enum rank {
    rector "the rector"
    dean "a dean"
    clerk "a clerk"
}

enum stage_kind {
    draft
    review
    approve
}

shape official {
    name: string required
    rank: rank required
    areas: [string]
} {person}

shape stage {
    step_kind: stage_kind required
    who: official required
    when: datetime required
} {step}

shape exemption {
    rule: string required
    reason: string
    until: date
}

record purchase {
    id: string required
    area: string required
    approvals: [stage]
    exemptions: [exemption]
} {waivable}

article 1 "Purchases" {
    rule 1.1 error {
        title "a purchase is reviewed by the dean in charge of its area, then approved by the rector"
        on purchase
        require chain approvals { review by dean in charge of area then approve by rector }
    }
}

rule set.4 error {
    title "a waiver names an existing rule and gives a reason"
    builtin waivers
}
"#;

const PERSON: &str = "as person(role: rank, areas: areas)";
const STEP: &str = "as step(action: step_kind, by: who, at: when)";
const WAIVABLE: &str = "as waivable(waivers: exemptions)";

fn university(person: &str, step: &str, waivable: &str) -> String {
    UNIVERSITY
        .replace("{person}", person)
        .replace("{step}", step)
        .replace("{waivable}", waivable)
}

fn load(text: &str) -> Result<bylaw::check::Policy, Vec<bylaw::diagnostic::Diagnostic>> {
    let files: Vec<Arc<SourceFile>> = vec![SourceFile::new("university.bylaw", text)];
    bylaw::check::load(&files, &[])
}

/// The load errors as a user sees them.
fn refused(text: &str) -> String {
    let errors = load(text).err().unwrap_or_default();
    assert!(!errors.is_empty(), "the policy should be refused");
    let renderer = bylaw::report::human::Renderer::new(false);
    errors.iter().map(|e| renderer.render(e)).collect()
}

/// The messages of `rule`'s findings on one JSON Lines record, which must be good input.
fn messages_of(policy: &bylaw::check::Policy, record: &str, rule: &str) -> Vec<String> {
    let outcome = bylaw::audit::run_in_memory(policy, vec![("p.jsonl".into(), record.into())]);
    assert!(outcome.bad_inputs.is_empty(), "{:#?}", outcome.bad_inputs);
    (outcome.findings.into_iter())
        .filter(|f| f.rule == rule)
        .map(|f| f.message)
        .collect()
}

fn purchase(id: &str, reviewer_areas: &str, exemptions: &str) -> String {
    format!(
        r#"{{"type": "purchase", "id": "{id}", "area": "library", "approvals": [
            {{"step_kind": "review", "who": {{"name": "李明", "rank": "dean", "areas": {reviewer_areas}}}, "when": "2024-03-01T09:00:00+08:00"}},
            {{"step_kind": "approve", "who": {{"name": "吴华", "rank": "rector"}}, "when": "2024-03-02T09:00:00+08:00"}}
        ]{exemptions}}}"#
    )
    .replace('\n', " ")
}

#[test]
fn renamed_fields_work_end_to_end_once_declared() {
    let policy = load(&university(PERSON, STEP, WAIVABLE)).expect("the policy loads");
    let records = [
        purchase("P-1", r#"["library"]"#, ""),
        purchase("P-2", r#"["sports"]"#, ""),
        purchase(
            "P-3",
            r#"["sports"]"#,
            r#", "exemptions": [{"rule": "1.1", "reason": "the library dean was away"}]"#,
        ),
        purchase(
            "P-4",
            r#"["library"]"#,
            r#", "exemptions": [{"rule": "1.1", "reason": " "}]"#,
        ),
    ];
    let text = records.join("\n");
    let outcome = bylaw::audit::run_in_memory(&policy, vec![("purchases.jsonl".into(), text)]);
    assert!(outcome.bad_inputs.is_empty(), "{:#?}", outcome.bad_inputs);
    let found: Vec<(String, String, bool, String)> = outcome
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                f.record.clone().unwrap_or_default(),
                f.waived,
                f.message.clone(),
            )
        })
        .collect();
    insta::assert_debug_snapshot!(found);
}

#[test]
fn without_the_declarations_the_policy_is_refused_saying_what_to_declare() {
    insta::assert_snapshot!("nothing_declared", refused(&university("", "", "")));
    insta::assert_snapshot!(
        "no_areas_declared",
        refused(&university("as person(role: rank)", STEP, WAIVABLE))
    );
    insta::assert_snapshot!(
        "no_person_declared",
        refused(&university("", STEP, WAIVABLE))
    );
    insta::assert_snapshot!(
        "no_waivers_declared",
        refused(&university(PERSON, STEP, ""))
    );
}

#[test]
fn a_declaration_names_a_part_its_roles_and_fields_of_the_type() {
    let bad = university(
        "as persn(role: rank)",
        "as step(action: step_kind, by: whom, at: name, act: who)",
        "as waivable(waivers: area)",
    );
    insta::assert_snapshot!("misdeclared", refused(&bad));
}

#[test]
fn the_bundled_policy_declares_nothing_and_keeps_the_language_names() {
    let policy = bylaw::check::load(&bylaw::policy_files::default_policy(), &[]).expect("loads");
    for shape in &policy.shapes {
        assert_eq!(
            shape.roles,
            bylaw::check::Roles::default(),
            "{}",
            shape.name
        );
    }
}

/// A small policy with a closed record type and a closed shape inside it.
const LETTERS: &str = r#"
policy "letters" {
    title "Letters"
}

shape sender closed {
    name: string required
}

record letter closed "a letter received" {
    id: string required
    received: date required
    answered: date
    sender: sender
}

article 1 "Letters" {
    rule 1.1 error {
        title "a letter is answered"
        on letter
        require answered exists
    }
}
"#;

#[test]
fn a_closed_type_refuses_a_field_it_does_not_declare_at_its_key() {
    let files = vec![SourceFile::new("letters.bylaw", LETTERS)];
    let policy = bylaw::check::load(&files, &[]).expect("the policy loads");
    let text = concat!(
        r#"{"type": "letter", "id": "L-1", "received": "2024-03-01", "answerd": "2024-03-02"}"#,
        "\n",
        r#"{"type": "letter", "id": "L-2", "received": "2024-03-01", "answered": "2024-03-02", "sender": {"name": "王芳", "nmae": "x"}}"#,
        "\n",
        r#"{"type": "letter", "id": "L-3", "received": "2024-03-01", "answered": "2024-03-02", "sender": {"name": "王芳"}}"#,
    );
    let outcome = bylaw::audit::run_in_memory(&policy, vec![("letters.jsonl".into(), text.into())]);
    let renderer = bylaw::report::human::Renderer::new(false);
    let shown: String = outcome
        .bad_inputs
        .iter()
        .map(|b| renderer.render(&b.diagnostic))
        .collect();
    assert_eq!(outcome.bad_inputs.len(), 2, "{shown}");
    insta::assert_snapshot!("closed_misspelled", shown);
}

#[test]
fn the_bundled_contract_stays_open() {
    let policy = bylaw::check::load(&bylaw::policy_files::default_policy(), &[]).expect("loads");
    assert!(policy.shapes.iter().all(|s| !s.closed));
}

/// A policy that declares no rule of the record set.
const NO_SET_RULES: &str = include_str!("support/replies-no-set-rules.bylaw");

#[test]
fn the_integrity_of_the_record_set_is_checked_without_set_rules() {
    let files = vec![SourceFile::new("replies.bylaw", NO_SET_RULES)];
    let policy = bylaw::check::load(&files, &[]).expect("the policy loads");
    let implicit: Vec<(&str, &str, String)> = policy
        .implicit
        .iter()
        .map(|r| (r.id.as_str(), r.title.as_str(), format!("{:?}", r.severity)))
        .collect();
    insta::assert_debug_snapshot!("implicit_rules", implicit);
    let text = concat!(
        r#"{"type": "letter", "id": "L-1", "received": "2024-03-01"}"#,
        "\n",
        r#"{"type": "letter", "id": "L-1", "received": "2024-03-02"}"#,
        "\n",
        r#"{"type": "reply", "id": "R-1", "to": "L-9", "sent": "2024-03-03"}"#,
        "\n",
        r#"{"type": "reply", "id": "R-2", "to": "L-1", "sent": "2024-03-03", "waivers": [{"rule": "1.1", "reason": ""}]}"#,
    );
    let outcome = bylaw::audit::run_in_memory(&policy, vec![("set.jsonl".into(), text.into())]);
    let found: Vec<(String, String, String)> = outcome
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                f.record.clone().unwrap_or_default(),
                f.message.clone(),
            )
        })
        .collect();
    insta::assert_debug_snapshot!("integrity_by_default", found);
}

#[test]
fn a_declared_set_rule_keeps_its_id_and_the_others_take_free_ones() {
    let declared = NO_SET_RULES.replace(
        "article 1",
        "rule set.1 warning {\n    title \"references resolve\"\n    builtin references\n}\n\narticle 1",
    );
    let files = vec![SourceFile::new("replies.bylaw", declared)];
    let policy = bylaw::check::load(&files, &[]).expect("the policy loads");
    let ids: Vec<(&str, &str)> = policy
        .all_rules()
        .map(|r| (r.id.as_str(), r.title.as_str()))
        .collect();
    insta::assert_debug_snapshot!("declared_and_implicit", ids);
}

#[test]
fn rules_about_waivers_without_a_waivers_field_are_refused() {
    let text = format!(
        "{LETTERS}\nrule set.4 error {{\n    title \"waivers are well formed\"\n    builtin waivers\n}}\n"
    );
    insta::assert_snapshot!("waivers_rule_without_field", refused(&text));
}

#[test]
fn a_person_in_a_message_is_shown_with_the_role_its_type_declares() {
    // A person whose role is in `rank`, shown in a message hole: "李明 (dean)", not raw JSON.
    let text = university(PERSON, STEP, WAIVABLE)
        .replace(
            "    area: string required\n",
            "    area: string required\n    buyer: official\n",
        )
        .replace(
            "article 1 \"Purchases\" {\n",
            "article 1 \"Purchases\" {\n    rule 1.2 error {\n        title \"a purchase is made by the rector\"\n        on purchase\n        require buyer is rector else \"bought by {buyer}, not by the rector\"\n    }\n\n",
        );
    let policy = load(&text).expect("the policy loads");
    let record = r#"{"type": "purchase", "id": "P-1", "area": "library", "buyer": {"name": "李明", "rank": "dean"}}"#;
    assert_eq!(
        messages_of(&policy, record, "1.2"),
        ["bought by 李明 (dean), not by the rector"]
    );
}

#[test]
fn ordered_sorts_steps_by_the_time_field_their_type_declares() {
    // `ordered(approvals)` over stages dated in `when`: the review listed second but done first
    // comes first.
    let text = university(PERSON, STEP, WAIVABLE).replace(
        "article 1 \"Purchases\" {\n",
        "article 1 \"Purchases\" {\n    rule 1.3 error {\n        title \"a purchase begins with a review\"\n        on purchase\n        let opening = first(s in ordered(approvals): s exists)\n        require opening.step_kind is review else \"the first step is {opening.step_kind}, on {opening.when}\"\n    }\n\n",
    );
    let policy = load(&text).expect("the policy loads");
    let stage = |kind: &str, when: &str| {
        format!(
            r#"{{"step_kind": "{kind}", "who": {{"name": "李明", "rank": "dean", "areas": ["library"]}}, "when": "{when}"}}"#
        )
    };
    let purchase = |id: &str, steps: [String; 2]| {
        format!(
            r#"{{"type": "purchase", "id": "{id}", "area": "library", "approvals": [{}]}}"#,
            steps.join(", ")
        )
    };
    let records = [
        // Listed approve first, but the review was earlier: complies.
        purchase(
            "P-1",
            [
                stage("approve", "2024-03-02T09:00:00+08:00"),
                stage("review", "2024-03-01T09:00:00+08:00"),
            ],
        ),
        // Listed review first, but the approval was earlier: does not.
        purchase(
            "P-2",
            [
                stage("review", "2024-03-05T09:00:00+08:00"),
                stage("approve", "2024-03-04T09:00:00+08:00"),
            ],
        ),
    ];
    let outcome =
        bylaw::audit::run_in_memory(&policy, vec![("p.jsonl".into(), records.join("\n"))]);
    assert!(outcome.bad_inputs.is_empty(), "{:#?}", outcome.bad_inputs);
    let found: Vec<(String, &str)> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == "1.3")
        .map(|f| (f.record.clone().unwrap_or_default(), f.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            "P-2".to_string(),
            "the first step is approve, on 2024-03-04 09:00+08:00"
        )]
    );
}

#[test]
fn a_list_of_people_in_a_message_names_each_by_the_role_its_type_declares() {
    // A `those(…)` list names each person by name, else id, else role: the role is read from
    // `rank`, the field the type declares, so a person with neither name nor id is "rector", not
    // counted as an item.
    let text = university(PERSON, STEP, WAIVABLE)
        .replace("    name: string required\n", "    name: string\n    id: string\n")
        .replace(
            "    area: string required\n",
            "    area: string required\n    panel: [official]\n",
        )
        .replace(
            "article 1 \"Purchases\" {\n",
            "article 1 \"Purchases\" {\n    rule 1.2 error {\n        title \"no rector sits on a purchase's panel\"\n        on purchase\n        require none(p in panel: p is rector) else \"rectors {those(p in panel: p is rector)} on the panel\"\n    }\n\n",
        );
    let policy = load(&text).expect("the policy loads");
    let record = r#"{"type": "purchase", "id": "P-1", "area": "library", "panel": [{"rank": "rector"}, {"id": "S-7", "rank": "rector"}, {"name": "吴华", "rank": "rector"}, {"name": "李明", "rank": "dean"}]}"#;
    assert_eq!(
        messages_of(&policy, record, "1.2"),
        ["rectors rector, S-7 and 吴华 on the panel"]
    );
}
