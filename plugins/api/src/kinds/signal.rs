//! The signal kind ([`ComponentKind::SIGNAL`], code 4, since ABI 1.2): a [`SignalController`]
//! times the phases of signalised intersections.
//!
//! Everything of the kind is here: its `#[repr(C)]` records and snapshot, its vtable, the safe
//! trait and view authors use, and the glue thunks. The `export_plugins!` section is `signals`.
//!
//! One instance serves every node that names the same plugin with the same parameters: the host
//! batches all such nodes due at one instant into one [`SignalSnapshot`] and makes one call.
//! A controller keeps its per-node state keyed by [`IntersectionObs::node`].
//!
//! When the host calls a node (its [`IntersectionObs::reason`]): at the start of each green
//! ([`IntersectionObs::GREEN_START`], elapsed 0), at the time its last
//! [`SignalDecision::EXTEND`] asked for ([`IntersectionObs::REQUESTED`]), and at max green when a
//! conflicting phase has a call ([`IntersectionObs::MAX_GREEN`]: the answer must be a switch).
//! The answers: `EXTEND(d)` = call me again in `d` seconds; `SWITCH(p)` = start the yellow and
//! all-red now, then phase `p`'s green. The host, never the plugin, enforces safety: it inserts
//! the intergreen, delays a switch before min green to min green, cuts a green at max green, and
//! refuses an answer that is not one of these (the replication stops, naming the plugin).
//!
//! Layout rule: [`MovementObs`] and [`IntersectionObs`] are array elements, so their stride is
//! frozen at 1.2; a later minor version adds fields as a parallel array appended to
//! [`SignalSnapshot`] (which starts with its `struct_size`).

use std::ffi::c_void;

use super::KindSpec;
use crate::abi::{ComponentDescriptor, ComponentKind, CreateFn, DestroyFn, ErrorOut, SliceRef, Status};
use crate::glue::{create, descriptor, destroy, with_instance};
use crate::traits::{Component, PluginError};

impl ComponentKind {
    /// A [`SignalController`]; its vtable is a [`SignalVTable`]. Since ABI 1.2.
    pub const SIGNAL: ComponentKind = ComponentKind(4);
}

/// The signal kind, for the tables of kinds.
pub const SPEC: KindSpec = KindSpec {
    kind: ComponentKind::SIGNAL,
    name: "signal",
    section: "signals",
    summary: "times the phases of signalised intersections",
};

/// One movement (in-link → out-link turn) of a node in the batch, as a controller sees it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MovementObs {
    /// Index of the link it comes from (stable within a run).
    pub in_link: u32,
    /// Index of the link it goes to (stable within a run).
    pub out_link: u32,
    /// Vehicles at its stop line now (arrived there, not yet crossed) \[veh\].
    pub queue: u32,
    /// Vehicles on the in-link bound for this movement, moving and queued \[veh\].
    pub on_link: u32,
    /// Free storage of the out-link: its capacity minus the vehicles on it \[veh\].
    pub down_free: u32,
    /// Lanes serving it.
    pub lanes: u32,
    /// Saturation flow per lane, after any permitted-left factor \[veh/h\].
    pub sat_flow_vph: f64,
    /// `now − max(its last crossing, start of its current green)` \[s\]; `+∞` if no vehicle of it
    /// ever crossed and it is not green.
    pub since_departure_s: f64,
    /// `Σ_p r(m,p)·x(p)` over the movements `p` leaving its out-link: the turn-ratio-weighted
    /// downstream vehicles of max-pressure control, computed by the host (0 for an exit
    /// link) \[veh\].
    pub down_weighted_queue: f64,
    /// Design flow from the demand \[veh/h\]; NaN if unknown.
    pub design_flow_vph: f64,
}

/// One node of the batch: where its signal stands and why it is being asked.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntersectionObs {
    /// Index of the node in the network (stable within a run): key per-node state by it.
    pub node: u32,
    /// The phase whose green is displayed now.
    pub phase: u32,
    /// Number of phases of the node (`≥ 1`).
    pub n_phases: u32,
    /// Why the host calls: [`IntersectionObs::GREEN_START`], [`IntersectionObs::REQUESTED`] or
    /// [`IntersectionObs::MAX_GREEN`].
    pub reason: u32,
    /// Time since the current phase's displayed green started \[s\].
    pub elapsed_green_s: f64,
    /// Minimum displayed green \[s\]: a switch asked earlier is carried out then.
    pub min_green_s: f64,
    /// Maximum displayed green \[s\], enforced by the host.
    pub max_green_s: f64,
    /// Yellow plus all-red after each green, `Y + AR` \[s\].
    pub intergreen_s: f64,
    /// Lost time per phase, start-up plus clearance, `l₁ + l₂` \[s\].
    pub lost_per_phase_s: f64,
    /// Index in [`SignalSnapshot::movements`] of the node's first movement.
    pub first_movement: u32,
    /// Number of the node's movements (contiguous from `first_movement`).
    pub n_movements: u32,
    /// Index in [`SignalSnapshot::phase_starts`] of the node's `n_phases + 1` phase bounds.
    pub first_phase: u32,
    /// Reserved, 0.
    pub _reserved: u32,
}

