//! Hostile terminals, with the real binary: long lines (the windowed source), a report whose
//! reader goes away or whose disk is full, record values that carry terminal commands, and a
//! report written among the records it checks.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use unicode_width::UnicodeWidthStr;

const EXAMPLE: &str = "fixtures/example/meetings-2011-q3.json";

/// A fresh folder for one test, under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("terminal-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn example_records() -> Vec<serde_json::Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    let text = std::fs::read_to_string(path).expect("the example exists");
    serde_json::from_str(&text).expect("the example is an array")
}

/// The example's records, `copies` times over with fresh ids, as one line of minified JSON.
fn minified(copies: usize) -> String {
    let mut all = Vec::new();
    for k in 0..copies {
        for mut record in example_records() {
            let id = record["id"].as_str().unwrap_or("").to_string();
            record["id"] = format!("{id}-{k}").into();
            all.push(record);
        }
    }
    serde_json::to_string(&all).expect("records serialize")
}

/// The example's records as JSON Lines: one long line each (about 1,000 characters).
fn json_lines() -> String {
    example_records()
        .iter()
        .map(|r| serde_json::to_string(r).expect("a record serializes") + "\n")
        .collect()
}

fn bylaw(dir: &Path, args: &[&str], columns: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bylaw"));
    command.args(args).current_dir(dir).stdin(Stdio::null());
    match columns {
        Some(c) => command.env("COLUMNS", c),
        None => command.env_remove("COLUMNS"),
    };
    command.output().expect("the binary runs")
}

