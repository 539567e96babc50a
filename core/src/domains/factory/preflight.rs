//! What a factory's rates say before anything runs: the expected number of calendar entries per
//! replication (for work estimates and a real ETA) and each station's offered load
//! ρ = λ·E\[S\]/c (a station with ρ ≥ 1 has no steady state: its queue grows with the horizon).
//!
//! Both come from means only, so they hold for any distributions: by the elementary renewal
//! theorem a source with mean gap E\[A\] makes `horizon / E[A]` arrivals per replication in
//! expectation (up to a boundary term below one arrival), and a station's long-run work rate is
//! the sum over the routes through it of (arrival rate × mean processing time), whatever the
//! variability. Both are *offered* quantities: arrivals turned away by a full first station, and
//! flow held back by an overloaded station upstream, make the real numbers smaller.

use super::config::{Basis, FactoryConfig, LifeConfig, Policy};
use crate::diagnostics::Warning;
use crate::domains::Preflight;
use crate::time::TimeUnit;

/// Offered load from which a station with an unlimited buffer gets the milder `heavy_load`
/// warning: at ρ = 0.95 an M/M/1 queue holds 19 jobs on average and its time-averages take
/// about (1 + √ρ)² / (1 − √ρ)² ≈ 6 000 mean service times to settle (the relaxation time grows
/// like 1/(1 − ρ)²), so short horizons and warm-ups give biased answers.
pub const HEAVY_LOAD: f64 = 0.95;

/// Warning code of a station whose offered load is at least 1.
pub const OVERLOADED: &str = "overloaded";

/// Warning code of a station with an unlimited buffer whose offered load is in
/// [[`HEAVY_LOAD`], 1).
pub const HEAVY_LOAD_CODE: &str = "heavy_load";

/// The offered load of one station.
#[derive(Clone, Debug, PartialEq)]
pub struct StationLoad {
    /// Index into [`FactoryConfig::stations`].
    pub station: usize,
    /// Visits per time unit offered to it: the sum over sources of their arrival rate times the
    /// number of visits of this station on their product's route [1 / time unit].
    pub arrival_rate: f64,
    /// Mean processing time per visit, weighted by the visits' rates [time unit].
    pub mean_service: f64,
    /// Parallel machines.
    pub machines: u32,
    /// An upper bound of the fraction of time a machine is up \[fraction\]: MTBF/(MTBF + MTTR)
    /// of random failures in calendar time (an alternating renewal process), 1 without them.
    /// Wear-outs, maintenance and waits for a crew only lower it.
    pub availability: f64,
    /// Offered load ρ = `arrival_rate · mean_service / (machines · availability)`
    /// (dimensionless): the work offered per machine-time up. Its availability being an upper
    /// bound, ρ is a lower bound: a station it calls overloaded is.
    pub rho: f64,
}

/// The upper bound of a machine's availability of [`StationLoad::availability`].
fn availability_bound(life: Option<&LifeConfig>) -> f64 {
    match life.and_then(|l| l.failure.as_ref()) {
        Some(f) if f.basis == Basis::Calendar => {
            let (up, down) = (f.mtbf.mean(), f.mttr.mean());
            if up + down > 0.0 { up / (up + down) } else { 1.0 }
        }
        _ => 1.0,
    }
}

/// Expected calendar entries of machines' lives per machine over `horizon`: two per renewal
/// cycle (the failure or maintenance call, the end of the repair or maintenance), a cycle
/// lasting about the shortest of the mean time to random failure, the mean wear life
/// (`limit / rate`) and the preventive interval, plus the repair or maintenance time.
fn life_events_per_machine(life: &LifeConfig, horizon: f64) -> f64 {
    let mut up = f64::INFINITY;
    let mut down: f64 = 0.0;
    if let Some(f) = &life.failure {
        up = up.min(f.mtbf.mean());
        down = down.max(f.mttr.mean());
    }
    if let Some(w) = &life.wear {
        up = up.min(w.limit / w.rate);
        if let Some(r) = &w.repair {
            down = down.max(r.mean());
        }
    }
    if let Policy::Preventive { every, .. } = life.maintenance.policy {
        up = up.min(every);
    }
    let cycle = up + down;
    if cycle.is_finite() && cycle > 0.0 { 2.0 * horizon / cycle } else { 0.0 }
}

