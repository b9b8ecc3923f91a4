//! Monte Carlo: many independent replications of a scenario in parallel, reduced to
//! per-replication summaries and aggregated into means, confidence intervals, percentiles and
//! backlog bands (docs/montecarlo.md).
//!
//! Replication `i` runs with [`seeds::replication_seed`]`(seed, i)`, so any replication can
//! be re-run alone and gives the same numbers. Replications run on rayon's pool and are
//! collected in index order, so results do not depend on the number of threads. Each
//! replication is reduced to its scalars and its backlog series as soon as it ends: memory
//! grows with the number of replications only through those. [`MonteCarlo`] then computes
//! every aggregate and band once, for every report to read.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::catalogue;
use crate::engine::{seeds, simulate_in, Inputs, Workspace};
use crate::scenario::Scenario;
use crate::stats::nearest_rank_f64;
pub use crate::stats::{Aggregate, Interval};
use crate::summary::RunSummary;
use crate::units::Millis;

/// What one replication leaves behind.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicationSummary {
    /// Replication number.
    pub index: u64,
    /// Its seed.
    pub seed: u64,
    /// Every scalar metric, in the order of [`MonteCarlo::names`].
    pub values: Vec<Option<f64>>,
    /// Total backlog at each sample.
    pub backlog: Vec<u32>,
    /// Backlog per object at each sample, row-major (`sample * objects + object`).
    pub backlog_by_object: Vec<u32>,
}

