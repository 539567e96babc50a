//! The priority rules: each sorts the whole waiting queue by one key, ties by arrival index.
//!
//! The sorting functions work on a plain `&mut [u32]` of job indices so that [`crate::anneal`]
//! can reuse them for its starting sequences. Every comparator is a total order (`f64::total_cmp`
//! on the key, then the arrival index), so `sort_unstable_by` gives one deterministic answer and
//! never allocates.

use std::cmp::Ordering;

use serde::Deserialize;
use xinzhi_plugin::{Component, Config, Host, JobRecord, Order, PluginError, Scheduler, Snapshot};

/// Parameters of a rule that takes none: with `deny_unknown_fields` any key is an error that
/// names it (``unknown field `k`, there are no fields``).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

/// Rejects every parameter.
fn no_params(config: &Config<'_>) -> Result<(), PluginError> {
    let NoParams {} = config.parse()?;
    Ok(())
}

/// Writes every job in arrival order into `order`.
///
/// # Errors
/// [`PluginError::invalid_input`] if the host's buffer is not exactly one slot per job: the
/// rules index `snapshot.jobs` with what they sort, so a mismatch must not reach them.
pub(crate) fn fill_all(snapshot: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError> {
    order.fill_arrival_order();
    if order.len() == snapshot.jobs.len() {
        Ok(())
    } else {
        Err(PluginError::invalid_input(format!(
            "order buffer holds {} slots for {} waiting jobs",
            order.len(),
            snapshot.jobs.len()
        )))
    }
}

/// Sorts `seq` by `cmp` on the job records, ties by arrival index (the index itself).
fn sort_jobs(jobs: &[JobRecord], seq: &mut [u32], cmp: impl Fn(&JobRecord, &JobRecord) -> Ordering) {
    seq.sort_unstable_by(|&a, &b| cmp(&jobs[a as usize], &jobs[b as usize]).then(a.cmp(&b)));
}

/// Shortest processing time first.
pub(crate) fn sort_spt(jobs: &[JobRecord], seq: &mut [u32]) {
    sort_jobs(jobs, seq, |a, b| a.processing_time.total_cmp(&b.processing_time));
}

/// Longest processing time first.
pub(crate) fn sort_lpt(jobs: &[JobRecord], seq: &mut [u32]) {
    sort_jobs(jobs, seq, |a, b| b.processing_time.total_cmp(&a.processing_time));
}

/// Earliest due date first; `+∞` (no due date) sorts last by itself.
pub(crate) fn sort_edd(jobs: &[JobRecord], seq: &mut [u32]) {
    sort_jobs(jobs, seq, |a, b| a.due_date.total_cmp(&b.due_date));
}

/// `w / p`, `+∞` for a zero-time job (weights are `> 0`, so never `0 / 0`).
fn wspt_ratio(job: &JobRecord) -> f64 {
    job.weight / job.processing_time
}

/// Largest `w / p` first.
pub(crate) fn sort_wspt(jobs: &[JobRecord], seq: &mut [u32]) {
    sort_jobs(jobs, seq, |a, b| wspt_ratio(b).total_cmp(&wspt_ratio(a)));
}

/// Work the job needs after this station: the sum of its later operations' times.
pub(crate) fn later_work(snapshot: &Snapshot<'_>, job: &JobRecord) -> f64 {
    snapshot.remaining(job).iter().map(|op| op.processing_time).sum()
}

/// Work the job still needs: this operation plus every later one.
fn remaining_work(snapshot: &Snapshot<'_>, job: &JobRecord) -> f64 {
    job.processing_time + later_work(snapshot, job)
}

/// `slack / work`, extended to `work = 0` by its limit as `work → 0⁺` (`±∞`, or 0 when the slack is
/// 0 too) rather than the NaN or `±∞` of a bare division.
fn critical_ratio(slack: f64, work: f64) -> f64 {
    if work > 0.0 {
        slack / work
    } else if slack > 0.0 {
        f64::INFINITY
    } else if slack < 0.0 {
        f64::NEG_INFINITY
    } else {
        0.0
    }
}

/// Smallest critical ratio first, jobs without due date last. `keys` is scratch, indexed by job.
pub(crate) fn sort_cr(snapshot: &Snapshot<'_>, seq: &mut [u32], keys: &mut Vec<(bool, f64)>) {
    keys.clear();
    keys.extend(snapshot.jobs.iter().map(|job| {
        let no_due = job.due_date == f64::INFINITY;
        (no_due, critical_ratio(job.due_date - snapshot.now, remaining_work(snapshot, job)))
    }));
    let keys = &keys[..];
    seq.sort_unstable_by(|&a, &b| {
        let (ka, kb) = (keys[a as usize], keys[b as usize]);
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
    });
}

/// ATC's `ln(priority)` and its tie-breaker `w / p`, for every job of `snapshot`.
///
/// `ln` keeps the order of the priorities while avoiding underflow: `exp(−slack / (k·p̄))` is 0
/// for every job with a slack over ~745·k·p̄, which would tie them all. Edge cases:
/// - `p_j = 0`: priority `+∞` (first). Starting a zero-time job delays no other job, so moving
///   it to the front never increases any tardiness;
/// - `d_j = +∞`: priority 0 (`ln` = `−∞`, last): such jobs can never be tardy. Among themselves
///   they are ordered by `w / p` (WSPT), which minimises their weighted completion time;
/// - `p̄ = 0` means every `p_j = 0`: all first, in arrival order.
pub(crate) fn atc_keys(snapshot: &Snapshot<'_>, k: f64, keys: &mut Vec<(f64, f64)>) {
    let n = snapshot.jobs.len() as f64;
    let mean_p = snapshot.jobs.iter().map(|j| j.processing_time).sum::<f64>() / n;
    keys.clear();
    keys.extend(snapshot.jobs.iter().map(|job| {
        let p = job.processing_time;
        let log_priority = if p <= 0.0 {
            f64::INFINITY
        } else {
            let slack = (job.due_date - p - snapshot.now).max(0.0);
            job.weight.ln() - p.ln() - slack / (k * mean_p)
        };
        (log_priority, wspt_ratio(job))
    }));
}

/// Highest ATC priority first (see [`atc_keys`]). `keys` is scratch, indexed by job.
pub(crate) fn sort_atc(snapshot: &Snapshot<'_>, k: f64, seq: &mut [u32], keys: &mut Vec<(f64, f64)>) {
    atc_keys(snapshot, k, keys);
    let keys = &keys[..];
    seq.sort_unstable_by(|&a, &b| {
        let (ka, kb) = (keys[a as usize], keys[b as usize]);
        kb.0.total_cmp(&ka.0).then(kb.1.total_cmp(&ka.1)).then(a.cmp(&b))
    });
}

/// First in, first out: the queue's arrival order.
///
/// The default rule of every station, so it does the least possible: one pass writing
/// `0, 1, …, n−1`.
#[derive(Debug)]
pub struct Fifo;

impl Component for Fifo {
    const NAME: &'static str = "fifo";
    const DESCRIPTION: &'static str = "first in, first out: the waiting jobs in arrival order";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        no_params(config)?;
        Ok(Fifo)
    }
}

