//! Unit tests of `[city]` validation, through [`parse`] on a scenario text (the domain is not
//! registered in the loader yet, so the context is built here as the loader builds it).

use std::path::Path;

use toml::de::DeTable;

use super::grid::column_code;
use super::parse::parse;
use super::*;
use crate::validate::{ScenarioError, Source, ValidationCtx};

const HEADER: &str =
    "[scenario]\nname = \"t\"\ndomain = \"city\"\ntime_unit = \"second\"\nhorizon = 3600.0\n";

/// Validates `[scenario]` header + `tables`, as if read from `file`.
fn city_in(file: &Path, tables: &str) -> Result<CityConfig, ScenarioError> {
    let text = format!("{HEADER}{tables}");
    let doc = DeTable::parse(&text).expect("toml").into_inner();
    let src = Source { file, text: &text, cli: Vec::new() };
    let ctx = ValidationCtx::new(&src, &doc, None);
    parse(doc.get("city").expect("a [city] table"), &ctx)
}

fn city(tables: &str) -> Result<CityConfig, ScenarioError> {
    city_in(Path::new("c.toml"), tables)
}

/// 1-based line of the last occurrence of `needle` in the full text (header included).
fn line_of(tables: &str, needle: &str) -> usize {
    let text = format!("{HEADER}{tables}");
    let at = text.rfind(needle).unwrap_or_else(|| panic!("`{needle}` not in the text"));
    text[..at].matches('\n').count() + 1
}

/// Checks an error's line (that of `needle`), key and message fragments.
fn fails(tables: &str, needle: &str, key: &str, fragments: &[&str]) -> ScenarioError {
    let e = city(tables).expect_err("must be refused");
    assert_eq!(e.line, line_of(tables, needle), "line of `{needle}`: {e}");
    assert!(e.column > 0, "{e}");
    assert_eq!(e.key, key, "{e}");
    for f in fragments {
        assert!(e.to_string().contains(f), "expected `{f}` in: {e}");
    }
    e
}

fn link(name: &str, from: &str, to: &str) -> String {
    format!(
        "[[city.link]]\nname = \"{name}\"\nfrom = \"{from}\"\nto = \"{to}\"\nlength = 150.0\nlanes = 1\nspeed = 15.0\nsaturation = 1800.0\n\n"
    )
}

/// One four-arm intersection `x`: in-links `<arm>-in`, out-links `<arm>-out`, lefts permitted.
fn intersection(extra_city: &str, node_extra: &str, flows: &str) -> String {
    let mut t = format!(
        "[city]\n{extra_city}signal = {{ plugin = \"fixed_time\", cycle = 60.0, greens = [25.0, 25.0] }}\n\n\
         [[city.node]]\nname = \"x\"\nphases = [[\"north-in\", \"south-in\"], [\"east-in\", \"west-in\"]]\n\
         permitted = [\"north-in>east-out\", \"south-in>west-out\", \"east-in>south-out\", \"west-in>north-out\"]\n{node_extra}\n"
    );
    for arm in ["north", "south", "east", "west"] {
        t.push_str(&link(&format!("{arm}-in"), arm, "x"));
    }
    for arm in ["north", "south", "east", "west"] {
        t.push_str(&link(&format!("{arm}-out"), "x", arm));
    }
    t.push_str(flows);
    t
}

const NS: &str = "[[city.flow]]\nname = \"ns\"\nroute = [\"north-in\", \"south-out\"]\nrate = 588.0\n";

fn base() -> String {
    intersection("", "", NS)
}

/// Coordinates for the intersection: x at the origin, arms 150 m away.
const POINTS: &str = "[[city.point]]\nname = \"north\"\nat = [0.0, 150.0]\n[[city.point]]\nname = \"south\"\nat = [0.0, -150.0]\n\
[[city.point]]\nname = \"east\"\nat = [150.0, 0.0]\n[[city.point]]\nname = \"west\"\nat = [-150.0, 0.0]\n";

