//! What every controller shares: the time tolerance, calls on phases, and per-node state.

use xinzhi_plugin::{IntersectionObs, PluginError, SignalDecision, SignalView};

/// Times closer than this are equal \[s\]: the host computes instants as sums, so an elapsed
/// green of `5 − 1e-15` s is 5 s. Without it a controller would ask for a 10⁻¹⁵ s extension,
/// which the host raises to its 0.1 s floor, shifting the whole plan.
pub(crate) const EPS: f64 = 1e-9;

/// Whether phase `p` of `x` has a call: a vehicle waiting at the stop line of one of its
/// movements.
pub(crate) fn has_call(view: &SignalView<'_>, x: &IntersectionObs, p: u32) -> bool {
    view.phase(x, p).any(|m| m.queue > 0)
}

/// The first phase after the current one, in cyclic order, that has a call.
pub(crate) fn next_with_call(view: &SignalView<'_>, x: &IntersectionObs) -> Option<u32> {
    (1..x.n_phases).map(|k| (x.phase + k) % x.n_phases).find(|&p| has_call(view, x, p))
}

/// The phase after the current one, in cyclic order.
pub(crate) fn next_phase(x: &IntersectionObs) -> u32 {
    (x.phase + 1) % x.n_phases.max(1)
}

/// Whether the host requires a switch now (max green reached while another phase has a call).
pub(crate) fn must_switch(x: &IntersectionObs) -> bool {
    x.reason == IntersectionObs::MAX_GREEN
}

/// `SWITCH(p)`, or the error of a node that cannot switch: one phase only.
pub(crate) fn switch(x: &IntersectionObs, p: u32) -> Result<SignalDecision, PluginError> {
    if x.n_phases < 2 {
        return Err(PluginError::invalid_input(format!(
            "node {} has a single phase: there is no other phase to switch to",
            x.node
        )));
    }
    Ok(SignalDecision::switch(p))
}

/// `EXTEND(remaining)` while more than [`EPS`] remains, else `None`.
pub(crate) fn extend_while(remaining: f64) -> Option<SignalDecision> {
    (remaining > EPS).then(|| SignalDecision::extend(remaining))
}

/// State per node, keyed by [`IntersectionObs::node`] (one instance serves every node that
/// shares its plugin and parameters); grown on demand.
#[derive(Debug)]
pub(crate) struct PerNode<T>(Vec<Option<T>>);

impl<T> Default for PerNode<T> {
    fn default() -> Self {
        PerNode(Vec::new())
    }
}

impl<T> PerNode<T> {
    /// The state of `node`, if it has any.
    pub(crate) fn get_mut(&mut self, node: u32) -> Option<&mut T> {
        self.0.get_mut(node as usize).and_then(Option::as_mut)
    }

    /// Sets the state of `node`.
    pub(crate) fn set(&mut self, node: u32, value: T) -> &mut T {
        let i = node as usize;
        if self.0.len() <= i {
            self.0.resize_with(i + 1, || None);
        }
        self.0[i].insert(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_node_state_grows_on_demand() {
        let mut s = PerNode::default();
        assert!(s.get_mut(3).is_none());
        *s.set(3, 1) += 1;
        assert_eq!(s.get_mut(3).copied(), Some(2));
        assert!(s.get_mut(0).is_none() && s.get_mut(9).is_none());
        s.set(0, 5);
        assert_eq!((s.get_mut(0).copied(), s.get_mut(3).copied()), (Some(5), Some(2)));
    }

    #[test]
    fn extensions_below_the_tolerance_are_none() {
        assert_eq!(extend_while(0.5), Some(SignalDecision::extend(0.5)));
        assert_eq!(extend_while(5.0 - (5.0 - 1e-13)), None);
        assert_eq!(extend_while(-1.0), None);
    }
}
