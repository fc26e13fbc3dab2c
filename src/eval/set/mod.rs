//! The record-set stage of evaluation: the rules about the set, judged once every record is
//! read, from the compact facts gathered as the records were read ([`SetFacts`]) — duplicate ids
//! (set.1), references (set.2), the record rules that needed the whole set, the periodic rules
//! and waivers (set.4, set.5). Its one entry point, [`judge`], consumes the facts and returns what
//! it found ([`Found`]) as typed findings; the few records it must show are read again from their
//! source through [`crate::records`].

mod chunked;
pub mod facts;
mod memo;
mod periodic;
mod waivers;

use std::collections::HashMap;

use crate::json::Json;
use rayon::prelude::*;

use facts::Spot;
pub use facts::{Deferred, Kept, Refused, Seen, SetFacts};
pub use memo::Memo;
pub use waivers::waivers_field;

use crate::check::{BuiltinRule, Period, Policy, RuleKind, ShapeId, Ty};
use crate::diagnostic::Label;
use crate::eval::{self, World};
use crate::finding::{BadInput, Elsewhere, EventDate, Finding, Judged, Site, SiteText, Tally};
use crate::records::pointer::Pointer;
use crate::records::waiver_file::WaiverFile;
use crate::records::{locate_in_file, Fragment, Place};
use crate::source::{SourceFile, Span};
use crate::time::Decoded;

/// Every file's facts, in the order the files were read.
type Gathered = SetFacts;

/// What the record-set stage is given besides the policy, the facts and the findings so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Given<'a> {
    /// The period under audit, when the user gave one; else it is inferred from the records.
    pub period: Option<Period>,
    /// List every rule × record (or period) judged, in [`Found::judged`].
    pub trace: bool,
    /// Waivers of period findings, from a waivers file.
    pub waivers: Option<&'a WaiverFile>,
    /// What the last run worked out, for a run that keeps a [`Memo`] for the next
    /// ([`Found::memo`]); a run that traces keeps none.
    pub memo: Option<&'a Memo>,
}

/// What the record-set stage found.
#[derive(Debug, Default)]
pub struct Found {
    /// The period under audit: the one given, else the one the records' event dates span.
    pub period: Option<Period>,
    /// When the period under audit was inferred, the event dates it runs between.
    pub period_bounds: Option<(EventDate, EventDate)>,
    /// The findings it was given, each waived when a waiver says so, then its own; unsorted.
    pub findings: Vec<Box<Finding>>,
    /// What could not be judged, in the order it was met.
    pub bad_inputs: Vec<BadInput>,
    /// With [`Given::trace`]: what each rule about the set judged.
    pub judged: Vec<Judged>,
    /// Every period each periodic rule judged, with what it counted, in policy and time order.
    pub tallies: Vec<Tally>,
    /// With [`Given::memo`]: what this run worked out, for the next.
    pub memo: Memo,
}

/// The record-set stage: duplicates, references, the records whose rules needed the set,
/// periods and waivers, judged from the gathered `facts` (consumed: they are not needed after).
/// `findings` are those of the records judged one by one, which the waivers in records may
/// waive; they come back first in [`Found::findings`].
pub fn judge(
    policy: &Policy,
    facts: SetFacts,
    findings: Vec<Box<Finding>>,
    given: Given<'_>,
) -> Found {
    let mut found = Found {
        period: given.period.or(facts.inferred_period()),
        findings,
        ..Found::default()
    };
    if given.period.is_none() {
        found.period_bounds = facts.first_event.clone().zip(facts.last_event.clone());
    }
    let memo = given.memo.filter(|_| !given.trace);
    whole(policy, &facts, &mut found, (given.trace, memo));
    match &found.period_bounds {
        // An inferred period of more than ten years is most likely one mistyped year.
        Some((first, last)) if periodic::too_long(first.date, last.date) => {
            let refused = periodic::refuse_long_period(policy, first, last);
            found.bad_inputs.push(refused);
        }
        _ => periodic::judge(policy, &facts, &mut found, given.trace),
    }
    waivers::apply(policy, &facts, &mut found);
    if let Some(file) = given.waivers {
        waivers::apply_to_periods(policy, file, &mut found);
    }
    found
}

