//! Names: dotted paths through the record's fields, local variables and parameters; defines
//! expanded where they are used; bare enum variants; "unknown field" with a suggestion.

use super::{ir, poison, suggest, Resolver, MAX_EXPANSIONS};
use crate::ast::{self, ExprKind};
use crate::check::ir::{FieldName, Ir, Node};
use crate::check::model::{DefineDef, EnumId, Ty};
use crate::diagnostic::{Diagnostic, Label};
use crate::source::Span;

impl Resolver<'_> {
    /// Resolves a dotted path; `None` (with no error when `report` is false) if its first name
    /// is not a variable, a field of the record, or a parameter.
    pub fn path(&mut self, p: &ast::Path, report: bool) -> Option<Ir> {
        let (first, rest) = p.segments.split_first()?;
        let mut current =
            if let Some(local) = self.locals.iter().rev().find(|l| l.name == first.as_str()) {
                ir(Node::Local(local.slot), local.ty.clone(), first.span)
            } else if let Some((index, field)) = self
                .root
                .and_then(|r| self.policy.shapes.get(r))
                .and_then(|s| s.field_at(first.as_str()))
            {
                let ty = field.ty.clone();
                let root = ir(
                    Node::Root,
                    Ty::Shape(self.root.unwrap_or_default()),
                    first.span,
                );
                let name = FieldName {
                    name: first.name.clone(),
                    index,
                };
                ir(Node::Field(Box::new(root), name), ty, first.span)
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
    pub(super) fn expand(&mut self, define: &DefineDef, span: Span) -> Ir {
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

    pub(super) fn unknown_name(&mut self, name: &ast::Ident) {
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

    pub(super) fn field(&mut self, base: Ir, segment: &ast::Ident) -> Option<Ir> {
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
                match shape.field_at(segment.as_str()) {
                    Some((index, field)) => {
                        let ty = field.ty.clone();
                        let name = FieldName {
                            name: segment.name.clone(),
                            index,
                        };
                        Some(ir(Node::Field(Box::new(base), name), ty, span))
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

    /// A bare name where an enum variant (or, with `allow_groups`, a group) of `of` is expected.
    pub(super) fn variant_names(
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

    pub(super) fn bare_name(e: &ast::Expr) -> Option<&ast::Ident> {
        match &e.kind {
            ExprKind::Path(p) if p.segments.len() == 1 => p.segments.first(),
            _ => None,
        }
    }

    pub(super) fn path_is_unresolved(&self, name: &ast::Ident) -> bool {
        !(self.locals.iter().any(|l| l.name == name.as_str())
            || self
                .root
                .and_then(|r| self.policy.shapes.get(r))
                .is_some_and(|s| s.field(name.as_str()).is_some())
            || self.policy.params.iter().any(|p| p.name == name.as_str()))
    }
}

fn respan(mut e: ast::Expr, span: Span) -> ast::Expr {
    e.map_spans(&|_| span);
    e
}
