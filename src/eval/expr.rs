//! Evaluating IR expressions against one record.

use std::rc::Rc;

use crate::json::Json;

use super::value::{Origin, Traced, Val};
use super::{builtins, quick, who, EvalError, World};
use crate::ast::{BinaryOp, QuantifierKind};
use crate::check::ir::{Ir, Node, Quick};
use crate::check::{Policy, Ty};
use crate::time::{self, Decoded, RecordStore};

/// The record being judged, bound variables, and what the record set provides.
pub struct Env<'a> {
    pub policy: &'a Policy,
    pub root: &'a Json,
    /// The record's dates and datetimes, decoded once for all its rules: one store per record,
    /// shared by the environments of its rules.
    pub decoded: Rc<dyn RecordStore<'a> + 'a>,
    /// The values of the rule's variables, by slot; grown on the first `set`, so that a scope
    /// or rule that binds nothing allocates nothing (an unset slot reads as null).
    locals: Vec<Traced<'a>>,
    /// How many slots the rule declares: a slot past them is never stored.
    slots: usize,
    pub world: &'a World<'a>,
    /// Set when something read through a reference that names no record of the set: the rule
    /// does not judge the record (set.2 reports the reference; catalogue 1.1, of 16.1), so no
    /// finding shows a value that is not there ("decided at a — meeting").
    pub unresolved: bool,
}

impl<'a> Env<'a> {
    /// An environment for one rule on `root`, reading the record's store `decoded`, which may
    /// borrow the record for longer than the environment borrows the policy and the set.
    pub fn new<'r: 'a>(
        policy: &'a Policy,
        root: &'a Json,
        decoded: Rc<Decoded<'r>>,
        slots: usize,
        world: &'a World<'a>,
    ) -> Env<'a> {
        Env {
            policy,
            root,
            decoded,
            locals: Vec::new(),
            slots,
            world,
            unresolved: false,
        }
    }

    pub fn set(&mut self, slot: usize, value: Traced<'a>) {
        if slot >= self.slots {
            return;
        }
        if slot >= self.locals.len() {
            self.locals.resize(self.slots, Traced::plain(Val::Null));
        }
        self.locals[slot] = value;
    }

    /// Reads a JSON value of the record as the declared type says.
    pub fn convert(&self, node: &'a Json, ty: &Ty) -> Val<'a> {
        convert(node, ty, &*self.decoded)
    }
}

/// Reads a JSON value as the declared type says, a date or datetime decoded once per record.
pub fn convert<'a>(node: &'a Json, ty: &Ty, decoded: &dyn RecordStore<'a>) -> Val<'a> {
    match (node, ty) {
        (Json::Null, _) => Val::Null,
        (Json::String(_), Ty::Date) => decoded.date(node).map_or(Val::Null, Val::Date),
        (Json::String(_), Ty::DateTime) => decoded.datetime(node).map_or(Val::Null, Val::DateTime),
        (Json::String(s), _) => Val::Str(s),
        (Json::Bool(b), _) => Val::Bool(*b),
        (Json::Number(n), Ty::Int) => n.as_i64().map_or(Val::Null, Val::Int),
        (Json::Number(n), _) => n
            .as_i64()
            .map(Val::Int)
            .or(n.as_f64().map(Val::Num))
            .unwrap_or(Val::Null),
        (Json::Object(_) | Json::Array(_), _) => Val::Node(node),
    }
}

fn first_origin<'a>(a: Origin<'a>, b: Origin<'a>) -> Origin<'a> {
    if a.is_none() {
        b
    } else {
        a
    }
}

/// The field `name` of `object`, `found` there or not, read as the declared type `ty` says: its
/// value where it is, null where it is missing (and where it would be, for a finding to point at).
#[inline]
fn field_read<'a>(
    env: &Env<'a>,
    (object, found): (&'a Json, Option<&'a Json>),
    name: &'a str,
    ty: &Ty,
) -> Traced<'a> {
    match found {
        Some(node) => Traced::new(env.convert(node, ty), Origin::Node(node)),
        None => Traced::new(Val::Null, Origin::Missing(object, name)),
    }
}

