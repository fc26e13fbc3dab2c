//! The policy language's syntax tree: typed, spanned nodes, no pest types and no logic.
//!
//! Spans are byte ranges in the policy file the node came from ([`PolicyFile::source`]); they do not
//! take part in equality, so tests can compare trees built by hand.

use std::sync::Arc;

use jiff::civil::Date;

use crate::source::{SourceFile, Span};

/// A name with the place it was written.
#[derive(Debug, Clone, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ident {
    pub name: Box<str>,
    pub span: Span,
}

impl PartialEq for Ident {
    fn eq(&self, other: &Ident) -> bool {
        self.name == other.name
    }
}

impl Ident {
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

/// A string literal (quotes and escapes removed).
#[derive(Debug, Clone, Eq, serde::Serialize, serde::Deserialize)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.value == other.value
    }
}

/// One parsed policy file.
#[derive(Debug)]
pub struct PolicyFile {
    pub source: Arc<SourceFile>,
    pub items: Vec<Item>,
    /// Mistakes that leave the tree whole (a clause that does not belong in its rule, a message
    /// hole that cannot be read: the clause or hole is left out), reported with Check's.
    pub problems: Vec<crate::diagnostic::Diagnostic>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Item {
    Policy(PolicyHeader),
    Enum(EnumDecl),
    Group(GroupDecl),
    Param(ParamDecl),
    Define(DefineDecl),
    Record(TypeDecl),
    Shape(TypeDecl),
    Calendar(CalendarDecl),
    Chapter(ChapterDecl),
    Article(ArticleDecl),
    Rule(Box<RuleDecl>),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PolicyHeader {
    pub name: Text,
    pub fields: Vec<(Ident, Literal)>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EnumDecl {
    pub name: Ident,
    pub variants: Vec<(Ident, Option<Text>)>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupDecl {
    pub name: Ident,
    pub label: Option<Text>,
    pub of_enum: Ident,
    pub members: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParamDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Literal,
    pub doc: Option<Text>,
}

/// `define mayor_signs on document = category in {decision, order} or …`: a name that any rule
/// on `document` may use like a field.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DefineDecl {
    pub name: Ident,
    pub record: Ident,
    pub value: Expr,
}

/// A record type (`record meeting { … }`) or a nested object type (`shape person { … }`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TypeDecl {
    pub name: Ident,
    /// What the type means, for editors and the schema.
    pub doc: Option<Text>,
    pub fields: Vec<FieldDecl>,
    /// `closed`: an object of the type may have no field but the declared ones.
    pub closed: bool,
    /// `as person(role: rank, areas: duties)`: the parts the type plays for the language, under
    /// its own field names.
    pub plays: Vec<Plays>,
}

/// `as person(role: rank, areas: duties)`: the type plays `person`, its field `rank` is the
/// person's role and `duties` the areas in charge.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Plays {
    /// `person`, `step` or `waivable`.
    pub part: Ident,
    /// `(role, rank)`: the role as the language names it, and the type's field that plays it.
    pub fields: Vec<(Ident, Ident)>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub required: bool,
    pub nonempty: bool,
    /// The field's date counts when the period under audit is inferred.
    pub event: bool,
    /// What the field means, for editors and the schema.
    pub doc: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TypeExpr {
    Named(Ident),
    Array(Box<TypeExpr>, Span),
    Ref(Ident),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(i) | TypeExpr::Ref(i) => i.span,
            TypeExpr::Array(_, span) => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalendarDecl {
    pub name: Text,
    pub source: CalendarSource,
    pub span: Span,
}

/// Where a calendar's days come from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum CalendarSource {
    /// `calendar "cn-mainland" builtin`: one of the calendars built into bylaw, by its name; the
    /// span is the `builtin` keyword's.
    Builtin(Span),
    /// `calendar "name" 2024..2025 { holiday … }`: declared day by day.
    Declared {
        first_year: i16,
        last_year: i16,
        entries: Vec<CalendarEntry>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DayKindAst {
    Holiday,
    Workday,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalendarEntry {
    pub kind: DayKindAst,
    pub from: Date,
    pub to: Date,
    pub name: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChapterDecl {
    pub number: u32,
    pub title: Text,
    pub english: Text,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArticleDecl {
    pub number: u32,
    pub number_span: Span,
    pub title: Text,
    pub text: Option<Text>,
    pub gloss: Option<Text>,
    /// `not_checked "…"`: why no rule checks the article. The span covers the whole clause.
    pub not_checked: Option<NotChecked>,
    pub rules: Vec<RuleDecl>,
}

/// `not_checked "states a principle that no record carries"`: the reason an article has no rules.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NotChecked {
    pub reason: Text,
    /// The whole clause, keyword and reason.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SeverityAst {
    Error,
    Warning,
}

/// `rule 38.1 error { … }`: what the rule says about itself, and a body whose shape the grammar
/// decided by the clause that says what the rule is about.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RuleDecl {
    pub id: Ident,
    pub severity: SeverityAst,
    pub doc: RuleDoc,
    /// `None` when the rule says neither what it applies to, what it counts, nor which check it is.
    pub body: Option<RuleBody>,
    pub span: Span,
}

/// The clauses that describe a rule, in any shape: each at most once, but `quote` and `cites`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RuleDoc {
    pub title: Option<Text>,
    pub quotes: Vec<Quote>,
    pub cites: Vec<(u32, Span)>,
    /// A finding's message, for a rule's requirements without `else` and for a count.
    pub message: Option<Template>,
    pub help: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum RuleBody {
    /// `on meeting where …` then `require …`: each record of a type judged on its own.
    Record(RecordBody),
    /// `count meeting where … per month of start expect 1..2`: records counted per period.
    Count(CountBody),
    /// `builtin unique_ids`: a check of the record set built into bylaw.
    Builtin(Ident),
}

/// `on TYPE where CONDITION` or `count TYPE where CONDITION`: the records a rule is about.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    pub record: Ident,
    pub condition: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecordBody {
    pub on: Scope,
    pub for_each: Option<ForEach>,
    /// In the order written; every `let` is bound before the requirements are judged.
    pub lets: Vec<Let>,
    pub requires: Vec<Require>,
}

/// `for each m in members where …`: the requirements judged once per element.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ForEach {
    pub var: Ident,
    pub source: Path,
    pub condition: Option<Expr>,
    pub span: Span,
}

/// `let signer = last(s in ordered(steps): s.action is sign).by`: a name for the requirements
/// (and their messages).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Let {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CountBody {
    pub count: Scope,
    pub per: Option<Per>,
    /// `by supplier`: one tally per value of the path in each period.
    pub by: Option<Path>,
    /// `sum amount`: the total of the path over the records counted, which `expect` bounds
    /// instead of their number.
    pub sum: Option<Path>,
    pub expect: Option<Expect>,
}

/// `per month of start`: the period a count is taken over, and the date that places a record.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Per {
    pub unit: PeriodUnit,
    pub field: Path,
    pub span: Span,
}

/// `expect 1..2`, `expect 1`, `expect 1..` or `expect ..3`: how many records a period must hold
/// (or, with `sum`, what their total may be).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Expect {
    /// 0 for `expect ..3`.
    pub min: Bound,
    /// `None` for `expect 1..`: at least one, no upper bound.
    pub max: Option<Bound>,
    pub span: Span,
}

/// One end of an `expect` range: a whole number, or an `int` parameter (`..tender_threshold`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Bound {
    Count(u64),
    Param(Ident),
}

