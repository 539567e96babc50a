//! The figures of the page: forest panels, means with intervals, time series and sweep charts
//! (SVG from `charts.rs`), with their captions, legends and notes.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::charts::{self, Line, Mark, Marked, Row, XAxis};
use super::data::{self, View};
use super::html::{base_summary, code, escape};
use super::words::{
    EffectKind, effect_kind, format_estimate, format_number, format_percent_estimate, metric_info,
    metric_label, relative_is_meaningful,
};
use crate::stats::Summary;

/// The bounds of `metric` from the glossary (`None`: unbounded on that side).
pub(super) fn bounds(view: &View<'_>, metric: &str) -> (Option<f64>, Option<f64>) {
    metric_info(metric, &view.input.glossary).map_or((None, None), |i| (i.lower, i.upper))
}

/// `(low, high)` cut at `bounds`, and whether anything was cut.
pub(super) fn clip(low: f64, high: f64, (lower, upper): (Option<f64>, Option<f64>)) -> (f64, f64, bool) {
    let (mut l, mut h, mut cut) = (low, high, false);
    if let Some(b) = lower.filter(|b| l.is_finite() && l < *b) {
        l = b;
        cut = true;
    }
    if let Some(b) = upper.filter(|b| h.is_finite() && h > *b) {
        h = b;
        cut = true;
    }
    (l, h, cut)
}

/// The footnote of a chart whose intervals were cut at the metric's bounds.
pub(super) fn clipped_note((lower, upper): (Option<f64>, Option<f64>)) -> String {
    let range = match (lower, upper) {
        (Some(l), Some(u)) => format!("lies in [{}, {}]", format_number(l), format_number(u)),
        (Some(l), None) => format!("is at least {}", format_number(l)),
        (None, Some(u)) => format!("is at most {}", format_number(u)),
        (None, None) => return String::new(),
    };
    format!(
        "<p class=\"note\">The metric {}: where a 95 % interval (mean ± t·sd/√n, symmetric by construction) reaches past that bound, it is drawn cut at the bound. The full tables and CSV files give the uncut interval.</p>\n",
        escape(&range)
    )
}

/// A chart, or a note saying why it is missing. plotters is not expected to panic on the
/// sanitised data it gets, but a panic must not take the report down with it.
pub(super) fn chart(draw: impl FnOnce() -> Result<String, String>) -> String {
    match catch_unwind(AssertUnwindSafe(draw)) {
        Ok(Ok(svg)) => svg,
        Ok(Err(message)) => {
            format!("<p class=\"note warn\">This chart could not be drawn: {}.</p>", escape(&message))
        }
        Err(_) => "<p class=\"note warn\">This chart could not be drawn (internal error).</p>".to_owned(),
    }
}

/// A note that a list was cut.
pub(super) fn capped(shown: usize, total: usize, what: &str, rest: &str) -> String {
    if shown >= total {
        String::new()
    } else {
        format!("<p class=\"note\">Showing the first {shown} of {total} {what}; {rest}.</p>\n")
    }
}

/// An HTML legend under a chart.
pub(super) fn legend(entries: &[(String, plotters::style::RGBColor)]) -> String {
    let mut out = String::from("<ul class=\"legend\">");
    for (label, color) in entries {
        out.push_str(&format!(
            "<li><span class=\"swatch\" style=\"background:{}\"></span>{}</li>",
            charts::hex(*color),
            escape(label)
        ));
    }
    out.push_str("</ul>\n");
    out
}

/// The unit of `metric` from the glossary, or "".
pub(super) fn unit<'a>(view: &View<'a>, metric: &str) -> &'a str {
    metric_info(metric, &view.input.glossary).map_or("", |i| i.unit.as_str())
}

