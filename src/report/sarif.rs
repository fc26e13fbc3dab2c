//! `--format sarif`: SARIF 2.1.0, for code-scanning dashboards. One run; a rule descriptor for
//! every rule of the policy, with its article's original text; one result per finding; bad
//! inputs as tool notifications (the run did not judge everything).
//!
//! File locations are URIs relative to `%SRCROOT%`, the working directory the paths were given
//! from, stated in `originalUriBaseIds`; an absolute path, or one that leaves the working
//! directory, is an absolute `file://` URI. The document is valid for the SARIF 2.1.0 schema and
//! for Microsoft's SARIF multitool (`tests/formats.rs`, `.ci/run`).

use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

/// The keys of the SARIF document, which an earlier report is told by ([`super::Written`]).
pub const DOCUMENT_KEYS: [&str; 3] = ["$schema", "version", "runs"];

use serde_json::{json, Map, Value as Json};
use url::Url;

use crate::audit::{fingerprint, Outcome};
use crate::check::{Policy, RuleDef};
use crate::diagnostic::Severity;
use crate::finding::{BadInput, Finding};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The base every relative artifact URI is resolved against.
const SRCROOT: &str = "%SRCROOT%";

/// Where a standard input's records came from (see `audit::read`): no file, so no URI.
const STDIN: &str = "<stdin>";

/// The SARIF log of an audit. `root` is the absolute working directory the input paths are
/// relative to (`None` when it cannot be known: relative paths then stay relative URIs with no
/// base).
pub fn document(policy: &Policy, outcome: &Outcome, root: Option<&Path>) -> String {
    super::text_of(|out| write(policy, outcome, root, out))
}

/// Writes [`document`] to `out` as it is made: each result is built and written in turn, so a
/// run with hundreds of thousands of findings is never held as one tree (a tree took twenty
/// times the bytes of its text).
pub fn write(
    policy: &Policy,
    outcome: &Outcome,
    root: Option<&Path>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let uris = Uris::new(root);
    let rules: Vec<Json> = policy.all_rules().map(|r| descriptor(policy, r)).collect();
    let notifications: Vec<Json> = outcome
        .bad_inputs
        .iter()
        .map(|b| notification(&uris, b))
        .collect();
    let s = &outcome.summary;
    let mut driver = json!({
        "name": "bylaw",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    // The package's homepage (Cargo.toml), when it names one.
    if let Ok(home) = Url::parse(env!("CARGO_PKG_HOMEPAGE")) {
        driver["informationUri"] = json!(home.as_str());
    }
    let run = Run {
        // Columns count Unicode scalar values, as in the JSON output.
        column_kind: "unicodeCodePoints",
        invocations: json!([{
            "executionSuccessful": outcome.bad_inputs.is_empty(),
            "toolExecutionNotifications": notifications,
        }]),
        original_uri_base_ids: uris.base().map(|base| {
            json!({ SRCROOT: {
                "uri": base.as_str(),
                "description": { "text": "the working directory the input paths were given from" },
            }})
        }),
        properties: json!({
            "policy": { "name": policy.name, "source": policy.source_document() },
            "period": outcome.period.map(|p| json!({ "from": p.from.to_string(), "to": p.to.to_string() })),
            "summary": {
                "files": s.files, "ignored_files": s.ignored_files, "records": s.records,
                "bad_inputs": s.bad_inputs, "errors": s.errors, "warnings": s.warnings,
                "waived": s.waived,
            },
        }),
        results: Results {
            policy,
            uris: &uris,
            findings: &outcome.findings,
        },
        tool: json!({ "driver": driver }),
    };
    let log = Log {
        schema: SCHEMA,
        runs: [run],
        version: "2.1.0",
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}

/// The log, its keys in the order of their names, as a map of them is written.
#[derive(serde::Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

/// The one run, its keys in the order of their names.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    column_kind: &'static str,
    invocations: Json,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<Json>,
    properties: Json,
    results: Results<'a>,
    tool: Json,
}

/// The results, each made as it is written.
struct Results<'a> {
    policy: &'a Policy,
    uris: &'a Uris,
    findings: &'a [Box<Finding>],
}

impl serde::Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let results = self.findings.iter();
        serializer.collect_seq(results.map(|f| result(self.policy, self.uris, f)))
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "note",
    }
}

