//! Validation of local time: `time_zone` (an IANA name, looked up in the time-zone database
//! bundled into the program, never the system's, so every machine gives the same answers)
//! and `holidays` (local dates), into a [`Calendar`] holding the offsets in force over the
//! run.

use super::Checker;
use crate::scenario::calendar::Calendar;
use crate::scenario::ScenarioError;
use crate::units::{Instant, Millis, DAY};

/// The most holidays a scenario may list.
const MAX_HOLIDAYS: usize = 10_000;

/// The calendar of a run from `start` lasting `horizon`: the zone's offsets from two days
/// before the start to two days after the end (what the run and its reports can show), and
/// the holidays.
pub(super) fn validate_calendar(
    c: &Checker,
    time_zone: Option<&str>,
    holidays: Option<&[String]>,
    start: Instant,
    horizon: Millis,
) -> Result<Calendar, ScenarioError> {
    let name = time_zone.unwrap_or("UTC");
    let tz = jiff::tz::TimeZone::get(name).or_else(|_| {
        c.fail(
            "time_zone",
            format!(
                "'{name}' is not a time zone in the bundled IANA database; write a name such \
                 as \"Europe/Berlin\", \"America/New_York\" or \"UTC\""
            ),
        )
    })?;
    let from = start.0.saturating_sub(2 * DAY as i64);
    let until = start.plus(horizon).0.saturating_add(2 * DAY as i64);
    let stamp = |ms: i64| jiff::Timestamp::from_millisecond(ms).expect("within year 9999");
    let offset_ms = |o: jiff::tz::Offset| o.seconds() as i64 * 1000;
    let mut offsets = vec![(i64::MIN, offset_ms(tz.to_offset(stamp(from))))];
    for change in tz.following(stamp(from)) {
        let at = change.timestamp().as_millisecond();
        if at > until {
            break;
        }
        let offset = offset_ms(change.offset());
        if offset != offsets.last().expect("one offset at least").1 {
            offsets.push((at, offset));
        }
    }
    let holidays = holidays.unwrap_or_default();
    if holidays.len() > MAX_HOLIDAYS {
        return c.fail(
            "holidays",
            format!(
                "lists {} dates; at most {MAX_HOLIDAYS} are allowed",
                holidays.len()
            ),
        );
    }
    let mut days = Vec::with_capacity(holidays.len());
    for (i, text) in holidays.iter().enumerate() {
        let day = text
            .parse::<jiff::civil::Date>()
            .ok()
            .filter(|_| text.len() == 10)
            .and_then(|d| Instant::parse(&format!("{d}T00:00:00Z")).ok());
        match day {
            Some(day) => days.push(day.0.div_euclid(DAY as i64)),
            None => {
                return c.fail(
                    format!("holidays[{i}]"),
                    format!("'{text}' is not a date; write YYYY-MM-DD, e.g. \"2026-12-25\""),
                )
            }
        }
    }
    Ok(Calendar::new(name.to_string(), offsets, days))
}

#[cfg(test)]
mod tests {
    use crate::scenario::from_str;
    use crate::units::{Instant, HOUR};

    #[test]
    fn the_bundled_database_gives_berlins_2026_changes() {
        let text = "start = \"2026-03-28T00:00:00Z\"\nhorizon = \"220d\"\n\
                    time_zone = \"Europe/Berlin\"\n[objects.Lead]\nrecords = 10\n";
        let sc = from_str(text, "s.toml", "s", &[]).unwrap();
        let at = |s: &str| Instant::parse(s).unwrap().0;
        let cal = &sc.calendar;
        assert_eq!(cal.offset(at("2026-03-29T00:59:59Z")), HOUR as i64);
        assert_eq!(cal.offset(at("2026-03-29T01:00:00Z")), 2 * HOUR as i64);
        assert_eq!(cal.offset(at("2026-10-25T00:59:59Z")), 2 * HOUR as i64);
        assert_eq!(cal.offset(at("2026-10-25T01:00:00Z")), HOUR as i64);
    }

    #[test]
    fn an_unknown_zone_or_a_bad_date_is_named() {
        let base = "start = \"2026-03-28T00:00:00Z\"\n[objects.Lead]\nrecords = 10\n";
        let e = from_str(
            &format!("time_zone = \"Mars/Olympus\"\n{base}"),
            "s.toml",
            "s",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("time_zone: 'Mars/Olympus' is not a time zone"),
            "{e}"
        );
        let e = from_str(
            &format!("holidays = [\"2026-12-25\", \"25/12/2026\"]\n{base}"),
            "s.toml",
            "s",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("holidays[1]: '25/12/2026' is not a date"), "{e}");
    }
}
