//! The C ABI itself: the types that cross between host and plugin.
//!
//! Only `#[repr(C)]` structs of integers, `f64`, raw pointers and `extern "C"` function pointers
//! cross; no Rust enums (an unknown discriminant would be undefined behaviour), no `String`,
//! `Vec`, `Box` or trait objects (their layout is not stable). Whoever allocates frees: inputs
//! are borrowed for one call, outputs go into host buffers or host callbacks.
//!
//! This file holds what every kind shares: the frozen header, the library and component
//! descriptors, statuses, strings and slices, creation and destruction, errors and logging.
//! Each kind's own records and vtable live in its file under [`crate::kinds`] and are
//! re-exported here, so `xinzhi_plugin::abi::JobRecord` and the like keep their paths.
//!
//! Versioning: [`AbiHeader`] never changes. [`ABI_MAJOR`] must match exactly; [`ABI_MINOR`]
//! grows when fields or kinds are appended, and readers only read fields inside the peer's
//! `struct_size`. The layouts are pinned by tests (`size_of`, `align_of`, `offset_of!`).

use std::ffi::c_void;
use std::marker::PhantomData;

pub use crate::kinds::collect::{
    COLLECTOR_START_SIZE_1_0, COLLECTOR_VTABLE_SIZE_1_0, CollectorStart, CollectorVTable, DeclareFn,
    KindMeta, KindRecord, MetricDeclSink, MetricSink, Record,
};
pub use crate::kinds::dispatch::{
    JobRecord, MachineRecord, OperationRecord, SchedulerVTable, SchedulingSnapshot,
};
pub use crate::kinds::predict::{MatrixRef, PredictorVTable};
pub use crate::kinds::signal::{IntersectionObs, MovementObs, SignalDecision, SignalSnapshot, SignalVTable};

/// First eight bytes of every Xinzhi plugin descriptor.
pub const MAGIC: [u8; 8] = *b"XINZHIPL";
/// Plugin ABI major version: host and plugin must agree exactly.
pub const ABI_MAJOR: u32 = 1;
/// Plugin ABI minor version: fields appended since the major began.
///
/// - 1.0: the first version.
/// - 1.1: [`CollectorStart::kind_meta`] (unit, meaning and bounds of each record kind) and
///   [`CollectorVTable::declare`] (a collector says which metrics it will produce, before any
///   run). A 1.0 plugin keeps loading and running: the host reads `declare` only inside the
///   vtable's `struct_size`, and a 1.0 collector never reads past the 1.0 `CollectorStart`.
/// - 1.2: the signal kind ([`ComponentKind::SIGNAL`], [`SignalVTable`]). Nothing existing
///   changed layout: 1.0 and 1.1 plugins load as before, and a 1.1 host skips signal components.
pub const ABI_MINOR: u32 = 2;
/// Prefix of the one exported entry symbol; the plugin crate's name (with `-` as `_`) follows.
pub const ENTRY_PREFIX: &str = "xinzhi_plugin_entry__";
/// [`AbiHeader::flags`] bit: the plugin was built with `panic = "unwind"`, so its panics can be
/// caught inside the plugin. Plugins without it are refused.
pub const FLAG_PANIC_UNWIND: u32 = 1;

/// Result of every fallible call. A `u32`, not an enum: a newer plugin may return codes this
/// host does not know.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status(pub u32);

impl Status {
    /// Success.
    pub const OK: Status = Status(0);
    /// The parameters given at creation are wrong.
    pub const INVALID_CONFIG: Status = Status(1);
    /// An input of the call is malformed.
    pub const INVALID_INPUT: Status = Status(2);
    /// The plugin could not do what was asked.
    pub const FAILED: Status = Status(3);
    /// The plugin panicked; the instance is now poisoned.
    pub const PANICKED: Status = Status(4);
    /// The instance panicked earlier and refuses further calls.
    pub const POISONED: Status = Status(5);
    /// An output did not fit the host's buffer.
    pub const BUFFER_TOO_SMALL: Status = Status(6);
    /// Since 1.1: the component does not implement this optional call (a collector that does
    /// not declare its metrics).
    pub const UNSUPPORTED: Status = Status(7);

    /// Short name for messages, e.g. `invalid_config`.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "ok",
            1 => "invalid_config",
            2 => "invalid_input",
            3 => "failed",
            4 => "panicked",
            5 => "poisoned",
            6 => "buffer_too_small",
            7 => "unsupported",
            _ => "unknown_status",
        }
    }
}

