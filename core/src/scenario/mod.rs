//! Scenario files: TOML text → validated, typed [`Scenario`]s (a baseline and its variants).
//!
//! ```toml
//! [scenario]
//! name = "mm1"                 # required, non-empty
//! description = "..."          # optional
//! domain = "factory"           # factory (city and finance are not available yet)
//! time_unit = "minute"         # second | minute | hour | day
//! horizon = 200000.0           # > 0
//! warmup = 5000.0              # optional, default 0, < horizon
//!
//! [experiment]                 # optional; variants cannot change it
//! replications = 8             # >= 1, default 10; with `target`, the first batch (>= 2)
//! seed = 1                     # default 1
//! baseline = "baseline"        # optional: the variant the others are compared against;
//!                              #   "baseline", a [[variant]] or a generated sweep variant
//! target = { metric = "throughput", relative_half_width = 0.01 }
//!                              # optional precision target: replications are added until the
//!                              #   metric's CI half-width is small enough in every variant;
//!                              #   exactly one of `relative_half_width` (a fraction of the
//!                              #   mean) or `half_width` (in the metric's unit), finite, > 0
//! max_replications = 200       # required with `target`: replications..=1000000
//! batch = 10                   # optional, only with `target`: added per round, >= 1,
//!                              #   default `replications`
//!
//! [[factory.station]]          # the domain's own tables: see the domain's `config` module
//! # ...
//!
//! [[variant]]                  # a what-if: dotted-path overrides of the baseline
//! name = "two-mills"           # unique, not "baseline"
//! description = "..."          # optional
//! set = { "factory.station.mill.machines" = 2 }
//!
//! [sweep]                      # optional: a full-factorial grid of generated variants
//! "factory.station.mill.machines" = [1, 2, 3]   # path (as in `set`) = the values it takes
//! "factory.station.mill.buffer" = [5, 10]
//! ```
//!
//! A sweep generates one variant per grid point (the first path varying slowest) for the
//! baseline and then for each `[[variant]]`; the baseline and the variants themselves remain.
//! Generated variants are named by their point, each path shortened to the shortest suffix
//! unique among the swept paths: `machines=2 buffer=5` for the baseline,
//! `two-mills machines=2 buffer=5` for a variant. At most [`MAX_SWEEP_VARIANTS`] are generated;
//! a variant may not `set` a swept path (nor one inside it), and swept paths may not nest.
//!
//! The domain's tables are validated by its module, e.g. [`crate::domains::factory::config`];
//! this module knows only their root names (one per domain).
//!
//! Loading goes: parse the text into a tree of spanned TOML values; apply `--set` overrides
//! ([`Override`]); deserialize the generic tables into raw serde structs
//! (`deny_unknown_fields`) and validate them; hand the domain's table to the domain module.
//! Each variant is the overridden baseline tree with the variant's `set` applied on top, then
//! validated the same way; a generated variant is its source tree (the baseline's or a
//! variant's) with the grid point's values applied on top. Values keep the location they were
//! written at, so an error in a value set by a variant points at that variant's `set` entry,
//! and one in a swept value at that value inside `[sweep]`.
//!
//! Errors ([`ScenarioError`]) carry file, line, column, dotted key, a message saying what was
//! expected and found, and a "did you mean" suggestion for misspelt names. Loading never
//! panics, whatever the input.

// `ScenarioError` is the public error type of loading (its fields are the API); errors are the
// cold path, so its size on the `Err` side does not matter.
#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

mod ctx;
mod error;
mod overrides;
mod plugins;
pub(crate) mod suggest;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

pub(crate) use ctx::Ctx;
use ctx::{CliRegion, Source, line_col, line_col_bytes};
pub use error::ScenarioError;
pub use overrides::Override;
use overrides::{PathKey, apply, join_path, keys_at, keys_in, shift};
pub(crate) use plugins::RawPluginTable;
pub use plugins::{LibraryRef, PluginRef, Written};
use suggest::{list, nearest, one_of};

use crate::domains::factory::{self, config::FactoryConfig};
use crate::plugin::ComponentKind;
use crate::time::{SimTime, TimeUnit};

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
    /// The domain model.
    pub model: ModelConfig,
}

impl Scenario {
    /// Every plugin reference of the scenario with the kind of component it needs: collectors
    /// first, then the model's in the domain's order.
    pub fn plugin_refs(&self) -> Vec<(&PluginRef, ComponentKind)> {
        let mut refs: Vec<_> = self.collect.iter().map(|r| (r, ComponentKind::COLLECTOR)).collect();
        match &self.model {
            ModelConfig::Factory(f) => refs.extend(f.plugin_refs().map(|r| (r, ComponentKind::SCHEDULER))),
        }
        refs
    }
}

