//! The planner (docs/planner.md): questions asked of many runs of one scenario.
//!
//! - [`sweep`]: a grid over any scenario values, one row of aggregated metrics per point;
//! - [`solve`]: the least (or greatest) value of a monotone knob for which a target holds;
//! - [`schedule`]: the start time and split of a bulk update that meets constraints with the
//!   least impact;
//! - [`ties`]: which sweep points or schedule plans cannot be told apart from the best;
//! - [`merge`]: shards of a sweep or schedule run on several machines, joined into the bytes
//!   of a single run;
//! - [`compare`]: a base and its variants, paired replication by replication, each headline
//!   metric's difference with its confidence interval and a verdict.
//!
//! Every candidate (a sweep point, a knob value, a schedule plan) is the scenario file with a
//! few `--set`-style assignments applied to its TOML tree before validation, so a candidate is
//! checked exactly like a file and the engine never knows it is being planned with. Each
//! candidate runs `R` replications, replication `i` with
//! [`seeds::replication_seed`](crate::engine::seeds::replication_seed)`(seed, i)` at every
//! candidate: common random numbers, so two candidates differ by what was varied, not by
//! luck. Replications of all candidates run together on rayon's pool and are collected
//! in order, so results do not depend on the number of threads. Candidates whose background
//! edits are the same (they differ in the sync or the events) read one draw of each
//! replication's edits ([`runs`]), with the same results as drawing their own.

pub mod compare;
pub mod grid;
pub mod merge;
pub mod runs;
pub mod schedule;
pub mod solve;
pub mod sweep;
pub mod ties;

use std::collections::BTreeSet;

pub use runs::{evaluate, evaluate_for, Runner};

use crate::expr::{self, Expr, ExprError, Verdict};
use crate::load::{LoadError, ScenarioFile};
use crate::replicate::{self, Aggregate};
use crate::scenario::{Override, Scenario};
use crate::summary::{Metric, RunSummary};

/// Why a planning command could not run. Every variant is bad input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum PlannerError {
    /// The scenario file, one of the plain overrides, or the backlog snapshot is bad.
    #[error("{0}")]
    Scenario(#[from] LoadError),
    /// One candidate's assignments make the scenario invalid.
    #[error("{candidate}: {error}")]
    Candidate {
        /// The candidate, e.g. `point 3 (sync.workers=0)`.
        candidate: String,
        /// What validation said.
        error: LoadError,
    },
    /// A target, constraint or ranking expression is bad.
    #[error("{0}")]
    Expr(#[from] ExprError),
    /// An expression names a metric the runs do not have.
    #[error("unknown metric '{metric}' in '{expr}'; {hint} (every name: docs/outputs.md)")]
    UnknownMetric {
        /// The metric as written.
        metric: String,
        /// The expression it appears in.
        expr: String,
        /// Nearby names.
        hint: String,
    },
    /// A bad argument: a range, a list of values, a shard, a window.
    #[error("{0}")]
    Usage(String),
    /// Shard files that cannot be merged.
    #[error("{0}")]
    Merge(String),
}

/// The scenario a planning command varies: the file, read and parsed once (its backlog
/// snapshot too), and the plain overrides (`--seed`, `--horizon`, single-valued `--set`) that
/// every candidate shares.
#[derive(Debug, Clone)]
pub struct Base {
    /// The file.
    pub file: ScenarioFile,
    /// Overrides applied first, in order.
    pub overrides: Vec<Override>,
}

impl Base {
    /// The base scenario itself, validated.
    pub fn scenario(&self) -> Result<Scenario, PlannerError> {
        Ok(self.file.scenario(&self.overrides)?)
    }

    /// The scenario with `assignments` applied after the shared overrides; errors name the
    /// candidate as `what`.
    pub fn candidate(
        &self,
        assignments: &[String],
        what: impl FnOnce() -> String,
    ) -> Result<Scenario, PlannerError> {
        let mut all = self.overrides.clone();
        all.extend(assignments.iter().map(|a| Override::set(a)));
        self.file
            .scenario(&all)
            .map_err(|error| PlannerError::Candidate {
                candidate: what(),
                error,
            })
    }
}

/// One candidate's replications, reduced to scalar metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Metric names, in the order of [`RunSummary::metrics`] (then any derived metrics).
    pub names: Vec<String>,
    /// One row of values per replication, in replication order.
    pub runs: Vec<Vec<Option<f64>>>,
}

