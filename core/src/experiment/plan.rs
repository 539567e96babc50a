//! Which replications run, and running them: all, a shard's slice, or rounds of batches until a
//! precision target is met.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::results::{ExperimentResults, PrecisionReport, ReplicationOutput, ReplicationResult};
use super::{BASELINE, ExperimentError};
use crate::collect::Collector;
use crate::diagnostics::{TraceCollector, TraceSlot};
use crate::domains;
use crate::engine::{SimConfig, SimError};
use crate::plugin::{ComponentKind, Registry, Services};
use crate::rng::{StreamKey, StreamSeeder, replication_seed};
use crate::scenario::{Scenario, ScenarioFile};

/// How to run an experiment.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunConfig {
    /// Worker threads (>= 1; 0 is taken as 1); results do not depend on it.
    pub threads: usize,
    /// Run only this shard's replications; `None` runs them all.
    pub shard: Option<Shard>,
}

/// Slice `index` of `count` of an experiment: the replications `r` with `r mod count = index`,
/// of every variant. Streams are keyed by replication, so results never depend on `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 0-based, `< count`.
    pub index: u32,
    /// Number of shards, `>= 1`.
    pub count: u32,
}

/// Most shards of one experiment.
pub const MAX_SHARDS: u32 = 1_000_000;

/// A malformed `i/N` shard argument.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid shard `{text}`: {reason}")]
pub struct ShardError {
    /// What was given.
    pub text: String,
    /// What was expected.
    pub reason: String,
}

impl Shard {
    /// Whether replication `r` belongs to this shard.
    pub fn includes(self, r: u32) -> bool {
        r % self.count == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    /// Parses `i/N` with `0 <= i < N <= MAX_SHARDS`.
    fn from_str(text: &str) -> Result<Self, ShardError> {
        let fail = |reason: String| ShardError { text: text.to_owned(), reason };
        let (i, n) = text.split_once('/').ok_or_else(|| fail("expected `i/N`, e.g. `0/4`".into()))?;
        let parse = |s: &str, what: &str| {
            s.trim().parse::<u32>().map_err(|_| fail(format!("{what} `{s}` is not a non-negative integer")))
        };
        let (index, count) = (parse(i, "shard index")?, parse(n, "shard count")?);
        if count == 0 || count > MAX_SHARDS {
            return Err(fail(format!("the shard count must be from 1 to {MAX_SHARDS}")));
        }
        if index >= count {
            return Err(fail(format!("the index must be below the count (0 to {})", count - 1)));
        }
        Ok(Shard { index, count })
    }
}

/// Where an experiment reports progress, in replication units. A precision target adds work as
/// it goes, so the plan can grow.
pub trait Progress: Sync {
    /// `replications` more are planned.
    fn planned(&self, replications: u64);
    /// `fraction` of one replication more is done (fractions of one replication sum to 1).
    fn advance(&self, fraction: f64);
}

/// No progress reporting.
impl Progress for () {
    fn planned(&self, _: u64) {}
    fn advance(&self, _: f64) {}
}

/// Runs every variant of `file` for its replications, with the plugins of `registry` (see
/// [`crate::plugin::prepare`]).
///
/// - Without a precision target: replications `0..replications` of every variant (only the
///   shard's with [`RunConfig::shard`]).
/// - With `[experiment] target`: `replications` first, then rounds of `batch` more for every
///   variant (so comparisons stay paired) until every variant's interval of the target metric is
///   narrow enough or `max_replications` is reached. The decision depends only on results, so
///   the replication count is as reproducible as they are.
///
/// A failed replication is reported in the results, not as an error, and replications not yet
/// started are then skipped (a plugin bug would most likely repeat): finished work is never
/// lost. Which replications finished before a failure depends on the thread count; with no
/// failure, nothing does.
///
/// # Errors
/// Only if the experiment cannot start.
pub fn run(
    file: &ScenarioFile,
    registry: &Registry,
    config: RunConfig,
    progress: &dyn Progress,
) -> Result<ExperimentResults, ExperimentError> {
    let baseline = check(file, config.shard)?;
    let experiment = &file.baseline.experiment;
    let scenarios: Vec<(&str, &Scenario)> = std::iter::once((BASELINE, &file.baseline))
        .chain(file.variants.iter().map(|v| (v.name.as_str(), &v.scenario)))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads.max(1))
        .build()
        .map_err(|e| ExperimentError::Threads { threads: config.threads, message: e.to_string() })?;

    let mut results = ExperimentResults {
        variants: scenarios.iter().map(|(n, _)| (*n).to_owned()).collect(),
        baseline,
        replications: Vec::new(),
        shard: config.shard,
        precision: None,
    };
    let batch = Batch {
        scenarios: &scenarios,
        registry,
        seed: experiment.seed,
        progress,
        failed: AtomicBool::new(false),
    };
    let mut done = 0;
    let mut next = experiment.replications;
    loop {
        let jobs: Vec<(usize, u32)> = (0..scenarios.len())
            .flat_map(|v| (done..next).map(move |r| (v, r)))
            .filter(|&(_, r)| config.shard.is_none_or(|s| s.includes(r)))
            .collect();
        progress.planned(jobs.len() as u64);
        let round: Vec<ReplicationResult> =
            pool.install(|| jobs.par_iter().map(|&job| batch.run(job)).collect());
        results.replications.extend(round);
        done = next;
        let Some(target) = &experiment.target else { break };
        let report = PrecisionReport::evaluate(&results, target);
        let stop =
            report.met || report.missing_metric || done >= target.max_replications || !results.complete();
        results.precision = Some(report);
        if stop {
            break;
        }
        next = done.saturating_add(target.batch).min(target.max_replications);
    }
    // Rounds append replications per round; outputs want (variant, replication) order.
    results.replications.sort_by_key(|r| (r.variant, r.replication));
    Ok(results)
}

