//! The machines' lives in a scenario: `[[factory.crew]]` and a station's `failure`, `wear`,
//! `sensor`/`sensors` and `maintenance` keys.
//!
//! ```toml
//! [[factory.crew]]
//! name = "fitters"
//! size = 2                       # people; requests wait first come first served
//! dispatch = { plugin = "fifo" } # optional: a scheduler choosing which waiting request a freed
//!                                # member takes
//!
//! [[factory.station]]
//! name = "press"
//! machines = 5
//! process = { dist = "exponential", mean = 1.0 }
//! # Random failures: time to failure counted in `basis` time, repair time, who repairs.
//! failure = { mtbf = { dist = "exponential", mean = 20.0 }, mttr = { dist = "exponential", mean = 2.0 },
//!             basis = "calendar", crew = "fitters", interrupted = "resume" }
//! # Wear: a gamma process; the machine fails when it reaches `limit`.
//! wear = { rate = 1.0, cv = 0.3, basis = "busy", limit = 100.0 }
//! # A noisy reading of wear every `every` time units, filtered.
//! sensor = { every = 5.0, noise_sd = 2.0, filter = "kalman" }
//! maintenance = { policy = "condition", threshold = 80.0, duration = 1.0, crew = "fitters" }
//! ```

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::MAX_MACHINES;
use crate::dist::{Dist, DistSpec};
use crate::util::suggest::{list, nearest, one_of};
use crate::validate::{PluginRef, RawPluginTable, ScenarioError, ValidationCtx};

/// What a machine's age counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Time up: not failed, not in repair, not in maintenance (idle and blocked count).
    Calendar,
    /// Time processing a job.
    Busy,
}

/// What happens to a job whose machine fails while processing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interrupted {
    /// The remaining processing time continues after the repair.
    Resume,
    /// The job starts over after the repair, with the same sampled processing time.
    Restart,
}

/// A repair crew: `size` people serving repair and maintenance requests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrewConfig {
    /// Unique among crews, and no station has it (both name `utilization.<name>`).
    pub name: String,
    /// People, from 1 to [`super::MAX_MACHINES`].
    pub size: u32,
    /// A scheduler choosing which waiting request a freed member takes; first come first served
    /// when `None`.
    pub dispatch: Option<PluginRef>,
}

/// A station's random failures (`failure = { ... }`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailureConfig {
    /// Time from a renewal to the next random failure [time unit of `basis`].
    pub mtbf: Dist,
    /// Repair time [time unit], once a crew member has started.
    pub mttr: Dist,
    /// What the time to failure counts (default calendar).
    pub basis: Basis,
    /// Index into [`super::FactoryConfig::crews`]; repairs start at once when `None`.
    pub crew: Option<usize>,
    /// What happens to a job interrupted by a failure (default resume).
    pub interrupted: Interrupted,
}

/// A station's wear (`wear = { ... }`): a gamma process in `basis` time, from 0 after each
/// renewal; the machine fails when it reaches `limit`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WearConfig {
    /// Mean wear per time unit of `basis` [wear units per time unit], `> 0`.
    pub rate: f64,
    /// Coefficient of variation of the wear gained over one time unit of `basis`, `> 0`.
    pub cv: f64,
    /// What wear accrues in (default busy).
    pub basis: Basis,
    /// Wear at which the machine fails [wear units], `> 0`.
    pub limit: f64,
    /// Basis time between two points of the simulated wear path [time unit], `> 0`; wear is
    /// linear between them. Default: `limit / rate / 200` (200 points per mean life).
    pub step: f64,
    /// Repair time of a wear-out failure [time unit]; the station's `failure.mttr` when `None`
    /// (required when the station has no `failure`). Validation fills in the default, so it is
    /// `Some` in a parsed scenario.
    pub repair: Option<Dist>,
    /// Who repairs a wear-out failure: index into [`super::FactoryConfig::crews`]; the station's
    /// `failure.crew` when `None` and the station has a `failure` table, else repair starts at
    /// once. Validation fills in `failure.crew` when `wear` names no crew.
    pub crew: Option<usize>,
}

/// One sensor on each machine of a station.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SensorConfig {
    /// Time between two readings [time unit], `> 0`; the first is at `every`.
    pub every: f64,
    /// Standard deviation of the Gaussian noise added to each reading [wear units], `>= 0`.
    pub noise_sd: f64,
    /// A reading is `gain · wear + noise`; 0 makes a sensor of pure noise (default 1).
    pub gain: f64,
}

/// How a machine's readings become an estimate of its wear.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "filter", rename_all = "lowercase")]
pub enum FilterConfig {
    /// The latest reading (fused over the sensors that read at that time).
    None,
    /// Exponentially weighted moving average of the readings.
    Ewma {
        /// Weight of the newest reading, in (0, 1].
        alpha: f64,
    },
    /// A Kalman filter on (level, rate) of wear, fusing all sensors.
    Kalman {
        /// Variance of the level's random increments per time unit [wear²/time unit]; derived
        /// from `wear` (rate² · cv²) when `None`.
        process_var: Option<f64>,
        /// Variance of the rate's random walk per time unit [(wear/time unit)²/time unit];
        /// derived when `None`.
        rate_var: Option<f64>,
    },
}

/// A station's sensors and their common filter (`sensor = {...}` or `sensors = [...]`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SensingConfig {
    /// The sensors on each machine, at least one.
    pub sensors: Vec<SensorConfig>,
    /// The filter all of them feed (default kalman).
    pub filter: FilterConfig,
}

/// When fixed-interval preventive maintenance is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PreventiveBasis {
    /// `every` time units up since the machine's last renewal (age replacement).
    Age,
    /// At `every`, `2·every`, ... for every machine (block replacement).
    Calendar,
}

/// A feature the predictor sees, from a machine's filtered sensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Feature {
    /// The filtered wear estimate [wear units].
    Level,
    /// The filtered wear rate [wear units per time unit].
    Rate,
    /// Time since the machine's last renewal [time unit].
    Age,
}

impl Feature {
    /// Every feature, in the order of their names' documentation.
    pub const ALL: [Feature; 3] = [Feature::Level, Feature::Rate, Feature::Age];

    /// Its name in scenarios and training files.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Level => "level",
            Feature::Rate => "rate",
            Feature::Age => "age",
        }
    }
}

/// Labelled examples read from a `train` file: one row of features per example.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainingFile {
    /// The file as written in the scenario, resolved against the scenario's folder.
    pub path: PathBuf,
    /// SHA-256 of its bytes (so the config's fingerprint changes with its content).
    pub sha256: String,
    /// Row-major features, in the order of [`PredictiveConfig::features`].
    #[serde(skip)]
    pub x: Arc<Vec<f64>>,
    /// The `failed_within` label of each row, 0 or 1.
    #[serde(skip)]
    pub y: Arc<Vec<f64>>,
}

/// Where a predictor learns.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Training {
    /// From the run's own warm-up, during which the machines run to failure.
    Warmup,
    /// From a file of labelled examples.
    File(TrainingFile),
}

/// Predictive maintenance: a predictor plugin's probability of failure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredictiveConfig {
    /// The predictor plugin and its parameters.
    pub predictor: PluginRef,
    /// Horizon of the predicted failure [time unit], `> 0`.
    pub within: f64,
    /// Probability at which maintenance is called, in (0, 1].
    pub threshold: f64,
    /// The features, distinct, at least one (default all of [`Feature::ALL`]).
    pub features: Vec<Feature>,
    /// Where it learns (default the warm-up).
    pub train: Training,
}

/// A station's maintenance policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "policy", rename_all = "kebab-case")]
#[expect(clippy::large_enum_variant, reason = "one per station, read once when a model is built")]
pub enum Policy {
    /// Repair only.
    RunToFailure,
    /// Maintenance every `every` time units.
    Preventive {
        /// Interval [time unit], `> 0`.
        every: f64,
        /// What the interval counts (default age).
        basis: PreventiveBasis,
    },
    /// Maintenance when the filtered wear estimate reaches `threshold` (needs sensors).
    Condition {
        /// Filtered wear that calls maintenance [wear units], `> 0`.
        threshold: f64,
    },
    /// Maintenance when a predictor's probability of failure reaches its threshold (needs
    /// sensors).
    Predictive(PredictiveConfig),
}

/// A station's `maintenance = { ... }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MaintenanceConfig {
    /// When to maintain (default run-to-failure).
    pub policy: Policy,
    /// Time a maintenance action takes [time unit]; required unless run-to-failure.
    pub duration: Option<Dist>,
    /// Who maintains: index into [`super::FactoryConfig::crews`]; maintenance starts at once
    /// when `None`.
    pub crew: Option<usize>,
}

impl MaintenanceConfig {
    /// Repair only.
    pub const RUN_TO_FAILURE: MaintenanceConfig =
        MaintenanceConfig { policy: Policy::RunToFailure, duration: None, crew: None };
}

/// Everything of a station's machines' lives; `None` on a station whose machines never fail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LifeConfig {
    /// Random failures.
    pub failure: Option<FailureConfig>,
    /// Wear and wear-out failures.
    pub wear: Option<WearConfig>,
    /// Sensors of wear (needs `wear`).
    pub sensing: Option<SensingConfig>,
    /// The maintenance policy.
    pub maintenance: MaintenanceConfig,
}

// ---------------------------------------------------------------------------------------------
// Validation: the keys as written → the types above. Every error names the file, line, column
// and key (through `ValidationCtx`), says what was expected, and suggests a near-miss word.

/// Most points of a wear path per mean life (`limit / rate / step`): a machine's wear path is
/// drawn point by point, so a typo such as `step = 1e-9` must be an input error, not hours of
/// drawing or an allocation failure.
pub const MAX_WEAR_POINTS: f64 = 1.0e6;

/// The column of a training file that holds the label.
pub const LABEL_COLUMN: &str = "failed_within";

/// `[[factory.crew]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCrew {
    pub(super) name: Spanned<String>,
    size: Spanned<u32>,
    dispatch: Option<Spanned<RawPluginTable>>,
}

