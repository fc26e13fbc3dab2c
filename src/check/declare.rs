//! Declarations: enums, record and shape types, groups, parameters, the calendar, chapters and
//! articles, collected from every policy file with duplicates and unknown names reported.

use std::collections::HashMap;
use std::sync::Arc;

use super::ir::Const;
use super::model::*;
use super::resolve::{const_type, literal_const, suggest};
use crate::ast::{self, Item, PolicyFile, TypeExpr};
use crate::calendar::{Calendar, DayKind};
use crate::diagnostic::{Diagnostic, Label};
use crate::source::{SourceFile, Span};

/// Where each named declaration was first written, to label duplicates at both places.
#[derive(Default)]
pub struct Seen {
    names: HashMap<(String, &'static str), (Arc<SourceFile>, Span)>,
}

pub struct Declarations<'a> {
    pub policy: Policy,
    pub errors: Vec<Diagnostic>,
    seen: Seen,
    files: &'a [PolicyFile],
    /// Articles' texts without white space, as their rules' quotes are checked against them:
    /// worked out once per article, not once per quote.
    pub(super) compact_texts: HashMap<u32, String>,
}

const PRIMITIVES: [&str; 7] = [
    "string", "bool", "int", "number", "date", "datetime", "duration",
];
const HEADER_FIELDS: [&str; 5] = ["title", "source", "issued", "superseded_by", "version"];

