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

use rand_distr::{Distribution, Exp1};

use super::config::{Arrivals, CityConfig, FlowConfig, PathSpec, Profile};
use crate::rng::StreamRng;

/// The departure times of one flow, one after another.
#[derive(Debug)]
pub(crate) struct Departures {
    rng: StreamRng,
    process: Process,
}

/// What a flow's departures follow.
#[derive(Debug)]
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
    if profile.rates.is_empty() {
        false
    } else if profile.repeat && profile.step.is_finite() {
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
                let used: f64 = Exp1.sample(&mut self.rng);
                time_change(profile, start, used)
            }
        }
    }
}

/// The instant t ≥ `start` [s] at which the profile's cumulative intensity
/// ∫_start^t λ/3600 reaches `mass` [veh], or `None` if it never does (the rate is 0 from some
/// step on, forever). Steps with λ = 0 are skipped.
fn time_change(profile: &Profile, start: f64, mut mass: f64) -> Option<f64> {
    let mut k = step_index(profile, start);
    if !positive_from(profile, k) {
        return None;
    }
    let mut t = start;
    loop {
        let (rate, end) = step_of(profile, k);
        if rate > 0.0 {
            let step = rate * (end - t) / 3600.0;
            if mass < step {
                return Some(t + mass * 3600.0 / rate);
            }
            mass -= step;
        } else if end == f64::INFINITY {
            return None;
        }
        t = end;
        k += 1;
    }
}

