//! `[[variant]]`: what-ifs as dotted-path overrides of the baseline, validated like it.

use super::{BASE, EXAMPLE, assert_has, check, err, try_parse};
use crate::dist::Dist;

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
