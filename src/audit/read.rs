//! One file: read it, its records streamed through [`crate::records::stream`] in batches, each
//! batch judged in parallel, a run of records at a time, by evaluation
//! ([`crate::eval::judge_items`]), while the next is read; progress told, and the judging stopped
//! when it is no longer wanted. Runs on a worker thread; returns what evaluation found of the
//! file's records and the facts the set-level rules need ([`FileResult`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{mpsc, Arc};

use rayon::prelude::*;

use crate::check::Policy;
use crate::discover::Format;
use crate::eval::{judge_items, FileResult};
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
    /// A named text already in memory, such as a policy's example or an open document.
    Memory(String, Format, Arc<str>),
    /// JSON Lines in memory that are a piece of the named text, from its line `first_line`
    /// ([`records::stream::read_lines_from`]).
    Lines {
        name: String,
        text: Arc<str>,
        first_line: usize,
    },
    /// A JSON array's elements in memory that are a piece of the named text, from its line
    /// `first_line` ([`records::stream::read_elements_from`]).
    Elements {
        name: String,
        text: Arc<str>,
        first_line: usize,
        piece: records::stream::ArrayPiece,
    },
}

/// Records judged together, in parallel, while the next are read: enough to keep the cores
/// busy, few enough that memory holds a batch of records, never a file.
const BATCH_RECORDS: usize = 256;
const BATCH_BYTES: usize = 8 << 20;
/// The records of a batch one thread judges in a row, each stage over all of them before the next
/// (a batch is several runs, shared by the threads).
const RUN_RECORDS: usize = 32;
/// The batches of a file judged at once while the next is read: with fewer, the thread reading a
/// one-file export, which helps judge while it waits, often found none left to judge when it came
/// back, and read while the other threads idled (100k records in one file, two cores, medians of
/// 21 alternated runs: none read ahead 295 ms, 2 batches 285 ms, 4 batches 265 ms; 0.8 MiB more at
/// peak; three files, each read while the others are judged, the same within the noise).
const IN_FLIGHT: usize = 4;

/// How a file is read and judged.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub trace: bool,
    pub limits: records::Limits,
    pub progress: Option<Arc<dyn super::Progress>>,
    /// Set when the judgement is no longer wanted (the language server's background one, after
    /// the policy changed): the records left are still read through, but not judged.
    pub stop: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Held while something more urgent runs (the language server judging a document just
    /// opened or edited): no further batch is read or judged till it is let go.
    pub gate: Option<Arc<Gate>>,
}

/// A judgement in the background made to wait, batch by batch, while another runs: the two
/// would otherwise share the cores, and the one the user waits for take twice as long.
#[derive(Debug, Default)]
pub struct Gate {
    /// How many hold it now.
    holders: std::sync::Mutex<usize>,
    let_go: std::sync::Condvar,
}

/// The gate held until this is dropped.
pub struct Held<'g>(&'g Gate);

impl Gate {
    pub fn hold(&self) -> Held<'_> {
        *self.holders.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Held(self)
    }

    /// Returns once no one holds the gate.
    fn pass(&self) {
        let holders = self.holders.lock().unwrap_or_else(|e| e.into_inner());
        let _open = (self.let_go.wait_while(holders, |holders| *holders > 0))
            .unwrap_or_else(|e| e.into_inner());
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut holders = self.0.holders.lock().unwrap_or_else(|e| e.into_inner());
        *holders -= 1;
        if *holders == 0 {
            self.0.let_go.notify_all();
        }
    }
}

pub fn read_and_judge(policy: &Policy, text: Text, options: ReadOptions) -> FileResult {
    let trace = options.trace;
    let judge = |run: Vec<Item>, part: &mut FileResult| judge_items(policy, run, trace, part);
    read_and_judge_with(text, options, &judge)
}

