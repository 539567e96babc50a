//! Nodes, links and movements of an explicit network (`[[city.node]]`, `[[city.link]]`,
//! `[[city.point]]`), the lookup tables the later stages share, and the shortest free-flow path.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::grid::GridPhases;
use super::parse::{RawCity, positive, unique};
use super::{DOMAIN, LinkConfig, MovementConfig, NetworkConfig, NodeConfig};
use crate::util::suggest::nearest;
use crate::validate::{RawPluginTable, ScenarioError, ValidationCtx};

/// Length of road one vehicle occupies in a queue \[m\]: storage = ⌊lanes·length/7.5⌋.
pub const VEHICLE_SPACE: f64 = 7.5;

/// A `[[city.node]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNode {
    pub(super) name: Spanned<String>,
    pub(super) phases: Spanned<Vec<Spanned<Vec<Spanned<String>>>>>,
    pub(super) signal: Option<Spanned<RawPluginTable>>,
    pub(super) at: Option<Spanned<Vec<f64>>>,
    pub(super) min_green: Option<Spanned<f64>>,
    pub(super) max_green: Option<Spanned<f64>>,
    pub(super) yellow: Option<Spanned<f64>>,
    pub(super) all_red: Option<Spanned<f64>>,
    pub(super) startup_lost: Option<Spanned<f64>>,
    pub(super) clearance_lost: Option<Spanned<f64>>,
    pub(super) permitted: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A `[[city.link]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLink {
    name: Spanned<String>,
    from: Spanned<String>,
    to: Spanned<String>,
    length: Spanned<f64>,
    lanes: Spanned<u32>,
    speed: Spanned<f64>,
    saturation: Spanned<f64>,
    storage: Option<Spanned<u32>>,
}

/// A `[[city.point]]`: coordinates of a boundary node.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPoint {
    name: Spanned<String>,
    at: Spanned<Vec<f64>>,
}

/// Where the signals of the junctions come from.
pub(super) enum Signals<'r> {
    /// `[[city.node]]` tables, one per junction in node order.
    Explicit(Vec<&'r RawNode>),
    /// The grid generator's phases.
    Grid(GridPhases<'r>),
}

/// The network before its signals are resolved (every node's `control` is `None`).
pub(super) struct Layout<'r> {
    /// Junctions first (`nodes[..junctions]`), then boundary nodes.
    pub(super) nodes: Vec<NodeConfig>,
    /// Number of signalised junctions.
    pub(super) junctions: usize,
    /// Links in index order.
    pub(super) links: Vec<LinkConfig>,
    /// Movements, `permitted_factor` 1 until the signals say otherwise.
    pub(super) movements: Vec<MovementConfig>,
    /// Where the phases come from.
    pub(super) signals: Signals<'r>,
}

impl Layout<'_> {
    /// The validated network with its lookup tables.
    pub(super) fn finish(self) -> Net {
        Net::new(NetworkConfig { nodes: self.nodes, links: self.links, movements: self.movements })
    }
}

/// A validated network and the lookups the demand stages need.
pub(super) struct Net {
    /// The network.
    pub(super) config: NetworkConfig,
    /// Link index by name.
    pub(super) link_by_name: HashMap<String, u32>,
    /// Node index by name.
    pub(super) node_by_name: HashMap<String, u32>,
    /// Movements from each link (a contiguous range; empty for links into a boundary node).
    pub(super) moves: Vec<Range<u32>>,
    /// Links out of each node, in index order.
    pub(super) outs: Vec<Vec<u32>>,
    /// Links into each node, in index order.
    pub(super) ins: Vec<Vec<u32>>,
    /// Whether some phase of its node gives the movement green.
    pub(super) served: Vec<bool>,
}

impl Net {
    pub(super) fn new(config: NetworkConfig) -> Self {
        let (ins, outs) = adjacency(&config);
        let moves = movement_ranges(&config);
        let served = served(&config);
        let link_by_name = config.links.iter().enumerate().map(|(i, l)| (l.name.clone(), i as u32)).collect();
        let node_by_name = config.nodes.iter().enumerate().map(|(i, n)| (n.name.clone(), i as u32)).collect();
        Net { config, link_by_name, node_by_name, moves, outs, ins, served }
    }

    /// The node's name.
    pub(super) fn node(&self, i: u32) -> &str {
        &self.config.nodes[i as usize].name
    }

    /// The link's name.
    pub(super) fn link(&self, i: u32) -> &str {
        &self.config.links[i as usize].name
    }

    /// Whether node `i` is a boundary node (origin or destination).
    pub(super) fn is_boundary(&self, i: u32) -> bool {
        self.config.nodes[i as usize].control.is_none()
    }

    /// The movement from link `from` into link `to`, if there is one.
    pub(super) fn movement(&self, from: u32, to: u32) -> Option<u32> {
        self.moves[from as usize].clone().find(|&m| self.config.movements[m as usize].to == to)
    }

    /// "`a`, `b`" for link indices.
    pub(super) fn link_list(&self, links: &[u32]) -> String {
        crate::util::suggest::list(links.iter().map(|&l| self.link(l)))
    }
}

/// Links into and out of each node, in index order.
fn adjacency(net: &NetworkConfig) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    let mut ins = vec![Vec::new(); net.nodes.len()];
    let mut outs = vec![Vec::new(); net.nodes.len()];
    for (i, l) in net.links.iter().enumerate() {
        outs[l.from as usize].push(i as u32);
        ins[l.to as usize].push(i as u32);
    }
    (ins, outs)
}

/// The range of movements from each link (movements are grouped by in-link).
fn movement_ranges(net: &NetworkConfig) -> Vec<Range<u32>> {
    let mut moves = vec![0..0; net.links.len()];
    for (m, mv) in net.movements.iter().enumerate() {
        let r = &mut moves[mv.from as usize];
        if r.start == r.end {
            *r = m as u32..m as u32 + 1;
        } else {
            r.end = m as u32 + 1;
        }
    }
    moves
}

/// Whether some phase gives each movement green.
fn served(net: &NetworkConfig) -> Vec<bool> {
    let mut served = vec![false; net.movements.len()];
    for n in &net.nodes {
        for &m in n.control.iter().flat_map(|c| c.phases.iter().flatten()) {
            served[m as usize] = true;
        }
    }
    served
}

/// The movements of a network: at each junction, every (in-link → out-link) pair except
/// U-turns, grouped by node, then in-link, then out-link, in index order.
pub(super) fn movements(nodes: usize, junctions: usize, links: &[LinkConfig]) -> Vec<MovementConfig> {
    let mut ins = vec![Vec::new(); nodes];
    let mut outs = vec![Vec::new(); nodes];
    for (i, l) in links.iter().enumerate() {
        outs[l.from as usize].push(i as u32);
        ins[l.to as usize].push(i as u32);
    }
    let mut movements = Vec::new();
    for node in 0..junctions {
        for &i in &ins[node] {
            for &o in &outs[node] {
                if links[o as usize].to != links[i as usize].from {
                    movements.push(MovementConfig {
                        node: node as u32,
                        from: i,
                        to: o,
                        permitted_factor: 1.0,
                    });
                }
            }
        }
    }
    movements
}

/// Coordinates `[x, y]`: two finite numbers.
pub(super) fn coordinates(
    ctx: &ValidationCtx<'_>,
    at: &Spanned<Vec<f64>>,
) -> Result<[f64; 2], ScenarioError> {
    match at.get_ref().as_slice() {
        [x, y] if x.is_finite() && y.is_finite() => Ok([*x, *y]),
        v => {
            Err(ctx
                .error(&at.span(), format!("`at` must be two finite coordinates [x, y] in m, found {v:?}")))
        }
    }
}

/// The explicit network: junctions from `[[city.node]]`, boundary nodes from the links' ends,
/// links with their checks, movements.
pub(super) fn layout<'r>(
    ctx: &ValidationCtx<'_>,
    whole: &Range<usize>,
    raw: &'r RawCity,
) -> Result<Layout<'r>, ScenarioError> {
    let nodes: Vec<&RawNode> = raw.node.iter().flat_map(|n| n.get_ref()).map(Spanned::get_ref).collect();
    let links: Vec<&RawLink> = raw.link.iter().flat_map(|l| l.get_ref()).map(Spanned::get_ref).collect();
    if nodes.is_empty() {
        let span = raw.node.as_ref().map_or_else(|| whole.clone(), Spanned::span);
        return Err(ctx.error_with_key(
            &span,
            format!("{DOMAIN}.node"),
            "at least one `[[city.node]]` (a signalised junction) is required, or a generated `[city.network]`",
        ));
    }
    if links.is_empty() {
        let span = raw.link.as_ref().map_or_else(|| whole.clone(), Spanned::span);
        return Err(ctx.error_with_key(
            &span,
            format!("{DOMAIN}.link"),
            "at least one `[[city.link]]` is required",
        ));
    }
    let junction_names = unique(ctx, "node", nodes.iter().map(|n| &n.name))?;
    unique(ctx, "link", links.iter().map(|l| &l.name))?;

    // Boundary nodes: every other name a link mentions, in order of first mention.
    let mut names: Vec<&str> = junction_names.clone();
    let mut index: HashMap<&str, u32> = names.iter().enumerate().map(|(i, n)| (*n, i as u32)).collect();
    let mut node_of = |name: &'r str, names: &mut Vec<&'r str>| -> u32 {
        *index.entry(name).or_insert_with(|| {
            names.push(name);
            (names.len() - 1) as u32
        })
    };
    let junctions = junction_names.len();
    let mut link_configs = Vec::with_capacity(links.len());
    for link in &links {
        let name = link.name.get_ref();
        let from = node_of(link.from.get_ref(), &mut names);
        let to = node_of(link.to.get_ref(), &mut names);
        if from == to {
            return Err(ctx.error(
                &link.to.span(),
                format!("link `{name}` starts and ends at node `{}`", link.to.get_ref()),
            ));
        }
        if from as usize >= junctions && to as usize >= junctions {
            // An unknown name is taken for a boundary node: a typo in a junction's name makes
            // a link between two boundaries, which no vehicle could use.
            let (at, suggestion) = match close_name(link.to.get_ref(), &junction_names) {
                Some(s) => (&link.to, Some(s)),
                None => (&link.from, close_name(link.from.get_ref(), &junction_names)),
            };
            let at = if suggestion.is_some() { at } else { &link.to };
            return Err(ctx
                .error(
                    &at.span(),
                    format!(
                        "link `{name}` joins `{}` and `{}`, neither of which is a [[city.node]]",
                        link.from.get_ref(),
                        link.to.get_ref()
                    ),
                )
                .with_suggestion(suggestion));
        }
        let length = positive(ctx, &link.length, "length")?;
        let lanes = *link.lanes.get_ref();
        if lanes == 0 {
            return Err(ctx.error(&link.lanes.span(), "`lanes` must be an integer >= 1, found 0"));
        }
        let speed = positive(ctx, &link.speed, "speed")?;
        let saturation = positive(ctx, &link.saturation, "saturation")?;
        let storage = match &link.storage {
            Some(s) if *s.get_ref() == 0 => {
                return Err(ctx.error(&s.span(), "`storage` must be an integer >= 1 (vehicles), found 0"));
            }
            Some(s) => *s.get_ref(),
            None => {
                let k = storage_of(lanes, length);
                if k == 0 {
                    return Err(ctx.error(
                        &link.length.span(),
                        format!(
                            "link `{name}` holds ⌊{lanes}·{length}/{VEHICLE_SPACE}⌋ = 0 vehicles: give `storage` >= 1 or a \
                             longer link"
                        ),
                    ));
                }
                k
            }
        };
        link_configs.push(LinkConfig {
            name: name.clone(),
            from,
            to,
            length,
            lanes,
            speed,
            saturation,
            storage,
        });
    }

    let mut node_configs: Vec<NodeConfig> =
        names.iter().map(|n| NodeConfig { name: (*n).to_owned(), at: None, control: None }).collect();
    for (node, config) in nodes.iter().zip(&mut node_configs) {
        config.at = node.at.as_ref().map(|a| coordinates(ctx, a)).transpose()?;
    }
    let points: Vec<&RawPoint> = raw.point.iter().flat_map(|p| p.get_ref()).map(Spanned::get_ref).collect();
    unique(ctx, "point", points.iter().map(|p| &p.name))?;
    for point in points {
        let name = point.name.get_ref();
        match names.iter().position(|n| n == name) {
            Some(i) if i >= junctions => node_configs[i].at = Some(coordinates(ctx, &point.at)?),
            Some(_) => {
                return Err(ctx.error(
                    &point.name.span(),
                    format!("`{name}` is a [[city.node]]: give its coordinates as `at` there; points are for boundary nodes"),
                ));
            }
            None => {
                let boundary = names.get(junctions..).unwrap_or_default().iter().copied();
                return Err(ctx
                    .error(&point.name.span(), format!("point `{name}` is not an end of any link"))
                    .with_suggestion(nearest(name, boundary)));
            }
        }
    }
    for (i, node) in nodes.iter().enumerate() {
        let (has_in, has_out) = (
            link_configs.iter().any(|l| l.to as usize == i),
            link_configs.iter().any(|l| l.from as usize == i),
        );
        if !has_in || !has_out {
            let missing = if has_in { "leaves" } else { "enters" };
            return Err(ctx.error(
                &node.name.span(),
                format!(
                    "no link {missing} node `{}`: a junction needs links in and out",
                    node.name.get_ref()
                ),
            ));
        }
    }
    let movements = movements(node_configs.len(), junctions, &link_configs);
    Ok(Layout {
        nodes: node_configs,
        junctions,
        links: link_configs,
        movements,
        signals: Signals::Explicit(nodes),
    })
}

/// The junction name `word` was probably meant to be: [`nearest`], or one edit away from a
/// longer word (junctions often have one-letter names: `xx` for `x`).
fn close_name<'n>(word: &str, junctions: &[&'n str]) -> Option<&'n str> {
    nearest(word, junctions.iter().copied()).or_else(|| {
        let long = word.chars().count() > 1;
        junctions.iter().copied().find(|j| long && crate::util::suggest::distance(word, j) == 1)
    })
}

/// ⌊lanes·length/7.5⌋, saturated at `u32::MAX` (an absurdly long link simply never fills).
pub(super) fn storage_of(lanes: u32, length: f64) -> u32 {
    let k = (f64::from(lanes) * length / VEHICLE_SPACE).floor();
    if k >= f64::from(u32::MAX) { u32::MAX } else { k as u32 }
}

/// Free-flow time of a link in whole microseconds (at least 1), so that paths of equal length
/// tie exactly, whatever order their times are added in.
fn micros(link: &LinkConfig) -> u64 {
    let t = (link.length / link.speed * 1e6).round();
    if t >= 1e17 { 100_000_000_000_000_000 } else { (t as u64).max(1) }
}

/// The shortest free-flow path (Σ length/speed) from node `from` to node `to`, as link indices;
/// ties broken by the lexicographic order of the link-index sequence. `None` if there is none.
/// Paths never pass through a boundary node in between, and turn only by movements some phase
/// gives green (a movement no phase serves would hold its vehicles forever).
pub fn shortest_path(net: &NetworkConfig, from: u32, to: u32) -> Option<Vec<u32>> {
    Router::new(net).path(from, to)
}

/// Shortest paths on one network: the link graph built once for many queries.
pub(super) struct Router<'n> {
    net: &'n NetworkConfig,
    outs: Vec<Vec<u32>>,
    /// Out-links reachable from each link by a served movement, in index order.
    next: Vec<Vec<u32>>,
    cost: Vec<u64>,
}

impl<'n> Router<'n> {
    /// The link graph of `net`.
    pub(super) fn new(net: &'n NetworkConfig) -> Self {
        let (_, outs) = adjacency(net);
        let served = served(net);
        let mut next = vec![Vec::new(); net.links.len()];
        for (m, mv) in net.movements.iter().enumerate() {
            if served[m] {
                next[mv.from as usize].push(mv.to);
            }
        }
        let cost = net.links.iter().map(micros).collect();
        Router { net, outs, next, cost }
    }

    /// See [`shortest_path`].
    pub(super) fn path(&self, from: u32, to: u32) -> Option<Vec<u32>> {
        let links = &self.net.links;
        if from == to || from as usize >= self.net.nodes.len() || to as usize >= self.net.nodes.len() {
            return None;
        }
        // Dijkstra on links: dist[l] = shortest time from `from` to the end of l.
        let mut dist = vec![u64::MAX; links.len()];
        let mut heap = BinaryHeap::new();
        for &l in &self.outs[from as usize] {
            dist[l as usize] = self.cost[l as usize];
            heap.push(Reverse((dist[l as usize], l)));
        }
        let mut best = u64::MAX;
        while let Some(Reverse((d, l))) = heap.pop() {
            if d > dist[l as usize] || d > best {
                continue;
            }
            if links[l as usize].to == to {
                best = best.min(d);
                continue;
            }
            for &n in &self.next[l as usize] {
                let nd = d.saturating_add(self.cost[n as usize]);
                if nd < dist[n as usize] {
                    dist[n as usize] = nd;
                    heap.push(Reverse((nd, n)));
                }
            }
        }
        if best == u64::MAX {
            return None;
        }
        // Links on some shortest path to `to`, found backwards from the goal; then the
        // lexicographically smallest sequence is the greedy walk choosing the smallest such
        // link at every step (two shortest paths are never prefixes of one another).
        let mut order: Vec<u32> = (0..links.len() as u32).filter(|&l| dist[l as usize] <= best).collect();
        order.sort_by_key(|&l| Reverse(dist[l as usize]));
        let mut useful = vec![false; links.len()];
        for &l in &order {
            let li = l as usize;
            useful[li] = if links[li].to == to {
                dist[li] == best
            } else {
                self.next[li].iter().any(|&n| {
                    useful[n as usize] && dist[li].saturating_add(self.cost[n as usize]) == dist[n as usize]
                })
            };
        }
        let mut l = *self.outs[from as usize].iter().find(|&&l| useful[l as usize])?;
        let mut path = vec![l];
        while links[l as usize].to != to {
            let d = dist[l as usize];
            l = *self.next[l as usize].iter().find(|&&n| {
                useful[n as usize] && d.saturating_add(self.cost[n as usize]) == dist[n as usize]
            })?;
            path.push(l);
        }
        Some(path)
    }
}
