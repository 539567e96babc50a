//! Time-stepped agent logic interleaved with discrete events.

use bevy_ecs::prelude::*;
use rand::RngExt;
use xinzhi_core::calendar::Priority;
use xinzhi_core::engine::{Ctx, Model, ModelError, RecordSink, Sim, SimClock, SimConfig, StepperConfig};
use xinzhi_core::plugin::{ComponentKind, Registry, Services};
use xinzhi_core::record::{Aggregate, Catalogue, KindId, KindInfo, Report, add_kind};
use xinzhi_core::rng::{StreamKey, StreamRng, StreamSeeder};
use xinzhi_core::time::{SimDuration, SimTime};

fn t(x: f64) -> SimTime {
    SimTime::new(x).unwrap()
}

fn config(horizon: f64) -> SimConfig {
    SimConfig { horizon: t(horizon), warmup: SimTime::ZERO, seeder: StreamSeeder::new(3, 0) }
}

/// A discrete event at every integer time sets `Level` to that time.
#[derive(Resource, Default)]
struct Level(f64);

/// What the stepped sampler saw: (step time, level).
#[derive(Resource, Default)]
struct Seen(Vec<(f64, f64)>);

struct Setter {
    catalogue: Catalogue,
}

impl Model for Setter {
    type Event = f64;
    fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }
    fn handle(&mut self, world: &mut World, ctx: &mut Ctx<f64>, k: f64) -> Result<(), ModelError> {
        world.resource_mut::<Level>().0 = k;
        ctx.schedule_in(SimDuration::new(1.0).unwrap(), k + 1.0)?;
        Ok(())
    }
}

fn sample(clock: Res<SimClock>, level: Res<Level>, mut seen: ResMut<Seen>) {
    seen.0.push((clock.now.as_f64(), level.0));
}

/// The setter, built: its level and sampler's log in the World, its first event at t = 1.
fn setter(horizon: f64) -> Sim<Setter> {
    Sim::build(config(horizon), |world, ctx| {
        world.insert_resource(Level(0.0));
        world.insert_resource(Seen::default());
        ctx.schedule_at(t(1.0), 1.0)?;
        Ok(Setter { catalogue: Catalogue::default() })
    })
    .unwrap()
}

fn run_sampler(priority: Priority) -> Vec<(f64, f64)> {
    let mut sim = setter(5.0);
    let mut schedule = Schedule::default();
    schedule.add_systems(sample);
    let stepper = StepperConfig {
        name: "sampler".into(),
        period: SimDuration::new(1.0).unwrap(),
        first: t(1.0),
        priority,
    };
    sim.add_stepper(stepper, schedule).unwrap();
    // `run` consumes the Sim and its World, so a last stepper (lowest priority) exports the samples.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut export = Schedule::default();
    export.add_systems(move |s: Res<Seen>| *sink.lock().unwrap() = s.0.clone());
    let last = StepperConfig {
        name: "export".into(),
        period: SimDuration::new(1.0).unwrap(),
        first: t(1.0),
        priority: Priority(i16::MAX),
    };
    sim.add_stepper(last, export).unwrap();
    sim.run(&mut |_| std::ops::ControlFlow::Continue(())).unwrap();
    seen.lock().unwrap().clone()
}

#[test]
fn step_after_same_time_event_by_default_priority() {
    // Documented order: at t = k the discrete event (priority 0) runs before the step (100).
    let seen = run_sampler(Priority::STEP);
    assert_eq!(seen, vec![(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0), (5.0, 5.0)]);
}

#[test]
fn step_with_lower_priority_runs_before_same_time_event() {
    let seen = run_sampler(Priority(-1));
    assert_eq!(seen, vec![(1.0, 0.0), (2.0, 1.0), (3.0, 2.0), (4.0, 3.0), (5.0, 4.0)]);
}

#[test]
fn stepper_period_must_be_positive() {
    let mut sim = setter(5.0);
    let bad = StepperConfig {
        name: "zero".into(),
        period: SimDuration::ZERO,
        first: t(0.0),
        priority: Priority::STEP,
    };
    assert!(sim.add_stepper(bad, Schedule::default()).is_err());
}

// --- Boltzmann wealth: agents exchanging wealth every step, plus a discrete "windfall" event ---

#[derive(Component)]
struct Wealth(u64);

#[derive(Resource)]
struct ExchangeRng(StreamRng);

#[derive(Resource)]
struct Agents(Vec<Entity>);

#[derive(Resource, Clone, Copy)]
struct Kinds {
    gini: KindId,
    total: KindId,
}

