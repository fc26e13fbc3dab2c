//! Working days between two dates, from the policy's calendar.

use super::{two_dates, At, Builtin, Out, Param, Problem, TypeEnv};
use crate::calendar::DayKind;
use crate::types::Ty;

/// The family's entries.
pub static ALL: &[&Builtin] = &[&WORKING_DAYS, &CALENDAR_NOTE];

/// Working days after the first date up to and including the second; a date outside the
/// calendar's years is an error, never a guess.
static WORKING_DAYS: Builtin = Builtin {
    name: "working_days",
    summary: "the working days after the first date up to and including the second, from the policy's calendar",
    example: "working_days(received, answered) <= 3",
    params: &[Param::Temporal, Param::Temporal],
    result: Ty::Int,
    typing: Some(needs_calendar),
    argument_help: None,
    needs_context: false,
    eval: |args, cx| {
        let Some((from, to)) = two_dates(args) else {
            return Ok(Out::Null);
        };
        let Some(calendar) = cx.calendar() else {
            return Err("the policy declares no working-day calendar".into());
        };
        calendar
            .working_days_after(from, to)
            .map(Out::Int)
            .map_err(|e| e.to_string())
    },
};

/// "2011-10-01..07 holidays, 2011-10-08/09 workdays": the calendar's special days after the
/// first date up to the second, grouped in runs, so a message shows how a count was reached.
static CALENDAR_NOTE: Builtin = Builtin {
    name: "calendar_note",
    summary: "the holidays and adjusted workdays between two dates, in words, for messages",
    example: "calendar_note(received, answered)",
    params: &[Param::Temporal, Param::Temporal],
    result: Ty::String,
    typing: Some(needs_calendar),
    argument_help: None,
    needs_context: false,
    eval: |args, cx| Ok(note(args, cx)),
};

/// Counting working days needs the calendar the policy declares.
fn needs_calendar(_: &[Ty], env: &dyn TypeEnv, problems: &mut Vec<Problem>) -> Option<Ty> {
    if !env.has_calendar() {
        problems.push(Problem {
            at: At::Function,
            code: "policy::calendar",
            message: "`working_days` needs a `calendar` declaration in the policy".into(),
            label: "no calendar declared",
            help: Some(crate::calendar::DECLARE_HELP.into()),
        });
    }
    None
}

fn note<'a>(args: &[&dyn super::Value<'a>], cx: &dyn super::Context<'a>) -> Out<'a> {
    let (Some((from, to)), Some(calendar)) = (two_dates(args), cx.calendar()) else {
        return Out::Null;
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
        Out::Text("no holidays")
    } else {
        Out::Owned(parts.join(", "))
    }
}
