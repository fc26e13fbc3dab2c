//! The driver of an audit: it runs the stages over a record set and merges what they find into
//! one [`Outcome`]. Discovers the inputs, reads each file and has its records judged in batches,
//! in parallel, each by evaluation ([`crate::eval::judge_items`]) against the rules that need only
//! the record (`read`); gathers the compact set facts
//! each file leaves ([`crate::eval::set::SetFacts`]) and hands them to evaluation's record-set
//! stage ([`crate::eval::set::judge`]); then puts the findings in the contract's order and names
//! each by its fingerprint. The judging is evaluation's: the driver decides what is read when,
//! on which thread, and merges.
//!
//! Records are streamed: each is judged and dropped as it is read, leaving only the set facts
//! (ids, references, what periodic rules count, where to read a record again); the few records a
//! rule about the set must show are read again from their file at the end.

pub mod fingerprint;
mod read;

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

pub use crate::eval::set::Memo as SetMemo;
pub use crate::eval::FileResult;
pub use read::{Gate, Held};

use crate::check::{Period, Policy};
use crate::discover::{discover_skipping, Input};
use crate::eval::set::{self, SetFacts};
use crate::finding::{self, BadInput, EventDate, Finding, Judged, Summary, Tally};
use crate::records::waiver_file::WaiverFile;

/// How to run an audit.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub period: Option<Period>,
    pub follow_links: bool,
    /// Files never read as records (the report being written), counted as ignored.
    pub skip: Vec<PathBuf>,
    /// List every rule × record (or period) judged, for reports of passing cases too (JUnit).
    pub trace: bool,
    /// What one record may be: larger or deeper ones are refused.
    pub limits: crate::records::Limits,
    /// Told how far reading has got, for a progress bar.
    pub progress: Option<std::sync::Arc<dyn Progress>>,
    /// Waivers of period findings, from a waivers file (`--waivers`).
    pub waivers: Option<std::sync::Arc<WaiverFile>>,
}

/// Follows an audit's reading: the bytes of record files to read, then each part read.
pub trait Progress: Send + Sync {
    /// The run reads `total_bytes`; `None` when some of its sources do not tell their size.
    fn start(&self, total_bytes: Option<u64>);
    fn advance(&self, bytes: u64);
}

impl std::fmt::Debug for dyn Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// Everything an audit found, in the contract's order.
#[derive(Debug, Default)]
pub struct Outcome {
    pub period: Option<Period>,
    pub findings: Vec<Box<Finding>>,
    pub bad_inputs: Vec<BadInput>,
    pub summary: Summary,
    /// When the period under audit was inferred, the event dates it runs between.
    pub period_bounds: Option<(EventDate, EventDate)>,
    /// With [`Options::trace`]: what each rule judged, by rule (policy order), file and subject.
    pub judged: Vec<Judged>,
    /// Every period each periodic rule judged, with what it counted, in policy and time order.
    pub tallies: Vec<Tally>,
}

/// What `-` reads.
pub enum Stdin {
    /// A stream, read once: copied as it is read.
    Stream(Box<dyn std::io::Read + Send>),
    /// A regular file at its start (`bylaw check - < export.jsonl`): read where it lies, with
    /// no copy.
    File(std::fs::File),
}

impl Stdin {
    /// Nothing: for a run whose paths do not name `-`.
    pub fn empty() -> Stdin {
        Stdin::Stream(Box::new(std::io::empty()))
    }
}

