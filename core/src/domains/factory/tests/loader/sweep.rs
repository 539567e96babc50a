//! `[sweep]`: the generated grid, its names, and the errors in swept paths and values.

use super::{BASE, EXAMPLE, assert_has, check, try_parse, with_sets, with_sweep};
use crate::dist::Dist;
use crate::scenario::{ScenarioFile, Variant};

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
