//! Machines' lives: random failures, wear, sensors, repair crews and maintenance.
//!
//! - [`life`]: a machine's hot life (clocks, condition), a station's lives, and the published
//!   [`Health`].
//! - [`wear`]: gamma wear paths.
//! - [`sensing`]: sensors as a bevy system run by the engine's steppers.
//! - [`filter`]: none, EWMA and Kalman filters of readings.
//! - [`crew`]: repair crews and their queues.
//! - [`predict`]: predictive maintenance's predictor, training and quality.
//! - `kinds`: their record kinds. `build`: lives built for a replication.
//! - `upkeep`: the handlers that tie them to the stations.

mod build;
pub mod crew;
pub mod filter;
mod kinds;
pub mod life;
pub mod predict;
pub mod sensing;
mod upkeep;
pub mod wear;

pub(in crate::domains::factory) use kinds::{LifeKinds, declare};
pub(in crate::domains::factory) use life::Lives;
pub use life::{Cause, Condition, Health, Life, LifeStreams};
pub use sensing::{FreshReadings, Sensing};
pub(in crate::domains::factory) use upkeep::{ALL_MACHINES, Upkeep};
pub use wear::Wear;
