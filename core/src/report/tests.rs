//! Whole-page tests: sections, determinism, escaping, degenerate and large inputs.

use super::*;
use crate::compare::Comparison;
use crate::output::SummaryRow;
use crate::stats::Summary;

fn summary(variant: &str, metric: &str, mean: f64, half: f64, n: usize) -> SummaryRow {
    SummaryRow {
        variant: variant.into(),
        sweep: Vec::new(),
        metric: metric.into(),
        summary: Summary { n, mean, sd: half, ci_low: mean - half, ci_high: mean + half },
    }
}

fn comparison(variant: &str, metric: &str, base: f64, diff: f64, half: f64) -> Comparison {
    Comparison {
        variant: variant.into(),
        baseline: "baseline".into(),
        metric: metric.into(),
        n: 10,
        diff_mean: diff,
        diff_ci_low: diff - half,
        diff_ci_high: diff + half,
        rel_change: diff / base,
        rel_ci_low: (diff - half) / base,
        rel_ci_high: (diff + half) / base,
        p_value: 0.01,
    }
}

fn variant(name: &str, set: &[(&str, &str)], sweep: &[(&str, &str)]) -> VariantInfo {
    let pairs = |xs: &[(&str, &str)]| xs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    VariantInfo {
        name: name.into(),
        description: None,
        set: pairs(set),
        sweep: pairs(sweep),
        crossed_with: None,
        at_sweep: Vec::new(),
    }
}

/// A baseline, two explicit variants, a 3-point sweep, two metrics, a short series.
fn sample() -> ReportInput {
    let mut variants = vec![
        variant("baseline", &[], &[]),
        variant("two-mills", &[("factory.station.mill.machines", "2")], &[]),
        variant("faster-saw", &[("factory.station.saw.process.mean", "0.8")], &[]),
    ];
    for m in ["1", "2", "3"] {
        let path = "factory.station.lathe.machines";
        variants.push(variant(&format!("lathe={m}"), &[(path, m)], &[(path, m)]));
    }
    let mut summary_rows = Vec::new();
    let mut comparisons = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let k = i as f64;
        summary_rows.push(summary(&v.name, "throughput", 40.0 + k, 0.5, 10));
        summary_rows.push(summary(&v.name, "cycle_time_mean", 12.0 - k, 0.4, 10));
        if i > 0 {
            comparisons.push(comparison(&v.name, "throughput", 40.0, k, 0.3));
            comparisons.push(comparison(
                &v.name,
                "cycle_time_mean",
                12.0,
                if i == 2 { 0.05 } else { -k },
                0.2,
            ));
        }
    }
    let mut series = Vec::new();
    for v in ["baseline", "two-mills"] {
        for r in 0..3 {
            for t in 0..20 {
                let value = f64::from(t) * 0.1 + f64::from(r) + if v == "baseline" { 0.0 } else { 1.0 };
                series.push(SeriesInput {
                    variant: v.into(),
                    replication: r,
                    time: f64::from(t) * 10.0,
                    metric: "wip".into(),
                    value,
                });
            }
        }
    }
    ReportInput {
        name: "machining-line".into(),
        description: Some("Saw, lathe and mill in series.".into()),
        time_unit: "minute".into(),
        baseline: "baseline".into(),
        variants,
        sweep_paths: vec!["factory.station.lathe.machines".into()],
        key_metrics: vec!["throughput".into(), "cycle_time_mean".into()],
        summary: summary_rows,
        comparison: comparisons,
        series,
        warnings: Vec::new(),
        glossary: Vec::new(),
        provenance: Provenance {
            xinzhi_version: "0.1.0".into(),
            scenario_path: "scenarios/machining-line.toml".into(),
            scenario_sha256: "ab".repeat(32),
            scenario_digest: "cd".repeat(32),
            seed: 1,
            replications: "10".into(),
            precision: None,
            rng: "ChaCha8".into(),
            threads_note: None,
            plugins: vec![PluginInfo {
                name: "xinzhi-dispatch".into(),
                crate_version: "xinzhi-dispatch 0.1.0".into(),
                origin: "built-in".into(),
                sha256: None,
            }],
            complete: true,
            error: None,
        },
    }
}

/// The inline SVGs of a page.
fn svgs(page: &str) -> Vec<&str> {
    page.match_indices("<svg ")
        .map(|(start, _)| {
            let end = page[start..].find("</svg>").map_or(page.len(), |e| start + e + 6);
            &page[start..end]
        })
        .collect()
}

