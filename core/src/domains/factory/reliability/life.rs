//! A machine's life as the handlers keep it (hot: [`Life`], and a station's `Lives`) and as
//! others read it (the [`Health`] component).

use bevy_ecs::component::Component;

use super::super::config::Basis;
use super::super::model::FactoryEvent;
use crate::calendar::EntryHandle;
use crate::engine::{Ctx, ModelError};
use crate::rng::StreamRng;
use crate::time::SimDuration;

/// Whether a machine is in service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Condition {
    /// In service: idle, busy or blocked.
    #[default]
    Up,
    /// Failed, waiting for a crew member.
    Failed,
    /// Being repaired.
    InRepair,
    /// Stopped for maintenance, waiting for a crew member.
    AwaitingMaintenance,
    /// Being maintained.
    InMaintenance,
}

/// A machine entity's life as of `clock_at`, published for readers (sensors, other domains).
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Health {
    /// In service or not.
    pub condition: Condition,
    /// Whether it is processing a job.
    pub processing: bool,
    /// When `wear_age` was last brought up to date [time unit].
    pub clock_at: f64,
    /// Basis time of wear since the last renewal, as of `clock_at` [time unit].
    pub wear_age: f64,
    /// End of the last renewal (repair or maintenance), 0 at the start [time unit].
    pub renewed_at: f64,
}

impl Health {
    /// A machine new at time 0.
    pub const NEW: Health =
        Health { condition: Condition::Up, processing: false, clock_at: 0.0, wear_age: 0.0, renewed_at: 0.0 };

    /// Whether a clock counting `basis` time runs.
    pub fn runs(&self, basis: Basis) -> bool {
        self.condition == Condition::Up && (basis == Basis::Calendar || self.processing)
    }

    /// The wear basis time at `now` (≥ `clock_at`) [time unit].
    pub fn wear_age_at(&self, now: f64, basis: Basis) -> f64 {
        if self.runs(basis) { self.wear_age + (now - self.clock_at) } else { self.wear_age }
    }
}

/// What caused a machine's current or last failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// Its random time to failure ran out.
    Random,
    /// Its wear reached the limit.
    WearOut,
}

/// One machine's life, the handlers' own copy (hot).
#[derive(Clone, Debug)]
pub struct Life {
    /// Condition, processing flag, clocks, renewal time.
    pub health: Health,
    /// Basis time left to the next random failure [time unit]; `+∞` without random failures.
    pub random_left: f64,
    /// Wear basis time at which the current path reaches the limit [time unit]; `+∞` without wear.
    pub wear_out_at: f64,
    /// The pending failure entry and what it will be.
    pub failure: Option<(EntryHandle, Cause)>,
    /// The pending end of service of the job it processes.
    pub service: Option<EntryHandle>,
    /// When that service ends [time unit] and its whole length [time unit].
    pub service_end: f64,
    /// Length of the service in progress or interrupted [time unit].
    pub service_len: f64,
    /// Processing time still owed to an interrupted job [time unit]; `None` when no job was
    /// interrupted.
    pub owed: Option<f64>,
    /// When it last failed [time unit].
    pub failed_at: f64,
    /// Cause of its last failure.
    pub cause: Cause,
    /// Maintenance is due but waits for the current job (or blocked job) to leave.
    pub maintenance_due: bool,
    /// The pending age-based maintenance entry.
    pub due_entry: Option<EntryHandle>,
    /// Its streams: time to failure, repair times, wear path, maintenance times.
    pub rng: LifeStreams,
}

/// A machine's own random streams, keyed by `station:<name>/machine:<k>`.
#[derive(Clone, Debug)]
pub struct LifeStreams {
    /// Times to random failure (`failure`).
    pub failure: StreamRng,
    /// Repair times (`repair`).
    pub repair: StreamRng,
    /// Wear paths (`wear`).
    pub wear: StreamRng,
    /// Maintenance durations (`maintenance`).
    pub maintenance: StreamRng,
}

impl Life {
    /// A machine new at time 0 with these streams.
    pub fn new(rng: LifeStreams) -> Self {
        Life {
            health: Health::NEW,
            random_left: f64::INFINITY,
            wear_out_at: f64::INFINITY,
            failure: None,
            service: None,
            service_end: 0.0,
            service_len: 0.0,
            owed: None,
            failed_at: 0.0,
            cause: Cause::Random,
            maintenance_due: false,
            due_entry: None,
            rng,
        }
    }

    /// Whether it is in service.
    pub fn is_up(&self) -> bool {
        self.health.condition == Condition::Up
    }

    /// Runs its clocks up to `now`, under the bases of its random failures and its wear.
    pub fn advance(&mut self, now: f64, random: Basis, wear: Basis) {
        let dt = now - self.health.clock_at;
        if dt > 0.0 {
            if self.health.runs(random) {
                self.random_left -= dt;
            }
            if self.health.runs(wear) {
                self.health.wear_age += dt;
            }
        }
        self.health.clock_at = now;
    }

