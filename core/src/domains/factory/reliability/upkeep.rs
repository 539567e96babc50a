//! The handlers of machines' lives: failures, repairs, maintenance, crews, and the decisions
//! sensor readings call for; tied to the stations' flow of jobs.

use bevy_ecs::world::World;

use super::super::config::{Interrupted, Policy};
use super::super::model::{FactoryEvent, Flow};
use super::super::state::{Activity, MachineState, Station, index};
use super::build::Living;
use super::crew::{Crew, Request, Work};
use super::kinds::LifeKinds;
use super::life::{Cause, Condition, Health};
use super::predict::Call;
use super::sensing::FreshReadings;
use super::wear::Wear;
use crate::engine::{Ctx, ModelError};
use crate::time::SimDuration;

/// Machine index meaning "every machine of the station" in [`FactoryEvent::MaintenanceDue`].
pub(in crate::domains::factory) const ALL_MACHINES: u32 = u32::MAX;

/// Machines' lives of a whole factory: the living stations, the crews and the record kinds.
pub(in crate::domains::factory) struct Upkeep {
    pub(super) living: Vec<Option<Living>>,
    pub(super) crews: Vec<Crew>,
    pub(super) kinds: LifeKinds,
    /// The crew each machine in work uses, by (station, machine), while it works.
    pub(super) working: Vec<Vec<Option<usize>>>,
    /// Whether anything besides the sensors may read the machines' `Health` (then it is
    /// published for every living station, not only the sensed ones).
    pub(super) observed: bool,
    /// Reused buffers of the predictive decisions.
    pub(super) fresh: Vec<super::sensing::Fresh>,
    pub(super) rows: Vec<f64>,
}

impl Upkeep {
    fn living_of(&self, s: u32) -> Result<&Living, ModelError> {
        self.living
            .get(s as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| ModelError::Invalid(format!("station {s} has no machine lives")))
    }

    /// A machine of station `s` fails.
    pub(in crate::domains::factory) fn failure<R: From<FactoryEvent>>(
        &mut self,
        flow: &mut Flow,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
        s: u32,
        m: u32,
    ) -> Result<(), ModelError> {
        let now = ctx.now().as_f64();
        let lv = self.living_of(s)?;
        let (subject, machines, interrupted) = (lv.subject, lv.machines, lv.interrupted);
        let st = &mut stations[s as usize];
        let before = (st.busy, st.queue.len());
        let lives = st.lives.as_mut().expect("a living station has lives");
        let (random, wear) = (lives.random_basis, lives.wear_basis);
        let life = &mut lives.machines[m as usize];
        let Some((_, cause)) = life.failure.take() else {
            return Err(ModelError::Invalid(format!(
                "station `{}`: machine {m} failed without a failure due",
                lv.name
            )));
        };
        life.advance(now, random, wear);
        life.health.condition = Condition::Failed;
        life.failed_at = now;
        life.cause = cause;
        life.maintenance_due = false;
        if let Some(entry) = life.due_entry.take() {
            ctx.cancel(entry);
        }
        let processing = life.health.processing;
        if processing {
            // The job stays on the machine, owing the rest of its service (or all of it).
            if let Some(entry) = life.service.take() {
                ctx.cancel(entry);
            }
            life.owed = Some(match interrupted {
                Interrupted::Resume => (life.service_end - now).max(0.0),
                Interrupted::Restart => life.service_len,
            });
            life.health.processing = false;
        }
        lives.up -= 1;
        ctx.record(self.kinds.failures, subject, 1.0);
        ctx.record(self.kinds.availability, subject, f64::from(lives.up) / f64::from(machines));
        match st.machines[m as usize] {
            MachineState::Busy(_) if processing => st.busy -= 1,
            MachineState::Idle => {
                if let Some(i) = st.idle.iter().position(|&x| x == m) {
                    st.idle.remove(i);
                }
            }
            _ => {}
        }
        st.note(m, Activity::Down, now);
        flow.record_levels(ctx, st, before);
        let lv = self.living_of(s)?;
        let (crew, expected) = match cause {
            Cause::Random => (lv.random_crew, lv.expected.0),
            Cause::WearOut => (lv.wear_crew, lv.expected.1),
        };
        self.request(
            stations,
            ctx,
            Request { station: s, machine: m, work: Work::Repair, since: now, expected },
            crew,
        )
    }

