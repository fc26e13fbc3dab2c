//! `bylaw check`: audit record files and report.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::PolicyArgs;
use crate::audit::{self, Options};
use crate::check::Period;
use crate::report;

#[derive(Args)]
pub struct CheckArgs {
    /// Record files or folders (walked recursively); `-` reads standard input (JSON Lines, or one JSON document)
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// The period under audit, `FROM..TO` (dates, both included); inferred from the records if absent
    #[arg(long, value_name = "FROM..TO", value_parser = parse_period)]
    period: Option<Period>,
    /// Fail (exit 1) on unwaived warnings too
    #[arg(long)]
    deny_warnings: bool,
    /// Follow symbolic links when walking folders
    #[arg(long)]
    follow_links: bool,
    /// Human output: only the summary, with the findings counted by rule
    #[arg(long)]
    summary: bool,
    /// Write the report to this file instead of standard output (the exit status is the same)
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Human output: group the findings by rule or by record, each under a heading (default: in
    /// file order); period findings come last
    #[arg(long, value_enum, value_name = "rule|record")]
    group_by: Option<GroupBy>,
    /// Worker threads (default: one per core); the report is the same whatever the number
    #[arg(long, value_name = "N")]
    threads: Option<std::num::NonZeroUsize>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GroupBy {
    Rule,
    Record,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
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

fn parse_period(s: &str) -> Result<Period, String> {
    let (from, to) = s
        .split_once("..")
        .ok_or("expected FROM..TO, e.g. 2011-07-01..2011-12-31")?;
    let from =
        crate::records::time::parse_date(from.trim()).map_err(|e| format!("`{from}`: {e}"))?;
    let to = crate::records::time::parse_date(to.trim()).map_err(|e| format!("`{to}`: {e}"))?;
    if to < from {
        return Err(format!("the period ends ({to}) before it starts ({from})"));
    }
    Ok(Period { from, to })
}

pub fn run(args: &CheckArgs) -> u8 {
    let renderer = match args.output {
        // A file gets no terminal colours.
        Some(_) => crate::report::human::Renderer::new(false),
        None => args.policy.renderer(),
    };
    let Some(policy) = args.policy.load_reporting(&renderer) else {
        return 2;
    };
    let options = Options {
        paths: args.paths.clone(),
        period: args.period,
        follow_links: args.follow_links,
        // The report of an earlier run written among the records is not a record.
        skip: args.output.iter().cloned().collect(),
        trace: args.format == Format::Junit,
    };
    let audit = || {
        audit::run(&policy, &options, || {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).map(|_| bytes)
        })
    };
    let outcome = match args.threads {
        None => audit(),
        Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n.get()).build() {
            Ok(pool) => pool.install(audit),
            Err(e) => {
                eprintln!("cannot start {n} worker threads: {e}");
                return 2;
            }
        },
    };
    let text = match args.format {
        Format::Human if args.summary => {
            report::human::summary_within(&policy, &outcome, renderer.width())
        }
        Format::Human => {
            let group = match args.group_by {
                None => report::human::GroupBy::File,
                Some(GroupBy::Rule) => report::human::GroupBy::Rule,
                Some(GroupBy::Record) => report::human::GroupBy::Record,
            };
            report::human::render_grouped(&policy, &outcome, &renderer, group)
        }
        Format::Json => report::json::document(&policy, &outcome),
        Format::Jsonl => report::json::lines(&outcome),
        Format::Sarif => report::sarif::document(&policy, &outcome),
        Format::Junit => report::junit::document(&policy, &outcome),
        Format::Github => report::github::commands(&policy, &outcome),
        Format::Html => report::html::document(&policy, &outcome),
    };
    match &args.output {
        // A reader that stopped early (`| head`) still gets the audit's verdict as the status:
        // a report cut short is no reason to turn findings into a success.
        None => {
            if !super::emit(&text) {
                return 2;
            }
        }
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("cannot write the report to `{}`: {e}", path.display());
                return 2;
            }
        }
    }
    report::exit_code(&outcome, args.deny_warnings)
}
