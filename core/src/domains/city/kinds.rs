//! The city's record kinds: what each measures, in which unit and within which bounds. Names
//! are scoped by the host: kind `trip_delay`, metric `city.delay_mean`.
//!
//! How the `kpi` collector turns them into metrics (`plugins/metrics/src/kpi.rs`):
//! a `Sample` kind gives the mean of its in-window observations under its `metric` name (and
//! `metric.<subject>` per subject when it reports per subject); a `Level` kind the time
//! average of its level over the window; a `Rate` kind its in-window records per second. The
//! window `[warmup, horizon]` is inclusive at both ends, so the once-per-replication values
//! recorded at the horizon (`Close`) are counted: each is a `Sample` with one observation, whose
//! mean is the value itself.
//!
//! All times are in seconds (the city's unit, whatever the scenario's `time_unit` says of
//! `{time}`), rates in vehicles per hour.

use super::config::CityConfig;
use crate::domains::Kinds;
use crate::record::{Aggregate, KindId, KindInfo, Report};

/// At most this many demand sources get their own `delay_mean.<source>` metric; beyond, only
/// the pooled `delay_mean` is reported (a grid with hundreds of OD flows would otherwise flood
/// the summary).
pub(crate) const MAX_DELAY_SUBJECTS: usize = 32;

/// Record kinds of a city.
///
/// Subjects: `system` (index 0) for whole-network kinds; link indices for per-link kinds;
/// signalised-node ordinals (0 for the first node with a signal, in node order) for per-node
/// kinds; demand sources for `trip_delay` (see [`source_names`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CityKinds {
    /// One `Sample` per trip at its exit: delay = travel time − free-flow time [s]; subjects
    /// are the demand sources when `per_source`, else `system`.
    pub(crate) trip_delay: KindId,
    /// Whether `trip_delay` has one subject per demand source (1 to [`MAX_DELAY_SUBJECTS`]
    /// sources) or the single subject `system`.
    pub(crate) per_source: bool,
    /// The demand source of the explicit trips of `[city.trips]`, if any: the flows come
    /// first (index = flow index), then this.
    pub(crate) trips_source: Option<u32>,
    /// The demand source of freight trucks (`[city.freight]`), if any, after the trips.
    pub(crate) freight_source: Option<u32>,
    /// One `Sample` per trip at its exit: network exit − network entry [s] (`system`).
    pub(crate) travel_time: KindId,
    /// One `Sample` per trip at its exit: its stop-line waits longer than the stop threshold
    /// (`system`).
    pub(crate) trip_stops: KindId,
    /// One `Sample` per vehicle at its network entry: entry − desired departure [s] (`system`).
    pub(crate) insertion_delay: KindId,
    /// `Level` 1 while some link is full and refuses a green head, else 0 (`system`).
    pub(crate) spillback: KindId,
    /// `Level` per link: 1 while it is full and refuses a green head, else 0.
    pub(crate) link_blocked: KindId,
    /// `Rate`: one record per detected gridlock (`system`).
    pub(crate) gridlock: KindId,
    /// The values recorded once per replication at the horizon.
    pub(crate) window: WindowKinds,
}

/// The kinds recorded once per replication, at the horizon (a `Sample` with one observation).
#[derive(Clone, Copy, Debug)]
pub(crate) struct WindowKinds {
    /// 95th percentile (nearest rank) of the delay of trips completed in the window [s].
    pub(crate) delay_p95: KindId,
    /// Σ delay of trips completed in the window / 3600 [veh·h].
    pub(crate) vehicle_hours_delay: KindId,
    /// Trips completed in the window per hour [veh/h].
    pub(crate) throughput: KindId,
    /// Per link: time-average number of vehicles at its stop line [veh].
    pub(crate) queue_mean: KindId,
    /// Per link: the largest number of vehicles at its stop line [veh].
    pub(crate) queue_max: KindId,
    /// Per signalised node: max over its movements of flow / capacity; `None` without
    /// signalised nodes (a kind needs subjects).
    pub(crate) degree_of_saturation: Option<KindId>,
    /// Per signalised node: phase changes per hour; `None` without signalised nodes.
    pub(crate) phase_changes: Option<KindId>,
    /// Phase changes per hour, summed over the nodes (`system`).
    pub(crate) phase_changes_total: KindId,
    /// Gridlocks detected in the window (`system`).
    pub(crate) gridlocks_total: KindId,
    /// Vehicles on links or in origin buffers at the horizon (`system`).
    pub(crate) unfinished: KindId,
    /// Vehicles generated in the replication (`system`).
    pub(crate) spawned_total: KindId,
    /// Vehicles that reached their destination in the replication (`system`).
    pub(crate) arrived_total: KindId,
    /// Vehicles on links at the horizon (`system`).
    pub(crate) in_network: KindId,
    /// Vehicles in origin buffers at the horizon (`system`).
    pub(crate) in_buffers: KindId,
    /// Time-average number of vehicles on links over the window (`system`).
    pub(crate) in_network_mean: KindId,
    /// Controller answers the host changed to keep the signal safe, in the replication
    /// (`system`).
    pub(crate) signal_clamps: KindId,
}

