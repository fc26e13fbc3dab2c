//! A fuzz harness for the record reader, on the stable toolchain: the fixtures, mutated at the
//! byte level (cut short, a span doubled, bytes flipped, invalid UTF-8 and stray JSON tokens put
//! in) and in their structure (values nested deep, swapped between records, of another type,
//! keys dropped, records doubled), are audited the way the CLI audits them, and now and then by
//! the real binary. For every case:
//!
//! - nothing panics, and the binary exits 0, 1 or 2 (never 101, never a signal);
//! - the JSON, JSON Lines, SARIF and JUnit reports parse, and the human and GitHub ones render;
//! - the status is 2 exactly when `bad_inputs` is not empty, and the file is counted;
//! - a file with no record read says why (a bad input), unless it holds no record at all;
//! - the report is the same on one thread and on all;
//! - a `.json` file and its `.jsonl` twin (the same records, one per line) give the same findings
//!   (rule, record, pointer, message) and the same bad inputs (messages).
//!
//! `cargo test` runs a few hundred cases (seconds); `BYLAW_FUZZ_CASES` sets how many, and
//! `BYLAW_FUZZ_SEED` the seed (a failure prints both, with the case's number). A case that fails
//! is saved under the target folder's `tmp/fuzz-failures/`; copy it into `tests/fuzz/records/`,
//! the regression corpus, which runs in full (binary included) on every `cargo test`.
//!
//! Defects found and not fixed yet are listed in [`KNOWN_DEFECTS`], the one place that says so:
//! each one's reproducer in the corpus must still fail with that problem — the test fails once it
//! passes, so the entry is removed with the fix — and generated cases failing with that problem
//! alone are counted, not failed.

mod common;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use bylaw::audit::{self, Options, Outcome};
use bylaw::check::Policy;
use bylaw::report;
use serde_json::Value;

/// A defect the harness found, not yet fixed: the corpus file that reproduces it and the problem
/// it must still show (the start of a [`Problem`]'s kind).
struct Known {
    corpus: &'static str,
    problem: &'static str,
}

/// The defects found and not fixed yet (see the module's documentation).
const KNOWN_DEFECTS: &[Known] = &[
    // None now. Issue 12, item 1 was here — the human report panicked past column 65,535 — until
    // the windowed source fixed it; its reproducer stays in the corpus.
];

/// Cases run inside `cargo test` when `BYLAW_FUZZ_CASES` does not say.
const DEFAULT_CASES: usize = 100;

/// One case in so many also runs the real binary (the corpus always does).
const BINARY_EVERY: usize = 20;

/// A failed property: what failed, and the details to reproduce it.
#[derive(Debug)]
struct Problem {
    kind: String,
    detail: String,
}

fn problem(kind: impl Into<String>, detail: impl Into<String>) -> Problem {
    Problem {
        kind: kind.into(),
        detail: detail.into(),
    }
}

/// A small deterministic generator (SplitMix64), so a failure can be replayed from its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(common::default_policy)
}

fn one_thread() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a one-thread pool")
    })
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The record files among the fixtures, as bytes (the ones that are not UTF-8 too).
fn seeds() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(root().join("fixtures"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| bylaw::discover::format_of(p).is_some())
        .filter_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes)))
        .collect();
    files.sort();
    files
}

fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/fuzz/records"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| bylaw::discover::format_of(p).is_some())
        .filter_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes)))
        .collect();
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------------
// Mutations

/// Values of every kind, and the strings that are almost dates and times.
fn replacements() -> Vec<Value> {
    use serde_json::json;
    vec![
        Value::Null,
        json!(0),
        json!(-1),
        json!(1e308),
        json!(18446744073709551615u64),
        json!(""),
        json!("x"),
        json!("\u{1b}[2J\u{7}"),
        json!("\u{202e}evil\u{200b}"),
        json!("2011-02-30"),
        json!("2011-13-01T25:00:00+08:00"),
        json!("2011-09-01T09:00:00+25:00"),
        // The working-day calendar's last day, and an instant just before its first.
        json!("2026-12-31"),
        json!("2009-12-31T23:59:59Z"),
        json!("0001-01-01"),
        json!("9999-12-31"),
        json!([]),
        json!([null]),
        json!({}),
        json!(true),
    ]
}

