//! The safe side: what plugin authors implement and the views they are handed.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::abi::{JobRecord, LogFn, MachineRecord, OperationRecord, Record, Status, StrRef};

/// An error returned by a plugin: a status code and a message for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginError {
    /// What kind of failure.
    pub status: Status,
    /// What went wrong, for the user.
    pub message: String,
}

impl PluginError {
    /// The component's parameters are wrong; name the key.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        PluginError { status: Status::INVALID_CONFIG, message: message.into() }
    }

    /// An input of a call is malformed.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        PluginError { status: Status::INVALID_INPUT, message: message.into() }
    }

    /// The plugin could not do what was asked.
    pub fn failed(message: impl Into<String>) -> Self {
        PluginError { status: Status::FAILED, message: message.into() }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.status.name(), self.message)
    }
}

impl std::error::Error for PluginError {}

/// A component's parameters: the scenario's TOML table for it (minus `plugin`), as JSON.
#[derive(Clone, Copy, Debug)]
pub struct Config<'a> {
    json: &'a str,
}

impl<'a> Config<'a> {
    /// Parameters given as JSON object text (`{}` when none).
    pub fn new(json: &'a str) -> Self {
        Config { json }
    }

    /// The raw JSON text.
    pub fn json(&self) -> &'a str {
        self.json
    }

    /// Deserializes the parameters. Use `#[serde(deny_unknown_fields)]` so that typos are errors;
    /// the message names the key, e.g. ``unknown field `kk`, expected `k` ``.
    ///
    /// # Errors
    /// [`Status::INVALID_CONFIG`] if the parameters do not fit `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        let text = if self.json.trim().is_empty() { "{}" } else { self.json };
        serde_json::from_str(text).map_err(|e| {
            // The host passes one line of JSON it generated: the position means nothing to users.
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_owned(),
                None => message,
            };
            PluginError::invalid_config(message)
        })
    }
}

/// Severity of a log message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum LogLevel {
    /// Something the user should act on.
    Warn = 1,
    /// Progress and facts.
    Info = 2,
    /// Details for plugin authors.
    Debug = 3,
}

/// Services the host offers a component: its seed and a logger. Cheap to clone; keep it if you
/// log during calls.
#[derive(Clone, Copy)]
pub struct Host {
    seed: u64,
    replication: u32,
    log: Option<LogFn>,
    component: &'static str,
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host").field("seed", &self.seed).field("replication", &self.replication).finish()
    }
}

impl Host {
    /// Services without a logger, for tests of a component outside a host.
    pub fn detached(seed: u64) -> Self {
        Host { seed, replication: 0, log: None, component: "" }
    }

    pub(crate) fn from_ffi(seed: u64, replication: u32, log: Option<LogFn>, component: &'static str) -> Self {
        Host { seed, replication, log, component }
    }

    /// Seed for this instance's randomness: the same scenario, seed and replication give the same
    /// value, so a randomised plugin is reproducible.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Index of the replication this instance serves.
    pub fn replication(&self) -> u32 {
        self.replication
    }

    /// Sends a message to the host's log.
    pub fn log(&self, level: LogLevel, message: &str) {
        if let Some(log) = self.log {
            // SAFETY: the host's callback takes borrowed UTF-8 valid for the call.
            unsafe { log(level as u32, StrRef::new(self.component), StrRef::new(message)) };
        }
    }
}

/// What every plugin component has: a name, documentation and a constructor.
pub trait Component: Sized + Send + 'static {
    /// Name used in scenarios, e.g. `spt`; unique within the crate.
    const NAME: &'static str;
    /// One line for `xinzhi plugins`.
    const DESCRIPTION: &'static str;
    /// The accepted parameters, one per line: `name: meaning (type, default)`; empty if none.
    const PARAMETERS: &'static str = "";

    /// Builds an instance from its parameters.
    ///
    /// # Errors
    /// [`PluginError::invalid_config`] naming the offending key.
    fn new(config: &Config<'_>, host: &Host) -> Result<Self, PluginError>;
}

