//! The simulation engine: a bevy_ecs [`World`] driven by an event calendar.
//!
//! A [`Sim`] owns the World (all model state), an engine context [`Ctx`] (clock, calendar, record
//! buffer, random-stream seeder) and a [`Model`] whose typed handler reacts to calendar entries.
//! Time-stepped logic runs as bevy [`Schedule`](bevy_ecs::schedule::Schedule)s that the calendar
//! fires every Δt ([`StepperConfig`]), interleaved with discrete events by the calendar's order.
//!
//! # Ordering guarantee
//! Entries run in ascending `(time, priority, sequence)` order, where `sequence` is the order in
//! which they were scheduled. Model events use [`Priority::DEFAULT`] (0) unless scheduled with
//! [`Ctx::schedule_at_with`]; steppers default to [`Priority::STEP`] (100), so at a time where a
//! discrete event and a step coincide, the event runs first and the step sees its effect.
//! Entries with `time > horizon` never run; entries at exactly the horizon do.

mod ctx;
mod sim;
mod stepper;

pub use ctx::{Ctx, StepperError};
pub use sim::{MAX_EVENTS_AT_ONE_INSTANT, ModelError, RunOutput, Sim, SimConfig, SimError};
pub use stepper::{RecordSink, SimClock, StepperConfig};

use bevy_ecs::world::World;

use crate::calendar::Priority;
use crate::record::Catalogue;

/// Priority constants of the engine.
impl Priority {
    /// Default priority of steppers: after same-time discrete events.
    pub const STEP: Priority = Priority(100);
}

/// A model: typed handlers for its calendar entries, made in one step by [`Sim::build`].
///
/// Mutable state that a stepped system, another domain or an observer reads lives in the World;
/// hot state only the model's own handlers touch may stay in the model value (see
/// ARCHITECTURE.md, "State"). Handlers return decisions through the [`Ctx`] (schedule, cancel,
/// record).
pub trait Model {
    /// The payload of this model's calendar entries.
    type Event;

    /// The record kinds this model emits.
    fn catalogue(&self) -> &Catalogue;

    /// Reacts to one of its calendar entries at `ctx.now()`.
    ///
    /// # Errors
    /// A model error stops the replication; it is reported with the simulated time.
    fn handle(
        &mut self,
        world: &mut World,
        ctx: &mut Ctx<Self::Event>,
        event: Self::Event,
    ) -> Result<(), ModelError>;

    /// Brings the World copies of the model's hot state up to date. The engine calls it before
    /// every step (stepped systems may read them); a model without such copies does nothing.
    fn publish(&mut self, world: &mut World) {
        let _ = world;
    }

    /// Reacts to what a stepped system just wrote in the World (e.g. schedules the entry a
    /// measurement taken by the step calls for). The engine calls it after every step.
    ///
    /// # Errors
    /// A model error stops the replication.
    fn stepped(&mut self, world: &mut World, ctx: &mut Ctx<Self::Event>) -> Result<(), ModelError> {
        let _ = (world, ctx);
        Ok(())
    }

    /// One of its events in words for error messages, e.g. "arrival at source `orders`".
    /// Called only when a replication fails (never on the hot path), so it may allocate.
    fn describe(&self, event: &Self::Event) -> String {
        let _ = event;
        "an event of the model".to_owned()
    }
}
