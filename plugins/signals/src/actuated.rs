//! `actuated`: gap-out control with stop-line detectors.
//!
//! A detector actuation is a stop-line crossing; `s` = the time since the green phase's last
//! crossing, or since its green start if none crossed yet (the host's `since_departure_s`, the
//! smallest over the phase's movements). After `min_green` the green goes on while `s < gap`;
//! once `s ≥ gap` it has gapped out, and ends only if another phase has a call (a vehicle at one
//! of its stop lines): then the next such phase in cyclic order gets green. Without a call the
//! green rests, checked every `gap` seconds. At `max_green` with a call waiting, it ends.
//!
//! Ties: the host calls before same-instant crossings, so a crossing exactly at the gap-out
//! instant does not extend the green (city.md §3.3).

use xinzhi_plugin::{
    Component, Config, Host, IntersectionObs, PluginError, SignalController, SignalDecision, SignalView,
};

use crate::common::{EPS, extend_while, must_switch, next_phase, next_with_call, switch};
use crate::params::{Params, Rule};

/// Gap-out actuated control.
#[derive(Debug)]
pub struct Actuated {
    /// [s]
    min_green: f64,
    /// [s]
    max_green: f64,
    /// [s]
    gap: f64,
}

impl Component for Actuated {
    const NAME: &'static str = "actuated";
    const DESCRIPTION: &'static str =
        "gap-out: a green goes on while vehicles keep crossing, ends when another phase has a call";
    const PARAMETERS: &'static str = "min_green: shortest green (seconds ≥ 0, 5)
max_green: longest green while another phase has a call (seconds > 0, 45)
gap: the green gaps out when no vehicle crossed for this long (seconds > 0, 3)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let p = Params::parse(config, &["min_green", "max_green", "gap"])?;
        let min_green = p.number_or("min_green", Rule::NonNegative, 5.0)?;
        let max_green = p.number_or("max_green", Rule::Positive, 45.0)?;
        let gap = p.number_or("gap", Rule::Positive, 3.0)?;
        if max_green < min_green {
            return Err(PluginError::invalid_config(format!(
                "`max_green` ({max_green}) must be ≥ `min_green` ({min_green})"
            )));
        }
        Ok(Actuated { min_green, max_green, gap })
    }
}

impl Actuated {
    fn one(&self, view: &SignalView<'_>, x: &IntersectionObs) -> Result<SignalDecision, PluginError> {
        let elapsed = x.elapsed_green_s;
        let call = next_with_call(view, x);
        if must_switch(x) {
            return switch(x, call.unwrap_or_else(|| next_phase(x)));
        }
        if let Some(d) = extend_while(self.min_green - elapsed) {
            return Ok(d);
        }
        let to_max = self.max_green - elapsed;
        if let Some(p) = call
            && to_max <= EPS
        {
            return switch(x, p);
        }
        let since = view.phase(x, x.phase).map(|m| m.since_departure_s).fold(f64::INFINITY, f64::min);
        let since = if view.phase(x, x.phase).next().is_none() { elapsed } else { since };
        // Never past max green: called there, a waiting call ends the green.
        let capped = |d: f64| if to_max > EPS { d.min(to_max) } else { d };
        if let Some(d) = extend_while(self.gap - since) {
            return Ok(SignalDecision::extend(capped(d.seconds)));
        }
        match call {
            Some(p) => switch(x, p),
            // Gapped out without a call: rest in green, look again after a gap.
            None => Ok(SignalDecision::extend(capped(self.gap))),
        }
    }
}

