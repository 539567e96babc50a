//! One file per plugin kind on the host side: how its vtable is read and checked at load time,
//! and its live instance (a safe wrapper that calls through the vtable and validates every
//! output). What every instance shares is in [`super::instance`].
//!
//! `KINDS` is the one table of kinds the host reads: [`super::library`] finds a descriptor's
//! kind in it, and skips a kind it does not list (one appended by a newer minor version), so
//! that newer plugins still load.

pub mod collect;
pub mod dispatch;
pub mod predict;
pub mod signal;

use std::any::Any;
use std::ffi::c_void;
use std::fmt;
use std::sync::Arc;

use xinzhi_plugin::abi::ComponentKind;

/// What the host knows of one kind.
#[derive(Clone, Copy)]
pub(crate) struct HostKind {
    /// Its ABI code.
    pub(crate) kind: ComponentKind,
    /// Reads and checks a vtable of this kind at load time.
    ///
    /// # Safety
    /// The pointer is non-null and points to a static vtable of this kind, of any 1.x version
    /// (its first field is its `struct_size: usize`).
    pub(crate) read: unsafe fn(*const c_void) -> Result<VTable, String>,
}

/// Every kind this host can call, by ABI code: adding a kind is one entry here.
pub(crate) const KINDS: &[HostKind] = &[dispatch::KIND, predict::KIND, collect::KIND, signal::KIND];

/// A component's checked vtable, as its kind's [`HostKind::read`] stored it; that kind's
/// instance constructor takes it back out with [`VTable::get`]. Type-erased so that the library
/// and the registry need not list the kinds.
#[derive(Clone)]
pub(crate) struct VTable(Arc<dyn Any + Send + Sync>);

impl VTable {
    /// Stores a kind's vtable (or the function pointers copied out of it).
    pub(crate) fn new<V: Copy + Send + Sync + 'static>(v: V) -> Self {
        VTable(Arc::new(v))
    }

    /// The vtable, if it was stored as a `V` (that is, if the component is of that kind).
    pub(crate) fn get<V: Copy + 'static>(&self) -> Option<V> {
        self.0.downcast_ref::<V>().copied()
    }
}

impl fmt::Debug for VTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VTable")
    }
}

/// The vtable of a component, `None` for a kind this host does not know.
///
/// # Safety
/// `ptr` is null or points to a static vtable of `kind`.
pub(crate) unsafe fn read(kind: ComponentKind, ptr: *const c_void) -> Result<Option<VTable>, String> {
    if ptr.is_null() {
        return Err("null vtable".into());
    }
    let Some(k) = KINDS.iter().find(|k| k.kind == kind) else { return Ok(None) };
    // SAFETY: non-null and of this kind, by the caller's promise.
    unsafe { (k.read)(ptr) }.map(Some)
}

/// A vtable whose layout has not grown since its kind began: the whole struct must be there.
///
/// # Safety
/// `ptr` points to a static `T` whose first field is its `struct_size: usize`.
pub(crate) unsafe fn sized<T>(ptr: *const c_void) -> Result<&'static T, String> {
    // SAFETY: every vtable starts with `struct_size: usize`.
    let size = unsafe { *ptr.cast::<usize>() };
    if size < size_of::<T>() {
        return Err(format!("vtable of {size} bytes, expected at least {}", size_of::<T>()));
    }
    // SAFETY: large enough, static, of this type by the ABI.
    Ok(unsafe { &*ptr.cast::<T>() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The host calls every kind the author API defines, and no other.
    #[test]
    fn the_host_knows_every_kind_of_the_author_api() {
        let host: Vec<u32> = KINDS.iter().map(|k| k.kind.0).collect();
        let api: Vec<u32> = xinzhi_plugin::kinds::KINDS.iter().map(|k| k.kind.0).collect();
        assert_eq!(host, api);
    }

    /// A kind appended by a later minor version (here code 99) is skipped without reading its
    /// vtable; a vtable smaller than its kind's is refused; a null one too.
    #[test]
    fn unknown_kinds_are_skipped_and_short_vtables_refused() {
        // A vtable whose `struct_size` says 8 bytes: shorter than any kind's.
        static SHORT: usize = 8;
        let ptr: *const c_void = (&raw const SHORT).cast();
        // SAFETY: non-null, static, starting with a `struct_size: usize`; an unknown kind is not read.
        let (unknown, signal) = unsafe { (read(ComponentKind(99), ptr), read(ComponentKind::SIGNAL, ptr)) };
        assert!(matches!(unknown, Ok(None)));
        assert_eq!(signal.unwrap_err(), "vtable of 8 bytes, expected at least 32");
        // SAFETY: null is refused before anything is read.
        assert_eq!(unsafe { read(ComponentKind::SIGNAL, std::ptr::null()) }.unwrap_err(), "null vtable");
    }
}