/// A station's `failure = { ... }` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFailure {
    mtbf: Spanned<DistSpec>,
    mttr: Spanned<DistSpec>,
    basis: Option<Spanned<String>>,
    crew: Option<Spanned<String>>,
    interrupted: Option<Spanned<String>>,
}

/// A station's `wear = { ... }` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWear {
    rate: Spanned<f64>,
    cv: Spanned<f64>,
    basis: Option<Spanned<String>>,
    limit: Spanned<f64>,
    step: Option<Spanned<f64>>,
    repair: Option<Spanned<DistSpec>>,
    crew: Option<Spanned<String>>,
}

/// One sensor as written (`sensor = { ... }` or an entry of `sensors = [...]`), with the keys of
/// the filter they all feed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSensor {
    every: Spanned<f64>,
    noise_sd: Spanned<f64>,
    gain: Option<Spanned<f64>>,
    filter: Option<Spanned<String>>,
    alpha: Option<Spanned<f64>>,
    process_var: Option<Spanned<f64>>,
    rate_var: Option<Spanned<f64>>,
}

/// A station's `maintenance = { ... }` as written: the keys of every policy; those of a policy
/// other than the chosen one are refused after deserializing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMaintenance {
    policy: Option<Spanned<String>>,
    duration: Option<Spanned<DistSpec>>,
    crew: Option<Spanned<String>>,
    every: Option<Spanned<f64>>,
    basis: Option<Spanned<String>>,
    threshold: Option<Spanned<f64>>,
    predictor: Option<Spanned<RawPluginTable>>,
    within: Option<Spanned<f64>>,
    features: Option<Spanned<Vec<Spanned<String>>>>,
    train: Option<Spanned<String>>,
}

/// A station's keys about its machines' lives, as written.
pub(super) struct RawLife<'r> {
    /// The station's name, for messages.
    pub(super) station: &'r str,
    pub(super) failure: Option<&'r Spanned<RawFailure>>,
    pub(super) wear: Option<&'r Spanned<RawWear>>,
    pub(super) sensor: Option<&'r Spanned<RawSensor>>,
    pub(super) sensors: Option<&'r Spanned<Vec<Spanned<RawSensor>>>>,
    pub(super) maintenance: Option<&'r Spanned<RawMaintenance>>,
}

const BASES: [(&str, Basis); 2] = [("calendar", Basis::Calendar), ("busy", Basis::Busy)];
const INTERRUPTED: [(&str, Interrupted); 2] =
    [("resume", Interrupted::Resume), ("restart", Interrupted::Restart)];
const PREVENTIVE_BASES: [(&str, PreventiveBasis); 2] =
    [("age", PreventiveBasis::Age), ("calendar", PreventiveBasis::Calendar)];
const FEATURES: [(&str, Feature); 3] =
    [("level", Feature::Level), ("rate", Feature::Rate), ("age", Feature::Age)];

/// The filters by name.
#[derive(Clone, Copy, PartialEq)]
enum FilterKind {
    None,
    Ewma,
    Kalman,
}
const FILTERS: [(&str, FilterKind); 3] =
    [("none", FilterKind::None), ("ewma", FilterKind::Ewma), ("kalman", FilterKind::Kalman)];

/// The policies by name.
#[derive(Clone, Copy, PartialEq)]
enum PolicyKind {
    RunToFailure,
    Preventive,
    Condition,
    Predictive,
}
const POLICIES: [(&str, PolicyKind); 4] = [
    ("run-to-failure", PolicyKind::RunToFailure),
    ("preventive", PolicyKind::Preventive),
    ("condition", PolicyKind::Condition),
    ("predictive", PolicyKind::Predictive),
];

/// The keys of each policy, besides `policy`, `duration` and `crew` that all take.
fn policy_keys(kind: PolicyKind) -> &'static [&'static str] {
    match kind {
        PolicyKind::RunToFailure => &[],
        PolicyKind::Preventive => &["every", "basis"],
        PolicyKind::Condition => &["threshold"],
        PolicyKind::Predictive => &["predictor", "within", "threshold", "features", "train"],
    }
}

