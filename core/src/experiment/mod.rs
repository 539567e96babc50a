//! Experiments: every variant × every replication, in parallel, with identical results whatever
//! the thread count.
//!
//! Replication `r` of every variant uses the same random streams (keyed by the master seed, `r`
//! and the stream's identity), so differences between variants are paired. Each replication is an
//! independent [`Sim`](crate::engine::Sim); rayon only decides *when* it runs, never *what* it
//! computes, and results are kept in (variant, replication) order.
//!
//! - `plan` — which replications run: all of them, a shard's slice (`r mod N = i`), or rounds
//!   of batches until a precision target is met.
//! - `results` — what came out: per-replication metrics, summaries, paired comparisons against
//!   the baseline, the precision achieved.
//! - `estimate` — the expected work of a run before it starts, with the cautions the rates imply.
//! - `warnings` — the steady-state cautions of a run's results (the checks are in
//!   [`diagnostics`](crate::diagnostics)).

mod estimate;
mod plan;
mod prepare;
mod results;
mod warnings;

pub use estimate::{
    LARGE_RUN, LARGE_RUN_EVENTS, TYPICAL_EVENTS_PER_SECOND, VariantWork, WorkEstimate, duration_words,
    estimate, events_words, written_number,
};
pub use plan::{MAX_SHARDS, Progress, RunConfig, Shard, ShardError, check, run};
pub use prepare::{Declared, declared_metrics, prepare};
pub use results::{
    Achieved, ExperimentResults, MetricSummary, PrecisionReport, ReplicationOutput, ReplicationResult,
};
pub use warnings::steady_state_warnings;

/// Confidence level of every reported interval.
pub const CONFIDENCE: f64 = 0.95;

/// Name of the variant that is the scenario as written.
pub const BASELINE: &str = "baseline";

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
    /// `[experiment] baseline` names no variant.
    #[error("[experiment] baseline = `{name}` names no variant (expected `baseline` or a variant name)")]
    UnknownBaseline {
        /// The name given.
        name: String,
    },
    /// A precision target needs every replication in one run, so it cannot be sharded.
    #[error(
        "a scenario with a precision target ([experiment] target) cannot be sharded: how many replications \
         run depends on all of them; drop --shard, or set a fixed `replications` and remove `target`"
    )]
    ShardWithTarget,
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// Why not.
        message: String,
    },
}
