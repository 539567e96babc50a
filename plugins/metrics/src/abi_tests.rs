//! The collectors as a host sees them: through `plugin_library()`, the descriptors and the
//! generated `extern "C"` vtables, with host callbacks written here. The results must be
//! bit-identical to calling the traits directly.

use std::ffi::c_void;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use xinzhi_plugin::abi::{
    ABI_MAJOR, COLLECTOR_START_SIZE_1_0, CollectorStart, CollectorVTable, ComponentDescriptor, ComponentKind,
    ErrorOut, HostServices, KindRecord, MAGIC, MetricDeclSink, MetricSink, SliceRef, Status, StrRef,
};
use xinzhi_plugin::{Aggregate, Catalogue, Collector, Component, Config, Host, KindInfo, MetricDecl, Output};
use xinzhi_plugin::{Record, Report, Window};

use crate::testing::{Recorder, catalogue, kind, run};
use crate::{Kpi, Tardiness, Timeseries, plugin_library};

/// The library's components, as the host reads them.
fn components() -> &'static [ComponentDescriptor] {
    let library = plugin_library();
    // SAFETY: the descriptor array is a `'static` table of `n_components` entries made by
    // `export_plugins!`.
    unsafe { std::slice::from_raw_parts(library.components, library.n_components) }
}

fn text(s: StrRef) -> &'static str {
    // SAFETY: descriptor strings borrow `'static` string constants of this crate.
    unsafe { s.as_str() }.expect("UTF-8")
}

// ---- Host callbacks. `ctx` is always the pointer the test passed with them. ----

unsafe extern "C" fn write_error(ctx: *mut c_void, message: StrRef) {
    // SAFETY: `ctx` is the `&mut String` given in `ErrorOut`; the message is valid for the call.
    let (buf, message) = unsafe { (&mut *ctx.cast::<String>(), message.as_str()) };
    buf.push_str(message.unwrap_or("<not UTF-8>"));
}

unsafe extern "C" fn sink_metric(ctx: *mut c_void, name: StrRef, value: f64) {
    // SAFETY: `ctx` is the `&mut Recorder` given in `MetricSink`; the name is valid for the call.
    let (out, name) = unsafe { (&mut *ctx.cast::<Recorder>(), name.as_str()) };
    out.metric(name.expect("UTF-8"), value);
}

unsafe extern "C" fn sink_undefined(ctx: *mut c_void, name: StrRef) {
    // SAFETY: as in `sink_metric`.
    let (out, name) = unsafe { (&mut *ctx.cast::<Recorder>(), name.as_str()) };
    out.undefined(name.expect("UTF-8"));
}

unsafe extern "C" fn sink_point(ctx: *mut c_void, series: StrRef, time: f64, value: f64) {
    // SAFETY: as in `sink_metric`.
    let (out, series) = unsafe { (&mut *ctx.cast::<Recorder>(), series.as_str()) };
    out.point(series.expect("UTF-8"), time, value);
}

unsafe extern "C" fn sink_declare(
    ctx: *mut c_void,
    pattern: StrRef,
    unit: StrRef,
    description: StrRef,
    lower: f64,
    upper: f64,
) {
    // SAFETY: `ctx` is the `&mut Vec<MetricDecl>` given in `MetricDeclSink`; the texts are valid
    // for the call.
    let (out, text) =
        unsafe { (&mut *ctx.cast::<Vec<MetricDecl>>(), |s: StrRef| s.as_str().expect("UTF-8")) };
    let bound = |b: f64| (!b.is_nan()).then_some(b);
    out.push(
        MetricDecl::new(text(pattern), text(unit), text(description)).bounds(bound(lower), bound(upper)),
    );
}

/// The 1.0 layout of [`CollectorStart`] (before `kind_meta`), as a 1.0 host passes it.
#[repr(C)]
struct CollectorStart10 {
    struct_size: u32,
    _reserved: u32,
    warmup: f64,
    horizon: f64,
    kinds: SliceRef<KindRecord>,
}

unsafe extern "C" fn log(_level: u32, _component: StrRef, _message: StrRef) {}

/// What a failed call returned: its status and the message written to the error callback.
type Failure = (Status, String);

/// Calls `f` with an error callback and turns its status into a `Result`.
fn call(f: impl FnOnce(*mut ErrorOut) -> Status) -> Result<(), Failure> {
    let mut message = String::new();
    let mut err = ErrorOut { ctx: (&raw mut message).cast(), write: write_error };
    match f(&raw mut err) {
        Status::OK => Ok(()),
        status => Err((status, message)),
    }
}

