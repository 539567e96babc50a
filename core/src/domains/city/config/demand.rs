//! Demand: `[[city.flow]]` (paths, rate profiles, arrival processes), `[[city.turn]]` (turning
//! ratios) and `[city.freight]`.
//!
//! - A flow's path is `route = [links]`, or `from`/`to` nodes (the shortest free-flow path,
//!   computed here once), or `route = "turn_ratios"` with `from` = its first link.
//! - Its rate [veh/h] is `rate` (constant), `profile = [...]` (one value per `profile_step`
//!   seconds, default 3600; a profile covering exactly 24 h repeats daily, any other holds its
//!   last value), or `profile = { kind = "double_peak", base, am, pm, factor, width }`: 96
//!   quarter hours, daily, with hour of day h = day_start + (k + ½)/4 (mod 24) at the middle of
//!   quarter k and λ = base·(1 + (factor − 1)·max(tri(h, am), tri(h, pm))),
//!   tri(h, c) = max(0, 1 − |h − c|/width).
//! - `arrivals = "deterministic"` departs one vehicle every `headway` s from `offset`; its
//!   `rate`, if given, must be 3600/headway.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use serde::de::{MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::network::{Net, Router};
use super::parse::{at_least_zero, positive, unique, word};
use super::{Arrivals, FlowConfig, FreightConfig, PathSpec, Profile, TripsConfig, TurnConfig};
use crate::util::suggest::{list, nearest};
use crate::validate::{ScenarioError, ValidationCtx};

/// A day \[s\]: a profile this long repeats.
const DAY: f64 = 86_400.0;

/// Turning ratios must sum to 1 within this.
const RATIO_TOLERANCE: f64 = 1e-9;

/// A `[[city.flow]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFlow {
    name: Spanned<String>,
    route: Option<Spanned<RawRoute>>,
    from: Option<Spanned<String>>,
    to: Option<Spanned<String>>,
    rate: Option<Spanned<f64>>,
    profile: Option<Spanned<RawProfile>>,
    profile_step: Option<Spanned<f64>>,
    arrivals: Option<Spanned<String>>,
    headway: Option<Spanned<f64>>,
    offset: Option<Spanned<f64>>,
}

/// `route`: link names, or a word (`"turn_ratios"`).
pub(super) enum RawRoute {
    Links(Vec<Spanned<String>>),
    Word(String),
}

impl<'de> Deserialize<'de> for RawRoute {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRoute;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of link names or \"turn_ratios\"")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<RawRoute, E> {
                Ok(RawRoute::Word(s.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawRoute, A::Error> {
                let mut links = Vec::new();
                while let Some(l) = seq.next_element::<Spanned<String>>()? {
                    links.push(l);
                }
                Ok(RawRoute::Links(links))
            }
        }
        d.deserialize_any(V)
    }
}

/// `profile`: rates per step, or a `double_peak` table.
pub(super) enum RawProfile {
    Rates(Vec<Spanned<f64>>),
    DoublePeak(RawDoublePeak),
}

/// `profile = { kind = "double_peak", ... }` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDoublePeak {
    kind: Spanned<String>,
    base: Spanned<f64>,
    am: Spanned<f64>,
    pm: Spanned<f64>,
    factor: Spanned<f64>,
    width: Spanned<f64>,
}

impl<'de> Deserialize<'de> for RawProfile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawProfile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of rates [veh/h] or a `double_peak` table")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawProfile, A::Error> {
                let mut rates = Vec::new();
                while let Some(r) = seq.next_element::<Spanned<f64>>()? {
                    rates.push(r);
                }
                Ok(RawProfile::Rates(rates))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawProfile, A::Error> {
                RawDoublePeak::deserialize(MapAccessDeserializer::new(map)).map(RawProfile::DoublePeak)
            }
        }
        d.deserialize_any(V)
    }
}

/// A `[[city.turn]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTurn {
    at: Spanned<String>,
    from: Spanned<String>,
    ratios: Spanned<std::collections::BTreeMap<Spanned<String>, Spanned<f64>>>,
}

/// `[city.freight]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFreight {
    from: Spanned<String>,
    per_vehicle: Spanned<f64>,
    to: Spanned<String>,
    period: Option<Spanned<f64>>,
}

