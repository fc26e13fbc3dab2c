//! Judging one record against one rule: scope, `for each`, requirements, messages and blame.

use std::rc::Rc;

use crate::json::Json;

use super::expr::{convert, eval, offenders, Env};
use super::value::{display_name_with, Origin, Traced, Val};
use super::{chain, quick};
use super::{EvalError, World};
use crate::ast::{PeriodUnit, QuantifierKind};
use crate::check::ir::{Ir, Node, Template, TemplatePart};
use crate::check::{Policy, RecordRule, Requirement, RuleDef, Ty};
use crate::diagnostic::Severity;
use crate::time::{Decoded, RecordStore};
use crate::wording;

/// A place in the record to label, and what the label says.
#[derive(Debug, Clone)]
pub struct Blame<'a> {
    pub origin: Origin<'a>,
    pub text: String,
    pub primary: bool,
}

impl<'a> Blame<'a> {
    pub fn primary(origin: Origin<'a>, text: String) -> Blame<'a> {
        Blame {
            origin,
            text,
            primary: true,
        }
    }

    pub fn secondary(origin: Origin<'a>, text: String) -> Blame<'a> {
        Blame {
            origin,
            text,
            primary: false,
        }
    }
}

/// The most elements of a list that one finding labels, or that a message names: a record with
/// thousands of offending elements gives a finding that can still be read (and located) quickly.
const MAX_LABELLED: usize = 10;

/// A violation found in one record, before it is located in the file.
#[derive(Debug, Clone)]
pub struct RawFinding<'a> {
    pub severity: Severity,
    pub message: String,
    pub blame: Vec<Blame<'a>>,
    /// The index of the rule's `require` clause that gave the finding, for a record rule.
    pub require: Option<usize>,
}

/// Whether `record` is in the rule's scope (`on … where …`): the rule judges it. An error (a date
/// outside the calendar, say) is `judge_record`'s to report. `decoded` is the record's store of
/// dates and datetimes, shared by all its rules.
pub fn scope<'a, 'r: 'a>(
    policy: &'a Policy,
    rule: &'a RuleDef,
    body: &'a RecordRule,
    (record, decoded, conditions): (&'a Json, &Rc<Decoded<'r>>, &ScopeConditions),
    world: &'a World<'a>,
) -> Result<bool, EvalError<'a>> {
    counters::scope_evaluated();
    if body.scope.is_empty() {
        // Not split into conjuncts (a rule not compiled by `check::load`): evaluated whole.
        return match &body.condition {
            Some(c) => {
                let mut env = Env::new(policy, record, decoded.clone(), rule.slots, world);
                Ok(eval(&mut env, c)?.truthy())
            }
            None => Ok(true),
        };
    }
    // Conjunct by conjunct, as `and` evaluates them, stopping at the first that does not hold;
    // each worked out once per record for all the rules whose scopes share it (the checker
    // numbered them). Only a value is kept: a conjunct that cannot be evaluated is evaluated
    // again by the next rule, which reports it as this one does.
    let mut env = None;
    for part in &body.scope {
        let holds = match conditions.get(part.id) {
            Some(known) => known,
            None => {
                counters::condition_evaluated();
                let holds = match &part.quick {
                    Some(quick) if quick::enabled() => quick::holds(quick, record, Some(decoded)),
                    _ => {
                        let env = env.get_or_insert_with(|| {
                            Env::new(policy, record, decoded.clone(), rule.slots, world)
                        });
                        eval(env, &part.condition)?.truthy()
                    }
                };
                conditions.keep(part.id, holds);
                holds
            }
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

/// [`scope`], with a scope that cannot be evaluated counted as out of it.
pub fn in_scope<'a>(
    policy: &'a Policy,
    rule: &'a RuleDef,
    body: &'a RecordRule,
    record: &'a Json,
    world: &'a World<'a>,
) -> bool {
    let decoded = Rc::default();
    let conditions = ScopeConditions::default();
    scope(policy, rule, body, (record, &decoded, &conditions), world).unwrap_or(false)
}

/// What each scope condition (by the id the checker gave it) came to on one record, for every
/// rule whose scope shares it: `None` while not worked out. One per record judged.
#[derive(Default)]
pub struct ScopeConditions(std::cell::RefCell<Vec<Option<bool>>>);

impl ScopeConditions {
    /// Whether the condition numbered `id` holds, if a rule's scope worked it out already.
    fn get(&self, id: usize) -> Option<bool> {
        self.0.borrow().get(id).copied().flatten()
    }

    /// Keeps whether the condition numbered `id` holds, for the next rule whose scope shares it.
    fn keep(&self, id: usize, holds: bool) {
        let mut known = self.0.borrow_mut();
        if known.len() <= id {
            // Room for the ids of a policy's scopes at once, rather than one more each time.
            known.resize((id + 1).next_power_of_two().max(64), None);
        }
        known[id] = Some(holds);
    }
}

/// Every violation of `rule` by `record`. None when the rule reads through a reference of the
/// record that names no record of the set: the rule does not judge it (set.2 reports the
/// reference), rather than judge a value that is not there.
pub fn judge_record<'a>(
    policy: &'a Policy,
    rule: &'a RuleDef,
    body: &'a RecordRule,
    record: &'a Json,
    world: &'a World<'a>,
) -> Result<Vec<RawFinding<'a>>, EvalError<'a>> {
    let decoded = Rc::default();
    let conditions = ScopeConditions::default();
    if !scope(policy, rule, body, (record, &decoded, &conditions), world)? {
        return Ok(Vec::new());
    }
    judge_in_scope(policy, rule, body, (record, &decoded), world)
}

