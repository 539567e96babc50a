//! A region of the factory and the probe: interleaving, exactly-once delivery, scoped streams and
//! kinds, both domains in the outputs, and the factory's numbers unchanged by its neighbour.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::collect::Capture;
use crate::domains::{self, DomainConfig};
use crate::engine::SimConfig;
use crate::experiment::{self, ExperimentResults, RunConfig};
use crate::plugin::Registry;
use crate::record::{Catalogue, Record};
use crate::rng::StreamSeeder;
use crate::scenario::{self, ScenarioFile};
use crate::time::SimTime;

/// A factory whose station `north` shares its name with a probe site; `widget`s go north,
/// `gadget`s south.
fn factory(arrivals: &str, process: &str) -> String {
    format!(
        r#"
[[factory.source]]
name = "orders"
product = "widget"
interarrival = {arrivals}

[[factory.source]]
name = "rush"
product = "gadget"
interarrival = {{ dist = "exponential", mean = 9.0 }}

[[factory.product]]
name = "widget"
route = ["north"]
destination = "north"

[[factory.product]]
name = "gadget"
route = ["north"]
destination = "south"

[[factory.station]]
name = "north"
machines = 2
process = {process}
"#
    )
}

const PROBE: &str = r#"
[probe]
period = 5.0
sites = ["north", "south"]
poll = 3.0
"#;

fn head(domains: &str, horizon: f64) -> String {
    format!(
        "[scenario]\nname = \"region\"\n{domains}\ntime_unit = \"minute\"\nhorizon = {horizon}\n\n\
         [experiment]\nreplications = 3\nseed = 11\n"
    )
}

fn load(text: &str) -> ScenarioFile {
    scenario::parse(Path::new("region.toml"), text, &[]).expect("valid scenario")
}

fn registry(file: &ScenarioFile) -> Registry {
    let builtins =
        Registry::with_builtins(&[xinzhi_dispatch::plugin_library(), xinzhi_metrics::plugin_library()])
            .expect("built-ins");
    experiment::prepare(file, builtins, &[]).expect("plugins check out")
}

fn run(file: &ScenarioFile) -> ExperimentResults {
    let results =
        experiment::run(file, &registry(file), RunConfig { threads: 2, shard: None, stop: None }, &())
            .expect("runs");
    assert!(results.complete());
    results
}

/// Runs replication 0 of `file`'s baseline with a capturing collector: the records and the
/// catalogue that names them.
fn records(file: &ScenarioFile) -> (Vec<Record>, Catalogue) {
    let domains: &[DomainConfig] = &file.baseline.domains;
    let sink = Arc::new(Mutex::new(Vec::new()));
    let config =
        SimConfig { horizon: file.baseline.horizon, warmup: SimTime::ZERO, seeder: StreamSeeder::new(11, 0) };
    domains::run_replication(
        domains,
        &registry(file),
        config,
        vec![Box::new(Capture(sink.clone()))],
        &mut |_| ControlFlow::Continue(()),
    )
    .expect("runs");
    let records = std::mem::take(&mut *sink.lock().expect("not poisoned"));
    (records, domains::catalogue(domains))
}

fn kind(catalogue: &Catalogue, name: &str) -> u32 {
    catalogue.kinds.iter().position(|k| k.name == name).unwrap_or_else(|| panic!("no kind `{name}`")) as u32
}

fn of(records: &[Record], kind: u32) -> Vec<Record> {
    records.iter().copied().filter(|r| r.kind == kind).collect()
}

