//! Link-queue dynamics: vehicles enter links, reach their movement's stop line after the free
//! travel time, and cross when their movement has effective green, they are at the head, the
//! discharge rule allows it and the out-link has storage (spillback otherwise).
//!
//! Only crossings, exits and departures are calendar entries: a vehicle's stop-line time is
//! known when it enters a link, so it joins its movement's FIFO with that time (no stop-line
//! event). Each approach keeps at most one live `Cross` entry; a newer one supersedes it by
//! generation (lazy cancellation, no calendar cancel).

use std::collections::VecDeque;

use super::CityEvent;
use super::accounting::{Accounting, Census};
use super::config::Discharge;
use super::demand::TurnTable;
use super::network::Network;
use super::signals::Light;
use super::vehicles::{DRAWN, VehId, Vehicle, Vehicles, uniform};
use crate::engine::{Ctx, ModelError};
use crate::time::SimTime;

/// Who waits for storage on a full link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waiter {
    /// A movement whose head cannot cross into the link.
    Movement(u32),
    /// The link's own origin buffer.
    Origin,
}

/// Occupancy of one link.
#[derive(Debug, Default)]
struct LinkState {
    /// Vehicles on it, moving and queued.
    n: u32,
    /// Who to wake when storage frees.
    waiters: Vec<Waiter>,
    /// Whether its origin buffer is among the waiters.
    origin_waiting: bool,
    /// Movements into it blocked now.
    blocked: u32,
}

/// The FIFO of one movement: every vehicle on its in-link bound for its out-link, with the time
/// it reaches (reached) the stop line.
#[derive(Debug)]
pub(crate) struct Queue {
    pub(crate) fifo: VecDeque<(VehId, f64)>,
    /// Last crossing [s] (−∞ before the first).
    pub(crate) last_cross: f64,
    /// Vehicles that crossed so far.
    pub(crate) crossed: u64,
    /// Whether its head waits for storage on the out-link.
    blocked: bool,
}

impl Queue {
    /// Vehicles at the stop line at `now` (reached it at or before `now`).
    #[inline]
    pub(crate) fn at_stop_line(&self, now: f64) -> u32 {
        self.fifo.partition_point(|&(_, t)| t <= now) as u32
    }
}

/// The stop-line server of one approach (in-link).
#[derive(Clone, Copy, Debug)]
struct Approach {
    /// Generation of the live `Cross` entry.
    generation: u32,
    /// Time of the live `Cross` entry (`+∞`: none).
    pending: f64,
    /// The green (its effective start e₀) `next_slot` counts in.
    window: f64,
    /// First unused slot index of that green (slotted discharge).
    next_slot: i64,
    /// When the stop line is free again (continuous discharge) [s].
    free_at: f64,
}

/// A crossing the approach can make: time, slot index, movement, stop-line arrival.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    time: f64,
    slot: i64,
    movement: u32,
    reached: f64,
}

/// The hot state of the traffic.
pub(crate) struct Traffic {
    pub(crate) vehicles: Vehicles,
    /// Fixed paths, one after another (a vehicle keeps the start of its own).
    pub(crate) paths: Vec<u32>,
    links: Vec<LinkState>,
    pub(crate) queues: Vec<Queue>,
    approaches: Vec<Approach>,
    /// Vehicles waiting to enter each link (only links leaving a boundary node have any).
    origins: Vec<VecDeque<VehId>>,
    /// Vehicles on each exit link with the time they reach its end.
    exits: Vec<VecDeque<(VehId, f64)>>,
    turns: TurnTable,
    discharge: Discharge,
    stop_threshold: Option<f64>,
    /// Last crossing anywhere [s] (gridlock detection).
    pub(crate) last_cross: f64,
    /// Vehicles that may call a resting green off: (junction, stop-line time) since last drained.
    pub(crate) calls: Vec<(u32, f64)>,
    pub(crate) spawned: u64,
    pub(crate) arrived: u64,
}

impl Traffic {
    pub(crate) fn new(
        net: &Network,
        turns: TurnTable,
        discharge: Discharge,
        stop_threshold: Option<f64>,
    ) -> Self {
        let n = net.links.len();
        Traffic {
            vehicles: Vehicles::default(),
            paths: Vec::new(),
            links: (0..n).map(|_| LinkState::default()).collect(),
            queues: net
                .movements
                .iter()
                .map(|_| Queue {
                    fifo: VecDeque::new(),
                    last_cross: f64::NEG_INFINITY,
                    crossed: 0,
                    blocked: false,
                })
                .collect(),
            approaches: vec![
                Approach {
                    generation: 0,
                    pending: f64::INFINITY,
                    window: f64::NAN,
                    next_slot: 0,
                    free_at: f64::NEG_INFINITY
                };
                n
            ],
            origins: (0..n).map(|_| VecDeque::new()).collect(),
            exits: (0..n).map(|_| VecDeque::new()).collect(),
            turns,
            discharge,
            stop_threshold,
            last_cross: 0.0,
            calls: Vec::new(),
            spawned: 0,
            arrived: 0,
        }
    }

