//! What users run, at the sizes they run it: the `bylaw` binary on an export of 10k, 100k or 1M
//! records, against the time just to read and parse the same files, and its peak memory.
//!
//! The corpus is the realistic export of `fixtures/export/` (371 records: meetings, documents,
//! leave over half a year) copied whole as often as the size needs, each copy's `id` and
//! `decided_at` suffixed `~N` as `benches/check.rs` does, so the set-level rules see a set of the
//! same shape, only larger. It is laid out as a records system exports it, twice:
//! `jsonl/` holds one JSON Lines file per family (`meetings.jsonl`, `documents.jsonl`,
//! `leave.jsonl`) and `json/` one pretty-printed JSON array per family, indented as
//! `fixtures/export/meetings.json` is. A record's family is its `type`: a type naming a meeting
//! goes to meetings, `leave` to leave, every other type to documents. Each size is written once
//! under the target folder and reused while its manifest (record count, and a hash of the export)
//! still matches.
//!
//! For each size and layout, in one run, interleaved so that the load of a shared machine falls on
//! all of them alike:
//! - **baseline**: the same files read and parsed into `serde_json::Value` on one thread, in this
//!   process: each JSON Lines line with `serde_json::from_str`; each `.json` file read whole and
//!   its array parsed element by element (each element into a `Value`, then dropped), so the
//!   baseline holds one record at a time at every size;
//! - `bylaw check <dir> --format json -o <file>` on all cores (the default) and with `--threads 1`:
//!   the release binary, run as a child process; its wall time, and its own maximum resident set
//!   from `wait4`, in a small runner process (this benchmark run again), since a child is charged
//!   the peak memory of the process that spawns it, which the baseline grows.
//!
//! Each time is the best of `BYLAW_SCALE_RUNS` runs (default 3): on a shared machine, the other
//! load only ever adds time. Each peak memory is the largest of its runs. The run checks what
//! every size must give: exit status 1 (the export has planted findings), every record counted, no
//! bad input, and the same report bytes on one thread as on all cores.
//!
//! `BYLAW_SCALE_BIN` names another build of `bylaw` to measure instead of the one cargo builds
//! (`scripts/build-pgo`'s profile-guided binary).
//!
//! `cargo bench --bench scale` prints a Markdown table for the README. `BYLAW_SCALE_SIZES`
//! chooses the sizes (default `10000,100000`; `1000000` on request: about 1 GB of disk per
//! layout, and the command's memory today is ten times its input). Without `--bench` (as under
//! `cargo test --all-targets`) it runs once on 1,113 records, as a smoke test of the benchmark
//! itself.

use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Serialize, Serializer as _};
use serde_json::Value as Json;

// The allocator the `bylaw` binary uses, so that the baseline parses as fast as the command could.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Written into each size's manifest; bump it when the corpus's layout changes.
const LAYOUT_VERSION: u32 = 2;

/// The three files of an export, in the order they are written and reported.
const FAMILIES: [&str; 3] = ["meetings", "documents", "leave"];

/// How the records of one size are laid out on disk.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// One JSON Lines file per family.
    Lines,
    /// One pretty-printed JSON array per family.
    Arrays,
}

impl Layout {
    fn folder(self) -> &'static str {
        match self {
            Layout::Lines => "jsonl",
            Layout::Arrays => "json",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::Lines => "JSON Lines",
            Layout::Arrays => "JSON arrays",
        })
    }
}

/// The export's records, by family, and a hash of its files that tells when it changed.
struct Export {
    families: [Vec<Ordered>; 3],
    hash: u64,
}

impl Export {
    fn records(&self) -> usize {
        self.families.iter().map(Vec::len).sum()
    }
}

fn main() {
    if std::env::var_os(RUNNER).is_some() {
        return runner();
    }
    let bench = std::env::args().any(|a| a == "--bench");
    let (sizes, runs) = if bench {
        (sizes(), env_number("BYLAW_SCALE_RUNS").unwrap_or(3).max(1))
    } else {
        (vec![1_000], 1)
    };
    // The binary measured: the one cargo built with this benchmark, or another build of bylaw
    // named in `BYLAW_SCALE_BIN` (the profile-guided build of `scripts/build-pgo`, which also
    // trains its instrumented build by running this benchmark with it).
    let given = std::env::var_os("BYLAW_SCALE_BIN").map(PathBuf::from);
    let kind = match &given {
        Some(_) => "given in BYLAW_SCALE_BIN",
        None if cfg!(debug_assertions) => "debug: smoke test only",
        None => "release",
    };
    let bin = given.unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_bylaw")));
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bylaw-scale");
    let export = read_export();
    eprintln!("binary: {} ({kind})", bin.display());

    let mut rows = Vec::new();
    for &size in &sizes {
        let corpus = corpus(&root, &export, size);
        for layout in [Layout::Lines, Layout::Arrays] {
            let dir = corpus.dir.join(layout.folder());
            rows.push(measure(&bin, &root, &dir, layout, corpus.records, runs));
        }
    }
    println!("{}", table(&rows, runs));
}