/// [`read_and_judge`], each record judged by `judge`.
fn read_and_judge_with(text: Text, options: ReadOptions, judge: &Judge<'_>) -> FileResult {
    let from_stdin = matches!(text, Text::Stdin(_) | Text::StdinFile(_));
    let piece = match &text {
        Text::Lines { first_line, .. } => Some((*first_line, None)),
        Text::Elements {
            first_line, piece, ..
        } => Some((*first_line, Some(*piece))),
        _ => None,
    };
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
            Ok(Source::Again(Reopen::Memory(text.into()))),
        ),
        Text::Lines { name, text, .. } => (
            name,
            Some(Format::Lines),
            Ok(Source::Again(Reopen::Memory(text.into()))),
        ),
        Text::Elements { name, text, .. } => (
            name,
            Some(Format::Json),
            Ok(Source::Again(Reopen::Memory(text.into()))),
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
        let how = (format, options.limits);
        rayon::in_place_scope_fifo(|scope| {
            let mut pipeline = Pipeline::new(scope, judge, &options);
            let mut batch = Batch::default();
            let mut emit = |item| {
                if batch.push(item) {
                    pipeline.send(&mut batch, &mut result);
                }
            };
            let limits = options.limits;
            let read = match piece {
                Some((first_line, None)) => records::stream::read_lines_from(
                    &mut input, &origin, limits, first_line, &mut emit,
                ),
                Some((first_line, Some(piece))) => records::stream::read_elements_from(
                    &mut input, &origin, limits, first_line, piece, &mut emit,
                )
                .map(|read| result.piece_read = Some(read)),
                None => records::stream::read(&mut input, &origin, how, gaps.as_ref(), &mut emit),
            };
            pipeline.send(&mut batch, &mut result);
            pipeline.wait_below(1, &mut result);
            read
        })
    })();
    result.close_bad_inputs(&name);
    if let Err(records::stream::Stopped { error, at }) = read {
        // What was read before the fault is judged; the fault is bad input all the same, where
        // reading stopped.
        let source = SourceFile::fragment(name.as_str(), "", at);
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
}

/// How a run of records is judged, what it gives added to the results of the runs before it.
type Judge<'j> = dyn Fn(Vec<Item>, &mut FileResult) + Sync + 'j;

/// What the workers send back for a batch: its results, or the panic that stopped its judging
/// (raised again on the thread that reads the file, as if the batch had been judged there).
type Judged = std::thread::Result<Vec<FileResult>>;

/// Batches judged by the workers while the next is read, and their results added to the file's
/// in the order the batches were read: the thread reading a file never leaves the other threads
/// idle while it reads. The oldest batch is judged first (`spawn_fifo`), so that its results are
/// added, and its records dropped, soonest.
struct Pipeline<'s, 'scope> {
    scope: &'s rayon::ScopeFifo<'scope>,
    judge: &'scope Judge<'scope>,
    options: &'scope ReadOptions,
    /// Batches handed to the workers, and batches whose results were added.
    sent: usize,
    taken: usize,
    sender: mpsc::Sender<(usize, Judged)>,
    receiver: mpsc::Receiver<(usize, Judged)>,
    /// Results of batches judged before one sent earlier, by batch.
    finished: BTreeMap<usize, Vec<FileResult>>,
    /// No other thread judges while this one reads: a batch is judged as soon as it is read,
    /// while its records are in the cache (read ahead, 1M records on one thread took 7-10% more).
    alone: bool,
}

impl<'s, 'scope> Pipeline<'s, 'scope> {
    fn new(
        scope: &'s rayon::ScopeFifo<'scope>,
        judge: &'scope Judge<'scope>,
        options: &'scope ReadOptions,
    ) -> Self {
        let (sender, receiver) = mpsc::channel();
        Pipeline {
            scope,
            judge,
            options,
            sent: 0,
            taken: 0,
            sender,
            receiver,
            finished: BTreeMap::new(),
            alone: rayon::current_num_threads() == 1,
        }
    }

