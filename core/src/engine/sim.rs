//! The run loop.

use std::ops::ControlFlow;
use std::sync::Arc;

use bevy_ecs::schedule::Schedule;
use bevy_ecs::world::World;

use super::Model;
use super::ctx::{Ctx, Scheduled, StepperError};
use super::stepper::{RecordSink, SimClock, StepperConfig};
use crate::calendar::ScheduleError;
use crate::collect::{CollectError, Collector, Metric, SeriesPoint, Window};
use crate::rng::StreamSeeder;
use crate::time::SimTime;

/// Records are handed to collectors in batches of this many (24 B each: 96 KiB, fits L2).
pub(crate) const FLUSH_LEN: usize = 4096;

/// Events between two progress reports (and `World::clear_trackers` calls).
const PROGRESS_EVERY: u64 = 1 << 16;

/// Most calendar entries that may run at one simulated instant before the replication fails
/// with [`SimError::Stalled`].
///
/// A model whose entries keep scheduling entries at the current time (a gap that is always 0,
/// or one too small to change a large clock value in `f64`) would otherwise loop forever and,
/// if each entry leaves something behind (a queued entity), fill the memory. Legitimate
/// same-time entries are bounded by the model's size (its entities and steppers, which domains
/// cap when validating, at about 10⁶ per table), so 10⁷ is far above any real model while still
/// failing within about a second. Costs one comparison per entry.
pub const MAX_EVENTS_AT_ONE_INSTANT: u64 = 10_000_000;

/// How one replication runs.
#[derive(Clone, Copy, Debug)]
pub struct SimConfig {
    /// End of measurement [time unit].
    pub horizon: SimTime,
    /// Start of measurement [time unit]; `< horizon`.
    pub warmup: SimTime,
    /// Random streams of this replication.
    pub seeder: StreamSeeder,
}

/// A model handler failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The handler tried to schedule in the past.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// A stepper could not be added while building.
    #[error(transparent)]
    Stepper(#[from] StepperError),
    /// The model reached a state it cannot handle.
    #[error("{0}")]
    Invalid(String),
    /// A plugin the model called failed or answered something invalid.
    #[error("{context}: {source}")]
    Plugin {
        /// Where in the model, e.g. "resource `mill`".
        context: String,
        /// The failed call (the plugin host's error; the engine does not know its type).
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
}

impl ModelError {
    /// A failed plugin call at `context`.
    pub fn plugin(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        ModelError::Plugin { context: context.into(), source: Arc::new(source) }
    }
}

/// Equal when they say the same: a plugin's error is compared by its message.
impl PartialEq for ModelError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ModelError::Schedule(a), ModelError::Schedule(b)) => a == b,
            (ModelError::Stepper(a), ModelError::Stepper(b)) => a == b,
            (ModelError::Invalid(a), ModelError::Invalid(b)) => a == b,
            (
                ModelError::Plugin { context: a, source: sa },
                ModelError::Plugin { context: b, source: sb },
            ) => a == b && sa.to_string() == sb.to_string(),
            _ => false,
        }
    }
}

/// A replication failed; fatal for that replication only.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A model handler failed.
    #[error("at t={time}: {source}")]
    Model {
        /// Simulated time of the failure.
        time: SimTime,
        /// What failed.
        source: ModelError,
    },
    /// A collector failed.
    #[error("at t={time}: {source}")]
    Collector {
        /// Simulated time of the failure.
        time: SimTime,
        /// What failed.
        source: CollectError,
    },
    /// The engine was configured wrongly (bad stepper, duplicate metric, ...).
    #[error("{0}")]
    Config(String),
    /// More than [`MAX_EVENTS_AT_ONE_INSTANT`] entries ran at one simulated time: the model
    /// keeps scheduling entries at the current time and can never reach the horizon.
    #[error(
        "more than {events} events at t = {time} without time advancing (last event: {last}): the model \
         cannot progress"
    )]
    Stalled {
        /// The simulated time that never advanced.
        time: SimTime,
        /// The bound that was exceeded ([`MAX_EVENTS_AT_ONE_INSTANT`]).
        events: u64,
        /// The entry that exceeded it, in words (from [`Model::describe`]).
        last: String,
    },
    /// Not run: another replication of the experiment failed first.
    #[error("not run: another replication failed first")]
    Skipped,
    /// Not finished: the experiment was asked to stop (e.g. Ctrl-C) before or while it ran; it
    /// produced nothing and is not a failure of the model.
    #[error("not finished: the run was interrupted")]
    Interrupted,
}

/// What one replication produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutput {
    /// All collectors' metrics, sorted by name.
    pub metrics: Vec<Metric>,
    /// All collectors' time-series points, collector by collector, in the order produced.
    pub series: Vec<SeriesPoint>,
    /// Calendar entries processed.
    pub events: u64,
}

/// One replication: World + engine context + model + collectors.
pub struct Sim<M: Model> {
    world: World,
    ctx: Ctx<M::Event>,
    model: M,
    collectors: Vec<Box<dyn Collector>>,
    config: SimConfig,
}

impl<M: Model> Sim<M> {
    /// A simulation whose model `build` makes in one step: it receives a fresh World and engine
    /// context, populates the World, schedules its first entries, adds its steppers and returns
    /// the model. Nothing runs until [`Sim::run`].
    ///
    /// # Errors
    /// The model's build error, at time 0.
    pub fn build(
        config: SimConfig,
        build: impl FnOnce(&mut World, &mut Ctx<M::Event>) -> Result<M, ModelError>,
    ) -> Result<Self, SimError> {
        let mut world = World::new();
        world.insert_resource(SimClock::default());
        world.insert_resource(RecordSink::default());
        let mut ctx = Ctx::new(config.seeder, config.horizon, config.warmup);
        let model =
            build(&mut world, &mut ctx).map_err(|source| SimError::Model { time: SimTime::ZERO, source })?;
        Ok(Sim { world, ctx, model, collectors: Vec::new(), config })
    }

