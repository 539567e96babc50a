//! Distributions (interim; replaced by the scenario branch).
use rand_distr::{Distribution, Exp};
/// A distribution.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Dist {
    /// Exp.
    Exponential {
        /// Mean.
        mean: f64,
    },
    /// Const.
    Constant {
        /// Value.
        value: f64,
    },
}
impl Dist {
    /// Mean.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Exponential { mean } => *mean,
            Dist::Constant { value } => *value,
        }
    }
    /// Sampler.
    pub fn sampler(&self) -> Sampler {
        Sampler(self.clone())
    }
}
/// Sampler.
#[derive(Clone, Debug)]
pub struct Sampler(Dist);
impl Sampler {
    /// Sample.
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.0 {
            Dist::Exponential { mean } => Exp::new(1.0 / mean).unwrap().sample(rng),
            Dist::Constant { value } => *value,
        }
    }
}
