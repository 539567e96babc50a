//! Plugins end to end: real `.so` files built by cargo, loaded by path from scenarios; refusals
//! (exit 2) and faults (exit 1, finished replications kept); the author kit.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{cargo_build, nested_target, root, run_ok, summary, target, xinzhi};

/// Every workspace cdylib the e2e tests load.
const LIBRARIES: &[&str] = &[
    "slack-rule",
    "slack-rule-abi11",
    "faulty-plugin",
    "xinzhi-dispatch",
    "xinzhi-metrics",
    "xinzhi-predict",
    "xinzhi-signals",
];

/// Returns the `.so` of workspace package `package` (one of [`LIBRARIES`]). The first call
/// builds them all in one cargo invocation: one dependency resolution and one lock of the
/// target folder per test run, not one per test.
pub(crate) fn build_so(package: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    assert!(LIBRARIES.contains(&package), "add {package} to LIBRARIES");
    BUILT.get_or_init(|| {
        let mut args = vec!["--quiet", "--lib"];
        for p in LIBRARIES {
            args.extend(["-p", p]);
        }
        cargo_build(&args);
    });
    let so = nested_target().join("debug").join(format!("lib{}.so", package.replace('-', "_")));
    assert!(so.exists(), "{} missing", so.display());
    so
}

fn faulty_so() -> &'static Path {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| build_so("faulty-plugin"))
}

/// Writes `text` as `name` in a fresh temporary folder; the path as text, for arguments.
fn scenario(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let (dir, file) = crate::common::scenario_file(name, text);
    (dir, file.to_str().expect("utf-8").to_owned())
}

/// An M/M/1-like line at ρ = 0.8 with `dispatch` at the mill and extra TOML appended.
pub(crate) fn line(load: &str, dispatch: &str, extra: &str) -> String {
    format!(
        r#"[scenario]
name = "plugin-line"
domain = "factory"
time_unit = "minute"
horizon = 2000.0
warmup = 100.0

[experiment]
replications = 4
seed = 3

[plugins]
load = [{load}]

[[factory.source]]
name = "orders"
product = "widget"
interarrival = {{ dist = "exponential", mean = 1.25 }}
due = {{ dist = "uniform", min = 2.0, max = 20.0 }}

[[factory.product]]
name = "widget"
route = ["mill"]
known_times = true

[[factory.station]]
name = "mill"
machines = 1
process = {{ dist = "exponential", mean = 1.0 }}
dispatch = {dispatch}
{extra}"#
    )
}

/// `p` as a TOML string.
pub(crate) fn quoted(p: &Path) -> String {
    format!("{:?}", p.to_str().expect("utf-8"))
}

