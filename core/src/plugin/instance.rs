//! Live plugin instances: safe wrappers that call through the vtables, keep their library alive,
//! turn statuses into errors, poison panicked instances and validate every output.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

use xinzhi_plugin::abi::{
    CollectorStart, DestroyFn, ErrorOut, HostServices, JobRecord, MachineRecord, MatrixRef, MetricDeclSink,
    MetricSink, OperationRecord, PredictorVTable, SchedulerVTable, SchedulingSnapshot, SliceRef, Status,
    StrRef,
};

use super::library::{CollectorFns, PluginLib, VTable};
use super::{CallError, Component};
use crate::collect::{CollectError, Collector, Finished, Metric, MetricInfo, SeriesPoint, Window};
use crate::record::{Catalogue, Record};
use crate::time::TimeUnit;

/// What the host gives an instance at creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Services {
    /// Seed of the instance's randomness.
    pub seed: u64,
    /// Replication index, for messages.
    pub replication: u32,
}

/// Host callback: appends a plugin's error message to the `String` behind `ctx`.
unsafe extern "C" fn write_error(ctx: *mut c_void, message: StrRef) {
    // SAFETY: `ctx` is the `String` the host passed for this call; the message is valid for it.
    let (Some(out), bytes) = (unsafe { ctx.cast::<String>().as_mut() }, unsafe { bytes(message) }) else {
        return;
    };
    out.push_str(&String::from_utf8_lossy(bytes));
}

/// # Safety
/// `s` is valid for the current call.
unsafe fn bytes<'a>(s: StrRef) -> &'a [u8] {
    if s.ptr.is_null() || s.len == 0 {
        return &[];
    }
    // SAFETY: by the caller's promise.
    unsafe { std::slice::from_raw_parts(s.ptr, s.len) }
}

/// Host callback: a plugin's log line, to stderr. Never panics (a failed write is ignored).
unsafe extern "C" fn log(level: u32, component: StrRef, message: StrRef) {
    use std::io::Write;
    let level = match level {
        1 => "warning",
        2 => "info",
        _ => "debug",
    };
    // SAFETY: both are valid for the call.
    let (component, message) = unsafe { (bytes(component), bytes(message)) };
    let _ = writeln!(
        std::io::stderr().lock(),
        "{level}: plugin `{}`: {}",
        String::from_utf8_lossy(component),
        String::from_utf8_lossy(message)
    );
}

/// The part every instance has: the opaque pointer, its destructor, the library it came from.
struct RawInstance {
    inst: NonNull<c_void>,
    destroy: DestroyFn,
    poisoned: bool,
    /// Qualified name for messages.
    name: String,
    /// Keeps the code behind `destroy` and the vtables alive; dropped after `destroy` ran.
    _lib: Arc<PluginLib>,
}

// SAFETY: plugin components are `Send` (a bound of the author traits), and every call takes
// `&mut self`, so an instance is never used from two threads at once.
unsafe impl Send for RawInstance {}
// SAFETY: as above: no `&self` method calls into the plugin.
unsafe impl Sync for RawInstance {}

impl Drop for RawInstance {
    fn drop(&mut self) {
        // SAFETY: made by this vtable's `create`, destroyed exactly once.
        unsafe { (self.destroy)(self.inst.as_ptr()) }
    }
}

impl RawInstance {
    /// Calls `f` with an error buffer and turns its status into a result; poisons on panic.
    fn call(
        &mut self,
        call: &'static str,
        f: impl FnOnce(*mut c_void, *mut ErrorOut) -> Status,
    ) -> Result<(), CallError> {
        if self.poisoned {
            return Err(self.error(call, Some(Status::POISONED), "the instance panicked earlier"));
        }
        let mut message = String::new();
        let mut err = ErrorOut { ctx: (&raw mut message).cast(), write: write_error };
        let status = f(self.inst.as_ptr(), &raw mut err);
        if status == Status::OK {
            return Ok(());
        }
        if status == Status::PANICKED {
            self.poisoned = true;
        }
        Err(self.error(call, Some(status), message))
    }

