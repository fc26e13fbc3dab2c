//! The record set: gathering what each file kept, then the rules about the set itself —
//! duplicate ids (set.1), references (set.2) and the rules that needed the whole set.

use std::collections::HashMap;

use rayon::prelude::*;
use serde_json::Value as Json;

use super::finding::{self, Elsewhere, Finding, Site};
use super::read::{self, Deferred, Seen};
use super::Outcome;
use crate::check::{BuiltinRule, Policy, RuleKind, Ty};
use crate::diagnostic::Label;
use crate::eval::{self, World};
use crate::records::pointer::Pointer;
use crate::records::{locate_in_file, Place, Refetch};
use crate::source::{SourceFile, Span};

/// Every file's facts, in the order the files were read.
pub type Gathered = super::read::SetFacts;

/// What a reference to a record no reference names gives: nothing (no rule reads it).
static NO_FIELDS: std::sync::LazyLock<Json> =
    std::sync::LazyLock::new(|| Json::Object(serde_json::Map::new()));

pub fn judge_set(policy: &Policy, gathered: &mut Gathered, outcome: &mut Outcome, trace: bool) {
    duplicates(policy, gathered, outcome);
    let named = named_fields(policy, gathered, outcome);
    let mut world = World {
        period: outcome.period,
        ..World::default()
    };
    for seen in &gathered.ids {
        if let Some(shape) = seen.spot.shape() {
            let fields = named.get(&*seen.id).unwrap_or(&NO_FIELDS);
            world.records.entry(&seen.id).or_insert((shape, fields));
        }
    }
    for refused in &gathered.refused {
        match (&refused.readable, refused.shape) {
            (Some(value), Some(shape)) => {
                world.records.entry(&refused.id).or_insert((shape, value));
            }
            _ => {
                world.refused.entry(&refused.id).or_insert(refused.shape);
            }
        }
    }
    references(policy, gathered, &world, outcome);
    // Read again and judged in parallel; added in the order they were read.
    // Most find nothing: only what they found is kept, boxed, till all are done.
    let parts: Vec<Option<Box<read::FileResult>>> = gathered
        .deferred
        .par_iter()
        .map(|deferred| {
            let mut part = read::FileResult::default();
            judge_deferred(policy, deferred, &world, &mut part, trace);
            let found =
                !(part.findings.is_empty() && part.bad_inputs.is_empty() && part.judged.is_empty());
            found.then(|| Box::new(part))
        })
        .collect();
    for part in parts.into_iter().flatten() {
        outcome.findings.extend(part.findings);
        outcome.bad_inputs.extend(part.bad_inputs);
        outcome.judged.extend(part.judged);
    }
}

/// What rules may read through a reference, of each record a reference names (the first record
/// of its id): read again from its file, since only these few are needed.
fn named_fields(
    policy: &Policy,
    gathered: &Gathered,
    outcome: &mut Outcome,
) -> HashMap<String, Json> {
    let wanted: std::collections::HashSet<&str> =
        gathered.references.iter().map(|r| &*r.target).collect();
    let mut named = HashMap::new();
    for seen in &gathered.ids {
        let Some(shape) = seen.spot.shape() else {
            continue;
        };
        if !wanted.contains(&*seen.id) || named.contains_key(&*seen.id) {
            continue;
        }
        match read_again(&seen.refetch, seen.spot.place()) {
            Some((value, _)) => {
                let fields = read::reference_fields(policy, shape, &value);
                named.insert(seen.id.to_string(), fields);
            }
            None => outcome.bad_inputs.push(changed(&seen.refetch)),
        }
    }
    named
}

/// A record read again, now that the set is known, and judged by the rules that needed the set.
fn judge_deferred(
    policy: &Policy,
    deferred: &Deferred,
    world: &World,
    outcome: &mut read::FileResult,
    trace: bool,
) {
    let Some((value, source)) = read_again(&deferred.refetch, deferred.spot.place()) else {
        outcome.bad_inputs.push(changed(&deferred.refetch));
        return;
    };
    // Its own store of dates and datetimes, decoded as its rules read them: this value is new.
    let decoded = std::rc::Rc::new(crate::time::Decoded::default());
    for (index, rule) in policy.rules.iter().enumerate() {
        let RuleKind::Record(body) = &rule.kind else {
            continue;
        };
        if !rule.needs_context || Some(body.record) != deferred.spot.shape() {
            continue;
        }
        let known = (deferred.in_scope.iter()).any(|&i| usize::from(i) == index);
        let in_scope = match known || !body.scope_needs_context {
            true => Ok(known),
            // Evaluated now, and only now: the scope needs the set.
            false => eval::scope(policy, rule, body, (&value, &decoded), world),
        };
        let judged = match in_scope {
            Ok(false) => continue,
            Ok(true) => {
                if trace {
                    outcome.judged.push(crate::audit::Judged {
                        rule: rule.id.clone(),
                        subject: read::record_id(&value),
                        file: Some(source.name.clone()),
                    });
                }
                eval::judge_in_scope(policy, rule, body, (&value, &decoded), world)
            }
            Err(e) => Err(e),
        };
        match judged {
            Ok(raws) => {
                for raw in raws {
                    outcome.findings.push(finding::locate(
                        rule,
                        raw,
                        &value,
                        deferred.spot.place(),
                        &source,
                    ));
                }
            }
            Err(e) => outcome.bad_inputs.push(read::unjudgeable(
                rule,
                e,
                &value,
                deferred.spot.place(),
                &source,
            )),
        }
    }
}

