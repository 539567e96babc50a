//! Max-pressure control (Varaiya 2013, city.md §2.4, §3.5): `max_pressure`, acyclic with a
//! switching threshold, and `mp_cycle`, a fixed cycle split by pressure.
//!
//! The weight of movement `m = (l → j)` is `w_m = x_m − Σ_p r(m,p)·x(m,p)`: its own vehicles
//! minus the turn-ratio-weighted vehicles downstream, counted the same way (the host's
//! `down_weighted_queue` or `down_weighted_on_link`, 0 when `j` leaves the network). A phase's
//! (stage's) pressure is `P_p = Σ_{m∈p} c_m·w_m`. A movement whose out-link is full weighs 0:
//! it can carry no flow now (with finite storage, counting it feeds spillback).
//!
//! [`Weights::Queue`] is the default; [`Weights::Varaiya`]: `x_m` = vehicles on the in-link bound for `m`
//! (`on_link`), `c_m = s_m·lanes_m/3600` \[veh/s\], so `P` is in veh²/s — and so is the threshold
//! θ: with `c = 0.5` veh/s, `θ = 8` asks for 16 more vehicles of weight on a one-lane phase.
//! [`Weights::Queue`]: `x_m` = vehicles at the stop line (`queue`), `c_m = 1`, so `P` and θ count
//! vehicles — the form of city.md §3.5's reference simulation. The two differ in earnest: on
//! its scenario S1 (`reference.rs`, 24 replications) θ = 8 gives a mean delay of 19.7 s with
//! `queue` weights (the script's 19.3 s) but 25.0 s with `varaiya` weights, where c = 0.5 veh/s
//! makes it a 16-vehicle threshold (`varaiya` with θ = 4 equals `queue` with θ = 8 there).

use xinzhi_plugin::{
    Component, Config, Host, IntersectionObs, MovementObs, PluginError, SignalController, SignalDecision,
    SignalView,
};

use crate::common::{PerNode, extend_while, must_switch, switch};
use crate::params::{Params, Rule};

/// How movements are weighted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weights {
    /// `x_m` = vehicles on the link bound for `m`, `c_m` = its saturation flow \[veh/s\].
    Varaiya,
    /// `x_m` = vehicles at its stop line, `c_m = 1` (the default).
    Queue,
}

impl Weights {
    fn parse(p: &Params) -> Result<Self, PluginError> {
        Ok(match p.choice("weights", &["varaiya", "queue"])? {
            Some("varaiya") => Weights::Varaiya,
            _ => Weights::Queue,
        })
    }

    /// `c_m·w_m`; 0 for a movement whose out-link is full: it can carry no flow now, so green
    /// for it only holds up the others (with finite storage this is what keeps max pressure from
    /// feeding a spillback).
    fn movement(self, m: &MovementObs) -> f64 {
        if m.down_free == 0 {
            return 0.0;
        }
        match self {
            Weights::Varaiya => {
                m.sat_flow_vph * f64::from(m.lanes) / 3600.0
                    * (f64::from(m.on_link) - m.down_weighted_on_link)
            }
            Weights::Queue => f64::from(m.queue) - m.down_weighted_queue,
        }
    }
}

/// The pressure `P_p = Σ_{m∈p} c_m·w_m` of phase `p` of node `x`.
pub fn stage_pressure(view: &SignalView<'_>, x: &IntersectionObs, p: u32, weights: Weights) -> f64 {
    view.phase(x, p).map(|m| weights.movement(m)).sum()
}

/// The pressure of every phase of node `x`, by phase.
pub fn stage_pressures(view: &SignalView<'_>, x: &IntersectionObs, weights: Weights) -> Vec<f64> {
    (0..x.n_phases).map(|p| stage_pressure(view, x, p, weights)).collect()
}

/// The phase of largest pressure among those `keep` accepts, the lowest index on ties, with its
/// pressure.
fn best(
    view: &SignalView<'_>,
    x: &IntersectionObs,
    weights: Weights,
    keep: impl Fn(u32) -> bool,
) -> Option<(u32, f64)> {
    (0..x.n_phases).filter(|&p| keep(p)).map(|p| (p, stage_pressure(view, x, p, weights))).fold(
        None,
        |b, (p, v)| match b {
            Some((_, bv)) if bv >= v => b,
            _ => Some((p, v)),
        },
    )
}

