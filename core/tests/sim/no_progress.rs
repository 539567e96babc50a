//! No model can make the engine loop without advancing time: past
//! `MAX_EVENTS_AT_ONE_INSTANT` entries at one instant the replication fails, naming the event.

use bevy_ecs::world::World;
use xinzhi_core::engine::{Ctx, MAX_EVENTS_AT_ONE_INSTANT, Model, ModelError, Sim, SimConfig, SimError};
use xinzhi_core::record::Catalogue;
use xinzhi_core::rng::StreamSeeder;
use xinzhi_core::time::{SimDuration, SimTime};

/// Its first event is at the start given to `run`; each event reschedules itself `gap` later.
struct Echo {
    catalogue: Catalogue,
    gap: f64,
    handled: u64,
}

impl Model for Echo {
    type Event = u32;
    fn catalogue(&self) -> &Catalogue {
        &self.catalogue
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
    let config = SimConfig {
        horizon: SimTime::new(horizon).unwrap(),
        warmup: SimTime::ZERO,
        seeder: StreamSeeder::new(1, 0),
    };
    let sim = Sim::build(config, |_, ctx| {
        ctx.schedule_at(SimTime::new(start).unwrap(), 7_u32)?;
        Ok(Echo { catalogue: Catalogue::default(), gap, handled: 0 })
    })?;
    sim.run(&mut |_| std::ops::ControlFlow::Continue(())).map(|out| out.events)
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
