//! The host side of signal control: the lights of every junction, decision epochs batched per
//! controller instance, snapshots, and the safety rules the host enforces whatever a controller
//! answers (min and max green, yellow and all-red inserted, every answer validated).
//!
//! A junction's controller is asked at its green start, at the time its last answer asked
//! for, and at max green when a conflicting phase has a call. Nodes due at one instant are
//! answered in one call per controller instance (one instance per distinct plugin and
//! parameters), so a 900-junction grid makes one call per instance per epoch.

use std::collections::BTreeMap;

use rand::Rng;
use xinzhi_plugin::abi::{IntersectionObs, MovementObs, SignalDecision};

use super::CityEvent;
use super::accounting::Accounting;
use super::config::{CityConfig, Timing};
use super::dynamics::{Traffic, time};
use super::network::{Network, UNLIMITED};
use crate::calendar::Priority;
use crate::domains::Setup;
use crate::engine::{Ctx, ModelError};
use crate::plugin::{ComponentKind, Services, SignalInstance};

/// Same-time order: a phase starts, then decisions are taken, then vehicles cross (so only a
/// crossing strictly before a gap-out instant extends a green).
pub(crate) const PHASE_START: Priority = Priority(-2);
/// See [`PHASE_START`].
pub(crate) const DECIDE: Priority = Priority(-1);

/// What the traffic sees of a junction's signal.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Light {
    /// The phase whose green runs or is ending (during the intergreen after it).
    pub(crate) phase: u32,
    /// Start of its displayed green [s].
    pub(crate) green_start: f64,
    /// Start of its effective green e₀ = green start + l₁ [s].
    pub(crate) e0: f64,
    /// End of its effective green e₁ (+∞ until a switch is decided) [s].
    pub(crate) e1: f64,
    /// Past max green with no conflicting call: a vehicle reaching a red stop line calls the
    /// controller.
    pub(crate) resting: bool,
}

/// The host's state of one junction.
#[derive(Clone, Debug)]
struct NodeState {
    timing: Timing,
    instance: u32,
    /// Generation of the live decision request (older ones in `due` are stale).
    generation: u32,
    /// Time of the live request (`+∞`: none, e.g. during the intergreen).
    due_at: f64,
    /// Why it is asked then.
    reason: u32,
    /// A switch answered before min green, carried out at min green.
    pending_switch: Option<u32>,
    /// The phase whose green comes after the intergreen.
    next_phase: u32,
}

/// Signal control of every junction.
pub(crate) struct Signals {
    pub(crate) lights: Vec<Light>,
    nodes: Vec<NodeState>,
    instances: Vec<SignalInstance>,
    /// Design flow of every movement [veh/h].
    design: Vec<f64>,
    /// Pending decision requests by instant (`f64` bits: times are ≥ 0, so bit order is time
    /// order): (node, generation).
    due: BTreeMap<u64, Vec<(u32, u32)>>,
    // Reused buffers of one epoch.
    batches: Vec<Vec<u32>>,
    xs: Vec<IntersectionObs>,
    ms: Vec<MovementObs>,
    starts: Vec<u32>,
    phase_ms: Vec<u32>,
    out: Vec<SignalDecision>,
}

