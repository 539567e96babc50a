//! The `[factory]` tables of a scenario: sources of orders, products with routes, stations of
//! parallel machines.
//!
//! ```toml
//! [[factory.source]]
//! name = "orders"
//! product = "widget"           # must name a product
//! interarrival = { dist = "exponential", mean = 1.25 }   # must not be always 0
//! due = { dist = "uniform", min = 5, max = 15 }   # optional: due date = arrival + sample
//! weight = 2.0                 # optional, > 0, default 1: the jobs' weight (priority)
//!
//! [[factory.product]]
//! name = "widget"
//! route = ["mill", "lathe"]    # non-empty; each must name a station; revisits allowed
//! process = { mill = { dist = "exponential", mean = 0.5 }, lathe = 2.5 }   # optional overrides
//! known_times = false          # optional: true samples each job's processing times at release
//!                              # and shows schedulers the true values (clairvoyant scheduling)
//! destination = "north"        # optional: where its finished jobs are shipped (a name other
//!                              # domains of a region may read on each `Shipment`)
//!
//! [[factory.station]]
//! name = "mill"
//! machines = 1                 # integer >= 1
//! buffer = 10                  # optional: waiting places, not counting jobs in service;
//!                              # "unlimited" (the default) lets a variant or sweep lift a limit
//! process = { dist = "exponential", mean = 1.0 }   # optional if every product overrides it
//! dispatch = { plugin = "spt" }   # optional, default fifo: the scheduler picking the next job
//! ```
//!
//! Machines may fail, wear out, carry sensors and be maintained (all optional; a station with
//! none of these keys has machines that never fail):
//!
//! ```toml
//! [[factory.crew]]
//! name = "fitters"             # unique among crews, and not a station's name
//! size = 2                     # people, integer >= 1; requests wait first come first served
//! dispatch = { plugin = "fifo" }   # optional: a scheduler choosing the waiting request to serve
//!
//! [[factory.station]]
//! name = "press"
//! machines = 5
//! process = { dist = "exponential", mean = 1.0 }
//! # Random failures: time to failure (must not be always 0) counted in `basis` time
//! # ("calendar", the default, or "busy"); repair time; who repairs (repair starts at once without
//! # `crew`); a job interrupted by a failure "resume"s (default) or "restart"s.
//! failure = { mtbf = { dist = "exponential", mean = 20.0 }, mttr = { dist = "exponential", mean = 2.0 },
//!             basis = "calendar", crew = "fitters", interrupted = "resume" }
//! # Wear: a gamma process with mean `rate` and coefficient of variation `cv` per time unit of
//! # `basis` (default "busy"); the machine fails at `limit`. Optional: `step` (default
//! # limit / rate / 200), `repair = <dist>` and `crew` (default `failure`'s; `repair` is required
//! # without a `failure` table).
//! wear = { rate = 1.0, cv = 0.3, basis = "busy", limit = 100.0 }
//! # A reading gain·wear + N(0, noise_sd²) every `every`; optional `gain` (default 1) and `filter`:
//! # "none", "ewma" (with `alpha` in (0, 1]) or "kalman" (default; optional `process_var` > 0,
//! # `rate_var` >= 0). Several: `sensors = [{ ... }, { ... }]`, filter keys the same on each.
//! sensor = { every = 5.0, noise_sd = 2.0, filter = "kalman" }
//! # policy: "run-to-failure" (default), "preventive" (`every`, `basis` = "age" | "calendar"),
//! # "condition" (`threshold` of filtered wear; needs a sensor) or "predictive" (below).
//! # `duration` is required except for run-to-failure; without `crew` maintenance starts at once.
//! maintenance = { policy = "condition", threshold = 80.0, duration = 1.0, crew = "fitters" }
//! # Predictive: a predictor plugin's probability of failure within `within` reaches `threshold`
//! # (in (0, 1]); `features` from "level", "rate", "age" (default all); trained during
//! # `[scenario] warmup` (which must be > 0), or from `train`: a CSV file, relative to this one,
//! # with a header row naming the features' columns and `failed_within` (0/1 or false/true).
//! # maintenance = { policy = "predictive", predictor = { plugin = "logistic" }, within = 10.0,
//! #                 threshold = 0.5, features = ["level", "rate"], train = "history.csv",
//! #                 duration = 1.0, crew = "fitters" }
//! ```
//!
//! Schedulers see each waiting job's processing-time estimate: the mean of its distribution, or
//! the true value with `known_times`.
//!
//! Names are unique within their kind; there is at least one source, product and station.
//! A product's `process` overrides the station's for every visit of that station on its route;
//! keys must be stations on the route, and a bare number means a constant time.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

