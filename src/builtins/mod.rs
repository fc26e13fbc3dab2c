//! The builtin functions of the policy language: one registry entry per function, read by both
//! stages.
//!
//! An entry ([`Builtin`]) holds everything about a function: its name, its signature (the kinds
//! of argument it takes and its result type, plus a typing function for the few that need more,
//! such as `ordered`, whose result is its argument's type), its documentation (one line and an
//! example, for `explain`, the docs and the language server), and its evaluation. `check` looks a
//! call up here for its types and for "did you mean"; the compiled call holds the entry itself,
//! and `eval` runs its [`Builtin::eval`]. So a new builtin is one place: a `static` entry in its
//! family's file, listed in that file's `ALL` (a new family is a file and a line in [`FAMILIES`]).
//!
//! The registry sits below both stages: it imports neither `check` nor `eval`. What an evaluation
//! needs of a value it asks through [`Value`], which the evaluator's values implement, and what it
//! needs of the world (the calendar, the period under audit, a record's type) through
//! [`Context`]; what a typing function needs of the policy it asks through [`TypeEnv`].
//! Families, one file each (as regorus registers its builtins): dates and times ([`time`]),
//! working days, the period under audit, lists, references.

mod collections;
mod period;
mod references;
#[cfg(test)]
pub(crate) mod testing;
pub mod time;
mod working_days;

use crate::json::Json;
use jiff::civil::Date;

use crate::calendar::Calendar;
use crate::time::{DateTime, RecordStore};
use crate::types::{ShapeId, Ty};

pub use collections::{in_chain_order, order_key, taken_at};

/// One builtin function: what `check` needs to type a call and `eval` to run it.
pub struct Builtin {
    /// The name a policy calls it by.
    pub name: &'static str,
    /// What it gives, in one line.
    pub summary: &'static str,
    /// A call as a policy writes it.
    pub example: &'static str,
    /// The kinds of argument it takes, in order; a call with another number of arguments is refused.
    pub params: &'static [Param],
    /// Its result type, unless [`Builtin::typing`] says otherwise.
    pub result: Ty,
    /// Further checks of a call once its arguments are of the right kinds, reporting into the
    /// problems; a type it returns replaces [`Builtin::result`].
    pub typing: Option<TypingFn>,
    /// Advice when an argument is of the wrong type.
    pub argument_help: Option<&'static str>,
    /// Whether its value is known only once every record is read (the period, a reference's
    /// target): a rule calling it is judged after reading.
    pub needs_context: bool,
    /// Its value for the arguments' values.
    pub eval: EvalFn,
}

/// Checks a call beyond its parameters' kinds: the argument types, the policy, the problems found.
pub type TypingFn = fn(&[Ty], &dyn TypeEnv, &mut Vec<Problem>) -> Option<Ty>;

/// Evaluates a call: the arguments' values and the world → the value, or why there is none
/// (a date outside the calendar, say), which makes the record one that cannot be judged.
pub type EvalFn = for<'a> fn(&[&dyn Value<'a>], &dyn Context<'a>) -> Result<Out<'a>, String>;

impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)
    }
}

/// Names are unique in the registry (a test sees to it), so an entry is its name.
impl PartialEq for Builtin {
    fn eq(&self, other: &Builtin) -> bool {
        self.name == other.name
    }
}

impl Eq for Builtin {}

/// The kind of value a parameter accepts; an argument whose type is not known yet always is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// A date or a datetime.
    Temporal,
    /// A datetime (it has an hour).
    DateTime,
    /// A list.
    List,
    /// A reference to a record (a field typed like `-> meeting`).
    Reference,
}

impl Param {
    /// Whether an argument of type `ty` is accepted.
    pub fn accepts(self, ty: &Ty) -> bool {
        matches!(ty, Ty::Unknown)
            || match self {
                Param::Temporal => matches!(ty, Ty::Date | Ty::DateTime),
                Param::DateTime => matches!(ty, Ty::DateTime),
                Param::List => matches!(ty, Ty::Array(_)),
                Param::Reference => matches!(ty, Ty::Ref(_)),
            }
    }
}

