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
    records_after(text, SimTime::ZERO)
}

/// [`records`] with a warm-up of `warmup`.
fn records_after(text: &str, warmup: SimTime) -> (Vec<Record>, Catalogue) {
    let file = scenario::parse(Path::new("reliability.toml"), text, &[]).expect("valid scenario");
    let domains: &[DomainConfig] = &file.baseline.domains;
    let registry =
        Registry::with_builtins(&[xinzhi_dispatch::plugin_library(), xinzhi_predict::plugin_library()])
            .expect("registers");
    let sink = Arc::new(Mutex::new(Vec::new()));
    let config = SimConfig { horizon: file.baseline.horizon, warmup, seeder: StreamSeeder::new(7, 0) };
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

/// The levels of a run, as step functions rebuilt from the records: per (kind, subject), the
/// value after all the records at each time. Checked at every time some record was made.
struct Levels<'a> {
    catalogue: &'a Catalogue,
    records: &'a [Record],
}

impl Levels<'_> {
    fn subject(&self, kind: &str, subject: &str) -> (u32, u32) {
        let k = kind_of(self.catalogue, kind);
        let s = self.catalogue.kinds[k as usize]
            .subjects
            .iter()
            .position(|x| x == subject)
            .unwrap_or_else(|| panic!("`{kind}` has no subject `{subject}`"));
        (k, s as u32)
    }

    /// Calls `check(time, values)` after the last record at each time, with the current value
    /// of each `(kind, subject)` asked for (NaN before its first record).
    fn each_time(&self, wanted: &[(&str, &str)], mut check: impl FnMut(f64, &[f64])) {
        let keys: Vec<(u32, u32)> = wanted.iter().map(|&(k, s)| self.subject(k, s)).collect();
        let mut values = vec![f64::NAN; keys.len()];
        for (i, r) in self.records.iter().enumerate() {
            if let Some(j) = keys.iter().position(|&(k, s)| r.kind == k && r.subject == s) {
                values[j] = r.value;
            }
            let last_at_time = self.records.get(i + 1).is_none_or(|n| n.time > r.time);
            if last_at_time {
                check(r.time, &values);
            }
        }
    }
}

fn kind_of(catalogue: &Catalogue, name: &str) -> u32 {
    kind(catalogue, name)
}

/// A busy line with everything at once: `press` (visited twice in a row, busy-basis failures
/// restarting jobs, busy wear read by a sensor, condition-based maintenance) feeds `trim`
/// (finite buffer, so `press` blocks; calendar failures resuming jobs, preventive maintenance
/// with `basis`), all served by one fitter.
fn everything_scenario(trim_basis: &str) -> String {
    format!(
        r#"
[scenario]
name = "everything"
domain = "factory"
time_unit = "hour"
horizon = 3000.0

[[factory.crew]]
name = "fitters"
size = 1

[[factory.source]]
name = "orders"
product = "p"
interarrival = {{ dist = "exponential", mean = 0.6 }}

[[factory.product]]
name = "p"
route = ["press", "press", "trim"]

[[factory.station]]
name = "press"
machines = 3
buffer = 3
process = {{ dist = "exponential", mean = 0.4 }}
failure = {{ mtbf = {{ dist = "exponential", mean = 20.0 }}, mttr = {{ dist = "exponential", mean = 1.0 }}, basis = "busy", crew = "fitters", interrupted = "restart" }}
wear = {{ rate = 1.0, cv = 0.5, basis = "busy", limit = 30.0 }}
sensor = {{ every = 2.0, noise_sd = 1.0, filter = "kalman" }}
maintenance = {{ policy = "condition", threshold = 20.0, duration = 0.4, crew = "fitters" }}

[[factory.station]]
name = "trim"
machines = 2
buffer = 1
process = {{ dist = "exponential", mean = 0.7 }}
failure = {{ mtbf = {{ dist = "exponential", mean = 15.0 }}, mttr = {{ dist = "exponential", mean = 0.8 }}, basis = "calendar", crew = "fitters", interrupted = "resume" }}
maintenance = {{ policy = "preventive", every = 7.0, basis = "{trim_basis}", duration = 0.3, crew = "fitters" }}
"#
    )
}