/// Runs the audit; `stdin` opens what `-` reads when it is among the paths.
pub fn run(policy: &Policy, options: &Options, stdin: impl FnOnce() -> Stdin) -> Outcome {
    let discovered = discover_skipping(&options.paths, options.follow_links, &options.skip);
    let mut stdin = Some(stdin);
    let mut texts = Vec::new();
    for input in &discovered.inputs {
        texts.push(match input {
            Input::Stdin => match stdin.take().map_or_else(Stdin::empty, |open| open()) {
                Stdin::Stream(input) => read::Text::Stdin(crate::records::stream::spool(input)),
                Stdin::File(file) => read::Text::StdinFile(file),
            },
            Input::File { path, format } => read::Text::File(path.clone(), *format),
        });
    }
    if let Some(progress) = &options.progress {
        // Standard input's size and a FIFO's are known only once they are read.
        let size = |t: &read::Text| match t {
            read::Text::File(path, _) => std::fs::metadata(path)
                .ok()
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len()),
            read::Text::Stdin(_) => None,
            read::Text::StdinFile(file) => file.metadata().ok().map(|m| m.len()),
            read::Text::Memory(_, _, text)
            | read::Text::Lines { text, .. }
            | read::Text::Elements { text, .. } => Some(text.len() as u64),
        };
        progress.start(texts.iter().map(size).sum());
    }
    let mut outcome = Outcome::default();
    outcome.summary.ignored_files = discovered.ignored.len();
    for (path, message) in discovered.errors {
        outcome
            .bad_inputs
            .push(BadInput::unlocated(path.display().to_string(), message));
    }
    audit_texts(policy, texts, options, outcome)
}

/// Audits record files held in memory, as `(name, text)`: a name ending in `.json` is read as
/// JSON, in `.jsonl` or `.ndjson` as JSON Lines, any other as its text looks. Used by `explain` and
/// `verify` on the policy's own examples.
pub fn run_in_memory(policy: &Policy, files: Vec<(String, String)>) -> Outcome {
    let files = files
        .into_par_iter()
        .map(|(name, text)| judge_file(policy, name, text))
        .collect();
    judge_files(policy, files, &Options::default())
}

/// The first stage on its own: one file held in memory, read and judged against the rules that
/// need nothing else. Its result depends on that file alone, so a caller that audits the same
/// files again — the language server, on every edit — can keep it and redo only what changed.
/// The text is shared, not copied, with the records read from it.
pub fn judge_file(policy: &Policy, name: String, text: impl Into<Arc<str>>) -> FileResult {
    let text = text.into();
    let format = crate::discover::format_of(std::path::Path::new(&name))
        .unwrap_or_else(|| crate::records::sniff_format(&text));
    read::read_and_judge(
        policy,
        read::Text::Memory(name, format, text),
        read::ReadOptions::default(),
    )
}

/// [`judge_file`] of a piece of a JSON Lines text held in memory, whose first line is the text's
/// line `first_line`: what the same lines of the whole text give (the language server judges a
/// large document a piece at a time, and again only the pieces an edit changed).
pub fn judge_lines(policy: &Policy, name: String, text: Arc<str>, first_line: usize) -> FileResult {
    read::read_and_judge(
        policy,
        read::Text::Lines {
            name,
            text,
            first_line,
        },
        read::ReadOptions::default(),
    )
}

/// [`judge_file`] of a piece of a JSON array held in memory (see
/// [`crate::records::stream::read_elements_from`]), whose first line is the text's line
/// `first_line`: what the same elements of the whole text give, when the piece holds whole
/// elements.
pub fn judge_elements(
    policy: &Policy,
    name: String,
    text: Arc<str>,
    first_line: usize,
    piece: crate::records::stream::ArrayPiece,
) -> FileResult {
    read::read_and_judge(
        policy,
        read::Text::Elements {
            name,
            text,
            first_line,
            piece,
        },
        read::ReadOptions::default(),
    )
}

/// The first stage on a file on disk, streamed as `check` reads it (its text is not kept): for a
/// caller that keeps the result, as [`judge_file`] does for a text in memory.
pub fn judge_path(
    policy: &Policy,
    path: PathBuf,
    format: Option<crate::discover::Format>,
) -> FileResult {
    read::read_and_judge(
        policy,
        read::Text::File(path, format),
        read::ReadOptions::default(),
    )
}

