//! Window accumulators and records of a city replication: per-trip samples, blocked-state
//! levels, and the once-per-replication window values written at `close`.
//!
//! Per-trip values go out as records at once (the collector windows them by record time). What
//! needs a sum, a maximum or a percentile over the window `[warmup, horizon]` is accumulated
//! here in O(1) per call and recorded once, at the horizon (plan D3). Definitions, T = horizon −
//! warmup [s]:
//!
//! - `queue_mean.<link>` = (1/T)·Σ over vehicles of |[reached, crossed) ∩ [warmup, horizon]|,
//!   still-queued vehicles counting to the horizon: the exact time average of the number of
//!   vehicles at the link's stop line;
//! - `queue_max.<link>` = the largest `queued` at a crossing in the window, or at the horizon
//!   (a queue only grows between crossings, so its maximum is reached just before one);
//! - `degree_of_saturation.<node>` = max over its movements of crossings in the window /
//!   ((s·lanes·permitted_factor / 3600)·effective green in the window), 0 for a movement
//!   without green;
//! - `delay_p95` (nearest rank, exact), `vehicle_hours_delay` = Σ delay / 3600 and
//!   `throughput` = trips · 3600 / T, over the trips that ended in the window;
//! - `in_network_mean` = (1/T)∫ vehicles on links dt over the window, from each vehicle's
//!   network entry and exit (or the horizon).

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

/// Subject of whole-network kinds.
const SYSTEM: u32 = 0;

/// A node without a signal has no per-node subject.
const NO_SUBJECT: u32 = u32::MAX;

/// The accumulators of one replication over the window [warmup, horizon].
#[derive(Debug)]
pub(crate) struct Accounting {
    kinds: CityKinds,
    /// Window start [s].
    warmup: f64,
    /// Window end [s].
    horizon: f64,
    /// Delays of the trips that ended in the window [s], in exit order (for the percentile).
    delays: Vec<f64>,
    /// Their sum [s].
    delay_sum: f64,
    /// Per link: ∫ vehicles at the stop line dt over the window so far [veh·s].
    queue_area: Vec<f64>,
    /// Per link: the largest queue seen at a crossing in the window [veh].
    queue_max: Vec<u32>,
    /// Per link: whether it is blocking some movement now.
    blocked: Vec<bool>,
    /// Links with `blocked` set.
    blocked_links: u32,
    /// Per movement: crossings in the window.
    crossings: Vec<u64>,
    /// Per movement: effective green in the window [s].
    green: Vec<f64>,
    /// Per movement: saturation flow s·lanes·permitted_factor [veh/s].
    saturation: Vec<f64>,
    /// Per movement: the subject of its node.
    movement_node: Vec<u32>,
    /// Per node: its subject among the signalised nodes, or [`NO_SUBJECT`].
    node_subject: Vec<u32>,
    /// Per signalised node: phase changes in the window.
    changes: Vec<u64>,
    /// Gridlocks detected in the window.
    gridlocks: u64,
    /// Clamped controller answers in the replication.
    clamps: u64,
    /// ∫ vehicles on links dt over the window so far, from vehicles that left [veh·s].
    network_area: f64,
}

impl Accounting {
    /// Accumulators for `config`'s network, window [warmup, horizon] [s].
    pub(crate) fn new(config: &CityConfig, kinds: CityKinds, warmup: f64, horizon: f64) -> Self {
        let net = &config.network;
        let mut node_subject = vec![NO_SUBJECT; net.nodes.len()];
        let mut signalised = 0u32;
        for (subject, node) in node_subject.iter_mut().zip(&net.nodes) {
            if node.control.is_some() {
                *subject = signalised;
                signalised += 1;
            }
        }
        let saturation = net
            .movements
            .iter()
            .map(|m| {
                let link = &net.links[m.from as usize];
                link.saturation * f64::from(link.lanes) * m.permitted_factor / 3600.0
            })
            .collect();
        let movement_node = net.movements.iter().map(|m| node_subject[m.node as usize]).collect();
        let links = net.links.len();
        let movements = net.movements.len();
        Accounting {
            kinds,
            warmup,
            horizon,
            delays: Vec::new(),
            delay_sum: 0.0,
            queue_area: vec![0.0; links],
            queue_max: vec![0; links],
            blocked: vec![false; links],
            blocked_links: 0,
            crossings: vec![0; movements],
            green: vec![0.0; movements],
            saturation,
            movement_node,
            node_subject,
            changes: vec![0; signalised as usize],
            gridlocks: 0,
            clamps: 0,
            network_area: 0.0,
        }
    }

