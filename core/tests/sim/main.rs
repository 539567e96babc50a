//! Integration tests of xinzhi-core, one binary (modules named after behaviours).

mod architecture;
mod no_progress;
mod snapshot;
mod stepping;