mod reliability;

pub use reliability::{
    Basis, CrewConfig, FailureConfig, Feature, FilterConfig, Interrupted, LABEL_COLUMN, LifeConfig,
    MAX_WEAR_POINTS, MaintenanceConfig, Policy, PredictiveConfig, PreventiveBasis, SensingConfig,
    SensorConfig, Training, TrainingFile, WearConfig,
};
use reliability::{RawCrew, RawFailure, RawLife, RawMaintenance, RawSensor, RawWear};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::DeValue;

use crate::dist::{Dist, DistSpec};
use crate::plugin::ComponentKind;
use crate::util::suggest::{list, nearest};
use crate::validate::{PluginRef, RawPluginTable, ScenarioError, ValidationCtx};

/// The scheduler of a station that names none.
pub const DEFAULT_DISPATCH: &str = "fifo";

/// The value of `scenario.domain` for factories, and the name of their root table.
pub const DOMAIN: &str = "factory";

/// Most machines a station may have: every machine is a slot in memory, and a typo such as
/// `machines = 4000000000` must be an input error, not an allocation failure.
pub const MAX_MACHINES: u32 = 1_000_000;

/// A validated factory: names resolved to indices, processing times resolved per route step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactoryConfig {
    /// Order sources, in file order.
    pub sources: Vec<SourceConfig>,
    /// Products, in file order.
    pub products: Vec<ProductConfig>,
    /// Stations, in file order.
    pub stations: Vec<StationConfig>,
    /// Repair crews, in file order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub crews: Vec<CrewConfig>,
}

impl FactoryConfig {
    /// The plugins the factory uses, with the kind of component each must be: each station's
    /// scheduler, each crew's scheduler, each predictive station's predictor.
    pub fn plugin_refs(&self) -> impl Iterator<Item = (&PluginRef, ComponentKind)> {
        let stations = self.stations.iter().map(|s| (&s.dispatch, ComponentKind::SCHEDULER));
        let crews =
            self.crews.iter().filter_map(|c| c.dispatch.as_ref()).map(|d| (d, ComponentKind::SCHEDULER));
        let predictors = self.stations.iter().filter_map(|s| match &s.life.as_ref()?.maintenance.policy {
            Policy::Predictive(p) => Some((&p.predictor, ComponentKind::PREDICTOR)),
            _ => None,
        });
        stations.chain(crews).chain(predictors)
    }
}

/// A stream of orders for one product.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceConfig {
    /// Unique among sources.
    pub name: String,
    /// Index into [`FactoryConfig::products`].
    pub product: usize,
    /// Time between orders [time unit].
    pub interarrival: Dist,
    /// Time from arrival to due date [time unit]; jobs have no due date when `None`.
    pub due: Option<Dist>,
    /// Weight (priority) of its jobs, `> 0`.
    pub weight: f64,
}

/// A product and the stations it visits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProductConfig {
    /// Unique among products.
    pub name: String,
    /// The stations visited, in order; never empty.
    pub route: Vec<RouteStep>,
    /// Sample each job's processing times at release and show schedulers the true values.
    pub known_times: bool,
    /// Where its finished jobs are shipped, if said (see [`crate::domains::exchange::Shipment`]).
    pub destination: Option<String>,
}

/// One visit of a station.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouteStep {
    /// Index into [`FactoryConfig::stations`].
    pub station: usize,
    /// Processing time [time unit]: the product's override, else the station's default.
    pub process: Dist,
}

