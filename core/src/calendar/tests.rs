//! Tests of the calendar against a reference model (a `BTreeMap` keyed by the order contract).

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::time::SimDuration;

fn t(x: f64) -> SimTime {
    SimTime::new(x).unwrap()
}

/// Tiny limits: every few entries split into rungs, so small cases exercise deep ladders.
const TINY: Tuning = Tuning { bottom_limit: 2, split_above: 2, per_bucket: 1, max_depth: 6 };
/// Tiny limits but deep nesting allowed.
const TINY_DEEP: Tuning = Tuning { bottom_limit: 3, split_above: 1, per_bucket: 2, max_depth: 40 };
const TUNINGS: [Tuning; 3] = [Tuning::DEFAULT, TINY, TINY_DEEP];

/// The obviously correct calendar.
#[derive(Default)]
struct Model {
    entries: BTreeMap<(SimTime, Priority, u64), u32>,
    keys: HashMap<u64, (SimTime, Priority, u64)>,
    now: SimTime,
}

impl Model {
    fn schedule(&mut self, time: SimTime, priority: Priority, seq: u64, payload: u32) {
        self.entries.insert((time, priority, seq), payload);
        self.keys.insert(seq, (time, priority, seq));
    }
    fn cancel(&mut self, seq: u64) -> bool {
        self.keys.remove(&seq).is_some_and(|k| self.entries.remove(&k).is_some())
    }
    fn pop(&mut self) -> Option<Entry<u32>> {
        let ((time, priority, seq), payload) = self.entries.pop_first()?;
        self.keys.remove(&seq);
        self.now = time;
        Some(Entry { time, priority, handle: EntryHandle(seq), payload })
    }
    fn peek_time(&self) -> Option<SimTime> {
        self.entries.first_key_value().map(|(k, _)| k.0)
    }
}

/// How a scheduling operation picks its time.
#[derive(Clone, Debug)]
enum When {
    /// `now + dt`.
    After(f64),
    /// An absolute time (an error if it is in the past).
    At(f64),
}

#[derive(Clone, Debug)]
enum Op {
    Schedule(When, i16),
    Pop,
    Peek,
    /// Cancel the n-th issued handle (modulo the number issued).
    Cancel(usize),
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        // Exact ties: same time, small integer offsets.
        3 => Just(When::After(0.0)),
        3 => (0u8..4).prop_map(|k| When::After(f64::from(k))),
        4 => (0.0..10.0f64).prop_map(When::After),
        // Huge spread, tiny spans, far future, absolute (often past) times, the extreme.
        1 => (1e6..1e300f64).prop_map(When::After),
        1 => (0.0..1e-300f64).prop_map(When::After),
        1 => (0u8..20).prop_map(|k| When::At(f64::from(k))),
        1 => Just(When::At(f64::MAX)),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (when(), -2i16..3).prop_map(|(w, p)| Op::Schedule(w, p)),
        4 => Just(Op::Pop),
        1 => Just(Op::Peek),
        2 => any::<usize>().prop_map(Op::Cancel),
    ]
}

