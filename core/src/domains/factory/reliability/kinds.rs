//! The record kinds of machines' lives: availability, failures, downtime, maintenance, crews'
//! utilization and a predictor's quality.

use super::super::config::{FactoryConfig, Policy};
use super::predict::QualityKinds;
use crate::domains::Kinds;
use crate::record::{Aggregate, KindId, KindInfo, Report};

/// The record kinds of machines' lives. Subjects: the stations with lives, in file order; the
/// crews; the predictive stations.
#[derive(Clone, Copy, Debug)]
pub(in crate::domains::factory) struct LifeKinds {
    pub(super) availability: KindId,
    pub(super) failures: KindId,
    pub(super) downtime: KindId,
    pub(super) maintenance: KindId,
    pub(super) crew: Option<KindId>,
    pub(super) quality: Option<QualityKinds>,
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
