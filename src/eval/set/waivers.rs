//! Waivers: a valid waiver marks its rule's findings on its record as waived (still reported);
//! a waiver without a reason, for an unknown rule, or past its `until` is itself a finding
//! (set.4). A valid waiver that matched nothing, or that repeats an earlier waiver of its record
//! for the same rule, is reported under its own rule (set.5, a warning in the bundled policy), so
//! stale waivers do not pile up.
//!
//! A finding about a period has no record to carry its waiver: its waivers come from a waivers
//! file ([`crate::records::waiver_file`]), are checked the same way, and their findings are
//! located there.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use crate::json::Json;

use super::{Found, Gathered};
use crate::ast::PeriodUnit;
use crate::check::{BuiltinRule, Policy, RuleDef, RuleKind, ShapeId};
use crate::eval::value::Origin;
use crate::eval::{Blame, RawFinding};
use crate::records::waiver_file::WaiverFile;
use crate::records::Place;
use crate::time::Decoded;

pub fn apply(policy: &Policy, gathered: &Gathered, outcome: &mut Found) {
    let rule = policy.builtin(BuiltinRule::Waivers);
    let mut valid = Valid::default();
    let mut invalid: Vec<AboutWaiver<'_>> = Vec::new();
    let mut repeated: Vec<Repeated> = Vec::new();
    let last_day = outcome.period.map(|p| p.to);
    for (k, kept) in gathered.kept.iter().enumerate() {
        let field = waivers_field(policy, kept.shape());
        let Some(waivers) = kept.value.get(field).and_then(Json::as_array) else {
            continue;
        };
        let Some(id) = kept.value.get("id").and_then(Json::as_str) else {
            continue;
        };
        for (w, waiver) in waivers.iter().enumerate() {
            let rule_id = waiver.get("rule").and_then(Json::as_str).unwrap_or("");
            let reason = waiver
                .get("reason")
                .and_then(Json::as_str)
                .map_or("", str::trim);
            let until = waiver
                .get("until")
                .and_then(Json::as_str)
                .and_then(|u| crate::time::parse_date(u).ok());
            let problem = if policy.rule(rule_id).is_none() {
                Some((
                    waiver.get("rule"),
                    format!("waiver names rule `{rule_id}`, which the policy does not have"),
                    "unknown rule",
                ))
            } else if reason.is_empty() {
                Some((
                    waiver.get("reason"),
                    format!("waiver of {rule_id} gives no reason"),
                    "no reason",
                ))
            } else if let (Some(until), Some(last)) = (until, last_day) {
                (until < last).then(|| (waiver.get("until"), format!("waiver of {rule_id} ran out on {until}, before the end of the period under audit ({last})"), "expired"))
            } else {
                None
            };
            match problem {
                Some((node, message, label)) => {
                    let origin = node.map_or(Origin::Missing(waiver, "reason"), Origin::Node);
                    invalid.push((k, origin, message, label));
                }
                None => {
                    // A second waiver of the same rule on the same record waives nothing more:
                    // it is reported, as the waivers file's repeats are, not silently merged.
                    // Records sharing an id (set.1) each keep their own waiver.
                    let entries = (valid.entry(id.to_string()).or_default())
                        .entry(rule_id.to_string())
                        .or_default();
                    // Records are read in order: this record's waiver, if any, is the last.
                    match entries.waivers.last().filter(|e| e.0 == k) {
                        Some(first) => repeated.push((k, w, first.1, rule_id.to_string())),
                        None => entries.waivers.push((k, w)),
                    }
                }
            }
        }
    }
    for f in &mut outcome.findings {
        let Some(record) = &f.record else { continue };
        let waivers = valid.get_mut(record.as_str());
        if let Some(entries) = waivers.and_then(|by_rule| by_rule.get_mut(f.rule.as_str())) {
            f.waived = true;
            entries.used = true;
        }
    }
    if let Some(rule) = rule {
        about_waivers(policy, rule, gathered, invalid, outcome);
    }
    if let Some(rule) = policy.builtin(BuiltinRule::UnusedWaivers) {
        report_unused(policy, rule, gathered, valid, repeated, outcome);
    }
}

/// A finding about a waiver of a kept record: the record, the value to blame (the waiver or its
/// field), the message and the label. A broken waiver's (set.4) or an unused one's (set.5).
type AboutWaiver<'a> = (usize, Origin<'a>, String, &'static str);

