//! A variant's answers beside its baseline's, metric by metric, computed as
//! `syncsim compare` computes them ([`crate::planner::compare::metric`]): both sides run the
//! same seeds (one run each, or replications paired by seed), so a difference is the change,
//! not luck; the paired differences' mean, their 95% confidence interval and the verdict
//! (better, worse, or no detectable difference) are compare's, number for number.
//!
//! What is the page's own is which columns are compared: a bulk update split into parts
//! (`<event>_part2`, ...) clears when its last part does, so its clear time in a variant is
//! the whole plan's ([`split_clear`]), comparable with the unsplit update's.

use super::Outcome;
use crate::catalogue;
use crate::planner::compare::{self, MetricComparison};
use crate::replicate::{self, Aggregate};
use crate::scenario::{EventKind, Scenario};
use crate::stats::Values;
use crate::units::hours;

/// The confidence of the page's intervals and verdicts (`syncsim compare`'s default).
pub const CONFIDENCE: f64 = 0.95;

/// One metric, baseline and variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The baseline's values across its runs.
    pub baseline: Aggregate,
    /// The variant against the baseline, as `syncsim compare` has it: the variant's values,
    /// the paired difference (variant - baseline) with its interval, the verdict.
    pub comparison: MetricComparison,
    /// Whether it is the clear time of a bulk update split into parts on either side: the
    /// whole plan's ([`split_clear`]).
    pub whole_plan: bool,
}

/// A bulk update split into parts, each part with its mean clear time across the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitPlan {
    /// The update's name (its first part's).
    pub event: String,
    /// Each part, the first first: its event name and mean clear time (`None` as the
    /// catalogue says).
    pub parts: Vec<(String, Option<f64>)>,
}

/// The bulk updates of `o`'s scenario that are split into parts, in file order.
pub fn splits(o: &Outcome) -> Vec<SplitPlan> {
    let events = &o.summary().scenario().events;
    events
        .iter()
        .filter(|e| events.iter().any(|p| is_part_of(&p.name, &e.name)))
        .map(|split| SplitPlan {
            event: split.name.clone(),
            parts: events
                .iter()
                .filter(|p| p.name == split.name || is_part_of(&p.name, &split.name))
                .map(|p| {
                    let name = format!("event.{}.clear_h", p.name);
                    let mean = o
                        .column(&name)
                        .and_then(|c| Values::new(&c, catalogue::missing(&name)).mean());
                    (p.name.clone(), mean)
                })
                .collect(),
        })
        .collect()
}

/// The metrics a planner asks about first: each bulk update's and enabled object's clear
/// and recovery times, the highest backlog and the backlog at the end, each object's p99
/// latency, and the admin page's status.
pub fn headline_metrics(sc: &Scenario) -> Vec<String> {
    let mut names = Vec::new();
    for e in sc.events.iter().filter(|e| e.kind.makes_edits()) {
        if matches!(
            e.kind,
            EventKind::BulkUpdate { .. } | EventKind::EnableObject { .. }
        ) {
            names.push(format!("event.{}.clear_h", e.name));
            names.push(format!("event.{}.recovery_h", e.name));
        }
    }
    names.push("backlog.max".into());
    for o in &sc.objects {
        names.push(format!("latency.{}.p99_min", o.name));
    }
    names.push("backlog.end".into());
    names.push("dashboard.growing".into());
    names
}

/// The answers of `variant` against `baseline` for each of `names` the baseline has, in
/// order, at [`CONFIDENCE`]. The two must have run the same number of replications with the
/// same seeds. The clear time of a bulk update split into parts is the whole plan's
/// ([`split_clear`]).
pub fn differences(baseline: &Outcome, variant: &Outcome, names: &[String]) -> Vec<Answer> {
    names
        .iter()
        .filter_map(|name| {
            let (b, split_b) = column(baseline, name)?;
            let v = column(variant, name);
            let split_v = v.as_ref().is_some_and(|(_, split)| *split);
            Some(Answer {
                baseline: replicate::aggregate(name, &b),
                comparison: compare::metric(
                    name,
                    &b,
                    v.as_ref().map(|(c, _)| c.as_slice()),
                    CONFIDENCE,
                ),
                whole_plan: split_b || split_v,
            })
        })
        .collect()
}

/// Metric `name` in every run of `o`, a split update's clear time being its plan's; and
/// whether it is.
fn column(o: &Outcome, name: &str) -> Option<(Vec<Option<f64>>, bool)> {
    name.strip_prefix("event.")
        .and_then(|rest| rest.strip_suffix(".clear_h"))
        .and_then(|event| split_clear(o, event))
        .map(|c| (c, true))
        .or_else(|| o.column(name).map(|c| (c, false)))
}

/// Whether event `name` is a part of a split of `event`: `<event>_part<k>`.
pub fn is_part_of(name: &str, event: &str) -> bool {
    name.strip_prefix(event)
        .and_then(|rest| rest.strip_prefix("_part"))
        .is_some_and(|k| k.parse::<u32>().is_ok_and(|k| k >= 2))
}

/// The clear time of bulk update `event` split into parts (`None` when it is not split):
/// from the first edit of its first part until every part has cleared, in each run; never
/// if some part did not clear within the horizon. A bulk update's first edit is at its
/// start, so the plan's clear time is the latest of (part start + part clear time), less
/// the first part's start. Unsplit, it is the event's own clear time.
pub fn split_clear(o: &Outcome, event: &str) -> Option<Vec<Option<f64>>> {
    let sc = o.summary().scenario();
    let parts: Vec<_> = sc
        .events
        .iter()
        .filter(|e| e.name == event || is_part_of(&e.name, event))
        .collect();
    if parts.len() < 2 {
        return None;
    }
    let first = parts.iter().map(|e| e.at).min()?;
    let columns: Vec<(f64, Vec<Option<f64>>)> = parts
        .iter()
        .map(|e| {
            let c = o.column(&format!("event.{}.clear_h", e.name))?;
            Some((hours(e.at - first), c))
        })
        .collect::<Option<_>>()?;
    let runs = columns[0].1.len();
    Some(
        (0..runs)
            .map(|i| {
                columns
                    .iter()
                    .map(|(offset, c)| c[i].map(|clear| offset + clear))
                    .try_fold(0.0_f64, |latest, end| end.map(|e| latest.max(e)))
            })
            .collect(),
    )
}
