//! The classic *hold* benchmark of event-list structures.
//!
//! The queue is prefilled with N entries; one hold pops the earliest entry and schedules a new one
//! at `popped.time + Exp(mean 1)` with a random priority in `0..4`, so the size stays N across
//! iterations. The [`Calendar`] is measured against a `BinaryHeap` keyed by the same
//! `(time, priority, sequence)` with the same payload size, fed the same random numbers (both
//! queues therefore hold the same entries and pop them in the same order).
//!
//! Run with `cargo bench -p xinzhi-core --bench hold`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use xinzhi_core::calendar::{Calendar, Priority};
use xinzhi_core::time::{SimDuration, SimTime};

/// Queue sizes: an M/M/1-like tiny queue, then 10^3 to 10^6.
const SIZES: [usize; 5] = [2, 1_000, 10_000, 100_000, 1_000_000];

const SEED: u64 = 0x5EED_CA1E;

/// The payload: 8 bytes, like an event id.
type Payload = u64;

/// Baseline entry: `(time bits, priority, sequence, payload)`. Times are finite and `>= +0.0`, so
/// their bit patterns order like the values.
type HeapEntry = Reverse<(u64, i16, u64, Payload)>;

/// The random part of one hold: the time increment and the priority.
#[inline]
fn draw(rng: &mut ChaCha8Rng, exp: Exp<f64>) -> (f64, i16) {
    (exp.sample(rng), rng.random_range(0..4))
}

fn prefill_calendar(n: usize, rng: &mut ChaCha8Rng, exp: Exp<f64>) -> Calendar<Payload> {
    let mut cal = Calendar::new();
    for i in 0..n {
        let (dt, p) = draw(rng, exp);
        cal.schedule(SimTime::new(dt).unwrap(), Priority(p), i as Payload).unwrap();
    }
    cal
}

#[inline]
fn hold_calendar(cal: &mut Calendar<Payload>, rng: &mut ChaCha8Rng, exp: Exp<f64>) {
    let e = cal.pop().expect("the queue never empties");
    let (dt, p) = draw(rng, exp);
    let time = e.time + SimDuration::new(dt).unwrap();
    cal.schedule(time, Priority(p), black_box(e.payload)).unwrap();
}

fn prefill_heap(n: usize, rng: &mut ChaCha8Rng, exp: Exp<f64>) -> (BinaryHeap<HeapEntry>, u64) {
    let mut heap = BinaryHeap::with_capacity(n + 1);
    for i in 0..n {
        let (dt, p) = draw(rng, exp);
        heap.push(Reverse((dt.to_bits(), p, i as u64, i as Payload)));
    }
    (heap, n as u64)
}

#[inline]
fn hold_heap(heap: &mut BinaryHeap<HeapEntry>, seq: &mut u64, rng: &mut ChaCha8Rng, exp: Exp<f64>) {
    let Reverse((bits, _, _, payload)) = heap.pop().expect("the queue never empties");
    let (dt, p) = draw(rng, exp);
    let time = f64::from_bits(bits) + dt;
    heap.push(Reverse((time.to_bits(), p, *seq, black_box(payload))));
    *seq += 1;
}

fn hold(c: &mut Criterion) {
    let exp = Exp::new(1.0).unwrap();
    let mut group = c.benchmark_group("hold");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for n in SIZES {
        // Prefilled outside the measured closure (criterion calls it once per sample): every
        // iteration continues the same queue, which therefore stays at size n.
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let mut cal = prefill_calendar(n, &mut rng, exp);
        group.bench_function(BenchmarkId::new("calendar", n), |b| {
            b.iter(|| hold_calendar(&mut cal, &mut rng, exp));
        });
        drop(cal);

        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let (mut heap, mut seq) = prefill_heap(n, &mut rng, exp);
        group.bench_function(BenchmarkId::new("binary_heap", n), |b| {
            b.iter(|| hold_heap(&mut heap, &mut seq, &mut rng, exp));
        });
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
