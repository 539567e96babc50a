//! Factory flow lines: sources, products with routes, stations of parallel machines.
//!
//! Covers queueing networks: any interarrival and processing-time distribution, FIFO queues,
//! optional finite buffers with loss at a route's first station and blocking-after-service
//! downstream.

pub mod config;
mod model;
pub mod preflight;
mod state;

pub use model::{FactoryEvent, FactoryModel};
pub use state::{Blocked, Job, MachineState, Station, Stations};
