//! Rules: each `rule` block compiled to a [`RuleDef`], with its clauses checked against the
//! declared record types.

use std::sync::Arc;

use super::declare::Declarations;
use super::ir::{ChainFields, ChainIr, ExpectedStep, Quick};
use super::model::*;
use super::resolve::Resolver;
use crate::ast::{self, RuleDecl, SeverityAst};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::source::SourceFile;

fn severity(s: SeverityAst) -> Severity {
    match s {
        SeverityAst::Error => Severity::Error,
        SeverityAst::Warning => Severity::Warning,
    }
}

/// Compiles one rule; errors go to `decls.errors`.
pub fn compile_rule(
    decls: &mut Declarations<'_>,
    file: &Arc<SourceFile>,
    rule: &RuleDecl,
    article: Option<u32>,
) -> Option<RuleDef> {
    let id = rule.id.as_str().to_string();
    if let Some(number) = article {
        if !id.starts_with(&format!("{number}.")) {
            let d = Diagnostic::error(
                "policy::rule-id",
                format!("rule `{id}` sits in article {number}"),
            )
            .in_file(file.clone())
            .with_label(Label::primary(rule.id.span, "id of another article"))
            .with_help(format!(
                "number the rules of article {number} as `{number}.1`, `{number}.2`, …"
            ));
            decls.errors.push(d);
        }
    }
    if !decls.declare("rule", &id, file, rule.id.span) {
        return None;
    }
    let article = article.or_else(|| id.split('.').next().and_then(|n| n.parse().ok()));

    let doc = &rule.doc;
    if doc.title.is_none() {
        let d = Diagnostic::error("policy::rule-shape", format!("rule `{id}` has no `title`"))
            .in_file(file.clone())
            .with_label(Label::primary(rule.id.span, "this rule"))
            .with_help("add `title \"…\"`: it heads every finding");
        decls.errors.push(d);
    }
    let quotes = doc
        .quotes
        .iter()
        .filter_map(|q| quote(decls, file, &id, article, q))
        .collect();

    let policy = &decls.policy;
    let mut resolver = Resolver::new(policy, file.clone(), None);
    let kind = match &rule.body {
        Some(ast::RuleBody::Builtin(name)) => builtin_rule(&mut resolver, name),
        Some(ast::RuleBody::Count(body)) => count_rule(&mut resolver, rule, body),
        Some(ast::RuleBody::Record(body)) => record_rule(&mut resolver, rule, body),
        // Syntax reported a rule that says neither.
        None => None,
    }
    .unwrap_or(RuleKind::Builtin(BuiltinRule::UniqueIds));
    let message = doc.message.as_ref().map(|m| resolver.template(m));
    let slots = resolver.slots;
    let needs_context = resolver.needs_context;
    let read = std::mem::take(&mut resolver.read_through_references);
    decls.errors.append(&mut resolver.errors);
    for (shape, field) in read {
        decls
            .policy
            .read_through_references
            .entry(shape)
            .or_default()
            .insert(field);
    }
    Some(RuleDef {
        id: id.clone(),
        article,
        cites: doc.cites.iter().map(|(n, _)| *n).collect(),
        severity: severity(rule.severity),
        title: doc.title.as_ref().map_or(id, |t| t.value.clone()),
        help: doc.help.as_ref().map(|t| t.value.clone()),
        quotes,
        message,
        kind,
        slots,
        needs_context,
        origin: Origin {
            file: file.clone(),
            span: rule.span,
            id_span: rule.id.span,
        },
    })
}

/// `builtin NAME`: one of bylaw's checks of the record set.
fn builtin_rule(resolver: &mut Resolver<'_>, name: &ast::Ident) -> Option<RuleKind> {
    match BuiltinRule::ALL.iter().find(|(n, _)| *n == name.as_str()) {
        Some((_, b)) => Some(RuleKind::Builtin(*b)),
        None => {
            let names: Vec<&str> = BuiltinRule::ALL.iter().map(|(n, _)| *n).collect();
            resolver.error(
                name.span,
                "policy::unknown-builtin",
                format!("unknown builtin check `{}`", name.as_str()),
                "no such check",
                Some(format!("builtin checks: {}", names.join(", "))),
            );
            None
        }
    }
}