/// What a reference to a record no reference names gives: nothing (no rule reads it).
static NO_FIELDS: Json = Json::Object(crate::json::Object::new());

/// Duplicates, references and the records whose rules needed the set.
fn whole(
    policy: &Policy,
    gathered: &Gathered,
    outcome: &mut Found,
    (trace, memo): (bool, Option<&Memo>),
) {
    // What the deferred records gave is added once the index of ids and the records references
    // name are dropped, and in one allocation: at a million records, the set stage's peak.
    let parts = read_again_and_judge(policy, gathered, outcome, (trace, memo));
    outcome
        .findings
        .reserve_exact(parts.iter().map(|p| p.findings.len()).sum());
    for part in parts {
        outcome.findings.extend(part.findings);
        outcome.bad_inputs.extend(part.bad_inputs);
        outcome.judged.extend(part.judged);
    }
}

/// Duplicates and references, found; the records whose rules needed the set, read again and
/// judged: what they gave, in the order they were read.
fn read_again_and_judge(
    policy: &Policy,
    gathered: &Gathered,
    outcome: &mut Found,
    (trace, memo): (bool, Option<&Memo>),
) -> Vec<Found> {
    let Some(index) = Index::new(gathered) else {
        outcome.bad_inputs.push(BadInput::unlocated(
            "<set>".into(),
            format!(
                "more than {} records: too many to check as one set",
                u32::MAX
            ),
        ));
        return Vec::new();
    };
    duplicates(policy, &index, outcome);
    let named = named_fields(policy, gathered, &index, outcome, memo);
    let mut by_id = ById {
        index: &index,
        // What a reference to a record no reference names gives, by its type.
        plain: (0..policy.shapes.len()).map(|s| (s, &NO_FIELDS)).collect(),
        named: (named.iter())
            .map(|(i, shape, json)| (*i, (*shape, &**json)))
            .collect(),
        refused: HashMap::new(),
    };
    let mut refused_ids = HashMap::new();
    for refused in &gathered.refused {
        match (&refused.readable, refused.shape) {
            // A record kept by its id comes first.
            (Some(value), Some(shape)) if index.first(&refused.id).is_none() => {
                by_id
                    .refused
                    .entry(&*refused.id)
                    .or_insert((shape, &**value));
            }
            (Some(_), Some(_)) => {}
            _ => {
                refused_ids.entry(&*refused.id).or_insert(refused.shape);
            }
        }
    }
    let world = World::new(outcome.period, eval::Records::new(&by_id), &refused_ids);
    references(policy, gathered, &world, outcome);
    // Read again and judged in parallel, in the order they were read.
    // Most find nothing: only what they found is kept, boxed, till all are done.
    let found = |part: Found| {
        let found =
            !(part.findings.is_empty() && part.bad_inputs.is_empty() && part.judged.is_empty());
        found.then(|| Box::new(part))
    };
    let parts: Vec<Option<Box<Found>>> = match memo {
        None => (gathered.deferred.par_iter())
            .map(|deferred| {
                let mut part = Found::default();
                judge_deferred(policy, gathered, deferred, &world, &mut part, trace);
                found(part)
            })
            .collect(),
        Some(memo) => {
            let (parts, kept): (Vec<_>, Vec<_>) = (gathered.deferred.par_iter())
                .map(|deferred| {
                    let (part, kept) =
                        judge_deferred_with(policy, gathered, deferred, &world, memo);
                    (found(part), kept)
                })
                .unzip();
            outcome.memo.deferred = kept.into_iter().flatten().collect();
            outcome.memo.named = (named.iter())
                .map(|(i, _, json)| (memo::Key::of(gathered, index.seen(*i)), json.clone()))
                .collect();
            parts
        }
    };
    parts.into_iter().flatten().map(|part| *part).collect()
}