/// One forest panel per key metric, each on its own scale, so a huge change of one metric does
/// not shrink the others to dots.
pub(super) fn forest(view: &View<'_>) -> String {
    let input = view.input;
    let compared = view.compared_variants();
    let keys = view.key_metrics();
    let mut out = String::from(
        "<p>The effect of each variant on each key metric, one panel per metric on its own scale: the dot is the estimate, the bar its 95 % confidence interval, the vertical line no change. Blue: a clear effect; grey: not distinguishable from zero or below the practical threshold. Panels show the relative change in percent, or the absolute difference where the baseline is too close to 0 for a percentage to mean anything.</p>\n",
    );
    let mut drawn = 0;
    for metric in keys {
        let comparisons: Vec<&crate::compare::Comparison> =
            compared.iter().filter_map(|v| view.comparison(v, metric)).collect();
        if comparisons.is_empty() {
            continue;
        }
        let base = base_summary(view, metric);
        let absolute = comparisons.iter().any(|c| !relative_is_meaningful(c, base));
        let shown = comparisons.len().min(data::MAX_FOREST_ROWS);
        let rows: Vec<Row> = comparisons[..shown]
            .iter()
            .map(|c| {
                let clear = effect_kind(c, base) == EffectKind::Clear;
                let (value, low, high, note) = if absolute {
                    (
                        c.diff_mean,
                        c.diff_ci_low,
                        c.diff_ci_high,
                        format_estimate(c.diff_mean, c.diff_ci_low, c.diff_ci_high, true),
                    )
                } else {
                    (
                        c.rel_change * 100.0,
                        c.rel_ci_low * 100.0,
                        c.rel_ci_high * 100.0,
                        format_percent_estimate(c.rel_change, c.rel_ci_low, c.rel_ci_high),
                    )
                };
                Row {
                    label: c.variant.clone(),
                    value,
                    low,
                    high,
                    color: if clear { charts::EFFECT } else { charts::NO_EFFECT },
                    note,
                    shaded: false,
                }
            })
            .collect();
        let label = metric_label(metric, &input.glossary);
        let u = unit(view, metric);
        let (x_desc, how) = if absolute {
            let why = match base {
                Some(b) if b.mean == 0.0 => "the baseline mean is 0".to_owned(),
                Some(b) => format!(
                    "the baseline mean ({}) is too close to 0 for a percentage",
                    format_number(b.mean)
                ),
                None => "the baseline mean is too close to 0 for a percentage".to_owned(),
            };
            let x = if u.is_empty() {
                "difference vs baseline".to_owned()
            } else {
                format!("difference vs baseline ({u})")
            };
            (x, format!(": absolute difference, because {why}"))
        } else {
            ("relative change vs baseline (%)".to_owned(), ": relative change".to_owned())
        };
        out.push_str(&format!(
            "<figure class=\"panel\">\n<figcaption>{}{}</figcaption>\n",
            escape(&label),
            escape(&how)
        ));
        out.push_str(&chart(|| {
            charts::rows_chart(&format!("Effects on {metric}"), &rows, Mark::Dot, &x_desc, !absolute)
        }));
        out.push_str("</figure>\n");
        out.push_str(&capped(
            shown,
            comparisons.len(),
            "variants",
            "the headline and full tables list them all",
        ));
        drawn += 1;
    }
    if drawn == 0 {
        return "<p class=\"muted\">Nothing to plot: no variant was compared with the baseline.</p>\n"
            .to_owned();
    }
    out
}

pub(super) fn bars(view: &View<'_>) -> String {
    let input = view.input;
    let keys = view.key_metrics();
    if keys.is_empty() || view.variants.is_empty() {
        return "<p class=\"muted\">No metric to show.</p>\n".to_owned();
    }
    let mut order: Vec<&str> = view.variants.clone();
    if let Some(i) = order.iter().position(|v| *v == input.baseline) {
        let b = order.remove(i);
        order.insert(0, b);
    }
    let mut out = String::from(
        "<p>The mean of each key metric per variant, with its 95 % confidence interval (the baseline in grey).</p>\n",
    );
    for metric in keys {
        let present: Vec<&str> =
            order.iter().copied().filter(|v| view.summary(v, metric).is_some()).collect();
        let shown = present.len().min(data::MAX_BARS);
        let limits = bounds(view, metric);
        let mut cut_any = false;
        let rows: Vec<Row> = present[..shown]
            .iter()
            .map(|v| {
                let s = view.summary(v, metric).copied().unwrap_or(Summary {
                    n: 0,
                    mean: f64::NAN,
                    sd: f64::NAN,
                    ci_low: f64::NAN,
                    ci_high: f64::NAN,
                });
                let (low, high, cut) = clip(s.ci_low, s.ci_high, limits);
                cut_any |= cut;
                Row {
                    label: (*v).to_owned(),
                    value: s.mean,
                    low,
                    high,
                    color: if *v == input.baseline { charts::PALETTE[0] } else { charts::EFFECT },
                    note: format_estimate(s.mean, low, high, false),
                    shaded: false,
                }
            })
            .collect();
        let u = unit(view, metric);
        let axis = if u.is_empty() { (*metric).to_owned() } else { format!("{metric} ({u})") };
        out.push_str(&format!(
            "<figure>\n<figcaption>{}</figcaption>\n",
            escape(&metric_label(metric, &input.glossary))
        ));
        if rows.is_empty() {
            out.push_str("<p class=\"muted\">No summary for this metric.</p>\n");
        } else {
            out.push_str(&chart(|| {
                charts::rows_chart(&format!("Mean of {metric} per variant"), &rows, Mark::Bar, &axis, false)
            }));
        }
        out.push_str("</figure>\n");
        if cut_any {
            out.push_str(&clipped_note(limits));
        }
        out.push_str(&capped(shown, present.len(), "variants", "the full tables list them all"));
    }
    out
}

