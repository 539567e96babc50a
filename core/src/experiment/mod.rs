//! Experiments: every variant × every replication, in parallel, with identical results whatever
//! the thread count.
//!
//! Replication `r` of every variant uses the same random streams (keyed by the master seed, `r`
//! and the stream's identity), so differences between variants are paired. Each replication is an
//! independent [`Sim`](crate::engine::Sim); rayon only decides *when* it runs, never *what* it
//! computes, and results are collected in (variant, replication) order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::collect::{Collector, Metric, SeriesPoint};
use crate::domains;
use crate::engine::{SimConfig, SimError};
use crate::plugin::{ComponentKind, Registry, Services};
use crate::rng::{StreamKey, StreamSeeder, replication_seed};
use crate::scenario::{Scenario, ScenarioFile};
use crate::stats::{Summary, summarize};

/// Confidence level of every reported interval.
pub const CONFIDENCE: f64 = 0.95;

/// Name of the variant that is the scenario as written.
pub const BASELINE: &str = "baseline";

/// How to run an experiment.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig {
    /// Worker threads (>= 1); results do not depend on it.
    pub threads: usize,
}

/// The experiment could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// A variant changes `[experiment]`, which must be shared for the comparison to be paired.
    #[error("variant `{variant}` changes [experiment]; replications and seed are shared by all variants")]
    VariantChangesExperiment {
        /// The variant.
        variant: String,
    },
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// Why not.
        message: String,
    },
}

/// One replication of one variant.
#[derive(Clone, Debug)]
pub struct ReplicationResult {
    /// Index into [`ExperimentResults::variants`].
    pub variant: usize,
    /// Replication index, 0-based.
    pub replication: u32,
    /// The replication's seed as reported in outputs.
    pub seed: u64,
    /// Its metrics, or why it failed.
    pub outcome: Result<ReplicationOutput, SimError>,
}

/// What a successful replication produced.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicationOutput {
    /// Metrics sorted by name.
    pub metrics: Vec<Metric>,
    /// Time-series points of the collectors that produce them.
    pub series: Vec<SeriesPoint>,
    /// Calendar entries processed.
    pub events: u64,
}

/// Everything an experiment produced, in (variant, replication) order.
#[derive(Clone, Debug)]
pub struct ExperimentResults {
    /// Variant names, baseline first.
    pub variants: Vec<String>,
    /// All replications, ordered by variant then replication.
    pub replications: Vec<ReplicationResult>,
}

/// Per-variant, per-metric summary over the successful replications.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSummary {
    /// Variant name.
    pub variant: String,
    /// Metric name.
    pub metric: String,
    /// Mean, sd and Student-t CI.
    pub summary: Summary,
}

impl ExperimentResults {
    /// Whether every replication succeeded.
    pub fn complete(&self) -> bool {
        self.replications.iter().all(|r| r.outcome.is_ok())
    }

    /// The failures, in order (replications skipped after a failure are not listed: see
    /// [`ExperimentResults::skipped`]).
    pub fn failures(&self) -> impl Iterator<Item = (&str, u32, &SimError)> {
        self.replications.iter().filter_map(|r| match &r.outcome {
            Err(SimError::Skipped) | Ok(_) => None,
            Err(e) => Some((self.variants[r.variant].as_str(), r.replication, e)),
        })
    }

    /// How many replications were not run because another failed first.
    pub fn skipped(&self) -> usize {
        self.replications.iter().filter(|r| matches!(r.outcome, Err(SimError::Skipped))).count()
    }

    /// Total calendar entries processed by the successful replications.
    pub fn events(&self) -> u64 {
        self.replications.iter().filter_map(|r| r.outcome.as_ref().ok()).map(|o| o.events).sum()
    }

    /// Summaries in variant order, then metric name order.
    pub fn summaries(&self) -> Vec<MetricSummary> {
        let mut out = Vec::new();
        for (v, name) in self.variants.iter().enumerate() {
            let mut by_metric: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
            for r in self.replications.iter().filter(|r| r.variant == v) {
                if let Ok(o) = &r.outcome {
                    for m in &o.metrics {
                        by_metric.entry(&m.name).or_default().push(m.value);
                    }
                }
            }
            for (metric, values) in by_metric {
                out.push(MetricSummary {
                    variant: name.clone(),
                    metric: metric.to_owned(),
                    summary: summarize(&values, CONFIDENCE),
                });
            }
        }
        out
    }
}

