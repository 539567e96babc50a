//! The collect kind ([`ComponentKind::COLLECTOR`], code 3): a [`Collector`] turns the record
//! stream of one replication into named metrics and time series.
//!
//! Everything of the kind is here: its `#[repr(C)]` records, catalogue, start and sinks, its
//! vtable (which grew in 1.1), the safe trait and views, and the glue thunks. The TOML key is
//! `[[collect]]`, the `export_plugins!` section `collectors`.

use std::ffi::c_void;

use serde::Serialize;

use super::KindSpec;
use crate::abi::{
    ComponentDescriptor, ComponentKind, CreateFn, DestroyFn, ErrorOut, SliceRef, Status, StrRef,
};
use crate::glue::{create, descriptor, destroy, with_instance};
use crate::traits::{Component, PluginError};

impl ComponentKind {
    /// A [`Collector`]; its vtable is a [`CollectorVTable`].
    pub const COLLECTOR: ComponentKind = ComponentKind(3);
}

/// The collect kind, for the tables of kinds.
pub const SPEC: KindSpec = KindSpec {
    kind: ComponentKind::COLLECTOR,
    name: "collector",
    section: "collectors",
    summary: "turns record batches into metrics",
};

/// `size_of::<CollectorVTable>()` in ABI 1.0 (before `declare`): the smallest collector vtable
/// a host accepts.
pub const COLLECTOR_VTABLE_SIZE_1_0: usize = 48;
/// `size_of::<CollectorStart>()` in ABI 1.0 (before `kind_meta`): the smallest start a
/// plugin accepts.
pub const COLLECTOR_START_SIZE_1_0: usize = 40;

/// One observation made by a model: the unit of the record stream collectors receive.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Record {
    /// When it was observed [time unit].
    pub time: f64,
    /// Index into the catalogue's kinds.
    pub kind: u32,
    /// Index into the kind's subjects (0 when the kind has a single subject).
    pub subject: u32,
    /// The observed value; its meaning is given by the kind's aggregate.
    pub value: f64,
}

/// One record kind of a model, as collectors are told at the start.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct KindRecord {
    /// Kind name, e.g. `cycle_time`.
    pub name: StrRef,
    /// Base name of the metric it produces, e.g. `cycle_time_mean`.
    pub metric: StrRef,
    /// Name of the rate metric of a sample kind; empty when none.
    pub rate_metric: StrRef,
    /// 0 = level (time average), 1 = sample (mean), 2 = rate (count per time unit).
    pub aggregate: u32,
    /// 0 = total, 1 = per subject, 2 = both.
    pub report: u32,
    /// Subject names, indexed by [`Record::subject`].
    pub subjects: SliceRef<StrRef>,
}

/// What one record kind measures (ABI 1.1), parallel to [`CollectorStart::kinds`].
///
/// A separate array rather than fields appended to [`KindRecord`]: `KindRecord` is an array
/// element, so its stride is frozen. Unit strings may contain the placeholder `{time}`, which
/// the host replaces with the scenario's time unit (`minute`): a domain cannot know it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct KindMeta {
    /// Unit of the kind's metric values, e.g. `{time}s`, `jobs`, `fraction`; empty if unknown.
    pub unit: StrRef,
    /// What a value is, in words, e.g. `time from arrival to completion`; empty if unknown.
    pub description: StrRef,
    /// Smallest possible record value; NaN when unbounded.
    pub lower: f64,
    /// Largest possible record value; NaN when unbounded.
    pub upper: f64,
    /// Unit of the kind's rate metric (a sample kind's `rate_metric`), e.g. `jobs per {time}`.
    pub rate_unit: StrRef,
    /// What the rate metric counts, e.g. `jobs completed`.
    pub rate_description: StrRef,
}

/// What a collector is told before the first record.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CollectorStart {
    /// `size_of::<CollectorStart>()` as the host compiled it: fields past it are absent (a 1.0
    /// host's `CollectorStart` ends before [`CollectorStart::kind_meta`]).
    pub struct_size: u32,
    /// Reserved, 0.
    pub _reserved: u32,
    /// Start of measurement: the end of the warm-up [time unit].
    pub warmup: f64,
    /// End of the run [time unit].
    pub horizon: f64,
    /// The model's record kinds, indexed by [`Record::kind`].
    pub kinds: SliceRef<KindRecord>,
    /// Since 1.1: what each kind measures, indexed like `kinds` (same length), or empty.
    pub kind_meta: SliceRef<KindMeta>,
}

