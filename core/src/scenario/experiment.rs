//! `[experiment]`: replications, master seed, the baseline to compare against and the optional
//! precision target, with their defaults.

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeValue;

use super::types::{BASELINE_NAME, ExperimentConfig, HalfWidth, MAX_REPLICATIONS, PrecisionTarget};
use crate::validate::{ScenarioError, ValidationCtx};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperiment {
    replications: Option<Spanned<u32>>,
    seed: Option<Spanned<u64>>,
    baseline: Option<Spanned<String>>,
    target: Option<Spanned<RawTarget>>,
    max_replications: Option<Spanned<u32>>,
    batch: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    metric: Spanned<String>,
    relative_half_width: Option<Spanned<f64>>,
    half_width: Option<Spanned<f64>>,
}

const DEFAULT_REPLICATIONS: u32 = 10;
const DEFAULT_SEED: u64 = 1;

/// Validates `[experiment]` (absent: the defaults).
pub(super) fn experiment_config(
    table: Option<&Spanned<DeValue<'_>>>,
    ctx: &ValidationCtx<'_>,
) -> Result<ExperimentConfig, ScenarioError> {
    let mut config = ExperimentConfig {
        replications: DEFAULT_REPLICATIONS,
        seed: DEFAULT_SEED,
        baseline: BASELINE_NAME.to_owned(),
        target: None,
    };
    let Some(table) = table else { return Ok(config) };
    let raw: RawExperiment = ctx.deserialize(table)?;
    if let Some(r) = &raw.replications {
        let n = *r.get_ref();
        if n == 0 || n > MAX_REPLICATIONS {
            let msg = format!("`replications` must be from 1 to {MAX_REPLICATIONS}, found {n}");
            return Err(ctx.error(&r.span(), &msg));
        }
        config.replications = n;
    }
    if let Some(seed) = raw.seed {
        config.seed = seed.into_inner();
    }
    // Checked against the variants' names once they are all known.
    if let Some(b) = raw.baseline {
        config.baseline = b.into_inner();
    }
    let Some(target) = raw.target else {
        for (key, given) in [("max_replications", &raw.max_replications), ("batch", &raw.batch)] {
            if let Some(v) = given {
                return Err(ctx.error(
                    &v.span(),
                    format!("`{key}` is only used with a precision `target`, and there is none"),
                ));
            }
        }
        return Ok(config);
    };
    let target_span = target.span();
    let RawTarget { metric, relative_half_width, half_width } = target.into_inner();
    if metric.get_ref().trim().is_empty() {
        return Err(ctx.error(&metric.span(), "`metric` must not be empty"));
    }
    let positive = |key: &str, v: &Spanned<f64>| {
        let value = *v.get_ref();
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(ctx.error(&v.span(), format!("`{key}` must be a finite number > 0, found {value}")))
        }
    };
    let half_width = match (&relative_half_width, &half_width) {
        (Some(r), None) => HalfWidth::Relative(positive("relative_half_width", r)?),
        (None, Some(a)) => HalfWidth::Absolute(positive("half_width", a)?),
        (Some(_), Some(a)) => {
            return Err(ctx.error(&a.span(), "give either `relative_half_width` or `half_width`, not both"));
        }
        (None, None) => {
            return Err(ctx.error(
                &target_span,
                "`target` needs `relative_half_width` (a fraction of the mean) or `half_width` (in the \
                 metric's unit)",
            ));
        }
    };
    if config.replications < 2 {
        let span = raw.replications.as_ref().map_or_else(|| target_span.clone(), Spanned::span);
        return Err(ctx.error_with_key(
            &span,
            "experiment.replications",
            format!(
                "with a `target`, `replications` is the first batch and must be >= 2 (a confidence \
                 interval needs two replications), found {}",
                config.replications
            ),
        ));
    }
    let Some(max) = raw.max_replications else {
        return Err(ctx.error(
            &target_span,
            "`target` needs `max_replications` (the most replications per variant, should the target \
             not be met)",
        ));
    };
    let n = *max.get_ref();
    if n < config.replications || n > MAX_REPLICATIONS {
        return Err(ctx.error(
            &max.span(),
            format!(
                "`max_replications` must be from `replications` ({}) to {MAX_REPLICATIONS}, found {n}",
                config.replications
            ),
        ));
    }
    let batch = match &raw.batch {
        None => config.replications,
        Some(b) if *b.get_ref() == 0 => return Err(ctx.error(&b.span(), "`batch` must be >= 1, found 0")),
        Some(b) => *b.get_ref(),
    };
    let metric_written = Some(ctx.error(&metric.span(), ""));
    config.target = Some(PrecisionTarget {
        metric: metric.into_inner(),
        half_width,
        max_replications: n,
        batch,
        metric_written,
    });
    Ok(config)
}
