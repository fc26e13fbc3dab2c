//! The compiled form of rule expressions: names resolved, types known. Built by the checker,
//! run by the evaluator.

use jiff::civil::Date;

use super::model::{ShapeId, Ty};
use crate::ast::{BinaryOp, QuantifierKind};
use crate::source::Span;
use crate::time::DateTime;

/// A constant: a literal, a parameter's value, or an enum variant.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Const {
    Bool(bool),
    Int(i64),
    Number(f64),
    String(String),
    Date(Date),
    DateTime(DateTime),
    Duration(jiff::SignedDuration),
}

impl std::fmt::Display for Const {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Const::Bool(b) => write!(f, "{b}"),
            Const::Int(i) => write!(f, "{i}"),
            Const::Number(n) => write!(f, "{n}"),
            Const::String(s) => write!(f, "{s}"),
            Const::Date(d) => write!(f, "{d}"),
            Const::DateTime(d) => write!(f, "{d}"),
            Const::Duration(d) => write!(f, "{d:#}"),
        }
    }
}

/// A builtin function: its entry in the registry ([`crate::builtins`]), which says how to run it.
pub type Builtin = &'static crate::builtins::Builtin;

/// A field's name, with its position among the fields of its type (`policy.shapes[shape].fields`):
/// a field of the record itself is read by that position from the record's store, where
/// validation put it, rather than looked up by name again by every rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldName {
    pub name: Box<str>,
    pub index: usize,
}

impl std::ops::Deref for FieldName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Display for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// An expression. Equal (`==`) when the same computation: spans take no part in equality, so two
/// rules that write the same condition have equal expressions.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ir {
    pub node: Node,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Node {
    Const(Const),
    /// The record being judged.
    Root,
    Local(usize),
    /// A field of an object; `ty` of the enclosing `Ir` tells how to read the JSON value.
    Field(Box<Ir>, FieldName),
    /// A reference followed to the record it names.
    Deref(Box<Ir>, ShapeId),
    Call(#[serde(with = "crate::builtins::by_name")] Builtin, Vec<Ir>),
    Quantifier {
        kind: QuantifierKind,
        slot: usize,
        source: Box<Ir>,
        body: Option<Box<Ir>>,
        /// The body as a direct test on the element's JSON, when it is that simple.
        quick: Option<Box<Quick>>,
    },
    Set(Vec<Const>),
    Not(Box<Ir>),
    Neg(Box<Ir>),
    Binary(BinaryOp, Box<Ir>, Box<Ir>),
    Exists(Box<Ir>),
    /// `date ± n working days` on the policy's calendar: the date, the count, whether it is taken
    /// away.
    WorkingDays {
        date: Box<Ir>,
        days: Box<Ir>,
        back: bool,
    },
    /// The condition, then the value when it holds and the value when it does not.
    If(Box<Ir>, Box<Ir>, Box<Ir>),
    Is {
        subject: Box<Ir>,
        who: Box<Who>,
        negated: bool,
    },
}

/// A compiled who-pattern.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Who {
    /// The value (or, for a person, its role) is one of these enum variants.
    OneOf {
        roles: Vec<String>,
        /// The person's field that holds the role; `None` when the subject is an enum value.
        role: Option<String>,
    },
    SameAs(Ir),
    Anyone,
    Alternatives(Vec<Who>),
    /// The person is among those the pattern names, and the area is in its list `areas`.
    InChargeOf {
        who: Box<Who>,
        area: Ir,
        areas: String,
    },
    Among(Box<Who>, Vec<Ir>),
    Guard(Box<Who>, Ir),
}

/// An ordered approval chain: the steps at `steps`, ordered by `at`, must contain the expected
/// steps in this order.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChainIr {
    pub steps: Ir,
    pub expected: Vec<ExpectedStep>,
    pub fields: ChainFields,
}

/// The fields a chain reads of each step, and of the person who took it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChainFields {
    pub action: String,
    pub by: String,
    pub at: String,
    /// The role field of the person in `by`, which a message shows beside the name.
    pub role: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExpectedStep {
    pub action: String,
    pub by: Who,
    /// "the secretary-general", "a vice mayor in charge of `education`" — filled in per record.
    pub describe: WhoText,
}

/// How a who-pattern reads in a message; areas are filled in from the record.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum WhoText {
    Text(String),
    Alternatives(Vec<WhoText>),
    InChargeOf(Box<WhoText>, Ir),
    Qualified(Box<WhoText>, String),
}

/// A message with `{expression}` holes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum TemplatePart {
    Text(String),
    Hole(Ir),
}

