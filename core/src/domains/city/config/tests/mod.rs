//! Unit tests of `[city]` validation (the network and signals in `network.rs`, demand in
//! `demand.rs`), through [`parse`] on a scenario text (the domain is not
//! registered in the loader yet, so the context is built here as the loader builds it).

use std::path::Path;

use toml::de::DeTable;

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

/// A flow of 60 veh/h along `route`.
fn flow(name: &str, from: &str, to: &str) -> String {
    format!("[[city.flow]]\nname = \"{name}\"\nroute = [\"{from}\", \"{to}\"]\nrate = 60.0\n")
}

fn base() -> String {
    intersection("", "", NS)
}

/// Coordinates for the intersection: x at the origin, arms 150 m away.
const POINTS: &str = "[[city.point]]\nname = \"north\"\nat = [0.0, 150.0]\n[[city.point]]\nname = \"south\"\nat = [0.0, -150.0]\n\
[[city.point]]\nname = \"east\"\nat = [150.0, 0.0]\n[[city.point]]\nname = \"west\"\nat = [-150.0, 0.0]\n";

fn grid(keys: &str) -> Result<CityConfig, ScenarioError> {
    city(&format!(
        "[city]\n[city.network]\nkind = \"grid\"\n{keys}\n[[city.flow]]\nname = \"f\"\nfrom = \"left0\"\nto = \"right0\"\nrate = 100.0\n"
    ))
}

mod demand;
mod network;

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