impl ReplicationSummary {
    /// The summary of replication `index`, from its run summary.
    pub fn of(index: u64, run: &RunSummary) -> Self {
        let r = run.run();
        let objects = r.object_count();
        let samples = r.sample_times().len();
        ReplicationSummary {
            index,
            seed: run.seed(),
            values: run.metrics().iter().map(|m| m.value).collect(),
            backlog: (0..samples).map(|i| r.sample_total(i) as u32).collect(),
            backlog_by_object: (0..samples)
                .flat_map(|i| (0..objects).map(move |o| (i, o)))
                .map(|(i, o)| r.sample_object(i, o) as u32)
                .collect(),
        }
    }
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

/// The replications of one scenario, everything the reports say about them computed once:
/// every metric's aggregate, the backlog bands, and replication 0 in full.
#[derive(Debug, Clone)]
pub struct MonteCarlo {
    /// Scalar metric names, shared by every replication.
    pub names: Vec<String>,
    /// Sample instants: those of every replication (runs until clear end at different
    /// hours; the bands cover the span all of them ran).
    pub sample_times: Vec<Millis>,
    /// One summary per replication, in index order.
    pub runs: Vec<ReplicationSummary>,
    /// Every scalar metric aggregated across replications, in the order of `names`.
    pub aggregates: Vec<Aggregate>,
    /// The total backlog's band.
    pub total_band: Band,
    /// Each object's backlog band.
    pub object_bands: Vec<Band>,
    /// Replication 0 in full, for the detailed reports.
    pub first: RunSummary,
}

/// Runs replications `0..count` on the current rayon pool; `progress` is called once per
/// finished replication (from any thread).
pub fn run(scenario: &Scenario, count: u64, progress: &(dyn Fn() + Sync)) -> MonteCarlo {
    run_until(scenario, count, progress, &AtomicBool::new(false))
        .expect("a flag nobody sets never stops the replications")
}

/// [`run`], stopped once `cancel` is set: no replication starts after that, and those
/// running stop at their next sample point ([`Inputs::cancel`]). Returns `None` when
/// stopped, since an aggregate of the replications that happened to finish would not be the
/// answer asked for.
pub fn run_until(
    scenario: &Scenario,
    count: u64,
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Option<MonteCarlo> {
    assert!(count >= 1, "at least one replication");
    let stopped = || cancel.load(Ordering::Relaxed);
    let run_one = |ws: &mut Workspace, i: u64| {
        let seed = seeds::replication_seed(scenario.seed, i);
        let inputs = Inputs {
            cancel: Some(cancel),
            ..Inputs::default()
        };
        let result = simulate_in(ws, scenario, seed, inputs);
        (!stopped()).then(|| RunSummary::of(scenario, result))
    };
    let first = run_one(&mut Workspace::default(), 0)?;
    let first_summary = ReplicationSummary::of(0, &first);
    progress();
    // Each of rayon's jobs keeps one workspace for the replications it runs.
    let rest: Option<Vec<ReplicationSummary>> = (1..count)
        .into_par_iter()
        .map_init(Workspace::default, |ws, i| {
            if stopped() {
                return None;
            }
            let s = ReplicationSummary::of(i, &run_one(ws, i)?);
            progress();
            Some(s)
        })
        .collect();
    let mut runs = Vec::with_capacity(count as usize);
    runs.push(first_summary);
    runs.extend(rest?);
    Some(MonteCarlo::new(first, runs))
}

impl MonteCarlo {
    /// Aggregates `runs` (replication 0's summary in full as `first`).
    pub fn new(first: RunSummary, runs: Vec<ReplicationSummary>) -> Self {
        let names: Vec<String> = first.metrics().iter().map(|m| m.name.clone()).collect();
        // Runs until clear end at different hours: the bands cover the span every
        // replication ran.
        let common = runs.iter().map(|r| r.backlog.len()).min().unwrap_or(0);
        let mut sample_times = first.run().sample_times().to_vec();
        sample_times.truncate(common);
        let objects = first.scenario().objects.len();
        let mut column = Vec::with_capacity(runs.len());
        let aggregates = names
            .iter()
            .enumerate()
            .map(|(m, name)| {
                column.clear();
                column.extend(runs.iter().map(|r| r.values[m]));
                aggregate(name, &column)
            })
            .collect();
        let samples = sample_times.len();
        let total_band = band(&runs, samples, |r, i| r.backlog[i]);
        let object_bands = (0..objects)
            .map(|o| band(&runs, samples, |r, i| r.backlog_by_object[i * objects + o]))
            .collect();
        MonteCarlo {
            names,
            sample_times,
            runs,
            aggregates,
            total_band,
            object_bands,
            first,
        }
    }

    /// One metric's values across replications, or `None` if the runs have no such metric.
    pub fn column(&self, name: &str) -> Option<Vec<Option<f64>>> {
        let m = self.names.iter().position(|n| n == name)?;
        Some(self.runs.iter().map(|r| r.values[m]).collect())
    }

    /// The aggregate of metric `name`, if the runs have it.
    pub fn aggregate(&self, name: &str) -> Option<&Aggregate> {
        let m = self.names.iter().position(|n| n == name)?;
        Some(&self.aggregates[m])
    }
}

/// Aggregates the values of metric `name` across replications, with what a missing value
/// means from the metric catalogue.
pub fn aggregate(name: &str, values: &[Option<f64>]) -> Aggregate {
    Aggregate::of(name, values, catalogue::missing(name))
}

/// The band of a series picked out of each replication by `value(run, sample)`.
fn band(
    runs: &[ReplicationSummary],
    samples: usize,
    value: impl Fn(&ReplicationSummary, usize) -> u32,
) -> Band {
    let mut column: Vec<f64> = Vec::with_capacity(runs.len());
    let mut b = Band {
        p10: Vec::with_capacity(samples),
        p50: Vec::with_capacity(samples),
        p90: Vec::with_capacity(samples),
    };
    for i in 0..samples {
        column.clear();
        column.extend(runs.iter().map(|r| value(r, i) as f64));
        b.p10.push(nearest_rank_f64(&mut column, 0.10) as u32);
        b.p50.push(nearest_rank_f64(&mut column, 0.50) as u32);
        b.p90.push(nearest_rank_f64(&mut column, 0.90) as u32);
    }
    b
}
