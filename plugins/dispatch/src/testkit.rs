//! Test helpers: hand-built snapshots, single-machine objectives and brute force.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use xinzhi_plugin::{
    Component, Config, Host, JobRecord, MachineRecord, OperationRecord, Order, PluginError, Scheduler,
    Snapshot,
};

/// An owned snapshot.
#[derive(Clone, Debug)]
pub(crate) struct Scenario {
    pub(crate) now: f64,
    pub(crate) jobs: Vec<JobRecord>,
    pub(crate) ops: Vec<OperationRecord>,
    pub(crate) machines: Vec<MachineRecord>,
}

/// A waiting job with processing time `p`, due date `d` and weight `w`, queued at 0, no later
/// operations.
pub(crate) fn job(p: f64, d: f64, w: f64) -> JobRecord {
    JobRecord {
        id: 0,
        product: 0,
        step: 0,
        release_time: 0.0,
        due_date: d,
        weight: w,
        queued_at: 0.0,
        processing_time: p,
        ops_start: 0,
        ops_len: 0,
    }
}

/// An idle machine at `now`.
pub(crate) fn idle(index: u32, now: f64) -> MachineRecord {
    MachineRecord { index, state: MachineRecord::IDLE, available_at: now }
}

impl Scenario {
    /// `jobs` as `(p, d, w)`, waiting at `now` in front of one idle machine.
    pub(crate) fn single(now: f64, jobs: &[(f64, f64, f64)]) -> Self {
        let jobs = jobs
            .iter()
            .enumerate()
            .map(|(i, &(p, d, w))| JobRecord { id: i as u64, ..job(p, d, w) })
            .collect();
        Scenario { now, jobs, ops: Vec::new(), machines: vec![idle(0, now)] }
    }

    /// Gives job `j` the later operations `times` (at stations 1, 2, …).
    pub(crate) fn with_remaining(mut self, j: usize, times: &[f64]) -> Self {
        self.jobs[j].ops_start = self.ops.len() as u32;
        self.jobs[j].ops_len = times.len() as u32;
        self.ops.extend(times.iter().enumerate().map(|(s, &t)| OperationRecord {
            station: s as u32 + 1,
            _reserved: 0,
            processing_time: t,
        }));
        self
    }

    pub(crate) fn snapshot(&self) -> Snapshot<'_> {
        Snapshot { station: 0, now: self.now, jobs: &self.jobs, ops: &self.ops, machines: &self.machines }
    }
}

/// Builds `S` from JSON parameters with a detached host of `seed`.
pub(crate) fn build<S: Component>(json: &str, seed: u64) -> Result<S, PluginError> {
    S::new(&Config::new(json), &Host::detached(seed))
}

/// `scheduler`'s order for `scenario`, checked to be a permutation of all waiting jobs.
pub(crate) fn order_of<S: Scheduler>(scheduler: &mut S, scenario: &Scenario) -> Vec<u32> {
    let mut buf = vec![u32::MAX; scenario.jobs.len()];
    let mut order = Order::new(&mut buf);
    scheduler.schedule(&scenario.snapshot(), &mut order).expect("schedule");
    let seq = order.as_slice().to_vec();
    let mut sorted = seq.clone();
    sorted.sort_unstable();
    assert!(sorted.iter().copied().eq(0..scenario.jobs.len() as u32), "not a full order: {seq:?}");
    seq
}

/// Completion times of `seq` processed back to back on one machine from `now`.
pub(crate) fn completions(s: &Scenario, seq: &[u32]) -> Vec<(usize, f64)> {
    let mut t = s.now;
    seq.iter()
        .map(|&j| {
            t += s.jobs[j as usize].processing_time;
            (j as usize, t)
        })
        .collect()
}

/// Mean flow time (all jobs released at `now`).
pub(crate) fn mean_flow(s: &Scenario, seq: &[u32]) -> f64 {
    completions(s, seq).iter().map(|&(_, c)| c - s.now).sum::<f64>() / seq.len() as f64
}

/// Maximum lateness `max (C_j − d_j)`; `−∞` if no job has a due date.
pub(crate) fn max_lateness(s: &Scenario, seq: &[u32]) -> f64 {
    completions(s, seq).iter().map(|&(j, c)| c - s.jobs[j].due_date).fold(f64::NEG_INFINITY, f64::max)
}

/// `Σ w_j·C_j`.
pub(crate) fn weighted_completion(s: &Scenario, seq: &[u32]) -> f64 {
    completions(s, seq).iter().map(|&(j, c)| s.jobs[j].weight * c).sum()
}

