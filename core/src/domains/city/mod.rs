//! The city: signalised road networks as a mesoscopic link-queue model (`docs/city.md`).
//!
//! A vehicle enters a link, travels at free speed to the stop line, joins its movement's FIFO
//! queue, and crosses when its movement has effective green, it is at the head, the discharge
//! rule allows it and the out-link has storage (all vehicles on a link count against its
//! storage: spillback). Signal controllers are `signal` plugins; the host enforces safety.
//!
//! Timing conventions (they decide every number): displayed green G, yellow Y and all-red AR
//! per phase; start-up lost time l₁ and clearance lost time l₂; effective green
//! g = G + Y + AR − l₁ − l₂ on [G start + l₁, G end + Y + AR − l₂). Saturation headway
//! h = 3600 / (s · lanes) \[s\]. `slotted` discharge: crossings only at e₀ + k·h inside effective
//! green, the head at the first such instant strictly after it reached the stop line;
//! `continuous`: at the first instant ≥ max(its arrival, previous crossing + h). A vehicle's
//! delay = its travel time (network entry to exit) − its free-flow travel time; the wait
//! before entering (insertion delay) is reported apart.
//!
//! - `config`: the `[city]` tables, validated.
//! - `network`: links, movements, junctions as flat arrays; `vehicles`: the pooled store.
//! - `dynamics`: the link-queue DES; `signals`: lights, decision epochs, safety.
//! - `demand`: departures, turning ratios, design flows; `gridlock`: stuck detection.
//! - `accounting`, `kinds`: what is measured; `preflight`: expected work and cautions.
//! - `entities`: the World's view (junctions, links and movements as entities).

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

pub mod config;

mod accounting;
mod demand;
mod dynamics;
mod entities;
mod gridlock;
mod kinds;
mod network;
mod preflight;
mod signals;
mod vehicles;

#[cfg(test)]
mod tests;

pub use entities::{JunctionStatus, LinkStatus, MovementStatus};

use std::sync::Arc;

use bevy_ecs::world::World;
use toml::Spanned;
use toml::de::DeValue;

use self::accounting::Accounting;
use self::config::{CityConfig, PathSpec};
use self::demand::{Departures, TurnTable, design_flows};
use self::dynamics::{Env, Traffic, time};
use self::entities::Entities;
use self::gridlock::Stuck;
use self::network::Network;
use self::signals::Signals;
use self::vehicles::{DRAWN, Vehicle};
use super::exchange::{ReaderId, Shipments, Topic};
use super::{Domain, Kinds, Preflight, RunShape, Setup};
use crate::calendar::Priority;
use crate::engine::{Ctx, ModelError, StepperConfig};
use crate::plugin::ComponentKind;
use crate::rng::StreamRng;
use crate::time::{SimDuration, SimTime};
use crate::validate::{PluginRef, ScenarioError, ValidationCtx};

/// The calendar payload of a city: small and `Copy` (indices, not objects).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CityEvent {
    /// The next vehicle of a source wants to enter the network (a flow, or the trips file).
    Depart {
        /// Flow index, or the number of flows for the trips file.
        source: u32,
    },
    /// A head of this approach (in-link) crosses its stop line, if the generation is current.
    Cross {
        /// The in-link.
        approach: u32,
        /// Supersedes older entries of the approach.
        generation: u32,
    },
    /// The head of an exit link reaches its end.
    Exit {
        /// The exit link.
        link: u32,
    },
    /// A junction's intergreen is over: its next phase's green starts.
    PhaseStart {
        /// The junction.
        node: u32,
    },
    /// A decision epoch: every junction due now is decided.
    Decide,
    /// The stuck-time check.
    Gridlock,
    /// The horizon: the window's values are recorded.
    Close,
}

/// Same-time order of the horizon's records: after everything else at the horizon.
const CLOSE: Priority = Priority(i16::MAX - 1);

/// A source of vehicles: a flow and its departure process.
struct Source {
    departures: Departures,
    /// The stream of its vehicles' seeds.
    seeds: StreamRng,
    /// Start of its path in the arena and its first link, or [`DRAWN`] and its first link.
    path: u32,
    first: u32,
    last: Option<f64>,
}