/// Constant times put factory events exactly on the probe's step times: arrivals at 5, 10, …,
/// each served for 2.5. At a step time the arrival (priority 0) runs before the step
/// (priority 100), so every step sees one job in the system and receives exactly the job that
/// finished 2.5 before it.
#[test]
fn events_and_steps_interleave_in_the_documented_order() {
    let text =
        format!("{}{}{PROBE}", head(r#"domains = ["factory", "probe"]"#, 100.0), factory("5.0", "2.5"))
            .replace(r#"mean = 9.0"#, "mean = 1e9");
    let (records, catalogue) = records(&load(&text));
    let times: Vec<f64> = records.iter().map(|r| r.time).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "records in time order");
    let stepped = of(&records, kind(&catalogue, "probe.stepped_wip"));
    assert_eq!(stepped.len(), 20, "steps at 5, 10, …, 100");
    for (k, r) in stepped.iter().enumerate() {
        assert_eq!(r.time, 5.0 * (k + 1) as f64);
        assert_eq!(r.value, 1.0, "at t = {} the step ran after the same-time arrival", r.time);
    }
    let received = of(&records, kind(&catalogue, "probe.received"));
    let expected: Vec<(f64, f64)> = (1..20).map(|k| (5.0 * (k + 1) as f64, 5.0 * k as f64 + 2.5)).collect();
    let got: Vec<(f64, f64)> = received.iter().map(|r| (r.time, r.value)).collect();
    assert_eq!(got, expected, "each shipment received at the first step after it left");
    // Polls are the probe's own events at random times: the reading is current at each.
    for r in of(&records, kind(&catalogue, "probe.polled_wip")) {
        let phase = r.time % 5.0;
        let wip = if r.time >= 5.0 && phase < 2.5 { 1.0 } else { 0.0 };
        assert_eq!(r.value, wip, "poll at t = {}", r.time);
    }
}

/// Random times: every shipment is received once, at the first step at or after it left, at
/// the site of its destination, and every reading a poll sees is the factory's level then.
#[test]
fn the_coupling_delivers_every_shipment_exactly_once() {
    let arrivals = r#"{ dist = "exponential", mean = 2.0 }"#;
    let process = r#"{ dist = "exponential", mean = 3.0 }"#;
    let text =
        format!("{}{}{PROBE}", head(r#"domains = ["factory", "probe"]"#, 1000.0), factory(arrivals, process));
    let (records, catalogue) = records(&load(&text));
    let cycle = kind(&catalogue, "cycle_time");
    let mut left: Vec<(u32, f64)> = of(&records, cycle).iter().map(|r| (r.subject, r.time)).collect();
    let mut received: Vec<(u32, f64)> =
        of(&records, kind(&catalogue, "probe.received")).iter().map(|r| (r.subject, r.value)).collect();
    assert!(left.len() > 400, "{} completions", left.len());
    for r in of(&records, kind(&catalogue, "probe.received")) {
        assert!(r.value <= r.time && r.time - r.value < 5.0, "left at {}, received at {}", r.value, r.time);
    }
    // Product 0 (widget) goes to site 0 (north), product 1 (gadget) to site 1 (south).
    left.sort_by(|a, b| a.partial_cmp(b).unwrap());
    received.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(received, left, "every completion shipped and received exactly once, at its destination");

    // The poll sees the last `wip` level the factory recorded before it.
    let (wip, polled) = (kind(&catalogue, "wip"), kind(&catalogue, "probe.polled_wip"));
    let mut level = 0.0;
    let mut polls = 0;
    for r in &records {
        if r.kind == wip {
            level = r.value;
        } else if r.kind == polled {
            assert_eq!(r.value, level, "poll at t = {}", r.time);
            polls += 1;
        }
    }
    assert!(polls > 200, "{polls} polls");
}

/// Adding the probe changes no factory metric of any replication, both domains' metrics reach
/// the output files, and the factory's `north` and the probe's `north` stay apart.
#[test]
fn a_neighbour_leaves_every_factory_number_exactly_unchanged() {
    let arrivals = r#"{ dist = "exponential", mean = 2.0 }"#;
    let process = r#"{ dist = "exponential", mean = 3.0 }"#;
    let alone = load(&format!("{}{}", head(r#"domain = "factory""#, 2000.0), factory(arrivals, process)));
    let region = load(&format!(
        "{}{}{PROBE}",
        head(r#"domains = ["factory", "probe"]"#, 2000.0),
        factory(arrivals, process)
    ));
    let (a, b) = (run(&alone), run(&region));
    assert_eq!(a.replications.len(), b.replications.len());
    for (ra, rb) in a.replications.iter().zip(&b.replications) {
        let (ma, mb) = (&ra.outcome.as_ref().unwrap().metrics, &rb.outcome.as_ref().unwrap().metrics);
        let factory_b: Vec<_> = mb.iter().filter(|m| !m.name.starts_with("probe.")).collect();
        assert_eq!(factory_b.len(), ma.len(), "the same factory metrics");
        for (x, y) in ma.iter().zip(factory_b) {
            assert_eq!(
                (&x.name, x.value.to_bits()),
                (&y.name, y.value.to_bits()),
                "replication {}",
                ra.replication
            );
        }
        let names: Vec<&str> = mb.iter().map(|m| m.name.as_str()).collect();
        for name in ["utilization.north", "queue_mean.north", "probe.received.north", "probe.received.south"]
        {
            assert!(names.contains(&name), "`{name}` in {names:?}");
        }
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let facts = crate::output::RunFacts { threads: 2, wall_time_s: 0.0 };
    let manifest = crate::output::Manifest::for_run(&region, &registry(&region), &b, facts);
    crate::output::write_run(dir.path(), &manifest, &b, None).expect("written");
    let csv = std::fs::read_to_string(dir.path().join("replications.csv")).expect("read");
    assert!(csv.contains(",utilization.north,") && csv.contains(",probe.received.north,"), "{csv}");
}

/// The probe draws its polls from identity `source:orders`, as the factory draws its arrivals:
/// scoped to `probe/source:orders`, they are different numbers.
#[test]
fn two_domains_with_the_same_stream_identity_draw_different_numbers() {
    let arrivals = r#"{ dist = "exponential", mean = 3.0 }"#;
    let text =
        format!("{}{}{PROBE}", head(r#"domains = ["factory", "probe"]"#, 300.0), factory(arrivals, "0.5"))
            .replace(r#"mean = 9.0"#, "mean = 1e9");
    let (records, catalogue) = records(&load(&text));
    let polls: Vec<f64> = of(&records, kind(&catalogue, "probe.polled_wip")).iter().map(|r| r.time).collect();
    // Arrival times of `orders`: the admissions (`arrival_lost` = 0) of product 0.
    let lost = kind(&catalogue, "arrival_lost");
    let arrivals: Vec<f64> = of(&records, lost).iter().filter(|r| r.subject == 0).map(|r| r.time).collect();
    assert!(polls.len() > 50 && arrivals.len() > 50);
    let n = polls.len().min(arrivals.len());
    assert_ne!(polls[..n], arrivals[..n], "same means and same identity, but scoped: different draws");
}

/// A domain's config serializes (in the manifest's resolved scenario) tagged with its name: the
/// registration macro derives the tag from the variant, so the two must agree.
#[test]
fn every_domain_config_is_tagged_with_its_name() {
    let text = format!("{}{}{PROBE}", head(r#"domains = ["factory", "probe"]"#, 10.0), factory("1.0", "0.5"));
    let file = load(&text);
    assert_eq!(file.baseline.domains.len(), 2);
    for d in &file.baseline.domains {
        let json = serde_json::to_value(d).expect("serializes");
        assert_eq!(json["domain"], d.name());
    }
}
