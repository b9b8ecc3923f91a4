//! Statistics of many values: nearest-rank percentiles, the mean with its confidence interval,
//! and distribution-free confidence intervals of percentiles. The only copy of each formula:
//! latency percentiles within a run, aggregates across replications, expressions over
//! replications and the planner's tables all come here.
//!
//! Beside them (`stats/`): quantiles of the normal and t distributions at any probability,
//! paired comparisons of two variants run with the same seeds, and subset selection among
//! many (which alternatives cannot be told apart from the best).
//!
//! A missing value is either "never" (a time that did not come within the horizon, or an
//! infinite estimate: ranked above every number) or "no data" (left out), as the metric
//! catalogue says ([`crate::catalogue::Missing`]).

mod paired;
mod quantiles;
mod selection;

pub use paired::{paired, sign_test, Method, PairedDifference, Shift};
pub use quantiles::{normal_quantile, t_cdf, t_quantile};
pub use selection::screen;

use crate::catalogue::Missing;

/// The 1-based rank of the nearest-rank `p` percentile (`p` in 0..=1) of `n` values:
/// `ceil(p * n)`, clamped to 1..=n.
pub fn nearest_rank_index(n: usize, p: f64) -> usize {
    ((p * n as f64).ceil() as usize).clamp(1, n)
}

/// The nearest-rank percentile of `samples` (reordered): the `ceil(p * n)`-th smallest value.
pub fn nearest_rank(samples: &mut [u64], p: f64) -> u64 {
    let k = nearest_rank_index(samples.len(), p);
    *samples.select_nth_unstable(k - 1).1
}

/// [`nearest_rank`] over floats (ordered by `total_cmp`).
pub fn nearest_rank_f64(samples: &mut [f64], p: f64) -> f64 {
    let k = nearest_rank_index(samples.len(), p);
    *samples
        .select_nth_unstable_by(k - 1, |a, b| a.total_cmp(b))
        .1
}

