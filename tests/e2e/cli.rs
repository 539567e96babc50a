//! What the command line says: messages name what the user typed, the last line of a run counts
//! what finished, `new plugin` prints a path that works from any scenario (issue 9, defect 7).

use std::process::Command;
use std::time::Duration;

use crate::common::{scenario_file, xinzhi, xinzhi_bin};
use crate::signals::{finish, manifest, send, start, wait_until_catching};

#[test]
fn defect_7_replications_flag_is_named_in_errors() {
    for args in [
        ["validate", "scenarios/mm1.toml", "--replications", "1000000000"],
        ["run", "scenarios/mm1.toml", "--replications", "1000000000"],
    ] {
        let o = xinzhi(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("(from `--replications 1000000000`)"), "{stderr}");
        assert!(!stderr.contains("--set"), "a flag the user did not type is named: {stderr}");
    }
}

/// A scheduler that panics from replication 2 on (the `faulty` test fixture), one thread: 0 and
/// 1 finish, 2 fails, 3 is not run.
#[test]
fn defect_7_failed_run_last_line_counts_only_finished_replications() {
    let so = crate::plugins::build_so("faulty-plugin");
    let text = format!(
        r#"[scenario]
name = "fails"
domain = "factory"
time_unit = "minute"
horizon = 2000.0

[experiment]
replications = 4
seed = 3

[plugins]
load = [{so:?}]

[[factory.source]]
name = "orders"
product = "widget"
interarrival = {{ dist = "exponential", mean = 1.25 }}

[[factory.product]]
name = "widget"
route = ["mill"]

[[factory.station]]
name = "mill"
machines = 1
process = {{ dist = "exponential", mean = 1.0 }}
dispatch = {{ plugin = "faulty", fault = "panic", after = 500.0, from_replication = 2 }}
"#,
        so = so.to_str().expect("utf-8")
    );
    let (dir, file) = scenario_file("fails.toml", &text);
    let out = dir.path().join("out");
    let o = xinzhi(&[
        "run",
        file.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--threads",
        "1",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    let last = stdout.lines().rfind(|l| !l.is_empty()).expect("a last line");
    assert!(
        last.starts_with("2 of 4 replication(s) finished (1 failed, 1 not run after a failure), "),
        "{last}"
    );
}

#[test]
fn defect_7_new_plugin_prints_an_absolute_use_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Run from the temporary folder with a relative --dir: the case where a relative path misled.
    let o = Command::new(xinzhi_bin())
        .current_dir(dir.path())
        .args(["new", "plugin", "demo-rule", "--kind", "scheduler", "--dir", "demo-rule"])
        .output()
        .expect("xinzhi runs");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let so = dir.path().canonicalize().expect("exists").join("demo-rule/target/release/libdemo_rule.so");
    let expected = format!("  use:    [plugins] load = [\"{}\"]", so.display());
    assert!(stdout.lines().any(|l| l == expected), "expected `{expected}` in:\n{stdout}");
    let lib = std::fs::read_to_string(dir.path().join("demo-rule/src/lib.rs")).expect("generated");
    assert!(lib.contains("libdemo_rule.so") && !lib.contains("libdemo-rule.so"), "{lib}");
}

/// Defect 5: a horizon of 1e300 is seen for what it is before anything runs — `validate` prints
/// the expected work and a loud warning, `run` does too, records `large_run` in the manifest,
/// and (it would run for ever) stops on Ctrl-C. Work beyond what an `f64` holds is refused.
#[test]
fn defect_5_huge_horizon_is_estimated_and_warned_before_running() {
    let o = xinzhi(&["validate", "scenarios/mm1.toml", "--set", "scenario.horizon=1e300"]);
    let (stdout, stderr) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{stderr}");
    assert!(stdout.contains("horizon 1e300 minute"), "{stdout}");
    assert!(stdout.contains("expected work: about 2.6·10³⁰¹ events (≈ "), "{stdout}");
    assert!(stderr.contains("WARNING, large run: this run is about 2.6·10³⁰¹ events"), "{stderr}");

    let text = std::fs::read_to_string(crate::common::root().join("scenarios/mm1.toml")).expect("mm1");
    let (dir, file) = scenario_file("huge.toml", &text.replace("horizon = 200000.0", "horizon = 1e300"));
    let out = dir.path().join("out");
    let child = start(&file, &out);
    wait_until_catching(&child);
    send(&child, "INT");
    let (code, stderr) = finish(child, Duration::from_secs(60));
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("WARNING, large run"), "{stderr}");
    let m = manifest(&out);
    let codes: Vec<&str> =
        m["warnings"].as_array().expect("a list").iter().filter_map(|w| w["code"].as_str()).collect();
    assert!(codes.contains(&"large_run"), "{m}");

    let o = xinzhi(&[
        "validate",
        "scenarios/mm1.toml",
        "--set",
        "scenario.horizon=1e300",
        "--set",
        "factory.source.orders.interarrival.mean=1e-10",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("more than 10³⁰⁸ events") && stderr.contains("cannot be represented"),
        "{stderr}"
    );
}