    /// Vehicles on `link` (moving and queued).
    #[inline]
    pub(crate) fn on_link(&self, link: u32) -> u32 {
        self.links[link as usize].n
    }

    /// The conservation counts now.
    pub(crate) fn census(&self) -> Census {
        Census {
            spawned: self.spawned,
            arrived: self.arrived,
            in_network: self.links.iter().map(|l| u64::from(l.n)).sum(),
            in_buffers: self.origins.iter().map(|o| o.len() as u64).sum(),
        }
    }

    /// Every vehicle waiting at a stop line at `now`: (in-link, stop-line time).
    pub(crate) fn queued(&self, net: &Network, now: f64) -> impl Iterator<Item = (u32, f64)> {
        self.queues.iter().zip(&net.movements).flat_map(move |(q, m)| {
            q.fifo.iter().take_while(move |&&(_, t)| t <= now).map(move |&(_, t)| (m.from, t))
        })
    }

    /// Network entry times of every vehicle on a link now.
    pub(crate) fn entered(&self) -> impl Iterator<Item = f64> {
        let queued = self.queues.iter().flat_map(|q| q.fifo.iter());
        let leaving = self.exits.iter().flat_map(|e| e.iter());
        queued.chain(leaving).map(|&(v, _)| self.vehicles.get(v).entered)
    }

    /// Whether some vehicle waits at a stop line at `now`.
    pub(crate) fn anyone_waits(&self, now: f64) -> bool {
        self.queues.iter().any(|q| q.fifo.front().is_some_and(|&(_, t)| t <= now))
    }

    /// A new vehicle wants to enter the network at `now` on its first link.
    pub(crate) fn depart<R: From<CityEvent>>(
        &mut self,
        w: &mut Env<'_, '_, R>,
        vehicle: Vehicle,
        first: u32,
    ) -> Result<(), ModelError> {
        self.spawned += 1;
        let id = self.vehicles.add(vehicle);
        self.origins[first as usize].push_back(id);
        self.insert(w, first)
    }

    /// Moves waiting vehicles from `link`'s origin buffer onto it while it has storage.
    fn insert<R: From<CityEvent>>(&mut self, w: &mut Env<'_, '_, R>, link: u32) -> Result<(), ModelError> {
        let now = w.now();
        let storage = w.net.links[link as usize].storage;
        while self.links[link as usize].n < storage {
            let Some(id) = self.origins[link as usize].pop_front() else { return Ok(()) };
            let v = self.vehicles.get_mut(id);
            v.entered = now;
            let (source, desired) = (v.source, v.desired);
            w.acct.inserted(w.ctx, source, desired);
            self.enter(w, link, id)?;
        }
        let state = &mut self.links[link as usize];
        if !self.origins[link as usize].is_empty() && !state.origin_waiting {
            state.origin_waiting = true;
            state.waiters.push(Waiter::Origin);
        }
        Ok(())
    }

    /// Vehicle `id` enters `link` at `now`: it joins its movement's FIFO (or the exit queue)
    /// with its stop-line time.
    fn enter<R: From<CityEvent>>(
        &mut self,
        w: &mut Env<'_, '_, R>,
        link: u32,
        id: VehId,
    ) -> Result<(), ModelError> {
        let now = w.now();
        let l = &w.net.links[link as usize];
        self.links[link as usize].n += 1;
        let v = self.vehicles.get_mut(id);
        v.free_flow += l.tau;
        let reached = now + l.tau;
        if l.exit {
            let exits = &mut self.exits[link as usize];
            exits.push_back((id, reached));
            if exits.len() == 1 {
                w.ctx.schedule_at(time(reached)?, CityEvent::Exit { link })?;
            }
            return Ok(());
        }
        let next = if v.path == DRAWN {
            self.turns.draw(link, uniform(v.seed, v.hop)).ok_or_else(|| {
                ModelError::Invalid(format!("a vehicle on link {link} has no turning ratio to draw from"))
            })?
        } else {
            self.paths[(v.path + v.hop + 1) as usize]
        };
        v.next = next;
        let m = w.net.movement(link, next).ok_or_else(|| {
            ModelError::Invalid(format!(
                "a vehicle on link {link} is bound for link {next}, which does not leave its end"
            ))
        })?;
        let q = &mut self.queues[m as usize];
        q.fifo.push_back((id, reached));
        let mv = &w.net.movements[m as usize];
        let light = &w.lights[mv.node as usize];
        if light.resting && mv.phases & (1 << light.phase) == 0 {
            self.calls.push((mv.node, reached));
        }
        if q.fifo.len() == 1 {
            self.arm(w, link)?;
        }
        Ok(())
    }

