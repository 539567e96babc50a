//! Demand: departure processes of flows, turning-ratio draws and design flows (plan §4.2–§4.4).
//!
//! - Poisson departures are an exact non-homogeneous Poisson process with the flow's
//!   piecewise-constant rate λ(t) [veh/h], by time change: with Λ(t) = ∫₀ᵗ λ/3600, the
//!   departures are Λ⁻¹ of a unit-rate Poisson process, so each gap draws one E ~ Exp(1) and
//!   walks the profile's steps, using up λ_k·Δ_k/3600 of E per step, until E ends inside one.
//!   Steps with λ = 0 are skipped; no thinning, so one draw per departure whatever the profile.
//! - Deterministic departures are `offset + k·headway` (k = 0, 1, …), computed from k, never
//!   accumulated.
//! - Turn-ratio draws take the first out-link whose cumulative ratio (file order) exceeds a
//!   uniform draw.

use std::collections::BTreeMap;

use rand_distr::{Distribution, Exp1};

use super::config::{Arrivals, CityConfig, FlowConfig, PathSpec, Profile};
use crate::rng::StreamRng;

/// The departure times of one flow, one after another.
pub(crate) struct Departures {
    rng: StreamRng,
    process: Process,
}

/// What a flow's departures follow.
enum Process {
    /// Time-changed unit Poisson process over the profile.
    Poisson(Profile),
    /// Departure k at `offset + k·headway`; `next` is the k of the next one.
    Deterministic { headway: f64, offset: f64, next: u64 },
}

/// Step `k` of a profile: its rate [veh/h] and its end [s] (`+∞` when the rate then holds
/// forever).
fn step_of(profile: &Profile, k: u64) -> (f64, f64) {
    let n = profile.rates.len() as u64;
    let end = (k + 1) as f64 * profile.step;
    if profile.repeat && end.is_finite() {
        (profile.rates[(k % n) as usize], end)
    } else if k + 1 >= n {
        (profile.rates[(n - 1) as usize], f64::INFINITY)
    } else {
        (profile.rates[k as usize], end)
    }
}

/// The index of the step containing `t` ≥ 0 [s] (k·step ≤ t < (k+1)·step, whatever the
/// rounding of t/step).
fn step_index(profile: &Profile, t: f64) -> u64 {
    if !profile.step.is_finite() {
        return 0;
    }
    let mut k = (t / profile.step).floor().max(0.0) as u64;
    if k > 0 && k as f64 * profile.step > t {
        k -= 1;
    }
    if (k + 1) as f64 * profile.step <= t {
        k += 1;
    }
    k
}

/// Whether the profile has a positive rate at some time after step `k` began.
fn positive_from(profile: &Profile, k: u64) -> bool {
    if profile.repeat && profile.step.is_finite() {
        profile.rates.iter().any(|&r| r > 0.0)
    } else {
        let from = (k as usize).min(profile.rates.len() - 1);
        profile.rates[from..].iter().any(|&r| r > 0.0)
    }
}

impl Departures {
    /// The departures of `flow`, drawing from `rng` (the flow's `arrivals` stream).
    pub(crate) fn new(flow: &FlowConfig, rng: StreamRng) -> Self {
        let process = match flow.arrivals {
            Arrivals::Poisson => Process::Poisson(flow.profile.clone()),
            Arrivals::Deterministic { headway, offset } => {
                Process::Deterministic { headway, offset, next: 0 }
            }
        };
        Departures { rng, process }
    }

    /// The next departure after the one at `last` [s] (`None` before the first: then the
    /// first departure), or `None` if the profile has no more. A deterministic flow counts
    /// its departures itself (`last` only matters to Poisson flows).
    pub(crate) fn next(&mut self, last: Option<f64>) -> Option<f64> {
        match &mut self.process {
            Process::Deterministic { headway, offset, next } => {
                let t = *offset + *next as f64 * *headway;
                *next += 1;
                Some(t)
            }
            Process::Poisson(profile) => {
                let start = last.unwrap_or(0.0).max(0.0);
                let mut k = step_index(profile, start);
                if !positive_from(profile, k) {
                    return None;
                }
                let mut used: f64 = Exp1.sample(&mut self.rng);
                let mut t = start;
                loop {
                    let (rate, end) = step_of(profile, k);
                    if rate > 0.0 {
                        let mass = rate * (end - t) / 3600.0;
                        if used < mass {
                            return Some(t + used * 3600.0 / rate);
                        }
                        used -= mass;
                    } else if end == f64::INFINITY {
                        return None;
                    }
                    t = end;
                    k += 1;
                }
            }
        }
    }
}

