//! The handlers of machines' lives: failures, repairs, maintenance, crews, and the decisions
//! sensor readings call for; tied to the stations' flow of jobs.

use bevy_ecs::entity::Entity;
use bevy_ecs::schedule::Schedule;
use bevy_ecs::world::World;
use rand::Rng;

use super::super::config::{Basis, FactoryConfig, Interrupted, Policy, PreventiveBasis, StationConfig};
use super::super::model::{FactoryEvent, Flow};
use super::super::state::{Activity, MachineState, Station};
use super::crew::{Crew, Request, Work};
use super::filter::{Filter, WearModel};
use super::life::{Cause, Condition, Health, Life, LifeStreams};
use super::predict::{Call, Predictive, QualityKinds};
use super::sensing::{FreshReadings, Sensing, Sensor, read_sensors};
use super::wear::{Wear, WearProcess};
use crate::calendar::Priority;
use crate::dist::Sampler;
use crate::domains::{Kinds, Setup};
use crate::engine::{Ctx, ModelError, StepperConfig};
use crate::plugin::{ComponentKind, Services};
use crate::record::{Aggregate, KindId, KindInfo, Report};
use crate::time::{SimDuration, SimTime};

/// Machine index meaning "every machine of the station" in [`FactoryEvent::MaintenanceDue`].
pub(in crate::domains::factory) const ALL_MACHINES: u32 = u32::MAX;

/// The record kinds of machines' lives. Subjects: the stations with lives, in file order; the
/// crews; the predictive stations.
#[derive(Clone, Copy, Debug)]
pub(in crate::domains::factory) struct LifeKinds {
    availability: KindId,
    failures: KindId,
    downtime: KindId,
    maintenance: KindId,
    crew: Option<KindId>,
    quality: Option<QualityKinds>,
}

