//! One plugin library: linked statically or loaded from a path, its header checked before
//! anything else is read.

use std::fmt;
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};

use xinzhi_plugin::abi::{
    ABI_MAJOR, AbiHeader, ComponentDescriptor, ComponentKind, ENTRY_PREFIX, EntryFn, FLAG_PANIC_UNWIND,
    MAGIC, PluginLibrary, StrRef,
};

pub use self::file::{FileProblem, check_file};
use super::LoadError;
use super::kinds::VTable;

mod file;

/// Where a library came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Linked into this program.
    Builtin,
    /// Loaded from a shared library file.
    Path {
        /// The file, as given (relative paths resolved against the scenario's folder).
        path: PathBuf,
        /// SHA-256 of the file's bytes, hex.
        sha256: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin => f.write_str("built-in"),
            Origin::Path { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

/// What a library says about one of its components.
#[derive(Clone, Debug)]
pub struct ComponentInfo {
    /// `scheduler`, `predictor` or `collector`.
    pub kind: ComponentKind,
    /// Name used in scenarios.
    pub name: String,
    /// One line for listings.
    pub description: String,
    /// Parameters, one per line.
    pub parameters: String,
    pub(crate) vtable: VTable,
}

/// A checked plugin library. Loaded libraries are never unloaded (Rust thread-local
/// destructors may outlive `dlclose`; musl and macOS do not really unload anyway).
pub struct PluginLib {
    origin: Origin,
    crate_name: String,
    crate_version: String,
    api_version: String,
    abi: (u32, u32),
    rustc_version: String,
    components: Vec<ComponentInfo>,
    /// Kept open for the life of the process; `None` for built-ins.
    _library: Option<ManuallyDrop<libloading::Library>>,
}

impl fmt::Debug for PluginLib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginLib")
            .field("crate", &self.crate_name)
            .field("version", &self.crate_version)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// # Safety
/// `s` points to `'static` memory (plugin statics are never unloaded).
unsafe fn text(s: StrRef, what: &str, origin: &str) -> Result<String, LoadError> {
    // SAFETY: by the caller's promise.
    unsafe { s.as_str() }.map(str::to_owned).ok_or_else(|| LoadError::Invalid {
        origin: origin.to_owned(),
        message: format!("{what} is not UTF-8"),
    })
}

impl PluginLib {
    /// Registers a library linked into this program (its `plugin_library()`), through the same
    /// checks as a loaded one.
    ///
    /// # Errors
    /// If the descriptor fails the checks (a bug in that crate).
    pub fn builtin(desc: &'static PluginLibrary) -> Result<Self, LoadError> {
        Self::check(desc, Origin::Builtin, None)
    }

    /// Opens the shared library at `path` (`RTLD_NOW | RTLD_LOCAL`), finds its entry symbol
    /// `xinzhi_plugin_entry__<crate>` (the crate name is derived from the file name:
    /// `libmy_plugin.so` → `my_plugin`) and checks its header.
    ///
    /// Loading runs the library's initialisers: plugins are trusted native code.
    ///
    /// Before opening it, the file is checked with [`check_file`]: a file that is not a complete
    /// shared library for this platform is refused, never opened.
    ///
    /// # Errors
    /// Unreadable file, not a library (see [`FileProblem`]), missing symbol, wrong magic, other
    /// ABI major, too small a descriptor, or a plugin built with `panic = "abort"`.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let origin_text = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|e| LoadError::Open { path: path.to_owned(), message: e.to_string() })?;
        // dlopen maps the file and faults (SIGBUS) on a page past its end, or runs whatever it
        // finds: refuse what is not a complete library for this platform first. The check is
        // against accidents (a truncated copy, a build for another platform), not an attacker
        // swapping the file before dlopen: plugins are trusted code.
        check_file(&bytes).map_err(|problem| LoadError::NotALibrary { path: path.to_owned(), problem })?;
        let sha256 = crate::util::sha256_hex(&bytes);
        let crate_name = crate_name_of(path).ok_or_else(|| LoadError::Open {
            path: path.to_owned(),
            message: "cannot derive the plugin crate's name from the file name \
                      (expected lib<crate>.so, lib<crate>.dylib or <crate>.dll)"
                .into(),
        })?;
        let library = open(path)?;
        let symbol = format!("{ENTRY_PREFIX}{crate_name}");
        // SAFETY: the symbol, if present, is the plugin entry point with this signature (the
        // name is specific to Xinzhi plugins); it is copied out while the library stays open
        // forever (ManuallyDrop below).
        let entry: EntryFn = unsafe {
            *library.get::<EntryFn>(symbol.as_str()).map_err(|e| LoadError::Symbol {
                path: path.to_owned(),
                symbol: symbol.clone(),
                message: libloading_message(&e),
            })?
        };
        // SAFETY: calling the plugin's entry point, which takes no arguments and returns a
        // pointer to its static descriptor (or null).
        let desc = unsafe { entry() };
        // SAFETY: non-null pointers returned by the entry point point to a static descriptor
        // that lives as long as the library, which is never unloaded.
        let Some(desc) = (unsafe { desc.as_ref() }) else {
            return Err(LoadError::Invalid {
                origin: origin_text,
                message: "the entry point returned null".into(),
            });
        };
        Self::check(desc, Origin::Path { path: path.to_owned(), sha256 }, Some(library))
    }

    fn check(
        desc: &'static PluginLibrary,
        origin: Origin,
        library: Option<libloading::Library>,
    ) -> Result<Self, LoadError> {
        let origin_text = origin.to_string();
        let invalid = |message: String| LoadError::Invalid { origin: origin_text.clone(), message };
        // Only the frozen header is read until it has been checked.
        let header: &AbiHeader = &desc.header;
        if header.magic != MAGIC {
            return Err(invalid(format!(
                "not a Xinzhi plugin: the descriptor starts with {:?}, expected {:?}",
                String::from_utf8_lossy(&header.magic),
                String::from_utf8_lossy(&MAGIC)
            )));
        }
        // SAFETY: the header's strings point to the plugin's statics.
        let (name, version, api) = unsafe {
            (
                text(header.crate_name, "crate name", &origin_text)?,
                text(header.crate_version, "crate version", &origin_text)?,
                text(header.api_version, "API version", &origin_text)?,
            )
        };
        if header.abi_major != ABI_MAJOR {
            return Err(LoadError::AbiMismatch {
                origin: origin_text,
                plugin: format!("{name} {version}"),
                found: (header.abi_major, header.abi_minor),
                api_version: api,
            });
        }
        if (header.library_struct_size as usize) < size_of::<PluginLibrary>() {
            return Err(invalid(format!(
                "descriptor of {} bytes, expected at least {}",
                header.library_struct_size,
                size_of::<PluginLibrary>()
            )));
        }
        if header.flags & FLAG_PANIC_UNWIND == 0 {
            return Err(LoadError::PanicAbort { origin: origin_text, plugin: format!("{name} {version}") });
        }
        // SAFETY: the header checked out, so the rest is a v1 `PluginLibrary` of static data.
        let rustc_version = unsafe { text(desc.rustc_version, "rustc version", &origin_text)? };
        let descriptors: &'static [ComponentDescriptor] = if desc.n_components == 0 {
            &[]
        } else if desc.components.is_null() {
            return Err(invalid("null component list".into()));
        } else {
            // SAFETY: `n_components` static descriptors, by the ABI.
            unsafe { std::slice::from_raw_parts(desc.components, desc.n_components) }
        };
        let mut components: Vec<ComponentInfo> = Vec::with_capacity(descriptors.len());
        for d in descriptors {
            if (d.struct_size as usize) < size_of::<ComponentDescriptor>() {
                return Err(invalid(format!("component descriptor of {} bytes", d.struct_size)));
            }
            // SAFETY: static strings of the plugin.
            let (cname, description, parameters) = unsafe {
                (
                    text(d.name, "component name", &origin_text)?,
                    text(d.description, "description", &origin_text)?,
                    text(d.parameters, "parameters", &origin_text)?,
                )
            };
            if cname.is_empty() || cname.contains('/') {
                return Err(invalid(format!("invalid component name `{cname}`")));
            }
            if components.iter().any(|c| c.name == cname) {
                return Err(invalid(format!("two components named `{cname}`")));
            }
            // SAFETY: by the ABI, `vtable` points to a static vtable of the given kind; its
            // size is checked before use.
            let vtable = unsafe { super::kinds::read(d.kind, d.vtable) }
                .map_err(|m| invalid(format!("`{cname}`: {m}")))?;
            let Some(vtable) = vtable else {
                // A kind from a newer minor version: skipped, so that newer plugins still load.
                continue;
            };
            components.push(ComponentInfo { kind: d.kind, name: cname, description, parameters, vtable });
        }
        Ok(PluginLib {
            origin,
            crate_name: name,
            crate_version: version,
            api_version: api,
            abi: (header.abi_major, header.abi_minor),
            rustc_version,
            components,
            _library: library.map(ManuallyDrop::new),
        })
    }

    /// Where it came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The plugin crate's name, e.g. `xinzhi-dispatch`.
    pub fn crate_name(&self) -> &str {
        &self.crate_name
    }

    /// The plugin crate's version.
    pub fn crate_version(&self) -> &str {
        &self.crate_version
    }

    /// The `xinzhi-plugin` version it was built with.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// Plugin ABI (major, minor) it was built for.
    pub fn abi(&self) -> (u32, u32) {
        self.abi
    }

    /// `rustc -V` of its compiler.
    pub fn rustc_version(&self) -> &str {
        &self.rustc_version
    }

    /// Its components, in the order it lists them.
    pub fn components(&self) -> &[ComponentInfo] {
        &self.components
    }
}

