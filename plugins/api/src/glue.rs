//! The `extern "C"` thunks that [`crate::export_plugins!`] wires up: they turn raw ABI calls into
//! safe trait calls, catch every panic inside the plugin (unwinding into the host would abort,
//! or be a foreign exception: each cdylib has its own std), and poison a panicked instance.
//!
//! Not for direct use; public only so that the macro can name it.

use std::any::Any;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::abi::{
    COLLECTOR_START_SIZE_1_0, CollectorStart, CollectorVTable, ComponentDescriptor, ComponentKind, ErrorOut,
    HostServices, KindMeta, KindRecord, MatrixRef, MetricDeclSink, MetricSink, PredictorVTable, Record,
    SchedulerVTable, SchedulingSnapshot, SliceRef, Status, StrRef,
};
use crate::traits::{
    Aggregate, Catalogue, Collector, Component, Config, Host, KindInfo, Matrix, MetricDecl, Order, Output,
    PluginError, Predictor, Report, Scheduler, Snapshot, Window,
};

/// A plugin-side instance: the component and whether it panicked.
struct Instance<T> {
    value: T,
    poisoned: bool,
}

/// Sends `message` to the host's error callback, if any.
///
/// # Safety
/// `err` is null or points to a valid [`ErrorOut`].
unsafe fn report(err: *mut ErrorOut, message: &str) {
    // SAFETY: by the caller's promise.
    if let Some(err) = unsafe { err.as_ref() } {
        // SAFETY: the host's callback copies borrowed UTF-8 valid for the call.
        unsafe { (err.write)(err.ctx, StrRef::new(message)) };
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(non-string panic payload)")
}

/// Runs `f` on the instance behind `inst`, turning errors and panics into a status and message.
///
/// # Safety
/// `inst` is null or an instance made by `create::<T>` and not yet destroyed; `err` as in
/// [`report`].
unsafe fn with_instance<T: Component>(
    inst: *mut c_void,
    err: *mut ErrorOut,
    what: &str,
    f: impl FnOnce(&mut T) -> Result<(), PluginError>,
) -> Status {
    // SAFETY: by the caller's promise, a live `Instance<T>` or null.
    let Some(inst) = (unsafe { inst.cast::<Instance<T>>().as_mut() }) else {
        // SAFETY: forwarded.
        unsafe { report(err, "null instance") };
        return Status::INVALID_INPUT;
    };
    if inst.poisoned {
        // SAFETY: forwarded.
        unsafe { report(err, &format!("`{}` panicked earlier and is poisoned", T::NAME)) };
        return Status::POISONED;
    }
    match catch_unwind(AssertUnwindSafe(|| f(&mut inst.value))) {
        Ok(Ok(())) => Status::OK,
        Ok(Err(e)) => {
            // SAFETY: forwarded.
            unsafe { report(err, &e.message) };
            if e.status == Status::OK { Status::FAILED } else { e.status }
        }
        Err(payload) => {
            // Never look at state a panic may have left half-updated.
            inst.poisoned = true;
            let message = format!("panic in {what} of `{}`: {}", T::NAME, panic_message(payload.as_ref()));
            // SAFETY: forwarded.
            unsafe { report(err, &message) };
            Status::PANICKED
        }
    }
}

/// # Safety
/// Pointers as documented on [`crate::abi::CreateFn`].
unsafe extern "C" fn create<T: Component>(
    config: StrRef,
    host: *const HostServices,
    out: *mut *mut c_void,
    err: *mut ErrorOut,
) -> Status {
    if out.is_null() {
        return Status::INVALID_INPUT;
    }
    // SAFETY: the host passes UTF-8 valid for the call.
    let Some(json) = (unsafe { config.as_str() }) else {
        // SAFETY: forwarded.
        unsafe { report(err, "parameters are not UTF-8") };
        return Status::INVALID_INPUT;
    };
    // SAFETY: null or a valid `HostServices` for the call; only fields inside its size are read.
    let host = match unsafe { host.as_ref() } {
        Some(h) if h.struct_size as usize >= size_of::<HostServices>() => {
            Host::from_ffi(h.seed, h.replication, Some(h.log), T::NAME)
        }
        _ => Host::detached(0),
    };
    match catch_unwind(AssertUnwindSafe(|| T::new(&Config::new(json), &host))) {
        Ok(Ok(value)) => {
            let instance = Box::new(Instance { value, poisoned: false });
            // SAFETY: `out` is non-null and writable, by the ABI contract.
            unsafe { *out = Box::into_raw(instance).cast() };
            Status::OK
        }
        Ok(Err(e)) => {
            // SAFETY: forwarded.
            unsafe { report(err, &e.message) };
            if e.status == Status::OK { Status::FAILED } else { e.status }
        }
        Err(payload) => {
            let message = format!("panic while creating `{}`: {}", T::NAME, panic_message(payload.as_ref()));
            // SAFETY: forwarded.
            unsafe { report(err, &message) };
            Status::PANICKED
        }
    }
}

/// # Safety
/// `inst` is null or an instance made by `create::<T>`, destroyed only once.
unsafe extern "C" fn destroy<T: Component>(inst: *mut c_void) {
    if inst.is_null() {
        return;
    }
    // SAFETY: made by `Box::into_raw` in `create::<T>`.
    let instance = unsafe { Box::from_raw(inst.cast::<Instance<T>>()) };
    // A panicking `Drop` must not unwind into the host: leak what is left instead.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(instance)));
}

/// # Safety
/// As documented on [`SchedulerVTable::schedule`].
unsafe extern "C" fn schedule<T: Scheduler>(
    inst: *mut c_void,
    snapshot: *const SchedulingSnapshot,
    out: *mut u32,
    out_cap: usize,
    out_len: *mut usize,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: null or valid for the call.
    let Some(s) = (unsafe { snapshot.as_ref() }) else { return Status::INVALID_INPUT };
    if out_len.is_null() || (out.is_null() && out_cap > 0) {
        return Status::INVALID_INPUT;
    }
    // SAFETY: the host's arrays are valid for the call.
    let snapshot = unsafe {
        Snapshot {
            station: s.station,
            now: s.now,
            jobs: s.jobs.as_slice(),
            ops: s.ops.as_slice(),
            machines: s.machines.as_slice(),
        }
    };
    let buf: &mut [u32] = if out_cap == 0 {
        &mut []
    } else {
        // SAFETY: the host's buffer holds `out_cap` initialised `u32`s, exclusively ours for the call.
        unsafe { std::slice::from_raw_parts_mut(out, out_cap) }
    };
    let mut written = 0;
    // SAFETY: forwarded.
    let status = unsafe {
        with_instance::<T>(inst, err, "schedule", |t| {
            let mut order = Order::new(buf);
            let r = t.schedule(&snapshot, &mut order);
            written = order.len();
            r
        })
    };
    // SAFETY: checked non-null above.
    unsafe { *out_len = written };
    status
}

/// # Safety
/// `x` describes `rows * cols` readable values (or is empty).
unsafe fn matrix<'a>(x: MatrixRef) -> Result<Matrix<'a>, PluginError> {
    let Some(len) = x.rows.checked_mul(x.cols) else {
        return Err(PluginError::invalid_input("matrix size overflows"));
    };
    let data: &[f64] = if len == 0 {
        &[]
    } else if x.data.is_null() {
        return Err(PluginError::invalid_input("null matrix data"));
    } else {
        // SAFETY: non-null and `len` values long, by the caller's promise.
        unsafe { std::slice::from_raw_parts(x.data, len) }
    };
    Matrix::new(data, x.rows, x.cols)
}

/// # Safety
/// As documented on [`PredictorVTable::fit`].
unsafe extern "C" fn fit<T: Predictor>(
    inst: *mut c_void,
    x: MatrixRef,
    y: SliceRef<f64>,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        with_instance::<T>(inst, err, "fit", |t| {
            let x = matrix(x)?;
            let y = y.as_slice();
            if y.len() != x.rows() {
                return Err(PluginError::invalid_input(format!("{} targets for {} rows", y.len(), x.rows())));
            }
            t.fit(x, y)
        })
    }
}