/// The names of the demand sources, in source order: the flows, then `trips` if the config has
/// explicit trips, then `freight` if it has freight (each suffixed `_2`, `_3`, … if a flow
/// already has that name, so metric names stay unique).
pub(crate) fn source_names(config: &CityConfig) -> Vec<String> {
    let mut names: Vec<String> = config.flows.iter().map(|f| f.name.clone()).collect();
    let push = |names: &mut Vec<String>, base: &str| {
        let mut name = base.to_owned();
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        names.push(name);
    };
    if config.trips.is_some() {
        push(&mut names, "trips");
    }
    if config.freight.is_some() {
        push(&mut names, "freight");
    }
    names
}

/// The signalised nodes' names, in node order (the subjects of per-node kinds).
pub(crate) fn signalised_names(config: &CityConfig) -> Vec<String> {
    config.network.nodes.iter().filter(|n| n.control.is_some()).map(|n| n.name.clone()).collect()
}

/// Declares the kinds of a city with `config`'s network and flows, from the config alone.
pub(crate) fn declare_kinds(config: &CityConfig, kinds: &mut Kinds<'_>) -> CityKinds {
    let sources = source_names(config);
    let links: Vec<String> = config.network.links.iter().map(|l| l.name.clone()).collect();
    let nodes = signalised_names(config);
    let system = vec!["system".to_owned()];
    let (nonnegative, fraction) = ((Some(0.0), None), (Some(0.0), Some(1.0)));
    let mut kind = |name: &str,
                    metric: &str,
                    aggregate,
                    report,
                    subjects: &[String],
                    (unit, description): (&str, &str),
                    (lower, upper): (Option<f64>, Option<f64>)| {
        kinds.add(
            KindInfo::new(name, metric, aggregate, report, subjects.to_vec())
                .meaning(unit, description)
                .bounds(lower, upper),
        )
    };
    // Without any source (no demand at all) the kind still needs a subject.
    let per_source = !sources.is_empty() && sources.len() <= MAX_DELAY_SUBJECTS;
    let first_extra = config.flows.len() as u32;
    let trips_source = config.trips.as_ref().map(|_| first_extra);
    let freight_source = config.freight.as_ref().map(|_| first_extra + u32::from(config.trips.is_some()));
    let (delay_report, delay_subjects) =
        if per_source { (Report::Both, &sources) } else { (Report::Total, &system) };
    let trip_delay = kind(
        "trip_delay",
        "delay_mean",
        Aggregate::Sample,
        delay_report,
        delay_subjects,
        (
            "s",
            "a trip's travel time minus its free-flow time (time lost at stop lines and behind full links)",
        ),
        nonnegative,
    );
    let travel_time = kind(
        "travel_time",
        "travel_time_mean",
        Aggregate::Sample,
        Report::Total,
        &system,
        ("s", "a trip's time from network entry to its destination"),
        nonnegative,
    );
    let trip_stops = kind(
        "trip_stops",
        "stops_mean",
        Aggregate::Sample,
        Report::Total,
        &system,
        ("stops", "a trip's stop-line waits longer than the stop threshold"),
        nonnegative,
    );
    let insertion_delay = kind(
        "insertion_delay",
        "insertion_delay_mean",
        Aggregate::Sample,
        Report::Total,
        &system,
        ("s", "the time a vehicle waited at its origin for room on its first link"),
        nonnegative,
    );
    let spillback = kind(
        "spillback",
        "spillback_fraction",
        Aggregate::Level,
        Report::Total,
        &system,
        ("fraction", "whether some full link is holding back a vehicle that has green (spillback)"),
        fraction,
    );
    let link_blocked = kind(
        "link_blocked",
        "blocked_fraction",
        Aggregate::Level,
        Report::PerSubject,
        &links,
        ("fraction", "whether the link is full and holding back a vehicle that has green upstream"),
        fraction,
    );
    let gridlock = kind(
        "gridlock",
        "gridlocks",
        Aggregate::Rate,
        Report::Total,
        &system,
        ("per s", "gridlocks detected (vehicles waiting and no crossing anywhere for the stuck time)"),
        nonnegative,
    );
    // Once-per-replication values: one observation each, recorded at the horizon.
    let mut once = |metric: &str, subjects: &[String], report, unit: &str, description: &str| {
        kind(metric, metric, Aggregate::Sample, report, subjects, (unit, description), nonnegative)
    };
    let delay_p95 = once(
        "delay_p95",
        &system,
        Report::Total,
        "s",
        "the 95th percentile (nearest rank) of the delay of trips completed in the window",
    );
    let vehicle_hours_delay = once(
        "vehicle_hours_delay",
        &system,
        Report::Total,
        "veh·h",
        "the total delay of trips completed in the window",
    );
    let throughput =
        once("throughput", &system, Report::Total, "veh/h", "trips completed in the window, per hour");
    let queue_mean = once(
        "queue_mean",
        &links,
        Report::PerSubject,
        "veh",
        "the time-average number of vehicles waiting at the link's stop line",
    );
    let queue_max = once(
        "queue_max",
        &links,
        Report::PerSubject,
        "veh",
        "the largest number of vehicles waiting at the link's stop line",
    );
    let degree_of_saturation = (!nodes.is_empty()).then(|| {
        once(
            "degree_of_saturation",
            &nodes,
            Report::PerSubject,
            "ratio",
            "the largest over the junction's movements of vehicles served / (saturation flow × effective green)",
        )
    });
    let phase_changes = (!nodes.is_empty()).then(|| {
        once(
            "phase_changes_per_hour",
            &nodes,
            Report::PerSubject,
            "changes/h",
            "the junction's phase changes per hour",
        )
    });
    let phase_changes_total = kind(
        "phase_changes_total",
        "phase_changes_per_hour",
        Aggregate::Sample,
        Report::Total,
        &system,
        ("changes/h", "phase changes per hour, summed over the signalised junctions"),
        nonnegative,
    );
    let mut once = |metric: &str, unit: &str, description: &str| {
        kind(metric, metric, Aggregate::Sample, Report::Total, &system, (unit, description), nonnegative)
    };
    let window = WindowKinds {
        delay_p95,
        vehicle_hours_delay,
        throughput,
        queue_mean,
        queue_max,
        degree_of_saturation,
        phase_changes,
        phase_changes_total,
        gridlocks_total: once("gridlocks_total", "gridlocks", "gridlocks detected in the window"),
        unfinished: once(
            "unfinished",
            "veh",
            "vehicles still on a link or waiting to enter at the horizon (grows with the horizon when unstable)",
        ),
        spawned_total: once("spawned_total", "veh", "vehicles generated in the replication"),
        arrived_total: once(
            "arrived_total",
            "veh",
            "vehicles that reached their destination in the replication",
        ),
        in_network: once("in_network", "veh", "vehicles on links at the horizon"),
        in_buffers: once("in_buffers", "veh", "vehicles waiting at their origin to enter at the horizon"),
        in_network_mean: once("in_network_mean", "veh", "the time-average number of vehicles on links"),
        signal_clamps: once(
            "signal_clamps",
            "answers",
            "controller answers the host changed to respect the minimum or maximum green, in the replication",
        ),
    };
    CityKinds {
        trip_delay,
        per_source,
        trips_source,
        freight_source,
        travel_time,
        trip_stops,
        insertion_delay,
        spillback,
        link_blocked,
        gridlock,
        window,
    }
}

