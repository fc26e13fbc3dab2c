//! `bylaw schema`: the JSON Schema of the records contract, run as the real binary.
//!
//! The schema must be a valid draft 2020-12 schema, accept every valid fixture, and give bylaw's
//! own verdict (rule set.3) on every record of `fixtures/bad` that a JSON Schema can see. What it
//! cannot see is stated in [`SKIPPED`] and [`NOT_THE_RECORDS_OWN`]; anything else skipped fails.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{json, Value};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bylaw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("bylaw runs")
}

/// `bylaw schema` with `args`, as text.
fn schema_text(args: &[&str]) -> String {
    let mut all = vec!["schema"];
    all.extend_from_slice(args);
    let out = bylaw(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn bundled_schema() -> Value {
    serde_json::from_str(&schema_text(&[])).expect("the schema is JSON")
}

/// Validators for a whole `.json` file and for one record (a line of JSON Lines). Formats are
/// not asserted (the 2020-12 default): the patterns must do the work alone.
struct Validators {
    file: jsonschema::Validator,
    record: jsonschema::Validator,
}

fn validators(schema: &Value) -> Validators {
    let file = jsonschema::validator_for(schema).expect("the schema compiles offline");
    let mut one = schema.clone();
    let object = one.as_object_mut().expect("an object");
    object.remove("oneOf");
    object.insert("$ref".into(), json!("#/$defs/any-record"));
    let record = jsonschema::validator_for(&one).expect("the record schema compiles");
    Validators { file, record }
}

fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn the_schema_is_valid_for_the_2020_12_meta_schema() {
    let schema = bundled_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    // The meta-schemas are bundled in the crate: nothing is fetched.
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("{}: {e}", e.instance_path());
    }
    let own = serde_json::from_str::<Value>(&schema_text(&["--policy", &tiny_policy("meta")]))
        .expect("JSON");
    if let Err(e) = jsonschema::meta::validate(&own) {
        panic!("{}: {e}", e.instance_path());
    }
}

#[test]
fn the_bundled_schema_is_pinned() {
    let text = schema_text(&[]).replace(env!("CARGO_PKG_VERSION"), "[version]");
    insta::assert_snapshot!("bundled_schema", text);
}

#[test]
fn output_to_a_file_is_the_same_text() {
    let dir = scratch("output");
    let file = dir.join("records.schema.json");
    let out = bylaw(&["schema", "-o", file.to_str().expect("UTF-8 path")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&file).expect("written");
    assert_eq!(written, schema_text(&[]));
    let out = bylaw(&[
        "schema",
        "-o",
        dir.join("no/such/dir/x.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("cannot write the schema to `"),
        "{stderr}"
    );
}

#[test]
fn a_broken_policy_is_reported_with_exit_2_and_no_schema() {
    let dir = scratch("broken");
    std::fs::write(
        dir.join("p.bylaw"),
        "record meeting { kind: no_such_type }\n",
    )
    .unwrap();
    let out = bylaw(&[
        "schema",
        "--policy",
        dir.to_str().unwrap(),
        "--color",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown type `no_such_type`"), "{stderr}");
}

// ───────────────────────────── the fixtures ─────────────────────────────

/// The folders of records that are valid under the contract (they break only rules).
const VALID: [&str; 5] = [
    "fixtures/pass",
    "fixtures/example",
    "fixtures/export",
    "fixtures/fail",
    "fixtures/waivers",
];

fn record_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a fixture folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("json" | "jsonl" | "ndjson")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn is_lines(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson")
    )
}

#[test]
fn every_valid_fixture_is_accepted() {
    let out = bylaw(&[&["check", "--format", "json"][..], &VALID[..]].concat());
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(
        report["summary"]["bad_inputs"], 0,
        "bylaw itself refuses none"
    );
    let v = validators(&bundled_schema());
    let mut checked = 0;
    for dir in VALID {
        for path in record_files(&root().join(dir)) {
            let text = std::fs::read_to_string(&path).expect("UTF-8");
            // The contract tolerates a byte-order mark, which is not JSON.
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let shown = path.strip_prefix(root()).unwrap().display().to_string();
            if is_lines(&path) {
                for (n, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let value: Value = serde_json::from_str(line).expect("a JSON line");
                    let e = errors(&v.record, &value);
                    assert!(e.is_empty(), "{shown}:{}: {e:#?}", n + 1);
                    checked += 1;
                }
            } else {
                let value: Value = serde_json::from_str(text).expect("JSON");
                let e = errors(&v.file, &value);
                assert!(e.is_empty(), "{shown}: {e:#?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 250, "only {checked} files and lines checked");
}

/// Records of `fixtures/bad` the schema cannot judge, each for a stated reason: (file, the
/// record's first line, why). Every one of them must be refused by bylaw.
const SKIPPED: &[(&str, usize, Skip)] = &[
    ("bad-lines.jsonl", 3, Skip::NotJson),
    ("duplicate-key.json", 2, Skip::DuplicateKey),
    ("duplicate-key.jsonl", 2, Skip::DuplicateKey),
    ("malformed.json", 1, Skip::NotJson),
    ("not-utf8.json", 144, Skip::NotUtf8),
    ("not-utf8.jsonl", 3, Skip::NotUtf8),
    ("utf-16.jsonl", 1, Skip::NotUtf8),
];

/// Bad input bylaw reports that is not a record's own breach of the contract: a rule that cannot
/// judge a record because a record it names was refused, and a period under audit too long to be
/// believed. These say nothing of the record they point at.
const NOT_THE_RECORDS_OWN: [(&str, &str); 2] = [
    ("rule ", "cannot judge this record: it names"),
    ("the period under audit", "runs longer than"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// The text is not JSON at all: bylaw's reader, not the contract, refuses it.
    NotJson,
    /// JSON keeps one value of a key given twice; a schema never sees the other.
    DuplicateKey,
    /// A schema validates decoded text; bytes that are not UTF-8 never reach it.
    NotUtf8,
}

/// One record of a file: its bytes and its lines (1-based, inclusive).
struct Piece<'a> {
    bytes: &'a [u8],
    first: usize,
    last: usize,
}

/// The records of a `.json` file that is JSON: the file itself, or each element of its array.
fn split_json(bytes: &[u8]) -> Vec<Piece<'_>> {
    let lines = |upto: usize| 1 + bytes[..upto].iter().filter(|&&b| b == b'\n').count();
    let text_start = bytes
        .iter()
        .position(|b| !b" \t\r\n".contains(b))
        .unwrap_or(0);
    if bytes.get(text_start) != Some(&b'[') {
        return vec![Piece {
            bytes,
            first: 1,
            last: lines(bytes.len()),
        }];
    }
    let mut pieces = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut start: Option<usize> = None;
    let mut push = |from: usize, to: usize| {
        pieces.push(Piece {
            bytes: &bytes[from..to],
            first: lines(from),
            last: lines(to),
        })
    };
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'[' | b'{' => {
                if depth == 1 && start.is_none() {
                    start = Some(i);
                }
                depth += 1;
            }
            b']' | b'}' => {
                depth -= 1;
                if depth == 1 {
                    if let Some(s) = start.take() {
                        push(s, i + 1);
                    }
                } else if depth == 0 {
                    if let Some(s) = start.take() {
                        push(s, i);
                    }
                }
            }
            b',' if depth == 1 => {
                if let Some(s) = start.take() {
                    push(s, i);
                }
            }
            _ => {
                in_string = b == b'"';
                if depth == 1 && start.is_none() {
                    start = Some(i);
                }
            }
        }
    }
    pieces
}

/// The lines of a JSON Lines file that are not blank.
fn split_lines(bytes: &[u8]) -> Vec<Piece<'_>> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(|b| b" \t\r".contains(b)))
        .map(|(n, line)| Piece {
            bytes: line,
            first: n + 1,
            last: n + 1,
        })
        .collect()
}

/// Parses JSON, noticing a key given twice in one object.
struct NoDuplicates;

impl<'de> Deserialize<'de> for NoDuplicates {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_str<E>(self, _: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NoDuplicates, A::Error> {
        while seq.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoDuplicates, A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
            }
            map.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

/// Why the schema cannot judge these bytes, or the JSON value it judges.
fn readable(bytes: &[u8]) -> Result<Value, Skip> {
    let text = std::str::from_utf8(bytes).map_err(|_| Skip::NotUtf8)?;
    // The contract tolerates a byte-order mark, which is not JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value = serde_json::from_str(text).map_err(|_| Skip::NotJson)?;
    serde_json::from_str::<NoDuplicates>(text).map_err(|_| Skip::DuplicateKey)?;
    Ok(value)
}

/// The lines where bylaw, checking `file` alone, refuses a record (set.3 or bad input).
fn refusals(file: &Path) -> Vec<usize> {
    let out = bylaw(&["check", "--format", "json", file.to_str().expect("UTF-8")]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    report["bad_inputs"]
        .as_array()
        .expect("bad inputs")
        .iter()
        .filter(|b| {
            let message = b["message"].as_str().unwrap_or("");
            !NOT_THE_RECORDS_OWN
                .iter()
                .any(|(start, has)| message.starts_with(start) && message.contains(has))
        })
        .map(|b| b["line"].as_u64().expect("a line") as usize)
        .collect()
}

#[test]
fn the_schema_gives_bylaws_verdict_on_every_bad_fixture() {
    let v = validators(&bundled_schema());
    let mut skipped: Vec<(String, usize, Skip)> = Vec::new();
    let mut disagreements: Vec<String> = Vec::new();
    let (mut compared, mut rejected) = (0, 0);
    for path in record_files(&root().join("fixtures/bad")) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).expect("readable");
        let refused = refusals(&path);
        let refused_in = |p: &Piece<'_>| refused.iter().any(|&l| p.first <= l && l <= p.last);
        // UTF-16 (refused whole, at its first byte): the reader's business, not the contract's.
        if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            assert_eq!(refused, [1], "{name}: refused whole");
            skipped.push((name, 1, Skip::NotUtf8));
            continue;
        }
        let whole_json = serde_json::from_str::<Value>(&String::from_utf8_lossy(&bytes)).is_ok();
        let pieces = match (is_lines(&path), whole_json) {
            (true, _) => split_lines(&bytes),
            (false, true) => split_json(&bytes),
            // Not JSON as a whole: the reader's business, not the contract's.
            (false, false) => {
                assert!(!refused.is_empty(), "{name}: bylaw refuses nothing");
                skipped.push((name, 1, Skip::NotJson));
                continue;
            }
        };
        let mut file_refused = false;
        let mut file_judged = true;
        for piece in &pieces {
            let bylaw_refuses = refused_in(piece);
            file_refused |= bylaw_refuses;
            match readable(piece.bytes) {
                Err(why) => {
                    file_judged = false;
                    assert!(bylaw_refuses, "{name}:{}: bylaw accepts it", piece.first);
                    skipped.push((name.clone(), piece.first, why));
                }
                Ok(value) => {
                    let e = errors(&v.record, &value);
                    compared += 1;
                    rejected += usize::from(!e.is_empty());
                    if e.is_empty() == bylaw_refuses {
                        disagreements.push(format!(
                            "{name}:{}-{}: bylaw {}, the schema {} {e:?}",
                            piece.first,
                            piece.last,
                            if bylaw_refuses { "refuses" } else { "accepts" },
                            if e.is_empty() { "accepts" } else { "refuses" },
                        ));
                    }
                }
            }
        }
        // The whole file, as one record or an array of records, where every record was judged.
        if !is_lines(&path) && file_judged {
            let value: Value = serde_json::from_slice(&bytes).expect("JSON");
            if v.file.is_valid(&value) == file_refused {
                disagreements.push(format!("{name}: the whole file"));
            }
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    let stated: Vec<(String, usize, Skip)> = SKIPPED
        .iter()
        .map(|&(f, l, s)| (f.to_string(), l, s))
        .collect();
    assert_eq!(skipped, stated, "records skipped other than as stated");
    assert!(compared > 80, "only {compared} records compared");
    assert!(
        rejected >= 15,
        "only {rejected} records refused by the schema"
    );
}

// ───────────────────────────── a policy of the test's own ─────────────────────────────

const TINY: &str = r#"
policy "tiny" { title "A tiny policy" }

enum colour {
  red   "the colour of danger"
  green
}

shape part "one part of a box" {
  name: string required nonempty "what the part is called"
  weight: int
}

record box {
  id: string required nonempty
  type: string required
  colour: colour required
  parts: [part] nonempty
  main: part
  made: date required event
  opened: datetime
}

record label {
  id: string required
  type: string required
  on: -> box required
}
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bylaw-schema-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// The tiny policy in a folder of its own (`name`: tests run in parallel).
fn tiny_policy(name: &str) -> String {
    let dir = scratch(name);
    std::fs::write(dir.join("tiny.bylaw"), TINY).expect("written");
    dir.to_str().expect("UTF-8").to_string()
}

#[test]
fn a_small_policy_gives_its_shapes_enums_and_references() {
    let policy = tiny_policy("tiny");
    let text = schema_text(&["--policy", &policy]);
    insta::assert_snapshot!(
        "tiny_schema",
        text.replace(env!("CARGO_PKG_VERSION"), "[version]")
    );
    let schema: Value = serde_json::from_str(&text).expect("JSON");
    let defs = &schema["$defs"];
    assert_eq!(defs["colour"]["enum"], json!(["red", "green"]));
    assert_eq!(
        defs["colour"]["enumDescriptions"],
        json!(["the colour of danger", ""])
    );
    assert_eq!(
        defs["box"]["required"],
        json!(["type", "id", "colour", "made"])
    );
    assert_eq!(defs["box"]["properties"]["parts"]["minItems"], 1);
    assert_eq!(
        defs["box"]["properties"]["parts"]["items"]["anyOf"][0]["$ref"],
        "#/$defs/part"
    );
    assert_eq!(defs["part"]["properties"]["name"]["minLength"], 1);
    // What the policy says a type and a field mean leads their descriptions.
    assert!(defs["part"]["description"]
        .as_str()
        .unwrap()
        .starts_with("one part of a box; "));
    assert!(defs["part"]["properties"]["name"]["description"]
        .as_str()
        .unwrap()
        .starts_with("what the part is called; "));
    let on = &defs["label"]["properties"]["on"];
    assert_eq!(on["type"], "string");
    assert!(on["description"].as_str().unwrap().contains("`box` record"));
    assert!(defs["box"].get("additionalProperties").is_none());

    // The schema and bylaw agree, record by record.
    let v = validators(&schema);
    let good = json!({ "type": "box", "id": "b1", "colour": "red", "made": "2012-02-29",
                       "parts": [{ "name": "lid", "weight": 3 }, null], "main": null,
                       "opened": "2012-03-01 09:00:00.5z", "extra": [1, 2] });
    let cases: Vec<(Value, bool)> = vec![
        (good.clone(), true),
        (json!({ "type": "label", "id": "l1", "on": "b1" }), true),
        (
            json!([good.clone(), { "type": "label", "id": "l1", "on": "b1" }]),
            true,
        ),
        (json!([]), true),
        (with(&good, "colour", json!("blue")), false),
        (with(&good, "colour", Value::Null), false),
        (with(&good, "parts", json!([])), false),
        (with(&good, "parts", json!([{ "name": "" }])), false),
        (with(&good, "parts", json!([{ "weight": 1 }])), false),
        (with(&good, "parts", json!({ "name": "lid" })), false),
        (with(&good, "main", json!("lid")), false),
        (with(&good, "made", json!("2011-02-29")), false),
        (with(&good, "made", json!("2000-02-29")), true),
        (with(&good, "made", json!("1900-02-29")), false),
        (with(&good, "opened", json!("2011-07-11T09:00:00")), false),
        (
            with(&good, "opened", json!("2011-07-11T09:00:00-23:59")),
            true,
        ),
        (
            with(&good, "opened", json!("2011-07-11T09:00:00+24:00")),
            false,
        ),
        (with(&good, "opened", json!("2011-07-11T24:00:00Z")), false),
        (with(&good, "opened", json!("2011-07-11T09:00:60Z")), false),
        (with(&good, "opened", json!("2011-07-11T09:00:00.Z")), false),
        (with(&good, "id", json!("")), false),
        (with(&good, "type", json!("crate")), false),
        (json!({ "type": "label", "id": "l1", "on": 7 }), false),
        (json!({ "type": "label", "id": "l1" }), false),
        (json!({ "id": "l1" }), false),
        (
            json!([{ "type": "label", "id": "l1", "on": "b1" }, 3]),
            false,
        ),
        (json!("box"), false),
    ];
    let dir = scratch("tiny-cases");
    for (i, (value, valid)) in cases.iter().enumerate() {
        assert_eq!(v.file.is_valid(value), *valid, "the schema on {value}");
        let file = dir.join(format!("case-{i}.json"));
        std::fs::write(&file, value.to_string()).expect("written");
        let out = bylaw(&[
            "check",
            "--policy",
            &policy,
            "--format",
            "json",
            file.to_str().unwrap(),
        ]);
        let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
        let refused = report["summary"]["bad_inputs"] != 0;
        assert_eq!(!refused, *valid, "bylaw on {value}: {report}");
    }
}

fn with(record: &Value, key: &str, value: Value) -> Value {
    let mut record = record.clone();
    record[key] = value;
    record
}