/// `count TYPE where … per UNIT of DATE expect MIN..MAX`: records counted per period.
fn count_rule(
    resolver: &mut Resolver<'_>,
    rule: &RuleDecl,
    body: &ast::CountBody,
) -> Option<RuleKind> {
    let id = rule.id.as_str();
    let shape = record_shape(resolver, &body.count.record);
    resolver.root = shape;
    let condition = body.count.condition.as_ref().map(|c| resolver.condition(c));
    let date = match &body.per {
        Some(per) => resolver.path(&per.field, true).filter(|d| {
            let ok = matches!(d.ty, Ty::Date | Ty::DateTime);
            if !ok {
                resolver.error(
                    per.field.span,
                    "policy::type",
                    "`per … of` needs a date or datetime field".into(),
                    "not a date",
                    None,
                );
            }
            ok
        }),
        None => {
            resolver.error(
                rule.id.span,
                "policy::rule-shape",
                format!("rule `{id}` counts records but has no `per` clause"),
                "this rule",
                Some("add e.g. `per month of start`".into()),
            );
            None
        }
    };
    let group = body.by.as_ref().and_then(|by| {
        let group = resolver.path(by, true)?;
        if !matches!(
            group.ty,
            Ty::String | Ty::Enum(_) | Ty::Ref(_) | Ty::Int | Ty::Unknown
        ) {
            let found = resolver.policy.type_name(&group.ty);
            resolver.error(
                by.span,
                "policy::type",
                format!(
                    "`by` groups records by a string, enum, reference or int, not by a `{found}`"
                ),
                "cannot group by this",
                Some("group by a field such as `by supplier` or `by department`".into()),
            );
        }
        Some(group)
    });
    let sum = body.sum.as_ref().and_then(|sum| {
        let amount = resolver.path(sum, true)?;
        if !matches!(amount.ty, Ty::Int | Ty::Number | Ty::Unknown) {
            let found = resolver.policy.type_name(&amount.ty);
            resolver.error(
                sum.span,
                "policy::type",
                format!("`sum` adds numbers, found a value of type `{found}`"),
                "not a number",
                Some("sum an `int` or `number` field, such as `sum amount`".into()),
            );
        }
        Some(amount)
    });
    let (min, max) = match &body.expect {
        Some(expect) => {
            let min = bound(resolver, &expect.min);
            let max = expect
                .max
                .as_ref()
                .map_or(Some(u64::MAX), |b| bound(resolver, b));
            match (min, max) {
                (Some(min), Some(max)) if max < min => resolver.error(
                    expect.span,
                    "policy::rule-shape",
                    format!("the range {min}..{max} is empty"),
                    "empty range",
                    None,
                ),
                _ => {}
            }
            (min.unwrap_or(0), max.unwrap_or(u64::MAX))
        }
        None => {
            resolver.error(
                rule.id.span,
                "policy::rule-shape",
                format!("rule `{id}` counts records but has no `expect` clause"),
                "this rule",
                Some("add e.g. `expect 1..2`".into()),
            );
            (0, u64::MAX)
        }
    };
    // A periodic message may say how many were counted, in which period, against what range;
    // with `by`, for which group, and with `sum`, their total. A hole for a clause the rule does
    // not have is refused: it would show nothing.
    if let Some(message) = &rule.doc.message {
        for (name, clause, example) in [
            ("group", body.by.is_none(), "by supplier"),
            ("total", body.sum.is_none(), "sum amount"),
        ] {
            if let Some(at) = clause.then(|| hole_naming(message, name)).flatten() {
                resolver.error(
                    at,
                    "policy::unknown-name",
                    format!(
                        "`{{{name}}}` means nothing in rule `{id}`: it has no `{}` clause",
                        example.split(' ').next().unwrap_or(name)
                    ),
                    "nothing to show",
                    Some(format!(
                        "add e.g. `{example}` to the rule, or remove the hole"
                    )),
                );
            }
        }
    }
    let total = match sum.as_ref().map(|s| &s.ty) {
        Some(Ty::Int) => Ty::Int,
        Some(_) => Ty::Number,
        None => Ty::Unknown,
    };
    let locals = [
        resolver.bind("count", Ty::Int),
        resolver.bind("period", Ty::String),
        resolver.bind("expected", Ty::String),
        resolver.bind(
            "group",
            if body.by.is_some() {
                Ty::String
            } else {
                Ty::Unknown
            },
        ),
        resolver.bind("total", total),
    ];
    let unit = body.per.as_ref().map_or(ast::PeriodUnit::Month, |p| p.unit);
    Some(RuleKind::Periodic(PeriodicRule {
        record: shape?,
        condition,
        unit,
        date: date?,
        group,
        sum,
        min,
        max,
        locals,
    }))
}

