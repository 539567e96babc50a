//! Paired comparisons of a variant against the baseline.
//!
//! Replication `r` of every variant runs on the same random streams (common random numbers), so
//! the per-replication differences `dᵣ = vᵣ − bᵣ` are what varies between the two, and their
//! spread is usually far smaller than either variant's own: the Student-t interval over `dᵣ` is
//! the paired interval, valid because replications are independent and identically distributed.
//!
//! The relative change `R = mean(d) / |mean(b)|` is a ratio of means over the baseline's
//! magnitude, so its sign is always the difference's: a lateness of −8.5 that becomes −11.2 is a
//! change of −32 %, not +32 %. Its interval uses the delta method on the paired data:
//! `se(R) ≈ sd(dᵣ − R·s·bᵣ) / (√n · |mean(b)|)` with `s = sign(mean(b))`, the standard
//! linearisation of a ratio estimator (accurate when `mean(b)` is estimated far from 0); the
//! bounds are `R ∓ half`, so they are ordered whatever the baseline's sign. When the
//! difference's interval contains 0, the relative one is widened to at least the difference's
//! half-width over `|mean(b)|`, so that it contains 0 too.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::stats::{Welford, t_quantile};

/// One row of `comparison.csv`: a variant's paired effect on one metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The variant compared.
    pub variant: String,
    /// The variant it is compared against.
    pub baseline: String,
    /// Metric name.
    pub metric: String,
    /// Replications present in both (the pairs).
    pub n: usize,
    /// Mean paired difference `variant − baseline` [metric unit].
    pub diff_mean: f64,
    /// Lower end of the difference's confidence interval [metric unit].
    pub diff_ci_low: f64,
    /// Upper end of the difference's confidence interval [metric unit].
    pub diff_ci_high: f64,
    /// Relative change `diff_mean / |baseline mean|`, as a fraction (0.065 = +6.5 %); its sign is
    /// the difference's.
    pub rel_change: f64,
    /// Lower end of the relative change's confidence interval (fraction).
    pub rel_ci_low: f64,
    /// Upper end of the relative change's confidence interval (fraction).
    pub rel_ci_high: f64,
    /// Two-sided p-value of the paired t-test of "no difference".
    pub p_value: f64,
}

impl Comparison {
    /// Whether the difference's confidence interval contains 0 (or is undefined): the effect is
    /// not distinguishable from zero at the chosen confidence.
    pub fn includes_zero(&self) -> bool {
        !(self.diff_ci_low > 0.0 || self.diff_ci_high < 0.0)
    }
}

/// The paired statistics of `pairs` = `(baseline value, variant value)` per replication.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paired {
    /// Number of pairs.
    pub n: usize,
    /// Mean difference.
    pub diff_mean: f64,
    /// Half-width of the difference's confidence interval.
    pub diff_half: f64,
    /// Relative change `diff_mean / |mean(b)|` (fraction; same sign as `diff_mean`).
    pub rel: f64,
    /// Half-width of the relative change's interval.
    pub rel_half: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Paired difference statistics at level `confidence` (e.g. 0.95). NaN values propagate;
/// fewer than two pairs give NaN intervals and p-value.
pub fn paired(pairs: &[(f64, f64)], confidence: f64) -> Paired {
    let n = pairs.len();
    let (mut d, mut b) = (Welford::new(), Welford::new());
    for &(base, variant) in pairs {
        d.push(variant - base);
        b.push(base);
    }
    let nan = f64::NAN;
    let diff_mean = if n == 0 { nan } else { d.mean() };
    let base_mean = if n == 0 { nan } else { b.mean() };
    // The ratio over the signed mean is what the delta method linearises (dᵣ − ratio·bᵣ); the
    // reported change divides by |mean(b)| instead, so a negative baseline (a lateness, a
    // profit below zero) does not flip its sign. IEEE division is sign-symmetric, so for a
    // positive baseline `rel` is bit-identical to `ratio`.
    let ratio = if base_mean == 0.0 { nan } else { diff_mean / base_mean };
    let rel = if base_mean < 0.0 { -ratio } else { ratio };
    if n < 2 {
        return Paired { n, diff_mean, diff_half: nan, rel, rel_half: nan, p_value: nan };
    }
    let df = (n - 1) as f64;
    let t = t_quantile(0.5 + confidence / 2.0, df);
    let root_n = (n as f64).sqrt();
    let sd = d.variance().sqrt();
    let diff_half = t * sd / root_n;
    let mut residual = Welford::new();
    for &(base, variant) in pairs {
        residual.push((variant - base) - ratio * base);
    }
    let delta_half = t * residual.variance().sqrt() / (root_n * base_mean.abs());
    // When the difference is not distinguishable from zero, the relative change must not be
    // either: the delta method alone can be degenerate there (a variant that is 0 in every
    // replication has a relative change of exactly −100 % ± 0). Widening to the difference's
    // half-width over |mean(b)| puts 0 inside. Otherwise the delta interval stands: it uses the
    // correlation of d and b, and the plain ratio would be needlessly wide (2.3× on the
    // machining line's wait time).
    let rel_half =
        if diff_half >= diff_mean.abs() { delta_half.max(diff_half / base_mean.abs()) } else { delta_half };
    Paired { n, diff_mean, diff_half, rel, rel_half, p_value: p_value(diff_mean, sd / root_n, df) }
}

