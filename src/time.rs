//! Dates and datetimes as the records contract writes them, parsed strictly.
//!
//! A `date` is `YYYY-MM-DD`; a `datetime` is RFC 3339 with an offset. An impossible date or a
//! datetime without an offset is refused, with a reason a user can act on.

use std::cell::{OnceCell, RefCell};
use std::fmt;
use std::marker::PhantomData;

use crate::json::Json;
use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use jiff::Timestamp;

use crate::types::ShapeId;

/// An instant together with the offset the record wrote it in, so that wall-clock questions
/// ("Monday morning") are answered in that offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateTime {
    pub timestamp: Timestamp,
    #[serde(with = "offset_seconds")]
    pub offset: Offset,
}

impl DateTime {
    /// The wall-clock date and time in the record's own offset.
    pub fn civil(&self) -> jiff::civil::DateTime {
        self.offset.to_datetime(self.timestamp)
    }

    /// The calendar date in the record's own offset.
    pub fn date(&self) -> Date {
        self.civil().date()
    }
}

/// The wall-clock time with the offset it was written in, `2011-08-01 09:00+08:00`: two times
/// written in different offsets are compared in messages, and without the offsets the same
/// instant would look like two unrelated hours.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let civil = self.civil();
        let seconds = self.offset.seconds();
        let sign = if seconds < 0 { '-' } else { '+' };
        let minutes = seconds.unsigned_abs() / 60;
        write!(
            f,
            "{} {:02}:{:02}{sign}{:02}:{:02}",
            civil.date(),
            civil.hour(),
            civil.minute(),
            minutes / 60,
            minutes % 60
        )
    }
}

fn digits(s: &[u8], at: usize, n: usize) -> Option<i32> {
    let part = s.get(at..at + n)?;
    part.iter().try_fold(0i32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + i32::from(b - b'0'))
    })
}

fn expect(s: &[u8], at: usize, c: u8) -> Result<(), String> {
    match s.get(at) {
        Some(&b) if b == c => Ok(()),
        _ => Err(format!("expected `{}` at character {}", c as char, at + 1)),
    }
}

/// Parses `YYYY-MM-DD`, refusing impossible dates such as `2011-02-30`.
pub fn parse_date(text: &str) -> Result<Date, String> {
    counters::parsed();
    let s = text.as_bytes();
    if s.len() != 10 {
        return Err("expected the form YYYY-MM-DD".into());
    }
    date_at(s)
}

fn date_at(s: &[u8]) -> Result<Date, String> {
    let shape = || "expected the form YYYY-MM-DD".to_string();
    let year = digits(s, 0, 4).ok_or_else(shape)?;
    expect(s, 4, b'-').map_err(|_| shape())?;
    let month = digits(s, 5, 2).ok_or_else(shape)?;
    expect(s, 7, b'-').map_err(|_| shape())?;
    let day = digits(s, 8, 2).ok_or_else(shape)?;
    Date::new(year as i16, month as i8, day as i8).map_err(|_| {
        match Date::new(year as i16, month as i8, 1) {
            Ok(first) => format!(
                "{} has only {} days",
                month_name(first),
                first.days_in_month()
            ),
            Err(_) => format!("there is no month {month:02}"),
        }
    })
}

