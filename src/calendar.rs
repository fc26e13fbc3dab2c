//! Working days: Monday–Friday, less the official public holidays, plus the official adjusted
//! working days (`shared/spec/rules.md`, "Reading the table").
//!
//! A [`Calendar`] covers whole years `first..=last` and refuses any date outside them
//! ([`CalendarError::OutOfRange`]): outside its years the announcements say nothing, so a checker
//! must not guess. "Within N working days of D" holds for an end date E when
//! `working_days_after(D, E) <= N`: received on a Friday, 3 working days end on the next Wednesday
//! (without holidays).
//!
//! The calendars built into bylaw ([`builtin`]) are embedded from `data/`: a policy imports one by
//! name (`calendar "cn-mainland" builtin`) instead of copying its rows.
//!
//! Lookups are O(1): the calendar keeps, for every day of its years, the number of working days
//! before it (a prefix count), so counting over any span is two table reads. Finding the n-th
//! working day is a binary search over the same table.

use std::fmt;

use jiff::civil::Date;

/// What an official announcement makes of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DayKind {
    /// A day of an official public holiday period: not a working day, whatever its weekday.
    Holiday,
    /// An adjusted working day (调休上班), normally a Saturday or Sunday: a working day.
    Workday,
}

/// A calendar of official holidays and adjusted working days, valid for whole years first..=last.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Calendar {
    name: String,
    first: i16,
    last: i16,
    /// `year_start[i]`: index of 1 January of year `first + i`; the last entry is the day count.
    year_start: Vec<u32>,
    /// `worked_before[i]`: working days among day indexes `0..i`; one entry more than days.
    worked_before: Vec<u32>,
    /// The announced dates inside the years, sorted by date, one entry per date.
    special: Vec<(Date, DayKind)>,
}

/// A question the calendar cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The date lies outside the years the calendar covers.
    #[error(
        "{date} is outside the working-day calendar `{calendar}`, which covers {first}–{last}"
    )]
    OutOfRange {
        date: Date,
        calendar: String,
        first: i16,
        last: i16,
    },
}

/// Years jiff can represent.
const MIN_YEAR: i16 = -9999;
const MAX_YEAR: i16 = 9999;

