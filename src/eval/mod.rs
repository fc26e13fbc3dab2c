//! Stage 4: evaluation. A compiled rule × a record → findings, each with the JSON nodes to blame.
//!
//! Values carry the node they were read from ([`value::Origin`]), so when a requirement fails the
//! node that made it fail is known without a second pass; its line and column are found later,
//! only for findings.

pub mod builtins;
pub(crate) mod chain;
mod expr;
mod judge;
pub mod value;
mod who;

use std::collections::HashMap;

use serde_json::Value as Json;

pub use expr::{eval, Env};
pub use judge::{
    counters, in_scope, judge_in_scope, judge_record, period_key, render as render_template, scope,
    Blame, RawFinding,
};

use crate::check::{Period, ShapeId};

/// What rules may know beyond the record itself: the period under audit and the records that
/// references point at, borrowed from the records the audit kept.
#[derive(Debug, Default)]
pub struct World<'r> {
    pub period: Option<Period>,
    pub records: HashMap<&'r str, (ShapeId, &'r Json)>,
    /// Ids of records refused as bad input (set.3), with their type when it is a known one: they
    /// resolve references, but nothing can be read through a reference to them.
    pub refused: HashMap<&'r str, Option<ShapeId>>,
}

/// A record that cannot be judged (a date outside the working-day calendar, say).
#[derive(Debug, Clone)]
pub struct EvalError<'a> {
    pub message: String,
    pub origin: value::Origin<'a>,
}