/// The node named `name`, or an error listing the boundary nodes (what demand names).
fn node(
    ctx: &ValidationCtx<'_>,
    net: &Net,
    name: &Spanned<String>,
    what: &str,
) -> Result<u32, ScenarioError> {
    if let Some(&n) = net.node_by_name.get(name.get_ref().as_str()) {
        return Ok(n);
    }
    let boundary: Vec<&str> =
        net.config.nodes.iter().filter(|n| n.control.is_none()).map(|n| n.name.as_str()).collect();
    Err(ctx
        .error(
            &name.span(),
            format!(
                "{what} names node `{}`, which does not exist (boundary nodes: {})",
                name.get_ref(),
                list(boundary.iter().copied())
            ),
        )
        .with_suggestion(nearest(name.get_ref(), boundary.iter().copied())))
}

/// The boundary node named `name` (origins and destinations are boundary nodes).
fn boundary(
    ctx: &ValidationCtx<'_>,
    net: &Net,
    name: &Spanned<String>,
    what: &str,
) -> Result<u32, ScenarioError> {
    let n = node(ctx, net, name, what)?;
    if net.is_boundary(n) {
        Ok(n)
    } else {
        Err(ctx.error(
            &name.span(),
            format!("{what} must be a boundary node; `{}` is signalised", name.get_ref()),
        ))
    }
}

/// The link named `name`.
pub(super) fn link(
    ctx: &ValidationCtx<'_>,
    net: &Net,
    name: &Spanned<String>,
    what: &str,
) -> Result<u32, ScenarioError> {
    net.link_by_name.get(name.get_ref().as_str()).copied().ok_or_else(|| {
        ctx.error(&name.span(), format!("{what} names link `{}`, which does not exist", name.get_ref()))
            .with_suggestion(nearest(name.get_ref(), net.config.links.iter().map(|l| l.name.as_str())))
    })
}

/// Why a sequence of links is not a path vehicles can drive, boundary to boundary; `who` opens
/// the message ("route of flow `f`").
pub(super) fn check_path(net: &Net, path: &[u32], who: &str) -> Result<(), String> {
    let (Some(&first), Some(&last)) = (path.first(), path.last()) else {
        return Err(format!("{who} is empty"));
    };
    let links = &net.config.links;
    let start = links[first as usize].from;
    if !net.is_boundary(start) {
        return Err(format!("{who} must start at a boundary node; `{}` is signalised", net.node(start)));
    }
    for pair in path.windows(2) {
        let (a, b) = (&links[pair[0] as usize], &links[pair[1] as usize]);
        if a.to != b.from {
            return Err(format!(
                "{who}: `{}` ends at `{}` but `{}` starts at `{}`",
                a.name,
                net.node(a.to),
                b.name,
                net.node(b.from)
            ));
        }
        if net.is_boundary(a.to) {
            return Err(format!(
                "{who}: `{}` ends at boundary node `{}`, where vehicles leave the network",
                a.name,
                net.node(a.to)
            ));
        }
        let x = net.node(a.to);
        match net.movement(pair[0], pair[1]) {
            None => return Err(format!("{who} makes a U-turn from `{}` into `{}` at `{x}`", a.name, b.name)),
            Some(m) if !net.served[m as usize] => {
                return Err(format!(
                    "{who} turns from `{}` into `{}` at `{x}`, which no phase of `{x}` gives green",
                    a.name, b.name
                ));
            }
            Some(_) => {}
        }
    }
    let end = links[last as usize].to;
    if !net.is_boundary(end) {
        return Err(format!("{who} must end at a boundary node; `{}` is signalised", net.node(end)));
    }
    Ok(())
}

