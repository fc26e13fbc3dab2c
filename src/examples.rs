//! A policy's rule examples, kept in `examples/<rule>/`: for each rule, a record file that breaks
//! it (`fail.json`) and the same file made to comply (`pass.json`), and as many named cases
//! (`fail-NAME.json` with its `pass-NAME.json`) as it takes to break each of the rule's `require`
//! clauses. `bylaw explain` shows them and `bylaw verify` checks that each still does what it
//! says, so the examples cannot go stale.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::audit::{self, Outcome};
use crate::check::{BuiltinRule, Policy, RuleDef, RuleKind};
use crate::source::SourceFile;

/// What an example is meant to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Expect {
    Fail,
    Pass,
}

impl Expect {
    /// The unnamed case's file name: `fail.json` or `pass.json`.
    pub fn file_name(self) -> &'static str {
        match self {
            Expect::Fail => "fail.json",
            Expect::Pass => "pass.json",
        }
    }

    /// The file name of a case: `fail.json` when unnamed, `fail-NAME.json` when named.
    pub fn case_file_name(self, name: Option<&str>) -> String {
        match name {
            None => self.file_name().to_string(),
            Some(name) => format!("{}-{name}.json", self.word()),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Expect::Fail => "fail",
            Expect::Pass => "pass",
        }
    }
}

/// One case of a rule: the failing file and the same made to comply, either of which may be
/// missing (which `verify` reports).
#[derive(Debug, Default, Clone)]
pub struct Case {
    pub fail: Option<Arc<SourceFile>>,
    pub pass: Option<Arc<SourceFile>>,
}

impl Case {
    pub fn get(&self, expect: Expect) -> Option<&Arc<SourceFile>> {
        match expect {
            Expect::Fail => self.fail.as_ref(),
            Expect::Pass => self.pass.as_ref(),
        }
    }

    fn slot(&mut self, expect: Expect) -> &mut Option<Arc<SourceFile>> {
        match expect {
            Expect::Fail => &mut self.fail,
            Expect::Pass => &mut self.pass,
        }
    }
}

/// A policy's examples, by rule id then case name (`None`, the unnamed case, first); files whose
/// path does not say `examples/<rule>/{fail,pass}[-NAME].json` are kept apart as stray.
#[derive(Default)]
pub struct Examples {
    by_rule: BTreeMap<String, BTreeMap<Option<String>, Case>>,
    pub stray: Vec<Arc<SourceFile>>,
}

impl Examples {
    pub fn new(files: Vec<Arc<SourceFile>>) -> Examples {
        let mut examples = Examples::default();
        for file in files {
            let Ok((rule, expect, name)) = classify(&file.name) else {
                examples.stray.push(file);
                continue;
            };
            let slot = examples
                .by_rule
                .entry(rule.to_string())
                .or_default()
                .entry(name.map(str::to_string))
                .or_default()
                .slot(expect);
            // Two files of one name cannot come from one folder; keep the first, flag the other.
            if slot.is_some() {
                examples.stray.push(file);
            } else {
                *slot = Some(file);
            }
        }
        examples
    }

    /// The unnamed case's file (`fail.json` or `pass.json`) of a rule.
    pub fn get(&self, rule: &str, expect: Expect) -> Option<&Arc<SourceFile>> {
        self.case(rule, None)?.get(expect)
    }

    /// One case of a rule: `None` for the unnamed one.
    pub fn case(&self, rule: &str, name: Option<&str>) -> Option<&Case> {
        self.by_rule.get(rule)?.get(&name.map(str::to_string))
    }

    /// The named cases of a rule, by name.
    pub fn named_cases(&self, rule: &str) -> impl Iterator<Item = (&str, &Case)> {
        self.by_rule
            .get(rule)
            .into_iter()
            .flatten()
            .filter_map(|(name, case)| Some((name.as_deref()?, case)))
    }

