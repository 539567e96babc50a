//! Interrupting a real run: SIGINT (Ctrl-C) or SIGTERM keeps the finished replications, marks
//! the manifest incomplete with the reason, and exits 130 (issue 9, defect 4).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{run_ok, scenario_file, xinzhi_bin};

/// An M/M/1 without variants: with `--threads 1` replication r finishes before r + 1 starts, so
/// the finished ones are always 0..k.
fn mm1(horizon: f64, replications: u32) -> String {
    format!(
        r#"[scenario]
name = "signals"
domain = "factory"
time_unit = "minute"
horizon = {horizon:?}
warmup = 10.0

[experiment]
replications = {replications}
seed = 11

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
"#
    )
}

/// Starts `xinzhi run FILE --out OUT --threads 1 --quiet`.
pub(crate) fn start(file: &Path, out: &Path) -> Child {
    Command::new(xinzhi_bin())
        .args(["run", file.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8")])
        .args(["--threads", "1", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xinzhi starts")
}

/// Waits until `child` catches SIGINT and SIGTERM (Linux: the `SigCgt` mask of
/// `/proc/PID/status`), so a signal sent on a slow machine cannot arrive before the handler is
/// installed and kill the process the default way.
#[expect(clippy::disallowed_methods, reason = "a test's timeout is wall-clock time")]
pub(crate) fn wait_until_catching(child: &Child) {
    const SIGINT_SIGTERM: u64 = (1 << (2 - 1)) | (1 << (15 - 1));
    let status = format!("/proc/{}/status", child.id());
    let started = Instant::now();
    loop {
        let caught = std::fs::read_to_string(&status)
            .ok()
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix("SigCgt:").map(|m| m.trim().to_owned())))
            .and_then(|mask| u64::from_str_radix(&mask, 16).ok())
            .unwrap_or(0);
        if caught & SIGINT_SIGTERM == SIGINT_SIGTERM {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "xinzhi never installed its signal handler");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (`INT`, `TERM`) to `child` with the `kill` command.
pub(crate) fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} failed");
}

/// Waits for `child` to exit, at most `limit` (then kills it and fails); returns its exit code
/// and stderr.
#[expect(clippy::disallowed_methods, reason = "a test's timeout is wall-clock time")]
pub(crate) fn finish(mut child: Child, limit: Duration) -> (Option<i32>, String) {
    let started = Instant::now();
    while child.try_wait().expect("waitable").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("xinzhi did not stop within {limit:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("output");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

pub(crate) fn manifest(out: &Path) -> serde_json::Value {
    let bytes = std::fs::read(out.join("manifest.json")).expect("an interrupted run writes its manifest");
    serde_json::from_slice(&bytes).expect("json")
}

/// The replication indices with rows in `replications.csv`, in file order, deduplicated.
fn replication_ids(csv: &str) -> Vec<u32> {
    let mut ids: Vec<u32> = Vec::new();
    for line in csv.lines().skip(1) {
        let id: u32 = line.split(',').nth(1).and_then(|r| r.parse().ok()).expect("replication index");
        if ids.last() != Some(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Runs many short replications, sends `signal` after `wait`, and checks what an interrupted
/// run must leave: exit 130, an incomplete manifest saying why, and the finished rows exactly as
/// an uninterrupted run writes them. Returns how many replications had finished (0 is valid
/// behaviour, but tells the caller to wait longer).
fn interrupt_after(signal: &str, wait: Duration) -> usize {
    // ~2 ms per replication; 100 000 of them outlast any wait below by far.
    let (dir, file) = scenario_file("signals.toml", &mm1(2000.0, 100_000));
    let out = dir.path().join("out");
    let child = start(&file, &out);
    wait_until_catching(&child);
    std::thread::sleep(wait);
    send(&child, signal);
    let (code, stderr) = finish(child, Duration::from_secs(120));
    assert_eq!(code, Some(130), "SIG{signal}: exit 130 expected:\n{stderr}");
    assert!(stderr.contains("interrupted by a signal"), "{stderr}");

    let m = manifest(&out);
    assert_eq!(m["complete"], false, "{m}");
    let error = m["error"].as_str().expect("the manifest says why");
    assert!(
        error.contains("interrupted by a signal") && error.contains("of 100000 replication(s)"),
        "{error}"
    );
    let csv = std::fs::read_to_string(out.join("replications.csv")).expect("replications.csv is written");
    let ids = replication_ids(&csv);
    let finished = ids.len();
    assert_eq!(ids, (0..finished as u32).collect::<Vec<_>>(), "one thread finishes 0, 1, 2, … in order");
    assert!(error.contains(&format!("after {finished} of 100000")), "{error}");
    assert_eq!(m["replication_ids"].as_array().map(Vec::len), Some(finished), "{m}");
    if finished == 0 {
        return 0;
    }
    // The same seed, uninterrupted, for exactly the replications that finished.
    let (full, _) = run_ok(file.to_str().expect("utf-8"), &["--replications", &finished.to_string()]);
    let expected = std::fs::read_to_string(full.path().join("out/replications.csv")).expect("rows");
    assert!(csv == expected, "SIG{signal}: the finished rows differ from an uninterrupted run's");
    finished
}

/// Sends `signal` after 2 s, then (on a machine so slow that nothing had finished) after longer.
fn interrupt_until_some_finished(signal: &str) {
    for wait in [2, 6, 20] {
        if interrupt_after(signal, Duration::from_secs(wait)) > 0 {
            return;
        }
    }
    panic!("SIG{signal}: no replication of ~2 ms finished within 20 s");
}

#[test]
fn defect_4_sigint_keeps_finished_replications() {
    interrupt_until_some_finished("INT");
}

#[test]
fn defect_4_sigterm_keeps_finished_replications() {
    interrupt_until_some_finished("TERM");
}

/// A replication that would run for many minutes is abandoned within moments of the signal
/// (the engine reports progress every 65 536 events): nothing had finished, so the tables are
/// empty, but the manifest is there and says so.
#[test]
fn defect_4_sigint_abandons_a_running_replication() {
    let (dir, file) = scenario_file("long.toml", &mm1(1e12, 1));
    let out = dir.path().join("out");
    let child = start(&file, &out);
    wait_until_catching(&child);
    std::thread::sleep(Duration::from_millis(500));
    send(&child, "INT");
    let (code, stderr) = finish(child, Duration::from_secs(60));
    assert_eq!(code, Some(130), "{stderr}");
    let m = manifest(&out);
    assert_eq!(m["complete"], false, "{m}");
    let error = m["error"].as_str().expect("the manifest says why");
    assert!(
        error.contains("after 0 of 1 replication(s)") && error.contains("1 abandoned or never started"),
        "{error}"
    );
    let csv = std::fs::read_to_string(out.join("replications.csv")).expect("replications.csv is written");
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
}
