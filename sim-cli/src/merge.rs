//! Writing output folders and printing their summary; `xinzhi merge` and `xinzhi report`.

use anyhow::{Context, anyhow};
use xinzhi_core::output::{self, RunFolder};
use xinzhi_core::report::{self, ReportInput};

use crate::Failure;
use crate::args::{MergeArgs, ReportArgs};
use crate::table;

/// Writes `folder`'s tables (and, with `with_report`, its report) into its folder, manifest last.
pub(crate) fn write(folder: &RunFolder, with_report: bool) -> Result<(), Failure> {
    let html = if with_report { Some(report_html(folder)?) } else { None };
    output::write_run(&folder.dir, &folder.manifest, &folder.results, html.as_deref())
        .with_context(|| format!("writing results to {}", folder.dir.display()))
        .map_err(Failure::Run)
}

/// The report of `folder`.
fn report_html(folder: &RunFolder) -> Result<String, Failure> {
    report::render(&ReportInput::from_run(folder)).map_err(|e| Failure::Run(e.into()))
}

/// Prints, in this order: the run's warnings, the answer in words (the best variant per key
/// metric and its trade-offs), each variant's effects on the key metrics, a compact table of
/// the key metrics with their units (`verbose`: every metric, as before), and the precision
/// reached. The caller prints where the files are last.
pub(crate) fn print_summary(folder: &RunFolder, verbose: bool) {
    let (results, manifest) = (&folder.results, &folder.manifest);
    let (summaries, comparisons) = (results.summaries(), results.comparisons());
    let keys = &manifest.key_metrics;
    print!("{}", table::warnings(&manifest.warnings));
    print!("{}", table::answer(&comparisons, &summaries, keys, &manifest.metrics));
    print!("{}", table::effects(&comparisons, &summaries, keys, &manifest.metrics));
    if verbose {
        print!("{}", table::render(&summaries, None, &manifest.metrics));
    } else {
        println!(
            "
key metrics (every metric: --verbose, summary.csv):"
        );
        print!("{}", table::render(&summaries, Some(keys), &manifest.metrics));
    }
    if let Some(p) = &results.precision {
        println!("\nprecision target: {}", report::precision_sentence(p, results.complete()));
    }
}

/// `xinzhi merge SHARD_DIR... --out DIR`.
pub(crate) fn merge(args: &MergeArgs) -> Result<(), Failure> {
    let mut folder = output::merge(&args.dirs).map_err(|e| Failure::Input(e.into()))?;
    output::prepare_dir(&args.out, args.force).map_err(|e| Failure::Input(e.into()))?;
    folder.dir.clone_from(&args.out);
    write(&folder, true)?;
    if !args.quiet {
        print_summary(&folder, args.verbose);
        println!(
            "\nmerged {} shard(s): {} replication(s) of {} variant(s); results in {}",
            args.dirs.len(),
            folder.manifest.replications,
            folder.results.variants.len(),
            args.out.display()
        );
    }
    Ok(())
}

/// `xinzhi report DIR`: rebuilds `DIR/report.html` from the folder's tables and manifest.
pub(crate) fn report(args: &ReportArgs) -> Result<(), Failure> {
    let folder = output::read_run(&args.dir).map_err(|e| Failure::Input(e.into()))?;
    if folder.manifest.shard.is_some() {
        return Err(Failure::Input(anyhow!(
            "{} holds one shard of an experiment; merge the shards first (xinzhi merge)",
            args.dir.display()
        )));
    }
    let html = report_html(&folder)?;
    let path = args.dir.join("report.html");
    output::write_atomic(&path, html.as_bytes()).map_err(|e| Failure::Run(e.into()))?;
    println!("{}", path.display());
    Ok(())
}
