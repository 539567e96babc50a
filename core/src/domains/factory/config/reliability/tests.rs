use std::path::Path;

use super::super::FactoryConfig;
use super::*;
use crate::dist::Dist;
use crate::scenario::{Override, Scenario, parse as parse_scenario};
use crate::validate::ScenarioError;

/// A valid factory with every kind of life: `press` (failure, wear, one sensor, predictive
/// maintenance learning from the warm-up), `mill` (wear with its own repair, two EWMA
/// sensors, condition-based maintenance), `lathe` (failure and preventive maintenance) and
/// `oven` (none: its machines never fail).
const FULL: &str = r#"[scenario]
name = "f"
domain = "factory"
time_unit = "hour"
horizon = 1000
warmup = 100

[[factory.crew]]
name = "fitters"
size = 2

[[factory.crew]]
name = "riggers"
size = 1
dispatch = { plugin = "fifo" }

[[factory.source]]
name = "orders"
product = "p"
interarrival = 1

[[factory.product]]
name = "p"
route = ["press", "mill", "lathe", "oven"]

[[factory.station]]
name = "press"
machines = 5
process = 0.5
failure = { mtbf = { dist = "exponential", mean = 20.0 }, mttr = { dist = "exponential", mean = 2.0 }, crew = "fitters" }
wear = { rate = 1.0, cv = 0.3, limit = 100.0 }
sensor = { every = 5.0, noise_sd = 2.0 }
maintenance = { policy = "predictive", predictor = { plugin = "logistic" }, within = 10.0, threshold = 0.5, duration = 1.0, crew = "riggers" }

[[factory.station]]
name = "mill"
machines = 1
process = 0.5
wear = { rate = 2.0, cv = 0.5, basis = "calendar", limit = 50.0, step = 0.5, repair = 3.0, crew = "riggers" }
sensors = [{ every = 1.0, noise_sd = 1.0, filter = "ewma", alpha = 0.25 }, { every = 2.0, noise_sd = 0.5, gain = 0.5 }]
maintenance = { policy = "condition", threshold = 40.0, duration = 1.0 }

[[factory.station]]
name = "lathe"
machines = 2
process = 0.5
failure = { mtbf = { dist = "weibull", shape = 2.0, scale = 30.0 }, mttr = 4.0, basis = "busy", interrupted = "restart" }
maintenance = { policy = "preventive", every = 25.0, duration = 1.0, crew = "fitters" }

[[factory.station]]
name = "oven"
machines = 1
process = 0.5
"#;

fn file_in(dir: &Path, text: &str, sets: &[&str]) -> Result<Vec<FactoryConfig>, ScenarioError> {
    let overrides: Vec<_> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let file = parse_scenario(&dir.join("f.toml"), text, &overrides)?;
    let scenarios: Vec<&Scenario> =
        std::iter::once(&file.baseline).chain(file.variants.iter().map(|v| &v.scenario)).collect();
    Ok(scenarios.into_iter().map(|s| crate::domains::factory::config_of(s).clone()).collect())
}

fn factory(text: &str) -> Result<FactoryConfig, ScenarioError> {
    Ok(file_in(Path::new(""), text, &[])?.remove(0))
}

/// `FULL` with `old` (which must occur once) replaced by `new`.
fn edit(old: &str, new: &str) -> String {
    assert_eq!(FULL.matches(old).count(), 1, "`{old}` occurs once in FULL");
    FULL.replace(old, new)
}

/// 1-based line and column of `needle` in `text`, where it must occur once; at its `^` if it
/// has one (`"every = ^0"`), which is not part of the text.
fn at(text: &str, needle: &str) -> (usize, usize) {
    let (before, after) = needle.split_once('^').unwrap_or(("", needle));
    let whole = format!("{before}{after}");
    assert_eq!(text.matches(&whole).count(), 1, "`{whole}` occurs once in:\n{text}");
    let offset = text.find(&whole).unwrap_or_default() + before.len();
    crate::validate::line_col(text, offset)
}

/// The error of `text`, checked to be at `needle` (first occurrence) with `key`.
fn error_at(text: &str, needle: &str, key: &str) -> ScenarioError {
    let e = factory(text).unwrap_err();
    assert_eq!((e.line, e.column), at(text, needle), "{e}");
    assert_eq!(e.key, key, "{e}");
    e
}

fn exponential(mean: f64) -> Dist {
    Dist::Exponential { mean }
}

