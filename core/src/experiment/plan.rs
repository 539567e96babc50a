//! Which replications run, and running them: all, a shard's slice, or rounds of batches until a
//! precision target is met.

use std::fmt;
use std::ops::ControlFlow;
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
    /// A stop request, e.g. raised by a Ctrl-C handler. Once it is `true`, no replication starts
    /// and the running ones are abandoned within 65 536 events (the engine's progress period);
    /// both end as [`SimError::Interrupted`], so the results hold exactly the replications that
    /// finished, each identical to what an uninterrupted run computes. `'static` keeps the
    /// config `Copy`: use a `static` flag (or leak one).
    pub stop: Option<&'static AtomicBool>,
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
/// it goes, so the plan can grow. Replications ended by a stop request report no more progress.
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
/// [`crate::experiment::prepare`]).
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
/// A stop request ([`RunConfig::stop`]) ends the experiment early the same way: replications
/// not finished end as [`SimError::Interrupted`] (not failures: see
/// [`ExperimentResults::interrupted`]) and no further precision round starts.
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
        headlines: file.baseline.domains.iter().flat_map(|d| d.key_metrics()).collect(),
    };
    let batch = Batch {
        scenarios: &scenarios,
        registry,
        seed: experiment.seed,
        progress,
        failed: AtomicBool::new(false),
        stop: config.stop,
    };
    let mut done = 0;
    let mut next = experiment.replications;
    loop {
        let tasks: Vec<(usize, u32)> = (0..scenarios.len())
            .flat_map(|v| (done..next).map(move |r| (v, r)))
            .filter(|&(_, r)| config.shard.is_none_or(|s| s.includes(r)))
            .collect();
        progress.planned(tasks.len() as u64);
        let round: Vec<ReplicationResult> =
            pool.install(|| tasks.par_iter().map(|&task| batch.run(task)).collect());
        results.replications.extend(round);
        done = next;
        if batch.stopping() {
            // The interrupted replications make the results incomplete, so a precision target's
            // rounds stop below as after a failure; a run without one ends here anyway.
            results.precision = experiment.target.as_ref().map(|t| PrecisionReport::evaluate(&results, t));
            break;
        }
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

/// What every task (one replication of one variant) of an experiment shares.
struct Batch<'a> {
    scenarios: &'a [(&'a str, &'a Scenario)],
    registry: &'a Registry,
    seed: u64,
    progress: &'a dyn Progress,
    failed: AtomicBool,
    stop: Option<&'static AtomicBool>,
}

impl Batch<'_> {
    /// Whether a stop was requested.
    fn stopping(&self) -> bool {
        stop_requested(self.stop)
    }

    fn run(&self, (variant, replication): (usize, u32)) -> ReplicationResult {
        // The stop request is checked first: after it, nothing is reported as skipped because of
        // a failure that merely happened to be abandoned.
        let outcome = if self.stopping() {
            Err(SimError::Interrupted)
        } else if self.failed.load(Ordering::Relaxed) {
            self.progress.advance(1.0);
            Err(SimError::Skipped)
        } else {
            let scenario = self.scenarios[variant].1;
            run_one(scenario, self.registry, self.seed, replication, self.progress, self.stop)
        };
        if matches!(&outcome, Err(e) if *e != SimError::Interrupted) {
            self.failed.store(true, Ordering::Relaxed);
        }
        ReplicationResult { variant, replication, seed: replication_seed(self.seed, replication), outcome }
    }
}

