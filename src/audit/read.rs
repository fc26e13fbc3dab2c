//! One file: read it, parse its records, validate each, and judge each against the rules that
//! need nothing but the record. Runs on a worker thread; returns what the set-level rules need.

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use jiff::civil::Date;
use rayon::prelude::*;
use serde_json::Value as Json;

use super::chunked::{Chunked, Texted};
use crate::check::{BuiltinRule, Policy, RuleKind, ShapeId, Ty};
use crate::discover::Format;
use crate::eval::{self, record_id, unjudgeable, World};
use crate::finding::{self, BadInput, EventDate, Finding};
use crate::records::{self, locate_in_file, Fragment, Item, Place, Refetch, Reopen};
use crate::source::{SourceFile, Span};
use crate::time::Decoded;

pub enum Text {
    File(PathBuf, Option<Format>),
    Stdin(std::io::Result<Vec<u8>>),
    /// A named text already in memory, such as a policy's example.
    Memory(String, Format, String),
}

/// A record kept whole after its file is done: one that carries waivers.
#[derive(Clone)]
pub struct Kept {
    /// Shared, so a judged file kept for later (the language server's) is cheap to hand over.
    pub value: Arc<Json>,
    pub shape: ShapeId,
    pub place: Place,
    pub source: Arc<SourceFile>,
}

/// A record one rule or more can judge only once the whole set is read (it reads through a
/// reference, or the period): where to read it again, not its text.
#[derive(Clone)]
pub struct Deferred {
    /// Its place, and its type (always known).
    pub spot: Spot,
    /// Where to read it again (its source in [`SetFacts::origins`]).
    pub at: Fragment,
    /// The rules (by index) whose scope, evaluated when the record was read, holds it; a rule
    /// whose scope needs the set is not here, its scope evaluated once the set is read.
    pub in_scope: Box<[u16]>,
}

/// Where an id was seen: every record's compact trace in the set, kept with its id (in
/// [`SetFacts::ids`]). What a reference to it may read is not kept: the few records references
/// name are read again once the set is known.
#[derive(Clone)]
pub struct Seen {
    /// Where to read it again (its source in [`SetFacts::origins`]).
    pub at: Fragment,
    /// Its place, and its type for a valid record (a refused one is in [`FileResult::refused`]).
    pub spot: Spot,
}

/// A reference from a record to another, by id.
#[derive(Clone)]
pub struct Reference {
    pub target: Box<str>,
    /// Where to read the referring record again (its source in [`SetFacts::origins`]).
    pub at: Fragment,
    /// The referring record's place and type.
    pub spot: Spot,
    /// The referring field: its index in its type's fields.
    pub field: u32,
}

/// A record counted by a periodic rule.
#[derive(Clone)]
pub struct Counted {
    /// The rule, by index.
    pub rule: u32,
    pub date: Date,
    pub id: Box<str>,
    /// With `by`: the value that puts the record in its group.
    pub group: Option<Box<str>>,
    /// With `sum`: the record's amount; `None` when it has none, which leaves its group's total
    /// in that period unjudged (and the record reported as bad input).
    pub amount: Option<Amount>,
}

/// A record's [`Place`] and type, packed in 16 bytes (a `Place` and an `Option<ShapeId>` take
/// 40): kept for every record of a set. A line or an element index past `u32::MAX` (a file of
/// more than 8 GiB) is kept as `u32::MAX`, as [`Refetch`] keeps lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spot {
    /// The line (of JSON Lines) or the element index (of an array).
    index: u32,
    /// Where the record starts in its text; at most a record's length, which fits.
    offset: u32,
    /// The type; `u32::MAX` for none.
    shape: u32,
    kind: SpotKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SpotKind {
    Whole,
    Element,
    Line,
}

impl Spot {
    pub fn new(place: Place, shape: Option<ShapeId>) -> Spot {
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let (kind, index, offset) = match place {
            Place::Whole => (SpotKind::Whole, 0, 0),
            Place::Element { index, offset } => (SpotKind::Element, index, offset),
            Place::Line { line, offset } => (SpotKind::Line, line, offset),
        };
        Spot {
            index: small(index),
            offset: small(offset),
            // A policy has fewer types than that.
            shape: shape.map_or(u32::MAX, |s| small(s).min(u32::MAX - 1)),
            kind,
        }
    }

