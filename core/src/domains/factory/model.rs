//! Event handlers of the factory.

use std::sync::Arc;

use bevy_ecs::world::World;
use rand::Rng;
use toml::Spanned;
use toml::de::DeValue;
use xinzhi_plugin::{JobRecord, MachineRecord, OperationRecord};

use super::config::FactoryConfig;
use super::kinds::{KindIds, declare_kinds};
use super::reliability::{self, Upkeep};
use super::state::{Activity, Blocked, Job, Machine, MachineState, MachineStatus, NO_TIMES, Station, index};
use crate::dist::Sampler;
use crate::domains::exchange::{Readings, Shipment, Shipments};
use crate::domains::{Domain, Kinds, Preflight, RunShape, Setup};
use crate::engine::{Ctx, ModelError};
use crate::plugin::{ComponentKind, Decision, SchedulerInstance, Services};
use crate::rng::{StreamRng, entity_stream};
use crate::time::SimDuration;
use crate::validate::{PluginRef, ScenarioError, ValidationCtx};

/// Calendar payloads of the factory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FactoryEvent {
    /// The next job of a source arrives.
    Arrival {
        /// Source index.
        source: u32,
    },
    /// A machine of a station finishes its job (the job is held by the machine).
    ServiceDone {
        /// Station index.
        station: u32,
        /// Machine index within the station.
        machine: u32,
    },
    /// A machine fails (its random time to failure ran out, or its wear reached the limit).
    Failure {
        /// Station index.
        station: u32,
        /// Machine index within the station.
        machine: u32,
    },
    /// A repair or maintenance of a machine ends.
    WorkDone {
        /// Station index.
        station: u32,
        /// Machine index within the station.
        machine: u32,
    },
    /// Preventive maintenance falls due on a machine, or on all of a station's machines.
    MaintenanceDue {
        /// Station index.
        station: u32,
        /// Machine index within the station; `u32::MAX` for all of them.
        machine: u32,
    },
}

struct SourceSlot {
    name: String,
    product: u32,
    interarrival: Sampler,
    rng: StreamRng,
    /// The stream of its jobs' seeds (one draw per arrival).
    job_rng: StreamRng,
    /// Due-date offset and its stream.
    due: Option<(Sampler, StreamRng)>,
    weight: f64,
}

struct StationSlot {
    name: String,
    machines: u32,
    scheduler: SchedulerInstance,
}

struct ProductSlot {
    /// Mean processing time of each route step [time unit]: what schedulers see.
    estimates: Vec<f64>,
    /// Processing times are sampled at release instead of at each start.
    known_times: bool,
}

/// Processing times sampled at release, one slot per job in the system.
#[derive(Default)]
struct KnownTimes {
    slots: Vec<Vec<f64>>,
    free: Vec<u32>,
}

impl KnownTimes {
    fn take(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(Vec::new());
            index(self.slots.len() - 1)
        })
    }

    fn release(&mut self, slot: u32) {
        if slot != NO_TIMES {
            self.free.push(slot);
        }
    }
}

/// Reused buffers of one scheduling decision.
#[derive(Default)]
struct DecisionBuffers {
    ops: Vec<OperationRecord>,
    machines: Vec<MachineRecord>,
}

/// The factory model of one replication: static topology, random streams and scheduler
/// instances, and its stations' state. Each machine is an entity ([`Machine`], [`MachineStatus`]):
/// what others read of it, published (see [`Domain::publish`]).
///
/// The stations (queues, the jobs machines hold) are plain data here, not a World resource:
/// only the factory's handlers touch them, and fetching a resource on every event cost 7–12 %
/// of the M/M/1 benchmark (measured: `World::resource_mut` is a type-id lookup and change-tick
/// bookkeeping, and it stopped being inlined once the run loop grew). Jobs are plain data
/// inside them: one entity per job would halve the event rate.
pub struct FactoryModel {
    /// Per station, indexed like the config's stations: the handlers' hot state.
    state: Vec<Station>,
    flow: Flow,
    /// Machines' lives: failures, crews, maintenance; `None` when machines never fail.
    upkeep: Option<Upkeep>,
}

