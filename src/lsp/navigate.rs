//! Hover, go to definition and completion in a policy file: what is under the cursor comes from
//! [`at`](super::at), what it means from the checked policy (the last one of the file's unit that
//! loaded), where it is declared from the syntax trees of the unit's files.

use std::sync::Arc;

use crate::ast::{self, Item, PolicyFile};
use crate::check::{FieldDef, Policy, ShapeDef, Ty, PARTS};
use crate::source::{SourceFile, Span};

use super::at::{self, Target};

/// Markdown for the name at `offset`, or `None` where there is nothing to say.
pub fn hover(file: &Arc<SourceFile>, policy: Option<&Policy>, offset: usize) -> Option<String> {
    let ast = crate::syntax::parse(file).ok()?;
    let target = at::at(&ast, offset)?;
    // What the syntax alone says: answered even while the policy does not load.
    match target {
        Target::Closed { decl, is_record } => return Some(closed_text(decl, is_record)),
        Target::Plays { decl, plays, role } => return Some(plays_text(decl, plays, role)),
        Target::Calendar(calendar) => return Some(calendar_text(calendar)),
        _ => {}
    }
    let policy = policy?;
    match target {
        Target::RuleId(id) => {
            let rule = policy.rule(id.as_str())?;
            Some(super::records::rule_text(policy, rule))
        }
        Target::FieldDecl { shape, field } => {
            let shape = policy.shapes.iter().find(|s| s.name == shape)?;
            Some(field_text(policy, shape, shape.field(field.name.as_str())?))
        }
        Target::Declared(name) | Target::Name(name) => name_text(policy, name.as_str(), None),
        Target::Path {
            path,
            segment,
            record,
        } => {
            let names: Vec<&str> = path.segments.iter().map(|s| s.as_str()).collect();
            if segment == 0 {
                if let Some(text) = name_text(policy, names[0], record) {
                    return Some(text);
                }
            }
            let (shape, field) = resolve(policy, record, &names[..=segment])?;
            Some(field_text(policy, shape, field))
        }
        Target::Closed { .. } | Target::Plays { .. } | Target::Calendar(_) => None,
    }
}

/// What `closed` on a record type or shape means for the records.
fn closed_text(decl: &ast::TypeDecl, is_record: bool) -> String {
    let name = decl.name.as_str();
    let (kind, allowed) = if is_record {
        ("record type", " (and `type`, always allowed)")
    } else {
        ("shape", "")
    };
    let fields: Vec<String> = decl
        .fields
        .iter()
        .map(|f| format!("`{}`", f.name.as_str()))
        .collect();
    format!(
        "**closed** {kind} `{name}`: an object of it may have no field but the declared ones: {}{allowed}.\n\n\
         Any other field (a misspelling, a field the policy does not know) is **bad input** (set.3), \
         reported at its key with the nearest declared field suggested, and no other rule judges \
         the record. Without `closed`, a field the type does not declare is allowed and ignored.",
        if fields.is_empty() {
            "none".to_string()
        } else {
            fields.join(", ")
        }
    )
}

/// What each part a type may play means to the language, and what each of its roles is.
const PART_MEANINGS: [(&str, &str); 3] = [
    (
        "person",
        "someone the who-patterns read (`chair is mayor`, `in charge of`)",
    ),
    ("step", "one step of an approval chain (`chain`)"),
    ("waivable", "a record that carries waivers"),
];

const ROLE_MEANINGS: [(&str, &str, &str); 6] = [
    (
        "person",
        "role",
        "the person's role, an enum: what `x is mayor` compares",
    ),
    (
        "person",
        "areas",
        "the person's areas in charge, a list of words: what `in charge of` looks in",
    ),
    (
        "step",
        "action",
        "the step's action, an enum: the chain's `review`, `approve`",
    ),
    ("step", "by", "who took the step, a person"),
    (
        "step",
        "at",
        "when the step was taken, a date or datetime: steps are ordered by it",
    ),
    (
        "waivable",
        "waivers",
        "the record's waivers, a list of waiver objects (`rule`, `reason`, …)",
    ),
];