/// `libmy_plugin.so` → `my_plugin` (`-` in file names becomes `_`, as in crate names).
pub(crate) fn crate_name_of(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let stem = if cfg!(windows) { stem } else { stem.strip_prefix("lib").unwrap_or(stem) };
    (!stem.is_empty()).then(|| stem.replace('-', "_"))
}

/// libloading's `Display` alone says only "dlopen failed": add the source (dlerror text).
fn libloading_message(e: &libloading::Error) -> String {
    match std::error::Error::source(e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    }
}

fn open(path: &Path) -> Result<libloading::Library, LoadError> {
    let fail =
        |e: libloading::Error| LoadError::Open { path: path.to_owned(), message: libloading_message(&e) };
    #[cfg(unix)]
    {
        use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
        // SAFETY: loading runs the library's initialisers; plugins are trusted code named
        // explicitly by the scenario or the command line (documented). RTLD_NOW surfaces
        // unresolved symbols now rather than mid-run; RTLD_LOCAL keeps its symbols private.
        unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map(Into::into).map_err(fail)
    }
    #[cfg(not(unix))]
    {
        // SAFETY: as above.
        unsafe { libloading::Library::new(path) }.map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_come_from_file_names() {
        assert_eq!(crate_name_of(Path::new("/x/libmy_plugin.so")).as_deref(), Some("my_plugin"));
        assert_eq!(crate_name_of(Path::new("libxinzhi-dispatch.so")).as_deref(), Some("xinzhi_dispatch"));
        assert_eq!(crate_name_of(Path::new("/x/lib.so")), None);
    }

    #[test]
    fn abi_versions_are_this_hosts() {
        assert_eq!((ABI_MAJOR, xinzhi_plugin::abi::ABI_MINOR), (1, 2));
    }

    #[test]
    fn load_refuses_a_bad_file_naming_it_without_opening_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("libempty.so");
        std::fs::write(&path, b"").expect("written");
        let e = PluginLib::load(&path).unwrap_err();
        assert_eq!(e, LoadError::NotALibrary { path: path.clone(), problem: FileProblem::Empty });
        assert_eq!(
            e.to_string(),
            format!("cannot load plugin library {}: the file is empty (0 bytes)", path.display())
        );
    }

    /// A kind appended by a newer minor version is skipped: the library loads with the
    /// components this host knows.
    #[test]
    fn components_of_unknown_kinds_are_skipped() {
        use xinzhi_plugin::abi::{AbiHeader, ComponentDescriptor, ComponentKind, StrRef};
        let dispatch = xinzhi_dispatch::plugin_library();
        // SAFETY: the built-in descriptor's components are static, `n_components` long.
        let known = unsafe { std::slice::from_raw_parts(dispatch.components, dispatch.n_components) }[0];
        let unknown = ComponentDescriptor { kind: ComponentKind(99), name: StrRef::new("signals"), ..known };
        let components: &'static [ComponentDescriptor] = Box::leak(Box::new([unknown, known]));
        let library: &'static PluginLibrary = Box::leak(Box::new(PluginLibrary {
            header: AbiHeader { ..dispatch.header },
            n_components: components.len(),
            components: components.as_ptr(),
            ..*dispatch
        }));
        let lib = PluginLib::builtin(library).expect("loads");
        let names: Vec<&str> = lib.components().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, [known_name(&known)]);
    }

    fn known_name(d: &ComponentDescriptor) -> &'static str {
        // SAFETY: a built-in component's name is static UTF-8.
        unsafe { d.name.as_str() }.expect("utf-8")
    }
}
