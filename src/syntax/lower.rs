//! Lowering: pest pairs → the typed AST. The only file that touches pest pairs.

use std::sync::Arc;

use pest::iterators::{Pair, Pairs};

use super::depth::{self, MAX_DEPTH};
use super::grammar::Rule;
use super::precedence::PRATT;
use crate::ast::*;
use crate::diagnostic::{Diagnostic, Label};
use crate::source::{SourceFile, Span};

/// Lowers a parsed `policy_file`; literal values that the grammar accepts but that do not exist
/// (a 30th of February) are reported, all of them.
pub fn lower_file(
    source: &Arc<SourceFile>,
    file: Pair<'_, Rule>,
) -> Result<PolicyFile, Vec<Diagnostic>> {
    let mut lower = Lower {
        source: source.clone(),
        errors: Vec::new(),
        problems: Vec::new(),
        reported_too_deep: false,
        bare_conditional: false,
        holes: Default::default(),
    };
    let items = file
        .into_inner()
        .filter(|p| p.as_rule() != Rule::EOI)
        .filter_map(|p| lower.item(p))
        .collect();
    if lower.errors.is_empty() {
        Ok(PolicyFile {
            source: source.clone(),
            items,
            problems: lower.problems,
        })
    } else {
        lower.errors.append(&mut lower.problems);
        Err(lower.errors)
    }
}

struct Lower {
    source: Arc<SourceFile>,
    /// Mistakes that leave no tree to check.
    errors: Vec<Diagnostic>,
    /// Mistakes that leave the tree whole: see [`PolicyFile::problems`].
    problems: Vec<Diagnostic>,
    /// Whether the expression being lowered was already reported as too deep.
    reported_too_deep: bool,
    /// Whether `if … then … else …` may stand without parentheses (in a message hole).
    bare_conditional: bool,
    /// The message holes of this file read so far, by their text: a file writes the same few
    /// (`{chair}`, `{issued}`) in many messages, and each is read once.
    holes: super::template::Holes,
}

fn span(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

/// The next child; the grammar guarantees it exists wherever this is called.
fn next<'i>(pairs: &mut Pairs<'i, Rule>) -> Pair<'i, Rule> {
    // Invariant: callers follow the shape of the grammar rule they lower, which requires this child.
    pairs.next().expect("the grammar guarantees this child")
}

fn ident(pair: Pair<'_, Rule>) -> Ident {
    Ident {
        name: pair.as_str().into(),
        span: span(&pair),
    }
}

impl Lower {
    fn error(&mut self, span: Span, message: String, label: &str) {
        self.errors.push(
            Diagnostic::error("policy::literal", message)
                .in_file(self.source.clone())
                .with_label(Label::primary(span, label)),
        );
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        let whole = span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        Some(match rule {
            Rule::policy_decl => {
                let name = self.text(next(&mut inner));
                let fields = inner
                    .filter_map(|f| {
                        let mut parts = f.into_inner();
                        let key = ident(next(&mut parts));
                        let value = self.literal(next(&mut parts))?;
                        Some((key, value))
                    })
                    .collect();
                Item::Policy(PolicyHeader {
                    name,
                    fields,
                    span: whole,
                })
            }
            Rule::enum_decl => {
                let name = ident(next(&mut inner));
                let variants = inner
                    .map(|v| {
                        let mut parts = v.into_inner();
                        let id = ident(next(&mut parts));
                        (id, parts.next().map(|t| self.text(t)))
                    })
                    .collect();
                Item::Enum(EnumDecl { name, variants })
            }
            Rule::group_decl => {
                let name = ident(next(&mut inner));
                let mut label = None;
                let mut rest: Vec<Pair<'_, Rule>> = inner.collect();
                if rest.first().is_some_and(|p| p.as_rule() != Rule::ident) {
                    label = Some(self.text(rest.remove(0)));
                }
                let mut rest = rest.into_iter().map(ident);
                let of_enum = rest.next()?;
                Item::Group(GroupDecl {
                    name,
                    label,
                    of_enum,
                    members: rest.collect(),
                })
            }
            Rule::param_decl => {
                let name = ident(next(&mut inner));
                let ty = self.type_expr(next(&mut inner));
                let default = self.literal(next(&mut inner))?;
                let doc = inner.next().map(|t| self.text(t));
                Item::Param(ParamDecl {
                    name,
                    ty,
                    default,
                    doc,
                })
            }
            Rule::define_decl => {
                let name = ident(next(&mut inner));
                let record = ident(next(&mut inner));
                let value = self.expr(next(&mut inner));
                Item::Define(DefineDecl {
                    name,
                    record,
                    value,
                })
            }
            Rule::record_decl => Item::Record(self.type_decl(inner)),
            Rule::shape_decl => Item::Shape(self.type_decl(inner)),
            Rule::calendar_decl => Item::Calendar(self.calendar(inner, whole)?),
            Rule::chapter_decl => {
                let number = self.integer(next(&mut inner))? as u32;
                let title = self.text(next(&mut inner));
                let english = self.text(next(&mut inner));
                Item::Chapter(ChapterDecl {
                    number,
                    title,
                    english,
                })
            }
            Rule::article_decl => Item::Article(self.article(inner)?),
            Rule::rule_decl => Item::Rule(Box::new(self.rule(inner, whole))),
            _ => return None,
        })
    }

