//! Date and time functions: weekday, hour of day in the record's own offset, days between dates.

use jiff::civil::Weekday;

use super::date_of;
use crate::check::ir::Builtin;
use crate::eval::value::{Traced, Val};

pub fn call<'a>(builtin: Builtin, args: &[Traced<'a>]) -> Val<'a> {
    let first = args.first().map(|a| &a.val);
    match builtin {
        Builtin::Weekday => first
            .and_then(date_of)
            .map_or(Val::Null, |d| Val::Str(weekday_name(d.weekday()))),
        Builtin::Hour => match first {
            Some(Val::DateTime(d)) => Val::Int(i64::from(d.civil().hour())),
            _ => Val::Null,
        },
        Builtin::DateOf => first.and_then(date_of).map_or(Val::Null, Val::Date),
        Builtin::Year => first
            .and_then(date_of)
            .map_or(Val::Null, |d| Val::Int(i64::from(d.year()))),
        Builtin::Month => first
            .and_then(date_of)
            .map_or(Val::Null, |d| Val::Int(i64::from(d.month()))),
        Builtin::QuarterStart => first.and_then(date_of).map_or(Val::Null, |d| {
            let month = (d.month() - 1) / 3 * 3 + 1;
            jiff::civil::Date::new(d.year(), month, 1).map_or(Val::Null, Val::Date)
        }),
        Builtin::Days => {
            let from = first.and_then(date_of);
            let to = args.get(1).and_then(|a| date_of(&a.val));
            match (from, to) {
                (Some(from), Some(to)) => from
                    .until(to)
                    .map_or(Val::Null, |span| Val::Int(i64::from(span.get_days()))),
                _ => Val::Null,
            }
        }
        _ => Val::Null,
    }
}

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