/// Balanced tags, no NaN or infinite coordinates, no chart failure notes, nothing external.
fn assert_well_formed(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    assert_eq!(page.matches("<svg").count(), page.matches("</svg>").count());
    assert!(!page.contains("NaN"), "NaN on the page");
    for tag in ["section", "table", "figure", "tr", "ul", "main"] {
        let open = page.matches(&format!("<{tag}>")).count() + page.matches(&format!("<{tag} ")).count();
        assert_eq!(open, page.matches(&format!("</{tag}>")).count(), "<{tag}> unbalanced");
    }
    for svg in svgs(page) {
        assert!(svg.ends_with("</svg>"), "unterminated svg");
        for bad in ["NaN", "inf\"", "<script"] {
            assert!(!svg.contains(bad), "{bad} in svg");
        }
        let texts = svg.matches("<text").count();
        assert_eq!(texts, svg.matches("</text>").count());
    }
    assert!(!page.contains("could not be drawn"), "a chart failed");
    assert!(
        !page.contains("http:") && !page.contains("https:") && !page.contains("src="),
        "external reference"
    );
    assert!(!page.contains("<script"), "script");
}

#[test]
fn every_section_is_present_when_its_data_is() {
    let page = render(&sample()).unwrap();
    assert_well_formed(&page);
    for id in ["question", "headline", "forest", "means", "series", "sweeps", "tables", "provenance"] {
        assert!(page.contains(&format!("<section id=\"{id}\">")), "section {id}");
    }
    assert!(page.contains("<h1>machining-line</h1>"));
    assert!(page.contains("<code>factory.station.mill.machines = 2</code>"));
    // In the page, numbers keep their units on the same line.
    assert!(
        page.contains("raises throughput by 2.50\u{a0}% ±\u{a0}0.75\u{a0}% (95\u{a0}% CI)"),
        "headline sentence"
    );
    assert!(page.contains("has no effect on cycle_time_mean distinguishable from zero"));
    // A forest panel per key metric (2) + 2 bar charts + 1 series + 2 sweep charts.
    assert_eq!(svgs(&page).len(), 7);
    // The answer comes first, then the question; the glossary before the full tables.
    let at = |id: &str| page.find(&format!("<section id=\"{id}\">")).expect(id);
    assert!(at("answer") < at("question") && at("question") < at("headline"));
    assert!(at("glossary") < at("tables"));
    assert!(!page.contains("Incomplete run"));
    assert!(page.contains("font-family=\"sans-serif\""));
}

#[test]
fn optional_sections_are_left_out_without_data() {
    let mut input = sample();
    input.series.clear();
    input.sweep_paths.clear();
    let page = render(&input).unwrap();
    assert_well_formed(&page);
    assert!(!page.contains("<section id=\"series\">") && !page.contains("<section id=\"sweeps\">"));
    assert_eq!(svgs(&page).len(), 4);
}

#[test]
fn rendering_is_deterministic() {
    let input = sample();
    let a = render(&input).unwrap();
    let b = render(&input).unwrap();
    assert_eq!(a, b);
    assert_eq!(render(&input.clone()).unwrap(), a);
}

#[test]
fn names_are_escaped_everywhere() {
    let mut input = sample();
    let evil = "<script>alert('x')</script>&\"";
    input.name = evil.into();
    input.description = Some(evil.into());
    input.variants[1].name = evil.into();
    input.variants[1].set = vec![(evil.into(), evil.into())];
    for r in input.summary.iter_mut().filter(|r| r.variant == "two-mills") {
        r.variant = evil.into();
    }
    for c in input.comparison.iter_mut().filter(|c| c.variant == "two-mills") {
        c.variant = evil.into();
        c.metric = evil.into();
    }
    input.key_metrics.push(evil.into());
    input.provenance.plugins[0].origin = evil.into();
    input.provenance.error = Some(evil.into());
    input.provenance.complete = false;
    let page = render(&input).unwrap();
    assert_well_formed(&page);
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
    assert!(page.contains("Incomplete run"));
}

