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
    let mut found = Discovered::default();
    let mut seen = HashSet::new();
    let mut first_time = |path: &Path| {
        seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    };
    for path in paths {
        if path.as_os_str() == "-" {
            found.inputs.push(Input::Stdin);
            continue;
        }
        if path.is_file() {
            // A file named explicitly is read whatever its ending; `.json` unless it says lines.
            let format = format_of(path).unwrap_or(Format::Json);
            if !first_time(path) {
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
                    Some(_) if !first_time(entry.path()) => {}
                    Some(format) => found.inputs.push(Input::File {
                        path: entry.into_path(),
                        format,
                    }),
                    None if !first_time(entry.path()) => {}
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
