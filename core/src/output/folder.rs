//! Whole output folders: writing one from results, reading one back, and merging shards.
//!
//! `run`, `merge` and `report` all write through [`write_run`], from an
//! [`ExperimentResults`] and a [`Manifest`]; the tables are a pure function of those two. Because
//! floats round-trip exactly through the CSVs, results read back from shard folders give the very
//! bytes a single run would have written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::manifest::{Manifest, sorted};
use super::tables::{
    ReplicationRow, SeriesRow, SummaryRow, comparison_csv, read_rows, replications_csv, summary_csv,
    summary_json, timeseries_csv,
};
use super::{OutputError, io, write_atomic};
use crate::collect::{Metric, SeriesPoint};
use crate::experiment::{ExperimentResults, ReplicationOutput, ReplicationResult, Shard};
use crate::rng::replication_seed;

/// The file names of an output folder, in the order they are written (manifest last).
pub const FILES: [&str; 7] = [
    "replications.csv",
    "timeseries.csv",
    "summary.csv",
    "summary.json",
    "comparison.csv",
    "report.html",
    "manifest.json",
];

/// The summary rows of `results`, with each variant's swept values from `manifest`.
pub fn summary_rows(manifest: &Manifest, results: &ExperimentResults) -> Vec<SummaryRow> {
    let sweep_values = |variant: &str| -> Vec<String> {
        let record = manifest.variants.iter().find(|v| v.name == variant);
        manifest
            .sweep
            .iter()
            .enumerate()
            .map(|(i, path)| {
                let generated = record.and_then(|r| r.sweep.iter().find(|(p, _)| p == path)).map(|(_, v)| v);
                // The baseline and explicit variants: the value they were written with.
                let written = || record.and_then(|r| r.at_sweep.get(i));
                generated.or_else(written).cloned().unwrap_or_default()
            })
            .collect()
    };
    results
        .summaries()
        .into_iter()
        .map(|s| SummaryRow {
            sweep: sweep_values(&s.variant),
            variant: s.variant,
            metric: s.metric,
            summary: s.summary,
        })
        .collect()
}

/// Writes the tables of `results` into `dir`, then `report` (when given: the rendered
/// `report.html`), then `manifest.json` last, so a manifest always describes complete files.
/// `timeseries.csv` is written only when some replication produced series.
///
/// # Errors
/// The first file that could not be written.
pub fn write_run(
    dir: &Path,
    manifest: &Manifest,
    results: &ExperimentResults,
    report: Option<&str>,
) -> Result<(), OutputError> {
    let name = |r: &ReplicationResult| results.variants[r.variant].as_str();
    let rows = results.finished().flat_map(|(r, o)| {
        o.metrics.iter().map(move |m| ReplicationRow {
            variant: name(r),
            replication: r.replication,
            seed: r.seed,
            metric: &m.name,
            value: m.value,
        })
    });
    write_atomic(&dir.join("replications.csv"), &replications_csv(rows))?;
    if results.finished().any(|(_, o)| !o.series.is_empty()) {
        let rows = results.finished().flat_map(|(r, o)| {
            o.series.iter().map(move |p| SeriesRow {
                variant: name(r),
                replication: r.replication,
                time: p.time,
                metric: &p.series,
                value: p.value,
            })
        });
        write_atomic(&dir.join("timeseries.csv"), &timeseries_csv(rows))?;
    }
    let summary = summary_rows(manifest, results);
    write_atomic(&dir.join("summary.csv"), &summary_csv(&summary, &manifest.sweep))?;
    write_atomic(&dir.join("summary.json"), &summary_json(&summary, &manifest.sweep))?;
    write_atomic(&dir.join("comparison.csv"), &comparison_csv(&results.comparisons()))?;
    if let Some(html) = report {
        write_atomic(&dir.join("report.html"), html.as_bytes())?;
    }
    write_manifest(dir, manifest)
}

/// Writes `manifest.json` into `dir`.
///
/// # Errors
/// [`OutputError::Io`].
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), OutputError> {
    let mut json = serde_json::to_vec_pretty(manifest).expect("manifest serializes");
    json.push(b'\n');
    write_atomic(&dir.join("manifest.json"), &json)
}

/// An output folder read back.
#[derive(Clone, Debug)]
pub struct RunFolder {
    /// Where it was read from.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Its results: the finished replications of `replications.csv` (and their series).
    pub results: ExperimentResults,
}