/// A record's text read again from its file, and its value.
fn read_again(refetch: &Refetch, place: Place) -> Option<(Json, std::sync::Arc<SourceFile>)> {
    let source = refetch.fetch()?;
    let start = crate::records::record_start(&source, place).0;
    let value = serde_json::from_str(source.text.get(start..)?).ok()?;
    Some((value, source))
}

/// A file that changed while it was audited: what was read first no longer reads the same.
fn changed(refetch: &Refetch) -> crate::audit::BadInput {
    crate::audit::BadInput::unlocated(
        refetch.origin.name.clone(),
        format!(
            "cannot read line {} again: the file changed while it was audited",
            refetch.start().line
        ),
    )
}

/// set.1: every id once; each later occurrence is a finding, labelled with the first as well.
fn duplicates(policy: &Policy, gathered: &Gathered, outcome: &mut Outcome) {
    let Some(rule) = policy.builtin(BuiltinRule::UniqueIds) else {
        return;
    };
    // The original of an id is its first use in the report's order, whatever the order of the
    // paths on the command line: files by name, then position in the file.
    let mut in_report_order: Vec<&Seen> = gathered.ids.iter().collect();
    in_report_order.sort_by_key(|s| (&s.refetch.origin.name, position(s.spot.place())));
    let mut first: HashMap<&str, &Seen> = HashMap::new();
    for seen in in_report_order {
        let Some(earlier) = first.get(&*seen.id).copied() else {
            first.insert(&seen.id, seen);
            continue;
        };
        // The two records' texts are read again: only a duplicate needs them.
        let (Some(here_source), Some(there_source)) =
            (seen.refetch.fetch(), earlier.refetch.fetch())
        else {
            outcome.bad_inputs.push(changed(&seen.refetch));
            continue;
        };
        let id_pointer = Pointer::root().key("id");
        let span_of = |source: &SourceFile, place: Place| {
            locate_in_file(source, place, &id_pointer).map_or(Span::new(0, 0), |l| l.span)
        };
        let here = span_of(&here_source, seen.spot.place());
        let there = span_of(&there_source, earlier.spot.place());
        let (line, column) = here_source.line_column(here.start);
        let (first_line, _) = there_source.line_column(there.start);
        let message = format!(
            "id `{}` is used again (first at {}:{first_line})",
            seen.id, there_source.name
        );
        outcome.findings.push(Finding {
            rule: rule.id.clone(),
            article: None,
            severity: rule.severity,
            waived: false,
            message,
            record: Some(seen.id.to_string()),
            file: Some(here_source.name.clone()),
            line: Some(line),
            column: Some(column),
            pointer: Some("/id".into()),
            period: None,
            group: None,
            counted: Vec::new(),
            fingerprint: String::new(),
            new: None,
            require: None,
            place: Some(Site {
                source: here_source,
                labels: vec![Label::primary(here, "used again here")],
                elsewhere: vec![Elsewhere {
                    note: format!("first use of `{}`", seen.id),
                    source: there_source,
                    span: there,
                    label: "first used here".into(),
                }],
            }),
            runs: None,
        });
    }
}

/// Where a record sits in its file, in the file's order.
fn position(place: Place) -> usize {
    match place {
        Place::Whole => 0,
        Place::Element { index, .. } => index,
        Place::Line { line, .. } => line,
    }
}

/// set.2: every reference names a record of the set, of the declared type.
fn references(policy: &Policy, gathered: &Gathered, world: &World, outcome: &mut Outcome) {
    let Some(rule) = policy.builtin(BuiltinRule::References) else {
        return;
    };
    for reference in &gathered.references {
        let Some(field) = (reference.spot.shape())
            .and_then(|shape| policy.shapes.get(shape))
            .and_then(|s| s.fields.get(reference.field as usize))
        else {
            continue;
        };
        let Ty::Ref(target) = field.ty else { continue };
        let id = &*reference.target;
        let target_name = policy
            .shapes
            .get(target)
            .map_or("record", |s| s.name.as_str());
        let found = match (world.records.get(id), world.refused.get(id)) {
            (Some((found, _)), _) => Some(*found),
            (None, Some(Some(found))) => Some(*found),
            // A refused record of no known type resolves the reference: its type is at fault.
            (None, Some(None)) => continue,
            (None, None) => None,
        };
        let message = match found {
            Some(found) if found == target => continue,
            Some(found) => {
                let found = policy
                    .shapes
                    .get(found)
                    .map_or("record", |s| s.name.as_str());
                format!(
                    "`{}` names `{id}`, which is {}, not {}",
                    field.name,
                    crate::wording::with_article(found),
                    crate::wording::with_article(target_name)
                )
            }
            None => format!(
                "`{}` names `{id}`, which is not a record of this set",
                field.name
            ),
        };
        // Only a broken reference needs its record's text: read again here.
        let Some((value, source)) = read_again(&reference.refetch, reference.spot.place()) else {
            outcome.bad_inputs.push(changed(&reference.refetch));
            continue;
        };
        let raw = eval::RawFinding {
            require: None,
            severity: rule.severity,
            message,
            blame: vec![eval::Blame::primary(
                value
                    .get(&field.name)
                    .map_or(eval::value::Origin::None, eval::value::Origin::Node),
                format!("should name {}", crate::wording::with_article(target_name)),
            )],
        };
        outcome.findings.push(finding::locate(
            rule,
            raw,
            &value,
            reference.spot.place(),
            &source,
        ));
    }
}