/// Everything of the factory but its stations' state: topology, streams, schedulers, counters.
/// Kept apart from the stations so that a handler borrows both without moving either (moving
/// the stations out and back per event cost 4 % of M/M/1, measured).
pub(super) struct Flow {
    kinds: KindIds,
    sources: Vec<SourceSlot>,
    stations: Vec<StationSlot>,
    /// Per product, per route step: (station index, processing-time sampler).
    routes: Vec<Vec<(u32, Sampler)>>,
    /// Per product, per route step: the identity of the job's draw of its processing time there,
    /// `station:<name>#<visit>/process` (visit = earlier visits of that station on the route),
    /// so a route gaining a station elsewhere keeps every other draw.
    salts: Vec<Vec<u64>>,
    products: Vec<ProductSlot>,
    /// Per station: whether some route goes on after visiting it (then schedulers are shown the
    /// remaining operations, rebuilt per decision).
    continues: Vec<bool>,
    known: KnownTimes,
    decision: DecisionBuffers,
    wip: u64,
    /// Per product: its name and destination, as shipments carry them.
    shipped_as: Vec<(Arc<str>, Option<Arc<str>>)>,
    /// Shipments since the last publication; `None` when no domain reads them.
    outbox: Option<Vec<Shipment>>,
    next_job: u64,
    /// Reused worklist of stations whose blocked machine was released.
    released: Vec<(u32, u32)>,
}

impl FactoryModel {
    /// Builds the factory of one replication in one step: its stations (a World resource) and
    /// machines (entities), random streams and scheduler instances, and its first arrivals.
    fn build<R: From<FactoryEvent> + 'static>(
        config: &FactoryConfig,
        setup: &mut Setup<'_, R>,
    ) -> Result<Self, ModelError> {
        let kinds = declare_kinds(config, &mut setup.kinds());
        let replication = setup.ctx.replication();
        let mut stations = Vec::with_capacity(config.stations.len());
        for s in &config.stations {
            let component = setup
                .registry
                .find(&s.dispatch.plugin, ComponentKind::SCHEDULER)
                .map_err(|e| ModelError::Invalid(format!("station `{}`: {e}", s.name)))?;
            let seed = setup.stream(&format!("station:{}", s.name), "dispatch").next_u64();
            let scheduler = component
                .scheduler(&s.dispatch.params, Services { seed, replication })
                .map_err(|source| ModelError::plugin(format!("station `{}`", s.name), source))?;
            stations.push(StationSlot { name: s.name.clone(), machines: s.machines, scheduler });
        }
        let sources = config
            .sources
            .iter()
            .map(|s| {
                let identity = format!("source:{}", s.name);
                SourceSlot {
                    name: s.name.clone(),
                    product: index(s.product),
                    interarrival: s.interarrival.sampler(),
                    rng: setup.stream(&identity, "interarrival"),
                    job_rng: setup.stream(&identity, "job"),
                    due: s.due.as_ref().map(|d| (d.sampler(), setup.stream(&identity, "due"))),
                    weight: s.weight,
                }
            })
            .collect();
        let salts = config
            .products
            .iter()
            .map(|p| {
                p.route
                    .iter()
                    .enumerate()
                    .map(|(i, step)| {
                        let visit = p.route[..i].iter().filter(|e| e.station == step.station).count();
                        let name = &config.stations[step.station].name;
                        setup.salt(&format!("station:{name}#{visit}"), "process")
                    })
                    .collect()
            })
            .collect();
        let mut state = Vec::with_capacity(config.stations.len());
        for (i, s) in config.stations.iter().enumerate() {
            let station = index(i);
            let machines = (0..s.machines)
                .map(|m| setup.world.spawn((Machine { station, index: m }, MachineStatus::NEW)).id())
                .collect();
            state.push(Station::new(station, machines, s.buffer, setup.observed));
        }
        let mut flow = Flow {
            kinds,
            sources,
            stations,
            routes: config
                .products
                .iter()
                .map(|p| p.route.iter().map(|step| (index(step.station), step.process.sampler())).collect())
                .collect(),
            salts,
            products: config
                .products
                .iter()
                .map(|p| ProductSlot {
                    estimates: p.route.iter().map(|step| step.process.mean()).collect(),
                    known_times: p.known_times,
                })
                .collect(),
            continues: (0..config.stations.len())
                .map(|s| {
                    config.products.iter().any(|p| p.route.iter().rev().skip(1).any(|step| step.station == s))
                })
                .collect(),
            known: KnownTimes::default(),
            decision: DecisionBuffers::default(),
            wip: 0,
            shipped_as: config
                .products
                .iter()
                .map(|p| (Arc::from(p.name.as_str()), p.destination.as_deref().map(Arc::from)))
                .collect(),
            outbox: setup.world.contains_resource::<Shipments>().then(Vec::new),
            next_job: 0,
            released: Vec::new(),
        };
        setup.ctx.record(flow.kinds.wip, 0, 0.0);
        for source in 0..flow.sources.len() {
            flow.schedule_arrival(setup.ctx, index(source))?;
        }
        let upkeep = Upkeep::build(config, flow.kinds.life, &mut state, setup)?;
        Ok(FactoryModel { state, flow, upkeep })
    }
}