#[test]
fn a_full_config_parses_with_its_defaults() {
    let c = factory(FULL).unwrap();
    let fifo = c.crews[1].dispatch.as_ref().map(|d| d.plugin.as_str());
    assert_eq!(
        (c.crews.len(), c.crews[0].name.as_str(), c.crews[0].size, c.crews[0].dispatch.is_none()),
        (2, "fitters", 2, true)
    );
    assert_eq!((c.crews[1].name.as_str(), c.crews[1].size, fifo), ("riggers", 1, Some("fifo")));

    let press = c.stations[0].life.as_ref().unwrap();
    assert_eq!(
        press.failure,
        Some(FailureConfig {
            mtbf: exponential(20.0),
            mttr: exponential(2.0),
            basis: Basis::Calendar,
            crew: Some(0),
            interrupted: Interrupted::Resume,
        })
    );
    // Wear defaults: busy basis, 200 points per mean life, repairs as the random failures.
    assert_eq!(
        press.wear,
        Some(WearConfig {
            rate: 1.0,
            cv: 0.3,
            basis: Basis::Busy,
            limit: 100.0,
            step: 0.5,
            repair: Some(exponential(2.0)),
            crew: Some(0),
        })
    );
    assert_eq!(
        press.sensing,
        Some(SensingConfig {
            sensors: vec![SensorConfig { every: 5.0, noise_sd: 2.0, gain: 1.0 }],
            filter: FilterConfig::Kalman { process_var: None, rate_var: None },
        })
    );
    let Policy::Predictive(p) = &press.maintenance.policy else { panic!("{:?}", press.maintenance) };
    assert_eq!((p.predictor.plugin.as_str(), p.predictor.params.as_str()), ("logistic", "{}"));
    assert_eq!((p.within, p.threshold), (10.0, 0.5));
    assert_eq!(p.features, Feature::ALL, "all features by default");
    assert_eq!(p.train, Training::Warmup);
    assert_eq!(
        (&press.maintenance.duration, press.maintenance.crew),
        (&Some(Dist::Constant { value: 1.0 }), Some(1))
    );

    let mill = c.stations[1].life.as_ref().unwrap();
    assert_eq!(mill.failure, None);
    assert_eq!(
        mill.wear,
        Some(WearConfig {
            rate: 2.0,
            cv: 0.5,
            basis: Basis::Calendar,
            limit: 50.0,
            step: 0.5,
            repair: Some(Dist::Constant { value: 3.0 }),
            crew: Some(1),
        })
    );
    assert_eq!(
        mill.sensing,
        Some(SensingConfig {
            sensors: vec![
                SensorConfig { every: 1.0, noise_sd: 1.0, gain: 1.0 },
                SensorConfig { every: 2.0, noise_sd: 0.5, gain: 0.5 },
            ],
            // Given on the first sensor only: it is the station's one filter.
            filter: FilterConfig::Ewma { alpha: 0.25 },
        })
    );
    assert_eq!(
        mill.maintenance,
        MaintenanceConfig {
            policy: Policy::Condition { threshold: 40.0 },
            duration: Some(Dist::Constant { value: 1.0 }),
            crew: None,
        }
    );

    let lathe = c.stations[2].life.as_ref().unwrap();
    let failure = lathe.failure.as_ref().unwrap();
    assert_eq!(
        (failure.basis, failure.crew, failure.interrupted, &failure.mttr),
        (Basis::Busy, None, Interrupted::Restart, &Dist::Constant { value: 4.0 })
    );
    assert_eq!((&lathe.wear, &lathe.sensing), (&None, &None));
    assert_eq!(lathe.maintenance.policy, Policy::Preventive { every: 25.0, basis: PreventiveBasis::Age });
    assert_eq!(lathe.maintenance.crew, Some(0));

    assert_eq!(c.stations[3].life, None, "a station without these keys never fails");
    let refs: Vec<_> = c.plugin_refs().map(|(r, k)| (r.plugin.as_str(), k)).collect();
    assert!(refs.contains(&("logistic", crate::plugin::ComponentKind::PREDICTOR)), "{refs:?}");
}

#[test]
fn more_defaults_and_overrides() {
    // wear.crew and wear.repair override failure's; a preventive calendar basis; kalman keys;
    // explicit features; maintenance alone (machines that never fail, maintained anyway).
    let text = edit(
            "wear = { rate = 1.0, cv = 0.3, limit = 100.0 }",
            "wear = { rate = 1.0, cv = 0.3, limit = 100.0, repair = 7.0, crew = \"riggers\" }",
        )
        .replace(
            "sensor = { every = 5.0, noise_sd = 2.0 }",
            "sensor = { every = 5.0, noise_sd = 0.0, filter = \"kalman\", process_var = 0.1, rate_var = 0.0 }",
        )
        .replace("threshold = 0.5,", "threshold = 1.0, features = [\"age\", \"level\"],")
        .replace("every = 25.0,", "every = 25.0, basis = \"calendar\",")
        .replace("name = \"oven\"\nmachines = 1\nprocess = 0.5\n", "name = \"oven\"\nmachines = 1\nprocess = 0.5\nmaintenance = { policy = \"preventive\", every = 8, duration = 0.5 }\n");
    let c = factory(&text).unwrap();
    let press = c.stations[0].life.as_ref().unwrap();
    let wear = press.wear.as_ref().unwrap();
    assert_eq!((&wear.repair, wear.crew), (&Some(Dist::Constant { value: 7.0 }), Some(1)));
    let sensing = press.sensing.as_ref().unwrap();
    assert_eq!(sensing.sensors[0].noise_sd, 0.0);
    assert_eq!(sensing.filter, FilterConfig::Kalman { process_var: Some(0.1), rate_var: Some(0.0) });
    let Policy::Predictive(p) = &press.maintenance.policy else { panic!() };
    assert_eq!((p.threshold, p.features.as_slice()), (1.0, &[Feature::Age, Feature::Level][..]));
    let lathe = c.stations[2].life.as_ref().unwrap();
    assert_eq!(
        lathe.maintenance.policy,
        Policy::Preventive { every: 25.0, basis: PreventiveBasis::Calendar }
    );
    let oven = c.stations[3].life.as_ref().unwrap();
    assert_eq!((&oven.failure, &oven.wear, &oven.sensing), (&None, &None, &None));
    assert_eq!(oven.maintenance.policy, Policy::Preventive { every: 8.0, basis: PreventiveBasis::Age });
    // Run-to-failure written out, with a duration and a crew it does not use: accepted.
    let text = edit(
        "maintenance = { policy = \"condition\", threshold = 40.0, duration = 1.0 }",
        "maintenance = { policy = \"run-to-failure\", duration = 1.0, crew = \"fitters\" }",
    );
    let mill = factory(&text).unwrap().stations[1].life.clone().unwrap();
    assert_eq!(mill.maintenance.policy, Policy::RunToFailure);
    // No failure: the wear's own crew, or none.
    let text = edit(", repair = 3.0, crew = \"riggers\" }", ", repair = 3.0 }");
    assert_eq!(factory(&text).unwrap().stations[1].life.as_ref().unwrap().wear.as_ref().unwrap().crew, None);
}

