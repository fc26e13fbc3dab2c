//! The checked policy: declarations resolved, rules compiled to IR. What the evaluator runs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::civil::Date;

use super::ir::{ChainIr, Const, Ir, Quick, Template};
use crate::ast::PeriodUnit;
use crate::calendar::Calendar;
use crate::diagnostic::Severity;
use crate::source::{SourceFile, Span};

pub use crate::types::{EnumId, ShapeId, Ty};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EnumDef {
    pub name: String,
    pub variants: Vec<(String, Option<String>)>,
}

impl EnumDef {
    pub fn has(&self, variant: &str) -> bool {
        (self.variants.iter()).any(|(v, _)| crate::text::same_text(v, variant))
    }

    pub fn label(&self, variant: &str) -> Option<&str> {
        self.variants
            .iter()
            .find(|(v, _)| v == variant)
            .and_then(|(_, l)| l.as_deref())
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FieldDef {
    pub name: String,
    pub ty: Ty,
    pub required: bool,
    pub nonempty: bool,
    pub event: bool,
    /// What the field means, as the policy says (`id: string required "the record's id"`).
    pub doc: Option<String>,
}

/// A record type or a nested object type.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ShapeDef {
    pub name: String,
    pub is_record: bool,
    pub fields: Vec<FieldDef>,
    /// What the type means, as the policy says.
    pub doc: Option<String>,
    /// `closed`: an object of the type may have no field but the declared ones.
    pub closed: bool,
    /// Which of its fields play the language's parts (a person's role, a step's time, …).
    pub roles: Roles,
}

impl ShapeDef {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field called `name` and its position among the type's fields.
    pub fn field_at(&self, name: &str) -> Option<(usize, &FieldDef)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }
}

/// The fields that play the language's parts in a type: the language's own names unless the type
/// declares others with `as person(…)`, `as step(…)` or `as waivable(…)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Roles {
    /// A person's role, an enum: what `x is mayor` compares.
    pub role: String,
    /// A person's areas in charge, a list: what `in charge of` looks in.
    pub areas: String,
    /// A chain step's action, an enum.
    pub action: String,
    /// Who took a chain step, a person.
    pub by: String,
    /// When a chain step was taken, a date or datetime: steps are ordered by it.
    pub at: String,
    /// A record's waivers, a list of waiver objects.
    pub waivers: String,
}

impl Default for Roles {
    fn default() -> Roles {
        Roles {
            role: "role".into(),
            areas: "portfolio".into(),
            action: "action".into(),
            by: "by".into(),
            at: "at".into(),
            waivers: "waivers".into(),
        }
    }
}

/// The parts a type may play, each with its roles and the field that plays a role by default.
pub const PARTS: [(&str, &[(&str, &str)]); 3] = [
    ("person", &[("role", "role"), ("areas", "portfolio")]),
    ("step", &[("action", "action"), ("by", "by"), ("at", "at")]),
    ("waivable", &[("waivers", "waivers")]),
];

impl Roles {
    /// The field that plays `role` of `part` (`("person", "areas")` → `portfolio` by default).
    pub fn get(&self, part: &str, role: &str) -> Option<&str> {
        Some(match (part, role) {
            ("person", "role") => &self.role,
            ("person", "areas") => &self.areas,
            ("step", "action") => &self.action,
            ("step", "by") => &self.by,
            ("step", "at") => &self.at,
            ("waivable", "waivers") => &self.waivers,
            _ => return None,
        })
    }

    fn slot(&mut self, part: &str, role: &str) -> Option<&mut String> {
        Some(match (part, role) {
            ("person", "role") => &mut self.role,
            ("person", "areas") => &mut self.areas,
            ("step", "action") => &mut self.action,
            ("step", "by") => &mut self.by,
            ("step", "at") => &mut self.at,
            ("waivable", "waivers") => &mut self.waivers,
            _ => return None,
        })
    }