/// One end of an `expect` range: a number, or the value of an `int` parameter (after any
/// override, which is applied before rules are compiled).
fn bound(resolver: &mut Resolver<'_>, bound: &ast::Bound) -> Option<u64> {
    let name = match bound {
        ast::Bound::Count(n) => return Some(*n),
        ast::Bound::Param(name) => name,
    };
    let param = resolver
        .policy
        .params
        .iter()
        .find(|p| p.name == name.as_str());
    match param.map(|p| &p.value) {
        Some(super::ir::Const::Int(n)) => match u64::try_from(*n) {
            Ok(n) => Some(n),
            Err(_) => {
                resolver.error(
                    name.span,
                    "policy::type",
                    format!("the parameter `{}` is {n}, not a count", name.as_str()),
                    "negative",
                    None,
                );
                None
            }
        },
        Some(_) => {
            resolver.error(
                name.span,
                "policy::type",
                format!(
                    "`expect` takes a whole number or an `int` parameter, and `{}` is not an `int`",
                    name.as_str()
                ),
                "not an `int` parameter",
                Some(format!("declare it `param {}: int = …`", name.as_str())),
            );
            None
        }
        None => {
            let names: Vec<String> = (resolver.policy.params.iter())
                .filter(|p| matches!(p.value, super::ir::Const::Int(_)))
                .map(|p| p.name.clone())
                .collect();
            let help = super::resolve::suggest(name.as_str(), &names).or_else(|| {
                Some(if names.is_empty() {
                    "declare it: `param NAME: int = …`".into()
                } else {
                    format!("`int` parameters: {}", names.join(", "))
                })
            });
            resolver.error(
                name.span,
                "policy::unknown-name",
                format!("unknown parameter `{}`", name.as_str()),
                "no such parameter",
                help,
            );
            None
        }
    }
}

/// Where a message's hole reads the bare name `name` (`{group}`, `{total + 1}`), if one does.
fn hole_naming(message: &ast::Template, name: &str) -> Option<crate::source::Span> {
    fn find(e: &ast::Expr, name: &str) -> Option<crate::source::Span> {
        use ast::ExprKind as K;
        match &e.kind {
            K::Path(p) => {
                (p.segments.first().map(ast::Ident::as_str) == Some(name)).then_some(p.span)
            }
            K::Call { args, .. } => args.iter().find_map(|a| find(a, name)),
            K::Quantifier { source, body, .. } => {
                find(source, name).or_else(|| body.as_deref().and_then(|b| find(b, name)))
            }
            K::Unary { operand, .. } | K::Exists(operand) | K::WorkingDays(operand) => {
                find(operand, name)
            }
            K::Member { base, .. } => find(base, name),
            K::Is { subject, .. } => find(subject, name),
            K::Binary { lhs, rhs, .. } => find(lhs, name).or_else(|| find(rhs, name)),
            K::If {
                condition,
                then,
                otherwise,
            } => find(condition, name)
                .or_else(|| find(then, name))
                .or_else(|| find(otherwise, name)),
            K::Literal(_) | K::Set(_) => None,
        }
    }
    message.parts.iter().find_map(|part| match part {
        ast::TemplatePart::Hole(e) => find(e, name),
        ast::TemplatePart::Text(_) => None,
    })
}

