//! Diagnostics of a run's results: cautions a reader must see before the numbers.
//!
//! - [`Warning`] — a caution of any kind (the scenario's own, from the domains' preflight and the
//!   work estimate, and the steady-state checks below), for the terminal, the manifest and the
//!   report.
//! - `trace` — every level series of a replication, time-averaged in equal bins (an engine
//!   collector that adds nothing to the outputs).
//! - `steady` — across replications: trends (no steady state) and warm-ups that end before the
//!   initial transient does (MSER).
//!
//! Everything here works on plain data (records, traces), never on an experiment's results, so
//! that the experiment can use it: `experiment::steady_state_warnings` gathers the traces of a
//! run and hands them to [`steady_warnings`].

mod steady;
mod trace;

use serde::{Deserialize, Serialize};

pub use steady::{BIAS_SHARE, P_LIMIT, TREND_SHARE, VariantTraces, mser, steady_warnings};
pub use trace::{BINS, SeriesTrace, Trace, TraceCollector, TraceSlot};

/// A caution about a run's results, for the terminal, the manifest and the report.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Warning {
    /// What kind of caution, a stable identifier: `not_stationary`, `warmup_too_short`,
    /// `large_run`, or a domain's own (its preflight's codes), ...
    pub code: String,
    /// The variant it concerns, if one.
    pub variant: Option<String>,
    /// The caution in plain words, with the numbers behind it.
    pub message: String,
}
