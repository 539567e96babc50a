//! The scenario loader on factory scenarios: one test per error kind, happy paths, variants,
//! sweeps and overrides, and a fuzz-style check that no input panics.

#![allow(clippy::result_large_err, reason = "ScenarioError is a fixed public type; errors are cold")]

use std::path::Path;

use crate::dist::Dist;
use crate::domains::factory::config::{ProductConfig, RouteStep, SourceConfig};
use crate::scenario::*;
use crate::time::{SimTime, TimeUnit};

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

// ---------------------------------------------------------------------------------------------
// Happy paths.

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

#[test]
fn parses_the_example() {
    let file = try_parse(EXAMPLE).unwrap();
    let s = &file.baseline;
    assert_eq!(s.name, "mm1");
    assert_eq!(s.description.as_deref(), Some("two stations"));
    assert_eq!(s.time_unit, TimeUnit::Minute);
    assert_eq!(s.horizon.as_f64(), 200_000.0, "integers are accepted for times");
    assert_eq!(s.warmup.as_f64(), 5000.0);
    assert_eq!(
        s.experiment,
        ExperimentConfig { replications: 8, seed: 1, baseline: "baseline".into(), target: None }
    );
    let f = crate::domains::factory::config_of(s);
    assert_eq!(
        f.sources,
        [SourceConfig {
            name: "orders".into(),
            product: 0,
            interarrival: Dist::Exponential { mean: 1.25 },
            due: None,
            weight: 1.0
        }]
    );
    let sigma2 = (1.0f64 + 0.25).ln();
    let lognormal = Dist::LogNormal { mu: 2.0f64.ln() - sigma2 / 2.0, sigma: sigma2.sqrt() };
    let stations: Vec<_> =
        f.stations.iter().map(|s| (s.name.as_str(), s.machines, s.buffer, &s.process)).collect();
    assert_eq!(
        stations,
        [
            ("mill", 1, Some(10), &Some(Dist::Exponential { mean: 1.0 })),
            ("lathe", 2, None, &Some(lognormal.clone())),
        ]
    );
    for s in &f.stations {
        assert_eq!((s.dispatch.plugin.as_str(), s.dispatch.params.as_str()), ("fifo", "{}"), "the default");
    }
    assert_eq!(s.collect.iter().map(|c| c.plugin.as_str()).collect::<Vec<_>>(), ["kpi"]);
    assert_eq!(
        f.products,
        [
            ProductConfig {
                name: "widget".into(),
                route: vec![
                    RouteStep { station: 0, process: Dist::Exponential { mean: 0.5 } },
                    RouteStep { station: 1, process: Dist::Constant { value: 2.5 } },
                    RouteStep { station: 0, process: Dist::Exponential { mean: 0.5 } },
                ],
                known_times: false,
                destination: None,
            },
            ProductConfig {
                name: "gadget".into(),
                route: vec![RouteStep { station: 1, process: lognormal }],
                known_times: false,
                destination: None,
            },
        ]
    );
    assert_eq!(file.text, EXAMPLE);
    assert_eq!(file.path, Path::new("s.toml"));
}

#[test]
fn defaults_apply() {
    let file = try_parse(&BASE.replace("warmup = 10.0\n", "")).unwrap();
    assert_eq!(file.baseline.warmup, SimTime::ZERO);
    assert_eq!(
        file.baseline.experiment,
        ExperimentConfig { replications: 10, seed: 1, baseline: "baseline".into(), target: None }
    );
    assert!(file.variants.is_empty());
}

