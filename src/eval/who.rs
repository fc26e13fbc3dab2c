//! Matching who-patterns against a person (or an enum value).

use crate::json::Json;
use crate::text::same_text;

use super::expr::{eval, Env};
use super::value::{Traced, Val};
use super::EvalError;
use crate::check::ir::{Ir, Node, Who, WhoText};

/// The subject's role: a person's field `field` (its role field), or the enum value itself.
fn role<'v>(subject: &Val<'v>, field: Option<&str>) -> Option<&'v str> {
    match subject {
        Val::Node(person) => person.get(field?).and_then(Json::as_str),
        Val::Str(s) => Some(s),
        _ => None,
    }
}

fn person_id<'v>(v: &Val<'v>) -> Option<&'v str> {
    match v {
        Val::Node(person) => person.get("id").and_then(Json::as_str),
        _ => None,
    }
}

pub fn matches<'a>(
    env: &mut Env<'a>,
    who: &'a Who,
    subject: &Traced<'a>,
) -> Result<bool, EvalError<'a>> {
    Ok(match who {
        Who::OneOf { roles, role: field } => {
            match (role(&subject.val, field.as_deref()), subject.val.as_str()) {
                (Some(r), _) => roles.iter().any(|x| same_text(x, r)),
                (None, Some(s)) => roles.iter().any(|x| same_text(x, s)),
                _ => false,
            }
        }
        Who::Anyone => !subject.val.is_null(),
        Who::SameAs(target) => {
            let target = eval(env, target)?;
            matches!((person_id(&subject.val), person_id(&target.val)), (Some(a), Some(b)) if a == b)
        }
        Who::Alternatives(alternatives) => {
            for alternative in alternatives {
                if matches(env, alternative, subject)? {
                    return Ok(true);
                }
            }
            false
        }
        Who::InChargeOf {
            who: base,
            area,
            areas,
        } => {
            if !matches(env, base, subject)? {
                return Ok(false);
            }
            let area = eval(env, area)?;
            let Some(area) = area.val.as_str() else {
                return Ok(false);
            };
            match &subject.val {
                Val::Node(person) => person
                    .get(areas.as_str())
                    .and_then(Json::as_array)
                    .is_some_and(|p| p.iter().any(|a| a.as_str() == Some(area))),
                _ => false,
            }
        }
        Who::Among(base, lists) => {
            if !matches(env, base, subject)? {
                return Ok(false);
            }
            let Some(id) = person_id(&subject.val) else {
                return Ok(false);
            };
            let mut found = false;
            for list in lists {
                if let Val::Node(Json::Array(people)) = eval(env, list)?.val {
                    found |= people
                        .iter()
                        .any(|p| p.get("id").and_then(Json::as_str) == Some(id));
                }
            }
            found
        }
        Who::Guard(base, condition) => {
            matches(env, base, subject)? && eval(env, condition)?.truthy()
        }
    })
}

/// Whether `subject` has the role the pattern asks for, whatever its qualifiers (`in charge of`,
/// `among`, `if`) say: the person who came nearest, whom a failure should point at.
pub fn role_matches<'a>(
    env: &mut Env<'a>,
    who: &'a Who,
    subject: &Traced<'a>,
) -> Result<bool, EvalError<'a>> {
    match who {
        Who::InChargeOf { who: base, .. } | Who::Among(base, _) | Who::Guard(base, _) => {
            role_matches(env, base, subject)
        }
        Who::Alternatives(alternatives) => {
            for alternative in alternatives {
                if role_matches(env, alternative, subject)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => matches(env, who, subject),
    }
}

/// The who-pattern in words, with areas read from the record: "a vice mayor in charge of `education`".
pub fn describe<'a>(env: &mut Env<'a>, text: &'a WhoText) -> String {
    match text {
        WhoText::Text(t) => t.clone(),
        WhoText::Alternatives(parts) => parts
            .iter()
            .map(|p| describe(env, p))
            .collect::<Vec<_>>()
            .join(" or "),
        WhoText::InChargeOf(inner, area_ir) => {
            let area = match eval(env, area_ir) {
                Ok(a) if a.val.is_null() => None,
                Ok(a) => Some(a.val.render()),
                Err(_) => Some("unknown".into()),
            };
            let who = describe(env, inner);
            match (area, field_path(area_ir)) {
                (Some(area), _) => format!("{who} in charge of `{area}`"),
                // No area, so nobody is in charge: said in words, not as a dash.
                (None, Some(path)) => {
                    format!("{who} in charge of the area, which is not given (`{path}`)")
                }
                (None, None) => format!("{who} in charge of the area, which is not given"),
            }
        }
        WhoText::Qualified(inner, qualifier) => format!("{} {qualifier}", describe(env, inner)),
    }
}

/// The path a value is read from, as the policy writes it (`minutes.area`); `None` for a value
/// that is computed rather than read.
fn field_path(ir: &Ir) -> Option<String> {
    match &ir.node {
        Node::Field(base, name) => match &base.node {
            Node::Root | Node::Local(_) => Some(name.to_string()),
            _ => field_path(base).map(|p| format!("{p}.{name}")),
        },
        _ => None,
    }
}
