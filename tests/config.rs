//! `bylaw.toml` and `bylaw init`, through the real binary: where the file is found, how its
//! paths resolve, what the command line overrides, how its problems are shown.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use yaml_rust2::{Yaml, YamlLoader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// A meeting whose decisions were published late: one warning of rule 26.1 (`publish_days`).
const LATE: &str = "policies/lianyungang/examples/26.1/fail.json";
const PROMPT: &str = "policies/lianyungang/examples/26.1/pass.json";

/// A new empty folder for one test. They all live one level below `config/`, which holds no
/// `bylaw.toml`, so no test finds another's.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("config")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn write(path: &Path, text: &str) {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).expect("a folder");
    }
    std::fs::write(path, text).expect("a written file");
}

fn copy_example(example: &str, to: &Path) {
    let text = std::fs::read_to_string(Path::new(ROOT).join(example)).expect("an example");
    write(to, &text);
}

fn bylaw_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(args)
        .current_dir(dir)
        .env("COLUMNS", "100")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("a JSON report ({e}); stderr: {}", stderr(o)))
}

/// A folder with `records/late.json` (one warning) and `other/prompt.json` (none).
fn project(name: &str, config: &str) -> PathBuf {
    let dir = scratch(name);
    copy_example(LATE, &dir.join("records/late.json"));
    copy_example(PROMPT, &dir.join("other/prompt.json"));
    write(&dir.join("bylaw.toml"), config);
    dir
}

#[test]
fn the_file_in_a_parent_folder_is_used_and_its_paths_are_relative_to_it() {
    let dir = project(
        "parent",
        "paths = [\"records\"]\nformat = \"json\"\noutput = \"report.json\"\n",
    );
    std::fs::create_dir_all(dir.join("deep/er")).expect("a subfolder");
    let out = bylaw_in(&dir.join("deep/er"), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "the report goes to `output`");
    assert_eq!(stderr(&out), "", "nothing extra is said");
    let report =
        std::fs::read_to_string(dir.join("report.json")).expect("the report, beside the file");
    let doc: serde_json::Value = serde_json::from_str(&report).expect("JSON");
    assert_eq!(doc["summary"]["records"], 1, "only `records`, not `other`");
    assert_eq!(doc["summary"]["warnings"], 1);
    assert_eq!(doc["findings"][0]["file"], "../../records/late.json");

    // Without `paths`, the file's folder is checked, not the working directory.
    std::fs::remove_file(dir.join("report.json")).expect("the report is removed");
    write(&dir.join("bylaw.toml"), "format = \"json\"\n");
    let out = bylaw_in(&dir.join("deep/er"), &["check"]);
    let doc = json(&out);
    assert_eq!(doc["summary"]["records"], 2, "`records` and `other`");
    assert_eq!(doc["findings"][0]["file"], "../../records/late.json");
}

#[test]
fn the_command_line_wins_over_the_file() {
    let dir = project(
        "flags-win",
        "paths = [\"records\"]\nformat = \"json\"\ndeny_warnings = true\n\n[set]\npublish_days = 100\n",
    );
    // The file alone: JSON, its parameter (no warning: 100 days to publish).
    let out = bylaw_in(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["warnings"], 0);

    // `--set` replaces that parameter only: another one leaves the file's `publish_days`.
    let out = bylaw_in(&dir, &["check", "--set", "cancel_days=2"]);
    assert_eq!(json(&out)["summary"]["warnings"], 0);
    // ... and the same one replaces it; `deny_warnings = true` of the file then fails the run.
    let out = bylaw_in(&dir, &["check", "--set", "publish_days=20"]);
    assert_eq!(json(&out)["summary"]["warnings"], 1);
    assert_eq!(out.status.code(), Some(1), "the file denies warnings");
    let out = bylaw_in(
        &dir,
        &["check", "--set", "publish_days=20", "--deny-warnings=false"],
    );
    assert_eq!(out.status.code(), Some(0), "the command line allows them");

    // `--format`.
    let out = bylaw_in(&dir, &["check", "--format", "jsonl"]);
    let last = stdout(&out).lines().last().unwrap_or("").to_string();
    let summary: serde_json::Value = serde_json::from_str(&last).expect("a JSON Lines summary");
    assert_eq!(summary["summary"]["records"], 1);

    // A path on the command line replaces `paths`.
    let out = bylaw_in(&dir, &["check", "other"]);
    let doc = json(&out);
    assert_eq!(doc["summary"]["records"], 1);
    assert_eq!(doc["findings"], serde_json::json!([]));
    assert_eq!(doc["summary"]["files"], 1);

    // `--period`: the file's period, then the command line's.
    let period = "paths = [\"records\"]\nformat = \"json\"\nperiod = \"2011-08-01..2011-08-31\"\n";
    write(&dir.join("bylaw.toml"), period);
    let out = bylaw_in(&dir, &["check"]);
    assert_eq!(json(&out)["period"]["from"], "2011-08-01");
    let out = bylaw_in(&dir, &["check", "--period", "2011-07-01..2011-12-31"]);
    assert_eq!(json(&out)["period"]["from"], "2011-07-01");
}

#[test]
fn an_unknown_key_is_located_with_a_suggestion() {
    let dir = project(
        "unknown-key",
        "# settings\npathz = [\"records\"]\nformat = \"json\"\n",
    );
    std::fs::create_dir_all(dir.join("sub")).expect("a subfolder");
    let out = bylaw_in(&dir.join("sub"), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "", "nothing is checked");
    insta::assert_snapshot!(stderr(&out));
}

