//! The machines' lives in a scenario: `[[factory.crew]]` and a station's `failure`, `wear`,
//! `sensor`/`sensors` and `maintenance` keys.
//!
//! ```toml
//! [[factory.crew]]
//! name = "fitters"
//! size = 2                       # people; requests wait first come first served
//! dispatch = { plugin = "fifo" } # optional: a scheduler choosing which waiting request a freed
//!                                # member takes
//!
//! [[factory.station]]
//! name = "press"
//! machines = 5
//! process = { dist = "exponential", mean = 1.0 }
//! # Random failures: time to failure counted in `basis` time, repair time, who repairs.
//! failure = { mtbf = { dist = "exponential", mean = 20.0 }, mttr = { dist = "exponential", mean = 2.0 },
//!             basis = "calendar", crew = "fitters", interrupted = "resume" }
//! # Wear: a gamma process; the machine fails when it reaches `limit`.
//! wear = { rate = 1.0, cv = 0.3, basis = "busy", limit = 100.0 }
//! # A noisy reading of wear every `every` time units, filtered.
//! sensor = { every = 5.0, noise_sd = 2.0, filter = "kalman" }
//! maintenance = { policy = "condition", threshold = 80.0, duration = 1.0, crew = "fitters" }
//! ```
//!
//! - [`types`]: the validated types, and the limits validation applies;
//! - [`parse`]: crews, `failure`, `wear` and `sensor`/`sensors` as written, and their validation;
//! - [`maintenance`]: `maintenance` as written, and its validation (with a `train` file).

mod maintenance;
mod parse;
mod types;

#[cfg(test)]
mod tests;

pub(super) use maintenance::RawMaintenance;
pub(super) use parse::{RawCrew, RawFailure, RawLife, RawSensor, RawWear, crews, life};
pub use types::{
    Basis, CrewConfig, FailureConfig, Feature, FilterConfig, Interrupted, LABEL_COLUMN, LifeConfig,
    MAX_WEAR_POINTS, MaintenanceConfig, Policy, PredictiveConfig, PreventiveBasis, SensingConfig,
    SensorConfig, Training, TrainingFile, WearConfig,
};
