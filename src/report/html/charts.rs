//! The HTML report's charts, where they say more than text: findings per month and per article as
//! inline SVG bars, and for each periodic rule a calendar of the periods it judged, the meetings
//! counted against what the article asks.
//!
//! A record finding falls in the month of its record's earliest event date (a meeting's `start`,
//! a document's `issued`), as the finding was located; a period finding in the month its
//! period starts.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use super::{severity_class, tally_of, text, Tallies};
use crate::audit::Outcome;
use crate::check::{Policy, RuleKind};
use crate::finding::{Finding, Tally};

/// Bar chart geometry, in SVG user units.
const LABEL_WIDTH: u32 = 110;
const BAR_AREA: u32 = 420;
const ROW: u32 = 22;
const BAR: u32 = 16;
/// Severity classes in the order the bars stack them.
const CLASSES: [&str; 3] = ["error", "warning", "waived"];

pub fn charts(out: &mut String, policy: &Policy, outcome: &Outcome, tallies: &Tallies<'_>) {
    out.push_str("<section id=\"charts\">\n<h2>At a glance</h2>\n<div class=\"charts\">\n");
    let months = months_of(outcome, tallies);
    let mut per_month: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let mut per_article: BTreeMap<(bool, u32), [usize; 3]> = BTreeMap::new();
    for (f, month) in outcome.findings.iter().zip(&months) {
        let class = class_index(f);
        let month = month.clone().unwrap_or_else(|| "undated".into());
        per_month.entry(month).or_default()[class] += 1;
        let article = f.article.filter(|_| !f.rule.starts_with("set."));
        per_article
            .entry((article.is_none(), article.unwrap_or(0)))
            .or_default()[class] += 1;
    }
    let months: Vec<(String, [usize; 3])> = per_month.into_iter().collect();
    bars(out, "findings-per-month", "Findings per month", &months);
    let articles: Vec<(String, [usize; 3])> = (per_article.into_iter())
        .map(|((set, n), counts)| {
            let label = if set {
                "record set".to_string()
            } else {
                format!("article {n}")
            };
            (label, counts)
        })
        .collect();
    bars(
        out,
        "findings-per-article",
        "Findings per article",
        &articles,
    );
    out.push_str("</div>\n");
    calendars(out, policy, outcome);
    out.push_str("</section>\n");
}

fn class_index(f: &Finding) -> usize {
    let class = severity_class(f);
    CLASSES.iter().position(|c| *c == class).unwrap_or(0)
}

/// Horizontal bars, one row per label, stacked by severity, the count at the end.
fn bars(out: &mut String, id: &str, title: &str, rows: &[(String, [usize; 3])]) {
    let _ = writeln!(
        out,
        "<figure class=\"chart\" id=\"{id}\">\n<figcaption>{title}</figcaption>"
    );
    if rows.is_empty() {
        out.push_str("<p class=\"none\">no finding</p>\n</figure>\n");
        return;
    }
    let most = rows
        .iter()
        .map(|(_, c)| c.iter().sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1);
    let height = ROW * rows.len() as u32 + 4;
    let width = LABEL_WIDTH + BAR_AREA + 40;
    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" \
         aria-label=\"{title}\"><title>{title}</title>"
    );
    for (i, (label, counts)) in rows.iter().enumerate() {
        let y = ROW * i as u32 + 2;
        let total: usize = counts.iter().sum();
        let _ = write!(
            out,
            "<g class=\"row\"><text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LABEL_WIDTH - 8,
            y + BAR - 3,
            text(label)
        );
        let mut x = LABEL_WIDTH;
        for (class, &n) in CLASSES.iter().zip(counts) {
            if n == 0 {
                continue;
            }
            let w = (BAR_AREA as usize * n / most).max(2) as u32;
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{BAR}\">\
                 <title>{n} {class}</title></rect>"
            );
            x += w;
        }
        let _ = writeln!(
            out,
            "<text class=\"count\" x=\"{}\" y=\"{}\">{total}</text></g>",
            x + 6,
            y + BAR - 3
        );
    }
    out.push_str("</svg>\n<p class=\"legend\"><span class=\"swatch error\"></span>error \
                  <span class=\"swatch warning\"></span>warning <span class=\"swatch waived\"></span>waived</p>\n</figure>\n");
}

