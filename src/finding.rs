//! Typed findings: what evaluation found (a rule broken by a record or in a period, input that
//! could not be judged, what was judged and counted), as every report and the language server
//! read them. They hold typed parts and places, never rendered text: one presenter
//! ([`crate::report::present`]) turns a finding into a diagnostic.
//!
//! Below evaluation: this module reads only the stages beneath it (records' places, sources,
//! diagnostics), so evaluation makes findings and the reports read them without either importing
//! the other.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::records::pointer::Pointer;
use crate::records::{locate_in_file, Fragment, Origin, Place, Refetch};
use crate::source::{SourceFile, Span};

/// One violation of one rule.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: String,
    pub article: Option<u32>,
    pub severity: Severity,
    pub waived: bool,
    pub message: String,
    pub record: Option<String>,
    /// The file's name, shared with its records' texts.
    pub file: Option<Arc<str>>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub pointer: Option<String>,
    /// For a finding about a period rather than a record: `2011-08`, `2011-H2`, `2011-W33`.
    pub period: Option<String>,
    /// For a finding of a rule that counts `by` a value: the group's value (`S-7`).
    pub group: Option<String>,
    /// The records a periodic finding counted.
    pub counted: Vec<String>,
    /// Names this finding across runs: see [`crate::audit::fingerprint`]. Set once, when the audit
    /// completes, so every format reads the same value.
    pub fingerprint: Box<str>,
    /// Against a baseline (an earlier report): whether the finding is new (`Some(true)`) or was
    /// already there (`Some(false)`); `None` when no baseline was given.
    pub new: Option<bool>,
    /// The index of the rule's `require` clause that gave the finding, for a record rule; what
    /// `bylaw verify` reads to know that each clause has an example breaking it.
    pub require: Option<u32>,
    /// Where a finding about a record is shown: the record's text and the places blamed in it.
    /// `None` for a finding about a period. The diagnostic is built from it when a format shows
    /// the finding ([`crate::report::present::diagnostic`]), so the message, code and help are not
    /// held twice.
    pub place: Option<Site>,
    /// For a finding about a period: the days the period runs and, for a rule that sums, the total.
    pub runs: Option<Runs>,
}

/// Where a finding about a record is shown: the record's own text and the labelled places in it.
#[derive(Debug, Clone)]
pub struct Site {
    /// The record's text (for JSON Lines, its line), read again when the finding is shown.
    pub text: SiteText,
    /// The places blamed, in the rule's order: a primary label marks what is wrong, a secondary
    /// one what it is wrong against.
    pub labels: Vec<Label>,
    /// Places in other records shown beneath the finding: the first use of a duplicate id.
    pub elsewhere: Vec<Elsewhere>,
    /// The record's earliest event date (a meeting's `start`, a document's `issued`), read when
    /// the finding was located: the month a report counts the finding in, whatever becomes of
    /// the record's file after the audit.
    pub date: Option<jiff::civil::Date>,
}

impl Finding {
    /// Moves what it says of lines `by` lines down its file: what the language server does for
    /// a piece of a document it keeps while lines are added or removed above it (the record's
    /// text and its offsets, in the piece, do not change).
    pub fn shift_lines(&mut self, by: isize) {
        self.line = self.line.map(|line| crate::source::shift_line(line, by));
        if let Some(site) = &mut self.place {
            site.text.shift_lines(by);
            (site.elsewhere.iter_mut()).for_each(|e| e.text.shift_lines(by));
        }
    }
}

impl Site {
    /// The first primary label's span, or the first label's.
    pub fn primary_span(&self) -> Option<Span> {
        Label::primary_span(&self.labels)
    }
}

/// A place in another record that a finding is shown with.
#[derive(Debug, Clone)]
pub struct Elsewhere {
    /// That record's text.
    pub text: SiteText,
    pub span: Span,
    /// What the place is: `first used here`.
    pub label: String,
    /// The note it is shown under: ``first use of `A-1` ``.
    pub note: String,
}

/// The text a finding is shown in. A record's text is not held by its findings but read again
/// from its source when a report shows them: an export's findings would otherwise hold the text
/// of every record they blame until the end of the run (15 MB of the peak at 1M records as JSON
/// Lines, more as pretty-printed arrays); only the human and HTML reports and the language
/// server show it, once per finding.
#[derive(Debug, Clone)]
pub enum SiteText {
    /// A text that is not read again: a whole file read at once (a waivers file), a test's.
    Held(Arc<SourceFile>),
    /// A record read from a source, where it can be read again.
    Again(Refetch),
}

