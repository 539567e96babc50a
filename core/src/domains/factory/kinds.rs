//! The factory's record kinds: what each measures, in which unit and within which bounds.

use super::config::FactoryConfig;
use super::reliability::{self, LifeKinds};
use crate::domains::Kinds;
use crate::record::{Aggregate, KindId, KindInfo, Report};

/// Record kinds of the factory.
#[derive(Clone, Copy, Debug)]
pub(super) struct KindIds {
    pub(super) lost: KindId,
    pub(super) cycle_time: KindId,
    pub(super) wait_time: KindId,
    pub(super) wip: KindId,
    pub(super) busy: KindId,
    pub(super) queue: KindId,
    pub(super) blocked: KindId,
    /// Present when some source gives due dates.
    pub(super) lateness: Option<KindId>,
    /// Present when some machine can fail or be maintained.
    pub(super) life: Option<LifeKinds>,
}

/// The record kinds of a factory with `config`'s products and stations: what each measures,
/// in which unit (`{time}` is the scenario's time unit, filled in by the host) and within
/// which bounds. Depends on the config only, so a scenario's metrics are known before any run.
pub(super) fn declare_kinds(config: &FactoryConfig, catalogue: &mut Kinds<'_>) -> KindIds {
    let products: Vec<String> = config.products.iter().map(|p| p.name.clone()).collect();
    let stations: Vec<String> = config.stations.iter().map(|s| s.name.clone()).collect();
    let system = vec!["system".to_owned()];
    let (nonnegative, fraction) = ((Some(0.0), None), (Some(0.0), Some(1.0)));
    let mut kind = |name: &str,
                    metric: &str,
                    aggregate,
                    report,
                    subjects: &[String],
                    (unit, description): (&str, &str),
                    (lower, upper): (Option<f64>, Option<f64>)| {
        catalogue.add(
            KindInfo::new(name, metric, aggregate, report, subjects.to_vec())
                .meaning(unit, description)
                .bounds(lower, upper),
        )
    };
    let kinds = KindIds {
        // 1 for a rejected arrival, 0 for an admitted one: the mean is the loss fraction.
        lost: kind(
            "arrival_lost",
            "loss_fraction",
            Aggregate::Sample,
            Report::Total,
            &products,
            ("fraction", "the share of arrivals turned away because their first station's buffer was full"),
            fraction,
        ),
        cycle_time: kind(
            "cycle_time",
            "cycle_time_mean",
            Aggregate::Sample,
            Report::Both,
            &products,
            ("{time}s", "the time from a job's arrival to its completion"),
            nonnegative,
        ),
        wait_time: kind(
            "wait_time",
            "wait_time_mean",
            Aggregate::Sample,
            Report::Both,
            &products,
            ("{time}s", "the time a job spent waiting in queues, not being processed"),
            nonnegative,
        ),
        wip: kind(
            "wip",
            "wip_mean",
            Aggregate::Level,
            Report::Total,
            &system,
            ("jobs", "the number of jobs in the system (work in process)"),
            nonnegative,
        ),
        busy: kind(
            "busy_fraction",
            "utilization",
            Aggregate::Level,
            Report::PerSubject,
            &stations,
            ("fraction", "the fraction of the station's machines that are busy"),
            fraction,
        ),
        queue: kind(
            "queue_length",
            "queue_mean",
            Aggregate::Level,
            Report::PerSubject,
            &stations,
            ("jobs", "the number of jobs waiting in the station's queue"),
            nonnegative,
        ),
        blocked: kind(
            "blocked_fraction",
            "blocked_fraction",
            Aggregate::Level,
            Report::PerSubject,
            &stations,
            ("fraction", "the fraction of the station's machines blocked by a full buffer downstream"),
            fraction,
        ),
        lateness: None,
        life: None,
    };
    // Throughput is the rate of cycle-time observations: one record per completion, not two.
    catalogue.rate(kinds.cycle_time, "throughput", "jobs per {time}", "jobs completed");
    let mut kinds = kinds;
    if config.sources.iter().any(|s| s.due.is_some()) {
        // completion − due date of every job that has one; collectors such as `tardiness` use it.
        kinds.lateness = Some(
            catalogue.add(
                KindInfo::new("lateness", "lateness_mean", Aggregate::Sample, Report::Total, products)
                    .meaning("{time}s", "a job's completion time minus its due date (negative when early)"),
            ),
        );
    }
    kinds.life = reliability::declare(config, catalogue);
    kinds
}
