//! The signals of the junctions: phases (names → movement sets), permitted lefts, the conflict
//! check of every phase, timings, and the controller of each node.
//!
//! Conflicts (when the node and the far ends of all its links have coordinates): each arm of
//! the junction (a neighbouring node, at its angle around the junction) has an entry point and
//! an exit point, the exit just clockwise of the entry (right-hand traffic). A movement is a
//! chord from its entry point to its exit point; two movements of one phase conflict when their
//! chords cross, or when they merge onto one out-link from two in-links. A left turn listed in
//! `permitted` may share its phase with the traffic from the opposite arm (it yields: its
//! saturation flow is scaled by `permitted_left_factor`). Without coordinates only merges are
//! checked, and a merge is allowed when one of the two movements is `permitted`.

use std::f64::consts::{FRAC_PI_4, PI};
use std::ops::Range;

use toml::Spanned;

use super::network::{Layout, RawNode, Signals};
use super::{NodeControl, Timing};
use crate::util::suggest::{list, nearest};
use crate::validate::{PluginRef, ScenarioError, ValidationCtx};

/// The timing keys of `[city]` (or of one node), as written.
#[derive(Clone, Copy, Default)]
pub(super) struct TimingKeys<'r> {
    pub(super) yellow: Option<&'r Spanned<f64>>,
    pub(super) all_red: Option<&'r Spanned<f64>>,
    pub(super) startup_lost: Option<&'r Spanned<f64>>,
    pub(super) clearance_lost: Option<&'r Spanned<f64>>,
    pub(super) min_green: Option<&'r Spanned<f64>>,
    pub(super) max_green: Option<&'r Spanned<f64>>,
}

/// Where a timing value came from, to locate an error about it.
#[derive(Clone)]
enum Src<'a> {
    Key(Range<usize>),
    Param(&'a PluginRef),
    Default,
}

/// One resolved timing value.
#[derive(Clone)]
struct Val<'a> {
    v: f64,
    src: Src<'a>,
}

/// Errors about one node's signal: located at the value's key, else at the node.
struct NodeErr<'c, 'a> {
    ctx: &'c ValidationCtx<'a>,
    node: &'c str,
    at: Range<usize>,
}

impl NodeErr<'_, '_> {
    fn at(&self, src: &Src<'_>, message: String) -> ScenarioError {
        match src {
            Src::Key(span) => self.ctx.error(span, message),
            Src::Param(r) => r.written.params_error(message),
            Src::Default => self.ctx.error(&self.at, message),
        }
    }
}

/// The conflict check of one junction's phases, done once the demand is known: only movements
/// some vehicle can take are checked (a phase naming an in-link gives green to all its
/// movements, and movements no traffic uses cannot conflict).
pub(super) struct PhaseCheck {
    node_name: String,
    geometry: Option<Geometry>,
    permitted: Vec<u32>,
    phases: Vec<Vec<u32>>,
    spans: Vec<Range<usize>>,
}

/// Checks the phases of every junction for conflicts between movements that carry traffic
/// (`used`, by movement index).
pub(super) fn check_conflicts(
    ctx: &ValidationCtx<'_>,
    net: &super::NetworkConfig,
    checks: &[PhaseCheck],
    used: &[bool],
) -> Result<(), ScenarioError> {
    let layout = Layout {
        nodes: net.nodes.clone(),
        junctions: checks.len(),
        links: net.links.clone(),
        movements: net.movements.clone(),
        signals: Signals::Explicit(Vec::new()),
    };
    for c in checks {
        for (p, phase) in c.phases.iter().enumerate() {
            let phase: Vec<u32> = phase.iter().copied().filter(|&m| used[m as usize]).collect();
            check_phase(
                ctx,
                &layout,
                c.geometry.as_ref(),
                &c.permitted,
                p,
                &phase,
                &c.node_name,
                &c.spans[p],
            )?;
        }
    }
    Ok(())
}

