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
    /// A file, FIFO or device; `format` is `None` when its name does not tell, and its text does.
    File {
        path: PathBuf,
        format: Option<Format>,
    },
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
///
/// A path named on the command line is read whatever it is — a regular file, a FIFO, `/dev/stdin`,
/// a `<(…)` substitution — unless it is a folder, which is walked. In a folder, only regular files
/// with a record ending are read; everything else (other files, FIFOs, devices, links that are not
/// followed) is ignored and counted, since reading a FIFO found by walking could wait forever. An
/// input reached twice (named twice, named and inside a named folder, `-` and `/dev/stdin`) is
/// read once.
pub fn discover(paths: &[PathBuf], follow_links: bool) -> Discovered {
    discover_skipping(paths, follow_links, &[])
}

/// [`discover`], with files never to read as records: bylaw's own report (`-o`), which would
/// otherwise be read back on the next run. They count as ignored.
pub fn discover_skipping(paths: &[PathBuf], follow_links: bool, skip: &[PathBuf]) -> Discovered {
    let mut found = Discovered::default();
    let skipped: HashSet<Identity> = skip.iter().map(|p| Identity::of(p)).collect();
    let mut seen = HashSet::new();
    // Whether `path` is to be read: not met before, and not skipped (a skipped one is ignored).
    let mut first_time = |path: &Path, ignored: &mut Vec<PathBuf>| {
        let identity = Identity::of(path);
        if skipped.contains(&identity) {
            if seen.insert(identity) {
                ignored.push(path.to_path_buf());
            }
            return false;
        }
        seen.insert(identity)
    };
    for path in paths {
        if path.as_os_str() == "-" {
            if first_time(Path::new("/dev/stdin"), &mut found.ignored) {
                found.inputs.push(Input::Stdin);
            }
            continue;
        }
        let Ok(metadata) = std::fs::metadata(path) else {
            let message = match std::fs::symlink_metadata(path) {
                Ok(_) => "a link to nothing",
                Err(_) => "no such file or folder",
            };
            found.errors.push((path.clone(), message.into()));
            continue;
        };
        if !metadata.is_dir() {
            if first_time(path, &mut found.ignored) {
                found.inputs.push(Input::File {
                    path: path.clone(),
                    format: format_of(path),
                });
            }
            continue;
        }
        for entry in WalkDir::new(path)
            .follow_links(follow_links)
            .sort_by_file_name()
        {
            match entry {
                Ok(entry) if entry.file_type().is_dir() => {}
                Ok(entry) if !first_time(entry.path(), &mut found.ignored) => {}
                Ok(entry) => match format_of(entry.path()) {
                    Some(format) if entry.file_type().is_file() => found.inputs.push(Input::File {
                        path: entry.into_path(),
                        format: Some(format),
                    }),
                    _ => found.ignored.push(entry.into_path()),
                },
                Err(e) => {
                    let where_ = e.path().map_or_else(|| path.clone(), Path::to_path_buf);
                    found.errors.push((where_, e.to_string()));
                }
            }
        }
    }
    found
}

/// What makes two paths one input: the device and inode they lead to (so `-`, `/dev/stdin` and
/// `/proc/self/fd/0` are one pipe), else the canonical path, else the path as written.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Identity {
    Inode(u64, u64),
    Path(PathBuf),
}

impl Identity {
    fn of(path: &Path) -> Identity {
        #[cfg(unix)]
        if let Ok(metadata) = std::fs::metadata(path) {
            use std::os::unix::fs::MetadataExt;
            return Identity::Inode(metadata.dev(), metadata.ino());
        }
        Identity::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}
