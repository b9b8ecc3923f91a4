//! Solve: the least (or greatest) value of a knob for which a target holds, by bisection over
//! the knob's grid, every candidate run with the same replication seeds, and the interval of
//! knob values where the answer could lie at the confidence asked.
//!
//! The knob is assumed monotone: raising it (throughput, workers, API limit) only ever helps
//! the target, or with `greatest` only ever hurts it (the size of a bulk update). Both ends of
//! the range are run first: if the target already holds at the end where it should fail, it
//! holds everywhere; if it fails at the end where it should hold, nowhere. Otherwise bisection
//! keeps a failing and a passing grid point and halves the gap until they are neighbours, so
//! the answer is exact on the grid for the replications run. Evaluated points that contradict
//! monotonicity (a pass on the failing side, a statistic moving the wrong way) give warnings.
//!
//! **The answer's interval.** Each candidate's statistics have confidence intervals
//! (`solve/sure.rs`): a candidate surely fails, surely passes, or is unsure (an interval
//! straddles its bound). Two more bisections find the first grid point that does not surely
//! fail and the first that surely passes: between them lies the knob value where the target
//! starts to hold, at about the confidence asked, for a monotone target. `4179 (95%:
//! 4120-4240)`.
//!
//! **Precision.** With a precision asked for, the search runs again with twice the
//! replications (the same seeds first: replication `i` is the same run at every count, and
//! runs already made are kept) until the interval is that narrow or a cap is reached: a
//! sequence of batches that depends only on the results, so as deterministic as one search.

mod sure;

use std::collections::BTreeMap;

pub use sure::{needed, Bounds, Sure};

use super::grid::Range;
use super::{check_metrics, evaluate_for, Base, PlannerError, Runner};
use crate::catalogue;
use crate::expr::{self, Expr, Op, Verdict};
use crate::scenario::Scenario;
use crate::text::cell;

/// How narrow the answer's interval must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Precision {
    /// At most this wide, in the knob's unit (milliseconds for durations).
    Width(f64),
    /// At most this fraction of the answer's value wide.
    Fraction(f64),
}

/// What to solve for.
#[derive(Debug, Clone)]
pub struct SolveSpec {
    /// Key path of the knob, e.g. `sync.throughput`.
    pub path: String,
    /// Its grid.
    pub range: Range,
    /// The target; its statistics (p90, mean...) are the confidence asked for.
    pub target: Expr,
    /// Look for the greatest value for which the target holds (else the least).
    pub greatest: bool,
    /// Replications per candidate (at the start, with a precision).
    pub replications: u64,
    /// Confidence of the statistics' intervals (e.g. 0.95).
    pub confidence: f64,
    /// How narrow the answer's interval must be; `None`: one search.
    pub precision: Option<Precision>,
    /// The most replications a precision may ask for.
    pub max_replications: u64,
}

impl SolveSpec {
    /// The assignment of grid point `k`.
    pub fn assignment(&self, k: u64) -> String {
        format!("{}={}", self.path, self.range.text(k))
    }

    /// The scenario of grid point `k`, validated.
    pub fn scenario(&self, base: &Base, k: u64) -> Result<Scenario, PlannerError> {
        let a = self.assignment(k);
        base.candidate(std::slice::from_ref(&a), || format!("candidate {a}"))
    }

    /// The last grid index.
    pub fn last(&self) -> u64 {
        self.range.len() - 1
    }

    /// The grid index `j` steps from the end where the target should fail.
    fn k_of(&self, j: u64) -> u64 {
        if self.greatest {
            self.last() - j
        } else {
            j
        }
    }

    /// The fewest replications every condition's interval needs ([`needed`]).
    pub fn needed_replications(&self) -> u64 {
        self.target
            .conditions
            .iter()
            .map(|c| needed(c, self.confidence))
            .max()
            .unwrap_or(1)
    }
}

