//! `bylaw explain RULE`: the rule, its article's original text and gloss, how to comply, and the
//! rule's examples — what bylaw reports on the failing one, and the change that makes it pass.

use clap::{Args, ValueEnum};

use super::{wrap, PolicyArgs};
use crate::check::coverage;
use crate::check::{ArticleDef, BuiltinRule, Policy, RuleDef, RuleKind};
use crate::examples::{self, Examples, Expect};
use crate::report::human::Renderer;
use crate::source::{SourceFile, Span};

#[derive(Args)]
pub struct ExplainArgs {
    /// A rule id such as `38.1`, or an article number such as `38` for the article and its rules
    rule: String,
    /// Print only this example's record file, e.g. to pipe into `bylaw check -`
    #[arg(long, value_enum, value_name = "WHICH")]
    example: Option<Which>,
    /// With `--example`, a named case's file instead: `--example fail --case late` prints
    /// `fail-late.json`
    #[arg(long, value_name = "NAME", requires = "example")]
    case: Option<String>,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum Which {
    Pass,
    Fail,
}

pub fn run(args: &ExplainArgs) -> u8 {
    let renderer = args.policy.renderer();
    let Some(policy) = args.policy.load_reporting(&renderer) else {
        return 2;
    };
    let Some(examples) = args.policy.examples_reporting(&renderer) else {
        return 2;
    };
    if policy.rule(&args.rule).is_none() {
        let is_number = !args.rule.is_empty() && args.rule.bytes().all(|b| b.is_ascii_digit());
        if is_number {
            // A number too large for any article is no article either.
            let found = args.rule.parse().ok().and_then(|n| article(&policy, n));
            return match found {
                Some(text) => written(&text),
                None => {
                    eprintln!(
                        "no article {}: the policy has {}",
                        args.rule,
                        article_numbers(&policy)
                    );
                    2
                }
            };
        }
        let ids: Vec<String> = policy.all_rules().map(|r| r.id.clone()).collect();
        let hint = crate::check::suggest(&args.rule, &ids).unwrap_or_default();
        eprintln!("no rule `{}`; `bylaw rules` lists them. {hint}", args.rule);
        return 2;
    }
    if let Some(which) = args.example {
        let expect = match which {
            Which::Pass => Expect::Pass,
            Which::Fail => Expect::Fail,
        };
        let name = args.case.as_deref();
        return match examples.case(&args.rule, name).and_then(|c| c.get(expect)) {
            Some(file) => written(&file.text),
            None => {
                let names: Vec<&str> = examples.named_cases(&args.rule).map(|(n, _)| n).collect();
                let help = match names.as_slice() {
                    [] => String::new(),
                    names => format!("; its named cases: {}", names.join(", ")),
                };
                eprintln!(
                    "rule {} has no `{}`{help}",
                    args.rule,
                    expect.case_file_name(name)
                );
                2
            }
        };
    }
    match explain(&policy, &examples, &args.rule, &renderer) {
        Some(text) => written(&text),
        None => 2,
    }
}

/// Writes `text` to standard output: status 0, or 2 when it could not be written.
fn written(text: &str) -> u8 {
    if super::emit(text) {
        0
    } else {
        2
    }
}

/// An article: its original text and gloss, then each of its rules, or why it has none, and the
/// rules of other articles that cite it.
fn article(policy: &Policy, number: u32) -> Option<String> {
    let coverage = coverage::article(policy, number)?;
    let article = coverage.article;
    let mut out = article_text(article);
    let list = |out: &mut String, rules: &[&RuleDef]| {
        for rule in rules {
            out.push_str(&format!(
                "  {:<6} {:<7}  {}\n",
                rule.id,
                rule.severity.as_str(),
                rule.title
            ));
        }
    };
    match (coverage.rules.is_empty(), coverage.reason) {
        (false, _) => {
            out.push_str("\nits rules (`bylaw explain RULE` shows one with its examples):\n\n");
            list(&mut out, &coverage.rules);
        }
        (true, Some(reason)) => {
            let text = format!("no rule of its own: {reason}");
            out.push_str(&format!("\n{}\n", wrap(&text, 100).join("\n")));
        }
        (true, None) => out.push_str(
            "\nno rule checks this article, and it does not say why (`bylaw verify` fails)\n",
        ),
    }
    if !coverage.cited_by.is_empty() {
        out.push_str("\nrules of other articles that cite it:\n\n");
        list(&mut out, &coverage.cited_by);
    }
    Some(out)
}

/// An article's heading, then its text and gloss each after a blank line; one the policy leaves
/// empty is left out, not shown as blank lines.
fn article_text(article: &ArticleDef) -> String {
    let mut out = format!("article {} — {}\n", article.number, article.title);
    for part in [&article.text, &article.gloss] {
        if !part.trim().is_empty() {
            out.push_str(&format!("\n{part}\n"));
        }
    }
    out
}

/// The policy's article numbers, runs shortened: "articles 1–56", "articles 1–3, 7 and 9".
fn article_numbers(policy: &Policy) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &n in policy.articles.keys() {
        match runs.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(n) => *last = n,
            _ => runs.push((n, n)),
        }
    }
    let shown: Vec<String> = runs
        .iter()
        .map(|&(first, last)| match last - first {
            0 => first.to_string(),
            1 => format!("{first}, {last}"),
            _ => format!("{first}–{last}"),
        })
        .collect();
    match shown.as_slice() {
        [] => "no articles".to_string(),
        [one] if runs[0].0 == runs[0].1 => format!("article {one} only"),
        [one] => format!("articles {one}"),
        [init @ .., last] => format!("articles {} and {last}", init.join(", ")),
    }
}