/// Host callbacks receiving a collector's results at the end of a replication.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MetricSink {
    /// Host state.
    pub ctx: *mut c_void,
    /// A metric with a finite value.
    pub metric: unsafe extern "C" fn(ctx: *mut c_void, name: StrRef, value: f64),
    /// A metric that is undefined in this replication (e.g. a mean over no observations).
    pub undefined: unsafe extern "C" fn(ctx: *mut c_void, name: StrRef),
    /// One point of a time series.
    pub point: unsafe extern "C" fn(ctx: *mut c_void, series: StrRef, time: f64, value: f64),
}

/// Host callback receiving a collector's metric declarations (ABI 1.1).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MetricDeclSink {
    /// Host state.
    pub ctx: *mut c_void,
    /// One declaration: a metric name, or a family `base.*` (`base.<subject>` for every
    /// subject); its unit (may contain `{time}`), its meaning in words, and the bounds of its
    /// values (NaN = unbounded). The host copies the text.
    pub declare: unsafe extern "C" fn(
        ctx: *mut c_void,
        pattern: StrRef,
        unit: StrRef,
        description: StrRef,
        lower: f64,
        upper: f64,
    ),
}

/// Pushes into `sink` every metric the instance would produce for this catalogue and window,
/// without running, and returns [`Status::OK`]; or returns [`Status::UNSUPPORTED`] when the
/// collector does not declare its metrics. See [`CollectorVTable::declare`].
pub type DeclareFn = unsafe extern "C" fn(
    instance: *mut c_void,
    start: *const CollectorStart,
    sink: *const MetricDeclSink,
    err: *mut ErrorOut,
) -> Status;

/// Functions of a collector.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CollectorVTable {
    /// `size_of::<CollectorVTable>()` as the plugin compiled it.
    pub struct_size: usize,
    /// See [`CreateFn`].
    pub create: CreateFn,
    /// See [`DestroyFn`].
    pub destroy: DestroyFn,
    /// Called once before any record.
    pub start: unsafe extern "C" fn(
        instance: *mut c_void,
        start: *const CollectorStart,
        err: *mut ErrorOut,
    ) -> Status,
    /// Called with records in non-decreasing time order.
    pub batch:
        unsafe extern "C" fn(instance: *mut c_void, records: SliceRef<Record>, err: *mut ErrorOut) -> Status,
    /// Called once at the horizon: pushes the metrics (and time series) into `sink`.
    pub finish:
        unsafe extern "C" fn(instance: *mut c_void, sink: *const MetricSink, err: *mut ErrorOut) -> Status,
    /// Since 1.1: declares the metrics the instance will produce (see [`DeclareFn`]). Called on
    /// a fresh instance, before and independently of `start`, so that a scenario can be checked
    /// before anything runs. Absent when `struct_size` ends before it (a 1.0 plugin).
    pub declare: DeclareFn,
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

/// The fields of a host's [`CollectorStart`] that lie inside its `struct_size`.
struct StartView {
    window: Window,
    kinds: SliceRef<KindRecord>,
    /// Empty when the host speaks ABI 1.0 (its struct ends before `kind_meta`).
    meta: SliceRef<KindMeta>,
}

/// Reads a host's [`CollectorStart`] without reading past its `struct_size`: a 1.0 host's
/// struct is shorter than this crate's, so no reference to the whole struct is ever formed.
///
/// # Safety
/// `s` is null or points to a `CollectorStart` prefix of `struct_size` bytes, valid for the call.
unsafe fn read_start(s: *const CollectorStart) -> Result<StartView, PluginError> {
    if s.is_null() {
        return Err(PluginError::invalid_input("null collector start"));
    }
    // SAFETY: every version's struct begins with `struct_size: u32`.
    let size = unsafe { std::ptr::addr_of!((*s).struct_size).read() } as usize;
    if size < COLLECTOR_START_SIZE_1_0 {
        return Err(PluginError::invalid_input(format!(
            "collector start of {size} bytes, expected at least {COLLECTOR_START_SIZE_1_0}"
        )));
    }
    // SAFETY: the 1.0 fields lie inside `size` (checked above); `kind_meta` only when the
    // host's struct reaches its end.
    unsafe {
        let meta = if size >= size_of::<CollectorStart>() {
            std::ptr::addr_of!((*s).kind_meta).read()
        } else {
            SliceRef::new(&[])
        };
        Ok(StartView {
            window: Window {
                warmup: std::ptr::addr_of!((*s).warmup).read(),
                horizon: std::ptr::addr_of!((*s).horizon).read(),
            },
            kinds: std::ptr::addr_of!((*s).kinds).read(),
            meta,
        })
    }
}

