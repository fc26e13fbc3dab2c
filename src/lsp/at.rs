//! What is under the cursor in a policy file: a walk of the syntax tree that lists every name
//! written in it with what kind of name it is, and picks the one at an offset. The only module of
//! the server that knows the tree's shape; [`rule_body`] is the only function that knows how a
//! rule's body is represented, so a change there is made in one place.

use crate::ast::{
    self, CalendarDecl, CalendarSource, Expr, ExprKind, FieldDecl, Ident, Item, Path, Plays,
    PolicyFile, Requirement, RuleDecl, SetItem, TemplatePart, TypeDecl, TypeExpr, Who,
};
use crate::source::Span;

/// A name in a policy file, and what it names as far as the syntax tells.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A rule's id where the rule is declared.
    RuleId(&'a Ident),
    /// One segment of a dotted path, with the record type of the rule around it (if any).
    Path {
        path: &'a Path,
        segment: usize,
        record: Option<&'a str>,
    },
    /// A bare name: a role or group (`is mayor`), a name in a set, a type, the record after `on`.
    Name(&'a Ident),
    /// A field where a record type or shape declares it.
    FieldDecl {
        shape: &'a str,
        field: &'a FieldDecl,
    },
    /// The name of a declaration (a group, parameter, define, type or enum) where it is declared.
    Declared(&'a Ident),
    /// The `closed` mark of a record type or shape.
    Closed { decl: &'a TypeDecl, is_record: bool },
    /// A part a type plays (`as person(role: rank)`): the part's name (`role` is `None`), or the
    /// role at that index, on its name or on the field that plays it.
    Plays {
        decl: &'a TypeDecl,
        plays: &'a Plays,
        role: Option<usize>,
    },
    /// A calendar's name, or the `builtin` that imports it.
    Calendar(&'a CalendarDecl),
}

/// The name at byte `offset` (a cursor just after a name is on it), or `None` between names.
pub fn at(file: &PolicyFile, offset: usize) -> Option<Target<'_>> {
    let mut names = Vec::new();
    for item in &file.items {
        item_names(item, &file.source.text, &mut names);
    }
    names
        .into_iter()
        .filter(|(span, _)| span.start <= offset && offset <= span.end)
        .min_by_key(|(span, _)| span.len())
        .map(|(_, target)| target)
}

type Names<'a> = Vec<(Span, Target<'a>)>;

fn item_names<'a>(item: &'a Item, text: &str, out: &mut Names<'a>) {
    match item {
        Item::Enum(e) => out.push((e.name.span, Target::Declared(&e.name))),
        Item::Group(g) => {
            out.push((g.name.span, Target::Declared(&g.name)));
            out.push((g.of_enum.span, Target::Name(&g.of_enum)));
            for member in &g.members {
                out.push((member.span, Target::Name(member)));
            }
        }
        Item::Param(p) => {
            out.push((p.name.span, Target::Declared(&p.name)));
            type_names(&p.ty, out);
        }
        Item::Define(d) => {
            out.push((d.name.span, Target::Declared(&d.name)));
            out.push((d.record.span, Target::Name(&d.record)));
            expr_names(&d.value, Some(d.record.as_str()), out);
        }
        Item::Record(t) | Item::Shape(t) => {
            out.push((t.name.span, Target::Declared(&t.name)));
            if t.closed {
                if let Some(span) = closed_mark(text, t.name.span.end) {
                    let is_record = matches!(item, Item::Record(_));
                    out.push((span, Target::Closed { decl: t, is_record }));
                }
            }
            for plays in &t.plays {
                let decl = t;
                out.push((
                    plays.part.span,
                    Target::Plays {
                        decl,
                        plays,
                        role: None,
                    },
                ));
                for (i, (role, field)) in plays.fields.iter().enumerate() {
                    for ident in [role, field] {
                        let role = Some(i);
                        out.push((ident.span, Target::Plays { decl, plays, role }));
                    }
                }
            }
            for field in &t.fields {
                out.push((
                    field.name.span,
                    Target::FieldDecl {
                        shape: t.name.as_str(),
                        field,
                    },
                ));
                type_names(&field.ty, out);
            }
        }
        Item::Rule(rule) => rule_names(rule, out),
        Item::Article(article) => {
            for rule in &article.rules {
                rule_names(rule, out);
            }
        }
        Item::Calendar(c) => {
            out.push((c.name.span, Target::Calendar(c)));
            if let CalendarSource::Builtin(span) = c.source {
                out.push((span, Target::Calendar(c)));
            }
        }
        Item::Policy(_) | Item::Chapter(_) => {}
    }
}

/// The span of the `closed` mark written after a type's name, which ends at byte `after`: the
/// tree keeps only that the type is closed, so the mark is found again in the text, past the
/// blanks and comments the grammar allows before it.
fn closed_mark(text: &str, after: usize) -> Option<Span> {
    let mut rest = text.get(after..)?;
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n', '\u{FEFF}']);
        match trimmed.strip_prefix('#') {
            Some(comment) => rest = comment.find('\n').map_or("", |end| &comment[end..]),
            None => {
                rest = trimmed;
                break;
            }
        }
    }
    let start = text.len() - rest.len();
    let word = rest.strip_prefix("closed")?;
    let ends = word
        .chars()
        .next()
        .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
    ends.then(|| Span::new(start, start + "closed".len()))
}

fn rule_names<'a>(rule: &'a RuleDecl, out: &mut Names<'a>) {
    out.push((rule.id.span, Target::RuleId(&rule.id)));
    let body = rule_body(rule);
    for path in body.paths {
        path_names(path, body.record, out);
    }
    for ident in body.names {
        out.push((ident.span, Target::Name(ident)));
    }
    for expr in body.exprs {
        expr_names(expr, body.record, out);
    }
    for who in body.whos {
        who_names(who, body.record, out);
    }
}

