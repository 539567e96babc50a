//! Validation of the `[city]` table: the keys of `[city]` itself, then the network (explicit or
//! generated), the signals, the demand, in that order. Each stage lives in its own file; this one
//! holds the raw table, the small checks every stage shares and the order they run in.
//!
//! Every key (defaults in brackets; times in s, lengths in m, speeds in m/s, flows in veh/h):
//!
//! - `[city]`: `discharge` ("slotted" | "continuous") · `yellow` [3] · `all_red` [2] ·
//!   `startup_lost` [2] · `clearance_lost` [2] · `min_green` [5] · `max_green` [none] · `signal`
//!   (controller of every junction without its own, [`{ plugin = "fixed_time", mode =
//!   "webster" }`]) · `stop_threshold` [the approach's saturation headway] · `stuck_time` [300] ·
//!   `gridlock` ("flag" | "release") · `permitted_left_factor` [0.5] · `day_start` (hour of the
//!   day at t = 0) [0] · `point_queue` [false]. The scenario's `time_unit` must be "second".
//! - `[[city.node]]`: `name`, `phases` (each an array of in-link names, meaning all their
//!   movements, or `"in>out"` movements), `signal`, `at = [x, y]`, `permitted` (`"in>out"` left
//!   turns that yield to opposing traffic), and the timing keys above, which override
//!   `[city]`'s. `min_green`/`max_green` also come from the controller's own parameters of the
//!   same name (node key > controller parameter > `[city]` key > default).
//! - `[[city.link]]`: `name`, `from`, `to`, `length`, `lanes`, `speed`, `saturation`
//!   (per lane), `storage` [⌊lanes·length/7.5⌋]. A node no `[[city.node]]` names is a boundary.
//! - `[[city.point]]`: `name`, `at` — coordinates of a boundary node.
//! - `[city.network]`: `kind = "grid"`, `rows`, `cols`, `block` [300], `fringe` [300], `lanes`
//!   [2], `speed` [13.89], `saturation` [1800], `phases` ("two" | "four") — see `grid.rs`.
//! - `[[city.flow]]`: `name`; `route = [links]` | `from`/`to` nodes | `route = "turn_ratios"`
//!   with `from` = first link; `rate` | `profile = [..]` with `profile_step` [3600] | `profile =
//!   { kind = "double_peak", base, am, pm, factor, width }`; `arrivals` ("poisson" |
//!   "deterministic" with `headway`, `offset` [0]) — see `demand.rs`.
//! - `[[city.turn]]`: `at`, `from`, `ratios = { out-link = p, .. }` (sum 1).
//! - `[city.trips]`: `file` (CSV `depart,route`, relative to the scenario) — see `trips.rs`.
//! - `[city.freight]`: `from`, `per_vehicle`, `to`, `period` [60].

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeValue;

use super::demand::{RawFlow, RawFreight, RawTurn};
use super::grid::RawGrid;
use super::network::{RawLink, RawNode, RawPoint};
use super::signal::TimingKeys;
use super::trips::RawTrips;
use super::{CityConfig, DOMAIN, Discharge, Gridlock, demand, grid, network, signal, trips};
use crate::util::suggest::nearest;
use crate::validate::{PluginRef, RawPluginTable, ScenarioError, ValidationCtx};

/// The controller of every signalised node that names none, when `[city]` names none either.
pub const DEFAULT_SIGNAL: &str = "fixed_time";

/// Its parameters (JSON object text, sorted keys, as [`PluginRef::params`]).
pub const DEFAULT_SIGNAL_PARAMS: &str = r#"{"mode":"webster"}"#;

