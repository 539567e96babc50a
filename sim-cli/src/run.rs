//! `xinzhi run` and `xinzhi validate`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use xinzhi_core::experiment::{self, ExperimentResults, RunConfig};
use xinzhi_core::output::{self, LibraryRecord, Manifest, ReplicationRow, SeriesRow, SummaryRow};
use xinzhi_core::plugin::{self, Origin, Registry};
use xinzhi_core::rng::RNG_NAME;
use xinzhi_core::scenario::{self, Override, ScenarioFile};

use crate::Failure;
use crate::args::{OverrideArgs, RunArgs, ValidateArgs};
use crate::{clock, table};

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
    let dir =
        args.out.clone().unwrap_or_else(|| output::default_dir(&file.baseline.name, &clock::utc_timestamp()));
    // Refuse a bad output folder before spending any time simulating.
    output::prepare_dir(&dir, args.force).map_err(|e| Failure::Input(e.into()))?;
    let threads = args
        .threads
        .map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |n| n as usize);

    let reps = file.baseline.experiment.replications as u64 * (1 + file.variants.len() as u64);
    let bar = progress_bar(reps, args.quiet);
    let started = Instant::now();
    let results = experiment::run(&file, &registry, RunConfig { threads }, &|done| {
        bar.inc((done * 1000.0).round() as u64);
    })
    .map_err(|e| Failure::Input(e.into()))?;
    bar.finish_and_clear();
    let wall = started.elapsed();

    let summaries = results.summaries();
    write_outputs(
        &Run { file: &file, registry: &registry, results: &results, summaries: &summaries },
        &dir,
        threads,
        wall,
    )
    .map_err(Failure::Run)?;

    if !args.quiet {
        print!("{}", table::render(&summaries));
        let events = results.events();
        println!(
            "\n{} replication(s), {} events in {:.2} s ({:.1} M events/s); results in {}",
            results.replications.len(),
            events,
            wall.as_secs_f64(),
            events as f64 / wall.as_secs_f64().max(1e-9) / 1e6,
            dir.display()
        );
    }
    let failures: Vec<String> =
        results.failures().map(|(v, r, e)| format!("variant `{v}`, replication {r}: {e}")).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        let skipped = match results.skipped() {
            0 => String::new(),
            n => format!(", {n} not run after it"),
        };
        Err(Failure::Run(anyhow!(
            "{} replication(s) failed{skipped}; finished ones are kept in {} (manifest marked incomplete):\n  {}",
            failures.len(),
            dir.display(),
            failures.join("\n  ")
        )))
    }
}

fn progress_bar(replications: u64, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(replications * 1000), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// What a finished experiment hands to the writers.
struct Run<'a> {
    file: &'a ScenarioFile,
    registry: &'a Registry,
    results: &'a ExperimentResults,
    summaries: &'a [experiment::MetricSummary],
}

/// The manifest's record of every plugin library.
fn libraries(registry: &Registry) -> Vec<LibraryRecord> {
    registry
        .entries()
        .iter()
        .map(|e| {
            let (major, minor) = e.lib.abi();
            let (origin, sha256) = match e.lib.origin() {
                Origin::Builtin => ("built-in".to_owned(), None),
                Origin::Path { path, sha256 } => (path.display().to_string(), Some(sha256.clone())),
            };
            LibraryRecord {
                name: e.name.clone(),
                crate_version: format!("{} {}", e.lib.crate_name(), e.lib.crate_version()),
                api_version: e.lib.api_version().to_owned(),
                abi: format!("{major}.{minor}"),
                rustc: e.lib.rustc_version().to_owned(),
                origin,
                sha256,
            }
        })
        .collect()
}

fn write_outputs(run: &Run<'_>, dir: &Path, threads: usize, wall: Duration) -> anyhow::Result<()> {
    let Run { file, registry, results, summaries } = *run;
    let rows = results.replications.iter().filter_map(|r| r.outcome.as_ref().ok().map(|o| (r, o))).flat_map(
        |(r, o)| {
            o.metrics.iter().map(move |m| ReplicationRow {
                variant: &results.variants[r.variant],
                replication: r.replication,
                seed: r.seed,
                metric: &m.name,
                value: m.value,
            })
        },
    );
    let replications_csv = output::replications_csv(rows);
    let finished = || results.replications.iter().filter_map(|r| r.outcome.as_ref().ok().map(|o| (r, o)));
    let timeseries_csv = finished().any(|(_, o)| !o.series.is_empty()).then(|| {
        output::timeseries_csv(finished().flat_map(|(r, o)| {
            o.series.iter().map(move |p| SeriesRow {
                variant: &results.variants[r.variant],
                replication: r.replication,
                time: p.time,
                metric: &p.series,
                value: p.value,
            })
        }))
    });
    let summary_rows: Vec<SummaryRow> = summaries
        .iter()
        .map(|s| SummaryRow { variant: s.variant.clone(), metric: s.metric.clone(), summary: s.summary })
        .collect();
    let failures: Vec<String> =
        results.failures().map(|(v, r, e)| format!("variant `{v}`, replication {r}: {e}")).collect();
    let base = &file.baseline;
    let manifest = Manifest {
        xinzhi_version: env!("CARGO_PKG_VERSION").to_owned(),
        scenario_path: file.path.display().to_string(),
        scenario_sha256: output::sha256_hex(file.text.as_bytes()),
        scenario: serde_json::json!({ "baseline": base, "variants": file.variants }),
        variants: results.variants.clone(),
        seed: base.experiment.seed,
        replications: base.experiment.replications,
        threads,
        rng: RNG_NAME.to_owned(),
        wall_time_s: wall.as_secs_f64(),
        complete: failures.is_empty(),
        error: (!failures.is_empty()).then(|| failures.join("; ")),
        plugins: libraries(registry),
    };
    output::write_run(dir, &manifest, &replications_csv, &summary_rows, timeseries_csv.as_deref())
        .with_context(|| format!("writing results to {}", dir.display()))
}
