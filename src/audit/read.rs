//! One file: read it, parse its records, validate each, and judge each against the rules that
//! need nothing but the record. Runs on a worker thread; returns what the set-level rules need.

use std::path::PathBuf;
use std::sync::Arc;

use jiff::civil::Date;
use serde_json::Value as Json;

use super::finding::{self, BadInput, EventDate, Finding};
use crate::check::{BuiltinRule, Policy, RuleKind, ShapeId, Ty};
use crate::discover::Format;
use crate::eval::{self, World};
use crate::records::{self, locate_in_file, Place};
use crate::source::{SourceFile, Span};

pub enum Text {
    File(PathBuf, Option<Format>),
    Stdin(std::io::Result<Vec<u8>>),
    /// A named text already in memory, such as a policy's example.
    Memory(String, Format, String),
}

/// A record kept after its file is done, for the rules that need the whole set.
#[derive(Clone)]
pub struct Kept {
    /// Shared, so a judged file kept for later (the language server's) is cheap to hand over.
    pub value: Arc<Json>,
    pub shape: ShapeId,
    pub place: Place,
    pub source: Arc<SourceFile>,
}

/// Where an id was seen.
#[derive(Clone)]
pub struct Seen {
    pub id: String,
    pub place: Place,
    pub source: Arc<SourceFile>,
}

