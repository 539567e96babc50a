//! Machines that fail, are repaired and maintained (issue 11), against reliability theory. The
//! formulas are written out next to the functions that compute them; each function is first
//! checked against published or closed-form values (plain unit tests), then the simulator is
//! checked against it over independent replications (99.9 % Student-t intervals, see
//! [`assert_matches_theory`]).

use std::collections::BTreeMap;

use crate::common::{Row, assert_matches_theory, replications, run_ok, scenario_file, summary, t_999};

// ---------------------------------------------------------------------------------------------
// Theory
// ---------------------------------------------------------------------------------------------

/// The finite-source machine-repair model M/M/R//N in steady state (validation.md §1.6).
#[derive(Debug)]
struct MachineRepair {
    /// p_n, n = 0..=N: the probability that n machines are down (failed, waiting or in repair).
    p: Vec<f64>,
    /// L = Σ n·p_n: mean number of machines down.
    l: f64,
    /// Lq = Σ (n−R)⁺·p_n: mean number of failed machines waiting for a repairer.
    lq: f64,
    /// (N − L)/N: the time-average fraction of machines up.
    availability: f64,
    /// E[min(n, R)]/R: the time-average fraction of the crew busy.
    utilization: f64,
    /// W = L/λ_eff with λ_eff = λ(N − L) (Little's law): mean time from failure to end of
    /// repair [time unit].
    w: f64,
    /// Wq = Lq/λ_eff: mean wait for a repairer [time unit].
    wq: f64,
}

/// N machines each failing at rate λ while up (exponential up times), R repairers each
/// repairing at rate μ (exponential repairs), first come first served. With r = λ/μ the number
/// of machines down is a birth–death chain whose stationary law is
///
/// ```text
/// p_n ∝ C(N, n)·rⁿ                          for n ≤ R
/// p_n ∝ C(N, n)·n!/(R!·R^(n−R))·rⁿ          for n > R
/// ```
///
/// (births at rate λ(N−n), deaths at rate μ·min(n, R)), normalised to Σ p_n = 1.
fn machine_repair(n_machines: u32, crew: u32, lambda: f64, mu: f64) -> MachineRepair {
    let fact = |k: u32| (1..=k).map(f64::from).product::<f64>();
    let choose = |n: u32, k: u32| fact(n) / (fact(k) * fact(n - k));
    let (n_f, r_f) = (f64::from(n_machines), f64::from(crew));
    let r = lambda / mu;
    let weights: Vec<f64> = (0..=n_machines)
        .map(|n| {
            let rn = r.powi(n as i32);
            if n <= crew {
                choose(n_machines, n) * rn
            } else {
                choose(n_machines, n) * fact(n) / (fact(crew) * r_f.powi((n - crew) as i32)) * rn
            }
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
    let expect = |f: &dyn Fn(f64) -> f64| p.iter().enumerate().map(|(n, pn)| f(n as f64) * pn).sum::<f64>();
    let l = expect(&|n| n);
    let lq = expect(&|n| (n - r_f).max(0.0));
    let utilization = expect(&|n| n.min(r_f)) / r_f;
    let lambda_eff = lambda * (n_f - l);
    MachineRepair {
        p,
        l,
        lq,
        availability: (n_f - l) / n_f,
        utilization,
        w: l / lambda_eff,
        wq: lq / lambda_eff,
    }
}

/// Long-run availability of one machine that alternates up and down: an alternating renewal
/// process, so A = MTBF/(MTBF + MTTR) whatever the distributions of the up and down times
/// (only their means matter).
fn availability(mtbf: f64, mttr: f64) -> f64 {
    mtbf / (mtbf + mttr)
}

/// Composite Simpson rule with `n` (even) sub-intervals: h/3·[f(a) + 4Σ f(odd) + 2Σ f(even
/// interior) + f(b)], h = (b − a)/n. Its error is −(b−a)h⁴f⁽⁴⁾(ξ)/180.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: u32) -> f64 {
    assert!(n >= 2 && n.is_multiple_of(2), "Simpson needs an even number of sub-intervals");
    let h = (b - a) / f64::from(n);
    let inner: f64 = (1..n).map(|i| f(a + f64::from(i) * h) * if i % 2 == 1 { 4.0 } else { 2.0 }).sum();
    h / 3.0 * (f(a) + inner + f(b))
}

/// Sub-intervals of the Simpson rule for the renewal-reward integrals: with h ≤ T/4000 the
/// rule's error on a Weibull survival function with the shapes used here is far below 1e-9
/// (checked by halving h in `age_replacement_integrals_are_exact`).
const SIMPSON_STEPS: u32 = 4000;

/// Γ(x) for x > 0 by the Lanczos approximation (g = 7, 9 coefficients; relative error below
/// 1e-14 on the arguments used here), with the reflection formula below 1/2.
fn gamma_fn(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma_fn(1.0 - x));
    }
    let x = x - 1.0;
    let t = x + G + 0.5;
    let series = C[0] + (1..9).map(|i| C[i] / (x + i as f64)).sum::<f64>();
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * series
}