/// Resolves every junction's phases, permitted lefts, timing and controller and sets
/// `permitted_factor` on permitted lefts; returns the conflict checks to make once the demand
/// is known ([`check_conflicts`]).
pub(super) fn controls(
    ctx: &ValidationCtx<'_>,
    layout: &mut Layout<'_>,
    defaults: &TimingKeys<'_>,
    default_signal: &PluginRef,
    permitted_left_factor: f64,
) -> Result<Vec<PhaseCheck>, ScenarioError> {
    let names: std::collections::HashMap<&str, u32> =
        layout.links.iter().enumerate().map(|(i, l)| (l.name.as_str(), i as u32)).collect();
    let mut ranges = vec![0..0; layout.links.len()];
    for (m, mv) in layout.movements.iter().enumerate() {
        let r: &mut Range<u32> = &mut ranges[mv.from as usize];
        if r.start == r.end {
            *r = m as u32..m as u32;
        }
        r.end = m as u32 + 1;
    }
    let mut controls = Vec::with_capacity(layout.junctions);
    let mut checks = Vec::with_capacity(layout.junctions);
    let mut permitted_all = Vec::new();
    for node in 0..layout.junctions {
        let node_name = layout.nodes[node].name.clone();
        let (phases, permitted, permitted_spans, signal, keys, at, phase_spans) = match &layout.signals {
            Signals::Explicit(raws) => {
                let raw: &RawNode = raws[node];
                let find = Finder { ctx, layout, names: &names, ranges: &ranges, node: node as u32 };
                let mut phases = Vec::with_capacity(raw.phases.get_ref().len());
                if raw.phases.get_ref().is_empty() {
                    return Err(
                        ctx.error(&raw.phases.span(), format!("node `{node_name}` needs at least one phase"))
                    );
                }
                for (p, phase) in raw.phases.get_ref().iter().enumerate() {
                    phases.push(find.phase(p, phase)?);
                }
                let entries = raw.permitted.as_ref().map_or(&[][..], |p| p.get_ref().as_slice());
                let permitted =
                    entries.iter().map(|e| find.movement(e, "`permitted`")).collect::<Result<Vec<_>, _>>()?;
                let permitted_spans: Vec<Range<usize>> = entries.iter().map(Spanned::span).collect();
                let signal = raw.signal.as_ref().map(|t| ctx.plugin_ref(t)).transpose()?;
                let keys = TimingKeys {
                    yellow: raw.yellow.as_ref(),
                    all_red: raw.all_red.as_ref(),
                    startup_lost: raw.startup_lost.as_ref(),
                    clearance_lost: raw.clearance_lost.as_ref(),
                    min_green: raw.min_green.as_ref(),
                    max_green: raw.max_green.as_ref(),
                };
                let spans: Vec<Range<usize>> = raw.phases.get_ref().iter().map(Spanned::span).collect();
                (phases, permitted, permitted_spans, signal, keys, raw.name.span(), spans)
            }
            Signals::Grid(g) => {
                let span = g.raw.span();
                let phases = g.phases[node].clone();
                let spans = vec![span.clone(); phases.len()];
                let permitted = g.permitted[node].clone();
                let permitted_spans = vec![span.clone(); permitted.len()];
                (phases, permitted, permitted_spans, None, TimingKeys::default(), span, spans)
            }
        };
        let signal = signal.unwrap_or_else(|| default_signal.clone());
        let err = NodeErr { ctx, node: &node_name, at };
        let timing = timing(&err, defaults, &keys, &signal)?;
        let geometry = Geometry::of(layout, node as u32);
        if let Some(g) = &geometry {
            for (&m, span) in permitted.iter().zip(&permitted_spans) {
                if !g.is_left(layout, m) {
                    let name = movement_name(layout, m);
                    return Err(err.at(
                        &Src::Key(span.clone()),
                        format!("`{name}` in `permitted` of node `{node_name}` is not a left turn: only left turns may yield to opposing traffic"),
                    ));
                }
            }
        }
        check_fixed_time(&signal, &node_name, &phases, &timing)?;
        permitted_all.extend(permitted.iter().copied());
        checks.push(PhaseCheck {
            node_name,
            geometry,
            permitted,
            phases: phases.clone(),
            spans: phase_spans,
        });
        controls.push(NodeControl { phases, signal, timing });
    }
    for (node, control) in controls.into_iter().enumerate() {
        layout.nodes[node].control = Some(control);
    }
    for m in permitted_all {
        layout.movements[m as usize].permitted_factor = permitted_left_factor;
    }
    Ok(checks)
}

