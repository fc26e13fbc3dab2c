//! The language server shows only the documents open in the editor, so on each edit it completes
//! the audit for those files alone (`audit::judge_files_focused`). What it reports of a file must
//! be exactly what the whole audit reports of it: checked on every fixture folder, and on all of
//! them at once as one workspace (where ids repeat across folders, references cross files and
//! waivers meet findings of other files).

use std::path::{Path, PathBuf};

use bylaw::audit::{self, FileResult, Outcome};

fn policy() -> bylaw::check::Policy {
    bylaw::check::load(&bylaw::policy_files::default_policy(), &[]).expect("the bundled policy")
}

/// Every record file under `dir`, by its path relative to the crate.
fn record_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "jsonl")
            )
        })
        .collect();
    files.sort();
    files
}

fn judge(policy: &bylaw::check::Policy, files: &[PathBuf]) -> Vec<(String, FileResult)> {
    files
        .iter()
        .map(|path| {
            let name = path.display().to_string();
            let text =
                String::from_utf8_lossy(&std::fs::read(path).expect("a fixture")).into_owned();
            (name.clone(), audit::judge_file(policy, name, text))
        })
        .collect()
}

/// What a user sees of an outcome, for the files `keep` names.
fn seen(outcome: &Outcome, keep: &dyn Fn(&str) -> bool) -> Vec<String> {
    let findings = (outcome.findings.iter())
        .filter(|f| f.file.as_deref().is_some_and(keep))
        .map(|f| {
            format!(
                "{}:{:?}:{:?} {} {:?} waived={} {}",
                f.file.as_deref().unwrap_or(""),
                f.line,
                f.column,
                f.rule,
                f.severity,
                f.waived,
                f.message
            )
        });
    let bad = (outcome.bad_inputs.iter())
        .filter(|b| keep(&b.file))
        .map(|b| {
            format!(
                "{}:{:?}:{:?} bad input {}",
                b.file, b.line, b.column, b.message
            )
        });
    let mut all: Vec<String> = findings.chain(bad).collect();
    all.sort();
    all
}

/// For each file alone, and for each pair of neighbouring files: the focused audit reports what
/// the whole audit reports of them.
fn assert_focused_agrees(policy: &bylaw::check::Policy, files: &[PathBuf]) -> usize {
    let judged = judge(policy, files);
    let whole = audit::judge_files(
        policy,
        judged.iter().map(|(_, f)| f.clone()).collect(),
        &audit::Options::default(),
    );
    let pairs = || judged.iter().map(|(n, f)| (n.as_str(), f));
    let names: Vec<&str> = judged.iter().map(|(n, _)| n.as_str()).collect();
    let mut compared = 0;
    let focuses = (names.iter().map(|n| vec![*n])).chain(names.windows(2).map(<[&str]>::to_vec));
    // What the set stage keeps from one run to the next, kept across all: each file is judged
    // once with none kept, then again with its judgements kept.
    let mut memo = Default::default();
    for focus in focuses {
        let in_focus = |name: &str| focus.contains(&name);
        let expected = seen(&whole, &in_focus);
        for run in ["first", "again"] {
            let focused = audit::judge_files_focused(policy, pairs(), &in_focus, &mut memo);
            assert_eq!(
                seen(&focused, &in_focus),
                expected,
                "{run}, focus on {focus:?}"
            );
        }
        compared += expected.len();
    }
    compared
}

#[test]
fn each_fixture_folder_focused_file_by_file() {
    let policy = policy();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut folders = vec![
        root.join("fixtures/pass"),
        root.join("fixtures/bad"),
        root.join("fixtures/example"),
        root.join("fixtures/export"),
        root.join("fixtures/waivers"),
    ];
    for rule in std::fs::read_dir(root.join("fixtures/fail")).expect("fixtures/fail") {
        folders.push(rule.expect("a folder").path());
    }
    let mut compared = 0;
    for folder in folders {
        compared += assert_focused_agrees(&policy, &record_files(&folder));
    }
    assert!(compared > 100, "only {compared} findings compared");
}