/// Runs `ops` against both the calendar and the model, checking every answer.
fn check_against_model(tuning: Tuning, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut cal = Calendar::with_tuning(tuning);
    let mut model = Model::default();
    let mut issued: Vec<EntryHandle> = Vec::new();
    let mut last: Option<SimTime> = None;
    for (step, op) in ops.iter().enumerate() {
        let payload = u32::try_from(step).unwrap();
        match op {
            Op::Schedule(w, p) => {
                let requested = match *w {
                    When::After(dt) => SimTime::new((cal.now().as_f64() + dt).min(f64::MAX)).unwrap(),
                    When::At(x) => t(x),
                };
                let got = cal.schedule(requested, Priority(*p), payload);
                if requested < model.now {
                    prop_assert_eq!(got, Err(ScheduleError::InThePast { now: model.now, requested }));
                } else {
                    let h = got.unwrap();
                    prop_assert_eq!(h.sequence(), issued.len() as u64);
                    model.schedule(requested, Priority(*p), h.sequence(), payload);
                    issued.push(h);
                }
            }
            Op::Pop => {
                let got = cal.pop();
                let want = model.pop();
                prop_assert_eq!(&got, &want);
                if let Some(e) = got {
                    // Time never goes back (the exact tie order is checked against the model).
                    prop_assert!(last.is_none_or(|l| l <= e.time), "{:?} then {:?}", last, e.time);
                    last = Some(e.time);
                }
            }
            Op::Peek => prop_assert_eq!(cal.peek_time(), model.peek_time()),
            Op::Cancel(n) => {
                if !issued.is_empty() {
                    let h = issued[n % issued.len()];
                    prop_assert_eq!(cal.cancel(h), model.cancel(h.sequence()));
                    prop_assert!(!cal.is_pending(h));
                }
            }
        }
        prop_assert_eq!(cal.len(), model.entries.len());
        prop_assert_eq!(cal.is_empty(), model.entries.is_empty());
        prop_assert_eq!(cal.now(), model.now);
    }
    // Drain: everything left pops exactly once, in order.
    loop {
        let got = cal.pop();
        prop_assert_eq!(&got, &model.pop());
        if got.is_none() {
            break;
        }
    }
    prop_assert_eq!(cal.len(), 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn matches_model_small(tuning in 0..TUNINGS.len(), ops in prop::collection::vec(op(), 0..200)) {
        check_against_model(TUNINGS[tuning], &ops)?;
    }

    #[test]
    fn matches_model_long(tuning in 0..TUNINGS.len(), ops in prop::collection::vec(op(), 500..3000)) {
        check_against_model(TUNINGS[tuning], &ops)?;
    }
}

/// Hold model with occasional cancels, large enough to use the production ladder for real.
fn hold_against_model(tuning: Tuning, n: usize, ops: usize, seed: u64, far_outliers: bool) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cal = Calendar::with_tuning(tuning);
    let mut model = Model::default();
    let mut issued = Vec::new();
    let mut max_depth = 0;
    let sched = |cal: &mut Calendar<u32>, model: &mut Model, rng: &mut ChaCha8Rng, i: u32| {
        let u: f64 = rng.random();
        let mut dt = -(1.0 - u).ln();
        if far_outliers && rng.random_range(0..1000) == 0 {
            dt *= 1e9;
        }
        let p = Priority(rng.random_range(0..3));
        let time = cal.now() + SimDuration::new(dt).unwrap();
        let h = cal.schedule(time, p, i).unwrap();
        model.schedule(time, p, h.sequence(), i);
        h
    };
    for i in 0..n {
        issued.push(sched(&mut cal, &mut model, &mut rng, u32::try_from(i).unwrap()));
    }
    for i in 0..ops {
        let e = cal.pop();
        assert_eq!(e, model.pop(), "op {i}");
        issued.push(sched(&mut cal, &mut model, &mut rng, u32::try_from(i).unwrap()));
        if rng.random_range(0..20) == 0 {
            let h = issued[rng.random_range(0..issued.len())];
            assert_eq!(cal.cancel(h), model.cancel(h.sequence()));
            // Keep the size stable.
            issued.push(sched(&mut cal, &mut model, &mut rng, u32::try_from(i).unwrap()));
        }
        assert_eq!(cal.len(), model.entries.len());
        max_depth = max_depth.max(cal.queue.depth());
    }
    assert!(max_depth <= 4, "ladder nested {max_depth} deep");
    while let Some(e) = cal.pop() {
        assert_eq!(Some(e), model.pop());
    }
    assert!(model.entries.is_empty());
}

#[test]
fn hold_matches_model() {
    hold_against_model(Tuning::DEFAULT, 20_000, 200_000, 1, false);
    hold_against_model(Tuning::DEFAULT, 300, 50_000, 2, false);
}

#[test]
fn hold_with_far_outliers_matches_model_and_stays_shallow() {
    hold_against_model(Tuning::DEFAULT, 20_000, 200_000, 3, true);
}

