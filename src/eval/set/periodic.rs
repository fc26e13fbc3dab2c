//! Periodic rules: records counted per calendar month, half-year, quarter, year or ISO week, in
//! every such period that lies wholly inside the period under audit.

use std::collections::{BTreeMap, HashMap};

use crate::json::Json;

use jiff::civil::Date;

use super::facts::{Amount, Counted};
use super::{Found, Gathered};
use crate::check::{Policy, RuleKind};
use crate::diagnostic::{Diagnostic, Label};
use crate::eval::value::{Traced, Val};
use crate::eval::{self, World};
use crate::finding::{BadInput, EventDate, Finding, Runs, Tally};

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

pub fn judge(policy: &Policy, gathered: &Gathered, outcome: &mut Found, trace: bool) {
    let Some(period) = outcome.period else { return };
    let world = World {
        period: Some(period),
        ..World::default()
    };
    for (index, rule) in policy.rules.iter().enumerate() {
        let RuleKind::Periodic(p) = &rule.kind else {
            continue;
        };
        // period → group (`None` without `by`) → what was counted in it.
        let mut counted: HashMap<String, BTreeMap<Option<&str>, Vec<&Counted>>> = HashMap::new();
        for c in gathered.counted.iter().filter(|c| c.rule as usize == index) {
            let (key, _, _) = eval::period_key(p.unit, c.date);
            (counted.entry(key).or_default())
                .entry(c.group.as_deref())
                .or_default()
                .push(c);
        }
        let mut start = period.from;
        while start <= period.to {
            let (key, from, to) = eval::period_key(p.unit, start);
            let next = to.tomorrow();
            if from >= period.from && to <= period.to {
                let mut groups = counted.remove(&key).unwrap_or_default();
                // Without `by`, every period is judged, an empty one too; with it, only the groups
                // that hold a record can be named.
                if p.group.is_none() && groups.is_empty() {
                    groups.insert(None, Vec::new());
                }
                for (group, records) in groups {
                    let tally = Tallied::of(&key, group, records);
                    judge_tally(
                        policy,
                        (index, rule),
                        p,
                        &world,
                        tally,
                        (from, to),
                        outcome,
                        trace,
                    );
                }
            }
            match next {
                Ok(next) => start = next,
                Err(_) => break,
            }
        }
    }
}

/// What one period (and group) of a periodic rule holds.
struct Tallied<'a> {
    key: &'a str,
    group: Option<&'a str>,
    ids: Vec<&'a str>,
    /// With `sum`: the total, `None` when a record has no amount (it cannot be judged).
    total: Option<Val<'static>>,
}

impl<'a> Tallied<'a> {
    fn of(key: &'a str, group: Option<&'a str>, records: Vec<&'a Counted>) -> Tallied<'a> {
        let mut ids: Vec<&str> = records.iter().map(|c| &*c.id).collect();
        ids.sort_unstable();
        let mut total = Some(Amount::Int(0));
        for c in &records {
            total = match (total, c.amount) {
                (Some(Amount::Int(a)), Some(Amount::Int(b))) => Some(
                    a.checked_add(b)
                        .map_or(Amount::Number(a as f64 + b as f64), Amount::Int),
                ),
                (Some(a), Some(b)) => Some(Amount::Number(a.as_f64() + b.as_f64())),
                _ => None,
            };
        }
        let total = total.map(|t| match t {
            Amount::Int(n) => Val::Int(n),
            Amount::Number(n) => Val::Num(n),
        });
        Tallied {
            key,
            group,
            ids,
            total,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn judge_tally(
    policy: &Policy,
    (index, rule): (usize, &crate::check::RuleDef),
    p: &crate::check::PeriodicRule,
    world: &World,
    tally: Tallied<'_>,
    (from, to): (Date, Date),
    outcome: &mut Found,
    trace: bool,
) {
    // With `sum`, the total is judged; a total that cannot be known is not (its records are
    // reported as bad input where they are read).
    let outside = if p.sum.is_some() {
        match &tally.total {
            Some(total) => outside(total, p.min, p.max),
            None => return,
        }
    } else {
        let n = tally.ids.len() as u64;
        n < p.min || n > p.max
    };
    outcome.tallies.push(Tally {
        rule: rule.id.clone(),
        period: tally.key.to_string(),
        group: tally.group.map(str::to_string),
        from,
        to,
        counted: tally.ids.iter().map(|s| s.to_string()).collect(),
        min: p.min,
        max: p.max,
    });
    if trace {
        outcome.judged.push(crate::finding::Judged {
            rule: index,
            subject: match tally.group {
                Some(g) => compact_str::format_compact!("{} {g}", tally.key),
                None => tally.key.into(),
            },
            file: None,
        });
    }
    if outside {
        let found = periodic_finding(policy, rule, p, world, &tally, (from, to));
        outcome.findings.push(Box::new(found));
    }
}

/// Whether a total lies outside `min..=max` (`max` `u64::MAX`: no most).
fn outside(total: &Val<'_>, min: u64, max: u64) -> bool {
    match total {
        Val::Int(n) => {
            let n = i128::from(*n);
            n < i128::from(min) || (max != u64::MAX && n > i128::from(max))
        }
        Val::Num(n) => *n < min as f64 || (max != u64::MAX && *n > max as f64),
        _ => false,
    }
}

fn periodic_finding(
    policy: &Policy,
    rule: &crate::check::RuleDef,
    p: &crate::check::PeriodicRule,
    world: &World,
    tally: &Tallied<'_>,
    (from, to): (jiff::civil::Date, jiff::civil::Date),
) -> Finding {
    let (key, ids) = (tally.key, &tally.ids);
    let expected = expected_words(p.min, p.max);
    let null = Json::Null;
    let decoded = std::rc::Rc::default();
    let mut env = eval::Env::new(policy, &null, decoded, rule.slots, world);
    env.set(p.locals[0], Traced::plain(Val::Int(ids.len() as i64)));
    env.set(p.locals[1], Traced::plain(Val::Owned(key.to_string())));
    env.set(p.locals[2], Traced::plain(Val::Owned(expected.clone())));
    if let Some(group) = tally.group {
        env.set(p.locals[3], Traced::plain(Val::Owned(group.to_string())));
    }
    if let Some(total) = &tally.total {
        env.set(p.locals[4], Traced::plain(total.clone()));
    }
    let total = tally.total.as_ref().filter(|_| p.sum.is_some());
    let of_group = tally.group.map_or(String::new(), |g| format!(" for {g}"));
    let message = match &rule.message {
        Some(t) => eval::render_template(&mut env, t),
        None => match total {
            Some(total) => format!(
                "{} in {key}{of_group}: a total of {} over {} counted, expected {expected}",
                rule.title,
                total.render(),
                ids.len()
            ),
            None => format!(
                "{} in {key}{of_group}: counted {}, expected {expected}",
                rule.title,
                ids.len()
            ),
        },
    };
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
        group: tally.group.map(str::to_string),
        counted: ids.iter().map(|s| s.to_string()).collect(),
        fingerprint: Box::default(),
        new: None,
        require: None,
        place: None,
        runs: Some(Runs {
            from,
            to,
            total: total.map(Val::render),
        }),
    }
}

/// What a periodic rule expects, as its `{expected}` hole says it: `1`, `1..2`, `at least 1`
/// (`expect 1..`), `at most 3` (`expect ..3`).
fn expected_words(min: u64, max: u64) -> String {
    match (min, max) {
        (a, b) if a == b => a.to_string(),
        (a, u64::MAX) => format!("at least {a}"),
        (0, b) => format!("at most {b}"),
        (a, b) => format!("{a}..{b}"),
    }
}