/// Runs `xinzhi run` expecting exit `code`; returns stderr and the output folder.
fn run_expect(file: &str, code: i32, extra: &[&str]) -> (String, tempfile::TempDir) {
    let out = tempfile::tempdir().expect("temp dir");
    let out_dir = out.path().join("out");
    let mut args = vec!["run", file, "--quiet", "--out", out_dir.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    let o = xinzhi(&args);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    // A panicking host would exit with 101; a plugin's own panic hook may print its message
    // (it has its own std), which is useful to the plugin's author.
    assert_eq!(o.status.code(), Some(code), "{args:?}: {stderr}");
    if code == 2 {
        assert!(!stderr.contains("panicked at"), "refusals never panic: {stderr}");
    }
    (stderr, out)
}

#[test]
fn example_plugin_is_built_as_a_real_so_and_runs_from_a_scenario() {
    let so = build_so("slack-rule");
    let (_dir, file) = scenario("slack.toml", &line(&quoted(&so), r#"{ plugin = "slack-rule" }"#, ""));
    let (dir, _) = run_ok(&file, &[]);
    let rows = summary(dir.path());
    let ct = &rows[&("baseline".to_owned(), "cycle_time_mean".to_owned())];
    assert!(ct.n == 4.0 && ct.mean > 1.0 && ct.mean < 20.0, "{ct:?}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/manifest.json")).expect("manifest"))
            .expect("json");
    let libs = manifest["plugins"].as_array().expect("plugins listed");
    let example = libs.iter().find(|l| l["name"] == "slack-rule").expect("the loaded library is recorded");
    assert_eq!(example["origin"], so.to_str().expect("utf-8"));
    assert_eq!(example["sha256"].as_str().map(str::len), Some(64));
    assert!(libs.iter().any(|l| l["origin"] == "built-in" && l["name"] == "xinzhi-dispatch"));
}

/// Issue 10: a plugin built against the plugin API before its kinds were split into one file
/// each (`tests/fixtures/abi-1.1`: the xinzhi-plugin crate frozen at ABI v1.1, and slack-rule
/// built against it) loads and gives exactly what today's slack-rule gives.
#[test]
fn a_plugin_built_against_abi_1_1_loads_and_runs_identically() {
    let old = build_so("slack-rule-abi11");
    let new = build_so("slack-rule");
    let o = xinzhi(&["plugins", "--load", old.to_str().expect("utf-8")]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("slack-rule-abi11 0.1.0, xinzhi-plugin 0.1.0, ABI 1.1"), "{text}");
    let run = |so: &Path| {
        let text = line(&quoted(so), r#"{ plugin = "slack-rule", include_route = true }"#, "");
        let (_dir, file) = scenario("slack.toml", &text);
        run_ok(&file, &[]).0
    };
    let (a, b) = (run(&old), run(&new));
    for f in ["replications.csv", "summary.csv"] {
        let x = std::fs::read(a.path().join("out").join(f)).expect("old-ABI output");
        let y = std::fs::read(b.path().join("out").join(f)).expect("current output");
        assert!(x == y, "{f} differs between the ABI 1.1 build and today's build of slack-rule");
    }
    let rows = summary(a.path());
    assert_eq!(rows[&("baseline".to_owned(), "cycle_time_mean".to_owned())].n, 4.0);
}

#[test]
fn builtins_loaded_from_their_own_so_give_byte_identical_results() {
    let dispatch = build_so("xinzhi-dispatch");
    let metrics = build_so("xinzhi-metrics");
    let statics = line("", r#"{ plugin = "atc", k = 1.5 }"#, "[[collect]]\nplugin = \"tardiness\"\n");
    let loaded = line(
        &format!(
            "{{ path = {}, name = \"d\" }}, {{ path = {}, name = \"m\" }}",
            quoted(&dispatch),
            quoted(&metrics)
        ),
        r#"{ plugin = "d/atc", k = 1.5 }"#,
        "[[collect]]\nplugin = \"m/kpi\"\n[[collect]]\nplugin = \"m/tardiness\"\n",
    );
    let (_a, file_a) = scenario("a.toml", &statics);
    let (_b, file_b) = scenario("b.toml", &loaded);
    let (a, _) = run_ok(&file_a, &[]);
    let (b, _) = run_ok(&file_b, &[]);
    for f in ["replications.csv", "summary.csv", "summary.json"] {
        let x = std::fs::read(a.path().join("out").join(f)).expect("static output");
        let y = std::fs::read(b.path().join("out").join(f)).expect("dynamic output");
        assert!(x == y, "{f} differs between the static and the dynamically loaded plugins");
    }
    let text = std::fs::read_to_string(a.path().join("out/summary.csv")).expect("summary");
    assert!(text.contains("tardiness_mean") && text.contains("lateness_max"), "{text}");
}

/// Issue 9, defect 1: a scenario loading a library could have no variant nor sweep ("variant
/// `…` changes [plugins]") although none touched `[plugins]`; comparing one's own rule against
/// `fifo` is the point of writing one.
#[test]
fn defect_1_a_plugin_library_allows_variants_and_sweeps() {
    let so = build_so("slack-rule");
    let extra = r#"
[[variant]]
name = "fifo"
set = { "factory.station.mill.dispatch" = { plugin = "fifo" } }

[sweep]
"factory.station.mill.machines" = [1, 2]
"#;
    let (_dir, file) = scenario("slack.toml", &line(&quoted(&so), r#"{ plugin = "slack-rule" }"#, extra));
    let (dir, _) = run_ok(&file, &[]);
    let rows = summary(dir.path());
    for variant in ["baseline", "fifo", "machines=1", "machines=2", "fifo machines=2"] {
        assert!(
            rows.contains_key(&(variant.to_owned(), "cycle_time_mean".to_owned())),
            "{variant}: {rows:?}"
        );
    }
    // The rule really differs from fifo: the paired difference is not exactly zero.
    let baseline = &rows[&("baseline".to_owned(), "wait_time_mean".to_owned())];
    let fifo = &rows[&("fifo".to_owned(), "wait_time_mean".to_owned())];
    assert!(baseline.mean != fifo.mean, "{baseline:?} {fifo:?}");
}

#[test]
fn ambiguous_names_must_be_qualified() {
    let dispatch = build_so("xinzhi-dispatch");
    let text =
        line(&format!("{{ path = {}, name = \"d\" }}", quoted(&dispatch)), r#"{ plugin = "spt" }"#, "");
    let (_dir, file) = scenario("amb.toml", &text);
    let (stderr, _) = run_expect(&file, 2, &[]);
    assert!(stderr.contains("amb.toml:30:"), "{stderr}");
    assert!(stderr.contains("xinzhi-dispatch/spt") && stderr.contains("d/spt"), "{stderr}");
}

/// Copies the fixture library to `lib<name>.so` in `dir`.
fn copy_as(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(format!("lib{name}.so"));
    std::fs::copy(faulty_so(), &to).expect("copy library");
    to
}

#[test]
fn refusals_name_the_problem_and_exit_2() {
    let libs = tempfile::tempdir().expect("temp dir");
    let junk = libs.path().join("libjunk.so");
    std::fs::write(&junk, "this is not a library").expect("write junk");
    let cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (copy_as(libs.path(), "wrong_magic"), vec!["not a Xinzhi plugin", "NOTXINZH"]),
        (
            copy_as(libs.path(), "abi_v2"),
            // The fixture's minor is the current one (2 since the signal kind).
            vec!["plugin ABI v2.2", "this host speaks plugin ABI v1", "rebuild"],
        ),
        (copy_as(libs.path(), "no_entry"), vec!["does not export `xinzhi_plugin_entry__no_entry`"]),
        (junk.clone(), vec!["cannot load plugin library", "libjunk.so"]),
        (libs.path().join("libmissing.so"), vec!["cannot load plugin library", "libmissing.so"]),
    ];
    for (so, expected) in cases {
        let (_dir, file) = scenario("refuse.toml", &line(&quoted(&so), r#"{ plugin = "fifo" }"#, ""));
        let (stderr, out) = run_expect(&file, 2, &[]);
        assert!(stderr.contains("refuse.toml:13:"), "the [plugins] load line is named: {stderr}");
        for e in expected {
            assert!(stderr.contains(e), "expected `{e}` in: {stderr}");
        }
        assert!(!out.path().join("out/manifest.json").exists(), "nothing runs");
        // The same refusal through the command line flag.
        let o = xinzhi(&["plugins", "--load", so.to_str().expect("utf-8")]);
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn panic_abort_plugins_are_refused() {
    // A real panic = "abort" build of the fixture, in its own target folder.
    let target_dir = target().join("panic-abort-fixture");
    let status = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["rustc", "--quiet", "-p", "faulty-plugin", "--lib", "--target-dir"])
        .arg(&target_dir)
        .args(["--", "-C", "panic=abort"])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the panic=abort fixture failed");
    let so = target_dir.join("debug/libfaulty_plugin.so");
    let (_dir, file) = scenario("abort.toml", &line(&quoted(&so), r#"{ plugin = "fifo" }"#, ""));
    let (stderr, _) = run_expect(&file, 2, &[]);
    assert!(stderr.contains("panic = \"abort\"") && stderr.contains("faulty-plugin"), "{stderr}");
}

#[test]
fn unknown_plugins_and_bad_parameters_are_located() {
    let (_d, file) = scenario("names.toml", &line("", r#"{ plugin = "sptt" }"#, ""));
    let (stderr, _) = run_expect(&file, 2, &[]);
    assert!(stderr.contains("names.toml:30:"), "{stderr}");
    assert!(stderr.contains("unknown scheduler plugin `sptt`"), "{stderr}");
    assert!(
        stderr.contains("known schedulers:") && stderr.contains("edd") && stderr.contains("wspt"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `spt`"), "{stderr}");

    let (_d, file) = scenario("params.toml", &line("", "{ plugin = \"atc\",\n  kk = 2.0 }", ""));
    let (stderr, _) = run_expect(&file, 2, &[]);
    assert!(stderr.contains("params.toml:31:3:"), "the misspelt key's own line: {stderr}");
    assert!(stderr.contains("factory.station[mill].dispatch.kk"), "{stderr}");
    assert!(stderr.contains("unknown field `kk`"), "{stderr}");

    let (_d, file) = scenario("kind.toml", &line("", r#"{ plugin = "linear" }"#, ""));
    let (stderr, _) = run_expect(&file, 2, &[]);
    assert!(stderr.contains("`linear` is a predictor, not a scheduler"), "{stderr}");

    let (_d, file) = scenario(
        "collect.toml",
        &line("", r#"{ plugin = "fifo" }"#, "[[collect]]\nplugin = \"timeseries\"\nperiod = -1.0\n"),
    );
    let (stderr, _) = run_expect(&file, 2, &[]);
    assert!(stderr.contains("collect.toml:33:") && stderr.contains("period"), "{stderr}");
}

/// Runs the fault fixture with `params` from replication 2 on; returns stderr and outputs.
fn fault(dispatch: &str, extra: &str) -> (String, tempfile::TempDir) {
    let text = line(&quoted(faulty_so()), dispatch, extra);
    let (dir, file) = scenario("fault.toml", &text);
    let (stderr, out) = run_expect(&file, 1, &["--threads", "1"]);
    drop(dir);
    (stderr, out)
}

fn assert_partial(out: &Path, stderr: &str) {
    let reps = std::fs::read_to_string(out.join("out/replications.csv")).expect("finished ones are kept");
    let kept: std::collections::BTreeSet<&str> =
        reps.lines().skip(1).filter_map(|l| l.split(',').nth(1)).collect();
    assert_eq!(kept.into_iter().collect::<Vec<_>>(), ["0", "1"], "{stderr}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("out/manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["complete"], false);
    assert!(manifest["error"].as_str().is_some_and(|e| e.contains("replication 2")), "{manifest}");
    assert!(stderr.contains("1 not run after it"), "{stderr}");
}

#[test]
fn faulty_schedulers_stop_the_run_and_keep_finished_replications() {
    for (fault_name, expected) in [
        ("panic", "[panicked] panic in schedule of `faulty`: deliberate panic at t="),
        ("out_of_range", "returned job index"),
        ("duplicate", "returned job index 0 twice"),
    ] {
        let dispatch = format!(
            r#"{{ plugin = "faulty", fault = "{fault_name}", after = 500.0, from_replication = 2 }}"#
        );
        let (stderr, out) = fault(&dispatch, "");
        assert!(stderr.contains("replication 2: at t=5"), "the simulated time is named: {stderr}");
        assert!(stderr.contains("station `mill`: plugin `faulty-plugin/faulty` schedule"), "{stderr}");
        assert!(stderr.contains(expected), "expected `{expected}` in: {stderr}");
        assert_partial(out.path(), &stderr);
    }
}

#[test]
fn a_collector_reporting_nan_is_a_fault() {
    let (stderr, out) =
        fault(r#"{ plugin = "fifo" }"#, "[[collect]]\nplugin = \"nan_metric\"\nfrom_replication = 2\n");
    assert!(stderr.contains("at t=2000: collector `faulty-plugin/nan_metric`"), "{stderr}");
    assert!(stderr.contains("metric `nan_metric` = NaN (not finite)"), "{stderr}");
    assert_partial(out.path(), &stderr);
}

#[test]
fn plugins_lists_every_component_with_origin_versions_and_parameters() {
    let o = xinzhi(&["plugins", "--load", faulty_so().to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    for name in [
        "fifo",
        "spt",
        "lpt",
        "edd",
        "cr",
        "atc",
        "wspt",
        "anneal",
        "linear",
        "logistic",
        "kpi",
        "tardiness",
        "timeseries",
        "faulty",
        "nan_metric",
    ] {
        assert!(
            text.lines().any(|l| l.split_whitespace().nth(1) == Some(name)),
            "{name} missing from:\n{text}"
        );
    }
    assert!(text.contains("origin: built-in") && text.contains("libfaulty_plugin.so (sha256 "), "{text}");
    assert!(text.contains("xinzhi-dispatch 0.1.0, xinzhi-plugin 0.1.0, ABI 1.2, rustc "), "{text}");
    assert!(text.contains("k: "), "ATC's parameter doc is shown:\n{text}");
}

#[test]
fn new_plugin_crates_build_as_is_and_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    // One target folder for the three crates (and for reruns): dependencies build once.
    let target_dir = target().join("new-plugin");
    for (name, kind, component) in [
        ("demo-sched", "scheduler", "scheduler  demo-sched"),
        ("demo-pred", "predictor", "predictor  demo-pred"),
        ("demo-coll", "collector", "collector  demo-coll"),
        ("demo-signal", "signal", "signal     demo-signal"),
    ] {
        let crate_dir = dir.path().join(name);
        let o = xinzhi(&["new", "plugin", name, "--kind", kind, "--dir", crate_dir.to_str().expect("utf-8")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--offline", "--manifest-path"])
            .arg(crate_dir.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the generated {kind} crate does not build");
        let so = target_dir.join("debug").join(format!("lib{}.so", name.replace('-', "_")));
        let o = xinzhi(&["plugins", "--load", so.to_str().expect("utf-8")]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && text.contains(component),
            "{text}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = xinzhi(&[
        "new",
        "plugin",
        "demo-sched",
        "--kind",
        "scheduler",
        "--dir",
        dir.path().join("demo-sched").to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2), "an existing folder is refused");
}

#[test]
fn the_example_plugin_is_what_new_plugin_generates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generated = dir.path().join("slack-rule");
    let o = xinzhi(&[
        "new",
        "plugin",
        "slack-rule",
        "--kind",
        "scheduler",
        "--dir",
        generated.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ours =
        std::fs::read_to_string(root().join("plugins/examples/slack-rule/src/lib.rs")).expect("example");
    let theirs = std::fs::read_to_string(generated.join("src/lib.rs")).expect("generated");
    assert!(
        ours == theirs,
        "plugins/examples/slack-rule/src/lib.rs drifted from the `xinzhi new plugin` template"
    );
}

/// `summary.csv` as (variant, metric) → (ci_low, ci_high).
fn intervals(dir: &Path) -> std::collections::BTreeMap<(String, String), (f64, f64)> {
    let mut reader = csv::Reader::from_path(dir.join("out/summary.csv")).expect("summary.csv");
    let headers = reader.headers().expect("header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (lo, hi) = (col("ci_low"), col("ci_high"));
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (
                (r[0].to_owned(), r[1].to_owned()),
                (r[lo].parse().expect("number"), r[hi].parse().expect("number")),
            )
        })
        .collect()
}

#[test]
fn spt_lowers_cycle_time_and_edd_lowers_worst_lateness_in_the_dispatch_scenario() {
    let (dir, _) = run_ok("scenarios/dispatch-rules.toml", &[]);
    let ci = intervals(dir.path());
    let get = |v: &str, m: &str| ci[&(v.to_owned(), m.to_owned())];
    // Non-overlapping 95 % intervals over 10 independent replications each.
    let (fifo, spt) = (get("baseline", "cycle_time_mean"), get("spt", "cycle_time_mean"));
    assert!(spt.1 < fifo.0, "SPT {spt:?} must be below FIFO {fifo:?}");
    let (fifo, edd) = (get("baseline", "lateness_max"), get("edd", "lateness_max"));
    assert!(edd.1 < fifo.0, "EDD {edd:?} must be below FIFO {fifo:?}");
    // FIFO on one exponential machine is M/M/1: W = 1/(μ − λ) = 1/(1/0.85 − 1) ≈ 5.667 min.
    let fifo_w = get("baseline", "cycle_time_mean");
    assert!(fifo_w.0 < 5.667 * 1.1 && fifo_w.1 > 5.667 * 0.9, "{fifo_w:?}");
}

#[test]
fn timeseries_collector_writes_timeseries_csv() {
    let extra = "[[collect]]\nplugin = \"timeseries\"\nperiod = 500.0\nmetrics = [\"queue_mean.mill\", \"throughput\"]\n";
    let (_d, file) = scenario("series.toml", &line("", r#"{ plugin = "fifo" }"#, extra));
    let (dir, _) = run_ok(&file, &[]);
    let text = std::fs::read_to_string(dir.path().join("out/timeseries.csv")).expect("timeseries.csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("variant,replication,time,metric,value"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // Warm-up 100, horizon 2000, period 500: points at 600, 1100, 1600; two series; 4 replications.
    assert_eq!(rows.len(), 3 * 2 * 4, "{text}");
    let times: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[2]).collect();
    assert_eq!(times.into_iter().collect::<Vec<_>>(), ["1100.0", "1600.0", "600.0"]);
    for r in &rows {
        let v: f64 = r[4].parse().expect("number");
        assert!(v.is_finite() && v >= 0.0, "{r:?}");
        if r[3] == "throughput" {
            assert!((0.3..1.3).contains(&v), "throughput per period near λ = 0.8: {r:?}");
        }
    }
    // Without a series-producing collector there is no timeseries.csv.
    let (_d, plain) = scenario("plain.toml", &line("", r#"{ plugin = "fifo" }"#, ""));
    let (dir, _) = run_ok(&plain, &[]);
    assert!(!dir.path().join("out/timeseries.csv").exists());
}
