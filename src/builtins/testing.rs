//! A family that exists only in tests: it shows that a builtin is one entry, which the checker
//! then types and the evaluator runs (see the test in `eval::builtins`).

use super::{Builtin, Out, Param};
use crate::types::Ty;

/// The family's entries.
pub static ALL: &[&Builtin] = &[&MONTH_END];

/// The last day of the month a date or datetime falls in.
pub static MONTH_END: Builtin = Builtin {
    name: "month_end",
    summary: "the last day of the month a date or datetime falls in (tests only)",
    example: "month_end(start) > date(start)",
    params: &[Param::Temporal],
    result: Ty::Date,
    typing: None,
    argument_help: None,
    needs_context: false,
    eval: |args, _| {
        Ok(args
            .first()
            .and_then(|a| a.date())
            .map_or(Out::Null, |d| Out::Date(d.last_of_month())))
    },
};