/// One collector instance created through its vtable, destroyed on drop.
struct AbiCollector {
    vtable: &'static CollectorVTable,
    instance: *mut c_void,
}

impl AbiCollector {
    fn create(name: &str, config: &str) -> Result<Self, Failure> {
        let desc = components().iter().find(|d| text(d.name) == name).expect("component listed");
        assert_eq!(desc.kind, ComponentKind::COLLECTOR);
        // SAFETY: a COLLECTOR descriptor's vtable is a `'static` `CollectorVTable`.
        let vtable = unsafe { &*(desc.vtable as *const CollectorVTable) };
        assert_eq!(vtable.struct_size, size_of::<CollectorVTable>());
        let host =
            HostServices { struct_size: size_of::<HostServices>() as u32, replication: 0, seed: 7, log };
        let mut instance = std::ptr::null_mut();
        // SAFETY: the config and host services are valid for the call; `instance` is writable.
        call(|err| unsafe { (vtable.create)(StrRef::new(config), &host, &raw mut instance, err) })?;
        assert!(!instance.is_null());
        Ok(AbiCollector { vtable, instance })
    }

    fn start(&mut self, cat: &Catalogue, w: Window) -> Result<(), Failure> {
        xinzhi_plugin::glue::with_catalogue(cat, |kinds, meta| {
            let start = CollectorStart {
                struct_size: size_of::<CollectorStart>() as u32,
                _reserved: 0,
                warmup: w.warmup,
                horizon: w.horizon,
                kinds: SliceRef::new(kinds),
                kind_meta: SliceRef::new(meta),
            };
            // SAFETY: a live instance of this vtable; `start` and its contents are valid for
            // the call.
            call(|err| unsafe { (self.vtable.start)(self.instance, &start, err) })
        })
    }

    /// `start` as a 1.0 host calls it: a shorter struct, without `kind_meta`.
    fn start_1_0(&mut self, cat: &Catalogue, w: Window) -> Result<(), Failure> {
        xinzhi_plugin::glue::with_catalogue(cat, |kinds, _| {
            let start = CollectorStart10 {
                struct_size: size_of::<CollectorStart10>() as u32,
                _reserved: 0,
                warmup: w.warmup,
                horizon: w.horizon,
                kinds: SliceRef::new(kinds),
            };
            assert_eq!(size_of::<CollectorStart10>(), COLLECTOR_START_SIZE_1_0);
            // SAFETY: a live instance; the plugin reads only inside `struct_size`, which is
            // this struct's whole size.
            call(|err| unsafe {
                (self.vtable.start)(self.instance, (&raw const start).cast::<CollectorStart>(), err)
            })
        })
    }

    fn declare(&mut self, cat: &Catalogue, w: Window) -> Result<Vec<MetricDecl>, Failure> {
        let mut out: Vec<MetricDecl> = Vec::new();
        let sink = MetricDeclSink { ctx: (&raw mut out).cast(), declare: sink_declare };
        xinzhi_plugin::glue::with_catalogue(cat, |kinds, meta| {
            let start = CollectorStart {
                struct_size: size_of::<CollectorStart>() as u32,
                _reserved: 0,
                warmup: w.warmup,
                horizon: w.horizon,
                kinds: SliceRef::new(kinds),
                kind_meta: SliceRef::new(meta),
            };
            // SAFETY: a live instance; the start, the sink and its vector outlive the call.
            call(|err| unsafe { (self.vtable.declare)(self.instance, &start, &sink, err) })
        })?;
        Ok(out)
    }

    fn batch(&mut self, records: &[Record]) -> Result<(), Failure> {
        // SAFETY: a live instance; the records are valid for the call.
        call(|err| unsafe { (self.vtable.batch)(self.instance, SliceRef::new(records), err) })
    }

    fn finish(&mut self) -> Result<Recorder, Failure> {
        let mut out = Recorder::default();
        let sink = MetricSink {
            ctx: (&raw mut out).cast(),
            metric: sink_metric,
            undefined: sink_undefined,
            point: sink_point,
        };
        // SAFETY: a live instance; the sink and the recorder it points to outlive the call.
        call(|err| unsafe { (self.vtable.finish)(self.instance, &sink, err) })?;
        Ok(out)
    }
}

