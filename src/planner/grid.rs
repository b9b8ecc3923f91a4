//! Candidate values: lists (`v1,v2,v3`) and ranges (`lo..hi:step`) of numbers or durations,
//! the Cartesian grid of several of them in a fixed order, and shards of that grid.

use std::fmt;

use crate::text::num;
use crate::units::{format_duration, parse_duration, Millis};

/// The most points a grid (or a sweep range) may have.
pub const MAX_POINTS: u64 = 1_000_000;

/// What a range's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Whole numbers (workers, counts, batch sizes; throughput written as an integer).
    Integer,
    /// Real numbers (rates, fractions).
    Real,
    /// Durations, on a grid of whole milliseconds (`at`, `spread`, `cycle_wait`).
    Duration,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Integer => "integer",
            Kind::Real => "real",
            Kind::Duration => "duration",
        })
    }
}

/// An inclusive range on a grid: `lo, lo + step, lo + 2 step, ...` up to `hi`, and `hi`
/// itself as the last point even when `hi - lo` is not a multiple of `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// What the values are.
    pub kind: Kind,
    /// First value (milliseconds for durations).
    pub lo: f64,
    /// Last value.
    pub hi: f64,
    /// Spacing of the grid, above 0.
    pub step: f64,
}

/// How a range without a step gets one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultStep {
    /// Integers step by 1; reals and durations must give a step.
    IntegersOnly,
    /// Integers step by 1; reals and durations by `(hi - lo) / divisions` (durations rounded
    /// up to whole milliseconds).
    Divisions(u32),
}

/// A number as written: `Some((value, is_integer))`. Underscores are allowed (`10_000`).
fn number(text: &str) -> Option<(f64, bool)> {
    let t: String = text.trim().chars().filter(|c| *c != '_').collect();
    if t.is_empty() {
        return None;
    }
    let digits = t.strip_prefix('-').unwrap_or(&t);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return t.parse::<i64>().ok().map(|v| (v as f64, true));
    }
    // Only plain decimal notation: `inf`, `nan` and hex are not values a scenario takes.
    if !t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
        return None;
    }
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| (v, false))
}

/// Exact integers in an f64 stop at 2^53; ranges stay below.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

impl Range {
    /// Parses `LO..HI` with an optional step (`STEP`); `Ok(None)` when the text does not look
    /// like a range of numbers or durations at all (so it can be read as a plain value).
    pub fn parse(
        bounds: &str,
        step: Option<&str>,
        default: DefaultStep,
    ) -> Result<Option<Range>, String> {
        let Some((lo_t, hi_t)) = bounds.split_once("..") else {
            return Ok(None);
        };
        let (lo_t, hi_t) = (lo_t.trim(), hi_t.trim());
        let whole = match step {
            Some(s) => format!("{bounds}:{s}"),
            None => bounds.to_string(),
        };
        let err = |why: String| -> Result<Option<Range>, String> {
            Err(format!("range '{whole}': {why}"))
        };
        let range = if let (Some((lo, lo_int)), Some((hi, hi_int))) = (number(lo_t), number(hi_t)) {
            let (kind, step) = match step {
                Some(s) => match number(s) {
                    Some((v, int)) => (
                        if lo_int && hi_int && int {
                            Kind::Integer
                        } else {
                            Kind::Real
                        },
                        v,
                    ),
                    None => return err(format!("the step '{s}' is not a number")),
                },
                None if lo_int && hi_int => (Kind::Integer, 1.0),
                None => match default {
                    DefaultStep::IntegersOnly => {
                        return err(format!(
                            "a range of real numbers needs a step, e.g. {lo_t}..{hi_t}:0.1"
                        ))
                    }
                    DefaultStep::Divisions(d) => (Kind::Real, (hi - lo) / d as f64),
                },
            };
            if lo.abs() > MAX_EXACT || hi.abs() > MAX_EXACT {
                return err("its bounds are too large".into());
            }
            Range { kind, lo, hi, step }
        } else if let (Ok(lo), Ok(hi)) = (parse_duration(lo_t), parse_duration(hi_t)) {
            let step = match step {
                Some(s) => match parse_duration(s) {
                    Ok(v) => v as f64,
                    Err(_) => {
                        return err(format!(
                            "the step '{s}' is not a duration; a range of durations steps by a duration, e.g. {lo_t}..{hi_t}:1h"
                        ))
                    }
                },
                None => match default {
                    DefaultStep::IntegersOnly => {
                        return err(format!(
                            "a range of durations needs a step, e.g. {lo_t}..{hi_t}:1h"
                        ))
                    }
                    DefaultStep::Divisions(d) => (hi.saturating_sub(lo)).div_ceil(d as Millis) as f64,
                },
            };
            if lo as f64 > MAX_EXACT || hi as f64 > MAX_EXACT {
                return err("its bounds are too long".into());
            }
            Range {
                kind: Kind::Duration,
                lo: lo as f64,
                hi: hi as f64,
                step,
            }
        } else {
            // `a..b` of anything else is a plain value (a name, say), not a range.
            return Ok(None);
        };
        if range.lo > range.hi {
            return err(format!(
                "{lo_t} is above {hi_t}; write LO..HI with LO <= HI"
            ));
        }
        let no_step = range.step == 0.0 && range.lo < range.hi;
        if !range.step.is_finite() || range.step < 0.0 || no_step {
            return err("the step must be above 0".into());
        }
        Ok(Some(range))
    }