/// What a rule's body holds, as far as names go: its record type, and the paths, bare names,
/// expressions and "who" clauses written in it.
pub struct RuleBody<'a> {
    pub record: Option<&'a str>,
    paths: Vec<&'a Path>,
    names: Vec<&'a Ident>,
    exprs: Vec<&'a Expr>,
    whos: Vec<&'a Who>,
}

/// The expressions in a message's holes.
fn holes(template: &Option<ast::Template>) -> impl Iterator<Item = &Expr> {
    template
        .iter()
        .flat_map(|t| &t.parts)
        .filter_map(|part| match part {
            TemplatePart::Hole(e) => Some(e),
            TemplatePart::Text(_) => None,
        })
}

/// The one place that reads a rule's body representation.
pub fn rule_body(rule: &RuleDecl) -> RuleBody<'_> {
    let mut body = RuleBody {
        record: None,
        paths: Vec::new(),
        names: Vec::new(),
        exprs: Vec::new(),
        whos: Vec::new(),
    };
    body.exprs.extend(holes(&rule.doc.message));
    match &rule.body {
        Some(ast::RuleBody::Record(record)) => {
            body.record = Some(record.on.record.as_str());
            body.names.push(&record.on.record);
            body.exprs.extend(&record.on.condition);
            if let Some(each) = &record.for_each {
                body.paths.push(&each.source);
                body.exprs.extend(&each.condition);
            }
            body.exprs.extend(record.lets.iter().map(|l| &l.value));
            for require in &record.requires {
                match &require.what {
                    Requirement::Holds(e) => body.exprs.push(e),
                    Requirement::Chain(chain) => {
                        body.paths.push(&chain.steps_path);
                        body.whos.extend(chain.steps.iter().map(|s| &s.by));
                    }
                }
                body.exprs.extend(&require.when);
                body.paths.extend(&require.at);
                body.exprs.extend(holes(&require.message));
            }
        }
        Some(ast::RuleBody::Count(count)) => {
            body.record = Some(count.count.record.as_str());
            body.names.push(&count.count.record);
            body.exprs.extend(&count.count.condition);
            body.paths.extend(count.per.iter().map(|p| &p.field));
            body.paths.extend(count.by.iter().chain(&count.sum));
        }
        Some(ast::RuleBody::Builtin(_)) | None => {}
    }
    body
}

fn type_names<'a>(ty: &'a TypeExpr, out: &mut Names<'a>) {
    match ty {
        TypeExpr::Named(i) | TypeExpr::Ref(i) => out.push((i.span, Target::Name(i))),
        TypeExpr::Array(inner, _) => type_names(inner, out),
    }
}

fn path_names<'a>(path: &'a Path, record: Option<&'a str>, out: &mut Names<'a>) {
    for (segment, ident) in path.segments.iter().enumerate() {
        out.push((
            ident.span,
            Target::Path {
                path,
                segment,
                record,
            },
        ));
    }
}

fn expr_names<'a>(expr: &'a Expr, record: Option<&'a str>, out: &mut Names<'a>) {
    match &expr.kind {
        ExprKind::Literal(_) => {}
        ExprKind::Path(path) => path_names(path, record, out),
        ExprKind::Call { args, .. } => {
            for arg in args {
                expr_names(arg, record, out);
            }
        }
        ExprKind::Quantifier { source, body, .. } => {
            expr_names(source, record, out);
            if let Some(body) = body {
                expr_names(body, record, out);
            }
        }
        ExprKind::Set(items) => {
            for item in items {
                if let SetItem::Name(name) = item {
                    out.push((name.span, Target::Name(name)));
                }
            }
        }
        ExprKind::Unary { operand, .. } => expr_names(operand, record, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            expr_names(lhs, record, out);
            expr_names(rhs, record, out);
        }
        ExprKind::Member { base, .. } => expr_names(base, record, out),
        ExprKind::Exists(inner) | ExprKind::WorkingDays(inner) => expr_names(inner, record, out),
        ExprKind::If {
            condition,
            then,
            otherwise,
        } => {
            for part in [condition, then, otherwise] {
                expr_names(part, record, out);
            }
        }
        ExprKind::Is { subject, who, .. } => {
            expr_names(subject, record, out);
            who_names(who, record, out);
        }
    }
}

fn who_names<'a>(who: &'a Who, record: Option<&'a str>, out: &mut Names<'a>) {
    match who {
        Who::Name(name) => out.push((name.span, Target::Name(name))),
        Who::SameAs(path) => path_names(path, record, out),
        Who::Anyone(_) => {}
        Who::Alternatives(whos, _) => {
            for w in whos {
                who_names(w, record, out);
            }
        }
        Who::InChargeOf(w, path) => {
            who_names(w, record, out);
            path_names(path, record, out);
        }
        Who::Among(w, paths) => {
            who_names(w, record, out);
            for path in paths {
                path_names(path, record, out);
            }
        }
        Who::Guard(w, condition) => {
            who_names(w, record, out);
            expr_names(condition, record, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closed_mark_is_found_after_blanks_and_comments_only() {
        let text = "record a # note\n  closed \"doc\" { closed: date }";
        let after = "record a".len();
        let start = text.find("closed").unwrap_or_default();
        let place = |found: Option<Span>| found.map(|s| (s.start, s.end));
        assert_eq!(place(closed_mark(text, after)), Some((start, start + 6)));
        assert_eq!(place(closed_mark("record a closedx {", after)), None);
        assert_eq!(place(closed_mark("record a {", after)), None);
        assert_eq!(place(closed_mark("record a # closed", after)), None);
        assert_eq!(place(closed_mark("record a", 99)), None);
    }
}