impl Drop for AbiCollector {
    fn drop(&mut self) {
        // SAFETY: made by this vtable's `create`, destroyed once.
        unsafe { (self.vtable.destroy)(self.instance) };
    }
}

/// Runs a collector through the ABI, feeding the records in host-sized batches.
fn abi_run(
    name: &str,
    config: &str,
    cat: &Catalogue,
    w: Window,
    records: &[Record],
) -> Result<Recorder, Failure> {
    let mut c = AbiCollector::create(name, config)?;
    c.start(cat, w)?;
    for chunk in records.chunks(4096) {
        c.batch(chunk)?;
    }
    c.finish()
}

/// The factory-like catalogue of [`mm1_stream`].
fn mm1_catalogue() -> Catalogue {
    let mut cycle_time = kind("cycle_time", Aggregate::Sample, Report::Both, &["widget", "gadget"]);
    cycle_time.metric = "cycle_time_mean".into();
    cycle_time.rate_metric = Some("throughput".into());
    let named = |name: &str, metric: &str, aggregate, report, subjects: &[&str]| KindInfo {
        metric: metric.into(),
        ..kind(name, aggregate, report, subjects)
    };
    // Units and meanings as the factory gives them (kind meta, ABI 1.1); some kinds have none.
    let cycle_time = cycle_time
        .meaning("{time}s", "time from arrival to completion of a job")
        .bounds(Some(0.0), None)
        .rate("throughput", "jobs per {time}", "jobs completed");
    catalogue(vec![
        named("wip", "wip_mean", Aggregate::Level, Report::Total, &["system"])
            .meaning("jobs", "jobs in the system"),
        named("busy_fraction", "utilization", Aggregate::Level, Report::PerSubject, &["mill"])
            .meaning("fraction", "fraction of the station's machines busy")
            .bounds(Some(0.0), Some(1.0)),
        named("queue_length", "queue_mean", Aggregate::Level, Report::PerSubject, &["mill"]),
        cycle_time,
        named("lateness", "lateness", Aggregate::Sample, Report::Both, &["widget", "gadget"]),
        named("starts", "start_rate", Aggregate::Rate, Report::Both, &["mill"]),
    ])
}

/// The record stream of an M/M/1 FIFO queue (arrival rate 0.8, service rate 1) of two products
/// with due dates, as a factory model would emit it, in time order.
fn mm1_stream(jobs: usize, seed: u64) -> Vec<Record> {
    const DEPART: u8 = 0;
    const ARRIVE: u8 = 1;
    const START: u8 = 2;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut exp = |rate: f64| -(1.0 - rng.random::<f64>()).ln() / rate;
    let (mut arrival, mut free_at) = (0.0, 0.0);
    // (time, event, job, product, arrival, due)
    let mut events = Vec::new();
    for job in 0..jobs {
        arrival += exp(0.8);
        let start = f64::max(arrival, free_at);
        free_at = start + exp(1.0);
        let due = arrival + 2.0 + exp(0.25);
        let product = u32::from(exp(1.0) < 0.5);
        events.push((arrival, ARRIVE, job, product, arrival, due));
        events.push((start, START, job, product, arrival, due));
        events.push((free_at, DEPART, job, product, arrival, due));
    }
    // Same-time order: a departure frees the server before the next job starts on it.
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let (mut wip, mut queue) = (0.0, 0.0);
    let mut records = Vec::new();
    for (t, event, _, product, arrival, due) in events {
        let r = |kind, subject, value| Record { time: t, kind, subject, value };
        match event {
            ARRIVE => {
                wip += 1.0;
                queue += 1.0;
                records.extend([r(0, 0, wip), r(2, 0, queue)]);
            }
            START => {
                queue -= 1.0;
                records.extend([r(2, 0, queue), r(1, 0, 1.0), r(5, 0, 1.0)]);
            }
            _ => {
                wip -= 1.0;
                records.extend([
                    r(0, 0, wip),
                    r(1, 0, 0.0),
                    r(3, product, t - arrival),
                    r(4, product, t - due),
                ]);
            }
        }
    }
    records
}