/// A bound from the ABI: NaN (and an infinity, which bounds nothing) is none.
fn bound(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Calls `f` with `catalogue` in ABI form: its kinds and (1.1) each kind's meta, whose strings
/// borrow from `catalogue` for the call. What a host hands a collector's `start` and `declare`.
pub fn with_catalogue<R>(catalogue: &Catalogue, f: impl FnOnce(&[KindRecord], &[KindMeta]) -> R) -> R {
    let subjects: Vec<Vec<StrRef>> =
        catalogue.kinds.iter().map(|k| k.subjects.iter().map(|s| StrRef::new(s)).collect()).collect();
    let kinds: Vec<KindRecord> = catalogue
        .kinds
        .iter()
        .zip(&subjects)
        .map(|(k, subjects)| KindRecord {
            name: StrRef::new(&k.name),
            metric: StrRef::new(&k.metric),
            rate_metric: k.rate_metric.as_deref().map_or(StrRef::EMPTY, StrRef::new),
            aggregate: k.aggregate.code(),
            report: k.report.code(),
            subjects: SliceRef::new(subjects),
        })
        .collect();
    let meta: Vec<KindMeta> = catalogue
        .kinds
        .iter()
        .map(|k| KindMeta {
            unit: StrRef::new(&k.unit),
            description: StrRef::new(&k.description),
            lower: k.lower.unwrap_or(f64::NAN),
            upper: k.upper.unwrap_or(f64::NAN),
            rate_unit: StrRef::new(&k.rate_unit),
            rate_description: StrRef::new(&k.rate_description),
        })
        .collect();
    f(&kinds, &meta)
}

/// # Safety
/// The strings and slices of `s` are valid for the call.
unsafe fn catalogue(s: &StartView) -> Result<Catalogue, PluginError> {
    let text = |r: StrRef, what: &str| {
        // SAFETY: by the caller's promise.
        unsafe { r.as_str() }
            .map(str::to_owned)
            .ok_or_else(|| PluginError::invalid_input(format!("{what} is not UTF-8")))
    };
    // SAFETY: by the caller's promise.
    let (records, meta) = unsafe { (s.kinds.as_slice(), s.meta.as_slice()) };
    if !meta.is_empty() && meta.len() != records.len() {
        return Err(PluginError::invalid_input(format!(
            "the host describes {} record kinds but lists {}",
            meta.len(),
            records.len()
        )));
    }
    let mut kinds = Vec::new();
    for (i, k) in records.iter().enumerate() {
        let name = text(k.name, "kind name")?;
        let aggregate = Aggregate::from_code(k.aggregate).ok_or_else(|| {
            PluginError::invalid_input(format!("kind `{name}`: unknown aggregate {}", k.aggregate))
        })?;
        let report = Report::from_code(k.report).ok_or_else(|| {
            PluginError::invalid_input(format!("kind `{name}`: unknown report {}", k.report))
        })?;
        let rate_metric = text(k.rate_metric, "rate metric")?;
        // SAFETY: by the caller's promise.
        let subjects = unsafe { k.subjects.as_slice() }
            .iter()
            .map(|s| text(*s, "subject name"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut info = KindInfo::new(name, text(k.metric, "metric name")?, aggregate, report, subjects);
        info.rate_metric = (!rate_metric.is_empty()).then_some(rate_metric);
        if let Some(m) = meta.get(i) {
            info.unit = text(m.unit, "kind unit")?;
            info.description = text(m.description, "kind description")?;
            info.lower = bound(m.lower);
            info.upper = bound(m.upper);
            info.rate_unit = text(m.rate_unit, "rate unit")?;
            info.rate_description = text(m.rate_description, "rate description")?;
        }
        kinds.push(info);
    }
    Ok(Catalogue { kinds })
}

/// # Safety
/// As documented on [`CollectorVTable::start`].
unsafe extern "C" fn start<T: Collector>(
    inst: *mut c_void,
    s: *const CollectorStart,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        with_instance::<T>(inst, err, "start", |t| {
            let s = read_start(s)?;
            let catalogue = catalogue(&s)?;
            t.start(&catalogue, s.window)
        })
    }
}

/// # Safety
/// As documented on [`CollectorVTable::declare`].
unsafe extern "C" fn declare<T: Collector>(
    inst: *mut c_void,
    s: *const CollectorStart,
    sink: *const MetricDeclSink,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: null or valid for the call.
    let Some(sink) = (unsafe { sink.as_ref() }) else { return Status::INVALID_INPUT };
    let mut declared: Option<Vec<MetricDecl>> = None;
    // SAFETY: forwarded.
    let status = unsafe {
        with_instance::<T>(inst, err, "declare", |t| {
            let s = read_start(s)?;
            let catalogue = catalogue(&s)?;
            declared = t.declare(&catalogue, s.window);
            Ok(())
        })
    };
    if status != Status::OK {
        return status;
    }
    let Some(declared) = declared else { return Status::UNSUPPORTED };
    let nan = |b: Option<f64>| b.unwrap_or(f64::NAN);
    for d in &declared {
        // SAFETY: the host's callback copies borrowed data valid for the call.
        unsafe {
            (sink.declare)(
                sink.ctx,
                StrRef::new(&d.pattern),
                StrRef::new(&d.unit),
                StrRef::new(&d.description),
                nan(d.lower),
                nan(d.upper),
            );
        }
    }
    Status::OK
}

/// # Safety
/// As documented on [`CollectorVTable::batch`].
unsafe extern "C" fn batch<T: Collector>(
    inst: *mut c_void,
    records: SliceRef<Record>,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: forwarded; the records are valid for the call.
    unsafe { with_instance::<T>(inst, err, "batch", |t| t.batch(records.as_slice())) }
}

/// [`Output`] over the host's [`MetricSink`].
struct SinkOutput<'a>(&'a MetricSink);

impl Output for SinkOutput<'_> {
    fn metric(&mut self, name: &str, value: f64) {
        // SAFETY: the host's callbacks copy borrowed data valid for the call.
        unsafe { (self.0.metric)(self.0.ctx, StrRef::new(name), value) }
    }

    fn undefined(&mut self, name: &str) {
        // SAFETY: as above.
        unsafe { (self.0.undefined)(self.0.ctx, StrRef::new(name)) }
    }

    fn point(&mut self, series: &str, time: f64, value: f64) {
        // SAFETY: as above.
        unsafe { (self.0.point)(self.0.ctx, StrRef::new(series), time, value) }
    }
}