/// A Weibull time to failure: R(t) = exp(−(t/η)^β), F = 1 − R, MTTF = η·Γ(1 + 1/β).
#[derive(Clone, Copy, Debug)]
struct Weibull {
    /// β, the shape (> 1: wear-out, the failure rate grows with age).
    shape: f64,
    /// η, the scale [time unit].
    scale: f64,
}

impl Weibull {
    /// R(t): the probability of surviving to age t.
    fn survival(self, t: f64) -> f64 {
        (-(t / self.scale).powf(self.shape)).exp()
    }

    /// MTTF = ∫₀^∞ R(t) dt = η·Γ(1 + 1/β) [time unit].
    fn mttf(self) -> f64 {
        self.scale * gamma_fn(1.0 + 1.0 / self.shape)
    }
}

/// Age replacement in steady state (renewal–reward). A machine is renewed (as good as new) by a
/// repair of mean length T_f after a failure, or by preventive maintenance of mean length T_p
/// when it reaches age T (time up since its last renewal) without failing. One cycle is a
/// renewal to the next; with X the time to failure:
///
/// ```text
/// E[up time per cycle]   = E[min(X, T)] = ∫₀ᵀ R(t) dt
/// E[down time per cycle] = T_p·R(T) + T_f·F(T)
/// A(T) = ∫₀ᵀR(t)dt / (∫₀ᵀR(t)dt + T_p·R(T) + T_f·F(T))
/// failures per time unit    = F(T) / E[cycle]
/// maintenance per time unit = R(T) / E[cycle]
/// ```
///
/// The integral by Simpson's rule ([`SIMPSON_STEPS`] sub-intervals).
#[derive(Debug)]
struct AgeReplacement {
    /// A(T): the long-run fraction of time up.
    availability: f64,
    /// Failures begun per time unit.
    failures: f64,
    /// Preventive maintenance actions begun per time unit.
    maintenance: f64,
}

fn age_replacement(life: Weibull, age: f64, t_p: f64, t_f: f64) -> AgeReplacement {
    let up = simpson(|t| life.survival(t), 0.0, age, SIMPSON_STEPS);
    let (r, f) = (life.survival(age), 1.0 - life.survival(age));
    let cycle = up + t_p * r + t_f * f;
    AgeReplacement { availability: up / cycle, failures: f / cycle, maintenance: r / cycle }
}

/// Run to failure (T = ∞): A = MTTF/(MTTF + T_f), failures per time unit 1/(MTTF + T_f).
fn run_to_failure(life: Weibull, t_f: f64) -> (f64, f64) {
    let mttf = life.mttf();
    (mttf / (mttf + t_f), 1.0 / (mttf + t_f))
}

/// One machine, jobs that need `s` time units of processing each and arrive far apart (so a job
/// never waits for another), failures at rate λ per time unit up (exponential, so age does not
/// matter), repairs of constant length r starting at once. A job that arrives while the
/// machine is down waits for the rest of the repair: the machine is down with probability
/// 1 − A = r/(1/λ + r) and a repair in progress has a residual uniform on (0, r), mean r/2, so
/// the expected wait is r²/(2(1/λ + r)). Then:
///
/// - `resume`: the job needs s time units up; N ~ Poisson(λs) failures interrupt it, each
///   costing r: E[cycle] = wait + s + λ·s·r.
/// - `restart`: an attempt succeeds when no failure comes within s (probability e^(−λs)),
///   otherwise it loses min(X, s) and r and starts over: E[T] = E[min(X, s)] + F(s)(r + E[T])
///   gives E[T] = (e^(λs) − 1)(1/λ + r), and E[cycle] = wait + E[T].
fn interrupted_cycle_time(lambda: f64, s: f64, r: f64) -> (f64, f64) {
    let wait = r * r / (2.0 * (1.0 / lambda + r));
    (wait + s + lambda * s * r, wait + ((lambda * s).exp() - 1.0) * (1.0 / lambda + r))
}

// ---------------------------------------------------------------------------------------------
// The theory against published and closed-form values
// ---------------------------------------------------------------------------------------------

/// Asserts |got − want| ≤ tol.
fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "{what}: {got} vs {want} (tolerance {tol})");
}

