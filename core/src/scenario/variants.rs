//! `[[variant]]` and `[sweep]`: the what-ifs of a scenario, each the baseline tree with some
//! values changed, validated like the baseline. A sweep's grid points are generated variants,
//! crossed with the baseline and every explicit variant.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::build::build;
use super::overrides::{PathKey, apply, join_path, keys_in};
use super::types::{BASELINE_NAME, MAX_SWEEP_VARIANTS, Variant};
use crate::util::suggest::{list, nearest};
use crate::validate::{ScenarioError, Source, ValidationCtx};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    name: Spanned<String>,
    description: Option<String>,
    // Checked to be a table here; its entries are read from the tree, where values keep their
    // nested spans.
    #[serde(default)]
    #[expect(dead_code, reason = "only validated: entries are taken from the spanned tree")]
    set: Option<BTreeMap<String, IgnoredAny>>,
}

/// One entry of a variant's `set`.
struct SetEntry<'i> {
    /// The path as written (dotted keys joined with `.`).
    path: String,
    /// The path's keys, or why it is malformed.
    keys: Result<Vec<PathKey>, String>,
    /// From the start of the first TOML key to the end of the last.
    key_span: Range<usize>,
    value: Spanned<DeValue<'i>>,
}

/// The entries of a `set` table in file order. Paths are usually quoted keys
/// (`"<domain>.<table>.<name>.<key>" = 2`); unquoted dotted keys (`<domain>.<table>.<name>.<key>
/// = 2`) are accepted too and recognised by their table's span being the key's own span.
fn set_entries<'i>(text: &str, set: &DeTable<'i>) -> Vec<SetEntry<'i>> {
    struct Prefix {
        path: Vec<String>,
        keys: Result<Vec<PathKey>, String>,
        start: Option<usize>,
    }
    fn walk<'i>(text: &str, table: &DeTable<'i>, prefix: &Prefix, out: &mut Vec<SetEntry<'i>>) {
        for (k, v) in table {
            let span = k.span();
            let mut path = prefix.path.clone();
            path.push(k.get_ref().to_string());
            let keys = match (&prefix.keys, keys_in(text, k.get_ref(), &span)) {
                (Ok(before), Ok(more)) => Ok(before.iter().cloned().chain(more).collect()),
                (Err(e), _) => Err(e.clone()),
                (_, Err(e)) => Err(e),
            };
            let next = Prefix { path, keys, start: Some(prefix.start.unwrap_or(span.start)) };
            match v.get_ref() {
                DeValue::Table(t) if v.span() == span => walk(text, t, &next, out),
                _ => out.push(SetEntry {
                    path: next.path.join("."),
                    keys: next.keys,
                    key_span: next.start.unwrap_or(span.start)..span.end,
                    value: v.clone(),
                }),
            }
        }
    }
    let mut out = Vec::new();
    walk(text, set, &Prefix { path: Vec::new(), keys: Ok(Vec::new()), start: None }, &mut out);
    out.sort_by_key(|e| e.key_span.start);
    out
}

/// The value as TOML text, for manifests.
fn render(value: &Spanned<DeValue<'_>>) -> String {
    toml::Value::deserialize(ValueDeserializer::from(value.clone()))
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// The value `tree` gives each swept path, as TOML text (empty where the path is not written and
/// its default applies).
pub(super) fn values_at(tree: &DeTable<'_>, axes: &[Axis<'_>]) -> Vec<String> {
    axes.iter().map(|a| super::overrides::get(tree, &a.names).map(render).unwrap_or_default()).collect()
}

/// One path of `[sweep]` and the values it takes.
pub(super) struct Axis<'i> {
    /// The path as written (dotted keys joined with `.`).
    pub(super) path: String,
    /// Its keys' names, to compare paths however they were written.
    names: Vec<String>,
    keys: Vec<PathKey>,
    /// From the start of the first TOML key to the end of the last.
    key_span: Range<usize>,
    values: Vec<Spanned<DeValue<'i>>>,
    /// Each value rendered as TOML.
    rendered: Vec<String>,
    /// The shortest suffix of the path that is unique among the swept paths, for names.
    label: String,
}

