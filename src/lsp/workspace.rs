//! The server's state: the policy, the workspace's record files as last read from disk, and the
//! documents open in the editor, whose text stands in for the disk's. A check audits them all as
//! one record set and reports on the open documents. Each file's own judgement is kept until its
//! text changes, so an edit costs the edited file and the rules about the set, not the workspace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lsp_types::{DidChangeTextDocumentParams, InitializeParams, TextDocumentItem, Uri};

use rayon::prelude::*;

use super::convert;
use crate::audit;
use crate::check::Policy;
use crate::discover::{discover, format_of, Input};

/// A document open in the editor.
struct Open {
    uri: Uri,
    version: i32,
    text: String,
    /// Its keys that look like misspelled fields, for the text and policy they were found with;
    /// `None` until found.
    near_misses: Option<Vec<lsp_types::Diagnostic>>,
}

pub struct Workspace {
    /// The records' policy; `None` while the one given with `--policy` does not load.
    policy: Option<Policy>,
    /// Where record files are looked for: the workspace folders, or the `paths` of the client's
    /// initialization options, resolved against the first folder.
    roots: Vec<PathBuf>,
    /// Record files under the roots, by name, as last read.
    disk: BTreeMap<String, String>,
    /// Open record documents, by name.
    open: BTreeMap<String, Open>,
    /// Documents closed since the last check, whose diagnostics are to be cleared.
    closed: Vec<Uri>,
    /// Each file's judgement on its own, by name, for the text it was made from.
    judged: BTreeMap<String, audit::FileResult>,
    /// What was last published on each open record document.
    shown: BTreeMap<String, Vec<lsp_types::Diagnostic>>,
}

impl Workspace {
    /// The workspace of an `initialize` request, with the problems of its `paths` option: a path
    /// that leads outside the workspace folders is refused, never read.
    pub fn new(policy: Option<Policy>, params: &InitializeParams) -> (Workspace, Vec<String>) {
        let folders: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| path_of(&f.uri))
            .collect();
        #[allow(deprecated)] // `root_uri` is what older clients send.
        let folders = if folders.is_empty() {
            params.root_uri.iter().filter_map(path_of).collect()
        } else {
            folders
        };
        let (paths, refused) = match params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("paths"))
        {
            Some(paths) => confine(paths, &folders),
            None => (Vec::new(), Vec::new()),
        };
        let mut workspace = Workspace {
            policy,
            roots: if paths.is_empty() { folders } else { paths },
            disk: BTreeMap::new(),
            open: BTreeMap::new(),
            closed: Vec::new(),
            judged: BTreeMap::new(),
            shown: BTreeMap::new(),
        };
        workspace.reload();
        (workspace, refused)
    }

    /// The records' policy, when it loads.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// A new policy for the records: every file is judged again.
    pub fn set_policy(&mut self, policy: Option<Policy>) {
        self.policy = policy;
        self.judged.clear();
        for document in self.open.values_mut() {
            document.near_misses = None;
        }
    }

    /// An open record document's text and what was last published on it.
    pub fn shown(&self, uri: &Uri) -> Option<(&str, &[lsp_types::Diagnostic])> {
        let name = name_of(uri);
        let document = self.open.get(&name)?;
        let shown = self.shown.get(&name).map_or(&[][..], Vec::as_slice);
        Some((&document.text, shown))
    }

    /// Reads the record files under the roots again (after a save, say); a file whose text
    /// changed, appeared or went is judged afresh.
    pub fn reload(&mut self) {
        let mut disk = BTreeMap::new();
        if !self.roots.is_empty() {
            for input in discover(&self.roots, false).inputs {
                if let Input::File { path, .. } = input {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        disk.insert(path.display().to_string(), text);
                    }
                }
            }
        }
        let changed: Vec<String> = self
            .disk
            .keys()
            .chain(disk.keys())
            .filter(|name| self.disk.get(*name) != disk.get(*name))
            .cloned()
            .collect();
        for name in changed {
            self.judged.remove(&name);
        }
        self.disk = disk;
    }

    /// A document the editor opened; only record files (JSON, JSON Lines) are taken.
    pub fn open(&mut self, document: TextDocumentItem) {
        let name = name_of(&document.uri);
        let is_records = format_of(Path::new(&name)).is_some()
            || matches!(
                document.language_id.as_str(),
                "json" | "jsonl" | "jsonlines"
            );
        if is_records {
            self.judged.remove(&name);
            self.open.insert(
                name,
                Open {
                    uri: document.uri,
                    version: document.version,
                    text: document.text,
                    near_misses: None,
                },
            );
        }
    }

    /// A change: the whole new text (the server asks for full synchronisation).
    pub fn change(&mut self, params: DidChangeTextDocumentParams) {
        let name = name_of(&params.text_document.uri);
        if let (Some(document), Some(change)) = (
            self.open.get_mut(&name),
            params.content_changes.into_iter().last(),
        ) {
            document.text = change.text;
            document.version = params.text_document.version;
            document.near_misses = None;
            self.judged.remove(&name);
        }
    }

    pub fn close(&mut self, uri: &Uri) {
        let name = name_of(uri);
        if let Some(document) = self.open.remove(&name) {
            // The disk's text, if any, stands again.
            self.judged.remove(&name);
            self.closed.push(document.uri);
        }
    }

    /// Audits the workspace's records, open documents as typed; returns the diagnostics of each
    /// open document (empty to clear) with its version, and empty lists for closed ones.
    pub fn check(&mut self) -> Vec<(Uri, Vec<lsp_types::Diagnostic>, Option<i32>)> {
        let Some(policy) = self.policy.clone() else {
            // No policy to check with: nothing is shown, nothing stale stays.
            self.shown.clear();
            let mut published: Vec<_> = self
                .open
                .values()
                .map(|d| (d.uri.clone(), Vec::new(), Some(d.version)))
                .collect();
            published.extend(self.closed.drain(..).map(|uri| (uri, Vec::new(), None)));
            return published;
        };
        let files = self.judge_changed_files(&policy);
        let outcome = audit::judge_files(&policy, files, &audit::Options::default());
        // Only open documents are looked at for near misses, and each once per text.
        for (name, document) in &mut self.open {
            if document.near_misses.is_none() {
                let found = super::fields::near_misses(&policy, name, &document.text);
                document.near_misses = Some(found);
            }
        }
        self.diagnostics(&policy, &outcome)
    }

    /// Every file's own judgement, redone for the files whose text changed since the last check.
    fn judge_changed_files(&mut self, policy: &Policy) -> Vec<audit::FileResult> {
        // The text each file is audited with: the editor's where open, else the disk's.
        let texts: BTreeMap<&String, &String> = self
            .disk
            .iter()
            .filter(|(name, _)| !self.open.contains_key(*name))
            .chain(
                self.open
                    .iter()
                    .map(|(name, document)| (name, &document.text)),
            )
            .collect();
        let stale: Vec<(String, String)> = texts
            .iter()
            .filter(|(name, _)| !self.judged.contains_key(**name))
            .map(|(name, text)| ((*name).clone(), (*text).clone()))
            .collect();
        let fresh: Vec<(String, audit::FileResult)> = stale
            .into_par_iter()
            .map(|(name, text)| {
                let judged = audit::judge_file(policy, name.clone(), text);
                (name, judged)
            })
            .collect();
        self.judged.extend(fresh);
        self.judged.retain(|name, _| texts.contains_key(name));
        self.judged.values().cloned().collect()
    }

    /// The audit's findings and bad inputs, by open document; empty lists for closed ones.
    fn diagnostics(
        &mut self,
        policy: &Policy,
        outcome: &audit::Outcome,
    ) -> Vec<(Uri, Vec<lsp_types::Diagnostic>, Option<i32>)> {
        let uri_of = |name: &str| -> Option<Uri> {
            match self.open.get(name) {
                Some(document) => Some(document.uri.clone()),
                None => uri_for_path(Path::new(name)),
            }
        };
        let mut by_name: BTreeMap<&str, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
        for bad in &outcome.bad_inputs {
            if let Some(d) = convert::bad_input(bad, &uri_of) {
                by_name.entry(bad.file.as_str()).or_default().push(d);
            }
        }
        for finding in &outcome.findings {
            let Some(file) = finding.file.as_deref() else {
                continue;
            };
            if let Some(d) = convert::finding(policy, finding, &uri_of) {
                by_name.entry(file).or_default().push(d);
            }
        }
        let mut published: Vec<_> = self
            .open
            .iter()
            .map(|(name, document)| {
                let mut diagnostics = by_name.remove(name.as_str()).unwrap_or_default();
                diagnostics.extend(document.near_misses.iter().flatten().cloned());
                (document.uri.clone(), diagnostics, Some(document.version))
            })
            .collect();
        self.shown = self
            .open
            .keys()
            .cloned()
            .zip(published.iter().map(|p| p.1.clone()))
            .collect();
        published.extend(self.closed.drain(..).map(|uri| (uri, Vec::new(), None)));
        published
    }
}