#[test]
fn degenerate_inputs_render_without_nan() {
    let nan = f64::NAN;
    // Empty.
    let page = render(&ReportInput::default()).unwrap();
    assert_well_formed(&page);
    assert!(page.contains("Unnamed scenario") && page.contains("Incomplete run"));
    // One variant, no comparison.
    let mut one = sample();
    one.variants.truncate(1);
    one.summary.retain(|r| r.variant == "baseline");
    one.comparison.clear();
    one.series.retain(|p| p.variant == "baseline");
    one.sweep_paths.clear();
    assert_well_formed(&render(&one).unwrap());
    // NaN everywhere, zero replications, infinite values.
    let mut bad = sample();
    for r in &mut bad.summary {
        r.summary = Summary { n: 0, mean: nan, sd: nan, ci_low: nan, ci_high: nan };
    }
    for c in &mut bad.comparison {
        c.diff_mean = nan;
        c.rel_change = f64::INFINITY;
        c.rel_ci_low = f64::NEG_INFINITY;
        c.p_value = nan;
    }
    for p in &mut bad.series {
        p.value = nan;
    }
    bad.key_metrics = vec!["missing".into()];
    let page = render(&bad).unwrap();
    assert_well_formed(&page);
    assert!(page.contains("n/a"));
    // Huge names.
    let mut long = sample();
    let name = "x".repeat(5000);
    long.variants[1].name = name.clone();
    for r in long.summary.iter_mut().filter(|r| r.variant == "two-mills") {
        r.variant = name.clone();
    }
    for c in long.comparison.iter_mut().filter(|c| c.variant == "two-mills") {
        c.variant = name.clone();
    }
    assert_well_formed(&render(&long).unwrap());
}

#[test]
fn large_experiments_are_capped_and_say_so() {
    let mut input = sample();
    input.key_metrics.clear();
    input.variants.truncate(1);
    input.summary.clear();
    input.comparison.clear();
    input.sweep_paths = vec!["a".into(), "b".into()];
    let metrics: Vec<String> = (0..120).map(|m| format!("metric_{m}")).collect();
    for i in 0..300 {
        let name = format!("sweep-{i}");
        let (a, b) = ((i % 20).to_string(), format!("\"rule{}\"", i / 20));
        input.variants.push(variant(&name, &[("a", &a), ("b", &b)], &[("a", &a), ("b", &b)]));
    }
    for v in input.variants.clone() {
        for (k, m) in metrics.iter().enumerate() {
            input.summary.push(summary(&v.name, m, 10.0 + k as f64, 0.1, 5));
            if v.name != "baseline" {
                input.comparison.push(comparison(&v.name, m, 10.0, 0.5, 0.1));
            }
        }
    }
    let page = render(&input).unwrap();
    assert_well_formed(&page);
    assert!(page.contains("Showing the first 8 of 120 key metrics"));
    assert!(page.contains("Showing the first 40 of 300 variants"));
    assert_eq!(page.matches("<figure class=\"panel\">").count(), 8, "one forest panel per shown key metric");
    assert!(page.contains("Showing the first 5000 of 36120 rows"));
    assert!(page.contains("Showing the first 12 of 16 sweep charts"));
    assert!(page.len() < 8_000_000, "{} bytes", page.len());
}

/// A sweep crossed with an explicit variant draws one line per crossed variant, not one line
/// zig-zagging through both grids.
#[test]
fn sweep_lines_follow_the_crossed_variant() {
    let mut input = sample();
    let path = "factory.station.lathe.machines";
    for v in &mut input.variants {
        if !v.sweep.is_empty() {
            v.crossed_with = Some("baseline".into());
        }
    }
    for m in ["1", "2", "3"] {
        let mut v = variant(
            &format!("two-mills lathe={m}"),
            &[("factory.station.mill.machines", "2"), (path, m)],
            &[(path, m)],
        );
        v.crossed_with = Some("two-mills".into());
        input.summary.push(summary(&v.name, "throughput", 50.0, 0.5, 10));
        input.summary.push(summary(&v.name, "cycle_time_mean", 9.0, 0.4, 10));
        input.variants.push(v);
    }
    let html = render(&input).expect("renders");
    let sweeps = &html[html.find("<section id=\"sweeps\">").expect("sweep section")..];
    let sweeps = &sweeps[..sweeps.find("</section>").expect("closed")];
    assert!(
        sweeps.contains(">baseline<") && sweeps.contains(">two-mills<"),
        "one legend entry per crossed variant"
    );
    assert!(!sweeps.contains("swept variants"));
}

