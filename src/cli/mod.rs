//! The command line: one file per subcommand.

mod check;
mod config;
mod coverage;
mod explain;
mod fmt;
mod init;
mod progress;
mod rules;
mod schema;
mod verify;

pub use explain::explain;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::check::{Override, Policy};
use crate::diagnostic::Diagnostic;
use crate::examples::Examples;
use crate::report::human::Renderer;

#[derive(Parser)]
#[command(
    name = "bylaw",
    version,
    about = "Audit exported records against the work rules of a city government"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check record files (JSON, JSON Lines) against the policy
    Check(check::CheckArgs),
    /// List every rule with its severity and article
    Rules(rules::RulesArgs),
    /// Every article with the rules that check it, or the reason it gives for having none
    Coverage(coverage::CoverageArgs),
    /// Explain a rule: its article's text and gloss, what it requires, how to comply
    Explain(explain::ExplainArgs),
    /// Check the policy's own examples: each rule's fail.json breaks it, its pass.json complies
    Verify(PolicyArgs),
    /// Print the JSON Schema of the records the policy accepts, for editors and CI
    Schema(schema::SchemaArgs),
    /// Run the language server on standard input and output, for editors
    Lsp(PolicyArgs),
    /// Rewrite policy files in the canonical layout, or check that they are in it
    Fmt(fmt::FmtArgs),
    /// Write a commented bylaw.toml and CI jobs (GitHub Actions, GitLab CI) into this folder
    Init,
}

/// Which policy to use, and parameter overrides.
#[derive(Args, Clone)]
pub struct PolicyArgs {
    /// A policy file or folder of `.bylaw` files, instead of the built-in work rules
    #[arg(long, value_name = "FILE|DIR")]
    policy: Option<PathBuf>,
    /// Override a policy parameter for this run, e.g. `--set cancel_days=2`
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
    overrides: Vec<Override>,
    /// Colour in human output
    #[arg(long, value_enum, default_value_t = Colour::Auto)]
    color: Colour,
}

#[derive(Clone, Copy, ValueEnum)]
enum Colour {
    Auto,
    Always,
    Never,
}

fn parse_override(s: &str) -> Result<Override, String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, found `{s}`"))?;
    Ok(Override {
        name: name.trim().to_string(),
        value: value.trim().to_string(),
        place: None,
    })
}

impl PolicyArgs {
    fn renderer(&self) -> Renderer {
        let colour = match self.color {
            Colour::Always => true,
            Colour::Never => false,
            Colour::Auto => {
                // no-color.org: NO_COLOR set to anything but the empty string turns colour off.
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                std::io::stdout().is_terminal() && !no_color
            }
        };
        Renderer::with_width(colour, report_width())
    }

    /// Loads the policy, or renders why it cannot be loaded.
    fn load(&self) -> Result<Policy, Vec<Diagnostic>> {
        match &self.policy {
            Some(path) => {
                let files = crate::policy_files::read_policy(path).map_err(|d| vec![*d])?;
                crate::check::load(&files, &self.overrides)
            }
            None => crate::check::load_bundled(&self.overrides),
        }
    }

    /// The policy, or `None` once its problems are rendered to standard error (exit status 2).
    fn load_reporting(&self, renderer: &Renderer) -> Option<Policy> {
        self.load()
            .map_err(|errors| report_policy_problems(renderer, &errors))
            .ok()
    }

    /// The policy's examples, or `None` once the problem is rendered (exit status 2).
    fn examples_reporting(&self, renderer: &Renderer) -> Option<Examples> {
        self.examples()
            .map_err(|d| report_policy_problems(renderer, &[*d]))
            .ok()
    }

    /// The policy's rule examples (`examples/<rule>/{fail,pass}.json` beside a policy folder).
    fn examples(&self) -> Result<Examples, Box<Diagnostic>> {
        let files = match &self.policy {
            Some(path) if path.is_dir() => crate::policy_files::read_examples(path)?,
            Some(_) => Vec::new(),
            None => crate::policy_files::default_examples(),
        };
        Ok(Examples::new(files))
    }
}

/// The human report's width: `COLUMNS` if set, else the terminal's width when standard output is
/// one, else [`human::DEFAULT_WIDTH`](crate::report::human::DEFAULT_WIDTH) (the renderer clamps it).
pub fn report_width() -> usize {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return columns;
    }
    let stdout = std::io::stdout();
    if stdout.is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size_of(&stdout) {
            return usize::from(w);
        }
    }
    crate::report::human::DEFAULT_WIDTH
}

/// Writes a command's output to standard output. A reader that stops reading (a pipe into
/// `head`) ends the output quietly (`Ok`); any other failure (a full disk, `/dev/full`) is an
/// error for the caller to report, never a panic as `print!` would give.
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result,
    }
}