#[test]
fn crews_are_reachable_from_variants_and_set() {
    let text = format!(
        "{FULL}\n[[variant]]\nname = \"one-fitter\"\nset = {{ \"factory.crew.fitters.size\" = 1 }}\n"
    );
    let configs = file_in(Path::new(""), &text, &["factory.crew.riggers.size=3"]).unwrap();
    let sizes: Vec<(u32, u32)> = configs.iter().map(|c| (c.crews[0].size, c.crews[1].size)).collect();
    assert_eq!(sizes, [(2, 3), (1, 3)]);
    let text = format!(
        "{FULL}\n[[variant]]\nname = \"slow-repair\"\nset = {{ \"factory.station.press.failure.mttr\" = {{ dist = \"exponential\", mean = 5.0 }} }}\n"
    );
    let configs = file_in(Path::new(""), &text, &[]).unwrap();
    let mttr =
        |c: &FactoryConfig| c.stations[0].life.as_ref().unwrap().failure.as_ref().unwrap().mttr.clone();
    assert_eq!((mttr(&configs[0]), mttr(&configs[1])), (exponential(2.0), exponential(5.0)));
}

#[test]
fn crew_errors() {
    let e = error_at(
        &edit("name = \"riggers\"", "name = \"fitters\""),
        "\"fitters\"\nsize = 1",
        "factory.crew[fitters].name",
    );
    assert_eq!(e.message, "duplicate crew name `fitters` (first defined at line 9)");
    let e = error_at(
        &edit("name = \"riggers\"", "name = \"oven\""),
        "\"oven\"\nsize = 1",
        "factory.crew[oven].name",
    );
    assert_eq!(
        e.message,
        "crew `oven` has the name of a station: both would be reported as `utilization.oven`; rename one of them"
    );
    let text = edit("size = 2", "size = 0");
    let e = error_at(&text, "size = ^0", "factory.crew[fitters].size");
    assert_eq!(e.message, "`size` must be an integer from 1 to 1000000 (people), found 0");
    let e = error_at(&edit("size = 2", "size = -1"), "-1", "factory.crew[fitters].size");
    assert_eq!(e.message, "expected an integer from 0 to 4294967295, found -1");
    let e = error_at(&edit("size = 2", "sise = 2"), "sise", "factory.crew[fitters].sise");
    assert_eq!(e.suggestion.as_deref(), Some("size"));
    let e = error_at(
        &edit("dispatch = { plugin = \"fifo\" }", "dispatch = { rule = \"fifo\" }"),
        "{ rule",
        "factory.crew[riggers].dispatch.plugin",
    );
    assert!(e.message.starts_with("missing key `plugin`"), "{e}");
    // A reference to a crew that does not exist, from each place that names one.
    for (old, new) in [
        ("crew = \"fitters\" }\nwear", "crew = \"fitter\" }\nwear"),
        ("duration = 1.0, crew = \"riggers\" }", "duration = 1.0, crew = \"fitter\" }"),
        ("repair = 3.0, crew = \"riggers\"", "repair = 3.0, crew = \"fitter\""),
        ("duration = 1.0, crew = \"fitters\" }", "duration = 1.0, crew = \"fitter\" }"),
    ] {
        let text = edit(old, new);
        let e = factory(&text).unwrap_err();
        assert_eq!((e.line, e.column), at(&text, "\"fitter\""), "{e}");
        assert!(e.key.ends_with(".crew"), "{e}");
        assert_eq!(e.message, "unknown crew `fitter` (known crews: `fitters`, `riggers`)");
        assert_eq!(e.suggestion.as_deref(), Some("fitters"));
    }
    // Without any crew, the message says how to add one.
    let text = FULL.replacen("[[factory.crew]]\nname = \"fitters\"\nsize = 2\n\n[[factory.crew]]\nname = \"riggers\"\nsize = 1\ndispatch = { plugin = \"fifo\" }\n", "", 1);
    let e = error_at(&text, "crew = ^\"fitters\" }\nwear", "factory.station[press].failure.crew");
    assert_eq!(
        e.message,
        "unknown crew `fitters`: the factory has no crews (add a `[[factory.crew]]` with `name = \"fitters\"`)"
    );
}

