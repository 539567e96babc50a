//! What an experiment produced: per-replication metrics, their summaries, paired comparisons
//! against the baseline, and the precision achieved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CONFIDENCE;
use super::plan::Shard;
use crate::collect::{Metric, SeriesPoint};
use crate::compare::{Comparison, compare};
use crate::engine::SimError;
use crate::scenario::{HalfWidth, PrecisionTarget};
use crate::stats::{Summary, summarize};

/// One replication of one variant.
#[derive(Clone, Debug)]
pub struct ReplicationResult {
    /// Index into [`ExperimentResults::variants`].
    pub variant: usize,
    /// Replication index, 0-based.
    pub replication: u32,
    /// The replication's seed as reported in outputs.
    pub seed: u64,
    /// Its metrics, or why it failed.
    pub outcome: Result<ReplicationOutput, SimError>,
}

/// What a successful replication produced.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicationOutput {
    /// Metrics sorted by name.
    pub metrics: Vec<Metric>,
    /// Time-series points of the collectors that produce them.
    pub series: Vec<SeriesPoint>,
    /// Calendar entries processed (0 when read back from files).
    pub events: u64,
    /// The level series for the steady-state checks (`None` when read back from files).
    pub trace: Option<crate::diagnostics::Trace>,
}

/// Everything an experiment produced, in (variant, replication) order.
#[derive(Clone, Debug)]
pub struct ExperimentResults {
    /// Variant names, `baseline` (the scenario as written) first.
    pub variants: Vec<String>,
    /// Index of the variant the others are compared against (`[experiment] baseline`).
    pub baseline: usize,
    /// All replications, ordered by variant then replication.
    pub replications: Vec<ReplicationResult>,
    /// The shard these results are, if not the whole experiment.
    pub shard: Option<Shard>,
    /// How the precision target was met, when the scenario sets one.
    pub precision: Option<PrecisionReport>,
    /// The headline metrics the scenario's domains name, in order (empty: none named).
    pub headlines: Vec<String>,
}

/// Per-variant, per-metric summary over the successful replications.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSummary {
    /// Variant name.
    pub variant: String,
    /// Metric name.
    pub metric: String,
    /// Mean, sd and Student-t CI.
    pub summary: Summary,
}

/// The outcome of a precision target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrecisionReport {
    /// The target metric.
    pub metric: String,
    /// The required half-width.
    pub target: HalfWidth,
    /// Replications per variant when the run stopped.
    pub replications: u32,
    /// Whether every variant met the target.
    pub met: bool,
    /// The metric was produced by no replication (a misspelt name).
    pub missing_metric: bool,
    /// Per variant, in variant order.
    pub achieved: Vec<Achieved>,
}

/// The precision one variant reached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Achieved {
    /// Variant name.
    pub variant: String,
    /// Replications summarised.
    pub n: usize,
    /// Mean of the metric (NaN if undefined).
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    /// CI half-width [metric unit] (NaN if undefined).
    #[serde(deserialize_with = "nan_if_null")]
    pub half_width: f64,
    /// Half-width relative to `|mean|` (NaN or ∞ if undefined).
    #[serde(deserialize_with = "nan_if_null")]
    pub relative_half_width: f64,
}

/// JSON has no NaN or ∞: serde_json writes them as `null`, which reads back as NaN.
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

impl PrecisionReport {
    /// Checks `target` against the current results (NaN half-widths never meet a target).
    pub(crate) fn evaluate(results: &ExperimentResults, target: &PrecisionTarget) -> Self {
        let achieved: Vec<Achieved> = (0..results.variants.len())
            .filter_map(|v| {
                let values = results.values_of(v, &target.metric);
                if values.is_empty() {
                    return None;
                }
                let s = summarize(&values, CONFIDENCE);
                let half = (s.ci_high - s.ci_low) / 2.0;
                Some(Achieved {
                    variant: results.variants[v].clone(),
                    n: s.n,
                    mean: s.mean,
                    half_width: half,
                    relative_half_width: half / s.mean.abs(),
                })
            })
            .collect();
        let mut report = PrecisionReport {
            metric: target.metric.clone(),
            target: target.half_width,
            replications: results
                .replications
                .iter()
                .filter(|r| !matches!(r.outcome, Err(SimError::Interrupted)))
                .map(|r| r.replication + 1)
                .max()
                .unwrap_or(0),
            met: false,
            missing_metric: achieved.is_empty(),
            achieved,
        };
        let wanted = report.required();
        report.met = !report.missing_metric
            && report.achieved.len() == results.variants.len()
            && report.achieved.iter().all(|a| report.got(a) <= wanted);
        report
    }

    /// The required half-width, a fraction of `|mean|` when the target is relative.
    pub fn required(&self) -> f64 {
        match self.target {
            HalfWidth::Relative(x) | HalfWidth::Absolute(x) => x,
        }
    }

    /// Whether the target is relative to the mean.
    pub fn is_relative(&self) -> bool {
        matches!(self.target, HalfWidth::Relative(_))
    }

    /// The half-width `a` reached, in the target's terms (relative or absolute).
    pub fn got(&self, a: &Achieved) -> f64 {
        if self.is_relative() { a.relative_half_width } else { a.half_width }
    }

    /// The worst variant: the largest half-width in the target's terms.
    pub fn worst(&self) -> Option<&Achieved> {
        self.achieved.iter().max_by(|a, b| self.got(a).total_cmp(&self.got(b)))
    }
}

impl ExperimentResults {
    /// Whether every replication succeeded (so not after a failure or an interruption).
    pub fn complete(&self) -> bool {
        self.replications.iter().all(|r| r.outcome.is_ok())
    }

