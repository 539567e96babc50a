//! `fixed_time`: the same plan every cycle, from given splits or from Webster's formula, with an
//! optional offset for coordination.
//!
//! A plan is one displayed green `G_p` per phase; each green is followed by the node's
//! intergreen `I = Y + AR`, so the cycle is `C = Σ_p (G_p + I)`. At the green start of phase `p`
//! the controller answers `EXTEND(G_p)`, at its end `SWITCH((p + 1) mod n)`.

use xinzhi_plugin::{
    Component, Config, Host, IntersectionObs, PluginError, SignalController, SignalDecision, SignalView,
};

use crate::common::{EPS, PerNode, extend_while, must_switch, next_phase, switch};
use crate::params::{Params, Rule};

/// Webster's optimum cycle and its effective greens, unrounded.
///
/// `y[p]` is phase `p`'s critical flow ratio `q/s`, `lost_s` the lost time of the whole cycle
/// `L = Σ_p (l₁ + l₂)` \[s\]. With `Y = Σ y`: `C₀ = (1.5·L + 5)/(1 − Y)`, clamped to
/// `[cycle_min, cycle_max]` (`cycle_max` when `Y ≥ 1`: no cycle serves that demand, and the
/// longest one loses least to switching); effective greens `g_p = (y_p/Y)·(C₀ − L)`, or an equal
/// share of `C₀ − L` when `Y = 0`. Returns `(C₀, g)` \[s\]. Webster (1958), validation.md §3.1.
pub fn webster(y: &[f64], lost_s: f64, cycle_min: f64, cycle_max: f64) -> (f64, Vec<f64>) {
    let big_y: f64 = y.iter().sum();
    let cycle = if big_y < 1.0 {
        ((1.5 * lost_s + 5.0) / (1.0 - big_y)).max(cycle_min).min(cycle_max)
    } else {
        cycle_max
    };
    let greens = if big_y > 0.0 {
        y.iter().map(|yp| yp / big_y * (cycle - lost_s)).collect()
    } else {
        vec![(cycle - lost_s) / y.len().max(1) as f64; y.len()]
    };
    (cycle, greens)
}

/// Where the plan comes from.
#[derive(Clone, Debug, PartialEq)]
enum Timing {
    /// Given: the cycle and the displayed greens \[s\].
    Splits { cycle: f64, greens: Vec<f64> },
    /// Webster's, per node from its flows: `flows` per phase \[veh/h\], or the movements'
    /// design flows; the cycle clamped to `[cycle_min, cycle_max]` \[s\].
    Webster { flows: Option<Vec<f64>>, cycle_min: f64, cycle_max: f64 },
}

/// One node's plan.
#[derive(Clone, Debug, PartialEq)]
struct Plan {
    /// Displayed greens of a regular cycle \[s\].
    greens: Vec<f64>,
    /// With an offset: the start of the first green seen and the greens of the first,
    /// aligning cycle (by phase; phases before the first one seen unused) \[s\].
    first: Option<(f64, Vec<f64>)>,
}

/// Fixed-time control: splits, Webster, offsets.
#[derive(Debug)]
pub struct FixedTime {
    timing: Timing,
    offset: Option<f64>,
    plans: PerNode<Plan>,
}