#[test]
fn failure_errors() {
    let failure = "failure = { mtbf = { dist = \"exponential\", mean = 20.0 }, mttr = { dist = \"exponential\", mean = 2.0 }, crew = \"fitters\" }";
    let with = |keys: &str| edit(failure, &format!("failure = {{ {keys} }}"));
    let e = error_at(
        &with("mtbf = 20, mttr = 2, basis = \"calender\""),
        "\"calender\"",
        "factory.station[press].failure.basis",
    );
    assert_eq!(e.message, "`basis` must be one of `calendar`, `busy`, found \"calender\"");
    assert_eq!(e.suggestion.as_deref(), Some("calendar"));
    let e = error_at(
        &with("mtbf = 20, mttr = 2, interrupted = \"resumes\""),
        "\"resumes\"",
        "factory.station[press].failure.interrupted",
    );
    assert_eq!(e.message, "`interrupted` must be one of `resume`, `restart`, found \"resumes\"");
    assert_eq!(e.suggestion.as_deref(), Some("resume"));
    let e = error_at(&with("mtbf = 0, mttr = 2"), "mtbf = ^0,", "factory.station[press].failure.mtbf");
    assert_eq!(
        e.message,
        "`mtbf` of station `press` can make infinitely many failures at one instant: every draw is 0 (a constant \
             0); give it a positive mean"
    );
    let e = error_at(
        &with("mtbf = { dist = \"uniform\", min = 0, max = 0 }, mttr = 2"),
        "{ dist = \"uniform\"",
        "factory.station[press].failure.mtbf",
    );
    assert!(e.message.contains("(`uniform` with `max = 0`)"), "{e}");
    let e = error_at(
        &with("mtbf = 20, mttr = { dist = \"exponential\", mean = -2 }"),
        "mean = ^-2",
        "factory.station[press].failure.mttr.mean",
    );
    assert_eq!(e.message, "`mean` must be > 0, found -2");
    let e = error_at(&with("mtbf = 20, mttr = -2"), "mttr = ^-2", "factory.station[press].failure.mttr");
    assert!(e.message.contains(">= 0"), "{e}");
    let e = error_at(&with("mtbf = 20"), "{ mtbf = 20 }", "factory.station[press].failure.mttr");
    assert_eq!(e.message, "missing required key `mttr`");
    let e = error_at(&with("mtbf = 20, mttr = 2, mtrr = 2"), "mtrr", "factory.station[press].failure.mtrr");
    assert!(e.message.starts_with("unknown key `mtrr` (expected one of `mtbf`, `mttr`"), "{e}");
    assert_eq!(e.suggestion.as_deref(), Some("mttr"));
    let e = error_at(&edit(failure, "failure = 3"), "failure = ^3", "factory.station[press].failure");
    assert_eq!(e.message, "expected a table, found 3");
}

#[test]
fn wear_errors() {
    let wear = "wear = { rate = 1.0, cv = 0.3, limit = 100.0 }";
    let with = |keys: &str| edit(wear, &format!("wear = {{ {keys} }}"));
    let key = |k: &str| format!("factory.station[press].wear.{k}");
    for (keys, needle, k, message) in [
        (
            "rate = 0, cv = 0.3, limit = 100",
            "rate = ^0,",
            "rate",
            "`rate` must be a finite number > 0, found 0",
        ),
        (
            "rate = 1, cv = -0.3, limit = 100",
            "cv = ^-0.3",
            "cv",
            "`cv` must be a finite number > 0, found -0.3",
        ),
        (
            "rate = 1, cv = 0.3, limit = nan",
            "limit = ^nan",
            "limit",
            "`limit` must be a finite number > 0, found NaN",
        ),
        (
            "rate = 1, cv = 0.3, limit = 100, step = 0",
            "step = ^0 }",
            "step",
            "`step` must be a finite number > 0, found 0",
        ),
        (
            "rate = 1, cv = 0.3, limit = 100, basis = \"bussy\"",
            "\"bussy\"",
            "basis",
            "`basis` must be one of `calendar`, `busy`, found \"bussy\"",
        ),
        (
            "rate = 1, cv = 0.3, limit = 100, repair = { dist = \"normal\", mean = 1 }",
            "{ dist = \"normal\"",
            "repair",
            "",
        ),
    ] {
        let e = error_at(&with(keys), needle, &key(k));
        if !message.is_empty() {
            assert_eq!(e.message, message);
        }
    }
    let e = error_at(&with("rate = 1, cv = 0.3, limit = 100, step = 1e-5"), "step = ^1e-5", &key("step"));
    assert_eq!(
        e.message,
        "`step` 0.00001 makes 1.000e7 points of wear path per mean life (limit / rate / step); at most 1e6 are \
             allowed: give a larger `step`"
    );
    let e = error_at(&with("rate = 1e-300, cv = 0.3, limit = 1e300"), "{ rate = 1e-300", &key("step"));
    assert_eq!(
        e.message,
        "the default `step` (limit / rate / 200) is inf, not a finite number > 0: give `step`"
    );
    // A cv whose square underflows would make an unsamplable gamma increment: refused, not a panic.
    let e = error_at(&with("rate = 1, cv = 1e-200, limit = 100"), "cv = ^1e-200", &key("cv"));
    assert_eq!(
        e.message,
        "`cv` 1.00e-200 with `rate` 1 and `step` 0.5 gives wear increments Gamma(shape = step / cv² = ∞, scale \
         = rate · cv² = 0) that cannot be sampled: both must be finite numbers > 0"
    );
    let e = error_at(&with("rate = 1, cv = 0.3"), "{ rate = 1, cv = 0.3 }", &key("limit"));
    assert_eq!(e.message, "missing required key `limit`");
    // Without a failure table, `repair` is required.
    let text = edit(", repair = 3.0, crew = \"riggers\" }", ", crew = \"riggers\" }");
    let e = error_at(&text, "{ rate = 2.0", "factory.station[mill].wear.repair");
    assert_eq!(
        e.message,
        "missing required key `repair`: station `mill` has no `failure` table to take the repair time of a \
             wear-out failure from; give `repair = { dist = ... }` in `wear`"
    );
}

