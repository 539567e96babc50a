//! The run output folder: tidy CSV and JSON, written atomically.
//!
//! | file | content |
//! |---|---|
//! | `replications.csv` | `variant,replication,seed,metric,value` |
//! | `summary.csv` | `variant,metric,n,mean,sd,ci_low,ci_high` |
//! | `summary.json` | the same rows as an array of objects |
//! | `timeseries.csv` | `variant,replication,time,metric,value` (only when a collector produces series) |
//! | `manifest.json` | provenance: version, scenario and its SHA-256, plugin libraries (path, SHA-256, versions), seed, threads, wall time, completeness |
//!
//! Floats are written with Rust's shortest round-trip formatting (`{:?}`: `4.0`, `0.1`, `1e-7`,
//! `NaN`), so they parse back to the identical `f64`; JSON writes NaN as `null`. Nothing
//! order-dependent or time-dependent enters the CSVs, so the same results give the same bytes.
//! Each file is written to a temporary file in the same folder and renamed into place, and the
//! manifest is written last: a manifest always describes complete files.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::stats::Summary;

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
    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// One row of `replications.csv`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplicationRow<'a> {
    /// Variant name.
    pub variant: &'a str,
    /// Replication index.
    pub replication: u32,
    /// The replication's seed.
    pub seed: u64,
    /// Metric name.
    pub metric: &'a str,
    /// Value.
    pub value: f64,
}

/// One row of `summary.csv` / `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryRow {
    /// Variant name.
    pub variant: String,
    /// Metric name.
    pub metric: String,
    /// n, mean, sd and CI.
    #[serde(flatten)]
    pub summary: Summary,
}

/// Provenance of a run (`manifest.json`).
#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    /// Version of the `xinzhi` that wrote it.
    pub xinzhi_version: String,
    /// The scenario file as given.
    pub scenario_path: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// The resolved scenario (after overrides), baseline and variants.
    pub scenario: serde_json::Value,
    /// Variant names, baseline first.
    pub variants: Vec<String>,
    /// Master seed.
    pub seed: u64,
    /// Replications per variant.
    pub replications: u32,
    /// Worker threads used (results do not depend on it).
    pub threads: usize,
    /// Random number generator and stream derivation.
    pub rng: String,
    /// Wall-clock duration of the run [s].
    pub wall_time_s: f64,
    /// Whether every replication finished; `false` means the CSVs hold only the finished ones.
    pub complete: bool,
    /// What failed, if anything.
    pub error: Option<String>,
    /// Every plugin library available to the run.
    pub plugins: Vec<LibraryRecord>,
}

/// A plugin library in the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct LibraryRecord {
    /// Name qualifying its components (`name/component`).
    pub name: String,
    /// Its crate and version, e.g. `xinzhi-dispatch 0.1.0`.
    pub crate_version: String,
    /// `xinzhi-plugin` version it was built with.
    pub api_version: String,
    /// Plugin ABI, e.g. `1.0`.
    pub abi: String,
    /// Compiler that built it.
    pub rustc: String,
    /// `built-in`, or the path it was loaded from.
    pub origin: String,
    /// SHA-256 of the library file; `None` for built-ins.
    pub sha256: Option<String>,
}

/// One row of `timeseries.csv`.
#[derive(Clone, Copy, Debug)]
pub struct SeriesRow<'a> {
    /// Variant name.
    pub variant: &'a str,
    /// Replication index.
    pub replication: u32,
    /// Time of the point [time unit].
    pub time: f64,
    /// Series (metric) name.
    pub metric: &'a str,
    /// Value.
    pub value: f64,
}

/// `timeseries.csv`, rows in the given order.
pub fn timeseries_csv<'a>(rows: impl IntoIterator<Item = SeriesRow<'a>>) -> Vec<u8> {
    csv_bytes(
        &["variant", "replication", "time", "metric", "value"],
        rows.into_iter().map(|r| {
            vec![
                r.variant.to_owned(),
                r.replication.to_string(),
                float(r.time),
                r.metric.to_owned(),
                float(r.value),
            ]
        }),
    )
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
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

/// A float in its shortest round-trip form.
fn float(x: f64) -> String {
    format!("{x:?}")
}

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail; an error here would be a bug in csv.
    w.write_record(header).expect("in-memory CSV write");
    for row in rows {
        w.write_record(&row).expect("in-memory CSV write");
    }
    w.into_inner().expect("in-memory CSV flush")
}

/// `replications.csv`, rows in the given order.
pub fn replications_csv<'a>(rows: impl IntoIterator<Item = ReplicationRow<'a>>) -> Vec<u8> {
    csv_bytes(
        &["variant", "replication", "seed", "metric", "value"],
        rows.into_iter().map(|r| {
            vec![
                r.variant.to_owned(),
                r.replication.to_string(),
                r.seed.to_string(),
                r.metric.to_owned(),
                float(r.value),
            ]
        }),
    )
}