/// Expected calendar entries of one replication of `config` over `horizon` [time unit]: per
/// arrival one entry for the arrival itself plus one service completion per route step (due
/// dates and records schedule nothing). Arrivals that a full first station turns away make no
/// completions, so this is an upper bound when buffers are finite.
///
/// Machines that fail add about two entries per renewal cycle (see `life_events_per_machine`),
/// and each distinct sensor period one step every period.
///
/// Saturates to `+∞` rather than overflowing (e.g. `horizon = 1e300` with short gaps); a mean
/// gap of 0 also gives `+∞` (the scenario loader rejects it, see
/// [`Dist::always_zero`](crate::dist::Dist::always_zero)).
pub fn events_per_replication(config: &FactoryConfig, horizon: f64) -> f64 {
    let mut periods: Vec<f64> = Vec::new();
    let mut lives = 0.0;
    for s in &config.stations {
        let Some(life) = &s.life else { continue };
        lives += f64::from(s.machines) * life_events_per_machine(life, horizon);
        for sensor in life.sensing.iter().flat_map(|x| &x.sensors) {
            if !periods.contains(&sensor.every) {
                periods.push(sensor.every);
            }
        }
    }
    let steps: f64 = periods.iter().map(|every| horizon / every).sum();
    lives
        + steps
        + config
            .sources
            .iter()
            .map(|source| {
                let steps = config.products.get(source.product).map_or(0, |p| p.route.len());
                let gap = source.interarrival.mean();
                let arrivals = if gap > 0.0 { horizon / gap } else { f64::INFINITY };
                arrivals * (1.0 + steps as f64)
            })
            .sum::<f64>()
}

/// The offered load of every station some route visits, in station order. A station no route
/// visits is left out (its load is 0).
pub fn station_loads(config: &FactoryConfig) -> Vec<StationLoad> {
    // Per station: (visits per time unit, work per time unit [time unit / time unit]).
    let mut rates = vec![(0.0_f64, 0.0_f64); config.stations.len()];
    for source in &config.sources {
        let gap = source.interarrival.mean();
        let lambda = if gap > 0.0 { 1.0 / gap } else { f64::INFINITY };
        let Some(product) = config.products.get(source.product) else { continue };
        for step in &product.route {
            if let Some((visits, work)) = rates.get_mut(step.station) {
                *visits += lambda;
                *work += lambda * step.process.mean();
            }
        }
    }
    rates
        .into_iter()
        .zip(&config.stations)
        .enumerate()
        .filter(|(_, ((visits, _), _))| *visits > 0.0)
        .map(|(station, ((visits, work), s))| {
            let availability = availability_bound(s.life.as_ref());
            StationLoad {
                station,
                arrival_rate: visits,
                mean_service: work / visits,
                machines: s.machines,
                availability,
                rho: work / (f64::from(s.machines) * availability),
            }
        })
        .collect()
}

/// The preflight of a factory: expected entries per replication and a warning per station
/// whose offered load is at least [`HEAVY_LOAD`] (see [`station_warning`]).
pub fn preflight(config: &FactoryConfig, horizon: f64, unit: TimeUnit) -> Preflight {
    let warnings =
        station_loads(config).iter().filter_map(|load| station_warning(config, load, unit)).collect();
    Preflight { events_per_replication: events_per_replication(config, horizon), warnings }
}

/// The warning a station's offered load deserves, if any:
///
/// - ρ ≥ 1 (`overloaded`): with an unlimited buffer no steady state exists and the queue grows
///   without bound; with a finite buffer the queue cannot grow, but at least a fraction
///   1 − 1/ρ of the offered work is never done (turned away at a route's first station, or
///   held upstream by blocking);
/// - ρ in [[`HEAVY_LOAD`], 1) with an unlimited buffer (`heavy_load`): a steady state exists
///   but is slow to reach. With a finite buffer such a station is a stable loss/blocking
///   system and gets no warning.
pub fn station_warning(config: &FactoryConfig, load: &StationLoad, unit: TimeUnit) -> Option<Warning> {
    let station = config.stations.get(load.station)?;
    let unit = unit.name();
    let machines = match load.machines {
        1 => "1 machine".to_owned(),
        c => format!("{c} machines"),
    };
    let up = if load.availability < 1.0 {
        format!(", each up at most {} of the time (MTBF/(MTBF+MTTR))", number(load.availability))
    } else {
        String::new()
    };
    let facts = format!(
        "arrivals {} per {unit}, mean service {} {unit}{}, {machines}{up}",
        number(load.arrival_rate),
        number(load.mean_service),
        if load.mean_service == 1.0 { "" } else { "s" },
    );
    let name = &station.name;
    let rho = number(load.rho);
    let formula = if load.availability < 1.0 { "λ·E[S]/(c·A)" } else { "λ·E[S]/c" };
    let message = if load.rho >= 1.0 {
        match station.buffer {
            None => format!(
                "station `{name}`: offered load ρ = {formula} = {rho} ≥ 1 ({facts}): the queue grows without \
                 bound and no steady state exists; time-averages will depend on the horizon"
            ),
            Some(buffer) => format!(
                "station `{name}`: offered load ρ = {formula} = {rho} ≥ 1 ({facts}): its buffer of {buffer} \
                 stays full and at least {} % of the work offered is never done (arrivals turned away, or \
                 stations before it blocked)",
                number(100.0 * (1.0 - 1.0 / load.rho))
            ),
        }
    } else if load.rho >= HEAVY_LOAD && station.buffer.is_none() {
        format!(
            "station `{name}`: offered load ρ = {formula} = {rho}, close to 1 ({facts}): the queue is long and \
             slow to settle; use a long horizon and warm-up, and check the steady-state warnings after the run"
        )
    } else {
        return None;
    };
    let code = if load.rho >= 1.0 { OVERLOADED } else { HEAVY_LOAD_CODE };
    Some(Warning { code: code.to_owned(), variant: None, message })
}

