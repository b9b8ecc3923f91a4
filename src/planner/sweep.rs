//! Sweep: every point of a grid over scenario values, each run with the same replication
//! seeds, reduced to one row of aggregated scalar metrics per point (`sweep.csv`).
//!
//! The columns of every row are the metrics of point 0, in its order, so all points and all
//! shards share one header. Points must therefore keep the scenario's shape (objects, their
//! directions, the events that make edits); a sweep over values always does.
//!
//! Which points cannot be told apart from the best, by one metric, is judged across the
//! points run ([`super::ties`]); it is not a column of the table, so that shards still merge
//! into the bytes of a single run.
//!
//! The table and the chart of one metric against the swept keys are written by
//! [`crate::report::planner`] and [`crate::report::sweep_chart`].

use super::grid::{Grid, Shard};
use super::ties::{self, Ties};
use super::{evaluate, shape, Base, PlannerError, Runner};
use crate::catalogue::{self, Better};
use crate::replicate::{self, Aggregate};
use crate::scenario::Scenario;
use crate::summary::metric_names;

/// A sweep ready to run: its points validated.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The grid.
    pub grid: Grid,
    /// The shard run.
    pub shard: Shard,
    /// Indices of the points run, ascending.
    pub points: Vec<usize>,
    /// Their scenarios, in the same order.
    pub scenarios: Vec<Scenario>,
    /// Point 0's scenario, which fixes the metric columns.
    pub first: Scenario,
}

/// One point's row.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Point index in the whole grid.
    pub point: usize,
    /// Its value on each axis.
    pub values: Vec<String>,
    /// Every metric aggregated across replications, in column order.
    pub aggregates: Vec<Aggregate>,
}

/// The rows of a sweep (or of one shard of it).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepTable {
    /// Swept key paths.
    pub axes: Vec<String>,
    /// Metric names, in column order.
    pub metrics: Vec<String>,
    /// Rows in point order.
    pub rows: Vec<SweepRow>,
    /// The points equivalent to the best by the metric judged (indices into `rows`), if one
    /// was asked for and the runs have it.
    pub ties: Option<Ties>,
}

/// The description of point `i` used in errors: `point 3 (sync.workers=4)`.
pub fn describe(grid: &Grid, i: usize) -> String {
    format!("sweep point {i} ({})", grid.assignments(i).join(", "))
}

/// Validates point 0 and every point of `shard`.
pub fn prepare(base: &Base, grid: Grid, shard: Shard) -> Result<Prepared, PlannerError> {
    let first = base.candidate(&grid.assignments(0), || describe(&grid, 0))?;
    let first_shape = shape(&first);
    let points: Vec<usize> = (0..grid.len()).filter(|&i| shard.owns(i)).collect();
    let mut scenarios = Vec::with_capacity(points.len());
    for &i in &points {
        let sc = base.candidate(&grid.assignments(i), || describe(&grid, i))?;
        if shape(&sc) != first_shape {
            return Err(PlannerError::Usage(format!(
                "{} changes the scenario's objects or events, so its metrics differ from point 0's; \
                 a sweep varies values, not the shape of the scenario",
                describe(&grid, i)
            )));
        }
        scenarios.push(sc);
    }
    Ok(Prepared {
        grid,
        shard,
        points,
        scenarios,
        first,
    })
}

/// Runs `replications` of every point of the shard on the current rayon pool, with edits
/// from `runner`, and judges which points are equivalent to the best by metric `judged` at its
/// confidence ([`ties::judge`]); `progress` is called once per finished simulation.
pub fn run(
    prepared: &Prepared,
    replications: u64,
    judged: Option<(&str, f64)>,
    runner: &mut Runner,
    progress: &(dyn Fn() + Sync),
) -> Result<SweepTable, PlannerError> {
    let outcomes = evaluate(&prepared.scenarios, 0..replications, None, runner, progress);
    let metrics: Vec<String> = match (prepared.points.first(), outcomes.first()) {
        (Some(0), Some(o)) => o.names.clone(),
        // This shard does not hold point 0: its scenario gives the columns.
        _ => metric_names(&prepared.first),
    };
    let mut rows = Vec::with_capacity(outcomes.len());
    for (&point, outcome) in prepared.points.iter().zip(&outcomes) {
        let mut aggregates = Vec::with_capacity(metrics.len());
        for name in &metrics {
            let column = outcome.column(name).ok_or_else(|| {
                PlannerError::Usage(format!(
                    "{} has no metric '{name}' though point 0 has; a sweep varies values, not the shape of the scenario",
                    describe(&prepared.grid, point)
                ))
            })?;
            aggregates.push(replicate::aggregate(name, &column));
        }
        rows.push(SweepRow {
            point,
            values: prepared
                .grid
                .values(point)
                .into_iter()
                .map(String::from)
                .collect(),
            aggregates,
        });
    }
    // Which points cannot be told apart from the best, by the metric judged.
    let ties = judged.and_then(|(metric, confidence)| {
        let columns: Option<Vec<Vec<Option<f64>>>> =
            outcomes.iter().map(|o| o.column(metric)).collect();
        let lower = match catalogue::better(metric) {
            Better::Lower => Some(true),
            Better::Higher => Some(false),
            Better::Neither => None,
        };
        columns.map(|c| ties::judge(metric, &c, lower, confidence))
    });
    Ok(SweepTable {
        axes: prepared.grid.axes.iter().map(|a| a.path.clone()).collect(),
        metrics,
        rows,
        ties,
    })
}
