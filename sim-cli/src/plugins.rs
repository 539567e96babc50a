//! The built-in plugins and `xinzhi plugins`.

use std::path::PathBuf;

use anyhow::anyhow;
use xinzhi_core::plugin::{Origin, PluginLib, Registry};

use crate::Failure;
use crate::args::PluginsArgs;

/// The registry of the plugins linked into this binary: the same descriptors and vtables as
/// their `.so` builds.
pub(crate) fn builtins() -> Result<Registry, Failure> {
    Registry::with_builtins(&[
        xinzhi_dispatch::plugin_library(),
        xinzhi_predict::plugin_library(),
        xinzhi_metrics::plugin_library(),
        xinzhi_signals::plugin_library(),
    ])
    .map_err(|e| Failure::Run(anyhow!("built-in plugins: {e}")))
}

/// Adds the libraries of `--load` flags.
fn with_loaded(mut registry: Registry, paths: &[PathBuf]) -> Result<Registry, Failure> {
    for path in paths {
        let lib =
            PluginLib::load(path).map_err(|e| Failure::Input(anyhow!("--load {}: {e}", path.display())))?;
        registry.add(lib, None).map_err(|e| Failure::Input(anyhow!("--load {}: {e}", path.display())))?;
    }
    Ok(registry)
}

/// `xinzhi plugins [--load PATH]...`.
pub(crate) fn list(args: &PluginsArgs) -> Result<(), Failure> {
    let registry = with_loaded(builtins()?, &args.load)?;
    let mut out = String::new();
    for entry in registry.entries() {
        let lib = &entry.lib;
        let (major, minor) = lib.abi();
        let origin = match lib.origin() {
            Origin::Builtin => "built-in".to_owned(),
            Origin::Path { path, sha256 } => format!("{} (sha256 {})", path.display(), &sha256[..16]),
        };
        out.push_str(&format!(
            "{}  ({} {}, xinzhi-plugin {}, ABI {major}.{minor}, {})\n  origin: {origin}\n",
            entry.name,
            lib.crate_name(),
            lib.crate_version(),
            lib.api_version(),
            lib.rustc_version()
        ));
        for c in lib.components() {
            out.push_str(&format!("  {:<10} {:<12} {}\n", c.kind.name(), c.name, c.description));
            for line in c.parameters.lines().filter(|l| !l.trim().is_empty()) {
                out.push_str(&format!("  {:<10} {:<12}   {}\n", "", "", line.trim()));
            }
        }
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}