#[test]
fn schedule_in_the_past_is_an_error_and_now_follows_pops() {
    let mut cal = Calendar::new();
    assert_eq!(cal.now(), SimTime::ZERO);
    assert_eq!(cal.peek_time(), None);
    assert_eq!(cal.pop(), None);
    cal.schedule(t(5.0), Priority::DEFAULT, 'a').unwrap();
    cal.schedule(t(2.0), Priority::DEFAULT, 'b').unwrap();
    // Scheduling or peeking does not advance time.
    assert_eq!(cal.peek_time(), Some(t(2.0)));
    assert_eq!(cal.now(), SimTime::ZERO);
    assert_eq!(cal.pop().map(|e| e.payload), Some('b'));
    assert_eq!(cal.now(), t(2.0));
    assert_eq!(
        cal.schedule(t(1.5), Priority(-5), 'c'),
        Err(ScheduleError::InThePast { now: t(2.0), requested: t(1.5) })
    );
    // Exactly now is fine, and runs before the later entry.
    let h = cal.schedule(t(2.0), Priority::DEFAULT, 'd').unwrap();
    assert_eq!(cal.pop().map(|e| (e.time, e.handle, e.payload)), Some((t(2.0), h, 'd')));
    assert_eq!(cal.pop().map(|e| e.payload), Some('a'));
    assert_eq!(cal.now(), t(5.0));
    // Popping from an empty calendar keeps the time.
    assert_eq!(cal.pop(), None);
    assert_eq!(cal.now(), t(5.0));
    assert_eq!(cal.len(), 0);
    let err = cal.schedule(t(0.0), Priority::DEFAULT, 'e').unwrap_err();
    assert_eq!(err.to_string(), "cannot schedule at 0: the calendar is already at 5");
}

#[test]
fn infinite_time_is_an_error() {
    let mut cal = Calendar::new();
    let inf = t(f64::MAX) + SimDuration::new(f64::MAX).unwrap();
    assert_eq!(cal.schedule(inf, Priority::DEFAULT, ()), Err(ScheduleError::Infinite));
    assert!(cal.is_empty());
    // The largest finite time is fine.
    cal.schedule(t(f64::MAX), Priority::DEFAULT, ()).unwrap();
    assert_eq!(cal.pop().map(|e| e.time), Some(t(f64::MAX)));
}

#[test]
fn same_time_runs_by_priority_then_insertion() {
    let mut cal = Calendar::new();
    let mut handles = Vec::new();
    for (i, p) in [3, -1, 0, 3, -1, 0, 7].into_iter().enumerate() {
        handles.push(cal.schedule(t(1.0), Priority(p), i).unwrap());
    }
    cal.schedule(t(0.5), Priority(100), 99).unwrap();
    let order: Vec<usize> = std::iter::from_fn(|| cal.pop()).map(|e| e.payload).collect();
    assert_eq!(order, [99, 1, 4, 2, 5, 0, 3, 6]);
    assert_eq!(handles.iter().map(|h| h.sequence()).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5, 6]);
}

#[test]
fn cancel_is_exact() {
    let mut cal = Calendar::new();
    let a = cal.schedule(t(1.0), Priority::DEFAULT, 'a').unwrap();
    let b = cal.schedule(t(2.0), Priority::DEFAULT, 'b').unwrap();
    let c = cal.schedule(t(3.0), Priority::DEFAULT, 'c').unwrap();
    assert_eq!(cal.len(), 3);
    assert!(cal.cancel(b));
    assert!(!cal.cancel(b), "cancelling twice");
    assert!(!cal.is_pending(b));
    assert_eq!(cal.len(), 2);
    assert_eq!(cal.pop().map(|e| e.handle), Some(a));
    assert!(!cal.cancel(a), "cancelling after pop");
    // The cancelled entry is skipped by peek and pop alike.
    assert_eq!(cal.peek_time(), Some(t(3.0)));
    assert!(cal.cancel(c));
    assert_eq!(cal.peek_time(), None);
    assert_eq!(cal.pop(), None);
    assert!(cal.is_empty());
    // Time did not move to a cancelled entry.
    assert_eq!(cal.now(), t(1.0));
}

