//! Paired comparisons: two variants run with the same seeds (common random numbers), compared
//! replication by replication, so that what the two runs share (the same background edits)
//! cancels out of the difference.
//!
//! When both sides have a number in every pair, the difference (variant - base) has a mean
//! and a Student's t interval at the chosen confidence; the variant differs detectably when
//! the interval excludes zero. When some pair has a "never" on one side or both (a time that
//! did not come within the horizon), the difference of that pair is not a number: then the
//! pairs are compared by sign alone, "never" ranking above every number (an exact two-sided
//! sign test: a variant that never clears where the base does is worse in that pair). Pairs
//! with no data on a side ("no synced updates") are left out.

use super::quantiles::{incomplete_beta, t_quantile};
use super::Interval;
use crate::catalogue::Missing;

/// Which way the variant's values lie from the base's, detectably.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shift {
    /// Detectably smaller.
    Lower,
    /// Detectably larger.
    Higher,
    /// No detectable difference at the confidence asked.
    None,
}

/// How a paired difference was judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Every pair has numbers: Student's t interval of the mean difference.
    TInterval,
    /// Some pair has a "never": the exact two-sided sign test over the pairs that differ.
    SignTest {
        /// Pairs where the variant is larger (a "never" against a number counts).
        higher: usize,
        /// Pairs where the variant is smaller.
        lower: usize,
        /// The test's p-value.
        p_value: f64,
    },
    /// Fewer than two pairs to compare.
    TooFew,
}

/// One metric compared across paired replications.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedDifference {
    /// Pairs compared (pairs with no data on a side are left out).
    pub pairs: usize,
    /// Pairs left out for lack of data.
    pub left_out: usize,
    /// Pairs in which the base's value never came within the horizon.
    pub never_base: usize,
    /// Pairs in which the variant's value never came.
    pub never_variant: usize,
    /// Mean of the base's values (every pair with a number).
    pub base_mean: Option<f64>,
    /// Mean of the variant's values.
    pub variant_mean: Option<f64>,
    /// Mean difference, variant - base, when every pair has numbers.
    pub mean: Option<f64>,
    /// Its confidence interval (two or more pairs).
    pub ci: Option<Interval>,
    /// Which way the variant lies, if detectably.
    pub shift: Shift,
    /// How it was judged.
    pub method: Method,
}