/// Record id → rule id → the valid waivers of that rule on the records of that id: looked up for
/// every finding by its texts, none copied.
type Valid = foldhash::HashMap<String, foldhash::HashMap<String, Waivers>>;

/// The valid waivers of one rule on the records of one id: (kept index, waiver index), one per
/// record, in the order of the records; and whether a finding used them (a finding on an id is
/// waived by each record of that id that waives its rule).
#[derive(Default)]
struct Waivers {
    waivers: Vec<(usize, usize)>,
    used: bool,
}

/// A valid waiver that repeats an earlier one of its record: (kept index, waiver index, index of
/// the waiver it repeats, rule id)
type Repeated = (usize, usize, usize, String);

/// Findings of `rule` about waivers of kept records, each at its origin (the waiver, or its
/// field), located in its record's text read again (bad input if the file changed meanwhile).
/// `items` come in the order of their records: a record is read again and indexed once, however
/// many of its waivers are found (a record may carry thousands).
fn about_waivers<'k>(
    policy: &Policy,
    rule: &RuleDef,
    gathered: &'k Gathered,
    items: impl IntoIterator<Item = AboutWaiver<'k>>,
    outcome: &mut Found,
) {
    let mut items = items.into_iter().peekable();
    while let Some((k, origin, message, label)) = items.next() {
        let mut of_record = vec![(origin, message, label)];
        while let Some((_, origin, message, label)) = items.next_if(|item| item.0 == k) {
            of_record.push((origin, message, label));
        }
        let kept = &gathered.kept[k];
        crate::eval::counters::record_read_for_waivers();
        let Some(source) = gathered.fetch(&kept.seen.at) else {
            for _ in of_record {
                (outcome.bad_inputs).push(super::changed(gathered, &kept.seen.at));
            }
            continue;
        };
        let place = kept.seen.spot.place(&source.text);
        let again = gathered.refetch(&kept.seen.at);
        let date = crate::eval::earliest_event(policy, &kept.value, &Decoded::default());
        let at = crate::eval::RecordPlaces::new(&kept.value, place, &source, Some(&again), date);
        for (origin, message, label) in of_record {
            let raw = RawFinding {
                require: None,
                severity: rule.severity,
                message,
                blame: vec![Blame::primary(origin, label.to_string())],
            };
            outcome.findings.push(crate::eval::locate(rule, raw, &at));
        }
    }
}

fn report_unused(
    policy: &Policy,
    rule: &RuleDef,
    gathered: &Gathered,
    valid: Valid,
    repeated: Vec<Repeated>,
    outcome: &mut Found,
) {
    // (kept index, waiver index, rule id, the waiver it repeats if it is a repeat)
    let mut unused: Vec<(usize, usize, String, Option<usize>)> = (valid.into_values())
        .flatten()
        .filter(|(_, entries)| !entries.used)
        .flat_map(|(rule_id, entries)| {
            (entries.waivers.into_iter()).map(move |(k, w)| (k, w, rule_id.clone(), None))
        })
        .collect();
    let repeats = repeated
        .into_iter()
        .map(|(k, w, first, rule_id)| (k, w, rule_id, Some(first)));
    unused.extend(repeats);
    unused.sort_by_key(|(k, w, _, _)| (*k, *w));
    let items = unused.into_iter().map(|(k, w, rule_id, first)| {
        let kept = &gathered.kept[k];
        let field = waivers_field(policy, kept.shape());
        let node = kept
            .value
            .get(field)
            .and_then(Json::as_array)
            .and_then(|ws| ws.get(w));
        let message = match first {
            Some(first) => format!(
                "unused waiver: it repeats waiver {first}, which already waives {rule_id} on this record"
            ),
            None => format!("unused waiver: this record has no finding of {rule_id} to waive"),
        };
        let origin = node.map_or(Origin::None, Origin::Node);
        (k, origin, message, "waives nothing")
    });
    about_waivers(policy, rule, gathered, items, outcome);
}

/// The field of a record of type `shape` that holds its waivers: `waivers`, or the field its type
/// declares with `as waivable(waivers: …)`.
pub fn waivers_field(policy: &Policy, shape: ShapeId) -> &str {
    policy
        .shapes
        .get(shape)
        .map_or("waivers", |s| s.roles.waivers.as_str())
}