/// A station of identical parallel machines sharing one FIFO queue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StationConfig {
    /// Unique among stations.
    pub name: String,
    /// Parallel machines, from 1 to [`MAX_MACHINES`].
    pub machines: u32,
    /// Waiting places, not counting jobs in service; `None` means unlimited.
    pub buffer: Option<u32>,
    /// Default processing time [time unit]; `None` if every product visiting overrides it.
    pub process: Option<Dist>,
    /// The scheduler choosing the next waiting job (default `fifo`).
    pub dispatch: PluginRef,
    /// Failures, wear, sensors and maintenance of its machines; `None` when they never fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub life: Option<LifeConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactory {
    source: Option<Spanned<Vec<Spanned<RawSource>>>>,
    product: Option<Spanned<Vec<Spanned<RawProduct>>>>,
    station: Option<Spanned<Vec<Spanned<RawStation>>>>,
    crew: Option<Spanned<Vec<Spanned<RawCrew>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: Spanned<String>,
    product: Spanned<String>,
    interarrival: Spanned<DistSpec>,
    due: Option<Spanned<DistSpec>>,
    weight: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    name: Spanned<String>,
    route: Spanned<Vec<Spanned<String>>>,
    process: Option<BTreeMap<Spanned<String>, Spanned<DistSpec>>>,
    known_times: Option<bool>,
    destination: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStation {
    name: Spanned<String>,
    machines: Spanned<u32>,
    buffer: Option<Spanned<toml::Value>>,
    process: Option<Spanned<DistSpec>>,
    dispatch: Option<Spanned<RawPluginTable>>,
    failure: Option<Spanned<RawFailure>>,
    wear: Option<Spanned<RawWear>>,
    sensor: Option<Spanned<RawSensor>>,
    sensors: Option<Spanned<Vec<Spanned<RawSensor>>>>,
    maintenance: Option<Spanned<RawMaintenance>>,
}

/// The word that asks for an unlimited buffer where a number of places is expected, so that a
/// variant, a `[sweep]` or `--set` can remove a buffer limit the baseline sets.
pub const UNLIMITED: &str = "unlimited";

/// A station's `buffer`: an integer from 0 to `u32::MAX` waiting places, or `"unlimited"`
/// (`None`).
fn parse_buffer(
    ctx: &ValidationCtx<'_>,
    buffer: &Spanned<toml::Value>,
) -> Result<Option<u32>, ScenarioError> {
    let expected = format!("expected an integer from 0 to {} or \"{UNLIMITED}\"", u32::MAX);
    let found = match buffer.get_ref() {
        toml::Value::Integer(n) => match u32::try_from(*n) {
            Ok(n) => return Ok(Some(n)),
            Err(_) => n.to_string(),
        },
        toml::Value::String(s) if s == UNLIMITED => return Ok(None),
        toml::Value::String(s) => {
            return Err(ctx
                .error(&buffer.span(), format!("{expected}, found the string \"{s}\""))
                .with_suggestion(nearest(s, [UNLIMITED]).map(str::to_owned)));
        }
        toml::Value::Float(f) => format!("the float {f}"),
        toml::Value::Boolean(b) => format!("the boolean {b}"),
        toml::Value::Datetime(_) => "a datetime".to_owned(),
        toml::Value::Array(_) => "an array".to_owned(),
        toml::Value::Table(_) => "a table".to_owned(),
    };
    Err(ctx.error(&buffer.span(), format!("{expected}, found {found}")))
}

/// Why a distribution with [`Dist::always_zero`] draws only zeros, in the file's terms.
fn describe_zero(dist: &Dist) -> &'static str {
    match dist {
        Dist::Constant { .. } => "a constant 0",
        Dist::Uniform { .. } => "`uniform` with `max = 0`",
        Dist::Empirical { weights: None, .. } => "`empirical` whose values are all 0",
        Dist::Empirical { .. } => "`empirical` whose values with positive weight are all 0",
        _ => "its mean underflows to 0 in floating point",
    }
}

/// A product's processing-time overrides: (station index, distribution).
type Overrides = Vec<(usize, Dist)>;

/// The entries of an array of tables, or an error if there are none.
fn required<'r, T>(
    ctx: &ValidationCtx<'_>,
    whole: &Spanned<DeValue<'_>>,
    items: &'r Option<Spanned<Vec<Spanned<T>>>>,
    kind: &str,
) -> Result<Vec<&'r T>, ScenarioError> {
    let message = format!("at least one `[[{DOMAIN}.{kind}]]` is required");
    match items {
        None => Err(ctx.error_with_key(&whole.span(), format!("{DOMAIN}.{kind}"), message)),
        Some(list) if list.get_ref().is_empty() => Err(ctx.error(&list.span(), message)),
        Some(list) => Ok(list.get_ref().iter().map(Spanned::get_ref).collect()),
    }
}