/// # Safety
/// As documented on [`PredictorVTable::predict`].
unsafe extern "C" fn predict<T: Predictor>(
    inst: *mut c_void,
    x: MatrixRef,
    out: *mut f64,
    out_len: usize,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        with_instance::<T>(inst, err, "predict", |t| {
            let x = matrix(x)?;
            if out_len != x.rows() {
                return Err(PluginError::invalid_input(format!("{out_len} outputs for {} rows", x.rows())));
            }
            let out: &mut [f64] = if out_len == 0 {
                &mut []
            } else if out.is_null() {
                return Err(PluginError::invalid_input("null output buffer"));
            } else {
                // SAFETY: the host's buffer holds `out_len` values, exclusively ours for the call.
                std::slice::from_raw_parts_mut(out, out_len)
            };
            t.predict(x, out)
        })
    }
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

/// The vtable of a scheduler type (a constant, so the macro can take `'static` references).
pub trait SchedulerGlue {
    /// The vtable.
    const VTABLE: SchedulerVTable;
}

impl<T: Scheduler> SchedulerGlue for T {
    const VTABLE: SchedulerVTable = SchedulerVTable {
        struct_size: size_of::<SchedulerVTable>(),
        create: create::<T>,
        destroy: destroy::<T>,
        schedule: schedule::<T>,
    };
}

/// The vtable of a predictor type.
pub trait PredictorGlue {
    /// The vtable.
    const VTABLE: PredictorVTable;
}

impl<T: Predictor> PredictorGlue for T {
    const VTABLE: PredictorVTable = PredictorVTable {
        struct_size: size_of::<PredictorVTable>(),
        create: create::<T>,
        destroy: destroy::<T>,
        fit: fit::<T>,
        predict: predict::<T>,
    };
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

/// The descriptor of component `T` of `kind` with the given vtable.
pub const fn descriptor<T: Component>(kind: ComponentKind, vtable: *const c_void) -> ComponentDescriptor {
    ComponentDescriptor {
        struct_size: size_of::<ComponentDescriptor>() as u32,
        kind,
        name: StrRef::new(T::NAME),
        description: StrRef::new(T::DESCRIPTION),
        parameters: StrRef::new(T::PARAMETERS),
        vtable,
    }
}
