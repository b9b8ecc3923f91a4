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
use crate::shard::{Part, Shard};
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

/// Runs the replications of `0..count` that `shard` owns, on the current rayon pool, reduced
/// to their summaries (in index order); `progress` is called once per finished replication.
/// The summaries are those [`run`] computes for the same indices, so the shards' summaries,
/// joined and given replication 0 in full, make the [`MonteCarlo`] of the whole run.
pub fn run_shard(
    scenario: &Scenario,
    count: u64,
    shard: Shard,
    progress: &(dyn Fn() + Sync),
) -> Vec<ReplicationSummary> {
    let indices: Vec<u64> = shard.items(count).collect();
    indices
        .into_par_iter()
        .map_init(Workspace::default, |ws, i| {
            let seed = seeds::replication_seed(scenario.seed, i);
            let run = RunSummary::of(scenario, simulate_in(ws, scenario, seed, Inputs::default()));
            let s = ReplicationSummary::of(i, &run);
            progress();
            s
        })
        .collect()
}

/// Replication summaries as exact text, one line each: `index seed | values | backlog |
/// backlog by object`, values in Rust's shortest round-trip form (`-` for none), so
/// [`decode`] gives back the same numbers bit for bit.
pub fn encode(runs: &[ReplicationSummary]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for r in runs {
        let _ = write!(out, "{} {} |", r.index, r.seed);
        for v in &r.values {
            match v {
                Some(x) => {
                    let _ = write!(out, " {x:?}");
                }
                None => out.push_str(" -"),
            }
        }
        out.push_str(" |");
        for b in &r.backlog {
            let _ = write!(out, " {b}");
        }
        out.push_str(" |");
        for b in &r.backlog_by_object {
            let _ = write!(out, " {b}");
        }
        out.push('\n');
    }
    out
}

/// Reads what [`encode`] wrote; every line must hold `metrics` values, `samples` backlog
/// samples and `samples * objects` per-object samples. Errors name the line.
pub fn decode(
    body: &str,
    metrics: usize,
    samples: usize,
    objects: usize,
) -> Result<Vec<ReplicationSummary>, String> {
    body.lines()
        .enumerate()
        .map(|(n, line)| {
            let bad = |what: &str| format!("line {}: {what}", n + 1);
            let fields: Vec<&str> = line.split('|').collect();
            let [head, values, backlog, by_object] = fields[..] else {
                return Err(bad("not four '|'-separated fields"));
            };
            let mut head = head.split_whitespace().map(str::parse::<u64>);
            let (Some(Ok(index)), Some(Ok(seed)), None) = (head.next(), head.next(), head.next())
            else {
                return Err(bad("no replication index and seed"));
            };
            let values = values
                .split_whitespace()
                .map(|v| match v {
                    "-" => Ok(None),
                    v => v
                        .parse::<f64>()
                        .map(Some)
                        .map_err(|_| bad("a value is not a number")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let series = |text: &str| {
                text.split_whitespace()
                    .map(|v| {
                        v.parse::<u32>()
                            .map_err(|_| bad("a backlog is not a count"))
                    })
                    .collect::<Result<Vec<u32>, String>>()
            };
            let (backlog, backlog_by_object) = (series(backlog)?, series(by_object)?);
            if values.len() != metrics
                || backlog.len() != samples
                || backlog_by_object.len() != samples * objects
            {
                return Err(bad("other metrics or samples than this scenario's"));
            }
            Ok(ReplicationSummary {
                index,
                seed,
                values,
                backlog,
                backlog_by_object,
            })
        })
        .collect()
}

/// The [`MonteCarlo`] of a whole run from its shards' parts (checked by
/// [`crate::shard::check`], each with the name it was read from): every replication's
/// summary from the parts, replication 0 re-run in full for the detailed reports. The result
/// is the one [`run`] computes for all `items` replications in one process. Refuses a part
/// that holds other replications than its shard owns, or whose replication 0 differs from
/// the one re-run here (the scenario or a data file changed since the shards ran).
pub fn join(scenario: &Scenario, parts: &[(String, Part)]) -> Result<MonteCarlo, String> {
    let seed = seeds::replication_seed(scenario.seed, 0);
    let first = RunSummary::of(
        scenario,
        simulate_in(&mut Workspace::default(), scenario, seed, Inputs::default()),
    );
    let metrics = first.metrics().len();
    let samples = first.run().sample_times().len();
    let objects = first.run().object_count();
    let mut runs = Vec::new();
    for (name, part) in parts {
        let mine =
            decode(&part.body, metrics, samples, objects).map_err(|e| format!("'{name}': {e}"))?;
        let held: Vec<u64> = mine.iter().map(|r| r.index).collect();
        if held != part.item_indices() {
            return Err(format!(
                "'{name}' holds other replications than shard {} owns; was it edited?",
                part.shard
            ));
        }
        runs.extend(mine);
    }
    runs.sort_by_key(|r| r.index);
    let again = ReplicationSummary::of(0, &first);
    if runs.first() != Some(&again) {
        return Err(format!(
            "replication 0 re-run for the merge differs from the one in '{}': the scenario or a data file it reads changed since the shards ran",
            parts.first().map_or("", |(n, _)| n.as_str())
        ));
    }
    Ok(MonteCarlo::new(first, runs))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_travel_as_text_bit_for_bit() {
        let runs = vec![
            ReplicationSummary {
                index: 3,
                seed: u64::MAX,
                values: vec![
                    Some(0.1 + 0.2),
                    None,
                    Some(1e-300),
                    Some(-2.5e17),
                    Some(0.0),
                ],
                backlog: vec![0, 7],
                backlog_by_object: vec![1, 2, 3, 4],
            },
            ReplicationSummary {
                index: 7,
                seed: 0,
                values: vec![Some(f64::MIN_POSITIVE), Some(123456.789), None, None, None],
                backlog: vec![u32::MAX, 0],
                backlog_by_object: vec![0, 0, 9, 9],
            },
        ];
        let text = encode(&runs);
        assert!(text.starts_with("3 18446744073709551615 | 0.30000000000000004 - 1e-300 "));
        let back = decode(&text, 5, 2, 2).unwrap();
        assert_eq!(back, runs);
        for (r, b) in runs.iter().zip(&back) {
            for (x, y) in r.values.iter().zip(&b.values) {
                assert_eq!(x.map(f64::to_bits), y.map(f64::to_bits));
            }
        }
        assert!(decode(&text, 4, 2, 2)
            .unwrap_err()
            .starts_with("line 1: other metrics"));
        assert!(decode("1 2 | x | 0 | 0\n", 1, 1, 1)
            .unwrap_err()
            .contains("not a number"));
        assert!(decode("1 | 1 | 0 | 0\n", 1, 1, 1)
            .unwrap_err()
            .contains("no replication index and seed"));
        assert!(decode("1 2 | 1\n", 1, 1, 1).unwrap_err().contains("four"));
    }
}
