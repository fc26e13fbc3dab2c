//! Builtin functions, registered by family: one file each.

mod collections;
mod period;
mod references;
mod time;
mod working_days;

use super::expr::{eval, Env};
use super::value::{Origin, Traced, Val};
use super::EvalError;
use crate::check::ir::{Builtin, Ir};

pub fn call<'a>(
    env: &mut Env<'a>,
    builtin: Builtin,
    args: &'a [Ir],
) -> Result<Traced<'a>, EvalError<'a>> {
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        values.push(eval(env, arg)?);
    }
    let origin = values
        .iter()
        .map(|v| v.origin)
        .find(|o| !o.is_none())
        .unwrap_or(Origin::None);
    let val = match builtin {
        Builtin::Weekday
        | Builtin::Hour
        | Builtin::DateOf
        | Builtin::Year
        | Builtin::Month
        | Builtin::QuarterStart
        | Builtin::Days => time::call(builtin, &values),
        Builtin::WorkingDays => working_days::call(env, &values, origin)?,
        Builtin::CalendarNote => working_days::note(env, &values),
        Builtin::PeriodStart | Builtin::PeriodEnd => period::call(env, builtin, origin)?,
        Builtin::Count => collections::count(&values),
        Builtin::Ordered => collections::ordered(&values),
        Builtin::TypeOf => references::type_of(env, &values),
    };
    Ok(Traced::new(val, origin))
}

/// The calendar date of a date or datetime value (a datetime in its own offset).
pub fn date_of(v: &Val<'_>) -> Option<jiff::civil::Date> {
    match v {
        Val::Date(d) => Some(*d),
        Val::DateTime(d) => Some(d.date()),
        _ => None,
    }
}
