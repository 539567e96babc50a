//! No model can make the engine loop without advancing time: past
//! `MAX_EVENTS_AT_ONE_INSTANT` entries at one instant the replication fails, naming the event.

use bevy_ecs::world::World;
use xinzhi_core::engine::{Ctx, MAX_EVENTS_AT_ONE_INSTANT, Model, ModelError, Sim, SimConfig, SimError};
use xinzhi_core::record::Catalogue;
use xinzhi_core::rng::StreamSeeder;
use xinzhi_core::time::{SimDuration, SimTime};

/// Schedules its first event at `start`, then each event reschedules itself `gap` later.
struct Echo {
    catalogue: Catalogue,
    start: f64,
    gap: f64,
    handled: u64,
}

impl Model for Echo {
    type Event = u32;
    fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }
    fn start(&mut self, _: &mut World, ctx: &mut Ctx<u32>) -> Result<(), ModelError> {
        ctx.schedule_at(SimTime::new(self.start).unwrap(), 7)?;
        Ok(())
    }
    fn handle(&mut self, _: &mut World, ctx: &mut Ctx<u32>, event: u32) -> Result<(), ModelError> {
        self.handled += 1;
        ctx.schedule_in(SimDuration::new(self.gap).unwrap(), event)?;
        Ok(())
    }
    fn describe(&self, event: &u32) -> String {
        format!("echo #{event}")
    }
}

fn run(start: f64, gap: f64, horizon: f64) -> Result<u64, SimError> {
    let model = Echo { catalogue: Catalogue::default(), start, gap, handled: 0 };
    let config = SimConfig {
        horizon: SimTime::new(horizon).unwrap(),
        warmup: SimTime::ZERO,
        seeder: StreamSeeder::new(1, 0),
    };
    Sim::new(model, config).run(&mut |_| std::ops::ControlFlow::Continue(())).map(|out| out.events)
}

#[test]
fn a_model_rescheduling_itself_at_the_same_time_fails_instead_of_hanging() {
    let e = run(0.0, 0.0, 10.0).unwrap_err();
    assert_eq!(
        e,
        SimError::Stalled { time: SimTime::ZERO, events: MAX_EVENTS_AT_ONE_INSTANT, last: "echo #7".into() }
    );
    assert_eq!(
        e.to_string(),
        "more than 10000000 events at t = 0 without time advancing (last event: echo #7): the model cannot progress"
    );
}

/// A gap below the clock's resolution: 10¹⁷ + 1 rounds back to 10¹⁷ in `f64`.
#[test]
fn a_gap_lost_to_rounding_at_a_large_clock_is_caught_too() {
    let e = run(1e17, 1.0, 2e17).unwrap_err();
    assert!(matches!(&e, SimError::Stalled { time, .. } if time.as_f64() == 1e17), "{e:?}");
}

#[test]
fn many_events_that_advance_time_are_fine() {
    // 10⁶ events at distinct times, then the horizon.
    assert_eq!(run(0.0, 1.0, 999_999.0).unwrap(), 1_000_000);
}

/// The factory names its events in the guard's message.
#[test]
fn factory_events_are_described_by_name() {
    use xinzhi_core::domains::factory::{FactoryEvent, FactoryModel};
    use xinzhi_core::plugin::Registry;
    use xinzhi_core::scenario::{self, ModelConfig};

    let text = r#"
[scenario]
name = "f"
domain = "factory"
time_unit = "minute"
horizon = 10.0
[[factory.source]]
name = "orders"
product = "p"
interarrival = 1.0
[[factory.product]]
name = "p"
route = ["mill"]
[[factory.station]]
name = "mill"
machines = 2
process = 1.0
"#;
    let file = scenario::parse(std::path::Path::new("f.toml"), text, &[]).expect("valid scenario");
    let ModelConfig::Factory(config) = &file.baseline.model;
    let registry = Registry::with_builtins(&[xinzhi_dispatch::plugin_library()]).expect("registers");
    let model = FactoryModel::new(config, &registry).expect("builds");
    assert_eq!(model.describe(&FactoryEvent::Arrival { source: 0 }), "arrival at source `orders`");
    assert_eq!(
        model.describe(&FactoryEvent::ServiceDone { station: 0, machine: 1 }),
        "end of service on machine 1 of station `mill`"
    );
}