impl IntersectionObs {
    /// Reason: the phase's displayed green starts now (elapsed 0).
    pub const GREEN_START: u32 = 0;
    /// Reason: the time the last [`SignalDecision::EXTEND`] asked for has come.
    pub const REQUESTED: u32 = 1;
    /// Reason: max green is reached and a conflicting phase has a call; the answer must be a
    /// [`SignalDecision::SWITCH`] (an extension is refused as an error).
    pub const MAX_GREEN: u32 = 2;
}

/// Everything a controller is given for one decision epoch: the nodes due now that share it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SignalSnapshot {
    /// `size_of::<SignalSnapshot>()` as the host compiled it.
    pub struct_size: u32,
    /// Reserved, 0.
    pub _reserved: u32,
    /// Current simulated time \[s\].
    pub now: f64,
    /// The nodes to decide for, one answer each, in this order.
    pub intersections: SliceRef<IntersectionObs>,
    /// The movements of all those nodes, each node's contiguous.
    pub movements: SliceRef<MovementObs>,
    /// Phase bounds (CSR): phase `p` of a node is
    /// `phase_movements[phase_starts[first_phase + p] .. phase_starts[first_phase + p + 1]]`.
    pub phase_starts: SliceRef<u32>,
    /// Indices into `movements` (of the whole snapshot) of each phase's movements.
    pub phase_movements: SliceRef<u32>,
}

/// A controller's answer for one node.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignalDecision {
    /// [`SignalDecision::EXTEND`] or [`SignalDecision::SWITCH`].
    pub kind: u32,
    /// For a switch: the phase to give green next (`< n_phases`, not the current one).
    pub phase: u32,
    /// For an extension: call again in this many seconds (finite, `≥ 0`) \[s\]; 0 for a switch.
    pub seconds: f64,
}

impl SignalDecision {
    /// Keep the current green and call again after `seconds`.
    pub const EXTEND: u32 = 0;
    /// End the current green now: yellow and all-red, then `phase`'s green.
    pub const SWITCH: u32 = 1;

    /// `EXTEND(seconds)`: keep the green, call again in `seconds` \[s\].
    pub fn extend(seconds: f64) -> Self {
        SignalDecision { kind: Self::EXTEND, phase: 0, seconds }
    }

    /// `SWITCH(phase)`: end the current green now, then give `phase` green.
    pub fn switch(phase: u32) -> Self {
        SignalDecision { kind: Self::SWITCH, phase, seconds: 0.0 }
    }
}

/// Functions of a signal controller.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SignalVTable {
    /// `size_of::<SignalVTable>()` as the plugin compiled it.
    pub struct_size: usize,
    /// See [`CreateFn`].
    pub create: CreateFn,
    /// See [`DestroyFn`].
    pub destroy: DestroyFn,
    /// Writes one decision per intersection, in snapshot order, to `out[..out_len]`
    /// (`out_len` = number of intersections; `out` holds that many initialised decisions).
    pub decide: unsafe extern "C" fn(
        instance: *mut c_void,
        snapshot: *const SignalSnapshot,
        out: *mut SignalDecision,
        out_len: usize,
        err: *mut ErrorOut,
    ) -> Status,
}

/// A controller's view of one decision epoch. Every index in it has been checked: the
/// accessors never panic.
#[derive(Clone, Copy, Debug)]
pub struct SignalView<'a> {
    now: f64,
    intersections: &'a [IntersectionObs],
    movements: &'a [MovementObs],
    phase_starts: &'a [u32],
    phase_movements: &'a [u32],
}

