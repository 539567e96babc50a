//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Xinzhi: what-if simulation for industrial upgrading.
#[derive(Debug, Parser)]
#[command(name = "xinzhi", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a scenario: every variant × every replication, then write the output folder.
    #[command(after_help = RUN_NOTES)]
    Run(RunArgs),
    /// Check a scenario file (and overrides) without running it.
    Validate(ValidateArgs),
    /// Merge the output folders of every shard of one experiment into what a single run writes.
    Merge(MergeArgs),
    /// Rebuild `report.html` of an output folder from its tables.
    Report(ReportArgs),
    /// List every plugin: built-ins and the libraries given with --load.
    Plugins(PluginsArgs),
    /// Print a Slurm job-array script: one array task per shard, then a merge job.
    Slurm(crate::slurm::SlurmArgs),
    /// Create something new from a template.
    #[command(subcommand)]
    New(NewCommand),
}

/// What `xinzhi run --help` adds below the options: the work estimate's threshold and signals.
const RUN_NOTES: &str = "Before running, xinzhi prints the expected work (the sources' rates × horizon × replications) \
and the cautions the rates imply (a station offered a load ρ ≥ 1). Above 10¹⁰ expected events (about 20 minutes \
on one core) it warns loudly, on stderr and in manifest.json's `warnings` (code `large_run`), but runs; only work \
too large to represent (more than 10³⁰⁸ events) is refused.

Ctrl-C (SIGINT), SIGTERM or SIGHUP stops a run: no new replication starts, the running ones are abandoned, the \
finished ones are written with manifest.json marked incomplete (`complete: false`, `error` says why), and xinzhi \
exits with 130. A second Ctrl-C quits at once, without writing anything.";

#[derive(Debug, Subcommand)]
pub(crate) enum NewCommand {
    /// A plugin crate that builds as-is (cargo build) and loads with `[plugins] load`.
    Plugin(NewPluginArgs),
}

/// The values of `--kind`: the kinds `xinzhi new plugin` has a template for (one entry each in
/// [`crate::new::TEMPLATES`]), with what each does.
fn kind_values() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(crate::new::TEMPLATES.iter().map(|t| {
        let summary = xinzhi_plugin::kinds::KINDS.iter().find(|k| k.kind == t.kind).map_or("", |k| k.summary);
        clap::builder::PossibleValue::new(t.kind.name()).help(summary)
    }))
}

#[derive(Debug, Args)]
pub(crate) struct NewPluginArgs {
    /// Crate name, e.g. `my-rules` (letters, digits, `-`, `_`).
    pub(crate) name: String,
    /// The kind of component to start with.
    #[arg(long, value_parser = kind_values())]
    pub(crate) kind: String,
    /// Folder to create (default: ./NAME).
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    /// Path of the `xinzhi-plugin` crate to depend on (default: the one this xinzhi was built from).
    #[arg(long, value_name = "DIR")]
    pub(crate) api_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct PluginsArgs {
    /// Also load this plugin library (repeatable).
    #[arg(long = "load", value_name = "PATH")]
    pub(crate) load: Vec<PathBuf>,
}

/// Overrides shared by `run` and `validate`.
#[derive(Debug, Args)]
pub(crate) struct OverrideArgs {
    /// Number of replications per variant (overrides `experiment.replications`).
    #[arg(long, value_name = "N")]
    pub(crate) replications: Option<u32>,
    /// Master seed (overrides `experiment.seed`).
    #[arg(long, value_name = "S")]
    pub(crate) seed: Option<u64>,
    /// Override a scenario value by dotted path, e.g. `factory.station.mill.machines=2`
    /// (array elements are selected by `name`; the value is TOML). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) set: Vec<String>,
    /// Also load this plugin library, besides the scenario's `[plugins] load` (repeatable).
    #[arg(long = "load", value_name = "PATH")]
    pub(crate) load: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Scenario file (TOML).
    pub(crate) file: PathBuf,
    /// Output folder (default: runs/<scenario-name>/<UTC timestamp>/).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Allow writing into a non-empty output folder.
    #[arg(long)]
    pub(crate) force: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub(crate) threads: Option<u32>,
    /// No progress bar and no summary table.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Print the summary of every metric, not only the key metrics.
    #[arg(long, short)]
    pub(crate) verbose: bool,
    /// Run only shard I of N: the replications r with r mod N = I, of every variant
    /// (results never depend on N; combine the shards with `xinzhi merge`).
    #[arg(long, value_name = "I/N")]
    pub(crate) shard: Option<xinzhi_core::experiment::Shard>,
    #[command(flatten)]
    pub(crate) overrides: OverrideArgs,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The shard output folders (every shard i/N exactly once, in any order).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub(crate) dirs: Vec<PathBuf>,
    /// Output folder for the merged results.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Allow writing into a non-empty output folder.
    #[arg(long)]
    pub(crate) force: bool,
    /// No summary table.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Print the summary of every metric, not only the key metrics.
    #[arg(long, short)]
    pub(crate) verbose: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// An output folder written by `xinzhi run` or `xinzhi merge`.
    pub(crate) dir: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Scenario file (TOML).
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) overrides: OverrideArgs,
}