impl Outcome {
    /// One metric's values across replications, or `None` if there is no such metric.
    pub fn column(&self, name: &str) -> Option<Vec<Option<f64>>> {
        let m = self.names.iter().position(|n| n == name)?;
        Some(self.runs.iter().map(|r| r[m]).collect())
    }

    /// One metric aggregated across replications.
    pub fn aggregate(&self, name: &str) -> Option<Aggregate> {
        self.column(name)
            .map(|values| replicate::aggregate(name, &values))
    }

    /// Evaluates an expression's conditions across the replications.
    pub fn verdicts(&self, e: &Expr) -> Vec<Verdict> {
        expr::evaluate(e, |name| self.column(name))
    }
}

/// Metrics a command derives from a whole run, appended after the standard scalars.
pub type Derive = dyn Fn(&RunSummary) -> Vec<Metric> + Sync;

/// Fails with [`PlannerError::UnknownMetric`] if `e` names a metric not in `names`.
pub fn check_metrics(e: &Expr, names: &[String]) -> Result<(), PlannerError> {
    for c in &e.conditions {
        if !names.contains(&c.metric) {
            return Err(PlannerError::UnknownMetric {
                metric: c.metric.clone(),
                expr: e.to_string(),
                hint: suggest(&c.metric, names),
            });
        }
    }
    Ok(())
}

/// A few metric names close to `wanted`: those sharing its first dotted key, or its last.
pub(crate) fn suggest(wanted: &str, names: &[String]) -> String {
    let first = wanted.split('.').next().unwrap_or("");
    let last = wanted.rsplit('.').next().unwrap_or("");
    let mut close: Vec<&str> = names
        .iter()
        .filter(|n| n.split('.').next() == Some(first) || n.ends_with(&format!(".{last}")))
        .map(String::as_str)
        .collect();
    if close.is_empty() {
        close = names.iter().map(String::as_str).collect();
    }
    let more = close.len().saturating_sub(8);
    close.truncate(8);
    format!(
        "metrics of this scenario include: {}{}",
        close.join(", "),
        if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        }
    )
}

/// What decides which scalar metrics a run has: the objects (and which directions they sync)
/// and the names of the events that make edits. Candidates whose shapes differ cannot share
/// a table's columns.
pub fn shape(sc: &Scenario) -> (Vec<(String, [bool; 2])>, BTreeSet<String>) {
    (
        sc.objects
            .iter()
            .map(|o| (o.name.clone(), o.syncs))
            .collect(),
        sc.events
            .iter()
            .filter(|e| e.kind.makes_edits())
            .map(|e| e.name.clone())
            .collect(),
    )
}

/// `text` as a TOML basic string, for assignments and snippets.
pub fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A statistic's value for ranking: "never" and "no data" rank after every number.
pub fn rank_value(value: Option<f64>) -> f64 {
    value.unwrap_or(f64::INFINITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_escape_quotes_and_backslashes() {
        assert_eq!(toml_string("Lead"), "\"Lead\"");
        assert_eq!(toml_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        let parsed: toml::Table =
            toml::from_str(&format!("v = {}", toml_string("x\"\\\ny"))).unwrap();
        assert_eq!(parsed["v"].as_str(), Some("x\"\\\ny"));
    }

    #[test]
    fn unknown_metrics_are_named_with_neighbours() {
        let names: Vec<String> = ["backlog.max", "backlog.end", "event.bulk.clear_h"]
            .map(String::from)
            .to_vec();
        let e = expr::parse("event.bluk.clear_h p90 <= 24h").unwrap();
        let err = check_metrics(&e, &names).unwrap_err().to_string();
        assert!(err.contains("unknown metric 'event.bluk.clear_h'"), "{err}");
        assert!(err.contains("event.bulk.clear_h"), "{err}");
        assert!(check_metrics(&expr::parse("backlog.max <= 5").unwrap(), &names).is_ok());
    }
}
