//! The CI formats of the output contract: SARIF, JUnit and GitHub annotations, pinned on the
//! bundled example, the waiver fixtures and bad input, checked for their own structure, and
//! validated (as the real binary writes them) against the published schemas in `tests/schemas/`:
//! SARIF with a JSON Schema validator, JUnit with the XSD checker of `tests/support/xsd.rs`.
//! Paths are relative to the crate root, where cargo runs integration tests.

mod common;
#[path = "support/xsd.rs"]
mod xsd;

use std::path::{Path, PathBuf};
use std::process::Command;

use bylaw::audit::{self, Options, Outcome};
use bylaw::check::Policy;
use bylaw::report;

fn audit(policy: &Policy, paths: &[&str]) -> Outcome {
    let options = Options {
        paths: paths.iter().map(PathBuf::from).collect(),
        trace: true,
        ..Options::default()
    };
    audit::run(policy, &options, audit::Stdin::empty)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn inputs() -> [(&'static str, Vec<&'static str>); 3] {
    [
        ("example", vec!["fixtures/example"]),
        ("waivers", vec!["fixtures/waivers"]),
        (
            "bad",
            vec![
                "fixtures/bad/missing-required.json",
                "fixtures/bad/malformed.json",
            ],
        ),
    ]
}

#[test]
fn github_annotations() {
    let policy = common::default_policy();
    for (name, paths) in inputs() {
        let outcome = audit(&policy, &paths);
        let text = report::github::commands(&policy, &outcome);
        // Every line is a workflow command but the last, the summary for the log.
        let lines: Vec<&str> = text.lines().collect();
        let commands = lines.len() - 1;
        assert_eq!(commands, outcome.findings.len() + outcome.bad_inputs.len());
        assert!(lines[..commands].iter().all(|l| l.starts_with("::")));
        insta::assert_snapshot!(format!("github_{name}"), text);
    }
}

#[test]
fn sarif_results_point_at_their_rule_descriptors() {
    let policy = common::default_policy();
    for (name, paths) in inputs() {
        let outcome = audit(&policy, &paths);
        let text = report::sarif::document(&policy, &outcome, Some(root()));
        let doc: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
        assert_eq!(doc["version"], "2.1.0");
        let run = &doc["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), policy.rules.len(), "a descriptor per rule");
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), outcome.findings.len());
        for result in results {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
        }
        let notifications = run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .expect("notifications");
        assert_eq!(notifications.len(), outcome.bad_inputs.len());
        assert_eq!(
            run["invocations"][0]["executionSuccessful"],
            outcome.bad_inputs.is_empty()
        );
        // The descriptors are long (every article's text): pin the results and notifications.
        insta::assert_json_snapshot!(
            format!("sarif_{name}"),
            serde_json::json!({ "results": results, "notifications": notifications })
        );
    }
    let outcome = audit(&policy, &["fixtures/example"]);
    let doc: serde_json::Value =
        serde_json::from_str(&report::sarif::document(&policy, &outcome, Some(root())))
            .expect("JSON");
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array();
    let rule = rules
        .and_then(|rules| rules.iter().find(|r| r["id"] == "16.1"))
        .expect("a descriptor for 16.1");
    insta::assert_json_snapshot!("sarif_rule_descriptor", rule);
}

#[test]
fn junit_is_well_formed_and_counts_its_cases() {
    let policy = common::default_policy();
    for (name, paths) in inputs() {
        let outcome = audit(&policy, &paths);
        let text = report::junit::document(&policy, &outcome);
        let (cases, declared) = parse_junit(&text);
        assert_eq!(cases, declared, "`tests` counts every testcase");
        insta::assert_snapshot!(format!("junit_{name}"), text);
    }
}