/// The expected number of departures of a profile over [0, horizon] [veh]: Λ(horizon).
pub(crate) fn expected_departures(profile: &Profile, horizon: f64) -> f64 {
    if horizon <= 0.0 {
        return 0.0;
    }
    let cycle = profile.rates.len() as f64 * profile.step;
    let mut total = 0.0;
    // Whole cycles of a repeating profile at once, then the steps of what is left.
    let mut rest = horizon;
    if profile.repeat && cycle.is_finite() {
        let cycles = (horizon / cycle).floor();
        total = cycles * profile.rates.iter().map(|r| r * profile.step / 3600.0).sum::<f64>();
        rest = horizon - cycles * cycle;
    }
    let mut k = 0u64;
    loop {
        let (rate, end) = step_of(profile, k);
        let begin = if k == 0 { 0.0 } else { k as f64 * profile.step };
        total += rate * (end.min(rest) - begin).max(0.0) / 3600.0;
        if end >= rest {
            return total;
        }
        k += 1;
    }
}

/// The busiest rate of a flow [veh/h]: its highest profile step, or 3600/headway.
pub(crate) fn busiest_rate(flow: &FlowConfig) -> f64 {
    match flow.arrivals {
        Arrivals::Deterministic { headway, .. } => 3600.0 / headway,
        Arrivals::Poisson => flow.profile.rates.iter().copied().fold(0.0, f64::max),
    }
}

/// Turning ratios by in-link, for vehicles routed by `turn_ratios`.
pub(crate) struct TurnTable {
    /// CSR: the ratios of link ℓ are at `first[ℓ]..first[ℓ + 1]`.
    first: Vec<u32>,
    /// Out-links, per in-link in file order.
    outs: Vec<u32>,
    /// Their cumulative ratios; the last of each in-link is exactly 1.
    cumulative: Vec<f64>,
    /// Their ratios.
    ratios: Vec<f64>,
}

impl TurnTable {
    /// The table of `config.turns` (one table per in-link; the parser refuses a second, and
    /// only the first would count).
    pub(crate) fn new(config: &CityConfig) -> Self {
        let links = config.network.links.len();
        let mut by_link: Vec<Option<&[(u32, f64)]>> = vec![None; links];
        for turn in &config.turns {
            let slot = &mut by_link[turn.from as usize];
            if slot.is_none() {
                *slot = Some(&turn.ratios);
            }
        }
        let mut table =
            TurnTable { first: vec![0], outs: Vec::new(), cumulative: Vec::new(), ratios: Vec::new() };
        for ratios in by_link {
            let ratios = ratios.unwrap_or(&[]);
            let mut sum = 0.0;
            for &(out, p) in ratios {
                sum += p;
                table.outs.push(out);
                table.ratios.push(p);
                table.cumulative.push(sum);
            }
            // The ratios sum to 1 ± 1e-9: the last one takes every draw left.
            if let Some(last) = table.cumulative.last_mut().filter(|_| !ratios.is_empty()) {
                *last = 1.0;
            }
            table.first.push(table.outs.len() as u32);
        }
        table
    }

