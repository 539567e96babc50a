//! The factory's own tables (`[[factory.source]]`, `[[factory.product]]`, `[[factory.station]]`):
//! the example read in full, and their validation errors.

use std::path::Path;

use super::{BASE, EXAMPLE, check, try_parse, with_line};
use crate::dist::Dist;
use crate::domains::factory::config::{ProductConfig, RouteStep, SourceConfig};
use crate::scenario::ExperimentConfig;
use crate::time::TimeUnit;

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
fn station_process_is_optional_when_every_product_overrides_it() {
    let text = with_line(20, "").replace(r#"route = ["mill"]"#, "route = [\"mill\"]\nprocess = { mill = 3 }");
    let file = try_parse(&text).unwrap();
    let f = crate::domains::factory::config_of(&file.baseline);
    assert_eq!(f.stations[0].process, None);
    assert_eq!(f.products[0].route[0].process, Dist::Constant { value: 3.0 });
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
fn unknown_key_in_factory() {
    let e = check(&format!("{BASE}[[factory.stations]]\nname = \"x\"\n"), 21, 11, "factory.stations");
    assert_eq!(e.suggestion.as_deref(), Some("station"));
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
fn missing_station_name() {
    let e = check(&with_line(18, ""), 17, 1, "factory.station[0].name");
    assert_eq!(e.message, "missing required key `name`");
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
