//! The city's record kinds: what each measures, in which unit and within which bounds (H2
//! writes this file). Names are scoped: kind `trip_delay`, metric `city.delay_mean`.

use super::config::CityConfig;
use crate::domains::Kinds;
use crate::record::KindId;

/// Record kinds of a city.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CityKinds {
    /// One `Sample` per trip at its exit: delay = travel time − free-flow time [s]; subjects are
    /// the flows (or `system`).
    pub(crate) trip_delay: KindId,
}

/// Declares the kinds of a city with `config`'s network and flows, from the config alone.
pub(crate) fn declare_kinds(config: &CityConfig, kinds: &mut Kinds<'_>) -> CityKinds {
    let _ = (config, kinds);
    todo!("H2")
}