/// Hand-built configs for the unit tests of the city's modules (the parser is tested apart).
#[cfg(test)]
pub(crate) mod fixtures {
    use super::super::config::{
        Arrivals, CityConfig, Discharge, FlowConfig, Gridlock, LinkConfig, MovementConfig, NetworkConfig,
        NodeConfig, NodeControl, PathSpec, Profile, Timing,
    };
    use crate::validate::{PluginRef, Written};

    /// A signal plugin reference with `params` (JSON object text).
    pub(crate) fn plugin(name: &str, params: &str) -> PluginRef {
        PluginRef { plugin: name.to_owned(), params: params.to_owned(), written: Written::default() }
    }

    /// A one-lane link of 150 m at 15 m/s, 1800 veh/h, storage 20.
    pub(crate) fn link(name: &str, from: u32, to: u32) -> LinkConfig {
        LinkConfig {
            name: name.to_owned(),
            from,
            to,
            length: 150.0,
            lanes: 1,
            speed: 15.0,
            saturation: 1800.0,
            storage: 20,
        }
    }

    /// A boundary node.
    pub(crate) fn boundary(name: &str) -> NodeConfig {
        NodeConfig { name: name.to_owned(), at: None, control: None }
    }

    /// Y = 3, AR = 2, l₁ = l₂ = 2 (so g = G + 1), min green 5.
    pub(crate) const TIMING: Timing = Timing {
        yellow: 3.0,
        all_red: 2.0,
        startup_lost: 2.0,
        clearance_lost: 2.0,
        min_green: 5.0,
        max_green: f64::INFINITY,
    };

