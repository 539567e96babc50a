//! Scenario files: TOML text → validated, typed [`Scenario`]s (a baseline and its variants).
//!
//! ```toml
//! [scenario]
//! name = "mm1"                 # required, non-empty
//! description = "..."          # optional
//! domain = "factory"           # the one domain modelled (city and finance are not available
//!                              #   yet); or `domains = ["factory", ...]` for a region of
//!                              #   several, each with its own table, on one calendar
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

mod overrides;
mod variants;
use variants::{build_variants, check_baseline_name, parse_sweep, values_at};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::util::suggest::{list, nearest, one_of};
use crate::validate::{CliRegion, RawPluginTable, Source, line_col, line_col_bytes};
pub use crate::validate::{LibraryRef, PluginRef, ScenarioError, ValidationCtx, Written};
pub use overrides::Override;
use overrides::{apply, keys_at, shift};

use crate::domains::{self, DomainConfig};
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
        cli.push(CliRegion { span: next..next + r.len(), typed: o.as_typed() });
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
    let baseline = build(&doc, &ValidationCtx::new(&src, &doc, None))?;
    let axes = match sweep_entry {
        Some((key, value)) => parse_sweep(&src, key, value)?,
        None => Vec::new(),
    };
    let variants = build_variants(&src, &doc, variant_entry, &axes)?;
    let baseline_at_sweep = values_at(&doc, &axes);
    check_baseline_name(&src, &doc, &baseline.experiment.baseline, &variants)?;
    Ok(ScenarioFile {
        path: path.to_owned(),
        text: text.to_owned(),
        baseline,
        variants,
        sweep: axes.into_iter().map(|a| a.path).collect(),
        baseline_at_sweep,
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
    domain: Option<Spanned<String>>,
    domains: Option<Spanned<Vec<Spanned<String>>>>,
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

const GENERIC_TABLES: [&str; 6] = ["scenario", "experiment", "plugins", "collect", "variant", "sweep"];

/// The collector that always runs.
pub const DEFAULT_COLLECTOR: &str = "kpi";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugins {
    load: Option<Vec<Spanned<toml::Value>>>,
}

/// Validates one scenario tree (root keys, `[scenario]`, `[experiment]`, the domain's table).
fn build(doc: &DeTable<'_>, ctx: &ValidationCtx<'_>) -> Result<Scenario, ScenarioError> {
    let known = || GENERIC_TABLES.into_iter().chain(domains::NAMES.iter().copied());
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
            name if domains::NAMES.contains(&name) || domains::PLANNED.contains(&name) => {
                domain_tables.push((k, v));
            }
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
    let named = domain_names(&raw, ctx)?;
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

    if let Some((k, _)) =
        domain_tables.iter().find(|(k, _)| !named.iter().any(|n| n.get_ref() == k.get_ref().as_ref()))
    {
        let named: Vec<&str> = named.iter().map(|n| n.get_ref().as_str()).collect();
        let (which, names) = if named.len() == 1 {
            ("domain is", format!("`{}`", named[0]))
        } else {
            ("domains are", list(named.iter().copied()))
        };
        return Err(ctx.error(
            &k.span(),
            format!(
                "table `{}` belongs to domain `{}`, but this scenario's {which} {names}",
                k.get_ref(),
                k.get_ref()
            ),
        ));
    }
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
    let mut domains = Vec::with_capacity(named.len());
    for name in &named {
        let Some((_, table)) = domain_tables.iter().find(|(k, _)| k.get_ref().as_ref() == name.get_ref())
        else {
            return Err(
                ctx.error(&name.span(), format!("domain `{0}` needs a `[{0}]` table", name.get_ref()))
            );
        };
        let Some(config) = DomainConfig::parse(name.get_ref(), table, ctx) else {
            return Err(ctx.error(&name.span(), format!("unknown domain `{}`", name.get_ref())));
        };
        domains.push(config?);
    }
    // Registration order, whatever order the scenario names them in: the order domains are
    // built in, so a region's same-time order does not depend on how the list is written.
    domains.sort_by_key(DomainConfig::rank);

    Ok(Scenario {
        name: raw.name.into_inner(),
        description: raw.description,
        time_unit,
        horizon,
        warmup,
        experiment: config,
        plugins,
        collect,
        domains,
    })
}

/// The domains `[scenario]` names: `domain = "x"` (one) or `domains = ["x", "y"]` (a region),
/// each registered, none twice.
fn domain_names(raw: &RawScenario, ctx: &ValidationCtx<'_>) -> Result<Vec<Spanned<String>>, ScenarioError> {
    let names = match (&raw.domain, &raw.domains) {
        (Some(one), None) => vec![one.clone()],
        (None, Some(many)) if many.get_ref().is_empty() => {
            return Err(ctx.error(&many.span(), "`domains` must name at least one domain"));
        }
        (None, Some(many)) => many.get_ref().clone(),
        (Some(_), Some(many)) => {
            return Err(
                ctx.error(&many.span(), "give either `domain` (one) or `domains` (a region), not both")
            );
        }
        (None, None) => {
            return Err(ctx.error_with_key(
                &raw.name.span(),
                "scenario.domain",
                format!(
                    "`[scenario]` needs `domain` (one of {}) or `domains` (a list of them)",
                    one_of(domains::NAMES.iter().copied())
                ),
            ));
        }
    };
    for (i, name) in names.iter().enumerate() {
        let n = name.get_ref().as_str();
        if domains::PLANNED.contains(&n) {
            return Err(ctx.error(
                &name.span(),
                format!(
                    "domain `{n}` is not available yet (available: {})",
                    list(domains::NAMES.iter().copied())
                ),
            ));
        }
        if !domains::NAMES.contains(&n) {
            let all = domains::NAMES.iter().chain(domains::PLANNED).copied();
            return Err(ctx
                .error(&name.span(), format!("unknown domain `{n}` (expected {})", one_of(all.clone())))
                .with_suggestion(nearest(n, all)));
        }
        if names[..i].iter().any(|m| m.get_ref() == n) {
            return Err(ctx.error(&name.span(), format!("domain `{n}` is named twice")));
        }
    }
    Ok(names)
}

/// Validates `[experiment]` (absent: the defaults).
fn experiment_config(
    table: Option<&Spanned<DeValue<'_>>>,
    ctx: &ValidationCtx<'_>,
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
    let metric_written = Some(ctx.error(&metric.span(), ""));
    config.target = Some(PrecisionTarget {
        metric: metric.into_inner(),
        half_width,
        max_replications: n,
        batch,
        metric_written,
    });
    Ok(config)
}
