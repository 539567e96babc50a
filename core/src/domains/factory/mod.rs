//! Factory flow lines: sources of orders, products with routes, stations of parallel machines.
pub mod config;