/// Short series get the 95 % interval of the across-replication mean at each time; long ones
/// none (bars would hide the lines).
#[test]
fn series_intervals_are_t_intervals_over_replications() {
    let input = sample();
    let view = super::data::View::new(&input);
    let metric = &input.series[0].metric;
    let intervals = view.series_intervals(metric, "baseline");
    let at = |t: f64| -> Vec<f64> {
        input
            .series
            .iter()
            .filter(|p| p.variant == "baseline" && &p.metric == metric && p.time == t)
            .map(|p| p.value)
            .collect()
    };
    assert!(!intervals.is_empty());
    for &(t, low, high) in &intervals {
        let s = crate::stats::summarize(&at(t), 0.95);
        assert_eq!((low, high), (s.ci_low, s.ci_high));
        assert!(low < high);
    }
    let mut long = sample();
    long.series = (0..3)
        .flat_map(|r| {
            (0..100).map(move |t| SeriesInput {
                variant: "baseline".into(),
                replication: r,
                time: f64::from(t),
                metric: "wip".into(),
                value: f64::from(r + t),
            })
        })
        .collect();
    assert!(super::data::View::new(&long).series_intervals("wip", "baseline").is_empty());
}

/// The section of `page` with `id`.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("<section id=\"{id}\">")).unwrap_or_else(|| panic!("section {id}"));
    let end = page[start..].find("</section>").map_or(page.len(), |e| start + e);
    &page[start..end]
}

fn info(pattern: &str, unit: &str, description: &str, lower: Option<f64>, upper: Option<f64>) -> MetricInfo {
    MetricInfo { pattern: pattern.into(), unit: unit.into(), description: description.into(), lower, upper }
}

use crate::collect::MetricInfo;
use crate::output::Warning;

/// The page opens with the warnings and the answer: the best variant per key metric by its
/// direction, in words with units, and its trade-offs.
#[test]
fn the_page_leads_with_warnings_and_the_answer() {
    let mut input = sample();
    input.warnings = vec![Warning {
        code: "not_stationary".into(),
        variant: Some("two-mills".into()),
        message: "the queue at `mill` grows by about 0.25 jobs per minute".into(),
    }];
    input.glossary = vec![
        info(
            "cycle_time_mean",
            "minutes",
            "time from arrival to completion, mean over jobs",
            Some(0.0),
            None,
        ),
        info("throughput", "jobs per minute", "jobs completed per minute", Some(0.0), None),
    ];
    let page = render(&input).unwrap();
    assert_well_formed(&page);
    let warnings = page.find("Read these results with care").expect("warning box");
    let answer = page.find("<section id=\"answer\">").expect("answer");
    assert!(warnings < answer && answer < page.find("<section id=\"question\">").unwrap());
    let answer = section(&page, "answer");
    // cycle_time_mean falls by k for variant k except `faster-saw`; `lathe=3` (k = 5) is best.
    assert!(
        answer.contains("<code>lathe=3</code> lowers cycle time (cycle_time_mean, minutes) most: by"),
        "{answer}"
    );
    assert!(answer.contains("<code>lathe=3</code> raises throughput (throughput, jobs per minute) most"));
    let glossary = section(&page, "glossary");
    assert!(glossary.contains("time from arrival to completion, mean over jobs"));
    assert!(glossary.contains("<td>minutes</td>"));
}

/// Defect 3 in the report: a negative baseline mean (lateness) must not flip the relative
/// change's sign next to the difference.
#[test]
fn defect_3_relative_change_sign_follows_difference_in_the_report() {
    let pairs = [(-8.0, -11.0), (-9.0, -11.5), (-8.5, -11.2), (-8.2, -10.9)];
    let c = crate::compare::compare("spt", "baseline", "lateness_mean", &pairs, 0.95);
    let mut input = sample();
    input.comparison.push(c);
    input.summary.push(summary("spt", "lateness_mean", -11.15, 0.2, 4));
    input.summary.push(summary("baseline", "lateness_mean", -8.425, 0.3, 4));
    input.key_metrics.push("lateness_mean".into());
    let page = render(&input).unwrap();
    assert_well_formed(&page);
    let tables = section(&page, "tables");
    let row = tables
        .lines()
        .find(|l| l.contains("<td>spt</td><td>lateness_mean</td>") && l.contains("−2.73"))
        .unwrap_or_else(|| panic!("comparison row in {tables}"));
    assert!(
        row.contains("<td class=\"num\">−2.73</td>") && row.contains("<td class=\"num\">−32.3 %</td>"),
        "{row}"
    );
    assert!(section(&page, "answer").contains("<code>spt</code> lowers lateness_mean"));
}