pub fn explain(
    policy: &Policy,
    examples: &Examples,
    id: &str,
    renderer: &Renderer,
) -> Option<String> {
    let rule = policy.rule(id)?;
    let summary = crate::report::present::rule_summary(policy, rule);
    let mut out = format!("{}\n", summary.heading);
    if let Some(help) = &summary.how_to_comply {
        out.push_str(&format!("\nhow to comply: {help}\n"));
    }
    if let Some(text) = &summary.enforces {
        out.push_str(&format!("\n{}\n", wrap(text, 100).join("\n")));
    }
    match builtin_name(policy, rule) {
        // Not written anywhere: say so, and how to declare it to change its severity or title.
        Some(name) => out.push_str(&format!(
            "\nbuilt in: the policy does not declare this rule, and bylaw checks it all the same; \
             to give it another severity or title, declare it:\n\n\
             rule {} {} {{\n    title \"{}\"\n    builtin {name}\n}}\n",
            rule.id,
            rule.severity.as_str(),
            rule.title
        )),
        None => out.push_str(&format!(
            "\nthe rule, as written in {}:\n\n{}\n",
            rule.origin.file.name,
            as_written(&rule.origin.file, rule.origin.span)
        )),
    }
    for number in rule.article.iter().chain(&rule.cites) {
        if let Some(article) = policy.articles.get(number) {
            out.push('\n');
            out.push_str(&article_text(article));
        }
    }
    out.push_str(&example_section(policy, examples, id, renderer));
    Some(out)
}

/// The name after `builtin` of an integrity check that the policy does not declare; `None` for a
/// rule the policy declares.
fn builtin_name(policy: &Policy, rule: &RuleDef) -> Option<&'static str> {
    if !policy.implicit.iter().any(|r| std::ptr::eq(r, rule)) {
        return None;
    }
    let RuleKind::Builtin(kind) = &rule.kind else {
        return None;
    };
    BuiltinRule::ALL
        .iter()
        .find(|(_, b)| b == kind)
        .map(|(name, _)| *name)
}

