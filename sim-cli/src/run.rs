//! `xinzhi run` and `xinzhi validate`.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use xinzhi_core::experiment::{self, ExperimentError, Progress, RunConfig};
use xinzhi_core::output::{self, Manifest, RunFacts, RunFolder};
use xinzhi_core::plugin::{self, Registry};
use xinzhi_core::scenario::{self, Override, ScenarioFile};

use crate::Failure;
use crate::args::{OverrideArgs, RunArgs, ValidateArgs};
use crate::clock;

/// Turns flags into scenario overrides, in a fixed order: `--replications`, `--seed`, `--set`s.
fn overrides(args: &OverrideArgs) -> Result<Vec<Override>, Failure> {
    let mut out = Vec::new();
    if let Some(n) = args.replications {
        out.push(Override { path: "experiment.replications".into(), value: toml::Value::Integer(n.into()) });
    }
    if let Some(seed) = args.seed {
        let seed = i64::try_from(seed).map_err(|_| {
            Failure::Input(anyhow!("--seed {seed}: expected an integer from 0 to {}", i64::MAX))
        })?;
        out.push(Override { path: "experiment.seed".into(), value: toml::Value::Integer(seed) });
    }
    for arg in &args.set {
        out.push(Override::parse(arg).map_err(|e| Failure::Input(anyhow!("--set {arg}: {e}")))?);
    }
    Ok(out)
}

/// Loads the scenario, then its plugins (built-ins, `[plugins] load`, `--load`), checking every
/// plugin reference and parameter before anything runs.
pub(crate) fn load(file: &std::path::Path, args: &OverrideArgs) -> Result<(ScenarioFile, Registry), Failure> {
    let overrides = overrides(args)?;
    let file = scenario::load(file, &overrides).map_err(|e| Failure::Input(e.into()))?;
    let registry = plugin::prepare(&file, crate::plugins::builtins()?, &args.load)
        .map_err(|e| Failure::Input(e.into()))?;
    Ok((file, registry))
}

/// `xinzhi validate FILE`.
pub(crate) fn validate(args: &ValidateArgs) -> Result<(), Failure> {
    let (file, _) = load(&args.file, &args.overrides)?;
    let s = &file.baseline;
    println!(
        "{}: ok — scenario `{}`, {} variant(s) besides the baseline, {} replication(s), horizon {} {}",
        args.file.display(),
        s.name,
        file.variants.len(),
        s.experiment.replications,
        s.horizon,
        s.time_unit.name(),
    );
    Ok(())
}

/// `xinzhi run FILE`.
#[expect(clippy::disallowed_methods, reason = "the manifest records the run's wall time")]
pub(crate) fn run(args: &RunArgs) -> Result<(), Failure> {
    let (file, registry) = load(&args.file, &args.overrides)?;
    if args.shard.is_some() && file.baseline.experiment.target.is_some() {
        return Err(Failure::Input(ExperimentError::ShardWithTarget.into()));
    }
    let dir =
        args.out.clone().unwrap_or_else(|| output::default_dir(&file.baseline.name, &clock::utc_timestamp()));
    // Refuse a bad output folder before spending any time simulating.
    output::prepare_dir(&dir, args.force).map_err(|e| Failure::Input(e.into()))?;
    let threads = args
        .threads
        .map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |n| n as usize);

    let bar = Bar::new(args.quiet);
    let started = Instant::now();
    let results = experiment::run(&file, &registry, RunConfig { threads, shard: args.shard }, &bar)
        .map_err(|e| Failure::Input(e.into()))?;
    bar.0.finish_and_clear();
    let wall = started.elapsed();

    let facts = RunFacts { threads, wall_time_s: wall.as_secs_f64() };
    let folder = RunFolder {
        dir: dir.clone(),
        manifest: Manifest::for_run(&file, &registry, &results, facts),
        results,
    };
    // A shard's report would describe a fraction of the experiment: the merged run gets one.
    crate::merge::write(&folder, folder.results.shard.is_none())?;

    if !args.quiet {
        crate::merge::print_summary(&folder);
        let events = folder.results.events();
        println!(
            "\n{} replication(s), {} events in {:.2} s ({:.1} M events/s); results in {}",
            folder.results.replications.len(),
            events,
            wall.as_secs_f64(),
            events as f64 / wall.as_secs_f64().max(1e-9) / 1e6,
            dir.display()
        );
    }
    let results = &folder.results;
    let failures: Vec<String> =
        results.failures().map(|(v, r, e)| format!("variant `{v}`, replication {r}: {e}")).collect();
    if !failures.is_empty() {
        let skipped = match results.skipped() {
            0 => String::new(),
            n => format!(", {n} not run after it"),
        };
        return Err(Failure::Run(anyhow!(
            "{} replication(s) failed{skipped}; finished ones are kept in {} (manifest marked incomplete):\n  {}",
            failures.len(),
            dir.display(),
            failures.join("\n  ")
        )));
    }
    match &results.precision {
        Some(p) if p.missing_metric => Err(Failure::Input(anyhow!(
            "[experiment] target: no replication produced the metric `{}` (results are kept in {}); metrics are \
             listed in summary.csv",
            p.metric,
            dir.display()
        ))),
        _ => Ok(()),
    }
}

/// The progress bar, in thousandths of a replication; a precision target makes it grow.
struct Bar(ProgressBar);

impl Bar {
    fn new(quiet: bool) -> Self {
        if quiet {
            return Bar(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Bar(bar)
    }
}

impl Progress for Bar {
    fn planned(&self, replications: u64) {
        self.0.inc_length(replications * 1000);
    }
    fn advance(&self, fraction: f64) {
        self.0.inc((fraction * 1000.0).round() as u64);
    }
}
