//! The factory against queueing theory. Formulas are written out in each test.

use crate::common::{assert_matches_theory, replications, run_ok, summary};

/// M/M/1, λ = 0.8, μ = 1 (ρ = 0.8): W = 1/(μ−λ) = 5, Wq = ρ/(μ−λ) = 4, L = ρ/(1−ρ) = 4,
/// Lq = ρ²/(1−ρ) = 3.2, utilization = ρ, throughput = λ.
/// Variant faster-mill: μ = 1.25, ρ = 0.64, W = 1/(1.25−0.8) = 2.222…
#[test]
fn mm1_matches_theory() {
    let (dir, _) = run_ok("scenarios/mm1.toml", &["--replications", "10"]);
    let s = summary(dir.path());
    let (lambda, mu) = (0.8, 1.0);
    let rho: f64 = lambda / mu;
    assert_matches_theory(&s, "baseline", "cycle_time_mean", 1.0 / (mu - lambda));
    assert_matches_theory(&s, "baseline", "wait_time_mean", rho / (mu - lambda));
    assert_matches_theory(&s, "baseline", "wip_mean", rho / (1.0 - rho));
    assert_matches_theory(&s, "baseline", "queue_mean.mill", rho * rho / (1.0 - rho));
    assert_matches_theory(&s, "baseline", "utilization.mill", rho);
    assert_matches_theory(&s, "baseline", "throughput", lambda);
    let mu2 = 1.25;
    assert_matches_theory(&s, "faster-mill", "cycle_time_mean", 1.0 / (mu2 - lambda));
    assert_matches_theory(&s, "faster-mill", "utilization.mill", lambda / mu2);
}

/// Erlang C for M/M/c: a = λ/μ, ρ = a/c,
/// P0 = [Σ_{k=0}^{c−1} aᵏ/k! + aᶜ/(c!(1−ρ))]⁻¹, C = aᶜ/(c!(1−ρ))·P0, Wq = C/(cμ−λ), W = Wq + 1/μ,
/// L = λW.
fn erlang_c(lambda: f64, mu: f64, c: u32) -> (f64, f64, f64) {
    let a = lambda / mu;
    let rho = a / f64::from(c);
    let fact = |n: u32| (1..=n).map(f64::from).product::<f64>();
    let sum: f64 = (0..c).map(|k| a.powi(k as i32) / fact(k)).sum();
    let tail = a.powi(c as i32) / (fact(c) * (1.0 - rho));
    let p0 = 1.0 / (sum + tail);
    let wq = tail * p0 / (f64::from(c) * mu - lambda);
    (wq, wq + 1.0 / mu, lambda * (wq + 1.0 / mu))
}

#[test]
fn mmc_matches_erlang_c() {
    let (dir, _) = run_ok("scenarios/mmc.toml", &["--replications", "10"]);
    let s = summary(dir.path());
    for (variant, c) in [("baseline", 3), ("fourth-machine", 4)] {
        let (wq, w, l) = erlang_c(2.4, 1.0, c);
        assert_matches_theory(&s, variant, "wait_time_mean", wq);
        assert_matches_theory(&s, variant, "cycle_time_mean", w);
        assert_matches_theory(&s, variant, "wip_mean", l);
        assert_matches_theory(&s, variant, "utilization.cell", 2.4 / f64::from(c));
    }
    // Sanity of the formula itself against the textbook value for c = 3 (P0 = 1/17.8).
    assert!((erlang_c(2.4, 1.0, 3).0 - 0.6472 / 0.6).abs() < 1e-3);
}

/// M/M/1/K (K = buffer + 1 in service): p_n = (1−ρ)ρⁿ/(1−ρ^{K+1});
/// loss = p_K; L = ρ/(1−ρ) − (K+1)ρ^{K+1}/(1−ρ^{K+1}); throughput = λ(1−p_K).
#[test]
fn finite_buffer_matches_mm1k() {
    let (dir, _) =
        run_ok("scenarios/mm1.toml", &["--replications", "10", "--set", "factory.station.mill.buffer=4"]);
    let s = summary(dir.path());
    let (lambda, rho, k) = (0.8, 0.8_f64, 5);
    let norm = 1.0 - rho.powi(k + 1);
    let loss = (1.0 - rho) * rho.powi(k) / norm;
    let l = rho / (1.0 - rho) - f64::from(k + 1) * rho.powi(k + 1) / norm;
    assert_matches_theory(&s, "baseline", "loss_fraction", loss);
    assert_matches_theory(&s, "baseline", "wip_mean", l);
    assert_matches_theory(&s, "baseline", "throughput", lambda * (1.0 - loss));
}