#[test]
fn sensor_errors() {
    let sensor = "sensor = { every = 5.0, noise_sd = 2.0 }";
    let with = |keys: &str| edit(sensor, &format!("sensor = {{ {keys} }}"));
    let key = |k: &str| format!("factory.station[press].sensor.{k}");
    for (keys, needle, k, message) in [
        ("every = 0, noise_sd = 2", "every = ^0,", "every", "`every` must be a finite number > 0, found 0"),
        (
            "every = 5, noise_sd = -1",
            "noise_sd = ^-1",
            "noise_sd",
            "`noise_sd` must be a finite number >= 0, found -1",
        ),
        (
            "every = 5, noise_sd = 1, gain = inf",
            "gain = ^inf",
            "gain",
            "`gain` must be a finite number, found inf",
        ),
        (
            "every = 5, noise_sd = 1, filter = \"kalmann\"",
            "\"kalmann\"",
            "filter",
            "`filter` must be one of `none`, `ewma`, `kalman`, found \"kalmann\"",
        ),
        (
            "every = 5, noise_sd = 1, filter = \"ewma\", alpha = 0",
            "alpha = ^0 }",
            "alpha",
            "`alpha` must be a finite number in (0, 1], found 0",
        ),
        (
            "every = 5, noise_sd = 1, filter = \"ewma\", alpha = 1.5",
            "alpha = ^1.5",
            "alpha",
            "`alpha` must be a finite number in (0, 1], found 1.5",
        ),
        (
            "every = 5, noise_sd = 1, alpha = 0.5",
            "alpha = ^0.5 }",
            "alpha",
            "`alpha` is a key of filter \"ewma\", but this station's filter is \"kalman\"",
        ),
        (
            "every = 5, noise_sd = 1, filter = \"ewma\", alpha = 0.5, process_var = 1",
            "process_var = ^1 }",
            "process_var",
            "`process_var` is a key of filter \"kalman\", but this station's filter is \"ewma\"",
        ),
        (
            "every = 5, noise_sd = 1, filter = \"none\", rate_var = 1",
            "rate_var = ^1 }",
            "rate_var",
            "`rate_var` is a key of filter \"kalman\", but this station's filter is \"none\"",
        ),
        (
            "every = 5, noise_sd = 1, process_var = 0",
            "process_var = ^0 }",
            "process_var",
            "`process_var` must be a finite number > 0, found 0",
        ),
        (
            "every = 5, noise_sd = 1, rate_var = -1",
            "rate_var = ^-1",
            "rate_var",
            "`rate_var` must be a finite number >= 0, found -1",
        ),
        (
            "every = 5, noise_sd = 1, filter = \"ewma\"",
            "sensor = ^{ every = 5",
            "alpha",
            "missing required key `alpha`: filter \"ewma\" needs the weight of the newest reading, in (0, 1]",
        ),
        ("every = 5", "sensor = ^{ every = 5 }", "noise_sd", "missing required key `noise_sd`"),
    ] {
        let text = with(keys);
        let e = error_at(&text, needle, &key(k));
        assert_eq!(e.message, message, "{keys}");
    }
    let e = error_at(&with("every = 5, noise_sd = 1, filter = \"kalmann\""), "\"kalmann\"", &key("filter"));
    assert_eq!(e.suggestion.as_deref(), Some("kalman"));
    let e = error_at(&with("every = 5, noise_sd = 1, nois_sd = 2"), "nois_sd", &key("nois_sd"));
    assert_eq!(e.suggestion.as_deref(), Some("noise_sd"));

    // Several sensors: the filter keys must agree.
    let sensors = "sensors = [{ every = 1.0, noise_sd = 1.0, filter = \"ewma\", alpha = 0.25 }, { every = 2.0, noise_sd = 0.5, gain = 0.5 }]";
    let many = |second: &str| {
        edit(
            sensors,
            &format!(
                "sensors = [{{ every = 1.0, noise_sd = 1.0, filter = \"ewma\", alpha = 0.25 }}, {{ {second} }}]"
            ),
        )
    };
    let e = error_at(
        &many("every = 2, noise_sd = 1, filter = \"kalman\""),
        "\"kalman\"",
        "factory.station[mill].sensors[1].filter",
    );
    assert_eq!(
        e.message,
        "`filter` must be the same on all of a station's sensors (they feed one filter): \"kalman\" here, \"ewma\" \
             on `sensors[0]`"
    );
    let e = error_at(
        &many("every = 2, noise_sd = 1, alpha = 0.5"),
        "alpha = ^0.5 }",
        "factory.station[mill].sensors[1].alpha",
    );
    assert!(e.message.starts_with("`alpha` must be the same on all of a station's sensors"), "{e}");
    assert!(
        factory(&many("every = 2, noise_sd = 1, filter = \"ewma\", alpha = 0.25")).is_ok(),
        "the same keys agree"
    );
    let e =
        error_at(&many("every = -2, noise_sd = 1"), "every = ^-2", "factory.station[mill].sensors[1].every");
    assert_eq!(e.message, "`every` must be a finite number > 0, found -2");
    let e = error_at(&edit(sensors, "sensors = []"), "[]", "factory.station[mill].sensors");
    assert_eq!(e.message, "`sensors` must list at least one sensor");
    let text = edit(sensors, &format!("{sensors}\nsensor = {{ every = 1, noise_sd = 1 }}"));
    let e = error_at(&text, "[{ every = 1.0", "factory.station[mill].sensors");
    assert_eq!(e.message, "give either `sensor` (one sensor) or `sensors` (a list of them), not both");
    // Sensors read wear.
    let text = edit("wear = { rate = 1.0, cv = 0.3, limit = 100.0 }\n", "");
    let e = error_at(&text, "sensor = ^{ every = 5.0", "factory.station[press].sensor");
    assert_eq!(
        e.message,
        "station `press` has `sensor` but no `wear`: sensors read a machine's wear; add `wear = { rate = ..., cv = \
             ..., limit = ... }`"
    );
}