    /// The earliest crossing approach `link` can make at or after `now`, if its movements'
    /// greens allow one.
    fn best(&self, net: &Network, lights: &[Light], link: u32, now: f64) -> Option<Candidate> {
        let l = &net.links[link as usize];
        let a = &self.approaches[link as usize];
        let mut best: Option<Candidate> = None;
        for m in l.movements.clone() {
            let q = &self.queues[m as usize];
            let Some(&(_, reached)) = q.fifo.front() else { continue };
            let mv = &net.movements[m as usize];
            let light = &lights[mv.node as usize];
            if q.blocked || mv.phases & (1 << light.phase) == 0 {
                continue;
            }
            let (e0, h) = (light.e0, l.headway);
            let (t, slot) = match self.discharge {
                Discharge::Slotted => {
                    // The first slot e₀ + k·h strictly after the stop-line arrival, not before
                    // now, and not one this green has used.
                    let mut k = if reached >= e0 { ((reached - e0) / h).floor() as i64 } else { 0 };
                    if a.window == e0 {
                        k = k.max(a.next_slot);
                    }
                    if now > e0 {
                        k = k.max(((now - e0) / h).floor() as i64);
                    }
                    while e0 + k as f64 * h <= reached || e0 + k as f64 * h < now {
                        k += 1;
                    }
                    (e0 + k as f64 * h, k)
                }
                Discharge::Continuous => (reached.max(a.free_at).max(e0).max(now), 0),
            };
            if t >= light.e1 {
                continue;
            }
            let c = Candidate { time: t, slot, movement: m, reached };
            best = match best {
                Some(b) if (b.time, b.reached) <= (c.time, c.reached) => Some(b),
                _ => Some(c),
            };
        }
        best
    }

    /// (Re)schedules approach `link`'s next crossing if it is earlier than the live one.
    pub(crate) fn arm<R: From<CityEvent>>(
        &mut self,
        w: &mut Env<'_, '_, R>,
        link: u32,
    ) -> Result<(), ModelError> {
        let Some(c) = self.best(w.net, w.lights, link, w.now()) else { return Ok(()) };
        let a = &mut self.approaches[link as usize];
        if c.time < a.pending {
            a.generation = a.generation.wrapping_add(1);
            a.pending = c.time;
            w.ctx
                .schedule_at(time(c.time)?, CityEvent::Cross { approach: link, generation: a.generation })?;
        }
        Ok(())
    }

    /// A `Cross` entry of approach `link` is due.
    pub(crate) fn on_cross<R: From<CityEvent>>(
        &mut self,
        w: &mut Env<'_, '_, R>,
        link: u32,
        generation: u32,
    ) -> Result<(), ModelError> {
        let a = &mut self.approaches[link as usize];
        if a.generation != generation {
            return Ok(());
        }
        a.pending = f64::INFINITY;
        let now = w.now();
        if let Some(c) = self.best(w.net, w.lights, link, now).filter(|c| c.time <= now) {
            let out = w.net.movements[c.movement as usize].to;
            if self.links[out as usize].n >= w.net.links[out as usize].storage {
                self.block(w, c.movement, out);
            } else {
                self.cross(w, c)?;
            }
        }
        self.arm(w, link)
    }

    /// The head of movement `m` cannot cross: its out-link is full.
    fn block<R>(&mut self, w: &mut Env<'_, '_, R>, m: u32, out: u32) {
        self.queues[m as usize].blocked = true;
        let l = &mut self.links[out as usize];
        l.waiters.push(Waiter::Movement(m));
        l.blocked += 1;
        if l.blocked == 1 {
            w.acct.link_blocked(w.ctx, out, true);
        }
    }

    /// The head of `c.movement` crosses its stop line now.
    fn cross<R: From<CityEvent>>(&mut self, w: &mut Env<'_, '_, R>, c: Candidate) -> Result<(), ModelError> {
        let now = w.now();
        let mv = &w.net.movements[c.movement as usize];
        let (link, out) = (mv.from, mv.to);
        let queued: u32 = w.net.links[link as usize]
            .movements
            .clone()
            .map(|m| self.queues[m as usize].at_stop_line(now))
            .sum();
        let q = &mut self.queues[c.movement as usize];
        let Some((id, reached)) = q.fifo.pop_front() else { return Ok(()) };
        q.last_cross = now;
        q.crossed += 1;
        let a = &mut self.approaches[link as usize];
        let light = &w.lights[mv.node as usize];
        a.window = light.e0;
        a.next_slot = c.slot + i64::from(mv.slots);
        a.free_at = now + mv.headway;
        self.last_cross = now;
        let threshold = self.stop_threshold.unwrap_or(w.net.links[link as usize].headway);
        let v = self.vehicles.get_mut(id);
        if now - reached > threshold {
            v.stops += 1;
        }
        v.hop += 1;
        w.acct.crossed(c.movement, link, reached, now, queued);
        self.links[link as usize].n -= 1;
        self.enter(w, out, id)?;
        self.storage_freed(w, link)
    }

