//! Stage 3: static checks. Policy files → a checked [`Policy`]: every name resolved, every type
//! checked, every rule compiled; all problems reported at once with labels in the policy text.

pub mod compiled;
pub mod coverage;
mod declare;
mod defines;
pub mod ir;
pub mod model;
mod resolve;
mod rules;

use std::sync::Arc;

pub use model::*;
pub use resolve::{edit_distance, suggest};

use crate::ast::{Item, PolicyFile};
use crate::diagnostic::{Diagnostic, Label};
use crate::source::SourceFile;

/// A `--set name=value` override of a parameter.
#[derive(Debug, Clone)]
pub struct Override {
    pub name: String,
    pub value: String,
    /// Where it was written when it comes from a file (the `[set]` table of `bylaw.toml`), so a
    /// problem with it is shown there; `None` on the command line.
    pub place: Option<(Arc<SourceFile>, crate::source::Span)>,
}

impl Override {
    /// How the user wrote it: `--set name=value`, or `[set] name = value` in a file.
    fn written(&self, with_value: bool) -> String {
        match (&self.place, with_value) {
            (None, true) => format!("`--set {}={}`", self.name, self.value),
            (None, false) => format!("`--set {}`", self.name),
            (Some(_), _) => format!("`[set] {}`", self.name),
        }
    }

    /// `d`, located at the override when it has a place.
    fn locate(&self, d: Diagnostic) -> Diagnostic {
        match &self.place {
            None => d,
            Some((source, span)) => d
                .in_file(source.clone())
                .with_label(Label::primary(*span, "set here")),
        }
    }
}

/// The bundled policy with the parameter overrides: read from its compiled form when there are
/// none (and the form is current), parsed and checked otherwise.
pub fn load_bundled(overrides: &[Override]) -> Result<Policy, Vec<Diagnostic>> {
    let files = crate::policy_files::default_policy();
    match overrides
        .is_empty()
        .then(|| compiled::bundled(&files))
        .flatten()
    {
        Some(policy) => Ok(policy),
        None => load(&files, overrides),
    }
}

