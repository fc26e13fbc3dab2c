//! The record set: gathering what each file kept, then the rules about the set itself —
//! duplicate ids (set.1), references (set.2) and the rules that needed the whole set.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::finding::{self, EventDate, Finding};
use super::read::{self, Counted, FileResult, Kept, Refused, Seen};
use super::Outcome;
use crate::check::{BuiltinRule, Period, Policy, RuleKind, Ty};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::eval::{self, World};
use crate::records::pointer::Pointer;
use crate::records::{locate_in_file, Place};
use crate::source::Span;

#[derive(Default)]
pub struct Gathered {
    pub ids: Vec<Seen>,
    pub counted: Vec<Counted>,
    pub kept: Vec<Kept>,
    pub refused: Vec<Refused>,
    pub first_event: Option<EventDate>,
    pub last_event: Option<EventDate>,
}

impl Gathered {
    pub fn absorb(&mut self, file: FileResult, outcome: &mut Outcome) {
        outcome.summary.records += file.records;
        outcome.findings.extend(file.findings);
        outcome.bad_inputs.extend(file.bad_inputs);
        self.ids.extend(file.ids);
        self.counted.extend(file.counted);
        self.kept.extend(file.kept);
        self.refused.extend(file.refused);
        outcome.judged.extend(file.judged);
        self.first_event = EventDate::earliest(self.first_event.take(), file.first_event);
        self.last_event = EventDate::latest(self.last_event.take(), file.last_event);
    }

    /// From the earliest to the latest event date of the set.
    pub fn inferred_period(&self) -> Option<Period> {
        Some(Period {
            from: self.first_event.as_ref()?.date,
            to: self.last_event.as_ref()?.date,
        })
    }
}

pub fn judge_set(policy: &Policy, gathered: &mut Gathered, outcome: &mut Outcome, trace: bool) {
    duplicates(policy, gathered, outcome);
    let mut world = World {
        period: outcome.period,
        ..World::default()
    };
    for kept in &gathered.kept {
        if let Some(id) = kept.value.get("id").and_then(Json::as_str) {
            world
                .records
                .entry(id)
                .or_insert((kept.shape, kept.value.as_ref()));
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
    for kept in &gathered.kept {
        for rule in &policy.rules {
            let RuleKind::Record(body) = &rule.kind else {
                continue;
            };
            if !rule.needs_context || body.record != kept.shape {
                continue;
            }
            if trace && eval::in_scope(policy, rule, body, &kept.value, &world) {
                outcome.judged.push(crate::audit::Judged {
                    rule: rule.id.clone(),
                    subject: read::record_id(&kept.value),
                    file: Some(kept.source.name.clone()),
                });
            }
            match eval::judge_record(policy, rule, body, &kept.value, &world) {
                Ok(raws) => {
                    for raw in raws {
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
                Err(e) => outcome.bad_inputs.push(read::unjudgeable(
                    policy,
                    rule,
                    e,
                    &kept.value,
                    kept.place,
                    &kept.source,
                )),
            }
        }
    }
}

/// set.1: every id once; each later occurrence is a finding, labelled with the first as well.
fn duplicates(policy: &Policy, gathered: &Gathered, outcome: &mut Outcome) {
    let Some(rule) = policy.builtin(BuiltinRule::UniqueIds) else {
        return;
    };
    // The original of an id is its first use in the report's order, whatever the order of the
    // paths on the command line: files by name, then position in the file.
    let mut in_report_order: Vec<&Seen> = gathered.ids.iter().collect();
    in_report_order.sort_by_key(|s| (&s.source.name, position(s.place)));
    let mut first: HashMap<&str, &Seen> = HashMap::new();
    for seen in in_report_order {
        let Some(earlier) = first.get(seen.id.as_str()).copied() else {
            first.insert(&seen.id, seen);
            continue;
        };
        let id_pointer = Pointer::root().key("id");
        let span_of = |s: &Seen| {
            locate_in_file(&s.source, s.place, &id_pointer).map_or(Span::new(0, 0), |l| l.span)
        };
        let (here, there) = (span_of(seen), span_of(earlier));
        let (line, column) = seen.source.line_column(here.start);
        let (first_line, _) = earlier.source.line_column(there.start);
        let message = format!(
            "id `{}` is used again (first at {}:{first_line})",
            seen.id, earlier.source.name
        );
        let mut diagnostic =
            Diagnostic::new(rule.severity, finding::rule_code(rule), message.clone())
                .in_file(seen.source.clone())
                .with_label(Label::primary(here, "used again here"));
        diagnostic.help = finding::help_text(policy, rule);
        diagnostic.related.push(
            Diagnostic::new(
                Severity::Advice,
                rule.id.clone(),
                format!("first use of `{}`", seen.id),
            )
            .in_file(earlier.source.clone())
            .with_label(Label::secondary(there, "first used here")),
        );
        outcome.findings.push(Finding {
            rule: rule.id.clone(),
            article: None,
            severity: rule.severity,
            waived: false,
            message,
            record: Some(seen.id.clone()),
            file: Some(seen.source.name.clone()),
            line: Some(line),
            column: Some(column),
            pointer: Some("/id".into()),
            period: None,
            counted: Vec::new(),
            fingerprint: String::new(),
            new: None,
            diagnostic,
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
    for kept in &gathered.kept {
        let Some(shape) = policy.shapes.get(kept.shape) else {
            continue;
        };
        for field in &shape.fields {
            let Ty::Ref(target) = field.ty else { continue };
            let Some(id) = kept.value.get(&field.name).and_then(Json::as_str) else {
                continue;
            };
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
            let raw = eval::RawFinding {
                severity: rule.severity,
                message,
                blame: vec![eval::Blame::primary(
                    kept.value
                        .get(&field.name)
                        .map_or(eval::value::Origin::None, eval::value::Origin::Node),
                    format!("should name {}", crate::wording::with_article(target_name)),
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
}
