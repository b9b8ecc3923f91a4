//! Sweep: every point of a grid over scenario values, each run with the same replication
//! seeds, reduced to one row of aggregated scalar metrics per point (`sweep.csv`).
//!
//! The columns of every row are the metrics of point 0, in its order, so all points and all
//! shards share one header. Points must therefore keep the scenario's shape (objects, their
//! directions, the events that make edits); a sweep over values always does.
//!
//! The chart of one metric against the swept keys is drawn in [`chart`].

pub mod chart;

use std::io::{self, Write};

use super::grid::{Grid, Shard};
use super::{evaluate, shape, Base, PlannerError};
use crate::engine::{seeds, simulate};
use crate::metrics;
use crate::replicate::{self, Aggregate};
use crate::report::{csv_writer, io_err, montecarlo::num};
use crate::scenario::Scenario;

/// The statistics written for every metric, in column order (`<metric>:<stat>`).
pub const STATS: [&str; 5] = ["mean", "mean_ci_low", "mean_ci_high", "p50", "p90"];

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

/// Runs `replications` of every point of the shard on the current rayon pool; `progress`
/// is called once per finished simulation.
pub fn run(
    prepared: &Prepared,
    replications: u64,
    progress: &(dyn Fn() + Sync),
) -> Result<SweepTable, PlannerError> {
    let outcomes = evaluate(&prepared.scenarios, replications, None, progress);
    let metrics: Vec<String> = match (prepared.points.first(), outcomes.first()) {
        (Some(0), Some(o)) => o.names.clone(),
        // This shard does not hold point 0: one run of it gives the columns.
        _ => {
            let sc = &prepared.first;
            metrics::scalars(sc, &simulate(sc, seeds::replication_seed(sc.seed, 0)))
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        }
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
    Ok(SweepTable {
        axes: prepared.grid.axes.iter().map(|a| a.path.clone()).collect(),
        metrics,
        rows,
    })
}

/// The header of `sweep.csv`: `point`, the swept paths, then `<metric>:<stat>` for every
/// metric and each of [`STATS`].
pub fn header(table: &SweepTable) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(table.axes.iter().cloned());
    for m in &table.metrics {
        h.extend(STATS.iter().map(|s| format!("{m}:{s}")));
    }
    h
}

/// `sweep.csv`: one row per point. A percentile that fell among runs where the time never
/// came within the horizon is `never`; a value with no data is empty.
pub fn write_csv(table: &SweepTable, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record(header(table)).map_err(io_err)?;
    let opt = |x: Option<f64>| x.map(num).unwrap_or_default();
    for row in &table.rows {
        let mut record = vec![row.point.to_string()];
        record.extend(row.values.iter().cloned());
        for a in &row.aggregates {
            let never_or = |x: Option<f64>| match x {
                Some(v) => num(v),
                None if a.never > 0 => "never".to_string(),
                None => String::new(),
            };
            record.extend([
                opt(a.mean),
                opt(a.mean_ci.map(|c| c.low)),
                opt(a.mean_ci.map(|c| c.high)),
                never_or(a.p50),
                never_or(a.p90),
            ]);
        }
        out.write_record(&record).map_err(io_err)?;
    }
    out.flush()
}

/// The terminal view: each point's values with the median of a few headline metrics (each
/// event's clear time, the peak backlog), at most `limit` rows.
pub fn write_terminal(table: &SweepTable, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    let mut shown: Vec<usize> = table
        .metrics
        .iter()
        .enumerate()
        .filter(|(_, m)| m.starts_with("event.") && m.ends_with(".clear_h"))
        .map(|(i, _)| i)
        .take(3)
        .collect();
    shown.extend(table.metrics.iter().position(|m| m == "backlog.max"));
    let mut head: Vec<String> = vec!["point".into()];
    head.extend(table.axes.iter().cloned());
    head.extend(shown.iter().map(|&i| format!("{} p50", table.metrics[i])));
    let mut lines: Vec<Vec<String>> = vec![head];
    for row in table.rows.iter().take(limit) {
        let mut line = vec![row.point.to_string()];
        line.extend(row.values.iter().cloned());
        line.extend(
            shown
                .iter()
                .map(|&i| super::cell(&table.metrics[i], row.aggregates[i].p50)),
        );
        lines.push(line);
    }
    write_aligned(&lines, w)?;
    if table.rows.len() > limit {
        writeln!(w, "  ... {} more rows", table.rows.len() - limit)?;
    }
    Ok(())
}

/// Writes rows as right-aligned columns, two spaces in, two apart.
pub fn write_aligned(lines: &[Vec<String>], w: &mut dyn Write) -> io::Result<()> {
    let cols = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            lines
                .iter()
                .filter_map(|l| l.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(s, &width)| format!("{s:>width$}"))
            .collect();
        writeln!(w, "  {}", cells.join("  "))?;
    }
    Ok(())
}