    /// Number of grid points (at least 1).
    pub fn len(&self) -> u64 {
        if self.lo >= self.hi || self.step <= 0.0 {
            return 1;
        }
        let steps = ((self.hi - self.lo) / self.step * (1.0 + 1e-12)).floor();
        let steps = steps.min(u64::MAX as f64 / 2.0) as u64;
        if self.value_raw(steps) < self.hi - self.step * 1e-9 {
            steps + 2
        } else {
            steps + 1
        }
    }

    /// Always false: a range has at least one point.
    pub fn is_empty(&self) -> bool {
        false
    }

    fn value_raw(&self, k: u64) -> f64 {
        self.lo + k as f64 * self.step
    }

    /// The value of grid point `k` (0-based), as the number the text of [`Range::text`]
    /// holds.
    pub fn value(&self, k: u64) -> f64 {
        let last = self.len() - 1;
        let v = if k >= last {
            self.hi
        } else {
            self.value_raw(k).min(self.hi)
        };
        match self.kind {
            Kind::Integer | Kind::Duration => v.round(),
            Kind::Real => num(v).parse().unwrap_or(v),
        }
    }

    /// The text of grid point `k`, as given to `--set`: `12`, `0.35`, `90m`.
    pub fn text(&self, k: u64) -> String {
        let v = self.value(k);
        match self.kind {
            Kind::Integer => format!("{}", v as i64),
            Kind::Real => num(v),
            Kind::Duration => format_duration(v as Millis),
        }
    }
}

/// One swept key and its values (texts as given to `--set`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// Key path, e.g. `sync.workers`.
    pub path: String,
    /// Values in the order given (ranges expanded).
    pub values: Vec<String>,
}

/// A `--set` argument read by `sweep`: one value overrides, several make an axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetArg {
    /// `PATH=VALUE`: applied to every point.
    One(String),
    /// `PATH=v1,v2,...` or `PATH=lo..hi:step`.
    Many(Axis),
}

/// Splits at commas outside quotes, brackets and braces.
fn split_list(text: &str) -> Vec<&str> {
    split_outside(text, ',')
}