/// "in>out" of a movement.
fn movement_name(layout: &Layout<'_>, m: u32) -> String {
    let mv = &layout.movements[m as usize];
    format!("{}>{}", layout.links[mv.from as usize].name, layout.links[mv.to as usize].name)
}

/// Resolves the names in one node's phases and `permitted`.
struct Finder<'a, 'l> {
    ctx: &'a ValidationCtx<'a>,
    layout: &'a Layout<'l>,
    names: &'a std::collections::HashMap<&'a str, u32>,
    ranges: &'a [Range<u32>],
    node: u32,
}

impl Finder<'_, '_> {
    fn node_name(&self) -> &str {
        &self.layout.nodes[self.node as usize].name
    }

    fn in_links(&self) -> Vec<&str> {
        let node = self.node;
        self.layout.links.iter().filter(|l| l.to == node).map(|l| l.name.as_str()).collect()
    }

    fn out_links(&self) -> Vec<&str> {
        let node = self.node;
        self.layout.links.iter().filter(|l| l.from == node).map(|l| l.name.as_str()).collect()
    }

    /// A link named in `what` of this node, which must exist.
    fn link(&self, entry: &Spanned<String>, name: &str, what: &str, ins: bool) -> Result<u32, ScenarioError> {
        if let Some(&l) = self.names.get(name) {
            return Ok(l);
        }
        let known = if ins { self.in_links() } else { self.out_links() };
        let dir = if ins { "into" } else { "out of" };
        Err(self
            .ctx
            .error(
                &entry.span(),
                format!(
                    "{what} of node `{}` names link `{name}`, which does not exist (links {dir} `{}`: {})",
                    self.node_name(),
                    self.node_name(),
                    list(known.iter().copied())
                ),
            )
            .with_suggestion(nearest(name, known.iter().copied())))
    }

    /// Checks that link `l` named in `what` enters this node.
    fn entering(&self, entry: &Spanned<String>, l: u32, what: &str) -> Result<(), ScenarioError> {
        let link = &self.layout.links[l as usize];
        if link.to == self.node {
            return Ok(());
        }
        let (x, name) = (self.node_name(), &link.name);
        let message = if link.from == self.node {
            format!("{what} of node `{x}` names `{name}`, which leaves `{x}` (phases list in-links)")
        } else {
            let (a, b) =
                (&self.layout.nodes[link.from as usize].name, &self.layout.nodes[link.to as usize].name);
            format!(
                "{what} of node `{x}` names `{name}`, which does not enter `{x}` (it joins `{a}` and `{b}`)"
            )
        };
        let ins = self.in_links();
        Err(self.ctx.error(&entry.span(), message).with_suggestion(nearest(name, ins.iter().copied())))
    }

    /// The movement an `"in>out"` entry names.
    fn movement(&self, entry: &Spanned<String>, what: &str) -> Result<u32, ScenarioError> {
        let x = self.node_name();
        let Some((i, o)) = entry.get_ref().split_once('>') else {
            return Err(self.ctx.error(
                &entry.span(),
                format!(
                    "{what} of node `{x}` lists movements as \"in-link>out-link\", found \"{}\"",
                    entry.get_ref()
                ),
            ));
        };
        let i = self.link(entry, i, what, true)?;
        self.entering(entry, i, what)?;
        let o = self.link(entry, o, what, false)?;
        let out = &self.layout.links[o as usize];
        if out.from != self.node {
            return Err(self.ctx.error(
                &entry.span(),
                format!("{what} of node `{x}` names `{}`, which does not leave `{x}`", out.name),
            ));
        }
        let range = self.ranges[i as usize].clone();
        range.clone().find(|&m| self.layout.movements[m as usize].to == o).ok_or_else(|| {
            self.ctx.error(
                &entry.span(),
                format!(
                    "{what} of node `{x}` names `{}`, a U-turn, which is not a movement",
                    entry.get_ref()
                ),
            )
        })
    }

