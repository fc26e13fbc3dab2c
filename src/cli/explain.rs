//! `bylaw explain RULE`: the rule, its article's original text and gloss, and how to comply.

use clap::Args;

use super::PolicyArgs;
use crate::check::Policy;

#[derive(Args)]
pub struct ExplainArgs {
    /// A rule id such as `38.1`
    rule: String,
    #[command(flatten)]
    policy: PolicyArgs,
}

pub fn run(args: &ExplainArgs) -> u8 {
    let renderer = args.policy.renderer();
    let policy = match args.policy.load() {
        Ok(p) => p,
        Err(errors) => return super::policy_failed(&renderer, &errors),
    };
    match explain(&policy, &args.rule) {
        Some(text) => {
            print!("{text}");
            0
        }
        None => {
            eprintln!("no rule `{}`; `bylaw rules` lists them", args.rule);
            2
        }
    }
}

pub fn explain(policy: &Policy, id: &str) -> Option<String> {
    let rule = policy.rule(id)?;
    let mut out = format!("{} ({}) — {}\n", rule.id, rule.severity, rule.title);
    if let Some(help) = &rule.help {
        out.push_str(&format!("\nhow to comply: {help}\n"));
    }
    let source = rule
        .origin
        .file
        .text
        .get(rule.origin.span.start..rule.origin.span.end)
        .unwrap_or("");
    out.push_str(&format!(
        "\nthe rule, as written in {}:\n\n{source}\n",
        rule.origin.file.name
    ));
    for number in rule.article.iter().chain(&rule.cites) {
        if let Some(article) = policy.articles.get(number) {
            out.push_str(&format!(
                "\narticle {} — {}\n\n{}\n\n{}\n",
                article.number, article.title, article.text, article.gloss
            ));
        }
    }
    Some(out)
}
