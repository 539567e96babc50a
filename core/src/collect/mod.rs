//! Metric collectors: consumers of the record stream.
//!
//! A collector is told the model's [`Catalogue`] and measurement [`Window`] once, then receives
//! record batches in time order, and finally returns named metrics. Collectors never see the
//! World; the interface is shaped so that it can cross the plugin C ABI unchanged. Collectors are
//! plugins (the plugin host implements this trait for each collector instance it loads); the
//! default one, `kpi`, lives in `xinzhi-metrics`. This module sits below the plugin host, so it
//! names nothing of it.

use crate::record::{Catalogue, Record};
use crate::time::SimTime;

/// One named result of one replication, e.g. `utilization.mill = 0.8`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Metric {
    /// Metric name (`base` or `base.subject`).
    pub name: String,
    /// Its value; NaN when undefined (e.g. a mean over no observations).
    pub value: f64,
}

/// One point of a collector's time series.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SeriesPoint {
    /// Series name (usually a metric name).
    pub series: String,
    /// Time of the point [time unit].
    pub time: f64,
    /// Its value.
    pub value: f64,
}

/// What a collector produced at the end of a replication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finished {
    /// Named metrics.
    pub metrics: Vec<Metric>,
    /// Time series points, in the order produced.
    pub series: Vec<SeriesPoint>,
}

/// What a metric means, for glossaries and checks: declared by the collector that produces it.
///
/// `pattern` is a metric name (`throughput`) or a family ending in `.*` (`utilization.*`:
/// `utilization.mill`, `utilization.lathe`, ...). `lower`/`upper` bound the metric's possible
/// values (e.g. `[0, 1]` for a fraction, `[0, ∞)` for a time), so that intervals can be shown
/// within them.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricInfo {
    /// Metric name, or a family `base.*`.
    pub pattern: String,
    /// Unit in words, e.g. `arrivals per minute`, `fraction`, `minutes`; empty when dimensionless.
    pub unit: String,
    /// One sentence of meaning, e.g. `time from arrival to completion, mean over completions`.
    pub description: String,
    /// Smallest possible value, if any.
    pub lower: Option<f64>,
    /// Largest possible value, if any.
    pub upper: Option<f64>,
}

impl MetricInfo {
    /// Whether `metric` is this metric or a member of this family.
    pub fn matches(&self, metric: &str) -> bool {
        match self.pattern.strip_suffix(".*") {
            Some(base) => {
                metric.strip_prefix(base).is_some_and(|rest| rest.starts_with('.') && rest.len() > 1)
            }
            None => self.pattern == metric,
        }
    }
}

/// The part of the run that metrics are measured over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Start of measurement: the end of the warm-up [time unit].
    pub warmup: SimTime,
    /// End of the run [time unit].
    pub horizon: SimTime,
}

impl Window {
    /// Length of the window [time unit].
    pub fn length(&self) -> f64 {
        self.horizon.as_f64() - self.warmup.as_f64()
    }
}

/// A collector failed; fatal for the replication.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("collector `{collector}`: {message}")]
pub struct CollectError {
    /// The collector's name.
    pub collector: String,
    /// What went wrong.
    pub message: String,
}

/// Turns a record stream into metrics.
pub trait Collector: Send {
    /// Name used in messages.
    fn name(&self) -> &str;

    /// Called once before any record.
    ///
    /// # Errors
    /// If the catalogue lacks something the collector needs.
    fn start(&mut self, catalogue: &Catalogue, window: Window) -> Result<(), CollectError>;

    /// Called with records in non-decreasing time order.
    ///
    /// # Errors
    /// If a record is malformed (unknown kind or subject).
    fn batch(&mut self, records: &[Record]) -> Result<(), CollectError>;

    /// Called once at the horizon; returns the metrics (and time series) of this replication.
    ///
    /// # Errors
    /// If the collector cannot produce its metrics.
    fn finish(&mut self) -> Result<Finished, CollectError>;
}

/// A collector that keeps every record of a run, in stream order: for tests that check the
/// record stream itself.
#[cfg(test)]
pub(crate) struct Capture(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<Record>>>);

#[cfg(test)]
impl Collector for Capture {
    fn name(&self) -> &str {
        "capture"
    }
    fn start(&mut self, _: &Catalogue, _: Window) -> Result<(), CollectError> {
        Ok(())
    }
    fn batch(&mut self, records: &[Record]) -> Result<(), CollectError> {
        self.0.lock().expect("not poisoned").extend_from_slice(records);
        Ok(())
    }
    fn finish(&mut self) -> Result<Finished, CollectError> {
        Ok(Finished::default())
    }
}
