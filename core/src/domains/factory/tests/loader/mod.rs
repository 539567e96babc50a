//! The scenario loader on factory scenarios: one test per error kind, happy paths, variants,
//! sweeps and overrides, and a fuzz-style check that no input panics.
//!
//! Here: the shared scenarios (`BASE`, `EXAMPLE`) and helpers. By behaviour: `tables` (the
//! factory's tables), `distributions`, `scenario` (`[scenario]`, root tables, syntax, the file),
//! `experiment`, `variants`, `sweep`, `overrides` (`--set`), `fuzz`.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

mod distributions;
mod experiment;
mod fuzz;
mod overrides;
mod scenario;
mod sweep;
mod tables;
mod variants;

use std::path::Path;

use crate::scenario::{Override, ScenarioError, ScenarioFile, parse};

/// A valid scenario; cases replace one line (1-based) or append text.
const BASE: &str = r#"[scenario]
name = "bad"
domain = "factory"
time_unit = "minute"
horizon = 100.0
warmup = 10.0

[[factory.source]]
name = "orders"
product = "widget"
interarrival = { dist = "exponential", mean = 1.25 }

[[factory.product]]
name = "widget"
route = ["mill"]

[[factory.station]]
name = "mill"
machines = 1
process = { dist = "exponential", mean = 1.0 }
"#;

fn with_line(n: usize, new: &str) -> String {
    let mut lines: Vec<&str> = BASE.lines().collect();
    lines[n - 1] = new;
    lines.join("\n") + "\n"
}

fn try_parse(text: &str) -> Result<ScenarioFile, ScenarioError> {
    parse(Path::new("s.toml"), text, &[])
}

fn err(text: &str) -> ScenarioError {
    match try_parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// Asserts line, column and key, and returns the error for further checks.
#[track_caller]
fn check(text: &str, line: usize, column: usize, key: &str) -> ScenarioError {
    let e = err(text);
    assert_eq!((e.line, e.column, e.key.as_str()), (line, column, key), "{e}");
    assert_eq!(e.file, Path::new("s.toml"));
    e
}

#[track_caller]
fn assert_has(e: &ScenarioError, fragments: &[&str]) {
    let shown = e.to_string();
    for f in fragments {
        assert!(shown.contains(f), "expected `{f}` in: {shown}");
    }
}

/// A full valid scenario: two products, two stations, two variants.
const EXAMPLE: &str = r#"
[scenario]
name = "mm1"
description = "two stations"
domain = "factory"
time_unit = "minute"
horizon = 200000
warmup = 5000.0

[experiment]
replications = 8
seed = 1

[[factory.source]]
name = "orders"
product = "widget"
interarrival = { dist = "exponential", mean = 1.25 }

[[factory.product]]
name = "widget"
route = ["mill", "lathe", "mill"]
process = { mill = { dist = "exponential", mean = 0.5 }, lathe = 2.5 }

[[factory.product]]
name = "gadget"
route = ["lathe"]

[[factory.station]]
name = "mill"
machines = 1
buffer = 10
process = { dist = "exponential", mean = 1.0 }

[[factory.station]]
name = "lathe"
machines = 2
process = { dist = "lognormal", mean = 2.0, cv = 0.5 }

[[variant]]
name = "two-mills"
description = "buy a mill"
set = { "factory.station.mill.machines" = 2, "scenario.horizon" = 10000.0 }

[[variant]]
name = "lathe-buffer"
set = { "factory.station.lathe.buffer" = 5 }
"#;

/// `BASE` with a `[sweep]` table (at line 22, its entries from line 23) and `more` after it.
fn with_sweep(entries: &str, more: &str) -> String {
    format!("{BASE}\n[sweep]\n{entries}{more}")
}

fn with_sets(text: &str, sets: &[&str]) -> Result<ScenarioFile, ScenarioError> {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    parse(Path::new("s.toml"), text, &overrides)
}
