//! `--format html`: the page a person opens. Its body is pinned on small fixtures (a record
//! finding with its excerpt, a periodic rule's calendar, a waived finding, bad input); the real
//! binary writes a self-contained page for the bundled example; and record text that tries to be
//! markup comes out escaped and inert. The page in a real browser is checked by `.ci/html-check`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine;
use sha2::{Digest, Sha256};

use bylaw::report;

fn bylaw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// A fresh, empty folder under the target directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

#[test]
fn body_of_small_fixtures() {
    let policy = common::default_policy();
    for (name, path) in [
        (
            "record_finding",
            "fixtures/fail/38.1/chair-is-vice-mayor.json",
        ),
        ("calendar", "fixtures/fail/40.3/week-without-briefing.json"),
        ("waived", "fixtures/waivers/one-of-two-findings-waived.json"),
        ("bad_input", "fixtures/bad/malformed.json"),
    ] {
        let outcome = common::audit(&policy, Path::new(path));
        let body = report::html::body(&policy, &outcome);
        insta::assert_snapshot!(format!("html_{name}"), body);
    }
}

/// The attribute names of every start tag of the page, with the tag's name: quoted values are
/// left out, so text inside a value (escaped) is not taken for an attribute.
fn attributes(page: &str) -> Vec<(String, String)> {
    let tag = regex::Regex::new(r"<([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>").expect("regex");
    let value = regex::Regex::new(r#""[^"]*"|'[^']*'"#).expect("regex");
    let name = regex::Regex::new(r"([^\s=/]+)\s*(=|$|\s)").expect("regex");
    let mut found = Vec::new();
    for t in tag.captures_iter(page) {
        let rest = value.replace_all(&t[2], "\"\"");
        for n in name.captures_iter(&rest) {
            let attr = n[1].trim_matches('"').to_ascii_lowercase();
            if !attr.is_empty() {
                found.push((t[1].to_ascii_lowercase(), attr));
            }
        }
    }
    found
}

/// The `'sha256-…'` a browser computes for an inline element's text.
fn hash(code: &str) -> String {
    let digest = Sha256::digest(code.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The text between the first `<tag>` and the `</tag>` after it.
fn inline<'a>(page: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = page.find(&open).expect("the tag") + open.len();
    let end = start + page[start..].find(&format!("</{tag}>")).expect("closed");
    &page[start..end]
}

#[test]
fn the_example_is_one_self_contained_page() {
    let dir = scratch("html-example");
    let out = dir.join("report.html");
    let run = bylaw(&[
        "check",
        "fixtures/example",
        "--format",
        "html",
        "-o",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let page = std::fs::read_to_string(&out).expect("the report was written");
    assert!(page.starts_with("<!DOCTYPE html>"));

    // Nothing to fetch: no element with a source or a link, no stylesheet, no external script.
    let fetching = [
        "src",
        "href",
        "srcset",
        "action",
        "poster",
        "data",
        "background",
    ];
    let attrs = attributes(&page);
    assert!(attrs
        .iter()
        .any(|(t, a)| t == "article" && a == "data-fingerprint"));
    let bad: Vec<_> = attrs
        .iter()
        .filter(|(_, a)| fetching.contains(&a.as_str()))
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    assert!(!page.contains("url("), "the style loads nothing");
    assert!(!page.contains("@import"));

    // The policy forbids everything but the page's own inline style and script, by their hashes.
    let csp = regex::Regex::new(r#"<meta http-equiv="Content-Security-Policy" content="([^"]*)">"#)
        .expect("regex");
    let policy = &csp.captures(&page).expect("a CSP meta element")[1];
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    assert!(policy.contains(&format!("script-src {};", hash(inline(&page, "script")))));
    assert!(policy.contains(&format!("style-src {};", hash(inline(&page, "style")))));
    assert_eq!(page.matches("<script").count(), 1);
    assert_eq!(page.matches("<style").count(), 1);

    // Every finding of the JSON report has its element.
    let json = bylaw(&["check", "fixtures/example", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let findings = doc["findings"].as_array().expect("findings").len();
    assert_eq!(page.matches("<article class=\"finding ").count(), findings);
    assert_eq!(page.matches("data-fingerprint=").count(), findings);
    // The calendar marks the week without a briefing meeting.
    assert!(page.contains(
        "<li class=\"cell short\" data-period=\"2011-W37\" title=\"2011-09-12 – 2011-09-18; none counted\">"
    ));
}

#[test]
fn markup_in_records_is_escaped_and_inert() {
    let dir = scratch("html-hostile");
    let example = std::fs::read_to_string("policies/lianyungang/examples/38.1/fail.json")
        .expect("the example");
    let script = "</script><script>alert(1)</script>";
    let img = "<img src=x onerror=alert(2)>";
    let hostile = example
        .replace("EXEC-2011-045", &format!("EXEC-{script}"))
        .replace("王建国", &format!("王{img}"))
        .replace("市政府第45次常务会议", &format!("{script}{img}"));
    let record_file = dir.join(format!("x{img}.json"));
    std::fs::write(&record_file, hostile).expect("written");
    let out = dir.join("report.html");
    let run = bylaw(&[
        "check",
        dir.to_str().expect("utf-8"),
        "--format",
        "html",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let page = std::fs::read_to_string(&out).expect("the report");
    // The finding is there, with the hostile id, file name and name in its text and excerpt.
    assert_eq!(
        page.matches("<article class=\"finding ").count(),
        1,
        "{page}"
    );
    let escaped_script = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;";
    let escaped_img = "&lt;img src=x onerror=alert(2)&gt;";
    assert!(page.contains(&format!("EXEC-{escaped_script}")), "the id");
    assert!(
        page.contains(&format!("x{escaped_img}.json")),
        "the file name"
    );
    assert!(
        page.contains(&format!("王{escaped_img}")),
        "the chair's name"
    );
    // None of it is markup: one script element (the page's own), no image, no handler.
    assert_eq!(page.matches("<script").count(), 1);
    assert_eq!(page.matches("</script").count(), 1);
    assert!(!page.contains("<img"));
    let attrs = attributes(&page);
    let bad: Vec<_> = (attrs.iter())
        .filter(|(t, a)| a.starts_with("on") || a == "src" || t == "img" || t == "iframe")
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
}

/// Each finding's excerpt is numbered as its file is, whatever the record's place in it: the
/// line with the marked value is the line the finding gives (in a pretty array and in JSON Lines).
#[test]
fn excerpts_are_numbered_as_the_file_is() {
    for (file, at_least) in [
        ("fixtures/example/meetings-2011-q3.json", 3),
        ("fixtures/example/meetings.jsonl", 1),
        ("fixtures/export", 8),
    ] {
        let out = bylaw(&["check", file, "--format", "html"]);
        let page = String::from_utf8(out.stdout).expect("UTF-8");
        let mut checked = 0;
        for article in page.split("<article class=\"finding").skip(1) {
            let Some(place) = article
                .split("<dd class=\"place\">")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
            else {
                continue;
            };
            let line: usize = (place.rsplit(':').nth(1))
                .and_then(|l| l.parse().ok())
                .expect("file:line:column");
            // The first line that marks the value is the finding's.
            let marked = (article.lines())
                .find(|l| l.contains("<mark>"))
                .and_then(|l| l.split("<span class=\"ln\">").nth(1))
                .and_then(|rest| rest.split('<').next())
                .and_then(|n| n.trim().parse::<usize>().ok());
            assert_eq!(marked, Some(line), "{file}: {place}");
            checked += 1;
        }
        assert!(checked >= at_least, "{file}: {checked} excerpts");
    }
}

/// A finding's record text is read again when a page shows it; a file rewritten after its audit
/// no longer reads as it did, so its text is not shown, and the page and the human report say
/// why — while the findings, their places, their month in the chart and the JSON report stay
/// what the audit found.
#[test]
fn a_file_changed_after_its_audit_is_not_shown_as_if_it_were_the_same() {
    let policy = common::default_policy();
    let dir = scratch("changed-after-audit");
    let path = dir.join("chair.json");
    let original = std::fs::read_to_string("fixtures/fail/38.1/chair-is-vice-mayor.json")
        .expect("the fixture");
    std::fs::write(&path, &original).expect("written");
    let outcome = common::audit(&policy, &path);
    assert!(!outcome.findings.is_empty());
    // (Shown before the change, the text as audited would be kept for the next finding.)
    let json = common::json(&policy, &outcome);

    std::fs::write(&path, original.replace("P-00", "Q-00")).expect("rewritten");
    let page = report::html::body(&policy, &outcome);
    assert!(
        !page.contains("<figure class=\"excerpt\">"),
        "no text shown"
    );
    let notes = page
        .matches(&report::html::text(report::present::NOT_SHOWN))
        .count();
    assert_eq!(
        notes,
        outcome
            .findings
            .iter()
            .filter(|f| f.place.is_some())
            .count()
    );
    // The chart counts each finding in its record's month, as the audit read it.
    let month_row = ">2011-08</text><rect class=\"error\"";
    assert!(page.contains(month_row), "{page}");
    assert!(!page.contains(">undated<"), "{page}");
    let human = common::human(&policy, &outcome);
    assert!(human.contains(report::present::NOT_SHOWN), "{human}");
    assert!(
        !human.contains("Q-00"),
        "never the new text as the audited one"
    );
    assert_eq!(common::json(&policy, &outcome), json);
}
