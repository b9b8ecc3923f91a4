//! Local time: the scenario's time zone and holidays, as the engine needs them (docs/model.md,
//! Local time). Hour-of-day profiles, weekends, holidays and the nightly retry follow the
//! clock on the wall of the org's time zone, daylight-saving changes included; the run's own
//! clock stays integer milliseconds from `start`.
//!
//! A [`Calendar`] holds what validation read from the bundled time-zone database: the UTC
//! offsets in force over the run and when they change, and the holidays as local dates. All
//! the time arithmetic here is on integers; nothing reads a file or the system's zone data,
//! so a scenario gives the same answers on every machine.

use crate::units::{DAY, HOUR};

/// What kind of local day an instant falls on, for rate factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// Monday to Friday, not a holiday.
    Weekday,
    /// Saturday or Sunday, not a holiday.
    Weekend,
    /// A date on the holiday list (whatever its day of the week).
    Holiday,
}

/// The scenario's time zone and holidays (`time_zone`, `holidays`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// The IANA name as written (`Europe/Berlin`), or `UTC`.
    pub time_zone: String,
    /// The UTC offsets in force: `(from, offset)`, `from` in ms since the Unix epoch and the
    /// offset in ms, ascending by `from`; the first holds from the beginning of time.
    offsets: Vec<(i64, i64)>,
    /// The holidays as local dates (days since 1970-01-01), ascending, each once.
    holidays: Vec<i64>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::utc()
    }
}

impl Calendar {
    /// UTC, with no holidays: the default.
    pub fn utc() -> Self {
        Calendar {
            time_zone: "UTC".into(),
            offsets: vec![(i64::MIN, 0)],
            holidays: Vec::new(),
        }
    }

    /// A calendar of `time_zone` whose offsets are `offsets` (`(from, offset ms)`, the
    /// first from `i64::MIN`), with `holidays` (local days since 1970-01-01).
    pub(crate) fn new(time_zone: String, offsets: Vec<(i64, i64)>, mut holidays: Vec<i64>) -> Self {
        assert!(
            offsets.first().is_some_and(|(from, _)| *from == i64::MIN),
            "the first offset holds from the beginning of time"
        );
        holidays.sort_unstable();
        holidays.dedup();
        Calendar {
            time_zone,
            offsets,
            holidays,
        }
    }

    /// Whether local time is UTC (whatever the holidays): times are shown as UTC.
    pub fn is_utc_clock(&self) -> bool {
        self.offsets == [(i64::MIN, 0)]
    }

    /// Whether local time is UTC and there are no holidays: the engine's fast path.
    pub fn is_utc(&self) -> bool {
        self.offsets == [(i64::MIN, 0)] && self.holidays.is_empty()
    }

    /// The UTC offset in force at `at` (ms since the Unix epoch), in ms.
    #[inline]
    pub fn offset(&self, at: i64) -> i64 {
        let i = self.offsets.partition_point(|(from, _)| *from <= at);
        self.offsets[i - 1].1
    }

    /// The next instant after `at` when the offset changes, if any.
    #[inline]
    fn next_change(&self, at: i64) -> Option<i64> {
        let i = self.offsets.partition_point(|(from, _)| *from <= at);
        self.offsets.get(i).map(|(from, _)| *from)
    }

    /// Local time at `at`, in ms since 1970-01-01 00:00 local.
    #[inline]
    pub fn local(&self, at: i64) -> i64 {
        at + self.offset(at)
    }

    /// The local date of `at`, in days since 1970-01-01.
    pub fn local_day(&self, at: i64) -> i64 {
        self.local(at).div_euclid(DAY as i64)
    }

    /// The local hour of the day at `at`, 0..=23.
    #[inline]
    pub fn local_hour(&self, at: i64) -> usize {
        (self.local(at).rem_euclid(DAY as i64) / HOUR as i64) as usize
    }

    /// Whether local day `day` is a weekday, a weekend day or a holiday.
    pub fn day_kind(&self, day: i64) -> DayKind {
        // 1970-01-01 was a Thursday: day 0 -> weekday 4 (0 = Sunday).
        let weekday = (day + 4).rem_euclid(7);
        if self.holidays.binary_search(&day).is_ok() {
            DayKind::Holiday
        } else if weekday == 0 || weekday == 6 {
            DayKind::Weekend
        } else {
            DayKind::Weekday
        }
    }

    /// The local hour at `at`, the kind of its day, and the next instant at which either
    /// changes (the end of the local hour, or a change of offset).
    #[inline]
    pub fn hour_segment(&self, at: i64) -> (usize, DayKind, i64) {
        let offset = self.offset(at);
        let local = at + offset;
        let hour_end = (local.div_euclid(HOUR as i64) + 1) * HOUR as i64 - offset;
        let end = self.next_change(at).map_or(hour_end, |c| c.min(hour_end));
        (
            (local.rem_euclid(DAY as i64) / HOUR as i64) as usize,
            self.day_kind(local.div_euclid(DAY as i64)),
            end,
        )
    }

    /// The instant the local clock reads `time_of_day` (ms after midnight) on local day
    /// `day`. A time the clocks skip (a daylight-saving gap) is taken when they jump, at the
    /// end of the gap; a time they show twice (when they go back) is the first of the two.
    pub fn time_of_day_on(&self, day: i64, time_of_day: i64) -> i64 {
        let wanted = day * DAY as i64 + time_of_day;
        // Every instant whose local time is `wanted` is `wanted - offset` for an offset in
        // force then; the earliest such instant is the answer.
        let mut first: Option<i64> = None;
        for &(_, offset) in &self.offsets {
            let at = wanted - offset;
            if self.offset(at) == offset && first.is_none_or(|f| at < f) {
                first = Some(at);
            }
        }
        first.unwrap_or_else(|| {
            // In a gap: the clocks jumped over it at the change `c` where local time went
            // from `c + before` straight to `c + after`.
            self.offsets
                .windows(2)
                .find(|w| w[1].0 + w[0].1 <= wanted && wanted < w[1].0 + w[1].1)
                .map(|w| w[1].0)
                .expect("a local time with no instant lies in a gap")
        })
    }

