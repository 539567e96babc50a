//! Validation of a station's `maintenance` key, with a predictive policy's `features` and its
//! `train` file.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::parse::{crew, missing, name_of, number, positive, word, word_or};
use super::types::{
    Feature, LABEL_COLUMN, MaintenanceConfig, Policy, PredictiveConfig, PreventiveBasis, Training,
    TrainingFile,
};
use crate::dist::DistSpec;
use crate::util::suggest::{list, nearest};
use crate::validate::{RawPluginTable, ScenarioError, ValidationCtx};

/// A station's `maintenance = { ... }` as written: the keys of every policy; those of a policy
/// other than the chosen one are refused after deserializing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::domains::factory::config) struct RawMaintenance {
    policy: Option<Spanned<String>>,
    duration: Option<Spanned<DistSpec>>,
    crew: Option<Spanned<String>>,
    every: Option<Spanned<f64>>,
    basis: Option<Spanned<String>>,
    threshold: Option<Spanned<f64>>,
    predictor: Option<Spanned<RawPluginTable>>,
    within: Option<Spanned<f64>>,
    features: Option<Spanned<Vec<Spanned<String>>>>,
    train: Option<Spanned<String>>,
}

const PREVENTIVE_BASES: [(&str, PreventiveBasis); 2] =
    [("age", PreventiveBasis::Age), ("calendar", PreventiveBasis::Calendar)];
const FEATURES: [(&str, Feature); 3] =
    [("level", Feature::Level), ("rate", Feature::Rate), ("age", Feature::Age)];

/// The policies by name.
#[derive(Clone, Copy, PartialEq)]
enum PolicyKind {
    RunToFailure,
    Preventive,
    Condition,
    Predictive,
}
const POLICIES: [(&str, PolicyKind); 4] = [
    ("run-to-failure", PolicyKind::RunToFailure),
    ("preventive", PolicyKind::Preventive),
    ("condition", PolicyKind::Condition),
    ("predictive", PolicyKind::Predictive),
];

/// The keys of each policy, besides `policy`, `duration` and `crew` that all take.
fn policy_keys(kind: PolicyKind) -> &'static [&'static str] {
    match kind {
        PolicyKind::RunToFailure => &[],
        PolicyKind::Preventive => &["every", "basis"],
        PolicyKind::Condition => &["threshold"],
        PolicyKind::Predictive => &["predictor", "within", "threshold", "features", "train"],
    }
}

