//! The `timeseries` collector: chosen kpi metrics sampled every `period` over the window.
//!
//! Sample times are `t_k = warmup + k·period` for `k = 1, 2, …` while `t_k ≤ horizon` (up to a
//! rounding tolerance; a last time that overshoots the horizon by rounding is the horizon). The
//! point at `t_k` summarises period `k`, `(t_{k−1}, t_k]`, exactly as the `kpi` collector
//! summarises the whole window:
//!
//! - a `Level` metric: the time average of the level over the period (levels carry over from
//!   earlier periods, and from before the warmup);
//! - a `Sample` metric: the mean of the observations made in the period; no point when there
//!   were none;
//! - a `Rate` metric, or the rate metric of a sample kind: the number of occurrences in the
//!   period per time unit.
//!
//! Totals over subjects are formed as in `kpi`: levels and rates add up, samples pool. The first
//! period also includes its left end, the warmup itself, because `kpi` counts an observation made
//! exactly at the warmup: so, when the window is a whole number of periods, the periods' counts
//! add up to kpi's. Memory is proportional to the number of points (they are emitted at
//! [`Collector::finish`]), never to the number of records.

use xinzhi_plugin::{
    Aggregate, Catalogue, Collector, Component, Config, Host, MetricDecl, Output, PluginError, Record, Window,
};

use crate::common::{
    check_record, check_subjects, check_window, subject_metric, unknown_kind, unknown_subject,
};

/// Most points one replication may buffer (samples × metrics): 80 MB of values. More is almost
/// certainly a `period` typo, better refused than an allocation failure.
const MAX_POINTS: u64 = 10_000_000;

/// Marks a point that is not emitted (a sample mean over a period without observations). Only
/// this marker can be NaN: records are finite and any other non-finite value is an error.
const SKIP: f64 = f64::NAN;

/// What a series measures of its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quantity {
    /// The kind's own aggregate (time average, mean or rate).
    Own,
    /// The observations per time unit of a sample kind (its `rate_metric`).
    Rate,
}

/// One sampled metric, resolved against the catalogue.
#[derive(Clone, Debug)]
struct Series {
    /// The kpi metric name, e.g. `queue_mean.mill`.
    name: String,
    /// Index of the kind.
    kind: usize,
    /// Index of the subject; `None` for the total over all subjects.
    subject: Option<usize>,
    quantity: Quantity,
}

/// Streaming accumulator of one (kind, subject) pair over the current period.
#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    /// Current level (for `Level`).
    level: f64,
    /// Time up to which the level is integrated (at least the start of the current period).
    since: f64,
    /// Integral of the level over the period so far (for `Level`); sum of values (for `Sample`).
    sum: f64,
    /// Number of observations in the period (for `Sample` and `Rate`).
    count: u64,
}

#[derive(Clone, Copy, Debug)]
struct KindSlot {
    aggregate: Aggregate,
    /// Index of the first subject's accumulator in `accs`.
    offset: usize,
    subjects: usize,
    /// Whether a series reads this kind: other kinds' records are only checked.
    tracked: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    period: f64,
    #[serde(default)]
    metrics: Option<Vec<String>>,
}

/// Periodic samples of chosen kpi metrics, as time series points (see the module docs).
#[derive(Debug)]
pub struct Timeseries {
    /// Time between samples [time unit].
    period: f64,
    /// The metric names asked for; `None`: every level metric.
    requested: Option<Vec<String>>,
    series: Vec<Series>,
    kinds: Vec<KindSlot>,
    accs: Vec<Acc>,
    /// Names of the kinds, for messages.
    catalogue: Catalogue,
    warmup: f64,
    horizon: f64,
    /// Number of sample times in the window.
    samples: u64,
    /// The period being accumulated (1-based); `samples + 1` once every period is closed.
    next: u64,
    /// Its end `t_next` and start `t_{next−1}`.
    next_time: f64,
    prev_time: f64,
    /// Time of the latest record, to check the time order.
    last_time: f64,
    /// One value per series per closed period, period after period; [`SKIP`] for no point.
    values: Vec<f64>,
}

