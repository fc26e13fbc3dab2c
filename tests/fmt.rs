//! `bylaw fmt`: the canonical layout keeps a policy's meaning and is stable, the bundled policy is
//! in it, and bad input is refused with a located error. The command runs as the real binary.

mod common;
#[path = "support/policy_gen.rs"]
mod policy_gen;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use bylaw::source::SourceFile;
use bylaw::syntax::format::format;
use common::Lcg;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bylaw_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bylaw runs");
    let mut input = child.stdin.take().expect("a pipe");
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().expect("bylaw ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch folder under target/, empty.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = root().join("target/fmt-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// The AST of a policy with its spans left out, so two layouts of one policy compare equal.
fn meaning(source: &Arc<SourceFile>) -> Option<String> {
    let ast = bylaw::syntax::parse(source).ok()?;
    let debug = format!("{:?}", ast.items);
    let spans = regex::Regex::new(r"Span \{ start: \d+, end: \d+ \}").expect("a regex");
    Some(spans.replace_all(&debug, "Span").into_owned())
}

fn formatted(name: &str, text: &str) -> String {
    match format(&SourceFile::new(name, text)) {
        Ok(out) => out,
        Err(e) => panic!("`{name}` does not format: {e:#?}"),
    }
}

/// The property: a policy that parses formats to a policy with the same AST, which formats to
/// itself.
fn assert_kept(name: &str, text: &str) {
    let source = SourceFile::new(name, text);
    let Some(before) = meaning(&source) else {
        return;
    };
    let once = formatted(name, text);
    let after = meaning(&SourceFile::new(name, once.as_str()));
    if after.as_deref() != Some(before.as_str()) {
        let kept = root().join("target/fmt-tests/meaning.bylaw");
        let _ = std::fs::create_dir_all(kept.parent().unwrap_or(root()));
        let _ = std::fs::write(&kept, text);
        panic!(
            "`{name}`: formatting changed its meaning (input in {}):\n{once}",
            kept.display()
        );
    }
    let twice = formatted(name, &once);
    assert_eq!(once, twice, "`{name}`: formatting again changed the layout");
}

#[test]
fn formatting_keeps_the_meaning_and_is_idempotent_on_generated_policies() {
    let cases: u64 = std::env::var("BYLAW_FMT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut random = Lcg(std::env::var("BYLAW_FMT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7));
    let seeds = policy_gen::seeds(root());
    for (_, name, text) in &seeds {
        assert_kept(name, text);
    }
    let texts: Vec<String> = seeds.iter().map(|s| s.2.clone()).collect();
    let mut parsed = 0;
    for case in 0..cases {
        let (_, name, mutant) = policy_gen::mutant(&mut random, &seeds, &texts);
        if bylaw::syntax::parse(&SourceFile::new("m", mutant.as_str())).is_ok() {
            parsed += 1;
        }
        assert_kept(&format!("{name} (case {case})"), &mutant);
    }
    eprintln!("fmt property: {parsed} of {cases} mutants parsed");
}

/// `text` with comments, line breaks and spaces put where it has a space: most such mutants
/// parse, and they try the comments in every place the grammar allows one.
fn relayout(random: &mut Lcg, text: &str) -> String {
    const LAYOUT: &[&str] = &[
        "\n",
        "\n\n\n",
        "  ",
        "\t",
        " # note\n",
        "\n# own line\n",
        "\r\n",
    ];
    let spaces: Vec<usize> = text.match_indices(' ').map(|(i, _)| i).collect();
    let mut at: Vec<usize> = (0..1 + random.below(8))
        .map(|_| spaces.get(random.below(spaces.len())).copied().unwrap_or(0))
        .collect();
    at.sort_unstable();
    at.dedup();
    let mut out = String::with_capacity(text.len() + 100);
    let mut from = 0;
    for i in at {
        out.push_str(&text[from..i]);
        out.push_str(LAYOUT[random.below(LAYOUT.len())]);
        from = i;
    }
    out.push_str(&text[from..]);
    out
}