/// `as person(…)`: the part the type plays, and which field plays each role (the declared one or
/// the default), or one role of it.
fn plays_text(decl: &ast::TypeDecl, plays: &ast::Plays, role: Option<usize>) -> String {
    let part = plays.part.as_str();
    let ty = decl.name.as_str();
    let Some((_, roles)) = PARTS.iter().find(|(p, _)| *p == part) else {
        let parts: Vec<String> = PARTS.iter().map(|(p, _)| format!("`{p}`")).collect();
        return format!(
            "`{part}` is not a part a type plays; the parts are {}",
            parts.join(", ")
        );
    };
    let meaning = |role: &str| {
        ROLE_MEANINGS
            .iter()
            .find(|(p, r, _)| *p == part && *r == role)
            .map_or("", |(_, _, m)| m)
    };
    let declared = |role: &str| {
        plays
            .fields
            .iter()
            .find(|(r, _)| r.as_str() == role)
            .map(|(_, f)| f.as_str())
    };
    if let Some((role, field)) = role.and_then(|i| plays.fields.get(i)) {
        let (role, field) = (role.as_str(), field.as_str());
        let Some((_, default)) = roles.iter().find(|(r, _)| *r == role) else {
            let names: Vec<String> = roles.iter().map(|(r, _)| format!("`{r}`")).collect();
            return format!(
                "`{role}` is not a role of `{part}`; its roles are {}",
                names.join(", ")
            );
        };
        return format!(
            "**{part}.{role}**, played by the field `{ty}.{field}` (by default `{default}`)\n\n{}",
            meaning(role)
        );
    }
    let what = PART_MEANINGS
        .iter()
        .find(|(p, _)| *p == part)
        .map_or("", |(_, m)| m);
    let lines: Vec<String> = roles
        .iter()
        .map(|(role, default)| match declared(role) {
            Some(field) => format!(
                "- `{role}`: the field `{field}` (by default `{default}`): {}",
                meaning(role)
            ),
            None => format!(
                "- `{role}`: the field `{default}`, the default: {}",
                meaning(role)
            ),
        })
        .collect();
    format!(
        "**as {part}**: `{ty}` plays `{part}`, {what}; its fields play these roles:\n\n{}",
        lines.join("\n")
    )
}

/// A calendar: the one built into bylaw under its name (what it is, its years, its announced
/// days), or the policy's own.
fn calendar_text(calendar: &ast::CalendarDecl) -> String {
    let name = calendar.name.value.as_str();
    match &calendar.source {
        ast::CalendarSource::Builtin(_) => {
            let Some(days) = crate::calendar::builtin(name) else {
                let names: Vec<String> = crate::calendar::builtin_names()
                    .map(|n| format!("`{n}`"))
                    .collect();
                return format!(
                    "no calendar `{name}` is built into bylaw; the built-in calendars are {}",
                    names.join(", ")
                );
            };
            let (first, last) = days.years();
            let rows = days.announced_days();
            let about = crate::calendar::builtin_about(name).unwrap_or("");
            format!(
                "**calendar** `{name}`, the working-day calendar built into bylaw: {about}.\n\n\
                 It covers {first}–{last}, {rows} announced days (holidays and adjusted working \
                 days). A working day is Monday to Friday, less the holidays, plus the adjusted \
                 working days; a date outside {first}–{last} is never guessed: the record that \
                 needs it is reported as bad input."
            )
        }
        ast::CalendarSource::Declared {
            first_year,
            last_year,
            entries,
        } => format!(
            "**calendar** `{name}`, declared in the policy: it covers {first_year}–{last_year}, \
             with {} entr{} (holidays and adjusted working days)",
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" }
        ),
    }
}

/// What a name declared at the top of a policy is: a parameter, group, define, type or enum.
fn name_text(policy: &Policy, name: &str, record: Option<&str>) -> Option<String> {
    if let Some(p) = policy.params.iter().find(|p| p.name == name) {
        let mut text = format!(
            "**parameter** `{}`: {}\n\nvalue {}, default {}",
            p.name,
            policy.type_name(&p.ty),
            p.value,
            p.default
        );
        if let Some(doc) = &p.doc {
            text.push_str(&format!("\n\n{doc}"));
        }
        return Some(text);
    }
    if let Some(g) = policy.groups.get(name) {
        let labels = policy.enums.get(g.of_enum);
        let members: Vec<String> = g
            .variants
            .iter()
            .map(|v| match labels.and_then(|e| e.label(v)) {
                Some(label) => format!("- `{v}` {label}"),
                None => format!("- `{v}`"),
            })
            .collect();
        return Some(format!(
            "**group** `{}`{}\n\nmembers:\n{}",
            g.name,
            g.label
                .as_ref()
                .map_or(String::new(), |l| format!(" ({l})")),
            members.join("\n")
        ));
    }
    if let Some(field) = record
        .and_then(|r| policy.record_type(r))
        .and_then(|shape| shape.field(name).map(|f| (shape, f)))
    {
        return Some(field_text(policy, field.0, field.1));
    }
    if let Some(d) = policy.defines.iter().find(|d| d.name == name) {
        let on = policy.shapes.get(d.shape).map_or("", |s| s.name.as_str());
        return Some(format!("**define** `{}` on `{on}`", d.name));
    }
    if let Some(shape) = policy.shapes.iter().find(|s| s.name == name) {
        let fields: Vec<String> = shape
            .fields
            .iter()
            .map(|f| format!("- `{}`: {}", f.name, policy.type_name(&f.ty)))
            .collect();
        let kind = if shape.is_record { "record" } else { "shape" };
        let doc = shape
            .doc
            .as_ref()
            .map_or(String::new(), |d| format!("\n\n{d}"));
        return Some(format!("**{kind}** `{name}`{doc}\n\n{}", fields.join("\n")));
    }
    if let Some(e) = policy.enums.iter().find(|e| e.name == name) {
        return Some(format!("**enum** `{name}`\n\n{}", variants(e)));
    }
    // A variant: of which enum, and what it means.
    let e = policy.enums.iter().find(|e| e.has(name))?;
    Some(format!(
        "`{name}`, of enum `{}`{}",
        e.name,
        e.label(name).map_or(String::new(), |l| format!(": {l}"))
    ))
}

