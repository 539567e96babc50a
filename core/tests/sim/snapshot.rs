//! What a scheduler sees: a spy scheduler (a plugin defined in this test binary, registered
//! through the same descriptor and vtables as any plugin) records every snapshot of a factory run.

use std::path::Path;
use std::sync::Mutex;

use xinzhi_core::experiment::{self, RunConfig};
use xinzhi_core::plugin::Registry;
use xinzhi_core::scenario;
use xinzhi_plugin::{
    Component, Config, Host, JobRecord, MachineRecord, OperationRecord, Order, PluginError, Scheduler,
    Snapshot,
};

/// One decision as the spy saw it.
#[derive(Clone, Debug)]
struct Seen {
    now: f64,
    jobs: Vec<JobRecord>,
    ops: Vec<OperationRecord>,
    machines: Vec<MachineRecord>,
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

/// Records the snapshot and answers FIFO.
pub(crate) struct Spy;

impl Component for Spy {
    const NAME: &'static str = "spy";
    const DESCRIPTION: &'static str = "test: records every snapshot";

    fn new(_: &Config<'_>, _: &Host) -> Result<Self, PluginError> {
        Ok(Spy)
    }
}

impl Scheduler for Spy {
    fn schedule(&mut self, s: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError> {
        SEEN.lock().expect("not poisoned").push(Seen {
            now: s.now,
            jobs: s.jobs.to_vec(),
            ops: s.ops.to_vec(),
            machines: s.machines.to_vec(),
        });
        order.push(0)
    }
}

xinzhi_plugin::export_plugins! {
    schedulers: [Spy],
}

/// Runs `text` (one replication) with the spy and the built-in collectors; returns the snapshots.
fn run(text: &str) -> Vec<Seen> {
    SEEN.lock().expect("not poisoned").clear();
    let file = scenario::parse(Path::new("spy.toml"), text, &[]).expect("valid scenario");
    let builtins = Registry::with_builtins(&[
        plugin_library(),
        xinzhi_dispatch::plugin_library(),
        xinzhi_metrics::plugin_library(),
    ])
    .expect("registers");
    let registry = experiment::prepare(&file, builtins, &[]).expect("plugins check out");
    let results = experiment::run(&file, &registry, RunConfig { threads: 1, shard: None, stop: None }, &())
        .expect("runs");
    assert!(results.complete());
    std::mem::take(&mut *SEEN.lock().expect("not poisoned"))
}

fn scenario(known_times: bool) -> String {
    format!(
        r#"
[scenario]
name = "spy"
domain = "factory"
time_unit = "minute"
horizon = 60.0

[experiment]
replications = 1

[[factory.source]]
name = "orders"
product = "part"
interarrival = 1.0
due = 10.0
weight = 2.5

[[factory.product]]
name = "part"
route = ["a", "b"]
known_times = {known_times}

[[factory.station]]
name = "a"
machines = 1
process = {{ dist = "uniform", min = 1.5, max = 2.5 }}
dispatch = {{ plugin = "spy" }}

[[factory.station]]
name = "b"
machines = 1
process = 0.5
"#
    )
}

// Both cases share the spy's global record, so they run in one test, one after the other.
#[test]
fn schedulers_see_due_dates_weights_estimates_remaining_route_and_machines() {
    // Jobs arrive every minute and take about 2 at `a`: a queue builds up, and every decision
    // chooses among several jobs.
    let seen = run(&scenario(false));
    assert!(seen.len() > 20, "{} decisions", seen.len());
    for s in &seen {
        assert!(s.jobs.len() >= 2, "asked only when there is a choice");
        for (k, j) in s.jobs.iter().enumerate() {
            assert_eq!(j.due_date, j.release_time + 10.0, "due = arrival + 10");
            assert_eq!(j.weight, 2.5);
            assert_eq!(j.step, 0);
            assert_eq!(j.processing_time, 2.0, "without known times: the mean of uniform(1.5, 2.5)");
            assert!(j.queued_at >= j.release_time && j.queued_at <= s.now);
            // The remaining route: one operation at station b (index 1) of 0.5.
            let ops = &s.ops[j.ops_start as usize..(j.ops_start + j.ops_len) as usize];
            assert_eq!(ops, [OperationRecord { station: 1, _reserved: 0, processing_time: 0.5 }]);
            if k > 0 {
                assert!(j.id > s.jobs[k - 1].id, "arrival order");
            }
        }
        assert_eq!(s.machines.len(), 1);
        assert_eq!((s.machines[0].state, s.machines[0].available_at), (MachineRecord::IDLE, s.now));
    }

    // With known times the true sampled durations are shown: they vary, within the
    // distribution's support.
    let seen = run(&scenario(true));
    let times: Vec<f64> = seen.iter().flat_map(|s| s.jobs.iter().map(|j| j.processing_time)).collect();
    assert!(times.iter().all(|t| (1.5..=2.5).contains(t)), "{times:?}");
    assert!(times.iter().any(|&t| (t - 2.0).abs() > 0.05), "true values, not the mean: {times:?}");
    // And they are the durations the machine then takes: with a queue that never runs dry, the
    // next decision comes exactly when the chosen job (the first: the spy answers FIFO) ends.
    for w in seen.windows(2) {
        if w[0].jobs.len() >= 3 {
            let end = w[0].now + w[0].jobs[0].processing_time;
            assert!((w[1].now - end).abs() < 1e-9, "next decision at {}, chosen job ends at {end}", w[1].now);
        }
    }
}