/// Validates `[[city.turn]]`, in file order.
pub(super) fn turns(
    ctx: &ValidationCtx<'_>,
    net: &Net,
    raws: &[&RawTurn],
) -> Result<Vec<TurnConfig>, ScenarioError> {
    let mut seen: HashMap<u32, Range<usize>> = HashMap::new();
    let mut out = Vec::with_capacity(raws.len());
    for t in raws {
        let at = node(ctx, net, &t.at, "`at`")?;
        let x = t.at.get_ref();
        if net.is_boundary(at) {
            return Err(
                ctx.error(&t.at.span(), format!("`at` must be a [[city.node]]; `{x}` is a boundary node"))
            );
        }
        let from = link(ctx, net, &t.from, "`from`")?;
        if net.config.links[from as usize].to != at {
            let ins: Vec<&str> = net.ins[at as usize].iter().map(|&l| net.link(l)).collect();
            return Err(ctx
                .error(
                    &t.from.span(),
                    format!(
                        "`from` link `{}` does not enter `{x}` (links into `{x}`: {})",
                        t.from.get_ref(),
                        list(ins.iter().copied())
                    ),
                )
                .with_suggestion(nearest(t.from.get_ref(), ins.iter().copied())));
        }
        if let Some(first) = seen.get(&from) {
            let line = ctx.error(first, "").line;
            return Err(ctx.error(
                &t.from.span(),
                format!(
                    "ratios at `{x}` for vehicles from `{}` are given twice (first at line {line})",
                    t.from.get_ref()
                ),
            ));
        }
        seen.insert(from, t.from.span());
        let mut entries: Vec<_> = t.ratios.get_ref().iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        let mut ratios = Vec::with_capacity(entries.len());
        let outs: Vec<&str> = net.outs[at as usize].iter().map(|&l| net.link(l)).collect();
        for (out, p) in entries {
            let o = net
                .link_by_name
                .get(out.get_ref().as_str())
                .copied()
                .filter(|&o| net.config.links[o as usize].from == at);
            let Some(o) = o else {
                return Err(ctx
                    .error(
                        &out.span(),
                        format!(
                            "`ratios` names `{}`, which does not leave `{x}` (links out of `{x}`: {})",
                            out.get_ref(),
                            list(outs.iter().copied())
                        ),
                    )
                    .with_suggestion(nearest(out.get_ref(), outs.iter().copied())));
            };
            let movement = net.movement(from, o);
            if movement.is_none() {
                return Err(ctx.error(
                    &out.span(),
                    format!(
                        "`ratios` names `{}`, a U-turn from `{}`, which is not a movement",
                        out.get_ref(),
                        t.from.get_ref()
                    ),
                ));
            }
            if movement.is_some_and(|m| !net.served[m as usize]) {
                return Err(ctx.error(
                    &out.span(),
                    format!(
                        "`ratios` sends vehicles from `{}` into `{}`, which no phase of `{x}` gives green",
                        t.from.get_ref(),
                        out.get_ref()
                    ),
                ));
            }
            let v = *p.get_ref();
            if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                return Err(ctx.error(&p.span(), format!("a turning ratio in `ratios` must be a number in (0, 1], found {v} (leave a link out instead of 0)")));
            }
            ratios.push((o, v));
        }
        let sum: f64 = ratios.iter().map(|(_, p)| p).sum();
        if (sum - 1.0).abs() > RATIO_TOLERANCE {
            return Err(ctx.error(
                &t.ratios.span(),
                format!(
                    "`ratios` of vehicles from `{}` at `{x}` sum to {}, not 1",
                    t.from.get_ref(),
                    (sum * 1e12).round() / 1e12
                ),
            ));
        }
        out.push(TurnConfig { from, ratios });
    }
    Ok(out)
}

/// Validates `[[city.flow]]`, in file order.
pub(super) fn flows(
    ctx: &ValidationCtx<'_>,
    net: &Net,
    raws: &[&Spanned<RawFlow>],
    turns: &[TurnConfig],
    day_start: f64,
) -> Result<Vec<FlowConfig>, ScenarioError> {
    unique(ctx, "flow", raws.iter().map(|f| &f.get_ref().name))?;
    let router = Router::new(&net.config);
    let mut turn_of = vec![None; net.config.links.len()];
    for (i, t) in turns.iter().enumerate() {
        turn_of[t.from as usize] = Some(i);
    }
    let mut out = Vec::with_capacity(raws.len());
    for spanned in raws {
        let f = spanned.get_ref();
        let name = f.name.get_ref();
        let path = path(ctx, net, &router, spanned, turns, &turn_of)?;
        let (profile, arrivals) = rates(ctx, spanned, day_start)?;
        out.push(FlowConfig { name: name.clone(), path, profile, arrivals });
    }
    Ok(out)
}