    /// The failures, in order (replications skipped after a failure or interrupted are not
    /// listed: see [`ExperimentResults::skipped`] and [`ExperimentResults::interrupted`]).
    pub fn failures(&self) -> impl Iterator<Item = (&str, u32, &SimError)> {
        self.replications.iter().filter_map(|r| match &r.outcome {
            Err(SimError::Skipped | SimError::Interrupted) | Ok(_) => None,
            Err(e) => Some((self.variants[r.variant].as_str(), r.replication, e)),
        })
    }

    /// How many replications a stop request (Ctrl-C) left unfinished or unstarted.
    pub fn interrupted(&self) -> usize {
        self.replications.iter().filter(|r| matches!(r.outcome, Err(SimError::Interrupted))).count()
    }

    /// How many replications were not run because another failed first.
    pub fn skipped(&self) -> usize {
        self.replications.iter().filter(|r| matches!(r.outcome, Err(SimError::Skipped))).count()
    }

    /// Total calendar entries processed by the successful replications.
    pub fn events(&self) -> u64 {
        self.finished().map(|(_, o)| o.events).sum()
    }

    /// The successful replications with their outputs, in order.
    pub fn finished(&self) -> impl Iterator<Item = (&ReplicationResult, &ReplicationOutput)> {
        self.replications.iter().filter_map(|r| r.outcome.as_ref().ok().map(|o| (r, o)))
    }

    /// The replication indices present (successful or failed, not interrupted: an interrupted
    /// replication was abandoned, not run), ascending and unique.
    pub fn replication_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .replications
            .iter()
            .filter(|r| !matches!(r.outcome, Err(SimError::Interrupted)))
            .map(|r| r.replication)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Variant `v`'s values of `metric`, in replication order, from the successful replications
    /// that produced it.
    fn values_of(&self, v: usize, metric: &str) -> Vec<f64> {
        self.finished()
            .filter(|(r, _)| r.variant == v)
            .filter_map(|(_, o)| o.metrics.iter().find(|m| m.name == metric).map(|m| m.value))
            .collect()
    }

    /// Variant `v`'s values per metric, by replication, from the successful replications.
    fn values(&self, v: usize) -> BTreeMap<&str, BTreeMap<u32, f64>> {
        let mut by_metric: BTreeMap<&str, BTreeMap<u32, f64>> = BTreeMap::new();
        for (r, o) in self.finished().filter(|(r, _)| r.variant == v) {
            for m in &o.metrics {
                by_metric.entry(&m.name).or_default().insert(r.replication, m.value);
            }
        }
        by_metric
    }

    /// Summaries in variant order, then metric name order.
    pub fn summaries(&self) -> Vec<MetricSummary> {
        let mut out = Vec::new();
        for (v, name) in self.variants.iter().enumerate() {
            for (metric, values) in self.values(v) {
                let values: Vec<f64> = values.into_values().collect();
                out.push(MetricSummary {
                    variant: name.clone(),
                    metric: metric.to_owned(),
                    summary: summarize(&values, CONFIDENCE),
                });
            }
        }
        out
    }

    /// Paired comparisons of every other variant against the baseline, over the replications
    /// both finished, in variant order, then metric name order. Metrics the baseline lacks are
    /// not compared.
    pub fn comparisons(&self) -> Vec<Comparison> {
        let base = self.values(self.baseline);
        let base_name = &self.variants[self.baseline];
        let mut out = Vec::new();
        for (v, name) in self.variants.iter().enumerate().filter(|(v, _)| *v != self.baseline) {
            for (metric, values) in self.values(v) {
                let Some(reference) = base.get(metric) else { continue };
                let pairs: Vec<(f64, f64)> =
                    values.iter().filter_map(|(r, &x)| reference.get(r).map(|&b| (b, x))).collect();
                out.push(compare(name, base_name, metric, &pairs, CONFIDENCE));
            }
        }
        out
    }

    /// The metrics worth a headline: the precision target's first, then the domains' headlines
    /// ([`ExperimentResults::headlines`]) the baseline reports or, when the domains name none,
    /// every metric whose name has no `.` qualifier (totals rather than per-entity breakdowns),
    /// in name order.
    pub fn key_metrics(&self, target: Option<&str>) -> Vec<String> {
        let metrics = self.values(self.baseline);
        let mut out: Vec<String> =
            target.filter(|t| metrics.contains_key(t)).map(str::to_owned).into_iter().collect();
        if !self.headlines.is_empty() {
            for metric in &self.headlines {
                if metrics.contains_key(metric.as_str()) && !out.contains(metric) {
                    out.push(metric.clone());
                }
            }
            return out;
        }
        for metric in metrics.into_keys() {
            if !metric.contains('.') && !out.iter().any(|m| m == metric) {
                out.push(metric.to_owned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An undefined achieved precision (the metric NaN in some replication) is written as JSON
    /// `null` and must read back, so `report DIR` works on such a run.
    #[test]
    fn undefined_precision_round_trips_through_json() {
        let p = PrecisionReport {
            metric: "m".into(),
            target: HalfWidth::Relative(0.01),
            replications: 4,
            met: false,
            missing_metric: false,
            achieved: vec![Achieved {
                variant: "baseline".into(),
                n: 4,
                mean: f64::NAN,
                half_width: f64::NAN,
                relative_half_width: f64::INFINITY,
            }],
        };
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains(r#""target":{"relative":0.01}"#), "{json}");
        let back: PrecisionReport = serde_json::from_str(&json).unwrap();
        assert!(back.achieved[0].mean.is_nan() && back.achieved[0].relative_half_width.is_nan());
        assert_eq!(back.target, p.target);
    }
}