/// Byte sequences that are not UTF-8: a lone continuation, a cut sequence, a surrogate, an
/// overlong form, a five-byte form.
const NOT_UTF8: &[&[u8]] = &[
    b"\xff",
    b"\x80",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xf8\x88\x80\x80\x80",
];

/// Tokens that break or bend JSON where they land.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"\\",
    b"\n",
    b"\r\n",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\\u0000",
    b"\\ud800",
    b"1e999",
    b"-",
    b"null",
    b"//",
    b"\t",
];

fn byte_mutation(random: &mut Random, bytes: &mut Vec<u8>) -> String {
    let len = bytes.len();
    match random.below(5) {
        0 => {
            let cut = 1 + random.below(len.saturating_sub(1));
            bytes.truncate(cut);
            format!("cut at {cut}")
        }
        1 => {
            let from = random.below(len);
            let to = (from + 1 + random.below(256)).min(len);
            let at = random.below(len + 1);
            let span = bytes[from..to].to_vec();
            bytes.splice(at..at, span);
            format!("{from}..{to} doubled at {at}")
        }
        2 => {
            let n = 1 + random.below(4);
            for _ in 0..n {
                let at = random.below(len);
                bytes[at] ^= 1 << random.below(8);
            }
            format!("{n} bits flipped")
        }
        3 => {
            let at = random.below(len + 1);
            let bad = random.pick(NOT_UTF8);
            bytes.splice(at..at, bad.iter().copied());
            format!("{bad:x?} at {at}")
        }
        _ => {
            let at = random.below(len + 1);
            let token = random.pick(TOKENS);
            bytes.splice(at..at, token.iter().copied());
            format!(
                "`{}` at {at}",
                String::from_utf8_lossy(token).escape_debug()
            )
        }
    }
}

/// The records of a file: a JSON document (an array of records, or one record), or JSON Lines.
#[derive(Clone)]
struct Records {
    items: Vec<Value>,
    /// One record, not in an array.
    single: bool,
}

fn records_of(bytes: &[u8], lines: bool) -> Option<Records> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if lines {
        let items = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<Vec<Value>, _>>()
            .ok()?;
        return Some(Records {
            items,
            single: false,
        });
    }
    match serde_json::from_str(text).ok()? {
        Value::Array(items) => Some(Records {
            items,
            single: false,
        }),
        value => Some(Records {
            items: vec![value],
            single: true,
        }),
    }
}

/// A placeholder string replaced in the text after serialising, for values too deep to build.
const DEEP: &str = "\u{1}deep\u{1}";

fn render(records: &Records, lines: bool, deep: Option<&str>) -> Vec<u8> {
    let text = if lines {
        records
            .items
            .iter()
            .map(|r| format!("{r}\n"))
            .collect::<String>()
    } else if records.single && records.items.len() == 1 {
        serde_json::to_string_pretty(&records.items[0]).unwrap_or_default()
    } else {
        serde_json::to_string_pretty(&records.items).unwrap_or_default()
    };
    match deep {
        Some(nested) => {
            let placeholder = Value::String(DEEP.into()).to_string();
            text.replacen(&placeholder, nested, 1)
        }
        None => text,
    }
    .into_bytes()
}

