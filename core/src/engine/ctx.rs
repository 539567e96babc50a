//! The engine context handed to model handlers.

use bevy_ecs::schedule::Schedule;

use super::stepper::{Stepper, StepperConfig};
use crate::calendar::{Calendar, EntryHandle, Priority, ScheduleError};
use crate::record::{KindId, Record};
use crate::rng::{StreamKey, StreamRng, StreamSeeder};
use crate::time::{SimDuration, SimTime};

/// What the calendar holds: a model event or an engine step.
#[derive(Debug)]
pub(crate) enum Scheduled<E> {
    Model(E),
    Step(usize),
}

/// Hot engine state, kept outside the World so that handlers reach it without resource lookups.
///
/// `E` is the run's root event type. A domain's handlers are generic over it (`R: From<Event>`),
/// so one domain alone runs with its own event type and pays nothing for regions.
pub struct Ctx<E> {
    pub(crate) calendar: Calendar<Scheduled<E>>,
    pub(crate) records: Vec<Record>,
    pub(crate) steppers: Vec<Stepper>,
    seeder: StreamSeeder,
    horizon: SimTime,
    warmup: SimTime,
}

impl<E> Ctx<E> {
    pub(crate) fn new(seeder: StreamSeeder, horizon: SimTime, warmup: SimTime) -> Self {
        Ctx {
            calendar: Calendar::new(),
            records: Vec::with_capacity(super::sim::FLUSH_LEN),
            steppers: Vec::new(),
            seeder,
            horizon,
            warmup,
        }
    }

    /// Runs `schedule` at `first`, `first + period`, ... up to the horizon, on the World.
    ///
    /// # Errors
    /// [`StepperError`] if the period is not positive or `first` is already past.
    pub fn add_stepper(&mut self, config: StepperConfig, schedule: Schedule) -> Result<(), StepperError> {
        if config.period.as_f64() <= 0.0 {
            return Err(StepperError { name: config.name, message: "period must be > 0".into() });
        }
        let index = self.steppers.len();
        if let Err(e) = self.calendar.schedule(config.first, config.priority, Scheduled::Step(index)) {
            return Err(StepperError { name: config.name, message: e.to_string() });
        }
        self.steppers.push(Stepper { config, schedule, steps: 0 });
        Ok(())
    }

    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.calendar.now()
    }

    /// The end of the run.
    pub fn horizon(&self) -> SimTime {
        self.horizon
    }

    /// The end of the warm-up: metrics count from here (a model may also learn before it).
    pub fn warmup(&self) -> SimTime {
        self.warmup
    }

    /// Schedules `event` at `time` with the default priority.
    ///
    /// # Errors
    /// [`ScheduleError::InThePast`] if `time < now`.
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: impl Into<E>) -> Result<EntryHandle, ScheduleError> {
        self.calendar.schedule(time, Priority::DEFAULT, Scheduled::Model(event.into()))
    }

    /// Schedules `event` at `time` with an explicit same-time priority (lower runs first).
    ///
    /// # Errors
    /// [`ScheduleError::InThePast`] if `time < now`.
    pub fn schedule_at_with(
        &mut self,
        time: SimTime,
        priority: Priority,
        event: impl Into<E>,
    ) -> Result<EntryHandle, ScheduleError> {
        self.calendar.schedule(time, priority, Scheduled::Model(event.into()))
    }

    /// Schedules `event` after `delay` with the default priority.
    ///
    /// # Errors
    /// None in practice: `now + delay >= now`. The `Result` mirrors [`Ctx::schedule_at`].
    #[inline]
    pub fn schedule_in(
        &mut self,
        delay: SimDuration,
        event: impl Into<E>,
    ) -> Result<EntryHandle, ScheduleError> {
        let time = self.now() + delay;
        self.calendar.schedule(time, Priority::DEFAULT, Scheduled::Model(event.into()))
    }

    /// Cancels a pending entry; `false` if it already ran or was cancelled.
    pub fn cancel(&mut self, handle: EntryHandle) -> bool {
        self.calendar.cancel(handle)
    }

    /// Emits a record at the current time.
    #[inline]
    pub fn record(&mut self, kind: KindId, subject: u32, value: f64) {
        self.records.push(Record { time: self.now().as_f64(), kind: kind.0, subject, value });
    }

    /// Index of the replication being run.
    pub fn replication(&self) -> u32 {
        self.seeder.replication()
    }

    /// A fresh random stream for `key` (see [`crate::rng`]).
    pub fn stream(&self, key: StreamKey<'_>) -> StreamRng {
        self.seeder.stream(key)
    }
}

/// A stepper could not be added.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("stepper `{name}`: {message}")]
pub struct StepperError {
    /// The stepper's name.
    pub name: String,
    /// What is wrong.
    pub message: String,
}