/// One value tried.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// 1-based order of evaluation.
    pub order: usize,
    /// Grid index.
    pub k: u64,
    /// The value, as set.
    pub value: String,
    /// The value as a number (milliseconds for durations).
    pub x: f64,
    /// Each condition's statistic and verdict.
    pub verdicts: Vec<Verdict>,
    /// Each condition's interval at the confidence asked (`None`: none).
    pub intervals: Vec<Option<Bounds>>,
    /// Whether every condition holds, by the statistics.
    pub pass: bool,
    /// Whether it holds at the confidence asked.
    pub sure: Sure,
}

/// What the search concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Grid point `k` passes and its neighbour on the failing side fails.
    Found {
        /// Grid index of the answer.
        k: u64,
    },
    /// The target holds at the end of the range where it should fail (the lowest value when
    /// looking for the least): it holds everywhere in the range if the knob is monotone, and
    /// the answer is that end.
    Everywhere {
        /// Grid index of that end.
        k: u64,
    },
    /// The target fails at the end where it should hold: nowhere in the range.
    Nowhere,
}

/// The knob values where the answer could lie, at the confidence asked: from the first grid
/// point (coming from the failing side) where the target does not surely fail, to the first
/// where it surely holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnobInterval {
    /// Grid index of the first point that does not surely fail; `None` when every point
    /// surely fails.
    pub unsure_from: Option<u64>,
    /// Whether that is the end of the range (the interval may reach beyond it).
    pub open_at_fail_end: bool,
    /// Grid index of the first point that surely holds; `None` when none in the range does
    /// (the interval reaches beyond the range).
    pub sure_from: Option<u64>,
}

/// One search at one number of replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pass {
    /// Replications per candidate.
    pub replications: u64,
    /// The interval's width in the knob's unit (infinite when open).
    pub width: f64,
}

/// The answer and its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Every candidate of the last search, in order of evaluation.
    pub candidates: Vec<Candidate>,
    /// The conclusion.
    pub answer: Answer,
    /// Where the answer could lie at the confidence asked.
    pub interval: KnobInterval,
    /// Replications per candidate in the last search.
    pub replications: u64,
    /// Each search, in order (one without a precision).
    pub passes: Vec<Pass>,
    /// Evidence that the knob is not monotone.
    pub warnings: Vec<String>,
}

impl Solution {
    /// The candidates sorted by value.
    pub fn by_value(&self) -> Vec<&Candidate> {
        let mut c: Vec<&Candidate> = self.candidates.iter().collect();
        c.sort_by_key(|c| c.k);
        c
    }

    /// The candidate at grid index `k`, if evaluated.
    pub fn at(&self, k: u64) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.k == k)
    }

    /// The answer's grid index, if there is one.
    pub fn answer_k(&self) -> Option<u64> {
        match self.answer {
            Answer::Found { k } | Answer::Everywhere { k } => Some(k),
            Answer::Nowhere => None,
        }
    }

    /// The interval's ends as grid indices, lower value first; `None` for an end beyond the
    /// range or that does not exist.
    pub fn interval_ends(&self, spec: &SolveSpec) -> (Option<u64>, Option<u64>) {
        let i = &self.interval;
        if spec.greatest {
            (i.sure_from, i.unsure_from)
        } else {
            (i.unsure_from, i.sure_from)
        }
    }
}

/// The interval's width in the knob's unit: infinite when it reaches beyond the range.
fn width(spec: &SolveSpec, i: &KnobInterval) -> f64 {
    match (i.unsure_from, i.sure_from) {
        (Some(a), Some(b)) if !i.open_at_fail_end => {
            (spec.range.value(a) - spec.range.value(b)).abs()
        }
        _ => f64::INFINITY,
    }
}

/// How many candidates one search evaluates at most: both ends, the bisection for the
/// answer and the two for its interval.
pub fn max_candidates(spec: &SolveSpec) -> u64 {
    let gap = spec.last();
    let halvings = if gap <= 1 {
        0
    } else {
        64 - (gap - 1).leading_zeros() as u64
    };
    (gap.min(1) + 1) + 3 * halvings
}

