//! # xinzhi-dispatch
//!
//! The built-in Xinzhi schedulers ("dispatch rules"). At every decision a station hands its
//! scheduler the waiting jobs and its machines; the scheduler answers with a full order of the
//! waiting jobs, best first, and the host starts them in that order on the idle machines.
//!
//! Every rule returns **all** waiting jobs and breaks ties by arrival index, so answers are
//! deterministic. Notation: `p_j` processing time at this station, `w_j` weight (`> 0`), `d_j`
//! due date (`+∞` when none), `now` the decision time, `p̄` the mean `p_j` of the queue.
//!
//! | name | rule | key, best first |
//! | --- | --- | --- |
//! | `fifo` | first in, first out (every station's default) | arrival order |
//! | `spt` | shortest processing time | smallest `p_j` |
//! | `lpt` | longest processing time | largest `p_j` |
//! | `edd` | earliest due date | smallest `d_j`; `+∞` last |
//! | `cr` | critical ratio | smallest `(d_j − now) / (p_j + Σ remaining ops' times)`; `+∞` due dates last |
//! | `atc` | apparent tardiness cost, parameter `k` | largest `(w_j/p_j)·exp(−max(0, d_j − p_j − now)/(k·p̄))` |
//! | `wspt` | weighted shortest processing time | largest `w_j / p_j` |
//! | `anneal` | simulated annealing of the sequence | smallest total weighted tardiness or makespan |
//!
//! Edge cases: a zero processing time makes `w/p = +∞` (WSPT and ATC put such jobs first:
//! they delay nobody). In `cr` a zero remaining work gives the limit of the ratio (`±∞`, or 0 for
//! zero slack). `atc` compares priorities in the log domain, so tiny priorities do not underflow
//! into ties; jobs without a due date have priority 0 and are ordered among themselves by WSPT.
//!
//! `anneal` runs argmin's simulated annealing over permutations of the queue (swap and insertion
//! moves), starting from the best of the EDD, WSPT and ATC sequences. A sequence is evaluated by
//! list scheduling on the station's machines that are not blocked (each job to the machine free
//! earliest; a busy machine is free at `max(available_at, now)`): `finish_j` is the completion here
//! plus the job's remaining operations' times, and the objective is `Σ w_j·max(0, finish_j − d_j)`
//! (`weighted_tardiness`, the default) or `max finish_j` (`makespan`). All its randomness derives
//! from the host's seed.
//!
//! ## Parameters
//!
//! Unknown keys are errors naming the key. Only two rules take parameters:
//! - `atc`: `k`, the look-ahead in mean processing times (`> 0`, default 2);
//! - `anneal`: `objective` (`"weighted_tardiness"` or `"makespan"`), `iterations` (moves per
//!   decision, default 2000), `temperature` (initial, in units of the queue's mean `w·p`, or mean
//!   `p` for makespan; default 3) and `reanneal` (moves without a new best before the temperature
//!   is reset; default 200). See [`Annealing`].
//!
//! The crate is a `cdylib` (loaded by the host) and an `rlib` (linked statically);
//! [`plugin_library`] is its descriptor.

pub mod anneal;
pub mod rules;

#[cfg(test)]
mod testkit;

pub use anneal::{Annealing, Objective};
pub use rules::{Atc, Cr, Edd, Fifo, Lpt, Spt, Wspt};

xinzhi_plugin::export_plugins! {
    schedulers: [Fifo, Spt, Lpt, Edd, Cr, Atc, Wspt, Annealing],
}

#[cfg(test)]
mod tests {
    use xinzhi_plugin::Component;
    use xinzhi_plugin::abi::{ComponentDescriptor, ComponentKind};

    use super::*;
    use crate::testkit::{build, order_of, random_stations};

    /// The lengths of `T`'s name, description and parameters text.
    ///
    /// The descriptor's texts are raw `StrRef`s: reading them takes `unsafe`, which this crate
    /// does not use, and constants have no guaranteed address to compare. So each descriptor is
    /// matched to its type by kind and text lengths, and the texts are checked on the types.
    fn lengths<T: Component>() -> [usize; 3] {
        [T::NAME.len(), T::DESCRIPTION.len(), T::PARAMETERS.len()]
    }

    fn descriptor_lengths(d: &ComponentDescriptor) -> [usize; 3] {
        [d.name.len, d.description.len, d.parameters.len]
    }

    #[test]
    fn library_lists_the_eight_schedulers() {
        let library = plugin_library();
        assert_eq!(library.header.magic, xinzhi_plugin::abi::MAGIC);
        assert_eq!(library.header.crate_name.len, "xinzhi-dispatch".len());
        assert_eq!(library.n_components, 8);
        // `library.components` points to (a copy of) this table.
        assert_eq!(__XINZHI_COMPONENTS.len(), library.n_components);
        let expected = [
            lengths::<Fifo>(),
            lengths::<Spt>(),
            lengths::<Lpt>(),
            lengths::<Edd>(),
            lengths::<Cr>(),
            lengths::<Atc>(),
            lengths::<Wspt>(),
            lengths::<Annealing>(),
        ];
        for (descriptor, lengths) in __XINZHI_COMPONENTS.iter().zip(expected) {
            assert_eq!(descriptor.kind, ComponentKind::SCHEDULER);
            assert_eq!(descriptor_lengths(descriptor), lengths);
            assert!(!descriptor.name.ptr.is_null() && !descriptor.description.ptr.is_null());
            assert!(descriptor.description.len > 0 && !descriptor.vtable.is_null());
        }
        let names =
            [Fifo::NAME, Spt::NAME, Lpt::NAME, Edd::NAME, Cr::NAME, Atc::NAME, Wspt::NAME, Annealing::NAME];
        assert_eq!(names, ["fifo", "spt", "lpt", "edd", "cr", "atc", "wspt", "anneal"]);
        let descriptions = [
            Fifo::DESCRIPTION,
            Spt::DESCRIPTION,
            Lpt::DESCRIPTION,
            Edd::DESCRIPTION,
            Cr::DESCRIPTION,
            Atc::DESCRIPTION,
            Wspt::DESCRIPTION,
            Annealing::DESCRIPTION,
        ];
        for description in descriptions {
            assert!(!description.trim().is_empty() && !description.contains('\n'));
        }
        // Parameters: one `name: meaning (type, default)` line each.
        for parameters in [Atc::PARAMETERS, Annealing::PARAMETERS] {
            for line in parameters.lines() {
                assert!(line.contains(": ") && line.ends_with(')'), "{line}");
            }
        }
        assert_eq!(Annealing::PARAMETERS.lines().count(), 4);
    }

    #[test]
    fn every_scheduler_returns_a_full_order_on_random_stations() {
        // `order_of` asserts a permutation of all waiting jobs; instances cover 1–20 jobs, later
        // operations, zero times, missing due dates and idle, busy, overrunning, blocked machines.
        let stations = random_stations(51, 300, 20);
        fn check<S: xinzhi_plugin::Scheduler>(json: &str, stations: &[testkit::Scenario]) {
            let mut scheduler = build::<S>(json, 9).unwrap();
            for s in stations {
                order_of(&mut scheduler, s);
            }
        }
        check::<Fifo>("{}", &stations);
        check::<Spt>("{}", &stations);
        check::<Lpt>("{}", &stations);
        check::<Edd>("{}", &stations);
        check::<Cr>("{}", &stations);
        check::<Atc>("{}", &stations);
        check::<Wspt>("{}", &stations);
        check::<Annealing>(r#"{"iterations": 100}"#, &stations);
        check::<Annealing>(r#"{"iterations": 100, "objective": "makespan"}"#, &stations);
    }
}