    /// The head of exit link `link` reaches its end: its trip is over.
    pub(crate) fn on_exit<R: From<CityEvent>>(
        &mut self,
        w: &mut Env<'_, '_, R>,
        link: u32,
    ) -> Result<(), ModelError> {
        let now = w.now();
        let exits = &mut self.exits[link as usize];
        let Some((id, _)) = exits.pop_front() else { return Ok(()) };
        if let Some(&(_, next)) = exits.front() {
            w.ctx.schedule_at(time(next)?, CityEvent::Exit { link })?;
        }
        self.links[link as usize].n -= 1;
        let v = self.vehicles.remove(id);
        self.arrived += 1;
        w.acct.trip_done(w.ctx, v.source, now - v.entered, v.free_flow, v.stops);
        self.storage_freed(w, link)
    }

    /// One vehicle left `link`: wake whoever waits for its storage.
    fn storage_freed<R: From<CityEvent>>(
        &mut self,
        w: &mut Env<'_, '_, R>,
        link: u32,
    ) -> Result<(), ModelError> {
        if self.links[link as usize].waiters.is_empty() {
            return Ok(());
        }
        let waiters = std::mem::take(&mut self.links[link as usize].waiters);
        for waiter in &waiters {
            match *waiter {
                Waiter::Movement(m) => {
                    self.queues[m as usize].blocked = false;
                    let l = &mut self.links[link as usize];
                    l.blocked -= 1;
                    if l.blocked == 0 {
                        w.acct.link_blocked(w.ctx, link, false);
                    }
                    self.arm(w, w.net.movements[m as usize].from)?;
                }
                Waiter::Origin => {
                    self.links[link as usize].origin_waiting = false;
                    self.insert(w, link)?;
                }
            }
        }
        // Give the emptied buffer back unless it was refilled meanwhile.
        let l = &mut self.links[link as usize];
        if l.waiters.is_empty() {
            l.waiters = waiters;
            l.waiters.clear();
        }
        Ok(())
    }

    /// Re-arms every approach of a junction (its lights changed).
    pub(crate) fn lights_changed<R: From<CityEvent>>(
        &mut self,
        w: &mut Env<'_, '_, R>,
        approaches: &[u32],
    ) -> Result<(), ModelError> {
        for &link in approaches {
            self.arm(w, link)?;
        }
        Ok(())
    }

    /// Gridlock release: every blocked head crosses although its out-link is full (MATSim's
    /// "stuck" rule). Returns how many moved.
    pub(crate) fn release<R: From<CityEvent>>(&mut self, w: &mut Env<'_, '_, R>) -> Result<u32, ModelError> {
        let now = w.now();
        let blocked: Vec<u32> = (0..self.queues.len() as u32)
            .filter(|&m| {
                self.queues[m as usize].blocked
                    && self.queues[m as usize].fifo.front().is_some_and(|&(_, t)| t <= now)
            })
            .collect();
        for &m in &blocked {
            let out = w.net.movements[m as usize].to;
            // Unblock first so the waiter list stays consistent.
            let l = &mut self.links[out as usize];
            l.waiters.retain(|x| *x != Waiter::Movement(m));
            l.blocked -= 1;
            if l.blocked == 0 {
                w.acct.link_blocked(w.ctx, out, false);
            }
            self.queues[m as usize].blocked = false;
            let reached = self.queues[m as usize].fifo.front().map_or(now, |&(_, t)| t);
            let link = w.net.movements[m as usize].from;
            let slot = self.approaches[link as usize].next_slot;
            self.cross(w, Candidate { time: now, slot, movement: m, reached })?;
        }
        Ok(blocked.len() as u32)
    }
}

/// What the traffic handlers read and write besides the traffic: the static network, the
/// lights, the accounting and the engine context.
pub(crate) struct Env<'a, 'c, R> {
    pub(crate) net: &'a Network,
    pub(crate) lights: &'a [Light],
    pub(crate) acct: &'a mut Accounting,
    pub(crate) ctx: &'c mut Ctx<R>,
}

impl<R> Env<'_, '_, R> {
    #[inline]
    pub(crate) fn now(&self) -> f64 {
        self.ctx.now().as_f64()
    }
}

/// A model time as a calendar time.
#[inline]
pub(crate) fn time(t: f64) -> Result<SimTime, ModelError> {
    SimTime::new(t).map_err(|e| ModelError::Invalid(format!("time {t}: {e}")))
}
