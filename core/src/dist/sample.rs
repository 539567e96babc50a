//! [`Dist`], the validated distribution, and [`Sampler`], its precomputed sampler.

use rand::distr::Uniform;
use rand::distr::weighted::WeightedIndex;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Normal, Triangular, Weibull};
use serde::Serialize;

use crate::time::SimDuration;

/// A validated distribution of a non-negative duration.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Dist {
    /// Exponential with the given mean (rate `1 / mean`).
    Exponential {
        /// Mean, `> 0`.
        mean: f64,
    },
    /// Always `value`; draws no random numbers.
    Constant {
        /// The value, `>= 0`.
        value: f64,
    },
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound, `>= 0`.
        min: f64,
        /// Upper bound, `>= min`.
        max: f64,
    },
    /// Triangular on `[min, max]` with peak at `mode`.
    Triangular {
        /// Lower bound, `>= 0`.
        min: f64,
        /// Most likely value, in `[min, max]`.
        mode: f64,
        /// Upper bound, `> min`.
        max: f64,
    },
    /// Normal truncated at 0: negative draws are resampled, so the mean is slightly above `mean`
    /// (see [`Dist::mean`]).
    Normal {
        /// Mean of the untruncated normal, `> 0`.
        mean: f64,
        /// Standard deviation of the untruncated normal, `>= 0`.
        sd: f64,
    },
    /// Lognormal: `exp(N(mu, sigma²))`.
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm, `>= 0`.
        sigma: f64,
    },
    /// Gamma with mean `shape · scale`.
    Gamma {
        /// Shape, `> 0`.
        shape: f64,
        /// Scale, `> 0`.
        scale: f64,
    },
    /// Weibull with mean `scale · Γ(1 + 1/shape)`.
    Weibull {
        /// Shape, `> 0`.
        shape: f64,
        /// Scale, `> 0`.
        scale: f64,
    },
    /// Erlang: the sum of `k` exponentials of mean `mean / k`. Sampled as one
    /// `Gamma(k, mean / k)` draw, which has the same distribution and costs O(1) whatever `k`.
    Erlang {
        /// Number of phases, `>= 1`.
        k: u32,
        /// Mean of the sum, `> 0`.
        mean: f64,
    },
    /// One of `values`, uniformly or with the given relative `weights`.
    Empirical {
        /// The possible values, non-empty, each `>= 0`.
        values: Vec<f64>,
        /// Relative weights, one per value, each `>= 0`, summing to `> 0`; `None` means equal.
        #[serde(skip_serializing_if = "Option::is_none")]
        weights: Option<Vec<f64>>,
    },
}

/// A [`Dist`] whose parameters cannot be sampled (only possible for hand-built values; the
/// scenario loader never produces one).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("invalid distribution {dist:?}: {reason}")]
pub struct InvalidDist {
    /// The offending distribution.
    pub dist: Dist,
    /// What is wrong with it.
    pub reason: String,
}

/// Precomputed sampler of a [`Dist`]: build it once, draw many times.
#[derive(Clone, Debug)]
pub struct Sampler(Kind);

#[derive(Clone, Debug)]
enum Kind {
    Exponential(Exp<f64>),
    Constant(f64),
    Uniform(Uniform<f64>),
    Triangular(Triangular<f64>),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Gamma(Gamma<f64>),
    Weibull(Weibull<f64>),
    Empirical { values: Vec<f64>, index: Index },
}

#[derive(Clone, Debug)]
enum Index {
    Equal(Uniform<usize>),
    Weighted(WeightedIndex<f64>),
}

/// How often a truncated normal may redraw before giving up. With `mean > 0` a draw is
/// accepted with probability above 1/2, so running out of tries has probability below 2^-1000;
/// the bound only guarantees termination.
const NORMAL_MAX_TRIES: usize = 1000;

