//! The facts the rules about the record set need, gathered as each record is read: compact
//! and packed (ids, references, what periodic rules count, where to read a record again), not
//! records, so a set of a million records fits. Made as each record is judged
//! ([`crate::eval::judge_items`]; a record's id, references and event dates are noted here), a
//! batch of records at a time, and consumed by the record-set stage ([`super::judge`]).

use std::sync::Arc;

use crate::json::Json;
use jiff::civil::Date;

use super::chunked::{Chunked, Texted};
use crate::check::{FieldDef, Policy, ShapeId, Ty};
use crate::eval::record_id;
use crate::finding::EventDate;
use crate::records::{self, Fragment, Place, Refetch};
use crate::source::SourceFile;
use crate::time::Decoded;

/// What the waiver stage keeps of a record that carries waivers: not the record, but its id
/// and its waivers (an object of those two fields, so each has the pointer it has in the
/// record), and where it was seen, to read its text again for a finding about a waiver.
#[derive(Clone)]
pub struct Kept {
    pub value: Json,
    pub seen: Seen,
}

impl Kept {
    /// Its type: a record with waivers is a valid one.
    pub fn shape(&self) -> ShapeId {
        (self.seen.spot.shape()).expect("a record kept for its waivers has a type")
    }
}

/// A record one rule or more can judge only once the whole set is read (it reads through a
/// reference, or the period): twelve bytes, since where to read it again is its [`Seen`].
#[derive(Clone, Copy)]
pub struct Deferred {
    pub seen: SeenAt,
    /// The rules (by index) whose scope, evaluated when the record was read, holds it, as a
    /// list in [`SetFacts::scopes`]; a rule whose scope needs the set is not there, its scope
    /// evaluated once the set is read.
    pub in_scope: u32,
}

/// Where a record's [`Seen`] is kept: with its id, or (a record of a type without ids) alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeenAt {
    /// By index in [`SetFacts::ids`].
    Id(u32),
    /// By index in [`SetFacts::unnamed`].
    Unnamed(u32),
}

/// Lists of rules, each kept once: the records of a set fall in scope of a few combinations of
/// rules, so a record names its combination by number.
#[derive(Clone, Default)]
pub struct ScopeLists {
    lists: Vec<Box<[u16]>>,
    numbers: foldhash::HashMap<Box<[u16]>, u32>,
}

impl ScopeLists {
    /// The number of `list`, added when new.
    pub fn number(&mut self, list: &[u16]) -> u32 {
        if let Some(&number) = self.numbers.get(list) {
            return number;
        }
        let number = u32::try_from(self.lists.len()).expect("fewer lists of rules");
        self.lists.push(list.into());
        self.numbers.insert(list.into(), number);
        number
    }

    /// The list numbered `number`.
    pub fn get(&self, number: u32) -> &[u16] {
        self.lists.get(number as usize).map_or(&[], |list| list)
    }
}

/// Where a record was seen: every record's compact trace in the set, kept with its id (in
/// [`SetFacts::ids`]; a record without an id only when it is read again, in
/// [`SetFacts::unnamed`]). What a reference to it may read is not kept: the few records
/// references name are read again once the set is known.
// Copied, not cloned one by one: the language server copies a document's 63,000 on each edit.
#[derive(Clone, Copy)]
pub struct Seen {
    /// Where to read it again (its source in [`SetFacts::origins`]).
    pub at: Fragment,
    /// Its place, and its type for a valid record (a refused one is in [`SetFacts::refused`]).
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

/// A record's [`Place`] and type, packed in 8 bytes (a `Place` and an `Option<ShapeId>` take
/// 40): kept for every record of a set. Where the record starts in its text (after a byte-order
/// mark or indentation) is not kept: it is found again in the text, read again. A line or an
/// element index past `u32::MAX` (a file of more than 8 GiB) is kept as `u32::MAX`, as
/// [`Refetch`] keeps lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spot {
    /// The line (of JSON Lines) or the element index (of an array).
    index: u32,
    /// The kind of place in the top two bits, the type in the others ([`Spot::NO_SHAPE`] for
    /// none): a policy declares far fewer than 2^30 types.
    kind_shape: u32,
}

impl Spot {
    const SHAPE_BITS: u32 = 30;
    const NO_SHAPE: u32 = (1 << Self::SHAPE_BITS) - 1;
    const WHOLE: u32 = 0;
    const ELEMENT: u32 = 1;
    const LINE: u32 = 2;

    pub fn new(place: Place, shape: Option<ShapeId>) -> Spot {
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let (kind, index) = match place {
            Place::Whole => (Self::WHOLE, 0),
            Place::Element { index, .. } => (Self::ELEMENT, index),
            Place::Line { line, .. } => (Self::LINE, line),
        };
        let shape = shape.map_or(Self::NO_SHAPE, |s| small(s).min(Self::NO_SHAPE - 1));
        Spot {
            index: small(index),
            kind_shape: kind << Self::SHAPE_BITS | shape,
        }
    }