/// What a component is. A `u32`: hosts skip kinds they do not know.
///
/// The codes are defined next to their kinds, in [`crate::kinds`]: `SCHEDULER = 1`,
/// `PREDICTOR = 2`, `COLLECTOR = 3`, `SIGNAL = 4` (since 1.2). A new kind takes the next code, in a new minor version.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ComponentKind(pub u32);

impl ComponentKind {
    /// Name for messages: `scheduler`, `predictor`, `collector` (from [`crate::kinds::KINDS`]),
    /// or `unknown` for a kind this crate does not know.
    pub fn name(self) -> &'static str {
        crate::kinds::KINDS.iter().find(|k| k.kind == self).map_or("unknown", |k| k.name)
    }
}

/// Borrowed UTF-8 text. `ptr` may be null when `len == 0`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct StrRef {
    /// First byte.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl StrRef {
    /// The empty string (null pointer, length 0).
    pub const EMPTY: StrRef = StrRef { ptr: std::ptr::null(), len: 0 };

    /// Borrows `s`; usable in `static` initialisers.
    pub const fn new(s: &str) -> StrRef {
        StrRef { ptr: s.as_ptr(), len: s.len() }
    }

    /// The text, or `None` if it is not UTF-8.
    ///
    /// # Safety
    /// `ptr` must be null with `len == 0`, or point to `len` readable bytes that stay valid and
    /// unchanged for `'a`.
    pub unsafe fn as_str<'a>(self) -> Option<&'a str> {
        // SAFETY: forwarded to the caller.
        std::str::from_utf8(unsafe { bytes(self.ptr, self.len) }).ok()
    }
}

/// A borrowed slice. `ptr` may be null when `len == 0`.
#[repr(C)]
#[derive(Debug)]
pub struct SliceRef<T> {
    /// First element.
    pub ptr: *const T,
    /// Number of elements.
    pub len: usize,
    _marker: PhantomData<T>,
}

impl<T> Clone for SliceRef<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for SliceRef<T> {}

impl<T> SliceRef<T> {
    /// Borrows `s` for the duration of one call.
    pub const fn new(s: &[T]) -> SliceRef<T> {
        SliceRef { ptr: s.as_ptr(), len: s.len(), _marker: PhantomData }
    }

    /// The elements.
    ///
    /// # Safety
    /// `ptr` must be null with `len == 0`, or point to `len` initialised `T`s that stay valid and
    /// unchanged for `'a`.
    pub unsafe fn as_slice<'a>(self) -> &'a [T] {
        if self.len == 0 || self.ptr.is_null() {
            return &[];
        }
        // SAFETY: non-null and valid for `len` elements, by the caller's promise.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// # Safety
/// See [`StrRef::as_str`].
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    // SAFETY: forwarded.
    unsafe { SliceRef { ptr, len, _marker: PhantomData }.as_slice() }
}

/// Host callback receiving an error message; copies the text, never panics.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ErrorOut {
    /// Host state.
    pub ctx: *mut c_void,
    /// Receives the message (UTF-8, valid for the call).
    pub write: unsafe extern "C" fn(ctx: *mut c_void, message: StrRef),
}

/// Host log callback: level (see [`crate::LogLevel`]), component name, message.
pub type LogFn = unsafe extern "C" fn(level: u32, component: StrRef, message: StrRef);

/// What the host offers a component at creation.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct HostServices {
    /// `size_of::<HostServices>()` as the host compiled it.
    pub struct_size: u32,
    /// Replication index, for messages.
    pub replication: u32,
    /// Seed for the component's randomness; reproducible per scenario seed, replication and
    /// component instance.
    pub seed: u64,
    /// Log callback; the pointer stays valid for the life of the process.
    pub log: LogFn,
}

/// Creates an instance from its parameters (JSON object text). On success writes the instance
/// to `out` and returns [`Status::OK`]; otherwise writes a message to `err`.
pub type CreateFn = unsafe extern "C" fn(
    config_json: StrRef,
    host: *const HostServices,
    out: *mut *mut c_void,
    err: *mut ErrorOut,
) -> Status;

/// Destroys an instance made by the same vtable's `create`.
pub type DestroyFn = unsafe extern "C" fn(instance: *mut c_void);