/// Validates `[sweep]`: each entry a dotted path (as in a variant's `set`) and a non-empty
/// array of the values it takes. Returns the paths in file order.
pub(super) fn parse_sweep<'i>(
    src: &Source<'_>,
    key: Spanned<Cow<'i, str>>,
    value: Spanned<DeValue<'i>>,
) -> Result<Vec<Axis<'i>>, ScenarioError> {
    // Raw checks see a tree holding only the sweep, so keys read `sweep.…`.
    let mut holder = DeTable::new();
    holder.insert(key, value.clone());
    let ctx = ValidationCtx::new(src, &holder, None);
    let _: BTreeMap<String, IgnoredAny> = ctx.deserialize(&value)?;
    let Some(table) = value.get_ref().as_table() else { return Ok(Vec::new()) };

    let mut axes: Vec<Axis<'i>> = Vec::new();
    for entry in set_entries(src.text, table) {
        let fail = |message: String| ctx.error_with_key(&entry.key_span, entry.path.clone(), message);
        let keys = entry.keys.clone().map_err(fail)?;
        match keys.first().map(|k| k.name.as_str()) {
            Some("experiment") => {
                return Err(fail(
                    "`[sweep]` cannot change `[experiment]`: all variants share replications and seed, so \
                     that their differences are paired; set it in `[experiment]` or with `--set`"
                        .into(),
                ));
            }
            Some(table @ ("sweep" | "variant")) => {
                return Err(fail(format!("`[sweep]` cannot change `{table}`")));
            }
            _ => {}
        }
        let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
        if let Some(other) = axes.iter().find(|a| a.names.starts_with(&names) || names.starts_with(&a.names))
        {
            let (line, _) = src.line_col(other.key_span.start);
            let at =
                if other.key_span.start <= src.text.len() { format!("line {line}") } else { "--set".into() };
            return Err(fail(if other.names == names {
                format!("`{}` is swept twice (first at {at})", entry.path)
            } else if names.starts_with(&other.names) {
                format!(
                    "`{}` lies inside `{}`, also swept (at {at}): sweep one or the other",
                    entry.path, other.path
                )
            } else {
                format!(
                    "`{}` contains `{}`, also swept (at {at}): sweep one or the other",
                    entry.path, other.path
                )
            }));
        }
        let values = match entry.value.get_ref() {
            DeValue::Array(items) if items.is_empty() => {
                return Err(ctx.error_with_key(
                    &entry.value.span(),
                    entry.path.clone(),
                    "expected at least one value to sweep, found an empty array",
                ));
            }
            DeValue::Array(items) => items.to_vec(),
            _ => {
                return Err(ctx.error_with_key(
                    &entry.value.span(),
                    entry.path.clone(),
                    format!(
                        "expected an array of the values to sweep, e.g. `[1, 2, 3]`, found {}{}",
                        found(&entry.value),
                        if entry.value.get_ref().is_table() {
                            " (each path is one key of `[sweep]`: `\"factory.station.mill.machines\" = [1, 2]`)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        };
        axes.push(Axis {
            path: entry.path,
            names,
            keys,
            key_span: entry.key_span,
            rendered: values.iter().map(render).collect(),
            values,
            label: String::new(),
        });
    }
    let labels = labels(&axes.iter().map(|a| a.names.clone()).collect::<Vec<_>>());
    for (axis, label) in axes.iter_mut().zip(labels) {
        axis.label = label;
    }
    Ok(axes)
}

/// A value for "found …" in messages.
fn found(value: &Spanned<DeValue<'_>>) -> String {
    match value.get_ref() {
        DeValue::String(_) => format!("the string {}", render(value)),
        DeValue::Table(_) => "a table".to_owned(),
        _ => render(value),
    }
}

/// For each path, the shortest suffix of its keys that no other path ends with (the whole path
/// when even that is the end of another).
pub(super) fn labels(paths: &[Vec<String>]) -> Vec<String> {
    paths
        .iter()
        .map(|path| {
            let unique = (1..=path.len())
                .filter_map(|n| path.get(path.len() - n..))
                .find(|suffix| paths.iter().filter(|other| other.ends_with(suffix)).count() == 1);
            join_path(unique.unwrap_or(path))
        })
        .collect()
}

/// The number of grid points of the sweep (0 without one), checked so that the `sources`
/// scenarios swept (the baseline and each explicit variant) generate at most
/// [`MAX_SWEEP_VARIANTS`] variants.
fn grid_size(src: &Source<'_>, axes: &[Axis<'_>], sources: usize) -> Result<usize, ScenarioError> {
    if axes.is_empty() {
        return Ok(0);
    }
    let total = axes.iter().fold(sources, |n, a| n.saturating_mul(a.values.len()));
    let mut running = sources;
    for axis in axes {
        running = running.saturating_mul(axis.values.len());
        if running > MAX_SWEEP_VARIANTS {
            let sizes: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
            return Err(src.error_at(
                &axis.key_span,
                axis.path.clone(),
                format!(
                    "`[sweep]` would generate {total} variants ({sources} swept scenario(s) × {} values), \
                     more than {MAX_SWEEP_VARIANTS}",
                    sizes.join(" × ")
                ),
            ));
        }
    }
    Ok(axes.iter().map(|a| a.values.len()).product())
}

/// The value index of each path at grid point `index` (the last path varies fastest).
fn grid_point(axes: &[Axis<'_>], mut index: usize) -> Vec<usize> {
    let mut digits = vec![0; axes.len()];
    for (digit, axis) in digits.iter_mut().zip(axes).rev() {
        let n = axis.values.len().max(1);
        *digit = index % n;
        index /= n;
    }
    digits
}

/// `label=value` for each path, joined by spaces: `servers=2 buffer=5`.
fn point_name(axes: &[Axis<'_>], digits: &[usize]) -> String {
    let parts: Vec<String> = axes
        .iter()
        .zip(digits)
        .map(|(a, &d)| format!("{}={}", a.label, a.rendered.get(d).map_or("", String::as_str)))
        .collect();
    parts.join(" ")
}

/// The name of the variant generated from `source` (`None`: the baseline) at a grid point.
fn generated_name(source: Option<&str>, point: &str) -> String {
    source.map_or_else(|| point.to_owned(), |v| format!("{v} {point}"))
}

/// Checks that `[experiment] baseline` names the baseline or a variant.
pub(super) fn check_baseline_name(
    src: &Source<'_>,
    doc: &DeTable<'_>,
    name: &str,
    variants: &[Variant],
) -> Result<(), ScenarioError> {
    if name == BASELINE_NAME || variants.iter().any(|v| v.name == name) {
        return Ok(());
    }
    let span = doc
        .get("experiment")
        .and_then(|e| e.get_ref().as_table())
        .and_then(|t| t.get("baseline"))
        .map_or(0..0, Spanned::span);
    let names: Vec<&str> =
        std::iter::once(BASELINE_NAME).chain(variants.iter().map(|v| v.name.as_str())).collect();
    // A sweep may generate thousands of names: list the first few.
    const LISTED: usize = 12;
    let mut known = list(names.iter().take(LISTED).copied());
    if names.len() > LISTED {
        known.push_str(&format!(", … ({} in all)", names.len()));
    }
    Err(ValidationCtx::new(src, doc, None)
        .error(&span, format!("unknown variant `{name}` (known variants: {known})"))
        .with_suggestion(nearest(name, names.iter().copied())))
}

/// Validates `[[variant]]` and builds each variant on top of `doc` (the overridden baseline),
/// then the variants `[sweep]` generates from the baseline and from each of them.
pub(super) fn build_variants<'i>(
    src: &Source<'_>,
    doc: &DeTable<'i>,
    entry: Option<(Spanned<Cow<'i, str>>, Spanned<DeValue<'i>>)>,
    axes: &[Axis<'i>],
) -> Result<Vec<Variant>, ScenarioError> {
    // Raw checks see a tree holding only the variants, so keys read `variant[name].…`.
    let mut holder = DeTable::new();
    let value = entry.map(|(key, value)| {
        holder.insert(key, value.clone());
        value
    });
    let ctx = ValidationCtx::new(src, &holder, None);
    let raws: Vec<Spanned<RawVariant>> = match &value {
        Some(value) => ctx.deserialize(value)?,
        None => Vec::new(),
    };
    ctx.names("variant", raws.iter().map(|r| &r.get_ref().name))?;
    let elements =
        value.as_ref().and_then(|v| v.get_ref().as_array()).map(|a| a.as_ref()).unwrap_or_default();

    // Generated names, checked against each other and (below) against the explicit ones.
    let grid = grid_size(src, axes, raws.len() + 1)?;
    let points: Vec<Vec<usize>> = (0..grid).map(|i| grid_point(axes, i)).collect();
    let point_names: Vec<String> = points.iter().map(|p| point_name(axes, p)).collect();
    let mut generated_names = BTreeSet::new();
    let sources = std::iter::once(None).chain(raws.iter().map(|r| Some(r.get_ref().name.get_ref().as_str())));
    for source in sources {
        // Without a sweep there are no points, so no names.
        for point in &point_names {
            let name = generated_name(source, point);
            if !generated_names.insert(name.clone()) {
                let first = axes.first().map_or(0..0, |a| a.key_span.clone());
                return Err(src.error_at(
                    &first,
                    "sweep",
                    format!(
                        "two variants generated by `[sweep]` would both be named `{name}`: rename a variant"
                    ),
                ));
            }
        }
    }

    let mut variants = Vec::with_capacity(raws.len() * (grid + 1) + grid);
    // The trees the sweep starts from: the baseline's and each explicit variant's.
    let mut swept_sources = Vec::new();
    if grid > 0 {
        swept_sources.push((None, doc.clone(), Vec::new()));
    }
    for (raw, element) in raws.into_iter().zip(elements) {
        let RawVariant { name, description, .. } = raw.into_inner();
        if name.get_ref().eq_ignore_ascii_case(BASELINE_NAME) {
            return Err(ctx.error(
                &name.span(),
                format!("the name `{}` is reserved for the unchanged scenario", name.get_ref()),
            ));
        }
        if generated_names.contains(name.get_ref()) {
            return Err(ctx.error(
                &name.span(),
                format!(
                    "`{}` is also the name of a variant generated by `[sweep]`: rename this variant",
                    name.get_ref()
                ),
            ));
        }
        let set =
            element.get_ref().as_table().and_then(|t| t.get("set")).and_then(|s| s.get_ref().as_table());
        let entries = set.map(|set| set_entries(src.text, set)).unwrap_or_default();
        let name = name.into_inner();

        let mut tree = doc.clone();
        let vctx = ValidationCtx::new(src, &holder, Some(&name));
        for entry in &entries {
            let fail = |message: String| vctx.error_with_key(&entry.key_span, entry.path.clone(), message);
            let keys = entry.keys.clone().map_err(fail)?;
            if keys.first().map(|k| k.name.as_str()) == Some("experiment") {
                return Err(fail(
                    "a variant cannot change `[experiment]`: all variants share replications and seed, so that \
                     their differences are paired; set it in `[experiment]` or with `--set`"
                        .into(),
                ));
            }
            let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
            if let Some(axis) = axes.iter().find(|a| names.starts_with(&a.names)) {
                return Err(fail(if axis.names == names {
                    format!(
                        "`{}` is also swept in [sweep]; the sweep would replace this value: remove it from \
                         `set` or from [sweep]",
                        entry.path
                    )
                } else {
                    format!(
                        "`{}` lies inside `{}`, which is swept in [sweep]; the sweep would replace this \
                         value: remove it from `set` or sweep `{}` instead",
                        entry.path, axis.path, entry.path
                    )
                }));
            }
            apply(&mut tree, &keys, entry.value.clone()).map_err(|e| {
                vctx.error_with_key(&e.span, entry.path.clone(), e.message).with_suggestion(e.suggestion)
            })?;
        }
        let scenario = build(&tree, &ValidationCtx::new(src, &tree, Some(&name)))?;
        let set: Vec<(String, String)> = entries.iter().map(|e| (e.path.clone(), render(&e.value))).collect();
        let at_sweep = values_at(&tree, axes);
        if grid > 0 {
            swept_sources.push((Some(name.clone()), tree, set.clone()));
        }
        variants.push(Variant {
            name,
            description,
            scenario,
            set,
            sweep: Vec::new(),
            crossed_with: None,
            at_sweep,
        });
    }

    for (source, tree, set) in &swept_sources {
        for (digits, point) in points.iter().zip(&point_names) {
            let name = generated_name(source.as_deref(), point);
            let mut tree = tree.clone();
            let vctx = ValidationCtx::new(src, &holder, Some(&name));
            let mut swept = Vec::with_capacity(2 * axes.len());
            let mut changes = Vec::with_capacity(axes.len());
            for (axis, &d) in axes.iter().zip(digits) {
                let (Some(value), Some(rendered)) = (axis.values.get(d), axis.rendered.get(d)) else {
                    continue;
                };
                apply(&mut tree, &axis.keys, value.clone()).map_err(|e| {
                    vctx.error_with_key(&e.span, axis.path.clone(), e.message).with_suggestion(e.suggestion)
                })?;
                // Errors about the value, or about keys the path created, name the path.
                swept.push((value.span(), axis.path.clone()));
                swept.push((axis.key_span.clone(), axis.path.clone()));
                changes.push((axis.path.clone(), rendered.clone()));
            }
            let scenario = build(&tree, &ValidationCtx::new(src, &tree, Some(&name)).with_swept(&swept))?;
            variants.push(Variant {
                name,
                description: None,
                scenario,
                set: set.iter().cloned().chain(changes.iter().cloned()).collect(),
                at_sweep: changes.iter().map(|(_, v)| v.clone()).collect(),
                sweep: changes,
                crossed_with: Some(source.clone().unwrap_or_else(|| BASELINE_NAME.to_owned())),
            });
        }
    }
    Ok(variants)
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_are_the_shortest_unique_suffixes() {
        let paths = [vec!["a".into(), "b".into()], vec!["x".into(), "a".into(), "b".into()]];
        assert_eq!(super::labels(&paths), ["a.b", "x.a.b"]);
    }
}
