//! The real binary: exit statuses, machine formats, standard input, usage errors.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bylaw(args: &[&str], stdin: Option<&str>) -> Output {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    bylaw_in(root, args, stdin.unwrap_or(""))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn example_fails_with_findings_in_json() {
    let out = bylaw(&["check", "fixtures/example", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["policy"]["source"], "连政发〔2011〕96号");
    assert!(doc["summary"]["errors"].as_u64().unwrap_or(0) > 0);
    let first = &doc["findings"][0];
    for key in [
        "rule", "article", "severity", "waived", "message", "record", "file", "line", "column",
        "pointer",
    ] {
        assert!(first.get(key).is_some(), "finding lacks `{key}`: {first}");
    }
}

#[test]
fn one_thread_or_many_give_the_same_bytes() {
    let all = stdout(&bylaw(&["check", "fixtures", "--format", "json"], None));
    for threads in ["1", "3"] {
        let some = bylaw(
            &[
                "check",
                "fixtures",
                "--format",
                "json",
                "--threads",
                threads,
            ],
            None,
        );
        assert_eq!(stdout(&some), all, "--threads {threads}");
    }
    for refused in ["0", "1025", "99999999999", "many"] {
        let out = bylaw(&["check", "fixtures", "--threads", refused], None);
        assert_eq!(out.status.code(), Some(2), "--threads {refused}");
    }
}

#[test]
fn the_order_of_the_inputs_on_the_command_line_does_not_change_the_bytes() {
    let inputs = [
        "fixtures/export/meetings.json",
        "fixtures/export/documents",
        "fixtures/export/leave.jsonl",
    ];
    let report = |order: &[&str], threads: &str| {
        let mut args = vec!["check"];
        args.extend_from_slice(order);
        args.extend(["--format", "json", "--threads", threads]);
        let out = bylaw(&args, None);
        assert_eq!(out.status.code(), Some(1), "the export has findings");
        stdout(&out)
    };
    let first = report(&inputs, "2");
    let mut reversed = inputs;
    reversed.reverse();
    for threads in ["1", "2"] {
        assert_eq!(
            report(&reversed, threads),
            first,
            "reversed, --threads {threads}"
        );
        let rotated = [inputs[1], inputs[2], inputs[0]];
        assert_eq!(
            report(&rotated, threads),
            first,
            "rotated, --threads {threads}"
        );
    }
    // Bad input in two files, and a file named twice: its bad input comes in the order of the
    // paths, under the file's shortest name, however the command line lists them.
    let bad = [
        "fixtures/bad/missing-required.json",
        "fixtures/bad/../bad/malformed.json",
        "fixtures/bad/malformed.json",
    ];
    let said = |order: &[&str]| {
        let mut args = vec!["check"];
        args.extend_from_slice(order);
        args.extend(["--format", "json"]);
        let out = bylaw(&args, None);
        assert_eq!(out.status.code(), Some(2), "bad input");
        stdout(&out)
    };
    let first = said(&bad);
    assert!(!first.contains("/../"), "{first}");
    for order in [[bad[2], bad[1], bad[0]], [bad[1], bad[0], bad[2]]] {
        assert_eq!(said(&order), first, "{order:?}");
    }
}

/// A record file is known by its ending in any case: an export written as `EXPORT.JSON` in a
/// folder is read, not ignored (a folder of them passed green, having read nothing).
#[test]
fn a_record_ending_in_capitals_is_read_in_a_folder() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("capital-endings");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let failing = "fixtures/fail/38.1/chair-is-vice-mayor.json";
    std::fs::copy(failing, dir.join("EXPORT.JSON")).expect("copied");
    let line = serde_json::to_string(
        &serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(failing).unwrap())
            .unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("More.JsonL"), line.replace("EXEC-", "X-") + "\n").expect("written");
    let out = bylaw(
        &[
            "check",
            dir.to_str().expect("a UTF-8 path"),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(report["summary"]["files"], 2, "{report}");
    assert_eq!(report["summary"]["records"], 2, "{report}");
}

#[test]
fn same_input_gives_the_same_bytes() {
    let a = stdout(&bylaw(
        &["check", "fixtures/example", "--format", "json"],
        None,
    ));
    let b = stdout(&bylaw(
        &["check", "fixtures/example", "--format", "json"],
        None,
    ));
    assert_eq!(a, b);
}

#[test]
fn jsonl_ends_with_the_summary() {
    let out = bylaw(&["check", "fixtures/example", "--format", "jsonl"], None);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let last: serde_json::Value =
        serde_json::from_str(lines.last().copied().unwrap_or("")).expect("summary line");
    assert!(last["summary"]["records"].as_u64().unwrap_or(0) > 0);
    let findings = lines.len() - 1;
    let full: serde_json::Value = serde_json::from_str(&stdout(&bylaw(
        &["check", "fixtures/example", "--format", "json"],
        None,
    )))
    .expect("json");
    assert_eq!(full["findings"].as_array().map(Vec::len), Some(findings));
}

#[test]
fn passing_records_exit_0_and_bad_input_exits_2() {
    assert_eq!(
        bylaw(
            &["check", "fixtures/pass/meetings/briefing-monday-0830.json"],
            None
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        bylaw(&["check", "fixtures/bad"], None).status.code(),
        Some(2)
    );
    assert_eq!(
        bylaw(&["check", "no/such/folder"], None).status.code(),
        Some(2)
    );
}

#[test]
fn warnings_fail_only_when_denied() {
    let file = "fixtures/fail/40.4/wednesday-afternoon.json";
    assert_eq!(bylaw(&["check", file], None).status.code(), Some(0));
    assert_eq!(
        bylaw(&["check", file, "--deny-warnings"], None)
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn standard_input_is_json_lines() {
    let record = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/fail/45.3/in-name-of-city-government.json"
    ))
    .expect("fixture");
    let value: serde_json::Value = serde_json::from_str(&record).expect("fixture parses");
    let records = value.as_array().cloned().unwrap_or_else(|| vec![value]);
    let lines: String = records.iter().map(|r| format!("{r}\n")).collect();
    let out = bylaw(&["check", "-", "--format", "jsonl"], Some(&lines));
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("\"rule\":\"45.3\""));
    assert!(stdout(&out).contains("\"file\":\"<stdin>\""));
}

#[test]
fn an_example_pipes_into_check_as_pretty_printed_json() {
    let example = bylaw(&["explain", "38.1", "--example", "fail"], None);
    assert_eq!(example.status.code(), Some(0));
    let record = stdout(&example);
    assert!(record.starts_with("{\n"), "pretty-printed: {record}");
    let out = bylaw(&["check", "-", "--format", "jsonl"], Some(&record));
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("\"rule\":\"38.1\""));
    let pass = stdout(&bylaw(&["explain", "38.1", "--example", "pass"], None));
    assert_eq!(bylaw(&["check", "-"], Some(&pass)).status.code(), Some(0));
}

