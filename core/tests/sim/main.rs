//! Integration tests of xinzhi-core, one binary (modules named after behaviours).

mod snapshot;
mod stepping;