    fn type_decl(&mut self, mut inner: Pairs<'_, Rule>) -> TypeDecl {
        let name = ident(next(&mut inner));
        let mut doc = None;
        let mut fields = Vec::new();
        let mut closed = false;
        let mut plays = Vec::new();
        for part in inner {
            match part.as_rule() {
                Rule::type_doc => {
                    doc = Some(self.text(next(&mut part.into_inner())));
                    continue;
                }
                Rule::closed => {
                    closed = true;
                    continue;
                }
                Rule::plays => {
                    let mut parts = part.into_inner();
                    let what = ident(next(&mut parts));
                    let fields = parts
                        .map(|field| {
                            let mut pair = field.into_inner();
                            let role = ident(next(&mut pair));
                            (role, ident(next(&mut pair)))
                        })
                        .collect();
                    plays.push(Plays { part: what, fields });
                    continue;
                }
                _ => {}
            }
            let mut parts = part.into_inner();
            let name = ident(next(&mut parts));
            let ty = self.type_expr(next(&mut parts));
            let mut flags = Vec::new();
            let mut field_doc = None;
            for p in parts {
                match p.as_rule() {
                    Rule::field_flag => flags.push(p.as_str().to_string()),
                    _ => field_doc = Some(self.text(p)),
                }
            }
            let has = |flag: &str| flags.iter().any(|f| f == flag);
            fields.push(FieldDecl {
                name,
                ty,
                required: has("required"),
                nonempty: has("nonempty"),
                event: has("event"),
                doc: field_doc,
            });
        }
        TypeDecl {
            name,
            doc,
            fields,
            closed,
            plays,
        }
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let whole = span(&pair);
        match pair.as_rule() {
            Rule::array_type => TypeExpr::Array(
                Box::new(self.type_expr(next(&mut pair.into_inner()))),
                whole,
            ),
            Rule::ref_type => TypeExpr::Ref(ident(next(&mut pair.into_inner()))),
            _ => TypeExpr::Named(ident(next(&mut pair.into_inner()))),
        }
    }

    fn calendar(&mut self, mut inner: Pairs<'_, Rule>, whole: Span) -> Option<CalendarDecl> {
        let name = self.text(next(&mut inner));
        let years = next(&mut inner);
        if years.as_rule() == Rule::calendar_builtin {
            return Some(CalendarDecl {
                name,
                source: CalendarSource::Builtin(span(&years)),
                span: whole,
            });
        }
        let first_year = self.integer(years)? as i16;
        let last_year = self.integer(next(&mut inner))? as i16;
        let mut entries = Vec::new();
        for entry in inner {
            let entry_span = span(&entry);
            let mut parts = entry.into_inner();
            let kind = match next(&mut parts).as_str() {
                "holiday" => DayKindAst::Holiday,
                _ => DayKindAst::Workday,
            };
            let from = self.date(next(&mut parts));
            let mut to = from;
            let mut name = None;
            for part in parts {
                match part.as_rule() {
                    Rule::date => to = self.date(part),
                    _ => name = Some(self.text(part)),
                }
            }
            if let (Some(from), Some(to)) = (from, to) {
                entries.push(CalendarEntry {
                    kind,
                    from,
                    to,
                    name,
                    span: entry_span,
                });
            }
        }
        Some(CalendarDecl {
            name,
            source: CalendarSource::Declared {
                first_year,
                last_year,
                entries,
            },
            span: whole,
        })
    }

    fn article(&mut self, mut inner: Pairs<'_, Rule>) -> Option<ArticleDecl> {
        let number_pair = next(&mut inner);
        let number_span = span(&number_pair);
        let number = self.integer(number_pair)? as u32;
        let title = self.text(next(&mut inner));
        let mut article = ArticleDecl {
            number,
            number_span,
            title,
            text: None,
            gloss: None,
            not_checked: None,
            rules: Vec::new(),
        };
        for part in inner {
            let whole = span(&part);
            match part.as_rule() {
                Rule::block_open => {}
                Rule::article_text => article.text = Some(self.text(next(&mut part.into_inner()))),
                Rule::article_gloss => {
                    article.gloss = Some(self.text(next(&mut part.into_inner())))
                }
                Rule::not_checked => {
                    let reason = self.text(next(&mut part.into_inner()));
                    if let Some(first) = &article.not_checked {
                        // Two reasons would leave the auditor to guess which one holds.
                        self.errors.push(
                            Diagnostic::error(
                                "policy::duplicate",
                                format!("article {number} gives two `not_checked` reasons"),
                            )
                            .in_file(self.source.clone())
                            .with_label(Label::primary(whole, "second reason"))
                            .with_label(Label::secondary(first.span, "first reason"))
                            .with_help("give one reason, saying everything that keeps the article unchecked"),
                        );
                    } else {
                        article.not_checked = Some(NotChecked {
                            reason,
                            span: whole,
                        });
                    }
                }
                _ => article.rules.push(self.rule(part.into_inner(), whole)),
            }
        }
        Some(article)
    }

