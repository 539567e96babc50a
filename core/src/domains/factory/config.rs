//! The `[factory]` tables of a scenario: sources of orders, products with routes, stations of
//! parallel machines.
//!
//! ```toml
//! [[factory.source]]
//! name = "orders"
//! product = "widget"           # must name a product
//! interarrival = { dist = "exponential", mean = 1.25 }
//! due = { dist = "uniform", min = 5, max = 15 }   # optional: due date = arrival + sample
//! weight = 2.0                 # optional, > 0, default 1: the jobs' weight (priority)
//!
//! [[factory.product]]
//! name = "widget"
//! route = ["mill", "lathe"]    # non-empty; each must name a station; revisits allowed
//! process = { mill = { dist = "exponential", mean = 0.5 }, lathe = 2.5 }   # optional overrides
//! known_times = false          # optional: true samples each job's processing times at release
//!                              # and shows schedulers the true values (clairvoyant scheduling)
//!
//! [[factory.station]]
//! name = "mill"
//! machines = 1                 # integer >= 1
//! buffer = 10                  # optional: waiting places, not counting jobs in service
//! process = { dist = "exponential", mean = 1.0 }   # optional if every product overrides it
//! dispatch = { plugin = "spt" }   # optional, default fifo: the scheduler picking the next job
//! ```
//!
//! Schedulers see each waiting job's processing-time estimate: the mean of its distribution, or
//! the true value with `known_times`.
//!
//! Names are unique within their kind; there is at least one source, product and station.
//! A product's `process` overrides the station's for every visit of that station on its route;
//! keys must be stations on the route, and a bare number means a constant time.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::DeValue;

use crate::dist::{Dist, DistSpec};
use crate::scenario::suggest::{list, nearest};
use crate::scenario::{Ctx, PluginRef, RawPluginTable, ScenarioError};

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
}

impl FactoryConfig {
    /// The plugins the factory uses: each station's scheduler.
    pub fn plugin_refs(&self) -> impl Iterator<Item = &PluginRef> {
        self.stations.iter().map(|s| &s.dispatch)
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactory {
    source: Option<Spanned<Vec<Spanned<RawSource>>>>,
    product: Option<Spanned<Vec<Spanned<RawProduct>>>>,
    station: Option<Spanned<Vec<Spanned<RawStation>>>>,
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStation {
    name: Spanned<String>,
    machines: Spanned<u32>,
    buffer: Option<u32>,
    process: Option<Spanned<DistSpec>>,
    dispatch: Option<Spanned<RawPluginTable>>,
}

/// A product's processing-time overrides: (station index, distribution).
type Overrides = Vec<(usize, Dist)>;

/// The entries of an array of tables, or an error if there are none.
fn required<'r, T>(
    ctx: &Ctx<'_>,
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
pub(crate) fn parse(value: &Spanned<DeValue<'_>>, ctx: &Ctx<'_>) -> Result<FactoryConfig, ScenarioError> {
    let raw: RawFactory = ctx.deserialize(value)?;
    let sources = required(ctx, value, &raw.source, "source")?;
    let products = required(ctx, value, &raw.product, "product")?;
    let stations = required(ctx, value, &raw.station, "station")?;
    let source_names = ctx.names("source", sources.iter().map(|s| &s.name))?;
    let product_names = ctx.names("product", products.iter().map(|p| &p.name))?;
    let station_names = ctx.names("station", stations.iter().map(|s| &s.name))?;

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
        source_configs.push(SourceConfig {
            name: name.to_owned(),
            product: ctx.lookup("product", &source.product, &product_names)?,
            interarrival: ctx.dist(&source.interarrival)?,
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
        station_configs.push(StationConfig {
            name: (*name).to_owned(),
            machines: *station.machines.get_ref(),
            buffer: station.buffer,
            process: station.process.as_ref().map(|p| ctx.dist(p)).transpose()?,
            dispatch,
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
        product_configs.push(ProductConfig {
            name: (*name).to_owned(),
            route,
            known_times: product.known_times.unwrap_or(false),
        });
    }

    Ok(FactoryConfig { sources: source_configs, products: product_configs, stations: station_configs })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::scenario::{ModelConfig, parse as parse_scenario};

    fn factory(tables: &str) -> Result<FactoryConfig, ScenarioError> {
        let text = format!(
            "[scenario]\nname = \"f\"\ndomain = \"factory\"\ntime_unit = \"hour\"\nhorizon = 10\n{tables}"
        );
        let file = parse_scenario(Path::new("f.toml"), &text, &[])?;
        let ModelConfig::Factory(config) = file.baseline.model;
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
}
