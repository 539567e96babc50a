//! What the command line says: messages name what the user typed, the last line of a run counts
//! what finished, `new plugin` prints a path that works from any scenario (issue 9, defect 7).

use std::process::Command;

use crate::common::{scenario_file, xinzhi, xinzhi_bin};

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