impl Scheduler for Fifo {
    fn schedule(&mut self, snapshot: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError> {
        fill_all(snapshot, order)
    }
}

/// Defines a parameterless rule that sorts with `$sort(jobs, seq)`.
macro_rules! simple_rule {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $description:literal, $sort:path) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $ty;

        impl Component for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $description;

            fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
                no_params(config)?;
                Ok($ty)
            }
        }

        impl Scheduler for $ty {
            fn schedule(&mut self, snapshot: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError> {
                fill_all(snapshot, order)?;
                $sort(snapshot.jobs, order.as_mut_slice());
                Ok(())
            }
        }
    };
}

simple_rule!(
    /// Shortest processing time first; minimises mean flow time on one machine.
    Spt,
    "spt",
    "shortest processing time first",
    sort_spt
);

simple_rule!(
    /// Longest processing time first; spreads long jobs early over parallel machines.
    Lpt,
    "lpt",
    "longest processing time first",
    sort_lpt
);

simple_rule!(
    /// Earliest due date first, jobs without due date last; minimises maximum lateness on one
    /// machine.
    Edd,
    "edd",
    "earliest due date first (jobs without a due date last)",
    sort_edd
);

simple_rule!(
    /// Weighted shortest processing time: largest `w / p` first; minimises total weighted
    /// completion time on one machine.
    Wspt,
    "wspt",
    "weighted shortest processing time: largest weight / processing time first",
    sort_wspt
);

