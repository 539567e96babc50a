//! What a city's config says before it runs: the expected events and cautions (H2 writes this
//! file).

use super::config::CityConfig;
use crate::domains::{Preflight, RunShape};

/// The expected calendar entries of one replication and the cautions of `config`.
pub(crate) fn preflight(config: &CityConfig, run: RunShape) -> Preflight {
    let _ = (config, run);
    todo!("H2")
}