/// `on TYPE where …`, an optional `for each`, `let`s and `require`s: each record judged alone.
fn record_rule(
    resolver: &mut Resolver<'_>,
    rule: &RuleDecl,
    body: &ast::RecordBody,
) -> Option<RuleKind> {
    let shape = record_shape(resolver, &body.on.record);
    resolver.root = shape;
    let condition = body.on.condition.as_ref().map(|c| resolver.condition(c));
    let scope_needs_context = resolver.needs_context;
    let for_each = body.for_each.as_ref().and_then(|each| {
        let source_ir = resolver.path(&each.source, true);
        let element = match source_ir.as_ref().map(|s| &s.ty) {
            Some(Ty::Array(inner)) => (**inner).clone(),
            Some(other) => {
                let found = resolver.policy.type_name(other);
                resolver.error(
                    each.source.span,
                    "policy::type",
                    format!("`for each` needs a list, found `{found}`"),
                    "not a list",
                    None,
                );
                Ty::Unknown
            }
            None => Ty::Unknown,
        };
        let slot = resolver.bind(each.var.as_str(), element);
        let condition = each.condition.as_ref().map(|c| resolver.condition(c));
        source_ir.map(|source| ForEach {
            slot,
            source,
            condition,
        })
    });
    let lets = body
        .lets
        .iter()
        .filter_map(|l| bind_let(resolver, &l.name, &l.value))
        .collect();
    if body.requires.is_empty() {
        resolver.error(
            rule.id.span,
            "policy::rule-shape",
            format!("rule `{}` has no `require` clause", rule.id.as_str()),
            "this rule",
            Some("say what must hold: `require …`".into()),
        );
    }
    let requires: Vec<RequireDef> = body
        .requires
        .iter()
        .map(|r| require(resolver, r, severity(rule.severity)))
        .collect();
    Some(RuleKind::Record(RecordRule {
        record: shape?,
        condition,
        scope_needs_context,
        // Numbered once every rule is compiled ([`super::number_scope_conditions`]).
        scope: Vec::new(),
        for_each,
        lets,
        requires,
    }))
}

/// A `quote` clause checked against the rule's article: the original must be a part of the
/// article's text, compared without white space (the policy file wraps both at its own width;
/// `……` stands for words left out), and neither the original nor the gloss may be blank. A rule of the record set has no article
/// to quote.
fn quote(
    decls: &mut Declarations<'_>,
    file: &Arc<SourceFile>,
    id: &str,
    article: Option<u32>,
    q: &ast::Quote,
) -> Option<QuoteDef> {
    let mut refuse = |span, message: String, label: &str, help: String| {
        let d = Diagnostic::error("policy::quote", message)
            .in_file(file.clone())
            .with_label(Label::primary(span, label.to_string()))
            .with_help(help);
        decls.errors.push(d);
    };
    let article = article.filter(|_| !id.starts_with("set."));
    let Some(number) = article else {
        refuse(
            q.span,
            format!("rule `{id}` quotes an article, but a rule of the record set belongs to none"),
            "no article to quote",
            "remove the `quote`; say what the rule checks in its `title` and `help`".into(),
        );
        return None;
    };
    let compact = |text: &str| text.split_whitespace().collect::<String>();
    let original = compact(&q.original.value);
    let gloss = q
        .gloss
        .value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // An ellipsis alone quotes nothing.
    if original.chars().all(|c| c == '…') || gloss.is_empty() {
        let (span, what) = if !gloss.is_empty() {
            (q.original.span, "no words of the article")
        } else {
            (q.gloss.span, "blank gloss")
        };
        refuse(
            span,
            format!("rule `{id}` quotes article {number} with blank text"),
            what,
            "write `quote \"\"\"the article's words\"\"\" \"\"\"their English gloss\"\"\"`".into(),
        );
        return None;
    }
    // An unknown article is reported once, where the rule is; its quote cannot be checked.
    let article = decls.policy.articles.get(&number)?;
    let text = (decls.compact_texts)
        .entry(number)
        .or_insert_with(|| compact(&article.text));
    if !verbatim(text, &original) {
        refuse(
            q.original.span,
            format!("rule `{id}` quotes words that are not in the text of article {number}"),
            "not a verbatim part of the article",
            format!("copy the sentence from the `text` of article {number}, character for character; only white space and line breaks may differ, and `……` marks words left out"),
        );
        return None;
    }
    Some(QuoteDef {
        original: one_line(&q.original.value),
        gloss,
        span: q.span,
    })
}

