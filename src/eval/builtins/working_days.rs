//! Working days between two dates, from the policy's calendar.

use super::date_of;
use crate::calendar::DayKind;
use crate::eval::expr::Env;
use crate::eval::value::{Origin, Traced, Val};
use crate::eval::EvalError;

/// Working days after the first date up to and including the second; a date outside the
/// calendar's years is an error, never a guess.
pub fn call<'a>(
    env: &Env<'a>,
    args: &[Traced<'a>],
    origin: Origin<'a>,
) -> Result<Val<'a>, EvalError<'a>> {
    let from = args.first().and_then(|a| date_of(&a.val));
    let to = args.get(1).and_then(|a| date_of(&a.val));
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(Val::Null);
    };
    let Some(calendar) = env.policy.calendar.as_ref() else {
        return Err(EvalError {
            message: "the policy declares no working-day calendar".into(),
            origin,
        });
    };
    calendar
        .working_days_after(from, to)
        .map(Val::Int)
        .map_err(|e| EvalError {
            message: e.to_string(),
            origin,
        })
}

/// "2011-10-01..07 holidays, 2011-10-08/09 workdays": the calendar's special days after the
/// first date up to the second, grouped in runs, so a message shows how a count was reached.
pub fn note<'a>(env: &Env<'a>, args: &[Traced<'a>]) -> Val<'a> {
    let from = args.first().and_then(|a| date_of(&a.val));
    let to = args.get(1).and_then(|a| date_of(&a.val));
    let (Some(from), Some(to), Some(calendar)) = (from, to, env.policy.calendar.as_ref()) else {
        return Val::Null;
    };
    let mut runs: Vec<(DayKind, Vec<jiff::civil::Date>)> = Vec::new();
    for (day, kind) in calendar.special_days_between(from, to) {
        match runs.last_mut() {
            Some((k, days))
                if *k == kind && days.last().and_then(|d| d.tomorrow().ok()) == Some(day) =>
            {
                days.push(day)
            }
            _ => runs.push((kind, vec![day])),
        }
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|(kind, days)| {
            let word = match kind {
                DayKind::Holiday => {
                    if days.len() == 1 {
                        "holiday"
                    } else {
                        "holidays"
                    }
                }
                DayKind::Workday => {
                    if days.len() == 1 {
                        "workday"
                    } else {
                        "workdays"
                    }
                }
            };
            let (first, last) = (days[0], days[days.len() - 1]);
            let span = match days.len() {
                1 => first.to_string(),
                2 => format!("{first}/{:02}", last.day()),
                _ => format!("{first}..{:02}", last.day()),
            };
            format!("{span} {word}")
        })
        .collect();
    if parts.is_empty() {
        Val::Str("no holidays")
    } else {
        Val::Owned(parts.join(", "))
    }
}
