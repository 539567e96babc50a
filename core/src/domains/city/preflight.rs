//! What a city's config says before it runs: the expected events and cautions.
//!
//! Events (an estimate from mean rates, plan D2): per vehicle one departure, one stop-line
//! crossing per junction and one exit, i.e. (links on its path + 1); plus about one signal
//! decision per signalised node every 5 s (the default step of the adaptive controllers).
//!
//! Cautions, from the design flows (plan §4.4):
//! - `over_capacity`: a node timed by `fixed_time` splits (`cycle`, `greens`) gives some
//!   movement a capacity s·lanes·factor·g/C at most its design flow (v/c ≥ 1): its queue grows
//!   for as long as that flow lasts;
//! - `webster_saturated`: a node timed by `fixed_time` in `mode = "webster"` whose critical
//!   flow ratios sum to Y ≥ 0.9: Webster's cycle (1.5L + 5)/(1 − Y) is very long (or, for
//!   Y ≥ 1, does not exist and the controller uses `cycle_max`).

use serde_json::Value;

use super::config::{Arrivals, CityConfig, NodeControl, PathSpec};
use super::demand::{TurnTable, design_flows, expected_departures, propagate};
use crate::diagnostics::Warning;
use crate::domains::factory::preflight::number;
use crate::domains::{Preflight, RunShape};

/// Warning code of a fixed-time movement with v/c ≥ 1.
pub(crate) const OVER_CAPACITY: &str = "over_capacity";

/// Warning code of a Webster node with Y ≥ [`WEBSTER_Y`].
pub(crate) const WEBSTER_SATURATED: &str = "webster_saturated";

/// Sum of critical flow ratios from which Webster's cycle is too long to trust.
pub(crate) const WEBSTER_Y: f64 = 0.9;

/// Mean time between two decisions of an adaptive controller [s] (their default `step`).
const DECISION_STEP: f64 = 5.0;

/// The expected calendar entries of one replication and the cautions of `config`.
pub(crate) fn preflight(config: &CityConfig, run: RunShape) -> Preflight {
    let horizon = run.horizon.as_f64();
    let design = design_flows(config);
    let warnings = config
        .network
        .nodes
        .iter()
        .filter_map(|node| node.control.as_ref().map(|c| (node.name.as_str(), c)))
        .filter_map(|(name, control)| node_warning(config, name, control, &design))
        .collect();
    Preflight { events_per_replication: events_per_replication(config, horizon), warnings }
}

/// Expected calendar entries over [0, horizon] [s].
fn events_per_replication(config: &CityConfig, horizon: f64) -> f64 {
    let mut events = 0.0;
    let mut turning = Vec::new();
    for flow in &config.flows {
        let departures = match flow.arrivals {
            Arrivals::Poisson => expected_departures(&flow.profile, horizon),
            Arrivals::Deterministic { headway, offset } if offset <= horizon => {
                ((horizon - offset) / headway).floor() + 1.0
            }
            Arrivals::Deterministic { .. } => 0.0,
        };
        match &flow.path {
            PathSpec::Fixed(path) => events += departures * (path.len() as f64 + 1.0),
            PathSpec::TurnRatios { first } => {
                // Each vehicle's links: the expected visits of its turn-ratio walk (below).
                events += departures;
                turning.push((*first, departures));
            }
        }
    }
    if !turning.is_empty() {
        let visits = propagate(config, &TurnTable::new(config), &turning);
        events += visits.links.iter().sum::<f64>();
    }
    if let Some(trips) = &config.trips {
        events += trips
            .trips
            .iter()
            .filter(|t| t.depart <= horizon)
            .map(|t| t.path.len() as f64 + 1.0)
            .sum::<f64>();
    }
    let signalised = config.network.nodes.iter().filter(|n| n.control.is_some()).count();
    events + signalised as f64 * horizon / DECISION_STEP
}

/// Whether a plugin name is the built-in `fixed_time` (alone or as `library/fixed_time`).
fn is_fixed_time(plugin: &str) -> bool {
    plugin.rsplit('/').next() == Some("fixed_time")
}

/// A list of finite numbers under `key`, if the parameters have one.
fn numbers(params: &Value, key: &str) -> Option<Vec<f64>> {
    params.get(key)?.as_array()?.iter().map(Value::as_f64).collect()
}

/// `in>out`: a movement in words.
fn movement_name(config: &CityConfig, m: usize) -> String {
    let mv = &config.network.movements[m];
    let links = &config.network.links;
    format!("{}>{}", links[mv.from as usize].name, links[mv.to as usize].name)
}