/// [`judge_deferred`] for a run that keeps a [`Memo`]: the last run's judgement of a record of
/// the same text, when the set answers its lookups as it did then; else judged, noting what
/// its rules look up. And what to keep of it for the next run.
fn judge_deferred_with(
    policy: &Policy,
    gathered: &Gathered,
    deferred: &Deferred,
    world: &World,
    memo: &Memo,
) -> (Found, Option<memo::Entry>) {
    let seen = (gathered.seen(deferred.seen)).expect("a deferred record's trace is kept");
    let key = memo::Key::of(gathered, seen);
    let now = gathered.refetch(&seen.at);
    let then = memo.deferred.get(&key);
    if let Some((found, kept)) = then.and_then(|then| then.again(&now, world)) {
        return (found, Some((key, kept)));
    }
    let looked_up = std::sync::Mutex::new(Vec::new());
    let mut part = Found::default();
    judge_deferred(
        policy,
        gathered,
        deferred,
        &world.noting(&looked_up),
        &mut part,
        false,
    );
    let kept = memo::Judgement::new(now, world, looked_up, &part);
    (part, kept.map(|kept| (key, kept)))
}

/// Every id of the set, found by a hash of it: the facts' indexes sorted by the id's hash, then
/// the id, a valid record before a refused one, and the order they were read. Eight bytes a
/// record, where a table of the ids took some forty.
struct Index<'g> {
    gathered: &'g Gathered,
    /// (hash of the id, index in `ids`).
    sorted: Vec<(u32, u32)>,
}

impl<'g> Index<'g> {
    /// `None` for a set of more ids than a `u32` counts.
    fn new(gathered: &'g Gathered) -> Option<Index<'g>> {
        let ids = &gathered.ids;
        u32::try_from(ids.len()).ok()?;
        let mut sorted: Vec<(u32, u32)> = Vec::with_capacity(ids.len());
        sorted.extend((ids.iter().zip(0u32..)).map(|((id, _), i)| (hash(id), i)));
        let index = Index {
            gathered,
            sorted: Vec::new(),
        };
        // By hash first, with a radix sort: it is stable, so the indexes of one hash stay in the
        // order they were read. (Rayon's sort of 10k pairs on one thread took 0.28 ms, this
        // one 0.05; of a million, 35 and 19 ms.) Then each run of one hash, which is nearly
        // always one record, in the index's full order.
        radsort::sort_by_key(&mut sorted, |&(hash, _)| hash);
        for run in sorted
            .chunk_by_mut(|a, b| a.0 == b.0)
            .filter(|run| run.len() > 1)
        {
            run.sort_unstable_by(|a, b| {
                let ((x_id, x), (y_id, y)) = (index.id_seen(a.1), index.id_seen(b.1));
                (x_id.cmp(y_id))
                    .then(x.spot.shape().is_none().cmp(&y.spot.shape().is_none()))
                    .then(a.1.cmp(&b.1))
            });
        }
        Some(Index { sorted, ..index })
    }

    fn id_seen(&self, index: u32) -> (&'g str, &'g Seen) {
        (self.gathered.ids)
            .get(index as usize)
            .expect("an index of the set's ids")
    }

    fn seen(&self, index: u32) -> &'g Seen {
        self.id_seen(index).1
    }

    fn id(&self, index: u32) -> &'g str {
        self.id_seen(index).0
    }

    /// The first valid record of this id, in the order the files were read.
    fn first(&self, id: &str) -> Option<u32> {
        let hash = hash(id);
        let at =
            (self.sorted).partition_point(|&(h, i)| h < hash || (h == hash && self.id(i) < id));
        let &(h, i) = self.sorted.get(at)?;
        let (found, seen) = self.id_seen(i);
        (h == hash && found == id && seen.spot.shape().is_some()).then_some(i)
    }

    /// The indexes of the records of each id, each id's together.
    fn by_id(&self) -> impl Iterator<Item = &[(u32, u32)]> {
        (self.sorted).chunk_by(|a, b| a.0 == b.0 && self.id(a.1) == self.id(b.1))
    }
}

fn hash(id: &str) -> u32 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x6964).hash_one(id) as u32
}

