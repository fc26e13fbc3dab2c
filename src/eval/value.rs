//! Runtime values, each with the JSON node it came from so a failed requirement can be located.

use std::cmp::Ordering;

use crate::json::Json;
use jiff::civil::Date;

use crate::check::ir::Const;
use crate::time::DateTime;

#[derive(Debug, Clone)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(&'a str),
    Owned(String),
    Date(Date),
    DateTime(DateTime),
    Duration(jiff::SignedDuration),
    /// An object or array of the record, read lazily.
    Node(&'a Json),
    /// A list computed from the record's arrays, such as `ordered(steps)`.
    Items(Vec<&'a Json>),
    Set(&'a [Const]),
}

/// Where a value came from in the record: a node, or the object that lacks the field.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    None,
    Node(&'a Json),
    Missing(&'a Json, &'a str),
}

impl Origin<'_> {
    pub fn is_none(&self) -> bool {
        matches!(self, Origin::None)
    }
}

/// The elements of a list value, in order, whichever way the list is held.
pub struct Elements<'v, 'a> {
    array: std::slice::Iter<'a, Json>,
    picked: std::slice::Iter<'v, &'a Json>,
}

impl<'a> Iterator for Elements<'_, 'a> {
    type Item = &'a Json;

    fn next(&mut self) -> Option<&'a Json> {
        self.array.next().or_else(|| self.picked.next().copied())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.array.len() + self.picked.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Elements<'_, '_> {}

impl<'a> Val<'a> {
    /// The elements of a list: an array of the record or a computed list; `None` otherwise.
    pub fn elements(&self) -> Option<Elements<'_, 'a>> {
        match self {
            Val::Node(Json::Array(items)) => Some(Elements {
                array: items.iter(),
                picked: [].iter(),
            }),
            Val::Items(items) => Some(Elements {
                array: [].iter(),
                picked: items.iter(),
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Traced<'a> {
    pub val: Val<'a>,
    pub origin: Origin<'a>,
}

impl<'a> Traced<'a> {
    pub fn new(val: Val<'a>, origin: Origin<'a>) -> Traced<'a> {
        Traced { val, origin }
    }

    pub fn plain(val: Val<'a>) -> Traced<'a> {
        Traced {
            val,
            origin: Origin::None,
        }
    }

    pub fn truthy(&self) -> bool {
        matches!(self.val, Val::Bool(true))
    }
}

impl<'a> Val<'a> {
    pub fn from_const(c: &'a Const) -> Val<'a> {
        match c {
            Const::Bool(b) => Val::Bool(*b),
            Const::Int(i) => Val::Int(*i),
            Const::Number(n) => Val::Num(*n),
            Const::String(s) => Val::Str(s),
            Const::Date(d) => Val::Date(*d),
            Const::DateTime(d) => Val::DateTime(*d),
            Const::Duration(d) => Val::Duration(*d),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Owned(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    /// Equality across compatible kinds; a datetime meets a date as its calendar date.
    pub fn equals(&self, other: &Val<'_>) -> bool {
        // Two strings (a field against an enum value or a set's strings, most comparisons a scope
        // makes) are equal as `==` says, which compares the lengths first; their order, which
        // compares bytes before lengths, is not needed.
        if let (Some(a), Some(b)) = (self.as_str(), other.as_str()) {
            return a == b;
        }
        self.compare(other) == Some(Ordering::Equal)
    }

    /// Ordering across compatible kinds; `None` when either is absent or they do not compare.
    pub fn compare(&self, other: &Val<'_>) -> Option<Ordering> {
        use Val::*;
        match (self, other) {
            (Null, _) | (_, Null) => None,
            (Bool(a), Bool(b)) => Some(a.cmp(b)),
            (Int(a), Int(b)) => Some(a.cmp(b)),
            (Int(a), Num(b)) => (*a as f64).partial_cmp(b),
            (Num(a), Int(b)) => a.partial_cmp(&(*b as f64)),
            (Num(a), Num(b)) => a.partial_cmp(b),
            (Date(a), Date(b)) => Some(a.cmp(b)),
            (DateTime(a), DateTime(b)) => Some(a.timestamp.cmp(&b.timestamp)),
            (DateTime(a), Date(b)) => Some(a.date().cmp(b)),
            (Date(a), DateTime(b)) => Some(a.cmp(&b.date())),
            (Duration(a), Duration(b)) => Some(a.cmp(b)),
            (Node(a), Node(b)) => (a == b).then_some(Ordering::Equal),
            _ => match (self.as_str(), other.as_str()) {
                (Some(a), Some(b)) => Some(a.cmp(b)),
                _ => None,
            },
        }
    }

    /// The value as a message shows it, a person with the role in the field `role`.
    pub fn render(&self) -> String {
        self.render_with_role("role")
    }

    /// The value as a message shows it, a person (or each person of a list) with the role in
    /// `role_field`: the field its type declares with `as person(role: …)`.
    pub fn render_with_role(&self, role_field: &str) -> String {
        match self {
            Val::Null => "—".into(),
            Val::Bool(b) => b.to_string(),
            Val::Int(i) => i.to_string(),
            Val::Num(n) => n.to_string(),
            Val::Str(s) => (*s).to_string(),
            Val::Owned(s) => s.clone(),
            Val::Date(d) => d.to_string(),
            Val::DateTime(d) => d.to_string(),
            Val::Duration(d) => {
                let days = d.as_secs() / 86_400;
                if d.as_secs() % 86_400 == 0 {
                    format!("{days} day{}", if days == 1 { "" } else { "s" })
                } else {
                    format!("{d:#}")
                }
            }
            Val::Node(Json::Array(_)) | Val::Items(_) => {
                let items: Vec<&Json> = self.elements().into_iter().flatten().collect();
                let people: Option<Vec<String>> = items
                    .iter()
                    .map(|p| person_name_with(p, role_field))
                    .collect();
                match people {
                    Some(names) if !names.is_empty() => names.join(", "),
                    _ if items.is_empty() => "nobody".into(),
                    _ => format!(
                        "{} item{}",
                        items.len(),
                        if items.len() == 1 { "" } else { "s" }
                    ),
                }
            }
            Val::Node(node) => {
                person_name_with(node, role_field).unwrap_or_else(|| crate::json::written(node))
            }
            Val::Set(items) => items
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// "王建国 (executive_vice_mayor)" for a person object, else `None`.
pub fn person_name(node: &Json) -> Option<String> {
    person_name_with(node, "role")
}

/// "王建国 (executive_vice_mayor)" for a person object whose role is in `role_field`.
pub fn person_name_with(node: &Json, role_field: &str) -> Option<String> {
    let role = node.get(role_field)?.as_str()?;
    Some(match node.get("name").and_then(Json::as_str) {
        Some(name) => format!("{name} ({role})"),
        None => match node.get("id").and_then(Json::as_str) {
            Some(id) => format!("{id} ({role})"),
            None => role.to_string(),
        },
    })
}

/// What a message calls an object of the record: its `name`, else its `id`, else its `role`
/// ("何平", "P-301", "mayor"), the first that is not blank; `None` for an object with none of them.
pub fn display_name(node: &Json) -> Option<String> {
    display_name_with(node, "role")
}

/// What a message calls an object of the record whose role, if it is a person, is in
/// `role_field` (the field its type declares with `as person(role: …)`): its `name`, else its
/// `id`, else its role, the first that is not blank.
pub fn display_name_with(node: &Json, role_field: &str) -> Option<String> {
    ["name", "id", role_field]
        .iter()
        .find_map(|key| {
            node.get(key)
                .and_then(Json::as_str)
                .filter(|s| !s.trim().is_empty())
        })
        .map(str::to_string)
}