    /// Length of [start, end) inside the window [s].
    fn overlap(&self, start: f64, end: f64) -> f64 {
        (end.min(self.horizon) - start.max(self.warmup)).max(0.0)
    }

    /// Whether an instant is in the window (inclusive at both ends, as the collector's).
    fn in_window(&self, t: f64) -> bool {
        t >= self.warmup && t <= self.horizon
    }

    /// A vehicle of demand source `flow` (see [`super::kinds::source_names`]) entered the
    /// network at `ctx.now()` having wanted to at `desired` [s]: records its insertion delay.
    pub(crate) fn inserted<R>(&mut self, ctx: &mut Ctx<R>, flow: u32, desired: f64) {
        let _ = flow;
        let now = ctx.now().as_f64();
        ctx.record(self.kinds.insertion_delay, SYSTEM, now - desired);
    }

    /// A vehicle crossed the stop line of `movement` (in-link `link`) at `now` [s], having
    /// reached it at `reached`; `queued` vehicles (this one included) were at the link's stop
    /// line just before.
    pub(crate) fn crossed(&mut self, movement: u32, link: u32, reached: f64, now: f64, queued: u32) {
        self.queue_area[link as usize] += self.overlap(reached, now);
        if self.in_window(now) {
            self.crossings[movement as usize] += 1;
            let max = &mut self.queue_max[link as usize];
            *max = (*max).max(queued);
        }
    }

    /// The movements of a phase had effective green on [start, end) [s]. Call it when the
    /// window's end is known, and at the horizon for a green still running (an end past the
    /// horizon, even `+∞`, is cut there).
    pub(crate) fn green(&mut self, movements: &[u32], start: f64, end: f64) {
        let length = self.overlap(start, end);
        if length > 0.0 {
            for &m in movements {
                self.green[m as usize] += length;
            }
        }
    }

    /// Node `node` switched phase at `now` [s].
    pub(crate) fn phase_changed(&mut self, node: u32, now: f64) {
        let subject = self.node_subject[node as usize];
        debug_assert_ne!(subject, NO_SUBJECT, "node {node} has no signal");
        if subject != NO_SUBJECT && self.in_window(now) {
            self.changes[subject as usize] += 1;
        }
    }

    /// Some movement into `link` is now blocked by it being full (`true`), or none is any
    /// more (`false`): records the link's blocked level and, when the number of blocked links
    /// goes 0 ↔ > 0, the system's spillback level. Repeating the current state records
    /// nothing.
    pub(crate) fn link_blocked<R>(&mut self, ctx: &mut Ctx<R>, link: u32, blocked: bool) {
        let state = &mut self.blocked[link as usize];
        if *state == blocked {
            return;
        }
        *state = blocked;
        ctx.record(self.kinds.link_blocked, link, if blocked { 1.0 } else { 0.0 });
        if blocked {
            self.blocked_links += 1;
            if self.blocked_links == 1 {
                ctx.record(self.kinds.spillback, SYSTEM, 1.0);
            }
        } else {
            self.blocked_links -= 1;
            if self.blocked_links == 0 {
                ctx.record(self.kinds.spillback, SYSTEM, 0.0);
            }
        }
    }

    /// A trip of demand source `flow` ended at `ctx.now()`: travel time and free-flow time
    /// [s], stops. Records its delay, travel time and stops.
    pub(crate) fn trip_done<R>(
        &mut self,
        ctx: &mut Ctx<R>,
        flow: u32,
        travel: f64,
        free_flow: f64,
        stops: u32,
    ) {
        let now = ctx.now().as_f64();
        let delay = travel - free_flow;
        let subject = if self.kinds.per_source { flow } else { SYSTEM };
        ctx.record(self.kinds.trip_delay, subject, delay);
        ctx.record(self.kinds.travel_time, SYSTEM, travel);
        ctx.record(self.kinds.trip_stops, SYSTEM, f64::from(stops));
        self.network_area += self.overlap(now - travel, now);
        if self.in_window(now) {
            self.delays.push(delay);
            self.delay_sum += delay;
        }
    }

    /// A gridlock was detected at `ctx.now()`.
    pub(crate) fn gridlock<R>(&mut self, ctx: &mut Ctx<R>) {
        ctx.record(self.kinds.gridlock, SYSTEM, 1.0);
        if self.in_window(ctx.now().as_f64()) {
            self.gridlocks += 1;
        }
    }