/// The records of the set by id, for the rules ([`World::records`]): the first valid record of
/// an id, else the first refused one whose fields can be read.
struct ById<'g> {
    index: &'g Index<'g>,
    plain: Vec<(ShapeId, &'g Json)>,
    /// The records references name (by index), with what rules read through them.
    named: Vec<(u32, (ShapeId, &'g Json))>,
    refused: HashMap<&'g str, (ShapeId, &'g Json)>,
}

impl eval::ById for ById<'_> {
    fn get(&self, id: &str) -> Option<&(ShapeId, &Json)> {
        let Some(i) = self.index.first(id) else {
            return self.refused.get(id);
        };
        match self.named.binary_search_by_key(&i, |(n, _)| *n) {
            Ok(at) => Some(&self.named[at].1),
            Err(_) => self.plain.get(self.index.seen(i).spot.shape()?),
        }
    }
}

/// What rules may read through a reference, of each record a reference names (the first record
/// of its id): read again from its file, since only these few are needed. By index, in order.
fn named_fields(
    policy: &Policy,
    gathered: &Gathered,
    index: &Index,
    outcome: &mut Found,
    memo: Option<&Memo>,
) -> Vec<(u32, ShapeId, std::sync::Arc<Json>)> {
    let mut wanted: Vec<u32> = (gathered.references.iter())
        .filter_map(|r| index.first(&r.target))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    // Read again in parallel (a tenth of the records of an export may be named), then kept
    // in the order of `wanted`.
    let read: Vec<(u32, ShapeId, Option<std::sync::Arc<Json>>)> = wanted
        .par_iter()
        .filter_map(|&i| {
            let seen = index.seen(i);
            let shape = seen.spot.shape()?;
            let then = memo.and_then(|memo| memo.named.get(&memo::Key::of(gathered, seen)));
            if let Some(fields) = then {
                return Some((i, shape, Some(fields.clone())));
            }
            let wanted = facts::read_through_reference(policy, shape);
            let fields = read_members_again(gathered, &seen.at, seen.spot, &wanted);
            Some((i, shape, fields.map(std::sync::Arc::new)))
        })
        .collect();
    let mut named = Vec::with_capacity(read.len());
    for (i, shape, fields) in read {
        match fields {
            Some(fields) => named.push((i, shape, fields)),
            None => outcome
                .bad_inputs
                .push(changed(gathered, &index.seen(i).at)),
        }
    }
    named
}

/// A record read again, now that the set is known, and judged by the rules that needed the set.
fn judge_deferred(
    policy: &Policy,
    gathered: &Gathered,
    deferred: &Deferred,
    world: &World,
    outcome: &mut Found,
    trace: bool,
) {
    let seen = (gathered.seen(deferred.seen)).expect("a deferred record's trace is kept");
    let Some((value, source, place)) = read_again(gathered, &seen.at, seen.spot) else {
        outcome.bad_inputs.push(changed(gathered, &seen.at));
        return;
    };
    eval::counters::record_read_again();
    let read = (&value, &source, place);
    judge_read_again(
        policy,
        gathered,
        (deferred, seen, read),
        world,
        outcome,
        trace,
    );
    crate::records::recycle_value(value, source.text.len());
}

/// [`judge_deferred`] once the record is read again: `value`, at `place` of `source`.
fn judge_read_again(
    policy: &Policy,
    gathered: &Gathered,
    (deferred, seen, (value, source, place)): (
        &Deferred,
        &Seen,
        (&Json, &std::sync::Arc<SourceFile>, Place),
    ),
    world: &World,
    outcome: &mut Found,
    trace: bool,
) {
    // Its own store of dates and datetimes, decoded as its rules read them: this value is new.
    let decoded = std::rc::Rc::new(crate::time::Decoded::default());
    let conditions = eval::ScopeConditions::default();
    let again = gathered.refetch(&seen.at);
    let date = eval::earliest_event(policy, value, &decoded);
    let at = eval::RecordPlaces::new(value, place, source, Some(&again), date);
    let in_scope = gathered.scopes.get(deferred.in_scope);
    for (index, rule) in policy.rules.iter().enumerate() {
        let RuleKind::Record(body) = &rule.kind else {
            continue;
        };
        if !rule.needs_context || Some(body.record) != seen.spot.shape() {
            continue;
        }
        let known = in_scope.iter().any(|&i| usize::from(i) == index);
        let in_scope = match known || !body.scope_needs_context {
            true => Ok(known),
            // Evaluated now, and only now: the scope needs the set.
            false => eval::scope(policy, rule, body, (value, &decoded, &conditions), world),
        };
        let judged = match in_scope {
            Ok(false) => continue,
            Ok(true) => {
                if trace {
                    outcome.judged.push(Judged {
                        rule: index,
                        subject: eval::record_id(value).into(),
                        file: gathered.shared_source_name(&seen.at),
                    });
                }
                eval::judge_in_scope(policy, rule, body, (value, &decoded), world)
            }
            Err(e) => Err(e),
        };
        match judged {
            Ok(raws) => {
                for raw in raws {
                    outcome.findings.push(eval::locate(rule, raw, &at));
                }
            }
            Err(e) => outcome.bad_inputs.push(eval::unjudgeable(rule, e, &at)),
        }
    }
}