impl<'a> SignalView<'a> {
    /// A view of these arrays (as in [`SignalSnapshot`]), after checking that every node's
    /// movements and phase bounds lie inside them, that phase bounds do not decrease, and that
    /// every phase movement index is in range.
    ///
    /// # Errors
    /// [`Status::INVALID_INPUT`] naming the first node (position and `node`) that breaks a rule.
    pub fn new(
        now: f64,
        intersections: &'a [IntersectionObs],
        movements: &'a [MovementObs],
        phase_starts: &'a [u32],
        phase_movements: &'a [u32],
    ) -> Result<Self, PluginError> {
        let n_mov = movements.len();
        if let Some(&i) = phase_movements.iter().find(|&&i| i as usize >= n_mov) {
            return Err(PluginError::invalid_input(format!(
                "phase movement index {i} out of range ({n_mov} movements)"
            )));
        }
        for (k, x) in intersections.iter().enumerate() {
            let bad = |what: String| {
                PluginError::invalid_input(format!("intersection {k} (node {}): {what}", x.node))
            };
            let first = x.first_movement as usize;
            if first + x.n_movements as usize > n_mov {
                return Err(bad(format!(
                    "movements {first}..{} out of range ({n_mov} movements)",
                    first + x.n_movements as usize
                )));
            }
            if x.n_phases == 0 {
                return Err(bad("no phases".into()));
            }
            let start = x.first_phase as usize;
            let Some(bounds) = phase_starts.get(start..start + x.n_phases as usize + 1) else {
                return Err(bad(format!(
                    "phase bounds {start}..{} out of range ({} bounds)",
                    start + x.n_phases as usize + 1,
                    phase_starts.len()
                )));
            };
            if bounds.windows(2).any(|w| w[0] > w[1])
                || bounds[bounds.len() - 1] as usize > phase_movements.len()
            {
                return Err(bad(format!(
                    "phase bounds {bounds:?} decrease or exceed the {} phase movements",
                    phase_movements.len()
                )));
            }
            if x.phase >= x.n_phases {
                return Err(bad(format!("current phase {} of {} phases", x.phase, x.n_phases)));
            }
        }
        Ok(SignalView { now, intersections, movements, phase_starts, phase_movements })
    }

    /// Current simulated time \[s\].
    pub fn now(&self) -> f64 {
        self.now
    }

    /// The nodes to decide for, in answer order.
    pub fn intersections(&self) -> &'a [IntersectionObs] {
        self.intersections
    }

    /// All movements of the snapshot (what phase movement indices refer to).
    pub fn movements(&self) -> &'a [MovementObs] {
        self.movements
    }

    /// The movements of node `x` (empty for a node not of this snapshot whose range does not fit).
    pub fn movements_of(&self, x: &IntersectionObs) -> &'a [MovementObs] {
        let first = x.first_movement as usize;
        self.movements.get(first..first + x.n_movements as usize).unwrap_or(&[])
    }

    /// Indices into [`SignalView::movements`] of phase `p` of node `x` (empty if `p ≥ n_phases`).
    pub fn phase_indices(&self, x: &IntersectionObs, p: u32) -> &'a [u32] {
        if p >= x.n_phases {
            return &[];
        }
        let k = x.first_phase as usize + p as usize;
        match (self.phase_starts.get(k), self.phase_starts.get(k + 1)) {
            (Some(&a), Some(&b)) => self.phase_movements.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The movements of phase `p` of node `x` (none if `p ≥ n_phases`).
    pub fn phase(&self, x: &IntersectionObs, p: u32) -> impl Iterator<Item = &'a MovementObs> + use<'a> {
        let movements = self.movements;
        self.phase_indices(x, p).iter().filter_map(move |&i| movements.get(i as usize))
    }
}

/// Times the phases of signalised intersections.
pub trait SignalController: Component {
    /// Writes one decision per node of `snapshot.intersections()` into `out` (same order,
    /// `out.len()` = number of nodes). The host validates every answer.
    ///
    /// # Errors
    /// Any failure; the host stops the replication and names the plugin.
    fn decide(&mut self, snapshot: &SignalView<'_>, out: &mut [SignalDecision]) -> Result<(), PluginError>;
}

/// # Safety
/// As documented on [`SignalVTable::decide`].
unsafe extern "C" fn decide<T: SignalController>(
    inst: *mut c_void,
    snapshot: *const SignalSnapshot,
    out: *mut SignalDecision,
    out_len: usize,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        with_instance::<T>(inst, err, "decide", |t| {
            // SAFETY: null or valid for the call.
            let Some(s) = snapshot.as_ref() else {
                return Err(PluginError::invalid_input("null snapshot"));
            };
            if (s.struct_size as usize) < size_of::<SignalSnapshot>() {
                return Err(PluginError::invalid_input(format!(
                    "snapshot of {} bytes, expected at least {}",
                    s.struct_size,
                    size_of::<SignalSnapshot>()
                )));
            }
            // SAFETY: the host's arrays are valid for the call.
            let view = SignalView::new(
                s.now,
                s.intersections.as_slice(),
                s.movements.as_slice(),
                s.phase_starts.as_slice(),
                s.phase_movements.as_slice(),
            )?;
            let n = view.intersections().len();
            if out_len != n {
                return Err(PluginError::invalid_input(format!("{out_len} outputs for {n} intersections")));
            }
            let out: &mut [SignalDecision] = if n == 0 {
                &mut []
            } else if out.is_null() {
                return Err(PluginError::invalid_input("null output buffer"));
            } else {
                // SAFETY: the host's buffer holds `n` initialised decisions, exclusively ours for
                // the call.
                std::slice::from_raw_parts_mut(out, n)
            };
            t.decide(&view, out)
        })
    }
}

