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

/// The format a file's ending tells, in any case (`.json`, `.JSON`, `.Jsonl`).
pub fn format_of(path: &Path) -> Option<Format> {
    let extension = path.extension()?.to_str()?;
    let is = |ending: &str| extension.eq_ignore_ascii_case(ending);
    if is("json") {
        Some(Format::Json)
    } else if is("jsonl") || is("ndjson") {
        Some(Format::Lines)
    } else {
        None
    }
}

/// Expands files and folders (recursively) into inputs, in the order of their paths whatever the
/// order of the command line (standard input first), so that a run's report does not depend on
/// how its paths were listed.
///
/// A path named on the command line is read whatever it is — a regular file, a FIFO, `/dev/stdin`,
/// a `<(…)` substitution — unless it is a folder, which is walked. In a folder, only regular files
/// with a record ending (in any case: `.json`, `.JSON`) are read; everything else (other files,
/// FIFOs, devices, links that are not followed) is ignored and counted, since reading a FIFO found
/// by walking could wait forever. An input reached twice (named twice, named and inside a named
/// folder, `-` and `/dev/stdin`) is read once, under the shortest of its names.
pub fn discover(paths: &[PathBuf], follow_links: bool) -> Discovered {
    discover_skipping(paths, follow_links, &[])
}

/// [`discover`], with files never to read as records: bylaw's own report (`-o`), which would
/// otherwise be read back on the next run. They count as ignored.
pub fn discover_skipping(paths: &[PathBuf], follow_links: bool, skip: &[PathBuf]) -> Discovered {
    let mut found = Discovered::default();
    let skipped: HashSet<Identity> = skip.iter().map(|p| Identity::of(p)).collect();
    // Every input met, with what makes it one; made unique once they are in order.
    let mut met: Vec<(Identity, Input)> = Vec::new();
    let mut ignored: Vec<(Identity, PathBuf)> = Vec::new();
    let mut meet = |path: &Path, input: Option<Input>| {
        let identity = Identity::of(path);
        match input {
            Some(input) if !skipped.contains(&identity) => met.push((identity, input)),
            _ => ignored.push((identity, path.to_path_buf())),
        }
    };
    for path in paths {
        if path.as_os_str() == "-" {
            meet(Path::new("/dev/stdin"), Some(Input::Stdin));
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
            let input = Input::File {
                path: path.clone(),
                format: format_of(path),
            };
            meet(path, Some(input));
            continue;
        }
        for entry in WalkDir::new(path)
            .follow_links(follow_links)
            .sort_by_file_name()
        {
            match entry {
                Ok(entry) if entry.file_type().is_dir() => {}
                Ok(entry) => {
                    let input = (format_of(entry.path()))
                        .filter(|_| entry.file_type().is_file())
                        .map(|format| Input::File {
                            path: entry.path().to_path_buf(),
                            format: Some(format),
                        });
                    meet(entry.path(), input);
                }
                Err(e) => {
                    let where_ = e.path().map_or_else(|| path.clone(), Path::to_path_buf);
                    found.errors.push((where_, e.to_string()));
                }
            }
        }
    }
    // Of an input's names, the shortest (then the first in order) is the one it is read under.
    met.sort_by(|(_, a), (_, b)| a.name_order().cmp(&b.name_order()));
    let mut seen = HashSet::new();
    for (identity, input) in met {
        if seen.insert(identity) {
            found.inputs.push(input);
        }
    }
    found.inputs.sort_by(|a, b| a.order().cmp(&b.order()));
    // What is ignored, once each, unless it is read under another name.
    ignored.sort_by(|(_, a), (_, b)| a.cmp(b));
    for (identity, path) in ignored {
        if seen.insert(identity) {
            found.ignored.push(path);
        }
    }
    found.errors.sort();
    found
}

impl Input {
    /// Where an input comes in a run: standard input first, then files by path.
    fn order(&self) -> (bool, &Path) {
        match self {
            Input::Stdin => (false, Path::new("")),
            Input::File { path, .. } => (true, path),
        }
    }

    /// Which of an input's names is kept: `-` first, then the shortest path.
    fn name_order(&self) -> (bool, usize, &Path) {
        let (file, path) = self.order();
        (file, path.as_os_str().len(), path)
    }
}

/// Whether two paths lead to one file (the same device and inode, else the same canonical path).
pub fn same_file(a: &Path, b: &Path) -> bool {
    Identity::of(a) == Identity::of(b)
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
