//! Working days between two dates, from the policy's calendar.

use super::date_of;
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