fn descriptor(policy: &Policy, rule: &RuleDef) -> Json {
    let article = rule
        .article
        .filter(|_| !rule.id.starts_with("set."))
        .and_then(|n| policy.articles.get(&n));
    let full = article.map_or_else(|| rule.title.clone(), |a| a.text.clone());
    let advice = rule.help.clone().unwrap_or_else(|| rule.title.clone());
    // The same help twice: plain text, and Markdown for viewers that render it (the article's
    // text as a quotation, which a viewer keeps apart from the advice).
    let mut text = advice.clone();
    let mut markdown = markdown_text(&advice);
    if let Some(quote) = policy.article_quote(rule) {
        text = format!("{text}\n\n{quote}");
    }
    if let Some(a) = article {
        let gloss = unwrap_paragraphs(&a.gloss);
        text = format!("{text}\n\nthe whole article: {}\n\n{gloss}", a.text.trim());
        let _ = write!(
            markdown,
            "\n\n**Article {} — {}**",
            a.number,
            markdown_text(&a.title)
        );
        for q in &rule.quotes {
            let _ = write!(
                markdown,
                "\n\n> {}\n>\n> “{}”",
                markdown_text(&q.original),
                markdown_text(&q.gloss)
            );
        }
        let _ = write!(
            markdown,
            "\n\nThe whole article:\n\n{}\n\n{}",
            quoted(&a.text),
            quoted(&gloss)
        );
    }
    let mut properties = Map::new();
    if let Some(a) = article {
        properties.insert("article".into(), json!(a.number));
        properties.insert("article_title".into(), json!(a.title));
        properties.insert("tags".into(), json!([format!("article-{}", a.number)]));
        if !rule.quotes.is_empty() {
            let quotes: Vec<Json> = rule
                .quotes
                .iter()
                .map(|q| json!({ "original": q.original, "gloss": q.gloss }))
                .collect();
            properties.insert("quote".into(), json!(quotes));
        }
    }
    json!({
        "id": rule.id,
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": full },
        "help": { "text": text, "markdown": markdown },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": properties,
    })
}

/// Text shown as it is in Markdown: the characters that would start markup are escaped, except
/// inside the backtick code spans our help uses for field names and values (where a backslash
/// would show).
fn markdown_text(text: &str) -> String {
    // An unmatched last backtick would run a code span to the end of the paragraph: it is
    // escaped as a literal instead.
    let ticks = text.matches('`').count();
    let mut seen = 0;
    let mut out = String::with_capacity(text.len());
    let mut code = false;
    for c in text.chars() {
        if c == '`' {
            seen += 1;
            if ticks % 2 == 1 && seen == ticks {
                out.push('\\');
            } else {
                code = !code;
            }
        } else if !code
            && matches!(
                c,
                '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '&' | '~'
            )
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Paragraphs as a Markdown block quotation.
fn quoted(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|p| format!("> {}", markdown_text(&crate::check::one_line(p))))
        .collect::<Vec<_>>()
        .join("\n>\n")
}

/// A gloss is wrapped at a fixed width in the policy file; viewers wrap text themselves, so keep
/// only the paragraph breaks.
fn unwrap_paragraphs(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn result(policy: &Policy, uris: &Uris, f: &Finding) -> Json {
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(f.rule));
    if let Some(index) = policy.all_rules().position(|r| r.id == f.rule) {
        result.insert("ruleIndex".into(), json!(index));
    }
    result.insert("level".into(), json!(level(f.severity)));
    // Waived findings are SARIF suppressions, so the text is not marked `(waived)` again.
    let text = super::present::message_with_period(f);
    result.insert("message".into(), json!({ "text": text }));
    if let Some(file) = &f.file {
        let mut location = physical(uris, file, f.line, f.column);
        if let (Some(record), Some(pointer)) = (&f.record, &f.pointer) {
            location.insert(
                "logicalLocations".into(),
                json!([{ "fullyQualifiedName": format!("{record}{pointer}"), "kind": "object" }]),
            );
        }
        result.insert("locations".into(), json!([location]));
    }
    if f.waived {
        // A record's finding is waived in the record itself; a period's, which has no record,
        // in the waivers file: a suppression stored outside the files analysed.
        let kind = if f.period.is_some() {
            "external"
        } else {
            "inSource"
        };
        result.insert("suppressions".into(), json!([{ "kind": kind }]));
    }
    let mut prints = Map::new();
    prints.insert(fingerprint::SCHEME.into(), json!(f.fingerprint));
    result.insert("partialFingerprints".into(), Json::Object(prints));
    if let Some(new) = f.new {
        let state = if new { "new" } else { "unchanged" };
        result.insert("baselineState".into(), json!(state));
    }
    let mut properties = Map::new();
    if let Some(record) = &f.record {
        properties.insert("record".into(), json!(record));
    }
    if let Some(pointer) = &f.pointer {
        properties.insert("pointer".into(), json!(pointer));
    }
    if let Some(period) = &f.period {
        properties.insert("period".into(), json!(period));
        if let Some(group) = &f.group {
            properties.insert("group".into(), json!(group));
        }
        properties.insert("counted".into(), json!(f.counted));
    }
    result.insert("properties".into(), Json::Object(properties));
    Json::Object(result)
}

fn notification(uris: &Uris, bad: &BadInput) -> Json {
    json!({
        "level": "error",
        "message": { "text": bad.message },
        "locations": [physical(uris, &bad.file, bad.line, bad.column)],
    })
}

fn physical(
    uris: &Uris,
    file: &str,
    line: Option<usize>,
    column: Option<usize>,
) -> Map<String, Json> {
    let mut region = Map::new();
    if let Some(line) = line {
        region.insert("startLine".into(), json!(line));
    }
    if let Some(column) = column {
        region.insert("startColumn".into(), json!(column));
    }
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), uris.artifact(file));
    if !region.is_empty() {
        physical.insert("region".into(), Json::Object(region));
    }
    let mut location = Map::new();
    location.insert("physicalLocation".into(), Json::Object(physical));
    location
}