    /// Asks `crew` (or nobody: at once) to do `request`'s work.
    fn request<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
        request: Request,
        crew: Option<usize>,
    ) -> Result<(), ModelError> {
        self.working[request.station as usize][request.machine as usize] = crew;
        match crew {
            None => self.start_work(stations, ctx, request),
            Some(c) => {
                let team = &mut self.crews[c];
                if team.has_free() {
                    team.busy += 1;
                    self.record_crew(ctx, c);
                    self.start_work(stations, ctx, request)
                } else {
                    team.wait(request);
                    Ok(())
                }
            }
        }
    }

    fn record_crew<R>(&self, ctx: &mut Ctx<R>, c: usize) {
        if let Some(kind) = self.kinds.crew {
            let team = &self.crews[c];
            ctx.record(kind, index(c), f64::from(team.busy) / f64::from(team.size));
        }
    }

    /// A crew member (or nobody) starts `request`'s work now.
    fn start_work<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
        request: Request,
    ) -> Result<(), ModelError> {
        let Request { station: s, machine: m, work, .. } = request;
        let lv = self.living[s as usize].as_ref().expect("requests come from living stations");
        let life = &mut stations[s as usize].lives.as_mut().expect("living").machines[m as usize];
        let duration = match work {
            Work::Repair => {
                life.health.condition = Condition::InRepair;
                let repair = match life.cause {
                    Cause::Random => lv.mttr.as_ref(),
                    Cause::WearOut => lv.wear_repair.as_ref(),
                };
                repair.map_or(0.0, |d| d.sample(&mut life.rng.repair))
            }
            Work::Maintenance => {
                life.health.condition = Condition::InMaintenance;
                ctx.record(self.kinds.maintenance, lv.subject, 1.0);
                lv.duration.as_ref().map_or(0.0, |d| d.sample(&mut life.rng.maintenance))
            }
        };
        ctx.schedule_in(
            SimDuration::new_unchecked(duration),
            FactoryEvent::WorkDone { station: s, machine: m },
        )?;
        Ok(())
    }

    /// A repair or maintenance of machine `m` of station `s` ends: the machine is renewed and
    /// back in service, and the crew member takes the next request.
    pub(in crate::domains::factory) fn work_done<R: From<FactoryEvent>>(
        &mut self,
        flow: &mut Flow,
        stations: &mut [Station],
        world: &mut World,
        ctx: &mut Ctx<R>,
        s: u32,
        m: u32,
    ) -> Result<(), ModelError> {
        let now = ctx.now().as_f64();
        let lv = self.living[s as usize].as_ref().expect("work is done on living stations");
        let st = &mut stations[s as usize];
        let before = (st.busy, st.queue.len());
        let lives = st.lives.as_mut().expect("living");
        let life = &mut lives.machines[m as usize];
        match life.health.condition {
            Condition::InRepair => ctx.record(self.kinds.downtime, lv.subject, now - life.failed_at),
            Condition::InMaintenance => {}
            other => {
                return Err(ModelError::Invalid(format!(
                    "station `{}`: machine {m} ended work it was not in ({other:?})",
                    lv.name
                )));
            }
        }
        match world.get_mut::<Wear>(lv.entities[m as usize]) {
            Some(mut wear) => lv.renew(life, &mut wear, now),
            None => lv.renew(life, &mut Wear::default(), now),
        }
        lives.up += 1;
        ctx.record(self.kinds.availability, lv.subject, f64::from(lives.up) / f64::from(lv.machines));
        lives.reschedule(ctx, s, m)?;
        lv.schedule_age_due(ctx, s, m, &mut lives.machines[m as usize])?;
        let owed = lives.machines[m as usize].owed.take();
        let mut released = Vec::new();
        match (st.machines[m as usize], owed) {
            (MachineState::Busy(mut job), Some(owed)) => {
                job.busy_until = now + owed;
                st.machines[m as usize] = MachineState::Busy(job);
                st.busy += 1;
                st.note(m, Activity::Busy, now);
                let entry = ctx.schedule_in(
                    SimDuration::new_unchecked(owed),
                    FactoryEvent::ServiceDone { station: s, machine: m },
                )?;
                st.lives.as_mut().expect("living").started(ctx, s, m, entry, owed)?;
                flow.record_levels(ctx, st, before);
            }
            (MachineState::Blocked, _) => st.note(m, Activity::Blocked, now),
            _ => {
                st.note(m, Activity::Idle, now);
                st.idle.push(m);
                flow.refill(ctx, st, before, &mut released)?;
            }
        }
        flow.cascade(stations, ctx, &mut released)?;
        self.settle(stations, ctx)?;
        if let Some(c) = self.working[s as usize][m as usize].take() {
            self.crews[c].busy -= 1;
            let next = self.crews[c].next(index(c), now)?;
            match next {
                Some(request) => {
                    self.crews[c].busy += 1;
                    self.working[request.station as usize][request.machine as usize] = Some(c);
                    self.start_work(stations, ctx, request)?;
                }
                None => self.record_crew(ctx, c),
            }
        }
        Ok(())
    }

    /// Maintenance falls due on machine `m` (or every machine) of station `s`.
    pub(in crate::domains::factory) fn maintenance_due<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
        s: u32,
        m: u32,
    ) -> Result<(), ModelError> {
        let lv = self.living_of(s)?;
        if m == ALL_MACHINES {
            if let Policy::Preventive { every, .. } = lv.policy {
                ctx.schedule_in(
                    SimDuration::new_unchecked(every),
                    FactoryEvent::MaintenanceDue { station: s, machine: ALL_MACHINES },
                )?;
            }
            for m in 0..lv.machines {
                self.due(stations, s, m);
            }
        } else {
            if let Some(lives) = &mut stations[s as usize].lives {
                lives.machines[m as usize].due_entry = None;
            }
            self.due(stations, s, m);
        }
        self.settle(stations, ctx)
    }

    /// Marks machine `m`'s maintenance due: an idle machine stops (in [`Upkeep::settle`]), a
    /// busy or blocked one when it frees, a failed one not at all (its repair renews it).
    fn due(&mut self, stations: &mut [Station], s: u32, m: u32) {
        let st = &mut stations[s as usize];
        let lives = st.lives.as_mut().expect("living");
        let life = &mut lives.machines[m as usize];
        if !life.is_up() || life.maintenance_due {
            return;
        }
        life.maintenance_due = true;
        if st.machines[m as usize] == MachineState::Idle
            && let Some(i) = st.idle.iter().position(|&x| x == m)
        {
            st.idle.remove(i);
            lives.stopping.push(m);
        }
    }

    /// Stops the machines whose maintenance is due and that are free, and asks for their crew.
    pub(in crate::domains::factory) fn settle<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
    ) -> Result<(), ModelError> {
        for s in 0..stations.len() {
            let Some(lives) = &mut stations[s].lives else { continue };
            if lives.stopping.is_empty() {
                continue;
            }
            let stopping = std::mem::take(&mut lives.stopping);
            for &m in &stopping {
                self.stop(stations, ctx, index(s), m)?;
            }
        }
        Ok(())
    }

    /// Takes machine `m` of station `s` out of service for its maintenance.
    fn stop<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
        s: u32,
        m: u32,
    ) -> Result<(), ModelError> {
        let now = ctx.now().as_f64();
        let lv = self.living[s as usize].as_ref().expect("living");
        let (subject, machines, crew, expected) =
            (lv.subject, lv.machines, lv.maintenance_crew, lv.expected.2);
        let st = &mut stations[s as usize];
        let lives = st.lives.as_mut().expect("living");
        let (random, wear) = (lives.random_basis, lives.wear_basis);
        let life = &mut lives.machines[m as usize];
        life.advance(now, random, wear);
        life.health.condition = Condition::AwaitingMaintenance;
        life.maintenance_due = false;
        if let Some((entry, _)) = life.failure.take() {
            ctx.cancel(entry);
        }
        if let Some(entry) = life.due_entry.take() {
            ctx.cancel(entry);
        }
        lives.up -= 1;
        ctx.record(self.kinds.availability, subject, f64::from(lives.up) / f64::from(machines));
        st.note(m, Activity::Down, now);
        let request = Request { station: s, machine: m, work: Work::Maintenance, since: now, expected };
        self.request(stations, ctx, request, crew)
    }

    /// Acts on the estimates the sensors just made: condition-based and predictive policies
    /// call maintenance; a predictor learns from the warm-up's readings and is judged after it.
    pub(in crate::domains::factory) fn stepped<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        world: &mut World,
        ctx: &mut Ctx<R>,
    ) -> Result<(), ModelError> {
        let Some(mut fresh) = world.get_resource_mut::<FreshReadings>() else { return Ok(()) };
        if fresh.0.is_empty() {
            return Ok(());
        }
        let mut batch = std::mem::take(&mut self.fresh);
        batch.clear();
        batch.append(&mut fresh.0);
        // The World's iteration order is deterministic, but decisions must not depend on it.
        batch.sort_by_key(|f| (f.station, f.machine));
        let now = ctx.now().as_f64();
        let learning = now < ctx.warmup().as_f64();
        let mut start = 0;
        while start < batch.len() {
            let s = batch[start].station;
            let end = start + batch[start..].iter().take_while(|f| f.station == s).count();
            let group = &batch[start..end];
            start = end;
            let Some(lv) = self.living[s as usize].as_mut() else { continue };
            let st = &mut stations[s as usize];
            let lives = st.lives.as_mut().expect("living");
            match &lv.policy {
                Policy::Condition { threshold } => {
                    let threshold = *threshold;
                    let calls: Vec<u32> =
                        group.iter().filter(|f| f.estimate.level >= threshold).map(|f| f.machine).collect();
                    for m in calls {
                        self.due(stations, s, m);
                    }
                }
                Policy::Predictive(_) => {
                    let Some((subject, predictive)) = lv.predictive.as_mut() else { continue };
                    let (random, wear) = (lives.random_basis, lives.wear_basis);
                    // Readings of machines in service and not already called.
                    let mut machines = Vec::with_capacity(group.len());
                    self.rows.clear();
                    for f in group {
                        let life = &mut lives.machines[f.machine as usize];
                        if !life.is_up()
                            || life.maintenance_due
                            || now - life.health.renewed_at < predictive.settle
                        {
                            continue;
                        }
                        life.advance(now, random, wear);
                        let actual = life.remaining() <= predictive.within;
                        predictive.row(f.estimate, now - life.health.renewed_at, &mut self.rows);
                        machines.push((f.machine, actual));
                    }
                    if learning && !predictive.fitted {
                        predictive.x.extend_from_slice(&self.rows);
                        predictive.y.extend(machines.iter().map(|&(_, a)| f64::from(u8::from(a))));
                        continue;
                    }
                    if !predictive.fitted {
                        predictive.fit_warmup(&lv.name)?;
                    }
                    if machines.is_empty() {
                        continue;
                    }
                    let p = predictive.predict(&self.rows, &lv.name)?;
                    let (subject, kinds, threshold) = (*subject, predictive.kinds, predictive.threshold);
                    let mut calls = Vec::new();
                    for (&(m, actual), p) in machines.iter().zip(p) {
                        let call = Call { positive: p >= threshold, actual };
                        for (kind, value) in call.records(&kinds) {
                            ctx.record(kind, subject, value);
                        }
                        if call.positive {
                            calls.push(m);
                        }
                    }
                    for m in calls {
                        self.due(stations, s, m);
                    }
                }
                Policy::RunToFailure | Policy::Preventive { .. } => {}
            }
        }
        self.fresh = batch;
        self.settle(stations, ctx)
    }

    /// Copies the lives of sensed machines (of all machines when others may read them) to their
    /// [`Health`] components.
    pub(in crate::domains::factory) fn publish(&self, stations: &[Station], world: &mut World) {
        for (lv, st) in self.living.iter().zip(stations) {
            let (Some(lv), Some(lives)) = (lv, &st.lives) else { continue };
            if !lv.sensed && !self.observed {
                continue;
            }
            for (life, &entity) in lives.machines.iter().zip(&lv.entities) {
                if let Some(mut health) = world.get_mut::<Health>(entity) {
                    *health = life.health;
                }
            }
        }
    }
}
