//! The page: sections in order, HTML-escaped text, inline style sheet and SVG.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::answer::findings;
use super::charts::{self, Line, Mark, Marked, Row, XAxis};
use super::data::{self, View};
use super::input::ReportInput;
use super::words::{
    Better, EffectKind, MAX_RELATIVE_CHANGE, PRACTICAL_THRESHOLD, better, change_words, effect_kind,
    effect_sentence_with, estimate_parts, format_estimate, format_interval, format_number, format_p_value,
    format_percent_estimate, format_percent_interval, format_percent_value, metric_info, metric_label,
    metric_words, plural, relative_is_meaningful,
};
use crate::stats::Summary;

/// The page's style sheet.
const CSS: &str = include_str!("report.css");

/// `s` safe as HTML text and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Escaped `s` with line-break opportunities after `,` `.` `/` (long variant and metric
/// names wrap at their parts rather than mid-word).
fn breakable(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        out.push_str(&escape(c.encode_utf8(&mut [0; 4])));
        if matches!(c, ',' | '.' | '/') {
            out.push_str("<wbr>");
        }
    }
    out
}

/// Escaped text with "± 1.5 %" kept on one line.
fn nowrap_units(escaped: &str) -> String {
    escaped.replace(" %", "\u{a0}%").replace("± ", "±\u{a0}")
}

/// `<code>` of escaped `s`.
fn code(s: &str) -> String {
    format!("<code>{}</code>", escape(s))
}

