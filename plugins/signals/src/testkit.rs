//! Test helpers: hand-built snapshots, and a replay of the host's timing rules for controllers
//! whose decisions do not depend on traffic.

use xinzhi_plugin::{
    Component, Config, Host, IntersectionObs, MovementObs, PluginError, SignalController, SignalDecision,
    SignalView,
};

/// Builds a controller from its parameters (JSON).
pub(crate) fn build<C: Component>(json: &str) -> Result<C, PluginError> {
    C::new(&Config::new(json), &Host::detached(1))
}

/// A one-lane movement with `queue` vehicles at its stop line (and no others on its link),
/// 1800 veh/h, nothing downstream, no design flow, never crossed.
pub(crate) fn mov(queue: u32) -> MovementObs {
    MovementObs {
        in_link: 0,
        out_link: 0,
        queue,
        on_link: queue,
        down_free: 100,
        lanes: 1,
        sat_flow_vph: 1800.0,
        since_departure_s: f64::INFINITY,
        down_weighted_queue: 0.0,
        design_flow_vph: f64::NAN,
    }
}

/// An owned snapshot.
#[derive(Clone, Debug, Default)]
pub(crate) struct Snap {
    pub(crate) now: f64,
    pub(crate) nodes: Vec<IntersectionObs>,
    pub(crate) movements: Vec<MovementObs>,
    pub(crate) starts: Vec<u32>,
    pub(crate) phase_movements: Vec<u32>,
}

impl Snap {
    /// An empty snapshot at `now` \[s\].
    pub(crate) fn at(now: f64) -> Self {
        Snap { now, ..Snap::default() }
    }

    /// Adds node `node` with `movements`; phase `p` gives green to `movements[i]` for each `i`
    /// in `phases[p]`. The node is in phase 0 at its green start (reason `GREEN_START`, elapsed
    /// 0), min green 5, max green 45, intergreen 4 and 4 s lost per phase: tweak it through the
    /// returned reference.
    pub(crate) fn node(
        &mut self,
        node: u32,
        movements: &[MovementObs],
        phases: &[&[u32]],
    ) -> &mut IntersectionObs {
        let first_movement = self.movements.len() as u32;
        self.movements.extend_from_slice(movements);
        let first_phase = self.starts.len() as u32;
        for p in phases {
            self.starts.push(self.phase_movements.len() as u32);
            self.phase_movements.extend(p.iter().map(|i| first_movement + i));
        }
        self.starts.push(self.phase_movements.len() as u32);
        self.nodes.push(IntersectionObs {
            node,
            phase: 0,
            n_phases: phases.len() as u32,
            reason: IntersectionObs::GREEN_START,
            elapsed_green_s: 0.0,
            min_green_s: 5.0,
            max_green_s: 45.0,
            intergreen_s: 4.0,
            lost_per_phase_s: 4.0,
            first_movement,
            n_movements: movements.len() as u32,
            first_phase,
            _reserved: 0,
        });
        self.nodes.last_mut().expect("just pushed")
    }

    /// The snapshot as a controller sees it.
    pub(crate) fn view(&self) -> SignalView<'_> {
        SignalView::new(self.now, &self.nodes, &self.movements, &self.starts, &self.phase_movements)
            .expect("a well-formed snapshot")
    }

    /// Movement `i` of the whole snapshot, to change.
    pub(crate) fn movement(&mut self, i: usize) -> &mut MovementObs {
        &mut self.movements[i]
    }
}

/// The controller's answers to `snap`.
pub(crate) fn decide<C: SignalController>(
    c: &mut C,
    snap: &Snap,
) -> Result<Vec<SignalDecision>, PluginError> {
    let mut out = vec![SignalDecision::extend(f64::NAN); snap.nodes.len()];
    c.decide(&snap.view(), &mut out)?;
    Ok(out)
}

/// The answer for a one-node snapshot.
pub(crate) fn decide_one<C: SignalController>(c: &mut C, snap: &Snap) -> Result<SignalDecision, PluginError> {
    Ok(decide(c, snap)?[0])
}

/// A green as the host would show it: phase, displayed start and end \[s\].
pub(crate) type Green = (u32, f64, f64);

/// Replays the host's timing rules on a one-node snapshot `template` (its queues unchanged
/// throughout) from a phase-0 green start at `t0` until a green starts at or after `until`:
/// calls at each green start and when an extension asks, a switch before min green carried
/// out at min green, then the intergreen; extensions shorter than 0.1 s raised to 0.1 s.
/// Max green is not enforced (these controllers never need it).
pub(crate) fn greens<C: SignalController>(
    c: &mut C,
    template: &Snap,
    t0: f64,
    until: f64,
) -> Result<Vec<Green>, PluginError> {
    let mut snap = template.clone();
    let mut out = Vec::new();
    let (mut phase, mut start, mut now, mut reason) = (0u32, t0, t0, IntersectionObs::GREEN_START);
    while start < until {
        snap.now = now;
        let x = &mut snap.nodes[0];
        (x.phase, x.reason, x.elapsed_green_s) = (phase, reason, now - start);
        let d = decide_one(c, &snap)?;
        if d.kind == SignalDecision::EXTEND {
            now += d.seconds.max(0.1);
            reason = IntersectionObs::REQUESTED;
        } else {
            let end = now.max(start + snap.nodes[0].min_green_s);
            out.push((phase, start, end));
            (phase, start, reason) =
                (d.phase, end + snap.nodes[0].intergreen_s, IntersectionObs::GREEN_START);
            now = start;
        }
    }
    Ok(out)
}

/// Asserts that two lists of greens agree within 1e-9 s.
pub(crate) fn assert_greens(got: &[Green], want: &[Green]) {
    assert_eq!(got.len(), want.len(), "{got:?}\n{want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(g.0 == w.0 && (g.1 - w.1).abs() < 1e-9 && (g.2 - w.2).abs() < 1e-9, "{got:?}\n{want:?}");
    }
}
