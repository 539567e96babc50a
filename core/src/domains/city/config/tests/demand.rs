//! Demand: flow paths, rates and arrivals, turning ratios, trips files, freight.

use std::path::Path;

use super::*;

#[test]
fn a_route_that_is_not_connected() {
    let text = intersection("", "", &NS.replace("\"north-in\", \"south-out\"", "\"north-in\", \"east-in\""));
    fails(
        &text,
        "route = [\"north-in\", \"east-in\"]",
        "city.flow[ns].route",
        &["route of flow `ns`: `north-in` ends at `x` but `east-in` starts at `east`"],
    );
}

#[test]
fn a_route_must_run_boundary_to_boundary() {
    let text = intersection("", "", &NS.replace("\"north-in\", \"south-out\"", "\"south-out\""));
    fails(
        &text,
        "route = [\"south-out\"]",
        "city.flow[ns].route",
        &["route of flow `ns` must start at a boundary node; `x` is signalised"],
    );
    let text = intersection("", "", &NS.replace("\"north-in\", \"south-out\"", "\"north-in\""));
    fails(
        &text,
        "route = [\"north-in\"]",
        "city.flow[ns].route",
        &["route of flow `ns` must end at a boundary node; `x` is signalised"],
    );
    let text = intersection("", "", &NS.replace("\"north-in\", \"south-out\"", "\"north-in\", \"nowhere\""));
    let e = fails(
        &text,
        "\"nowhere\"",
        "city.flow[ns].route[1]",
        &["route of flow `ns` names link `nowhere`, which does not exist"],
    );
    assert_eq!(e.suggestion, None);
}

#[test]
fn from_to_without_a_path() {
    // Only one way out of `north`, and nothing reaches `north` back.
    let text = intersection(
        "",
        "",
        "[[city.flow]]\nname = \"nn\"\nfrom = \"south\"\nto = \"nowhere\"\nrate = 60.0\n",
    );
    fails(&text, "to = \"nowhere\"", "city.flow[nn].to", &["names node `nowhere`, which does not exist"]);
    let text = intersection(
        "",
        "",
        "[[city.flow]]\nname = \"nn\"\nfrom = \"north-in\"\nto = \"south\"\nrate = 60.0\n",
    );
    fails(
        &text,
        "from = \"north-in\"",
        "city.flow[nn].from",
        &["names node `north-in`, which does not exist"],
    );
    // Phases without the east approach: nothing from `east` ever gets green.
    let text =
        intersection("", "", "[[city.flow]]\nname = \"es\"\nfrom = \"east\"\nto = \"south\"\nrate = 60.0\n")
            .replace("[\"east-in\", \"west-in\"]]", "[\"west-in\"]]")
            .replace("\"east-in>south-out\", ", "");
    fails(
        &text,
        "to = \"south\"\nrate",
        "city.flow[es].to",
        &["no path from `east` to `south` (links from `east`: `east-in`)"],
    );
    let ok =
        intersection("", "", "[[city.flow]]\nname = \"es\"\nfrom = \"east\"\nto = \"south\"\nrate = 60.0\n");
    assert_eq!(city(&ok).unwrap().flows[0].path, PathSpec::Fixed(vec![2, 5]));
}

#[test]
fn a_flow_through_a_movement_no_phase_serves() {
    let text = intersection("", "", NS).replace(
        "[\"north-in\", \"south-in\"]",
        "[\"north-in>east-out\", \"north-in>west-out\", \"south-in\"]",
    );
    fails(
        &text,
        "route = [\"north-in\", \"south-out\"]",
        "city.flow[ns].route",
        &[
            "route of flow `ns` turns from `north-in` into `south-out` at `x`, which no phase of `x` gives green",
        ],
    );
}

