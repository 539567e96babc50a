//! # xinzhi-plugin
//!
//! What a Xinzhi plugin author depends on: four safe traits ([`Scheduler`], [`Predictor`],
//! [`Collector`], [`SignalController`], each a [`Component`]) and one macro, [`export_plugins!`], that generates a
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
//! [`kinds`]: one file per kind of component (its records, vtable, trait and thunks) · the
//! traits and views are re-exported at the root.

// This crate is the FFI boundary: the unsafe lives here so that plugin authors write none.
#![allow(unsafe_code, reason = "the C ABI glue")]

pub mod abi;
pub mod glue;
pub mod kinds;
mod traits;

pub use abi::{
    IntersectionObs, JobRecord, MachineRecord, MovementObs, OperationRecord, Record, SignalDecision, Status,
};
pub use kinds::collect::{Aggregate, Catalogue, Collector, KindInfo, MetricDecl, Output, Report, Window};
pub use kinds::dispatch::{Order, Scheduler, Snapshot};
pub use kinds::predict::{Matrix, Predictor};
pub use kinds::signal::{SignalController, SignalView};
pub use traits::{Component, Config, Host, LogLevel, PluginError};

/// Version of this crate, recorded in every plugin's header.
pub const API_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `rustc -V` of the compiler that built this crate (and so the plugin), for diagnostics.
pub const RUSTC_VERSION: &str = env!("XINZHI_PLUGIN_RUSTC_VERSION");

/// Exports a crate's components: generates the descriptor, the vtables and the one entry symbol
/// `xinzhi_plugin_entry__<crate name>`, plus `pub fn plugin_library()` for static linking.
///
/// One section per kind (see [`kinds::KINDS`]), each optional; components are listed in the
/// order written:
///
/// ```ignore
/// xinzhi_plugin::export_plugins! {
///     schedulers: [Spt, Edd],
///     predictors: [Linear],
///     collectors: [Kpi],
///     signals: [FixedTime],
/// }
/// ```
///
/// Call it once per crate, at the crate root.
#[macro_export]
macro_rules! export_plugins {
    (
        $($section:ident: [$($t:ty),* $(,)?] $(,)?)*
    ) => {
        // Each section names a function of `kinds::sections` (`schedulers::<T>()`): a new kind
        // adds a function there, not a case here.
        #[doc(hidden)]
        const __XINZHI_COMPONENTS: &[$crate::abi::ComponentDescriptor] = &[
            $($($crate::kinds::sections::$section::<$t>(),)*)*
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
