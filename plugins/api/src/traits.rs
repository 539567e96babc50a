//! The safe side every kind shares: [`Component`] (name, documentation, constructor), its
//! [`Config`] and [`Host`] services, and [`PluginError`]. Each kind's own trait and views live
//! in its file under [`crate::kinds`].

use std::fmt;

use serde::de::DeserializeOwned;

use crate::abi::{LogFn, Status, StrRef};

/// An error returned by a plugin: a status code and a message for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginError {
    /// What kind of failure.
    pub status: Status,
    /// What went wrong, for the user.
    pub message: String,
}

impl PluginError {
    /// The component's parameters are wrong; name the key.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        PluginError { status: Status::INVALID_CONFIG, message: message.into() }
    }

    /// An input of a call is malformed.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        PluginError { status: Status::INVALID_INPUT, message: message.into() }
    }

    /// The plugin could not do what was asked.
    pub fn failed(message: impl Into<String>) -> Self {
        PluginError { status: Status::FAILED, message: message.into() }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.status.name(), self.message)
    }
}

impl std::error::Error for PluginError {}

/// A component's parameters: the scenario's TOML table for it (minus `plugin`), as JSON.
#[derive(Clone, Copy, Debug)]
pub struct Config<'a> {
    json: &'a str,
}

impl<'a> Config<'a> {
    /// Parameters given as JSON object text (`{}` when none).
    pub fn new(json: &'a str) -> Self {
        Config { json }
    }

    /// The raw JSON text.
    pub fn json(&self) -> &'a str {
        self.json
    }

    /// Deserializes the parameters. Use `#[serde(deny_unknown_fields)]` so that typos are errors;
    /// the message names the key, e.g. ``unknown field `kk`, expected `k` ``.
    ///
    /// # Errors
    /// [`Status::INVALID_CONFIG`] if the parameters do not fit `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        let text = if self.json.trim().is_empty() { "{}" } else { self.json };
        serde_json::from_str(text).map_err(|e| {
            // The host passes one line of JSON it generated: the position means nothing to users.
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_owned(),
                None => message,
            };
            PluginError::invalid_config(message)
        })
    }
}

/// Severity of a log message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum LogLevel {
    /// Something the user should act on.
    Warn = 1,
    /// Progress and facts.
    Info = 2,
    /// Details for plugin authors.
    Debug = 3,
}

/// Services the host offers a component: its seed and a logger. Cheap to clone; keep it if you
/// log during calls.
#[derive(Clone, Copy)]
pub struct Host {
    seed: u64,
    replication: u32,
    log: Option<LogFn>,
    component: &'static str,
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host").field("seed", &self.seed).field("replication", &self.replication).finish()
    }
}

impl Host {
    /// Services without a logger, for tests of a component outside a host.
    pub fn detached(seed: u64) -> Self {
        Host { seed, replication: 0, log: None, component: "" }
    }

    pub(crate) fn from_ffi(seed: u64, replication: u32, log: Option<LogFn>, component: &'static str) -> Self {
        Host { seed, replication, log, component }
    }

    /// Seed for this instance's randomness: the same scenario, seed and replication give the same
    /// value, so a randomised plugin is reproducible.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Index of the replication this instance serves.
    pub fn replication(&self) -> u32 {
        self.replication
    }

    /// Sends a message to the host's log.
    pub fn log(&self, level: LogLevel, message: &str) {
        if let Some(log) = self.log {
            // SAFETY: the host's callback takes borrowed UTF-8 valid for the call.
            unsafe { log(level as u32, StrRef::new(self.component), StrRef::new(message)) };
        }
    }
}

/// What every plugin component has: a name, documentation and a constructor.
pub trait Component: Sized + Send + 'static {
    /// Name used in scenarios, e.g. `spt`; unique within the crate.
    const NAME: &'static str;
    /// One line for `xinzhi plugins`.
    const DESCRIPTION: &'static str;
    /// The accepted parameters, one per line: `name: meaning (type, default)`; empty if none.
    const PARAMETERS: &'static str = "";

    /// Builds an instance from its parameters.
    ///
    /// # Errors
    /// [`PluginError::invalid_config`] naming the offending key.
    fn new(config: &Config<'_>, host: &Host) -> Result<Self, PluginError>;
}
