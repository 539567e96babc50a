//! `xinzhi`: run and validate what-if scenarios, list plugins, create plugin crates.
//!
//! The binary is glue: argument parsing, progress, printing and exit codes. All simulation logic
//! lives in `xinzhi-core`.
//!
//! Exit codes: 0 success, 1 run failure (partial results are kept and marked incomplete),
//! 2 invalid input (scenario file, flags, output folder), 130 interrupted by SIGINT, SIGTERM or
//! SIGHUP (the finished replications are kept and the manifest marked incomplete; a second
//! signal quits at once).

mod args;
mod clock;
mod merge;
mod new;
mod plugins;
mod run;
mod slurm;
mod table;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// The failure classes the CLI distinguishes, mapped to exit codes.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad scenario, flags or output folder: exit 2.
    Input(anyhow::Error),
    /// The run itself failed: exit 1.
    Run(anyhow::Error),
    /// The run was stopped by a signal: exit [`EXIT_INTERRUPTED`].
    Interrupted(anyhow::Error),
}

/// The exit code of a run stopped by a signal: 128 + SIGINT, as shells report it.
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate(args) => run::validate(&args),
        Command::Merge(args) => merge::merge(&args),
        Command::Report(args) => merge::report(&args),
        Command::Plugins(args) => plugins::list(&args),
        Command::Slurm(args) => slurm::slurm(&args),
        Command::New(args::NewCommand::Plugin(args)) => new::plugin(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (code, label, error) = match failure {
                Failure::Input(e) => (2, "error", e),
                Failure::Run(e) => (1, "error", e),
                Failure::Interrupted(e) => (EXIT_INTERRUPTED, "stopped", e),
            };
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "{label}: {error:#}");
            ExitCode::from(code)
        }
    }
}