impl Component for FixedTime {
    const NAME: &'static str = "fixed_time";
    const DESCRIPTION: &'static str =
        "the same plan every cycle: given splits or Webster's, with an optional offset";
    const PARAMETERS: &'static str =
        "mode: \"splits\" (cycle and greens given) or \"webster\" (string, \"splits\")
cycle: cycle length, = Σ(green + yellow + all-red) (seconds > 0, required with splits)
greens: displayed green of each phase (list of seconds > 0, required with splits)
flows: critical flow of each phase for Webster, else the movements' design flows (list of veh/h, none)
cycle_min: shortest Webster cycle (seconds > 0, 30)
cycle_max: longest Webster cycle (seconds > 0, 180)
offsets: phase 0's green starts at offsets + k·cycle; the first cycle adapts (seconds, none)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let p = Params::parse(
            config,
            &["mode", "cycle", "greens", "flows", "cycle_min", "cycle_max", "offsets"],
        )?;
        let timing = match p.choice("mode", &["splits", "webster"])?.unwrap_or("splits") {
            "webster" => {
                if let Some(k) = ["cycle", "greens"].into_iter().find(|k| p.has(k)) {
                    return Err(PluginError::invalid_config(format!(
                        "`{k}` does not apply to mode = \"webster\", which computes the cycle and the greens"
                    )));
                }
                let cycle_min = p.number_or("cycle_min", Rule::Positive, 30.0)?;
                let cycle_max = p.number_or("cycle_max", Rule::Positive, 180.0)?;
                if cycle_max < cycle_min {
                    return Err(PluginError::invalid_config(format!(
                        "`cycle_max` ({cycle_max}) must be ≥ `cycle_min` ({cycle_min})"
                    )));
                }
                Timing::Webster { flows: p.numbers("flows", Rule::NonNegative)?, cycle_min, cycle_max }
            }
            _ => {
                if let Some(k) = ["flows", "cycle_min", "cycle_max"].into_iter().find(|k| p.has(k)) {
                    return Err(PluginError::invalid_config(format!(
                        "`{k}` applies to mode = \"webster\" only (this plan is given by `cycle` and `greens`)"
                    )));
                }
                let missing =
                    |k| PluginError::invalid_config(format!("`{k}` is required (or mode = \"webster\")"));
                let cycle = p.number("cycle", Rule::Positive)?.ok_or_else(|| missing("cycle"))?;
                let greens = p.numbers("greens", Rule::Positive)?.ok_or_else(|| missing("greens"))?;
                let sum: f64 = greens.iter().sum();
                if sum >= cycle {
                    return Err(PluginError::invalid_config(format!(
                        "`greens` sum to {sum} s, leaving no time for yellow and all-red in `cycle` = {cycle} s"
                    )));
                }
                Timing::Splits { cycle, greens }
            }
        };
        Ok(FixedTime { timing, offset: p.number("offsets", Rule::Finite)?, plans: PerNode::default() })
    }
}

impl FixedTime {
    /// The regular cycle and displayed greens of node `x` \[s\].
    fn regular(&self, view: &SignalView<'_>, x: &IntersectionObs) -> Result<(f64, Vec<f64>), PluginError> {
        let n = x.n_phases as usize;
        let node = x.node;
        let intergreen = x.intergreen_s;
        match &self.timing {
            Timing::Splits { cycle, greens } => {
                if greens.len() != n {
                    return Err(PluginError::invalid_config(format!(
                        "node {node}: `greens` has {} values, but the node has {n} phases",
                        greens.len()
                    )));
                }
                let sum: f64 = greens.iter().map(|g| g + intergreen).sum();
                if (sum - cycle).abs() > 1e-6 * cycle.max(1.0) {
                    return Err(PluginError::invalid_config(format!(
                        "node {node}: `greens` plus {intergreen} s of yellow and all-red after each sum to {sum} s, \
                         not `cycle` = {cycle} s"
                    )));
                }
                Ok((*cycle, greens.clone()))
            }
            Timing::Webster { flows, cycle_min, cycle_max } => {
                let y = flow_ratios(view, x, flows.as_deref())?;
                let lost = n as f64 * x.lost_per_phase_s;
                let (cycle, g) = webster(&y, lost, *cycle_min, *cycle_max);
                if cycle <= lost {
                    return Err(PluginError::invalid_config(format!(
                        "node {node}: `cycle_max` = {cycle_max} s leaves no green after the lost time {lost} s"
                    )));
                }
                // Displayed G = effective g − (Y + AR) + l₁ + l₂ (the conventions).
                Ok((cycle, g.iter().map(|g| g - intergreen + x.lost_per_phase_s).collect()))
            }
        }
    }

    /// Node `x`'s plan, made at the first call for it.
    fn plan(&self, view: &SignalView<'_>, x: &IntersectionObs) -> Result<Plan, PluginError> {
        let (cycle, greens) = self.regular(view, x)?;
        let first = self.offset.map(|offset| {
            let start = view.now() - x.elapsed_green_s;
            (start, first_cycle(&greens, cycle, offset, start, x))
        });
        Ok(Plan { greens, first })
    }
}