    /// A constant-rate Poisson flow on a fixed path.
    pub(crate) fn flow(name: &str, path: &[u32], rate: f64) -> FlowConfig {
        FlowConfig {
            name: name.to_owned(),
            path: PathSpec::Fixed(path.to_vec()),
            profile: Profile { step: f64::INFINITY, rates: vec![rate], repeat: false },
            arrivals: Arrivals::Poisson,
        }
    }

    /// A config with no flows around `network`.
    pub(crate) fn city(network: NetworkConfig) -> CityConfig {
        CityConfig {
            discharge: Discharge::Slotted,
            stop_threshold: None,
            stuck_time: 300.0,
            gridlock: Gridlock::Flag,
            day_start: 0.0,
            point_queue: false,
            network,
            flows: Vec::new(),
            turns: Vec::new(),
            trips: None,
            freight: None,
        }
    }

    /// One signalised junction `x` (node 0) with boundaries north, south, east, west (1–4).
    /// Links: 0–3 `north-in`, `south-in`, `east-in`, `west-in` into x; 4–7 `north-out`,
    /// `south-out`, `east-out`, `west-out` out of it. Movements: in-link i (0–3) to every
    /// out-link but its own side's, index 3·i + j in out-link order. Phase 0 serves north and
    /// south (movements 0–5), phase 1 east and west (6–11). No flows.
    pub(crate) fn cross(signal: PluginRef) -> CityConfig {
        let sides = ["north", "south", "east", "west"];
        let mut nodes = vec![NodeConfig {
            name: "x".to_owned(),
            at: None,
            control: Some(NodeControl {
                phases: vec![(0..6).collect(), (6..12).collect()],
                signal,
                timing: TIMING,
            }),
        }];
        nodes.extend(sides.iter().map(|s| boundary(s)));
        let mut links: Vec<LinkConfig> =
            sides.iter().enumerate().map(|(i, s)| link(&format!("{s}-in"), i as u32 + 1, 0)).collect();
        links.extend(sides.iter().enumerate().map(|(i, s)| link(&format!("{s}-out"), 0, i as u32 + 1)));
        let movements = (0..4u32)
            .flat_map(|i| {
                (4..8u32).filter(move |&o| o != 4 + i).map(move |o| MovementConfig {
                    node: 0,
                    from: i,
                    to: o,
                    permitted_factor: 1.0,
                })
            })
            .collect();
        city(NetworkConfig { nodes, links, movements })
    }

    /// The kinds of `config` in an unscoped catalogue (metric names without `city.`, which the
    /// host adds).
    pub(crate) fn declared(config: &CityConfig) -> (crate::record::Catalogue, super::CityKinds) {
        let mut catalogue = crate::record::Catalogue::default();
        let kinds = super::declare_kinds(
            config,
            &mut crate::domains::Kinds::of::<crate::domains::factory::FactoryModel>(&mut catalogue),
        );
        (catalogue, kinds)
    }

    /// Collects a metric list.
    struct Metrics(Vec<(String, Option<f64>)>);

    impl xinzhi_plugin::Output for Metrics {
        fn metric(&mut self, name: &str, value: f64) {
            self.0.push((name.to_owned(), Some(value)));
        }
        fn undefined(&mut self, name: &str) {
            self.0.push((name.to_owned(), None));
        }
        fn point(&mut self, _: &str, _: f64, _: f64) {}
    }

