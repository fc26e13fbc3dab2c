//! The house's layering, pinned: each top-level module of the crate uses only the modules beneath
//! it, as the table below says, so that the stages run one way (discover → source → syntax → ast
//! → check → records → eval, with its record-set stage → audit → report → cli and lsp) and no two
//! modules use each other.
//!
//! What a module uses is read from its source: every `crate::X` path in its files (a `use` line
//! or a path written out in code, `crate::{X, Y}` too), comments left out. A module that is not in
//! the table fails the test, so a new one is given its place.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may use. Foundations first, then the stages in the
/// house's order: a module may use only modules listed before it, never one after.
const ALLOWED: &[(&str, &[&str])] = &[
    // Foundations, which use nothing of the crate.
    ("source", &[]),
    ("counter", &[]),
    ("wording", &[]),
    ("discover", &[]),
    ("types", &[]),
    // Comparing short texts (keys, enum values, roles).
    ("text", &[]),
    // The value records are read into.
    ("json", &["text"]),
    ("calendar", &[]),
    ("diagnostic", &["source"]),
    // The bundled policy's files, as data.
    ("policy_files", &["diagnostic", "source"]),
    // Dates and datetimes, shared by every stage.
    ("time", &["counter", "json", "types"]),
    ("builtins", &["calendar", "json", "time", "types"]),
    // The policy language: parsed, then checked and compiled.
    ("ast", &["diagnostic", "source", "time", "types"]),
    ("syntax", &["ast", "diagnostic", "source", "time", "types"]),
    (
        "check",
        &[
            "ast",
            "builtins",
            "calendar",
            "counter",
            "diagnostic",
            "policy_files",
            "source",
            "syntax",
            "text",
            "time",
            "types",
            "wording",
        ],
    ),
    // Reading sources (validated against the policy's record types) and locating pointers: feeds
    // evaluation and the reports, imports neither.
    (
        "records",
        &[
            "check",
            "counter",
            "diagnostic",
            "json",
            "discover",
            "policy_files",
            "source",
            "text",
            "time",
            "types",
            "wording",
        ],
    ),
    // Typed findings: made by evaluation, read by the reports, beneath both.
    (
        "finding",
        &["check", "diagnostic", "records", "source", "time", "types"],
    ),
    // Evaluation, the record-set stage included: never the driver, the reports or a front end.
    (
        "eval",
        &[
            "ast",
            "builtins",
            "calendar",
            "check",
            "counter",
            "diagnostic",
            "json",
            "discover",
            "finding",
            "policy_files",
            "records",
            "source",
            "syntax",
            "text",
            "time",
            "types",
            "wording",
        ],
    ),
    // The driver: discovers, reads in parallel, calls evaluation, merges.
    (
        "audit",
        &[
            "check",
            "counter",
            "diagnostic",
            "discover",
            "eval",
            "finding",
            "json",
            "records",
            "source",
            "time",
            "types",
            "wording",
        ],
    ),
    // Each rule's examples, audited for `explain` and `verify`.
    ("examples", &["audit", "check", "finding", "source"]),
    // The reports read an outcome and its findings; evaluation is not theirs to call. A report
    // tells the objects it writes from records (`-o` over an earlier report): `json`.
    (
        "report",
        &[
            "ast",
            "audit",
            "calendar",
            "check",
            "diagnostic",
            "discover",
            "finding",
            "json",
            "records",
            "source",
            "time",
            "types",
            "wording",
        ],
    ),
    // The front ends.
    (
        "lsp",
        &[
            "ast",
            "audit",
            "calendar",
            "check",
            "diagnostic",
            "discover",
            "examples",
            "finding",
            // The value records are read into: near-miss keys are looked for in it.
            "json",
            "policy_files",
            "records",
            "report",
            "source",
            "syntax",
            "time",
            "types",
            "wording",
        ],
    ),
    (
        "cli",
        &[
            "ast",
            "audit",
            "calendar",
            "check",
            "counter",
            "diagnostic",
            "discover",
            "eval",
            "examples",
            "finding",
            "lsp",
            "policy_files",
            "records",
            "report",
            "source",
            "syntax",
            "time",
            "types",
            "wording",
        ],
    ),
];

