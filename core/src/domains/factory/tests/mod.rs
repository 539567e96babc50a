//! The factory as a domain: its one-step build, its machines as entities, its event names; and
//! ([`loader`]) the scenario loader on factory scenarios.

mod loader;
mod reliability;

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bevy_ecs::prelude::*;

use super::{FactoryEvent, FactoryModel, Machine, MachineStatus};
use crate::calendar::Priority;
use crate::collect::Capture;
use crate::domains::{self, Domain, Setup};
use crate::engine::{Ctx, Model, ModelError, Sim, SimClock, SimConfig, StepperConfig};
use crate::plugin::Registry;
use crate::record::Catalogue;
use crate::rng::StreamSeeder;
use crate::scenario;
use crate::time::{SimDuration, SimTime};

const MILL: &str = r#"
[scenario]
name = "f"
domain = "factory"
time_unit = "minute"
horizon = 400.0
[[factory.source]]
name = "orders"
product = "p"
interarrival = { dist = "exponential", mean = 1.0 }
[[factory.product]]
name = "p"
route = ["mill", "lathe"]
[[factory.station]]
name = "mill"
machines = 2
process = { dist = "exponential", mean = 1.5 }
[[factory.station]]
name = "lathe"
machines = 3
buffer = 2
process = { dist = "exponential", mean = 2.5 }
"#;

fn config() -> super::config::FactoryConfig {
    let file = scenario::parse(Path::new("f.toml"), MILL, &[]).expect("valid scenario");
    super::config_of(&file.baseline).clone()
}

fn registry() -> Registry {
    Registry::with_builtins(&[xinzhi_dispatch::plugin_library()]).expect("registers")
}

/// Replication 0 of seed `seed` up to `horizon`, measured from 0.
fn sim_config(horizon: f64, seed: u64) -> SimConfig {
    SimConfig {
        horizon: SimTime::new(horizon).unwrap(),
        warmup: SimTime::ZERO,
        seeder: StreamSeeder::new(seed, 0),
    }
}

/// The factory alone, plus a stepper of the test's own.
struct Watched {
    factory: FactoryModel,
    catalogue: Catalogue,
}

impl Model for Watched {
    type Event = FactoryEvent;
    fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }
    fn handle(
        &mut self,
        world: &mut World,
        ctx: &mut Ctx<FactoryEvent>,
        e: FactoryEvent,
    ) -> Result<(), ModelError> {
        self.factory.handle(world, ctx, e)
    }
    fn publish(&mut self, world: &mut World) {
        self.factory.publish(world);
    }
    fn stepped(&mut self, world: &mut World, ctx: &mut Ctx<FactoryEvent>) -> Result<(), ModelError> {
        self.factory.stepped(world, ctx)
    }
}

/// What the watching system saw at each step: (time, per station: machines busy now, busy
/// time so far, operations finished so far).
#[derive(Resource, Clone, Default)]
struct Seen(Arc<Mutex<Vec<Step>>>);

/// One step: its time and, per station, (machines busy, busy time, operations finished).
type Step = (f64, Vec<(u32, f64, u64)>);

fn watch(clock: Res<SimClock>, machines: Query<(&Machine, &MachineStatus)>, seen: Res<Seen>) {
    let now = clock.now.as_f64();
    let mut per_station = vec![(0, 0.0, 0); 2];
    for (m, status) in &machines {
        let s = &mut per_station[m.station as usize];
        let at = status.at(now);
        s.0 += u32::from(at.activity == super::Activity::Busy);
        s.1 += at.busy_time;
        s.2 += at.completed;
    }
    seen.0.lock().expect("not poisoned").push((now, per_station));
}