/// Freight trips from a region's factory shipments.
struct Freight {
    reader: ReaderId,
    from: u32,
    to: u32,
    per_vehicle: f64,
    names: Vec<String>,
    /// Paths by destination node, found on first use.
    paths: Vec<Option<Option<(u32, u32)>>>,
    seeds: StreamRng,
    /// Its trucks' demand source (see `kinds::source_names`).
    source: u32,
}

/// A city of one replication.
pub struct CityModel {
    config: Arc<CityConfig>,
    net: Network,
    traffic: Traffic,
    signals: Signals,
    acct: Accounting,
    sources: Vec<Source>,
    /// Next row of the trips file.
    next_trip: usize,
    /// The trips file's demand source (see `kinds::source_names`).
    trips_source: u32,
    trip_paths: Vec<u32>,
    freight: Option<Freight>,
    stuck: Stuck,
    /// Junctions, links and movements in the World; their status components are brought up to
    /// date in `publish`, which the engine calls only when someone can look.
    entities: Entities,
}

impl CityModel {
    fn env<'a, 'c, R>(
        net: &'a Network,
        signals: &'a Signals,
        acct: &'a mut Accounting,
        ctx: &'c mut Ctx<R>,
    ) -> Env<'a, 'c, R> {
        Env { net, lights: &signals.lights, acct, ctx }
    }

    /// Schedules source `source`'s next departure, if it has one.
    fn schedule_source<R: From<CityEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        source: u32,
    ) -> Result<(), ModelError> {
        let s = &mut self.sources[source as usize];
        if let Some(t) = s.departures.next(s.last) {
            s.last = Some(t);
            ctx.schedule_at(time(t)?, CityEvent::Depart { source })?;
        }
        Ok(())
    }

    fn schedule_trip<R: From<CityEvent>>(&mut self, ctx: &mut Ctx<R>) -> Result<(), ModelError> {
        if let Some(trips) = &self.config.trips
            && let Some(trip) = trips.trips.get(self.next_trip)
        {
            let source = self.trips_source;
            ctx.schedule_at(time(trip.depart.max(ctx.now().as_f64()))?, CityEvent::Depart { source })?;
        }
        Ok(())
    }

    fn depart<R: From<CityEvent>>(&mut self, ctx: &mut Ctx<R>, source: u32) -> Result<(), ModelError> {
        let now = ctx.now().as_f64();
        let (vehicle, first) = if let Some(s) = self.sources.get_mut(source as usize) {
            let seed = rand::Rng::next_u64(&mut s.seeds);
            let v = Vehicle { source, path: s.path, next: 0, seed, desired: now, ..Vehicle::default() };
            (v, s.first)
        } else {
            let start = self.trip_start(self.next_trip);
            self.next_trip += 1;
            let first = self.traffic.paths[start as usize];
            (Vehicle { source, path: start, desired: now, ..Vehicle::default() }, first)
        };
        let env = &mut Self::env(&self.net, &self.signals, &mut self.acct, ctx);
        self.traffic.depart(env, vehicle, first)?;
        self.signals.calls(ctx, &mut self.traffic.calls)?;
        if (source as usize) < self.sources.len() {
            self.schedule_source(ctx, source)
        } else {
            self.schedule_trip(ctx)
        }
    }

    /// Start of trip `k`'s path in the arena.
    fn trip_start(&self, k: usize) -> u32 {
        self.trip_paths[k]
    }
}

impl Domain for CityModel {
    const NAME: &'static str = "city";
    type Config = CityConfig;
    type Event = CityEvent;

    fn parse(table: &Spanned<DeValue<'_>>, ctx: &ValidationCtx<'_>) -> Result<CityConfig, ScenarioError> {
        config::parse(table, ctx)
    }

    fn plugin_refs(config: &CityConfig) -> Vec<(&PluginRef, ComponentKind)> {
        config.plugin_refs().map(|p| (p, ComponentKind::SIGNAL)).collect()
    }

    fn reads(config: &CityConfig) -> Vec<Topic> {
        if config.freight.is_some() { vec![Topic::Shipments] } else { Vec::new() }
    }

