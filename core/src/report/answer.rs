//! The answer first: for each key metric, which variant is best and by how much, and what the
//! best variant costs on the other key metrics (its trade-offs). Shared by the report's opening
//! summary and the terminal.
//!
//! "Best" knows the metric's direction ([`better`]): the largest clear improvement (an effect
//! distinguishable from zero and above the practical threshold, [`EffectKind::Clear`]); for a
//! metric where neither direction is better, the largest clear change. A trade-off is another
//! key metric (with a direction) that the best variant clearly worsens.

use super::words::{
    Better, EffectKind, better, clear_amount, effect_kind, format_number, format_value, metric_info,
    metric_label, verb,
};
use crate::collect::MetricInfo;
use crate::compare::Comparison;
use crate::stats::Summary;

/// What the experiment says about one key metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The metric.
    pub metric: String,
    /// The variant named best (or changing the metric most), if any.
    pub variant: Option<String>,
    /// One sentence: "`third-lathe` lowers cycle time (cycle_time_mean, minutes) most: by
    /// 16.9 % ± 1.5 % (95 % CI), from 19.5 to 16.3 minutes."
    pub sentence: String,
    /// What the named variant worsens among the other key metrics, one sentence each.
    pub trade_offs: Vec<String>,
}

/// The findings for `key_metrics`, in their order, from the paired `comparisons` (each variant
/// against the same baseline); `summary(variant, metric)` gives the summaries ("from … to …").
pub fn findings(
    key_metrics: &[&str],
    comparisons: &[Comparison],
    summary: &dyn Fn(&str, &str) -> Option<Summary>,
    glossary: &[MetricInfo],
) -> Vec<Finding> {
    let Some(baseline) = comparisons.first().map(|c| c.baseline.as_str()) else { return Vec::new() };
    let mean = |variant: &str, metric: &str| summary(variant, metric).map_or(f64::NAN, |s| s.mean);
    let from_to = |variant: &str, metric: &str| {
        let info = metric_info(metric, glossary);
        let (b, v) = (mean(baseline, metric), mean(variant, metric));
        if !(b.is_finite() && v.is_finite()) {
            return String::new();
        }
        // One unit at the end reads better than two: "from 19.5 to 16.3 minutes".
        let to = format_value(v, info);
        let from = if info.is_some_and(|i| i.unit.eq_ignore_ascii_case("fraction")) {
            format_value(b, info)
        } else {
            format_number(b)
        };
        format!(", from {from} to {to}")
    };
    let mut out = Vec::new();
    for &metric in key_metrics {
        let rows: Vec<&Comparison> = comparisons.iter().filter(|c| c.metric == metric).collect();
        if rows.is_empty() {
            continue;
        }
        let base = summary(baseline, metric);
        let label = metric_label(metric, glossary);
        let clear: Vec<&Comparison> =
            rows.iter().copied().filter(|c| effect_kind(c, base.as_ref()) == EffectKind::Clear).collect();
        let direction = better(metric);
        // How much better a clear effect is (larger is better); for a neutral metric, its size.
        let gain = |c: &Comparison| match direction {
            Better::Lower => -c.diff_mean,
            Better::Higher => c.diff_mean,
            Better::Neither => c.diff_mean.abs(),
        };
        let most = if rows.len() > 1 { " most" } else { "" };
        let amount = |c: &Comparison| clear_amount(c, summary(baseline, &c.metric).as_ref());
        let improving: Vec<&Comparison> = clear.iter().copied().filter(|c| gain(c) > 0.0).collect();
        let (variant, sentence) = match direction {
            Better::Neither => match top(&clear, &|c| c.diff_mean.abs()) {
                Some(c) => (
                    Some(c.variant.clone()),
                    format!(
                        "`{}` changes {label}{most} (neither direction is better): it {} it by {}{}.",
                        c.variant,
                        verb(c),
                        amount(c),
                        from_to(&c.variant, metric)
                    ),
                ),
                None => (None, no_change(&label)),
            },
            Better::Lower | Better::Higher => match top(&improving, &gain) {
                Some(c) => (
                    Some(c.variant.clone()),
                    format!(
                        "`{}` {} {label}{most}: by {}{}{}.",
                        c.variant,
                        verb(c),
                        amount(c),
                        from_to(&c.variant, metric),
                        about_as_well(c, &improving)
                    ),
                ),
                None => {
                    let wanted = if direction == Better::Lower { "lowers" } else { "raises" };
                    match top(&clear, &|c| -gain(c)) {
                        Some(c) => (
                            None,
                            format!(
                                "No variant {wanted} {label}; `{}` {} it{most}: by {}{}.",
                                c.variant,
                                verb(c),
                                amount(c),
                                from_to(&c.variant, metric)
                            ),
                        ),
                        None => (None, no_change(&label)),
                    }
                }
            },
        };
        let trade_offs = variant
            .as_deref()
            .filter(|_| direction != Better::Neither)
            .map(|v| {
                key_metrics
                    .iter()
                    .filter(|&&other| other != metric && better(other) != Better::Neither)
                    .filter_map(|&other| {
                        let c = comparisons.iter().find(|c| c.variant == v && c.metric == other)?;
                        let base = summary(baseline, other);
                        let worse = match better(other) {
                            Better::Lower => c.diff_mean > 0.0,
                            Better::Higher => c.diff_mean < 0.0,
                            Better::Neither => false,
                        };
                        // The metric's meaning is in the glossary: a trade-off stays one line.
                        (worse && effect_kind(c, base.as_ref()) == EffectKind::Clear).then(|| {
                            format!(
                                "But `{v}` also {} {} by {}{}.",
                                verb(c),
                                metric_label(other, glossary),
                                amount(c),
                                from_to(v, other)
                            )
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Finding { metric: metric.to_owned(), variant, sentence, trade_offs });
    }
    out
}

/// Most variants named as doing about as well as the best.
const MAX_TIES: usize = 3;

/// "; `a` and `b` do about as well (within its interval)": the other improving variants whose
/// estimate lies inside the best one's 95 % interval of the difference, so a reader does not
/// take the first of several equivalent options for the only one.
fn about_as_well(best: &Comparison, improving: &[&Comparison]) -> String {
    let ties: Vec<String> = improving
        .iter()
        .filter(|c| c.variant != best.variant)
        .filter(|c| best.diff_ci_low <= c.diff_mean && c.diff_mean <= best.diff_ci_high)
        .map(|c| format!("`{}`", c.variant))
        .collect();
    match ties.len() {
        0 => String::new(),
        1 => format!("; {} does about as well (within its interval)", ties[0]),
        n if n <= MAX_TIES => format!(
            "; {} and {} do about as well (within its interval)",
            ties[..n - 1].join(", "),
            ties[n - 1]
        ),
        n => format!(
            "; {} and {} more do about as well (within its interval)",
            ties[..MAX_TIES].join(", "),
            n - MAX_TIES
        ),
    }
}

/// The highest-scoring comparison; the first of equals wins, so the order of variants decides
/// ties.
fn top<'c>(list: &[&'c Comparison], score: &dyn Fn(&Comparison) -> f64) -> Option<&'c Comparison> {
    list.iter().copied().fold(None, |best, c| match best {
        Some(b) if score(b) >= score(c) => Some(b),
        _ => Some(c),
    })
}

fn no_change(label: &str) -> String {
    format!(
        "No variant changes {label} distinguishably from zero and by more than the {} % practical threshold.",
        format_number(super::words::PRACTICAL_THRESHOLD * 100.0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comparison(variant: &str, metric: &str, diff: f64, half: f64, base: f64) -> Comparison {
        Comparison {
            variant: variant.into(),
            baseline: "baseline".into(),
            metric: metric.into(),
            n: 20,
            diff_mean: diff,
            diff_ci_low: diff - half,
            diff_ci_high: diff + half,
            rel_change: diff / base.abs(),
            rel_ci_low: (diff - half) / base.abs(),
            rel_ci_high: (diff + half) / base.abs(),
            p_value: 0.01,
        }
    }

    fn summaries(variant: &str, metric: &str) -> Option<Summary> {
        let mean = match (variant, metric) {
            ("baseline", "cycle_time_mean") => 20.0,
            ("third-lathe", "cycle_time_mean") => 16.6,
            ("buffer=2", "cycle_time_mean") => 11.4,
            ("baseline", "loss_fraction") => 0.002,
            ("third-lathe", "loss_fraction") => 0.002,
            ("buffer=2", "loss_fraction") => 0.15,
            ("baseline", "throughput") => 1.0,
            (_, "throughput") => 1.0,
            _ => return None,
        };
        Some(Summary { n: 20, mean, sd: 0.1, ci_low: mean * 0.9, ci_high: mean * 1.1 })
    }

    fn glossary() -> Vec<MetricInfo> {
        vec![
            MetricInfo {
                pattern: "cycle_time_mean".into(),
                unit: "minutes".into(),
                description: "time from arrival to completion, mean over jobs".into(),
                lower: Some(0.0),
                upper: None,
            },
            MetricInfo {
                pattern: "loss_fraction".into(),
                unit: "fraction".into(),
                description: "fraction of arrivals turned away".into(),
                lower: Some(0.0),
                upper: Some(1.0),
            },
        ]
    }

    /// The best variant by the metric's direction, with its trade-off on another key metric.
    #[test]
    fn the_best_variant_and_its_trade_offs() {
        let comparisons = vec![
            comparison("third-lathe", "cycle_time_mean", -3.4, 0.3, 20.0),
            comparison("third-lathe", "loss_fraction", 0.0, 0.0001, 0.002),
            comparison("third-lathe", "throughput", 0.00001, 0.0001, 1.0),
            comparison("buffer=2", "cycle_time_mean", -8.6, 0.5, 20.0),
            comparison("buffer=2", "loss_fraction", 0.148, 0.01, 0.002),
            comparison("buffer=2", "throughput", -0.15, 0.01, 1.0),
        ];
        let keys = ["cycle_time_mean", "loss_fraction", "throughput"];
        let f = findings(&keys, &comparisons, &summaries, &glossary());
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].variant.as_deref(), Some("buffer=2"));
        assert_eq!(
            f[0].sentence,
            "`buffer=2` lowers cycle time (cycle_time_mean, minutes) most: by 43.0 % ± 2.5 % (95 % CI), from 20 to 11.4 minutes."
        );
        assert_eq!(f[0].trade_offs.len(), 2, "{:?}", f[0].trade_offs);
        assert!(
            f[0].trade_offs[0].starts_with(
                "But `buffer=2` also raises loss fraction (loss_fraction, fraction) by +0.148 ± 0.010"
            ) && f[0].trade_offs[0].ends_with("from 0.20 % to 15.0 %."),
            "{}",
            f[0].trade_offs[0]
        );
        assert!(f[0].trade_offs[1].starts_with("But `buffer=2` also lowers throughput by 15.0 %"));
        // Nothing lowers the loss: the worst is named, no best.
        assert_eq!(f[1].variant, None);
        assert!(f[1].sentence.starts_with("No variant lowers loss fraction"), "{}", f[1].sentence);
        assert!(f[2].sentence.starts_with("No variant raises throughput; `buffer=2` lowers it most"));
    }

    #[test]
    fn equivalent_options_are_named_with_the_best() {
        let comparisons = vec![
            comparison("third-lathe", "cycle_time_mean", -3.2150, 0.1, 20.0),
            comparison("third-lathe buffer=12", "cycle_time_mean", -3.2156, 0.1, 20.0),
            comparison("faster-mill", "cycle_time_mean", -1.5, 0.1, 20.0),
        ];
        let f = findings(&["cycle_time_mean"], &comparisons, &summaries, &[]);
        assert!(
            f[0].sentence.starts_with("`third-lathe buffer=12` lowers cycle_time_mean most")
                && f[0].sentence.ends_with("; `third-lathe` does about as well (within its interval)."),
            "{}",
            f[0].sentence
        );
    }

    #[test]
    fn no_clear_effect_says_so() {
        let comparisons = vec![comparison("v", "throughput", 0.00001, 0.001, 1.0)];
        let f = findings(&["throughput"], &comparisons, &summaries, &[]);
        assert_eq!(
            f[0].sentence,
            "No variant changes throughput distinguishably from zero and by more than the 0.1 % practical threshold."
        );
        assert!(findings(&["throughput"], &[], &summaries, &[]).is_empty());
    }

    #[test]
    fn a_neutral_metric_changes_rather_than_improves() {
        let comparisons = vec![
            comparison("a", "utilization", -0.05, 0.01, 0.8),
            comparison("b", "utilization", 0.1, 0.01, 0.8),
        ];
        let f = findings(&["utilization"], &comparisons, &|_, _| None, &[]);
        assert_eq!(f[0].variant.as_deref(), Some("b"));
        assert!(f[0].sentence.starts_with(
            "`b` changes utilization most (neither direction is better): it raises it by 12.5 %"
        ));
        assert!(f[0].trade_offs.is_empty());
    }
}
