//! Judging one record of a file, on its own: the record validated against the records contract
//! (through [`crate::records`]), then judged against the rules that need nothing but the record,
//! giving its findings and its bad inputs; and the facts the rules about the set will need of it
//! (its id, its references, what periodic rules count, whether it waits for the set, whether it is
//! kept or refused, its event dates), made beside those facts in [`set::facts`]. A refused record
//! (set.3) is bad input, yet stays in the set as the catalogue says.
//!
//! Its one entry point, [`judge_items`], takes a run of records (or faults) as the reader gives
//! them and returns a [`FileResult`], which the driver adds to its file's.

use std::rc::Rc;
use std::sync::Arc;

use crate::json::Json;

use crate::check::{BuiltinRule, Policy, RuleKind, ShapeId};
use crate::eval::set;
use crate::eval::set::facts::{
    self, Amount, Counted, Deferred, Kept, Refused, Seen, SetFacts, Spot,
};
use crate::eval::{self, record_id, unjudgeable, World};
use crate::finding::{self, BadInput, Finding};
use crate::records::{self, Item};
use crate::source::Span;
use crate::time::Decoded;

/// One file read and judged on its own (or one record of it, added to its file's): its findings,
/// and what the rules about the set need.
#[derive(Clone, Default)]
pub struct FileResult {
    pub readable: bool,
    pub records: usize,
    /// The values the reader told apart in the text (records, and values that do not parse or
    /// are not objects), and for a piece of an array, what its reading tells of the turns it
    /// took ([`crate::records::stream::PieceRead`]): what a piece read on its own must show to
    /// read as the whole text does ([`crate::lsp`]).
    pub values: usize,
    pub piece_read: Option<crate::records::stream::PieceRead>,
    pub findings: Vec<Box<Finding>>,
    pub bad_inputs: Vec<BadInput>,
    /// Bad inputs found beyond the limit of those shown for a file: counted, not kept.
    pub bad_inputs_not_shown: usize,
    pub judged: Vec<finding::Judged>,
    pub facts: SetFacts,
}

impl FileResult {
    /// Keeps the first `max` bad inputs and counts the others (each as many as it stands for).
    pub fn limit_bad_inputs(&mut self, max: usize) {
        if self.bad_inputs.len() > max {
            let dropped = self.bad_inputs.drain(max..);
            self.bad_inputs_not_shown += dropped.map(|b| b.count).sum::<usize>();
        }
    }

    /// Closes the file's bad inputs with the line that says how many were not shown, if any.
    pub fn close_bad_inputs(&mut self, file: &str) {
        let hidden = std::mem::take(&mut self.bad_inputs_not_shown);
        if hidden > 0 {
            let line = self.bad_inputs.iter().rev().find_map(|b| b.line);
            let shown = self.bad_inputs.len();
            (self.bad_inputs).push(BadInput::not_shown(file.into(), hidden, line, shown));
        }
    }

    /// Moves everything it says of lines `by` lines down its file: the language server keeps
    /// the judgement of a piece of a document whose lines an edit above it moved
    /// ([`crate::lsp`]). Only lines move: offsets are the piece's own.
    pub fn shift_lines(&mut self, by: isize) {
        self.findings.iter_mut().for_each(|f| f.shift_lines(by));
        self.bad_inputs.iter_mut().for_each(|b| b.shift_lines(by));
        self.facts.shift_lines(by);
    }

    /// Adds what a later part of the same file found.
    pub fn absorb(&mut self, part: FileResult) {
        self.records += part.records;
        self.values += part.values;
        self.findings.extend(part.findings);
        self.bad_inputs.extend(part.bad_inputs);
        self.bad_inputs_not_shown += part.bad_inputs_not_shown;
        self.judged.extend(part.judged);
        self.facts.absorb(part.facts);
    }
}