/// The runs made so far: each grid point's scenario and its values of the target's metrics,
/// one row per replication, kept between searches.
struct Runs<'a> {
    base: &'a Base,
    spec: &'a SolveSpec,
    runner: &'a mut Runner,
    progress: &'a (dyn Fn() + Sync),
    /// The target's metrics, each once.
    metrics: Vec<String>,
    scenarios: BTreeMap<u64, Scenario>,
    rows: BTreeMap<u64, Vec<Vec<Option<f64>>>>,
    checked: bool,
    /// The target reads only events' clear and recovery times: runs may stop once those are
    /// final.
    settled_only: bool,
}

impl Runs<'_> {
    /// Grid point `k` judged over its first `r` replications (running those missing).
    fn judge(&mut self, k: u64, r: u64) -> Result<Candidate, PlannerError> {
        let have = self.rows.get(&k).map_or(0, |v| v.len() as u64);
        if have < r {
            if !self.scenarios.contains_key(&k) {
                let sc = self.spec.scenario(self.base, k)?;
                self.scenarios.insert(k, sc);
            }
            let sc = self.scenarios[&k].clone();
            let outcome = evaluate_for(
                &[sc],
                have..r,
                None,
                self.settled_only,
                self.runner,
                self.progress,
            )
            .pop()
            .expect("one candidate");
            if !self.checked {
                check_metrics(&self.spec.target, &outcome.names)?;
                self.checked = true;
            }
            let columns: Vec<Vec<Option<f64>>> = self
                .metrics
                .iter()
                .map(|m| outcome.column(m).expect("checked"))
                .collect();
            let rows = self.rows.entry(k).or_default();
            for i in 0..outcome.runs.len() {
                rows.push(columns.iter().map(|c| c[i]).collect());
            }
        }
        let rows = &self.rows[&k][..r as usize];
        let column = |name: &str| {
            let m = self.metrics.iter().position(|n| n == name)?;
            Some(rows.iter().map(|row| row[m]).collect::<Vec<_>>())
        };
        let spec = self.spec;
        let verdicts = expr::evaluate(&spec.target, column);
        let intervals: Vec<Option<Bounds>> = spec
            .target
            .conditions
            .iter()
            .map(|c| {
                let values = column(&c.metric).expect("checked");
                expr::statistic_interval(&c.metric, &values, c.stat, spec.confidence)
            })
            .collect();
        let each: Vec<Sure> = verdicts
            .iter()
            .zip(&intervals)
            .map(|(v, i)| sure::condition(v, *i))
            .collect();
        Ok(Candidate {
            order: 0,
            k,
            value: spec.range.text(k),
            x: spec.range.value(k),
            pass: verdicts.iter().all(|v| v.pass),
            sure: sure::target(&each),
            verdicts,
            intervals,
        })
    }
}

