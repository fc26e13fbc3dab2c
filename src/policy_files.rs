//! Where policy text comes from: the default policy embedded in the binary, or files and folders
//! named with `--policy`.

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/default_policy.rs"));
}

/// The seed's policy, as shipped in the binary.
pub fn default_policy() -> Vec<Arc<SourceFile>> {
    embedded::FILES
        .iter()
        .map(|(name, text)| SourceFile::new(*name, *text))
        .collect()
}

/// A policy file, or every `*.bylaw` file in a folder (sorted by name).
pub fn read_policy(path: &Path) -> Result<Vec<Arc<SourceFile>>, Box<Diagnostic>> {
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .map(|text| SourceFile::new(p.display().to_string(), text))
            .map_err(|e| {
                Box::new(Diagnostic::error(
                    "usage::policy",
                    format!("cannot read policy `{}`: {e}", p.display()),
                ))
            })
    };
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