    pub fn place(self) -> Place {
        let (index, offset) = (self.index as usize, self.offset as usize);
        match self.kind {
            SpotKind::Whole => Place::Whole,
            SpotKind::Element => Place::Element { index, offset },
            SpotKind::Line => Place::Line {
                line: index,
                offset,
            },
        }
    }

    pub fn shape(self) -> Option<ShapeId> {
        (self.shape != u32::MAX).then_some(self.shape as ShapeId)
    }
}

/// An amount a periodic rule adds up: a whole number for an `int` field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Amount {
    Int(i64),
    Number(f64),
}

impl Amount {
    pub fn as_f64(self) -> f64 {
        match self {
            Amount::Int(n) => n as f64,
            Amount::Number(n) => n,
        }
    }
}

/// A record refused as bad input (set.3): it stays in the record set by its id, and its type
/// when that is a known one.
#[derive(Clone)]
pub struct Refused {
    pub id: String,
    pub shape: Option<ShapeId>,
    /// What rules read through a reference to it (as for a valid record), when none of those
    /// fields is at fault; else a reference to it can be followed no further.
    pub readable: Option<Arc<Json>>,
}

/// What the rules about the whole set need of the records read: compact facts, not records.
#[derive(Clone, Default)]
pub struct SetFacts {
    /// Every record's id, and where it was seen.
    pub ids: Texted<Seen>,
    pub references: Chunked<Reference>,
    pub counted: Chunked<Counted>,
    pub kept: Vec<Kept>,
    pub deferred: Chunked<Deferred>,
    pub refused: Vec<Refused>,
    pub first_event: Option<EventDate>,
    pub last_event: Option<EventDate>,
    /// The sources the facts were read from: a fact's [`Fragment::source`] is its index here
    /// (four bytes in a fact's padding, not an `Arc` of eight and its count).
    pub origins: Vec<Arc<records::Origin>>,
}

impl SetFacts {
    /// Adds the facts of records read after these.
    pub fn absorb(&mut self, mut later: SetFacts) {
        let sources: Vec<u32> = (later.origins.iter()).map(|o| self.source(o)).collect();
        let moved = (sources.iter().zip(0u32..)).any(|(&now, was)| now != was);
        if moved {
            let source = |at: &mut Fragment| {
                at.source = sources.get(at.source as usize).copied().unwrap_or(u32::MAX);
            };
            later.ids.for_each_mut(|s| source(&mut s.at));
            later.references.for_each_mut(|r| source(&mut r.at));
            later.deferred.for_each_mut(|d| source(&mut d.at));
        }
        self.ids.absorb(later.ids);
        self.references.absorb(later.references);
        self.counted.absorb(later.counted);
        self.kept.extend(later.kept);
        self.deferred.absorb(later.deferred);
        self.refused.extend(later.refused);
        self.first_event = EventDate::earliest(self.first_event.take(), later.first_event);
        self.last_event = EventDate::latest(self.last_event.take(), later.last_event);
    }

    /// The index of `origin` in [`SetFacts::origins`], added when new. Facts come a file at a
    /// time: only the last source is looked at.
    fn source(&mut self, origin: &Arc<records::Origin>) -> u32 {
        if !self
            .origins
            .last()
            .is_some_and(|last| Arc::ptr_eq(last, origin))
        {
            self.origins.push(origin.clone());
        }
        u32::try_from(self.origins.len() - 1).unwrap_or(u32::MAX)
    }

    /// Where a fact of the record read by `refetch` is read again.
    fn at(&mut self, refetch: &Refetch) -> Fragment {
        let mut at = refetch.at;
        at.source = self.source(&refetch.origin);
        at
    }

    /// A fact's record's text read again; `None` if its source can no longer be read.
    pub fn fetch(&self, at: &Fragment) -> Option<Arc<SourceFile>> {
        at.fetch(self.origins.get(at.source as usize)?)
    }

