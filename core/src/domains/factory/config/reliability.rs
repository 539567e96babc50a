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

/// Most points of a wear path per mean life (`limit / rate / step`): every point is drawn and
/// may be kept, so a typo such as `step = 1e-9` must be an input error, not hours of drawing.
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
const INTERRUPTED: [(&str, Interrupted); 2] = [("resume", Interrupted::Resume), ("restart", Interrupted::Restart)];
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

fn finite(ctx: &ValidationCtx<'_>, key: &str, value: &Spanned<f64>) -> Result<f64, ScenarioError> {
    let x = *value.get_ref();
    if x.is_finite() {
        Ok(x)
    } else {
        Err(ctx.error(&value.span(), format!("`{key}` must be a finite number, found {x}")))
    }
}

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

/// Validates a station's lives keys; `None` when it has none of them. `crews` are the crews'
/// names, in order.
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
                    format!("the default `step` (limit / rate / 200) is {step}, not a finite number > 0: give `step`"),
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
    let (entries, whole, key): (Vec<&Spanned<RawSensor>>, Range<usize>, &str) = match (raw.sensor, raw.sensors) {
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
    let process_var = agreed(ctx, "process_var", entries.iter().map(|e| e.get_ref().process_var.as_ref()).enumerate())?;
    let rate_var = agreed(ctx, "rate_var", entries.iter().map(|e| e.get_ref().rate_var.as_ref()).enumerate())?;
    let kind = word_or(ctx, "filter", filter, &FILTERS, FilterKind::Kalman)?;
    let name = name_of(&FILTERS, kind);
    // Keys of other filters are refused: a silently ignored `alpha` would hide a mistake.
    for (k, given, of) in [("alpha", alpha, FilterKind::Ewma), ("process_var", process_var, FilterKind::Kalman), ("rate_var", rate_var, FilterKind::Kalman)] {
        if let Some(v) = given && kind != of {
            return Err(ctx.error(
                &v.span(),
                format!("`{k}` is a key of filter \"{}\", but this station's filter is \"{name}\"", name_of(&FILTERS, of)),
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
            let every = required("every", m.every.as_ref(), "the interval between maintenance actions, `every`")?;
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
        let line = record.position().map_or(0, csv::Position::line);
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
