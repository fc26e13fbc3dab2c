//! Types of operators: comparisons (which types compare, which are ordered), arithmetic,
//! membership in sets and lists, and the types of literals.

use super::{ir, poison, Resolver};
use crate::ast::{self, BinaryOp, ExprKind, Literal, SetItem};
use crate::check::ir::{Const, Ir, Node};
use crate::check::model::Ty;
use crate::source::Span;

impl Resolver<'_> {
    /// An operand that may be a bare enum variant, given the other side's type.
    pub(super) fn operand(&mut self, e: &ast::Expr, other: Option<&Ty>) -> Ir {
        if let (Some(name), Some(Ty::Enum(of))) = (Self::bare_name(e), other) {
            let is_known = self.locals.iter().any(|l| l.name == name.as_str())
                || self
                    .root
                    .and_then(|r| self.policy.shapes.get(r))
                    .is_some_and(|s| s.field(name.as_str()).is_some())
                || self.policy.params.iter().any(|p| p.name == name.as_str());
            if !is_known {
                return match self.variant_names(name, *of, false) {
                    Some(mut v) => ir(
                        Node::Const(Const::String(v.remove(0))),
                        Ty::Enum(*of),
                        e.span,
                    ),
                    None => poison(e.span),
                };
            }
        }
        let compiled = self.expr(e);
        if let (Node::Const(Const::String(s)), Some(Ty::Enum(of))) = (&compiled.node, other) {
            if self.policy.enums.get(*of).is_some_and(|en| !en.has(s)) {
                let enum_name = self
                    .policy
                    .enums
                    .get(*of)
                    .map_or(String::new(), |en| en.name.clone());
                self.error(
                    compiled.span,
                    "policy::unknown-value",
                    format!("`{s}` is not a value of `{enum_name}`"),
                    "unknown value",
                    None,
                );
            }
        }
        compiled
    }

    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> Ir {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let l = self.condition(lhs);
                let r = self.condition(rhs);
                ir(Node::Binary(op, Box::new(l), Box::new(r)), Ty::Bool, span)
            }
            BinaryOp::In | BinaryOp::NotIn => {
                let l = self.expr(lhs);
                let r = self.membership_rhs(rhs, &l.ty);
                ir(Node::Binary(op, Box::new(l), Box::new(r)), Ty::Bool, span)
            }
            BinaryOp::Add | BinaryOp::Sub if matches!(rhs.kind, ExprKind::WorkingDays(_)) => {
                self.working_days(op, lhs, rhs, span)
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let l = self.expr(lhs);
                let r = self.expr(rhs);
                let ty = arithmetic(op, &l.ty, &r.ty);
                if ty.is_none() {
                    let (a, b) = (self.type_name(&l.ty), self.type_name(&r.ty));
                    self.error(
                        span,
                        "policy::type",
                        format!("cannot compute `{a}` {} `{b}`", op.symbol()),
                        "incompatible types",
                        None,
                    );
                }
                ir(
                    Node::Binary(op, Box::new(l), Box::new(r)),
                    ty.unwrap_or(Ty::Unknown),
                    span,
                )
            }
            _ => {
                // A bare enum variant may stand on either side.
                let lhs_is_bare = Self::bare_name(lhs).is_some_and(|n| self.path_is_unresolved(n));
                let (l, r) = if lhs_is_bare {
                    let r = self.expr(rhs);
                    (self.operand(lhs, Some(&r.ty)), r)
                } else {
                    let l = self.expr(lhs);
                    let r = self.operand(rhs, Some(&l.ty));
                    (l, r)
                };
                if !comparable(&l.ty, &r.ty)
                    || (!matches!(op, BinaryOp::Eq | BinaryOp::Ne) && !ordered(&l.ty))
                {
                    let (a, b) = (self.type_name(&l.ty), self.type_name(&r.ty));
                    self.error(
                        span,
                        "policy::type",
                        format!("cannot compare `{a}` with `{b}` using `{}`", op.symbol()),
                        &format!("`{a}` {} `{b}`", op.symbol()),
                        Some(
                            "compare values of one kind: dates with dates, numbers with numbers"
                                .into(),
                        ),
                    );
                }
                ir(Node::Binary(op, Box::new(l), Box::new(r)), Ty::Bool, span)
            }
        }
    }

    /// `date ± n working days`: a date, or the date of a datetime, moved by `n` working days of the
    /// policy's calendar; `n` a whole number.
    fn working_days(&mut self, op: BinaryOp, lhs: &ast::Expr, rhs: &ast::Expr, span: Span) -> Ir {
        let ExprKind::WorkingDays(days) = &rhs.kind else {
            return poison(span);
        };
        let date = self.expr(lhs);
        let days = self.expr(days);
        if !matches!(date.ty, Ty::Date | Ty::DateTime | Ty::Unknown) {
            let found = self.type_name(&date.ty);
            self.error(
                date.span,
                "policy::type",
                format!("working days are added to a date, not to a `{found}`"),
                "not a date",
                None,
            );
        }
        if !matches!(days.ty, Ty::Int | Ty::Unknown) {
            let found = self.type_name(&days.ty);
            self.error(
                days.span,
                "policy::type",
                format!("a number of working days is a whole number, not a `{found}`"),
                "not a whole number",
                None,
            );
        }
        if self.policy.calendar.is_none() {
            self.error(
                rhs.span,
                "policy::calendar",
                "`working days` needs a `calendar` declaration in the policy".into(),
                "no calendar declared",
                Some(crate::calendar::DECLARE_HELP.into()),
            );
        }
        ir(
            Node::WorkingDays {
                date: Box::new(date),
                days: Box::new(days),
                back: op == BinaryOp::Sub,
            },
            Ty::Date,
            span,
        )
    }

    /// `(if c then a else b)`: `c` a condition, `a` and `b` of one type (an `int` and a `number`
    /// give a `number`).
    pub(super) fn conditional(
        &mut self,
        condition: &ast::Expr,
        then: &ast::Expr,
        otherwise: &ast::Expr,
        span: Span,
    ) -> Ir {
        let c = self.condition(condition);
        let a = self.expr(then);
        let b = self.expr(otherwise);
        let ty = match (&a.ty, &b.ty) {
            (Ty::Unknown, t) | (t, Ty::Unknown) => Some(t.clone()),
            (Ty::Int, Ty::Number) | (Ty::Number, Ty::Int) => Some(Ty::Number),
            (x, y) if x == y => Some(x.clone()),
            _ => None,
        };
        if ty.is_none() {
            let (x, y) = (self.type_name(&a.ty), self.type_name(&b.ty));
            self.error(
                a.span.to(b.span),
                "policy::type",
                format!("the two values of `if` differ in type: `{x}` and `{y}`"),
                "values of two types",
                Some("give both branches values of one type".into()),
            );
        }
        ir(
            Node::If(Box::new(c), Box::new(a), Box::new(b)),
            ty.unwrap_or(Ty::Unknown),
            span,
        )
    }

    pub(super) fn membership_rhs(&mut self, rhs: &ast::Expr, element: &Ty) -> Ir {
        let span = rhs.span;
        if let ExprKind::Set(items) = &rhs.kind {
            let mut values = Vec::new();
            for item in items {
                match item {
                    SetItem::Literal(l, s) => {
                        if let Some(Const::String(text)) = literal_const(l) {
                            if let Ty::Enum(of) = element {
                                if self.policy.enums.get(*of).is_some_and(|e| !e.has(&text)) {
                                    self.error(
                                        *s,
                                        "policy::unknown-value",
                                        format!("`{text}` is not a possible value here"),
                                        "unknown value",
                                        None,
                                    );
                                }
                            }
                        }
                        if let Some(c) = literal_const(l) {
                            values.push(c);
                        }
                    }
                    SetItem::Name(name) => match element {
                        Ty::Enum(of) => {
                            if let Some(vs) = self.variant_names(name, *of, true) {
                                values.extend(vs.into_iter().map(Const::String));
                            }
                        }
                        Ty::Unknown => {}
                        other => {
                            let found = self.type_name(other);
                            self.error(name.span, "policy::type", format!("a bare name can only stand for a value of an enum, and this is a `{found}`"), "write a literal", None);
                        }
                    },
                }
            }
            return ir(Node::Set(values), Ty::Set(Box::new(element.clone())), span);
        }
        if let (Some(name), Ty::Enum(of)) = (Self::bare_name(rhs), element) {
            if self.path_is_unresolved(name) {
                let values = self.variant_names(name, *of, true).unwrap_or_default();
                return ir(
                    Node::Set(values.into_iter().map(Const::String).collect()),
                    Ty::Set(Box::new(element.clone())),
                    span,
                );
            }
        }
        let compiled = self.expr(rhs);
        match &compiled.ty {
            Ty::Array(inner) if comparable(inner, element) => {}
            Ty::Unknown => {}
            other => {
                let (a, b) = (self.type_name(element), self.type_name(other));
                self.error(
                    span,
                    "policy::type",
                    format!("cannot look for a `{a}` in a `{b}`"),
                    "not a list of such values",
                    None,
                );
            }
        }
        compiled
    }
}