/// Splits at `sep` outside quotes, brackets and braces.
pub(crate) fn split_outside(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, c) if c == sep && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Reads one `--set` of a sweep: `PATH=v1,v2,...` (commas inside quotes or brackets do not
/// split), `PATH=lo..hi` (integers, step 1) or `PATH=lo..hi:step` (numbers or durations), or
/// a plain `PATH=VALUE`.
pub fn parse_set(arg: &str) -> Result<SetArg, String> {
    let Some((path, value)) = arg.split_once('=') else {
        return Ok(SetArg::One(arg.to_string()));
    };
    let (path, value) = (path.trim(), value.trim());
    let axis = |values: Vec<String>| {
        Ok(SetArg::Many(Axis {
            path: path.to_string(),
            values,
        }))
    };
    let parts = split_list(value);
    if parts.len() > 1 {
        if let Some(i) = parts.iter().position(|p| p.trim().is_empty()) {
            return Err(format!(
                "--set {arg}: value {} of the list is empty; write PATH=v1,v2,... with no empty values",
                i + 1
            ));
        }
        return axis(parts.iter().map(|p| p.trim().to_string()).collect());
    }
    if value.contains("..") && !value.starts_with(['"', '\'', '[', '{']) {
        let (bounds, step) = match value.rsplit_once(':') {
            Some((b, s)) if b.contains("..") => (b, Some(s)),
            _ => (value, None),
        };
        if let Some(r) = Range::parse(bounds, step, DefaultStep::IntegersOnly)
            .map_err(|e| format!("--set {arg}: {e}"))?
        {
            if r.len() > MAX_POINTS {
                return Err(format!(
                    "--set {arg}: {} values; a range may have at most {MAX_POINTS}",
                    r.len()
                ));
            }
            return axis((0..r.len()).map(|k| r.text(k)).collect());
        }
    }
    Ok(SetArg::One(arg.to_string()))
}

/// The Cartesian product of axes. Point indices run in nested-loop order: the first axis
/// varies slowest, the last fastest (`--set a=1,2 --set b=x,y` gives (1,x) (1,y) (2,x)
/// (2,y)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    /// The axes, in command-line order.
    pub axes: Vec<Axis>,
}

impl Grid {
    /// A grid over `axes`; refuses a key swept twice and more than [`MAX_POINTS`] points.
    pub fn new(axes: Vec<Axis>) -> Result<Self, String> {
        for (i, a) in axes.iter().enumerate() {
            if axes[..i].iter().any(|b| b.path == a.path) {
                return Err(format!(
                    "'{}' is swept by two --set options; give all its values in one",
                    a.path
                ));
            }
        }
        let mut n: u64 = 1;
        for a in &axes {
            n = n.saturating_mul(a.values.len() as u64);
        }
        if n > MAX_POINTS {
            return Err(format!(
                "the grid has {n} points; at most {MAX_POINTS} are allowed (use fewer values, or a coarser step)"
            ));
        }
        Ok(Grid { axes })
    }

    /// Number of points (1 with no axes: the scenario itself).
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Always false: a grid has at least one point.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The value index on each axis of point `i`.
    pub fn coordinates(&self, mut i: usize) -> Vec<usize> {
        let mut out = vec![0; self.axes.len()];
        for (a, axis) in self.axes.iter().enumerate().rev() {
            let n = axis.values.len();
            out[a] = i % n;
            i /= n;
        }
        out
    }

    /// The value texts of point `i`, one per axis.
    pub fn values(&self, i: usize) -> Vec<&str> {
        self.coordinates(i)
            .iter()
            .zip(&self.axes)
            .map(|(&k, a)| a.values[k].as_str())
            .collect()
    }

    /// The `PATH=VALUE` assignments of point `i`.
    pub fn assignments(&self, i: usize) -> Vec<String> {
        self.values(i)
            .iter()
            .zip(&self.axes)
            .map(|(v, a)| format!("{}={v}", a.path))
            .collect()
    }
}