impl Ir {
    /// The conjuncts of a condition, left to right: `a`, `b` and `c` of `a and b and c` (however
    /// the `and`s nest), or the condition itself. The condition holds when each holds, judged in
    /// this order and stopping at the first that does not, as `and` evaluates.
    pub fn conjuncts(&self) -> Vec<&Ir> {
        let mut found = Vec::new();
        self.each_conjunct(&mut |c| found.push(c));
        found
    }

    fn each_conjunct<'i>(&'i self, f: &mut impl FnMut(&'i Ir)) {
        match &self.node {
            Node::Binary(BinaryOp::And, left, right) => {
                left.each_conjunct(f);
                right.each_conjunct(f);
            }
            _ => f(self),
        }
    }

    /// The names of the record's own fields that this expression reads (`kind` in `kind is
    /// executive`, `minutes` in `minutes.area`), added to `into`.
    pub fn root_fields(&self, into: &mut std::collections::BTreeSet<String>) {
        match &self.node {
            Node::Field(base, name) => {
                if matches!(base.node, Node::Root) {
                    into.insert(name.to_string());
                }
                base.root_fields(into);
            }
            Node::Const(_) | Node::Root | Node::Local(_) | Node::Set(_) => {}
            Node::Deref(inner, _) | Node::Not(inner) | Node::Neg(inner) | Node::Exists(inner) => {
                inner.root_fields(into)
            }
            Node::Call(_, args) => args.iter().for_each(|a| a.root_fields(into)),
            Node::Quantifier { source, body, .. } => {
                source.root_fields(into);
                if let Some(body) = body {
                    body.root_fields(into);
                }
            }
            Node::WorkingDays { date, days, .. } => {
                date.root_fields(into);
                days.root_fields(into);
            }
            Node::If(condition, then, otherwise) => {
                condition.root_fields(into);
                then.root_fields(into);
                otherwise.root_fields(into);
            }
            Node::Binary(_, left, right) => {
                left.root_fields(into);
                right.root_fields(into);
            }
            Node::Is { subject, who, .. } => {
                subject.root_fields(into);
                who.root_fields(into);
            }
        }
    }
}

impl Who {
    fn root_fields(&self, into: &mut std::collections::BTreeSet<String>) {
        match self {
            Who::OneOf { .. } | Who::Anyone => {}
            Who::SameAs(ir) => ir.root_fields(into),
            Who::Alternatives(alternatives) => {
                alternatives.iter().for_each(|w| w.root_fields(into))
            }
            Who::InChargeOf { who, area: ir, .. } | Who::Guard(who, ir) => {
                who.root_fields(into);
                ir.root_fields(into);
            }
            Who::Among(who, irs) => {
                who.root_fields(into);
                irs.iter().for_each(|ir| ir.root_fields(into));
            }
        }
    }
}

/// A scope conjunct that reads only fields of the record and compares them with constants
/// (`kind is plenary`, `kind in {plenary, executive}`, `major_decision`, `minutes exists`,
/// `not disclosure.classified`), compiled to a test on the record's JSON that gives what
/// evaluating the conjunct gives. A meeting is tested against a dozen such conjuncts; through
/// the evaluator each cost ten times the test.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Quick {
    /// The field holds a string that is one of `values` (`is`, `in`), or, negated, does not
    /// (`is not`: a field that is missing holds none of them).
    OneOf {
        field: FieldPath,
        values: Vec<String>,
        negated: bool,
    },
    /// `in` negated (`not in`): the field is present and holds none of `values`.
    NoneOf {
        field: FieldPath,
        values: Vec<String>,
    },
    /// The field holds `true`.
    True(FieldPath),
    /// The field is present and not null.
    Exists(FieldPath),
    /// The test does not hold.
    Not(Box<Quick>),
    /// Every test holds (`and`).
    All(Vec<Quick>),
    /// The field (`None`: the element itself) holds a person (an object) whose `role` is one of
    /// `roles`, or a string that is one of them (`t.by is office_deputy_director`, `m is mayor`);
    /// negated, it does not.
    Role {
        field: Option<FieldPath>,
        role: String,
        roles: Vec<String>,
        negated: bool,
    },
}

/// Where the fields a [`Quick`] test reads are read from.
#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
enum Base {
    /// The record itself (a rule's scope).
    Record,
    /// The element a quantifier binds to this slot, whose fields are looked up by name.
    Element(usize),
}

