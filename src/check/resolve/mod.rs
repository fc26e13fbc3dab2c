//! Names and types: AST expressions → typed IR, reporting every unknown name and type mismatch
//! with a label on the exact span in the policy file. One `Resolver` per rule; its work is split
//! by concern: [`names`] (paths, locals, defines), [`types`] (operators, comparability),
//! [`calls`] (builtins, from the registry), [`who`] (who-expressions), [`templates`] (messages).

mod calls;
mod names;
mod templates;
mod types;
mod who;

use std::sync::Arc;

use super::ir::{Const, Ir, Node, Quick};
use super::model::{Policy, ShapeId, Ty};
use crate::ast::{self, ExprKind, QuantifierKind, UnaryOp};
use crate::diagnostic::{Diagnostic, Label};
use crate::source::{SourceFile, Span};
use crate::syntax::depth::MAX_DEPTH;

/// How many define expansions one resolver makes, at most.
const MAX_EXPANSIONS: usize = 10_000;

/// A variable in scope: a `for each` or quantifier binding, or a value a periodic rule provides.
#[derive(Debug, Clone)]
struct Local {
    name: String,
    slot: usize,
    ty: Ty,
}

/// Resolves the expressions of one rule.
pub struct Resolver<'p> {
    pub policy: &'p Policy,
    pub file: Arc<SourceFile>,
    pub errors: Vec<Diagnostic>,
    pub root: Option<ShapeId>,
    locals: Vec<Local>,
    pub slots: usize,
    pub needs_context: bool,
    /// Defines being expanded, innermost last: a define that reaches itself is refused.
    expanding: Vec<String>,
    /// How deep the expression being compiled is, counting what its defines expand to.
    depth: usize,
    /// How many defines this resolver has expanded: each use copies the define, so defines
    /// using each other twice over would otherwise grow exponentially.
    expansions: usize,
    /// A limit was hit: the error, once, kept apart from the define's own errors (which are
    /// dropped at the use, being reported at the declaration).
    limit: Option<Diagnostic>,
    limit_reported: bool,
    /// Fields read from records named by a reference (`decided_at.kind` reads `kind` of a
    /// meeting): the audit keeps only these of each reference target.
    pub read_through_references: Vec<(ShapeId, String)>,
}

use types::literal;
pub use types::{const_type, literal_const};

fn ir(node: Node, ty: Ty, span: Span) -> Ir {
    Ir { node, ty, span }
}

fn poison(span: Span) -> Ir {
    ir(Node::Const(Const::Bool(false)), Ty::Unknown, span)
}

impl<'p> Resolver<'p> {
    pub fn new(policy: &'p Policy, file: Arc<SourceFile>, root: Option<ShapeId>) -> Resolver<'p> {
        Resolver {
            policy,
            file,
            errors: Vec::new(),
            root,
            locals: Vec::new(),
            slots: 0,
            needs_context: false,
            expanding: Vec::new(),
            depth: 0,
            expansions: 0,
            limit: None,
            limit_reported: false,
            read_through_references: Vec::new(),
        }
    }

    pub fn error(
        &mut self,
        span: Span,
        code: &str,
        message: String,
        label: &str,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::error(code, message)
            .in_file(self.file.clone())
            .with_label(Label::primary(span, label));
        d.help = help;
        self.errors.push(d);
    }

    /// Binds a name to a new slot for the rest of the rule (or until [`Resolver::unbind`]).
    pub fn bind(&mut self, name: &str, ty: Ty) -> usize {
        let slot = self.slots;
        self.slots += 1;
        self.locals.push(Local {
            name: name.to_string(),
            slot,
            ty,
        });
        slot
    }

    pub fn unbind(&mut self) {
        self.locals.pop();
    }

    fn type_name(&self, ty: &Ty) -> String {
        self.policy.type_name(ty)
    }

    /// A boolean expression (a condition or requirement).
    pub fn condition(&mut self, e: &ast::Expr) -> Ir {
        let compiled = self.expr(e);
        self.expect_bool(&compiled);
        compiled
    }

    fn expect_bool(&mut self, e: &Ir) {
        if !matches!(e.ty, Ty::Bool | Ty::Unknown) {
            let found = self.type_name(&e.ty);
            self.error(
                e.span,
                "policy::type",
                format!("expected a condition (true or false), found a value of type `{found}`"),
                &format!(
                    "this is {}",
                    crate::wording::with_article(&found.to_string())
                ),
                Some(
                    "compare it with something, e.g. `x == …`, or test presence with `x exists`"
                        .into(),
                ),
            );
        }
    }

    /// Compiles an expression. Its tree is at most [`MAX_DEPTH`] deep as written (the parser sees
    /// to that), but defines expanded in it can make it deeper: past the limit it is refused, so
    /// no later stage recurses without bound.
    pub fn expr(&mut self, e: &ast::Expr) -> Ir {
        if self.depth >= MAX_DEPTH {
            self.limit_error(
                Diagnostic::error(
                    "policy::too-deep",
                    format!(
                        "the expression, with its defines expanded, is nested more than {MAX_DEPTH} levels deep"
                    ),
                )
                .in_file(self.file.clone())
                .with_label(Label::primary(e.span, format!("level {}", MAX_DEPTH + 1)))
                .with_help("define fewer layers, each with more in it"),
            );
            return poison(e.span);
        }
        self.depth += 1;
        let compiled = self.expr_within_limit(e);
        self.depth -= 1;
        compiled
    }

    /// Reports the first limit hit; inside a define, once the outermost expansion is done.
    fn limit_error(&mut self, error: Diagnostic) {
        if self.limit_reported {
            return;
        }
        self.limit_reported = true;
        if self.expanding.is_empty() {
            self.errors.push(error);
        } else {
            self.limit = Some(error);
        }
    }

    fn expr_within_limit(&mut self, e: &ast::Expr) -> Ir {
        let span = e.span;
        match &e.kind {
            ExprKind::Literal(l) => literal(l, span),
            ExprKind::Path(p) => self.path(p, true).unwrap_or_else(|| poison(span)),
            ExprKind::Member { base, field } => {
                let base = self.expr(base);
                self.field(base, field).unwrap_or_else(|| poison(span))
            }
            ExprKind::Call { function, args } => self.call(function, args, span),
            ExprKind::Quantifier {
                kind,
                var,
                source,
                body,
            } => self.quantifier(*kind, var, source, body.as_deref(), span),
            ExprKind::Set(_) => {
                self.error(
                    span,
                    "policy::type",
                    "a set can only stand on the right of `in`".into(),
                    "set used as a value",
                    Some("write `x in {a, b}`".into()),
                );
                poison(span)
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                let inner = self.condition(operand);
                ir(Node::Not(Box::new(inner)), Ty::Bool, span)
            }
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                let inner = self.expr(operand);
                if !matches!(inner.ty, Ty::Int | Ty::Number | Ty::Duration | Ty::Unknown) {
                    let found = self.type_name(&inner.ty);
                    self.error(
                        inner.span,
                        "policy::type",
                        format!("cannot negate a `{found}`"),
                        "not a number",
                        None,
                    );
                }
                let ty = inner.ty.clone();
                ir(Node::Neg(Box::new(inner)), ty, span)
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span),
            ExprKind::WorkingDays(_) => {
                self.error(
                    span,
                    "policy::type",
                    "working days can only be added to a date or taken from one".into(),
                    "not added to a date",
                    Some("write `received + 5 working days`".into()),
                );
                poison(span)
            }
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => self.conditional(condition, then, otherwise, span),
            ExprKind::Exists(inner) => {
                let inner = self.expr(inner);
                ir(Node::Exists(Box::new(inner)), Ty::Bool, span)
            }
            ExprKind::Is {
                subject,
                who,
                negated,
            } => {
                let subject = self.expr(subject);
                let compiled = self.who_for(&subject, who);
                ir(
                    Node::Is {
                        subject: Box::new(subject),
                        who: Box::new(compiled.0),
                        negated: *negated,
                    },
                    Ty::Bool,
                    span,
                )
            }
        }
    }

