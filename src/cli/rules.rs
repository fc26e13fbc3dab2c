//! `bylaw rules`: every rule with its severity and article, for people or as JSON for tools.

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

/// One line per rule: id, severity, article, title.
pub fn list(policy: &Policy) -> String {
    let mut out = String::new();
    for rule in &policy.rules {
        let article = article(rule).map_or("record set".to_string(), |a| format!("art. {a}"));
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

/// Every rule as a JSON array: id, severity, article, cited articles, title and help.
pub fn json(policy: &Policy) -> String {
    let rules: Vec<serde_json::Value> = policy
        .rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "severity": rule.severity.as_str(),
                "article": article(rule),
                "cites": rule.cites,
                "title": rule.title,
                "help": rule.help,
            })
        })
        .collect();
    serde_json::to_string_pretty(&rules).unwrap_or_default() + "\n"
}