#[test]
fn maintenance_errors() {
    let condition = "maintenance = { policy = \"condition\", threshold = 40.0, duration = 1.0 }";
    let mill = |keys: &str| edit(condition, &format!("maintenance = {{ {keys} }}"));
    let key = |k: &str| format!("factory.station[mill].maintenance.{k}");
    let e = error_at(&mill("policy = \"predictve\", duration = 1"), "\"predictve\"", &key("policy"));
    assert_eq!(
        e.message,
        "`policy` must be one of `run-to-failure`, `preventive`, `condition`, `predictive`, found \"predictve\""
    );
    assert_eq!(e.suggestion.as_deref(), Some("predictive"));
    let e = error_at(
        &mill("policy = \"condition\", threshold = 40, every = 5, duration = 1"),
        "every = ^5, duration",
        &key("every"),
    );
    assert_eq!(
        e.message,
        "`every` is a key of policy \"preventive\", not of policy \"condition\" (which takes `threshold` besides \
             `duration` and `crew`)"
    );
    let e = error_at(&mill("duration = 1, threshold = 40"), "threshold = ^40", &key("threshold"));
    assert_eq!(
        e.message,
        "`threshold` is a key of policy \"condition\" or \"predictive\", not of policy \"run-to-failure\" (which \
             takes only `duration` and `crew`)"
    );
    let e = error_at(
        &mill("policy = \"condition\", threshold = 40"),
        "^{ policy = \"condition\", threshold = 40 }",
        &key("duration"),
    );
    assert!(e.message.starts_with("missing required key `duration`: policy \"condition\" needs"), "{e}");
    let e = error_at(
        &mill("policy = \"condition\", duration = 1"),
        "^{ policy = \"condition\", duration = 1 }",
        &key("threshold"),
    );
    assert_eq!(
        e.message,
        "missing required key `threshold`: policy \"condition\" needs the filtered wear that calls maintenance"
    );
    let e = error_at(
        &mill("policy = \"condition\", threshold = 0, duration = 1"),
        "threshold = ^0,",
        &key("threshold"),
    );
    assert_eq!(e.message, "`threshold` must be a finite number > 0, found 0");
    let e = error_at(
        &mill("policy = \"condition\", threshold = 4, duration = { dist = \"exponential\", mean = -1 }"),
        "mean = ^-1",
        &key("duration.mean"),
    );
    assert_eq!(e.message, "`mean` must be > 0, found -1");
    let e = error_at(
        &mill("policy = \"condition\", threshold = 4, duration = 1, crw = \"fitters\""),
        "crw",
        &key("crw"),
    );
    assert_eq!(e.suggestion.as_deref(), Some("crew"));

    // Preventive.
    let preventive =
        "maintenance = { policy = \"preventive\", every = 25.0, duration = 1.0, crew = \"fitters\" }";
    let lathe = |keys: &str| edit(preventive, &format!("maintenance = {{ {keys} }}"));
    let key = |k: &str| format!("factory.station[lathe].maintenance.{k}");
    let e = error_at(
        &lathe("policy = \"preventive\", duration = 1"),
        "^{ policy = \"preventive\", duration = 1 }",
        &key("every"),
    );
    assert!(e.message.starts_with("missing required key `every`"), "{e}");
    let e =
        error_at(&lathe("policy = \"preventive\", every = -25, duration = 1"), "every = ^-25", &key("every"));
    assert_eq!(e.message, "`every` must be a finite number > 0, found -25");
    let e = error_at(
        &lathe("policy = \"preventive\", every = 25, basis = \"busy\", duration = 1"),
        "basis = ^\"busy\", duration",
        &key("basis"),
    );
    assert_eq!(e.message, "`basis` must be one of `age`, `calendar`, found \"busy\"");
    // Condition-based and predictive maintenance need a sensor.
    let text = lathe("policy = \"condition\", threshold = 4, duration = 1");
    let e = error_at(&text, "\"condition\", threshold = 4,", &key("policy"));
    assert_eq!(
        e.message,
        "policy \"condition\" acts on the filtered sensor readings, but station `lathe` has no sensor: add \
             `sensor = { every = ..., noise_sd = ... }` (and `wear`, which it reads)"
    );
    let text = lathe(
        "policy = \"predictive\", predictor = { plugin = \"logistic\" }, within = 1, threshold = 0.5, duration = 1",
    );
    let e =
        error_at(&text, "\"predictive\", predictor = { plugin = \"logistic\" }, within = 1,", &key("policy"));
    assert!(e.message.starts_with("policy \"predictive\" acts on the filtered sensor readings"), "{e}");
}

