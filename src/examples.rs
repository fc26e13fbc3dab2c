//! A policy's rule examples: for each rule, a record file that breaks it (`fail.json`) and the
//! same file made to comply (`pass.json`), kept in `examples/<rule>/`. `bylaw explain` shows them
//! and `bylaw verify` checks that each still does what it says, so the examples cannot go stale.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::audit::{self, Outcome};
use crate::check::Policy;
use crate::source::SourceFile;

/// What an example is meant to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Expect {
    Fail,
    Pass,
}

impl Expect {
    pub fn file_name(self) -> &'static str {
        match self {
            Expect::Fail => "fail.json",
            Expect::Pass => "pass.json",
        }
    }
}

/// A policy's examples, by rule id; files whose path does not say `<rule>/pass.json` or
/// `<rule>/fail.json` are kept apart as stray.
#[derive(Default)]
pub struct Examples {
    by_rule: BTreeMap<String, BTreeMap<Expect, Arc<SourceFile>>>,
    pub stray: Vec<Arc<SourceFile>>,
}

impl Examples {
    pub fn new(files: Vec<Arc<SourceFile>>) -> Examples {
        let mut examples = Examples::default();
        for file in files {
            match classify(&file.name) {
                Some((rule, expect)) => {
                    examples
                        .by_rule
                        .entry(rule.to_string())
                        .or_default()
                        .insert(expect, file);
                }
                None => examples.stray.push(file),
            }
        }
        examples
    }

    pub fn get(&self, rule: &str, expect: Expect) -> Option<&Arc<SourceFile>> {
        self.by_rule.get(rule)?.get(&expect)
    }

    /// Rule ids that have examples.
    pub fn rules(&self) -> impl Iterator<Item = &str> {
        self.by_rule.keys().map(String::as_str)
    }
}

/// `…/38.1/fail.json` → (`38.1`, Fail); the separator may be `/` or `\`.
fn classify(name: &str) -> Option<(&str, Expect)> {
    let mut parts = name.rsplit(['/', '\\']);
    let expect = match parts.next()? {
        "fail.json" => Expect::Fail,
        "pass.json" => Expect::Pass,
        _ => return None,
    };
    Some((parts.next().filter(|r| !r.is_empty())?, expect))
}

/// What checking an example gave: one line per finding or bad input, as `(rule or code, message)`.
pub struct Run {
    pub outcome: Outcome,
    pub reported: Vec<(String, String)>,
}

/// Checks one example file on its own, as `bylaw check` would.
pub fn run(policy: &Policy, file: &SourceFile) -> Run {
    let outcome = audit::run_in_memory(policy, vec![(file.name.clone(), file.text.clone())]);
    let bad = outcome
        .bad_inputs
        .iter()
        .map(|b| (b.diagnostic.code.clone(), b.message.clone()));
    let found = outcome
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.message.clone()));
    let reported = bad.chain(found).collect();
    Run { outcome, reported }
}

/// Why an example does not show what it should.
pub fn mismatch(rule: &str, expect: Expect, run: &Run) -> Option<String> {
    let others: Vec<String> = run
        .reported
        .iter()
        .filter(|(id, _)| expect == Expect::Pass || id != rule)
        .map(|(id, message)| format!("{id}: {message}"))
        .collect();
    match expect {
        Expect::Pass if !others.is_empty() => Some(format!(
            "should give nothing, but gives {}",
            others.join("; ")
        )),
        Expect::Fail if run.reported.is_empty() => {
            Some(format!("should break {rule}, but gives nothing"))
        }
        Expect::Fail if !others.is_empty() => Some(format!(
            "should break {rule} alone, but also gives {}",
            others.join("; ")
        )),
        _ => None,
    }
}

/// The verdict on one rule's examples.
pub struct Verdict {
    pub rule: String,
    /// `(file name, what is wrong)`; empty when the rule's examples show what they should.
    pub problems: Vec<(String, String)>,
    /// What the failing example gave, when it is right: the first message.
    pub shown: Option<String>,
}

/// The verdicts for every rule of the policy, in policy order, then examples for rules the
/// policy does not have, then stray files.
pub fn verify(policy: &Policy, examples: &Examples) -> Vec<Verdict> {
    let mut verdicts: Vec<Verdict> = policy
        .rules
        .iter()
        .map(|rule| {
            let mut problems = Vec::new();
            let mut shown = None;
            for expect in [Expect::Fail, Expect::Pass] {
                let Some(file) = examples.get(&rule.id, expect) else {
                    problems.push((expect.file_name().to_string(), "missing".to_string()));
                    continue;
                };
                let run = run(policy, file);
                match mismatch(&rule.id, expect, &run) {
                    Some(problem) => problems.push((file.name.clone(), problem)),
                    None if expect == Expect::Fail => {
                        shown = run.reported.first().map(|(_, m)| m.clone());
                    }
                    None => {}
                }
            }
            Verdict {
                rule: rule.id.clone(),
                problems,
                shown,
            }
        })
        .collect();
    for id in examples.rules() {
        if policy.rule(id).is_none() {
            verdicts.push(Verdict {
                rule: id.to_string(),
                problems: vec![(
                    format!("examples/{id}/"),
                    "examples for a rule the policy does not have".to_string(),
                )],
                shown: None,
            });
        }
    }
    for file in &examples.stray {
        verdicts.push(Verdict {
            rule: "-".to_string(),
            problems: vec![(
                file.name.clone(),
                "not an example: name it `examples/<rule>/pass.json` or `fail.json`".to_string(),
            )],
            shown: None,
        });
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_example_paths() {
        assert_eq!(
            classify("examples/38.1/fail.json"),
            Some(("38.1", Expect::Fail))
        );
        assert_eq!(
            classify(r"p\examples\set.2\pass.json"),
            Some(("set.2", Expect::Pass))
        );
        assert_eq!(classify("examples/38.1/other.json"), None);
        assert_eq!(classify("pass.json"), None);
    }
}