    fn error(&self, call: &'static str, status: Option<Status>, message: impl Into<String>) -> CallError {
        CallError { plugin: self.name.clone(), call, status, message: message.into() }
    }
}

/// Creates an instance of `component` through `create`.
fn create(
    component: &Component,
    create: xinzhi_plugin::abi::CreateFn,
    destroy: DestroyFn,
    params_json: &str,
    services: Services,
) -> Result<RawInstance, CallError> {
    let host = HostServices {
        struct_size: size_of::<HostServices>() as u32,
        replication: services.replication,
        seed: services.seed,
        log,
    };
    let mut message = String::new();
    let mut err = ErrorOut { ctx: (&raw mut message).cast(), write: write_error };
    let mut out: *mut c_void = std::ptr::null_mut();
    // SAFETY: the vtable's `create` with valid inputs for the call.
    let status = unsafe { create(StrRef::new(params_json), &raw const host, &raw mut out, &raw mut err) };
    let name = component.qualified_name();
    let fail =
        |status, message| CallError { plugin: name.clone(), call: "create", status: Some(status), message };
    if status != Status::OK {
        return Err(fail(status, message));
    }
    let Some(inst) = NonNull::new(out) else {
        return Err(fail(Status::FAILED, "reported success but returned no instance".into()));
    };
    Ok(RawInstance { inst, destroy, poisoned: false, name, _lib: Arc::clone(component.library()) })
}

/// A scheduler instance.
pub struct SchedulerInstance {
    raw: RawInstance,
    vt: &'static SchedulerVTable,
    /// Output buffer handed to the plugin; grows to the longest queue seen.
    order: Vec<u32>,
    /// Scratch bitset for the duplicate check.
    seen: Vec<u64>,
}

impl std::fmt::Debug for SchedulerInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerInstance").field("plugin", &self.raw.name).finish_non_exhaustive()
    }
}

/// The jobs and machines of one scheduling decision.
#[derive(Clone, Copy, Debug)]
pub struct Decision<'a> {
    /// Station index.
    pub station: u32,
    /// Current time [time unit].
    pub now: f64,
    /// Waiting jobs, in arrival order; not empty.
    pub jobs: &'a [JobRecord],
    /// Their remaining operations.
    pub ops: &'a [OperationRecord],
    /// The station's machines.
    pub machines: &'a [MachineRecord],
}

impl SchedulerInstance {
    /// Whether `order[..len]` (indices known to be `< n`) repeats an index: the bits set must
    /// number `len`. Branch-free per index, with the common n ≤ 64 case in one register.
    fn has_duplicates(&mut self, n: usize, len: usize) -> bool {
        let order = &self.order[..len];
        if n <= 64 {
            let mask = order.iter().fold(0u64, |m, &i| m | 1 << i);
            return mask.count_ones() as usize != len;
        }
        self.seen.clear();
        self.seen.resize(n.div_ceil(64), 0);
        for &i in order {
            self.seen[i as usize / 64] |= 1 << (i % 64);
        }
        self.seen.iter().map(|w| w.count_ones() as usize).sum::<usize>() != len
    }

    /// The plugin's qualified name.
    pub fn name(&self) -> &str {
        &self.raw.name
    }