#[test]
fn predictive_errors() {
    let predictive = "maintenance = { policy = \"predictive\", predictor = { plugin = \"logistic\" }, within = 10.0, threshold = 0.5, duration = 1.0, crew = \"riggers\" }";
    let press = |keys: &str| {
        edit(predictive, &format!("maintenance = {{ policy = \"predictive\", duration = 1.0, {keys} }}"))
    };
    let key = |k: &str| format!("factory.station[press].maintenance.{k}");
    let p = "predictor = { plugin = \"logistic\" }";
    let table = |keys: &str| format!("^{{ policy = \"predictive\", duration = 1.0, {keys} }}");
    let e = error_at(
        &press("within = 10, threshold = 0.5"),
        &table("within = 10, threshold = 0.5"),
        &key("predictor"),
    );
    assert!(e.message.starts_with("missing required key `predictor`"), "{e}");
    let e = error_at(
        &press("predictor = { l2 = 1 }, within = 10, threshold = 0.5"),
        "{ l2",
        &key("predictor.plugin"),
    );
    assert!(e.message.starts_with("missing key `plugin`"), "{e}");
    let e = error_at(
        &press(&format!("{p}, threshold = 0.5")),
        &table(&format!("{p}, threshold = 0.5")),
        &key("within"),
    );
    assert_eq!(
        e.message,
        "missing required key `within`: policy \"predictive\" needs the horizon of the predicted failure"
    );
    let e = error_at(&press(&format!("{p}, within = 0, threshold = 0.5")), "within = ^0,", &key("within"));
    assert_eq!(e.message, "`within` must be a finite number > 0, found 0");
    let e = error_at(
        &press(&format!("{p}, within = 10, threshold = 1.5")),
        "threshold = ^1.5",
        &key("threshold"),
    );
    assert_eq!(e.message, "`threshold` must be a finite number in (0, 1], found 1.5");
    let e = error_at(
        &press(&format!("{p}, within = 10")),
        &table(&format!("{p}, within = 10")),
        &key("threshold"),
    );
    assert!(e.message.starts_with("missing required key `threshold`"), "{e}");
    let e = error_at(
        &press(&format!("{p}, within = 10, threshold = 0.5, features = [\"level\", \"wear\"]")),
        "\"wear\"",
        &key("features[1]"),
    );
    assert_eq!(e.message, "`features` must be one of `level`, `rate`, `age`, found \"wear\"");
    let e = error_at(
        &press(&format!("{p}, within = 10, threshold = 0.5, features = [\"level\", \"rat\"]")),
        "\"rat\"",
        &key("features[1]"),
    );
    assert_eq!(e.suggestion.as_deref(), Some("rate"));
    let e = error_at(
        &press(&format!("{p}, within = 10, threshold = 0.5, features = [\"age\", \"age\"]")),
        "\"age\"]",
        &key("features[1]"),
    );
    assert_eq!(e.message, "feature \"age\" is listed twice");
    let e = error_at(
        &press(&format!("{p}, within = 10, threshold = 0.5, features = []")),
        "[]",
        &key("features"),
    );
    assert_eq!(e.message, "`features` must list at least one of `level`, `rate`, `age`");
    let e = error_at(
        &press(&format!("{p}, within = 10, threshold = 0.5, every = 3")),
        "every = ^3",
        &key("every"),
    );
    assert!(
        e.message.starts_with("`every` is a key of policy \"preventive\", not of policy \"predictive\""),
        "{e}"
    );
}

#[test]
fn learning_from_the_warmup_needs_one() {
    let message = "policy \"predictive\" without `train` learns from the warm-up, but `[scenario] warmup` is 0: set \
                       `warmup` > 0, or give `train = \"history.csv\"`";
    let text = edit("warmup = 100\n", "");
    let e = error_at(&text, "{ policy = \"predictive\"", "factory.station[press].maintenance");
    assert_eq!(e.message, message);
    let e = error_at(
        &edit("warmup = 100", "warmup = 0"),
        "{ policy = \"predictive\"",
        "factory.station[press].maintenance",
    );
    assert_eq!(e.message, message);
    // The effective warm-up: `--set` and a variant's `set` count.
    let dir = Path::new("");
    let e = file_in(dir, FULL, &["scenario.warmup=0"]).unwrap_err();
    assert_eq!((e.line, e.column), at(FULL, "{ policy = \"predictive\""));
    assert_eq!(e.message, message);
    assert!(file_in(dir, &text, &["scenario.warmup=5"]).is_ok(), "a warm-up from --set is enough");
    let policy = at(FULL, "{ policy = \"predictive\"");
    let variant = format!("{FULL}\n[[variant]]\nname = \"cold\"\nset = {{ \"scenario.warmup\" = 0 }}\n");
    let e = file_in(dir, &variant, &[]).unwrap_err();
    assert_eq!((e.line, e.column, e.variant.as_deref()), (policy.0, policy.1, Some("cold")));
    assert_eq!(e.message, message);
    let sweep = format!("{FULL}\n[sweep]\n\"scenario.warmup\" = [10, 0]\n");
    let e = file_in(dir, &sweep, &[]).unwrap_err();
    assert_eq!((e.line, e.column), policy, "a sweep point without a warm-up is refused: {e}");
    assert_eq!(e.message, message);
    // With a training file, no warm-up is needed (see the training tests).
}