    /// The World, e.g. to inspect agents before the run.
    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// Adds a collector; it receives every record of the run.
    pub fn add_collector(&mut self, collector: Box<dyn Collector>) {
        self.collectors.push(collector);
    }

    /// Runs `schedule` at `first`, `first + period`, ... up to the horizon (see
    /// [`Ctx::add_stepper`], which a model's build uses).
    ///
    /// # Errors
    /// [`SimError::Config`] if the period is not positive.
    pub fn add_stepper(&mut self, config: StepperConfig, schedule: Schedule) -> Result<(), SimError> {
        self.ctx.add_stepper(config, schedule).map_err(|e| SimError::Config(e.to_string()))
    }

    /// Runs to the horizon and returns the metrics; the World is dropped at the end.
    ///
    /// `progress` is called with the simulated time every 65 536 entries; answering
    /// `ControlFlow::Break` abandons the replication (e.g. on Ctrl-C).
    ///
    /// # Errors
    /// The first model or collector failure, with its simulated time; [`SimError::Interrupted`]
    /// when `progress` asked to stop.
    pub fn run(
        mut self,
        progress: &mut dyn FnMut(SimTime) -> ControlFlow<()>,
    ) -> Result<RunOutput, SimError> {
        let window = Window { warmup: self.config.warmup, horizon: self.config.horizon };
        let catalogue = self.model.catalogue().clone();
        for c in &mut self.collectors {
            c.start(&catalogue, window)
                .map_err(|source| SimError::Collector { time: SimTime::ZERO, source })?;
        }
        let horizon = self.config.horizon;
        let mut events: u64 = 0;
        // The instant being run and how many entries ran at it: the guard against loops that
        // never advance time (one comparison per entry on the hot path).
        let (mut instant, mut at_instant) = (SimTime::ZERO, 0_u64);
        while let Some(entry) = self.ctx.calendar.pop() {
            if entry.time > horizon {
                break;
            }
            if entry.time == instant {
                at_instant += 1;
                if at_instant > MAX_EVENTS_AT_ONE_INSTANT {
                    return Err(self.stalled(entry.time, &entry.payload));
                }
            } else {
                instant = entry.time;
                at_instant = 1;
            }
            match entry.payload {
                Scheduled::Model(event) => {
                    self.model
                        .handle(&mut self.world, &mut self.ctx, event)
                        .map_err(|source| SimError::Model { time: entry.time, source })?;
                }
                Scheduled::Step(index) => self.step(index, entry.time)?,
            }
            events += 1;
            if self.ctx.records.len() >= FLUSH_LEN {
                self.flush()?;
            }
            if events.is_multiple_of(PROGRESS_EVERY) {
                // Without an App nobody else frees bevy's removed-component buffers.
                self.world.clear_trackers();
                if progress(entry.time).is_break() {
                    return Err(SimError::Interrupted);
                }
            }
        }
        self.flush()?;
        let (mut metrics, mut series) = (Vec::new(), Vec::new());
        for c in &mut self.collectors {
            let finished = c.finish().map_err(|source| SimError::Collector { time: horizon, source })?;
            metrics.extend(finished.metrics);
            series.extend(finished.series);
        }
        metrics.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(w) = metrics.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(SimError::Config(format!("two collectors report the metric `{}`", w[0].name)));
        }
        Ok(RunOutput { metrics, series, events })
    }

    /// The error of a replication stuck at `time`, naming the entry that exceeded the bound.
    #[cold]
    fn stalled(&self, time: SimTime, payload: &Scheduled<M::Event>) -> SimError {
        let last = match payload {
            Scheduled::Model(event) => self.model.describe(event),
            Scheduled::Step(index) => match self.ctx.steppers.get(*index) {
                Some(stepper) => format!("step of `{}`", stepper.config.name),
                None => format!("step {index}"),
            },
        };
        SimError::Stalled { time, events: MAX_EVENTS_AT_ONE_INSTANT, last }
    }

    fn step(&mut self, index: usize, time: SimTime) -> Result<(), SimError> {
        // A stepped system may read any domain's World state: bring it up to date first.
        self.model.publish(&mut self.world);
        let stepper = &mut self.ctx.steppers[index];
        self.world.resource_mut::<SimClock>().now = time;
        self.world.resource_mut::<RecordSink>().now = time.as_f64();
        stepper.schedule.run(&mut self.world);
        stepper.steps += 1;
        self.ctx.records.append(&mut self.world.resource_mut::<RecordSink>().records);
        self.model
            .stepped(&mut self.world, &mut self.ctx)
            .map_err(|source| SimError::Model { time, source })?;
        let stepper = &mut self.ctx.steppers[index];
        let (next, priority) = (stepper.next_time(), stepper.config.priority);
        let next = SimTime::new(next)
            .map_err(|e| SimError::Config(format!("stepper `{}`: {e}", stepper.config.name)))?;
        self.ctx
            .calendar
            .schedule(next, priority, Scheduled::Step(index))
            .map_err(|source| SimError::Model { time, source: source.into() })?;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SimError> {
        let now = self.ctx.now();
        for c in &mut self.collectors {
            c.batch(&self.ctx.records).map_err(|source| SimError::Collector { time: now, source })?;
        }
        self.ctx.records.clear();
        Ok(())
    }
}