#[test]
fn ci_formats_keep_the_exit_status() {
    for (format, marker) in [
        ("sarif", "\"version\": \"2.1.0\""),
        ("junit", "<testsuites"),
        ("github", "::error file=fixtures/example/"),
    ] {
        let out = bylaw(&["check", "fixtures/example", "--format", format], None);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(stdout(&out).contains(marker), "{format}: {}", stdout(&out));
    }
    let bad = bylaw(&["check", "fixtures/bad", "--format", "sarif"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stdout(&bad).contains("\"executionSuccessful\": false"));
}

#[test]
fn a_report_can_go_to_a_file() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.sarif");
    let _ = std::fs::remove_file(&path);
    let target = path.display().to_string();
    let out = bylaw(
        &[
            "check",
            "fixtures/example",
            "--format",
            "sarif",
            "-o",
            &target,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "the exit status is the audit's");
    assert!(out.stdout.is_empty(), "nothing on standard output");
    let written = std::fs::read_to_string(&path).expect("the report file");
    assert!(written.contains("\"version\": \"2.1.0\""));
    let unwritable = bylaw(
        &[
            "check",
            "fixtures/example",
            "-o",
            "no/such/folder/report.txt",
        ],
        None,
    );
    assert_eq!(unwritable.status.code(), Some(2));
}

/// Every report is written as it is made, to standard output (a pipe here) and to a file alike:
/// the same bytes either way, and a JSON report that is one document ending in a line break.
#[test]
fn a_report_on_standard_output_is_the_one_written_to_a_file() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-both-ways");
    std::fs::create_dir_all(&dir).expect("a folder");
    // Findings, and bad input.
    for (records, status) in [("fixtures/example", 1), ("fixtures/bad", 2)] {
        for format in ["json", "jsonl", "github", "sarif", "junit", "html", "human"] {
            let path = dir.join(format!("report.{format}"));
            let target = path.display().to_string();
            let args = ["check", records, "--format", format];
            let piped = bylaw(&args, None);
            let to_file = bylaw(&[&args[..], &["-o", &target]].concat(), None);
            assert_eq!(piped.status.code(), Some(status), "{records} {format}");
            assert_eq!(to_file.status.code(), Some(status), "{records} {format}");
            let written = std::fs::read(&path).expect("the report file");
            assert!(!written.is_empty(), "{records} {format}");
            assert_eq!(piped.stdout, written, "{records} {format}");
        }
        let json = std::fs::read_to_string(dir.join("report.json")).expect("the JSON report");
        let document: serde_json::Value = serde_json::from_str(&json).expect("one JSON document");
        let listed = |key: &str| document[key].as_array().map_or(0, Vec::len);
        assert!(listed("findings") + listed("bad_inputs") > 0, "{records}");
        assert!(json.ends_with("}\n"), "{records}");
    }
}