/// `x` with at most 3 significant digits and no trailing zeros (`1.25`, `0.8`, `2`, `1.23e6`);
/// `∞` for infinity.
pub(crate) fn number(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "∞".to_owned() } else { "-∞".to_owned() };
    }
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor();
    if !(-3.0..6.0).contains(&magnitude) {
        return format!("{x:.2e}");
    }
    let decimals = (2.0 - magnitude).max(0.0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::scenario::parse;

    fn factory(tables: &str) -> FactoryConfig {
        let text = format!(
            "[scenario]\nname = \"f\"\ndomain = \"factory\"\ntime_unit = \"minute\"\nhorizon = 1000\n{tables}"
        );
        let file = parse(Path::new("f.toml"), &text, &[]).unwrap_or_else(|e| panic!("{e}"));
        crate::domains::factory::config_of(&file.baseline).clone()
    }

    const MM1: &str = r#"
[[factory.source]]
name = "orders"
product = "widget"
interarrival = { dist = "exponential", mean = 1.25 }
[[factory.product]]
name = "widget"
route = ["mill"]
[[factory.station]]
name = "mill"
machines = 1
process = { dist = "exponential", mean = 1.0 }
"#;

    #[test]
    fn mm1_at_rho_0_8_has_no_warning_and_two_entries_per_arrival() {
        let config = factory(MM1);
        let loads = station_loads(&config);
        assert_eq!(loads.len(), 1);
        assert_eq!(loads[0].rho, 0.8);
        assert_eq!(loads[0].arrival_rate, 0.8);
        assert_eq!(loads[0].mean_service, 1.0);
        let p = preflight(&config, 1000.0, TimeUnit::Minute);
        // λ = 0.8 per minute: 800 arrivals and 800 completions.
        assert_eq!(p.events_per_replication, 2.0 * 0.8 * 1000.0);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    /// ρ = 0.8 on machines up MTBF/(MTBF+MTTR) = 40/50 of the time: 0.8/0.8 = 1, overloaded
    /// (an M/M/1 whose server is away 20 % of the time has no capacity to spare). Failures add
    /// two entries per cycle of 50 minutes, a sensor one step per period.
    #[test]
    fn failures_take_capacity_and_add_entries() {
        let lives = MM1.replace(
            "process = { dist = \"exponential\", mean = 1.0 }",
            "process = { dist = \"exponential\", mean = 1.0 }\n\
             failure = { mtbf = { dist = \"exponential\", mean = 40.0 }, mttr = 10.0 }\n\
             wear = { rate = 1.0, cv = 0.5, limit = 1000.0, basis = \"calendar\" }\n\
             sensor = { every = 4.0, noise_sd = 1.0 }",
        );
        let config = factory(&lives);
        let loads = station_loads(&config);
        assert_eq!(loads[0].availability, 0.8);
        assert!((loads[0].rho - 1.0).abs() < 1e-12, "{}", loads[0].rho);
        let p = preflight(&config, 1000.0, TimeUnit::Minute);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].code, OVERLOADED);
        assert!(
            p.warnings[0].message.starts_with(
                "station `mill`: offered load ρ = λ·E[S]/(c·A) = 1 ≥ 1 (arrivals 0.8 per minute, mean service \
                 1 minute, 1 machine, each up at most 0.8 of the time (MTBF/(MTBF+MTTR))): "
            ),
            "{}",
            p.warnings[0].message
        );
        let expected = 2.0 * 0.8 * 1000.0 + 2.0 * 1000.0 / 50.0 + 1000.0 / 4.0;
        assert!((p.events_per_replication - expected).abs() < 1e-9, "{}", p.events_per_replication);
    }

    #[test]
    fn overloaded_mm1_warns_with_the_numbers() {
        let config = factory(&MM1.replace("mean = 1.25", "mean = 0.8"));
        let p = preflight(&config, 1000.0, TimeUnit::Minute);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        let w = &p.warnings[0];
        assert_eq!(w.code, OVERLOADED);
        assert_eq!(w.variant, None);
        assert_eq!(
            w.message,
            "station `mill`: offered load ρ = λ·E[S]/c = 1.25 ≥ 1 (arrivals 1.25 per minute, mean service 1 \
             minute, 1 machine): the queue grows without bound and no steady state exists; time-averages \
             will depend on the horizon"
        );
    }

    #[test]
    fn exactly_one_is_overloaded_and_heavy_load_is_milder() {
        let config = factory(&MM1.replace("mean = 1.25", "mean = 1.0"));
        let p = preflight(&config, 1000.0, TimeUnit::Minute);
        assert_eq!(p.warnings[0].code, OVERLOADED, "ρ = 1 has no steady state either");
        let config = factory(&MM1.replace("mean = 1.25", "mean = 1.04"));
        let p = preflight(&config, 1000.0, TimeUnit::Minute);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].code, HEAVY_LOAD_CODE);
        assert!(
            p.warnings[0].message.contains("ρ = λ·E[S]/c = 0.962, close to 1"),
            "{}",
            p.warnings[0].message
        );
    }

    #[test]
    fn finite_buffer_overload_says_work_is_lost_not_that_the_queue_grows() {
        let text =
            MM1.replace("mean = 1.25", "mean = 0.5").replace("machines = 1", "machines = 1\nbuffer = 5");
        let p = preflight(&factory(&text), 1000.0, TimeUnit::Minute);
        assert_eq!(p.warnings.len(), 1);
        let m = &p.warnings[0].message;
        assert!(m.contains("ρ = λ·E[S]/c = 2 ≥ 1") && m.contains("buffer of 5"), "{m}");
        assert!(m.contains("at least 50 % of the work offered is never done"), "{m}");
        assert!(!m.contains("without bound"), "{m}");
        // A stable loss system near capacity is not warned about.
        let text =
            MM1.replace("mean = 1.25", "mean = 1.02").replace("machines = 1", "machines = 1\nbuffer = 5");
        assert!(preflight(&factory(&text), 1000.0, TimeUnit::Minute).warnings.is_empty());
    }

    /// Two products share a tandem line; one visits the mill twice.
    #[test]
    fn tandem_line_sums_the_visits_of_every_route() {
        let config = factory(
            r#"
[[factory.source]]
name = "a"
product = "p"
interarrival = 2
[[factory.source]]
name = "b"
product = "q"
interarrival = { dist = "uniform", min = 2, max = 6 }
[[factory.product]]
name = "p"
route = ["mill", "lathe", "mill"]
[[factory.product]]
name = "q"
route = ["lathe"]
process = { lathe = { dist = "erlang", k = 2, mean = 2.0 } }
[[factory.station]]
name = "mill"
machines = 2
process = { dist = "triangular", min = 0.5, mode = 1, max = 1.5 }
[[factory.station]]
name = "lathe"
machines = 1
process = { dist = "exponential", rate = 2 }
[[factory.station]]
name = "idle"
machines = 1
process = 1
"#,
        );
        let loads = station_loads(&config);
        assert_eq!(loads.iter().map(|l| l.station).collect::<Vec<_>>(), [0, 1], "`idle` is on no route");
        // mill: source a (λ = 0.5) twice, 1 minute each, 2 machines → ρ = 0.5.
        assert_eq!((loads[0].arrival_rate, loads[0].mean_service, loads[0].rho), (1.0, 1.0, 0.5));
        // lathe: a at 0.5 × 0.5 min + b at 0.25 × 2 min = 0.75 minutes of work per minute.
        assert_eq!(loads[1].arrival_rate, 0.75);
        assert_eq!(loads[1].rho, 0.75);
        assert!((loads[1].mean_service - 1.0).abs() < 1e-15);
        // a: 500 arrivals × (1 + 3 completions); b: 250 × (1 + 1).
        assert_eq!(events_per_replication(&config, 1000.0), 500.0 * 4.0 + 250.0 * 2.0);
    }

    #[test]
    fn absurd_horizons_saturate_instead_of_overflowing() {
        let config = factory(&MM1.replace("mean = 1.25", "mean = 1e-10"));
        let events = events_per_replication(&config, 1e300);
        assert_eq!(events, f64::INFINITY);
        let events = events_per_replication(&factory(MM1), 1e300);
        assert!(events.is_finite() && events > 1e300, "{events}");
    }

    #[test]
    fn numbers_have_three_significant_digits() {
        assert_eq!(number(1.25), "1.25");
        assert_eq!(number(0.8), "0.8");
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.961_538), "0.962");
        assert_eq!(number(123.456), "123");
        assert_eq!(number(50.0), "50");
        assert_eq!(number(2.5e7), "2.50e7");
        assert_eq!(number(f64::INFINITY), "∞");
    }
}