    fn rule(&mut self, mut inner: Pairs<'_, Rule>, whole: Span) -> RuleDecl {
        let id = ident(next(&mut inner));
        let severity = severity(next(&mut inner).as_str());
        let mut rule = RuleDecl {
            id,
            severity,
            doc: RuleDoc::default(),
            body: None,
            span: whole,
        };
        let mut has_body = false;
        for part in inner {
            match part.as_rule() {
                Rule::record_body => {
                    let mut clauses = part.into_inner();
                    let on = self.scope(next(&mut clauses));
                    let mut body = RecordBody {
                        on,
                        for_each: None,
                        lets: Vec::new(),
                        requires: Vec::new(),
                    };
                    for clause in clauses {
                        self.record_clause(&mut rule, &mut body, clause);
                    }
                    rule.body = Some(RuleBody::Record(body));
                    has_body = true;
                }
                Rule::count_body => {
                    let mut clauses = part.into_inner();
                    let count = self.scope(next(&mut clauses));
                    let mut body = CountBody {
                        count,
                        per: None,
                        by: None,
                        sum: None,
                        expect: None,
                    };
                    for clause in clauses {
                        self.count_clause(&mut rule, &mut body, clause);
                    }
                    rule.body = Some(RuleBody::Count(body));
                    has_body = true;
                }
                Rule::builtin_body => {
                    let mut clauses = part.into_inner();
                    let name = ident(next(&mut next(&mut clauses).into_inner()));
                    for clause in clauses {
                        if !self.doc_clause(&mut rule, clause.clone()) {
                            self.stray(&rule, clause, "a `builtin` check", "its check is built into bylaw: give it a `title` and `help`, nothing else");
                        }
                    }
                    if let Some(message) = &rule.doc.message {
                        let span = message.span;
                        self.shape_error(
                            span,
                            format!(
                                "rule `{}` is a `builtin` check, whose messages are bylaw's own",
                                rule.id.as_str()
                            ),
                            "means nothing here",
                            "remove the `message`",
                        );
                    }
                    rule.body = Some(RuleBody::Builtin(name));
                    has_body = true;
                }
                Rule::orphan_body => {
                    // Reported once: what the other clauses mean depends on what the rule is about.
                    let clauses: Vec<_> = part
                        .into_inner()
                        .filter(|c| c.as_rule() == Rule::stray_clause)
                        .map(|c| next(&mut c.into_inner()))
                        .collect();
                    let kind = clauses.iter().find(|c| {
                        matches!(
                            c.as_rule(),
                            Rule::on_clause | Rule::count_clause | Rule::builtin_clause
                        )
                    });
                    if let (Some(first), Some(kind)) = (clauses.first(), kind) {
                        let (first, kind) = (
                            clause_keyword(first.as_rule()),
                            clause_keyword(kind.as_rule()),
                        );
                        let at = trimmed_span(&clauses[0]);
                        self.shape_error(at, format!("rule `{}` has `{first}` before `{kind}`, which says what the rule is about", rule.id.as_str()), "too early", &format!("move `{kind} …` up, to follow the rule's `title` and `quote`"));
                    } else {
                        self.no_body(&rule);
                    }
                    has_body = true;
                }
                _ => {
                    self.doc_clause(&mut rule, part);
                }
            }
        }
        if !has_body {
            self.no_body(&rule);
        }
        rule
    }

    fn no_body(&mut self, rule: &RuleDecl) {
        let id = rule.id.as_str();
        self.shape_error(rule.id.span, format!("rule `{id}` says neither what it applies to (`on …`), what it counts (`count …`), nor which `builtin` check it is"), "this rule", "after its `title` and `quote`, write `on TYPE` (requirements on each record), `count TYPE` (records counted per period) or `builtin NAME`");
    }

