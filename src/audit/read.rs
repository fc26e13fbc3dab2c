//! One file: read it, its records streamed through [`crate::records::stream`] in batches, each
//! batch judged in parallel, record by record, by evaluation ([`crate::eval::judge_item`]), while
//! the next is read; progress told, and the judging stopped when it is no longer wanted. Runs on
//! a worker thread; returns what evaluation found of the file's records and the facts the
//! set-level rules need ([`FileResult`]).

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::check::Policy;
use crate::discover::Format;
use crate::eval::{judge_item, FileResult};
use crate::finding::BadInput;
use crate::records::stream::{Source, Spool};
use crate::records::{self, Item, Reopen};
use crate::source::{SourceFile, Span};

pub enum Text {
    File(PathBuf, Option<Format>),
    /// Standard input, copied as it is read ([`records::stream::Spool`]).
    Stdin(std::io::Result<Spool>),
    /// Standard input redirected from a regular file, read where it lies.
    StdinFile(std::fs::File),
    /// A named text already in memory, such as a policy's example.
    Memory(String, Format, String),
}

/// Records judged together, in parallel, while the next are read: enough to keep the cores
/// busy, few enough that memory holds a batch of records, never a file.
const BATCH_RECORDS: usize = 256;
const BATCH_BYTES: usize = 8 << 20;
/// The records of a batch one thread judges in a row (a batch is several runs, shared by the
/// threads).
const RUN_RECORDS: usize = 32;

/// How a file is read and judged.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub trace: bool,
    pub limits: records::Limits,
    pub progress: Option<Arc<dyn super::Progress>>,
    /// Set when the judgement is no longer wanted (the language server's background one, after
    /// the policy changed): the records left are still read through, but not judged.
    pub stop: Option<Arc<std::sync::atomic::AtomicBool>>,
}

pub fn read_and_judge(policy: &Policy, text: Text, options: ReadOptions) -> FileResult {
    let from_stdin = matches!(text, Text::Stdin(_) | Text::StdinFile(_));
    let (name, format, source) = match text {
        Text::Stdin(spool) => ("<stdin>".to_string(), None, spool.map(Source::Once)),
        Text::StdinFile(file) => (
            "<stdin>".to_string(),
            None,
            Ok(Source::Again(Reopen::Handle(file))),
        ),
        Text::Memory(name, format, text) => (
            name,
            Some(format),
            Ok(Source::Again(Reopen::Memory(text.into_bytes().into()))),
        ),
        Text::File(path, format) => {
            let name = path.display().to_string();
            // A FIFO or a device (`<(cat f.json)`, `/dev/stdin`) cannot be read again: a copy is
            // kept, as of standard input. A regular file is read again where needed.
            let regular = std::fs::metadata(&path).is_ok_and(|m| m.is_file());
            let source = if regular {
                Ok(Source::Again(Reopen::File(path)))
            } else {
                std::fs::File::open(&path)
                    .and_then(|f| records::stream::spool(Box::new(f)))
                    .map(Source::Once)
            };
            (name, format, source)
        }
    };
    let mut result = FileResult::default();
    let read_once = matches!(source, Ok(Source::Once(_)));
    let opened = match source.and_then(records::stream::open) {
        Ok(opened) => opened,
        Err(e) => {
            result
                .bad_inputs
                .push(BadInput::unlocated(name, format!("cannot read: {e}")));
            return result;
        }
    };
    let records::stream::Opened {
        reopen,
        head,
        input,
        gaps,
    } = opened;
    let origin = Arc::new(records::Origin::new(name.clone(), reopen));
    let read = (|| {
        // Standard input, a pipe or a device with nothing in it is most often a producer that
        // failed (`export | bylaw check -`, `bylaw check <(export)`): not a clean audit of no
        // records.
        if (read_once || from_stdin) && head.is_empty() {
            result.readable = true;
            let what = match from_stdin {
                true => "standard input".to_string(),
                false => format!("`{name}`"),
            };
            let message = format!(
                "{what} is empty: no records were given to check (did what writes it fail?)"
            );
            result
                .bad_inputs
                .push(BadInput::unlocated(name.clone(), message));
            return Ok(());
        }
        // A name that does not tell the format (standard input, a FIFO, `/dev/fd/63`,
        // `records.txt`): the text does, by its head, read when it was opened. A `.json` file
        // of JSON Lines (`jq -c` writes them) is read line by line.
        let format = records::read_format(format, &head);
        let mut input = std::io::BufReader::with_capacity(records::stream::BUFFER, input);
        result.readable = true;
        let mut batch = Batch::default();
        let how = (format, options.limits);
        let read = records::stream::read(&mut input, &origin, how, gaps.as_ref(), &mut |item| {
            if batch.push(item) {
                batch.judge(policy, &options, &mut result);
            }
        });
        batch.judge(policy, &options, &mut result);
        read
    })();
    result.close_bad_inputs(&name);
    if let Err(records::stream::Stopped { error, at }) = read {
        // What was read before the fault is judged; the fault is bad input all the same, where
        // reading stopped.
        let source = SourceFile::fragment(&name, "", at);
        let help = "the records before this point are judged; the rest of the source is not read";
        result.bad_inputs.push(BadInput::at(
            &source,
            Span::new(0, 0),
            format!("cannot read on from here: {error}"),
            "bad-input::read",
            "reading stopped here",
            Some(help.into()),
        ));
    }
    result
}

/// Records read, waiting to be judged.
#[derive(Default)]
struct Batch {
    items: Vec<Item>,
    bytes: usize,
}

impl Batch {
    /// Adds a record; `true` when the batch is full.
    fn push(&mut self, item: Item) -> bool {
        self.bytes += match &item {
            Item::Record(r) => r.source.text.len(),
            Item::Malformed(m) => m.source.text.len(),
        };
        self.items.push(item);
        self.items.len() >= BATCH_RECORDS || self.bytes >= BATCH_BYTES
    }

    /// Judges the batch's records in parallel, adding what they give to `result` in their order.
    fn judge(&mut self, policy: &Policy, options: &ReadOptions, result: &mut FileResult) {
        if let Some(progress) = &options.progress {
            progress.advance(self.bytes as u64);
        }
        self.bytes = 0;
        let stopped = (options.stop.as_ref())
            .is_some_and(|stop| stop.load(std::sync::atomic::Ordering::Relaxed));
        if stopped {
            self.items.clear();
            return;
        }
        // A run of records at a time, each run's results gathered in one place: a result made
        // and joined per record cost more than some rules.
        let parts: Vec<FileResult> = std::mem::take(&mut self.items)
            .into_par_iter()
            .fold_chunks(RUN_RECORDS, FileResult::default, |mut part, item| {
                judge_item(policy, item, options.trace, &mut part);
                part
            })
            .collect();
        for part in parts {
            result.absorb(part);
        }
        result.limit_bad_inputs(options.limits.max_bad_inputs);
        result.facts.seal();
    }
}