/// [`judge_record`] for a record already known to be in the rule's scope: its scope is not
/// evaluated again. `decoded` is the record's store of dates and datetimes, shared by all its
/// rules.
pub fn judge_in_scope<'a, 'r: 'a>(
    policy: &'a Policy,
    rule: &'a RuleDef,
    body: &'a RecordRule,
    (record, decoded): (&'a Json, &Rc<Decoded<'r>>),
    world: &'a World<'a>,
) -> Result<Vec<RawFinding<'a>>, EvalError<'a>> {
    let mut env = Env::new(policy, record, decoded.clone(), rule.slots, world);
    let mut findings = Vec::new();
    let requirements = |env: &mut Env<'a>, fallback, findings: &mut Vec<RawFinding<'a>>| {
        requirements(env, (rule, body), (record, decoded), fallback, findings)
    };
    match &body.for_each {
        None => requirements(&mut env, Origin::Node(record), &mut findings)?,
        Some(each) => {
            let list = eval(&mut env, &each.source)?;
            let element_ty = each.source.ty.element();
            if let Val::Node(Json::Array(items)) = list.val {
                for item in items {
                    env.set(
                        each.slot,
                        Traced::new(env.convert(item, element_ty), Origin::Node(item)),
                    );
                    if let Some(condition) = &each.condition {
                        if !eval(&mut env, condition)?.truthy() {
                            continue;
                        }
                    }
                    requirements(&mut env, Origin::Node(item), &mut findings)?;
                }
            }
        }
    }
    if env.unresolved {
        return Ok(Vec::new());
    }
    Ok(findings)
}

