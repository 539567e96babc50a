//! `bare-mm1`: the M/M/1 queue as a bare Rust event loop, the baseline of `tests/bench/mm1.sh`.
//!
//! Same model, same random streams and the same KPI arithmetic as Xinzhi's factory domain (see
//! `core/src/domains/factory/model.rs` and `core/src/collect/kpi.rs`), so with the same seed and
//! horizon it must print the same metrics as `xinzhi run` (bit for bit, as long as the framework
//! samples exponentials as `Exp::new(1 / mean)` and records a level only when it changes). What it
//! leaves out is everything generic: the ECS World, boxed collectors, the record buffer, the
//! catalogue, error plumbing, scenario loading and output files.
//!
//! ```text
//! bare-mm1 [--horizon H] [--warmup W] [--seed S] [--interarrival-mean A] [--service-mean B]
//! ```
//!
//! Prints one `name value` line per metric (values in shortest round-trip form, like
//! `replications.csv`), then `events`, `arrivals` and `completions`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::process::ExitCode;

use rand::Rng;
use rand_distr::{Distribution, Exp};
use xinzhi_core::rng::{StreamKey, StreamSeeder, entity_stream};

/// What happens at an event.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// The next customer arrives.
    Arrival,
    /// The server finishes the customer that arrived at `arrived` and waited `waited`.
    Departure { arrived: f64, waited: f64 },
}

/// A calendar entry, ordered so that `BinaryHeap` (a max-heap) pops the earliest, then the
/// first scheduled — the framework's `(time, priority, seq)` order with a single priority.
#[derive(Clone, Copy, Debug)]
struct Event {
    time: f64,
    seq: u64,
    kind: Kind,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.total_cmp(&self.time).then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Time average of a piecewise-constant level over the window `[start, end]`, integrated
/// exactly like `KpiCollector` (one product per level change, clipped to the window).
#[derive(Clone, Copy, Debug)]
struct Level {
    level: f64,
    since: f64,
    area: f64,
}

impl Level {
    fn new(start: f64) -> Self {
        Level { level: 0.0, since: start, area: 0.0 }
    }

    #[inline]
    fn integrate(&mut self, t: f64, end: f64) {
        let to = t.min(end);
        if to > self.since {
            self.area += self.level * (to - self.since);
            self.since = to;
        }
    }

    #[inline]
    fn set(&mut self, t: f64, value: f64, end: f64) {
        self.integrate(t, end);
        self.level = value;
    }
}

/// Mean of the observations made inside the window.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    sum: f64,
    count: u64,
}

impl Sample {
    #[inline]
    fn add(&mut self, t: f64, value: f64, start: f64, end: f64) {
        if t >= start && t <= end {
            self.sum += value;
            self.count += 1;
        }
    }

    fn mean(&self) -> f64 {
        self.sum / self.count as f64
    }
}

