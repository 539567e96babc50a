//! Probability distributions of durations, as written in scenario files and sampled by models.
//!
//! A [`Dist`] is a validated distribution of a non-negative duration [scenario time unit]; its
//! parameters are in the canonical form the sampler uses (e.g. a lognormal is always stored as
//! `mu`/`sigma`, an exponential as its `mean`). [`Dist::sampler`] precomputes the `rand_distr`
//! objects once; [`Sampler::sample`] then draws values that are always finite and `>= 0`.
//!
//! In scenario files a distribution is an inline table such as
//! `{ dist = "lognormal", mean = 1.8, cv = 0.4 }`; anywhere a distribution is expected a bare
//! number means a constant. The parameter names are part of the file format:
//!
//! | `dist` | parameters |
//! |---|---|
//! | `exponential` | `mean` or `rate` (exactly one, `> 0`) |
//! | `constant` | `value` (`>= 0`) |
//! | `uniform` | `min`, `max` (`0 <= min <= max`) |
//! | `triangular` | `min`, `mode`, `max` (`0 <= min <= mode <= max`, `min < max`) |
//! | `normal` | `mean` (`> 0`), `sd` (`>= 0`); negative draws are resampled |
//! | `lognormal` | `mean` (`> 0`), `cv` (`>= 0`), or `mu`, `sigma` (`>= 0`) of the log |
//! | `gamma` | `shape`, `scale` (`> 0`), or `mean`, `cv` (`> 0`) |
//! | `weibull` | `shape`, `scale` (`> 0`) |
//! | `erlang` | `k` (integer `>= 1`), `mean` (`> 0`) |
//! | `empirical` | `values` (non-empty, `>= 0`), optional `weights` (same length, `>= 0`, sum `> 0`) |

use std::ops::Range;

use rand::distr::Uniform;
use rand::distr::weighted::WeightedIndex;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Normal, Triangular, Weibull};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;

use crate::scenario::suggest::{nearest, one_of};
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
    /// docs](self)) or the distribution's mean is not finite.
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
    #[inline]
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

// ---------------------------------------------------------------------------------------------
// Scenario-file form.

/// A distribution as written in a scenario file, before validation: a bare number or an inline
/// table of parameters, each with its location for error messages.
#[derive(Clone, Debug)]
pub(crate) enum DistSpec {
    /// A bare number: a constant.
    Number(f64),
    /// `{ dist = "...", param = value, ... }`, in the order written.
    Table(Vec<(Spanned<String>, Spanned<toml::Value>)>),
}

/// Why a [`DistSpec`] is not a valid distribution.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DistError {
    /// Byte range of the offending key or value.
    pub(crate) span: Range<usize>,
    /// What was expected and what was found.
    pub(crate) message: String,
    /// The nearest valid name, for typos.
    pub(crate) suggestion: Option<String>,
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = DistSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a distribution such as `{ dist = \"exponential\", mean = 1.0 }`, or a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DistSpec, E> {
                Ok(DistSpec::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DistSpec, E> {
                Ok(DistSpec::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DistSpec, E> {
                Ok(DistSpec::Number(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DistSpec, A::Error> {
                let mut params = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Spanned<toml::Value>>()?;
                    params.push((key, value));
                }
                // Tables iterate in key order; report problems in the order they were written.
                params.sort_by_key(|(k, _)| k.span().start);
                Ok(DistSpec::Table(params))
            }
        }
        deserializer.deserialize_any(SpecVisitor)
    }
}

/// The distributions of the file format and the parameters each accepts.
const KINDS: [(&str, &[&str]); 10] = [
    ("exponential", &["mean", "rate"]),
    ("constant", &["value"]),
    ("uniform", &["min", "max"]),
    ("triangular", &["min", "mode", "max"]),
    ("normal", &["mean", "sd"]),
    ("lognormal", &["mean", "cv", "mu", "sigma"]),
    ("gamma", &["shape", "scale", "mean", "cv"]),
    ("weibull", &["shape", "scale"]),
    ("erlang", &["k", "mean"]),
    ("empirical", &["values", "weights"]),
];

/// Names of all distributions, in the order of the format's table.
pub(crate) fn names() -> impl Iterator<Item = &'static str> + Clone {
    KINDS.iter().map(|(name, _)| *name)
}

fn err(span: Range<usize>, message: impl Into<String>) -> DistError {
    DistError { span, message: message.into(), suggestion: None }
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a datetime",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// A number from a TOML value: integers are accepted where floats are expected.
fn as_number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// A parameter value with its location.
#[derive(Clone)]
struct Num<'a> {
    name: &'a str,
    value: f64,
    span: Range<usize>,
}

impl Num<'_> {
    fn check(&self, ok: bool, rule: &str) -> Result<f64, DistError> {
        if ok {
            Ok(self.value)
        } else {
            Err(err(self.span.clone(), format!("`{}` must be {rule}, found {}", self.name, self.value)))
        }
    }
    fn positive(&self) -> Result<f64, DistError> {
        self.check(self.value > 0.0, "> 0")
    }
    fn non_negative(&self) -> Result<f64, DistError> {
        self.check(self.value >= 0.0, ">= 0")
    }
    fn at_least(&self, other: &Num<'_>) -> Result<f64, DistError> {
        let rule = format!(">= `{}` ({})", other.name, other.value);
        self.check(self.value >= other.value, &rule)
    }
}

/// The parameters of one distribution table, with the whole table's location.
struct Params<'a> {
    dist: &'static str,
    list: &'a [(Spanned<String>, Spanned<toml::Value>)],
    whole: Range<usize>,
}