/// A stepped system reads the machines' entities: what it sees every Δt agrees exactly with
/// the factory's own records (busy levels, completions), so the entities are the factory's
/// state, not a copy that drifts.
#[test]
fn machines_are_entities_a_stepped_system_reads_exactly() {
    let config = config();
    let registry = registry();
    let seen = Seen::default();
    let records = Arc::new(Mutex::new(Vec::new()));
    let sim_config = sim_config(400.0, 5);
    let watched = seen.clone();
    let mut sim = Sim::build(sim_config, |world, ctx| {
        let mut catalogue = Catalogue::default();
        let factory = FactoryModel::build(
            &config,
            &mut Setup::new::<FactoryModel>(world, ctx, &registry, &mut catalogue, true),
        )?;
        world.insert_resource(watched);
        let mut schedule = Schedule::default();
        schedule.add_systems(watch);
        let period = SimDuration::new(10.0).unwrap();
        let stepper = StepperConfig {
            name: "watch".into(),
            period,
            first: SimTime::ZERO + period,
            priority: Priority::STEP,
        };
        ctx.add_stepper(stepper, schedule)?;
        Ok(Watched { factory, catalogue })
    })
    .expect("builds");
    sim.add_collector(Box::new(Capture(records.clone())));
    sim.run(&mut |_| ControlFlow::Continue(())).expect("runs");

    let records = records.lock().unwrap();
    let catalogue = domains::catalogue(&[domains::DomainConfig::Factory(config.clone())]);
    let kind = |name: &str| catalogue.kinds.iter().position(|k| k.name == name).unwrap() as u32;
    let (busy, cycle) = (kind("busy_fraction"), kind("cycle_time"));
    let machines = [2.0, 3.0];
    let seen = seen.0.lock().unwrap();
    assert_eq!(seen.len(), 40, "a step every 10 minutes");
    for (t, stations) in seen.iter() {
        // From the records up to t: the busy level and its integral, and finished jobs.
        let (mut level, mut integral, mut last) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        let mut completed = 0;
        for r in records.iter().filter(|r| r.time <= *t) {
            if r.kind == busy {
                let s = r.subject as usize;
                integral[s] += level[s] * (r.time - last[s]);
                (level[s], last[s]) = (r.value * machines[s], r.time);
            } else if r.kind == cycle {
                completed += 1;
            }
        }
        for s in 0..2 {
            integral[s] += level[s] * (t - last[s]);
            assert_eq!(f64::from(stations[s].0), level[s], "busy machines of station {s} at t = {t}");
            assert!(
                (stations[s].1 - integral[s]).abs() < 1e-9 * t.max(1.0),
                "busy time of {s} at {t}: {} vs {}",
                stations[s].1,
                integral[s]
            );
        }
        // Every finished job passed both stations: the lathe's operations are the completions.
        assert_eq!(stations[1].2, completed, "operations finished at the lathe by t = {t}");
        assert!(stations[0].2 >= completed);
    }
}

/// The build declares exactly the catalogue the config alone declares (collectors rely on it).
#[test]
fn build_declares_the_catalogue_of_the_config() {
    let config = config();
    let registry = registry();
    let sim_config = sim_config(10.0, 1);
    let mut built = Catalogue::default();
    Sim::build(sim_config, |world, ctx| {
        let f = FactoryModel::build(
            &config,
            &mut Setup::new::<FactoryModel>(world, ctx, &registry, &mut built, false),
        )?;
        Ok(Watched { factory: f, catalogue: Catalogue::default() })
    })
    .expect("builds");
    assert_eq!(built, domains::catalogue(&[domains::DomainConfig::Factory(config)]));
}

/// The factory names its events in the engine's messages.
#[test]
fn factory_events_are_described_by_name() {
    let config = config();
    let registry = registry();
    let sim_config = sim_config(10.0, 1);
    let mut described = Vec::new();
    Sim::build(sim_config, |world, ctx| {
        let mut catalogue = Catalogue::default();
        let f = FactoryModel::build(
            &config,
            &mut Setup::new::<FactoryModel>(world, ctx, &registry, &mut catalogue, false),
        )?;
        described.push(f.describe(&FactoryEvent::Arrival { source: 0 }));
        described.push(f.describe(&FactoryEvent::ServiceDone { station: 1, machine: 2 }));
        Ok(Watched { factory: f, catalogue })
    })
    .expect("builds");
    assert_eq!(described, ["arrival at source `orders`", "end of service on machine 2 of station `lathe`"]);
}