pub fn eval<'a>(env: &mut Env<'a>, ir: &'a Ir) -> Result<Traced<'a>, EvalError<'a>> {
    Ok(match &ir.node {
        Node::Const(c) => Traced::plain(Val::from_const(c)),
        Node::Root => Traced::new(Val::Node(env.root), Origin::Node(env.root)),
        Node::Local(slot) => env
            .locals
            .get(*slot)
            .cloned()
            .unwrap_or(Traced::plain(Val::Null)),
        Node::Field(base, name) => {
            // A field of the record itself is read from the record's store, by its position in
            // the record's type; the store answers for the record it holds, so a lookup by name
            // is left only for what it cannot say.
            if let (Node::Root, Ty::Shape(shape)) = (&base.node, &base.ty) {
                if let Some(found) = env.decoded.field(env.root, *shape, name.index) {
                    return Ok(field_read(env, (env.root, found), name, &ir.ty));
                }
            }
            // A field of a bound object (`t.action` in `any(t in steps: …)`), read without
            // copying the binding.
            if let Node::Local(slot) = base.node {
                if let Some(&Val::Node(object @ Json::Object(map))) =
                    env.locals.get(slot).map(|local| &local.val)
                {
                    return Ok(field_read(env, (object, map.get(&**name)), name, &ir.ty));
                }
            }
            let base = eval(env, base)?;
            match base.val {
                Val::Node(object @ Json::Object(map)) => {
                    field_read(env, (object, map.get(&**name)), name, &ir.ty)
                }
                _ => Traced::new(Val::Null, base.origin),
            }
        }
        Node::Deref(base, shape) => {
            let base = eval(env, base)?;
            // A refused record of the expected type (or of no known type) cannot be read; one of
            // another type gives nothing, as any reference to another type does.
            let unreadable = |id: &&str| {
                (env.world.refused(id))
                    .is_some_and(|found| found.is_none_or(|found| found == *shape))
            };
            if let Some(id) = base.val.as_str().filter(unreadable) {
                return Err(EvalError {
                    message: format!(
                        "it names `{id}`, a record refused as bad input, so nothing can be read of it"
                    ),
                    origin: base.origin,
                });
            }
            let target = base
                .val
                .as_str()
                .and_then(|id| env.world.record(id))
                .filter(|(s, _)| s == shape);
            match target {
                Some((_, record)) => Traced::new(Val::Node(record), base.origin),
                None => {
                    // An id that names no record at all (not one of another type, which the
                    // rule may judge): what is read through it is not there to judge.
                    let world = env.world;
                    env.unresolved |= base.val.as_str().is_some_and(|id| {
                        world.record(id).is_none() && world.refused(id).is_none()
                    });
                    Traced::new(Val::Null, base.origin)
                }
            }
        }
        Node::Call(builtin, args) => builtins::call(env, builtin, args)?,
        Node::Quantifier {
            kind,
            slot,
            source,
            body,
            quick,
        } => quantifier(
            env,
            (*kind, *slot),
            source,
            body.as_deref(),
            quick.as_deref(),
        )?,
        Node::Set(items) => Traced::plain(Val::Set(items)),
        Node::Not(inner) => {
            let inner = eval(env, inner)?;
            Traced::new(Val::Bool(!inner.truthy()), inner.origin)
        }
        Node::Neg(inner) => {
            let inner = eval(env, inner)?;
            let val = match inner.val {
                Val::Int(i) => Val::Int(-i),
                Val::Num(n) => Val::Num(-n),
                Val::Duration(d) => Val::Duration(-d),
                _ => Val::Null,
            };
            Traced::new(val, inner.origin)
        }
        Node::WorkingDays { date, days, back } => {
            let date = eval(env, date)?;
            let days = eval(env, days)?;
            let origin = first_origin(date.origin, days.origin);
            let (Some(day), Val::Int(n)) = (builtins::date_of(&date.val), &days.val) else {
                return Ok(Traced::new(Val::Null, origin));
            };
            let Some(calendar) = env.policy.calendar.as_ref() else {
                return Err(EvalError {
                    message: "the policy declares no working-day calendar".into(),
                    origin,
                });
            };
            let n = if *back { n.checked_neg() } else { Some(*n) };
            let moved = match n {
                Some(n) => calendar.add_working_days(day, n).map_err(|e| e.to_string()),
                None => Err(format!("{} working days is too many", days.val.render())),
            };
            match moved {
                Ok(d) => Traced::new(Val::Date(d), origin),
                Err(message) => return Err(EvalError { message, origin }),
            }
        }
        Node::If(condition, then, otherwise) => {
            let holds = eval(env, condition)?;
            let chosen = eval(env, if holds.truthy() { then } else { otherwise })?;
            Traced::new(chosen.val, first_origin(chosen.origin, holds.origin))
        }
        Node::Exists(inner) => {
            let inner = eval(env, inner)?;
            Traced::new(Val::Bool(!inner.val.is_null()), inner.origin)
        }
        Node::Is {
            subject,
            who: pattern,
            negated,
        } => {
            let subject = eval(env, subject)?;
            let matches = !subject.val.is_null() && who::matches(env, pattern, &subject)?;
            Traced::new(Val::Bool(matches != *negated), subject.origin)
        }
        Node::Binary(op, lhs, rhs) => binary(env, *op, lhs, rhs)?,
    })
}

