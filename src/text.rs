//! Numbers as text, the only copy of each format: fixed decimals without a negative zero,
//! digits grouped by thousands, and the shortest form of a number rounded to 6 decimals that
//! CSV and JSON share (so the same value reads the same in every file); and the one CSV
//! writer configuration every table uses.

/// Formats `x` with `decimals` decimals, without a negative zero.
pub fn fixed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Groups digits by thousands: `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `x` rounded to 6 decimals as a JSON number (whole numbers without a decimal point), so
/// float noise never shows in diffs; `null` for a value that is not finite.
pub fn json_number(x: f64) -> serde_json::Value {
    let rounded = (x * 1e6).round() / 1e6;
    if rounded.fract() == 0.0 && rounded.abs() < 9e15 {
        serde_json::Value::from(rounded as i64)
    } else {
        serde_json::Number::from_f64(rounded)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// A number for CSV, rounded exactly as in JSON ([`json_number`]): integers without decimals,
/// others to at most 6 decimals in their shortest form; empty if not finite.
pub fn num(x: f64) -> String {
    match json_number(x) {
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// [`num`] of a value that may be missing (empty).
pub fn opt_num(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

/// A value of a statistic for tables: a number, `never` (a time that did not happen within
/// the horizon) or empty (no data).
pub fn cell(metric: &str, value: Option<f64>) -> String {
    match value {
        Some(v) => num(v),
        None if crate::catalogue::missing(metric).ranks_above() => "never".into(),
        None => String::new(),
    }
}

/// A metric's value for people, to set against a bound: a time metric as a duration in the
/// unit that reads best (`10.7 h`, `4.2 min`: [`crate::units::human_duration_to_compare`]),
/// a share as a percentage (`3.2%`), a status as `Growing` or `Normal`, anything else as a
/// number; `never` or `none` (no data) when it has no value, as the metric catalogue says.
/// Reports for scripts keep the plain number.
pub fn metric_text(metric: &str, value: Option<f64>) -> String {
    use crate::catalogue::{self, Unit};
    let Some(x) = value else {
        return if catalogue::missing(metric).ranks_above() {
            "never".into()
        } else {
            "none".into()
        };
    };
    match catalogue::unit(metric) {
        Some(unit @ (Unit::Hours | Unit::Minutes)) if x.is_finite() && x >= 0.0 => {
            let ms = unit.millis().expect("a time unit") as f64;
            crate::units::human_duration_to_compare((x * ms).round() as u64)
        }
        Some(Unit::Fraction) => format!("{}%", num((x * 1000.0).round() / 10.0)),
        Some(Unit::Status) if x == 0.0 => "Normal".into(),
        Some(Unit::Status) if x == 1.0 => "Growing".into(),
        _ => num(x),
    }
}

/// A CSV writer over `w` with the project's one configuration: `\n` line ends, quoting only
/// where needed.
pub fn csv_writer(w: &mut dyn std::io::Write) -> csv::Writer<&mut dyn std::io::Write> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

/// A CSV writer's error as the I/O error it wraps.
pub fn csv_io_error(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn fixed_has_no_negative_zero_and_num_is_shortest() {
        assert_eq!(fixed(-0.0001, 2), "0.00");
        assert_eq!(fixed(2.5, 2), "2.50");
        assert_eq!(num(3.0), "3");
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(6.5727251), "6.572725");
        assert_eq!(num(f64::NAN), "");
    }

    #[test]
    fn metric_values_read_in_their_unit() {
        assert_eq!(
            metric_text("latency.Lead.max_min", Some(642.974867)),
            "10.7 h"
        );
        assert_eq!(metric_text("event.x.clear_h", Some(6.572725)), "6.57 h");
        assert_eq!(metric_text("dashboard.growing", Some(0.0)), "Normal");
        assert_eq!(metric_text("dashboard.growing", Some(0.5)), "0.5");
        assert_eq!(metric_text("event.x.clear_h", None), "never");
        assert_eq!(metric_text("latency.Lead.p50_min", None), "none");
        assert_eq!(
            metric_text("latency.Lead.share_over.15m", Some(0.0321)),
            "3.2%"
        );
        assert_eq!(metric_text("backlog.max", Some(257835.0)), "257835");
    }
}