/// Reads the output folder `dir`: `manifest.json`, `replications.csv` and, if present,
/// `timeseries.csv`. Every row must belong to a variant of the manifest; each (variant,
/// replication) appears in one block of rows with one seed.
///
/// # Errors
/// A missing or malformed file, located by path and line.
pub fn read_run(dir: &Path) -> Result<RunFolder, OutputError> {
    let manifest_path = dir.join("manifest.json");
    let text = std::fs::read(&manifest_path).map_err(io(&manifest_path))?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| OutputError::Table {
        path: manifest_path.clone(),
        line: e.line() as u64,
        message: format!("not a manifest written by this xinzhi: {e}"),
    })?;
    if let Some(Shard { index, count }) = manifest.shard
        && (count == 0 || count > crate::experiment::MAX_SHARDS || index >= count)
    {
        return Err(OutputError::Table {
            path: manifest_path,
            line: 0,
            message: format!("`shard` {index}/{count} is not a valid shard (0 <= index < count)"),
        });
    }
    let variants: Vec<String> = manifest.variants.iter().map(|v| v.name.clone()).collect();
    let baseline =
        variants.iter().position(|v| *v == manifest.baseline).ok_or_else(|| OutputError::Table {
            path: manifest_path.clone(),
            line: 0,
            message: format!("its baseline `{}` is not one of its variants", manifest.baseline),
        })?;
    let index = |path: &Path, line: u64, name: &str| {
        variants.iter().position(|v| v == name).ok_or_else(|| OutputError::Table {
            path: path.to_path_buf(),
            line,
            message: format!("variant `{name}` is not in the manifest"),
        })
    };

    let path = dir.join("replications.csv");
    let mut replications: Vec<ReplicationResult> = Vec::new();
    let mut seen = BTreeSet::new();
    for row in read_rows(&path, "seed")? {
        let variant = index(&path, row.line, &row.variant)?;
        let bad = |message: String| OutputError::Table { path: path.clone(), line: row.line, message };
        let seed =
            row.third.parse::<u64>().map_err(|_| bad(format!("seed `{}` is not an integer", row.third)))?;
        let same =
            replications.last().is_some_and(|r| r.variant == variant && r.replication == row.replication);
        if !same {
            if !seen.insert((variant, row.replication)) {
                return Err(bad(format!(
                    "replication {} of `{}` appears twice",
                    row.replication, row.variant
                )));
            }
            if seed != replication_seed(manifest.seed, row.replication) {
                return Err(bad(format!(
                    "seed {seed} is not replication {}'s under seed {}",
                    row.replication, manifest.seed
                )));
            }
            replications.push(ReplicationResult {
                variant,
                replication: row.replication,
                seed,
                outcome: Ok(ReplicationOutput {
                    metrics: Vec::new(),
                    series: Vec::new(),
                    events: 0,
                    trace: None,
                }),
            });
        }
        if let Some(Ok(o)) = replications.last_mut().map(|r| &mut r.outcome) {
            o.metrics.push(Metric { name: row.metric, value: row.value });
        }
    }

    let path = dir.join("timeseries.csv");
    if path.exists() {
        let at: BTreeMap<(usize, u32), usize> =
            replications.iter().enumerate().map(|(i, r)| ((r.variant, r.replication), i)).collect();
        for row in read_rows(&path, "time")? {
            let variant = index(&path, row.line, &row.variant)?;
            let bad = |message: String| OutputError::Table { path: path.clone(), line: row.line, message };
            let time =
                row.third.parse::<f64>().map_err(|_| bad(format!("time `{}` is not a number", row.third)))?;
            let i = at.get(&(variant, row.replication)).ok_or_else(|| {
                bad(format!(
                    "replication {} of `{}` is not in replications.csv",
                    row.replication, row.variant
                ))
            })?;
            if let Ok(o) = &mut replications[*i].outcome {
                o.series.push(SeriesPoint { series: row.metric, time, value: row.value });
            }
        }
    }
    replications.sort_by_key(|r| (r.variant, r.replication));
    let results = ExperimentResults {
        variants,
        baseline,
        replications,
        shard: manifest.shard,
        precision: manifest.precision.clone(),
        // The key metrics written are the headlines again (same order, same filter).
        headlines: manifest.key_metrics.clone(),
    };
    Ok(RunFolder { dir: dir.to_path_buf(), manifest, results })
}

/// Why shard folders cannot be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// A folder could not be read.
    #[error(transparent)]
    Read(#[from] OutputError),
    /// Nothing to merge.
    #[error("no shard folders given")]
    Empty,
    /// The shards do not make up one complete experiment.
    #[error("{}: {message}", dir.display())]
    Shard {
        /// The offending folder.
        dir: PathBuf,
        /// What is wrong, and what was expected.
        message: String,
    },
    /// Shards are missing.
    #[error("shard(s) {missing} of {count} missing (given: {given})")]
    Missing {
        /// The missing ones, e.g. `2/3`.
        missing: String,
        /// N.
        count: u32,
        /// The ones given.
        given: String,
    },
}