    /// Asks for an order of `decision.jobs` and returns the validated indices (at least one,
    /// each in range, no duplicates), first choice first.
    ///
    /// # Errors
    /// The plugin's own error, a panic, or an invalid answer.
    pub fn schedule(&mut self, decision: &Decision<'_>) -> Result<&[u32], CallError> {
        let n = decision.jobs.len();
        // The output buffer only grows: no per-call clearing (the plugin reports what it wrote).
        if self.order.len() < n {
            self.order.resize(n, 0);
        }
        let snapshot = SchedulingSnapshot {
            struct_size: size_of::<SchedulingSnapshot>() as u32,
            station: decision.station,
            now: decision.now,
            jobs: SliceRef::new(decision.jobs),
            ops: SliceRef::new(decision.ops),
            machines: SliceRef::new(decision.machines),
        };
        let mut len = 0usize;
        let vt = self.vt;
        let buf = self.order.as_mut_ptr();
        self.raw.call("schedule", |inst, err| {
            // SAFETY: inputs valid for the call; `buf` holds at least `n` initialised u32s.
            unsafe { (vt.schedule)(inst, &raw const snapshot, buf, n, &raw mut len, err) }
        })?;
        if len == 0 || len > n {
            return Err(self.raw.error(
                "schedule",
                None,
                format!("returned {len} indices for {n} waiting jobs (expected 1 to {n})"),
            ));
        }
        let order = &self.order[..len];
        if let Some(&i) = order.iter().find(|&&i| i as usize >= n) {
            return Err(self.raw.error(
                "schedule",
                None,
                format!("returned job index {i}, but only {n} jobs wait (indices 0 to {})", n - 1),
            ));
        }
        if len > 1 && self.has_duplicates(n, len) {
            // Cold path: find the first repeated index for the message.
            let order = &self.order[..len];
            let twice =
                order.iter().enumerate().find(|(k, i)| order[..*k].contains(i)).map_or(0, |(_, &i)| i);
            return Err(self.raw.error("schedule", None, format!("returned job index {twice} twice")));
        }
        Ok(&self.order[..len])
    }
}

/// A predictor instance.
pub struct PredictorInstance {
    raw: RawInstance,
    vt: &'static PredictorVTable,
}

impl std::fmt::Debug for PredictorInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PredictorInstance").field("plugin", &self.raw.name).finish_non_exhaustive()
    }
}

impl PredictorInstance {
    fn matrix(&self, call: &'static str, x: &[f64], cols: usize) -> Result<MatrixRef, CallError> {
        if cols == 0 || !x.len().is_multiple_of(cols) {
            return Err(self.raw.error(call, None, format!("{} values do not fill rows of {cols}", x.len())));
        }
        Ok(MatrixRef { data: x.as_ptr(), rows: x.len() / cols, cols })
    }

    /// Fits to the row-major matrix `x` (`cols` columns) and targets `y` (one per row).
    ///
    /// # Errors
    /// Shape mismatch, or the plugin's error or panic.
    pub fn fit(&mut self, x: &[f64], cols: usize, y: &[f64]) -> Result<(), CallError> {
        let m = self.matrix("fit", x, cols)?;
        if y.len() != m.rows {
            return Err(self.raw.error("fit", None, format!("{} targets for {} rows", y.len(), m.rows)));
        }
        let vt = self.vt;
        // SAFETY: inputs valid for the call.
        self.raw.call("fit", |inst, err| {
            // SAFETY: inputs valid for the call.
            unsafe { (vt.fit)(inst, m, SliceRef::new(y), err) }
        })
    }

    /// Predicts one value per row of `x`; every prediction must be finite.
    ///
    /// # Errors
    /// Shape mismatch, the plugin's error or panic, or a non-finite prediction.
    pub fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<f64>, CallError> {
        let m = self.matrix("predict", x, cols)?;
        let mut out = vec![0.0; m.rows];
        let vt = self.vt;
        let (buf, len) = (out.as_mut_ptr(), out.len());
        // SAFETY: inputs valid for the call; `buf` holds `len` values.
        self.raw.call("predict", |inst, err| {
            // SAFETY: inputs valid for the call; `buf` holds `len` values.
            unsafe { (vt.predict)(inst, m, buf, len, err) }
        })?;
        if let Some((row, v)) = out.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(self.raw.error("predict", None, format!("predicted {v} for row {row}")));
        }
        Ok(out)
    }
}

/// A collector instance; implements the engine's [`Collector`].
pub struct CollectorInstance {
    raw: RawInstance,
    vt: CollectorFns,
}

impl std::fmt::Debug for CollectorInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectorInstance").field("plugin", &self.raw.name).finish_non_exhaustive()
    }
}