#[test]
fn all_entries_at_one_time() {
    for tuning in TUNINGS {
        let mut cal = Calendar::with_tuning(tuning);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut want = Vec::new();
        for i in 0..20_000u32 {
            let p = Priority(rng.random_range(-3..3));
            let h = cal.schedule(t(42.0), p, i).unwrap();
            want.push((p, h.sequence(), i));
        }
        want.sort_unstable();
        let got: Vec<_> =
            std::iter::from_fn(|| cal.pop()).map(|e| (e.priority, e.handle.sequence(), e.payload)).collect();
        assert_eq!(got, want);
    }
}

#[test]
fn extreme_spread_and_tiny_gaps() {
    let times = [0.0, 5e-324, 1e-300, 2e-300, 1.0, 1.0 + f64::EPSILON, 1e15, 1e300, f64::MAX / 2.0, f64::MAX];
    for tuning in TUNINGS {
        let mut cal = Calendar::with_tuning(tuning);
        // Scheduled in reverse, several copies of each, so every split sees extremes.
        for copy in 0..50 {
            for (i, &x) in times.iter().enumerate().rev() {
                cal.schedule(t(x), Priority::DEFAULT, (i, copy)).unwrap();
            }
        }
        let got: Vec<_> = std::iter::from_fn(|| cal.pop()).map(|e| e.payload).collect();
        let want: Vec<_> = (0..times.len()).flat_map(|i| (0..50).map(move |c| (i, c))).collect();
        assert_eq!(got, want);
    }
}

#[test]
fn cancelled_entries_are_purged() {
    let mut cal = Calendar::new();
    let keep = cal.schedule(t(1e9), Priority::DEFAULT, 0u64).unwrap();
    for i in 0..100_000 {
        let h = cal.schedule(t(10.0 + f64::from(i)), Priority::DEFAULT, 1).unwrap();
        assert!(cal.cancel(h));
        assert!(cal.stored <= 2 * cal.len() + PURGE_MIN + 1, "{} stored", cal.stored);
    }
    assert_eq!(cal.len(), 1);
    assert_eq!(cal.pop().map(|e| e.handle), Some(keep));
    assert_eq!(cal.pop(), None);
}

#[test]
fn small_queue_is_a_heap_and_grows_into_a_ladder() {
    let mut cal = Calendar::new();
    // M/M/1-like: two pending entries never leave the bottom heap.
    cal.schedule(t(1.0), Priority::DEFAULT, ()).unwrap();
    cal.schedule(t(2.0), Priority::DEFAULT, ()).unwrap();
    for _ in 0..1000 {
        let e = cal.pop().unwrap();
        cal.schedule(e.time + SimDuration::new(1.5).unwrap(), Priority::DEFAULT, ()).unwrap();
        assert_eq!(cal.queue.depth(), 0);
    }
    for i in 0..10_000 {
        cal.schedule(t(1e4 + f64::from(i)), Priority::DEFAULT, ()).unwrap();
    }
    assert!(cal.queue.depth() >= 1);
    let mut last = SimTime::ZERO;
    while let Some(e) = cal.pop() {
        assert!(e.time >= last);
        last = e.time;
    }
}

#[test]
fn payloads_are_dropped_exactly_once() {
    use std::rc::Rc;
    let token = Rc::new(());
    {
        let mut cal = Calendar::with_tuning(TINY);
        let handles: Vec<_> = (0..500)
            .map(|i| cal.schedule(t(f64::from(i % 37)), Priority::DEFAULT, Rc::clone(&token)).unwrap())
            .collect();
        for h in handles.iter().step_by(3) {
            assert!(cal.cancel(*h));
        }
        for _ in 0..100 {
            drop(cal.pop().unwrap());
        }
        // Popped payloads are gone; pending and lazily cancelled ones are still stored.
        assert_eq!(Rc::strong_count(&token), 1 + cal.stored);
    }
    // Pending and lazily cancelled payloads were dropped with the calendar.
    assert_eq!(Rc::strong_count(&token), 1);
}

