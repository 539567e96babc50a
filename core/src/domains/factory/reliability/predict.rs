//! Predictive maintenance: a predictor plugin trained on labelled sensor readings, and the
//! quality of its calls against what the simulator knows would have happened.

use super::super::config::{Feature, PredictiveConfig, Training};
use super::filter::Estimate;
use crate::engine::ModelError;
use crate::plugin::PredictorInstance;
use crate::record::KindId;

/// The record kinds of a predictive station's quality (subject: its index among predictive
/// stations).
#[derive(Clone, Copy, Debug)]
pub struct QualityKinds {
    /// 1 for a correct call, 0 otherwise: the mean is the accuracy.
    pub accuracy: KindId,
    /// Per positive call, 1 if the machine would have failed within the horizon: the precision.
    pub precision: KindId,
    /// Per reading whose machine would have failed within the horizon, 1 if called: the recall.
    pub recall: KindId,
    /// 1 twice per true positive, 0 once per false positive and once per false negative: the
    /// mean is 2TP/(2TP+FP+FN), the F1 score.
    pub f1: KindId,
}

/// One prediction's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// It triggers maintenance.
    pub positive: bool,
    /// The machine would have failed within the horizon.
    pub actual: bool,
}

impl Call {
    /// The records a call adds to the quality kinds: (kind, value).
    pub fn records(self, kinds: &QualityKinds) -> impl Iterator<Item = (KindId, f64)> {
        let hit = f64::from(u8::from(self.positive == self.actual));
        let flag = |b: bool| f64::from(u8::from(b));
        let precision = self.positive.then_some((kinds.precision, flag(self.actual)));
        let recall = self.actual.then_some((kinds.recall, flag(self.positive)));
        let f1: &[f64] = match (self.positive, self.actual) {
            (true, true) => &[1.0, 1.0],
            (true, false) | (false, true) => &[0.0],
            (false, false) => &[],
        };
        std::iter::once((kinds.accuracy, hit))
            .chain(precision)
            .chain(recall)
            .chain(f1.iter().map(|&v| (kinds.f1, v)))
    }
}

/// A predictive station's predictor, its training data and its thresholds.
pub struct Predictive {
    /// The predictor instance.
    pub predictor: PredictorInstance,
    /// The plugin's name as written, for messages.
    pub plugin: String,
    /// The features, in column order.
    pub features: Vec<Feature>,
    /// Horizon of a failure [time unit].
    pub within: f64,
    /// Probability that calls maintenance.
    pub threshold: f64,
    /// Readings less than this long after a renewal are not judged [time unit]: the shortest
    /// sensor period. The filter has not seen the new life yet (its rate is the old life's, or
    /// a difference over a tiny gap), and judging it would call maintenance again on the
    /// features that called the last one.
    pub settle: f64,
    /// Whether the predictor is fitted (from a file at build, or at the end of the warm-up).
    pub fitted: bool,
    /// Examples gathered in the warm-up: row-major features and labels.
    pub x: Vec<f64>,
    /// Their labels.
    pub y: Vec<f64>,
    /// Quality kinds.
    pub kinds: QualityKinds,
}

impl Predictive {
    /// The predictor of `config`, fitted now when it learns from a file.
    ///
    /// # Errors
    /// The predictor's `fit` failed.
    pub fn new(
        config: &PredictiveConfig,
        predictor: PredictorInstance,
        kinds: QualityKinds,
        settle: f64,
        station: &str,
    ) -> Result<Self, ModelError> {
        let mut p = Predictive {
            predictor,
            plugin: config.predictor.plugin.clone(),
            features: config.features.clone(),
            within: config.within,
            threshold: config.threshold,
            settle,
            fitted: false,
            x: Vec::new(),
            y: Vec::new(),
            kinds,
        };
        if let Training::File(file) = &config.train {
            let cols = p.features.len();
            p.predictor.fit(&file.x, cols, &file.y).map_err(|source| {
                ModelError::plugin(
                    format!("predictor `{}` of station `{station}` (train file)", p.plugin),
                    source,
                )
            })?;
            p.fitted = true;
        }
        Ok(p)
    }

    /// The feature row of an estimate made `age` time units after the machine's renewal.
    pub fn row(&self, estimate: Estimate, age: f64, out: &mut Vec<f64>) {
        out.extend(self.features.iter().map(|f| match f {
            Feature::Level => estimate.level,
            Feature::Rate => estimate.rate,
            Feature::Age => age,
        }));
    }

    /// Fits the predictor on the warm-up's examples.
    ///
    /// # Errors
    /// No examples, or only one class of them (nothing to learn), or the plugin failed.
    pub fn fit_warmup(&mut self, station: &str) -> Result<(), ModelError> {
        let who = format!("predictor `{}` of station `{station}`", self.plugin);
        let positives = self.y.iter().filter(|&&y| y > 0.5).count();
        if self.y.is_empty() || positives == 0 || positives == self.y.len() {
            return Err(ModelError::Invalid(format!(
                "{who}: the warm-up gave {} readings of which {positives} preceded a failure within {}: it \
                 needs both kinds to learn; lengthen `[scenario] warmup` or give `train = \"file.csv\"`",
                self.y.len(),
                self.within
            )));
        }
        self.predictor
            .fit(&self.x, self.features.len(), &self.y)
            .map_err(|source| ModelError::plugin(who, source))?;
        self.fitted = true;
        self.x = Vec::new();
        self.y = Vec::new();
        Ok(())
    }

    /// The probabilities of failure within the horizon for `rows` (row-major).
    ///
    /// # Errors
    /// The plugin failed or answered a value that is not a probability.
    pub fn predict(&mut self, rows: &[f64], station: &str) -> Result<Vec<f64>, ModelError> {
        let who = || format!("predictor `{}` of station `{station}`", self.plugin);
        let p = self
            .predictor
            .predict(rows, self.features.len())
            .map_err(|source| ModelError::plugin(who(), source))?;
        if let Some(bad) = p.iter().find(|v| !v.is_finite()) {
            return Err(ModelError::Invalid(format!("{}: answered {bad}, not a probability", who())));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counting the records of TP, FP, FN, TN calls gives precision TP/(TP+FP), recall
    /// TP/(TP+FN), accuracy (TP+TN)/n and F1 = 2PR/(P+R) as the kinds' means.
    #[test]
    fn quality_means_are_the_textbook_ratios() {
        let kinds =
            QualityKinds { accuracy: KindId(0), precision: KindId(1), recall: KindId(2), f1: KindId(3) };
        let (tp, fp, fn_, tn) = (7, 3, 5, 11);
        let mut calls = Vec::new();
        calls.extend(std::iter::repeat_n(Call { positive: true, actual: true }, tp));
        calls.extend(std::iter::repeat_n(Call { positive: true, actual: false }, fp));
        calls.extend(std::iter::repeat_n(Call { positive: false, actual: true }, fn_));
        calls.extend(std::iter::repeat_n(Call { positive: false, actual: false }, tn));
        let mut sums = [(0.0, 0.0); 4];
        for call in calls {
            for (k, v) in call.records(&kinds) {
                sums[k.0 as usize].0 += v;
                sums[k.0 as usize].1 += 1.0;
            }
        }
        let mean = |k: usize| sums[k].0 / sums[k].1;
        let (p, r) = (7.0 / 10.0, 7.0 / 12.0);
        assert!((mean(0) - 18.0 / 26.0).abs() < 1e-12);
        assert!((mean(1) - p).abs() < 1e-12);
        assert!((mean(2) - r).abs() < 1e-12);
        assert!((mean(3) - 2.0 * p * r / (p + r)).abs() < 1e-12);
    }
}
