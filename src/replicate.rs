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

use crate::catalogue;
use crate::engine::{seeds, simulate_in, Inputs, Workspace};
use crate::metrics::{self, RunResult};
use crate::scenario::Scenario;
use crate::stats::nearest_rank_f64;
pub use crate::stats::{Aggregate, Interval};
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

/// Aggregates the values of metric `name` across replications, with what a missing value
/// means from the metric catalogue.
pub fn aggregate(name: &str, values: &[Option<f64>]) -> Aggregate {
    Aggregate::of(name, values, catalogue::missing(name))
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