/// A run of a file's records (or faults), judged against the rules that need nothing but the
/// record; what they give is added to `result` (the runs before it of the file's records), in
/// their order.
///
/// Each stage goes over the whole run before the next: all are read, then all validated, then
/// all judged. A stage's code and data then stay in the cache from one record to the next
/// (cachegrind, 10k records on one thread: 6.9 M → 2.4 M instruction-cache misses; 100k records,
/// medians of alternated runs: 1-3% faster on one thread, 3-5% on two cores).
pub fn judge_items(policy: &Policy, items: Vec<Item>, trace: bool, result: &mut FileResult) {
    let read: Vec<Result<records::Record, Vec<records::Malformed>>> = (items.into_iter())
        .map(|item| match item {
            Item::Record(text) => {
                result.values += 1;
                records::parse(text)
            }
            Item::Malformed(m) => Err(vec![m]),
        })
        .collect();
    let validated: Vec<Option<Validated<'_>>> = (read.iter())
        .map(|record| Some(Validated::of(policy, record.as_ref().ok()?)))
        .collect();
    let rules = RulesByShape::of(policy);
    for (record, validated) in read.iter().zip(validated) {
        match (record, validated) {
            (Ok(record), Some(validated)) => {
                // A value that is not an object is refused, and is not a record.
                result.records += usize::from(record.value.is_object());
                let how = (policy, &rules);
                judge(how, record, validated, &World::default(), trace, result);
            }
            (Err(malformed), _) => report_malformed(malformed, result),
            (Ok(_), None) => unreachable!("every record read is validated"),
        }
    }
    read.into_iter().flatten().for_each(records::recycle);
}

/// The rules that judge a record of each shape on its own (record rules and periodic counts), by
/// their index in the policy, in its order: a record goes through its shape's rules, not through
/// every rule of the policy to find them (100k records: 1% fewer instructions). Made for each run
/// of records, from the policy as it is.
struct RulesByShape(Vec<Vec<usize>>);

impl RulesByShape {
    fn of(policy: &Policy) -> RulesByShape {
        let mut by_shape = vec![Vec::new(); policy.shapes.len()];
        for (index, rule) in policy.rules.iter().enumerate() {
            let shape = match &rule.kind {
                RuleKind::Record(body) => body.record,
                RuleKind::Periodic(p) => p.record,
                RuleKind::Builtin(_) => continue,
            };
            if let Some(rules) = by_shape.get_mut(shape) {
                rules.push(index);
            }
        }
        RulesByShape(by_shape)
    }

    fn about(&self, shape: ShapeId) -> &[usize] {
        self.0.get(shape).map_or(&[], Vec::as_slice)
    }
}

/// A record checked against the records contract: its shape, or why it breaks the contract; and
/// its dates and datetimes, decoded once, by validation, then read by every rule.
struct Validated<'r> {
    decoded: Rc<Decoded<'r>>,
    shape: Result<ShapeId, Vec<records::Problem>>,
}

impl<'r> Validated<'r> {
    fn of(policy: &Policy, record: &'r records::Record) -> Validated<'r> {
        let decoded = Rc::new(Decoded::default());
        let shape = records::validate(policy, &record.value, &decoded);
        Validated { decoded, shape }
    }
}

/// A record whose text does not read as one: bad input where it breaks.
fn report_malformed(malformed: &[records::Malformed], result: &mut FileResult) {
    for m in malformed {
        let (code, label, help) = if m.of_encoding {
            let help = "records are read as UTF-8: write the file in UTF-8";
            ("bad-input::encoding", "not UTF-8 here", help)
        } else {
            let help =
                "fix the JSON; the rest of the file's records are still checked where possible";
            ("bad-input::json", "malformed JSON here", help)
        };
        let help = Some(help.into());
        let message = m.message.clone();
        let bad = BadInput::at(&m.source, m.span, message, code, label, help);
        result.bad_inputs.push(bad);
    }
}

/// Why a record is refused (set.3), located: a fault of its text or a break of the contract.
struct Refusal {
    span: Span,
    message: String,
    /// The record's own field at fault; `None` when the whole record is.
    field: Option<String>,
    /// The bad inputs it stands for: 1, or the keys given again that are counted, not listed.
    count: usize,
}

impl Refusal {
    fn of_problem(locator: &records::RecordLocator<'_>, problem: &records::Problem) -> Refusal {
        let span = (locator.locate(&problem.pointer)).map_or(Span::new(0, 0), |l| l.span);
        // An unknown field is its key's fault, not its value's.
        let span = if problem.at_key {
            records::locate::key_before(&locator.source.text, span.start).unwrap_or(span)
        } else {
            span
        };
        Refusal {
            span,
            message: problem.message.clone(),
            field: top_field(&problem.pointer),
            count: 1,
        }
    }