    /// A `title`, `quote`, `cites`, `message` or `help` clause, written into the rule's doc; false
    /// if `pair` is another clause.
    fn doc_clause(&mut self, rule: &mut RuleDecl, pair: Pair<'_, Rule>) -> bool {
        let whole = span(&pair);
        let trimmed = trimmed_span(&pair);
        let kind = pair.as_rule();
        let mut inner = pair.into_inner();
        let id = rule.id.as_str().to_string();
        let doc = &mut rule.doc;
        match kind {
            Rule::title_clause => {
                let text = self.text(next(&mut inner));
                self.once(&id, "title", doc.title.is_some(), trimmed);
                doc.title = Some(text);
            }
            Rule::quote_clause => doc.quotes.push(Quote {
                original: self.text(next(&mut inner)),
                gloss: self.text(next(&mut inner)),
                span: whole,
            }),
            Rule::message_clause => {
                let text = self.text(next(&mut inner));
                self.once(&id, "message", doc.message.is_some(), trimmed);
                doc.message = Some(self.template(&text));
            }
            Rule::help_clause => {
                let text = self.text(next(&mut inner));
                self.once(&id, "help", doc.help.is_some(), trimmed);
                doc.help = Some(text);
            }
            Rule::cites_clause => {
                for p in inner {
                    let s = span(&p);
                    if let Some(n) = self.integer(p) {
                        doc.cites.push((n as u32, s));
                    }
                }
            }
            _ => return false,
        }
        true
    }

    fn record_clause(&mut self, rule: &mut RuleDecl, body: &mut RecordBody, pair: Pair<'_, Rule>) {
        let whole = span(&pair);
        let id = rule.id.as_str().to_string();
        match pair.as_rule() {
            Rule::for_each_clause => {
                let again = trimmed_span(&pair);
                let mut inner = pair.into_inner();
                let var = ident(next(&mut inner));
                let source = path(next(&mut inner));
                let condition = inner.next().map(|e| self.expr(e));
                self.once(&id, "for each", body.for_each.is_some(), again);
                body.for_each = Some(ForEach {
                    var,
                    source,
                    condition,
                    span: whole,
                });
            }
            Rule::let_clause => {
                let mut inner = pair.into_inner();
                let name = ident(next(&mut inner));
                let value = self.expr(next(&mut inner));
                body.lets.push(Let {
                    name,
                    value,
                    span: whole,
                });
            }
            Rule::require_clause => {
                let require = self.require(pair);
                body.requires.push(require);
            }
            _ => {
                if !self.doc_clause(rule, pair.clone()) {
                    self.stray(rule, pair, "a rule `on` records", "a rule `on` records holds `for each`, `let` and `require`; counting records per period is a rule of its own, `count …`");
                }
            }
        }
    }

    fn count_clause(&mut self, rule: &mut RuleDecl, body: &mut CountBody, pair: Pair<'_, Rule>) {
        let whole = span(&pair);
        let id = rule.id.as_str().to_string();
        match pair.as_rule() {
            Rule::per_clause => {
                let again = trimmed_span(&pair);
                let mut inner = pair.into_inner();
                let unit = match next(&mut inner).as_str() {
                    "month" => PeriodUnit::Month,
                    "half_year" => PeriodUnit::HalfYear,
                    "iso_week" => PeriodUnit::IsoWeek,
                    "quarter" => PeriodUnit::Quarter,
                    _ => PeriodUnit::Year,
                };
                self.once(&id, "per", body.per.is_some(), again);
                body.per = Some(Per {
                    unit,
                    field: path(next(&mut inner)),
                    span: whole,
                });
            }
            Rule::by_clause | Rule::sum_clause => {
                let again = trimmed_span(&pair);
                let kind = pair.as_rule();
                let mut inner = pair.into_inner();
                let _keyword = next(&mut inner);
                let field = path(next(&mut inner));
                let (slot, keyword) = if kind == Rule::by_clause {
                    (&mut body.by, "by")
                } else {
                    (&mut body.sum, "sum")
                };
                let seen = slot.is_some();
                *slot = Some(field);
                self.once(&id, keyword, seen, again);
            }
            Rule::expect_clause => {
                let again = trimmed_span(&pair);
                let mut inner = pair.into_inner();
                let first = next(&mut inner);
                // `..N`: at most N; `N..`: at least N; `N..M`; `N`: exactly N.
                let (min, max) = if first.as_rule() == Rule::expect_upto {
                    let Some(max) = self.count_bound(next(&mut first.into_inner())) else {
                        return;
                    };
                    (Bound::Count(0), Some(max))
                } else {
                    let Some(min) = self.count_bound(first) else {
                        return;
                    };
                    match inner.next() {
                        Some(from) => match from.into_inner().next() {
                            Some(p) => match self.count_bound(p) {
                                Some(max) => (min, Some(max)),
                                None => return,
                            },
                            None => (min, None),
                        },
                        None => (min.clone(), Some(min)),
                    }
                };
                self.once(&id, "expect", body.expect.is_some(), again);
                body.expect = Some(Expect {
                    min,
                    max,
                    span: whole,
                });
            }
            _ => {
                if !self.doc_clause(rule, pair.clone()) {
                    self.stray(rule, pair, "a rule that counts records", "a `count` rule is judged by how many records each period holds, or their total (`per`, `by`, `sum`, `expect`); a requirement on each record is a rule of its own, `on …`");
                }
            }
        }
    }