/// Runs every variant of `file` for its replications, with the plugins of `registry` (see
/// [`crate::plugin::prepare`]). A failed replication is reported in the results, not as an
/// error, and replications not yet started are then skipped (a plugin bug would most likely
/// repeat): finished work is never lost. Which replications finished before a failure depends on
/// the thread count; with no failure, nothing does.
///
/// `progress` receives increments in replication units (1.0 = one replication done).
///
/// # Errors
/// Only if the experiment cannot start.
pub fn run(
    file: &ScenarioFile,
    registry: &Registry,
    config: RunConfig,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<ExperimentResults, ExperimentError> {
    let base = &file.baseline;
    let mut scenarios: Vec<(&str, &Scenario)> = vec![(BASELINE, base)];
    for v in &file.variants {
        if v.scenario.experiment != base.experiment {
            return Err(ExperimentError::VariantChangesExperiment { variant: v.name.clone() });
        }
        scenarios.push((&v.name, &v.scenario));
    }
    let reps = base.experiment.replications;
    let seed = base.experiment.seed;
    let jobs: Vec<(usize, u32)> = (0..scenarios.len()).flat_map(|v| (0..reps).map(move |r| (v, r))).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads.max(1))
        .build()
        .map_err(|e| ExperimentError::Threads { threads: config.threads, message: e.to_string() })?;
    let failed = AtomicBool::new(false);
    let replications = pool.install(|| {
        jobs.par_iter()
            .map(|&(variant, replication)| {
                let scenario = scenarios[variant].1;
                let outcome = if failed.load(Ordering::Relaxed) {
                    progress(1.0);
                    Err(SimError::Skipped)
                } else {
                    run_one(scenario, registry, seed, replication, progress)
                };
                if outcome.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                ReplicationResult { variant, replication, seed: replication_seed(seed, replication), outcome }
            })
            .collect()
    });
    Ok(ExperimentResults { variants: scenarios.iter().map(|(n, _)| (*n).to_owned()).collect(), replications })
}

/// The collectors of a replication, created from the scenario's `[[collect]]` list.
fn collectors(
    scenario: &Scenario,
    registry: &Registry,
    seeder: &StreamSeeder,
) -> Result<Vec<Box<dyn Collector>>, SimError> {
    let mut out: Vec<Box<dyn Collector>> = Vec::with_capacity(scenario.collect.len());
    for (i, r) in scenario.collect.iter().enumerate() {
        let fail = |message: String| SimError::Config(format!("collector `{}`: {message}", r.plugin));
        let component =
            registry.find(&r.plugin, ComponentKind::COLLECTOR).map_err(|e| fail(e.to_string()))?;
        let identity = format!("collect:{i}:{}", r.plugin);
        let services = Services {
            seed: seeder.seed_u64(StreamKey::new(&identity, "plugin")),
            replication: seeder.replication(),
        };
        out.push(Box::new(component.collector(&r.params, services).map_err(|e| fail(e.to_string()))?));
    }
    Ok(out)
}

fn run_one(
    scenario: &Scenario,
    registry: &Registry,
    seed: u64,
    replication: u32,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<ReplicationOutput, SimError> {
    let config = SimConfig {
        horizon: scenario.horizon,
        warmup: scenario.warmup,
        seeder: StreamSeeder::new(seed, replication),
    };
    let horizon = scenario.horizon.as_f64();
    let mut reported = 0.0;
    let collectors = match collectors(scenario, registry, &config.seeder) {
        Ok(c) => c,
        Err(e) => {
            progress(1.0);
            return Err(e);
        }
    };
    let out = domains::run_replication(&scenario.model, registry, config, collectors, &mut |t| {
        let done = t.as_f64() / horizon;
        progress(done - reported);
        reported = done;
    });
    progress(1.0 - reported);
    out.map(|o| ReplicationOutput { metrics: o.metrics, series: o.series, events: o.events })
}