/// A record counted by a periodic rule.
#[derive(Clone)]
pub struct Counted {
    pub rule: usize,
    pub date: Date,
    pub id: String,
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

/// One file read and judged on its own: everything the rules about the set need from it.
#[derive(Clone, Default)]
pub struct FileResult {
    pub readable: bool,
    pub records: usize,
    pub findings: Vec<Finding>,
    pub bad_inputs: Vec<BadInput>,
    pub ids: Vec<Seen>,
    pub counted: Vec<Counted>,
    pub kept: Vec<Kept>,
    pub refused: Vec<Refused>,
    pub judged: Vec<finding::Judged>,
    pub first_event: Option<EventDate>,
    pub last_event: Option<EventDate>,
}

pub fn read_and_judge(policy: &Policy, text: Text, trace: bool) -> FileResult {
    let (name, format, content) = match text {
        Text::Stdin(content) => {
            let content = content.map(records::decode);
            let format = content
                .as_ref()
                .map_or(Format::Lines, |c| records::sniff_format(&c.text));
            ("<stdin>".to_string(), format, content)
        }
        Text::Memory(name, format, text) => (
            name,
            format,
            Ok(records::Decoded {
                text,
                not_utf8: Vec::new(),
            }),
        ),
        Text::File(path, format) => {
            let content = std::fs::read(&path).map(records::decode);
            // A name that does not tell the format (a FIFO, `/dev/fd/63`, `records.txt`): the
            // text does, as for standard input.
            let format = format.unwrap_or_else(|| {
                content
                    .as_ref()
                    .map_or(Format::Json, |c| records::sniff_format(&c.text))
            });
            (path.display().to_string(), format, content)
        }
    };
    let mut result = FileResult::default();
    let content = match content {
        Ok(c) => c,
        Err(e) => {
            result
                .bad_inputs
                .push(BadInput::unlocated(name, format!("cannot read: {e}")));
            return result;
        }
    };
    result.readable = true;
    let source = SourceFile::new(name, content.text);
    let (parsed, malformed) = records::parse(&source, format, &content.not_utf8);
    for m in malformed {
        result.bad_inputs.push(BadInput::at(
            &source,
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
    let world = World::default();
    for record in parsed {
        // A value that is not an object is refused, and is not a record.
        result.records += usize::from(record.value.is_object());
        judge(policy, &source, record, &world, trace, &mut result);
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
    source: &Arc<SourceFile>,
    record: records::Record,
    world: &World,
    trace: bool,
    result: &mut FileResult,
) {
    let mut refusals: Vec<Refusal> = (record.faults.iter())
        .map(|f| Refusal::of_fault(source, record.place, f))
        .collect();
    let shape = match records::validate(policy, &record.value) {
        Ok(shape) if refusals.is_empty() => shape,
        validated => {
            if let Err(problems) = validated {
                let located = problems
                    .iter()
                    .map(|p| Refusal::of_problem(source, record.place, p));
                refusals.extend(located);
            }
            refuse(policy, source, &record, &refusals, result);
            return keep_refused(policy, source, &record, &refusals, world, result);
        }
    };
    let value = &record.value;
    let at = (record.place, source);
    note_id(value, record.place, source, result);
    note_event_dates(
        policy,
        shape,
        (value, record.place, source),
        &|_| true,
        result,
    );
    // Kept whole for waivers and for rules that read the set; as a few fields for references.
    let mut keep_whole = value
        .get("waivers")
        .and_then(Json::as_array)
        .is_some_and(|w| !w.is_empty());
    let mut keep_fields = is_ref_target(policy, shape);
    for (index, rule) in policy.rules.iter().enumerate() {
        match &rule.kind {
            RuleKind::Record(body) if body.record == shape => {
                if rule.needs_context {
                    // Judged once the set is read: keep the record if it is in the rule's scope,
                    // if only the set can tell, or if the scope fails (that is then reported).
                    keep_whole |= body.scope_needs_context
                        || !matches!(eval::scope(policy, rule, body, value, world), Ok(false));
                    continue;
                }
                if trace && eval::in_scope(policy, rule, body, value, world) {
                    result.judged.push(finding::Judged {
                        rule: rule.id.clone(),
                        subject: record_id(value),
                        file: Some(source.name.clone()),
                    });
                }
                match eval::judge_record(policy, rule, body, value, world) {
                    Ok(raws) => result.findings.extend(
                        raws.into_iter()
                            .map(|raw| finding::locate(policy, rule, raw, value, at.0, at.1)),
                    ),
                    Err(e) => result
                        .bad_inputs
                        .push(unjudgeable(policy, rule, e, value, at.0, at.1)),
                }
            }
            RuleKind::Periodic(p) if p.record == shape => {
                count_for_period(policy, (index, rule, p), value, at, world, result)
            }
            // Every record, as its `id` and `type`, when the policy has references: a reference to
            // it then resolves, so set.2 and `type_of` tell a record of another type from none.
            RuleKind::Builtin(BuiltinRule::References) => keep_fields |= has_references(policy),
            _ => {}
        }
    }
    let value = if keep_whole {
        record.value
    } else if keep_fields {
        reference_fields(policy, shape, record.value)
    } else {
        return;
    };
    result.kept.push(Kept {
        value: Arc::new(value),
        shape,
        place: record.place,
        source: source.clone(),
    });
}

fn note_id(value: &Json, place: Place, source: &Arc<SourceFile>, result: &mut FileResult) {
    if let Some(id) = value.get("id").and_then(Json::as_str) {
        result.ids.push(Seen {
            id: id.to_string(),
            place,
            source: source.clone(),
        });
    }
}

/// A refused record stays in the record set (catalogue 1.1): its id counts for duplicates and
/// resolves references, and each periodic rule counts it when none of the fields the count reads
/// is at fault. No other rule judges it.
fn keep_refused(
    policy: &Policy,
    source: &Arc<SourceFile>,
    record: &records::Record,
    refusals: &[Refusal],
    world: &World,
    result: &mut FileResult,
) {
    let value = &record.value;
    note_id(value, record.place, source, result);
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
        result.refused.push(Refused {
            id: id.to_string(),
            shape,
            readable: readable
                .map(|shape| Arc::new(reference_fields(policy, shape, value.clone()))),
        });
    }
    let Some(shape) = shape else { return };
    let at = (value, record.place, source);
    note_event_dates(policy, shape, at, &|field| sound(&|k| k == field), result);
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
            count_for_period(policy, (index, rule, p), value, at, world, result);
        }
    }
}

/// A record that breaks the records contract (set.3): each problem is bad input at its place.
fn refuse(
    policy: &Policy,
    source: &Arc<SourceFile>,
    record: &records::Record,
    refusals: &[Refusal],
    result: &mut FileResult,
) {
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
fn note_event_dates(
    policy: &Policy,
    shape: ShapeId,
    (value, place, source): (&Json, Place, &Arc<SourceFile>),
    usable: &dyn Fn(&str) -> bool,
    result: &mut FileResult,
) {
    for field in policy
        .event_fields(shape)
        .into_iter()
        .filter(|f| usable(&f.name))
    {
        let date = match (value.get(&field.name).and_then(Json::as_str), &field.ty) {
            (Some(s), Ty::Date) => records::time::parse_date(s).ok(),
            (Some(s), _) => records::time::parse_datetime(s).ok().map(|d| d.date()),
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
            result.first_event = EventDate::earliest(result.first_event.take(), Some(seen.clone()));
            result.last_event = EventDate::latest(result.last_event.take(), Some(seen));
        }
    }
}

/// A record a periodic rule counts, with the date that puts it in a period. A condition that
/// cannot be evaluated is bad input, not a silent "not counted".
fn count_for_period(
    policy: &Policy,
    (index, rule, p): (usize, &crate::check::RuleDef, &crate::check::PeriodicRule),
    value: &Json,
    (place, source): (Place, &Arc<SourceFile>),
    world: &World,
    result: &mut FileResult,
) {
    let mut env = eval::Env::new(policy, value, rule.slots, world);
    let applies = match &p.condition {
        None => true,
        Some(c) => match eval::eval(&mut env, c) {
            Ok(v) => v.truthy(),
            Err(e) => {
                let bad = unjudgeable(policy, rule, e, value, place, source);
                result.bad_inputs.push(bad);
                return;
            }
        },
    };
    let date = eval::eval(&mut env, &p.date)
        .ok()
        .and_then(|v| eval::builtins::date_of(&v.val));
    if let (true, Some(date)) = (applies, date) {
        result.counted.push(Counted {
            rule: index,
            date,
            id: record_id(value),
        });
    }
}

/// What the record-set rules need of a record kept only for references (as a reference's source
/// or possible target): its `id` and `type`, its own references, and the fields rules read
/// through a reference to it.
/// Memory then grows with the ids in a set, not with its records' size.
fn reference_fields(policy: &Policy, shape: ShapeId, record: Json) -> Json {
    let Json::Object(mut map) = record else {
        return record;
    };
    let read = policy.read_through_references.get(&shape);
    let is_reference = |name: &str| {
        policy
            .shapes
            .get(shape)
            .and_then(|s| s.field(name))
            .is_some_and(|f| matches!(f.ty, Ty::Ref(_)))
    };
    map.retain(|name, _| {
        name == "id"
            || name == "type"
            || is_reference(name)
            || read.is_some_and(|fields| fields.contains(name))
    });
    Json::Object(map)
}

/// A record that a rule could not judge (a date outside the calendar, say) is bad input.
pub fn unjudgeable(
    policy: &Policy,
    rule: &crate::check::RuleDef,
    e: eval::EvalError<'_>,
    record: &Json,
    place: Place,
    source: &Arc<SourceFile>,
) -> BadInput {
    let raw = eval::RawFinding {
        severity: crate::diagnostic::Severity::Error,
        message: e.message.clone(),
        blame: vec![eval::Blame::primary(e.origin, "cannot be judged".into())],
    };
    let located = finding::locate(policy, rule, raw, record, place, source);
    let span = located.diagnostic.primary_span().unwrap_or_default();
    BadInput::at(
        source,
        span,
        format!("rule {} cannot judge this record: {}", rule.id, e.message),
        "bad-input::unjudgeable",
        "cannot be judged",
        None,
    )
}

/// A record's id, as reports name it.
pub fn record_id(record: &Json) -> String {
    record
        .get("id")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string()
}

fn is_ref_target(policy: &Policy, shape: ShapeId) -> bool {
    policy
        .shapes
        .iter()
        .any(|s| s.fields.iter().any(|f| f.ty == Ty::Ref(shape)))
}

fn has_references(policy: &Policy) -> bool {
    policy
        .shapes
        .iter()
        .any(|s| s.fields.iter().any(|f| matches!(f.ty, Ty::Ref(_))))
}
