//! Embeds the default policy in the binary: every `policies/lianyungang/*.bylaw` file, and the
//! rule examples: every `.json` file of `policies/lianyungang/examples/<rule>/` (`fail.json`,
//! `pass.json` and the named cases `fail-NAME.json`, `pass-NAME.json`).

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let dir = Path::new("policies/lianyungang");
    let policy = files_in(dir, "bylaw");
    let examples_dir = dir.join("examples");
    let mut examples = Vec::new();
    for rule_dir in entries(&examples_dir).into_iter().filter(|p| p.is_dir()) {
        examples.extend(files_in(&rule_dir, "json"));
    }
    examples.sort();

    let mut out = String::new();
    table(
        &mut out,
        "FILES",
        "The default policy's files: (name, text).",
        &policy,
        None,
    );
    table(
        &mut out,
        "EXAMPLES",
        "The default policy's rule examples: (`examples/<rule>/<name>.json`, text).",
        &examples,
        Some(dir),
    );
    let target = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()))
        .join("default_policy.rs");
    if let Err(e) = fs::write(&target, out) {
        panic!("cannot write {}: {e}", target.display());
    }
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
}

fn files_in(dir: &Path, extension: &str) -> Vec<PathBuf> {
    entries(dir)
        .into_iter()
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == extension))
        .collect()
}

/// Writes `pub const NAME: &[(&str, &str)]`, naming each file by its path from `shown_from`
/// (or from the crate root).
fn table(out: &mut String, name: &str, doc: &str, files: &[PathBuf], shown_from: Option<&Path>) {
    out.push_str(&format!(
        "/// {doc}\npub const {name}: &[(&str, &str)] = &[\n"
    ));
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let shown = shown_from
            .and_then(|base| file.strip_prefix(base).ok())
            .unwrap_or(file);
        let absolute = fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            shown.display().to_string(),
            absolute.display().to_string()
        ));
    }
    out.push_str("];\n");
}
