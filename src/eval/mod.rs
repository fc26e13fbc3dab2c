//! Stage 4: evaluation. A compiled rule × a record → findings, each with the JSON nodes to blame.
//!
//! Values carry the node they were read from ([`value::Origin`]), so when a requirement fails the
//! node that made it fail is known without a second pass; its line and column are found later,
//! only for findings ([`locate()`], which makes the typed [`crate::finding::Finding`]).
//!
//! A run of records as the reader gives them (`record.rs`, its entry point [`judge_items`]): each
//! validated,
//! judged against the rules that need nothing but the record, and its set facts made.
//!
//! Then the record set ([`set`]): once every record is read, the rules about the set are judged
//! from the compact facts gathered as the records were read.

pub mod builtins;
pub(crate) mod chain;
mod expr;
mod judge;
mod locate;
mod quick;
mod record;
pub mod set;
pub mod value;
mod who;

use std::collections::HashMap;

use crate::json::Json;

pub use expr::{eval, Env};
pub use judge::{
    counters, in_scope, judge_in_scope, judge_record, period_key, render as render_template, scope,
    Blame, RawFinding, ScopeConditions,
};
pub use locate::{locate, record_id, unjudgeable, RecordPlaces};
pub use record::{judge_items, FileResult};
pub use set::facts::earliest_event;

use crate::check::{Period, ShapeId};

/// What rules may know beyond the record itself: the period under audit and the records that
/// references point at, borrowed from the set's facts. It notes when a rule asks for any of it:
/// a rule that may read the set, judged as its record is read (with no set yet), is judged for
/// good when it did not ask, and again once the set is read when it did.
#[derive(Debug, Default)]
pub struct World<'r> {
    period: Option<Period>,
    records: Records<'r>,
    /// Ids of records refused as bad input (set.3), with their type when it is a known one: they
    /// resolve references, but nothing can be read through a reference to them.
    refused: Option<&'r HashMap<&'r str, Option<ShapeId>>>,
    asked: std::sync::atomic::AtomicBool,
    /// When the record-set stage keeps judgements for a later run: the ids a rule looked up.
    looked_up: Option<&'r std::sync::Mutex<Vec<Box<str>>>>,
}

impl<'r> World<'r> {
    pub fn new(
        period: Option<Period>,
        records: Records<'r>,
        refused: &'r HashMap<&'r str, Option<ShapeId>>,
    ) -> World<'r> {
        World {
            period,
            records,
            refused: Some(refused),
            ..World::default()
        }
    }

    /// The same world, noting in `looked_up` every id a rule looks up in it: what a judgement
    /// kept for later depends on.
    pub fn noting<'w>(&'w self, looked_up: &'w std::sync::Mutex<Vec<Box<str>>>) -> World<'w> {
        World {
            period: self.period,
            records: self.records,
            refused: self.refused,
            asked: Default::default(),
            looked_up: Some(looked_up),
        }
    }

    /// The period under audit.
    pub fn period(&self) -> Option<Period> {
        self.ask();
        self.period
    }

    /// The record of this id in the set (the first one, when several share it), its type and
    /// fields.
    pub fn record(&self, id: &str) -> Option<&'r (ShapeId, &'r Json)> {
        self.ask();
        self.note(id);
        self.records.get(id)
    }

    /// Whether a record of this id was refused as bad input, with its type when it is a known
    /// one.
    pub fn refused(&self, id: &str) -> Option<Option<ShapeId>> {
        self.ask();
        self.note(id);
        self.refused?.get(id).copied()
    }

    /// Whether a rule asked for the period or the set since the last call.
    pub fn take_asked(&self) -> bool {
        self.asked.swap(false, std::sync::atomic::Ordering::Relaxed)
    }

    fn ask(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        // Read first: the set stage's threads share one world, and seldom need to write.
        if !self.asked.load(Relaxed) {
            self.asked.store(true, Relaxed);
        }
    }

    fn note(&self, id: &str) {
        if let Some(looked_up) = self.looked_up {
            let mut ids = looked_up.lock().unwrap_or_else(|e| e.into_inner());
            if !ids.iter().any(|seen| **seen == *id) {
                ids.push(id.into());
            }
        }
    }
}

/// The records of a set by id, each with its type and what rules read through a reference to it:
/// kept by the record-set stage ([`set`]), which knows how its facts are stored (an index into
/// them, not a table of strings, for a set of a million records).
#[derive(Clone, Copy, Default)]
pub struct Records<'r> {
    by_id: Option<&'r (dyn ById + 'r)>,
}

/// What [`Records`] asks of the set's facts.
pub trait ById: Sync {
    /// The record of this id (the first one, when several share it), its type and fields.
    fn get(&self, id: &str) -> Option<&(ShapeId, &Json)>;
}

impl<'r> Records<'r> {
    pub fn new(by_id: &'r (dyn ById + 'r)) -> Records<'r> {
        Records { by_id: Some(by_id) }
    }

    /// The record of this id, its type and fields.
    pub fn get(self, id: &str) -> Option<&'r (ShapeId, &'r Json)> {
        self.by_id?.get(id)
    }

    pub fn contains_key(self, id: &str) -> bool {
        self.get(id).is_some()
    }
}

impl std::fmt::Debug for Records<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Records")
    }
}

/// A record that cannot be judged (a date outside the working-day calendar, say).
#[derive(Debug, Clone)]
pub struct EvalError<'a> {
    pub message: String,
    pub origin: value::Origin<'a>,
}
