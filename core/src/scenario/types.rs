//! The validated, public types of a loaded scenario file, and the limits loading enforces.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::domains::DomainConfig;
use crate::plugin::ComponentKind;
use crate::time::{SimTime, TimeUnit};
use crate::validate::{LibraryRef, PluginRef, ScenarioError};

/// One validated scenario: the baseline, or the baseline with a variant's changes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// Short name, e.g. `mm1`.
    pub name: String,
    /// Optional free text.
    pub description: Option<String>,
    /// The unit of every time value of the scenario.
    pub time_unit: TimeUnit,
    /// End of each replication [time unit], `> 0`.
    pub horizon: SimTime,
    /// Statistics are collected from here on [time unit], `< horizon`.
    pub warmup: SimTime,
    /// Replications and master seed.
    pub experiment: ExperimentConfig,
    /// Plugin libraries to load, from `[plugins] load`.
    pub plugins: Vec<LibraryRef>,
    /// Collectors, from `[[collect]]`; `kpi` first, added when not listed.
    pub collect: Vec<PluginRef>,
    /// The domains of the model, in registration order (one, or several in a region).
    pub domains: Vec<DomainConfig>,
}

impl Scenario {
    /// Every plugin reference of the scenario with the kind of component it needs: collectors
    /// first, then each domain's in its own order.
    pub fn plugin_refs(&self) -> Vec<(&PluginRef, ComponentKind)> {
        let mut refs: Vec<_> = self.collect.iter().map(|r| (r, ComponentKind::COLLECTOR)).collect();
        refs.extend(self.domains.iter().flat_map(DomainConfig::plugin_refs));
        refs
    }
}

/// Most replications per variant (far beyond any precision target; guards against typos that
/// would allocate a task list larger than memory).
pub const MAX_REPLICATIONS: u32 = 1_000_000;

/// Most variants a `[sweep]` may generate, over the baseline and all explicit variants.
pub const MAX_SWEEP_VARIANTS: usize = 10_000;

/// How many replications to run, from which master seed, compared against which variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentConfig {
    /// Replications per variant, `>= 1`; with a [`target`](Self::target), the first batch
    /// (then `>= 2`).
    pub replications: u32,
    /// Master seed of all random streams.
    pub seed: u64,
    /// Name of the variant the others are compared against (default `baseline`).
    pub baseline: String,
    /// Optional precision target: replications are added in batches until it is met.
    pub target: Option<PrecisionTarget>,
}

/// `[experiment] target`: run replications until a metric's confidence interval is narrow
/// enough.
#[derive(Clone, Debug, Serialize)]
pub struct PrecisionTarget {
    /// Metric whose CI must be narrow enough, in every variant.
    pub metric: String,
    /// Required CI half-width.
    pub half_width: HalfWidth,
    /// Upper bound on replications per variant.
    pub max_replications: u32,
    /// Replications added per round, >= 1.
    pub batch: u32,
    /// Where `metric` was written (an error template), for problems found after loading, such
    /// as a metric no collector produces; `None` for a target built in code.
    #[serde(skip)]
    pub metric_written: Option<ScenarioError>,
}

impl PrecisionTarget {
    /// An error about the target's metric, located where it was written (file, line, column,
    /// key `experiment.target.metric`, or the `--set` that gave it).
    pub fn metric_error(&self, message: impl Into<String>) -> ScenarioError {
        let message = message.into();
        match &self.metric_written {
            Some(at) => ScenarioError { message, ..at.clone() },
            None => ScenarioError::new("", message).with_key("experiment.target.metric"),
        }
    }
}

/// Where the metric was written is not part of what the target is: the baseline's target and a
/// variant's (re-read from its own tree) must compare equal.
impl PartialEq for PrecisionTarget {
    fn eq(&self, other: &Self) -> bool {
        let PrecisionTarget { metric, half_width, max_replications, batch, metric_written: _ } = self;
        (metric, half_width, max_replications, batch)
            == (&other.metric, &other.half_width, &other.max_replications, &other.batch)
    }
}

/// A required confidence-interval half-width; finite and `> 0`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HalfWidth {
    /// A fraction of the metric's mean (`relative_half_width`, e.g. `0.01` for 1 %).
    Relative(f64),
    /// In the metric's own unit (`half_width`).
    Absolute(f64),
}

/// A what-if: the baseline with some values changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variant {
    /// Unique name, never `baseline`.
    pub name: String,
    /// Optional free text.
    pub description: Option<String>,
    /// The resulting scenario.
    pub scenario: Scenario,
    /// The changes, in the order written: (dotted path, value rendered as TOML). For a variant
    /// generated by `[sweep]`: the explicit variant's entries (if any), then the grid point's.
    pub set: Vec<(String, String)>,
    /// For a variant generated by `[sweep]`, its grid point: (dotted path, value rendered as
    /// TOML) for every swept path, in `[sweep]` order; empty for explicit variants.
    pub sweep: Vec<(String, String)>,
    /// For a variant generated by `[sweep]`: the variant its grid crosses (`baseline` or an
    /// explicit variant's name); `None` otherwise.
    pub crossed_with: Option<String>,
    /// Its value of each swept path, in `[sweep]` order (TOML text; empty where the path is not
    /// written and its default applies); empty without a sweep.
    pub at_sweep: Vec<String>,
}

/// A loaded scenario file. Hashing `text` (for manifests) is left to the caller.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// The file's text, exactly as read.
    pub text: String,
    /// The scenario with `--set` overrides applied.
    pub baseline: Scenario,
    /// The variants, each on top of the overridden baseline: the explicit `[[variant]]`s in
    /// file order, then those generated by `[sweep]` (the baseline's grid, then each explicit
    /// variant's, in file order; within a grid the first swept path varies slowest).
    pub variants: Vec<Variant>,
    /// The paths swept by `[sweep]`, in file order (empty without one).
    pub sweep: Vec<String>,
    /// The baseline's value of each swept path (as [`Variant::at_sweep`]).
    pub baseline_at_sweep: Vec<String>,
}

/// The collector that always runs.
pub const DEFAULT_COLLECTOR: &str = "kpi";

/// The name of the unmodified scenario in outputs; no variant may take it.
pub(super) const BASELINE_NAME: &str = "baseline";
