//! Command-line overrides (`--set PATH=VALUE`), on the baseline and every variant.

use std::path::Path;

use super::{BASE, EXAMPLE, assert_has, with_sets};
use crate::dist::Dist;
use crate::scenario::{ExperimentConfig, Override, parse};

#[test]
fn cli_overrides_apply_to_baseline_and_variants() {
    let file = with_sets(
        EXAMPLE,
        &["scenario.horizon=30000", "factory.station.lathe.machines=4", "experiment.seed=7"],
    )
    .unwrap();
    assert_eq!(file.baseline.horizon.as_f64(), 30000.0);
    assert_eq!(file.baseline.experiment.seed, 7);
    for v in &file.variants {
        let f = crate::domains::factory::config_of(&v.scenario);
        assert_eq!(f.stations[1].machines, 4, "{}", v.name);
        assert_eq!(v.scenario.experiment.seed, 7);
    }
    // The variant's own `set` wins over `--set`.
    assert_eq!(file.variants[0].scenario.horizon.as_f64(), 10000.0);
}

#[test]
fn cli_override_creates_a_missing_optional_table() {
    let file = with_sets(BASE, &["experiment.replications=3"]).unwrap();
    assert_eq!(
        file.baseline.experiment,
        ExperimentConfig { replications: 3, seed: 1, baseline: "baseline".into(), target: None }
    );
}

#[test]
fn cli_override_with_a_distribution() {
    let file =
        with_sets(BASE, &["factory.station.mill.process={ dist = \"uniform\", min = 1, max = 2 }"]).unwrap();
    let f = crate::domains::factory::config_of(&file.baseline);
    assert_eq!(f.stations[0].process, Some(Dist::Uniform { min: 1.0, max: 2.0 }));
}

#[test]
fn cli_override_bad_path_names_the_override() {
    let e = with_sets(BASE, &["factory.station.lathe.machines=2"]).unwrap_err();
    assert_eq!((e.line, e.column, e.key.as_str()), (0, 0, "factory.station.lathe.machines"));
    assert_eq!(
        e.to_string(),
        "s.toml: factory.station.lathe.machines: `factory.station` has no element named `lathe` (known: `mill`) \
         (from `--set factory.station.lathe.machines=2`)"
    );
}

#[test]
fn cli_override_bad_value_names_the_override() {
    let e = with_sets(BASE, &["factory.station.mill.machines=0"]).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (0, "factory.station[mill].machines"));
    assert_has(&e, &["`machines` must be from 1", "--set factory.station.mill.machines=0"]);
    let e =
        with_sets(BASE, &["factory.station.mill.process={ dist = \"exponential\", mena = 1 }"]).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (0, "factory.station[mill].process.mena"));
    assert_eq!(e.suggestion.as_deref(), Some("mean"));
    let e = with_sets(BASE, &["scenario.horizon=soon"]).unwrap_err();
    assert_eq!(
        e.message,
        "expected a number, found the string \"soon\" (from `--set scenario.horizon=\"soon\"`)"
    );
}

#[test]
fn cli_overrides_built_in_code() {
    // The CLI builds overrides for flags like `--replications` directly.
    let o = Override { path: "experiment.replications".into(), value: toml::Value::Integer(0), flag: None };
    let e = parse(Path::new("s.toml"), BASE, &[o]).unwrap_err();
    assert_eq!(e.key, "experiment.replications");
    assert_has(&e, &["must be from 1"]);
}