pub use crate::shard::Shard;

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> Range {
        let (b, s) = match text.rsplit_once(':') {
            Some((b, s)) if b.contains("..") => (b, Some(s)),
            _ => (text, None),
        };
        Range::parse(b, s, DefaultStep::Divisions(1000))
            .unwrap()
            .unwrap()
    }

    fn texts(r: &Range) -> Vec<String> {
        (0..r.len()).map(|k| r.text(k)).collect()
    }

    #[test]
    fn ranges_of_integers_reals_and_durations() {
        assert_eq!(texts(&range("1..4")), ["1", "2", "3", "4"]);
        assert_eq!(texts(&range("10000..50000:10000")).len(), 5);
        assert_eq!(
            texts(&range("0..1:0.25")),
            ["0", "0.25", "0.5", "0.75", "1"]
        );
        assert_eq!(texts(&range("0.1..0.3:0.1")), ["0.1", "0.2", "0.3"]);
        // HI is always the last point.
        assert_eq!(texts(&range("0..10:4")), ["0", "4", "8", "10"]);
        assert_eq!(texts(&range("0..2h:30m")), ["0", "30m", "1h", "90m", "2h"]);
        assert_eq!(texts(&range("5..5")), ["5"]);
        let real = range("0..2.5");
        assert_eq!((real.kind, real.len()), (Kind::Real, 1001));
        assert_eq!(real.text(1), "0.0025");
        assert_eq!(range("0..1000").kind, Kind::Integer);
        assert_eq!(range("1h..2h").step, 3_600.0);
    }

    #[test]
    fn bad_ranges_say_why() {
        let e =
            |b: &str, s: Option<&str>| Range::parse(b, s, DefaultStep::IntegersOnly).unwrap_err();
        assert!(e("5..1", None).contains("5 is above 1"));
        assert!(e("1..5", Some("0")).contains("step must be above 0"));
        assert!(e("1..5", Some("-1")).contains("step must be above 0"));
        assert!(e("0.5..1", None).contains("needs a step"));
        assert!(e("0..4h", None).contains("needs a step"));
        assert!(e("0..4h", Some("5")).contains("not a duration"));
        assert!(e("1..5", Some("x")).contains("not a number"));
        assert_eq!(
            Range::parse("a..b", None, DefaultStep::IntegersOnly),
            Ok(None)
        );
    }

    #[test]
    fn set_arguments_split_into_overrides_and_axes() {
        assert_eq!(
            parse_set("sync.workers=2").unwrap(),
            SetArg::One("sync.workers=2".into())
        );
        assert_eq!(
            parse_set("sync.workers=1,2, 4").unwrap(),
            SetArg::Many(Axis {
                path: "sync.workers".into(),
                values: vec!["1".into(), "2".into(), "4".into()]
            })
        );
        assert_eq!(
            parse_set("sync.workers=1..3").unwrap(),
            SetArg::Many(Axis {
                path: "sync.workers".into(),
                values: vec!["1".into(), "2".into(), "3".into()]
            })
        );
        let SetArg::Many(a) = parse_set("events.x.at=0..6h:2h").unwrap() else {
            panic!()
        };
        assert_eq!(a.values, ["0", "2h", "4h", "6h"]);
        // Commas inside TOML arrays, tables and strings do not split.
        for one in [
            r#"sync.order=["Lead","Contact"]"#,
            r#"sync.gates={Contact="Account", Lead="Account"}"#,
            r#"description="a, b""#,
            "name=a..b",
        ] {
            assert_eq!(parse_set(one).unwrap(), SetArg::One(one.into()), "{one}");
        }
        let SetArg::Many(a) =
            parse_set(r#"sync.order=["Lead","Contact"],["Contact","Lead"]"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(a.values.len(), 2);
        assert!(parse_set("sync.workers=1,,2")
            .unwrap_err()
            .contains("empty"));
        assert!(parse_set("sync.workers=4..1")
            .unwrap_err()
            .contains("above"));
    }

    #[test]
    fn grid_points_run_in_nested_loop_order() {
        let g = Grid::new(vec![
            Axis {
                path: "a".into(),
                values: vec!["1".into(), "2".into()],
            },
            Axis {
                path: "b".into(),
                values: vec!["x".into(), "y".into(), "z".into()],
            },
        ])
        .unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g.values(0), ["1", "x"]);
        assert_eq!(g.values(1), ["1", "y"]);
        assert_eq!(g.values(3), ["2", "x"]);
        assert_eq!(g.assignments(5), ["a=2", "b=z"]);
        assert_eq!(Grid::new(vec![]).unwrap().len(), 1);
        let twice = Grid::new(vec![g.axes[0].clone(), g.axes[0].clone()]);
        assert!(twice.unwrap_err().contains("swept by two"));
    }
}
