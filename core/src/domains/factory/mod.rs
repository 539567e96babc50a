//! Factory flow lines: sources, products with routes, stations of parallel machines.
//!
//! Covers queueing networks: any interarrival and processing-time distribution, FIFO queues,
//! optional finite buffers with loss at a route's first station and blocking-after-service
//! downstream.

pub mod config;
mod kinds;
mod model;
pub mod preflight;
pub mod reliability;
mod state;
#[cfg(test)]
mod tests;

pub use model::{FactoryEvent, FactoryModel};
pub use state::{Activity, Blocked, Job, Machine, MachineState, MachineStatus, Station};

/// The factory config of a scenario (tests only: scenarios there are factories).
#[cfg(test)]
pub(crate) fn config_of(scenario: &crate::scenario::Scenario) -> &config::FactoryConfig {
    let config = scenario.domains.iter().find_map(|d| match d {
        crate::domains::DomainConfig::Factory(c) => Some(c),
        _ => None,
    });
    config.expect("a factory scenario")
}