/// `quote` is a part of `text` (both without white space), where an ellipsis `…` (or `……`)
/// stands for words left out: the pieces between ellipses appear in `text` in order.
fn verbatim(text: &str, quote: &str) -> bool {
    if text.contains(quote) {
        return true;
    }
    let mut pieces = quote.split('…').filter(|p| !p.is_empty()).peekable();
    if pieces.peek().is_none() {
        return false;
    }
    let mut rest = text;
    for piece in pieces {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// `let name = value`: compiled against the record and any `for each` variable, then bound for
/// the requirements. A name that hides a field, variable or parameter is refused.
fn bind_let(resolver: &mut Resolver<'_>, name: &ast::Ident, value: &ast::Expr) -> Option<LetDef> {
    let hidden = ast::Path {
        segments: vec![name.clone()],
        span: name.span,
    };
    if resolver.path(&hidden, false).is_some() {
        resolver.error(
            name.span,
            "policy::duplicate",
            format!(
                "`let {}` hides a field, variable or parameter of that name",
                name.as_str()
            ),
            "name already in use",
            Some("choose another name".into()),
        );
        return None;
    }
    let value = resolver.expr(value);
    let slot = resolver.bind(name.as_str(), value.ty.clone());
    Some(LetDef { slot, value })
}

fn record_shape(resolver: &mut Resolver<'_>, record: &ast::Ident) -> Option<ShapeId> {
    match resolver.policy.records.get(record.as_str()) {
        Some(&id) => Some(id),
        None => {
            let names: Vec<String> = resolver.policy.records.keys().cloned().collect();
            let help = super::resolve::suggest(record.as_str(), &names)
                .or_else(|| Some(format!("record types: {}", names.join(", "))));
            resolver.error(
                record.span,
                "policy::unknown-type",
                format!("unknown record type `{}`", record.as_str()),
                "no such record type",
                help,
            );
            None
        }
    }
}

fn require(resolver: &mut Resolver<'_>, r: &ast::Require, rule_severity: Severity) -> RequireDef {
    let when = r.when.as_ref().map(|w| resolver.condition(w));
    let what = match &r.what {
        ast::Requirement::Holds(e) => Requirement::Holds(resolver.condition(e)),
        ast::Requirement::Chain(c) => Requirement::Chain(chain(resolver, c)),
    };
    let at = r.at.as_ref().and_then(|p| resolver.path(p, true));
    let message = r.message.as_ref().map(|m| resolver.template(m));
    RequireDef {
        quick_when: when.as_ref().and_then(Quick::compile),
        quick_holds: match &what {
            Requirement::Holds(condition) => Quick::compile(condition),
            Requirement::Chain(_) => None,
        },
        what,
        when,
        at,
        severity: r.severity.map_or(rule_severity, severity),
        message,
        span: r.span,
    }
}

/// A chain's steps are objects with an enum `action`, a person `by` and a datetime `at`, or the
/// fields their type declares with `as step(…)`.
fn chain(resolver: &mut Resolver<'_>, c: &ast::Chain) -> ChainIr {
    let steps = resolver.path(&c.steps_path, true);
    let step_shape = match steps.as_ref().map(|s| &s.ty) {
        Some(Ty::Array(inner)) => match **inner {
            Ty::Shape(s) => Some(s),
            _ => None,
        },
        _ => None,
    };
    let shape = step_shape
        .and_then(|s| resolver.policy.shapes.get(s))
        .cloned();
    let roles = shape.as_ref().map(|s| s.roles.clone()).unwrap_or_default();
    let action_enum = shape
        .as_ref()
        .and_then(|s| s.field(&roles.action))
        .and_then(|f| match f.ty {
            Ty::Enum(e) => Some(e),
            _ => None,
        });
    let by_ty = shape
        .as_ref()
        .and_then(|s| s.field(&roles.by))
        .map(|f| f.ty.clone());
    let by_enum = by_ty.as_ref().and_then(|ty| resolver.who_subject(ty));
    let has_at = shape
        .as_ref()
        .and_then(|s| s.field(&roles.at))
        .is_some_and(|f| matches!(f.ty, Ty::DateTime | Ty::Date));
    if steps.is_some() && (action_enum.is_none() || by_enum.is_none() || !has_at) {
        // Say which of the three is missing, and how to name a field of another name.
        let help = shape.as_ref().map(|s| {
            let mut wanting = Vec::new();
            if action_enum.is_none() {
                wanting.push(format!("an enum field `{}`", roles.action));
            }
            let by_person = match &by_ty {
                Some(Ty::Shape(p)) => resolver.policy.shapes.get(*p),
                _ => None,
            };
            match by_person {
                // The person's type is there, without its role.
                Some(p) if by_enum.is_none() => wanting.push(format!(
                    "a person in `{}`: its type `{}` has no enum field `{}` (declare {})",
                    roles.by,
                    p.name,
                    p.roles.role,
                    declare_part(p, "person", "role")
                )),
                None if by_enum.is_none() => {
                    wanting.push(format!("a person field `{}`", roles.by))
                }
                _ => {}
            }
            if !has_at {
                wanting.push(format!("a date or datetime field `{}`", roles.at));
            }
            format!(
                "a step of type `{}` needs {}; if its fields have other names, declare them: `{} {} {{ … }} as step(action: <field>, by: <field>, at: <field>)`",
                s.name,
                wanting.join(", "),
                if s.is_record { "record" } else { "shape" },
                s.name,
            )
        });
        resolver.error(
            c.steps_path.span,
            "policy::convention",
            "a chain needs a list of steps with an enum `action`, a person `by` and a datetime `at`".into(),
            "not a list of steps",
            help,
        );
    }
    let role = match by_ty {
        Some(Ty::Shape(s)) => resolver.policy.shapes.get(s).map(|p| p.roles.role.clone()),
        _ => None,
    };
    let fields = ChainFields {
        action: roles.action.clone(),
        by: roles.by.clone(),
        at: roles.at.clone(),
        role: role.unwrap_or_else(|| Roles::default().role),
    };
    let mut expected = Vec::new();
    for step in &c.steps {
        let action = step.action.as_str().to_string();
        if let Some(e) = action_enum.and_then(|e| resolver.policy.enums.get(e)) {
            if !e.has(&action) {
                let names: Vec<String> = e.variants.iter().map(|(v, _)| v.clone()).collect();
                let help = super::resolve::suggest(&action, &names)
                    .or_else(|| Some(format!("actions: {}", names.join(", "))));
                resolver.error(
                    step.action.span,
                    "policy::unknown-value",
                    format!("`{action}` is not an action"),
                    "unknown action",
                    help,
                );
            }
        }
        let (by, describe) = match by_enum {
            Some((of, person)) => resolver.who(&step.by, of, person),
            None => (
                super::ir::Who::Anyone,
                super::ir::WhoText::Text("anyone".into()),
            ),
        };
        expected.push(ExpectedStep {
            action,
            by,
            describe,
        });
    }
    let steps = steps.unwrap_or(super::ir::Ir {
        node: super::ir::Node::Root,
        ty: Ty::Unknown,
        span: c.steps_path.span,
    });
    ChainIr {
        steps,
        expected,
        fields,
    }
}
