//! Embeds the default policy in the binary: every `policies/lianyungang/*.bylaw` file, and the
//! rule examples: every `.json` file of `policies/lianyungang/examples/<rule>/` (`fail.json`,
//! `pass.json` and the named cases `fail-NAME.json`, `pass-NAME.json`); and the policy compiled
//! ahead of time (`policies/lianyungang.compiled`, see `src/check/compiled.rs`) with a hash of
//! what it must have been compiled from.

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
    compiled_policy(&mut out, &policy);
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

/// The top-level modules of `src/` that run after a policy is compiled (tests/layering.rs orders
/// them): what they say cannot change a compiled policy, so editing them leaves it current.
const AFTER_COMPILING: &[&str] = &[
    "records", "finding", "eval", "audit", "examples", "report", "cli", "lsp", "main.rs",
];

/// Writes `COMPILED`, the compiled policy's bytes (empty when there is none), and `COMPILED_FROM`,
/// a hash of the policy's files, the grammar, `Cargo.lock` and every source file of the modules
/// that parse and compile a policy (all of `src/` but [`AFTER_COMPILING`]). The compiled policy
/// records the hash it was made with; one made from other sources or by other code is not used.
fn compiled_policy(out: &mut String, policy: &[PathBuf]) {
    let compiled = Path::new("policies/lianyungang.compiled");
    println!("cargo:rerun-if-changed={}", compiled.display());
    let mut inputs = policy.to_vec();
    inputs.extend(files_under(Path::new("grammar")));
    inputs.extend(files_under(Path::new("src")).into_iter().filter(|path| {
        let top = path.strip_prefix("src").ok().and_then(|p| p.iter().next());
        !top.is_some_and(|top| AFTER_COMPILING.iter().any(|m| top == *m))
    }));
    inputs.push(PathBuf::from("Cargo.lock"));
    let mut hash = Fnv::default();
    for input in &inputs {
        println!("cargo:rerun-if-changed={}", input.display());
        hash.write(input.to_string_lossy().as_bytes());
        hash.write(&fs::read(input).unwrap_or_default());
    }
    out.push_str(&format!(
        "/// A hash of what the compiled policy must be compiled from (build.rs).\n\
         pub const COMPILED_FROM: u64 = {:#x};\n",
        hash.0
    ));
    let bytes = match fs::canonicalize(compiled) {
        Ok(path) => format!("include_bytes!({:?})", path.display().to_string()),
        Err(_) => "&[]".to_string(),
    };
    out.push_str(&format!(
        "/// The bundled policy compiled ahead of time, or nothing.\n\
         pub static COMPILED: &[u8] = {bytes};\n"
    ));
}

/// Every file under `dir`, sorted; the folders are watched for files added.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in entries(dir) {
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// FNV-1a, 64 bits: stable from one build to the next, and needs no crate in the build script.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes.iter().chain(&[0xff]) {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}
