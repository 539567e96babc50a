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
//!
//! - `sample` — [`Dist`] (the validated form), its mean and [`Sampler`]: what models use.
//! - `spec` — the scenario-file form (`DistSpec`, a bare number or an inline table, each
//!   parameter with its location) and its validation into a [`Dist`] with located errors
//!   (`DistError`): what the scenario loader uses.

mod sample;
mod spec;

pub use sample::{Dist, InvalidDist, Sampler};
pub(crate) use spec::DistSpec;