fn binary<'a>(
    env: &mut Env<'a>,
    op: BinaryOp,
    lhs: &'a Ir,
    rhs: &'a Ir,
) -> Result<Traced<'a>, EvalError<'a>> {
    let l = eval(env, lhs)?;
    match op {
        BinaryOp::And if !l.truthy() => return Ok(Traced::new(Val::Bool(false), l.origin)),
        BinaryOp::Or if l.truthy() => return Ok(Traced::new(Val::Bool(true), l.origin)),
        _ => {}
    }
    let r = eval(env, rhs)?;
    let origin = first_origin(l.origin, r.origin);
    let val = match op {
        BinaryOp::And => return Ok(Traced::new(Val::Bool(r.truthy()), r.origin)),
        BinaryOp::Or => Val::Bool(r.truthy()),
        BinaryOp::Eq => Val::Bool(l.val.equals(&r.val)),
        BinaryOp::Ne => Val::Bool(!l.val.is_null() && !r.val.is_null() && !l.val.equals(&r.val)),
        BinaryOp::Lt => Val::Bool(l.val.compare(&r.val).is_some_and(|o| o.is_lt())),
        BinaryOp::Le => Val::Bool(l.val.compare(&r.val).is_some_and(|o| o.is_le())),
        BinaryOp::Gt => Val::Bool(l.val.compare(&r.val).is_some_and(|o| o.is_gt())),
        BinaryOp::Ge => Val::Bool(l.val.compare(&r.val).is_some_and(|o| o.is_ge())),
        BinaryOp::In | BinaryOp::NotIn => {
            let found = contains(env, &r, &rhs.ty, &l.val);
            if l.val.is_null() {
                Val::Bool(false)
            } else {
                Val::Bool(found == (op == BinaryOp::In))
            }
        }
        BinaryOp::Add | BinaryOp::Sub => arithmetic(op, &l.val, &r.val),
        BinaryOp::Mul | BinaryOp::Div => match scale(op, &l.val, &r.val) {
            Ok(val) => val,
            Err(message) => return Err(EvalError { message, origin }),
        },
    };
    Ok(Traced::new(val, origin))
}

fn contains<'a>(env: &Env<'a>, container: &Traced<'a>, ty: &Ty, needle: &Val<'_>) -> bool {
    match &container.val {
        Val::Set(items) => items.iter().any(|c| Val::from_const(c).equals(needle)),
        list => {
            let element = ty.element();
            list.elements()
                .into_iter()
                .flatten()
                .any(|item| env.convert(item, element).equals(needle))
        }
    }
}