/// The expected number of departures of a profile over [0, horizon] [veh]: Λ(horizon).
pub(crate) fn expected_departures(profile: &Profile, horizon: f64) -> f64 {
    if horizon <= 0.0 || profile.rates.is_empty() {
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
#[derive(Clone, Debug)]
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
#[derive(Clone, Debug)]
pub(crate) struct Propagation {
    /// Flow per movement, in the units of the start masses.
    pub(crate) movements: Vec<f64>,
    /// Flow per link (visits), in the same units.
    pub(crate) links: Vec<f64>,
}

/// Rounds of propagation at most. The mass still circulating shrinks geometrically with the
/// chance of leaving; a chain still holding mass after this many turns keeps its vehicles
/// (almost) forever, and its flows are then lower bounds. Bounded so that a preflight of a
/// large grid stays well under a second even then.
const MAX_ROUNDS: usize = 20_000;

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
                if let Some(m) = movement.get((link as u32, to)) {
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
/// The movement of each (in-link, out-link) pair. Movements are grouped by node, then by
/// in-link, so each in-link's few are one range: a lookup scans them (a map lookup per path
/// step cost an eighth of the 10⁵-trip benchmark).
struct MovementIndex<'a> {
    movements: &'a [super::config::MovementConfig],
    /// Per in-link: the range of its movements.
    ranges: Vec<(u32, u32)>,
}

impl MovementIndex<'_> {
    fn get(&self, (from, to): (u32, u32)) -> Option<u32> {
        let &(start, end) = self.ranges.get(from as usize)?;
        (start..end).find(|&m| self.movements[m as usize].to == to)
    }
}

fn movement_index(config: &CityConfig) -> MovementIndex<'_> {
    let movements = &config.network.movements;
    let mut ranges = vec![(0, 0); config.network.links.len()];
    for (i, m) in movements.iter().enumerate() {
        let r = &mut ranges[m.from as usize];
        if r.0 == r.1 {
            *r = (i as u32, i as u32 + 1);
        } else {
            r.1 = i as u32 + 1;
        }
    }
    MovementIndex { movements, ranges }
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
            if let Some(m) = movement.get((pair[0], pair[1])) {
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
                if let Some(m) = movement.get((pair[0], pair[1])) {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::config::{
        LinkConfig, MovementConfig, NetworkConfig, NodeConfig, NodeControl, TripsConfig, TurnConfig,
    };
    use super::super::kinds::fixtures::{TIMING, boundary, city, cross, flow, link, plugin};
    use super::*;
    use crate::rng::{StreamKey, StreamSeeder};

    fn profile(step: f64, rates: &[f64], repeat: bool) -> Profile {
        Profile { step, rates: rates.to_vec(), repeat }
    }

    fn poisson(profile: Profile) -> FlowConfig {
        FlowConfig { profile, ..flow("f", &[0, 5], 1.0) }
    }

    fn rng(replication: u32) -> StreamRng {
        StreamSeeder::new(12, replication).stream(StreamKey::new("city/flow:f", "arrivals"))
    }

    /// All departures of `flow` before `until` in replication `replication`.
    fn departures(flow: &FlowConfig, replication: u32, until: f64) -> Vec<f64> {
        let mut d = Departures::new(flow, rng(replication));
        let mut out = Vec::new();
        let mut last = None;
        while let Some(t) = d.next(last) {
            assert!(last.is_none_or(|l| t >= l), "{t} after {last:?}");
            if t >= until {
                break;
            }
            out.push(t);
            last = Some(t);
        }
        out
    }

    /// 0.1 veh/s for 600 s, 0.5 veh/s for 600 s, nothing for 600 s, then again.
    fn two_step() -> Profile {
        profile(600.0, &[360.0, 1800.0, 0.0], true)
    }

    #[test]
    fn the_time_change_inverts_the_cumulative_intensity_exactly() {
        let p = two_step();
        // Λ = 60 at 600, 360 at 1200 and up to 1800, 420 at 2400.
        assert_eq!(time_change(&p, 0.0, 30.0), Some(300.0));
        assert_eq!(time_change(&p, 0.0, 60.0), Some(600.0));
        assert_eq!(time_change(&p, 0.0, 70.0), Some(620.0));
        // Used up exactly at the end of the busy step: the zero step is skipped.
        assert_eq!(time_change(&p, 0.0, 360.0), Some(1800.0));
        assert_eq!(time_change(&p, 0.0, 361.0), Some(1810.0));
        assert_eq!(time_change(&p, 1900.0, 10.0), Some(2000.0));
        // From inside the zero step; into the next cycle's busy step; a whole cycle (Λ = 360)
        // later.
        assert_eq!(time_change(&p, 1500.0, 1.0), Some(1810.0));
        assert_eq!(time_change(&p, 0.0, 421.0), Some(2402.0));
        assert_eq!(time_change(&p, 0.0, 721.0), Some(3610.0));
        // A profile that holds its last rate: 0 then 720 veh/h (0.2 veh/s) forever.
        let p = profile(100.0, &[0.0, 720.0], false);
        assert_eq!(time_change(&p, 0.0, 2.0), Some(110.0));
        assert_eq!(time_change(&p, 1e6, 2.0), Some(1e6 + 10.0));
        // One that stops: nothing after the busy step, whatever the mass.
        let p = profile(100.0, &[720.0, 0.0], false);
        assert_eq!(time_change(&p, 0.0, 19.0), Some(95.0));
        assert_eq!(time_change(&p, 0.0, 20.0), None);
        assert_eq!(time_change(&p, 150.0, 0.0), None);
        // A constant rate.
        let p = profile(f64::INFINITY, &[360.0], false);
        assert_eq!(time_change(&p, 5.0, 1.0), Some(15.0));
    }

    #[test]
    fn the_time_change_of_the_cumulative_intensity_is_the_identity() {
        for p in
            [two_step(), profile(100.0, &[0.0, 720.0, 30.0], false), profile(f64::INFINITY, &[90.0], false)]
        {
            for i in 1..400 {
                let t = f64::from(i) * 9.7;
                let lambda = expected_departures(&p, t);
                if lambda == expected_departures(&p, t - 1e-6) {
                    continue; // inside a zero step: the inverse is the step's end, not t
                }
                let back = time_change(&p, 0.0, lambda).unwrap();
                assert!((back - t).abs() <= 1e-9 * t, "{p:?}: Λ({t}) = {lambda} maps back to {back}");
            }
        }
    }

    #[test]
    fn step_boundaries_are_found_whatever_the_rounding() {
        let p = profile(0.1, &[1.0, 2.0, 3.0], false);
        for k in 0..1000u64 {
            let t = k as f64 * 0.1;
            let i = step_index(&p, t);
            assert!(i as f64 * 0.1 <= t && t < (i + 1) as f64 * 0.1, "t = {t}: step {i}");
        }
    }

    /// Counts of a two-step repeating Poisson profile over 1000 replications, per 600 s step
    /// over two cycles: a Poisson count has mean = variance = Λ of the step (60, 300, 0, 60,
    /// 300, 0), counts of disjoint steps are independent, and within a step the departures are
    /// uniform. With fixed seeds the outcome is fixed; the bounds are 4 standard errors (a
    /// correct generator fails one with probability ≈ 6·10⁻⁵) and a χ² quantile at 0.999.
    #[test]
    fn poisson_counts_match_theory_over_a_two_step_profile() {
        let flow = poisson(two_step());
        let r = 1000;
        let expected = [60.0, 300.0, 0.0, 60.0, 300.0, 0.0];
        let mut counts = vec![[0.0_f64; 6]; r];
        // Positions within the busy steps, in tenths.
        let mut bins = [0.0_f64; 10];
        for (rep, row) in counts.iter_mut().enumerate() {
            for t in departures(&flow, rep as u32, 3600.0) {
                let step = (t / 600.0).floor() as usize;
                row[step] += 1.0;
                if step % 3 == 1 {
                    bins[((t - 600.0 * step as f64) / 60.0).floor() as usize] += 1.0;
                }
            }
        }
        let n = r as f64;
        for (i, &lambda) in expected.iter().enumerate() {
            let column: Vec<f64> = counts.iter().map(|c| c[i]).collect();
            let mean = column.iter().sum::<f64>() / n;
            let var = column.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            if lambda == 0.0 {
                assert_eq!((mean, var), (0.0, 0.0), "step {i} has rate 0");
                continue;
            }
            let se_mean = (lambda / n).sqrt();
            assert!((mean - lambda).abs() <= 4.0 * se_mean, "step {i}: mean {mean} vs Λ = {lambda}");
            // Var(s²) ≈ (μ₄ − σ⁴)/n with μ₄ = λ + 3λ² for a Poisson count.
            let se_var = ((lambda + 2.0 * lambda * lambda) / n).sqrt();
            assert!((var - lambda).abs() <= 4.0 * se_var, "step {i}: variance {var} vs Λ = {lambda}");
        }
        // Adjacent busy steps across the zero step: uncorrelated (sd of r ≈ 1/√n).
        let (a, b): (Vec<f64>, Vec<f64>) = counts.iter().map(|c| (c[1], c[3])).unzip();
        let corr = correlation(&a, &b);
        assert!(corr.abs() <= 4.0 / n.sqrt(), "correlation {corr}");
        // Uniform within the busy steps: χ² with 9 degrees of freedom, 0.999 quantile 27.877.
        let total: f64 = bins.iter().sum();
        let chi2: f64 = bins.iter().map(|o| (o - total / 10.0).powi(2) / (total / 10.0)).sum();
        assert!(chi2 < 27.877, "χ² = {chi2} over {bins:?}");
    }

    fn correlation(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }

    #[test]
    fn a_profile_that_ends_at_zero_stops_and_one_that_holds_keeps_going() {
        let stops = poisson(profile(100.0, &[720.0, 0.0], false));
        let mut d = Departures::new(&stops, rng(0));
        let mut last = None;
        let mut n = 0;
        while let Some(t) = d.next(last) {
            assert!(t < 100.0);
            last = Some(t);
            n += 1;
        }
        assert!(n > 0);
        assert_eq!(d.next(last), None);
        // 0 for 100 s, then 720 veh/h forever: mean 200 over [100, 1100] in 300 replications.
        let holds = poisson(profile(100.0, &[0.0, 720.0], false));
        let counts: Vec<f64> = (0..300)
            .map(|rep| departures(&holds, rep, 1100.0))
            .map(|d| {
                assert!(d.iter().all(|&t| t > 100.0));
                d.len() as f64
            })
            .collect();
        let mean = counts.iter().sum::<f64>() / 300.0;
        assert!((mean - 200.0).abs() <= 4.0 * (200.0_f64 / 300.0).sqrt(), "mean {mean}");
    }

    #[test]
    fn deterministic_departures_are_exact_multiples_of_the_headway() {
        let mut f = flow("d", &[0, 5], 36000.0);
        f.arrivals = Arrivals::Deterministic { headway: 0.1, offset: 2.5 };
        let mut d = Departures::new(&f, rng(0));
        let mut last = None;
        for k in 0..10_000u32 {
            let t = d.next(last).unwrap();
            // Computed from k, never accumulated (a running sum would drift by then).
            assert_eq!(t, 2.5 + f64::from(k) * 0.1);
            last = Some(t);
        }
    }

    #[test]
    fn expected_departures_integrate_the_profile() {
        assert_eq!(expected_departures(&two_step(), 3600.0), 720.0);
        assert_eq!(expected_departures(&two_step(), 2100.0), 390.0);
        assert_eq!(expected_departures(&two_step(), 1500.0), 360.0);
        assert_eq!(expected_departures(&profile(100.0, &[0.0, 720.0], false), 1100.0), 200.0);
        assert_eq!(expected_departures(&profile(100.0, &[720.0, 0.0], false), 1100.0), 20.0);
        assert_eq!(expected_departures(&profile(f64::INFINITY, &[600.0], false), 1800.0), 300.0);
        assert_eq!(expected_departures(&two_step(), 0.0), 0.0);
    }

    fn turn(from: u32, ratios: &[(u32, f64)]) -> TurnConfig {
        TurnConfig { from, ratios: ratios.to_vec() }
    }

    #[test]
    fn turns_are_drawn_by_cumulative_ratios_in_file_order() {
        let mut config = cross(plugin("fixed_time", "{}"));
        // From north-in: south-out 0.7, east-out 0.2, west-out 0.1 (0.7 + 0.2 rounds below 0.9).
        config.turns = vec![turn(0, &[(5, 0.7), (6, 0.2), (7, 0.1)])];
        let table = TurnTable::new(&config);
        for (u, want) in [(0.0, 5), (0.699_999, 5), (0.7, 6), (0.899, 6), (0.9, 7), (0.999_999_999, 7)] {
            assert_eq!(table.draw(0, u), Some(want), "u = {u}");
        }
        assert_eq!(table.draw(1, 0.5), None);
        assert_eq!(table.draw(99, 0.5), None);
        assert_eq!(table.ratios(0).collect::<Vec<_>>(), [(5, 0.7), (6, 0.2), (7, 0.1)]);
        // Frequencies of 10⁵ uniform draws, each within 4 standard errors.
        let mut r = rng(3);
        let mut seen = [0.0_f64; 3];
        let n = 100_000;
        for _ in 0..n {
            let u: f64 = rand::RngExt::random(&mut r);
            seen[table.draw(0, u).unwrap() as usize - 5] += 1.0;
        }
        for (count, p) in seen.iter().zip([0.7, 0.2, 0.1]) {
            let se = (p * (1.0 - p) / f64::from(n)).sqrt();
            assert!((count / f64::from(n) - p).abs() <= 4.0 * se, "{seen:?}");
        }
    }

    /// Three junctions A → B → C → A in a ring, entered at A from `src`, left at each by a
    /// link to a boundary. Turns: half go on around the ring at every junction.
    fn ring() -> CityConfig {
        let control =
            || Some(NodeControl { phases: vec![vec![]], signal: plugin("actuated", "{}"), timing: TIMING });
        let junction = |name: &str| NodeConfig { name: name.to_owned(), at: None, control: control() };
        let nodes = vec![
            junction("A"),
            junction("B"),
            junction("C"),
            boundary("src"),
            boundary("dB"),
            boundary("dC"),
            boundary("dA"),
        ];
        let links: Vec<LinkConfig> = vec![
            link("in", 3, 0),
            link("ab", 0, 1),
            link("bc", 1, 2),
            link("ca", 2, 0),
            link("b-out", 1, 4),
            link("c-out", 2, 5),
            link("a-out", 0, 6),
        ];
        let movements =
            [(0, 0, 1), (0, 0, 6), (0, 3, 1), (0, 3, 6), (1, 1, 2), (1, 1, 4), (2, 2, 3), (2, 2, 5)]
                .into_iter()
                .map(|(node, from, to)| MovementConfig { node, from, to, permitted_factor: 1.0 })
                .collect();
        let mut config = city(NetworkConfig { nodes, links, movements });
        config.turns = vec![
            turn(0, &[(1, 1.0)]),
            turn(1, &[(2, 0.5), (4, 0.5)]),
            turn(2, &[(3, 0.5), (5, 0.5)]),
            turn(3, &[(1, 0.5), (6, 0.5)]),
        ];
        config.flows = vec![FlowConfig { path: PathSpec::TurnRatios { first: 0 }, ..flow("f", &[], 700.0) }];
        config
    }

    #[test]
    fn turn_ratio_flows_are_propagated_around_loops() {
        // f_ab = 700 + f_ca/2, f_bc = f_ab/2, f_ca = f_bc/2 ⇒ f_ab = 800, f_bc = 400, f_ca = 200.
        let q = design_flows(&ring());
        let want = [700.0, 0.0, 100.0, 100.0, 400.0, 400.0, 200.0, 200.0];
        for (m, (got, want)) in q.iter().zip(want).enumerate() {
            assert!((got - want).abs() <= 1e-9 * 700.0, "movement {m}: {got} vs {want}");
        }
        let visits = propagate(&ring(), &TurnTable::new(&ring()), &[(0, 1.0)]);
        let per_vehicle: f64 = visits.links.iter().sum();
        // in, then ab 8/7, bc 4/7, ca 2/7, b-out 4/7, c-out 2/7, a-out 1/7: 4 links a vehicle.
        assert!((per_vehicle - 4.0).abs() <= 1e-9, "{per_vehicle}");
    }

    #[test]
    fn design_flows_add_fixed_paths_at_their_busiest_step_and_trips_per_busiest_hour() {
        let mut config = cross(plugin("fixed_time", "{}"));
        let mut peak = flow("peak", &[0, 5], 0.0);
        peak.profile = profile(900.0, &[100.0, 400.0, 250.0], false);
        let mut det = flow("det", &[0, 5], 0.0);
        det.arrivals = Arrivals::Deterministic { headway: 6.0, offset: 0.0 };
        config.flows = vec![peak, det, flow("ew", &[2, 7], 300.0)];
        let trip = |depart: f64, path: &[u32]| super::super::config::Trip { depart, path: path.to_vec() };
        let trips: Arc<[_]> = vec![
            trip(10.0, &[0, 5]),
            trip(20.0, &[0, 5]),
            trip(3650.0, &[1, 4]),
            trip(3700.0, &[0, 5]),
            trip(3800.0, &[0, 5]),
            trip(3900.0, &[0, 5]),
        ]
        .into();
        config.trips = Some(TripsConfig { file: "t.csv".into(), trips });
        let q = design_flows(&config);
        // north-in>south-out is movement 0, south-in>north-out 3, east-in>west-out 8.
        let mut want = vec![0.0; 12];
        want[0] = 400.0 + 600.0 + 3.0;
        want[3] = 1.0;
        want[8] = 300.0;
        assert_eq!(q, want);
    }
}