/// Saturation flow of movement `m` [veh/h]: s·lanes·permitted_factor of its in-link.
fn saturation(config: &CityConfig, m: usize) -> f64 {
    let mv = &config.network.movements[m];
    let link = &config.network.links[mv.from as usize];
    link.saturation * f64::from(link.lanes) * mv.permitted_factor
}

/// The caution a signalised node deserves, if any.
fn node_warning(config: &CityConfig, name: &str, control: &NodeControl, design: &[f64]) -> Option<Warning> {
    if !is_fixed_time(&control.signal.plugin) {
        return None;
    }
    // The parameters were written by the scenario parser as a JSON object; anything else is
    // the plugin's to refuse.
    let params: Value = serde_json::from_str(&control.signal.params).ok()?;
    if params.get("mode").and_then(Value::as_str) == Some("webster") {
        webster_warning(config, name, control, design, &params)
    } else {
        splits_warning(config, name, control, design, &params)
    }
}

/// v/c ≥ 1 of some movement under fixed splits.
fn splits_warning(
    config: &CityConfig,
    name: &str,
    control: &NodeControl,
    design: &[f64],
    params: &Value,
) -> Option<Warning> {
    let cycle = params.get("cycle")?.as_f64()?;
    let greens = numbers(params, "greens")?;
    if greens.len() != control.phases.len() || cycle <= 0.0 {
        return None;
    }
    let t = &control.timing;
    let lost = t.startup_lost + t.clearance_lost;
    // Effective green per cycle of every movement of the node [s].
    let mut green: Vec<(usize, f64)> = Vec::new();
    for (phase, movements) in control.phases.iter().enumerate() {
        let g = (greens[phase] + t.yellow + t.all_red - lost).max(0.0);
        for &m in movements {
            match green.iter_mut().find(|(x, _)| *x == m as usize) {
                Some((_, sum)) => *sum += g,
                None => green.push((m as usize, g)),
            }
        }
    }
    // The worst movement (v/c, then lowest index) and how many are at or over capacity.
    let node = config.network.nodes.iter().position(|n| n.name == name)? as u32;
    let mut worst: Option<(f64, usize, f64)> = None;
    let mut over = 0;
    for (m, mv) in config.network.movements.iter().enumerate() {
        if mv.node != node || design[m] <= 0.0 {
            continue;
        }
        let g = green.iter().find(|(x, _)| *x == m).map_or(0.0, |(_, g)| *g);
        let capacity = saturation(config, m) * g / cycle;
        let vc = design[m] / capacity;
        if vc >= 1.0 {
            over += 1;
            if worst.is_none_or(|(w, _, _)| vc > w) {
                worst = Some((vc, m, capacity));
            }
        }
    }
    let (vc, m, capacity) = worst?;
    let others = match over {
        1 => String::new(),
        2 => " (and 1 other movement)".to_owned(),
        n => format!(" (and {} other movements)", n - 1),
    };
    Some(Warning {
        code: OVER_CAPACITY.to_owned(),
        variant: None,
        message: format!(
            "node `{name}`: movement `{}` gets {} veh/h of demand but its fixed timing (cycle {} s) serves at \
             most {} veh/h (v/c = {} ≥ 1){others}: its queue grows for as long as that demand lasts",
            movement_name(config, m),
            number(design[m]),
            number(cycle),
            number(capacity),
            number(vc),
        ),
    })
}