/// The vtable of a signal controller type.
pub trait SignalGlue {
    /// The vtable.
    const VTABLE: SignalVTable;
}

impl<T: SignalController> SignalGlue for T {
    const VTABLE: SignalVTable = SignalVTable {
        struct_size: size_of::<SignalVTable>(),
        create: create::<T>,
        destroy: destroy::<T>,
        decide: decide::<T>,
    };
}

/// The descriptor of controller `T`: the `signals` section of [`crate::export_plugins!`].
pub const fn signals<T: SignalController>() -> ComponentDescriptor {
    descriptor::<T>(ComponentKind::SIGNAL, (&<T as SignalGlue>::VTABLE as *const SignalVTable).cast())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traits::{Config, Host};

    fn movement(queue: u32) -> MovementObs {
        MovementObs {
            in_link: 0,
            out_link: 1,
            queue,
            on_link: queue,
            down_free: 10,
            lanes: 1,
            sat_flow_vph: 1800.0,
            since_departure_s: f64::INFINITY,
            down_weighted_queue: 0.0,
            design_flow_vph: f64::NAN,
        }
    }

    fn node(node: u32, first_movement: u32, n_movements: u32, first_phase: u32) -> IntersectionObs {
        IntersectionObs {
            node,
            phase: 0,
            n_phases: 2,
            reason: IntersectionObs::REQUESTED,
            elapsed_green_s: 7.0,
            min_green_s: 5.0,
            max_green_s: 40.0,
            intergreen_s: 4.0,
            lost_per_phase_s: 4.0,
            first_movement,
            n_movements,
            first_phase,
            _reserved: 0,
        }
    }

    /// Switches to the phase with the longest queue when it beats the current one, else waits 5 s.
    struct Longest;

    impl Component for Longest {
        const NAME: &'static str = "longest";
        const DESCRIPTION: &'static str = "test controller";
        fn new(_: &Config<'_>, _: &Host) -> Result<Self, PluginError> {
            Ok(Longest)
        }
    }

    impl SignalController for Longest {
        fn decide(&mut self, s: &SignalView<'_>, out: &mut [SignalDecision]) -> Result<(), PluginError> {
            for (x, d) in s.intersections().iter().zip(out) {
                let q = |p| s.phase(x, p).map(|m| m.queue).sum::<u32>();
                let best = (0..x.n_phases).max_by_key(|&p| (q(p), std::cmp::Reverse(p))).unwrap_or(0);
                *d = if q(best) > q(x.phase) {
                    SignalDecision::switch(best)
                } else {
                    SignalDecision::extend(5.0)
                };
            }
            Ok(())
        }
    }

    struct Arrays {
        nodes: Vec<IntersectionObs>,
        movements: Vec<MovementObs>,
        starts: Vec<u32>,
        phase_movements: Vec<u32>,
    }

    /// Two nodes of two movements each, one movement per phase; node 7's phase 1 queues 3,
    /// node 9's phase 1 queues nothing.
    fn two_nodes() -> Arrays {
        Arrays {
            nodes: vec![node(7, 0, 2, 0), node(9, 2, 2, 3)],
            movements: vec![movement(1), movement(3), movement(2), movement(0)],
            starts: vec![0, 1, 2, 2, 3, 4],
            phase_movements: vec![0, 1, 2, 3],
        }
    }

    fn call(a: &Arrays, out_len: usize) -> (Status, Vec<SignalDecision>, String) {
        let snapshot = SignalSnapshot {
            struct_size: size_of::<SignalSnapshot>() as u32,
            _reserved: 0,
            now: 12.0,
            intersections: SliceRef::new(&a.nodes),
            movements: SliceRef::new(&a.movements),
            phase_starts: SliceRef::new(&a.starts),
            phase_movements: SliceRef::new(&a.phase_movements),
        };
        let vt = <Longest as SignalGlue>::VTABLE;
        unsafe extern "C" fn write(ctx: *mut c_void, m: crate::abi::StrRef) {
            // SAFETY: ctx is the test's String; the message is valid for the call.
            unsafe { (*ctx.cast::<String>()).push_str(m.as_str().unwrap_or("?")) };
        }
        let mut message = String::new();
        let mut err = ErrorOut { ctx: (&raw mut message).cast(), write };
        let mut inst: *mut c_void = std::ptr::null_mut();
        let mut out = vec![SignalDecision { kind: 99, phase: 99, seconds: f64::NAN }; out_len];
        // SAFETY: valid inputs for the calls; the instance is destroyed once.
        let status = unsafe {
            assert_eq!(
                (vt.create)(crate::abi::StrRef::new("{}"), std::ptr::null(), &raw mut inst, &raw mut err),
                Status::OK
            );
            let status = (vt.decide)(inst, &raw const snapshot, out.as_mut_ptr(), out_len, &raw mut err);
            (vt.destroy)(inst);
            status
        };
        (status, out, message)
    }

    #[test]
    fn the_thunk_answers_one_decision_per_node_through_the_phase_index() {
        let (status, out, message) = call(&two_nodes(), 2);
        assert_eq!((status, message.as_str()), (Status::OK, ""));
        // Node 7: phase 1 (movement 1, queue 3) beats phase 0 (queue 1). Node 9: phase 0 (queue
        // 2) is current and longest.
        assert_eq!(out, [SignalDecision::switch(1), SignalDecision::extend(5.0)]);
    }

    #[test]
    fn the_thunk_refuses_out_of_range_indices_naming_the_node() {
        let mut a = two_nodes();
        a.phase_movements[3] = 4;
        let (status, _, message) = call(&a, 2);
        assert_eq!(status, Status::INVALID_INPUT);
        assert!(message.contains("phase movement index 4"), "{message}");

        let mut a = two_nodes();
        a.nodes[1].first_movement = 3;
        let (status, _, message) = call(&a, 2);
        assert_eq!(status, Status::INVALID_INPUT);
        assert!(message.contains("intersection 1 (node 9): movements 3..5"), "{message}");

        let mut a = two_nodes();
        a.nodes[1].first_phase = 4;
        let (status, _, message) = call(&a, 2);
        assert!(status == Status::INVALID_INPUT && message.contains("phase bounds 4..7"), "{message}");

        let mut a = two_nodes();
        a.starts[1] = 3;
        a.starts[2] = 1;
        let (status, _, message) = call(&a, 2);
        assert!(status == Status::INVALID_INPUT && message.contains("node 7"), "{message}");

        let mut a = two_nodes();
        a.starts[5] = 5;
        let (status, _, message) = call(&a, 2);
        assert!(status == Status::INVALID_INPUT && message.contains("exceed"), "{message}");

        let mut a = two_nodes();
        a.nodes[0].phase = 2;
        let (status, _, message) = call(&a, 2);
        assert!(status == Status::INVALID_INPUT && message.contains("current phase 2 of 2"), "{message}");

        let mut a = two_nodes();
        a.nodes[0].n_phases = 0;
        let (status, _, message) = call(&a, 2);
        assert!(status == Status::INVALID_INPUT && message.contains("no phases"), "{message}");

        let (status, _, message) = call(&two_nodes(), 1);
        assert!(status == Status::INVALID_INPUT && message.contains("1 outputs for 2"), "{message}");
    }

    #[test]
    fn view_accessors_never_panic_on_foreign_nodes() {
        let a = two_nodes();
        let view = SignalView::new(0.0, &a.nodes, &a.movements, &a.starts, &a.phase_movements).unwrap();
        let stranger = node(1, 10, 5, 40);
        assert!(view.movements_of(&stranger).is_empty());
        assert_eq!(view.phase(&stranger, 0).count(), 0);
        assert_eq!(view.phase(&a.nodes[0], 2).count(), 0);
        assert_eq!(view.phase_indices(&a.nodes[1], 0), [2]);
        // (NaN design flows: compare addresses, not values.)
        let of = view.movements_of(&a.nodes[1]);
        assert!(of.len() == 2 && std::ptr::eq(of.as_ptr(), &a.movements[2]));
        assert_eq!(view.now(), 0.0);
    }
}
