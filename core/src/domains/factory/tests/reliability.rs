//! Machines' lives (issue 11) seen through the record stream: common random numbers keyed by
//! machine identity, conservation of jobs when failures interrupt them, and old scenarios
//! untouched.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::collect::Capture;
use crate::domains::{self, DomainConfig};
use crate::engine::SimConfig;
use crate::plugin::Registry;
use crate::record::{Catalogue, Record};
use crate::rng::StreamSeeder;
use crate::scenario;
use crate::time::SimTime;

/// Runs replication 0 (seed 7) of the scenario `text` from time 0 with a capturing collector:
/// every record and the catalogue that names them.
fn records(text: &str) -> (Vec<Record>, Catalogue) {
    let file = scenario::parse(Path::new("reliability.toml"), text, &[]).expect("valid scenario");
    let domains: &[DomainConfig] = &file.baseline.domains;
    let registry = Registry::with_builtins(&[xinzhi_dispatch::plugin_library()]).expect("registers");
    let sink = Arc::new(Mutex::new(Vec::new()));
    let config =
        SimConfig { horizon: file.baseline.horizon, warmup: SimTime::ZERO, seeder: StreamSeeder::new(7, 0) };
    domains::run_replication(domains, &registry, config, vec![Box::new(Capture(sink.clone()))], &mut |_| {
        ControlFlow::Continue(())
    })
    .expect("runs");
    let records = std::mem::take(&mut *sink.lock().expect("not poisoned"));
    (records, domains::catalogue(domains))
}

/// The index of the kind named `name`.
fn kind(catalogue: &Catalogue, name: &str) -> u32 {
    catalogue.kinds.iter().position(|k| k.name == name).unwrap_or_else(|| panic!("no kind `{name}`")) as u32
}

/// The times of the failures of station `station`: the records of the kind whose metric is
/// `failures` (a rate: one record per failure begun), for that station's subject.
fn failure_times(records: &[Record], catalogue: &Catalogue, station: &str) -> Vec<f64> {
    let (k, info) = catalogue
        .kinds
        .iter()
        .enumerate()
        .find(|(_, k)| k.metric == "failures")
        .expect("a scenario with failures declares a `failures` kind");
    let subject = info
        .subjects
        .iter()
        .position(|s| s == station)
        .unwrap_or_else(|| panic!("`failures` has no subject `{station}`: {:?}", info.subjects));
    records.iter().filter(|r| r.kind == k as u32 && r.subject == subject as u32).map(|r| r.time).collect()
}

/// Two stations with their own crews: jobs visit `other` (buffer 4, failures that count busy
/// time and restart the interrupted job, repaired by `others`), then `watched` (failures in
/// calendar time and wear-out, repaired by `own`).
fn crn_scenario(other_machines: u32, others_size: u32) -> String {
    format!(
        r#"
[scenario]
name = "crn"
domain = "factory"
time_unit = "hour"
horizon = 5000.0

[[factory.crew]]
name = "own"
size = 1

[[factory.crew]]
name = "others"
size = {others_size}

[[factory.source]]
name = "orders"
product = "p"
interarrival = {{ dist = "exponential", mean = 1.0 }}

[[factory.product]]
name = "p"
route = ["other", "watched"]

[[factory.station]]
name = "other"
machines = {other_machines}
buffer = 4
process = {{ dist = "exponential", mean = 1.2 }}
failure = {{ mtbf = {{ dist = "exponential", mean = 40.0 }}, mttr = {{ dist = "exponential", mean = 3.0 }}, basis = "busy", crew = "others", interrupted = "restart" }}

[[factory.station]]
name = "watched"
machines = 2
process = {{ dist = "exponential", mean = 1.0 }}
failure = {{ mtbf = {{ dist = "exponential", mean = 30.0 }}, mttr = {{ dist = "exponential", mean = 2.0 }}, basis = "calendar", crew = "own" }}
wear = {{ rate = 1.0, cv = 0.5, basis = "calendar", limit = 60.0 }}
"#
    )
}

/// CRN survives structural change: failure, repair and wear draws are keyed by machine identity
/// (`station:<name>/machine:<k>`), so a machine added to another station, or a member added to
/// a crew the watched station does not use, leaves the watched station's failure times exactly
/// unchanged (its failures count calendar time and its crew serves only it, so nothing else
/// reaches them), while the other station's failures do change.
#[test]
fn failure_times_survive_a_machine_or_a_crew_member_added_elsewhere() {
    let (base_records, catalogue) = records(&crn_scenario(2, 1));
    let base = failure_times(&base_records, &catalogue, "watched");
    let base_other = failure_times(&base_records, &catalogue, "other");
    assert!(base.len() > 100, "{} failures of `watched`", base.len());
    assert!(base_other.len() > 50, "{} failures of `other`", base_other.len());
    for (what, text) in [
        ("a third machine at `other`", crn_scenario(3, 1)),
        ("a second member of `others`", crn_scenario(2, 2)),
    ] {
        let (changed_records, changed_catalogue) = records(&text);
        let changed = failure_times(&changed_records, &changed_catalogue, "watched");
        assert_eq!(changed, base, "with {what}, `watched` fails at exactly the same times");
        let other = failure_times(&changed_records, &changed_catalogue, "other");
        assert_ne!(other, base_other, "with {what}, `other` fails differently (the change is real)");
    }
}