#[test]
fn formatting_keeps_the_meaning_and_is_idempotent_with_comments_anywhere() {
    let mut random = Lcg(5);
    let seeds = policy_gen::seeds(root());
    let mut parsed = 0;
    for case in 0..200 {
        let (_, name, text) = &seeds[random.below(seeds.len())];
        let mutant = relayout(&mut random, text);
        if bylaw::syntax::parse(&SourceFile::new("m", mutant.as_str())).is_ok() {
            parsed += 1;
        }
        assert_kept(&format!("{name} (relayout {case})"), &mutant);
    }
    eprintln!("fmt relayout property: {parsed} of 200 mutants parsed");
}

#[test]
fn the_bundled_policy_is_formatted() {
    let out = bylaw_in(root(), &["fmt", "--check", "policies/lianyungang"], b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "run `bylaw fmt policies/lianyungang`:\n{}",
        text(&out.stdout)
    );
    assert!(out.stdout.is_empty());
}

/// The bundled file laid out badly where the layout is the formatter's to decide.
fn scramble(random: &mut Lcg, text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut in_string = false;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let starts_inside = in_string;
        in_string ^= line.matches("\"\"\"").count() % 2 == 1;
        if starts_inside {
            out.push(line.to_string());
            continue;
        }
        let next = lines.get(i + 1).map_or("", |l| l.trim_start());
        let code = line.trim_start();
        if code.is_empty() {
            // Blank lines before an article or a rule are the formatter's; others are doubled.
            if !(next.starts_with("rule ") || next.starts_with("article ")) || random.below(2) == 0
            {
                out.push(String::new());
                out.push(" \t".repeat(random.below(2)));
            }
            continue;
        }
        let indent = [" ", "\t", "   "][random.below(3)].repeat(random.below(4));
        let mut code = code.to_string();
        if !code.contains('"') && !code.contains('#') {
            code = code
                .replace(" ", if random.below(2) == 0 { "  " } else { " \t " })
                .replace(',', " ,  ")
                .replace('(', "( ")
                .replace(')', " )");
        }
        // Join a line to the one before when neither holds a comment or a string ends there.
        let joinable = !in_string && !code.contains('#') && !code.is_empty();
        match out.last_mut() {
            Some(prev)
                if joinable
                    && random.below(3) == 0
                    && !prev.trim().is_empty()
                    && !prev.contains('#')
                    && !prev.contains('"') =>
            {
                prev.push(' ');
                prev.push_str(&code);
            }
            _ => out.push(format!("{indent}{code}")),
        }
        if code.ends_with('{') || next == "}" {
            out.push(String::new());
        }
    }
    // Line endings stay `\n`: inside a `"""` string a `\r` would be text the formatter keeps.
    out.join("\n")
}