/// Most replications per variant (far beyond any precision target; guards against typos that
/// would allocate a job list larger than memory).
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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrecisionTarget {
    /// Metric whose CI must be narrow enough, in every variant.
    pub metric: String,
    /// Required CI half-width.
    pub half_width: HalfWidth,
    /// Upper bound on replications per variant.
    pub max_replications: u32,
    /// Replications added per round, >= 1.
    pub batch: u32,
}

/// A required confidence-interval half-width; finite and `> 0`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HalfWidth {
    /// A fraction of the metric's mean (`relative_half_width`, e.g. `0.01` for 1 %).
    Relative(f64),
    /// In the metric's own unit (`half_width`).
    Absolute(f64),
}

/// The domain model of a scenario, tagged by domain name.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "domain", rename_all = "lowercase")]
pub enum ModelConfig {
    /// A factory flow line.
    Factory(FactoryConfig),
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
}

/// Reads and validates the scenario file at `path`, applying `overrides` to the baseline.
///
/// # Errors
/// If the file cannot be read or is not valid UTF-8, or for anything [`parse`] rejects.
pub fn load(path: &Path, overrides: &[Override]) -> Result<ScenarioFile, ScenarioError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ScenarioError::new(path, format!("cannot read the scenario file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col_bytes(e.as_bytes(), e.utf8_error().valid_up_to());
        let mut err = ScenarioError::new(path, "the file is not valid UTF-8 text");
        (err.line, err.column) = (line, column);
        err
    })?;
    parse(path, &text, overrides)
}

/// Validates scenario `text` (read from `path`, used in messages), applying `overrides`.
///
/// # Errors
/// The first problem found: TOML syntax, unknown or missing keys, wrong types, values out of
/// range, unknown names, bad override paths — each located and explained.
pub fn parse(path: &Path, text: &str, overrides: &[Override]) -> Result<ScenarioFile, ScenarioError> {
    // Declared before the tree, which borrows from them.
    let rendered: Vec<String> = overrides.iter().map(|o| o.value.to_string()).collect();
    let mut doc = DeTable::parse(text).map_err(|e| syntax_error(path, text, &e))?.into_inner();

    // Each `--set` value gets its own region of offsets past the end of the text.
    let mut cli = Vec::with_capacity(overrides.len());
    let mut next = text.len() + 1;
    for (o, r) in overrides.iter().zip(&rendered) {
        cli.push(CliRegion { span: next..next + r.len(), arg: format!("{}={r}", o.path) });
        next += r.len() + 1;
    }
    let src = Source { file: path, text, cli };
    for ((o, r), region) in overrides.iter().zip(&rendered).zip(&src.cli) {
        let fail = |message: String, suggestion: Option<String>| {
            src.error_at(&region.span, o.path.clone(), message).with_suggestion(suggestion)
        };
        let keys = keys_at(&o.path, &(region.span.start..region.span.start)).map_err(|m| fail(m, None))?;
        let value = DeValue::parse(r).map_err(|e| fail(format!("invalid value: {}", e.message()), None))?;
        apply(&mut doc, &keys, shift(value, region.span.start)).map_err(|e| fail(e.message, e.suggestion))?;
    }

    let variant_entry = doc.remove_entry("variant");
    let sweep_entry = doc.remove_entry("sweep");
    let baseline = build(&doc, &Ctx::new(&src, &doc, None))?;
    let axes = match sweep_entry {
        Some((key, value)) => parse_sweep(&src, key, value)?,
        None => Vec::new(),
    };
    let variants = build_variants(&src, &doc, variant_entry, &axes)?;
    check_baseline_name(&src, &doc, &baseline.experiment.baseline, &variants)?;
    Ok(ScenarioFile {
        path: path.to_owned(),
        text: text.to_owned(),
        baseline,
        variants,
        sweep: axes.into_iter().map(|a| a.path).collect(),
    })
}

/// A TOML syntax error, located; the key is guessed from the surrounding lines.
fn syntax_error(path: &Path, text: &str, e: &toml::de::Error) -> ScenarioError {
    let offset = e.span().map_or(0, |s| s.start);
    let mut err =
        ScenarioError::new(path, format!("invalid TOML: {}", e.message())).with_key(syntax_key(text, offset));
    (err.line, err.column) = line_col(text, offset);
    err
}