/// The closed form reproduces every row of validation.md §1.6 to the digits printed there:
/// 1e-5 for the six-decimal columns, half a unit of the last digit for W and Wq where fewer are
/// printed.
#[test]
fn machine_repair_formula_matches_the_published_table() {
    // (N, R, λ, μ, p (empty: not printed), L, Lq, availability, W, W's tolerance, Wq, util.)
    #[allow(clippy::type_complexity, reason = "the columns of the published table, as printed")]
    let rows: [(u32, u32, f64, f64, &[f64], f64, f64, f64, f64, f64, f64, f64); 5] = [
        (
            2,
            1,
            0.1,
            0.125,
            &[0.257732, 0.412371, 0.329897],
            1.072165,
            0.329897,
            0.463918,
            11.5556,
            5e-5,
            3.5556,
            0.742268,
        ),
        (
            3,
            2,
            0.1,
            0.125,
            &[0.164258, 0.394218, 0.315375, 0.126150],
            1.403417,
            0.126150,
            0.532194,
            8.7901,
            5e-5,
            0.7901,
            0.638633,
        ),
        (5, 1, 0.05, 0.5, &[], 0.639522, 0.203474, 0.872096, 2.933264, 1e-5, 0.933264, 0.436048),
        (5, 2, 0.05, 0.5, &[], 0.464794, 0.011274, 0.907041, 2.049717, 1e-5, 0.049717, 0.226760),
        (10, 1, 1.0 / 300.0, 1.0 / 30.0, &[], 2.145823, 1.360406, 0.785418, 81.962, 5e-4, 51.962, 0.785418),
    ];
    for (n, r, lambda, mu, p, l, lq, a, w, w_tol, wq, u) in rows {
        let m = machine_repair(n, r, lambda, mu);
        let case = format!("N={n}, R={r}");
        close(&format!("{case}: Σp"), m.p.iter().sum(), 1.0, 1e-12);
        for (k, (got, want)) in m.p.iter().zip(p).enumerate() {
            close(&format!("{case}: p_{k}"), *got, *want, 1e-5);
        }
        close(&format!("{case}: L"), m.l, l, 1e-5);
        close(&format!("{case}: Lq"), m.lq, lq, 1e-5);
        close(&format!("{case}: availability"), m.availability, a, 1e-5);
        close(&format!("{case}: W"), m.w, w, w_tol);
        close(&format!("{case}: Wq"), m.wq, wq, w_tol);
        close(&format!("{case}: utilization"), m.utilization, u, 1e-5);
    }
    // Matloff's MachRep1 and MachRep2 (§1.6, published): two machines, up 1.0, repair 0.5;
    // uptime 2/3 with two repairers and 0.6 with one.
    close("MachRep1", machine_repair(2, 2, 1.0, 2.0).availability, 2.0 / 3.0, 1e-12);
    close("MachRep2", machine_repair(2, 1, 1.0, 2.0).availability, 0.6, 1e-12);
}

/// validation.md §1.7: A = 0.833333 (MTBF 50, MTTR 10), 0.952381 (rate 0.01, repair uniform on
/// 2–8, mean 5) and 0.909091 (MTBF 300, MTTR 30). One machine and one repairer is M/M/1//1,
/// whose availability must agree.
#[test]
fn availability_formula_matches_the_published_values() {
    close("50/10", availability(50.0, 10.0), 0.833333, 1e-6);
    close("0.01/U(2,8)", availability(1.0 / 0.01, (2.0 + 8.0) / 2.0), 0.952381, 1e-6);
    close("300/30", availability(300.0, 30.0), 0.909091, 1e-6);
    close("M/M/1//1", machine_repair(1, 1, 1.0 / 50.0, 1.0 / 10.0).availability, 0.833333, 1e-6);
}

/// The renewal-reward integrals are exact to 1e-7 and the formula has its limits right:
/// - Γ against known values (Γ(1/2) = √π, Γ(5) = 24, Γ(4/3) = 0.892979511569249);
/// - Simpson on R(t) = e^(−t/η) (Weibull shape 1) against η(1 − e^(−T/η)), and halving h
///   changes the shape-3 integral by less than 1e-10;
/// - as T → ∞, A(T) → MTTF/(MTTF + T_f) (at T = 10η, R(T) = e^(−1000): the limit exactly);
/// - with exponential failures (shape 1) maintenance cannot help: A(T) < run-to-failure for
///   every T when T_p > 0 (memoryless: a maintained machine is no better than before);
/// - a wear-out example (η = 100, β = 3, T_p = 2, T_f = 10) computed independently with
///   Python's math.gamma and a 2000-step Simpson rule: A(50) = 0.942836, A(100) = 0.919632,
///   run-to-failure 0.899293.
#[test]
fn age_replacement_integrals_are_exact() {
    close("Γ(1/2)", gamma_fn(0.5), std::f64::consts::PI.sqrt(), 1e-13);
    close("Γ(5)", gamma_fn(5.0), 24.0, 1e-12);
    close("Γ(4/3)", gamma_fn(4.0 / 3.0), 0.892_979_511_569_249_2, 1e-13);

    let expo = Weibull { shape: 1.0, scale: 80.0 };
    for t in [10.0, 50.0, 200.0] {
        let exact = 80.0 * (1.0 - (-t / 80.0_f64).exp());
        close(
            &format!("∫₀^{t} e^(−t/80)"),
            simpson(|x| expo.survival(x), 0.0, t, SIMPSON_STEPS),
            exact,
            1e-9,
        );
    }
    let wear = Weibull { shape: 3.0, scale: 100.0 };
    for t in [30.0, 50.0, 100.0, 250.0] {
        let coarse = simpson(|x| wear.survival(x), 0.0, t, SIMPSON_STEPS);
        let fine = simpson(|x| wear.survival(x), 0.0, t, 2 * SIMPSON_STEPS);
        close(&format!("Simpson convergence at T = {t}"), coarse, fine, 1e-10);
    }
    // ∫₀^∞ R = MTTF: the integral to 10η against η·Γ(4/3).
    close("MTTF", simpson(|x| wear.survival(x), 0.0, 1000.0, 4 * SIMPSON_STEPS), wear.mttf(), 1e-7);

    let (rtf, rtf_failures) = run_to_failure(wear, 10.0);
    let far = age_replacement(wear, 1000.0, 2.0, 10.0);
    close("A(∞)", far.availability, rtf, 1e-7);
    close("failures(∞)", far.failures, rtf_failures, 1e-9);
    for t in [5.0, 50.0, 500.0] {
        assert!(age_replacement(expo, t, 2.0, 10.0).availability < run_to_failure(expo, 10.0).0);
    }
    close("A(50)", age_replacement(wear, 50.0, 2.0, 10.0).availability, 0.942836, 1e-6);
    close("A(100)", age_replacement(wear, 100.0, 2.0, 10.0).availability, 0.919632, 1e-6);
    close("run to failure", rtf, 0.899293, 1e-6);
}