#[test]
fn plugin_library_lists_exactly_the_three_collectors() {
    let library = plugin_library();
    assert_eq!(library.header.magic, MAGIC);
    assert_eq!(library.header.abi_major, ABI_MAJOR);
    assert_eq!(text(library.header.crate_name), "xinzhi-metrics");
    let listed: Vec<(&str, ComponentKind)> = components().iter().map(|d| (text(d.name), d.kind)).collect();
    assert_eq!(
        listed,
        [
            ("kpi", ComponentKind::COLLECTOR),
            ("tardiness", ComponentKind::COLLECTOR),
            ("timeseries", ComponentKind::COLLECTOR)
        ]
    );
    for d in components() {
        assert!(!d.vtable.is_null());
        assert!(!text(d.description).is_empty());
        // One line per parameter: `name: meaning (type, default)`.
        for line in text(d.parameters).lines() {
            let (name, rest) = line.split_once(": ").expect("`name: meaning`");
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{line}");
            assert!(rest.ends_with(')') && rest.contains(" ("), "{line}");
        }
    }
    let parameters: Vec<&str> = components().iter().map(|d| text(d.parameters)).collect();
    assert_eq!(parameters[..2], ["", ""]);
    assert_eq!(
        parameters[2].lines().map(|l| l.split_once(':').unwrap().0).collect::<Vec<_>>(),
        ["period", "metrics"]
    );
}

#[test]
fn collectors_through_the_c_abi_equal_the_trait_results_bit_for_bit() {
    let cat = mm1_catalogue();
    let records = mm1_stream(20_000, 2026);
    let end = records.last().unwrap().time;
    // Records continue past the horizon, and the warmup cuts the stream too.
    let w = Window { warmup: 0.1 * end, horizon: 0.9 * end };

    let kpi = abi_run("kpi", "{}", &cat, w, &records).unwrap();
    // The trait run feeds two batches of a different split: the result must not depend on it.
    assert!(kpi.bit_identical(&run::<Kpi>("{}", &cat, w, &records).unwrap()), "{kpi:?}");
    // The stream is what it claims to be: an M/M/1 queue at load 0.8.
    let utilization = kpi.metrics.iter().find(|m| m.0 == "utilization.mill").unwrap().1.unwrap();
    assert!((utilization - 0.8).abs() < 0.05, "{utilization}");
    assert_eq!(kpi.metrics.len(), 14, "{kpi:?}");

    let tardiness = abi_run("tardiness", "", &cat, w, &records).unwrap();
    assert!(tardiness.bit_identical(&run::<Tardiness>("", &cat, w, &records).unwrap()));
    assert_eq!(tardiness.metrics.len(), 3);

    let config = r#"{"period": 100, "metrics": ["wip_mean", "cycle_time_mean.gadget", "throughput"]}"#;
    let series = abi_run("timeseries", config, &cat, w, &records).unwrap();
    assert!(series.bit_identical(&run::<Timeseries>(config, &cat, w, &records).unwrap()));
    assert!(series.points.len() > 3 * 100, "{}", series.points.len());
    assert!(series.metrics.is_empty());
}