impl Flow {
    /// Processing time of `job`'s operation `step` as schedulers see it: the true value when
    /// known in advance, else the mean.
    fn estimate(&self, job: &Job, step: usize) -> f64 {
        match self.known.slots.get(job.times as usize) {
            Some(times) if job.times != NO_TIMES => times[step],
            _ => self.products[job.product as usize].estimates[step],
        }
    }

    /// What schedulers see of a waiting job (its remaining route is filled in per decision,
    /// only at stations where some route continues).
    fn job_record(&self, job: &Job) -> JobRecord {
        JobRecord {
            id: job.id,
            product: job.product,
            step: job.step,
            release_time: job.released,
            due_date: job.due,
            weight: job.weight,
            queued_at: job.queued_at,
            processing_time: self.estimate(job, job.step as usize),
            ops_start: 0,
            ops_len: 0,
        }
    }

    /// Puts `job` (its `queued_at` set) at the back of `st`'s queue, with its record.
    fn enqueue(&self, st: &mut Station, job: Job) {
        st.records.push_back(self.job_record(&job));
        st.queue.push_back(job);
    }

    /// Index in `st.queue` of the job to start next. With one job there is no choice; otherwise
    /// the station's scheduler decides. The job records are kept next to the queue, so a
    /// decision costs no per-job work unless routes continue after this station.
    fn choose<R: From<FactoryEvent>>(&mut self, ctx: &Ctx<R>, st: &mut Station) -> Result<usize, ModelError> {
        if st.queue.len() <= 1 {
            return Ok(0);
        }
        let now = ctx.now().as_f64();
        let mut d = std::mem::take(&mut self.decision);
        d.ops.clear();
        d.machines.clear();
        let jobs = st.records.make_contiguous();
        if self.continues[st.index as usize] {
            for (job, record) in st.queue.iter().zip(jobs.iter_mut()) {
                let route = &self.routes[job.product as usize];
                record.ops_start = index(d.ops.len());
                for (step, &(station, _)) in route.iter().enumerate().skip(job.step as usize + 1) {
                    let processing_time = self.estimate(job, step);
                    d.ops.push(OperationRecord { station, _reserved: 0, processing_time });
                }
                record.ops_len = index(d.ops.len()) - record.ops_start;
            }
        }
        for (i, m) in st.machines.iter().enumerate() {
            let (state, available_at) = match m {
                _ if st.lives.as_ref().is_some_and(|l| l.is_unavailable(index(i))) => {
                    (MachineRecord::DOWN, f64::INFINITY)
                }
                MachineState::Idle => (MachineRecord::IDLE, now),
                MachineState::Busy(job) => (MachineRecord::BUSY, job.busy_until),
                MachineState::Blocked => (MachineRecord::BLOCKED, f64::INFINITY),
            };
            d.machines.push(MachineRecord { index: index(i), state, available_at });
        }
        let slot = &mut self.stations[st.index as usize];
        let result = slot
            .scheduler
            .schedule(&Decision { station: st.index, now, jobs, ops: &d.ops, machines: &d.machines })
            .map(|order| order[0] as usize);
        self.decision = d;
        result.map_err(|source| ModelError::plugin(format!("station `{}`", slot.name), source))
    }