    /// The name of a fact's source.
    pub fn source_name(&self, at: &Fragment) -> &str {
        (self.origins.get(at.source as usize)).map_or("", |o| o.name.as_str())
    }

    /// Seals the facts of the records read since the last seal into chunks of their own size.
    fn seal(&mut self) {
        self.ids.seal();
        self.references.seal();
        self.counted.seal();
        self.deferred.seal();
    }

    /// From the earliest to the latest event date of the set.
    pub fn inferred_period(&self) -> Option<crate::check::Period> {
        Some(crate::check::Period {
            from: self.first_event.as_ref()?.date,
            to: self.last_event.as_ref()?.date,
        })
    }
}

/// One file read and judged on its own: its findings, and what the rules about the set need.
#[derive(Clone, Default)]
pub struct FileResult {
    pub readable: bool,
    pub records: usize,
    pub findings: Vec<Finding>,
    pub bad_inputs: Vec<BadInput>,
    pub judged: Vec<finding::Judged>,
    pub facts: SetFacts,
}

impl FileResult {
    /// Adds what a later part of the same file found.
    fn absorb(&mut self, part: FileResult) {
        self.records += part.records;
        self.findings.extend(part.findings);
        self.bad_inputs.extend(part.bad_inputs);
        self.judged.extend(part.judged);
        self.facts.absorb(part.facts);
    }
}

/// Records judged together, in parallel, while the next are read: enough to keep the cores
/// busy, few enough that memory holds a batch of records, never a file.
const BATCH_RECORDS: usize = 256;
const BATCH_BYTES: usize = 8 << 20;

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
    let (name, format, reopen) = match text {
        Text::Stdin(content) => (
            "<stdin>".to_string(),
            None,
            content.map(|bytes| Reopen::Memory(bytes.into())),
        ),
        Text::Memory(name, format, text) => (
            name,
            Some(format),
            Ok(Reopen::Memory(text.into_bytes().into())),
        ),
        Text::File(path, format) => {
            let name = path.display().to_string();
            // A FIFO or a device (`<(cat f.json)`, `/dev/stdin`) cannot be read again: it is kept
            // as read, like standard input. A regular file is read again where needed.
            let regular = std::fs::metadata(&path).is_ok_and(|m| m.is_file());
            let reopen = if regular {
                Ok(Reopen::File(path))
            } else {
                std::fs::read(&path).map(|bytes| Reopen::Memory(bytes.into()))
            };
            (name, format, reopen)
        }
    };
    let mut result = FileResult::default();
    let reopen = match reopen {
        Ok(reopen) => reopen,
        Err(e) => {
            result
                .bad_inputs
                .push(BadInput::unlocated(name, format!("cannot read: {e}")));
            return result;
        }
    };
    let input: std::io::Result<Box<dyn std::io::Read + Send>> = match &reopen {
        Reopen::Memory(bytes) => Ok(Box::new(std::io::Cursor::new(bytes.clone()))),
        Reopen::File(path) => std::fs::File::open(path).map(|f| Box::new(f) as _),
    };
    let origin = Arc::new(records::Origin::new(name.clone(), reopen));
    let read = input.and_then(|input| {
        let mut input = std::io::BufReader::with_capacity(records::stream::BUFFER, input);
        // A name that does not tell the format (standard input, a FIFO, `/dev/fd/63`,
        // `records.txt`): the text does.
        let format = match format {
            Some(format) => format,
            None => records::stream::sniff(&mut input)?,
        };
        result.readable = true;
        let mut batch = Batch::default();
        let read =
            records::stream::read(&mut input, &origin, format, options.limits, &mut |item| {
                if batch.push(item) {
                    batch.judge(policy, &options, &mut result);
                }
            });
        batch.judge(policy, &options, &mut result);
        read
    });
    if let Err(e) = read {
        // What was read before the fault is judged; the fault is bad input all the same.
        result
            .bad_inputs
            .push(BadInput::unlocated(name, format!("cannot read: {e}")));
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
        let parts: Vec<FileResult> = std::mem::take(&mut self.items)
            .into_par_iter()
            .map(|item| judge_item(policy, item, options.trace))
            .collect();
        for part in parts {
            result.absorb(part);
        }
        result.facts.seal();
    }
}

