//! Where policy text comes from: the default policy embedded in the binary, or files and folders
//! named with `--policy`.

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/default_policy.rs"));
}

/// The default policy compiled ahead of time (`policies/lianyungang.compiled`, read by
/// `check::compiled`), and a hash of what it must have been compiled from to be used.
pub use embedded::{COMPILED, COMPILED_FROM};

/// The seed's policy, as shipped in the binary.
pub fn default_policy() -> Vec<Arc<SourceFile>> {
    embedded::FILES
        .iter()
        .map(|(name, text)| SourceFile::new(*name, *text))
        .collect()
}

/// A policy file, or every `*.bylaw` file in a folder (sorted by name).
pub fn read_policy(path: &Path) -> Result<Vec<Arc<SourceFile>>, Box<Diagnostic>> {
    let read = |p: &Path| read_text(p, "policy");
    if path.is_dir() {
        let mut paths: Vec<_> = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "bylaw")
            })
            .map(|e| e.into_path())
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(Box::new(Diagnostic::error(
                "usage::policy",
                format!("no `.bylaw` files in `{}`", path.display()),
            )));
        }
        paths.iter().map(|p| read(p)).collect()
    } else {
        read(path).map(|f| vec![f])
    }
}

/// The default policy's rule examples, named `examples/<rule>/<name>.json`.
pub fn default_examples() -> Vec<Arc<SourceFile>> {
    embedded::EXAMPLES
        .iter()
        .map(|(name, text)| SourceFile::new(*name, *text))
        .collect()
}

/// The rule examples of a policy folder: every file under `DIR/examples/` but hidden ones (an
/// editor's, a `.gitkeep`). Only `.json` files are read; any other is listed with no text, so
/// that `bylaw verify` reports it as no example rather than passing over it. A single policy file
/// has no examples.
pub fn read_examples(path: &Path) -> Result<Vec<Arc<SourceFile>>, Box<Diagnostic>> {
    let dir = path.join("examples");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let hidden = |e: &walkdir::DirEntry| e.file_name().to_string_lossy().starts_with('.');
    let mut paths: Vec<_> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !hidden(e))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            if p.extension().is_some_and(|x| x == "json") {
                read_text(p, "example")
            } else {
                Ok(SourceFile::new(p.display().to_string(), ""))
            }
        })
        .collect()
}

fn read_text(path: &Path, what: &str) -> Result<Arc<SourceFile>, Box<Diagnostic>> {
    std::fs::read_to_string(path)
        .map(|text| SourceFile::new(path.display().to_string(), text))
        .map_err(|e| {
            Box::new(Diagnostic::error(
                "usage::policy",
                format!("cannot read {what} `{}`: {e}", path.display()),
            ))
        })
}
