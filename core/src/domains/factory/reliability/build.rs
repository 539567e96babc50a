//! Machines' lives of one replication, built: the living stations' samplers, streams and
//! predictors, the crews, the sensors' components and steppers, the first failures.

use bevy_ecs::entity::Entity;
use bevy_ecs::schedule::Schedule;
use rand::Rng;

use super::super::config::{Basis, FactoryConfig, Interrupted, Policy, PreventiveBasis, StationConfig};
use super::super::model::FactoryEvent;
use super::super::state::{Station, index};
use super::crew::Crew;
use super::filter::{Filter, WearModel};
use super::kinds::LifeKinds;
use super::life::{Condition, Health, Life, LifeStreams, Lives};
use super::predict::Predictive;
use super::sensing::{FreshReadings, Sensing, Sensor, read_sensors};
use super::upkeep::{ALL_MACHINES, Upkeep};
use super::wear::{Wear, WearProcess};
use crate::calendar::Priority;
use crate::dist::Sampler;
use crate::domains::Setup;
use crate::engine::{Ctx, ModelError, StepperConfig};
use crate::plugin::{ComponentKind, Services};
use crate::time::{SimDuration, SimTime};

/// What a living station needs beyond its machines' hot lives.
pub(super) struct Living {
    pub(super) name: String,
    /// Index among living stations (the subject of its records).
    pub(super) subject: u32,
    pub(super) machines: u32,
    pub(super) mtbf: Option<Sampler>,
    pub(super) mttr: Option<Sampler>,
    pub(super) random_crew: Option<usize>,
    pub(super) interrupted: Interrupted,
    pub(super) wear: Option<WearProcess>,
    pub(super) wear_repair: Option<Sampler>,
    pub(super) wear_crew: Option<usize>,
    pub(super) policy: Policy,
    pub(super) duration: Option<Sampler>,
    pub(super) maintenance_crew: Option<usize>,
    /// Expected times of a random failure's repair, a wear-out's repair and a maintenance
    /// [time unit], for crew dispatchers.
    pub(super) expected: (f64, f64, f64),
    pub(super) predictive: Option<(u32, Predictive)>,
    /// The machines' entities.
    pub(super) entities: Vec<Entity>,
    /// Whether its machines carry sensors (then their `Health` is published).
    pub(super) sensed: bool,
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
                        .map(|(i, c)| {
                            Sensor::new(
                                c.every,
                                c.noise_sd,
                                c.gain,
                                setup.stream(&identity, &format!("sensor:{i}")),
                            )
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
                        read_at: f64::NEG_INFINITY,
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
        let observed = setup.observed;
        let mut upkeep =
            Upkeep { living, crews, kinds, working, observed, fresh: Vec::new(), rows: Vec::new() };
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
            expected: (
                failure.map_or(0.0, |f| f.mttr.mean()),
                wear.and_then(|w| w.repair.as_ref()).or(failure.map(|f| &f.mttr)).map_or(0.0, |d| d.mean()),
                m.duration.as_ref().map_or(0.0, |d| d.mean()),
            ),
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
}

impl Living {
    /// Renews a machine at `now`: as good as new, with a new wear path and time to failure.
    pub(super) fn renew(&self, life: &mut Life, wear: &mut Wear, now: f64) {
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
    pub(super) fn schedule_age_due<R: From<FactoryEvent>>(
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