impl Dist {
    /// The name used in scenario files (`"lognormal"`).
    pub fn name(&self) -> &'static str {
        match self {
            Dist::Exponential { .. } => "exponential",
            Dist::Constant { .. } => "constant",
            Dist::Uniform { .. } => "uniform",
            Dist::Triangular { .. } => "triangular",
            Dist::Normal { .. } => "normal",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Gamma { .. } => "gamma",
            Dist::Weibull { .. } => "weibull",
            Dist::Erlang { .. } => "erlang",
            Dist::Empirical { .. } => "empirical",
        }
    }

    /// The mean of the values [`Sampler::sample`] draws (for `normal`, the mean of the
    /// distribution truncated at 0).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Exponential { mean } | Dist::Erlang { mean, .. } => *mean,
            Dist::Constant { value } => *value,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Normal { mean, sd } => truncated_normal_mean(*mean, *sd),
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Weibull { shape, scale } => scale * statrs::function::gamma::gamma(1.0 + 1.0 / shape),
            Dist::Empirical { values, weights: None } => values.iter().sum::<f64>() / values.len() as f64,
            Dist::Empirical { values, weights: Some(weights) } => {
                let total: f64 = weights.iter().sum();
                values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total
            }
        }
    }

    /// Whether every draw is 0: all the probability sits on 0, so a gap drawn from it never
    /// advances time and a source using it as interarrival would make infinitely many arrivals
    /// at one instant.
    ///
    /// From the math: `constant` 0, `uniform` on `[0, 0]`, and `empirical` whose values with
    /// positive weight are all 0. Every other kind has P(X = 0) = 0 (a density on `(0, ∞)`;
    /// `triangular` needs `min < max`, `normal` a positive mean), so it makes finitely many
    /// events in finite time almost surely. In floating point such a kind can still round every
    /// draw to 0 when its mean underflows (e.g. a lognormal with `mu = -1000`): a mean of
    /// exactly 0 counts as always zero too.
    pub fn always_zero(&self) -> bool {
        match self {
            Dist::Constant { value } => *value == 0.0,
            Dist::Uniform { max, .. } => *max == 0.0,
            Dist::Empirical { values, weights: None } => values.iter().all(|v| *v == 0.0),
            Dist::Empirical { values, weights: Some(weights) } => {
                values.iter().zip(weights).all(|(v, w)| *v == 0.0 || *w == 0.0)
            }
            Dist::Exponential { .. }
            | Dist::Triangular { .. }
            | Dist::Normal { .. }
            | Dist::LogNormal { .. }
            | Dist::Gamma { .. }
            | Dist::Weibull { .. }
            | Dist::Erlang { .. } => self.mean() == 0.0,
        }
    }

    /// The sampler of this distribution.
    ///
    /// # Panics
    /// If the parameters are invalid, which cannot happen for a `Dist` produced by the scenario
    /// loader; use [`Dist::try_sampler`] for hand-built values.
    pub fn sampler(&self) -> Sampler {
        match self.try_sampler() {
            Ok(sampler) => sampler,
            Err(e) => panic!("{e}"),
        }
    }

    /// The sampler of this distribution, or why its parameters cannot be sampled.
    ///
    /// # Errors
    /// [`InvalidDist`] if a parameter is out of its range (see the table in the [module
    /// docs](super)) or the distribution's mean is not finite.
    pub fn try_sampler(&self) -> Result<Sampler, InvalidDist> {
        let invalid = |reason: String| InvalidDist { dist: self.clone(), reason };
        let finite = |x: f64| x.is_finite();
        let all_finite = match self {
            Dist::Exponential { mean: a } | Dist::Constant { value: a } | Dist::Erlang { mean: a, .. } => {
                finite(*a)
            }
            Dist::Uniform { min: a, max: b }
            | Dist::Normal { mean: a, sd: b }
            | Dist::LogNormal { mu: a, sigma: b }
            | Dist::Gamma { shape: a, scale: b }
            | Dist::Weibull { shape: a, scale: b } => finite(*a) && finite(*b),
            Dist::Triangular { min, mode, max } => finite(*min) && finite(*mode) && finite(*max),
            Dist::Empirical { values, weights } => {
                values.iter().chain(weights.iter().flatten()).all(|x| finite(*x))
            }
        };
        if !all_finite {
            return Err(invalid("parameters must be finite numbers".into()));
        }
        let kind = match self {
            Dist::Exponential { mean } if *mean > 0.0 => {
                Kind::Exponential(Exp::new(1.0 / mean).map_err(|e| invalid(e.to_string()))?)
            }
            Dist::Constant { value } if *value >= 0.0 => Kind::Constant(*value),
            Dist::Uniform { min, max } if *min >= 0.0 && min <= max => {
                Kind::Uniform(Uniform::new_inclusive(*min, *max).map_err(|e| invalid(e.to_string()))?)
            }
            Dist::Triangular { min, mode, max } if *min >= 0.0 && min <= mode && mode <= max && min < max => {
                Kind::Triangular(Triangular::new(*min, *max, *mode).map_err(|e| invalid(e.to_string()))?)
            }
            Dist::Normal { mean, sd } if *mean > 0.0 && *sd >= 0.0 => {
                Kind::Normal(Normal::new(*mean, *sd).map_err(|e| invalid(e.to_string()))?)
            }
            Dist::LogNormal { mu, sigma } if *sigma >= 0.0 => {
                Kind::LogNormal(LogNormal::new(*mu, *sigma).map_err(|e| invalid(e.to_string()))?)
            }
            Dist::Gamma { shape, scale } if *shape > 0.0 && *scale > 0.0 => {
                Kind::Gamma(Gamma::new(*shape, *scale).map_err(|e| invalid(e.to_string()))?)
            }
            Dist::Weibull { shape, scale } if *shape > 0.0 && *scale > 0.0 => {
                Kind::Weibull(Weibull::new(*scale, *shape).map_err(|e| invalid(e.to_string()))?)
            }
            Dist::Erlang { k, mean } if *k >= 1 && *mean > 0.0 => {
                let k = f64::from(*k);
                Kind::Gamma(Gamma::new(k, mean / k).map_err(|e| invalid(e.to_string()))?)
            }
            Dist::Empirical { values, weights } if !values.is_empty() && values.iter().all(|v| *v >= 0.0) => {
                let index = match weights {
                    None => Index::Equal(Uniform::new(0, values.len()).map_err(|e| invalid(e.to_string()))?),
                    Some(w) if w.len() == values.len() => {
                        Index::Weighted(WeightedIndex::new(w).map_err(|e| invalid(e.to_string()))?)
                    }
                    Some(_) => return Err(invalid("`weights` must have one entry per value".into())),
                };
                Kind::Empirical { values: values.clone(), index }
            }
            _ => return Err(invalid("a parameter is out of range".into())),
        };
        if !self.mean().is_finite() {
            return Err(invalid("the mean is not finite".into()));
        }
        Ok(Sampler(kind))
    }
}

