//! A rule that may read the set (here, the end of the period under audit) is judged as its record
//! is read, and its record read again once the set is read only when the rule asked for the set:
//! most records never reach the clause that reads the period. Counted by `eval::counters`, which
//! test builds keep.
//!
//! One test in its own binary: the counter is the process's.

use bylaw::eval::counters;
use bylaw::source::SourceFile;

const NOTES: &str = r#"
policy "notes" {
  title "notes answered in time"
  source "a test"
  issued 2024-01-01
}

record note {
  id: string required nonempty
  type: string required
  sent: date required event
  due: date required
  answered: date
}

article 1 "Notes" {
  text """一、通知按期答复。"""
  gloss """A note is answered by its due date."""

  rule 1.1 error {
    title "a note answered by its due date"
    on note
    require answered <= due
      when answered exists
      at answered
      else "answered on {answered}, after {due}"
    require period_end() <= due
      when not answered exists
      at due
      else "not answered by {period_end()}, the end of the period, and due on {due}"
  }
}
"#;

#[test]
fn only_records_whose_rules_asked_for_the_set_are_read_again() {
    let policy = bylaw::check::load(&[SourceFile::new("notes.bylaw", NOTES)], &[])
        .unwrap_or_else(|e| panic!("{e:#?}"));
    // Ten notes sent through 2024 (so the period ends on 2024-12-01); every third unanswered.
    let lines: Vec<String> = (1..=10)
        .map(|i| {
            let mut note = serde_json::json!({
                "type": "note", "id": format!("N-{i}"),
                "sent": format!("2024-{i:02}-01"), "due": format!("2024-{i:02}-20"),
            });
            if i % 3 != 0 {
                // Answered on the 15th, or late (the 25th) for the even ones.
                let day = if i % 2 == 0 { 25 } else { 15 };
                note["answered"] = format!("2024-{i:02}-{day}").into();
            }
            if i == 10 {
                note["sent"] = "2024-12-01".into();
            }
            note.to_string()
        })
        .collect();
    let before = counters::records_read_again();
    let outcome =
        bylaw::audit::run_in_memory(&policy, vec![("notes.jsonl".into(), lines.join("\n"))]);
    let read_again = counters::records_read_again() - before;
    assert!(outcome.bad_inputs.is_empty(), "{:#?}", outcome.bad_inputs);
    let found: Vec<(Option<&str>, &str)> = (outcome.findings.iter())
        .map(|f| (f.record.as_deref(), f.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (Some("N-2"), "answered on 2024-02-25, after 2024-02-20"),
            (
                Some("N-3"),
                "not answered by 2024-12-01, the end of the period, and due on 2024-03-20"
            ),
            (Some("N-4"), "answered on 2024-04-25, after 2024-04-20"),
            (
                Some("N-6"),
                "not answered by 2024-12-01, the end of the period, and due on 2024-06-20"
            ),
            (Some("N-8"), "answered on 2024-08-25, after 2024-08-20"),
            (
                Some("N-9"),
                "not answered by 2024-12-01, the end of the period, and due on 2024-09-20"
            ),
            (Some("N-10"), "answered on 2024-10-25, after 2024-10-20"),
        ]
    );
    // The three unanswered notes, which reach the clause that reads the period; in a release
    // build nothing is counted.
    let expected = if cfg!(debug_assertions) { 3 } else { 0 };
    assert_eq!(read_again, expected);
}