    /// A clause that means nothing in a rule of this shape.
    fn stray(&mut self, rule: &RuleDecl, pair: Pair<'_, Rule>, shape: &str, help: &str) {
        let clause = if pair.as_rule() == Rule::stray_clause {
            next(&mut pair.into_inner())
        } else {
            pair
        };
        let keyword = clause_keyword(clause.as_rule());
        let id = rule.id.as_str();
        let message = match (keyword, &rule.body) {
            ("on" | "count" | "builtin", _) => {
                format!("rule `{id}` says twice what it is about: a second `{keyword}` in {shape}")
            }
            _ => format!("rule `{id}` is {shape}: `{keyword}` means nothing in it"),
        };
        self.shape_error(trimmed_span(&clause), message, "does not belong here", help);
    }

    /// A clause written a second time, which would silently replace the first.
    fn once(&mut self, id: &str, keyword: &str, seen: bool, at: Span) {
        if seen {
            self.shape_error(
                at,
                format!("rule `{id}` has a second `{keyword}`"),
                "written again",
                &format!("a rule has one `{keyword}`: keep one of them"),
            );
        }
    }

    fn shape_error(&mut self, span: Span, message: String, label: &str, help: &str) {
        self.problems.push(
            Diagnostic::error("policy::rule-shape", message)
                .in_file(self.source.clone())
                .with_label(Label::primary(span, label))
                .with_help(help.to_string()),
        );
    }

    fn scope(&mut self, pair: Pair<'_, Rule>) -> Scope {
        let whole = span(&pair);
        let mut inner = pair.into_inner();
        let record = ident(next(&mut inner));
        let condition = inner.next().map(|e| self.expr(e));
        Scope {
            record,
            condition,
            span: whole,
        }
    }

    fn template(&mut self, text: &Text) -> Template {
        let (template, mut errors) = super::template::template(&self.source, text, &mut self.holes);
        self.problems.append(&mut errors);
        template
    }

    fn require(&mut self, pair: Pair<'_, Rule>) -> Require {
        let whole = span(&pair);
        let mut inner = pair.into_inner();
        let what_pair = next(&mut inner);
        let what = match what_pair.as_rule() {
            Rule::chain => Requirement::Chain(self.chain(what_pair)),
            _ => Requirement::Holds(self.expr(what_pair)),
        };
        let mut require = Require {
            what,
            when: None,
            at: None,
            severity: None,
            message: None,
            span: whole,
        };
        for part in inner {
            let rule = part.as_rule();
            let value = next(&mut part.into_inner());
            match rule {
                Rule::when_part => require.when = Some(self.expr(value)),
                Rule::at_part => require.at = Some(path(value)),
                Rule::as_part => require.severity = Some(severity(value.as_str())),
                _ => {
                    let text = self.text(value);
                    require.message = Some(self.template(&text));
                }
            }
        }
        require
    }

    fn chain(&mut self, pair: Pair<'_, Rule>) -> Chain {
        let mut inner = pair.into_inner();
        let steps_path = path(next(&mut inner));
        let steps = inner
            .filter(|p| p.as_rule() == Rule::chain_step)
            .map(|step| {
                let whole = span(&step);
                let mut parts = step.into_inner();
                let action = ident(next(&mut parts));
                let by = self.who_alts(next(&mut parts));
                ChainStep {
                    action,
                    by,
                    span: whole,
                }
            })
            .collect();
        Chain { steps_path, steps }
    }

    fn who_alts(&mut self, pair: Pair<'_, Rule>) -> Who {
        self.who_alts_h(pair).0
    }

    /// A who-pattern and the height of its tree.
    fn who_alts_h(&mut self, pair: Pair<'_, Rule>) -> (Who, usize) {
        let whole = span(&pair);
        let mut height = 0;
        let mut terms: Vec<Who> = pair
            .into_inner()
            .map(|t| {
                let (who, h) = self.who_term_h(t);
                height = height.max(h);
                who
            })
            .collect();
        if terms.len() == 1 {
            (terms.remove(0), height)
        } else {
            self.cap_who(Who::Alternatives(terms, whole), height + 1, whole)
        }
    }

