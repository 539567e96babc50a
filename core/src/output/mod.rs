//! The run output folder: tidy CSV and JSON, a self-contained HTML report, written atomically.
//!
//! | file | content |
//! |---|---|
//! | `replications.csv` | `variant,replication,seed,metric,value` |
//! | `summary.csv` | `variant,[swept paths…,]metric,n,mean,sd,ci_low,ci_high` |
//! | `summary.json` | the same rows as an array of objects |
//! | `comparison.csv` | `variant,baseline,metric,n,diff_mean,diff_ci_low,diff_ci_high,rel_change,rel_ci_low,rel_ci_high,p_value` |
//! | `timeseries.csv` | `variant,replication,time,metric,value` (only when a collector produces series) |
//! | `report.html` | the report for decision makers |
//! | `manifest.json` | provenance: version, scenario and its SHA-256, resolved-scenario digest, variants, sweep, shard, precision, plugin libraries (path, SHA-256, versions), seed, threads, wall time, completeness |
//!
//! - `tables` — rows, CSV/JSON writers and readers.
//! - `manifest` — `manifest.json`.
//! - `folder` — writing a whole folder, reading one back, merging shards.
//!
//! Nothing order-dependent or time-dependent enters the tables, so the same results give the
//! same bytes. Each file is written to a temporary file in the same folder and renamed into
//! place, and the manifest is written last: a manifest always describes complete files.

mod folder;
mod manifest;
mod tables;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Kept at this path for the report and the CLI, which show warnings beside the tables.
pub use crate::diagnostics::Warning;
/// Kept at this path for the plugin host (`plugin/library.rs`); the helper lives in [`crate::util`].
pub use crate::util::sha256_hex;
pub use folder::{FILES, MergeError, RunFolder, merge, read_run, summary_rows, write_manifest, write_run};
pub use manifest::{LibraryRecord, Manifest, RunFacts, VariantRecord, libraries, sorted as sorted_warnings};
pub use tables::{
    ReplicationRow, SeriesRow, SummaryRow, comparison_csv, replications_csv, summary_csv, summary_json,
    timeseries_csv,
};

/// Writing outputs failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The output folder exists and is not empty; results are never silently overwritten.
    #[error("output folder {} is not empty (use --force to write into it anyway)", dir.display())]
    NotEmpty {
        /// The folder.
        dir: PathBuf,
    },
    /// The output path exists but is not a folder.
    #[error("output path {} exists and is not a folder", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A table or manifest read back is malformed.
    #[error("{}{}: {message}", path.display(), line_suffix(*line))]
    Table {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 if unknown).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A file-system operation failed (the cause is the error's `source`, which callers print
    /// after the path).
    #[error("{}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// `:LINE`, or nothing when the line is unknown (0).
fn line_suffix(line: u64) -> String {
    if line == 0 { String::new() } else { format!(":{line}") }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
///
/// # Errors
/// [`OutputError::Io`] naming the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, path).map_err(io(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `runs/<scenario-name>/<timestamp>/`. The caller supplies the timestamp: core reads no clock.
///
/// Both parts are made safe as single folder names (characters other than ASCII letters, digits,
/// `-`, `_` and `.` become `_`, and so does a leading `.`), so a scenario named `../x` cannot
/// write outside `runs/`.
pub fn default_dir(scenario_name: &str, timestamp: &str) -> PathBuf {
    Path::new("runs").join(folder_name(scenario_name)).join(folder_name(timestamp))
}

fn folder_name(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    if out.is_empty() || out.starts_with('.') {
        out.replace_range(..out.chars().next().map_or(0, char::len_utf8), "_");
        if out.is_empty() {
            out.push('_');
        }
    }
    out
}

/// Creates `dir` (and parents) if missing. An existing non-empty folder is refused unless
/// `force`; then the output files of an earlier run ([`FILES`]) are removed from it, so that
/// none of them (a `timeseries.csv`, a manifest) can be mistaken for part of the new run. Other
/// files are left alone.
///
/// # Errors
/// [`OutputError::NotEmpty`], [`OutputError::NotADirectory`] or [`OutputError::Io`].
pub fn prepare_dir(dir: &Path, force: bool) -> Result<(), OutputError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if !force && entries.next().is_some() {
                return Err(OutputError::NotEmpty { dir: dir.to_path_buf() });
            }
            for name in FILES {
                let path = dir.join(name);
                match fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&path)(e)),
                    _ => {}
                }
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fs::create_dir_all(dir).map_err(io(dir)),
        Err(_) if dir.exists() => Err(OutputError::NotADirectory { path: dir.to_path_buf() }),
        Err(e) => Err(OutputError::Io { path: dir.to_path_buf(), source: e }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_dir_refuses_non_empty_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        let fresh = tmp.path().join("a/b");
        prepare_dir(&fresh, false).unwrap();
        assert!(fresh.is_dir());
        prepare_dir(&fresh, false).unwrap(); // empty: fine
        fs::write(fresh.join("keep"), "x").unwrap();
        assert!(matches!(prepare_dir(&fresh, false), Err(OutputError::NotEmpty { .. })));
        fs::write(fresh.join("manifest.json"), "{}").unwrap();
        prepare_dir(&fresh, true).unwrap();
        assert_eq!(fs::read_to_string(fresh.join("keep")).unwrap(), "x");
        assert!(!fresh.join("manifest.json").exists(), "a stale manifest is removed");
        let file = tmp.path().join("file");
        fs::write(&file, "x").unwrap();
        assert!(matches!(prepare_dir(&file, true), Err(OutputError::NotADirectory { .. })));
    }

    #[test]
    fn atomic_write_leaves_no_temporary_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.csv");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f.csv")]);
        assert!(write_atomic(&tmp.path().join("missing/f.csv"), b"x").is_err());
    }

    #[test]
    fn default_dir_cannot_escape_runs() {
        assert_eq!(default_dir("mm1", "20261128-120000"), Path::new("runs/mm1/20261128-120000"));
        assert_eq!(default_dir("../etc", "x"), Path::new("runs/_._etc/x"));
        assert_eq!(default_dir("a/b c", ".."), Path::new("runs/a_b_c/_."));
        assert_eq!(default_dir("", "t"), Path::new("runs/_/t"));
    }
}