/// The `[city]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCity {
    discharge: Option<Spanned<String>>,
    yellow: Option<Spanned<f64>>,
    all_red: Option<Spanned<f64>>,
    startup_lost: Option<Spanned<f64>>,
    clearance_lost: Option<Spanned<f64>>,
    min_green: Option<Spanned<f64>>,
    max_green: Option<Spanned<f64>>,
    signal: Option<Spanned<RawPluginTable>>,
    stop_threshold: Option<Spanned<f64>>,
    stuck_time: Option<Spanned<f64>>,
    gridlock: Option<Spanned<String>>,
    permitted_left_factor: Option<Spanned<f64>>,
    day_start: Option<Spanned<f64>>,
    point_queue: Option<bool>,
    pub(super) node: Option<Spanned<Vec<Spanned<RawNode>>>>,
    pub(super) link: Option<Spanned<Vec<Spanned<RawLink>>>>,
    pub(super) point: Option<Spanned<Vec<Spanned<RawPoint>>>>,
    pub(super) network: Option<Spanned<RawGrid>>,
    flow: Option<Spanned<Vec<Spanned<RawFlow>>>>,
    turn: Option<Spanned<Vec<Spanned<RawTurn>>>>,
    trips: Option<Spanned<RawTrips>>,
    freight: Option<Spanned<RawFreight>>,
}

/// Validates the `city` table. Errors name file, line, column and key.
pub(crate) fn parse(
    value: &Spanned<DeValue<'_>>,
    ctx: &ValidationCtx<'_>,
) -> Result<CityConfig, ScenarioError> {
    check_time_unit(ctx, value)?;
    let raw: RawCity = ctx.deserialize(value)?;
    let whole = value.span();

    let discharge = match &raw.discharge {
        None => Discharge::Slotted,
        Some(d) => word(ctx, d, &[("slotted", Discharge::Slotted), ("continuous", Discharge::Continuous)])?,
    };
    let gridlock = match &raw.gridlock {
        None => Gridlock::Flag,
        Some(g) => word(ctx, g, &[("flag", Gridlock::Flag), ("release", Gridlock::Release)])?,
    };
    let stop_threshold =
        raw.stop_threshold.as_ref().map(|s| at_least_zero(ctx, s, "stop_threshold")).transpose()?;
    let stuck_time = raw.stuck_time.as_ref().map_or(Ok(300.0), |s| positive(ctx, s, "stuck_time"))?;
    let permitted_left_factor = match &raw.permitted_left_factor {
        None => 0.5,
        Some(f) if f.get_ref().is_finite() && *f.get_ref() > 0.0 && *f.get_ref() <= 1.0 => *f.get_ref(),
        Some(f) => {
            return Err(ctx.error(
                &f.span(),
                format!("`permitted_left_factor` must be a number in (0, 1], found {}", f.get_ref()),
            ));
        }
    };
    let day_start = match &raw.day_start {
        None => 0.0,
        Some(d) if d.get_ref().is_finite() && (0.0..24.0).contains(d.get_ref()) => *d.get_ref(),
        Some(d) => {
            return Err(ctx.error(
                &d.span(),
                format!(
                    "`day_start` is the hour of day at t = 0: a number in [0, 24), found {}",
                    d.get_ref()
                ),
            ));
        }
    };
    let default_signal = match &raw.signal {
        Some(table) => ctx.plugin_ref(table)?,
        None => {
            let mut r = PluginRef::default_at(ctx, &whole, DEFAULT_SIGNAL);
            r.params = DEFAULT_SIGNAL_PARAMS.to_owned();
            r
        }
    };
    let defaults = TimingKeys {
        yellow: raw.yellow.as_ref(),
        all_red: raw.all_red.as_ref(),
        startup_lost: raw.startup_lost.as_ref(),
        clearance_lost: raw.clearance_lost.as_ref(),
        min_green: raw.min_green.as_ref(),
        max_green: raw.max_green.as_ref(),
    };

    let mut layout = match &raw.network {
        Some(g) => grid::layout(ctx, g, &raw)?,
        None => network::layout(ctx, &whole, &raw)?,
    };
    let checks = signal::controls(ctx, &mut layout, &defaults, &default_signal, permitted_left_factor)?;
    let net = layout.finish();

    let flows: Vec<&Spanned<RawFlow>> = raw.flow.iter().flat_map(|f| f.get_ref()).collect();
    let turns: Vec<&RawTurn> = raw.turn.iter().flat_map(|t| t.get_ref()).map(Spanned::get_ref).collect();
    let turn_configs = demand::turns(ctx, &net, &turns)?;
    let flow_configs = demand::flows(ctx, &net, &flows, &turn_configs, day_start)?;
    let trips = raw.trips.as_ref().map(|t| trips::read(ctx, &net, t)).transpose()?;
    let freight = raw.freight.as_ref().map(|f| demand::freight(ctx, &net, f)).transpose()?;
    let used = demand::used_movements(&net, &flow_configs, &turn_configs, trips.as_ref(), freight.as_ref());
    signal::check_conflicts(ctx, &net.config, &checks, &used)?;
    if flow_configs.is_empty() && trips.is_none() && freight.is_none() {
        return Err(ctx.error_with_key(
            &whole,
            format!("{DOMAIN}.flow"),
            "the city has no traffic: give at least one `[[city.flow]]`, a `[city.trips]` file or `[city.freight]`",
        ));
    }

    Ok(CityConfig {
        discharge,
        stop_threshold,
        stuck_time,
        gridlock,
        day_start,
        point_queue: raw.point_queue.unwrap_or(false),
        network: net.config,
        flows: flow_configs,
        turns: turn_configs,
        trips,
        freight,
    })
}