#[test]
fn wrong_types_a_bad_period_and_an_unknown_format_are_all_located() {
    let dir = project(
        "wrong-type",
        "paths = \"records\"\ndeny_warnings = \"yes\"\nperiod = \"2011-12-31..2011-01-01\"\n\
         format = \"pdf\"\n[set]\npublish_days = \"soon\"\n",
    );
    let out = bylaw_in(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for place in [
        "[bylaw.toml:1:9]",
        "[bylaw.toml:2:17]",
        "[bylaw.toml:3:10]",
        "[bylaw.toml:4:10]",
    ] {
        assert!(err.contains(place), "no `{place}` in:\n{err}");
    }
    assert!(err.contains("`paths` must be an array of strings, not a string"));
    assert!(err.contains("the formats are `human`, `json`"), "{err}");
    assert!(err.ends_with("the config file has 4 problems; nothing was checked\n"));

    // The parameter's own check, once the file is otherwise right, is located in the file too.
    write(&dir.join("bylaw.toml"), "[set]\npublish_days = \"soon\"\n");
    let out = bylaw_in(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("[bylaw.toml:2:16]"), "{err}");
    assert!(
        err.contains("`[set] publish_days`: `soon` is not a valid value"),
        "{err}"
    );
}

#[test]
fn broken_toml_is_a_located_error() {
    let dir = project("broken", "paths = [\"records\"\nformat = \"json\"\n");
    let out = bylaw_in(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("this is not valid TOML"), "{err}");
    assert!(err.contains("[bylaw.toml:"), "{err}");
}

#[test]
fn a_named_config_file_must_exist_and_its_paths_are_relative_to_it() {
    let dir = project("named", "this is not TOML");
    let out = bylaw_in(&dir, &["check", "--config", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read the config file `missing.toml`"));

    write(
        &dir.join("conf/ci.toml"),
        "paths = [\"../records\"]\nformat = \"json\"\n",
    );
    let out = bylaw_in(&dir, &["check", "--config", "conf/ci.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out)["findings"][0]["file"],
        "conf/../records/late.json"
    );
}

#[test]
fn no_config_ignores_the_file() {
    let dir = project("no-config", "this is not TOML");
    let out = bylaw_in(
        &dir,
        &["check", "--no-config", "records", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["warnings"], 1);
    let out = bylaw_in(&dir, &["check", "--no-config", "--config", "x.toml"]);
    assert_eq!(out.status.code(), Some(2), "the two conflict");
}

fn yaml(path: &Path) -> Yaml {
    let text = std::fs::read_to_string(path).expect("a written file");
    let mut docs = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("`{}` is not YAML: {e}", path.display()));
    assert_eq!(docs.len(), 1, "one YAML document");
    docs.remove(0)
}

#[test]
fn init_writes_a_config_and_ci_jobs_and_never_overwrites() {
    let dir = scratch("init");
    copy_example(LATE, &dir.join("records/late.json"));
    let out = bylaw_in(&dir, &["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    for file in [
        "bylaw.toml",
        ".github/workflows/bylaw.yml",
        "bylaw.gitlab-ci.yml",
    ] {
        assert!(dir.join(file).is_file(), "`{file}` written");
        assert!(said.contains(&format!("wrote `{file}`")), "{said}");
    }

    // The workflow uploads the SARIF report even when findings failed the check.
    let workflow = yaml(&dir.join(".github/workflows/bylaw.yml"));
    let steps = workflow["jobs"]["bylaw"]["steps"]
        .as_vec()
        .expect("steps")
        .clone();
    let run: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(
        run.iter()
            .any(|r| r.contains("--format sarif -o bylaw.sarif")),
        "{run:?}"
    );
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif"))
        })
        .expect("an upload step");
    assert_eq!(upload["if"].as_str(), Some("always()"));
    assert_eq!(upload["with"]["sarif_file"].as_str(), Some("bylaw.sarif"));

    // The GitLab job keeps the JUnit report as a test report.
    let gitlab = yaml(&dir.join("bylaw.gitlab-ci.yml"));
    let job = &gitlab["bylaw"];
    let script: Vec<&str> = job["script"]
        .as_vec()
        .expect("a script")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert!(script
        .iter()
        .any(|s| s.contains("--format junit -o bylaw-junit.xml")));
    assert_eq!(
        job["artifacts"]["reports"]["junit"].as_str(),
        Some("bylaw-junit.xml")
    );
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));

    // The written bylaw.toml loads: as it is, and with a setting added.
    let out = bylaw_in(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let config = dir.join("bylaw.toml");
    let mut text = std::fs::read_to_string(&config).expect("bylaw.toml");
    text.push_str("format = \"json\"\n");
    write(&config, &text);
    let out = bylaw_in(&dir, &["check"]);
    assert_eq!(json(&out)["summary"]["warnings"], 1);

    // A second run leaves all three as they are, and says so.
    let out = bylaw_in(&dir, &["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    for file in [
        "bylaw.toml",
        ".github/workflows/bylaw.yml",
        "bylaw.gitlab-ci.yml",
    ] {
        assert!(
            said.contains(&format!("`{file}` exists, left as it is")),
            "{said}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&config).expect("bylaw.toml"),
        text,
        "not overwritten"
    );
}

#[test]
fn init_writes_what_it_can_and_fails_on_what_it_cannot() {
    let dir = scratch("init-blocked");
    // `.github` is a file, so the workflow's folder cannot be made.
    write(&dir.join(".github"), "not a folder");
    let out = bylaw_in(&dir, &["init"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot write `.github/workflows/bylaw.yml`"));
    assert!(dir.join("bylaw.toml").is_file());
    assert!(dir.join("bylaw.gitlab-ci.yml").is_file());
}