/// Best-effort dotted key of the line holding `offset`: the last table header above it (with
/// the element's `name` for arrays of tables) and the key before `=` on the line itself.
fn syntax_key(text: &str, offset: usize) -> String {
    let end = text.get(..offset.min(text.len())).map_or(0, |before| before.matches('\n').count());
    let lines: Vec<&str> = text.lines().take(end + 1).collect();
    let bare = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-.\" ".contains(c)))
            .then(|| s.replace(' ', ""))
    };
    let mut key = String::new();
    let header_at = lines.iter().rposition(|l| l.trim_start().starts_with('['));
    if let Some(h) = header_at {
        let header = lines.get(h).map_or("", |l| l.trim());
        let array = header.starts_with("[[");
        let name = header.trim_start_matches('[').split(']').next().unwrap_or_default();
        if let Some(name) = bare(name) {
            key = name;
            if array {
                let elem = lines.iter().skip(h + 1).find_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    (k.trim() == "name").then(|| v.trim().trim_matches('"').to_owned())
                });
                if let Some(elem) = elem {
                    key.push_str(&format!("[{elem}]"));
                }
            }
        }
    }
    let line = lines.last().copied().unwrap_or_default();
    if header_at != Some(lines.len().saturating_sub(1))
        && let Some((k, _)) = line.split_once('=')
        && let Some(k) = bare(k)
    {
        if !key.is_empty() {
            key.push('.');
        }
        key.push_str(&k);
    }
    key
}

// ---------------------------------------------------------------------------------------------
// Raw forms of the generic tables.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    description: Option<String>,
    domain: Spanned<String>,
    time_unit: Spanned<String>,
    horizon: Spanned<f64>,
    warmup: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperiment {
    replications: Option<Spanned<u32>>,
    seed: Option<Spanned<u64>>,
    baseline: Option<Spanned<String>>,
    target: Option<Spanned<RawTarget>>,
    max_replications: Option<Spanned<u32>>,
    batch: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    metric: Spanned<String>,
    relative_half_width: Option<Spanned<f64>>,
    half_width: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    name: Spanned<String>,
    description: Option<String>,
    // Checked to be a table here; its entries are read from the tree, where values keep their
    // nested spans.
    #[serde(default)]
    #[expect(dead_code, reason = "only validated: entries are taken from the spanned tree")]
    set: Option<BTreeMap<String, IgnoredAny>>,
}

const DEFAULT_REPLICATIONS: u32 = 10;
const DEFAULT_SEED: u64 = 1;

/// The name of the unmodified scenario in outputs; no variant may take it.
const BASELINE_NAME: &str = "baseline";

/// Validates a domain's root table.
type DomainParser = fn(&Spanned<DeValue<'_>>, &Ctx<'_>) -> Result<ModelConfig, ScenarioError>;

/// A domain a scenario may name, and its parser if implemented.
struct Domain {
    name: &'static str,
    parse: Option<DomainParser>,
}

fn parse_factory(value: &Spanned<DeValue<'_>>, ctx: &Ctx<'_>) -> Result<ModelConfig, ScenarioError> {
    factory::config::parse(value, ctx).map(ModelConfig::Factory)
}

/// Each domain owns the root table named after it (`[factory]`, `[[factory.station]]`, …).
const DOMAINS: [Domain; 3] = [
    Domain { name: factory::config::DOMAIN, parse: Some(parse_factory) },
    Domain { name: "city", parse: None },
    Domain { name: "finance", parse: None },
];

const GENERIC_TABLES: [&str; 6] = ["scenario", "experiment", "plugins", "collect", "variant", "sweep"];

/// The collector that always runs.
pub const DEFAULT_COLLECTOR: &str = "kpi";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugins {
    load: Option<Vec<Spanned<toml::Value>>>,
}

