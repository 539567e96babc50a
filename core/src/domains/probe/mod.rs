//! A small second domain, compiled only for tests: sites that receive the shipments of other
//! domains every Δt (a stepped bevy system) and poll the published readings at random times (its
//! own events). It proves regions work: interleaving, exactly-once delivery, scoped streams and
//! kinds, and no effect on another domain's numbers.
//!
//! ```toml
//! [probe]
//! period = 5.0                  # Δt of the receiving step [time unit], > 0
//! sites = ["north", "south"]    # receiving sites; a shipment goes to its destination's site,
//!                               # or to the first site when it has none or an unknown one
//! poll = 3.0                    # mean gap between polls [time unit], exponential, > 0
//! ```

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

use bevy_ecs::prelude::*;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::DeValue;

#[cfg(test)]
mod tests;

use super::exchange::{ReaderId, Readings, Shipments, Topic};
use super::{Domain, Kinds, Preflight, RunShape, Setup};
use crate::calendar::Priority;
use crate::engine::{Ctx, ModelError, RecordSink, StepperConfig};
use crate::record::{Aggregate, KindId, KindInfo, Report};
use crate::rng::StreamRng;
use crate::time::{SimDuration, SimTime};
use crate::validate::{ScenarioError, ValidationCtx};

/// The validated `[probe]` table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProbeConfig {
    period: f64,
    sites: Vec<String>,
    poll: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    period: Spanned<f64>,
    sites: Vec<String>,
    poll: Spanned<f64>,
}

/// The probe's only event: a poll of the readings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Poll;

#[derive(Clone, Copy, Debug)]
struct Ids {
    /// One record per shipment received, at the step receiving it: the shipment's own time.
    received: KindId,
    /// One record per poll: the producer's `wip` reading seen then.
    polled_wip: KindId,
    /// One record per step: the producer's `wip` reading seen then.
    stepped_wip: KindId,
}

fn declare_kinds(config: &ProbeConfig, kinds: &mut Kinds<'_>) -> Ids {
    let system = vec!["system".to_owned()];
    let received = kinds.add(
        KindInfo::new(
            "received",
            "shipped_at_mean",
            Aggregate::Sample,
            Report::PerSubject,
            config.sites.clone(),
        )
        .meaning("{time}", "the time a received shipment left its producer"),
    );
    kinds.rate(received, "received", "shipments per {time}", "shipments received");
    let polled_wip = kinds.add(KindInfo::new(
        "polled_wip",
        "polled_wip_mean",
        Aggregate::Sample,
        Report::Total,
        system.clone(),
    ));
    let stepped_wip =
        kinds.add(KindInfo::new("stepped_wip", "stepped_wip_mean", Aggregate::Sample, Report::Total, system));
    Ids { received, polled_wip, stepped_wip }
}

/// The probe of one replication.
pub struct Probe {
    ids: Ids,
    gap: f64,
    rng: StreamRng,
}

/// What the receiving step needs, in the World.
#[derive(Resource)]
struct Receiving {
    reader: ReaderId,
    sites: Vec<String>,
    ids: Ids,
}

fn receive(
    mut shipments: ResMut<Shipments>,
    receiving: Res<Receiving>,
    readings: Res<Readings>,
    mut sink: ResMut<RecordSink>,
) {
    for s in shipments.read(receiving.reader) {
        let site =
            s.destination.as_deref().and_then(|d| receiving.sites.iter().position(|n| n == d)).unwrap_or(0);
        sink.record(receiving.ids.received, site as u32, s.time.as_f64());
    }
    sink.record(receiving.ids.stepped_wip, 0, readings.get("factory", "wip").unwrap_or(f64::NAN));
}

impl Domain for Probe {
    const NAME: &'static str = "probe";
    type Config = ProbeConfig;
    type Event = Poll;

    fn parse(table: &Spanned<DeValue<'_>>, ctx: &ValidationCtx<'_>) -> Result<ProbeConfig, ScenarioError> {
        let raw: RawProbe = ctx.deserialize(table)?;
        for (key, v) in [("period", &raw.period), ("poll", &raw.poll)] {
            if !(v.get_ref().is_finite() && *v.get_ref() > 0.0) {
                return Err(ctx.error(&v.span(), format!("`{key}` must be a finite number > 0")));
            }
        }
        Ok(ProbeConfig { period: *raw.period.get_ref(), sites: raw.sites, poll: *raw.poll.get_ref() })
    }

    fn reads(_: &ProbeConfig) -> Vec<Topic> {
        vec![Topic::Shipments, Topic::Readings]
    }

    fn declare(config: &ProbeConfig, kinds: &mut Kinds<'_>) {
        declare_kinds(config, kinds);
    }

    fn preflight(config: &ProbeConfig, run: RunShape) -> Preflight {
        let horizon = run.horizon.as_f64();
        Preflight {
            events_per_replication: horizon / config.period + horizon / config.poll,
            warnings: Vec::new(),
        }
    }

    fn build<R: From<Poll> + 'static>(
        config: &ProbeConfig,
        setup: &mut Setup<'_, R>,
    ) -> Result<Self, ModelError> {
        let ids = declare_kinds(config, &mut setup.kinds());
        let reader = setup.world.resource_mut::<Shipments>().subscribe();
        setup.world.insert_resource(Receiving { reader, sites: config.sites.clone(), ids });
        let mut schedule = Schedule::default();
        schedule.add_systems(receive);
        let period = SimDuration::new(config.period).map_err(|e| ModelError::Invalid(e.to_string()))?;
        let first = SimTime::ZERO + period;
        setup.ctx.add_stepper(
            StepperConfig { name: "probe receiving".into(), period, first, priority: Priority::STEP },
            schedule,
        )?;
        // The same identity as a factory source on purpose: scoping must keep them apart.
        let mut probe = Probe { ids, gap: config.poll, rng: setup.stream("source:orders", "interarrival") };
        probe.schedule_poll(setup.ctx)?;
        Ok(probe)
    }

    fn handle<R: From<Poll>>(
        &mut self,
        world: &mut World,
        ctx: &mut Ctx<R>,
        _: Poll,
    ) -> Result<(), ModelError> {
        let wip = world.resource::<Readings>().get("factory", "wip").unwrap_or(f64::NAN);
        ctx.record(self.ids.polled_wip, 0, wip);
        self.schedule_poll(ctx)
    }

    fn describe(&self, _: &Poll) -> String {
        "a poll of the probe".into()
    }
}

impl Probe {
    fn schedule_poll<R: From<Poll>>(&mut self, ctx: &mut Ctx<R>) -> Result<(), ModelError> {
        let u: f64 = rand::RngExt::random(&mut self.rng);
        let gap =
            SimDuration::new(-self.gap * (1.0 - u).ln()).map_err(|e| ModelError::Invalid(e.to_string()))?;
        ctx.schedule_in(gap, Poll)?;
        Ok(())
    }
}