/// The rule's requirements on the record (or on one element of its `for each`), each checked
/// where its `when` holds; a finding for each that does not hold. A `when` or a condition that
/// compiles to a test of the record's fields ([`quick`]) is tested directly, and a condition is
/// evaluated only where the test finds it does not hold, for the finding's message and places.
fn requirements<'a, 'r: 'a>(
    env: &mut Env<'a>,
    (rule, body): (&'a RuleDef, &'a RecordRule),
    (record, decoded): (&'a Json, &Decoded<'r>),
    fallback: Origin<'a>,
    findings: &mut Vec<RawFinding<'a>>,
) -> Result<(), EvalError<'a>> {
    for binding in &body.lets {
        let value = eval(env, &binding.value)?;
        env.set(binding.slot, value);
    }
    // Absent values already blamed by a requirement of this rule on this record: a later
    // requirement that fails only because the same value is absent says nothing new, so it gives
    // no follow-on finding ("not listed in the plan" and then "declared on —" for one `plan: null`).
    let mut reported_missing: Vec<Origin<'a>> = Vec::new();
    for (index, require) in body.requires.iter().enumerate() {
        if let Some(when) = &require.when {
            let applies = match &require.quick_when {
                Some(quick) if quick::enabled() => quick::holds(quick, record, Some(decoded)),
                _ => eval(env, when)?.truthy(),
            };
            if !applies {
                continue;
            }
        }
        if let Some(quick) = &require.quick_holds {
            if quick::enabled() && quick::holds(quick, record, Some(decoded)) {
                continue;
            }
        }
        let (message, mut blame) = match &require.what {
            Requirement::Holds(condition) => {
                let result = eval(env, condition)?;
                if result.truthy() {
                    continue;
                }
                if is_absent(result.origin) {
                    if reported_missing
                        .iter()
                        .any(|o| same_place(*o, result.origin))
                    {
                        continue;
                    }
                    reported_missing.push(result.origin);
                }
                let label = match result.origin {
                    Origin::Missing(_, field) => format!("`{field}` is missing"),
                    _ => rule.title.clone(),
                };
                let mut blame = vec![Blame::primary(result.origin, label)];
                // `none(p in invitees: …)` broken by two invitees labels both, the first primary.
                for origin in offenders(env, condition, MAX_LABELLED)? {
                    if !same_place(origin, result.origin) {
                        blame.push(Blame::secondary(origin, "here too".into()));
                    }
                }
                (None, blame)
            }
            Requirement::Chain(c) => match chain::check(env, c)? {
                None => continue,
                Some(failure) => (Some(failure.message), failure.blame),
            },
        };
        if let Some(at) = &require.at {
            let place = eval(env, at)?;
            let label = blame
                .first()
                .map_or_else(|| rule.title.clone(), |b| b.text.clone());
            blame = vec![Blame::primary(place.origin, label)];
        }
        for b in &mut blame {
            if b.origin.is_none() {
                b.origin = fallback;
            }
        }
        let template = require.message.as_ref().or(rule.message.as_ref());
        let message = match (template, message) {
            (Some(t), Some(detail)) => format!("{}: {detail}", render(env, t)),
            (Some(t), None) => render(env, t),
            (None, Some(detail)) => detail,
            (None, None) => rule.title.clone(),
        };
        findings.push(RawFinding {
            severity: require.severity,
            message,
            blame,
            require: Some(index),
        });
    }
    Ok(())
}

/// Whether a failed requirement's value is absent from the record: a missing field or a `null`.
fn is_absent(origin: Origin<'_>) -> bool {
    matches!(origin, Origin::Missing(..) | Origin::Node(Json::Null))
}

/// Whether two origins are the same place of the record (by identity, not by equal content).
fn same_place(a: Origin<'_>, b: Origin<'_>) -> bool {
    match (a, b) {
        (Origin::Node(x), Origin::Node(y)) => std::ptr::eq(x, y),
        (Origin::Missing(x, f), Origin::Missing(y, g)) => std::ptr::eq(x, y) && f == g,
        _ => false,
    }
}

/// A message with its holes filled from the record. The words around a hole are made to agree
/// with what it shows, so every message benefits: "a"/"an" before it by sound, the noun after a
/// number in the right number, a weekday capitalised, and an absent value said in words.
pub fn render<'a>(env: &mut Env<'a>, template: &'a Template) -> String {
    let mut out = String::new();
    // The number the previous hole showed, so the noun written after it agrees ("1 day").
    let mut number: Option<i64> = None;
    for part in &template.parts {
        match part {
            TemplatePart::Text(t) => match number.take() {
                Some(n) => out.push_str(&wording::agree_after_number(n, t)),
                None => out.push_str(t),
            },
            TemplatePart::Hole(ir) => {
                let shown = match eval(env, ir) {
                    Ok(v) => {
                        if let Val::Int(n) = v.val {
                            number = Some(n);
                        }
                        // The noun before a list of names agrees with it: "county head 何平".
                        if let Some(items) = named_list(ir, &v.val) {
                            out = wording::agree_before_list(items.len(), &out);
                        }
                        if v.val.is_null() {
                            absent(env.policy, ir, &mut out)
                        } else {
                            shown(env.policy, &*env.decoded, ir, &v.val)
                        }
                    }
                    // A value that cannot be computed (a date outside the calendar, say).
                    Err(_) => "unknown".into(),
                };
                agree_article(&mut out, &shown);
                out.push_str(&shown);
            }
        }
    }
    out
}