/// A report is never written over the records it audits: `-o` naming a record file the run
/// reads — on the command line, through a link, or found in a folder — stops before anything is
/// read or written (it replaced the records and passed green, having read none). A report of an
/// earlier run in the folder is not read as records, and is written over.
#[test]
fn a_report_never_overwrites_the_records_it_checks() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-over-records");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let records = std::fs::read_to_string("fixtures/fail/38.1/chair-is-vice-mayor.json")
        .expect("a failing record");
    std::fs::write(dir.join("records.json"), &records).expect("written");
    #[cfg(unix)]
    std::os::unix::fs::symlink("records.json", dir.join("link.json")).expect("a link");
    let mut cases = vec![
        vec!["check", "records.json", "-o", "records.json"],
        vec!["check", ".", "-o", "records.json", "--format", "json"],
        vec!["check", "records.json", "-o", "./records.json"],
    ];
    if cfg!(unix) {
        cases.push(vec!["check", "records.json", "-o", "link.json"]);
    }
    for args in cases {
        let out = bylaw_in(&dir, &args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("a file of records this run checks"),
            "{args:?}: {said}"
        );
        let kept = std::fs::read_to_string(dir.join("records.json")).expect("still there");
        assert_eq!(kept, records, "{args:?}: the records are untouched");
    }
    // Standard input redirected from the records: the same file.
    for output in ["records.json", "/dev/stdin"] {
        let out = Command::new(env!("CARGO_BIN_EXE_bylaw"))
            .args(["check", "-", "-o", output])
            .current_dir(&dir)
            .stdin(std::fs::File::open(dir.join("records.json")).expect("the records"))
            .output()
            .expect("bylaw runs");
        assert_eq!(out.status.code(), Some(2), "- -o {output}");
        let kept = std::fs::read_to_string(dir.join("records.json")).expect("still there");
        assert_eq!(kept, records, "- -o {output}: the records are untouched");
    }
    // Records after a line that looks like a finding of a JSON Lines report are records.
    let line = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&records).unwrap());
    let finding = r#"{"rule":"38.1","severity":"error","message":"m"}"#;
    let line = line.map(|l| l.replace("EXEC-", "D-"));
    let disguised = format!("{finding}\n{}\n", line.as_deref().unwrap_or_default());
    std::fs::write(dir.join("disguised.jsonl"), &disguised).expect("written");
    let out = bylaw_in(&dir, &["check", ".", "-o", "disguised.jsonl"], "");
    assert_eq!(out.status.code(), Some(2));
    let kept = std::fs::read_to_string(dir.join("disguised.jsonl")).expect("still there");
    assert_eq!(kept, disguised);
    std::fs::remove_file(dir.join("disguised.jsonl")).expect("removed");
    // Records after a buffer of blank lines, with a human report's totals after them (and
    // whatever before), after a report's first line, or under a report's keys, are records:
    // never written over.
    let totals =
        "checked 3 records and 1 file (0 ignored)\n1 error, 0 warnings, 0 waived, 0 bad inputs\n";
    let line = line.unwrap_or_default();
    let html = "<!DOCTYPE html><title>bylaw audit report: x</title>";
    let sarif = r#"{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","#;
    let as_finding = line.replacen('{', r#"{"rule":"r","severity":"s","message":"m","#, 1);
    for (name, text) in [
        ("disguised.json", format!("{}{line}\n", "\n".repeat(9000))),
        ("disguised.json", format!("id,type\n{line}\n{totals}")),
        ("disguised.json", format!("1 {line}\n{totals}")),
        (
            "disguised.json",
            format!("1\n[\n  {line}\n]\n{totals}").replace('\n', "\r\n"),
        ),
        (
            "disguised.jsonl",
            format!("{{\"version\":1,\"policy\":{{}}}}\n{line}\n"),
        ),
        ("disguised.ndjson", format!("{html}\n{line}\n")),
        ("disguised.json", line.replacen('{', sarif, 1)),
        ("disguised.jsonl", format!("{as_finding}\n")),
        ("disguised.json", format!("::notice::}} {line}\n")),
    ] {
        std::fs::write(dir.join(name), &text).expect("written");
        let out = bylaw_in(&dir, &["check", ".", "-o", name], "");
        assert_eq!(out.status.code(), Some(2), "{text:.80}");
        let kept = std::fs::read_to_string(dir.join(name)).expect("still there");
        assert_eq!(kept, text);
        std::fs::remove_file(dir.join(name)).expect("removed");
    }
    let out = bylaw_in(&dir, &["check", ".", "-o", "."], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`.` is a folder"));
    // Twice into the folder it audits: the second run does not read the first's report, in
    // every format.
    for format in ["human", "json", "sarif", "jsonl", "junit", "github", "html"] {
        for _ in 0..2 {
            let args = ["check", ".", "--format", format, "-o", "report.json"];
            let out = bylaw_in(&dir, &args, "");
            assert_eq!(
                out.status.code(),
                Some(1),
                "{format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let report = std::fs::read_to_string(dir.join("report.json")).expect("written");
    assert!(report.starts_with("<!DOCTYPE html>"), "{report}");
}

/// Standard input with nothing in it is bad input, not a clean audit: `export | bylaw check -`
/// whose export failed must not pass, nor `bylaw check /dev/stdin` or `bylaw check <(export)`.
/// An empty array is records: none.
#[test]
fn empty_standard_input_is_bad_input() {
    for (given, status) in [("", 2), (" \n\t\r\n", 2), ("\u{feff}\n", 2), ("[]", 0)] {
        for path in ["-", "/dev/stdin"] {
            let out = bylaw(&["check", path], Some(given));
            assert_eq!(
                out.status.code(),
                Some(status),
                "{path} {given:?}: {}",
                stdout(&out)
            );
            if status == 2 {
                let said = ["standard input is empty", "`/dev/stdin` is empty"];
                assert!(
                    said.iter().any(|s| stdout(&out).contains(s)),
                    "{}",
                    stdout(&out)
                );
            }
        }
    }
    #[cfg(unix)]
    {
        let script = format!("'{}' check <(true)", env!("CARGO_BIN_EXE_bylaw"));
        let out = Command::new("bash")
            .args(["-c", &script])
            .output()
            .expect("bash runs");
        assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
        assert!(stdout(&out).contains("is empty"), "{}", stdout(&out));
    }
}

/// A file size limit (`ulimit -f`) makes the copy of standard input fail with a message and exit
/// 2, not a signal that ends the run without a word; the records read before it (standard input
/// is judged as it is read, not once it is copied whole) are judged and counted.
#[cfg(unix)]
#[test]
fn a_file_size_limit_is_a_failed_copy_not_a_silent_end() {
    let big: String = std::iter::repeat_n(format!("{}\n", example_record()), 2000).collect();
    let script = format!(
        "ulimit -f 1024; exec '{}' check --format json -",
        env!("CARGO_BIN_EXE_bylaw")
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh runs");
    let mut stdin = child.stdin.take().expect("its input");
    let writer = std::thread::spawn(move || stdin.write_all(big.as_bytes()));
    let out = child.wait_with_output().expect("it ends");
    let _ = writer.join();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let bad = report["bad_inputs"].as_array().expect("bad inputs");
    assert_eq!(bad.len(), 1, "{bad:?}");
    let message = bad[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("cannot copy it to a temporary file"),
        "{message}"
    );
    // Half a megabyte of copy or more (512- or 1024-byte blocks): some of the records, not all;
    // every line the copy holds whole is judged, and reading stopped at the next.
    let records = report["summary"]["records"].as_u64().unwrap_or_default();
    assert!(records > 0 && records < 2000, "{records} records judged");
    assert_eq!(bad[0]["line"].as_u64(), Some(records + 1), "{bad:?}");
}

/// Standard input piped where TMPDIR cannot be written (a container with a read-only file
/// system) is copied in memory instead, and judged as it is anywhere else: the same report,
/// findings that read records again (an id used twice) included.
#[cfg(target_os = "linux")]
#[test]
fn standard_input_is_judged_where_tmpdir_cannot_be_written() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let lines =
        std::fs::read_to_string(root.join("fixtures/example/meetings.jsonl")).expect("the example");
    let first = lines.lines().next().expect("a record");
    let records = format!("{lines}{first}\n");
    let run = |tmpdir: &std::path::Path| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bylaw"));
        command
            .args(["check", "-", "--format", "json", "--no-config"])
            .env("TMPDIR", tmpdir);
        piped(command, &records)
    };
    let out = run(&root.join("no-such-folder"));
    let usual = run(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")));
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(stdout(&out), stdout(&usual));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(report["summary"]["records"], 13);
    let again = (report["findings"].as_array().expect("findings").iter())
        .find(|f| f["rule"] == "set.1")
        .expect("the id used twice");
    assert_eq!(again["line"], 13, "{again}");
}

/// Standard input redirected from a file (`bylaw check - < export.jsonl`) is read where it lies,
/// with no copy: it needs no room in TMPDIR, and reads as the file does; empty, it is bad input.
#[cfg(unix)]
#[test]
fn standard_input_from_a_file_is_read_where_it_lies() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let records = root.join("fixtures/example/meetings.jsonl");
    let run = |stdin: std::fs::File| {
        Command::new(env!("CARGO_BIN_EXE_bylaw"))
            .args(["check", "-", "--format", "json", "--no-config"])
            .env("TMPDIR", root.join("no-such-folder"))
            .stdin(stdin)
            .output()
            .expect("bylaw runs")
    };
    let out = run(std::fs::File::open(&records).expect("the example"));
    let piped = bylaw_in(
        root,
        &["check", "-", "--format", "json", "--no-config"],
        std::fs::read(&records).expect("the example"),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings only: {}",
        stdout(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(report["summary"]["records"], 12);
    assert_eq!(stdout(&out), stdout(&piped), "as when it is piped");

    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("stdin-file");
    std::fs::create_dir_all(&dir).expect("a folder");
    std::fs::write(dir.join("empty.jsonl"), "\n").expect("written");
    let out = run(std::fs::File::open(dir.join("empty.jsonl")).expect("written"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("standard input is empty"),
        "{}",
        stdout(&out)
    );
}

/// A report that cannot be written whole (a full disk, `ulimit -f`) is not left cut short, where
/// a dashboard or the next step would read it as a whole one.
#[cfg(unix)]
#[test]
fn a_report_cut_short_is_not_left_behind() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-cut-short");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder");
    // The HTML report of the example, written under a file size limit of one block.
    let write_report_to = |output: &std::path::Path| {
        let script = format!(
            "ulimit -f 1; exec '{}' check fixtures/example --format html -o '{}'",
            env!("CARGO_BIN_EXE_bylaw"),
            output.display()
        );
        Command::new("sh")
            .args(["-c", &script])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("sh runs")
    };
    let report = dir.join("report.html");
    let out = write_report_to(&report);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("the part written is removed"), "{said}");
    assert!(!report.exists(), "no report left");
    // A link `-o` names is left as it is, and what it leads to.
    let target = dir.join("target.html");
    let link = dir.join("link.html");
    std::os::unix::fs::symlink(&target, &link).expect("a link");
    let out = write_report_to(&link);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(std::fs::symlink_metadata(&link).is_ok(), "the link is kept");
}

#[test]
fn the_summary_alone_counts_findings_by_rule() {
    let out = bylaw(&["check", "fixtures/example", "--summary"], None);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(!text.contains("╭─["), "no diagnostics: {text}");
    assert!(text.contains("5 errors, 3 warnings"), "{text}");
    assert!(
        text.contains("  40.3   warning    2  one briefing meeting each week"),
        "{text}"
    );
}

#[test]
fn rules_are_listed_for_tools_too() {
    let out = bylaw(&["rules", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let rules: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let rules = rules.as_array().expect("an array");
    assert_eq!(rules.len(), 72);
    let r = rules.iter().find(|r| r["id"] == "52.1").expect("52.1");
    assert_eq!(r["article"], 52);
    assert_eq!(r["severity"], "error");
    assert!(r["help"].as_str().is_some_and(|h| !h.is_empty()));
}

#[test]
fn verify_checks_the_default_policy_examples() {
    let out = bylaw(&["verify"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("ok      38.1"));
    assert!(stdout(&out).contains("0 with problems"));
}

#[test]
fn a_broken_policy_exits_2_with_its_location() {
    let out = bylaw(
        &[
            "check",
            "fixtures/example",
            "--policy",
            "tests/policies/bad/standalone-header.bylaw",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("standalone-header.bylaw:3:3"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        bylaw(&["check", "--period", "2011-12-01..2011-01-01"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        bylaw(&["check", "--set", "no_such=1", "fixtures/example"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(bylaw(&["frobnicate"], None).status.code(), Some(2));
}

#[test]
fn a_given_period_bounds_the_periodic_rules() {
    // Only August is whole inside this period: the example's weeks outside it are not judged.
    let out = bylaw(
        &[
            "check",
            "fixtures/example",
            "--format",
            "json",
            "--period",
            "2011-08-01..2011-08-31",
        ],
        None,
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(doc["period"]["from"], "2011-08-01");
    for f in doc["findings"].as_array().into_iter().flatten() {
        if let Some(p) = f["period"].as_str() {
            assert!(p.starts_with("2011-08") || p.starts_with("2011-W3"), "{p}");
        }
    }
    let human = bylaw(
        &[
            "check",
            "fixtures/example",
            "--period",
            "2011-08-01..2011-08-31",
        ],
        None,
    );
    assert!(stdout(&human).contains("period under audit: 2011-08-01 – 2011-08-31 (given)"));
}

#[test]
fn rules_and_explain() {
    let list = stdout(&bylaw(&["rules"], None));
    assert!(list
        .lines()
        .any(|l| l.starts_with("38.1") && l.contains("error") && l.contains("art. 38")));
    let explained = stdout(&bylaw(&["explain", "38.1"], None));
    assert!(explained.contains("三十八、市政府常務會議"), "{explained}");
    assert!(explained.contains("how to comply"));
    assert!(explained.contains("a failing example, examples/38.1/fail.json"));
    assert!(explained.contains("bylaw reports nothing on it."));
    assert_eq!(bylaw(&["explain", "99.9"], None).status.code(), Some(2));
    let near = bylaw(&["explain", "38.7"], None);
    assert_eq!(near.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&near.stderr).contains("did you mean `38.1`?"));
    // An article number explains the article and lists its rules.
    let article = bylaw(&["explain", "38"], None);
    assert_eq!(article.status.code(), Some(0));
    let text = stdout(&article);
    assert!(
        text.starts_with("article 38 — Executive meetings"),
        "{text}"
    );
    for id in ["38.1", "38.2", "38.3"] {
        assert!(text.contains(&format!("  {id} ")), "{text}");
    }
}

#[test]
fn a_file_reached_twice_is_read_once() {
    let once = stdout(&bylaw(
        &["check", "fixtures/example", "--format", "json"],
        None,
    ));
    for args in [
        ["fixtures/example", "fixtures/example/meetings.jsonl"],
        ["fixtures/example/meetings.jsonl", "fixtures/example"],
        ["fixtures/example", "fixtures/example/../example"],
    ] {
        let mut all = vec!["check"];
        all.extend(args);
        all.extend(["--format", "json"]);
        assert_eq!(stdout(&bylaw(&all, None)), once, "bylaw {all:?}");
    }
}

#[test]
fn the_original_of_a_duplicate_id_is_the_first_in_report_order() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("duplicate-across-files");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let record = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/lianyungang/examples/set.5/pass.json"
    ))
    .expect("an example record");
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    std::fs::write(&a, &record).expect("writable");
    std::fs::write(&b, &record).expect("writable");
    let (a, b) = (a.display().to_string(), b.display().to_string());
    for paths in [[&a, &b], [&b, &a]] {
        let out = bylaw(&["check", paths[0], paths[1], "--format", "json"], None);
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
        let findings = doc["findings"].as_array().expect("findings");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0]["rule"], "set.1");
        assert_eq!(findings[0]["file"].as_str(), Some(b.as_str()));
    }
}

#[test]
fn a_given_period_is_never_refused_for_its_length() {
    // Inferred, the mistyped year 2911 makes a period of 900 years, refused as bad input; given,
    // the period is the user's, and the periodic rules judge it.
    let inferred = bylaw(
        &[
            "check",
            "fixtures/bad/mistyped-year.json",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(inferred.status.code(), Some(2));
    let given = bylaw(
        &[
            "check",
            "fixtures/bad/mistyped-year.json",
            "--period",
            "2011-08-01..2011-08-31",
            "--format",
            "json",
        ],
        None,
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&given)).expect("JSON");
    assert_eq!(doc["bad_inputs"], serde_json::json!([]));
    let periods: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["period"].as_str())
        .collect();
    assert_eq!(periods, ["2011-W34"]);
    assert_eq!(given.status.code(), Some(0));
}

#[test]
fn coverage_accounts_for_every_article() {
    let human = bylaw(&["coverage"], None);
    assert_eq!(human.status.code(), Some(0));
    insta::assert_snapshot!("coverage_human", stdout(&human));
    let json = bylaw(&["coverage", "--format", "json"], None);
    assert_eq!(json.status.code(), Some(0));
    insta::assert_snapshot!("coverage_json", stdout(&json));
}

#[test]
fn coverage_json_lists_the_56_articles_in_order_each_with_rules_or_a_reason() {
    let out = bylaw(&["coverage", "--format", "json"], None);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    let articles = doc["articles"].as_array().expect("an array of articles");
    let numbers: Vec<u64> = articles
        .iter()
        .filter_map(|a| a["article"].as_u64())
        .collect();
    assert_eq!(numbers, (1..=56).collect::<Vec<u64>>());
    for a in articles {
        let rules = a["rules"].as_array().expect("rules is an array");
        let reason = a["reason"].as_str().map(str::trim);
        assert!(a["title"].as_str().is_some_and(|t| !t.is_empty()), "{a}");
        assert!(a["cited_by"].is_array(), "{a}");
        match (rules.is_empty(), reason) {
            (false, None) => {
                let prefix = format!("{}.", a["article"]);
                assert!(
                    rules
                        .iter()
                        .all(|r| r.as_str().is_some_and(|r| r.starts_with(&prefix))),
                    "an article's rules are numbered after it: {a}"
                );
            }
            (true, Some(reason)) => assert!(!reason.is_empty(), "{a}"),
            _ => panic!("an article has rules or a reason, not both and not neither: {a}"),
        }
    }
    // Rule 37.1 cites article 7, which has no rule of its own.
    assert!(articles[6]["cited_by"]
        .as_array()
        .is_some_and(|c| c.iter().any(|r| r == "37.1")));
}

#[test]
fn verify_fails_on_an_article_with_neither_a_rule_nor_a_reason() {
    let out = bylaw(
        &["verify", "--policy", "tests/policies/unaccounted.bylaw"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    for n in [2, 3] {
        assert!(
            text.contains(&format!("FAILED  art. {n} ")),
            "article {n} is reported: {text}"
        );
    }
    assert!(!text.contains("art. 1 "), "article 1 says why: {text}");
    assert!(
        text.contains("2 of 3 articles with neither a rule nor a reason"),
        "{text}"
    );
    let coverage = stdout(&bylaw(
        &["coverage", "--policy", "tests/policies/unaccounted.bylaw"],
        None,
    ));
    assert!(
        coverage.contains("2 articles with neither a rule nor a reason"),
        "{coverage}"
    );
}

#[test]
fn explain_says_when_a_number_is_no_article_and_why_an_article_is_not_checked() {
    let out = bylaw(&["explain", "57"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "no article 57: the policy has articles 1–56\n"
    );
    let small = bylaw(
        &[
            "explain",
            "4",
            "--policy",
            "tests/policies/unaccounted.bylaw",
        ],
        None,
    );
    assert_eq!(small.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&small.stderr).contains("the policy has articles 1–3"));
    let unchecked = bylaw(&["explain", "1"], None);
    assert_eq!(unchecked.status.code(), Some(0));
    assert!(
        stdout(&unchecked).contains("no rule of its own: names the laws"),
        "{}",
        stdout(&unchecked)
    );
    let cited = stdout(&bylaw(&["explain", "7"], None));
    assert!(
        cited.contains("rules of other articles that cite it:"),
        "{cited}"
    );
    assert!(cited.contains("  37.1 "), "{cited}");
}

#[test]
fn the_readme_counts_the_rules_and_articles_that_coverage_counts() {
    let out = stdout(&bylaw(&["coverage"], None));
    let count = out
        .lines()
        .find(|l| l.contains(" of 56 articles checked by "))
        .expect("a count line");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the README");
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(readme.contains(count), "the README does not say {count:?}");
    let rules = stdout(&bylaw(&["rules", "--format", "json"], None));
    let rules: serde_json::Value = serde_json::from_str(&rules).expect("JSON");
    let total = rules.as_array().map_or(0, Vec::len);
    assert!(
        readme.contains(&format!("({total} rules in all")),
        "{total} rules"
    );
}

/// Runs the binary with `stdin` as standard input, in `dir`.
fn bylaw_in(dir: &std::path::Path, args: &[&str], stdin: impl AsRef<[u8]>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bylaw"));
    command.args(args).current_dir(dir);
    piped(command, stdin)
}

/// What `command` gives with `stdin` piped to it.
fn piped(mut command: Command, stdin: impl AsRef<[u8]>) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.as_ref()).expect("stdin is writable");
    }
    child.wait_with_output().expect("the binary finishes")
}

fn summary(out: &Output) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_str(&stdout(out)).expect("a JSON report");
    doc["summary"].clone()
}

const EXAMPLE: &str = "policies/lianyungang/examples/38.1/fail.json";

/// The example record, as a value.
fn example_record() -> serde_json::Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(EXAMPLE)).expect("an example");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn paths_that_are_not_regular_files_are_read_not_dropped() {
    let root = env!("CARGO_MANIFEST_DIR");
    let text = std::fs::read_to_string(format!("{root}/{EXAMPLE}")).expect("an example");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("not-regular-files");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    // `cat f.json | bylaw check /dev/stdin`, and `-` beside it: one input, read once.
    for args in [vec!["/dev/stdin"], vec!["-", "/dev/stdin"]] {
        let mut all = vec!["check"];
        all.extend(args);
        all.extend(["--format", "json"]);
        let out = bylaw_in(&dir, &all, &text);
        assert_eq!(out.status.code(), Some(1), "{all:?}: {}", stdout(&out));
        assert_eq!(summary(&out)["records"], 1, "{all:?}");
        assert_eq!(summary(&out)["files"], 1, "{all:?}");
    }
    // A FIFO named on the command line, like `<(cat f.json)`, is read.
    let fifo = dir.join("records.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo on this machine: the /dev/stdin cases above still ran
    }
    let writer = {
        let (fifo, text) = (fifo.clone(), text.clone());
        std::thread::spawn(move || std::fs::write(fifo, text))
    };
    let out = bylaw_in(&dir, &["check", "records.fifo", "--format", "json"], "");
    writer
        .join()
        .expect("the writer ends")
        .expect("the FIFO is written");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(summary(&out)["records"], 1);
    // A record a set rule shows is read again at the end: from a FIFO, which cannot be read twice,
    // it is kept as read (a bounded wait, so a regression fails instead of hanging).
    let record: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let twice = format!("{record}\n{record}\n");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, twice))
    };
    let out = Command::new("timeout")
        .args(["60", env!("CARGO_BIN_EXE_bylaw"), "check", "records.fifo"])
        .args(["--format", "json"])
        .current_dir(&dir)
        .output()
        .expect("bylaw runs");
    writer
        .join()
        .expect("the writer ends")
        .expect("the FIFO is written");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a report");
    let duplicate = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "set.1")
        .expect("the duplicate id is found");
    assert_eq!(duplicate["line"], 2);
    // Walking a folder, a FIFO and a link are ignored and counted, never waited on.
    std::os::unix::fs::symlink(format!("{root}/{EXAMPLE}"), dir.join("link.json")).expect("a link");
    let out = bylaw_in(&dir, &["check", ".", "--format", "json"], "");
    assert_eq!(summary(&out)["ignored_files"], 2, "{}", stdout(&out));
    assert_eq!(summary(&out)["files"], 0);
}

/// Standard input is copied as it is read (to a temporary file), never held in memory: what a
/// report shows of its records is read again from the copy — here the two lines of an id used
/// twice, with the text of each.
#[test]
fn standard_input_is_shown_from_its_copy() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let record = example_record();
    let twice = format!("{record}\n{record}\n");
    let out = bylaw_in(root, &["check", "-", "--color", "never"], &twice);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let shown = stdout(&out);
    for said in [
        "[<stdin>:2:",
        "used again here",
        "first used here",
        "first use of",
    ] {
        assert!(shown.contains(said), "{said}: {shown}");
    }
    let id = record["id"].as_str().expect("an id");
    assert!(
        shown.matches(&format!("\"id\":\"{id}\"")).count() >= 2,
        "{shown}"
    );
}