/// A city counts in seconds (speeds in m/s, rates in veh/h, signal times in s): any other
/// `time_unit` would silently rescale every number.
fn check_time_unit(ctx: &ValidationCtx<'_>, whole: &Spanned<DeValue<'_>>) -> Result<(), ScenarioError> {
    let Some(unit) = ctx.scenario_key::<Spanned<String>>("time_unit") else { return Ok(()) };
    if unit.get_ref() == "second" {
        return Ok(());
    }
    let message = format!(
        "a city runs in seconds (speeds in m/s, signal times in s): `time_unit` must be \"second\", found \"{}\"",
        unit.get_ref()
    );
    // Spans of values from `--set` lie past the text; the scenario key still names it.
    let span = if unit.span().is_empty() { whole.span() } else { unit.span() };
    Err(ctx.error_with_key(&span, "scenario.time_unit", message))
}

/// One of a fixed set of words, or an error listing them.
pub(super) fn word<T: Copy>(
    ctx: &ValidationCtx<'_>,
    value: &Spanned<String>,
    options: &[(&str, T)],
) -> Result<T, ScenarioError> {
    if let Some((_, t)) = options.iter().find(|(w, _)| *w == value.get_ref()) {
        return Ok(*t);
    }
    let names: Vec<&str> = options.iter().map(|(w, _)| *w).collect();
    let expected = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    };
    Err(ctx
        .error(&value.span(), format!("expected {expected}, found `{}`", value.get_ref()))
        .with_suggestion(nearest(value.get_ref(), names.iter().copied())))
}

/// A finite number > 0.
pub(super) fn positive(ctx: &ValidationCtx<'_>, v: &Spanned<f64>, key: &str) -> Result<f64, ScenarioError> {
    let x = *v.get_ref();
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(ctx.error(&v.span(), format!("`{key}` must be a finite number > 0, found {x}")))
    }
}

/// A finite number ≥ 0.
pub(super) fn at_least_zero(
    ctx: &ValidationCtx<'_>,
    v: &Spanned<f64>,
    key: &str,
) -> Result<f64, ScenarioError> {
    let x = *v.get_ref();
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(ctx.error(&v.span(), format!("`{key}` must be a finite number >= 0, found {x}")))
    }
}

/// Checks that the names of one kind (`link`, `node`, …) are non-empty and unique:
/// "link `a` is defined twice (first at line 12)".
pub(super) fn unique<'n>(
    ctx: &ValidationCtx<'_>,
    kind: &str,
    names: impl IntoIterator<Item = &'n Spanned<String>>,
) -> Result<Vec<&'n str>, ScenarioError> {
    let mut seen: std::collections::HashMap<&'n str, std::ops::Range<usize>> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for name in names {
        let text = name.get_ref().as_str();
        if text.trim().is_empty() {
            return Err(ctx.error(&name.span(), format!("a {kind} name must not be empty")));
        }
        if let Some(first) = seen.get(text) {
            let line = ctx.error(first, "").line;
            let at = if line > 0 { format!("line {line}") } else { "the command line".to_owned() };
            return Err(ctx.error(&name.span(), format!("{kind} `{text}` is defined twice (first at {at})")));
        }
        seen.insert(text, name.span());
        out.push(text);
    }
    Ok(out)
}
