//! Domain models.
pub mod factory;