impl<'a> Params<'a> {
    fn entry(&self, name: &str) -> Option<&'a (Spanned<String>, Spanned<toml::Value>)> {
        self.list.iter().find(|(k, _)| k.get_ref() == name)
    }

    fn get(&self, name: &str) -> Option<&'a Spanned<toml::Value>> {
        self.entry(name).map(|(_, v)| v)
    }

    fn has(&self, name: &str) -> bool {
        self.entry(name).is_some()
    }

    /// A numeric parameter, if present: must be a finite number.
    fn num(&self, name: &'a str) -> Result<Option<Num<'a>>, DistError> {
        let Some(v) = self.get(name) else { return Ok(None) };
        let span = v.span();
        let Some(value) = as_number(v.get_ref()) else {
            return Err(err(span, format!("`{name}` must be a number, found {}", type_name(v.get_ref()))));
        };
        if !value.is_finite() {
            return Err(err(span, format!("`{name}` must be a finite number, found {value}")));
        }
        Ok(Some(Num { name, value, span }))
    }

    /// A required numeric parameter; `needs` describes the full set for the error message.
    fn req(&self, name: &'a str, needs: &str) -> Result<Num<'a>, DistError> {
        self.num(name)?.ok_or_else(|| {
            err(self.whole.clone(), format!("missing parameter `{name}` (`{}` needs {needs})", self.dist))
        })
    }

    /// Errors if any of `names` is present: used to reject mixed parameterisations.
    fn reject_mix(&self, names: &[&str], forms: &str) -> Result<(), DistError> {
        match names.iter().find_map(|n| self.entry(n)) {
            Some((k, _)) => Err(err(
                k.span(),
                format!(
                    "`{}` cannot be combined with the other parameters: `{}` takes {forms}",
                    k.get_ref(),
                    self.dist
                ),
            )),
            None => Ok(()),
        }
    }
}

impl DistSpec {
    /// Validates the written form into a [`Dist`]; `whole` is the location of the entire value.
    pub(crate) fn resolve(&self, whole: Range<usize>) -> Result<Dist, DistError> {
        let dist = match self {
            DistSpec::Number(value) => {
                if !value.is_finite() || *value < 0.0 {
                    return Err(err(
                        whole,
                        format!("a constant duration must be a finite number >= 0, found {value}"),
                    ));
                }
                Dist::Constant { value: *value }
            }
            DistSpec::Table(list) => resolve_table(list, whole.clone())?,
        };
        dist.try_sampler().map_err(|e| err(whole, e.reason))?;
        Ok(dist)
    }
}

fn resolve_table(
    params: &[(Spanned<String>, Spanned<toml::Value>)],
    whole: Range<usize>,
) -> Result<Dist, DistError> {
    let Some((_, name)) = params.iter().find(|(k, _)| k.get_ref() == "dist") else {
        // A misspelt `dist` is the likely cause; point at it rather than at the whole table.
        if let Some((k, _)) = params.iter().find(|(k, _)| nearest(k.get_ref(), ["dist"]).is_some()) {
            return Err(DistError {
                span: k.span(),
                message: format!("unknown key `{}`: a distribution table starts with `dist`", k.get_ref()),
                suggestion: Some("dist".into()),
            });
        }
        return Err(err(
            whole,
            format!("missing key `dist`: the name of the distribution, {}", list_names()),
        ));
    };
    let toml::Value::String(name_str) = name.get_ref() else {
        return Err(err(
            name.span(),
            format!(
                "`dist` must be the name of a distribution as a string, found {}",
                type_name(name.get_ref())
            ),
        ));
    };
    let Some((dist, allowed)) = KINDS.iter().find(|(n, _)| n == name_str) else {
        return Err(DistError {
            span: name.span(),
            message: format!("unknown distribution `{name_str}` (expected {})", list_names()),
            suggestion: nearest(name_str, names()).map(str::to_owned),
        });
    };
    for (k, _) in params {
        let key = k.get_ref().as_str();
        if key != "dist" && !allowed.contains(&key) {
            return Err(DistError {
                span: k.span(),
                message: format!(
                    "unknown parameter `{key}` for `{dist}` (expected {})",
                    one_of(allowed.iter().copied())
                ),
                suggestion: nearest(key, allowed.iter().copied()).map(str::to_owned),
            });
        }
    }
    let p = Params { dist, list: params, whole: whole.clone() };
    Ok(match *dist {
        "exponential" => match (p.num("mean")?, p.num("rate")?) {
            (Some(mean), None) => Dist::Exponential { mean: mean.positive()? },
            (None, Some(rate)) => Dist::Exponential { mean: 1.0 / rate.positive()? },
            (Some(_), Some(rate)) => {
                return Err(err(rate.span.clone(), "give either `mean` or `rate`, not both"));
            }
            (None, None) => return Err(err(whole, "missing parameter `mean` (or `rate`) of `exponential`")),
        },
        "constant" => Dist::Constant { value: p.req("value", "`value`")?.non_negative()? },
        "uniform" => {
            let needs = "`min` and `max`";
            let min = p.req("min", needs)?;
            let max = p.req("max", needs)?;
            min.non_negative()?;
            Dist::Uniform { min: min.value, max: max.at_least(&min)? }
        }
        "triangular" => {
            let needs = "`min`, `mode` and `max`";
            let (min, mode, max) = (p.req("min", needs)?, p.req("mode", needs)?, p.req("max", needs)?);
            min.non_negative()?;
            mode.at_least(&min)?;
            max.at_least(&mode)?;
            max.check(max.value > min.value, &format!("> `min` ({})", min.value))?;
            Dist::Triangular { min: min.value, mode: mode.value, max: max.value }
        }
        "normal" => {
            let needs = "`mean` and `sd`";
            let (mean, sd) = (p.req("mean", needs)?, p.req("sd", needs)?);
            Dist::Normal { mean: mean.positive()?, sd: sd.non_negative()? }
        }
        "lognormal" => {
            let needs = "`mean` and `cv`, or `mu` and `sigma`";
            if p.has("mu") || p.has("sigma") {
                p.reject_mix(&["mean", "cv"], needs)?;
                let (mu, sigma) = (p.req("mu", needs)?, p.req("sigma", needs)?);
                Dist::LogNormal { mu: mu.value, sigma: sigma.non_negative()? }
            } else {
                let (mean, cv) = (p.req("mean", needs)?, p.req("cv", needs)?);
                let (mean, cv) = (mean.positive()?, cv.non_negative()?);
                let sigma2 = cv.mul_add(cv, 1.0).ln();
                Dist::LogNormal { mu: mean.ln() - sigma2 / 2.0, sigma: sigma2.sqrt() }
            }
        }
        "gamma" => {
            let needs = "`shape` and `scale`, or `mean` and `cv`";
            if p.has("shape") || p.has("scale") {
                p.reject_mix(&["mean", "cv"], needs)?;
                let (shape, scale) = (p.req("shape", needs)?, p.req("scale", needs)?);
                Dist::Gamma { shape: shape.positive()?, scale: scale.positive()? }
            } else {
                let (mean, cv) = (p.req("mean", needs)?, p.req("cv", needs)?);
                let (mean, cv) = (mean.positive()?, cv.positive()?);
                Dist::Gamma { shape: 1.0 / (cv * cv), scale: mean * cv * cv }
            }
        }
        "weibull" => {
            let needs = "`shape` and `scale`";
            let (shape, scale) = (p.req("shape", needs)?, p.req("scale", needs)?);
            Dist::Weibull { shape: shape.positive()?, scale: scale.positive()? }
        }
        "erlang" => {
            let needs = "`k` and `mean`";
            let k = integer_k(&p, needs)?;
            Dist::Erlang { k, mean: p.req("mean", needs)?.positive()? }
        }
        _ => empirical(&p)?,
    })
}

fn list_names() -> String {
    one_of(names())
}

/// `k` of an Erlang: an integer from 1 to 2^32 − 1.
fn integer_k(p: &Params<'_>, needs: &str) -> Result<u32, DistError> {
    let Some(v) = p.get("k") else {
        return Err(err(p.whole.clone(), format!("missing parameter `k` (`erlang` needs {needs})")));
    };
    match v.get_ref() {
        toml::Value::Integer(k) => match u32::try_from(*k) {
            Ok(k) if k >= 1 => Ok(k),
            _ => Err(err(v.span(), format!("`k` must be an integer >= 1, found {k}"))),
        },
        other => Err(err(v.span(), format!("`k` must be an integer >= 1, found {}", type_name(other)))),
    }
}

fn number_array(p: &Params<'_>, name: &str) -> Result<Option<Vec<f64>>, DistError> {
    let Some(v) = p.get(name) else { return Ok(None) };
    let toml::Value::Array(items) = v.get_ref() else {
        return Err(err(
            v.span(),
            format!("`{name}` must be an array of numbers, found {}", type_name(v.get_ref())),
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match as_number(item) {
            Some(x) if x.is_finite() && x >= 0.0 => out.push(x),
            Some(x) => {
                return Err(err(v.span(), format!("`{name}[{i}]` must be a finite number >= 0, found {x}")));
            }
            None => {
                return Err(err(
                    v.span(),
                    format!("`{name}[{i}]` must be a number, found {}", type_name(item)),
                ));
            }
        }
    }
    Ok(Some(out))
}

fn empirical(p: &Params<'_>) -> Result<Dist, DistError> {
    let Some(values) = number_array(p, "values")? else {
        return Err(err(
            p.whole.clone(),
            "missing parameter `values` (`empirical` needs `values`, optionally `weights`)",
        ));
    };
    let values_span = p.get("values").map_or(p.whole.clone(), Spanned::span);
    if values.is_empty() {
        return Err(err(values_span, "`values` must not be empty"));
    }
    let weights = number_array(p, "weights")?;
    if let (Some(w), Some(v)) = (&weights, p.get("weights")) {
        if w.len() != values.len() {
            return Err(err(
                v.span(),
                format!(
                    "`weights` must have one entry per value: {} weights for {} values",
                    w.len(),
                    values.len()
                ),
            ));
        }
        let total: f64 = w.iter().sum();
        if !(total > 0.0 && total.is_finite()) {
            return Err(err(v.span(), format!("`weights` must sum to a finite number > 0, found {total}")));
        }
    }
    Ok(Dist::Empirical { values, weights })
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

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

    fn spec(text: &str) -> Result<Dist, DistError> {
        let value: Spanned<DistSpec> = toml::de::ValueDeserializer::parse(text)
            .and_then(Spanned::<DistSpec>::deserialize)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        value.get_ref().resolve(value.span())
    }

    #[test]
    fn alternative_parameterisations_resolve_to_the_canonical_form() {
        assert_eq!(spec("{ dist = \"exponential\", rate = 4 }"), Ok(Dist::Exponential { mean: 0.25 }));
        assert_eq!(spec("2"), Ok(Dist::Constant { value: 2.0 }));
        assert_eq!(spec("{ dist = \"erlang\", k = 3, mean = 1 }"), Ok(Dist::Erlang { k: 3, mean: 1.0 }));
        let ln = spec("{ dist = \"lognormal\", mean = 1.8, cv = 0.4 }").unwrap();
        assert!((ln.mean() - 1.8).abs() < 1e-12, "{ln:?}");
        let Dist::LogNormal { sigma, .. } = ln else { panic!("{ln:?}") };
        assert!((sigma - 1.16f64.ln().sqrt()).abs() < 1e-12);
        let g = spec("{ dist = \"gamma\", mean = 8, cv = 0.5 }").unwrap();
        assert_eq!(g, Dist::Gamma { shape: 4.0, scale: 2.0 });
        assert_eq!(
            spec("{ dist = \"lognormal\", mu = -1, sigma = 0.5 }"),
            Ok(Dist::LogNormal { mu: -1.0, sigma: 0.5 })
        );
    }

    #[test]
    fn spec_errors_point_at_the_parameter() {
        let text = "{ dist = \"gamma\", shape = 2, sacle = 1 }";
        let e = spec(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "sacle");
        assert_eq!(e.suggestion.as_deref(), Some("scale"));
        let text = "{ dist = \"weibull\", shape = -2, scale = 1 }";
        let e = spec(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "-2");
        let text = "{ dist = \"gamma\", shape = 2, mean = 1 }";
        let e = spec(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "mean");
        assert!(e.message.starts_with("`mean` cannot be combined"), "{}", e.message);
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