    /// Rule ids that have examples.
    pub fn rules(&self) -> impl Iterator<Item = &str> {
        self.by_rule.keys().map(String::as_str)
    }
}

/// Why a path is not an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stray {
    /// Not directly in a rule's folder `examples/<rule>/`.
    Place,
    /// Not a `.json` file: JSON Lines and other files are not examples.
    Extension,
    /// A `.json` file whose name is not `fail`, `pass`, `fail-NAME` or `pass-NAME`.
    Name,
}

/// `…/examples/38.1/fail-late.json` → (`38.1`, Fail, Some(`late`)); the separator may be `/` or
/// `\`.
fn classify(path: &str) -> Result<(&str, Expect, Option<&str>), Stray> {
    let mut parts = path.rsplit(['/', '\\']);
    let file = parts.next().unwrap_or_default();
    let rule = parts.next().filter(|r| !r.is_empty()).ok_or(Stray::Place)?;
    if parts.next() != Some("examples") {
        return Err(Stray::Place);
    }
    let stem = file.strip_suffix(".json").ok_or(Stray::Extension)?;
    let (expect, rest) = if let Some(rest) = stem.strip_prefix("fail") {
        (Expect::Fail, rest)
    } else if let Some(rest) = stem.strip_prefix("pass") {
        (Expect::Pass, rest)
    } else {
        return Err(Stray::Name);
    };
    if rest.is_empty() {
        return Ok((rule, expect, None));
    }
    match rest.strip_prefix('-') {
        Some(name) if is_case_name(name) => Ok((rule, expect, Some(name))),
        _ => Err(Stray::Name),
    }
}

