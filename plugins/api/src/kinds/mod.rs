//! One file per plugin kind: its `#[repr(C)]` records and vtable, its safe trait and views, and
//! the glue thunks between them. What every kind shares (the frozen header, the descriptors,
//! statuses, creation and destruction, panic catching) lives in [`crate::abi`],
//! [`crate::glue`] and [`crate::Component`].
//!
//! Adding a kind (in a new ABI minor version; hosts skip kinds they do not know): a file here
//! with its `ComponentKind` code, records, vtable, trait, thunks, `SPEC` and section function;
//! then one `pub mod` line, one [`KINDS`] entry and one line in [`sections`] below, and its
//! re-exports in `abi.rs` (records, vtable) and `lib.rs` (trait, views).

pub mod collect;
pub mod dispatch;
pub mod predict;
pub mod signal;

use crate::abi::ComponentKind;

/// What every table of kinds says about one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindSpec {
    /// Its ABI code.
    pub kind: ComponentKind,
    /// Its name in messages and on the command line, e.g. `scheduler`.
    pub name: &'static str,
    /// Its section in [`crate::export_plugins!`], e.g. `schedulers`.
    pub section: &'static str,
    /// What a component of the kind does, in a few words.
    pub summary: &'static str,
}

/// Every kind this crate knows, by ABI code.
pub const KINDS: &[KindSpec] = &[dispatch::SPEC, predict::SPEC, collect::SPEC, signal::SPEC];

/// The sections of [`crate::export_plugins!`]: `schedulers: [T, …]` calls `schedulers::<T>()`.
#[doc(hidden)]
pub mod sections {
    pub use super::collect::collectors;
    pub use super::dispatch::schedulers;
    pub use super::predict::predictors;
    pub use super::signal::signals;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_codes_names_and_sections() {
        for (i, a) in KINDS.iter().enumerate() {
            assert_eq!(a.kind.name(), a.name);
            for b in &KINDS[i + 1..] {
                assert!(a.kind != b.kind && a.name != b.name && a.section != b.section, "{a:?} {b:?}");
            }
        }
        assert_eq!(
            KINDS.iter().map(|k| (k.kind.0, k.name)).collect::<Vec<_>>(),
            [(1, "scheduler"), (2, "predictor"), (3, "collector"), (4, "signal")]
        );
    }
}