#[test]
fn standard_input_with_a_bad_first_line_keeps_the_lines_after_it() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let record = example_record();
    // A broken record, or a first line that is no record at all (0 records were judged).
    for first in ["{\"type\": \"meeting\",,}", "#comment", "[1, 2]"] {
        let text = format!("{first}\n{record}\n");
        let out = bylaw_in(root, &["check", "-", "--format", "json"], &text);
        assert_eq!(out.status.code(), Some(2), "{first}");
        assert_eq!(summary(&out)["records"], 1, "{first}");
        assert_eq!(
            summary(&out)["errors"],
            1,
            "{first}: the record on line 2 is judged"
        );
    }
}

#[test]
fn columns_do_not_count_a_byte_order_mark() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bom");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let line = r#"{"type": "meeting", "id": "B-1", "kind": "briefing", "start": "2011-08-03T15:00:00+08:00"}"#;
    std::fs::write(dir.join("bom.jsonl"), format!("\u{feff}{line}\n")).expect("writable");
    let out = bylaw_in(&dir, &["check", "bom.jsonl", "--format", "json"], "");
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let finding = doc["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["rule"] == "40.4"))
        .expect("a 40.4 finding at `start`");
    let column = line.find("\"2011").expect("the value") + 1;
    assert_eq!(finding["column"], column);
}