/// A record's text read again from its file, its value, and its place (found again in the text).
fn read_again(
    gathered: &Gathered,
    at: &Fragment,
    spot: Spot,
) -> Option<(Json, std::sync::Arc<SourceFile>, Place)> {
    let (source, place, start) = text_again(gathered, at, spot)?;
    let value = crate::records::read_value_again(source.text.get(start..)?)?;
    Some((value, source, place))
}

/// A record's text read again from its file, its place (found again in the text), and where the
/// record starts in it.
fn text_again(
    gathered: &Gathered,
    at: &Fragment,
    spot: Spot,
) -> Option<(std::sync::Arc<SourceFile>, Place, usize)> {
    let source = gathered.fetch(at)?;
    let place = spot.place(&source.text);
    let start = crate::records::record_start(&source, place).0;
    Some((source, place, start))
}

/// The members of a record that `wanted` names, read again from its file (the rest of the record
/// is scanned, not built): what a reference to it may read.
fn read_members_again(
    gathered: &Gathered,
    at: &Fragment,
    spot: Spot,
    wanted: &dyn Fn(&str) -> bool,
) -> Option<Json> {
    let (source, _, start) = text_again(gathered, at, spot)?;
    crate::records::read_members_again(source.text.get(start..)?, wanted)
}

/// A file that changed while it was audited: what was read first no longer reads the same.
pub(super) fn changed(gathered: &Gathered, at: &Fragment) -> BadInput {
    BadInput::unlocated(
        gathered.source_name(at).to_string(),
        format!(
            "cannot read line {} again: the file changed while it was audited",
            at.start().line
        ),
    )
}

/// set.1: every id once; each later occurrence is a finding, labelled with the first as well.
fn duplicates(policy: &Policy, index: &Index, outcome: &mut Found) {
    let Some(rule) = policy.builtin(BuiltinRule::UniqueIds) else {
        return;
    };
    // The original of an id is its first use in the report's order, whatever the order of the
    // paths on the command line: files by name, then position in the file, then as read.
    let report_order = |i: u32| {
        let seen = index.seen(i);
        (
            index.gathered.source_name(&seen.at),
            seen.spot.position(),
            i,
        )
    };
    let mut again: Vec<(u32, u32)> = Vec::new();
    for records in index.by_id().filter(|records| records.len() > 1) {
        let Some(first) = records
            .iter()
            .map(|&(_, i)| i)
            .min_by_key(|&i| report_order(i))
        else {
            continue;
        };
        again.extend(
            (records.iter())
                .filter(|&&(_, i)| i != first)
                .map(|&(_, i)| (i, first)),
        );
    }
    again.sort_unstable_by_key(|&(i, _)| report_order(i));
    let id_pointer = Pointer::root().key("id");
    let span_of = |source: &SourceFile, place: Place| {
        locate_in_file(source, place, &id_pointer).map_or(Span::new(0, 0), |l| l.span)
    };
    // Each first use read again once, however many records use its id again (an export that
    // gives every record one id has as many findings as records, all showing the same first).
    // The first use's id and line are kept, not its text: the findings read it again when shown.
    let mut firsts: HashMap<u32, Option<(Span, usize)>> = HashMap::new();
    for (here, first) in again {
        let ((id, seen), earlier) = (index.id_seen(here), index.seen(first));
        // The two records' texts are read again: only a duplicate needs them.
        let there = *firsts.entry(first).or_insert_with(|| {
            let Some(source) = index.gathered.fetch(&earlier.at) else {
                // Its file changed: said once, of that file. Each later use is still a
                // finding (the ids were read as audited), placed at the first's line.
                outcome
                    .bad_inputs
                    .push(changed(index.gathered, &earlier.at));
                return None;
            };
            let span = span_of(&source, earlier.spot.place(&source.text));
            Some((span, source.line_column(span.start).0))
        });
        let Some((value, here_source, place)) = read_again(index.gathered, &seen.at, seen.spot)
        else {
            outcome.bad_inputs.push(changed(index.gathered, &seen.at));
            continue;
        };
        let first_line = there.map_or(earlier.at.start().line, |(_, line)| line);
        let here = span_of(&here_source, place);
        let (line, column) = here_source.line_column(here.start);
        let message = format!(
            "id `{}` is used again (first at {}:{first_line})",
            id,
            index.gathered.source_name(&earlier.at)
        );
        outcome.findings.push(Box::new(Finding {
            rule: rule.id.clone(),
            article: None,
            severity: rule.severity,
            waived: false,
            message,
            record: Some(id.to_string()),
            file: Some(here_source.name.clone()),
            line: Some(line),
            column: Some(column),
            pointer: Some("/id".into()),
            period: None,
            group: None,
            counted: Vec::new(),
            fingerprint: Box::default(),
            new: None,
            require: None,
            place: Some(Site {
                text: SiteText::Again(index.gathered.refetch(&seen.at)),
                labels: vec![Label::primary(here, "used again here")],
                elsewhere: (there.into_iter())
                    .map(|(span, _)| Elsewhere {
                        note: format!("first use of `{id}`"),
                        text: SiteText::Again(index.gathered.refetch(&earlier.at)),
                        span,
                        label: "first used here".into(),
                    })
                    .collect(),
                date: eval::earliest_event(policy, &value, &Decoded::default()),
            }),
            runs: None,
        }));
    }
}

