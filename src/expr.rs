//! Targets and expectations: a small expression language over scalar metrics, evaluated
//! across replications. Shared by `[expect]` in scenarios (`syncsim check`) and the planner's
//! `--target` (`syncsim solve`, `syncsim schedule`).
//!
//! ```text
//! expr  := cond ("and" cond)*
//! cond  := METRIC [STAT] OP VALUE
//! STAT  := mean | min | max | pNN (a percentile across replications, e.g. p90)   default p50
//! OP    := <= | < | >= | > | == | !=
//! VALUE := number with an optional K/M suffix (400K) | duration (8h, 15m, 90s, 2d)
//!        | percentage (5%) | never | Normal | Growing
//! ```
//!
//! A duration is converted to the metric's unit, from the metric catalogue: hours for `..._h`
//! metrics, minutes for `..._min` ones (so `latency.Lead.p95_min p90 <= 15m` means 15). A
//! percentage (`5%`) bounds a share (`latency.Lead.share_over.15m <= 5%` means 0.05). `Normal` and
//! `Growing` are 0 and 1, for the `dashboard...growing` metrics. A time that did not happen
//! within the horizon ("never") ranks above every number: it fails an upper bound and passes
//! a lower one.

use std::fmt;

use crate::catalogue::{self, Unit};
use crate::stats::Values;
use crate::units::parse_duration;

/// Which statistic across replications a condition bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// The mean (undefined when a replication has no value).
    Mean,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// A nearest-rank percentile, 0 < p <= 100.
    Percentile(f64),
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stat::Mean => write!(f, "mean"),
            Stat::Min => write!(f, "min"),
            Stat::Max => write!(f, "max"),
            Stat::Percentile(p) => write!(f, "p{p}"),
        }
    }
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    /// Whether `actual OP bound` holds; `None` (never) is above every number.
    pub fn holds(self, actual: Option<f64>, bound: Option<f64>) -> bool {
        let inf = |x: Option<f64>| x.unwrap_or(f64::INFINITY);
        let (a, b) = (inf(actual), inf(bound));
        match self {
            Op::Le => a <= b,
            Op::Lt => a < b,
            Op::Ge => a >= b,
            Op::Gt => a > b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// One bound on one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The metric's name (see `docs/outputs.md`).
    pub metric: String,
    /// The statistic across replications.
    pub stat: Stat,
    /// The comparison.
    pub op: Op,
    /// The bound in the metric's unit; `None` is "never".
    pub bound: Option<f64>,
    /// The bound as written.
    pub bound_text: String,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.metric,
            self.stat,
            self.op.symbol(),
            self.bound_text
        )
    }
}

/// Conditions that must all hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The conditions, joined by `and`.
    pub conditions: Vec<Condition>,
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.conditions.iter().enumerate() {
            if i > 0 {
                write!(f, " and ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}': {why} (write METRIC [STAT] OP VALUE, e.g. \"event.bulk.clear_h p90 <= 24h\"; see docs/planner.md)")]
pub struct ExprError {
    /// The expression.
    pub text: String,
    /// What was wrong.
    pub why: String,
}

/// Parses an expression.
pub fn parse(text: &str) -> Result<Expr, ExprError> {
    let err = |why: String| ExprError {
        text: text.to_string(),
        why,
    };
    let mut conditions = Vec::new();
    for part in split_and(text) {
        let tokens: Vec<&str> = tokenize(part);
        if tokens.is_empty() {
            return Err(err("a condition is empty".into()));
        }
        let (metric, rest) = tokens.split_first().expect("non-empty");
        if !metric
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            || metric.starts_with('.')
        {
            return Err(err(format!("'{metric}' is not a metric name")));
        }
        let (stat, rest, after) = match rest.first().and_then(|t| parse_stat(t)) {
            Some(s) => (s.map_err(err)?, &rest[1..], format!("{metric} {}", rest[0])),
            None => (Stat::Percentile(50.0), rest, metric.to_string()),
        };
        let [op, value] = rest else {
            return Err(err(match rest {
                [] => format!("'{after}' needs an operator and a value after it"),
                [one] => {
                    format!("'{after}' needs an operator and a value after it; got only '{one}'")
                }
                more => format!(
                    "'{after}' takes an operator and a value after it; got {} words: '{}'",
                    more.len(),
                    more.join(" ")
                ),
            }));
        };
        let op = match *op {
            "<=" => Op::Le,
            "<" => Op::Lt,
            ">=" => Op::Ge,
            ">" => Op::Gt,
            "==" | "=" => Op::Eq,
            "!=" => Op::Ne,
            other => {
                return Err(err(format!(
                    "'{other}' is not an operator; use <=, <, >=, >, == or !="
                )))
            }
        };
        let bound = parse_value(metric, value).map_err(err)?;
        conditions.push(Condition {
            metric: metric.to_string(),
            stat,
            op,
            bound,
            bound_text: value.to_string(),
        });
    }
    Ok(Expr { conditions })
}

fn split_and(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(" and ") {
        parts.push(rest[..i].trim());
        rest = &rest[i + 5..];
    }
    parts.push(rest.trim());
    parts
}

/// Splits on whitespace and around operators, so `x<=5` reads like `x <= 5`.
fn tokenize(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if b"<>=!".contains(&c) {
            i += 1;
            if i < bytes.len() && bytes[i] == b'=' {
                i += 1;
            }
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"<>=!".contains(&bytes[i])
            {
                i += 1;
            }
        }
        tokens.push(&text[start..i]);
    }
    tokens
}