fn variants(e: &crate::check::EnumDef) -> String {
    e.variants
        .iter()
        .map(|(v, label)| match label {
            Some(label) => format!("- `{v}` {label}"),
            None => format!("- `{v}`"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn field_text(policy: &Policy, shape: &ShapeDef, field: &FieldDef) -> String {
    let mut marks = Vec::new();
    for (on, mark) in [
        (field.required, "required"),
        (field.nonempty, "nonempty"),
        (field.event, "event"),
    ] {
        if on {
            marks.push(mark);
        }
    }
    let mut text = format!(
        "**field** `{}.{}`: {}{}",
        shape.name,
        field.name,
        policy.type_name(&field.ty),
        if marks.is_empty() {
            String::new()
        } else {
            format!(" ({})", marks.join(", "))
        }
    );
    // What the policy says the field means.
    if let Some(doc) = &field.doc {
        text.push_str(&format!("\n\n{doc}"));
    }
    let mut ty = &field.ty;
    while let Ty::Array(inner) = ty {
        ty = inner;
    }
    if let Ty::Enum(e) = ty {
        if let Some(e) = policy.enums.get(*e) {
            text.push_str(&format!("\n\none of:\n{}", variants(e)));
        }
    }
    text
}

/// The field a path names, walked from the record type through shapes, lists and references.
fn resolve<'p>(
    policy: &'p Policy,
    record: Option<&str>,
    names: &[&str],
) -> Option<(&'p ShapeDef, &'p FieldDef)> {
    let mut shape = policy.record_type(record?)?;
    let (last, init) = names.split_last()?;
    for name in init {
        shape = shape_of(policy, &shape.field(name)?.ty)?;
    }
    Some((shape, shape.field(last)?))
}

fn shape_of<'p>(policy: &'p Policy, ty: &Ty) -> Option<&'p ShapeDef> {
    match ty {
        Ty::Array(inner) | Ty::Set(inner) => shape_of(policy, inner),
        Ty::Shape(s) | Ty::Ref(s) => policy.shapes.get(*s),
        _ => None,
    }
}

/// Where the name at `offset` is declared: a file of the unit and the declared name's span.
pub fn definition(
    file: &Arc<SourceFile>,
    unit: &[Arc<SourceFile>],
    offset: usize,
) -> Option<(Arc<SourceFile>, Span)> {
    let ast = crate::syntax::parse(file).ok()?;
    let name = match at::at(&ast, offset)? {
        Target::Name(name) | Target::Declared(name) => name.as_str().to_string(),
        Target::Path {
            path, segment: 0, ..
        } => path.segments.first()?.as_str().into(),
        _ => return None,
    };
    // The document as typed, then the unit's other files.
    let trees = std::iter::once(ast).chain(
        unit.iter()
            .filter(|f| f.name != file.name)
            .filter_map(|f| crate::syntax::parse(f).ok()),
    );
    for tree in trees {
        if let Some(span) = declared(&tree, &name) {
            return Some((tree.source.clone(), span));
        }
    }
    None
}

fn declared(tree: &PolicyFile, name: &str) -> Option<Span> {
    tree.items.iter().find_map(|item| {
        let declared = match item {
            Item::Enum(e) => &e.name,
            Item::Group(g) => &g.name,
            Item::Param(p) => &p.name,
            Item::Define(d) => &d.name,
            Item::Record(t) | Item::Shape(t) => &t.name,
            _ => return None,
        };
        (declared.as_str() == name).then_some(declared.span)
    })
}

/// Field names to complete at `offset`: the record type's fields (and its defines) in a rule
/// `on TYPE`, or the fields of the type of the path before a `.`. Read from the text, not the
/// tree: a condition being typed does not parse yet.
pub fn complete(text: &str, policy: &Policy, offset: usize) -> Vec<(String, String)> {
    let Some(before) = text.get(..offset) else {
        return Vec::new();
    };
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(before.len(), |(i, _)| i);
    // `a.b.` before the word: the path whose fields are wanted.
    let mut path: Vec<&str> = Vec::new();
    let mut end = word_start;
    while before[..end].ends_with('.') {
        let head = &before[..end - 1];
        let start = head
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word(*c))
            .last()
            .map_or(head.len(), |(i, _)| i);
        if start == head.len() {
            break;
        }
        path.insert(0, &head[start..]);
        end = start;
    }
    // The rule around the cursor: its `on TYPE` or `count TYPE`.
    let rule_start = before.rfind("rule ").unwrap_or(0);
    let words: Vec<&str> = before[rule_start..]
        .split(|c: char| !is_word(c))
        .filter(|w| !w.is_empty())
        .collect();
    let record = words
        .windows(2)
        .filter(|w| (w[0] == "on" || w[0] == "count") && policy.records.contains_key(w[1]))
        .map(|w| w[1])
        .next_back();
    let Some(record_shape) = record.and_then(|r| policy.record_type(r)) else {
        return Vec::new();
    };
    let mut shape = record_shape;
    // A path may start at a variable of the rule (`for each m in members`, `s in steps:`): its
    // type is the element type of the path it ranges over.
    if let Some(first) = path.first().filter(|f| record_shape.field(f).is_none()) {
        let source = bound_to(&before[rule_start..], first);
        let Some(bound) = source.and_then(|source| walk(policy, record_shape, &source)) else {
            return Vec::new();
        };
        shape = bound;
        path.remove(0);
    }
    let Some(shape) = walk(policy, shape, &path) else {
        return Vec::new();
    };
    let mut items: Vec<(String, String)> = shape
        .fields
        .iter()
        .map(|f| (f.name.clone(), policy.type_name(&f.ty)))
        .collect();
    if path.is_empty() {
        let id = policy.records.get(record.unwrap_or_default());
        items.extend(
            policy
                .defines
                .iter()
                .filter(|d| Some(&d.shape) == id)
                .map(|d| (d.name.clone(), "define".to_string())),
        );
    }
    items
}