#[test]
fn values_that_are_not_objects_are_refused_and_not_counted_as_records() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("not-objects");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    std::fs::write(dir.join("array.json"), "[1, \"x\", null]").expect("writable");
    let out = bylaw_in(&dir, &["check", "array.json", "--format", "json"], "");
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(doc["summary"]["records"], 0);
    assert_eq!(doc["bad_inputs"].as_array().map(Vec::len), Some(3));
}

#[test]
fn standard_input_that_is_not_utf8_is_located_and_the_rest_judged() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let record = example_record();
    let mut bytes = b"{\"type\": \"meeting\", \"title\": \"\xC1\xAC\"}\n".to_vec();
    bytes.extend(format!("{record}\n").into_bytes());
    let out = bylaw_in(root, &["check", "-", "--format", "json"], bytes);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    // The line reads as a record, refused for its bytes (and for the fields it lacks): counted
    // as an array's element is.
    assert_eq!(doc["summary"]["records"], 2);
    assert_eq!(doc["summary"]["bad_inputs"], 4);
    assert_eq!(doc["summary"]["errors"], 1);
    let bad = &doc["bad_inputs"][0];
    assert_eq!(
        (bad["line"].as_u64(), bad["column"].as_u64()),
        (Some(1), Some(31))
    );
    assert!(bad["message"]
        .as_str()
        .is_some_and(|m| m.contains("not UTF-8")));
}