/// # Safety
/// As documented on [`CollectorVTable::finish`].
unsafe extern "C" fn finish<T: Collector>(
    inst: *mut c_void,
    sink: *const MetricSink,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: null or valid for the call.
    let Some(sink) = (unsafe { sink.as_ref() }) else { return Status::INVALID_INPUT };
    // SAFETY: forwarded.
    unsafe { with_instance::<T>(inst, err, "finish", |t| t.finish(&mut SinkOutput(sink))) }
}

/// The vtable of a collector type.
pub trait CollectorGlue {
    /// The vtable.
    const VTABLE: CollectorVTable;
}

impl<T: Collector> CollectorGlue for T {
    const VTABLE: CollectorVTable = CollectorVTable {
        struct_size: size_of::<CollectorVTable>(),
        create: create::<T>,
        destroy: destroy::<T>,
        start: start::<T>,
        batch: batch::<T>,
        finish: finish::<T>,
        declare: declare::<T>,
    };
}

/// The descriptor of collector `T`: the `collectors` section of [`crate::export_plugins!`].
pub const fn collectors<T: Collector>() -> ComponentDescriptor {
    descriptor::<T>(
        ComponentKind::COLLECTOR,
        (&<T as CollectorGlue>::VTABLE as *const CollectorVTable).cast(),
    )
}
