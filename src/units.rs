//! Units a scenario is written in: durations (`90s`, `20m`, `4h`, `5d`), UTC instants
//! (RFC 3339) and the integer millisecond clock the engine runs on.
//!
//! The engine never sees a float time: everything here turns human units into whole
//! milliseconds once, at validation, and back into hours or minutes for reports. Memory sizes
//! are written here too ([`bytes_text`]), for the messages that quote an estimate.

use std::fmt;

/// Milliseconds since the scenario's `start`: the engine's clock.
pub type Millis = u64;

/// One second, in the engine's clock unit.
pub const SECOND: Millis = 1_000;
/// One minute, in the engine's clock unit.
pub const MINUTE: Millis = 60 * SECOND;
/// One hour, in the engine's clock unit.
pub const HOUR: Millis = 60 * MINUTE;
/// One day, in the engine's clock unit.
pub const DAY: Millis = 24 * HOUR;

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a duration: {why} (write a whole number and a unit: ms, s, m, h, d, w, e.g. `90s`, `20m`, `4h`, `5d`; parts may be combined, e.g. `1h30m`)")]
pub struct DurationError {
    text: String,
    why: &'static str,
}

/// Parses a duration such as `90s`, `20m`, `4h`, `5d`, `1h30m` or `250ms` into milliseconds.
///
/// Units: `ms`, `s`, `m` (minutes), `h`, `d`, `w`. A bare `0` is allowed; any other bare
/// number is refused because its unit would be a guess.
pub fn parse_duration(text: &str) -> Result<Millis, DurationError> {
    let err = |why| DurationError {
        text: text.to_string(),
        why,
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(err("it is empty"));
    }
    if s == "0" {
        return Ok(0);
    }
    let bytes = s.as_bytes();
    let mut total: u128 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let digits_start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
            i += 1;
        }
        let digits: String = s[digits_start..i].chars().filter(|c| *c != '_').collect();
        if digits.is_empty() {
            return Err(err(if bytes[i] == b'-' {
                "it is negative"
            } else {
                "a number is missing before a unit"
            }));
        }
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let factor: u128 = match &s[unit_start..i] {
            "ms" => 1,
            "s" => SECOND as u128,
            "m" | "min" => MINUTE as u128,
            "h" => HOUR as u128,
            "d" => DAY as u128,
            "w" => 7 * DAY as u128,
            "" => {
                return Err(err(if i < bytes.len() && bytes[i] == b'.' {
                    "fractions are not allowed; use a smaller unit"
                } else {
                    "the unit is missing"
                }))
            }
            _ => return Err(err("the unit is not one of ms, s, m, h, d, w")),
        };
        let n: u128 = digits.parse().map_err(|_| err("the number is too large"))?;
        total = total
            .checked_add(n.checked_mul(factor).ok_or_else(|| err("it is too long"))?)
            .ok_or_else(|| err("it is too long"))?;
    }
    // Cap at ~292 million years so every sum of durations stays inside u64.
    if total > (u64::MAX / 4) as u128 {
        return Err(err("it is too long"));
    }
    Ok(total as Millis)
}

/// Milliseconds as hours.
pub fn hours(ms: Millis) -> f64 {
    ms as f64 / HOUR as f64
}

/// Milliseconds as minutes.
pub fn minutes(ms: Millis) -> f64 {
    ms as f64 / MINUTE as f64
}

/// A duration in the unit that reads best, the one helper every report meant for people uses
/// (the terminal, `dashboard.html`, `check`'s messages); CSV and JSON keep numbers in the unit
/// their name says. Below 10 of a unit one decimal is shown (dropped when it is 0), from 10 on
/// whole units: `72 ms`, `4.5 s`, `32 s`, `5 min`, `7.5 min`, `42 min`, `6.6 h`, `43 h`; from
/// two days on, days and whole hours: `3 d 2 h`, `5 d`. A value that would round up to the
/// next unit's threshold is shown in that unit (`59.99 s` is `1 min`).
pub fn human_duration(ms: Millis) -> String {
    duration_text(ms, Digits::Read)
}

