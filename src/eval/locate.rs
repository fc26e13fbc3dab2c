//! A raw finding located: the JSON nodes evaluation blamed turned into places in the record's
//! own text, giving a typed [`Finding`] (or, for a record a rule could not judge, a
//! [`BadInput`]).

use std::sync::Arc;

use crate::json::Json;

use super::value::Origin;
use super::{Blame, EvalError, RawFinding};
use crate::check::RuleDef;
use crate::diagnostic::{Label, Severity};
use crate::finding::{BadInput, Finding, Site, SiteText};
use crate::records::pointer::{Pointer, PointerIndex};
use crate::records::{Place, RecordLocator, Refetch};
use crate::source::{SourceFile, Span};

/// One record as findings are located in it: the pointers of the nodes evaluation blamed (by
/// identity) and their places in the record's text, each found once for all the record's
/// findings, so a rule blaming thousands of elements walks the record once, not once for each.
pub struct RecordPlaces<'r> {
    record: &'r Json,
    pub place: Place,
    pub source: &'r Arc<SourceFile>,
    /// Where the record's findings read its text again when they are shown; `None` for a text
    /// they hold (a whole file read at once). Cloned only for a finding: most records have none.
    again: Option<&'r Refetch>,
    pointers: PointerIndex<'r>,
    locator: RecordLocator<'r>,
    /// The record's earliest event date ([`super::earliest_event`]), which its findings keep.
    date: Option<jiff::civil::Date>,
}

impl<'r> RecordPlaces<'r> {
    pub fn new(
        record: &'r Json,
        place: Place,
        source: &'r Arc<SourceFile>,
        again: Option<&'r Refetch>,
        date: Option<jiff::civil::Date>,
    ) -> RecordPlaces<'r> {
        RecordPlaces {
            record,
            place,
            source,
            again,
            pointers: PointerIndex::new(record),
            locator: RecordLocator::new(source, place),
            date,
        }
    }

    /// The pointer of a blamed place (the missing field's, for a field that is not there).
    fn pointer_of(&self, origin: Origin<'_>) -> Pointer {
        let found = |node| self.pointers.pointer_of(node).unwrap_or_default();
        match origin {
            Origin::Node(node) => found(node),
            Origin::Missing(parent, field) => found(parent).key(field),
            Origin::None => Pointer::root(),
        }
    }
}

/// Turns a raw finding into a located one on the record file's own text.
pub fn locate(rule: &RuleDef, raw: RawFinding<'_>, at: &RecordPlaces<'_>) -> Box<Finding> {
    let (record, source) = (at.record, at.source);
    let id = record.get("id").and_then(Json::as_str).map(str::to_string);
    let mut labels = Vec::with_capacity(raw.blame.len());
    let mut primary: Option<(Pointer, Span)> = None;
    for blame in &raw.blame {
        let pointer = at.pointer_of(blame.origin);
        let span = at
            .locator
            .locate(&pointer)
            .map_or(Span::new(0, 0), |l| l.span);
        if blame.primary && primary.is_none() {
            primary = Some((pointer.clone(), span));
        }
        labels.push(if blame.primary {
            Label::primary(span, blame.text.clone())
        } else {
            Label::secondary(span, blame.text.clone())
        });
    }
    let (pointer, span) = primary.unwrap_or_else(|| (Pointer::root(), Span::new(0, 0)));
    let (line, column) = source.line_column(span.start);
    Box::new(Finding {
        rule: rule.id.clone(),
        article: rule.article,
        severity: raw.severity,
        waived: false,
        message: raw.message,
        record: id,
        file: Some(source.name.clone()),
        line: Some(line),
        column: Some(column),
        pointer: Some(pointer.to_string()),
        period: None,
        group: None,
        counted: Vec::new(),
        fingerprint: Box::default(),
        new: None,
        // A rule has far fewer requirements than a `u32` counts.
        require: raw.require.and_then(|index| u32::try_from(index).ok()),
        place: Some(Site {
            text: at.again.map_or_else(
                || SiteText::Held(source.clone()),
                |again| SiteText::Again(again.clone()),
            ),
            labels,
            elsewhere: Vec::new(),
            date: at.date,
        }),
        runs: None,
    })
}

/// A record that a rule could not judge (a date outside the calendar, say) is bad input.
pub fn unjudgeable(rule: &RuleDef, e: EvalError<'_>, at: &RecordPlaces<'_>) -> BadInput {
    let raw = RawFinding {
        require: None,
        severity: Severity::Error,
        message: e.message.clone(),
        blame: vec![Blame::primary(e.origin, "cannot be judged".into())],
    };
    let located = locate(rule, raw, at);
    let span = (located.place.as_ref())
        .and_then(Site::primary_span)
        .unwrap_or_default();
    BadInput::at(
        at.source,
        span,
        format!("rule {} cannot judge this record: {}", rule.id, e.message),
        "bad-input::unjudgeable",
        "cannot be judged",
        None,
    )
}

/// A record's id, as reports name it.
pub fn record_id(record: &Json) -> String {
    record
        .get("id")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string()
}