    /// Time until its next failure if nothing changes, and its cause; `None` when no clock runs.
    pub fn next_failure(&self, random: Basis, wear: Basis) -> Option<(f64, Cause)> {
        let r = (self.health.runs(random) && self.random_left.is_finite()).then_some(self.random_left);
        let w = (self.health.runs(wear) && self.wear_out_at.is_finite())
            .then_some(self.wear_out_at - self.health.wear_age);
        match (r, w) {
            (Some(r), Some(w)) if w < r => Some((w.max(0.0), Cause::WearOut)),
            (Some(r), _) => Some((r.max(0.0), Cause::Random)),
            (None, Some(w)) => Some((w.max(0.0), Cause::WearOut)),
            (None, None) => None,
        }
    }

    /// Its remaining life [time unit]: the least time left on its failure clocks, each counted
    /// in its own basis, whether running or not; `+∞` when it never fails.
    pub fn remaining(&self) -> f64 {
        self.random_left.min(self.wear_out_at - self.health.wear_age)
    }
}

/// The lives of a station's machines (hot, the handlers' own, inside the [`Station`]).
#[derive(Debug)]
pub(in crate::domains::factory) struct Lives {
    /// Per machine.
    pub(in crate::domains::factory) machines: Vec<Life>,
    /// What random failures' clocks count.
    pub(in crate::domains::factory) random_basis: Basis,
    /// What wear accrues in.
    pub(in crate::domains::factory) wear_basis: Basis,
    /// Whether some clock counts busy time (then starts and ends of service move failures).
    pub(super) busy_clock: bool,
    /// Freed machines whose maintenance is due: stopped by [`Upkeep::settle`].
    pub(in crate::domains::factory) stopping: Vec<u32>,
    /// Machines up.
    pub(in crate::domains::factory) up: u32,
}

impl Lives {
    /// Whether a machine being freed must stay out of the idle list: it is down (it failed while
    /// blocked), or its maintenance is due (it is then stopped once the event ends).
    #[inline]
    pub(in crate::domains::factory) fn holds(&mut self, m: u32) -> bool {
        let life = &mut self.machines[m as usize];
        if !life.is_up() {
            return true;
        }
        if life.maintenance_due {
            self.stopping.push(m);
            return true;
        }
        false
    }

    /// Whether machine `m` is out of service.
    pub(in crate::domains::factory) fn is_down(&self, m: u32) -> bool {
        !self.machines[m as usize].is_up()
    }

    /// Whether machine `m` takes no new job: out of service, or stopping for its maintenance
    /// as soon as it frees (what schedulers are shown as `DOWN`).
    pub(in crate::domains::factory) fn is_unavailable(&self, m: u32) -> bool {
        let life = &self.machines[m as usize];
        !life.is_up() || life.maintenance_due
    }

    /// Machine `m` of station `s` started a service of `len` [time unit] whose end is `entry`.
    pub(in crate::domains::factory) fn started<R: From<FactoryEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        s: u32,
        m: u32,
        entry: EntryHandle,
        len: f64,
    ) -> Result<(), ModelError> {
        let now = ctx.now().as_f64();
        let (random, wear) = (self.random_basis, self.wear_basis);
        let life = &mut self.machines[m as usize];
        life.advance(now, random, wear);
        life.health.processing = true;
        life.service = Some(entry);
        life.service_end = now + len;
        life.service_len = len;
        if self.busy_clock {
            self.reschedule(ctx, s, m)?;
        }
        Ok(())
    }

    /// Machine `m` of station `s` finished its service.
    pub(in crate::domains::factory) fn finished<R: From<FactoryEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        s: u32,
        m: u32,
    ) -> Result<(), ModelError> {
        let now = ctx.now().as_f64();
        let (random, wear) = (self.random_basis, self.wear_basis);
        let life = &mut self.machines[m as usize];
        life.advance(now, random, wear);
        life.health.processing = false;
        life.service = None;
        if self.busy_clock {
            self.reschedule(ctx, s, m)?;
        }
        Ok(())
    }

    /// Replaces machine `m`'s pending failure by the one its running clocks now lead to.
    pub(super) fn reschedule<R: From<FactoryEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        s: u32,
        m: u32,
    ) -> Result<(), ModelError> {
        let life = &mut self.machines[m as usize];
        if let Some((entry, _)) = life.failure.take() {
            ctx.cancel(entry);
        }
        if let Some((delay, cause)) = life.next_failure(self.random_basis, self.wear_basis) {
            let delay =
                SimDuration::new(delay).map_err(|e| ModelError::Invalid(format!("time to failure: {e}")))?;
            let entry = ctx.schedule_in(delay, FactoryEvent::Failure { station: s, machine: m })?;
            life.failure = Some((entry, cause));
        }
        Ok(())
    }
}
