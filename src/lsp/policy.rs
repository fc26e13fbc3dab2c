//! Policy files in the editor: each open `.bylaw` document is loaded with the policy it belongs
//! to — the `--policy` the server was started with when the document is part of it, else every
//! `.bylaw` file of its folder — the open documents' text standing in for the disk's. Loading
//! reports its problems at their places; the last policy of each unit that loaded is kept for
//! hover, definition and completion while the author is midway through an edit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::{DidChangeTextDocumentParams, TextDocumentItem, Uri};

use super::convert;
use crate::check::{Override, Policy};
use crate::diagnostic::{Diagnostic, Label};
use crate::source::{SourceFile, Span};

/// Where the records' policy comes from: the embedded one, or `--policy` files and folders.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub path: Option<PathBuf>,
    pub overrides: Vec<Override>,
}

struct Open {
    uri: Uri,
    version: i32,
    text: String,
}

/// A policy as loaded from one unit of files.
pub struct Unit {
    /// Each file's text, as loaded (the editor's where open).
    pub files: Vec<Arc<SourceFile>>,
    /// The last policy that loaded without problems.
    pub last_good: Option<Policy>,
}

pub struct PolicyDocs {
    source: Source,
    open: BTreeMap<String, Open>,
    units: BTreeMap<PathBuf, Unit>,
    /// The files of each unit that had problems at its last check, so they are cleared when fixed.
    published: BTreeMap<PathBuf, Vec<String>>,
    /// The texts of the served policy as last handed out loaded, so the records are judged
    /// again only when it changed (an edit elsewhere reloads it too).
    adopted: Option<Vec<(String, String)>>,
}

/// What a load of the served policy gave: the policy, or its problems.
pub type Served = Result<Policy, Vec<Diagnostic>>;

/// Diagnostics to publish: the document, its diagnostics, its version when open.
pub type Published = (Uri, Vec<lsp_types::Diagnostic>, Option<i32>);

pub fn is_policy_file(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|x| x == "bylaw")
}

impl PolicyDocs {
    pub fn new(source: Source) -> PolicyDocs {
        PolicyDocs {
            source,
            open: BTreeMap::new(),
            units: BTreeMap::new(),
            published: BTreeMap::new(),
            adopted: None,
        }
    }

    /// Loads the served policy from disk (with open documents' text): the policy the records
    /// are checked with, or its problems.
    pub fn load_served(&mut self) -> Served {
        match self.source.path.clone() {
            None => crate::check::load_bundled(&self.source.overrides),
            Some(path) => {
                let (result, files) = self.load_unit(&path);
                self.fresh(&result, &files);
                result
            }
        }
    }

    /// The served `--policy` read again (after files changed on disk): `None` when it is the
    /// embedded policy, or loads with the same texts as last time.
    pub fn reload_served(&mut self) -> Option<Served> {
        let path = self.source.path.clone()?;
        let (result, files) = self.load_unit(&path);
        self.fresh(&result, &files).then_some(result)
    }

    /// Whether a load of the served policy is news: any failure is, a policy that loads only when
    /// its texts differ from the last one that did.
    fn fresh(&mut self, result: &Served, files: &[Arc<SourceFile>]) -> bool {
        if result.is_err() {
            return true;
        }
        let texts: Vec<(String, String)> = files
            .iter()
            .map(|f| (f.name.to_string(), f.text.clone()))
            .collect();
        if self.adopted.as_ref() == Some(&texts) {
            return false;
        }
        self.adopted = Some(texts);
        true
    }

    /// Takes a `.bylaw` document; false for any other.
    pub fn open(&mut self, document: &TextDocumentItem) -> bool {
        let name = super::workspace::name_of(&document.uri);
        if !is_policy_file(&name) && document.language_id != "bylaw" {
            return false;
        }
        self.open.insert(
            name,
            Open {
                uri: document.uri.clone(),
                version: document.version,
                text: document.text.clone(),
            },
        );
        true
    }

