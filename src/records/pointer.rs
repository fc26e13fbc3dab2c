//! JSON pointers (RFC 6901): the typed location of a value inside a record.

use std::fmt;

use crate::json::Json as Value;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from a record's root to one of its values; empty for the record itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pointer(pub Vec<Segment>);

impl Pointer {
    pub fn root() -> Pointer {
        Pointer(Vec::new())
    }

    pub fn key(mut self, key: &str) -> Pointer {
        self.0.push(Segment::Key(key.to_string()));
        self
    }

    pub fn index(mut self, index: usize) -> Pointer {
        self.0.push(Segment::Index(index));
        self
    }

    /// Finds where `target` (a reference into `root`) sits, by identity. Used only when a finding
    /// needs a location, so the hot path never builds pointers.
    pub fn locate(root: &Value, target: &Value) -> Option<Pointer> {
        let mut path = Vec::new();
        find(root, target, &mut path).then_some(Pointer(path))
    }
}

/// Where a reader stands in a value, as a chain of borrowed steps: no allocation on the way down,
/// turned into a [`Pointer`] only when there is a problem to report.
#[derive(Clone, Copy)]
pub(crate) enum At<'p> {
    Root,
    Key(&'p At<'p>, &'p str),
    Index(&'p At<'p>, usize),
}

impl At<'_> {
    pub(crate) fn pointer(&self) -> Pointer {
        match self {
            At::Root => Pointer::root(),
            At::Key(parent, key) => parent.pointer().key(key),
            At::Index(parent, index) => parent.pointer().index(*index),
        }
    }

    /// The field as a policy names it, for messages: `evaluation.cost_benefit`, `members[2]`;
    /// empty for the record itself.
    pub(crate) fn path(&self) -> String {
        match self {
            At::Root => String::new(),
            At::Key(At::Root, key) => (*key).to_string(),
            At::Key(parent, key) => format!("{}.{key}", parent.path()),
            At::Index(parent, index) => format!("{}[{index}]", parent.path()),
        }
    }
}

fn find(here: &Value, target: &Value, path: &mut Vec<Segment>) -> bool {
    if std::ptr::eq(here, target) {
        return true;
    }
    match here {
        Value::Object(map) => map.iter().any(|(k, v)| {
            path.push(Segment::Key(k.to_string()));
            let found = find(v, target, path);
            if !found {
                path.pop();
            }
            found
        }),
        Value::Array(items) => items.iter().enumerate().any(|(i, v)| {
            path.push(Segment::Index(i));
            let found = find(v, target, path);
            if !found {
                path.pop();
            }
            found
        }),
        _ => false,
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.0 {
            match segment {
                Segment::Key(k) => write!(f, "/{}", k.replace('~', "~0").replace('/', "~1"))?,
                Segment::Index(i) => write!(f, "/{i}")?,
            }
        }
        Ok(())
    }
}
