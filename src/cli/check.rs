//! `bylaw check`: audit record files and report.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{config, PolicyArgs};
use crate::audit::{self, Options};
use crate::check::Period;
use crate::report;

#[derive(Args)]
pub struct CheckArgs {
    /// Record files or folders (walked recursively); `-` reads standard input (JSON Lines, or one
    /// JSON document) [default: `paths` of bylaw.toml, else .]
    #[arg(value_name = "PATH")]
    pub(super) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(super) policy: PolicyArgs,
    /// Output format [default: `format` of bylaw.toml, else human]
    #[arg(long, value_enum)]
    pub(super) format: Option<Format>,
    /// The period under audit, `FROM..TO` (dates, both included); inferred from the records if absent
    #[arg(long, value_name = "FROM..TO", value_parser = parse_period)]
    pub(super) period: Option<Period>,
    /// Fail (exit 1) on unwaived warnings too; `--deny-warnings=false` overrides bylaw.toml
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub(super) deny_warnings: Option<bool>,
    /// Settings from this file instead of the nearest bylaw.toml (working directory or a parent)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Use no bylaw.toml, only the command line
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Follow symbolic links when walking folders
    #[arg(long)]
    follow_links: bool,
    /// Human output: only the summary, with the findings counted by rule
    #[arg(long)]
    summary: bool,
    /// Write the report to this file instead of standard output (the exit status is the same)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// Human output: group the findings by rule or by record, each under a heading (default: in
    /// file order); period findings come last
    #[arg(long, value_enum, value_name = "rule|record")]
    group_by: Option<GroupBy>,
    /// An earlier `--format json` report: its findings are known, only new ones fail the run
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// Waivers of period findings (a JSON array of `{rule, period, reason, approved_by, until}`):
    /// a finding about a period has no record to carry its waiver
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Human output: show the findings known from the baseline too (marked as known)
    #[arg(long)]
    pub show_known: bool,
    /// Worker threads (default: one per core; at most 1024); the report is the same whatever
    /// the number
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    threads: Option<std::num::NonZeroUsize>,
    /// The largest record read, e.g. `64MiB` (the default), `512KiB`, `1000000`; a larger record is
    /// refused as bad input without being held in memory
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_record_size: Option<usize>,
    /// The bad inputs of one file shown each at its place (default 1000); the others are counted
    /// and said in one line
    #[arg(long, value_name = "N")]
    max_bad_inputs: Option<std::num::NonZeroUsize>,
}