/// Machines whose failures are rescheduled at every start and end of a job: each popped entry
/// cancels a pending entry and schedules a replacement, some near (the next end of service),
/// some far (the next failure). This is what made a used-up finest rung get a child when the
/// bottom spilled, and entries later than the child went to a bucket past the rung's end (lost,
/// or an index panic), until `spill_bottom` dropped used-up rungs first.
fn reschedule_against_model(tuning: Tuning, n: usize, ops: usize, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cal = Calendar::with_tuning(tuning);
    let mut model = Model::default();
    let mut pending: Vec<EntryHandle> = Vec::new();
    let mut payload = 0u32;
    let mut sched = |cal: &mut Calendar<u32>, model: &mut Model, rng: &mut ChaCha8Rng, scale: f64| {
        let u: f64 = rng.random();
        let time = cal.now() + SimDuration::new(-(1.0 - u).ln() * scale).unwrap();
        payload += 1;
        let h = cal.schedule(time, Priority(0), payload).unwrap();
        model.schedule(time, Priority(0), h.sequence(), payload);
        h
    };
    for _ in 0..n {
        let h = sched(&mut cal, &mut model, &mut rng, 1.0);
        pending.push(h);
        let h = sched(&mut cal, &mut model, &mut rng, 400.0);
        pending.push(h);
    }
    for i in 0..ops {
        let e = cal.pop();
        assert_eq!(e, model.pop(), "op {i}");
        // Cancel a few pending entries and replace them, near and far.
        for _ in 0..rng.random_range(1..4) {
            let k = rng.random_range(0..pending.len());
            let h = pending.swap_remove(k);
            assert_eq!(cal.cancel(h), model.cancel(h.sequence()), "op {i}");
            let scale = if rng.random_range(0..2) == 0 { 1.0 } else { 400.0 };
            let h = sched(&mut cal, &mut model, &mut rng, scale);
            pending.push(h);
        }
        let h = sched(&mut cal, &mut model, &mut rng, 1.0);
        pending.push(h);
        assert_eq!(cal.len(), model.entries.len(), "op {i}");
    }
    while let Some(e) = cal.pop() {
        assert_eq!(Some(e), model.pop());
    }
    assert!(model.entries.is_empty());
}

#[test]
fn rescheduling_near_and_far_matches_model() {
    for (k, tuning) in TUNINGS.into_iter().enumerate() {
        for seed in 0..4 {
            reschedule_against_model(tuning, 8, 20_000, seed + 10 * k as u64);
        }
    }
}

/// A finest rung used up (its last bucket moved to the bottom) whose bottom then loses its
/// latest entry (cancelled and purged) and spills again: the new child ends before the used-up
/// rung, and an entry between the two must still run in order. It used to go to the rung's
/// bucket past its last (an index panic, or an entry never run when a spare bucket was there).
#[test]
fn a_spill_under_a_used_up_rung_keeps_later_entries() {
    use super::ladder::{Item, Ladder};
    let tuning = Tuning { bottom_limit: 2, split_above: 100, per_bucket: 1, max_depth: 6 };
    let mut ladder = Ladder::new(tuning);
    let mut seq = 0;
    let mut push = |ladder: &mut Ladder<()>, time: f64| {
        seq += 1;
        ladder.push(Item::new(t(time), Priority(0), seq, ()));
    };
    for time in [0.0, 10.0, 20.0, 19.0] {
        push(&mut ladder, time);
    }
    let mut popped = Vec::new();
    for _ in 0..3 {
        popped.push(ladder.pop().expect("an entry").time.as_f64());
    }
    assert_eq!(popped, [0.0, 10.0, 19.0]);
    // The entry at 20 is cancelled and purged: the bottom is empty, the rung used up.
    ladder.retain(|item| item.time.as_f64() != 20.0);
    for time in [19.5, 19.6, 19.7, 19.8, 19.9, 19.95] {
        push(&mut ladder, time);
    }
    let mut rest = Vec::new();
    while let Some(item) = ladder.pop() {
        rest.push(item.time.as_f64());
    }
    assert_eq!(rest, [19.5, 19.6, 19.7, 19.8, 19.9, 19.95]);
}