/// Critical ratio: smallest `(d − now) / remaining work` first, jobs without due date last.
#[derive(Debug, Default)]
pub struct Cr {
    /// Scratch keys, reused across calls.
    keys: Vec<(bool, f64)>,
}

impl Component for Cr {
    const NAME: &'static str = "cr";
    const DESCRIPTION: &'static str =
        "critical ratio: smallest (due date - now) / remaining work first, jobs without due date last";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        no_params(config)?;
        Ok(Cr::default())
    }
}

impl Scheduler for Cr {
    fn schedule(&mut self, snapshot: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError> {
        fill_all(snapshot, order)?;
        sort_cr(snapshot, order.as_mut_slice(), &mut self.keys);
        Ok(())
    }
}

/// Default look-ahead of [`Atc`]: the common choice for tardiness-heavy shops (Vepsalainen &
/// Morton suggest 1.5–4.5 depending on due-date tightness).
pub(crate) const DEFAULT_ATC_K: f64 = 2.0;

/// Apparent tardiness cost: highest `(w/p)·exp(−max(0, d − p − now) / (k·p̄))` first.
#[derive(Debug)]
pub struct Atc {
    k: f64,
    /// Scratch keys, reused across calls.
    keys: Vec<(f64, f64)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AtcParams {
    #[serde(default = "default_k")]
    k: f64,
}

fn default_k() -> f64 {
    DEFAULT_ATC_K
}

impl Component for Atc {
    const NAME: &'static str = "atc";
    const DESCRIPTION: &'static str =
        "apparent tardiness cost: largest (w/p)·exp(-max(0, d - p - now) / (k·mean p)) first";
    const PARAMETERS: &'static str =
        "k: look-ahead, in mean processing times of the queue; small k favours urgent jobs (f64 > 0, 2.0)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let AtcParams { k } = config.parse()?;
        // `!(k > 0)` also rejects NaN; +∞ would make every exponent 0 (plain WSPT): refuse it.
        if !(k > 0.0 && k.is_finite()) {
            return Err(PluginError::invalid_config(format!("`k` must be finite and > 0, found {k}")));
        }
        Ok(Atc { k, keys: Vec::new() })
    }
}

impl Scheduler for Atc {
    fn schedule(&mut self, snapshot: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError> {
        fill_all(snapshot, order)?;
        sort_atc(snapshot, self.k, order.as_mut_slice(), &mut self.keys);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use xinzhi_plugin::Status;

    use super::*;
    use crate::testkit::{
        Scenario, assert_optimal, brute_force, build, max_lateness, mean_flow, order_of, random_instances,
        weighted_completion,
    };

    const INF: f64 = f64::INFINITY;

    fn order<S: Scheduler>(json: &str, scenario: &Scenario) -> Vec<u32> {
        order_of(&mut build::<S>(json, 1).expect("valid parameters"), scenario)
    }

    #[test]
    fn fifo_returns_arrival_order() {
        let s = Scenario::single(3.0, &[(5.0, 1.0, 1.0), (1.0, INF, 2.0), (0.0, 0.5, 1.0), (9.0, 4.0, 3.0)]);
        assert_eq!(order::<Fifo>("{}", &s), [0, 1, 2, 3]);
    }

    #[test]
    fn spt_minimises_mean_flow_time() {
        for (i, s) in random_instances(11, 200, 7).iter().enumerate() {
            let seq = order::<Spt>("{}", s);
            assert_optimal(mean_flow(s, &seq), brute_force(s, mean_flow), &format!("instance {i}"));
        }
    }

    #[test]
    fn edd_minimises_maximum_lateness() {
        for (i, s) in random_instances(12, 200, 7).iter().enumerate() {
            let seq = order::<Edd>("{}", s);
            assert_optimal(max_lateness(s, &seq), brute_force(s, max_lateness), &format!("instance {i}"));
        }
    }

    #[test]
    fn wspt_minimises_total_weighted_completion_time() {
        for (i, s) in random_instances(13, 200, 7).iter().enumerate() {
            let seq = order::<Wspt>("{}", s);
            assert_optimal(
                weighted_completion(s, &seq),
                brute_force(s, weighted_completion),
                &format!("instance {i}"),
            );
        }
    }

    #[test]
    fn lpt_hand_worked() {
        // p = 3, 5, 1, 5: the two 5s first in arrival order, then 3, then 1.
        let s = Scenario::single(0.0, &[(3.0, INF, 1.0), (5.0, INF, 1.0), (1.0, INF, 1.0), (5.0, INF, 1.0)]);
        assert_eq!(order::<Lpt>("{}", &s), [1, 3, 0, 2]);
        assert_eq!(order::<Spt>("{}", &s), [2, 0, 1, 3]);
    }

    #[test]
    fn edd_puts_jobs_without_due_date_last() {
        let s = Scenario::single(0.0, &[(1.0, INF, 1.0), (1.0, 7.0, 1.0), (1.0, INF, 1.0), (1.0, -2.0, 1.0)]);
        assert_eq!(order::<Edd>("{}", &s), [3, 1, 0, 2]);
    }

    #[test]
    fn cr_hand_worked() {
        // now = 10; ratio = (d - 10) / (p + remaining ops):
        //   0: (20-10)/5 = 2        1: (22-10)/(2+5+5) = 1   2: no due date: last
        //   3: (12-10)/4 = 0.5      4: (9-10)/1 = -1
        //   5: p = 0, slack 5 > 0: +inf (but before 2)     6: p = 0, slack -2 < 0: -inf
        let s = Scenario::single(
            10.0,
            &[(5.0, 20.0, 1.0), (2.0, 22.0, 1.0), (1.0, INF, 1.0), (4.0, 12.0, 1.0), (1.0, 9.0, 1.0)],
        )
        .with_remaining(1, &[5.0, 5.0]);
        assert_eq!(order::<Cr>("{}", &s), [4, 3, 1, 0, 2]);
        // EDD differs: it ignores that job 1 has 12 units of work left.
        assert_eq!(order::<Edd>("{}", &s), [4, 3, 0, 1, 2]);

        let mut s = s;
        s.jobs.push(crate::testkit::job(0.0, 15.0, 1.0));
        s.jobs.push(crate::testkit::job(0.0, 8.0, 1.0));
        assert_eq!(order::<Cr>("{}", &s), [6, 4, 3, 1, 0, 5, 2]);
    }

    /// ATC by the textbook formula, for cases without the edge cases `atc_keys` handles.
    fn atc_direct(s: &Scenario, k: f64) -> Vec<u32> {
        let mean_p = s.jobs.iter().map(|j| j.processing_time).sum::<f64>() / s.jobs.len() as f64;
        let priority = |j: &JobRecord| {
            j.weight / j.processing_time
                * (-(j.due_date - j.processing_time - s.now).max(0.0) / (k * mean_p)).exp()
        };
        let mut seq: Vec<u32> = (0..s.jobs.len() as u32).collect();
        seq.sort_by(|&a, &b| priority(&s.jobs[b as usize]).total_cmp(&priority(&s.jobs[a as usize])));
        seq
    }

    #[test]
    fn atc_hand_worked() {
        // (p, d, w) = (2, 5, 1), (4, 4, 1), (1, 20, 2); now = 0, mean p = 7/3.
        let s = Scenario::single(0.0, &[(2.0, 5.0, 1.0), (4.0, 4.0, 1.0), (1.0, 20.0, 2.0)]);
        // k = 2, k·p̄ = 14/3: 0.5·e^(-9/14) = 0.2629, 0.25·e^0 = 0.25, 2·e^(-57/14) = 0.0341.
        assert_eq!(order::<Atc>("{}", &s), [0, 1, 2]);
        assert_eq!(order::<Atc>(r#"{"k": 2.0}"#, &s), [0, 1, 2]);
        // k = 0.5, k·p̄ = 7/6: 0.5·e^(-18/7) = 0.0382, 0.25, 2·e^(-114/7) ≈ 1.7e-7.
        assert_eq!(order::<Atc>(r#"{"k": 0.5}"#, &s), [1, 0, 2]);
        // k = 100: the exponentials are all near 1, so WSPT: w/p = 2, 0.5, 0.25.
        assert_eq!(order::<Atc>(r#"{"k": 100}"#, &s), [2, 0, 1]);
        for k in [0.5, 2.0, 100.0] {
            assert_eq!(order::<Atc>(&format!(r#"{{"k": {k}}}"#), &s), atc_direct(&s, k), "k = {k}");
        }
    }

    #[test]
    fn atc_edge_cases() {
        // Job 3 has p = 0: first. Jobs 0 and 2 have no due date: priority 0, last, by w/p
        // (2/4 before 1/4). Job 4's slack of 1000 mean processing times underflows exp() to 0,
        // but in the log domain it still beats the jobs without due date.
        let s = Scenario::single(
            0.0,
            &[(4.0, INF, 1.0), (2.0, 3.0, 1.0), (4.0, INF, 2.0), (0.0, 50.0, 1.0), (2.0, 3000.0, 1.0)],
        );
        assert_eq!(order::<Atc>(r#"{"k": 1}"#, &s), [3, 1, 4, 2, 0]);
        // All zero times: all "first", so arrival order.
        let zeros = Scenario::single(0.0, &[(0.0, 5.0, 1.0), (0.0, 1.0, 3.0), (0.0, INF, 1.0)]);
        assert_eq!(order::<Atc>("{}", &zeros), [0, 1, 2]);
        assert_eq!(order::<Wspt>("{}", &zeros), [0, 1, 2]);
        assert_eq!(order::<Spt>("{}", &zeros), [0, 1, 2]);
        // No work left and positive slack: ratio +inf for both dated jobs, so arrival order too.
        assert_eq!(order::<Cr>("{}", &zeros), [0, 1, 2]);
    }

    #[test]
    fn wspt_puts_zero_time_jobs_first() {
        let s = Scenario::single(0.0, &[(2.0, INF, 1.0), (0.0, INF, 1.0), (1.0, INF, 1.0), (0.0, INF, 0.5)]);
        assert_eq!(order::<Wspt>("{}", &s), [1, 3, 2, 0]);
    }

    #[test]
    fn a_single_job_is_returned() {
        let s = Scenario::single(1.0, &[(0.0, 0.5, 1.0)]);
        assert_eq!(order::<Fifo>("{}", &s), [0]);
        assert_eq!(order::<Spt>("{}", &s), [0]);
        assert_eq!(order::<Lpt>("{}", &s), [0]);
        assert_eq!(order::<Edd>("{}", &s), [0]);
        assert_eq!(order::<Cr>("{}", &s), [0]);
        assert_eq!(order::<Atc>("{}", &s), [0]);
        assert_eq!(order::<Wspt>("{}", &s), [0]);
    }

    #[test]
    fn unknown_parameters_are_rejected_by_name() {
        let e = build::<Spt>(r#"{"k": 1}"#, 0).unwrap_err();
        assert_eq!(e.status, Status::INVALID_CONFIG);
        assert!(e.message.contains("`k`"), "{}", e.message);
        let e = build::<Atc>(r#"{"kk": 1}"#, 0).unwrap_err();
        assert_eq!(e.status, Status::INVALID_CONFIG);
        assert!(e.message.contains("`kk`"), "{}", e.message);
        let e = build::<Fifo>(r#"{"window": 3}"#, 0).unwrap_err();
        assert!(e.message.contains("`window`"), "{}", e.message);
    }

    #[test]
    fn atc_k_must_be_positive() {
        for k in ["-1", "0", "-0.5"] {
            let e = build::<Atc>(&format!(r#"{{"k": {k}}}"#), 0).unwrap_err();
            assert_eq!(e.status, Status::INVALID_CONFIG);
            assert!(e.message.contains("`k`") && e.message.contains(k), "{}", e.message);
        }
        let e = build::<Atc>(r#"{"k": "fast"}"#, 0).unwrap_err();
        assert_eq!(e.status, Status::INVALID_CONFIG);
        assert!(build::<Atc>(r#"{"k": 1e-3}"#, 0).is_ok());
    }

    #[test]
    fn a_buffer_of_the_wrong_size_is_an_input_error() {
        let s = Scenario::single(0.0, &[(1.0, INF, 1.0), (2.0, INF, 1.0)]);
        let mut buf = [0; 3];
        let mut order = Order::new(&mut buf);
        let e = Spt.schedule(&s.snapshot(), &mut order).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
    }
}