/// [`write_stdout`], reporting a failure on standard error: `false` when the output was lost.
pub fn emit(text: &str) -> bool {
    match write_stdout(text) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("cannot write to standard output: {e}");
            false
        }
    }
}

/// Renders policy errors to standard error; the command then exits with status 2.
fn report_policy_problems(renderer: &Renderer, errors: &[Diagnostic]) {
    for e in errors {
        eprint!("{}", renderer.render(e));
    }
    eprintln!(
        "the policy has {} problem{}; nothing was checked",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
}

/// Renders the problems of a `bylaw.toml` to standard error; the command then exits with status 2.
fn report_config_problems(renderer: &Renderer, errors: &[Diagnostic]) {
    for e in errors {
        eprint!("{}", renderer.render(e));
    }
    eprintln!(
        "the config file has {} problem{}; nothing was checked",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
}

/// `bylaw lsp`: the policy is loaded by the server, which stays up when it does not load and shows
/// its problems in the editor.
fn lsp(args: &PolicyArgs) -> u8 {
    let source = crate::lsp::Source {
        // Editors name files by absolute paths without `.` or `..` (URIs are normalised), so the
        // served folder is named the same way, or its files would not be known as its own.
        path: args.policy.as_deref().map(plain_path),
        overrides: args.overrides.clone(),
    };
    match crate::lsp::run(source) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("bylaw lsp: {e}");
            2
        }
    }
}

/// `path` made absolute, with `.` and `..` resolved by their names (not by following links,
/// which an editor's paths do not do either).
fn plain_path(path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    let absolute = match std::env::current_dir() {
        Ok(here) if path.is_relative() => here.join(path),
        _ => path.to_path_buf(),
    };
    let mut plain = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                plain.pop();
            }
            other => plain.push(other),
        }
    }
    plain
}

/// Runs the command line; returns the exit status.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Rules(args) => rules::run(&args),
        Command::Coverage(args) => coverage::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Schema(args) => schema::run(&args),
        Command::Lsp(args) => lsp(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Init => init::run(),
    }
}

/// `text` in lines of at most `room` columns (at least 20), broken at spaces and between two
/// Chinese characters (which take two columns each and have no spaces between words); a word
/// longer than that has a line of its own.
fn wrap(text: &str, room: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let room = room.max(20);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        for (i, piece) in pieces(word).into_iter().enumerate() {
            let glue = if i == 0 && !line.is_empty() { " " } else { "" };
            if !line.is_empty() && line.width() + glue.len() + piece.width() > room {
                lines.push(std::mem::take(&mut line));
            } else {
                line.push_str(glue);
            }
            line.push_str(piece);
        }
    }
    lines.push(line);
    lines
}

/// A word cut where a line may break: before each wide character, and before a letter or digit
/// that follows one. Punctuation stays with what precedes it, so no line starts with a comma.
fn pieces(word: &str) -> Vec<&str> {
    use unicode_width::UnicodeWidthChar;
    let wide = |c: char| c.width().unwrap_or(0) > 1;
    let mut cuts = vec![0];
    let mut after_wide = false;
    for (at, c) in word.char_indices() {
        if at > 0 && (wide(c) || (after_wide && c.is_alphanumeric())) {
            cuts.push(at);
        }
        after_wide = wide(c) || (after_wide && !c.is_alphanumeric());
    }
    cuts.push(word.len());
    cuts.windows(2).map(|w| &word[w[0]..w[1]]).collect()
}

#[cfg(test)]
mod tests {
    use super::{plain_path, wrap};
    use std::path::Path;

    #[test]
    fn a_served_folder_is_named_as_an_editor_names_it() {
        assert_eq!(
            plain_path(Path::new("/tmp/x/alone/bylaw/../target/./tmp/policy")),
            Path::new("/tmp/x/alone/target/tmp/policy")
        );
        let here = std::env::current_dir().expect("a working directory");
        assert_eq!(
            plain_path(Path::new("policies/../policies")),
            here.join("policies")
        );
    }

    #[test]
    fn wraps_at_spaces() {
        let lines = wrap(
            "one two three four five six seven eight nine ten eleven twelve",
            30,
        );
        assert_eq!(
            lines,
            [
                "one two three four five six",
                "seven eight nine ten eleven",
                "twelve"
            ]
        );
        assert_eq!(wrap("", 40), [""]);
        assert_eq!(
            wrap("a-word-longer-than-the-room-has-a-line-of-its-own b", 20).len(),
            2
        );
    }

    #[test]
    fn chinese_wraps_between_characters_counting_two_columns_each() {
        let lines = wrap(
            "article 40: 市長碰頭會原則上每周召開一次,一般安排在周一上午 — “held once a week”",
            24,
        );
        assert_eq!(
            lines,
            [
                "article 40: 市長碰頭會原",
                "則上每周召開一次,一般安",
                "排在周一上午 — “held",
                "once a week”"
            ]
        );
    }
}