    /// Declares that `field` plays `role` of `part`; false for a role the part does not have.
    pub fn set(&mut self, part: &str, role: &str, field: &str) -> bool {
        match self.slot(part, role) {
            Some(slot) => {
                *slot = field.to_string();
                true
            }
            None => false,
        }
    }
}

/// How to declare that a field of `shape` plays `role` of `part`, for a load error's help:
/// `shape official { … } as person(areas: <field>)`.
pub fn declare_part(shape: &ShapeDef, part: &str, role: &str) -> String {
    let keyword = if shape.is_record { "record" } else { "shape" };
    format!(
        "`{keyword} {} {{ … }} as {part}({role}: <field>)`",
        shape.name
    )
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GroupDef {
    pub name: String,
    pub label: Option<String>,
    pub of_enum: EnumId,
    pub variants: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ParamDef {
    pub name: String,
    pub ty: Ty,
    pub default: Const,
    pub value: Const,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ArticleDef {
    pub number: u32,
    #[serde(deserialize_with = "wide_text::deserialize")]
    pub title: String,
    #[serde(deserialize_with = "wide_text::deserialize")]
    pub text: String,
    pub gloss: String,
    pub chapter: Option<u32>,
    /// Why no rule checks the article (`not_checked "…"`); an article with rules has none.
    pub not_checked: Option<NotCheckedDef>,
    /// Where the article's number was written.
    #[serde(with = "crate::source::by_name")]
    pub file: Arc<SourceFile>,
    pub number_span: Span,
}

/// The reason an article gives for having no rules, and where it was written.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NotCheckedDef {
    pub reason: String,
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChapterDef {
    pub number: u32,
    #[serde(deserialize_with = "wide_text::deserialize")]
    pub title: String,
    pub english: String,
}

/// Where a declaration was written.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    #[serde(with = "crate::source::by_name")]
    pub file: Arc<SourceFile>,
    /// The whole `rule … { … }` block.
    pub span: Span,
    /// The rule's id, where a diagnostic about the rule points.
    pub id_span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RuleDef {
    pub id: String,
    pub article: Option<u32>,
    pub cites: Vec<u32>,
    pub severity: Severity,
    pub title: String,
    pub help: Option<String>,
    /// The words of the rule's article that the rule enforces, each checked to be verbatim.
    pub quotes: Vec<QuoteDef>,
    pub message: Option<Template>,
    pub kind: RuleKind,
    /// Local variable slots the rule's expressions use.
    pub slots: usize,
    /// The rule reads the record set (references, the period under audit), so it is judged after
    /// every record has been read.
    pub needs_context: bool,
    pub origin: Origin,
}

/// Text in the rules' own language (Chinese), read from a compiled policy with its UTF-8 checked by
/// SIMD (simdutf8): the standard library's check, a byte at a time outside ASCII, took a quarter
/// of the instructions of reading the whole policy (callgrind: 0.78 of 3.18 M).
mod wide_text {
    use std::fmt;

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(from: D) -> Result<String, D::Error> {
        from.deserialize_bytes(Text)
    }

    struct Text;

    impl serde::de::Visitor<'_> for Text {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("UTF-8 text")
        }

        fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<String, E> {
            match simdutf8::basic::from_utf8(bytes) {
                Ok(text) => Ok(text.to_owned()),
                Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(bytes), &self)),
            }
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<String, E> {
            Ok(text.to_owned())
        }
    }
}

/// `quote "…" "…"`: a verbatim part of the article's text, its gloss, and where it was written.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct QuoteDef {
    /// The article's words, with the line breaks of the policy file removed.
    #[serde(deserialize_with = "wide_text::deserialize")]
    pub original: String,
    /// The English gloss, on one line.
    pub gloss: String,
    /// The whole clause.
    pub span: Span,
}

impl QuoteDef {
    /// `原則上每周召開一次 (“is in principle held once a week”)`.
    pub fn shown(&self) -> String {
        format!("{} (“{}”)", self.original, self.gloss)
    }
}