/// What a typing function may ask of the policy being checked.
pub trait TypeEnv {
    /// Whether the policy declares a working-day calendar.
    fn has_calendar(&self) -> bool;
    /// The type of field `field` of a record or object type, if it has one.
    fn field_type(&self, shape: ShapeId, field: &str) -> Option<&Ty>;
    /// A type as messages name it (`meeting`, `list of step`).
    fn type_name(&self, ty: &Ty) -> String;
    /// The field that dates a step of this type: the one it declares with `as step(at: …)`,
    /// else `at`.
    fn time_field(&self, shape: ShapeId) -> &str;
}

/// A problem a typing function found in a call, reported by the checker with a label at `at`.
#[derive(Debug, Clone)]
pub struct Problem {
    pub at: At,
    /// The diagnostic's stable code, such as `policy::type`.
    pub code: &'static str,
    pub message: String,
    pub label: &'static str,
    pub help: Option<String>,
}

/// Where in a call a problem is labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The function's name.
    Function,
    /// The argument at this index.
    Argument(usize),
}

/// What an evaluation may ask of an argument's value.
pub trait Value<'a> {
    /// Whether the value is absent.
    fn is_null(&self) -> bool;
    /// The calendar date of a date, or of a datetime in its own offset.
    fn date(&self) -> Option<Date>;
    /// A datetime, with its offset.
    fn datetime(&self) -> Option<DateTime>;
    /// A string or enum value.
    fn text(&self) -> Option<&str>;
    /// How many elements a list has; `None` for a value that is not a list.
    fn list_len(&self) -> Option<usize>;
    /// A list's elements, in order; `None` for a value that is not a list.
    fn items(&self) -> Option<Vec<&'a Json>>;
    /// For a list of steps, the field that dates each one: the one their type declares with
    /// `as step(at: …)`, else `at`.
    fn time_field(&self) -> &str {
        "at"
    }
}

/// What an evaluation may ask of the world beyond its arguments.
pub trait Context<'a> {
    /// The policy's working-day calendar, if it declares one.
    fn calendar(&self) -> Option<&'a Calendar>;
    /// The first and last day of the period under audit, when it is known.
    fn period(&self) -> Option<(Date, Date)>;
    /// The type (`"document"`) of the record with this id, if the record set has one.
    fn record_type(&self, id: &str) -> Option<&'a str>;
    /// The dates and datetimes of the record being judged, each decoded once for all its rules.
    fn decoded(&self) -> &dyn RecordStore<'a>;
}

/// The value of a call, which the evaluator turns into its own.
#[derive(Debug, Clone)]
pub enum Out<'a> {
    Null,
    Int(i64),
    /// A number that may have a fraction.
    Number(f64),
    Date(Date),
    Text(&'a str),
    Owned(String),
    /// A list of the record's objects, such as `ordered(steps)`.
    Items(Vec<&'a Json>),
}

/// The families, each listing its entries.
pub static FAMILIES: &[&[&Builtin]] = &[
    time::ALL,
    working_days::ALL,
    period::ALL,
    collections::ALL,
    references::ALL,
    #[cfg(test)]
    testing::ALL,
];

/// Every builtin, family by family.
pub fn all() -> impl Iterator<Item = &'static Builtin> {
    FAMILIES.iter().flat_map(|family| family.iter().copied())
}

/// The builtin called `name`, if there is one.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    all().find(|b| b.name == name)
}

/// A builtin in a compiled policy (`check::compiled`), by its name: the registry entry it names is
/// this binary's own.
pub mod by_name {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        builtin: &&'static super::Builtin,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(builtin.name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<&'static super::Builtin, D::Error> {
        let name = <&str>::deserialize(d)?;
        super::lookup(name)
            .ok_or_else(|| serde::de::Error::custom(format!("no builtin is called `{name}`")))
    }
}

/// The first two arguments' dates, when both are dates or datetimes.
fn two_dates(args: &[&dyn Value<'_>]) -> Option<(Date, Date)> {
    Some((args.first()?.date()?, args.get(1)?.date()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_documented() {
        let mut names: Vec<&str> = all().map(|b| b.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a name is registered twice");
        for b in all() {
            assert!(!b.summary.is_empty(), "{} has no summary", b.name);
            assert!(
                b.example.starts_with(&format!("{}(", b.name)),
                "{}'s example does not call it",
                b.name
            );
        }
    }
}
