//! The server's state: the policy, the workspace's record files on disk, and the documents open
//! in the editor, whose text stands in for the disk's. A check audits them all as one record set
//! and reports on the open documents. Each file's own judgement is kept until it changes (a file
//! on disk is streamed, as `check` reads it, and its text not kept), and the rules about the set
//! are completed for the open documents only, so an edit costs the edited file and what its
//! records touch, not the workspace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use lsp_types::{DidChangeTextDocumentParams, InitializeParams, TextDocumentItem, Uri};

use rayon::prelude::*;

use super::convert;
use super::pieces::{Parts, Pieces};
use super::policy::Published;
use crate::audit;
use crate::check::{BuiltinRule, Policy};
use crate::discover::{discover, format_of, Input};

/// A record file on disk as it stood when listed: a change of length or time is a new text.
#[derive(Debug, Clone, PartialEq)]
struct OnDisk {
    path: PathBuf,
    format: Option<crate::discover::Format>,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

/// A document open in the editor.
struct Open {
    uri: Uri,
    version: i32,
    text: String,
    /// Its keys that look like misspelled fields, for the text and policy they were found with;
    /// `None` until found.
    near_misses: Option<Vec<lsp_types::Diagnostic>>,
    /// Those of each record of the last text, so that an edit reads again only the records it
    /// changed.
    near_misses_known: super::fields::NearMisses,
    /// Its last text's pieces, when judged a piece at a time, for the next text to keep.
    pieces: Pieces,
}

pub struct Workspace {
    /// The records' policy; `None` while the one given with `--policy` does not load.
    policy: Option<Policy>,
    /// Where record files are looked for: the workspace folders, or the `paths` of the client's
    /// initialization options, resolved against the first folder.
    roots: Vec<PathBuf>,
    /// Record files under the roots, by name, with their format (when the name tells it) and
    /// how they stood when last read.
    disk: BTreeMap<String, OnDisk>,
    /// Open record documents, by name.
    open: BTreeMap<String, Open>,
    /// Documents closed since the last check, whose diagnostics are to be cleared.
    closed: Vec<Uri>,
    /// Each file's judgement on its own, by name, for the text it was made from.
    judged: BTreeMap<String, Parts>,
    /// What was last published on each open record document.
    shown: BTreeMap<String, Vec<lsp_types::Diagnostic>>,
    /// The files on disk, being judged in the background since the server started or the
    /// policy last changed.
    prejudging: Option<Prejudging>,
    /// What the last check's record-set stage worked out of single records, for the next: an
    /// edit of one record of a large document judges that record's set rules again, not all.
    set_memo: audit::SetMemo,
}

/// The workspace's files on disk judged in the background from the start and after each change
/// of policy, so that the open documents find them judged, or nearly, and show their own
/// findings meanwhile: each result is taken if its file still stands as it was listed.
struct Prejudging {
    worker: std::thread::JoinHandle<Vec<(String, OnDisk, audit::FileResult)>>,
    /// Set when the policy changes again before the judgement is taken: it stops judging (its
    /// results, made with a policy no longer in force, are never read).
    stop: Arc<AtomicBool>,
    /// Held while the open documents are judged, which the user waits for: the background
    /// judgement waits meanwhile, rather than taking half the cores.
    gate: Arc<audit::Gate>,
    /// Whether the files are many bytes enough that the open documents' own findings are worth
    /// publishing first (a small workspace is judged before the eye would see the difference).
    large: bool,
}

/// From how many bytes on disk the open documents' own findings are published first (about a
/// tenth of a second of reading); `BYLAW_LSP_INTERIM_BYTES` sets it, for tests.
fn interim_bytes() -> u64 {
    std::env::var("BYLAW_LSP_INTERIM_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8 << 20)
}

/// How long the background judgement waits before it starts: nothing, unless
/// `BYLAW_LSP_PREJUDGE_DELAY_MS` says so — for tests, which must see a document opened while it
/// runs, whatever the machine's speed.
fn prejudge_delay() -> std::time::Duration {
    let ms = std::env::var("BYLAW_LSP_PREJUDGE_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    std::time::Duration::from_millis(ms)
}

impl Prejudging {
    fn start(policy: &Policy, disk: &BTreeMap<String, OnDisk>) -> Option<Prejudging> {
        if disk.is_empty() {
            return None;
        }
        let large = disk.values().map(|d| d.len).sum::<u64>() >= interim_bytes();
        let delay = prejudge_delay();
        let policy = policy.clone();
        let files: Vec<(String, OnDisk)> =
            disk.iter().map(|(n, d)| (n.clone(), d.clone())).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let gate = Arc::new(audit::Gate::default());
        let gated = gate.clone();
        let worker = std::thread::Builder::new()
            .name("bylaw-prejudge".into())
            .spawn(move || {
                std::thread::sleep(delay);
                // A pool of its own: in the shared one, the open documents' judgement would
                // queue behind this one's, which is what it is there to avoid.
                let threads = std::thread::available_parallelism().map_or(1, usize::from);
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("bylaw-prejudge-{i}"))
                    .build();
                let judge = |(name, on_disk): (String, OnDisk)| {
                    let judged = audit::judge_path_until(
                        &policy,
                        on_disk.path.clone(),
                        on_disk.format,
                        (stopped.clone(), gated.clone()),
                    );
                    (name, on_disk, judged)
                };
                match pool {
                    Ok(pool) => pool.install(|| files.into_par_iter().map(judge).collect()),
                    Err(_) => files.into_iter().map(judge).collect(),
                }
            })
            .ok()?;
        Some(Prejudging {
            worker,
            stop,
            gate,
            large,
        })
    }

    /// No longer wanted: judges no further record, and is never taken.
    fn abandon(self) {
        self.stop.store(true, Ordering::Relaxed);
    }
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
            prejudging: None,
            set_memo: Default::default(),
        };
        workspace.reload();
        if let Some(policy) = &workspace.policy {
            workspace.prejudging = Prejudging::start(policy, &workspace.disk);
        }
        (workspace, refused)
    }