/// Invariants of the recorded levels with failures, maintenance, blocking and a shared crew:
/// levels stay in their bounds; at each station no more machines are busy than are up, busy and
/// blocked ones never outnumber the machines; a job waits only when no machine that is up is
/// idle (busy + blocked ≥ up); availability moves one machine at a time; the crew is never
/// over-busy; and every job is completed, lost or still inside.
#[test]
fn recorded_levels_stay_consistent_with_failures_maintenance_blocking_and_a_crew() {
    for basis in ["age", "calendar", "press-calendar", "two-fitters-spt", "known-times", "predictive"] {
        let mut warmup = SimTime::ZERO;
        let text = match basis {
            // `press` fails while blocked too.
            "press-calendar" => everything_scenario("age").replace(
                r#"basis = "busy", crew = "fitters", interrupted = "restart""#,
                r#"basis = "calendar", crew = "fitters", interrupted = "restart""#,
            ),
            "two-fitters-spt" => {
                everything_scenario("age").replace("size = 1", "size = 2\ndispatch = { plugin = \"spt\" }")
            }
            "known-times" => everything_scenario("calendar").replace(
                r#"route = ["press", "press", "trim"]"#,
                "route = [\"press\", \"press\", \"trim\"]\nknown_times = true",
            ),
            "predictive" => {
                warmup = SimTime::new(500.0).unwrap();
                everything_scenario("age").replace(
                    r#"policy = "condition", threshold = 20.0"#,
                    r#"policy = "predictive", predictor = { plugin = "logistic" }, within = 4.0, threshold = 0.5"#,
                ).replace("horizon = 3000.0", "horizon = 3000.0\nwarmup = 500.0")
            }
            _ => everything_scenario(basis),
        };
        let (records, catalogue) = records_after(&text, warmup);
        let levels = Levels { catalogue: &catalogue, records: &records };
        let failures = failure_times(&records, &catalogue, "press").len()
            + failure_times(&records, &catalogue, "trim").len();
        let (mk, _) = levels.subject("maintenance_begun", "trim");
        let maintenances = records.iter().filter(|r| r.kind == mk).count();
        assert!(
            failures > 100 && maintenances > 100,
            "{basis}: {failures} failures, {maintenances} maintenances"
        );
        for (station, machines) in [("press", 3.0), ("trim", 2.0)] {
            // Availability moves by one machine per record.
            let (ak, asub) = levels.subject("up_fraction", station);
            let mut last_up = machines;
            for r in records.iter().filter(|r| r.kind == ak && r.subject == asub).skip(1) {
                let up = (r.value * machines).round();
                assert_eq!(
                    (up - last_up).abs(),
                    1.0,
                    "{basis}: {station} at {}: up {last_up} -> {up}",
                    r.time
                );
                last_up = up;
            }
            levels.each_time(
                &[
                    ("busy_fraction", station),
                    ("blocked_fraction", station),
                    ("queue_length", station),
                    ("up_fraction", station),
                ],
                |t, v| {
                    let busy = if v[0].is_nan() { 0.0 } else { (v[0] * machines).round() };
                    let blocked = if v[1].is_nan() { 0.0 } else { (v[1] * machines).round() };
                    let queue = if v[2].is_nan() { 0.0 } else { v[2] };
                    let up = (v[3] * machines).round();
                    assert!(busy <= up, "{basis}: {station} at {t}: {busy} busy > {up} up");
                    assert!(busy + blocked <= machines, "{basis}: {station} at {t}: {busy} busy + {blocked} blocked");
                    assert!(
                        queue == 0.0 || busy + blocked >= up,
                        "{basis}: {station} at {t}: {queue} waiting while {busy} busy + {blocked} blocked < {up} up"
                    );
                },
            );
        }
        levels.each_time(&[("crew_busy_fraction", "fitters")], |t, v| {
            assert!((0.0..=1.0).contains(&v[0]), "{basis}: crew at {t}: {}", v[0]);
        });
        let (lost_kind, cycle_kind, wip_kind) =
            (kind(&catalogue, "arrival_lost"), kind(&catalogue, "cycle_time"), kind(&catalogue, "wip"));
        let released = records.iter().filter(|r| r.kind == lost_kind).count() as u64;
        let lost = records.iter().filter(|r| r.kind == lost_kind && r.value == 1.0).count() as u64;
        let completed = records.iter().filter(|r| r.kind == cycle_kind).count() as u64;
        let inside = records.iter().rev().find(|r| r.kind == wip_kind).map_or(0.0, |r| r.value) as u64;
        assert_eq!(released, completed + lost + inside, "{basis}: conservation");
    }
}

