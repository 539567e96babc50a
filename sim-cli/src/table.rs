//! What a run prints at its end: the warnings, the answer in words, each variant's effects, and
//! a compact table of the key metrics (or, with `--verbose`, every metric).

use std::fmt::Write;

use xinzhi_core::collect::MetricInfo;
use xinzhi_core::compare::Comparison;
use xinzhi_core::experiment::MetricSummary;
use xinzhi_core::output::Warning;
use xinzhi_core::report::{effect_sentence_with, findings, metric_info};
use xinzhi_core::stats::Summary;

/// Formats a number with about 4 significant digits, without scientific notation for the usual
/// range of KPIs.
fn num(x: f64) -> String {
    if x.is_nan() {
        return "-".into();
    }
    let a = x.abs();
    if a == 0.0 || (1e-3..1e6).contains(&a) {
        let decimals = if a == 0.0 { 0 } else { (3 - a.log10().floor() as i32).clamp(0, 6) as usize };
        format!("{x:.decimals$}")
    } else {
        format!("{x:.3e}")
    }
}

/// Beyond this many variants (large sweeps) the terminal lists no more: the output files and
/// the report have them all.
const MAX_VARIANTS: usize = 12;

/// `rows` (consecutive per variant) as one block per variant: the first [`MAX_VARIANTS`], and
/// how many more there are.
fn variant_blocks<T>(rows: &[T], variant: impl Fn(&T) -> &str) -> (Vec<&[T]>, usize) {
    let blocks: Vec<&[T]> = rows.chunk_by(|a, b| variant(a) == variant(b)).collect();
    let hidden = blocks.len().saturating_sub(MAX_VARIANTS);
    (blocks.into_iter().take(MAX_VARIANTS).collect(), hidden)
}

/// One block per variant: metric (with its unit from the glossary), mean, 95 % CI half-width,
/// n. With `only` set, just those metrics (the key metrics), in the summaries' order.
pub(crate) fn render(
    summaries: &[MetricSummary],
    only: Option<&[String]>,
    glossary: &[MetricInfo],
) -> String {
    let rows: Vec<&MetricSummary> =
        summaries.iter().filter(|s| only.is_none_or(|keys| keys.contains(&s.metric))).collect();
    let name = |metric: &str| match metric_info(metric, glossary).map(|i| i.unit.as_str()) {
        Some(unit) if !unit.is_empty() => format!("{metric} [{unit}]"),
        _ => metric.to_owned(),
    };
    let width = rows.iter().map(|s| name(&s.metric).chars().count()).max().unwrap_or(6).max(6);
    let mut out = String::new();
    let (blocks, hidden) = variant_blocks(&rows, |s| &s.variant);
    for block in blocks {
        let _ = writeln!(out, "\n{}", block[0].variant);
        let _ = writeln!(out, "  {:width$}  {:>12}  {:>12}  {:>4}", "metric", "mean", "± 95% CI", "n");
        for s in block {
            let sm = &s.summary;
            let half = (sm.ci_high - sm.ci_low) / 2.0;
            let label = name(&s.metric);
            let pad = width.saturating_sub(label.chars().count());
            let _ =
                writeln!(out, "  {label}{:pad$}  {:>12}  {:>12}  {:>4}", "", num(sm.mean), num(half), sm.n);
        }
    }
    if hidden > 0 {
        let _ = writeln!(out, "\n… and {hidden} more variant(s): see summary.csv");
    }
    out
}

/// The run's cautions, first of all, so nothing below is read without them.
pub(crate) fn warnings(warnings: &[Warning]) -> String {
    if warnings.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nRead these results with care:\n");
    for w in warnings {
        let who = w.variant.as_deref().map_or_else(String::new, |v| format!("[{v}] "));
        let _ = writeln!(out, "  ! {who}{}", w.message);
    }
    out
}