    /// The records' policy, when it loads.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// A new policy for the records: every file is judged again, the files on disk in the
    /// background (as at the start), so that the open documents show their own findings first.
    pub fn set_policy(&mut self, policy: Option<Policy>) {
        self.policy = policy;
        self.judged.clear();
        self.set_memo = Default::default();
        for document in self.open.values_mut() {
            document.near_misses = None;
            document.near_misses_known = Default::default();
            document.pieces = Pieces::default();
        }
        // Judging with the old policy: stopped, never read.
        if let Some(old) = self.prejudging.take() {
            old.abandon();
        }
        if let Some(policy) = &self.policy {
            self.prejudging = Prejudging::start(policy, &self.disk);
        }
    }

    /// Whether the files on disk are still being judged in the background.
    pub fn judging_in_background(&self) -> bool {
        (self.prejudging.as_ref()).is_some_and(|p| !p.worker.is_finished())
    }

    /// Takes the background judgement of the files on disk, waiting for it if it is still running:
    /// each file that still stands as it was listed is judged.
    fn take_prejudged(&mut self) {
        let Some(prejudging) = self.prejudging.take() else {
            return;
        };
        let Ok(judged) = prejudging.worker.join() else {
            return;
        };
        for (name, on_disk, result) in judged {
            let current = self.disk.get(&name) == Some(&on_disk);
            if current && !self.open.contains_key(&name) && !self.judged.contains_key(&name) {
                self.judged.insert(name, vec![Arc::new(result)]);
            }
        }
    }

