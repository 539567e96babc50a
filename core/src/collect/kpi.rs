//! The `kpi` collector: time averages, means and rates of every catalogued record kind.
//!
//! It knows no domain: the catalogue says, per kind, how to aggregate ([`Aggregate`]) and which
//! metrics to report ([`Report`]). Memory is proportional to the number of (kind, subject) pairs,
//! never to the horizon.

use super::{CollectError, Collector, Finished, Metric, Window};
use crate::record::{Aggregate, Catalogue, Record, Report};

/// Streaming accumulator of one (kind, subject) pair.
#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    /// Current level (for `Level`).
    level: f64,
    /// Time of the last level change, clipped to the window start.
    since: f64,
    /// Integral of the level over the window so far (for `Level`); sum of values (for `Sample`).
    sum: f64,
    /// Number of observations in the window (for `Sample` and `Rate`).
    count: u64,
}

#[derive(Clone, Copy, Debug)]
struct KindSlot {
    aggregate: Aggregate,
    /// Index of the first subject's accumulator in `accs`.
    offset: usize,
    subjects: usize,
}

/// The default collector: see the module docs.
#[derive(Debug, Default)]
pub struct KpiCollector {
    catalogue: Catalogue,
    kinds: Vec<KindSlot>,
    accs: Vec<Acc>,
    start: f64,
    end: f64,
}

impl KpiCollector {
    /// A collector that has not started yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn error(&self, message: String) -> CollectError {
        CollectError { collector: self.name().to_owned(), message }
    }

    /// Moves every level's integral forward to `t` (clipped to the window).
    fn integrate(acc: &mut Acc, t: f64, end: f64) {
        let to = t.min(end);
        if to > acc.since {
            acc.sum += acc.level * (to - acc.since);
            acc.since = to;
        }
    }
}

impl Collector for KpiCollector {
    fn name(&self) -> &str {
        "kpi"
    }

    fn start(&mut self, catalogue: &Catalogue, window: Window) -> Result<(), CollectError> {
        self.catalogue = catalogue.clone();
        self.start = window.warmup.as_f64();
        self.end = window.horizon.as_f64();
        self.kinds.clear();
        self.accs.clear();
        for kind in &catalogue.kinds {
            if kind.subjects.is_empty() {
                return Err(self.error(format!("record kind `{}` has no subjects", kind.name)));
            }
            self.kinds.push(KindSlot {
                aggregate: kind.aggregate,
                offset: self.accs.len(),
                subjects: kind.subjects.len(),
            });
            self.accs.extend(std::iter::repeat_n(
                Acc { since: self.start, ..Acc::default() },
                kind.subjects.len(),
            ));
        }
        Ok(())
    }

