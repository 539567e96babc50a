//! Domain models. Each domain owns its components, handlers and config; domains never know each
//! other, and the rest of the core knows them only through this dispatch point.

pub mod factory;

use crate::collect::Collector;
use crate::engine::{RunOutput, Sim, SimConfig, SimError};
use crate::plugin::Registry;
use crate::record::Catalogue;
use crate::scenario::ModelConfig;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// What a scenario's rates say before it runs (see [`preflight`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Preflight {
    /// Expected calendar entries of one replication (the unit of engine work; `+∞` when it
    /// does not fit in an `f64`). An estimate from mean rates, not a bound.
    pub events_per_replication: f64,
    /// Cautions found from the rates alone, e.g. `overloaded` stations (offered load ≥ 1);
    /// `variant` is `None` (the caller knows which scenario it asked about).
    pub warnings: Vec<crate::output::Warning>,
}

/// The expected work of one replication of `scenario` and the cautions its rates imply, from
/// the validated model alone (nothing runs).
pub fn preflight(scenario: &Scenario) -> Preflight {
    match &scenario.model {
        ModelConfig::Factory(factory) => {
            factory::preflight::preflight(factory, scenario.horizon.as_f64(), scenario.time_unit)
        }
    }
}

/// Builds the scenario's model (its plugins taken from `registry`) and runs one replication with
/// the given collectors.
///
/// # Errors
/// The replication's first model or collector failure.
pub fn run_replication(
    model: &ModelConfig,
    registry: &Registry,
    config: SimConfig,
    collectors: Vec<Box<dyn Collector>>,
    progress: &mut dyn FnMut(SimTime) -> std::ops::ControlFlow<()>,
) -> Result<RunOutput, SimError> {
    match model {
        ModelConfig::Factory(factory) => {
            let model = factory::FactoryModel::new(factory, registry)
                .map_err(|source| SimError::Model { time: crate::time::SimTime::ZERO, source })?;
            let mut sim = Sim::new(model, config);
            for c in collectors {
                sim.add_collector(c);
            }
            sim.run(progress)
        }
    }
}

/// The record kinds the scenario's model reports (names, aggregates, units, meanings), from its
/// config alone: what collectors declare their metrics from before anything runs.
pub fn catalogue(model: &ModelConfig) -> Catalogue {
    match model {
        ModelConfig::Factory(factory) => factory::FactoryModel::catalogue(factory),
    }
}
