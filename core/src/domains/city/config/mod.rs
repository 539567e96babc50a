//! The `[city]` tables of a scenario: a road network (explicit nodes and links, or a generated
//! grid), its signals, and the demand on it. Validated into [`CityConfig`]: names resolved to
//! indices, defaults filled, every error located.
//!
//! ```toml
//! [city]
//! discharge = "slotted"            # slotted (default) | continuous
//! yellow = 3.0                     # defaults for every signal \[s\]
//! all_red = 2.0
//! startup_lost = 2.0               # l₁ \[s\]
//! clearance_lost = 2.0             # l₂ \[s\]
//! signal = { plugin = "fixed_time", mode = "webster" }   # default controller of every node
//!
//! [[city.node]]                    # a signalised junction
//! name = "x"
//! phases = [["north-in", "south-in"], ["east-in", "west-in"]]   # in-links given green per phase
//! signal = { plugin = "fixed_time", cycle = 60.0, greens = [27.0, 23.0] }
//!
//! [[city.link]]                    # a directed road; a node that is not a [[city.node]] is a
//! name = "north-in"                # boundary (origin or destination)
//! from = "north"
//! to = "x"
//! length = 150.0                   # \[m\]
//! lanes = 1
//! speed = 15.0                     # free speed [m/s]
//! saturation = 1800.0              # [veh/h/lane]
//!
//! [[city.flow]]
//! name = "north-south"
//! route = ["north-in", "south-out"]   # or `from`/`to` nodes (shortest free-flow path)
//! rate = 588.0                     # [veh/h]; or `profile = [...]`, or a double_peak table
//! arrivals = "poisson"             # poisson | deterministic (then `headway`, `offset`)
//! ```
//!
//! The full list of keys is in `docs/city.md`.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

use std::sync::Arc;

use serde::Serialize;

use crate::validate::PluginRef;

/// The value of `scenario.domain` for cities, and the name of their root table.
pub const DOMAIN: &str = "city";

/// A validated city: a network, its signals and its demand, names resolved to indices.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CityConfig {
    /// When queued vehicles may cross the stop line.
    pub discharge: Discharge,
    /// A stop-line wait longer than this is a stop \[s\]; `None`: the approach's saturation
    /// headway (so that waiting for the next slot alone is not a stop).
    pub stop_threshold: Option<f64>,
    /// No crossing anywhere for this long while vehicles wait is a gridlock \[s\].
    pub stuck_time: f64,
    /// What a detected gridlock does.
    pub gridlock: Gridlock,
    /// Hour of the day at t = 0 (for daily profiles) \[h\].
    pub day_start: f64,
    /// Test mode: links have unlimited storage (no spillback), city.md §2.1.
    pub point_queue: bool,
    /// The roads and junctions.
    pub network: NetworkConfig,
    /// Generated traffic, in file order.
    pub flows: Vec<FlowConfig>,
    /// Turning ratios of flows routed by `route = "turn_ratios"`.
    pub turns: Vec<TurnConfig>,
    /// Explicit trips read from a CSV file (`[city.trips]`), if any.
    pub trips: Option<TripsConfig>,
    /// Freight trips made from a region's factory shipments (`[city.freight]`), if any.
    pub freight: Option<FreightConfig>,
}

impl CityConfig {
    /// The plugins the city uses (one signal controller per signalised node).
    pub fn plugin_refs(&self) -> impl Iterator<Item = &PluginRef> {
        self.network.nodes.iter().filter_map(|n| n.control.as_ref()).map(|c| &c.signal)
    }
}

/// When a queued vehicle may cross the stop line during effective green (h = saturation
/// headway of its approach).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Discharge {
    /// Only at green_start + k·h (k = 0, 1, …), the first such instant strictly after the
    /// vehicle reached the stop line.
    Slotted,
    /// At the first instant ≥ max(its arrival, previous crossing + h).
    Continuous,
}

/// What a detected gridlock does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gridlock {
    /// Counted only.
    Flag,
    /// Counted, and the head of every blocked movement is moved on although its out-link is
    /// full (as MATSim does).
    Release,
}

/// Nodes and directed links. Node and link indices are their positions here and never change
/// within a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetworkConfig {
    /// Signalised junctions in file order, then boundary nodes in order of first mention.
    pub nodes: Vec<NodeConfig>,
    /// Links in file order (or the generator's order).
    pub links: Vec<LinkConfig>,
    /// Movements (in-link → out-link at a signalised node), grouped by node, then by in-link,
    /// then by out-link, in index order. No U-turns (an out-link back to the in-link's origin).
    pub movements: Vec<MovementConfig>,
}

/// A node: a signalised junction or a boundary (origin or destination).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeConfig {
    /// Unique among nodes.
    pub name: String,
    /// Coordinates \[m\], if given (or generated): used to check phases for conflicts.
    pub at: Option<[f64; 2]>,
    /// Its signal; `None` for a boundary node.
    pub control: Option<NodeControl>,
}

/// The signal of a junction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeControl {
    /// Phases in cycle order; each lists the movements (indices into
    /// [`NetworkConfig::movements`]) given green. Never empty; checked for conflicts.
    pub phases: Vec<Vec<u32>>,
    /// The controller (a `signal` plugin) and its parameters.
    pub signal: PluginRef,
    /// Yellow, all-red, lost times and green limits.
    pub timing: Timing,
}