pub fn literal_const(l: &Literal) -> Option<Const> {
    Some(match l {
        Literal::String(s) => Const::String(s.clone()),
        Literal::Integer(i) => Const::Int(*i),
        Literal::Number(n) => Const::Number(*n),
        Literal::Bool(b) => Const::Bool(*b),
        Literal::Date(d) => Const::Date(*d),
        Literal::DateTime(t, o) => Const::DateTime(crate::time::DateTime {
            timestamp: *t,
            offset: *o,
        }),
        Literal::Duration(d) => Const::Duration(*d),
    })
}

pub fn const_type(c: &Const) -> Ty {
    match c {
        Const::Bool(_) => Ty::Bool,
        Const::Int(_) => Ty::Int,
        Const::Number(_) => Ty::Number,
        Const::String(_) => Ty::String,
        Const::Date(_) => Ty::Date,
        Const::DateTime(_) => Ty::DateTime,
        Const::Duration(_) => Ty::Duration,
    }
}

pub(super) fn literal(l: &Literal, span: Span) -> Ir {
    match literal_const(l) {
        Some(c) => {
            let ty = const_type(&c);
            ir(Node::Const(c), ty, span)
        }
        None => poison(span),
    }
}

fn comparable(a: &Ty, b: &Ty) -> bool {
    use Ty::*;
    match (a, b) {
        (Unknown, _) | (_, Unknown) => true,
        (Int | Number, Int | Number) => true,
        (Date | DateTime, Date | DateTime) => true,
        (String | Enum(_), String | Enum(_)) => match (a, b) {
            (Enum(x), Enum(y)) => x == y,
            _ => true,
        },
        (Ref(_), String) | (String, Ref(_)) => true,
        _ => a == b,
    }
}