#[test]
fn a_scrambled_bundled_policy_formats_back_to_the_bundled_text() {
    let mut random = Lcg(11);
    for file in bylaw::policy_files::default_policy() {
        for round in 0..3 {
            let scrambled = scramble(&mut random, &file.text);
            let back = formatted(&file.name, &scrambled);
            if back != file.text {
                let kept = root().join("target/fmt-tests/scrambled.bylaw");
                let _ = std::fs::create_dir_all(kept.parent().unwrap_or(root()));
                let _ = std::fs::write(&kept, &scrambled);
                let first = back
                    .lines()
                    .zip(file.text.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                panic!(
                    "`{}` round {round} does not format back (scrambled text in {}); first difference at line {}:\n{:?}\n{:?}",
                    file.name,
                    kept.display(),
                    first + 1,
                    back.lines().nth(first),
                    file.text.lines().nth(first)
                );
            }
        }
    }
}

#[test]
fn every_construct_of_the_grammar_is_laid_out() {
    let input = std::fs::read_to_string(root().join("tests/fmt/every-construct.bylaw"))
        .expect("the example");
    let out = formatted("every-construct.bylaw", &input);
    assert_kept("every-construct.bylaw", &input);
    insta::assert_snapshot!("every_construct", out);
}

#[test]
fn check_shows_a_diff_and_exits_1_writing_nothing() {
    let dir = scratch("check");
    let messy = "rule set.1 error {\n  title \"unique\"\n    builtin unique_ids\n}\n";
    std::fs::create_dir_all(dir.join("sub")).expect("a folder");
    std::fs::write(dir.join("sub/messy.bylaw"), messy).expect("written");
    std::fs::write(dir.join("tidy.bylaw"), formatted("t", messy)).expect("written");
    // Hidden folders and build output are not walked into.
    for skipped in [".git", "target"] {
        std::fs::create_dir_all(dir.join(skipped)).expect("a folder");
        std::fs::write(dir.join(skipped).join("x.bylaw"), messy).expect("written");
    }
    let out = bylaw_in(&dir, &["fmt", "--check"], b"");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    insta::assert_snapshot!("check_diff", text(&out.stdout));
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/messy.bylaw"))
            .ok()
            .as_deref(),
        Some(messy)
    );
    // Without --check the file is rewritten; then --check passes.
    let out = bylaw_in(&dir, &["fmt", "."], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = bylaw_in(&dir, &["fmt", "--check", "sub", "tidy.bylaw"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_file_already_formatted_is_not_rewritten() {
    let dir = scratch("untouched");
    let path = dir.join("p.bylaw");
    std::fs::write(&path, "rule set.1 error {\n    builtin unique_ids\n}\n").expect("written");
    let before = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = bylaw_in(&dir, &["fmt", "p.bylaw"], b"");
    assert_eq!(out.status.code(), Some(0));
    let after = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    assert_eq!(before, after);
}

#[test]
fn standard_input_is_formatted_to_standard_output() {
    let out = bylaw_in(root(), &["fmt", "-"], b"enum kind{a b}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "enum kind { a b }\n");
}

fn fmt_stdin(input: &[u8]) -> (Option<i32>, String, String) {
    let out = bylaw_in(root(), &["fmt", "-"], input);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn hostile_input_is_formatted_or_refused_with_a_located_error() {
    // Empty, blank, and only comments.
    assert_eq!(fmt_stdin(b""), (Some(0), String::new(), String::new()));
    assert_eq!(fmt_stdin(b"\n\n  \n").1, "");
    assert_eq!(fmt_stdin(b"  # one\n\n\n# two   \n").1, "# one\n\n# two\n");
    // No final newline; CRLF and a byte order mark: LF out, no mark, strings kept byte for byte.
    assert_eq!(fmt_stdin(b"enum k { a }").1, "enum k { a }\n");
    let crlf = "\u{FEFF}article 1 \"x\" {\r\n  text \"\"\"a\r\nb\"\"\"\r\n}\r\n";
    assert_eq!(
        fmt_stdin(crlf.as_bytes()).1,
        "article 1 \"x\" {\n    text \"\"\"a\r\nb\"\"\"\n}\n"
    );
    // A very long line: strings are never broken.
    let long = format!("rule set.1 error {{ help \"{}\" }}", "x".repeat(5000));
    let (code, out, _) = fmt_stdin(long.as_bytes());
    assert_eq!(code, Some(0));
    assert!(out.contains(&"x".repeat(5000)));
    // Too deeply nested, a syntax error, not UTF-8: exit 2, located, nothing on standard output.
    let deep = format!(
        "define d on meeting = {}1{}",
        "(".repeat(500),
        ")".repeat(500)
    );
    let (code, out, err) = fmt_stdin(deep.as_bytes());
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("more than 100 levels deep"), "{err}");
    let (code, out, err) = fmt_stdin(b"rule 1.1 error {\n  title \"t\"\n  require\n}\n");
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("<stdin>:4:1"), "{err}");
    let (code, _, err) = fmt_stdin(b"enum k { a }\n# caf\xe9\n");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("not UTF-8") && err.contains("<stdin>:2:6"),
        "{err}"
    );
}

#[test]
fn a_file_with_a_syntax_error_is_left_as_it_is() {
    let dir = scratch("broken");
    let broken = "rule 1.1 error {\n  title\n}\n";
    std::fs::write(dir.join("broken.bylaw"), broken).expect("written");
    std::fs::write(dir.join("ok.bylaw"), "enum k{a}").expect("written");
    let out = bylaw_in(&dir, &["fmt"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("broken.bylaw"));
    assert_eq!(
        std::fs::read_to_string(dir.join("broken.bylaw"))
            .ok()
            .as_deref(),
        Some(broken)
    );
    // The other files are still formatted.
    assert_eq!(
        std::fs::read_to_string(dir.join("ok.bylaw"))
            .ok()
            .as_deref(),
        Some("enum k { a }\n")
    );
    let out = bylaw_in(&dir, &["fmt", "missing.bylaw"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read policy `missing.bylaw`"));
}
