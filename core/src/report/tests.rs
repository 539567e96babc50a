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
    // Forest + 2 bar charts + 1 series + 2 sweep charts.
    assert_eq!(svgs(&page).len(), 6);
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
    assert_eq!(svgs(&page).len(), 3);
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
    assert!(page.contains("Showing the first 40 of 2400 (variant, metric) pairs"));
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
