//! Solve: the least (or greatest) value of a knob for which a target holds, by bisection over
//! the knob's grid, every candidate run with the same replication seeds.
//!
//! The knob is assumed monotone: raising it (throughput, workers, API limit) only ever helps
//! the target, or with `greatest` only ever hurts it (the size of a bulk update). Both ends of
//! the range are run first: if the target already holds at the end where it should fail, it
//! holds everywhere; if it fails at the end where it should hold, nowhere. Otherwise bisection
//! keeps a failing and a passing grid point and halves the gap until they are neighbours, so
//! the answer is exact on the grid (integers: exact). Evaluated points that contradict
//! monotonicity (a pass on the failing side, a statistic moving the wrong way) give warnings.

use super::grid::Range;
use super::{check_metrics, evaluate, Base, EditBank, PlannerError};
use crate::catalogue;
use crate::expr::{Expr, Op, Verdict};
use crate::scenario::Scenario;
use crate::text::cell;

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
    /// Replications per candidate.
    pub replications: u64,
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
    /// Whether every condition holds.
    pub pass: bool,
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

/// The answer and its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Every candidate, in order of evaluation.
    pub candidates: Vec<Candidate>,
    /// The conclusion.
    pub answer: Answer,
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
}

/// How many candidates a search evaluates at most: both ends, then the bisection.
pub fn max_candidates(spec: &SolveSpec) -> u64 {
    let gap = spec.last();
    let halvings = if gap <= 1 {
        0
    } else {
        64 - (gap - 1).leading_zeros() as u64
    };
    (gap.min(1) + 1) + halvings
}

/// Runs the search on the current rayon pool; `progress` is called once per finished
/// simulation.
pub fn solve(
    base: &Base,
    spec: &SolveSpec,
    bank: &mut EditBank,
    progress: &(dyn Fn() + Sync),
) -> Result<Solution, PlannerError> {
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut eval = |k: u64| -> Result<bool, PlannerError> {
        if let Some(c) = candidates.iter().find(|c| c.k == k) {
            return Ok(c.pass);
        }
        let sc = spec.scenario(base, k)?;
        let outcome = evaluate(&[sc], 0..spec.replications, None, bank, progress)
            .pop()
            .expect("one candidate");
        check_metrics(&spec.target, &outcome.names)?;
        let verdicts = outcome.verdicts(&spec.target);
        let pass = verdicts.iter().all(|v| v.pass);
        candidates.push(Candidate {
            order: candidates.len() + 1,
            k,
            value: spec.range.text(k),
            x: spec.range.value(k),
            verdicts,
            pass,
        });
        Ok(pass)
    };
    let last = spec.last();
    // Where the target should hold if the knob is monotone, and where it should fail.
    let (pass_end, fail_end) = if spec.greatest { (0, last) } else { (last, 0) };
    let holds_at_pass_end = eval(pass_end)?;
    let holds_at_fail_end = eval(fail_end)?;
    let answer = if holds_at_fail_end {
        Answer::Everywhere { k: fail_end }
    } else if !holds_at_pass_end {
        Answer::Nowhere
    } else {
        // Invariant: `fail` fails, `pass` passes, and they close in.
        let (mut fail, mut pass) = (fail_end, pass_end);
        while fail.abs_diff(pass) > 1 {
            let mid = fail.min(pass) + fail.abs_diff(pass) / 2;
            if eval(mid)? {
                pass = mid;
            } else {
                fail = mid;
            }
        }
        Answer::Found { k: pass }
    };
    let mut solution = Solution {
        candidates,
        answer,
        warnings: Vec::new(),
    };
    solution.warnings = monotonicity_warnings(spec, &solution);
    Ok(solution)
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
        for pair in points.windows(2) {
            let ((a, va), (b, vb)) = (pair[0], pair[1]);
            let change = vb - va;
            // Moves within 0.1% are noise (a few seconds on a day-long clear time), not
            // evidence.
            let noise = 1e-3 * va.abs().max(vb.abs()).max(cond.bound.unwrap_or(0.0).abs());
            if change.is_finite() && change * sign < -noise
                || va.is_finite() && vb.is_infinite() && sign < 0.0
                || va.is_infinite() && vb.is_finite() && sign > 0.0
            {
                warnings.push(format!(
                    "{} {} is {} at {} and {} at {}: it moves the wrong way for a monotone knob, so the bisection may have missed a boundary (more replications smooth it)",
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
            pass,
        }
    }

    fn warnings(spec: &SolveSpec, points: &[(u64, Option<f64>)]) -> Vec<String> {
        let solution = Solution {
            candidates: points.iter().map(|&(k, a)| candidate(spec, k, a)).collect(),
            answer: Answer::Nowhere,
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
        assert_eq!(max_candidates(&s), 2 + 3, "1..8: gap 7, three halvings");
        s.range = Range::parse("1..1", None, DefaultStep::Divisions(1000))
            .unwrap()
            .unwrap();
        assert_eq!(max_candidates(&s), 1);
    }
}