    /// What the built-in `kpi` collector makes of `records` over [warmup, horizon]: (metric,
    /// value or `None` when undefined), sorted by name.
    pub(crate) fn kpi(
        catalogue: &crate::record::Catalogue,
        warmup: f64,
        horizon: f64,
        records: &[crate::record::Record],
    ) -> Vec<(String, Option<f64>)> {
        use xinzhi_plugin::{Collector, Component, Config, Host, Window};
        let mut kpi = xinzhi_metrics::Kpi::new(&Config::new("{}"), &Host::detached(0)).unwrap();
        kpi.start(catalogue, Window { warmup, horizon }).unwrap();
        kpi.batch(records).unwrap();
        let mut out = Metrics(Vec::new());
        kpi.finish(&mut out).unwrap();
        out.0
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::{FreightConfig, NetworkConfig};
    use super::fixtures::{boundary, city, cross, declared, flow, kpi, link, plugin};
    use super::*;
    use crate::record::Catalogue;

    fn names(catalogue: &Catalogue) -> Vec<String> {
        // No records: every metric is still named (undefined means or zero levels).
        kpi(catalogue, 0.0, 1.0, &[]).into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn every_metric_of_the_plan_comes_out_under_its_name() {
        let mut config = cross(plugin("fixed_time", "{}"));
        config.flows = vec![flow("ns", &[0, 5], 300.0), flow("ew", &[2, 7], 300.0)];
        let (catalogue, kinds) = declared(&config);
        assert!(kinds.per_source);
        let mut want: Vec<String> = [
            "arrived_total",
            "degree_of_saturation.x",
            "delay_mean",
            "delay_mean.ew",
            "delay_mean.ns",
            "delay_p95",
            "gridlocks",
            "gridlocks_total",
            "in_buffers",
            "in_network",
            "in_network_mean",
            "insertion_delay_mean",
            "phase_changes_per_hour",
            "phase_changes_per_hour.x",
            "signal_clamps",
            "spawned_total",
            "spillback_fraction",
            "stops_mean",
            "throughput",
            "travel_time_mean",
            "unfinished",
            "vehicle_hours_delay",
        ]
        .map(str::to_owned)
        .to_vec();
        for l in &config.network.links {
            for base in ["blocked_fraction", "queue_mean", "queue_max"] {
                want.push(format!("{base}.{}", l.name));
            }
        }
        want.sort();
        assert_eq!(names(&catalogue), want);
        // Kinds carry a unit and a meaning each, and distinct names.
        let mut kind_names: Vec<&str> = catalogue.kinds.iter().map(|k| k.name.as_str()).collect();
        assert!(catalogue.kinds.iter().all(|k| !k.unit.is_empty() && !k.description.is_empty()));
        kind_names.sort_unstable();
        kind_names.dedup();
        assert_eq!(kind_names.len(), catalogue.kinds.len());
    }

    #[test]
    fn the_city_scopes_every_metric_name() {
        let mut config = cross(plugin("fixed_time", "{}"));
        config.flows = vec![flow("ns", &[0, 5], 300.0)];
        let mut catalogue = Catalogue::default();
        declare_kinds(&config, &mut Kinds::of::<super::super::CityModel>(&mut catalogue));
        let plain = names(&declared(&config).0);
        let scoped: Vec<String> = plain.iter().map(|n| format!("city.{n}")).collect();
        assert_eq!(names(&catalogue), scoped);
        assert!(scoped.contains(&"city.delay_mean.ns".to_owned()));
        assert!(scoped.contains(&"city.queue_max.south-in".to_owned()));
    }

    #[test]
    fn many_sources_pool_their_delays_and_trips_and_freight_are_sources_too() {
        let mut config = cross(plugin("fixed_time", "{}"));
        config.flows = (0..MAX_DELAY_SUBJECTS).map(|i| flow(&format!("f{i}"), &[0, 5], 1.0)).collect();
        config.flows[3].name = "trips".into();
        let (_, kinds) = declared(&config);
        assert!(kinds.per_source);
        assert_eq!((kinds.trips_source, kinds.freight_source), (None, None));
        config.trips =
            Some(super::super::config::TripsConfig { file: "t.csv".into(), trips: Vec::new().into() });
        config.freight = Some(FreightConfig { from: 1, per_vehicle: 20.0, to: 2, period: 60.0 });
        let sources = source_names(&config);
        assert_eq!(sources[MAX_DELAY_SUBJECTS..], ["trips_2", "freight"]);
        let (catalogue, kinds) = declared(&config);
        assert!(!kinds.per_source);
        let n = MAX_DELAY_SUBJECTS as u32;
        assert_eq!((kinds.trips_source, kinds.freight_source), (Some(n), Some(n + 1)));
        let delays: Vec<String> =
            names(&catalogue).into_iter().filter(|n| n.starts_with("delay_mean")).collect();
        assert_eq!(delays, ["delay_mean"]);
    }

    #[test]
    fn a_network_without_signals_has_no_per_node_metrics() {
        let nodes = vec![boundary("a"), boundary("b")];
        let config = city(NetworkConfig { nodes, links: vec![link("ab", 0, 1)], movements: Vec::new() });
        let (catalogue, kinds) = declared(&config);
        assert!(kinds.window.degree_of_saturation.is_none() && kinds.window.phase_changes.is_none());
        let all = names(&catalogue);
        assert!(all.contains(&"phase_changes_per_hour".to_owned()));
        assert!(!all.iter().any(|n| n.starts_with("degree_of_saturation")), "{all:?}");
    }
}