/// One record (or fault) of a file, judged against the rules that need nothing but the record.
fn judge_item(policy: &Policy, item: Item, trace: bool) -> FileResult {
    let mut result = FileResult::default();
    let record = match item {
        Item::Record(text) => records::parse(text),
        Item::Malformed(m) => Err(vec![m]),
    };
    match record {
        Ok(record) => {
            // A value that is not an object is refused, and is not a record.
            result.records += usize::from(record.value.is_object());
            judge(policy, record, &World::default(), trace, &mut result);
        }
        Err(malformed) => {
            for m in malformed {
                result.bad_inputs.push(BadInput::at(
                    &m.source,
                    m.span,
                    m.message,
                    "bad-input::json",
                    "malformed JSON here",
                    Some(
                        "fix the JSON; the rest of the file's records are still checked where possible"
                            .into(),
                    ),
                ));
            }
        }
    }
    result
}

/// Why a record is refused (set.3), located: a fault of its text or a break of the contract.
struct Refusal {
    span: Span,
    message: String,
    /// The record's own field at fault; `None` when the whole record is.
    field: Option<String>,
}

impl Refusal {
    fn of_problem(source: &SourceFile, place: Place, problem: &records::Problem) -> Refusal {
        let span =
            locate_in_file(source, place, &problem.pointer).map_or(Span::new(0, 0), |l| l.span);
        // An unknown field is its key's fault, not its value's.
        let span = if problem.at_key {
            records::locate::key_before(&source.text, span.start).unwrap_or(span)
        } else {
            span
        };
        Refusal {
            span,
            message: problem.message.clone(),
            field: top_field(&problem.pointer),
        }
    }

    fn of_fault(source: &SourceFile, place: Place, fault: &records::Fault) -> Refusal {
        match fault {
            records::Fault::DuplicateKey(pointer) => {
                let key = match pointer.0.last() {
                    Some(records::pointer::Segment::Key(key)) => key.as_str(),
                    _ => "",
                };
                let span =
                    locate_in_file(source, place, pointer).map_or(Span::new(0, 0), |l| l.span);
                Refusal {
                    span,
                    message: format!(
                        "the key `{key}` is given twice in one object, so its value is unclear"
                    ),
                    field: top_field(pointer),
                }
            }
            records::Fault::NotUtf8 { offset, byte, more } => Refusal {
                span: Span::new(*offset, offset + char::REPLACEMENT_CHARACTER.len_utf8()),
                message: records::not_utf8_message(*byte, *more),
                field: None,
            },
        }
    }
}

fn top_field(pointer: &records::pointer::Pointer) -> Option<String> {
    match pointer.0.first() {
        Some(records::pointer::Segment::Key(key)) => Some(key.clone()),
        _ => None,
    }
}