/// The interrupted-job formulas against a direct sum for `restart` (E[T] = Σₖ P(k failed
/// attempts)·…, a geometric series) and the exponential limit of `resume`.
#[test]
fn interrupted_job_formulas_are_consistent() {
    let (lambda, s, r) = (0.05_f64, 5.0, 4.0);
    let q = 1.0 - (-lambda * s).exp(); // an attempt fails
    // A failed attempt costs E[X | X < s] + r; the successful one costs s.
    let lost = (1.0 - (-lambda * s).exp()) / lambda - s * (-lambda * s).exp(); // E[X; X < s]
    let failed_attempt = lost / q + r;
    let direct: f64 = (0..200).map(|k| q.powi(k) * (1.0 - q) * (f64::from(k) * failed_attempt + s)).sum();
    let wait = r * r / (2.0 * (1.0 / lambda + r));
    let (resume, restart) = interrupted_cycle_time(lambda, s, r);
    close("restart", restart - wait, direct, 1e-9);
    close("resume", resume - wait, s + lambda * s * r, 1e-12);
    assert!(restart > resume);
}

// ---------------------------------------------------------------------------------------------
// The simulator against the theory
// ---------------------------------------------------------------------------------------------

/// The scenario header: hours, 10 replications.
fn head(name: &str, horizon: f64, warmup: f64) -> String {
    format!(
        "[scenario]\nname = \"{name}\"\ndomain = \"factory\"\ntime_unit = \"hour\"\nhorizon = {horizon:.1}\n\
         warmup = {warmup:.1}\n\n[experiment]\nreplications = 10\nseed = 11\n"
    )
}

/// A source of rare jobs (one per 10⁴ h on average) through `route`, so that no station is ever
/// loaded: with `basis = "calendar"` failures do not depend on the jobs anyway.
fn rare_jobs(route: &[&str]) -> String {
    let route: Vec<String> = route.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        "\n[[factory.source]]\nname = \"orders\"\nproduct = \"part\"\n\
         interarrival = {{ dist = \"exponential\", mean = 10000.0 }}\n\n\
         [[factory.product]]\nname = \"part\"\nroute = [{}]\n",
        route.join(", ")
    )
}

/// `summary.csv`: (variant, metric) → row.
type Summary = BTreeMap<(String, String), Row>;

/// `replications.csv`: (variant, replication) → metric → value.
type Replications = BTreeMap<(String, u32), BTreeMap<String, f64>>;

/// Runs `text` as a scenario: its summary and its replications.
fn run_text(name: &str, text: &str) -> (Summary, Replications) {
    let (_keep, path) = scenario_file(&format!("{name}.toml"), text);
    let (dir, _) = run_ok(path.to_str().expect("utf-8"), &[]);
    (summary(dir.path()), replications(dir.path()))
}