/// Two-sided 97.5% quantiles of Student's t for 1..=30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// The 97.5% quantile of Student's t with `df` degrees of freedom: a table to 30, then the
/// Cornish-Fisher expansion around the normal quantile (error below 1e-4).
pub fn t_975(df: usize) -> f64 {
    if df == 0 {
        return f64::INFINITY;
    }
    if df <= 30 {
        return T975[df - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let v = df as f64;
    z + (z.powi(3) + z) / (4.0 * v)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / (384.0 * v.powi(3))
}

/// Ranks (1-based) of the order statistics bracketing the `p` quantile of `n` values with
/// about 95% confidence: `n p -/+ 1.96 sqrt(n p (1 - p))`, the normal approximation to the
/// binomial, clamped to 1..=n.
pub fn order_statistic_ci(n: usize, p: f64) -> (usize, usize) {
    let np = n as f64 * p;
    let half = 1.96 * (np * (1.0 - p)).sqrt();
    let lo = ((np - half).floor() as i64).clamp(1, n as i64) as usize;
    let hi = ((np + half).ceil() as i64 + 1).clamp(1, n as i64) as usize;
    (lo, hi)
}

/// [`order_statistic_ci`] at any confidence (e.g. 0.9): `n p -/+ z sqrt(n p (1 - p))` with
/// `z` the normal quantile of `(1 + confidence) / 2`.
pub fn order_statistic_ci_at(n: usize, p: f64, confidence: f64) -> (usize, usize) {
    let z = normal_quantile(0.5 + confidence / 2.0);
    let np = n as f64 * p;
    let half = z * (np * (1.0 - p)).sqrt();
    let lo = ((np - half).floor() as i64).clamp(1, n as i64) as usize;
    let hi = ((np + half).ceil() as i64 + 1).clamp(1, n as i64) as usize;
    (lo, hi)
}

/// The fewest values from which a distribution-free interval of the `p` quantile (`p` in
/// 0..1) at `confidence` has both its bounds among the values: the largest of `n` values
/// must lie above the quantile, and the smallest below it, each with probability
/// `(1 + confidence) / 2`, so `n >= ln((1 - confidence) / 2) / ln(max(p, 1 - p))`. For the
/// 90th percentile at 95%: 36; the median: 6.
pub fn replications_for_percentile(p: f64, confidence: f64) -> u64 {
    let q = p.max(1.0 - p);
    if q >= 1.0 {
        return u64::MAX;
    }
    ((((1.0 - confidence) / 2.0).ln() / q.ln()) - 1e-9)
        .ceil()
        .max(1.0) as u64
}

/// A 95% confidence interval of the mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// A 95% confidence interval of a percentile, from order statistics: each bound a value, or
/// `None` where it falls among the "never" replications.
pub type PercentileInterval = (Option<f64>, Option<f64>);

/// One metric's values, sorted, with what its missing values mean: the input of every
/// statistic across replications.
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    /// The values present, ascending.
    present: Vec<f64>,
    /// Missing values ranked above every number ("never", infinite).
    above: usize,
    /// Missing values left out ("no data").
    left_out: usize,
}

impl Values {
    /// The values of one metric (one per replication) whose missing values mean `missing`.
    pub fn new(values: &[Option<f64>], missing: Missing) -> Self {
        let mut present: Vec<f64> = values.iter().flatten().copied().collect();
        present.sort_by(|a, b| a.total_cmp(b));
        let absent = values.len() - present.len();
        let (above, left_out) = if missing.ranks_above() {
            (absent, 0)
        } else {
            (0, absent)
        };
        Values {
            present,
            above,
            left_out,
        }
    }

    /// Values present.
    pub fn n(&self) -> usize {
        self.present.len()
    }

    /// Missing values ranked above every number.
    pub fn never(&self) -> usize {
        self.above
    }

    /// Values ranked: those present and those above them.
    fn ranked(&self) -> usize {
        self.present.len() + self.above
    }

    /// The value at 1-based rank `k`; `None` among those ranked above every number.
    fn at_rank(&self, k: usize) -> Option<f64> {
        (k >= 1 && k <= self.present.len()).then(|| self.present[k - 1])
    }

    /// The mean, defined only when every value is present.
    pub fn mean(&self) -> Option<f64> {
        let n = self.present.len();
        (n > 0 && self.above == 0 && self.left_out == 0)
            .then(|| self.present.iter().sum::<f64>() / n as f64)
    }

    /// The sample standard deviation (at least two values, all present).
    pub fn sd(&self) -> Option<f64> {
        let n = self.present.len();
        self.mean().filter(|_| n >= 2).map(|m| {
            (self.present.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64).sqrt()
        })
    }

    /// The 95% confidence interval of the mean (Student's t).
    pub fn mean_ci(&self) -> Option<Interval> {
        let n = self.present.len();
        self.mean().zip(self.sd()).map(|(m, s)| {
            let half = t_975(n - 1) * s / (n as f64).sqrt();
            Interval {
                low: m - half,
                high: m + half,
            }
        })
    }

    /// The confidence interval of the mean at `confidence` (Student's t).
    pub fn mean_ci_at(&self, confidence: f64) -> Option<Interval> {
        let n = self.present.len();
        self.mean().zip(self.sd()).map(|(m, s)| {
            let half = t_quantile(0.5 + confidence / 2.0, n - 1) * s / (n as f64).sqrt();
            Interval {
                low: m - half,
                high: m + half,
            }
        })
    }

    /// The distribution-free interval of the `p` percentile at `confidence` (at least two
    /// ranked values); each bound `None` where it falls among those ranked above every
    /// number.
    pub fn percentile_ci_at(&self, p: f64, confidence: f64) -> Option<PercentileInterval> {
        let ranked = self.ranked();
        (ranked >= 2).then(|| {
            let (lo, hi) = order_statistic_ci_at(ranked, p, confidence);
            (self.at_rank(lo), self.at_rank(hi))
        })
    }

    /// The smallest value present.
    pub fn min(&self) -> Option<f64> {
        self.present.first().copied()
    }

    /// The largest value; `None` when some value ranks above every number.
    pub fn max(&self) -> Option<f64> {
        if self.above > 0 {
            None
        } else {
            self.present.last().copied()
        }
    }

    /// The nearest-rank `p` percentile (`p` in 0..=1) over the ranked values; `None` when it
    /// falls among those above every number, or there are none.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        let ranked = self.ranked();
        if ranked == 0 {
            return None;
        }
        self.at_rank(nearest_rank_index(ranked, p))
    }

    /// The distribution-free 95% confidence interval of the `p` percentile (at least two
    /// ranked values).
    pub fn percentile_ci(&self, p: f64) -> Option<PercentileInterval> {
        let ranked = self.ranked();
        (ranked >= 2).then(|| {
            let (lo, hi) = order_statistic_ci(ranked, p);
            (self.at_rank(lo), self.at_rank(hi))
        })
    }
}

/// One scalar metric across replications, every statistic computed once, each labelled by
/// what it is: the mean's confidence interval and the P90's are distinct fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The metric's name.
    pub name: String,
    /// Replications with a value.
    pub n: usize,
    /// Replications where it did not happen within the horizon (ranked above every value).
    pub never: usize,
    /// Mean, when every replication has a value.
    pub mean: Option<f64>,
    /// Sample standard deviation (n >= 2).
    pub sd: Option<f64>,
    /// 95% confidence interval of the mean (Student's t; n >= 2).
    pub mean_ci: Option<Interval>,
    /// Smallest value.
    pub min: Option<f64>,
    /// 5th percentile (nearest rank; `None` when it falls among the "never" runs).
    pub p5: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// Distribution-free 95% confidence interval of the 90th percentile (order statistics).
    pub p90_ci: Option<PercentileInterval>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Largest value (`None` if any run never reached it).
    pub max: Option<f64>,
}

