//! The network and its signals: links, nodes, phases, conflicts, timing, the grid generator
//! and shortest paths.

use super::super::grid::column_code;
use super::*;

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
fn crossing_movements_in_one_phase() {
    // Conflicts are checked among the movements that carry traffic.
    let flows = format!("{NS}{}", flow("ew", "east-in", "west-out"));
    let text = format!("{}{POINTS}", intersection("", "at = [0.0, 0.0]\n", &flows).replace("cycle = 60.0, greens = [25.0, 25.0]", "mode = \"webster\"").replace("[[\"north-in\", \"south-in\"], [\"east-in\", \"west-in\"]]", "[[\"north-in>south-out\", \"east-in>west-out\"], [\"south-in\", \"west-in\"], [\"north-in\", \"east-in\"]]"));
    fails(
        &text,
        "phases",
        "city.node[x].phases[0]",
        &["phase 0 of node `x` gives green to `north-in>south-out` and `east-in>west-out`, which cross"],
    );
    // An opposing left not marked permitted.
    let text = format!(
        "{}{POINTS}",
        intersection(
            "",
            "at = [0.0, 0.0]\n",
            &format!("{NS}{}{}", flow("ne", "north-in", "east-out"), flow("sn", "south-in", "north-out"))
        )
        .replace("\"north-in>east-out\", ", "")
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
fn movements_no_traffic_uses_are_not_checked() {
    // The example: whole approaches per phase, through traffic only, no `permitted`.
    let text = intersection("", "", NS).replace("permitted = [\"north-in>east-out\", \"south-in>west-out\", \"east-in>south-out\", \"west-in>north-out\"]\n", "");
    assert!(city(&text).is_ok());
}

#[test]
fn merging_movements_without_coordinates() {
    let flows = format!("{NS}{}{}", flow("ne", "north-in", "east-out"), flow("se", "south-in", "east-out"));
    let text = intersection("", "", &flows).replace("\"north-in>east-out\", ", "");
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
    assert!(e.message.contains("`rows` must be an integer from 1 to 300, found 0"), "{e}");
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

#[test]
fn points_and_coordinates() {
    let bad = format!("{}{}", base(), "[[city.point]]\nname = \"x\"\nat = [0.0, 0.0]\n");
    fails(
        &bad,
        "name = \"x\"\nat",
        "city.point[x].name",
        &["`x` is a [[city.node]]: give its coordinates as `at` there"],
    );
    let bad = format!("{}{}", base(), "[[city.point]]\nname = \"nort\"\nat = [0.0, 0.0]\n");
    let e =
        fails(&bad, "name = \"nort\"", "city.point[nort].name", &["point `nort` is not an end of any link"]);
    assert_eq!(e.suggestion.as_deref(), Some("north"));
    let bad = intersection("", "at = [1.0]\n", NS);
    fails(&bad, "at = [1.0]", "city.node[x].at", &["`at` must be two finite coordinates [x, y] in m"]);
    let ok = format!("{}{POINTS}", intersection("", "at = [0.0, 0.0]\n", NS));
    let c = city(&ok).unwrap();
    assert_eq!((c.network.nodes[0].at, c.network.nodes[1].at), (Some([0.0, 0.0]), Some([0.0, 150.0])));
}

#[test]
fn phases_name_movements_and_in_links_only() {
    let uturn = base().replace("[\"east-in\", \"west-in\"]]", "[\"east-in\", \"west-in>west-out\"]]");
    fails(
        &uturn,
        "phases",
        "city.node[x].phases[1][1]",
        &["names `west-in>west-out`, a U-turn, which is not a movement"],
    );
    let empty = base().replace("[\"east-in\", \"west-in\"]]", "[]]");
    fails(&empty, "phases", "city.node[x].phases[1]", &["phase 1 of node `x` is empty"]);
    let out = base().replace("[\"east-in\", \"west-in\"]]", "[\"east-in\", \"west-in>south-in\"]]");
    fails(&out, "phases", "city.node[x].phases[1][1]", &["names `south-in`, which does not leave `x`"]);
    let bad_permitted = base().replace("\"north-in>east-out\", ", "\"north-in\", ");
    fails(
        &bad_permitted,
        "permitted",
        "city.node[x].permitted[0]",
        &["lists movements as \"in-link>out-link\", found \"north-in\""],
    );
}