/// The summary of `metric` in `variant`, if any.
fn lookup<'a>(summaries: &'a [MetricSummary]) -> impl Fn(&str, &str) -> Option<Summary> + 'a {
    move |variant, metric| {
        summaries.iter().find(|s| s.variant == variant && s.metric == metric).map(|s| s.summary)
    }
}

/// The answer: per key metric, the best variant and by how much, and its trade-offs.
pub(crate) fn answer(
    comparisons: &[Comparison],
    summaries: &[MetricSummary],
    key_metrics: &[String],
    glossary: &[MetricInfo],
) -> String {
    let keys: Vec<&str> = key_metrics.iter().map(String::as_str).collect();
    let found = findings(&keys, comparisons, &lookup(summaries), glossary);
    let Some(first) = comparisons.first() else { return String::new() };
    let mut out =
        format!("\nThe answer (against `{}`, paired over common random numbers, 95 % CI):\n", first.baseline);
    for f in &found {
        let _ = writeln!(out, "  * {}", f.sentence);
        for t in &f.trade_offs {
            let _ = writeln!(out, "      {t}");
        }
    }
    out
}

/// Each variant's paired effects on the key metrics, in words (effects whose interval contains
/// zero, or below the practical threshold, are said to be so).
pub(crate) fn effects(
    comparisons: &[Comparison],
    summaries: &[MetricSummary],
    key_metrics: &[String],
    glossary: &[MetricInfo],
) -> String {
    let rows: Vec<&Comparison> = comparisons.iter().filter(|c| key_metrics.contains(&c.metric)).collect();
    let Some(first) = rows.first() else { return String::new() };
    let summary = lookup(summaries);
    let mut out = format!("\neffects vs `{}`:\n", first.baseline);
    let (blocks, hidden) = variant_blocks(&rows, |c| &c.variant);
    for block in blocks {
        let _ = writeln!(out, "  {}", block[0].variant);
        for c in block {
            // The sentence itself says when the interval contains zero.
            let base = summary(&c.baseline, &c.metric);
            let _ = writeln!(out, "    {}", effect_sentence_with(c, base.as_ref(), glossary));
        }
    }
    if hidden > 0 {
        let _ = writeln!(out, "  … and {hidden} more variant(s): see comparison.csv and report.html");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_readable() {
        assert_eq!(num(4.98412), "4.984");
        assert_eq!(num(0.800227), "0.8002");
        assert_eq!(num(1234.5678), "1235");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(f64::NAN), "-");
        assert_eq!(num(2.5e-7), "2.500e-7");
    }

    fn summary(variant: &str, metric: &str, mean: f64) -> MetricSummary {
        MetricSummary {
            variant: variant.into(),
            metric: metric.into(),
            summary: Summary { n: 10, mean, sd: 0.1, ci_low: mean - 0.1, ci_high: mean + 0.1 },
        }
    }

    /// The default table shows the key metrics only, each with its unit.
    #[test]
    fn the_compact_table_has_key_metrics_with_units() {
        let rows =
            vec![summary("baseline", "cycle_time_mean", 20.0), summary("baseline", "queue_mean.lathe", 3.0)];
        let glossary = vec![MetricInfo {
            pattern: "cycle_time_mean".into(),
            unit: "minutes".into(),
            description: String::new(),
            lower: Some(0.0),
            upper: None,
        }];
        let keys = vec!["cycle_time_mean".to_owned()];
        let compact = render(&rows, Some(&keys), &glossary);
        assert!(compact.contains("cycle_time_mean [minutes]"), "{compact}");
        assert!(!compact.contains("queue_mean.lathe"));
        assert!(render(&rows, None, &glossary).contains("queue_mean.lathe"));
    }

    #[test]
    fn warnings_come_as_a_list() {
        assert_eq!(warnings(&[]), "");
        let w = Warning { code: "not_stationary".into(), variant: Some("v".into()), message: "grows".into() };
        assert_eq!(warnings(&[w]), "\nRead these results with care:\n  ! [v] grows\n");
    }
}