#[test]
fn rate_and_profile_and_headway() {
    let both = format!("{NS}profile = [100.0, 200.0]\n");
    fails(
        &intersection("", "", &both),
        "profile",
        "city.flow[ns].profile",
        &["flow `ns` has both `rate` and `profile`"],
    );
    let neither = NS.replace("rate = 588.0\n", "");
    let e = city(&intersection("", "", &neither)).unwrap_err();
    assert_eq!(e.key, "city.flow[ns]");
    assert!(e.message.contains("flow `ns` needs `rate` [veh/h] or `profile`"), "{e}");
    let det = format!("{}arrivals = \"deterministic\"\nheadway = 0.0\n", NS.replace("rate = 588.0\n", ""));
    fails(
        &intersection("", "", &det),
        "headway = 0.0",
        "city.flow[ns].headway",
        &["`headway` must be a finite number > 0, found 0"],
    );
    let det = format!("{}arrivals = \"deterministic\"\n", NS.replace("rate = 588.0\n", ""));
    fails(
        &intersection("", "", &det),
        "arrivals = \"deterministic\"",
        "city.flow[ns].arrivals",
        &["needs `headway`"],
    );
    let det = format!("{NS}arrivals = \"deterministic\"\nheadway = 5.0\n");
    fails(
        &intersection("", "", &det),
        "rate = 588.0",
        "city.flow[ns].rate",
        &["`rate` (588 veh/h) of flow `ns` does not match `headway` (5 s, which is 720 veh/h)"],
    );
    let det = format!(
        "{}arrivals = \"deterministic\"\nheadway = 5.0\noffset = 2.5\n",
        NS.replace("rate = 588.0\n", "")
    );
    let f = &city(&intersection("", "", &det)).unwrap().flows[0];
    assert_eq!(f.arrivals, Arrivals::Deterministic { headway: 5.0, offset: 2.5 });
    assert_eq!(f.profile, Profile { step: f64::INFINITY, rates: vec![720.0], repeat: false });
    let poisson_headway = format!("{NS}headway = 5.0\n");
    fails(
        &intersection("", "", &poisson_headway),
        "headway = 5.0",
        "city.flow[ns].headway",
        &["`headway` applies only to `arrivals = \"deterministic\"`"],
    );
}

#[test]
fn profiles() {
    let hourly = NS.replace("rate = 588.0", "profile = [100.0, 200.0, 0.0]");
    let p = &city(&intersection("", "", &hourly)).unwrap().flows[0].profile;
    assert_eq!(*p, Profile { step: 3600.0, rates: vec![100.0, 200.0, 0.0], repeat: false });
    let daily: Vec<String> = (0..96).map(|k| format!("{}.0", k % 7)).collect();
    let quarter =
        NS.replace("rate = 588.0", &format!("profile = [{}]\nprofile_step = 900.0", daily.join(", ")));
    let p = &city(&intersection("", "", &quarter)).unwrap().flows[0].profile;
    assert_eq!(
        (p.step, p.rates.len(), p.repeat),
        (900.0, 96, true),
        "96 quarter hours are a day: it repeats"
    );
    let zero = NS.replace("rate = 588.0", "profile = [0.0, 0.0]");
    fails(&intersection("", "", &zero), "profile", "city.flow[ns].profile", &["is 0 throughout"]);
    let negative = NS.replace("rate = 588.0", "profile = [10.0, -1.0]");
    fails(
        &intersection("", "", &negative),
        "-1.0",
        "city.flow[ns].profile[1]",
        &["`profile` must be a finite number >= 0"],
    );
}

