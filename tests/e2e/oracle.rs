//! The framework against an independent oracle: `bare-mm1` (tests/bench/bare_mm1.rs) is a plain
//! binary-heap M/M/1 loop drawing the same random streams. The full path (scenario → calendar →
//! World → records → KPI collector → CSV) must reproduce its metrics bit for bit.

use std::collections::BTreeMap;
use std::process::Command;

use crate::common::{replications, run_ok};

#[test]
fn framework_reproduces_the_bare_mm1_loop_exactly() {
    let horizon = "50000";
    let (dir, _) = run_ok(
        "tests/bench/mm1-rho09.toml",
        &["--set", &format!("scenario.horizon={horizon}"), "--threads", "1"],
    );
    let framework = &replications(dir.path())[&("baseline".to_owned(), 0)];
    let out = Command::new(env!("CARGO_BIN_EXE_bare-mm1"))
        .args(["--horizon", horizon, "--seed", "42"])
        .output()
        .expect("bare-mm1 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bare: BTreeMap<String, f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
        .collect();
    let mut compared = 0;
    for (metric, value) in &bare {
        if let Some(&fw) = framework.get(metric) {
            assert_eq!(fw.to_bits(), value.to_bits(), "{metric}: framework {fw} vs bare loop {value}");
            compared += 1;
        }
    }
    assert!(compared >= 6, "compared only {compared} metrics: {bare:?}");
}
