//! Embeds every `policies/lianyungang/*.bylaw` file in the binary as the default policy.

use std::fs;
use std::path::Path;

fn main() {
    let dir = Path::new("policies/lianyungang");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "bylaw"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from(
        "/// The default policy's files: (name, text).\npub const FILES: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let absolute = fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            file.display().to_string(),
            absolute.display().to_string()
        ));
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()))
        .join("default_policy.rs");
    if let Err(e) = fs::write(&target, out) {
        panic!("cannot write {}: {e}", target.display());
    }
}