    pub fn change(&mut self, params: DidChangeTextDocumentParams) -> bool {
        let uri = &params.text_document.uri;
        match self.open.get_mut(&super::workspace::name_of(uri)) {
            Some(document) => {
                super::edit::apply(&mut document.text, params.content_changes);
                document.version = params.text_document.version;
                true
            }
            None => false,
        }
    }

    pub fn close(&mut self, uri: &Uri) -> bool {
        self.open.remove(&super::workspace::name_of(uri)).is_some()
    }

    pub fn is_open(&self, uri: &Uri) -> bool {
        self.open.contains_key(&super::workspace::name_of(uri))
    }

    fn is_served(&self, unit: &Path) -> bool {
        self.source
            .path
            .as_ref()
            .is_some_and(|p| p == unit || std::path::absolute(p).is_ok_and(|p| p == unit))
    }

    /// The unit a file belongs to: the served `--policy` when it holds the file, else its folder.
    fn unit_of(&self, name: &str) -> PathBuf {
        let path = Path::new(name);
        if let Some(served) = &self.source.path {
            let served_abs = std::path::absolute(served).unwrap_or_else(|_| served.clone());
            if path == served_abs || (served.is_dir() && path.starts_with(&served_abs)) {
                return served_abs;
            }
        }
        path.parent().map_or_else(PathBuf::new, Path::to_path_buf)
    }

    /// The unit of an open document and its text as a source file, for the navigation requests.
    pub fn document(&self, uri: &Uri) -> Option<(Arc<SourceFile>, &Unit)> {
        let name = super::workspace::name_of(uri);
        let open = self.open.get(&name)?;
        let unit = self.units.get(&self.unit_of(&name))?;
        Some((SourceFile::new(name, open.text.clone()), unit))
    }

    /// The URI of a file by name: the editor's for an open document, else a `file:` URI.
    pub fn uri_of(&self, name: &str) -> Option<Uri> {
        match self.open.get(name) {
            Some(document) => Some(document.uri.clone()),
            None => super::workspace::uri_for_path(Path::new(name)),
        }
    }