/// The times of the records of kind `name` for subject `subject`.
fn times_of(records: &[Record], catalogue: &Catalogue, name: &str, subject: &str) -> Vec<f64> {
    let k = kind(catalogue, name);
    let s = catalogue.kinds[k as usize].subjects.iter().position(|x| x == subject).expect("a subject") as u32;
    records.iter().filter(|r| r.kind == k && r.subject == s).map(|r| r.time).collect()
}

/// Maintenance due during a job starts when the job's operation ends, also when the job's next
/// operation is on the same station: one machine, jobs at 10, 20, … visiting it twice for 3
/// each (10–13, 13–16); block maintenance due at 12.5 begins at 13, not at 16 after the job's
/// second operation.
#[test]
fn maintenance_due_during_a_job_that_revisits_the_station_starts_when_the_operation_ends() {
    let text = r#"
[scenario]
name = "revisit"
domain = "factory"
time_unit = "hour"
horizon = 15.0
[[factory.source]]
name = "orders"
product = "p"
interarrival = 10.0
[[factory.product]]
name = "p"
route = ["mill", "mill"]
[[factory.station]]
name = "mill"
machines = 1
process = 3.0
maintenance = { policy = "preventive", every = 12.5, basis = "calendar", duration = 0.5 }
"#;
    let (records, catalogue) = records(text);
    assert_eq!(times_of(&records, &catalogue, "maintenance_begun", "mill"), [13.0]);
}

/// A crew's dispatcher sees each request's expected work: a wear-out repair is expected to take
/// the mean of `wear.repair` when the station gives one, not `failure.mttr`'s. One fitter
/// choosing by shortest expected work (`spt`) is busy with `blocker` (9–12) while `w` wears out
/// (at about 10, repair 10) and `m` stops for maintenance (at 10.5, 5): at 12 it takes `m`'s
/// maintenance (5 < 10), not `w`'s repair (which a mean of `failure.mttr`, 1, would put first).
#[test]
fn a_crew_dispatcher_sees_the_expected_time_of_a_wear_out_repair() {
    let text = r#"
[scenario]
name = "expected"
domain = "factory"
time_unit = "hour"
horizon = 20.0
[[factory.crew]]
name = "fitters"
size = 1
dispatch = { plugin = "spt" }
[[factory.source]]
name = "orders"
product = "p"
interarrival = 1000.0
[[factory.product]]
name = "p"
route = ["w", "blocker", "m"]
[[factory.station]]
name = "w"
machines = 1
process = 1.0
failure = { mtbf = 1000000.0, mttr = 1.0, crew = "fitters" }
wear = { rate = 1.0, cv = 0.01, basis = "calendar", limit = 10.0, repair = 10.0 }
[[factory.station]]
name = "blocker"
machines = 1
process = 1.0
failure = { mtbf = 9.0, mttr = 3.0, crew = "fitters" }
[[factory.station]]
name = "m"
machines = 1
process = 1.0
maintenance = { policy = "preventive", every = 10.5, duration = 5.0, crew = "fitters" }
"#;
    let (records, catalogue) = records(text);
    let worn = failure_times(&records, &catalogue, "w");
    assert!(worn.len() == 1 && (9.5..10.5).contains(&worn[0]), "`w` wears out at about 10: {worn:?}");
    assert_eq!(times_of(&records, &catalogue, "maintenance_begun", "m"), [12.0]);
}

/// What a watching system saw at one step: time and, per station, (machines up by `Health`,
/// machines down by `MachineStatus`, busy by `MachineStatus`, busy by `Health::processing`,
/// blocked by `MachineStatus`, in repair or maintenance, waiting for either).
type Glance = (f64, Vec<[u32; 7]>);

#[derive(bevy_ecs::prelude::Resource, Clone, Default)]
struct Glances(Arc<Mutex<Vec<Glance>>>);

fn glance(
    clock: bevy_ecs::prelude::Res<crate::engine::SimClock>,
    machines: bevy_ecs::prelude::Query<(
        &super::super::Machine,
        &super::super::MachineStatus,
        &super::super::reliability::Health,
    )>,
    seen: bevy_ecs::prelude::Res<Glances>,
) {
    use super::super::reliability::Condition;
    use super::super::state::Activity;
    let mut per_station = vec![[0; 7]; 2];
    for (m, status, health) in &machines {
        let s = &mut per_station[m.station as usize];
        s[0] += u32::from(health.condition == Condition::Up);
        s[1] += u32::from(status.activity == Activity::Down);
        s[2] += u32::from(status.activity == Activity::Busy);
        s[3] += u32::from(health.processing);
        s[4] += u32::from(status.activity == Activity::Blocked);
        s[5] += u32::from(matches!(health.condition, Condition::InRepair | Condition::InMaintenance));
        s[6] += u32::from(matches!(health.condition, Condition::Failed | Condition::AwaitingMaintenance));
    }
    seen.0.lock().expect("not poisoned").push((clock.now.as_f64(), per_station));
}