/// How a flow's vehicles find their way.
fn path(
    ctx: &ValidationCtx<'_>,
    net: &Net,
    router: &Router<'_>,
    spanned: &Spanned<RawFlow>,
    turns: &[TurnConfig],
    turn_of: &[Option<usize>],
) -> Result<PathSpec, ScenarioError> {
    let f = spanned.get_ref();
    let name = f.name.get_ref();
    match &f.route {
        Some(route) => match route.get_ref() {
            RawRoute::Links(links) => {
                if let Some(key) =
                    [(&f.from, "from"), (&f.to, "to")].iter().find_map(|(v, k)| v.as_ref().map(|v| (v, k)))
                {
                    return Err(ctx.error(
                        &key.0.span(),
                        format!("flow `{name}` has a `route`: `{}` would be ignored (give `route`, or `from` and `to` nodes)", key.1),
                    ));
                }
                let what = format!("route of flow `{name}`");
                let path = links.iter().map(|l| link(ctx, net, l, &what)).collect::<Result<Vec<_>, _>>()?;
                check_path(net, &path, &what).map_err(|m| ctx.error(&route.span(), m))?;
                Ok(PathSpec::Fixed(path))
            }
            RawRoute::Word(w) if w == "turn_ratios" => {
                if let Some(to) = &f.to {
                    return Err(ctx.error(
                        &to.span(),
                        format!(
                            "flow `{name}` turns by ratios until it leaves the network: it takes no `to`"
                        ),
                    ));
                }
                let Some(from) = &f.from else {
                    return Err(ctx.error(
                        &route.span(),
                        format!("flow `{name}` with `route = \"turn_ratios\"` needs `from`: the link its vehicles enter by"),
                    ));
                };
                let first = link(ctx, net, from, "`from`")?;
                let start = net.config.links[first as usize].from;
                if !net.is_boundary(start) {
                    return Err(ctx.error(
                        &from.span(),
                        format!("`from` of flow `{name}` must be a link leaving a boundary node; `{}` leaves `{}`, which is signalised", from.get_ref(), net.node(start)),
                    ));
                }
                reach(net, first, turns, turn_of)
                    .map_err(|m| ctx.error(&from.span(), format!("flow `{name}` {m}")))?;
                Ok(PathSpec::TurnRatios { first })
            }
            RawRoute::Word(w) => Err(ctx
                .error(
                    &route.span(),
                    format!("expected an array of link names or \"turn_ratios\", found \"{w}\""),
                )
                .with_suggestion(nearest(w, ["turn_ratios"]))),
        },
        None => {
            let (Some(from), Some(to)) = (&f.from, &f.to) else {
                return Err(ctx.error(
                    &spanned.span(),
                    format!("flow `{name}` needs `route` (links), or `from` and `to` (nodes), or `route = \"turn_ratios\"` and `from` (a link)"),
                ));
            };
            let a = boundary(ctx, net, from, &format!("`from` of flow `{name}`"))?;
            let b = boundary(ctx, net, to, &format!("`to` of flow `{name}`"))?;
            if a == b {
                return Err(
                    ctx.error(&to.span(), format!("flow `{name}` goes from `{}` to itself", to.get_ref()))
                );
            }
            router.path(a, b).map(PathSpec::Fixed).ok_or_else(|| {
                ctx.error(
                    &to.span(),
                    format!(
                        "no path from `{}` to `{}` (links from `{}`: {})",
                        from.get_ref(),
                        to.get_ref(),
                        from.get_ref(),
                        net.link_list(&net.outs[a as usize])
                    ),
                )
            })
        }
    }
}