    fn who_term_h(&mut self, pair: Pair<'_, Rule>) -> (Who, usize) {
        let mut inner = pair.into_inner();
        let atom = next(&mut inner);
        let atom_span = span(&atom);
        let (mut who, mut height) = match atom.as_rule() {
            Rule::one_of => (
                Who::Alternatives(
                    atom.into_inner().map(|i| Who::Name(ident(i))).collect(),
                    atom_span,
                ),
                1,
            ),
            Rule::same_as => (Who::SameAs(path(next(&mut atom.into_inner()))), 0),
            Rule::anyone => (Who::Anyone(atom_span), 0),
            Rule::who_alts => self.who_alts_h(atom),
            _ => (Who::Name(ident(atom)), 0),
        };
        for qualifier in inner {
            let rule = qualifier.as_rule();
            let qualifier_span = span(&qualifier);
            let mut parts = qualifier.into_inner();
            let (qualified, h) = match rule {
                Rule::in_charge_of => (
                    Who::InChargeOf(Box::new(who), path(next(&mut parts))),
                    height + 1,
                ),
                Rule::among => (
                    Who::Among(Box::new(who), parts.map(path).collect()),
                    height + 1,
                ),
                _ => {
                    let (guard, h) = self.expr_h(next(&mut parts));
                    (
                        Who::Guard(Box::new(who), Box::new(guard)),
                        height.max(h) + 1,
                    )
                }
            };
            (who, height) = self.cap_who(qualified, h, atom_span.to(qualifier_span));
        }
        (who, height)
    }

    /// `who` unless its tree is taller than [`MAX_DEPTH`]; then the error, and anyone in its place.
    fn cap_who(&mut self, who: Who, height: usize, at: Span) -> (Who, usize) {
        if height <= MAX_DEPTH {
            return (who, height);
        }
        self.too_deep(at);
        (Who::Anyone(at), 0)
    }

    /// `expr` unless its tree is taller than [`MAX_DEPTH`]; then the error, and a plain value in its
    /// place, so no later stage walks a tree deeper than the limit.
    fn cap(&mut self, expr: Expr, height: usize) -> (Expr, usize) {
        if height <= MAX_DEPTH {
            return (expr, height);
        }
        let at = expr.span;
        self.too_deep(at);
        (poison(at), 0)
    }

    /// Reports a tree that is too deep, once per top-level expression.
    fn too_deep(&mut self, at: Span) {
        if !self.reported_too_deep {
            self.reported_too_deep = true;
            self.errors
                .push(depth::expression_too_deep(&self.source, at));
        }
    }

