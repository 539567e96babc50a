//! Test support shared by the collectors' tests: an [`Output`] that records what it is given,
//! and short constructors for catalogues and records.

use xinzhi_plugin::{
    Aggregate, Catalogue, Collector, Config, Host, KindInfo, MetricDecl, Output, PluginError, Record, Report,
    Window,
};

/// Everything a collector pushed, in push order. `None` is an undefined metric.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Recorder {
    pub(crate) metrics: Vec<(String, Option<f64>)>,
    pub(crate) points: Vec<(String, f64, f64)>,
}

impl Output for Recorder {
    fn metric(&mut self, name: &str, value: f64) {
        self.metrics.push((name.to_owned(), Some(value)));
    }

    fn undefined(&mut self, name: &str) {
        self.metrics.push((name.to_owned(), None));
    }

    fn point(&mut self, series: &str, time: f64, value: f64) {
        self.points.push((series.to_owned(), time, value));
    }
}

impl Recorder {
    /// Whether `self` and `other` hold the same names in the same order with bit-identical
    /// numbers (`==` on `f64` would equate 0.0 and -0.0).
    pub(crate) fn bit_identical(&self, other: &Recorder) -> bool {
        let bits = |v: &Option<f64>| v.map(f64::to_bits);
        self.metrics.len() == other.metrics.len()
            && self.points.len() == other.points.len()
            && self.metrics.iter().zip(&other.metrics).all(|(a, b)| a.0 == b.0 && bits(&a.1) == bits(&b.1))
            && self
                .points
                .iter()
                .zip(&other.points)
                .all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits() && a.2.to_bits() == b.2.to_bits())
    }
}

/// A kind whose metric is named like the kind, without a rate metric.
pub(crate) fn kind(name: &str, aggregate: Aggregate, report: Report, subjects: &[&str]) -> KindInfo {
    KindInfo::new(name, name, aggregate, report, subjects.iter().map(|s| s.to_string()).collect())
}

pub(crate) fn catalogue(kinds: Vec<KindInfo>) -> Catalogue {
    Catalogue { kinds }
}

pub(crate) fn window(warmup: f64, horizon: f64) -> Window {
    Window { warmup, horizon }
}

pub(crate) fn rec(time: f64, kind: u32, subject: u32, value: f64) -> Record {
    Record { time, kind, subject, value }
}

/// An expected defined metric.
pub(crate) fn m(name: &str, value: f64) -> (String, Option<f64>) {
    (name.to_owned(), Some(value))
}

/// An expected undefined metric.
pub(crate) fn undef(name: &str) -> (String, Option<f64>) {
    (name.to_owned(), None)
}

/// Builds `C` from `config` and feeds it `records` in two batches (so that state must carry
/// across batches), returning what it pushed.
pub(crate) fn run<C: Collector>(
    config: &str,
    cat: &Catalogue,
    w: Window,
    records: &[Record],
) -> Result<Recorder, PluginError> {
    let mut c = C::new(&Config::new(config), &Host::detached(0))?;
    c.start(cat, w)?;
    let (a, b) = records.split_at(records.len() / 2);
    c.batch(a)?;
    c.batch(b)?;
    let mut out = Recorder::default();
    c.finish(&mut out)?;
    Ok(out)
}

/// Whether metric `name` is `pattern` or a member of the family `base.*` (the host's rule).
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix(".*") {
        Some(base) => name.strip_prefix(base).is_some_and(|rest| rest.starts_with('.') && rest.len() > 1),
        None => pattern == name,
    }
}

/// Every metric in `produced` (defined or not) matches one of `declared`, and every
/// declaration matches some produced metric: the declarations say exactly what is produced.
pub(crate) fn assert_declares_exactly(declared: &[MetricDecl], produced: &Recorder) {
    assert!(!produced.metrics.is_empty(), "nothing produced to compare with");
    for (name, _) in &produced.metrics {
        assert!(
            declared.iter().any(|d| matches(&d.pattern, name)),
            "`{name}` is not declared: {declared:#?}"
        );
    }
    for d in declared {
        assert!(
            produced.metrics.iter().any(|(name, _)| matches(&d.pattern, name)),
            "`{}` is declared but never produced: {produced:?}",
            d.pattern
        );
    }
}