/// A case name: lower-case words (letters, then letters or digits) joined by single `-`.
fn is_case_name(name: &str) -> bool {
    name.split('-').all(|word| {
        word.starts_with(|c: char| c.is_ascii_lowercase())
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

/// The other file of a case.
fn other(expect: Expect) -> Expect {
    match expect {
        Expect::Fail => Expect::Pass,
        Expect::Pass => Expect::Fail,
    }
}

/// Why a stray file is not an example, as `verify` says it.
fn stray_problem(path: &str) -> String {
    let names = "`fail.json`, `pass.json`, `fail-NAME.json` or `pass-NAME.json`";
    match classify(path) {
        Err(Stray::Place) => format!("not an example: put it in `examples/<rule>/` as {names}"),
        Err(Stray::Extension) => format!("not an example: examples are JSON files named {names}"),
        Err(Stray::Name) => format!(
            "not an example name: name it {names}, NAME being lower-case words joined by `-`"
        ),
        Ok(_) => "a second file of the same name".to_string(),
    }
}

/// What checking an example gave: one line per finding or bad input, as `(rule or code, message)`.
pub struct Run {
    pub outcome: Outcome,
    pub reported: Vec<(String, String)>,
}

/// Checks one example file on its own, as `bylaw check` would.
pub fn run(policy: &Policy, file: &SourceFile) -> Run {
    let outcome = audit::run_in_memory(policy, vec![(file.name.to_string(), file.text.clone())]);
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

/// Why an example does not show what it should. A failing example breaks its rule and no other,
/// with one exception: a reference that names a record of the wrong type, or none, is the
/// reference rule's finding (`set.2` in the bundled policy) as well as that of any rule that
/// reads the reference, so a failing example of such a rule may give both.
pub fn mismatch(policy: &Policy, rule: &str, expect: Expect, run: &Run) -> Option<String> {
    mismatch_sharing(policy, rule, expect, run, &[])
}

/// [`mismatch`], where the findings in `shared` (of other rules, given by both files of a named
/// case) are allowed: a branch of a rule that only a record breaking another rule can reach
/// (19.2 when no meeting is recorded, which 16.1 reports) is shown by a pair that differs exactly
/// by the rule's own finding.
fn mismatch_sharing(
    policy: &Policy,
    rule: &str,
    expect: Expect,
    run: &Run,
    shared: &[(String, String)],
) -> Option<String> {
    let references = policy
        .builtin(BuiltinRule::References)
        .map(|r| r.id.as_str());
    let its_own = |id: &str| id == rule || Some(id) == references;
    let others: Vec<String> = run
        .reported
        .iter()
        .filter(|(id, _)| expect == Expect::Pass || !its_own(id))
        .filter(|reported| !shared.contains(reported))
        .map(|(id, message)| format!("{id}: {message}"))
        .collect();
    match expect {
        Expect::Pass if !others.is_empty() => Some(format!(
            "should give nothing, but gives {}",
            others.join("; ")
        )),
        Expect::Fail if !run.reported.iter().any(|(id, _)| id == rule) => {
            let all: Vec<String> = run
                .reported
                .iter()
                .map(|(id, message)| format!("{id}: {message}"))
                .collect();
            Some(if all.is_empty() {
                format!("should break {rule}, but gives nothing")
            } else {
                format!("should break {rule}, but gives only {}", all.join("; "))
            })
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
    /// `(file name or place in the policy, what is wrong)`; empty when the rule's examples show
    /// what they should.
    pub problems: Vec<(String, String)>,
    /// What the failing example gave, when it is right: the first message.
    pub shown: Option<String>,
    /// How many named cases the rule has besides `fail.json` and `pass.json`.
    pub named: usize,
}

/// The verdicts for every rule of the policy, in policy order, then examples for rules the
/// policy does not have, then stray files.
pub fn verify(policy: &Policy, examples: &Examples) -> Vec<Verdict> {
    let mut verdicts: Vec<Verdict> = policy
        .rules
        .iter()
        .map(|rule| verify_rule(policy, examples, rule))
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
                named: 0,
            });
        }
    }
    for file in &examples.stray {
        verdicts.push(Verdict {
            rule: "-".to_string(),
            problems: vec![(file.name.to_string(), stray_problem(&file.name))],
            shown: None,
            named: 0,
        });
    }
    verdicts
}

/// One rule: the unnamed case must be there, every named case must have both files, every
/// failing file breaks the rule alone, every passing one gives nothing, and each `require` of a
/// record rule is broken by some failing file.
fn verify_rule(policy: &Policy, examples: &Examples, rule: &RuleDef) -> Verdict {
    let mut problems = Vec::new();
    let mut shown = None;
    // The `require` clauses some failing example breaks, by index.
    let mut broken = BTreeSet::new();
    let unnamed = Case::default();
    let unnamed = examples.case(&rule.id, None).unwrap_or(&unnamed);
    let cases = std::iter::once((None, unnamed))
        .chain(examples.named_cases(&rule.id).map(|(n, c)| (Some(n), c)));
    let mut named = 0;
    for (name, case) in cases {
        named += usize::from(name.is_some());
        let mut runs = [Expect::Fail, Expect::Pass].map(|e| case.get(e).map(|f| run(policy, f)));
        // Another rule's findings that both files of a named case give.
        let shared: Vec<(String, String)> = match (name, &runs) {
            (Some(_), [Some(fail), Some(pass)]) => fail
                .reported
                .iter()
                .filter(|(id, _)| *id != rule.id && policy.rule(id).is_some())
                .filter(|reported| pass.reported.contains(reported))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        for (slot, expect) in [Expect::Fail, Expect::Pass].into_iter().enumerate() {
            let Some(file) = case.get(expect) else {
                // Where the file should be: beside its twin, or in the rule's folder.
                let file_name = expect.case_file_name(name);
                let missing = match case.get(other(expect)) {
                    Some(twin) => {
                        let folder = twin.name.len()
                            - twin.name.rsplit(['/', '\\']).next().map_or(0, str::len);
                        format!("{}{file_name}", &twin.name[..folder])
                    }
                    None => format!("examples/{}/{file_name}", rule.id),
                };
                let problem = match (name, expect) {
                    (None, _) => "missing".to_string(),
                    (Some(_), Expect::Fail) => format!(
                        "missing: `{}` has no failing case to comply with",
                        Expect::Pass.case_file_name(name)
                    ),
                    (Some(_), Expect::Pass) => format!(
                        "missing: `{}` needs the same made to comply",
                        Expect::Fail.case_file_name(name)
                    ),
                };
                problems.push((missing, problem));
                continue;
            };
            let Some(run) = runs[slot].take() else {
                continue;
            };
            if expect == Expect::Fail {
                broken.extend(
                    run.outcome
                        .findings
                        .iter()
                        .filter(|f| f.rule == rule.id)
                        .filter_map(|f| f.require.map(|index| index as usize)),
                );
            }
            match mismatch_sharing(policy, &rule.id, expect, &run, &shared) {
                Some(problem) => problems.push((file.name.to_string(), problem)),
                None if expect == Expect::Fail && name.is_none() => {
                    shown = run.reported.first().map(|(_, m)| m.clone());
                }
                None => {}
            }
        }
    }
    // A rule with no failing file at all is told so above; each clause again would be noise.
    let any_fail = examples
        .by_rule
        .get(&rule.id)
        .is_some_and(|cases| cases.values().any(|c| c.fail.is_some()));
    if let (RuleKind::Record(body), true) = (&rule.kind, any_fail) {
        for (index, require) in body.requires.iter().enumerate() {
            if broken.contains(&index) {
                continue;
            }
            let file = &rule.origin.file;
            let (line, column) = file.line_column(require.span.start);
            let text = file
                .text
                .get(require.span.start..require.span.end)
                .unwrap_or_default();
            problems.push((
                format!("{}:{line}:{column}", file.name),
                format!(
                    "no failing example breaks `{}`; add a `fail-NAME.json` that does, and its `pass-NAME.json`",
                    first_line(text, 60)
                ),
            ));
        }
    }
    Verdict {
        rule: rule.id.clone(),
        problems,
        shown,
        named,
    }
}

/// The first line of `text`, at most `max` characters, with `…` when anything was cut.
fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default().trim_end();
    let cut: String = line.chars().take(max).collect();
    if cut.len() < text.trim_end().len() {
        format!("{cut} …")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_example_paths() {
        assert_eq!(
            classify("examples/38.1/fail.json"),
            Ok(("38.1", Expect::Fail, None))
        );
        assert_eq!(
            classify(r"p\examples\set.2\pass.json"),
            Ok(("set.2", Expect::Pass, None))
        );
        assert_eq!(
            classify("p/examples/52.1/fail-sign-late.json"),
            Ok(("52.1", Expect::Fail, Some("sign-late")))
        );
        assert_eq!(
            classify("examples/52.1/pass-day3.json"),
            Ok(("52.1", Expect::Pass, Some("day3")))
        );
        assert_eq!(classify("examples/38.1/other.json"), Err(Stray::Name));
        assert_eq!(classify("pass.json"), Err(Stray::Place));
        assert_eq!(classify("examples/pass.json"), Err(Stray::Place));
        assert_eq!(classify("examples/a/38.1/pass.json"), Err(Stray::Place));
        assert_eq!(classify("examples/38.1/fail.jsonl"), Err(Stray::Extension));
        for stray in [
            "fail_x.json",
            "pass-.json",
            "Fail.json",
            "fail-X.json",
            "fail--x.json",
            "fail-x-.json",
            "fail-3.json",
            "failure.json",
            "pass-a b.json",
        ] {
            assert_eq!(
                classify(&format!("examples/38.1/{stray}")),
                Err(Stray::Name),
                "{stray}"
            );
        }
    }

    #[test]
    fn a_long_clause_is_cut_on_a_character() {
        assert_eq!(first_line("require a", 60), "require a");
        assert_eq!(first_line("require 會議\n  and b", 60), "require 會議 …");
        assert_eq!(first_line("require 會議會議", 10), "require 會議 …");
    }
}
