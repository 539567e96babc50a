//! A scenario's plugins: load the libraries it names, then check every reference (name and
//! parameters) of the baseline and each variant before anything runs; then check that the
//! precision target names a metric some collector declares.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

use std::path::PathBuf;

use super::{ComponentKind, LookupError, PluginLib, Registry, Services};
use crate::collect::{MetricInfo, Window};
use crate::scenario::suggest::nearest;
use crate::scenario::{PluginRef, Scenario, ScenarioError, ScenarioFile};

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
        let fail = |e: super::LoadError| ScenarioError::new(path, e.to_string()).with_key("--load");
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
            return Err(target
                .metric_error(format!(
                    "no collector produces the metric `{}`{whose} (the collectors {} produce: {})",
                    target.metric,
                    collectors(scenario),
                    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ))
                .with_suggestion(suggestion));
        }
    }
    Ok(registry)
}

/// The collectors of a scenario for messages: `` `kpi`, `tardiness` ``.
fn collectors(scenario: &Scenario) -> String {
    scenario.collect.iter().map(|c| format!("`{}`", c.plugin)).collect::<Vec<_>>().join(", ")
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
    let catalogue = crate::domains::catalogue(&scenario.model);
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