/// The shape reached from `shape` through the fields `path` (lists and references followed).
fn walk<'p, S: AsRef<str>>(
    policy: &'p Policy,
    mut shape: &'p ShapeDef,
    path: &[S],
) -> Option<&'p ShapeDef> {
    for name in path {
        shape = shape_of(policy, &shape.field(name.as_ref())?.ty)?;
    }
    Some(shape)
}

/// The dotted path a variable ranges over in `text`: the last `VAR in a.b` written there.
fn bound_to(text: &str, var: &str) -> Option<Vec<String>> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let needle = format!("{var} in ");
    let mut found = None;
    for (at, _) in text.match_indices(&needle) {
        let starts_word = text[..at].chars().next_back().is_none_or(|c| !is_word(c));
        if !starts_word {
            continue;
        }
        let rest = text[at + needle.len()..].trim_start();
        let rest = rest.strip_prefix("ordered(").unwrap_or(rest);
        let end = rest
            .find(|c: char| !(is_word(c) || c == '.'))
            .unwrap_or(rest.len());
        let path: Vec<String> = rest[..end]
            .split('.')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if !path.is_empty() {
            found = Some(path);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_completed_after_a_record_type_a_field_or_a_variable() {
        let policy = crate::check::load(&crate::policy_files::default_policy(), &[])
            .unwrap_or_else(|e| panic!("the bundled policy loads: {e:?}"));
        let labels = |text: &str| -> Vec<String> {
            complete(text, &policy, text.len())
                .into_iter()
                .map(|(label, _)| label)
                .collect()
        };
        let rule = "rule 1.1 error {\n  on meeting where ";
        assert!(labels(rule).contains(&"chair".to_string()));
        assert!(labels(&format!("{rule}chair.")).contains(&"role".to_string()));
        let each = format!("{rule}kind is plenary\n  for each m in members\n  require m.");
        assert!(
            labels(&each).contains(&"role".to_string()),
            "{:?}",
            labels(&each)
        );
        assert!(labels(&format!("{rule}nosuch.")).is_empty());
        assert!(labels("on nothing where ").is_empty());
        assert!(labels("").is_empty());
    }
}