fn arithmetic<'a>(op: BinaryOp, l: &Val<'a>, r: &Val<'a>) -> Val<'a> {
    let sign = if op == BinaryOp::Sub { -1 } else { 1 };
    match (l, r) {
        (Val::Int(a), Val::Int(b)) => Val::Int(a.saturating_add(sign * b)),
        (Val::Int(_) | Val::Num(_), Val::Int(_) | Val::Num(_)) => {
            let (a, b) = (as_f64(l), as_f64(r));
            Val::Num(a + sign as f64 * b)
        }
        (Val::Date(d), Val::Duration(span)) => {
            let days = span.as_secs() / 86_400 * sign;
            d.checked_add(jiff::Span::new().days(days))
                .map_or(Val::Null, Val::Date)
        }
        (Val::DateTime(d), Val::Duration(span)) => {
            let shifted = if sign < 0 {
                d.timestamp.checked_sub(*span)
            } else {
                d.timestamp.checked_add(*span)
            };
            shifted.map_or(Val::Null, |timestamp| {
                Val::DateTime(time::DateTime {
                    timestamp,
                    offset: d.offset,
                })
            })
        }
        (Val::Duration(a), Val::Duration(b)) => {
            Val::Duration(if sign < 0 { *a - *b } else { *a + *b })
        }
        (Val::Date(a), Val::Date(b)) if sign < 0 => {
            let days = i64::from(b.until(*a).map_or(0, |s| s.get_days()));
            Val::Duration(jiff::SignedDuration::from_secs(days * 86_400))
        }
        (Val::DateTime(a), Val::DateTime(b)) if sign < 0 => {
            Val::Duration(b.timestamp.duration_until(a.timestamp))
        }
        _ => Val::Null,
    }
}

/// `l * r` or `l / r`. A missing operand gives nothing, as in `+`; a division by zero or a result
/// too large to hold cannot be judged, never a guess.
fn scale<'a>(op: BinaryOp, l: &Val<'a>, r: &Val<'a>) -> Result<Val<'a>, String> {
    let symbol = op.symbol();
    let too_large = || {
        format!(
            "`{} {symbol} {}` is too large to compute",
            l.render(),
            r.render()
        )
    };
    let number = |n: f64| {
        if n.is_finite() {
            Ok(Val::Num(n))
        } else {
            Err(too_large())
        }
    };
    let is_zero = matches!(r, Val::Int(0)) || matches!(r, Val::Num(n) if *n == 0.0);
    if op == BinaryOp::Div && is_zero && !l.is_null() {
        return Err(format!("it divides `{}` by zero", l.render()));
    }
    let duration = |d: &jiff::SignedDuration, factor: f64| {
        let secs = if op == BinaryOp::Div {
            d.as_secs_f64() / factor
        } else {
            d.as_secs_f64() * factor
        };
        jiff::SignedDuration::try_from_secs_f64(secs)
            .map(Val::Duration)
            .map_err(|_| too_large())
    };
    match (l, r) {
        (Val::Int(a), Val::Int(b)) if op == BinaryOp::Mul => {
            a.checked_mul(*b).map(Val::Int).ok_or_else(too_large)
        }
        (Val::Int(_) | Val::Num(_), Val::Int(_) | Val::Num(_)) => {
            let (a, b) = (as_f64(l), as_f64(r));
            number(if op == BinaryOp::Div { a / b } else { a * b })
        }
        (Val::Duration(d), Val::Int(_) | Val::Num(_)) => duration(d, as_f64(r)),
        (Val::Int(_) | Val::Num(_), Val::Duration(d)) if op == BinaryOp::Mul => {
            duration(d, as_f64(l))
        }
        _ => Ok(Val::Null),
    }
}

fn as_f64(v: &Val<'_>) -> f64 {
    match v {
        Val::Int(i) => *i as f64,
        Val::Num(n) => *n,
        _ => 0.0,
    }
}