/// [`human_duration`] to be set against a bound (`check`'s actual values): the same units up
/// to hours, never days, with three significant digits (`10.7 h`, `6.57 h`, `72.4 h`), so a
/// value just over a bound never reads as the bound itself.
pub fn human_duration_to_compare(ms: Millis) -> String {
    duration_text(ms, Digits::Compare)
}

/// How many digits a duration shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Digits {
    /// One decimal below 10, whole units from 10; days from two days.
    Read,
    /// Three significant digits, hours at most.
    Compare,
}

fn duration_text(ms: Millis, digits: Digits) -> String {
    if ms < SECOND {
        return format!("{ms} ms");
    }
    // (unit size, label, where the next unit takes over)
    let last = match digits {
        Digits::Read => 2 * DAY,
        Digits::Compare => Millis::MAX,
    };
    let steps = [
        (SECOND, "s", MINUTE),
        (MINUTE, "min", HOUR),
        (HOUR, "h", last),
    ];
    for (size, label, next) in steps {
        let x = ms as f64 / size as f64;
        let decimals = match digits {
            Digits::Read if x < 10.0 => 1,
            Digits::Read => 0,
            Digits::Compare if x < 10.0 => 2,
            Digits::Compare if x < 100.0 => 1,
            Digits::Compare => 0,
        };
        let scale = 10f64.powi(decimals);
        let shown = (x * scale).round() / scale;
        if shown * (size as f64) < next as f64 {
            let text = format!("{shown:.*}", decimals as usize);
            let text = if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.')
            } else {
                &text
            };
            return format!("{text} {label}");
        }
    }
    let whole_hours = (ms as f64 / HOUR as f64).round() as u64;
    match (whole_hours / 24, whole_hours % 24) {
        (days, 0) => format!("{days} d"),
        (days, h) => format!("{days} d {h} h"),
    }
}

/// [`human_duration`] of a number of hours (an estimate such as backlog / rate); a value
/// that is not finite or below 0 reads `never`.
pub fn human_hours(h: f64) -> String {
    if h.is_finite() && h >= 0.0 {
        human_duration((h * HOUR as f64).round() as Millis)
    } else {
        "never".to_string()
    }
}