/// What the metric sink callbacks collect.
#[derive(Default)]
struct SinkState {
    out: Finished,
    /// The first invalid output, if any.
    bad: Option<String>,
}

impl SinkState {
    fn name(&mut self, s: StrRef, what: &str) -> Option<String> {
        // SAFETY: valid for the call.
        match std::str::from_utf8(unsafe { bytes(s) }) {
            Ok(name) if !name.is_empty() => Some(name.to_owned()),
            _ => {
                self.bad.get_or_insert_with(|| format!("a {what} name that is empty or not UTF-8"));
                None
            }
        }
    }
}

/// # Safety
/// `ctx` is the `SinkState` of the current `finish` call.
unsafe fn sink<'a>(ctx: *mut c_void) -> Option<&'a mut SinkState> {
    // SAFETY: by the caller's promise.
    unsafe { ctx.cast::<SinkState>().as_mut() }
}

unsafe extern "C" fn sink_metric(ctx: *mut c_void, name: StrRef, value: f64) {
    // SAFETY: the host's own context for this call.
    let Some(s) = (unsafe { sink(ctx) }) else { return };
    let Some(name) = s.name(name, "metric") else { return };
    if value.is_finite() {
        s.out.metrics.push(Metric { name, value });
    } else {
        s.bad.get_or_insert_with(|| format!("metric `{name}` = {value} (not finite)"));
    }
}

unsafe extern "C" fn sink_undefined(ctx: *mut c_void, name: StrRef) {
    // SAFETY: the host's own context for this call.
    let Some(s) = (unsafe { sink(ctx) }) else { return };
    if let Some(name) = s.name(name, "metric") {
        s.out.metrics.push(Metric { name, value: f64::NAN });
    }
}

unsafe extern "C" fn sink_point(ctx: *mut c_void, series: StrRef, time: f64, value: f64) {
    // SAFETY: the host's own context for this call.
    let Some(s) = (unsafe { sink(ctx) }) else { return };
    let Some(series) = s.name(series, "series") else { return };
    if time.is_finite() && value.is_finite() {
        s.out.series.push(SeriesPoint { series, time, value });
    } else {
        s.bad.get_or_insert_with(|| format!("series `{series}` point ({time}, {value}) (not finite)"));
    }
}

/// Calls `f` with the [`CollectorStart`] of `catalogue` and `window` (1.1: with each kind's
/// meta), whose strings borrow from `catalogue` for the call.
fn with_start<R>(catalogue: &Catalogue, window: Window, f: impl FnOnce(&CollectorStart) -> R) -> R {
    xinzhi_plugin::glue::with_catalogue(catalogue, |kinds, meta| {
        let start = CollectorStart {
            struct_size: size_of::<CollectorStart>() as u32,
            _reserved: 0,
            warmup: window.warmup.as_f64(),
            horizon: window.horizon.as_f64(),
            kinds: SliceRef::new(kinds),
            kind_meta: SliceRef::new(meta),
        };
        f(&start)
    })
}

/// What the declaration sink callback collects.
struct DeclState {
    out: Vec<MetricInfo>,
    /// The first invalid declaration, if any.
    bad: Option<String>,
}

/// Host callback: one metric declaration, checked and copied.
unsafe extern "C" fn sink_declare(
    ctx: *mut c_void,
    pattern: StrRef,
    unit: StrRef,
    description: StrRef,
    lower: f64,
    upper: f64,
) {
    // SAFETY: `ctx` is the `DeclState` of the current `declare` call.
    let Some(s) = (unsafe { ctx.cast::<DeclState>().as_mut() }) else { return };
    // SAFETY: valid for the call.
    let text = |r: StrRef| std::str::from_utf8(unsafe { bytes(r) }).ok().map(str::to_owned);
    let (Some(pattern), Some(unit), Some(description)) = (text(pattern), text(unit), text(description))
    else {
        s.bad.get_or_insert_with(|| "a declaration whose text is not UTF-8".to_owned());
        return;
    };
    match check_declaration(&pattern, lower, upper) {
        Ok((lower, upper)) => s.out.push(MetricInfo { pattern, unit, description, lower, upper }),
        Err(e) => {
            s.bad.get_or_insert(e);
        }
    }
}

