//! What a finding's message says where the record does not give a value its holes show: words
//! that say so ("filed (date not given)", "an unknown number of days"), never a dash or a bare
//! "missing" read as a value ("filed on missing").

use std::sync::Arc;

use bylaw::source::SourceFile;

/// A small policy whose messages show values that a record may leave out.
const LETTERS: &str = r#"
policy "letters" {
    title "Letters"
}

shape answer {
    at: date
    days: int
    by_unit: string
}

record letter {
    id: string required
    received: date required
    sender: string
    answer: answer
}

article 1 "Letters" {
    rule 1.1 error {
        title "a letter is answered within 5 days"
        on letter where answer exists
        require answer.days <= 5
            else "answered on {answer.at} by the unit of {answer.by_unit}, {answer.days} days after receipt from {sender}; `by_unit` is {answer.by_unit}"
    }
}
"#;

fn messages(policy: &str, records: &str) -> Vec<String> {
    let files: Vec<Arc<SourceFile>> = vec![SourceFile::new("letters.bylaw", policy)];
    let policy = bylaw::check::load(&files, &[]).expect("the policy loads");
    let outcome =
        bylaw::audit::run_in_memory(&policy, vec![("letters.jsonl".into(), records.into())]);
    assert!(outcome.bad_inputs.is_empty(), "{:#?}", outcome.bad_inputs);
    outcome.findings.iter().map(|f| f.message.clone()).collect()
}

#[test]
fn an_absent_value_in_a_message_is_said_to_be_not_given() {
    let found = messages(
        LETTERS,
        r#"{"type": "letter", "id": "L-1", "received": "2024-03-01", "answer": {}}"#,
    );
    assert_eq!(
        found,
        ["answered (date not given) by the unit of (not given), an unknown number of days after \
          receipt from (not given); `by_unit` is missing"]
    );
}

#[test]
fn a_present_value_is_shown_as_it_is() {
    let found = messages(
        LETTERS,
        r#"{"type": "letter", "id": "L-1", "received": "2024-03-01", "sender": "王芳", "answer": {"at": "2024-03-09", "days": 8, "by_unit": "office"}}"#,
    );
    assert_eq!(
        found,
        ["answered on 2024-03-09 by the unit of office, 8 days after receipt from 王芳; `by_unit` \
          is office"]
    );
}

/// Letters moved between offices: "from" and "to" before a person, a date and a place.
const TRANSFERS: &str = r#"
policy "transfers" {
    title "Transfers"
}

enum rank {
    director
    clerk
}

shape person {
    name: string
    role: rank required
}

record transfer {
    id: string required
    sender: person
    recipients: [person]
    moved_from: date
    moved_to: date
    office: string
}

article 1 "Transfers" {
    rule 1.1 error {
        title "a transfer says who sent it, to whom, when and where"
        on transfer
        require office exists
            else "sent from {sender} to {recipients}, moved from {moved_from} to {moved_to}, sent to {office}"
    }
}
"#;

#[test]
fn nobody_on_record_is_said_only_of_a_missing_person() {
    // A missing person after "from" or "to" is nobody; a missing date or place is not given.
    let found = messages(TRANSFERS, r#"{"type": "transfer", "id": "T-1"}"#);
    assert_eq!(
        found,
        [
            "sent from nobody on record to nobody on record, moved from (date not given) to (date \
          not given), sent to (not given)"
        ]
    );
}

#[test]
fn the_same_holes_given_show_their_values() {
    let found = messages(
        TRANSFERS,
        r#"{"type": "transfer", "id": "T-1", "sender": {"name": "王芳", "role": "clerk"}, "recipients": [{"name": "李明", "role": "director"}], "moved_from": "2024-03-01", "moved_to": "2024-03-04"}"#,
    );
    assert_eq!(
        found,
        [
            "sent from 王芳 (clerk) to 李明 (director), moved from 2024-03-01 to 2024-03-04, sent \
          to (not given)"
        ]
    );
}