impl Signals {
    /// The signals of `config`'s junctions, their controllers created, every junction at the
    /// start of its phase 0's green at t = 0 and due for a decision then.
    pub(crate) fn build<R: From<CityEvent>>(
        config: &CityConfig,
        net: &Network,
        design: Vec<f64>,
        setup: &mut Setup<'_, R>,
    ) -> Result<Self, ModelError> {
        let replication = setup.ctx.replication();
        let mut instances: Vec<SignalInstance> = Vec::new();
        let mut keys: Vec<(&str, &str)> = Vec::new();
        let mut nodes = Vec::with_capacity(net.junctions.len());
        let mut lights = Vec::with_capacity(net.junctions.len());
        for node in config.network.nodes.iter().take(net.junctions.len()) {
            let Some(control) = &node.control else { break };
            let key = (control.signal.plugin.as_str(), control.signal.params.as_str());
            let instance = match keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    let component = setup
                        .registry
                        .find(&control.signal.plugin, ComponentKind::SIGNAL)
                        .map_err(|e| ModelError::Invalid(format!("node `{}`: {e}", node.name)))?;
                    // Seeded by the first node that uses it: adding a node elsewhere shifts
                    // no other controller's stream.
                    let seed = setup.stream(&format!("signal:{}", node.name), "controller").next_u64();
                    let created = component
                        .signal(&control.signal.params, Services { seed, replication })
                        .map_err(|source| ModelError::plugin(format!("node `{}`", node.name), source))?;
                    instances.push(created);
                    keys.push(key);
                    instances.len() - 1
                }
            };
            let t = control.timing;
            nodes.push(NodeState {
                timing: t,
                instance: instance as u32,
                generation: 0,
                due_at: f64::INFINITY,
                reason: IntersectionObs::GREEN_START,
                pending_switch: None,
                next_phase: 0,
            });
            lights.push(Light {
                phase: 0,
                green_start: 0.0,
                e0: t.startup_lost,
                e1: f64::INFINITY,
                resting: false,
            });
        }
        let mut signals = Signals {
            lights,
            nodes,
            batches: vec![Vec::new(); instances.len()],
            instances,
            design,
            due: BTreeMap::new(),
            xs: Vec::new(),
            ms: Vec::new(),
            starts: Vec::new(),
            phase_ms: Vec::new(),
            out: Vec::new(),
        };
        for node in 0..signals.nodes.len() as u32 {
            signals.request(setup.ctx, node, 0.0, IntersectionObs::GREEN_START)?;
        }
        Ok(signals)
    }

    /// Asks for a decision of `node` at `at` (superseding its earlier request).
    fn request<R: From<CityEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        node: u32,
        at: f64,
        reason: u32,
    ) -> Result<(), ModelError> {
        let n = &mut self.nodes[node as usize];
        n.generation = n.generation.wrapping_add(1);
        n.due_at = at;
        n.reason = reason;
        let list = self.due.entry(at.to_bits()).or_default();
        if list.is_empty() {
            ctx.schedule_at_with(time(at)?, DECIDE, CityEvent::Decide)?;
        }
        list.push((node, n.generation));
        Ok(())
    }

    /// Vehicles reached red stop lines of resting junctions: call their controllers then.
    pub(crate) fn calls<R: From<CityEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        calls: &mut Vec<(u32, f64)>,
    ) -> Result<(), ModelError> {
        for (node, at) in calls.drain(..) {
            let n = &self.nodes[node as usize];
            if self.lights[node as usize].resting && n.pending_switch.is_none() && at < n.due_at {
                let reason = n.reason;
                self.request(ctx, node, at, reason)?;
            }
        }
        Ok(())
    }

    /// Whether a movement of `node` that is red now has a vehicle at its stop line.
    fn conflicting_call(&self, net: &Network, traffic: &Traffic, node: u32, now: f64) -> bool {
        let light = &self.lights[node as usize];
        net.junctions[node as usize].movements.clone().any(|m| {
            net.movements[m as usize].phases & (1 << light.phase) == 0
                && traffic.queues[m as usize].fifo.front().is_some_and(|&(_, t)| t <= now)
        })
    }

    /// A decision epoch: every junction due now is decided, one call per controller instance.
    /// Returns the junctions whose lights changed (the traffic re-arms their approaches).
    pub(crate) fn on_decide<R: From<CityEvent>>(
        &mut self,
        net: &Network,
        traffic: &Traffic,
        acct: &mut Accounting,
        ctx: &mut Ctx<R>,
    ) -> Result<(), ModelError> {
        let now = ctx.now().as_f64();
        let Some(due) = self.due.remove(&now.to_bits()) else { return Ok(()) };
        for &(node, generation) in &due {
            let n = &mut self.nodes[node as usize];
            if n.generation != generation {
                continue;
            }
            n.due_at = f64::INFINITY;
            if let Some(p) = n.pending_switch.take() {
                self.switch(net, acct, ctx, node, p)?;
                continue;
            }
            let light = &self.lights[node as usize];
            // Compared as instants, as `apply` computes them: `now − start ≥ max` can be false
            // in floating point at the very instant `start + max` (and then never advance).
            if n.reason != IntersectionObs::GREEN_START && now >= light.green_start + n.timing.max_green {
                let call = self.conflicting_call(net, traffic, node, now);
                let n = &mut self.nodes[node as usize];
                n.reason = if call { IntersectionObs::MAX_GREEN } else { IntersectionObs::REQUESTED };
                self.lights[node as usize].resting = !call;
            }
            let instance = self.nodes[node as usize].instance as usize;
            self.batches[instance].push(node);
        }
        for instance in 0..self.instances.len() {
            if self.batches[instance].is_empty() {
                continue;
            }
            let batch = std::mem::take(&mut self.batches[instance]);
            self.snapshot(net, traffic, &batch, now);
            self.instances[instance]
                .decide(now, &self.xs, &self.ms, &self.starts, &self.phase_ms, &mut self.out)
                .map_err(|source| ModelError::plugin("signal controller", source))?;
            let answers = std::mem::take(&mut self.out);
            for (&node, answer) in batch.iter().zip(&answers) {
                self.apply(net, traffic, acct, ctx, node, *answer)?;
            }
            self.out = answers;
            let mut batch = batch;
            batch.clear();
            self.batches[instance] = batch;
        }
        Ok(())
    }

    /// Builds the snapshot of `batch` at `now` into the reused buffers.
    fn snapshot(&mut self, net: &Network, traffic: &Traffic, batch: &[u32], now: f64) {
        self.xs.clear();
        self.ms.clear();
        self.starts.clear();
        self.phase_ms.clear();
        for &node in batch {
            let j = &net.junctions[node as usize];
            let n = &self.nodes[node as usize];
            let light = &self.lights[node as usize];
            let first_movement = self.ms.len() as u32;
            for m in j.movements.clone() {
                let mv = &net.movements[m as usize];
                let q = &traffic.queues[m as usize];
                let green = mv.phases & (1 << light.phase) != 0;
                let since = match (green, q.last_cross.is_finite()) {
                    (true, _) => now - q.last_cross.max(light.green_start),
                    (false, true) => now - q.last_cross,
                    (false, false) => f64::INFINITY,
                };
                let out = &net.links[mv.to as usize];
                let (down_queue, down_on_link) = downstream(net, traffic, mv.to, now);
                let on_out = traffic.on_link(mv.to);
                let down_free =
                    if out.storage == UNLIMITED { UNLIMITED } else { out.storage.saturating_sub(on_out) };
                self.ms.push(MovementObs {
                    in_link: mv.from,
                    out_link: mv.to,
                    queue: q.at_stop_line(now),
                    on_link: q.fifo.len() as u32,
                    down_free,
                    lanes: mv.lanes,
                    sat_flow_vph: mv.saturation,
                    since_departure_s: since,
                    down_weighted_queue: down_queue,
                    design_flow_vph: self.design.get(m as usize).copied().unwrap_or(f64::NAN),
                    down_weighted_on_link: down_on_link,
                });
            }
            let first_phase = self.starts.len() as u32;
            for phase in &j.phases {
                self.starts.push(self.phase_ms.len() as u32);
                self.phase_ms.extend(phase.iter().map(|&m| first_movement + (m - j.movements.start)));
            }
            self.starts.push(self.phase_ms.len() as u32);
            let t = &n.timing;
            self.xs.push(IntersectionObs {
                node,
                phase: light.phase,
                n_phases: j.phases.len() as u32,
                reason: n.reason,
                elapsed_green_s: now - light.green_start,
                min_green_s: t.min_green,
                max_green_s: t.max_green,
                intergreen_s: t.yellow + t.all_red,
                lost_per_phase_s: t.startup_lost + t.clearance_lost,
                first_movement,
                n_movements: j.movements.len() as u32,
                first_phase,
                _reserved: 0,
            });
        }
    }

    /// Carries out one (validated) answer for `node`, within the safety rules.
    fn apply<R: From<CityEvent>>(
        &mut self,
        net: &Network,
        traffic: &Traffic,
        acct: &mut Accounting,
        ctx: &mut Ctx<R>,
        node: u32,
        answer: SignalDecision,
    ) -> Result<(), ModelError> {
        let now = ctx.now().as_f64();
        let light = self.lights[node as usize];
        let timing = self.nodes[node as usize].timing;
        // Limits as instants, not elapsed times (see `on_decide`): a clamp to `max_at` must be
        // later than now, or the node is asked again at the same instant for ever.
        let (min_at, max_at) = (light.green_start + timing.min_green, light.green_start + timing.max_green);
        if answer.kind == SignalDecision::SWITCH {
            if now < min_at {
                acct.clamped();
                self.nodes[node as usize].pending_switch = Some(answer.phase);
                return self.request(ctx, node, min_at, IntersectionObs::REQUESTED);
            }
            return self.switch(net, acct, ctx, node, answer.phase);
        }
        // An extension shorter than 0.1 s would let a controller stall time.
        let mut at = now + answer.seconds.max(0.1);
        let resting = now >= max_at;
        if !resting && at > max_at {
            acct.clamped();
            at = max_at;
        }
        self.lights[node as usize].resting = resting;
        if resting {
            // Past max green the first vehicle to reach a red stop line calls the green off:
            // those on their way now are known (later ones call on entering their link).
            if let Some(call) = self.next_call(net, traffic, node) {
                at = at.min(call);
            }
        }
        self.request(ctx, node, at, IntersectionObs::REQUESTED)
    }

    /// When the first vehicle already on its way reaches a red stop line of `node`.
    fn next_call(&self, net: &Network, traffic: &Traffic, node: u32) -> Option<f64> {
        let light = &self.lights[node as usize];
        net.junctions[node as usize]
            .movements
            .clone()
            .filter(|&m| net.movements[m as usize].phases & (1 << light.phase) == 0)
            .filter_map(|m| traffic.queues[m as usize].fifo.front().map(|&(_, t)| t))
            .reduce(f64::min)
    }

    /// Ends `node`'s green now: yellow and all-red, then `phase`'s green.
    fn switch<R: From<CityEvent>>(
        &mut self,
        net: &Network,
        acct: &mut Accounting,
        ctx: &mut Ctx<R>,
        node: u32,
        phase: u32,
    ) -> Result<(), ModelError> {
        let now = ctx.now().as_f64();
        let n = &mut self.nodes[node as usize];
        let t = n.timing;
        n.next_phase = phase;
        n.generation = n.generation.wrapping_add(1);
        n.due_at = f64::INFINITY;
        let light = &mut self.lights[node as usize];
        light.e1 = now + t.yellow + t.all_red - t.clearance_lost;
        light.resting = false;
        acct.green(&net.junctions[node as usize].phases[light.phase as usize], light.e0, light.e1);
        acct.phase_changed(node, now);
        ctx.schedule_at_with(time(now + t.yellow + t.all_red)?, PHASE_START, CityEvent::PhaseStart { node })?;
        Ok(())
    }

    /// The intergreen of `node` is over: its next phase's displayed green starts now.
    pub(crate) fn on_phase_start<R: From<CityEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        node: u32,
    ) -> Result<(), ModelError> {
        let now = ctx.now().as_f64();
        let n = &self.nodes[node as usize];
        let (phase, l1) = (n.next_phase, n.timing.startup_lost);
        self.lights[node as usize] =
            Light { phase, green_start: now, e0: now + l1, e1: f64::INFINITY, resting: false };
        self.request(ctx, node, now, IntersectionObs::GREEN_START)
    }

    /// At the horizon: the greens still running count up to `horizon` (one that ended is
    /// counted already, at its switch).
    pub(crate) fn close(&self, net: &Network, acct: &mut Accounting, horizon: f64) {
        for (j, light) in net.junctions.iter().zip(&self.lights) {
            if light.e1 == f64::INFINITY && light.e0 < horizon {
                acct.green(&j.phases[light.phase as usize], light.e0, light.e1.min(horizon));
            }
        }
    }
}

/// Σ over the movements p leaving `link`'s end of r(p)·x(p), with x(p) the vehicles waiting at
/// p's stop line and, second, all vehicles on `link` bound for p; r(p) is p's share of the
/// link's vehicles (Varaiya's turning ratios, estimated from the vehicles there now). Both 0 for
/// an exit link (its vehicles leave the network).
fn downstream(net: &Network, traffic: &Traffic, link: u32, now: f64) -> (f64, f64) {
    let l = &net.links[link as usize];
    if l.exit {
        return (0.0, 0.0);
    }
    let (mut total, mut queued, mut squares) = (0.0, 0.0, 0.0);
    for m in l.movements.clone() {
        let q = &traffic.queues[m as usize];
        let x = q.fifo.len() as f64;
        total += x;
        queued += x * f64::from(q.at_stop_line(now));
        squares += x * x;
    }
    if total > 0.0 { (queued / total, squares / total) } else { (0.0, 0.0) }
}
