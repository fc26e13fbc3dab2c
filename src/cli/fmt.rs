//! `bylaw fmt`: rewrites policy files in their canonical layout (see `syntax::format`), or with
//! `--check` says which would change, as `rustfmt --check` and `ruff format --check` do.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use crate::diagnostic::{Diagnostic, Label};
use crate::report::human::Renderer;
use crate::source::SourceFile;
use crate::syntax::format::format;

#[derive(Args)]
#[command(after_help = "\
Without PATH, every `.bylaw` file under the current folder is formatted (as `ruff format` does);
hidden folders and folders named `target` are skipped unless named.
The layout: 4 spaces per block, one blank line around articles and rules, lines over 100 columns
broken before `when`/`else`… and then before `and`/`or`; comments and the text of strings are kept
exactly, line endings become LF, a byte order mark is dropped.

Exit status: 0 when done (with --check: nothing would change), 1 with --check when a file would
change, 2 when a file cannot be read or has a syntax error (it is left as it is).")]
pub struct FmtArgs {
    /// Write nothing: show how each file would change, and exit with 1 if any would
    #[arg(long)]
    check: bool,
    /// Policy files, or folders holding `.bylaw` files; `-` reads standard input and writes to
    /// standard output
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn run(args: &FmtArgs) -> u8 {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let renderer = Renderer::new(std::io::stderr().is_terminal() && !no_color);
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut status = 0;
    let mut out = String::new();
    for path in &paths {
        let files = if path.as_os_str() == "-" {
            vec![path.clone()]
        } else {
            match files_under(path) {
                Ok(files) => files,
                Err(d) => {
                    eprint!("{}", renderer.render(&d));
                    status = 2;
                    continue;
                }
            }
        };
        for file in files {
            match one(&file, args.check, &mut out) {
                Ok(changed) => {
                    if changed && args.check && status == 0 {
                        status = 1;
                    }
                }
                Err(errors) => {
                    for e in &errors {
                        eprint!("{}", renderer.render(e));
                    }
                    status = 2;
                }
            }
        }
    }
    if !out.is_empty() && !super::emit(&out) {
        return 2;
    }
    status
}

/// Formats one file (or standard input for `-`); whether its layout changes.
fn one(path: &Path, check: bool, out: &mut String) -> Result<bool, Vec<Diagnostic>> {
    let stdin = path.as_os_str() == "-";
    let name = if stdin {
        "<stdin>".to_string()
    } else {
        // `bylaw fmt` walks `.`: its files are shown as `sub/p.bylaw`, not `./sub/p.bylaw`.
        path.strip_prefix(".").unwrap_or(path).display().to_string()
    };
    let bytes = if stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map(|_| bytes)
            .map_err(|e| vec![cannot_read(&name, &e)])?
    } else {
        std::fs::read(path).map_err(|e| vec![cannot_read(&name, &e)])?
    };
    let source = decode(&name, bytes).map_err(|d| vec![*d])?;
    let formatted = format(&source)?;
    let changed = formatted != source.text;
    if check {
        if changed {
            out.push_str(&diff(&name, &source.text, &formatted));
        }
    } else if stdin {
        out.push_str(&formatted);
    } else if changed {
        std::fs::write(path, &formatted).map_err(|e| {
            vec![Diagnostic::error(
                "usage::policy",
                format!("cannot write policy `{name}`: {e}"),
            )]
        })?;
    }
    Ok(changed)
}

fn cannot_read(name: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error("usage::policy", format!("cannot read policy `{name}`: {e}"))
}

/// The file's text, or an error located at its first byte that is not UTF-8.
fn decode(name: &str, bytes: Vec<u8>) -> Result<Arc<SourceFile>, Box<Diagnostic>> {
    SourceFile::decode(name, bytes).map_err(|bad| {
        Box::new(
            Diagnostic::error(
                "policy::not-utf8",
                format!(
                    "the policy is not UTF-8 text here (byte 0x{:02X})",
                    bad.byte
                ),
            )
            .in_file(bad.source)
            .with_label(Label::primary(bad.at, "not UTF-8"))
            .with_help("save the policy file as UTF-8"),
        )
    })
}

/// A file, or every `.bylaw` file under a folder, sorted.
fn files_under(path: &Path) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    // As `ruff format` does, hidden folders (`.git`) and build output (`target`) are skipped
    // when walking; a folder named on the command line is always walked.
    let walk = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0
                || !e.file_type().is_dir()
                || !(name.starts_with('.') || name == "target")
        });
    for entry in walk {
        let entry = entry.map_err(|e| {
            Box::new(Diagnostic::error(
                "usage::policy",
                format!("cannot read folder `{}`: {e}", path.display()),
            ))
        })?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|x| x == "bylaw") {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// A unified diff of `before` and `after`, three lines of context.
fn diff(name: &str, before: &str, after: &str) -> String {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    let mut out = format!("--- {name}\n+++ {name} (formatted)\n");
    // A longest common subsequence table; too big a file is shown whole instead.
    if a.len().saturating_mul(b.len()) > 16_000_000 {
        out.push_str(&format!("@@ -1,{} +1,{} @@\n", a.len(), b.len()));
        a.iter().for_each(|l| out.push_str(&format!("-{l}\n")));
        b.iter().for_each(|l| out.push_str(&format!("+{l}\n")));
        return out;
    }
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * (m + 1) + j] = if a[i] == b[j] {
                lcs[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                lcs[(i + 1) * (m + 1) + j].max(lcs[i * (m + 1) + j + 1])
            };
        }
    }
    // (kind, line in a, line in b): ' ' kept, '-' removed, '+' added.
    let mut ops: Vec<(char, usize, usize)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((' ', i, j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
            ops.push(('-', i, j));
            i += 1;
        } else {
            ops.push(('+', i, j));
            j += 1;
        }
    }
    const CONTEXT: usize = 3;
    let mut k = 0;
    while k < ops.len() {
        let Some(first) = (k..ops.len()).find(|&x| ops[x].0 != ' ') else {
            break;
        };
        let start = first.saturating_sub(CONTEXT);
        // The hunk ends where more than twice the context is unchanged.
        let mut end = first;
        let mut same = 0;
        let mut x = first;
        while x < ops.len() {
            if ops[x].0 == ' ' {
                same += 1;
                if same > 2 * CONTEXT {
                    break;
                }
            } else {
                same = 0;
                end = x;
            }
            x += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let hunk = &ops[start..end];
        let old = hunk.iter().filter(|o| o.0 != '+').count();
        let new = hunk.iter().filter(|o| o.0 != '-').count();
        let (a0, b0) = (hunk[0].1, hunk[0].2);
        out.push_str(&format!(
            "@@ -{},{old} +{},{new} @@\n",
            a0 + usize::from(old > 0),
            b0 + usize::from(new > 0)
        ));
        for &(kind, i, j) in hunk {
            let line = if kind == '+' { b[j] } else { a[i] };
            out.push_str(&format!("{kind}{line}\n"));
        }
        k = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn a_diff_shows_the_changed_lines_with_context() {
        let d = diff("p.bylaw", "a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(
            d,
            "--- p.bylaw\n+++ p.bylaw (formatted)\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
    }
}