/// A scheduler's view of one decision: the waiting jobs of a station and its machines.
#[derive(Clone, Copy, Debug)]
pub struct Snapshot<'a> {
    /// Index of the station.
    pub station: u32,
    /// Current simulated time [time unit].
    pub now: f64,
    /// Waiting jobs in arrival order; never empty.
    pub jobs: &'a [JobRecord],
    /// Remaining operations of all jobs; see [`Snapshot::remaining`].
    pub ops: &'a [OperationRecord],
    /// The station's machines.
    pub machines: &'a [MachineRecord],
}

impl<'a> Snapshot<'a> {
    /// The operations `job` still has to do after this one (empty if it leaves afterwards).
    pub fn remaining(&self, job: &JobRecord) -> &'a [OperationRecord] {
        let start = job.ops_start as usize;
        self.ops.get(start..start + job.ops_len as usize).unwrap_or(&[])
    }

    /// Number of idle machines.
    pub fn idle_machines(&self) -> usize {
        self.machines.iter().filter(|m| m.state == MachineRecord::IDLE).count()
    }
}

/// A scheduler's answer: indices into [`Snapshot::jobs`], first to start first. Writing the
/// first choice is enough; the host validates (in range, no duplicates, at least one).
#[derive(Debug)]
pub struct Order<'a> {
    buf: &'a mut [u32],
    len: usize,
}

impl<'a> Order<'a> {
    /// An empty order writing into `buf` (capacity = number of jobs).
    pub fn new(buf: &'a mut [u32]) -> Self {
        Order { buf, len: 0 }
    }

    /// Appends job index `i`.
    ///
    /// # Errors
    /// [`Status::BUFFER_TOO_SMALL`] if the order already holds one index per job.
    pub fn push(&mut self, i: u32) -> Result<(), PluginError> {
        let Some(slot) = self.buf.get_mut(self.len) else {
            return Err(PluginError {
                status: Status::BUFFER_TOO_SMALL,
                message: format!("order longer than the {} waiting jobs", self.buf.len()),
            });
        };
        *slot = i;
        self.len += 1;
        Ok(())
    }

    /// Fills the order with `0, 1, …, n-1` (every job, in arrival order), for sorting in place
    /// with [`Order::as_mut_slice`].
    pub fn fill_arrival_order(&mut self) {
        for (i, slot) in self.buf.iter_mut().enumerate() {
            *slot = u32::try_from(i).unwrap_or(u32::MAX);
        }
        self.len = self.buf.len();
    }

    /// The indices written so far.
    pub fn as_slice(&self) -> &[u32] {
        &self.buf[..self.len]
    }

    /// The indices written so far, to reorder in place.
    pub fn as_mut_slice(&mut self) -> &mut [u32] {
        &mut self.buf[..self.len]
    }