/// One machine per station, repairs start at once (no crew): availability = MTBF/(MTBF+MTTR)
/// for exponential up and repair times (50 h, 10 h: 0.833333), exponential up times with
/// uniform repairs (rate 0.01/h, U(2, 8) h: 0.952381) and lognormal up times with constant
/// repairs (300 h, 30 h: 0.909091). Each station runs about 10⁶ h, 3 000 to 17 000 cycles per
/// replication. Repairs start at once, so every failure's downtime is its repair time:
/// downtime_mean = MTTR, and failures per hour = 1/(MTBF + MTTR).
#[test]
fn single_machine_availability_is_mtbf_over_mtbf_plus_mttr() {
    let mut text = head("single-machine", 1_001_000.0, 1000.0);
    text += &rare_jobs(&["expo", "uniform", "lognormal"]);
    let stations = [
        ("expo", r#"{ dist = "exponential", mean = 50.0 }"#, r#"{ dist = "exponential", mean = 10.0 }"#),
        (
            "uniform",
            r#"{ dist = "exponential", rate = 0.01 }"#,
            r#"{ dist = "uniform", min = 2.0, max = 8.0 }"#,
        ),
        (
            "lognormal",
            r#"{ dist = "lognormal", mean = 300.0, cv = 0.5 }"#,
            r#"{ dist = "constant", value = 30.0 }"#,
        ),
    ];
    for (name, mtbf, mttr) in stations {
        text += &format!(
            "\n[[factory.station]]\nname = \"{name}\"\nmachines = 1\nprocess = 0.01\n\
             failure = {{ mtbf = {mtbf}, mttr = {mttr}, basis = \"calendar\" }}\n"
        );
    }
    let (s, _) = run_text("single-machine", &text);
    for (name, mtbf, mttr, published) in [
        ("expo", 50.0, 10.0, 0.833333),
        ("uniform", 100.0, 5.0, 0.952381),
        ("lognormal", 300.0, 30.0, 0.909091),
    ] {
        close(&format!("{name}: published value"), availability(mtbf, mttr), published, 1e-6);
        assert_matches_theory(&s, "baseline", &format!("availability.{name}"), availability(mtbf, mttr));
        let downtime = format!("downtime_mean.{name}");
        if name == "lognormal" {
            // Constant repairs: every downtime is 30 h up to the rounding of end − start.
            let row = &s[&("baseline".to_owned(), downtime.clone())];
            assert!((row.mean - mttr).abs() < 1e-6, "{downtime} = {}", row.mean);
        } else {
            assert_matches_theory(&s, "baseline", &downtime, mttr);
        }
        assert_matches_theory(&s, "baseline", &format!("failures.{name}"), 1.0 / (mtbf + mttr));
    }
}

/// Runs `scenarios/machine-repair.toml` (N = 5, λ = 0.05/h, μ = 0.5/h; 1 fitter, and 2 in the
/// variant) and checks availability, crew utilization and the mean downtime per failure W
/// against §1.6 (0.872096, 0.436048, 2.933264 h; 0.907041, 0.226760, 2.049717 h). Its jobs do
/// not matter: failures count calendar time up.
#[test]
fn machine_repair_scenario_matches_the_finite_source_model() {
    let (dir, _) = run_ok("scenarios/machine-repair.toml", &[]);
    let s = summary(dir.path());
    for (variant, crew) in [("baseline", 1), ("two-fitters", 2)] {
        let m = machine_repair(5, crew, 0.05, 0.5);
        assert_matches_theory(&s, variant, "availability.looms", m.availability);
        assert_matches_theory(&s, variant, "utilization.fitters", m.utilization);
        assert_matches_theory(&s, variant, "downtime_mean.looms", m.w);
    }
}

/// Finite-source machine repair M/M/R//N for three more rows of §1.6 in one run: N = 2, R = 1
/// and N = 3, R = 2 with MTBF 10 h and MTTR 8 h (availability 0.463918 and 0.532194, crew
/// utilization 0.742268 and 0.638633), and N = 10, R = 1 with MTBF 300 h, MTTR 30 h (0.785418,
/// 0.785418). 3·10⁵ h per replication: 13 000 to 48 000 failures.
#[test]
fn finite_source_machine_repair_matches_the_closed_form() {
    let mut text = head("machine-repair", 301_000.0, 1000.0);
    text += &rare_jobs(&["plant"]);
    text += r#"
[[factory.crew]]
name = "fitters"
size = 1

[[factory.station]]
name = "plant"
machines = 2
process = 0.01
failure = { mtbf = { dist = "exponential", mean = 10.0 }, mttr = { dist = "exponential", mean = 8.0 }, basis = "calendar", crew = "fitters" }

[[variant]]
name = "n3-r2"
set = { "factory.station.plant.machines" = 3, "factory.crew.fitters.size" = 2 }

[[variant]]
name = "n10-r1"
set = { "factory.station.plant.machines" = 10, "factory.station.plant.failure.mtbf.mean" = 300.0, "factory.station.plant.failure.mttr.mean" = 30.0 }
"#;
    let (s, _) = run_text("machine-repair", &text);
    for (variant, n, r, mtbf, mttr) in
        [("baseline", 2, 1, 10.0, 8.0), ("n3-r2", 3, 2, 10.0, 8.0), ("n10-r1", 10, 1, 300.0, 30.0)]
    {
        let m = machine_repair(n, r, 1.0 / mtbf, 1.0 / mttr);
        assert_matches_theory(&s, variant, "availability.plant", m.availability);
        assert_matches_theory(&s, variant, "utilization.fitters", m.utilization);
        assert_matches_theory(&s, variant, "downtime_mean.plant", m.w);
        // Failures begun per hour: λ_eff = λ(N − L).
        assert_matches_theory(&s, variant, "failures.plant", (f64::from(n) - m.l) / mtbf);
    }
}

/// Age replacement on Weibull wear-out (β = 3, η = 100 h, MTTF = 89.30 h), repair T_f = 10 h
/// and maintenance T_p = 2 h (constant, starting at once): one machine maintained at age 50 h
/// (A = 0.942836, near the optimum), one at age 100 h (0.919632) and one run to failure
/// (MTTF/(MTTF + T_f) = 0.899293), each with its failure and maintenance rates, over 10⁶ h.
#[test]
fn age_replacement_matches_renewal_reward_theory() {
    let mut text = head("age-replacement", 1_001_000.0, 1000.0);
    text += &rare_jobs(&["age50", "age100", "rtf"]);
    let failure = r#"{ mtbf = { dist = "weibull", shape = 3, scale = 100.0 }, mttr = { dist = "constant", value = 10.0 }, basis = "calendar" }"#;
    for (name, every) in [("age50", Some(50.0)), ("age100", Some(100.0)), ("rtf", None)] {
        text += &format!(
            "\n[[factory.station]]\nname = \"{name}\"\nmachines = 1\nprocess = 0.01\nfailure = {failure}\n"
        );
        if let Some(every) = every {
            text += &format!(
                "maintenance = {{ policy = \"preventive\", every = {every:.1}, basis = \"age\", \
                 duration = {{ dist = \"constant\", value = 2.0 }} }}\n"
            );
        }
    }
    let (s, _) = run_text("age-replacement", &text);
    let life = Weibull { shape: 3.0, scale: 100.0 };
    for (name, age) in [("age50", 50.0), ("age100", 100.0)] {
        let theory = age_replacement(life, age, 2.0, 10.0);
        assert_matches_theory(&s, "baseline", &format!("availability.{name}"), theory.availability);
        assert_matches_theory(&s, "baseline", &format!("failures.{name}"), theory.failures);
        assert_matches_theory(&s, "baseline", &format!("maintenance.{name}"), theory.maintenance);
    }
    let (a, failures) = run_to_failure(life, 10.0);
    assert_matches_theory(&s, "baseline", "availability.rtf", a);
    assert_matches_theory(&s, "baseline", "failures.rtf", failures);
    // Repairs are constant and start at once: every downtime is exactly T_f.
    for name in ["age50", "age100", "rtf"] {
        let row = &s[&("baseline".to_owned(), format!("downtime_mean.{name}"))];
        assert!((row.mean - 10.0).abs() < 1e-6, "downtime_mean.{name} = {}", row.mean);
    }
    // Run to failure never maintains (the metric is 0, or absent for a station without policy).
    let rtf_maintenance =
        s.get(&("baseline".to_owned(), "maintenance.rtf".to_owned())).map_or(0.0, |r| r.mean);
    assert_eq!(rtf_maintenance, 0.0);
}

/// A failure during service: `resume` continues the job after the repair, `restart` starts it
/// over. One machine, jobs of exactly 5 h arriving every 100 h, exponential failures at
/// λ = 0.05/h (calendar), constant repairs of 4 h: E[cycle] = 6.3333 h (resume) and 7.1499 h
/// (restart), from [`interrupted_cycle_time`]. 2 000 jobs per replication.
#[test]
fn interrupted_jobs_resume_or_restart_as_theory_says() {
    let mut text = head("interrupted", 201_000.0, 1000.0);
    text += r#"
[[factory.source]]
name = "orders"
product = "part"
interarrival = 100.0

[[factory.product]]
name = "part"
route = ["press"]

[[factory.station]]
name = "press"
machines = 1
process = 5.0
failure = { mtbf = { dist = "exponential", rate = 0.05 }, mttr = { dist = "constant", value = 4.0 }, basis = "calendar", interrupted = "resume" }

[[variant]]
name = "restart"
set = { "factory.station.press.failure.interrupted" = "restart" }
"#;
    let (s, _) = run_text("interrupted", &text);
    let (resume, restart) = interrupted_cycle_time(0.05, 5.0, 4.0);
    assert_matches_theory(&s, "baseline", "cycle_time_mean", resume);
    assert_matches_theory(&s, "restart", "cycle_time_mean", restart);
    // Failures count calendar time up, whatever happens to the jobs: A = 20/24 either way.
    assert_matches_theory(&s, "baseline", "availability.press", availability(20.0, 4.0));
    assert_matches_theory(&s, "restart", "availability.press", availability(20.0, 4.0));
}

/// Per-replication paired differences `variant − baseline` of `metric`: their mean and the
/// half-width of its 99.9 % Student-t interval (replication r of every variant shares its
/// random numbers, so the differences are i.i.d. across replications).
fn paired(reps: &Replications, variant: &str, baseline: &str, metric: &str) -> (f64, f64) {
    let diffs: Vec<f64> = reps
        .iter()
        .filter(|((v, _), _)| v == variant)
        .map(|((_, r), m)| m[metric] - reps[&(baseline.to_owned(), *r)][metric])
        .collect();
    let n = diffs.len() as f64;
    let mean = diffs.iter().sum::<f64>() / n;
    let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, t_999(n - 1.0) * (var / n).sqrt())
}