/// The same records in two files: each rule's case for an id is listed once per file, and a
/// finding fails the case of its own file, not the other's (cases are found by rule, subject and
/// file among hundreds of thousands).
#[test]
fn junit_joins_each_finding_to_the_case_of_its_own_file() {
    let policy = common::default_policy();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let leave = std::fs::read_to_string(root().join("fixtures/export/leave.jsonl"))
        .expect("the export's leave records");
    for name in ["a.jsonl", "b.jsonl"] {
        std::fs::write(dir.path().join(name), &leave).expect("written");
    }
    let outcome = audit(&policy, &[dir.path().to_str().expect("a UTF-8 path")]);
    let text = report::junit::document(&policy, &outcome);
    let cases = junit_cases(&text);
    let mut seen = std::collections::HashSet::new();
    for case in &cases {
        assert!(seen.insert((&case.0, &case.1)), "listed twice: {case:?}");
    }
    let file_of = |class: &str| Path::new(class).file_name().map(|f| f.to_owned());
    let in_file = |file: &str| -> Vec<(String, bool)> {
        (cases.iter())
            .filter(|c| file_of(&c.0).is_some_and(|f| f == file) && !c.1.starts_with("set."))
            .map(|c| (c.1.clone(), c.2))
            .collect()
    };
    let (a, b) = (in_file("a.jsonl"), in_file("b.jsonl"));
    assert!(
        a.len() > 76,
        "every leave record judged by its rules: {}",
        a.len()
    );
    assert!(
        a.iter().any(|c| c.1),
        "the export's leave records have findings"
    );
    assert_eq!(a, b, "the same cases, failing the same way, in each file");
}

/// Each testcase's classname and name (as escaped) and whether it fails, in the report's order.
fn junit_cases(text: &str) -> Vec<(String, String, bool)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut cases: Vec<(String, String, bool)> = Vec::new();
    let attribute = |e: &quick_xml::events::BytesStart<'_>, name: &str| {
        let value = e
            .try_get_attribute(name)
            .ok()
            .flatten()
            .expect("an attribute");
        value.value.into_owned()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "testcase" => {
                    cases.push((attribute(&e, "classname"), attribute(&e, "name"), false))
                }
                "failure" => cases.last_mut().expect("inside a testcase").2 = true,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    cases
}

/// Reads the XML through (so it is well formed); returns the testcases and `<testsuites tests>`.
fn parse_junit(text: &str) -> (usize, usize) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let (mut cases, mut declared) = (0, 0);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.name().as_ref() {
                "testcase" => cases += 1,
                "testsuites" => {
                    let tests = e
                        .try_get_attribute("tests")
                        .ok()
                        .flatten()
                        .expect("testsuites has `tests`");
                    declared = tests.value.parse().expect("a number");
                }
                _ => {}
            },
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("JUnit is not well-formed XML: {e}\n{text}"),
        }
    }
    (cases, declared)
}

/// The report the real binary writes for `args`, run in `dir`, with its exit status.
fn report(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8 output"),
    )
}

