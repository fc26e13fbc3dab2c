//! Validation of a record against the record types declared in the policy (rule set.3).

use crate::json::Json;
use crate::text::same_text;

use super::pointer::{At, Pointer};
use crate::check::{Policy, ShapeId, Ty};
use crate::time::{parse_date, parse_datetime, Decoded, Temporal};
use crate::wording;

/// One way a record breaks the contract, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: Pointer,
    pub message: String,
    /// The problem is the key itself (a field a closed type does not declare), not its value.
    pub at_key: bool,
}

/// The record's type, or every problem found in it. Each date and datetime it checks, and the
/// record's own fields, are kept in `decoded`, the record's store, so that no rule decodes a date
/// again or looks a field of the record up by name.
pub fn validate<'r>(
    policy: &Policy,
    record: &'r Json,
    decoded: &Decoded<'r>,
) -> Result<ShapeId, Vec<Problem>> {
    let problem = |pointer: Pointer, message: String| {
        vec![Problem {
            pointer,
            message,
            at_key: false,
        }]
    };
    let Json::Object(map) = record else {
        return Err(problem(Pointer::root(), "a record is an object".into()));
    };
    let type_name = match map.get("type") {
        Some(Json::String(t)) => t,
        Some(_) => {
            return Err(problem(
                Pointer::root().key("type"),
                "`type` is a string".into(),
            ))
        }
        None => return Err(problem(Pointer::root(), "the record has no `type`".into())),
    };
    let Some(&shape) = policy.records.get(&**type_name) else {
        let mut known: Vec<&str> = policy.records.keys().map(String::as_str).collect();
        known.sort_unstable();
        return Err(problem(
            Pointer::root().key("type"),
            format!(
                "unknown record type `{type_name}`; known types: {}",
                known.join(", ")
            ),
        ));
    };
    let mut problems = Vec::new();
    check_object(policy, shape, record, &At::Root, (&mut problems, decoded));
    if problems.is_empty() {
        Ok(shape)
    } else {
        Err(problems)
    }
}

