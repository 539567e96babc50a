//! Experiments: every variant × every replication, in parallel, with identical results whatever
//! the thread count.
//!
//! Replication `r` of every variant uses the same random streams (keyed by the master seed, `r`
//! and the stream's identity), so differences between variants are paired. Each replication is an
//! independent [`Sim`](crate::engine::Sim); rayon only decides *when* it runs, never *what* it
//! computes, and results are collected in (variant, replication) order.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::collect::{Collector, KpiCollector, Metric};
use crate::domains;
use crate::engine::{SimConfig, SimError};
use crate::rng::{StreamSeeder, replication_seed};
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

    /// The failures, in order.
    pub fn failures(&self) -> impl Iterator<Item = (&str, u32, &SimError)> {
        self.replications.iter().filter_map(|r| match &r.outcome {
            Err(e) => Some((self.variants[r.variant].as_str(), r.replication, e)),
            Ok(_) => None,
        })
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

/// Runs every variant of `file` for its replications. Failed replications are reported in the
/// results, not as an error: finished work is never lost.
///
/// `progress` receives increments in replication units (1.0 = one replication done).
///
/// # Errors
/// Only if the experiment cannot start.
pub fn run(
    file: &ScenarioFile,
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
    let replications = pool.install(|| {
        jobs.par_iter()
            .map(|&(variant, replication)| {
                let scenario = scenarios[variant].1;
                let outcome = run_one(scenario, seed, replication, progress);
                ReplicationResult { variant, replication, seed: replication_seed(seed, replication), outcome }
            })
            .collect()
    });
    Ok(ExperimentResults { variants: scenarios.iter().map(|(n, _)| (*n).to_owned()).collect(), replications })
}

fn run_one(
    scenario: &Scenario,
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
    let collectors: Vec<Box<dyn Collector>> = vec![Box::new(KpiCollector::new())];
    let out = domains::run_replication(&scenario.model, config, collectors, &mut |t| {
        let done = t.as_f64() / horizon;
        progress(done - reported);
        reported = done;
    });
    progress(1.0 - reported);
    out.map(|o| ReplicationOutput { metrics: o.metrics, events: o.events })
}
