//! `bylaw coverage`: every article of the policy with the rules that check it, or the reason it
//! gives for having none, so an auditor sees what an audit looks at and what it does not.

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{wrap, PolicyArgs};
use crate::check::coverage::{self, ArticleCoverage};
use crate::check::Policy;

#[derive(Args)]
pub struct CoverageArgs {
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

/// Prints the coverage; exit status 0, or 2 when the policy cannot be loaded. An article with
/// neither rules nor a reason is shown, not an error: `bylaw verify` is the gate.
pub fn run(args: &CoverageArgs) -> u8 {
    let renderer = args.policy.renderer();
    let Some(policy) = args.policy.load_reporting(&renderer) else {
        return 2;
    };
    let text = match args.format {
        Format::Human => human(&policy),
        Format::Json => json(&policy),
    };
    if super::emit(&text) {
        0
    } else {
        2
    }
}

/// The widest line of human output, so the table reads on a 100-column terminal.
const WIDTH: usize = 96;
/// Titles longer than this push their line's rules to the right rather than widen every line.
const MAX_TITLE: usize = 40;
/// Where an article's reason starts, under its title.
const REASON_INDENT: usize = 7;

/// A table by chapter: article number, title, then the rules that check it or "not checked"
/// with the reason beneath; a summary line at the end.
pub fn human(policy: &Policy) -> String {
    let articles = coverage::coverage(policy);
    if articles.is_empty() {
        return "the policy has no articles\n".to_string();
    }
    let title_width = articles
        .iter()
        .map(|a| a.article.title.chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_TITLE);
    let rules_column = 4 + 2 + title_width + 2;
    let mut out = format!(
        "{:>4}  {:<title_width$}  rules that check it, or why none does\n",
        "art.", "title"
    );
    let mut chapter = None;
    for a in &articles {
        if a.article.chapter != chapter {
            chapter = a.article.chapter;
            if let Some(c) = chapter.and_then(|n| policy.chapters.get(&n)) {
                out.push_str(&format!(
                    "\nchapter {} — {} ({})\n",
                    c.number, c.english, c.title
                ));
            }
        }
        // A title written over several lines of a `"""` block stays on its row.
        let title = a
            .article
            .title
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let head = format!("{:>4}  {title:<title_width$}  ", a.article.number);
        let column = head.chars().count().max(rules_column);
        out.push_str(&head);
        let continued = format!("\n{}", " ".repeat(column));
        out.push_str(&wrap(&status(a), WIDTH - column).join(&continued));
        out.push('\n');
        if a.rules.is_empty() {
            if let Some(reason) = a.reason {
                let indent = " ".repeat(REASON_INDENT);
                for line in wrap(reason, WIDTH - REASON_INDENT) {
                    out.push_str(&format!("{indent}{line}\n"));
                }
            }
        }
    }
    out.push('\n');
    out.push_str(&summary(policy, &articles));
    out
}

/// What checks an article: its rules, or "not checked"; and the rules of other articles that
/// cite it.
fn status(a: &ArticleCoverage<'_>) -> String {
    let ids = |rules: &[&crate::check::RuleDef]| {
        rules
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut status = match (a.rules.is_empty(), a.reason.is_some()) {
        (false, _) => ids(&a.rules),
        (true, true) if a.cited_by.is_empty() => "not checked".to_string(),
        (true, true) => "no rule of its own".to_string(),
        (true, false) => "neither a rule nor a reason (`bylaw verify` fails)".to_string(),
    };
    if !a.cited_by.is_empty() {
        let also = if a.rules.is_empty() { "" } else { "also " };
        status.push_str(&format!("; {also}cited by {}", ids(&a.cited_by)));
    }
    status
}

/// "23 of 56 articles checked by 56 rules; 33 not checked, each with its reason", and the
/// rules that check the record set rather than an article.
fn summary(policy: &Policy, articles: &[ArticleCoverage<'_>]) -> String {
    let total = articles.len();
    let checked = articles.iter().filter(|a| !a.rules.is_empty()).count();
    let rules: usize = articles.iter().map(|a| a.rules.len()).sum();
    let with_reason = articles
        .iter()
        .filter(|a| a.rules.is_empty() && a.reason.is_some())
        .count();
    let unaccounted = articles.iter().filter(|a| a.is_unaccounted()).count();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut line = format!(
        "{checked} of {} checked by {}",
        plural(total, "article", "articles"),
        plural(rules, "rule", "rules")
    );
    if with_reason > 0 {
        line.push_str(&format!(
            "; {with_reason} not checked, each with its reason"
        ));
    }
    let mut out = format!("{line}\n");
    if unaccounted > 0 {
        out.push_str(&format!(
            "{} with neither a rule nor a reason: `bylaw verify` fails\n",
            plural(unaccounted, "article", "articles")
        ));
    }
    let set_rules: Vec<&str> = policy
        .rules
        .iter()
        .filter(|r| r.id.starts_with("set.") || r.article.is_none())
        .map(|r| r.id.as_str())
        .collect();
    if !set_rules.is_empty() {
        out.push_str(&format!(
            "{} check{} the record set itself, not an article\n",
            set_rules.join(", "),
            if set_rules.len() == 1 { "s" } else { "" }
        ));
    }
    out
}

/// One article in `bylaw coverage --format json`.
#[derive(Serialize)]
struct Row<'p> {
    article: u32,
    title: &'p str,
    rules: Vec<&'p str>,
    cited_by: Vec<&'p str>,
    reason: Option<&'p str>,
}

/// `{"articles": [{"article": 38, "title": …, "rules": […], "cited_by": […], "reason": null}, …]}`,
/// every article in order.
pub fn json(policy: &Policy) -> String {
    #[derive(Serialize)]
    struct Document<'p> {
        articles: Vec<Row<'p>>,
    }
    let articles = coverage::coverage(policy)
        .into_iter()
        .map(|a| Row {
            article: a.article.number,
            title: &a.article.title,
            rules: a.rules.iter().map(|r| r.id.as_str()).collect(),
            cited_by: a.cited_by.iter().map(|r| r.id.as_str()).collect(),
            reason: a.reason,
        })
        .collect();
    serde_json::to_string_pretty(&Document { articles }).unwrap_or_default() + "\n"
}
