//! Window accumulators and records of a city replication (H2 writes this file): per-trip
//! samples, blocked-state levels, and the once-per-replication window values written at
//! `close`.

use super::config::CityConfig;
use super::kinds::CityKinds;
use crate::engine::Ctx;

/// Conservation counts at the horizon.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Census {
    /// Vehicles generated (all flows, trips and freight).
    pub(crate) spawned: u64,
    /// Vehicles that reached their destination.
    pub(crate) arrived: u64,
    /// Vehicles on links (moving or queued).
    pub(crate) in_network: u64,
    /// Vehicles waiting in origin buffers to enter.
    pub(crate) in_buffers: u64,
}

/// The accumulators of one replication over the window [warmup, horizon].
pub(crate) struct Accounting {
    kinds: CityKinds,
}

impl Accounting {
    /// Accumulators for `config`'s network, window [warmup, horizon] [s].
    pub(crate) fn new(config: &CityConfig, kinds: CityKinds, warmup: f64, horizon: f64) -> Self {
        let _ = (config, warmup, horizon);
        Accounting { kinds }
    }

    /// A vehicle of `flow` entered the network at `ctx.now()` having wanted to at `desired`
    /// [s]: records its insertion delay.
    pub(crate) fn inserted<R>(&mut self, ctx: &mut Ctx<R>, flow: u32, desired: f64) {
        let _ = (ctx, flow, desired);
        todo!("H2")
    }

    /// A vehicle crossed the stop line of `movement` (in-link `link`) at `now` [s], having
    /// reached it at `reached`; `queued` vehicles (this one included) were at the link's stop
    /// line just before.
    pub(crate) fn crossed(&mut self, movement: u32, link: u32, reached: f64, now: f64, queued: u32) {
        let _ = (movement, link, reached, now, queued);
        todo!("H2")
    }

    /// The movements of a phase had effective green on [start, end) [s].
    pub(crate) fn green(&mut self, movements: &[u32], start: f64, end: f64) {
        let _ = (movements, start, end);
        todo!("H2")
    }

    /// Node `node` switched phase at `now` [s].
    pub(crate) fn phase_changed(&mut self, node: u32, now: f64) {
        let _ = (node, now);
        todo!("H2")
    }

    /// Some movement into `link` is now blocked by it being full (`true`), or none is any
    /// more (`false`): records the link's blocked level and, when the number of blocked links
    /// goes 0 ↔ > 0, the system's spillback level.
    pub(crate) fn link_blocked<R>(&mut self, ctx: &mut Ctx<R>, link: u32, blocked: bool) {
        let _ = (ctx, link, blocked);
        todo!("H2")
    }

    /// A trip of `flow` ended at `ctx.now()`: travel time and free-flow time [s], stops.
    pub(crate) fn trip_done<R>(
        &mut self,
        ctx: &mut Ctx<R>,
        flow: u32,
        travel: f64,
        free_flow: f64,
        stops: u32,
    ) {
        let _ = (ctx, flow, travel, free_flow, stops);
        todo!("H2")
    }

    /// A gridlock was detected at `ctx.now()`.
    pub(crate) fn gridlock<R>(&mut self, ctx: &mut Ctx<R>) {
        let _ = ctx;
        todo!("H2")
    }

    /// The host changed a controller's answer to keep it safe (min/max green).
    pub(crate) fn clamped(&mut self) {
        todo!("H2")
    }

    /// At the horizon: writes the window's records. `queued` lists (in-link, stop-line
    /// arrival time [s]) of every vehicle still waiting at a stop line; `entered` the network
    /// entry time [s] of every vehicle still on a link (for `in_network_mean`); `census` the
    /// conservation counts.
    pub(crate) fn close<R>(
        &mut self,
        ctx: &mut Ctx<R>,
        census: Census,
        queued: impl Iterator<Item = (u32, f64)>,
        entered: impl Iterator<Item = f64>,
    ) {
        let _ = (ctx, census, queued.count(), entered.count());
        todo!("H2")
    }
}
