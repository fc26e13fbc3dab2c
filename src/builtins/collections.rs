//! Functions over lists.

use crate::json::Json;

use super::{At, Builtin, Out, Param, Problem, TypeEnv};
use crate::time::{DateTime, Decoded, RecordStore, Temporal};
use crate::types::Ty;

/// The family's entries.
pub static ALL: &[&Builtin] = &[&COUNT, &ORDERED, &SUM];

static COUNT: Builtin = Builtin {
    name: "count",
    summary: "how many elements a list has (an absent list has none)",
    example: "count(minutes.matters) > 0",
    params: &[Param::List],
    result: Ty::Int,
    typing: None,
    argument_help: None,
    needs_context: false,
    eval: |args, _| {
        Ok(match args.first() {
            None => Out::Int(0),
            Some(list) if list.is_null() => Out::Int(0),
            Some(list) => list.list_len().map_or(Out::Null, |n| {
                Out::Int(i64::try_from(n).unwrap_or(i64::MAX))
            }),
        })
    },
};

/// `sum(amounts)`: the total of a list of numbers, as `sum(x in amounts: x)` gives it.
static SUM: Builtin = Builtin {
    name: "sum",
    summary: "the total of a list of numbers (an absent list adds up to 0; a missing element makes it missing)",
    example: "sum(quotes) <= budget",
    params: &[Param::List],
    result: Ty::Number,
    typing: Some(sum_type),
    argument_help: Some("give it a list of `int` or `number`, or add up a field: `sum(p in purchases: p.amount)`"),
    needs_context: false,
    eval: |args, _| {
        let Some(items) = args.first().and_then(|a| a.items()) else {
            return Ok(Out::Int(0));
        };
        let mut int = Some(0i64);
        let mut total = 0f64;
        for item in items {
            let Some(n) = item.as_f64() else {
                return Ok(Out::Null);
            };
            int = int.zip(item.as_i64()).and_then(|(a, b)| a.checked_add(b));
            total += n;
        }
        match int {
            Some(n) => Ok(Out::Int(n)),
            None if total.is_finite() => Ok(Out::Number(total)),
            None => Err("the sum is too large to compute".into()),
        }
    },
};

/// `sum` adds a list of `int` (an `int`) or of `number` (a `number`), nothing else.
fn sum_type(args: &[Ty], env: &dyn TypeEnv, problems: &mut Vec<Problem>) -> Option<Ty> {
    match args.first()? {
        Ty::Array(element) => match **element {
            Ty::Int => Some(Ty::Int),
            Ty::Number | Ty::Unknown => Some(Ty::Number),
            _ => {
                let found = env.type_name(&args[0]);
                problems.push(Problem {
                    at: At::Argument(0),
                    code: "policy::type",
                    message: format!("`sum` adds numbers, found a `{found}`"),
                    label: "not a list of numbers",
                    help: Some(
                        "add up a field of each element: `sum(p in purchases: p.amount)`".into(),
                    ),
                });
                None
            }
        },
        _ => None,
    }
}

/// `ordered(steps)`: the list in chain order — by `at` (or the field the step type declares with
/// `as step(at: …)`), equal times in array order, undated last — so `first(…)` and `last(…)` over
/// it mean earliest and latest as `rules.md` reads them.
static ORDERED: Builtin = Builtin {
    name: "ordered",
    summary: "a list of steps in chain order: by `at`, equal times in array order, undated last",
    example: "ordered(steps)",
    params: &[Param::List],
    result: Ty::Unknown,
    typing: Some(ordered_type),
    argument_help: None,
    needs_context: false,
    eval: |args, cx| {
        Ok(args.first().map_or(Out::Null, |list| {
            list.items().map_or(Out::Null, |items| {
                let decoded = cx.decoded();
                Out::Items(in_chain_order_by(
                    items.into_iter(),
                    list.time_field(),
                    decoded,
                ))
            })
        }))
    },
};

/// `ordered` gives its list back, sorted by its steps' time field (`at` unless their type declares
/// another): so the list's elements must have a date or datetime there.
fn ordered_type(args: &[Ty], env: &dyn TypeEnv, problems: &mut Vec<Problem>) -> Option<Ty> {
    let list = args.first()?;
    if let Ty::Array(element) = list {
        let (dated, field) = match &**element {
            Ty::Shape(s) => {
                let field = env.time_field(*s);
                let dated = env
                    .field_type(*s, field)
                    .is_some_and(|at| matches!(at, Ty::Date | Ty::DateTime));
                (dated, field.to_string())
            }
            Ty::Unknown => (true, "at".to_string()),
            _ => (false, "at".to_string()),
        };
        if !dated {
            let found = env.type_name(list);
            problems.push(Problem {
                at: At::Argument(0),
                code: "policy::type",
                message: format!(
                    "`ordered` sorts by `{field}`, and a `{found}` has no date or datetime `{field}`"
                ),
                label: "nothing to order by",
                help: Some("give it a list of steps, such as `ordered(steps)`".into()),
            });
        }
    }
    Some(list.clone())
}

/// When a step was taken, if its field `at` (`at` unless its type declares another) says. A
/// step dated by day (a `date` field) is taken at the start of that day, so that steps of one
/// chain, all dated alike, are ordered by day, and steps of one day keep their array order.
/// Read from the record's store, `decoded`, so each step's time is decoded once per record.
pub fn taken_at<'a>(step: &'a Json, at: &str, decoded: &dyn RecordStore<'a>) -> Option<DateTime> {
    match decoded.temporal(step.get(at)?) {
        Temporal::DateTime(taken) => Some(taken),
        Temporal::Date(day) => {
            let timestamp = day.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
            Some(DateTime {
                timestamp,
                offset: jiff::tz::Offset::UTC,
            })
        }
        Temporal::Neither => None,
    }
}

/// Chain order, for a stable sort: by `at`, so equal times keep their array order; undated last.
pub fn order_key(at: Option<DateTime>) -> (bool, Option<jiff::Timestamp>) {
    (at.is_none(), at.map(|a| a.timestamp))
}

/// A list of steps in chain order, each dated by its field `at`.
pub fn in_chain_order<'a>(steps: impl Iterator<Item = &'a Json>) -> Vec<&'a Json> {
    in_chain_order_by(steps, "at", &Decoded::default())
}

/// A list of steps in chain order, each dated by its field `at_field`, read from `decoded`.
pub fn in_chain_order_by<'a>(
    steps: impl Iterator<Item = &'a Json>,
    at_field: &str,
    decoded: &dyn RecordStore<'a>,
) -> Vec<&'a Json> {
    let mut keyed: Vec<_> = steps
        .map(|s| (order_key(taken_at(s, at_field, decoded)), s))
        .collect();
    keyed.sort_by_key(|(key, _)| *key);
    keyed.into_iter().map(|(_, s)| s).collect()
}