/// The text of `span`, dedented as a block: its first line keeps its place relative to the rest.
fn as_written(file: &SourceFile, span: Span) -> String {
    let text = file.text.get(span.start..span.end).unwrap_or("");
    let (_, column) = file.line_column(span.start);
    let block = format!("{}{text}", " ".repeat(column.saturating_sub(1)));
    let indent = block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    block
        .lines()
        .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What bylaw reports on the failing example, then the failing example turned into the passing
/// one as a diff: the fix a user would make. Both are checked now, not remembered.
fn example_section(policy: &Policy, examples: &Examples, id: &str, renderer: &Renderer) -> String {
    let (fail, pass) = (
        examples.get(id, Expect::Fail),
        examples.get(id, Expect::Pass),
    );
    let mut out = String::new();
    if let Some(fail) = fail {
        let run = examples::run(policy, fail);
        out.push_str(&format!(
            "\na failing example, {} — bylaw reports:\n\n",
            fail.name
        ));
        out.push_str(&crate::report::human::diagnostics(
            policy,
            &run.outcome,
            renderer,
        ));
        if run.reported.is_empty() {
            out.push_str("  nothing (the example no longer breaks the rule; run `bylaw verify`)\n");
        }
    }
    if let Some(pass) = pass {
        let run = examples::run(policy, pass);
        match fail {
            Some(fail) => {
                out.push_str(&format!("\nthe same, made to comply ({}):\n\n", pass.name));
                let diff = similar::TextDiff::from_lines(&fail.text, &pass.text);
                out.push_str(
                    &diff
                        .unified_diff()
                        .context_radius(2)
                        .header(&fail.name, &pass.name)
                        .to_string(),
                );
            }
            // A file that does not end its last line still ends it here, and a blank line
            // parts it from what follows.
            None => out.push_str(&format!(
                "\na passing example, {}:\n\n{}\n",
                pass.name,
                pass.text.trim_end_matches(['\n', '\r'])
            )),
        }
        match examples::mismatch(policy, id, Expect::Pass, &run) {
            None => out.push_str("\nbylaw reports nothing on it.\n"),
            Some(problem) => out.push_str(&format!("\nbut it {problem}; run `bylaw verify`\n")),
        }
    }
    let cases = named_cases(policy, examples, id);
    if fail.is_none() && pass.is_none() {
        // Named cases are examples too: "no examples yet" above them would be untrue.
        out.push_str(if cases.is_empty() {
            "\nthis rule has no examples yet.\n"
        } else {
            "\nthis rule has no `fail.json` or `pass.json` yet, only named cases.\n"
        });
    }
    out.push_str(&cases);
    out
}

/// The rule's named cases, one line each: the name and what bylaw reports on its failing file.
/// Only a problem is said of the passing one; `bylaw verify` says the rest.
fn named_cases(policy: &Policy, examples: &Examples, id: &str) -> String {
    let cases: Vec<_> = examples.named_cases(id).collect();
    if cases.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nmore cases, each a `fail-NAME.json` and the same made to comply in `pass-NAME.json`\n\
         (`bylaw explain {id} --example fail --case NAME` prints one):\n\n"
    );
    for (name, case) in cases {
        let shown = match case.get(Expect::Fail) {
            None => "no `fail-NAME.json`; run `bylaw verify`".to_string(),
            Some(fail) => {
                let run = examples::run(policy, fail);
                let finding = run.outcome.findings.iter().find(|f| f.rule == id);
                match (finding, examples::mismatch(policy, id, Expect::Fail, &run)) {
                    (Some(f), None) => format!("{}: {}", f.severity.as_str(), f.message),
                    (_, Some(problem)) => format!("but it {problem}; run `bylaw verify`"),
                    (None, None) => "no finding; run `bylaw verify`".to_string(),
                }
            }
        };
        let pass = match case.get(Expect::Pass) {
            None => Some("no `pass-NAME.json`; run `bylaw verify`"),
            Some(pass) => {
                let run = examples::run(policy, pass);
                examples::mismatch(policy, id, Expect::Pass, &run)
                    .map(|_| "its `pass-NAME.json` does not pass; run `bylaw verify`")
            }
        };
        out.push_str(&format!("  {name}\n"));
        for line in wrap(&shown, 94).iter().map(String::as_str).chain(pass) {
            out.push_str(&format!("      {line}\n"));
        }
    }
    out
}
