//! A scenario's plugins: load the libraries it names, then check every reference (name and
//! parameters) of the baseline and each variant before anything runs.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

use std::path::PathBuf;

use super::{ComponentKind, LookupError, PluginLib, Registry, Services};
use crate::scenario::suggest::nearest;
use crate::scenario::{ScenarioError, ScenarioFile};

/// Adds the libraries of `[plugins] load` and of `extra` (e.g. `--load` flags) to `registry`,
/// then checks that every plugin the scenario and its variants name exists with the right kind
/// and accepts its parameters (by creating one instance of each).
///
/// # Errors
/// The first library that cannot be loaded, or the first bad reference, located in the
/// scenario (a library from `extra` is reported with its path).
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
    Ok(registry)
}