    /// The host changed a controller's answer to keep it safe (min/max green).
    pub(crate) fn clamped(&mut self) {
        self.clamps += 1;
    }

    /// The 95th percentile of the window's trip delays by nearest rank (the ⌈0.95·n⌉-th
    /// smallest), `None` without trips. Exact, and deterministic whatever the order of ties.
    fn delay_p95(&mut self) -> Option<f64> {
        let n = self.delays.len();
        if n == 0 {
            return None;
        }
        let rank = (95 * n).div_ceil(100);
        let (_, p95, _) = self.delays.select_nth_unstable_by(rank - 1, f64::total_cmp);
        Some(*p95)
    }

    /// At the horizon: writes the window's records. `queued` lists (in-link, stop-line
    /// arrival time [s]) of every vehicle still waiting at a stop line (vehicles listed that
    /// reach it after the horizon count for nothing); `entered` the network entry time [s] of
    /// every vehicle still on a link (for `in_network_mean`); `census` the conservation counts.
    pub(crate) fn close<R>(
        &mut self,
        ctx: &mut Ctx<R>,
        census: Census,
        queued: impl Iterator<Item = (u32, f64)>,
        entered: impl Iterator<Item = f64>,
    ) {
        let horizon = self.horizon;
        let length = horizon - self.warmup;
        let mut residual = vec![0u32; self.queue_area.len()];
        for (link, reached) in queued {
            self.queue_area[link as usize] += self.overlap(reached, horizon);
            if reached <= horizon {
                residual[link as usize] += 1;
            }
        }
        for entry in entered {
            self.network_area += self.overlap(entry, horizon);
        }
        let w = self.kinds.window;
        if let Some(p95) = self.delay_p95() {
            ctx.record(w.delay_p95, SYSTEM, p95);
        }
        ctx.record(w.vehicle_hours_delay, SYSTEM, self.delay_sum / 3600.0);
        ctx.record(w.throughput, SYSTEM, self.delays.len() as f64 * 3600.0 / length);
        for (link, (&area, (&max, &rest))) in
            self.queue_area.iter().zip(self.queue_max.iter().zip(&residual)).enumerate()
        {
            ctx.record(w.queue_mean, link as u32, area / length);
            ctx.record(w.queue_max, link as u32, f64::from(max.max(rest)));
        }
        if let Some(kind) = w.degree_of_saturation {
            let mut x = vec![0.0_f64; self.changes.len()];
            for (m, &node) in self.movement_node.iter().enumerate() {
                let capacity = self.saturation[m] * self.green[m];
                if node != NO_SUBJECT && capacity > 0.0 {
                    let ratio = self.crossings[m] as f64 / capacity;
                    x[node as usize] = x[node as usize].max(ratio);
                }
            }
            for (node, value) in x.into_iter().enumerate() {
                ctx.record(kind, node as u32, value);
            }
        }
        let per_hour = 3600.0 / length;
        if let Some(kind) = w.phase_changes {
            for (node, &n) in self.changes.iter().enumerate() {
                ctx.record(kind, node as u32, n as f64 * per_hour);
            }
        }
        let changes: u64 = self.changes.iter().sum();
        ctx.record(w.phase_changes_total, SYSTEM, changes as f64 * per_hour);
        ctx.record(w.gridlocks_total, SYSTEM, self.gridlocks as f64);
        ctx.record(w.unfinished, SYSTEM, (census.in_network + census.in_buffers) as f64);
        ctx.record(w.spawned_total, SYSTEM, census.spawned as f64);
        ctx.record(w.arrived_total, SYSTEM, census.arrived as f64);
        ctx.record(w.in_network, SYSTEM, census.in_network as f64);
        ctx.record(w.in_buffers, SYSTEM, census.in_buffers as f64);
        ctx.record(w.in_network_mean, SYSTEM, self.network_area / length);
        ctx.record(w.signal_clamps, SYSTEM, self.clamps as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::super::kinds::fixtures::{cross, declared, flow, kpi, plugin};
    use super::*;
    use crate::rng::StreamSeeder;
    use crate::time::SimTime;

    /// An engine context over [warmup, horizon] whose clock the test moves.
    fn ctx(warmup: f64, horizon: f64) -> Ctx<u8> {
        Ctx::new(StreamSeeder::new(7, 0), SimTime::new(horizon).unwrap(), SimTime::new(warmup).unwrap())
    }

    fn at(ctx: &mut Ctx<u8>, t: f64) {
        ctx.schedule_at(SimTime::new(t).unwrap(), 0u8).unwrap();
        ctx.calendar.pop().unwrap();
        assert_eq!(ctx.now().as_f64(), t);
    }

    /// The cross with flows f0 (north → south) and f1 (east → west).
    fn config() -> CityConfig {
        let mut config = cross(plugin("fixed_time", "{}"));
        config.flows = vec![flow("f0", &[0, 5], 300.0), flow("f1", &[2, 7], 300.0)];
        config
    }

    #[test]
    fn a_hand_made_replication_gives_the_hand_computed_metrics() {
        let config = config();
        let (catalogue, kinds) = declared(&config);
        let (warmup, horizon) = (100.0, 1100.0);
        let mut acct = Accounting::new(&config, kinds, warmup, horizon);
        let mut c = ctx(warmup, horizon);
        let phase0: Vec<u32> = (0..6).collect();
        let phase1: Vec<u32> = (6..12).collect();
        at(&mut c, 50.0);
        acct.inserted(&mut c, 0, 40.0); // before the window: not in the mean
        acct.green(&phase0, 60.0, 130.0); // 30 s in the window
        at(&mut c, 90.0);
        acct.phase_changed(0, 90.0); // before the window
        acct.trip_done(&mut c, 0, 40.0, 20.0, 1); // before the window
        at(&mut c, 95.0);
        acct.crossed(1, 0, 90.0, 95.0, 5); // before the window: no area, no max
        at(&mut c, 120.0);
        acct.crossed(0, 0, 80.0, 120.0, 3); // [100, 120): 20 veh·s
        at(&mut c, 130.0);
        acct.phase_changed(0, 130.0);
        at(&mut c, 140.0);
        acct.crossed(6, 2, 100.0, 140.0, 2); // 40 veh·s on east-in
        at(&mut c, 150.0);
        acct.inserted(&mut c, 1, 150.0);
        at(&mut c, 165.0);
        acct.green(&phase1, 135.0, 165.0); // 30 s
        acct.phase_changed(0, 165.0);
        at(&mut c, 200.0);
        acct.crossed(0, 0, 190.0, 200.0, 1); // 10 veh·s
        at(&mut c, 300.0);
        acct.link_blocked(&mut c, 5, true);
        at(&mut c, 400.0);
        acct.link_blocked(&mut c, 6, true);
        at(&mut c, 450.0);
        acct.link_blocked(&mut c, 5, true); // no change: no record
        at(&mut c, 500.0);
        acct.link_blocked(&mut c, 5, false);
        assert!(acct.blocked[6] && !acct.blocked[5]);
        at(&mut c, 600.0);
        acct.link_blocked(&mut c, 6, false);
        at(&mut c, 700.0);
        acct.trip_done(&mut c, 1, 550.0, 20.0, 2); // delay 530, on links [150, 700)
        at(&mut c, 800.0);
        acct.trip_done(&mut c, 0, 100.0, 20.0, 0); // delay 80, on links [700, 800)
        at(&mut c, 900.0);
        acct.gridlock(&mut c);
        acct.clamped();
        acct.clamped();
        at(&mut c, 1100.0);
        acct.green(&phase0, 170.0, f64::INFINITY); // cut at the horizon: 930 s
        let census = Census { spawned: 5, arrived: 3, in_network: 1, in_buffers: 1 };
        // Two waiting on south-in since 1000 and 1050; one reaching east-in after the horizon.
        let queued = [(1, 1000.0), (1, 1050.0), (2, 2000.0)];
        acct.close(&mut c, census, queued.into_iter(), [1000.0].into_iter());

        let got = kpi(&catalogue, warmup, horizon, &c.records);
        let t = horizon - warmup;
        let mut want: Vec<(String, f64)> = vec![
            ("arrived_total".into(), 3.0),
            // movement 6: 1 crossing / (0.5 veh/s · 30 s); movement 0: 2 / (0.5 · 960).
            ("degree_of_saturation.x".into(), 1.0 / 15.0),
            ("delay_mean".into(), 305.0),
            ("delay_mean.f0".into(), 80.0),
            ("delay_mean.f1".into(), 530.0),
            ("delay_p95".into(), 530.0),
            ("gridlocks".into(), 1.0 / t),
            ("gridlocks_total".into(), 1.0),
            ("in_buffers".into(), 1.0),
            ("in_network".into(), 1.0),
            ("in_network_mean".into(), (550.0 + 100.0 + 100.0) / t),
            ("insertion_delay_mean".into(), 0.0),
            ("phase_changes_per_hour".into(), 2.0 * 3600.0 / t),
            ("phase_changes_per_hour.x".into(), 2.0 * 3600.0 / t),
            ("signal_clamps".into(), 2.0),
            ("spawned_total".into(), 5.0),
            ("spillback_fraction".into(), 300.0 / t),
            ("stops_mean".into(), 1.0),
            ("throughput".into(), 2.0 * 3600.0 / t),
            ("travel_time_mean".into(), 325.0),
            ("unfinished".into(), 2.0),
            ("vehicle_hours_delay".into(), 610.0 / 3600.0),
        ];
        let blocked = [0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.2, 0.0];
        let queue_mean = [30.0 / t, 150.0 / t, 40.0 / t, 0.0, 0.0, 0.0, 0.0, 0.0];
        let queue_max = [3.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        for (l, link) in config.network.links.iter().enumerate() {
            want.push((format!("blocked_fraction.{}", link.name), blocked[l]));
            want.push((format!("queue_mean.{}", link.name), queue_mean[l]));
            want.push((format!("queue_max.{}", link.name), queue_max[l]));
        }
        want.sort_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        let wanted: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, wanted);
        for ((name, value), (_, w)) in got.iter().zip(&want) {
            let v = value.unwrap_or_else(|| panic!("{name} is undefined"));
            assert!((v - w).abs() <= 1e-12 * w.abs().max(1.0), "{name}: {v} vs {w}");
        }
    }

    #[test]
    fn blocked_levels_are_recorded_on_change_only() {
        let config = config();
        let (_, kinds) = declared(&config);
        let mut acct = Accounting::new(&config, kinds, 0.0, 100.0);
        let mut c = ctx(0.0, 100.0);
        at(&mut c, 1.0);
        acct.link_blocked(&mut c, 4, false); // already free: nothing
        acct.link_blocked(&mut c, 4, true);
        acct.link_blocked(&mut c, 4, true);
        acct.link_blocked(&mut c, 5, true);
        acct.link_blocked(&mut c, 4, false);
        acct.link_blocked(&mut c, 5, false);
        let seen: Vec<(u32, u32, f64)> = c.records.iter().map(|r| (r.kind, r.subject, r.value)).collect();
        let (link, system) = (kinds.link_blocked.0, kinds.spillback.0);
        assert_eq!(
            seen,
            [
                (link, 4, 1.0),
                (system, 0, 1.0),
                (link, 5, 1.0),
                (link, 4, 0.0),
                (link, 5, 0.0),
                (system, 0, 0.0)
            ]
        );
    }

    #[test]
    fn delay_p95_is_the_nearest_rank() {
        let config = config();
        let (_, kinds) = declared(&config);
        for (n, want) in [(1, 1.0), (2, 2.0), (19, 19.0), (20, 19.0), (21, 20.0), (100, 95.0), (101, 96.0)] {
            let mut acct = Accounting::new(&config, kinds, 0.0, 100.0);
            // Descending, so the order statistic is not the insertion order.
            acct.delays = (1..=n).rev().map(f64::from).collect();
            assert_eq!(acct.delay_p95(), Some(want), "n = {n}");
        }
        let mut acct = Accounting::new(&config, kinds, 0.0, 100.0);
        assert_eq!(acct.delay_p95(), None);
    }

    #[test]
    fn without_trips_in_the_window_delay_p95_is_undefined_and_the_rest_zero() {
        let config = config();
        let (catalogue, kinds) = declared(&config);
        let mut acct = Accounting::new(&config, kinds, 0.0, 100.0);
        let mut c = ctx(0.0, 100.0);
        at(&mut c, 100.0);
        acct.close(&mut c, Census::default(), std::iter::empty(), std::iter::empty());
        let got = kpi(&catalogue, 0.0, 100.0, &c.records);
        let get = |name: &str| got.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(get("delay_p95"), None);
        assert_eq!(get("delay_mean"), None);
        assert_eq!(get("throughput"), Some(0.0));
        assert_eq!(get("vehicle_hours_delay"), Some(0.0));
        assert_eq!(get("degree_of_saturation.x"), Some(0.0));
        assert_eq!(get("queue_max.north-in"), Some(0.0));
    }
}
