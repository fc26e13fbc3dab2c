//! `bylaw.toml`: the settings of `bylaw check` kept in a file beside the records.
//!
//! The file is found in the working directory or the nearest parent (or named by `--config`),
//! read with every value's span, checked key by key so that each problem is reported at its place
//! (all of them, not the first), and then merged into the command line's arguments by [`apply`]:
//! what the command line gives wins. Paths in the file are relative to the file's folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::ValueEnum;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::check::{parse_period, CheckArgs, Format};
use crate::check::{suggest, Override, Period};
use crate::diagnostic::{Diagnostic, Label};
use crate::source::{SourceFile, Span};

/// The file's name, looked for in the working directory and its parents.
pub const FILE_NAME: &str = "bylaw.toml";

/// The keys a `bylaw.toml` may have, in the order the documentation lists them.
const KEYS: [&str; 9] = [
    "paths",
    "period",
    "format",
    "output",
    "policy",
    "deny_warnings",
    "baseline",
    "waivers",
    "set",
];

/// The settings a `bylaw.toml` gives; `None` (or empty) where it says nothing. Paths are already
/// resolved against the file's folder.
#[derive(Debug, Default)]
pub struct Config {
    pub paths: Option<Vec<PathBuf>>,
    pub period: Option<Period>,
    pub format: Option<Format>,
    pub output: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    /// The `[set]` table, as `--set NAME=VALUE` overrides.
    pub set: Vec<Override>,
    pub deny_warnings: Option<bool>,
    /// An earlier report to compare with, as `--baseline`.
    pub baseline: Option<PathBuf>,
    /// Waivers of period findings, as `--waivers`.
    pub waivers: Option<PathBuf>,
}

