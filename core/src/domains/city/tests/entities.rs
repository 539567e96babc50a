//! Junctions, links and movements are entities a stepped system can read: what it sees agrees
//! with the city's own counts.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use bevy_ecs::prelude::*;

use super::super::{CityModel, JunctionStatus, LinkStatus, MovementStatus};
use super::{Traced, city, registry};
use crate::calendar::Priority;
use crate::collect::Capture;
use crate::domains::{self, Domain, DomainConfig, Setup};
use crate::engine::{Sim, SimClock, SimConfig, StepperConfig};
use crate::record::Catalogue;
use crate::rng::StreamSeeder;
use crate::time::{SimDuration, SimTime};

/// One step: (time, vehicles on links, vehicles bound through movements, crossings so far,
/// junctions seen).
type Step = (f64, u32, u32, u64, usize);

/// What the system saw at each step.
#[derive(Resource, Clone, Default)]
struct Seen(Arc<Mutex<Vec<Step>>>);

fn watch(
    clock: Res<SimClock>,
    links: Query<&LinkStatus>,
    movements: Query<&MovementStatus>,
    junctions: Query<&JunctionStatus>,
    seen: Res<Seen>,
) {
    let on_links = links.iter().map(|l| l.vehicles).sum();
    let bound = movements.iter().map(|m| m.bound).sum();
    let crossed = movements.iter().map(|m| m.crossed).sum();
    seen.0.lock().unwrap().push((clock.now.as_f64(), on_links, bound, crossed, junctions.iter().count()));
}

/// Every 60 s and at the horizon a system reads the entities: the vehicles on links are at
/// least those bound through movements (the rest are on exit links), crossings never decrease,
/// and at the horizon the links hold exactly the `in_network` the city records at its close.
#[test]
fn a_stepped_system_reads_the_network_entities() {
    let config = city(&super::dynamics::junction(
        "",
        r#"{ plugin = "fixed_time", cycle = 60.0, greens = [27.0, 23.0] }"#,
        "[[city.flow]]\nname = \"a\"\nroute = [\"a-in\", \"a-out\"]\nrate = 600.0\n\n\
         [[city.flow]]\nname = \"b\"\nroute = [\"b-in\", \"b-out\"]\nrate = 500.0\n",
        "length = 300.0\nspeed = 15.0",
    ));
    let registry = registry();
    let seen = Seen::default();
    let records = Arc::new(Mutex::new(Vec::new()));
    let sim_config = SimConfig {
        horizon: SimTime::new(1800.0).unwrap(),
        warmup: SimTime::ZERO,
        seeder: StreamSeeder::new(3, 0),
    };
    let watched = seen.clone();
    let mut sim = Sim::build(sim_config, |world, ctx| {
        let mut catalogue = Catalogue::default();
        let city = CityModel::build(
            &config,
            &mut Setup::new::<CityModel>(world, ctx, &registry, &mut catalogue, true),
        )?;
        world.insert_resource(watched);
        let mut schedule = Schedule::default();
        schedule.add_systems(watch);
        let period = SimDuration::new(60.0).unwrap();
        ctx.add_stepper(
            StepperConfig {
                name: "watch".into(),
                period,
                first: SimTime::ZERO + period,
                priority: Priority(100),
            },
            schedule,
        )?;
        Ok(Traced { city, catalogue, greens: Arc::default() })
    })
    .expect("builds");
    sim.add_collector(Box::new(Capture(records.clone())));
    sim.run(&mut |_| ControlFlow::Continue(())).expect("runs");

    let seen = seen.0.lock().unwrap();
    assert_eq!(seen.len(), 30, "a step every 60 s up to the horizon");
    let mut last_crossed = 0;
    for &(t, on_links, bound, crossed, junctions) in seen.iter() {
        assert_eq!(junctions, 1);
        assert!(on_links >= bound, "t = {t}: {on_links} on links, {bound} bound through movements");
        assert!(crossed >= last_crossed, "t = {t}: crossings went down");
        last_crossed = crossed;
    }
    assert!(last_crossed > 400, "about 1100 veh/h crossed in half an hour: {last_crossed}");
    let catalogue = domains::catalogue(&[DomainConfig::City(config.clone())]);
    let kind = catalogue.kinds.iter().position(|k| k.name == "city.in_network").unwrap() as u32;
    let in_network = records.lock().unwrap().iter().find(|r| r.kind == kind).unwrap().value;
    assert_eq!(f64::from(seen.last().unwrap().1), in_network);
}