    fn batch(&mut self, records: &[Record]) -> Result<(), CollectError> {
        let (start, end) = (self.start, self.end);
        for r in records {
            // One bounds check per record: a malformed record is an error, never a panic.
            let Some(&KindSlot { aggregate, offset, subjects }) = self.kinds.get(r.kind as usize) else {
                return Err(self.error(format!("record of unknown kind {}", r.kind)));
            };
            let Some(acc) =
                self.accs.get_mut(offset + r.subject as usize).filter(|_| (r.subject as usize) < subjects)
            else {
                return Err(
                    self.error(format!("record of kind {} has unknown subject {}", r.kind, r.subject))
                );
            };
            match aggregate {
                Aggregate::Level => {
                    // Before the window the level is only tracked; `since` stays at the window
                    // start so the first in-window change integrates from there.
                    Self::integrate(acc, r.time, end);
                    acc.level = r.value;
                }
                Aggregate::Sample => {
                    if r.time >= start && r.time <= end {
                        acc.sum += r.value;
                        acc.count += 1;
                    }
                }
                Aggregate::Rate => {
                    if r.time >= start && r.time <= end {
                        acc.count += 1;
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<Finished, CollectError> {
        let (start, end) = (self.start, self.end);
        let length = end - start;
        let mut out = Vec::new();
        for (kind, slot) in self.catalogue.kinds.iter().zip(&self.kinds) {
            let Some(accs) = self.accs.get_mut(slot.offset..slot.offset + slot.subjects) else {
                continue;
            };
            let value = |acc: &Acc| match slot.aggregate {
                Aggregate::Level => acc.sum / length,
                Aggregate::Sample => acc.sum / acc.count as f64,
                Aggregate::Rate => acc.count as f64 / length,
            };
            for acc in accs.iter_mut() {
                Self::integrate(acc, end, end);
            }
            let rate = |acc: &Acc| acc.count as f64 / length;
            let rate_metric = kind.rate_metric.as_ref().filter(|_| slot.aggregate == Aggregate::Sample);
            if matches!(kind.report, Report::PerSubject | Report::Both) {
                for (subject, acc) in kind.subjects.iter().zip(accs.iter()) {
                    out.push(Metric { name: format!("{}.{subject}", kind.metric), value: value(acc) });
                    if let Some(r) = rate_metric {
                        out.push(Metric { name: format!("{r}.{subject}"), value: rate(acc) });
                    }
                }
            }
            if matches!(kind.report, Report::Total | Report::Both) {
                // Totals: levels and rates add up across subjects; samples pool their observations.
                let total = accs.iter().fold(Acc::default(), |a, b| Acc {
                    sum: a.sum + b.sum,
                    count: a.count + b.count,
                    ..a
                });
                out.push(Metric { name: kind.metric.clone(), value: value(&total) });
                if let Some(r) = rate_metric {
                    out.push(Metric { name: r.clone(), value: rate(&total) });
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Finished { metrics: out, series: Vec::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::KindInfo;
    use crate::time::SimTime;

    fn kind(name: &str, aggregate: Aggregate, report: Report, subjects: &[&str]) -> KindInfo {
        KindInfo {
            name: name.into(),
            metric: name.into(),
            aggregate,
            report,
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            rate_metric: None,
        }
    }

    fn window(w: f64, h: f64) -> Window {
        Window { warmup: SimTime::new(w).unwrap(), horizon: SimTime::new(h).unwrap() }
    }

    fn rec(time: f64, kind: u32, subject: u32, value: f64) -> Record {
        Record { time, kind, subject, value }
    }

    fn run(cat: &Catalogue, w: Window, records: &[Record]) -> Vec<(String, f64)> {
        let mut c = KpiCollector::new();
        c.start(cat, w).unwrap();
        // Two batches, to check that state carries across them.
        let (a, b) = records.split_at(records.len() / 2);
        c.batch(a).unwrap();
        c.batch(b).unwrap();
        c.finish().unwrap().into_iter().map(|m| (m.name, m.value)).collect()
    }

    #[test]
    fn level_is_time_averaged_over_the_window_only() {
        let mut cat = Catalogue::default();
        cat.add(kind("q", Aggregate::Level, Report::Both, &["a", "b"]));
        // a: 2 on [0,5), 4 on [5,20]; window [10,20] => 4. b: 1 from 15 => 0.5.
        let got =
            run(&cat, window(10.0, 20.0), &[rec(0.0, 0, 0, 2.0), rec(5.0, 0, 0, 4.0), rec(15.0, 0, 1, 1.0)]);
        assert_eq!(got, vec![("q".into(), 4.5), ("q.a".into(), 4.0), ("q.b".into(), 0.5)]);
    }

    #[test]
    fn level_change_inside_window_splits_the_area() {
        let mut cat = Catalogue::default();
        cat.add(kind("q", Aggregate::Level, Report::Total, &["x"]));
        // 1 on [0,12), 3 on [12, 30) ; window [10, 20] => (2*1 + 8*3)/10 = 2.6 ; changes after the horizon ignored.
        let got =
            run(&cat, window(10.0, 20.0), &[rec(0.0, 0, 0, 1.0), rec(12.0, 0, 0, 3.0), rec(30.0, 0, 0, 9.0)]);
        assert!((got[0].1 - 2.6).abs() < 1e-12, "{got:?}");
    }

    #[test]
    fn samples_and_rates_count_only_inside_the_window() {
        let mut cat = Catalogue::default();
        cat.add(kind("ct", Aggregate::Sample, Report::Both, &["p", "q"]));
        cat.add(kind("tp", Aggregate::Rate, Report::PerSubject, &["p", "q"]));
        let got = run(
            &cat,
            window(10.0, 20.0),
            &[
                rec(5.0, 0, 0, 100.0),
                rec(11.0, 0, 0, 2.0),
                rec(12.0, 0, 1, 4.0),
                rec(13.0, 1, 0, 1.0),
                rec(14.0, 1, 0, 1.0),
                rec(9.0, 1, 1, 1.0),
            ],
        );
        assert_eq!(
            got,
            vec![
                ("ct".into(), 3.0),
                ("ct.p".into(), 2.0),
                ("ct.q".into(), 4.0),
                ("tp.p".into(), 0.2),
                ("tp.q".into(), 0.0)
            ]
        );
    }

    #[test]
    fn sample_kind_can_also_report_its_rate() {
        let mut cat = Catalogue::default();
        let mut ct = kind("ct", Aggregate::Sample, Report::Both, &["p", "q"]);
        ct.rate_metric = Some("tp".into());
        cat.add(ct);
        let got =
            run(&cat, window(10.0, 20.0), &[rec(5.0, 0, 0, 9.0), rec(11.0, 0, 0, 2.0), rec(12.0, 0, 1, 4.0)]);
        assert_eq!(
            got,
            vec![
                ("ct".into(), 3.0),
                ("ct.p".into(), 2.0),
                ("ct.q".into(), 4.0),
                ("tp".into(), 0.2),
                ("tp.p".into(), 0.1),
                ("tp.q".into(), 0.1)
            ]
        );
    }

    #[test]
    fn sample_without_observations_is_nan() {
        let mut cat = Catalogue::default();
        cat.add(kind("ct", Aggregate::Sample, Report::Total, &["p"]));
        let got = run(&cat, window(0.0, 1.0), &[]);
        assert!(got[0].1.is_nan());
    }

    #[test]
    fn malformed_records_are_errors_not_panics() {
        let mut cat = Catalogue::default();
        cat.add(kind("ct", Aggregate::Sample, Report::Total, &["p"]));
        let mut c = KpiCollector::new();
        c.start(&cat, window(0.0, 1.0)).unwrap();
        assert!(c.batch(&[rec(0.5, 7, 0, 1.0)]).is_err());
        assert!(c.batch(&[rec(0.5, 0, 3, 1.0)]).is_err());
    }
}
