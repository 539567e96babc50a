//! The steady-state cautions of a run: the traces of every finished replication, grouped by
//! variant, handed to [`diagnostics::steady_warnings`](crate::diagnostics::steady_warnings).

use super::ExperimentResults;
use crate::diagnostics::{VariantTraces, Warning, steady_warnings};

/// The steady-state warnings of `results` (empty when all is well, or when no replication kept
/// a trace, as for results read back from files). `time_unit` names the unit in messages.
pub fn steady_state_warnings(results: &ExperimentResults, time_unit: &str) -> Vec<Warning> {
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
    steady_warnings(&variants, time_unit)
}