/// Compares `variant` with `base`, replication by replication (`base[i]` and `variant[i]`
/// ran with the same seed), at `confidence` (e.g. 0.95); `missing` says what a missing value
/// means (see the module documentation).
pub fn paired(
    base: &[Option<f64>],
    variant: &[Option<f64>],
    missing: Missing,
    confidence: f64,
) -> PairedDifference {
    assert_eq!(base.len(), variant.len(), "paired columns");
    let above = missing.ranks_above();
    let mut left_out = 0;
    let mut pairs: Vec<(Option<f64>, Option<f64>)> = Vec::with_capacity(base.len());
    for (&b, &v) in base.iter().zip(variant) {
        if !above && (b.is_none() || v.is_none()) {
            left_out += 1;
        } else {
            pairs.push((b, v));
        }
    }
    let never_base = pairs.iter().filter(|(b, _)| b.is_none()).count();
    let never_variant = pairs.iter().filter(|(_, v)| v.is_none()).count();
    let numbers: Vec<(f64, f64)> = pairs.iter().filter_map(|&(b, v)| b.zip(v)).collect();
    let mean_of = |f: &dyn Fn(&(f64, f64)) -> f64| {
        (numbers.len() == pairs.len() && !pairs.is_empty())
            .then(|| numbers.iter().map(f).sum::<f64>() / numbers.len() as f64)
    };
    let mut d = PairedDifference {
        pairs: pairs.len(),
        left_out,
        never_base,
        never_variant,
        base_mean: mean_of(&|p| p.0),
        variant_mean: mean_of(&|p| p.1),
        mean: None,
        ci: None,
        shift: Shift::None,
        method: Method::TooFew,
    };
    if never_base + never_variant > 0 {
        // Ranks only: "never" above every number, equal to another "never".
        let rank = |x: Option<f64>| x.unwrap_or(f64::INFINITY);
        let higher = pairs.iter().filter(|(b, v)| rank(*v) > rank(*b)).count();
        let lower = pairs.iter().filter(|(b, v)| rank(*v) < rank(*b)).count();
        let p_value = sign_test(higher, lower);
        d.method = Method::SignTest {
            higher,
            lower,
            p_value,
        };
        if p_value < 1.0 - confidence {
            d.shift = if higher > lower {
                Shift::Higher
            } else {
                Shift::Lower
            };
        }
        return d;
    }
    let n = numbers.len();
    if n == 0 {
        return d;
    }
    let diffs: Vec<f64> = numbers.iter().map(|(b, v)| v - b).collect();
    let mean = diffs.iter().sum::<f64>() / n as f64;
    d.mean = Some(mean);
    if n < 2 {
        return d;
    }
    let sd = (diffs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt();
    let half = t_quantile(0.5 + confidence / 2.0, n - 1) * sd / (n as f64).sqrt();
    let ci = Interval {
        low: mean - half,
        high: mean + half,
    };
    d.ci = Some(ci);
    d.method = Method::TInterval;
    d.shift = if ci.low > 0.0 {
        Shift::Higher
    } else if ci.high < 0.0 {
        Shift::Lower
    } else {
        Shift::None
    };
    d
}

/// The exact two-sided p-value of the sign test with `a` pairs one way and `b` the other
/// (ties left out): twice the binomial(`a + b`, 1/2) probability of a split at least as
/// uneven, at most 1.
pub fn sign_test(a: usize, b: usize) -> f64 {
    let n = a + b;
    if n == 0 {
        return 1.0;
    }
    let k = a.min(b);
    let tail = if k >= n {
        1.0
    } else if n <= 120 {
        // Exactly, in integers: sum of C(n, i) for i <= k, over 2^n.
        let mut c: u128 = 1;
        let mut sum: u128 = 1;
        for i in 1..=k as u128 {
            c = c * (n as u128 + 1 - i) / i;
            sum += c;
        }
        sum as f64 / (2.0f64).powi(n as i32)
    } else {
        // P(X <= k) for X ~ Binomial(n, 1/2) is I_{1/2}(n - k, k + 1).
        incomplete_beta((n - k) as f64, k as f64 + 1.0, 0.5)
    };
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    #[test]
    fn identical_columns_differ_by_exactly_zero() {
        let x = some(&[3.0, 5.5, 4.25, 7.0]);
        let d = paired(&x, &x, Missing::NotWithinHorizon, 0.95);
        assert_eq!(d.mean, Some(0.0));
        assert_eq!(
            d.ci,
            Some(Interval {
                low: 0.0,
                high: 0.0
            })
        );
        assert_eq!((d.shift, d.method), (Shift::None, Method::TInterval));
    }

    #[test]
    fn a_consistent_shift_is_detected_and_noise_is_not() {
        let base = some(&[10.0, 12.0, 11.0, 13.0, 9.0]);
        let lower = some(&[8.1, 10.0, 9.2, 10.9, 7.0]);
        let d = paired(&base, &lower, Missing::Impossible, 0.95);
        assert_eq!(d.shift, Shift::Lower);
        let ci = d.ci.unwrap();
        assert!(
            ci.high < 0.0 && (d.mean.unwrap() + 1.96).abs() < 1e-9,
            "{d:?}"
        );
        // Differences of both signs around zero: nothing detectable.
        let noisy = some(&[10.5, 11.0, 11.5, 12.0, 9.5]);
        assert_eq!(
            paired(&base, &noisy, Missing::Impossible, 0.95).shift,
            Shift::None
        );
        // The t interval by hand: differences -1.9, -2, -1.8, -2.1, -2 (mean -1.96).
        let sd = (0.052_f64 / 4.0).sqrt();
        let half = 2.776 * sd / 5f64.sqrt();
        assert!((ci.low - (-1.96 - half)).abs() < 1e-3 && (ci.high - (-1.96 + half)).abs() < 1e-3);
    }

    #[test]
    fn never_on_one_side_is_judged_by_sign() {
        // The variant never clears in 6 replications where the base does: worse.
        let base = some(&[5.0; 6]);
        let never = vec![None; 6];
        let d = paired(&base, &never, Missing::NotWithinHorizon, 0.95);
        assert_eq!((d.mean, d.ci, d.shift), (None, None, Shift::Higher));
        assert_eq!(
            d.method,
            Method::SignTest {
                higher: 6,
                lower: 0,
                p_value: 2.0 / 64.0
            }
        );
        assert_eq!((d.never_base, d.never_variant), (0, 6));
        // Five pairs cannot reach 95% with a sign test (p = 1/16).
        let d = paired(&base[..5], &never[..5], Missing::NotWithinHorizon, 0.95);
        assert_eq!(d.shift, Shift::None);
        // "Never" on both sides ties.
        let d = paired(&never, &never, Missing::NotWithinHorizon, 0.95);
        assert_eq!((d.shift, d.mean), (Shift::None, None));
    }

    #[test]
    fn no_data_is_left_out() {
        let base = vec![Some(1.0), None, Some(2.0), Some(3.0)];
        let variant = vec![Some(1.5), Some(9.0), None, Some(3.5)];
        let d = paired(&base, &variant, Missing::NoData, 0.95);
        assert_eq!((d.pairs, d.left_out), (2, 2));
        assert_eq!(d.mean, Some(0.5));
        assert_eq!(d.ci.unwrap().low, 0.5, "the same difference twice: sd 0");
        assert_eq!(d.shift, Shift::Higher);
    }

    #[test]
    fn sign_test_p_values() {
        assert_eq!(sign_test(0, 0), 1.0);
        assert!((sign_test(6, 0) - 0.03125).abs() < 1e-12);
        assert!((sign_test(8, 2) - 0.109_375).abs() < 1e-9);
        assert_eq!(sign_test(3, 3), 1.0);
        // Beyond the exact sums, the incomplete beta agrees with the normal approximation.
        let p = sign_test(100, 150);
        assert!((p - 0.001_9).abs() < 4e-4, "{p}");
    }
}
