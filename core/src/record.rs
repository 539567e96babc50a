//! The record stream: what a running model reports, and the catalogue that names it.
//!
//! Domains emit compact [`Record`]s (time, kind, subject, value) into a buffer owned by the
//! engine; the engine flushes full buffers to metric collectors in batches. Collectors never touch
//! the World: the [`Catalogue`] tells them, once at the start, what each kind and subject means.
//!
//! [`Record`] is `#[repr(C)]` and made only of `f64`/`u32` so that it can cross the plugin C ABI
//! unchanged.

use serde::Serialize;

/// One observation made by a model.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Record {
    /// When it was observed [time unit].
    pub time: f64,
    /// Index into [`Catalogue::kinds`].
    pub kind: u32,
    /// Index into the kind's [`KindInfo::subjects`] (0 when the kind has a single subject).
    pub subject: u32,
    /// The observed value; its meaning is given by [`KindInfo::aggregate`].
    pub value: f64,
}

/// How a collector should summarise a record kind over the measurement window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// `value` is the new level of a piecewise-constant quantity (queue length, busy fraction);
    /// the metric is its time average over the window.
    Level,
    /// `value` is one observation (a job's cycle time); the metric is the mean of the
    /// observations made inside the window.
    Sample,
    /// Each record counts one occurrence (a completion); the metric is the number of occurrences
    /// inside the window per time unit.
    Rate,
}

/// Which metrics a kind produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    /// One metric named `metric`, aggregated over all subjects.
    Total,
    /// One metric per subject, named `metric.<subject>`.
    PerSubject,
    /// Both of the above.
    Both,
}

/// The meaning of one record kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindInfo {
    /// Kind name, e.g. `cycle_time`.
    pub name: String,
    /// Base name of the metric it produces, e.g. `cycle_time_mean`.
    pub metric: String,
    /// How it is summarised.
    pub aggregate: Aggregate,
    /// Which metrics it produces.
    pub report: Report,
    /// Subject names, indexed by [`Record::subject`]; one entry for a kind with a single subject.
    pub subjects: Vec<String>,
    /// For a [`Aggregate::Sample`] kind: also report the number of in-window observations per
    /// time unit under this metric name (with the same [`Report`]), so that a model need not
    /// emit a separate [`Aggregate::Rate`] record for every observation.
    pub rate_metric: Option<String>,
}

/// Everything a collector needs to interpret a record stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Catalogue {
    /// Record kinds, indexed by [`Record::kind`].
    pub kinds: Vec<KindInfo>,
}

/// Typed index of a kind in a [`Catalogue`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KindId(pub u32);

impl Catalogue {
    /// Adds a kind and returns its id.
    pub fn add(&mut self, info: KindInfo) -> KindId {
        self.kinds.push(info);
        KindId(u32::try_from(self.kinds.len() - 1).expect("fewer than 2^32 record kinds"))
    }
}