/// The critical flow ratio `y_p` of every phase of `x`: `flows[p] / (s·lanes)` of the phase's
/// largest movement when `flows` is given, else the largest `q/(s·lanes)` over the phase's
/// movements with `q` their design flow.
fn flow_ratios(
    view: &SignalView<'_>,
    x: &IntersectionObs,
    flows: Option<&[f64]>,
) -> Result<Vec<f64>, PluginError> {
    let node = x.node;
    if let Some(f) = flows
        && f.len() != x.n_phases as usize
    {
        return Err(PluginError::invalid_config(format!(
            "node {node}: `flows` has {} values, but the node has {} phases",
            f.len(),
            x.n_phases
        )));
    }
    (0..x.n_phases)
        .map(|p| {
            if let Some(f) = flows {
                let q = f[p as usize];
                let capacity =
                    view.phase(x, p).map(|m| m.sat_flow_vph * f64::from(m.lanes)).fold(0.0, f64::max);
                return match (q, capacity > 0.0) {
                    (0.0, _) => Ok(0.0),
                    (q, true) => Ok(q / capacity),
                    _ => Err(PluginError::invalid_config(format!(
                        "node {node}: `flows` gives phase {p} {q} veh/h, but the phase serves no movement"
                    ))),
                };
            }
            view.phase(x, p).try_fold(0.0, |y: f64, m| {
                let capacity = m.sat_flow_vph * f64::from(m.lanes);
                if !(m.design_flow_vph.is_finite() && m.design_flow_vph >= 0.0 && capacity > 0.0) {
                    return Err(PluginError::invalid_config(format!(
                        "node {node}: movement {}>{} of phase {p} has no design flow (found {} veh/h); \
                         give `flows` per phase",
                        m.in_link, m.out_link, m.design_flow_vph
                    )));
                }
                Ok(y.max(m.design_flow_vph / capacity))
            })
        })
        .collect()
}

/// The greens of the first cycle, from the green start `start` of `x`'s current phase `p₀`
/// until phase 0's green starts at an instant `offset + k·cycle`: the first such instant that
/// phases `p₀…n−1` can reach with at least their min greens `m_q = min(min_green, G_q)`. The
/// time left over that minimum is shared in proportion to `G_q − m_q` (equally when all are 0),
/// so the first cycle is as short as the min greens allow, and regular when already aligned.
fn first_cycle(greens: &[f64], cycle: f64, offset: f64, start: f64, x: &IntersectionObs) -> Vec<f64> {
    let p0 = (x.phase as usize).min(greens.len());
    let rest = &greens[p0..];
    let min = |g: f64| g.min(x.min_green_s);
    let need: f64 = rest.iter().map(|&g| min(g) + x.intergreen_s).sum();
    let k = ((start + need - offset) / cycle - EPS).ceil();
    let extra = (offset + k * cycle - start - need).max(0.0);
    let slack: f64 = rest.iter().map(|&g| g - min(g)).sum();
    let mut first = greens.to_vec();
    for g in &mut first[p0..] {
        let share = if slack > EPS { (*g - min(*g)) / slack } else { 1.0 / rest.len() as f64 };
        *g = min(*g) + extra * share;
    }
    first
}

