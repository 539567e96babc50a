//! The trace of a replication: every level series of the record stream, time-averaged in equal
//! bins over the whole run, for the steady-state checks.
//!
//! A level kind (`Aggregate::Level`: work in the system, queue lengths, busy servers) records its new
//! value at each change; between records it is constant. The trace integrates each series over
//! [`BINS`] equal bins of `[0, horizon]`, the warm-up included (the warm-up check needs it). It
//! is an engine collector, not a plugin: it adds no metric and no time series to the outputs,
//! and reports to its [`TraceSlot`] instead.

use std::sync::{Arc, Mutex};

use crate::collect::{CollectError, Collector, Finished, Window};
use crate::record::{Aggregate, Catalogue, Record, Report};

/// Bins of `[0, horizon]`. 100 resolve a warm-up to 1 % of the run and leave 25 bins in the
/// second half of a window that starts at the middle.
pub const BINS: usize = 100;

/// Marks a kind that is not a level.
const NOT_LEVEL: usize = usize::MAX;

/// One level series of one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesTrace {
    /// The metric the series is averaged into, e.g. `wip_mean` or `queue_mean.mill`.
    pub metric: String,
    /// Time-average of the level in each bin of `[0, horizon]`.
    pub bins: Vec<f64>,
}

/// Every level series of one replication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    /// Length of the run [time unit]; bin `k` covers `[k, k+1)·horizon/BINS`.
    pub horizon: f64,
    /// Start of measurement [time unit].
    pub warmup: f64,
    /// The series, in catalogue order (per kind: the total first, then its subjects).
    pub series: Vec<SeriesTrace>,
}

/// Where a [`TraceCollector`] leaves its trace at the end of the replication.
pub type TraceSlot = Arc<Mutex<Option<Trace>>>;

/// One tracked (kind, subject) level.
#[derive(Clone, Copy, Debug, Default)]
struct Level {
    value: f64,
    since: f64,
    /// Integral over the current bin so far: most changes stay in the bin (the fast path), and
    /// one cache line holds all a change touches.
    acc: f64,
    /// Where the current bin ends (`+∞` for the last).
    bin_end: f64,
    bin: usize,
}

/// The engine collector that builds a [`Trace`].
#[derive(Debug)]
pub struct TraceCollector {
    slot: TraceSlot,
    horizon: f64,
    warmup: f64,
    width: f64,
    /// Per kind: index of its first subject in `levels`, or [`NOT_LEVEL`].
    kinds: Vec<usize>,
    levels: Vec<Level>,
    /// Integrals per bin, `BINS` per tracked (kind, subject).
    integrals: Vec<f64>,
    /// (metric, aggregate of which subjects' levels): built at the start.
    outputs: Vec<(String, Vec<usize>)>,
}