impl Component for Timeseries {
    const NAME: &'static str = "timeseries";
    const DESCRIPTION: &'static str =
        "chosen kpi metrics sampled every `period` over the window, as time series";
    const PARAMETERS: &'static str = "period: time between two samples, > 0 [time unit] (number, required)\n\
         metrics: kpi metric names to sample, e.g. \"queue_mean.mill\", \"throughput\" (array of strings, \
         default: every level metric)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let Params { period, metrics } = config.parse()?;
        if !(period.is_finite() && period > 0.0) {
            return Err(PluginError::invalid_config(format!(
                "`period` must be a finite number > 0 (time between samples), found {period}"
            )));
        }
        if let Some(names) = &metrics {
            if names.is_empty() {
                return Err(PluginError::invalid_config(
                    "`metrics` is empty: list metric names, or omit it to sample every level metric",
                ));
            }
            if let Some((i, name)) = names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)) {
                return Err(PluginError::invalid_config(format!(
                    "`metrics` lists `{name}` twice (entries {} and {})",
                    names.iter().position(|n| n == name).unwrap_or(0) + 1,
                    i + 1
                )));
            }
        }
        Ok(Timeseries {
            period,
            requested: metrics,
            series: Vec::new(),
            kinds: Vec::new(),
            accs: Vec::new(),
            catalogue: Catalogue::default(),
            warmup: 0.0,
            horizon: 0.0,
            samples: 0,
            next: 1,
            next_time: 0.0,
            prev_time: 0.0,
            last_time: f64::NEG_INFINITY,
            values: Vec::new(),
        })
    }
}