fn judge(
    policy: &Policy,
    record: records::Record,
    world: &World,
    trace: bool,
    result: &mut FileResult,
) {
    let source = &record.source;
    let mut refusals: Vec<Refusal> = (record.faults.iter())
        .map(|f| Refusal::of_fault(source, record.place, f))
        .collect();
    // The record's dates and datetimes, decoded once: by validation, then read by every rule.
    let decoded = Rc::new(Decoded::default());
    let shape = match records::validate(policy, &record.value, &decoded) {
        Ok(shape) if refusals.is_empty() => shape,
        validated => {
            if let Err(problems) = validated {
                let located = problems
                    .iter()
                    .map(|p| Refusal::of_problem(source, record.place, p));
                refusals.extend(located);
            }
            refuse(policy, &record, &refusals, result);
            return keep_refused(policy, (&record, &decoded), &refusals, world, result);
        }
    };
    let value = &record.value;
    let at = (record.place, source);
    note_id(&record, Some(shape), result);
    note_event_dates(
        policy,
        shape,
        (value, record.place, source),
        (&|_| true, &decoded),
        result,
    );
    note_references(policy, shape, &record, result);
    // The rules about the set that will judge this record once the set is read, known to be in
    // their scope now (a scope that needs the set is evaluated then, once).
    let mut later: Vec<u16> = Vec::new();
    let mut deferred = false;
    for (index, rule) in policy.rules.iter().enumerate() {
        match &rule.kind {
            RuleKind::Record(body) if body.record == shape => {
                if rule.needs_context && body.scope_needs_context {
                    deferred = true;
                    continue;
                }
                match eval::scope(policy, rule, body, (value, &decoded), world) {
                    Ok(false) => {}
                    Ok(true) if rule.needs_context => {
                        deferred = true;
                        later.push(u16::try_from(index).expect("a policy has fewer rules"));
                    }
                    Ok(true) => {
                        if trace {
                            result.judged.push(finding::Judged {
                                rule: rule.id.clone(),
                                subject: record_id(value),
                                file: Some(source.name.clone()),
                            });
                        }
                        let record = (value, &decoded);
                        match eval::judge_in_scope(policy, rule, body, record, world) {
                            Ok(raws) => result.findings.extend(
                                raws.into_iter()
                                    .map(|raw| eval::locate(rule, raw, value, at.0, at.1)),
                            ),
                            Err(e) => result
                                .bad_inputs
                                .push(unjudgeable(rule, e, value, at.0, at.1)),
                        }
                    }
                    Err(e) => result
                        .bad_inputs
                        .push(unjudgeable(rule, e, value, at.0, at.1)),
                }
            }
            RuleKind::Periodic(p) if p.record == shape => {
                let record = (value, &decoded);
                count_for_period(policy, (index, rule, p), record, at, world, result)
            }
            _ => {}
        }
    }
    if deferred {
        let at = result.facts.at(&record.refetch);
        result.facts.deferred.push(Deferred {
            spot: Spot::new(record.place, Some(shape)),
            at,
            in_scope: later.into_boxed_slice(),
        });
    }
    let has_waivers = value
        .get(waivers_field(policy, shape))
        .and_then(Json::as_array)
        .is_some_and(|w| !w.is_empty());
    if has_waivers {
        result.facts.kept.push(Kept {
            value: Arc::new(record.value),
            shape,
            place: record.place,
            source: record.source,
        });
    }
}

/// The field of a record of type `shape` that holds its waivers: `waivers`, or the field its type
/// declares with `as waivable(waivers: …)`.
pub fn waivers_field(policy: &Policy, shape: ShapeId) -> &str {
    policy
        .shapes
        .get(shape)
        .map_or("waivers", |s| s.roles.waivers.as_str())
}

/// Every record's id, where it is, and its type.
fn note_id(record: &records::Record, shape: Option<ShapeId>, result: &mut FileResult) {
    if let Some(id) = record.value.get("id").and_then(Json::as_str) {
        let at = result.facts.at(&record.refetch);
        result.facts.ids.push(
            id,
            Seen {
                at,
                spot: Spot::new(record.place, shape),
            },
        );
    }
}

/// The references a record makes, for set.2 and for the rules that read through them.
fn note_references(
    policy: &Policy,
    shape: ShapeId,
    record: &records::Record,
    result: &mut FileResult,
) {
    let Some(declared) = policy.shapes.get(shape) else {
        return;
    };
    for (index, field) in declared.fields.iter().enumerate() {
        if !matches!(field.ty, Ty::Ref(_)) {
            continue;
        }
        if let Some(target) = record.value.get(&field.name).and_then(Json::as_str) {
            let at = result.facts.at(&record.refetch);
            result.facts.references.push(Reference {
                target: target.into(),
                at,
                spot: Spot::new(record.place, Some(shape)),
                field: u32::try_from(index).expect("a type has fewer fields"),
            });
        }
    }
}