fn month_name(date: Date) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// Parses an RFC 3339 datetime with an offset (`Z` or `±HH:MM`).
pub fn parse_datetime(text: &str) -> Result<DateTime, String> {
    counters::parsed();
    let s = text.as_bytes();
    let date = date_at(s)?;
    if !matches!(s.get(10), Some(b'T' | b't' | b' ')) {
        return Err("expected `T` between date and time".into());
    }
    let shape = || "expected the time as HH:MM:SS".to_string();
    let hour = digits(s, 11, 2).ok_or_else(shape)?;
    expect(s, 13, b':')?;
    let minute = digits(s, 14, 2).ok_or_else(shape)?;
    expect(s, 16, b':')?;
    let second = digits(s, 17, 2).ok_or_else(shape)?;
    let mut at = 19;
    let mut nanos = 0i32;
    if s.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while s.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return Err("expected digits after the decimal point of the seconds".into());
        }
        let frac = std::str::from_utf8(&s[start..at]).unwrap_or("0");
        let padded = format!("{frac:0<9}");
        nanos = padded.get(..9).and_then(|p| p.parse().ok()).unwrap_or(0);
    }
    let time = Time::new(hour as i8, minute as i8, second as i8, nanos)
        .map_err(|_| format!("{hour:02}:{minute:02}:{second:02} is not a time of day"))?;
    let offset = match s.get(at) {
        Some(b'Z' | b'z') if s.len() == at + 1 => Offset::UTC,
        Some(&sign @ (b'+' | b'-')) if s.len() == at + 6 => {
            let h = digits(s, at + 1, 2).ok_or("expected the offset as ±HH:MM")?;
            expect(s, at + 3, b':')?;
            let m = digits(s, at + 4, 2).ok_or("expected the offset as ±HH:MM")?;
            // RFC 3339: the offset's hour is 00–23 and its minute 00–59.
            if h > 23 || m > 59 {
                return Err(format!(
                    "the offset {}{h:02}:{m:02} is out of range: hours run 00–23, minutes 00–59",
                    sign as char
                ));
            }
            let seconds = (h * 3600 + m * 60) * if sign == b'-' { -1 } else { 1 };
            Offset::from_seconds(seconds).map_err(|_| "the offset is out of range".to_string())?
        }
        None => return Err("the datetime has no offset; write it as e.g. `+08:00`".into()),
        Some(_) => return Err("expected an offset such as `+08:00` or `Z` at the end".into()),
    };
    let timestamp = offset
        .to_timestamp(date.to_datetime(time))
        .map_err(|_| "the datetime is out of range".to_string())?;
    Ok(DateTime { timestamp, offset })
}

/// What a string of a record reads as. A date is exactly `YYYY-MM-DD` (10 characters) and a
/// datetime is longer, so a string is at most one of them and one decode answers both questions:
/// "is it a date?" and "is it a datetime?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporal {
    Date(Date),
    DateTime(DateTime),
    Neither,
}

impl Temporal {
    /// Decodes `text`: a date if it is one, else a datetime if it is one.
    pub fn of(text: &str) -> Temporal {
        if text.len() == 10 {
            parse_date(text).map_or(Temporal::Neither, Temporal::Date)
        } else {
            parse_datetime(text).map_or(Temporal::Neither, Temporal::DateTime)
        }
    }

    /// The date, for a string that is one.
    pub fn date(self) -> Option<Date> {
        match self {
            Temporal::Date(d) => Some(d),
            _ => None,
        }
    }

    /// The datetime, for a string that is one.
    pub fn datetime(self) -> Option<DateTime> {
        match self {
            Temporal::DateTime(d) => Some(d),
            _ => None,
        }
    }
}

/// The dates and datetimes of one record, each decoded once however many readers want it:
/// validation, which decodes every date it checks, then every rule on the record, the periodic
/// counts and the event dates. A record has many rules on its type, and each would otherwise
/// parse the same strings again.
///
/// Keyed by the address of the JSON node: a record's value is not changed while it is judged,
/// and the store borrows its nodes for `'r`, so no address is reused while the store lives.
///
/// It also holds the record's own fields by their position in its type
/// (`policy.shapes[shape].fields`), found by validation in its one pass over the record's keys,
/// so that each rule's read of a field of the record is an index rather than a lookup by name in
/// the record's map.
#[derive(Default)]
pub struct Decoded<'r> {
    by_node: RefCell<ByNode>,
    fields: OnceCell<Fields<'r>>,
    nodes: PhantomData<&'r Json>,
}