    /// While files on disk are still being judged: what the open documents show on their own,
    /// and an empty list for each document closed, published at once rather than after the whole
    /// workspace, whatever changed (an edit, a document opened or closed, a file saved). It holds
    /// no finding that needs the record set (duplicate ids, references, unused waivers, rules
    /// that read through a reference or the period), so it is a part of what follows, never a
    /// false alarm; `None` once every file is judged, when [`check`](Self::check) is as quick.
    pub fn interim(&mut self) -> Option<Vec<Published>> {
        let running = self
            .prejudging
            .as_ref()
            .is_some_and(|p| p.large && !p.worker.is_finished());
        let policy = self.policy.take()?;
        let stale_open: Vec<String> = (self.open.keys())
            .filter(|name| !self.judged.contains_key(*name))
            .cloned()
            .collect();
        if !running {
            self.policy = Some(policy);
            return None;
        }
        {
            let _held = (self.prejudging.as_ref()).map(|p| p.gate.hold());
            for name in stale_open {
                if let Some(document) = self.open.get_mut(&name) {
                    let judged = document.pieces.judge(&policy, &name, &document.text);
                    self.judged.insert(name, judged);
                }
            }
        }
        // The open files on their own, without the records the set stage would read again and
        // judge: with the set half read, their judgement (and any bad input it found) could be
        // wrong, and it comes with the whole set.
        let alone: Vec<(&str, audit::FileResult)> = (self.judged.iter())
            .filter(|(name, _)| self.open.contains_key(*name))
            .flat_map(|(name, parts)| parts.iter().map(move |part| (name, part)))
            .map(|(name, part)| {
                let mut part = audit::FileResult::clone(part);
                part.facts.deferred.clear();
                (name.as_str(), part)
            })
            .collect();
        let open = &self.open;
        let mut outcome = audit::judge_files_focused(
            &policy,
            alone.iter().map(|(name, file)| (*name, file)),
            &|name: &str| open.contains_key(name),
            &mut Default::default(),
        );
        let needs_set = |rule: &str| {
            policy.rule(rule).is_none_or(|r| {
                r.needs_context
                    || matches!(
                        r.kind,
                        crate::check::RuleKind::Builtin(
                            BuiltinRule::UniqueIds
                                | BuiltinRule::References
                                | BuiltinRule::UnusedWaivers
                        )
                    )
            })
        };
        outcome.findings.retain(|f| !needs_set(&f.rule));
        let published = self.diagnostics(&policy, &outcome);
        self.policy = Some(policy);
        Some(published)
    }

    /// An open record document's text and what was last published on it.
    pub fn shown(&self, uri: &Uri) -> Option<(&str, &[lsp_types::Diagnostic])> {
        let name = name_of(uri);
        let document = self.open.get(&name)?;
        let shown = self.shown.get(&name).map_or(&[][..], Vec::as_slice);
        Some((&document.text, shown))
    }

    /// Reads the record files under the roots again (after a save, say); a file whose text
    /// changed, appeared or went is judged afresh: in the background, as at the start, when no
    /// other judgement of the files on disk is under way, so that a large file written again
    /// (an export run anew) holds up no edit or request.
    pub fn reload(&mut self) {
        let mut disk = BTreeMap::new();
        if !self.roots.is_empty() {
            for input in discover(&self.roots, false).inputs {
                if let Input::File { path, format } = input {
                    // A file that cannot be listed is still judged: reading it says why.
                    let meta = std::fs::metadata(&path).ok();
                    let on_disk = OnDisk {
                        len: meta.as_ref().map_or(0, |m| m.len()),
                        modified: meta.and_then(|m| m.modified().ok()),
                        path: path.clone(),
                        format,
                    };
                    disk.insert(path.display().to_string(), on_disk);
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
        for name in &changed {
            self.judged.remove(name);
        }
        self.disk = disk;
        // One under way (or ended and not yet taken) is left to end: what it judged of a file
        // that changed since is not taken, and that file is judged when the workspace is checked.
        // An open document is judged from the editor's text, never from the disk's.
        if let (None, Some(policy)) = (&self.prejudging, &self.policy) {
            let again: BTreeMap<String, OnDisk> = (changed.into_iter())
                .filter(|name| !self.open.contains_key(name))
                .filter_map(|name| Some((name.clone(), self.disk.get(&name)?.clone())))
                .collect();
            self.prejudging = Prejudging::start(policy, &again);
        }
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
                    near_misses_known: Default::default(),
                    pieces: Pieces::default(),
                },
            );
        }
    }