/// Where the settings come from: `--no-config` (none), `--config FILE`, or the nearest
/// `bylaw.toml`. `Ok(None)` when there is no file; `Err` holds every problem found, each located
/// in the file when it has a place.
pub fn find_and_load(
    explicit: Option<&Path>,
    no_config: bool,
) -> Result<Option<Config>, Vec<Diagnostic>> {
    if no_config {
        return Ok(None);
    }
    let file = match explicit {
        Some(path) => path.to_path_buf(),
        None => match discover() {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    load(&file).map(Some)
}

/// The nearest `bylaw.toml`: in the working directory, else in each parent in turn. A parent is
/// named as `..` steps rather than by its absolute path, so the record paths it resolves read in
/// reports as the user would write them.
fn discover() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let mut up = PathBuf::new();
    for _ in cwd.ancestors() {
        let candidate = up.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        up.push("..");
    }
    None
}

/// Reads and checks one file.
pub fn load(file: &Path) -> Result<Config, Vec<Diagnostic>> {
    let name = file.display().to_string();
    let text = std::fs::read(file).map_err(|e| {
        let d = Diagnostic::error(
            "config::read",
            format!("cannot read the config file `{name}`: {e}"),
        );
        vec![if e.kind() == std::io::ErrorKind::NotFound {
            d.with_help("give an existing file to `--config`, or `--no-config` to use none")
        } else {
            d
        }]
    })?;
    let text = String::from_utf8(text).map_err(|_| {
        vec![Diagnostic::error(
            "config::read",
            format!("the config file `{name}` is not UTF-8 text"),
        )]
    })?;
    let folder = file.parent().unwrap_or(Path::new("")).to_path_buf();
    parse(SourceFile::new(name, text), &folder)
}

/// Checks the text of a config file; `folder` is what its relative paths are relative to.
pub fn parse(source: Arc<SourceFile>, folder: &Path) -> Result<Config, Vec<Diagnostic>> {
    let mut reader = Reader {
        source: source.clone(),
        folder,
        errors: Vec::new(),
    };
    let (table, syntax) = DeTable::parse_recoverable(&source.text);
    for e in syntax {
        let span = e
            .span()
            .map_or(Span::new(0, 0), |r| Span::new(r.start, r.end));
        reader.error(
            "config::syntax",
            format!("this is not valid TOML: {}", first_line(e.message())),
            span,
            "here",
            None,
        );
    }
    let mut config = Config::default();
    for (key, value) in table.get_ref() {
        match key.get_ref().as_ref() {
            "paths" => config.paths = reader.paths(value),
            "period" => config.period = reader.period(value),
            "format" => config.format = reader.format(value),
            "output" => config.output = reader.path("output", value),
            "policy" => config.policy = reader.path("policy", value),
            "baseline" => config.baseline = reader.path("baseline", value),
            "waivers" => config.waivers = reader.path("waivers", value),
            "deny_warnings" => config.deny_warnings = reader.boolean("deny_warnings", value),
            "set" => config.set = reader.set(value),
            other => {
                let keys: Vec<String> = KEYS.iter().map(|k| k.to_string()).collect();
                let help = suggest(other, &keys)
                    .unwrap_or_else(|| format!("the keys are {}", list(&KEYS)));
                reader.error(
                    "config::unknown-key",
                    format!("unknown key `{other}`"),
                    span_of(key),
                    "not a setting of `bylaw check`",
                    Some(help),
                );
            }
        }
    }
    if config.paths.is_none() {
        // Without `paths`, the file's own folder is checked, wherever below it bylaw runs: the
        // `["."]` that the written template shows as the default, relative to the file.
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        config.paths = Some(vec![folder.to_path_buf()]);
    }
    if reader.errors.is_empty() {
        Ok(config)
    } else {
        let mut errors = reader.errors;
        errors.sort_by_key(|d| d.primary_span().map(|s| s.start));
        Err(errors)
    }
}

/// Fills what the command line left out with what the file says. A path on the command line
/// replaces `paths`; a `--set` replaces the file's value of that parameter only.
pub fn apply(config: Config, args: &mut CheckArgs) {
    if args.paths.is_empty() {
        args.paths = config.paths.unwrap_or_default();
    }
    args.period = args.period.or(config.period);
    args.format = args.format.or(config.format);
    args.output = args.output.take().or(config.output);
    args.deny_warnings = args.deny_warnings.or(config.deny_warnings);
    args.baseline = args.baseline.take().or(config.baseline);
    args.waivers = args.waivers.take().or(config.waivers);
    args.policy.policy = args.policy.policy.take().or(config.policy);
    // The file's parameters come first, and only those the command line does not set.
    let given: Vec<String> = args
        .policy
        .overrides
        .iter()
        .map(|o| o.name.clone())
        .collect();
    let mut overrides: Vec<Override> = config
        .set
        .into_iter()
        .filter(|o| !given.contains(&o.name))
        .collect();
    overrides.append(&mut args.policy.overrides);
    args.policy.overrides = overrides;
}

/// Reads values of the file, collecting a located diagnostic for each one that is wrong.
struct Reader<'a> {
    source: Arc<SourceFile>,
    folder: &'a Path,
    errors: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn error(
        &mut self,
        code: &str,
        message: String,
        span: Span,
        label: &str,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::error(code, message)
            .in_file(self.source.clone())
            .with_label(Label::primary(span, label));
        d.help = help;
        self.errors.push(d);
    }

    /// A value of the wrong type: what was expected, and what was found.
    fn wrong_type(&mut self, key: &str, expected: &str, example: &str, value: &Spanned<DeValue>) {
        self.error(
            "config::type",
            format!(
                "`{key}` must be {expected}, not {}",
                a_type(value.get_ref())
            ),
            span_of(value),
            &format!("{} here", value.get_ref().type_str()),
            Some(format!("for example: {example}")),
        );
    }

    fn string<'v>(
        &mut self,
        key: &str,
        example: &str,
        value: &'v Spanned<DeValue>,
    ) -> Option<&'v str> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            _ => {
                self.wrong_type(key, "a string", example, value);
                None
            }
        }
    }

    /// A path, relative to the file's folder (`-`, standard input, stays as it is).
    fn resolve(&self, path: &str) -> PathBuf {
        if path == "-" {
            PathBuf::from(path)
        } else {
            self.folder.join(path)
        }
    }

    fn path(&mut self, key: &str, value: &Spanned<DeValue>) -> Option<PathBuf> {
        let example = format!("{key} = \"{}\"", example_path(key));
        let text = self.string(key, &example, value)?;
        if text.is_empty() {
            self.error(
                "config::value",
                format!("`{key}` is empty"),
                span_of(value),
                "a path, relative to this file's folder",
                Some(format!("for example: {example}, or leave `{key}` out")),
            );
            return None;
        }
        Some(self.resolve(text))
    }

    fn paths(&mut self, value: &Spanned<DeValue>) -> Option<Vec<PathBuf>> {
        const EXAMPLE: &str = "paths = [\"records\"]";
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type("paths", "an array of strings", EXAMPLE, value);
            return None;
        };
        if items.is_empty() {
            self.error(
                "config::value",
                "`paths` is empty: there would be nothing to check".to_string(),
                span_of(value),
                "no path",
                Some(format!(
                    "for example: {EXAMPLE}, or leave `paths` out to check the file's folder"
                )),
            );
            return None;
        }
        let mut paths = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(s) if !s.is_empty() => paths.push(self.resolve(s)),
                _ => self.wrong_type("paths", "an array of non-empty strings", EXAMPLE, item),
            }
        }
        (paths.len() == items.len()).then_some(paths)
    }

    fn period(&mut self, value: &Spanned<DeValue>) -> Option<Period> {
        const EXAMPLE: &str = "period = \"2011-07-01..2011-12-31\"";
        let text = self.string("period", EXAMPLE, value)?;
        match parse_period(text) {
            Ok(period) => Some(period),
            Err(reason) => {
                self.error(
                    "config::period",
                    format!("`period` is not a period: {reason}"),
                    span_of(value),
                    "expected FROM..TO",
                    Some(format!("for example: {EXAMPLE} (dates, both included)")),
                );
                None
            }
        }
    }

    fn format(&mut self, value: &Spanned<DeValue>) -> Option<Format> {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value())
            .map(|p| p.get_name().to_string())
            .collect();
        let example = "format = \"sarif\"";
        let text = self.string("format", example, value)?;
        match Format::from_str(text, false) {
            Ok(format) => Some(format),
            Err(_) => {
                let help = suggest(text, &names).unwrap_or_else(|| {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    format!("the formats are {}", list(&names))
                });
                self.error(
                    "config::format",
                    format!("unknown format `{text}`"),
                    span_of(value),
                    "not a format of `bylaw check`",
                    Some(help),
                );
                None
            }
        }
    }

    fn boolean(&mut self, key: &str, value: &Spanned<DeValue>) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(key, "true or false", &format!("{key} = true"), value);
                None
            }
        }
    }

    /// `[set]`: each parameter's value as `--set` would give it. A date may be written bare
    /// (`start = 2011-07-01`) or quoted.
    fn set(&mut self, value: &Spanned<DeValue>) -> Vec<Override> {
        const EXAMPLE: &str = "[set] cancel_days = 2";
        let DeValue::Table(table) = value.get_ref() else {
            self.wrong_type("set", "a table of parameters", EXAMPLE, value);
            return Vec::new();
        };
        let mut overrides = Vec::new();
        for (name, value) in table {
            let text = match value.get_ref() {
                DeValue::String(s) => Some(s.to_string()),
                // Out of range, it goes as written, for the parameter's own check to refuse.
                DeValue::Integer(n) => Some(
                    i64::from_str_radix(n.as_str(), n.radix())
                        .map_or_else(|_| n.as_str().to_string(), |n| n.to_string()),
                ),
                DeValue::Float(f) => Some(f.as_str().to_string()),
                DeValue::Boolean(b) => Some(b.to_string()),
                DeValue::Datetime(d) => Some(d.to_string()),
                DeValue::Array(_) | DeValue::Table(_) => None,
            };
            let place = Some((self.source.clone(), span_of(value)));
            let name = name.get_ref().to_string();
            match text {
                Some(text) => overrides.push(Override {
                    name,
                    value: text,
                    place,
                }),
                None => self.wrong_type(
                    &format!("set.{name}"),
                    "a number, a string, true or false, or a date",
                    &format!("{name} = 2"),
                    value,
                ),
            }
        }
        overrides
    }
}