    /// The record's place, given its `text` as read (again): it starts after a byte-order mark
    /// (the first line of a file) or after the indentation the text starts with (an element).
    pub fn place(self, text: &str) -> Place {
        let index = self.index as usize;
        match self.kind_shape >> Self::SHAPE_BITS {
            Self::ELEMENT => Place::Element {
                index,
                offset: text.len() - text.trim_start_matches([' ', '\t']).len(),
            },
            Self::LINE => Place::Line {
                line: index,
                offset: if text.starts_with('\u{feff}') { 3 } else { 0 },
            },
            _ => Place::Whole,
        }
    }

    /// Moves a line's place `by` lines down its file; an element's or a file's stays.
    pub fn shift_lines(&mut self, by: isize) {
        let is_line = self.kind_shape >> Self::SHAPE_BITS == Self::LINE;
        if is_line && self.index != u32::MAX {
            let line = crate::source::shift_line(self.index as usize, by);
            self.index = u32::try_from(line).unwrap_or(u32::MAX);
        }
    }

    /// The line or element index; 0 for a whole file.
    pub fn position(self) -> usize {
        self.index as usize
    }

    pub fn shape(self) -> Option<ShapeId> {
        let shape = self.kind_shape & Self::NO_SHAPE;
        (shape != Self::NO_SHAPE).then_some(shape as ShapeId)
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
    /// Where the records without an id were seen, when a rule reads them again.
    pub unnamed: Chunked<Seen>,
    /// The lists of rules [`Deferred::in_scope`] names.
    pub scopes: ScopeLists,
    pub refused: Vec<Refused>,
    pub first_event: Option<EventDate>,
    pub last_event: Option<EventDate>,
    /// The sources the facts were read from: a fact's [`Fragment::source`] is its index here
    /// (four bytes in a fact's padding, not an `Arc` of eight and its count).
    pub origins: Vec<Arc<records::Origin>>,
}

impl SetFacts {
    /// Moves every place the facts keep `by` lines down their file, as
    /// [`crate::finding::Finding::shift_lines`] does.
    pub fn shift_lines(&mut self, by: isize) {
        let seen = |s: &mut Seen| {
            s.at.shift_lines(by);
            s.spot.shift_lines(by);
        };
        self.ids.for_each_mut(seen);
        self.unnamed.for_each_mut(seen);
        self.kept.iter_mut().for_each(|k| seen(&mut k.seen));
        self.references.for_each_mut(|r| {
            r.at.shift_lines(by);
            r.spot.shift_lines(by);
        });
        let events = [&mut self.first_event, &mut self.last_event];
        events.into_iter().flatten().for_each(|e| e.shift_lines(by));
    }

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
            later.unnamed.for_each_mut(|s| source(&mut s.at));
            later.kept.iter_mut().for_each(|k| source(&mut k.seen.at));
        }
        // The later facts' indexes, now after these.
        // (A set of more records than a `u32` counts is refused before they are read again.)
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let (ids, unnamed) = (small(self.ids.len()), small(self.unnamed.len()));
        // (Renumbered one by one, without a table of numbers: a run of records has few lists.)
        let scopes = &mut self.scopes;
        later.deferred.for_each_mut(|d| {
            d.seen = match d.seen {
                SeenAt::Id(i) => SeenAt::Id(ids.saturating_add(i)),
                SeenAt::Unnamed(i) => SeenAt::Unnamed(unnamed.saturating_add(i)),
            };
            d.in_scope = scopes.number(later.scopes.get(d.in_scope));
        });
        self.ids.absorb(later.ids);
        self.references.absorb(later.references);
        self.counted.absorb(later.counted);
        self.kept.extend(later.kept);
        self.deferred.absorb(later.deferred);
        self.unnamed.absorb(later.unnamed);
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
    pub fn at(&mut self, refetch: &Refetch) -> Fragment {
        let mut at = refetch.at;
        at.source = self.source(&refetch.origin);
        at
    }

    /// How to read a fact's record's text again, as a finding that shows it holds it.
    pub fn refetch(&self, at: &Fragment) -> Refetch {
        let origin = self.origins.get(at.source as usize);
        Refetch {
            origin: origin.expect("a fact's source is kept").clone(),
            at: *at,
        }
    }

    /// A fact's record's text read again; `None` if its source can no longer be read.
    pub fn fetch(&self, at: &Fragment) -> Option<Arc<SourceFile>> {
        at.fetch(self.origins.get(at.source as usize)?)
    }