pub(super) fn series(view: &View<'_>) -> String {
    let input = view.input;
    let metrics = view.series_metrics();
    let mut out = String::from(
        "<p>Each line is the mean over replications at each time point, with its 95 % confidence interval when a series has at most 60 points (longer series are averaged into bins).</p>\n",
    );
    let shown_metrics = metrics.len().min(data::MAX_SERIES_METRICS);
    let time =
        if input.time_unit.is_empty() { String::from("time") } else { format!("time [{}]", input.time_unit) };
    for metric in &metrics[..shown_metrics] {
        let variants = view.series_variants(metric);
        let shown = variants.len().min(data::MAX_SERIES_VARIANTS);
        let limits = bounds(view, metric);
        let mut cut_any = false;
        let mut lines = Vec::new();
        let mut entries = Vec::new();
        for (i, v) in variants[..shown].iter().enumerate() {
            let color = if *v == input.baseline { charts::PALETTE[0] } else { charts::color(i + 1) };
            let points = view.series_means(metric, v);
            let intervals = view
                .series_intervals(metric, v)
                .into_iter()
                .map(|(t, low, high)| {
                    let (low, high, cut) = clip(low, high, limits);
                    cut_any |= cut;
                    (t, low, high)
                })
                .collect();
            lines.push(Line { color, points, intervals });
            entries.push(((*v).to_owned(), color));
        }
        let u = unit(view, metric);
        let y_desc = if u.is_empty() { (*metric).to_owned() } else { format!("{metric} ({u})") };
        out.push_str(&format!(
            "<figure>\n<figcaption>{}</figcaption>\n",
            escape(&metric_label(metric, &input.glossary))
        ));
        out.push_str(&chart(|| {
            charts::line_chart(
                &format!("{metric} over time"),
                &lines,
                &XAxis::Numeric(&time),
                &y_desc,
                None,
                None,
                false,
            )
        }));
        out.push_str(&legend(&entries));
        out.push_str("</figure>\n");
        if cut_any {
            out.push_str(&clipped_note(limits));
        }
        out.push_str(&capped(shown, variants.len(), "variants in this chart", "timeseries.csv has them all"));
    }
    out.push_str(&capped(shown_metrics, metrics.len(), "series", "timeseries.csv has them all"));
    out
}

