//! What one run of the record-set stage worked out of single records, kept for the next run by a
//! caller that runs the stage again and again on a set that changes little: the language server,
//! on every edit of a document of tens of thousands of records. Two things are kept, by the
//! record's text (its file, length, checksum and first columns — not its place, so a record a few
//! lines further down is still found):
//!
//! - what rules read through a reference to a record (its named fields), which depends on its
//!   text alone;
//! - what a deferred record's rules found, which depends on its text, the period, and the
//!   records it looked up by id: kept with the answers to those lookups, and used again only
//!   while every one is answered the same.
//!
//! A run is given the last run's memo and makes a new one of what it used or found, so records
//! gone from the set are forgotten.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::check::{Period, ShapeId};
use crate::eval::World;
use crate::finding::{BadInput, Finding, SiteText};
use crate::json::Json;
use crate::records::stream::Refetch;

use super::{Found, Gathered, Seen};

/// See the module's documentation. It belongs to one policy: a caller that changes the policy
/// starts again from an empty one.
#[derive(Default)]
pub struct Memo {
    pub(super) named: HashMap<Key, Arc<Json>, foldhash::fast::RandomState>,
    pub(super) deferred: HashMap<Key, Judgement, foldhash::fast::RandomState>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("named", &self.named.len())
            .field("deferred", &self.deferred.len())
            .finish()
    }
}

/// A record's text, wherever it lies in its file, and its type.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    file: Arc<str>,
    text: (u32, u32, u32, u32),
    shape: Option<ShapeId>,
}

impl Key {
    pub(super) fn of(gathered: &Gathered, seen: &Seen) -> Key {
        Key {
            file: (gathered.shared_source_name(&seen.at)).unwrap_or_else(|| Arc::from("")),
            text: seen.at.text_alike(),
            shape: seen.spot.shape(),
        }
    }
}

/// A deferred record's judgement, kept by its text.
pub(super) type Entry = (Key, Judgement);

/// What a deferred record's rules found, and what it depended on besides the record's text:
/// shared by the runs that find the record where it was (most records, most edits).
pub(super) struct Judgement {
    /// The record's text where it was judged: what its findings' texts name.
    at: Refetch,
    period: Option<Period>,
    looked_up: Arc<[LookedUp]>,
    /// Its findings and bad inputs (never a trace: a run that traces keeps no memo).
    findings: Arc<[Box<Finding>]>,
    bad_inputs: Arc<[BadInput]>,
}

/// An id a rule looked up, and what the set answered.
struct LookedUp {
    id: Box<str>,
    record: Option<(ShapeId, Arc<Json>)>,
    refused: Option<Option<ShapeId>>,
}

impl LookedUp {
    fn of(world: &World, id: Box<str>) -> LookedUp {
        LookedUp {
            record: (world.record(&id)).map(|(shape, json)| (*shape, Arc::new((*json).clone()))),
            refused: world.refused(&id),
            id,
        }
    }

    fn answered_alike(&self, world: &World) -> bool {
        let now = world.record(&self.id).map(|(shape, json)| (*shape, *json));
        let then = (self.record.as_ref()).map(|(shape, json)| (*shape, &**json));
        now == then && world.refused(&self.id) == self.refused
    }
}

impl Judgement {
    /// What a record judged at `at` found in `world`, after its rules looked up `looked_up`:
    /// `None` when it cannot be used again for a record elsewhere (a finding shows another
    /// record's text, or the run traced).
    pub(super) fn new(
        at: Refetch,
        world: &World,
        looked_up: Mutex<Vec<Box<str>>>,
        found: &Found,
    ) -> Option<Judgement> {
        let own_text = |text: &SiteText| match text {
            SiteText::Held(_) => true,
            SiteText::Again(again) => {
                Arc::ptr_eq(&again.origin, &at.origin) && again.at.same_place(&at.at)
            }
        };
        let movable = found.findings.iter().all(|f| {
            (f.place.as_ref()).is_none_or(|site| site.elsewhere.is_empty() && own_text(&site.text))
        });
        if !movable || !found.judged.is_empty() {
            return None;
        }
        let looked_up = looked_up.into_inner().unwrap_or_else(|e| e.into_inner());
        Some(Judgement {
            period: world.period(),
            looked_up: (looked_up.into_iter())
                .map(|id| LookedUp::of(world, id))
                .collect(),
            findings: found.findings.iter().cloned().collect(),
            bad_inputs: found.bad_inputs.iter().cloned().collect(),
            at,
        })
    }

    /// What the same record's rules find at `now` (its text alike, a whole number of lines
    /// away), when `world` answers as it did; and the judgement kept at its new place.
    pub(super) fn again(&self, now: &Refetch, world: &World) -> Option<(Found, Judgement)> {
        let alike =
            world.period() == self.period && self.looked_up.iter().all(|l| l.answered_alike(world));
        let (then, line) = (self.at.at.line(), now.at.line());
        if !alike || then == u32::MAX || line == u32::MAX {
            return None;
        }
        let by = line as isize - then as isize;
        let mut found = Found {
            findings: self.findings.to_vec(),
            bad_inputs: self.bad_inputs.to_vec(),
            ..Found::default()
        };
        let same_place =
            Arc::ptr_eq(&self.at.origin, &now.origin) && self.at.at.same_place(&now.at);
        if !same_place {
            for finding in &mut found.findings {
                finding.shift_lines(by);
                if let Some(SiteText::Again(again)) = finding.place.as_mut().map(|s| &mut s.text) {
                    *again = now.clone();
                }
            }
            found.bad_inputs.iter_mut().for_each(|b| b.shift_lines(by));
        }
        let kept = Judgement {
            at: now.clone(),
            period: self.period,
            looked_up: self.looked_up.clone(),
            findings: match same_place {
                true => self.findings.clone(),
                false => found.findings.iter().cloned().collect(),
            },
            bad_inputs: match same_place {
                true => self.bad_inputs.clone(),
                false => found.bad_inputs.iter().cloned().collect(),
            },
        };
        Some((found, kept))
    }
}
