//! The reader on hostile and large input, through the real binary: a record is read, judged and
//! dropped one at a time, so a bad line, a cut array, a minified export on one line, a record over
//! the size limit or nested too deep is reported at its place and everything else still judged.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

/// A fresh folder for one test's files.
fn folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("stream")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test folder");
    dir
}

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/example")
        .join(name);
    std::fs::read_to_string(path).expect("example reads")
}

/// The example's meetings, as records.
fn example_meetings() -> Vec<Json> {
    example("meetings-2011-q3.json")
        .parse::<Json>()
        .ok()
        .and_then(|all| all.as_array().cloned())
        .expect("the example is an array")
}

/// `bylaw check --format json` on `path`, with more arguments: (exit status, report).
fn check(path: &Path, more: &[&str]) -> (i32, Json) {
    let out = Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .arg("check")
        .arg(path)
        .args(["--format", "json"])
        .args(more)
        .output()
        .expect("bylaw runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON document ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exits"), report)
}

/// Each finding as (rule, record, pointer, message): what it says, wherever it is.
fn said(report: &Json) -> BTreeSet<(String, String, String, String)> {
    let text = |f: &Json, k: &str| f[k].as_str().unwrap_or("").to_string();
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                text(f, "rule"),
                text(f, "record"),
                text(f, "pointer"),
                text(f, "message"),
            )
        })
        .collect()
}

