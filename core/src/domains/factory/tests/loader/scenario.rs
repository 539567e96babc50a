//! The generic tables and the file itself: `[scenario]` and the domains it names, root tables,
//! TOML syntax, reading the file, locations.

use std::path::Path;

use super::{BASE, EXAMPLE, assert_has, check, err, try_parse, with_line};
use crate::scenario::{ExperimentConfig, load};
use crate::time::SimTime;

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
fn unknown_root_table() {
    let e = check(&format!("{BASE}[experimnt]\nseed = 2\n"), 21, 2, "experimnt");
    assert_eq!(e.suggestion.as_deref(), Some("experiment"));
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
fn missing_scenario_table() {
    let text = BASE.replacen("[scenario]", "[scenari]", 1);
    let e = check(&text, 1, 2, "scenari");
    assert_eq!(e.suggestion.as_deref(), Some("scenario"));
    let e = check("", 1, 1, "scenario");
    assert_eq!(e.message, "missing table `[scenario]`");
}

#[test]
fn unknown_time_unit() {
    let e = check(&with_line(4, r#"time_unit = "minutes""#), 4, 13, "scenario.time_unit");
    assert_eq!(e.suggestion.as_deref(), Some("minute"));
    assert_eq!(e.message, "unknown time unit `minutes` (expected one of `second`, `minute`, `hour`, `day`)");
}

#[test]
fn domain_not_available_or_unknown() {
    let e = check(&with_line(3, r#"domain = "finance""#), 3, 10, "scenario.domain");
    // Test builds also register the `probe` domain.
    assert!(
        e.message.starts_with("domain `finance` is not available yet (available: `factory`, `city`"),
        "{e}"
    );
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
