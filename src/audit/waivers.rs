//! Waivers: a valid waiver marks its rule's findings on its record as waived (still reported);
//! a waiver without a reason, for an unknown rule, or past its `until` is itself a finding
//! (set.4). A valid waiver that matched nothing is reported under its own rule (set.5, a warning
//! in the bundled policy), so stale waivers do not pile up.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::finding;
use super::set::Gathered;
use super::Outcome;
use crate::check::{BuiltinRule, Policy, RuleDef};
use crate::eval::value::Origin;
use crate::eval::{Blame, RawFinding};

pub fn apply(policy: &Policy, gathered: &Gathered, outcome: &mut Outcome) {
    let rule = policy.builtin(BuiltinRule::Waivers);
    let mut valid = Valid::new();
    let mut invalid: Vec<Invalid<'_>> = Vec::new();
    let last_day = outcome.period.map(|p| p.to);
    for (k, kept) in gathered.kept.iter().enumerate() {
        let field = super::read::waivers_field(policy, kept.shape);
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
                    valid.insert((id.to_string(), rule_id.to_string()), (k, w, false));
                }
            }
        }
    }
    for f in &mut outcome.findings {
        let Some(record) = &f.record else { continue };
        if let Some(entry) = valid.get_mut(&(record.clone(), f.rule.clone())) {
            f.waived = true;
            entry.2 = true;
        }
    }
    if let Some(rule) = rule {
        report_invalid(policy, rule, gathered, invalid, outcome);
    }
    if let Some(rule) = policy.builtin(BuiltinRule::UnusedWaivers) {
        report_unused(policy, rule, gathered, valid, outcome);
    }
}

/// A waiver that waives nothing because it is broken: its record, the value to blame, message and label.
type Invalid<'a> = (usize, Origin<'a>, String, &'static str);

/// (record id, rule id) → (kept index, waiver index, used)
type Valid = HashMap<(String, String), (usize, usize, bool)>;

fn report_invalid(
    policy: &Policy,
    rule: &RuleDef,
    gathered: &Gathered,
    invalid: Vec<Invalid<'_>>,
    outcome: &mut Outcome,
) {
    for (k, origin, message, label) in invalid {
        let kept = &gathered.kept[k];
        let raw = RawFinding {
            severity: rule.severity,
            message,
            blame: vec![Blame::primary(origin, label.to_string())],
        };
        outcome.findings.push(finding::locate(
            policy,
            rule,
            raw,
            &kept.value,
            kept.place,
            &kept.source,
        ));
    }
}

fn report_unused(
    policy: &Policy,
    rule: &RuleDef,
    gathered: &Gathered,
    valid: Valid,
    outcome: &mut Outcome,
) {
    let mut unused: Vec<_> = valid
        .into_iter()
        .filter(|(_, (_, _, used))| !used)
        .collect();
    unused.sort_by_key(|(_, (k, w, _))| (*k, *w));
    for ((_, rule_id), (k, w, _)) in unused {
        let kept = &gathered.kept[k];
        let field = super::read::waivers_field(policy, kept.shape);
        let node = kept.value.get(field).and_then(|ws| ws.get(w));
        let raw = RawFinding {
            severity: rule.severity,
            message: format!("unused waiver: this record has no finding of {rule_id} to waive"),
            blame: vec![Blame::primary(
                node.map_or(Origin::None, Origin::Node),
                "waives nothing".into(),
            )],
        };
        outcome.findings.push(finding::locate(
            policy,
            rule,
            raw,
            &kept.value,
            kept.place,
            &kept.source,
        ));
    }
}