/// A junction's signal timing, in the conventions of `docs/city.md`: effective green
/// g = G + Y + AR − l₁ − l₂, starting l₁ after the displayed green G starts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Timing {
    /// Yellow Y \[s\], ≥ 0.
    pub yellow: f64,
    /// All-red AR \[s\], ≥ 0.
    pub all_red: f64,
    /// Start-up lost time l₁ \[s\], ≥ 0.
    pub startup_lost: f64,
    /// Clearance lost time l₂ \[s\], ≥ 0 and ≤ Y + AR.
    pub clearance_lost: f64,
    /// Least displayed green the host grants before a switch \[s\], > 0, with a positive
    /// effective green (min_green + Y + AR > l₁ + l₂).
    pub min_green: f64,
    /// Most displayed green while a conflicting phase has a call \[s\]; `+∞` for none.
    pub max_green: f64,
}

/// A directed road from one node to another.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkConfig {
    /// Unique among links.
    pub name: String,
    /// Index of its upstream node.
    pub from: u32,
    /// Index of its downstream node.
    pub to: u32,
    /// Length \[m\], > 0.
    pub length: f64,
    /// Lanes, ≥ 1.
    pub lanes: u32,
    /// Free speed [m/s], > 0.
    pub speed: f64,
    /// Saturation flow [veh/h/lane], > 0.
    pub saturation: f64,
    /// Vehicles it holds, moving and queued (⌊lanes·length/7.5 m⌋ unless given), ≥ 1.
    pub storage: u32,
}

/// A movement: vehicles from one link into another at a signalised node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MovementConfig {
    /// The node (index) where it turns.
    pub node: u32,
    /// In-link (index; ends at `node`).
    pub from: u32,
    /// Out-link (index; starts at `node`).
    pub to: u32,
    /// A left turn permitted (not protected) in a phase that also serves opposing traffic: its
    /// saturation flow is scaled by `[city] permitted_left_factor`.
    pub permitted_factor: f64,
}

/// A stream of vehicles with one origin.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowConfig {
    /// Unique among flows.
    pub name: String,
    /// How its vehicles find their way.
    pub path: PathSpec,
    /// Mean departures [veh/h] over time.
    pub profile: Profile,
    /// Departure process.
    pub arrivals: Arrivals,
}

/// How a flow's vehicles choose their links.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum PathSpec {
    /// A fixed sequence of link indices (given, or the shortest free-flow path from `from` to
    /// `to` computed at load): starts at a boundary node, connected, ends at a boundary node.
    Fixed(Vec<u32>),
    /// Starts on this link (leaving a boundary node) and draws its next link at every node
    /// from [`CityConfig::turns`], until it enters a link to a boundary node.
    TurnRatios {
        /// First link index.
        first: u32,
    },
}

/// Departures [veh/h] as a piecewise-constant function of time: `rates[k]` on
/// `[k·step, (k+1)·step)`; after the last step the last rate holds, unless `repeat` (then the
/// profile starts over: a daily profile).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Profile {
    /// Length of one step \[s\]; `+∞` for a constant rate.
    pub step: f64,
    /// Rate of each step [veh/h], finite and ≥ 0, not all 0.
    pub rates: Vec<f64>,
    /// Whether the profile repeats after its last step.
    pub repeat: bool,
}

/// A flow's departure process.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Arrivals {
    /// A (non-homogeneous) Poisson process with the profile's rate.
    Poisson,
    /// One vehicle every `headway` from `offset` on \[s\].
    Deterministic {
        /// Time between departures \[s\], > 0.
        headway: f64,
        /// First departure \[s\], ≥ 0.
        offset: f64,
    },
}

/// Turning ratios of vehicles coming from one link at one node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnConfig {
    /// The in-link (index).
    pub from: u32,
    /// (out-link index, probability), probabilities > 0 summing to 1.
    pub ratios: Vec<(u32, f64)>,
}

/// Trips read from a CSV file (columns `depart,route`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TripsConfig {
    /// The file, as written in the scenario (relative to it).
    pub file: String,
    /// The trips, sorted by departure; not serialised (the file is the record).
    #[serde(skip)]
    pub trips: Arc<[Trip]>,
}

/// One explicit trip.
#[derive(Clone, Debug, PartialEq)]
pub struct Trip {
    /// Desired departure \[s\].
    pub depart: f64,
    /// Link indices, connected, boundary to boundary.
    pub path: Vec<u32>,
}

/// Freight trips made from the shipments a region's factory publishes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FreightConfig {
    /// The boundary node trucks leave from (index).
    pub from: u32,
    /// Units one truck carries, > 0: a shipment of q units makes ⌈q / per_vehicle⌉ trucks.
    pub per_vehicle: f64,
    /// Destination node (index) of shipments that name none known to the city.
    pub to: u32,
    /// How often new shipments are picked up \[s\], > 0.
    pub period: f64,
}

mod demand;
mod grid;
mod network;
mod parse;
mod signal;
#[cfg(test)]
mod tests;
mod trips;

pub use grid::MAX_SIDE;
pub use network::{VEHICLE_SPACE, shortest_path};
#[allow(unused_imports, reason = "skeleton: CityModel calls it")]
pub(crate) use parse::parse;
pub use parse::{DEFAULT_SIGNAL, DEFAULT_SIGNAL_PARAMS};
