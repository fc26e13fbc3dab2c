//! The built-in calendar imported by name (`calendar "cn-mainland" builtin`): it counts working
//! days as the bundled policy does, and an unknown name is refused.

use std::sync::Arc;

use bylaw::check::{Policy, RuleKind};
use bylaw::eval::{judge_record, World};
use bylaw::source::SourceFile;

/// A letter type and a rule that always reports the working days between receipt and answer.
const LETTERS: &str = r#"
record letter {
  id: string required nonempty
  type: string required
  received: date required
  answered: date required
}

article 90 "Letters" {
  text """九十、信件三個工作日內答覆。"""
  gloss """A letter is answered within three working days."""

  rule 90.1 error {
    title "the working days a letter took"
    on letter
    require working_days(received, answered) < 0
      else "{working_days(received, answered)} working days ({calendar_note(received, answered)})"
  }
}
"#;

/// A policy of its own: a header, the imported calendar, the letters.
fn small_policy() -> Policy {
    let header = r#"
policy "letters" {
  title "a small policy of letters"
  source "a test"
  issued 2024-01-01
}

calendar "cn-mainland" builtin
"#;
    let files = vec![
        SourceFile::new("policy.bylaw", header),
        SourceFile::new("letters.bylaw", LETTERS),
    ];
    bylaw::check::load(&files, &[]).unwrap_or_else(|e| panic!("{e:#?}"))
}

/// The bundled policy with the same letters.
fn bundled_policy() -> Policy {
    let mut files: Vec<Arc<SourceFile>> = bylaw::policy_files::default_policy();
    files.push(SourceFile::new("letters.bylaw", LETTERS));
    bylaw::check::load(&files, &[]).unwrap_or_else(|e| panic!("{e:#?}"))
}

fn messages(policy: &Policy, received: &str, answered: &str) -> Vec<String> {
    let rule = policy.rule("90.1").expect("rule 90.1");
    let RuleKind::Record(body) = &rule.kind else {
        panic!("a record rule")
    };
    let record = bylaw::json::Json::from(serde_json::json!({
        "type": "letter", "id": "L-1", "received": received, "answered": answered
    }));
    judge_record(policy, rule, body, &record, &World::default())
        .expect("judged")
        .into_iter()
        .map(|f| f.message)
        .collect()
}

#[test]
fn an_imported_calendar_counts_the_2024_spring_festival_as_the_bundled_policy_does() {
    let (small, bundled) = (small_policy(), bundled_policy());
    assert_eq!(
        small.calendar.as_ref().map(|c| (c.name(), c.years())),
        Some(("cn-mainland", (2010, 2026)))
    );
    // 2024: Sunday 4 February and Sunday 18 February worked, 10–17 February off.
    let spans = [
        ("2024-02-02", "2024-02-05"),
        ("2024-02-08", "2024-02-19"),
        ("2024-02-07", "2024-02-18"),
        ("2024-02-09", "2024-02-17"),
        ("2024-01-31", "2024-02-29"),
    ];
    let mut seen = Vec::new();
    for (received, answered) in spans {
        let from_small = messages(&small, received, answered);
        assert_eq!(
            from_small,
            messages(&bundled, received, answered),
            "{received} → {answered}"
        );
        seen.push(format!(
            "{received} → {answered}: {}",
            from_small.join("; ")
        ));
    }
    insta::assert_snapshot!(seen.join("\n"));
}

#[test]
fn an_unknown_built_in_calendar_is_refused_with_the_names_there_are() {
    for (name, help) in [
        ("cn-mainlnd", "did you mean `cn-mainland`?"),
        (
            "moon",
            "import one of them, or declare the calendar's own days",
        ),
    ] {
        let text = format!("calendar \"{name}\" builtin\n");
        let errors = bylaw::check::load(&[SourceFile::new("cal.bylaw", text)], &[])
            .err()
            .unwrap_or_default();
        let refusal = errors
            .iter()
            .find(|e| e.message.contains("built into bylaw"))
            .unwrap_or_else(|| panic!("{errors:#?}"));
        assert_eq!(
            refusal.message,
            format!(
                "no calendar `{name}` is built into bylaw; the built-in calendars are `cn-mainland`"
            )
        );
        assert!(
            refusal.help.as_deref().is_some_and(|h| h.starts_with(help)),
            "{refusal:#?}"
        );
        assert!(refusal.source.is_some() && !refusal.labels.is_empty());
    }
}

#[test]
fn a_policy_imports_a_calendar_or_declares_one_not_both() {
    let text = "calendar \"cn-mainland\" builtin\ncalendar \"own\" 2024..2024 {\n}\n";
    let errors = bylaw::check::load(&[SourceFile::new("cal.bylaw", text)], &[])
        .err()
        .unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e.message == "a policy has one working-day calendar"),
        "{errors:#?}"
    );
}