/// A refused record stays in the record set (catalogue 1.1): its id counts for duplicates and
/// resolves references, and each periodic rule counts it when none of the fields the count reads
/// is at fault. No other rule judges it.
fn keep_refused<'r>(
    policy: &Policy,
    (record, decoded): (&'r records::Record, &Rc<Decoded<'r>>),
    refusals: &[Refusal],
    world: &World,
    result: &mut FileResult,
) {
    let value = &record.value;
    let source = &record.source;
    note_id(record, None, result);
    let shape = value
        .get("type")
        .and_then(Json::as_str)
        .and_then(|t| policy.records.get(t).copied());
    // A problem at the record itself (not an object, no type) spoils every field.
    let faulty: Vec<Option<&str>> = refusals.iter().map(|r| r.field.as_deref()).collect();
    let sound = |read: &dyn Fn(&str) -> bool| faulty.iter().all(|f| f.is_some_and(|k| !read(k)));
    if let Some(id) = value
        .get("id")
        .and_then(Json::as_str)
        .filter(|id| !id.is_empty())
    {
        let readable = shape.filter(|&shape| {
            let through = policy.read_through_references.get(&shape);
            is_ref_target(policy, shape) && sound(&|k| through.is_some_and(|f| f.contains(k)))
        });
        result.facts.refused.push(Refused {
            id: id.to_string(),
            shape,
            readable: readable.map(|shape| Arc::new(reference_fields(policy, shape, value))),
        });
    }
    let Some(shape) = shape else { return };
    let at = (value, record.place, source);
    let usable = |field: &str| sound(&|k| k == field);
    note_event_dates(policy, shape, at, (&usable, decoded), result);
    for (index, rule) in policy.rules.iter().enumerate() {
        let RuleKind::Periodic(p) = &rule.kind else {
            continue;
        };
        if p.record != shape {
            continue;
        }
        let read = p.fields_read();
        if sound(&|k| read.contains(k)) {
            let at = (record.place, source);
            let record = (value, decoded);
            count_for_period(policy, (index, rule, p), record, at, world, result);
        }
    }
}

/// A record that breaks the records contract (set.3): each problem is bad input at its place.
fn refuse(
    policy: &Policy,
    record: &records::Record,
    refusals: &[Refusal],
    result: &mut FileResult,
) {
    let source = &record.source;
    let id = record
        .value
        .get("id")
        .and_then(Json::as_str)
        .map(|id| format!("record `{id}`: "))
        .unwrap_or_default();
    let help = policy
        .builtin(BuiltinRule::RecordContract)
        .and_then(|r| r.help.clone());
    for refusal in refusals {
        result.bad_inputs.push(BadInput::at(
            source,
            refusal.span,
            format!("{id}{}", refusal.message),
            "set.3",
            "breaks the records contract",
            help.clone(),
        ));
    }
}

