//! Names and types: AST expressions → typed IR, reporting every unknown name and type mismatch
//! with a label on the exact span in the policy file.

use std::sync::Arc;

use super::ir::{Const, Ir, Node, Template, TemplatePart, Who, WhoText};
use super::model::{DefineDef, EnumId, Policy, ShapeId, Ty};
use crate::ast::{self, BinaryOp, ExprKind, Literal, QuantifierKind, SetItem, UnaryOp};
use crate::builtins::{At, TypeEnv};
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

/// The policy as the builtins' typing functions see it.
struct PolicyTypes<'p>(&'p Policy);

impl TypeEnv for PolicyTypes<'_> {
    fn has_calendar(&self) -> bool {
        self.0.calendar.is_some()
    }

    fn field_type(&self, shape: ShapeId, field: &str) -> Option<&Ty> {
        self.0.shapes.get(shape)?.field(field).map(|f| &f.ty)
    }

    fn type_name(&self, ty: &Ty) -> String {
        self.0.type_name(ty)
    }
}

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

    /// Resolves a dotted path; `None` (with no error when `report` is false) if its first name
    /// is not a variable, a field of the record, or a parameter.
    pub fn path(&mut self, p: &ast::Path, report: bool) -> Option<Ir> {
        let (first, rest) = p.segments.split_first()?;
        let mut current =
            if let Some(local) = self.locals.iter().rev().find(|l| l.name == first.as_str()) {
                ir(Node::Local(local.slot), local.ty.clone(), first.span)
            } else if let Some(field) = self
                .root
                .and_then(|r| self.policy.shapes.get(r))
                .and_then(|s| s.field(first.as_str()))
            {
                let ty = field.ty.clone();
                let root = ir(
                    Node::Root,
                    Ty::Shape(self.root.unwrap_or_default()),
                    first.span,
                );
                ir(
                    Node::Field(Box::new(root), first.name.clone()),
                    ty,
                    first.span,
                )
            } else if let Some(define) = self.root.and_then(|r| {
                self.policy
                    .defines
                    .iter()
                    .find(|d| d.shape == r && d.name == first.as_str())
            }) {
                self.expand(define, first.span)
            } else if let Some(param) = self
                .policy
                .params
                .iter()
                .find(|pd| pd.name == first.as_str())
            {
                ir(
                    Node::Const(param.value.clone()),
                    param.ty.clone(),
                    first.span,
                )
            } else {
                if report {
                    self.unknown_name(first);
                }
                return None;
            };
        for segment in rest {
            current = self.field(current, segment)?;
        }
        Some(current)
    }

    /// A define, expanded at `span`: compiled in the record's scope (the rule's own variables are
    /// hidden from it), with fresh local slots. Its own mistakes were reported where it is declared.
    fn expand(&mut self, define: &DefineDef, span: Span) -> Ir {
        if self.expanding.contains(&define.name) {
            self.error(
                span,
                "policy::define-cycle",
                format!("`{}` is defined in terms of itself", define.name),
                "refers back to itself",
                Some(format!(
                    "the defines involved: {}",
                    self.expanding.join(" → ")
                )),
            );
            return poison(span);
        }
        self.expansions += 1;
        if self.expansions > MAX_EXPANSIONS {
            self.limit_error(
                Diagnostic::error(
                    "policy::too-large",
                    format!("the defines used here expand to more than {MAX_EXPANSIONS} copies"),
                )
                .in_file(self.file.clone())
                .with_label(Label::primary(span, "expands too far"))
                .with_help(format!(
                    "a define used twice in the next is copied twice: the defines involved: {}",
                    self.expanding.join(" → ")
                )),
            );
            return poison(span);
        }
        self.expanding.push(define.name.clone());
        let locals = std::mem::take(&mut self.locals);
        let reported = self.errors.len();
        let value = self.expr(&respan(define.value.clone(), span));
        self.errors.truncate(reported);
        self.locals = locals;
        self.expanding.pop();
        if self.expanding.is_empty() {
            if let Some(error) = self.limit.take() {
                self.errors.push(error);
            }
        }
        value
    }

    fn unknown_name(&mut self, name: &ast::Ident) {
        if self.root.is_none() && self.locals.is_empty() {
            // The rule's record type is unknown, which is reported already.
            return;
        }
        let mut candidates: Vec<String> = self.locals.iter().map(|l| l.name.clone()).collect();
        if let Some(shape) = self.root.and_then(|r| self.policy.shapes.get(r)) {
            candidates.extend(shape.fields.iter().map(|f| f.name.clone()));
        }
        candidates.extend(self.policy.params.iter().map(|p| p.name.clone()));
        let record = self
            .root
            .and_then(|r| self.policy.shapes.get(r))
            .map_or("the rule", |s| s.name.as_str());
        let help = suggest(name.as_str(), &candidates);
        self.error(
            name.span,
            "policy::unknown-field",
            format!("unknown field `{}` in `{record}`", name.as_str()),
            "no such field, variable or parameter",
            help,
        );
    }

    fn field(&mut self, base: Ir, segment: &ast::Ident) -> Option<Ir> {
        let span = base.span.to(segment.span);
        let base = match base.ty.clone() {
            Ty::Ref(target) => {
                self.needs_context = true;
                self.read_through_references
                    .push((target, segment.as_str().to_string()));
                ir(Node::Deref(Box::new(base), target), Ty::Shape(target), span)
            }
            _ => base,
        };
        match &base.ty {
            Ty::Shape(s) => {
                let shape = self.policy.shapes.get(*s)?;
                match shape.field(segment.as_str()) {
                    Some(field) => {
                        let ty = field.ty.clone();
                        Some(ir(
                            Node::Field(Box::new(base), segment.name.clone()),
                            ty,
                            span,
                        ))
                    }
                    None => {
                        let names: Vec<String> =
                            shape.fields.iter().map(|f| f.name.clone()).collect();
                        let help = suggest(segment.as_str(), &names);
                        let shape_name = shape.name.clone();
                        self.error(
                            segment.span,
                            "policy::unknown-field",
                            format!("unknown field `{}` in `{shape_name}`", segment.as_str()),
                            "no such field",
                            help,
                        );
                        None
                    }
                }
            }
            Ty::Unknown => None,
            other => {
                let found = self.type_name(other);
                let help = matches!(other, Ty::Array(_)).then(|| {
                    "a list has no fields: use a quantifier such as `all(x in list: x.field …)`"
                        .to_string()
                });
                self.error(
                    segment.span,
                    "policy::type",
                    format!("a `{found}` has no field `{}`", segment.as_str()),
                    "no fields here",
                    help,
                );
                None
            }
        }
    }

    /// A call of a builtin: the registry entry named, its arguments' number and kinds checked,
    /// then whatever more its typing function checks.
    fn call(&mut self, function: &ast::Ident, args: &[ast::Expr], span: Span) -> Ir {
        let compiled: Vec<Ir> = args.iter().map(|a| self.expr(a)).collect();
        let Some(builtin) = crate::builtins::lookup(function.as_str()) else {
            let names: Vec<String> = crate::builtins::all().map(|b| b.name.to_string()).collect();
            let help = suggest(function.as_str(), &names);
            self.error(
                function.span,
                "policy::unknown-function",
                format!("unknown function `{}`", function.as_str()),
                "no such function",
                help,
            );
            return poison(span);
        };
        if compiled.len() != builtin.params.len() {
            self.error(
                span,
                "policy::arguments",
                format!(
                    "`{}` takes {} argument(s), found {}",
                    function.as_str(),
                    builtin.params.len(),
                    compiled.len()
                ),
                "wrong number of arguments",
                None,
            );
            return poison(span);
        }
        for (arg, param) in compiled.iter().zip(builtin.params) {
            if !param.accepts(&arg.ty) {
                let found = self.type_name(&arg.ty);
                self.error(
                    arg.span,
                    "policy::type",
                    format!("`{}` cannot take a `{found}`", function.as_str()),
                    "wrong type of argument",
                    builtin.argument_help.map(str::to_string),
                );
            }
        }
        let mut result = builtin.result.clone();
        if let Some(typing) = builtin.typing {
            let types: Vec<Ty> = compiled.iter().map(|a| a.ty.clone()).collect();
            let mut problems = Vec::new();
            if let Some(ty) = typing(&types, &PolicyTypes(self.policy), &mut problems) {
                result = ty;
            }
            for problem in problems {
                let at = match problem.at {
                    At::Function => function.span,
                    At::Argument(i) => compiled.get(i).map_or(span, |a| a.span),
                };
                self.error(
                    at,
                    problem.code,
                    problem.message,
                    problem.label,
                    problem.help,
                );
            }
        }
        self.needs_context |= builtin.needs_context;
        ir(Node::Call(builtin, compiled), result, span)
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
        let body = body.map(|b| Box::new(self.condition(b)));
        self.unbind();
        if body.is_none() && kind != QuantifierKind::Count {
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
        };
        ir(
            Node::Quantifier {
                kind,
                slot,
                source: Box::new(source),
                body,
            },
            ty,
            span,
        )
    }

    /// A bare name where an enum variant (or, with `allow_groups`, a group) of `of` is expected.
    fn variant_names(
        &mut self,
        name: &ast::Ident,
        of: EnumId,
        allow_groups: bool,
    ) -> Option<Vec<String>> {
        let e = self.policy.enums.get(of)?;
        if e.has(name.as_str()) {
            return Some(vec![name.name.to_string()]);
        }
        if allow_groups {
            if let Some(group) = self
                .policy
                .groups
                .get(name.as_str())
                .filter(|g| g.of_enum == of)
            {
                return Some(group.variants.clone());
            }
        }
        let mut names: Vec<String> = e.variants.iter().map(|(v, _)| v.clone()).collect();
        if allow_groups {
            names.extend(
                self.policy
                    .groups
                    .values()
                    .filter(|g| g.of_enum == of)
                    .map(|g| g.name.clone()),
            );
        }
        let help = suggest(name.as_str(), &names)
            .or_else(|| Some(format!("`{}` has: {}", e.name, names.join(", "))));
        let enum_name = e.name.clone();
        self.error(
            name.span,
            "policy::unknown-value",
            format!("`{}` is not a value of `{enum_name}`", name.as_str()),
            "unknown value",
            help,
        );
        None
    }

    fn bare_name(e: &ast::Expr) -> Option<&ast::Ident> {
        match &e.kind {
            ExprKind::Path(p) if p.segments.len() == 1 => p.segments.first(),
            _ => None,
        }
    }

    /// An operand that may be a bare enum variant, given the other side's type.
    fn operand(&mut self, e: &ast::Expr, other: Option<&Ty>) -> Ir {
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

    fn binary(&mut self, op: BinaryOp, lhs: &ast::Expr, rhs: &ast::Expr, span: Span) -> Ir {
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
            BinaryOp::Add | BinaryOp::Sub => {
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

    fn path_is_unresolved(&self, name: &ast::Ident) -> bool {
        !(self.locals.iter().any(|l| l.name == name.as_str())
            || self
                .root
                .and_then(|r| self.policy.shapes.get(r))
                .is_some_and(|s| s.field(name.as_str()).is_some())
            || self.policy.params.iter().any(|p| p.name == name.as_str()))
    }

    fn membership_rhs(&mut self, rhs: &ast::Expr, element: &Ty) -> Ir {
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

    /// Compiles a who-pattern for `subject` (a person, or an enum value), with its description.
    fn who_for(&mut self, subject: &Ir, who: &ast::Who) -> (Who, WhoText) {
        match self.who_subject(&subject.ty) {
            Some((of, is_person)) => self.who(who, of, is_person),
            None => {
                if subject.ty != Ty::Unknown {
                    let found = self.type_name(&subject.ty);
                    self.error(
                        subject.span,
                        "policy::type",
                        format!("`is` needs a person or an enum value, found `{found}`"),
                        "not a person",
                        None,
                    );
                }
                (Who::Anyone, WhoText::Text("anyone".into()))
            }
        }
    }

    /// The enum that who-names are taken from, and whether the subject is a person (a shape with a
    /// `role` field).
    pub fn who_subject(&self, ty: &Ty) -> Option<(EnumId, bool)> {
        match ty {
            Ty::Enum(e) => Some((*e, false)),
            Ty::Shape(s) => match self.policy.shapes.get(*s)?.field("role")?.ty {
                Ty::Enum(e) => Some((e, true)),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn who(&mut self, who: &ast::Who, of: EnumId, person: bool) -> (Who, WhoText) {
        let person_only = |this: &mut Self, span: Span, what: &str| {
            if !person {
                this.error(
                    span,
                    "policy::type",
                    format!("`{what}` applies to people only"),
                    "not a person here",
                    None,
                );
            }
        };
        match who {
            ast::Who::Name(name) => {
                let text = self.describe_name(name.as_str(), of);
                match self.variant_names(name, of, true) {
                    Some(vs) => (Who::OneOf(vs), WhoText::Text(text)),
                    None => (Who::Anyone, WhoText::Text(text)),
                }
            }
            ast::Who::Anyone(_) => (Who::Anyone, WhoText::Text("anyone".into())),
            ast::Who::SameAs(path) => {
                person_only(self, path.span, "same as");
                let target = self.path(path, true).unwrap_or_else(|| poison(path.span));
                if person && !matches!(self.who_subject(&target.ty), Some((_, true)) | None) {
                    self.error(
                        path.span,
                        "policy::type",
                        "`same as` needs a person".into(),
                        "not a person",
                        None,
                    );
                }
                (
                    Who::SameAs(target),
                    WhoText::Text(format!("the same person as `{}`", path.dotted())),
                )
            }
            ast::Who::Alternatives(alts, _) => {
                let (whos, texts): (Vec<Who>, Vec<WhoText>) =
                    alts.iter().map(|a| self.who(a, of, person)).unzip();
                (Who::Alternatives(whos), WhoText::Alternatives(texts))
            }
            ast::Who::InChargeOf(base, path) => {
                person_only(self, path.span, "in charge of");
                let (inner, text) = self.who(base, of, person);
                let area = self.path(path, true).unwrap_or_else(|| poison(path.span));
                if !matches!(area.ty, Ty::String | Ty::Enum(_) | Ty::Unknown) {
                    let found = self.type_name(&area.ty);
                    self.error(
                        path.span,
                        "policy::type",
                        format!("an area is a word, found `{found}`"),
                        "not an area",
                        None,
                    );
                }
                (
                    Who::InChargeOf(Box::new(inner), area.clone()),
                    WhoText::InChargeOf(Box::new(text), area),
                )
            }
            ast::Who::Among(base, paths) => {
                let (inner, text) = self.who(base, of, person);
                let mut lists = Vec::new();
                for path in paths {
                    person_only(self, path.span, "among");
                    let list = self.path(path, true).unwrap_or_else(|| poison(path.span));
                    if !matches!(&list.ty, Ty::Array(_) | Ty::Unknown) {
                        self.error(
                            path.span,
                            "policy::type",
                            "`among` needs a list of people".into(),
                            "not a list",
                            None,
                        );
                    }
                    lists.push(list);
                }
                let names: Vec<String> =
                    paths.iter().map(|p| format!("`{}`", p.dotted())).collect();
                (
                    Who::Among(Box::new(inner), lists),
                    WhoText::Qualified(Box::new(text), format!("among {}", names.join(" or "))),
                )
            }
            ast::Who::Guard(base, condition) => {
                let (inner, text) = self.who(base, of, person);
                let guard = self.condition(condition);
                // As written, on one line: a guard may span lines in the policy.
                let source = self
                    .file
                    .text
                    .get(condition.span.start..condition.span.end)
                    .unwrap_or("")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                (
                    Who::Guard(Box::new(inner), guard),
                    WhoText::Qualified(Box::new(text), format!("if {source}")),
                )
            }
        }
    }

    fn describe_name(&self, name: &str, of: EnumId) -> String {
        if let Some(group) = self.policy.groups.get(name).filter(|g| g.of_enum == of) {
            return group
                .label
                .clone()
                .unwrap_or_else(|| format!("one of `{name}`"));
        }
        self.policy
            .enums
            .get(of)
            .and_then(|e| e.label(name))
            .map_or_else(|| format!("`{name}`"), str::to_string)
    }

    /// A message with `{expression}` holes, each checked in the rule's scope. A mistake in a
    /// hole is labelled at the hole, and a `{` that is never closed is refused: printed as it is,
    /// it would show the auditor a message with a piece of the policy in it.
    pub fn template(&mut self, text: &ast::Text) -> Template {
        let offsets = value_offsets(&self.file, text);
        // The file span of value bytes `start..end`; the whole string if they cannot be mapped.
        let at = |start: usize, end: usize| match &offsets {
            Some(o) => Span::new(
                o.get(start).copied().unwrap_or(text.span.start),
                o.get(end).copied().unwrap_or(text.span.end),
            ),
            None => text.span,
        };
        let mut parts = Vec::new();
        let value = text.value.as_str();
        let mut done = 0;
        while let Some(open) = value[done..].find('{').map(|o| done + o) {
            let Some(close) = value[open..].find('}').map(|c| open + c) else {
                self.error(
                    at(open, open + 1),
                    "policy::syntax",
                    "this message opens a `{` that it never closes".into(),
                    "never closed",
                    Some("close the hole, as in `{chair.name}`".into()),
                );
                break;
            };
            if open > done {
                parts.push(TemplatePart::Text(value[done..open].to_string()));
            }
            let hole = &value[open + 1..close];
            let hole_start = open + 1;
            match crate::syntax::parse_expr(hole) {
                Ok(e) => {
                    // The hole was parsed on its own: move its spans to where it is in the file.
                    let e = map_spans(e, &|s: Span| at(hole_start + s.start, hole_start + s.end));
                    let compiled = self.expr(&e);
                    parts.push(TemplatePart::Hole(compiled));
                }
                Err(message) => self.error(
                    at(open, close + 1),
                    "policy::syntax",
                    format!("cannot read `{{{hole}}}` in this message: {message}"),
                    "in this hole",
                    Some("a message hole holds an expression such as `{chair.name}`".into()),
                ),
            }
            done = close + 1;
        }
        if done < value.len() {
            parts.push(TemplatePart::Text(value[done..].to_string()));
        }
        Template { parts }
    }
}

fn respan(e: ast::Expr, span: Span) -> ast::Expr {
    map_spans(e, &|_| span)
}

/// `e` with every span in it, down to the who-patterns, replaced by `f` of it.
fn map_spans(mut e: ast::Expr, f: &dyn Fn(Span) -> Span) -> ast::Expr {
    fn path(p: &mut ast::Path, f: &dyn Fn(Span) -> Span) {
        p.span = f(p.span);
        p.segments.iter_mut().for_each(|s| s.span = f(s.span));
    }
    fn who(w: &mut ast::Who, f: &dyn Fn(Span) -> Span) {
        match w {
            ast::Who::Name(i) => i.span = f(i.span),
            ast::Who::SameAs(p) => path(p, f),
            ast::Who::Anyone(s) => *s = f(*s),
            ast::Who::Alternatives(ws, s) => {
                *s = f(*s);
                ws.iter_mut().for_each(|w| who(w, f));
            }
            ast::Who::InChargeOf(w, p) => {
                who(w, f);
                path(p, f);
            }
            ast::Who::Among(w, ps) => {
                who(w, f);
                ps.iter_mut().for_each(|p| path(p, f));
            }
            ast::Who::Guard(w, e) => {
                who(w, f);
                walk(e, f);
            }
        }
    }
    fn walk(e: &mut ast::Expr, f: &dyn Fn(Span) -> Span) {
        e.span = f(e.span);
        match &mut e.kind {
            ExprKind::Path(p) => path(p, f),
            ExprKind::Call { function, args } => {
                function.span = f(function.span);
                args.iter_mut().for_each(|a| walk(a, f));
            }
            ExprKind::Quantifier {
                source, body, var, ..
            } => {
                var.span = f(var.span);
                walk(source, f);
                if let Some(b) = body {
                    walk(b, f);
                }
            }
            ExprKind::Unary { operand, .. } | ExprKind::Exists(operand) => walk(operand, f),
            ExprKind::Member { base, field } => {
                field.span = f(field.span);
                walk(base, f);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                walk(lhs, f);
                walk(rhs, f);
            }
            ExprKind::Is {
                subject, who: w, ..
            } => {
                walk(subject, f);
                who(w, f);
            }
            ExprKind::Set(items) => items.iter_mut().for_each(|item| match item {
                SetItem::Literal(_, s) => *s = f(*s),
                SetItem::Name(i) => i.span = f(i.span),
            }),
            ExprKind::Literal(_) => {}
        }
    }
    walk(&mut e, f);
    e
}

/// Where each byte of a string literal's value is in the policy file: `offsets[i]` is the file
/// offset of value byte `i` (and `offsets[len]` of its end). `None` when the span does not hold
/// the literal, so the caller labels the whole string.
fn value_offsets(file: &SourceFile, text: &ast::Text) -> Option<Vec<usize>> {
    let literal = file.text.get(text.span.start..text.span.end)?;
    let mut offsets = Vec::with_capacity(text.value.len() + 1);
    if let Some(raw) = literal.strip_prefix("\"\"\"") {
        // A text block drops the newline after its opening quotes.
        let skip = if raw.starts_with("\r\n") {
            2
        } else {
            usize::from(raw.starts_with('\n'))
        };
        let start = text.span.start + 3 + skip;
        offsets.extend((0..=text.value.len()).map(|i| start + i));
    } else {
        let body = literal.strip_prefix('"')?;
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let at = text.span.start + 1 + i;
            if c == '"' {
                break;
            }
            let value_char = if c == '\\' {
                match chars.next() {
                    Some((_, 'n')) => '\n',
                    Some((_, 't')) => '\t',
                    Some((_, other)) => other,
                    None => break,
                }
            } else {
                c
            };
            offsets.extend(std::iter::repeat_n(at, value_char.len_utf8()));
        }
        offsets.push(text.span.end.saturating_sub(1));
    }
    (offsets.len() == text.value.len() + 1).then_some(offsets)
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

fn literal(l: &Literal, span: Span) -> Ir {
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

fn arithmetic(op: BinaryOp, a: &Ty, b: &Ty) -> Option<Ty> {
    use Ty::*;
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

/// "did you mean `x`?" for a close name (edit distance at most 2), else `None`.
pub fn suggest(name: &str, candidates: &[String]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
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