impl Aggregate {
    /// Aggregates the values of metric `name` across replications; `missing` says what a
    /// missing value means.
    pub fn of(name: &str, values: &[Option<f64>], missing: Missing) -> Self {
        let v = Values::new(values, missing);
        Aggregate {
            name: name.to_string(),
            n: v.n(),
            never: v.never(),
            mean: v.mean(),
            sd: v.sd(),
            mean_ci: v.mean_ci(),
            min: v.min(),
            p5: v.percentile(0.05),
            p50: v.percentile(0.50),
            p90: v.percentile(0.90),
            p90_ci: v.percentile_ci(0.90),
            p95: v.percentile(0.95),
            max: v.max(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_matches_the_definition() {
        let mut v: Vec<u64> = (1..=10).collect();
        assert_eq!(nearest_rank(&mut v, 0.5), 5);
        assert_eq!(nearest_rank(&mut v, 0.9), 9);
        assert_eq!(nearest_rank(&mut v, 0.91), 10);
        assert_eq!(nearest_rank(&mut v, 0.0), 1);
    }

    #[test]
    fn aggregation_arithmetic_on_a_hand_made_set() {
        let values: Vec<Option<f64>> = (1..=10).map(|x| Some(x as f64)).collect();
        let a = Aggregate::of("x", &values, Missing::NoData);
        assert_eq!(a.n, 10);
        assert_eq!(a.mean, Some(5.5));
        // Sample variance of 1..=10 is 55/6.
        let sd = (55.0f64 / 6.0).sqrt();
        assert!((a.sd.unwrap() - sd).abs() < 1e-12);
        let half = 2.262 * sd / 10f64.sqrt();
        let ci = a.mean_ci.unwrap();
        assert!((ci.low - (5.5 - half)).abs() < 1e-12 && (ci.high - (5.5 + half)).abs() < 1e-12);
        // Nearest rank: p5 -> 1st, p50 -> 5th, p90 -> 9th, p95 -> 10th.
        assert_eq!(
            (a.p5, a.p50, a.p90, a.p95),
            (Some(1.0), Some(5.0), Some(9.0), Some(10.0))
        );
        assert_eq!((a.min, a.max), (Some(1.0), Some(10.0)));
        // n = 10, p = 0.9: 9 -/+ 1.96 * sqrt(0.9) = 7.14 .. 10.86 -> ranks 7 and 10 (clamped).
        assert_eq!(a.p90_ci, Some((Some(7.0), Some(10.0))));
    }

    #[test]
    fn never_ranks_above_every_value_and_blocks_the_mean() {
        let mut values: Vec<Option<f64>> = (1..=8).map(|x| Some(x as f64)).collect();
        values.extend([None, None]);
        let a = Aggregate::of("event.x.clear_h", &values, Missing::NotWithinHorizon);
        assert_eq!((a.n, a.never), (8, 2));
        assert_eq!(
            a.mean, None,
            "the mean of a time that sometimes never comes is undefined"
        );
        assert_eq!(a.p50, Some(5.0));
        assert_eq!(a.p90, None, "the 9th of 10 ranks is a 'never'");
        assert_eq!(a.max, None);
        // A latency with no data is left out, not ranked; and it has no mean either.
        let l = Aggregate::of("latency.Lead.p50_min", &values, Missing::NoData);
        assert_eq!((l.n, l.never, l.p90, l.mean), (8, 0, Some(8.0), None));
    }

    #[test]
    fn t_quantiles_join_smoothly() {
        assert_eq!(t_975(1), 12.706);
        assert!((t_975(31) - 2.0395).abs() < 2e-4);
        assert!((t_975(120) - 1.9799).abs() < 2e-4);
        assert!((t_975(100_000) - 1.96).abs() < 1e-3);
    }

    #[test]
    fn percentiles_need_enough_replications_to_be_bounded() {
        assert_eq!(replications_for_percentile(0.9, 0.95), 36);
        assert_eq!(replications_for_percentile(0.5, 0.95), 6);
        assert_eq!(replications_for_percentile(0.95, 0.95), 72);
        assert_eq!(replications_for_percentile(0.1, 0.95), 36);
        assert_eq!(replications_for_percentile(0.9, 0.9), 29);
        // At 36 the interval's upper bound is the largest value: it exists.
        assert_eq!(order_statistic_ci_at(36, 0.9, 0.95).1, 36);
        assert_eq!(
            order_statistic_ci_at(100, 0.9, 0.95),
            order_statistic_ci(100, 0.9)
        );
    }

    #[test]
    fn order_statistic_ranks_bracket_the_quantile() {
        // n = 100, p = 0.9: 90 -/+ 1.96 * 3 = 84.1 .. 95.9 -> ranks 84 and 97.
        assert_eq!(order_statistic_ci(100, 0.9), (84, 97));
        assert_eq!(order_statistic_ci(3, 0.9), (1, 3));
    }
}
