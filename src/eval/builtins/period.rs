//! The period under audit.

use crate::check::ir::Builtin;
use crate::eval::expr::Env;
use crate::eval::value::{Origin, Val};
use crate::eval::EvalError;

pub fn call<'a>(
    env: &Env<'a>,
    builtin: Builtin,
    origin: Origin<'a>,
) -> Result<Val<'a>, EvalError<'a>> {
    let Some(period) = env.world.period else {
        return Err(EvalError {
            message: "the period under audit is not known".into(),
            origin,
        });
    };
    Ok(Val::Date(if builtin == Builtin::PeriodStart {
        period.from
    } else {
        period.to
    }))
}