/// `summary.csv`, rows in the given order.
pub fn summary_csv(rows: &[SummaryRow]) -> Vec<u8> {
    csv_bytes(
        &["variant", "metric", "n", "mean", "sd", "ci_low", "ci_high"],
        rows.iter().map(|r| {
            let s = &r.summary;
            vec![
                r.variant.clone(),
                r.metric.clone(),
                s.n.to_string(),
                float(s.mean),
                float(s.sd),
                float(s.ci_low),
                float(s.ci_high),
            ]
        }),
    )
}

/// `summary.json`: the rows as a pretty-printed array (NaN as `null`).
pub fn summary_json(rows: &[SummaryRow]) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(rows).expect("summary rows serialize");
    out.push(b'\n');
    out
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
/// `force`.
///
/// # Errors
/// [`OutputError::NotEmpty`], [`OutputError::NotADirectory`] or [`OutputError::Io`].
pub fn prepare_dir(dir: &Path, force: bool) -> Result<(), OutputError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if !force && entries.next().is_some() {
                return Err(OutputError::NotEmpty { dir: dir.to_path_buf() });
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fs::create_dir_all(dir).map_err(io(dir)),
        Err(_) if dir.exists() => Err(OutputError::NotADirectory { path: dir.to_path_buf() }),
        Err(e) => Err(OutputError::Io { path: dir.to_path_buf(), source: e }),
    }
}

/// Writes the whole output folder: `replications.csv`, `summary.csv`, `summary.json`,
/// `timeseries.csv` (when given), then `manifest.json`.
///
/// # Errors
/// The first file that could not be written.
pub fn write_run(
    dir: &Path,
    manifest: &Manifest,
    replications_csv: &[u8],
    summary_rows: &[SummaryRow],
    timeseries_csv: Option<&[u8]>,
) -> Result<(), OutputError> {
    write_atomic(&dir.join("replications.csv"), replications_csv)?;
    if let Some(bytes) = timeseries_csv {
        write_atomic(&dir.join("timeseries.csv"), bytes)?;
    }
    write_atomic(&dir.join("summary.csv"), &summary_csv(summary_rows))?;
    write_atomic(&dir.join("summary.json"), &summary_json(summary_rows))?;
    let mut json = serde_json::to_vec_pretty(manifest).expect("manifest serializes");
    json.push(b'\n');
    write_atomic(&dir.join("manifest.json"), &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(variant: &str, metric: &str, mean: f64, sd: f64) -> SummaryRow {
        SummaryRow {
            variant: variant.into(),
            metric: metric.into(),
            summary: Summary { n: 3, mean, sd, ci_low: mean - 1.0, ci_high: mean + 1.0 },
        }
    }

    #[test]
    fn replications_csv_exact_bytes() {
        let rows = [
            ReplicationRow { variant: "baseline", replication: 0, seed: 7, metric: "throughput", value: 4.0 },
            ReplicationRow { variant: "baseline", replication: 1, seed: 8, metric: "a,b", value: 0.1 },
            ReplicationRow { variant: "v", replication: 0, seed: 7, metric: "x", value: f64::NAN },
        ];
        let text = String::from_utf8(replications_csv(rows)).unwrap();
        assert_eq!(
            text,
            "variant,replication,seed,metric,value\nbaseline,0,7,throughput,4.0\nbaseline,1,8,\"a,b\",0.1\nv,0,7,x,NaN\n"
        );
    }

    #[test]
    fn floats_round_trip() {
        for x in [0.1, 1.0 / 3.0, 1e-7, 123_456_789.123, f64::MIN_POSITIVE] {
            assert_eq!(float(x).parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn summary_csv_and_json() {
        let rows = [row("baseline", "wip_mean", 4.0, 0.5), row("baseline", "x", f64::NAN, f64::NAN)];
        assert_eq!(
            String::from_utf8(summary_csv(&rows)).unwrap(),
            "variant,metric,n,mean,sd,ci_low,ci_high\nbaseline,wip_mean,3,4.0,0.5,3.0,5.0\nbaseline,x,3,NaN,NaN,NaN,NaN\n"
        );
        let json: serde_json::Value = serde_json::from_slice(&summary_json(&rows)).unwrap();
        assert_eq!(json[0]["variant"], "baseline");
        assert_eq!(json[0]["ci_high"], 5.0);
        assert!(json[1]["mean"].is_null());
        let keys: Vec<&str> = json[0].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 7);
    }

    #[test]
    fn prepare_dir_refuses_non_empty_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        let fresh = tmp.path().join("a/b");
        prepare_dir(&fresh, false).unwrap();
        assert!(fresh.is_dir());
        prepare_dir(&fresh, false).unwrap(); // empty: fine
        fs::write(fresh.join("keep"), "x").unwrap();
        assert!(matches!(prepare_dir(&fresh, false), Err(OutputError::NotEmpty { .. })));
        prepare_dir(&fresh, true).unwrap();
        assert_eq!(fs::read_to_string(fresh.join("keep")).unwrap(), "x");
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

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