fn bad_inputs(report: &Json) -> Vec<(u64, u64, String)> {
    report["bad_inputs"]
        .as_array()
        .expect("bad inputs")
        .iter()
        .map(|b| {
            (
                b["line"].as_u64().unwrap_or(0),
                b["column"].as_u64().unwrap_or(0),
                b["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The records' own findings (not the set's or the periods', which change with what is read).
fn of_records_other_than(
    report: &Json,
    skipped: &str,
) -> BTreeSet<(String, String, String, String)> {
    said(report)
        .into_iter()
        .filter(|(rule, record, _, _)| {
            !record.is_empty() && record != skipped && !rule.starts_with("set.")
        })
        .collect()
}

#[test]
fn a_bad_line_is_reported_at_its_line_and_the_next_lines_are_still_judged() {
    let dir = folder("bad-line");
    let text = example("meetings.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    let broken_id = serde_json::from_str::<Json>(lines[2]).expect("line 3 is a record")["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let mut broken: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    broken[2] = format!("{} ,,", &lines[2][..lines[2].len() / 2]);
    std::fs::write(dir.join("whole.jsonl"), &text).expect("writes");
    let (_, whole) = check(&dir.join("whole.jsonl"), &[]);
    std::fs::remove_file(dir.join("whole.jsonl")).expect("removed");
    std::fs::write(dir.join("meetings.jsonl"), broken.join("\n") + "\n").expect("writes");

    let (status, report) = check(&dir.join("meetings.jsonl"), &[]);
    assert_eq!(status, 2);
    let bad = bad_inputs(&report);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].0, 3, "at the broken line: {bad:?}");
    assert_eq!(
        report["summary"]["records"].as_u64(),
        Some(lines.len() as u64 - 1)
    );
    assert_eq!(
        of_records_other_than(&report, &broken_id),
        of_records_other_than(&whole, &broken_id),
        "every other record judged as before"
    );
}

#[test]
fn a_cut_array_is_reported_where_it_stops_and_the_records_before_it_are_judged() {
    let dir = folder("cut-array");
    let text = example("meetings-2011-q3.json");
    let cut = &text[..text.len() * 3 / 5];
    std::fs::write(dir.join("meetings.json"), cut).expect("writes");

    let (status, report) = check(&dir.join("meetings.json"), &[]);
    assert_eq!(status, 2);
    let bad = bad_inputs(&report);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(
        bad[0].0 as usize,
        cut.lines().count(),
        "where the text stops"
    );
    assert!(bad[0].2.contains("cut short"), "{bad:?}");
    let records = report["summary"]["records"].as_u64().expect("counted");
    assert!(records > 0, "the records before the cut are judged");

    let whole_dir = folder("cut-array-whole");
    std::fs::write(whole_dir.join("meetings.json"), &text).expect("writes");
    let (_, whole) = check(&whole_dir.join("meetings.json"), &[]);
    let before: BTreeSet<_> = of_records_other_than(&report, "");
    assert!(!before.is_empty(), "findings on the records before the cut");
    assert!(before.is_subset(&of_records_other_than(&whole, "")));
}

#[test]
fn a_minified_export_on_one_line_is_read_record_by_record_at_the_right_columns() {
    let dir = folder("minified");
    let text = example("meetings-2011-q3.json");
    let value: Json = serde_json::from_str(&text).expect("the example parses");
    let minified = serde_json::to_string(&value).expect("serialises");
    std::fs::write(dir.join("pretty.json"), &text).expect("writes");
    let (pretty_status, pretty) = check(&dir.join("pretty.json"), &[]);
    std::fs::remove_file(dir.join("pretty.json")).expect("removed");
    std::fs::write(dir.join("meetings.json"), &minified).expect("writes");

    let (status, report) = check(&dir.join("meetings.json"), &[]);
    assert_eq!(status, pretty_status);
    assert_eq!(said(&report), said(&pretty), "the same findings");
    let chars: Vec<char> = minified.chars().collect();
    let located = report["findings"].as_array().expect("findings").iter();
    // Period findings have no place; every other is on the one line.
    for f in located.filter(|f| !f["record"].is_null()) {
        assert_eq!(f["line"], 1);
        // The column (in characters) is where the blamed value starts: a key's value follows `:`.
        let column = f["column"].as_u64().expect("a column") as usize;
        let before = chars[..column - 1]
            .iter()
            .rev()
            .find(|c| !c.is_whitespace());
        assert!(
            matches!(before, Some(':' | '[' | ',')),
            "column {column} is at a value: {f}"
        );
    }
}

#[test]
fn a_record_over_the_size_limit_is_refused_at_its_line_and_the_rest_judged() {
    let dir = folder("too-large");
    let text = example("meetings.jsonl");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let huge = format!(
        "{{\"type\": \"meeting\", \"id\": \"HUGE\", \"title\": \"{}\"}}",
        "x".repeat(2 << 20)
    );
    lines.insert(1, huge);
    std::fs::write(dir.join("meetings.jsonl"), lines.join("\n") + "\n").expect("writes");

    let (status, report) = check(&dir.join("meetings.jsonl"), &["--max-record-size", "1MiB"]);
    assert_eq!(status, 2);
    let bad = bad_inputs(&report);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!((bad[0].0, bad[0].1), (2, 1));
    assert!(bad[0].2.contains("larger than 1 MiB"), "{bad:?}");
    assert_eq!(
        report["summary"]["records"].as_u64(),
        Some(text.lines().count() as u64)
    );

    let (_, whole) = check(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/example/meetings.jsonl")
            .as_path(),
        &[],
    );
    assert_eq!(
        of_records_other_than(&report, ""),
        of_records_other_than(&whole, "")
    );
}

#[test]
fn nesting_deeper_than_the_limit_is_refused_where_it_goes_too_deep() {
    let dir = folder("too-deep");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let record = r#"{"type": "meeting", "id": "AFTER"}"#;
    std::fs::write(dir.join("deep.json"), format!("[{deep}, {record}]")).expect("writes");
    std::fs::write(dir.join("deep.jsonl"), format!("{deep}\n{record}\n")).expect("writes");

    let (status, report) = check(&dir, &[]);
    assert_eq!(status, 2);
    let bad = bad_inputs(&report);
    // In the array: refused at the bracket that goes one level too deep (after `[` and 127 more);
    // on a line, at the same bracket, in the same words (it was serde_json's "recursion limit
    // exceeded", and a record 128 levels deep was refused in those words in an array too).
    let too_deep = "the record nests more than 127 levels deep";
    let places: Vec<(String, u64, u64)> = (report["bad_inputs"].as_array().expect("bad inputs"))
        .iter()
        .filter(|b| b["message"].as_str().is_some_and(|m| m.contains(too_deep)))
        .map(|b| {
            let file = b["file"].as_str().unwrap_or("");
            let name = Path::new(file).file_name().and_then(|n| n.to_str());
            let at = |k: &str| b[k].as_u64().unwrap_or(0);
            (name.unwrap_or("").to_string(), at("line"), at("column"))
        })
        .collect();
    assert_eq!(
        places,
        [("deep.json".into(), 1, 129), ("deep.jsonl".into(), 1, 128)],
        "{bad:?}"
    );
    // The record after each is still read (and refused for what it lacks).
    assert_eq!(report["summary"]["records"].as_u64(), Some(2));
}

#[test]
fn the_progress_bar_shows_only_on_a_terminal_and_never_in_the_report() {
    let dir = folder("progress");
    let binary = env!("CARGO_BIN_EXE_bylaw");
    let root = env!("CARGO_MANIFEST_DIR");
    // Not a terminal: nothing on standard error, even with the bar asked for at once.
    let plain = Command::new(binary)
        .args(["check", "fixtures/example", "--format", "json"])
        .current_dir(root)
        .env("BYLAW_PROGRESS_AFTER_MS", "0")
        .output()
        .expect("bylaw runs");
    assert_eq!(plain.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&plain.stderr), "");

    // A terminal (`script` gives one): the bar is drawn there, and the report is the same bytes.
    let report = dir.join("report.json");
    let on_terminal = |command: &str| {
        let shown = Command::new("script")
            .args(["-qec", command, "/dev/null"])
            .current_dir(root)
            .env("BYLAW_PROGRESS_AFTER_MS", "0")
            .output()
            .expect("script runs");
        String::from_utf8_lossy(&shown.stdout).into_owned()
    };
    let to_report = format!("--format json -o {}", report.display());
    let terminal = on_terminal(&format!("{binary} check fixtures/example {to_report}"));
    assert!(terminal.contains("reading records"), "{terminal}");
    assert!(terminal.contains("B/"), "of a total: {terminal}");
    let written = std::fs::read(&report).expect("the report is written");
    assert_eq!(written, plain.stdout);

    // Standard input's size is not known before it is read: the bar counts what is read.
    let terminal = on_terminal(&format!(
        "cat fixtures/example/meetings.jsonl | {binary} check - {to_report}"
    ));
    assert!(terminal.contains("reading records"), "{terminal}");
    assert!(terminal.contains(" KiB ("), "what is read: {terminal}");
    assert!(!terminal.contains("B/"), "no total: {terminal}");
}

/// Ids used again and again, interleaved (an export that repeats its records): each later use is
/// one finding at its own line, and names the first use of its own id.
#[test]
fn ids_used_again_each_name_the_first_use_of_their_own_id() {
    let dir = folder("ids-again");
    let records = example_meetings();
    let (a, b) = (&records[0], &records[1]);
    let lines: Vec<String> = [a, b, a, b, a, a]
        .iter()
        .map(|r| serde_json::to_string(r).expect("a record serializes"))
        .collect();
    let path = dir.join("meetings.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("written");
    let (_, report) = check(&path, &[]);
    let again: Vec<(u64, String)> = (report["findings"].as_array().expect("findings"))
        .iter()
        .filter(|f| f["rule"] == "set.1")
        .map(|f| {
            let line = f["line"].as_u64().unwrap_or(0);
            (line, f["message"].as_str().unwrap_or("").to_string())
        })
        .collect();
    let (a_id, b_id) = (
        a["id"].as_str().expect("an id"),
        b["id"].as_str().expect("an id"),
    );
    let message = |id: &str, first: u64| {
        format!(
            "id `{id}` is used again (first at {}:{first})",
            path.display()
        )
    };
    assert_eq!(
        again,
        [
            (3, message(a_id, 1)),
            (4, message(b_id, 2)),
            (5, message(a_id, 1)),
            (6, message(a_id, 1)),
        ]
    );
}

/// A record's waivers are kept, not the record: a finding about a waiver of a JSON Lines record
/// is located in the record's line, read again, at the waiver's own place.
#[test]
fn findings_about_waivers_are_at_their_place_in_a_line_read_again() {
    let dir = folder("waivers-again");
    let records = example_meetings();
    let approver = serde_json::json!({"id": "P-001", "name": "李强", "role": "mayor"});
    let mut lines: Vec<String> = Vec::new();
    for (i, record) in records.iter().take(4).enumerate() {
        let mut record = record.clone();
        if i == 2 {
            record["waivers"] = serde_json::json!([
                {"rule": "55.1", "reason": "经市长同意", "approved_by": approver, "until": "2011-12-31"},
                {"rule": "55.3", "reason": " ", "approved_by": approver, "until": "2011-12-31"}
            ]);
        }
        lines.push(serde_json::to_string(&record).expect("a record serializes"));
    }
    let path = dir.join("meetings.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("written");
    let (_, report) = check(&path, &[]);
    let about_waivers: Vec<(String, u64, u64, String)> =
        (report["findings"].as_array().expect("findings"))
            .iter()
            .filter(|f| f["rule"] == "set.4" || f["rule"] == "set.5")
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or("").to_string(),
                    f["line"].as_u64().unwrap_or(0),
                    f["column"].as_u64().unwrap_or(0),
                    f["pointer"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
    // Columns count characters, as the report does.
    // (The test's JSON has its keys in the order of their names.)
    let column = |needle: &str, skip: usize| {
        let at = lines[2].find(needle).expect("on the line") + skip;
        lines[2][..at].chars().count() as u64 + 1
    };
    assert_eq!(
        about_waivers,
        [
            (
                "set.5".into(),
                3,
                column("\"waivers\":[", 11),
                "/waivers/0".into()
            ),
            (
                "set.4".into(),
                3,
                column("\"reason\":\" \"", 9),
                "/waivers/1/reason".into()
            ),
        ]
    );
}

/// A record of a type without ids, judged once the set is read (its rule reads the period), is
/// read again from its own place: records with and without ids, interleaved over many batches,
/// each found at its own line.
#[test]
fn records_without_ids_judged_with_the_set_are_found_at_their_own_lines() {
    let dir = folder("without-ids");
    let policy = dir.join("notes.bylaw");
    std::fs::write(
        &policy,
        r#"
policy "notes" {
  title "notes, some without ids"
  source "a test"
  issued 2024-01-01
}

record note {
  id: string
  type: string required
  sent: date required
}

article 1 "Notes" {
  text """一、通知在期内发出。"""
  gloss """A note is sent before the last day of the period."""

  rule 1.1 error {
    title "a note sent on the period's last day"
    on note
    require sent < period_end() else "sent on the period's last day"
  }
}
"#,
    )
    .expect("written");
    let late = |i: usize| i.is_multiple_of(7);
    let lines: Vec<String> = (0..5000)
        .map(|i| {
            let sent = if late(i) { "2024-12-31" } else { "2024-06-01" };
            let mut note = serde_json::json!({"type": "note", "sent": sent});
            if i.is_multiple_of(2) {
                note["id"] = format!("N-{i}").into();
            }
            note.to_string()
        })
        .collect();
    let path = dir.join("notes.jsonl");
    // The first line, read again, starts after a byte-order mark.
    std::fs::write(&path, format!("\u{feff}{}\n", lines.join("\n"))).expect("written");
    let policy = policy.to_str().expect("a UTF-8 path");
    for threads in ["1", "2"] {
        let period = ["--period", "2024-01-01..2024-12-31"];
        let more = [&["--policy", policy, "--threads", threads][..], &period].concat();
        let (status, report) = check(&path, &more);
        assert_eq!(status, 1);
        let found: Vec<(u64, Json, &str)> = (report["findings"].as_array().expect("findings"))
            .iter()
            .map(|f| {
                let line = f["line"].as_u64().unwrap_or(0);
                (
                    line,
                    f["record"].clone(),
                    f["pointer"].as_str().unwrap_or(""),
                )
            })
            .collect();
        let expected: Vec<(u64, Json, &str)> = (0..5000)
            .filter(|&i| late(i))
            .map(|i| {
                let id = i.is_multiple_of(2).then(|| format!("N-{i}"));
                (i as u64 + 1, id.map_or(Json::Null, Json::from), "/sent")
            })
            .collect();
        assert_eq!(found, expected, "on {threads} threads");
    }
}

/// Where a record starts in its text is not kept but found again when it is read again (after
/// the indentation of an element, after a byte-order mark): an id used again is found at its
/// own line and column in a tab-indented array, and on the first line of a file with a mark.
#[test]
fn ids_used_again_are_located_after_indentation_and_a_byte_order_mark() {
    let dir = folder("ids-again-placed");
    let records = example_meetings();
    let (a, b) = (&records[0], &records[1]);
    let id = a["id"].as_str().expect("an id");
    let array = dir.join("meetings.json");
    let pretty = serde_json::to_string_pretty(&[a, b, a]).expect("serializes");
    std::fs::write(&array, pretty.replace("  ", "\t")).expect("written");
    let lines = dir.join("meetings.jsonl");
    let line = serde_json::to_string(a).expect("serializes");
    std::fs::write(&lines, format!("\u{feff}{line}\n{line}\n")).expect("written");
    for path in [&array, &lines] {
        let text = std::fs::read_to_string(path).expect("reads");
        // The later use's `id` value: its line and its column (1-based, in characters).
        let needle = format!("\"id\": \"{id}\"");
        let needle = if path == &lines {
            needle.replace(": ", ":")
        } else {
            needle
        };
        let at = text.rfind(&needle).expect("the id again");
        let value = at + needle.len() - id.len() - 2;
        let line_start = text[..value].rfind('\n').map_or(0, |n| n + 1);
        let expected = (
            text[..value].matches('\n').count() as u64 + 1,
            text[line_start..value].chars().count() as u64 + 1,
        );
        let (_, report) = check(path, &[]);
        let again: Vec<(u64, u64)> = (report["findings"].as_array().expect("findings"))
            .iter()
            .filter(|f| f["rule"] == "set.1")
            .map(|f| {
                (
                    f["line"].as_u64().unwrap_or(0),
                    f["column"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(again, [expected], "{}", path.display());
    }
}

/// Writes at `path` the example's first meeting on a line, its `title` given `times` more times
/// (`"t0"`, `"t1"`, …), then the second meeting on the next line.
fn write_title_given_again(path: &Path, times: usize) {
    let mut meetings = example_meetings().into_iter();
    let line = serde_json::to_string(&meetings.next().expect("a meeting")).expect("JSON");
    let again: String = (0..times)
        .map(|i| format!(", \"title\": \"t{i}\""))
        .collect();
    let hostile = format!("{}{again}}}", &line[..line.len() - 1]);
    let next = serde_json::to_string(&meetings.next().expect("a second meeting")).expect("JSON");
    std::fs::write(path, format!("{hostile}\n{next}\n")).expect("writes");
}

#[test]
fn a_key_given_again_is_reported_where_it_is_given_again_each_time() {
    let dir = folder("keys-given-again");
    let first = example_meetings().into_iter().next().expect("a meeting");
    let line = serde_json::to_string(&first).expect("a record serializes");
    // The record's `title` given 20,000 more times on one line (a broken exporter's loop), and
    // `ad_hoc` once more in the record pretty-printed in an array.
    write_title_given_again(&dir.join("m.jsonl"), 20_000);
    let second = serde_json::to_string_pretty(&first).expect("JSON");
    let twice = second.replacen("\n  \"id\"", "\n  \"ad_hoc\": true,\n  \"id\"", 1);
    std::fs::write(dir.join("p.json"), format!("[\n{twice}\n]\n")).expect("writes");

    // Every one shown (by default a file shows its first 1,000 bad inputs).
    let (status, report) = check(&dir, &["--max-bad-inputs", "100000"]);
    assert_eq!(status, 2);
    let bad = bad_inputs(&report);
    let titles: Vec<&(u64, u64, String)> = (bad.iter())
        .filter(|b| b.0 == 1 && b.2.contains("the key `title` is given"))
        .collect();
    let title_columns: Vec<u64> = titles.iter().map(|b| b.1).collect();
    // Each says which giving it is.
    let says = |i: usize| {
        titles
            .get(i)
            .map(|b| b.2.split(" in one object").next().unwrap_or(""))
    };
    assert_eq!(says(0).map(|m| m.ends_with("is given twice")), Some(true));
    assert_eq!(says(1).map(|m| m.ends_with("is given 3 times")), Some(true));
    assert_eq!(
        says(19_999).map(|m| m.ends_with("is given 20001 times")),
        Some(true)
    );
    // Each giving again at its own key (after its `, `): the first after the record's fields.
    let expected: Vec<u64> = (0..20_000u64)
        .scan(line.chars().count() as u64, |column, i| {
            let key = *column + 2;
            *column += format!(", \"title\": \"t{i}\"").chars().count() as u64;
            Some(key)
        })
        .collect();
    let wrong = (title_columns.iter().zip(&expected)).position(|(got, want)| got != want);
    assert!(
        title_columns.len() == expected.len() && wrong.is_none(),
        "{} reported, first wrong: {:?}",
        title_columns.len(),
        wrong.map(|i| (title_columns[i], expected[i]))
    );
    // In the pretty array: at the key given again (before `id`), not at the first (the record's
    // keys are in order, so `ad_hoc` comes first); the file's line is the element's plus one.
    let ad_hoc = (bad.iter()).find(|b| b.2.contains("the key `ad_hoc` is given twice"));
    let lines: Vec<&str> = twice.lines().collect();
    let given_again = lines
        .iter()
        .position(|l| l.starts_with("  \"id\""))
        .map(|l| l - 1);
    let first = lines.iter().position(|l| l.starts_with("  \"ad_hoc\""));
    assert!(first < given_again, "{first:?} {given_again:?}");
    assert_eq!(
        ad_hoc.map(|b| (b.0, b.1)),
        given_again.map(|l| (l as u64 + 2, 3)),
        "{ad_hoc:?}"
    );
    // The next record is still judged.
    assert_eq!(report["summary"]["records"].as_u64(), Some(3));
}

/// A record that gives a key more times than its file shows bad inputs: the first are reported,
/// each at its place, and the others counted, never all held (an 18 MB record giving one key
/// 3 million times took 3.4 GB when every one was kept to be reported).
#[test]
fn a_key_given_again_more_times_than_are_shown_is_counted_not_kept() {
    let dir = folder("keys-given-again-beyond-shown");
    write_title_given_again(&dir.join("m.jsonl"), 5_000);

    for (shown, more) in [(100, vec!["--max-bad-inputs", "100"]), (1_000, vec![])] {
        let (status, report) = check(&dir, &more);
        assert_eq!(status, 2);
        let bad = bad_inputs(&report);
        let givings: Vec<String> = (bad.iter())
            .filter(|b| b.0 == 1 && b.2.contains("the key `title` is given"))
            .map(|b| b.2.split(" in one object").next().unwrap_or("").to_string())
            .collect();
        assert_eq!(givings.len(), shown);
        let last = format!("the key `title` is given {} times", shown + 1);
        assert!(
            givings.last().is_some_and(|m| m.ends_with(&last)),
            "{givings:?}"
        );
        // The rest said in the file's closing line, and every one counted.
        let hidden = 5_000 - shown;
        assert_eq!(bad.len(), shown + 1, "{:?}", bad.last());
        let closing = &bad[shown].2;
        assert!(
            closing.starts_with(&format!(
                "{hidden} more bad inputs after line 1 are not shown"
            )),
            "{closing}"
        );
        assert_eq!(report["summary"]["bad_inputs"].as_u64(), Some(5_000));
        // The next record is still judged.
        assert_eq!(report["summary"]["records"].as_u64(), Some(2));
    }
}

#[test]
fn a_key_given_again_inside_a_value_given_again_is_reported_in_that_value() {
    let dir = folder("keys-given-again-nested");
    let record = example_meetings().into_iter().next().expect("a meeting");
    let line = serde_json::to_string(&record).expect("a record serializes");
    // `chair` given twice, each time with `name` twice: four places, all different.
    let chair = r#"{"id": "P-001", "name": "李强", "name": "李强", "role": "mayor"}"#;
    let given = format!(r#", "chair": {chair}, "chair": {chair}}}"#);
    let text = format!("{}{given}", &line[..line.len() - 1]);
    std::fs::write(dir.join("m.jsonl"), format!("{text}\n")).expect("writes");

    let (status, report) = check(&dir, &[]);
    assert_eq!(status, 2);
    // Columns count characters; each expected place is the `n`th `"key"` after `from`.
    let column = |from: usize, key: &str, n: usize| {
        let at = (text[from..].match_indices(&format!("\"{key}\"")))
            .nth(n)
            .map(|(i, _)| from + i)
            .expect("in the text");
        text[..at].chars().count() as u64 + 1
    };
    // The record gives `chair` already: the two appended are its second and third givings.
    assert!(line.contains("\"chair\""));
    let appended = line.len() - 1;
    let mut expected = vec![
        (column(appended, "chair", 0), "chair"),
        (column(appended, "name", 1), "name"),
        (column(appended, "chair", 1), "chair"),
        (column(appended, "name", 3), "name"),
    ];
    expected.sort();
    let mut got: Vec<(u64, &str)> = (bad_inputs(&report).iter())
        .filter(|b| b.0 == 1)
        .filter_map(|b| {
            let key = ["chair", "name"]
                .into_iter()
                .find(|k| b.2.contains(&format!("the key `{k}` is given")))?;
            Some((b.1, key))
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);
}

/// The file of an id's first use rewritten between reading the files and judging the set: that
/// file is the one said to have changed (once), and each later use of the id, read as audited,
/// is still a finding, placed against the first use's line.
#[test]
fn a_first_use_whose_file_changed_is_said_of_that_file_and_the_uses_again_still_found() {
    let dir = folder("first-use-changed");
    let record =
        r#"{"type": "leave", "id": "DUP", "person": {"id": "P-1", "name": "甲", "role": "mayor"}}"#;
    let (first, later) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
    std::fs::write(&first, format!("{{}}\n{record}\n")).expect("writes");
    std::fs::write(&later, format!("{record}\n{record}\n{record}\n")).expect("writes");
    let policy = bylaw::check::load(&bylaw::policy_files::default_policy(), &[]).expect("policy");
    let judged: Vec<_> = [&first, &later]
        .iter()
        .map(|p| bylaw::audit::judge_path(&policy, p.to_path_buf(), None))
        .collect();
    std::fs::write(&first, format!("{{}}\n{}\n", record.replace("甲", "乙"))).expect("rewrites");
    let outcome = bylaw::audit::judge_files(&policy, judged, &Default::default());

    let used_again: Vec<(Option<usize>, &str)> = (outcome.findings.iter())
        .filter(|f| f.rule == "set.1")
        .map(|f| (f.line, f.message.as_str()))
        .collect();
    let first_name = first.display().to_string();
    let message = format!("id `DUP` is used again (first at {first_name}:2)");
    assert_eq!(
        used_again,
        [
            (Some(1), &*message),
            (Some(2), &*message),
            (Some(3), &*message)
        ]
    );
    let changed: Vec<&str> = (outcome.bad_inputs.iter())
        .filter(|b| b.message.contains("changed while it was audited"))
        .map(|b| b.file.as_str())
        .collect();
    assert_eq!(
        changed,
        [first_name.as_str()],
        "said once, of the file that changed"
    );
}

/// A source whose name does not tell its format is told by its first record, however many blank
/// lines come before it: JSON Lines after 100 KiB of them (more than is read at once) are still
/// read line by line, a bad line lost alone and placed at its line, from standard input and from
/// a file named `.txt` alike.
#[test]
fn json_lines_after_many_blank_lines_are_still_read_as_json_lines() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = folder("blank-lines-first");
    let text = example("meetings.jsonl");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let records = lines.len() as u64;
    lines[2] = format!("{} ,,", &lines[2][..lines[2].len() / 2]);
    let blank_lines = 50 * 1024;
    let input = " \r\n".repeat(blank_lines) + &lines.join("\n") + "\n";
    let expected = |report: &Json| {
        assert_eq!(bad_inputs(report).len(), 1, "{:?}", bad_inputs(report));
        assert_eq!(bad_inputs(report)[0].0, blank_lines as u64 + 3);
        assert_eq!(report["summary"]["records"].as_u64(), Some(records - 1));
    };

    std::fs::write(dir.join("records.txt"), &input).expect("writes");
    let (status, report) = check(&dir.join("records.txt"), &[]);
    assert_eq!(status, 2);
    expected(&report);

    let mut child = Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(["check", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("bylaw runs");
    let mut stdin = child.stdin.take().expect("its input");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("it ends");
    writer.join().expect("written").expect("written");
    assert_eq!(out.status.code(), Some(2));
    expected(&serde_json::from_slice(&out.stdout).expect("a JSON report"));
}

/// A file of a million bad lines makes a report of a thousand: the first bad inputs of a file are
/// shown each at its place (1,000, or `--max-bad-inputs`), the others counted in the summary and
/// said in one closing line; the file's good records are all still judged.
#[test]
fn a_file_of_bad_lines_shows_the_first_and_counts_them_all() {
    let dir = folder("many-bad-lines");
    let good = example("meetings.jsonl");
    let records = good.lines().count() as u64;
    let text = "x\n".repeat(3000) + &good;
    std::fs::write(dir.join("bad.jsonl"), &text).expect("writes");
    for (more, shown) in [(vec![], 1000), (vec!["--max-bad-inputs", "5"], 5)] {
        let (status, report) = check(&dir.join("bad.jsonl"), &more);
        assert_eq!(status, 2);
        assert_eq!(report["summary"]["records"].as_u64(), Some(records));
        assert_eq!(report["summary"]["bad_inputs"].as_u64(), Some(3000));
        let bad = bad_inputs(&report);
        assert_eq!(bad.len(), shown + 1, "{more:?}");
        assert!(bad[..shown]
            .iter()
            .enumerate()
            .all(|(i, b)| b.0 == i as u64 + 1));
        let hidden = 3000 - shown;
        let closing = format!("{hidden} more bad inputs after line {shown} are not shown");
        assert!(bad[shown].2.starts_with(&closing), "{:?}", bad[shown]);
    }
    let zero = Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .arg("check")
        .arg(dir.join("bad.jsonl"))
        .args(["--max-bad-inputs", "0"])
        .output()
        .expect("bylaw runs");
    assert_eq!(zero.status.code(), Some(2), "0 is refused");
}

/// A `.json` file that holds JSON Lines (as `jq -c` writes them) is read line by line: every
/// record judged as from the `.jsonl` file, where it was one bad input and none judged.
#[test]
fn a_json_file_of_json_lines_is_read_line_by_line() {
    let dir = folder("json-lines-named-json");
    let text = example("meetings.jsonl");
    std::fs::write(dir.join("meetings.jsonl"), &text).expect("writes");
    let (lines_status, as_lines) = check(&dir.join("meetings.jsonl"), &[]);
    std::fs::write(dir.join("meetings.json"), &text).expect("writes");
    let (status, as_json) = check(&dir.join("meetings.json"), &[]);
    assert_eq!(status, lines_status, "{as_json}");
    assert_eq!(as_json["summary"]["records"], 12);
    assert_eq!(as_json["summary"], as_lines["summary"]);
    assert_eq!(said(&as_json), said(&as_lines));
}

/// Records written as pretty-printed documents one after the other (as `jq '.[]'` writes an
/// export) are each a record at its own place, judged as in the array; after a document cut
/// short, the rest is one bad input where it breaks, and the records before it are judged.
#[test]
fn documents_one_after_another_are_each_a_record() {
    let dir = folder("documents-one-after-another");
    let meetings = example_meetings();
    let array = serde_json::to_string_pretty(&meetings).expect("JSON");
    std::fs::write(dir.join("array.json"), &array).expect("writes");
    let (array_status, in_array) = check(&dir.join("array.json"), &[]);
    std::fs::remove_file(dir.join("array.json")).expect("removed");
    let pretty: Vec<String> = (meetings.iter())
        .map(|m| serde_json::to_string_pretty(m).expect("JSON"))
        .collect();
    std::fs::write(dir.join("records.json"), pretty.join("\n")).expect("writes");
    let (status, one_after_another) = check(&dir.join("records.json"), &[]);
    assert_eq!(status, array_status);
    assert_eq!(one_after_another["summary"], in_array["summary"]);
    assert_eq!(said(&one_after_another), said(&in_array));
    // Each finding at the line of its own document.
    let lines_before: Vec<usize> = (pretty.iter())
        .scan(1, |line, p| {
            let first = *line;
            *line += p.lines().count();
            Some(first)
        })
        .collect();
    for f in one_after_another["findings"].as_array().expect("findings") {
        let (Some(id), Some(line)) = (f["record"].as_str(), f["line"].as_u64()) else {
            continue;
        };
        let at = meetings
            .iter()
            .position(|m| m["id"] == id)
            .expect("its record");
        let (first, last) = (
            lines_before[at],
            lines_before[at] + pretty[at].lines().count(),
        );
        assert!((first..last).contains(&(line as usize)), "{f}");
    }
    // The third cut short: two judged, the rest one bad input.
    let cut = format!(
        "{}\n{}\n{}",
        pretty[0],
        pretty[1],
        &pretty[2][..pretty[2].len() / 2]
    );
    std::fs::write(dir.join("records.json"), &cut).expect("writes");
    let (status, report) = check(&dir.join("records.json"), &[]);
    assert_eq!(status, 2);
    assert_eq!(report["summary"]["records"], 2);
    assert_eq!(bad_inputs(&report).len(), 1, "{report}");

    // Read one at a time: the limit on a record holds for each, not for the file.
    let largest = pretty.iter().map(String::len).max().unwrap_or_default();
    assert!(largest * 3 < pretty.join("\n").len());
    std::fs::write(dir.join("records.json"), pretty.join("\n")).expect("writes");
    let limit = (largest + 1).to_string();
    let (status, limited) = check(&dir.join("records.json"), &["--max-record-size", &limit]);
    assert_eq!(status, array_status);
    assert_eq!(limited["summary"], in_array["summary"]);

    // A document broken inside is one bad input, and the ones after it are judged; after one
    // whose brackets do not match, where the next starts is not known: the rest is not read,
    // and that is said.
    let lines_to = |n: usize| pretty[..n].iter().map(|p| p.lines().count()).sum::<usize>();
    let mut broken = pretty.clone();
    broken[1] = broken[1].replacen("\"id\"", "\"id\": 1,,\"again\"", 1);
    std::fs::write(dir.join("records.json"), broken.join("\n")).expect("writes");
    let (status, report) = check(&dir.join("records.json"), &[]);
    assert_eq!(status, 2);
    assert_eq!(report["summary"]["records"], meetings.len() - 1);
    let bad = bad_inputs(&report);
    assert_eq!(bad.len(), 1, "{bad:?}");
    let id_line = broken[1]
        .lines()
        .position(|l| l.contains(",,"))
        .expect("it")
        + 1;
    assert_eq!(bad[0].0 as usize, lines_to(1) + id_line, "{bad:?}");
}

/// `m` laid out a member to a line with no indentation, as `json.dumps(indent=0)` does: nested
/// objects begin lines too.
fn without_indentation(m: &Json) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"");
    let mut writer = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(m, &mut writer).expect("JSON");
    String::from_utf8(out).expect("UTF-8")
}

/// An array on one line (minified, as an exporter writes 100 MB of records) has no line to go on
/// at after a broken element: reading goes on at the next `,` then `{` that opens with the key
/// every element read so far opened with (`{"type": …`). Where the elements disagree, reading
/// stops after the broken one, and says so.
#[test]
fn a_broken_element_of_a_minified_array_loses_only_itself() {
    let dir = folder("broken-minified");
    let meetings = example_meetings();
    let n = meetings.len();
    let k = 2;
    let minified: Vec<String> = (meetings.iter())
        .map(|m| serde_json::to_string(m).expect("JSON"))
        .collect();
    let first_keys: Vec<&str> = (minified.iter())
        .map(|m| &m[..m.find(':').expect("a key")])
        .collect();
    assert!(
        first_keys.iter().all(|key| *key == first_keys[0]),
        "every element opens with the same key: {first_keys:?}"
    );
    let laid_out = |elements: &[String]| format!("[{}]", elements.join(","));
    // The columns element `k` spans on the line.
    let span_of_k = |elements: &[String]| {
        let before: usize = (elements[..k].iter()).map(|e| e.chars().count() + 1).sum();
        (before + 1, before + 1 + elements[k].chars().count())
    };
    // Each case: the text, the records judged, the bad inputs, the first one's message (or
    // part of it), and whether the first bad input lies in element `k`.
    let mut cases: Vec<(&str, String, usize, usize, &str)> = Vec::new();

    let mut wrong_bracket = minified.clone();
    assert!(wrong_bracket[k].contains("[]"), "an empty list to break");
    wrong_bracket[k] = wrong_bracket[k].replacen("[]", "{]", 1);
    cases.push((
        "a bracket closed by the wrong one",
        laid_out(&wrong_bracket),
        n - 1,
        1,
        "key must be a string",
    ));

    let mut opened_as_a_list = minified.clone();
    opened_as_a_list[k] = opened_as_a_list[k].replacen('{', "[", 1);
    cases.push((
        "an element opened as a list",
        laid_out(&opened_as_a_list),
        n - 1,
        1,
        "expected `,` or `]`",
    ));

    let mut no_brace = minified.clone();
    no_brace[k].pop();
    cases.push((
        "an element's closing brace missing",
        laid_out(&no_brace),
        n - 1,
        1,
        "the record ends where the next one begins",
    ));

    let mut trailing = minified.clone();
    trailing[k].push_str(" 17 x");
    cases.push((
        "something after an element",
        laid_out(&trailing),
        n,
        1,
        "expected `,` or `]` after a record: what follows it, up to the next record, is skipped",
    ));

    // A string's closing quote missing: the strings after it read inside out, and the brackets
    // they hide would never close the element; what follows the string that ended where it
    // should not have (a key's letter) breaks it.
    let mut quote_missing = minified.clone();
    let title = quote_missing[k].find("\"title\":\"").expect("a title") + "\"title\":\"".len();
    let end = title + quote_missing[k][title..].find('"').expect("its end");
    quote_missing[k].remove(end);
    cases.push((
        "a string's closing quote missing",
        laid_out(&quote_missing),
        n - 1,
        1,
        "a string ends right before this: a closing quote is missing before it",
    ));
    // One quote too many inside a string, not escaped: the same.
    let mut quote_unescaped = minified.clone();
    quote_unescaped[k].insert(title, '"');
    cases.push((
        "a quote inside a string not escaped",
        laid_out(&quote_unescaped),
        n - 1,
        1,
        "a string ends right before this",
    ));

    for (case, text, records, bad_count, said) in cases {
        std::fs::write(dir.join("records.json"), &text).expect("writes");
        let (from, to) = span_of_k(&minified);
        for (route, (status, report)) in [
            ("file", check(&dir.join("records.json"), &[])),
            ("standard input", check_stdin(&text, &[])),
        ] {
            let bad = bad_inputs(&report);
            assert_eq!(status, 2, "{case}, {route}");
            assert_eq!(
                report["summary"]["records"], records,
                "{case}, {route}: {bad:?}"
            );
            assert_eq!(bad.len(), bad_count, "{case}, {route}: {bad:?}");
            let (line, column, message) = &bad[0];
            assert!(message.starts_with(said), "{case}, {route}: {bad:?}");
            assert_eq!(*line, 1, "{case}, {route}");
            let column = *column as usize;
            assert!(
                (from..=to + 6).contains(&column),
                "{case}, {route}: column {column} is not in element {k} ({from}..{to})"
            );
        }
    }

    // The first element broken: no element read whole tells what the next opens with, so the key
    // the broken one opens with is the guess, and the rest is read.
    let mut first_broken = minified.clone();
    let title = first_broken[0].find("\"title\":\"").expect("a title") + "\"title\":\"".len();
    let end = title + first_broken[0][title..].find('"').expect("its end");
    first_broken[0].remove(end);
    let text = laid_out(&first_broken);
    std::fs::write(dir.join("records.json"), &text).expect("writes");
    for (route, (status, report)) in [
        ("file", check(&dir.join("records.json"), &[])),
        ("standard input", check_stdin(&text, &[])),
    ] {
        let bad = bad_inputs(&report);
        assert_eq!(status, 2, "{route}");
        assert_eq!(report["summary"]["records"], n - 1, "{route}: {bad:?}");
        assert_eq!(bad.len(), 1, "{route}: {bad:?}");
    }

    // Elements that do not open alike (the same key, written with an escape in one of them):
    // which `{` opens the next cannot be told, so reading stops after the broken element, and
    // says so.
    let mut disagreeing = wrong_bracket.clone();
    let key = first_keys[0].trim_matches(|c| c == '{' || c == '"');
    let escaped = format!("{{\"\\u{:04x}{}\"", u32::from(key.as_bytes()[0]), &key[1..]);
    disagreeing[1] = disagreeing[1].replacen(first_keys[0], &escaped, 1);
    assert_eq!(
        serde_json::from_str::<Json>(&disagreeing[1]).expect("JSON"),
        meetings[1],
        "the same record"
    );
    let text = laid_out(&disagreeing);
    std::fs::write(dir.join("records.json"), &text).expect("writes");
    let (status, report) = check(&dir.join("records.json"), &[]);
    let bad = bad_inputs(&report);
    assert_eq!(status, 2);
    assert_eq!(report["summary"]["records"], k, "{bad:?}");
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(
        bad[1].2.contains("the rest of the file is not read"),
        "{bad:?}"
    );

    // A nested object that opens as the elements do, after the break inside its element: taken
    // for the next element, it is refused at its own place, and every element after the broken
    // one is still judged (as documents, once the array is taken to have ended).
    let mut nested = minified.clone();
    nested[k] = nested[k].replacen(
        "[]",
        &format!(
            "{{],\"x\":[{{{0}:\"a\"}},{{{0}:\"b\"}}],\"y\":[]",
            &first_keys[0][1..]
        ),
        1,
    );
    let text = laid_out(&nested);
    std::fs::write(dir.join("records.json"), &text).expect("writes");
    let (status, report) = check(&dir.join("records.json"), &[]);
    let bad = bad_inputs(&report);
    assert_eq!(status, 2);
    let judged = report["summary"]["records"].as_u64().expect("a count") as usize;
    assert!(judged >= n - 1, "{judged} records judged: {bad:?}");
    let nested_at =
        (text.find(&format!("{}:\"b\"", first_keys[0]))).map(|at| text[..at].chars().count() + 1);
    assert!(
        bad.iter().any(|b| Some(b.1 as usize) == nested_at),
        "the nested object refused at its place ({nested_at:?}): {bad:?}"
    );
}

/// `bylaw check` on `text` given on standard input, with more arguments: (exit status, report).
fn check_stdin(text: &str, more: &[&str]) -> (i32, Json) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(["check", "-", "--format", "json"])
        .args(more)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("bylaw runs");
    let mut stdin = child.stdin.take().expect("its input");
    let text = text.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().expect("it ends");
    writer.join().expect("written").expect("written");
    let report = serde_json::from_slice(&out.stdout).expect("a JSON report");
    (out.status.code().expect("exits"), report)
}

/// Exports joined as tools join them — arrays one after the other (`cat a.json b.json`),
/// documents glued on one line (`jq -j`), a compact document before pretty ones, a byte-order
/// mark where files were joined, records separated by commas with no array around them — are
/// every record read, from a file and from standard input alike. A document broken where the next cannot be told from it (a bracket that closes the
/// wrong one, a string that runs past its line, a closing brace missing, a stray bracket) is one
/// bad input where it breaks, and reading goes on at the next line that begins a record.
#[test]
fn joined_exports_are_read_whole_and_broken_documents_lose_only_themselves() {
    let dir = folder("joined-exports");
    let meetings = example_meetings();
    let n = meetings.len();
    let pretty: Vec<String> = (meetings.iter())
        .map(|m| serde_json::to_string_pretty(m).expect("JSON"))
        .collect();
    let compact: Vec<String> = (meetings.iter())
        .map(|m| serde_json::to_string(m).expect("JSON"))
        .collect();
    let lines_before = |i: usize| -> usize { pretty[..i].iter().map(|p| p.lines().count()).sum() };
    let line_of = |doc: &str, needle: &str| doc.lines().position(|l| l.contains(needle));
    let arrays = [&meetings[..5], &meetings[5..]]
        .map(|part| serde_json::to_string_pretty(part).expect("JSON"))
        .join("\n");
    let mixed = format!("{}\n{}", compact[0], pretty[1..].join("\n"));
    let bom = format!(
        "\u{feff}{}\n\u{feff}{}",
        pretty[..6].join("\n"),
        pretty[6..].join("\n")
    );
    // Each case: the text, the records judged, and the line of its one bad input.
    let mut cases: Vec<(&str, String, usize, Option<usize>)> = vec![
        ("two arrays", arrays, n, None),
        ("glued", compact.concat(), n, None),
        ("compact then pretty", mixed, n, None),
        ("byte-order marks", bom, n, None),
    ];
    let mut wrong_bracket = pretty.clone();
    let opening_line = line_of(&pretty[2], "[").expect("a list") + 1;
    wrong_bracket[2] = wrong_bracket[2].replacen('[', "{", 1);
    // `{` opens an object, which `]` does not close (`"absences": {]`).
    assert!(pretty[2].contains("[]"));
    cases.push((
        "a bracket closed by the wrong one",
        wrong_bracket.join("\n"),
        n - 1,
        Some(lines_before(2) + opening_line),
    ));
    let mut open_string = pretty.clone();
    let id = meetings[2]["id"].as_str().expect("an id");
    open_string[2] = open_string[2].replacen(&format!("\"{id}\""), &format!("\"{id}"), 1);
    let id_line = line_of(&open_string[2], id).expect("its id") + 1;
    cases.push((
        "a string that runs past its line",
        open_string.join("\n"),
        n - 1,
        Some(lines_before(2) + id_line),
    ));
    let mut no_brace = pretty.clone();
    no_brace[2].pop();
    let last_line = no_brace[2].lines().count();
    cases.push((
        "a closing brace missing",
        no_brace.join("\n"),
        n - 1,
        Some(lines_before(2) + last_line),
    ));
    let stray = format!("{}\n}}\n{}", pretty[..3].join("\n"), pretty[3..].join("\n"));
    cases.push(("a stray brace", stray, n, Some(lines_before(3) + 1)));
    // Said once, at the first comma (after the first record's closing brace).
    cases.push((
        "commas between records",
        pretty.join(",\n"),
        n,
        Some(lines_before(1)),
    ));
    let mut first_open = pretty.clone();
    first_open[0].pop();
    let last_line = first_open[0].lines().count();
    cases.push((
        "the first record's closing brace missing",
        first_open.join("\n"),
        n - 1,
        Some(last_line),
    ));
    // Laid out with no indentation (`json.dumps(indent=0)`): nested objects begin lines too, and
    // a bracket closing the wrong one loses only its own record.
    let flat: Vec<String> = (meetings.iter()).map(without_indentation).collect();
    cases.push(("no indentation", flat.join("\n"), n, None));
    let mut flat_broken = flat.clone();
    flat_broken[2] = flat_broken[2].replacen('[', "{", 1);
    cases.push((
        "no indentation, a wrong bracket",
        flat_broken.join("\n"),
        n - 1,
        None,
    ));
    for (case, text, records, bad_line) in cases {
        std::fs::write(dir.join("records.json"), &text).expect("writes");
        for (route, (status, report)) in [
            ("file", check(&dir.join("records.json"), &[])),
            ("standard input", check_stdin(&text, &[])),
        ] {
            assert_eq!(report["summary"]["records"], records, "{case}, {route}");
            let bad = bad_inputs(&report);
            let expected_bad = usize::from(records < n || bad_line.is_some());
            assert_eq!(bad.len(), expected_bad, "{case}, {route}: {bad:?}");
            assert_eq!(
                status,
                if expected_bad > 0 { 2 } else { 1 },
                "{case}, {route}"
            );
            if let Some(line) = bad_line {
                assert_eq!(bad[0].0 as usize, line, "{case}, {route}: {bad:?}");
            }
        }
    }

    // Every record but the first missing its closing brace: each one bad input, read in time
    // and memory linear in the file (each was read to the end of the file again).
    let open: Vec<String> = (0..400)
        .map(|i| {
            let mut doc = pretty[i % n].clone();
            if i > 0 {
                doc.pop();
            }
            doc
        })
        .collect();
    std::fs::write(dir.join("records.json"), open.join("\n")).expect("writes");
    let (status, report) = check(&dir.join("records.json"), &[]);
    assert_eq!(status, 2);
    assert_eq!(report["summary"]["records"], 1);
    assert_eq!(report["summary"]["bad_inputs"], 399);
}

/// An array element broken where the next cannot be told from its brackets loses only itself
/// when the array is pretty-printed: reading goes on at the next element, the one after a
/// missing closing brace (`,` then `{` in an object) or the next line that begins as the
/// element's own did. Where nested values begin lines as elements do (no indentation), the rest
/// of the file is not read, and that is said: it would be read as elements of its own.
#[test]
fn a_broken_element_of_a_pretty_printed_array_loses_only_itself() {
    let dir = folder("broken-element");
    let meetings = example_meetings();
    let n = meetings.len();
    let laid_out = |elements: &[String]| format!("[\n{}\n]", elements.join(",\n"));
    let indented = |m: &Json| {
        let pretty = serde_json::to_string_pretty(m).expect("JSON");
        (pretty.lines())
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let pretty: Vec<String> = meetings.iter().map(indented).collect();
    assert_eq!(
        laid_out(&pretty),
        serde_json::to_string_pretty(&meetings).expect("JSON"),
        "laid out as serde_json lays out an array"
    );
    let line_of = |text: &str, needle: &str| {
        let at = text.find(needle).expect("the needle");
        text[..at].lines().count() + usize::from(text[..at].ends_with('\n'))
    };
    let k = 2;
    // Each case: the text, the records judged, the bad inputs, and the line of the first.
    let mut cases: Vec<(&str, String, usize, usize, Option<usize>)> = Vec::new();
    // What the first bad input says, where it is not serde_json's word on a bracket.
    let said = |case: &str| match case {
        "an element's closing brace missing" | "a nested object's closing brace missing" => {
            Some("the record ends where the next one begins: a closing `}` or `]` is missing")
        }
        "a string that runs past its line" => {
            Some("a string runs past the end of its line: its closing quote is missing")
        }
        _ => None,
    };

    let mut wrong_bracket = pretty.clone();
    assert!(wrong_bracket[k].contains("[]"), "an empty list to break");
    wrong_bracket[k] = wrong_bracket[k].replacen("[]", "{]", 1);
    let text = laid_out(&wrong_bracket);
    let line = line_of(&text, "{]");
    cases.push((
        "a bracket closed by the wrong one",
        text,
        n - 1,
        1,
        Some(line),
    ));

    let mut no_brace = pretty.clone();
    no_brace[k].pop();
    // The element ends at the comma before the next element's line, where its parse stops: the
    // line of its closing brace.
    let line = 1
        + (pretty[..=k].iter())
            .map(|e| e.lines().count())
            .sum::<usize>();
    let text = laid_out(&no_brace);
    cases.push((
        "an element's closing brace missing",
        text,
        n - 1,
        1,
        Some(line),
    ));

    let mut nested_open = pretty.clone();
    let closing = "\n    },\n";
    assert!(nested_open[k].contains(closing), "a nested object to break");
    nested_open[k] = nested_open[k].replacen(closing, "\n    ,\n", 1);
    cases.push((
        "a nested object's closing brace missing",
        laid_out(&nested_open),
        n - 1,
        1,
        None,
    ));

    let mut open_string = pretty.clone();
    let id = meetings[k]["id"].as_str().expect("an id");
    open_string[k] = open_string[k].replacen(&format!("\"{id}\""), &format!("\"{id}"), 1);
    let text = laid_out(&open_string);
    let line = line_of(&text, &format!("\"{id},\n"));
    cases.push((
        "a string that runs past its line",
        text,
        n - 1,
        1,
        Some(line),
    ));

    let mut one_line: Vec<String> = (meetings.iter())
        .map(|m| format!("  {}", serde_json::to_string(m).expect("JSON")))
        .collect();
    one_line[k] = one_line[k].replacen("[]", "{]", 1);
    cases.push((
        "one line an element",
        laid_out(&one_line),
        n - 1,
        1,
        Some(k + 2),
    ));

    // `json.dumps(indent=0)`: a nested value's line begins as an element's does, so the next
    // element is found by the key every element opens with (see the test below).
    let flat: Vec<String> = (meetings.iter()).map(without_indentation).collect();
    let mut flat_broken = flat.clone();
    flat_broken[k] = flat_broken[k].replacen("[]", "{]", 1);
    cases.push(("no indentation", laid_out(&flat_broken), n - 1, 1, None));

    for (case, text, records, bad_count, line) in cases {
        std::fs::write(dir.join("records.json"), &text).expect("writes");
        for (route, (status, report)) in [
            ("file", check(&dir.join("records.json"), &[])),
            ("standard input", check_stdin(&text, &[])),
        ] {
            let bad = bad_inputs(&report);
            assert_eq!(
                report["summary"]["records"], records,
                "{case}, {route}: {bad:?}"
            );
            assert_eq!(bad.len(), bad_count, "{case}, {route}: {bad:?}");
            assert_eq!(status, 2, "{case}, {route}");
            if let Some(line) = line {
                assert_eq!(bad[0].0 as usize, line, "{case}, {route}: {bad:?}");
            }
            if let Some(said) = said(case) {
                assert_eq!(bad[0].2, said, "{case}, {route}");
            }
            let rest_unread = bad
                .iter()
                .any(|b| b.2.contains("the rest of the file is not read"));
            assert_eq!(rest_unread, records < n - 1, "{case}, {route}: {bad:?}");
        }
    }

    // Every element but the first missing its closing brace: each one bad input, each read
    // once, and every one after it still read.
    let open: Vec<String> = (0..400)
        .map(|i| {
            let mut element = pretty[i % n].clone();
            if i > 0 && i < 399 {
                element.pop();
            }
            element
        })
        .collect();
    std::fs::write(dir.join("records.json"), laid_out(&open)).expect("writes");
    let (status, report) = check(&dir.join("records.json"), &[]);
    assert_eq!(status, 2);
    assert_eq!(report["summary"]["records"], 2);
    assert_eq!(report["summary"]["bad_inputs"], 398);
}
