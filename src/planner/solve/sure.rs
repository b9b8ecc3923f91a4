//! How sure a candidate's verdict is: each condition's statistic has a confidence interval
//! (a percentile's from order statistics, a mean's from Student's t); a condition surely
//! holds when its whole interval is on the passing side of the bound, surely fails when the
//! whole interval is on the failing side, and is unsure when the interval straddles the
//! bound. And how many replications a percentile needs before it can be bounded at all.

use crate::catalogue;
use crate::expr::{Condition, Op, Stat, Verdict};
use crate::stats::replications_for_percentile;

/// A candidate's verdict at the confidence asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sure {
    /// Every condition's interval is on its passing side.
    Pass,
    /// Some condition's interval is on its failing side.
    Fail,
    /// Neither: some interval straddles its bound.
    Unsure,
}

impl Sure {
    /// The word in tables.
    pub fn label(self) -> &'static str {
        match self {
            Sure::Pass => "pass",
            Sure::Fail => "fail",
            Sure::Unsure => "unsure",
        }
    }
}

/// An interval of a statistic: each bound a value, or `None` for "never".
pub type Bounds = (Option<f64>, Option<f64>);

/// How sure one condition is, from its verdict (the point statistic) and its interval
/// (`None`: no interval, the verdict is taken as it is).
pub fn condition(v: &Verdict, interval: Option<Bounds>) -> Sure {
    let c = &v.condition;
    let no_data = v.actual.is_none() && !catalogue::missing(&c.metric).ranks_above();
    if no_data || v.unknown_metric {
        return Sure::Fail;
    }
    let Some((lo, hi)) = interval else {
        return if v.pass { Sure::Pass } else { Sure::Fail };
    };
    let holds = |x: Option<f64>| c.op.holds(x, c.bound);
    // Which end of the interval decides a sure pass, and which a sure fail.
    let (pass_end, fail_end) = match c.op {
        Op::Le | Op::Lt => (hi, lo),
        Op::Ge | Op::Gt => (lo, hi),
        Op::Eq | Op::Ne => return if v.pass { Sure::Pass } else { Sure::Fail },
    };
    if holds(pass_end) {
        Sure::Pass
    } else if !holds(fail_end) {
        Sure::Fail
    } else {
        Sure::Unsure
    }
}

/// How sure a target is: surely passing when every condition is, surely failing when one
/// is, else unsure.
pub fn target(each: &[Sure]) -> Sure {
    if each.contains(&Sure::Fail) {
        Sure::Fail
    } else if each.iter().all(|s| *s == Sure::Pass) {
        Sure::Pass
    } else {
        Sure::Unsure
    }
}

/// The replications a condition needs for its statistic to have an interval at
/// `confidence`: a percentile (below 100) as many as [`replications_for_percentile`] says,
/// a mean 2, the smallest or largest value 1.
pub fn needed(c: &Condition, confidence: f64) -> u64 {
    match c.stat {
        Stat::Percentile(p) if p < 100.0 => replications_for_percentile(p / 100.0, confidence),
        Stat::Mean => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn verdict(text: &str, actual: Option<f64>) -> Verdict {
        let c = parse(text).unwrap().conditions.remove(0);
        Verdict {
            pass: c.op.holds(actual, c.bound),
            condition: c,
            actual,
            unknown_metric: false,
        }
    }

    #[test]
    fn an_interval_across_the_bound_is_unsure() {
        let v = verdict("event.x.clear_h p90 <= 8h", Some(7.9));
        assert_eq!(condition(&v, Some((Some(7.0), Some(7.99)))), Sure::Pass);
        assert_eq!(condition(&v, Some((Some(7.5), Some(8.2)))), Sure::Unsure);
        assert_eq!(
            condition(&v, Some((Some(7.5), None))),
            Sure::Unsure,
            "up to never"
        );
        let v = verdict("event.x.clear_h p90 <= 8h", Some(9.0));
        assert_eq!(condition(&v, Some((Some(8.1), Some(9.5)))), Sure::Fail);
        // A lower bound turns it around.
        let v = verdict("synced p50 >= 100", Some(120.0));
        assert_eq!(condition(&v, Some((Some(101.0), Some(130.0)))), Sure::Pass);
        assert_eq!(condition(&v, Some((Some(90.0), Some(130.0)))), Sure::Unsure);
        assert_eq!(condition(&v, Some((Some(50.0), Some(99.0)))), Sure::Fail);
        // No interval: as the verdict says.
        assert_eq!(condition(&v, None), Sure::Pass);
        assert_eq!(target(&[Sure::Pass, Sure::Unsure]), Sure::Unsure);
        assert_eq!(target(&[Sure::Fail, Sure::Unsure]), Sure::Fail);
    }

    #[test]
    fn percentiles_need_replications() {
        let c = |t: &str| parse(t).unwrap().conditions.remove(0);
        assert_eq!(needed(&c("event.x.clear_h p90 <= 8h"), 0.95), 36);
        assert_eq!(needed(&c("event.x.clear_h <= 8h"), 0.95), 6);
        assert_eq!(needed(&c("event.x.clear_h mean <= 8h"), 0.95), 2);
        assert_eq!(needed(&c("event.x.clear_h max <= 8h"), 0.95), 1);
        assert_eq!(needed(&c("event.x.clear_h p100 <= 8h"), 0.95), 1);
    }
}