/// Widens the file's earliest and latest event dates with this record's, from the fields that
/// are `usable` (of a refused record: those not at fault).
fn note_event_dates<'r>(
    policy: &Policy,
    shape: ShapeId,
    (value, place, source): (&'r Json, Place, &Arc<SourceFile>),
    (usable, decoded): (&dyn Fn(&str) -> bool, &Decoded<'r>),
    result: &mut FileResult,
) {
    for field in policy
        .event_fields(shape)
        .into_iter()
        .filter(|f| usable(&f.name))
    {
        let date = match (value.get(&field.name), &field.ty) {
            (Some(node), Ty::Date) => decoded.date(node),
            (Some(node), _) => decoded.datetime(node).map(|d| d.date()),
            (None, _) => None,
        };
        if let Some(date) = date {
            let seen = EventDate {
                date,
                record: record_id(value),
                field: field.name.clone(),
                source: source.clone(),
                place,
            };
            result.facts.first_event =
                EventDate::earliest(result.facts.first_event.take(), Some(seen.clone()));
            result.facts.last_event = EventDate::latest(result.facts.last_event.take(), Some(seen));
        }
    }
}

/// A record a periodic rule counts, with the date that puts it in a period. A condition that
/// cannot be evaluated is bad input, not a silent "not counted".
fn count_for_period<'r>(
    policy: &Policy,
    (index, rule, p): (usize, &crate::check::RuleDef, &crate::check::PeriodicRule),
    (value, decoded): (&'r Json, &Rc<Decoded<'r>>),
    (place, source): (Place, &Arc<SourceFile>),
    world: &World,
    result: &mut FileResult,
) {
    let mut env = eval::Env::new(policy, value, decoded.clone(), rule.slots, world);
    let applies = match &p.condition {
        None => true,
        Some(c) => match eval::eval(&mut env, c) {
            Ok(v) => v.truthy(),
            Err(e) => {
                let bad = unjudgeable(rule, e, value, place, source);
                result.bad_inputs.push(bad);
                return;
            }
        },
    };
    let date = eval::eval(&mut env, &p.date)
        .ok()
        .and_then(|v| eval::builtins::date_of(&v.val));
    let (true, Some(date)) = (applies, date) else {
        return;
    };
    let unjudgeable_here = |e: eval::EvalError<'_>, result: &mut FileResult| {
        let bad = unjudgeable(rule, e, value, place, source);
        result.bad_inputs.push(bad);
    };
    // A record without a group is not counted, as one without a date is not: it is in no tally.
    let group = match &p.group {
        None => None,
        Some(g) => match eval::eval(&mut env, g) {
            Ok(v) if v.val.is_null() => return,
            Ok(v) => Some(v.val.render().into_boxed_str()),
            Err(e) => return unjudgeable_here(e, result),
        },
    };
    let amount = match &p.sum {
        None => None,
        Some(s) => match eval::eval(&mut env, s) {
            Ok(v) => match v.val {
                eval::value::Val::Int(n) => Some(Amount::Int(n)),
                eval::value::Val::Num(n) => Some(Amount::Number(n)),
                _ => {
                    // The total would be a guess: its tally is not judged, and this says why.
                    let (period, _, _) = eval::period_key(p.unit, date);
                    let of_group = group
                        .as_ref()
                        .map_or(String::new(), |g| format!(" for `{g}`"));
                    let e = eval::EvalError {
                        message: format!(
                            "it has no amount to add, so the total of {period}{of_group} is not judged"
                        ),
                        origin: v.origin,
                    };
                    unjudgeable_here(e, result);
                    None
                }
            },
            Err(e) => return unjudgeable_here(e, result),
        },
    };
    result.facts.counted.push(Counted {
        rule: u32::try_from(index).expect("a policy has fewer rules"),
        date,
        id: record_id(value).into_boxed_str(),
        group,
        amount,
    });
}

/// What a rule may read through a reference to a record: its `id` and `type`, and the fields
/// rules read through a reference to its type. Memory then grows with the ids in a set, not with
/// its records' size.
pub fn reference_fields(policy: &Policy, shape: ShapeId, record: &Json) -> Json {
    let read = policy.read_through_references.get(&shape);
    let wanted = |name: &str| {
        name == "id" || name == "type" || read.is_some_and(|fields| fields.contains(name))
    };
    let fields = match record {
        Json::Object(map) => map
            .iter()
            .filter(|(name, _)| wanted(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
        _ => serde_json::Map::new(),
    };
    Json::Object(fields)
}

fn is_ref_target(policy: &Policy, shape: ShapeId) -> bool {
    policy
        .shapes
        .iter()
        .any(|s| s.fields.iter().any(|f| f.ty == Ty::Ref(shape)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The facts kept for every record of a set (a `Seen`) or many (the rest): a field that
    /// makes one larger costs that much per record of a million.
    #[test]
    fn facts_are_small() {
        use std::mem::size_of;
        assert_eq!(size_of::<Spot>(), 16);
        assert_eq!(size_of::<Seen>(), 48);
        assert_eq!(size_of::<Reference>(), 72);
        assert_eq!(size_of::<Counted>(), 56);
        assert_eq!(size_of::<Deferred>(), 64);
    }

    #[test]
    fn a_spot_gives_back_its_place_and_type() {
        for place in [
            Place::Whole,
            Place::Element {
                index: 7,
                offset: 3,
            },
            Place::Line { line: 9, offset: 0 },
        ] {
            for shape in [None, Some(0), Some(4)] {
                let spot = Spot::new(place, shape);
                assert_eq!((spot.place(), spot.shape()), (place, shape));
            }
        }
    }
}
