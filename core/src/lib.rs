//! # xinzhi-core
//!
//! The engine of Xinzhi, a what-if simulator for industrial upgrading: an event calendar driving
//! a bevy_ecs `World`, random streams keyed by stable identity, TOML scenarios, domain models,
//! replicated experiments with confidence intervals, and output writers.
//!
//! ## A practical overview
//!
//! ```
//! use std::path::Path;
//! use xinzhi_core::{experiment, plugin, scenario};
//!
//! let text = r#"
//! [scenario]
//! name = "mm1"
//! domain = "factory"
//! time_unit = "minute"
//! horizon = 20000.0
//! warmup = 1000.0
//!
//! [experiment]
//! replications = 4
//! seed = 1
//!
//! [[factory.source]]
//! name = "orders"
//! product = "widget"
//! interarrival = { dist = "exponential", mean = 1.25 }
//!
//! [[factory.product]]
//! name = "widget"
//! route = ["mill"]
//!
//! [[factory.station]]
//! name = "mill"
//! machines = 1
//! process = { dist = "exponential", mean = 1.0 }
//! "#;
//! let file = scenario::parse(Path::new("mm1.toml"), text, &[]).expect("valid scenario");
//! // Plugins: the built-in schedulers and collectors (the CLI registers the same ones), plus any
//! // library the scenario's `[plugins] load` names; every reference is checked here.
//! let builtins = plugin::Registry::with_builtins(&[
//!     xinzhi_dispatch::plugin_library(),
//!     xinzhi_metrics::plugin_library(),
//! ])
//! .expect("built-ins register");
//! let registry = experiment::prepare(&file, builtins, &[]).expect("plugins check out");
//! let config = experiment::RunConfig { threads: 1, shard: None, stop: None };
//! let results = experiment::run(&file, &registry, config, &()).expect("runs");
//! let utilization = results
//!     .summaries()
//!     .into_iter()
//!     .find(|s| s.metric == "utilization.mill")
//!     .expect("reported");
//! // M/M/1 with λ = 0.8 and μ = 1: the server is busy 80 % of the time.
//! assert!((utilization.summary.mean - 0.8).abs() < 0.03);
//! ```
//!
//! Lower down, [`domains::run_replication`] runs one replication of a scenario's domains (one
//! alone, or several as a region on one calendar), and [`engine::Sim`] runs any
//! [`engine::Model`]: a typed handler for calendar entries plus optional time-stepped bevy
//! schedules.
//!
//! ## Ordering and determinism guarantees
//!
//! - Calendar entries run in ascending `(time, priority, sequence)` order; `sequence` is the
//!   order of scheduling. Discrete events default to priority 0 and steppers to
//!   [`calendar::Priority::STEP`] (100), so at equal times events run before steps. Entries after
//!   the horizon never run. See [`calendar`] and [`engine`].
//! - Scheduling in the past is an error ([`calendar::ScheduleError`]), never a panic.
//! - There is no global RNG and no clock read: a replication's results depend only on the
//!   scenario, the master seed and the replication index. Each random stream is keyed by
//!   `(seed, replication, identity, purpose)` ([`rng`]), so adding an entity never shifts another
//!   entity's stream, and variants share streams (common random numbers).
//! - Experiments collect replications in (variant, replication) order, so outputs are
//!   byte-identical whatever the number of threads.
//!
//! ## Map
//!
//! From the leaves up (a module uses only those before it; a test checks this):
//! [`time`] · [`util`] · [`rng`] · [`record`] · [`stats`] · [`calendar`] · [`collect`] ·
//! [`compare`] · [`diagnostics`] · [`dist`] · [`validate`] · [`engine`] · [`plugin`] ·
//! [`domains`] · [`scenario`] · [`experiment`] · [`output`] · [`report`]

pub mod calendar;
pub mod collect;
pub mod compare;
pub mod diagnostics;
pub mod dist;
pub mod domains;
pub mod engine;
pub mod experiment;
pub mod output;
#[allow(unsafe_code, reason = "the plugin host calls through the C ABI")]
pub mod plugin;
pub mod record;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod stats;
pub mod time;
pub mod util;
pub mod validate;