/// Where a record sits in its file, in the file's order.
/// set.2: every reference names a record of the set, of the declared type.
fn references(policy: &Policy, gathered: &Gathered, world: &World, outcome: &mut Found) {
    let Some(rule) = policy.builtin(BuiltinRule::References) else {
        return;
    };
    for reference in &gathered.references {
        let Some(field) = (reference.spot.shape())
            .and_then(|shape| policy.shapes.get(shape))
            .and_then(|s| s.fields.get(reference.field as usize))
        else {
            continue;
        };
        let Ty::Ref(target) = field.ty else { continue };
        let id = &*reference.target;
        let target_name = policy
            .shapes
            .get(target)
            .map_or("record", |s| s.name.as_str());
        let found = match (world.record(id), world.refused(id)) {
            (Some((found, _)), _) => Some(*found),
            (None, Some(Some(found))) => Some(found),
            // A refused record of no known type resolves the reference: its type is at fault.
            (None, Some(None)) => continue,
            (None, None) => None,
        };
        let message = match found {
            Some(found) if found == target => continue,
            Some(found) => {
                let found = policy
                    .shapes
                    .get(found)
                    .map_or("record", |s| s.name.as_str());
                format!(
                    "`{}` names `{id}`, which is {}, not {}",
                    field.name,
                    crate::wording::with_article(found),
                    crate::wording::with_article(target_name)
                )
            }
            None => format!(
                "`{}` names `{id}`, which is not a record of this set",
                field.name
            ),
        };
        // Only a broken reference needs its record's text: read again here.
        let Some((value, source, place)) = read_again(gathered, &reference.at, reference.spot)
        else {
            outcome.bad_inputs.push(changed(gathered, &reference.at));
            continue;
        };
        let raw = eval::RawFinding {
            require: None,
            severity: rule.severity,
            message,
            blame: vec![eval::Blame::primary(
                value
                    .get(&field.name)
                    .map_or(eval::value::Origin::None, eval::value::Origin::Node),
                format!("should name {}", crate::wording::with_article(target_name)),
            )],
        };
        let again = gathered.refetch(&reference.at);
        let date = eval::earliest_event(policy, &value, &Decoded::default());
        let at = eval::RecordPlaces::new(&value, place, &source, Some(&again), date);
        outcome.findings.push(eval::locate(rule, raw, &at));
    }
}