fn check_object<'r>(
    policy: &Policy,
    shape: ShapeId,
    value: &'r Json,
    at: &At<'_>,
    (problems, decoded): (&mut Vec<Problem>, &Decoded<'r>),
) {
    let Some(def) = policy.shapes.get(shape) else {
        return;
    };
    let Json::Object(map) = value else {
        problems.push(Problem {
            pointer: at.pointer(),
            at_key: false,
            message: format!(
                "{} is {} (an object), found {}",
                subject(at),
                wording::with_article(&def.name),
                kind(value)
            ),
        });
        return;
    };
    // One pass over the record's own keys finds each declared field's value (a key is compared
    // with a field's name only when their lengths agree); the fields are then checked in the
    // order the policy declares them. A record's fields are few, so their values sit on the stack.
    let mut on_stack: [Option<&'r Json>; 32] = [None; 32];
    let mut on_heap: Vec<Option<&'r Json>> = Vec::new();
    let found: &mut [Option<&'r Json>] = if def.fields.len() <= on_stack.len() {
        &mut on_stack[..def.fields.len()]
    } else {
        on_heap.resize(def.fields.len(), None);
        &mut on_heap
    };
    // Keys a closed type does not declare, reported in the order of their names (as a sorted
    // map would give them), whatever order the text gives them in.
    let mut undeclared: Vec<&str> = Vec::new();
    // Exports mostly give a record's keys in the order the policy declares its fields (leaving
    // out those it lacks): each key is compared first with the field after the last one found.
    let mut next = 0;
    let fields = def.fields.len();
    for (key, v) in map.iter() {
        let expected = next < fields && same_text(&def.fields[next].name, key);
        let index = if expected {
            Some(next)
        } else {
            (0..fields).find(|&i| same_text(&def.fields[i].name, key))
        };
        match index {
            Some(index) => {
                found[index] = Some(v);
                next = index + 1;
            }
            // A closed type lists every field: another is a misspelling or a field the policy
            // does not know, and a rule would quietly skip the record.
            None if def.closed && !(def.is_record && key == "type") => undeclared.push(key),
            None => {}
        }
    }
    undeclared.sort_unstable();
    for key in undeclared {
        let whose = if def.is_record {
            wording::with_article(&def.name)
        } else {
            format!("`{}`", def.name)
        };
        let names: Vec<String> = def.fields.iter().map(|f| f.name.clone()).collect();
        let hint =
            crate::check::suggest(key, &names).map_or_else(String::new, |s| format!("; {s}"));
        problems.push(Problem {
            pointer: At::Key(at, key).pointer(),
            message: format!("{whose} has no field `{key}`{hint}"),
            at_key: true,
        });
    }
    // The record's own fields, found here once, are what every rule on the record reads.
    if matches!(at, At::Root) {
        decoded.keep_fields(value, shape, found);
    }
    for (field, value) in def.fields.iter().zip(found.iter()) {
        let here = At::Key(at, &field.name);
        match value {
            None | Some(Json::Null) if field.required => {
                let whose = if def.is_record {
                    wording::with_article(&def.name)
                } else {
                    format!("`{}`", def.name)
                };
                problems.push(Problem {
                    pointer: here.pointer(),
                    at_key: false,
                    message: format!("`{}` is required for {whose}", field.name),
                });
            }
            None | Some(Json::Null) => {}
            Some(v) => {
                if !plainly_valid(policy, &field.ty, v) {
                    check_value(policy, &field.ty, v, &here, (&mut *problems, decoded));
                }
                let empty = matches!(v, Json::String(s) if s.is_empty())
                    || matches!(v, Json::Array(a) if a.is_empty());
                if field.nonempty && empty {
                    problems.push(Problem {
                        pointer: here.pointer(),
                        at_key: false,
                        message: format!("`{}` must not be empty", field.name),
                    });
                }
            }
        }
    }
}

/// Whether `value` is of type `ty` at a glance: a string, flag, number or enum value of its
/// type, which has nothing to report and nothing to decode. Most of a record's values are.
#[inline]
fn plainly_valid(policy: &Policy, ty: &Ty, value: &Json) -> bool {
    match (ty, value) {
        (Ty::String | Ty::Ref(_), Json::String(_)) => true,
        (Ty::Bool, Json::Bool(_)) | (Ty::Number, Json::Number(_)) => true,
        (Ty::Int, Json::Number(n)) => n.is_i64() || n.is_u64(),
        (Ty::Enum(e), Json::String(s)) => policy.enums.get(*e).is_some_and(|def| def.has(s)),
        _ => false,
    }
}

fn check_value<'r>(
    policy: &Policy,
    ty: &Ty,
    value: &'r Json,
    at: &At<'_>,
    (problems, decoded): (&mut Vec<Problem>, &Decoded<'r>),
) {
    // The field is named, since the message is read apart from its label: "`ad_hoc` is true or
    // false, found a string".
    let wrong = |expected: String| Problem {
        pointer: at.pointer(),
        at_key: false,
        message: format!("{} is {expected}, found {}", subject(at), kind(value)),
    };
    // A number where a whole one is wanted is named as it reads (`-0.0`, `1.5`, `1e3`): "found
    // a number" would contradict itself.
    let not_whole = |n: &crate::json::Number| Problem {
        pointer: at.pointer(),
        at_key: false,
        message: format!("{} is a whole number, found {n}", subject(at)),
    };
    match ty {
        Ty::Bool if !value.is_boolean() => problems.push(wrong("true or false".into())),
        Ty::Int if !(value.is_i64() || value.is_u64()) => problems.push(match value {
            Json::Number(n) => not_whole(n),
            _ => wrong("a whole number".into()),
        }),
        Ty::Number if !value.is_number() => problems.push(wrong("a number".into())),
        Ty::String | Ty::Ref(_) if !value.is_string() => problems.push(wrong("a string".into())),
        Ty::Date | Ty::DateTime => {
            let date = matches!(ty, Ty::Date);
            let (what, form) = if date {
                ("date", "a date (YYYY-MM-DD)")
            } else {
                ("datetime", "a datetime (RFC 3339 with an offset)")
            };
            let Some(s) = value.as_str() else {
                return problems.push(wrong(form.into()));
            };
            let parsed = if date {
                parse_date(s).map(Temporal::Date)
            } else {
                parse_datetime(s).map(Temporal::DateTime)
            };
            match parsed {
                Ok(temporal) => decoded.keep(value, temporal),
                Err(e) => problems.push(Problem {
                    pointer: at.pointer(),
                    at_key: false,
                    message: format!("`{s}` is not a {what}: {e}"),
                }),
            }
        }
        Ty::Enum(e) => match (value.as_str(), policy.enums.get(*e)) {
            (Some(s), Some(def)) if !def.has(s) => {
                let values: Vec<&str> = def.variants.iter().map(|(v, _)| v.as_str()).collect();
                problems.push(Problem {
                    pointer: at.pointer(),
                    at_key: false,
                    message: format!(
                        "`{s}` is not {}; expected one of {}",
                        wording::with_article(&def.name),
                        values.join(", ")
                    ),
                });
            }
            (None, Some(def)) => problems.push(wrong(format!(
                "{} (a string)",
                wording::with_article(&def.name)
            ))),
            _ => {}
        },
        Ty::Shape(s) => check_object(policy, *s, value, at, (problems, decoded)),
        Ty::Array(inner) => match value.as_array() {
            None => problems.push(wrong("a list".into())),
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_null() && !plainly_valid(policy, inner, item) {
                        let at = &At::Index(at, i);
                        check_value(policy, inner, item, at, (&mut *problems, decoded));
                    }
                }
            }
        },
        _ => {}
    }
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// The field a value sits in, in backticks, or "the record" for the record itself.
fn subject(at: &At<'_>) -> String {
    match at {
        At::Root => "the record".into(),
        _ => format!("`{}`", at.path()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::json::Json;

    use super::validate;
    use crate::time::Decoded;

    /// Validation keeps the record's own fields in its store, by their position in the record's
    /// type, even when it refuses the record; a rule reads them there. The store answers only for
    /// its record and type; a record of an unknown type leaves it empty, so that a rule looks
    /// its fields up by name.
    #[test]
    fn validation_keeps_the_records_fields_by_position() {
        let files = crate::policy_files::default_policy();
        let policy = crate::check::load(&files, &[]).expect("the bundled policy loads");
        let shape = policy.records["meeting"];
        let fields = &policy.shapes[shape].fields;
        // Refused (no `start`, `kind` not a meeting kind), with a nested object of its own.
        let record: Json =
            json!({"type": "meeting", "id": "m-1", "kind": "tea", "chair": {"name": "x"}}).into();
        let decoded = Decoded::default();
        assert!(validate(&policy, &record, &decoded).is_err());
        for (index, field) in fields.iter().enumerate() {
            let kept = decoded.field(&record, shape, index);
            assert_eq!(kept, Some(record.get(&field.name)), "{}", field.name);
        }
        assert_eq!(decoded.field(&record, shape, fields.len()), None);
        let copy = record.clone();
        assert_eq!(decoded.field(&copy, shape, 0), None, "another record");
        assert_eq!(decoded.field(&record, shape + 1, 0), None, "another type");

        let unknown: Json = json!({"type": "memo", "kind": "plenary"}).into();
        let decoded = Decoded::default();
        assert!(validate(&policy, &unknown, &decoded).is_err());
        assert_eq!(decoded.field(&unknown, shape, 0), None);
    }
}
