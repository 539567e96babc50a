//! Robustness: no input may panic.

use proptest::prelude::*;

use super::*;

/// Pieces of TOML that, spliced into a valid file, produce near-valid variations.
const PIECES: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "=",
    "\"",
    "{",
    "}",
    ",",
    ".",
    "\n",
    " ",
    "-1",
    "0",
    "1e400",
    "nan",
    "inf",
    "true",
    "name",
    "mill",
    "route",
    "process",
    "dist",
    "mean",
    "exponential",
    "empirical",
    "values",
    "weights",
    "[]",
    "factory.station",
    "variant",
    "[sweep]",
    "[1, 2]",
    "set",
    "\"factory.station.mill.machines\"",
    "scenario",
    "é",
    "\u{0}",
];

/// A scenario with a sweep, a variant crossed with it and a precision target.
const SWEEP_EXAMPLE: &str = r#"
[scenario]
name = "grid"
domain = "factory"
time_unit = "minute"
horizon = 1000.0

[experiment]
replications = 4
baseline = "machines=2 buffer=5"
target = { metric = "throughput", relative_half_width = 0.05 }
max_replications = 20
batch = 2

[[factory.source]]
name = "orders"
product = "widget"
interarrival = 1.0

[[factory.product]]
name = "widget"
route = ["mill"]

[[factory.station]]
name = "mill"
machines = 1
process = { dist = "exponential", mean = 0.8 }

[[variant]]
name = "slow"
set = { "factory.station.mill.process.mean" = 0.9 }

[sweep]
"factory.station.mill.machines" = [1, 2]
factory.station.mill.buffer = [5, 10]
"#;

#[test]
fn the_sweep_example_parses() {
    let file = try_parse(SWEEP_EXAMPLE).unwrap();
    assert_eq!(file.variants.len(), 1 + 2 * 4);
    assert_eq!(file.baseline.experiment.baseline, "machines=2 buffer=5");
    assert_eq!(file.variants[8].name, "slow machines=2 buffer=10");
}

fn mutate(base: &str, edits: &[(usize, usize, usize)]) -> String {
    let mut text: Vec<char> = base.chars().collect();
    for &(pos, del, piece) in edits {
        let pos = pos % (text.len() + 1);
        let del = del.min(text.len() - pos);
        text.splice(pos..pos + del, PIECES[piece % PIECES.len()].chars());
    }
    text.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        let _ = try_parse(&text);
    }

    #[test]
    fn mutated_scenarios_never_panic(edits in proptest::collection::vec((0usize..2000, 0usize..6, 0usize..64), 1..6)) {
        let _ = try_parse(&mutate(EXAMPLE, &edits));
    }

    #[test]
    fn mutated_sweeps_never_panic(edits in proptest::collection::vec((0usize..2000, 0usize..6, 0usize..64), 1..6)) {
        let _ = try_parse(&mutate(SWEEP_EXAMPLE, &edits));
    }

    #[test]
    fn random_overrides_never_panic(path in "[a-z.\"\\[\\]]{0,30}", value in "\\PC{0,20}") {
        if let Ok(o) = Override::parse(&format!("{path}={value}")) {
            let _ = parse(Path::new("s.toml"), EXAMPLE, &[o]);
        }
    }
}

#[test]
fn overrides_of_every_existing_path_never_panic() {
    let paths = [
        "scenario",
        "scenario.name",
        "factory",
        "factory.station",
        "factory.station.mill",
        "factory.station.mill.process",
        "factory.product.widget.route",
        "factory.product.widget.route.mill",
        "variant",
        "experiment",
        "experiment.target",
        "experiment.baseline",
        "sweep",
        "sweep.\"factory.station.mill.machines\"",
    ];
    let values = [
        "1",
        "\"x\"",
        "[]",
        "[1, 2]",
        "{}",
        "{ name = \"mill\" }",
        "[{ name = \"mill\" }]",
        "{ metric = \"x\", half_width = 1 }",
    ];
    for path in paths {
        for value in values {
            let o = Override::parse(&format!("{path}={value}")).unwrap();
            let _ = parse(Path::new("s.toml"), EXAMPLE, &[o]);
        }
    }
}
