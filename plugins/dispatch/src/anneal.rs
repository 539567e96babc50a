//! `anneal`: simulated annealing over the sequence of the waiting queue, with argmin's
//! [`SimulatedAnnealing`] solver.
//!
//! The model (`Model`) list-schedules a sequence on the station's machines: each job in turn
//! goes to the machine that is free earliest (lowest index on ties), completes `p_j` later and
//! finishes the route `tail_j` (the sum of its remaining operations' times) after that. The
//! objective is the total weighted tardiness `Σ w_j·max(0, finish_j − d_j)` or the makespan
//! `max finish_j`. Only the first jobs of the answer start now; the rest of the sequence is the
//! plan that justifies them.

use std::cell::RefCell;

use argmin::core::{CostFunction, Error, Executor};
use argmin::solver::simulatedannealing::{Anneal, SATempFunc, SimulatedAnnealing};
use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use serde::Deserialize;
use xinzhi_plugin::{Component, Config, Host, MachineRecord, Order, PluginError, Scheduler, Snapshot};

use crate::rules::{DEFAULT_ATC_K, fill_all, later_work, sort_atc, sort_edd, sort_wspt};

/// What the annealing minimises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// `Σ w_j·max(0, finish_j − d_j)`; jobs without due date contribute 0.
    #[default]
    WeightedTardiness,
    /// `max finish_j`.
    Makespan,
}

/// The data of one decision, in flat arrays indexed by job (reused across calls).
#[derive(Debug, Default)]
struct Model {
    objective: Objective,
    /// Processing time at this station.
    p: Vec<f64>,
    /// Weight.
    w: Vec<f64>,
    /// Due date (`+∞` when none).
    d: Vec<f64>,
    /// Work after this station: the sum of the remaining operations' times.
    tail: Vec<f64>,
    /// When each usable machine is free, at the decision.
    free: Vec<f64>,
}

impl Model {
    fn load(&mut self, snapshot: &Snapshot<'_>, objective: Objective) {
        self.objective = objective;
        let jobs = snapshot.jobs;
        self.p.clear();
        self.p.extend(jobs.iter().map(|j| j.processing_time));
        self.w.clear();
        self.w.extend(jobs.iter().map(|j| j.weight));
        self.d.clear();
        self.d.extend(jobs.iter().map(|j| j.due_date));
        self.tail.clear();
        self.tail.extend(jobs.iter().map(|j| later_work(snapshot, j)));
        // Blocked machines (`+∞`) take no job until downstream frees room, which the scheduler
        // cannot predict: leave them out. A busy machine that overran its estimate is free "now".
        self.free.clear();
        self.free.extend(
            snapshot
                .machines
                .iter()
                .filter(|m| m.state != MachineRecord::BLOCKED && m.available_at.is_finite())
                .map(|m| m.available_at.max(snapshot.now)),
        );
        // The host only asks when a machine is idle; if none is usable anyway, plan on one
        // machine free now rather than on none.
        if self.free.is_empty() {
            self.free.push(snapshot.now);
        }
    }

    /// The objective of `seq`, list-scheduled; `free` is scratch of `self.free.len()` values.
    fn cost(&self, seq: &[u32], free: &mut [f64]) -> f64 {
        free.copy_from_slice(&self.free);
        let mut total = match self.objective {
            Objective::WeightedTardiness => 0.0,
            Objective::Makespan => f64::NEG_INFINITY,
        };
        for &j in seq {
            let j = j as usize;
            let mut m = 0;
            for (i, &t) in free.iter().enumerate().skip(1) {
                if t < free[m] {
                    m = i;
                }
            }
            let completion = free[m] + self.p[j];
            free[m] = completion;
            let finish = completion + self.tail[j];
            match self.objective {
                // `finish − ∞ = −∞`: a job without due date is never tardy.
                Objective::WeightedTardiness => total += self.w[j] * (finish - self.d[j]).max(0.0),
                Objective::Makespan => total = total.max(finish),
            }
        }
        total
    }

