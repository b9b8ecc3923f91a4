//! Ties: which of several alternatives (sweep points, schedule plans) cannot be told apart
//! from the best, given the noise between replications.
//!
//! Every alternative ran the same replications with the same seeds, so their values pair up
//! replication by replication. The subset kept is the screening procedure of Nelson, Swann,
//! Goldsman and Song (2001) for common random numbers ([`crate::stats::screen`]): an
//! alternative stays unless some other's mean is better than its own by more than the noise
//! of their paired differences allows at the confidence asked. It contains the truly best
//! alternative with at least that confidence (for normal outputs), so the alternatives in it
//! are equivalent as far as the replications can tell. It works on means: an alternative
//! whose metric has no value in some replication ("never", "no data") has no mean and is
//! left out of it.

use crate::stats::screen;

/// Whether ties could be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieStatus {
    /// The screening ran.
    Judged,
    /// One replication: no noise to judge by.
    OneReplication,
    /// The metric has no better direction.
    NoDirection,
    /// No alternative has a value in every replication.
    Incomplete,
}

/// The alternatives equivalent to the best.
#[derive(Debug, Clone, PartialEq)]
pub struct Ties {
    /// The metric judged.
    pub metric: String,
    /// Whether lower values are better (else higher).
    pub lower_is_better: bool,
    /// The confidence of the screening.
    pub confidence: f64,
    /// Whether the screening ran, and if not why.
    pub status: TieStatus,
    /// The alternative with the best mean (an index into the input), if any has one.
    pub best: Option<usize>,
    /// The alternatives the screening keeps, ascending; empty when not judged.
    pub group: Vec<usize>,
    /// The alternatives left out of the screening (no value in some replication).
    pub left_out: Vec<usize>,
}

/// Judges the ties among alternatives whose values of `metric` are `columns[a]` (one per
/// replication, replication `r` of each run with the same seed); `lower_is_better` says which
/// way is best (`None`: neither).
pub fn judge(
    metric: &str,
    columns: &[Vec<Option<f64>>],
    lower_is_better: Option<bool>,
    confidence: f64,
) -> Ties {
    let complete: Vec<usize> = (0..columns.len())
        .filter(|&a| columns[a].iter().all(Option::is_some))
        .collect();
    let left_out = (0..columns.len())
        .filter(|a| !complete.contains(a))
        .collect();
    let mut ties = Ties {
        metric: metric.to_string(),
        lower_is_better: lower_is_better.unwrap_or(true),
        confidence,
        status: TieStatus::Judged,
        best: None,
        group: Vec::new(),
        left_out,
    };
    let Some(lower) = lower_is_better else {
        ties.status = TieStatus::NoDirection;
        return ties;
    };
    if complete.is_empty() {
        ties.status = TieStatus::Incomplete;
        return ties;
    }
    // Smaller is better for the screening: negate where higher is.
    let sign = if lower { 1.0 } else { -1.0 };
    let values: Vec<Vec<f64>> = complete
        .iter()
        .map(|&a| columns[a].iter().map(|v| sign * v.unwrap_or(0.0)).collect())
        .collect();
    let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    ties.best = complete
        .iter()
        .zip(&values)
        .min_by(|(a, x), (b, y)| mean(x).total_cmp(&mean(y)).then(a.cmp(b)))
        .map(|(a, _)| *a);
    match screen(&values, confidence) {
        Some(kept) => {
            ties.group = complete
                .iter()
                .zip(kept)
                .filter(|(_, k)| *k)
                .map(|(a, _)| *a)
                .collect();
        }
        None => ties.status = TieStatus::OneReplication,
    }
    ties
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    #[test]
    fn the_best_and_those_within_the_noise_form_the_group() {
        let columns = vec![
            col(&[5.0, 6.0, 7.0, 6.5]),
            col(&[5.02, 5.97, 7.04, 6.49]),
            col(&[9.0, 9.5, 9.8, 9.6]),
            vec![Some(1.0), None, Some(1.0), Some(1.0)],
        ];
        let t = judge("event.x.clear_h", &columns, Some(true), 0.95);
        assert_eq!(t.status, TieStatus::Judged);
        assert_eq!(t.group, [0, 1]);
        assert_eq!(t.best, Some(0));
        assert_eq!(t.left_out, [3], "a never in one replication: no mean");
        // Higher is better: the third is best, alone.
        let t = judge("synced", &columns, Some(false), 0.95);
        assert_eq!((t.best, t.group.as_slice()), (Some(2), &[2][..]));
        // No direction, or one replication: nothing judged.
        assert_eq!(
            judge("edits", &columns, None, 0.95).status,
            TieStatus::NoDirection
        );
        let one = vec![col(&[1.0]), col(&[2.0])];
        let t = judge("backlog.max", &one, Some(true), 0.95);
        assert_eq!((t.status, t.best), (TieStatus::OneReplication, Some(0)));
        assert!(t.group.is_empty());
    }
}
