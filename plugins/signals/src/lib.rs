//! # xinzhi-signals
//!
//! The built-in Xinzhi signal controllers (plugin kind `signal`, ABI 1.2). The city host calls a
//! controller for every signalised node that names it, batching all nodes that share one
//! plugin and parameters into one call; each answer is `EXTEND(d)` (keep the green, call again
//! in `d` s) or `SWITCH(p)` (end the green now: yellow and all-red, then phase `p`). One instance
//! serves many nodes, so per-node state is kept by node index.
//!
//! | name | keys (defaults) | rule |
//! | --- | --- | --- |
//! | `fixed_time` | `cycle`, `greens`; or `mode = "webster"` with `flows`, `cycle_min` 30, `cycle_max` 180; `offsets` | the same plan every cycle: `EXTEND(G_p)` at each green start, `SWITCH(p+1)` at its end; `Σ(G_p + Y + AR) = cycle` is checked. Webster: `C₀ = (1.5·L + 5)/(1 − Y)` clamped, effective `g_p = (y_p/Y)(C₀ − L)`, unrounded. Offsets: phase 0's green starts at `offsets + k·C` (one value per node: the node's offset) after a first cycle as short as min greens allow |
//! | `actuated` | `min_green` 5, `max_green` 45, `gap` 3 | after min green, extend while the green phase's last crossing is less than `gap` ago; gapped out, switch to the next phase with a call (rest in green without one); end at max green if a call waits |
//! | `max_pressure` | `min_green` 5, `step` 5, `threshold` 8, `weights` `"queue"` | every `step` after min green, the phase of largest pressure `P_p = Σ c_m·w_m` if it beats the green one by more than θ (θ = 0: naive max pressure) |
//! | `mp_cycle` | `cycle` 60, `g_min` 5, `weights` `"queue"` | at phase 0's green start, effective `g_p = g_min + (C − L − n·g_min)·max(P_p, 0)/Σ max(P_q, 0)`; then fixed splits for the cycle |
//! | `longest_queue` | `min_green` 5, `step` 5 | every `step` after min green, the phase with the most vehicles waiting if strictly more than the green one |
//!
//! Notation: `w_m = x_m − Σ_p r(m,p)·x(m,p)` (the host gives the downstream sum), `c_m` the
//! movement's saturation flow \[veh/s\]; see [`pressure`] for the two weightings. Ties go to the
//! lowest phase index. Every parameter error names its key; an unknown key is an error.
//!
//! ## Timing conventions
//!
//! - Each phase shows a displayed green `G`, then yellow `Y` and all-red `AR` (the node's
//!   intergreen `Y + AR`, inserted by the host). Start-up lost time `l₁` and clearance lost time
//!   `l₂` (defaults 2 and 2) give the **effective green** `g = G + Y + AR − l₁ − l₂`, the
//!   half-open window `[G_start + l₁, G_end + Y + AR − l₂)`. The lost time of a cycle is
//!   `L = Σ_phases (l₁ + l₂)`; the snapshot gives `l₁ + l₂` per phase.
//! - So a cycle is `C = Σ_p (G_p + Y + AR) = Σ_p g_p + L`, and from an effective green the
//!   displayed one is `G = g − (Y + AR) + l₁ + l₂`.
//! - The host validates `Y + AR ≥ l₂`, `l₁ ≥ 0`, and `min_green + Y + AR > l₁ + l₂`.
//! - Saturation headway of an approach `h = 3600/(s·lanes)` s; a permitted left uses
//!   `s·permitted_left_factor`.
//! - A **call** is a vehicle waiting at a stop line (`queue > 0`); a detector actuation is a
//!   stop-line crossing. The host calls a node at its green start, when an extension asked,
//!   and at max green when a conflicting phase has a call (the answer must be a switch); it
//!   calls before same-instant crossings.
//! - The host, never a controller, enforces safety: min green (a switch before it is carried
//!   out at it), max green, the intergreen, and the form of every answer.
//!
//! The crate is a `cdylib` (loaded by the host) and an `rlib` (linked statically);
//! [`plugin_library`] is its descriptor.

pub mod actuated;
pub mod fixed;
pub mod greedy;
pub mod pressure;

mod common;
mod params;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod testkit;

pub use actuated::Actuated;
pub use fixed::{FixedTime, webster};
pub use greedy::LongestQueue;
pub use pressure::{MaxPressure, MpCycle, Weights, stage_pressure, stage_pressures};

xinzhi_plugin::export_plugins! {
    signals: [FixedTime, Actuated, MaxPressure, MpCycle, LongestQueue],
}

#[cfg(test)]
mod tests {
    use xinzhi_plugin::Component;
    use xinzhi_plugin::abi::ComponentKind;

    use super::*;

    fn lengths<T: Component>() -> [usize; 3] {
        [T::NAME.len(), T::DESCRIPTION.len(), T::PARAMETERS.len()]
    }

    #[test]
    fn library_lists_the_five_controllers() {
        let library = plugin_library();
        assert_eq!(library.header.magic, xinzhi_plugin::abi::MAGIC);
        assert_eq!(library.header.abi_minor, 2);
        assert_eq!(library.header.crate_name.len, "xinzhi-signals".len());
        assert_eq!(library.n_components, 5);
        let expected = [
            lengths::<FixedTime>(),
            lengths::<Actuated>(),
            lengths::<MaxPressure>(),
            lengths::<MpCycle>(),
            lengths::<LongestQueue>(),
        ];
        for (d, lengths) in __XINZHI_COMPONENTS.iter().zip(expected) {
            assert_eq!(d.kind, ComponentKind::SIGNAL);
            assert_eq!([d.name.len, d.description.len, d.parameters.len], lengths);
            assert!(!d.vtable.is_null());
        }
        let names = [FixedTime::NAME, Actuated::NAME, MaxPressure::NAME, MpCycle::NAME, LongestQueue::NAME];
        assert_eq!(names, ["fixed_time", "actuated", "max_pressure", "mp_cycle", "longest_queue"]);
        for description in [
            FixedTime::DESCRIPTION,
            Actuated::DESCRIPTION,
            MaxPressure::DESCRIPTION,
            MpCycle::DESCRIPTION,
            LongestQueue::DESCRIPTION,
        ] {
            assert!(!description.trim().is_empty() && !description.contains('\n'));
        }
        // Parameters: one `name: meaning (type, default)` line each.
        for parameters in [
            FixedTime::PARAMETERS,
            Actuated::PARAMETERS,
            MaxPressure::PARAMETERS,
            MpCycle::PARAMETERS,
            LongestQueue::PARAMETERS,
        ] {
            for line in parameters.lines() {
                assert!(line.contains(": ") && line.ends_with(')'), "{line}");
            }
        }
    }
}
