//! Subset selection: which of several alternatives (sweep points, schedule plans) cannot be
//! told apart from the best, at a chosen confidence, when every alternative ran the same
//! replications with the same seeds.
//!
//! The procedure is the screening procedure of Nelson, Swann, Goldsman and Song (2001),
//! "Simple procedures for selecting the best simulated system when the number of
//! alternatives is large", *Operations Research* 49(6), 950-963, in its form for common
//! random numbers: with `k` alternatives of `n` paired replications each, alternative `i` is
//! kept when, for every other alternative `j`,
//!
//! ```text
//! mean_i <= mean_j + t * S_ij / sqrt(n),   t = t-quantile((1 - alpha)^(1/(k-1)), n - 1)
//! ```
//!
//! (smaller is better), where `S_ij` is the sample standard deviation of the paired
//! differences `X_i - X_j`. The subset kept contains the best alternative (the one with the
//! smallest true mean) with probability at least `1 - alpha` when the outputs are normal; it
//! holds one alternative when the data tell them apart, and many when they do not.

use super::quantiles::t_quantile;

/// Which of `alternatives` (each one value per replication, replication `r` of every
/// alternative run with the same seed; smaller is better) the screening procedure keeps at
/// `confidence` (e.g. 0.95). `None` with fewer than two replications (no variance to judge
/// by) or alternatives of different lengths.
pub fn screen(alternatives: &[Vec<f64>], confidence: f64) -> Option<Vec<bool>> {
    let k = alternatives.len();
    let n = alternatives.first().map_or(0, Vec::len);
    if n < 2 || alternatives.iter().any(|a| a.len() != n) {
        return None;
    }
    if k == 1 {
        return Some(vec![true]);
    }
    let t = t_quantile(confidence.powf(1.0 / (k - 1) as f64), n - 1);
    let means: Vec<f64> = alternatives
        .iter()
        .map(|a| a.iter().sum::<f64>() / n as f64)
        .collect();
    // Compare each with the best first: most alternatives that go are sent away by it.
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| means[a].total_cmp(&means[b]).then(a.cmp(&b)));
    let kept = (0..k)
        .map(|i| {
            order.iter().all(|&j| {
                if j == i || means[i] <= means[j] {
                    return true;
                }
                let (a, b) = (&alternatives[i], &alternatives[j]);
                let d = means[i] - means[j];
                let var = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| {
                        let e = x - y - d;
                        e * e
                    })
                    .sum::<f64>()
                    / (n - 1) as f64;
                d <= t * var.sqrt() / (n as f64).sqrt()
            })
        })
        .collect();
    Some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_within_the_noise_are_kept_together() {
        // Replication-to-replication noise shared by every alternative (common random
        // numbers), and small differences of their own.
        let base = [10.3, 9.8, 10.5, 9.6, 10.1, 10.0, 9.7, 10.2];
        let plus = |shift: f64, own: [f64; 8]| -> Vec<f64> {
            base.iter().zip(own).map(|(b, o)| b + shift + o).collect()
        };
        let wiggle = [0.05, -0.03, 0.02, 0.01, -0.04, 0.03, 0.0, -0.02];
        let other = [-0.02, 0.04, -0.01, 0.0, 0.03, -0.05, 0.02, 0.01];
        let alternatives = vec![
            base.to_vec(),
            plus(0.0, wiggle),
            plus(1.0, wiggle),
            plus(0.0, other),
        ];
        assert_eq!(
            screen(&alternatives, 0.95),
            Some(vec![true, true, false, true])
        );
        // With one replication nothing is judged; one alternative is kept alone.
        assert_eq!(screen(&[vec![1.0], vec![2.0]], 0.95), None);
        assert_eq!(screen(&[vec![1.0, 2.0]], 0.95), Some(vec![true]));
    }

    #[test]
    fn identical_alternatives_are_all_kept_and_a_deterministic_gap_is_not() {
        let a = vec![5.0, 6.0, 7.0];
        assert_eq!(
            screen(&[a.clone(), a.clone(), a.clone()], 0.95),
            Some(vec![true; 3])
        );
        let b: Vec<f64> = a.iter().map(|x| x + 0.001).collect();
        assert_eq!(screen(&[a, b], 0.95), Some(vec![true, false]));
    }
}