#[test]
fn the_issue_block_resolves_names_defaults_and_movements() {
    let c = city(&base()).unwrap();
    let net = &c.network;
    let names: Vec<&str> = net.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["x", "north", "south", "east", "west"], "junctions, then boundaries by first mention");
    assert!(net.nodes[1..].iter().all(|n| n.control.is_none()));
    assert_eq!(net.links[0].storage, 20, "⌊1·150/7.5⌋");
    assert_eq!(net.movements.len(), 12, "4 in-links × 3 out-links, no U-turns");
    // Grouped by in-link, then out-link, in index order; north-in skips north-out (U-turn).
    let m: Vec<(u32, u32)> = net.movements.iter().map(|m| (m.from, m.to)).collect();
    assert_eq!(&m[..3], [(0, 5), (0, 6), (0, 7)]);
    assert_eq!(&m[3..6], [(1, 4), (1, 6), (1, 7)]);
    let control = net.nodes[0].control.as_ref().unwrap();
    assert_eq!(control.phases, [vec![0, 1, 2, 3, 4, 5], vec![6, 7, 8, 9, 10, 11]]);
    assert_eq!(
        control.timing,
        Timing {
            yellow: 3.0,
            all_red: 2.0,
            startup_lost: 2.0,
            clearance_lost: 2.0,
            min_green: 5.0,
            max_green: f64::INFINITY
        }
    );
    assert_eq!(control.signal.plugin, "fixed_time");
    assert_eq!(control.signal.params, r#"{"cycle":60.0,"greens":[25.0,25.0]}"#);
    let permitted: Vec<usize> =
        net.movements.iter().enumerate().filter(|(_, m)| m.permitted_factor != 1.0).map(|(i, _)| i).collect();
    assert_eq!(permitted, [1, 5, 7, 9], "N>E, S>W, E>S, W>N");
    assert_eq!(net.movements[1].permitted_factor, 0.5);
    assert_eq!(c.flows[0].path, PathSpec::Fixed(vec![0, 5]));
    assert_eq!(c.flows[0].profile, Profile { step: f64::INFINITY, rates: vec![588.0], repeat: false });
    assert_eq!(c.flows[0].arrivals, Arrivals::Poisson);
    assert_eq!(
        (c.discharge, c.gridlock, c.stuck_time, c.day_start, c.point_queue),
        (Discharge::Slotted, Gridlock::Flag, 300.0, 0.0, false)
    );
    assert_eq!(c.plugin_refs().count(), 1);
}