    /// The positions of `link`'s ratios.
    fn range(&self, link: u32) -> std::ops::Range<usize> {
        let l = link as usize;
        match (self.first.get(l), self.first.get(l + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// The out-link a vehicle coming from `link` takes, given a uniform draw `u` in [0, 1);
    /// `None` if `link` has no ratios (it ends at a boundary node).
    pub(crate) fn draw(&self, link: u32, u: f64) -> Option<u32> {
        let range = self.range(link);
        let cumulative = &self.cumulative[range.clone()];
        let i = cumulative.iter().position(|&c| u < c).unwrap_or(cumulative.len().checked_sub(1)?);
        Some(self.outs[range.start + i])
    }

    /// The (out-link, ratio) pairs of vehicles coming from `link`, in file order.
    pub(crate) fn ratios(&self, link: u32) -> impl Iterator<Item = (u32, f64)> + '_ {
        let range = self.range(link);
        self.outs[range.clone()].iter().copied().zip(self.ratios[range].iter().copied())
    }
}

/// Where turn-ratio traffic goes, in expectation.
pub(crate) struct Propagation {
    /// Flow per movement, in the units of the start masses.
    pub(crate) movements: Vec<f64>,
    /// Flow per link (visits), in the same units.
    pub(crate) links: Vec<f64>,
}

/// Rounds of propagation at most: the mass left in a network whose ratios let vehicles
/// circle shrinks geometrically; this many rounds of a chain that still holds mass mean its
/// vehicles (almost) never leave.
const MAX_ROUNDS: usize = 100_000;

/// The expected flows of vehicles entering links `start` (link, mass) and turning by `table`
/// until they reach a link without ratios (one ending at a boundary node): the solution of
/// x = start + Pᵀx, by summing the masses of successive turns until what is left is below
/// 10⁻¹² of the start.
pub(crate) fn propagate(config: &CityConfig, table: &TurnTable, start: &[(u32, f64)]) -> Propagation {
    let net = &config.network;
    let movement = movement_index(config);
    let mut out =
        Propagation { movements: vec![0.0; net.movements.len()], links: vec![0.0; net.links.len()] };
    let mut pending = vec![0.0; net.links.len()];
    let mut initial = 0.0;
    for &(link, mass) in start {
        pending[link as usize] += mass;
        initial += mass;
    }
    let mut next = vec![0.0; net.links.len()];
    for _ in 0..MAX_ROUNDS {
        let mut left = 0.0;
        for (link, &mass) in pending.iter().enumerate() {
            if mass == 0.0 {
                continue;
            }
            out.links[link] += mass;
            for (to, p) in table.ratios(link as u32) {
                let share = mass * p;
                if let Some(&m) = movement.get(&(link as u32, to)) {
                    out.movements[m as usize] += share;
                }
                next[to as usize] += share;
                left += share;
            }
        }
        std::mem::swap(&mut pending, &mut next);
        next.iter_mut().for_each(|x| *x = 0.0);
        if left <= 1e-12 * initial {
            for (link, &mass) in pending.iter().enumerate() {
                out.links[link] += mass;
            }
            break;
        }
    }
    out
}

/// Movement index by (in-link, out-link).
fn movement_index(config: &CityConfig) -> BTreeMap<(u32, u32), u32> {
    config.network.movements.iter().enumerate().map(|(i, m)| ((m.from, m.to), i as u32)).collect()
}

/// The design flow of every movement [veh/h] (index = movement): the busiest-step rate of the
/// flows whose fixed path uses it, plus turn-ratio flows propagated through their ratios, plus
/// explicit trips counted per busiest hour.
///
/// Explicit trips count by the hour of their departure: a movement's flow is the largest
/// number of trips through it departing in one hour [k·3600, (k+1)·3600). Freight is not
/// known before the run and counts for nothing.
pub(crate) fn design_flows(config: &CityConfig) -> Vec<f64> {
    let movement = movement_index(config);
    let mut q = vec![0.0; config.network.movements.len()];
    let add_path = |q: &mut Vec<f64>, path: &[u32], rate: f64| {
        for pair in path.windows(2) {
            if let Some(&m) = movement.get(&(pair[0], pair[1])) {
                q[m as usize] += rate;
            }
        }
    };
    let mut turning = Vec::new();
    for flow in &config.flows {
        let rate = busiest_rate(flow);
        match &flow.path {
            PathSpec::Fixed(path) => add_path(&mut q, path, rate),
            PathSpec::TurnRatios { first } => turning.push((*first, rate)),
        }
    }
    if !turning.is_empty() {
        let spread = propagate(config, &TurnTable::new(config), &turning);
        for (q, p) in q.iter_mut().zip(spread.movements) {
            *q += p;
        }
    }
    if let Some(trips) = &config.trips {
        // Trips are sorted by departure: count one hour at a time.
        let mut busiest = vec![0.0_f64; q.len()];
        let mut count = vec![0.0_f64; q.len()];
        let mut touched: Vec<usize> = Vec::new();
        let mut hour = None;
        let flush = |count: &mut Vec<f64>, touched: &mut Vec<usize>, busiest: &mut Vec<f64>| {
            for &m in touched.iter() {
                busiest[m] = busiest[m].max(count[m]);
                count[m] = 0.0;
            }
            touched.clear();
        };
        for trip in trips.trips.iter() {
            let h = (trip.depart / 3600.0).floor();
            if hour != Some(h) {
                flush(&mut count, &mut touched, &mut busiest);
                hour = Some(h);
            }
            for pair in trip.path.windows(2) {
                if let Some(&m) = movement.get(&(pair[0], pair[1])) {
                    if count[m as usize] == 0.0 {
                        touched.push(m as usize);
                    }
                    count[m as usize] += 1.0;
                }
            }
        }
        flush(&mut count, &mut touched, &mut busiest);
        for (q, b) in q.iter_mut().zip(busiest) {
            *q += b;
        }
    }
    q
}
