//! Event handlers of the factory.

use bevy_ecs::world::World;

use super::config::FactoryConfig;
use super::state::{Blocked, Job, MachineState, Station, Stations};
use crate::dist::Sampler;
use crate::engine::{Ctx, Model, ModelError};
use crate::record::{Aggregate, Catalogue, KindId, KindInfo, Report, add_kind};
use crate::rng::{StreamKey, StreamRng};

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
}

/// Record kinds of the factory.
#[derive(Clone, Copy, Debug)]
struct Kinds {
    lost: KindId,
    cycle_time: KindId,
    wait_time: KindId,
    wip: KindId,
    busy: KindId,
    queue: KindId,
    blocked: KindId,
}

struct SourceSlot {
    name: String,
    product: u32,
    interarrival: Sampler,
    rng: Option<StreamRng>,
}

struct StationSlot {
    name: String,
    machines: u32,
    /// One processing-time stream per station, whichever product is processed.
    rng: Option<StreamRng>,
}

/// The factory model: static topology and random streams; station state lives in the World
/// (the [`Stations`] resource).
pub struct FactoryModel {
    catalogue: Catalogue,
    kinds: Kinds,
    sources: Vec<SourceSlot>,
    stations: Vec<StationSlot>,
    /// Per product, per route step: (station index, processing-time sampler).
    routes: Vec<Vec<(u32, Sampler)>>,
    buffers: Vec<Option<u32>>,
    wip: u64,
    next_job: u64,
    /// Reused worklist of stations whose blocked machine was released.
    released: Vec<(u32, u32)>,
}

fn index(i: usize) -> u32 {
    u32::try_from(i).expect("validated scenarios have fewer than 2^32 entities")
}

impl FactoryModel {
    /// Builds the model of a validated factory config.
    pub fn new(config: &FactoryConfig) -> Self {
        let products: Vec<String> = config.products.iter().map(|p| p.name.clone()).collect();
        let stations: Vec<String> = config.stations.iter().map(|s| s.name.clone()).collect();
        let mut catalogue = Catalogue::default();
        let mut kind = |name: &str, metric: &str, aggregate, report, subjects: &[String]| {
            add_kind(&mut catalogue, KindInfo {
                name: name.into(),
                metric: metric.into(),
                aggregate,
                report,
                subjects: subjects.to_vec(),
                rate_metric: None,
            })
        };
        // Throughput is the rate of cycle-time observations: one record per completion, not two.
        let kinds = Kinds {
            // 1 for a rejected arrival, 0 for an admitted one: the mean is the loss fraction.
            lost: kind("arrival_lost", "loss_fraction", Aggregate::Sample, Report::Total, &products),
            cycle_time: kind("cycle_time", "cycle_time_mean", Aggregate::Sample, Report::Both, &products),
            wait_time: kind("wait_time", "wait_time_mean", Aggregate::Sample, Report::Both, &products),
            wip: kind("wip", "wip_mean", Aggregate::Level, Report::Total, &["system".to_owned()]),
            busy: kind("busy_fraction", "utilization", Aggregate::Level, Report::PerSubject, &stations),
            queue: kind("queue_length", "queue_mean", Aggregate::Level, Report::PerSubject, &stations),
            blocked: kind(
                "blocked_fraction",
                "blocked_fraction",
                Aggregate::Level,
                Report::PerSubject,
                &stations,
            ),
        };
        catalogue.kinds[kinds.cycle_time.0 as usize].rate_metric = Some("throughput".into());
        FactoryModel {
            catalogue,
            kinds,
            sources: config
                .sources
                .iter()
                .map(|s| SourceSlot {
                    name: s.name.clone(),
                    product: index(s.product),
                    interarrival: s.interarrival.sampler(),
                    rng: None,
                })
                .collect(),
            stations: config
                .stations
                .iter()
                .map(|s| StationSlot { name: s.name.clone(), machines: s.machines, rng: None })
                .collect(),
            routes: config
                .products
                .iter()
                .map(|p| p.route.iter().map(|step| (index(step.station), step.process.sampler())).collect())
                .collect(),
            buffers: config.stations.iter().map(|s| s.buffer).collect(),
            wip: 0,
            next_job: 0,
            released: Vec::new(),
        }
    }

