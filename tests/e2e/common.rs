//! Running the `xinzhi` binary and reading its outputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The target folder of this test run.
pub(crate) fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Where the tests' own cargo builds go (the binary, plugin `.so`s). Not the test run's target
/// folder: a lone `cargo build -p …` resolves features differently from `cargo test
/// --workspace`, and its extra copies of shared crates next to the test run's would make
/// rustdoc pick mismatched ones for the doctests compiled afterwards.
pub(crate) fn nested_target() -> PathBuf {
    target().join("e2e-builds")
}

/// Runs `cargo build` with `args` into [`nested_target`]; panics if it fails.
pub(crate) fn cargo_build(args: &[&str]) {
    let status = Command::new(env!("CARGO"))
        .current_dir(root())
        .arg("build")
        .args(args)
        .arg("--target-dir")
        .arg(nested_target())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build {args:?} failed");
}

/// Path of the `xinzhi` binary, built once per test run with the same profile as the tests.
///
/// A binary of another package is not built by `cargo test` for this package, so build it here.
pub(crate) fn xinzhi_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        cargo_build(&["--quiet", "-p", "xinzhi-cli", "--bin", "xinzhi"]);
        nested_target().join("debug").join(format!("xinzhi{}", std::env::consts::EXE_SUFFIX))
    })
}

/// Runs `xinzhi` with `args` from the workspace root.
pub(crate) fn xinzhi(args: &[&str]) -> Output {
    Command::new(xinzhi_bin()).current_dir(root()).args(args).output().expect("xinzhi runs")
}

/// Runs a scenario into a fresh temporary folder; panics with stderr on failure.
pub(crate) fn run_ok(scenario: &str, extra: &[&str]) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let out_str = out.to_str().expect("utf-8 temp path");
    let mut args = vec!["run", scenario, "--out", out_str, "--quiet"];
    args.extend_from_slice(extra);
    let output = xinzhi(&args);
    assert!(
        output.status.success(),
        "xinzhi {args:?} failed ({:?}):\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    (dir, output)
}

/// Writes `text` as `name` in a fresh temporary folder (kept while the `TempDir` lives).
pub(crate) fn scenario_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("scenario written");
    (dir, path)
}

/// Every row of the CSV file at `path` as a map from column name to text.
pub(crate) fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .zip(r.expect("valid csv").iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// One row of `summary.csv`.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) n: f64,
    pub(crate) mean: f64,
    pub(crate) sd: f64,
}

/// `summary.csv` as (variant, metric) → row (columns by name: a sweep adds columns).
pub(crate) fn summary(dir: &Path) -> BTreeMap<(String, String), Row> {
    let mut out = BTreeMap::new();
    for rec in csv_rows(&dir.join("out/summary.csv")) {
        let f = |c: &str| rec[c].parse::<f64>().unwrap_or_else(|e| panic!("{c}: {e}"));
        out.insert(
            (rec["variant"].clone(), rec["metric"].clone()),
            Row { n: f("n"), mean: f("mean"), sd: f("sd") },
        );
    }
    out
}

/// `replications.csv` as (variant, replication) → metric → value.
pub(crate) fn replications(dir: &Path) -> BTreeMap<(String, u32), BTreeMap<String, f64>> {
    let mut reader =
        csv::Reader::from_path(dir.join("out/replications.csv")).expect("replications.csv exists");
    let mut out: BTreeMap<(String, u32), BTreeMap<String, f64>> = BTreeMap::new();
    for rec in reader.records() {
        let rec = rec.expect("valid csv");
        let rep: u32 = rec[1].parse().expect("replication index");
        out.entry((rec[0].to_owned(), rep))
            .or_default()
            .insert(rec[3].to_owned(), rec[4].parse().expect("number"));
    }
    out
}

/// Student-t quantile t_{0.9995, df} for the df used here (two-sided 99.9 %), from tables.
pub(crate) fn t_999(df: f64) -> f64 {
    match df as u32 {
        7 => 5.408,
        9 => 4.781,
        11 => 4.437,
        15 => 4.073,
        19 => 3.883,
        29 => 3.659,
        _ => panic!("add t_0.9995 for df = {df}"),
    }
}

/// Asserts that `theory` lies inside the 99.9 % Student-t confidence interval of the replication
/// mean: independent replications make the replication means i.i.d., so the test has a false
/// alarm probability of 0.1 % per metric (and is deterministic for a fixed seed).
pub(crate) fn assert_matches_theory(
    rows: &BTreeMap<(String, String), Row>,
    variant: &str,
    metric: &str,
    theory: f64,
) {
    let row =
        rows.get(&(variant.to_owned(), metric.to_owned())).unwrap_or_else(|| panic!("no {variant}/{metric}"));
    let half = t_999(row.n - 1.0) * row.sd / row.n.sqrt();
    assert!(
        (row.mean - theory).abs() <= half,
        "{variant}/{metric}: simulated {:.5} ± {:.5} (99.9 % CI) does not cover theory {theory:.5}",
        row.mean,
        half
    );
    // Guard against a vacuous test: the interval must be tight relative to the value.
    assert!(
        half < 0.05 * theory.abs().max(1e-3),
        "{variant}/{metric}: CI half-width {half} too wide to test"
    );
}
