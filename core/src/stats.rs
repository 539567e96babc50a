//! Replication statistics: means, standard deviations and Student-t confidence intervals.
//!
//! Replications are independent and identically distributed, so their per-replication metrics
//! are too: the classical Student-t interval over replication means is valid without any
//! within-run autocorrelation correction.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Summary of one metric over `n` replications.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Number of replications in which the metric is defined (its value is not NaN); 0 when it
    /// is undefined in every one.
    pub n: usize,
    /// Sample mean (NaN if `n = 0`).
    pub mean: f64,
    /// Sample standard deviation with `n − 1` in the denominator (NaN if `n < 2`).
    pub sd: f64,
    /// Lower end of the confidence interval of the mean (NaN if `n < 2`).
    pub ci_low: f64,
    /// Upper end of the confidence interval of the mean (NaN if `n < 2`).
    pub ci_high: f64,
}

/// Summarises `values` with a two-sided Student-t interval at level `confidence` (e.g. 0.95).
///
/// NaN values (a metric undefined in some replication) are propagated: the mean, sd and
/// interval are NaN, because a mean over only the replications that define the metric would be
/// a different (conditional) quantity. `n` counts the defined values, so a metric undefined
/// everywhere reads `n = 0`, not the number of replications.
pub fn summarize(values: &[f64], confidence: f64) -> Summary {
    let mut acc = Welford::new();
    for &v in values {
        acc.push(v);
    }
    let count = values.len();
    let mean = if count == 0 { f64::NAN } else { acc.mean() };
    let sd = acc.variance().sqrt();
    let half = if count < 2 {
        f64::NAN
    } else {
        t_quantile(0.5 + confidence / 2.0, (count - 1) as f64) * sd / (count as f64).sqrt()
    };
    let n = values.iter().filter(|v| !v.is_nan()).count();
    Summary { n, mean, sd, ci_low: mean - half, ci_high: mean + half }
}

/// The `p`-quantile of Student's t distribution with `df` degrees of freedom (NaN if `df <= 0`).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(p))
}

/// Streaming mean and variance (Welford's algorithm): numerically stable, O(1) memory.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// No observations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one observation.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Number of observations.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Mean of the observations (0 if none).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Sample variance (`n − 1` denominator; NaN if fewer than two observations).
    pub fn variance(&self) -> f64 {
        if self.n < 2 { f64::NAN } else { self.m2 / (self.n - 1) as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn t_quantiles_match_tables() {
        for (df, expected) in [(1.0, 12.706_204_736), (9.0, 2.262_157_163), (30.0, 2.042_272_456)] {
            assert!((t_quantile(0.975, df) - expected).abs() < 1e-6, "df {df}");
        }
        assert!(t_quantile(0.975, 0.0).is_nan());
    }

    #[test]
    fn summary_of_known_data() {
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 0.95);
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        let sd = (32.0_f64 / 7.0).sqrt();
        assert!((s.sd - sd).abs() < 1e-12);
        let half = 2.364_624_252 * sd / 8f64.sqrt();
        assert!((s.ci_high - 5.0 - half).abs() < 1e-8 && (5.0 - s.ci_low - half).abs() < 1e-8);
    }

    #[test]
    fn degenerate_sizes_give_nan_not_panics() {
        let empty = summarize(&[], 0.95);
        assert_eq!(empty.n, 0);
        assert!(empty.mean.is_nan() && empty.sd.is_nan() && empty.ci_low.is_nan());
        let one = summarize(&[3.0], 0.95);
        assert_eq!(one.mean, 3.0);
        assert!(one.sd.is_nan() && one.ci_high.is_nan());
        assert!(summarize(&[1.0, f64::NAN], 0.95).mean.is_nan());
    }

    /// Defect 7: a metric undefined in every replication (NaN in each of 8) was summarised with
    /// `n = 8`; n counts the replications that define it.
    #[test]
    fn defect_7_undefined_metric_has_n_0() {
        let undefined = summarize(&[f64::NAN; 8], 0.95);
        assert_eq!(undefined.n, 0);
        assert!(undefined.mean.is_nan() && undefined.ci_low.is_nan());
        let partly = summarize(&[1.0, f64::NAN, 3.0], 0.95);
        assert_eq!(partly.n, 2);
        assert!(partly.mean.is_nan(), "undefined somewhere: no mean over a subset");
        assert_eq!(summarize(&[1.0, 2.0, 3.0], 0.95).n, 3);
    }

    #[test]
    fn welford_is_stable_for_large_offsets() {
        let mut w = Welford::new();
        for x in [1e9 + 4.0, 1e9 + 7.0, 1e9 + 13.0, 1e9 + 16.0] {
            w.push(x);
        }
        assert!((w.variance() - 30.0).abs() < 1e-6);
    }

    /// The 95 % interval covers the true mean 95 % of the time: 4 000 samples of size 5 from
    /// N(10, 2²); the hit count is Binomial(4000, 0.95) with sd ≈ 13.8, so allow ±4 sd.
    #[test]
    fn ci_coverage_is_nominal() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
        let normal = Normal::new(10.0, 2.0).expect("valid");
        let trials = 4000;
        let hits = (0..trials)
            .filter(|_| {
                let xs: Vec<f64> = (0..5).map(|_| normal.sample(&mut rng)).collect();
                let s = summarize(&xs, 0.95);
                s.ci_low <= 10.0 && 10.0 <= s.ci_high
            })
            .count();
        let sd = (trials as f64 * 0.95 * 0.05).sqrt();
        assert!((hits as f64 - 0.95 * trials as f64).abs() < 4.0 * sd, "{hits} of {trials}");
    }
}
