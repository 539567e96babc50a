//! The validation kit every table of a scenario is checked with: spans of the TOML tree turned
//! into `file:line:column`, dotted keys and suggestions ([`ValidationCtx`]), the located
//! [`ScenarioError`], and plugin references ([`PluginRef`], [`LibraryRef`]) that remember where
//! they were written.
//!
//! It sits below both the scenario loader and the domains: a domain validates its own table
//! with it, and the loader (which knows the domains) hands each its table.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

mod ctx;
mod error;
mod plugins;

pub use ctx::ValidationCtx;
pub(crate) use ctx::{CliRegion, Source, line_col, line_col_bytes};
pub use error::ScenarioError;
pub(crate) use plugins::RawPluginTable;
pub use plugins::{LibraryRef, PluginRef, Written};
