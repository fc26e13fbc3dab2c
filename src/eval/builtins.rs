//! Calls of builtin functions: the arguments evaluated, then the registry entry's evaluation
//! (see [`crate::builtins`]) run on them, with the evaluator's values and world behind the
//! registry's [`Value`] and [`Context`].

use crate::json::Json;

use super::expr::{eval, Env};
use super::value::{Origin, Traced, Val};
use super::EvalError;
use crate::builtins::{Builtin, Context, Out, Value};
use crate::calendar::Calendar;
use crate::check::ir::Ir;
use crate::check::Policy;
use crate::time::DateTime;
use crate::types::Ty;

pub fn call<'a>(
    env: &mut Env<'a>,
    builtin: &'static Builtin,
    args: &'a [Ir],
) -> Result<Traced<'a>, EvalError<'a>> {
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        values.push(eval(env, arg)?);
    }
    let origin = values
        .iter()
        .map(|v| v.origin)
        .find(|o| !o.is_none())
        .unwrap_or(Origin::None);
    // Each argument with the step time field its type declares, for `ordered`.
    let typed: Vec<Typed<'_, 'a>> = values
        .iter()
        .zip(args)
        .map(|(v, arg)| Typed {
            val: &v.val,
            time_field: time_field(env.policy, &arg.ty),
        })
        .collect();
    let views: Vec<&dyn Value<'a>> = typed.iter().map(|t| t as &dyn Value<'a>).collect();
    let out = (builtin.eval)(&views, &*env).map_err(|message| EvalError { message, origin })?;
    let val = match out {
        Out::Null => Val::Null,
        Out::Int(i) => Val::Int(i),
        Out::Number(n) => Val::Num(n),
        Out::Date(d) => Val::Date(d),
        Out::Text(s) => Val::Str(s),
        Out::Owned(s) => Val::Owned(s),
        Out::Items(items) => Val::Items(items),
    };
    Ok(Traced::new(val, origin))
}

/// The calendar date of a date or datetime value (a datetime in its own offset).
pub fn date_of(v: &Val<'_>) -> Option<jiff::civil::Date> {
    match v {
        Val::Date(d) => Some(*d),
        Val::DateTime(d) => Some(d.date()),
        _ => None,
    }
}

impl<'a> Value<'a> for Val<'a> {
    fn is_null(&self) -> bool {
        Val::is_null(self)
    }

    fn date(&self) -> Option<jiff::civil::Date> {
        date_of(self)
    }

    fn datetime(&self) -> Option<DateTime> {
        match self {
            Val::DateTime(d) => Some(*d),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        self.as_str()
    }

    fn list_len(&self) -> Option<usize> {
        self.elements().map(|e| e.len())
    }

    fn items(&self) -> Option<Vec<&'a Json>> {
        self.elements().map(Iterator::collect)
    }
}

/// An argument with what its type declares that the registry's functions may need.
struct Typed<'v, 'a> {
    val: &'v Val<'a>,
    time_field: &'a str,
}

impl<'a> Value<'a> for Typed<'_, 'a> {
    fn is_null(&self) -> bool {
        self.val.is_null()
    }

    fn date(&self) -> Option<jiff::civil::Date> {
        Value::date(self.val)
    }

    fn datetime(&self) -> Option<DateTime> {
        Value::datetime(self.val)
    }

    fn text(&self) -> Option<&str> {
        Value::text(self.val)
    }

    fn list_len(&self) -> Option<usize> {
        Value::list_len(self.val)
    }

    fn items(&self) -> Option<Vec<&'a Json>> {
        Value::items(self.val)
    }

    fn time_field(&self) -> &str {
        self.time_field
    }
}

/// The field that dates the steps of a list of type `ty`: the one their type declares with
/// `as step(at: …)`, else `at`.
fn time_field<'p>(policy: &'p Policy, ty: &Ty) -> &'p str {
    match ty {
        Ty::Array(element) => match **element {
            Ty::Shape(id) => policy.shapes.get(id).map_or("at", |s| s.roles.at.as_str()),
            _ => "at",
        },
        _ => "at",
    }
}

impl<'a> Context<'a> for Env<'a> {
    fn calendar(&self) -> Option<&'a Calendar> {
        self.policy.calendar.as_ref()
    }

    fn period(&self) -> Option<(jiff::civil::Date, jiff::civil::Date)> {
        self.world.period().map(|p| (p.from, p.to))
    }

    fn record_type(&self, id: &str) -> Option<&'a str> {
        let kept = self.world.record(id).map(|(shape, _)| *shape);
        // A record refused as bad input still has its type, when that is a known one.
        kept.or_else(|| self.world.refused(id).flatten())
            .and_then(|shape| self.policy.shapes.get(shape))
            .map(|shape| shape.name.as_str())
    }

    fn decoded(&self) -> &dyn crate::time::RecordStore<'a> {
        &*self.decoded
    }
}

#[cfg(test)]
mod tests {
    use crate::check::RuleKind;
    use crate::eval::{judge_record, World};
    use crate::source::SourceFile;

    /// `month_end` is registered by its entry alone (`builtins::testing`): a policy calling it
    /// loads, a misspelling of it is suggested, and a record is judged with it.
    #[test]
    fn an_entry_alone_makes_a_builtin() {
        let rule = |body: &str| {
            format!("rule set.99 error {{\n  title \"month end\"\n  on meeting\n  {body}\n}}\n")
        };
        let load = |body: &str| {
            let mut files = crate::policy_files::default_policy();
            files.push(SourceFile::new("test.bylaw", rule(body)));
            crate::check::load(&files, &[])
        };
        let policy =
            match load("require date(start) < month_end(start) else \"ends {month_end(start)}\"") {
                Ok(policy) => policy,
                Err(e) => panic!("{e:#?}"),
            };
        let rule = policy.rule("set.99").expect("the rule is loaded");
        let RuleKind::Record(body) = &rule.kind else {
            panic!("a record rule")
        };
        let world = World::default();
        let judge = |start: &str| -> Vec<String> {
            let record: crate::json::Json = serde_json::json!({"type": "meeting", "id": "M", "kind": "executive", "start": start}).into();
            judge_record(&policy, rule, body, &record, &world)
                .expect("judged")
                .into_iter()
                .map(|f| f.message)
                .collect()
        };
        assert!(judge("2011-07-11T09:00:00+08:00").is_empty());
        assert_eq!(judge("2011-07-31T09:00:00+08:00"), ["ends 2011-07-31"]);

        let Err(errors) = load("require month_ends(start) exists") else {
            panic!("a misspelt builtin is refused")
        };
        assert!(
            errors
                .iter()
                .any(|e| e.help.as_deref() == Some("did you mean `month_end`?")),
            "{errors:#?}"
        );
    }
}