/// One search with `r` replications per candidate.
fn search(runs: &mut Runs<'_>, r: u64) -> Result<Solution, PlannerError> {
    let spec = runs.spec;
    let mut candidates: Vec<Candidate> = Vec::new();
    // Grid point `j` steps from the failing end, judged once per search.
    let mut at = |j: u64, runs: &mut Runs<'_>| -> Result<Candidate, PlannerError> {
        let k = spec.k_of(j);
        if let Some(c) = candidates.iter().find(|c| c.k == k) {
            return Ok(c.clone());
        }
        let mut c = runs.judge(k, r)?;
        c.order = candidates.len() + 1;
        candidates.push(c.clone());
        Ok(c)
    };
    let last = spec.last();
    let at_pass_end = at(last, runs)?;
    let at_fail_end = at(0, runs)?;
    // The first j in (lo, hi] where `holds` does, given it fails at lo and holds at hi.
    let mut first = |mut lo: u64,
                     mut hi: u64,
                     holds: &dyn Fn(&Candidate) -> bool,
                     runs: &mut Runs<'_>|
     -> Result<u64, PlannerError> {
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if holds(&at(mid, runs)?) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    };
    let passes = |c: &Candidate| c.pass;
    let not_sure_fail = |c: &Candidate| c.sure != Sure::Fail;
    let sure_pass = |c: &Candidate| c.sure == Sure::Pass;
    let (answer, j_answer) = if at_fail_end.pass {
        (Answer::Everywhere { k: spec.k_of(0) }, Some(0))
    } else if !at_pass_end.pass {
        (Answer::Nowhere, None)
    } else {
        let j = first(0, last, &passes, runs)?;
        (Answer::Found { k: spec.k_of(j) }, Some(j))
    };
    // The first point that does not surely fail: at or before the answer.
    let unsure_from = if not_sure_fail(&at_fail_end) {
        Some(0)
    } else if let Some(j) = j_answer {
        Some(first(0, j, &not_sure_fail, runs)?)
    } else if not_sure_fail(&at_pass_end) {
        Some(first(0, last, &not_sure_fail, runs)?)
    } else {
        None
    };
    // The first point that surely holds: at or after the answer.
    let sure_from = if sure_pass(&at_fail_end) {
        Some(0)
    } else if !sure_pass(&at_pass_end) {
        None
    } else {
        let lo = j_answer.map_or(0, |j| j.saturating_sub(1));
        Some(first(lo, last, &sure_pass, runs)?)
    };
    let interval = KnobInterval {
        unsure_from: unsure_from.map(|j| spec.k_of(j)),
        open_at_fail_end: unsure_from == Some(0),
        sure_from: sure_from.map(|j| spec.k_of(j)),
    };
    let mut solution = Solution {
        candidates,
        answer,
        interval,
        replications: r,
        passes: Vec::new(),
        warnings: Vec::new(),
    };
    solution.warnings = monotonicity_warnings(spec, &solution);
    Ok(solution)
}

/// Runs the search on the current rayon pool, with `runner`; with a precision,
/// again with twice the replications until the answer's interval is as narrow as asked or
/// `max_replications` is reached. `progress` is called once per finished simulation.
pub fn solve(
    base: &Base,
    spec: &SolveSpec,
    runner: &mut Runner,
    progress: &(dyn Fn() + Sync),
) -> Result<Solution, PlannerError> {
    let mut metrics: Vec<String> = Vec::new();
    for c in &spec.target.conditions {
        if !metrics.contains(&c.metric) {
            metrics.push(c.metric.clone());
        }
    }
    let mut runs = Runs {
        base,
        spec,
        runner,
        progress,
        metrics,
        scenarios: BTreeMap::new(),
        rows: BTreeMap::new(),
        checked: false,
        settled_only: spec.target.conditions.iter().all(|c| {
            c.metric.starts_with("event.")
                && (c.metric.ends_with(".clear_h") || c.metric.ends_with(".recovery_h"))
        }),
    };
    let mut r = spec.replications.max(1);
    let mut passes = Vec::new();
    loop {
        let mut solution = search(&mut runs, r)?;
        let w = width(spec, &solution.interval);
        passes.push(Pass {
            replications: r,
            width: w,
        });
        if narrow_enough(spec, &solution.answer, w) || r >= spec.max_replications {
            solution.passes = passes;
            return Ok(solution);
        }
        r = (2 * r).min(spec.max_replications);
    }
}

/// Whether an interval `width` wide around `answer` is as narrow as `spec`'s precision asks
/// (always, without one, or when the target holds nowhere or everywhere).
pub fn narrow_enough(spec: &SolveSpec, answer: &Answer, width: f64) -> bool {
    match (spec.precision, answer) {
        (None, _) | (_, Answer::Everywhere { .. } | Answer::Nowhere) => true,
        (Some(Precision::Width(p)), _) => width <= p,
        (Some(Precision::Fraction(f)), Answer::Found { k }) => {
            width <= f * spec.range.value(*k).abs()
        }
    }
}