    /// Number of indices written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Chooses which waiting job a station processes next.
pub trait Scheduler: Component {
    /// Writes job indices into `order`, best first.
    ///
    /// # Errors
    /// Any failure; the host stops the replication and names the plugin.
    fn schedule(&mut self, snapshot: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError>;
}

/// A row-major matrix view: one row per observation.
#[derive(Clone, Copy, Debug)]
pub struct Matrix<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
}

impl<'a> Matrix<'a> {
    /// A view of `data` as `rows × cols`.
    ///
    /// # Errors
    /// [`Status::INVALID_INPUT`] if `data.len() != rows * cols`.
    pub fn new(data: &'a [f64], rows: usize, cols: usize) -> Result<Self, PluginError> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(PluginError::invalid_input(format!(
                "matrix of {rows} × {cols} given {} values",
                data.len()
            )));
        }
        Ok(Matrix { data, rows, cols })
    }

    /// Number of rows (observations).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (features).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// All values, row after row.
    pub fn data(&self) -> &'a [f64] {
        self.data
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i >= rows`.
    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// Learns from observations and predicts.
pub trait Predictor: Component {
    /// Fits to `x` (one row per observation) and targets `y` (`y.len() == x.rows()`, checked by
    /// the glue).
    ///
    /// # Errors
    /// Inputs the model cannot use (too few rows, wrong width, non-finite values...).
    fn fit(&mut self, x: Matrix<'_>, y: &[f64]) -> Result<(), PluginError>;

    /// Writes one prediction per row of `x` into `out` (`out.len() == x.rows()`); predictions
    /// must be finite (the host checks).
    ///
    /// # Errors
    /// If not fitted, or `x` has the wrong width.
    fn predict(&mut self, x: Matrix<'_>, out: &mut [f64]) -> Result<(), PluginError>;
}

/// How a record kind is summarised over the measurement window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// `value` is the new level of a piecewise-constant quantity (queue length, busy fraction);
    /// the metric is its time average over the window.
    Level,
    /// `value` is one observation (a job's cycle time); the metric is the mean of the
    /// observations made inside the window.
    Sample,
    /// Each record counts one occurrence; the metric is the number of occurrences inside the
    /// window per time unit.
    Rate,
}

impl Aggregate {
    /// The ABI code.
    pub fn code(self) -> u32 {
        match self {
            Aggregate::Level => 0,
            Aggregate::Sample => 1,
            Aggregate::Rate => 2,
        }
    }

    /// From the ABI code; `None` for a code this crate does not know.
    pub fn from_code(code: u32) -> Option<Self> {
        [Aggregate::Level, Aggregate::Sample, Aggregate::Rate].get(code as usize).copied()
    }
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

impl Report {
    /// The ABI code.
    pub fn code(self) -> u32 {
        match self {
            Report::Total => 0,
            Report::PerSubject => 1,
            Report::Both => 2,
        }
    }

    /// From the ABI code; `None` for a code this crate does not know.
    pub fn from_code(code: u32) -> Option<Self> {
        [Report::Total, Report::PerSubject, Report::Both].get(code as usize).copied()
    }

    /// Whether the all-subjects metric is reported.
    pub fn total(self) -> bool {
        matches!(self, Report::Total | Report::Both)
    }

    /// Whether per-subject metrics are reported.
    pub fn per_subject(self) -> bool {
        matches!(self, Report::PerSubject | Report::Both)
    }
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
    /// time unit under this metric name (with the same [`Report`]).
    pub rate_metric: Option<String>,
    /// Unit of the kind's metric values (of a record's value for levels and samples, of the
    /// rate for rate kinds), e.g. `{time}s`, `jobs`, `fraction`; empty if not given. `{time}`
    /// stands for the scenario's time unit, which the host fills in (a domain cannot know it).
    pub unit: String,
    /// What a value is, as a noun phrase, e.g. `the time from a job's arrival to its
    /// completion`; empty if not given. Collectors add how they aggregate it ("time-average of
    /// …", "…, averaged over the measurement window").
    pub description: String,
    /// Smallest possible record value, if bounded (e.g. 0 for a count or a time).
    pub lower: Option<f64>,
    /// Largest possible record value, if bounded (e.g. 1 for a fraction).
    pub upper: Option<f64>,
    /// Unit of the rate metric, e.g. `jobs per {time}`; empty if not given.
    pub rate_unit: String,
    /// What the rate metric counts, e.g. `jobs completed`; empty if not given.
    pub rate_description: String,
}

impl KindInfo {
    /// A kind without a rate metric, unit, meaning or bounds; add them with the other methods.
    pub fn new(
        name: impl Into<String>,
        metric: impl Into<String>,
        aggregate: Aggregate,
        report: Report,
        subjects: Vec<String>,
    ) -> Self {
        KindInfo {
            name: name.into(),
            metric: metric.into(),
            aggregate,
            report,
            subjects,
            rate_metric: None,
            unit: String::new(),
            description: String::new(),
            lower: None,
            upper: None,
            rate_unit: String::new(),
            rate_description: String::new(),
        }
    }

    /// Sets the unit (may contain `{time}`) and the meaning in words.
    #[must_use]
    pub fn meaning(mut self, unit: impl Into<String>, description: impl Into<String>) -> Self {
        self.unit = unit.into();
        self.description = description.into();
        self
    }

    /// Sets the bounds of a record's value (`None`: unbounded on that side).
    #[must_use]
    pub fn bounds(mut self, lower: Option<f64>, upper: Option<f64>) -> Self {
        self.lower = lower;
        self.upper = upper;
        self
    }

    /// Sets the rate metric of a sample kind, with its unit and what it counts.
    #[must_use]
    pub fn rate(
        mut self,
        metric: impl Into<String>,
        unit: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.rate_metric = Some(metric.into());
        self.rate_unit = unit.into();
        self.rate_description = description.into();
        self
    }
}

