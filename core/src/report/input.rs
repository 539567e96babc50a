//! What a report is made of: plain owned data, filled by the caller from a run's results.
//!
//! Nothing here is parsed from files: the CLI (or any embedder) builds a [`ReportInput`] from
//! what it already holds (or read back from an output folder) and hands it to
//! [`render`](super::render).

use crate::compare::Comparison;
use crate::output::SummaryRow;

/// Everything a report shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportInput {
    /// Scenario name (the page title).
    pub name: String,
    /// Scenario description, if the scenario has one.
    pub description: Option<String>,
    /// The scenario's time unit, e.g. `minute`.
    pub time_unit: String,
    /// Name of the variant the comparisons are made against.
    pub baseline: String,
    /// Variants in output order; the scenario as written is the one named `baseline`.
    pub variants: Vec<VariantInfo>,
    /// Swept dotted paths in file order (empty when the scenario has no sweep).
    pub sweep_paths: Vec<String>,
    /// Metrics for the headline, forest plot and charts; empty means every metric in `summary`.
    pub key_metrics: Vec<String>,
    /// Per-(variant, metric) summaries over replications.
    pub summary: Vec<SummaryRow>,
    /// Paired comparisons of each variant against [`ReportInput::baseline`].
    pub comparison: Vec<Comparison>,
    /// Time-series points (may be empty).
    pub series: Vec<SeriesInput>,
    /// Where the results come from.
    pub provenance: Provenance,
}

/// One variant of the experiment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VariantInfo {
    /// Variant name.
    pub name: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// Changes against the scenario as written: (dotted path, value as TOML text).
    pub set: Vec<(String, String)>,
    /// Its grid point when a sweep generated it: (swept path, value as TOML text); empty
    /// otherwise.
    pub sweep: Vec<(String, String)>,
}

/// One time-series point of one replication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeriesInput {
    /// Variant name.
    pub variant: String,
    /// Replication index.
    pub replication: u32,
    /// Time of the point [time unit].
    pub time: f64,
    /// Series (metric) name.
    pub metric: String,
    /// Value.
    pub value: f64,
}

/// Provenance of the results: enough to reproduce them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Provenance {
    /// Version of the `xinzhi` that produced the results.
    pub xinzhi_version: String,
    /// The scenario file as given.
    pub scenario_path: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// SHA-256 of the resolved scenario (after overrides).
    pub scenario_digest: String,
    /// Master seed.
    pub seed: u64,
    /// Replications, in words: `"20"` or `"10–40 per variant (precision target)"`.
    pub replications: String,
    /// Precision target and what was achieved, in words, when the run had one.
    pub precision: Option<String>,
    /// Random number generator and stream derivation.
    pub rng: String,
    /// A note on threads (results do not depend on them), if any.
    pub threads_note: Option<String>,
    /// Every plugin library available to the run.
    pub plugins: Vec<PluginInfo>,
    /// Whether every replication finished.
    pub complete: bool,
    /// What failed, if anything.
    pub error: Option<String>,
}

/// A plugin library used by the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PluginInfo {
    /// Library name.
    pub name: String,
    /// Its crate and version, e.g. `xinzhi-dispatch 0.1.0`.
    pub crate_version: String,
    /// `built-in`, or the path it was loaded from.
    pub origin: String,
    /// SHA-256 of the library file; `None` for built-ins.
    pub sha256: Option<String>,
}