/// A declared pattern is a metric name or `base.*`; bounds are NaN (none) or ordered numbers.
/// Returns the bounds (an infinite bound bounds nothing, so it is none).
fn check_declaration(pattern: &str, lower: f64, upper: f64) -> Result<(Option<f64>, Option<f64>), String> {
    let base = pattern.strip_suffix(".*").unwrap_or(pattern);
    if base.is_empty() || base.contains('*') || base.chars().any(char::is_whitespace) {
        return Err(format!(
            "a metric pattern `{pattern}` (expected a metric name, or a family `name.*`, without spaces)"
        ));
    }
    let (lo, hi) = (lower.is_finite().then_some(lower), upper.is_finite().then_some(upper));
    if lower == f64::INFINITY || upper == f64::NEG_INFINITY || matches!((lo, hi), (Some(l), Some(h)) if l > h)
    {
        return Err(format!("metric `{pattern}` with bounds [{lower}, {upper}] (lower above upper)"));
    }
    Ok((lo, hi))
}

/// The scenario's time unit in place of `{time}`: `{time}s` → `minutes`, `jobs per {time}` →
/// `jobs per minute`.
fn fill_time(text: &str, unit: TimeUnit) -> String {
    text.replace("{time}", unit.name())
}

impl CollectorInstance {
    fn collect_error(&self, e: CallError) -> CollectError {
        CollectError { collector: self.raw.name.clone(), message: e.to_string() }
    }