/// A hole whose value is absent, in words that say it is not given, never a dash or "missing"
/// ("filed on missing"): "by nobody on record" for a person, "filed (date not given)", "valid
/// until (date not given)", "an unknown number of days", "in the name of (not given)",
/// "`interim` is missing". The words before the hole may be reworded: a date's "on" gives way
/// to the parenthesis.
fn absent(policy: &Policy, ir: &Ir, out: &mut String) -> String {
    // "Nobody" only where the hole holds a person: "postponed to nobody on record" would call a
    // missing date or place a person.
    let after_person_word = ["by ", "asked ", "from ", "to "]
        .iter()
        .any(|w| out.ends_with(&format!(" {w}")));
    if after_person_word && is_person(policy, &ir.ty) {
        return "nobody on record".into();
    }
    match ir.ty {
        Ty::Date | Ty::DateTime => {
            // "filed on {filed.at}" → "filed (date not given)"; a field list such as
            // "(`office_report`: at {office_report.at}, …)" keeps its label: "at missing".
            let preposition = [" on ", " dated ", " at "]
                .iter()
                .find(|p| out.ends_with(*p) && !out[..out.len() - p.len()].ends_with(':'));
            match preposition {
                Some(p) => {
                    out.truncate(out.len() - p.len());
                    out.push(' ');
                    "(date not given)".into()
                }
                // A preposition that says more than "on" stays: "valid until (date not given)".
                None if after_preposition(out) && !out.ends_with(": at ") => {
                    "(date not given)".into()
                }
                None => "missing".into(),
            }
        }
        Ty::Int | Ty::Number => "an unknown number of".into(),
        // After a preposition a bare "missing" would read as a value ("in the name of missing").
        _ if after_preposition(out) => "(not given)".into(),
        // Elsewhere it reads as prose: "`interim` is missing", "contact missing".
        _ => "missing".into(),
    }
}

/// Whether the message so far ends with a preposition, after which a bare "missing" would read
/// as a value.
fn after_preposition(out: &str) -> bool {
    [
        " of ", " in ", " on ", " at ", " for ", " with ", " dated ", " within ", " by ", " from ",
        " to ", " until ", " before ", " after ", " since ", " asked ",
    ]
    .iter()
    .any(|p| out.ends_with(p))
}

/// Whether a hole of type `ty` holds a person (or a list of people): a type whose role field,
/// `role` or the one it declares with `as person(role: …)`, is an enum.
fn is_person(policy: &Policy, ty: &Ty) -> bool {
    let id = match ty {
        Ty::Shape(id) | Ty::Ref(id) => *id,
        Ty::Array(element) => return is_person(policy, element),
        _ => return false,
    };
    policy
        .shapes
        .get(id)
        .and_then(|shape| shape.field(&shape.roles.role))
        .is_some_and(|field| matches!(field.ty, Ty::Enum(_)))
}

/// A hole's value in words; a person with the role its type declares (`as person(role: …)`).
fn shown<'a>(policy: &Policy, decoded: &dyn RecordStore<'a>, ir: &Ir, value: &Val<'a>) -> String {
    match (value, &ir.node) {
        (Val::Str(_) | Val::Owned(_), Node::Call(builtin, _))
            if *builtin == &crate::builtins::time::WEEKDAY =>
        {
            wording::weekday_name(&value.render())
        }
        _ => match named_list(ir, value) {
            Some(items) => names(
                &items,
                (ir.ty.element(), decoded),
                role_field(policy, &ir.ty),
            ),
            None => value.render_with_role(role_field(policy, &ir.ty)),
        },
    }
}