/// One component of a library.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ComponentDescriptor {
    /// `size_of::<ComponentDescriptor>()` as the plugin compiled it.
    pub struct_size: u32,
    /// Which vtable `vtable` points to.
    pub kind: ComponentKind,
    /// Unique name within the library, e.g. `spt`.
    pub name: StrRef,
    /// One line for listings.
    pub description: StrRef,
    /// The accepted parameters, one per line: `name: meaning (type, default)`.
    pub parameters: StrRef,
    /// The vtable of `kind`: `*const SchedulerVTable`, `*const PredictorVTable`,
    /// `*const CollectorVTable` or `*const SignalVTable`.
    pub vtable: *const c_void,
}

/// The frozen prefix of every descriptor: read before anything else, never changed by any
/// major version, so that even a mismatched host can say what it found.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AbiHeader {
    /// [`MAGIC`].
    pub magic: [u8; 8],
    /// [`ABI_MAJOR`] as the plugin compiled it.
    pub abi_major: u32,
    /// [`ABI_MINOR`] as the plugin compiled it.
    pub abi_minor: u32,
    /// `size_of::<PluginLibrary>()` as the plugin compiled it.
    pub library_struct_size: u32,
    /// [`FLAG_PANIC_UNWIND`] and future flags.
    pub flags: u32,
    /// Version of the `xinzhi-plugin` crate the plugin was built with.
    pub api_version: StrRef,
    /// The plugin crate's name.
    pub crate_name: StrRef,
    /// The plugin crate's version.
    pub crate_version: StrRef,
}

/// What the entry symbol returns: the header and the components.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PluginLibrary {
    /// Frozen prefix.
    pub header: AbiHeader,
    /// `rustc -V` of the compiler that built the plugin (diagnostics only).
    pub rustc_version: StrRef,
    /// Number of entries at `components`.
    pub n_components: usize,
    /// The components.
    pub components: *const ComponentDescriptor,
}

/// Signature of the entry symbol `xinzhi_plugin_entry__<crate>`.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginLibrary;

// SAFETY: descriptors and vtables are immutable `'static` data (plugins are never unloaded);
// their raw pointers only ever point to other immutable statics.
unsafe impl Sync for PluginLibrary {}
// SAFETY: as above.
unsafe impl Send for PluginLibrary {}
// SAFETY: as above.
unsafe impl Sync for ComponentDescriptor {}
// SAFETY: as above.
unsafe impl Send for ComponentDescriptor {}
// SAFETY: as above.
unsafe impl Sync for StrRef {}
// SAFETY: as above.
unsafe impl Send for StrRef {}

#[cfg(test)]
mod tests {
    use std::mem::{align_of, offset_of, size_of};

    use super::*;

