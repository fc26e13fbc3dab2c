//! `--format sarif`: SARIF 2.1.0, for code-scanning dashboards. One run; a rule descriptor for
//! every rule of the policy, with its article's original text; one result per finding; bad
//! inputs as tool notifications (the run did not judge everything).

use serde_json::{json, Map, Value as Json};

use crate::audit::{fingerprint, BadInput, Finding, Outcome};
use crate::check::{Policy, RuleDef};
use crate::diagnostic::Severity;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn document(policy: &Policy, outcome: &Outcome) -> String {
    let rules: Vec<Json> = policy.rules.iter().map(|r| descriptor(policy, r)).collect();
    let results: Vec<Json> = outcome.findings.iter().map(|f| result(policy, f)).collect();
    let notifications: Vec<Json> = outcome.bad_inputs.iter().map(notification).collect();
    let s = &outcome.summary;
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "bylaw",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            // Columns count Unicode scalar values, as in the JSON output.
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": outcome.bad_inputs.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "policy": { "name": policy.name, "source": policy.source_document() },
                "period": outcome.period.map(|p| json!({ "from": p.from.to_string(), "to": p.to.to_string() })),
                "summary": {
                    "files": s.files, "ignored_files": s.ignored_files, "records": s.records,
                    "bad_inputs": s.bad_inputs, "errors": s.errors, "warnings": s.warnings,
                    "waived": s.waived,
                },
            },
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
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
    let mut help = rule.help.clone().unwrap_or_else(|| rule.title.clone());
    if let Some(quote) = policy.article_quote(rule) {
        help = format!("{help}\n\n{quote}");
    }
    if let Some(a) = article {
        let gloss = unwrap_paragraphs(&a.gloss);
        help = format!("{help}\n\nthe whole article: {gloss}");
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
        "help": { "text": help },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": properties,
    })
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

fn result(policy: &Policy, f: &Finding) -> Json {
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(f.rule));
    if let Some(index) = policy.rules.iter().position(|r| r.id == f.rule) {
        result.insert("ruleIndex".into(), json!(index));
    }
    result.insert("level".into(), json!(level(f.severity)));
    // Waived findings are SARIF suppressions, so the text is not marked `(waived)` again.
    let text = super::present::message_with_period(f);
    result.insert("message".into(), json!({ "text": text }));
    if let Some(file) = &f.file {
        let mut location = physical(file, f.line, f.column);
        if let (Some(record), Some(pointer)) = (&f.record, &f.pointer) {
            location.insert(
                "logicalLocations".into(),
                json!([{ "fullyQualifiedName": format!("{record}{pointer}"), "kind": "object" }]),
            );
        }
        result.insert("locations".into(), json!([location]));
    }
    if f.waived {
        // The waiver is written in the record itself.
        result.insert("suppressions".into(), json!([{ "kind": "inSource" }]));
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
        properties.insert("counted".into(), json!(f.counted));
    }
    result.insert("properties".into(), Json::Object(properties));
    Json::Object(result)
}

fn notification(bad: &BadInput) -> Json {
    json!({
        "level": "error",
        "message": { "text": bad.message },
        "locations": [physical(&bad.file, bad.line, bad.column)],
    })
}

fn physical(file: &str, line: Option<usize>, column: Option<usize>) -> Map<String, Json> {
    let mut region = Map::new();
    if let Some(line) = line {
        region.insert("startLine".into(), json!(line));
    }
    if let Some(column) = column {
        region.insert("startColumn".into(), json!(column));
    }
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), json!({ "uri": uri(file) }));
    if !region.is_empty() {
        physical.insert("region".into(), Json::Object(region));
    }
    let mut location = Map::new();
    location.insert("physicalLocation".into(), Json::Object(physical));
    location
}

/// A file path as a relative URI reference: `/` separators, and every byte outside the
/// unreserved set percent-encoded (so `市财政局.json` becomes `%E5%B8%82…`).
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_become_relative_uris() {
        assert_eq!(uri("records/a b.json"), "records/a%20b.json");
        assert_eq!(uri(r"records\市.json"), "records/%E5%B8%82.json");
    }
}