#[test]
fn double_peak_expands_to_daily_quarter_hours() {
    let peak = NS.replace(
        "rate = 588.0",
        "profile = { kind = \"double_peak\", base = 400.0, am = 8.0, pm = 17.5, factor = 1.8, width = 1.5 }",
    );
    let c = city(&intersection("day_start = 5.0\n", "", &peak)).unwrap();
    let p = &c.flows[0].profile;
    assert_eq!((p.step, p.rates.len(), p.repeat), (900.0, 96, true));
    // Quarter k has hour h = 5 + (k + ½)/4 at its middle; tri(h, c) = max(0, 1 − |h − c|/1.5).
    let expect = |h: f64| {
        let tri = |c: f64| (1.0 - (h - c).abs() / 1.5).max(0.0);
        400.0 * (1.0 + 0.8 * tri(8.0).max(tri(17.5)))
    };
    for k in [0usize, 11, 12, 13, 50, 51, 95] {
        let h = (5.0 + (k as f64 + 0.5) / 4.0) % 24.0;
        assert!((p.rates[k] - expect(h)).abs() < 1e-9, "quarter {k}: {} vs {}", p.rates[k], expect(h));
    }
    // 07:52:30 is the middle of quarter 11 (5 h + 11.5/4 h); 08:07:30 that of quarter 12.
    assert!((p.rates[11] - 400.0 * (1.0 + 0.8 * (1.0 - 0.125 / 1.5))).abs() < 1e-9);
    assert!((p.rates[0] - 400.0).abs() < 1e-12, "far from both peaks: base");
    let bad = peak.replace("width = 1.5", "width = 0.0");
    fails(
        &intersection("", "", &bad),
        "width = 0.0",
        "city.flow[ns].profile.width",
        &["`width` must be a finite number > 0"],
    );
    let kind = peak.replace("\"double_peak\"", "\"double\"");
    fails(
        &intersection("", "", &kind),
        "\"double\"",
        "city.flow[ns].profile.kind",
        &["expected double_peak, found `double`"],
    );
}

fn turn(from: &str, ratios: &str) -> String {
    format!("[[city.turn]]\nat = \"x\"\nfrom = \"{from}\"\nratios = {{ {ratios} }}\n")
}

#[test]
fn turn_ratio_flows() {
    let flow = "[[city.flow]]\nname = \"tr\"\nroute = \"turn_ratios\"\nfrom = \"north-in\"\nrate = 300.0\n";
    let ratios = turn("north-in", "\"south-out\" = 0.7, \"east-out\" = 0.2, \"west-out\" = 0.1");
    let c = city(&intersection("", "", &format!("{flow}{ratios}"))).unwrap();
    assert_eq!(c.flows[0].path, PathSpec::TurnRatios { first: 0 });
    assert_eq!(c.turns, [TurnConfig { from: 0, ratios: vec![(5, 0.7), (6, 0.2), (7, 0.1)] }], "file order");
    // Ratios not summing to 1.
    let bad = turn("north-in", "\"south-out\" = 0.7, \"east-out\" = 0.2");
    fails(
        &intersection("", "", &format!("{flow}{bad}")),
        "ratios",
        "city.turn[0].ratios",
        &["`ratios` of vehicles from `north-in` at `x` sum to 0.9", "not 1"],
    );
    // A link that does not leave the node.
    let bad = turn("north-in", "\"south-in\" = 1.0");
    fails(
        &intersection("", "", &format!("{flow}{bad}")),
        "\"south-in\" = 1.0",
        "city.turn[0].ratios.south-in",
        &["`ratios` names `south-in`, which does not leave `x`"],
    );
    // `from` must enter `at`.
    let bad = turn("north-out", "\"south-out\" = 1.0");
    fails(
        &intersection("", "", &format!("{flow}{bad}")),
        "from = \"north-out\"",
        "city.turn[0].from",
        &["`from` link `north-out` does not enter `x`"],
    );
    // A reachable junction without ratios for the arriving link.
    let missing = intersection("", "", flow);
    fails(
        &missing,
        "from = \"north-in\"",
        "city.flow[tr].from",
        &["flow `tr` can reach node `x` on link `north-in`, but no [[city.turn]] gives ratios there"],
    );
}

