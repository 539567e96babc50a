//! One scenario tree → a validated [`Scenario`]: the root tables, `[scenario]` and the domains it
//! names, `[plugins]`, `[[collect]]`; `[experiment]` is read by [`super::experiment`], each
//! domain's table by its domain module.

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use super::experiment::experiment_config;
use super::types::{DEFAULT_COLLECTOR, Scenario};
use crate::domains::{self, DomainConfig};
use crate::time::{SimTime, TimeUnit};
use crate::util::suggest::{list, nearest, one_of};
use crate::validate::{PluginRef, RawPluginTable, ScenarioError, ValidationCtx};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    description: Option<String>,
    domain: Option<Spanned<String>>,
    domains: Option<Spanned<Vec<Spanned<String>>>>,
    time_unit: Spanned<String>,
    horizon: Spanned<f64>,
    warmup: Option<Spanned<f64>>,
}

const GENERIC_TABLES: [&str; 6] = ["scenario", "experiment", "plugins", "collect", "variant", "sweep"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugins {
    load: Option<Vec<Spanned<toml::Value>>>,
}

/// Validates one scenario tree (root keys, `[scenario]`, `[experiment]`, the domain's table).
pub(super) fn build(doc: &DeTable<'_>, ctx: &ValidationCtx<'_>) -> Result<Scenario, ScenarioError> {
    let known = || GENERIC_TABLES.into_iter().chain(domains::NAMES.iter().copied());
    let (mut scenario, mut experiment, mut domain_tables) = (None, None, Vec::new());
    let (mut plugins_table, mut collect_table) = (None, None);
    for (k, v) in doc {
        match k.get_ref().as_ref() {
            "scenario" => scenario = Some(v),
            "experiment" => experiment = Some(v),
            "plugins" => plugins_table = Some(v),
            "collect" => collect_table = Some((k, v)),
            // Variants were taken out of the tree; one here was created by a `set`.
            "variant" => {
                return Err(ctx.error_with_key(&k.span(), "variant", "a variant cannot change variants"));
            }
            "sweep" => {
                return Err(ctx.error_with_key(&k.span(), "sweep", "a variant cannot change `[sweep]`"));
            }
            name if domains::NAMES.contains(&name) || domains::PLANNED.contains(&name) => {
                domain_tables.push((k, v));
            }
            other => {
                return Err(ctx
                    .error_with_key(
                        &k.span(),
                        other,
                        format!("unknown table `{other}` (expected {})", one_of(known())),
                    )
                    .with_suggestion(nearest(other, known())));
            }
        }
    }
    let Some(scenario) = scenario else {
        return Err(ctx.error_with_key(&(0..0), "scenario", "missing table `[scenario]`"));
    };
    let raw: RawScenario = ctx.deserialize(scenario)?;

    if raw.name.get_ref().trim().is_empty() {
        return Err(ctx.error(&raw.name.span(), "`name` must not be empty"));
    }
    let named = domain_names(&raw, ctx)?;
    let time_unit = TimeUnit::from_name(raw.time_unit.get_ref()).ok_or_else(|| {
        let units = TimeUnit::ALL.map(TimeUnit::name);
        ctx.error(
            &raw.time_unit.span(),
            format!("unknown time unit `{}` (expected {})", raw.time_unit.get_ref(), one_of(units)),
        )
        .with_suggestion(nearest(raw.time_unit.get_ref(), units))
    })?;
    let horizon_value = *raw.horizon.get_ref();
    let horizon = SimTime::new(horizon_value).ok().filter(|h| h.as_f64() > 0.0).ok_or_else(|| {
        ctx.error(
            &raw.horizon.span(),
            format!("`horizon` must be a finite number > 0, found {horizon_value}"),
        )
    })?;
    let warmup = match &raw.warmup {
        None => SimTime::ZERO,
        Some(w) => {
            let value = *w.get_ref();
            let warmup = SimTime::new(value).map_err(|_| {
                ctx.error(&w.span(), format!("`warmup` must be a finite number >= 0, found {value}"))
            })?;
            if warmup >= horizon {
                return Err(ctx.error(
                    &w.span(),
                    format!("`warmup` ({value}) must be less than `horizon` ({horizon_value})"),
                ));
            }
            warmup
        }
    };

    let config = experiment_config(experiment, ctx)?;

    if let Some((k, _)) =
        domain_tables.iter().find(|(k, _)| !named.iter().any(|n| n.get_ref() == k.get_ref().as_ref()))
    {
        let named: Vec<&str> = named.iter().map(|n| n.get_ref().as_str()).collect();
        let (which, names) = if named.len() == 1 {
            ("domain is", format!("`{}`", named[0]))
        } else {
            ("domains are", list(named.iter().copied()))
        };
        return Err(ctx.error(
            &k.span(),
            format!(
                "table `{}` belongs to domain `{}`, but this scenario's {which} {names}",
                k.get_ref(),
                k.get_ref()
            ),
        ));
    }
    let mut plugins = Vec::new();
    if let Some(table) = plugins_table {
        let raw: RawPlugins = ctx.deserialize(table)?;
        for entry in raw.load.iter().flatten() {
            plugins.push(ctx.library_ref(entry)?);
        }
    }
    let mut collect = Vec::new();
    if let Some((key, table)) = collect_table {
        let raw: Vec<Spanned<RawPluginTable>> = ctx.deserialize(table)?;
        for entry in &raw {
            collect.push(ctx.plugin_ref(entry)?);
        }
        if !collect.iter().any(|c| c.names(DEFAULT_COLLECTOR)) {
            collect.insert(0, PluginRef::default_at(ctx, &key.span(), DEFAULT_COLLECTOR));
        }
    } else {
        collect.push(PluginRef::default_at(ctx, &raw.name.span(), DEFAULT_COLLECTOR));
    }
    let mut domains = Vec::with_capacity(named.len());
    for name in &named {
        let Some((_, table)) = domain_tables.iter().find(|(k, _)| k.get_ref().as_ref() == name.get_ref())
        else {
            return Err(
                ctx.error(&name.span(), format!("domain `{0}` needs a `[{0}]` table", name.get_ref()))
            );
        };
        let Some(config) = DomainConfig::parse(name.get_ref(), table, ctx) else {
            return Err(ctx.error(&name.span(), format!("unknown domain `{}`", name.get_ref())));
        };
        domains.push(config?);
    }
    // Registration order, whatever order the scenario names them in: the order domains are
    // built in, so a region's same-time order does not depend on how the list is written.
    domains.sort_by_key(DomainConfig::rank);

    Ok(Scenario {
        name: raw.name.into_inner(),
        description: raw.description,
        time_unit,
        horizon,
        warmup,
        experiment: config,
        plugins,
        collect,
        domains,
    })
}

/// The domains `[scenario]` names: `domain = "x"` (one) or `domains = ["x", "y"]` (a region),
/// each registered, none twice.
fn domain_names(raw: &RawScenario, ctx: &ValidationCtx<'_>) -> Result<Vec<Spanned<String>>, ScenarioError> {
    let names = match (&raw.domain, &raw.domains) {
        (Some(one), None) => vec![one.clone()],
        (None, Some(many)) if many.get_ref().is_empty() => {
            return Err(ctx.error(&many.span(), "`domains` must name at least one domain"));
        }
        (None, Some(many)) => many.get_ref().clone(),
        (Some(_), Some(many)) => {
            return Err(
                ctx.error(&many.span(), "give either `domain` (one) or `domains` (a region), not both")
            );
        }
        (None, None) => {
            return Err(ctx.error_with_key(
                &raw.name.span(),
                "scenario.domain",
                format!(
                    "`[scenario]` needs `domain` (one of {}) or `domains` (a list of them)",
                    one_of(domains::NAMES.iter().copied())
                ),
            ));
        }
    };
    for (i, name) in names.iter().enumerate() {
        let n = name.get_ref().as_str();
        if domains::PLANNED.contains(&n) {
            return Err(ctx.error(
                &name.span(),
                format!(
                    "domain `{n}` is not available yet (available: {})",
                    list(domains::NAMES.iter().copied())
                ),
            ));
        }
        if !domains::NAMES.contains(&n) {
            let all = domains::NAMES.iter().chain(domains::PLANNED).copied();
            return Err(ctx
                .error(&name.span(), format!("unknown domain `{n}` (expected {})", one_of(all.clone())))
                .with_suggestion(nearest(n, all)));
        }
        if names[..i].iter().any(|m| m.get_ref() == n) {
            return Err(ctx.error(&name.span(), format!("domain `{n}` is named twice")));
        }
    }
    Ok(names)
}