pub(super) fn sweeps(view: &View<'_>) -> String {
    let input = view.input;
    let keys = view.key_metrics();
    let mut out = String::from(
        "<p>Each key metric's mean (with its 95 % confidence interval) against each swept value. When more than one path is swept, each line holds the other swept values fixed. The grey horizontal line is the baseline's mean; the grey square marks the baseline at its own value of the swept path, when the run records it.</p>\n",
    );
    let total = input.sweep_paths.len() * keys.len();
    let mut drawn = 0;
    let baseline_info = input.variants.iter().find(|v| v.name == input.baseline);
    'paths: for (index, path) in input.sweep_paths.iter().enumerate() {
        let axis = view.sweep_lines(path);
        if axis.lines.is_empty() {
            out.push_str(&format!("<p class=\"muted\">No variant was generated along {}.</p>\n", code(path)));
            continue;
        }
        // The baseline's own value of the path (the scenario as written), if recorded and
        // placeable on this axis.
        let base_value = baseline_info
            .and_then(|b| {
                b.sweep.iter().find(|(p, _)| p == path).map(|(_, v)| v).or_else(|| b.at_sweep.get(index))
            })
            .map(String::as_str)
            .filter(|v| axis.numeric && v.trim().parse::<f64>().is_ok_and(f64::is_finite));
        for metric in keys {
            if drawn >= data::MAX_SWEEP_CHARTS {
                break 'paths;
            }
            drawn += 1;
            let shown = axis.lines.len().min(data::MAX_SWEEP_LINES);
            let mut ticks: Vec<(f64, &str)> =
                axis.values.iter().filter_map(|v| Some((axis.x(v)?, *v))).collect();
            let base_tick = base_value.map(|v| format!("{} (baseline)", v.trim()));
            if let (Some(x), Some(label)) = (base_value.and_then(|v| axis.x(v)), base_tick.as_deref()) {
                ticks.retain(|t| t.0 != x);
                ticks.push((x, label));
            }
            let (lo, hi) = ticks
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| (lo.min(t.0), hi.max(t.0)));
            // Lines side by side at the same value are nudged apart so their intervals show.
            let span = if hi > lo { hi - lo } else { 1.0 };
            let dodge = |i: usize| (i as f64 - (shown as f64 - 1.0) / 2.0) * span * 0.008;
            let limits = bounds(view, metric);
            let mut cut_any = false;
            let mut lines = Vec::new();
            let mut entries = Vec::new();
            for (i, l) in axis.lines[..shown].iter().enumerate() {
                let mut pts: Vec<(f64, f64, f64, f64)> = l
                    .points
                    .iter()
                    .filter_map(|(x, variant)| {
                        let s = view.summary(variant, metric)?;
                        let (low, high, cut) = clip(s.ci_low, s.ci_high, limits);
                        cut_any |= cut;
                        Some((axis.x(x)? + dodge(i), s.mean, low, high))
                    })
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                let color = charts::color(i + 1);
                lines.push(Line {
                    color,
                    points: pts.iter().map(|p| (p.0, p.1)).collect(),
                    intervals: pts.iter().map(|p| (p.0, p.2, p.3)).collect(),
                });
                let label = if l.label.is_empty() { "swept variants".to_owned() } else { l.label.clone() };
                entries.push((label, color));
            }
            let baseline = base_summary(view, metric);
            let reference_label = format!(
                "{}: {}",
                input.baseline,
                baseline.map_or_else(String::new, |s| format_number(s.mean))
            );
            let reference = baseline.map(|s| (s.mean, reference_label.as_str()));
            let marked = match (base_value.and_then(|v| axis.x(v)), baseline) {
                (Some(x), Some(s)) => {
                    let (low, high, cut) = clip(s.ci_low, s.ci_high, limits);
                    cut_any |= cut;
                    Some(Marked { x, y: s.mean, low, high, label: "baseline" })
                }
                _ => None,
            };
            out.push_str(&format!(
                "<figure>\n<figcaption>{} against {}</figcaption>\n",
                escape(&metric_label(metric, &input.glossary)),
                code(path)
            ));
            let x_axis = if axis.numeric && ticks.len() > 16 {
                XAxis::Numeric(path)
            } else {
                XAxis::Labelled(path, ticks)
            };
            let u = unit(view, metric);
            let y_desc = if u.is_empty() { (*metric).to_owned() } else { format!("{metric} ({u})") };
            out.push_str(&chart(|| {
                charts::line_chart(
                    &format!("{metric} against {path}"),
                    &lines,
                    &x_axis,
                    &y_desc,
                    reference,
                    marked.as_ref(),
                    true,
                )
            }));
            out.push_str(&legend(&entries));
            out.push_str("</figure>\n");
            if cut_any {
                out.push_str(&clipped_note(limits));
            }
            out.push_str(&capped(shown, axis.lines.len(), "lines", "the full tables list every variant"));
        }
    }
    out.push_str(&capped(drawn, total, "sweep charts", "the full tables list every variant"));
    out
}
