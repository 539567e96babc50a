//! What-if experiments end to end: common random numbers, paired comparisons, shards and merge.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{csv_rows, replications, run_ok, scenario_file, xinzhi};

/// Two products that share no station; `b-polish` is on no route in the baseline.
const TWO_LINES: &str = r#"
[scenario]
name = "two-lines"
domain = "factory"
time_unit = "minute"
horizon = 6000.0
warmup = 500.0

[experiment]
replications = 6
seed = 11

[[factory.source]]
name = "a-orders"
product = "a"
interarrival = { dist = "exponential", mean = 1.25 }

[[factory.source]]
name = "b-orders"
product = "b"
interarrival = { dist = "exponential", mean = 2.0 }
due = { dist = "uniform", min = 5, max = 30 }

[[factory.product]]
name = "a"
route = ["a-mill"]

[[factory.product]]
name = "b"
route = ["b-lathe"]

[[factory.station]]
name = "a-mill"
machines = 1
process = { dist = "exponential", mean = 1.0 }

[[factory.station]]
name = "b-lathe"
machines = 1
process = { dist = "lognormal", mean = 1.6, cv = 0.5 }

[[factory.station]]
name = "b-polish"
machines = 1
process = { dist = "exponential", mean = 0.8 }

[[collect]]
plugin = "timeseries"
period = 1000.0

[[variant]]
name = "same"
description = "sets a value to what it already is"
set = { "factory.station.a-mill.machines" = 1 }

[[variant]]
name = "b-upgraded"
description = "adds a station to b's route and a machine to b's lathe"
set = { "factory.product.b.route" = ["b-lathe", "b-polish"], "factory.station.b-lathe.machines" = 2 }
"#;

fn comparison(dir: &Path) -> Vec<BTreeMap<String, String>> {
    csv_rows(&dir.join("out/comparison.csv"))
}

#[test]
fn a_variant_identical_to_the_baseline_differs_by_exactly_zero() {
    let (_keep, path) = scenario_file("two-lines.toml", TWO_LINES);
    let (dir, _) = run_ok(path.to_str().expect("utf-8"), &[]);
    let rows: Vec<_> = comparison(dir.path()).into_iter().filter(|r| r["variant"] == "same").collect();
    assert!(rows.len() > 10, "every metric is compared");
    for r in &rows {
        for key in ["diff_mean", "diff_ci_low", "diff_ci_high"] {
            assert_eq!(r[key], "0.0", "{}: {key}", r["metric"]);
        }
        assert_eq!(r["p_value"], "1.0", "{}", r["metric"]);
    }
    let reps = replications(dir.path());
    for r in 0..6 {
        assert_eq!(reps[&("same".to_owned(), r)], reps[&("baseline".to_owned(), r)]);
    }
}

/// Common random numbers that survive structural change: b's route gains a station and b's
/// lathe a machine; a's streams are keyed by a's own entities, so every metric of a (its product,
/// source and station) is exactly unchanged in every replication, while b's change.
#[test]
fn adding_a_station_and_a_machine_leaves_an_unrelated_product_exactly_unchanged() {
    let (_keep, path) = scenario_file("two-lines.toml", TWO_LINES);
    let (dir, _) = run_ok(path.to_str().expect("utf-8"), &[]);
    let reps = replications(dir.path());
    let of_a = |m: &str| m.ends_with(".a") || m.ends_with(".a-mill") || m.ends_with(".a-orders");
    for r in 0..6 {
        let base = &reps[&("baseline".to_owned(), r)];
        let upgraded = &reps[&("b-upgraded".to_owned(), r)];
        let a_metrics: Vec<&String> = base.keys().filter(|m| of_a(m)).collect();
        assert!(a_metrics.len() >= 5, "{a_metrics:?}");
        for m in a_metrics {
            assert_eq!(base[m].to_bits(), upgraded[m].to_bits(), "replication {r}: {m}");
        }
        assert_ne!(base["cycle_time_mean.b"], upgraded["cycle_time_mean.b"], "b's change is real");
        assert!(upgraded["utilization.b-polish"] > 0.2 && base["utilization.b-polish"] == 0.0);
    }
}

