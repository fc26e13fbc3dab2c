//! Coverage: for each article of a checked policy, the rules declared in it, the rules of other
//! articles that cite it, and the reason it gives when no rule checks it. One computation for
//! `bylaw coverage` (human and JSON), `bylaw explain ARTICLE` and `bylaw verify`; and the rules
//! that do not quote the words of their article they enforce, on which `bylaw verify` fails.

use super::model::{ArticleDef, Policy, RuleDef};

/// How one article is accounted for.
#[derive(Debug, Clone)]
pub struct ArticleCoverage<'p> {
    pub article: &'p ArticleDef,
    /// The rules declared in the article, in policy order.
    pub rules: Vec<&'p RuleDef>,
    /// Rules of other articles (or of the record set) whose `cites` names this article.
    pub cited_by: Vec<&'p RuleDef>,
    /// Why no rule checks the article; a loaded policy never has both rules and a reason.
    pub reason: Option<&'p str>,
}

impl ArticleCoverage<'_> {
    /// Neither checked by a rule nor given a reason: `bylaw verify` fails on such an article.
    pub fn is_unaccounted(&self) -> bool {
        self.rules.is_empty() && self.reason.is_none()
    }
}

/// Every article of the policy, in article order.
pub fn coverage(policy: &Policy) -> Vec<ArticleCoverage<'_>> {
    policy
        .articles
        .values()
        .map(|article| of(policy, article))
        .collect()
}

/// One article's coverage, or `None` when the policy has no such article.
pub fn article(policy: &Policy, number: u32) -> Option<ArticleCoverage<'_>> {
    policy.articles.get(&number).map(|a| of(policy, a))
}

fn of<'p>(policy: &'p Policy, article: &'p ArticleDef) -> ArticleCoverage<'p> {
    let number = article.number;
    let rules = policy.rules_of_article(number);
    let cited_by = policy
        .rules
        .iter()
        .filter(|r| r.cites.contains(&number) && !rules.iter().any(|own| own.id == r.id))
        .collect();
    ArticleCoverage {
        article,
        rules,
        cited_by,
        reason: article.not_checked.as_ref().map(|n| n.reason.as_str()),
    }
}

/// The rules declared in an article that quote none of its words, in policy order. The language
/// allows them (another body's policy may be written before its quotes), `bylaw verify` does not.
pub fn unquoted(policy: &Policy) -> Vec<&RuleDef> {
    policy
        .rules
        .iter()
        .filter(|r| r.quotes.is_empty())
        .filter(|r| r.article.is_some_and(|a| policy.articles.contains_key(&a)))
        .filter(|r| !r.id.starts_with("set."))
        .collect()
}
