//! Monte Carlo: many independent replications of a scenario in parallel, reduced to
//! per-replication summaries and aggregated into means, confidence intervals, percentiles and
//! backlog bands (MODEL.md section 6).
//!
//! Replication `i` runs with [`seeds::replication_seed`]`(seed, i)`, so any replication can
//! be re-run alone and gives the same numbers. Replications run on rayon's pool and are
//! collected in index order, so results do not depend on the number of threads. Each
//! replication is reduced to its scalars and its backlog series as soon as it ends: memory
//! grows with the number of replications only through those.

use rayon::prelude::*;

use crate::engine::{seeds, simulate_in, Inputs, Workspace};
use crate::metrics::{self, nearest_rank_f64, RunResult};
use crate::scenario::Scenario;
use crate::units::Millis;

/// What one replication leaves behind.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicationSummary {
    /// Replication number.
    pub index: u64,
    /// Its seed.
    pub seed: u64,
    /// Every scalar metric, in the order of [`Replications::names`].
    pub values: Vec<Option<f64>>,
    /// Total backlog at each sample.
    pub backlog: Vec<u32>,
    /// Backlog per object at each sample, row-major (`sample * objects + object`).
    pub backlog_by_object: Vec<u32>,
}

/// The replications of one scenario.
#[derive(Debug, Clone)]
pub struct Replications {
    /// Scalar metric names, shared by every replication.
    pub names: Vec<String>,
    /// Sample instants.
    pub sample_times: Vec<Millis>,
    /// Objects, for the per-object bands.
    pub objects: usize,
    /// One summary per replication, in index order.
    pub runs: Vec<ReplicationSummary>,
    /// Replication 0 in full, for the detailed reports.
    pub first: RunResult,
}

/// Reduces a run to its summary.
pub fn summarize(
    scenario: &Scenario,
    index: u64,
    result: &RunResult,
) -> (Vec<String>, ReplicationSummary) {
    let scalars = metrics::scalars(scenario, result);
    let objects = scenario.objects.len();
    let samples = result.sample_times.len();
    let summary = ReplicationSummary {
        index,
        seed: result.seed,
        values: scalars.iter().map(|(_, v)| *v).collect(),
        backlog: (0..samples)
            .map(|i| result.sample_total(i) as u32)
            .collect(),
        backlog_by_object: (0..samples)
            .flat_map(|i| (0..objects).map(move |o| (i, o)))
            .map(|(i, o)| result.sample_object(i, o) as u32)
            .collect(),
    };
    (scalars.into_iter().map(|(n, _)| n).collect(), summary)
}

/// Runs replications `0..count` on the current rayon pool; `progress` is called once per
/// finished replication (from any thread).
pub fn run(scenario: &Scenario, count: u64, progress: &(dyn Fn() + Sync)) -> Replications {
    assert!(count >= 1, "at least one replication");
    let run_one = |ws: &mut Workspace, i: u64| {
        let seed = seeds::replication_seed(scenario.seed, i);
        simulate_in(ws, scenario, seed, Inputs::default())
    };
    let first = run_one(&mut Workspace::default(), 0);
    let (names, first_summary) = summarize(scenario, 0, &first);
    progress();
    // Each of rayon's jobs keeps one workspace for the replications it runs.
    let rest: Vec<ReplicationSummary> = (1..count)
        .into_par_iter()
        .map_init(Workspace::default, |ws, i| {
            let r = run_one(ws, i);
            let (_, s) = summarize(scenario, i, &r);
            progress();
            s
        })
        .collect();
    let mut runs = Vec::with_capacity(count as usize);
    runs.push(first_summary);
    runs.extend(rest);
    Replications {
        names,
        sample_times: first.sample_times.clone(),
        objects: scenario.objects.len(),
        runs,
        first,
    }
}

/// Whether a missing value of metric `name` means "not within the horizon" (an unbounded
/// time, ranked above every number) rather than "no data" (left out).
pub fn missing_means_never(name: &str) -> bool {
    name.ends_with(".clear_h") || name.ends_with(".recovery_h") || name.ends_with(".est_backlog_h")
}

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// One scalar metric across replications.
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
    /// Distribution-free 95% confidence interval of the 90th percentile (order statistics);
    /// a bound that falls among the "never" runs is `None`.
    pub p90_ci: Option<(Option<f64>, Option<f64>)>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Largest value (`None` if any run never reached it).
    pub max: Option<f64>,
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