/// The runs every validation covers: the bundled example, the export, and bad input (exit 2).
fn runs() -> Vec<(&'static str, Vec<String>, i32)> {
    let absolute = root().join("fixtures/example").display().to_string();
    vec![
        ("example", vec!["fixtures/example".into()], 1),
        ("export", vec!["fixtures/export".into()], 1),
        ("bad", vec!["fixtures/bad".into()], 2),
        ("absolute", vec![absolute], 1),
    ]
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json"))
        .expect("the SARIF schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    // Formats (`uri`, `uri-reference`, `date-time`) are only annotations in draft 2020-12
    // unless asked for; a URI that is not one is exactly what this must catch.
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles, with no reference to fetch")
}

fn sarif_errors(validator: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn sarif_is_valid_for_the_sarif_2_1_0_schema() {
    let validator = sarif_validator();
    for (name, paths, status) in runs() {
        let mut args = vec!["check", "--format", "sarif"];
        args.extend(paths.iter().map(String::as_str));
        let (code, text) = report(root(), &args);
        assert_eq!(code, Some(status), "{name}");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
        let errors = sarif_errors(&validator, &doc);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let run = &doc["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        assert!(run["tool"]["driver"]["informationUri"].is_string());
        let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str();
        let base = url::Url::parse(base.expect("%SRCROOT%")).expect("an absolute URI");
        assert_eq!(base.to_file_path().ok().as_deref(), Some(root()), "{name}");
        assert!(base.as_str().ends_with('/'));
        // Every location is relative to %SRCROOT% or an absolute `file://` URI, and names a file
        // that exists.
        let mut locations: Vec<&serde_json::Value> = Vec::new();
        for item in run["results"]
            .as_array()
            .into_iter()
            .chain(run["invocations"][0]["toolExecutionNotifications"].as_array())
            .flatten()
        {
            locations.extend(item["locations"].as_array().into_iter().flatten());
        }
        assert!(!locations.is_empty(), "{name}");
        for location in locations {
            let artifact = &location["physicalLocation"]["artifactLocation"];
            let uri = artifact["uri"].as_str().expect("a URI");
            let file = match artifact["uriBaseId"].as_str() {
                Some(base_id) => {
                    assert_eq!(base_id, "%SRCROOT%");
                    base.join(uri).expect("a relative reference")
                }
                None => url::Url::parse(uri).expect("an absolute URI"),
            };
            assert_eq!(file.scheme(), "file");
            let path = file.to_file_path().expect("a file path");
            assert!(path.is_file(), "{name}: {uri} → {}", path.display());
            assert_eq!(
                artifact["uriBaseId"].is_string(),
                name != "absolute",
                "{name}: {uri}"
            );
        }
    }
}

#[test]
fn sarif_of_paths_outside_the_working_directory_is_valid() {
    let validator = sarif_validator();
    let (code, text) = report(
        &root().join("src"),
        &["check", "--format", "sarif", "../fixtures/example"],
    );
    assert_eq!(code, Some(1));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    assert_eq!(sarif_errors(&validator, &doc), Vec::<String>::new());
    let uri = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    let expected = url::Url::from_file_path(root().join("fixtures/example/meetings-2011-q3.json"))
        .expect("a URI");
    assert_eq!(uri, &serde_json::json!({ "uri": expected.as_str() }));
}

#[test]
fn the_sarif_validator_rejects_what_the_schema_forbids() {
    let validator = sarif_validator();
    let (_, text) = report(root(), &["check", "--format", "sarif", "fixtures/example"]);
    let valid: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let broken = |pointer: &str, value: serde_json::Value| {
        let mut doc = valid.clone();
        *doc.pointer_mut(pointer).expect(pointer) = value;
        sarif_errors(&validator, &doc)
    };
    // A base that is not a URI (the format is checked), a column kind SARIF does not know,
    // a property SARIF does not have, a level that is not one.
    for errors in [
        broken(
            "/runs/0/originalUriBaseIds/%SRCROOT%/uri",
            "file:// not a uri".into(),
        ),
        broken("/runs/0/columnKind", "bytes".into()),
        broken("/runs/0/tool/driver/informationUri", "not a URI".into()),
        broken("/runs/0/results/0/level", "fatal".into()),
        broken(
            "/runs/0/results/0/message",
            serde_json::json!({ "txt": "x" }),
        ),
    ] {
        assert!(!errors.is_empty());
    }
    let mut extra = valid.clone();
    extra["runs"][0]["tool"]["driver"]["file"] = "x".into();
    assert!(!sarif_errors(&validator, &extra).is_empty());
}

fn junit_schema() -> xsd::Schema {
    let text = std::fs::read_to_string(root().join("tests/schemas/junit-10.xsd")).expect("the XSD");
    xsd::Schema::parse(&text).unwrap_or_else(|e| panic!("the JUnit XSD is not understood: {e}"))
}

#[test]
fn junit_is_valid_for_the_jenkins_xsd() {
    let schema = junit_schema();
    for (name, paths, status) in runs() {
        let mut args = vec!["check", "--format", "junit"];
        args.extend(paths.iter().map(String::as_str));
        let (code, text) = report(root(), &args);
        assert_eq!(code, Some(status), "{name}");
        assert!(text.starts_with("<?xml"), "{name}");
        assert!(text.contains("<testcase "), "{name}");
        assert_eq!(schema.validate(&text), Vec::<String>::new(), "{name}");
        assert_eq!(xsd::parse(&text).map(|r| r.name), Ok("testsuites".into()));
    }
}

#[test]
fn the_xsd_checker_rejects_what_the_junit_xsd_forbids() {
    let schema = junit_schema();
    let valid = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="n" tests="1" failures="1" errors="0" time="1,234.5">
  <testsuite name="s" tests="1" failures="1" errors="0" skipped="0">
    <testcase classname="a.json" name="38.1 X">
      <failure type="error" message="m">at a.json:3:4 &amp; more</failure>
      <system-out>x</system-out>
    </testcase>
  </testsuite>
</testsuites>"#;
    assert_eq!(schema.validate(valid), Vec::<String>::new());
    let rejected = |from: &str, to: &str, why: &str| {
        assert!(valid.contains(from), "{from}");
        let errors = schema.validate(&valid.replace(from, to));
        assert!(
            errors.iter().any(|e| e.contains(why)),
            "`{to}`: expected an error with `{why}`, got {errors:#?}"
        );
    };
    // GitLab's `file` on a testcase; `skipped` on testsuites; an element the XSD does not know.
    rejected(
        r#"name="38.1 X">"#,
        r#"name="38.1 X" file="a.json">"#,
        "attribute `file` is not allowed",
    );
    rejected(
        r#"errors="0" time"#,
        r#"errors="0" skipped="1" time"#,
        "attribute `skipped` is not allowed",
    );
    rejected(
        "<system-out>x</system-out>",
        "<note>x</note>",
        "do not match the content model",
    );
    // A required attribute missing, a time that is not SUREFIRE_TIME, a testcase outside a
    // suite, text where none is allowed, an element inside a text-only one, a wrong root.
    rejected(
        r#"<testsuite name="s" "#,
        "<testsuite ",
        "required attribute `name` is missing",
    );
    rejected(
        r#"time="1,234.5""#,
        r#"time="1.5s""#,
        "is not a valid `SUREFIRE_TIME`",
    );
    rejected(
        "<testsuite name",
        "<testcase name=\"c\"/><testsuite name",
        "do not match",
    );
    rejected(
        "<system-out>",
        "stray text<system-out>",
        "text is not allowed",
    );
    rejected("<system-out>x", "<system-out><b/>x", "holds elements");
    assert!(!schema.validate("<junit/>").is_empty());
    assert!(
        !schema.validate("<testsuites>").is_empty(),
        "not well-formed"
    );
}

#[test]
fn the_xsd_checker_refuses_constructs_it_does_not_implement() {
    let xsd = std::fs::read_to_string(root().join("tests/schemas/junit-10.xsd")).expect("the XSD");
    for (from, to) in [
        // A namespace, a type it does not know, an annotation, a facet other than a pattern,
        // an attribute group, a pattern construct whose meaning differs from Rust's.
        ("<xs:schema ", "<xs:schema targetNamespace=\"urn:x\" "),
        (
            r#"name="time" type="xs:string""#,
            r#"name="time" type="xs:decimal""#,
        ),
        (
            "<xs:element name=\"failure\">",
            "<xs:element name=\"failure\"><xs:annotation/>",
        ),
        ("<xs:pattern ", "<xs:maxLength value=\"3\"/><xs:pattern "),
        (
            "</xs:schema>",
            "<xs:attributeGroup name=\"g\"/></xs:schema>",
        ),
        (r#"value="(([0-9]"#, r#"value="\p{IsBasicLatin}(([0-9]"#),
        ("<xs:sequence>", "<xs:sequence><xs:any/>"),
        (
            "<xs:choice minOccurs",
            "<xs:all><xs:element ref=\"error\"/></xs:all><xs:choice minOccurs",
        ),
    ] {
        assert!(xsd.contains(from), "{from}");
        let changed = xsd.replacen(from, to, 1);
        assert!(
            xsd::Schema::parse(&changed)
                .inspect_err(|e| eprintln!("refused: {e}"))
                .is_err(),
            "accepted a schema with `{to}`"
        );
    }
}
