//! The `tardiness` collector: due-date performance of completed jobs.
//!
//! A model with due dates emits, per completed job that has one, a [`Aggregate::Sample`] record
//! of the kind named [`LATENESS`] whose value is the job's lateness `L = completion − due date`
//! (negative when early). Over the records inside the window `[warmup, horizon]`, pooled over all
//! subjects (products):
//!
//! - `tardiness_mean`: the mean tardiness, `mean(max(0, L))`;
//! - `lateness_max`: the largest lateness (negative if every job was early);
//! - `tardy_fraction`: the fraction of jobs with `L > 0` (on time is not tardy).
//!
//! All three are undefined when no job completed inside the window.

use xinzhi_plugin::{
    Aggregate, Catalogue, Collector, Component, Config, Host, MetricDecl, Output, PluginError, Record, Window,
};

use crate::common::{
    check_record, check_subjects, check_window, no_parameters, unknown_kind, unknown_subject,
};

/// Name of the record kind this collector reads.
const LATENESS: &str = "lateness";

/// Due-date performance: `tardiness_mean`, `lateness_max` and `tardy_fraction` over the jobs
/// completed inside the window (see the module docs).
#[derive(Debug, Default)]
pub struct Tardiness {
    catalogue: Catalogue,
    /// Index of the `lateness` kind in the catalogue.
    lateness: u32,
    warmup: f64,
    horizon: f64,
    /// Time of the latest record, to check the time order.
    last_time: f64,
    /// Number of in-window lateness observations.
    count: u64,
    /// Sum of their tardiness `max(0, L)`.
    tardiness_sum: f64,
    /// Their largest lateness.
    lateness_max: f64,
    /// How many had `L > 0`.
    tardy: u64,
}

impl Component for Tardiness {
    const NAME: &'static str = "tardiness";
    const DESCRIPTION: &'static str =
        "due-date performance of completed jobs: tardiness_mean, lateness_max, tardy_fraction";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        no_parameters(config)?;
        Ok(Tardiness::default())
    }
}

impl Collector for Tardiness {
    /// The three metrics, in the `lateness` kind's unit; none when the catalogue has no
    /// `lateness` sample kind (then `start` refuses to run).
    fn declare(&self, catalogue: &Catalogue, _window: Window) -> Option<Vec<MetricDecl>> {
        let Some((_, kind)) = catalogue.kind(LATENESS).filter(|(_, k)| k.aggregate == Aggregate::Sample)
        else {
            return Some(Vec::new());
        };
        let unit = if kind.unit.is_empty() { "{time}s" } else { kind.unit.as_str() };
        let jobs = "the jobs completed in the measurement window";
        Some(vec![
            MetricDecl::new(
                "lateness_max",
                unit,
                format!("largest lateness (completion minus due date) of {jobs}; negative if all were early"),
            ),
            MetricDecl::new(
                "tardiness_mean",
                unit,
                format!("mean tardiness, max(0, completion minus due date), of {jobs}"),
            )
            .bounds(Some(0.0), None),
            MetricDecl::new("tardy_fraction", "fraction", format!("fraction of {jobs} that were late"))
                .bounds(Some(0.0), Some(1.0)),
        ])
    }

    fn start(&mut self, catalogue: &Catalogue, window: Window) -> Result<(), PluginError> {
        check_window(window)?;
        check_subjects(catalogue)?;
        let Some((index, kind)) = catalogue.kind(LATENESS) else {
            return Err(PluginError::invalid_input(
                "tardiness needs due dates: give the sources a `due` distribution (the model emits no \
                 `lateness` records)",
            ));
        };
        if kind.aggregate != Aggregate::Sample {
            return Err(PluginError::invalid_input(format!(
                "record kind `{LATENESS}` must be a sample kind (one record per job), found {:?}",
                kind.aggregate
            )));
        }
        *self = Tardiness {
            catalogue: catalogue.clone(),
            lateness: index,
            warmup: window.warmup,
            horizon: window.horizon,
            last_time: f64::NEG_INFINITY,
            lateness_max: f64::NEG_INFINITY,
            ..Tardiness::default()
        };
        Ok(())
    }