/// Two-sided p-value of `mean / se` under Student's t with `df` degrees of freedom. A zero
/// standard error is exact: p = 1 for a zero mean, 0 otherwise.
fn p_value(mean: f64, se: f64, df: f64) -> f64 {
    if mean.is_nan() || se.is_nan() {
        return f64::NAN;
    }
    if se == 0.0 {
        return if mean == 0.0 { 1.0 } else { 0.0 };
    }
    let t = (mean / se).abs();
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |dist| (2.0 * dist.sf(t)).min(1.0))
}

/// The `comparison.csv` row of `variant` against `baseline` on `metric`.
pub fn compare(
    variant: &str,
    baseline: &str,
    metric: &str,
    pairs: &[(f64, f64)],
    confidence: f64,
) -> Comparison {
    let p = paired(pairs, confidence);
    Comparison {
        variant: variant.to_owned(),
        baseline: baseline.to_owned(),
        metric: metric.to_owned(),
        n: p.n,
        diff_mean: p.diff_mean,
        diff_ci_low: p.diff_mean - p.diff_half,
        diff_ci_high: p.diff_mean + p.diff_half,
        rel_change: p.rel,
        rel_ci_low: p.rel - p.rel_half,
        rel_ci_high: p.rel + p.rel_half,
        p_value: p.p_value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn identical_values_give_an_exact_zero() {
        let pairs: Vec<(f64, f64)> = [3.0, 4.5, 5.25].iter().map(|&x| (x, x)).collect();
        let c = compare("v", "baseline", "m", &pairs, 0.95);
        assert_eq!((c.diff_mean, c.diff_ci_low, c.diff_ci_high), (0.0, 0.0, 0.0));
        assert_eq!((c.rel_change, c.rel_ci_low, c.rel_ci_high), (0.0, 0.0, 0.0));
        assert_eq!(c.p_value, 1.0);
        assert!(c.includes_zero());
    }

    /// Hand-worked: d = (1, 2, 3), mean 2, sd 1, t(0.975, 2) = 4.302653, half = 4.302653/√3.
    /// b = (10, 10, 10): R = 0.2, residuals d − 0.2·10 = (−1, 0, 1), so rel half = half / 10.
    /// t = 2/(1/√3) = 3.4641; two-sided p with 2 df = 0.074180.
    #[test]
    fn hand_worked_pairs() {
        let c = compare("v", "b", "m", &[(10.0, 11.0), (10.0, 12.0), (10.0, 13.0)], 0.95);
        let half = 4.302_652_73 / 3f64.sqrt();
        assert!((c.diff_mean - 2.0).abs() < 1e-12);
        assert!((c.diff_ci_high - 2.0 - half).abs() < 1e-6);
        assert!((c.rel_change - 0.2).abs() < 1e-12);
        assert!((c.rel_ci_high - 0.2 - half / 10.0).abs() < 1e-7);
        assert!((c.p_value - 0.074_180).abs() < 1e-5, "{}", c.p_value);
        // p > 0.05, so the 95 % interval [−0.48, 4.48] must contain 0.
        assert!(c.includes_zero() && c.diff_ci_low < 0.0);
    }

    /// Defect 3: with a negative baseline mean (a lateness of −8.5 that becomes −11.2, as in
    /// `dispatch-rules.toml`), the relative change was `d / mean(b)` = +0.32 although the
    /// variant lowers the metric. It is `d / |mean(b)|`: its sign is the difference's, its
    /// bounds are ordered and the interval has the delta method's width.
    #[test]
    fn defect_3_relative_change_sign_follows_difference_with_a_negative_baseline() {
        let lower = [(-8.0, -11.0), (-9.0, -11.5), (-8.5, -11.2), (-8.2, -10.9)];
        let c = compare("spt", "baseline", "lateness_mean", &lower, 0.95);
        let base_mean = (-8.0 - 9.0 - 8.5 - 8.2) / 4.0;
        assert!(c.diff_mean < 0.0 && !c.includes_zero());
        assert!(c.rel_change < 0.0, "rel {}", c.rel_change);
        assert!((c.rel_change - c.diff_mean / f64::abs(base_mean)).abs() < 1e-12);
        assert!(c.rel_ci_low < c.rel_change && c.rel_change < c.rel_ci_high);
        assert!(c.rel_ci_high < 0.0, "[{}, {}]", c.rel_ci_low, c.rel_ci_high);
        // A small rise from a negative baseline (the `edd` row: +0.0047 on −8.46) is positive.
        let raise = [(-8.0, -7.99), (-9.0, -8.995), (-8.5, -8.49), (-8.2, -8.196)];
        let r = compare("edd", "baseline", "lateness_mean", &raise, 0.95);
        assert!(r.diff_mean > 0.0 && r.rel_change > 0.0);
        assert!(r.rel_ci_low <= r.rel_change && r.rel_change <= r.rel_ci_high);
        // Mirroring the data (b → −b, v → −v) mirrors the effect: the same size, the sign of
        // the new difference, the same half-width.
        let mirrored: Vec<(f64, f64)> = lower.iter().map(|&(b, v)| (-b, -v)).collect();
        let m = compare("spt", "baseline", "lateness_mean", &mirrored, 0.95);
        assert!((m.rel_change + c.rel_change).abs() < 1e-12);
        let half = |x: &Comparison| (x.rel_ci_high - x.rel_ci_low) / 2.0;
        assert!((half(&m) - half(&c)).abs() < 1e-12);
    }

    /// A variant that is 0 wherever the baseline is rarely positive: the ratio of means is −1
    /// exactly, but the effect is not distinguishable from zero, and both intervals say so.
    #[test]
    fn relative_interval_agrees_with_the_difference_on_zero() {
        let c = compare("v", "b", "m", &[(0.0, 0.0), (0.3, 0.0), (0.0, 0.0), (0.0, 0.0)], 0.95);
        assert_eq!(c.rel_change, -1.0);
        assert!(c.includes_zero());
        assert!(c.rel_ci_low < 0.0 && c.rel_ci_high > 0.0, "[{}, {}]", c.rel_ci_low, c.rel_ci_high);
    }

    #[test]
    fn degenerate_inputs_give_nan_not_panics() {
        let none = compare("v", "b", "m", &[], 0.95);
        assert!(none.diff_mean.is_nan() && none.p_value.is_nan());
        let one = compare("v", "b", "m", &[(1.0, 2.0)], 0.95);
        assert_eq!(one.diff_mean, 1.0);
        assert!(one.diff_ci_low.is_nan() && one.p_value.is_nan());
        let zero_base = compare("v", "b", "m", &[(0.0, 1.0), (0.0, 2.0)], 0.95);
        assert!(zero_base.rel_change.is_nan());
        let constant_shift = compare("v", "b", "m", &[(1.0, 2.0), (3.0, 4.0)], 0.95);
        assert_eq!(constant_shift.p_value, 0.0);
        assert!(compare("v", "b", "m", &[(1.0, f64::NAN), (1.0, 2.0)], 0.95).diff_mean.is_nan());
    }

    /// Coverage of the paired difference and of the delta-method relative interval: 3 000
    /// experiments of 10 correlated pairs, b ~ N(50, 5²), v = 1.1·b + N(0, 1²): the true
    /// difference is 5 and the true relative change 0.1. Hits ~ Binomial(3000, 0.95), sd 11.9;
    /// allow ±4 sd (the delta method is first-order, so allow it 1.5 points below nominal).
    #[test]
    fn intervals_cover_the_true_effect() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let (base, noise) = (Normal::new(50.0, 5.0).unwrap(), Normal::new(0.0, 1.0).unwrap());
        let trials = 3000;
        let (mut diff_hits, mut rel_hits) = (0, 0);
        for _ in 0..trials {
            let pairs: Vec<(f64, f64)> = (0..10)
                .map(|_| {
                    let b = base.sample(&mut rng);
                    (b, 1.1 * b + noise.sample(&mut rng))
                })
                .collect();
            let c = compare("v", "b", "m", &pairs, 0.95);
            diff_hits += usize::from(c.diff_ci_low <= 5.0 && 5.0 <= c.diff_ci_high);
            rel_hits += usize::from(c.rel_ci_low <= 0.1 && 0.1 <= c.rel_ci_high);
        }
        let sd = (trials as f64 * 0.95 * 0.05).sqrt();
        let nominal = 0.95 * trials as f64;
        assert!((diff_hits as f64 - nominal).abs() < 4.0 * sd, "diff {diff_hits}/{trials}");
        assert!(
            (rel_hits as f64 - nominal).abs() < 4.0 * sd + 0.015 * trials as f64,
            "rel {rel_hits}/{trials}"
        );
    }

    /// Under the null (no effect) the p-value is uniform: about 5 % of 4 000 tests fall below
    /// 0.05 (Binomial sd 13.8; ±4 sd).
    #[test]
    fn p_values_are_calibrated_under_the_null() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let normal = Normal::new(0.0, 1.0).unwrap();
        let trials = 4000;
        let rejections = (0..trials)
            .filter(|_| {
                let pairs: Vec<(f64, f64)> = (0..8)
                    .map(|_| (10.0 + normal.sample(&mut rng), 10.0 + normal.sample(&mut rng)))
                    .collect();
                compare("v", "b", "m", &pairs, 0.95).p_value < 0.05
            })
            .count();
        let sd = (trials as f64 * 0.05 * 0.95).sqrt();
        assert!((rejections as f64 - 0.05 * trials as f64).abs() < 4.0 * sd, "{rejections}/{trials}");
    }
}