pub(super) fn maintenance(
    ctx: &ValidationCtx<'_>,
    station: &str,
    raw: &Spanned<RawMaintenance>,
    has_sensors: bool,
    crews: &[&str],
) -> Result<MaintenanceConfig, ScenarioError> {
    let m = raw.get_ref();
    let kind = word_or(ctx, "policy", m.policy.as_ref(), &POLICIES, PolicyKind::RunToFailure)?;
    let policy_name = name_of(&POLICIES, kind);
    // Keys of another policy are refused rather than ignored: `every` on a condition policy is a
    // mistake about which policy runs.
    let mut given: Vec<(&str, Range<usize>)> = [
        ("every", m.every.as_ref().map(Spanned::span)),
        ("basis", m.basis.as_ref().map(Spanned::span)),
        ("threshold", m.threshold.as_ref().map(Spanned::span)),
        ("predictor", m.predictor.as_ref().map(Spanned::span)),
        ("within", m.within.as_ref().map(Spanned::span)),
        ("features", m.features.as_ref().map(Spanned::span)),
        ("train", m.train.as_ref().map(Spanned::span)),
    ]
    .into_iter()
    .filter_map(|(k, s)| Some((k, s?)))
    .collect();
    given.sort_by_key(|(_, s)| s.start);
    let own = policy_keys(kind);
    if let Some((key, span)) = given.iter().find(|(k, _)| !own.contains(k)) {
        let owners: Vec<&str> =
            POLICIES.iter().filter(|(_, p)| policy_keys(*p).contains(key)).map(|(w, _)| *w).collect();
        let takes = if own.is_empty() {
            "takes only `duration` and `crew`".to_owned()
        } else {
            format!("takes {} besides `duration` and `crew`", list(own.iter().copied()))
        };
        return Err(ctx
            .error(
                span,
                format!(
                    "`{key}` is a key of policy {}, not of policy \"{policy_name}\" (which {takes})",
                    owners.iter().map(|o| format!("\"{o}\"")).collect::<Vec<_>>().join(" or ")
                ),
            )
            .with_suggestion(nearest(key, own.iter().copied())));
    }
    let duration = match &m.duration {
        Some(d) => Some(ctx.dist(d)?),
        None if kind == PolicyKind::RunToFailure => None,
        None => {
            return Err(missing(
                ctx,
                &raw.span(),
                "duration",
                format!(
                    "missing required key `duration`: policy \"{policy_name}\" needs the time a maintenance action \
                     takes, e.g. `duration = {{ dist = \"exponential\", mean = 1.0 }}`"
                ),
            ));
        }
    };
    let crew = m.crew.as_ref().map(|c| crew(ctx, c, crews)).transpose()?;
    let required = |key: &str, value: Option<&Spanned<f64>>, what: &str| match value {
        Some(v) => Ok(v.clone()),
        None => Err(missing(
            ctx,
            &raw.span(),
            key,
            format!("missing required key `{key}`: policy \"{policy_name}\" needs {what}"),
        )),
    };
    let needs_sensors = || {
        let at = m.policy.as_ref().map_or_else(|| raw.span(), Spanned::span);
        ctx.error(
            &at,
            format!(
                "policy \"{policy_name}\" acts on the filtered sensor readings, but station `{station}` has no \
                 sensor: add `sensor = {{ every = ..., noise_sd = ... }}` (and `wear`, which it reads)"
            ),
        )
    };
    let policy = match kind {
        PolicyKind::RunToFailure => Policy::RunToFailure,
        PolicyKind::Preventive => {
            let every =
                required("every", m.every.as_ref(), "the interval between maintenance actions, `every`")?;
            Policy::Preventive {
                every: positive(ctx, "every", &every)?,
                basis: word_or(ctx, "basis", m.basis.as_ref(), &PREVENTIVE_BASES, PreventiveBasis::Age)?,
            }
        }
        PolicyKind::Condition => {
            if !has_sensors {
                return Err(needs_sensors());
            }
            let threshold =
                required("threshold", m.threshold.as_ref(), "the filtered wear that calls maintenance")?;
            Policy::Condition { threshold: positive(ctx, "threshold", &threshold)? }
        }
        PolicyKind::Predictive => {
            if !has_sensors {
                return Err(needs_sensors());
            }
            let Some(predictor) = &m.predictor else {
                return Err(missing(
                    ctx,
                    &raw.span(),
                    "predictor",
                    format!(
                        "missing required key `predictor`: policy \"{policy_name}\" needs a predictor plugin, e.g. \
                         `predictor = {{ plugin = \"logistic\" }}`"
                    ),
                ));
            };
            let predictor = ctx.plugin_ref(predictor)?;
            let within = required("within", m.within.as_ref(), "the horizon of the predicted failure")?;
            let within = positive(ctx, "within", &within)?;
            let threshold = required(
                "threshold",
                m.threshold.as_ref(),
                "the probability of failure that calls maintenance, in (0, 1]",
            )?;
            let threshold = number(ctx, "threshold", &threshold, "in (0, 1]", |p| p > 0.0 && p <= 1.0)?;
            let features = features(ctx, m.features.as_ref())?;
            let train = match &m.train {
                Some(path) => Training::File(training_file(ctx, path, &features)?),
                None => {
                    // Learning from the warm-up needs one: read the effective `[scenario] warmup`
                    // of this tree (a variant, sweep or `--set` may have changed it).
                    let warmup = ctx.scenario_key::<f64>("warmup").unwrap_or(0.0);
                    if warmup <= 0.0 {
                        return Err(ctx.error(
                            &raw.span(),
                            format!(
                                "policy \"predictive\" without `train` learns from the warm-up, but `[scenario] \
                                 warmup` is {warmup}: set `warmup` > 0, or give `train = \"history.csv\"`"
                            ),
                        ));
                    }
                    Training::Warmup
                }
            };
            Policy::Predictive(PredictiveConfig { predictor, within, threshold, features, train })
        }
    };
    Ok(MaintenanceConfig { policy, duration, crew })
}

