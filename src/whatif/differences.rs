//! A variant's answers beside its baseline's, metric by metric. Both sides run the same
//! seeds (one run each, or replications paired by seed), so a difference is the change,
//! not luck: with replications, the mean of the paired differences and its 95% confidence
//! interval say whether the change is clear.
//!
//! A bulk update split into parts (`<event>_part2`, ...) clears when its last part does:
//! its clear time in a variant is the whole plan's, comparable with the unsplit update's.
//!
//! The verdict reads which way is better from the metric catalogue
//! ([`crate::catalogue::better`]) and what a missing value means
//! ([`crate::catalogue::missing`]): an event that never clears is worse than one that
//! does, whatever the numbers.

use super::Outcome;
use crate::catalogue::{self, Better};
use crate::scenario::{EventKind, Scenario};
use crate::stats::{Interval, Values};
use crate::units::hours;

/// What a difference says about the variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The variant does better: a single run's change, or a confidence interval of the
    /// paired differences that excludes zero, in the better direction.
    Better,
    /// The variant does worse.
    Worse,
    /// The same value on both sides.
    Same,
    /// Replications whose paired differences' interval includes zero.
    Unclear,
    /// A metric for which neither direction is better, or with no value to compare.
    NotJudged,
}

impl Verdict {
    /// The word shown.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Same => "same",
            Verdict::Unclear => "no clear difference",
            Verdict::NotJudged => "-",
        }
    }
}

/// One metric, baseline and variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The metric's name.
    pub name: String,
    /// The baseline's value (the mean across replications); `None` as the catalogue says
    /// ("never", "no data"), or when replications disagree on having one.
    pub baseline: Option<f64>,
    /// The variant's value, likewise.
    pub variant: Option<f64>,
    /// Variant minus baseline (the mean of the paired differences).
    pub change: Option<f64>,
    /// 95% confidence interval of the mean paired difference (two replications or more).
    pub interval: Option<Interval>,
    /// What it says.
    pub verdict: Verdict,
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

/// The differences of `variant` from `baseline` for each of `names` both have, in order.
/// The two must have run the same number of replications with the same seeds. The clear
/// time of a bulk update split into parts is the whole plan's ([`split_clear`]).
pub fn differences(baseline: &Outcome, variant: &Outcome, names: &[String]) -> Vec<Difference> {
    names
        .iter()
        .filter_map(|name| {
            let (b, split_b) = column(baseline, name)?;
            let (v, split_v) = column(variant, name)?;
            Some(Difference {
                whole_plan: split_b || split_v,
                ..difference(name, &b, &v)
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

/// One metric's difference from its values per replication on each side.
fn difference(name: &str, b: &[Option<f64>], v: &[Option<f64>]) -> Difference {
    let missing = catalogue::missing(name);
    let mean = |values: &[Option<f64>]| Values::new(values, missing).mean();
    let (baseline, variant) = (mean(b), mean(v));
    let paired: Option<Vec<Option<f64>>> = b
        .iter()
        .zip(v)
        .map(|(b, v)| b.zip(*v).map(|(b, v)| Some(v - b)))
        .collect();
    let (change, interval) = match &paired {
        Some(d) => {
            let values = Values::new(d, catalogue::Missing::Impossible);
            (values.mean(), values.mean_ci())
        }
        None => (None, None),
    };
    let better = catalogue::better(name);
    let verdict = if better == Better::Neither {
        Verdict::NotJudged
    } else if let Some(d) = &paired {
        judge(better, d, interval)
    } else {
        // Some run has no value: compare "never" with numbers by rank.
        by_rank(name, better, b, v)
    };
    Difference {
        name: name.to_string(),
        baseline,
        variant,
        change,
        interval,
        verdict,
        whole_plan: false,
    }
}

/// The verdict of paired differences: a single run's sign, or an interval clear of zero.
fn judge(better: Better, d: &[Option<f64>], interval: Option<Interval>) -> Verdict {
    let sign = |x: f64| {
        if x == 0.0 {
            Verdict::Same
        } else if (x < 0.0) == (better == Better::Lower) {
            Verdict::Better
        } else {
            Verdict::Worse
        }
    };
    let d: Vec<f64> = d.iter().flatten().copied().collect();
    if d.iter().all(|&x| x == 0.0) {
        return Verdict::Same;
    }
    if d.len() == 1 {
        return sign(d[0]);
    }
    match interval {
        Some(i) if i.low > 0.0 => sign(1.0),
        Some(i) if i.high < 0.0 => sign(-1.0),
        _ => Verdict::Unclear,
    }
}

/// The verdict when some run has no value: where a missing value ranks above every number
/// ("never"), the side with fewer of them is better for a metric where lower is better
/// (more time, never); with as many, not judged.
fn by_rank(name: &str, better: Better, b: &[Option<f64>], v: &[Option<f64>]) -> Verdict {
    if !catalogue::missing(name).ranks_above() {
        return Verdict::NotJudged;
    }
    let never = |values: &[Option<f64>]| values.iter().filter(|x| x.is_none()).count();
    let (nb, nv) = (never(b), never(v));
    let fewer_is_better = better == Better::Lower;
    match nv.cmp(&nb) {
        std::cmp::Ordering::Equal => Verdict::NotJudged,
        std::cmp::Ordering::Less if fewer_is_better => Verdict::Better,
        std::cmp::Ordering::Greater if !fewer_is_better => Verdict::Better,
        _ => Verdict::Worse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_run_is_judged_by_the_sign_and_which_way_is_better() {
        let d = difference("backlog.max", &[Some(100.0)], &[Some(80.0)]);
        assert_eq!((d.change, d.verdict), (Some(-20.0), Verdict::Better));
        let d = difference("backlog.max", &[Some(100.0)], &[Some(120.0)]);
        assert_eq!(d.verdict, Verdict::Worse);
        let d = difference("backlog.max", &[Some(100.0)], &[Some(100.0)]);
        assert_eq!(d.verdict, Verdict::Same);
        // Records synced: higher is better.
        let d = difference("synced", &[Some(100.0)], &[Some(120.0)]);
        assert_eq!(d.verdict, Verdict::Better);
    }

    #[test]
    fn replications_are_judged_by_the_interval_of_paired_differences() {
        let b = [Some(10.0), Some(12.0), Some(11.0), Some(13.0)];
        // Every pair 1 lower: clearly better, whatever the spread of each side.
        let v: Vec<Option<f64>> = b.iter().map(|x| x.map(|x| x - 1.0)).collect();
        let d = difference("event.x.clear_h", &b, &v);
        assert_eq!(d.verdict, Verdict::Better);
        assert_eq!(d.change, Some(-1.0));
        // Up and down: the interval includes zero.
        let v = [Some(11.0), Some(11.0), Some(12.0), Some(12.0)];
        let d = difference("event.x.clear_h", &b, &v);
        assert_eq!(d.verdict, Verdict::Unclear);
        assert!(d.interval.unwrap().low < 0.0 && d.interval.unwrap().high > 0.0);
    }

    #[test]
    fn never_clearing_is_worse_than_clearing() {
        let d = difference("event.x.clear_h", &[Some(5.0)], &[None]);
        assert_eq!(
            (d.variant, d.change, d.verdict),
            (None, None, Verdict::Worse)
        );
        let d = difference("event.x.clear_h", &[None], &[Some(30.0)]);
        assert_eq!(d.verdict, Verdict::Better);
        let d = difference("event.x.clear_h", &[None], &[None]);
        assert_eq!(d.verdict, Verdict::NotJudged);
    }
}