/// Acyclic max pressure with a switching threshold.
#[derive(Debug)]
pub struct MaxPressure {
    /// \[s\]
    min_green: f64,
    /// \[s\]
    step: f64,
    /// θ, in the unit of the pressures.
    threshold: f64,
    weights: Weights,
}

impl Component for MaxPressure {
    const NAME: &'static str = "max_pressure";
    const DESCRIPTION: &'static str = "max pressure: every step after min green, the phase of largest pressure if it beats the green one by more than a threshold";
    const PARAMETERS: &'static str = "min_green: shortest green (seconds ≥ 0, 5)
step: seconds between decisions after min green (seconds > 0, 5)
threshold: θ, how much a phase's pressure must exceed the green one's to switch (number ≥ 0, 8)
weights: \"varaiya\" (vehicles on links, times saturation flows) or \"queue\" (vehicles at stop lines) (string, \"queue\")";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let p = Params::parse(config, &["min_green", "step", "threshold", "weights"])?;
        Ok(MaxPressure {
            min_green: p.number_or("min_green", Rule::NonNegative, 5.0)?,
            step: p.number_or("step", Rule::Positive, 5.0)?,
            threshold: p.number_or("threshold", Rule::NonNegative, 8.0)?,
            weights: Weights::parse(&p)?,
        })
    }
}

impl MaxPressure {
    fn one(&self, view: &SignalView<'_>, x: &IntersectionObs) -> Result<SignalDecision, PluginError> {
        if must_switch(x) {
            let (p, _) = best(view, x, self.weights, |p| p != x.phase).unwrap_or((x.phase, 0.0));
            return switch(x, p);
        }
        if let Some(d) = extend_while(self.min_green - x.elapsed_green_s) {
            return Ok(d);
        }
        let current = stage_pressure(view, x, x.phase, self.weights);
        match best(view, x, self.weights, |_| true) {
            Some((p, v)) if p != x.phase && v > current + self.threshold => switch(x, p),
            _ => Ok(SignalDecision::extend(self.step)),
        }
    }
}

impl SignalController for MaxPressure {
    fn decide(&mut self, view: &SignalView<'_>, out: &mut [SignalDecision]) -> Result<(), PluginError> {
        for (x, d) in view.intersections().iter().zip(out) {
            *d = self.one(view, x)?;
        }
        Ok(())
    }
}

/// Cycle-based max pressure: a fixed cycle whose splits follow the pressures at its start (each
/// phase-0 green start, and the first call for a node).
#[derive(Debug)]
pub struct MpCycle {
    /// \[s\]
    cycle: f64,
    /// Smallest effective green \[s\].
    g_min: f64,
    weights: Weights,
    /// Displayed greens of each node's current cycle \[s\].
    greens: PerNode<Vec<f64>>,
}

impl Component for MpCycle {
    const NAME: &'static str = "mp_cycle";
    const DESCRIPTION: &'static str =
        "cycle-based max pressure: a fixed cycle split in proportion to the pressures at its start";
    const PARAMETERS: &'static str = "cycle: cycle length (seconds > 0, 60)
g_min: smallest effective green of a phase (seconds ≥ 0, 5)
weights: \"varaiya\" (vehicles on links, times saturation flows) or \"queue\" (vehicles at stop lines) (string, \"queue\")";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let p = Params::parse(config, &["cycle", "g_min", "weights"])?;
        Ok(MpCycle {
            cycle: p.number_or("cycle", Rule::Positive, 60.0)?,
            g_min: p.number_or("g_min", Rule::NonNegative, 5.0)?,
            weights: Weights::parse(&p)?,
            greens: PerNode::default(),
        })
    }
}

impl MpCycle {
    /// The displayed greens of a cycle of `x` starting now: effective
    /// `g_p = g_min + (C − L − n·g_min)·max(P_p, 0)/Σ_q max(P_q, 0)` (an equal share when no
    /// pressure is positive), displayed `G_p = g_p − (Y + AR) + l₁ + l₂`.
    fn split(&self, view: &SignalView<'_>, x: &IntersectionObs) -> Result<Vec<f64>, PluginError> {
        let n = f64::from(x.n_phases);
        let lost = n * x.lost_per_phase_s;
        let free = self.cycle - lost - n * self.g_min;
        if free < 0.0 {
            return Err(PluginError::invalid_config(format!(
                "node {}: `cycle` = {} s is shorter than the lost time {lost} s plus {n} × `g_min` = {} s",
                x.node, self.cycle, self.g_min
            )));
        }
        let positive: Vec<f64> =
            stage_pressures(view, x, self.weights).into_iter().map(|v| v.max(0.0)).collect();
        let total: f64 = positive.iter().sum();
        Ok(positive
            .iter()
            .map(|&v| {
                let share = if total > 0.0 { v / total } else { 1.0 / n };
                self.g_min + free * share - x.intergreen_s + x.lost_per_phase_s
            })
            .collect())
    }
}