fn is_leap(year: i16) -> bool {
    let y = i32::from(year);
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

impl Calendar {
    /// Builds a calendar for the years `first_year..=last_year` from the announced days.
    ///
    /// Days outside those years are ignored; when a date is given twice, the last entry wins.
    /// Years are clamped to jiff's range (−9999..=9999); `first_year > last_year` makes a calendar
    /// that refuses every date.
    pub fn new(
        name: impl Into<String>,
        first_year: i16,
        last_year: i16,
        days: impl IntoIterator<Item = (Date, DayKind)>,
    ) -> Calendar {
        let first = first_year.max(MIN_YEAR);
        let last = last_year.min(MAX_YEAR);

        let mut year_start = vec![0u32];
        let mut total = 0u32;
        if first <= last {
            for year in first..=last {
                total += if is_leap(year) { 366 } else { 365 };
                year_start.push(total);
            }
        }

        let mut special: Vec<(Date, DayKind)> = days
            .into_iter()
            .filter(|(date, _)| (first..=last).contains(&date.year()))
            .collect();
        // Stable sort, then keep the last entry of each date.
        special.sort_by_key(|&(date, _)| date);
        special.reverse();
        special.dedup_by_key(|&mut (date, _)| date);
        special.reverse();

        let mut worked_before = Vec::with_capacity(total as usize + 1);
        worked_before.push(0u32);
        if first <= last {
            // Invariant: `first` lies in MIN_YEAR..=MAX_YEAR, so 1 January of it is a valid date.
            let jan1 = Date::new(first, 1, 1).expect("first year is within jiff's range");
            let mut weekday = i64::from(jan1.weekday().to_monday_zero_offset());
            let mut next_special = special.iter().peekable();
            let mut worked = 0u32;
            for (i, year) in (first..=last).enumerate() {
                let start = year_start[i];
                for idx in start..year_start[i + 1] {
                    let mut working = weekday < 5;
                    if let Some(&&(date, kind)) = next_special.peek() {
                        if date.year() == year && (start + date.day_of_year() as u32 - 1) == idx {
                            working = kind == DayKind::Workday;
                            next_special.next();
                        }
                    }
                    worked += u32::from(working);
                    worked_before.push(worked);
                    weekday = (weekday + 1) % 7;
                }
            }
        }

        Calendar {
            name: name.into(),
            first,
            last,
            year_start,
            worked_before,
            special,
        }
    }

    /// The calendar's name, as given to [`Calendar::new`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The first and last year covered, inclusive.
    pub fn years(&self) -> (i16, i16) {
        (self.first, self.last)
    }

    /// How many dates of its years are announced (holidays and adjusted working days).
    pub fn announced_days(&self) -> usize {
        self.special.len()
    }

    fn out_of_range(&self, date: Date) -> CalendarError {
        CalendarError::OutOfRange {
            date,
            calendar: self.name.clone(),
            first: self.first,
            last: self.last,
        }
    }

    /// The day index of `date` (0 = 1 January of the first year).
    fn index(&self, date: Date) -> Result<usize, CalendarError> {
        let year = date.year();
        if year < self.first || year > self.last {
            return Err(self.out_of_range(date));
        }
        let start = self.year_start[(year - self.first) as usize];
        Ok(start as usize + date.day_of_year() as usize - 1)
    }

    /// The date of a day index; `idx` must be below the day count.
    fn date_at(&self, idx: usize) -> Date {
        let i = self.year_start.partition_point(|&s| s as usize <= idx) - 1;
        let year = self.first + i as i16;
        let day_of_year = (idx - self.year_start[i] as usize + 1) as i16;
        // Invariant: `idx` lies in year `year` (within jiff's range) and `day_of_year` is at most
        // that year's length, so the date exists.
        Date::new(year, 1, 1)
            .and_then(|jan1| jan1.with().day_of_year(day_of_year).build())
            .expect("a day index below the day count names a date of a covered year")
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        let idx = self.index(date)?;
        Ok(self.worked_before[idx + 1] > self.worked_before[idx])
    }

    /// Working days in (from, to]: after `from`, up to and including `to`. 0 when to <= from.
    ///
    /// Only the days counted need the calendar (catalogue 1.1, "Working days and the calendar"):
    /// `from` itself may lie outside its years, and nothing is needed when `to <= from`.
    pub fn working_days_after(&self, from: Date, to: Date) -> Result<i64, CalendarError> {
        if to <= from {
            return Ok(0);
        }
        let first_counted = self.index_after(from)?;
        let to_idx = self.index(to)?;
        Ok(i64::from(
            self.worked_before[to_idx + 1] - self.worked_before[first_counted],
        ))
    }

    /// The day index of the day after `from`: the first day a count from `from` looks at.
    fn index_after(&self, from: Date) -> Result<usize, CalendarError> {
        let next = from.tomorrow().map_err(|_| self.out_of_range(from))?;
        self.index(next)
    }

    /// The date on which the n-th working day after `from` falls (n >= 1); the deadline of "within n working days of from".
    ///
    /// An end date E is "within n working days of from" when `working_days_after(from, E) <= n`,
    /// which also holds on any non-working days directly after the returned date. For `n <= 0`
    /// the answer is `from` itself. Like a count, it needs the calendar only from the day after
    /// `from`. When the n-th working day would fall after the last covered year, the error names
    /// 1 January of the following year (or 31 December 9999).
    pub fn nth_working_day_after(&self, from: Date, n: i64) -> Result<Date, CalendarError> {
        if n <= 0 {
            return Ok(from);
        }
        let before = i64::from(self.worked_before[self.index_after(from)?]);
        let total = i64::from(self.worked_before[self.worked_before.len() - 1]);
        if n > total - before {
            let after_end = Date::new(self.last.saturating_add(1), 1, 1).unwrap_or(Date::MAX);
            return Err(self.out_of_range(after_end));
        }
        // The first index k with worked_before[k] == before + n is one past that working day.
        let target = (before + n) as u32;
        let k = self.worked_before.partition_point(|&w| w < target);
        Ok(self.date_at(k - 1))
    }

    /// `from` moved by `n` working days: the n-th working day after it, or for a negative `n` the
    /// |n|-th working day before it; `from` itself for 0. Every day stepped over must lie in the
    /// calendar's years.
    pub fn add_working_days(&self, from: Date, n: i64) -> Result<Date, CalendarError> {
        if n >= 0 {
            return self.nth_working_day_after(from, n);
        }
        let mut left = n.unsigned_abs();
        let mut day = from;
        while left > 0 {
            // Stepping stops at the calendar's first year: `is_working_day` refuses the day before.
            day = day.yesterday().map_err(|_| self.out_of_range(from))?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// The holidays and adjusted workdays in (from, to], for messages that show the computed facts.
    ///
    /// Only announced days inside the covered years exist; empty when to <= from.
    pub fn special_days_between(&self, from: Date, to: Date) -> Vec<(Date, DayKind)> {
        if to <= from {
            return Vec::new();
        }
        let start = self.special.partition_point(|&(d, _)| d <= from);
        let end = self.special.partition_point(|&(d, _)| d <= to);
        self.special[start..end].to_vec()
    }
}

/// A calendar built into bylaw: its name, its years, and its table (`date<TAB>kind<TAB>name`
/// rows under a header, as `data/cn-holidays.md` describes).
struct Builtin {
    name: &'static str,
    /// What the calendar is, for people: whose days, announced by whom.
    about: &'static str,
    first: i16,
    last: i16,
    table: &'static str,
}

/// The calendars built into bylaw, in the order their names are listed.
const BUILTINS: &[Builtin] = &[Builtin {
    name: "cn-mainland",
    about: "the official public holidays and adjusted working days of mainland China, as announced each year by the State Council General Office",
    first: 2010,
    last: 2026,
    table: include_str!("../data/cn-holidays.tsv"),
}];

/// The names of the calendars built into bylaw, for `calendar "…" builtin`.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|b| b.name)
}

/// What the calendar built into bylaw under `name` is, in words (for an editor's hover), if any.
pub fn builtin_about(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|b| b.name == name).map(|b| b.about)
}

/// The calendar built into bylaw under `name` (`cn-mainland`: mainland China, 2010–2026), if any.
pub fn builtin(name: &str) -> Option<Calendar> {
    let found = BUILTINS.iter().find(|b| b.name == name)?;
    Some(Calendar::new(
        found.name,
        found.first,
        found.last,
        table_rows(found.table),
    ))
}

/// The announced days of a built-in table. The tables are part of the binary and a unit test
/// reads every row of each, so a row that does not parse (none does) cannot pass unnoticed.
fn table_rows(table: &str) -> impl Iterator<Item = (Date, DayKind)> + '_ {
    table.lines().skip(1).filter_map(|line| {
        let mut fields = line.split('\t');
        let day: Date = fields.next()?.parse().ok()?;
        let kind = match fields.next()? {
            "holiday" => DayKind::Holiday,
            "workday" => DayKind::Workday,
            _ => return None,
        };
        Some((day, kind))
    })
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("name", &self.name)
            .field("first", &self.first)
            .field("last", &self.last)
            .field("special_days", &self.special.len())
            .finish_non_exhaustive()
    }
}

