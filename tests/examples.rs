//! Every rule's examples: the failing one breaks that rule alone, the passing one gives nothing,
//! named cases come in pairs and together break each `require` of their rule, and `bylaw explain`
//! shows them as a user sees them. `bylaw verify` is run on small policy folders that get each of
//! these wrong.

mod common;

use std::path::Path;

use bylaw::examples::{self, Examples, Expect};
use bylaw::report::human::Renderer;

fn default_examples() -> Examples {
    Examples::new(bylaw::policy_files::default_examples())
}

#[test]
fn every_rule_has_examples_that_show_it() {
    let policy = common::default_policy();
    let verdicts = examples::verify(&policy, &default_examples());
    assert_eq!(verdicts.len(), policy.rules.len(), "no stray examples");
    let problems: Vec<String> = verdicts
        .iter()
        .flat_map(|v| {
            v.problems
                .iter()
                .map(move |(file, p)| format!("{}: {file}: {p}", v.rule))
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_failing_example_is_the_passing_one_with_a_small_change() {
    // The diff `explain` shows is the fix; a rewrite would teach nothing. So for every case, the
    // unnamed one and each named one.
    let examples = default_examples();
    let policy = common::default_policy();
    for rule in &policy.rules {
        let cases = std::iter::once((None, examples.case(&rule.id, None))).chain(
            examples
                .named_cases(&rule.id)
                .map(|(n, c)| (Some(n), Some(c))),
        );
        for (name, case) in cases {
            let (Some(fail), Some(pass)) = (
                case.and_then(|c| c.get(Expect::Fail)),
                case.and_then(|c| c.get(Expect::Pass)),
            ) else {
                panic!("rule {} lacks an example ({name:?})", rule.id);
            };
            let diff = similar::TextDiff::from_lines(&fail.text, &pass.text);
            let changed = diff
                .iter_all_changes()
                .filter(|c| c.tag() != similar::ChangeTag::Equal)
                .count();
            assert!(
                (1..=16).contains(&changed),
                "{}: {changed} lines differ between {} and {}",
                rule.id,
                fail.name,
                pass.name
            );
        }
    }
}

#[test]
fn rules_with_several_branches_show_each() {
    // The branches the brief names: 23.2's warnings (late, undated), 52.1's deadlines, each path of article 56.
    let examples = default_examples();
    let names = |rule: &str| -> Vec<&str> { examples.named_cases(rule).map(|(n, _)| n).collect() };
    assert_eq!(names("23.2"), ["filed-late", "undated"]);
    assert_eq!(names("52.1").len(), 5, "{:?}", names("52.1"));
    for rule in ["56.1", "56.2", "56.3", "56.4", "56.5", "56.6"] {
        assert!(!names(rule).is_empty(), "{rule} has named cases");
    }
}

#[test]
fn explain_shows_the_examples() {
    let policy = common::default_policy();
    let examples = default_examples();
    for id in ["23.2", "38.1", "38.3", "52.1", "56.2", "set.1", "set.3"] {
        let text = bylaw::cli::explain(&policy, &examples, id, &Renderer::new(false))
            .unwrap_or_else(|| panic!("rule {id} is explained"));
        insta::assert_snapshot!(format!("explain_{id}"), text);
    }
}

#[test]
fn verify_reports_examples_that_do_not_show_their_rule() {
    // A copy of the default policy whose examples are wrong in every way `verify` knows.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("verify-broken-examples");
    let _ = std::fs::remove_dir_all(&dir);
    let policy_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/lianyungang");
    copy_tree(&policy_dir, &dir);
    let ex = dir.join("examples");
    // 38.1: the passing example is the failing one; 38.2: no failing example; a stray file; a rule
    // the policy does not have.
    std::fs::copy(ex.join("38.1/fail.json"), ex.join("38.1/pass.json")).expect("copy");
    std::fs::remove_file(ex.join("38.2/fail.json")).expect("remove");
    std::fs::write(ex.join("38.3/notes.json"), "{}").expect("write");
    std::fs::create_dir_all(ex.join("99.9")).expect("mkdir");
    std::fs::copy(ex.join("38.1/fail.json"), ex.join("99.9/fail.json")).expect("copy");

    let files = bylaw::policy_files::read_policy(&dir).expect("policy reads");
    let policy = bylaw::check::load(&files, &[]).expect("policy loads");
    let examples = Examples::new(bylaw::policy_files::read_examples(&dir).expect("examples read"));
    let shown = |file: &str| {
        Path::new(file)
            .strip_prefix(&dir)
            .map_or(file.to_string(), |f| f.display().to_string())
    };
    let mut report = Vec::new();
    for verdict in examples::verify(&policy, &examples) {
        for (file, problem) in &verdict.problems {
            report.push(format!("{} {}: {problem}", verdict.rule, shown(file)));
        }
    }
    insta::assert_snapshot!(report.join("\n"));
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let target = to.join(entry.path().strip_prefix(from).expect("under from"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// An empty scratch folder of this name.
fn fresh_folder(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Writes a file under `dir`, making its folders.
fn writer(dir: &Path) -> impl Fn(&str, &str) + '_ {
    move |path, text| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

/// A small policy folder: rule 1.1 of two requires (planned, minuted), rule 1.2 of one (a room),
/// with examples that show every branch. `change` then breaks it for one test.
fn small_policy(test: &str, change: impl FnOnce(&Path)) -> std::path::PathBuf {
    let dir = fresh_folder(&format!("small-policy-{test}"));
    let write = writer(&dir);
    write(
        "policy.bylaw",
        r#"policy "cases" {
  title "a policy whose first rule has two branches"
}

record meeting {
  id: string required
  type: string required
  ad_hoc: bool
  minutes: bool
  room: string
}

article 1 "Meetings" {
  text """一、會議應按計劃召開,并作紀要。會議應有會場。"""
  gloss """Meetings are held as planned, and minutes are kept. A meeting has a room."""

  rule 1.1 error {
    title "a meeting is planned and minuted"
    quote """會議應按計劃召開,并作紀要""" """Meetings are held as planned, and minutes are kept"""
    on meeting
    require not ad_hoc
      else "meeting {id} was not planned"
    require minutes
      else "meeting {id} kept no minutes"
  }

  rule 1.2 warning {
    title "a meeting has a room"
    quote """會議應有會場""" """A meeting has a room"""
    on meeting
    require room exists
      else "meeting {id} has no room"
  }
}
"#,
    );
    let meeting = |ad_hoc: bool, minutes: bool, room: bool| {
        let room = if room { r#", "room": "301""# } else { "" };
        format!(
            r#"{{ "type": "meeting", "id": "M-1", "ad_hoc": {ad_hoc}, "minutes": {minutes}{room} }}"#
        ) + "\n"
    };
    write("examples/1.1/fail.json", &meeting(true, true, true));
    write("examples/1.1/pass.json", &meeting(false, true, true));
    write(
        "examples/1.1/fail-no-minutes.json",
        &meeting(false, false, true),
    );
    write(
        "examples/1.1/pass-no-minutes.json",
        &meeting(false, true, true),
    );
    write("examples/1.2/fail.json", &meeting(false, true, false));
    write("examples/1.2/pass.json", &meeting(false, true, true));
    drop(write);
    change(&dir);
    dir
}

/// `bylaw verify --policy DIR`: its exit status and its output, the folder's path shown as `DIR`.
fn verify_small(dir: &Path) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(["verify", "--policy"])
        .arg(dir)
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&out.stdout).replace(&dir.display().to_string(), "DIR");
    (out.status.code(), text)
}

#[test]
fn verify_passes_a_policy_whose_examples_break_every_require() {
    let dir = small_policy("good", |_| {});
    let (status, out) = verify_small(&dir);
    assert_eq!(status, Some(0), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn verify_reports_a_failing_case_that_breaks_another_rule() {
    let dir = small_policy("wrong-rule", |dir| {
        // Meant to show a meeting without minutes, it lacks the room instead: 1.2, not 1.1.
        let ex = dir.join("examples/1.1");
        std::fs::write(
            ex.join("fail-no-minutes.json"),
            r#"{ "type": "meeting", "id": "M-1", "ad_hoc": false, "minutes": true }"#,
        )
        .expect("write");
    });
    let (status, out) = verify_small(&dir);
    assert_eq!(status, Some(1), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn verify_reports_a_case_without_its_twin() {
    let dir = small_policy("orphan", |dir| {
        let ex = dir.join("examples/1.1");
        std::fs::copy(ex.join("pass.json"), ex.join("pass-on-time.json")).expect("copy");
        std::fs::copy(ex.join("fail.json"), ex.join("fail-unplanned.json")).expect("copy");
    });
    let (status, out) = verify_small(&dir);
    assert_eq!(status, Some(1), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn verify_reports_a_require_that_no_example_breaks_with_its_line() {
    let dir = small_policy("unbroken", |dir| {
        let ex = dir.join("examples/1.1");
        std::fs::remove_file(ex.join("fail-no-minutes.json")).expect("remove");
        std::fs::remove_file(ex.join("pass-no-minutes.json")).expect("remove");
    });
    let (status, out) = verify_small(&dir);
    assert_eq!(status, Some(1), "{out}");
    assert!(out.contains("policy.bylaw:23:5"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn verify_reports_files_that_are_no_example_by_their_name() {
    let dir = small_policy("stray", |dir| {
        let ex = dir.join("examples");
        let text = std::fs::read_to_string(ex.join("1.1/fail.json")).expect("read");
        for name in [
            "1.1/fail_x.json",
            "1.1/pass-.json",
            "1.1/Fail.json",
            "1.1/fail-Late.json",
            "1.1/fail.jsonl",
            "1.1/notes.txt",
            "fail.json",
        ] {
            std::fs::write(ex.join(name), &text).expect("write");
        }
        // Hidden files are an editor's or git's, not examples.
        std::fs::write(ex.join("1.1/.fail.json.swp"), "").expect("write");
    });
    let (status, out) = verify_small(&dir);
    assert_eq!(status, Some(1), "{out}");
    assert!(!out.contains(".swp"), "{out}");
    insta::assert_snapshot!(out);
}

/// `bylaw explain RULE --policy DIR`, as a user reads it.
fn explain_small(dir: &Path, rule: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(["explain", rule, "--policy"])
        .arg(dir)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stdout).replace(&dir.display().to_string(), "DIR")
}

#[test]
fn explain_lays_out_a_rule_with_few_or_no_examples() {
    let dir = fresh_folder("explain-few-examples");
    let write = writer(&dir);
    // An article with neither text nor gloss; 1.1 without examples, 1.2 with only a passing one
    // whose last line has no newline, 1.3 with only a named case.
    write(
        "policy.bylaw",
        r#"policy "rooms" {
  title "Rooms"
}

record meeting {
  id: string required
  room: string
  minutes: bool
}

article 1 "Meetings" {
  rule 1.1 warning {
    title "a meeting has a room"
    on meeting
    require room exists
  }

  rule 1.2 warning {
    title "a meeting has an id that is not blank"
    on meeting
    require id != ""
  }

  rule 1.3 warning {
    title "a meeting keeps minutes"
    on meeting
    require minutes
  }
}
"#,
    );
    write(
        "examples/1.2/pass.json",
        r#"{ "type": "meeting", "id": "M-1", "room": "301", "minutes": true }"#,
    );
    write(
        "examples/1.3/fail-none.json",
        "{ \"type\": \"meeting\", \"id\": \"M-1\", \"room\": \"301\", \"minutes\": false }\n",
    );
    write(
        "examples/1.3/pass-none.json",
        "{ \"type\": \"meeting\", \"id\": \"M-1\", \"room\": \"301\", \"minutes\": true }\n",
    );
    assert_eq!(
        explain_small(&dir, "1.1"),
        "1.1 (warning) — a meeting has a room\n\
         \n\
         what it enforces: article 1 (Meetings)\n\
         \n\
         the rule, as written in DIR/policy.bylaw:\n\
         \n\
         rule 1.1 warning {\n  title \"a meeting has a room\"\n  on meeting\n  require room exists\n}\n\
         \n\
         article 1 — Meetings\n\
         \n\
         this rule has no examples yet.\n"
    );
    let text = explain_small(&dir, "1.2");
    assert!(
        text.ends_with(
            "a passing example, DIR/examples/1.2/pass.json:\n\
             \n\
             { \"type\": \"meeting\", \"id\": \"M-1\", \"room\": \"301\", \"minutes\": true }\n\
             \n\
             bylaw reports nothing on it.\n"
        ),
        "{text}"
    );
    let text = explain_small(&dir, "1.3");
    assert!(
        text.contains(
            "article 1 — Meetings\n\
             \n\
             this rule has no `fail.json` or `pass.json` yet, only named cases.\n\
             \n\
             more cases, each a `fail-NAME.json`"
        ),
        "{text}"
    );
    assert!(!text.contains("no examples yet"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
