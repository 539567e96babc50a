//! Domain models. Each domain owns its components, handlers and config; domains never know each
//! other, and the rest of the core knows them only through this dispatch point.

pub mod factory;

use crate::collect::Collector;
use crate::engine::{RunOutput, Sim, SimConfig, SimError};
use crate::plugin::Registry;
use crate::record::Catalogue;
use crate::scenario::ModelConfig;
use crate::time::SimTime;

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
    progress: &mut dyn FnMut(SimTime),
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