    /// Hands the batch's records to the workers, which judge them in parallel, a run of records
    /// at a time (a result made and joined per record cost more than some rules).
    fn send(&mut self, batch: &mut Batch, result: &mut FileResult) {
        if batch.items.is_empty() {
            return;
        }
        if let Some(progress) = &self.options.progress {
            progress.advance(batch.bytes as u64);
        }
        batch.bytes = 0;
        let stopped = (self.options.stop.as_ref())
            .is_some_and(|stop| stop.load(std::sync::atomic::Ordering::Relaxed));
        if stopped {
            batch.items.clear();
            return;
        }
        if let Some(gate) = &self.options.gate {
            gate.pass();
        }
        self.wait_below(IN_FLIGHT, result);
        let items = std::mem::take(&mut batch.items);
        let (judge, number, sender) = (self.judge, self.sent, self.sender.clone());
        self.scope.spawn_fifo(move |_| {
            let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                items
                    .into_par_iter()
                    .chunks(RUN_RECORDS)
                    .map(|run| {
                        let mut part = FileResult::default();
                        judge(run, &mut part);
                        part
                    })
                    .collect()
            }));
            // The receiver is dropped only after the scope has waited for this job.
            let _ = sender.send((number, judged));
        });
        self.sent += 1;
        if self.alone {
            self.wait_below(1, result);
        }
    }

    /// Adds the results of the batches judged so far, in order, until fewer than `most` are
    /// being judged; helps judge them meanwhile.
    fn wait_below(&mut self, most: usize, result: &mut FileResult) {
        loop {
            while let Ok((number, judged)) = self.receiver.try_recv() {
                self.keep(number, judged);
            }
            while let Some(parts) = self.finished.remove(&self.taken) {
                for part in parts {
                    result.absorb(part);
                }
                result.limit_bad_inputs(self.options.limits.max_bad_inputs);
                result.facts.seal();
                self.taken += 1;
            }
            if self.sent - self.taken < most {
                return;
            }
            match rayon::yield_now() {
                Some(rayon::Yield::Executed) => {}
                // The other workers are judging the last runs of the batches in flight.
                Some(rayon::Yield::Idle) => std::thread::yield_now(),
                // Not a worker of the pool (the language server judging an open document on its
                // own thread): nothing to help with, so it sleeps until a batch is judged.
                None => {
                    if let Ok((number, judged)) = self.receiver.recv() {
                        self.keep(number, judged);
                    }
                }
            }
        }
    }

    /// Keeps a batch's results until the batches before it are added; raises its panic.
    fn keep(&mut self, number: usize, judged: Judged) {
        match judged {
            Ok(parts) => {
                self.finished.insert(number, parts);
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Judged;

    /// A JSON Lines text of `count` records, each holding its number.
    fn lines(count: usize) -> Text {
        let text: String = (0..count).map(|n| format!("{{\"n\": {n}}}\n")).collect();
        Text::Memory("records.jsonl".into(), Format::Lines, text.into())
    }

    /// The number a test record holds.
    fn number(item: &Item) -> String {
        let Item::Record(record) = item else {
            panic!("every line is a record")
        };
        let text = record.source.text.trim();
        text.trim_start_matches("{\"n\": ")
            .trim_end_matches('}')
            .to_string()
    }

    fn on_threads<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads);
        pool.build().expect("a pool").install(work)
    }

    /// Many batches of one file, judged on several threads while the next is read: the results
    /// of each record, and of each batch, come in the file's order.
    #[test]
    fn the_results_of_batches_judged_while_the_next_is_read_keep_the_files_order() {
        let count = 20 * BATCH_RECORDS + 7;
        let judge = |run: Vec<Item>, part: &mut FileResult| {
            for item in run {
                part.records += 1;
                part.judged.push(Judged {
                    rule: 0,
                    subject: number(&item).into(),
                    file: None,
                });
            }
        };
        let expected: Vec<String> = (0..count).map(|n| n.to_string()).collect();
        let order = |result: &FileResult| -> Vec<String> {
            (result.judged.iter())
                .map(|j| j.subject.to_string())
                .collect()
        };
        for threads in [1, 2, 4] {
            let result = on_threads(threads, || {
                read_and_judge_with(lines(count), ReadOptions::default(), &judge)
            });
            assert_eq!(result.records, count, "on {threads} threads");
            assert!(
                order(&result) == expected,
                "out of order on {threads} threads"
            );
        }
        // From a thread that is no worker of a pool (the language server's own), which waits for
        // the batches rather than helps judge them.
        let result = read_and_judge_with(lines(count), ReadOptions::default(), &judge);
        assert!(order(&result) == expected, "out of order outside a pool");
    }

    /// A fault in judging a record (a bug) stops the run as it would on the reading thread: the
    /// batch's panic is raised again there, rather than the reader waiting for a batch that
    /// never comes.
    #[test]
    fn a_panic_while_a_batch_is_judged_reaches_the_reader_and_does_not_hang_it() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let judge = |run: Vec<Item>, _: &mut FileResult| {
                for item in run {
                    assert_ne!(number(&item), "700", "a bug met at record 700");
                }
            };
            let outcome = std::panic::catch_unwind(|| {
                on_threads(2, || {
                    read_and_judge_with(lines(5 * BATCH_RECORDS), ReadOptions::default(), &judge)
                })
            });
            let _ = done.send(outcome.is_err());
        });
        let panicked = finished.recv_timeout(std::time::Duration::from_secs(60));
        assert_eq!(panicked, Ok(true), "the panic comes back, in time");
    }

    #[test]
    fn a_gate_held_keeps_the_judgement_waiting_till_every_holder_lets_go() {
        let gate = Arc::new(Gate::default());
        let (first, second) = (gate.hold(), gate.hold());
        let (passed, wait) = mpsc::channel();
        let waiting = gate.clone();
        let worker = std::thread::spawn(move || {
            waiting.pass();
            passed.send(()).unwrap();
        });
        let waited = std::time::Duration::from_millis(50);
        assert!(wait.recv_timeout(waited).is_err(), "held twice");
        drop(first);
        assert!(wait.recv_timeout(waited).is_err(), "held once");
        drop(second);
        wait.recv().expect("let go");
        worker.join().unwrap();
        gate.pass(); // not held: passes at once
    }
}
