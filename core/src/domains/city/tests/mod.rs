//! Unit tests of the city on tiny networks with hand-worked traces: the discharge rules, the
//! signal host's green windows (traced from the lights after every entry), spillback and
//! conservation.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bevy_ecs::world::World;

use super::config::CityConfig;
use super::{CityEvent, CityModel};
use crate::collect::Capture;
use crate::domains::{self, Domain, DomainConfig, Setup};
use crate::engine::{Ctx, Model, ModelError, Sim, SimConfig};
use crate::plugin::Registry;
use crate::record::{Catalogue, Record};
use crate::rng::StreamSeeder;
use crate::scenario;
use crate::time::SimTime;

mod dynamics;
mod entities;
mod signals;

/// A scenario's city config.
fn city(text: &str) -> CityConfig {
    let file = scenario::parse(Path::new("city.toml"), text, &[]).expect("valid scenario");
    file.baseline
        .domains
        .iter()
        .find_map(|d| match d {
            DomainConfig::City(c) => Some(c.clone()),
            _ => None,
        })
        .expect("a city scenario")
}

fn registry() -> Registry {
    Registry::with_builtins(&[xinzhi_signals::plugin_library()]).expect("registers")
}

/// A green as the traffic saw it: (node, phase, displayed green start [s]).
type Green = (u32, u32, f64);

/// The city alone, with the greens traced after every entry (shared: the engine drops the
/// model at the end of the run).
pub(super) struct Traced {
    pub(super) city: CityModel,
    pub(super) catalogue: Catalogue,
    pub(super) greens: Arc<Mutex<Vec<Green>>>,
}

impl Model for Traced {
    type Event = CityEvent;
    fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }
    fn handle(
        &mut self,
        world: &mut World,
        ctx: &mut Ctx<CityEvent>,
        e: CityEvent,
    ) -> Result<(), ModelError> {
        self.city.handle(world, ctx, e)?;
        let mut greens = self.greens.lock().unwrap();
        for (node, light) in self.city.signals.lights.iter().enumerate() {
            let green = (node as u32, light.phase, light.green_start);
            if greens.last().is_none_or(|g| *g != green) && !greens.contains(&green) {
                greens.push(green);
            }
        }
        Ok(())
    }
    fn publish(&mut self, world: &mut World) {
        self.city.publish(world);
    }
}

/// What one replication left: its records (with the kinds' names) and its greens.
struct Run {
    records: Vec<Record>,
    catalogue: Catalogue,
    greens: Vec<Green>,
}

impl Run {
    fn kind(&self, name: &str) -> u32 {
        let found = self.catalogue.kinds.iter().position(|k| k.name == name);
        found.unwrap_or_else(|| panic!("no kind {name}")) as u32
    }

    /// Records of kind `name` (e.g. `city.trip_delay`) as (time, subject, value).
    fn timed(&self, name: &str) -> Vec<(f64, u32, f64)> {
        let kind = self.kind(name);
        self.records.iter().filter(|r| r.kind == kind).map(|r| (r.time, r.subject, r.value)).collect()
    }

    /// The value of a once-per-replication kind (recorded at the close).
    fn closing(&self, name: &str) -> Vec<(u32, f64)> {
        self.timed(name).into_iter().map(|(_, s, v)| (s, v)).collect()
    }
}

/// Runs replication 0 of `config` with `seed` to `horizon` [s] (warm-up 0).
fn run(config: &CityConfig, horizon: f64, seed: u64) -> Run {
    let registry = registry();
    let records = Arc::new(Mutex::new(Vec::new()));
    let greens = Arc::new(Mutex::new(Vec::new()));
    let sim_config = SimConfig {
        horizon: SimTime::new(horizon).unwrap(),
        warmup: SimTime::ZERO,
        seeder: StreamSeeder::new(seed, 0),
    };
    let traced = greens.clone();
    let mut sim = Sim::build(sim_config, |world, ctx| {
        let mut catalogue = Catalogue::default();
        let setup = &mut Setup::new::<CityModel>(world, ctx, &registry, &mut catalogue, false);
        let city = CityModel::build(config, setup)?;
        Ok(Traced { city, catalogue, greens: traced })
    })
    .expect("builds");
    sim.add_collector(Box::new(Capture(records.clone())));
    sim.run(&mut |_| ControlFlow::Continue(())).expect("runs");
    let catalogue = domains::catalogue(&[DomainConfig::City(config.clone())]);
    let records = std::mem::take(&mut *records.lock().unwrap());
    let greens = std::mem::take(&mut *greens.lock().unwrap());
    Run { records, catalogue, greens }
}
