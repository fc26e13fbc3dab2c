//! Policy loading: each file in `tests/policies/bad/` must be refused with located diagnostics,
//! pinned as a user sees them. A file is loaded on top of the default policy (so it may use the
//! declared record types), unless its first line says `# standalone`.

mod common;

use std::path::Path;
use std::sync::Arc;

use bylaw::source::SourceFile;

fn load(path: &Path) -> Result<bylaw::check::Policy, Vec<bylaw::diagnostic::Diagnostic>> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let name = common::relative(path).display().to_string();
    let standalone = text.starts_with("# standalone");
    let mut files: Vec<Arc<SourceFile>> = if standalone {
        Vec::new()
    } else {
        bylaw::policy_files::default_policy()
    };
    files.push(SourceFile::new(name, text));
    bylaw::check::load(&files, &[])
}

#[test]
fn bad_policies_are_refused_with_located_diagnostics() {
    insta::glob!("policies/bad", "*.bylaw", |path| {
        let errors = load(path).err().unwrap_or_default();
        assert!(!errors.is_empty(), "{} should be refused", path.display());
        let renderer = bylaw::report::human::Renderer::new(false);
        let mut rendered = String::new();
        for e in &errors {
            assert!(
                e.source.is_some() && !e.labels.is_empty(),
                "unlocated: {e:?}"
            );
            rendered.push_str(&renderer.render(e));
        }
        insta::assert_snapshot!(rendered);
    });
}

/// The rule catalogue's ids and severities, copied into `data/` so the project stands alone.
const CATALOGUE: &str = include_str!("../data/catalogue-rules.tsv");

/// China's holidays and adjusted workdays, copied into `data/` from the shared calendar table.
const HOLIDAYS: &str = include_str!("../data/cn-holidays.tsv");

#[test]
fn the_default_policy_names_every_catalogue_rule_it_enforces() {
    let policy = common::default_policy();
    let rows: Vec<(&str, &str)> = CATALOGUE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .collect();
    assert_eq!(rows.len(), 61, "catalogue 1.1 has 61 rules");
    for (id, severity) in rows {
        let rule = policy
            .rule(id)
            .unwrap_or_else(|| panic!("rule {id} is missing from the default policy"));
        // "error / warning" (23.2) is an error rule with a warning requirement; set.3 is bad input.
        if let "error" | "warning" = severity {
            assert_eq!(rule.severity.to_string(), severity, "severity of {id}");
        }
    }
    assert_eq!(
        policy.articles.len(),
        56,
        "every article of the seed, with its text"
    );
    assert!(policy
        .articles
        .values()
        .all(|a| !a.text.is_empty() && !a.gloss.is_empty()));
}

#[test]
fn parameters_can_be_overridden_and_unknown_ones_are_refused() {
    let files = bylaw::policy_files::default_policy();
    let set = |name: &str, value: &str| bylaw::check::Override {
        name: name.into(),
        value: value.into(),
        place: None,
    };
    let policy = bylaw::check::load(&files, &[set("cancel_days", "2")]).unwrap_or_default();
    let cancel = policy
        .params
        .iter()
        .find(|p| p.name == "cancel_days")
        .map(|p| p.value.to_string());
    assert_eq!(cancel.as_deref(), Some("2"));
    let errors = bylaw::check::load(&files, &[set("cancel_dayz", "2")])
        .err()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]
        .help
        .as_deref()
        .unwrap_or_default()
        .contains("cancel_days"));
    let errors = bylaw::check::load(&files, &[set("cancel_days", "soon")])
        .err()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1);
}

#[test]
fn only_the_fields_read_through_references_are_kept_of_their_targets() {
    // 16.1 reads `decided_at.kind`, `decided_at.start` and `decided_at.id`: the audit keeps just
    // these of each meeting (with `id` and `type`), not the whole record.
    let policy = common::default_policy();
    let meeting = *policy.records.get("meeting").expect("meeting type");
    let read: Vec<&str> = policy
        .read_through_references
        .get(&meeting)
        .map(|fields| fields.iter().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(read, ["id", "kind", "start"]);
    assert_eq!(policy.read_through_references.len(), 1);
}

#[test]
fn the_default_policy_calendar_equals_the_copied_holiday_table() {
    let policy = common::default_policy();
    let calendar = policy
        .calendar
        .as_ref()
        .expect("the default policy has a calendar");
    assert_eq!(calendar.years(), (2010, 2026));
    let mut lines = HOLIDAYS.lines();
    assert_eq!(lines.next(), Some("date\tkind\tname"));
    let table: Vec<String> = lines
        .map(|l| l.splitn(3, '\t').take(2).collect::<Vec<_>>().join("\t"))
        .collect();
    let first = jiff::civil::date(2009, 12, 31);
    let last = jiff::civil::date(2026, 12, 31);
    let policy_rows: Vec<String> = calendar
        .special_days_between(first, last)
        .into_iter()
        .map(|(day, kind)| format!("{day}\t{}", kind_name(kind)))
        .collect();
    assert_eq!(policy_rows.len(), 579);
    assert_eq!(policy_rows, table);
}

fn kind_name(kind: bylaw::calendar::DayKind) -> &'static str {
    match kind {
        bylaw::calendar::DayKind::Holiday => "holiday",
        bylaw::calendar::DayKind::Workday => "workday",
    }
}