/// Waives the period findings that a valid waiver of the waivers file names by rule and period;
/// reports the broken waivers (set.4) and the unused ones (set.5) at their place in the file.
pub fn apply_to_periods(policy: &Policy, file: &WaiverFile, outcome: &mut Found) {
    let last_day = outcome.period.map(|p| p.to);
    let mut problems: Vec<(usize, Option<&'static str>, String, &'static str)> = Vec::new();
    let mut valid: Vec<(usize, bool)> = Vec::new();
    // The first valid waiver of each rule, period and group, by its place in `valid`.
    let mut first_valid: HashMap<(&str, &str, Option<&str>), usize> = HashMap::new();
    let mut repeated: Vec<(usize, usize)> = Vec::new();
    for (i, w) in file.waivers.iter().enumerate() {
        let rule_id = &w.rule;
        let problem = match policy.rule(rule_id).map(|r| &r.kind) {
            None => Some((
                Some("rule"),
                format!("waiver names rule `{rule_id}`, which the policy does not have"),
                "unknown rule",
            )),
            Some(RuleKind::Periodic(p)) if !is_period_of(p.unit, &w.period) => Some((
                Some("period"),
                format!(
                    "waiver of {rule_id} names the period `{}`, which is not one of its periods: \
                     it counts per {}, written as `{}`",
                    w.period,
                    unit_name(p.unit),
                    unit_example(p.unit)
                ),
                "not a period of the rule",
            )),
            Some(RuleKind::Periodic(p)) if p.group.is_none() && w.group.is_some() => Some((
                Some("group"),
                format!(
                    "waiver of {rule_id} names the group `{}`, but the rule does not count by group",
                    w.group.as_deref().unwrap_or_default()
                ),
                "no groups in this rule",
            )),
            Some(RuleKind::Periodic(_)) if w.reason.is_empty() => Some((
                file.doc[i].get("reason").map(|_| "reason"),
                format!("waiver of {rule_id} gives no reason"),
                "no reason",
            )),
            Some(RuleKind::Periodic(_)) => match (w.until, last_day) {
                (Some(until), Some(last)) if until < last => Some((
                    Some("until"),
                    format!(
                        "waiver of {rule_id} ran out on {until}, before the end of the period \
                         under audit ({last})"
                    ),
                    "expired",
                )),
                _ => None,
            },
            Some(_) => Some((
                Some("rule"),
                format!(
                    "waiver names rule {rule_id}, which judges records, not periods: waive its \
                     findings in the record's own waivers"
                ),
                "not a periodic rule",
            )),
        };
        // A waiver that repeats an earlier valid one waives nothing more: it is reported, as an
        // unused one is, so that it does not seem to be needed.
        match problem {
            Some((field, message, label)) => problems.push((i, field, message, label)),
            None => match first_valid.entry((&w.rule, &w.period, w.group.as_deref())) {
                Entry::Occupied(first) => repeated.push((i, valid[*first.get()].0)),
                Entry::Vacant(slot) => {
                    slot.insert(valid.len());
                    valid.push((i, false));
                }
            },
        }
    }
    // A period finding is waived by the valid waiver of its rule, period and group, and by the
    // one of its rule and period that names no group.
    for f in &mut outcome.findings {
        let Some(period) = &f.period else { continue };
        for group in [f.group.as_deref(), None] {
            if let Some(&j) = first_valid.get(&(f.rule.as_str(), period.as_str(), group)) {
                f.waived = true;
                valid[j].1 = true;
            }
        }
    }
    // One index of the file's places for all its findings: a file may hold thousands of waivers.
    let places = crate::eval::RecordPlaces::new(&file.doc, Place::Whole, &file.source, None, None);
    let at = |i: usize, field: Option<&str>| {
        let waiver = &file.doc[i];
        match field {
            Some(field) => waiver
                .get(field)
                .map_or(Origin::Missing(waiver, "reason"), Origin::Node),
            None => Origin::Missing(waiver, "reason"),
        }
    };
    if let Some(rule) = policy.builtin(BuiltinRule::Waivers) {
        for (i, field, message, label) in problems {
            let raw = RawFinding {
                severity: rule.severity,
                message,
                blame: vec![Blame::primary(at(i, field), label.to_string())],
                require: None,
            };
            outcome
                .findings
                .push(crate::eval::locate(rule, raw, &places));
        }
    }
    if let Some(rule) = policy.builtin(BuiltinRule::UnusedWaivers) {
        let unused = valid
            .into_iter()
            .filter(|(_, used)| !used)
            .map(|(i, _)| (i, None));
        let mut unused: Vec<(usize, Option<usize>)> = unused
            .chain(repeated.into_iter().map(|(i, first)| (i, Some(first))))
            .collect();
        unused.sort_unstable();
        for (i, first) in unused {
            let w = &file.waivers[i];
            let of_group = w
                .group
                .as_ref()
                .map_or(String::new(), |g| format!(" for {g}"));
            let message = match first {
                Some(first) => format!(
                    "unused waiver: it repeats waiver {first}, which already waives {} in {}{of_group}",
                    w.rule, w.period
                ),
                None => format!(
                    "unused waiver: there is no finding of {} in {}{of_group} to waive",
                    w.rule, w.period
                ),
            };
            let raw = RawFinding {
                severity: rule.severity,
                message,
                blame: vec![Blame::primary(
                    Origin::Node(&file.doc[i]),
                    "waives nothing".into(),
                )],
                require: None,
            };
            outcome
                .findings
                .push(crate::eval::locate(rule, raw, &places));
        }
    }
}

