//! `bylaw verify`: checks the policy's own examples, as `conftest verify` runs a policy's tests.
//! Every rule needs a `fail.json` that breaks it and nothing else, and a `pass.json` that gives
//! no finding at all; named cases (`fail-NAME.json`, `pass-NAME.json`) come in the same pairs, and
//! together the failing files break every `require` clause of the rule. Every article needs a rule, or a `not_checked` reason saying why it has none,
//! and every rule of an article quotes the words of the article it enforces.

use super::PolicyArgs;
use crate::check::coverage;
use crate::examples;

pub fn run(args: &PolicyArgs) -> u8 {
    let renderer = args.renderer();
    let Some(policy) = args.load_reporting(&renderer) else {
        return 2;
    };
    let Some(examples) = args.examples_reporting(&renderer) else {
        return 2;
    };
    let verdicts = examples::verify(&policy, &examples);
    // Written at once, so a closed or full standard output is an error, not a panic.
    let mut lines = Vec::new();
    let mut failed = 0;
    // Files under `examples/` that are no example: reported, but they are not rules.
    let stray = verdicts.iter().filter(|v| v.rule == "-").count();
    for verdict in &verdicts {
        if verdict.problems.is_empty() {
            let shown = verdict.shown.as_deref().unwrap_or("");
            let more = match verdict.named {
                0 => String::new(),
                1 => " (and 1 named case)".to_string(),
                n => format!(" (and {n} named cases)"),
            };
            lines.push(format!("ok      {:<6} {shown}{more}", verdict.rule));
            continue;
        }
        failed += 1;
        for (file, problem) in &verdict.problems {
            lines.push(format!("FAILED  {:<6} {file}: {problem}", verdict.rule));
        }
    }
    let articles = coverage::coverage(&policy);
    let unaccounted: Vec<_> = articles.iter().filter(|a| a.is_unaccounted()).collect();
    for a in &unaccounted {
        let (line, column) = a.article.file.line_column(a.article.number_span.start);
        lines.push(format!(
            "FAILED  art. {:<2} {}:{line}:{column}: no rule checks the article, and it gives no `not_checked` reason saying why",
            a.article.number, a.article.file.name
        ));
    }
    let unquoted = coverage::unquoted(&policy);
    for rule in &unquoted {
        let (line, column) = rule.origin.file.line_column(rule.origin.id_span.start);
        lines.push(format!(
            "FAILED  {:<6} {}:{line}:{column}: the rule quotes no words of article {} (`quote \"\"\"…\"\"\" \"\"\"gloss\"\"\"`)",
            rule.id,
            rule.origin.file.name,
            rule.article.unwrap_or_default()
        ));
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let rules_failed = failed - stray;
    lines.push(format!(
        "\n{} rule{} verified, {rules_failed} with problems",
        verdicts.len() - failed,
        plural(verdicts.len() - failed)
    ));
    if stray > 0 {
        lines.push(format!(
            "{stray} file{} under `examples/` that {} no example",
            plural(stray),
            if stray == 1 { "is" } else { "are" }
        ));
    }
    if unaccounted.is_empty() {
        if !articles.is_empty() {
            lines.push(format!(
                "{} article{} checked by rules or saying why not",
                articles.len(),
                plural(articles.len())
            ));
        }
    } else {
        lines.push(format!(
            "{} of {} article{} with neither a rule nor a reason",
            unaccounted.len(),
            articles.len(),
            plural(articles.len())
        ));
    }
    if !unquoted.is_empty() {
        lines.push(format!(
            "{} rule{} of articles quoting none of the article's words",
            unquoted.len(),
            plural(unquoted.len())
        ));
    }
    if !super::emit(&(lines.join("\n") + "\n")) {
        return 2;
    }
    u8::from(failed > 0 || !unaccounted.is_empty() || !unquoted.is_empty())
}