/// Pointers to every value in a JSON document.
fn pointers(value: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                pointers(v, format!("{here}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A mutation of the records' structure; the text made of them, with a note of what was done.
fn structure_mutation(random: &mut Random, records: &mut Records) -> (String, Option<String>) {
    let mut all = Vec::new();
    for (i, r) in records.items.iter().enumerate() {
        pointers(r, format!("/{i}"), &mut all);
    }
    let count = records.items.len();
    let mut items = Value::Array(std::mem::take(&mut records.items));
    let note = match random.below(6) {
        0 if !all.is_empty() => {
            let place = random.pick(&all).clone();
            let value = random.pick(&replacements()).clone();
            let note = format!("{place} = {value}");
            if let Some(slot) = items.pointer_mut(&place) {
                *slot = value;
            }
            (note, None)
        }
        1 if all.len() > 1 => {
            // Values swapped between two places, most often the same field of two records.
            let a = random.pick(&all).clone();
            let b = match a.split_once('/').and_then(|(_, r)| r.split_once('/')) {
                Some((_, field)) if random.below(3) > 0 => {
                    format!("/{}/{field}", random.below(count))
                }
                _ => random.pick(&all).clone(),
            };
            let (va, vb) = (items.pointer(&a).cloned(), items.pointer(&b).cloned());
            if let (Some(va), Some(vb)) = (va, vb) {
                if !a.starts_with(&format!("{b}/")) && !b.starts_with(&format!("{a}/")) {
                    *items.pointer_mut(&a).expect("was there") = vb;
                    *items.pointer_mut(&b).expect("was there") = va;
                }
            }
            (format!("{a} swapped with {b}"), None)
        }
        2 if !all.is_empty() => {
            let depth = *random.pick(&[2, 20, 127, 128, 129, 1000, 100_000]);
            let place = random.pick(&all).clone();
            let (open, close) = if random.below(2) == 0 {
                ("[", "]")
            } else {
                ("{\"a\":", "}")
            };
            let nested = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            if let Some(slot) = items.pointer_mut(&place) {
                *slot = Value::String(DEEP.into());
            }
            (format!("{place} nested {depth} deep"), Some(nested))
        }
        3 if !all.is_empty() => {
            let place = random.pick(&all).clone();
            if let Some((parent, key)) = place.rsplit_once('/') {
                if let Some(Value::Object(map)) = items.pointer_mut(parent) {
                    map.remove(&key.replace("~1", "/").replace("~0", "~"));
                }
            }
            (format!("{place} removed"), None)
        }
        4 => {
            let list = items.as_array_mut().expect("an array");
            if !list.is_empty() {
                let i = random.below(list.len());
                let copy = list[i].clone();
                let at = random.below(list.len() + 1);
                list.insert(at, copy);
            }
            ("a record doubled".into(), None)
        }
        _ => {
            let list = items.as_array_mut().expect("an array");
            if !list.is_empty() {
                let i = random.below(list.len());
                let j = random.below(list.len());
                list.swap(i, j);
            }
            ("two records swapped".into(), None)
        }
    };
    if let Value::Array(list) = items {
        records.items = list;
    }
    note
}

/// A case: a file name (its ending says its format) and its bytes.
struct Case {
    name: String,
    bytes: Vec<u8>,
    how: String,
}

fn generate(random: &mut Random, seeds: &[(PathBuf, Vec<u8>)]) -> Case {
    // The export's large files are audited whole on every mutation: fewer of them.
    let (path, bytes) = loop {
        let seed = random.pick(seeds);
        if seed.1.len() <= 32 * 1024 || random.below(20) == 0 {
            break seed;
        }
    };
    let lines = bylaw::discover::format_of(path) == Some(bylaw::discover::Format::Lines);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut bytes = bytes.clone();
    let mut how = vec![common::relative(path).display().to_string()];
    for _ in 0..1 + random.below(3) {
        let structured = random.below(2) == 0;
        match records_of(&bytes, lines).filter(|_| structured) {
            Some(mut records) => {
                let (note, deep) = structure_mutation(random, &mut records);
                bytes = render(&records, lines, deep.as_deref());
                how.push(note);
            }
            None if !bytes.is_empty() => how.push(byte_mutation(random, &mut bytes)),
            None => {}
        }
    }
    Case {
        name,
        bytes,
        how: how.join("; "),
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

fn scratch(label: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz")
        .join(label);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// Audits one file as `bylaw check FILE` does.
fn audit_file(path: &Path) -> Result<Outcome, Problem> {
    let options = Options {
        paths: vec![path.to_path_buf()],
        trace: true,
        ..Options::default()
    };
    catch_unwind(AssertUnwindSafe(|| {
        audit::run(policy(), &options, audit::Stdin::empty)
    }))
    .map_err(|e| problem("panic in the audit", panic_text(&e)))
}

fn panic_text(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Every report of an outcome, checked; the JSON document.
fn reports(outcome: &Outcome) -> Result<String, Problem> {
    let policy = policy();
    let rendered = catch_unwind(AssertUnwindSafe(|| {
        (
            report::json::document(policy, outcome),
            report::json::lines(outcome),
            report::sarif::document(policy, outcome, Some(Path::new(env!("CARGO_MANIFEST_DIR")))),
            report::junit::document(policy, outcome),
            report::human::render(policy, outcome, &report::human::Renderer::new(false)),
            report::github::commands(policy, outcome),
        )
    }))
    .map_err(|e| problem("panic in a report", panic_text(&e)))?;
    let (json, lines, sarif, junit, _human, _github) = rendered;
    let doc: Value = serde_json::from_str(&json)
        .map_err(|e| problem("the JSON report does not parse", e.to_string()))?;
    for line in lines.lines() {
        serde_json::from_str::<Value>(line).map_err(|e| {
            problem(
                "the JSON Lines report does not parse",
                format!("{e}: {line}"),
            )
        })?;
    }
    serde_json::from_str::<Value>(&sarif)
        .map_err(|e| problem("the SARIF report does not parse", e.to_string()))?;
    check_xml(&junit)?;
    let bad = doc["bad_inputs"].as_array().map_or(0, Vec::len);
    let status = report::exit_code(outcome, false);
    if (status == 2) != (bad > 0) || bad != outcome.bad_inputs.len() {
        return Err(problem(
            "exit 2 is not the same as bad input",
            format!("status {status}, {bad} bad inputs"),
        ));
    }
    Ok(json)
}

/// A well-formed XML 1.0 document: tags matched, attributes and text readable, and no character
/// XML forbids (control characters, even escaped).
fn check_xml(text: &str) -> Result<(), Problem> {
    use quick_xml::events::Event;
    let bad = |e: String| problem("the JUnit report is not XML", e);
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r') && (*c as u32) < 0x20)
    {
        return Err(bad(format!("a control character {c:?}")));
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                for a in e.attributes() {
                    let a = a.map_err(|e| bad(e.to_string()))?;
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| bad(e.to_string()))?;
                }
            }
            Ok(Event::Empty(e)) => {
                for a in e.attributes() {
                    let a = a.map_err(|e| bad(e.to_string()))?;
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| bad(e.to_string()))?;
                }
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::GeneralRef(r)) => {
                let name: &str = &r;
                let known = ["lt", "gt", "amp", "apos", "quot"].contains(&name);
                let char_ref = r.resolve_char_ref().map_err(|e| bad(e.to_string()))?;
                match char_ref {
                    Some(c) if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {
                        return Err(bad(format!("the reference `&{name};`")));
                    }
                    None if !known => return Err(bad(format!("the entity `&{name};`"))),
                    _ => {}
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(bad(e.to_string())),
        }
    }
    if depth != 0 {
        return Err(bad("unclosed elements".into()));
    }
    Ok(())
}

/// The findings and bad inputs, without where they are, to compare a file with its twin.
fn essence(outcome: &Outcome) -> (Vec<String>, Vec<String>) {
    let mut findings: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| format!("{} {:?} {:?} {}", f.rule, f.record, f.pointer, f.message))
        .collect();
    findings.sort();
    let mut bad: Vec<String> = outcome
        .bad_inputs
        .iter()
        .map(|b| b.message.clone())
        .collect();
    bad.sort();
    (findings, bad)
}

/// Every property of the library for one case, and the binary's when asked.
fn check_case(label: &str, case: &Case, binary: bool) -> Result<(), Problem> {
    let dir = scratch(label);
    let path = dir.join(&case.name);
    std::fs::write(&path, &case.bytes).expect("the case is written");
    let all = audit_file(&path)?;
    let json = reports(&all)?;
    if all.summary.files != 1 {
        return Err(problem(
            "the file is not counted in summary.files",
            format!("summary.files is {}", all.summary.files),
        ));
    }
    if all.summary.records == 0 && all.bad_inputs.is_empty() && !holds_no_record(&case.bytes) {
        return Err(problem("no record read and no bad input", String::new()));
    }
    let one = one_thread().install(|| audit_file(&path))?;
    let json_one = reports(&one)?;
    if json != json_one {
        return Err(problem(
            "the report on one thread differs from the report on all",
            first_difference(&json_one, &json),
        ));
    }
    twins(label, case)?;
    if binary {
        check_binary(&path)?;
    }
    Ok(())
}

/// Blank text, or a document with no record in it (`[]`).
fn holds_no_record(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let text = text.trim_start_matches('\u{feff}');
    text.trim().is_empty()
        || serde_json::from_str::<Value>(text).is_ok_and(|v| v == Value::Array(vec![]))
}

/// The same records as `.json` and as `.jsonl`: the same findings and bad inputs.
fn twins(label: &str, case: &Case) -> Result<(), Problem> {
    let lines = case.name.ends_with(".jsonl") || case.name.ends_with(".ndjson");
    let Some(records) = records_of(&case.bytes, lines) else {
        return Ok(());
    };
    let mut array = records.clone();
    array.single = false;
    let dir = scratch(&format!("{label}-twins"));
    let (json, jsonl) = (dir.join("records.json"), dir.join("records.jsonl"));
    std::fs::write(&json, render(&array, false, None)).expect("written");
    std::fs::write(&jsonl, render(&array, true, None)).expect("written");
    let a = unplace(essence(&audit_file(&json)?), &json);
    let b = unplace(essence(&audit_file(&jsonl)?), &jsonl);
    if a != b {
        return Err(problem(
            "a .json file and its .jsonl twin differ",
            format!("json: {a:#?}\njsonl: {b:#?}"),
        ));
    }
    Ok(())
}

/// Messages may say where another record is (`first at FILE:LINE`), which differs between the
/// twins by design: the place is taken out before they are compared.
fn unplace((findings, bad): (Vec<String>, Vec<String>), file: &Path) -> (Vec<String>, Vec<String>) {
    let file = file.display().to_string();
    let strip = |messages: Vec<String>| -> Vec<String> {
        let mut out: Vec<String> = messages
            .into_iter()
            .map(|mut m| {
                while let Some(at) = m.find(&file) {
                    let rest = at + file.len();
                    let end = m[rest..]
                        .find(|c: char| !(c.is_ascii_digit() || c == ':'))
                        .map_or(m.len(), |e| rest + e);
                    m.replace_range(at..end, "PLACE");
                }
                m
            })
            .collect();
        out.sort();
        out
    };
    (strip(findings), strip(bad))
}

fn first_difference(a: &str, b: &str) -> String {
    let at = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or(0);
    format!(
        "line {}: `{}` against `{}`",
        at + 1,
        a.lines().nth(at).unwrap_or(""),
        b.lines().nth(at).unwrap_or("")
    )
}

/// `bylaw check FILE` in every machine format, on one thread and on all.
fn check_binary(path: &Path) -> Result<(), Problem> {
    let run = |format: &str, threads: Option<&str>| -> Result<(i32, String), Problem> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bylaw"));
        command
            .args(["check", "--color", "never", "--format", format])
            .arg(path);
        if let Some(n) = threads {
            command.env("RAYON_NUM_THREADS", n);
        }
        let out = command.output().expect("the binary runs");
        let status = out.status.code();
        match status {
            Some(code @ 0..=2) => Ok((code, String::from_utf8_lossy(&out.stdout).into_owned())),
            _ => Err(problem(
                format!("the binary exits with {:?}", out.status),
                format!(
                    "--format {format}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ),
            )),
        }
    };
    let (status, json) = run("json", None)?;
    let (status_one, json_one) = run("json", Some("1"))?;
    if (status, &json) != (status_one, &json_one) {
        return Err(problem(
            "the binary's report on one thread differs from the report on all",
            first_difference(&json_one, &json),
        ));
    }
    let doc: Value = serde_json::from_str(&json)
        .map_err(|e| problem("the binary's JSON report does not parse", e.to_string()))?;
    let bad = doc["bad_inputs"].as_array().map_or(0, Vec::len);
    if (status == 2) != (bad > 0) {
        return Err(problem(
            "the binary's exit 2 is not the same as bad input",
            format!("status {status}, {bad} bad inputs"),
        ));
    }
    let (_, sarif) = run("sarif", None)?;
    serde_json::from_str::<Value>(&sarif)
        .map_err(|e| problem("the binary's SARIF report does not parse", e.to_string()))?;
    let (_, junit) = run("junit", None)?;
    check_xml(&junit)?;
    run("human", None)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The tests

/// Saves a failing case where a person can copy it into the corpus; says where.
fn save_failure(index: usize, case: &Case) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("case-{index}-{}", case.name));
    let _ = std::fs::write(&path, &case.bytes);
    path
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[test]
fn mutated_fixtures_hold_every_property() {
    let cases = env_number("BYLAW_FUZZ_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    let seed = env_number("BYLAW_FUZZ_SEED").unwrap_or(2011);
    let seeds = seeds();
    assert!(!seeds.is_empty(), "no fixtures to mutate");
    let started = Instant::now();
    let mut known: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for index in 0..cases {
        let mut random = Random(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let case = generate(&mut random, &seeds);
        let binary = index % BINARY_EVERY == 0;
        if let Err(p) = check_case("generated", &case, binary) {
            match KNOWN_DEFECTS.iter().find(|k| p.kind.starts_with(k.problem)) {
                Some(k) => *known.entry(k.problem).or_default() += 1,
                None => {
                    let saved = save_failure(index, &case);
                    failures.push(format!(
                        "case {index} (BYLAW_FUZZ_SEED={seed}): {}\n  {}\n  made by: {}\n  saved as {}",
                        p.kind,
                        p.detail.lines().take(30).collect::<Vec<_>>().join("\n  "),
                        case.how,
                        saved.display()
                    ));
                }
            }
        }
    }
    eprintln!(
        "fuzz: {cases} cases (seed {seed}) in {:.1} s; known defects hit: {known:?}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed; copy each saved file into tests/fuzz/records/ under a name \
         that says what fails:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_regression_corpus_holds_every_property_but_the_known_defects() {
    let corpus = corpus();
    let mut wrong = Vec::new();
    for (path, bytes) in &corpus {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let case = Case {
            name: name.clone(),
            bytes: bytes.clone(),
            how: String::new(),
        };
        let outcome = check_case("corpus", &case, true);
        match (KNOWN_DEFECTS.iter().find(|k| k.corpus == name), outcome) {
            (None, Ok(())) => {}
            (None, Err(p)) => wrong.push(format!("{name}: {}\n  {}", p.kind, p.detail)),
            (Some(k), Err(p)) if p.kind.starts_with(k.problem) => {}
            (Some(k), Err(p)) => wrong.push(format!(
                "{name}: listed as failing with `{}`, fails with `{}` ({})",
                k.problem, p.kind, p.detail
            )),
            (Some(k), Ok(())) => wrong.push(format!(
                "{name}: listed in KNOWN_DEFECTS as failing with `{}`, and passes: remove the \
                 entry (the file stays in the corpus)",
                k.problem
            )),
        }
    }
    for k in KNOWN_DEFECTS {
        if !corpus.iter().any(|(p, _)| p.ends_with(k.corpus)) {
            wrong.push(format!(
                "{}: listed in KNOWN_DEFECTS, not in the corpus",
                k.corpus
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
