//! The plugin host: loads libraries speaking the `xinzhi-plugin` C ABI, registers them next to
//! the built-ins, and wraps their components in safe, validating instances.
//!
//! - [`library`]: one library, static or loaded (`RTLD_NOW | RTLD_LOCAL`, never unloaded), its
//!   frozen header checked before anything else (magic, ABI major, size, panic strategy).
//! - [`registry`]: every library of a run; components by name or `library/component`.
//! - [`instance`]: what every live instance shares: it keeps its library alive, turns statuses
//!   into errors and poisons itself after a panic.
//! - [`kinds`]: one file per kind of component (dispatch, predict, collect, signal): how its vtable is
//!   read, and its instance, which validates every output (indices in range, no duplicates,
//!   finite numbers, lengths). [`kinds`] holds the one table of kinds the host reads.
//!
//! Plugins are trusted native code: only libraries named by the scenario (`[plugins] load`) or
//! the command line are loaded.

pub mod instance;
pub mod kinds;
pub mod library;
pub mod registry;

pub use instance::{
    CollectorInstance, Decision, PredictorInstance, SchedulerInstance, Services, SignalInstance,
};
pub use library::{ComponentInfo, FileProblem, Origin, PluginLib};
pub use registry::{Component, Registry};
pub use xinzhi_plugin::abi::{ComponentKind, IntersectionObs, MovementObs, SignalDecision, Status};

use std::path::PathBuf;

use xinzhi_plugin::abi::ABI_MAJOR;

/// A library could not be loaded or registered.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be opened as a shared library.
    #[error("cannot load plugin library {}: {message}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The loader's message.
        message: String,
    },
    /// The file is not a complete shared library for this platform: refused before opening it.
    #[error("cannot load plugin library {}: {problem}", path.display())]
    NotALibrary {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: FileProblem,
    },
    /// The entry symbol is missing.
    #[error(
        "{} is not a Xinzhi plugin library: it does not export `{symbol}` ({message}); \
         plugin crates export it with `xinzhi_plugin::export_plugins!`, and the file must keep the \
         crate's name (lib<crate>.so)",
        path.display()
    )]
    Symbol {
        /// The file.
        path: PathBuf,
        /// The symbol looked for.
        symbol: String,
        /// The loader's message.
        message: String,
    },
    /// Built for another major version of the ABI.
    #[error(
        "refusing plugin library {origin}: `{plugin}` was built against xinzhi-plugin {api_version} \
         (plugin ABI v{}.{}), but this host speaks plugin ABI v{ABI_MAJOR}; rebuild it against \
         xinzhi-plugin {}",
        found.0,
        found.1,
        xinzhi_plugin::API_VERSION
    )]
    AbiMismatch {
        /// Path or `built-in`.
        origin: String,
        /// Crate name and version.
        plugin: String,
        /// (major, minor) found.
        found: (u32, u32),
        /// Its xinzhi-plugin version.
        api_version: String,
    },
    /// Built with `panic = "abort"`: one panic would kill the whole experiment.
    #[error(
        "refusing plugin library {origin}: `{plugin}` was built with panic = \"abort\", so a panic in it \
         would kill the whole experiment; build it with panic = \"unwind\" (the default)"
    )]
    PanicAbort {
        /// Path or `built-in`.
        origin: String,
        /// Crate name and version.
        plugin: String,
    },
    /// The descriptor is malformed.
    #[error("refusing plugin library {origin}: {message}")]
    Invalid {
        /// Path or `built-in`.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// Two libraries want the same qualifier.
    #[error(
        "plugin library {origin} is named `{name}`, like {other}; give one another name \
         (`load = [{{ path = \"...\", name = \"...\" }}]`)"
    )]
    NameTaken {
        /// The name.
        name: String,
        /// The library being added.
        origin: String,
        /// The library that has it.
        other: String,
    },
}

/// A component name could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// No component of that kind has the name.
    #[error("unknown {kind} plugin `{name}` (known {kind}s: {})", known.join(", "))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The kind asked for.
        kind: &'static str,
        /// The names available.
        known: Vec<String>,
    },
    /// The name belongs to another kind.
    #[error("plugin `{name}` is a {found}, not a {expected}")]
    WrongKind {
        /// The name asked for.
        name: String,
        /// Its kind.
        found: &'static str,
        /// The kind asked for.
        expected: &'static str,
    },
    /// Several libraries define it.
    #[error("plugin `{name}` is defined by several libraries; qualify it as one of: {}", candidates.join(", "))]
    Ambiguous {
        /// The name asked for.
        name: String,
        /// `library/component (origin)` for each.
        candidates: Vec<String>,
    },
}

/// A call into a plugin failed, or it answered something invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("plugin `{plugin}` {call}: {}{message}", status.map(|s| format!("[{}] ", s.name())).unwrap_or_default())]
pub struct CallError {
    /// Qualified component name.
    pub plugin: String,
    /// The call: `create`, `schedule`, `fit`, `predict`, `start`, `batch`, `finish`, `declare`,
    /// `decide`.
    pub call: &'static str,
    /// The plugin's status; `None` when the host rejected its output.
    pub status: Option<Status>,
    /// What went wrong.
    pub message: String,
}