/// A message with `{expression}` holes, parsed when the policy is: `"chaired by {chair.name}"`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    /// The string literal.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TemplatePart {
    Text(String),
    /// An expression whose spans are where it is written in the policy file.
    Hole(Expr),
}

/// `quote """市長碰頭會原則上每周召開一次""" """The mayor's briefing meeting is in principle held
/// once a week"""`: the words of the rule's article that the rule enforces, and their gloss.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Quote {
    pub original: Text,
    pub gloss: Text,
    /// The whole clause, keyword and both texts.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PeriodUnit {
    Month,
    HalfYear,
    IsoWeek,
    Quarter,
    Year,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Require {
    pub what: Requirement,
    pub when: Option<Expr>,
    pub at: Option<Path>,
    pub severity: Option<SeverityAst>,
    pub message: Option<Template>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Requirement {
    Holds(Expr),
    Chain(Chain),
}

/// "A `review` by the secretary-general, then a `sign` by the mayor".
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Chain {
    pub steps_path: Path,
    pub steps: Vec<ChainStep>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChainStep {
    pub action: Ident,
    pub by: Who,
    pub span: Span,
}

/// A dotted path into a record or a bound variable: `chair.role`, `m.portfolio`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl Path {
    pub fn dotted(&self) -> String {
        self.segments
            .iter()
            .map(Ident::as_str)
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Literal {
    String(String),
    Integer(i64),
    Number(f64),
    Bool(bool),
    Date(Date),
    DateTime(
        jiff::Timestamp,
        #[serde(with = "crate::time::offset_seconds")] jiff::tz::Offset,
    ),
    Duration(jiff::SignedDuration),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.kind == other.kind
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ExprKind {
    Literal(Literal),
    Path(Path),
    Call {
        function: Ident,
        args: Vec<Expr>,
    },
    Quantifier {
        kind: QuantifierKind,
        var: Ident,
        source: Box<Expr>,
        body: Option<Box<Expr>>,
    },
    /// `{plenary, executive}`: literals, or names resolved against the compared value's type.
    Set(Vec<SetItem>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// A field of a computed value: `last(s in steps: …).by`.
    Member {
        base: Box<Expr>,
        field: Ident,
    },
    Exists(Box<Expr>),
    /// `5 working days`: an amount of working days, only to add to or take from a date.
    WorkingDays(Box<Expr>),
    /// `(if late then "late" else "on time")`: one of two values of one type.
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Is {
        subject: Box<Expr>,
        who: Who,
        negated: bool,
    },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum SetItem {
    Literal(Literal, Span),
    Name(Ident),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum QuantifierKind {
    All,
    Any,
    None,
    Count,
    First,
    Last,
    /// Every element for which the condition holds, in order: a list.
    Those,
    /// `sum(p in purchases: p.amount)`: the total of an `int` or `number` over the elements.
    Sum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    /// Exact division: `7 / 2` is `3.5`, never rounded.
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

/// Who may act: a role or group, narrowed by qualifiers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Who {
    /// A role (enum variant) or a group name.
    Name(Ident),
    /// The same person as the one at this path (compared by `id`).
    SameAs(Path),
    Anyone(Span),
    Alternatives(Vec<Who>, Span),
    /// `… in charge of minutes.area`: the person's `portfolio` holds that area.
    InChargeOf(Box<Who>, Path),
    /// `… among members, nonvoting`: the person's `id` appears in one of those lists.
    Among(Box<Who>, Vec<Path>),
    /// `… if delegation.from is mayor`: the alternative counts only when the condition holds.
    Guard(Box<Who>, Box<Expr>),
}

impl Who {
    pub fn span(&self) -> Span {
        match self {
            Who::Name(i) => i.span,
            Who::SameAs(p) => p.span,
            Who::Anyone(s) | Who::Alternatives(_, s) => *s,
            Who::InChargeOf(w, p) => w.span().to(p.span),
            Who::Among(w, ps) => ps.last().map_or(w.span(), |p| w.span().to(p.span)),
            Who::Guard(w, e) => w.span().to(e.span),
        }
    }
}

impl Expr {
    /// Replaces every span in the expression, down to its who-patterns, by `f` of it: a hole of
    /// a message parsed on its own is moved to where it is written, a define's body to where it
    /// is used.
    pub fn map_spans(&mut self, f: &dyn Fn(Span) -> Span) {
        fn path(p: &mut Path, f: &dyn Fn(Span) -> Span) {
            p.span = f(p.span);
            p.segments.iter_mut().for_each(|s| s.span = f(s.span));
        }
        fn who(w: &mut Who, f: &dyn Fn(Span) -> Span) {
            match w {
                Who::Name(i) => i.span = f(i.span),
                Who::SameAs(p) => path(p, f),
                Who::Anyone(s) => *s = f(*s),
                Who::Alternatives(ws, s) => {
                    *s = f(*s);
                    ws.iter_mut().for_each(|w| who(w, f));
                }
                Who::InChargeOf(w, p) => {
                    who(w, f);
                    path(p, f);
                }
                Who::Among(w, ps) => {
                    who(w, f);
                    ps.iter_mut().for_each(|p| path(p, f));
                }
                Who::Guard(w, e) => {
                    who(w, f);
                    walk(e, f);
                }
            }
        }
        fn walk(e: &mut Expr, f: &dyn Fn(Span) -> Span) {
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
                ExprKind::Unary { operand, .. }
                | ExprKind::Exists(operand)
                | ExprKind::WorkingDays(operand) => walk(operand, f),
                ExprKind::Member { base, field } => {
                    field.span = f(field.span);
                    walk(base, f);
                }
                ExprKind::Binary { lhs, rhs, .. } => {
                    walk(lhs, f);
                    walk(rhs, f);
                }
                ExprKind::If {
                    condition,
                    then,
                    otherwise,
                } => {
                    walk(condition, f);
                    walk(then, f);
                    walk(otherwise, f);
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
        walk(self, f);
    }
}