/// Validates one scenario tree (root keys, `[scenario]`, `[experiment]`, the domain's table).
fn build(doc: &DeTable<'_>, ctx: &Ctx<'_>) -> Result<Scenario, ScenarioError> {
    let known = || GENERIC_TABLES.into_iter().chain(DOMAINS.iter().map(|d| d.name));
    let (mut scenario, mut experiment, mut domain_tables) = (None, None, Vec::new());
    let (mut plugins_table, mut collect_table) = (None, None);
    for (k, v) in doc {
        match k.get_ref().as_ref() {
            "scenario" => scenario = Some(v),
            "experiment" => experiment = Some(v),
            "plugins" => plugins_table = Some(v),
            "collect" => collect_table = Some((k, v)),
            // Variants were taken out of the tree; one here was created by a `set`.
            "variant" => {
                return Err(ctx.error_with_key(&k.span(), "variant", "a variant cannot change variants"));
            }
            "sweep" => {
                return Err(ctx.error_with_key(&k.span(), "sweep", "a variant cannot change `[sweep]`"));
            }
            name if DOMAINS.iter().any(|d| d.name == name) => domain_tables.push((k, v)),
            other => {
                return Err(ctx
                    .error_with_key(
                        &k.span(),
                        other,
                        format!("unknown table `{other}` (expected {})", one_of(known())),
                    )
                    .with_suggestion(nearest(other, known())));
            }
        }
    }
    let Some(scenario) = scenario else {
        return Err(ctx.error_with_key(&(0..0), "scenario", "missing table `[scenario]`"));
    };
    let raw: RawScenario = ctx.deserialize(scenario)?;

    if raw.name.get_ref().trim().is_empty() {
        return Err(ctx.error(&raw.name.span(), "`name` must not be empty"));
    }
    let domain_name = raw.domain.get_ref().as_str();
    let Some(domain) = DOMAINS.iter().find(|d| d.name == domain_name) else {
        let names = DOMAINS.iter().map(|d| d.name);
        return Err(ctx
            .error(
                &raw.domain.span(),
                format!("unknown domain `{domain_name}` (expected {})", one_of(names.clone())),
            )
            .with_suggestion(nearest(domain_name, names)));
    };
    let implemented = || DOMAINS.iter().filter(|d| d.parse.is_some()).map(|d| d.name);
    let Some(parse_domain) = domain.parse else {
        return Err(ctx.error(
            &raw.domain.span(),
            format!("domain `{domain_name}` is not available yet (available: {})", list(implemented())),
        ));
    };
    let time_unit = TimeUnit::from_name(raw.time_unit.get_ref()).ok_or_else(|| {
        let units = TimeUnit::ALL.map(TimeUnit::name);
        ctx.error(
            &raw.time_unit.span(),
            format!("unknown time unit `{}` (expected {})", raw.time_unit.get_ref(), one_of(units)),
        )
        .with_suggestion(nearest(raw.time_unit.get_ref(), units))
    })?;
    let horizon_value = *raw.horizon.get_ref();
    let horizon = SimTime::new(horizon_value).ok().filter(|h| h.as_f64() > 0.0).ok_or_else(|| {
        ctx.error(
            &raw.horizon.span(),
            format!("`horizon` must be a finite number > 0, found {horizon_value}"),
        )
    })?;
    let warmup = match &raw.warmup {
        None => SimTime::ZERO,
        Some(w) => {
            let value = *w.get_ref();
            let warmup = SimTime::new(value).map_err(|_| {
                ctx.error(&w.span(), format!("`warmup` must be a finite number >= 0, found {value}"))
            })?;
            if warmup >= horizon {
                return Err(ctx.error(
                    &w.span(),
                    format!("`warmup` ({value}) must be less than `horizon` ({horizon_value})"),
                ));
            }
            warmup
        }
    };

    let config = experiment_config(experiment, ctx)?;

    if let Some((k, _)) = domain_tables.iter().find(|(k, _)| k.get_ref().as_ref() != domain_name) {
        return Err(ctx.error(
            &k.span(),
            format!(
                "table `{}` belongs to domain `{}`, but this scenario's domain is `{domain_name}`",
                k.get_ref(),
                k.get_ref()
            ),
        ));
    }
    let Some((_, table)) = domain_tables.first() else {
        return Err(
            ctx.error(&raw.domain.span(), format!("domain `{domain_name}` needs a `[{domain_name}]` table"))
        );
    };
    let mut plugins = Vec::new();
    if let Some(table) = plugins_table {
        let raw: RawPlugins = ctx.deserialize(table)?;
        for entry in raw.load.iter().flatten() {
            plugins.push(ctx.library_ref(entry)?);
        }
    }
    let mut collect = Vec::new();
    if let Some((key, table)) = collect_table {
        let raw: Vec<Spanned<RawPluginTable>> = ctx.deserialize(table)?;
        for entry in &raw {
            collect.push(ctx.plugin_ref(entry)?);
        }
        if !collect.iter().any(|c| c.names(DEFAULT_COLLECTOR)) {
            collect.insert(0, PluginRef::default_at(ctx, &key.span(), DEFAULT_COLLECTOR));
        }
    } else {
        collect.push(PluginRef::default_at(ctx, &raw.name.span(), DEFAULT_COLLECTOR));
    }
    let model = parse_domain(table, ctx)?;

    Ok(Scenario {
        name: raw.name.into_inner(),
        description: raw.description,
        time_unit,
        horizon,
        warmup,
        experiment: config,
        plugins,
        collect,
        model,
    })
}