/// Merges the shard folders `dirs` (every shard `i/N` of one experiment, each once, in any
/// order) into the manifest and results a single run would have produced. The merged manifest
/// is the first shard's with the shard removed, all replication ids, and the shards' wall times
/// summed.
///
/// # Errors
/// A folder that is unreadable, not a shard, incomplete, of another experiment (scenario
/// digest) or another N, a shard given twice, a replication missing or repeated, or a shard
/// missing: each named with its folder.
pub fn merge(dirs: &[PathBuf]) -> Result<RunFolder, MergeError> {
    let folders: Vec<RunFolder> = dirs.iter().map(|d| read_run(d)).collect::<Result<_, _>>()?;
    let first = folders.first().ok_or(MergeError::Empty)?;
    let fail = |f: &RunFolder, message: String| MergeError::Shard { dir: f.dir.clone(), message };
    let shard_of = |f: &RunFolder| {
        f.manifest.shard.ok_or_else(|| {
            fail(f, "not a shard: its manifest has no `shard` (was it run with --shard?)".into())
        })
    };
    let count = shard_of(first)?.count;
    let mut by_index: BTreeMap<u32, &RunFolder> = BTreeMap::new();
    for f in &folders {
        let Shard { index, count: n } = shard_of(f)?;
        let m = &f.manifest;
        if m.scenario_digest != first.manifest.scenario_digest {
            return Err(fail(
                f,
                format!(
                    "belongs to another experiment: scenario digest {} differs from {}'s {} (scenario, overrides, \
                     seed and replications must be the same for every shard)",
                    short(&m.scenario_digest),
                    first.dir.display(),
                    short(&first.manifest.scenario_digest)
                ),
            ));
        }
        if n != count {
            return Err(fail(
                f,
                format!("is shard {index}/{n}, but {} is one of {count}", first.dir.display()),
            ));
        }
        if build_of(m) != build_of(&first.manifest) {
            return Err(fail(
                f,
                format!(
                    "was made by another build than {} (xinzhi version, random number generator or plugin \
                     libraries differ): results of different builds cannot be merged",
                    first.dir.display()
                ),
            ));
        }
        if !m.complete {
            let why = m.error.as_deref().unwrap_or("not every replication finished");
            return Err(fail(f, format!("shard {index}/{n} is incomplete ({why}); run it again")));
        }
        if let Some(other) = by_index.insert(index, f) {
            return Err(fail(f, format!("shard {index}/{n} is given twice (also {})", other.dir.display())));
        }
        let expected: Vec<u32> = (0..m.replications).filter(|&r| r % n == index).collect();
        if m.replication_ids != expected {
            return Err(fail(
                f,
                format!("its manifest lists other replications than shard {index}/{n} must hold"),
            ));
        }
        let held: Vec<(usize, u32)> =
            f.results.replications.iter().map(|r| (r.variant, r.replication)).collect();
        let wanted: Vec<(usize, u32)> =
            (0..f.results.variants.len()).flat_map(|v| expected.iter().map(move |&r| (v, r))).collect();
        if held != wanted {
            let missing = wanted.iter().find(|w| !held.contains(w)).map_or_else(
                || "holds replications that are not its own".to_owned(),
                |(v, r)| format!("replications.csv lacks replication {r} of `{}`", f.results.variants[*v]),
            );
            return Err(fail(f, missing));
        }
    }
    let missing: Vec<String> =
        (0..count).filter(|i| !by_index.contains_key(i)).map(|i| format!("{i}/{count}")).collect();
    if !missing.is_empty() {
        let given: Vec<String> = by_index.keys().map(|i| format!("{i}/{count}")).collect();
        return Err(MergeError::Missing { missing: missing.join(", "), count, given: given.join(", ") });
    }

    let mut manifest = first.manifest.clone();
    manifest.shard = None;
    manifest.replication_ids = (0..manifest.replications).collect();
    manifest.wall_time_s = folders.iter().map(|f| f.manifest.wall_time_s).sum();
    // Steady-state checks need every replication's trace, which outputs do not keep: a merged run
    // reports what any shard found (the scenario's own, such as a domain's preflight cautions, agree).
    manifest.warnings = sorted(folders.iter().flat_map(|f| f.manifest.warnings.iter().cloned()).collect());
    let mut results = first.results.clone();
    results.shard = None;
    results.replications = folders.iter().flat_map(|f| f.results.replications.iter().cloned()).collect();
    results.replications.sort_by_key(|r| (r.variant, r.replication));
    // Derived from the results, as a single run derives them: a shard's own (an empty shard's:
    // none) must not decide them.
    manifest.key_metrics = results.key_metrics(manifest.precision.as_ref().map(|p| p.metric.as_str()));
    Ok(RunFolder { dir: first.dir.clone(), manifest, results })
}

/// What identifies the build that produced a folder (shards of different builds do not merge).
#[derive(PartialEq)]
struct Build<'m> {
    xinzhi_version: &'m str,
    rng: &'m str,
    /// Name, crate version and SHA-256 of each plugin library.
    plugins: Vec<(&'m str, &'m str, Option<&'m str>)>,
}

fn build_of(m: &Manifest) -> Build<'_> {
    Build {
        xinzhi_version: &m.xinzhi_version,
        rng: &m.rng,
        plugins: m
            .plugins
            .iter()
            .map(|p| (p.name.as_str(), p.crate_version.as_str(), p.sha256.as_deref()))
            .collect(),
    }
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}
