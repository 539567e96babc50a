//! # xinzhi-plugin
//!
//! What a Xinzhi plugin author depends on: three safe traits ([`Scheduler`], [`Predictor`],
//! [`Collector`], each a [`Component`]) and one macro, [`export_plugins!`], that generates a
//! small, stable C ABI ([`abi`]) around them. Authors write no `unsafe`.
//!
//! A plugin crate is `crate-type = ["cdylib"]` (or `["cdylib", "rlib"]` to be linked into a host
//! as well). The host (`xinzhi-core`) loads the library, checks its frozen header (magic, ABI
//! major, struct size, panic strategy) and calls its components through `extern "C"` vtables.
//! Panics are caught inside the plugin, reported as errors naming the component, and poison the
//! instance. Nothing allocated on one side is freed on the other.
//!
//! ```
//! use xinzhi_plugin::{Component, Config, Host, Order, PluginError, Scheduler, Snapshot};
//!
//! /// Longest waiting job first.
//! pub struct Oldest;
//!
//! impl Component for Oldest {
//!     const NAME: &'static str = "oldest";
//!     const DESCRIPTION: &'static str = "the job that joined the queue first";
//!     fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
//!         #[derive(serde::Deserialize)]
//!         #[serde(deny_unknown_fields)]
//!         struct Params {}
//!         let Params {} = config.parse()?;
//!         Ok(Oldest)
//!     }
//! }
//!
//! impl Scheduler for Oldest {
//!     fn schedule(&mut self, s: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError> {
//!         order.fill_arrival_order();
//!         order.as_mut_slice().sort_by(|&a, &b| {
//!             s.jobs[a as usize].queued_at.total_cmp(&s.jobs[b as usize].queued_at)
//!         });
//!         Ok(())
//!     }
//! }
//!
//! xinzhi_plugin::export_plugins! {
//!     schedulers: [Oldest],
//! }
//!
//! let library = plugin_library();
//! assert_eq!(library.header.magic, xinzhi_plugin::abi::MAGIC);
//! assert_eq!(library.n_components, 1);
//! ```
//!
//! ## Map
//!
//! [`abi`]: the `#[repr(C)]` types and version constants · [`glue`]: the generated thunks ·
//! the traits and views are re-exported at the root.

// This crate is the FFI boundary: the unsafe lives here so that plugin authors write none.
#![allow(unsafe_code, reason = "the C ABI glue")]

pub mod abi;
pub mod glue;
mod traits;

pub use abi::{JobRecord, MachineRecord, OperationRecord, Record, Status};
pub use traits::{
    Aggregate, Catalogue, Collector, Component, Config, Host, KindInfo, LogLevel, Matrix, MetricDecl, Order,
    Output, PluginError, Predictor, Report, Scheduler, Snapshot, Window,
};

/// Version of this crate, recorded in every plugin's header.
pub const API_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `rustc -V` of the compiler that built this crate (and so the plugin), for diagnostics.
pub const RUSTC_VERSION: &str = env!("XINZHI_PLUGIN_RUSTC_VERSION");

/// Exports a crate's components: generates the descriptor, the vtables and the one entry symbol
/// `xinzhi_plugin_entry__<crate name>`, plus `pub fn plugin_library()` for static linking.
///
/// Sections are optional but must come in this order:
///
/// ```ignore
/// xinzhi_plugin::export_plugins! {
///     schedulers: [Spt, Edd],
///     predictors: [Linear],
///     collectors: [Kpi],
/// }
/// ```
///
/// Call it once per crate, at the crate root.
#[macro_export]
macro_rules! export_plugins {
    (
        $(schedulers: [$($s:ty),* $(,)?] $(,)?)?
        $(predictors: [$($p:ty),* $(,)?] $(,)?)?
        $(collectors: [$($c:ty),* $(,)?] $(,)?)?
    ) => {
        #[doc(hidden)]
        const __XINZHI_COMPONENTS: &[$crate::abi::ComponentDescriptor] = &[
            $($($crate::glue::descriptor::<$s>(
                $crate::abi::ComponentKind::SCHEDULER,
                &<$s as $crate::glue::SchedulerGlue>::VTABLE as *const $crate::abi::SchedulerVTable
                    as *const ::std::ffi::c_void,
            ),)*)?
            $($($crate::glue::descriptor::<$p>(
                $crate::abi::ComponentKind::PREDICTOR,
                &<$p as $crate::glue::PredictorGlue>::VTABLE as *const $crate::abi::PredictorVTable
                    as *const ::std::ffi::c_void,
            ),)*)?
            $($($crate::glue::descriptor::<$c>(
                $crate::abi::ComponentKind::COLLECTOR,
                &<$c as $crate::glue::CollectorGlue>::VTABLE as *const $crate::abi::CollectorVTable
                    as *const ::std::ffi::c_void,
            ),)*)?
        ];

        #[doc(hidden)]
        static __XINZHI_LIBRARY: $crate::abi::PluginLibrary = $crate::abi::PluginLibrary {
            header: $crate::abi::AbiHeader {
                magic: $crate::abi::MAGIC,
                abi_major: $crate::abi::ABI_MAJOR,
                abi_minor: $crate::abi::ABI_MINOR,
                library_struct_size: ::std::mem::size_of::<$crate::abi::PluginLibrary>() as u32,
                // Evaluated in the plugin crate: its own panic strategy.
                flags: if cfg!(panic = "unwind") { $crate::abi::FLAG_PANIC_UNWIND } else { 0 },
                api_version: $crate::abi::StrRef::new($crate::API_VERSION),
                crate_name: $crate::abi::StrRef::new(env!("CARGO_PKG_NAME")),
                crate_version: $crate::abi::StrRef::new(env!("CARGO_PKG_VERSION")),
            },
            rustc_version: $crate::abi::StrRef::new($crate::RUSTC_VERSION),
            n_components: __XINZHI_COMPONENTS.len(),
            components: __XINZHI_COMPONENTS.as_ptr(),
        };

        /// The entry symbol a host looks up when it loads this crate as a shared library.
        // The name carries the crate name: a fixed name collides (or silently binds to another
        // crate's symbol) when several plugin crates are linked into one binary.
        #[unsafe(export_name = concat!("xinzhi_plugin_entry__", env!("CARGO_CRATE_NAME")))]
        pub extern "C" fn __xinzhi_plugin_entry() -> *const $crate::abi::PluginLibrary {
            &__XINZHI_LIBRARY
        }

        /// This crate's plugin descriptor, for hosts that link it statically.
        pub fn plugin_library() -> &'static $crate::abi::PluginLibrary {
            &__XINZHI_LIBRARY
        }
    };
}
