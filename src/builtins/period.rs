//! The period under audit.

use super::{Builtin, Out};
use crate::types::Ty;

/// The family's entries.
pub static ALL: &[&Builtin] = &[&PERIOD_START, &PERIOD_END];

/// Why a period function has no value: a record judged without the whole set.
const UNKNOWN_PERIOD: &str = "the period under audit is not known";

static PERIOD_START: Builtin = Builtin {
    name: "period_start",
    summary: "the first day of the period under audit",
    example: "period_start() <= start",
    params: &[],
    result: Ty::Date,
    typing: None,
    argument_help: None,
    // The period is known only once every record is read.
    needs_context: true,
    eval: |_, cx| {
        cx.period()
            .map(|(from, _)| Out::Date(from))
            .ok_or_else(|| UNKNOWN_PERIOD.into())
    },
};

static PERIOD_END: Builtin = Builtin {
    name: "period_end",
    summary: "the last day of the period under audit",
    example: "period_end() >= start",
    params: &[],
    result: Ty::Date,
    typing: None,
    argument_help: None,
    needs_context: true,
    eval: |_, cx| {
        cx.period()
            .map(|(_, to)| Out::Date(to))
            .ok_or_else(|| UNKNOWN_PERIOD.into())
    },
};