#[derive(Clone, Copy, Debug)]
struct Args {
    horizon: f64,
    warmup: f64,
    seed: u64,
    interarrival_mean: f64,
    service_mean: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        horizon: 11_111_111.0,
        warmup: 0.0,
        seed: 42,
        interarrival_mean: 1.111_111_111_111_111_2,
        service_mean: 1.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag}: missing value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--horizon" => args.horizon = value.parse().map_err(|e| bad(&e))?,
            "--warmup" => args.warmup = value.parse().map_err(|e| bad(&e))?,
            "--seed" => args.seed = value.parse().map_err(|e| bad(&e))?,
            "--interarrival-mean" => args.interarrival_mean = value.parse().map_err(|e| bad(&e))?,
            "--service-mean" => args.service_mean = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown argument `{flag}`")),
        }
    }
    let finite_positive = |x: f64| x.is_finite() && x > 0.0;
    if !(finite_positive(args.horizon)
        && args.warmup >= 0.0
        && args.warmup < args.horizon
        && finite_positive(args.interarrival_mean)
        && finite_positive(args.service_mean))
    {
        return Err("need 0 <= warmup < horizon and positive finite means".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bare-mm1: {e}");
            eprintln!(
                "usage: bare-mm1 [--horizon H] [--warmup W] [--seed S] [--interarrival-mean A] [--service-mean B]"
            );
            return ExitCode::from(2);
        }
    };
    let (start, end) = (args.warmup, args.horizon);

    // The framework's streams for source `orders` and station `server`, replication 0.
    let seeder = StreamSeeder::new(args.seed, 0);
    let mut arrival_rng = seeder.stream(StreamKey::new("source:orders", "interarrival"));
    // Each customer's seed, drawn at arrival; its service time comes from its own stream.
    let mut job_rng = seeder.stream(StreamKey::new("source:orders", "job"));
    let salt = StreamKey::new("station:server#0", "process").stream_id();
    let interarrival = Exp::new(1.0 / args.interarrival_mean).expect("positive rate");
    let service = Exp::new(1.0 / args.service_mean).expect("positive rate");

    let mut calendar: BinaryHeap<Event> = BinaryHeap::new();
    let mut seq: u64 = 0;
    let mut schedule = |calendar: &mut BinaryHeap<Event>, time: f64, kind: Kind| {
        calendar.push(Event { time, seq, kind });
        seq += 1;
    };

    // State: the server and the arrival times of the waiting customers.
    let mut busy = false;
    let mut queue: VecDeque<(f64, u64)> = VecDeque::new();
    let mut wip: u64 = 0;

    // KPIs.
    let mut wip_level = Level::new(start);
    let mut queue_level = Level::new(start);
    let mut busy_level = Level::new(start);
    let mut cycle_time = Sample::default();
    let mut wait_time = Sample::default();
    let mut lost = Sample::default();
    let mut completed: u64 = 0;
    let (mut events, mut arrivals, mut completions): (u64, u64, u64) = (0, 0, 0);

    wip_level.set(0.0, 0.0, end);
    schedule(&mut calendar, interarrival.sample(&mut arrival_rng), Kind::Arrival);

    while let Some(Event { time: now, kind, .. }) = calendar.pop() {
        if now > end {
            break;
        }
        events += 1;
        match kind {
            Kind::Arrival => {
                arrivals += 1;
                schedule(&mut calendar, now + interarrival.sample(&mut arrival_rng), Kind::Arrival);
                let seed = job_rng.next_u64();
                if busy {
                    queue.push_back((now, seed));
                    queue_level.set(now, queue.len() as f64, end);
                } else {
                    busy = true;
                    busy_level.set(now, 1.0, end);
                    let done = now + service.sample(&mut entity_stream(seed, salt));
                    schedule(&mut calendar, done, Kind::Departure { arrived: now, waited: 0.0 });
                }
                lost.add(now, 0.0, start, end);
                wip += 1;
                wip_level.set(now, wip as f64, end);
            }
            Kind::Departure { arrived, waited } => {
                completions += 1;
                wip -= 1;
                if now >= start && now <= end {
                    completed += 1;
                }
                cycle_time.add(now, now - arrived, start, end);
                wait_time.add(now, waited, start, end);
                wip_level.set(now, wip as f64, end);
                // Levels are recorded once per change, as the framework does: a server that is
                // freed and refilled at the same instant records nothing.
                if let Some((next, seed)) = queue.pop_front() {
                    queue_level.set(now, queue.len() as f64, end);
                    let done = now + service.sample(&mut entity_stream(seed, salt));
                    schedule(&mut calendar, done, Kind::Departure { arrived: next, waited: now - next });
                } else {
                    busy = false;
                    busy_level.set(now, 0.0, end);
                }
            }
        }
    }
    for level in [&mut wip_level, &mut queue_level, &mut busy_level] {
        level.integrate(end, end);
    }

    let length = end - start;
    let metrics = [
        ("cycle_time_mean", cycle_time.mean()),
        ("loss_fraction", lost.mean()),
        ("queue_mean.server", queue_level.area / length),
        ("throughput", completed as f64 / length),
        ("utilization.server", busy_level.area / length),
        ("wait_time_mean", wait_time.mean()),
        ("wip_mean", wip_level.area / length),
    ];
    for (name, value) in metrics {
        println!("{name} {value:?}");
    }
    println!("events {events}");
    println!("arrivals {arrivals}");
    println!("completions {completions}");
    ExitCode::SUCCESS
}
