//! Diagnostics of a run's results: cautions a reader must see before the numbers.
//!
//! - `trace` — every level series of a replication, time-averaged in equal bins (an engine
//!   collector that adds nothing to the outputs).
//! - `steady` — across replications: trends (no steady state) and warm-ups that end before the
//!   initial transient does (MSER).
//!
//! Warnings of all kinds share [`crate::output::Warning`]; [`warnings`] is what a run reports.

mod steady;
mod trace;

pub use steady::{BIAS_SHARE, P_LIMIT, TREND_SHARE, VariantTraces, mser};
pub use trace::{BINS, SeriesTrace, Trace, TraceCollector, TraceSlot};

use crate::experiment::ExperimentResults;
use crate::output::Warning;

/// The steady-state warnings of `results` (empty when all is well, or when no replication kept
/// a trace, as for results read back from files). `time_unit` names the unit in messages.
pub fn warnings(results: &ExperimentResults, time_unit: &str) -> Vec<Warning> {
    let variants: Vec<VariantTraces<'_>> = results
        .variants
        .iter()
        .enumerate()
        .map(|(v, name)| VariantTraces {
            name,
            traces: results
                .finished()
                .filter(|(r, _)| r.variant == v)
                .filter_map(|(_, o)| o.trace.as_ref())
                .collect(),
        })
        .collect();
    steady::warnings(&variants, time_unit)
}