    fn batch(&mut self, records: &[Record]) -> Result<(), PluginError> {
        let kinds = &self.catalogue.kinds;
        for r in records {
            check_record(r, &mut self.last_time)?;
            // Every record is checked, not only lateness ones: the same stream is valid or
            // invalid whichever collectors read it.
            let Some(kind) = kinds.get(r.kind as usize) else {
                return Err(unknown_kind(r, kinds.len()));
            };
            if r.subject as usize >= kind.subjects.len() {
                return Err(unknown_subject(r, kind));
            }
            if r.kind == self.lateness && r.time >= self.warmup && r.time <= self.horizon {
                let lateness = r.value;
                self.count += 1;
                self.tardiness_sum += lateness.max(0.0);
                self.lateness_max = self.lateness_max.max(lateness);
                self.tardy += u64::from(lateness > 0.0);
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Output) -> Result<(), PluginError> {
        // Pushed in name order, as the kpi collector does.
        let names = ["lateness_max", "tardiness_mean", "tardy_fraction"];
        if self.count == 0 {
            for name in names {
                out.undefined(name);
            }
            return Ok(());
        }
        let n = self.count as f64;
        let values = [self.lateness_max, self.tardiness_sum / n, self.tardy as f64 / n];
        if let Some((name, v)) = names.iter().zip(values).find(|(_, v)| !v.is_finite()) {
            return Err(PluginError::failed(format!(
                "metric `{name}` is {v}: the lateness values are too large to aggregate"
            )));
        }
        for (name, value) in names.into_iter().zip(values) {
            out.metric(name, value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use xinzhi_plugin::{Report, Status};

    use super::*;
    use crate::testing::{catalogue, kind, m, rec, run, undef, window};

    /// A factory-like catalogue: cycle times (kind 0) and lateness (kind 1) of two products.
    fn factory() -> Catalogue {
        catalogue(vec![
            kind("cycle_time", Aggregate::Sample, Report::Both, &["widget", "gadget"]),
            kind("lateness", Aggregate::Sample, Report::Both, &["widget", "gadget"]),
        ])
    }

    #[test]
    fn hand_worked_example_ignores_records_outside_the_window() {
        // Window [10,100]. Lateness: 50 at t=5 (before the warmup: ignored), then -3, 4, 0, 8
        // inside (the 0 at the horizon counts, and is on time, not tardy), 99 at t=120 (after
        // the horizon: ignored). Tardiness 0, 4, 0, 8 => mean 3; max lateness 8; tardy 2 of 4.
        let records = [
            rec(5.0, 1, 0, 50.0),
            rec(12.0, 0, 0, 7.0),
            rec(20.0, 1, 0, -3.0),
            rec(30.0, 1, 1, 4.0),
            rec(50.0, 1, 1, 8.0),
            rec(100.0, 1, 0, 0.0),
            rec(120.0, 1, 0, 99.0),
        ];
        let got = run::<Tardiness>("{}", &factory(), window(10.0, 100.0), &records).unwrap();
        assert_eq!(
            got.metrics,
            vec![m("lateness_max", 8.0), m("tardiness_mean", 3.0), m("tardy_fraction", 0.5)]
        );
        assert!(got.points.is_empty());
    }

    #[test]
    fn tardiness_declares_exactly_the_metrics_it_produces() {
        let mut cat = factory();
        cat.kinds[1] = cat.kinds[1].clone().meaning("{time}s", "completion time minus due date");
        let records = [rec(12.0, 1, 0, 3.0)];
        let produced = run::<Tardiness>("{}", &cat, window(10.0, 20.0), &records).unwrap();
        let c = Tardiness::new(&Config::new("{}"), &Host::detached(0)).unwrap();
        let declared = c.declare(&cat, window(10.0, 20.0)).unwrap();
        crate::testing::assert_declares_exactly(&declared, &produced);
        let bounds: Vec<_> = declared.iter().map(|d| (d.unit.as_str(), d.lower, d.upper)).collect();
        assert_eq!(
            bounds,
            [("{time}s", None, None), ("{time}s", Some(0.0), None), ("fraction", Some(0.0), Some(1.0))]
        );
        // Undefined metrics are declared all the same.
        let produced = run::<Tardiness>("{}", &cat, window(10.0, 20.0), &[]).unwrap();
        crate::testing::assert_declares_exactly(&declared, &produced);
        // Without lateness records it produces nothing (and refuses to start).
        let cat = catalogue(vec![kind("cycle_time", Aggregate::Sample, Report::Both, &["widget"])]);
        assert_eq!(c.declare(&cat, window(0.0, 1.0)), Some(Vec::new()));
    }

    #[test]
    fn all_early_jobs_have_zero_tardiness_and_negative_max_lateness() {
        let records = [rec(1.0, 1, 0, -5.0), rec(2.0, 1, 1, -2.0), rec(3.0, 1, 0, -7.0)];
        let got = run::<Tardiness>("", &factory(), window(0.0, 10.0), &records).unwrap();
        assert_eq!(
            got.metrics,
            vec![m("lateness_max", -2.0), m("tardiness_mean", 0.0), m("tardy_fraction", 0.0)]
        );
    }

    #[test]
    fn no_job_in_the_window_leaves_every_metric_undefined() {
        // Only a record before the warmup and cycle times, which are not lateness.
        let records = [rec(1.0, 1, 0, 5.0), rec(12.0, 0, 0, 3.0)];
        let got = run::<Tardiness>("{}", &factory(), window(10.0, 20.0), &records).unwrap();
        assert_eq!(
            got.metrics,
            vec![undef("lateness_max"), undef("tardiness_mean"), undef("tardy_fraction")]
        );
    }

    #[test]
    fn a_model_without_due_dates_is_refused_at_start() {
        let cat = catalogue(vec![kind("cycle_time", Aggregate::Sample, Report::Both, &["widget"])]);
        let e = run::<Tardiness>("{}", &cat, window(0.0, 10.0), &[]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert!(
            e.message.starts_with("tardiness needs due dates: give the sources a `due` distribution"),
            "{e}"
        );
    }

    #[test]
    fn a_lateness_kind_that_is_not_a_sample_is_refused() {
        let cat = catalogue(vec![kind("lateness", Aggregate::Level, Report::Total, &["widget"])]);
        let e = run::<Tardiness>("{}", &cat, window(0.0, 10.0), &[]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert_eq!(
            e.message,
            "record kind `lateness` must be a sample kind (one record per job), found Level"
        );
    }

    #[test]
    fn any_parameter_is_an_error_naming_it() {
        let e = Tardiness::new(&Config::new(r#"{"due": 3}"#), &Host::detached(0)).unwrap_err();
        assert_eq!(e.status, Status::INVALID_CONFIG);
        assert!(e.message.contains("unknown field `due`"), "{e}");
    }

    #[test]
    fn malformed_records_are_errors() {
        let w = window(0.0, 10.0);
        let e = run::<Tardiness>("{}", &factory(), w, &[rec(1.0, 1, 2, 1.0)]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert_eq!(
            e.message,
            "record of kind 1 (`lateness`) has unknown subject 2 (the kind has 2 subjects)"
        );
        let e = run::<Tardiness>("{}", &factory(), w, &[rec(1.0, 2, 0, 1.0)]).unwrap_err();
        assert_eq!(e.message, "record of unknown kind 2 (the catalogue has 2 kinds)");
        let e = run::<Tardiness>("{}", &factory(), w, &[rec(1.0, 1, 0, f64::NEG_INFINITY)]).unwrap_err();
        assert!(e.message.contains("must be finite"), "{e}");
    }

    #[test]
    fn start_resets_the_previous_replication() {
        let mut c = Tardiness::new(&Config::new("{}"), &Host::detached(0)).unwrap();
        c.start(&factory(), window(0.0, 10.0)).unwrap();
        c.batch(&[rec(1.0, 1, 0, 100.0)]).unwrap();
        c.start(&factory(), window(0.0, 10.0)).unwrap();
        c.batch(&[rec(0.5, 1, 0, -1.0)]).unwrap();
        let mut out = crate::testing::Recorder::default();
        c.finish(&mut out).unwrap();
        assert_eq!(
            out.metrics,
            vec![m("lateness_max", -1.0), m("tardiness_mean", 0.0), m("tardy_fraction", 0.0)]
        );
    }
}