/// [`judge_path`] for a judgement that may stop being wanted: once `stop` is set, no further
/// record is judged and the result is partial, to be thrown away; while `gate` is held, no
/// further batch is read.
pub fn judge_path_until(
    policy: &Policy,
    path: PathBuf,
    format: Option<crate::discover::Format>,
    (stop, gate): (Arc<std::sync::atomic::AtomicBool>, Arc<Gate>),
) -> FileResult {
    let options = read::ReadOptions {
        stop: Some(stop),
        gate: Some(gate),
        ..read::ReadOptions::default()
    };
    read::read_and_judge(policy, read::Text::File(path, format), options)
}

/// The second stage: files already judged one by one, completed by the rules about the set.
pub fn judge_files(policy: &Policy, files: Vec<FileResult>, options: &Options) -> Outcome {
    complete(policy, files, options, None, Outcome::default())
}

/// The second stage for an editor, which shows only the documents it has open: the files
/// already judged one by one (by name), completed by the rules about the set for the findings
/// located in the files `focus` names. What it reports of those files is what [`judge_files`]
/// reports of them; nothing is reported of other files, and no period (its findings have no
/// file). Only the facts those findings depend on are gathered — every occurrence of the focus
/// files' ids, the records their references name, the period's bounds — so the cost of an edit
/// follows the edited files, not the workspace.
///
/// `memo` is what the last run worked out of single records (see [`set::Memo`]), replaced by
/// what this one did: a caller that runs this again after each edit keeps it, and starts again
/// from an empty one when the policy changes.
pub fn judge_files_focused<'a>(
    policy: &Policy,
    files: impl IntoIterator<Item = (&'a str, &'a FileResult)> + Clone,
    focus: &dyn Fn(&str) -> bool,
    memo: &mut set::Memo,
) -> Outcome {
    use std::collections::HashSet;
    use std::hash::BuildHasher;
    // The wanted ids by a 64-bit hash of each, sized once: an edit of a document of 63,000
    // records wants all of them. An id of another file taken for a wanted one (a chance in 2^64)
    // only adds a fact that changes nothing the focus files show.
    let wanted_len = (files.clone().into_iter())
        .filter(|(name, _)| focus(name))
        .map(|(_, file)| file.facts.ids.len() + file.facts.references.len())
        .sum();
    let id_hasher = foldhash::fast::FixedState::with_seed(0x7761_6e74);
    let hash = |id: &str| id_hasher.hash_one(id);
    let hasher = foldhash::fast::RandomState::default();
    let mut wanted: HashSet<u64, _> = HashSet::with_capacity_and_hasher(wanted_len, hasher);
    for (name, file) in files.clone() {
        if focus(name) {
            wanted.extend(file.facts.ids.iter().map(|(id, _)| hash(id)));
            wanted.extend(file.facts.references.iter().map(|r| hash(&r.target)));
        }
    }
    let mut focused = Vec::new();
    for (name, file) in files {
        let facts = &file.facts;
        let mut part = FileResult {
            readable: file.readable,
            records: file.records,
            ..FileResult::default()
        };
        part.facts.origins = facts.origins.clone();
        part.facts.first_event = facts.first_event.clone();
        part.facts.last_event = facts.last_event.clone();
        let is_wanted = |id: &str| wanted.contains(&hash(id));
        if focus(name) {
            part.findings = file.findings.clone();
            part.bad_inputs = file.bad_inputs.clone();
            part.facts.references = facts.references.clone();
            // Its ids are all wanted, and its deferred records name theirs by index: whole.
            part.facts.deferred = facts.deferred.clone();
            part.facts.ids = facts.ids.clone();
            part.facts.unnamed = facts.unnamed.clone();
            part.facts.scopes = facts.scopes.clone();
        } else {
            // A waiver waives a finding by its record's id, wherever the record is: findings
            // elsewhere under a focus file's ids tell whether its waivers are used.
            part.findings = kept_if(&file.findings, |f| {
                f.record.as_deref().is_some_and(is_wanted)
            });
            part.facts.ids = facts
                .ids
                .iter()
                .filter(|(id, _)| is_wanted(id))
                .map(|(id, seen)| (id, *seen))
                .collect();
        }
        part.facts.kept = kept_if(&facts.kept, |k| {
            let id = k.value.get("id").and_then(|id| id.as_str());
            id.is_some_and(is_wanted)
        });
        part.facts.refused = kept_if(&facts.refused, |r| is_wanted(&r.id));
        focused.push(part);
    }
    let mut outcome = complete(
        policy,
        focused,
        &Options::default(),
        Some(memo),
        Outcome::default(),
    );
    outcome
        .findings
        .retain(|f| f.file.as_deref().is_some_and(focus));
    outcome.bad_inputs.retain(|b| focus(&b.file));
    outcome.tallies.clear();
    // Files and records of the whole set; findings of the focus files.
    let summary = &mut outcome.summary;
    (summary.errors, summary.warnings, summary.waived) = (0, 0, 0);
    summary.bad_inputs = outcome.bad_inputs.iter().map(|b| b.count).sum();
    summary.count(&outcome.findings);
    outcome
}