/// The top-level fields of one record of one type: the value of each declared field, by its
/// position in the type, or `None` where the record does not have it.
struct Fields<'r> {
    /// The address of the record the fields were found in: a read for another value (never made
    /// while the store is one record's, but cheap to rule out) is answered by a lookup instead.
    record: usize,
    shape: ShapeId,
    nodes: Box<[Option<&'r Json>]>,
}

impl<'r> Decoded<'r> {
    /// What the string at `node` reads as, decoded on its first read in this record; `Neither`
    /// for a node that is not a string.
    pub fn temporal(&self, node: &Json) -> Temporal {
        let Some(text) = node.as_str() else {
            return Temporal::Neither;
        };
        let key = std::ptr::from_ref(node) as usize;
        if let Some(known) = self.by_node.borrow().get(key) {
            return known;
        }
        let decoded = Temporal::of(text);
        self.keep(node, decoded);
        decoded
    }

    /// The date at `node`, if it is one.
    pub fn date(&self, node: &Json) -> Option<Date> {
        self.temporal(node).date()
    }

    /// The datetime at `node`, if it is one.
    pub fn datetime(&self, node: &Json) -> Option<DateTime> {
        self.temporal(node).datetime()
    }

    /// The value of the field at `index` of type `shape` in `record`: `Some(None)` when the
    /// record does not have it, `None` when the store cannot say (validation did not find the
    /// record's fields, as for a record read again for the set's rules, or the store holds another
    /// record's or another type's fields), and the caller looks the field up by name.
    pub fn field(&self, record: &Json, shape: ShapeId, index: usize) -> Option<Option<&'r Json>> {
        let fields = self.fields.get()?;
        if fields.record != std::ptr::from_ref(record) as usize || fields.shape != shape {
            return None;
        }
        fields.nodes.get(index).copied()
    }

    /// Keeps the values validation found of the declared fields of `record`, of type `shape`,
    /// by their position in the type; the first fields kept are the store's.
    pub(crate) fn keep_fields(&self, record: &'r Json, shape: ShapeId, nodes: &[Option<&'r Json>]) {
        // A store is one record's, whose fields validation finds once: a second call (which
        // nothing makes) is ignored rather than trusted.
        let _ = self.fields.set(Fields {
            record: std::ptr::from_ref(record) as usize,
            shape,
            nodes: nodes.into(),
        });
    }

    /// Keeps what was decoded of the string at `node` (by validation, which parses it to check
    /// it), so that no reader decodes it again.
    pub(crate) fn keep(&self, node: &Json, decoded: Temporal) {
        let key = std::ptr::from_ref(node) as usize;
        if self.by_node.borrow_mut().insert(key, decoded) {
            counters::node_decoded();
        }
    }
}

/// What was decoded of each string of one record, by the string's address. A record holds a few
/// dates, compared in a short list; one that holds many (a meeting with thousands of sign-in
/// times) has them looked up in a map instead, so that no record costs its dates squared.
#[derive(Default)]
struct ByNode {
    few: Vec<(usize, Temporal)>,
    many: Option<foldhash::HashMap<usize, Temporal>>,
}

/// Beyond this many, a record's decoded strings are kept in a map.
const FEW_NODES: usize = 32;

/// The room a record's first decoded string makes for them: most records have fewer.
const FEW_AT_ONCE: usize = 8;

impl ByNode {
    fn get(&self, key: usize) -> Option<Temporal> {
        match &self.many {
            Some(many) => many.get(&key).copied(),
            None => self.few.iter().find(|(k, _)| *k == key).map(|(_, t)| *t),
        }
    }