/// A size in bytes, or with a unit: `KiB`, `MiB`, `GiB`.
fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(digits);
    let number: usize = number
        .parse()
        .map_err(|_| format!("expected a size such as `64MiB`, found `{s}`"))?;
    let scale = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "k" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        other => return Err(format!("unknown unit `{other}`: use KiB, MiB or GiB")),
    };
    match number.checked_mul(scale) {
        Some(0) => Err("a record of at most 0 bytes cannot be read".into()),
        Some(bytes) if bytes <= crate::records::stream::MAX_RECORD_LIMIT => Ok(bytes),
        _ => Err(format!("`{s}` is too large: at most 4GiB")),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GroupBy {
    Rule,
    Record,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    #[default]
    Human,
    Json,
    Jsonl,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
    /// JUnit XML: a testsuite per article, a testcase per rule and record
    Junit,
    /// GitHub Actions annotations (workflow commands)
    Github,
    /// One self-contained HTML page for people: summary, charts, findings by article, filters
    Html,
}

/// The most worker threads a run starts: more only cost time (a pool of thousands takes seconds
/// to start and to wind down, a pool of billions never finished starting).
const MAX_THREADS: usize = 1024;

fn parse_threads(s: &str) -> Result<std::num::NonZeroUsize, String> {
    let n: std::num::NonZeroUsize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of threads (1 to {MAX_THREADS})"))?;
    if n.get() > MAX_THREADS {
        return Err(format!("at most {MAX_THREADS} worker threads, not {n}"));
    }
    Ok(n)
}

pub(super) fn parse_period(s: &str) -> Result<Period, String> {
    let (from, to) = s
        .split_once("..")
        .ok_or("expected FROM..TO, e.g. 2011-07-01..2011-12-31")?;
    let from = crate::time::parse_date(from.trim()).map_err(|e| format!("`{from}`: {e}"))?;
    let to = crate::time::parse_date(to.trim()).map_err(|e| format!("`{to}`: {e}"))?;
    if to < from {
        return Err(format!("the period ends ({to}) before it starts ({from})"));
    }
    Ok(Period { from, to })
}

/// Audits with the command line's arguments, completed from `bylaw.toml`; returns the exit status.
pub fn run(mut args: CheckArgs) -> u8 {
    match config::find_and_load(args.config.as_deref(), args.no_config) {
        Ok(Some(config)) => config::apply(config, &mut args),
        Ok(None) => {}
        Err(errors) => {
            let renderer = args.policy.renderer();
            super::report_config_problems(&renderer, &errors);
            return 2;
        }
    }
    if args.paths.is_empty() {
        args.paths.push(PathBuf::from("."));
    }
    let format = args.format.unwrap_or_default();
    let limits = crate::records::Limits {
        max_record_bytes: args
            .max_record_size
            .unwrap_or(crate::records::stream::DEFAULT_MAX_RECORD_BYTES),
        max_bad_inputs: (args.max_bad_inputs)
            .map_or(crate::records::stream::DEFAULT_MAX_BAD_INPUTS, |n| n.get()),
    };
    if let Some(output) = &args.output {
        let walk = (args.follow_links, limits);
        if let Some(message) = overwrites_records(&args.paths, walk, output) {
            eprintln!("{message}\nnothing was checked");
            return 2;
        }
    }
    let renderer = match args.output {
        // A file gets no terminal colours.
        Some(_) => crate::report::human::Renderer::new(false),
        None => args.policy.renderer(),
    };
    // `--threads` bounds the loading of the policy (parsed on every core) as well as the audit.
    let pool = match args.threads {
        None => None,
        Some(n) => match worker_pool(n) {
            Ok(pool) => Some(pool),
            Err(e) => {
                eprintln!("cannot start {n} worker threads: {e}");
                return 2;
            }
        },
    };
    let loaded = in_pool(pool.as_ref(), || args.policy.load_reporting(&renderer));
    let Some(policy) = loaded else {
        return 2;
    };
    let baseline = match &args.baseline {
        None => None,
        Some(path) => match read_baseline(path, &policy.name) {
            Ok(baseline) => Some(baseline),
            Err(d) => {
                eprint!("{}", renderer.render(&d));
                eprintln!("nothing was checked");
                return 2;
            }
        },
    };
    let waivers = match &args.waivers {
        None => None,
        Some(path) => {
            let name = path.display().to_string();
            match crate::records::waiver_file::read(&name, std::fs::read(path)) {
                Ok(file) => Some(std::sync::Arc::new(file)),
                Err(faults) => {
                    for d in &faults {
                        eprint!("{}", renderer.render(d));
                    }
                    eprintln!("nothing was checked");
                    return 2;
                }
            }
        }
    };
    let bar = super::progress::Bar::for_terminal();
    let options = Options {
        paths: args.paths.clone(),
        period: args.period,
        follow_links: args.follow_links,
        // The report of an earlier run written among the records is not a record.
        skip: args
            .output
            .iter()
            .chain(&args.baseline)
            .chain(&args.waivers)
            .cloned()
            .collect(),
        trace: format == Format::Junit,
        limits,
        progress: bar
            .clone()
            .map(|b| b as std::sync::Arc<dyn audit::Progress>),
        waivers,
    };
    let mut outcome = in_pool(pool.as_ref(), || {
        audit::run(&policy, &options, standard_input)
    });
    if let Some(bar) = &bar {
        bar.clear();
    }
    if let Some(baseline) = &baseline {
        report::baseline::compare(baseline, &mut outcome);
    }
    let human = (format == Format::Human && !args.summary).then(|| {
        let group = match args.group_by {
            None => report::human::GroupBy::File,
            Some(GroupBy::Rule) => report::human::GroupBy::Rule,
            Some(GroupBy::Record) => report::human::GroupBy::Record,
        };
        report::human::View {
            group,
            show_known: args.show_known,
        }
    });
    // Every report is written as it is made (at a million records they are hundreds of
    // megabytes); the human one is rendered on the worker threads as it is written.
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        match (format, human) {
            (_, Some(view)) => report::human::write_view(&policy, &outcome, &renderer, view, out)?,
            (Format::Human, None) => {
                let summary = report::human::summary_within(&policy, &outcome, renderer.width());
                out.write_all(summary.as_bytes())?
            }
            (Format::Json, _) => report::json::write_document(&policy, &outcome, out)?,
            (Format::Jsonl, _) => report::json::write_lines(&outcome, out)?,
            (Format::Github, _) => report::github::write(&policy, &outcome, out)?,
            (Format::Junit, _) => report::junit::write(&policy, &outcome, out)?,
            (Format::Html, _) => report::html::write(&policy, &outcome, out)?,
            (Format::Sarif, _) => {
                // The base of the relative URIs; unknown (a deleted folder), they have none.
                let root = std::env::current_dir().ok();
                report::sarif::write(&policy, &outcome, root.as_deref(), out)?
            }
        }
        out.flush()
    };
    let written = || match &args.output {
        // A reader that stopped early (`| head`) still gets the audit's verdict as the status:
        // a report cut short is no reason to turn findings into a success.
        // Line by line on a terminal, as ripgrep does; in blocks otherwise (a report piped on
        // is written as it is made, and standard output alone writes each line as it ends).
        None => match write(&mut stdout_writer()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(format!("cannot write to standard output: {e}"))
            }
            _ => Ok(()),
        },
        Some(path) => {
            let cannot = |e| format!("cannot write the report to `{}`: {e}", path.display());
            let file = std::fs::File::create(path).map_err(cannot)?;
            write(&mut std::io::BufWriter::with_capacity(REPORT_BLOCK, file)).map_err(|e| {
                // A report cut short (a full disk) would read as a whole one to whatever reads
                // it next: none is left. Only a regular file is removed: never a link, a device
                // or a pipe that `-o` names (`/dev/stdout`, `/dev/full`).
                let regular =
                    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file());
                let removed = regular && std::fs::remove_file(path).is_ok();
                let said = cannot(e);
                match removed {
                    true => format!("{said}; the part written is removed"),
                    false => said,
                }
            })
        }
    };
    let written = in_pool(pool.as_ref(), written);
    if let Err(message) = written {
        eprintln!("{message}");
        return 2;
    }
    let code = report::exit_code(&outcome, args.deny_warnings.unwrap_or(false));
    // The process ends here: the system takes back its memory whole, where dropping the policy
    // and the findings would free them an allocation at a time (half a million instructions for
    // the policy alone, a tenth of a one-record run).
    std::mem::forget(outcome);
    std::mem::forget(policy);
    code
}

