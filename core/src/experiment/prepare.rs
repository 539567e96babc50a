//! A scenario's plugins: load the libraries it names, then check every reference (name and
//! parameters) of the baseline and each variant before anything runs; then check that the
//! precision target names a metric some collector declares.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

use std::path::PathBuf;

use crate::collect::{MetricInfo, Window};
use crate::plugin::{ComponentKind, LookupError, PluginLib, Registry, Services};
use crate::scenario::{PluginRef, Scenario, ScenarioError, ScenarioFile};
use crate::util::suggest::nearest;

/// Adds the libraries of `[plugins] load` and of `extra` (e.g. `--load` flags) to `registry`,
/// then checks that every plugin the scenario and its variants name exists with the right kind
/// and accepts its parameters (by creating one instance of each).
///
/// Then, when `[experiment] target` names a metric and every collector of the baseline (and of
/// each variant) declares its metrics, one of the declarations must match it: a misspelt target
/// is found here, not after the first batch of replications.
///
/// # Errors
/// The first library that cannot be loaded, or the first bad reference, located in the
/// scenario (a library from `extra` is reported with its path); a target metric that no
/// collector produces, located at its `metric` value, with the nearest declared name.
pub fn prepare(
    file: &ScenarioFile,
    mut registry: Registry,
    extra: &[PathBuf],
) -> Result<Registry, ScenarioError> {
    let base = &file.baseline;
    if let Some(v) = file.variants.iter().find(|v| v.scenario.plugins != base.plugins) {
        return Err(ScenarioError::new(
            &file.path,
            format!("variant `{}` changes [plugins]; libraries are loaded once for all variants", v.name),
        )
        .with_key("plugins"));
    }
    for lib in &base.plugins {
        let loaded = PluginLib::load(&lib.path).map_err(|e| lib.written.error(e.to_string()))?;
        registry.add(loaded, lib.name.as_deref()).map_err(|e| lib.written.error(e.to_string()))?;
    }
    for path in extra {
        let fail = |e: crate::plugin::LoadError| ScenarioError::new(path, e.to_string()).with_key("--load");
        registry.add(PluginLib::load(path).map_err(fail)?, None).map_err(fail)?;
    }
    let mut checked: Vec<(&str, &str, ComponentKind)> = Vec::new();
    for scenario in std::iter::once(base).chain(file.variants.iter().map(|v| &v.scenario)) {
        for (r, kind) in scenario.plugin_refs() {
            if checked.contains(&(r.plugin.as_str(), r.params.as_str(), kind)) {
                continue;
            }
            let component = registry.find(&r.plugin, kind).map_err(|e| {
                let suggestion = match &e {
                    LookupError::Unknown { known, .. } => {
                        nearest(&r.plugin, known.iter().map(String::as_str))
                    }
                    _ => None,
                };
                r.written.name_error(e.to_string()).with_suggestion(suggestion)
            })?;
            let services = Services { seed: 0, replication: 0 };
            let created = match kind {
                ComponentKind::SCHEDULER => component.scheduler(&r.params, services).map(drop),
                ComponentKind::PREDICTOR => component.predictor(&r.params, services).map(drop),
                ComponentKind::SIGNAL => component.signal(&r.params, services).map(drop),
                _ => component.collector(&r.params, services).map(drop),
            };
            created.map_err(|e| {
                let at = r.written.params_error(e.message.clone());
                ScenarioError {
                    message: format!("plugin `{}` refused its parameters: {}", r.plugin, e.message),
                    ..at
                }
            })?;
            checked.push((&r.plugin, &r.params, kind));
        }
    }
    if let Some(target) = &base.experiment.target {
        // Variants share [experiment], but their models (and so their metrics) may differ.
        let scenarios =
            std::iter::once((None, base)).chain(file.variants.iter().map(|v| (Some(&v.name), &v.scenario)));
        for (variant, scenario) in scenarios {
            let declared = declared_metrics(scenario, &registry)?;
            if !declared.complete || declared.metrics.iter().any(|m| m.matches(&target.metric)) {
                continue;
            }
            let names = declared_names(&declared.metrics);
            let suggestion = nearest(&target.metric, names.iter().map(String::as_str));
            let whose = match variant {
                None => String::new(),
                Some(v) => format!(" in variant `{v}`"),
            };
            let produced: Vec<String> = declared.metrics.iter().map(|m| format!("`{}`", m.pattern)).collect();
            let families = if declared.metrics.iter().any(|m| m.pattern.ends_with(".*")) {
                "; `name.*` stands for `name.<subject>`"
            } else {
                ""
            };
            return Err(target
                .metric_error(format!(
                    "no collector produces the metric `{}`{whose} ({} {}: {}{families})",
                    target.metric,
                    collectors(scenario),
                    if scenario.collect.len() == 1 { "produces" } else { "produce" },
                    produced.join(", ")
                ))
                .with_suggestion(suggestion));
        }
    }
    Ok(registry)
}