/// Every metric the kpi collector would report for `catalogue`, sorted by name (kpi's order).
fn available(catalogue: &Catalogue) -> Vec<Series> {
    let mut all = Vec::new();
    for (k, kind) in catalogue.kinds.iter().enumerate() {
        let rate = kind.rate_metric.as_ref().filter(|_| kind.aggregate == Aggregate::Sample);
        let mut add = |name: String, subject, quantity| all.push(Series { name, kind: k, subject, quantity });
        if kind.report.per_subject() {
            for (s, subject) in kind.subjects.iter().enumerate() {
                add(subject_metric(&kind.metric, subject), Some(s), Quantity::Own);
                if let Some(r) = rate {
                    add(subject_metric(r, subject), Some(s), Quantity::Rate);
                }
            }
        }
        if kind.report.total() {
            add(kind.metric.clone(), None, Quantity::Own);
            if let Some(r) = rate {
                add(r.clone(), None, Quantity::Rate);
            }
        }
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

impl Timeseries {
    /// Time of sample `k`: computed from `k`, never accumulated, so that rounding does not
    /// drift; a last sample that overshoots the horizon by rounding is at the horizon.
    fn time_of(&self, k: u64) -> f64 {
        (self.warmup + k as f64 * self.period).min(self.horizon)
    }

    /// Number of sample times `warmup + k·period ≤ horizon`, within a rounding tolerance
    /// (`0.1 + 0.2` style errors of `k·period`, relative to the period and to the times).
    fn sample_count(&self) -> Result<u64, PluginError> {
        let (w, h, p) = (self.warmup, self.horizon, self.period);
        let too_many = |n: f64| {
            PluginError::invalid_config(format!(
                "`period` {p} gives about {n:.0} samples of {} metric(s) over the window [{w}, {h}]: \
                 more than {MAX_POINTS} points",
                self.series.len()
            ))
        };
        let ratio = (h - w) / p;
        let per_sample = self.series.len().max(1) as f64;
        if ratio * per_sample > MAX_POINTS as f64 + per_sample {
            return Err(too_many(ratio));
        }
        let tolerance = 1e-9 * p + 8.0 * f64::EPSILON * h.abs().max(w.abs());
        let fits = |k: u64| w + k as f64 * p <= h + tolerance;
        // `ratio` is small here, so the conversion is exact; the loops fix its rounding.
        let mut k = ratio.floor() as u64;
        while fits(k + 1) {
            k += 1;
        }
        while k > 0 && !fits(k) {
            k -= 1;
        }
        if k == 0 {
            return Err(PluginError::invalid_config(format!(
                "`period` {p} is longer than the measurement window [{w}, {h}]: no sample would be taken"
            )));
        }
        if k.saturating_mul(self.series.len() as u64) > MAX_POINTS {
            return Err(too_many(k as f64));
        }
        Ok(k)
    }

    /// Moves a level's integral forward to `t` (never past the current period's end).
    fn integrate(acc: &mut Acc, t: f64) {
        if t > acc.since {
            acc.sum += acc.level * (t - acc.since);
            acc.since = t;
        }
    }

    /// Closes period `next` at `next_time`: stores one value per series and restarts the
    /// accumulators for the next period.
    fn close_period(&mut self) -> Result<(), PluginError> {
        let (end, span) = (self.next_time, self.next_time - self.prev_time);
        for slot in self.kinds.iter().filter(|s| s.tracked) {
            let accs = &mut self.accs[slot.offset..slot.offset + slot.subjects];
            if slot.aggregate == Aggregate::Level {
                for acc in accs.iter_mut() {
                    Self::integrate(acc, end);
                }
            }
        }
        for s in &self.series {
            let slot = self.kinds[s.kind];
            let accs = &self.accs[slot.offset..slot.offset + slot.subjects];
            // Totals as in kpi: a fold from zero in subject order.
            let (sum, count) = match s.subject {
                Some(i) => (accs[i].sum, accs[i].count),
                None => accs.iter().fold((0.0, 0), |(sum, count), a| (sum + a.sum, count + a.count)),
            };
            // `None`: no point (a mean over no observations).
            let value = match (slot.aggregate, s.quantity) {
                (Aggregate::Level, _) => Some(sum / span),
                (Aggregate::Sample, Quantity::Own) => (count > 0).then(|| sum / count as f64),
                (Aggregate::Sample, Quantity::Rate) | (Aggregate::Rate, _) => Some(count as f64 / span),
            };
            match value {
                Some(v) if !v.is_finite() => {
                    return Err(PluginError::failed(format!(
                        "series `{}` is {v} at time {end}: the record values are too large to aggregate",
                        s.name
                    )));
                }
                Some(v) => self.values.push(v),
                None => self.values.push(SKIP),
            }
        }
        for slot in self.kinds.iter().filter(|s| s.tracked) {
            for acc in &mut self.accs[slot.offset..slot.offset + slot.subjects] {
                acc.sum = 0.0;
                acc.count = 0;
            }
        }
        self.prev_time = end;
        self.next += 1;
        self.next_time = self.time_of(self.next);
        Ok(())
    }
}

impl Collector for Timeseries {
    /// No metrics: only time series points, each named like the `kpi` metric it samples (whose
    /// declaration gives its unit and meaning).
    fn declare(&self, _catalogue: &Catalogue, _window: Window) -> Option<Vec<MetricDecl>> {
        Some(Vec::new())
    }

    fn start(&mut self, catalogue: &Catalogue, window: Window) -> Result<(), PluginError> {
        check_window(window)?;
        check_subjects(catalogue)?;
        let all = available(catalogue);
        self.series = match &self.requested {
            None => {
                all.into_iter().filter(|s| catalogue.kinds[s.kind].aggregate == Aggregate::Level).collect()
            }
            Some(names) => {
                let mut series = Vec::with_capacity(names.len());
                for name in names {
                    let Some(s) = all.iter().find(|s| &s.name == name) else {
                        let valid: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
                        return Err(PluginError::invalid_config(format!(
                            "`metrics`: unknown metric `{name}` (valid names: {})",
                            if valid.is_empty() {
                                "none: the model reports no metric".to_owned()
                            } else {
                                valid.join(", ")
                            }
                        )));
                    };
                    series.push(s.clone());
                }
                series
            }
        };
        self.warmup = window.warmup;
        self.horizon = window.horizon;
        self.samples = self.sample_count()?;
        self.catalogue = catalogue.clone();
        self.kinds.clear();
        self.accs.clear();
        for (k, kind) in catalogue.kinds.iter().enumerate() {
            self.kinds.push(KindSlot {
                aggregate: kind.aggregate,
                offset: self.accs.len(),
                subjects: kind.subjects.len(),
                tracked: self.series.iter().any(|s| s.kind == k),
            });
            self.accs.extend(std::iter::repeat_n(
                Acc { since: window.warmup, ..Acc::default() },
                kind.subjects.len(),
            ));
        }
        self.next = 1;
        self.prev_time = window.warmup;
        self.next_time = self.time_of(1);
        self.last_time = f64::NEG_INFINITY;
        self.values.clear();
        Ok(())
    }

    fn batch(&mut self, records: &[Record]) -> Result<(), PluginError> {
        for r in records {
            check_record(r, &mut self.last_time)?;
            let Some(&slot) = self.kinds.get(r.kind as usize) else {
                return Err(unknown_kind(r, self.kinds.len()));
            };
            if r.subject as usize >= slot.subjects {
                return Err(unknown_subject(r, &self.catalogue.kinds[r.kind as usize]));
            }
            // A record at exactly `t_k` still belongs to period k: close only the periods that
            // end strictly before it.
            while self.next <= self.samples && self.next_time < r.time {
                self.close_period()?;
            }
            // Past the last sample time, nothing is reported any more.
            if !slot.tracked || self.next > self.samples {
                continue;
            }
            let acc = &mut self.accs[slot.offset + r.subject as usize];
            match slot.aggregate {
                // Before the warmup `since` stays at the warmup: the level is only tracked.
                Aggregate::Level => {
                    Self::integrate(acc, r.time);
                    acc.level = r.value;
                }
                Aggregate::Sample => {
                    if r.time >= self.warmup {
                        acc.sum += r.value;
                        acc.count += 1;
                    }
                }
                Aggregate::Rate => {
                    if r.time >= self.warmup {
                        acc.count += 1;
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Output) -> Result<(), PluginError> {
        // Periods after the last record still get their points: levels carry over.
        while self.next <= self.samples {
            self.close_period()?;
        }
        if self.series.is_empty() {
            return Ok(());
        }
        for (k, values) in (1..).zip(self.values.chunks(self.series.len())) {
            let time = self.time_of(k);
            for (s, &value) in self.series.iter().zip(values) {
                if !value.is_nan() {
                    out.point(&s.name, time, value);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use xinzhi_plugin::{Report, Status};

    use super::*;
    use crate::Kpi;
    use crate::testing::{Recorder, catalogue, kind, rec, run, window};

    /// q: a level of station m (kind 0); ct: samples of products p, q with rate metric tp
    /// (kind 1); arr: occurrences (kind 2).
    fn cat() -> Catalogue {
        let mut ct = kind("ct", Aggregate::Sample, Report::Both, &["p", "q"]);
        ct.rate_metric = Some("tp".into());
        catalogue(vec![
            kind("q", Aggregate::Level, Report::PerSubject, &["m"]),
            ct,
            kind("arr", Aggregate::Rate, Report::Total, &["x"]),
        ])
    }

    fn p(series: &str, time: f64, value: f64) -> (String, f64, f64) {
        (series.to_owned(), time, value)
    }

    fn points(config: &str, c: &Catalogue, w: Window, records: &[Record]) -> Vec<(String, f64, f64)> {
        let out = run::<Timeseries>(config, c, w, records).unwrap();
        assert!(out.metrics.is_empty(), "timeseries reports points only");
        out.points
    }

    fn config_error(config: &str) -> PluginError {
        Timeseries::new(&Config::new(config), &Host::detached(0)).unwrap_err()
    }

    #[test]
    fn hand_worked_two_periods_with_mid_period_level_changes() {
        // Window [10,20], period 5: samples at 15 (period [10,15]) and 20 (period (15,20]).
        let records = [
            rec(0.0, 0, 0, 2.0),   // level 2 before the warmup: carried into the window
            rec(8.0, 1, 0, 100.0), // sample before the warmup: ignored
            rec(10.0, 1, 0, 1.0),  // at the warmup: period 1 (as kpi counts it)
            rec(12.0, 0, 0, 4.0),  // level change mid-period 1
            rec(13.0, 2, 0, 1.0),  // one occurrence in period 1
            rec(15.0, 1, 1, 4.0),  // exactly at t1: still period 1
            rec(16.0, 1, 0, 6.0),  // period 2
            rec(17.0, 0, 0, 6.0),  // level change mid-period 2
            rec(20.0, 2, 0, 1.0),  // at the horizon: period 2
            rec(22.0, 1, 0, 50.0), // after the horizon: ignored
        ];
        let config = r#"{"period": 5, "metrics": ["q.m", "ct", "ct.q", "tp", "arr"]}"#;
        let got = points(config, &cat(), window(10.0, 20.0), &records);
        assert_eq!(
            got,
            vec![
                // q.m: 2 on [10,12], 4 on [12,15] => (4 + 12)/5. ct: p 1 and q 4 pooled => 5/2.
                // ct.q: 4. tp: 2 observations/5. arr: 1/5.
                p("q.m", 15.0, 16.0 / 5.0),
                p("ct", 15.0, 5.0 / 2.0),
                p("ct.q", 15.0, 4.0),
                p("tp", 15.0, 2.0 / 5.0),
                p("arr", 15.0, 1.0 / 5.0),
                // q.m: 4 on [15,17], 6 on [17,20] => (8 + 18)/5. ct: p 6 only; ct.q: no
                // observation, no point. tp: 1/5. arr: 1/5.
                p("q.m", 20.0, 26.0 / 5.0),
                p("ct", 20.0, 6.0),
                p("tp", 20.0, 1.0 / 5.0),
                p("arr", 20.0, 1.0 / 5.0),
            ]
        );
        // Two equal periods average to kpi's window value: (3.2 + 5.2)/2 = 42/10.
        let kpi = run::<Kpi>("{}", &cat(), window(10.0, 20.0), &records).unwrap();
        assert!(kpi.metrics.contains(&("q.m".to_owned(), Some(42.0 / 10.0))), "{kpi:?}");
    }

    #[test]
    fn periods_without_records_still_get_their_points() {
        // Window [0,30], period 10. Level 2 from 5, 4 from 25; nothing happens in (10,20].
        let records = [rec(5.0, 0, 0, 2.0), rec(25.0, 0, 0, 4.0)];
        let config = r#"{"period": 10, "metrics": ["q.m", "ct", "arr"]}"#;
        let got = points(config, &cat(), window(0.0, 30.0), &records);
        assert_eq!(
            got,
            vec![
                p("q.m", 10.0, 1.0), // 0 on [0,5), 2 on [5,10]
                p("arr", 10.0, 0.0),
                p("q.m", 20.0, 2.0), // carried over a period without records
                p("arr", 20.0, 0.0),
                p("q.m", 30.0, 3.0), // 2 on (20,25), 4 on [25,30]
                p("arr", 30.0, 0.0),
            ]
        );
        // No record at all: the level is 0 throughout, and still sampled.
        let got = points(r#"{"period": 15, "metrics": ["q.m"]}"#, &cat(), window(0.0, 30.0), &[]);
        assert_eq!(got, vec![p("q.m", 15.0, 0.0), p("q.m", 30.0, 0.0)]);
    }

    #[test]
    fn timeseries_declares_no_metrics_and_produces_none() {
        let config = r#"{"period": 5, "metrics": ["q.m", "tp"]}"#;
        let got = run::<Timeseries>(config, &cat(), window(0.0, 30.0), &[rec(1.0, 0, 0, 2.0)]).unwrap();
        assert!(got.metrics.is_empty() && !got.points.is_empty());
        let c = Timeseries::new(&Config::new(config), &Host::detached(0)).unwrap();
        assert_eq!(c.declare(&cat(), window(0.0, 30.0)), Some(Vec::new()));
    }

    #[test]
    fn by_default_every_level_metric_is_sampled_in_name_order() {
        let named = |name: &str, metric: &str, aggregate, report, subjects: &[&str]| {
            xinzhi_plugin::KindInfo { metric: metric.into(), ..kind(name, aggregate, report, subjects) }
        };
        let c = catalogue(vec![
            named("wip", "wip_mean", Aggregate::Level, Report::Total, &["system"]),
            named("cycle_time", "cycle_time_mean", Aggregate::Sample, Report::Both, &["widget"]),
            named("busy_fraction", "utilization", Aggregate::Level, Report::PerSubject, &["mill", "drill"]),
            named("queue_length", "queue_mean", Aggregate::Level, Report::Both, &["mill"]),
        ]);
        let records = [rec(0.0, 2, 0, 1.0), rec(0.0, 0, 0, 3.0), rec(1.0, 1, 0, 7.0)];
        let got = points(r#"{"period": 2}"#, &c, window(0.0, 2.0), &records);
        assert_eq!(
            got,
            vec![
                p("queue_mean", 2.0, 0.0),
                p("queue_mean.mill", 2.0, 0.0),
                p("utilization.drill", 2.0, 0.0),
                p("utilization.mill", 2.0, 1.0),
                p("wip_mean", 2.0, 3.0),
            ]
        );
    }

    #[test]
    fn an_unknown_metric_name_is_refused_with_the_valid_names() {
        let mut c =
            Timeseries::new(&Config::new(r#"{"period": 1, "metrics": ["ct", "q"]}"#), &Host::detached(0))
                .unwrap();
        let e = c.start(&cat(), window(0.0, 10.0)).unwrap_err();
        assert_eq!(e.status, Status::INVALID_CONFIG);
        // `q` is a kind whose report is per subject: only `q.m` exists.
        assert_eq!(
            e.message,
            "`metrics`: unknown metric `q` (valid names: arr, ct, ct.p, ct.q, q.m, tp, tp.p, tp.q)"
        );
    }

    #[test]
    fn bad_parameters_are_config_errors_naming_the_key() {
        for (config, message) in [
            (r#"{"period": 0}"#, "`period` must be a finite number > 0 (time between samples), found 0"),
            (
                r#"{"period": -2.5}"#,
                "`period` must be a finite number > 0 (time between samples), found -2.5",
            ),
            ("{}", "missing field `period`"),
            (r#"{"period": 1, "perod": 2}"#, "unknown field `perod`, expected `period` or `metrics`"),
            (r#"{"period": "1"}"#, "invalid type: string \"1\", expected f64"),
            (
                r#"{"period": 1, "metrics": []}"#,
                "`metrics` is empty: list metric names, or omit it to sample every level metric",
            ),
            (r#"{"period": 1, "metrics": ["a", "b", "a"]}"#, "`metrics` lists `a` twice (entries 1 and 3)"),
        ] {
            let e = config_error(config);
            assert_eq!(e.status, Status::INVALID_CONFIG, "{config}");
            assert_eq!(e.message, message, "{config}");
        }
    }

    #[test]
    fn a_period_that_gives_no_sample_or_too_many_points_is_refused() {
        let start = |config: &str, w: Window| {
            let mut c = Timeseries::new(&Config::new(config), &Host::detached(0)).unwrap();
            c.start(&cat(), w).unwrap_err()
        };
        let e = start(r#"{"period": 11}"#, window(0.0, 10.0));
        assert_eq!(e.status, Status::INVALID_CONFIG);
        assert_eq!(
            e.message,
            "`period` 11 is longer than the measurement window [0, 10]: no sample would be taken"
        );
        let e = start(r#"{"period": 1e-9, "metrics": ["q.m", "arr"]}"#, window(0.0, 10.0));
        assert_eq!(e.status, Status::INVALID_CONFIG);
        assert!(
            e.message.starts_with("`period` 0.000000001 gives about 10000000000 samples of 2 metric(s)"),
            "{e}"
        );
        // Exactly at the limit is fine: 5e6 samples of 2 metrics.
        let mut c = Timeseries::new(
            &Config::new(r#"{"period": 2e-6, "metrics": ["q.m", "arr"]}"#),
            &Host::detached(0),
        )
        .unwrap();
        c.start(&cat(), window(0.0, 10.0)).unwrap();
        assert_eq!(c.samples, 5_000_000);
    }

    #[test]
    fn sample_times_tolerate_rounding_and_stop_at_the_horizon() {
        // 3 × 0.1 = 0.30000000000000004 > 0.3: still a sample, at the horizon itself.
        let level = [rec(0.0, 0, 0, 1.0)];
        let got = points(r#"{"period": 0.1, "metrics": ["q.m"]}"#, &cat(), window(0.0, 0.3), &level);
        assert_eq!(got, vec![p("q.m", 0.1, 1.0), p("q.m", 0.2, 1.0), p("q.m", 0.3, 1.0)]);
        // A window that is not a whole number of periods: no sample after the last full period,
        // and records in the remainder are accepted and ignored.
        let records = [rec(0.0, 0, 0, 1.0), rec(22.0, 0, 0, 5.0), rec(24.0, 2, 0, 1.0)];
        let got = points(r#"{"period": 10, "metrics": ["q.m", "arr"]}"#, &cat(), window(0.0, 25.0), &records);
        assert_eq!(
            got,
            vec![p("q.m", 10.0, 1.0), p("arr", 10.0, 0.0), p("q.m", 20.0, 1.0), p("arr", 20.0, 0.0)]
        );
    }

    #[test]
    fn malformed_records_are_errors_and_start_resets() {
        let config = r#"{"period": 1, "metrics": ["arr"]}"#;
        let e = run::<Timeseries>(config, &cat(), window(0.0, 2.0), &[rec(1.0, 0, 1, 1.0)]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert_eq!(e.message, "record of kind 0 (`q`) has unknown subject 1 (the kind has 1 subject)");
        let e =
            run::<Timeseries>(config, &cat(), window(0.0, 2.0), &[rec(1.5, 2, 0, 1.0), rec(0.5, 2, 0, 1.0)])
                .unwrap_err();
        assert!(e.message.contains("non-decreasing time"), "{e}");

        let mut c = Timeseries::new(&Config::new(config), &Host::detached(0)).unwrap();
        c.start(&cat(), window(0.0, 2.0)).unwrap();
        c.batch(&[rec(0.5, 2, 0, 1.0), rec(1.5, 2, 0, 1.0)]).unwrap();
        c.start(&cat(), window(0.0, 2.0)).unwrap();
        c.batch(&[rec(1.5, 2, 0, 1.0)]).unwrap();
        let mut out = Recorder::default();
        c.finish(&mut out).unwrap();
        assert_eq!(out.points, vec![p("arr", 1.0, 0.0), p("arr", 2.0, 1.0)]);
    }

    proptest! {
        /// Over a window of whole periods, the points add up to kpi's window values: level
        /// integrals, observation counts and sums (within rounding).
        #[test]
        fn periods_add_up_to_the_kpi_window(
            events in proptest::collection::vec((0.0f64..3.0, 0u8..3, 0.0f64..20.0, 0u32..2), 0..80),
            warmup in 0u32..20,
            periods in 1u32..12,
            period in prop_oneof![Just(0.25), Just(0.5), Just(1.0), Just(2.5)],
        ) {
            let mut t = 0.0;
            let records: Vec<Record> = events
                .iter()
                .map(|&(dt, k, v, s)| {
                    t += dt;
                    // Level: subject m only; samples: p or q; rates: x only.
                    let subject = if k == 1 { s } else { 0 };
                    rec(t, u32::from(k), subject, if k == 0 { v.floor() } else { v })
                })
                .collect();
            let w = window(f64::from(warmup), f64::from(warmup) + f64::from(periods) * period);
            let config = format!(r#"{{"period": {period}, "metrics": ["q.m", "tp", "arr", "ct"]}}"#);
            let series = run::<Timeseries>(&config, &cat(), w, &records).unwrap().points;
            let kpi = run::<Kpi>("{}", &cat(), w, &records).unwrap().metrics;
            let kpi = |name: &str| kpi.iter().find(|m| m.0 == name).unwrap().1;
            let sum = |name: &str| series.iter().filter(|p| p.0 == name).map(|p| p.2).sum::<f64>();
            let n = f64::from(periods);
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
            // Equal periods: the window average is the mean of the period averages.
            prop_assert!(close(sum("q.m") / n, kpi("q.m").unwrap()), "{} vs {:?}", sum("q.m") / n, kpi("q.m"));
            prop_assert!(close(sum("tp") / n, kpi("tp").unwrap()));
            prop_assert!(close(sum("arr") / n, kpi("arr").unwrap()));
            prop_assert_eq!(series.iter().filter(|p| p.0 == "q.m").count(), periods as usize);
            // The sample mean has a point exactly in the periods with observations.
            prop_assert_eq!(kpi("ct").is_some(), series.iter().any(|p| p.0 == "ct"));
        }
    }
}
