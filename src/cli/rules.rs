//! `bylaw rules`: every rule with its severity and article, for people or as JSON for tools. The
//! integrity checks a policy gets without declaring them (set.1–set.4) are listed too, marked as
//! built in: they run and report under those ids all the same.

use clap::{Args, ValueEnum};
use serde_json::json;

use super::PolicyArgs;
use crate::check::{Policy, RuleDef};

#[derive(Args)]
pub struct RulesArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(args: &RulesArgs) -> u8 {
    let renderer = args.policy.renderer();
    let Some(policy) = args.policy.load_reporting(&renderer) else {
        return 2;
    };
    let text = match args.format {
        Format::Human => list(&policy),
        Format::Json => json(&policy),
    };
    if super::emit(&text) {
        0
    } else {
        2
    }
}

/// The article a rule belongs to; set-level rules belong to none.
fn article(rule: &RuleDef) -> Option<u32> {
    rule.article.filter(|_| !rule.id.starts_with("set."))
}

/// Whether `rule` is one of the integrity checks the policy gets without declaring it.
fn built_in(policy: &Policy, rule: &RuleDef) -> bool {
    policy.implicit.iter().any(|r| std::ptr::eq(r, rule))
}

/// One line per rule: id, severity, article (`built in` for an integrity check the policy does
/// not declare), title.
pub fn list(policy: &Policy) -> String {
    let mut out = String::new();
    for rule in policy.all_rules() {
        let article = match article(rule) {
            _ if built_in(policy, rule) => "built in".to_string(),
            Some(a) => format!("art. {a}"),
            None => "record set".to_string(),
        };
        out.push_str(&format!(
            "{:<7} {:<8} {:<11} {}\n",
            rule.id,
            rule.severity.as_str(),
            article,
            rule.title
        ));
    }
    out
}

/// Every rule as a JSON array: id, severity, article, cited articles, title and help, and
/// `built_in` for an integrity check the policy does not declare.
pub fn json(policy: &Policy) -> String {
    let rules: Vec<serde_json::Value> = policy
        .all_rules()
        .map(|rule| {
            json!({
                "id": rule.id,
                "severity": rule.severity.as_str(),
                "article": article(rule),
                "cites": rule.cites,
                "title": rule.title,
                "help": rule.help,
                "built_in": built_in(policy, rule),
            })
        })
        .collect();
    serde_json::to_string_pretty(&rules).unwrap_or_default() + "\n"
}
