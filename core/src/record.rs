//! The record stream: what a running model reports, and the catalogue that names it.
//!
//! Domains emit compact [`Record`]s (time, kind, subject, value) into a buffer owned by the
//! engine; the engine flushes full buffers to metric collectors in batches. Collectors never touch
//! the World: the [`Catalogue`] tells them, once at the start, what each kind and subject means.
//!
//! The types are those of the plugin ABI crate (`xinzhi-plugin`): [`Record`] is `#[repr(C)]`, so a
//! batch crosses to collector plugins unchanged, without copying.

pub use xinzhi_plugin::{Aggregate, Catalogue, KindInfo, Record, Report};

/// Typed index of a kind in a [`Catalogue`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KindId(pub u32);

/// Adds a kind to `catalogue` and returns its id.
pub fn add_kind(catalogue: &mut Catalogue, info: KindInfo) -> KindId {
    catalogue.kinds.push(info);
    KindId(u32::try_from(catalogue.kinds.len() - 1).expect("fewer than 2^32 record kinds"))
}
