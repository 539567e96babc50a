//! Statistics (interim; replaced by the stats-output branch).
#![allow(missing_docs, reason = "interim")]
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}
pub fn summarize(values: &[f64], _confidence: f64) -> Summary {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    let h = 2.0 * sd / (n as f64).sqrt();
    Summary { n, mean, sd, ci_low: mean - h, ci_high: mean + h }
}
