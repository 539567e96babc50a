//! The signal kind on the host side: a [`SignalInstance`] asks a signal-controller plugin for
//! one decision per intersection of a batch and validates every answer.
//!
//! Only the form of an answer is checked here (a known kind, a finite non-negative time, a
//! switch to another existing phase, no extension at max green). Timing safety (intergreens,
//! min and max green) is the caller's: the plugin never decides it.

use std::ffi::c_void;

use xinzhi_plugin::abi::{
    ComponentKind, IntersectionObs, MovementObs, SignalDecision, SignalSnapshot, SignalVTable, SliceRef,
};

use super::{HostKind, VTable, sized};
use crate::plugin::instance::{RawInstance, Services, create};
use crate::plugin::{CallError, Component};

/// The signal kind in the host's table.
pub(crate) const KIND: HostKind = HostKind { kind: ComponentKind::SIGNAL, read: read_vtable };

/// # Safety
/// As for [`HostKind::read`].
unsafe fn read_vtable(ptr: *const c_void) -> Result<VTable, String> {
    // SAFETY: forwarded.
    unsafe { sized::<SignalVTable>(ptr) }.map(VTable::new)
}

/// A signal-controller instance; it may serve many intersections.
pub struct SignalInstance {
    raw: RawInstance,
    vt: &'static SignalVTable,
}

impl std::fmt::Debug for SignalInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignalInstance").field("plugin", &self.raw.name()).finish_non_exhaustive()
    }
}

/// What `out` holds before the call: an invalid kind, so that an answer the plugin did not
/// write is refused rather than read as a stale or zero decision.
const UNWRITTEN: SignalDecision = SignalDecision { kind: u32::MAX, phase: u32::MAX, seconds: f64::NAN };

impl SignalInstance {
    /// The plugin's qualified name.
    pub fn name(&self) -> &str {
        self.raw.name()
    }

    /// Asks for one decision per element of `intersections` at time `now` \[s\] and leaves them,
    /// validated, in `out` (resized to `intersections.len()`, its buffer reused). The arrays are
    /// those of [`SignalSnapshot`]: each node's movements at `first_movement..+n_movements` of
    /// `movements`, its phase bounds at `first_phase..=first_phase + n_phases` of
    /// `phase_starts`, bounding indices into `movements` held in `phase_movements`.
    ///
    /// Every answer must be [`SignalDecision::EXTEND`] or [`SignalDecision::SWITCH`] with
    /// `seconds` finite and `≥ 0`; a switch names a phase `< n_phases` other than the current
    /// one; at [`IntersectionObs::MAX_GREEN`] only a switch is accepted.
    ///
    /// # Errors
    /// The plugin's own error or panic, or an invalid answer: the message names the
    /// intersection (its position in the batch and its `node` index).
    pub fn decide(
        &mut self,
        now: f64,
        intersections: &[IntersectionObs],
        movements: &[MovementObs],
        phase_starts: &[u32],
        phase_movements: &[u32],
        out: &mut Vec<SignalDecision>,
    ) -> Result<(), CallError> {
        let n = intersections.len();
        out.clear();
        out.resize(n, UNWRITTEN);
        if n == 0 {
            return Ok(());
        }
        let snapshot = SignalSnapshot {
            struct_size: size_of::<SignalSnapshot>() as u32,
            _reserved: 0,
            now,
            intersections: SliceRef::new(intersections),
            movements: SliceRef::new(movements),
            phase_starts: SliceRef::new(phase_starts),
            phase_movements: SliceRef::new(phase_movements),
        };
        let vt = self.vt;
        let buf = out.as_mut_ptr();
        self.raw.call("decide", |inst, err| {
            // SAFETY: inputs valid for the call; `buf` holds `n` initialised decisions.
            unsafe { (vt.decide)(inst, &raw const snapshot, buf, n, err) }
        })?;
        for (k, (x, d)) in intersections.iter().zip(out.iter()).enumerate() {
            if let Err(problem) = check(x, d) {
                return Err(self.raw.error(
                    "decide",
                    None,
                    format!("intersection {k} (node {}): {problem}", x.node),
                ));
            }
        }
        Ok(())
    }
}

/// What is wrong with answer `d` for node `x`, if anything.
fn check(x: &IntersectionObs, d: &SignalDecision) -> Result<(), String> {
    if !(d.seconds.is_finite() && d.seconds >= 0.0) {
        return Err(format!("answered {} seconds (expected a finite time ≥ 0)", d.seconds));
    }
    match d.kind {
        SignalDecision::EXTEND if x.reason == IntersectionObs::MAX_GREEN => Err(format!(
            "extended phase {} at its max green ({} s) while another phase has a call (expected a switch)",
            x.phase, x.max_green_s
        )),
        SignalDecision::EXTEND => Ok(()),
        SignalDecision::SWITCH if d.phase >= x.n_phases => Err(format!(
            "switched to phase {}, but the node has {} phases (0 to {})",
            d.phase,
            x.n_phases,
            x.n_phases.saturating_sub(1)
        )),
        SignalDecision::SWITCH if d.phase == x.phase => {
            Err(format!("switched to phase {}, which is green already (extend it instead)", d.phase))
        }
        SignalDecision::SWITCH => Ok(()),
        kind => Err(format!("answered decision kind {kind} (expected 0 = extend or 1 = switch)")),
    }
}

