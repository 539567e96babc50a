//! Domain models. Each domain owns its components, handlers and config; domains never know each
//! other, and the rest of the core knows them only through this dispatch point.

pub mod factory;

use crate::collect::Collector;
use crate::engine::{RunOutput, Sim, SimConfig, SimError};
use crate::scenario::ModelConfig;
use crate::time::SimTime;

/// Builds the scenario's model and runs one replication with the given collectors.
///
/// # Errors
/// The replication's first model or collector failure.
pub fn run_replication(
    model: &ModelConfig,
    config: SimConfig,
    collectors: Vec<Box<dyn Collector>>,
    progress: &mut dyn FnMut(SimTime),
) -> Result<RunOutput, SimError> {
    match model {
        ModelConfig::Factory(factory) => {
            let mut sim = Sim::new(factory::FactoryModel::new(factory), config);
            for c in collectors {
                sim.add_collector(c);
            }
            sim.run(progress)
        }
    }
}