/// Wear-out machines with a wear sensor: maintenance policies against run to failure.
///
/// Four presses wear as a gamma process in calendar time (1 wear unit per hour on average, cv
/// 1 over one hour) and fail at wear 100: a life of 100 h ± 10 h. A wear-out failure costs a
/// 10 h repair, maintenance 2 h; both start at once. A sensor reads wear + N(0, 5²) every 2 h,
/// Kalman-filtered. The warm-up (2 000 h, about 80 failures) runs to failure in every variant
/// and teaches the predictors; then 10 000 h are measured.
///
/// - `predictive` (logistic on the filtered level and rate, P(fail within 10 h) ≥ 0.5) lowers
///   failures: the 99.9 % paired CI of the difference lies below zero, and the reduction is
///   at least a half of run to failure's failures. Its precision beats the 0.1 that a trigger
///   at random readings would get (about 10 h of a 100 h life are within 10 h of failure).
/// - `noise` is the same predictor on a sensor of pure noise (`gain = 0`) with only sensor
///   features: the labels are independent of what it sees, so it cannot tell an old machine
///   from a new one. Criterion: it does not lower failures — the 99.9 % paired CI of the
///   difference reaches up to at least −5 % of run to failure's failures (a reduction of 5 %
///   or more is not established), and the point estimate of the reduction is under 5 %.
/// - `condition` (maintain at filtered wear 80) nearly eliminates wear-out failures: under 5 %
///   of run to failure's.
#[test]
fn predictive_maintenance_needs_an_informative_sensor() {
    let mut text = head("predictive", 12_000.0, 2000.0);
    text += &rare_jobs(&["press"]);
    text += r#"
[[factory.station]]
name = "press"
machines = 4
process = 0.01
wear = { rate = 1.0, cv = 1.0, basis = "calendar", limit = 100.0, repair = { dist = "constant", value = 10.0 } }
sensor = { every = 2.0, noise_sd = 5.0, filter = "kalman" }

[[variant]]
name = "predictive"
set = { "factory.station.press.maintenance" = { policy = "predictive", predictor = { plugin = "logistic" }, within = 10.0, threshold = 0.5, features = ["level", "rate"], duration = { dist = "constant", value = 2.0 } } }

[[variant]]
name = "noise"
set = { "factory.station.press.sensor" = { every = 2.0, noise_sd = 5.0, gain = 0.0, filter = "ewma", alpha = 0.3 }, "factory.station.press.maintenance" = { policy = "predictive", predictor = { plugin = "logistic" }, within = 10.0, threshold = 0.5, features = ["level", "rate"], duration = { dist = "constant", value = 2.0 } } }

[[variant]]
name = "condition"
set = { "factory.station.press.maintenance" = { policy = "condition", threshold = 80.0, duration = { dist = "constant", value = 2.0 } } }
"#;
    let (s, reps) = run_text("predictive", &text);
    let mean = |v: &str, m: &str| s[&(v.to_owned(), m.to_owned())].mean;
    let rtf = mean("baseline", "failures.press");
    // 4 machines, one failure per ≈ 110 h (life + repair) each.
    assert!((0.025..0.045).contains(&rtf), "run to failure: {rtf} failures per hour");

    let (diff, half) = paired(&reps, "predictive", "baseline", "failures.press");
    assert!(
        diff + half < 0.0 && -diff >= 0.5 * rtf,
        "predictive: failures change by {diff:.5} ± {half:.5} per hour (run to failure {rtf:.5})"
    );
    assert!(mean("predictive", "maintenance.press") > 0.0);
    let precision = mean("predictive", "precision.press");
    assert!(precision > 0.1 && precision <= 1.0, "predictive precision {precision}");
    for m in ["recall", "f1", "accuracy"] {
        let v = mean("predictive", &format!("{m}.press"));
        assert!((0.0..=1.0).contains(&v), "{m}.press = {v}");
    }
    assert!(
        mean("predictive", "availability.press") > mean("baseline", "availability.press"),
        "a 2 h maintenance instead of a 10 h repair raises availability"
    );

    let (diff, half) = paired(&reps, "noise", "baseline", "failures.press");
    assert!(
        diff + half >= -0.05 * rtf && -diff < 0.05 * rtf,
        "noise: failures change by {diff:.5} ± {half:.5} per hour (run to failure {rtf:.5})"
    );

    let condition = mean("condition", "failures.press");
    assert!(condition < 0.05 * rtf, "condition: {condition} failures per hour, run to failure {rtf}");
}