/// A two-station line whose machines fail only while processing (`basis = "busy"`), so every
/// failure interrupts a job, with finite buffers (arrivals lost at `press`, `press` blocked by
/// `trim`) and one crew for both.
fn conservation_scenario(interrupted: &str) -> String {
    format!(
        r#"
[scenario]
name = "conservation"
domain = "factory"
time_unit = "hour"
horizon = 3000.0

[[factory.crew]]
name = "fitters"
size = 1

[[factory.source]]
name = "orders"
product = "p"
interarrival = {{ dist = "exponential", mean = 1.0 }}

[[factory.product]]
name = "p"
route = ["press", "trim"]

[[factory.station]]
name = "press"
machines = 2
buffer = 3
process = {{ dist = "exponential", mean = 1.5 }}
failure = {{ mtbf = {{ dist = "exponential", mean = 15.0 }}, mttr = {{ dist = "exponential", mean = 2.0 }}, basis = "busy", crew = "fitters", interrupted = "{interrupted}" }}

[[factory.station]]
name = "trim"
machines = 1
buffer = 1
process = {{ dist = "exponential", mean = 0.8 }}
failure = {{ mtbf = {{ dist = "exponential", mean = 20.0 }}, mttr = {{ dist = "exponential", mean = 1.5 }}, basis = "busy", crew = "fitters", interrupted = "{interrupted}" }}
"#
    )
}

/// Conservation with failures interrupting jobs, for `resume` and `restart`: every job
/// released (one `arrival_lost` record per arrival: 0 admitted, 1 lost) is completed (one
/// `cycle_time` record), lost, or still in the system at the end (the last `wip` level). The
/// arrivals do not depend on what happens inside, so both modes release the same jobs.
#[test]
fn every_job_is_completed_lost_or_still_inside_when_failures_interrupt_jobs() {
    let mut released_by_mode = Vec::new();
    for mode in ["resume", "restart"] {
        let (records, catalogue) = records(&conservation_scenario(mode));
        let (lost_kind, cycle_kind, wip_kind) =
            (kind(&catalogue, "arrival_lost"), kind(&catalogue, "cycle_time"), kind(&catalogue, "wip"));
        let arrivals: Vec<f64> = records.iter().filter(|r| r.kind == lost_kind).map(|r| r.value).collect();
        assert!(arrivals.iter().all(|&v| v == 0.0 || v == 1.0), "{mode}: arrival_lost is 0 or 1");
        let released = arrivals.len() as u64;
        let lost = arrivals.iter().filter(|&&v| v == 1.0).count() as u64;
        let completed = records.iter().filter(|r| r.kind == cycle_kind).count() as u64;
        let inside = records.iter().rev().find(|r| r.kind == wip_kind).map_or(0.0, |r| r.value);
        assert_eq!(inside.fract(), 0.0, "{mode}: wip is a count");
        let failures = failure_times(&records, &catalogue, "press").len()
            + failure_times(&records, &catalogue, "trim").len();
        assert!(released > 2500 && completed > 2000, "{mode}: {released} released, {completed} completed");
        assert!(lost > 0, "{mode}: the press's buffer overflows sometimes");
        assert!(failures > 200, "{mode}: {failures} failures, each interrupting a job");
        assert_eq!(
            released,
            completed + lost + inside as u64,
            "{mode}: {released} released = {completed} completed + {lost} lost + {inside} inside"
        );
        released_by_mode.push(released);
    }
    assert_eq!(released_by_mode[0], released_by_mode[1], "the same arrivals in both modes");
}

/// A scenario without crews or `failure`, `wear` or `maintenance` keys declares none of the
/// new kinds: its metrics, and so its outputs, are those of before.
#[test]
fn a_factory_that_never_fails_declares_no_reliability_kinds() {
    let text = r#"
[scenario]
name = "plain"
domain = "factory"
time_unit = "minute"
horizon = 100.0
[[factory.source]]
name = "orders"
product = "p"
interarrival = 1.0
[[factory.product]]
name = "p"
route = ["mill"]
[[factory.station]]
name = "mill"
machines = 1
process = 0.5
"#;
    let file = scenario::parse(Path::new("plain.toml"), text, &[]).expect("valid scenario");
    let catalogue = domains::catalogue(&file.baseline.domains);
    for metric in
        ["availability", "failures", "downtime_mean", "maintenance", "precision", "recall", "f1", "accuracy"]
    {
        assert!(
            catalogue.kinds.iter().all(|k| k.metric != metric && k.rate_metric.as_deref() != Some(metric)),
            "a plain factory declares `{metric}`"
        );
    }
    let utilization: Vec<_> = catalogue.kinds.iter().filter(|k| k.metric == "utilization").collect();
    assert_eq!(utilization.len(), 1, "only the stations' utilization");
    assert_eq!(utilization[0].subjects, ["mill"]);
}
