//! Stage 1: discovery. Command-line paths → the record files to read, with walkdir.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// How a record file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `*.json`: one record or an array of records.
    Json,
    /// `*.jsonl` / `*.ndjson`, or standard input: one record per line.
    Lines,
}

/// An input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File { path: PathBuf, format: Format },
    Stdin,
}

/// What discovery found: inputs to read, files ignored, and paths that could not be walked.
#[derive(Debug, Default)]
pub struct Discovered {
    pub inputs: Vec<Input>,
    pub ignored: Vec<PathBuf>,
    pub errors: Vec<(PathBuf, String)>,
}

pub fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()? {
        "json" => Some(Format::Json),
        "jsonl" | "ndjson" => Some(Format::Lines),
        _ => None,
    }
}

/// Expands files and folders (recursively, sorted by name so runs are repeatable) into inputs.
/// A file reached twice (named twice, or named and inside a named folder) is read once.
pub fn discover(paths: &[PathBuf], follow_links: bool) -> Discovered {
    discover_skipping(paths, follow_links, &[])
}

/// [`discover`], with files never to read as records: bylaw's own report (`-o`), which would
/// otherwise be read back on the next run. They count as ignored, by canonical identity.
pub fn discover_skipping(paths: &[PathBuf], follow_links: bool, skip: &[PathBuf]) -> Discovered {
    let mut found = Discovered::default();
    // Marking the skipped files as seen makes every later meeting with them a repeat.
    let mut seen: HashSet<PathBuf> = skip
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let skipped = seen.clone();
    let mut first_time = |path: &Path, ignored: &mut Vec<PathBuf>| {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if skipped.contains(&canonical) && !ignored.iter().any(|i| i == path) {
            ignored.push(path.to_path_buf());
        }
        seen.insert(canonical)
    };
    for path in paths {
        if path.as_os_str() == "-" {
            found.inputs.push(Input::Stdin);
            continue;
        }
        if path.is_file() {
            // A file named explicitly is read whatever its ending; `.json` unless it says lines.
            let format = format_of(path).unwrap_or(Format::Json);
            if !first_time(path, &mut found.ignored) {
                continue;
            }
            found.inputs.push(Input::File {
                path: path.clone(),
                format,
            });
            continue;
        }
        if !path.exists() {
            found
                .errors
                .push((path.clone(), "no such file or folder".into()));
            continue;
        }
        for entry in WalkDir::new(path)
            .follow_links(follow_links)
            .sort_by_file_name()
        {
            match entry {
                Ok(entry) if entry.file_type().is_file() => match format_of(entry.path()) {
                    Some(_) if !first_time(entry.path(), &mut found.ignored) => {}
                    Some(format) => found.inputs.push(Input::File {
                        path: entry.into_path(),
                        format,
                    }),
                    None if !first_time(entry.path(), &mut found.ignored) => {}
                    None => found.ignored.push(entry.into_path()),
                },
                Ok(_) => {}
                Err(e) => {
                    let where_ = e.path().map_or_else(|| path.clone(), Path::to_path_buf);
                    found.errors.push((where_, e.to_string()));
                }
            }
        }
    }
    found
}