/// Little's law L = λW holds on every single run (up to jobs in the system at the window
/// boundaries, a vanishing edge term): checked per replication on every ready scenario.
#[test]
fn littles_law_holds_on_single_runs() {
    for (scenario, tolerance) in [
        ("scenarios/mm1.toml", 0.01),
        ("scenarios/mmc.toml", 0.01),
        ("scenarios/tandem-buffer.toml", 0.01),
        ("scenarios/machining-line.toml", 0.03),
    ] {
        let (dir, _) = run_ok(scenario, &["--replications", "3"]);
        for ((variant, rep), m) in replications(dir.path()) {
            let (l, lambda, w) = (m["wip_mean"], m["throughput"], m["cycle_time_mean"]);
            let rel = (l - lambda * w).abs() / l;
            assert!(
                rel < tolerance,
                "{scenario} {variant}#{rep}: L = {l}, λW = {} (rel. error {rel})",
                lambda * w
            );
        }
    }
}

/// Blocking after service: with a tiny buffer before the bottleneck the upstream machine is
/// sometimes blocked, and a bigger buffer reduces both blocking and losses.
#[test]
fn finite_buffers_block_upstream_and_lose_arrivals() {
    let (dir, _) = run_ok("scenarios/tandem-buffer.toml", &["--replications", "5"]);
    let s = summary(dir.path());
    let get = |v: &str, m: &str| s[&(v.to_owned(), m.to_owned())].mean;
    assert!(get("baseline", "blocked_fraction.cut") > 0.01);
    assert_eq!(get("baseline", "blocked_fraction.polish"), 0.0, "the last station never blocks");
    assert!(get("baseline", "loss_fraction") > 0.0);
    assert!(get("bigger-buffer", "blocked_fraction.cut") < get("baseline", "blocked_fraction.cut"));
    assert!(get("bigger-buffer", "loss_fraction") < get("baseline", "loss_fraction"));
    // Issue 9, defect 7: the scenario promised "a few %" loss and measured 10.5 %; its comment
    // now says what it measures (≈ 0.105 and ≈ 0.055 with the bigger buffer: half-widths of 5
    // replications are ≈ 0.003).
    for (variant, expected) in [("baseline", 0.105), ("bigger-buffer", 0.055)] {
        let loss = get(variant, "loss_fraction");
        assert!(
            (loss - expected).abs() < 0.01,
            "{variant}: loss_fraction {loss}, the scenario says ≈ {expected}"
        );
    }
    // Conservation: what is not lost leaves (0.8 jobs/min offered).
    let tp = get("baseline", "throughput");
    assert!((tp - 0.8 * (1.0 - get("baseline", "loss_fraction"))).abs() < 0.01, "throughput {tp}");
}

/// Blocking after service, checked exactly against a hand-worked schedule. Constant times:
/// an arrival every 1.0 (t = 1, 2, …); station `a` takes 0.5, has no waiting places (a busy or
/// blocked `a` loses the arrival); station `b` takes 2.5 and has no waiting places either, so a
/// job finished at `a` blocks `a` until `b` is free.
///
/// From t = 9 the schedule repeats every 5.0: `b` finishes at 11.5, 14, 16.5, … (always busy);
/// jobs released at t ≡ 2, 4 (mod 5) are admitted, with cycle times 4.5 and 5.0 (0.5 at `a`,
/// 1.5 or 2.0 blocked on `a`, 2.5 at `b`); the rest are lost. Over [10, 1010] (200 periods):
/// throughput 2/5, loss (1001 − 400)/1001, utilization a = 2·0.5/5 = 0.2, b = 1, blocked a =
/// 3.5/5 = 0.7, wip = 1 + 0.9 = 1.9 = λW = 0.4 · 4.75, no queue waiting.
#[test]
fn blocking_after_service_matches_a_hand_worked_schedule() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("blocking.toml");
    std::fs::write(
        &file,
        r#"
[scenario]
name = "blocking"
domain = "factory"
time_unit = "minute"
horizon = 1010.0
warmup = 10.0

[experiment]
replications = 2

[[factory.source]]
name = "orders"
product = "part"
interarrival = 1.0

[[factory.product]]
name = "part"
route = ["a", "b"]

[[factory.station]]
name = "a"
machines = 1
buffer = 0
process = 0.5

[[factory.station]]
name = "b"
machines = 1
buffer = 0
process = 2.5
"#,
    )
    .expect("write scenario");
    let (out, _) = run_ok(file.to_str().expect("utf-8"), &[]);
    let s = summary(out.path());
    let expected = [
        ("throughput", 0.4),
        ("loss_fraction", 601.0 / 1001.0),
        ("utilization.a", 0.2),
        ("utilization.b", 1.0),
        ("blocked_fraction.a", 0.7),
        ("blocked_fraction.b", 0.0),
        ("wip_mean", 1.9),
        ("cycle_time_mean", 4.75),
        ("wait_time_mean", 0.0),
        ("queue_mean.a", 0.0),
    ];
    for (metric, value) in expected {
        let row = &s[&("baseline".to_owned(), metric.to_owned())];
        assert!((row.mean - value).abs() < 1e-9, "{metric}: {} (expected {value})", row.mean);
        assert_eq!(row.sd, 0.0, "{metric}: no randomness, replications must agree");
    }
}