/// The byte span of a spanned TOML item.
fn span_of<T>(item: &Spanned<T>) -> Span {
    let range = item.span();
    Span::new(range.start, range.end)
}

/// A TOML type with its article, for messages.
fn a_type(value: &DeValue) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn example_path(key: &str) -> &'static str {
    match key {
        "output" => "bylaw.sarif",
        "policy" => "policies/ours",
        "waivers" => "bylaw-waivers.json",
        _ => "bylaw-baseline.json",
    }
}

/// `a`, `b` and `c`.
fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

/// The TOML parser's messages may run over several lines; a message here is one.
fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message).trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Config, Vec<Diagnostic>> {
        parse(SourceFile::new("bylaw.toml", text), Path::new("cfg"))
    }

    #[test]
    fn every_key_is_read_and_paths_are_resolved_from_the_folder() {
        let config = parse_text(
            "paths = [\"records\", \"-\"]\nperiod = \"2011-07-01..2011-12-31\"\nformat = \"json\"\n\
             output = \"out.json\"\npolicy = \"p\"\ndeny_warnings = true\nbaseline = \"b.json\"\nwaivers = \"w.json\"\n\
             [set]\ncancel_days = 2\nstart = 2011-07-01\n",
        )
        .expect("a valid file");
        assert_eq!(
            config.paths,
            Some(vec![PathBuf::from("cfg/records"), PathBuf::from("-")])
        );
        assert!(config.period.is_some());
        assert!(config.format == Some(Format::Json));
        assert_eq!(config.output, Some(PathBuf::from("cfg/out.json")));
        assert_eq!(config.policy, Some(PathBuf::from("cfg/p")));
        assert_eq!(config.baseline, Some(PathBuf::from("cfg/b.json")));
        assert_eq!(config.waivers, Some(PathBuf::from("cfg/w.json")));
        assert_eq!(config.deny_warnings, Some(true));
        let set: Vec<(String, String)> =
            config.set.into_iter().map(|o| (o.name, o.value)).collect();
        assert_eq!(
            set,
            [
                ("cancel_days".to_string(), "2".to_string()),
                ("start".to_string(), "2011-07-01".to_string())
            ]
        );
    }

    #[test]
    fn without_paths_the_files_folder_is_checked() {
        let config = parse_text("format = \"json\"\n").expect("a valid file");
        assert_eq!(config.paths, Some(vec![PathBuf::from("cfg")]));
        let config = parse(SourceFile::new("bylaw.toml", ""), Path::new("")).expect("empty");
        assert_eq!(config.paths, Some(vec![PathBuf::from(".")]));
    }

    #[test]
    fn every_problem_is_reported_in_file_order() {
        let errors = parse_text(
            "pathz = []\nformat = \"sarf\"\nperiod = \"2011-12-31..2011-01-01\"\n\
             deny_warnings = \"yes\"\n[set]\nx = [1]\n",
        )
        .expect_err("five problems");
        let codes: Vec<&str> = errors.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "config::unknown-key",
                "config::format",
                "config::period",
                "config::type",
                "config::type"
            ]
        );
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `paths`?"));
        assert_eq!(errors[1].help.as_deref(), Some("did you mean `sarif`?"));
        assert_eq!(errors[3].line_column(), Some((4, 17)));
    }

    #[test]
    fn broken_toml_is_located_not_a_crash() {
        for text in [
            "paths = [",
            "= 1",
            "a = 1\na = 2",
            "[set\n",
            &"[".repeat(10_000),
        ] {
            let errors = parse_text(text).expect_err("invalid TOML");
            assert!(errors.iter().all(|d| d.source.is_some()), "{text:?}");
        }
    }
}