    /// Loads every unit with an open document: the diagnostics of their open files and of the
    /// files with problems (empty lists to clear), and the served policy's result when its unit
    /// was among them.
    pub fn check(&mut self) -> (Vec<Published>, Option<Served>) {
        let mut units: Vec<PathBuf> = self.open.keys().map(|n| self.unit_of(n)).collect();
        units.sort();
        units.dedup();
        let served_unit = self
            .source
            .path
            .as_ref()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()));
        let mut served = None;
        let mut published = Vec::new();
        // A unit none of whose files is open any more: its problems are cleared, its model let go.
        let gone: Vec<PathBuf> = self
            .published
            .keys()
            .chain(self.units.keys())
            .filter(|u| !units.contains(u))
            .cloned()
            .collect();
        for unit in gone {
            self.units.remove(&unit);
            for name in self.published.remove(&unit).unwrap_or_default() {
                if let Some(uri) = self.uri_of(&name) {
                    published.push((uri, Vec::new(), None));
                }
            }
        }
        for unit in units {
            let (result, files) = self.load_unit(&unit);
            let mut by_name: BTreeMap<String, Vec<lsp_types::Diagnostic>> = files
                .iter()
                .map(|f| (f.name.to_string(), Vec::new()))
                .collect();
            let problems: &[Diagnostic] = match &result {
                Ok(_) => &[],
                Err(problems) => problems,
            };
            let uri_of = |name: &str| self.uri_of(name);
            for d in problems {
                // A problem of no file (an override, an empty folder) is shown on the open
                // documents of the unit, at their start.
                let name = match &d.source {
                    Some(source) => source.name.to_string(),
                    None => match self.open.keys().find(|n| self.unit_of(n) == unit) {
                        Some(name) => name.clone(),
                        None => continue,
                    },
                };
                let d = match &d.source {
                    Some(_) => d.clone(),
                    None => d
                        .clone()
                        .in_file(SourceFile::new(name.clone(), ""))
                        .with_label(Label::primary(Span::new(0, 0), "")),
                };
                if let Some(converted) = convert::problem(&d, &uri_of) {
                    by_name.entry(name).or_default().push(converted);
                }
            }
            // Published: the open files, and the files with problems now or at the last check (so
            // a fixed one is cleared); a closed file without problems is left alone.
            let previous = self.published.remove(&unit).unwrap_or_default();
            for name in &previous {
                by_name.entry(name.clone()).or_default();
            }
            let mut with_problems = Vec::new();
            for (name, diagnostics) in by_name {
                let open = self.open.get(&name);
                if !diagnostics.is_empty() {
                    with_problems.push(name.clone());
                } else if open.is_none() && !previous.contains(&name) {
                    continue;
                }
                if let Some(uri) = self.uri_of(&name) {
                    published.push((uri, diagnostics, open.map(|d| d.version)));
                }
            }
            self.published.insert(unit.clone(), with_problems);
            if Some(&unit) == served_unit.as_ref() && self.fresh(&result, &files) {
                served = Some(result.clone());
            }
            let entry = self.units.entry(unit.clone()).or_insert(Unit {
                files: Vec::new(),
                last_good: None,
            });
            entry.files = files;
            if let Ok(policy) = result {
                entry.last_good = Some(policy);
            }
        }
        (published, served)
    }

    /// Reads a unit's `.bylaw` files (open documents as typed) and loads them: the result, the
    /// files read; a file that is not UTF-8 is a problem of its own.
    fn load_unit(&self, unit: &Path) -> (Served, Vec<Arc<SourceFile>>) {
        // The served `--policy` folder is read as `bylaw check` reads it, with its subfolders;
        // the folder of any other open file only at its own level, so a stray `.bylaw` file in
        // a home folder does not have the server read the whole tree.
        let depth = if self.is_served(unit) { usize::MAX } else { 1 };
        let mut names: Vec<String> = if unit.is_dir() {
            walkdir::WalkDir::new(unit)
                .max_depth(depth)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| {
                    e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "bylaw")
                })
                .map(|e| e.path().display().to_string())
                .collect()
        } else {
            vec![unit.display().to_string()]
        };
        // Open documents of the unit not yet on disk are part of it too.
        for name in self.open.keys() {
            if self.unit_of(name) == unit && !names.contains(name) {
                names.push(name.clone());
            }
        }
        names.sort();
        let mut files = Vec::new();
        let mut unreadable = Vec::new();
        for name in names {
            let text = match self.open.get(&name) {
                Some(document) => document.text.clone(),
                None => match std::fs::read(&name) {
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(text) => text,
                        Err(e) => {
                            let file = SourceFile::new(name.clone(), "");
                            unreadable.push(
                                Diagnostic::error(
                                    "usage::policy",
                                    format!(
                                        "policy file `{name}` is not UTF-8 text (byte {})",
                                        e.utf8_error().valid_up_to()
                                    ),
                                )
                                .in_file(file)
                                .with_label(Label::primary(Span::new(0, 0), "not read"))
                                .with_help("save the file as UTF-8"),
                            );
                            continue;
                        }
                    },
                    Err(_) => continue,
                },
            };
            files.push(SourceFile::new(name, text));
        }
        // The readable files are loaded all the same, so their own problems are shown too.
        let result = if files.is_empty() && unreadable.is_empty() {
            Err(vec![Diagnostic::error(
                "usage::policy",
                format!("no `.bylaw` files in `{}`", unit.display()),
            )])
        } else {
            match crate::check::load(&files, &self.source.overrides) {
                Ok(policy) if unreadable.is_empty() => Ok(policy),
                Ok(_) => Err(unreadable),
                Err(mut problems) => {
                    problems.extend(unreadable);
                    Err(problems)
                }
            }
        };
        (result, files)
    }
}