/// The collectors of a scenario for messages: `` collector `kpi` `` or
/// `` collectors `kpi`, `tardiness` ``.
fn collectors(scenario: &Scenario) -> String {
    let names: Vec<String> = scenario.collect.iter().map(|c| format!("`{}`", c.plugin)).collect();
    format!("{} {}", if names.len() == 1 { "collector" } else { "collectors" }, names.join(", "))
}

/// The names a target could be meant as: exact names, and for a family `base.*` both `base`
/// (a typo of the base) and `base.*` itself, as written in the declarations (sorted).
fn declared_names(metrics: &[MetricInfo]) -> Vec<String> {
    let mut names: Vec<String> = metrics.iter().map(|m| m.pattern.clone()).collect();
    names.extend(metrics.iter().filter_map(|m| m.pattern.strip_suffix(".*")).map(str::to_owned));
    names.sort();
    names.dedup();
    names
}

/// The metrics a scenario's collectors declare.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Declared {
    /// Every declaration, deduplicated by pattern (the first collector's wins), sorted by
    /// pattern.
    pub metrics: Vec<MetricInfo>,
    /// Whether every collector declared: when not (a plugin built against ABI 1.0, or one
    /// that does not implement `declare`), a metric missing from `metrics` may still exist.
    pub complete: bool,
}

/// What the collectors of `scenario` declare they will produce for its model and window, from
/// the model's catalogue alone (nothing runs), with units in the scenario's time unit.
///
/// # Errors
/// A collector that is not in `registry`, refuses its parameters, or fails (or panics) while
/// declaring, located at its reference in the scenario.
pub fn declared_metrics(scenario: &Scenario, registry: &Registry) -> Result<Declared, ScenarioError> {
    let catalogue = crate::domains::catalogue(&scenario.domains);
    let window = Window { warmup: scenario.warmup, horizon: scenario.horizon };
    let mut declared = Declared { metrics: Vec::new(), complete: true };
    for r in &scenario.collect {
        match declare_one(r, registry, &catalogue, window, scenario)? {
            Some(metrics) => declared.metrics.extend(metrics),
            None => declared.complete = false,
        }
    }
    // Stable: among equal patterns the first declared stays first, and `dedup_by` keeps it.
    declared.metrics.sort_by(|a, b| a.pattern.cmp(&b.pattern));
    declared.metrics.dedup_by(|later, first| later.pattern == first.pattern);
    Ok(declared)
}

fn declare_one(
    r: &PluginRef,
    registry: &Registry,
    catalogue: &crate::record::Catalogue,
    window: Window,
    scenario: &Scenario,
) -> Result<Option<Vec<MetricInfo>>, ScenarioError> {
    let component = registry
        .find(&r.plugin, ComponentKind::COLLECTOR)
        .map_err(|e| r.written.name_error(e.to_string()))?;
    let mut instance = component.collector(&r.params, Services { seed: 0, replication: 0 }).map_err(|e| {
        r.written.params_error(format!("plugin `{}` refused its parameters: {}", r.plugin, e.message))
    })?;
    instance.declare(catalogue, window, scenario.time_unit).map_err(|e| {
        r.written.error(format!("cannot tell which metrics collector `{}` produces: {e}", r.plugin))
    })
}