#[test]
fn without_a_signal_key_every_node_gets_webster() {
    let text =
        base().replace("signal = { plugin = \"fixed_time\", cycle = 60.0, greens = [25.0, 25.0] }\n", "");
    let c = city(&text).unwrap();
    let s = &c.network.nodes[0].control.as_ref().unwrap().signal;
    assert_eq!((s.plugin.as_str(), s.params.as_str()), ("fixed_time", r#"{"mode":"webster"}"#));
    // A node's own signal overrides the default.
    let text = intersection("", "signal = { plugin = \"max_pressure\", threshold = 8.0 }\n", NS);
    let c = city(&text).unwrap();
    let s = &c.network.nodes[0].control.as_ref().unwrap().signal;
    assert_eq!((s.plugin.as_str(), s.params.as_str()), ("max_pressure", r#"{"threshold":8.0}"#));
}

#[test]
fn city_keys_and_their_defaults() {
    let text = intersection(
        "discharge = \"continuous\"\nstop_threshold = 1.5\nstuck_time = 120.0\ngridlock = \"release\"\npermitted_left_factor = 0.4\nday_start = 5.0\npoint_queue = true\nyellow = 4.0\nall_red = 1.0\nmin_green = 7.0\nmax_green = 50.0\n",
        "clearance_lost = 3.0\n",
        NS,
    );
    let c = city(&text).unwrap();
    assert_eq!(
        (c.discharge, c.gridlock, c.stop_threshold, c.stuck_time, c.day_start, c.point_queue),
        (Discharge::Continuous, Gridlock::Release, Some(1.5), 120.0, 5.0, true)
    );
    let t = c.network.nodes[0].control.as_ref().unwrap().timing;
    assert_eq!(
        t,
        Timing {
            yellow: 4.0,
            all_red: 1.0,
            startup_lost: 2.0,
            clearance_lost: 3.0,
            min_green: 7.0,
            max_green: 50.0
        }
    );
    assert_eq!(c.network.movements[1].permitted_factor, 0.4);
}

#[test]
fn a_controllers_own_green_limits_are_the_hosts() {
    let text = intersection(
        "",
        "signal = { plugin = \"actuated\", min_green = 6.0, max_green = 45.0, gap = 3.0 }\n",
        NS,
    );
    let t = city(&text).unwrap().network.nodes[0].control.as_ref().unwrap().timing;
    assert_eq!((t.min_green, t.max_green), (6.0, 45.0));
    // A node key is more specific than the controller's parameter.
    let text =
        intersection("", "max_green = 60.0\nsignal = { plugin = \"actuated\", max_green = 45.0 }\n", NS);
    let t = city(&text).unwrap().network.nodes[0].control.as_ref().unwrap().timing;
    assert_eq!(t.max_green, 60.0);
    // A bad parameter is located at the parameter.
    let text = intersection("", "signal = { plugin = \"actuated\", min_green = 0.0 }\n", NS);
    fails(
        &text,
        "min_green = 0.0",
        "city.node[x].signal.min_green",
        &["`min_green` must be a finite number > 0"],
    );
}

#[test]
fn time_unit_must_be_seconds() {
    let text = format!("{}{}", HEADER.replace("\"second\"", "\"minute\""), base());
    let doc = DeTable::parse(&text).unwrap().into_inner();
    let src = Source { file: Path::new("c.toml"), text: &text, cli: Vec::new() };
    let e = parse(doc.get("city").unwrap(), &ValidationCtx::new(&src, &doc, None)).unwrap_err();
    assert_eq!((e.line, e.column, e.key.as_str()), (4, 13, "scenario.time_unit"));
    assert!(e.message.contains("`time_unit` must be \"second\", found \"minute\""), "{e}");
}

// ---- §3.3: one test per row -------------------------------------------------------------

#[test]
fn link_from_itself_to_itself() {
    let text = base().replace(
        "name = \"north-out\"\nfrom = \"x\"\nto = \"north\"",
        "name = \"north-out\"\nfrom = \"x\"\nto = \"x\"",
    );
    fails(
        &text,
        "to = \"x\"\nlength",
        "city.link[north-out].to",
        &["link `north-out` starts and ends at node `x`"],
    );
}

#[test]
fn link_between_two_boundary_nodes_suggests_the_junction() {
    let text = base().replace("from = \"north\"\nto = \"x\"", "from = \"north\"\nto = \"xx\"");
    let e = fails(
        &text,
        "to = \"xx\"",
        "city.link[north-in].to",
        &["link `north-in` joins `north` and `xx`, neither of which is a [[city.node]]"],
    );
    assert_eq!(e.suggestion.as_deref(), Some("x"));
}

#[test]
fn phase_naming_an_unknown_link() {
    let text = base().replace("[\"east-in\", \"west-in\"]]", "[\"east-in\", \"foo\"]]");
    fails(
        &text,
        "phases",
        "city.node[x].phases[1][1]",
        &["phase 1 of node `x` names link `foo`, which does not exist (links into `x`: `north-in`"],
    );
}

#[test]
fn phase_naming_a_link_that_leaves_the_node() {
    let text = base().replace("[\"east-in\", \"west-in\"]]", "[\"east-in\", \"south-out\"]]");
    fails(
        &text,
        "phases",
        "city.node[x].phases[1][1]",
        &["phase 1 of node `x` names `south-out`, which leaves `x` (phases list in-links)"],
    );
}

#[test]
fn link_numbers_must_be_finite_and_positive() {
    for (from, to, key) in [
        ("length = 150.0", "length = -5.0", "length"),
        ("length = 150.0", "length = 0.0", "length"),
        ("length = 150.0", "length = nan", "length"),
        ("speed = 15.0", "speed = 0.0", "speed"),
        ("speed = 15.0", "speed = inf", "speed"),
        ("saturation = 1800.0", "saturation = -1800.0", "saturation"),
    ] {
        let text = base().replacen(from, to, 1);
        fails(
            &text,
            to,
            &format!("city.link[north-in].{key}"),
            &[&format!("`{key}` must be a finite number > 0")],
        );
    }
    let text = base().replacen("lanes = 1", "lanes = 0", 1);
    fails(&text, "lanes = 0", "city.link[north-in].lanes", &["`lanes` must be an integer >= 1, found 0"]);
    let text = base().replacen("lanes = 1", "lanes = -1", 1);
    fails(&text, "lanes = -1", "city.link[north-in].lanes", &["expected an integer"]);
}

#[test]
fn a_link_too_short_to_hold_a_vehicle() {
    let text = base().replacen("length = 150.0", "length = 5.0", 1);
    fails(
        &text,
        "length = 5.0",
        "city.link[north-in].length",
        &["link `north-in` holds ⌊1·5/7.5⌋ = 0 vehicles: give `storage` >= 1 or a longer link"],
    );
    let text = base().replacen("length = 150.0", "length = 5.0\nstorage = 1", 1);
    assert_eq!(city(&text).unwrap().network.links[0].storage, 1);
    let text = base().replacen("length = 150.0", "length = 150.0\nstorage = 0", 1);
    fails(&text, "storage = 0", "city.link[north-in].storage", &["`storage` must be an integer >= 1"]);
}

#[test]
fn duplicate_names() {
    let text = format!("{}{}", base(), link("north-in", "north", "x"));
    let first = text
        .find("name = \"north-in\"")
        .map(|at| HEADER.matches('\n').count() + text[..at].matches('\n').count() + 1)
        .unwrap();
    let e = city(&text).unwrap_err();
    assert!(e.message.contains(&format!("link `north-in` is defined twice (first at line {first})")), "{e}");
    assert_eq!(e.key, "city.link[north-in].name");
    let text = format!("{}\n[[city.node]]\nname = \"x\"\nphases = [[\"north-in\"]]\n", base());
    let e = city(&text).unwrap_err();
    assert!(e.message.contains("node `x` is defined twice (first at line 10)"), "{e}");
    let text = format!("{}{NS}", base());
    let e = city(&text).unwrap_err();
    assert!(e.message.contains("flow `ns` is defined twice"), "{e}");
}

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
fn crossing_movements_in_one_phase() {
    let text = format!("{}{POINTS}", intersection("", "at = [0.0, 0.0]\n", NS).replace("[[\"north-in\", \"south-in\"], [\"east-in\", \"west-in\"]]", "[[\"north-in>south-out\", \"east-in>west-out\"], [\"south-in\", \"west-in\"], [\"north-in\", \"east-in\"]]"));
    fails(
        &text,
        "phases",
        "city.node[x].phases[0]",
        &["phase 0 of node `x` gives green to `north-in>south-out` and `east-in>west-out`, which cross"],
    );
    // An opposing left not marked permitted.
    let text = format!(
        "{}{POINTS}",
        intersection("", "at = [0.0, 0.0]\n", NS).replace("\"north-in>east-out\", ", "")
    );
    fails(
        &text,
        "phases",
        "city.node[x].phases[0]",
        &[
            "gives green to `north-in>east-out` and `south-in>north-out`, which cross",
            "list it in `permitted`",
        ],
    );
    // With the lefts permitted the two-phase plan is valid, and so are two opposing lefts together.
    let ok = format!("{}{POINTS}", intersection("", "at = [0.0, 0.0]\n", NS));
    assert!(city(&ok).is_ok());
    let lefts = ok.replace("cycle = 60.0, greens = [25.0, 25.0]", "mode = \"webster\"").replace("[[\"north-in\", \"south-in\"], [\"east-in\", \"west-in\"]]", "[[\"north-in>east-out\", \"south-in>west-out\"], [\"north-in\", \"south-in\"], [\"east-in\", \"west-in\"]]");
    assert!(city(&lefts).is_ok());
    // `permitted` takes left turns only.
    let right = ok.replace("\"north-in>east-out\", ", "\"north-in>west-out\", \"north-in>east-out\", ");
    fails(
        &right,
        "\"north-in>west-out\"",
        "city.node[x].permitted[0]",
        &["`north-in>west-out` in `permitted` of node `x` is not a left turn"],
    );
}

#[test]
fn merging_movements_without_coordinates() {
    let text = intersection("", "", NS).replace("\"north-in>east-out\", ", "");
    fails(
        &text,
        "phases",
        "city.node[x].phases[0]",
        &[
            "gives green to `north-in>east-out` and `south-in>east-out`, which merge onto `east-out`",
            "`permitted`",
        ],
    );
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
fn timing_checks() {
    let text = intersection("yellow = 0.5\nall_red = 0.5\n", "", NS)
        .replace("greens = [25.0, 25.0]", "greens = [29.0, 29.0]");
    fails(
        &text,
        "yellow = 0.5",
        "city.yellow",
        &["`clearance_lost` (2) exceeds `yellow` + `all_red` (1) at node `x`"],
    );
    let text = intersection("", "clearance_lost = 6.0\n", NS);
    fails(
        &text,
        "clearance_lost = 6.0",
        "city.node[x].clearance_lost",
        &["`clearance_lost` (6) exceeds `yellow` + `all_red` (5)"],
    );
    let text = intersection("min_green = 0.0\n", "", NS);
    fails(&text, "min_green = 0.0", "city.min_green", &["`min_green` must be a finite number > 0, found 0"]);
    let text = intersection("", "min_green = 10.0\nmax_green = 8.0\n", NS);
    fails(
        &text,
        "max_green = 8.0",
        "city.node[x].max_green",
        &["`max_green` must be a finite number >= `min_green` (10), found 8"],
    );
    let text = intersection("yellow = 0.0\nall_red = 2.0\nstartup_lost = 2.0\n", "min_green = 0.5\n", NS)
        .replace("greens = [25.0, 25.0]", "greens = [28.0, 28.0]");
    fails(
        &text,
        "min_green = 0.5",
        "city.node[x].min_green",
        &["`min_green` (0.5) leaves no effective green at node `x`"],
    );
    let text = intersection("all_red = -1.0\n", "", NS);
    fails(&text, "all_red = -1.0", "city.all_red", &["`all_red` must be a finite number >= 0"]);
}

#[test]
fn fixed_time_greens_must_fit_the_phases_and_the_cycle() {
    let text = base().replace("greens = [25.0, 25.0]", "greens = [25.0, 20.0, 5.0]");
    fails(
        &text,
        "greens",
        "city.signal.greens",
        &["`greens` gives 3 displayed greens but node `x` has 2 phases"],
    );
    let text = base().replace("greens = [25.0, 25.0]", "greens = [27.0, 25.0]");
    fails(
        &text,
        "greens",
        "city.signal.greens",
        &[
            "`greens` (27 + 25) plus yellow and all-red (2 × 5) make a cycle of 62 s at node `x`, but `cycle` is 60 s",
        ],
    );
}

#[test]
fn unknown_words() {
    let text = intersection("discharge = \"slot\"\n", "", NS);
    let e = fails(&text, "\"slot\"", "city.discharge", &["expected slotted or continuous, found `slot`"]);
    assert_eq!(e.suggestion.as_deref(), Some("slotted"));
    let text = intersection("", "", &format!("{NS}arrivals = \"poison\"\n"));
    let e = fails(
        &text,
        "\"poison\"",
        "city.flow[ns].arrivals",
        &["expected poisson or deterministic, found `poison`"],
    );
    assert_eq!(e.suggestion.as_deref(), Some("poisson"));
    let text = intersection("gridlock = \"stop\"\n", "", NS);
    fails(&text, "\"stop\"", "city.gridlock", &["expected flag or release, found `stop`"]);
    let text = intersection("colour = 1\n", "", NS);
    fails(&text, "colour", "city.colour", &["unknown key `colour`"]);
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

// ---- grid ----------------------------------------------------------------------------------

fn grid(keys: &str) -> Result<CityConfig, ScenarioError> {
    city(&format!(
        "[city]\n[city.network]\nkind = \"grid\"\n{keys}\n[[city.flow]]\nname = \"f\"\nfrom = \"left0\"\nto = \"right0\"\nrate = 100.0\n"
    ))
}

#[test]
fn grid_names_and_coordinates_follow_netgenerate() {
    // netgenerate --grid --grid.number 3 --grid.length 300 --grid.attach-length 300 (SUMO 1.15):
    // 48 edges, A0 at (300, 300), top0 at (300, 1200), right2 at (1200, 900).
    let c = grid("rows = 3\ncols = 3\n").unwrap();
    let net = &c.network;
    assert_eq!(net.links.len(), 48);
    let names: Vec<&str> = net.links.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        &names[..6],
        ["A0A1", "A0B0", "A0bottom0", "A0left0", "A1A0", "A1A2"],
        "netgenerate's edge order"
    );
    assert_eq!(names[47], "top2C2");
    let at = |n: &str| net.nodes.iter().find(|x| x.name == n).and_then(|x| x.at).unwrap();
    assert_eq!(
        (at("A0"), at("C2"), at("top0"), at("right2"), at("bottom1"), at("left1")),
        ([300.0, 300.0], [900.0, 900.0], [300.0, 1200.0], [1200.0, 900.0], [600.0, 0.0], [0.0, 600.0])
    );
    let first: Vec<&str> = net.nodes.iter().take(4).map(|n| n.name.as_str()).collect();
    assert_eq!(first, ["A0", "A1", "A2", "B0"]);
    assert_eq!(net.nodes.iter().filter(|n| n.control.is_some()).count(), 9);
    let l = &net.links[1];
    assert_eq!((l.length, l.lanes, l.speed, l.saturation, l.storage), (300.0, 2, 13.89, 1800.0, 80));
    // Two phases: N+S then E+W, every left permitted (4 per junction), 12 movements each.
    assert_eq!(net.movements.len(), 9 * 12);
    let permitted = net.movements.iter().filter(|m| m.permitted_factor == 0.5).count();
    assert_eq!(permitted, 9 * 4);
    let a0 = net.nodes[0].control.as_ref().unwrap();
    let arm = |m: u32| net.links[net.movements[m as usize].from as usize].name.as_str();
    let mut ns: Vec<&str> = a0.phases[0].iter().map(|&m| arm(m)).collect();
    ns.dedup();
    assert_eq!(ns, ["A1A0", "bottom0A0"]);
    assert_eq!(
        c.flows[0].path,
        PathSpec::Fixed(vec![
            names.iter().position(|n| *n == "left0A0").unwrap() as u32,
            1,
            names.iter().position(|n| *n == "B0C0").unwrap() as u32,
            names.iter().position(|n| *n == "C0right0").unwrap() as u32
        ])
    );
}

#[test]
fn grid_four_phases_protect_lefts() {
    let c = grid("rows = 2\ncols = 2\nphases = \"four\"\nlanes = 1\nblock = 150.0\nfringe = 75.0\n").unwrap();
    assert!(c.network.movements.iter().all(|m| m.permitted_factor == 1.0));
    let p = &c.network.nodes[0].control.as_ref().unwrap().phases;
    assert_eq!(p.iter().map(Vec::len).collect::<Vec<_>>(), [4, 2, 4, 2]);
    assert_eq!(c.network.links[0].storage, 20);
}

#[test]
fn column_codes_match_netgenerate() {
    assert_eq!(column_code(0, 3), "A");
    assert_eq!(column_code(25, 26), "Z");
    assert_eq!((column_code(0, 27), column_code(26, 27)), ("AA".to_owned(), "BA".to_owned()));
    assert_eq!((column_code(0, 30), column_code(29, 30)), ("AA".to_owned(), "BD".to_owned()));
}

#[test]
fn grid_errors() {
    let e = grid("rows = 0\ncols = 3\n").unwrap_err();
    assert_eq!(e.key, "city.network.rows");
    assert!(e.message.contains("`rows` must be an integer from 1 to 1000, found 0"), "{e}");
    let e = grid("rows = 2\ncols = 3\nblock = -300.0\n").unwrap_err();
    assert_eq!(e.key, "city.network.block");
    assert!(e.message.contains("`block` must be a finite number > 0"), "{e}");
    let e = grid("rows = 2\ncols = 3\nphases = \"three\"\n").unwrap_err();
    assert_eq!(e.key, "city.network.phases");
    let e = city("[city.network]\nkind = \"ring\"\nrows = 2\ncols = 2\n").unwrap_err();
    assert_eq!(e.key, "city.network.kind");
    assert!(e.message.contains("expected grid, found `ring`"), "{e}");
    let with_links = format!("{}{}", "rows = 2\ncols = 2\n", "");
    let text = format!("[city]\n[city.network]\nkind = \"grid\"\n{with_links}\n{}", link("a", "b", "A0"));
    let e = city(&text).unwrap_err();
    assert_eq!(e.key, "city.link");
    assert!(e.message.contains("generates the nodes and links"), "{e}");
}

// ---- shortest paths ------------------------------------------------------------------------

/// Every simple path from `from` to `to` with its cost in µs, by brute force.
fn all_paths(net: &NetworkConfig, from: u32, to: u32) -> Vec<(u64, Vec<u32>)> {
    fn go(
        net: &NetworkConfig,
        at: u32,
        to: u32,
        seen: &mut Vec<u32>,
        path: &mut Vec<u32>,
        out: &mut Vec<(u64, Vec<u32>)>,
    ) {
        for (i, l) in net.links.iter().enumerate() {
            let i = i as u32;
            if l.from != at || seen.contains(&l.to) {
                continue;
            }
            if let Some(&last) = path.last() {
                let turns = net.movements.iter().any(|m| m.from == last && m.to == i);
                if !turns {
                    continue;
                }
            }
            path.push(i);
            if l.to == to {
                let cost = path.iter().map(|&k| {
                    let l = &net.links[k as usize];
                    ((l.length / l.speed * 1e6).round() as u64).max(1)
                });
                out.push((cost.sum(), path.clone()));
            } else if net.nodes[l.to as usize].control.is_some() {
                seen.push(l.to);
                go(net, l.to, to, seen, path, out);
                seen.pop();
            }
            path.pop();
        }
    }
    let mut out = Vec::new();
    go(net, from, to, &mut vec![from], &mut Vec::new(), &mut out);
    out
}

#[test]
fn shortest_paths_break_ties_by_the_smallest_link_sequence() {
    let c = grid("rows = 3\ncols = 3\n").unwrap();
    let net = &c.network;
    let boundary: Vec<u32> =
        (0..net.nodes.len() as u32).filter(|&n| net.nodes[n as usize].control.is_none()).collect();
    let mut ties = 0;
    for &a in &boundary {
        for &b in &boundary {
            if a == b {
                assert_eq!(shortest_path(net, a, b), None);
                continue;
            }
            let mut paths = all_paths(net, a, b);
            paths.sort();
            let best = paths.first().cloned().map(|(_, p)| p);
            ties += usize::from(paths.len() > 1 && paths[0].0 == paths[1].0);
            assert_eq!(
                shortest_path(net, a, b),
                best,
                "{} → {}",
                net.nodes[a as usize].name,
                net.nodes[b as usize].name
            );
        }
    }
    assert!(ties > 20, "the grid has many equal paths: {ties}");
}

#[test]
fn shortest_paths_prefer_faster_links() {
    // Two ways from `o` to `d`: via `a` (2 × 100 m at 10 m/s) or via `b` (2 × 100 m at 20 m/s).
    let mut t = String::from(
        "[city]\n[[city.node]]\nname = \"a\"\nphases = [[\"oa\"]]\n[[city.node]]\nname = \"b\"\nphases = [[\"ob\"]]\n",
    );
    for (name, from, to, speed) in
        [("oa", "o", "a", 10.0), ("ad", "a", "d", 10.0), ("ob", "o", "b", 20.0), ("bd", "b", "d", 20.0)]
    {
        t.push_str(
            &link(name, from, to)
                .replace("speed = 15.0", &format!("speed = {speed:?}"))
                .replace("150.0", "100.0"),
        );
    }
    t.push_str("[[city.flow]]\nname = \"f\"\nfrom = \"o\"\nto = \"d\"\nrate = 60.0\n");
    assert_eq!(city(&t).unwrap().flows[0].path, PathSpec::Fixed(vec![2, 3]));
}

// ---- trips -----------------------------------------------------------------------------------

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
    let net = super::network::Net::new(c.network);
    let route = "left0A0 A0B0 B0C0 C0D0 D0E0 E0F0 F0G0 G0H0 H0I0 I0J0 J0right0";
    let mut csv = String::from("depart,route\n");
    for k in 0..100_000 {
        csv.push_str(&format!("{},{route}\n", f64::from(k) * 0.036));
    }
    let got = super::trips::parse(&net, &csv).unwrap();
    assert_eq!(got.len(), 100_000);
    assert_eq!(got[99_999].path.len(), 11);
}