/// No event is lost when machines' failure clocks are rescheduled all the time: wear that counts
/// busy time moves a press's pending failure at every start and end of a job (a cancel and a new
/// entry in the calendar), alongside random failures in calendar time. Five presses, 2.5 jobs
/// per hour of 1.2 h each, wear-out after ≈ 100 h of stamping, random faults every 400 h, 6 h
/// repairs: capacity ≈ 0.95 · 5/1.2 ≈ 4 jobs per hour, so the line is stable and throughput =
/// arrival rate λ = 2.5 per hour. Checked on the mean (99.9 % CI) and on every replication: a
/// replication's throughput has sd ≈ √(λ·8 760)/8 760 ≈ 0.017 per hour, so ±0.1 is about six sd.
#[test]
fn rescheduled_failures_lose_no_event() {
    let mut text = head("rescheduled", 9760.0, 1000.0).replace("replications = 10", "replications = 20");
    text += r#"
[[factory.source]]
name = "orders"
product = "bracket"
interarrival = { dist = "exponential", mean = 0.4 }

[[factory.product]]
name = "bracket"
route = ["press"]

[[factory.station]]
name = "press"
machines = 5
process = { dist = "lognormal", mean = 1.2, cv = 0.3 }
wear = { rate = 1.0, cv = 1.0, basis = "busy", limit = 100.0 }
failure = { mtbf = { dist = "exponential", mean = 400.0 }, mttr = { dist = "constant", value = 6.0 }, basis = "calendar" }
"#;
    let (s, reps) = run_text("rescheduled", &text);
    assert_matches_theory(&s, "baseline", "throughput", 2.5);
    for ((variant, r), m) in &reps {
        let tp = m["throughput"];
        assert!((tp - 2.5).abs() < 0.1, "{variant}#{r}: throughput {tp}, arrivals 2.5 per hour");
    }
}