    /// The name of a fact's source.
    pub fn source_name(&self, at: &Fragment) -> &str {
        (self.origins.get(at.source as usize)).map_or("", |o| &o.name)
    }

    /// The name of a fact's source, shared.
    pub fn shared_source_name(&self, at: &Fragment) -> Option<Arc<str>> {
        (self.origins.get(at.source as usize)).map(|o| o.name.clone())
    }

    /// Seals the facts of the records read since the last seal into chunks of their own size.
    pub fn seal(&mut self) {
        self.ids.seal();
        self.references.seal();
        self.counted.seal();
        self.deferred.seal();
        self.unnamed.seal();
    }

    /// Where a record was seen.
    pub fn seen(&self, at: SeenAt) -> Option<&Seen> {
        match at {
            SeenAt::Id(i) => self.ids.get(i as usize).map(|(_, seen)| seen),
            SeenAt::Unnamed(i) => self.unnamed.get(i as usize),
        }
    }

    /// From the earliest to the latest event date of the set.
    pub fn inferred_period(&self) -> Option<crate::check::Period> {
        Some(crate::check::Period {
            from: self.first_event.as_ref()?.date,
            to: self.last_event.as_ref()?.date,
        })
    }
}

/// What a rule may read through a reference to a record: its `id` and `type`, and the fields
/// rules read through a reference to its type. Memory then grows with the ids in a set, not with
/// its records' size.
pub fn reference_fields(policy: &Policy, shape: ShapeId, record: &Json) -> Json {
    let wanted = read_through_reference(policy, shape);
    let members = (record.as_object().into_iter())
        .flat_map(|object| object.iter())
        .filter(|(name, _)| wanted(name))
        .map(|(name, value)| (name.into(), value.clone()))
        .collect();
    Json::Object(crate::json::Object::from_members(members))
}

/// Whether a field of a record of type `shape` is among its [`reference_fields`].
pub fn read_through_reference(policy: &Policy, shape: ShapeId) -> impl Fn(&str) -> bool + '_ {
    let read = policy.read_through_references.get(&shape);
    move |name: &str| {
        name == "id" || name == "type" || read.is_some_and(|fields| fields.contains(name))
    }
}

/// Every record's id, where it is, and its type; where its [`Seen`] is kept (a record without
/// an id is kept apart only when `needed`: a rule reads it again).
pub(in crate::eval) fn note_id(
    record: &records::Record,
    shape: Option<ShapeId>,
    needed: bool,
    facts: &mut SetFacts,
) -> Option<SeenAt> {
    let seen = |facts: &mut SetFacts| Seen {
        at: facts.at(&record.refetch),
        spot: Spot::new(record.place, shape),
    };
    let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    match record.value.get("id").and_then(Json::as_str) {
        Some(id) => {
            let seen = seen(facts);
            facts.ids.push(id, seen);
            Some(SeenAt::Id(small(facts.ids.len() - 1)))
        }
        None if needed => {
            let seen = seen(facts);
            facts.unnamed.push(seen);
            Some(SeenAt::Unnamed(small(facts.unnamed.len() - 1)))
        }
        None => None,
    }
}

/// The references a record makes, for set.2 and for the rules that read through them.
pub(in crate::eval) fn note_references(
    policy: &Policy,
    shape: ShapeId,
    record: &records::Record,
    facts: &mut SetFacts,
) {
    let Some(declared) = policy.shapes.get(shape) else {
        return;
    };
    for (index, field) in declared.fields.iter().enumerate() {
        if !matches!(field.ty, Ty::Ref(_)) {
            continue;
        }
        if let Some(target) = record.value.get(&field.name).and_then(Json::as_str) {
            let at = facts.at(&record.refetch);
            facts.references.push(Reference {
                target: target.into(),
                at,
                spot: Spot::new(record.place, Some(shape)),
                field: u32::try_from(index).expect("a type has fewer fields"),
            });
        }
    }
}

/// The earliest of a record's event dates (a meeting's `start`, a document's `issued`), decoded
/// through the record's store as the audit decodes them; `None` for a record of no known type
/// or with no readable event date.
pub fn earliest_event<'r>(
    policy: &Policy,
    record: &'r Json,
    decoded: &Decoded<'r>,
) -> Option<jiff::civil::Date> {
    let kind = record.get("type").and_then(Json::as_str)?;
    let shape = *policy.records.get(kind)?;
    policy
        .event_fields(shape)
        .filter_map(|field| event_date(field, record, decoded))
        .min()
}

/// The date of one event field of a record, decoded through its store.
fn event_date<'r>(
    field: &FieldDef,
    record: &'r Json,
    decoded: &Decoded<'r>,
) -> Option<jiff::civil::Date> {
    match (record.get(&field.name)?, &field.ty) {
        (node, Ty::Date) => decoded.date(node),
        (node, _) => decoded.datetime(node).map(|d| d.date()),
    }
}

