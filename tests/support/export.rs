//! The realistic export of `fixtures/export/`, as values: what the counting tests count over.

use std::path::Path;

use serde_json::Value as Json;

/// Every record of the export, one `serde_json::Value` each.
pub fn export_records(root: &Path) -> Vec<Json> {
    let mut records = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("fixtures/export")) {
        let path = entry.expect("a file").into_path();
        let text = match path.extension().and_then(|e| e.to_str()) {
            Some("json" | "jsonl") => std::fs::read_to_string(&path).expect("reads"),
            _ => continue,
        };
        if path.extension().is_some_and(|e| e == "jsonl") {
            records.extend(
                text.lines()
                    .map(|l| serde_json::from_str(l).expect("a record")),
            );
        } else {
            match serde_json::from_str(&text).expect("JSON") {
                Json::Array(items) => records.extend(items),
                one => records.push(one),
            }
        }
    }
    records
}