impl SignalController for FixedTime {
    fn decide(&mut self, view: &SignalView<'_>, out: &mut [SignalDecision]) -> Result<(), PluginError> {
        for (x, d) in view.intersections().iter().zip(out) {
            let plan = match self.plans.get_mut(x.node) {
                Some(plan) => plan,
                None => {
                    let plan = self.plan(view, x)?;
                    self.plans.set(x.node, plan)
                }
            };
            let start = view.now() - x.elapsed_green_s;
            // A later phase-0 green ends the aligning cycle.
            if plan.first.as_ref().is_some_and(|(s, _)| x.phase == 0 && start > s + EPS) {
                plan.first = None;
            }
            let p = x.phase as usize;
            let Some(&green) = plan.first.as_ref().map_or(&plan.greens, |(_, f)| f).get(p) else {
                return Err(PluginError::invalid_input(format!(
                    "node {}: phase {p} of {} phases, but its plan has {}",
                    x.node,
                    x.n_phases,
                    plan.greens.len()
                )));
            };
            *d = if x.n_phases < 2 {
                // One phase: always green; ask again once a cycle.
                SignalDecision::extend(green.max(1.0))
            } else if must_switch(x) {
                switch(x, next_phase(x))?
            } else {
                match extend_while(green - x.elapsed_green_s) {
                    Some(e) => e,
                    None => switch(x, next_phase(x))?,
                }
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{Snap, assert_greens, build, decide, decide_one, greens, mov};

    /// One node with a movement per phase (`n` phases) and this intergreen and lost time.
    fn node(n: usize, intergreen: f64, lost: f64) -> Snap {
        let movements = vec![mov(0); n];
        let phases: Vec<Vec<u32>> = (0..n as u32).map(|p| vec![p]).collect();
        let phases: Vec<&[u32]> = phases.iter().map(Vec::as_slice).collect();
        let mut s = Snap::at(0.0);
        let x = s.node(0, &movements, &phases);
        (x.intergreen_s, x.lost_per_phase_s, x.max_green_s) = (intergreen, lost, 1e9);
        s
    }

    /// Published and hand-worked Webster cases (validation.md §3.1, city.md §3.5 S1). The
    /// formula is evaluated by hand in each case; the published values are met to their digits.
    #[test]
    fn webster_cycle_formula() {
        let close = |a: f64, b: f64, tol: f64| assert!((a - b).abs() <= tol, "{a} vs {b}");
        // q = 500 and 300 pcu/h, s = 1600: y = 0.3125, 0.1875; Y = 0.5, L = 16.
        let (c, g) = webster(&[500.0 / 1600.0, 300.0 / 1600.0], 16.0, 0.0, f64::INFINITY);
        close(c, (1.5 * 16.0 + 5.0) / 0.5, 1e-12);
        close(c, 58.0, 1e-12);
        close(g[0], 26.25, 1e-12);
        close(g[1], 15.75, 1e-12);
        // y = 0.25, 0.25, 0.22, L = 12: C₀ = 23/0.28 = 82.142857…, published 82.1.
        let (c, g) = webster(&[0.25, 0.25, 0.22], 12.0, 0.0, f64::INFINITY);
        close(c, 23.0 / 0.28, 1e-12);
        close(c, 82.1, 0.05);
        for (g, want) in g.iter().zip([24.36, 24.36, 21.43]) {
            close(*g, want, 1e-2);
        }
        // y = 0.37, 0.40, L = 2 × 3 = 6: C₀ = 14/0.23 = 60.8696.
        let (c, g) = webster(&[0.37, 0.40], 6.0, 0.0, f64::INFINITY);
        close(c, 14.0 / 0.23, 1e-12);
        close(c, 60.87, 1e-2);
        close(g[0], 26.37, 1e-2);
        close(g[1], 28.50, 1e-2);
        // S1: N,S 900, E,W 450 veh/h at 1800: y = 0.5, 0.25, L = 2 × 4 = 8 → C = 17/0.25 = 68,
        // g = 40, 20.
        let (c, g) = webster(&[0.5, 0.25], 8.0, 30.0, 180.0);
        close(c, 68.0, 1e-12);
        close(g[0], 40.0, 1e-12);
        close(g[1], 20.0, 1e-12);
        // Clamps: Y = 0.1 gives 17/0.9 = 18.9 → 30; Y ≥ 1 → cycle_max; Y = 0 → equal split.
        assert_eq!(webster(&[0.05, 0.05], 8.0, 30.0, 180.0).0, 30.0);
        assert_eq!(
            webster(&[0.6, 0.5], 8.0, 30.0, 180.0),
            (180.0, vec![172.0 * 0.6 / 1.1, 172.0 * 0.5 / 1.1])
        );
        assert_eq!(webster(&[0.0, 0.0], 8.0, 30.0, 180.0), (30.0, vec![11.0, 11.0]));
    }

    /// city.md §3.1: G = 27 and 23, Y + AR = 5, C = 60: the plan answers EXTEND(G_p) at each green
    /// start and SWITCH at its end, cycle after cycle.
    #[test]
    fn splits_run_the_given_greens() {
        let mut c: FixedTime = build(r#"{"cycle": 60, "greens": [27, 23]}"#).unwrap();
        let s = node(2, 5.0, 4.0);
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(27.0));
        let got = greens(&mut c, &s, 0.0, 180.0).unwrap();
        assert_greens(
            &got,
            &[
                (0, 0.0, 27.0),
                (1, 32.0, 55.0),
                (0, 60.0, 87.0),
                (1, 92.0, 115.0),
                (0, 120.0, 147.0),
                (1, 152.0, 175.0),
            ],
        );
        // Called early (a requested call mid-green): the rest of the green.
        let mut s = node(2, 5.0, 4.0);
        (s.nodes[0].phase, s.nodes[0].elapsed_green_s, s.nodes[0].reason) =
            (1, 20.5, IntersectionObs::REQUESTED);
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(2.5));
        // At max green with a call waiting: the next phase at once.
        s.nodes[0].reason = IntersectionObs::MAX_GREEN;
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::switch(0));
    }

    #[test]
    fn greens_that_do_not_fill_the_cycle_are_an_error_naming_greens() {
        let mut c: FixedTime = build(r#"{"cycle": 60, "greens": [27, 23]}"#).unwrap();
        // Y + AR = 4: 27 + 4 + 23 + 4 = 58 ≠ 60.
        let e = decide(&mut c, &node(2, 4.0, 4.0)).unwrap_err();
        assert_eq!(
            e.message,
            "node 0: `greens` plus 4 s of yellow and all-red after each sum to 58 s, not `cycle` = 60 s"
        );
        let e = decide(&mut c, &node(3, 5.0, 4.0)).unwrap_err();
        assert_eq!(e.message, "node 0: `greens` has 2 values, but the node has 3 phases");
    }

    /// S1 from design flows: N, S 900 and E, W 450 veh/h at 1800 veh/h, 4 s lost per phase
    /// (Y + AR = l₁ + l₂ = 4, so displayed = effective): C = 68, G = 40 / 20.
    #[test]
    fn webster_mode_plans_each_node_from_its_design_flows() {
        let flows = [900.0, 900.0, 450.0, 450.0];
        let movements: Vec<_> = flows.iter().map(|&q| with_flow(q)).collect();
        let mut s = Snap::at(0.0);
        s.node(3, &movements, &[&[0, 1], &[2, 3]]).max_green_s = 1e9;
        let mut c: FixedTime = build(r#"{"mode": "webster"}"#).unwrap();
        assert_greens(
            &greens(&mut c, &s, 0.0, 136.0).unwrap(),
            &[(0, 0.0, 40.0), (1, 44.0, 64.0), (0, 68.0, 108.0), (1, 112.0, 132.0)],
        );
        // Y + AR = 5 with l₁ + l₂ = 4: displayed greens are 1 s shorter, the cycle the same.
        s.nodes[0].intergreen_s = 5.0;
        let mut c: FixedTime = build(r#"{"mode": "webster"}"#).unwrap();
        assert_greens(&greens(&mut c, &s, 0.0, 68.0).unwrap(), &[(0, 0.0, 39.0), (1, 44.0, 63.0)]);
        // The same from `flows` (per phase), ignoring the design flows.
        let mut c: FixedTime = build(r#"{"mode": "webster", "flows": [900, 450]}"#).unwrap();
        s.nodes[0].intergreen_s = 4.0;
        for m in &mut s.movements {
            m.design_flow_vph = f64::NAN;
        }
        assert_greens(&greens(&mut c, &s, 0.0, 68.0).unwrap(), &[(0, 0.0, 40.0), (1, 44.0, 64.0)]);
        // Without flows, a movement without a design flow is an error naming `flows`.
        let mut c: FixedTime = build(r#"{"mode": "webster"}"#).unwrap();
        let e = decide(&mut c, &s).unwrap_err();
        assert!(
            e.message.starts_with("node 3: movement 0>0 of phase 0 has no design flow")
                && e.message.contains("`flows`"),
            "{e:?}"
        );
        let mut c: FixedTime = build(r#"{"mode": "webster", "flows": [900]}"#).unwrap();
        assert_eq!(
            decide(&mut c, &s).unwrap_err().message,
            "node 3: `flows` has 1 values, but the node has 2 phases"
        );
    }

    /// Offsets: with C = 60, G = 27/23 and Y + AR = 5, min green 5, starting in phase 0 at t = 0.
    #[test]
    fn offsets_align_phase_zero_after_a_first_cycle_as_short_as_min_greens_allow() {
        let run = |offset: f64| {
            let mut c: FixedTime =
                build(&format!(r#"{{"cycle": 60, "greens": [27, 23], "offsets": {offset}}}"#)).unwrap();
            greens(&mut c, &node(2, 5.0, 4.0), 0.0, 100.0).unwrap()
        };
        // Offset 0 (or any multiple of C): aligned already, regular cycles.
        assert_greens(&run(0.0), &[(0, 0.0, 27.0), (1, 32.0, 55.0), (0, 60.0, 87.0), (1, 92.0, 115.0)]);
        assert_greens(&run(-120.0), &run(0.0));
        // Offset 30: the min greens need 2·(5 + 5) = 20 s ≤ 30, so phase 0 restarts at 30; the
        // 10 s above the minimum go 22 : 18 (the greens' slack over 5 s): 10.5 and 9.5.
        assert_greens(
            &run(30.0),
            &[(0, 0.0, 10.5), (1, 15.5, 25.0), (0, 30.0, 57.0), (1, 62.0, 85.0), (0, 90.0, 117.0)],
        );
        // Offset 20 = exactly the minimum: both at min green.
        assert_greens(
            &run(20.0),
            &[(0, 0.0, 5.0), (1, 10.0, 15.0), (0, 20.0, 47.0), (1, 52.0, 75.0), (0, 80.0, 107.0)],
        );
        // Offset 10 < 20: too short, so the next instant, 70: 50 s above the minimum, 27.5 and 22.5.
        assert_greens(&run(10.0), &[(0, 0.0, 32.5), (1, 37.5, 65.0), (0, 70.0, 97.0)]);
        // Many nodes on one instance keep their own plans: node 0 starts at 0, node 8 at 60,
        // when node 0's first cycle is over.
        let mut c: FixedTime = build(r#"{"cycle": 60, "greens": [27, 23], "offsets": 30}"#).unwrap();
        assert_eq!(decide(&mut c, &node(2, 5.0, 4.0)).unwrap(), [SignalDecision::extend(10.5)]);
        let mut s = node(2, 5.0, 4.0);
        s.now = 60.0;
        let movements = [mov(0), mov(0)];
        s.node(8, &movements, &[&[0], &[1]]).intergreen_s = 5.0;
        assert_eq!(decide(&mut c, &s).unwrap(), [SignalDecision::extend(27.0), SignalDecision::extend(10.5)]);
    }

    #[test]
    fn parameter_errors_name_the_key() {
        let err = |json: &str| build::<FixedTime>(json).unwrap_err().message;
        assert_eq!(err(r#"{"cycle": 60}"#), "`greens` is required (or mode = \"webster\")");
        assert_eq!(err(r#"{"greens": [1]}"#), "`cycle` is required (or mode = \"webster\")");
        assert_eq!(
            err(r#"{"cycle": 60, "greens": [30, 30]}"#),
            "`greens` sum to 60 s, leaving no time for yellow and all-red in `cycle` = 60 s"
        );
        assert!(
            err(r#"{"cycle": 60, "greens": [30, 0]}"#)
                .starts_with("`greens` must be a non-empty list, each a finite number > 0")
        );
        assert!(err(r#"{"cycle": -1, "greens": [1]}"#).starts_with("`cycle` must be a finite number > 0"));
        assert_eq!(
            err(r#"{"cycle": 60, "greens": [20], "flows": [1]}"#),
            "`flows` applies to mode = \"webster\" only (this plan is given by `cycle` and `greens`)"
        );
        assert_eq!(
            err(r#"{"mode": "webster", "greens": [20]}"#),
            "`greens` does not apply to mode = \"webster\", which computes the cycle and the greens"
        );
        assert_eq!(
            err(r#"{"mode": "webster", "cycle_min": 90, "cycle_max": 60}"#),
            "`cycle_max` (60) must be ≥ `cycle_min` (90)"
        );
        assert_eq!(
            err(r#"{"mode": "webster", "flows": [-1]}"#),
            "`flows` must be a non-empty list, each a finite number ≥ 0, found [-1]"
        );
        assert_eq!(
            err(r#"{"mode": "websters"}"#),
            r#"`mode` must be "splits" or "webster", found "websters""#
        );
        assert!(
            err(r#"{"mode": "webster", "offsets": "x"}"#).starts_with("`offsets` must be a finite number")
        );
        assert!(err(r#"{"mode": "webster", "ofset": 3}"#).starts_with("unknown parameter `ofset`"));
    }

    /// A movement with design flow `q` \[veh/h\].
    fn with_flow(q: f64) -> xinzhi_plugin::MovementObs {
        xinzhi_plugin::MovementObs { design_flow_vph: q, ..mov(0) }
    }
}