    /// A fault of the record's text; a key given again is located at that giving of it.
    fn of_fault(repeated: &mut records::RepeatedKeys<'_>, fault: &records::Fault) -> Refusal {
        match fault {
            records::Fault::DuplicateKey(duplicate) => {
                let pointer = &duplicate.pointer;
                let key = match pointer.0.last() {
                    Some(records::pointer::Segment::Key(key)) => key.as_str(),
                    _ => "",
                };
                let span = repeated.locate(duplicate).unwrap_or(Span::new(0, 0));
                Refusal {
                    span,
                    message: match duplicate.giving() {
                        2 => format!(
                            "the key `{key}` is given twice in one object, so its value is unclear"
                        ),
                        n => format!(
                            "the key `{key}` is given {n} times in one object, so its value is unclear"
                        ),
                    },
                    field: top_field(pointer),
                    count: 1,
                }
            }
            records::Fault::MoreDuplicateKeys { more, listed } => Refusal {
                span: repeated.last_located().unwrap_or(Span::new(0, 0)),
                message: format!(
                    "{more} more keys are given again in the record, beyond the {listed} listed \
                     (--max-bad-inputs)"
                ),
                field: None,
                count: *more,
            },
            records::Fault::NotUtf8 { offset, byte, more } => Refusal {
                span: Span::new(*offset, offset + char::REPLACEMENT_CHARACTER.len_utf8()),
                message: records::not_utf8_message(*byte, *more),
                field: None,
                count: 1,
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

fn judge<'r>(
    (policy, rules): (&Policy, &RulesByShape),
    record: &'r records::Record,
    validated: Validated<'r>,
    world: &World,
    trace: bool,
    result: &mut FileResult,
) {
    let source = &record.source;
    let file_name = &record.refetch.origin.name;
    let listed = (record.faults.iter())
        .filter(|f| matches!(f, records::Fault::DuplicateKey(_)))
        .count();
    let mut repeated = records::RepeatedKeys::new(source, record.place, listed);
    let mut refusals: Vec<Refusal> = (record.faults.iter())
        .map(|f| Refusal::of_fault(&mut repeated, f))
        .collect();
    let Validated { decoded, shape } = validated;
    let shape = match shape {
        Ok(shape) if refusals.is_empty() => shape,
        validated => {
            if let Err(problems) = validated {
                // One locator for the record: its problems come in the order of their places.
                let locator = records::RecordLocator::new(source, record.place);
                refusals.extend(problems.iter().map(|p| Refusal::of_problem(&locator, p)));
            }
            refuse(policy, record, &refusals, result);
            return keep_refused(policy, (record, &decoded), &refusals, world, result);
        }
    };
    let value = &record.value;
    let date = facts::note_event_dates(
        policy,
        shape,
        (value, record.place, source),
        (&|_| true, &decoded),
        &mut result.facts,
    );
    let at = eval::RecordPlaces::new(value, record.place, source, Some(&record.refetch), date);
    facts::note_references(policy, shape, record, &mut result.facts);
    // The rules about the set that will judge this record once the set is read, known to be in
    // their scope now (a scope that needs the set is evaluated then, once).
    let mut later: Vec<u16> = Vec::new();
    let conditions = eval::ScopeConditions::default();
    let mut deferred = false;
    for &index in rules.about(shape) {
        let rule = &policy.rules[index];
        match &rule.kind {
            RuleKind::Record(body) => {
                if rule.needs_context && body.scope_needs_context {
                    deferred = true;
                    continue;
                }
                match eval::scope(policy, rule, body, (value, &decoded, &conditions), world) {
                    Ok(false) => {}
                    Ok(true) => {
                        world.take_asked();
                        let record = (value, &decoded);
                        let judged = eval::judge_in_scope(policy, rule, body, record, world);
                        // A rule that may read the set is judged again once it is read if it did
                        // (most records never reach the clause that reads the period), or if it
                        // could not judge (its bad input then comes where it always has).
                        if rule.needs_context && (world.take_asked() || judged.is_err()) {
                            deferred = true;
                            later.push(u16::try_from(index).expect("a policy has fewer rules"));
                            continue;
                        }
                        if trace {
                            result.judged.push(finding::Judged {
                                rule: index,
                                subject: record_id(value).into(),
                                file: Some(file_name.clone()),
                            });
                        }
                        match judged {
                            Ok(raws) => result
                                .findings
                                .extend(raws.into_iter().map(|raw| eval::locate(rule, raw, &at))),
                            Err(e) => result.bad_inputs.push(unjudgeable(rule, e, &at)),
                        }
                    }
                    Err(e) => result.bad_inputs.push(unjudgeable(rule, e, &at)),
                }
            }
            RuleKind::Periodic(p) => {
                let record = (value, &decoded);
                count_for_period(policy, (index, rule, p), record, &at, world, result)
            }
            RuleKind::Builtin(_) => {}
        }
    }
    let seen = facts::note_id(record, Some(shape), deferred, &mut result.facts);
    if let (true, Some(seen)) = (deferred, seen) {
        let in_scope = result.facts.scopes.number(&later);
        result.facts.deferred.push(Deferred { seen, in_scope });
    }
    let waivers_field = set::waivers_field(policy, shape);
    let waivers = value
        .get(waivers_field)
        .filter(|w| w.as_array().is_some_and(|w| !w.is_empty()));
    if let Some(waivers) = waivers {
        // Only what the waivers need: the id and the waivers, at the pointers they have in the
        // record; its text is read again for a finding about a waiver.
        let id = value.get("id").map(|id| ("id".into(), id.clone()));
        let members = id
            .into_iter()
            .chain([(waivers_field.into(), waivers.clone())]);
        let seen = Seen {
            at: result.facts.at(&record.refetch),
            spot: Spot::new(record.place, Some(shape)),
        };
        result.facts.kept.push(Kept {
            value: Json::Object(crate::json::Object::from_members(members.collect())),
            seen,
        });
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
    facts::note_id(record, None, false, &mut result.facts);
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
            facts::is_ref_target(policy, shape)
                && sound(&|k| through.is_some_and(|f| f.contains(k)))
        });
        result.facts.refused.push(Refused {
            id: id.to_string(),
            shape,
            readable: readable
                .map(|shape| Arc::new(set::facts::reference_fields(policy, shape, value))),
        });
    }
    let Some(shape) = shape else { return };
    let usable = |field: &str| sound(&|k| k == field);
    let dated = (value, record.place, source);
    let date = facts::note_event_dates(policy, shape, dated, (&usable, decoded), &mut result.facts);
    let at = eval::RecordPlaces::new(value, record.place, source, Some(&record.refetch), date);
    for (index, rule) in policy.rules.iter().enumerate() {
        let RuleKind::Periodic(p) = &rule.kind else {
            continue;
        };
        if p.record != shape {
            continue;
        }
        let read = p.fields_read();
        if sound(&|k| read.contains(k)) {
            let record = (value, decoded);
            count_for_period(policy, (index, rule, p), record, &at, world, result);
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
        let bad = BadInput::at(
            source,
            refusal.span,
            format!("{id}{}", refusal.message),
            "set.3",
            "breaks the records contract",
            help.clone(),
        );
        let count = refusal.count;
        result.bad_inputs.push(BadInput { count, ..bad });
    }
}

/// A record a periodic rule counts, with the date that puts it in a period. A condition that
/// cannot be evaluated is bad input, not a silent "not counted".
fn count_for_period<'r>(
    policy: &Policy,
    (index, rule, p): (usize, &crate::check::RuleDef, &crate::check::PeriodicRule),
    (value, decoded): (&'r Json, &Rc<Decoded<'r>>),
    at: &eval::RecordPlaces<'_>,
    world: &World,
    result: &mut FileResult,
) {
    let mut env = eval::Env::new(policy, value, decoded.clone(), rule.slots, world);
    let applies = match &p.condition {
        None => true,
        Some(c) => match eval::eval(&mut env, c) {
            Ok(v) => v.truthy(),
            Err(e) => {
                let bad = unjudgeable(rule, e, at);
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
        let bad = unjudgeable(rule, e, at);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each rule about one record is listed once, under its record's shape, in the policy's
    /// order; a rule about the set under none.
    #[test]
    fn a_records_rules_are_those_of_its_shape_in_the_policys_order() {
        let files = crate::policy_files::default_policy();
        let policy = crate::check::load(&files, &[]).expect("the bundled policy loads");
        let rules = RulesByShape::of(&policy);
        for shape in 0..policy.shapes.len() {
            let expected: Vec<usize> = (policy.rules.iter().enumerate())
                .filter(|(_, rule)| match &rule.kind {
                    RuleKind::Record(body) => body.record == shape,
                    RuleKind::Periodic(p) => p.record == shape,
                    RuleKind::Builtin(_) => false,
                })
                .map(|(index, _)| index)
                .collect();
            assert_eq!(
                rules.about(shape),
                expected,
                "{}",
                policy.shapes[shape].name
            );
        }
        let listed: usize = (0..policy.shapes.len()).map(|s| rules.about(s).len()).sum();
        let builtin = (policy.rules.iter())
            .filter(|r| matches!(r.kind, RuleKind::Builtin(_)))
            .count();
        assert_eq!(listed + builtin, policy.rules.len());
        assert!(rules.about(policy.records["meeting"]).len() > 20);
        assert!(
            rules.about(policy.shapes.len()).is_empty(),
            "a shape not in the policy"
        );
    }
}