fn stop_requested(stop: Option<&AtomicBool>) -> bool {
    stop.is_some_and(|s| s.load(Ordering::Relaxed))
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
    stop: Option<&AtomicBool>,
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
    let out = domains::run_replication(&scenario.domains, registry, config, collectors, &mut |t| {
        if stop_requested(stop) {
            return ControlFlow::Break(());
        }
        let done = t.as_f64() / horizon;
        progress.advance(done - reported);
        reported = done;
        ControlFlow::Continue(())
    });
    progress.advance(1.0 - reported);
    let trace = trace.lock().ok().and_then(|mut t| t.take());
    out.map(|o| ReplicationOutput { metrics: o.metrics, series: o.series, events: o.events, trace })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::experiment::ReplicationOutput;

    /// An M/M/1 of about 2·λ·horizon = 160 000 events per replication: progress is reported
    /// (every 65 536 events) twice inside each, so a stop can land mid-replication.
    fn mm1(replications: u32, target: bool) -> (ScenarioFile, Registry) {
        let target = if target {
            "target = { metric = \"cycle_time_mean\", relative_half_width = 0.0001 }\nbatch = 2\nmax_replications = 1000"
        } else {
            ""
        };
        let text = format!(
            r#"
[scenario]
name = "mm1"
domain = "factory"
time_unit = "minute"
horizon = 100000.0

[experiment]
replications = {replications}
seed = 7
{target}

[[factory.source]]
name = "orders"
product = "widget"
interarrival = {{ dist = "exponential", mean = 1.25 }}

[[factory.product]]
name = "widget"
route = ["mill"]

[[factory.station]]
name = "mill"
machines = 1
process = {{ dist = "exponential", mean = 1.0 }}
"#
        );
        let file = crate::scenario::parse(std::path::Path::new("mm1.toml"), &text, &[]).expect("valid");
        let builtins =
            Registry::with_builtins(&[xinzhi_dispatch::plugin_library(), xinzhi_metrics::plugin_library()])
                .expect("registers");
        let registry = crate::experiment::prepare(&file, builtins, &[]).expect("plugins check out");
        (file, registry)
    }

    /// Raises `stop` once `after` replications' worth of progress is reported.
    struct StopAfter {
        done: Mutex<f64>,
        after: f64,
        stop: &'static AtomicBool,
    }

    impl Progress for StopAfter {
        fn planned(&self, _: u64) {}
        fn advance(&self, fraction: f64) {
            let mut done = self.done.lock().expect("not poisoned");
            *done += fraction;
            if *done >= self.after {
                self.stop.store(true, Ordering::Relaxed);
            }
        }
    }

    fn outputs(results: &ExperimentResults) -> Vec<(u32, ReplicationOutput)> {
        results.finished().map(|(r, o)| (r.replication, o.clone())).collect()
    }

    /// Defect 4 (core side): a stop request mid-replication abandons it (and starts no other);
    /// the finished replications are kept, identical to an uninterrupted run's, and the rest
    /// are `Interrupted`, not failures.
    #[test]
    fn defect_4_stop_request_keeps_finished_replications() {
        static STOP: AtomicBool = AtomicBool::new(false);
        let (file, registry) = mm1(6, false);
        // 2.4 replications: the stop is raised inside replication 2, at its first progress report.
        let progress = StopAfter { done: Mutex::new(0.0), after: 2.4, stop: &STOP };
        let config = RunConfig { threads: 1, shard: None, stop: Some(&STOP) };
        let stopped = run(&file, &registry, config, &progress).expect("runs");
        let full =
            run(&file, &registry, RunConfig { threads: 1, shard: None, stop: None }, &()).expect("runs");

        assert_eq!(stopped.replications.len(), 6);
        assert_eq!(stopped.interrupted(), 4, "replication 2 abandoned, 3 to 5 never started");
        assert_eq!(stopped.failures().count(), 0);
        assert_eq!(stopped.skipped(), 0);
        assert!(!stopped.complete());
        assert_eq!(stopped.replication_ids(), vec![0, 1]);
        let full_outputs = outputs(&full);
        assert_eq!(outputs(&stopped), full_outputs[..2].to_vec());
    }

    /// A stop request also ends a precision target's rounds, and the report counts only
    /// replications that ran.
    #[test]
    fn stop_request_ends_precision_rounds() {
        static STOP: AtomicBool = AtomicBool::new(false);
        let (file, registry) = mm1(2, true);
        let progress = StopAfter { done: Mutex::new(0.0), after: 3.3, stop: &STOP };
        let config = RunConfig { threads: 1, shard: None, stop: Some(&STOP) };
        let results = run(&file, &registry, config, &progress).expect("runs");
        // Round 1 runs replications 0 and 1, round 2 adds 2 and 3: the stop is raised inside 3,
        // so 3 is abandoned and no third round starts.
        assert_eq!(results.replication_ids(), vec![0, 1, 2]);
        assert_eq!(results.interrupted(), 1);
        let precision = results.precision.expect("a target run reports its precision");
        assert_eq!(precision.replications, 3);
        assert!(!precision.met);
    }

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