/// Half-widths of the paired and the unpaired (Welch) 95 % intervals of the difference of
/// means, from `replications.csv`, for `metric` of `variant` vs `baseline`.
fn widths(dir: &Path, variant: &str, metric: &str) -> (f64, f64) {
    let reps = replications(dir);
    let values = |v: &str| -> Vec<f64> {
        reps.iter().filter(|((name, _), _)| name == v).map(|(_, m)| m[metric]).collect()
    };
    let (b, x) = (values("baseline"), values(variant));
    let n = b.len() as f64;
    let var = |xs: &[f64]| {
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)
    };
    let d: Vec<f64> = b.iter().zip(&x).map(|(b, x)| x - b).collect();
    // t_{0.975} for 9 df (paired) and Welch's df (≈ 18 here; 2.101 for 18, conservative below 2.1).
    let paired = 2.262 * (var(&d) / n).sqrt();
    let unpaired = 2.101 * ((var(&b) + var(&x)) / n).sqrt();
    (paired, unpaired)
}

/// On the ready machining line (a third lathe), common random numbers make the paired
/// intervals narrower than unpaired ones would be; comparison.csv carries the paired ones.
/// Metrics driven mostly by the shared arrivals and job times (throughput, utilizations, the
/// flanges that never visit the lathe) gain most; cycle time gains least, because the third lathe
/// removes most of the baseline's own variance (sd(d) >= |sd(b) − sd(v)| however strong CRN is).
#[test]
fn paired_intervals_are_narrower_than_unpaired_on_the_machining_line() {
    let (dir, _) = run_ok("scenarios/machining-line.toml", &["--replications", "10"]);
    let rows = comparison(dir.path());
    let gains = [
        ("throughput", 5.0),
        ("utilization.mill", 5.0),
        ("cycle_time_mean.flange", 2.0),
        ("wip_mean", 1.2),
        ("cycle_time_mean", 1.1),
    ];
    for (metric, gain) in gains {
        let (paired, unpaired) = widths(dir.path(), "third-lathe", metric);
        let row =
            rows.iter().find(|r| r["variant"] == "third-lathe" && r["metric"] == metric).expect("compared");
        let (low, high): (f64, f64) =
            (row["diff_ci_low"].parse().unwrap(), row["diff_ci_high"].parse().unwrap());
        assert!(
            ((high - low) / 2.0 - paired).abs() < 1e-3 * paired.max(1e-12),
            "{metric}: csv vs recomputed"
        );
        println!(
            "{metric}: paired ± {paired:.4}, unpaired ± {unpaired:.4} ({:.1}× narrower)",
            unpaired / paired
        );
        assert!(paired * gain < unpaired, "{metric}: paired ± {paired} vs unpaired ± {unpaired}");
    }
}

const COMPARED: [&str; 6] =
    ["replications.csv", "timeseries.csv", "summary.csv", "summary.json", "comparison.csv", "report.html"];