impl SignalController for Actuated {
    fn decide(&mut self, view: &SignalView<'_>, out: &mut [SignalDecision]) -> Result<(), PluginError> {
        for (x, d) in view.intersections().iter().zip(out) {
            *d = self.one(view, x)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{Snap, build, decide_one, mov};

    /// The two approaches of city.md §3.3: A (phase 0) and B (phase 1), one movement each.
    /// `state(now, phase, green_start, reason, a, b)`: each approach's (queue, last crossing),
    /// a last crossing of `None` meaning none in this green.
    fn state(
        now: f64,
        phase: u32,
        start: f64,
        reason: u32,
        a: (u32, Option<f64>),
        b: (u32, Option<f64>),
    ) -> Snap {
        let mut s = Snap::at(now);
        let x = s.node(0, &[mov(a.0), mov(b.0)], &[&[0], &[1]]);
        (x.phase, x.reason, x.elapsed_green_s) = (phase, reason, now - start);
        (x.min_green_s, x.max_green_s) = (5.0, 40.0);
        for (i, (_, last)) in [a, b].into_iter().enumerate() {
            // The host's rule: now − max(last crossing, start of its current green); +∞ when
            // red and never crossed.
            s.movement(i).since_departure_s = match (i as u32 == phase, last) {
                (true, Some(t)) => now - t.max(start),
                (true, None) => now - start,
                (false, Some(t)) => now - t,
                (false, None) => f64::INFINITY,
            };
        }
        s
    }

    /// The decisions of the exact trace of city.md §3.3 (minG 5, maxG 40, gap 3; 4 s
    /// intergreen; A arrives at 2.5 + 5i, B at 1 + 10i; continuous discharge, h = 2), replayed
    /// as snapshots. Greens A 0–5.5, B 9.5–14.5, A 18.5–27.5:
    /// - A from 0: its vehicle of 2.5 crosses at 2.5. At 5 (min green), s = 2.5 → EXTEND(0.5);
    ///   at 5.5, s = 3 = gap and B waits (its vehicle of 1) → SWITCH(B).
    /// - B from 9.5: 1 crosses at 9.5, 11 at 11.5. At 14.5, s = 3 and A waits (7.5, 12.5) →
    ///   SWITCH(A).
    /// - A from 18.5: 7.5, 12.5, 17.5 cross at 18.5, 20.5, 22.5; 22.5 crosses at 24.5, the next
    ///   arrives at 27.5. At 23.5, s = 1 → EXTEND(2); at 25.5, s = 1 → EXTEND(2); at 27.5,
    ///   s = 3 (the arrival at 27.5 has not crossed: the host calls first) and B waits (21) →
    ///   SWITCH(B).
    #[test]
    fn actuated_decision_table_replays_the_gap_out_trace() {
        let mut c: Actuated = build(r#"{"min_green": 5, "max_green": 40, "gap": 3}"#).unwrap();
        let (start, req) = (IntersectionObs::GREEN_START, IntersectionObs::REQUESTED);
        let table = [
            (state(0.0, 0, 0.0, start, (0, None), (0, None)), SignalDecision::extend(5.0)),
            (state(5.0, 0, 0.0, req, (0, Some(2.5)), (1, None)), SignalDecision::extend(0.5)),
            (state(5.5, 0, 0.0, req, (0, Some(2.5)), (1, None)), SignalDecision::switch(1)),
            (state(9.5, 1, 9.5, start, (1, Some(2.5)), (1, None)), SignalDecision::extend(5.0)),
            (state(14.5, 1, 9.5, req, (2, Some(2.5)), (0, Some(11.5))), SignalDecision::switch(0)),
            (state(18.5, 0, 18.5, start, (3, Some(2.5)), (0, Some(11.5))), SignalDecision::extend(5.0)),
            (state(23.5, 0, 18.5, req, (1, Some(22.5)), (1, Some(11.5))), SignalDecision::extend(2.0)),
            (state(25.5, 0, 18.5, req, (0, Some(24.5)), (1, Some(11.5))), SignalDecision::extend(2.0)),
            (state(27.5, 0, 18.5, req, (1, Some(24.5)), (1, Some(11.5))), SignalDecision::switch(1)),
        ];
        for (k, (snap, want)) in table.iter().enumerate() {
            assert_eq!(decide_one(&mut c, snap).unwrap(), *want, "row {k} at t = {}", snap.now);
        }
    }

    #[test]
    fn gapped_out_greens_rest_without_a_call_and_end_at_max_green_with_one() {
        let mut c: Actuated = build(r#"{"min_green": 5, "max_green": 40, "gap": 3}"#).unwrap();
        let req = IntersectionObs::REQUESTED;
        // Gapped out, nobody waits: rest, look again after a gap.
        let s = state(10.0, 0, 0.0, req, (0, Some(2.0)), (0, None));
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(3.0));
        // Vehicles keep crossing: extensions stop at max green (40), where a call ends it.
        let s = state(39.0, 0, 0.0, req, (2, Some(38.0)), (4, None));
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(1.0));
        let s = state(40.0, 0, 0.0, req, (2, Some(39.5)), (4, None));
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::switch(1));
        // Past max green without a call: rest.
        let s = state(50.0, 0, 0.0, req, (2, Some(49.5)), (0, None));
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::extend(2.5));
        // The host's max green (reason 2): switch to the phase with the call.
        let s = state(20.0, 0, 0.0, IntersectionObs::MAX_GREEN, (2, Some(19.5)), (1, None));
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::switch(1));
        // Three phases: the next one with a call, in cyclic order from the current.
        let mut s = Snap::at(12.0);
        let x = s.node(4, &[mov(0), mov(0), mov(2), mov(5)], &[&[0], &[1], &[2], &[3]]);
        (x.phase, x.reason, x.elapsed_green_s) = (2, req, 12.0);
        s.movement(2).since_departure_s = 4.0;
        assert_eq!(decide_one(&mut c, &s).unwrap(), SignalDecision::switch(3));
    }

    #[test]
    fn parameter_errors_name_the_key() {
        let err = |json: &str| build::<Actuated>(json).unwrap_err().message;
        assert_eq!(err(r#"{"min_green": 10, "max_green": 5}"#), "`max_green` (5) must be ≥ `min_green` (10)");
        assert_eq!(err(r#"{"gap": 0}"#), "`gap` must be a finite number > 0, found 0");
        assert_eq!(err(r#"{"min_green": -1}"#), "`min_green` must be a finite number ≥ 0, found -1");
        assert!(
            err(r#"{"gap_s": 2}"#)
                .starts_with("unknown parameter `gap_s` (accepted: `min_green`, `max_green`, `gap`)")
        );
        assert!(build::<Actuated>("{}").is_ok());
    }
}
