//! Steady-state diagnostics (issue 9): a model without a steady state, or measured before its
//! transient has passed, says so in the manifest (and so in the terminal and the report).

use std::path::Path;

fn warnings(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read(dir.join("out/manifest.json")).expect("manifest");
    let manifest: serde_json::Value = serde_json::from_slice(&text).expect("json");
    manifest["warnings"]
        .as_array()
        .expect("a list, empty when all is well")
        .iter()
        .map(|w| {
            (w["code"].as_str().expect("code").to_owned(), w["message"].as_str().expect("message").to_owned())
        })
        .collect()
}

/// M/M/1 of `mm1.toml` with arrivals every `mean` minutes, over 40 000 minutes: the temporary
/// folder, the manifest's warnings and what the terminal printed.
fn mm1(mean: &str, extra: &[&str]) -> (tempfile::TempDir, Vec<(String, String)>, String) {
    let interarrival = format!("factory.source.orders.interarrival.mean={mean}");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let mut args = vec![
        "run",
        "scenarios/mm1.toml",
        "--out",
        out.to_str().expect("utf-8"),
        "--set",
        interarrival.as_str(),
    ];
    args.extend_from_slice(&["--set", "scenario.horizon=40000"]);
    args.extend_from_slice(extra);
    let o = crate::common::xinzhi(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let terminal = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let w = warnings(dir.path());
    (dir, w, terminal)
}

/// The report's caution box, if any.
fn report_box(dir: &Path) -> Option<String> {
    let html = std::fs::read_to_string(dir.join("out/report.html")).expect("report");
    let start = html.find("id=\"warnings\"")?;
    Some(html[start..start + html[start..].find("</div>").expect("closed")].to_owned())
}

#[test]
fn an_overloaded_queue_is_not_stationary_and_says_so() {
    // ρ = 1.25: the queue grows by λ − μ = 0.25 jobs per minute.
    let (dir, w, terminal) = mm1("0.8", &[]);
    let trend: Vec<&(String, String)> = w.iter().filter(|(code, _)| code == "not_stationary").collect();
    assert!(!trend.is_empty(), "{w:?}");
    let queue =
        trend.iter().find(|(_, m)| m.contains("`queue_mean.mill` grows by about")).expect("the queue");
    let rate: f64 =
        queue.1.split("grows by about ").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
    assert!((0.2..=0.3).contains(&rate), "{rate}: {}", queue.1);
    // The offered load is known before the run.
    assert!(w.iter().any(|(code, m)| code == "overloaded" && m.contains("ρ = λ·E[S]/c = 1.25")), "{w:?}");
    // The terminal and the report lead with the same cautions.
    let caution = terminal.find("Read these results with care").expect("the terminal warns");
    assert!(caution < terminal.find("The answer").expect("then answers"), "{terminal}");
    assert!(terminal.contains("`queue_mean.mill` grows by about"), "{terminal}");
    let shown = report_box(dir.path()).expect("the report opens with the cautions");
    assert!(shown.contains("<code>queue_mean.mill</code> grows by about"), "{shown}");
}

#[test]
fn a_stable_queue_at_rho_0_8_gives_no_warning() {
    let (dir, w, terminal) = mm1("1.25", &[]);
    assert_eq!(w, [], "ρ = 0.8 with a 5 000-minute warm-up is at steady state");
    assert!(!terminal.contains("Read these results with care"), "{terminal}");
    assert_eq!(report_box(dir.path()), None);
}

#[test]
fn a_warmup_far_too_short_gets_a_suggestion() {
    // ρ = 0.95 from empty, measured from t = 0 over 5 000 minutes: the queue needs several hundred
    // minutes to fill (relaxation time ≈ 1/(μ(1 − √ρ)²) ≈ 1 600 minutes).
    let (_dir, w, _) = mm1(
        "1.0526",
        &["--set", "scenario.warmup=0", "--set", "scenario.horizon=5000", "--replications", "20"],
    );
    let warmup = w.iter().find(|(code, _)| code == "warmup_too_short").unwrap_or_else(|| panic!("{w:?}"));
    assert!(warmup.1.contains("Set `[scenario] warmup` to about"), "{}", warmup.1);
    assert!(!w.iter().any(|(code, _)| code == "not_stationary"), "{w:?}");
}