impl SiteText {
    fn shift_lines(&mut self, by: isize) {
        match self {
            SiteText::Held(source) => *source = source.shifted(by),
            SiteText::Again(refetch) => refetch.at.shift_lines(by),
        }
    }

    /// The text, read again if it is not held; `None` if its source no longer reads as it did
    /// (it changed after it was audited). The findings of one record come one after another in
    /// a report, so the texts last read again on each thread are kept for the next: they share
    /// one text, as a long line's windowing needs ([`crate::report`]), and it is read once. Two
    /// are kept, for a finding shown with a place in another record (an id's first use).
    pub fn get(&self) -> Option<Arc<SourceFile>> {
        let refetch = match self {
            SiteText::Held(source) => return Some(source.clone()),
            SiteText::Again(refetch) => refetch,
        };
        READ_AGAIN.with_borrow_mut(|kept| {
            // The origin is held, so no other source takes its address meanwhile.
            let same = |(origin, at, _): &ReadAgain| {
                Arc::ptr_eq(origin, &refetch.origin) && at.same_place(&refetch.at)
            };
            if let Some(found) = kept.iter().position(|k| k.as_ref().is_some_and(same)) {
                kept.swap(0, found);
                return kept[0].as_ref().map(|(_, _, source)| source.clone());
            }
            let source = refetch.fetch()?;
            kept.swap(0, 1);
            kept[0] = Some((refetch.origin.clone(), refetch.at, source.clone()));
            Some(source)
        })
    }
}

/// A text read again, with where it was read.
type ReadAgain = (Arc<Origin>, Fragment, Arc<SourceFile>);

thread_local! {
    /// The texts [`SiteText::get`] last read again on this thread, the latest first.
    static READ_AGAIN: std::cell::RefCell<[Option<ReadAgain>; 2]> =
        const { std::cell::RefCell::new([None, None]) };
}

/// The days a period runs, and the total a rule that sums found in it: what the help of a
/// finding about a period says besides the records counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runs {
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    /// The sum, rendered as the rule's message would render it.
    pub total: Option<String>,
}

/// A rule that judged a record (or a period), whether or not it found anything: what a JUnit
/// report lists as test cases. Collected only when [`crate::audit::Options::trace`] asks for it.
/// One is kept for each rule and record of the set, so it is kept small: the rule by its place,
/// an id inline, the file's name shared by its records.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Judged {
    /// The rule's place in [`crate::check::Policy::rules`].
    pub rule: usize,
    /// The record's id, or the period (`2011-08`).
    pub subject: compact_str::CompactString,
    pub file: Option<std::sync::Arc<str>>,
}

/// What a periodic rule counted in one period it judged, whether or not it found anything: the
/// calendar of the HTML report shows the meetings held against what the article asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub rule: String,
    /// The period's key: `2011-08`, `2011-H2`, `2011-W33`.
    pub period: String,
    /// With `by`: the group's value; a grouped rule has a tally per group that holds a record.
    pub group: Option<String>,
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    /// The ids of the records counted, sorted.
    pub counted: Vec<String>,
    /// What the rule asks: at least `min` and at most `max` records, or with `sum` a total
    /// between them (`u64::MAX`: no most).
    pub min: u64,
    pub max: u64,
}

/// An event date and where it was read: what an inferred period under audit runs between.
#[derive(Debug, Clone)]
pub struct EventDate {
    pub date: jiff::civil::Date,
    pub record: String,
    pub field: String,
    /// The file and the record's place in it, to locate the date when it must be shown.
    pub source: Arc<SourceFile>,
    pub place: Place,
}

impl EventDate {
    /// Moves it `by` lines down its file, as [`Finding::shift_lines`] does.
    pub fn shift_lines(&mut self, by: isize) {
        self.source = self.source.shifted(by);
        self.place = self.place.shifted(by);
    }

    /// The span of the date's value in its file.
    pub fn span(&self) -> Span {
        let pointer = Pointer::root().key(&self.field);
        locate_in_file(&self.source, self.place, &pointer).map_or(Span::new(0, 0), |l| l.span)
    }
}

