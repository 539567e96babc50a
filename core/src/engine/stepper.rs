//! Time-stepped logic: bevy schedules fired by the calendar every Δt.

use bevy_ecs::resource::Resource;
use bevy_ecs::schedule::Schedule;

use crate::calendar::Priority;
use crate::record::{KindId, Record};
use crate::time::{SimDuration, SimTime};

/// When and how often a stepped [`Schedule`] runs.
#[derive(Clone, Debug)]
pub struct StepperConfig {
    /// Name used in messages.
    pub name: String,
    /// Time between two steps [time unit]; must be > 0.
    pub period: SimDuration,
    /// Time of the first step [time unit].
    pub first: SimTime,
    /// Same-time order against other entries (default [`Priority::STEP`]: after discrete events).
    pub priority: Priority,
}

/// The simulated time, readable by stepped systems as `Res<SimClock>`.
///
/// It is current while a stepped schedule runs; discrete-event handlers use `Ctx::now` instead.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct SimClock {
    /// The time of the running step.
    pub now: SimTime,
}

/// Records emitted by stepped systems (`ResMut<RecordSink>`); the engine moves them into the
/// record stream after each step.
#[derive(Resource, Debug, Default)]
pub struct RecordSink {
    pub(crate) records: Vec<Record>,
    pub(crate) now: f64,
}

impl RecordSink {
    /// Emits a record at the time of the running step.
    pub fn record(&mut self, kind: KindId, subject: u32, value: f64) {
        self.records.push(Record { time: self.now, kind: kind.0, subject, value });
    }
}

pub(crate) struct Stepper {
    pub(crate) config: StepperConfig,
    pub(crate) schedule: Schedule,
    /// Number of steps run so far; the next step is at `first + steps · period`, computed from
    /// the count rather than accumulated so that long runs do not drift.
    pub(crate) steps: u64,
}

impl Stepper {
    pub(crate) fn next_time(&self) -> f64 {
        self.config.first.as_f64() + self.steps as f64 * self.config.period.as_f64()
    }
}