    /// The movements of phase `p`: an in-link stands for all its movements.
    fn phase(&self, p: usize, phase: &Spanned<Vec<Spanned<String>>>) -> Result<Vec<u32>, ScenarioError> {
        let x = self.node_name();
        let what = format!("phase {p}");
        if phase.get_ref().is_empty() {
            return Err(self.ctx.error(&phase.span(), format!("phase {p} of node `{x}` is empty")));
        }
        let mut out = Vec::new();
        for entry in phase.get_ref() {
            let name = entry.get_ref().as_str();
            if self.names.contains_key(name) || !name.contains('>') {
                let l = self.link(entry, name, &what, true)?;
                self.entering(entry, l, &what)?;
                let range = self.ranges[l as usize].clone();
                if range.is_empty() {
                    return Err(self.ctx.error(
                        &entry.span(),
                        format!("{what} of node `{x}` names `{name}`, which has no movement at `{x}` (only a U-turn)"),
                    ));
                }
                out.extend(range);
            } else {
                out.push(self.movement(entry, &what)?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

/// The timing of one node: node key, else the controller's own `min_green`/`max_green`
/// parameter, else `[city]`, else the default; then the conventions' checks.
fn timing<'a>(
    err: &NodeErr<'_, '_>,
    city: &TimingKeys<'_>,
    node: &TimingKeys<'_>,
    signal: &'a PluginRef,
) -> Result<Timing, ScenarioError> {
    let params: serde_json::Value = serde_json::from_str(&signal.params).unwrap_or_default();
    let param = |key: &str| params.get(key).and_then(serde_json::Value::as_f64);
    let pick =
        |n: Option<&Spanned<f64>>, p: Option<f64>, c: Option<&Spanned<f64>>, default: f64| -> Val<'a> {
            match (n, p, c) {
                (Some(n), _, _) => Val { v: *n.get_ref(), src: Src::Key(n.span()) },
                (None, Some(v), _) => Val { v, src: Src::Param(signal) },
                (None, None, Some(c)) => Val { v: *c.get_ref(), src: Src::Key(c.span()) },
                (None, None, None) => Val { v: default, src: Src::Default },
            }
        };
    let y = pick(node.yellow, None, city.yellow, 3.0);
    let ar = pick(node.all_red, None, city.all_red, 2.0);
    let l1 = pick(node.startup_lost, None, city.startup_lost, 2.0);
    let l2 = pick(node.clearance_lost, None, city.clearance_lost, 2.0);
    let min = pick(node.min_green, param("min_green"), city.min_green, 5.0);
    let max = pick(node.max_green, param("max_green"), city.max_green, f64::INFINITY);
    let x = err.node;
    for (val, key) in [(&y, "yellow"), (&ar, "all_red"), (&l1, "startup_lost"), (&l2, "clearance_lost")] {
        if !(val.v.is_finite() && val.v >= 0.0) {
            return Err(err.at(
                &val.src,
                format!("`{key}` must be a finite number >= 0, found {} (node `{x}`)", val.v),
            ));
        }
    }
    if !(min.v.is_finite() && min.v > 0.0) {
        return Err(err
            .at(&min.src, format!("`min_green` must be a finite number > 0, found {} (node `{x}`)", min.v)));
    }
    if max.v.is_nan() || max.v < min.v || (max.v.is_infinite() && !matches!(max.src, Src::Default)) {
        return Err(err.at(
            &max.src,
            format!(
                "`max_green` must be a finite number >= `min_green` ({}), found {} (node `{x}`)",
                min.v, max.v
            ),
        ));
    }
    if y.v + ar.v < l2.v {
        let src = [&l2, &y, &ar]
            .into_iter()
            .find(|v| !matches!(v.src, Src::Default))
            .map_or(Src::Default, |v| v.src.clone());
        return Err(err.at(
            &src,
            format!(
                "`clearance_lost` ({}) exceeds `yellow` + `all_red` ({}) at node `{x}`: the effective green would end \
                 before the yellow does",
                l2.v,
                y.v + ar.v
            ),
        ));
    }
    if min.v + y.v + ar.v <= l1.v + l2.v {
        return Err(err.at(
            &min.src,
            format!(
                "`min_green` ({}) leaves no effective green at node `{x}`: min_green + yellow + all_red ({}) must exceed \
                 startup_lost + clearance_lost ({})",
                min.v,
                min.v + y.v + ar.v,
                l1.v + l2.v
            ),
        ));
    }
    Ok(Timing {
        yellow: y.v,
        all_red: ar.v,
        startup_lost: l1.v,
        clearance_lost: l2.v,
        min_green: min.v,
        max_green: max.v,
    })
}

/// For `fixed_time` with explicit `greens`: one green per phase, and with `cycle` the greens
/// and intergreens must fill it exactly (Σ (G + Y + AR) = C).
fn check_fixed_time(
    signal: &PluginRef,
    x: &str,
    phases: &[Vec<u32>],
    timing: &Timing,
) -> Result<(), ScenarioError> {
    if !signal.names("fixed_time") {
        return Ok(());
    }
    let params: serde_json::Value = serde_json::from_str(&signal.params).unwrap_or_default();
    let Some(greens) = params.get("greens").and_then(serde_json::Value::as_array) else { return Ok(()) };
    let Some(greens) = greens.iter().map(serde_json::Value::as_f64).collect::<Option<Vec<f64>>>() else {
        return Ok(()); // not numbers: the controller says so, naming the key
    };
    if greens.len() != phases.len() {
        return Err(signal.written.params_error(format!(
            "`greens` gives {} displayed greens but node `{x}` has {} phases (one green per phase)",
            greens.len(),
            phases.len()
        )));
    }
    if let Some(cycle) = params.get("cycle").and_then(serde_json::Value::as_f64) {
        let n = greens.len() as f64;
        let total = greens.iter().sum::<f64>() + n * (timing.yellow + timing.all_red);
        if (total - cycle).abs() > 1e-9 * cycle.abs().max(1.0) {
            let shown: Vec<String> = greens.iter().map(f64::to_string).collect();
            return Err(signal.written.params_error(format!(
                "`greens` ({}) plus yellow and all-red ({} × {}) make a cycle of {total} s at node `{x}`, but `cycle` is {cycle} s",
                shown.join(" + "),
                greens.len(),
                timing.yellow + timing.all_red
            )));
        }
    }
    Ok(())
}

/// The arms of a junction whose node and neighbours all have coordinates.
#[derive(Clone)]
struct Geometry {
    /// Angle [rad, 0..2π) of each node seen from the junction (NaN for nodes not adjacent).
    angle: Vec<f64>,
}

impl Geometry {
    fn of(layout: &Layout<'_>, node: u32) -> Option<Self> {
        let here = layout.nodes[node as usize].at?;
        let mut angle = vec![f64::NAN; layout.nodes.len()];
        for l in layout.links.iter().filter(|l| l.from == node || l.to == node) {
            let other = if l.from == node { l.to } else { l.from };
            let there = layout.nodes[other as usize].at?;
            let a = (there[1] - here[1]).atan2(there[0] - here[0]);
            angle[other as usize] = a.rem_euclid(2.0 * PI);
        }
        Some(Geometry { angle })
    }

    /// Position of a point on the circle: (angle, node, 0 exit | 1 entry); the exit of an arm
    /// lies just clockwise of its entry.
    fn point(&self, node: u32, entry: bool) -> (f64, u32, u8) {
        (self.angle[node as usize], node, u8::from(entry))
    }

    /// Turn of a movement [rad, (−π, π]]: + left, − right.
    fn turn(&self, layout: &Layout<'_>, m: u32) -> f64 {
        let mv = &layout.movements[m as usize];
        let from = self.angle[layout.links[mv.from as usize].from as usize];
        let to = self.angle[layout.links[mv.to as usize].to as usize];
        wrap(to - from - PI)
    }

    fn is_left(&self, layout: &Layout<'_>, m: u32) -> bool {
        self.turn(layout, m) > FRAC_PI_4
    }

    /// Whether arm `c` lies opposite arm `a` (within 45°).
    fn opposes(&self, a: u32, c: u32) -> bool {
        wrap(self.angle[c as usize] - self.angle[a as usize] - PI).abs() <= FRAC_PI_4
    }

    /// Whether the chords of two movements cross (they share no end).
    fn cross(&self, layout: &Layout<'_>, a: u32, b: u32) -> bool {
        let ends = |m: u32| {
            let mv = &layout.movements[m as usize];
            (
                self.point(layout.links[mv.from as usize].from, true),
                self.point(layout.links[mv.to as usize].to, false),
            )
        };
        let ((p1, q1), (p2, q2)) = (ends(a), ends(b));
        if p1 == p2 || p1 == q2 || q1 == p2 || q1 == q2 {
            return false;
        }
        let cmp =
            |x: &(f64, u32, u8), y: &(f64, u32, u8)| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal);
        let (lo, hi) = if cmp(&p1, &q1).is_lt() { (p1, q1) } else { (q1, p1) };
        let inside = |x: &(f64, u32, u8)| cmp(&lo, x).is_lt() && cmp(x, &hi).is_lt();
        inside(&p2) != inside(&q2)
    }
}

/// An angle wrapped into (−π, π].
fn wrap(a: f64) -> f64 {
    let w = (a + PI).rem_euclid(2.0 * PI) - PI;
    if w <= -PI { w + 2.0 * PI } else { w }
}

/// Checks one phase for conflicting movements.
#[allow(clippy::too_many_arguments, reason = "one call site; the parts are unrelated")]
fn check_phase(
    ctx: &ValidationCtx<'_>,
    layout: &Layout<'_>,
    geometry: Option<&Geometry>,
    permitted: &[u32],
    p: usize,
    phase: &[u32],
    x: &str,
    span: &Range<usize>,
) -> Result<(), ScenarioError> {
    let in_arm = |m: u32| layout.links[layout.movements[m as usize].from as usize].from;
    // A permitted left yields to the traffic of the opposite arm.
    let yields = |left: u32, other: u32| {
        permitted.contains(&left) && geometry.is_none_or(|g| g.opposes(in_arm(left), in_arm(other)))
    };
    for (i, &a) in phase.iter().enumerate() {
        for &b in &phase[i + 1..] {
            let (ma, mb) = (&layout.movements[a as usize], &layout.movements[b as usize]);
            if ma.from == mb.from {
                continue;
            }
            let merge = ma.to == mb.to;
            let cross = !merge && geometry.is_some_and(|g| g.cross(layout, a, b));
            if !(merge || cross) || yields(a, b) || yields(b, a) {
                continue;
            }
            let (na, nb) = (movement_name(layout, a), movement_name(layout, b));
            let mut message = if merge {
                format!(
                    "phase {p} of node `{x}` gives green to `{na}` and `{nb}`, which merge onto `{}`",
                    layout.links[ma.to as usize].name
                )
            } else {
                format!("phase {p} of node `{x}` gives green to `{na}` and `{nb}`, which cross")
            };
            let left = geometry.and_then(|g| {
                [(a, b, &na), (b, a, &nb)]
                    .into_iter()
                    .find(|(l, o, _)| g.is_left(layout, *l) && g.opposes(in_arm(*l), in_arm(*o)))
                    .map(|(_, _, n)| n.clone())
            });
            match (left, geometry) {
                (Some(left), _) => message.push_str(&format!(
                    " (to let the left turn `{left}` yield to opposing traffic, list it in `permitted` of node `{x}`)"
                )),
                (None, None) => message.push_str(&format!(
                    " (if one of them yields, list it in `permitted` of node `{x}`; with coordinates (`at`, \
                     [[city.point]]) crossings are checked too)"
                )),
                (None, Some(_)) => {}
            }
            return Err(ctx.error(span, message));
        }
    }
    Ok(())
}