/// Escaped `s` with each `name` in backticks set as code.
fn ticks_to_code(s: &str) -> String {
    let escaped = escape(s);
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{part}</code>"));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The bounds of `metric` from the glossary (`None`: unbounded on that side).
fn bounds(view: &View<'_>, metric: &str) -> (Option<f64>, Option<f64>) {
    metric_info(metric, &view.input.glossary).map_or((None, None), |i| (i.lower, i.upper))
}

/// `(low, high)` cut at `bounds`, and whether anything was cut.
fn clip(low: f64, high: f64, (lower, upper): (Option<f64>, Option<f64>)) -> (f64, f64, bool) {
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
fn clipped_note((lower, upper): (Option<f64>, Option<f64>)) -> String {
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
fn chart(draw: impl FnOnce() -> Result<String, String>) -> String {
    match catch_unwind(AssertUnwindSafe(draw)) {
        Ok(Ok(svg)) => svg,
        Ok(Err(message)) => {
            format!("<p class=\"note warn\">This chart could not be drawn: {}.</p>", escape(&message))
        }
        Err(_) => "<p class=\"note warn\">This chart could not be drawn (internal error).</p>".to_owned(),
    }
}

/// A note that a list was cut.
fn capped(shown: usize, total: usize, what: &str, rest: &str) -> String {
    if shown >= total {
        String::new()
    } else {
        format!("<p class=\"note\">Showing the first {shown} of {total} {what}; {rest}.</p>\n")
    }
}

/// An HTML legend under a chart.
fn legend(entries: &[(String, plotters::style::RGBColor)]) -> String {
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

/// The whole page.
pub(crate) fn page(input: &ReportInput) -> String {
    let view = View::new(input);
    let mut sections: Vec<(&str, &str, String)> = vec![
        ("answer", "The answer", answer(&view)),
        ("question", "The question", question(&view)),
        ("headline", "Every effect", headline(&view)),
        ("forest", "Effects at a glance", forest(&view)),
        ("means", "Means per variant", bars(&view)),
    ];
    if !input.series.is_empty() {
        sections.push(("series", "Over time", series(&view)));
    }
    if !input.sweep_paths.is_empty() {
        sections.push(("sweeps", "Sweeps", sweeps(&view)));
    }
    sections.push(("glossary", "What the metrics mean", glossary(&view)));
    sections.push(("tables", "Full tables", tables(&view)));
    sections.push(("provenance", "Provenance", provenance(&view)));

    let title = if input.name.is_empty() { "Unnamed scenario" } else { &input.name };
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{} · what-if report</title>\n", escape(title)));
    out.push_str(&format!("<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n"));
    out.push_str("<header>\n<p class=\"kicker\">Xinzhi what-if report</p>\n");
    out.push_str(&format!("<h1>{}</h1>\n", escape(title)));
    if let Some(d) = input.description.as_deref().filter(|d| !d.trim().is_empty()) {
        out.push_str(&format!("<p class=\"lead\">{}</p>\n", escape(d)));
    }
    let p = &input.provenance;
    if !p.complete {
        out.push_str("<div class=\"banner\" id=\"incomplete\" role=\"alert\"><strong>Incomplete run.</strong> Some replications did not finish: the results below use only the replications that did, so intervals are wider and some comparisons may be missing.");
        if let Some(e) = &p.error {
            out.push_str(&format!(" What failed: {}", escape(e)));
        }
        out.push_str("</div>\n");
    }
    if !input.warnings.is_empty() {
        out.push_str("<div class=\"caution\" id=\"warnings\" role=\"note\"><p><strong>Read these results with care:</strong></p>\n<ul>");
        for w in &input.warnings {
            let who = w.variant.as_deref().map_or_else(String::new, |v| format!("{}: ", code(v)));
            out.push_str(&format!("<li>{who}{}</li>", ticks_to_code(&w.message)));
        }
        out.push_str("</ul></div>\n");
    }
    out.push_str("<nav><ol>");
    for (id, heading, _) in &sections {
        out.push_str(&format!("<li><a href=\"#{id}\">{heading}</a></li>"));
    }
    out.push_str("</ol></nav>\n</header>\n");
    for (id, heading, body) in &sections {
        out.push_str(&format!("<section id=\"{id}\">\n<h2>{heading}</h2>\n{body}</section>\n"));
    }
    out.push_str(&format!(
        "<footer>Generated by Xinzhi {} from {}. Self-contained: this page loads nothing from the network.</footer>\n",
        escape(&p.xinzhi_version),
        escape(&p.scenario_path)
    ));
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn question(view: &View<'_>) -> String {
    let input = view.input;
    let mut out = String::new();
    let compared = view.compared_variants();
    out.push_str("<dl class=\"facts\">");
    let unit = if input.time_unit.is_empty() { "not stated" } else { &input.time_unit };
    out.push_str(&format!("<dt>Time unit</dt><dd>{}</dd>", escape(unit)));
    out.push_str(&format!("<dt>Compared against</dt><dd>{}</dd>", code(&input.baseline)));
    out.push_str(&format!(
        "<dt>Variants</dt><dd>{}</dd>",
        plural(view.variants.len(), "variant", "variants")
    ));
    out.push_str(&format!("<dt>Replications</dt><dd>{}</dd>", escape(&input.provenance.replications)));
    out.push_str("</dl>\n");
    if !input.sweep_paths.is_empty() {
        let parts: Vec<String> = input
            .sweep_paths
            .iter()
            .map(|p| {
                let axis = view.sweep_lines(p);
                let shown: Vec<String> = axis.values.iter().take(12).map(|v| escape(v)).collect();
                let more = if axis.values.len() > 12 { ", …" } else { "" };
                format!("{} over {}{more}", code(p), shown.join(", "))
            })
            .collect();
        out.push_str(&format!("<p>The sweep varies {}.</p>\n", parts.join("; and ")));
    }
    out.push_str(&format!(
        "<p>Each variant below is the scenario with the listed changes; {} compared with {}.</p>\n",
        if compared.len() == 1 { "it is" } else { "each is" },
        code(&input.baseline)
    ));
    out.push_str("<div class=\"scroll\"><table class=\"variants\">\n<thead><tr><th>Variant</th><th>What changes</th></tr></thead>\n<tbody>\n");
    let listed = view.variants.len().min(data::MAX_LISTED_VARIANTS);
    for name in &view.variants[..listed] {
        let info = input.variants.iter().find(|v| v.name == *name);
        let mut what = String::new();
        if let Some(d) = info.and_then(|i| i.description.as_deref()).filter(|d| !d.trim().is_empty()) {
            what.push_str(&format!("<p>{}</p>", escape(d)));
        }
        let set = info.map(|i| i.set.as_slice()).unwrap_or_default();
        if set.is_empty() {
            let none = if *name == input.baseline || *name == "baseline" {
                "the scenario as written"
            } else {
                "no changes listed"
            };
            what.push_str(&format!("<span class=\"muted\">{none}</span>"));
        } else {
            what.push_str("<ul class=\"changes\">");
            for (path, value) in set {
                what.push_str(&format!("<li>{}</li>", code(&change_words(path, value))));
            }
            what.push_str("</ul>");
        }
        let tag = if *name == input.baseline { " <span class=\"tag\">baseline</span>" } else { "" };
        out.push_str(&format!("<tr><th scope=\"row\">{}{tag}</th><td>{what}</td></tr>\n", breakable(name)));
    }
    out.push_str("</tbody></table></div>\n");
    out.push_str(&capped(listed, view.variants.len(), "variants", "the full tables list them all"));
    out
}

/// The baseline's summary of `metric`.
fn base_summary<'a>(view: &View<'a>, metric: &str) -> Option<&'a Summary> {
    view.summary(&view.input.baseline, metric)
}

/// How a comparison reads: a class and a symbol.
fn direction(c: &crate::compare::Comparison, baseline: Option<&Summary>) -> (&'static str, &'static str) {
    match effect_kind(c, baseline) {
        EffectKind::Undefined => ("na", "?"),
        EffectKind::NoInterval | EffectKind::Indistinguishable | EffectKind::Negligible => ("none", "●"),
        EffectKind::Clear if c.diff_mean > 0.0 => ("up", "▲"),
        EffectKind::Clear => ("down", "▼"),
    }
}

/// The opening summary: for each key metric the best variant, by how much, and its trade-offs.
fn answer(view: &View<'_>) -> String {
    let input = view.input;
    let keys = view.key_metrics();
    let summary = |v: &str, m: &str| view.summary(v, m).copied();
    let found = findings(keys, &input.comparison, &summary, &input.glossary);
    if found.is_empty() {
        return "<p class=\"muted\">No comparison is available: the experiment has a single variant, or no key metric was compared. The means per variant are below.</p>\n".to_owned();
    }
    let mut out = format!(
        "<p class=\"answer-intro\">Each variant against {} on the same random numbers (paired), with 95 % confidence intervals. “Best” follows each metric’s direction (lower is better for times, queues, work in process, losses, lateness and tardiness; higher for throughput; utilization is neither). Effects not distinguishable from zero, or smaller than {} %, do not count.</p>\n<ul class=\"findings\">\n",
        code(&input.baseline),
        format_number(PRACTICAL_THRESHOLD * 100.0)
    );
    for f in &found {
        let class = if f.variant.is_some() { "found" } else { "none" };
        out.push_str(&format!("<li class=\"{class}\">{}", nowrap_units(&ticks_to_code(&f.sentence))));
        if !f.trade_offs.is_empty() {
            out.push_str("<ul class=\"tradeoffs\">");
            for t in &f.trade_offs {
                out.push_str(&format!("<li>{}</li>", nowrap_units(&ticks_to_code(t))));
            }
            out.push_str("</ul>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
    out.push_str(&capped(
        keys.len(),
        view.key_metrics_all.len(),
        "key metrics",
        "the full tables cover every metric",
    ));
    out
}

fn headline(view: &View<'_>) -> String {
    let input = view.input;
    let compared = view.compared_variants();
    let keys = view.key_metrics();
    let mut out = String::new();
    if compared.is_empty() || keys.is_empty() {
        out.push_str("<p class=\"muted\">No comparison is available: the experiment has a single variant, or no metric was compared.</p>\n");
        return out;
    }
    out.push_str(&format!(
        "<p>What each variant does to the key metrics compared with {}. Every variant ran on the same random numbers as the baseline (common random numbers), so the differences are paired; ranges are 95 % confidence intervals. “No effect distinguishable from zero” means the interval of the difference contains zero: the simulation cannot tell the variant apart from the baseline on that metric. “No practical effect” means a relative change smaller than {} %. Where the baseline mean is 0 or too close to it (the change would exceed ±{} %, or the baseline’s own interval contains 0), the absolute difference is given instead of a percentage.</p>\n",
        code(&input.baseline),
        format_number(PRACTICAL_THRESHOLD * 100.0),
        format_number(MAX_RELATIVE_CHANGE * 100.0)
    ));
    out.push_str("<div class=\"scroll\"><table class=\"headline\">\n<thead><tr><th>Variant</th><th>Metric</th><th>Effect</th><th class=\"num\">Difference [95 % CI]</th><th class=\"num\">Baseline → variant mean</th></tr></thead>\n<tbody>\n");
    let shown = compared.len().min(data::MAX_HEADLINE_VARIANTS);
    for variant in &compared[..shown] {
        let rows: Vec<&str> = keys.to_vec();
        for (i, metric) in rows.iter().enumerate() {
            out.push_str("<tr>");
            if i == 0 {
                out.push_str(&format!(
                    "<th scope=\"rowgroup\" rowspan=\"{}\" class=\"variant\">{}</th>",
                    rows.len(),
                    breakable(variant)
                ));
            }
            out.push_str(&format!("<td class=\"metric\">{}</td>", breakable(metric)));
            let base = base_summary(view, metric);
            match view.comparison(variant, metric) {
                Some(c) => {
                    let (class, symbol) = direction(c, base);
                    out.push_str(&format!(
                        "<td class=\"effect {class}\"><span class=\"sym\" aria-hidden=\"true\">{symbol}</span> {}</td>",
                        nowrap_units(&escape(&effect_sentence_with(c, base, &input.glossary)))
                    ));
                    out.push_str(&format!(
                        "<td class=\"num\">{}</td>",
                        escape(&format_estimate(c.diff_mean, c.diff_ci_low, c.diff_ci_high, true))
                    ));
                }
                None => out.push_str("<td class=\"effect na\" colspan=\"2\">not compared</td>"),
            }
            let mean =
                |v: &str| view.summary(v, metric).map_or_else(|| "n/a".to_owned(), |s| format_number(s.mean));
            out.push_str(&format!(
                "<td class=\"num\">{} → {}</td></tr>\n",
                escape(&mean(&input.baseline)),
                escape(&mean(variant))
            ));
        }
    }
    out.push_str("</tbody></table></div>\n");
    out.push_str(&capped(shown, compared.len(), "variants", "the full tables list them all"));
    out.push_str(&capped(
        keys.len(),
        view.key_metrics_all.len(),
        "key metrics",
        "the full tables cover every metric",
    ));
    out
}

/// The unit of `metric` from the glossary, or "".
fn unit<'a>(view: &View<'a>, metric: &str) -> &'a str {
    metric_info(metric, &view.input.glossary).map_or("", |i| i.unit.as_str())
}

/// One forest panel per key metric, each on its own scale, so a huge change of one metric does
/// not shrink the others to dots.
fn forest(view: &View<'_>) -> String {
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

fn bars(view: &View<'_>) -> String {
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

fn series(view: &View<'_>) -> String {
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

fn sweeps(view: &View<'_>) -> String {
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

/// The metrics shown (key metrics, then series), each in words with unit, meaning, range and
/// direction.
fn glossary(view: &View<'_>) -> String {
    let input = view.input;
    let mut shown: Vec<&str> = view.key_metrics().to_vec();
    for m in view.series_metrics() {
        if !shown.contains(&m) {
            shown.push(m);
        }
    }
    if shown.is_empty() {
        return "<p class=\"muted\">No metric is shown.</p>\n".to_owned();
    }
    let mut out = String::from(
        "<p>The metrics this report shows, as their collectors describe them. Every metric of the run is in <code>summary.csv</code>.</p>\n<div class=\"scroll\"><table class=\"data glossary\">\n<thead><tr><th>Metric</th><th>In words</th><th>Unit</th><th>Meaning</th><th>Range</th><th>Better</th></tr></thead>\n<tbody>\n",
    );
    for m in shown {
        let info = metric_info(m, &input.glossary);
        let muted = |s: &str| format!("<span class=\"muted\">{s}</span>");
        let unit = info.map(|i| i.unit.as_str()).filter(|u| !u.is_empty()).map_or_else(|| muted("—"), escape);
        let meaning = info
            .map(|i| i.description.as_str())
            .filter(|d| !d.trim().is_empty())
            .map_or_else(|| muted("not described by its collector (or a run without a glossary)"), escape);
        let range = match info.map(|i| (i.lower, i.upper)) {
            Some((Some(l), Some(u))) => format!("[{}, {}]", format_number(l), format_number(u)),
            Some((Some(l), None)) => format!("≥ {}", format_number(l)),
            Some((None, Some(u))) => format!("≤ {}", format_number(u)),
            _ => muted("—"),
        };
        let direction = match better(m) {
            Better::Lower => "lower",
            Better::Higher => "higher",
            Better::Neither => "neither",
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{unit}</td><td>{meaning}</td><td class=\"num\">{range}</td><td>{direction}</td></tr>\n",
            code(m),
            escape(&metric_words(m)),
        ));
    }
    out.push_str("</tbody></table></div>\n");
    out
}

fn tables(view: &View<'_>) -> String {
    let input = view.input;
    let mut out = String::from(
        "<h3>Summary</h3>\n<p>Mean of every metric per variant over its replications, with the 95 % confidence interval of the mean (Student t).</p>\n",
    );
    if input.summary.is_empty() {
        out.push_str("<p class=\"muted\">No summary rows.</p>\n");
    } else {
        out.push_str("<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>Variant</th><th>Metric</th><th class=\"num\">n</th><th class=\"num\">Mean</th><th class=\"num\">95 % CI</th></tr></thead>\n<tbody>\n");
        let shown = input.summary.len().min(data::MAX_TABLE_ROWS);
        for r in &input.summary[..shown] {
            let s = &r.summary;
            let (mean, _) = estimate_parts(s.mean, s.ci_low, s.ci_high, false);
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                escape(&r.variant),
                escape(&r.metric),
                s.n,
                escape(&mean),
                escape(&format_interval(s.ci_low, s.ci_high))
            ));
        }
        out.push_str("</tbody></table></div>\n");
        out.push_str(&capped(shown, input.summary.len(), "rows", "summary.csv has them all"));
    }
    out.push_str(&format!("<h3>Comparison with {}</h3>\n<p>Paired differences (variant − baseline) over common random numbers, the relative change (difference / |baseline mean|, so it has the difference's sign), their 95 % confidence intervals, and the two-sided p-value of the paired t-test of no difference.</p>\n", code(&input.baseline)));
    if input.comparison.is_empty() {
        out.push_str("<p class=\"muted\">No comparison rows.</p>\n");
    } else {
        out.push_str("<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>Variant</th><th>Metric</th><th class=\"num\">n</th><th class=\"num\">Difference</th><th class=\"num\">95 % CI</th><th class=\"num\">Relative</th><th class=\"num\">95 % CI</th><th class=\"num\">p</th></tr></thead>\n<tbody>\n");
        let shown = input.comparison.len().min(data::MAX_TABLE_ROWS);
        for c in &input.comparison[..shown] {
            let (diff, _) = estimate_parts(c.diff_mean, c.diff_ci_low, c.diff_ci_high, true);
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                escape(&c.variant),
                escape(&c.metric),
                c.n,
                escape(&diff),
                escape(&format_interval(c.diff_ci_low, c.diff_ci_high)),
                escape(&format_percent_value(c.rel_change, c.rel_ci_low, c.rel_ci_high)),
                escape(&format_percent_interval(c.rel_ci_low, c.rel_ci_high)),
                escape(&format_p_value(c.p_value)),
            ));
        }
        out.push_str("</tbody></table></div>\n");
        out.push_str(&capped(shown, input.comparison.len(), "rows", "comparison.csv has them all"));
    }
    out
}

fn provenance(view: &View<'_>) -> String {
    let p = &view.input.provenance;
    let mut out = String::from(
        "<p>Everything needed to reproduce these results: the same scenario file, seed and versions give byte-identical numbers, whatever the number of threads.</p>\n<table class=\"kv\"><tbody>\n",
    );
    let mut row =
        |k: &str, v: String| out.push_str(&format!("<tr><th scope=\"row\">{k}</th><td>{v}</td></tr>\n"));
    let status = if p.complete {
        "<span class=\"ok\">complete: every replication finished</span>".to_owned()
    } else {
        format!(
            "<span class=\"bad\">incomplete</span>{}",
            p.error.as_deref().map_or_else(String::new, |e| format!(": {}", escape(e)))
        )
    };
    row("Completeness", status);
    row("Xinzhi version", escape(&p.xinzhi_version));
    row("Scenario file", code(&p.scenario_path));
    row("Scenario SHA-256", format!("<code class=\"hash\">{}</code>", escape(&p.scenario_sha256)));
    row("Resolved scenario digest", format!("<code class=\"hash\">{}</code>", escape(&p.scenario_digest)));
    row("Seed", p.seed.to_string());
    row("Replications", escape(&p.replications));
    if let Some(precision) = &p.precision {
        row("Precision", escape(precision));
    }
    row("Random numbers", escape(&p.rng));
    if let Some(t) = &p.threads_note {
        row("Threads", escape(t));
    }
    out.push_str("</tbody></table>\n<h3>Plugins</h3>\n");
    if p.plugins.is_empty() {
        out.push_str("<p class=\"muted\">No plugin libraries listed.</p>\n");
    } else {
        out.push_str("<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>Name</th><th>Version</th><th>Origin</th><th>SHA-256</th></tr></thead>\n<tbody>\n");
        for plugin in &p.plugins {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&plugin.name),
                escape(&plugin.crate_version),
                escape(&plugin.origin),
                plugin.sha256.as_deref().map_or_else(
                    || "<span class=\"muted\">—</span>".to_owned(),
                    |h| format!("<code class=\"hash\">{}</code>", escape(h))
                )
            ));
        }
        out.push_str("</tbody></table></div>\n");
    }
    out
}
