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

#[test]
fn the_default_policy_names_every_catalogue_rule_it_enforces() {
    let policy = common::default_policy();
    let ids: Vec<&str> = policy.rules.iter().map(|r| r.id.as_str()).collect();
    // Every rule id of the catalogue (shared/spec/rules.md) is in the policy.
    let catalogue = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/spec/rules.md"
    ))
    .expect("the rule catalogue is beside the repository");
    let wanted: Vec<&str> = catalogue
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .filter(|id| id.contains('.'))
        .filter(|id| {
            id.starts_with("set.")
                || id
                    .split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        })
        .collect();
    assert!(wanted.len() >= 60, "read the catalogue: {wanted:?}");
    for id in wanted {
        assert!(
            ids.contains(&id),
            "rule {id} is missing from the default policy"
        );
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