/// The sizes asked for in `BYLAW_SCALE_SIZES`, a comma-separated list of record counts.
fn sizes() -> Vec<usize> {
    let Ok(text) = std::env::var("BYLAW_SCALE_SIZES") else {
        return vec![10_000, 100_000];
    };
    let sizes: Vec<usize> = text
        .split(',')
        .map(|s| s.trim().replace('_', ""))
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse() {
            Ok(n) if n > 0 => n,
            _ => fail(&format!(
                "`BYLAW_SCALE_SIZES` holds `{s}`, which is not a positive number of records"
            )),
        })
        .collect();
    if sizes.is_empty() {
        fail("`BYLAW_SCALE_SIZES` names no size");
    }
    sizes
}

fn env_number(name: &str) -> Option<usize> {
    let text = std::env::var(name).ok()?;
    match text.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => fail(&format!("`{name}` holds `{text}`, which is not a number")),
    }
}

/// Ends the benchmark with a message: it measures nothing worth printing after a failed check.
fn fail(message: &str) -> ! {
    eprintln!("scale benchmark: {message}");
    std::process::exit(2)
}

/// Reads every record of `fixtures/export/`, sorted into families, in file order.
fn read_export() -> Export {
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/export");
    let mut families: [Vec<Ordered>; 3] = Default::default();
    let mut hash = Fnv::default();
    for entry in walkdir::WalkDir::new(&export).sort_by_file_name() {
        let entry = entry.unwrap_or_else(|e| fail(&format!("cannot walk the export: {e}")));
        let path = entry.path();
        let lines = match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl") => true,
            Some("json") => false,
            _ => continue,
        };
        let text = fs::read_to_string(path)
            .unwrap_or_else(|e| fail(&format!("cannot read `{}`: {e}", path.display())));
        hash.write(
            path.strip_prefix(&export)
                .unwrap_or(path)
                .as_os_str()
                .as_encoded_bytes(),
        );
        hash.write(text.as_bytes());
        let parse = |text: &str| -> Ordered {
            serde_json::from_str(text)
                .unwrap_or_else(|e| fail(&format!("`{}` does not parse: {e}", path.display())))
        };
        let records = if lines {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(parse)
                .collect()
        } else {
            match parse(&text) {
                Ordered::Array(items) => items,
                one => vec![one],
            }
        };
        for record in records {
            let family = family(&record);
            families[family].push(record);
        }
    }
    Export {
        families,
        hash: hash.0,
    }
}

/// The index in [`FAMILIES`] of the file a record belongs in.
fn family(record: &Ordered) -> usize {
    match record.field("type") {
        Some(Ordered::String(t)) if t.contains("meeting") => 0,
        Some(Ordered::String(t)) if t == "leave" => 2,
        _ => 1,
    }
}

/// One size's corpus on disk.
struct Corpus {
    dir: PathBuf,
    records: usize,
}

/// Writes the corpus of at least `size` records (whole copies of the export, so that every copy is
/// a complete half-year), unless it is already there.
fn corpus(root: &Path, export: &Export, size: usize) -> Corpus {
    let copies = size.div_ceil(export.records());
    let records = copies * export.records();
    let dir = root.join(size.to_string());
    let manifest = format!(
        "layout {LAYOUT_VERSION}\nexport {:016x}\ncopies {copies}\nrecords {records}\n",
        export.hash
    );
    let manifest_path = dir.join("manifest.txt");
    if fs::read_to_string(&manifest_path).is_ok_and(|m| m == manifest) {
        eprintln!("{records} records: reusing {}", dir.display());
        return Corpus { dir, records };
    }
    eprintln!("{records} records: writing {}", dir.display());
    let _ = fs::remove_dir_all(&dir);
    let started = Instant::now();
    for layout in [Layout::Lines, Layout::Arrays] {
        let folder = dir.join(layout.folder());
        fs::create_dir_all(&folder)
            .unwrap_or_else(|e| fail(&format!("cannot create `{}`: {e}", folder.display())));
        for (family, records) in FAMILIES.iter().zip(&export.families) {
            let copies = (0..copies).flat_map(|n| records.iter().map(move |r| renamed(r, n)));
            let path = match layout {
                Layout::Lines => folder.join(format!("{family}.jsonl")),
                Layout::Arrays => folder.join(format!("{family}.json")),
            };
            write_family(&path, layout, copies)
                .unwrap_or_else(|e| fail(&format!("cannot write `{}`: {e}", path.display())));
        }
    }
    // Written last, so that an interrupted run writes the corpus again.
    fs::write(&manifest_path, manifest)
        .unwrap_or_else(|e| fail(&format!("cannot write `{}`: {e}", manifest_path.display())));
    eprintln!("  written in {:.1} s", started.elapsed().as_secs_f64());
    Corpus { dir, records }
}