#[test]
fn turn_ratios_that_trap_vehicles_in_a_loop() {
    // A ring a → b → c → a; from `a` a vehicle always turns into the ring, and never leaves it.
    let mut t = String::from(
        "[city]\n[[city.node]]\nname = \"a\"\nphases = [[\"in\"], [\"ca\"]]\n[[city.node]]\nname = \"b\"\nphases = [[\"ab\"]]\n\
         [[city.node]]\nname = \"c\"\nphases = [[\"bc\"]]\n",
    );
    for (name, from, to) in [
        ("in", "o", "a"),
        ("ab", "a", "b"),
        ("bc", "b", "c"),
        ("ca", "c", "a"),
        ("out", "a", "d"),
        ("bx", "b", "e"),
    ] {
        t.push_str(&link(name, from, to));
    }
    t.push_str("[[city.flow]]\nname = \"tr\"\nroute = \"turn_ratios\"\nfrom = \"in\"\nrate = 60.0\n");
    t.push_str("[[city.turn]]\nat = \"a\"\nfrom = \"in\"\nratios = { ab = 1.0 }\n");
    t.push_str("[[city.turn]]\nat = \"b\"\nfrom = \"ab\"\nratios = { bc = 1.0 }\n");
    t.push_str("[[city.turn]]\nat = \"c\"\nfrom = \"bc\"\nratios = { ca = 1.0 }\n");
    t.push_str("[[city.turn]]\nat = \"a\"\nfrom = \"ca\"\nratios = { ab = 1.0 }\n");
    fails(
        &t,
        "from = \"in\"\nrate",
        "city.flow[tr].from",
        &[
            "flow `tr` cannot leave the network once on `in`: the turning ratios from there only lead round a closed loop",
        ],
    );
    let fixed = t.replace("ratios = { bc = 1.0 }", "ratios = { bc = 0.5, bx = 0.5 }");
    assert!(city(&fixed).is_ok());
}

#[test]
fn freight() {
    let f = "[city.freight]\nfrom = \"north\"\nper_vehicle = 20.0\nto = \"south\"\n";
    let c = city(&intersection("", "", &format!("{NS}{f}"))).unwrap();
    assert_eq!(c.freight, Some(FreightConfig { from: 1, per_vehicle: 20.0, to: 2, period: 60.0 }));
    let bad = f.replace("to = \"south\"", "to = \"x\"");
    fails(
        &intersection("", "", &format!("{NS}{bad}")),
        "to = \"x\"",
        "city.freight.to",
        &["must be a boundary node; `x` is signalised"],
    );
    let bad = f.replace("20.0", "0.0");
    fails(
        &intersection("", "", &format!("{NS}{bad}")),
        "per_vehicle",
        "city.freight.per_vehicle",
        &["`per_vehicle` must be a finite number > 0"],
    );
}

#[test]
fn a_city_without_traffic_is_refused() {
    let e = city(&intersection("", "", "")).unwrap_err();
    assert!(e.message.contains("the city has no traffic"), "{e}");
}

fn trips(csv: &str) -> Result<CityConfig, ScenarioError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trips.csv"), csv).unwrap();
    city_in(&dir.path().join("c.toml"), &intersection("", "", "[city.trips]\nfile = \"trips.csv\"\n"))
}

#[test]
fn trips_are_read_relative_to_the_scenario() {
    let c =
        trips("depart,route\n0.0,north-in south-out\n\n1.5,\"east-in west-out\"\r\n1.5,west-in north-out\n")
            .unwrap();
    let t = c.trips.unwrap();
    assert_eq!(t.file, "trips.csv");
    let got: Vec<(f64, Vec<u32>)> = t.trips.iter().map(|t| (t.depart, t.path.clone())).collect();
    assert_eq!(got, [(0.0, vec![0, 5]), (1.5, vec![2, 7]), (1.5, vec![3, 4])]);
    // Other columns are ignored, in any order.
    let c = trips("id,route,depart\n7,north-in south-out,3\n").unwrap();
    assert_eq!(c.trips.unwrap().trips[0].depart, 3.0);
}

