//! Judging one record against one rule: scope, `for each`, requirements, messages and blame.

use serde_json::Value as Json;

use super::chain;
use super::expr::{eval, Env};
use super::value::{Origin, Traced, Val};
use super::{EvalError, World};
use crate::ast::PeriodUnit;
use crate::check::ir::{Template, TemplatePart};
use crate::check::{Policy, RecordRule, Requirement, RuleDef};
use crate::diagnostic::Severity;

/// A place in the record to label, and what the label says.
#[derive(Debug, Clone)]
pub struct Blame<'a> {
    pub origin: Origin<'a>,
    pub text: String,
    pub primary: bool,
}

impl<'a> Blame<'a> {
    pub fn primary(origin: Origin<'a>, text: String) -> Blame<'a> {
        Blame {
            origin,
            text,
            primary: true,
        }
    }

    pub fn secondary(origin: Origin<'a>, text: String) -> Blame<'a> {
        Blame {
            origin,
            text,
            primary: false,
        }
    }
}

/// A violation found in one record, before it is located in the file.
#[derive(Debug, Clone)]
pub struct RawFinding<'a> {
    pub severity: Severity,
    pub message: String,
    pub blame: Vec<Blame<'a>>,
}

/// Whether `record` is in the rule's scope (`on … where …`): the rule judges it. An error (a date
/// outside the calendar, say) is `judge_record`'s to report.
pub fn scope<'a>(
    policy: &'a Policy,
    rule: &'a RuleDef,
    body: &'a RecordRule,
    record: &'a Json,
    world: &'a World<'a>,
) -> Result<bool, EvalError<'a>> {
    let mut env = Env::new(policy, record, rule.slots, world);
    match &body.condition {
        Some(c) => Ok(eval(&mut env, c)?.truthy()),
        None => Ok(true),
    }
}

/// [`scope`], with a scope that cannot be evaluated counted as out of it.
pub fn in_scope<'a>(
    policy: &'a Policy,
    rule: &'a RuleDef,
    body: &'a RecordRule,
    record: &'a Json,
    world: &'a World<'a>,
) -> bool {
    scope(policy, rule, body, record, world).unwrap_or(false)
}

/// Every violation of `rule` by `record`.
pub fn judge_record<'a>(
    policy: &'a Policy,
    rule: &'a RuleDef,
    body: &'a RecordRule,
    record: &'a Json,
    world: &'a World<'a>,
) -> Result<Vec<RawFinding<'a>>, EvalError<'a>> {
    let mut env = Env::new(policy, record, rule.slots, world);
    if let Some(condition) = &body.condition {
        if !eval(&mut env, condition)?.truthy() {
            return Ok(Vec::new());
        }
    }
    let mut findings = Vec::new();
    match &body.for_each {
        None => requirements(&mut env, rule, body, Origin::Node(record), &mut findings)?,
        Some(each) => {
            let list = eval(&mut env, &each.source)?;
            let element_ty = each.source.ty.element();
            if let Val::Node(Json::Array(items)) = list.val {
                for item in items {
                    env.set(
                        each.slot,
                        Traced::new(super::expr::convert(item, element_ty), Origin::Node(item)),
                    );
                    if let Some(condition) = &each.condition {
                        if !eval(&mut env, condition)?.truthy() {
                            continue;
                        }
                    }
                    requirements(&mut env, rule, body, Origin::Node(item), &mut findings)?;
                }
            }
        }
    }
    Ok(findings)
}