    /// Every metric this instance would produce for `catalogue` and `window`, without running
    /// (names, or families `base.*`), with `{time}` in units and descriptions replaced by
    /// `time_unit`'s name. `None` when the collector does not declare its metrics (built
    /// against plugin ABI 1.0, or it does not implement `declare`).
    ///
    /// # Errors
    /// The plugin's error or panic, or a malformed declaration.
    pub fn declare(
        &mut self,
        catalogue: &Catalogue,
        window: Window,
        time_unit: TimeUnit,
    ) -> Result<Option<Vec<MetricInfo>>, CallError> {
        let Some(declare) = self.vt.declare else { return Ok(None) };
        let mut state = DeclState { out: Vec::new(), bad: None };
        let sink = MetricDeclSink { ctx: (&raw mut state).cast(), declare: sink_declare };
        let result = with_start(catalogue, window, |start| {
            self.raw.call("declare", |inst, err| {
                // SAFETY: the start, the sink and its state live through the call.
                unsafe { declare(inst, start, &raw const sink, err) }
            })
        });
        match result {
            Ok(()) => {}
            Err(CallError { status: Some(Status::UNSUPPORTED), .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
        if let Some(bad) = state.bad {
            return Err(self.raw.error("declare", None, format!("declared {bad}")));
        }
        Ok(Some(
            state
                .out
                .into_iter()
                .map(|m| MetricInfo {
                    unit: fill_time(&m.unit, time_unit),
                    description: fill_time(&m.description, time_unit),
                    ..m
                })
                .collect(),
        ))
    }
}

impl Collector for CollectorInstance {
    fn name(&self) -> &str {
        &self.raw.name
    }

    fn start(&mut self, catalogue: &Catalogue, window: Window) -> Result<(), CollectError> {
        let vt = self.vt;
        // SAFETY: inputs (and the strings they borrow) valid for the call.
        with_start(catalogue, window, |start| {
            self.raw.call("start", |inst, err| {
                // SAFETY: inputs (and the strings they borrow) valid for the call.
                unsafe { (vt.start)(inst, start, err) }
            })
        })
        .map_err(|e| self.collect_error(e))
    }

    fn batch(&mut self, records: &[Record]) -> Result<(), CollectError> {
        let vt = self.vt;
        // SAFETY: records valid for the call.
        self.raw
            .call("batch", |inst, err| {
                // SAFETY: records valid for the call.
                unsafe { (vt.batch)(inst, SliceRef::new(records), err) }
            })
            .map_err(|e| self.collect_error(e))
    }

    fn finish(&mut self) -> Result<Finished, CollectError> {
        let mut state = SinkState::default();
        let sink = MetricSink {
            ctx: (&raw mut state).cast(),
            metric: sink_metric,
            undefined: sink_undefined,
            point: sink_point,
        };
        let vt = self.vt;
        // SAFETY: the sink and its state live through the call.
        self.raw
            .call("finish", |inst, err| {
                // SAFETY: the sink and its state live through the call.
                unsafe { (vt.finish)(inst, &raw const sink, err) }
            })
            .map_err(|e| self.collect_error(e))?;
        if let Some(bad) = state.bad {
            return Err(self.collect_error(self.raw.error("finish", None, format!("reported {bad}"))));
        }
        Ok(state.out)
    }
}

impl Component {
    fn wrong_kind(&self, expected: &str) -> CallError {
        CallError {
            plugin: self.qualified_name(),
            call: "create",
            status: None,
            message: format!("is a {}, not a {expected}", self.info().kind.name()),
        }
    }

    /// A new scheduler instance with these parameters (a JSON object).
    ///
    /// # Errors
    /// Not a scheduler, or the plugin refused the parameters (the message names the key).
    pub fn scheduler(&self, params_json: &str, services: Services) -> Result<SchedulerInstance, CallError> {
        let VTable::Scheduler(vt) = self.info().vtable else { return Err(self.wrong_kind("scheduler")) };
        let raw = create(self, vt.create, vt.destroy, params_json, services)?;
        Ok(SchedulerInstance { raw, vt, order: Vec::new(), seen: Vec::new() })
    }

    /// A new predictor instance.
    ///
    /// # Errors
    /// As for [`Component::scheduler`].
    pub fn predictor(&self, params_json: &str, services: Services) -> Result<PredictorInstance, CallError> {
        let VTable::Predictor(vt) = self.info().vtable else { return Err(self.wrong_kind("predictor")) };
        Ok(PredictorInstance { raw: create(self, vt.create, vt.destroy, params_json, services)?, vt })
    }

    /// A new collector instance.
    ///
    /// # Errors
    /// As for [`Component::scheduler`].
    pub fn collector(&self, params_json: &str, services: Services) -> Result<CollectorInstance, CallError> {
        let VTable::Collector(vt) = self.info().vtable else { return Err(self.wrong_kind("collector")) };
        // The vtable was copied at load time; only its function pointers are kept.
        Ok(CollectorInstance { raw: create(self, vt.create, vt.destroy, params_json, services)?, vt })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_names_or_families_with_ordered_bounds() {
        assert_eq!(check_declaration("throughput", f64::NAN, f64::NAN), Ok((None, None)));
        assert_eq!(check_declaration("utilization.*", 0.0, 1.0), Ok((Some(0.0), Some(1.0))));
        // An infinite bound bounds nothing.
        assert_eq!(check_declaration("x", f64::NEG_INFINITY, f64::INFINITY), Ok((None, None)));
        for bad in ["", ".*", "a*", "a.*.*", "two words"] {
            assert!(check_declaration(bad, f64::NAN, f64::NAN).is_err(), "{bad:?}");
        }
        assert!(check_declaration("x", 2.0, 1.0).unwrap_err().contains("lower above upper"));
        assert!(check_declaration("x", f64::INFINITY, f64::NAN).is_err());
    }

    #[test]
    fn the_time_placeholder_becomes_the_scenarios_unit() {
        assert_eq!(fill_time("{time}s", TimeUnit::Minute), "minutes");
        assert_eq!(fill_time("jobs per {time}", TimeUnit::Hour), "jobs per hour");
        assert_eq!(fill_time("fraction", TimeUnit::Day), "fraction");
    }
}