    /// A top-level expression (of a clause or a `define`).
    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        self.reported_too_deep = false;
        self.expr_h(pair).0
    }

    /// An expression and the height of its tree.
    fn expr_h(&mut self, pair: Pair<'_, Rule>) -> (Expr, usize) {
        // The Pratt parser recurses once per prefix operator: a long run of them is refused first.
        let mut run = 0;
        for part in pair.clone().into_inner() {
            if let Rule::op_not | Rule::op_neg = part.as_rule() {
                run += 1;
                if run > MAX_DEPTH {
                    self.too_deep(span(&part));
                    return (poison(span(&pair)), 0);
                }
            } else {
                run = 0;
            }
        }
        // The Pratt parser's closures each need the lowering state; a RefCell keeps that simple.
        let this = std::cell::RefCell::new(self);
        let result = PRATT
            .map_primary(|p| this.borrow_mut().primary(p))
            .map_prefix(|op, (operand, height)| {
                let span = span(&op).to(operand.span);
                let op = if op.as_rule() == Rule::op_not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                let expr = Expr {
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                    span,
                };
                this.borrow_mut().cap(expr, height + 1)
            })
            .map_postfix(|(subject, height), op| {
                let span = subject.span.to(span(&op));
                let (expr, height) = match op.as_rule() {
                    Rule::op_exists => (
                        Expr {
                            kind: ExprKind::Exists(Box::new(subject)),
                            span,
                        },
                        height + 1,
                    ),
                    Rule::op_working => (
                        Expr {
                            kind: ExprKind::WorkingDays(Box::new(subject)),
                            span,
                        },
                        height + 1,
                    ),
                    Rule::op_field => {
                        let field = op.into_inner().next().map(ident);
                        match field {
                            Some(field) => (
                                Expr {
                                    kind: ExprKind::Member {
                                        base: Box::new(subject),
                                        field,
                                    },
                                    span,
                                },
                                height + 1,
                            ),
                            None => (subject, height),
                        }
                    }
                    rule => {
                        let negated = rule == Rule::op_is_not;
                        let who_pair = op.into_inner().find(|p| p.as_rule() == Rule::who_term);
                        let (who, who_height) = match who_pair {
                            Some(w) => this.borrow_mut().who_term_h(w),
                            None => (Who::Anyone(span), 0),
                        };
                        (
                            Expr {
                                kind: ExprKind::Is {
                                    subject: Box::new(subject),
                                    who,
                                    negated,
                                },
                                span,
                            },
                            height.max(who_height) + 1,
                        )
                    }
                };
                this.borrow_mut().cap(expr, height)
            })
            .map_infix(|(lhs, lhs_height), op, (rhs, rhs_height)| {
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_in => BinaryOp::In,
                    Rule::op_not_in => BinaryOp::NotIn,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    _ => BinaryOp::Sub,
                };
                let expr = Expr {
                    kind: ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    span,
                };
                this.borrow_mut().cap(expr, lhs_height.max(rhs_height) + 1)
            })
            .parse(pair.into_inner());
        result
    }

    fn primary(&mut self, pair: Pair<'_, Rule>) -> (Expr, usize) {
        let whole = span(&pair);
        let (kind, height) = match pair.as_rule() {
            Rule::expr => return self.expr_h(pair),
            Rule::path => (ExprKind::Path(path(pair)), 0),
            Rule::call => {
                let mut inner = pair.into_inner();
                let function = ident(next(&mut inner));
                let mut height = 0;
                let args = inner
                    .map(|a| {
                        let (arg, h) = self.expr_h(a);
                        height = height.max(h);
                        arg
                    })
                    .collect();
                (ExprKind::Call { function, args }, height + 1)
            }
            Rule::quantifier => {
                let mut inner = pair.into_inner();
                let kind = match next(&mut inner).as_str() {
                    "all" => QuantifierKind::All,
                    "any" => QuantifierKind::Any,
                    "none" => QuantifierKind::None,
                    "count" => QuantifierKind::Count,
                    "first" => QuantifierKind::First,
                    "those" => QuantifierKind::Those,
                    "sum" => QuantifierKind::Sum,
                    _ => QuantifierKind::Last,
                };
                let var = ident(next(&mut inner));
                // The `in` between the variable and its source.
                let _in = next(&mut inner);
                let (source, source_height) = self.expr_h(next(&mut inner));
                let (body, body_height) = match inner.next() {
                    Some(b) => {
                        let (body, h) = self.expr_h(b);
                        (Some(Box::new(body)), h)
                    }
                    None => (None, 0),
                };
                (
                    ExprKind::Quantifier {
                        kind,
                        var,
                        source: Box::new(source),
                        body,
                    },
                    source_height.max(body_height) + 1,
                )
            }
            Rule::paren_conditional => {
                // Inside the parentheses an `else` cannot be misread: `else if` chains need none.
                let outer = std::mem::replace(&mut self.bare_conditional, true);
                let (mut e, h) = self.conditional(next(&mut pair.into_inner()));
                self.bare_conditional = outer;
                // The parentheses belong to the expression, as they do to any other.
                e.span = whole;
                return (e, h);
            }
            Rule::conditional => {
                if !self.bare_conditional {
                    self.errors.push(
                        Diagnostic::error(
                            "policy::syntax",
                            "a conditional expression must be in parentheses",
                        )
                        .in_file(self.source.clone())
                        .with_label(Label::primary(whole, "add parentheses around it"))
                        .with_help("write `(if … then … else …)`, so that its `else` is not read as a requirement's `else \"…\"`"),
                    );
                }
                return self.conditional(pair);
            }
            Rule::set_literal => (
                ExprKind::Set(
                    pair.into_inner()
                        .map(|item| {
                            let item_span = span(&item);
                            if item.as_rule() == Rule::ident {
                                SetItem::Name(ident(item))
                            } else {
                                let value = self.literal(item).unwrap_or(Literal::Bool(false));
                                SetItem::Literal(value, item_span)
                            }
                        })
                        .collect(),
                ),
                1,
            ),
            _ => match self.literal(pair) {
                Some(literal) => (ExprKind::Literal(literal), 0),
                None => (ExprKind::Literal(Literal::Bool(false)), 0),
            },
        };
        self.cap(Expr { kind, span: whole }, height)
    }

    /// `if COND then A else B`, parentheses aside.
    fn conditional(&mut self, pair: Pair<'_, Rule>) -> (Expr, usize) {
        let whole = span(&pair);
        // `if`, the condition, `then`, a value, `else`, a value.
        let mut parts = pair.into_inner();
        let _if = next(&mut parts);
        let (condition, c) = self.expr_h(next(&mut parts));
        let _then = next(&mut parts);
        let (then, t) = self.expr_h(next(&mut parts));
        let _else = next(&mut parts);
        let (otherwise, o) = self.expr_h(next(&mut parts));
        let expr = Expr {
            kind: ExprKind::If {
                condition: Box::new(condition),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span: whole,
        };
        self.cap(expr, c.max(t).max(o) + 1)
    }

    fn literal(&mut self, pair: Pair<'_, Rule>) -> Option<Literal> {
        let whole = span(&pair);
        let text = pair.as_str();
        Some(match pair.as_rule() {
            Rule::raw_string | Rule::quoted_string => Literal::String(self.text(pair).value),
            Rule::integer => Literal::Integer(self.integer(pair)?),
            Rule::number if !text.contains('.') => Literal::Integer(self.integer(pair)?),
            Rule::number => match text.parse::<f64>() {
                Ok(n) => Literal::Number(n),
                Err(_) => {
                    self.error(whole, format!("`{text}` is not a number"), "not a number");
                    return None;
                }
            },
            Rule::boolean => Literal::Bool(text == "true"),
            Rule::date => Literal::Date(self.date(pair)?),
            Rule::datetime => match crate::time::parse_datetime(text) {
                Ok(dt) => Literal::DateTime(dt.timestamp, dt.offset),
                Err(message) => {
                    self.error(
                        whole,
                        format!("`{text}` is not a datetime: {message}"),
                        "not a datetime",
                    );
                    return None;
                }
            },
            Rule::duration => {
                let mut inner = pair.into_inner();
                let amount = self.integer(next(&mut inner))?;
                let unit = next(&mut inner).as_str();
                let seconds_per = match unit.trim_end_matches('s') {
                    "day" => 86_400,
                    "hour" => 3_600,
                    "minute" => 60,
                    _ => 7 * 86_400,
                };
                Literal::Duration(jiff::SignedDuration::from_secs(
                    amount.saturating_mul(seconds_per),
                ))
            }
            _ => return None,
        })
    }

    /// A bound of an `expect` range: a count of records, so at most `u32::MAX - 1` (the largest
    /// stands for no bound at all).
    fn count_bound(&mut self, pair: Pair<'_, Rule>) -> Option<Bound> {
        if pair.as_rule() == Rule::bound_param {
            // Atomic, so it holds no `ident` of its own: its text is the parameter's name.
            return Some(Bound::Param(ident(pair)));
        }
        let at = span(&pair);
        let text = pair.as_str().to_string();
        let n = self.integer(pair)?;
        match u64::try_from(n) {
            Ok(n) if n < u64::MAX => Some(Bound::Count(n)),
            _ => {
                self.error(at, format!("`{text}` is too large"), "too large");
                None
            }
        }
    }

    fn integer(&mut self, pair: Pair<'_, Rule>) -> Option<i64> {
        match pair.as_str().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.error(
                    span(&pair),
                    format!("`{}` is too large", pair.as_str()),
                    "too large",
                );
                None
            }
        }
    }

    fn date(&mut self, pair: Pair<'_, Rule>) -> Option<jiff::civil::Date> {
        match crate::time::parse_date(pair.as_str()) {
            Ok(d) => Some(d),
            Err(message) => {
                self.error(
                    span(&pair),
                    format!("`{}` is not a date: {message}", pair.as_str()),
                    "no such date",
                );
                None
            }
        }
    }

    fn text(&mut self, pair: Pair<'_, Rule>) -> Text {
        let whole = span(&pair);
        let value = match pair.as_rule() {
            Rule::raw_string => {
                let raw = pair.into_inner().next().map_or("", |c| c.as_str());
                let raw = raw
                    .strip_prefix('\n')
                    .or_else(|| raw.strip_prefix("\r\n"))
                    .unwrap_or(raw);
                raw.strip_suffix('\n').unwrap_or(raw).to_string()
            }
            _ => unescape(pair.into_inner().next().map_or("", |c| c.as_str())),
        };
        Text { value, span: whole }
    }
}