/// The pool of `n` workers a run is made in. One worker is this thread, where it can be (it is
/// not a worker of another pool already): no other thread is started, nor woken, nor told of
/// each page returned to the system (an empty file: 4.0 → 3.0 ms, 1.8 → 0.9 ms in the kernel).
/// With more, this thread only waits: as a worker it would not run rayon's stealing loop, and
/// 10k records on two threads took a millisecond longer.
fn worker_pool(
    n: std::num::NonZeroUsize,
) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    let pool = || rayon::ThreadPoolBuilder::new().num_threads(n.get());
    if n.get() == 1 {
        if let Ok(pool) = pool().use_current_thread().build() {
            return Ok(pool);
        }
    }
    pool().build()
}

/// `work` run in `pool`, or where it is called without one (rayon's global pool).
fn in_pool<T: Send>(pool: Option<&rayon::ThreadPool>, work: impl FnOnce() -> T + Send) -> T {
    match pool {
        None => work(),
        Some(pool) => pool.install(work),
    }
}

/// What `-` reads: standard input redirected from a regular file, at its start, is read where it
/// lies (a copy of a large export would double the disk it takes); anything else as a stream.
fn standard_input() -> audit::Stdin {
    #[cfg(unix)]
    {
        use std::io::Seek;
        use std::os::fd::AsFd;
        let file = (std::io::stdin().as_fd().try_clone_to_owned()).map(std::fs::File::from);
        if let Ok(mut file) = file {
            let regular = file.metadata().is_ok_and(|m| m.is_file());
            if regular && file.stream_position().is_ok_and(|at| at == 0) {
                return audit::Stdin::File(file);
            }
        }
    }
    audit::Stdin::Stream(Box::new(std::io::stdin()))
}

