//! How long `bylaw check` takes, against the time just to read and parse the same files.
//!
//! Input: the realistic export in `fixtures/export/` (371 records: meetings, documents, leave over
//! half a year), copied `BYLAW_BENCH_COPIES` times (default 20) with record ids made unique, so
//! the set-level rules see a set of the same shape, only larger. Run with `cargo bench`; compare
//! `check` with `parse_only` of the same run, as a ratio. `recheck_one_file` is what the language
//! server does on an edit: every other file's judgement is kept, the edited file is judged again,
//! and the rules about the set are completed for the open file alone
//! (`audit::judge_files_focused`); `recheck_whole_set` completes them for every file, as the
//! server did before, for comparison in the same run.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rayon::prelude::*;
use serde_json::Value as Json;

use bylaw::audit::{self, Options};

// The allocator the `bylaw` binary uses, so the figures are the command's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn copies() -> usize {
    std::env::var("BYLAW_BENCH_COPIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
}

/// Writes the corpus once; returns its folder, its files and its number of records.
fn corpus() -> (PathBuf, Vec<PathBuf>, u64) {
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/export");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-corpus");
    let _ = std::fs::remove_dir_all(&dir);
    let mut files = Vec::new();
    let mut records = 0u64;
    for copy in 0..copies() {
        for entry in walkdir::WalkDir::new(&export).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            let path = entry.path();
            let lines = match path.extension().and_then(|e| e.to_str()) {
                Some("jsonl") => true,
                Some("json") => false,
                _ => continue,
            };
            let text = std::fs::read_to_string(path).expect("export file reads");
            let relative = path.strip_prefix(&export).expect("under the export");
            let target = dir.join(format!("copy-{copy:03}")).join(relative);
            std::fs::create_dir_all(target.parent().expect("has a folder")).expect("mkdir");
            let out = if lines {
                let mut out = String::new();
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    let record = renamed(serde_json::from_str(line).expect("export parses"), copy);
                    records += 1;
                    out.push_str(&format!("{record}\n"));
                }
                out
            } else {
                let value: Json = serde_json::from_str(&text).expect("export parses");
                let value = match value {
                    Json::Array(items) => {
                        records += items.len() as u64;
                        Json::Array(items.into_iter().map(|r| renamed(r, copy)).collect())
                    }
                    one => {
                        records += 1;
                        renamed(one, copy)
                    }
                };
                serde_json::to_string_pretty(&value).expect("serialises")
            };
            std::fs::write(&target, out).expect("corpus file writes");
            files.push(target);
        }
    }
    (dir, files, records)
}

/// Gives a record of copy `n` its own id, and its reference to a meeting the same suffix.
fn renamed(mut record: Json, n: usize) -> Json {
    for field in ["id", "decided_at"] {
        if let Some(Json::String(s)) = record.get_mut(field) {
            s.push_str(&format!("~{n}"));
        }
    }
    record
}

/// The baseline: read every file and parse it into JSON values, in parallel as `check` does.
fn parse_only(files: &[PathBuf]) -> usize {
    files
        .par_iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("reads");
            if path.extension().is_some_and(|e| e == "jsonl") {
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .filter_map(|l| serde_json::from_str::<Json>(l).ok())
                    .count()
            } else {
                match serde_json::from_str::<Json>(&text) {
                    Ok(Json::Array(items)) => items.len(),
                    Ok(_) => 1,
                    Err(_) => 0,
                }
            }
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let (dir, files, records) = corpus();
    let policy = bylaw::check::load(&bylaw::policy_files::default_policy(), &[])
        .expect("the default policy loads");
    let options = Options {
        paths: vec![dir],
        ..Options::default()
    };

    let mut group = c.benchmark_group(format!("audit {records} records"));
    group.throughput(Throughput::Elements(records));
    group.sample_size(20);
    group.bench_function("parse_only", |b| b.iter(|| parse_only(&files)));
    group.bench_function("check", |b| {
        b.iter(|| {
            audit::run(&policy, &options, audit::Stdin::empty)
                .findings
                .len()
        })
    });
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("reads");
            (p.display().to_string(), text)
        })
        .collect();
    let judged: Vec<audit::FileResult> = texts
        .iter()
        .map(|(name, text)| audit::judge_file(&policy, name.clone(), text.clone()))
        .collect();
    let edited = texts.len() / 2;
    group.bench_function("recheck_one_file", |b| {
        let mut files: Vec<(String, audit::FileResult)> = (texts.iter().map(|(n, _)| n.clone()))
            .zip(judged.iter().cloned())
            .collect();
        // Kept from one edit to the next, as the language server keeps it.
        let mut memo = Default::default();
        b.iter(|| {
            let (name, text) = &texts[edited];
            files[edited].1 = audit::judge_file(&policy, name.clone(), text.clone());
            let open = |n: &str| n == name;
            let all = files.iter().map(|(n, f)| (n.as_str(), f));
            audit::judge_files_focused(&policy, all, &open, &mut memo)
                .findings
                .len()
        })
    });
    group.bench_function("recheck_whole_set", |b| {
        b.iter(|| {
            let mut files = judged.clone();
            let (name, text) = &texts[edited];
            files[edited] = audit::judge_file(&policy, name.clone(), text.clone());
            audit::judge_files(&policy, files, &Options::default())
                .findings
                .len()
        })
    });
    group.finish();

    c.bench_function("load default policy", |b| {
        b.iter(|| bylaw::check::load(&bylaw::policy_files::default_policy(), &[]).is_ok())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