/// Validates the `factory` table.
pub(crate) fn parse(
    value: &Spanned<DeValue<'_>>,
    ctx: &ValidationCtx<'_>,
) -> Result<FactoryConfig, ScenarioError> {
    let raw: RawFactory = ctx.deserialize(value)?;
    let sources = required(ctx, value, &raw.source, "source")?;
    let products = required(ctx, value, &raw.product, "product")?;
    let stations = required(ctx, value, &raw.station, "station")?;
    let source_names = ctx.names("source", sources.iter().map(|s| &s.name))?;
    let product_names = ctx.names("product", products.iter().map(|p| &p.name))?;
    let station_names = ctx.names("station", stations.iter().map(|s| &s.name))?;
    let crews: Vec<&RawCrew> = raw.crew.iter().flat_map(|c| c.get_ref()).map(Spanned::get_ref).collect();
    let crew_names = ctx.names("crew", crews.iter().map(|c| &c.name))?;

    // Checked in the order the tables are usually written: sources, products, stations.
    let mut source_configs = Vec::with_capacity(sources.len());
    for (source, name) in sources.iter().zip(source_names) {
        let weight = match &source.weight {
            None => 1.0,
            Some(w) if w.get_ref().is_finite() && *w.get_ref() > 0.0 => *w.get_ref(),
            Some(w) => {
                return Err(ctx.error(
                    &w.span(),
                    format!("`weight` must be a finite number > 0, found {}", w.get_ref()),
                ));
            }
        };
        let interarrival = ctx.dist(&source.interarrival)?;
        if interarrival.always_zero() {
            // Each arrival schedules the next one a gap later: a gap that is always 0 makes
            // infinitely many arrivals at t = 0 and the run never advances.
            return Err(ctx.error(
                &source.interarrival.span(),
                format!(
                    "`interarrival` of source `{name}` can make infinitely many arrivals at one instant: every \
                     draw is 0 ({}); give it a positive mean",
                    describe_zero(&interarrival)
                ),
            ));
        }
        source_configs.push(SourceConfig {
            name: name.to_owned(),
            product: ctx.lookup("product", &source.product, &product_names)?,
            interarrival,
            due: source.due.as_ref().map(|d| ctx.dist(d)).transpose()?,
            weight,
        });
    }

    // Per product: the route's station indices and the validated overrides (station, time).
    let mut routes: Vec<(Vec<usize>, Overrides)> = Vec::with_capacity(products.len());
    for product in &products {
        let route = &product.route;
        if route.get_ref().is_empty() {
            return Err(ctx.error(&route.span(), "`route` must list at least one station"));
        }
        let steps = route
            .get_ref()
            .iter()
            .map(|step| ctx.lookup("station", step, &station_names))
            .collect::<Result<Vec<_>, _>>()?;
        let mut overrides = Vec::new();
        let mut entries: Vec<_> = product.process.iter().flatten().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        for (station, spec) in entries {
            let on_route =
                station_names.iter().position(|s| s == station.get_ref()).filter(|i| steps.contains(i));
            let Some(index) = on_route else {
                let route_names: Vec<&str> = route.get_ref().iter().map(|s| s.get_ref().as_str()).collect();
                let known = if station_names.contains(&station.get_ref().as_str()) {
                    "station"
                } else {
                    "unknown station"
                };
                return Err(ctx
                    .error(
                        &station.span(),
                        format!(
                            "{known} `{}` is not on the route of product `{}` (route: {})",
                            station.get_ref(),
                            product.name.get_ref(),
                            list(route_names.iter().copied())
                        ),
                    )
                    .with_suggestion(nearest(station.get_ref(), route_names.iter().copied())));
            };
            overrides.push((index, ctx.dist(spec)?));
        }
        routes.push((steps, overrides));
    }

    let crew_configs = reliability::crews(ctx, &crews, &crew_names, &station_names)?;

    let mut station_configs = Vec::with_capacity(stations.len());
    for (station, name) in stations.iter().zip(&station_names) {
        let machines = *station.machines.get_ref();
        if machines == 0 || machines > MAX_MACHINES {
            let msg = format!("`machines` must be from 1 to {MAX_MACHINES}, found {machines}");
            return Err(ctx.error(&station.machines.span(), &msg));
        }
        let dispatch = match &station.dispatch {
            Some(table) => ctx.plugin_ref(table)?,
            None => PluginRef::default_at(ctx, &station.name.span(), DEFAULT_DISPATCH),
        };
        let buffer = match &station.buffer {
            Some(buffer) => parse_buffer(ctx, buffer)?,
            None => None,
        };
        let process = station.process.as_ref().map(|p| ctx.dist(p)).transpose()?;
        let keys = RawLife {
            station: name,
            failure: station.failure.as_ref(),
            wear: station.wear.as_ref(),
            sensor: station.sensor.as_ref(),
            sensors: station.sensors.as_ref(),
            maintenance: station.maintenance.as_ref(),
        };
        let life = reliability::life(ctx, &keys, &crew_names)?;
        station_configs.push(StationConfig {
            name: (*name).to_owned(),
            machines: *station.machines.get_ref(),
            buffer,
            process,
            dispatch,
            life,
        });
    }

    let mut product_configs = Vec::with_capacity(products.len());
    for ((product, name), (steps, overrides)) in products.iter().zip(&product_names).zip(routes) {
        let mut route = Vec::with_capacity(steps.len());
        for (&station, written) in steps.iter().zip(product.route.get_ref()) {
            let own = overrides.iter().find(|(s, _)| *s == station).map(|(_, d)| d);
            let default = station_configs.get(station).and_then(|s| s.process.as_ref());
            let Some(process) = own.or(default) else {
                let s = written.get_ref();
                return Err(ctx.error(
                    &written.span(),
                    format!(
                        "station `{s}` has no default `process` and product `{name}` does not override it: add \
                         `process = {{ dist = ... }}` to station `{s}`, or `process = {{ {s} = ... }}` to product `{name}`"
                    ),
                ));
            };
            route.push(RouteStep { station, process: process.clone() });
        }
        let destination = match &product.destination {
            Some(d) if d.get_ref().trim().is_empty() => {
                return Err(ctx.error(&d.span(), "`destination` must not be empty"));
            }
            d => d.as_ref().map(|d| d.get_ref().clone()),
        };
        product_configs.push(ProductConfig {
            name: (*name).to_owned(),
            route,
            known_times: product.known_times.unwrap_or(false),
            destination,
        });
    }

    Ok(FactoryConfig {
        sources: source_configs,
        products: product_configs,
        stations: station_configs,
        crews: crew_configs,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::scenario::parse as parse_scenario;

    fn factory(tables: &str) -> Result<FactoryConfig, ScenarioError> {
        let text = format!(
            "[scenario]\nname = \"f\"\ndomain = \"factory\"\ntime_unit = \"hour\"\nhorizon = 10\n{tables}"
        );
        let file = parse_scenario(Path::new("f.toml"), &text, &[])?;
        let config = crate::domains::factory::config_of(&file.baseline).clone();
        Ok(config)
    }

    #[test]
    fn inline_tables_revisits_and_indices() {
        let config = factory(
            r#"
[factory]
source = [
  { name = "a", product = "q", interarrival = 2 },
  { name = "b", product = "p", interarrival = { dist = "erlang", k = 2, mean = 3 } },
]
product = [
  { name = "p", route = ["y", "x", "y"], process = { y = 0.5 } },
  { name = "q", route = ["x"] },
]
station = [
  { name = "x", machines = 3, buffer = 0, process = { dist = "uniform", min = 1, max = 2 } },
  { name = "y", machines = 1 },
]
"#,
        )
        .unwrap();
        assert_eq!(config.sources[0].product, 1);
        assert_eq!(config.sources[0].interarrival, Dist::Constant { value: 2.0 });
        assert_eq!(config.sources[1].product, 0);
        let uniform = Dist::Uniform { min: 1.0, max: 2.0 };
        let half = Dist::Constant { value: 0.5 };
        assert_eq!(
            config.products[0].route,
            [
                RouteStep { station: 1, process: half.clone() },
                RouteStep { station: 0, process: uniform.clone() },
                RouteStep { station: 1, process: half },
            ],
            "an override applies to every visit of its station"
        );
        assert_eq!(config.stations[0].buffer, Some(0), "zero waiting places is allowed");
        assert_eq!(config.stations[1].process, None);
    }

    #[test]
    fn errors_name_factory_keys() {
        let e = factory("[[factory.station]]\nname = \"x\"\nmachines = 1\n").unwrap_err();
        assert_eq!((e.line, e.column, e.key.as_str()), (6, 3, "factory.source"));
        assert_eq!(e.message, "at least one `[[factory.source]]` is required");
        let e = factory("[factory]\nstation = 1\n").unwrap_err();
        assert_eq!((e.line, e.column, e.key.as_str()), (7, 11, "factory.station"));
        assert_eq!(e.message, "expected an array, found 1");
    }

    const ONE: &str = r#"
[[factory.source]]
name = "orders"
product = "p"
interarrival = 1
[[factory.product]]
name = "p"
route = ["mill"]
[[factory.station]]
name = "mill"
machines = 1
buffer = 4
process = 0.5
"#;

    #[test]
    fn always_zero_interarrivals_are_refused_at_the_distribution() {
        let cases = [
            ("{ dist = \"constant\", value = 0.0 }", "a constant 0"),
            ("0", "a constant 0"),
            ("{ dist = \"uniform\", min = 0, max = 0 }", "`uniform` with `max = 0`"),
            ("{ dist = \"empirical\", values = [0, 0] }", "`empirical` whose values are all 0"),
            (
                "{ dist = \"empirical\", values = [0, 2], weights = [1, 0] }",
                "`empirical` whose values with positive weight are all 0",
            ),
            ("{ dist = \"lognormal\", mu = -1000, sigma = 1 }", "its mean underflows to 0 in floating point"),
        ];
        for (dist, why) in cases {
            let e = factory(&ONE.replace("interarrival = 1", &format!("interarrival = {dist}"))).unwrap_err();
            assert_eq!(
                (e.line, e.column, e.key.as_str()),
                (10, 16, "factory.source[orders].interarrival"),
                "{dist}"
            );
            assert_eq!(
                e.message,
                format!(
                    "`interarrival` of source `orders` can make infinitely many arrivals at one instant: every \
                     draw is 0 ({why}); give it a positive mean"
                )
            );
        }
        // Some mass away from 0 is enough: finitely many arrivals in finite time.
        for dist in ["{ dist = \"empirical\", values = [0, 2] }", "{ dist = \"uniform\", min = 0, max = 1 }"]
        {
            assert!(
                factory(&ONE.replace("interarrival = 1", &format!("interarrival = {dist}"))).is_ok(),
                "{dist}"
            );
        }
        // Zero processing times and due offsets are fine: they schedule nothing of their own kind.
        assert!(factory(&ONE.replace("process = 0.5", "process = 0")).is_ok());
    }

    fn buffers(text: &str, sets: &[&str]) -> Result<Vec<Option<u32>>, ScenarioError> {
        let text = format!(
            "[scenario]\nname = \"f\"\ndomain = \"factory\"\ntime_unit = \"hour\"\nhorizon = 10\n{text}"
        );
        let overrides: Vec<_> = sets.iter().map(|s| crate::scenario::Override::parse(s).unwrap()).collect();
        let file = parse_scenario(Path::new("f.toml"), &text, &overrides)?;
        Ok(std::iter::once(&file.baseline)
            .chain(file.variants.iter().map(|v| &v.scenario))
            .map(|s| {
                let config = crate::domains::factory::config_of(s);
                config.stations[0].buffer
            })
            .collect())
    }

    #[test]
    fn unlimited_buffer_in_the_file_a_variant_a_sweep_and_set() {
        assert_eq!(buffers(&ONE.replace("buffer = 4", "buffer = \"unlimited\""), &[]).unwrap(), [None]);
        assert_eq!(buffers(ONE, &["factory.station.mill.buffer=unlimited"]).unwrap(), [None]);
        assert_eq!(buffers(ONE, &["factory.station.mill.buffer=\"unlimited\""]).unwrap(), [None]);
        assert_eq!(buffers(ONE, &["factory.station.mill.buffer=7"]).unwrap(), [Some(7)]);
        let variant = format!(
            "{ONE}[[variant]]\nname = \"open\"\nset = {{ \"factory.station.mill.buffer\" = \"unlimited\" }}\n"
        );
        assert_eq!(buffers(&variant, &[]).unwrap(), [Some(4), None]);
        let sweep = format!("{ONE}[sweep]\n\"factory.station.mill.buffer\" = [0, 2, \"unlimited\"]\n");
        assert_eq!(buffers(&sweep, &[]).unwrap(), [Some(4), Some(0), Some(2), None]);
    }

    #[test]
    fn a_wrong_buffer_names_both_forms() {
        let e = factory(&ONE.replace("buffer = 4", "buffer = \"unlimted\"")).unwrap_err();
        assert_eq!((e.line, e.column, e.key.as_str()), (17, 10, "factory.station[mill].buffer"));
        assert_eq!(
            e.message,
            "expected an integer from 0 to 4294967295 or \"unlimited\", found the string \"unlimted\""
        );
        assert_eq!(e.suggestion.as_deref(), Some("unlimited"));
        let e = factory(&ONE.replace("buffer = 4", "buffer = 2.5")).unwrap_err();
        assert_eq!(
            e.message,
            "expected an integer from 0 to 4294967295 or \"unlimited\", found the float 2.5"
        );
        let e = factory(&ONE.replace("buffer = 4", "buffer = 4294967296")).unwrap_err();
        assert_eq!(e.message, "expected an integer from 0 to 4294967295 or \"unlimited\", found 4294967296");
    }
}