    /// A value no sequence can beat: reaching it ends the search early.
    fn lower_bound(&self) -> f64 {
        match self.objective {
            Objective::WeightedTardiness => 0.0,
            Objective::Makespan => {
                let first_free = self.free.iter().copied().fold(f64::INFINITY, f64::min);
                // Each job finishes at least its own chain after the first free machine...
                let chain =
                    self.p.iter().zip(&self.tail).map(|(p, t)| first_free + p + t).fold(0.0, f64::max);
                // ...and the machines end, on average, after their backlog plus all the work here.
                let load =
                    (self.free.iter().sum::<f64>() + self.p.iter().sum::<f64>()) / self.free.len() as f64;
                chain.max(load)
            }
        }
    }

    /// The typical change of the objective under one move: the temperature's unit.
    fn scale(&self) -> f64 {
        let n = self.p.len() as f64;
        match self.objective {
            Objective::WeightedTardiness => self.p.iter().zip(&self.w).map(|(p, w)| p * w).sum::<f64>() / n,
            Objective::Makespan => self.p.iter().sum::<f64>() / n,
        }
    }
}

/// A uniform index below `n` (Lemire's multiply-shift). The bias, below `n / 2⁶⁴`, is immaterial
/// for queue lengths.
fn below(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// The problem argmin sees: a sequence of job indices and its cost.
struct Sequencing<'a> {
    model: &'a Model,
    /// Draws the moves. `Anneal::anneal` takes `&self`, hence the cell.
    moves: RefCell<Xoshiro256PlusPlus>,
    /// Machine free times during one evaluation.
    free: RefCell<Vec<f64>>,
}

impl CostFunction for Sequencing<'_> {
    type Param = Vec<u32>;
    type Output = f64;

    fn cost(&self, seq: &Vec<u32>) -> Result<f64, Error> {
        Ok(self.model.cost(seq, &mut self.free.borrow_mut()))
    }
}

impl Anneal for Sequencing<'_> {
    type Param = Vec<u32>;
    type Output = Vec<u32>;
    type Float = f64;

    /// One random swap or insertion move (even odds). The move size does not depend on the
    /// temperature: for permutations there is no natural "small step" to shrink towards.
    fn anneal(&self, seq: &Vec<u32>, _temperature: f64) -> Result<Vec<u32>, Error> {
        let mut next = seq.clone();
        let rng = &mut *self.moves.borrow_mut();
        let n = next.len();
        // Two distinct positions (callers ensure n ≥ 2).
        let i = below(rng, n);
        let mut j = below(rng, n - 1);
        if j >= i {
            j += 1;
        }
        if rng.next_u64() >> 63 == 0 {
            next.swap(i, j);
        } else if i < j {
            // Take the job at i out and put it back at j.
            next[i..=j].rotate_left(1);
        } else {
            next[j..=i].rotate_right(1);
        }
        Ok(next)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    objective: Objective,
    #[serde(default = "default_iterations")]
    iterations: f64,
    #[serde(default = "default_temperature")]
    temperature: f64,
    #[serde(default = "default_reanneal")]
    reanneal: f64,
}

/// Default number of annealing moves per decision.
pub(crate) const DEFAULT_ITERATIONS: u64 = 2000;
/// Default initial temperature, in units of [`Model::scale`].
pub(crate) const DEFAULT_TEMPERATURE: f64 = 3.0;
/// Default number of moves without a new best after which the temperature is reset.
pub(crate) const DEFAULT_REANNEAL: u64 = 200;

fn default_iterations() -> f64 {
    DEFAULT_ITERATIONS as f64
}

fn default_temperature() -> f64 {
    DEFAULT_TEMPERATURE
}

fn default_reanneal() -> f64 {
    DEFAULT_REANNEAL as f64
}

/// A whole number in `1..=1e9` given as a JSON number, or an error naming `key`.
///
/// Parsed as `f64` so that the message can name the key (serde's own type errors do not).
fn count(key: &str, value: f64) -> Result<u64, PluginError> {
    if value.fract() == 0.0 && (1.0..=1e9).contains(&value) {
        Ok(value as u64)
    } else {
        Err(PluginError::invalid_config(format!("`{key}` must be a whole number in 1..=1e9, found {value}")))
    }
}

