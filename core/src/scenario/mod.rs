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
//! [experiment]                 # optional
//! replications = 8             # >= 1, default 10
//! seed = 1                     # default 1
//!
//! [[factory.station]]          # the domain's own tables: see the domain's `config` module
//! # ...
//!
//! [[variant]]                  # a what-if: dotted-path overrides of the baseline
//! name = "two-mills"           # unique, not "baseline"
//! description = "..."          # optional
//! set = { "factory.station.mill.machines" = 2 }
//! ```
//!
//! The domain's tables are validated by its module, e.g. [`crate::domains::factory::config`];
//! this module knows only their root names (one per domain).
//!
//! Loading goes: parse the text into a tree of spanned TOML values; apply `--set` overrides
//! ([`Override`]); deserialize the generic tables into raw serde structs
//! (`deny_unknown_fields`) and validate them; hand the domain's table to the domain module.
//! Each variant is the overridden baseline tree with the variant's `set` applied on top, then
//! validated the same way. Values keep the location they were written at, so an error in a
//! value set by a variant points at that variant's `set` entry.
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
use std::collections::BTreeMap;
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
use overrides::{PathKey, apply, keys_at, keys_in, shift};
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

/// How many replications to run, from which master seed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentConfig {
    /// Replications per variant, `>= 1`.
    pub replications: u32,
    /// Master seed of all random streams.
    pub seed: u64,
    /// Name of the variant the others are compared against (default `baseline`).
    pub baseline: String,
    /// Optional precision target: replications are added in batches until it is met.
    pub target: Option<PrecisionTarget>,
}

/// A precision target: replications are added in batches until every variant's confidence
/// interval of `metric` is narrow enough.
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

/// A required confidence-interval half-width.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HalfWidth {
    /// Relative to the absolute value of the mean (0.01 = 1 %).
    Relative(f64),
    /// In the metric's own unit.
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
    /// The changes, in the order written: (dotted path, value rendered as TOML).
    pub set: Vec<(String, String)>,
    /// The grid point of a variant generated by `[sweep]`: (dotted path, value as TOML); empty
    /// otherwise.
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
    /// The variants, in file order, each on top of the overridden baseline.
    pub variants: Vec<Variant>,
    /// The swept dotted paths of `[sweep]`, in file order (empty without a sweep).
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
    let baseline = build(&doc, &Ctx::new(&src, &doc, None))?;
    let variants = match variant_entry {
        Some((key, value)) => build_variants(&src, &doc, key, value)?,
        None => Vec::new(),
    };
    Ok(ScenarioFile { path: path.to_owned(), text: text.to_owned(), baseline, variants, sweep: Vec::new() })
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

const GENERIC_TABLES: [&str; 5] = ["scenario", "experiment", "plugins", "collect", "variant"];

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

    let mut config = ExperimentConfig {
        replications: DEFAULT_REPLICATIONS,
        seed: DEFAULT_SEED,
        baseline: BASELINE_NAME.to_owned(),
        target: None,
    };
    if let Some(experiment) = experiment {
        let raw: RawExperiment = ctx.deserialize(experiment)?;
        if let Some(r) = raw.replications {
            let n = *r.get_ref();
            if n == 0 || n > MAX_REPLICATIONS {
                let msg = format!("`replications` must be from 1 to {MAX_REPLICATIONS}, found {n}");
                return Err(ctx.error(&r.span(), &msg));
            }
            config.replications = r.into_inner();
        }
        if let Some(seed) = raw.seed {
            config.seed = seed.into_inner();
        }
    }

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

/// Validates `[[variant]]` and builds each variant on top of `doc` (the overridden baseline).
fn build_variants<'i>(
    src: &Source<'_>,
    doc: &DeTable<'i>,
    key: Spanned<Cow<'i, str>>,
    value: Spanned<DeValue<'i>>,
) -> Result<Vec<Variant>, ScenarioError> {
    // Raw checks see a tree holding only the variants, so keys read `variant[name].…`.
    let mut holder = DeTable::new();
    holder.insert(key, value.clone());
    let ctx = Ctx::new(src, &holder, None);
    let raws: Vec<Spanned<RawVariant>> = ctx.deserialize(&value)?;
    ctx.names("variant", raws.iter().map(|r| &r.get_ref().name))?;
    let elements = value.get_ref().as_array().map(|a| a.as_ref()).unwrap_or_default();

    let mut variants = Vec::with_capacity(raws.len());
    for (raw, element) in raws.into_iter().zip(elements) {
        let RawVariant { name, description, .. } = raw.into_inner();
        if name.get_ref().eq_ignore_ascii_case(BASELINE_NAME) {
            return Err(ctx.error(
                &name.span(),
                format!("the name `{}` is reserved for the unchanged scenario", name.get_ref()),
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
            apply(&mut tree, &keys, entry.value.clone()).map_err(|e| {
                vctx.error_with_key(&e.span, entry.path.clone(), e.message).with_suggestion(e.suggestion)
            })?;
        }
        let scenario = build(&tree, &Ctx::new(src, &tree, Some(&name)))?;
        variants.push(Variant {
            name,
            description,
            scenario,
            set: entries.iter().map(|e| (e.path.clone(), render(&e.value))).collect(),
            sweep: Vec::new(),
        });
    }
    Ok(variants)
}