#[test]
fn years_0001_and_9999_do_not_make_a_period_of_ten_thousand_years() {
    let meeting = |id: &str, start: &str| {
        format!(
            r#"{{"type": "meeting", "id": "{id}", "kind": "department", "in_name_of": "department", "start": "{start}"}}"#
        )
    };
    let text = [
        meeting("D-1", "0001-01-01T09:00:00+08:00"),
        meeting("D-2", "2011-08-03T09:00:00+08:00"),
        meeting("D-3", "9999-06-30T09:00:00+08:00"),
    ]
    .join("\n");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = bylaw_in(root, &["check", "-", "--format", "json"], &text);
    assert_eq!(out.status.code(), Some(2));
    let report = stdout(&out);
    assert!(report.len() < 10_000, "{} bytes of report", report.len());
    let doc: serde_json::Value = serde_json::from_str(&report).expect("JSON");
    let message = doc["bad_inputs"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("0001-01-01 (`start` of D-1) to 9999-06-30 (`start` of D-3)"),
        "{message}"
    );
    assert_eq!(doc["findings"], serde_json::json!([]));
}

/// A policy folder: the bundled policy and one more file, written under the target directory.
fn policy_with_extra(name: &str, extra: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/lianyungang");
    for entry in std::fs::read_dir(bundled).expect("the bundled policy") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "bylaw") {
            let to = dir.join(path.file_name().expect("a file name"));
            std::fs::copy(&path, to).expect("copied");
        }
    }
    std::fs::write(dir.join("zz-hostile.bylaw"), extra).expect("written");
    dir
}