/// Checks that every junction a turn-ratio flow entering by `first` can reach has ratios for
/// the link it arrives on, and that its vehicles can always still leave the network.
fn reach(net: &Net, first: u32, turns: &[TurnConfig], turn_of: &[Option<usize>]) -> Result<(), String> {
    let links = &net.config.links;
    let mut seen = vec![false; links.len()];
    let mut stack = vec![first];
    seen[first as usize] = true;
    let mut order = Vec::new();
    while let Some(l) = stack.pop() {
        order.push(l);
        let x = links[l as usize].to;
        if net.is_boundary(x) {
            continue;
        }
        let Some(t) = turn_of[l as usize] else {
            return Err(format!(
                "can reach node `{}` on link `{}`, but no [[city.turn]] gives ratios there (add one with at = \"{}\", from = \"{}\")",
                net.node(x),
                links[l as usize].name,
                net.node(x),
                links[l as usize].name
            ));
        };
        for &(o, _) in &turns[t].ratios {
            if !seen[o as usize] {
                seen[o as usize] = true;
                stack.push(o);
            }
        }
    }
    // Links from which an exit is reachable: fixed point over the reached links.
    let mut leaves: Vec<bool> = links.iter().map(|l| net.is_boundary(l.to)).collect();
    loop {
        let mut changed = false;
        for &l in &order {
            if !leaves[l as usize]
                && turn_of[l as usize]
                    .is_some_and(|t| turns[t].ratios.iter().any(|&(o, _)| leaves[o as usize]))
            {
                leaves[l as usize] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    match order.iter().find(|&&l| !leaves[l as usize]) {
        Some(&l) => Err(format!(
            "cannot leave the network once on `{}`: the turning ratios from there only lead round a closed loop",
            links[l as usize].name
        )),
        None => Ok(()),
    }
}

/// A flow's rate profile and departure process.
fn rates(
    ctx: &ValidationCtx<'_>,
    spanned: &Spanned<RawFlow>,
    day_start: f64,
) -> Result<(Profile, Arrivals), ScenarioError> {
    let f = spanned.get_ref();
    let name = f.name.get_ref();
    let deterministic = match &f.arrivals {
        None => false,
        Some(a) => word(ctx, a, &[("poisson", false), ("deterministic", true)])?,
    };
    if deterministic {
        let arrivals = f.arrivals.as_ref().map_or_else(|| spanned.span(), Spanned::span);
        let Some(headway) = &f.headway else {
            return Err(ctx.error(
                &arrivals,
                format!("flow `{name}`: `arrivals = \"deterministic\"` needs `headway` [s]"),
            ));
        };
        let headway = positive(ctx, headway, "headway")?;
        let offset = f.offset.as_ref().map_or(Ok(0.0), |o| at_least_zero(ctx, o, "offset"))?;
        if let Some(p) = &f.profile {
            return Err(ctx.error(&p.span(), format!("flow `{name}` departs every `headway`: a `profile` cannot apply to deterministic arrivals")));
        }
        if let Some(s) = &f.profile_step {
            return Err(ctx.error(&s.span(), "`profile_step` applies only to a `profile` of rates"));
        }
        let rate = 3600.0 / headway;
        if let Some(r) = &f.rate {
            let given = positive(ctx, r, "rate")?;
            if (given - rate).abs() > 1e-9 * rate {
                return Err(ctx.error(
                    &r.span(),
                    format!("`rate` ({given} veh/h) of flow `{name}` does not match `headway` ({headway} s, which is {rate} veh/h)"),
                ));
            }
        }
        let profile = Profile { step: f64::INFINITY, rates: vec![rate], repeat: false };
        return Ok((profile, Arrivals::Deterministic { headway, offset }));
    }
    for (key, v) in [("headway", &f.headway), ("offset", &f.offset)] {
        if let Some(v) = v {
            return Err(
                ctx.error(&v.span(), format!("`{key}` applies only to `arrivals = \"deterministic\"`"))
            );
        }
    }
    let profile = match (&f.rate, &f.profile) {
        (Some(_), Some(p)) => {
            return Err(
                ctx.error(&p.span(), format!("flow `{name}` has both `rate` and `profile`: give one"))
            );
        }
        (None, None) => {
            return Err(
                ctx.error(&spanned.span(), format!("flow `{name}` needs `rate` [veh/h] or `profile`"))
            );
        }
        (Some(r), None) => {
            if let Some(s) = &f.profile_step {
                return Err(ctx.error(&s.span(), "`profile_step` applies only to a `profile` of rates"));
            }
            Profile { step: f64::INFINITY, rates: vec![positive(ctx, r, "rate")?], repeat: false }
        }
        (None, Some(p)) => match p.get_ref() {
            RawProfile::Rates(values) => {
                let step =
                    f.profile_step.as_ref().map_or(Ok(3600.0), |s| positive(ctx, s, "profile_step"))?;
                if values.is_empty() {
                    return Err(ctx.error(&p.span(), "`profile` must list at least one rate [veh/h]"));
                }
                let rates =
                    values.iter().map(|v| at_least_zero(ctx, v, "profile")).collect::<Result<Vec<_>, _>>()?;
                if rates.iter().all(|&r| r == 0.0) {
                    return Err(ctx.error(
                        &p.span(),
                        format!("`profile` of flow `{name}` is 0 throughout: no vehicle would depart"),
                    ));
                }
                let repeat = rates.len() as f64 * step == DAY;
                Profile { step, rates, repeat }
            }
            RawProfile::DoublePeak(d) => {
                if let Some(s) = &f.profile_step {
                    return Err(ctx.error(&s.span(), "`profile_step` applies only to a `profile` of rates (a double_peak has quarter hours)"));
                }
                double_peak(ctx, d, day_start)?
            }
        },
    };
    Ok((profile, Arrivals::Poisson))
}

/// Expands a `double_peak` table into 96 quarter-hour rates (daily).
fn double_peak(ctx: &ValidationCtx<'_>, d: &RawDoublePeak, day_start: f64) -> Result<Profile, ScenarioError> {
    word(ctx, &d.kind, &[("double_peak", ())])?;
    let base = positive(ctx, &d.base, "base")?;
    let hour = |v: &Spanned<f64>, key: &str| {
        let h = *v.get_ref();
        if h.is_finite() && (0.0..=24.0).contains(&h) {
            Ok(h)
        } else {
            Err(ctx
                .error(&v.span(), format!("`{key}` is an hour of the day: a number in [0, 24], found {h}")))
        }
    };
    let (am, pm) = (hour(&d.am, "am")?, hour(&d.pm, "pm")?);
    let factor = at_least_zero(ctx, &d.factor, "factor")?;
    let width = positive(ctx, &d.width, "width")?;
    let tri = |h: f64, c: f64| (1.0 - (h - c).abs() / width).max(0.0);
    let rates = (0..96)
        .map(|k| {
            let h = (day_start + (f64::from(k) + 0.5) / 4.0).rem_euclid(24.0);
            base * (1.0 + (factor - 1.0) * tri(h, am).max(tri(h, pm)))
        })
        .collect();
    Ok(Profile { step: 900.0, rates, repeat: true })
}

/// Validates `[city.freight]`.
pub(super) fn freight(
    ctx: &ValidationCtx<'_>,
    net: &Net,
    f: &Spanned<RawFreight>,
) -> Result<FreightConfig, ScenarioError> {
    let f = f.get_ref();
    let from = boundary(ctx, net, &f.from, "`from` of `[city.freight]`")?;
    let to = boundary(ctx, net, &f.to, "`to` of `[city.freight]`")?;
    let per_vehicle = positive(ctx, &f.per_vehicle, "per_vehicle")?;
    let period = f.period.as_ref().map_or(Ok(60.0), |p| positive(ctx, p, "period"))?;
    if from == to {
        return Err(ctx.error(&f.to.span(), format!("freight goes from `{}` to itself", f.to.get_ref())));
    }
    if Router::new(&net.config).path(from, to).is_none() {
        return Err(ctx.error(
            &f.to.span(),
            format!(
                "no path from `{}` to `{}` (links from `{}`: {})",
                f.from.get_ref(),
                f.to.get_ref(),
                f.from.get_ref(),
                net.link_list(&net.outs[from as usize])
            ),
        ));
    }
    Ok(FreightConfig { from, per_vehicle, to, period })
}

/// Which movements some vehicle can take (by movement index): those on fixed paths and trips,
/// those with a positive turning ratio, and those on freight's shortest paths from its origin
/// to every boundary node.
pub(super) fn used_movements(
    net: &Net,
    flows: &[FlowConfig],
    turns: &[TurnConfig],
    trips: Option<&TripsConfig>,
    freight: Option<&FreightConfig>,
) -> Vec<bool> {
    let mut used = vec![false; net.config.movements.len()];
    let mut mark = |path: &[u32]| {
        for pair in path.windows(2) {
            if let Some(m) =
                net.moves[pair[0] as usize].clone().find(|&m| net.config.movements[m as usize].to == pair[1])
            {
                used[m as usize] = true;
            }
        }
    };
    for f in flows {
        if let PathSpec::Fixed(path) = &f.path {
            mark(path);
        }
    }
    for t in trips.iter().flat_map(|t| t.trips.iter()) {
        mark(&t.path);
    }
    if let Some(f) = freight {
        for (to, node) in net.config.nodes.iter().enumerate() {
            if node.control.is_none()
                && to as u32 != f.from
                && let Some(path) = super::shortest_path(&net.config, f.from, to as u32)
            {
                mark(&path);
            }
        }
    }
    for t in turns {
        for &(to, p) in &t.ratios {
            if p > 0.0 {
                mark(&[t.from, to]);
            }
        }
    }
    used
}