fn ordered(t: &Ty) -> bool {
    matches!(
        t,
        Ty::Int | Ty::Number | Ty::Date | Ty::DateTime | Ty::Duration | Ty::String | Ty::Unknown
    )
}

/// The type of `a op b`, or `None` when the operator does not apply. Division is exact, so
/// `int / int` is a `number`; a duration scales by a number.
fn arithmetic(op: BinaryOp, a: &Ty, b: &Ty) -> Option<Ty> {
    use Ty::*;
    if matches!(op, BinaryOp::Mul | BinaryOp::Div) {
        return Some(match (a, b) {
            (Unknown, _) | (_, Unknown) => Unknown,
            (Int, Int) if op == BinaryOp::Mul => Int,
            (Int | Number, Int | Number) => Number,
            (Duration, Int | Number) => Duration,
            (Int | Number, Duration) if op == BinaryOp::Mul => Duration,
            _ => return None,
        });
    }
    Some(match (a, b) {
        (Unknown, _) | (_, Unknown) => Unknown,
        (Int, Int) => Int,
        (Int | Number, Int | Number) => Number,
        (Date, Duration) => Date,
        (DateTime, Duration) => DateTime,
        (Duration, Duration) => Duration,
        (Date, Date) | (DateTime, DateTime) if op == BinaryOp::Sub => Duration,
        _ => return None,
    })
}
