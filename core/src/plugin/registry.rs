//! One registry for built-in and loaded libraries; components are found by name, or by
//! `library/component` when a name is defined twice.

use std::sync::Arc;

use xinzhi_plugin::abi::{ComponentKind, PluginLibrary};

use super::library::{ComponentInfo, PluginLib};
use super::{LoadError, LookupError};

/// A component of a registered library; creates instances.
#[derive(Clone, Debug)]
pub struct Component {
    lib: Arc<PluginLib>,
    index: usize,
    library_name: String,
}

impl Component {
    /// What the library says about it.
    pub fn info(&self) -> &ComponentInfo {
        &self.lib.components()[self.index]
    }

    /// The library it belongs to.
    pub fn library(&self) -> &Arc<PluginLib> {
        &self.lib
    }

    /// `library/component`, unambiguous within the registry.
    pub fn qualified_name(&self) -> String {
        format!("{}/{}", self.library_name, self.info().name)
    }
}

/// A registered library and the name that qualifies its components.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Qualifier: the crate name, or the name given in the scenario.
    pub name: String,
    /// The library.
    pub lib: Arc<PluginLib>,
}

/// All libraries available to a run.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    entries: Vec<Entry>,
}

/// `xinzhi_dispatch` and `xinzhi-dispatch` name the same crate.
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .all(|(x, y)| x == y || (x == b'_' && y == b'-') || (x == b'-' && y == b'_'))
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry of libraries linked into this program (their `plugin_library()`).
    ///
    /// # Errors
    /// If a descriptor fails the checks or two share a crate name.
    pub fn with_builtins(libraries: &[&'static PluginLibrary]) -> Result<Self, LoadError> {
        let mut r = Registry::new();
        for &desc in libraries {
            r.add(PluginLib::builtin(desc)?, None)?;
        }
        Ok(r)
    }

    /// Adds a library under `name` (default: its crate name).
    ///
    /// # Errors
    /// [`LoadError::NameTaken`] if another library already has that name.
    pub fn add(&mut self, lib: PluginLib, name: Option<&str>) -> Result<(), LoadError> {
        let name = name.unwrap_or(lib.crate_name()).to_owned();
        if let Some(other) = self.entries.iter().find(|e| same_name(&e.name, &name)) {
            return Err(LoadError::NameTaken {
                name,
                origin: lib.origin().to_string(),
                other: other.lib.origin().to_string(),
            });
        }
        self.entries.push(Entry { name, lib: Arc::new(lib) });
        Ok(())
    }

    /// The libraries, in registration order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn component(&self, entry: &Entry, index: usize) -> Component {
        Component { lib: Arc::clone(&entry.lib), index, library_name: entry.name.clone() }
    }

    /// Every component, in registration order.
    pub fn components(&self) -> Vec<Component> {
        self.entries
            .iter()
            .flat_map(|e| (0..e.lib.components().len()).map(move |i| self.component(e, i)))
            .collect()
    }

    /// The component of `kind` called `name` (or `library/name`).
    ///
    /// # Errors
    /// Unknown (with the known names of that kind), of another kind, or ambiguous (with the
    /// qualified names to choose from).
    pub fn find(&self, name: &str, kind: ComponentKind) -> Result<Component, LookupError> {
        let (library, component) = match name.split_once('/') {
            Some((l, c)) => (Some(l), c),
            None => (None, name),
        };
        let candidates: Vec<Component> = self
            .components()
            .into_iter()
            .filter(|c| c.info().name == component && library.is_none_or(|l| same_name(l, &c.library_name)))
            .collect();
        let (right, wrong): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|c| c.info().kind == kind);
        match (right.len(), wrong.first()) {
            (1, _) => Ok(right.into_iter().next().expect("one candidate")),
            (0, Some(other)) => Err(LookupError::WrongKind {
                name: name.to_owned(),
                found: other.info().kind.name(),
                expected: kind.name(),
            }),
            (0, None) => Err(LookupError::Unknown {
                name: name.to_owned(),
                kind: kind.name(),
                known: self.names(kind),
            }),
            _ => Err(LookupError::Ambiguous {
                name: name.to_owned(),
                candidates: right
                    .iter()
                    .map(|c| format!("{} ({})", c.qualified_name(), c.lib.origin()))
                    .collect(),
            }),
        }
    }

    /// Names of the components of `kind`, qualified where a name occurs twice; sorted.
    pub fn names(&self, kind: ComponentKind) -> Vec<String> {
        let all: Vec<Component> = self.components().into_iter().filter(|c| c.info().kind == kind).collect();
        let mut names: Vec<String> = all
            .iter()
            .map(|c| {
                let twice = all.iter().filter(|o| o.info().name == c.info().name).count() > 1;
                if twice { c.qualified_name() } else { c.info().name.clone() }
            })
            .collect();
        names.sort();
        names
    }
}