    /// A change: ranges of the text replaced, or the whole text.
    pub fn change(&mut self, params: DidChangeTextDocumentParams) {
        let name = name_of(&params.text_document.uri);
        if let Some(document) = self.open.get_mut(&name) {
            let pieces = &document.pieces;
            let unchanged = super::edit::apply_from(
                &mut document.text,
                params.content_changes,
                &|line, prefix| pieces.line_start(line, prefix),
            );
            document.pieces.edited(unchanged);
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
    pub fn check(&mut self) -> Vec<Published> {
        // Taken while the files are judged (which needs the workspace mutable), then put back.
        let Some(policy) = self.policy.take() else {
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
        self.take_prejudged();
        self.judge_changed_files(&policy);
        let open = &self.open;
        let outcome = audit::judge_files_focused(
            &policy,
            (self.judged.iter())
                .flat_map(|(name, parts)| parts.iter().map(move |part| (name.as_str(), &**part))),
            &|name: &str| open.contains_key(name),
            &mut self.set_memo,
        );
        // Only open documents are looked at for near misses, and each once per text.
        for (name, document) in &mut self.open {
            if document.near_misses.is_none() {
                let found = document.pieces.near_misses().unwrap_or_else(|| {
                    let whole = (name.as_str(), document.text.as_str(), 1);
                    let known = &document.near_misses_known;
                    let (found, now) = super::fields::near_misses(&policy, whole, known);
                    document.near_misses_known = now;
                    found
                });
                document.near_misses = Some(found);
            }
        }
        let published = self.diagnostics(&policy, &outcome);
        self.policy = Some(policy);
        published
    }

    /// Every file's own judgement, redone for the files that changed since the last check: an open
    /// document from the editor's text (a piece at a time, see [`Pieces`]), any other file
    /// streamed from disk.
    fn judge_changed_files(&mut self, policy: &Policy) {
        for (name, document) in &mut self.open {
            if !self.judged.contains_key(name) {
                let judged = document.pieces.judge(policy, name, &document.text);
                self.judged.insert(name.clone(), judged);
            }
        }
        let stale: Vec<(String, PathBuf, Option<crate::discover::Format>)> = (self.disk.iter())
            .filter(|(name, _)| !self.open.contains_key(*name) && !self.judged.contains_key(*name))
            .map(|(name, file)| (name.clone(), file.path.clone(), file.format))
            .collect();
        let fresh: Vec<(String, Parts)> = stale
            .into_par_iter()
            .map(|(name, path, format)| {
                let judged = audit::judge_path(policy, path, format);
                (name, vec![Arc::new(judged)])
            })
            .collect();
        self.judged.extend(fresh);
        let (disk, open) = (&self.disk, &self.open);
        self.judged
            .retain(|name, _| disk.contains_key(name) || open.contains_key(name));
    }

    /// The audit's findings and bad inputs, by open document; empty lists for closed ones.
    fn diagnostics(&mut self, policy: &Policy, outcome: &audit::Outcome) -> Vec<Published> {
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
        // On every core, in order: a document of 63,000 records shows a thousand findings, each
        // read again from its record's text.
        let converted: Vec<(&str, lsp_types::Diagnostic)> = (outcome.findings.par_iter())
            .filter_map(|finding| {
                let file = finding.file.as_deref()?;
                Some((file, convert::finding(policy, finding, &uri_of)?))
            })
            .collect();
        for (file, diagnostic) in converted {
            by_name.entry(file).or_default().push(diagnostic);
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
