//! Domains: what the simulator models. Each is one folder implementing [`Domain`] plus one line
//! in the `register!` list below; the rest of the core knows domains only through
//! [`DomainConfig`] and the functions here. Domains never import each other: they couple through
//! the [`exchange`].
//!
//! - [`domain`](Domain): the abstraction, the one-step [`Setup`], scoped record [`Kinds`].
//! - [`exchange`]: neutral World resources domains publish into and read from.
//! - `region`: one domain alone, or several in one replication (a region).
//! - [`factory`]: flow lines of stations, machines and products.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

pub mod city;
mod domain;
pub mod exchange;
pub mod factory;
#[cfg(test)]
pub mod probe;
pub(crate) mod region;

pub use domain::{Domain, Kinds, Preflight, RunShape, Setup};

use crate::collect::Collector;
use crate::engine::{RunOutput, SimConfig, SimError};
use crate::plugin::Registry;
use crate::record::Catalogue;
use crate::time::SimTime;

// The registration point: one line per domain, in the order they are built (and their first
// entries run) in a region.
region::register! {
    Factory(factory): factory::FactoryModel,
    City(city): city::CityModel,
    #[cfg(test)]
    Probe(probe): probe::Probe,
}

/// Domains the product plans but does not model yet: a scenario naming one is told so.
pub const PLANNED: &[&str] = &["finance"];

/// The expected work of one replication of a scenario's domains and the cautions their rates
/// imply, from the validated configs alone (nothing runs).
pub fn preflight(domains: &[DomainConfig], run: RunShape) -> Preflight {
    let mut total = Preflight { events_per_replication: 0.0, warnings: Vec::new() };
    for d in domains {
        let one = d.preflight(run);
        total.events_per_replication += one.events_per_replication;
        total.warnings.extend(one.warnings);
    }
    total
}

/// The record kinds a scenario's domains report (names, aggregates, units, meanings), from
/// their configs alone: what collectors declare their metrics from before anything runs. The
/// same catalogue, with the same ids, as a replication's.
pub fn catalogue(domains: &[DomainConfig]) -> Catalogue {
    let mut catalogue = Catalogue::default();
    for d in domains {
        d.declare(&mut catalogue);
    }
    catalogue
}

/// Builds the scenario's domains (their plugins taken from `registry`) and runs one replication
/// with the given collectors: one domain alone on its own event type, several as a region.
///
/// # Errors
/// The replication's first model or collector failure.
pub fn run_replication(
    domains: &[DomainConfig],
    registry: &Registry,
    config: SimConfig,
    collectors: Vec<Box<dyn Collector>>,
    progress: &mut dyn FnMut(SimTime) -> std::ops::ControlFlow<()>,
) -> Result<RunOutput, SimError> {
    match domains {
        [one] => one.run_alone(registry, config, collectors, progress),
        _ => region::run_region(domains, registry, config, collectors, progress),
    }
}