/// A quantifier over `source`, binding each element to `slot` for its body, which may be compiled
/// to a direct test on the element.
fn quantifier<'a>(
    env: &mut Env<'a>,
    (kind, slot): (QuantifierKind, usize),
    source: &'a Ir,
    body: Option<&'a Ir>,
    quick: Option<&'a Quick>,
) -> Result<Traced<'a>, EvalError<'a>> {
    let list = eval(env, source)?;
    let element_ty = source.ty.element();
    if kind == QuantifierKind::Sum {
        return sum(env, slot, list, element_ty, body);
    }
    if let (Some(body), Some(quick)) = (body, quick.filter(|_| quick::enabled())) {
        return quantify_quickly(env, (kind, slot), (list, element_ty), (body, quick));
    }
    let mut count = 0i64;
    let mut chosen: Option<Traced<'a>> = None;
    let mut picked: Vec<&'a Json> = Vec::new();
    for item in list.val.elements().into_iter().flatten() {
        let element = Traced::new(env.convert(item, element_ty), Origin::Node(item));
        env.set(slot, element.clone());
        let (holds, origin) = match body {
            Some(body) => {
                let result = eval(env, body)?;
                (result.truthy(), first_origin(result.origin, element.origin))
            }
            None => (true, element.origin),
        };
        match kind {
            QuantifierKind::All if !holds => return Ok(Traced::new(Val::Bool(false), origin)),
            QuantifierKind::Any if holds => return Ok(Traced::new(Val::Bool(true), origin)),
            QuantifierKind::None if holds => return Ok(Traced::new(Val::Bool(false), origin)),
            QuantifierKind::First if holds => return Ok(element),
            QuantifierKind::Last if holds => chosen = Some(element),
            QuantifierKind::Count if holds => count += 1,
            QuantifierKind::Those if holds => picked.push(item),
            _ => {}
        }
    }
    Ok(match kind {
        QuantifierKind::All | QuantifierKind::None => Traced::new(Val::Bool(true), list.origin),
        QuantifierKind::Any => Traced::new(Val::Bool(false), list.origin),
        QuantifierKind::Count => Traced::new(Val::Int(count), list.origin),
        QuantifierKind::First | QuantifierKind::Last => {
            chosen.unwrap_or(Traced::new(Val::Null, list.origin))
        }
        QuantifierKind::Those => Traced::new(Val::Items(picked), list.origin),
        // Returned above.
        QuantifierKind::Sum => Traced::new(Val::Null, list.origin),
    })
}

