//! The page: sections in order, HTML-escaped text, inline style sheet and SVG.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::charts::{self, Line, Mark, Row, XAxis};
use super::data::{self, View};
use super::input::ReportInput;
use super::words::{
    change_words, effect_sentence, estimate_parts, format_estimate, format_interval, format_number,
    format_p_value, format_percent_estimate, format_percent_interval, format_percent_value, plural,
};

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
        ("question", "The question", question(&view)),
        ("headline", "Headline", headline(&view)),
        ("forest", "Effects at a glance", forest(&view)),
        ("means", "Means per variant", bars(&view)),
    ];
    if !input.series.is_empty() {
        sections.push(("series", "Over time", series(&view)));
    }
    if !input.sweep_paths.is_empty() {
        sections.push(("sweeps", "Sweeps", sweeps(&view)));
    }
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
    let p = &input.provenance;
    if !p.complete {
        out.push_str("<div class=\"banner\" id=\"incomplete\" role=\"alert\"><strong>Incomplete run.</strong> Some replications did not finish: the results below use only the replications that did, so intervals are wider and some comparisons may be missing.");
        if let Some(e) = &p.error {
            out.push_str(&format!(" What failed: {}", escape(e)));
        }
        out.push_str("</div>\n");
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
    if let Some(d) = input.description.as_deref().filter(|d| !d.trim().is_empty()) {
        out.push_str(&format!("<p class=\"lead\">{}</p>\n", escape(d)));
    }
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

/// How a comparison reads: a symbol and a class.
fn direction(c: &crate::compare::Comparison) -> (&'static str, &'static str) {
    if !c.diff_mean.is_finite() || c.n == 0 {
        ("na", "?")
    } else if !c.diff_ci_low.is_finite() || c.includes_zero() {
        ("none", "●")
    } else if c.diff_mean > 0.0 {
        ("up", "▲")
    } else {
        ("down", "▼")
    }
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
        "<p>What each variant does to the key metrics compared with {}. Every variant ran on the same random numbers as the baseline (common random numbers), so the differences are paired; ranges are 95 % confidence intervals. “No effect distinguishable from zero” means the interval of the difference contains zero: the simulation cannot tell the variant apart from the baseline on that metric.</p>\n",
        code(&input.baseline)
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
            match view.comparison(variant, metric) {
                Some(c) => {
                    let (class, symbol) = direction(c);
                    out.push_str(&format!(
                        "<td class=\"effect {class}\"><span class=\"sym\" aria-hidden=\"true\">{symbol}</span> {}</td>",
                        nowrap_units(&escape(&effect_sentence(c)))
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

fn forest(view: &View<'_>) -> String {
    let compared = view.compared_variants();
    let keys = view.key_metrics();
    let mut rows = Vec::new();
    let mut total = 0;
    for (k, metric) in keys.iter().enumerate() {
        for variant in &compared {
            let Some(c) = view.comparison(variant, metric) else { continue };
            total += 1;
            if rows.len() >= data::MAX_FOREST_ROWS {
                continue;
            }
            let significant = c.diff_ci_low.is_finite() && !c.includes_zero();
            let note = format_percent_estimate(c.rel_change, c.rel_ci_low, c.rel_ci_high);
            rows.push(Row {
                label: format!("{variant} · {metric}"),
                value: c.rel_change * 100.0,
                low: c.rel_ci_low * 100.0,
                high: c.rel_ci_high * 100.0,
                color: if significant { charts::EFFECT } else { charts::NO_EFFECT },
                note,
                shaded: k % 2 == 1,
            });
        }
    }
    if rows.is_empty() {
        return "<p class=\"muted\">Nothing to plot: no variant was compared with the baseline.</p>\n"
            .to_owned();
    }
    let mut out = String::from(
        "<p>Relative change of each key metric against the baseline: the dot is the estimate, the bar its 95 % confidence interval. Blue: an effect distinguishable from zero; grey: not. Rows are grouped by metric.</p>\n<figure>\n",
    );
    out.push_str(&chart(|| {
        charts::rows_chart(
            "Forest plot of relative effects",
            &rows,
            Mark::Dot,
            "relative change vs baseline (%)",
            true,
        )
    }));
    out.push_str("</figure>\n");
    out.push_str(&capped(
        rows.len(),
        total,
        "(variant, metric) pairs",
        "the headline and full tables list them all",
    ));
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
        let rows: Vec<Row> = present[..shown]
            .iter()
            .map(|v| {
                let s = view.summary(v, metric).copied().unwrap_or(crate::stats::Summary {
                    n: 0,
                    mean: f64::NAN,
                    sd: f64::NAN,
                    ci_low: f64::NAN,
                    ci_high: f64::NAN,
                });
                Row {
                    label: (*v).to_owned(),
                    value: s.mean,
                    low: s.ci_low,
                    high: s.ci_high,
                    color: if *v == input.baseline { charts::PALETTE[0] } else { charts::EFFECT },
                    note: format_estimate(s.mean, s.ci_low, s.ci_high, false),
                    shaded: false,
                }
            })
            .collect();
        out.push_str(&format!("<figure>\n<figcaption>{}</figcaption>\n", escape(metric)));
        if rows.is_empty() {
            out.push_str("<p class=\"muted\">No summary for this metric.</p>\n");
        } else {
            out.push_str(&chart(|| {
                charts::rows_chart(&format!("Mean of {metric} per variant"), &rows, Mark::Bar, metric, false)
            }));
        }
        out.push_str("</figure>\n");
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
    let unit =
        if input.time_unit.is_empty() { String::from("time") } else { format!("time [{}]", input.time_unit) };
    for metric in &metrics[..shown_metrics] {
        let variants = view.series_variants(metric);
        let shown = variants.len().min(data::MAX_SERIES_VARIANTS);
        let mut lines = Vec::new();
        let mut entries = Vec::new();
        for (i, v) in variants[..shown].iter().enumerate() {
            let color = if *v == input.baseline { charts::PALETTE[0] } else { charts::color(i + 1) };
            let (points, intervals) = (view.series_means(metric, v), view.series_intervals(metric, v));
            lines.push(Line { color, points, intervals });
            entries.push(((*v).to_owned(), color));
        }
        out.push_str(&format!("<figure>\n<figcaption>{}</figcaption>\n", escape(metric)));
        out.push_str(&chart(|| {
            charts::line_chart(
                &format!("{metric} over time"),
                &lines,
                &XAxis::Numeric(&unit),
                metric,
                None,
                false,
            )
        }));
        out.push_str(&legend(&entries));
        out.push_str("</figure>\n");
        out.push_str(&capped(shown, variants.len(), "variants in this chart", "timeseries.csv has them all"));
    }
    out.push_str(&capped(shown_metrics, metrics.len(), "series", "timeseries.csv has them all"));
    out
}

fn sweeps(view: &View<'_>) -> String {
    let input = view.input;
    let keys = view.key_metrics();
    let mut out = String::from(
        "<p>Each key metric's mean (with its 95 % confidence interval) against each swept value. When more than one path is swept, each line holds the other swept values fixed. The grey horizontal line is the baseline.</p>\n",
    );
    let total = input.sweep_paths.len() * keys.len();
    let mut drawn = 0;
    'paths: for path in &input.sweep_paths {
        let axis = view.sweep_lines(path);
        if axis.lines.is_empty() {
            out.push_str(&format!("<p class=\"muted\">No variant was generated along {}.</p>\n", code(path)));
            continue;
        }
        for metric in keys {
            if drawn >= data::MAX_SWEEP_CHARTS {
                break 'paths;
            }
            drawn += 1;
            let shown = axis.lines.len().min(data::MAX_SWEEP_LINES);
            let ticks: Vec<(f64, &str)> = axis.values.iter().filter_map(|v| Some((axis.x(v)?, *v))).collect();
            let (lo, hi) = ticks
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| (lo.min(t.0), hi.max(t.0)));
            // Lines side by side at the same value are nudged apart so their intervals show.
            let span = if hi > lo { hi - lo } else { 1.0 };
            let dodge = |i: usize| (i as f64 - (shown as f64 - 1.0) / 2.0) * span * 0.008;
            let mut lines = Vec::new();
            let mut entries = Vec::new();
            for (i, l) in axis.lines[..shown].iter().enumerate() {
                let mut pts: Vec<(f64, f64, f64, f64)> = l
                    .points
                    .iter()
                    .filter_map(|(x, variant)| {
                        let s = view.summary(variant, metric)?;
                        Some((axis.x(x)? + dodge(i), s.mean, s.ci_low, s.ci_high))
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
            let baseline = view.summary(&input.baseline, metric).map(|s| s.mean);
            let reference_label =
                format!("{}: {}", input.baseline, baseline.map_or_else(String::new, format_number));
            let reference = baseline.map(|b| (b, reference_label.as_str()));
            out.push_str(&format!(
                "<figure>\n<figcaption>{} against {}</figcaption>\n",
                escape(metric),
                code(path)
            ));
            let x_axis = if axis.numeric && ticks.len() > 16 {
                XAxis::Numeric(path)
            } else {
                XAxis::Labelled(path, ticks)
            };
            out.push_str(&chart(|| {
                charts::line_chart(
                    &format!("{metric} against {path}"),
                    &lines,
                    &x_axis,
                    metric,
                    reference,
                    true,
                )
            }));
            out.push_str(&legend(&entries));
            out.push_str("</figure>\n");
            out.push_str(&capped(shown, axis.lines.len(), "lines", "the full tables list every variant"));
        }
    }
    out.push_str(&capped(drawn, total, "sweep charts", "the full tables list every variant"));
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
    out.push_str(&format!("<h3>Comparison with {}</h3>\n<p>Paired differences (variant − baseline) over common random numbers, the relative change (difference / baseline mean), their 95 % confidence intervals, and the two-sided p-value of the paired t-test of no difference.</p>\n", code(&input.baseline)));
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
