//! Xinzhi core (to be documented).
pub mod calendar;
pub mod collect;
pub mod dist;
pub mod domains;
pub mod engine;
pub mod experiment;
pub mod output;
pub mod record;
pub mod rng;
pub mod scenario;
pub mod stats;
pub mod time;
