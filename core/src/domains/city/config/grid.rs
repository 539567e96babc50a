//! The grid generator `[city.network] kind = "grid"`: the network SUMO's
//! `netgenerate --grid --grid.x-number cols --grid.y-number rows --grid.length block
//! --grid.attach-length fringe` builds, with the same names so that SUMO trips map 1:1.
//!
//! - Junction `(c, r)` (column c from the west, row r from the south) is named by the column's
//!   letters and the row's number: `A0`, `B0`, …, `J9`. With more than 26 columns every column
//!   gets as many letters as the largest needs (`AA0` … `BD0` for 30), as netgenerate does.
//!   It stands at x = fringe + c·block, y = fringe + r·block \[m\].
//! - Fringe (boundary) nodes: `left<r>` at x = 0, `right<r>` at x = 2·fringe + (cols − 1)·block,
//!   `bottom<c>` at y = 0, `top<c>` at y = 2·fringe + (rows − 1)·block.
//! - A link is named by its ends: `A0B0`, `left0A0`, `A0left0`; a street between junctions is
//!   `block` long, one to or from the fringe `fringe` long. Links are ordered by name (byte
//!   order), which is the order of the edges in netgenerate's `.net.xml`.
//! - Junctions are ordered A0, A1, …, B0, …; boundary nodes by their first link.
//! - Phases: `two` gives green to the north and south approaches (every movement, left turns
//!   permitted), then to east and west; `four` to north–south through and right, north–south
//!   left, east–west through and right, east–west left.

use serde::Deserialize;
use toml::Spanned;

use super::network::{Layout, Signals, movements, storage_of};
use super::parse::{RawCity, positive, word};
use super::{DOMAIN, LinkConfig, NodeConfig};
use crate::validate::{ScenarioError, ValidationCtx};

/// Most junctions per side: a typo such as `rows = 100000` must be an input error, not an
/// allocation of 10¹⁰ nodes.
pub const MAX_SIDE: i64 = 300;

/// `[city.network]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGrid {
    kind: Spanned<String>,
    rows: Spanned<i64>,
    cols: Spanned<i64>,
    block: Option<Spanned<f64>>,
    fringe: Option<Spanned<f64>>,
    lanes: Option<Spanned<u32>>,
    speed: Option<Spanned<f64>>,
    saturation: Option<Spanned<f64>>,
    phases: Option<Spanned<String>>,
}

/// The phase plan of every generated junction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plan {
    /// North–south, then east–west; lefts permitted.
    Two,
    /// Protected lefts: NS through/right, NS left, EW through/right, EW left.
    Four,
}

/// The generated junctions' phases (movement indices) and permitted lefts, per junction.
pub(super) struct GridPhases<'r> {
    /// The `[city.network]` table, to locate errors.
    pub(super) raw: &'r Spanned<RawGrid>,
    /// Phases of each junction.
    pub(super) phases: Vec<Vec<Vec<u32>>>,
    /// Permitted (yielding) left turns of each junction.
    pub(super) permitted: Vec<Vec<u32>>,
}

/// The letters of column `i` of `cols`: one letter up to 26 columns, else as many as the
/// largest column needs, for every column (netgenerate's naming).
pub(super) fn column_code(i: usize, cols: usize) -> String {
    let mut len = 1;
    let mut capacity = 26usize;
    while capacity < cols {
        len += 1;
        capacity = capacity.saturating_mul(26);
    }
    let mut letters = vec![b'A'; len];
    let mut rest = i;
    for slot in letters.iter_mut().rev() {
        *slot = b'A' + (rest % 26) as u8;
        rest /= 26;
    }
    String::from_utf8(letters).unwrap_or_default()
}

/// A fringe node's name and coordinates \[m\].
type Fringe = (String, [f64; 2]);

/// Compass direction of a neighbour seen from a junction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    E,
    N,
    W,
    S,
}

impl Dir {
    /// Counter-clockwise quarter turns from east.
    fn quarter(self) -> i32 {
        match self {
            Dir::E => 0,
            Dir::N => 1,
            Dir::W => 2,
            Dir::S => 3,
        }
    }
}