/// The machine entities agree with the lives and the records at every step of a run with
/// failures, maintenance, blocking and a crew: a machine is `Down` exactly when its `Health`
/// is not up, and as many as the availability record says; it is `Busy` exactly when it
/// processes, and as many as the busy record says; no more are `Blocked` than the blocked
/// record says; the one fitter works on as many machines as the crew's record says, and no
/// machine waits for it while it is free.
/// Checked with `trim` sensed and not (its `Health` is published all the same: others read it).
#[test]
fn machine_entities_agree_with_their_lives_and_the_records() {
    let sensed = everything_scenario("age").replace(
        "maintenance = { policy = \"preventive\"",
        "wear = { rate = 1.0, cv = 0.5, basis = \"calendar\", limit = 25.0 }\n\
         sensor = { every = 1.5, noise_sd = 1.0, filter = \"none\" }\n\
         maintenance = { policy = \"preventive\"",
    );
    entities_agree(&sensed);
    entities_agree(&everything_scenario("calendar"));
    entities_agree(
        &everything_scenario("calendar").replace(r#"basis = "busy", crew"#, r#"basis = "calendar", crew"#),
    );
}

fn entities_agree(text: &str) {
    use bevy_ecs::prelude::Schedule;

    use crate::calendar::Priority;
    use crate::domains::Setup;
    use crate::engine::{Sim, StepperConfig};
    use crate::time::SimDuration;

    let file = scenario::parse(Path::new("everything.toml"), text, &[]).expect("valid scenario");
    let config = super::super::config_of(&file.baseline).clone();
    let registry = super::registry();
    let seen = Glances::default();
    let sink = Arc::new(Mutex::new(Vec::new()));
    let watched = seen.clone();
    let mut sim = Sim::build(super::sim_config(1500.0, 11), |world, ctx| {
        let mut catalogue = Catalogue::default();
        let factory = <super::FactoryModel as crate::domains::Domain>::build(
            &config,
            &mut Setup::new::<super::FactoryModel>(world, ctx, &registry, &mut catalogue, true),
        )?;
        world.insert_resource(watched);
        let mut schedule = Schedule::default();
        schedule.add_systems(glance);
        let period = SimDuration::new(0.7).unwrap();
        let stepper = StepperConfig {
            name: "glance".into(),
            period,
            first: SimTime::ZERO + period,
            priority: Priority::STEP,
        };
        ctx.add_stepper(stepper, schedule)?;
        Ok(super::Watched { factory, catalogue })
    })
    .expect("builds");
    sim.add_collector(Box::new(Capture(sink.clone())));
    sim.run(&mut |_| ControlFlow::Continue(())).expect("runs");
    let records = sink.lock().unwrap();
    let catalogue = domains::catalogue(&[DomainConfig::Factory(config.clone())]);
    let machines = [3.0, 2.0];
    let level = |name: &str, s: usize, t: f64| {
        let k = kind(&catalogue, name);
        records
            .iter()
            .rev()
            .find(|r| r.kind == k && r.subject == s as u32 && r.time <= t)
            .map_or(0.0, |r| (r.value * machines[s]).round() as u32 as f64)
    };
    let seen = seen.0.lock().unwrap();
    assert!(seen.len() > 2000);
    let mut downs = 0;
    for (t, stations) in seen.iter() {
        let working: u32 = stations.iter().map(|s| s[5]).sum();
        let waiting: u32 = stations.iter().map(|s| s[6]).sum();
        let k = kind(&catalogue, "crew_busy_fraction");
        let crew = records.iter().rev().find(|r| r.kind == k && r.time <= *t).map_or(0.0, |r| r.value);
        assert_eq!(f64::from(working), crew, "at {t}: machines worked on");
        assert!(waiting == 0 || working == 1, "at {t}: {waiting} wait for a free fitter");
        for (s, &[up, down, busy, processing, blocked, ..]) in stations.iter().enumerate() {
            downs += down;
            assert_eq!(f64::from(up), level("up_fraction", s, *t), "station {s} at {t}: up");
            assert_eq!(f64::from(up + down), machines[s], "station {s} at {t}: up + down");
            assert_eq!(busy, processing, "station {s} at {t}: busy and processing");
            assert_eq!(f64::from(busy), level("busy_fraction", s, *t), "station {s} at {t}: busy");
            assert!(f64::from(blocked) <= level("blocked_fraction", s, *t), "station {s} at {t}: blocked");
        }
    }
    assert!(downs > 100, "machines are seen down");
}

/// A predictor learning from the warm-up: no maintenance is called during it, it is judged only
/// from the first reading at or after its end, every maintenance begun was called by a positive
/// prediction, and it lowers failures against run to failure on the same draws.
#[test]
fn a_predictor_learns_in_the_warm_up_and_decides_after_it() {
    let text = |maintenance: &str| {
        format!(
            r#"
[scenario]
name = "predictive"
domain = "factory"
time_unit = "hour"
horizon = 3000.0
warmup = 1000.0
[[factory.source]]
name = "orders"
product = "p"
interarrival = 1.0
[[factory.product]]
name = "p"
route = ["press"]
[[factory.station]]
name = "press"
machines = 3
process = 0.5
wear = {{ rate = 1.0, cv = 0.3, basis = "calendar", limit = 50.0, repair = 5.0 }}
sensor = {{ every = 2.0, noise_sd = 2.0, filter = "kalman" }}
maintenance = {{ {maintenance} }}
"#
        )
    };
    let warmup = 1000.0;
    let (records, catalogue) = records_after(
        &text(
            r#"policy = "predictive", predictor = { plugin = "logistic" }, within = 8.0, threshold = 0.5, duration = 1.0"#,
        ),
        SimTime::new(warmup).unwrap(),
    );
    let maintained = times_of(&records, &catalogue, "maintenance_begun", "press");
    assert!(maintained.len() > 20, "{} maintenances", maintained.len());
    assert!(maintained.iter().all(|&t| t >= warmup), "maintenance called in the warm-up: {maintained:?}");
    let judged = times_of(&records, &catalogue, "prediction_correct", "press");
    assert!(
        judged.first().is_some_and(|&t| t >= warmup && t < warmup + 2.0),
        "first judged {:?}",
        judged.first()
    );
    let positives = times_of(&records, &catalogue, "call_justified", "press");
    let after = |times: Vec<f64>| times.iter().filter(|&&t| t >= warmup).count();
    let failures = after(failure_times(&records, &catalogue, "press"));
    // Each positive call stops its machine once its job ends (at once without a crew), unless it
    // fails first.
    assert!(
        positives.len() >= maintained.len() && positives.len() <= maintained.len() + failures,
        "{} positive calls, {} maintenances, {failures} failures",
        positives.len(),
        maintained.len()
    );
    let (base, base_catalogue) =
        records_after(&text(r#"policy = "run-to-failure""#), SimTime::new(warmup).unwrap());
    let base_failures = after(failure_times(&base, &base_catalogue, "press"));
    assert!(failures * 3 < base_failures, "{failures} failures with prediction, {base_failures} without");
}

/// Sensors of different periods that read at the same time make one reading of the machine,
/// fused by its filter: one prediction (one example in the warm-up), not one per period.
#[test]
fn sensors_reading_at_the_same_time_make_one_prediction() {
    let text = r#"
[scenario]
name = "two periods"
domain = "factory"
time_unit = "hour"
horizon = 1300.0
warmup = 1000.0
[[factory.source]]
name = "orders"
product = "p"
interarrival = 1.0
[[factory.product]]
name = "p"
route = ["press"]
[[factory.station]]
name = "press"
machines = 1
process = 0.5
wear = { rate = 1.0, cv = 0.3, basis = "calendar", limit = 50.0, repair = 5.0 }
sensors = [{ every = 2.0, noise_sd = 2.0 }, { every = 3.0, noise_sd = 2.0 }]
maintenance = { policy = "predictive", predictor = { plugin = "logistic" }, within = 8.0, threshold = 0.5, duration = 1.0 }
"#;
    let (records, catalogue) = records_after(text, SimTime::new(1000.0).unwrap());
    let judged = times_of(&records, &catalogue, "prediction_correct", "press");
    assert!(judged.len() > 50, "{} predictions", judged.len());
    let twice: Vec<f64> = judged.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    assert!(twice.is_empty(), "judged twice at {twice:?}");
}