/// Evidence against monotonicity among the evaluated candidates: a pass on the side where
/// the target should fail, or a statistic moving away from its bound, by more than 0.1%, as
/// the knob moves toward the passing side.
pub fn monotonicity_warnings(spec: &SolveSpec, solution: &Solution) -> Vec<String> {
    let mut warnings = Vec::new();
    let sorted = solution.by_value();
    let name = |c: &Candidate| format!("{}={}", spec.path, c.value);
    // Passing side: larger values when looking for the least.
    let toward_pass = if spec.greatest { -1.0 } else { 1.0 };
    'pairs: for (i, a) in sorted.iter().enumerate() {
        for b in &sorted[i + 1..] {
            let contradicts = if spec.greatest {
                !a.pass && b.pass
            } else {
                a.pass && !b.pass
            };
            if contradicts {
                let (p, f) = if a.pass { (a, b) } else { (b, a) };
                warnings.push(format!(
                    "the target holds at {} but not at {}: it is not monotone in {} over this range{}",
                    name(p),
                    name(f),
                    spec.path,
                    if spec.greatest {
                        ""
                    } else {
                        " (if larger values should make it fail, use --greatest)"
                    }
                ));
                break 'pairs;
            }
        }
    }
    for (ci, cond) in spec.target.conditions.iter().enumerate() {
        // The sign the statistic should change by per step of the knob toward the pass side.
        let sign = match cond.op {
            Op::Le | Op::Lt => -toward_pass,
            Op::Ge | Op::Gt => toward_pass,
            Op::Eq | Op::Ne => continue,
        };
        let never = catalogue::missing(&cond.metric).ranks_above();
        let points: Vec<(&Candidate, f64)> = sorted
            .iter()
            .filter_map(|c| match c.verdicts[ci].actual {
                Some(v) => Some((*c, v)),
                None if never => Some((*c, f64::INFINITY)),
                None => None,
            })
            .collect();
        let rank = |x: Option<f64>| x.unwrap_or(f64::INFINITY);
        let bounds = |c: &Candidate| c.intervals[ci].map(|(lo, hi)| (rank(lo), rank(hi)));
        for pair in points.windows(2) {
            let ((a, va), (b, vb)) = (pair[0], pair[1]);
            let change = vb - va;
            // A move within the statistics' intervals is noise, not evidence; without
            // intervals, so is one within 0.1% (a few seconds on a day-long clear time).
            let noise = 1e-3 * va.abs().max(vb.abs()).max(cond.bound.unwrap_or(0.0).abs());
            let wrong_way = match (bounds(a), bounds(b)) {
                (Some((_, high_a)), Some((low_b, _))) if sign < 0.0 => low_b > high_a,
                (Some((low_a, _)), Some((_, high_b))) if sign > 0.0 => high_b < low_a,
                _ => {
                    change.is_finite() && change * sign < -noise
                        || va.is_finite() && vb.is_infinite() && sign < 0.0
                        || va.is_infinite() && vb.is_finite() && sign > 0.0
                }
            };
            if wrong_way {
                warnings.push(format!(
                    "{} {} is {} at {} and {} at {}: it moves the wrong way for a monotone knob, beyond the noise, so the bisection may have missed a boundary (more replications smooth it)",
                    cond.metric,
                    cond.stat,
                    cell(&cond.metric, a.verdicts[ci].actual),
                    name(a),
                    cell(&cond.metric, b.verdicts[ci].actual),
                    name(b),
                ));
                break;
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{self, Verdict};
    use crate::planner::grid::DefaultStep;

    fn spec(target: &str, greatest: bool) -> SolveSpec {
        SolveSpec {
            path: "sync.workers".into(),
            range: Range::parse("1..8", None, DefaultStep::Divisions(1000))
                .unwrap()
                .unwrap(),
            target: expr::parse(target).unwrap(),
            greatest,
            replications: 1,
            confidence: 0.95,
            precision: None,
            max_replications: 1000,
        }
    }

    fn candidate(spec: &SolveSpec, k: u64, actual: Option<f64>) -> Candidate {
        let condition = spec.target.conditions[0].clone();
        let pass = condition.op.holds(actual, condition.bound);
        Candidate {
            order: k as usize + 1,
            k,
            value: spec.range.text(k),
            x: spec.range.value(k),
            verdicts: vec![Verdict {
                condition,
                actual,
                pass,
                unknown_metric: false,
            }],
            intervals: vec![None],
            pass,
            sure: if pass { Sure::Pass } else { Sure::Fail },
        }
    }

    fn warnings(spec: &SolveSpec, points: &[(u64, Option<f64>)]) -> Vec<String> {
        let solution = Solution {
            candidates: points.iter().map(|&(k, a)| candidate(spec, k, a)).collect(),
            answer: Answer::Nowhere,
            interval: KnobInterval {
                unsure_from: None,
                open_at_fail_end: false,
                sure_from: None,
            },
            replications: 1,
            passes: vec![],
            warnings: vec![],
        };
        monotonicity_warnings(spec, &solution)
    }

    #[test]
    fn a_monotone_knob_gives_no_warning() {
        let s = spec("event.x.clear_h <= 5h", false);
        assert!(warnings(&s, &[(0, None), (3, Some(6.0)), (7, Some(2.0))]).is_empty());
        // A wiggle within 0.1% is noise.
        assert!(warnings(&s, &[(0, Some(24.047)), (3, Some(24.048)), (7, Some(2.0))]).is_empty());
        assert_eq!(warnings(&s, &[(0, Some(24.0)), (3, Some(24.1))]).len(), 1);
    }

    #[test]
    fn a_wrong_way_move_within_the_intervals_is_noise() {
        let s = spec("event.x.clear_h p90 <= 5h", false);
        let at = |k: u64, actual: f64, low: f64, high: f64| {
            let mut c = candidate(&s, k, Some(actual));
            c.intervals = vec![Some((Some(low), Some(high)))];
            c
        };
        let warn = |candidates: Vec<Candidate>| {
            let solution = Solution {
                candidates,
                answer: Answer::Nowhere,
                interval: KnobInterval {
                    unsure_from: None,
                    open_at_fail_end: false,
                    sure_from: None,
                },
                replications: 36,
                passes: vec![],
                warnings: vec![],
            };
            monotonicity_warnings(&s, &solution)
        };
        // Up by 0.16%, but each value inside the other's interval: noise.
        assert!(warn(vec![at(2, 8.003, 7.983, 8.052), at(3, 8.016, 7.981, 8.047)]).is_empty());
        // Up with the intervals apart: evidence.
        assert_eq!(
            warn(vec![at(2, 8.0, 7.9, 8.1), at(3, 8.5, 8.2, 8.7)]).len(),
            1
        );
    }

    #[test]
    fn a_pass_on_the_failing_side_is_reported() {
        let s = spec("event.x.clear_h <= 5h", false);
        let w = warnings(&s, &[(0, Some(4.0)), (7, Some(6.0))]);
        assert!(
            w[0].contains("holds at sync.workers=1 but not at sync.workers=8"),
            "{w:?}"
        );
        assert!(w[0].contains("use --greatest"), "{w:?}");
        assert!(w[1].contains("moves the wrong way"), "{w:?}");
        // A statistic that worsens toward the passing side, though both points fail.
        let w = warnings(&s, &[(0, Some(7.0)), (7, None)]);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("is 7 at sync.workers=1 and never at sync.workers=8"),
            "{w:?}"
        );
        // With --greatest the passing side is the low end.
        let g = spec("latency.Lead.p95_min p90 <= 15m", true);
        assert!(warnings(&g, &[(0, Some(3.0)), (7, Some(30.0))]).is_empty());
        assert_eq!(warnings(&g, &[(0, Some(30.0)), (7, Some(3.0))]).len(), 2);
    }

    #[test]
    fn the_search_budget_counts_both_ends_and_the_halvings() {
        let mut s = spec("x <= 1", false);
        assert_eq!(
            max_candidates(&s),
            2 + 3 * 3,
            "1..8: gap 7, three halvings, thrice"
        );
        s.range = Range::parse("1..1", None, DefaultStep::Divisions(1000))
            .unwrap()
            .unwrap();
        assert_eq!(max_candidates(&s), 1);
    }
}