/// Each key metric gets its own forest panel and scale; a change against a near-zero baseline
/// is plotted and printed as an absolute difference, and the caption says why.
#[test]
fn forest_panels_are_scaled_per_metric_and_absolute_near_zero() {
    let mut input = sample();
    input.summary.push(summary("baseline", "loss_fraction", 0.0104, 0.001, 10));
    input.summary.push(summary("two-mills", "loss_fraction", 0.15, 0.01, 10));
    input.comparison.push(comparison("two-mills", "loss_fraction", 0.0104, 0.14, 0.01));
    input.key_metrics.push("loss_fraction".into());
    let page = render(&input).unwrap();
    assert_well_formed(&page);
    let forest = section(&page, "forest");
    assert_eq!(forest.matches("<figure class=\"panel\">").count(), 3);
    assert!(forest.contains(
        "loss_fraction: absolute difference, because the baseline mean (0.0104) is too close to 0"
    ));
    assert!(forest.contains("+0.140 [0.130, 0.150]"), "the absolute difference is printed");
    // The other panels stay relative: the throughput panel's axis is in percent.
    assert!(forest.contains("throughput: relative change"));
}

/// Intervals of bounded metrics are drawn within their bounds, with a footnote; without a
/// glossary nothing is cut.
#[test]
fn bounded_intervals_are_clipped_and_say_how() {
    let mut input = sample();
    input.summary.push(summary("baseline", "loss_fraction", 0.001, 0.004, 10));
    input.summary.push(summary("two-mills", "loss_fraction", 0.002, 0.004, 10));
    input.key_metrics.push("loss_fraction".into());
    let page = render(&input).unwrap();
    assert!(!section(&page, "means").contains("drawn cut at the bound"));
    input.glossary =
        vec![info("loss_fraction", "fraction", "fraction of arrivals turned away", Some(0.0), Some(1.0))];
    let page = render(&input).unwrap();
    assert_well_formed(&page);
    let means = section(&page, "means");
    assert!(means.contains("The metric lies in [0, 1]: where a 95 % interval"), "footnote");
    assert!(means.contains("0.0010 [0.0000, 0.0050]"), "the printed interval is cut too");
}

/// Notes and labels are drawn whole: the chart's margins are measured with the font.
#[test]
fn value_labels_are_never_cut_off() {
    let mut input = sample();
    let long = "a-rather-long-variant-name-with=several=parts".to_owned();
    input.variants[1].name.clone_from(&long);
    for r in input.summary.iter_mut().filter(|r| r.variant == "two-mills") {
        r.variant.clone_from(&long);
    }
    for c in input.comparison.iter_mut().filter(|c| c.variant == "two-mills") {
        c.variant.clone_from(&long);
    }
    let page = render(&input).unwrap();
    assert_well_formed(&page);
    for svg in svgs(&page) {
        let width: f64 = 960.0;
        // Every text's anchor and measured extent stays inside the chart.
        for text in svg.split("<text").skip(1) {
            let attr = |name: &str| -> Option<f64> {
                let at = text.find(&format!(" {name}=\""))? + name.len() + 3;
                text[at..].split('"').next()?.parse().ok()
            };
            if text.contains("rotate(") {
                continue; // the y axis's description, drawn vertically
            }
            let (Some(x), Some(content)) =
                (attr("x"), text.split('>').nth(1).and_then(|t| t.split('<').next()).map(str::trim))
            else {
                continue;
            };
            let w = f64::from(super::charts::text_width(content, 16));
            let anchor =
                text.split("text-anchor=\"").nth(1).and_then(|t| t.split('"').next()).unwrap_or("start");
            let (left, right) = match anchor {
                "end" => (x - w, x),
                "middle" => (x - w / 2.0, x + w / 2.0),
                _ => (x, x + w),
            };
            assert!(left >= -1.0 && right <= width + 1.0, "text {content:?} spans {left}..{right}");
        }
    }
    assert!(section(&page, "forest").contains(&long), "the full name fits");
}

/// A sweep chart marks the baseline at its own value of the swept path (when the run records
/// it) and labels it on the axis.
#[test]
fn sweep_charts_mark_the_baseline_at_its_own_value() {
    let mut input = sample();
    input.variants[0].sweep = vec![("factory.station.lathe.machines".into(), "2".into())];
    let page = render(&input).unwrap();
    assert_well_formed(&page);
    let sweeps = section(&page, "sweeps");
    assert!(sweeps.contains("\n2 (baseline)\n"), "the baseline's value on the axis");
    assert!(sweeps.contains("\nbaseline\n"), "the marked point's label");
}