/// Writes a duration back in scenario syntax (`5d`, `90m`, `1500ms`), the largest exact unit.
pub fn format_duration(ms: Millis) -> String {
    for (unit, size) in [("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", SECOND)] {
        if ms != 0 && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    if ms == 0 {
        "0".into()
    } else {
        format!("{ms}ms")
    }
}

/// A UTC instant, held as milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub i64);

/// Why an instant string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not an RFC 3339 UTC instant ({why}); write e.g. `2026-11-23T00:00:00Z`")]
pub struct InstantError {
    text: String,
    why: String,
}

impl Instant {
    /// Parses an RFC 3339 instant with an explicit offset (`Z` or `+01:00`).
    pub fn parse(text: &str) -> Result<Self, InstantError> {
        let ts: jiff::Timestamp = text.trim().parse().map_err(|e: jiff::Error| {
            let why = e.to_string();
            InstantError {
                text: text.to_string(),
                // The time library's words for a year out of its range are long and technical.
                why: if why.contains("not in the required range") || why.contains("overflowed") {
                    "it is outside the instants syncsim handles, from year -9999 to \
                     9999-12-30T22:00:00Z"
                        .into()
                } else {
                    why
                },
            }
        })?;
        Ok(Instant(ts.as_millisecond()))
    }

    /// The latest instant a run may end at: the start of 9999-12-29 UTC. RFC 3339 years have
    /// four digits and the time library shows instants up to 9999-12-30T22:00:00Z, so what
    /// a run shows after its end (the next fetch, an hour on; the next nightly time, within a
    /// day) can be shown too.
    pub const LAST: Instant = Instant(253_402_041_600_000);

    /// This instant plus `ms` of simulated time.
    pub fn plus(self, ms: Millis) -> Instant {
        Instant(self.0.saturating_add(ms as i64))
    }

    /// RFC 3339 with milliseconds, e.g. `2026-11-23T00:00:01.250Z`.
    pub fn to_rfc3339_ms(self) -> String {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            Err(_) => format!("{}ms", self.0),
        }
    }

    /// The hour of the day in UTC, 0..=23.
    pub fn utc_hour(self) -> u32 {
        (self.0.rem_euclid(DAY as i64) / HOUR as i64) as u32
    }

    /// Whether this instant falls on a Saturday or Sunday in UTC.
    pub fn is_weekend(self) -> bool {
        // 1970-01-01 was a Thursday: day 0 -> weekday 4 (0 = Sunday).
        let days = self.0.div_euclid(DAY as i64);
        let weekday = (days + 4).rem_euclid(7);
        weekday == 0 || weekday == 6
    }

    /// The next instant at or after this one whose UTC time of day is `time_of_day`.
    pub fn next_time_of_day(self, time_of_day: Millis) -> Instant {
        let day_start = self.0.div_euclid(DAY as i64) * DAY as i64;
        let candidate = day_start + time_of_day as i64;
        if candidate >= self.0 {
            Instant(candidate)
        } else {
            Instant(candidate + DAY as i64)
        }
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(ts) => write!(f, "{}", ts.strftime("%Y-%m-%dT%H:%M:%SZ")),
            Err(_) => write!(f, "{}ms", self.0),
        }
    }
}

/// A time in a run written as a time after `start` (`24h`, `1d6h`) or as an RFC 3339
/// instant at or after it (`2026-11-24T00:00:00Z`), in milliseconds after `start`. The error
/// says which rule the text broke, for the caller to name its key or flag before it.
pub fn offset_or_instant(text: &str, start: Instant) -> Result<Millis, String> {
    if let Ok(ms) = parse_duration(text) {
        return Ok(ms);
    }
    match Instant::parse(text) {
        Ok(at) if at < start => Err(format!("{at} is before the scenario's start {start}")),
        Ok(at) => Ok((at.0 - start.0) as Millis),
        Err(_) => Err(format!(
            "'{text}' is neither a time after start (e.g. `24h`, `1d6h`) nor an RFC 3339 UTC \
             instant (e.g. `2026-11-24T00:00:00Z`)"
        )),
    }
}