/// A crew's dispatcher chooses which waiting request a freed fitter takes. One fitter serves six
/// presses that fail at random (MTBF 30 h, 3 h repairs) and are all maintained every 10 h
/// (block replacement, 0.5 h each), so repairs often queue behind a batch of maintenance
/// requests. The dispatcher sees a repair's expected work as 3 h and a maintenance's as 0.5 h:
/// `spt` (shortest first) makes repairs wait behind maintenance, `lpt` puts them first. So the
/// downtime of a failure (failure → end of repair, the wait included) is longer under `spt` and
/// shorter under `lpt` than first come first served, on the same random numbers (99.9 % paired
/// CIs).
#[test]
fn a_crew_dispatcher_chooses_the_next_request() {
    let mut text = head("crew-dispatch", 20_000.0, 1000.0);
    text += "\n[[factory.crew]]\nname = \"fitters\"\nsize = 1\n";
    text += &rare_jobs(&["press"]);
    text += r#"
[[factory.station]]
name = "press"
machines = 6
process = 0.01
failure = { mtbf = { dist = "exponential", mean = 30.0 }, mttr = 3.0, basis = "calendar", crew = "fitters" }
maintenance = { policy = "preventive", every = 10.0, basis = "calendar", duration = 0.5, crew = "fitters" }

[[variant]]
name = "spt"
set = { "factory.crew.fitters.dispatch" = { plugin = "spt" } }

[[variant]]
name = "lpt"
set = { "factory.crew.fitters.dispatch" = { plugin = "lpt" } }
"#;
    let (_, reps) = run_text("crew-dispatch", &text);
    let (diff, half) = paired(&reps, "spt", "baseline", "downtime_mean.press");
    assert!(diff - half > 0.0, "spt: downtime changes by {diff:.4} ± {half:.4} h");
    let (diff, half) = paired(&reps, "lpt", "baseline", "downtime_mean.press");
    assert!(diff + half < 0.0, "lpt: downtime changes by {diff:.4} ± {half:.4} h");
}

/// A predictor can learn from a history file instead of the warm-up: `train = "history.csv"`
/// beside the scenario, with the feature columns and `failed_within`. The history here is what
/// an engineer would write for presses wearing 1 unit per hour up to 100: a press at wear ≥ 90
/// fails within 10 h. Trained on it (no warm-up at all), the predictor lowers failures against
/// run to failure (99.9 % paired CI), as the one trained on the warm-up does above.
#[test]
fn a_predictor_learns_from_a_training_file() {
    let mut history = String::from("level,rate,failed_within,note\n");
    for k in 0..=200 {
        let level = f64::from(k) * 0.5;
        history += &format!("{level},1.0,{},ignored\n", u8::from(level >= 90.0));
    }
    let mut text = head("train-file", 10_000.0, 0.0);
    text += &rare_jobs(&["press"]);
    text += r#"
[[factory.station]]
name = "press"
machines = 4
process = 0.01
wear = { rate = 1.0, cv = 1.0, basis = "calendar", limit = 100.0, repair = { dist = "constant", value = 10.0 } }
sensor = { every = 2.0, noise_sd = 5.0, filter = "kalman" }

[[variant]]
name = "predictive"
set = { "factory.station.press.maintenance" = { policy = "predictive", predictor = { plugin = "logistic" }, within = 10.0, threshold = 0.5, features = ["level", "rate"], train = "history.csv", duration = { dist = "constant", value = 2.0 } } }
"#;
    let (dir, path) = scenario_file("train-file.toml", &text);
    std::fs::write(dir.path().join("history.csv"), history).expect("history written");
    let (out, _) = run_ok(path.to_str().expect("utf-8"), &[]);
    let reps = replications(out.path());
    let rtf =
        reps.iter().filter(|((v, _), _)| v == "baseline").map(|(_, m)| m["failures.press"]).sum::<f64>()
            / 10.0;
    let (diff, half) = paired(&reps, "predictive", "baseline", "failures.press");
    assert!(
        diff + half < 0.0 && -diff >= 0.5 * rtf,
        "predictive from a file: failures change by {diff:.5} ± {half:.5} per hour (run to failure {rtf:.5})"
    );
}