/// Parses and checks policy files into one policy, applying parameter overrides.
pub fn load(
    sources: &[Arc<SourceFile>],
    overrides: &[Override],
) -> Result<Policy, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut files: Vec<PolicyFile> = Vec::new();
    // Parsing is most of loading (the bundled policy is 165 KB in 15 files), and each file is
    // parsed on its own: on every core, then taken in the files' order, so the errors are too.
    let parsed: Vec<_> = {
        use rayon::prelude::*;
        sources.par_iter().map(crate::syntax::parse).collect()
    };
    for parsed in parsed {
        match parsed {
            Ok(mut file) => {
                errors.append(&mut file.problems);
                files.push(file);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    let mut decls = declare::Declarations::collect(&files);
    apply_overrides(&mut decls.policy, overrides, &mut decls.errors);
    for file in &files {
        for item in &file.items {
            if let Item::Define(define) = item {
                defines::declare(&mut decls, &file.source, define);
            }
        }
    }
    let mut rules = Vec::new();
    for file in &files {
        for item in &file.items {
            match item {
                Item::Rule(rule) => {
                    rules.extend(rules::compile_rule(&mut decls, &file.source, rule, None))
                }
                Item::Article(article) => {
                    for rule in &article.rules {
                        rules.extend(rules::compile_rule(
                            &mut decls,
                            &file.source,
                            rule,
                            Some(article.number),
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    let mut policy = std::mem::take(&mut decls.policy);
    errors.append(&mut decls.errors);
    for rule in &rules {
        if let Some(article) = rule.article.filter(|a| !policy.articles.contains_key(a)) {
            if !rule.id.starts_with("set.") {
                errors.push(
                    Diagnostic::error(
                        "policy::unknown-article",
                        format!(
                            "rule `{}` cites article {article}, which the policy does not contain",
                            rule.id
                        ),
                    )
                    .in_file(rule.origin.file.clone())
                    .with_label(Label::primary(rule.origin.id_span, "no such article"))
                    .with_help(format!(
                        "put the rule inside `article {article} \"…\" {{ … }}`, or number it after an article the policy has"
                    )),
                );
            }
        }
    }
    policy.rules = rules;
    number_scope_conditions(&mut policy.rules);
    errors.extend(checked_and_not_checked(&policy));
    errors.extend(waivers_unread(&policy, &files));
    policy.implicit = implicit_rules(&policy);
    if policy.name.is_empty() && errors.is_empty() {
        let mut d = Diagnostic::error(
            "policy::header",
            "the policy has no `policy \"name\" { … }` header",
        );
        if let Some(first) = sources.first() {
            d = d.in_file(first.clone()).with_label(Label::primary(
                crate::source::Span::new(0, 0),
                "expected here or in another policy file",
            ));
        }
        errors.push(d);
    }
    if errors.is_empty() {
        Ok(policy)
    } else {
        Err(errors)
    }
}

/// Gives each distinct conjunct of the rules' scopes an id (equal conjuncts, `==`, share one), so
/// that evaluation works each out once per record however many rules' scopes it is part of: a
/// meeting is in the scope of a dozen rules that start `kind in {plenary, executive} and …`.
/// Compared once here, when the policy is loaded, never while records are judged.
fn number_scope_conditions(rules: &mut [RuleDef]) {
    let mut distinct: Vec<ir::Ir> = Vec::new();
    for rule in rules {
        let RuleKind::Record(body) = &mut rule.kind else {
            continue;
        };
        let Some(condition) = &body.condition else {
            continue;
        };
        body.scope = (condition.conjuncts().into_iter())
            .map(|part| {
                let id = match distinct.iter().position(|d| d == part) {
                    Some(id) => id,
                    None => {
                        distinct.push(part.clone());
                        distinct.len() - 1
                    }
                };
                ScopePart {
                    id,
                    condition: part.clone(),
                    quick: ir::Quick::compile(part),
                }
            })
            .collect();
    }
}

/// Articles that have rules and yet say no rule checks them: one of the two is wrong, and an
/// auditor reading the coverage could not tell which.
fn checked_and_not_checked(policy: &Policy) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for article in policy.articles.values() {
        let Some(not_checked) = &article.not_checked else {
            continue;
        };
        let rules = policy.rules_of_article(article.number);
        if rules.is_empty() {
            continue;
        }
        let ids: Vec<String> = rules.iter().map(|r| format!("`{}`", r.id)).collect();
        let mut d = Diagnostic::error(
            "policy::not-checked",
            format!(
                "article {} has a `not_checked` reason, yet rule{} {} check{} it",
                article.number,
                if rules.len() == 1 { "" } else { "s" },
                ids.join(", "),
                if rules.len() == 1 { "s" } else { "" },
            ),
        )
        .in_file(article.file.clone())
        .with_label(Label::primary(not_checked.span, "says no rule checks the article"))
        .with_help(
            "an article is checked by its rules or says why it is not: remove the `not_checked` clause, or move the rules to the article they check",
        );
        for rule in &rules {
            if Arc::ptr_eq(&rule.origin.file, &article.file) {
                d = d.with_label(Label::secondary(
                    rule.origin.id_span,
                    "a rule of the article",
                ));
            } else {
                d.related.push(
                    Diagnostic::new(
                        crate::diagnostic::Severity::Advice,
                        "policy::not-checked",
                        format!("rule `{}` of article {}", rule.id, article.number),
                    )
                    .in_file(rule.origin.file.clone())
                    .with_label(Label::secondary(
                        rule.origin.id_span,
                        "a rule of the article",
                    )),
                );
            }
        }
        errors.push(d);
    }
    errors
}

/// The integrity checks the policy does not declare, as rules of their own: `set.N` as in the
/// built-in policy, or the next free `set.` number when the policy gave that id to another rule.
fn implicit_rules(policy: &Policy) -> Vec<RuleDef> {
    let Some(file) = policy.files.first() else {
        return Vec::new();
    };
    let mut implicit: Vec<RuleDef> = Vec::new();
    for (which, id, title, help) in BuiltinRule::BY_DEFAULT {
        if policy.builtin(which).is_some() {
            continue;
        }
        let taken = |id: &str| {
            policy.rules.iter().any(|r| r.id == id) || implicit.iter().any(|r| r.id == id)
        };
        let id = if taken(id) {
            (1..)
                .map(|n| format!("set.{n}"))
                .find(|id| !taken(id))
                .unwrap_or_else(|| id.to_string())
        } else {
            id.to_string()
        };
        implicit.push(RuleDef {
            id,
            article: None,
            cites: Vec::new(),
            severity: crate::diagnostic::Severity::Error,
            title: title.to_string(),
            help: Some(help.to_string()),
            quotes: Vec::new(),
            message: None,
            kind: RuleKind::Builtin(which),
            slots: 0,
            needs_context: false,
            // Written nowhere: the policy's first file, at its start.
            origin: Origin {
                file: file.clone(),
                span: crate::source::Span::new(0, 0),
                id_span: crate::source::Span::new(0, 0),
            },
        });
    }
    implicit
}

/// Waivers the checker would never read: a record type whose list of waiver-like objects (with a
/// `rule` and a `reason`) is not its waivers field, or rules about waivers when no record type has
/// a waivers field at all. Either way every waiver would be ignored without a word.
fn waivers_unread(policy: &Policy, files: &[PolicyFile]) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let waiver_like = |ty: &Ty| match ty {
        Ty::Array(inner) => match **inner {
            Ty::Shape(s) => policy
                .shapes
                .get(s)
                .is_some_and(|w| w.field("rule").is_some() && w.field("reason").is_some()),
            _ => false,
        },
        _ => false,
    };
    let mut suggestion = None;
    let mut any_waivers = false;
    for file in files {
        for item in &file.items {
            let Item::Record(t) = item else { continue };
            let Some(shape) = policy.record_type(t.name.as_str()) else {
                continue;
            };
            if shape.field(&shape.roles.waivers).is_some() {
                any_waivers = true;
                continue;
            }
            let Some(field) = shape.fields.iter().find(|f| waiver_like(&f.ty)) else {
                continue;
            };
            let at = t
                .fields
                .iter()
                .find(|f| f.name.as_str() == field.name)
                .map_or(t.name.span, |f| f.name.span);
            suggestion.get_or_insert_with(|| (shape.name.clone(), field.name.clone()));
            errors.push(
                Diagnostic::error(
                    "policy::convention",
                    format!(
                        "`{}` looks like the waivers of a `{}`, yet waivers are read from a field `{}`",
                        field.name, shape.name, shape.roles.waivers
                    ),
                )
                .in_file(file.source.clone())
                .with_label(Label::primary(at, "never read as waivers"))
                .with_help(format!(
                    "declare the field that holds the record's waivers: `record {} {{ … }} as waivable(waivers: {})`",
                    shape.name, field.name
                )),
            );
        }
    }
    if any_waivers || !errors.is_empty() {
        return errors;
    }
    // Only the rules the policy declares: an implicit set.4 finds nothing to check, harmlessly.
    let declared = |which: BuiltinRule| {
        policy
            .rules
            .iter()
            .find(|r| matches!(r.kind, RuleKind::Builtin(b) if b == which))
    };
    for which in [BuiltinRule::Waivers, BuiltinRule::UnusedWaivers] {
        let Some(rule) = declared(which) else {
            continue;
        };
        // The record type and field to name: a waiver-like field if any, else the first type.
        let (record, field) = suggestion.clone().unwrap_or_else(|| {
            let first = policy.records.keys().next().cloned();
            (first.unwrap_or_else(|| "letter".into()), "<field>".into())
        });
        errors.push(
            Diagnostic::error(
                "policy::convention",
                format!(
                    "rule `{}` checks waivers, and no record type has a field `waivers`",
                    rule.id
                ),
            )
            .in_file(rule.origin.file.clone())
            .with_label(Label::primary(rule.origin.id_span, "no waivers to check"))
            .with_help(format!(
                "add `waivers: [waiver]` to the record types that may be waived, or declare the field that holds them: `record {record} {{ … }} as waivable(waivers: {field})`"
            )),
        );
    }
    errors
}

fn apply_overrides(policy: &mut Policy, overrides: &[Override], errors: &mut Vec<Diagnostic>) {
    for o in overrides {
        let names: Vec<String> = policy.params.iter().map(|p| p.name.clone()).collect();
        let Some(param) = policy.params.iter_mut().find(|p| p.name == o.name) else {
            let help = resolve::suggest(&o.name, &names)
                .or_else(|| Some(format!("parameters: {}", names.join(", "))));
            let mut d = Diagnostic::error(
                "usage::unknown-parameter",
                format!(
                    "{}: the policy has no parameter `{}`",
                    o.written(false),
                    o.name
                ),
            );
            d.help = help;
            errors.push(o.locate(d));
            continue;
        };
        // A policy writes a parameter's default as a literal, and the language has no negative
        // literals (`-` is an operator): every `int` or `number` parameter is a count or an amount,
        // such as days. An override may not give what the policy itself could not write.
        let negative = match param.ty {
            Ty::Int => o.value.parse::<i64>().is_ok_and(|n| n < 0),
            Ty::Number => o.value.parse::<f64>().is_ok_and(|n| n < 0.0),
            _ => false,
        };
        if negative {
            errors.push(
                o.locate(
                    Diagnostic::error(
                        "usage::parameter-value",
                        format!("{}: a parameter cannot be negative", o.written(true)),
                    )
                    .with_help(format!(
                        "`{}`: {}; default {}, give 0 or more",
                        o.name,
                        param.doc.as_deref().unwrap_or("a count or an amount"),
                        param.default
                    )),
                ),
            );
            continue;
        }
        let parsed = match param.ty {
            Ty::Int => o.value.parse().ok().map(ir::Const::Int),
            // `NaN` and `inf` parse as numbers but are not amounts.
            Ty::Number => o
                .value
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(ir::Const::Number),
            Ty::Bool => o.value.parse().ok().map(ir::Const::Bool),
            Ty::Date => crate::time::parse_date(&o.value).ok().map(ir::Const::Date),
            Ty::String => Some(ir::Const::String(o.value.clone())),
            _ => None,
        };
        match parsed {
            Some(value) => param.value = value,
            None => errors.push(o.locate(Diagnostic::error(
                "usage::parameter-value",
                format!(
                    "{}: `{}` is not a valid value for this parameter (default {})",
                    o.written(true),
                    o.value,
                    param.default
                ),
            ))),
        }
    }
}