/// A field of the record itself, then fields of the objects it holds: `disclosure.classified`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldPath {
    /// The record's type, when known: its own field is then read by position from the record's
    /// store (`None`: looked up by name).
    pub shape: Option<ShapeId>,
    pub root_field: FieldName,
    pub then: Vec<FieldName>,
}

impl Quick {
    /// The test `condition` (of type bool) on the record compiles to, if it is one of the forms
    /// above.
    pub fn compile(condition: &Ir) -> Option<Quick> {
        Quick::compile_on(condition, Base::Record)
    }

    /// The test the body of a quantifier binding `slot` compiles to, on the element bound, if it
    /// is one of the forms above: `any(t in steps: t.action is text_check and t.by is …)`.
    pub fn compile_element(body: &Ir, slot: usize) -> Option<Quick> {
        Quick::compile_on(body, Base::Element(slot))
    }

    fn compile_on(condition: &Ir, base: Base) -> Option<Quick> {
        // Reading a field converts its JSON value as the field's type says; these types convert
        // a JSON value to null only when it is null, and a string to a string.
        let plain = |ty: &Ty| {
            matches!(
                ty,
                Ty::Bool | Ty::String | Ty::Enum(_) | Ty::Ref(_) | Ty::Shape(_) | Ty::Array(_)
            )
        };
        let textual = |ty: &Ty| matches!(ty, Ty::String | Ty::Enum(_) | Ty::Ref(_));
        let strings = |items: &[Const]| -> Option<Vec<String>> {
            (items.iter())
                .map(|c| match c {
                    Const::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect()
        };
        match &condition.node {
            Node::Field(..) if condition.ty == Ty::Bool => {
                FieldPath::of(condition, base).map(Quick::True)
            }
            Node::Exists(inner) if plain(&inner.ty) => {
                FieldPath::of(inner, base).map(Quick::Exists)
            }
            Node::Not(inner) => Quick::compile_on(inner, base).map(|q| Quick::Not(Box::new(q))),
            Node::Binary(BinaryOp::And, lhs, rhs) => {
                let part = |ir| match Quick::compile_on(ir, base)? {
                    Quick::All(parts) => Some(parts),
                    quick => Some(vec![quick]),
                };
                let mut parts = part(lhs)?;
                parts.extend(part(rhs)?);
                Some(Quick::All(parts))
            }
            Node::Is {
                subject,
                who,
                negated,
            } if textual(&subject.ty) => match &**who {
                Who::OneOf { roles, role: None } => Some(Quick::OneOf {
                    field: FieldPath::of(subject, base)?,
                    values: roles.clone(),
                    negated: *negated,
                }),
                _ => None,
            },
            Node::Is {
                subject,
                who,
                negated,
            } if matches!(subject.ty, Ty::Shape(_)) => match &**who {
                Who::OneOf {
                    roles,
                    role: Some(role),
                } => Some(Quick::Role {
                    field: match (&subject.node, base) {
                        (Node::Local(slot), Base::Element(bound)) if *slot == bound => None,
                        _ => Some(FieldPath::of(subject, base)?),
                    },
                    role: role.clone(),
                    roles: roles.clone(),
                    negated: *negated,
                }),
                _ => None,
            },
            Node::Binary(op @ (BinaryOp::In | BinaryOp::NotIn), subject, set)
                if textual(&subject.ty) =>
            {
                let Node::Set(items) = &set.node else {
                    return None;
                };
                let field = FieldPath::of(subject, base)?;
                let values = strings(items)?;
                Some(match op {
                    BinaryOp::In => Quick::OneOf {
                        field,
                        values,
                        negated: false,
                    },
                    _ => Quick::NoneOf { field, values },
                })
            }
            _ => None,
        }
    }
}

impl FieldPath {
    /// The path `ir` reads, if it is fields of fields of `base`. (A value on the way that is not
    /// an object has no fields: reading one of it gives null, whatever its type.)
    fn of(ir: &Ir, base: Base) -> Option<FieldPath> {
        let mut then = Vec::new();
        let mut here = ir;
        loop {
            let Node::Field(object, name) = &here.node else {
                return None;
            };
            let shape = match (&object.node, base) {
                (Node::Root, Base::Record) => match object.ty {
                    Ty::Shape(shape) => Some(Some(shape)),
                    _ => Some(None),
                },
                // An element is no record: its fields are not in the record's store.
                (Node::Local(slot), Base::Element(bound)) if *slot == bound => Some(None),
                _ => None,
            };
            if let Some(shape) = shape {
                then.reverse();
                return Some(FieldPath {
                    shape,
                    root_field: name.clone(),
                    then,
                });
            }
            then.push(name.clone());
            here = object;
        }
    }
}