#[cfg(test)]
#[allow(unsafe_code, reason = "the old-ABI test builds a 1.0 plugin descriptor by hand")]
mod tests {
    use std::path::Path;

    use xinzhi_plugin::abi::{
        ABI_MAJOR, AbiHeader, COLLECTOR_VTABLE_SIZE_1_0, CollectorStart, CollectorVTable,
        ComponentDescriptor, CreateFn, DestroyFn, ErrorOut, FLAG_PANIC_UNWIND, MAGIC, MetricSink,
        PluginLibrary, SliceRef, Status, StrRef,
    };
    use xinzhi_plugin::glue::CollectorGlue;

    use super::*;
    use crate::collect::Collector;
    use crate::experiment::{self, RunConfig};
    use crate::scenario;

    fn registry() -> Registry {
        Registry::with_builtins(&[xinzhi_dispatch::plugin_library(), xinzhi_metrics::plugin_library()])
            .expect("registers")
    }

    /// A two-station line with due dates, the three built-in collectors, and `experiment`.
    fn scenario_text(experiment: &str) -> String {
        format!(
            r#"[scenario]
name = "line"
domain = "factory"
time_unit = "minute"
horizon = 400.0
warmup = 40.0

[experiment]
{experiment}

[[collect]]
plugin = "tardiness"

[[collect]]
plugin = "timeseries"
period = 40.0

[[factory.source]]
name = "orders"
product = "part"
interarrival = {{ dist = "exponential", mean = 1.25 }}
due = 8.0

[[factory.product]]
name = "part"
route = ["mill", "lathe"]

[[factory.station]]
name = "mill"
machines = 1
process = {{ dist = "exponential", mean = 1.0 }}
buffer = 3

[[factory.station]]
name = "lathe"
machines = 1
process = {{ dist = "exponential", mean = 0.5 }}

[[variant]]
name = "two-lathes"
set = {{ "factory.station.lathe.machines" = 2 }}
"#
        )
    }

    fn prepare_text(text: &str) -> Result<Registry, ScenarioError> {
        let file = scenario::parse(Path::new("line.toml"), text, &[]).expect("valid scenario");
        prepare(&file, registry(), &[])
    }

