//! JSON pointers (RFC 6901): the typed location of a value inside a record.

use std::cell::{Cell, OnceCell};
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

/// The pointers of one record's nodes, found by identity: searched from the root while few are
/// asked for, indexed once (a map from each node to its parent and step) when a record has many
/// findings — a rule blaming each of 20,000 elements would otherwise search the record 20,000
/// times.
pub struct PointerIndex<'v> {
    root: &'v Value,
    asked: Cell<usize>,
    nodes: OnceCell<NodeTable<'v>>,
}

/// Each node of a value: its parent's slot and the step from it (the root is slot 0).
struct NodeTable<'v> {
    slot_of: foldhash::HashMap<*const Value, usize>,
    steps: Vec<(usize, Step<'v>)>,
}

#[derive(Clone, Copy)]
enum Step<'v> {
    Root,
    Key(&'v str),
    Index(usize),
}

impl<'v> PointerIndex<'v> {
    /// How many pointers are searched for before the record's nodes are indexed.
    const SEARCHED: usize = 4;

    pub fn new(root: &'v Value) -> PointerIndex<'v> {
        PointerIndex {
            root,
            asked: Cell::new(0),
            nodes: OnceCell::new(),
        }
    }

    /// Where `target` (a reference into the root) sits; `None` when it is not in the root.
    pub fn pointer_of(&self, target: &Value) -> Option<Pointer> {
        self.asked.set(self.asked.get() + 1);
        if self.asked.get() <= Self::SEARCHED {
            return Pointer::locate(self.root, target);
        }
        let table = self.nodes.get_or_init(|| NodeTable::of(self.root));
        let mut slot = *table.slot_of.get(&std::ptr::from_ref(target))?;
        let mut path = Vec::new();
        loop {
            let (parent, step) = table.steps[slot];
            match step {
                Step::Root => break,
                Step::Key(key) => path.push(Segment::Key(key.to_string())),
                Step::Index(index) => path.push(Segment::Index(index)),
            }
            slot = parent;
        }
        path.reverse();
        Some(Pointer(path))
    }
}

impl<'v> NodeTable<'v> {
    fn of(root: &'v Value) -> NodeTable<'v> {
        let mut table = NodeTable {
            slot_of: foldhash::HashMap::default(),
            steps: Vec::new(),
        };
        // Depth first with a stack of our own: a record's depth is limited, but not this walk's
        // business.
        let mut stack = vec![(root, 0, Step::Root)];
        while let Some((node, parent, step)) = stack.pop() {
            let slot = table.steps.len();
            table.steps.push((parent, step));
            table.slot_of.insert(std::ptr::from_ref(node), slot);
            match node {
                Value::Object(map) => {
                    stack.extend(map.iter().map(|(k, v)| (v, slot, Step::Key(k))));
                }
                Value::Array(items) => {
                    stack.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (v, slot, Step::Index(i))),
                    );
                }
                _ => {}
            }
        }
        table
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node of a record, asked for in any order and many times over (past the searches, so
    /// from the index), has the pointer a search from the root gives it.
    #[test]
    fn indexed_pointers_are_the_searched_ones() {
        let record: Value = serde_json::json!({
            "id": "M-1",
            "members": [{"id": "P-1", "role": "mayor"}, {"id": "P-2"}, ["a/b", {"~": 1}]],
            "chair": {"id": "P-1"},
            "empty": {}
        })
        .into();
        let mut nodes = Vec::new();
        collect(&record, &mut nodes);
        assert!(nodes.len() > 12);
        let index = PointerIndex::new(&record);
        for node in nodes.iter().rev().chain(&nodes) {
            let pointer = index.pointer_of(node).expect("a node of the record");
            assert_eq!(Some(&pointer), Pointer::locate(&record, node).as_ref());
        }
        assert!(index.nodes.get().is_some(), "the index was used");
        let elsewhere = Value::from(serde_json::json!("M-1"));
        assert_eq!(index.pointer_of(&elsewhere), None);
    }

    fn collect<'v>(value: &'v Value, nodes: &mut Vec<&'v Value>) {
        nodes.push(value);
        match value {
            Value::Object(map) => map.iter().for_each(|(_, v)| collect(v, nodes)),
            Value::Array(items) => items.iter().for_each(|v| collect(v, nodes)),
            _ => {}
        }
    }
}