/// Simulated annealing over the queue's sequence (argmin's [`SimulatedAnnealing`]).
///
/// Starts from the best of the EDD, WSPT and ATC (`k` = 2) sequences and returns the best
/// sequence found, so it is never worse than those rules under its own model. Each move is a
/// random swap or insertion; argmin accepts a worse sequence with probability
/// `1 / (1 + exp(Δ/T))`, with `T_i = T_0 / (i + 1)` (`SATempFunc::TemperatureFast`) and `T` reset
/// to `T_0` after `reanneal` moves without a new best. The search stops after `iterations` moves,
/// or as soon as it reaches a lower bound (0 tardiness; for makespan the longest single chain or
/// the average machine load).
///
/// Randomness comes from the host seed only: the same seed and the same snapshots give the same
/// orders. Cost: one argmin iteration is ~0.7 µs for 16 jobs in a release build, mostly argmin's
/// own bookkeeping (it builds an 11-entry `HashMap<String, _>` of diagnostics every iteration);
/// the model's evaluation is ~26 ns.
#[derive(Debug)]
pub struct Annealing {
    objective: Objective,
    iterations: u64,
    temperature: f64,
    reanneal: u64,
    /// Master stream: each call draws the seeds of its move and acceptance streams from it.
    rng: Xoshiro256PlusPlus,
    model: Model,
    keys: Vec<(f64, f64)>,
}

impl Component for Annealing {
    const NAME: &'static str = "anneal";
    const DESCRIPTION: &'static str =
        "simulated annealing (argmin) of the queue's sequence, list-scheduled on the station's machines";
    const PARAMETERS: &'static str = "\
objective: what to minimise, \"weighted_tardiness\" (sum of w·max(0, finish - due)) or \"makespan\" (latest finish) (string, \"weighted_tardiness\")
iterations: annealing moves per decision (integer >= 1, 2000)
temperature: initial temperature, in mean w·p of the queue (makespan: mean p) (f64 > 0, 3.0)
reanneal: moves without a new best after which the temperature is reset (integer >= 1, 200)";

    fn new(config: &Config<'_>, host: &Host) -> Result<Self, PluginError> {
        let Params { objective, iterations, temperature, reanneal } = config.parse()?;
        let iterations = count("iterations", iterations)?;
        let reanneal = count("reanneal", reanneal)?;
        if !(temperature > 0.0 && temperature.is_finite()) {
            return Err(PluginError::invalid_config(format!(
                "`temperature` must be finite and > 0, found {temperature}"
            )));
        }
        Ok(Annealing {
            objective,
            iterations,
            temperature,
            reanneal,
            rng: Xoshiro256PlusPlus::seed_from_u64(host.seed()),
            model: Model::default(),
            keys: Vec::new(),
        })
    }
}

impl Annealing {
    /// The best of the EDD, WSPT and ATC sequences, with its cost (earlier rule on ties).
    fn start(&mut self, snapshot: &Snapshot<'_>, free: &mut [f64]) -> (Vec<u32>, f64) {
        let n = snapshot.jobs.len() as u32;
        let mut best: Option<(Vec<u32>, f64)> = None;
        for rule in 0..3 {
            let mut seq: Vec<u32> = (0..n).collect();
            match rule {
                0 => sort_edd(snapshot.jobs, &mut seq),
                1 => sort_wspt(snapshot.jobs, &mut seq),
                _ => sort_atc(snapshot, DEFAULT_ATC_K, &mut seq, &mut self.keys),
            }
            let cost = self.model.cost(&seq, free);
            if best.as_ref().is_none_or(|(_, c)| cost < *c) {
                best = Some((seq, cost));
            }
        }
        best.unwrap_or_default()
    }