fn run_into(scenario: &Path, out: &Path, extra: &[&str]) {
    let mut args =
        vec!["run", scenario.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8"), "--quiet"];
    args.extend_from_slice(extra);
    let o = xinzhi(&args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

fn merge(shards: &[PathBuf], out: &Path) -> std::process::Output {
    let mut args = vec!["merge".to_owned()];
    args.extend(shards.iter().map(|p| p.display().to_string()));
    args.extend(["--out".to_owned(), out.display().to_string(), "--quiet".to_owned()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    xinzhi(&refs)
}

#[test]
fn merged_shards_are_byte_identical_to_a_single_run() {
    let (tmp, path) = scenario_file("two-lines.toml", TWO_LINES);
    let reps = [
        "--replications",
        "7",
        "--threads",
        "2",
        "--set",
        "sweep.\"factory.station.b-polish.machines\"=[1, 2]",
    ];
    let single = tmp.path().join("single");
    run_into(&path, &single, &reps);
    // N = 9 > 7 replications: shards 7 and 8 hold none, and shard 8 is named first to merge.
    for n in [1u32, 2, 3, 7, 9] {
        let shards: Vec<PathBuf> = (0..n).map(|i| tmp.path().join(format!("n{n}-shard{i}"))).collect();
        // Given in reverse order: merge sorts them out.
        for (i, dir) in shards.iter().enumerate().rev() {
            let shard = format!("{i}/{n}");
            run_into(&path, dir, &[&reps[..], &["--shard", &shard]].concat());
            assert!(!dir.join("report.html").exists(), "a shard writes no report");
        }
        let merged = tmp.path().join(format!("merged-{n}"));
        let o = merge(&shards.iter().rev().cloned().collect::<Vec<_>>(), &merged);
        assert!(o.status.success(), "merge N={n}: {}", String::from_utf8_lossy(&o.stderr));
        for file in COMPARED {
            let (a, b) = (std::fs::read(single.join(file)), std::fs::read(merged.join(file)));
            assert!(a.is_ok() && a.ok() == b.ok(), "N = {n}: {file} differs from the single run's");
        }
    }
}

#[test]
fn missing_duplicated_and_foreign_shards_are_refused() {
    let (tmp, path) = scenario_file("two-lines.toml", TWO_LINES);
    let shard = |name: &str, args: &[&str]| {
        let dir = tmp.path().join(name);
        run_into(&path, &dir, &[&["--replications", "3"], args].concat());
        dir
    };
    let s0 = shard("s0", &["--shard", "0/3"]);
    let s1 = shard("s1", &["--shard", "1/3"]);
    let foreign = shard("foreign", &["--shard", "2/3", "--seed", "99"]);
    let other_n = shard("other-n", &["--shard", "1/2"]);
    let whole = shard("whole", &[]);
    let cases: [(&[&PathBuf], &str); 5] = [
        (&[&s0, &s1], "shard(s) 2/3 of 3 missing (given: 0/3, 1/3)"),
        (&[&s0, &s1, &s1], "shard 1/3 is given twice"),
        (&[&s0, &s1, &foreign], "belongs to another experiment"),
        (&[&s0, &other_n], "is shard 1/2, but"),
        (&[&s0, &whole], "not a shard"),
    ];
    // Manifests tampered with: impossible shards, another build.
    let tampered = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["replications.csv", "manifest.json"] {
            std::fs::copy(s1.join(f), dir.join(f)).unwrap();
        }
        let mut m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        edit(&mut m);
        std::fs::write(dir.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
        dir
    };
    let zero = tampered("zero", &|m| m["shard"] = serde_json::json!({ "index": 0, "count": 0 }));
    let beyond = tampered("beyond", &|m| m["shard"] = serde_json::json!({ "index": 7, "count": 3 }));
    let build = tampered("build", &|m| m["xinzhi_version"] = "0.0.1".into());
    let s2 = shard("s2", &["--shard", "2/3"]);
    let more: [(&[&PathBuf], &str); 3] = [
        (&[&s0, &s1, &s2, &zero], "is not a valid shard"),
        (&[&s0, &s1, &s2, &beyond], "is not a valid shard"),
        (&[&s0, &build, &s2], "another build"),
    ];
    for (i, (dirs, expected)) in cases.into_iter().chain(more).enumerate() {
        let dirs: Vec<PathBuf> = dirs.iter().map(|d| (*d).clone()).collect();
        let out = tmp.path().join(format!("out{i}"));
        let o = merge(&dirs, &out);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "expected `{expected}` in: {stderr}");
        assert!(!out.join("manifest.json").exists(), "nothing is written on refusal");
    }
}

fn summary_rows(dir: &Path) -> Vec<BTreeMap<String, String>> {
    csv_rows(&dir.join("summary.csv"))
}

const TARGET: [&str; 8] = [
    "--set",
    "experiment.target={ metric = \"throughput\", relative_half_width = 0.004 }",
    "--set",
    "experiment.max_replications=60",
    "--set",
    "experiment.batch=3",
    "--replications",
    "4",
];

/// Replications are added in batches of 3 until every variant's throughput interval is within
/// ±0.4 % of its mean; the count is reproducible (it depends only on results) whatever the
/// thread count.
#[test]
fn precision_targets_are_met_and_reproducible() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mm1 = crate::common::root().join("scenarios/mm1.toml");
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    run_into(&mm1, &one, &[&TARGET[..], &["--threads", "1"]].concat());
    run_into(&mm1, &two, &[&TARGET[..], &["--threads", "2"]].concat());
    for file in ["replications.csv", "summary.csv", "comparison.csv", "report.html"] {
        assert_eq!(std::fs::read(one.join(file)).ok(), std::fs::read(two.join(file)).ok(), "{file}");
    }
    let rows: Vec<_> = summary_rows(&one).into_iter().filter(|r| r["metric"] == "throughput").collect();
    assert_eq!(rows.len(), 2);
    let n: u32 = rows[0]["n"].parse().expect("n");
    assert!(
        n > 4 && n < 60 && (n - 4).is_multiple_of(3),
        "n = {n}: more than the first batch, in whole batches"
    );
    for r in &rows {
        let f = |k: &str| r[k].parse::<f64>().expect("number");
        assert_eq!(r["n"], rows[0]["n"], "every variant has the same replications (paired)");
        let relative = (f("ci_high") - f("ci_low")) / 2.0 / f("mean");
        assert!(relative <= 0.004, "{}: ±{relative}", r["variant"]);
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(one.join("manifest.json")).expect("manifest")).expect("json");
    assert_eq!(manifest["precision"]["met"], true);
    assert_eq!(manifest["replications"], n);
    // One batch fewer would not have met it (the loop stops at the first round that does).
    let fewer = tmp.path().join("fewer");
    let reps = (n - 3).to_string();
    run_into(&mm1, &fewer, &["--replications", &reps]);
    let widest = summary_rows(&fewer)
        .into_iter()
        .filter(|r| r["metric"] == "throughput")
        .map(|r| {
            let f = |k: &str| r[k].parse::<f64>().expect("number");
            (f("ci_high") - f("ci_low")) / 2.0 / f("mean")
        })
        .fold(0.0, f64::max);
    assert!(widest > 0.004, "with {reps} replications the target was already met (±{widest})");
}

#[test]
fn precision_targets_refuse_shards_and_unknown_metrics() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let o = xinzhi(
        &[
            &["run", "scenarios/mm1.toml", "--quiet", "--shard", "0/2", "--out", out.to_str().unwrap()],
            &TARGET[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be sharded"));
    assert!(!out.join("manifest.json").exists());
    let o =
        xinzhi(&["slurm", "scenarios/mm1.toml", "--shards", "2", TARGET[0], TARGET[1], TARGET[2], TARGET[3]]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty(), "no script is printed");

    // A misspelt metric name is refused before running (`bad_input::defect_6_…`), and so is a
    // subject the model does not have: per-subject metrics are declared by name.
    let typo = "experiment.target={ metric = \"utilization.server\", relative_half_width = 0.01 }";
    let o = xinzhi(&[
        "run",
        "scenarios/mm1.toml",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        "--set",
        typo,
        "--set",
        "experiment.max_replications=20",
        "--replications",
        "2",
        "--set",
        "scenario.horizon=20000",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no collector produces the metric `utilization.server`"), "{stderr}");
    assert!(stderr.contains("`utilization.mill`"), "the metrics it could mean are listed: {stderr}");
    assert!(!out.join("manifest.json").exists(), "nothing ran");
}

/// A sweep crossed with an explicit variant: generated variants are named after their point,
/// carry their values as summary columns, are compared against the baseline, and get a sweep
/// chart in the report.
#[test]
fn sweeps_generate_named_variants_with_value_columns() {
    let (tmp, path) = scenario_file("two-lines.toml", TWO_LINES);
    let out = tmp.path().join("out");
    run_into(
        &path,
        &out,
        &[
            "--replications",
            "3",
            "--set",
            "sweep.\"factory.station.b-polish.machines\"=[1, 2]",
            "--set",
            "sweep.\"factory.source.a-orders.weight\"=[1.0, 3.0]",
        ],
    );
    let rows = summary_rows(&out);
    let names: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["variant"].as_str()).collect();
    for expected in [
        "baseline",
        "same",
        "b-upgraded",
        "machines=1 weight=1.0",
        "machines=2 weight=3.0",
        "same machines=2 weight=1.0",
        "b-upgraded machines=1 weight=3.0",
    ] {
        assert!(names.contains(expected), "{expected} in {names:?}");
    }
    assert_eq!(names.len(), 3 + 3 * 4);
    let of = |v: &str| {
        rows.iter().find(|r| r["variant"] == v && r["metric"] == "utilization.b-polish").expect("reported")
    };
    let two = of("b-upgraded machines=2 weight=3.0");
    assert_eq!(
        (two["factory.station.b-polish.machines"].as_str(), two["factory.source.a-orders.weight"].as_str()),
        ("2", "3.0")
    );
    let one = of("b-upgraded");
    // Issue 9, defect 7: the baseline and explicit variants show the value they were written with
    // (was empty); a path not written (its default applies) stays empty.
    assert_eq!(one["factory.station.b-polish.machines"], "1");
    assert_eq!(of("baseline")["factory.station.b-polish.machines"], "1");
    assert_eq!(of("baseline")["factory.source.a-orders.weight"], "");
    // The same jobs with the same times (CRN) on two machines: each is busy about half as much
    // (not exactly: jobs wait less, so the window edges cut service periods differently).
    let u = |r: &BTreeMap<String, String>| r["mean"].parse::<f64>().unwrap();
    assert!((u(two) - u(one) / 2.0).abs() < 0.01 * u(one), "{} vs {}", u(two), u(one));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.contains("<section id=\"sweeps\">"));
    // `xinzhi report DIR` rebuilds exactly the same page from the tables.
    std::fs::remove_file(out.join("report.html")).unwrap();
    let o = xinzhi(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(out.join("report.html")).unwrap(), html);
}

/// `[experiment] baseline` names the variant the others are compared against.
#[test]
fn comparisons_use_the_named_baseline() {
    let (_keep, path) = scenario_file("two-lines.toml", TWO_LINES);
    let (dir, _) = run_ok(path.to_str().expect("utf-8"), &["--set", "experiment.baseline=\"b-upgraded\""]);
    let rows = comparison(dir.path());
    assert!(rows.iter().all(|r| r["baseline"] == "b-upgraded"));
    let variants: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["variant"].as_str()).collect();
    assert_eq!(variants, ["baseline", "same"].into_iter().collect());
    // The scenario as written has no b-polish stage: against the upgrade, its utilization falls
    // by exactly 100 %.
    let polish =
        rows.iter().find(|r| r["variant"] == "baseline" && r["metric"] == "utilization.b-polish").unwrap();
    assert_eq!(polish["rel_change"], "-1.0");
}

/// The AnyLogic pitfall: adding blocks that nothing else is connected to (a station on no route,
/// and a whole new source → product → station chain) must not change a single number of the
/// rest of the model, replication by replication.
#[test]
fn unconnected_additions_change_nothing_else() {
    let extra = r#"
[[factory.station]]
name = "spare"
machines = 2
process = { dist = "exponential", mean = 3.0 }

[[factory.source]]
name = "c-orders"
product = "c"
interarrival = { dist = "exponential", mean = 4.0 }

[[factory.product]]
name = "c"
route = ["c-press"]

[[factory.station]]
name = "c-press"
machines = 1
process = { dist = "gamma", mean = 2.0, cv = 0.5 }
"#;
    // Without the variants (a TOML table array must stay after them), then with the additions.
    let base = &TWO_LINES[..TWO_LINES.find("[[variant]]").expect("variants")];
    let (_a, plain) = scenario_file("plain.toml", base);
    let (_b, grown) = scenario_file("grown.toml", &format!("{base}{extra}"));
    let (plain_dir, _) = run_ok(plain.to_str().unwrap(), &[]);
    let (grown_dir, _) = run_ok(grown.to_str().unwrap(), &[]);
    let (before, after) = (replications(plain_dir.path()), replications(grown_dir.path()));
    let own = |m: &str| {
        [".a", ".a-mill", ".a-orders", ".b", ".b-lathe", ".b-polish", ".b-orders"]
            .iter()
            .any(|s| m.ends_with(s))
    };
    for (key, metrics) in &before {
        let compared: Vec<&String> = metrics.keys().filter(|m| own(m)).collect();
        assert!(compared.len() >= 10);
        for m in compared {
            assert_eq!(metrics[m].to_bits(), after[key][m].to_bits(), "{key:?} {m}");
        }
    }
    assert!(after[&("baseline".to_owned(), 0)]["throughput.c"] > 0.2, "the new chain really runs");
}
