//! The CI formats of the output contract: SARIF, JUnit and GitHub annotations, pinned on the
//! bundled example, the waiver fixtures and bad input, and checked for their own structure.
//! Paths are relative to the crate root, where cargo runs integration tests.

mod common;

use std::path::PathBuf;

use bylaw::audit::{self, Options, Outcome};
use bylaw::check::Policy;
use bylaw::report;

fn audit(policy: &Policy, paths: &[&str]) -> Outcome {
    let options = Options {
        paths: paths.iter().map(PathBuf::from).collect(),
        trace: true,
        ..Options::default()
    };
    audit::run(policy, &options, || Ok(Vec::new()))
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
        let text = report::sarif::document(&policy, &outcome);
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
        serde_json::from_str(&report::sarif::document(&policy, &outcome)).expect("JSON");
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