/// The statistic `token` names; `None` when it names none, an error when it is a
/// percentile out of the documented range, p1 to p100.
fn parse_stat(token: &str) -> Option<Result<Stat, String>> {
    match token {
        "mean" => Some(Ok(Stat::Mean)),
        "min" => Some(Ok(Stat::Min)),
        "max" => Some(Ok(Stat::Max)),
        t if t.len() > 1
            && t.starts_with('p')
            && t[1..].chars().all(|c| c.is_ascii_digit() || c == '.') =>
        {
            Some(match t[1..].parse::<f64>() {
                Ok(p) if (1.0..=100.0).contains(&p) => Ok(Stat::Percentile(p)),
                _ => Err(format!("'{token}': a percentile must be p1..p100")),
            })
        }
        _ => None,
    }
}

fn parse_value(metric: &str, value: &str) -> Result<Option<f64>, String> {
    match value {
        "never" => return Ok(None),
        "Normal" | "normal" => return Ok(Some(0.0)),
        "Growing" | "growing" => return Ok(Some(1.0)),
        _ => {}
    }
    let x = parse_number(metric, value)?;
    match x {
        Some(x) if !x.is_finite() => Err(format!(
            "'{value}' is not a finite number: a bound must be a number, a duration or never \
             (a NaN or infinite bound would make the condition hold always or never)"
        )),
        _ => Ok(x),
    }
}

fn parse_number(metric: &str, value: &str) -> Result<Option<f64>, String> {
    if let Some(percent) = value.strip_suffix('%') {
        let Ok(x) = percent.parse::<f64>() else {
            return Err(format!("'{value}' is not a percentage such as 5%"));
        };
        if catalogue::unit(metric) != Some(Unit::Fraction) {
            return Err(format!(
                "'{metric}' is not a share (its unit is {}), so '{value}' cannot be converted",
                catalogue::unit(metric)
                    .map_or("unknown: it is not in the metric catalogue", Unit::label)
            ));
        }
        return Ok(Some(x / 100.0));
    }
    let multiplier = match value.chars().last() {
        Some('K') | Some('k') => Some(1e3),
        Some('M') if value[..value.len() - 1].parse::<f64>().is_ok() => Some(1e6),
        _ => None,
    };
    if let Some(m) = multiplier {
        if let Ok(x) = value[..value.len() - 1].parse::<f64>() {
            return Ok(Some(x * m));
        }
    }
    if let Ok(x) = value.parse::<f64>() {
        return Ok(Some(x));
    }
    if let Ok(ms) = parse_duration(value) {
        let Some(unit) = catalogue::unit(metric).and_then(Unit::millis) else {
            return Err(format!(
                "'{metric}' is not a time metric (its unit is {}), so '{value}' cannot be converted",
                catalogue::unit(metric).map_or("unknown: it is not in the metric catalogue", Unit::label)
            ));
        };
        return Ok(Some(ms as f64 / unit as f64));
    }
    Err(format!(
        "'{value}' is not a number, a duration (8h, 15m) or never"
    ))
}

/// The value of `stat` over one metric's values across replications. What a missing value
/// means comes from the metric catalogue: "never" ranks above every number, "no data" is
/// left out.
pub fn statistic(metric: &str, values: &[Option<f64>], stat: Stat) -> Option<f64> {
    let v = Values::new(values, catalogue::missing(metric));
    match stat {
        Stat::Mean => v.mean(),
        Stat::Min => v.min(),
        Stat::Max => v.max(),
        Stat::Percentile(p) => v.percentile(p / 100.0),
    }
}

/// The confidence interval of `stat` over one metric's values at `confidence`: a
/// distribution-free interval of a percentile (order statistics), Student's t interval of a
/// mean; each bound `None` where it falls among the "never" values. `None` when there is no
/// interval: the smallest and largest value (and `p100`) are what they are, and fewer than
/// two values (or a mean with a missing value) give none.
pub fn statistic_interval(
    metric: &str,
    values: &[Option<f64>],
    stat: Stat,
    confidence: f64,
) -> Option<(Option<f64>, Option<f64>)> {
    let v = Values::new(values, catalogue::missing(metric));
    match stat {
        Stat::Mean => v
            .mean_ci_at(confidence)
            .map(|i| (Some(i.low), Some(i.high))),
        Stat::Percentile(p) if p < 100.0 => v.percentile_ci_at(p / 100.0, confidence),
        Stat::Percentile(_) | Stat::Min | Stat::Max => None,
    }
}

/// The outcome of one condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The condition.
    pub condition: Condition,
    /// The statistic's value (`None`: never, or no data).
    pub actual: Option<f64>,
    /// Whether it holds.
    pub pass: bool,
    /// Set when the metric does not exist in the run.
    pub unknown_metric: bool,
}