/// A plain value standing in for an expression that was refused.
fn poison(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Literal(Literal::Bool(false)),
        span,
    }
}

fn severity(text: &str) -> SeverityAst {
    if text == "warning" {
        SeverityAst::Warning
    } else {
        SeverityAst::Error
    }
}

/// A clause's span without the white space and comments the parser let it run into.
fn trimmed_span(pair: &Pair<'_, Rule>) -> Span {
    let whole = span(pair);
    Span::new(whole.start, whole.start + pair.as_str().trim_end().len())
}

/// The keyword a clause begins with, for messages about where it is written.
fn clause_keyword(rule: Rule) -> &'static str {
    match rule {
        Rule::on_clause => "on",
        Rule::count_clause => "count",
        Rule::builtin_clause => "builtin",
        Rule::for_each_clause => "for each",
        Rule::let_clause => "let",
        Rule::require_clause => "require",
        Rule::per_clause => "per",
        Rule::expect_clause => "expect",
        Rule::by_clause => "by",
        Rule::sum_clause => "sum",
        Rule::title_clause => "title",
        Rule::quote_clause => "quote",
        Rule::cites_clause => "cites",
        Rule::message_clause => "message",
        _ => "help",
    }
}

fn path(pair: Pair<'_, Rule>) -> Path {
    let whole = span(&pair);
    Path {
        segments: pair.into_inner().map(ident).collect(),
        span: whole,
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Lowers a lone `expr` pair.
pub fn lower_expr(source: &Arc<SourceFile>, pair: Pair<'_, Rule>) -> Result<Expr, Vec<Diagnostic>> {
    let mut lower = Lower {
        source: source.clone(),
        errors: Vec::new(),
        problems: Vec::new(),
        reported_too_deep: false,
        // A message hole: its braces end the conditional, so no `else` can be misread.
        bare_conditional: true,
        holes: Default::default(),
    };
    let e = lower.expr(pair);
    lower.errors.append(&mut lower.problems);
    if lower.errors.is_empty() {
        Ok(e)
    } else {
        Err(lower.errors)
    }
}
