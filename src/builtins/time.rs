//! Date and time functions: weekday, hour of day in the record's own offset, days between dates.

use jiff::civil::Weekday;

use super::{two_dates, Builtin, Out, Param, Value};
use crate::types::Ty;

/// The family's entries.
pub static ALL: &[&Builtin] = &[&WEEKDAY, &HOUR, &DATE, &YEAR, &MONTH, &QUARTER_START, &DAYS];

/// One date or datetime argument.
const TEMPORAL: &[Param] = &[Param::Temporal];

/// A message names its value as a weekday ("a Saturday"), so the evaluator knows this entry.
pub static WEEKDAY: Builtin = Builtin {
    name: "weekday",
    summary: "the day of the week of a date or datetime, in lower case (`\"monday\"`)",
    example: "weekday(start) != \"saturday\"",
    params: TEMPORAL,
    result: Ty::String,
    typing: None,
    argument_help: None,
    needs_context: false,
    eval: |args, _| Ok(first_date(args).map_or(Out::Null, |d| Out::Text(weekday_name(d.weekday())))),
};

static HOUR: Builtin = Builtin {
    name: "hour",
    summary: "the hour of a datetime (0–23), in the offset it was written in",
    example: "hour(start) < 12",
    params: &[Param::DateTime],
    result: Ty::Int,
    typing: None,
    argument_help: None,
    needs_context: false,
    eval: |args, _| {
        Ok(args
            .first()
            .and_then(|a| a.datetime())
            .map_or(Out::Null, |d| Out::Int(i64::from(d.civil().hour()))))
    },
};

static DATE: Builtin = Builtin {
    name: "date",
    summary: "the calendar date of a datetime, in the offset it was written in",
    example: "date(signed_at) == date(start)",
    params: TEMPORAL,
    result: Ty::Date,
    typing: None,
    argument_help: None,
    needs_context: false,
    eval: |args, _| Ok(first_date(args).map_or(Out::Null, Out::Date)),
};

static YEAR: Builtin = Builtin {
    name: "year",
    summary: "the year of a date or datetime",
    example: "year(start) == 2011",
    params: TEMPORAL,
    result: Ty::Int,
    typing: None,
    argument_help: None,
    needs_context: false,
    eval: |args, _| Ok(first_date(args).map_or(Out::Null, |d| Out::Int(i64::from(d.year())))),
};

static MONTH: Builtin = Builtin {
    name: "month",
    summary: "the month (1–12) of a date or datetime",
    example: "month(start) != 8",
    params: TEMPORAL,
    result: Ty::Int,
    typing: None,
    argument_help: None,
    needs_context: false,
    eval: |args, _| Ok(first_date(args).map_or(Out::Null, |d| Out::Int(i64::from(d.month())))),
};

static QUARTER_START: Builtin = Builtin {
    name: "quarter_start",
    summary: "the first day of the quarter a date or datetime falls in",
    example: "quarter_start(start) > plan.declared_at",
    params: TEMPORAL,
    result: Ty::Date,
    typing: None,
    argument_help: None,
    needs_context: false,
    eval: |args, _| {
        Ok(first_date(args).map_or(Out::Null, |d| {
            let month = (d.month() - 1) / 3 * 3 + 1;
            jiff::civil::Date::new(d.year(), month, 1).map_or(Out::Null, Out::Date)
        }))
    },
};

static DAYS: Builtin = Builtin {
    name: "days",
    summary: "the calendar days from the first date to the second",
    example: "days(received, answered) <= 15",
    params: &[Param::Temporal, Param::Temporal],
    result: Ty::Int,
    typing: None,
    argument_help: None,
    needs_context: false,
    eval: |args, _| {
        Ok(two_dates(args).map_or(Out::Null, |(from, to)| {
            from.until(to)
                .map_or(Out::Null, |span| Out::Int(i64::from(span.get_days())))
        }))
    },
};

fn first_date(args: &[&dyn Value<'_>]) -> Option<jiff::civil::Date> {
    args.first().and_then(|a| a.date())
}

/// A weekday as a value of the language: `"monday"`.
pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}
