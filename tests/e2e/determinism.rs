//! Same scenario + seed ⇒ byte-identical outputs, whatever the thread count.

use crate::common::run_ok;

fn outputs(extra: &[&str]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut args = vec!["--replications", "6", "--set", "scenario.horizon=20000"];
    args.extend_from_slice(extra);
    let (dir, _) = run_ok("scenarios/machining-line.toml", &args);
    let read = |f: &str| std::fs::read(dir.path().join("out").join(f)).expect("output file");
    (read("replications.csv"), read("summary.csv"), read("summary.json"))
}

#[test]
fn outputs_are_byte_identical_across_thread_counts() {
    let one = outputs(&["--threads", "1"]);
    let two = outputs(&["--threads", "2"]);
    let three = outputs(&["--threads", "3"]);
    assert!(one == two && two == three, "outputs differ between --threads 1, 2 and 3");
}

#[test]
fn a_different_seed_changes_the_results() {
    let a = outputs(&["--seed", "1"]);
    let b = outputs(&["--seed", "2"]);
    assert_ne!(a.0, b.0);
    assert_ne!(a.1, b.1);
}

#[test]
fn every_ready_scenario_validates_and_runs() {
    for entry in std::fs::read_dir(crate::common::root().join("scenarios")).expect("scenarios/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let p = path.to_str().expect("utf-8");
            let (dir, _) = run_ok(
                p,
                &["--replications", "2", "--set", "scenario.horizon=3000", "--set", "scenario.warmup=500"],
            );
            assert!(dir.path().join("out/manifest.json").exists());
        }
    }
}