/// Parses a UTC time of day `HH:MM` (as in a nightly retry at `00:00`) into ms after midnight.
pub fn parse_time_of_day(text: &str) -> Option<Millis> {
    let (h, m) = text.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.chars().chain(m.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let h: u64 = h.parse().ok()?;
    let m: u64 = m.parse().ok()?;
    (h < 24 && m < 60).then_some(h * HOUR + m * MINUTE)
}

/// Bytes as a planner reads them: `312.5 GiB`, `40.0 MiB`.
pub fn bytes_text(bytes: f64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    if bytes >= GIB {
        format!("{:.1} GiB", bytes / GIB)
    } else {
        format!("{:.1} MiB", bytes / (1u64 << 20) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_instant_leaves_a_day_that_can_be_shown() {
        assert_eq!(Instant::LAST.to_string(), "9999-12-29T00:00:00Z");
        assert_eq!(
            Instant::LAST.plus(DAY + 22 * HOUR).to_rfc3339_ms(),
            "9999-12-30T22:00:00.000Z"
        );
    }

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("90s"), Ok(90_000));
        assert_eq!(parse_duration("20m"), Ok(20 * MINUTE));
        assert_eq!(parse_duration("4h"), Ok(4 * HOUR));
        assert_eq!(parse_duration("5d"), Ok(5 * DAY));
        assert_eq!(parse_duration("1h30m"), Ok(90 * MINUTE));
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("1w"), Ok(7 * DAY));
        assert_eq!(parse_duration("0"), Ok(0));
    }

    #[test]
    fn bad_durations_say_why() {
        for bad in ["", "5", "-5m", "1.5h", "5x", "h", "99999999999999999999d"] {
            let e = parse_duration(bad).unwrap_err().to_string();
            assert!(e.contains("is not a duration"), "{bad}: {e}");
        }
        assert!(parse_duration("1.5h")
            .unwrap_err()
            .to_string()
            .contains("fractions"));
    }

    #[test]
    fn durations_read_in_the_unit_that_reads_best() {
        let cases = [
            (0, "0 ms"),
            (72, "72 ms"),
            (999, "999 ms"),
            (1_000, "1 s"),
            (4_500, "4.5 s"),
            (32_400, "32 s"),
            (59_999, "1 min"),
            (5 * MINUTE, "5 min"),
            (7 * MINUTE + 30 * SECOND, "7.5 min"),
            (42 * MINUTE + 20 * SECOND, "42 min"),
            (59 * MINUTE + 40 * SECOND, "1 h"),
            (6 * HOUR + 36 * MINUTE, "6.6 h"),
            (43 * HOUR + 10 * MINUTE, "43 h"),
            (47 * HOUR + 40 * MINUTE, "2 d"),
            (3 * DAY + 2 * HOUR + 10 * MINUTE, "3 d 2 h"),
            (5 * DAY, "5 d"),
        ];
        for (ms, text) in cases {
            assert_eq!(human_duration(ms), text, "{ms} ms");
        }
        assert_eq!(human_hours(0.08), "4.8 min");
        let compared = [
            (6 * MINUTE, "6 min"),
            (38_578_492, "10.7 h"),
            (23_661_810, "6.57 h"),
            (72 * HOUR + 24 * MINUTE, "72.4 h"),
            (257 * HOUR, "257 h"),
            (59_999, "1 min"),
        ];
        for (ms, text) in compared {
            assert_eq!(human_duration_to_compare(ms), text, "{ms} ms");
        }
        assert_eq!(human_hours(f64::INFINITY), "never");
    }

    #[test]
    fn durations_round_trip_through_scenario_syntax() {
        for ms in [0, 1500, 90_000, 20 * MINUTE, 4 * HOUR, 5 * DAY] {
            assert_eq!(parse_duration(&format_duration(ms)), Ok(ms));
        }
    }

    #[test]
    fn instants_know_their_utc_hour_and_weekend() {
        // 2026-11-23 is a Monday; 2026-11-28 a Saturday.
        let monday = Instant::parse("2026-11-23T09:30:00Z").unwrap();
        assert_eq!(monday.utc_hour(), 9);
        assert!(!monday.is_weekend());
        assert!(Instant::parse("2026-11-28T23:00:00Z").unwrap().is_weekend());
        assert!(Instant::parse("2026-11-29T00:00:00Z").unwrap().is_weekend());
        assert!(!Instant::parse("2026-11-30T00:00:00Z").unwrap().is_weekend());
        assert_eq!(monday.to_string(), "2026-11-23T09:30:00Z");
        let offset = Instant::parse("2026-11-23T10:30:00+01:00").unwrap();
        assert_eq!(offset, monday);
    }

    #[test]
    fn next_time_of_day_is_at_or_after() {
        let t = Instant::parse("2026-11-23T09:30:00Z").unwrap();
        let midnight = t.next_time_of_day(0);
        assert_eq!(midnight.to_string(), "2026-11-24T00:00:00Z");
        let exact = Instant::parse("2026-11-24T00:00:00Z").unwrap();
        assert_eq!(exact.next_time_of_day(0), exact);
        assert_eq!(parse_time_of_day("02:30"), Some(2 * HOUR + 30 * MINUTE));
        assert_eq!(parse_time_of_day("24:00"), None);
        assert_eq!(parse_time_of_day("+1:30"), None);
    }
}
