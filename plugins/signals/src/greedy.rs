//! `longest_queue`: the greedy baseline. After min green, every `step` seconds, the phase with
//! the most vehicles at its stop lines gets green if it has strictly more than the green one.

use xinzhi_plugin::{
    Component, Config, Host, IntersectionObs, PluginError, SignalController, SignalDecision, SignalView,
};

use crate::common::{extend_while, must_switch, switch};
use crate::params::{Params, Rule};

/// Longest queue first.
#[derive(Debug)]
pub struct LongestQueue {
    /// \[s\]
    min_green: f64,
    /// \[s\]
    step: f64,
}

impl Component for LongestQueue {
    const NAME: &'static str = "longest_queue";
    const DESCRIPTION: &'static str =
        "greedy: every step after min green, the phase with the most vehicles waiting";
    const PARAMETERS: &'static str = "min_green: shortest green (seconds ≥ 0, 5)
step: seconds between decisions after min green (seconds > 0, 5)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let p = Params::parse(config, &["min_green", "step"])?;
        Ok(LongestQueue {
            min_green: p.number_or("min_green", Rule::NonNegative, 5.0)?,
            step: p.number_or("step", Rule::Positive, 5.0)?,
        })
    }
}

/// Vehicles waiting at the stop lines of phase `p` of `x`.
fn waiting(view: &SignalView<'_>, x: &IntersectionObs, p: u32) -> u64 {
    view.phase(x, p).map(|m| u64::from(m.queue)).sum()
}

/// The phase with the most vehicles waiting among those `keep` accepts (the lowest index on
/// ties), with its count.
fn longest(view: &SignalView<'_>, x: &IntersectionObs, keep: impl Fn(u32) -> bool) -> Option<(u32, u64)> {
    (0..x.n_phases).filter(|&p| keep(p)).map(|p| (p, waiting(view, x, p))).fold(None, |b, (p, q)| match b {
        Some((_, bq)) if bq >= q => b,
        _ => Some((p, q)),
    })
}

impl LongestQueue {
    fn one(&self, view: &SignalView<'_>, x: &IntersectionObs) -> Result<SignalDecision, PluginError> {
        if must_switch(x) {
            let (p, _) = longest(view, x, |p| p != x.phase).unwrap_or((x.phase, 0));
            return switch(x, p);
        }
        if let Some(d) = extend_while(self.min_green - x.elapsed_green_s) {
            return Ok(d);
        }
        let current = waiting(view, x, x.phase);
        match longest(view, x, |_| true) {
            Some((p, q)) if p != x.phase && q > current => switch(x, p),
            _ => Ok(SignalDecision::extend(self.step)),
        }
    }
}

impl SignalController for LongestQueue {
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
    use crate::testkit::{Snap, build, decide, mov};

    #[test]
    fn the_longest_queue_wins_only_when_strictly_longer() {
        let mut c: LongestQueue = build("{}").unwrap();
        // Two nodes in one batch. Node 0: phase 0 green for 10 s with 3 waiting; phase 1 has
        // 2 + 2 = 4 → switch. Node 5: phase 1 green, 4 waiting against phase 0's 4 → extend.
        let mut s = Snap::at(30.0);
        let x = s.node(0, &[mov(3), mov(2), mov(2)], &[&[0], &[1, 2]]);
        (x.reason, x.elapsed_green_s) = (IntersectionObs::REQUESTED, 10.0);
        let x = s.node(5, &[mov(4), mov(4)], &[&[0], &[1]]);
        (x.phase, x.reason, x.elapsed_green_s) = (1, IntersectionObs::REQUESTED, 10.0);
        assert_eq!(decide(&mut c, &s).unwrap(), [SignalDecision::switch(1), SignalDecision::extend(5.0)]);
        // Before min green: the rest of it, whatever the queues.
        s.nodes[0].elapsed_green_s = 1.5;
        s.nodes[1].elapsed_green_s = 0.0;
        assert_eq!(decide(&mut c, &s).unwrap(), [SignalDecision::extend(3.5), SignalDecision::extend(5.0)]);
        // At the host's max green: the longest other phase, even if shorter.
        s.nodes[0].reason = IntersectionObs::MAX_GREEN;
        s.movement(1).queue = 0;
        s.movement(2).queue = 1;
        assert_eq!(decide(&mut c, &s).unwrap()[0], SignalDecision::switch(1));
    }

    #[test]
    fn parameter_errors_name_the_key() {
        let err = |json: &str| build::<LongestQueue>(json).unwrap_err().message;
        assert_eq!(err(r#"{"step": -5}"#), "`step` must be a finite number > 0, found -5");
        assert_eq!(err(r#"{"min_green": "5"}"#), r#"`min_green` must be a finite number ≥ 0, found "5""#);
        assert!(
            err(r#"{"threshold": 8}"#)
                .starts_with("unknown parameter `threshold` (accepted: `min_green`, `step`)")
        );
    }
}