/// Whether `file` can run as an experiment (sharded as `shard`): every variant shares
/// `[experiment]`, its baseline names a variant, and a precision target is not sharded. Returns
/// the index of the comparison baseline among the variants (`baseline` first). [`run`] checks
/// this too; callers check first to refuse before preparing anything.
///
/// # Errors
/// The first of those that fails.
pub fn check(file: &ScenarioFile, shard: Option<Shard>) -> Result<usize, ExperimentError> {
    let experiment = &file.baseline.experiment;
    if let Some(v) = file.variants.iter().find(|v| v.scenario.experiment != *experiment) {
        return Err(ExperimentError::VariantChangesExperiment { variant: v.name.clone() });
    }
    if shard.is_some() && experiment.target.is_some() {
        return Err(ExperimentError::ShardWithTarget);
    }
    std::iter::once(BASELINE)
        .chain(file.variants.iter().map(|v| v.name.as_str()))
        .position(|name| name == experiment.baseline)
        .ok_or_else(|| ExperimentError::UnknownBaseline { name: experiment.baseline.clone() })
}

/// What every job of an experiment shares.
struct Batch<'a> {
    scenarios: &'a [(&'a str, &'a Scenario)],
    registry: &'a Registry,
    seed: u64,
    progress: &'a dyn Progress,
    failed: AtomicBool,
}

impl Batch<'_> {
    fn run(&self, (variant, replication): (usize, u32)) -> ReplicationResult {
        let outcome = if self.failed.load(Ordering::Relaxed) {
            self.progress.advance(1.0);
            Err(SimError::Skipped)
        } else {
            run_one(self.scenarios[variant].1, self.registry, self.seed, replication, self.progress)
        };
        if outcome.is_err() {
            self.failed.store(true, Ordering::Relaxed);
        }
        ReplicationResult { variant, replication, seed: replication_seed(self.seed, replication), outcome }
    }
}

/// The random-stream identities of a scenario's collectors: `collect:<plugin>`, and
/// `collect:<plugin>#k` for the k-th (k >= 2) use of the same plugin. Keyed by name, not by
/// position, so adding a collector in a variant never reseeds another.
fn collector_identities(scenario: &Scenario) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(scenario.collect.len());
    for (i, r) in scenario.collect.iter().enumerate() {
        let earlier = scenario.collect[..i].iter().filter(|c| c.plugin == r.plugin).count();
        out.push(match earlier {
            0 => format!("collect:{}", r.plugin),
            k => format!("collect:{}#{}", r.plugin, k + 1),
        });
    }
    out
}

/// The collectors of a replication, created from the scenario's `[[collect]]` list.
fn collectors(
    scenario: &Scenario,
    registry: &Registry,
    seeder: &StreamSeeder,
) -> Result<Vec<Box<dyn Collector>>, SimError> {
    let mut out: Vec<Box<dyn Collector>> = Vec::with_capacity(scenario.collect.len());
    for (r, identity) in scenario.collect.iter().zip(collector_identities(scenario)) {
        let fail = |message: String| SimError::Config(format!("collector `{}`: {message}", r.plugin));
        let component =
            registry.find(&r.plugin, ComponentKind::COLLECTOR).map_err(|e| fail(e.to_string()))?;
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
    progress: &dyn Progress,
) -> Result<ReplicationOutput, SimError> {
    let config = SimConfig {
        horizon: scenario.horizon,
        warmup: scenario.warmup,
        seeder: StreamSeeder::new(seed, replication),
    };
    let horizon = scenario.horizon.as_f64();
    let mut reported = 0.0;
    let trace = TraceSlot::default();
    let collectors = match collectors(scenario, registry, &config.seeder) {
        Ok(mut c) => {
            c.push(Box::new(TraceCollector::new(trace.clone())));
            c
        }
        Err(e) => {
            progress.advance(1.0);
            return Err(e);
        }
    };
    let out = domains::run_replication(&scenario.model, registry, config, collectors, &mut |t| {
        let done = t.as_f64() / horizon;
        progress.advance(done - reported);
        reported = done;
    });
    progress.advance(1.0 - reported);
    let trace = trace.lock().ok().and_then(|mut t| t.take());
    out.map(|o| ReplicationOutput { metrics: o.metrics, series: o.series, events: o.events, trace })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition() {
        assert_eq!("2/7".parse::<Shard>(), Ok(Shard { index: 2, count: 7 }));
        assert_eq!("0/1".parse::<Shard>().map(|s| s.to_string()), Ok("0/1".to_owned()));
        for bad in ["", "3", "3/3", "-1/3", "a/3", "1/0", "1/2/3", "0/2000000"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        for r in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.includes(r)).count(), 1);
        }
    }
}
