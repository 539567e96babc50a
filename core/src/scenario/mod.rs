//! Scenario files: TOML text → validated, typed [`Scenario`]s (a baseline and its variants).
//!
//! ```toml
//! [scenario]
//! name = "mm1"                 # required, non-empty
//! description = "..."          # optional
//! domain = "factory"           # the one domain modelled (city and finance are not available
//!                              #   yet); or `domains = ["factory", ...]` for a region of
//!                              #   several, each with its own table, on one calendar
//! time_unit = "minute"         # second | minute | hour | day
//! horizon = 200000.0           # > 0
//! warmup = 5000.0              # optional, default 0, < horizon
//!
//! [experiment]                 # optional; variants cannot change it
//! replications = 8             # >= 1, default 10; with `target`, the first batch (>= 2)
//! seed = 1                     # default 1
//! baseline = "baseline"        # optional: the variant the others are compared against;
//!                              #   "baseline", a [[variant]] or a generated sweep variant
//! target = { metric = "throughput", relative_half_width = 0.01 }
//!                              # optional precision target: replications are added until the
//!                              #   metric's CI half-width is small enough in every variant;
//!                              #   exactly one of `relative_half_width` (a fraction of the
//!                              #   mean) or `half_width` (in the metric's unit), finite, > 0
//! max_replications = 200       # required with `target`: replications..=1000000
//! batch = 10                   # optional, only with `target`: added per round, >= 1,
//!                              #   default `replications`
//!
//! [[factory.station]]          # the domain's own tables: see the domain's `config` module
//! # ...
//!
//! [[variant]]                  # a what-if: dotted-path overrides of the baseline
//! name = "two-mills"           # unique, not "baseline"
//! description = "..."          # optional
//! set = { "factory.station.mill.machines" = 2 }
//!
//! [sweep]                      # optional: a full-factorial grid of generated variants
//! "factory.station.mill.machines" = [1, 2, 3]   # path (as in `set`) = the values it takes
//! "factory.station.mill.buffer" = [5, 10]
//! ```
//!
//! A sweep generates one variant per grid point (the first path varying slowest) for the
//! baseline and then for each `[[variant]]`; the baseline and the variants themselves remain.
//! Generated variants are named by their point, each path shortened to the shortest suffix
//! unique among the swept paths: `machines=2 buffer=5` for the baseline,
//! `two-mills machines=2 buffer=5` for a variant. At most [`MAX_SWEEP_VARIANTS`] are generated;
//! a variant may not `set` a swept path (nor one inside it), and swept paths may not nest.
//!
//! The domain's tables are validated by its module, e.g. [`crate::domains::factory::config`];
//! this module knows only their root names (one per domain).
//!
//! Loading goes: parse the text into a tree of spanned TOML values; apply `--set` overrides
//! ([`Override`]); deserialize the generic tables into raw serde structs
//! (`deny_unknown_fields`) and validate them; hand the domain's table to the domain module.
//! Each variant is the overridden baseline tree with the variant's `set` applied on top, then
//! validated the same way; a generated variant is its source tree (the baseline's or a
//! variant's) with the grid point's values applied on top. Values keep the location they were
//! written at, so an error in a value set by a variant points at that variant's `set` entry,
//! and one in a swept value at that value inside `[sweep]`.
//!
//! Errors ([`ScenarioError`]) carry file, line, column, dotted key, a message saying what was
//! expected and found, and a "did you mean" suggestion for misspelt names. Loading never
//! panics, whatever the input.

// `ScenarioError` is the public error type of loading (its fields are the API); errors are the
// cold path, so its size on the `Err` side does not matter.
#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

mod build; // one tree → a `Scenario`: root tables, `[scenario]`, plugins, collectors, domains
mod experiment; // `[experiment]`: replications, seed, baseline, precision target
mod overrides; // dotted paths, `--set`, and edits of the spanned tree
mod syntax; // TOML syntax errors, located
mod types; // the validated public types
mod variants; // `[[variant]]` and `[sweep]`

use std::path::Path;

use toml::de::{DeTable, DeValue};

use crate::validate::{CliRegion, Source, line_col_bytes};
pub use crate::validate::{LibraryRef, PluginRef, ScenarioError, ValidationCtx, Written};
pub use overrides::Override;
pub use types::{
    DEFAULT_COLLECTOR, ExperimentConfig, HalfWidth, MAX_REPLICATIONS, MAX_SWEEP_VARIANTS, PrecisionTarget,
    Scenario, ScenarioFile, Variant,
};

use build::build;
use overrides::{apply, keys_at, shift};
use syntax::syntax_error;
use variants::{build_variants, check_baseline_name, parse_sweep, values_at};

/// Reads and validates the scenario file at `path`, applying `overrides` to the baseline.
///
/// # Errors
/// If the file cannot be read or is not valid UTF-8, or for anything [`parse`] rejects.
pub fn load(path: &Path, overrides: &[Override]) -> Result<ScenarioFile, ScenarioError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ScenarioError::new(path, format!("cannot read the scenario file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col_bytes(e.as_bytes(), e.utf8_error().valid_up_to());
        let mut err = ScenarioError::new(path, "the file is not valid UTF-8 text");
        (err.line, err.column) = (line, column);
        err
    })?;
    parse(path, &text, overrides)
}

/// Validates scenario `text` (read from `path`, used in messages), applying `overrides`.
///
/// # Errors
/// The first problem found: TOML syntax, unknown or missing keys, wrong types, values out of
/// range, unknown names, bad override paths — each located and explained.
pub fn parse(path: &Path, text: &str, overrides: &[Override]) -> Result<ScenarioFile, ScenarioError> {
    // Declared before the tree, which borrows from them.
    let rendered: Vec<String> = overrides.iter().map(|o| o.value.to_string()).collect();
    let mut doc = DeTable::parse(text).map_err(|e| syntax_error(path, text, &e))?.into_inner();

    // Each `--set` value gets its own region of offsets past the end of the text.
    let mut cli = Vec::with_capacity(overrides.len());
    let mut next = text.len() + 1;
    for (o, r) in overrides.iter().zip(&rendered) {
        cli.push(CliRegion { span: next..next + r.len(), typed: o.as_typed() });
        next += r.len() + 1;
    }
    let src = Source { file: path, text, cli };
    for ((o, r), region) in overrides.iter().zip(&rendered).zip(&src.cli) {
        let fail = |message: String, suggestion: Option<String>| {
            src.error_at(&region.span, o.path.clone(), message).with_suggestion(suggestion)
        };
        let keys = keys_at(&o.path, &(region.span.start..region.span.start)).map_err(|m| fail(m, None))?;
        let value = DeValue::parse(r).map_err(|e| fail(format!("invalid value: {}", e.message()), None))?;
        apply(&mut doc, &keys, shift(value, region.span.start)).map_err(|e| fail(e.message, e.suggestion))?;
    }

    let variant_entry = doc.remove_entry("variant");
    let sweep_entry = doc.remove_entry("sweep");
    let baseline = build(&doc, &ValidationCtx::new(&src, &doc, None))?;
    let axes = match sweep_entry {
        Some((key, value)) => parse_sweep(&src, key, value)?,
        None => Vec::new(),
    };
    let variants = build_variants(&src, &doc, variant_entry, &axes)?;
    let baseline_at_sweep = values_at(&doc, &axes);
    check_baseline_name(&src, &doc, &baseline.experiment.baseline, &variants)?;
    Ok(ScenarioFile {
        path: path.to_owned(),
        text: text.to_owned(),
        baseline,
        variants,
        sweep: axes.into_iter().map(|a| a.path).collect(),
        baseline_at_sweep,
    })
}
