//! Periodic rules: records counted per calendar month, half-year, quarter, year or ISO week, in
//! every such period that lies wholly inside the period under audit.

use std::collections::HashMap;

use serde_json::Value as Json;

use jiff::civil::Date;

use super::finding::{self, BadInput, EventDate, Finding};
use super::set::Gathered;
use super::Outcome;
use crate::check::{Policy, RuleKind};
use crate::diagnostic::{Diagnostic, Label};
use crate::eval::value::{Traced, Val};
use crate::eval::{self, World};

/// The longest period under audit that is inferred from the records (catalogue 1.1).
const LONGEST_INFERRED_YEARS: i16 = 10;

/// Whether an inferred period from `first` to `last` runs longer than ten years.
pub fn too_long(first: Date, last: Date) -> bool {
    first
        .checked_add(jiff::Span::new().years(LONGEST_INFERRED_YEARS))
        .map_or(true, |limit| last > limit)
}

/// An inferred period that is too long is bad input, labelled at both of its ends; the periodic
/// rules are then not judged, since they would report every month of the years between.
pub fn refuse_long_period(policy: &Policy, first: &EventDate, last: &EventDate) -> BadInput {
    let periodic: Vec<&str> = policy
        .rules
        .iter()
        .filter(|r| matches!(r.kind, RuleKind::Periodic(_)))
        .map(|r| r.id.as_str())
        .collect();
    let message = format!(
        "the period under audit, inferred from the records, runs longer than {LONGEST_INFERRED_YEARS} years: \
         from {} (`{}` of {}) to {} (`{}` of {}); periodic rules ({}) are not judged",
        first.date,
        first.field,
        first.record,
        last.date,
        last.field,
        last.record,
        periodic.join(", ")
    );
    let mut bad = BadInput::at(
        &last.source,
        last.span(),
        message,
        "bad-input::period",
        "the latest event date",
        Some(
            "correct the mistyped date, or give the period under audit with `--period FROM..TO`"
                .into(),
        ),
    );
    bad.diagnostic.related.push(
        Diagnostic::new(
            crate::diagnostic::Severity::Advice,
            "bad-input::period",
            format!("the earliest event date, {}", first.date),
        )
        .in_file(first.source.clone())
        .with_label(Label::secondary(first.span(), "the earliest event date")),
    );
    bad
}

pub fn judge(policy: &Policy, gathered: &Gathered, outcome: &mut Outcome, trace: bool) {
    let Some(period) = outcome.period else { return };
    let world = World {
        period: Some(period),
        ..World::default()
    };
    for (index, rule) in policy.rules.iter().enumerate() {
        let RuleKind::Periodic(p) = &rule.kind else {
            continue;
        };
        let mut counted: HashMap<String, Vec<&str>> = HashMap::new();
        for c in gathered.counted.iter().filter(|c| c.rule == index) {
            let (key, _, _) = eval::period_key(p.unit, c.date);
            counted.entry(key).or_default().push(&c.id);
        }
        let mut start = period.from;
        while start <= period.to {
            let (key, from, to) = eval::period_key(p.unit, start);
            let next = to.tomorrow();
            if from >= period.from && to <= period.to {
                let mut ids: Vec<&str> = counted.get(&key).cloned().unwrap_or_default();
                ids.sort_unstable();
                let n = ids.len() as u32;
                outcome.tallies.push(finding::Tally {
                    rule: rule.id.clone(),
                    period: key.clone(),
                    from,
                    to,
                    counted: ids.iter().map(|s| s.to_string()).collect(),
                    min: p.min,
                    max: p.max,
                });
                if trace {
                    outcome.judged.push(crate::audit::Judged {
                        rule: rule.id.clone(),
                        subject: key.clone(),
                        file: None,
                    });
                }
                if n < p.min || n > p.max {
                    outcome.findings.push(periodic_finding(
                        policy,
                        rule,
                        p,
                        &world,
                        &key,
                        &ids,
                        (from, to),
                    ));
                }
            }
            match next {
                Ok(next) => start = next,
                Err(_) => break,
            }
        }
    }
}

fn periodic_finding(
    policy: &Policy,
    rule: &crate::check::RuleDef,
    p: &crate::check::PeriodicRule,
    world: &World,
    key: &str,
    ids: &[&str],
    (from, to): (jiff::civil::Date, jiff::civil::Date),
) -> Finding {
    let expected = expected_words(p.min, p.max);
    let null = Json::Null;
    let mut env = eval::Env::new(policy, &null, rule.slots, world);
    env.set(p.locals[0], Traced::plain(Val::Int(ids.len() as i64)));
    env.set(p.locals[1], Traced::plain(Val::Owned(key.to_string())));
    env.set(p.locals[2], Traced::plain(Val::Owned(expected.clone())));
    let message = match &rule.message {
        Some(t) => eval::render_template(&mut env, t),
        None => format!(
            "{} in {key}: counted {}, expected {expected}",
            rule.title,
            ids.len()
        ),
    };
    let counted = if ids.is_empty() {
        "none".to_string()
    } else {
        ids.join(", ")
    };
    let mut help = format!("period {key} runs {from} – {to}; counted: {counted}");
    if let Some(more) = finding::help_text(policy, rule) {
        help = format!("{help}\n{more}");
    }
    let diagnostic =
        Diagnostic::new(rule.severity, finding::rule_code(rule), message.clone()).with_help(help);
    Finding {
        rule: rule.id.clone(),
        article: rule.article,
        severity: rule.severity,
        waived: false,
        message,
        record: None,
        file: None,
        line: None,
        column: None,
        pointer: None,
        period: Some(key.to_string()),
        counted: ids.iter().map(|s| s.to_string()).collect(),
        fingerprint: String::new(),
        new: None,
        require: None,
        diagnostic,
    }
}

/// What a periodic rule expects, as its `{expected}` hole says it: `1`, `1..2`, `at least 1`
/// (`expect 1..`), `at most 3` (`expect ..3`).
fn expected_words(min: u32, max: u32) -> String {
    match (min, max) {
        (a, b) if a == b => a.to_string(),
        (a, u32::MAX) => format!("at least {a}"),
        (0, b) => format!("at most {b}"),
        (a, b) => format!("{a}..{b}"),
    }
}