/// Whether `key` is written as the periods of `unit` are (`2024-03`, `2024-H2`, `2024-Q1`,
/// `2024`, `2024-W09`), so that a waiver can match a finding's period.
fn is_period_of(unit: PeriodUnit, key: &str) -> bool {
    let b = key.as_bytes();
    let year = |b: &[u8]| b.len() >= 4 && b[..4].iter().all(u8::is_ascii_digit);
    let two = |s: &[u8], max: u32| {
        s.len() == 2
            && s.iter().all(u8::is_ascii_digit)
            && (1..=max).contains(&(u32::from(s[0] - b'0') * 10 + u32::from(s[1] - b'0')))
    };
    if !year(b) {
        return false;
    }
    let rest = &b[4..];
    match unit {
        PeriodUnit::Year => rest.is_empty(),
        PeriodUnit::Month => rest.first() == Some(&b'-') && two(&rest[1..], 12),
        PeriodUnit::Quarter => matches!(rest, [b'-', b'Q', b'1'..=b'4']),
        PeriodUnit::HalfYear => matches!(rest, [b'-', b'H', b'1' | b'2']),
        PeriodUnit::IsoWeek => rest.starts_with(b"-W") && two(&rest[2..], 53),
    }
}

fn unit_name(unit: PeriodUnit) -> &'static str {
    match unit {
        PeriodUnit::Month => "month",
        PeriodUnit::HalfYear => "half-year",
        PeriodUnit::IsoWeek => "ISO week",
        PeriodUnit::Quarter => "quarter",
        PeriodUnit::Year => "year",
    }
}

fn unit_example(unit: PeriodUnit) -> &'static str {
    match unit {
        PeriodUnit::Month => "2011-08",
        PeriodUnit::HalfYear => "2011-H2",
        PeriodUnit::IsoWeek => "2011-W33",
        PeriodUnit::Quarter => "2011-Q3",
        PeriodUnit::Year => "2011",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_written_as_its_unit_writes_it() {
        for (unit, good, bad) in [
            (
                PeriodUnit::Month,
                &["2024-03", "2024-12"][..],
                &["2024-3", "2024-13", "2024-00", "2024", "2024-03-01"][..],
            ),
            (
                PeriodUnit::Quarter,
                &["2024-Q1", "2024-Q4"],
                &["2024-Q5", "2024-q1", "2024-03"],
            ),
            (
                PeriodUnit::HalfYear,
                &["2024-H1", "2024-H2"],
                &["2024-H3", "2024-Q1"],
            ),
            (PeriodUnit::Year, &["2024"], &["24", "2024-01", "２０２４"]),
            (
                PeriodUnit::IsoWeek,
                &["2024-W01", "2024-W53"],
                &["2024-W54", "2024-W1", "2024-03"],
            ),
        ] {
            for key in good {
                assert!(is_period_of(unit, key), "{key}");
            }
            for key in bad {
                assert!(!is_period_of(unit, key), "{key}");
            }
            let example = unit_example(unit);
            assert!(is_period_of(unit, example), "{example}");
        }
    }
}