/// [`quantifier`] with a body compiled to a direct test: each element is tested on its JSON, and
/// the evaluator runs only on the element that decides `all`, `any` or `none`, for the place its
/// result points at — the same value and place as evaluating the body on every element gives.
fn quantify_quickly<'a>(
    env: &mut Env<'a>,
    (kind, slot): (QuantifierKind, usize),
    (list, element_ty): (Traced<'a>, &Ty),
    (body, quick): (&'a Ir, &Quick),
) -> Result<Traced<'a>, EvalError<'a>> {
    let mut items = list.val.elements().into_iter().flatten();
    let bind = |env: &mut Env<'a>, item: &'a Json| {
        let element = Traced::new(env.convert(item, element_ty), Origin::Node(item));
        env.set(slot, element.clone());
        element
    };
    let decided = |env: &mut Env<'a>, item: &'a Json, value: bool| {
        let element = bind(env, item);
        let result = eval(env, body)?;
        let origin = first_origin(result.origin, element.origin);
        Ok(Traced::new(Val::Bool(value), origin))
    };
    let holds = |item: &Json| quick::holds(quick, item, None);
    Ok(match kind {
        QuantifierKind::All => match items.find(|item| !holds(item)) {
            Some(item) => return decided(env, item, false),
            None => Traced::new(Val::Bool(true), list.origin),
        },
        QuantifierKind::Any => match items.find(|item| holds(item)) {
            Some(item) => return decided(env, item, true),
            None => Traced::new(Val::Bool(false), list.origin),
        },
        QuantifierKind::None => match items.find(|item| holds(item)) {
            Some(item) => return decided(env, item, false),
            None => Traced::new(Val::Bool(true), list.origin),
        },
        QuantifierKind::First => match items.find(|item| holds(item)) {
            Some(item) => bind(env, item),
            None => Traced::new(Val::Null, list.origin),
        },
        QuantifierKind::Last => match items.filter(|item| holds(item)).last() {
            Some(item) => bind(env, item),
            None => Traced::new(Val::Null, list.origin),
        },
        QuantifierKind::Count => {
            let count = items.filter(|item| holds(item)).count();
            Traced::new(Val::Int(count as i64), list.origin)
        }
        QuantifierKind::Those => Traced::new(
            Val::Items(items.filter(|i| holds(i)).collect()),
            list.origin,
        ),
        // Not compiled to a test: its body is a number.
        QuantifierKind::Sum => Traced::new(Val::Null, list.origin),
    })
}

/// `sum(x in list: amount)`: the total of the amounts, an `int` while every term is one. An absent
/// list adds up to 0, as `count` finds none in it; a missing term makes the total missing, so that
/// no rule is judged on a part of the sum; a total too large to hold cannot be judged.
fn sum<'a>(
    env: &mut Env<'a>,
    slot: usize,
    list: Traced<'a>,
    element_ty: &Ty,
    body: Option<&'a Ir>,
) -> Result<Traced<'a>, EvalError<'a>> {
    let Some(body) = body else {
        return Ok(Traced::new(Val::Null, list.origin));
    };
    let mut total = Val::Int(0);
    for item in list.val.elements().into_iter().flatten() {
        env.set(
            slot,
            Traced::new(env.convert(item, element_ty), Origin::Node(item)),
        );
        let term = eval(env, body)?;
        total = match (&total, &term.val) {
            (Val::Int(a), Val::Int(b)) => match a.checked_add(*b) {
                Some(n) => Val::Int(n),
                None => {
                    return Err(EvalError {
                        message: format!("the sum passes {} and is too large to compute", i64::MAX),
                        origin: term.origin,
                    })
                }
            },
            (Val::Int(_) | Val::Num(_), Val::Int(_) | Val::Num(_)) => {
                let n = as_f64(&total) + as_f64(&term.val);
                if !n.is_finite() {
                    return Err(EvalError {
                        message: "the sum is too large to compute".into(),
                        origin: term.origin,
                    });
                }
                Val::Num(n)
            }
            _ => {
                return Ok(Traced::new(
                    Val::Null,
                    first_origin(term.origin, Origin::Node(item)),
                ))
            }
        };
    }
    Ok(Traced::new(total, list.origin))
}

/// Every place that makes a failed `none(x in l: c)` false (each element for which `c` holds) or
/// a failed `all(x in l: c)` false (each for which it does not), in order, so a finding labels them
/// all and not only the first the quantifier stopped at; at most `limit` of them. Nothing for any
/// other condition.
pub fn offenders<'a>(
    env: &mut Env<'a>,
    ir: &'a Ir,
    limit: usize,
) -> Result<Vec<Origin<'a>>, EvalError<'a>> {
    let Node::Quantifier {
        kind: kind @ (QuantifierKind::None | QuantifierKind::All),
        slot,
        source,
        body: Some(body),
        ..
    } = &ir.node
    else {
        return Ok(Vec::new());
    };
    let list = eval(env, source)?;
    let element_ty = source.ty.element();
    let mut found = Vec::new();
    for item in list.val.elements().into_iter().flatten() {
        if found.len() >= limit {
            break;
        }
        let element = Traced::new(env.convert(item, element_ty), Origin::Node(item));
        env.set(*slot, element.clone());
        let result = eval(env, body)?;
        if result.truthy() == (*kind == QuantifierKind::None) {
            found.push(first_origin(result.origin, element.origin));
        }
    }
    Ok(found)
}
