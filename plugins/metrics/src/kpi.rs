//! The `kpi` collector: time averages, means and rates of every catalogued record kind.
//!
//! It knows no domain: the catalogue says, per kind, how to aggregate ([`Aggregate`]) and which
//! metrics to report ([`Report`]). Memory is proportional to the number of (kind, subject) pairs,
//! never to the horizon, and a record costs no allocation.
//!
//! This is a port of the engine's in-core `KpiCollector` (`core/src/collect/kpi.rs`) onto the
//! plugin traits, with the same metric names, the same order of floating-point operations (so
//! results stay bit-identical) and the same name-sorted output. What differs: a value that does
//! not exist is pushed with [`Output::undefined`] instead of as NaN, and records with a
//! non-finite time or value, or a time earlier than the previous record's, are errors.

use xinzhi_plugin::{
    Aggregate, Catalogue, Collector, Component, Config, Host, MetricDecl, Output, PluginError, Record,
    Report, Window,
};

use crate::common::{
    check_record, check_subjects, check_window, kpi_declarations, no_parameters, subject_metric,
    unknown_kind, unknown_subject,
};

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

/// The default collector: every catalogued kind summarised over the window `[warmup, horizon]`.
///
/// Per kind, per its [`Aggregate`]:
/// - `Level`: the time average of the piecewise-constant level (0 until its first record);
/// - `Sample`: the mean of the in-window observations (undefined when there are none), and, if
///   the kind has a `rate_metric`, the number of in-window observations per time unit;
/// - `Rate`: the number of in-window records per time unit.
///
/// Per its [`Report`], one metric `metric` over all subjects (levels and rates add up across
/// subjects, samples pool their observations), one `metric.<subject>` per subject, or both.
/// Metrics are pushed sorted by name.
#[derive(Debug, Default)]
pub struct Kpi {
    catalogue: Catalogue,
    kinds: Vec<KindSlot>,
    accs: Vec<Acc>,
    start: f64,
    end: f64,
    /// Time of the latest record, to check the time order.
    last_time: f64,
}

impl Kpi {
    /// Moves every level's integral forward to `t` (clipped to the window).
    fn integrate(acc: &mut Acc, t: f64, end: f64) {
        let to = t.min(end);
        if to > acc.since {
            acc.sum += acc.level * (to - acc.since);
            acc.since = to;
        }
    }
}

impl Component for Kpi {
    const NAME: &'static str = "kpi";
    const DESCRIPTION: &'static str =
        "time averages of levels, window means of samples and rates of every record kind (the default)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        no_parameters(config)?;
        Ok(Kpi::default())
    }
}

impl Collector for Kpi {
    /// Per kind: `metric` (total) and/or the family `metric.*` (per subject), and likewise the
    /// rate metric of a sample kind, with the kind's unit and meaning and the aggregation in
    /// words.
    fn declare(&self, catalogue: &Catalogue, _window: Window) -> Option<Vec<MetricDecl>> {
        Some(kpi_declarations(catalogue))
    }

