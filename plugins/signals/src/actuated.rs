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
    /// \[s\]
    min_green: f64,
    /// \[s\]
    max_green: f64,
    /// \[s\]
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

    /// Vehicles of approach `a` (0 = A: 2.5 + 5i; 1 = B: 1 + 10i) arriving before `t_end`.
    fn arrivals(a: usize, t_end: f64) -> Vec<f64> {
        let (t0, headway) = [(2.5, 5.0), (1.0, 10.0)][a];
        let n = ((t_end - t0) / headway).floor() as usize + 1;
        (0..n).map(|i| t0 + i as f64 * headway).collect()
    }

    /// Greens `(approach, start, end)` and each approach's delays.
    type Trace = (Vec<(u32, f64, f64)>, [Vec<f64>; 2]);

    /// city_signals.py's `actuated_deterministic`, the reference of city.md §3.3, written out:
    /// A and B alternate; a green ends at min(max(start + minG, last crossing (or start) + gap),
    /// start + maxG); a vehicle crosses at max(arrival, previous crossing + h, green start) if
    /// that is strictly before the end; 4 s between greens.
    fn reference(t_end: f64) -> Trace {
        let (min_g, max_g, gap, h, intergreen) = (5.0, 40.0, 3.0, 2.0, 4.0);
        let arr = [arrivals(0, t_end), arrivals(1, t_end)];
        let (mut idx, mut delays, mut greens) = ([0usize; 2], [Vec::new(), Vec::new()], Vec::new());
        let (mut t, mut phase) = (0.0, 0usize);
        while t < t_end {
            let (start, mut last, mut free) = (t, None::<f64>, t);
            let end = loop {
                let cand = arr[phase].get(idx[phase]).map_or(f64::INFINITY, |&a| a.max(free));
                let end = (start + min_g).max(last.unwrap_or(start) + gap).min(start + max_g);
                if cand < end {
                    delays[phase].push(cand - arr[phase][idx[phase]]);
                    idx[phase] += 1;
                    (last, free) = (Some(cand), cand + h);
                } else {
                    break end;
                }
            };
            greens.push((phase as u32, start, end));
            (t, phase) = (end + intergreen, 1 - phase);
        }
        (greens, delays)
    }

    /// The same two approaches run by the plugin under the host's rules: calls at each green
    /// start and when an extension asks (before the crossings of that instant), a switch at the
    /// instant of the answer, 4 s of intergreen (all lost: Y + AR = l₁ + l₂), continuous
    /// discharge with h = 2 s; the snapshot gives queues and `since_departure_s` as the host does.
    fn plugin_trace(c: &mut Actuated, t_end: f64) -> Trace {
        let arr = [arrivals(0, t_end), arrivals(1, t_end)];
        let (mut idx, mut delays, mut greens) = ([0usize; 2], [Vec::new(), Vec::new()], Vec::new());
        let mut last_cross = [None::<f64>; 2];
        let (mut phase, mut start) = (0u32, 0.0);
        while start < t_end {
            let (mut now, mut reason, mut free) = (start, IntersectionObs::GREEN_START, start);
            let end = loop {
                let mut s = Snap::at(now);
                let queued = |a: usize| arr[a][idx[a]..].iter().take_while(|&&t| t <= now).count() as u32;
                let x = s.node(0, &[mov(queued(0)), mov(queued(1))], &[&[0], &[1]]);
                (x.phase, x.reason, x.elapsed_green_s, x.max_green_s) = (phase, reason, now - start, 40.0);
                for (a, last) in last_cross.iter().enumerate() {
                    s.movement(a).since_departure_s = match (a as u32 == phase, *last) {
                        (true, last) => now - last.map_or(start, |l: f64| l.max(start)),
                        (false, Some(l)) => now - l,
                        (false, None) => f64::INFINITY,
                    };
                }
                let d = decide_one(c, &s).unwrap();
                if d.kind == SignalDecision::SWITCH {
                    assert_eq!(d.phase, 1 - phase, "t = {now}");
                    break now;
                }
                let next = now + d.seconds.max(0.1);
                let p = phase as usize;
                // Crossings strictly before the next call; one at that instant waits for it.
                while let Some(&a) = arr[p].get(idx[p]) {
                    let cross = a.max(free);
                    if cross >= next {
                        break;
                    }
                    delays[p].push(cross - a);
                    idx[p] += 1;
                    last_cross[p] = Some(cross);
                    free = cross + 2.0;
                }
                (now, reason) = (next, IntersectionObs::REQUESTED);
            };
            greens.push((phase, start, end));
            (phase, start) = (1 - phase, end + 4.0);
        }
        (greens, delays)
    }

    /// city.md §3.3 end to end through the plugin: the exact trace, 289 greens in 3600 s, 720 A
    /// and 359 B served, mean delays A 6.4944 s and B 10.4443 s (max 13.00 / 18.50) — and green
    /// for green, delay for delay, the reference algorithm.
    #[test]
    fn actuated_reproduces_the_exact_gap_out_trace() {
        let mut c: Actuated = build(r#"{"min_green": 5, "max_green": 40, "gap": 3}"#).unwrap();
        let (greens, delays) = plugin_trace(&mut c, 3600.0);
        let (ref_greens, ref_delays) = reference(3600.0);
        assert_eq!(greens.len(), ref_greens.len());
        for (g, r) in greens.iter().zip(&ref_greens) {
            assert!(g.0 == r.0 && (g.1 - r.1).abs() < 1e-9 && (g.2 - r.2).abs() < 1e-9, "{g:?} vs {r:?}");
        }
        for (d, r) in delays.iter().zip(&ref_delays) {
            assert_eq!(d.len(), r.len());
            assert!(d.iter().zip(r).all(|(a, b)| (a - b).abs() < 1e-9));
        }
        let want = [
            (0, 0.0, 5.5),
            (1, 9.5, 14.5),
            (0, 18.5, 27.5),
            (1, 31.5, 36.5),
            (0, 40.5, 51.5),
            (1, 55.5, 60.5),
            (0, 64.5, 75.5),
            (1, 79.5, 86.5),
        ];
        for (g, w) in greens.iter().zip(want) {
            assert!(g.0 == w.0 && (g.1 - w.1).abs() < 1e-9 && (g.2 - w.2).abs() < 1e-9, "{g:?} vs {w:?}");
        }
        assert_eq!(greens.len(), 289);
        assert_eq!((delays[0].len(), delays[1].len()), (720, 359));
        let mean = |d: &[f64]| d.iter().sum::<f64>() / d.len() as f64;
        let max = |d: &[f64]| d.iter().copied().fold(0.0, f64::max);
        assert!((mean(&delays[0]) - 6.4944).abs() < 5e-5 && (mean(&delays[1]) - 10.4443).abs() < 5e-5);
        assert!((max(&delays[0]) - 13.0).abs() < 1e-9 && (max(&delays[1]) - 18.5).abs() < 1e-9);
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