    /// Keeps `decoded` for `key`; whether it is new.
    fn insert(&mut self, key: usize, decoded: Temporal) -> bool {
        if let Some(many) = &mut self.many {
            return many.insert(key, decoded).is_none();
        }
        if let Some(kept) = self.few.iter_mut().find(|(k, _)| *k == key) {
            kept.1 = decoded;
            return false;
        }
        if self.few.len() < FEW_NODES {
            // Room for a record's usual dates at once, rather than growing by 4, 8 (10k
            // records: 15k fewer allocations).
            if self.few.capacity() == 0 {
                self.few.reserve_exact(FEW_AT_ONCE);
            }
            self.few.push((key, decoded));
        } else {
            let mut many: foldhash::HashMap<usize, Temporal> = self.few.drain(..).collect();
            many.insert(key, decoded);
            self.many = Some(many);
        }
        true
    }
}

/// A record's store as the environments of its rules read it. Those borrow the policy and the
/// record set for less long than the store borrows the record, and a store that keeps the
/// record's nodes cannot be seen as borrowing them for less long (its nodes could then be
/// replaced by shorter-lived ones): the environments hold it as this trait object instead.
pub trait RecordStore<'a> {
    /// What the string at `node` reads as; see [`Decoded::temporal`].
    fn temporal(&self, node: &'a Json) -> Temporal;

    /// The value of a field of the record itself, by its position in the record's type; see
    /// [`Decoded::field`].
    fn field(&self, record: &'a Json, shape: ShapeId, index: usize) -> Option<Option<&'a Json>>;

    /// The date at `node`, if it is one.
    fn date(&self, node: &'a Json) -> Option<Date> {
        self.temporal(node).date()
    }

    /// The datetime at `node`, if it is one.
    fn datetime(&self, node: &'a Json) -> Option<DateTime> {
        self.temporal(node).datetime()
    }
}

impl<'a, 'r: 'a> RecordStore<'a> for Decoded<'r> {
    fn temporal(&self, node: &'a Json) -> Temporal {
        Decoded::temporal(self, node)
    }

    fn field(&self, record: &'a Json, shape: ShapeId, index: usize) -> Option<Option<&'a Json>> {
        Decoded::field(self, record, shape, index)
    }
}

/// How often dates and datetimes are decoded, counted in test builds (where debug assertions are
/// on) so that a test can show each decoded once per record; nothing in release builds.
pub mod counters {
    use crate::counter::Counter;

    static PARSED: Counter = Counter::new();
    static NODES: Counter = Counter::new();

    #[inline]
    pub(super) fn parsed() {
        PARSED.add();
    }

    #[inline]
    pub(super) fn node_decoded() {
        NODES.add();
    }

    /// Strings parsed as a date or a datetime since the process started, wherever they came
    /// from (always 0 in a release build).
    pub fn dates_parsed() -> usize {
        PARSED.get()
    }

    /// Nodes of records decoded since the process started, each counted once per record's
    /// [`Decoded`](super::Decoded) store (always 0 in a release build).
    pub fn nodes_decoded() -> usize {
        NODES.get()
    }
}

#[cfg(test)]
mod tests {
    /// Kept in a list up to `FEW_NODES`, in a map past them: each string found, once each.
    #[test]
    fn decoded_strings_are_kept_once_each_however_many() {
        let mut kept = super::ByNode::default();
        let day = |n: i8| super::Temporal::Date(jiff::civil::date(2011, 7, n));
        for key in 0..100usize {
            assert!(kept.insert(key * 8, day(1)), "{key} is new");
            assert!(!kept.insert(key * 8, day(2)), "{key} is kept already");
            assert_eq!(kept.many.is_some(), key >= super::FEW_NODES, "{key}");
            for earlier in 0..=key {
                assert_eq!(kept.get(earlier * 8), Some(day(2)), "{earlier} of {key}");
            }
            assert_eq!(kept.get(key * 8 + 1), None);
        }
    }

    #[test]
    fn offsets_and_fractions_out_of_rfc_3339_are_refused() {
        for bad in [
            "2011-07-11T09:00:00+25:00",
            "2011-07-11T09:00:00-24:00",
            "2011-07-11T09:00:00+08:60",
            "2011-07-11T09:00:00.+08:00",
        ] {
            assert!(super::parse_datetime(bad).is_err(), "{bad}");
        }
        assert_eq!(
            super::parse_datetime("2011-07-11T09:00:00+25:00"),
            Err("the offset +25:00 is out of range: hours run 00–23, minutes 00–59".into())
        );
        assert!(super::parse_datetime("2011-07-11T09:00:00-23:59").is_ok());
        assert!(super::parse_datetime("2011-07-11T09:00:00.5+08:00").is_ok());
    }

    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2011-07-13").unwrap(),
            Date::new(2011, 7, 13).unwrap()
        );
        assert_eq!(
            parse_date("2011-02-30").unwrap_err(),
            "2011-02 has only 28 days"
        );
        assert_eq!(
            parse_date("2011-13-01").unwrap_err(),
            "there is no month 13"
        );
        assert!(parse_date("2011-7-13").is_err());
        assert!(parse_date("2011-07-13T00:00:00+08:00").is_err());
    }

    #[test]
    fn datetimes_keep_their_offset() {
        let dt = parse_datetime("2011-07-11T23:30:00-05:00").unwrap();
        assert_eq!(dt.date(), Date::new(2011, 7, 11).unwrap());
        assert_eq!(dt.civil().hour(), 23);
        assert_eq!(
            parse_datetime("2011-07-11T09:00:00Z").unwrap().offset,
            Offset::UTC
        );
        assert_eq!(
            parse_datetime("2011-07-11T09:00:00.250+08:00")
                .unwrap()
                .civil()
                .subsec_nanosecond(),
            250_000_000
        );
    }

    /// A string is a date, a datetime or neither, as the two parsers say: one decode answers both.
    #[test]
    fn one_decode_answers_date_and_datetime() {
        for text in [
            "2011-07-13",
            "2011-02-30",
            "2011-07-13T09:00:00+08:00",
            "2011-07-13T09:00:00",
            "2011-07-13 09:00:00.5Z",
            "2011-7-13",
            "",
            "yesterday",
        ] {
            let decoded = Temporal::of(text);
            assert_eq!(decoded.date(), parse_date(text).ok(), "{text}");
            assert_eq!(decoded.datetime(), parse_datetime(text).ok(), "{text}");
        }
    }

    /// What validation keeps of a node is what every later read of that node gets, without a
    /// second decode; another node with the same text is another value of the record.
    #[test]
    fn a_kept_node_is_not_decoded_again() {
        let record: Json =
            serde_json::json!({"start": "2011-07-13", "end": "2011-07-13", "n": 3}).into();
        let decoded = Decoded::default();
        let kept = Date::new(2000, 1, 1).unwrap();
        decoded.keep(&record["start"], Temporal::Date(kept));
        assert_eq!(decoded.date(&record["start"]), Some(kept));
        assert_eq!(decoded.date(&record["end"]), Date::new(2011, 7, 13).ok());
        assert_eq!(decoded.datetime(&record["end"]), None);
        assert_eq!(decoded.temporal(&record["n"]), Temporal::Neither);
    }

    #[test]
    fn datetimes_refused() {
        assert!(parse_datetime("2011-07-11T09:00:00")
            .unwrap_err()
            .contains("no offset"));
        assert!(parse_datetime("2011-02-30T09:00:00+08:00")
            .unwrap_err()
            .contains("28 days"));
        assert!(parse_datetime("2011-07-11T25:00:00+08:00").is_err());
        assert!(parse_datetime("2011-07-11").is_err());
    }
}

/// An offset in a compiled policy (`check::compiled`), as its seconds east of UTC: jiff writes
/// timestamps and durations but has no serde form for a bare offset.
pub mod offset_seconds {
    use jiff::tz::Offset;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(offset: &Offset, s: S) -> Result<S::Ok, S::Error> {
        offset.seconds().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Offset, D::Error> {
        let seconds = i32::deserialize(d)?;
        Offset::from_seconds(seconds).map_err(serde::de::Error::custom)
    }
}