    /// The ABI is a contract with plugins built elsewhere: a field edit must fail here, not
    /// corrupt memory at run time (x86_64 / aarch64 Linux, 64-bit pointers).
    #[test]
    fn layouts_are_pinned() {
        assert_eq!((size_of::<StrRef>(), align_of::<StrRef>()), (16, 8));
        assert_eq!((size_of::<SliceRef<u8>>(), align_of::<SliceRef<u8>>()), (16, 8));
        assert_eq!((size_of::<MatrixRef>(), align_of::<MatrixRef>()), (24, 8));
        assert_eq!((size_of::<Status>(), size_of::<ComponentKind>()), (4, 4));

        assert_eq!(size_of::<Record>(), 24);
        assert_eq!(
            (offset_of!(Record, kind), offset_of!(Record, subject), offset_of!(Record, value)),
            (8, 12, 16)
        );

        assert_eq!(size_of::<JobRecord>(), 64);
        assert_eq!(
            [
                offset_of!(JobRecord, id),
                offset_of!(JobRecord, product),
                offset_of!(JobRecord, step),
                offset_of!(JobRecord, release_time),
                offset_of!(JobRecord, due_date),
                offset_of!(JobRecord, weight),
                offset_of!(JobRecord, queued_at),
                offset_of!(JobRecord, processing_time),
                offset_of!(JobRecord, ops_start),
                offset_of!(JobRecord, ops_len),
            ],
            [0, 8, 12, 16, 24, 32, 40, 48, 56, 60]
        );
        assert_eq!(size_of::<OperationRecord>(), 16);
        assert_eq!(offset_of!(OperationRecord, processing_time), 8);
        assert_eq!(size_of::<MachineRecord>(), 16);
        assert_eq!((offset_of!(MachineRecord, state), offset_of!(MachineRecord, available_at)), (4, 8));

        assert_eq!(size_of::<SchedulingSnapshot>(), 64);
        assert_eq!(
            [
                offset_of!(SchedulingSnapshot, station),
                offset_of!(SchedulingSnapshot, now),
                offset_of!(SchedulingSnapshot, jobs),
                offset_of!(SchedulingSnapshot, ops),
                offset_of!(SchedulingSnapshot, machines),
            ],
            [4, 8, 16, 32, 48]
        );

        assert_eq!(size_of::<KindRecord>(), 72);
        assert_eq!(
            [
                offset_of!(KindRecord, metric),
                offset_of!(KindRecord, rate_metric),
                offset_of!(KindRecord, aggregate),
                offset_of!(KindRecord, report),
                offset_of!(KindRecord, subjects),
            ],
            [16, 32, 48, 52, 56]
        );
        assert_eq!(size_of::<CollectorStart>(), 56);
        assert_eq!(
            [
                offset_of!(CollectorStart, warmup),
                offset_of!(CollectorStart, horizon),
                offset_of!(CollectorStart, kinds),
                offset_of!(CollectorStart, kind_meta),
            ],
            [8, 16, 24, 40]
        );
        // 1.1 only appended: the 1.0 struct ended where `kind_meta` begins.
        assert_eq!(offset_of!(CollectorStart, kind_meta), COLLECTOR_START_SIZE_1_0);
        assert_eq!(size_of::<KindMeta>(), 80);
        assert_eq!(
            [
                offset_of!(KindMeta, description),
                offset_of!(KindMeta, lower),
                offset_of!(KindMeta, upper),
                offset_of!(KindMeta, rate_unit),
                offset_of!(KindMeta, rate_description),
            ],
            [16, 32, 40, 48, 64]
        );
        assert_eq!(size_of::<MetricDeclSink>(), 16);
        assert_eq!(offset_of!(MetricDeclSink, declare), 8);

        assert_eq!(size_of::<ErrorOut>(), 16);
        assert_eq!(size_of::<MetricSink>(), 32);
        assert_eq!(
            [
                offset_of!(MetricSink, metric),
                offset_of!(MetricSink, undefined),
                offset_of!(MetricSink, point)
            ],
            [8, 16, 24]
        );
        assert_eq!(size_of::<HostServices>(), 24);
        assert_eq!(
            [
                offset_of!(HostServices, replication),
                offset_of!(HostServices, seed),
                offset_of!(HostServices, log)
            ],
            [4, 8, 16]
        );

        assert_eq!(size_of::<SchedulerVTable>(), 32);
        assert_eq!(offset_of!(SchedulerVTable, schedule), 24);
        assert_eq!(size_of::<PredictorVTable>(), 40);
        assert_eq!((offset_of!(PredictorVTable, fit), offset_of!(PredictorVTable, predict)), (24, 32));
        assert_eq!(size_of::<CollectorVTable>(), 56);
        assert_eq!(
            [
                offset_of!(CollectorVTable, start),
                offset_of!(CollectorVTable, batch),
                offset_of!(CollectorVTable, finish),
                offset_of!(CollectorVTable, declare),
            ],
            [24, 32, 40, 48]
        );
        assert_eq!(offset_of!(CollectorVTable, declare), COLLECTOR_VTABLE_SIZE_1_0);

        // 1.2, the signal kind. Array elements (`MovementObs`, `IntersectionObs`): stride frozen.
        assert_eq!((size_of::<MovementObs>(), align_of::<MovementObs>()), (56, 8));
        assert_eq!(
            [
                offset_of!(MovementObs, in_link),
                offset_of!(MovementObs, out_link),
                offset_of!(MovementObs, queue),
                offset_of!(MovementObs, on_link),
                offset_of!(MovementObs, down_free),
                offset_of!(MovementObs, lanes),
                offset_of!(MovementObs, sat_flow_vph),
                offset_of!(MovementObs, since_departure_s),
                offset_of!(MovementObs, down_weighted_queue),
                offset_of!(MovementObs, design_flow_vph),
            ],
            [0, 4, 8, 12, 16, 20, 24, 32, 40, 48]
        );
        assert_eq!((size_of::<IntersectionObs>(), align_of::<IntersectionObs>()), (72, 8));
        assert_eq!(
            [
                offset_of!(IntersectionObs, node),
                offset_of!(IntersectionObs, phase),
                offset_of!(IntersectionObs, n_phases),
                offset_of!(IntersectionObs, reason),
                offset_of!(IntersectionObs, elapsed_green_s),
                offset_of!(IntersectionObs, min_green_s),
                offset_of!(IntersectionObs, max_green_s),
                offset_of!(IntersectionObs, intergreen_s),
                offset_of!(IntersectionObs, lost_per_phase_s),
                offset_of!(IntersectionObs, first_movement),
                offset_of!(IntersectionObs, n_movements),
                offset_of!(IntersectionObs, first_phase),
                offset_of!(IntersectionObs, _reserved),
            ],
            [0, 4, 8, 12, 16, 24, 32, 40, 48, 56, 60, 64, 68]
        );
        assert_eq!((size_of::<SignalSnapshot>(), align_of::<SignalSnapshot>()), (80, 8));
        assert_eq!(
            [
                offset_of!(SignalSnapshot, struct_size),
                offset_of!(SignalSnapshot, _reserved),
                offset_of!(SignalSnapshot, now),
                offset_of!(SignalSnapshot, intersections),
                offset_of!(SignalSnapshot, movements),
                offset_of!(SignalSnapshot, phase_starts),
                offset_of!(SignalSnapshot, phase_movements),
            ],
            [0, 4, 8, 16, 32, 48, 64]
        );
        assert_eq!((size_of::<SignalDecision>(), align_of::<SignalDecision>()), (16, 8));
        assert_eq!(
            [
                offset_of!(SignalDecision, kind),
                offset_of!(SignalDecision, phase),
                offset_of!(SignalDecision, seconds)
            ],
            [0, 4, 8]
        );
        assert_eq!((size_of::<SignalVTable>(), align_of::<SignalVTable>()), (32, 8));
        assert_eq!(
            [
                offset_of!(SignalVTable, create),
                offset_of!(SignalVTable, destroy),
                offset_of!(SignalVTable, decide)
            ],
            [8, 16, 24]
        );

        assert_eq!(size_of::<ComponentDescriptor>(), 64);
        assert_eq!(
            [
                offset_of!(ComponentDescriptor, kind),
                offset_of!(ComponentDescriptor, name),
                offset_of!(ComponentDescriptor, description),
                offset_of!(ComponentDescriptor, parameters),
                offset_of!(ComponentDescriptor, vtable),
            ],
            [4, 8, 24, 40, 56]
        );
        assert_eq!(size_of::<AbiHeader>(), 72);
        assert_eq!(
            [
                offset_of!(AbiHeader, abi_major),
                offset_of!(AbiHeader, abi_minor),
                offset_of!(AbiHeader, library_struct_size),
                offset_of!(AbiHeader, flags),
                offset_of!(AbiHeader, api_version),
                offset_of!(AbiHeader, crate_name),
                offset_of!(AbiHeader, crate_version),
            ],
            [8, 12, 16, 20, 24, 40, 56]
        );
        assert_eq!(size_of::<PluginLibrary>(), 104);
        assert_eq!(
            [
                offset_of!(PluginLibrary, rustc_version),
                offset_of!(PluginLibrary, n_components),
                offset_of!(PluginLibrary, components),
            ],
            [72, 88, 96]
        );
    }

    #[test]
    fn null_refs_read_as_empty() {
        // SAFETY: null with length 0 is the documented empty value.
        unsafe {
            assert_eq!(StrRef::EMPTY.as_str(), Some(""));
            assert!(
                SliceRef::<f64> { ptr: std::ptr::null(), len: 0, _marker: PhantomData }.as_slice().is_empty()
            );
        }
    }

    #[test]
    fn unknown_codes_have_names() {
        assert_eq!(Status(99).name(), "unknown_status");
        assert_eq!(Status::UNSUPPORTED.name(), "unsupported");
        assert_eq!(ComponentKind(7).name(), "unknown");
        assert_eq!(ComponentKind::SIGNAL.name(), "signal");
        assert_eq!(Status::PANICKED.name(), "panicked");
    }
}