fn hostile_rule(condition: &str) -> String {
    format!("rule 38.97 error {{\n  title \"hostile\"\n  on meeting\n  require {condition}\n}}\n")
}

#[test]
fn deeply_nested_policies_load_or_are_refused_with_their_location() {
    let sixty = format!("{}chair exists{}", "(".repeat(60), ")".repeat(60));
    let dir = policy_with_extra("nested-60", &hostile_rule(&sixty));
    let out = bylaw(
        &[
            "check",
            "fixtures/pass/meetings/briefing-monday-0830.json",
            "--policy",
            dir.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (name, condition, at) in [
        (
            "nots",
            format!("{}chair exists", "not ".repeat(10_000)),
            "zz-hostile.bylaw:4:",
        ),
        (
            "parens",
            format!("{}chair exists{}", "(".repeat(100_000), ")".repeat(100_000)),
            "zz-hostile.bylaw:4:110]",
        ),
    ] {
        let dir = policy_with_extra(name, &hostile_rule(&condition));
        let out = bylaw(
            &[
                "check",
                "fixtures/example",
                "--policy",
                dir.to_str().expect("utf-8"),
            ],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains("policy::too-deep"), "{name}: {err}");
        assert!(err.contains(at), "{name}: {}", &err[..err.len().min(2000)]);
    }
}

#[test]
fn a_negative_day_count_is_refused() {
    let out = bylaw(
        &["check", "fixtures/example", "--set", "cancel_days=-5"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`--set cancel_days=-5`: a parameter cannot be negative"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
    // Zero is a count like any other, and what is not a number is refused as before.
    let zero = bylaw(
        &["check", "fixtures/example", "--set", "cancel_days=0"],
        None,
    );
    assert_eq!(zero.status.code(), Some(1));
    let word = bylaw(
        &["check", "fixtures/example", "--set", "cancel_days=NaN"],
        None,
    );
    assert_eq!(word.status.code(), Some(2));
}

#[test]
fn findings_can_be_grouped_by_rule_or_by_record() {
    for group in ["rule", "record"] {
        let out = bylaw(
            &[
                "check",
                "fixtures/example",
                "--group-by",
                group,
                "--color",
                "never",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(1));
        let text = stdout(&out);
        insta::assert_snapshot!(format!("group_by_{group}"), text);
        // Period findings come last, after every finding about a record.
        let last_heading = text.lines().rfind(|l| l.starts_with("── "));
        let expected = match group {
            "rule" => "── 40.3 — one briefing meeting each week (2 findings)",
            _ => "── periods (2 findings)",
        };
        assert_eq!(last_heading, Some(expected));
    }
}

#[test]
fn a_group_heading_cut_to_fit_a_narrow_terminal_is_written_once() {
    let out = Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args([
            "check",
            "fixtures/example",
            "--group-by",
            "rule",
            "--color",
            "never",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COLUMNS", "40")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("── ")).collect();
    assert!(
        headings.iter().any(|h| h.contains('…')),
        "some title is cut at 40 columns: {headings:?}"
    );
    let mut distinct = headings.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        headings.len(),
        distinct.len(),
        "each group headed once: {headings:?}"
    );
}

#[test]
fn no_color_turns_colour_off_unless_it_is_asked_for() {
    // `script` gives the binary a terminal, where colour is on by default.
    let binary = env!("CARGO_BIN_EXE_bylaw");
    let run = |no_color: Option<&str>, flag: &str| {
        let mut command = Command::new("script");
        command
            .args([
                "-qec",
                &format!("{binary} check fixtures/example --color {flag}"),
            ])
            .arg("/dev/null")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("NO_COLOR");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        let out = command.output().expect("script runs");
        String::from_utf8_lossy(&out.stdout).contains('\u{1b}')
    };
    if Command::new("script").arg("--version").output().is_err() {
        return; // no `script` here: the flag's own cases are covered by the snapshots
    }
    assert!(run(None, "auto"), "a terminal gets colour");
    assert!(!run(Some("1"), "auto"), "NO_COLOR turns it off");
    assert!(run(Some(""), "auto"), "an empty NO_COLOR does not");
    assert!(
        run(Some("1"), "always"),
        "--color always wins over NO_COLOR"
    );
    assert!(!run(None, "never"));
}

#[test]
fn verify_fails_on_a_rule_that_quotes_no_words_of_its_article() {
    let out = bylaw(
        &["verify", "--policy", "tests/policies/unquoted.bylaw"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("FAILED  1.2    tests/policies/unquoted.bylaw:28:8: the rule quotes no words of article 1"),
        "{text}"
    );
    assert!(
        !text.contains("FAILED  1.1    tests/policies/unquoted.bylaw"),
        "1.1 quotes its article: {text}"
    );
    assert!(
        text.contains("1 rule of articles quoting none of the article's words"),
        "{text}"
    );
}