/// A predictive policy's `features`: each a known feature, distinct, at least one; all of
/// [`Feature::ALL`] when absent.
fn features(
    ctx: &ValidationCtx<'_>,
    raw: Option<&Spanned<Vec<Spanned<String>>>>,
) -> Result<Vec<Feature>, ScenarioError> {
    let Some(raw) = raw else { return Ok(Feature::ALL.to_vec()) };
    if raw.get_ref().is_empty() {
        return Err(ctx.error(
            &raw.span(),
            format!("`features` must list at least one of {}", list(FEATURES.iter().map(|(w, _)| *w))),
        ));
    }
    let mut out: Vec<Feature> = Vec::with_capacity(raw.get_ref().len());
    for name in raw.get_ref() {
        let f = word(ctx, "features", name, &FEATURES)?;
        if out.contains(&f) {
            return Err(ctx.error(&name.span(), format!("feature \"{}\" is listed twice", name.get_ref())));
        }
        out.push(f);
    }
    Ok(out)
}

/// Reads a `train` file: CSV with a header naming at least the `features` columns and
/// [`LABEL_COLUMN`]; other columns are ignored. Errors are located at the `train` value and name
/// the file (and its line for a bad value).
fn training_file(
    ctx: &ValidationCtx<'_>,
    train: &Spanned<String>,
    features: &[Feature],
) -> Result<TrainingFile, ScenarioError> {
    let written = train.get_ref();
    if written.trim().is_empty() {
        return Err(ctx.error(&train.span(), "`train` must be the path of a CSV file, found an empty string"));
    }
    let path = ctx.file().parent().map(PathBuf::from).unwrap_or_default().join(written);
    let shown = path.display();
    let fail = |message: String| ctx.error(&train.span(), message);
    let bytes =
        std::fs::read(&path).map_err(|e| fail(format!("cannot read the training file `{shown}`: {e}")))?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes.as_slice());
    let header = reader
        .headers()
        .map_err(|e| fail(format!("training file `{shown}`: cannot read its header row: {e}")))?
        .clone();
    let names: Vec<&str> = header.iter().collect();
    let wanted: Vec<&str> = features.iter().map(|f| f.name()).chain([LABEL_COLUMN]).collect();
    let mut columns = Vec::with_capacity(wanted.len());
    for want in &wanted {
        let mut at = names.iter().enumerate().filter(|(_, n)| *n == want).map(|(i, _)| i);
        let Some(i) = at.next() else {
            return Err(fail(format!(
                "training file `{shown}` has no column `{want}` (it needs {}; its header row has {})",
                list(wanted.iter().copied()),
                list(names.iter().copied())
            ))
            .with_suggestion(nearest(want, names.iter().copied()).filter(|n| n != want)));
        };
        if at.next().is_some() {
            return Err(fail(format!("training file `{shown}` has two columns named `{want}`")));
        }
        columns.push(i);
    }
    let (label, feature_columns) = columns.split_last().map_or((0, &[][..]), |(l, f)| (*l, f));
    let mut x = Vec::new();
    let mut y = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| fail(format!("training file `{shown}`: {e}")))?;
        // The reader's position of a record after blank lines is that of the first blank line:
        // skip them, then count the newlines before the record.
        let mut start = record.position().map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        let line = bytes.get(..start).unwrap_or(&bytes).iter().filter(|&&b| b == b'\n').count() + 1;
        let cell = |i: usize| record.get(i).unwrap_or_default();
        for (&i, name) in feature_columns.iter().zip(&wanted) {
            let text = cell(i);
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => x.push(v),
                _ => {
                    return Err(fail(format!(
                        "training file `{shown}` line {line}, column `{name}`: expected a finite number, found \
                         \"{text}\""
                    )));
                }
            }
        }
        let text = cell(label);
        let value = match text.to_ascii_lowercase().as_str() {
            "0" | "false" => 0.0,
            "1" | "true" => 1.0,
            _ => {
                return Err(fail(format!(
                    "training file `{shown}` line {line}, column `{LABEL_COLUMN}`: expected 0, 1, false or true, \
                     found \"{text}\""
                )));
            }
        };
        y.push(value);
    }
    let positives = y.iter().filter(|&&v| v == 1.0).count();
    if positives == 0 || positives == y.len() {
        let what = if y.is_empty() {
            "has no rows".to_owned()
        } else {
            format!("has only rows with `{LABEL_COLUMN}` = {}", u8::from(positives > 0))
        };
        return Err(fail(format!(
            "training file `{shown}` {what}: a predictor cannot learn from one class; it needs rows of both labels"
        )));
    }
    Ok(TrainingFile { sha256: crate::util::sha256_hex(&bytes), path, x: Arc::new(x), y: Arc::new(y) })
}