/// Every agent with wealth gives one unit to a uniformly chosen agent (possibly itself).
fn exchange(
    agents: Res<Agents>,
    mut rng: ResMut<ExchangeRng>,
    mut wealth: Query<&mut Wealth>,
    kinds: Res<Kinds>,
    mut sink: ResMut<RecordSink>,
) {
    let n = agents.0.len();
    for i in 0..n {
        let giver = agents.0[i];
        if wealth.get(giver).map_or(0, |w| w.0) == 0 {
            continue;
        }
        let taker = agents.0[rng.0.random_range(0..n)];
        wealth.get_mut(giver).unwrap().0 -= 1;
        wealth.get_mut(taker).unwrap().0 += 1;
    }
    let mut w: Vec<u64> = wealth.iter().map(|w| w.0).collect();
    w.sort_unstable();
    let total: u64 = w.iter().sum();
    let weighted: f64 =
        w.iter().enumerate().map(|(i, &x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x as f64).sum();
    sink.record(kinds.gini, 0, weighted / (n as f64 * total as f64));
    sink.record(kinds.total, 0, total as f64);
}

struct Economy {
    catalogue: Catalogue,
}

impl Model for Economy {
    /// A windfall: every agent receives this many units.
    type Event = u64;
    fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }
    fn handle(&mut self, world: &mut World, _ctx: &mut Ctx<u64>, amount: u64) -> Result<(), ModelError> {
        let mut q = world.query::<&mut Wealth>();
        for mut w in q.iter_mut(world) {
            w.0 += amount;
        }
        Ok(())
    }
}

fn economy(agents: usize, steps: f64) -> Vec<(String, f64)> {
    let mut catalogue = Catalogue::default();
    let level = |name: &str| {
        KindInfo::new(name, format!("{name}_mean"), Aggregate::Level, Report::Total, vec!["all".into()])
    };
    let kinds = Kinds {
        gini: add_kind(&mut catalogue, level("gini")),
        total: add_kind(&mut catalogue, level("total")),
    };
    let mut sim = Sim::build(config(steps), |world, ctx| {
        let agents: Vec<Entity> = (0..agents).map(|_| world.spawn(Wealth(1)).id()).collect();
        world.insert_resource(Agents(agents));
        world.insert_resource(ExchangeRng(ctx.stream(StreamKey::new("economy", "exchange"))));
        world.insert_resource(kinds);
        // Windfall at t = 50.5, between steps 50 and 51.
        ctx.schedule_at(t(50.5), 2_u64)?;
        let mut schedule = Schedule::default();
        schedule.add_systems(exchange);
        let step = StepperConfig {
            name: "exchange".into(),
            period: SimDuration::new(1.0).unwrap(),
            first: t(1.0),
            priority: Priority::STEP,
        };
        ctx.add_stepper(step, schedule)?;
        Ok(Economy { catalogue })
    })
    .unwrap();
    // The built-in `kpi` collector, called through the plugin ABI as in every run.
    let registry = Registry::with_builtins(&[xinzhi_metrics::plugin_library()]).unwrap();
    let kpi = registry.find("kpi", ComponentKind::COLLECTOR).unwrap();
    sim.add_collector(Box::new(kpi.collector("{}", Services { seed: 0, replication: 0 }).unwrap()));
    let out = sim.run(&mut |_| std::ops::ControlFlow::Continue(())).unwrap();
    assert_eq!(out.events, steps as u64 + u64::from(steps > 50.5), "one entry per step plus the windfall");
    out.metrics.into_iter().map(|m| (m.name, m.value)).collect()
}

#[test]
fn wealth_exchange_conserves_wealth_and_sees_the_windfall() {
    let n = 1000;
    let metrics = economy(n, 100.0);
    let get = |k: &str| metrics.iter().find(|(name, _)| name == k).unwrap().1;
    // Total is n on [1, 51) and 3n on [51, 100] (the windfall lands at 50.5, first seen by step
    // 51); the level before step 1 is 0. Time average over [0, 100]:
    let expected_total = (n as f64 * 50.0 + 3.0 * n as f64 * 49.0) / 100.0;
    assert!((get("total_mean") - expected_total).abs() < 1e-9, "{}", get("total_mean"));
    // Random exchange drives an equal start towards inequality: the Gini rises well above 0.
    assert!(get("gini_mean") > 0.2 && get("gini_mean") < 0.8, "{}", get("gini_mean"));
}

#[test]
fn wealth_exchange_is_reproducible() {
    assert_eq!(economy(200, 30.0), economy(200, 30.0));
}