impl SignalController for MpCycle {
    fn decide(&mut self, view: &SignalView<'_>, out: &mut [SignalDecision]) -> Result<(), PluginError> {
        for (x, d) in view.intersections().iter().zip(out) {
            let new_cycle = x.phase == 0 && x.reason == IntersectionObs::GREEN_START;
            let greens = match self.greens.get_mut(x.node) {
                Some(g) if !new_cycle && g.len() == x.n_phases as usize => g,
                _ => {
                    let g = self.split(view, x)?;
                    self.greens.set(x.node, g)
                }
            };
            let green = greens[x.phase as usize];
            let next = (x.phase + 1) % x.n_phases;
            *d = if x.n_phases < 2 {
                SignalDecision::extend(self.cycle)
            } else if must_switch(x) {
                switch(x, next)?
            } else {
                match extend_while(green - x.elapsed_green_s) {
                    Some(e) => e,
                    None => switch(x, next)?,
                }
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{Snap, build, decide, decide_one, mov};

    /// A movement with `x` vehicles on its link (all at the stop line), saturation `vph` and
    /// downstream weighted vehicles `down`.
    fn m(x: u32, vph: f64, down: f64) -> MovementObs {
        MovementObs { sat_flow_vph: vph, down_weighted_queue: down, down_weighted_on_link: down, ..mov(x) }
    }

    /// city.md §3.5 (city_control.py `mp_example`): downstream Σ r·x = S_out 8.4, N_out 2.4,
    /// W_out 7.0, E_out 4.4; queues N 12, S 8, E 5, W 9 (through, 1800 veh/h → c = 0.5 veh/s)
    /// and N-left 4, S-left 6 (900 veh/h → c = 0.25). Weights N 3.6, S 5.6, E −2.0, W 4.6,
    /// N-left −0.4, S-left −1.0; pressures NS = 0.5·(3.6 + 5.6) = 4.6, EW = 0.5·(−2 + 4.6) = 1.3,
    /// NS-left = 0.25·(−0.4 − 1.0) = −0.35 → NS.
    fn hand_example() -> Snap {
        let mut s = Snap::at(100.0);
        let movements = [
            m(12, 1800.0, 8.4), // N through → S_out
            m(8, 1800.0, 2.4),  // S through → N_out
            m(5, 1800.0, 7.0),  // E through → W_out
            m(9, 1800.0, 4.4),  // W through → E_out
            m(4, 900.0, 4.4),   // N left → E_out
            m(6, 900.0, 7.0),   // S left → W_out
        ];
        let x = s.node(0, &movements, &[&[0, 1], &[2, 3], &[4, 5]]);
        (x.phase, x.reason, x.elapsed_green_s) = (2, IntersectionObs::REQUESTED, 20.0);
        s
    }

    #[test]
    fn max_pressure_hand_example() {
        let s = hand_example();
        let p = stage_pressures(&s.view(), &s.nodes[0], Weights::Varaiya);
        for (got, want) in p.iter().zip([4.6, 1.3, -0.35]) {
            assert!((got - want).abs() < 1e-12, "{p:?}");
        }
        // From the left phase (−0.35): NS beats it by 4.95, less than θ = 8, more than θ = 0.
        let mut theta8: MaxPressure = build(r#"{"weights": "varaiya"}"#).unwrap();
        assert_eq!(decide_one(&mut theta8, &s).unwrap(), SignalDecision::extend(5.0));
        let mut naive: MaxPressure = build(r#"{"threshold": 0, "weights": "varaiya"}"#).unwrap();
        assert_eq!(decide_one(&mut naive, &s).unwrap(), SignalDecision::switch(0));
        // With stop-line queues and unit weights: NS = 3.6 + 5.6 = 9.2, EW = 2.6, left = −1.4;
        // 9.2 > −1.4 + 8.
        let p = stage_pressures(&s.view(), &s.nodes[0], Weights::Queue);
        for (got, want) in p.iter().zip([9.2, 2.6, -1.4]) {
            assert!((got - want).abs() < 1e-12, "{p:?}");
        }
        let mut queue: MaxPressure = build("{}").unwrap();
        assert_eq!(decide_one(&mut queue, &s).unwrap(), SignalDecision::switch(0));
    }

    #[test]
    fn max_pressure_waits_for_min_green_and_switches_at_max_green() {
        let mut c: MaxPressure = build(r#"{"threshold": 0, "min_green": 7, "step": 4}"#).unwrap();
        let mut s = hand_example();
        s.nodes[0].elapsed_green_s = 3.0;
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(4.0));
        // In the best phase already: extend by a step.
        (s.nodes[0].phase, s.nodes[0].elapsed_green_s) = (0, 7.0);
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(4.0));
        // At the host's max green the best other phase: EW (1.3) over the lefts (−0.35).
        s.nodes[0].reason = IntersectionObs::MAX_GREEN;
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::switch(1));
        // Ties go to the lowest index: all empty, from phase 2 nothing beats it.
        let mut s = Snap::at(0.0);
        let x = s.node(1, &[mov(0), mov(0), mov(0)], &[&[0], &[1], &[2]]);
        (x.phase, x.elapsed_green_s) = (2, 10.0);
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(4.0));
        s.nodes[0].reason = IntersectionObs::MAX_GREEN;
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::switch(0));
    }

    /// C = 60, g_min = 5, two phases, 4 s lost and Y + AR = 4 per phase: C − L − 2·g_min = 42 s
    /// to share. Pressures 3 : 1 (queue weights) → g = 5 + 31.5 = 36.5 and 5 + 10.5 = 15.5.
    #[test]
    fn mp_cycle_splits_the_cycle_by_pressure_at_phase_zero() {
        let mut c: MpCycle = build(r#"{"weights": "queue"}"#).unwrap();
        let mut s = Snap::at(0.0);
        s.node(2, &[mov(6), mov(2)], &[&[0], &[1]]);
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(36.5));
        // Later calls in the cycle keep its split, whatever the queues do.
        s.movement(1).queue = 50;
        (s.nodes[0].reason, s.nodes[0].elapsed_green_s) = (IntersectionObs::REQUESTED, 36.5);
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::switch(1));
        (s.nodes[0].phase, s.nodes[0].reason, s.nodes[0].elapsed_green_s) =
            (1, IntersectionObs::GREEN_START, 0.0);
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(15.5));
        // The next cycle: 6 : 50 → 5 + 42·6/56 = 9.5.
        (s.nodes[0].phase, s.nodes[0].elapsed_green_s) = (0, 0.0);
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(5.0 + 42.0 * 6.0 / 56.0));
        // No positive pressure: equal split, 26 each (the sim-ref's 26/26 at C = 60).
        s.movement(0).queue = 0;
        s.movement(1).queue = 0;
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(26.0));
        // Varaiya weights: c·on_link, the same 3 : 1 split with equal saturation flows.
        let mut c: MpCycle = build(r#"{"weights": "varaiya"}"#).unwrap();
        s.movement(0).on_link = 6;
        s.movement(1).on_link = 2;
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(36.5));
        // A cycle too short for the lost time and the minimum greens.
        let mut c: MpCycle = build(r#"{"cycle": 17}"#).unwrap();
        assert_eq!(
            decide(&mut c, &s).unwrap_err().message,
            "node 2: `cycle` = 17 s is shorter than the lost time 8 s plus 2 × `g_min` = 5 s"
        );
    }

    #[test]
    fn parameter_errors_name_the_key() {
        let err = |json: &str| build::<MaxPressure>(json).unwrap_err().message;
        assert_eq!(err(r#"{"threshold": -1}"#), "`threshold` must be a finite number ≥ 0, found -1");
        assert_eq!(err(r#"{"step": 0}"#), "`step` must be a finite number > 0, found 0");
        assert_eq!(err(r#"{"weights": "x"}"#), r#"`weights` must be "varaiya" or "queue", found "x""#);
        assert!(err(r#"{"theta": 8}"#).starts_with("unknown parameter `theta`"));
        let err = |json: &str| build::<MpCycle>(json).unwrap_err().message;
        assert_eq!(err(r#"{"cycle": 0}"#), "`cycle` must be a finite number > 0, found 0");
        assert_eq!(err(r#"{"g_min": -5}"#), "`g_min` must be a finite number ≥ 0, found -5");
        assert!(err(r#"{"min_green": 5}"#).starts_with("unknown parameter `min_green`"));
    }
}