#[test]
fn all_fixtures_as_one_workspace() {
    let policy = policy();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compared = assert_focused_agrees(&policy, &record_files(&root.join("fixtures")));
    assert!(compared > 100, "only {compared} findings compared");
}

#[test]
fn a_stopped_background_judgement_judges_nothing_more() {
    // What the language server does with its background judgement once the policy changes.
    let policy = policy();
    let path = PathBuf::from("fixtures/export/meetings.json");
    let whole = audit::judge_path(&policy, path.clone(), None);
    assert!(whole.records > 0 && whole.readable);
    let flag = |set| std::sync::Arc::new(std::sync::atomic::AtomicBool::new(set));
    let gate = std::sync::Arc::new(audit::Gate::default());
    // Held while the judgement starts (the server judging a document just opened), then let go.
    let held = gate.hold();
    let judging = std::thread::spawn({
        let (policy, path, gate) = (policy.clone(), path.clone(), gate.clone());
        move || audit::judge_path_until(&policy, path, None, (flag(false), gate))
    });
    std::thread::sleep(std::time::Duration::from_millis(20));
    drop(held);
    let going_on = judging.join().expect("judged");
    assert_eq!(going_on.records, whole.records);
    assert_eq!(going_on.findings.len(), whole.findings.len());
    let partial = audit::judge_path_until(&policy, path, None, (flag(true), gate));
    assert_eq!((partial.records, partial.findings.len()), (0, 0));
    assert!(partial.bad_inputs.is_empty(), "stopping is not bad input");
}

/// What the set stage kept of a record judged with the set is used again for the same record
/// moved down its file, at its new line: meetings and the documents that name them in one JSON
/// Lines file, judged, then judged again with records added at the top.
#[test]
fn a_record_judged_with_the_set_and_moved_is_reported_at_its_new_line() {
    let policy = policy();
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/export");
    let meetings = std::fs::read_to_string(export.join("meetings.json")).expect("meetings");
    let meetings: Vec<serde_json::Value> = serde_json::from_str(&meetings).expect("an array");
    // One meeting a major decision names made a briefing: the decision's rule (16.1) finds it.
    let mut text: String = (meetings.iter())
        .map(|m| format!("{m}\n"))
        .map(|line| match line.contains("\"id\":\"EXEC-2011-043\"") {
            true => line.replacen("\"kind\":\"executive\"", "\"kind\":\"briefing\"", 1),
            false => line,
        })
        .collect();
    let documents = export.join("documents/city-government.jsonl");
    text.push_str(&std::fs::read_to_string(documents).expect("documents"));
    let name = "records.jsonl";
    let everything = |_: &str| true;
    let mut memo = Default::default();
    let judged = audit::judge_file(&policy, name.into(), text.clone());
    let before = audit::judge_files_focused(&policy, [(name, &judged)], &everything, &mut memo);
    // Two lines of records without ids or references above: every other record moves down two.
    let moved = format!("{{\"type\":\"note\"}}\n{{}}\n{text}");
    let judged = audit::judge_file(&policy, name.into(), moved);
    let kept = audit::judge_files_focused(&policy, [(name, &judged)], &everything, &mut memo);
    let fresh = (audit::judge_files_focused)(
        &policy,
        [(name, &judged)],
        &everything,
        &mut Default::default(),
    );
    assert_eq!(seen(&kept, &everything), seen(&fresh, &everything));
    // Not in vain: the records judged with the set found something, now two lines down.
    let lines = |o: &Outcome| -> Vec<Option<usize>> {
        (o.findings.iter())
            .filter(|f| f.rule.starts_with("16."))
            .map(|f| f.line)
            .collect()
    };
    assert!(!lines(&before).is_empty());
    let shifted: Vec<Option<usize>> = lines(&before).iter().map(|l| l.map(|l| l + 2)).collect();
    assert_eq!(lines(&kept), shifted);
}