/// The `paths` option's folders and files, resolved against the first workspace folder, each
/// kept only if it lies inside a workspace folder once links and `..` are resolved; and a message
/// for each one refused. Without a workspace folder, no path is read.
fn confine(paths: &serde_json::Value, folders: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut kept = Vec::new();
    let mut refused = Vec::new();
    let Some(paths) = paths.as_array() else {
        refused.push(format!(
            "the `paths` option is `{paths}`, not a list of paths; the workspace folders are read"
        ));
        return (kept, refused);
    };
    let roots: Vec<PathBuf> = folders
        .iter()
        .filter_map(|f| std::fs::canonicalize(f).ok())
        .collect();
    for path in paths {
        let Some(text) = path.as_str() else {
            refused.push(format!("the `paths` option holds `{path}`, not a path"));
            continue;
        };
        let Some(base) = folders.first() else {
            refused.push(format!(
                "the path `{text}` of the `paths` option is not read: there is no workspace folder"
            ));
            continue;
        };
        let path = base.join(text);
        match std::fs::canonicalize(&path) {
            // The path as given, not resolved, so its files are named as the editor names them.
            Ok(resolved) if roots.iter().any(|root| resolved.starts_with(root)) => kept.push(path),
            Ok(_) => refused.push(format!(
                "the path `{text}` of the `paths` option is outside the workspace; it is not read"
            )),
            Err(e) => refused.push(format!(
                "the path `{text}` of the `paths` option is not read: {e}"
            )),
        }
    }
    (kept, refused)
}

/// How a document is named in the audit: its path for a `file:` URI, else the URI itself.
pub(super) fn name_of(uri: &Uri) -> String {
    path_of(uri).map_or_else(|| uri.as_str().to_string(), |p| p.display().to_string())
}

fn path_of(uri: &Uri) -> Option<PathBuf> {
    url::Url::parse(uri.as_str()).ok()?.to_file_path().ok()
}

pub(super) fn uri_for_path(path: &Path) -> Option<Uri> {
    let absolute = std::path::absolute(path).ok()?;
    let url = url::Url::from_file_path(absolute).ok()?;
    url.as_str().parse().ok()
}