impl Component {
    /// A new signal-controller instance with these parameters (a JSON object).
    ///
    /// # Errors
    /// As for [`Component::scheduler`].
    pub fn signal(&self, params_json: &str, services: Services) -> Result<SignalInstance, CallError> {
        let vt: &'static SignalVTable = self.vtable_as("signal")?;
        Ok(SignalInstance { raw: create(self, vt.create, vt.destroy, params_json, services)?, vt })
    }
}

#[cfg(test)]
mod tests {
    use xinzhi_plugin::abi::{
        ABI_MAJOR, ABI_MINOR, AbiHeader, FLAG_PANIC_UNWIND, MAGIC, PluginLibrary, StrRef,
    };
    use xinzhi_plugin::kinds::signal::signals;
    use xinzhi_plugin::{Component as Author, Config, Host, PluginError, SignalController, SignalView};

    use super::*;
    use crate::plugin::Registry;

    /// Answers with what its parameters say, for every node: `{"kind": k, "phase": p,
    /// "seconds": s}` (seconds as text so that NaN and infinities can be asked for).
    struct Echo(SignalDecision);

    impl Author for Echo {
        const NAME: &'static str = "echo";
        const DESCRIPTION: &'static str = "answers its parameters";
        fn new(config: &Config<'_>, _: &Host) -> Result<Self, PluginError> {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct P {
                kind: u32,
                phase: u32,
                seconds: String,
            }
            let p: P = config.parse()?;
            let seconds = p.seconds.parse().map_err(|_| PluginError::invalid_config("seconds"))?;
            Ok(Echo(SignalDecision { kind: p.kind, phase: p.phase, seconds }))
        }
    }

    impl SignalController for Echo {
        fn decide(&mut self, _: &SignalView<'_>, out: &mut [SignalDecision]) -> Result<(), PluginError> {
            out.fill(self.0);
            Ok(())
        }
    }

    /// Writes nothing: the host must not read its untouched buffer as answers.
    struct Silent;

    impl Author for Silent {
        const NAME: &'static str = "silent";
        const DESCRIPTION: &'static str = "writes no answer";
        fn new(_: &Config<'_>, _: &Host) -> Result<Self, PluginError> {
            Ok(Silent)
        }
    }

    impl SignalController for Silent {
        fn decide(&mut self, _: &SignalView<'_>, _: &mut [SignalDecision]) -> Result<(), PluginError> {
            Ok(())
        }
    }

    fn registry() -> Registry {
        const COMPONENTS: &[xinzhi_plugin::abi::ComponentDescriptor] =
            &[signals::<Echo>(), signals::<Silent>()];
        static LIBRARY: PluginLibrary = PluginLibrary {
            header: AbiHeader {
                magic: MAGIC,
                abi_major: ABI_MAJOR,
                abi_minor: ABI_MINOR,
                library_struct_size: size_of::<PluginLibrary>() as u32,
                flags: FLAG_PANIC_UNWIND,
                api_version: StrRef::new(xinzhi_plugin::API_VERSION),
                crate_name: StrRef::new("signal-test"),
                crate_version: StrRef::new("0.0.0"),
            },
            rustc_version: StrRef::new(xinzhi_plugin::RUSTC_VERSION),
            n_components: COMPONENTS.len(),
            components: COMPONENTS.as_ptr(),
        };
        Registry::with_builtins(&[&LIBRARY]).expect("registers")
    }

    fn node(node: u32, phase: u32, n_phases: u32, reason: u32) -> IntersectionObs {
        IntersectionObs {
            node,
            phase,
            n_phases,
            reason,
            elapsed_green_s: 10.0,
            min_green_s: 5.0,
            max_green_s: 40.0,
            intergreen_s: 4.0,
            lost_per_phase_s: 4.0,
            first_movement: 0,
            n_movements: 0,
            first_phase: 0,
            _reserved: 0,
        }
    }

    const SERVICES: Services = Services { seed: 1, replication: 0 };

    /// Node 7 (phase 0 of 2) and node 9 (phase 2 of 3), asked for `reasons`, answered by an
    /// echo of `answer`.
    fn ask(answer: &str, reasons: [u32; 2]) -> Result<Vec<SignalDecision>, CallError> {
        let c = registry().find("echo", ComponentKind::SIGNAL).expect("found");
        let mut inst = c.signal(answer, SERVICES)?;
        let nodes = [node(7, 0, 2, reasons[0]), node(9, 2, 3, reasons[1])];
        // A longer, stale buffer: it is resized, and reused.
        let mut out = vec![SignalDecision::extend(1.0); 5];
        inst.decide(3.0, &nodes, &[], &[0, 0, 0, 0], &[], &mut out)?;
        Ok(out)
    }

    const REQUESTED: [u32; 2] = [IntersectionObs::REQUESTED; 2];

    #[test]
    fn valid_answers_come_back_one_per_intersection() {
        let out = ask(r#"{"kind": 1, "phase": 1, "seconds": "0"}"#, [IntersectionObs::GREEN_START; 2]);
        assert_eq!(out.unwrap(), [SignalDecision::switch(1); 2]);
        let out = ask(r#"{"kind": 0, "phase": 0, "seconds": "5"}"#, REQUESTED);
        assert_eq!(out.unwrap(), [SignalDecision::extend(5.0); 2]);
        // A zero extension is the caller's to raise; here it is a valid answer.
        let out = ask(r#"{"kind": 0, "phase": 0, "seconds": "0"}"#, REQUESTED);
        assert_eq!(out.unwrap(), [SignalDecision::extend(0.0); 2]);
    }

    #[test]
    fn invalid_answers_name_the_plugin_and_the_intersection() {
        let err = |answer: &str, reasons| ask(answer, reasons).unwrap_err();
        let e = err(r#"{"kind": 2, "phase": 0, "seconds": "1"}"#, REQUESTED);
        assert_eq!((e.plugin.as_str(), e.call, e.status), ("signal-test/echo", "decide", None));
        assert_eq!(
            e.message,
            "intersection 0 (node 7): answered decision kind 2 (expected 0 = extend or 1 = switch)"
        );
        for bad in ["NaN", "inf", "-0.5"] {
            let e = err(&format!(r#"{{"kind": 0, "phase": 0, "seconds": "{bad}"}}"#), REQUESTED);
            assert!(
                e.message.starts_with("intersection 0 (node 7): answered ") && e.message.contains("finite"),
                "{e}"
            );
        }
        let e = err(r#"{"kind": 1, "phase": 2, "seconds": "0"}"#, REQUESTED);
        assert_eq!(
            e.message,
            "intersection 0 (node 7): switched to phase 2, but the node has 2 phases (0 to 1)"
        );
        let e = err(r#"{"kind": 1, "phase": 0, "seconds": "0"}"#, REQUESTED);
        assert_eq!(
            e.message,
            "intersection 0 (node 7): switched to phase 0, which is green already (extend it instead)"
        );
        // Node 7's extension is fine when requested; node 9's is refused at its max green.
        let e = err(r#"{"kind": 0, "phase": 0, "seconds": "5"}"#, [1, IntersectionObs::MAX_GREEN]);
        assert!(
            e.message.starts_with("intersection 1 (node 9): extended phase 2 at its max green (40 s)"),
            "{e}"
        );
        assert!(
            e.to_string().starts_with("plugin `signal-test/echo` decide: intersection 1 (node 9)"),
            "{e}"
        );
        // A switch at max green is what is expected.
        let out = ask(r#"{"kind": 1, "phase": 1, "seconds": "0"}"#, [IntersectionObs::MAX_GREEN; 2]);
        assert_eq!(out.unwrap(), [SignalDecision::switch(1); 2]);
    }

    #[test]
    fn an_unwritten_answer_is_refused_and_bad_snapshots_are_the_plugins_input_error() {
        let c = registry().find("silent", ComponentKind::SIGNAL).expect("found");
        let mut inst = c.signal("{}", SERVICES).unwrap();
        assert_eq!(inst.name(), "signal-test/silent");
        let mut out = Vec::new();
        let e = inst.decide(0.0, &[node(3, 0, 2, 0)], &[], &[0, 0, 0], &[], &mut out).unwrap_err();
        assert!(e.message.starts_with("intersection 0 (node 3): answered NaN seconds"), "{e}");
        // Phase bounds missing: the plugin side refuses the snapshot, nothing is read.
        let e = inst.decide(0.0, &[node(3, 0, 2, 0)], &[], &[0], &[], &mut out).unwrap_err();
        assert_eq!(e.status, Some(xinzhi_plugin::Status::INVALID_INPUT));
        assert!(e.message.contains("intersection 0 (node 3): phase bounds 0..3 out of range"), "{e}");
        // No intersections: no call, no answers.
        inst.decide(0.0, &[], &[], &[], &[], &mut out).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn a_signal_controller_is_not_a_scheduler() {
        let c = registry().find("echo", ComponentKind::SIGNAL).expect("found");
        let e = c.scheduler("{}", SERVICES).unwrap_err();
        assert_eq!(e.message, "is a signal, not a scheduler");
        assert!(registry().find("echo", ComponentKind::SCHEDULER).is_err());
    }
}
