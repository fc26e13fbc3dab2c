//! Who-expressions: `x is mayor or vice_mayor in charge of area`, compiled with the words a
//! message describes them in.

use super::{poison, Resolver};
use crate::ast;
use crate::check::ir::{Ir, Who, WhoText};
use crate::check::model::{declare_part, EnumId, ShapeId, Ty};
use crate::source::Span;

impl Resolver<'_> {
    /// Compiles a who-pattern for `subject` (a person, or an enum value), with its description.
    pub(super) fn who_for(&mut self, subject: &Ir, who: &ast::Who) -> (Who, WhoText) {
        match self.who_subject(&subject.ty) {
            Some((of, person)) => self.who(who, of, person),
            None => {
                if subject.ty != Ty::Unknown {
                    let found = self.type_name(&subject.ty);
                    // A type without the role field: say how to name the field it has instead.
                    let help = match subject.ty {
                        Ty::Shape(s) => self.policy.shapes.get(s).map(|shape| {
                            format!(
                                "a person is a type with an enum field `{}`; if `{}` names its role in another field, declare it: {}",
                                shape.roles.role,
                                shape.name,
                                declare_part(shape, "person", "role")
                            )
                        }),
                        _ => None,
                    };
                    self.error(
                        subject.span,
                        "policy::type",
                        format!("`is` needs a person or an enum value, found `{found}`"),
                        "not a person",
                        help,
                    );
                }
                (Who::Anyone, WhoText::Text("anyone".into()))
            }
        }
    }

    /// The enum that who-names are taken from, and the subject's type when it is a person (a shape
    /// with an enum role field: `role`, or the field it declares with `as person(role: …)`).
    pub fn who_subject(&self, ty: &Ty) -> Option<(EnumId, Option<ShapeId>)> {
        match ty {
            Ty::Enum(e) => Some((*e, None)),
            Ty::Shape(s) => {
                let shape = self.policy.shapes.get(*s)?;
                match shape.field(&shape.roles.role)?.ty {
                    Ty::Enum(e) => Some((e, Some(*s))),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    pub fn who(&mut self, who: &ast::Who, of: EnumId, person: Option<ShapeId>) -> (Who, WhoText) {
        let role = person
            .and_then(|s| self.policy.shapes.get(s))
            .map(|s| s.roles.role.clone());
        let person_only = |this: &mut Self, span: Span, what: &str| {
            if person.is_none() {
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
                    Some(roles) => (Who::OneOf { roles, role }, WhoText::Text(text)),
                    None => (Who::Anyone, WhoText::Text(text)),
                }
            }
            ast::Who::Anyone(_) => (Who::Anyone, WhoText::Text("anyone".into())),
            ast::Who::SameAs(path) => {
                person_only(self, path.span, "same as");
                let target = self.path(path, true).unwrap_or_else(|| poison(path.span));
                if person.is_some()
                    && !matches!(self.who_subject(&target.ty), Some((_, Some(_))) | None)
                {
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
                let areas = person.and_then(|s| self.areas_field(s, path.span));
                (
                    Who::InChargeOf {
                        who: Box::new(inner),
                        area: area.clone(),
                        areas: areas.unwrap_or_default(),
                    },
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

    /// The field of person type `shape` that lists its areas in charge; a load error when it has
    /// neither `portfolio` nor the field it declares, since `in charge of` would never hold.
    fn areas_field(&mut self, shape: ShapeId, at: Span) -> Option<String> {
        let def = self.policy.shapes.get(shape)?;
        if def.field(&def.roles.areas).is_some() {
            return Some(def.roles.areas.clone());
        }
        let message = format!(
            "`in charge of` reads the areas of charge of a person of type `{}`, which has no field `{}`",
            def.name, def.roles.areas
        );
        let help = format!(
            "add a field `{}: [string]`, or declare the field that lists them: {}",
            def.roles.areas,
            declare_part(def, "person", "areas")
        );
        self.error(
            at,
            "policy::convention",
            message,
            "no areas to read",
            Some(help),
        );
        None
    }

    pub(super) fn describe_name(&self, name: &str, of: EnumId) -> String {
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
}