/// Why the report cannot be written to `output`: it is a file of records this run reads, named on
/// the command line or found in a folder, which the report would replace. (A report of an earlier
/// run found in a folder is written over, when every object read in it is one the report writes.)
fn overwrites_records(
    paths: &[PathBuf],
    (follow_links, limits): (bool, crate::records::Limits),
    output: &Path,
) -> Option<String> {
    if !output.exists() {
        return None;
    }
    if output.is_dir() {
        return Some(format!(
            "`{}` is a folder: -o names a file",
            output.display()
        ));
    }
    // `-` is read from whatever standard input is: `< records.json` is that file.
    fn as_named(p: &Path) -> &Path {
        if p.as_os_str() == "-" {
            Path::new("/dev/stdin")
        } else {
            p
        }
    }
    let named = (paths.iter()).any(|p| crate::discover::same_file(as_named(p), output));
    let found = crate::discover::discover(paths, follow_links);
    // How the run would read the file, if it reads it.
    let read = found.inputs.iter().find_map(|input| match input {
        crate::discover::Input::File { path, format }
            if crate::discover::same_file(path, output) =>
        {
            Some(*format)
        }
        _ => None,
    });
    // A report of an earlier run is written over only when no record is read in it.
    let earlier_report = |format| {
        let file = std::fs::File::open(output);
        let written = file.and_then(|f| report::written_report(std::io::BufReader::new(f)));
        written.ok().flatten().is_some_and(|kind| {
            crate::records::every_object(output, format, limits, &|object| kind.writes(object))
                .unwrap_or(false)
        })
    };
    if named || read.is_some_and(|format| !earlier_report(format)) {
        Some(format!(
            "the report would overwrite `{}`, a file of records this run checks; write it \
             elsewhere with -o",
            output.display()
        ))
    } else {
        None
    }
}

/// The baseline, or why the file cannot be one.
fn read_baseline(
    path: &std::path::Path,
    policy: &str,
) -> Result<report::baseline::Baseline, Box<crate::diagnostic::Diagnostic>> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        Box::new(crate::diagnostic::Diagnostic::error(
            "baseline",
            format!("cannot read the baseline `{name}`: {e}"),
        ))
    })?;
    report::baseline::read(&name, bytes, policy)
}

/// The blocks a report is written in, to a file or a pipe: a report of thousands of findings in
/// a few writes rather than one every 8 KiB.
const REPORT_BLOCK: usize = 64 << 10;

/// Standard output, written line by line on a terminal and in blocks otherwise.
fn stdout_writer() -> Box<dyn Write> {
    use std::io::IsTerminal;
    let stdout = std::io::stdout();
    match stdout.is_terminal() {
        true => Box::new(stdout.lock()),
        false => Box::new(std::io::BufWriter::with_capacity(
            REPORT_BLOCK,
            stdout.lock(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::worker_pool;

    /// A pool of one worker is the calling thread; a second one made on the same thread (a run
    /// made again there) starts a thread of its own rather than failing.
    #[test]
    fn a_pool_of_one_is_the_calling_thread_and_can_be_made_again() {
        std::thread::spawn(|| {
            let here = std::thread::current().id();
            let on = |pool: &rayon::ThreadPool| pool.install(|| std::thread::current().id());
            let first = worker_pool(std::num::NonZeroUsize::MIN).expect("a pool of one");
            assert_eq!((on(&first), first.current_num_threads()), (here, 1));
            let second = worker_pool(std::num::NonZeroUsize::MIN).expect("another pool of one");
            assert_ne!(on(&second), here);
            assert_eq!(second.current_num_threads(), 1);
            let two = worker_pool(std::num::NonZeroUsize::new(2).expect("2")).expect("two");
            assert_ne!(on(&two), here);
        })
        .join()
        .expect("the pools are made");
    }
}