/// `Σ w_j·max(0, C_j − d_j)`, jobs without due date never tardy.
pub(crate) fn weighted_tardiness(s: &Scenario, seq: &[u32]) -> f64 {
    completions(s, seq)
        .iter()
        .filter(|&&(j, _)| s.jobs[j].due_date.is_finite())
        .map(|&(j, c)| s.jobs[j].weight * (c - s.jobs[j].due_date).max(0.0))
        .sum()
}

/// Every permutation of `0..n`.
pub(crate) fn permutations(n: usize) -> Vec<Vec<u32>> {
    fn extend(prefix: &mut Vec<u32>, rest: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) {
        if rest.is_empty() {
            out.push(prefix.clone());
        }
        for i in 0..rest.len() {
            let x = rest.remove(i);
            prefix.push(x);
            extend(prefix, rest, out);
            prefix.pop();
            rest.insert(i, x);
        }
    }
    let mut out = Vec::new();
    extend(&mut Vec::new(), &mut (0..n as u32).collect(), &mut out);
    out
}

/// The smallest `objective` over all sequences of `s`'s jobs.
pub(crate) fn brute_force(s: &Scenario, objective: impl Fn(&Scenario, &[u32]) -> f64) -> f64 {
    permutations(s.jobs.len()).iter().map(|seq| objective(s, seq)).fold(f64::INFINITY, f64::min)
}

/// Asserts `found` is the optimum `best` up to 1e-9 relative (absolute below 1).
pub(crate) fn assert_optimal(found: f64, best: f64, what: &str) {
    if best.is_infinite() {
        assert_eq!(found, best, "{what}");
    } else {
        assert!(found <= best + 1e-9 * best.abs().max(1.0), "{what}: found {found}, optimum {best}");
    }
}

/// `count` random single-machine instances of 2–`max_jobs` jobs at `now = 0`, reproducible from
/// `seed`. Mixes integer times (ties), zero times, due dates from overdue to loose, jobs without
/// due date and unequal weights.
pub(crate) fn random_instances(seed: u64, count: usize, max_jobs: usize) -> Vec<Scenario> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let n = rng.random_range(2..=max_jobs);
            let integer = rng.random_bool(0.5);
            let mut jobs: Vec<(f64, f64, f64)> = (0..n)
                .map(|_| {
                    let p = if rng.random_bool(0.1) {
                        0.0
                    } else if integer {
                        f64::from(rng.random_range(1..=10u32))
                    } else {
                        rng.random_range(0.1..10.0)
                    };
                    let w = if integer {
                        f64::from(rng.random_range(1..=4u32))
                    } else {
                        rng.random_range(0.1..5.0)
                    };
                    (p, 0.0, w)
                })
                .collect();
            let total: f64 = jobs.iter().map(|j| j.0).sum();
            let tightness = rng.random_range(0.2..1.2);
            for j in &mut jobs {
                j.1 = if rng.random_bool(0.15) {
                    f64::INFINITY
                } else if integer {
                    rng.random_range(0.0..=(tightness * total).ceil()).floor()
                } else {
                    rng.random_range(-1.0..tightness * total)
                };
            }
            Scenario::single(0.0, &jobs)
        })
        .collect()
}

/// `count` random station snapshots, reproducible from `seed`: 1–`max_jobs` jobs with later
/// operations, 1–4 machines idle, busy (some overrunning their estimate) or blocked, `now > 0`.
pub(crate) fn random_stations(seed: u64, count: usize, max_jobs: usize) -> Vec<Scenario> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let now = rng.random_range(0.0..100.0);
            let n = rng.random_range(1..=max_jobs);
            let jobs: Vec<(f64, f64, f64)> = (0..n)
                .map(|_| {
                    let p = if rng.random_bool(0.1) { 0.0 } else { rng.random_range(0.1..10.0) };
                    let d = if rng.random_bool(0.2) {
                        f64::INFINITY
                    } else {
                        now + rng.random_range(-10.0..40.0)
                    };
                    (p, d, rng.random_range(0.1..5.0))
                })
                .collect();
            let mut s = Scenario::single(now, &jobs);
            for j in 0..n {
                let later: Vec<f64> =
                    (0..rng.random_range(0..4)).map(|_| rng.random_range(0.0..8.0)).collect();
                s = s.with_remaining(j, &later);
            }
            s.machines = (0..rng.random_range(1..=4u32))
                .map(|i| match rng.random_range(0..3) {
                    0 => idle(i, now),
                    1 => MachineRecord {
                        index: i,
                        state: MachineRecord::BUSY,
                        available_at: now + rng.random_range(-2.0..10.0),
                    },
                    _ => {
                        MachineRecord { index: i, state: MachineRecord::BLOCKED, available_at: f64::INFINITY }
                    }
                })
                .collect();
            s
        })
        .collect()
}