    /// The first instant at or after `at` at which the local clock reads `time_of_day`.
    pub fn next_time_of_day(&self, at: i64, time_of_day: i64) -> i64 {
        let day = self.local_day(at);
        let today = self.time_of_day_on(day, time_of_day);
        if today >= at {
            today
        } else {
            self.time_of_day_on(day + 1, time_of_day)
        }
    }

    /// The instant `at` as the wall clock shows it, `2026-11-24 06:34:21`, followed in a time
    /// zone other than UTC by its offset then, `2026-11-24 07:34:21 +01:00`.
    pub fn show(&self, at: i64) -> String {
        let local = crate::units::Instant(self.local(at)).to_string();
        let local = local.trim_end_matches('Z').replacen('T', " ", 1);
        if self.is_utc_clock() {
            local
        } else {
            format!("{local} {}", self.offset_text(at))
        }
    }

    /// The UTC offset at `at` as `+HH:MM` or `-HH:MM`.
    pub fn offset_text(&self, at: i64) -> String {
        let offset = self.offset(at);
        let minutes = offset.abs() / 60_000;
        let sign = if offset < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Instant;

    /// Europe/Berlin in 2026: +01:00, +02:00 from 29 March 01:00 UTC, +01:00 again from
    /// 25 October 01:00 UTC (as the time-zone database says; checked against it in
    /// `validate`'s tests).
    fn berlin() -> Calendar {
        let at = |s: &str| Instant::parse(s).unwrap().0;
        Calendar::new(
            "Europe/Berlin".into(),
            vec![
                (i64::MIN, HOUR as i64),
                (at("2026-03-29T01:00:00Z"), 2 * HOUR as i64),
                (at("2026-10-25T01:00:00Z"), HOUR as i64),
            ],
            vec![],
        )
    }

    /// The local hours, in order, of the hourly segments that start on local day `day`.
    fn hours_of(c: &Calendar, day: i64) -> Vec<usize> {
        let mut at = c.time_of_day_on(day, 0);
        let mut hours = Vec::new();
        while c.local_day(at) == day {
            let (hour, _, end) = c.hour_segment(at);
            hours.push(hour);
            at = end;
        }
        hours
    }

    fn day(date: &str) -> i64 {
        Instant::parse(&format!("{date}T00:00:00Z")).unwrap().0 / DAY as i64
    }

    #[test]
    fn a_dst_day_has_23_or_25_local_hours() {
        let c = berlin();
        let spring = hours_of(&c, day("2026-03-29"));
        assert_eq!(spring.len(), 23);
        assert!(
            !spring.contains(&2),
            "02:00-02:59 does not exist: {spring:?}"
        );
        let autumn = hours_of(&c, day("2026-10-25"));
        assert_eq!(autumn.len(), 25);
        assert_eq!(autumn.iter().filter(|h| **h == 2).count(), 2, "{autumn:?}");
        assert_eq!(hours_of(&c, day("2026-06-01")), (0..24).collect::<Vec<_>>());
    }

    #[test]
    fn a_time_of_day_in_the_gap_is_when_the_clocks_jump_and_a_repeated_one_is_the_first() {
        let c = berlin();
        let at = |s: &str| Instant::parse(s).unwrap().0;
        // 02:30 does not exist on 29 March: the clocks jump from 02:00 to 03:00 at 01:00 UTC.
        let m = 30 * 60_000;
        let spring = c.time_of_day_on(day("2026-03-29"), 2 * HOUR as i64 + m);
        assert_eq!(spring, at("2026-03-29T01:00:00Z"));
        // 02:30 happens twice on 25 October: 00:30 and 01:30 UTC; the first counts.
        let autumn = c.time_of_day_on(day("2026-10-25"), 2 * HOUR as i64 + m);
        assert_eq!(autumn, at("2026-10-25T00:30:00Z"));
        // Midnight local in summer is 22:00 UTC the day before.
        assert_eq!(
            c.next_time_of_day(at("2026-06-01T12:00:00Z"), 0),
            at("2026-06-01T22:00:00Z")
        );
        assert_eq!(c.offset_text(at("2026-06-01T12:00:00Z")), "+02:00");
    }

    #[test]
    fn holidays_are_local_dates_and_outrank_weekends() {
        // 25 December 2026 is a Friday, 26 December a Saturday.
        let c = Calendar::new(
            "Europe/Berlin".into(),
            berlin().offsets,
            vec![day("2026-12-26"), day("2026-12-25")],
        );
        assert_eq!(c.day_kind(day("2026-12-24")), DayKind::Weekday);
        assert_eq!(c.day_kind(day("2026-12-25")), DayKind::Holiday);
        assert_eq!(c.day_kind(day("2026-12-26")), DayKind::Holiday);
        assert_eq!(c.day_kind(day("2026-12-27")), DayKind::Weekend);
        // 23:30 UTC on the 24th is already the 25th in Berlin.
        let late = Instant::parse("2026-12-24T23:30:00Z").unwrap().0;
        assert_eq!(c.hour_segment(late).1, DayKind::Holiday);
        assert!(!c.is_utc() && Calendar::utc().is_utc());
    }
}