/// Of the modules that are stages, those a stage must never use, whatever the table grows to:
/// the brief of the house, said twice so that widening the table is a visible choice.
const NEVER: &[(&str, &[&str])] = &[
    ("finding", &["eval", "audit", "report", "cli", "lsp"]),
    (
        "records",
        &["eval", "finding", "audit", "report", "cli", "lsp"],
    ),
    ("eval", &["audit", "report", "cli", "lsp", "examples"]),
    ("audit", &["report", "cli", "lsp", "examples"]),
    ("report", &["eval", "cli", "lsp"]),
];

/// The crate's sources.
fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to; `None` for the crate's roots.
fn module_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src()).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// A line without its comment: from a `//` that is not inside a string literal.
fn code_of(line: &str) -> &str {
    let mut in_string = false;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            '/' if previous == '/' && !in_string => return &line[..at - 1],
            _ => {}
        }
        previous = c;
    }
    line
}

/// The top-level modules a text names with `crate::X` or `crate::{X, …}`.
fn used_by(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let code: String = text.lines().map(code_of).collect::<Vec<_>>().join("\n");
    let mut used = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        // `$crate::` and `bylaw_crate::` are not this crate's root.
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level names of the group: the text before each `::`, `,` or `}` at depth 0.
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        start = false;
                        let name = ident(&group[i..]);
                        if !name.is_empty() {
                            used.insert(name);
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                used.insert(name);
            }
        }
    }
    used
}

/// Each top-level module and the modules of the crate it uses, with a file that uses each.
fn uses() -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut uses: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let entry = uses.entry(module.clone()).or_default();
        for used in used_by(&text) {
            if used != module {
                entry.entry(used).or_insert_with(|| file.clone());
            }
        }
    }
    uses
}

#[test]
fn each_module_uses_only_the_modules_beneath_it() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, used) in uses() {
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "module `{module}` is not in the layering table: give it its place"
            ));
            continue;
        };
        for (other, file) in used {
            if !may.contains(&other.as_str()) {
                let file = file.strip_prefix(src()).unwrap_or(&file).display();
                wrong.push(format!(
                    "`{module}` uses `crate::{other}` (in src/{file}), which the table does not allow"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The table itself runs one way: a module may use only modules listed before it, so no two
/// modules use each other, directly or round about.
#[test]
fn the_table_runs_one_way() {
    let mut before: BTreeSet<&str> = BTreeSet::new();
    for (module, may) in ALLOWED {
        for other in *may {
            assert!(
                before.contains(other),
                "`{module}` may use `{other}`, which is not listed before it"
            );
        }
        assert!(before.insert(module), "`{module}` is listed twice");
    }
    for (module, never) in NEVER {
        let may = ALLOWED
            .iter()
            .find(|(m, _)| m == module)
            .map_or(&[][..], |(_, may)| *may);
        for other in *never {
            assert!(
                !may.contains(other),
                "the table lets `{module}` use `{other}`, which it must never use"
            );
        }
    }
}

/// The reading of a source: what counts as using a module, and what does not.
#[test]
fn uses_are_read_from_code_not_comments() {
    let text = "use crate::finding::{BadInput, Finding};\n\
                use crate::{records, time::Decoded};\n\
                let x = crate::eval::set::judge(p);\n\
                // see crate::report\n\
                /// [`crate::audit::Outcome`]\n\
                let s = \"a // b\"; crate::check::load(); // crate::lsp\n\
                $crate::cli::run();\n";
    let used: Vec<String> = used_by(text).into_iter().collect();
    assert_eq!(used, ["check", "eval", "finding", "records", "time"]);
}