fn widest(text: &str) -> usize {
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

/// The lines of snippets that show source text (` 12 │ …`).
fn source_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| {
        l.split_once(" │ ").is_some_and(|(n, _)| {
            !n.trim().is_empty() && n.trim().bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// The `file:line:column` of every snippet header.
fn headers(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once("╭─[").map(|(_, rest)| rest))
        .map(|rest| rest.trim_end_matches(']').to_string())
        .collect()
}

fn json_positions(dir: &Path, file: &str) -> Vec<String> {
    let out = bylaw(dir, &["check", file, "--format", "json"], None);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let findings = doc["findings"].as_array().cloned().unwrap_or_default();
    findings
        .iter()
        .filter(|f| f["line"].is_u64())
        .map(|f| {
            format!(
                "{}:{}:{}",
                f["file"].as_str().unwrap_or(""),
                f["line"],
                f["column"]
            )
        })
        .collect()
}

#[test]
fn a_minified_export_past_column_65535_is_reported_not_a_panic() {
    let dir = scratch("minified");
    let text = minified(12);
    assert!(text.len() > 100_000 && !text.contains('\n'));
    std::fs::write(dir.join("export.json"), &text).expect("written");
    let out = bylaw(&dir, &["check", "export.json", "--color", "never"], None);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    // Findings far past column 65,535 are there, each header at the JSON report's place.
    let shown = headers(&report);
    assert!(shown.iter().any(|h| {
        let column: usize = h
            .rsplit(':')
            .next()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        column > 65_535
    }));
    assert_eq!(shown, json_positions(&dir, "export.json"));
    // Every source line of a snippet within the default width of 100 columns.
    for line in source_lines(&report) {
        assert!(line.width() <= 100, "{line}");
    }
    let first: String = report.split("38.1 ·").next().unwrap_or("").to_string();
    insta::assert_snapshot!("minified_export_first_finding", first);
}

/// One record on one long line with thousands of findings (a department meeting with 3,000
/// city leaders among its members, a record of a hostile or broken export): every finding is
/// reported at its own member, the snippet header at the JSON report's place, each snippet
/// within the width and showing the member it blames.
#[test]
fn thousands_of_findings_on_one_long_line_are_each_at_their_place() {
    let dir = scratch("many-findings");
    let mut record = example_records()
        .into_iter()
        .find(|r| r["kind"] == "department")
        .expect("the example has a department meeting");
    let leaders = 3_000;
    record["members"] = (0..leaders)
        .map(|i| serde_json::json!({"id": format!("P-{}", 2 + i % 3), "name": format!("副市长{i}"), "role": "vice_mayor"}))
        .collect();
    let line = serde_json::to_string(&record).expect("a record serializes");
    assert!(line.len() > 150_000);
    std::fs::write(dir.join("meetings.jsonl"), format!("{line}\n")).expect("written");

    let out = bylaw(&dir, &["check", "meetings.jsonl", "--format", "json"], None);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let at_members: Vec<(String, u64)> = (doc["findings"].as_array().expect("findings"))
        .iter()
        .filter(|f| f["rule"] == "55.1")
        .map(|f| {
            (
                f["pointer"].as_str().unwrap_or("").to_string(),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // Where each member starts on the line, in characters, as the report counts columns.
    let starts: Vec<(String, u64)> = (0..leaders)
        .map(|i| {
            let member = format!("{{\"id\":\"P-{}\",\"name\":\"副市长{i}\",", 2 + i % 3);
            let at = line.find(&member).expect("the member is on the line");
            (
                format!("/members/{i}"),
                line[..at].chars().count() as u64 + 1,
            )
        })
        .collect();
    assert_eq!(at_members.len(), leaders);
    assert_eq!(
        at_members.iter().collect::<std::collections::BTreeSet<_>>(),
        starts.iter().collect(),
    );

    let out = bylaw(
        &dir,
        &["check", "meetings.jsonl", "--color", "never"],
        Some("80"),
    );
    assert_eq!(out.status.code(), Some(0), "warnings only");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(headers(&report), json_positions(&dir, "meetings.jsonl"));
    for line in source_lines(&report) {
        assert!(line.width() <= 80, "{line}");
    }
    for i in [0, 1_234, leaders - 1] {
        assert!(
            source_lines(&report).any(|l| l.contains(&format!("\"副市长{i}\""))),
            "member {i} is shown"
        );
    }
}

#[test]
fn json_lines_show_only_the_record_line_windowed_to_the_width() {
    let dir = scratch("lines");
    std::fs::write(dir.join("meetings.jsonl"), json_lines()).expect("written");
    for columns in ["60", "100"] {
        let out = bylaw(
            &dir,
            &["check", "meetings.jsonl", "--color", "never"],
            Some(columns),
        );
        assert_eq!(out.status.code(), Some(1));
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(headers(&report), json_positions(&dir, "meetings.jsonl"));
        let width: usize = columns.parse().unwrap_or(0);
        for line in report
            .lines()
            .filter(|l| l.contains(" │ ") || l.contains(" · "))
        {
            assert!(line.width() <= width, "{line}");
        }
        insta::assert_snapshot!(format!("json_lines_at_{columns}_columns"), report);
    }
}

#[test]
fn a_huge_columns_value_is_clamped_not_a_panic() {
    let dir = scratch("columns");
    std::fs::write(dir.join("export.json"), minified(12)).expect("written");
    for columns in ["1000000", "0", "5", "wide"] {
        let out = bylaw(
            &dir,
            &["check", "export.json", "--color", "never"],
            Some(columns),
        );
        assert_eq!(out.status.code(), Some(1), "COLUMNS={columns}");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(widest(&report) > 0);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_standard_output_exits_2_with_a_message() {
    for args in [
        &["check", "fixtures/example"][..],
        &["check", "fixtures/example", "--format", "sarif"],
        &["rules"],
        &["coverage", "--format", "json"],
        &["explain", "38"],
        &["explain", "38.1"],
        &["explain", "38.1", "--example", "fail"],
        &["verify"],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full opens");
        let out = Command::new(env!("CARGO_BIN_EXE_bylaw"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "bylaw {args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "bylaw {args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "bylaw {args:?}: {stderr}");
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_report_quietly() {
    let dir = scratch("pipe");
    // Far more output than a pipe holds, so the binary is still writing when the pipe closes.
    std::fs::write(dir.join("export.json"), minified(12)).expect("written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(["check", "export.json", "--color", "never"])
        .current_dir(&dir)
        .env_remove("COLUMNS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut pipe = child.stdout.take().expect("a pipe");
    let mut head = [0u8; 64];
    pipe.read_exact(&mut head).expect("the report starts");
    drop(pipe);
    let out = child.wait_with_output().expect("the binary finishes");
    // The verdict stands (findings: 1), and nothing is said about the closed pipe.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// A record whose values carry a screen clear, a window-title command with a bell, a one-byte
/// CSI and a right-to-left override; and a JSON Lines file with a raw escape on a bad line.
fn hostile(dir: &Path) {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE))
        .expect("the example exists");
    let text = text.replace(
        "杨帆",
        r"\u001b[2J\u001b]0;owned\u0007杨帆\u009b31m\u202edeh\u200b",
    );
    std::fs::write(dir.join("meetings.json"), text).expect("written");
    std::fs::write(
        dir.join("bad.jsonl"),
        "{\"type\": \"meeting\", \"id\": \"X\u{1b}[31m\u{202e}\", oops}\n",
    )
    .expect("written");
}

fn assert_clean(format: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\u{200b}'] {
        assert!(
            !text.contains(bad),
            "{format} report holds U+{:04X}:\n{text}",
            bad as u32
        );
    }
}

#[test]
fn record_values_cannot_command_the_terminal() {
    let dir = scratch("hostile");
    hostile(&dir);
    for format in ["human", "github", "junit"] {
        let out = bylaw(
            &dir,
            &["check", ".", "--format", format, "--color", "never"],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert_clean(format, &out.stdout);
        assert_clean(format, &out.stderr);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(r"\u{1b}[2J"), "{format}: {text}");
        let bidi = if format == "junit" {
            "&lt;U+202E&gt;"
        } else {
            "<U+202E>"
        };
        assert!(text.contains(bidi), "{format}: {text}");
    }
    // JUnit stays well-formed XML 1.0: no control character, not even as a reference.
    let out = bylaw(&dir, &["check", ".", "--format", "junit"], None);
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(!xml.contains("&#x1b;") && !xml.contains("&#27;"));
    assert!(!xml
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')));
}

#[test]
fn a_report_written_among_the_records_is_not_read_back() {
    let dir = scratch("output");
    std::fs::create_dir_all(dir.join("records")).expect("a folder");
    std::fs::write(dir.join("records/meetings.jsonl"), json_lines()).expect("written");
    let run = || {
        let out = bylaw(
            &dir,
            &[
                "check",
                "records",
                "-o",
                "records/report.json",
                "--format",
                "json",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(1));
        let text = std::fs::read_to_string(dir.join("records/report.json")).expect("a report");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        doc["summary"].clone()
    };
    let first = run();
    let second = run();
    assert_eq!(first["records"], second["records"]);
    assert_eq!(second["bad_inputs"], 0);
    assert_eq!(second["files"], 1);
    // The report is counted as ignored once it exists.
    assert_eq!(
        second["ignored_files"],
        first["ignored_files"].as_u64().unwrap_or(0) + 1
    );
}

/// The realistic export of `fixtures/export`, written as an exporter writes it: one JSON Lines
/// file per record type.
fn export_as_json_lines(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/export");
    let mut by_type: std::collections::BTreeMap<String, String> = Default::default();
    for entry in walk(&root) {
        let text = std::fs::read_to_string(&entry).expect("an export file");
        let records: Vec<serde_json::Value> = match entry.extension().and_then(|e| e.to_str()) {
            Some("json") => match serde_json::from_str(&text).expect("JSON") {
                serde_json::Value::Array(items) => items,
                one => vec![one],
            },
            Some("jsonl") => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).expect("a JSON line"))
                .collect(),
            _ => continue,
        };
        for record in records {
            let kind = record["type"].as_str().unwrap_or("other").to_string();
            let line = serde_json::to_string(&record).expect("a record serializes");
            by_type.entry(kind).or_default().push_str(&(line + "\n"));
        }
    }
    for (kind, lines) in by_type {
        std::fs::write(dir.join(format!("{kind}s.jsonl")), lines).expect("written");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn the_export_as_json_lines_reads_well_on_a_terminal() {
    let dir = scratch("export-jsonl");
    export_as_json_lines(&dir);
    let out = bylaw(&dir, &["check", ".", "--color", "never"], None);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(widest(&text) <= 100, "a line of {} columns", widest(&text));
    let json = bylaw(&dir, &["check", ".", "--format", "json"], None);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("a JSON report");
    let findings = doc["findings"].as_array().cloned().unwrap_or_default();
    assert!(findings.len() >= 5, "the export's planted findings");
    // Every located finding's header: the rule, the article, the record, and the JSON report's
    // file:line:column.
    let headers = headers(&text);
    for f in findings.iter().filter(|f| f["line"].is_u64()) {
        let place = format!(
            "{}:{}:{}",
            f["file"].as_str().unwrap_or(""),
            f["line"],
            f["column"]
        );
        assert!(headers.contains(&place), "no header at {place}");
        let title = format!(
            "{} · article {} · {}",
            f["rule"].as_str().unwrap_or(""),
            f["article"],
            f["record"].as_str().unwrap_or("")
        );
        assert!(text.contains(&title), "no header {title:?}");
    }
    // Each finding keeps its message, how to comply and the article's words.
    assert_eq!(text.matches("help: ").count(), findings.len());
    assert!(text.matches("article 52 (").count() >= 1);
    let per_finding = text.len() / findings.len();
    assert!(per_finding <= 1_500, "{per_finding} bytes per finding");
}