impl EventDate {
    /// The earlier of two; on a tie the one seen first, so the answer does not depend on threads.
    pub fn earliest(a: Option<EventDate>, b: Option<EventDate>) -> Option<EventDate> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.date < a.date { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// The later of two; on a tie the one seen first.
    pub fn latest(a: Option<EventDate>, b: Option<EventDate>) -> Option<EventDate> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.date > a.date { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

/// Input that could not be judged.
#[derive(Debug, Clone)]
pub struct BadInput {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub diagnostic: Diagnostic,
    /// How many bad inputs this one reports: 1, or, for the line that closes a file's bad
    /// inputs shown, how many more it did not show. The summary counts them all.
    pub count: usize,
}

impl BadInput {
    /// Moves it `by` lines down its file, as [`Finding::shift_lines`] does.
    pub fn shift_lines(&mut self, by: isize) {
        self.line = self.line.map(|line| crate::source::shift_line(line, by));
        self.diagnostic.shift_lines(by);
    }

    /// The line that closes a file's bad inputs shown: `hidden` more were found after `line`.
    pub fn not_shown(file: String, hidden: usize, line: Option<usize>, shown: usize) -> BadInput {
        let after = line.map_or_else(String::new, |line| format!(" after line {line}"));
        let (s, are) = if hidden == 1 {
            ("", "is")
        } else {
            ("s", "are")
        };
        let message = format!(
            "{hidden} more bad input{s}{after} {are} not shown: at most {shown} are shown for a \
             file (--max-bad-inputs); fix these and check again"
        );
        BadInput {
            count: hidden,
            ..BadInput::unlocated(file, message)
        }
    }

    pub fn unlocated(file: String, message: String) -> BadInput {
        let diagnostic = Diagnostic::error("bad-input", format!("{file}: {message}"));
        BadInput {
            file,
            line: None,
            column: None,
            message,
            diagnostic,
            count: 1,
        }
    }

    /// A bad input labelled at `span` of `source`.
    pub fn at(
        source: &Arc<SourceFile>,
        span: Span,
        message: String,
        code: &str,
        label: &str,
        help: Option<String>,
    ) -> BadInput {
        let (line, column) = source.line_column(span.start);
        let mut diagnostic = Diagnostic::error(code, message.clone())
            .in_file(source.clone())
            .with_label(Label::primary(span, label));
        diagnostic.help = help;
        BadInput {
            file: source.name.to_string(),
            line: Some(line),
            column: Some(column),
            message,
            diagnostic,
            count: 1,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub ignored_files: usize,
    pub records: usize,
    pub bad_inputs: usize,
    pub errors: usize,
    pub warnings: usize,
    pub waived: usize,
    /// Against a baseline: the findings it does not hold.
    pub new: Option<usize>,
    /// Against a baseline: its findings that are no longer found.
    pub fixed: Option<usize>,
}

impl Summary {
    pub fn count(&mut self, findings: &[Box<Finding>]) {
        for f in findings {
            if f.waived {
                self.waived += 1;
            } else if f.severity == Severity::Error {
                self.errors += 1;
            } else {
                self.warnings += 1;
            }
        }
    }
}

/// By file, line, column, rule; findings about periods last, in time order. Compares the
/// findings' own texts, copying none: a sort of many findings makes many comparisons.
pub fn contract_order(a: &Finding, b: &Finding) -> Ordering {
    type Key<'f> = (
        bool,
        Option<&'f str>,
        Option<&'f str>,
        Option<&'f str>,
        Option<usize>,
        Option<usize>,
        (u32, u32, &'f str),
        &'f str,
    );
    fn key(f: &Finding) -> Key<'_> {
        (
            f.period.is_some(),
            f.period.as_deref(),
            f.group.as_deref(),
            f.file.as_deref(),
            f.line,
            f.column,
            rule_key(&f.rule),
            f.message.as_str(),
        )
    }
    key(a).cmp(&key(b))
}

/// Rule ids sort numerically: 9.1 < 38.1 < 38.10 < set.1.
fn rule_key(id: &str) -> (u32, u32, &str) {
    let mut parts = id.split('.');
    let article = parts
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(u32::MAX);
    let n = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (article, n, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finding holds typed parts and its place, not a rendered diagnostic: its message, code
    /// and help are held once (the message) or not at all (built when shown), and its record's
    /// text not at all (where to read it again: 40 bytes), only its month's date.
    #[test]
    fn a_finding_holds_no_rendered_text() {
        use std::mem::size_of;
        assert_eq!(size_of::<SiteText>(), 40);
        assert_eq!(size_of::<Option<Site>>(), 96);
        assert_eq!(size_of::<Option<Runs>>(), 32);
        // Each finding is boxed: 384 bytes is an allocator's size class, where 400 took 448
        // (a million-record export with 347,816 findings: 352 → 330 MiB).
        assert_eq!(size_of::<Finding>(), 384);
        assert_eq!(
            size_of::<Diagnostic>(),
            136,
            "what a finding held besides, with its text"
        );
    }
}