impl TraceCollector {
    /// A collector that leaves its trace in `slot`.
    pub fn new(slot: TraceSlot) -> Self {
        TraceCollector {
            slot,
            horizon: 0.0,
            warmup: 0.0,
            width: 1.0,
            kinds: Vec::new(),
            levels: Vec::new(),
            integrals: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Integrates level `i` up to `t` (`>= since`, `<= horizon`).
    #[inline]
    fn integrate(&mut self, i: usize, t: f64) {
        let level = &mut self.levels[i];
        if t >= level.bin_end {
            self.close_bins(i, t);
        }
        let level = &mut self.levels[i];
        level.acc += level.value * (t - level.since);
        level.since = t;
    }

    /// Closes the bins of level `i` that end at or before `t` (the slow path of
    /// [`Self::integrate`]).
    #[cold]
    fn close_bins(&mut self, i: usize, t: f64) {
        let row = &mut self.integrals[i * BINS..(i + 1) * BINS];
        let level = &mut self.levels[i];
        while t >= level.bin_end {
            row[level.bin] += level.acc + level.value * (level.bin_end - level.since);
            level.since = level.bin_end;
            level.acc = 0.0;
            level.bin += 1;
            level.bin_end =
                if level.bin + 1 == BINS { f64::INFINITY } else { (level.bin + 1) as f64 * self.width };
        }
    }
}

impl Collector for TraceCollector {
    fn name(&self) -> &str {
        "trace"
    }

    fn start(&mut self, catalogue: &Catalogue, window: Window) -> Result<(), CollectError> {
        self.horizon = window.horizon.as_f64();
        self.warmup = window.warmup.as_f64();
        self.width = self.horizon / BINS as f64;
        let mut next = 0;
        for kind in &catalogue.kinds {
            if kind.aggregate != Aggregate::Level {
                self.kinds.push(NOT_LEVEL);
                continue;
            }
            let subjects: Vec<usize> = (next..next + kind.subjects.len()).collect();
            if matches!(kind.report, Report::Total | Report::Both) {
                self.outputs.push((kind.metric.clone(), subjects.clone()));
            }
            if matches!(kind.report, Report::PerSubject | Report::Both) {
                for (s, name) in subjects.iter().zip(&kind.subjects) {
                    self.outputs.push((format!("{}.{name}", kind.metric), vec![*s]));
                }
            }
            self.kinds.push(next);
            next += kind.subjects.len();
        }
        let first = Level { value: 0.0, since: 0.0, acc: 0.0, bin_end: self.width, bin: 0 };
        self.levels = vec![first; next];
        self.integrals = vec![0.0; next * BINS];
        Ok(())
    }

    fn batch(&mut self, records: &[Record]) -> Result<(), CollectError> {
        for r in records {
            // Records of kinds the catalogue lacks are the KPI collector's to refuse.
            let first = self.kinds.get(r.kind as usize).copied().unwrap_or(NOT_LEVEL);
            if first == NOT_LEVEL {
                continue;
            }
            let i = first + r.subject as usize;
            if i >= self.levels.len() {
                continue;
            }
            self.integrate(i, r.time);
            self.levels[i].value = r.value;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<Finished, CollectError> {
        for i in 0..self.levels.len() {
            self.integrate(i, self.horizon);
            let level = &mut self.levels[i];
            self.integrals[i * BINS + level.bin] += level.acc;
            level.acc = 0.0;
        }
        let series = self
            .outputs
            .iter()
            .map(|(metric, members)| SeriesTrace {
                metric: metric.clone(),
                bins: (0..BINS)
                    .map(|k| members.iter().map(|&i| self.integrals[i * BINS + k]).sum::<f64>() / self.width)
                    .collect(),
            })
            .collect();
        let trace = Trace { horizon: self.horizon, warmup: self.warmup, series };
        // A poisoned slot means another thread panicked while holding it: nothing to keep.
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some(trace);
        }
        Ok(Finished::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::KindInfo;
    use crate::time::SimTime;

    fn kind(name: &str, aggregate: Aggregate, report: Report, subjects: &[&str]) -> KindInfo {
        KindInfo::new(
            name,
            format!("{name}_mean"),
            aggregate,
            report,
            subjects.iter().map(|s| (*s).to_owned()).collect(),
        )
    }

    fn rec(time: f64, kind: u32, subject: u32, value: f64) -> Record {
        Record { time, kind, subject, value }
    }

    #[test]
    fn levels_are_time_averaged_per_bin_and_samples_ignored() {
        let catalogue = Catalogue {
            kinds: vec![
                kind("ct", Aggregate::Sample, Report::Total, &["all"]),
                kind("q", Aggregate::Level, Report::Both, &["a", "b"]),
            ],
        };
        let slot = TraceSlot::default();
        let mut c = TraceCollector::new(slot.clone());
        let window = Window { warmup: SimTime::new(10.0).unwrap(), horizon: SimTime::new(100.0).unwrap() };
        c.start(&catalogue, window).unwrap();
        // a: 2 from t = 0.5 (bin 0 half covered), 4 from t = 50.0; b: 1 from 99.5.
        c.batch(&[rec(0.3, 0, 0, 7.0), rec(0.5, 1, 0, 2.0), rec(50.0, 1, 0, 4.0), rec(99.5, 1, 1, 1.0)])
            .unwrap();
        c.finish().unwrap();
        let trace = slot.lock().unwrap().take().unwrap();
        let names: Vec<&str> = trace.series.iter().map(|s| s.metric.as_str()).collect();
        assert_eq!(names, ["q_mean", "q_mean.a", "q_mean.b"]);
        let a = &trace.series[1].bins;
        assert_eq!(a.len(), BINS);
        assert!((a[0] - 1.0).abs() < 1e-12, "{}", a[0]);
        assert!(a[1..50].iter().all(|&v| (v - 2.0).abs() < 1e-12));
        assert!(a[50..].iter().all(|&v| (v - 4.0).abs() < 1e-12));
        let b = &trace.series[2].bins;
        assert!((b[99] - 0.5).abs() < 1e-12 && b[..99].iter().all(|&v| v == 0.0));
        let total = &trace.series[0].bins;
        assert!((total[99] - 4.5).abs() < 1e-12);
        assert_eq!((trace.horizon, trace.warmup), (100.0, 10.0));
    }
}