/// The field that holds the role of a person of type `ty` (or of each element of a list of
/// them): the one its shape declares, else the language's `role`.
fn role_field<'p>(policy: &'p Policy, ty: &Ty) -> &'p str {
    let shape = match ty {
        Ty::Shape(id) => Some(*id),
        Ty::Array(element) => match **element {
            Ty::Shape(id) => Some(id),
            _ => None,
        },
        _ => None,
    };
    shape
        .and_then(|id| policy.shapes.get(id))
        .map_or("role", |s| s.roles.role.as_str())
}

/// The elements of a `those(…)` value, which a message names one by one.
fn named_list<'a>(ir: &Ir, value: &Val<'a>) -> Option<Vec<&'a Json>> {
    match (&ir.node, value) {
        (
            Node::Quantifier {
                kind: QuantifierKind::Those,
                ..
            },
            Val::Items(items),
        ) => Some(items.clone()),
        _ => None,
    }
}

/// A list in words, each element by its name: "何平 and 马超". A person is named without the role,
/// which the words before the list say ("county heads 何平 and 马超"); past nine names the rest are
/// counted ("… and 3 others"), and elements with no name to show are counted instead ("2 items").
/// A person with neither name nor id is called by its role, read from `role_field`.
fn names<'a>(
    items: &[&'a Json],
    (element, decoded): (&Ty, &dyn RecordStore<'a>),
    role_field: &str,
) -> String {
    if items.is_empty() {
        return "none".into();
    }
    let named: Option<Vec<String>> = items
        .iter()
        .map(|item| match item {
            Json::Object(_) => display_name_with(item, role_field),
            Json::Array(_) => None,
            scalar => Some(convert(scalar, element, decoded).render()),
        })
        .collect();
    match named {
        Some(mut named) if named.len() > MAX_LABELLED => {
            let others = named.len() - (MAX_LABELLED - 1);
            named.truncate(MAX_LABELLED - 1);
            named.push(wording::count(others as i64, "other", "others"));
            wording::and_list(&named)
        }
        Some(named) => wording::and_list(&named),
        None => wording::count(items.len() as i64, "item", "items"),
    }
}

/// Makes the article that ends `out` ("a " or "an ") agree with the sound of `next`.
fn agree_article(out: &mut String, next: &str) {
    let stem_len = if out.ends_with(" a ") || out == "a " {
        2
    } else if out.ends_with(" an ") || out == "an " {
        3
    } else {
        return;
    };
    let stem = out.len() - stem_len;
    out.truncate(stem);
    out.push_str(wording::article(next));
    out.push(' ');
}

/// The period a date falls in, as the output contract names it: `2011-08`, `2011-H2`, `2011-W33`,
/// `2011-Q3`, `2011`; with the first and last day of that period.
pub fn period_key(
    unit: PeriodUnit,
    date: jiff::civil::Date,
) -> (String, jiff::civil::Date, jiff::civil::Date) {
    use jiff::civil::Date;
    let year = date.year();
    let bounds = |from: Option<Date>, to: Option<Date>| (from.unwrap_or(date), to.unwrap_or(date));
    match unit {
        PeriodUnit::Month => {
            let (from, to) = bounds(
                Date::new(year, date.month(), 1).ok(),
                Some(date.last_of_month()),
            );
            (format!("{year:04}-{:02}", date.month()), from, to)
        }
        PeriodUnit::HalfYear => {
            let first = date.month() <= 6;
            let (from, to) = if first {
                bounds(Date::new(year, 1, 1).ok(), Date::new(year, 6, 30).ok())
            } else {
                bounds(Date::new(year, 7, 1).ok(), Date::new(year, 12, 31).ok())
            };
            (
                format!("{year:04}-H{}", if first { 1 } else { 2 }),
                from,
                to,
            )
        }
        PeriodUnit::Quarter => {
            let q = (date.month() - 1) / 3;
            let from = Date::new(year, q * 3 + 1, 1).ok();
            let to = from
                .map(|f| f.last_of_month())
                .and_then(|_| Date::new(year, q * 3 + 3, 1).ok())
                .map(|d| d.last_of_month());
            let (from, to) = bounds(from, to);
            (format!("{year:04}-Q{}", q + 1), from, to)
        }
        PeriodUnit::Year => {
            let (from, to) = bounds(Date::new(year, 1, 1).ok(), Date::new(year, 12, 31).ok());
            (format!("{year:04}"), from, to)
        }
        PeriodUnit::IsoWeek => {
            let iso = date.iso_week_date();
            let monday = iso.first_of_week().map(|w| w.date()).ok();
            let sunday = iso.last_of_week().map(|w| w.date()).ok();
            let (from, to) = bounds(monday, sunday);
            (format!("{:04}-W{:02}", iso.year(), iso.week()), from, to)
        }
    }
}

/// How often each costly step runs, counted in test builds (where debug assertions are on) so
/// that a test can show a scope evaluated once per record and rule, and a date decoded once per
/// record; nothing in release builds.
pub mod counters {
    pub use crate::time::counters::{dates_parsed, nodes_decoded};

    static SCOPES: crate::counter::Counter = crate::counter::Counter::new();

    /// A rule's scope was evaluated for a record.
    #[inline]
    pub fn scope_evaluated() {
        SCOPES.add();
    }

    /// Scopes evaluated since the process started (always 0 in a release build).
    pub fn scopes_evaluated() -> usize {
        SCOPES.get()
    }

    static READ_AGAIN: crate::counter::Counter = crate::counter::Counter::new();

    /// A record was read again once the set was read, for rules that asked for the set.
    #[inline]
    pub fn record_read_again() {
        READ_AGAIN.add();
    }

    /// Records read again since the process started (always 0 in a release build).
    pub fn records_read_again() -> usize {
        READ_AGAIN.get()
    }

    static READ_FOR_WAIVERS: crate::counter::Counter = crate::counter::Counter::new();

    /// A record was read again to locate the findings about its waivers (set.4, set.5).
    #[inline]
    pub fn record_read_for_waivers() {
        READ_FOR_WAIVERS.add();
    }

    /// Records read again for their waivers since the process started (0 in a release build).
    pub fn records_read_for_waivers() -> usize {
        READ_FOR_WAIVERS.get()
    }

    static CONDITIONS: crate::counter::Counter = crate::counter::Counter::new();

    /// A conjunct of a rule's scope was evaluated for a record: not known yet from another rule's
    /// scope that shares it.
    #[inline]
    pub fn condition_evaluated() {
        CONDITIONS.add();
    }

    /// Scope conjuncts evaluated since the process started (always 0 in a release build).
    pub fn conditions_evaluated() -> usize {
        CONDITIONS.get()
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::{eval, quick, Env, World};
    use crate::check::ir::{Ir, Quick};
    use crate::check::{Policy, Requirement, RuleDef, RuleKind};
    use crate::json::Json;
    use crate::time::Decoded;

    /// Every record of the fixtures, and each with one of its own fields taken away, made null,
    /// or given a value of each other kind.
    fn records_and_variants() -> Vec<Json> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut records = Vec::new();
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            let entry = entry.expect("the fixtures can be walked");
            let text = match entry.path().extension().and_then(|e| e.to_str()) {
                Some("json" | "jsonl") => std::fs::read_to_string(entry.path()).unwrap_or_default(),
                _ => continue,
            };
            let mut values = serde_json::Deserializer::from_str(&text).into_iter();
            while let Some(Ok(value)) = values.next() {
                match value {
                    serde_json::Value::Array(items) => records.extend(items),
                    other => records.push(other),
                }
            }
        }
        let kinds = [
            serde_json::Value::Null,
            true.into(),
            false.into(),
            7.into(),
            "plenary".into(),
            "".into(),
            serde_json::json!({"classified": true, "departments": true}),
            serde_json::json!([]),
        ];
        let mut variants = Vec::new();
        for record in records.iter().filter(|r| r.is_object()).take(150) {
            let object = record.as_object().expect("an object");
            for key in object.keys().filter(|k| *k != "type") {
                let mut without = object.clone();
                without.remove(key);
                variants.push(serde_json::Value::Object(without));
                for kind in &kinds {
                    let mut changed = object.clone();
                    changed.insert(key.clone(), kind.clone());
                    variants.push(serde_json::Value::Object(changed));
                }
            }
        }
        records
            .into_iter()
            .chain(variants)
            .map(Json::from)
            .collect()
    }

    /// Compares a condition compiled to a direct test with the condition evaluated, on every
    /// record and variant, its fields found by validation or looked up by name, for each
    /// condition of a rule of the bundled policy that `compiled` gives with its test; the number
    /// of comparisons, and of distinct conditions compared.
    fn compare_quick_tests(
        compiled: fn(&RuleDef) -> Vec<(&Ir, &Quick, String)>,
        policy: &Policy,
    ) -> (usize, usize) {
        let world = World::default();
        let mut compared = 0;
        let mut conditions = std::collections::BTreeSet::new();
        for record in records_and_variants() {
            let validated = Rc::new(Decoded::default());
            let _ = crate::records::validate(policy, &record, &validated);
            for decoded in [validated, Rc::new(Decoded::default())] {
                for rule in &policy.rules {
                    for (condition, quick, name) in compiled(rule) {
                        conditions.insert(name);
                        let mut env =
                            Env::new(policy, &record, decoded.clone(), rule.slots, &world);
                        let evaluated = eval(&mut env, condition).expect("it evaluates");
                        assert_eq!(
                            quick::holds(quick, &record, Some(&decoded)),
                            evaluated.truthy(),
                            "rule {}, {:?} on {record:?}",
                            rule.id,
                            condition.span
                        );
                        compared += 1;
                    }
                }
            }
        }
        (compared, conditions.len())
    }

    fn bundled_policy() -> Policy {
        let files = crate::policy_files::default_policy();
        crate::check::load(&files, &[]).expect("the bundled policy loads")
    }

    /// A scope's conjunct compiled to a direct test gives what evaluating it gives.
    #[test]
    fn a_quick_scope_test_agrees_with_evaluation() {
        let policy = bundled_policy();
        fn conjuncts(rule: &RuleDef) -> Vec<(&Ir, &Quick, String)> {
            match &rule.kind {
                RuleKind::Record(body) => (body.scope.iter())
                    .filter_map(|part| {
                        Some((&part.condition, part.quick.as_ref()?, part.id.to_string()))
                    })
                    .collect(),
                _ => Vec::new(),
            }
        }
        let (compared, distinct) = compare_quick_tests(conjuncts, &policy);
        assert!(compared > 100_000, "{compared} comparisons");
        // `kind is …`, `kind in {…}`, a flag, `… exists`, `not …`: the forms the work rules use.
        assert!(distinct >= 20, "{distinct} conjuncts");
    }

    /// A requirement's `when`, or the condition it requires, compiled to a direct test gives what
    /// evaluating it gives.
    #[test]
    fn a_quick_requirement_test_agrees_with_evaluation() {
        let policy = bundled_policy();
        fn requirements(rule: &RuleDef) -> Vec<(&Ir, &Quick, String)> {
            let RuleKind::Record(body) = &rule.kind else {
                return Vec::new();
            };
            let mut compiled = Vec::new();
            for (index, require) in body.requires.iter().enumerate() {
                let name = |what| format!("{} {index} {what}", rule.id);
                if let (Some(when), Some(quick)) = (&require.when, &require.quick_when) {
                    compiled.push((when, quick, name("when")));
                }
                if let (Requirement::Holds(holds), Some(quick)) =
                    (&require.what, &require.quick_holds)
                {
                    compiled.push((holds, quick, name("require")));
                }
            }
            compiled
        }
        let (compared, distinct) = compare_quick_tests(requirements, &policy);
        assert!(compared > 100_000, "{compared} comparisons");
        // `require consulted.experts when involves.departments` and the like.
        assert!(distinct >= 50, "{distinct} conditions");
    }

    /// Judged with its conditions compiled to tests (scopes, requirements, quantifiers' bodies),
    /// each rule finds what it finds with every condition evaluated: the same findings, with the
    /// same messages and the same places, on every record, valid or not (its steps, members and
    /// people changed too).
    #[test]
    fn a_judgement_with_quick_tests_agrees_with_evaluation() {
        // The work rules' quantifiers, and one of each kind whose body compiles to a test.
        let mut files = crate::policy_files::default_policy();
        let quantifiers = r#"
rule set.81 error { title "all" on document require all(s in steps: s.action is sign) }
rule set.82 error { title "none" on document require none(s in steps: s.by is not office_director) }
rule set.83 error {
  title "not any" on document
  require not any(s in steps: s.action in {review, read} and s.by exists)
}
rule set.84 error {
  title "count" on document
  require count(s in steps: s.by is secretary_general) < 1
    else "{count(s in steps: s.by is secretary_general)} by {first(s in steps: s.by is secretary_general).by}"
}
rule set.85 error { title "first" on document require first(s in steps: s.action is not sign).by is mayor }
rule set.86 error { title "last" on document require last(s in steps: not s.by exists).at exists }
rule set.87 error {
  title "those" on meeting
  require count(those(m in members: m is not vice_mayors)) < 2
    else "{those(m in members: m is not vice_mayors)}"
}
"#;
        files.push(crate::source::SourceFile::new(
            "quantifiers.bylaw",
            quantifiers,
        ));
        let policy = crate::check::load(&files, &[]).expect("the policy loads");
        for id in [
            "set.81", "set.82", "set.83", "set.84", "set.85", "set.86", "set.87",
        ] {
            let rule = policy.rule(id).expect("the rule is loaded");
            assert!(format!("{:?}", rule.kind).contains("quick: Some("), "{id}");
        }
        let world = World::default();
        let mut records = records_and_variants();
        records.extend(records_with_changed_elements(&records));
        let mut compared = 0;
        let mut found = 0;
        for record in &records {
            for rule in &policy.rules {
                let RuleKind::Record(body) = &rule.kind else {
                    continue;
                };
                let judge = || {
                    let judged = super::judge_record(&policy, rule, body, record, &world);
                    format!("{judged:?}")
                };
                let quick = judge();
                let evaluated = quick::evaluating_instead(judge);
                assert_eq!(quick, evaluated, "rule {} on {record:?}", rule.id);
                compared += 1;
                found += usize::from(quick.contains("RawFinding"));
            }
        }
        assert!(
            compared > 100_000 && found > 1_000,
            "{compared} judged, {found} found"
        );
    }

    /// Each record whose arrays hold objects, with one element's field taken away, made null, or
    /// given a value of another kind, or with the element replaced by a value that is no object.
    fn records_with_changed_elements(records: &[Json]) -> Vec<Json> {
        let kinds = [
            Json::Null,
            Json::Bool(true),
            Json::String("sign".into()),
            Json::String("office_deputy_director".into()),
            Json::Array(Vec::new()),
        ];
        let mut changed = Vec::new();
        for record in records.iter().take(400) {
            let Some(object) = record.as_object() else {
                continue;
            };
            for (key, value) in object.iter() {
                let Some(items) = value.as_array().filter(|items| !items.is_empty()) else {
                    continue;
                };
                let with = |items: Vec<Json>| {
                    let members = object.iter().map(|(k, v)| {
                        let v = if k == key {
                            Json::Array(items.clone())
                        } else {
                            v.clone()
                        };
                        (k.into(), v)
                    });
                    Json::Object(crate::json::Object::from_members(members.collect()))
                };
                let last = items.len() - 1;
                for kind in &kinds {
                    let mut replaced = items.clone();
                    replaced[last] = kind.clone();
                    changed.push(with(replaced));
                }
                let Some(element) = items[0].as_object() else {
                    continue;
                };
                for (field, _) in element.iter() {
                    for kind in kinds.iter().map(Some).chain([None]) {
                        let members =
                            element
                                .iter()
                                .filter_map(|(k, v)| match (k == field, kind) {
                                    (false, _) => Some((k.into(), v.clone())),
                                    (true, Some(kind)) => Some((k.into(), kind.clone())),
                                    (true, None) => None,
                                });
                        let mut replaced = items.clone();
                        replaced[0] =
                            Json::Object(crate::json::Object::from_members(members.collect()));
                        changed.push(with(replaced));
                    }
                }
            }
        }
        changed
    }
}