#[test]
fn errors_cross_the_c_abi_with_their_status_and_message() {
    let e = AbiCollector::create("kpi", r#"{"period": 1}"#).err().unwrap();
    assert_eq!(e.0, Status::INVALID_CONFIG);
    assert!(e.1.contains("unknown field `period`"), "{e:?}");

    let e = AbiCollector::create("timeseries", r#"{"period": -1}"#).err().unwrap();
    assert_eq!(
        e,
        (
            Status::INVALID_CONFIG,
            "`period` must be a finite number > 0 (time between samples), found -1".into()
        )
    );

    let cat = catalogue(vec![kind("cycle_time", Aggregate::Sample, Report::Total, &["widget"])]);
    let w = Window { warmup: 0.0, horizon: 1.0 };
    let mut c = AbiCollector::create("tardiness", "{}").unwrap();
    let e = c.start(&cat, w).unwrap_err();
    assert_eq!(e.0, Status::INVALID_INPUT);
    assert!(e.1.starts_with("tardiness needs due dates"), "{e:?}");

    let mut c = AbiCollector::create("kpi", "{}").unwrap();
    c.start(&cat, w).unwrap();
    let e = c.batch(&[Record { time: 0.5, kind: 3, subject: 0, value: 1.0 }]).unwrap_err();
    assert_eq!(e, (Status::INVALID_INPUT, "record of unknown kind 3 (the catalogue has 1 kind)".into()));
    // An error is not a panic: the instance is not poisoned and goes on.
    c.batch(&[Record { time: 0.5, kind: 0, subject: 0, value: 2.0 }]).unwrap();
    assert_eq!(c.finish().unwrap().metrics, [("cycle_time".to_owned(), Some(2.0))]);
}

#[test]
fn declarations_through_the_c_abi_equal_the_trait_declarations() {
    let cat = mm1_catalogue();
    let w = Window { warmup: 10.0, horizon: 100.0 };
    let direct = |name: &str| -> Option<Vec<MetricDecl>> {
        let host = Host::detached(0);
        match name {
            "kpi" => Kpi::new(&Config::new("{}"), &host).unwrap().declare(&cat, w),
            "tardiness" => Tardiness::new(&Config::new("{}"), &host).unwrap().declare(&cat, w),
            _ => Timeseries::new(&Config::new(r#"{"period": 5}"#), &host).unwrap().declare(&cat, w),
        }
    };
    for (name, config) in [("kpi", "{}"), ("tardiness", "{}"), ("timeseries", r#"{"period": 5}"#)] {
        let mut c = AbiCollector::create(name, config).unwrap();
        let through = c.declare(&cat, w).unwrap();
        assert_eq!(Some(through), direct(name), "{name}");
    }
    let kpi = direct("kpi").unwrap();
    let utilization = kpi.iter().find(|d| d.pattern.starts_with("utilization.")).unwrap();
    assert_eq!(
        (utilization.unit.as_str(), utilization.lower, utilization.upper),
        ("fraction", Some(0.0), Some(1.0))
    );
}

/// A collector built with the default `declare` (not declaring) answers `unsupported`, which
/// hosts read as "unknown", not as "no metrics".
#[test]
fn a_collector_that_does_not_declare_answers_unsupported() {
    struct Quiet;
    impl Component for Quiet {
        const NAME: &'static str = "quiet";
        const DESCRIPTION: &'static str = "declares nothing";
        fn new(_: &Config<'_>, _: &Host) -> Result<Self, xinzhi_plugin::PluginError> {
            Ok(Quiet)
        }
    }
    impl Collector for Quiet {
        fn start(&mut self, _: &Catalogue, _: Window) -> Result<(), xinzhi_plugin::PluginError> {
            Ok(())
        }
        fn batch(&mut self, _: &[Record]) -> Result<(), xinzhi_plugin::PluginError> {
            Ok(())
        }
        fn finish(&mut self, _: &mut dyn Output) -> Result<(), xinzhi_plugin::PluginError> {
            Ok(())
        }
    }
    let vtable: &CollectorVTable = &<Quiet as xinzhi_plugin::glue::CollectorGlue>::VTABLE;
    let mut instance = std::ptr::null_mut();
    // SAFETY: valid inputs for the call; a null host gives detached services.
    call(|err| unsafe { (vtable.create)(StrRef::new("{}"), std::ptr::null(), &raw mut instance, err) })
        .unwrap();
    let mut c = AbiCollector { vtable, instance };
    let e = c.declare(&mm1_catalogue(), Window { warmup: 0.0, horizon: 1.0 }).unwrap_err();
    assert_eq!(e.0, Status::UNSUPPORTED);
}

/// A 1.0 host passes a `CollectorStart` that ends before `kind_meta`: a 1.1 collector reads
/// only inside its `struct_size` and gives the same results (units are not needed to count).
#[test]
fn a_1_0_host_start_without_kind_meta_gives_the_same_results() {
    let cat = mm1_catalogue();
    let records = mm1_stream(2_000, 7);
    let w = Window { warmup: 10.0, horizon: 0.9 * records.last().unwrap().time };
    for (name, config) in [("kpi", "{}"), ("tardiness", "{}"), ("timeseries", r#"{"period": 50}"#)] {
        let mut c = AbiCollector::create(name, config).unwrap();
        c.start_1_0(&cat, w).unwrap();
        c.batch(&records).unwrap();
        let old = c.finish().unwrap();
        let new = abi_run(name, config, &cat, w, &records).unwrap();
        assert!(old.bit_identical(&new), "{name}");
    }
    // A start shorter than 1.0's is refused, not read past its end.
    let c = AbiCollector::create("kpi", "{}").unwrap();
    let short = CollectorStart10 {
        struct_size: 24,
        _reserved: 0,
        warmup: 0.0,
        horizon: 1.0,
        kinds: SliceRef::new(&[]),
    };
    // SAFETY: a live instance; the struct is valid (and larger than it claims).
    let e = call(|err| unsafe { (c.vtable.start)(c.instance, (&raw const short).cast(), err) }).unwrap_err();
    assert_eq!(e.0, Status::INVALID_INPUT);
    assert!(e.1.contains("at least 40"), "{e:?}");
}