    fn station<'a>(&self, stations: &'a mut [Station], s: u32) -> Result<&'a mut Station, ModelError> {
        stations.get_mut(s as usize).ok_or_else(|| ModelError::Invalid(format!("no station with index {s}")))
    }

    fn schedule_arrival(&mut self, ctx: &mut Ctx<FactoryEvent>, source: u32) -> Result<(), ModelError> {
        let slot = &mut self.sources[source as usize];
        let rng = slot.rng.as_mut().ok_or_else(|| ModelError::Invalid("model not started".into()))?;
        let delay = slot.interarrival.sample_duration(rng);
        ctx.schedule_in(delay, FactoryEvent::Arrival { source })?;
        Ok(())
    }

    /// Records the station's busy and queue levels if they changed since `before`.
    fn record_levels(&self, ctx: &mut Ctx<FactoryEvent>, st: &Station, before: (u32, usize)) {
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
    fn start_service(
        &mut self,
        ctx: &mut Ctx<FactoryEvent>,
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
    fn process(
        &mut self,
        ctx: &mut Ctx<FactoryEvent>,
        st: &mut Station,
        machine: u32,
        job: Job,
    ) -> Result<(), ModelError> {
        st.machines[machine as usize] = MachineState::Busy(job);
        st.busy += 1;
        let (_, sampler) = &self.routes[job.product as usize][job.step as usize];
        let slot = &mut self.stations[st.index as usize];
        let rng = slot.rng.as_mut().ok_or_else(|| ModelError::Invalid("model not started".into()))?;
        let delay = sampler.sample_duration(rng);
        ctx.schedule_in(delay, FactoryEvent::ServiceDone { station: st.index, machine })?;
        Ok(())
    }

    /// Lets `job` into station `s`: onto a free machine, else into the queue. `Ok(false)` if the
    /// station is full.
    fn enter(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<FactoryEvent>,
        s: u32,
        mut job: Job,
    ) -> Result<bool, ModelError> {
        let st = self.station(stations, s)?;
        let before = (st.busy, st.queue.len());
        job.queued_at = ctx.now().as_f64();
        if st.has_idle_machine() {
            self.start_service(ctx, st, job)?;
        } else if st.has_room() {
            st.queue.push_back(job);
        } else {
            return Ok(false);
        }
        self.record_levels(ctx, st, before);
        Ok(true)
    }

    /// A machine of `st` became free (its busy or blocked count was already lowered): start the
    /// next queued job and let blocked upstream jobs move in. Returns the upstream stations whose
    /// blocked machines were released, for [`FactoryModel::cascade`]. `before` is the station's
    /// (busy, queue length) at the start of the event, for recording level changes once.
    fn refill(
        &mut self,
        ctx: &mut Ctx<FactoryEvent>,
        st: &mut Station,
        before: (u32, usize),
        released: &mut Vec<(u32, u32)>,
    ) -> Result<(), ModelError> {
        if st.has_idle_machine()
            && let Some(job) = st.queue.pop_front()
        {
            self.start_service(ctx, st, job)?;
        }
        // Each admission frees one upstream machine, which may admit a job from further up.
        while st.has_idle_machine() || st.has_room() {
            let Some(Blocked { mut job, from, machine }) = st.blocked_upstream.pop_front() else { break };
            job.queued_at = ctx.now().as_f64();
            if st.has_idle_machine() {
                self.start_service(ctx, st, job)?;
            } else {
                st.queue.push_back(job);
            }
            released.push((from, machine));
        }
        self.record_levels(ctx, st, before);
        Ok(())
    }

    /// Unblocks the machines listed in `released`, refilling each station in turn, up the line.
    fn cascade(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<FactoryEvent>,
        released: &mut Vec<(u32, u32)>,
    ) -> Result<(), ModelError> {
        while let Some((s, machine)) = released.pop() {
            let st = self.station(stations, s)?;
            let before = (st.busy, st.queue.len());
            st.blocked -= 1;
            st.free(machine);
            ctx.record(
                self.kinds.blocked,
                s,
                f64::from(st.blocked) / f64::from(self.stations[s as usize].machines),
            );
            self.refill(ctx, st, before, released)?;
        }
        Ok(())
    }

    fn complete(&mut self, ctx: &mut Ctx<FactoryEvent>, job: Job) {
        let now = ctx.now().as_f64();
        self.wip -= 1;
        ctx.record(self.kinds.cycle_time, job.product, now - job.released);
        ctx.record(self.kinds.wait_time, job.product, job.waited);
        ctx.record(self.kinds.wip, 0, self.wip as f64);
    }

    fn arrival(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<FactoryEvent>,
        source: u32,
    ) -> Result<(), ModelError> {
        self.schedule_arrival(ctx, source)?;
        let product = self.sources[source as usize].product;
        let now = ctx.now().as_f64();
        let job = Job { id: self.next_job, product, step: 0, released: now, queued_at: now, waited: 0.0 };
        self.next_job += 1;
        let first = self.routes[product as usize][0].0;
        if self.enter(stations, ctx, first, job)? {
            ctx.record(self.kinds.lost, product, 0.0);
            self.wip += 1;
            ctx.record(self.kinds.wip, 0, self.wip as f64);
        } else {
            ctx.record(self.kinds.lost, product, 1.0);
        }
        Ok(())
    }

    fn service_done(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<FactoryEvent>,
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
        job.step += 1;
        match self.routes[job.product as usize].get(job.step as usize).map(|&(next, _)| next) {
            None => {
                // Done: one station lookup for the whole event.
                st.free(machine);
                self.complete(ctx, job);
                self.refill(ctx, st, before, &mut released)?;
            }
            Some(next) if next == s => {
                // Back to the same station: join its queue like any arrival; if it is full, keep
                // the machine and start again rather than block on itself.
                job.queued_at = ctx.now().as_f64();
                if st.has_room() && !st.queue.is_empty() {
                    st.free(machine);
                    st.queue.push_back(job);
                    self.refill(ctx, st, before, &mut released)?;
                } else {
                    self.process(ctx, st, machine, job)?;
                    self.record_levels(ctx, st, before);
                }
            }
            Some(next) => {
                // The machine stays occupied until the job has somewhere to go.
                st.machines[machine as usize] = MachineState::Blocked;
                st.blocked += 1;
                if self.enter(stations, ctx, next, job)? {
                    let st = self.station(stations, s)?;
                    st.blocked -= 1;
                    st.free(machine);
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

impl Model for FactoryModel {
    type Event = FactoryEvent;

    fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    fn start(&mut self, world: &mut World, ctx: &mut Ctx<FactoryEvent>) -> Result<(), ModelError> {
        let mut stations = Vec::with_capacity(self.stations.len());
        for (i, slot) in self.stations.iter_mut().enumerate() {
            stations.push(Station::new(index(i), slot.machines, self.buffers[i]));
            slot.rng = Some(ctx.stream(StreamKey::new(&format!("station:{}", slot.name), "process")));
        }
        for slot in &mut self.sources {
            slot.rng = Some(ctx.stream(StreamKey::new(&format!("source:{}", slot.name), "interarrival")));
        }
        world.insert_resource(Stations(stations));
        ctx.record(self.kinds.wip, 0, 0.0);
        for source in 0..self.sources.len() {
            self.schedule_arrival(ctx, index(source))?;
        }
        Ok(())
    }

    fn handle(
        &mut self,
        world: &mut World,
        ctx: &mut Ctx<FactoryEvent>,
        event: FactoryEvent,
    ) -> Result<(), ModelError> {
        // One resource lookup per event; stations are then plain slice accesses.
        let mut stations = world.resource_mut::<Stations>();
        match event {
            FactoryEvent::Arrival { source } => self.arrival(&mut stations.0, ctx, source),
            FactoryEvent::ServiceDone { station, machine } => {
                self.service_done(&mut stations.0, ctx, station, machine)
            }
        }
    }
}