/// The name of `value` among `choices`, written as a word; an error with the nearest one else.
fn word<T: Copy>(
    ctx: &ValidationCtx<'_>,
    key: &str,
    value: &Spanned<String>,
    choices: &[(&'static str, T)],
) -> Result<T, ScenarioError> {
    let found = value.get_ref();
    if let Some((_, t)) = choices.iter().find(|(w, _)| w == found) {
        return Ok(*t);
    }
    let words = || choices.iter().map(|(w, _)| *w);
    Err(ctx
        .error(&value.span(), format!("`{key}` must be {}, found \"{found}\"", one_of(words())))
        .with_suggestion(nearest(found, words())))
}

/// [`word`] for an optional key, `default` when absent.
fn word_or<T: Copy>(
    ctx: &ValidationCtx<'_>,
    key: &str,
    value: Option<&Spanned<String>>,
    choices: &[(&'static str, T)],
    default: T,
) -> Result<T, ScenarioError> {
    value.map_or(Ok(default), |v| word(ctx, key, v, choices))
}

/// The name of a choice.
fn name_of<T: Copy + PartialEq>(choices: &[(&'static str, T)], t: T) -> &'static str {
    choices.iter().find(|(_, c)| *c == t).map_or("", |(w, _)| w)
}

/// A finite number that passes `ok`, described by `rule` ("> 0") in the error otherwise.
fn number(
    ctx: &ValidationCtx<'_>,
    key: &str,
    value: &Spanned<f64>,
    rule: &str,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, ScenarioError> {
    let x = *value.get_ref();
    if x.is_finite() && ok(x) {
        Ok(x)
    } else {
        Err(ctx.error(&value.span(), format!("`{key}` must be a finite number {rule}, found {x}")))
    }
}

/// A finite number.
fn finite(ctx: &ValidationCtx<'_>, key: &str, value: &Spanned<f64>) -> Result<f64, ScenarioError> {
    let x = *value.get_ref();
    if x.is_finite() {
        Ok(x)
    } else {
        Err(ctx.error(&value.span(), format!("`{key}` must be a finite number, found {x}")))
    }
}

/// A finite number > 0.
fn positive(ctx: &ValidationCtx<'_>, key: &str, value: &Spanned<f64>) -> Result<f64, ScenarioError> {
    number(ctx, key, value, "> 0", |x| x > 0.0)
}

/// An error about a key missing from the table at `table`, keyed by that table's path and `key`.
fn missing(ctx: &ValidationCtx<'_>, table: &Range<usize>, key: &str, message: String) -> ScenarioError {
    let mut path = ctx.key_at(table);
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    ctx.error_with_key(table, path, message)
}

/// The index of the crew `name` names.
fn crew(ctx: &ValidationCtx<'_>, name: &Spanned<String>, crews: &[&str]) -> Result<usize, ScenarioError> {
    if crews.is_empty() {
        return Err(ctx.error(
            &name.span(),
            format!(
                "unknown crew `{0}`: the factory has no crews (add a `[[factory.crew]]` with `name = \"{0}\"`)",
                name.get_ref()
            ),
        ));
    }
    ctx.lookup("crew", name, crews)
}

/// Validates the `[[factory.crew]]` tables; `names` are their names, already checked unique.
pub(super) fn crews(
    ctx: &ValidationCtx<'_>,
    raw: &[&RawCrew],
    names: &[&str],
    stations: &[&str],
) -> Result<Vec<CrewConfig>, ScenarioError> {
    let mut out = Vec::with_capacity(raw.len());
    for (crew, name) in raw.iter().zip(names) {
        if stations.contains(name) {
            return Err(ctx.error(
                &crew.name.span(),
                format!(
                    "crew `{name}` has the name of a station: both would be reported as `utilization.{name}`; \
                     rename one of them"
                ),
            ));
        }
        let size = *crew.size.get_ref();
        if size == 0 || size > MAX_MACHINES {
            return Err(ctx.error(
                &crew.size.span(),
                format!("`size` must be an integer from 1 to {MAX_MACHINES} (people), found {size}"),
            ));
        }
        let dispatch = crew.dispatch.as_ref().map(|d| ctx.plugin_ref(d)).transpose()?;
        out.push(CrewConfig { name: (*name).to_owned(), size, dispatch });
    }
    Ok(out)
}

/// Validates a station's `failure`, `wear`, `sensor`/`sensors` and `maintenance` keys; `None`
/// when it has none of them. `crews` are the crews' names, in order.
pub(super) fn life(
    ctx: &ValidationCtx<'_>,
    raw: &RawLife<'_>,
    crews: &[&str],
) -> Result<Option<LifeConfig>, ScenarioError> {
    if raw.failure.is_none()
        && raw.wear.is_none()
        && raw.sensor.is_none()
        && raw.sensors.is_none()
        && raw.maintenance.is_none()
    {
        return Ok(None);
    }
    let failure = raw.failure.map(|f| failure(ctx, raw.station, f, crews)).transpose()?;
    let wear = raw.wear.map(|w| wear(ctx, raw.station, w, failure.as_ref(), crews)).transpose()?;
    let sensing = sensing(ctx, raw, wear.as_ref())?;
    let maintenance = match raw.maintenance {
        Some(m) => maintenance(ctx, raw.station, m, sensing.is_some(), crews)?,
        None => MaintenanceConfig::RUN_TO_FAILURE,
    };
    Ok(Some(LifeConfig { failure, wear, sensing, maintenance }))
}

fn failure(
    ctx: &ValidationCtx<'_>,
    station: &str,
    raw: &Spanned<RawFailure>,
    crews: &[&str],
) -> Result<FailureConfig, ScenarioError> {
    let f = raw.get_ref();
    let mtbf = ctx.dist(&f.mtbf)?;
    if mtbf.always_zero() {
        // Each renewal draws the time to the next failure: a time that is always 0 makes a
        // machine fail again the instant it is repaired, forever.
        return Err(ctx.error(
            &f.mtbf.span(),
            format!(
                "`mtbf` of station `{station}` can make infinitely many failures at one instant: every draw \
                 is 0 ({}); give it a positive mean",
                super::describe_zero(&mtbf)
            ),
        ));
    }
    Ok(FailureConfig {
        mtbf,
        mttr: ctx.dist(&f.mttr)?,
        basis: word_or(ctx, "basis", f.basis.as_ref(), &BASES, Basis::Calendar)?,
        crew: f.crew.as_ref().map(|c| crew(ctx, c, crews)).transpose()?,
        interrupted: word_or(ctx, "interrupted", f.interrupted.as_ref(), &INTERRUPTED, Interrupted::Resume)?,
    })
}

fn wear(
    ctx: &ValidationCtx<'_>,
    station: &str,
    raw: &Spanned<RawWear>,
    failure: Option<&FailureConfig>,
    crews: &[&str],
) -> Result<WearConfig, ScenarioError> {
    let w = raw.get_ref();
    let rate = positive(ctx, "rate", &w.rate)?;
    let cv = positive(ctx, "cv", &w.cv)?;
    let basis = word_or(ctx, "basis", w.basis.as_ref(), &BASES, Basis::Busy)?;
    let limit = positive(ctx, "limit", &w.limit)?;
    let step = match &w.step {
        Some(s) => positive(ctx, "step", s)?,
        None => {
            let step = limit / rate / 200.0;
            if !(step.is_finite() && step > 0.0) {
                return Err(missing(
                    ctx,
                    &raw.span(),
                    "step",
                    format!(
                        "the default `step` (limit / rate / 200) is {step}, not a finite number > 0: give `step`"
                    ),
                ));
            }
            step
        }
    };
    let points = limit / rate / step;
    if points > MAX_WEAR_POINTS {
        let at = w.step.as_ref().map_or_else(|| raw.span(), Spanned::span);
        return Err(ctx.error(
            &at,
            format!(
                "`step` {step} makes {points:.3e} points of wear path per mean life (limit / rate / step); at most \
                 {MAX_WEAR_POINTS:.0e} are allowed: give a larger `step`"
            ),
        ));
    }
    let repair = match (&w.repair, failure) {
        (Some(r), _) => ctx.dist(r)?,
        (None, Some(f)) => f.mttr.clone(),
        (None, None) => {
            return Err(missing(
                ctx,
                &raw.span(),
                "repair",
                format!(
                    "missing required key `repair`: station `{station}` has no `failure` table to take the repair \
                     time of a wear-out failure from; give `repair = {{ dist = ... }}` in `wear`"
                ),
            ));
        }
    };
    let crew = match &w.crew {
        Some(c) => Some(crew(ctx, c, crews)?),
        None => failure.and_then(|f| f.crew),
    };
    Ok(WearConfig { rate, cv, basis, limit, step, repair: Some(repair), crew })
}

/// The one value of a filter key over all sensors: they feed one filter, so a key given on
/// several entries must be the same on each.
fn agreed<'r, T: PartialEq + fmt::Debug>(
    ctx: &ValidationCtx<'_>,
    key: &str,
    values: impl Iterator<Item = (usize, Option<&'r Spanned<T>>)>,
) -> Result<Option<&'r Spanned<T>>, ScenarioError> {
    let mut first: Option<(usize, &'r Spanned<T>)> = None;
    for (i, value) in values {
        let Some(value) = value else { continue };
        match first {
            None => first = Some((i, value)),
            Some((j, f)) if f.get_ref() != value.get_ref() => {
                return Err(ctx.error(
                    &value.span(),
                    format!(
                        "`{key}` must be the same on all of a station's sensors (they feed one filter): {:?} here, \
                         {:?} on `sensors[{j}]`",
                        value.get_ref(),
                        f.get_ref()
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(first.map(|(_, v)| v))
}

fn sensing(
    ctx: &ValidationCtx<'_>,
    raw: &RawLife<'_>,
    wear: Option<&WearConfig>,
) -> Result<Option<SensingConfig>, ScenarioError> {
    let (entries, whole, key): (Vec<&Spanned<RawSensor>>, Range<usize>, &str) =
        match (raw.sensor, raw.sensors) {
            (None, None) => return Ok(None),
            (Some(_), Some(many)) => {
                return Err(ctx.error(
                    &many.span(),
                    "give either `sensor` (one sensor) or `sensors` (a list of them), not both",
                ));
            }
            (Some(one), None) => (vec![one], one.span(), "sensor"),
            (None, Some(many)) if many.get_ref().is_empty() => {
                return Err(ctx.error(&many.span(), "`sensors` must list at least one sensor"));
            }
            (None, Some(many)) => (many.get_ref().iter().collect(), many.span(), "sensors"),
        };
    if wear.is_none() {
        return Err(ctx.error(
            &whole,
            format!(
                "station `{}` has `{key}` but no `wear`: sensors read a machine's wear; add \
                 `wear = {{ rate = ..., cv = ..., limit = ... }}`",
                raw.station
            ),
        ));
    }
    let mut sensors = Vec::with_capacity(entries.len());
    for entry in &entries {
        let s = entry.get_ref();
        sensors.push(SensorConfig {
            every: positive(ctx, "every", &s.every)?,
            noise_sd: number(ctx, "noise_sd", &s.noise_sd, ">= 0", |x| x >= 0.0)?,
            gain: s.gain.as_ref().map(|g| finite(ctx, "gain", g)).transpose()?.unwrap_or(1.0),
        });
    }
    let filter = agreed(ctx, "filter", entries.iter().map(|e| e.get_ref().filter.as_ref()).enumerate())?;
    let alpha = agreed(ctx, "alpha", entries.iter().map(|e| e.get_ref().alpha.as_ref()).enumerate())?;
    let process_var =
        agreed(ctx, "process_var", entries.iter().map(|e| e.get_ref().process_var.as_ref()).enumerate())?;
    let rate_var =
        agreed(ctx, "rate_var", entries.iter().map(|e| e.get_ref().rate_var.as_ref()).enumerate())?;
    let kind = word_or(ctx, "filter", filter, &FILTERS, FilterKind::Kalman)?;
    let name = name_of(&FILTERS, kind);
    // Keys of other filters are refused: a silently ignored `alpha` would hide a mistake.
    for (k, given, of) in [
        ("alpha", alpha, FilterKind::Ewma),
        ("process_var", process_var, FilterKind::Kalman),
        ("rate_var", rate_var, FilterKind::Kalman),
    ] {
        if let Some(v) = given
            && kind != of
        {
            return Err(ctx.error(
                &v.span(),
                format!(
                    "`{k}` is a key of filter \"{}\", but this station's filter is \"{name}\"",
                    name_of(&FILTERS, of)
                ),
            ));
        }
    }
    let filter = match kind {
        FilterKind::None => FilterConfig::None,
        FilterKind::Ewma => {
            let Some(alpha) = alpha else {
                let first = entries.first().map_or(whole, |e| e.span());
                return Err(missing(
                    ctx,
                    &first,
                    "alpha",
                    "missing required key `alpha`: filter \"ewma\" needs the weight of the newest reading, in (0, 1]"
                        .to_owned(),
                ));
            };
            FilterConfig::Ewma { alpha: number(ctx, "alpha", alpha, "in (0, 1]", |a| a > 0.0 && a <= 1.0)? }
        }
        FilterKind::Kalman => FilterConfig::Kalman {
            process_var: process_var.map(|v| positive(ctx, "process_var", v)).transpose()?,
            rate_var: rate_var.map(|v| number(ctx, "rate_var", v, ">= 0", |x| x >= 0.0)).transpose()?,
        },
    };
    Ok(Some(SensingConfig { sensors, filter }))
}

fn maintenance(
    ctx: &ValidationCtx<'_>,
    station: &str,
    raw: &Spanned<RawMaintenance>,
    has_sensors: bool,
    crews: &[&str],
) -> Result<MaintenanceConfig, ScenarioError> {
    let m = raw.get_ref();
    let kind = word_or(ctx, "policy", m.policy.as_ref(), &POLICIES, PolicyKind::RunToFailure)?;
    let policy_name = name_of(&POLICIES, kind);
    // Keys of another policy are refused rather than ignored: `every` on a condition policy is a
    // mistake about which policy runs.
    let mut given: Vec<(&str, Range<usize>)> = [
        ("every", m.every.as_ref().map(Spanned::span)),
        ("basis", m.basis.as_ref().map(Spanned::span)),
        ("threshold", m.threshold.as_ref().map(Spanned::span)),
        ("predictor", m.predictor.as_ref().map(Spanned::span)),
        ("within", m.within.as_ref().map(Spanned::span)),
        ("features", m.features.as_ref().map(Spanned::span)),
        ("train", m.train.as_ref().map(Spanned::span)),
    ]
    .into_iter()
    .filter_map(|(k, s)| Some((k, s?)))
    .collect();
    given.sort_by_key(|(_, s)| s.start);
    let own = policy_keys(kind);
    if let Some((key, span)) = given.iter().find(|(k, _)| !own.contains(k)) {
        let owners: Vec<&str> =
            POLICIES.iter().filter(|(_, p)| policy_keys(*p).contains(key)).map(|(w, _)| *w).collect();
        let takes = if own.is_empty() {
            "takes only `duration` and `crew`".to_owned()
        } else {
            format!("takes {} besides `duration` and `crew`", list(own.iter().copied()))
        };
        return Err(ctx
            .error(
                span,
                format!(
                    "`{key}` is a key of policy {}, not of policy \"{policy_name}\" (which {takes})",
                    owners.iter().map(|o| format!("\"{o}\"")).collect::<Vec<_>>().join(" or ")
                ),
            )
            .with_suggestion(nearest(key, own.iter().copied())));
    }
    let duration = match &m.duration {
        Some(d) => Some(ctx.dist(d)?),
        None if kind == PolicyKind::RunToFailure => None,
        None => {
            return Err(missing(
                ctx,
                &raw.span(),
                "duration",
                format!(
                    "missing required key `duration`: policy \"{policy_name}\" needs the time a maintenance action \
                     takes, e.g. `duration = {{ dist = \"exponential\", mean = 1.0 }}`"
                ),
            ));
        }
    };
    let crew = m.crew.as_ref().map(|c| crew(ctx, c, crews)).transpose()?;
    let required = |key: &str, value: Option<&Spanned<f64>>, what: &str| match value {
        Some(v) => Ok(v.clone()),
        None => Err(missing(
            ctx,
            &raw.span(),
            key,
            format!("missing required key `{key}`: policy \"{policy_name}\" needs {what}"),
        )),
    };
    let needs_sensors = || {
        let at = m.policy.as_ref().map_or_else(|| raw.span(), Spanned::span);
        ctx.error(
            &at,
            format!(
                "policy \"{policy_name}\" acts on the filtered sensor readings, but station `{station}` has no \
                 sensor: add `sensor = {{ every = ..., noise_sd = ... }}` (and `wear`, which it reads)"
            ),
        )
    };
    let policy = match kind {
        PolicyKind::RunToFailure => Policy::RunToFailure,
        PolicyKind::Preventive => {
            let every =
                required("every", m.every.as_ref(), "the interval between maintenance actions, `every`")?;
            Policy::Preventive {
                every: positive(ctx, "every", &every)?,
                basis: word_or(ctx, "basis", m.basis.as_ref(), &PREVENTIVE_BASES, PreventiveBasis::Age)?,
            }
        }
        PolicyKind::Condition => {
            if !has_sensors {
                return Err(needs_sensors());
            }
            let threshold =
                required("threshold", m.threshold.as_ref(), "the filtered wear that calls maintenance")?;
            Policy::Condition { threshold: positive(ctx, "threshold", &threshold)? }
        }
        PolicyKind::Predictive => {
            if !has_sensors {
                return Err(needs_sensors());
            }
            let Some(predictor) = &m.predictor else {
                return Err(missing(
                    ctx,
                    &raw.span(),
                    "predictor",
                    format!(
                        "missing required key `predictor`: policy \"{policy_name}\" needs a predictor plugin, e.g. \
                         `predictor = {{ plugin = \"logistic\" }}`"
                    ),
                ));
            };
            let predictor = ctx.plugin_ref(predictor)?;
            let within = required("within", m.within.as_ref(), "the horizon of the predicted failure")?;
            let within = positive(ctx, "within", &within)?;
            let threshold = required(
                "threshold",
                m.threshold.as_ref(),
                "the probability of failure that calls maintenance, in (0, 1]",
            )?;
            let threshold = number(ctx, "threshold", &threshold, "in (0, 1]", |p| p > 0.0 && p <= 1.0)?;
            let features = features(ctx, m.features.as_ref())?;
            let train = match &m.train {
                Some(path) => Training::File(training_file(ctx, path, &features)?),
                None => {
                    // Learning from the warm-up needs one: read the effective `[scenario] warmup`
                    // of this tree (a variant, sweep or `--set` may have changed it).
                    let warmup = ctx.scenario_key::<f64>("warmup").unwrap_or(0.0);
                    if warmup <= 0.0 {
                        return Err(ctx.error(
                            &raw.span(),
                            format!(
                                "policy \"predictive\" without `train` learns from the warm-up, but `[scenario] \
                                 warmup` is {warmup}: set `warmup` > 0, or give `train = \"history.csv\"`"
                            ),
                        ));
                    }
                    Training::Warmup
                }
            };
            Policy::Predictive(PredictiveConfig { predictor, within, threshold, features, train })
        }
    };
    Ok(MaintenanceConfig { policy, duration, crew })
}

/// A predictive policy's `features`: each a known feature, distinct, at least one; all of
/// [`Feature::ALL`] when absent.
fn features(
    ctx: &ValidationCtx<'_>,
    raw: Option<&Spanned<Vec<Spanned<String>>>>,
) -> Result<Vec<Feature>, ScenarioError> {
    let Some(raw) = raw else { return Ok(Feature::ALL.to_vec()) };
    if raw.get_ref().is_empty() {
        return Err(ctx.error(
            &raw.span(),
            format!("`features` must list at least one of {}", list(FEATURES.iter().map(|(w, _)| *w))),
        ));
    }
    let mut out: Vec<Feature> = Vec::with_capacity(raw.get_ref().len());
    for name in raw.get_ref() {
        let f = word(ctx, "features", name, &FEATURES)?;
        if out.contains(&f) {
            return Err(ctx.error(&name.span(), format!("feature \"{}\" is listed twice", name.get_ref())));
        }
        out.push(f);
    }
    Ok(out)
}

/// Reads a `train` file: CSV with a header naming at least the `features` columns and
/// [`LABEL_COLUMN`]; other columns are ignored. Errors are located at the `train` value and name
/// the file (and its line for a bad value).
fn training_file(
    ctx: &ValidationCtx<'_>,
    train: &Spanned<String>,
    features: &[Feature],
) -> Result<TrainingFile, ScenarioError> {
    let written = train.get_ref();
    if written.trim().is_empty() {
        return Err(ctx.error(&train.span(), "`train` must be the path of a CSV file, found an empty string"));
    }
    let path = ctx.file().parent().map(PathBuf::from).unwrap_or_default().join(written);
    let shown = path.display();
    let fail = |message: String| ctx.error(&train.span(), message);
    let bytes =
        std::fs::read(&path).map_err(|e| fail(format!("cannot read the training file `{shown}`: {e}")))?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes.as_slice());
    let header = reader
        .headers()
        .map_err(|e| fail(format!("training file `{shown}`: cannot read its header row: {e}")))?
        .clone();
    let names: Vec<&str> = header.iter().collect();
    let wanted: Vec<&str> = features.iter().map(|f| f.name()).chain([LABEL_COLUMN]).collect();
    let mut columns = Vec::with_capacity(wanted.len());
    for want in &wanted {
        let mut at = names.iter().enumerate().filter(|(_, n)| *n == want).map(|(i, _)| i);
        let Some(i) = at.next() else {
            return Err(fail(format!(
                "training file `{shown}` has no column `{want}` (it needs {}; its header row has {})",
                list(wanted.iter().copied()),
                list(names.iter().copied())
            ))
            .with_suggestion(nearest(want, names.iter().copied()).filter(|n| n != want)));
        };
        if at.next().is_some() {
            return Err(fail(format!("training file `{shown}` has two columns named `{want}`")));
        }
        columns.push(i);
    }
    let (label, feature_columns) = columns.split_last().map_or((0, &[][..]), |(l, f)| (*l, f));
    let mut x = Vec::new();
    let mut y = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| fail(format!("training file `{shown}`: {e}")))?;
        // The reader's position of a record after blank lines is that of the first blank line:
        // skip them, then count the newlines before the record.
        let mut start = record.position().map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        let line = bytes.get(..start).unwrap_or(&bytes).iter().filter(|&&b| b == b'\n').count() + 1;
        let cell = |i: usize| record.get(i).unwrap_or_default();
        for (&i, name) in feature_columns.iter().zip(&wanted) {
            let text = cell(i);
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => x.push(v),
                _ => {
                    return Err(fail(format!(
                        "training file `{shown}` line {line}, column `{name}`: expected a finite number, found \
                         \"{text}\""
                    )));
                }
            }
        }
        let text = cell(label);
        let value = match text.to_ascii_lowercase().as_str() {
            "0" | "false" => 0.0,
            "1" | "true" => 1.0,
            _ => {
                return Err(fail(format!(
                    "training file `{shown}` line {line}, column `{LABEL_COLUMN}`: expected 0, 1, false or true, \
                     found \"{text}\""
                )));
            }
        };
        y.push(value);
    }
    let positives = y.iter().filter(|&&v| v == 1.0).count();
    if positives == 0 || positives == y.len() {
        let what = if y.is_empty() {
            "has no rows".to_owned()
        } else {
            format!("has only rows with `{LABEL_COLUMN}` = {}", u8::from(positives > 0))
        };
        return Err(fail(format!(
            "training file `{shown}` {what}: a predictor cannot learn from one class; it needs rows of both labels"
        )));
    }
    Ok(TrainingFile { sha256: crate::util::sha256_hex(&bytes), path, x: Arc::new(x), y: Arc::new(y) })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::FactoryConfig;
    use super::*;
    use crate::scenario::{Override, Scenario, parse as parse_scenario};

    /// A valid factory with every kind of life: `press` (failure, wear, one sensor, predictive
    /// maintenance learning from the warm-up), `mill` (wear with its own repair, two EWMA
    /// sensors, condition-based maintenance), `lathe` (failure and preventive maintenance) and
    /// `oven` (none: its machines never fail).
    const FULL: &str = r#"[scenario]
name = "f"
domain = "factory"
time_unit = "hour"
horizon = 1000
warmup = 100

[[factory.crew]]
name = "fitters"
size = 2

[[factory.crew]]
name = "riggers"
size = 1
dispatch = { plugin = "fifo" }

[[factory.source]]
name = "orders"
product = "p"
interarrival = 1

[[factory.product]]
name = "p"
route = ["press", "mill", "lathe", "oven"]

[[factory.station]]
name = "press"
machines = 5
process = 0.5
failure = { mtbf = { dist = "exponential", mean = 20.0 }, mttr = { dist = "exponential", mean = 2.0 }, crew = "fitters" }
wear = { rate = 1.0, cv = 0.3, limit = 100.0 }
sensor = { every = 5.0, noise_sd = 2.0 }
maintenance = { policy = "predictive", predictor = { plugin = "logistic" }, within = 10.0, threshold = 0.5, duration = 1.0, crew = "riggers" }

[[factory.station]]
name = "mill"
machines = 1
process = 0.5
wear = { rate = 2.0, cv = 0.5, basis = "calendar", limit = 50.0, step = 0.5, repair = 3.0, crew = "riggers" }
sensors = [{ every = 1.0, noise_sd = 1.0, filter = "ewma", alpha = 0.25 }, { every = 2.0, noise_sd = 0.5, gain = 0.5 }]
maintenance = { policy = "condition", threshold = 40.0, duration = 1.0 }

[[factory.station]]
name = "lathe"
machines = 2
process = 0.5
failure = { mtbf = { dist = "weibull", shape = 2.0, scale = 30.0 }, mttr = 4.0, basis = "busy", interrupted = "restart" }
maintenance = { policy = "preventive", every = 25.0, duration = 1.0, crew = "fitters" }

[[factory.station]]
name = "oven"
machines = 1
process = 0.5
"#;

    fn file_in(dir: &Path, text: &str, sets: &[&str]) -> Result<Vec<FactoryConfig>, ScenarioError> {
        let overrides: Vec<_> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
        let file = parse_scenario(&dir.join("f.toml"), text, &overrides)?;
        let scenarios: Vec<&Scenario> =
            std::iter::once(&file.baseline).chain(file.variants.iter().map(|v| &v.scenario)).collect();
        Ok(scenarios.into_iter().map(|s| crate::domains::factory::config_of(s).clone()).collect())
    }

    fn factory(text: &str) -> Result<FactoryConfig, ScenarioError> {
        Ok(file_in(Path::new(""), text, &[])?.remove(0))
    }

    /// `FULL` with `old` (which must occur once) replaced by `new`.
    fn edit(old: &str, new: &str) -> String {
        assert_eq!(FULL.matches(old).count(), 1, "`{old}` occurs once in FULL");
        FULL.replace(old, new)
    }

    /// 1-based line and column of `needle` in `text`, where it must occur once; at its `^` if it
    /// has one (`"every = ^0"`), which is not part of the text.
    fn at(text: &str, needle: &str) -> (usize, usize) {
        let (before, after) = needle.split_once('^').unwrap_or(("", needle));
        let whole = format!("{before}{after}");
        assert_eq!(text.matches(&whole).count(), 1, "`{whole}` occurs once in:\n{text}");
        let offset = text.find(&whole).unwrap_or_default() + before.len();
        crate::validate::line_col(text, offset)
    }

    /// The error of `text`, checked to be at `needle` (first occurrence) with `key`.
    fn error_at(text: &str, needle: &str, key: &str) -> ScenarioError {
        let e = factory(text).unwrap_err();
        assert_eq!((e.line, e.column), at(text, needle), "{e}");
        assert_eq!(e.key, key, "{e}");
        e
    }

    fn exponential(mean: f64) -> Dist {
        Dist::Exponential { mean }
    }

    #[test]
    fn a_full_config_parses_with_its_defaults() {
        let c = factory(FULL).unwrap();
        let fifo = c.crews[1].dispatch.as_ref().map(|d| d.plugin.as_str());
        assert_eq!(
            (c.crews.len(), c.crews[0].name.as_str(), c.crews[0].size, c.crews[0].dispatch.is_none()),
            (2, "fitters", 2, true)
        );
        assert_eq!((c.crews[1].name.as_str(), c.crews[1].size, fifo), ("riggers", 1, Some("fifo")));

        let press = c.stations[0].life.as_ref().unwrap();
        assert_eq!(
            press.failure,
            Some(FailureConfig {
                mtbf: exponential(20.0),
                mttr: exponential(2.0),
                basis: Basis::Calendar,
                crew: Some(0),
                interrupted: Interrupted::Resume,
            })
        );
        // Wear defaults: busy basis, 200 points per mean life, repairs as the random failures.
        assert_eq!(
            press.wear,
            Some(WearConfig {
                rate: 1.0,
                cv: 0.3,
                basis: Basis::Busy,
                limit: 100.0,
                step: 0.5,
                repair: Some(exponential(2.0)),
                crew: Some(0),
            })
        );
        assert_eq!(
            press.sensing,
            Some(SensingConfig {
                sensors: vec![SensorConfig { every: 5.0, noise_sd: 2.0, gain: 1.0 }],
                filter: FilterConfig::Kalman { process_var: None, rate_var: None },
            })
        );
        let Policy::Predictive(p) = &press.maintenance.policy else { panic!("{:?}", press.maintenance) };
        assert_eq!((p.predictor.plugin.as_str(), p.predictor.params.as_str()), ("logistic", "{}"));
        assert_eq!((p.within, p.threshold), (10.0, 0.5));
        assert_eq!(p.features, Feature::ALL, "all features by default");
        assert_eq!(p.train, Training::Warmup);
        assert_eq!(
            (&press.maintenance.duration, press.maintenance.crew),
            (&Some(Dist::Constant { value: 1.0 }), Some(1))
        );

        let mill = c.stations[1].life.as_ref().unwrap();
        assert_eq!(mill.failure, None);
        assert_eq!(
            mill.wear,
            Some(WearConfig {
                rate: 2.0,
                cv: 0.5,
                basis: Basis::Calendar,
                limit: 50.0,
                step: 0.5,
                repair: Some(Dist::Constant { value: 3.0 }),
                crew: Some(1),
            })
        );
        assert_eq!(
            mill.sensing,
            Some(SensingConfig {
                sensors: vec![
                    SensorConfig { every: 1.0, noise_sd: 1.0, gain: 1.0 },
                    SensorConfig { every: 2.0, noise_sd: 0.5, gain: 0.5 },
                ],
                // Given on the first sensor only: it is the station's one filter.
                filter: FilterConfig::Ewma { alpha: 0.25 },
            })
        );
        assert_eq!(
            mill.maintenance,
            MaintenanceConfig {
                policy: Policy::Condition { threshold: 40.0 },
                duration: Some(Dist::Constant { value: 1.0 }),
                crew: None,
            }
        );

        let lathe = c.stations[2].life.as_ref().unwrap();
        let failure = lathe.failure.as_ref().unwrap();
        assert_eq!(
            (failure.basis, failure.crew, failure.interrupted, &failure.mttr),
            (Basis::Busy, None, Interrupted::Restart, &Dist::Constant { value: 4.0 })
        );
        assert_eq!((&lathe.wear, &lathe.sensing), (&None, &None));
        assert_eq!(lathe.maintenance.policy, Policy::Preventive { every: 25.0, basis: PreventiveBasis::Age });
        assert_eq!(lathe.maintenance.crew, Some(0));

        assert_eq!(c.stations[3].life, None, "a station without these keys never fails");
        let refs: Vec<_> = c.plugin_refs().map(|(r, k)| (r.plugin.as_str(), k)).collect();
        assert!(refs.contains(&("logistic", crate::plugin::ComponentKind::PREDICTOR)), "{refs:?}");
    }

    #[test]
    fn more_defaults_and_overrides() {
        // wear.crew and wear.repair override failure's; a preventive calendar basis; kalman keys;
        // explicit features; maintenance alone (machines that never fail, maintained anyway).
        let text = edit(
            "wear = { rate = 1.0, cv = 0.3, limit = 100.0 }",
            "wear = { rate = 1.0, cv = 0.3, limit = 100.0, repair = 7.0, crew = \"riggers\" }",
        )
        .replace(
            "sensor = { every = 5.0, noise_sd = 2.0 }",
            "sensor = { every = 5.0, noise_sd = 0.0, filter = \"kalman\", process_var = 0.1, rate_var = 0.0 }",
        )
        .replace("threshold = 0.5,", "threshold = 1.0, features = [\"age\", \"level\"],")
        .replace("every = 25.0,", "every = 25.0, basis = \"calendar\",")
        .replace("name = \"oven\"\nmachines = 1\nprocess = 0.5\n", "name = \"oven\"\nmachines = 1\nprocess = 0.5\nmaintenance = { policy = \"preventive\", every = 8, duration = 0.5 }\n");
        let c = factory(&text).unwrap();
        let press = c.stations[0].life.as_ref().unwrap();
        let wear = press.wear.as_ref().unwrap();
        assert_eq!((&wear.repair, wear.crew), (&Some(Dist::Constant { value: 7.0 }), Some(1)));
        let sensing = press.sensing.as_ref().unwrap();
        assert_eq!(sensing.sensors[0].noise_sd, 0.0);
        assert_eq!(sensing.filter, FilterConfig::Kalman { process_var: Some(0.1), rate_var: Some(0.0) });
        let Policy::Predictive(p) = &press.maintenance.policy else { panic!() };
        assert_eq!((p.threshold, p.features.as_slice()), (1.0, &[Feature::Age, Feature::Level][..]));
        let lathe = c.stations[2].life.as_ref().unwrap();
        assert_eq!(
            lathe.maintenance.policy,
            Policy::Preventive { every: 25.0, basis: PreventiveBasis::Calendar }
        );
        let oven = c.stations[3].life.as_ref().unwrap();
        assert_eq!((&oven.failure, &oven.wear, &oven.sensing), (&None, &None, &None));
        assert_eq!(oven.maintenance.policy, Policy::Preventive { every: 8.0, basis: PreventiveBasis::Age });
        // Run-to-failure written out, with a duration and a crew it does not use: accepted.
        let text = edit(
            "maintenance = { policy = \"condition\", threshold = 40.0, duration = 1.0 }",
            "maintenance = { policy = \"run-to-failure\", duration = 1.0, crew = \"fitters\" }",
        );
        let mill = factory(&text).unwrap().stations[1].life.clone().unwrap();
        assert_eq!(mill.maintenance.policy, Policy::RunToFailure);
        // No failure: the wear's own crew, or none.
        let text = edit(", repair = 3.0, crew = \"riggers\" }", ", repair = 3.0 }");
        assert_eq!(
            factory(&text).unwrap().stations[1].life.as_ref().unwrap().wear.as_ref().unwrap().crew,
            None
        );
    }

    #[test]
    fn crews_are_reachable_from_variants_and_set() {
        let text = format!(
            "{FULL}\n[[variant]]\nname = \"one-fitter\"\nset = {{ \"factory.crew.fitters.size\" = 1 }}\n"
        );
        let configs = file_in(Path::new(""), &text, &["factory.crew.riggers.size=3"]).unwrap();
        let sizes: Vec<(u32, u32)> = configs.iter().map(|c| (c.crews[0].size, c.crews[1].size)).collect();
        assert_eq!(sizes, [(2, 3), (1, 3)]);
        let text = format!(
            "{FULL}\n[[variant]]\nname = \"slow-repair\"\nset = {{ \"factory.station.press.failure.mttr\" = {{ dist = \"exponential\", mean = 5.0 }} }}\n"
        );
        let configs = file_in(Path::new(""), &text, &[]).unwrap();
        let mttr =
            |c: &FactoryConfig| c.stations[0].life.as_ref().unwrap().failure.as_ref().unwrap().mttr.clone();
        assert_eq!((mttr(&configs[0]), mttr(&configs[1])), (exponential(2.0), exponential(5.0)));
    }

    #[test]
    fn crew_errors() {
        let e = error_at(
            &edit("name = \"riggers\"", "name = \"fitters\""),
            "\"fitters\"\nsize = 1",
            "factory.crew[fitters].name",
        );
        assert_eq!(e.message, "duplicate crew name `fitters` (first defined at line 9)");
        let e = error_at(
            &edit("name = \"riggers\"", "name = \"oven\""),
            "\"oven\"\nsize = 1",
            "factory.crew[oven].name",
        );
        assert_eq!(
            e.message,
            "crew `oven` has the name of a station: both would be reported as `utilization.oven`; rename one of them"
        );
        let text = edit("size = 2", "size = 0");
        let e = error_at(&text, "size = ^0", "factory.crew[fitters].size");
        assert_eq!(e.message, "`size` must be an integer from 1 to 1000000 (people), found 0");
        let e = error_at(&edit("size = 2", "size = -1"), "-1", "factory.crew[fitters].size");
        assert_eq!(e.message, "expected an integer from 0 to 4294967295, found -1");
        let e = error_at(&edit("size = 2", "sise = 2"), "sise", "factory.crew[fitters].sise");
        assert_eq!(e.suggestion.as_deref(), Some("size"));
        let e = error_at(
            &edit("dispatch = { plugin = \"fifo\" }", "dispatch = { rule = \"fifo\" }"),
            "{ rule",
            "factory.crew[riggers].dispatch.plugin",
        );
        assert!(e.message.starts_with("missing key `plugin`"), "{e}");
        // A reference to a crew that does not exist, from each place that names one.
        for (old, new) in [
            ("crew = \"fitters\" }\nwear", "crew = \"fitter\" }\nwear"),
            ("duration = 1.0, crew = \"riggers\" }", "duration = 1.0, crew = \"fitter\" }"),
            ("repair = 3.0, crew = \"riggers\"", "repair = 3.0, crew = \"fitter\""),
            ("duration = 1.0, crew = \"fitters\" }", "duration = 1.0, crew = \"fitter\" }"),
        ] {
            let text = edit(old, new);
            let e = factory(&text).unwrap_err();
            assert_eq!((e.line, e.column), at(&text, "\"fitter\""), "{e}");
            assert!(e.key.ends_with(".crew"), "{e}");
            assert_eq!(e.message, "unknown crew `fitter` (known crews: `fitters`, `riggers`)");
            assert_eq!(e.suggestion.as_deref(), Some("fitters"));
        }
        // Without any crew, the message says how to add one.
        let text = FULL.replacen("[[factory.crew]]\nname = \"fitters\"\nsize = 2\n\n[[factory.crew]]\nname = \"riggers\"\nsize = 1\ndispatch = { plugin = \"fifo\" }\n", "", 1);
        let e = error_at(&text, "crew = ^\"fitters\" }\nwear", "factory.station[press].failure.crew");
        assert_eq!(
            e.message,
            "unknown crew `fitters`: the factory has no crews (add a `[[factory.crew]]` with `name = \"fitters\"`)"
        );
    }

    #[test]
    fn failure_errors() {
        let failure = "failure = { mtbf = { dist = \"exponential\", mean = 20.0 }, mttr = { dist = \"exponential\", mean = 2.0 }, crew = \"fitters\" }";
        let with = |keys: &str| edit(failure, &format!("failure = {{ {keys} }}"));
        let e = error_at(
            &with("mtbf = 20, mttr = 2, basis = \"calender\""),
            "\"calender\"",
            "factory.station[press].failure.basis",
        );
        assert_eq!(e.message, "`basis` must be one of `calendar`, `busy`, found \"calender\"");
        assert_eq!(e.suggestion.as_deref(), Some("calendar"));
        let e = error_at(
            &with("mtbf = 20, mttr = 2, interrupted = \"resumes\""),
            "\"resumes\"",
            "factory.station[press].failure.interrupted",
        );
        assert_eq!(e.message, "`interrupted` must be one of `resume`, `restart`, found \"resumes\"");
        assert_eq!(e.suggestion.as_deref(), Some("resume"));
        let e = error_at(&with("mtbf = 0, mttr = 2"), "mtbf = ^0,", "factory.station[press].failure.mtbf");
        assert_eq!(
            e.message,
            "`mtbf` of station `press` can make infinitely many failures at one instant: every draw is 0 (a constant \
             0); give it a positive mean"
        );
        let e = error_at(
            &with("mtbf = { dist = \"uniform\", min = 0, max = 0 }, mttr = 2"),
            "{ dist = \"uniform\"",
            "factory.station[press].failure.mtbf",
        );
        assert!(e.message.contains("(`uniform` with `max = 0`)"), "{e}");
        let e = error_at(
            &with("mtbf = 20, mttr = { dist = \"exponential\", mean = -2 }"),
            "mean = ^-2",
            "factory.station[press].failure.mttr.mean",
        );
        assert_eq!(e.message, "`mean` must be > 0, found -2");
        let e = error_at(&with("mtbf = 20, mttr = -2"), "mttr = ^-2", "factory.station[press].failure.mttr");
        assert!(e.message.contains(">= 0"), "{e}");
        let e = error_at(&with("mtbf = 20"), "{ mtbf = 20 }", "factory.station[press].failure.mttr");
        assert_eq!(e.message, "missing required key `mttr`");
        let e =
            error_at(&with("mtbf = 20, mttr = 2, mtrr = 2"), "mtrr", "factory.station[press].failure.mtrr");
        assert!(e.message.starts_with("unknown key `mtrr` (expected one of `mtbf`, `mttr`"), "{e}");
        assert_eq!(e.suggestion.as_deref(), Some("mttr"));
        let e = error_at(&edit(failure, "failure = 3"), "failure = ^3", "factory.station[press].failure");
        assert_eq!(e.message, "expected a table, found 3");
    }

    #[test]
    fn wear_errors() {
        let wear = "wear = { rate = 1.0, cv = 0.3, limit = 100.0 }";
        let with = |keys: &str| edit(wear, &format!("wear = {{ {keys} }}"));
        let key = |k: &str| format!("factory.station[press].wear.{k}");
        for (keys, needle, k, message) in [
            (
                "rate = 0, cv = 0.3, limit = 100",
                "rate = ^0,",
                "rate",
                "`rate` must be a finite number > 0, found 0",
            ),
            (
                "rate = 1, cv = -0.3, limit = 100",
                "cv = ^-0.3",
                "cv",
                "`cv` must be a finite number > 0, found -0.3",
            ),
            (
                "rate = 1, cv = 0.3, limit = nan",
                "limit = ^nan",
                "limit",
                "`limit` must be a finite number > 0, found NaN",
            ),
            (
                "rate = 1, cv = 0.3, limit = 100, step = 0",
                "step = ^0 }",
                "step",
                "`step` must be a finite number > 0, found 0",
            ),
            (
                "rate = 1, cv = 0.3, limit = 100, basis = \"bussy\"",
                "\"bussy\"",
                "basis",
                "`basis` must be one of `calendar`, `busy`, found \"bussy\"",
            ),
            (
                "rate = 1, cv = 0.3, limit = 100, repair = { dist = \"normal\", mean = 1 }",
                "{ dist = \"normal\"",
                "repair",
                "",
            ),
        ] {
            let e = error_at(&with(keys), needle, &key(k));
            if !message.is_empty() {
                assert_eq!(e.message, message);
            }
        }
        let e = error_at(&with("rate = 1, cv = 0.3, limit = 100, step = 1e-5"), "step = ^1e-5", &key("step"));
        assert_eq!(
            e.message,
            "`step` 0.00001 makes 1.000e7 points of wear path per mean life (limit / rate / step); at most 1e6 are \
             allowed: give a larger `step`"
        );
        let e = error_at(&with("rate = 1e-300, cv = 0.3, limit = 1e300"), "{ rate = 1e-300", &key("step"));
        assert_eq!(
            e.message,
            "the default `step` (limit / rate / 200) is inf, not a finite number > 0: give `step`"
        );
        let e = error_at(&with("rate = 1, cv = 0.3"), "{ rate = 1, cv = 0.3 }", &key("limit"));
        assert_eq!(e.message, "missing required key `limit`");
        // Without a failure table, `repair` is required.
        let text = edit(", repair = 3.0, crew = \"riggers\" }", ", crew = \"riggers\" }");
        let e = error_at(&text, "{ rate = 2.0", "factory.station[mill].wear.repair");
        assert_eq!(
            e.message,
            "missing required key `repair`: station `mill` has no `failure` table to take the repair time of a \
             wear-out failure from; give `repair = { dist = ... }` in `wear`"
        );
    }

    #[test]
    fn sensor_errors() {
        let sensor = "sensor = { every = 5.0, noise_sd = 2.0 }";
        let with = |keys: &str| edit(sensor, &format!("sensor = {{ {keys} }}"));
        let key = |k: &str| format!("factory.station[press].sensor.{k}");
        for (keys, needle, k, message) in [
            (
                "every = 0, noise_sd = 2",
                "every = ^0,",
                "every",
                "`every` must be a finite number > 0, found 0",
            ),
            (
                "every = 5, noise_sd = -1",
                "noise_sd = ^-1",
                "noise_sd",
                "`noise_sd` must be a finite number >= 0, found -1",
            ),
            (
                "every = 5, noise_sd = 1, gain = inf",
                "gain = ^inf",
                "gain",
                "`gain` must be a finite number, found inf",
            ),
            (
                "every = 5, noise_sd = 1, filter = \"kalmann\"",
                "\"kalmann\"",
                "filter",
                "`filter` must be one of `none`, `ewma`, `kalman`, found \"kalmann\"",
            ),
            (
                "every = 5, noise_sd = 1, filter = \"ewma\", alpha = 0",
                "alpha = ^0 }",
                "alpha",
                "`alpha` must be a finite number in (0, 1], found 0",
            ),
            (
                "every = 5, noise_sd = 1, filter = \"ewma\", alpha = 1.5",
                "alpha = ^1.5",
                "alpha",
                "`alpha` must be a finite number in (0, 1], found 1.5",
            ),
            (
                "every = 5, noise_sd = 1, alpha = 0.5",
                "alpha = ^0.5 }",
                "alpha",
                "`alpha` is a key of filter \"ewma\", but this station's filter is \"kalman\"",
            ),
            (
                "every = 5, noise_sd = 1, filter = \"ewma\", alpha = 0.5, process_var = 1",
                "process_var = ^1 }",
                "process_var",
                "`process_var` is a key of filter \"kalman\", but this station's filter is \"ewma\"",
            ),
            (
                "every = 5, noise_sd = 1, filter = \"none\", rate_var = 1",
                "rate_var = ^1 }",
                "rate_var",
                "`rate_var` is a key of filter \"kalman\", but this station's filter is \"none\"",
            ),
            (
                "every = 5, noise_sd = 1, process_var = 0",
                "process_var = ^0 }",
                "process_var",
                "`process_var` must be a finite number > 0, found 0",
            ),
            (
                "every = 5, noise_sd = 1, rate_var = -1",
                "rate_var = ^-1",
                "rate_var",
                "`rate_var` must be a finite number >= 0, found -1",
            ),
            (
                "every = 5, noise_sd = 1, filter = \"ewma\"",
                "sensor = ^{ every = 5",
                "alpha",
                "missing required key `alpha`: filter \"ewma\" needs the weight of the newest reading, in (0, 1]",
            ),
            ("every = 5", "sensor = ^{ every = 5 }", "noise_sd", "missing required key `noise_sd`"),
        ] {
            let text = with(keys);
            let e = error_at(&text, needle, &key(k));
            assert_eq!(e.message, message, "{keys}");
        }
        let e =
            error_at(&with("every = 5, noise_sd = 1, filter = \"kalmann\""), "\"kalmann\"", &key("filter"));
        assert_eq!(e.suggestion.as_deref(), Some("kalman"));
        let e = error_at(&with("every = 5, noise_sd = 1, nois_sd = 2"), "nois_sd", &key("nois_sd"));
        assert_eq!(e.suggestion.as_deref(), Some("noise_sd"));

        // Several sensors: the filter keys must agree.
        let sensors = "sensors = [{ every = 1.0, noise_sd = 1.0, filter = \"ewma\", alpha = 0.25 }, { every = 2.0, noise_sd = 0.5, gain = 0.5 }]";
        let many = |second: &str| {
            edit(
                sensors,
                &format!(
                    "sensors = [{{ every = 1.0, noise_sd = 1.0, filter = \"ewma\", alpha = 0.25 }}, {{ {second} }}]"
                ),
            )
        };
        let e = error_at(
            &many("every = 2, noise_sd = 1, filter = \"kalman\""),
            "\"kalman\"",
            "factory.station[mill].sensors[1].filter",
        );
        assert_eq!(
            e.message,
            "`filter` must be the same on all of a station's sensors (they feed one filter): \"kalman\" here, \"ewma\" \
             on `sensors[0]`"
        );
        let e = error_at(
            &many("every = 2, noise_sd = 1, alpha = 0.5"),
            "alpha = ^0.5 }",
            "factory.station[mill].sensors[1].alpha",
        );
        assert!(e.message.starts_with("`alpha` must be the same on all of a station's sensors"), "{e}");
        assert!(
            factory(&many("every = 2, noise_sd = 1, filter = \"ewma\", alpha = 0.25")).is_ok(),
            "the same keys agree"
        );
        let e = error_at(
            &many("every = -2, noise_sd = 1"),
            "every = ^-2",
            "factory.station[mill].sensors[1].every",
        );
        assert_eq!(e.message, "`every` must be a finite number > 0, found -2");
        let e = error_at(&edit(sensors, "sensors = []"), "[]", "factory.station[mill].sensors");
        assert_eq!(e.message, "`sensors` must list at least one sensor");
        let text = edit(sensors, &format!("{sensors}\nsensor = {{ every = 1, noise_sd = 1 }}"));
        let e = error_at(&text, "[{ every = 1.0", "factory.station[mill].sensors");
        assert_eq!(e.message, "give either `sensor` (one sensor) or `sensors` (a list of them), not both");
        // Sensors read wear.
        let text = edit("wear = { rate = 1.0, cv = 0.3, limit = 100.0 }\n", "");
        let e = error_at(&text, "sensor = ^{ every = 5.0", "factory.station[press].sensor");
        assert_eq!(
            e.message,
            "station `press` has `sensor` but no `wear`: sensors read a machine's wear; add `wear = { rate = ..., cv = \
             ..., limit = ... }`"
        );
    }

    #[test]
    fn maintenance_errors() {
        let condition = "maintenance = { policy = \"condition\", threshold = 40.0, duration = 1.0 }";
        let mill = |keys: &str| edit(condition, &format!("maintenance = {{ {keys} }}"));
        let key = |k: &str| format!("factory.station[mill].maintenance.{k}");
        let e = error_at(&mill("policy = \"predictve\", duration = 1"), "\"predictve\"", &key("policy"));
        assert_eq!(
            e.message,
            "`policy` must be one of `run-to-failure`, `preventive`, `condition`, `predictive`, found \"predictve\""
        );
        assert_eq!(e.suggestion.as_deref(), Some("predictive"));
        let e = error_at(
            &mill("policy = \"condition\", threshold = 40, every = 5, duration = 1"),
            "every = ^5, duration",
            &key("every"),
        );
        assert_eq!(
            e.message,
            "`every` is a key of policy \"preventive\", not of policy \"condition\" (which takes `threshold` besides \
             `duration` and `crew`)"
        );
        let e = error_at(&mill("duration = 1, threshold = 40"), "threshold = ^40", &key("threshold"));
        assert_eq!(
            e.message,
            "`threshold` is a key of policy \"condition\" or \"predictive\", not of policy \"run-to-failure\" (which \
             takes only `duration` and `crew`)"
        );
        let e = error_at(
            &mill("policy = \"condition\", threshold = 40"),
            "^{ policy = \"condition\", threshold = 40 }",
            &key("duration"),
        );
        assert!(e.message.starts_with("missing required key `duration`: policy \"condition\" needs"), "{e}");
        let e = error_at(
            &mill("policy = \"condition\", duration = 1"),
            "^{ policy = \"condition\", duration = 1 }",
            &key("threshold"),
        );
        assert_eq!(
            e.message,
            "missing required key `threshold`: policy \"condition\" needs the filtered wear that calls maintenance"
        );
        let e = error_at(
            &mill("policy = \"condition\", threshold = 0, duration = 1"),
            "threshold = ^0,",
            &key("threshold"),
        );
        assert_eq!(e.message, "`threshold` must be a finite number > 0, found 0");
        let e = error_at(
            &mill("policy = \"condition\", threshold = 4, duration = { dist = \"exponential\", mean = -1 }"),
            "mean = ^-1",
            &key("duration.mean"),
        );
        assert_eq!(e.message, "`mean` must be > 0, found -1");
        let e = error_at(
            &mill("policy = \"condition\", threshold = 4, duration = 1, crw = \"fitters\""),
            "crw",
            &key("crw"),
        );
        assert_eq!(e.suggestion.as_deref(), Some("crew"));

        // Preventive.
        let preventive =
            "maintenance = { policy = \"preventive\", every = 25.0, duration = 1.0, crew = \"fitters\" }";
        let lathe = |keys: &str| edit(preventive, &format!("maintenance = {{ {keys} }}"));
        let key = |k: &str| format!("factory.station[lathe].maintenance.{k}");
        let e = error_at(
            &lathe("policy = \"preventive\", duration = 1"),
            "^{ policy = \"preventive\", duration = 1 }",
            &key("every"),
        );
        assert!(e.message.starts_with("missing required key `every`"), "{e}");
        let e = error_at(
            &lathe("policy = \"preventive\", every = -25, duration = 1"),
            "every = ^-25",
            &key("every"),
        );
        assert_eq!(e.message, "`every` must be a finite number > 0, found -25");
        let e = error_at(
            &lathe("policy = \"preventive\", every = 25, basis = \"busy\", duration = 1"),
            "basis = ^\"busy\", duration",
            &key("basis"),
        );
        assert_eq!(e.message, "`basis` must be one of `age`, `calendar`, found \"busy\"");
        // Condition-based and predictive maintenance need a sensor.
        let text = lathe("policy = \"condition\", threshold = 4, duration = 1");
        let e = error_at(&text, "\"condition\", threshold = 4,", &key("policy"));
        assert_eq!(
            e.message,
            "policy \"condition\" acts on the filtered sensor readings, but station `lathe` has no sensor: add \
             `sensor = { every = ..., noise_sd = ... }` (and `wear`, which it reads)"
        );
        let text = lathe(
            "policy = \"predictive\", predictor = { plugin = \"logistic\" }, within = 1, threshold = 0.5, duration = 1",
        );
        let e = error_at(
            &text,
            "\"predictive\", predictor = { plugin = \"logistic\" }, within = 1,",
            &key("policy"),
        );
        assert!(e.message.starts_with("policy \"predictive\" acts on the filtered sensor readings"), "{e}");
    }

    #[test]
    fn predictive_errors() {
        let predictive = "maintenance = { policy = \"predictive\", predictor = { plugin = \"logistic\" }, within = 10.0, threshold = 0.5, duration = 1.0, crew = \"riggers\" }";
        let press = |keys: &str| {
            edit(predictive, &format!("maintenance = {{ policy = \"predictive\", duration = 1.0, {keys} }}"))
        };
        let key = |k: &str| format!("factory.station[press].maintenance.{k}");
        let p = "predictor = { plugin = \"logistic\" }";
        let table = |keys: &str| format!("^{{ policy = \"predictive\", duration = 1.0, {keys} }}");
        let e = error_at(
            &press("within = 10, threshold = 0.5"),
            &table("within = 10, threshold = 0.5"),
            &key("predictor"),
        );
        assert!(e.message.starts_with("missing required key `predictor`"), "{e}");
        let e = error_at(
            &press("predictor = { l2 = 1 }, within = 10, threshold = 0.5"),
            "{ l2",
            &key("predictor.plugin"),
        );
        assert!(e.message.starts_with("missing key `plugin`"), "{e}");
        let e = error_at(
            &press(&format!("{p}, threshold = 0.5")),
            &table(&format!("{p}, threshold = 0.5")),
            &key("within"),
        );
        assert_eq!(
            e.message,
            "missing required key `within`: policy \"predictive\" needs the horizon of the predicted failure"
        );
        let e =
            error_at(&press(&format!("{p}, within = 0, threshold = 0.5")), "within = ^0,", &key("within"));
        assert_eq!(e.message, "`within` must be a finite number > 0, found 0");
        let e = error_at(
            &press(&format!("{p}, within = 10, threshold = 1.5")),
            "threshold = ^1.5",
            &key("threshold"),
        );
        assert_eq!(e.message, "`threshold` must be a finite number in (0, 1], found 1.5");
        let e = error_at(
            &press(&format!("{p}, within = 10")),
            &table(&format!("{p}, within = 10")),
            &key("threshold"),
        );
        assert!(e.message.starts_with("missing required key `threshold`"), "{e}");
        let e = error_at(
            &press(&format!("{p}, within = 10, threshold = 0.5, features = [\"level\", \"wear\"]")),
            "\"wear\"",
            &key("features[1]"),
        );
        assert_eq!(e.message, "`features` must be one of `level`, `rate`, `age`, found \"wear\"");
        let e = error_at(
            &press(&format!("{p}, within = 10, threshold = 0.5, features = [\"level\", \"rat\"]")),
            "\"rat\"",
            &key("features[1]"),
        );
        assert_eq!(e.suggestion.as_deref(), Some("rate"));
        let e = error_at(
            &press(&format!("{p}, within = 10, threshold = 0.5, features = [\"age\", \"age\"]")),
            "\"age\"]",
            &key("features[1]"),
        );
        assert_eq!(e.message, "feature \"age\" is listed twice");
        let e = error_at(
            &press(&format!("{p}, within = 10, threshold = 0.5, features = []")),
            "[]",
            &key("features"),
        );
        assert_eq!(e.message, "`features` must list at least one of `level`, `rate`, `age`");
        let e = error_at(
            &press(&format!("{p}, within = 10, threshold = 0.5, every = 3")),
            "every = ^3",
            &key("every"),
        );
        assert!(
            e.message.starts_with("`every` is a key of policy \"preventive\", not of policy \"predictive\""),
            "{e}"
        );
    }

    #[test]
    fn learning_from_the_warmup_needs_one() {
        let message = "policy \"predictive\" without `train` learns from the warm-up, but `[scenario] warmup` is 0: set \
                       `warmup` > 0, or give `train = \"history.csv\"`";
        let text = edit("warmup = 100\n", "");
        let e = error_at(&text, "{ policy = \"predictive\"", "factory.station[press].maintenance");
        assert_eq!(e.message, message);
        let e = error_at(
            &edit("warmup = 100", "warmup = 0"),
            "{ policy = \"predictive\"",
            "factory.station[press].maintenance",
        );
        assert_eq!(e.message, message);
        // The effective warm-up: `--set` and a variant's `set` count.
        let dir = Path::new("");
        let e = file_in(dir, FULL, &["scenario.warmup=0"]).unwrap_err();
        assert_eq!((e.line, e.column), at(FULL, "{ policy = \"predictive\""));
        assert_eq!(e.message, message);
        assert!(file_in(dir, &text, &["scenario.warmup=5"]).is_ok(), "a warm-up from --set is enough");
        let policy = at(FULL, "{ policy = \"predictive\"");
        let variant = format!("{FULL}\n[[variant]]\nname = \"cold\"\nset = {{ \"scenario.warmup\" = 0 }}\n");
        let e = file_in(dir, &variant, &[]).unwrap_err();
        assert_eq!((e.line, e.column, e.variant.as_deref()), (policy.0, policy.1, Some("cold")));
        assert_eq!(e.message, message);
        let sweep = format!("{FULL}\n[sweep]\n\"scenario.warmup\" = [10, 0]\n");
        let e = file_in(dir, &sweep, &[]).unwrap_err();
        assert_eq!((e.line, e.column), policy, "a sweep point without a warm-up is refused: {e}");
        assert_eq!(e.message, message);
        // With a training file, no warm-up is needed (see the training tests).
    }

    /// Writes `files` into a fresh folder and parses `text` as `f.toml` in it.
    fn with_files(
        text: &str,
        files: &[(&str, &str)],
    ) -> (tempfile::TempDir, Result<FactoryConfig, ScenarioError>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        let parsed = file_in(dir.path(), text, &[]).map(|mut c| c.remove(0));
        (dir, parsed)
    }

    fn trained(train: &str) -> String {
        edit(
            "threshold = 0.5,",
            &format!("threshold = 0.5, features = [\"age\", \"level\"], train = {train},"),
        )
        .replace("warmup = 100\n", "")
    }

    #[test]
    fn a_training_file_is_read_in_the_order_of_the_features() {
        let csv = "level, rate,age,failed_within,comment\n10,0.1,5,0,x\n\n90,1.5,80,true,y\n50,1,40,FALSE,z\n 70 ,1,60, 1 ,\n";
        let (dir, parsed) = with_files(&trained("\"history.csv\""), &[("history.csv", csv)]);
        let c = parsed.unwrap();
        let Policy::Predictive(p) = &c.stations[0].life.as_ref().unwrap().maintenance.policy else {
            panic!()
        };
        let Training::File(t) = &p.train else { panic!("{:?}", p.train) };
        assert_eq!(t.path, dir.path().join("history.csv"));
        assert_eq!(t.sha256, crate::util::sha256_hex(csv.as_bytes()));
        assert_eq!(*t.x, [5.0, 10.0, 80.0, 90.0, 40.0, 50.0, 60.0, 70.0], "(age, level) per row");
        assert_eq!(*t.y, [0.0, 1.0, 0.0, 1.0]);
        // In a subfolder, relative to the scenario's folder.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/h.csv"), "age,level,failed_within\n1,2,0\n3,4,1\n").unwrap();
        let c = file_in(dir.path(), &trained("\"data/h.csv\""), &[]).unwrap().remove(0);
        let Policy::Predictive(p) = &c.stations[0].life.as_ref().unwrap().maintenance.policy else {
            panic!()
        };
        let Training::File(t) = &p.train else { panic!() };
        assert_eq!(*t.x, [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn training_file_errors_name_the_file_and_the_train_key() {
        let text = trained("\"history.csv\"");
        let key = "factory.station[press].maintenance.train";
        let check = |csv: Option<&str>, fragment: &str| {
            let files: Vec<(&str, &str)> = csv.map(|c| ("history.csv", c)).into_iter().collect();
            let (dir, parsed) = with_files(&text, &files);
            let e = parsed.unwrap_err();
            assert_eq!(
                (e.line, e.column, e.key.as_str()),
                (at(&text, "\"history.csv\"").0, at(&text, "\"history.csv\"").1, key),
                "{e}"
            );
            let shown = dir.path().join("history.csv").display().to_string();
            assert!(e.message.contains(&format!("`{shown}`")), "{e}");
            assert!(e.message.contains(fragment), "`{fragment}` in: {e}");
            e
        };
        let e = check(None, "cannot read the training file");
        assert!(e.message.starts_with("cannot read the training file `"), "{e}");
        let e = check(
            Some("age,levl,failed_within\n1,2,0\n"),
            "has no column `level` (it needs `age`, `level`, `failed_within`; its header row has `age`, `levl`, `failed_within`)",
        );
        assert_eq!(e.suggestion.as_deref(), Some("levl"));
        check(Some("age,level\n1,2\n"), "has no column `failed_within`");
        check(Some(""), "has no column `age`");
        check(Some("age,level,level,failed_within\n1,2,3,0\n"), "has two columns named `level`");
        check(
            Some("age,level,failed_within\n1,2,0\n3,x,1\n"),
            "line 3, column `level`: expected a finite number, found \"x\"",
        );
        check(
            Some("age,level,failed_within\n1,2,0\n\n3,inf,1\n"),
            "line 4, column `level`: expected a finite number, found \"inf\"",
        );
        check(
            Some("age,level,failed_within\r\n1,2,0\r\n\r\n\r\n3,4,1\r\n5,1e999,0\r\n"),
            "line 6, column `level`: expected a finite number, found \"1e999\"",
        );
        check(
            Some("age,level,failed_within\n1,2,0\n3,4,yes\n"),
            "line 3, column `failed_within`: expected 0, 1, false or true, found \"yes\"",
        );
        check(Some("age,level,failed_within\n1,2,0\n3,4\n"), "found record with 2 fields");
        check(
            Some("age,level,failed_within\n1,2,0\n3,4,0\n"),
            "has only rows with `failed_within` = 0: a predictor cannot learn from one class",
        );
        check(Some("age,level,failed_within\n1,2,1\n"), "has only rows with `failed_within` = 1");
        check(Some("age,level,failed_within\n"), "has no rows");
        let e = error_at(&trained("\"\""), "\"\",", key);
        assert_eq!(e.message, "`train` must be the path of a CSV file, found an empty string");
    }
}
