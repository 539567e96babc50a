//! The collect kind on the host side: a [`CollectorInstance`] feeds a collector plugin the
//! record stream and checks what it reports; it implements the engine's [`Collector`]. Its
//! vtable grew in ABI 1.1 (`declare`), so it is read field by field.

use std::ffi::c_void;

use xinzhi_plugin::abi::{
    COLLECTOR_VTABLE_SIZE_1_0, CollectorStart, CollectorVTable, ComponentKind, CreateFn, DeclareFn,
    DestroyFn, ErrorOut, MetricDeclSink, MetricSink, SliceRef, Status, StrRef,
};

use super::{HostKind, VTable};
use crate::collect::{CollectError, Collector, Finished, Metric, MetricInfo, SeriesPoint, Window};
use crate::plugin::instance::{RawInstance, Services, bytes, create};
use crate::plugin::{CallError, Component};
use crate::record::{Catalogue, Record};
use crate::time::TimeUnit;

/// The collect kind in the host's table.
pub(crate) const KIND: HostKind = HostKind { kind: ComponentKind::COLLECTOR, read: read_vtable };

/// # Safety
/// As for [`HostKind::read`].
unsafe fn read_vtable(ptr: *const c_void) -> Result<VTable, String> {
    // SAFETY: forwarded.
    unsafe { CollectorFns::read(ptr.cast()) }.map(VTable::new)
}

/// The functions of a collector vtable, copied out field by field: a 1.0 plugin's vtable is
/// shorter than this host's [`CollectorVTable`], so no reference to the whole struct is formed
/// and `declare` is read only when the plugin's `struct_size` reaches past it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CollectorFns {
    pub(crate) create: CreateFn,
    pub(crate) destroy: DestroyFn,
    pub(crate) start: unsafe extern "C" fn(*mut c_void, *const CollectorStart, *mut ErrorOut) -> Status,
    pub(crate) batch: unsafe extern "C" fn(*mut c_void, SliceRef<Record>, *mut ErrorOut) -> Status,
    pub(crate) finish: unsafe extern "C" fn(*mut c_void, *const MetricSink, *mut ErrorOut) -> Status,
    /// `None` for a plugin built against ABI 1.0.
    pub(crate) declare: Option<DeclareFn>,
}

impl CollectorFns {
    /// Reads the vtable at `ptr`.
    ///
    /// # Safety
    /// `ptr` points to a static collector vtable of any 1.x version.
    pub(crate) unsafe fn read(ptr: *const CollectorVTable) -> Result<Self, String> {
        // SAFETY: every vtable starts with `struct_size: usize`.
        let size = unsafe { std::ptr::addr_of!((*ptr).struct_size).read() };
        if size < COLLECTOR_VTABLE_SIZE_1_0 {
            return Err(format!("vtable of {size} bytes, expected at least {COLLECTOR_VTABLE_SIZE_1_0}"));
        }
        // SAFETY: the 1.0 fields lie inside `size` (checked above); `declare` is read only
        // when the plugin's struct reaches its end.
        unsafe {
            Ok(CollectorFns {
                create: std::ptr::addr_of!((*ptr).create).read(),
                destroy: std::ptr::addr_of!((*ptr).destroy).read(),
                start: std::ptr::addr_of!((*ptr).start).read(),
                batch: std::ptr::addr_of!((*ptr).batch).read(),
                finish: std::ptr::addr_of!((*ptr).finish).read(),
                declare: (size >= size_of::<CollectorVTable>())
                    .then(|| std::ptr::addr_of!((*ptr).declare).read()),
            })
        }
    }
}

/// A collector instance; implements the engine's [`Collector`].
pub struct CollectorInstance {
    raw: RawInstance,
    vt: CollectorFns,
}

impl std::fmt::Debug for CollectorInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectorInstance").field("plugin", &self.raw.name()).finish_non_exhaustive()
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

/// The scenario's time unit in place of `{time}`: `{time}s` → `minutes`, `items per {time}` →
/// `items per minute`.
fn fill_time(text: &str, unit: TimeUnit) -> String {
    text.replace("{time}", unit.name())
}

impl CollectorInstance {
    fn collect_error(&self, e: CallError) -> CollectError {
        CollectError { collector: self.raw.name().to_owned(), message: e.to_string() }
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
        self.raw.name()
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
    /// A new collector instance.
    ///
    /// # Errors
    /// As for [`Component::scheduler`].
    pub fn collector(&self, params_json: &str, services: Services) -> Result<CollectorInstance, CallError> {
        // The vtable was copied at load time; only its function pointers are kept.
        let vt: CollectorFns = self.vtable_as("collector")?;
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