    fn station<'a>(&self, stations: &'a mut [Station], s: u32) -> Result<&'a mut Station, ModelError> {
        stations.get_mut(s as usize).ok_or_else(|| ModelError::Invalid(format!("no station with index {s}")))
    }

    fn schedule_arrival<R: From<FactoryEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        source: u32,
    ) -> Result<(), ModelError> {
        let slot = &mut self.sources[source as usize];
        let delay = slot.interarrival.sample_duration(&mut slot.rng);
        ctx.schedule_in(delay, FactoryEvent::Arrival { source })?;
        Ok(())
    }

    /// Records the station's busy and queue levels if they changed since `before`.
    pub(super) fn record_levels<R: From<FactoryEvent>>(
        &self,
        ctx: &mut Ctx<R>,
        st: &Station,
        before: (u32, usize),
    ) {
        if st.busy != before.0 {
            let machines = f64::from(self.stations[st.index as usize].machines);
            ctx.record(self.kinds.busy, st.index, f64::from(st.busy) / machines);
        }
        if st.queue.len() != before.1 {
            ctx.record(self.kinds.queue, st.index, st.queue.len() as f64);
        }
    }

    /// Puts `job` on an idle machine of `st` and schedules its completion (levels are recorded by
    /// the caller, once per event, so a machine that is freed and refilled at once records nothing).
    fn start_service<R: From<FactoryEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        st: &mut Station,
        mut job: Job,
    ) -> Result<(), ModelError> {
        let Some(machine) = st.idle.pop() else {
            return Err(ModelError::Invalid(format!(
                "station `{}`: no idle machine",
                self.stations[st.index as usize].name
            )));
        };
        job.waited += ctx.now().as_f64() - job.queued_at;
        self.process(ctx, st, machine, job)
    }

    /// Runs the current operation of `job` on `machine` of `st`.
    fn process<R: From<FactoryEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        st: &mut Station,
        machine: u32,
        mut job: Job,
    ) -> Result<(), ModelError> {
        let step = job.step as usize;
        let delay = if job.times == NO_TIMES {
            let (_, sampler) = &self.routes[job.product as usize][step];
            let salt = self.salts[job.product as usize][step];
            let delay = sampler.sample_duration(&mut entity_stream(job.seed, salt));
            job.busy_until = ctx.now().as_f64() + self.products[job.product as usize].estimates[step];
            delay
        } else {
            let t = self.estimate(&job, step);
            job.busy_until = ctx.now().as_f64() + t;
            SimDuration::new(t).map_err(|e| ModelError::Invalid(format!("known processing time: {e}")))?
        };
        st.machines[machine as usize] = MachineState::Busy(job);
        st.note(machine, Activity::Busy, ctx.now().as_f64());
        st.busy += 1;
        let entry = ctx.schedule_in(delay, FactoryEvent::ServiceDone { station: st.index, machine })?;
        if let Some(lives) = &mut st.lives {
            lives.started(ctx, st.index, machine, entry, delay.as_f64())?;
        }
        Ok(())
    }

    /// Lets `job` into station `s`: onto a free machine, else into the queue. `Ok(false)` if the
    /// station is full.
    fn enter<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
        s: u32,
        mut job: Job,
    ) -> Result<bool, ModelError> {
        let st = self.station(stations, s)?;
        let before = (st.busy, st.queue.len());
        job.queued_at = ctx.now().as_f64();
        if st.has_idle_machine() {
            self.start_service(ctx, st, job)?;
        } else if st.has_room() {
            self.enqueue(st, job);
        } else {
            return Ok(false);
        }
        self.record_levels(ctx, st, before);
        Ok(true)
    }

    /// A machine of `st` became free (its busy or blocked count was already lowered): start the
    /// next queued job and let blocked upstream jobs move in. Returns the upstream stations whose
    /// blocked machines were released, for [`Flow::cascade`]. `before` is the station's
    /// (busy, queue length) at the start of the event, for recording level changes once.
    pub(super) fn refill<R: From<FactoryEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        st: &mut Station,
        before: (u32, usize),
        released: &mut Vec<(u32, u32)>,
    ) -> Result<(), ModelError> {
        while st.has_idle_machine() && !st.queue.is_empty() {
            let i = self.choose(ctx, st)?;
            st.records.remove(i);
            let Some(job) = st.queue.remove(i) else { break };
            self.start_service(ctx, st, job)?;
        }
        // Each admission frees one upstream machine, which may admit a job from further up.
        while st.has_idle_machine() || st.has_room() {
            let Some(Blocked { mut job, from, machine }) = st.blocked_upstream.pop_front() else { break };
            job.queued_at = ctx.now().as_f64();
            if st.has_idle_machine() {
                self.start_service(ctx, st, job)?;
            } else {
                self.enqueue(st, job);
            }
            released.push((from, machine));
        }
        self.record_levels(ctx, st, before);
        Ok(())
    }

    /// Unblocks the machines listed in `released`, refilling each station in turn, up the line.
    pub(super) fn cascade<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
        released: &mut Vec<(u32, u32)>,
    ) -> Result<(), ModelError> {
        while let Some((s, machine)) = released.pop() {
            let st = self.station(stations, s)?;
            let before = (st.busy, st.queue.len());
            st.blocked -= 1;
            st.free(machine, ctx.now().as_f64());
            ctx.record(
                self.kinds.blocked,
                s,
                f64::from(st.blocked) / f64::from(self.stations[s as usize].machines),
            );
            self.refill(ctx, st, before, released)?;
        }
        Ok(())
    }

    fn complete<R: From<FactoryEvent>>(&mut self, ctx: &mut Ctx<R>, job: Job) {
        let now = ctx.now().as_f64();
        self.wip -= 1;
        ctx.record(self.kinds.cycle_time, job.product, now - job.released);
        ctx.record(self.kinds.wait_time, job.product, job.waited);
        ctx.record(self.kinds.wip, 0, self.wip as f64);
        if let Some(lateness) = self.kinds.lateness
            && job.due.is_finite()
        {
            ctx.record(lateness, job.product, now - job.due);
        }
        self.known.release(job.times);
        if let Some(outbox) = &mut self.outbox {
            let (product, destination) = &self.shipped_as[job.product as usize];
            outbox.push(Shipment {
                time: ctx.now(),
                product: product.clone(),
                quantity: 1,
                destination: destination.clone(),
            });
        }
    }

    /// A new job of `source`, released now: its due date, weight and (if known in advance)
    /// processing times.
    fn release<R: From<FactoryEvent>>(&mut self, ctx: &Ctx<R>, source: u32) -> Result<Job, ModelError> {
        let now = ctx.now().as_f64();
        let slot = &mut self.sources[source as usize];
        let product = slot.product;
        let due = match &mut slot.due {
            Some((sampler, rng)) => now + sampler.sample_duration(rng).as_f64(),
            None => f64::INFINITY,
        };
        let weight = slot.weight;
        let seed = slot.job_rng.next_u64();
        let times = if self.products[product as usize].known_times {
            let slot = self.known.take();
            let times = &mut self.known.slots[slot as usize];
            times.clear();
            let steps = self.routes[product as usize].iter().zip(&self.salts[product as usize]);
            times.extend(
                steps.map(|((_, s), &salt)| s.sample_duration(&mut entity_stream(seed, salt)).as_f64()),
            );
            slot
        } else {
            NO_TIMES
        };
        let id = self.next_job;
        self.next_job += 1;
        Ok(Job {
            id,
            product,
            step: 0,
            released: now,
            queued_at: now,
            waited: 0.0,
            due,
            weight,
            seed,
            times,
            busy_until: now,
        })
    }

    fn arrival<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
        source: u32,
    ) -> Result<(), ModelError> {
        self.schedule_arrival(ctx, source)?;
        let job = self.release(ctx, source)?;
        let product = job.product;
        let first = self.routes[product as usize][0].0;
        if self.enter(stations, ctx, first, job)? {
            ctx.record(self.kinds.lost, product, 0.0);
            self.wip += 1;
            ctx.record(self.kinds.wip, 0, self.wip as f64);
        } else {
            ctx.record(self.kinds.lost, product, 1.0);
            self.known.release(job.times);
        }
        Ok(())
    }

    fn service_done<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
        s: u32,
        machine: u32,
    ) -> Result<(), ModelError> {
        let mut released = std::mem::take(&mut self.released);
        let st = self.station(stations, s)?;
        let before = (st.busy, st.queue.len());
        let MachineState::Busy(mut job) = st.machines[machine as usize] else {
            let name = &self.stations[s as usize].name;
            return Err(ModelError::Invalid(format!(
                "station `{name}`: machine {machine} finished without a job"
            )));
        };
        st.busy -= 1;
        st.count_completion(machine);
        if let Some(lives) = &mut st.lives {
            lives.finished(ctx, s, machine)?;
        }
        job.step += 1;
        let now = ctx.now().as_f64();
        match self.routes[job.product as usize].get(job.step as usize).map(|&(next, _)| next) {
            None => {
                // Done: one station lookup for the whole event.
                st.free(machine, now);
                self.complete(ctx, job);
                self.refill(ctx, st, before, &mut released)?;
            }
            Some(next) if next == s => {
                // Back to the same station: join its queue like any arrival; if it is full, keep
                // the machine and start again rather than block on itself. A machine whose
                // maintenance is due lets the job go (the operation ended) when it has room.
                job.queued_at = ctx.now().as_f64();
                let due = st.lives.as_ref().is_some_and(|l| l.machines[machine as usize].maintenance_due);
                if st.has_room() && (!st.queue.is_empty() || due) {
                    st.free(machine, now);
                    self.enqueue(st, job);
                    self.refill(ctx, st, before, &mut released)?;
                } else {
                    self.process(ctx, st, machine, job)?;
                    self.record_levels(ctx, st, before);
                }
            }
            Some(next) => {
                // The machine stays occupied until the job has somewhere to go.
                st.machines[machine as usize] = MachineState::Blocked;
                st.note(machine, Activity::Blocked, now);
                st.blocked += 1;
                if self.enter(stations, ctx, next, job)? {
                    let st = self.station(stations, s)?;
                    st.blocked -= 1;
                    st.free(machine, now);
                    self.refill(ctx, st, before, &mut released)?;
                } else {
                    // Blocking after service: the job keeps this machine until `next` has room.
                    {
                        let st = self.station(stations, s)?;
                        let machines = f64::from(self.stations[s as usize].machines);
                        ctx.record(self.kinds.blocked, s, f64::from(st.blocked) / machines);
                        self.record_levels(ctx, st, before);
                    }
                    self.station(stations, next)?.blocked_upstream.push_back(Blocked {
                        job,
                        from: s,
                        machine,
                    });
                }
            }
        }
        self.cascade(stations, ctx, &mut released)?;
        self.released = released;
        Ok(())
    }
}