/// What to write when a policy counts working days without a calendar.
pub const DECLARE_HELP: &str = "import the built-in calendar with `calendar \"cn-mainland\" builtin`, or declare the policy's own holidays and workdays in a `calendar` block";

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const CN_TSV: &str = include_str!("../data/cn-holidays.tsv");

    fn real() -> Calendar {
        let mut lines = CN_TSV.lines();
        assert_eq!(lines.next(), Some("date\tkind\tname"));
        let days = lines.map(|line| {
            let mut fields = line.split('\t');
            let day: Date = fields
                .next()
                .and_then(|d| d.parse().ok())
                .unwrap_or_else(|| panic!("bad date in {line:?}"));
            let kind = match fields.next() {
                Some("holiday") => DayKind::Holiday,
                Some("workday") => DayKind::Workday,
                other => panic!("bad kind {other:?} in {line:?}"),
            };
            assert!(fields.next().is_some_and(|name| !name.is_empty()));
            assert_eq!(fields.next(), None);
            (day, kind)
        });
        Calendar::new("cn-mainland", 2010, 2026, days)
    }

    /// A hand-written calendar: 2024 and 2025, with a made-up holiday week and two workdays.
    fn small() -> Calendar {
        let mut days: Vec<(Date, DayKind)> = (1..=7)
            .map(|d| (date(2024, 10, d), DayKind::Holiday))
            .collect();
        days.push((date(2024, 9, 29), DayKind::Workday)); // Sunday
        days.push((date(2024, 10, 12), DayKind::Workday)); // Saturday
        days.push((date(2023, 10, 3), DayKind::Holiday)); // outside the years: ignored
        Calendar::new("small", 2024, 2025, days)
    }

    fn expected_out_of_range(cal: &Calendar, d: Date) -> CalendarError {
        let (first, last) = cal.years();
        CalendarError::OutOfRange {
            date: d,
            calendar: cal.name().to_string(),
            first,
            last,
        }
    }

    #[test]
    fn every_builtin_row_is_read() {
        for b in BUILTINS {
            let rows = b.table.lines().count() - 1;
            assert_eq!(table_rows(b.table).count(), rows, "{}", b.name);
        }
        assert_eq!(builtin_names().collect::<Vec<_>>(), ["cn-mainland"]);
        assert!(builtin("cn-Mainland").is_none());
        let cal = builtin("cn-mainland").expect("built in");
        let real = real();
        assert_eq!(cal.years(), real.years());
        assert_eq!(cal.announced_days(), CN_TSV.lines().count() - 1);
        let (first, last) = (date(2009, 12, 31), date(2026, 12, 31));
        assert_eq!(
            cal.special_days_between(first, last),
            real.special_days_between(first, last)
        );
    }

    #[test]
    fn accessors_and_debug() {
        let cal = small();
        assert_eq!(cal.name(), "small");
        assert_eq!(cal.years(), (2024, 2025));
        let debug = format!("{cal:?}");
        assert!(debug.contains("\"small\"") && debug.contains("special_days: 9"));
        let real = real();
        assert_eq!(real.years(), (2010, 2026));
        assert_eq!(
            real.special_days_between(date(2009, 12, 31), date(2026, 12, 31))
                .len(),
            579
        );
    }

    #[test]
    fn small_weekdays_and_weekends() {
        let cal = small();
        // 2024-11-01 is a Friday.
        assert_eq!(cal.is_working_day(date(2024, 11, 1)), Ok(true));
        assert_eq!(cal.is_working_day(date(2024, 11, 2)), Ok(false));
        assert_eq!(cal.is_working_day(date(2024, 11, 3)), Ok(false));
        assert_eq!(cal.is_working_day(date(2024, 9, 29)), Ok(true));
        assert_eq!(cal.is_working_day(date(2024, 10, 1)), Ok(false));
        assert_eq!(cal.is_working_day(date(2024, 10, 12)), Ok(true));
        assert_eq!(cal.is_working_day(date(2024, 1, 1)), Ok(true)); // Monday, no holiday here
        assert_eq!(cal.is_working_day(date(2025, 12, 31)), Ok(true)); // Wednesday
        assert_eq!(cal.is_working_day(date(2024, 2, 29)), Ok(true)); // Thursday, leap day
    }

    #[test]
    fn friday_plus_three_is_next_wednesday() {
        for cal in [small(), real()] {
            let friday = date(2024, 11, 1);
            assert_eq!(cal.nth_working_day_after(friday, 3), Ok(date(2024, 11, 6)));
            assert_eq!(cal.working_days_after(friday, date(2024, 11, 6)), Ok(3));
            assert_eq!(cal.working_days_after(friday, date(2024, 11, 7)), Ok(4));
            assert_eq!(cal.working_days_after(friday, date(2024, 11, 3)), Ok(0));
            assert_eq!(cal.working_days_after(friday, date(2024, 11, 4)), Ok(1));
        }
        // Same in 2011, a year of the real data.
        let cal = real();
        let friday = date(2011, 3, 4);
        assert_eq!(cal.nth_working_day_after(friday, 3), Ok(date(2011, 3, 9)));
    }

    #[test]
    fn small_holiday_week() {
        let cal = small();
        // Friday 2024-09-27; Sunday 09-29 works, 09-30 Monday works, 10-01..07 off.
        let friday = date(2024, 9, 27);
        assert_eq!(cal.working_days_after(friday, date(2024, 10, 7)), Ok(2));
        assert_eq!(cal.nth_working_day_after(friday, 2), Ok(date(2024, 9, 30)));
        assert_eq!(cal.nth_working_day_after(friday, 3), Ok(date(2024, 10, 8)));
        // 10-08..11 Tue–Fri, Saturday 10-12 works.
        assert_eq!(cal.nth_working_day_after(friday, 7), Ok(date(2024, 10, 12)));
        assert_eq!(cal.nth_working_day_after(friday, 8), Ok(date(2024, 10, 14)));
        assert_eq!(
            cal.special_days_between(friday, date(2024, 10, 12)),
            [
                vec![(date(2024, 9, 29), DayKind::Workday)],
                (1..=7)
                    .map(|d| (date(2024, 10, d), DayKind::Holiday))
                    .collect(),
                vec![(date(2024, 10, 12), DayKind::Workday)],
            ]
            .concat()
        );
        // (from, to]: the start date is excluded, the end date included.
        assert_eq!(
            cal.special_days_between(date(2024, 10, 1), date(2024, 10, 2)),
            vec![(date(2024, 10, 2), DayKind::Holiday)]
        );
    }

    #[test]
    fn later_entry_for_a_date_wins() {
        let days = [
            (date(2024, 5, 6), DayKind::Holiday),
            (date(2024, 5, 6), DayKind::Workday),
        ];
        let cal = Calendar::new("dup", 2024, 2024, days);
        assert_eq!(cal.is_working_day(date(2024, 5, 6)), Ok(true));
        assert_eq!(
            cal.special_days_between(date(2024, 1, 1), date(2024, 12, 31)),
            vec![(date(2024, 5, 6), DayKind::Workday)]
        );
    }

    #[test]
    fn national_day_2011() {
        let cal = real();
        let received = date(2011, 9, 30); // Friday
        for d in 1..=7 {
            assert_eq!(cal.is_working_day(date(2011, 10, d)), Ok(false), "10-{d}");
        }
        assert_eq!(cal.is_working_day(date(2011, 10, 8)), Ok(true)); // Saturday
        assert_eq!(cal.is_working_day(date(2011, 10, 9)), Ok(true)); // Sunday
        assert_eq!(cal.working_days_after(received, date(2011, 10, 7)), Ok(0));
        assert_eq!(cal.working_days_after(received, date(2011, 10, 8)), Ok(1));
        assert_eq!(cal.working_days_after(received, date(2011, 10, 11)), Ok(4));
        assert_eq!(
            cal.nth_working_day_after(received, 1),
            Ok(date(2011, 10, 8))
        );
        assert_eq!(
            cal.nth_working_day_after(received, 4),
            Ok(date(2011, 10, 11))
        );
        // Across the holiday from before it: Thursday 09-29 → 09-30, then 10-08.
        assert_eq!(
            cal.nth_working_day_after(date(2011, 9, 29), 1),
            Ok(date(2011, 9, 30))
        );
        assert_eq!(
            cal.nth_working_day_after(date(2011, 9, 29), 2),
            Ok(date(2011, 10, 8))
        );
        // From inside the holiday.
        assert_eq!(
            cal.nth_working_day_after(date(2011, 10, 3), 1),
            Ok(date(2011, 10, 8))
        );
        assert_eq!(
            cal.special_days_between(received, date(2011, 10, 11)),
            [
                (1..=7)
                    .map(|d| (date(2011, 10, d), DayKind::Holiday))
                    .collect(),
                vec![
                    (date(2011, 10, 8), DayKind::Workday),
                    (date(2011, 10, 9), DayKind::Workday),
                ],
            ]
            .concat::<(Date, DayKind)>()
        );
    }

    #[test]
    fn spring_festival_2011() {
        let cal = real();
        assert_eq!(cal.is_working_day(date(2011, 1, 30)), Ok(true)); // Sunday
        assert_eq!(cal.is_working_day(date(2011, 2, 1)), Ok(true)); // Tuesday, eve
        for d in 2..=8 {
            assert_eq!(cal.is_working_day(date(2011, 2, d)), Ok(false), "02-{d}");
        }
        assert_eq!(cal.is_working_day(date(2011, 2, 12)), Ok(true)); // Saturday
        assert_eq!(cal.is_working_day(date(2011, 2, 13)), Ok(false)); // Sunday
                                                                      // Friday 01-28: Sun 30, Mon 31, Tue 01, then 09, 10, 11, Sat 12, Mon 14.
        let friday = date(2011, 1, 28);
        assert_eq!(cal.nth_working_day_after(friday, 3), Ok(date(2011, 2, 1)));
        assert_eq!(cal.nth_working_day_after(friday, 4), Ok(date(2011, 2, 9)));
        assert_eq!(cal.nth_working_day_after(friday, 7), Ok(date(2011, 2, 12)));
        assert_eq!(cal.nth_working_day_after(friday, 8), Ok(date(2011, 2, 14)));
        assert_eq!(cal.working_days_after(friday, date(2011, 2, 13)), Ok(7));
    }

    #[test]
    fn anniversary_2015_sunday_workday() {
        let cal = real();
        assert_eq!(cal.is_working_day(date(2015, 9, 3)), Ok(false)); // Thursday
        assert_eq!(cal.is_working_day(date(2015, 9, 4)), Ok(false)); // Friday
        assert_eq!(cal.is_working_day(date(2015, 9, 6)), Ok(true)); // Sunday
        assert_eq!(cal.is_working_day(date(2015, 9, 7)), Ok(true));
        // Wednesday 09-02: next working days are Sun 09-06, Mon 09-07.
        assert_eq!(
            cal.nth_working_day_after(date(2015, 9, 2), 1),
            Ok(date(2015, 9, 6))
        );
        assert_eq!(
            cal.working_days_after(date(2015, 9, 2), date(2015, 9, 7)),
            Ok(2)
        );
    }

    #[test]
    fn spring_festival_2020_extended() {
        let cal = real();
        // Extended to Sunday 02-02; 01-19 (Sun) was the only adjusted workday kept.
        for d in 24..=31 {
            assert_eq!(cal.is_working_day(date(2020, 1, d)), Ok(false), "01-{d}");
        }
        assert_eq!(cal.is_working_day(date(2020, 2, 1)), Ok(false)); // was a workday
        assert_eq!(cal.is_working_day(date(2020, 2, 2)), Ok(false));
        assert_eq!(cal.is_working_day(date(2020, 2, 3)), Ok(true));
        assert_eq!(cal.is_working_day(date(2020, 1, 19)), Ok(true)); // Sunday
                                                                     // Thursday 01-23 → Monday 02-03.
        assert_eq!(
            cal.nth_working_day_after(date(2020, 1, 23), 1),
            Ok(date(2020, 2, 3))
        );
        assert_eq!(
            cal.working_days_after(date(2020, 1, 23), date(2020, 2, 2)),
            Ok(0)
        );
    }

    #[test]
    fn labour_day_2019() {
        let cal = real();
        assert_eq!(cal.is_working_day(date(2019, 4, 28)), Ok(true)); // Sunday
        for d in 1..=4 {
            assert_eq!(cal.is_working_day(date(2019, 5, d)), Ok(false), "05-{d}");
        }
        assert_eq!(cal.is_working_day(date(2019, 5, 5)), Ok(true)); // Sunday
                                                                    // Friday 04-26: Sun 28, Mon 29, Tue 30, Sun 05-05, Mon 05-06.
        let friday = date(2019, 4, 26);
        assert_eq!(cal.nth_working_day_after(friday, 3), Ok(date(2019, 4, 30)));
        assert_eq!(cal.nth_working_day_after(friday, 4), Ok(date(2019, 5, 5)));
        assert_eq!(cal.working_days_after(friday, date(2019, 5, 6)), Ok(5));
    }

    #[test]
    fn equal_and_reversed_dates() {
        for cal in [small(), real()] {
            let d = date(2024, 10, 8);
            assert_eq!(cal.working_days_after(d, d), Ok(0));
            assert_eq!(cal.working_days_after(d, date(2024, 3, 1)), Ok(0));
            assert!(cal.special_days_between(d, d).is_empty());
            assert!(cal
                .special_days_between(date(2024, 10, 12), date(2024, 9, 1))
                .is_empty());
            assert_eq!(cal.nth_working_day_after(d, 0), Ok(d));
            assert_eq!(cal.nth_working_day_after(d, -3), Ok(d));
        }
    }

    #[test]
    fn out_of_range() {
        let cal = real();
        let inside = date(2018, 6, 1);
        for outside in [date(2009, 12, 30), date(2027, 1, 1)] {
            let err = expected_out_of_range(&cal, outside);
            assert_eq!(cal.is_working_day(outside), Err(err.clone()));
            assert_eq!(cal.nth_working_day_after(outside, 0), Ok(outside));
        }
        // A count crosses the days after its first date up to its last: a day outside the
        // calendar among them cannot be judged.
        let before = expected_out_of_range(&cal, date(2009, 12, 31));
        assert_eq!(
            cal.working_days_after(date(2009, 12, 30), inside),
            Err(before.clone())
        );
        assert_eq!(
            cal.nth_working_day_after(date(2009, 12, 30), 1),
            Err(before)
        );
        let after = expected_out_of_range(&cal, date(2027, 1, 1));
        assert_eq!(
            cal.working_days_after(inside, date(2027, 1, 1)),
            Err(after.clone())
        );
        assert_eq!(
            cal.working_days_after(date(2026, 12, 31), date(2027, 1, 4)),
            Err(after)
        );
        // Nothing is counted, so nothing is needed of the calendar.
        for (from, to) in [
            (date(2027, 1, 1), inside),
            (date(2027, 1, 1), date(2027, 1, 1)),
            (date(2009, 12, 30), date(2009, 12, 30)),
            (date(2026, 12, 31), date(2026, 12, 31)),
        ] {
            assert_eq!(cal.working_days_after(from, to), Ok(0), "{from} → {to}");
        }
        // The day before the first year starts a count (received 2009-12-31, done 2010-01-07:
        // 1–3 January are the New Year holiday, 4–7 January Monday to Thursday).
        assert_eq!(
            cal.working_days_after(date(2009, 12, 31), date(2010, 1, 7)),
            Ok(4)
        );
        assert_eq!(
            cal.nth_working_day_after(date(2009, 12, 31), 4),
            Ok(date(2010, 1, 7))
        );
        assert_eq!(
            expected_out_of_range(&cal, date(2027, 1, 1)).to_string(),
            "2027-01-01 is outside the working-day calendar `cn-mainland`, which covers 2010–2026"
        );
        // The edges themselves are inside.
        assert_eq!(cal.is_working_day(date(2010, 1, 1)), Ok(false));
        assert_eq!(cal.is_working_day(date(2026, 12, 31)), Ok(true)); // Thursday
        assert_eq!(
            cal.working_days_after(date(2010, 1, 1), date(2010, 1, 4)),
            Ok(1)
        );
    }

    #[test]
    fn count_past_the_end() {
        let cal = real();
        let after = expected_out_of_range(&cal, date(2027, 1, 1));
        // 2026-12-31 is the last working day (Thursday).
        assert_eq!(
            cal.nth_working_day_after(date(2026, 12, 30), 1),
            Ok(date(2026, 12, 31))
        );
        assert_eq!(
            cal.nth_working_day_after(date(2026, 12, 30), 2),
            Err(after.clone())
        );
        assert_eq!(
            cal.nth_working_day_after(date(2026, 12, 31), 1),
            Err(after.clone())
        );
        assert_eq!(
            cal.nth_working_day_after(date(2010, 1, 1), i64::MAX),
            Err(after)
        );
        let total = cal.working_days_after(date(2010, 1, 1), date(2026, 12, 31));
        let total = total.expect("both dates are covered");
        assert_eq!(
            cal.nth_working_day_after(date(2010, 1, 1), total),
            Ok(date(2026, 12, 31))
        );
    }

    #[test]
    fn empty_and_extreme_years() {
        let empty = Calendar::new("empty", 2025, 2024, []);
        let err = expected_out_of_range(&empty, date(2024, 6, 3));
        assert_eq!(empty.is_working_day(date(2024, 6, 3)), Err(err));
        assert!(empty
            .special_days_between(date(2024, 1, 1), date(2025, 1, 1))
            .is_empty());

        let edge = Calendar::new("edge", 9999, i16::MAX, []);
        assert_eq!(edge.years(), (9999, 9999));
        assert_eq!(edge.is_working_day(date(9999, 12, 31)), Ok(true)); // Friday
        let err = expected_out_of_range(&edge, Date::MAX);
        assert_eq!(edge.nth_working_day_after(date(9999, 12, 31), 1), Err(err));
    }

    #[test]
    fn counts_agree_with_a_day_by_day_walk() {
        let cal = real();
        let tsv_kind = |d: Date| {
            let key = d.to_string();
            CN_TSV.lines().find_map(|line| {
                let mut f = line.split('\t');
                (f.next() == Some(key.as_str())).then(|| match f.next() {
                    Some("holiday") => DayKind::Holiday,
                    _ => DayKind::Workday,
                })
            })
        };
        let start = date(2010, 1, 1);
        let mut day = start;
        let mut walked = 0i64;
        while day.year() <= 2026 {
            let weekend = day.weekday().to_monday_zero_offset() >= 5;
            let working = match tsv_kind(day) {
                Some(DayKind::Holiday) => false,
                Some(DayKind::Workday) => true,
                None => !weekend,
            };
            assert_eq!(cal.is_working_day(day), Ok(working), "{day}");
            if day > start {
                walked += i64::from(working);
            }
            assert_eq!(cal.working_days_after(start, day), Ok(walked), "{day}");
            day = day
                .tomorrow()
                .expect("2026 is far from the end of jiff's range");
        }
        // The data's own figures: every workday row is a weekend day.
        assert!(CN_TSV.lines().skip(1).all(|line| {
            let d: Date = line[..10].parse().expect("TSV dates parse");
            !line.contains("\tworkday\t") || d.weekday().to_monday_zero_offset() >= 5
        }));
    }

    #[test]
    fn nth_and_count_are_inverse_over_2011() {
        let cal = real();
        let mut from = date(2011, 1, 1);
        while from.year() == 2011 {
            for n in 1..=40 {
                let deadline = cal
                    .nth_working_day_after(from, n)
                    .expect("40 working days from 2011 stay inside 2010–2026");
                assert!(deadline > from);
                assert_eq!(cal.is_working_day(deadline), Ok(true), "{from} + {n}");
                assert_eq!(
                    cal.working_days_after(from, deadline),
                    Ok(n),
                    "{from} + {n}"
                );
                let eve = deadline.yesterday().expect("inside jiff's range");
                assert_eq!(cal.working_days_after(from, eve), Ok(n - 1), "{from} + {n}");
            }
            from = from.tomorrow().expect("inside jiff's range");
        }
    }

    /// `cargo test --release -- --ignored --nocapture calendar::tests::speed`
    #[test]
    #[ignore = "timing, run in release mode"]
    fn speed() {
        use std::hint::black_box;
        use std::time::Instant;
        let cal = real();
        let froms: Vec<Date> = (0..365)
            .map(|i| date(2015, 1, 1).checked_add(jiff::Span::new().days(i)))
            .collect::<Result<_, _>>()
            .expect("2015 dates");
        let tos: Vec<Date> = froms
            .iter()
            .map(|d| d.checked_add(jiff::Span::new().years(1)))
            .collect::<Result<_, _>>()
            .expect("2016 dates");
        let rounds = 4_000;
        let started = Instant::now();
        let mut sum = 0i64;
        for _ in 0..rounds {
            for (from, to) in froms.iter().zip(&tos) {
                sum += black_box(&cal)
                    .working_days_after(black_box(*from), black_box(*to))
                    .expect("covered");
            }
        }
        let per_call = started.elapsed().as_nanos() as f64 / (rounds * froms.len()) as f64;
        println!("working_days_after over 1 year: {per_call:.1} ns/call (checksum {sum})");

        let started = Instant::now();
        for _ in 0..rounds {
            for from in &froms {
                let d = black_box(&cal)
                    .nth_working_day_after(black_box(*from), black_box(250))
                    .expect("covered");
                sum += i64::from(d.day());
            }
        }
        let per_call = started.elapsed().as_nanos() as f64 / (rounds * froms.len()) as f64;
        println!("nth_working_day_after(n = 250): {per_call:.1} ns/call (checksum {sum})");

        let started = Instant::now();
        let built = 200;
        for _ in 0..built {
            black_box(real());
        }
        let per_build = started.elapsed().as_micros() as f64 / f64::from(built);
        println!("building from the TSV (incl. parsing): {per_build:.1} µs");
    }
}