/// Aggregates the values of one metric across replications.
pub fn aggregate(name: &str, values: &[Option<f64>]) -> Aggregate {
    let never_possible = missing_means_never(name);
    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
    let missing = values.len() - present.len();
    let never = if never_possible { missing } else { 0 };
    let n = present.len();
    let all_present = missing == 0 && n > 0;
    let mean = all_present.then(|| present.iter().sum::<f64>() / n as f64);
    let sd = mean
        .filter(|_| n >= 2)
        .map(|m| (present.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64).sqrt());
    let mean_ci = mean.zip(sd).map(|(m, s)| {
        let half = t_975(n - 1) * s / (n as f64).sqrt();
        Interval {
            low: m - half,
            high: m + half,
        }
    });
    present.sort_by(|a, b| a.total_cmp(b));
    // Ranks over every replication, "never" runs ranked last; "no data" runs left out.
    let ranked = n + never;
    let at_rank = |k: usize| -> Option<f64> { (k >= 1 && k <= n).then(|| present[k - 1]) };
    let pct = |p: f64| -> Option<f64> {
        if ranked == 0 {
            return None;
        }
        at_rank(metrics::nearest_rank_index(ranked, p))
    };
    let p90_ci = (ranked >= 2).then(|| {
        let (lo, hi) = order_statistic_ci(ranked, 0.9);
        (at_rank(lo), at_rank(hi))
    });
    Aggregate {
        name: name.to_string(),
        n,
        never,
        mean,
        sd,
        mean_ci,
        min: present.first().copied(),
        p5: pct(0.05),
        p50: pct(0.50),
        p90: pct(0.90),
        p90_ci,
        p95: pct(0.95),
        max: if never > 0 {
            None
        } else {
            present.last().copied()
        },
    }
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

/// Per-sample p10 / p50 / p90 of a series across replications.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// 10th percentile at each sample.
    pub p10: Vec<u32>,
    /// Median at each sample.
    pub p50: Vec<u32>,
    /// 90th percentile at each sample.
    pub p90: Vec<u32>,
}

/// The band of a series picked out of each replication by `value(run, sample)`.
pub fn band(reps: &Replications, value: impl Fn(&ReplicationSummary, usize) -> u32) -> Band {
    let samples = reps.sample_times.len();
    let mut column: Vec<f64> = Vec::with_capacity(reps.runs.len());
    let mut b = Band {
        p10: Vec::with_capacity(samples),
        p50: Vec::with_capacity(samples),
        p90: Vec::with_capacity(samples),
    };
    for i in 0..samples {
        column.clear();
        column.extend(reps.runs.iter().map(|r| value(r, i) as f64));
        b.p10.push(nearest_rank_f64(&mut column, 0.10) as u32);
        b.p50.push(nearest_rank_f64(&mut column, 0.50) as u32);
        b.p90.push(nearest_rank_f64(&mut column, 0.90) as u32);
    }
    b
}

impl Replications {
    /// Every scalar metric aggregated, in name order of the scenario.
    pub fn aggregates(&self) -> Vec<Aggregate> {
        let mut column = Vec::with_capacity(self.runs.len());
        self.names
            .iter()
            .enumerate()
            .map(|(m, name)| {
                column.clear();
                column.extend(self.runs.iter().map(|r| r.values[m]));
                aggregate(name, &column)
            })
            .collect()
    }

    /// One metric's values across replications, or `None` if the runs have no such metric.
    pub fn column(&self, name: &str) -> Option<Vec<Option<f64>>> {
        let m = self.names.iter().position(|n| n == name)?;
        Some(self.runs.iter().map(|r| r.values[m]).collect())
    }

    /// The total backlog band.
    pub fn total_band(&self) -> Band {
        band(self, |r, i| r.backlog[i])
    }

    /// The backlog band of one object.
    pub fn object_band(&self, object: usize) -> Band {
        let objects = self.objects;
        band(self, move |r, i| r.backlog_by_object[i * objects + object])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregation_arithmetic_on_a_hand_made_set() {
        let values: Vec<Option<f64>> = (1..=10).map(|x| Some(x as f64)).collect();
        let a = aggregate("x", &values);
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
    }

    #[test]
    fn never_ranks_above_every_value_and_blocks_the_mean() {
        let mut values: Vec<Option<f64>> = (1..=8).map(|x| Some(x as f64)).collect();
        values.extend([None, None]);
        let a = aggregate("event.x.clear_h", &values);
        assert_eq!((a.n, a.never), (8, 2));
        assert_eq!(
            a.mean, None,
            "the mean of a time that sometimes never comes is undefined"
        );
        assert_eq!(a.p50, Some(5.0));
        assert_eq!(a.p90, None, "the 9th of 10 ranks is a 'never'");
        assert_eq!(a.max, None);
        // A latency with no data is left out, not ranked.
        let l = aggregate("latency.Lead.p50_min", &values);
        assert_eq!((l.n, l.never, l.p90), (8, 0, Some(8.0)));
    }

    #[test]
    fn t_quantiles_join_smoothly() {
        assert_eq!(t_975(1), 12.706);
        assert!((t_975(31) - 2.0395).abs() < 2e-4);
        assert!((t_975(120) - 1.9799).abs() < 2e-4);
        assert!((t_975(100_000) - 1.96).abs() < 1e-3);
    }

    #[test]
    fn order_statistic_ranks_bracket_the_quantile() {
        // n = 100, p = 0.9: 90 -/+ 1.96 * 3 = 84.1 .. 95.9 -> ranks 84 and 97.
        assert_eq!(order_statistic_ci(100, 0.9), (84, 97));
        assert_eq!(order_statistic_ci(3, 0.9), (1, 3));
    }
}