/// Everything a collector needs to interpret a record stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Catalogue {
    /// Record kinds, indexed by [`Record::kind`].
    pub kinds: Vec<KindInfo>,
}

impl Catalogue {
    /// The kind named `name`, with its index.
    pub fn kind(&self, name: &str) -> Option<(u32, &KindInfo)> {
        self.kinds.iter().enumerate().find(|(_, k)| k.name == name).map(|(i, k)| (i as u32, k))
    }
}

/// The measurement window of a replication.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Start of measurement: the end of the warm-up [time unit].
    pub warmup: f64,
    /// End of the run [time unit].
    pub horizon: f64,
}

impl Window {
    /// Length of the window [time unit].
    pub fn length(&self) -> f64 {
        self.horizon - self.warmup
    }
}

/// Where a collector puts its results.
pub trait Output {
    /// A metric with a finite value (a non-finite value is a fault the host reports).
    fn metric(&mut self, name: &str, value: f64);
    /// A metric that is undefined in this replication (e.g. a mean over no observations).
    fn undefined(&mut self, name: &str);
    /// One point of a time series, written to `timeseries.csv`.
    fn point(&mut self, series: &str, time: f64, value: f64);
}

/// A metric (or a family of metrics) a collector will produce, with what it means: what the
/// host checks names against before running (a precision target naming a metric nobody
/// produces is an error up front) and what reports show in their glossary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricDecl {
    /// A metric name (`throughput`), or a family `base.*` standing for `base.<subject>`.
    pub pattern: String,
    /// Unit in words, e.g. `jobs per {time}`, `fraction`; `{time}` is the scenario's time unit
    /// (the host fills it in); empty when dimensionless.
    pub unit: String,
    /// Meaning in one phrase, including how it is aggregated, e.g. `the time from a job's
    /// arrival to its completion, averaged over the measurement window`.
    pub description: String,
    /// Smallest possible value, if bounded.
    pub lower: Option<f64>,
    /// Largest possible value, if bounded.
    pub upper: Option<f64>,
}

impl MetricDecl {
    /// An unbounded metric.
    pub fn new(pattern: impl Into<String>, unit: impl Into<String>, description: impl Into<String>) -> Self {
        MetricDecl {
            pattern: pattern.into(),
            unit: unit.into(),
            description: description.into(),
            lower: None,
            upper: None,
        }
    }

    /// Sets the bounds (`None`: unbounded on that side).
    #[must_use]
    pub fn bounds(mut self, lower: Option<f64>, upper: Option<f64>) -> Self {
        self.lower = lower;
        self.upper = upper;
        self
    }
}

/// Turns the record stream of one replication into named metrics.
pub trait Collector: Component {
    /// Every metric this instance would produce for `catalogue` and `window`, without running:
    /// exact names, or families `base.*`. Called on a fresh instance (never started), before
    /// anything runs, so it must depend only on the parameters and its arguments.
    ///
    /// `Some(vec![])` says "no metrics" (e.g. a collector of time series only). The default,
    /// `None`, says "not declared": the host then treats this collector as one built against
    /// ABI 1.0, which cannot declare, and skips the up-front checks that need every
    /// collector's declarations. (A default of "no metrics" would make every collector written
    /// before declarations existed look as if it produced nothing, and a precision target on
    /// one of its metrics would be refused.)
    fn declare(&self, catalogue: &Catalogue, window: Window) -> Option<Vec<MetricDecl>> {
        let _ = (catalogue, window);
        None
    }

    /// Called once before any record.
    ///
    /// # Errors
    /// If the catalogue lacks something the collector needs.
    fn start(&mut self, catalogue: &Catalogue, window: Window) -> Result<(), PluginError>;

    /// Called with records in non-decreasing time order.
    ///
    /// # Errors
    /// If a record is malformed.
    fn batch(&mut self, records: &[Record]) -> Result<(), PluginError>;

    /// Called once at the horizon.
    ///
    /// # Errors
    /// If the collector cannot produce its metrics.
    fn finish(&mut self, out: &mut dyn Output) -> Result<(), PluginError>;
}