/// The items `keep` keeps, copied.
fn kept_if<T: Clone>(items: &[T], keep: impl Fn(&T) -> bool) -> Vec<T> {
    items.iter().filter(|item| keep(item)).cloned().collect()
}

fn audit_texts(
    policy: &Policy,
    texts: Vec<read::Text>,
    options: &Options,
    outcome: Outcome,
) -> Outcome {
    let read_options = read::ReadOptions {
        trace: options.trace,
        limits: options.limits,
        progress: options.progress.clone(),
        stop: None,
        gate: None,
    };
    let files: Vec<FileResult> = texts
        .into_par_iter()
        .map(|t| read::read_and_judge(policy, t, read_options.clone()))
        .collect();
    complete(policy, files, options, None, outcome)
}

/// The files' findings and facts merged, completed by the record-set stage; then the contract's
/// order and the fingerprints. With a `memo`, the set stage starts from it and replaces it.
fn complete(
    policy: &Policy,
    files: Vec<FileResult>,
    options: &Options,
    memo: Option<&mut set::Memo>,
    mut outcome: Outcome,
) -> Outcome {
    let mut facts = SetFacts::default();
    let mut findings = std::mem::take(&mut outcome.findings);
    for file in files {
        outcome.summary.files += usize::from(file.readable);
        outcome.summary.records += file.records;
        findings.extend(file.findings);
        outcome.bad_inputs.extend(file.bad_inputs);
        outcome.judged.extend(file.judged);
        facts.absorb(file.facts);
    }
    let given = set::Given {
        period: options.period,
        trace: options.trace,
        waivers: options.waivers.as_deref(),
        memo: memo.as_deref(),
    };
    let mut found = set::judge(policy, facts, findings, given);
    if let Some(memo) = memo {
        *memo = std::mem::take(&mut found.memo);
    }
    outcome.period = found.period;
    outcome.period_bounds = found.period_bounds;
    outcome.findings = found.findings;
    outcome.bad_inputs.extend(found.bad_inputs);
    outcome.judged.extend(found.judged);
    outcome.tallies.extend(found.tallies);
    outcome
        .findings
        .sort_by(|a, b| finding::contract_order(a, b));
    // After the sort: the ordinals in a fingerprint follow the report's order.
    fingerprint::assign(&policy.name, &mut outcome.findings);
    // In policy order (a rule's place), then by subject and file.
    outcome.judged.sort_unstable();
    outcome.summary.bad_inputs = outcome.bad_inputs.iter().map(|b| b.count).sum();
    outcome.summary.count(&outcome.findings);
    outcome
}