#[test]
fn trip_errors_name_the_file_and_line() {
    let check = |csv: &str, fragments: &[&str]| {
        let e = trips(csv).unwrap_err();
        assert_eq!(e.key, "city.trips.file", "{e}");
        assert!(e.message.contains("trips.csv"), "{e}");
        for f in fragments {
            assert!(e.message.contains(f), "expected `{f}` in: {e}");
        }
    };
    check(
        "depart,route\n5.0,north-in south-out\n4.0,north-in south-out\n",
        &["line 3: `depart` 4 is before the previous row's 5"],
    );
    check(
        "depart,route\n0,north-in east-in\n",
        &["line 2: `route`: `north-in` ends at `x` but `east-in` starts at `east`"],
    );
    check(
        "depart,route\n0,north-in south-out\n0,north-in sooth-out\n",
        &["line 3: `route` names link `sooth-out`, which does not exist (did you mean `south-out`?)"],
    );
    check(
        "depart,route\n0,south-out\n",
        &["line 2: `route` must start at a boundary node; `x` is signalised"],
    );
    check("depart,route\n0,north-in\n", &["line 2: `route` must end at a boundary node"]);
    check(
        "depart,route\n0,north-in north-out\n",
        &["line 2: `route` makes a U-turn from `north-in` into `north-out` at `x`"],
    );
    check(
        "depart,route\nsoon,north-in south-out\n",
        &["line 2: `depart` must be a finite number >= 0 [s], found \"soon\""],
    );
    check("time,route\n0,north-in south-out\n", &["line 1: the header row has no column `depart`"]);
    check("depart,route\n", &["has no trips"]);
    check("depart,route\n0\n", &["line 2: expected 2 columns"]);
    let e = city_in(
        Path::new("/nonexistent/c.toml"),
        &intersection("", "", "[city.trips]\nfile = \"trips.csv\"\n"),
    )
    .unwrap_err();
    assert!(e.message.contains("cannot read the trips file `/nonexistent/trips.csv`"), "{e}");
}

#[test]
fn a_large_trips_file_loads() {
    // 10⁵ rows on the 10×10 grid, fringe to fringe (the benchmark's shape).
    let c = grid("rows = 10\ncols = 10\n").unwrap();
    let net = super::super::network::Net::new(c.network);
    let route = "left0A0 A0B0 B0C0 C0D0 D0E0 E0F0 F0G0 G0H0 H0I0 I0J0 J0right0";
    let mut csv = String::from("depart,route\n");
    for k in 0..100_000 {
        csv.push_str(&format!("{},{route}\n", f64::from(k) * 0.036));
    }
    let got = super::super::trips::parse(&net, &csv).unwrap();
    assert_eq!(got.len(), 100_000);
    assert_eq!(got[99_999].path.len(), 11);
}

#[test]
fn a_flow_names_one_way_to_go() {
    let both = NS.replace("rate = 588.0", "from = \"north\"\nrate = 588.0");
    fails(
        &intersection("", "", &both),
        "from = \"north\"",
        "city.flow[ns].from",
        &["flow `ns` has a `route`: `from` would be ignored"],
    );
    let word = NS.replace("[\"north-in\", \"south-out\"]", "\"turn-ratios\"");
    let e = fails(
        &intersection("", "", &word),
        "\"turn-ratios\"",
        "city.flow[ns].route",
        &["expected an array of link names or \"turn_ratios\", found \"turn-ratios\""],
    );
    assert_eq!(e.suggestion.as_deref(), Some("turn_ratios"));
    let signalised = "[[city.flow]]\nname = \"f\"\nfrom = \"x\"\nto = \"south\"\nrate = 1.0\n";
    fails(
        &intersection("", "", signalised),
        "from = \"x\"",
        "city.flow[f].from",
        &["`from` of flow `f` must be a boundary node; `x` is signalised"],
    );
    let twice = format!(
        "{NS}[[city.turn]]\nat = \"x\"\nfrom = \"north-in\"\nratios = {{ \"south-out\" = 1.0 }}\n[[city.turn]]\nat = \"x\"\nfrom = \"north-in\"\nratios = {{ \"east-out\" = 1.0 }}\n"
    );
    fails(
        &intersection("", "", &twice),
        "from = \"north-in\"\nratios = { \"east",
        "city.turn[1].from",
        &["ratios at `x` for vehicles from `north-in` are given twice"],
    );
}