impl<'a> Declarations<'a> {
    pub fn collect(files: &'a [PolicyFile]) -> Declarations<'a> {
        let mut d = Declarations {
            policy: Policy::default(),
            errors: Vec::new(),
            seen: Seen::default(),
            files,
            compact_texts: HashMap::new(),
        };
        d.policy.files = files.iter().map(|f| f.source.clone()).collect();
        d.names();
        d.types();
        d.rest();
        d
    }

    fn error(
        &mut self,
        file: &Arc<SourceFile>,
        span: Span,
        code: &str,
        message: String,
        label: &str,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::error(code, message)
            .in_file(file.clone())
            .with_label(Label::primary(span, label));
        d.help = help;
        self.errors.push(d);
    }

    /// Records a name; reports a duplicate with both places labelled.
    pub fn declare(
        &mut self,
        kind: &'static str,
        name: &str,
        file: &Arc<SourceFile>,
        span: Span,
    ) -> bool {
        let key = (name.to_string(), kind);
        if let Some((first_file, first_span)) = self.seen.names.get(&key).cloned() {
            let mut d = Diagnostic::error(
                "policy::duplicate",
                format!("{kind} `{name}` is declared twice"),
            )
            .in_file(file.clone())
            .with_label(Label::primary(span, "declared again here"))
            .with_help(format!("give each {kind} one declaration"));
            let first = Diagnostic::new(
                crate::diagnostic::Severity::Advice,
                "policy::duplicate",
                format!("first declaration of `{name}`"),
            )
            .in_file(first_file)
            .with_label(Label::secondary(first_span, "first declared here"));
            d.related.push(first);
            self.errors.push(d);
            return false;
        }
        self.seen.names.insert(key, (file.clone(), span));
        true
    }

    /// First pass: every enum and type name, so declarations may refer to each other in any order.
    fn names(&mut self) {
        for file in self.files {
            for item in &file.items {
                match item {
                    Item::Enum(e)
                        if self.declare("enum", e.name.as_str(), &file.source, e.name.span) =>
                    {
                        self.policy.enums.push(EnumDef {
                            name: e.name.name.to_string(),
                            variants: e
                                .variants
                                .iter()
                                .map(|(v, l)| {
                                    (v.name.to_string(), l.as_ref().map(|t| t.value.clone()))
                                })
                                .collect(),
                        });
                    }
                    Item::Record(t) | Item::Shape(t) => {
                        let is_record = matches!(item, Item::Record(_));
                        if self.declare("type", t.name.as_str(), &file.source, t.name.span) {
                            let id = self.policy.shapes.len();
                            self.policy.shapes.push(ShapeDef {
                                name: t.name.name.to_string(),
                                is_record,
                                fields: Vec::new(),
                                doc: t.doc.as_ref().map(|d| one_line(&d.value)),
                                closed: t.closed,
                                roles: Roles::default(),
                            });
                            if is_record {
                                self.policy.records.insert(t.name.name.to_string(), id);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    pub fn resolve_type(&mut self, file: &Arc<SourceFile>, ty: &TypeExpr) -> Ty {
        match ty {
            TypeExpr::Array(inner, _) => Ty::Array(Box::new(self.resolve_type(file, inner))),
            TypeExpr::Ref(name) => match self.policy.records.get(name.as_str()) {
                Some(&id) => Ty::Ref(id),
                None => {
                    let names: Vec<String> = self.policy.records.keys().cloned().collect();
                    let help = suggest(name.as_str(), &names);
                    self.error(
                        file,
                        name.span,
                        "policy::unknown-type",
                        format!("unknown record type `{}`", name.as_str()),
                        "no such record type",
                        help,
                    );
                    Ty::Unknown
                }
            },
            TypeExpr::Named(name) => match name.as_str() {
                "string" => Ty::String,
                "bool" => Ty::Bool,
                "int" => Ty::Int,
                "number" => Ty::Number,
                "date" => Ty::Date,
                "datetime" => Ty::DateTime,
                "duration" => Ty::Duration,
                other => {
                    if let Some(i) = self.policy.enums.iter().position(|e| e.name == other) {
                        Ty::Enum(i)
                    } else if let Some(i) = self.policy.shapes.iter().position(|s| s.name == other)
                    {
                        Ty::Shape(i)
                    } else {
                        let mut names: Vec<String> = PRIMITIVES.map(String::from).to_vec();
                        names.extend(self.policy.enums.iter().map(|e| e.name.clone()));
                        names.extend(self.policy.shapes.iter().map(|s| s.name.clone()));
                        // A near miss is named; otherwise every type the field could have.
                        let help = suggest(other, &names).or_else(|| {
                            Some(format!(
                                "the types are {}, a `[list]` of one of them or a `-> record` reference",
                                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                            ))
                        });
                        self.error(
                            file,
                            name.span,
                            "policy::unknown-type",
                            format!("unknown type `{other}`"),
                            "no such type",
                            help,
                        );
                        Ty::Unknown
                    }
                }
            },
        }
    }

    /// Second pass: field types.
    fn types(&mut self) {
        for file in self.files {
            for item in &file.items {
                let (Item::Record(t) | Item::Shape(t)) = item else {
                    continue;
                };
                let Some(id) = self
                    .policy
                    .shapes
                    .iter()
                    .position(|s| s.name == t.name.as_str())
                else {
                    continue;
                };
                let mut fields: Vec<FieldDef> = Vec::new();
                for f in &t.fields {
                    if fields.iter().any(|x| x.name == f.name.as_str()) {
                        self.error(
                            &file.source,
                            f.name.span,
                            "policy::duplicate",
                            format!(
                                "field `{}` is declared twice in `{}`",
                                f.name.as_str(),
                                t.name.as_str()
                            ),
                            "declared again",
                            None,
                        );
                        continue;
                    }
                    let ty = self.resolve_type(&file.source, &f.ty);
                    if f.event && !matches!(ty, Ty::Date | Ty::DateTime) {
                        self.error(
                            &file.source,
                            f.name.span,
                            "policy::type",
                            "only a date or datetime field can be an `event`".into(),
                            "not a date",
                            None,
                        );
                    }
                    fields.push(FieldDef {
                        name: f.name.name.to_string(),
                        ty,
                        required: f.required,
                        nonempty: f.nonempty,
                        event: f.event,
                        doc: f.doc.as_ref().map(|d| one_line(&d.value)),
                    });
                }
                if let Some(shape) = self.policy.shapes.get_mut(id) {
                    shape.fields = fields;
                }
                for plays in &t.plays {
                    self.plays(&file.source, id, plays);
                }
            }
        }
    }

    /// `as person(role: rank, areas: duties)`: each named field must be a field of the type, of
    /// the kind its role reads.
    fn plays(&mut self, file: &Arc<SourceFile>, id: ShapeId, plays: &ast::Plays) {
        let part = plays.part.as_str();
        let Some((_, roles)) = PARTS.iter().find(|(p, _)| *p == part) else {
            let names: Vec<String> = PARTS.iter().map(|(p, _)| p.to_string()).collect();
            let help = suggest(part, &names)
                .or_else(|| Some("a type plays `person`, `step` or `waivable`".into()));
            self.error(
                file,
                plays.part.span,
                "policy::unknown-part",
                format!("`{part}` is not a part a type can play"),
                "unknown part",
                help,
            );
            return;
        };
        let mut given: Vec<&str> = Vec::new();
        for (role, field) in &plays.fields {
            let Some(shape) = self.policy.shapes.get(id) else {
                return;
            };
            if !roles.iter().any(|(r, _)| *r == role.as_str()) {
                let names: Vec<String> = roles.iter().map(|(r, _)| r.to_string()).collect();
                let list = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>();
                let help = suggest(role.as_str(), &names)
                    .or_else(|| Some(format!("a {part} has {}", list.join(", "))));
                self.error(
                    file,
                    role.span,
                    "policy::unknown-part",
                    format!("a {part} has no role `{}`", role.as_str()),
                    "unknown role",
                    help,
                );
                continue;
            }
            if given.contains(&role.as_str()) {
                self.error(
                    file,
                    role.span,
                    "policy::duplicate",
                    format!("the {part}'s `{}` is named twice", role.as_str()),
                    "named again",
                    None,
                );
                continue;
            }
            given.push(role.as_str());
            let Some(def) = shape.field(field.as_str()) else {
                let names: Vec<String> = shape.fields.iter().map(|f| f.name.clone()).collect();
                let help = suggest(field.as_str(), &names);
                let message = format!(
                    "`{}` has no field `{}` to play the {part}'s `{}`",
                    shape.name,
                    field.as_str(),
                    role.as_str()
                );
                self.error(
                    file,
                    field.span,
                    "policy::unknown-field",
                    message,
                    "no such field",
                    help,
                );
                continue;
            };
            let fits = match role.as_str() {
                "role" | "action" => matches!(def.ty, Ty::Enum(_)),
                "areas" => {
                    matches!(&def.ty, Ty::Array(inner) if matches!(**inner, Ty::String | Ty::Enum(_)))
                }
                "by" => matches!(def.ty, Ty::Shape(_)),
                "at" => matches!(def.ty, Ty::Date | Ty::DateTime),
                _ => matches!(&def.ty, Ty::Array(inner) if matches!(**inner, Ty::Shape(_))),
            };
            if !fits && def.ty != Ty::Unknown {
                let wanted = match role.as_str() {
                    "role" | "action" => "an enum",
                    "areas" => "a list of words (`[string]` or a list of an enum)",
                    "by" => "a person",
                    "at" => "a `date` or `datetime`",
                    _ => "a list of waivers",
                };
                let found = self.policy.type_name(&def.ty);
                self.error(
                    file,
                    field.span,
                    "policy::type",
                    format!(
                        "the {part}'s `{}` is {wanted}, and `{}` is a `{found}`",
                        role.as_str(),
                        field.as_str()
                    ),
                    "of the wrong type",
                    None,
                );
                continue;
            }
            if let Some(shape) = self.policy.shapes.get_mut(id) {
                shape.roles.set(part, role.as_str(), field.as_str());
            }
        }
    }

    /// Third pass: the header, groups, parameters, calendar, chapters and articles.
    fn rest(&mut self) {
        for file in self.files {
            let mut chapter = None;
            for item in &file.items {
                match item {
                    Item::Policy(h) => self.header(&file.source, h),
                    Item::Group(g) => self.group(&file.source, g),
                    Item::Param(p) => self.param(&file.source, p),
                    Item::Calendar(c) => self.calendar(&file.source, c),
                    Item::Chapter(c) => {
                        chapter = Some(c.number);
                        self.policy.chapters.insert(
                            c.number,
                            ChapterDef {
                                number: c.number,
                                title: c.title.value.clone(),
                                english: c.english.value.clone(),
                            },
                        );
                    }
                    Item::Article(a)
                        if self.declare(
                            "article",
                            &a.number.to_string(),
                            &file.source,
                            a.number_span,
                        ) =>
                    {
                        let not_checked = self.not_checked(&file.source, a);
                        self.policy.articles.insert(
                            a.number,
                            ArticleDef {
                                number: a.number,
                                title: a.title.value.clone(),
                                text: a.text.as_ref().map(|t| t.value.clone()).unwrap_or_default(),
                                gloss: a
                                    .gloss
                                    .as_ref()
                                    .map(|t| t.value.clone())
                                    .unwrap_or_default(),
                                chapter,
                                not_checked,
                                file: file.source.clone(),
                                number_span: a.number_span,
                            },
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    /// The article's reason for having no rules; a blank one is refused, since it tells the
    /// auditor nothing.
    fn not_checked(
        &mut self,
        file: &Arc<SourceFile>,
        article: &ast::ArticleDecl,
    ) -> Option<NotCheckedDef> {
        let clause = article.not_checked.as_ref()?;
        // A reason written over several lines of a `"""` block reads as one sentence.
        let reason = clause
            .reason
            .value
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if reason.is_empty() {
            self.error(
                file,
                clause.span,
                "policy::not-checked",
                format!("article {} gives an empty `not_checked` reason", article.number),
                "empty reason",
                Some("say why no rule checks the article, e.g. `not_checked \"states a principle that no record carries\"`".into()),
            );
            return None;
        }
        Some(NotCheckedDef {
            reason,
            span: clause.span,
        })
    }

    fn header(&mut self, file: &Arc<SourceFile>, h: &ast::PolicyHeader) {
        if !self.policy.name.is_empty() {
            self.error(
                file,
                h.span,
                "policy::duplicate",
                "a policy has one `policy` header".into(),
                "second header",
                None,
            );
            return;
        }
        self.policy.name = h.name.value.clone();
        for (key, value) in &h.fields {
            if !HEADER_FIELDS.contains(&key.as_str()) {
                let help = suggest(key.as_str(), &HEADER_FIELDS.map(String::from))
                    .or_else(|| Some(format!("the header knows: {}", HEADER_FIELDS.join(", "))));
                self.error(
                    file,
                    key.span,
                    "policy::unknown-field",
                    format!("unknown field `{}` in the policy header", key.as_str()),
                    "unknown field",
                    help,
                );
                continue;
            }
            let text = match literal_const(value) {
                Some(Const::String(s)) => s,
                Some(other) => other.to_string(),
                None => continue,
            };
            self.policy.fields.insert(key.name.to_string(), text);
        }
    }

    fn group(&mut self, file: &Arc<SourceFile>, g: &ast::GroupDecl) {
        if !self.declare("group", g.name.as_str(), file, g.name.span) {
            return;
        }
        let Some(of_enum) = self
            .policy
            .enums
            .iter()
            .position(|e| e.name == g.of_enum.as_str())
        else {
            self.error(
                file,
                g.of_enum.span,
                "policy::unknown-type",
                format!("unknown enum `{}`", g.of_enum.as_str()),
                "no such enum",
                None,
            );
            return;
        };
        let mut variants = Vec::new();
        for member in &g.members {
            if self
                .policy
                .enums
                .get(of_enum)
                .is_some_and(|e| e.has(member.as_str()))
            {
                variants.push(member.name.to_string());
            } else if let Some(other) = self
                .policy
                .groups
                .get(member.as_str())
                .filter(|o| o.of_enum == of_enum)
            {
                variants.extend(other.variants.iter().cloned());
            } else {
                let names: Vec<String> = self
                    .policy
                    .enums
                    .get(of_enum)
                    .map(|e| e.variants.iter().map(|(v, _)| v.clone()).collect())
                    .unwrap_or_default();
                let help = suggest(member.as_str(), &names).or(Some(
                    "a group lists values of its enum, or groups declared before it".into(),
                ));
                self.error(
                    file,
                    member.span,
                    "policy::unknown-value",
                    format!(
                        "`{}` is not a value of `{}` nor an earlier group",
                        member.as_str(),
                        g.of_enum.as_str()
                    ),
                    "unknown value",
                    help,
                );
            }
        }
        variants.dedup();
        self.policy.groups.insert(
            g.name.name.to_string(),
            GroupDef {
                name: g.name.name.to_string(),
                label: g.label.as_ref().map(|t| t.value.clone()),
                of_enum,
                variants,
            },
        );
    }

    fn param(&mut self, file: &Arc<SourceFile>, p: &ast::ParamDecl) {
        if !self.declare("param", p.name.as_str(), file, p.name.span) {
            return;
        }
        let ty = self.resolve_type(file, &p.ty);
        let Some(default) = literal_const(&p.default) else {
            return;
        };
        let given = const_type(&default);
        let fits = given == ty || (ty == Ty::Number && given == Ty::Int);
        if !fits && ty != Ty::Unknown {
            let (a, b) = (self.policy.type_name(&ty), self.policy.type_name(&given));
            self.error(
                file,
                p.name.span,
                "policy::type",
                format!(
                    "parameter `{}` is a `{a}` but its default is a `{b}`",
                    p.name.as_str()
                ),
                "default of the wrong type",
                None,
            );
            return;
        }
        self.policy.params.push(ParamDef {
            name: p.name.name.to_string(),
            ty,
            value: default.clone(),
            default,
            doc: p.doc.as_ref().map(|t| t.value.clone()),
        });
    }

    fn calendar(&mut self, file: &Arc<SourceFile>, c: &ast::CalendarDecl) {
        if self.policy.calendar.is_some() {
            self.error(
                file,
                c.span,
                "policy::duplicate",
                "a policy has one working-day calendar".into(),
                "second calendar",
                None,
            );
            return;
        }
        let (first_year, last_year, entries) = match &c.source {
            ast::CalendarSource::Builtin(keyword) => {
                self.builtin_calendar(file, c, *keyword);
                return;
            }
            ast::CalendarSource::Declared {
                first_year,
                last_year,
                entries,
            } => (*first_year, *last_year, entries),
        };
        let mut days = Vec::new();
        for entry in entries {
            if entry.to < entry.from {
                self.error(
                    file,
                    entry.span,
                    "policy::calendar",
                    format!("the range {}..{} runs backwards", entry.from, entry.to),
                    "backwards range",
                    None,
                );
                continue;
            }
            let out = |d: jiff::civil::Date| d.year() < first_year || d.year() > last_year;
            if out(entry.from) || out(entry.to) {
                self.error(
                    file,
                    entry.span,
                    "policy::calendar",
                    format!(
                        "this entry lies outside the calendar's years {}..{}",
                        first_year, last_year
                    ),
                    "outside the years",
                    None,
                );
                continue;
            }
            let kind = match entry.kind {
                ast::DayKindAst::Holiday => DayKind::Holiday,
                ast::DayKindAst::Workday => DayKind::Workday,
            };
            let mut day = entry.from;
            while day <= entry.to {
                days.push((day, kind));
                match day.tomorrow() {
                    Ok(next) => day = next,
                    Err(_) => break,
                }
            }
        }
        self.policy.calendar = Some(Calendar::new(
            c.name.value.clone(),
            first_year,
            last_year,
            days,
        ));
    }

    /// `calendar "cn-mainland" builtin`: the calendar built into bylaw under that name.
    fn builtin_calendar(&mut self, file: &Arc<SourceFile>, c: &ast::CalendarDecl, keyword: Span) {
        if let Some(calendar) = crate::calendar::builtin(&c.name.value) {
            self.policy.calendar = Some(calendar);
            return;
        }
        let names: Vec<String> = crate::calendar::builtin_names().map(String::from).collect();
        let listed = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = suggest(&c.name.value, &names).unwrap_or_else(|| {
            format!(
                "import one of them, or declare the calendar's own days, as in \
                 `calendar \"{}\" 2024..2025 {{ holiday 2024-10-01..2024-10-07 }}`",
                c.name.value.escape_default()
            )
        });
        let mut d = Diagnostic::error(
            "policy::calendar",
            format!(
                "no calendar `{}` is built into bylaw; the built-in calendars are {listed}",
                c.name.value
            ),
        )
        .in_file(file.clone())
        .with_label(Label::primary(c.name.span, "unknown calendar"))
        .with_label(Label::secondary(
            keyword,
            "imported from the built-in calendars",
        ));
        d.help = Some(help);
        self.errors.push(d);
    }
}