    #[test]
    fn defect_6_unknown_target_metric_found_before_running() {
        let experiment = "replications = 2\nmax_replications = 4\n\
                          target = { metric = \"thruput\", relative_half_width = 0.01 }";
        let e = prepare_text(&scenario_text(experiment)).unwrap_err();
        // `[experiment]` is on line 8, the target on line 11, its `metric` value in column 21.
        assert_eq!((e.file.as_path(), e.line, e.column), (Path::new("line.toml"), 11, 21), "{e}");
        assert_eq!(e.key, "experiment.target.metric");
        assert_eq!(e.suggestion.as_deref(), Some("throughput"));
        assert!(e.message.starts_with("no collector produces the metric `thruput`"), "{e}");
        assert!(e.message.contains("`tardy_fraction`") && e.message.contains("`utilization.mill`"), "{e}");

        // Per-subject metrics are declared by name, so a subject that does not exist is found
        // too, with the nearest one.
        let experiment = "replications = 2\nmax_replications = 4\n\
                          target = { metric = \"utilization.mil\", half_width = 0.01 }";
        let e = prepare_text(&scenario_text(experiment)).unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("utilization.mill"));
    }

    #[test]
    fn declared_targets_pass_whatever_collector_produces_them() {
        for metric in
            ["throughput", "utilization.mill", "queue_mean.lathe", "tardy_fraction", "cycle_time_mean.part"]
        {
            let experiment = format!(
                "replications = 2\nmax_replications = 4\ntarget = {{ metric = \"{metric}\", half_width = 1.0 }}"
            );
            prepare_text(&scenario_text(&experiment)).unwrap_or_else(|e| panic!("{metric}: {e}"));
        }
        // Without due dates there is no lateness kind: `tardy_fraction` is produced by nobody.
        let experiment = "replications = 2\nmax_replications = 4\n\
                          target = { metric = \"tardy_fraction\", half_width = 1.0 }";
        let text = scenario_text(experiment).replace("due = 8.0\n", "");
        let text = text.replace("[[collect]]\nplugin = \"tardiness\"\n\n", "");
        let e = prepare_text(&text).unwrap_err();
        assert_eq!(e.key, "experiment.target.metric");
    }

    /// Every metric a real run produces is declared, in the baseline and in the variant, and the
    /// declarations come in the scenario's time unit.
    #[test]
    fn every_metric_of_a_factory_run_matches_a_declaration() {
        let file = scenario::parse(Path::new("line.toml"), &scenario_text("replications = 2"), &[]).unwrap();
        let registry = prepare(&file, registry(), &[]).unwrap();
        let results =
            experiment::run(&file, &registry, RunConfig { threads: 1, shard: None, stop: None }, &())
                .unwrap();
        assert!(results.complete());
        let scenarios = std::iter::once(&file.baseline).chain(file.variants.iter().map(|v| &v.scenario));
        for (v, scenario) in scenarios.enumerate() {
            let declared = declared_metrics(scenario, &registry).unwrap();
            assert!(declared.complete);
            let produced: Vec<&str> = results
                .replications
                .iter()
                .filter(|r| r.variant == v)
                .flat_map(|r| r.outcome.as_ref().unwrap().metrics.iter().map(|m| m.name.as_str()))
                .collect();
            assert!(produced.len() > 10, "{produced:?}");
            for name in &produced {
                assert!(declared.metrics.iter().any(|m| m.matches(name)), "`{name}` undeclared");
            }
            for m in &declared.metrics {
                assert!(produced.iter().any(|n| m.matches(n)), "`{}` declared, never produced", m.pattern);
            }
        }
        let declared = declared_metrics(&file.baseline, &registry).unwrap();
        let facts = crate::output::RunFacts { threads: 1, wall_time_s: 0.0 };
        let manifest = crate::output::Manifest::for_run(&file, &registry, &results, facts);
        assert_eq!(manifest.metrics, declared.metrics, "the manifest's glossary is the baseline's");
        let patterns: Vec<&str> = declared.metrics.iter().map(|m| m.pattern.as_str()).collect();
        let mut sorted = patterns.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(patterns, sorted, "sorted by pattern, without duplicates");
        let get = |p: &str| declared.metrics.iter().find(|m| m.pattern == p).unwrap();
        assert_eq!(get("cycle_time_mean").unit, "minutes");
        assert_eq!(get("throughput").unit, "jobs per minute");
        assert_eq!(get("throughput").description, "jobs completed per minute over the measurement window");
        assert_eq!(get("tardiness_mean").unit, "minutes");
        let u = get("utilization.mill");
        assert_eq!((u.unit.as_str(), u.lower, u.upper), ("fraction", Some(0.0), Some(1.0)));
        assert_eq!((get("loss_fraction").lower, get("loss_fraction").upper), (Some(0.0), Some(1.0)));
        assert_eq!((get("lateness_mean").lower, get("lateness_max").lower), (None, None));
    }

    // ---- A collector built against ABI 1.0: its vtable ends before `declare`. ----

    /// The 1.0 layout of [`CollectorVTable`].
    #[repr(C)]
    struct CollectorVTable10 {
        struct_size: usize,
        create: CreateFn,
        destroy: DestroyFn,
        start: unsafe extern "C" fn(*mut std::ffi::c_void, *const CollectorStart, *mut ErrorOut) -> Status,
        batch: unsafe extern "C" fn(
            *mut std::ffi::c_void,
            SliceRef<xinzhi_plugin::Record>,
            *mut ErrorOut,
        ) -> Status,
        finish: unsafe extern "C" fn(*mut std::ffi::c_void, *const MetricSink, *mut ErrorOut) -> Status,
    }

    const KPI: CollectorVTable = <xinzhi_metrics::Kpi as CollectorGlue>::VTABLE;

    static OLD_VTABLE: CollectorVTable10 = CollectorVTable10 {
        struct_size: COLLECTOR_VTABLE_SIZE_1_0,
        create: KPI.create,
        destroy: KPI.destroy,
        start: KPI.start,
        batch: KPI.batch,
        finish: KPI.finish,
    };

    static OLD_COMPONENTS: [ComponentDescriptor; 1] = [ComponentDescriptor {
        struct_size: size_of::<ComponentDescriptor>() as u32,
        kind: ComponentKind::COLLECTOR,
        name: StrRef::new("oldkpi"),
        description: StrRef::new("the kpi collector as a 1.0 plugin"),
        parameters: StrRef::EMPTY,
        vtable: (&raw const OLD_VTABLE).cast(),
    }];

    struct OldLibrary(PluginLibrary);
    // SAFETY: immutable statics only, as for every plugin descriptor.
    unsafe impl Sync for OldLibrary {}

    static OLD_LIBRARY: OldLibrary = OldLibrary(PluginLibrary {
        header: AbiHeader {
            magic: MAGIC,
            abi_major: ABI_MAJOR,
            abi_minor: 0,
            library_struct_size: size_of::<PluginLibrary>() as u32,
            flags: FLAG_PANIC_UNWIND,
            api_version: StrRef::new("0.1.0"),
            crate_name: StrRef::new("old-metrics"),
            crate_version: StrRef::new("0.1.0"),
        },
        rustc_version: StrRef::new("rustc (test)"),
        n_components: 1,
        components: OLD_COMPONENTS.as_ptr(),
    });

    #[test]
    fn a_1_0_collector_still_runs_and_declares_nothing() {
        let mut registry = registry();
        registry.add(PluginLib::builtin(&OLD_LIBRARY.0).expect("a 1.0 library loads"), None).unwrap();
        let component = registry.find("oldkpi", ComponentKind::COLLECTOR).unwrap();
        let mut c = component.collector("{}", Services { seed: 0, replication: 0 }).unwrap();
        let file = scenario::parse(Path::new("line.toml"), &scenario_text("replications = 2"), &[]).unwrap();
        let base = &file.baseline;
        let catalogue = crate::domains::catalogue(&base.domains);
        let window = Window { warmup: base.warmup, horizon: base.horizon };
        assert_eq!(c.declare(&catalogue, window, base.time_unit), Ok(None));
        // It runs as before: the 1.1 glue behind it reads only the 1.0 fields it is given.
        c.start(&catalogue, window).unwrap();
        c.batch(&[xinzhi_plugin::Record { time: 50.0, kind: 3, subject: 0, value: 2.0 }]).unwrap();
        let finished = c.finish().unwrap();
        let wip = finished.metrics.iter().find(|m| m.name == "wip_mean").unwrap();
        assert_eq!(wip.value, 2.0 * 350.0 / 360.0);

        // A scenario using it cannot be checked completely: a target naming a metric no other
        // collector declares is left to the run.
        let text = scenario_text(
            "replications = 2\nmax_replications = 4\ntarget = { metric = \"custom\", half_width = 1.0 }",
        )
        .replace("plugin = \"tardiness\"", "plugin = \"oldkpi\"\n\n[[collect]]\nplugin = \"tardiness\"");
        let file = scenario::parse(Path::new("line.toml"), &text, &[]).unwrap();
        let declared = declared_metrics(&file.baseline, &registry).unwrap();
        assert!(!declared.complete);
        assert!(declared.metrics.iter().any(|m| m.pattern == "throughput"));
        prepare(&file, registry, &[]).expect("not refused: the 1.0 collector may produce `custom`");
    }
}