    fn key_metrics(_: &CityConfig) -> Vec<&'static str> {
        vec![
            "vehicle_hours_delay",
            "delay_mean",
            "delay_p95",
            "travel_time_mean",
            "stops_mean",
            "throughput",
            "phase_changes_per_hour",
            "unfinished",
        ]
    }

    fn declare(config: &CityConfig, kinds: &mut Kinds<'_>) {
        kinds::declare_kinds(config, kinds);
    }

    fn preflight(config: &CityConfig, run: RunShape) -> Preflight {
        preflight::preflight(config, run)
    }

    fn build<R: From<CityEvent> + 'static>(
        config: &CityConfig,
        setup: &mut Setup<'_, R>,
    ) -> Result<Self, ModelError> {
        let config = Arc::new(config.clone());
        let kinds = kinds::declare_kinds(&config, &mut setup.kinds());
        let (warmup, horizon) = (setup.ctx.warmup().as_f64(), setup.ctx.horizon().as_f64());
        let net = Network::new(&config);
        let mut traffic =
            Traffic::new(&net, TurnTable::new(&config), config.discharge, config.stop_threshold);
        let mut sources = Vec::with_capacity(config.flows.len());
        for f in &config.flows {
            let identity = format!("flow:{}", f.name);
            let (path, first) = match &f.path {
                PathSpec::Fixed(links) => {
                    let start = traffic.paths.len() as u32;
                    traffic.paths.extend_from_slice(links);
                    (start, links[0])
                }
                PathSpec::TurnRatios { first } => (DRAWN, *first),
            };
            sources.push(Source {
                departures: Departures::new(f, setup.stream(&identity, "arrivals")),
                seeds: setup.stream(&identity, "vehicle"),
                path,
                first,
                last: None,
            });
        }
        let mut trip_paths = Vec::new();
        if let Some(trips) = &config.trips {
            trip_paths.reserve(trips.trips.len());
            for t in trips.trips.iter() {
                trip_paths.push(traffic.paths.len() as u32);
                traffic.paths.extend_from_slice(&t.path);
            }
        }
        let freight = match &config.freight {
            None => None,
            Some(f) => {
                let reader = setup.world.resource_mut::<Shipments>().subscribe();
                let period = SimDuration::new(f.period).map_err(|e| ModelError::Invalid(e.to_string()))?;
                // An empty step: the engine calls `stepped` after it, where shipments are read.
                setup.ctx.add_stepper(
                    StepperConfig {
                        name: "city freight".into(),
                        period,
                        first: SimTime::ZERO + period,
                        priority: Priority(99),
                    },
                    bevy_ecs::schedule::Schedule::default(),
                )?;
                Some(Freight {
                    reader,
                    from: f.from,
                    to: f.to,
                    per_vehicle: f.per_vehicle,
                    names: config.network.nodes.iter().map(|n| n.name.clone()).collect(),
                    paths: vec![None; config.network.nodes.len()],
                    seeds: setup.stream("freight", "vehicle"),
                    source: kinds.freight_source.unwrap_or(u32::MAX),
                })
            }
        };
        let signals = Signals::build(&config, &net, design_flows(&config), setup)?;
        let entities = Entities::spawn(setup.world, &net);
        let stuck = Stuck::new(config.stuck_time, config.gridlock);
        stuck.start(setup.ctx)?;
        setup.ctx.schedule_at_with(setup.ctx.horizon(), CLOSE, CityEvent::Close)?;
        let acct = Accounting::new(&config, kinds, warmup, horizon);
        let mut model = CityModel {
            config,
            net,
            traffic,
            signals,
            acct,
            sources,
            next_trip: 0,
            trips_source: kinds.trips_source.unwrap_or(u32::MAX),
            trip_paths,
            freight,
            stuck,
            entities,
        };
        for s in 0..model.sources.len() as u32 {
            model.schedule_source(setup.ctx, s)?;
        }
        model.schedule_trip(setup.ctx)?;
        Ok(model)
    }

    fn handle<R: From<CityEvent>>(
        &mut self,
        _world: &mut World,
        ctx: &mut Ctx<R>,
        event: CityEvent,
    ) -> Result<(), ModelError> {
        match event {
            CityEvent::Cross { approach, generation } => {
                let env = &mut Self::env(&self.net, &self.signals, &mut self.acct, ctx);
                self.traffic.on_cross(env, approach, generation)?;
            }
            CityEvent::Exit { link } => {
                let env = &mut Self::env(&self.net, &self.signals, &mut self.acct, ctx);
                self.traffic.on_exit(env, link)?;
            }
            CityEvent::Depart { source } => return self.depart(ctx, source),
            CityEvent::Decide => {
                self.signals.on_decide(&self.net, &self.traffic, &mut self.acct, ctx)?;
            }
            CityEvent::PhaseStart { node } => {
                self.signals.on_phase_start(ctx, node)?;
                let approaches = &self.net.junctions[node as usize].approaches;
                let env = &mut Self::env(&self.net, &self.signals, &mut self.acct, ctx);
                self.traffic.lights_changed(env, approaches)?;
            }
            CityEvent::Gridlock => {
                let env = &mut Self::env(&self.net, &self.signals, &mut self.acct, ctx);
                self.stuck.check(&mut self.traffic, env)?;
            }
            CityEvent::Close => {
                let horizon = ctx.now().as_f64();
                self.signals.close(&self.net, &mut self.acct, horizon);
                let census = self.traffic.census();
                self.acct.close(ctx, census, self.traffic.queued(&self.net, horizon), self.traffic.entered());
                return Ok(());
            }
        }
        if !self.traffic.calls.is_empty() {
            self.signals.calls(ctx, &mut self.traffic.calls)?;
        }
        Ok(())
    }

    fn publish(&mut self, world: &mut World) {
        self.entities.publish(world, &self.traffic, &self.signals);
    }

    fn stepped<R: From<CityEvent>>(&mut self, world: &mut World, ctx: &mut Ctx<R>) -> Result<(), ModelError> {
        let Some(f) = &mut self.freight else { return Ok(()) };
        let shipments = world.resource_mut::<Shipments>().read(f.reader);
        if shipments.is_empty() {
            return Ok(());
        }
        let now = ctx.now().as_f64();
        for s in shipments {
            let to = s
                .destination
                .as_deref()
                .and_then(|d| f.names.iter().position(|n| n == d))
                .map_or(f.to, |i| i as u32);
            let path = match f.paths[to as usize] {
                Some(p) => p,
                None => {
                    let found = config::shortest_path(&self.config.network, f.from, to).map(|links| {
                        let start = self.traffic.paths.len() as u32;
                        let first = links[0];
                        self.traffic.paths.extend_from_slice(&links);
                        (start, first)
                    });
                    f.paths[to as usize] = Some(found);
                    found
                }
            };
            let Some((start, first)) = path else {
                return Err(ModelError::Invalid(format!(
                    "freight: no path from `{}` to `{}`",
                    f.names[f.from as usize], f.names[to as usize]
                )));
            };
            let trucks = (f64::from(s.quantity) / f.per_vehicle).ceil() as u64;
            let source = f.source;
            for _ in 0..trucks {
                let seed = rand::Rng::next_u64(&mut f.seeds);
                let v = Vehicle { source, path: start, seed, desired: now, ..Vehicle::default() };
                let env =
                    &mut Env { net: &self.net, lights: &self.signals.lights, acct: &mut self.acct, ctx };
                self.traffic.depart(env, v, first)?;
            }
        }
        self.signals.calls(ctx, &mut self.traffic.calls)
    }

    fn describe(&self, event: &CityEvent) -> String {
        let names = &self.config.network;
        let link =
            |l: u32| names.links.get(l as usize).map_or_else(|| l.to_string(), |x| format!("`{}`", x.name));
        let node =
            |n: u32| names.nodes.get(n as usize).map_or_else(|| n.to_string(), |x| format!("`{}`", x.name));
        match *event {
            CityEvent::Depart { source } => match self.config.flows.get(source as usize) {
                Some(f) => format!("a departure of flow `{}`", f.name),
                None => "a departure from the trips file".to_owned(),
            },
            CityEvent::Cross { approach, .. } => format!("a crossing at the end of link {}", link(approach)),
            CityEvent::Exit { link: l } => format!("an exit at the end of link {}", link(l)),
            CityEvent::PhaseStart { node: n } => format!("a phase start at node {}", node(n)),
            CityEvent::Decide => "a signal decision epoch".to_owned(),
            CityEvent::Gridlock => "a gridlock check".to_owned(),
            CityEvent::Close => "the close of the window".to_owned(),
        }
    }
}
