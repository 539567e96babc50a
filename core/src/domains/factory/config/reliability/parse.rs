//! Validation of crews and of a station's `failure`, `wear` and `sensor`/`sensors` keys: the keys
//! as written → the types of [`super::types`]. Every error names the file, line, column and key
//! (through `ValidationCtx`), says what was expected, and suggests a near-miss word.

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::super::MAX_MACHINES;
use super::maintenance::{RawMaintenance, maintenance};
use super::types::{
    Basis, CrewConfig, FailureConfig, FilterConfig, Interrupted, LifeConfig, MAX_WEAR_POINTS,
    MaintenanceConfig, SensingConfig, SensorConfig, WearConfig,
};
use crate::dist::DistSpec;
use crate::domains::factory::preflight::number as shown;
use crate::util::suggest::{nearest, one_of};
use crate::validate::{RawPluginTable, ScenarioError, ValidationCtx};

/// `[[factory.crew]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::domains::factory::config) struct RawCrew {
    pub(in crate::domains::factory::config) name: Spanned<String>,
    size: Spanned<u32>,
    dispatch: Option<Spanned<RawPluginTable>>,
}

/// A station's `failure = { ... }` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::domains::factory::config) struct RawFailure {
    mtbf: Spanned<DistSpec>,
    mttr: Spanned<DistSpec>,
    basis: Option<Spanned<String>>,
    crew: Option<Spanned<String>>,
    interrupted: Option<Spanned<String>>,
}

/// A station's `wear = { ... }` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::domains::factory::config) struct RawWear {
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
pub(in crate::domains::factory::config) struct RawSensor {
    every: Spanned<f64>,
    noise_sd: Spanned<f64>,
    gain: Option<Spanned<f64>>,
    filter: Option<Spanned<String>>,
    alpha: Option<Spanned<f64>>,
    process_var: Option<Spanned<f64>>,
    rate_var: Option<Spanned<f64>>,
}

/// A station's keys about its machines' lives, as written.
pub(in crate::domains::factory::config) struct RawLife<'r> {
    /// The station's name, for messages.
    pub(in crate::domains::factory::config) station: &'r str,
    pub(in crate::domains::factory::config) failure: Option<&'r Spanned<RawFailure>>,
    pub(in crate::domains::factory::config) wear: Option<&'r Spanned<RawWear>>,
    pub(in crate::domains::factory::config) sensor: Option<&'r Spanned<RawSensor>>,
    pub(in crate::domains::factory::config) sensors: Option<&'r Spanned<Vec<Spanned<RawSensor>>>>,
    pub(in crate::domains::factory::config) maintenance: Option<&'r Spanned<RawMaintenance>>,
}

const BASES: [(&str, Basis); 2] = [("calendar", Basis::Calendar), ("busy", Basis::Busy)];
const INTERRUPTED: [(&str, Interrupted); 2] =
    [("resume", Interrupted::Resume), ("restart", Interrupted::Restart)];

/// The filters by name.
#[derive(Clone, Copy, PartialEq)]
enum FilterKind {
    None,
    Ewma,
    Kalman,
}
const FILTERS: [(&str, FilterKind); 3] =
    [("none", FilterKind::None), ("ewma", FilterKind::Ewma), ("kalman", FilterKind::Kalman)];

/// The name of `value` among `choices`, written as a word; an error with the nearest one else.
pub(super) fn word<T: Copy>(
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
pub(super) fn word_or<T: Copy>(
    ctx: &ValidationCtx<'_>,
    key: &str,
    value: Option<&Spanned<String>>,
    choices: &[(&'static str, T)],
    default: T,
) -> Result<T, ScenarioError> {
    value.map_or(Ok(default), |v| word(ctx, key, v, choices))
}

/// The name of a choice.
pub(super) fn name_of<T: Copy + PartialEq>(choices: &[(&'static str, T)], t: T) -> &'static str {
    choices.iter().find(|(_, c)| *c == t).map_or("", |(w, _)| w)
}

/// A finite number that passes `ok`, described by `rule` ("> 0") in the error otherwise.
pub(super) fn number(
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
pub(super) fn positive(
    ctx: &ValidationCtx<'_>,
    key: &str,
    value: &Spanned<f64>,
) -> Result<f64, ScenarioError> {
    number(ctx, key, value, "> 0", |x| x > 0.0)
}

/// An error about a key missing from the table at `table`, keyed by that table's path and `key`.
pub(super) fn missing(
    ctx: &ValidationCtx<'_>,
    table: &Range<usize>,
    key: &str,
    message: String,
) -> ScenarioError {
    let mut path = ctx.key_at(table);
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    ctx.error_with_key(table, path, message)
}

/// The index of the crew `name` names.
pub(super) fn crew(
    ctx: &ValidationCtx<'_>,
    name: &Spanned<String>,
    crews: &[&str],
) -> Result<usize, ScenarioError> {
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
pub(in crate::domains::factory::config) fn crews(
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
pub(in crate::domains::factory::config) fn life(
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
                super::super::describe_zero(&mtbf)
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
    // The path's increments are Gamma(step / cv², rate · cv²): both must be finite and > 0 in
    // floating point (a `cv` of 1e-200 squares to 0), or the model could not sample them.
    let (shape, scale) = (step / (cv * cv), rate * cv * cv);
    if !(shape.is_finite() && shape > 0.0 && scale.is_finite() && scale > 0.0) {
        return Err(ctx.error(
            &w.cv.span(),
            format!(
                "`cv` {} with `rate` {} and `step` {} gives wear increments Gamma(shape = step / cv² = {}, scale \
                 = rate · cv² = {}) that cannot be sampled: both must be finite numbers > 0",
                shown(cv),
                shown(rate),
                shown(step),
                shown(shape),
                shown(scale)
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