/// Text wrapped in the policy file, on one line: a line break beside a Chinese character (or
/// any other non-ASCII one) joins the lines, as Chinese puts no space between words; any other
/// run of white space becomes one space.
pub fn one_line(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        let joins = match (out.chars().last(), word.chars().next()) {
            (Some(a), Some(b)) => !a.is_ascii() || !b.is_ascii(),
            _ => true,
        };
        if !joins {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum RuleKind {
    Record(RecordRule),
    Periodic(PeriodicRule),
    Builtin(BuiltinRule),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RecordRule {
    pub record: ShapeId,
    pub condition: Option<Ir>,
    /// The scope itself reads the record set (a reference, the period), so whether a record is in
    /// scope is known only once the set is read.
    pub scope_needs_context: bool,
    /// The conjuncts of `condition` ([`Ir::conjuncts`], in that order), each with an id shared by
    /// every equal conjunct of the policy's scopes: what a conjunct comes to on a record is worked
    /// out once, for all the rules whose scopes share it (`kind in {plenary, executive}`), and a
    /// flat list is walked without recursing through the `and`s. Filled in when the policy is
    /// loaded; empty, `condition` is evaluated whole.
    pub scope: Vec<ScopePart>,
    pub for_each: Option<ForEach>,
    /// Names bound, in order, before the requirements are judged.
    pub lets: Vec<LetDef>,
    pub requires: Vec<RequireDef>,
}

/// One conjunct of a rule's scope and its id among the distinct conjuncts of the policy's scopes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ScopePart {
    pub id: usize,
    pub condition: Ir,
    /// The conjunct as a direct test on the record's fields, when it is that simple.
    pub quick: Option<Quick>,
}

/// `let name = value`: `value` is evaluated into local `slot`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LetDef {
    pub slot: usize,
    pub value: Ir,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ForEach {
    pub slot: usize,
    pub source: Ir,
    pub condition: Option<Ir>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RequireDef {
    pub what: Requirement,
    pub when: Option<Ir>,
    /// `when`, compiled to a test of the record's fields if it is one ([`Quick`]).
    pub quick_when: Option<Quick>,
    /// The condition a `require` holds to, compiled to a test of the record's fields if it is
    /// one: a record that passes the test needs no evaluation of it.
    pub quick_holds: Option<Quick>,
    pub at: Option<Ir>,
    pub severity: Severity,
    pub message: Option<Template>,
    /// The whole `require` clause, where `bylaw verify` points when no example breaks it.
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Requirement {
    Holds(Ir),
    Chain(ChainIr),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PeriodicRule {
    pub record: ShapeId,
    pub condition: Option<Ir>,
    pub unit: PeriodUnit,
    pub date: Ir,
    /// `by supplier`: the value that puts a record in its group; one tally per group and period.
    pub group: Option<Ir>,
    /// `sum amount`: the amount of each record, whose total `min` and `max` bound.
    pub sum: Option<Ir>,
    pub min: u64,
    /// `u64::MAX` for an open range (`expect 1..`).
    pub max: u64,
    /// Slots of `count`, `period`, `expected`, `group` and `total`, which the rule's message may
    /// show.
    pub locals: [usize; 5],
}

impl PeriodicRule {
    /// The record's own fields that the count reads (`type` always: it picks the record). A
    /// record refused as bad input is still counted when none of these is at fault.
    pub fn fields_read(&self) -> std::collections::BTreeSet<String> {
        let mut fields = std::collections::BTreeSet::from(["type".to_string()]);
        if let Some(condition) = &self.condition {
            condition.root_fields(&mut fields);
        }
        self.date.root_fields(&mut fields);
        for ir in self.group.iter().chain(&self.sum) {
            ir.root_fields(&mut fields);
        }
        fields
    }
}

/// Rules about the record set that the checker implements itself; the policy names them so that
/// they carry an id, a severity, a title and help like any other rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BuiltinRule {
    UniqueIds,
    References,
    RecordContract,
    Waivers,
    UnusedWaivers,
}

impl BuiltinRule {
    /// The checks that run whether or not the policy declares them, with the id, title and help
    /// they have then (severity `error`): the integrity of the record set is never optional.
    pub const BY_DEFAULT: [(BuiltinRule, &'static str, &'static str, &'static str); 4] = [
        (
            BuiltinRule::UniqueIds,
            "set.1",
            "every record id is unique",
            "give each record its own `id`; if both records are the same, drop one of them from the export",
        ),
        (
            BuiltinRule::References,
            "set.2",
            "every reference names a record of the set, of the right type",
            "a reference names the `id` of a record of its type exported in the same run",
        ),
        (
            BuiltinRule::RecordContract,
            "set.3",
            "every record keeps the records contract",
            "see the record types of the policy: required fields, their types and allowed values",
        ),
        (
            BuiltinRule::Waivers,
            "set.4",
            "a waiver names an existing rule, gives a reason, and has not run out",
            "a waiver needs `rule`, a `reason`, and an `until` no earlier than the last day of the period under audit",
        ),
    ];

    pub const ALL: [(&'static str, BuiltinRule); 5] = [
        ("unique_ids", BuiltinRule::UniqueIds),
        ("references", BuiltinRule::References),
        ("record_contract", BuiltinRule::RecordContract),
        ("waivers", BuiltinRule::Waivers),
        ("unused_waivers", BuiltinRule::UnusedWaivers),
    ];
}

/// Everything the checker needs from the policy files.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    pub name: String,
    pub fields: BTreeMap<String, String>,
    pub enums: Vec<EnumDef>,
    pub shapes: Vec<ShapeDef>,
    pub records: BTreeMap<String, ShapeId>,
    pub groups: BTreeMap<String, GroupDef>,
    pub params: Vec<ParamDef>,
    pub calendar: Option<Calendar>,
    pub chapters: BTreeMap<u32, ChapterDef>,
    pub articles: BTreeMap<u32, ArticleDef>,
    pub rules: Vec<RuleDef>,
    /// Named conditions and values, in declaration order.
    pub defines: Vec<DefineDef>,
    /// The checks of the record set's integrity that the policy does not declare as rules (unique
    /// ids, references, the records contract, waivers): they run all the same, under the ids and
    /// titles of [`BuiltinRule::BY_DEFAULT`]. Not among `rules`, so they need no examples.
    pub implicit: Vec<RuleDef>,
    /// For each record type that references name, the fields rules read through a reference.
    pub read_through_references: BTreeMap<ShapeId, BTreeSet<String>>,
    #[serde(skip)]
    pub files: Vec<Arc<SourceFile>>,
}

/// `define name on record = value`: expanded where a rule on `shape` uses `name`, resolved in the
/// record's scope (never the rule's own variables).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DefineDef {
    pub name: String,
    pub shape: ShapeId,
    pub value: crate::ast::Expr,
}

impl Policy {
    /// Every rule: the declared ones in policy order, then the implicit integrity checks.
    pub fn all_rules(&self) -> impl Iterator<Item = &RuleDef> {
        self.rules.iter().chain(&self.implicit)
    }

    /// The rule `id`, declared or implicit.
    pub fn rule(&self, id: &str) -> Option<&RuleDef> {
        self.rules.iter().chain(&self.implicit).find(|r| r.id == id)
    }

    /// The rules declared in an article (whose id is `ARTICLE.N`), in policy order; the rules
    /// about the record set belong to no article.
    pub fn rules_of_article(&self, number: u32) -> Vec<&RuleDef> {
        self.rules
            .iter()
            .filter(|r| r.article == Some(number) && !r.id.starts_with("set."))
            .collect()
    }

    /// What the rule's article says that the rule enforces: `article 40 (Mayor's briefing
    /// meetings): 市長碰頭會原則上每周召開一次 (“The mayor's briefing meeting is in principle held
    /// once a week”)`. A rule that quotes nothing names its article only; a rule of the record set
    /// has no article. Every report, `bylaw explain` and the language server show this one text.
    pub fn article_quote(&self, rule: &RuleDef) -> Option<String> {
        let article = rule
            .article
            .filter(|_| !rule.id.starts_with("set."))
            .and_then(|a| self.articles.get(&a))?;
        let head = format!("article {} ({})", article.number, article.title);
        if rule.quotes.is_empty() {
            return Some(head);
        }
        let quotes: Vec<String> = rule.quotes.iter().map(QuoteDef::shown).collect();
        Some(format!("{head}: {}", quotes.join("; ")))
    }

    pub fn record_type(&self, name: &str) -> Option<&ShapeDef> {
        self.records.get(name).and_then(|&id| self.shapes.get(id))
    }

    /// The rule that runs check `which`: the policy's own, else the implicit one (none for
    /// `unused_waivers`, which runs only when declared).
    pub fn builtin(&self, which: BuiltinRule) -> Option<&RuleDef> {
        self.rules
            .iter()
            .chain(&self.implicit)
            .find(|r| matches!(r.kind, RuleKind::Builtin(b) if b == which))
    }

    pub fn source_document(&self) -> Option<&str> {
        self.fields.get("source").map(String::as_str)
    }

    /// The event dates of a record type, which bound the inferred period under audit.
    pub fn event_fields(&self, shape: ShapeId) -> impl Iterator<Item = &FieldDef> {
        let fields = self.shapes.get(shape).map_or(&[][..], |s| &s.fields[..]);
        fields.iter().filter(|f| f.event)
    }

    /// A type's name as a user reads it in messages.
    pub fn type_name(&self, ty: &Ty) -> String {
        match ty {
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::Number => "number".into(),
            Ty::String => "string".into(),
            Ty::Date => "date".into(),
            Ty::DateTime => "datetime".into(),
            Ty::Duration => "duration".into(),
            Ty::Enum(e) => self.enums.get(*e).map_or("enum".into(), |e| e.name.clone()),
            Ty::Shape(s) => self
                .shapes
                .get(*s)
                .map_or("object".into(), |s| s.name.clone()),
            Ty::Array(inner) => format!("[{}]", self.type_name(inner)),
            Ty::Ref(s) => format!(
                "-> {}",
                self.shapes.get(*s).map_or("record", |s| s.name.as_str())
            ),
            Ty::Set(inner) => format!("set of {}", self.type_name(inner)),
            Ty::Unknown => "nothing".into(),
        }
    }
}

/// A date range, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

#[cfg(test)]
mod tests {
    use super::ChapterDef;

    /// The rules' own text reads back from a compiled policy as it was written, and bytes that
    /// are not UTF-8 there are refused (the policy is then parsed from its files instead).
    #[test]
    fn wide_text_reads_back_and_refuses_what_is_not_utf8() {
        let chapter = ChapterDef {
            number: 9,
            title: "第九章 會議制度".into(),
            english: "Meetings".into(),
        };
        let bytes = postcard::to_allocvec(&chapter).expect("written");
        let read: ChapterDef = postcard::from_bytes(&bytes).expect("read back");
        assert_eq!((read.number, read.title.as_str()), (9, "第九章 會議制度"));
        let json = serde_json::to_string(&chapter).expect("as JSON");
        let read: ChapterDef = serde_json::from_str(&json).expect("read back from JSON");
        assert_eq!(read.title, chapter.title);

        let mut broken = bytes.clone();
        let at = (broken.windows(3))
            .position(|w| w == "第".as_bytes())
            .expect("the title's first character");
        broken[at] = 0xFF;
        assert!(postcard::from_bytes::<ChapterDef>(&broken).is_err());
    }
}