    fn quantifier(
        &mut self,
        kind: QuantifierKind,
        var: &ast::Ident,
        source: &ast::Expr,
        body: Option<&ast::Expr>,
        span: Span,
    ) -> Ir {
        let source = self.expr(source);
        let element = match &source.ty {
            Ty::Array(inner) => (**inner).clone(),
            Ty::Unknown => Ty::Unknown,
            other => {
                let found = self.type_name(other);
                self.error(
                    source.span,
                    "policy::type",
                    format!("expected a list, found `{found}`"),
                    "not a list",
                    None,
                );
                Ty::Unknown
            }
        };
        let slot = self.bind(var.as_str(), element.clone());
        let body = body.map(|b| {
            Box::new(if kind == QuantifierKind::Sum {
                self.term(b)
            } else {
                self.condition(b)
            })
        });
        self.unbind();
        if body.is_none() && kind == QuantifierKind::Sum {
            self.error(
                span,
                "policy::syntax",
                "`sum` needs the amount to add up after `:`".into(),
                "add `: amount`",
                Some("write e.g. `sum(p in purchases: p.amount)`".into()),
            );
        } else if body.is_none() && kind != QuantifierKind::Count {
            self.error(
                span,
                "policy::syntax",
                "this quantifier needs a condition after `:`".into(),
                "add `: condition`",
                None,
            );
        }
        let ty = match kind {
            QuantifierKind::All | QuantifierKind::Any | QuantifierKind::None => Ty::Bool,
            QuantifierKind::Count => Ty::Int,
            QuantifierKind::First | QuantifierKind::Last => element,
            QuantifierKind::Those => Ty::Array(Box::new(element)),
            // An `int` total when every term is one, else a `number`.
            QuantifierKind::Sum => match body.as_ref().map(|b| &b.ty) {
                Some(Ty::Int) => Ty::Int,
                _ => Ty::Number,
            },
        };
        let quick = match kind {
            QuantifierKind::Sum => None,
            _ => (body.as_deref()).and_then(|body| Quick::compile_element(body, slot)),
        };
        ir(
            Node::Quantifier {
                kind,
                slot,
                source: Box::new(source),
                body,
                quick: quick.map(Box::new),
            },
            ty,
            span,
        )
    }
}

impl Resolver<'_> {
    /// A term of a `sum`: an `int` or a `number`.
    fn term(&mut self, e: &ast::Expr) -> Ir {
        let compiled = self.expr(e);
        if !matches!(compiled.ty, Ty::Int | Ty::Number | Ty::Unknown) {
            let found = self.type_name(&compiled.ty);
            self.error(
                compiled.span,
                "policy::type",
                format!("`sum` adds numbers, found a value of type `{found}`"),
                "not a number",
                Some(
                    "give it an `int` or `number`, such as `sum(p in purchases: p.amount)`; to count the elements for which a condition holds, write `count(x in …: condition)`"
                        .into(),
                ),
            );
        }
        compiled
    }
}

/// "did you mean `x`?" for a close name (edit distance at most 2), else `None`.
pub fn suggest(name: &str, candidates: &[String]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// The number of one-character insertions, deletions and substitutions that turn `a` into `b`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            prev = current;
        }
    }
    row[b.len()]
}