/// Y ≥ 0.9 under Webster's method.
fn webster_warning(
    config: &CityConfig,
    name: &str,
    control: &NodeControl,
    design: &[f64],
    params: &Value,
) -> Option<Warning> {
    let flows = numbers(params, "flows").filter(|f| f.len() == control.phases.len());
    let mut y_sum = 0.0;
    for (phase, movements) in control.phases.iter().enumerate() {
        let y = movements
            .iter()
            .map(|&m| {
                let q = flows.as_ref().map_or(design[m as usize], |f| f[phase]);
                q / saturation(config, m as usize)
            })
            .fold(0.0, f64::max);
        y_sum += y;
    }
    if y_sum < WEBSTER_Y {
        return None;
    }
    let t = &control.timing;
    let lost = control.phases.len() as f64 * (t.startup_lost + t.clearance_lost);
    let why = if y_sum >= 1.0 {
        "no cycle can serve this demand (Webster needs Y < 1); the controller runs its longest cycle \
         (`cycle_max`) and queues grow"
            .to_owned()
    } else {
        format!(
            "Webster's cycle (1.5L + 5)/(1 − Y) = {} s (L = {} s) is long and sensitive to the flows; check \
             `cycle_max`",
            number((1.5 * lost + 5.0) / (1.0 - y_sum)),
            number(lost)
        )
    };
    Some(Warning {
        code: WEBSTER_SATURATED.to_owned(),
        variant: None,
        message: format!(
            "node `{name}`: the critical flow ratios of its phases sum to Y = {} ≥ {}: {why}",
            number(y_sum),
            number(WEBSTER_Y)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::kinds::fixtures::{cross, flow, plugin};
    use super::*;
    use crate::time::{SimTime, TimeUnit};

    fn run(horizon: f64) -> RunShape {
        RunShape { horizon: SimTime::new(horizon).unwrap(), time_unit: TimeUnit::Second }
    }

    /// The cross timed by `signal`, north → south at `ns` and east → west at `ew` veh/h.
    fn config(plugin_name: &str, params: &str, ns: f64, ew: f64) -> CityConfig {
        let mut config = cross(plugin(plugin_name, params));
        config.flows = vec![flow("ns", &[0, 5], ns), flow("ew", &[2, 7], ew)];
        config
    }

    const SPLITS: &str = r#"{"cycle":60.0,"greens":[27.0,23.0]}"#;

    #[test]
    fn events_count_a_departure_a_crossing_per_junction_an_exit_and_decisions() {
        let p = preflight(&config("fixed_time", SPLITS, 588.0, 420.0), run(3600.0));
        // (588 + 420) vehicles × 3 entries + 1 node × 3600 / 5 decisions.
        assert_eq!(p.events_per_replication, 1008.0 * 3.0 + 720.0);
        let mut c = config("fixed_time", SPLITS, 588.0, 420.0);
        c.flows[1].arrivals = Arrivals::Deterministic { headway: 6.0, offset: 0.0 };
        // Departures at 0, 6, …, 3600: 601.
        assert_eq!(preflight(&c, run(3600.0)).events_per_replication, (588.0 + 601.0) * 3.0 + 720.0);
    }

    #[test]
    fn fixed_splits_below_the_demand_are_flagged() {
        // g = 27 + 3 + 2 − 4 = 28 of 60 s: 840 veh/h for north-south, 720 for east-west.
        let fine = preflight(&config("fixed_time", SPLITS, 588.0, 420.0), run(3600.0));
        assert_eq!(fine.warnings, []);
        let p = preflight(&config("fixed_time", SPLITS, 900.0, 720.0), run(3600.0));
        assert_eq!(p.warnings.len(), 1);
        let w = &p.warnings[0];
        assert_eq!(w.code, OVER_CAPACITY);
        assert_eq!(
            w.message,
            "node `x`: movement `north-in>south-out` gets 900 veh/h of demand but its fixed timing (cycle 60 s) \
             serves at most 840 veh/h (v/c = 1.07 ≥ 1) (and 1 other movement): its queue grows for as long as \
             that demand lasts"
        );
        // Another controller, or a library's own `fixed_time` name: only the built-in is read.
        assert_eq!(preflight(&config("actuated", SPLITS, 900.0, 720.0), run(3600.0)).warnings, []);
        let lib = preflight(&config("xinzhi-signals/fixed_time", SPLITS, 900.0, 720.0), run(3600.0));
        assert_eq!(lib.warnings.len(), 1);
    }

    #[test]
    fn webster_with_critical_ratios_summing_to_0_9_or_more_is_flagged() {
        let webster = r#"{"mode":"webster"}"#;
        // y = 900/1800 + 600/1800 = 0.833: no warning.
        assert_eq!(preflight(&config("fixed_time", webster, 900.0, 600.0), run(3600.0)).warnings, []);
        // 0.5 + 0.4 = 0.9: C₀ = (1.5·8 + 5)/0.1 = 170 s.
        let p = preflight(&config("fixed_time", webster, 900.0, 720.0), run(3600.0));
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].code, WEBSTER_SATURATED);
        assert!(
            p.warnings[0]
                .message
                .starts_with("node `x`: the critical flow ratios of its phases sum to Y = 0.9 ≥ 0.9")
        );
        assert!(p.warnings[0].message.contains("= 170 s (L = 8 s)"), "{}", p.warnings[0].message);
        let p = preflight(&config("fixed_time", webster, 1200.0, 720.0), run(3600.0));
        assert!(
            p.warnings[0].message.contains("Y = 1.07 ≥ 0.9: no cycle can serve"),
            "{}",
            p.warnings[0].message
        );
        // `flows` per phase replace the design flows.
        let given = r#"{"flows":[900.0,900.0],"mode":"webster"}"#;
        let p = preflight(&config("fixed_time", given, 100.0, 100.0), run(3600.0));
        assert!(p.warnings[0].message.contains("Y = 1 ≥ 0.9"), "{}", p.warnings[0].message);
    }
}