/// Widens the file's earliest and latest event dates with this record's, from the fields that
/// are `usable` (of a refused record: those not at fault); returns the record's earliest.
pub(in crate::eval) fn note_event_dates<'r>(
    policy: &Policy,
    shape: ShapeId,
    (value, place, source): (&'r Json, Place, &Arc<SourceFile>),
    (usable, decoded): (&dyn Fn(&str) -> bool, &Decoded<'r>),
    facts: &mut SetFacts,
) -> Option<jiff::civil::Date> {
    let mut earliest = None;
    for field in policy.event_fields(shape).filter(|f| usable(&f.name)) {
        if let Some(date) = event_date(field, value, decoded) {
            earliest = Some(earliest.map_or(date, |e: jiff::civil::Date| e.min(date)));
            // Kept only when it widens the span (on a tie, the one seen first stays): most
            // records' dates fall inside it, and a kept date holds the record's id and file.
            let first = (facts.first_event.as_ref()).is_none_or(|e| date < e.date);
            let last = (facts.last_event.as_ref()).is_none_or(|e| date > e.date);
            if !(first || last) {
                continue;
            }
            let seen = EventDate {
                date,
                record: record_id(value),
                field: field.name.clone(),
                source: source.clone(),
                place,
            };
            match (first, last) {
                (true, true) => {
                    (facts.first_event, facts.last_event) = (Some(seen.clone()), Some(seen))
                }
                (true, false) => facts.first_event = Some(seen),
                _ => facts.last_event = Some(seen),
            }
        }
    }
    earliest
}

/// Whether a field of some type refers to records of this one.
pub(in crate::eval) fn is_ref_target(policy: &Policy, shape: ShapeId) -> bool {
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
        assert_eq!(size_of::<Spot>(), 8);
        assert_eq!(size_of::<Seen>(), 40);
        assert_eq!(size_of::<Reference>(), 64);
        assert_eq!(size_of::<Counted>(), 56);
        assert_eq!(size_of::<Deferred>(), 12);
    }

    /// A record read again for the fields a reference may read gives what reading it whole and
    /// keeping those fields gives: on every record of the fixtures, its keys in another order,
    /// and a key it gives twice.
    #[test]
    fn the_fields_read_again_are_those_of_the_whole_record() {
        let files = crate::policy_files::default_policy();
        let policy = crate::check::load(&files, &[]).expect("the bundled policy loads");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut texts = Vec::new();
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            let entry = entry.expect("the fixtures can be walked");
            if entry.path().extension().is_some_and(|e| e == "jsonl") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                texts.extend(text.lines().map(str::to_string));
            }
        }
        let mut compared = 0;
        for text in &texts {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
                continue;
            };
            let Some(object) = value.as_object() else {
                continue;
            };
            let reversed: serde_json::Map<_, _> = object
                .iter()
                .rev()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut given_twice = serde_json::to_string(&object).expect("JSON");
            given_twice.insert_str(given_twice.len() - 1, r#","id":"again","kind":"plenary""#);
            for text in [
                text.clone(),
                serde_json::to_string(&reversed).unwrap(),
                given_twice,
            ] {
                for shape in 0..policy.shapes.len() {
                    let whole = crate::records::read_value(&text).expect("JSON").0;
                    let wanted = read_through_reference(&policy, shape);
                    let again = crate::records::read_members_again(&text, &wanted);
                    assert_eq!(
                        again,
                        Some(reference_fields(&policy, shape, &whole)),
                        "{text}"
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 1_000, "{compared}");
        // What is not an object, or not JSON, does not read as one.
        let wanted = read_through_reference(&policy, 0);
        for text in ["[]", "7", "{\"id\": ", "{\"id\": \"x\"} {}"] {
            assert_eq!(
                crate::records::read_members_again(text, &wanted),
                None,
                "{text}"
            );
        }
    }

    #[test]
    fn a_spot_gives_back_its_place_and_type() {
        // A record's text as read, and its place: after a byte-order mark, after indentation.
        for (text, place) in [
            ("{}", Place::Whole),
            (
                "  \t{\"id\": \" x\"}",
                Place::Element {
                    index: 7,
                    offset: 3,
                },
            ),
            (
                "{\"id\": \"x\"}",
                Place::Element {
                    index: 0,
                    offset: 0,
                },
            ),
            ("\u{feff}{}", Place::Line { line: 0, offset: 3 }),
            ("{\"a\": \"\u{feff}\"}", Place::Line { line: 9, offset: 0 }),
        ] {
            for shape in [None, Some(0), Some(4), Some((1 << 30) - 2)] {
                let spot = Spot::new(place, shape);
                assert_eq!((spot.place(text), spot.shape()), (place, shape));
            }
        }
    }
}