impl Domain for FactoryModel {
    const NAME: &'static str = super::config::DOMAIN;
    // Its stream identities and metric names predate regions: kept as they were, so no
    // published number moves.
    const UNSCOPED: bool = true;
    type Config = FactoryConfig;
    type Event = FactoryEvent;

    fn parse(table: &Spanned<DeValue<'_>>, ctx: &ValidationCtx<'_>) -> Result<FactoryConfig, ScenarioError> {
        super::config::parse(table, ctx)
    }

    fn plugin_refs(config: &FactoryConfig) -> Vec<(&PluginRef, ComponentKind)> {
        config.plugin_refs().collect()
    }

    fn declare(config: &FactoryConfig, kinds: &mut Kinds<'_>) {
        declare_kinds(config, kinds);
    }

    fn preflight(config: &FactoryConfig, run: RunShape) -> Preflight {
        super::preflight::preflight(config, run.horizon.as_f64(), run.time_unit)
    }

    fn build<R: From<FactoryEvent> + 'static>(
        config: &FactoryConfig,
        setup: &mut Setup<'_, R>,
    ) -> Result<Self, ModelError> {
        FactoryModel::build(config, setup)
    }

    #[inline]
    fn handle<R: From<FactoryEvent>>(
        &mut self,
        world: &mut World,
        ctx: &mut Ctx<R>,
        event: FactoryEvent,
    ) -> Result<(), ModelError> {
        match event {
            FactoryEvent::Arrival { source } => self.flow.arrival(&mut self.state, ctx, source)?,
            FactoryEvent::ServiceDone { station, machine } => {
                self.flow.service_done(&mut self.state, ctx, station, machine)?;
            }
            FactoryEvent::Failure { station, machine } => {
                let upkeep = self.upkeep.as_mut().ok_or_else(no_lives)?;
                return upkeep.failure(&mut self.flow, &mut self.state, ctx, station, machine);
            }
            FactoryEvent::WorkDone { station, machine } => {
                let upkeep = self.upkeep.as_mut().ok_or_else(no_lives)?;
                return upkeep.work_done(&mut self.flow, &mut self.state, world, ctx, station, machine);
            }
            FactoryEvent::MaintenanceDue { station, machine } => {
                let upkeep = self.upkeep.as_mut().ok_or_else(no_lives)?;
                return upkeep.maintenance_due(&mut self.state, ctx, station, machine);
            }
        }
        // A machine freed by the flow of jobs may be due for maintenance.
        if let Some(upkeep) = &mut self.upkeep {
            upkeep.settle(&mut self.state, ctx)?;
        }
        Ok(())
    }

    fn stepped<R: From<FactoryEvent>>(
        &mut self,
        world: &mut World,
        ctx: &mut Ctx<R>,
    ) -> Result<(), ModelError> {
        match &mut self.upkeep {
            Some(upkeep) => upkeep.stepped(&mut self.state, world, ctx),
            None => Ok(()),
        }
    }

    /// Copies the machines that changed to their entities, ships what was finished, and
    /// updates the factory's readings (`wip`, `busy_machines`) if anyone reads them.
    fn publish(&mut self, world: &mut World) {
        let mut busy = 0;
        for st in &mut self.state {
            busy += st.busy;
            for (entity, status) in st.take_changed() {
                if let Some(mut c) = world.get_mut::<MachineStatus>(entity) {
                    *c = status;
                }
            }
        }
        if let Some(upkeep) = &self.upkeep {
            upkeep.publish(&self.state, world);
        }
        if let Some(mut readings) = world.get_resource_mut::<Readings>() {
            readings.set(Self::NAME, "wip", self.flow.wip as f64);
            readings.set(Self::NAME, "busy_machines", f64::from(busy));
        }
        if let Some(outbox) = &mut self.flow.outbox
            && !outbox.is_empty()
        {
            world.resource_mut::<Shipments>().publish(outbox.drain(..));
        }
    }

    fn describe(&self, event: &FactoryEvent) -> String {
        match *event {
            FactoryEvent::Arrival { source } => match self.flow.sources.get(source as usize) {
                Some(slot) => format!("arrival at source `{}`", slot.name),
                None => format!("arrival at source {source}"),
            },
            FactoryEvent::ServiceDone { station, machine } => {
                self.on_machine("end of service", station, machine)
            }
            FactoryEvent::Failure { station, machine } => self.on_machine("failure", station, machine),
            FactoryEvent::WorkDone { station, machine } => {
                self.on_machine("end of repair or maintenance", station, machine)
            }
            FactoryEvent::MaintenanceDue { station, machine } => {
                self.on_machine("maintenance due", station, machine)
            }
        }
    }
}

impl FactoryModel {
    /// "`what` on machine `m` of station `name`" (all machines for [`reliability::ALL_MACHINES`]).
    fn on_machine(&self, what: &str, station: u32, machine: u32) -> String {
        let name = match self.flow.stations.get(station as usize) {
            Some(slot) => format!("`{}`", slot.name),
            None => station.to_string(),
        };
        if machine == reliability::ALL_MACHINES {
            format!("{what} on every machine of station {name}")
        } else {
            format!("{what} on machine {machine} of station {name}")
        }
    }
}

#[cold]
fn no_lives() -> ModelError {
    ModelError::Invalid("an event of machines' lives in a factory whose machines never fail".into())
}
