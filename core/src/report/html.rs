//! The page: sections in order, HTML-escaped text, inline style sheet and SVG.

use super::answer::findings;
use super::data::{self, View};
use super::figures::{bars, capped, forest, series, sweeps};
use super::input::ReportInput;
use super::words::{
    Better, EffectKind, MAX_RELATIVE_CHANGE, PRACTICAL_THRESHOLD, better, change_words, effect_kind,
    effect_sentence_with, estimate_parts, format_estimate, format_interval, format_number, format_p_value,
    format_percent_interval, format_percent_value, metric_info, metric_words, plural,
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
pub(super) fn breakable(s: &str) -> String {
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
pub(super) fn nowrap_units(escaped: &str) -> String {
    escaped.replace(" %", "\u{a0}%").replace("± ", "±\u{a0}")
}

/// `<code>` of escaped `s`.
pub(super) fn code(s: &str) -> String {
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
pub(super) fn base_summary<'a>(view: &View<'a>, metric: &str) -> Option<&'a Summary> {
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
        "<p class=\"answer-intro\">Each variant against {} on the same random numbers (paired), with 95 % confidence intervals. “Best” follows each metric’s direction (lower is better for times, queues, work in process, losses, lateness, tardiness, failures and downtime; higher for throughput, availability and a predictor’s precision, recall, F1 and accuracy; utilization and maintenance are neither). Effects not distinguishable from zero, or smaller than {} %, do not count.</p>\n<ul class=\"findings\">\n",
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