/// Writes one family's records, one at a time, so that 1M records never sit in memory.
fn write_family(
    path: &Path,
    layout: Layout,
    records: impl Iterator<Item = Ordered>,
) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    match layout {
        Layout::Lines => {
            for record in records {
                serde_json::to_writer(&mut out, &record)?;
                out.write_all(b"\n")?;
            }
        }
        Layout::Arrays => {
            // `collect_seq` pulls the records from the iterator as it writes them.
            let mut serializer = serde_json::Serializer::pretty(&mut out);
            serializer.collect_seq(records)?;
            out.write_all(b"\n")?;
        }
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

/// Gives a record of copy `n` its own id, and its reference to a meeting the same suffix.
fn renamed(record: &Ordered, n: usize) -> Ordered {
    let mut record = record.clone();
    if let Ordered::Object(entries) = &mut record {
        for (key, value) in entries {
            if let ("id" | "decided_at", Ordered::String(s)) = (key.as_str(), value) {
                s.push_str(&format!("~{n}"));
            }
        }
    }
    record
}

/// A JSON value that keeps its keys in the order of the export, as a records system writes them
/// (`serde_json::Value` sorts them, and its `preserve_order` feature would change the crate under
/// test too).
#[derive(Clone)]
enum Ordered {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    fn field(&self, name: &str) -> Option<&Ordered> {
        match self {
            Ordered::Object(entries) => entries.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ordered::Null => s.serialize_unit(),
            Ordered::Bool(b) => s.serialize_bool(*b),
            Ordered::Number(n) => n.serialize(s),
            Ordered::String(t) => s.serialize_str(t),
            Ordered::Array(items) => s.collect_seq(items),
            Ordered::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Ordered, E> {
        Ok(Ordered::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Ordered, E> {
        Ok(Ordered::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Ordered, E> {
        Ok(Ordered::Number(n.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Ordered, E> {
        serde_json::Number::from_f64(n)
            .map(Ordered::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }
    fn visit_str<E>(self, s: &str) -> Result<Ordered, E> {
        Ok(Ordered::String(s.to_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Ordered::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Ordered::Object(entries))
    }
}

/// What one size and layout measured.
struct Row {
    records: usize,
    layout: Layout,
    bytes: u64,
    baseline: Duration,
    all_cores: Run,
    one_thread: Run,
    findings: usize,
}

/// The best time and the largest peak memory of one way of running the command.
struct Run {
    time: Duration,
    peak_rss: u64,
}

fn measure(
    bin: &Path,
    root: &Path,
    dir: &Path,
    layout: Layout,
    records: usize,
    runs: usize,
) -> Row {
    let files = layout_files(dir, layout);
    let bytes = files
        .iter()
        .map(|f| fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let out_dir = root.join("out");
    fs::create_dir_all(&out_dir)
        .unwrap_or_else(|e| fail(&format!("cannot create `{}`: {e}", out_dir.display())));
    let all_out = out_dir.join("all-cores.json");
    let one_out = out_dir.join("one-thread.json");

    let mut baseline = Duration::MAX;
    let mut all_cores = Run {
        time: Duration::MAX,
        peak_rss: 0,
    };
    let mut one_thread = Run {
        time: Duration::MAX,
        peak_rss: 0,
    };
    let mut findings = 0;
    for run in 0..runs {
        eprintln!("{records} records, {layout}: run {} of {runs}", run + 1);
        let started = Instant::now();
        let parsed = parse_only(&files);
        baseline = baseline.min(started.elapsed());
        if parsed != records {
            fail(&format!(
                "the baseline parsed {parsed} records in `{}`, not {records}",
                dir.display()
            ));
        }
        for (threads, out, best) in [
            (None, &all_out, &mut all_cores),
            (Some(1), &one_out, &mut one_thread),
        ] {
            let (time, peak_rss) = check(bin, dir, threads, out);
            best.time = best.time.min(time);
            best.peak_rss = best.peak_rss.max(peak_rss);
        }
        findings = same_report(&all_out, &one_out, records);
    }
    eprintln!(
        "  baseline {:.3} s, all cores {:.3} s, one thread {:.3} s",
        baseline.as_secs_f64(),
        all_cores.time.as_secs_f64(),
        one_thread.time.as_secs_f64()
    );
    Row {
        records,
        layout,
        bytes,
        baseline,
        all_cores,
        one_thread,
        findings,
    }
}

fn layout_files(dir: &Path, layout: Layout) -> Vec<PathBuf> {
    let extension = match layout {
        Layout::Lines => "jsonl",
        Layout::Arrays => "json",
    };
    FAMILIES
        .iter()
        .map(|f| dir.join(format!("{f}.{extension}")))
        .collect()
}

/// The baseline: every file read and parsed into JSON values on this one thread; the number of
/// records parsed.
fn parse_only(files: &[PathBuf]) -> usize {
    let mut records = 0;
    for path in files {
        let cannot = |e: &dyn fmt::Display| -> ! {
            fail(&format!("baseline: cannot read `{}`: {e}", path.display()))
        };
        if path.extension().is_some_and(|e| e == "jsonl") {
            let file = File::open(path).unwrap_or_else(|e| cannot(&e));
            let mut reader = BufReader::with_capacity(1 << 20, file);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) if line.trim().is_empty() => {}
                    Ok(_) => {
                        let value: Json =
                            serde_json::from_str(&line).unwrap_or_else(|e| cannot(&e));
                        std::hint::black_box(&value);
                        records += 1;
                    }
                    Err(e) => cannot(&e),
                }
            }
        } else {
            let text = fs::read(path).unwrap_or_else(|e| cannot(&e));
            let mut de = serde_json::Deserializer::from_slice(&text);
            records += Elements
                .deserialize(&mut de)
                .and_then(|n| de.end().map(|()| n))
                .unwrap_or_else(|e| cannot(&e));
        }
    }
    records
}

/// Parses a JSON array one element at a time, each into a `Value` that is dropped before the
/// next, and counts them.
struct Elements;

impl<'de> DeserializeSeed<'de> for Elements {
    type Value = usize;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<usize, D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0;
        while let Some(value) = seq.next_element::<Json>()? {
            std::hint::black_box(&value);
            n += 1;
        }
        Ok(n)
    }
}

/// Set in the environment of this program run again as a small runner of one `bylaw check`.
const RUNNER: &str = "BYLAW_SCALE_RUNNER";

/// Runs `bylaw check` on `dir`, through a runner (this program run again, small), so that the
/// peak memory measured is the command's own: a child spawned with `vfork` (as `Command` does)
/// is charged, on Linux, the peak resident set of the process that spawned it, and this one
/// grows while it parses the baseline's JSON arrays and reads the reports. Its wall time and
/// its peak resident set, in bytes.
fn check(bin: &Path, dir: &Path, threads: Option<usize>, out: &Path) -> (Duration, u64) {
    let exe = std::env::current_exe()
        .unwrap_or_else(|e| fail(&format!("cannot find the benchmark's own program: {e}")));
    let mut command = Command::new(exe);
    command.env(RUNNER, "1").arg(bin).arg(dir).arg(out);
    if let Some(n) = threads {
        command.arg(n.to_string());
    }
    let output = command
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run the runner: {e}")));
    let said = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<u64> = said
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    match (output.status.success(), numbers.as_slice()) {
        (true, &[nanos, peak_rss]) => (Duration::from_nanos(nanos), peak_rss),
        _ => fail(&format!(
            "the runner failed: {}{}",
            said,
            String::from_utf8_lossy(&output.stderr)
        )),
    }
}

/// The runner: `BIN DIR OUT [THREADS]`; prints the wall time in nanoseconds and the peak
/// resident set in bytes of `BIN check DIR`.
fn runner() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let [bin, dir, out, rest @ ..] = args.as_slice() else {
        fail("the runner takes BIN DIR OUT [THREADS]");
    };
    let threads = rest
        .first()
        .map(|n| (n.to_str().and_then(|n| n.parse().ok())).unwrap_or_else(|| fail("threads")));
    let (time, peak_rss) = run_check(Path::new(bin), Path::new(dir), threads, Path::new(out));
    println!("{} {peak_rss}", time.as_nanos());
}

/// Runs `bylaw check` on `dir` as a child process; its wall time and its own peak resident set,
/// in bytes.
fn run_check(bin: &Path, dir: &Path, threads: Option<usize>, out: &Path) -> (Duration, u64) {
    let mut command = Command::new(bin);
    command
        .arg("check")
        .arg(dir)
        .args(["--format", "json", "-o"])
        .arg(out);
    if let Some(n) = threads {
        command.args(["--threads", &n.to_string()]);
    }
    let started = Instant::now();
    // Reaped by `wait4` below, which gives the child's own usage; `Child::wait` would not.
    #[allow(clippy::zombie_processes)]
    let child = command
        .spawn()
        .unwrap_or_else(|e| fail(&format!("cannot run `{}`: {e}", bin.display())));
    let (status, peak_rss) = wait4(child.id());
    let time = started.elapsed();
    if status != Some(1) {
        fail(&format!(
            "`bylaw check {}` exited with {status:?}, not 1 (the export has planted findings)",
            dir.display()
        ));
    }
    (time, peak_rss)
}

/// Waits for the child `pid`; its exit code (none if a signal ended it) and its own maximum
/// resident set in bytes. `wait4` gives that child's usage alone, where `getrusage` of all
/// children would give the largest of every child so far.
fn wait4(pid: u32) -> (Option<i32>, u64) {
    let pid = libc::pid_t::try_from(pid).unwrap_or_else(|_| fail("child pid out of range"));
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for writes for the call's duration; `pid` is our
        // own child, spawned and not yet waited for (the `Child` handle is never waited on).
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if waited == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            fail(&format!("cannot wait for the child: {error}"));
        }
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    // Linux gives `ru_maxrss` in KiB.
    let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    (code, peak)
}

/// Checks that both reports are the same bytes, with every record counted and no bad input; the
/// number of findings.
fn same_report(all_cores: &Path, one_thread: &Path, records: usize) -> usize {
    let read = |p: &Path| {
        fs::read(p).unwrap_or_else(|e| fail(&format!("cannot read `{}`: {e}", p.display())))
    };
    let report = read(all_cores);
    if report != read(one_thread) {
        fail("the report on one thread differs from the report on all cores");
    }
    let report: Json = serde_json::from_slice(&report)
        .unwrap_or_else(|e| fail(&format!("the JSON report does not parse: {e}")));
    let summary = |field: &str| report["summary"][field].as_u64();
    if summary("records") != Some(records as u64) {
        fail(&format!(
            "the report counts {:?} records, not {records}",
            summary("records")
        ));
    }
    if summary("bad_inputs") != Some(0) {
        fail(&format!(
            "the report counts {:?} bad inputs",
            summary("bad_inputs")
        ));
    }
    report["findings"].as_array().map_or(0, Vec::len)
}

/// The Markdown table for the README.
fn table(rows: &[Row], runs: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| records | layout | input | baseline: parse, 1 thread | `check`, all cores | \
         `check --threads 1` | peak memory, all cores | peak memory, 1 thread | \
         bytes per further record (all cores) | findings |"
    );
    let _ = writeln!(
        out,
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (i, row) in rows.iter().enumerate() {
        let ratio = |d: Duration| d.as_secs_f64() / row.baseline.as_secs_f64();
        // Against the same layout at the previous size.
        let further = rows[..i]
            .iter()
            .rev()
            .find(|r| r.layout == row.layout && r.records < row.records)
            .map_or("—".to_string(), |previous| {
                let rss = row.all_cores.peak_rss as f64 - previous.all_cores.peak_rss as f64;
                let per_record = (rss / (row.records - previous.records) as f64).round();
                let sign = if per_record < 0.0 { "−" } else { "" };
                format!(
                    "{sign}{} (from {})",
                    thousands(per_record.abs() as usize),
                    thousands(previous.records)
                )
            });
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} MiB | {} | {} ({:.2}×) | {} ({:.2}×) | {:.0} MiB | {:.0} MiB | {} | {} |",
            thousands(row.records),
            row.layout,
            mib(row.bytes),
            seconds(row.baseline),
            seconds(row.all_cores.time),
            ratio(row.all_cores.time),
            seconds(row.one_thread.time),
            ratio(row.one_thread.time),
            mib(row.all_cores.peak_rss),
            mib(row.one_thread.peak_rss),
            further,
            thousands(row.findings),
        );
    }
    let _ = write!(
        out,
        "\nTimes: best of {runs}; ratios against the baseline of the same run. Peak memory: the \
         maximum resident set of the `bylaw` process."
    );
    out
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// FNV-1a: enough to tell that the export changed, with no dependency.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
