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
    Run(RunArgs),
    /// Check a scenario file (and overrides) without running it.
    Validate(ValidateArgs),
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
    #[command(flatten)]
    pub(crate) overrides: OverrideArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Scenario file (TOML).
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) overrides: OverrideArgs,
}
