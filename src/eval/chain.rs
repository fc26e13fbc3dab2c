//! Ordered approval chains: the expected steps must appear, in order of `at`, among the record's
//! steps (other steps may come between). A failure says which step is missing, who acted
//! instead, or which two steps are out of order.

use crate::json::Json;

use super::expr::{eval, Env};
use super::judge::Blame;
use super::value::{person_name_with, Origin, Traced, Val};
use super::who;
use super::EvalError;
use crate::builtins::{order_key, taken_at};
use crate::check::ir::{ChainFields, ChainIr, ExpectedStep};
use crate::check::Ty;
use crate::time::DateTime;

/// A step of the record, with its place in the array and its time.
struct Step<'a> {
    node: &'a Json,
    action: Option<&'a str>,
    at: Option<DateTime>,
}

/// Why a chain failed, as a message and the places to label.
pub struct ChainFailure<'a> {
    pub message: String,
    pub blame: Vec<Blame<'a>>,
}

pub fn check<'a>(
    env: &mut Env<'a>,
    chain: &'a ChainIr,
) -> Result<Option<ChainFailure<'a>>, EvalError<'a>> {
    let list = eval(env, &chain.steps)?;
    let items: &'a [Json] = match list.val {
        Val::Node(Json::Array(items)) => items,
        _ => &[],
    };
    let f = &chain.fields;
    let mut steps: Vec<Step<'a>> = items
        .iter()
        .map(|node| Step {
            node,
            action: node.get(f.action.as_str()).and_then(Json::as_str),
            at: taken_at(node, &f.at, &*env.decoded),
        })
        .collect();
    steps.sort_by_key(|s| order_key(s.at));

    let mut next = 0usize;
    let mut previous: Option<(usize, &'a ExpectedStep)> = None;
    // Steps already matched to an earlier expected step: never blamed for a later one.
    let mut matched = vec![false; steps.len()];
    for expected in &chain.expected {
        let mut found = None;
        for (i, step) in steps.iter().enumerate().skip(next) {
            if is_match(env, expected, step, &f.by)? {
                found = Some(i);
                break;
            }
        }
        if let Some(i) = found {
            matched[i] = true;
            next = i + 1;
            previous = Some((i, expected));
            continue;
        }
        let wanted = who::describe(env, &expected.describe);
        let action = &expected.action;
        // A matching step that comes too early: out of order.
        for (i, step) in steps.iter().enumerate().take(next) {
            if is_match(env, expected, step, &f.by)? {
                let Some((p, before)) = previous else { break };
                let earlier = &steps[i];
                let later = &steps[p];
                let message = format!(
                    "`{action}` by {} ({}) comes before the `{}` it must follow ({})",
                    actor(f, earlier),
                    when(earlier),
                    before.action,
                    when(later),
                );
                return Ok(Some(ChainFailure {
                    message,
                    blame: vec![
                        Blame::primary(
                            at_of(f, earlier),
                            format!("`{action}` at {}", when(earlier)),
                        ),
                        Blame::secondary(
                            at_of(f, later),
                            format!("`{}` only at {}", before.action, when(later)),
                        ),
                    ],
                }));
            }
        }
        // The action was taken, but by someone else. Of the steps that took it, blame the one by
        // the person nearest to the pattern (a vice mayor not in charge of the area, rather than
        // a secretary-general's review that another rule asks for); else the first after the
        // previous expected step.
        let unmatched = |(i, s): &(usize, &Step<'a>)| !matched[*i] && s.action == Some(action);
        let candidates: Vec<(usize, &Step<'a>)> = steps
            .iter()
            .enumerate()
            .skip(next)
            .chain(steps.iter().enumerate().take(next))
            .filter(unmatched)
            .collect();
        let mut nearest = None;
        for (i, step) in &candidates {
            if let Some(person) = step.node.get(f.by.as_str()) {
                let by = Traced::new(env.convert(person, &Ty::Unknown), Origin::Node(person));
                if who::role_matches(env, &expected.by, &by)? {
                    nearest = Some((*i, *step));
                    break;
                }
            }
        }
        if let Some((_, step)) = nearest.or_else(|| candidates.first().copied()) {
            let by = step
                .node
                .get(f.by.as_str())
                .map_or(Origin::Missing(step.node, &f.by), Origin::Node);
            let message = format!("`{action}` by {}, expected {wanted}", actor(f, step));
            return Ok(Some(ChainFailure {
                message,
                blame: vec![Blame::primary(by, format!("expected {wanted}"))],
            }));
        }
        let after = previous.map_or(String::new(), |(i, p)| {
            format!(" after the `{}` by {}", p.action, actor(f, &steps[i]))
        });
        let message = format!("no `{action}` by {wanted}{after}");
        let place = if items.is_empty() {
            list.origin
        } else {
            Origin::Node(list_node(&list))
        };
        return Ok(Some(ChainFailure {
            message,
            blame: vec![Blame::primary(
                place,
                format!("needs a `{action}` by {wanted}"),
            )],
        }));
    }
    Ok(None)
}

fn list_node<'a>(list: &Traced<'a>) -> &'a Json {
    match list.val {
        Val::Node(node) => node,
        _ => &crate::json::NULL,
    }
}

fn is_match<'a>(
    env: &mut Env<'a>,
    expected: &'a ExpectedStep,
    step: &Step<'a>,
    by_field: &str,
) -> Result<bool, EvalError<'a>> {
    if step.action != Some(expected.action.as_str()) {
        return Ok(false);
    }
    let by = match step.node.get(by_field) {
        Some(person) => Traced::new(env.convert(person, &Ty::Unknown), Origin::Node(person)),
        None => return Ok(false),
    };
    who::matches(env, &expected.by, &by)
}

fn actor(f: &ChainFields, step: &Step<'_>) -> String {
    step.node
        .get(f.by.as_str())
        .and_then(|p| person_name_with(p, &f.role))
        .unwrap_or_else(|| "someone unnamed".into())
}

fn when(step: &Step<'_>) -> String {
    step.at
        .map_or_else(|| "undated".into(), |at| at.to_string())
}

fn at_of<'a>(f: &ChainFields, step: &Step<'a>) -> Origin<'a> {
    step.node
        .get(f.at.as_str())
        .map_or(Origin::Node(step.node), Origin::Node)
}