/// The generated network.
pub(super) fn layout<'r>(
    ctx: &ValidationCtx<'_>,
    g: &'r Spanned<RawGrid>,
    raw: &RawCity,
) -> Result<Layout<'r>, ScenarioError> {
    let explicit =
        [("node", raw.node.as_ref().map(Spanned::span)), ("link", raw.link.as_ref().map(Spanned::span))];
    let point = ("point", raw.point.as_ref().map(Spanned::span));
    for (table, span) in explicit.into_iter().chain([point]) {
        if let Some(span) = span {
            return Err(ctx.error_with_key(
                &span,
                format!("{DOMAIN}.{table}"),
                format!("`[city.network]` generates the nodes and links: remove the `[[city.{table}]]` tables or the generator"),
            ));
        }
    }
    let grid = g.get_ref();
    word(ctx, &grid.kind, &[("grid", ())])?;
    let side = |v: &Spanned<i64>, key: &str| -> Result<usize, ScenarioError> {
        match usize::try_from(*v.get_ref()) {
            Ok(n) if (1..=MAX_SIDE as usize).contains(&n) => Ok(n),
            _ => Err(ctx.error(
                &v.span(),
                format!("`{key}` must be an integer from 1 to {MAX_SIDE}, found {}", v.get_ref()),
            )),
        }
    };
    let rows = side(&grid.rows, "rows")?;
    let cols = side(&grid.cols, "cols")?;
    let or = |v: &Option<Spanned<f64>>, key: &str, default: f64| {
        v.as_ref().map_or(Ok(default), |v| positive(ctx, v, key))
    };
    let block = or(&grid.block, "block", 300.0)?;
    let fringe = or(&grid.fringe, "fringe", 300.0)?;
    let speed = or(&grid.speed, "speed", 13.89)?;
    let saturation = or(&grid.saturation, "saturation", 1800.0)?;
    let lanes = match &grid.lanes {
        None => 2,
        Some(l) if *l.get_ref() == 0 => {
            return Err(ctx.error(&l.span(), "`lanes` must be an integer >= 1, found 0"));
        }
        Some(l) => *l.get_ref(),
    };
    let plan = match &grid.phases {
        None => Plan::Two,
        Some(p) => word(ctx, p, &[("two", Plan::Two), ("four", Plan::Four)])?,
    };
    for (length, key, span) in [(block, "block", &grid.block), (fringe, "fringe", &grid.fringe)] {
        if storage_of(lanes, length) == 0 {
            let span = span.as_ref().map_or_else(|| g.span(), Spanned::span);
            return Err(ctx.error(
                &span,
                format!("a `{key}` of {length} m holds ⌊{lanes}·{length}/7.5⌋ = 0 vehicles per link: make it longer"),
            ));
        }
    }

    // Junctions, then fringe nodes in a fixed order; node indices are assigned afterwards.
    let junction = |c: usize, r: usize| format!("{}{r}", column_code(c, cols));
    let x = |c: usize| fringe + c as f64 * block;
    let y = |r: usize| fringe + r as f64 * block;
    let (x_max, y_max) = (2.0 * fringe + (cols - 1) as f64 * block, 2.0 * fringe + (rows - 1) as f64 * block);
    let mut names: Vec<(String, [f64; 2])> = Vec::with_capacity(rows * cols);
    for c in 0..cols {
        for r in 0..rows {
            names.push((junction(c, r), [x(c), y(r)]));
        }
    }
    // The neighbour of junction (c, r) in each direction: (name, at, is_fringe).
    let neighbour = |c: usize, r: usize, d: Dir| -> (String, [f64; 2], bool) {
        match d {
            Dir::E if c + 1 < cols => (junction(c + 1, r), [x(c + 1), y(r)], false),
            Dir::E => (format!("right{r}"), [x_max, y(r)], true),
            Dir::W if c > 0 => (junction(c - 1, r), [x(c - 1), y(r)], false),
            Dir::W => (format!("left{r}"), [0.0, y(r)], true),
            Dir::N if r + 1 < rows => (junction(c, r + 1), [x(c), y(r + 1)], false),
            Dir::N => (format!("top{c}"), [x(c), y_max], true),
            Dir::S if r > 0 => (junction(c, r - 1), [x(c), y(r - 1)], false),
            Dir::S => (format!("bottom{c}"), [x(c), 0.0], true),
        }
    };
    // (link name, from name, to name, length, fringe end with its coordinates)
    let mut raw_links: Vec<(String, String, String, f64, Option<Fringe>)> = Vec::new();
    for c in 0..cols {
        for r in 0..rows {
            let here = junction(c, r);
            for d in [Dir::E, Dir::N, Dir::W, Dir::S] {
                let (there, at, is_fringe) = neighbour(c, r, d);
                let length = if is_fringe { fringe } else { block };
                let end = is_fringe.then(|| (there.clone(), at));
                raw_links.push((format!("{here}{there}"), here.clone(), there.clone(), length, end.clone()));
                if is_fringe {
                    raw_links.push((format!("{there}{here}"), there, here.clone(), length, end));
                }
            }
        }
    }
    raw_links.sort_by(|a, b| a.0.cmp(&b.0));

    let junctions = names.len();
    let mut index: std::collections::HashMap<String, u32> =
        names.iter().enumerate().map(|(i, (n, _))| (n.clone(), i as u32)).collect();
    let mut links = Vec::with_capacity(raw_links.len());
    for (name, from, to, length, end) in raw_links {
        if let Some((fringe_name, at)) = end {
            index.entry(fringe_name.clone()).or_insert_with(|| {
                names.push((fringe_name, at));
                (names.len() - 1) as u32
            });
        }
        let (from, to) = (index[&from], index[&to]);
        let storage = storage_of(lanes, length);
        links.push(LinkConfig { name, from, to, length, lanes, speed, saturation, storage });
    }
    let nodes: Vec<NodeConfig> =
        names.into_iter().map(|(name, at)| NodeConfig { name, at: Some(at), control: None }).collect();
    let movements = movements(nodes.len(), junctions, &links);

    // Phases from the compass direction of each movement's ends.
    let dir_of = |node: u32, other: u32| -> Dir {
        let (a, b) =
            (nodes[node as usize].at.unwrap_or_default(), nodes[other as usize].at.unwrap_or_default());
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        if dx.abs() >= dy.abs() {
            if dx > 0.0 { Dir::E } else { Dir::W }
        } else if dy > 0.0 {
            Dir::N
        } else {
            Dir::S
        }
    };
    let count = match plan {
        Plan::Two => 2,
        Plan::Four => 4,
    };
    let mut phases = vec![vec![Vec::new(); count]; junctions];
    let mut permitted = vec![Vec::new(); junctions];
    for (m, mv) in movements.iter().enumerate() {
        let node = mv.node;
        let from = dir_of(node, links[mv.from as usize].from);
        let to = dir_of(node, links[mv.to as usize].to);
        // Heading in is opposite the arm it comes from; a left turn ends one quarter
        // counter-clockwise of straight on.
        let turn = (to.quarter() - (from.quarter() + 2)).rem_euclid(4);
        let left = turn == 1;
        let ns = matches!(from, Dir::N | Dir::S);
        let phase = match (plan, ns, left) {
            (Plan::Two, true, _) => 0,
            (Plan::Two, false, _) => 1,
            (Plan::Four, true, false) => 0,
            (Plan::Four, true, true) => 1,
            (Plan::Four, false, false) => 2,
            (Plan::Four, false, true) => 3,
        };
        phases[node as usize][phase].push(m as u32);
        if plan == Plan::Two && left {
            permitted[node as usize].push(m as u32);
        }
    }
    Ok(Layout {
        nodes,
        junctions,
        links,
        movements,
        signals: Signals::Grid(GridPhases { raw: g, phases, permitted }),
    })
}
