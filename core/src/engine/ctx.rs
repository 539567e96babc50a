//! The engine context handed to model handlers.

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
pub struct Ctx<E> {
    pub(crate) calendar: Calendar<Scheduled<E>>,
    pub(crate) records: Vec<Record>,
    seeder: StreamSeeder,
    horizon: SimTime,
}

impl<E> Ctx<E> {
    pub(crate) fn new(seeder: StreamSeeder, horizon: SimTime) -> Self {
        Ctx { calendar: Calendar::new(), records: Vec::with_capacity(super::sim::FLUSH_LEN), seeder, horizon }
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

    /// Schedules `event` at `time` with the default priority.
    ///
    /// # Errors
    /// [`ScheduleError::InThePast`] if `time < now`.
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: E) -> Result<EntryHandle, ScheduleError> {
        self.calendar.schedule(time, Priority::DEFAULT, Scheduled::Model(event))
    }

    /// Schedules `event` at `time` with an explicit same-time priority (lower runs first).
    ///
    /// # Errors
    /// [`ScheduleError::InThePast`] if `time < now`.
    pub fn schedule_at_with(
        &mut self,
        time: SimTime,
        priority: Priority,
        event: E,
    ) -> Result<EntryHandle, ScheduleError> {
        self.calendar.schedule(time, priority, Scheduled::Model(event))
    }

    /// Schedules `event` after `delay` with the default priority.
    ///
    /// # Errors
    /// None in practice: `now + delay >= now`. The `Result` mirrors [`Ctx::schedule_at`].
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> Result<EntryHandle, ScheduleError> {
        let time = self.now() + delay;
        self.calendar.schedule(time, Priority::DEFAULT, Scheduled::Model(event))
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
