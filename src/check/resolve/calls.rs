//! Calls of builtin functions, typed from their registry entries ([`crate::builtins`]).

use super::{ir, poison, suggest, Resolver};
use crate::ast;
use crate::builtins::{At, TypeEnv};
use crate::check::ir::{Ir, Node};
use crate::check::model::{Policy, ShapeId, Ty};
use crate::source::Span;

impl Resolver<'_> {
    /// A call of a builtin: the registry entry named, its arguments' number and kinds checked,
    /// then whatever more its typing function checks.
    pub(super) fn call(&mut self, function: &ast::Ident, args: &[ast::Expr], span: Span) -> Ir {
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

    fn time_field(&self, shape: ShapeId) -> &str {
        self.0
            .shapes
            .get(shape)
            .map_or("at", |s| s.roles.at.as_str())
    }
}
