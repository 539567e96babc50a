//! Machines' lives: failures, wear, sensors and maintenance.

pub mod filter;