    fn start(&mut self, catalogue: &Catalogue, window: Window) -> Result<(), PluginError> {
        check_window(window)?;
        check_subjects(catalogue)?;
        self.catalogue = catalogue.clone();
        self.start = window.warmup;
        self.end = window.horizon;
        self.last_time = f64::NEG_INFINITY;
        self.kinds.clear();
        self.accs.clear();
        for kind in &catalogue.kinds {
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

    fn batch(&mut self, records: &[Record]) -> Result<(), PluginError> {
        let (start, end) = (self.start, self.end);
        for r in records {
            check_record(r, &mut self.last_time)?;
            // One bounds check per record: a malformed record is an error, never a panic.
            let Some(&KindSlot { aggregate, offset, subjects }) = self.kinds.get(r.kind as usize) else {
                return Err(unknown_kind(r, self.kinds.len()));
            };
            let Some(acc) =
                self.accs.get_mut(offset + r.subject as usize).filter(|_| (r.subject as usize) < subjects)
            else {
                return Err(unknown_subject(r, &self.catalogue.kinds[r.kind as usize]));
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

    fn finish(&mut self, out: &mut dyn Output) -> Result<(), PluginError> {
        let (start, end) = (self.start, self.end);
        let length = end - start;
        // `None`: undefined (a mean over no observations).
        let mut metrics: Vec<(String, Option<f64>)> = Vec::new();
        for (kind, slot) in self.catalogue.kinds.iter().zip(&self.kinds) {
            let Some(accs) = self.accs.get_mut(slot.offset..slot.offset + slot.subjects) else {
                continue;
            };
            let value = |acc: &Acc| match slot.aggregate {
                Aggregate::Level => Some(acc.sum / length),
                Aggregate::Sample => (acc.count > 0).then(|| acc.sum / acc.count as f64),
                Aggregate::Rate => Some(acc.count as f64 / length),
            };
            for acc in accs.iter_mut() {
                Self::integrate(acc, end, end);
            }
            let rate = |acc: &Acc| Some(acc.count as f64 / length);
            let rate_metric = kind.rate_metric.as_ref().filter(|_| slot.aggregate == Aggregate::Sample);
            if matches!(kind.report, Report::PerSubject | Report::Both) {
                for (subject, acc) in kind.subjects.iter().zip(accs.iter()) {
                    metrics.push((subject_metric(&kind.metric, subject), value(acc)));
                    if let Some(r) = rate_metric {
                        metrics.push((subject_metric(r, subject), rate(acc)));
                    }
                }
            }
            if matches!(kind.report, Report::Total | Report::Both) {
                // Totals: levels and rates add up across subjects; samples pool their observations.
                // The fold (from zero, in subject order) is the core's: same sums, same bits.
                let total = accs.iter().fold(Acc::default(), |a, b| Acc {
                    sum: a.sum + b.sum,
                    count: a.count + b.count,
                    ..a
                });
                metrics.push((kind.metric.clone(), value(&total)));
                if let Some(r) = rate_metric {
                    metrics.push((r.clone(), rate(&total)));
                }
            }
        }
        metrics.sort_by(|a, b| a.0.cmp(&b.0));
        // Check everything before pushing anything: a failed finish leaves no partial output.
        if let Some((name, Some(v))) = metrics.iter().find(|(_, v)| v.is_some_and(|v| !v.is_finite())) {
            return Err(PluginError::failed(format!(
                "metric `{name}` is {v}: the record values are too large to aggregate"
            )));
        }
        for (name, value) in &metrics {
            match value {
                Some(v) => out.metric(name, *v),
                None => out.undefined(name),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use xinzhi_plugin::Status;

    use super::*;
    use crate::testing::{catalogue, kind, m, rec, run, undef, window};
    use xinzhi_plugin::KindInfo;

    fn metrics(cat: &Catalogue, w: Window, records: &[Record]) -> Vec<(String, Option<f64>)> {
        run::<Kpi>("{}", cat, w, records).unwrap().metrics
    }

    // ---- Ported from core/src/collect/kpi.rs (same inputs, same expected values). ----

    #[test]
    fn level_is_time_averaged_over_the_window_only() {
        let cat = catalogue(vec![kind("q", Aggregate::Level, Report::Both, &["a", "b"])]);
        // a: 2 on [0,5), 4 on [5,20]; window [10,20] => 4. b: 1 from 15 => 0.5.
        let got = metrics(
            &cat,
            window(10.0, 20.0),
            &[rec(0.0, 0, 0, 2.0), rec(5.0, 0, 0, 4.0), rec(15.0, 0, 1, 1.0)],
        );
        assert_eq!(got, vec![m("q", 4.5), m("q.a", 4.0), m("q.b", 0.5)]);
    }

    #[test]
    fn level_change_inside_window_splits_the_area() {
        let cat = catalogue(vec![kind("q", Aggregate::Level, Report::Total, &["x"])]);
        // 1 on [0,12), 3 on [12,30); window [10,20] => (2*1 + 8*3)/10 = 2.6; changes after the
        // horizon are ignored.
        let got = metrics(
            &cat,
            window(10.0, 20.0),
            &[rec(0.0, 0, 0, 1.0), rec(12.0, 0, 0, 3.0), rec(30.0, 0, 0, 9.0)],
        );
        // The core test allowed 1e-12; the integral 26 is exact, so the quotient is too.
        assert_eq!(got, vec![m("q", 26.0 / 10.0)]);
    }

    #[test]
    fn samples_and_rates_count_only_inside_the_window() {
        let cat = catalogue(vec![
            kind("ct", Aggregate::Sample, Report::Both, &["p", "q"]),
            kind("tp", Aggregate::Rate, Report::PerSubject, &["p", "q"]),
        ]);
        // The core test fed these out of time order (9.0 last); records now must come in time
        // order, so the same records are sorted.
        let got = metrics(
            &cat,
            window(10.0, 20.0),
            &[
                rec(5.0, 0, 0, 100.0),
                rec(9.0, 1, 1, 1.0),
                rec(11.0, 0, 0, 2.0),
                rec(12.0, 0, 1, 4.0),
                rec(13.0, 1, 0, 1.0),
                rec(14.0, 1, 0, 1.0),
            ],
        );
        assert_eq!(got, vec![m("ct", 3.0), m("ct.p", 2.0), m("ct.q", 4.0), m("tp.p", 0.2), m("tp.q", 0.0)]);
    }

    #[test]
    fn sample_kind_can_also_report_its_rate() {
        let mut ct = kind("ct", Aggregate::Sample, Report::Both, &["p", "q"]);
        ct.rate_metric = Some("tp".into());
        let cat = catalogue(vec![ct]);
        let got = metrics(
            &cat,
            window(10.0, 20.0),
            &[rec(5.0, 0, 0, 9.0), rec(11.0, 0, 0, 2.0), rec(12.0, 0, 1, 4.0)],
        );
        assert_eq!(
            got,
            vec![m("ct", 3.0), m("ct.p", 2.0), m("ct.q", 4.0), m("tp", 0.2), m("tp.p", 0.1), m("tp.q", 0.1)]
        );
    }

    #[test]
    fn sample_without_observations_is_undefined() {
        // The core reported NaN here; the plugin says `undefined`.
        let cat = catalogue(vec![kind("ct", Aggregate::Sample, Report::Total, &["p"])]);
        assert_eq!(metrics(&cat, window(0.0, 1.0), &[]), vec![undef("ct")]);
    }

    #[test]
    fn malformed_records_are_errors_not_panics() {
        let cat = catalogue(vec![kind("ct", Aggregate::Sample, Report::Total, &["p"])]);
        let mut c = Kpi::new(&Config::new("{}"), &Host::detached(0)).unwrap();
        c.start(&cat, window(0.0, 1.0)).unwrap();
        let e = c.batch(&[rec(0.5, 7, 0, 1.0)]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert_eq!(e.message, "record of unknown kind 7 (the catalogue has 1 kind)");
        let e = c.batch(&[rec(0.5, 0, 3, 1.0)]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert_eq!(e.message, "record of kind 0 (`ct`) has unknown subject 3 (the kind has 1 subject)");
    }

    // ---- Hand-worked examples. ----

    #[test]
    fn level_integral_is_clipped_at_the_warmup_and_the_horizon() {
        let cat = catalogue(vec![kind("q", Aggregate::Level, Report::Total, &["x"])]);
        // 3 on [4,16), 5 on [16,25), 7 from 25. Window [10,20]: 3 over [10,16] and 5 over
        // [16,20] => (3*6 + 5*4)/10 = 38/10. The change at 25 is past the horizon.
        let got = metrics(
            &cat,
            window(10.0, 20.0),
            &[rec(4.0, 0, 0, 3.0), rec(16.0, 0, 0, 5.0), rec(25.0, 0, 0, 7.0)],
        );
        assert_eq!(got, vec![m("q", 38.0 / 10.0)]);
    }

    #[test]
    fn level_is_zero_until_its_first_record_and_without_any() {
        let cat = catalogue(vec![kind("q", Aggregate::Level, Report::PerSubject, &["a", "b"])]);
        // a: 0 on [0,6), 10 on [6,8] => 20/8 = 2.5. b: no record at all => 0.
        let got = metrics(&cat, window(0.0, 8.0), &[rec(6.0, 0, 0, 10.0)]);
        assert_eq!(got, vec![m("q.a", 2.5), m("q.b", 0.0)]);
    }

    #[test]
    fn level_changes_at_the_same_instant_keep_the_last_value() {
        let cat = catalogue(vec![kind("q", Aggregate::Level, Report::Total, &["x"])]);
        // 1 then 9 then 2 at t = 5: [0,5) at 0, [5,10] at 2 => 10/10 = 1.
        let got = metrics(
            &cat,
            window(0.0, 10.0),
            &[rec(5.0, 0, 0, 1.0), rec(5.0, 0, 0, 9.0), rec(5.0, 0, 0, 2.0)],
        );
        assert_eq!(got, vec![m("q", 1.0)]);
    }

    #[test]
    fn level_total_adds_the_subjects_integrals() {
        let cat = catalogue(vec![kind("q", Aggregate::Level, Report::Total, &["a", "b", "c"])]);
        // Window [0,4]. a: 1 on [0,4] => 4. b: 2 on [2,4] => 4. c: 0.5 on [1,3], 0 after => 1.
        // Total integral (0 + 4) + 4 + 1 = 9 => 9/4.
        let got = metrics(
            &cat,
            window(0.0, 4.0),
            &[rec(0.0, 0, 0, 1.0), rec(1.0, 0, 2, 0.5), rec(2.0, 0, 1, 2.0), rec(3.0, 0, 2, 0.0)],
        );
        assert_eq!(got, vec![m("q", 9.0 / 4.0)]);
    }

    #[test]
    fn rate_report_both_sums_the_subjects_counts() {
        let cat = catalogue(vec![kind("tp", Aggregate::Rate, Report::Both, &["p", "q"])]);
        // Window [0,4]: p at 1, 2, 4 (the horizon itself counts), q at 0 (the warmup counts);
        // q at 5 is past the horizon. tp = 4/4, tp.p = 3/4, tp.q = 1/4.
        let got = metrics(
            &cat,
            window(0.0, 4.0),
            &[
                rec(0.0, 0, 1, 1.0),
                rec(1.0, 0, 0, 1.0),
                rec(2.0, 0, 0, 1.0),
                rec(4.0, 0, 0, 1.0),
                rec(5.0, 0, 1, 1.0),
            ],
        );
        assert_eq!(got, vec![m("tp", 1.0), m("tp.p", 0.75), m("tp.q", 0.25)]);
    }

    #[test]
    fn sample_total_pools_observations_and_undefined_subjects_stay_undefined() {
        let mut ct = kind("ct", Aggregate::Sample, Report::Both, &["p", "q", "r"]);
        ct.rate_metric = Some("tp".into());
        let cat = catalogue(vec![ct]);
        // Window [10,20]. p: 1, 2, 3 => mean 2; q: 10 => 10; r: only before the window.
        // Pooled: (1+2+3+10)/4 = 4 (not the mean of the means). Rates per time unit: 4/10 etc.
        let got = metrics(
            &cat,
            window(10.0, 20.0),
            &[
                rec(9.0, 0, 2, 50.0),
                rec(10.0, 0, 0, 1.0),
                rec(11.0, 0, 1, 10.0),
                rec(15.0, 0, 0, 2.0),
                rec(20.0, 0, 0, 3.0),
            ],
        );
        assert_eq!(
            got,
            vec![
                m("ct", 4.0),
                m("ct.p", 2.0),
                m("ct.q", 10.0),
                undef("ct.r"),
                m("tp", 0.4),
                m("tp.p", 0.3),
                m("tp.q", 0.1),
                m("tp.r", 0.0),
            ]
        );
    }

    #[test]
    fn report_total_only_and_per_subject_only() {
        let mut total = kind("ct", Aggregate::Sample, Report::Total, &["p", "q"]);
        total.rate_metric = Some("tp".into());
        let mut per = kind("wt", Aggregate::Sample, Report::PerSubject, &["p", "q"]);
        per.rate_metric = Some("arrivals".into());
        let cat = catalogue(vec![total, per]);
        let got = metrics(&cat, window(0.0, 2.0), &[rec(1.0, 0, 0, 3.0), rec(1.0, 1, 1, 5.0)]);
        assert_eq!(
            got,
            vec![
                m("arrivals.p", 0.0),
                m("arrivals.q", 0.5),
                m("ct", 3.0),
                m("tp", 0.5),
                undef("wt.p"),
                m("wt.q", 5.0),
            ]
        );
    }

    #[test]
    fn rate_metric_is_ignored_on_kinds_that_are_not_samples() {
        // As in the core: only a sample kind has a meaningful "observations per time unit".
        let mut q = kind("q", Aggregate::Level, Report::Total, &["x"]);
        q.rate_metric = Some("changes".into());
        let mut tp = kind("tp", Aggregate::Rate, Report::Total, &["x"]);
        tp.rate_metric = Some("again".into());
        let cat = catalogue(vec![q, tp]);
        let got = metrics(&cat, window(0.0, 2.0), &[rec(1.0, 0, 0, 2.0), rec(1.0, 1, 0, 1.0)]);
        assert_eq!(got, vec![m("q", 1.0), m("tp", 0.5)]);
    }

    #[test]
    fn metrics_are_pushed_sorted_by_name_across_kinds() {
        let cat = catalogue(vec![
            kind("zeta", Aggregate::Rate, Report::Total, &["x"]),
            kind("alpha", Aggregate::Level, Report::PerSubject, &["b", "a"]),
        ]);
        let got = metrics(&cat, window(0.0, 1.0), &[]);
        let names: Vec<_> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["alpha.a", "alpha.b", "zeta"]);
    }

    #[test]
    fn start_resets_the_state_of_a_previous_replication() {
        let cat = catalogue(vec![kind("tp", Aggregate::Rate, Report::Total, &["x"])]);
        let mut c = Kpi::new(&Config::new(""), &Host::detached(0)).unwrap();
        c.start(&cat, window(0.0, 1.0)).unwrap();
        c.batch(&[rec(0.5, 0, 0, 1.0), rec(0.7, 0, 0, 1.0)]).unwrap();
        c.start(&cat, window(0.0, 2.0)).unwrap();
        c.batch(&[rec(0.1, 0, 0, 1.0)]).unwrap();
        let mut out = crate::testing::Recorder::default();
        c.finish(&mut out).unwrap();
        assert_eq!(out.metrics, vec![m("tp", 0.5)]);
    }

    #[test]
    fn any_parameter_is_an_error_naming_it() {
        let e = Kpi::new(&Config::new(r#"{"window": 3}"#), &Host::detached(0)).unwrap_err();
        assert_eq!(e.status, Status::INVALID_CONFIG);
        assert!(e.message.contains("unknown field `window`"), "{e}");
    }

    #[test]
    fn a_kind_without_subjects_is_refused_at_start() {
        let cat = catalogue(vec![kind("ghost", Aggregate::Level, Report::Total, &[])]);
        let e = run::<Kpi>("{}", &cat, window(0.0, 1.0), &[]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert_eq!(e.message, "record kind `ghost` has no subjects");
    }

    #[test]
    fn an_empty_or_inverted_window_is_refused_at_start() {
        let cat = catalogue(vec![kind("q", Aggregate::Level, Report::Total, &["x"])]);
        for (w, h) in [(5.0, 5.0), (5.0, 1.0), (0.0, f64::INFINITY), (f64::NAN, 1.0)] {
            let e = run::<Kpi>("{}", &cat, window(w, h), &[]).unwrap_err();
            assert_eq!(e.status, Status::INVALID_INPUT, "[{w}, {h}]");
            assert!(e.message.contains("warmup < horizon"), "{e}");
        }
    }

    #[test]
    fn non_finite_or_backward_records_are_errors() {
        let cat = catalogue(vec![kind("q", Aggregate::Level, Report::Total, &["x"])]);
        for bad in [rec(f64::NAN, 0, 0, 1.0), rec(1.0, 0, 0, f64::INFINITY)] {
            let e = run::<Kpi>("{}", &cat, window(0.0, 2.0), &[bad]).unwrap_err();
            assert_eq!(e.status, Status::INVALID_INPUT);
            assert!(e.message.contains("must be finite"), "{e}");
        }
        // Backwards across two batches: the order is checked over the whole stream.
        let e = run::<Kpi>("{}", &cat, window(0.0, 2.0), &[rec(1.5, 0, 0, 1.0), rec(1.0, 0, 0, 2.0)])
            .unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert!(e.message.contains("non-decreasing time"), "{e}");
    }

    #[test]
    fn an_overflowing_aggregate_is_an_error_not_a_non_finite_metric() {
        let cat = catalogue(vec![kind("ct", Aggregate::Sample, Report::Total, &["x"])]);
        let e =
            run::<Kpi>("{}", &cat, window(0.0, 2.0), &[rec(1.0, 0, 0, f64::MAX), rec(1.0, 0, 0, f64::MAX)])
                .unwrap_err();
        assert_eq!(e.status, Status::FAILED);
        assert!(e.message.starts_with("metric `ct` is inf"), "{e}");
    }

    // ---- Declarations. ----

    /// A factory's kinds as the factory domain describes them.
    fn described() -> Catalogue {
        let stations = || vec!["mill".to_owned(), "lathe".to_owned()];
        let products = || vec!["widget".to_owned(), "gadget".to_owned()];
        catalogue(vec![
            KindInfo::new("arrival_lost", "loss_fraction", Aggregate::Sample, Report::Total, products())
                .meaning("fraction", "share of arrivals turned away")
                .bounds(Some(0.0), Some(1.0)),
            KindInfo::new("cycle_time", "cycle_time_mean", Aggregate::Sample, Report::Both, products())
                .meaning("{time}s", "time from arrival to completion of a job")
                .bounds(Some(0.0), None)
                .rate("throughput", "jobs per {time}", "jobs completed"),
            KindInfo::new("wip", "wip_mean", Aggregate::Level, Report::Total, vec!["system".into()])
                .meaning("jobs", "jobs in the system")
                .bounds(Some(0.0), None),
            KindInfo::new("busy_fraction", "utilization", Aggregate::Level, Report::PerSubject, stations())
                .meaning("fraction", "fraction of the station's machines busy")
                .bounds(Some(0.0), Some(1.0)),
            // Bounds that exclude 0, a total over subjects, no meta at all.
            KindInfo::new("temperature", "temperature_mean", Aggregate::Level, Report::Both, stations())
                .meaning("kelvin", "oven temperature")
                .bounds(Some(300.0), Some(500.0)),
            kind("starts", Aggregate::Rate, Report::Total, &["mill"]),
        ])
    }

    #[test]
    fn kpi_declares_exactly_the_metrics_it_produces() {
        let cat = described();
        let records = [rec(1.0, 0, 0, 1.0), rec(2.0, 1, 1, 3.0), rec(2.5, 4, 0, 400.0), rec(3.0, 5, 0, 1.0)];
        let produced = run::<Kpi>("{}", &cat, window(0.0, 4.0), &records).unwrap();
        let kpi = Kpi::new(&Config::new("{}"), &Host::detached(0)).unwrap();
        let declared = kpi.declare(&cat, window(0.0, 4.0)).unwrap();
        crate::testing::assert_declares_exactly(&declared, &produced);
        let patterns: Vec<&str> = declared.iter().map(|d| d.pattern.as_str()).collect();
        assert_eq!(
            patterns,
            [
                "loss_fraction",
                "cycle_time_mean.widget",
                "throughput.widget",
                "cycle_time_mean.gadget",
                "throughput.gadget",
                "cycle_time_mean",
                "throughput",
                "wip_mean",
                "utilization.mill",
                "utilization.lathe",
                "temperature_mean.mill",
                "temperature_mean.lathe",
                "temperature_mean",
                "starts"
            ]
        );
    }

    #[test]
    fn declarations_carry_units_meanings_and_bounds() {
        let kpi = Kpi::new(&Config::new("{}"), &Host::detached(0)).unwrap();
        let declared = kpi.declare(&described(), window(0.0, 4.0)).unwrap();
        let get = |p: &str| declared.iter().find(|d| d.pattern == p).unwrap();
        let d = get("cycle_time_mean");
        assert_eq!(d.unit, "{time}s");
        assert_eq!(
            d.description,
            "time from arrival to completion of a job, averaged over the measurement window, pooled over widget, \
             gadget"
        );
        assert_eq!((d.lower, d.upper), (Some(0.0), None));
        let d = get("throughput.gadget");
        assert_eq!(d.unit, "jobs per {time}");
        assert_eq!(d.description, "jobs completed per {time} over the measurement window, of `gadget`");
        assert_eq!((d.lower, d.upper), (Some(0.0), None));
        let d = get("utilization.mill");
        assert_eq!((d.unit.as_str(), d.lower, d.upper), ("fraction", Some(0.0), Some(1.0)));
        assert!(
            d.description.starts_with("time-average of fraction of the station's machines busy"),
            "{d:?}"
        );
        assert_eq!((get("loss_fraction").lower, get("loss_fraction").upper), (Some(0.0), Some(1.0)));
        // A level is 0 before its first record, so 0 is within its time average's bounds; a total
        // of levels adds the subjects' bounds.
        let d = get("temperature_mean.lathe");
        assert_eq!((d.lower, d.upper), (Some(0.0), Some(500.0)));
        let d = get("temperature_mean");
        assert_eq!((d.lower, d.upper), (Some(0.0), Some(1000.0)));
        assert!(d.description.ends_with(", summed over mill, lathe"), "{d:?}");
        // Without meta: the kind's name, a rate per time unit, never negative.
        let d = get("starts");
        assert_eq!(d.unit, "per {time}");
        assert_eq!(d.description, "`starts` records per {time} over the measurement window");
        assert_eq!((d.lower, d.upper), (Some(0.0), None));
    }

    // ---- The level time average against brute-force integration. ----

    /// ∫ level dt over [w, h] / (h - w), computed independently of the collector: each constant
    /// piece [t_i, t_{i+1}) contributes its value times its overlap with the window; the last
    /// piece lasts to +∞.
    fn brute_force_average(path: &[(f64, f64)], w: f64, h: f64) -> f64 {
        let mut area = 0.0;
        for (i, &(t, v)) in path.iter().enumerate() {
            let next = path.get(i + 1).map_or(f64::INFINITY, |p| p.0);
            let overlap = (next.min(h) - t.max(w)).max(0.0);
            area += v * overlap;
        }
        area / (h - w)
    }

    proptest! {
        #[test]
        fn level_average_matches_brute_force_integration(
            steps in proptest::collection::vec((0.0f64..10.0, 0.0f64..100.0, 0u8..4), 0..60),
            warmup in 0.0f64..50.0,
            length in 0.01f64..200.0,
            split in 0usize..60,
        ) {
            // Non-negative levels (queue lengths, busy fractions). Shape 0: a change at the same
            // instant as the previous one; 1: an integer level (as queue lengths are); else any.
            let mut t = 0.0;
            let path: Vec<(f64, f64)> = steps
                .iter()
                .map(|&(dt, v, shape)| {
                    t += if shape == 0 { 0.0 } else { dt };
                    (t, if shape == 1 { v.floor() } else { v })
                })
                .collect();
            let horizon = warmup + length;
            let cat = catalogue(vec![kind("q", Aggregate::Level, Report::Total, &["x"])]);
            let records: Vec<Record> = path.iter().map(|&(t, v)| rec(t, 0, 0, v)).collect();
            let mut c = Kpi::new(&Config::new("{}"), &Host::detached(0)).unwrap();
            c.start(&cat, window(warmup, horizon)).unwrap();
            let (a, b) = records.split_at(split.min(records.len()));
            c.batch(a).unwrap();
            c.batch(b).unwrap();
            let mut out = crate::testing::Recorder::default();
            c.finish(&mut out).unwrap();
            let got = out.metrics[0].1.unwrap();
            let want = brute_force_average(&path, warmup, horizon);
            prop_assert!(
                (got - want).abs() <= 1e-9 * want.abs(),
                "kpi {got} vs brute force {want} (relative error {})",
                ((got - want) / want).abs()
            );
        }
    }
}