/// Declares the kinds of machines' lives, if the factory has any.
pub(in crate::domains::factory) fn declare(
    config: &FactoryConfig,
    catalogue: &mut Kinds<'_>,
) -> Option<LifeKinds> {
    let living: Vec<String> =
        config.stations.iter().filter(|s| s.life.is_some()).map(|s| s.name.clone()).collect();
    if living.is_empty() && config.crews.is_empty() {
        return None;
    }
    let fraction = (Some(0.0), Some(1.0));
    let mut kind =
        |name: &str, metric: &str, aggregate, subjects: &[String], unit: &str, what: &str, bounds| {
            let (lower, upper) = bounds;
            // Failures, downtime and maintenance also have totals over the stations (rates add
            // up, downtimes pool): they head the results. Availabilities would add up to nothing.
            let report = match metric {
                "failures" | "downtime_mean" | "maintenance" => Report::Both,
                _ => Report::PerSubject,
            };
            catalogue.add(
                KindInfo::new(name, metric, aggregate, report, subjects.to_vec())
                    .meaning(unit, what)
                    .bounds(lower, upper),
            )
        };
    let availability = kind(
        "up_fraction",
        "availability",
        Aggregate::Level,
        &living,
        "fraction",
        "the fraction of the station's machines in service (not failed, in repair or in maintenance)",
        fraction,
    );
    let failures = kind(
        "failure",
        "failures",
        Aggregate::Rate,
        &living,
        "failures per {time}",
        "failures of the station's machines (random and wear-out) begun",
        (Some(0.0), None),
    );
    let downtime = kind(
        "downtime",
        "downtime_mean",
        Aggregate::Sample,
        &living,
        "{time}s",
        "the time from a failure to the end of its repair, waiting for the crew included",
        (Some(0.0), None),
    );
    let maintenance = kind(
        "maintenance_begun",
        "maintenance",
        Aggregate::Rate,
        &living,
        "actions per {time}",
        "maintenance actions begun on the station's machines",
        (Some(0.0), None),
    );
    let crews: Vec<String> = config.crews.iter().map(|c| c.name.clone()).collect();
    let crew = (!crews.is_empty()).then(|| {
        kind(
            "crew_busy_fraction",
            "utilization",
            Aggregate::Level,
            &crews,
            "fraction",
            "the fraction of the crew at work on repairs or maintenance",
            fraction,
        )
    });
    let predictive: Vec<String> = config
        .stations
        .iter()
        .filter(|s| s.life.as_ref().is_some_and(|l| matches!(l.maintenance.policy, Policy::Predictive(_))))
        .map(|s| s.name.clone())
        .collect();
    let quality = (!predictive.is_empty()).then(|| {
        let mut q = |name: &str, metric: &str, what: &str| {
            kind(name, metric, Aggregate::Sample, &predictive, "fraction", what, fraction)
        };
        QualityKinds {
            accuracy: q("prediction_correct", "accuracy", "the share of predictions that were right"),
            precision: q(
                "call_justified",
                "precision",
                "the share of maintenance calls whose machine would have failed within the horizon",
            ),
            recall: q(
                "failure_foreseen",
                "recall",
                "the share of readings before a failure within the horizon on which maintenance was called",
            ),
            f1: q("f1_weight", "f1", "the F1 score: the harmonic mean of precision and recall"),
        }
    });
    Some(LifeKinds { availability, failures, downtime, maintenance, crew, quality })
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
    busy_clock: bool,
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

    /// Machine `m` of station `s` started a service of `len` [time unit] whose end is `entry`.
    pub(in crate::domains::factory) fn started<R: From<FactoryEvent>>(
        &mut self,
        ctx: &mut Ctx<R>,
        s: u32,
        m: u32,
        entry: crate::calendar::EntryHandle,
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
    fn reschedule<R: From<FactoryEvent>>(
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

/// What a living station needs beyond its machines' hot lives.
struct Living {
    name: String,
    /// Index among living stations (the subject of its records).
    subject: u32,
    machines: u32,
    mtbf: Option<Sampler>,
    mttr: Option<Sampler>,
    random_crew: Option<usize>,
    interrupted: Interrupted,
    wear: Option<WearProcess>,
    wear_repair: Option<Sampler>,
    wear_crew: Option<usize>,
    policy: Policy,
    duration: Option<Sampler>,
    maintenance_crew: Option<usize>,
    /// Expected repair and maintenance times [time unit], for crew dispatchers.
    expected: (f64, f64),
    predictive: Option<(u32, Predictive)>,
    /// The machines' entities.
    entities: Vec<Entity>,
    /// Whether its machines carry sensors (then their `Health` is published).
    sensed: bool,
}

/// Machines' lives of a whole factory: the living stations, the crews and the record kinds.
pub(in crate::domains::factory) struct Upkeep {
    living: Vec<Option<Living>>,
    crews: Vec<Crew>,
    kinds: LifeKinds,
    /// The crew each machine in work uses, by (station, machine), while it works.
    working: Vec<Vec<Option<usize>>>,
    /// Reused buffers of the predictive decisions.
    fresh: Vec<super::sensing::Fresh>,
    rows: Vec<f64>,
}

fn sampler(d: Option<&crate::dist::Dist>) -> Option<Sampler> {
    d.map(crate::dist::Dist::sampler)
}

impl Upkeep {
    /// Builds machines' lives for `config`'s stations whose machines live (their lives go into
    /// `stations`), the crews, the sensors' components and steppers, and the first failures and
    /// maintenance dates. `None` when no machine of the factory ever fails or is maintained.
    pub(in crate::domains::factory) fn build<R: From<FactoryEvent> + 'static>(
        config: &FactoryConfig,
        kinds: Option<LifeKinds>,
        stations: &mut [Station],
        setup: &mut Setup<'_, R>,
    ) -> Result<Option<Self>, ModelError> {
        let Some(kinds) = kinds else { return Ok(None) };
        let replication = setup.ctx.replication();
        let mut crews = Vec::with_capacity(config.crews.len());
        for c in &config.crews {
            let dispatch = match &c.dispatch {
                None => None,
                Some(d) => {
                    let component = setup
                        .registry
                        .find(&d.plugin, ComponentKind::SCHEDULER)
                        .map_err(|e| ModelError::Invalid(format!("crew `{}`: {e}", c.name)))?;
                    let seed = setup.stream(&format!("crew:{}", c.name), "dispatch").next_u64();
                    Some(
                        component
                            .scheduler(&d.params, Services { seed, replication })
                            .map_err(|source| ModelError::plugin(format!("crew `{}`", c.name), source))?,
                    )
                }
            };
            crews.push(Crew::new(c.name.clone(), c.size, dispatch));
        }
        let mut living = Vec::with_capacity(config.stations.len());
        let mut periods: Vec<f64> = Vec::new();
        let (mut subject, mut predictive_subject) = (0, 0);
        for (s, sc) in config.stations.iter().enumerate() {
            let Some(life) = &sc.life else {
                living.push(None);
                continue;
            };
            let st = &mut stations[s];
            let lv = Self::living(sc, subject, &mut predictive_subject, kinds, st, setup)?;
            subject += 1;
            let station = st.index;
            let mut lives = Vec::with_capacity(sc.machines as usize);
            for m in 0..sc.machines {
                let identity = format!("station:{}/machine:{m}", sc.name);
                let rng = LifeStreams {
                    failure: setup.stream(&identity, "failure"),
                    repair: setup.stream(&identity, "repair"),
                    wear: setup.stream(&identity, "wear"),
                    maintenance: setup.stream(&identity, "maintenance"),
                };
                let mut wear = Wear::default();
                let mut life_m = Life::new(rng);
                lv.renew(&mut life_m, &mut wear, 0.0);
                let entity = st.entities[m as usize];
                let mut entity_mut = setup.world.entity_mut(entity);
                entity_mut.insert((Health::NEW, wear));
                if let Some(sensing) = &life.sensing {
                    let sensors = sensing
                        .sensors
                        .iter()
                        .enumerate()
                        .map(|(i, c)| Sensor {
                            every: c.every,
                            noise_sd: c.noise_sd,
                            gain: c.gain,
                            rng: setup.stream(&identity, &format!("sensor:{i}")),
                        })
                        .collect();
                    let model = WearModel::derive(
                        life.wear.as_ref().expect("validated: sensors need wear"),
                        &sensing.filter,
                    );
                    setup.world.entity_mut(entity).insert(Sensing {
                        station,
                        machine: m,
                        sensors,
                        filter: Filter::new(&sensing.filter, model),
                        renewed_at: 0.0,
                        estimate: Default::default(),
                    });
                }
                lives.push(life_m);
            }
            if let Some(sensing) = &life.sensing {
                for c in &sensing.sensors {
                    if !periods.contains(&c.every) {
                        periods.push(c.every);
                    }
                }
            }
            let random_basis = life.failure.as_ref().map_or(Basis::Calendar, |f| f.basis);
            let wear_basis = life.wear.as_ref().map_or(Basis::Calendar, |w| w.basis);
            let busy_clock = (life.failure.is_some() && random_basis == Basis::Busy)
                || (life.wear.is_some() && wear_basis == Basis::Busy);
            st.lives = Some(Box::new(Lives {
                machines: lives,
                random_basis,
                wear_basis,
                busy_clock,
                stopping: Vec::new(),
                up: sc.machines,
            }));
            setup.ctx.record(kinds.availability, lv.subject, 1.0);
            living.push(Some(lv));
        }
        if let Some(crew) = kinds.crew {
            for c in 0..crews.len() {
                setup.ctx.record(crew, index(c), 0.0);
            }
        }
        if !periods.is_empty() {
            setup.world.insert_resource(FreshReadings::default());
            for every in periods {
                let mut schedule = Schedule::default();
                schedule.add_systems(read_sensors(every));
                let period = SimDuration::new(every)
                    .map_err(|e| ModelError::Invalid(format!("sensor period: {e}")))?;
                let first =
                    SimTime::new(every).map_err(|e| ModelError::Invalid(format!("sensor period: {e}")))?;
                setup
                    .ctx
                    .add_stepper(
                        StepperConfig {
                            name: format!("sensors every {every}"),
                            period,
                            first,
                            priority: Priority::STEP,
                        },
                        schedule,
                    )
                    .map_err(|e| ModelError::Invalid(e.to_string()))?;
            }
        }
        let working = config.stations.iter().map(|s| vec![None; s.machines as usize]).collect();
        let mut upkeep = Upkeep { living, crews, kinds, working, fresh: Vec::new(), rows: Vec::new() };
        for s in 0..stations.len() {
            upkeep.start_clocks(stations, setup.ctx, index(s))?;
        }
        Ok(Some(upkeep))
    }

    /// The static part of a living station, and its predictor.
    fn living<R: From<FactoryEvent> + 'static>(
        sc: &StationConfig,
        subject: u32,
        predictive_subject: &mut u32,
        kinds: LifeKinds,
        st: &Station,
        setup: &mut Setup<'_, R>,
    ) -> Result<Living, ModelError> {
        let life = sc.life.as_ref().expect("a living station");
        let failure = life.failure.as_ref();
        let wear = life.wear.as_ref();
        let m = &life.maintenance;
        let predictive = match (&m.policy, kinds.quality) {
            (Policy::Predictive(p), Some(quality)) => {
                let component = setup
                    .registry
                    .find(&p.predictor.plugin, ComponentKind::PREDICTOR)
                    .map_err(|e| ModelError::Invalid(format!("station `{}`: {e}", sc.name)))?;
                let seed = setup.stream(&format!("station:{}", sc.name), "predictor").next_u64();
                let instance = component
                    .predictor(&p.predictor.params, Services { seed, replication: setup.ctx.replication() })
                    .map_err(|source| ModelError::plugin(format!("station `{}`", sc.name), source))?;
                let subject = *predictive_subject;
                *predictive_subject += 1;
                let settle = life
                    .sensing
                    .as_ref()
                    .and_then(|s| s.sensors.iter().map(|c| c.every).reduce(f64::min))
                    .unwrap_or(0.0);
                Some((subject, Predictive::new(p, instance, quality, settle, &sc.name)?))
            }
            _ => None,
        };
        let repair_mean =
            failure.map(|f| f.mttr.mean()).or(wear.and_then(|w| w.repair.as_ref()).map(|d| d.mean()));
        Ok(Living {
            name: sc.name.clone(),
            subject,
            machines: sc.machines,
            mtbf: sampler(failure.map(|f| &f.mtbf)),
            mttr: sampler(failure.map(|f| &f.mttr)),
            random_crew: failure.and_then(|f| f.crew),
            interrupted: failure.map_or(Interrupted::Resume, |f| f.interrupted),
            wear: wear.map(WearProcess::new),
            wear_repair: sampler(wear.and_then(|w| w.repair.as_ref()).or(failure.map(|f| &f.mttr))),
            wear_crew: wear.and_then(|w| w.crew).or(failure.and_then(|f| f.crew)),
            policy: m.policy.clone(),
            duration: sampler(m.duration.as_ref()),
            maintenance_crew: m.crew,
            expected: (repair_mean.unwrap_or(0.0), m.duration.as_ref().map_or(0.0, |d| d.mean())),
            predictive,
            entities: st.entities.clone(),
            sensed: life.sensing.is_some(),
        })
    }

    /// Schedules station `s`'s first failures and maintenance dates.
    fn start_clocks<R: From<FactoryEvent>>(
        &mut self,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
        s: u32,
    ) -> Result<(), ModelError> {
        let Some(lv) = &self.living[s as usize] else { return Ok(()) };
        let st = &mut stations[s as usize];
        let lives = st.lives.as_mut().expect("a living station has lives");
        for m in 0..lv.machines {
            lives.reschedule(ctx, s, m)?;
            lv.schedule_age_due(ctx, s, m, &mut lives.machines[m as usize])?;
        }
        if let Policy::Preventive { every, basis: PreventiveBasis::Calendar } = lv.policy {
            let every = SimDuration::new(every).map_err(|e| ModelError::Invalid(e.to_string()))?;
            ctx.schedule_in(every, FactoryEvent::MaintenanceDue { station: s, machine: ALL_MACHINES })?;
        }
        Ok(())
    }

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
            Cause::WearOut => (lv.wear_crew, lv.expected.0),
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
        self.settle(flow, stations, ctx)?;
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
        flow: &mut Flow,
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
        self.settle(flow, stations, ctx)
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
        flow: &mut Flow,
        stations: &mut [Station],
        ctx: &mut Ctx<R>,
    ) -> Result<(), ModelError> {
        let _ = flow;
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
            (lv.subject, lv.machines, lv.maintenance_crew, lv.expected.1);
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
        flow: &mut Flow,
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
        self.settle(flow, stations, ctx)
    }

    /// Copies the lives of sensed machines to their [`Health`] components.
    pub(in crate::domains::factory) fn publish(&self, stations: &[Station], world: &mut World) {
        for (lv, st) in self.living.iter().zip(stations) {
            let (Some(lv), Some(lives)) = (lv, &st.lives) else { continue };
            if !lv.sensed {
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

impl Living {
    /// Renews a machine at `now`: as good as new, with a new wear path and time to failure.
    fn renew(&self, life: &mut Life, wear: &mut Wear, now: f64) {
        life.health.condition = Condition::Up;
        life.health.clock_at = now;
        life.health.wear_age = 0.0;
        life.health.renewed_at = now;
        life.maintenance_due = false;
        life.random_left = match &self.mtbf {
            Some(mtbf) => mtbf.sample(&mut life.rng.failure),
            None => f64::INFINITY,
        };
        life.wear_out_at = match &self.wear {
            Some(process) => process.draw(&mut life.rng.wear, wear),
            None => f64::INFINITY,
        };
    }

    /// Schedules machine `m`'s age-based maintenance `every` after its renewal.
    fn schedule_age_due<R: From<FactoryEvent>>(
        &self,
        ctx: &mut Ctx<R>,
        s: u32,
        m: u32,
        life: &mut Life,
    ) -> Result<(), ModelError> {
        if let Policy::Preventive { every, basis: PreventiveBasis::Age } = self.policy {
            if let Some(entry) = life.due_entry.take() {
                ctx.cancel(entry);
            }
            let entry = ctx.schedule_in(
                SimDuration::new_unchecked(every),
                FactoryEvent::MaintenanceDue { station: s, machine: m },
            )?;
            life.due_entry = Some(entry);
        }
        Ok(())
    }
}

fn index(i: usize) -> u32 {
    u32::try_from(i).expect("validated scenarios have fewer than 2^32 entities")
}