/// For each periodic rule, the periods it judged: counted against asked, the short ones marked.
/// A rule that counts `by` group or judges a `sum` has no calendar: a period holds a tally per
/// group, or a total that is not a number of records; its findings say what was counted.
fn calendars(out: &mut String, policy: &Policy, outcome: &Outcome) {
    let periodic: Vec<_> = (policy.rules.iter())
        .filter_map(|r| match &r.kind {
            RuleKind::Periodic(p) if p.group.is_none() && p.sum.is_none() => Some((r, p)),
            _ => None,
        })
        .collect();
    if periodic.is_empty() {
        return;
    }
    out.push_str("<h3>Meetings held against what the articles ask</h3>\n");
    // The periods whose finding is waived, by rule.
    let waived: HashSet<(&str, &str)> = (outcome.findings.iter())
        .filter(|f| f.waived)
        .filter_map(|f| Some((f.rule.as_str(), f.period.as_deref()?)))
        .collect();
    if outcome.tallies.is_empty() {
        let ids: Vec<&str> = periodic.iter().map(|(r, _)| r.id.as_str()).collect();
        let _ = writeln!(
            out,
            "<p class=\"none\">the periodic rules ({}) judged no period: none lies wholly inside \
             the period under audit</p>",
            text(&ids.join(", "))
        );
        return;
    }
    for (rule, p) in periodic {
        let tallies: Vec<&Tally> = outcome
            .tallies
            .iter()
            .filter(|t| t.rule == rule.id)
            .collect();
        let asked = asked(p.min, p.max);
        let _ = writeln!(
            out,
            "<div class=\"calendar\" data-rule=\"{0}\">\n<h4><span class=\"rule-id\">{0}</span> {1}</h4>\n\
             <p class=\"asked\">asked each {3}: {2}</p>",
            text(&rule.id),
            text(&rule.title),
            text(&asked),
            unit_name(p.unit)
        );
        if tallies.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"none\">no whole {} lies inside the period under audit</p>\n</div>",
                unit_name(p.unit)
            );
            continue;
        }
        out.push_str("<ol class=\"periods\">\n");
        for t in tallies {
            let n = t.counted.len();
            let (class, mark) = if (n as u64) < t.min {
                ("short", format!("missing {}", t.min - n as u64))
            } else if n as u64 > t.max {
                ("over", format!("{} too many", n as u64 - t.max))
            } else {
                ("ok", "held".to_string())
            };
            let waived = waived.contains(&(t.rule.as_str(), t.period.as_str()));
            let counted = if t.counted.is_empty() {
                "none counted".to_string()
            } else {
                format!("counted: {}", t.counted.join(", "))
            };
            let _ = writeln!(
                out,
                "<li class=\"cell {class}{}\" data-period=\"{}\" title=\"{} – {}; {}\">\
                 <span class=\"key\">{}</span><span class=\"count\">{n} / {}</span>\
                 <span class=\"mark\">{mark}{}</span></li>",
                if waived { " waived" } else { "" },
                text(&t.period),
                t.from,
                t.to,
                text(&counted),
                text(&t.period),
                text(&asked),
                if waived { " (waived)" } else { "" },
            );
        }
        out.push_str("</ol>\n</div>\n");
    }
}

/// What a rule asks, as a reader says it: `1`, `1–2`, `at least 1`.
fn asked(min: u64, max: u64) -> String {
    match (min, max) {
        (a, b) if a == b => a.to_string(),
        (a, u64::MAX) => format!("at least {a}"),
        (0, b) => format!("at most {b}"),
        (a, b) => format!("{a}–{b}"),
    }
}

fn unit_name(unit: crate::ast::PeriodUnit) -> &'static str {
    use crate::ast::PeriodUnit;
    match unit {
        PeriodUnit::Month => "month",
        PeriodUnit::HalfYear => "half-year",
        PeriodUnit::Quarter => "quarter",
        PeriodUnit::Year => "year",
        PeriodUnit::IsoWeek => "ISO week",
    }
}

/// The month (`2011-08`) each finding falls in, in the findings' order; `None` when its record
/// has no readable event date.
fn months_of(outcome: &Outcome, tallies: &Tallies<'_>) -> Vec<Option<String>> {
    (outcome.findings.iter())
        .map(|f| match &f.period {
            Some(_) => tally_of(tallies, f).map(|t| month(t.from)),
            None => f.place.as_ref()?.date.map(month),
        })
        .collect()
}

fn month(date: jiff::civil::Date) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_rule_asks_reads_as_said() {
        assert_eq!(asked(1, 1), "1");
        assert_eq!(asked(1, 2), "1–2");
        assert_eq!(asked(1, u64::MAX), "at least 1");
        assert_eq!(asked(0, 3), "at most 3");
    }
}