/// Writes `files` into a fresh folder and parses `text` as `f.toml` in it.
fn with_files(
    text: &str,
    files: &[(&str, &str)],
) -> (tempfile::TempDir, Result<FactoryConfig, ScenarioError>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let parsed = file_in(dir.path(), text, &[]).map(|mut c| c.remove(0));
    (dir, parsed)
}

fn trained(train: &str) -> String {
    edit("threshold = 0.5,", &format!("threshold = 0.5, features = [\"age\", \"level\"], train = {train},"))
        .replace("warmup = 100\n", "")
}

#[test]
fn a_training_file_is_read_in_the_order_of_the_features() {
    let csv = "level, rate,age,failed_within,comment\n10,0.1,5,0,x\n\n90,1.5,80,true,y\n50,1,40,FALSE,z\n 70 ,1,60, 1 ,\n";
    let (dir, parsed) = with_files(&trained("\"history.csv\""), &[("history.csv", csv)]);
    let c = parsed.unwrap();
    let Policy::Predictive(p) = &c.stations[0].life.as_ref().unwrap().maintenance.policy else { panic!() };
    let Training::File(t) = &p.train else { panic!("{:?}", p.train) };
    assert_eq!(t.path, dir.path().join("history.csv"));
    assert_eq!(t.sha256, crate::util::sha256_hex(csv.as_bytes()));
    assert_eq!(*t.x, [5.0, 10.0, 80.0, 90.0, 40.0, 50.0, 60.0, 70.0], "(age, level) per row");
    assert_eq!(*t.y, [0.0, 1.0, 0.0, 1.0]);
    // In a subfolder, relative to the scenario's folder.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/h.csv"), "age,level,failed_within\n1,2,0\n3,4,1\n").unwrap();
    let c = file_in(dir.path(), &trained("\"data/h.csv\""), &[]).unwrap().remove(0);
    let Policy::Predictive(p) = &c.stations[0].life.as_ref().unwrap().maintenance.policy else { panic!() };
    let Training::File(t) = &p.train else { panic!() };
    assert_eq!(*t.x, [1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn training_file_errors_name_the_file_and_the_train_key() {
    let text = trained("\"history.csv\"");
    let key = "factory.station[press].maintenance.train";
    let check = |csv: Option<&str>, fragment: &str| {
        let files: Vec<(&str, &str)> = csv.map(|c| ("history.csv", c)).into_iter().collect();
        let (dir, parsed) = with_files(&text, &files);
        let e = parsed.unwrap_err();
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (at(&text, "\"history.csv\"").0, at(&text, "\"history.csv\"").1, key),
            "{e}"
        );
        let shown = dir.path().join("history.csv").display().to_string();
        assert!(e.message.contains(&format!("`{shown}`")), "{e}");
        assert!(e.message.contains(fragment), "`{fragment}` in: {e}");
        e
    };
    let e = check(None, "cannot read the training file");
    assert!(e.message.starts_with("cannot read the training file `"), "{e}");
    let e = check(
        Some("age,levl,failed_within\n1,2,0\n"),
        "has no column `level` (it needs `age`, `level`, `failed_within`; its header row has `age`, `levl`, `failed_within`)",
    );
    assert_eq!(e.suggestion.as_deref(), Some("levl"));
    check(Some("age,level\n1,2\n"), "has no column `failed_within`");
    check(Some(""), "has no column `age`");
    check(Some("age,level,level,failed_within\n1,2,3,0\n"), "has two columns named `level`");
    check(
        Some("age,level,failed_within\n1,2,0\n3,x,1\n"),
        "line 3, column `level`: expected a finite number, found \"x\"",
    );
    check(
        Some("age,level,failed_within\n1,2,0\n\n3,inf,1\n"),
        "line 4, column `level`: expected a finite number, found \"inf\"",
    );
    check(
        Some("age,level,failed_within\r\n1,2,0\r\n\r\n\r\n3,4,1\r\n5,1e999,0\r\n"),
        "line 6, column `level`: expected a finite number, found \"1e999\"",
    );
    check(
        Some("age,level,failed_within\n1,2,0\n3,4,yes\n"),
        "line 3, column `failed_within`: expected 0, 1, false or true, found \"yes\"",
    );
    check(Some("age,level,failed_within\n1,2,0\n3,4\n"), "found record with 2 fields");
    check(
        Some("age,level,failed_within\n1,2,0\n3,4,0\n"),
        "has only rows with `failed_within` = 0: a predictor cannot learn from one class",
    );
    check(Some("age,level,failed_within\n1,2,1\n"), "has only rows with `failed_within` = 1");
    check(Some("age,level,failed_within\n"), "has no rows");
    let e = error_at(&trained("\"\""), "\"\",", key);
    assert_eq!(e.message, "`train` must be the path of a CSV file, found an empty string");
}