/// Evaluates every condition against metric columns: `column(name)` gives one value per
/// replication, or `None` if the run has no such metric.
pub fn evaluate(expr: &Expr, column: impl Fn(&str) -> Option<Vec<Option<f64>>>) -> Vec<Verdict> {
    expr.conditions
        .iter()
        .map(|c| match column(&c.metric) {
            None => Verdict {
                condition: c.clone(),
                actual: None,
                pass: false,
                unknown_metric: true,
            },
            Some(values) => {
                let actual = statistic(&c.metric, &values, c.stat);
                // "No data" (e.g. no synced Leads) holds nothing back and proves nothing:
                // it fails, so a target on an empty metric is noticed.
                let no_data = actual.is_none() && !catalogue::missing(&c.metric).ranks_above();
                Verdict {
                    condition: c.clone(),
                    actual,
                    pass: !no_data && c.op.holds(actual, c.bound),
                    unknown_metric: false,
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_conditions_with_units_and_stats() {
        let e = parse(
            "event.bulk.clear_h p90 <= 8h and latency.Lead.p95_min < 15m and backlog.max<=400K",
        )
        .unwrap();
        assert_eq!(e.conditions.len(), 3);
        assert_eq!(e.conditions[0].stat, Stat::Percentile(90.0));
        assert_eq!(e.conditions[0].bound, Some(8.0));
        assert_eq!(e.conditions[1].stat, Stat::Percentile(50.0));
        assert_eq!(e.conditions[1].bound, Some(15.0));
        assert_eq!(
            (e.conditions[2].op, e.conditions[2].bound),
            (Op::Le, Some(400_000.0))
        );
        assert_eq!(e.to_string(), "event.bulk.clear_h p90 <= 8h and latency.Lead.p95_min p50 < 15m and backlog.max p50 <= 400K");
        let s = parse("dashboard.growing max == Normal").unwrap();
        assert_eq!(
            (s.conditions[0].stat, s.conditions[0].bound),
            (Stat::Max, Some(0.0))
        );
        assert_eq!(
            parse("event.x.clear_h 90s").unwrap_err().why,
            "'event.x.clear_h' needs an operator and a value after it; got only '90s'"
        );
        let share =
            parse("latency.Lead.share_over.15m p90 <= 5% and backlog.hours_above.50000 <= 6h")
                .unwrap();
        assert_eq!(share.conditions[0].bound, Some(0.05));
        assert_eq!(share.conditions[1].bound, Some(6.0));
        assert!(parse("backlog.max <= 5%")
            .unwrap_err()
            .why
            .contains("is not a share"));
    }

    #[test]
    fn bad_expressions_say_why() {
        for (text, why) in [
            ("", "a condition is empty"),
            ("backlog.max ~ 5", "'~' is not an operator"),
            ("backlog.max <= 5h", "not a time metric"),
            ("backlog.max <= lots", "not a number"),
            ("backlog.max p0 <= 5", "p1..p100"),
            (
                "backlog.max p0.5 <= 5",
                "'p0.5': a percentile must be p1..p100",
            ),
            ("backlog.max p100.5 <= 5", "p1..p100"),
            ("backlog.max != NaN", "'NaN' is not a finite number"),
            ("backlog.max <= inf", "'inf' is not a finite number"),
            ("backlog.max <= -infinity", "not a finite number"),
            ("backlog.max <= 1e999", "not a finite number"),
            ("backlog.max <= nanK", "not a finite number"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn statistics_rank_never_above_every_value() {
        let values = [Some(1.0), Some(2.0), Some(3.0), None];
        assert_eq!(
            statistic("event.x.clear_h", &values, Stat::Percentile(50.0)),
            Some(2.0)
        );
        assert_eq!(
            statistic("event.x.clear_h", &values, Stat::Percentile(90.0)),
            None
        );
        assert_eq!(statistic("event.x.clear_h", &values, Stat::Mean), None);
        assert_eq!(
            statistic("latency.L.p50_min", &values, Stat::Percentile(90.0)),
            Some(3.0)
        );
        assert_eq!(
            statistic("x", &[Some(4.0), Some(2.0)], Stat::Mean),
            Some(3.0)
        );
    }

    #[test]
    fn evaluation_passes_and_fails_as_written() {
        let col = [Some(6.0), Some(7.0), Some(9.0)];
        let e = parse("event.x.clear_h p90 <= 8h and event.x.clear_h min >= 6h").unwrap();
        let v = evaluate(&e, |_| Some(col.to_vec()));
        assert_eq!((v[0].actual, v[0].pass), (Some(9.0), false));
        assert!(v[1].pass);
        let never = [None, None];
        let v = evaluate(&parse("event.x.clear_h <= 8h").unwrap(), |_| {
            Some(never.to_vec())
        });
        assert!(!v[0].pass, "never clearing fails an upper bound");
        let v = evaluate(&parse("no.such.metric <= 1").unwrap(), |_| None);
        assert!(v[0].unknown_metric && !v[0].pass);
    }
}