#[test]
fn station_process_is_optional_when_every_product_overrides_it() {
    let text = with_line(20, "").replace(r#"route = ["mill"]"#, "route = [\"mill\"]\nprocess = { mill = 3 }");
    let file = try_parse(&text).unwrap();
    let f = crate::domains::factory::config_of(&file.baseline);
    assert_eq!(f.stations[0].process, None);
    assert_eq!(f.products[0].route[0].process, Dist::Constant { value: 3.0 });
}

#[test]
fn resolved_scenario_serializes() {
    let file = try_parse(EXAMPLE).unwrap();
    let json = serde_json::to_value(&file.baseline).unwrap();
    assert_eq!(json["domains"][0]["domain"], "factory");
    assert_eq!(json["time_unit"], "minute");
    assert_eq!(json["domains"][0]["stations"][1]["process"]["dist"], "lognormal");
    assert_eq!(
        json["domains"][0]["sources"][0]["interarrival"],
        serde_json::json!({ "dist": "exponential", "mean": 1.25 })
    );
    assert!(serde_json::to_string(&file.variants).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Variants.

#[test]
fn variants_override_elements_by_name_and_create_keys() {
    let file = try_parse(EXAMPLE).unwrap();
    let [two, buffer] = file.variants.as_slice() else { panic!("two variants") };
    assert_eq!(two.name, "two-mills");
    assert_eq!(two.description.as_deref(), Some("buy a mill"));
    assert_eq!(
        two.set,
        [
            ("factory.station.mill.machines".to_owned(), "2".to_owned()),
            ("scenario.horizon".to_owned(), "10000.0".to_owned())
        ]
    );
    let f = crate::domains::factory::config_of(&two.scenario);
    assert_eq!((f.stations[0].machines, f.stations[1].machines), (2, 2));
    assert_eq!(two.scenario.horizon.as_f64(), 10000.0);
    // Everything else is the baseline's.
    let base = crate::domains::factory::config_of(&file.baseline);
    assert_eq!(f.products, base.products);

    let f = crate::domains::factory::config_of(&buffer.scenario);
    assert_eq!(f.stations[1].buffer, Some(5), "a missing final key is created");
    assert_eq!(buffer.scenario.horizon, file.baseline.horizon);
}

#[test]
fn variant_can_replace_a_distribution_or_one_of_its_parameters() {
    let text = format!(
        "{BASE}\n[[variant]]\nname = \"a\"\nset = {{ \"factory.station.mill.process\" = {{ dist = \"constant\", value = 2 }} }}\n\
         [[variant]]\nname = \"b\"\nset = {{ \"factory.station.mill.process.mean\" = 0.5 }}\n"
    );
    let file = try_parse(&text).unwrap();
    let steps: Vec<&Dist> = file
        .variants
        .iter()
        .map(|v| {
            let f = crate::domains::factory::config_of(&v.scenario);
            &f.products[0].route[0].process
        })
        .collect();
    assert_eq!(steps, [&Dist::Constant { value: 2.0 }, &Dist::Exponential { mean: 0.5 }]);
}

#[test]
fn variant_set_accepts_unquoted_dotted_keys() {
    let text = format!("{BASE}\n[[variant]]\nname = \"v\"\nset = {{ factory.station.mill.machines = 3 }}\n");
    let file = try_parse(&text).unwrap();
    let f = crate::domains::factory::config_of(&file.variants[0].scenario);
    assert_eq!(f.stations[0].machines, 3);
    assert_eq!(file.variants[0].set, [("factory.station.mill.machines".to_owned(), "3".to_owned())]);
}

#[test]
fn variant_path_to_missing_station() {
    let text = format!(
        "{BASE}\n[[variant]]\nname = \"drill-more\"\nset = {{ \"factory.station.drill.machines\" = 2 }}\n"
    );
    let e = check(&text, 24, 26, "factory.station.drill.machines");
    assert_eq!(e.variant.as_deref(), Some("drill-more"));
    assert_eq!(e.message, "`factory.station` has no element named `drill` (known: `mill`)");
    assert_has(&e, &["drill-more", "factory.station.drill.machines", "mill"]);
    // A near miss gets a suggestion.
    let e = err(&text.replace("drill", "mil"));
    assert_eq!(e.suggestion.as_deref(), Some("mill"));
}

#[test]
fn variant_value_of_wrong_type_points_at_the_set_entry() {
    let text = format!(
        "{BASE}\n[[variant]]\nname = \"typo\"\nset = {{ \"factory.station.mill.machines\" = \"three\" }}\n"
    );
    let e = check(&text, 24, 43, "factory.station[mill].machines");
    assert_eq!(e.variant.as_deref(), Some("typo"));
    assert_eq!(e.message, "expected an integer from 0 to 4294967295, found the string \"three\"");
    assert_has(&e, &["typo", "machines", "s.toml:24:43"]);
}

#[test]
fn variant_invalid_value_is_validated_like_the_baseline() {
    let text = format!(
        "{BASE}\n[[variant]]\nname = \"v\"\nset = {{ \"factory.station.mill.process.mean\" = -2 }}\n"
    );
    let e = check(&text, 24, 47, "factory.station[mill].process.mean");
    assert_eq!(e.message, "`mean` must be > 0, found -2");
    assert_eq!(e.variant.as_deref(), Some("v"));
    // An error caused elsewhere by the variant still names it.
    let text = format!("{BASE}\n[[variant]]\nname = \"short\"\nset = {{ \"scenario.horizon\" = 5 }}\n");
    let e = check(&text, 6, 10, "scenario.warmup");
    assert_eq!(e.variant.as_deref(), Some("short"));
    assert_has(&e, &["(in variant `short`)"]);
}

#[test]
fn variant_misspelt_key_in_path() {
    let text =
        format!("{BASE}\n[[variant]]\nname = \"v\"\nset = {{ \"factory.station.mill.machnes\" = 2 }}\n");
    // Each key of a quoted path is located: the error points at `machnes` inside the string.
    let e = check(&text, 24, 31, "factory.station[mill].machnes");
    assert_eq!(e.suggestion.as_deref(), Some("machines"));
    assert_eq!(e.variant.as_deref(), Some("v"));
    let text =
        format!("{BASE}\n[[variant]]\nname = \"v\"\nset = {{ \"factroy.station.mill.machines\" = 2 }}\n");
    let e = check(&text, 24, 10, "factroy");
    assert_eq!(e.suggestion.as_deref(), Some("factory"));
}

#[test]
fn variant_path_through_a_value() {
    let text = format!("{BASE}\n[[variant]]\nname = \"v\"\nset = {{ \"scenario.horizon.x\" = 2 }}\n");
    let e = check(&text, 24, 27, "scenario.horizon.x");
    assert_eq!(e.message, "`scenario.horizon` is a float, not a table, so it has no key `x`");
}

#[test]
fn variant_unknown_key() {
    let text = format!("{BASE}\n[[variant]]\nname = \"v\"\ndescripton = \"x\"\n");
    let e = check(&text, 24, 1, "variant[v].descripton");
    assert_eq!(e.suggestion.as_deref(), Some("description"));
}

#[test]
fn variant_missing_name() {
    let text = format!("{BASE}\n[[variant]]\nset = {{ \"scenario.horizon\" = 5 }}\n");
    check(&text, 22, 1, "variant[0].name");
}

#[test]
fn duplicate_variant_name() {
    let text = format!("{BASE}\n[[variant]]\nname = \"v\"\n[[variant]]\nname = \"v\"\n");
    let e = check(&text, 25, 8, "variant[v].name");
    assert_eq!(e.message, "duplicate variant name `v` (first defined at line 23)");
}

#[test]
fn variant_named_baseline() {
    let text = format!("{BASE}\n[[variant]]\nname = \"Baseline\"\n");
    let e = check(&text, 23, 8, "variant[Baseline].name");
    assert_has(&e, &["reserved"]);
}

#[test]
fn variant_cannot_change_the_experiment() {
    let text = format!("{BASE}\n[[variant]]\nname = \"v\"\nset = {{ \"experiment.seed\" = 2 }}\n");
    let e = check(&text, 24, 9, "experiment.seed");
    assert_has(&e, &["cannot change `[experiment]`"]);
}

#[test]
fn variant_must_be_an_array_of_tables() {
    let text = format!("{BASE}\n[variant]\nname = \"v\"\n");
    let e = check(&text, 22, 1, "variant");
    assert_eq!(
        e.message,
        "expected an array, found a table (write `[[...]]` headers for an array of tables)"
    );
}

// ---------------------------------------------------------------------------------------------
// Sweeps.

/// `BASE` with a `[sweep]` table (at line 22, its entries from line 23) and `more` after it.
fn with_sweep(entries: &str, more: &str) -> String {
    format!("{BASE}\n[sweep]\n{entries}{more}")
}

fn names(file: &ScenarioFile) -> Vec<&str> {
    file.variants.iter().map(|v| v.name.as_str()).collect()
}

fn mill(v: &Variant) -> (u32, Option<u32>) {
    let f = crate::domains::factory::config_of(&v.scenario);
    (f.stations[0].machines, f.stations[0].buffer)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[test]
fn sweep_generates_the_grid_in_order() {
    let text = with_sweep(
        "\"factory.station.mill.machines\" = [1, 2, 3]\n\"factory.station.mill.buffer\" = [5, 10]\n",
        "",
    );
    let file = try_parse(&text).unwrap();
    assert_eq!(file.sweep, ["factory.station.mill.machines", "factory.station.mill.buffer"]);
    assert_eq!(
        names(&file),
        [
            "machines=1 buffer=5",
            "machines=1 buffer=10",
            "machines=2 buffer=5",
            "machines=2 buffer=10",
            "machines=3 buffer=5",
            "machines=3 buffer=10",
        ]
    );
    let values: Vec<_> = file.variants.iter().map(mill).collect();
    assert_eq!(
        values,
        [(1, Some(5)), (1, Some(10)), (2, Some(5)), (2, Some(10)), (3, Some(5)), (3, Some(10))]
    );
    let v = &file.variants[5];
    let expected = pairs(&[("factory.station.mill.machines", "3"), ("factory.station.mill.buffer", "10")]);
    assert_eq!((&v.sweep, &v.set, &v.description), (&expected, &expected, &None));
    // The baseline itself is not swept.
    let f = crate::domains::factory::config_of(&file.baseline);
    assert_eq!((f.stations[0].machines, f.stations[0].buffer), (1, None));
    // Without `[sweep]`: nothing swept.
    let file = try_parse(EXAMPLE).unwrap();
    assert!(file.sweep.is_empty());
    assert!(file.variants.iter().all(|v| v.sweep.is_empty()));
}

#[test]
fn sweep_crosses_the_baseline_and_each_variant() {
    let variants = "\n[[variant]]\nname = \"fast\"\ndescription = \"quick\"\n\
                    set = { \"factory.station.mill.process.mean\" = 0.5 }\n\
                    [[variant]]\nname = \"long\"\nset = { \"scenario.horizon\" = 1000 }\n";
    let text = with_sweep("factory.station.mill.machines = [2, 3]\n", variants);
    let file = try_parse(&text).unwrap();
    assert_eq!(
        names(&file),
        [
            "fast",
            "long",
            "machines=2",
            "machines=3",
            "fast machines=2",
            "fast machines=3",
            "long machines=2",
            "long machines=3"
        ]
    );
    let fast3 = &file.variants[5];
    assert_eq!(mill(fast3), (3, None));
    let f = crate::domains::factory::config_of(&fast3.scenario);
    assert_eq!(f.stations[0].process, Some(Dist::Exponential { mean: 0.5 }), "the variant's own change");
    assert_eq!(fast3.description, None);
    assert_eq!(
        fast3.set,
        pairs(&[("factory.station.mill.process.mean", "0.5"), ("factory.station.mill.machines", "3")])
    );
    assert_eq!(fast3.sweep, pairs(&[("factory.station.mill.machines", "3")]));
    assert_eq!(file.variants[7].scenario.horizon.as_f64(), 1000.0);
    // The explicit variants themselves are unswept.
    assert_eq!(mill(&file.variants[0]), (1, None));
    assert!(file.variants[0].sweep.is_empty());
    assert_eq!(file.variants[0].description.as_deref(), Some("quick"));
}

#[test]
fn sweep_labels_are_the_shortest_unique_suffixes() {
    let text = format!(
        "{BASE}\n[[factory.station]]\nname = \"lathe\"\nmachines = 1\nprocess = 1.0\n\n[sweep]\n\
         \"factory.station.mill.machines\" = [1]\n\"factory.station.lathe.machines\" = [2]\n\
         \"factory.station.mill.buffer\" = [3]\n\"scenario.description\" = [\"a b\"]\n\
         \"factory.station.mill.process\" = [{{ dist = \"constant\", value = 2 }}]\n"
    );
    let file = try_parse(&text).unwrap();
    assert_eq!(
        names(&file),
        [
            "mill.machines=1 lathe.machines=2 buffer=3 description=\"a b\" process={ dist = \"constant\", value = 2 }"
        ]
    );
    let v = &file.variants[0];
    assert_eq!(v.scenario.description.as_deref(), Some("a b"));
    let f = crate::domains::factory::config_of(&v.scenario);
    assert_eq!(f.stations[1].machines, 2);
    assert_eq!(f.stations[0].process, Some(Dist::Constant { value: 2.0 }));
}

#[test]
fn sweep_value_error_points_at_the_value() {
    let text = with_sweep("\"factory.station.mill.machines\" = [1, 0]\n", "");
    let e = check(&text, 23, 39, "factory.station.mill.machines");
    assert_eq!(e.message, "`machines` must be from 1 to 1000000, found 0");
    assert_eq!(e.variant.as_deref(), Some("machines=0"));
    assert_has(&e, &["s.toml:23:39", "(in variant `machines=0`)"]);
    // Inside a swept table, the key goes on from the swept path.
    let text = with_sweep("\"factory.station.mill.process\" = [{ dist = \"exponential\", mean = -1 }]\n", "");
    let e = check(&text, 23, 66, "factory.station.mill.process.mean");
    assert_eq!(e.message, "`mean` must be > 0, found -1");
    let text = with_sweep("\"factory.station.mill.process\" = [{ dist = \"exponential\", mena = 1 }]\n", "");
    let e = check(&text, 23, 59, "factory.station.mill.process.mena");
    assert_eq!(e.suggestion.as_deref(), Some("mean"));
    // Generated from a variant: that variant's generated name.
    let text = with_sweep(
        "\"factory.station.mill.machines\" = [\"two\"]\n",
        "\n[[variant]]\nname = \"v\"\nset = { \"scenario.horizon\" = 50 }\n",
    );
    let e = check(&text, 23, 36, "factory.station.mill.machines");
    assert_eq!(e.variant.as_deref(), Some("machines=\"two\""), "the baseline's grid comes first");
    // An error elsewhere caused by a swept value names the generated variant.
    let e = check(&with_sweep("\"scenario.horizon\" = [1000, 5]\n", ""), 6, 10, "scenario.warmup");
    assert_eq!(e.variant.as_deref(), Some("horizon=5"));
}

#[test]
fn sweep_path_errors() {
    let e = check(
        &with_sweep("\"factory.station.drill.machines\" = [1]\n", ""),
        23,
        18,
        "factory.station.drill.machines",
    );
    assert_eq!(e.message, "`factory.station` has no element named `drill` (known: `mill`)");
    assert_eq!(e.variant.as_deref(), Some("machines=1"));
    let e = check(
        &with_sweep("\"factory.station.mill.machnes\" = [1]\n", ""),
        23,
        23,
        "factory.station.mill.machnes",
    );
    assert_eq!(e.suggestion.as_deref(), Some("machines"));
    let e = check(&with_sweep("\"experiment.seed\" = [1, 2]\n", ""), 23, 1, "experiment.seed");
    assert_has(&e, &["`[sweep]` cannot change `[experiment]`"]);
    let e = check(&with_sweep("experiment.replications = [1, 2]\n", ""), 23, 1, "experiment.replications");
    assert_has(&e, &["cannot change `[experiment]`"]);
    let e = check(&with_sweep("\"variant.x\" = [1]\n", ""), 23, 1, "variant.x");
    assert_eq!(e.message, "`[sweep]` cannot change `variant`");
}

#[test]
fn sweep_values_must_be_a_non_empty_array() {
    let e = check(
        &with_sweep("\"factory.station.mill.machines\" = []\n", ""),
        23,
        35,
        "factory.station.mill.machines",
    );
    assert_eq!(e.message, "expected at least one value to sweep, found an empty array");
    let e = check(
        &with_sweep("\"factory.station.mill.machines\" = 2\n", ""),
        23,
        35,
        "factory.station.mill.machines",
    );
    assert_eq!(e.message, "expected an array of the values to sweep, e.g. `[1, 2, 3]`, found 2");
    let e = check(
        &with_sweep("factory.station.mill.process = { mean = 2 }\n", ""),
        23,
        32,
        "factory.station.mill.process",
    );
    assert_has(&e, &["found a table (each path is one key of `[sweep]`"]);
    let e = check(&with_sweep("\"scenario.name\" = \"x\"\n", ""), 23, 19, "scenario.name");
    assert_has(&e, &["found the string \"x\""]);
    let e = check(&format!("sweep = 3\n{BASE}"), 1, 9, "sweep");
    assert_eq!(e.message, "expected a table, found 3");
    // An empty `[sweep]` generates nothing.
    let file = try_parse(&with_sweep("", "")).unwrap();
    assert!(file.variants.is_empty() && file.sweep.is_empty());
}

#[test]
fn sweep_duplicated_or_nested_paths() {
    let text =
        with_sweep("\"factory.station.mill.machines\" = [1]\nfactory.station.mill.machines = [2]\n", "");
    let e = check(&text, 24, 1, "factory.station.mill.machines");
    assert_eq!(e.message, "`factory.station.mill.machines` is swept twice (first at line 23)");
    let text = with_sweep(
        "\"factory.station.mill.process\" = [1]\n\"factory.station.mill.process.mean\" = [2]\n",
        "",
    );
    let e = check(&text, 24, 1, "factory.station.mill.process.mean");
    assert_eq!(
        e.message,
        "`factory.station.mill.process.mean` lies inside `factory.station.mill.process`, also swept (at line 23): \
         sweep one or the other"
    );
}

#[test]
fn sweep_size_is_limited() {
    let values = |n: usize| (1..=n).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let text = with_sweep(
        &format!(
            "\"factory.station.mill.machines\" = [{}]\n\"factory.station.mill.buffer\" = [{}]\n",
            values(101),
            values(100)
        ),
        "",
    );
    let e = check(&text, 24, 1, "factory.station.mill.buffer");
    assert_eq!(
        e.message,
        "`[sweep]` would generate 10100 variants (1 swept scenario(s) × 101 × 100 values), more than 10000"
    );
    // Each explicit variant is swept too.
    let text = with_sweep(
        &format!("\"factory.station.mill.machines\" = [{}]\n", values(5001)),
        "\n[[variant]]\nname = \"v\"\n",
    );
    let e = check(&text, 23, 1, "factory.station.mill.machines");
    assert_has(&e, &["would generate 10002 variants (2 swept scenario(s) × 5001 values)"]);
}

#[test]
fn variant_cannot_set_a_swept_path() {
    let text = with_sweep(
        "\"factory.station.mill.machines\" = [1, 2]\n",
        "\n[[variant]]\nname = \"v\"\nset = { factory.station.mill.machines = 3 }\n",
    );
    let e = check(&text, 27, 9, "factory.station.mill.machines");
    assert_eq!(e.variant.as_deref(), Some("v"));
    assert_has(&e, &["`factory.station.mill.machines` is also swept in [sweep]; "]);
    let text = with_sweep(
        "\"factory.station.mill.process\" = [1, 2]\n",
        "\n[[variant]]\nname = \"v\"\nset = { \"factory.station.mill.process.mean\" = 3 }\n",
    );
    let e = check(&text, 27, 9, "factory.station.mill.process.mean");
    assert_has(&e, &["lies inside `factory.station.mill.process`, which is swept in [sweep]"]);
    // A variant may refine inside a swept path's parent, and a sweep inside a variant's change.
    let text = with_sweep(
        "\"factory.station.mill.process.mean\" = [1, 2]\n",
        "\n[[variant]]\nname = \"v\"\nset = { \"factory.station.mill.process\" = { dist = \"erlang\", k = 2, mean = 9 } }\n",
    );
    let file = try_parse(&text).unwrap();
    let f = crate::domains::factory::config_of(&file.variants[4].scenario);
    assert_eq!(f.stations[0].process, Some(Dist::Erlang { k: 2, mean: 2.0 }));
}

#[test]
fn generated_names_must_not_collide() {
    let text =
        with_sweep("\"factory.station.mill.machines\" = [1, 2]\n", "\n[[variant]]\nname = \"machines=2\"\n");
    let e = check(&text, 26, 8, "variant[machines=2].name");
    assert_eq!(
        e.message,
        "`machines=2` is also the name of a variant generated by `[sweep]`: rename this variant"
    );
    let text = with_sweep("\"factory.station.mill.machines\" = [1, 1]\n", "");
    let e = check(&text, 23, 1, "sweep");
    assert_has(&e, &["would both be named `machines=1`"]);
}

#[test]
fn variant_cannot_change_the_sweep() {
    let text = with_sweep(
        "\"factory.station.mill.machines\" = [1]\n",
        "\n[[variant]]\nname = \"v\"\nset = { \"sweep.x\" = [1] }\n",
    );
    let e = check(&text, 27, 10, "sweep");
    assert_eq!(e.message, "a variant cannot change `[sweep]`");
}

#[test]
fn cli_override_can_add_a_sweep() {
    let file = with_sets(BASE, &["sweep.\"factory.station.mill.machines\"=[2, 4]"]).unwrap();
    assert_eq!(names(&file), ["machines=2", "machines=4"]);
    assert_eq!(mill(&file.variants[1]), (4, None));
}

// ---------------------------------------------------------------------------------------------
// `[experiment]`: baseline and precision target.

#[test]
fn baseline_names_a_variant() {
    let file = try_parse(&format!("{BASE}[experiment]\nbaseline = \"baseline\"\n")).unwrap();
    assert_eq!(file.baseline.experiment.baseline, "baseline");
    let text = format!("{EXAMPLE}\n[experiment]\nbaseline = \"two-mills\"\n")
        .replace("[experiment]\nreplications = 8\nseed = 1\n", "");
    let file = try_parse(&text).unwrap();
    assert_eq!(file.baseline.experiment.baseline, "two-mills");
    assert!(file.variants.iter().all(|v| v.scenario.experiment.baseline == "two-mills"));
    // A generated variant.
    let text = with_sweep(
        "\"factory.station.mill.machines\" = [1, 2]\n",
        "[experiment]\nbaseline = \"machines=2\"\n",
    );
    assert_eq!(try_parse(&text).unwrap().baseline.experiment.baseline, "machines=2");
}

#[test]
fn baseline_unknown_suggests_the_nearest() {
    let text = with_sweep(
        "\"factory.station.mill.machines\" = [1, 2]\n",
        "[experiment]\nbaseline = \"machine=2\"\n",
    );
    let e = check(&text, 25, 12, "experiment.baseline");
    assert_eq!(
        e.message,
        "unknown variant `machine=2` (known variants: `baseline`, `machines=1`, `machines=2`)"
    );
    assert_eq!(e.suggestion.as_deref(), Some("machines=2"));
    let e = check(&format!("{BASE}[experiment]\nbaseline = \"baseln\"\n"), 22, 12, "experiment.baseline");
    assert_eq!(e.suggestion.as_deref(), Some("baseline"));
    // Many names: the first few are listed.
    let values = (1..=20).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let text = with_sweep(
        &format!("\"factory.station.mill.machines\" = [{values}]\n"),
        "[experiment]\nbaseline = \"x\"\n",
    );
    assert_has(&err(&text), &["`machines=11`, … (21 in all)"]);
    // From the command line.
    let e = with_sets(BASE, &["experiment.baseline=other"]).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (0, "experiment.baseline"));
    assert_has(&e, &["unknown variant `other`", "--set experiment.baseline"]);
}

fn target(text: &str) -> Result<ScenarioFile, ScenarioError> {
    try_parse(&format!("{BASE}[experiment]\n{text}"))
}

#[test]
fn precision_target_parses() {
    let file =
        target("target = { metric = \"throughput\", relative_half_width = 0.01 }\nmax_replications = 200\n")
            .unwrap();
    assert_eq!(
        file.baseline.experiment,
        ExperimentConfig {
            replications: 10,
            seed: 1,
            baseline: "baseline".into(),
            target: Some(PrecisionTarget {
                metric: "throughput".into(),
                half_width: HalfWidth::Relative(0.01),
                max_replications: 200,
                batch: 10,
                metric_written: None
            })
        }
    );
    let file = target("replications = 4\nmax_replications = 40\nbatch = 2\n\n[experiment.target]\nmetric = \"wip\"\nhalf_width = 3\n").unwrap();
    let t = file.baseline.experiment.target.unwrap();
    assert_eq!((t.half_width, t.max_replications, t.batch), (HalfWidth::Absolute(3.0), 40, 2));
    let json = serde_json::to_value(HalfWidth::Relative(0.5)).unwrap();
    assert_eq!(json, serde_json::json!({ "relative": 0.5 }));
}

#[test]
fn precision_target_errors() {
    let t = "target = { metric = \"throughput\", relative_half_width = 0.01 }\n";
    // The target (its table starts in column 10) is on line 22.
    let e = check(&format!("{BASE}[experiment]\n{t}"), 22, 10, "experiment.target");
    assert_eq!(
        e.message,
        "`target` needs `max_replications` (the most replications per variant, should the target not be met)"
    );
    let e = check(
        &format!("{BASE}[experiment]\nreplications = 20\n{t}max_replications = 10\n"),
        24,
        20,
        "experiment.max_replications",
    );
    assert_eq!(e.message, "`max_replications` must be from `replications` (20) to 1000000, found 10");
    let e = check(
        &format!("{BASE}[experiment]\n{t}max_replications = 2000000\n"),
        23,
        20,
        "experiment.max_replications",
    );
    assert_has(&e, &["found 2000000"]);
    let e = check(&format!("{BASE}[experiment]\nbatch = 5\n"), 22, 9, "experiment.batch");
    assert_eq!(e.message, "`batch` is only used with a precision `target`, and there is none");
    let e =
        check(&format!("{BASE}[experiment]\nmax_replications = 5\n"), 22, 20, "experiment.max_replications");
    assert_has(&e, &["only used with a precision `target`"]);
    let e = check(
        &format!("{BASE}[experiment]\nreplications = 1\n{t}max_replications = 10\n"),
        22,
        16,
        "experiment.replications",
    );
    assert_eq!(
        e.message,
        "with a `target`, `replications` is the first batch and must be >= 2 (a confidence interval needs two \
         replications), found 1"
    );
    let e = check(
        &format!("{BASE}[experiment]\n{t}max_replications = 10\nbatch = 0\n"),
        24,
        9,
        "experiment.batch",
    );
    assert_eq!(e.message, "`batch` must be >= 1, found 0");
    let with = |target: &str| format!("{BASE}[experiment]\nmax_replications = 10\ntarget = {target}\n");
    let e = check(
        &with("{ metric = \"x\", relative_half_width = 0.1, half_width = 2 }"),
        23,
        66,
        "experiment.target.half_width",
    );
    assert_eq!(e.message, "give either `relative_half_width` or `half_width`, not both");
    let e = check(&with("{ metric = \"x\" }"), 23, 10, "experiment.target");
    assert_has(&e, &["`target` needs `relative_half_width`"]);
    let e = check(&with("{ metric = \"x\", half_width = -1 }"), 23, 39, "experiment.target.half_width");
    assert_eq!(e.message, "`half_width` must be a finite number > 0, found -1");
    let e = check(
        &with("{ metric = \"x\", relative_half_width = nan }"),
        23,
        48,
        "experiment.target.relative_half_width",
    );
    assert_eq!(e.message, "`relative_half_width` must be a finite number > 0, found NaN");
    let e = check(&with("{ metric = \" \", half_width = 1 }"), 23, 21, "experiment.target.metric");
    assert_eq!(e.message, "`metric` must not be empty");
    let e = check(&with("{ half_width = 1 }"), 23, 10, "experiment.target.metric");
    assert_eq!(e.message, "missing required key `metric`");
    let e = check(&with("{ metric = \"x\", half_widht = 1 }"), 23, 26, "experiment.target.half_widht");
    assert_eq!(e.suggestion.as_deref(), Some("half_width"));
}

// ---------------------------------------------------------------------------------------------
// Command-line overrides.

fn with_sets(text: &str, sets: &[&str]) -> Result<ScenarioFile, ScenarioError> {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    parse(Path::new("s.toml"), text, &overrides)
}

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

// ---------------------------------------------------------------------------------------------
// One test per error kind.

#[test]
fn toml_syntax_error() {
    let e = check(&with_line(5, "horizon = 100.0 +"), 5, 11, "scenario.horizon");
    assert!(e.message.starts_with("invalid TOML"), "{e}");
    let e = check(&with_line(19, "machines = "), 19, 12, "factory.station[mill].machines");
    assert!(e.message.starts_with("invalid TOML"), "{e}");
}

#[test]
fn duplicate_table_is_a_syntax_error() {
    let e = err(&format!("{BASE}\n[scenario]\n"));
    assert_eq!(e.line, 22);
}

#[test]
fn unknown_key_in_scenario() {
    let e = check(&with_line(5, "horizn = 100.0"), 5, 1, "scenario.horizn");
    assert_eq!(e.suggestion.as_deref(), Some("horizon"));
    assert_eq!(
        e.to_string(),
        "s.toml:5:1: scenario.horizn: unknown key `horizn` (expected one of `name`, `description`, `domain`, \
         `domains`, `time_unit`, `horizon`, `warmup`) (did you mean `horizon`?)"
    );
}

#[test]
fn unknown_key_in_station() {
    let e = check(&with_line(19, "machnes = 1"), 19, 1, "factory.station[mill].machnes");
    assert_eq!(e.suggestion.as_deref(), Some("machines"));
}

#[test]
fn unknown_key_in_source() {
    let e = check(&with_line(11, "interarival = 1.0"), 11, 1, "factory.source[orders].interarival");
    assert_eq!(e.suggestion.as_deref(), Some("interarrival"));
}

#[test]
fn unknown_key_in_product() {
    let e = check(&with_line(15, "rout = [\"mill\"]"), 15, 1, "factory.product[widget].rout");
    assert_eq!(e.suggestion.as_deref(), Some("route"));
}

#[test]
fn unknown_key_in_experiment() {
    let e = check(&format!("{BASE}[experiment]\nreplication = 3\n"), 22, 1, "experiment.replication");
    assert_eq!(e.suggestion.as_deref(), Some("replications"));
}

#[test]
fn unknown_key_in_factory() {
    let e = check(&format!("{BASE}[[factory.stations]]\nname = \"x\"\n"), 21, 11, "factory.stations");
    assert_eq!(e.suggestion.as_deref(), Some("station"));
}

#[test]
fn unknown_root_table() {
    let e = check(&format!("{BASE}[experimnt]\nseed = 2\n"), 21, 2, "experimnt");
    assert_eq!(e.suggestion.as_deref(), Some("experiment"));
}

#[test]
fn wrong_type() {
    let e = check(&with_line(19, r#"machines = "two""#), 19, 12, "factory.station[mill].machines");
    assert_eq!(e.message, "expected an integer from 0 to 4294967295, found the string \"two\"");
    let e = check(&with_line(5, "horizon = true"), 5, 11, "scenario.horizon");
    assert_eq!(e.message, "expected a number, found true");
    let e = check(&with_line(15, "route = \"mill\""), 15, 9, "factory.product[widget].route");
    assert_eq!(e.message, "expected an array, found the string \"mill\"");
}

#[test]
fn missing_scenario_name() {
    let e = check(&with_line(2, r#"description = "no name""#), 1, 1, "scenario.name");
    assert_eq!(e.message, "missing required key `name`");
}

#[test]
fn missing_horizon() {
    let e = check(&with_line(5, ""), 1, 1, "scenario.horizon");
    assert_eq!(e.message, "missing required key `horizon`");
}

#[test]
fn missing_station_name() {
    let e = check(&with_line(18, ""), 17, 1, "factory.station[0].name");
    assert_eq!(e.message, "missing required key `name`");
}

#[test]
fn missing_scenario_table() {
    let text = BASE.replacen("[scenario]", "[scenari]", 1);
    let e = check(&text, 1, 2, "scenari");
    assert_eq!(e.suggestion.as_deref(), Some("scenario"));
    let e = check("", 1, 1, "scenario");
    assert_eq!(e.message, "missing table `[scenario]`");
}

#[test]
fn missing_domain_table_and_empty_kinds() {
    let text = BASE.split("[[factory.source]]").next().unwrap();
    let e = check(text, 3, 10, "scenario.domain");
    assert_eq!(e.message, "domain `factory` needs a `[factory]` table");
    // Without sources, `factory` is the implicit table of the `[[factory.product]]` header.
    let text = BASE
        .replace("[[factory.source]]\nname = \"orders\"\nproduct = \"widget\"\n", "")
        .replace("interarrival = { dist = \"exponential\", mean = 1.25 }\n\n", "");
    let e = check(&text, 8, 3, "factory.source");
    assert_eq!(e.message, "at least one `[[factory.source]]` is required");
    let e = check(
        &text.replace("[[factory.product]]", "[factory]\nsource = []\n\n[[factory.product]]"),
        9,
        10,
        "factory.source",
    );
    assert_eq!(e.message, "at least one `[[factory.source]]` is required");
}

#[test]
fn unknown_time_unit() {
    let e = check(&with_line(4, r#"time_unit = "minutes""#), 4, 13, "scenario.time_unit");
    assert_eq!(e.suggestion.as_deref(), Some("minute"));
    assert_eq!(e.message, "unknown time unit `minutes` (expected one of `second`, `minute`, `hour`, `day`)");
}

#[test]
fn domain_not_available_or_unknown() {
    let e = check(&with_line(3, r#"domain = "city""#), 3, 10, "scenario.domain");
    // Test builds also register the `probe` domain.
    assert!(e.message.starts_with("domain `city` is not available yet (available: `factory`"), "{e}");
    let e = check(&with_line(3, r#"domain = "factroy""#), 3, 10, "scenario.domain");
    assert_eq!(e.suggestion.as_deref(), Some("factory"));
    let e = check(&format!("{BASE}[finance]\nx = 1\n"), 21, 2, "finance");
    assert_eq!(
        e.message,
        "table `finance` belongs to domain `finance`, but this scenario's domain is `factory`"
    );
}

#[test]
fn empty_name() {
    let e = check(&with_line(2, r#"name = """#), 2, 8, "scenario.name");
    assert_eq!(e.message, "`name` must not be empty");
    let e = check(&with_line(18, r#"name = " ""#), 18, 8, "factory.station[ ].name");
    assert_eq!(e.message, "a station name must not be empty");
}

#[test]
fn horizon_not_positive() {
    let e = check(&with_line(5, "horizon = -5.0"), 5, 11, "scenario.horizon");
    assert_eq!(e.message, "`horizon` must be a finite number > 0, found -5");
    let e = check(&with_line(5, "horizon = 0"), 5, 11, "scenario.horizon");
    assert_eq!(e.message, "`horizon` must be a finite number > 0, found 0");
    check(&with_line(5, "horizon = inf"), 5, 11, "scenario.horizon");
    check(&with_line(5, "horizon = nan"), 5, 11, "scenario.horizon");
}

#[test]
fn warmup_not_before_horizon() {
    let e = check(&with_line(6, "warmup = 100.0"), 6, 10, "scenario.warmup");
    assert_eq!(e.message, "`warmup` (100) must be less than `horizon` (100)");
    let e = check(&with_line(6, "warmup = -1"), 6, 10, "scenario.warmup");
    assert_eq!(e.message, "`warmup` must be a finite number >= 0, found -1");
}

#[test]
fn replications_zero_and_negative_seed() {
    let e = check(&format!("{BASE}[experiment]\nreplications = 0\n"), 22, 16, "experiment.replications");
    assert_eq!(e.message, "`replications` must be from 1 to 1000000, found 0");
    let e = check(&format!("{BASE}[experiment]\nseed = -1\n"), 22, 8, "experiment.seed");
    assert_eq!(e.message, "expected an integer >= 0, found -1");
}

#[test]
fn unknown_product_in_source() {
    let e = check(&with_line(10, r#"product = "widgt""#), 10, 11, "factory.source[orders].product");
    assert_eq!(e.message, "unknown product `widgt` (known products: `widget`)");
    assert_eq!(e.suggestion.as_deref(), Some("widget"));
}

#[test]
fn unknown_station_in_route() {
    let e = check(&with_line(15, r#"route = ["mil"]"#), 15, 10, "factory.product[widget].route[0]");
    assert_eq!(e.message, "unknown station `mil` (known stations: `mill`)");
    assert_eq!(e.suggestion.as_deref(), Some("mill"));
}

#[test]
fn empty_route() {
    let e = check(&with_line(15, "route = []"), 15, 9, "factory.product[widget].route");
    assert_eq!(e.message, "`route` must list at least one station");
}

#[test]
fn zero_machines() {
    let e = check(&with_line(19, "machines = 0"), 19, 12, "factory.station[mill].machines");
    assert_eq!(e.message, "`machines` must be from 1 to 1000000, found 0");
}

#[test]
fn negative_buffer() {
    let e = check(&format!("{BASE}buffer = -1\n"), 21, 10, "factory.station[mill].buffer");
    assert_eq!(e.message, "expected an integer from 0 to 4294967295 or \"unlimited\", found -1");
}

#[test]
fn duplicate_station_name() {
    let e = check(
        &format!("{BASE}\n[[factory.station]]\nname = \"mill\"\nmachines = 2\n"),
        23,
        8,
        "factory.station[mill].name",
    );
    assert_eq!(e.message, "duplicate station name `mill` (first defined at line 18)");
}

#[test]
fn duplicate_product_and_source_names() {
    let e = check(
        &format!("{BASE}\n[[factory.product]]\nname = \"widget\"\nroute = [\"mill\"]\n"),
        23,
        8,
        "factory.product[widget].name",
    );
    assert_eq!(e.message, "duplicate product name `widget` (first defined at line 14)");
    let text =
        format!("{BASE}\n[[factory.source]]\nname = \"orders\"\nproduct = \"widget\"\ninterarrival = 1\n");
    let e = check(&text, 23, 8, "factory.source[orders].name");
    assert_eq!(e.message, "duplicate source name `orders` (first defined at line 9)");
}

#[test]
fn unknown_distribution() {
    let e = check(
        &with_line(11, r#"interarrival = { dist = "expo", mean = 1.25 }"#),
        11,
        25,
        "factory.source[orders].interarrival.dist",
    );
    assert_eq!(e.suggestion.as_deref(), Some("exponential"));
    assert_eq!(
        e.message,
        "unknown distribution `expo` (expected one of `exponential`, `constant`, `uniform`, `triangular`, `normal`, \
         `lognormal`, `gamma`, `weibull`, `erlang`, `empirical`)"
    );
}

#[test]
fn misspelt_distribution_parameter() {
    let e = check(
        &with_line(11, r#"interarrival = { dist = "exponential", mena = 1.25 }"#),
        11,
        40,
        "factory.source[orders].interarrival.mena",
    );
    assert_eq!(e.message, "unknown parameter `mena` for `exponential` (expected one of `mean`, `rate`)");
    assert_eq!(e.suggestion.as_deref(), Some("mean"));
    let e = check(
        &with_line(11, r#"interarrival = { dsit = "exponential", mean = 1.25 }"#),
        11,
        18,
        "factory.source[orders].interarrival.dsit",
    );
    assert_eq!(e.suggestion.as_deref(), Some("dist"));
}

#[test]
fn missing_distribution_parameter() {
    let e = check(
        &with_line(20, r#"process = { dist = "normal", mean = 1.0 }"#),
        20,
        11,
        "factory.station[mill].process",
    );
    assert_eq!(e.message, "missing parameter `sd` (`normal` needs `mean` and `sd`)");
    let e = check(&with_line(20, r#"process = { mean = 1.0 }"#), 20, 11, "factory.station[mill].process");
    assert!(e.message.starts_with("missing key `dist`"), "{e}");
}

#[test]
fn distribution_parameter_of_wrong_type() {
    let e = check(
        &with_line(20, r#"process = { dist = "exponential", mean = "1" }"#),
        20,
        42,
        "factory.station[mill].process.mean",
    );
    assert_eq!(e.message, "`mean` must be a number, found a string");
    let e = check(
        &with_line(20, r#"process = { dist = "erlang", k = 2.5, mean = 1 }"#),
        20,
        34,
        "factory.station[mill].process.k",
    );
    assert_eq!(e.message, "`k` must be an integer >= 1, found a float");
    let e = check(&with_line(20, r#"process = "fast""#), 20, 11, "factory.station[mill].process");
    assert!(e.message.starts_with("expected a distribution such as"), "{e}");
}

#[test]
fn negative_mean() {
    let e = check(
        &with_line(20, r#"process = { dist = "exponential", mean = -1.0 }"#),
        20,
        42,
        "factory.station[mill].process.mean",
    );
    assert_eq!(e.message, "`mean` must be > 0, found -1");
}

#[test]
fn rate_not_positive() {
    let e = check(
        &with_line(11, r#"interarrival = { dist = "exponential", rate = 0.0 }"#),
        11,
        47,
        "factory.source[orders].interarrival.rate",
    );
    assert_eq!(e.message, "`rate` must be > 0, found 0");
}

#[test]
fn negative_cv() {
    let e = check(
        &with_line(20, r#"process = { dist = "lognormal", mean = 1.0, cv = -0.2 }"#),
        20,
        50,
        "factory.station[mill].process.cv",
    );
    assert_eq!(e.message, "`cv` must be >= 0, found -0.2");
}

#[test]
fn parameter_range_rules() {
    let cases = [
        (r#"{ dist = "exponential", mean = 1, rate = 1 }"#, "give either `mean` or `rate`, not both"),
        (r#"{ dist = "constant", value = -1 }"#, "`value` must be >= 0, found -1"),
        (r#"{ dist = "uniform", min = 2, max = 1 }"#, "`max` must be >= `min` (2), found 1"),
        (r#"{ dist = "uniform", min = -1, max = 1 }"#, "`min` must be >= 0, found -1"),
        (
            r#"{ dist = "triangular", min = 1, mode = 0.5, max = 2 }"#,
            "`mode` must be >= `min` (1), found 0.5",
        ),
        (r#"{ dist = "triangular", min = 1, mode = 1, max = 1 }"#, "`max` must be > `min` (1), found 1"),
        (r#"{ dist = "normal", mean = 0, sd = 1 }"#, "`mean` must be > 0, found 0"),
        (r#"{ dist = "normal", mean = 1, sd = -1 }"#, "`sd` must be >= 0, found -1"),
        (r#"{ dist = "lognormal", mu = 0, sigma = -1 }"#, "`sigma` must be >= 0, found -1"),
        (
            r#"{ dist = "lognormal", mean = 1, sigma = 1 }"#,
            "`mean` cannot be combined with the other parameters",
        ),
        (r#"{ dist = "lognormal", mu = 800, sigma = 1 }"#, "the mean is not finite"),
        (r#"{ dist = "gamma", shape = 0, scale = 1 }"#, "`shape` must be > 0, found 0"),
        (r#"{ dist = "gamma", mean = 1, cv = 0 }"#, "`cv` must be > 0, found 0"),
        (r#"{ dist = "weibull", shape = 1, scale = -1 }"#, "`scale` must be > 0, found -1"),
        (r#"{ dist = "weibull", shape = 0.001, scale = 1 }"#, "the mean is not finite"),
        (r#"{ dist = "erlang", k = 0, mean = 1 }"#, "`k` must be an integer >= 1, found 0"),
        (r#"{ dist = "empirical", values = [] }"#, "`values` must not be empty"),
        (r#"{ dist = "empirical", values = [1, -1] }"#, "`values[1]` must be a finite number >= 0, found -1"),
        (r#"{ dist = "empirical", values = [1, "a"] }"#, "`values[1]` must be a number, found a string"),
        (
            r#"{ dist = "empirical", values = [1, 2], weights = [1] }"#,
            "`weights` must have one entry per value",
        ),
        (
            r#"{ dist = "empirical", values = [1, 2], weights = [0, 0] }"#,
            "`weights` must sum to a finite number > 0",
        ),
        (r#"{ dist = "exponential", mean = inf }"#, "`mean` must be a finite number, found inf"),
        ("-3", "a constant duration must be a finite number >= 0, found -3"),
    ];
    for (dist, message) in cases {
        let e = err(&with_line(20, &format!("process = {dist}")));
        assert!(e.message.starts_with(message), "{dist}: {e}");
        assert_eq!(e.line, 20, "{dist}: {e}");
        assert!(e.key.starts_with("factory.station[mill].process"), "{dist}: {e}");
    }
}

#[test]
fn product_override_for_a_station_not_on_its_route() {
    let text = format!("{BASE}\n[[factory.station]]\nname = \"lathe\"\nmachines = 1\n")
        .replace(r#"route = ["mill"]"#, "route = [\"mill\"]\nprocess = { lathe = 2.0 }");
    let e = check(&text, 16, 13, "factory.product[widget].process.lathe");
    assert_eq!(e.message, "station `lathe` is not on the route of product `widget` (route: `mill`)");
    let text = BASE.replace(r#"route = ["mill"]"#, "route = [\"mill\"]\nprocess = { mil = 2.0 }");
    let e = check(&text, 16, 13, "factory.product[widget].process.mil");
    assert_eq!(e.message, "unknown station `mil` is not on the route of product `widget` (route: `mill`)");
    assert_eq!(e.suggestion.as_deref(), Some("mill"));
}

#[test]
fn station_without_process_used_without_override() {
    let e = check(&with_line(20, ""), 15, 10, "factory.product[widget].route[0]");
    assert_eq!(
        e.message,
        "station `mill` has no default `process` and product `widget` does not override it: add \
         `process = { dist = ... }` to station `mill`, or `process = { mill = ... }` to product `widget`"
    );
}

#[test]
fn array_of_tables_written_as_a_table() {
    let text = BASE.replace("[[factory.station]]", "[factory.station]");
    let e = check(&text, 17, 1, "factory.station");
    assert_eq!(
        e.message,
        "expected an array, found a table (write `[[...]]` headers for an array of tables)"
    );
}

#[test]
fn file_errors() {
    let e = load(Path::new("/nonexistent/dir/missing.toml"), &[]).unwrap_err();
    assert_eq!(e.line, 0);
    assert_has(&e, &["missing.toml: cannot read the scenario file"]);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, b"[scenario]\nname = \"\xff\"\n").unwrap();
    let e = load(&bad, &[]).unwrap_err();
    assert_eq!((e.line, e.column), (2, 9));
    let good = dir.path().join("good.toml");
    std::fs::write(&good, BASE).unwrap();
    assert_eq!(load(&good, &[]).unwrap().baseline.name, "bad");
}

#[test]
fn columns_count_characters_not_bytes() {
    let line = r#"set = { "scenario.description" = "é", "factory.station.mill.machines" = 0 }"#;
    let text = format!("{BASE}\n[[variant]]\nname = \"v\"\n{line}\n");
    let column = line.chars().position(|c| c == '0').unwrap() + 1;
    assert_eq!(column, 73);
    check(&text, 24, column, "factory.station[mill].machines");
}

// ---------------------------------------------------------------------------------------------
// Robustness: no input may panic.

mod fuzz {
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
}

#[test]
fn a_region_names_its_domains_once_each_with_their_tables() {
    let region = BASE.replace(r#"domain = "factory""#, r#"domains = ["factory", "probe"]"#);
    let probe = "[probe]\nperiod = 5.0\nsites = [\"north\"]\npoll = 2.0\n";
    let file = try_parse(&format!("{region}{probe}")).unwrap();
    let names: Vec<&str> = file.baseline.domains.iter().map(|d| d.name()).collect();
    assert_eq!(names, ["factory", "probe"]);
    // Registration order whatever the written order: the order domains are built in.
    let swapped = BASE.replace(r#"domain = "factory""#, r#"domains = ["probe", "factory"]"#);
    let file = try_parse(&format!("{swapped}{probe}")).unwrap();
    let names: Vec<&str> = file.baseline.domains.iter().map(|d| d.name()).collect();
    assert_eq!(names, ["factory", "probe"]);

    let e = check(&region, 3, 23, "scenario.domains[1]");
    assert_eq!(e.message, "domain `probe` needs a `[probe]` table");
    let twice = BASE.replace(r#"domain = "factory""#, r#"domains = ["factory", "factory"]"#);
    let e = check(&twice, 3, 23, "scenario.domains[1]");
    assert_eq!(e.message, "domain `factory` is named twice");
    let both = BASE.replace(r#"domain = "factory""#, "domain = \"factory\"\ndomains = [\"factory\"]");
    let e = check(&both, 4, 11, "scenario.domains");
    assert_eq!(e.message, "give either `domain` (one) or `domains` (a region), not both");
    let none = BASE.replace(r#"domain = "factory""#, "domains = []");
    let e = check(&none, 3, 11, "scenario.domains");
    assert_eq!(e.message, "`domains` must name at least one domain");
    let e = check(&format!("{BASE}{probe}"), 21, 2, "probe");
    assert_eq!(e.message, "table `probe` belongs to domain `probe`, but this scenario's domain is `factory`");
}