/// Mean of `N(mean, sd²)` conditioned on being `>= 0`: `μ + σ·φ(α)/(1 − Φ(α))` with
/// `α = −μ/σ`.
fn truncated_normal_mean(mean: f64, sd: f64) -> f64 {
    if sd <= 0.0 {
        return mean;
    }
    let alpha = -mean / sd;
    let pdf = (-alpha * alpha / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    // 1 − Φ(α) = erfc(α/√2)/2, computed directly to keep precision in the tail.
    let survival = statrs::function::erf::erfc(alpha / std::f64::consts::SQRT_2) / 2.0;
    mean + sd * pdf / survival
}

impl Sampler {
    /// Draws one value: always finite and `>= 0`.
    ///
    /// Draws per sample: `exponential` one `Exp(1/mean)`; `constant` none; `erlang` one gamma;
    /// `normal` one or more normals (redrawn while negative); `empirical` one index.
    // Always inlined: it is a dispatch on the kind around one draw, on every event's hot path;
    // left to the heuristics it was called out of line once the code around it moved (3 % of
    // the M/M/1 benchmark, measured with `perf`).
    #[inline(always)]
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = match &self.0 {
            Kind::Exponential(d) => d.sample(rng),
            Kind::Constant(v) => *v,
            Kind::Uniform(d) => d.sample(rng),
            Kind::Triangular(d) => d.sample(rng),
            Kind::Normal(d) => {
                let mut x = 0.0;
                for _ in 0..NORMAL_MAX_TRIES {
                    x = d.sample(rng);
                    if x >= 0.0 {
                        break;
                    }
                }
                x
            }
            Kind::LogNormal(d) => d.sample(rng),
            Kind::Gamma(d) => d.sample(rng),
            Kind::Weibull(d) => d.sample(rng),
            Kind::Empirical { values, index } => {
                let i = match index {
                    Index::Equal(d) => d.sample(rng),
                    Index::Weighted(d) => d.sample(rng),
                };
                values.get(i).copied().unwrap_or(0.0)
            }
        };
        // Heavy tails (lognormal, weibull with small shape) can overflow to infinity; durations
        // must stay finite for the calendar, so clamp. `+ 0.0` turns -0.0 into 0.0.
        if x.is_nan() || x <= 0.0 { 0.0 } else { x.min(f64::MAX) + 0.0 }
    }

    /// [`Sampler::sample`] as a duration: the draw is already finite and `>= 0`.
    #[inline]
    pub fn sample_duration<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> SimDuration {
        SimDuration::new_unchecked(self.sample(rng))
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::dist::spec::names;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(2026)
    }

    fn all() -> Vec<Dist> {
        vec![
            Dist::Exponential { mean: 1.5 },
            Dist::Constant { value: 2.0 },
            Dist::Uniform { min: 1.0, max: 4.0 },
            Dist::Uniform { min: 2.0, max: 2.0 },
            Dist::Triangular { min: 1.0, mode: 1.5, max: 4.0 },
            Dist::Normal { mean: 3.0, sd: 0.5 },
            // Heavily truncated: a third of the untruncated mass is below 0.
            Dist::Normal { mean: 0.5, sd: 1.0 },
            Dist::Normal { mean: 1.0, sd: 0.0 },
            Dist::LogNormal { mu: 0.2, sigma: 0.6 },
            Dist::Gamma { shape: 0.5, scale: 2.0 },
            Dist::Gamma { shape: 3.0, scale: 0.7 },
            Dist::Weibull { shape: 1.7, scale: 2.0 },
            Dist::Weibull { shape: 0.8, scale: 1.0 },
            Dist::Erlang { k: 3, mean: 2.4 },
            Dist::Empirical { values: vec![1.0, 2.0, 4.0], weights: None },
            Dist::Empirical { values: vec![1.2, 1.6, 2.4], weights: Some(vec![0.5, 0.3, 0.2]) },
        ]
    }

    /// The empirical mean of 200 000 draws is within 5 standard errors of [`Dist::mean`].
    #[test]
    fn sample_means_match_theory() {
        const N: usize = 200_000;
        for dist in all() {
            let sampler = dist.sampler();
            let mut r = rng();
            let (mut sum, mut sum_sq) = (0.0, 0.0);
            for _ in 0..N {
                let x = sampler.sample(&mut r);
                assert!(x.is_finite() && x >= 0.0, "{dist:?} drew {x}");
                sum += x;
                sum_sq += x * x;
            }
            let mean = sum / N as f64;
            let sd = ((sum_sq / N as f64 - mean * mean).max(0.0) * N as f64 / (N - 1) as f64).sqrt();
            let tolerance = 5.0 * sd / (N as f64).sqrt() + 1e-12;
            assert!(
                (mean - dist.mean()).abs() <= tolerance,
                "{dist:?}: sample mean {mean}, theory {}, ± {tolerance}",
                dist.mean()
            );
        }
    }

    #[test]
    fn exponential_is_one_exp_draw_of_rate_one_over_mean() {
        let sampler = Dist::Exponential { mean: 0.8 }.sampler();
        let exp = Exp::new(1.0 / 0.8).unwrap();
        let (mut a, mut b) = (rng(), rng());
        for _ in 0..100 {
            assert_eq!(sampler.sample(&mut a), exp.sample(&mut b));
        }
    }

    #[test]
    fn constant_draws_nothing() {
        let sampler = Dist::Constant { value: 3.5 }.sampler();
        let mut a = rng();
        assert_eq!(sampler.sample(&mut a), 3.5);
        assert_eq!(a.next_u64(), rng().next_u64());
    }

    #[test]
    fn erlang_is_gamma_k_mean_over_k() {
        let sampler = Dist::Erlang { k: 4, mean: 2.0 }.sampler();
        let gamma = Gamma::new(4.0, 0.5).unwrap();
        let (mut a, mut b) = (rng(), rng());
        for _ in 0..100 {
            assert_eq!(sampler.sample(&mut a), gamma.sample(&mut b));
        }
    }

    #[test]
    fn heavy_tails_stay_finite() {
        for dist in [Dist::LogNormal { mu: 0.0, sigma: 30.0 }, Dist::Weibull { shape: 0.02, scale: 1.0 }] {
            let sampler = Dist::sampler(&dist);
            let mut r = rng();
            for _ in 0..10_000 {
                let x = sampler.sample(&mut r);
                assert!(x.is_finite() && x >= 0.0, "{dist:?} drew {x}");
            }
        }
    }

    #[test]
    fn invalid_hand_built_values_are_rejected() {
        let bad = [
            Dist::Exponential { mean: 0.0 },
            Dist::Constant { value: -1.0 },
            Dist::Constant { value: f64::NAN },
            Dist::Uniform { min: 2.0, max: 1.0 },
            Dist::Triangular { min: 1.0, mode: 1.0, max: 1.0 },
            Dist::Normal { mean: -1.0, sd: 1.0 },
            Dist::LogNormal { mu: 0.0, sigma: -1.0 },
            Dist::LogNormal { mu: 1000.0, sigma: 1.0 },
            Dist::Gamma { shape: 0.0, scale: 1.0 },
            Dist::Weibull { shape: 1.0, scale: f64::INFINITY },
            Dist::Erlang { k: 0, mean: 1.0 },
            Dist::Empirical { values: vec![], weights: None },
            Dist::Empirical { values: vec![1.0], weights: Some(vec![1.0, 2.0]) },
            Dist::Empirical { values: vec![1.0], weights: Some(vec![0.0]) },
        ];
        for dist in bad {
            assert!(dist.try_sampler().is_err(), "{dist:?}");
        }
    }

    #[test]
    fn always_zero_only_where_every_draw_is_zero() {
        let zero = [
            Dist::Constant { value: 0.0 },
            Dist::Uniform { min: 0.0, max: 0.0 },
            Dist::Empirical { values: vec![0.0, 0.0], weights: None },
            Dist::Empirical { values: vec![0.0, 3.0], weights: Some(vec![1.0, 0.0]) },
            // exp(N(-1000, 1)) underflows to 0 on every draw.
            Dist::LogNormal { mu: -1000.0, sigma: 1.0 },
        ];
        for dist in zero {
            assert!(dist.always_zero(), "{dist:?}");
            let sampler = dist.sampler();
            let mut r = rng();
            assert!((0..1000).all(|_| sampler.sample(&mut r) == 0.0), "{dist:?} drew a positive value");
        }
        let positive = [
            Dist::Uniform { min: 0.0, max: 1e-9 },
            Dist::Triangular { min: 0.0, mode: 0.0, max: 1.0 },
            Dist::Empirical { values: vec![0.0, 3.0], weights: None },
            Dist::Empirical { values: vec![0.0, 3.0], weights: Some(vec![1.0, 1e-9]) },
            Dist::Constant { value: 1e-300 },
        ];
        for dist in positive.into_iter().chain(all()) {
            assert!(!dist.always_zero(), "{dist:?}");
        }
    }

    #[test]
    fn exact_means_of_the_canonical_forms() {
        assert_eq!(Dist::Exponential { mean: 1.5 }.mean(), 1.5);
        assert_eq!(Dist::Uniform { min: 1.0, max: 4.0 }.mean(), 2.5);
        assert_eq!(Dist::Triangular { min: 1.0, mode: 1.5, max: 4.5 }.mean(), 7.0 / 3.0);
        assert_eq!(Dist::Erlang { k: 3, mean: 2.4 }.mean(), 2.4);
        assert_eq!(Dist::Gamma { shape: 3.0, scale: 0.5 }.mean(), 1.5);
        // Weibull with shape 1 is exponential with mean `scale`; shape 2: scale·√π/2.
        assert!((Dist::Weibull { shape: 1.0, scale: 2.0 }.mean() - 2.0).abs() < 1e-12);
        let rayleigh = Dist::Weibull { shape: 2.0, scale: 2.0 }.mean();
        assert!((rayleigh - std::f64::consts::PI.sqrt()).abs() < 1e-12, "{rayleigh}");
        assert_eq!(Dist::Empirical { values: vec![1.0, 2.0, 6.0], weights: None }.mean(), 3.0);
        assert_eq!(Dist::Empirical { values: vec![1.0, 3.0], weights: Some(vec![3.0, 1.0]) }.mean(), 1.5);
        // Truncated at 0 with mean 0: the half-normal, sd·√(2/π).
        let half = Dist::Normal { mean: 1e-300, sd: 1.0 }.mean();
        assert!((half - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-12, "{half}");
        assert_eq!(Dist::Normal { mean: 2.0, sd: 0.0 }.mean(), 2.0);
    }

    #[test]
    fn serializes_with_the_file_names() {
        let json = serde_json::to_value(Dist::LogNormal { mu: 0.0, sigma: 1.0 }).unwrap();
        assert_eq!(json, serde_json::json!({ "dist": "lognormal", "mu": 0.0, "sigma": 1.0 }));
        let json = serde_json::to_value(Dist::Empirical { values: vec![1.0], weights: None }).unwrap();
        assert_eq!(json, serde_json::json!({ "dist": "empirical", "values": [1.0] }));
        assert!(all().iter().all(|d| names().any(|n| n == d.name())));
    }
}