/// Validates `[experiment]` (absent: the defaults).
fn experiment_config(
    table: Option<&Spanned<DeValue<'_>>>,
    ctx: &Ctx<'_>,
) -> Result<ExperimentConfig, ScenarioError> {
    let mut config = ExperimentConfig {
        replications: DEFAULT_REPLICATIONS,
        seed: DEFAULT_SEED,
        baseline: BASELINE_NAME.to_owned(),
        target: None,
    };
    let Some(table) = table else { return Ok(config) };
    let raw: RawExperiment = ctx.deserialize(table)?;
    if let Some(r) = &raw.replications {
        let n = *r.get_ref();
        if n == 0 || n > MAX_REPLICATIONS {
            let msg = format!("`replications` must be from 1 to {MAX_REPLICATIONS}, found {n}");
            return Err(ctx.error(&r.span(), &msg));
        }
        config.replications = n;
    }
    if let Some(seed) = raw.seed {
        config.seed = seed.into_inner();
    }
    // Checked against the variants' names once they are all known.
    if let Some(b) = raw.baseline {
        config.baseline = b.into_inner();
    }
    let Some(target) = raw.target else {
        for (key, given) in [("max_replications", &raw.max_replications), ("batch", &raw.batch)] {
            if let Some(v) = given {
                return Err(ctx.error(
                    &v.span(),
                    format!("`{key}` is only used with a precision `target`, and there is none"),
                ));
            }
        }
        return Ok(config);
    };
    let target_span = target.span();
    let RawTarget { metric, relative_half_width, half_width } = target.into_inner();
    if metric.get_ref().trim().is_empty() {
        return Err(ctx.error(&metric.span(), "`metric` must not be empty"));
    }
    let positive = |key: &str, v: &Spanned<f64>| {
        let value = *v.get_ref();
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(ctx.error(&v.span(), format!("`{key}` must be a finite number > 0, found {value}")))
        }
    };
    let half_width = match (&relative_half_width, &half_width) {
        (Some(r), None) => HalfWidth::Relative(positive("relative_half_width", r)?),
        (None, Some(a)) => HalfWidth::Absolute(positive("half_width", a)?),
        (Some(_), Some(a)) => {
            return Err(ctx.error(&a.span(), "give either `relative_half_width` or `half_width`, not both"));
        }
        (None, None) => {
            return Err(ctx.error(
                &target_span,
                "`target` needs `relative_half_width` (a fraction of the mean) or `half_width` (in the \
                 metric's unit)",
            ));
        }
    };
    if config.replications < 2 {
        let span = raw.replications.as_ref().map_or_else(|| target_span.clone(), Spanned::span);
        return Err(ctx.error_with_key(
            &span,
            "experiment.replications",
            format!(
                "with a `target`, `replications` is the first batch and must be >= 2 (a confidence \
                 interval needs two replications), found {}",
                config.replications
            ),
        ));
    }
    let Some(max) = raw.max_replications else {
        return Err(ctx.error(
            &target_span,
            "`target` needs `max_replications` (the most replications per variant, should the target \
             not be met)",
        ));
    };
    let n = *max.get_ref();
    if n < config.replications || n > MAX_REPLICATIONS {
        return Err(ctx.error(
            &max.span(),
            format!(
                "`max_replications` must be from `replications` ({}) to {MAX_REPLICATIONS}, found {n}",
                config.replications
            ),
        ));
    }
    let batch = match &raw.batch {
        None => config.replications,
        Some(b) if *b.get_ref() == 0 => return Err(ctx.error(&b.span(), "`batch` must be >= 1, found 0")),
        Some(b) => *b.get_ref(),
    };
    config.target =
        Some(PrecisionTarget { metric: metric.into_inner(), half_width, max_replications: n, batch });
    Ok(config)
}

/// One entry of a variant's `set`.
struct SetEntry<'i> {
    /// The path as written (dotted keys joined with `.`).
    path: String,
    /// The path's keys, or why it is malformed.
    keys: Result<Vec<PathKey>, String>,
    /// From the start of the first TOML key to the end of the last.
    key_span: Range<usize>,
    value: Spanned<DeValue<'i>>,
}

/// The entries of a `set` table in file order. Paths are usually quoted keys
/// (`"factory.station.mill.machines" = 2`); unquoted dotted keys (`factory.station.mill.machines
/// = 2`) are accepted too and recognised by their table's span being the key's own span.
fn set_entries<'i>(text: &str, set: &DeTable<'i>) -> Vec<SetEntry<'i>> {
    struct Prefix {
        path: Vec<String>,
        keys: Result<Vec<PathKey>, String>,
        start: Option<usize>,
    }
    fn walk<'i>(text: &str, table: &DeTable<'i>, prefix: &Prefix, out: &mut Vec<SetEntry<'i>>) {
        for (k, v) in table {
            let span = k.span();
            let mut path = prefix.path.clone();
            path.push(k.get_ref().to_string());
            let keys = match (&prefix.keys, keys_in(text, k.get_ref(), &span)) {
                (Ok(before), Ok(more)) => Ok(before.iter().cloned().chain(more).collect()),
                (Err(e), _) => Err(e.clone()),
                (_, Err(e)) => Err(e),
            };
            let next = Prefix { path, keys, start: Some(prefix.start.unwrap_or(span.start)) };
            match v.get_ref() {
                DeValue::Table(t) if v.span() == span => walk(text, t, &next, out),
                _ => out.push(SetEntry {
                    path: next.path.join("."),
                    keys: next.keys,
                    key_span: next.start.unwrap_or(span.start)..span.end,
                    value: v.clone(),
                }),
            }
        }
    }
    let mut out = Vec::new();
    walk(text, set, &Prefix { path: Vec::new(), keys: Ok(Vec::new()), start: None }, &mut out);
    out.sort_by_key(|e| e.key_span.start);
    out
}

