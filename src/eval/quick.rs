//! Tests compiled from simple conditions ([`Quick`]), read directly on a record's JSON or on the
//! element a quantifier binds: what evaluating the condition gives, without the evaluator.

use crate::check::ir::{FieldPath, Quick};
use crate::json::Json;
use crate::text::same_text;
use crate::time::Decoded;

#[cfg(test)]
thread_local! {
    /// Off while a unit test has conditions compiled to tests evaluated instead.
    static ENABLED: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Whether conditions compiled to tests are tested directly: always, except while a unit test
/// compares them with the evaluator ([`evaluating_instead`]).
#[cfg(not(test))]
#[inline(always)]
pub(super) fn enabled() -> bool {
    true
}

#[cfg(test)]
pub(super) fn enabled() -> bool {
    ENABLED.get()
}

/// Runs `f` with every condition compiled to a test evaluated instead: scopes, requirements and
/// quantifiers' bodies.
#[cfg(test)]
pub(super) fn evaluating_instead<T>(f: impl FnOnce() -> T) -> T {
    ENABLED.set(false);
    let result = f();
    ENABLED.set(true);
    result
}

/// What evaluating the condition `quick` was compiled from gives on `value` (the record, or a
/// quantifier's element). `decoded` is the record's store, where the record's own fields were
/// found by validation; without it (and for an element) a field is looked up by name.
#[inline(always)]
pub(super) fn holds<'a, 'r: 'a>(
    quick: &Quick,
    value: &'a Json,
    decoded: Option<&Decoded<'r>>,
) -> bool {
    match quick {
        Quick::Not(inner) => !holds_within(inner, value, decoded),
        Quick::All(parts) => parts.iter().all(|part| holds_within(part, value, decoded)),
        test => test_holds(test, value, decoded),
    }
}

/// [`holds`] for a part of a test, out of line: a test is inlined where it is made, its parts not.
#[inline(never)]
fn holds_within<'a, 'r: 'a>(quick: &Quick, value: &'a Json, decoded: Option<&Decoded<'r>>) -> bool {
    holds(quick, value, decoded)
}

/// [`holds`] for a test of a field.
#[inline(always)]
fn test_holds<'a, 'r: 'a>(quick: &Quick, value: &'a Json, decoded: Option<&Decoded<'r>>) -> bool {
    let one_of = |found: Option<&Json>, values: &[String]| {
        found
            .and_then(Json::as_str)
            .is_some_and(|s| values.iter().any(|v| v == s))
    };
    match quick {
        Quick::OneOf {
            field,
            values,
            negated,
        } => one_of(read_path(field, value, decoded), values) != *negated,
        Quick::NoneOf { field, values } => {
            let found = read_path(field, value, decoded);
            found.is_some() && !one_of(found, values)
        }
        Quick::True(field) => matches!(read_path(field, value, decoded), Some(Json::Bool(true))),
        Quick::Exists(field) => read_path(field, value, decoded).is_some(),
        Quick::Not(_) | Quick::All(_) => holds_within(quick, value, decoded),
        Quick::Role {
            field,
            role,
            roles,
            negated,
        } => {
            // As a who-pattern matches: a person by its role, a string by itself.
            let subject = match field {
                Some(field) => read_path(field, value, decoded),
                None => Some(value).filter(|v| !v.is_null()),
            };
            let named = match subject {
                Some(person @ Json::Object(_)) => person.get(role.as_str()).and_then(Json::as_str),
                Some(Json::String(s)) => Some(s.as_str()),
                _ => None,
            };
            named.is_some_and(|r| roles.iter().any(|x| same_text(x, r))) != *negated
        }
    }
}

/// The value at `path` in `value`; `None` where a field is missing or null, or a value on the
/// way is not an object.
#[inline]
fn read_path<'a, 'r: 'a>(
    path: &FieldPath,
    value: &'a Json,
    decoded: Option<&Decoded<'r>>,
) -> Option<&'a Json> {
    let own = path.root_field.index;
    let kept =
        (path.shape.zip(decoded)).and_then(|(shape, decoded)| decoded.field(value, shape, own));
    let mut found = match kept {
        Some(kept) => kept,
        None => value.get(&*path.root_field),
    };
    for name in &path.then {
        found = found?.get(&**name);
    }
    found.filter(|v| !v.is_null())
}
