//! No input crashes bylaw. Every fixture, cut short at many places and with its values swapped for
//! values of every other kind, is audited; every policy file, cut short and with lines dropped, is
//! loaded. Nothing may panic, and every record is accounted for.

mod common;

use bylaw::audit;
use serde_json::Value;

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn fixture_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files: Vec<_> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| bylaw::discover::format_of(p).is_some())
        .collect();
    files.sort();
    files
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

fn audit_text(name: &str, text: String) -> audit::Outcome {
    let policy = policy();
    audit::run_in_memory(policy, vec![(name.to_string(), text)])
}

fn policy() -> &'static bylaw::check::Policy {
    static POLICY: std::sync::OnceLock<bylaw::check::Policy> = std::sync::OnceLock::new();
    POLICY.get_or_init(common::default_policy)
}

#[test]
fn truncated_record_files_are_reported_not_fatal() {
    for path in fixture_files() {
        // The fixtures that are not UTF-8 on purpose cannot be held as text to cut or mutate.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.display().to_string();
        let pieces = if text.len() > 32 * 1024 { 4 } else { 16 };
        let cuts: Vec<usize> = (1..pieces)
            .map(|k| text.len() * k / pieces)
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for cut in cuts {
            let outcome = audit_text(&name, text[..cut].to_string());
            assert_eq!(outcome.summary.files, 1, "{name} cut at {cut}");
            assert!(
                !outcome.bad_inputs.is_empty() || outcome.summary.records > 0,
                "{name} cut at {cut}: neither judged nor reported"
            );
        }
    }
}

#[test]
fn values_of_every_kind_in_every_place_are_judged_or_refused() {
    let replacements = [
        Value::Null,
        serde_json::json!(0),
        serde_json::json!(-1),
        serde_json::json!(1e308),
        serde_json::json!(18446744073709551615u64),
        serde_json::json!(""),
        serde_json::json!("x"),
        serde_json::json!("2011-02-30"),
        serde_json::json!("2011-13-01T25:00:00+08:00"),
        // The working-day calendar's last day, and an instant just before its first.
        serde_json::json!("2026-12-31"),
        serde_json::json!("2009-12-31T23:59:59Z"),
        serde_json::json!([]),
        serde_json::json!([null]),
        serde_json::json!({}),
        serde_json::json!(true),
    ];
    let mut random = Lcg(2011);
    for path in fixture_files() {
        // The fixtures that are not UTF-8 on purpose cannot be held as text to cut or mutate.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(original) = serde_json::from_str::<Value>(&text) else {
            continue; // JSON Lines and malformed files: the truncation test covers them
        };
        let mut places = Vec::new();
        pointers(&original, String::new(), &mut places);
        // The export's large files are audited whole on every mutation: fewer of them.
        let mutations = if text.len() > 32 * 1024 { 2 } else { 24 };
        for _ in 0..mutations {
            let place = &places[random.below(places.len())];
            let replacement = &replacements[random.below(replacements.len())];
            let mut mutated = original.clone();
            if let Some(slot) = mutated.pointer_mut(place) {
                *slot = replacement.clone();
            }
            let text = serde_json::to_string_pretty(&mutated).expect("serialises");
            let name = path.display().to_string();
            let outcome = audit_text(&name, text);
            assert_eq!(
                outcome.summary.files, 1,
                "{name} with {place} = {replacement}"
            );
        }
    }
}

#[test]
fn damaged_policies_are_refused_not_fatal() {
    let mut random = Lcg(96);
    let files = bylaw::policy_files::default_policy();
    for (i, file) in files.iter().enumerate() {
        let lines: Vec<&str> = file.text.lines().collect();
        for _ in 0..12 {
            // Drop one line, or cut the file short.
            let text = if random.below(2) == 0 && !lines.is_empty() {
                let drop = random.below(lines.len());
                lines
                    .iter()
                    .enumerate()
                    .filter(|(n, _)| *n != drop)
                    .map(|(_, l)| *l)
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                let mut cut = random.below(file.text.len());
                while !file.text.is_char_boundary(cut) {
                    cut -= 1;
                }
                file.text[..cut].to_string()
            };
            let mut damaged = files.clone();
            damaged[i] = bylaw::source::SourceFile::new(file.name.clone(), text);
            // Either it still loads or every problem is located in a file.
            if let Err(errors) = bylaw::check::load(&damaged, &[]) {
                assert!(!errors.is_empty());
                assert!(errors.iter().all(|e| e.source.is_some()), "{errors:#?}");
            }
        }
    }
}
