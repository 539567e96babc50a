//! Demand: departure processes of flows, turning-ratio draws and design flows (H2 writes this
//! file).

use super::config::{CityConfig, FlowConfig};
use crate::rng::StreamRng;

/// The departure times of one flow, one after another.
pub(crate) struct Departures {
    rng: StreamRng,
}

impl Departures {
    /// The departures of `flow`, drawing from `rng` (the flow's `arrivals` stream).
    pub(crate) fn new(flow: &FlowConfig, rng: StreamRng) -> Self {
        let _ = flow;
        Departures { rng }
    }

    /// The next departure after the one at `last` [s] (`None` before the first: then the
    /// first departure), or `None` if the profile has no more.
    pub(crate) fn next(&mut self, last: Option<f64>) -> Option<f64> {
        let _ = last;
        todo!("H2")
    }
}

/// Turning ratios by in-link, for vehicles routed by `turn_ratios`.
pub(crate) struct TurnTable {}

impl TurnTable {
    /// The table of `config.turns`.
    pub(crate) fn new(config: &CityConfig) -> Self {
        let _ = config;
        todo!("H2")
    }

    /// The out-link a vehicle coming from `link` takes, given a uniform draw `u` in [0, 1);
    /// `None` if `link` has no ratios (it ends at a boundary node).
    pub(crate) fn draw(&self, link: u32, u: f64) -> Option<u32> {
        let _ = (link, u);
        todo!("H2")
    }
}

/// The design flow of every movement [veh/h] (index = movement): the busiest-step rate of the
/// flows whose fixed path uses it, plus turn-ratio flows propagated through their ratios, plus
/// explicit trips counted per busiest hour.
pub(crate) fn design_flows(config: &CityConfig) -> Vec<f64> {
    let _ = config;
    todo!("H2")
}