fn requirements<'a>(
    env: &mut Env<'a>,
    rule: &'a RuleDef,
    body: &'a RecordRule,
    fallback: Origin<'a>,
    findings: &mut Vec<RawFinding<'a>>,
) -> Result<(), EvalError<'a>> {
    for binding in &body.lets {
        let value = eval(env, &binding.value)?;
        env.set(binding.slot, value);
    }
    for require in &body.requires {
        if let Some(when) = &require.when {
            if !eval(env, when)?.truthy() {
                continue;
            }
        }
        let (message, mut blame) = match &require.what {
            Requirement::Holds(condition) => {
                let result = eval(env, condition)?;
                if result.truthy() {
                    continue;
                }
                let label = match result.origin {
                    Origin::Missing(_, field) => format!("`{field}` is missing"),
                    _ => rule.title.clone(),
                };
                (None, vec![Blame::primary(result.origin, label)])
            }
            Requirement::Chain(c) => match chain::check(env, c)? {
                None => continue,
                Some(failure) => (Some(failure.message), failure.blame),
            },
        };
        if let Some(at) = &require.at {
            let place = eval(env, at)?;
            let label = blame
                .first()
                .map_or_else(|| rule.title.clone(), |b| b.text.clone());
            blame = vec![Blame::primary(place.origin, label)];
        }
        for b in &mut blame {
            if b.origin.is_none() {
                b.origin = fallback;
            }
        }
        let template = require.message.as_ref().or(rule.message.as_ref());
        let message = match (template, message) {
            (Some(t), Some(detail)) => format!("{}: {detail}", render(env, t)),
            (Some(t), None) => render(env, t),
            (None, Some(detail)) => detail,
            (None, None) => rule.title.clone(),
        };
        findings.push(RawFinding {
            severity: require.severity,
            message,
            blame,
        });
    }
    Ok(())
}

/// A message with its holes filled from the record.
pub fn render<'a>(env: &mut Env<'a>, template: &'a Template) -> String {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            TemplatePart::Text(t) => out.push_str(t),
            TemplatePart::Hole(ir) => match eval(env, ir) {
                Ok(v) => out.push_str(&v.val.render()),
                Err(_) => out.push('—'),
            },
        }
    }
    out
}

/// The period a date falls in, as the output contract names it: `2011-08`, `2011-H2`, `2011-W33`,
/// `2011-Q3`, `2011`; with the first and last day of that period.
pub fn period_key(
    unit: PeriodUnit,
    date: jiff::civil::Date,
) -> (String, jiff::civil::Date, jiff::civil::Date) {
    use jiff::civil::Date;
    let year = date.year();
    let bounds = |from: Option<Date>, to: Option<Date>| (from.unwrap_or(date), to.unwrap_or(date));
    match unit {
        PeriodUnit::Month => {
            let (from, to) = bounds(
                Date::new(year, date.month(), 1).ok(),
                Some(date.last_of_month()),
            );
            (format!("{year:04}-{:02}", date.month()), from, to)
        }
        PeriodUnit::HalfYear => {
            let first = date.month() <= 6;
            let (from, to) = if first {
                bounds(Date::new(year, 1, 1).ok(), Date::new(year, 6, 30).ok())
            } else {
                bounds(Date::new(year, 7, 1).ok(), Date::new(year, 12, 31).ok())
            };
            (
                format!("{year:04}-H{}", if first { 1 } else { 2 }),
                from,
                to,
            )
        }
        PeriodUnit::Quarter => {
            let q = (date.month() - 1) / 3;
            let from = Date::new(year, q * 3 + 1, 1).ok();
            let to = from
                .map(|f| f.last_of_month())
                .and_then(|_| Date::new(year, q * 3 + 3, 1).ok())
                .map(|d| d.last_of_month());
            let (from, to) = bounds(from, to);
            (format!("{year:04}-Q{}", q + 1), from, to)
        }
        PeriodUnit::Year => {
            let (from, to) = bounds(Date::new(year, 1, 1).ok(), Date::new(year, 12, 31).ok());
            (format!("{year:04}"), from, to)
        }
        PeriodUnit::IsoWeek => {
            let iso = date.iso_week_date();
            let monday = iso.first_of_week().map(|w| w.date()).ok();
            let sunday = iso.last_of_week().map(|w| w.date()).ok();
            let (from, to) = bounds(monday, sunday);
            (format!("{:04}-W{:02}", iso.year(), iso.week()), from, to)
        }
    }
}