    /// Runs argmin's annealing from `start`; returns the best sequence it saw.
    fn search(&mut self, start: Vec<u32>) -> Result<Vec<u32>, Error> {
        let problem = Sequencing {
            model: &self.model,
            moves: RefCell::new(Xoshiro256PlusPlus::seed_from_u64(self.rng.next_u64())),
            free: RefCell::new(vec![0.0; self.model.free.len()]),
        };
        let acceptance = Xoshiro256PlusPlus::seed_from_u64(self.rng.next_u64());
        let solver = SimulatedAnnealing::new_with_rng(self.temperature * self.model.scale(), acceptance)?
            .with_temp_func(SATempFunc::TemperatureFast)
            .with_reannealing_best(self.reanneal);
        let target = self.model.lower_bound();
        let result = Executor::new(problem, solver)
            .configure(|state| state.param(start).max_iters(self.iterations).target_cost(target))
            .run()?;
        let mut state = result.state;
        state.best_param.take().ok_or_else(|| Error::msg("argmin kept no best sequence"))
    }
}

impl Scheduler for Annealing {
    fn schedule(&mut self, snapshot: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError> {
        fill_all(snapshot, order)?;
        if snapshot.jobs.len() < 2 {
            return Ok(());
        }
        self.model.load(snapshot, self.objective);
        let mut free = vec![0.0; self.model.free.len()];
        let (start, start_cost) = self.start(snapshot, &mut free);
        let scale = self.model.scale();
        // `scale == 0` means every job takes no time here: all sequences cost the same.
        let best = if scale > 0.0 && scale.is_finite() {
            let best =
                self.search(start.clone()).map_err(|e| PluginError::failed(format!("annealing: {e}")))?;
            // argmin's best starts as `start` and is only replaced by strictly cheaper
            // sequences; the guard keeps "never worse than the start" independent of that.
            if self.model.cost(&best, &mut free) <= start_cost { best } else { start }
        } else {
            start
        };
        order.as_mut_slice().copy_from_slice(&best);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use xinzhi_plugin::Status;

    use super::*;
    use crate::testkit::{
        Scenario, brute_force, build, idle, order_of, random_instances, random_stations, weighted_tardiness,
    };

    const INF: f64 = f64::INFINITY;

    /// The start sequence's cost and the brute-force optimum of `s` (one machine at `now`).
    fn start_and_optimum(s: &Scenario) -> (f64, f64) {
        let mut annealing = build::<Annealing>("{}", 0).unwrap();
        annealing.model.load(&s.snapshot(), Objective::WeightedTardiness);
        let (_, start) = annealing.start(&s.snapshot(), &mut [0.0]);
        (start, brute_force(s, weighted_tardiness))
    }

    #[test]
    fn reaches_the_optimal_weighted_tardiness_on_small_instances() {
        let mut improved = 0;
        for (i, s) in random_instances(21, 200, 7).iter().enumerate() {
            let mut anneal = build::<Annealing>("{}", 100 + i as u64).unwrap();
            let found = weighted_tardiness(s, &order_of(&mut anneal, s));
            let (start, best) = start_and_optimum(s);
            assert!(
                found <= best + 1e-9 * best.abs().max(1.0),
                "instance {i}: found {found}, optimum {best}"
            );
            if start > best + 1e-9 * best.abs().max(1.0) {
                improved += 1;
            }
        }
        // Not a vacuous pass: on about a fifth of the instances no starting rule is optimal and
        // the annealing had to find the optimum itself (44 of the 200 with these seeds).
        println!("{improved} of 200 instances needed the search");
        assert!(improved >= 20, "only {improved} instances needed the search");
    }

    /// Wider than the test above: run with `--ignored` after changing the search or its defaults.
    #[test]
    #[ignore = "slow stress run (about 10 s in release)"]
    fn reaches_the_optimum_stress() {
        let mut misses = 0;
        for (i, s) in random_instances(1000, 2000, 8).iter().enumerate() {
            let mut anneal = build::<Annealing>("{}", i as u64).unwrap();
            let found = weighted_tardiness(s, &order_of(&mut anneal, s));
            let best = brute_force(s, weighted_tardiness);
            if found > best + 1e-9 * best.abs().max(1.0) {
                println!("instance {i}: found {found}, optimum {best}");
                misses += 1;
            }
        }
        assert_eq!(misses, 0);
    }

    #[test]
    fn same_seed_same_orders() {
        let stations = random_stations(31, 40, 12);
        let run = |seed: u64| -> Vec<Vec<u32>> {
            let mut anneal = build::<Annealing>(r#"{"iterations": 300}"#, seed).unwrap();
            stations.iter().map(|s| order_of(&mut anneal, s)).collect()
        };
        assert_eq!(run(7), run(7));
        let mut makespan = build::<Annealing>(r#"{"objective": "makespan", "iterations": 300}"#, 7).unwrap();
        let mut again = build::<Annealing>(r#"{"objective": "makespan", "iterations": 300}"#, 7).unwrap();
        for s in &stations {
            assert_eq!(order_of(&mut makespan, s), order_of(&mut again, s));
        }
    }

    #[test]
    fn model_list_schedules_on_usable_machines() {
        // now = 5. M0 idle; M1 busy, due free at 3 (overran): free now; M2 busy until 9;
        // M3 blocked: unused. (p, d, w) and later operations:
        //   J0 (4, 10, 2) + [1]   J1 (2, 6, 1)   J2 (3, inf, 5) + [2, 2]   J3 (1, 8, 3)
        let mut s =
            Scenario::single(5.0, &[(4.0, 10.0, 2.0), (2.0, 6.0, 1.0), (3.0, INF, 5.0), (1.0, 8.0, 3.0)])
                .with_remaining(0, &[1.0])
                .with_remaining(2, &[2.0, 2.0]);
        s.machines = vec![
            idle(0, 5.0),
            MachineRecord { index: 1, state: MachineRecord::BUSY, available_at: 3.0 },
            MachineRecord { index: 2, state: MachineRecord::BUSY, available_at: 9.0 },
            MachineRecord { index: 3, state: MachineRecord::BLOCKED, available_at: INF },
        ];
        let mut model = Model::default();
        model.load(&s.snapshot(), Objective::WeightedTardiness);
        assert_eq!(model.free, [5.0, 5.0, 9.0]);
        let free = &mut [0.0; 3];
        // [0, 1, 2, 3]: J0 on M0 5..9, finish 10, on time; J1 on M1 5..7, 1 late (w 1);
        // J2 on M1 7..10, finish 14, no due date; J3 on M0 (tie with M2) 9..10, 2 late (w 3).
        assert_eq!(model.cost(&[0, 1, 2, 3], free), 7.0);
        // [3, 1, 0, 2]: J3 M0 5..6 on time; J1 M1 5..7, 1 late; J0 M0 6..10, finish 11, 1 late (w 2).
        assert_eq!(model.cost(&[3, 1, 0, 2], free), 3.0);
        model.load(&s.snapshot(), Objective::Makespan);
        assert_eq!(model.cost(&[0, 1, 2, 3], free), 14.0);
        // Longest chain: J2 from 5, 3 + 2 + 2 → 12; average load (5 + 5 + 9 + 10) / 3 < 12.
        assert_eq!(model.lower_bound(), 12.0);
    }

    #[test]
    fn makespan_on_two_machines_hand_worked() {
        // now = 0; M0 idle, M1 busy until 3, M2 blocked. Jobs (p, later operations):
        //   J0 (2)   J1 (4, then 2 and 4 elsewhere: its route ends 10 after it starts)   J2 (3)   J3 (1)
        // J1 must start first, on M0 at 0, to finish at 10; then M1 (free at 3) and M0 (at 4)
        // share J0, J2, J3 (6 units): all end by 9. Makespan 10 = J1's chain, the optimum.
        // Started second or later, J1 starts at 1 or more and finishes at 11 or later. The
        // starting rules miss it: EDD (no due dates: arrival order) gives 12, WSPT/ATC put J1
        // last (13).
        let mut s =
            Scenario::single(0.0, &[(2.0, INF, 1.0), (4.0, INF, 1.0), (3.0, INF, 1.0), (1.0, INF, 1.0)])
                .with_remaining(1, &[2.0, 4.0]);
        s.machines = vec![
            idle(0, 0.0),
            MachineRecord { index: 1, state: MachineRecord::BUSY, available_at: 3.0 },
            MachineRecord { index: 2, state: MachineRecord::BLOCKED, available_at: INF },
        ];
        let mut model = Model::default();
        model.load(&s.snapshot(), Objective::Makespan);
        assert_eq!(model.cost(&[0, 1, 2, 3], &mut [0.0; 2]), 12.0);
        assert_eq!(model.cost(&[3, 0, 2, 1], &mut [0.0; 2]), 13.0);
        for seed in 0..20 {
            let mut anneal = build::<Annealing>(r#"{"objective": "makespan"}"#, seed).unwrap();
            let seq = order_of(&mut anneal, &s);
            assert_eq!(seq[0], 1, "seed {seed}: {seq:?}");
            // Re-evaluate by hand-rolled list scheduling on the two usable machines.
            let (mut free, mut makespan) = ([0.0, 3.0], 0.0f64);
            for &j in &seq {
                let m = usize::from(free[1] < free[0]);
                free[m] += s.jobs[j as usize].processing_time;
                let tail: f64 =
                    s.snapshot().remaining(&s.jobs[j as usize]).iter().map(|o| o.processing_time).sum();
                makespan = makespan.max(free[m] + tail);
            }
            assert_eq!(makespan, 10.0, "seed {seed}: {seq:?}");
        }
        // The weighted-tardiness objective has nothing to gain here (no due dates): EDD's start.
        let mut anneal = build::<Annealing>("{}", 0).unwrap();
        assert_eq!(order_of(&mut anneal, &s), [0, 1, 2, 3]);
    }

    #[test]
    fn never_worse_than_the_starting_rules() {
        for objective in [Objective::WeightedTardiness, Objective::Makespan] {
            let json = match objective {
                Objective::WeightedTardiness => r#"{"iterations": 200}"#,
                Objective::Makespan => r#"{"iterations": 200, "objective": "makespan"}"#,
            };
            let mut anneal = build::<Annealing>(json, 3).unwrap();
            for s in random_stations(41, 100, 15) {
                let seq = order_of(&mut anneal, &s);
                let mut probe = build::<Annealing>("{}", 0).unwrap();
                probe.model.load(&s.snapshot(), objective);
                let mut free = vec![0.0; probe.model.free.len()];
                let (_, start) = probe.start(&s.snapshot(), &mut free);
                assert!(probe.model.cost(&seq, &mut free) <= start);
            }
        }
    }

    #[test]
    fn single_job_and_zero_times() {
        let one = Scenario::single(2.0, &[(3.0, 1.0, 1.0)]);
        assert_eq!(order_of(&mut build::<Annealing>("{}", 0).unwrap(), &one), [0]);
        // All zero times: every sequence costs the same, the start (EDD) is returned.
        let zeros = Scenario::single(0.0, &[(0.0, 5.0, 1.0), (0.0, -1.0, 3.0), (0.0, INF, 1.0)]);
        assert_eq!(order_of(&mut build::<Annealing>("{}", 0).unwrap(), &zeros), [1, 0, 2]);
        let json = r#"{"objective": "makespan"}"#;
        assert_eq!(order_of(&mut build::<Annealing>(json, 0).unwrap(), &zeros), [1, 0, 2]);
    }

    #[test]
    fn bad_parameters_name_the_key() {
        let cases = [
            (r#"{"iteration": 100}"#, "`iteration`"),
            (r#"{"objective": "flow_time"}"#, "`flow_time`"),
            (r#"{"iterations": 0}"#, "`iterations`"),
            (r#"{"iterations": 2.5}"#, "`iterations`"),
            (r#"{"reanneal": -3}"#, "`reanneal`"),
            (r#"{"temperature": 0}"#, "`temperature`"),
            (r#"{"temperature": -1}"#, "`temperature`"),
        ];
        for (json, key) in cases {
            let e = build::<Annealing>(json, 0).unwrap_err();
            assert_eq!(e.status, Status::INVALID_CONFIG, "{json}");
            assert!(e.message.contains(key), "{json}: {}", e.message);
        }
        let ok = build::<Annealing>(r#"{"objective": "makespan", "iterations": 10, "temperature": 0.5}"#, 0);
        assert_eq!(ok.unwrap().objective, Objective::Makespan);
    }
}
