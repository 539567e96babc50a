//! Plugin references in scenarios: `[plugins] load`, `[[collect]]` and inline tables such as a
//! domain's `dispatch = { plugin = "atc", k = 2.0 }`.
//!
//! ```toml
//! [plugins]
//! load = ["../target/release/libmy_rules.so",                 # relative to this file
//!         { path = "/opt/x/libother.so", name = "other" }]    # `name` qualifies its components
//!
//! [[collect]]                  # collectors besides `kpi` (which always runs)
//! plugin = "timeseries"
//! period = 60.0                # every other key is a parameter of the plugin
//! ```
//!
//! Names and parameters are checked against the plugins actually available (built-ins plus the
//! loaded libraries) by the experiment's `prepare`, right after loading; a reference keeps where it
//! was written so that those errors point at the scenario's line and key.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use toml::Spanned;

use super::{ScenarioError, ValidationCtx};

/// A raw inline table naming a plugin: `plugin = "name"` plus parameters.
pub(crate) type RawPluginTable = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

/// Where a reference was written: error templates for the table and each parameter key.
///
/// A location is not part of what a scenario *means*: every `Written` equals every other, so
/// two references compare by their content alone. (The templates of a variant's scenario carry
/// the variant's name; comparing them made every variant look as if it changed `[plugins]`.)
#[derive(Clone, Debug, Default)]
pub struct Written {
    at: Option<ScenarioError>,
    plugin: Option<ScenarioError>,
    params: Vec<(String, ScenarioError)>,
}

impl PartialEq for Written {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Written {
    fn with(template: &Option<ScenarioError>, message: String) -> ScenarioError {
        match template {
            Some(t) => ScenarioError { message, ..t.clone() },
            None => ScenarioError::new("", message),
        }
    }

    /// An error about the reference as a whole.
    pub fn error(&self, message: impl Into<String>) -> ScenarioError {
        Self::with(&self.at, message.into())
    }

    /// An error about the plugin name.
    pub fn name_error(&self, message: impl Into<String>) -> ScenarioError {
        Self::with(if self.plugin.is_some() { &self.plugin } else { &self.at }, message.into())
    }

    /// An error about the plugin's parameters: located at the first parameter key the message
    /// names in backticks (``unknown field `kk` ``), else at the whole reference.
    pub fn params_error(&self, message: impl Into<String>) -> ScenarioError {
        let message = message.into();
        let named = message.split('`').skip(1).step_by(2);
        let found = named.into_iter().find_map(|k| self.params.iter().find(|(key, _)| key == k));
        match found {
            Some((_, t)) => ScenarioError { message, ..t.clone() },
            None => self.error(message),
        }
    }
}

/// A plugin component named by a scenario, with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PluginRef {
    /// Component name, or `library/component`.
    pub plugin: String,
    /// Parameters: the table without `plugin`, as JSON object text with sorted keys.
    pub params: String,
    /// Where it was written, for messages.
    #[serde(skip)]
    pub written: Written,
}

impl PluginRef {
    /// A reference with no parameters that was not written out (a default), located at `span`.
    pub(crate) fn default_at(ctx: &ValidationCtx<'_>, span: &std::ops::Range<usize>, plugin: &str) -> Self {
        let at = ctx.error(span, "");
        PluginRef {
            plugin: plugin.to_owned(),
            params: "{}".to_owned(),
            written: Written { at: Some(at.clone()), plugin: Some(at), params: Vec::new() },
        }
    }

    /// Whether it names `component` (bare or qualified).
    pub fn names(&self, component: &str) -> bool {
        self.plugin == component || self.plugin.rsplit_once('/').is_some_and(|(_, c)| c == component)
    }
}

/// A library named by `[plugins] load`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LibraryRef {
    /// The path as written.
    pub written_path: String,
    /// The path resolved against the scenario file's folder.
    pub path: PathBuf,
    /// Qualifier of its components; its crate name when `None`.
    pub name: Option<String>,
    /// Where it was written, for messages.
    #[serde(skip)]
    pub written: Written,
}

impl ValidationCtx<'_> {
    /// Validates an inline plugin table.
    pub(crate) fn plugin_ref(&self, table: &Spanned<RawPluginTable>) -> Result<PluginRef, ScenarioError> {
        let at = self.error(&table.span(), "");
        let mut plugin = None;
        let mut params = serde_json::Map::new();
        let mut located = Vec::new();
        for (key, value) in table.get_ref() {
            if key.get_ref() == "plugin" {
                let Some(name) = value.get_ref().as_str().filter(|s| !s.trim().is_empty()) else {
                    return Err(
                        self.error(&value.span(), "`plugin` must be a non-empty string naming a plugin")
                    );
                };
                plugin = Some((name.to_owned(), self.error(&value.span(), "")));
                continue;
            }
            let json = serde_json::to_value(value.get_ref())
                .map_err(|e| self.error(&value.span(), format!("cannot pass this value to a plugin: {e}")))?;
            params.insert(key.get_ref().clone(), json);
            located.push((key.get_ref().clone(), self.error(&key.span(), "")));
        }
        let Some((plugin, plugin_at)) = plugin else {
            let mut e =
                self.error(&table.span(), "missing key `plugin` (the name of a plugin, e.g. \"spt\")");
            if !e.key.ends_with(".plugin") {
                e.key.push_str(".plugin");
            }
            return Err(e);
        };
        Ok(PluginRef {
            plugin,
            params: serde_json::Value::Object(params).to_string(),
            written: Written { at: Some(at), plugin: Some(plugin_at), params: located },
        })
    }

    /// Validates one entry of `[plugins] load`: a path, or `{ path = "...", name = "..." }`.
    pub(crate) fn library_ref(&self, entry: &Spanned<toml::Value>) -> Result<LibraryRef, ScenarioError> {
        let expected = "expected a path to a plugin library, or `{ path = \"...\", name = \"...\" }`";
        let (path, name) = match entry.get_ref() {
            toml::Value::String(p) => (p.clone(), None),
            toml::Value::Table(t) => {
                if let Some(k) = t.keys().find(|k| *k != "path" && *k != "name") {
                    return Err(self.error(&entry.span(), format!("unknown key `{k}` ({expected})")));
                }
                let Some(path) = t.get("path").and_then(toml::Value::as_str) else {
                    return Err(self.error(&entry.span(), format!("missing string `path` ({expected})")));
                };
                let name = match t.get("name") {
                    None => None,
                    Some(n) => match n.as_str().filter(|n| !n.is_empty() && !n.contains('/')) {
                        Some(n) => Some(n.to_owned()),
                        None => {
                            return Err(
                                self.error(&entry.span(), "`name` must be a non-empty string without `/`")
                            );
                        }
                    },
                };
                (path.to_owned(), name)
            }
            other => return Err(self.error(&entry.span(), format!("{expected}, found {other}"))),
        };
        if path.trim().is_empty() {
            return Err(self.error(&entry.span(), "the library path must not be empty"));
        }
        let base = self.file().parent().map(PathBuf::from).unwrap_or_default();
        let at = self.error(&entry.span(), "");
        Ok(LibraryRef {
            path: base.join(&path),
            written_path: path,
            name,
            written: Written { at: Some(at.clone()), plugin: Some(at), params: Vec::new() },
        })
    }
}
