//! Filling a [`ReportInput`] from an output folder's manifest and results (those of a run, a
//! merge, or a folder read back), so every path builds the report from the same data.

use super::input::{PluginInfo, Provenance, ReportInput, SeriesInput, VariantInfo};
use super::words::precision_sentence;
use crate::output::{RunFolder, summary_rows};

impl ReportInput {
    /// The report of `folder`. Nothing that varies between equivalent runs (wall time, thread
    /// count, shard layout) enters it, so a merged run's report is byte-identical to a single
    /// run's.
    pub fn from_run(folder: &RunFolder) -> Self {
        let (m, results) = (&folder.manifest, &folder.results);
        let series = results
            .finished()
            .flat_map(|(r, o)| {
                o.series.iter().map(move |p| SeriesInput {
                    variant: results.variants[r.variant].clone(),
                    replication: r.replication,
                    time: p.time,
                    metric: p.series.clone(),
                    value: p.value,
                })
            })
            .collect();
        let replications = match &m.precision {
            Some(_) => format!("{} per variant (added in batches for the precision target)", m.replications),
            None => format!("{} per variant", m.replications),
        };
        let precision = m.precision.as_ref().map(|p| precision_sentence(p, m.complete));
        ReportInput {
            name: m.name.clone(),
            description: m.description.clone(),
            time_unit: m.time_unit.clone(),
            baseline: m.baseline.clone(),
            variants: m
                .variants
                .iter()
                .map(|v| VariantInfo {
                    name: v.name.clone(),
                    description: v.description.clone(),
                    set: v.set.clone(),
                    sweep: v.sweep.clone(),
                    at_sweep: v.at_sweep.clone(),
                    crossed_with: v.crossed_with.clone(),
                })
                .collect(),
            sweep_paths: m.sweep.clone(),
            key_metrics: m.key_metrics.clone(),
            summary: summary_rows(m, results),
            comparison: results.comparisons(),
            series,
            warnings: m.warnings.clone(),
            glossary: m.metrics.clone(),
            provenance: Provenance {
                xinzhi_version: m.xinzhi_version.clone(),
                scenario_path: m.scenario_path.clone(),
                scenario_sha256: m.scenario_sha256.clone(),
                scenario_digest: m.scenario_digest.clone(),
                seed: m.seed,
                replications,
                precision,
                rng: m.rng.clone(),
                threads_note: None,
                plugins: m
                    .plugins
                    .iter()
                    .map(|p| PluginInfo {
                        name: p.name.clone(),
                        crate_version: p.crate_version.clone(),
                        origin: p.origin.clone(),
                        sha256: p.sha256.clone(),
                    })
                    .collect(),
                complete: m.complete,
                error: m.error.clone(),
            },
        }
    }
}