/// Turns the paths of the report into artifact locations.
struct Uris {
    /// The working directory, absolute and without `.` or `..`, and the same as a `file://` URI
    /// ending in `/` (the value of `%SRCROOT%`).
    srcroot: Option<(PathBuf, Url)>,
}

impl Uris {
    fn new(root: Option<&Path>) -> Uris {
        let srcroot = root.filter(|r| r.is_absolute()).and_then(|r| {
            let r = normalise(r);
            let url = Url::from_directory_path(&r).ok()?;
            Some((r, url))
        });
        Uris { srcroot }
    }

    fn base(&self) -> Option<&Url> {
        self.srcroot.as_ref().map(|(_, url)| url)
    }

    /// An `artifactLocation`: relative to `%SRCROOT%` when the path was given relative to the
    /// working directory and stays inside it; otherwise an absolute `file://` URI, or (with no
    /// working directory to resolve against) a relative reference with no base.
    fn artifact(&self, file: &str) -> Json {
        if file == STDIN {
            return json!({ "description": { "text": "standard input" } });
        }
        let path = Path::new(file);
        if path.is_absolute() {
            return match Url::from_file_path(normalise(path)) {
                Ok(url) => json!({ "uri": url.as_str() }),
                // Not a path this platform can write as a URI: keep it, as a description.
                Err(()) => json!({ "description": { "text": file } }),
            };
        }
        let Some((root, _)) = &self.srcroot else {
            return json!({ "uri": relative_uri(path) });
        };
        let full = normalise(&root.join(path));
        match full.strip_prefix(root) {
            Ok(inside) => json!({ "uri": relative_uri(inside), "uriBaseId": SRCROOT }),
            Err(_) => match Url::from_file_path(&full) {
                Ok(url) => json!({ "uri": url.as_str() }),
                Err(()) => json!({ "description": { "text": file } }),
            },
        }
    }
}

/// A path without `.` and `..`, resolved by its text (a `..` above the root stays at the root,
/// as the file system does).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    // At the root (or the start of a relative path): nothing to go up from.
                    if !out.has_root() {
                        out.push("..");
                    }
                } else {
                    out.pop();
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A relative path as a relative URI reference: `/` separators, and every byte outside the
/// unreserved set percent-encoded (so `市财政局.json` becomes `%E5%B8%82…`, and a `:` cannot
/// be read as a scheme).
fn relative_uri(path: &Path) -> String {
    let segments: Vec<String> = path
        .components()
        .map(|c| encode_segment(&c.as_os_str().to_string_lossy()))
        .collect();
    segments.join("/")
}

fn encode_segment(segment: &str) -> String {
    // A backslash is a separator on Windows only; elsewhere it is part of the name, encoded.
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Uris;

    fn artifact(root: Option<&str>, file: &str) -> String {
        Uris::new(root.map(Path::new)).artifact(file).to_string()
    }

    #[test]
    fn markdown_escapes_markup_but_not_inside_code_spans() {
        assert_eq!(
            super::markdown_text("set `decided_at` *now* <b>"),
            r"set `decided_at` \*now\* \<b\>"
        );
        assert_eq!(super::markdown_text("a `b_c"), r"a \`b\_c");
    }

    #[test]
    fn paths_inside_the_working_directory_are_relative_to_srcroot() {
        let root = Some("/home/a b/records");
        assert_eq!(
            artifact(root, "2011/a b.json"),
            r#"{"uri":"2011/a%20b.json","uriBaseId":"%SRCROOT%"}"#
        );
        assert_eq!(
            artifact(root, "./x/../市.json"),
            r#"{"uri":"%E5%B8%82.json","uriBaseId":"%SRCROOT%"}"#
        );
        assert_eq!(
            artifact(root, "c:d.json"),
            r#"{"uri":"c%3Ad.json","uriBaseId":"%SRCROOT%"}"#
        );
        let uris = Uris::new(root.map(Path::new));
        assert_eq!(
            uris.base().map(url::Url::as_str),
            Some("file:///home/a%20b/records/")
        );
    }

    #[test]
    fn absolute_paths_and_paths_outside_are_absolute_file_uris() {
        let root = Some("/home/a/records");
        assert_eq!(
            artifact(root, "/home/a/records/x.json"),
            r#"{"uri":"file:///home/a/records/x.json"}"#
        );
        assert_eq!(
            artifact(root, "../other/#1 100%.json"),
            r#"{"uri":"file:///home/a/other/%231%20100%25.json"}"#
        );
        assert_eq!(
            artifact(root, "../../../../x.json"),
            r#"{"uri":"file:///x.json"}"#
        );
    }

    #[test]
    fn without_a_working_directory_relative_paths_have_no_base() {
        assert_eq!(artifact(None, "a/b c.json"), r#"{"uri":"a/b%20c.json"}"#);
        assert_eq!(artifact(Some("relative"), "a.json"), r#"{"uri":"a.json"}"#);
        assert_eq!(
            artifact(None, "<stdin>"),
            r#"{"description":{"text":"standard input"}}"#
        );
    }
}