/// The value as TOML text, for manifests.
fn render(value: &Spanned<DeValue<'_>>) -> String {
    toml::Value::deserialize(ValueDeserializer::from(value.clone()))
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// One path of `[sweep]` and the values it takes.
struct Axis<'i> {
    /// The path as written (dotted keys joined with `.`).
    path: String,
    /// Its keys' names, to compare paths however they were written.
    names: Vec<String>,
    keys: Vec<PathKey>,
    /// From the start of the first TOML key to the end of the last.
    key_span: Range<usize>,
    values: Vec<Spanned<DeValue<'i>>>,
    /// Each value rendered as TOML.
    rendered: Vec<String>,
    /// The shortest suffix of the path that is unique among the swept paths, for names.
    label: String,
}

/// Validates `[sweep]`: each entry a dotted path (as in a variant's `set`) and a non-empty
/// array of the values it takes. Returns the paths in file order.
fn parse_sweep<'i>(
    src: &Source<'_>,
    key: Spanned<Cow<'i, str>>,
    value: Spanned<DeValue<'i>>,
) -> Result<Vec<Axis<'i>>, ScenarioError> {
    // Raw checks see a tree holding only the sweep, so keys read `sweep.…`.
    let mut holder = DeTable::new();
    holder.insert(key, value.clone());
    let ctx = Ctx::new(src, &holder, None);
    let _: BTreeMap<String, IgnoredAny> = ctx.deserialize(&value)?;
    let Some(table) = value.get_ref().as_table() else { return Ok(Vec::new()) };

    let mut axes: Vec<Axis<'i>> = Vec::new();
    for entry in set_entries(src.text, table) {
        let fail = |message: String| ctx.error_with_key(&entry.key_span, entry.path.clone(), message);
        let keys = entry.keys.clone().map_err(fail)?;
        match keys.first().map(|k| k.name.as_str()) {
            Some("experiment") => {
                return Err(fail(
                    "`[sweep]` cannot change `[experiment]`: all variants share replications and seed, so \
                     that their differences are paired; set it in `[experiment]` or with `--set`"
                        .into(),
                ));
            }
            Some(table @ ("sweep" | "variant")) => {
                return Err(fail(format!("`[sweep]` cannot change `{table}`")));
            }
            _ => {}
        }
        let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
        if let Some(other) = axes.iter().find(|a| a.names.starts_with(&names) || names.starts_with(&a.names))
        {
            let (line, _) = src.line_col(other.key_span.start);
            let at =
                if other.key_span.start <= src.text.len() { format!("line {line}") } else { "--set".into() };
            return Err(fail(if other.names == names {
                format!("`{}` is swept twice (first at {at})", entry.path)
            } else if names.starts_with(&other.names) {
                format!(
                    "`{}` lies inside `{}`, also swept (at {at}): sweep one or the other",
                    entry.path, other.path
                )
            } else {
                format!(
                    "`{}` contains `{}`, also swept (at {at}): sweep one or the other",
                    entry.path, other.path
                )
            }));
        }
        let values = match entry.value.get_ref() {
            DeValue::Array(items) if items.is_empty() => {
                return Err(ctx.error_with_key(
                    &entry.value.span(),
                    entry.path.clone(),
                    "expected at least one value to sweep, found an empty array",
                ));
            }
            DeValue::Array(items) => items.to_vec(),
            _ => {
                return Err(ctx.error_with_key(
                    &entry.value.span(),
                    entry.path.clone(),
                    format!(
                        "expected an array of the values to sweep, e.g. `[1, 2, 3]`, found {}{}",
                        found(&entry.value),
                        if entry.value.get_ref().is_table() {
                            " (each path is one key of `[sweep]`: `\"factory.station.mill.machines\" = [1, 2]`)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        };
        axes.push(Axis {
            path: entry.path,
            names,
            keys,
            key_span: entry.key_span,
            rendered: values.iter().map(render).collect(),
            values,
            label: String::new(),
        });
    }
    let labels = labels(&axes.iter().map(|a| a.names.clone()).collect::<Vec<_>>());
    for (axis, label) in axes.iter_mut().zip(labels) {
        axis.label = label;
    }
    Ok(axes)
}

/// A value for "found …" in messages.
fn found(value: &Spanned<DeValue<'_>>) -> String {
    match value.get_ref() {
        DeValue::String(_) => format!("the string {}", render(value)),
        DeValue::Table(_) => "a table".to_owned(),
        _ => render(value),
    }
}

/// For each path, the shortest suffix of its keys that no other path ends with (the whole path
/// when even that is the end of another).
fn labels(paths: &[Vec<String>]) -> Vec<String> {
    paths
        .iter()
        .map(|path| {
            let unique = (1..=path.len())
                .filter_map(|n| path.get(path.len() - n..))
                .find(|suffix| paths.iter().filter(|other| other.ends_with(suffix)).count() == 1);
            join_path(unique.unwrap_or(path))
        })
        .collect()
}

/// The number of grid points of the sweep (0 without one), checked so that the `sources`
/// scenarios swept (the baseline and each explicit variant) generate at most
/// [`MAX_SWEEP_VARIANTS`] variants.
fn grid_size(src: &Source<'_>, axes: &[Axis<'_>], sources: usize) -> Result<usize, ScenarioError> {
    if axes.is_empty() {
        return Ok(0);
    }
    let total = axes.iter().fold(sources, |n, a| n.saturating_mul(a.values.len()));
    let mut running = sources;
    for axis in axes {
        running = running.saturating_mul(axis.values.len());
        if running > MAX_SWEEP_VARIANTS {
            let sizes: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
            return Err(src.error_at(
                &axis.key_span,
                axis.path.clone(),
                format!(
                    "`[sweep]` would generate {total} variants ({sources} swept scenario(s) × {} values), \
                     more than {MAX_SWEEP_VARIANTS}",
                    sizes.join(" × ")
                ),
            ));
        }
    }
    Ok(axes.iter().map(|a| a.values.len()).product())
}

/// The value index of each path at grid point `index` (the last path varies fastest).
fn grid_point(axes: &[Axis<'_>], mut index: usize) -> Vec<usize> {
    let mut digits = vec![0; axes.len()];
    for (digit, axis) in digits.iter_mut().zip(axes).rev() {
        let n = axis.values.len().max(1);
        *digit = index % n;
        index /= n;
    }
    digits
}

/// `label=value` for each path, joined by spaces: `machines=2 buffer=5`.
fn point_name(axes: &[Axis<'_>], digits: &[usize]) -> String {
    let parts: Vec<String> = axes
        .iter()
        .zip(digits)
        .map(|(a, &d)| format!("{}={}", a.label, a.rendered.get(d).map_or("", String::as_str)))
        .collect();
    parts.join(" ")
}

/// The name of the variant generated from `source` (`None`: the baseline) at a grid point.
fn generated_name(source: Option<&str>, point: &str) -> String {
    source.map_or_else(|| point.to_owned(), |v| format!("{v} {point}"))
}

/// Checks that `[experiment] baseline` names the baseline or a variant.
fn check_baseline_name(
    src: &Source<'_>,
    doc: &DeTable<'_>,
    name: &str,
    variants: &[Variant],
) -> Result<(), ScenarioError> {
    if name == BASELINE_NAME || variants.iter().any(|v| v.name == name) {
        return Ok(());
    }
    let span = doc
        .get("experiment")
        .and_then(|e| e.get_ref().as_table())
        .and_then(|t| t.get("baseline"))
        .map_or(0..0, Spanned::span);
    let names: Vec<&str> =
        std::iter::once(BASELINE_NAME).chain(variants.iter().map(|v| v.name.as_str())).collect();
    // A sweep may generate thousands of names: list the first few.
    const LISTED: usize = 12;
    let mut known = list(names.iter().take(LISTED).copied());
    if names.len() > LISTED {
        known.push_str(&format!(", … ({} in all)", names.len()));
    }
    Err(Ctx::new(src, doc, None)
        .error(&span, format!("unknown variant `{name}` (known variants: {known})"))
        .with_suggestion(nearest(name, names.iter().copied())))
}

/// Validates `[[variant]]` and builds each variant on top of `doc` (the overridden baseline),
/// then the variants `[sweep]` generates from the baseline and from each of them.
fn build_variants<'i>(
    src: &Source<'_>,
    doc: &DeTable<'i>,
    entry: Option<(Spanned<Cow<'i, str>>, Spanned<DeValue<'i>>)>,
    axes: &[Axis<'i>],
) -> Result<Vec<Variant>, ScenarioError> {
    // Raw checks see a tree holding only the variants, so keys read `variant[name].…`.
    let mut holder = DeTable::new();
    let value = entry.map(|(key, value)| {
        holder.insert(key, value.clone());
        value
    });
    let ctx = Ctx::new(src, &holder, None);
    let raws: Vec<Spanned<RawVariant>> = match &value {
        Some(value) => ctx.deserialize(value)?,
        None => Vec::new(),
    };
    ctx.names("variant", raws.iter().map(|r| &r.get_ref().name))?;
    let elements =
        value.as_ref().and_then(|v| v.get_ref().as_array()).map(|a| a.as_ref()).unwrap_or_default();

    // Generated names, checked against each other and (below) against the explicit ones.
    let grid = grid_size(src, axes, raws.len() + 1)?;
    let points: Vec<Vec<usize>> = (0..grid).map(|i| grid_point(axes, i)).collect();
    let point_names: Vec<String> = points.iter().map(|p| point_name(axes, p)).collect();
    let mut generated_names = HashSet::new();
    let sources = std::iter::once(None).chain(raws.iter().map(|r| Some(r.get_ref().name.get_ref().as_str())));
    for source in sources {
        // Without a sweep there are no points, so no names.
        for point in &point_names {
            let name = generated_name(source, point);
            if !generated_names.insert(name.clone()) {
                let first = axes.first().map_or(0..0, |a| a.key_span.clone());
                return Err(src.error_at(
                    &first,
                    "sweep",
                    format!(
                        "two variants generated by `[sweep]` would both be named `{name}`: rename a variant"
                    ),
                ));
            }
        }
    }

    let mut variants = Vec::with_capacity(raws.len() * (grid + 1) + grid);
    // The trees the sweep starts from: the baseline's and each explicit variant's.
    let mut swept_sources = Vec::new();
    if grid > 0 {
        swept_sources.push((None, doc.clone(), Vec::new()));
    }
    for (raw, element) in raws.into_iter().zip(elements) {
        let RawVariant { name, description, .. } = raw.into_inner();
        if name.get_ref().eq_ignore_ascii_case(BASELINE_NAME) {
            return Err(ctx.error(
                &name.span(),
                format!("the name `{}` is reserved for the unchanged scenario", name.get_ref()),
            ));
        }
        if generated_names.contains(name.get_ref()) {
            return Err(ctx.error(
                &name.span(),
                format!(
                    "`{}` is also the name of a variant generated by `[sweep]`: rename this variant",
                    name.get_ref()
                ),
            ));
        }
        let set =
            element.get_ref().as_table().and_then(|t| t.get("set")).and_then(|s| s.get_ref().as_table());
        let entries = set.map(|set| set_entries(src.text, set)).unwrap_or_default();
        let name = name.into_inner();

        let mut tree = doc.clone();
        let vctx = Ctx::new(src, &holder, Some(&name));
        for entry in &entries {
            let fail = |message: String| vctx.error_with_key(&entry.key_span, entry.path.clone(), message);
            let keys = entry.keys.clone().map_err(fail)?;
            if keys.first().map(|k| k.name.as_str()) == Some("experiment") {
                return Err(fail(
                    "a variant cannot change `[experiment]`: all variants share replications and seed, so that \
                     their differences are paired; set it in `[experiment]` or with `--set`"
                        .into(),
                ));
            }
            let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
            if let Some(axis) = axes.iter().find(|a| names.starts_with(&a.names)) {
                return Err(fail(if axis.names == names {
                    format!(
                        "`{}` is also swept in [sweep]; the sweep would replace this value: remove it from \
                         `set` or from [sweep]",
                        entry.path
                    )
                } else {
                    format!(
                        "`{}` lies inside `{}`, which is swept in [sweep]; the sweep would replace this \
                         value: remove it from `set` or sweep `{}` instead",
                        entry.path, axis.path, entry.path
                    )
                }));
            }
            apply(&mut tree, &keys, entry.value.clone()).map_err(|e| {
                vctx.error_with_key(&e.span, entry.path.clone(), e.message).with_suggestion(e.suggestion)
            })?;
        }
        let scenario = build(&tree, &Ctx::new(src, &tree, Some(&name)))?;
        let set: Vec<(String, String)> = entries.iter().map(|e| (e.path.clone(), render(&e.value))).collect();
        if grid > 0 {
            swept_sources.push((Some(name.clone()), tree, set.clone()));
        }
        variants.push(Variant { name, description, scenario, set, sweep: Vec::new() });
    }

    for (source, tree, set) in &swept_sources {
        for (digits, point) in points.iter().zip(&point_names) {
            let name = generated_name(source.as_deref(), point);
            let mut tree = tree.clone();
            let vctx = Ctx::new(src, &holder, Some(&name));
            let mut swept = Vec::with_capacity(2 * axes.len());
            let mut changes = Vec::with_capacity(axes.len());
            for (axis, &d) in axes.iter().zip(digits) {
                let (Some(value), Some(rendered)) = (axis.values.get(d), axis.rendered.get(d)) else {
                    continue;
                };
                apply(&mut tree, &axis.keys, value.clone()).map_err(|e| {
                    vctx.error_with_key(&e.span, axis.path.clone(), e.message).with_suggestion(e.suggestion)
                })?;
                // Errors about the value, or about keys the path created, name the path.
                swept.push((value.span(), axis.path.clone()));
                swept.push((axis.key_span.clone(), axis.path.clone()));
                changes.push((axis.path.clone(), rendered.clone()));
            }
            let scenario = build(&tree, &Ctx::new(src, &tree, Some(&name)).with_swept(&swept))?;
            variants.push(Variant {
                name,
                description: None,
                scenario,
                set: set.iter().cloned().chain(changes.iter().cloned()).collect(),
                sweep: changes,
            });
        }
    }
    Ok(variants)
}
