//! Is there a steady state, and does the warm-up reach it? Two checks on every level series of
//! every variant, across its replications.
//!
//! - **Trend** (`not_stationary`): the slope of the bin averages over the second half of the
//!   measurement window, per replication; replications are independent, so a Student-t test of
//!   their mean slope is sound whatever the autocorrelation inside a run (one replication: the
//!   regression's own t-test on the bins, a rougher approximation). Warned when the slope is
//!   significant (p < [`P_LIMIT`]) and the level moves by more than [`TREND_SHARE`] of its mean
//!   over the window: a queue that keeps growing, so time-averages measure the horizon.
//! - **Warm-up** (`warmup_too_short`): MSER (White 1997; Franklin & White 2008) on the bin
//!   averages pooled over replications picks the truncation point `d*` that minimises the
//!   marginal standard error of the rest. When `d*` lies after the warm-up, the bins between the
//!   two are compared with those after `d*` per replication (paired t-test); warned when they
//!   differ significantly and bias the window's time-average by more than [`BIAS_SHARE`].
//!
//! Both thresholds are strict on purpose: a shipped scenario at steady state must stay silent,
//! with dozens of series × variants tested.

use super::Warning;
use super::trace::{BINS, Trace};
use crate::stats::{Welford, t_quantile};

/// Significance level of both checks (many series are tested; a false alarm costs trust).
pub const P_LIMIT: f64 = 1e-4;
/// Least change over the window, as a share of the mean level, that counts as a trend.
pub const TREND_SHARE: f64 = 0.2;
/// Least bias of a window average, as a share of the settled level, that a warm-up must remove.
pub const BIAS_SHARE: f64 = 0.01;
/// Fewest bins a check needs.
const MIN_BINS: usize = 6;

/// The replications of one variant: its name and each replication's trace.
pub struct VariantTraces<'a> {
    /// Variant name.
    pub name: &'a str,
    /// One trace per finished replication.
    pub traces: Vec<&'a Trace>,
}

/// The steady-state warnings of an experiment (empty when all is well), in a fixed order: trends
/// by series, then at most one warm-up suggestion.
pub fn steady_warnings(variants: &[VariantTraces<'_>], time_unit: &str) -> Vec<Warning> {
    let mut trends: Vec<(String, Vec<(String, Trend)>)> = Vec::new();
    let mut warmup: Option<(Settling, String, String)> = None;
    for v in variants {
        let Some(first) = v.traces.first() else { continue };
        let geometry = Geometry::of(first);
        for (s, series) in first.series.iter().enumerate() {
            let runs: Vec<&[f64]> = v
                .traces
                .iter()
                .filter_map(|t| t.series.get(s).filter(|x| x.metric == series.metric))
                .map(|x| x.bins.as_slice())
                .collect();
            if let Some(trend) = trend(&runs, geometry) {
                match trends.iter_mut().find(|(m, _)| *m == series.metric) {
                    Some((_, list)) => list.push((v.name.to_owned(), trend)),
                    None => trends.push((series.metric.clone(), vec![(v.name.to_owned(), trend)])),
                }
                continue;
            }
            if let Some(settling) = settling(&runs, geometry)
                && warmup.as_ref().is_none_or(|(w, _, _)| settling.until > w.until)
            {
                warmup = Some((settling, series.metric.clone(), v.name.to_owned()));
            }
        }
    }
    let mut out: Vec<Warning> = trends
        .into_iter()
        .map(|(metric, list)| {
            let (name, worst) = list
                .iter()
                .max_by(|a, b| a.1.per_time.abs().total_cmp(&b.1.per_time.abs()))
                .expect("a trend list is never empty");
            let direction = if worst.per_time > 0.0 { "grows" } else { "falls" };
            // A warning about one variant names it in its own field.
            let also = match list.len() {
                1 => String::new(),
                n => {
                    format!(" in `{name}` (and in {} other variant{})", n - 1, if n == 2 { "" } else { "s" })
                }
            };
            Warning {
                code: "not_stationary".to_owned(),
                variant: (list.len() == 1).then(|| name.clone()),
                message: format!(
                    "`{metric}` {direction} by about {} per {time_unit}{also}, from {} to {} over the \
                     second half of the window: no steady state (does more arrive than can be served?), so its \
                     time-averages depend on the horizon",
                    round_sig(worst.per_time.abs()),
                    round_sig(worst.from),
                    round_sig(worst.to),
                ),
            }
        })
        .collect();
    if let Some((s, metric, variant)) = warmup {
        out.push(Warning {
            code: "warmup_too_short".to_owned(),
            variant: Some(variant.clone()),
            message: format!(
                "the warm-up looks too short: `{metric}` settles only at about t = {} {time_unit}s \
                 (MSER), after the warm-up ends at t = {}; the transient biases its average by about {:.1} %. \
                 Set `[scenario] warmup` to about {}",
                round_sig(s.until),
                round_sig(s.warmup),
                s.bias * 100.0,
                round_up_sig(s.until),
            ),
        });
    }
    out
}

/// Bin layout of a trace.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    width: f64,
    /// First bin wholly inside the window.
    first: usize,
    warmup: f64,
}

impl Geometry {
    fn of(trace: &Trace) -> Self {
        let width = trace.horizon / BINS as f64;
        let first = ((trace.warmup / width) - 1e-9).ceil().max(0.0) as usize;
        Geometry { width, first: first.min(BINS), warmup: trace.warmup }
    }
}

/// A significant, material trend.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Trend {
    /// Mean slope [per time unit].
    per_time: f64,
    /// Fitted level at the start and end of the second half.
    from: f64,
    to: f64,
}

fn trend(runs: &[&[f64]], g: Geometry) -> Option<Trend> {
    let start = g.first + (BINS - g.first) / 2;
    if BINS - start < MIN_BINS || runs.is_empty() {
        return None;
    }
    let x: Vec<f64> = (start..BINS).map(|k| (k as f64 + 0.5) * g.width).collect();
    let fits: Vec<Fit> = runs.iter().map(|r| Fit::of(&x, &r[start..])).collect();
    let mut slope = Welford::new();
    let mut level = Welford::new();
    for (f, r) in fits.iter().zip(runs) {
        slope.push(f.slope);
        level.push(mean(&r[g.first..]));
    }
    let (mean_slope, se, df) = if runs.len() >= 2 {
        (slope.mean(), (slope.variance() / runs.len() as f64).sqrt(), runs.len() as f64 - 1.0)
    } else {
        (fits[0].slope, fits[0].se, x.len() as f64 - 2.0)
    };
    let window = (BINS - g.first) as f64 * g.width;
    let material = mean_slope.abs() * window > TREND_SHARE * level.mean().abs();
    if !(material && significant(mean_slope, se, df)) {
        return None;
    }
    let center: f64 = fits.iter().map(|f| f.intercept).sum::<f64>() / fits.len() as f64;
    let (x0, x1) = (start as f64 * g.width, BINS as f64 * g.width);
    Some(Trend { per_time: mean_slope, from: center + mean_slope * x0, to: center + mean_slope * x1 })
}

/// Where a series settles, when that is after the warm-up and matters.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Settling {
    /// MSER truncation point [time unit].
    until: f64,
    warmup: f64,
    /// Bias of the window average left by the transient, as a share of the settled level.
    bias: f64,
}

fn settling(runs: &[&[f64]], g: Geometry) -> Option<Settling> {
    if runs.len() < 2 || BINS - g.first < 2 * MIN_BINS {
        return None;
    }
    let pooled: Vec<f64> =
        (0..BINS).map(|k| runs.iter().map(|r| r[k]).sum::<f64>() / runs.len() as f64).collect();
    let d = mser(&pooled);
    if d <= g.first {
        return None;
    }
    let mut diff = Welford::new();
    let mut settled = Welford::new();
    for r in runs {
        let after = mean(&r[d..]);
        diff.push(mean(&r[g.first..d]) - after);
        settled.push(after);
    }
    // A level that settles at 0 has no relative bias to speak of (and no division by it).
    if settled.mean() == 0.0 {
        return None;
    }
    let se = (diff.variance() / runs.len() as f64).sqrt();
    let share = (d - g.first) as f64 / (BINS - g.first) as f64;
    let bias = share * diff.mean().abs() / settled.mean().abs();
    (bias > BIAS_SHARE && significant(diff.mean(), se, runs.len() as f64 - 1.0)).then_some(Settling {
        until: d as f64 * g.width,
        warmup: g.warmup,
        bias,
    })
}

/// MSER truncation point of `x`: the `d <= len/2` minimising the squared standard error
/// `Σ_{k≥d} (x_k − mean_d)² / (len − d)²` of the mean of what remains.
pub fn mser(x: &[f64]) -> usize {
    let n = x.len();
    let (mut best, mut best_d) = (f64::INFINITY, 0);
    // Suffix sums, from the end.
    let (mut sum, mut sq) = (0.0, 0.0);
    let mut stats = vec![(0.0, 0.0); n + 1];
    for k in (0..n).rev() {
        sum += x[k];
        sq += x[k] * x[k];
        stats[k] = (sum, sq);
    }
    for (d, &(s, q)) in stats.iter().enumerate().take(n / 2 + 1) {
        let m = (n - d) as f64;
        let ss = (q - s * s / m).max(0.0);
        let value = ss / (m * m);
        if value < best {
            (best, best_d) = (value, d);
        }
    }
    best_d
}

/// Least-squares line through `(x, y)` with the slope's standard error.
struct Fit {
    slope: f64,
    intercept: f64,
    se: f64,
}

impl Fit {
    fn of(x: &[f64], y: &[f64]) -> Self {
        let n = x.len() as f64;
        let (mx, my) = (mean(x), mean(y));
        let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let slope = sxy / sxx;
        let intercept = my - slope * mx;
        let sse: f64 = x.iter().zip(y).map(|(a, b)| (b - intercept - slope * a).powi(2)).sum();
        Fit { slope, intercept, se: (sse / (n - 2.0) / sxx).sqrt() }
    }
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Whether `mean / se` is significant at [`P_LIMIT`] (two-sided, Student t with `df`).
fn significant(mean: f64, se: f64, df: f64) -> bool {
    if !(mean.is_finite() && se.is_finite()) || df < 1.0 {
        return false;
    }
    if se == 0.0 {
        return mean != 0.0;
    }
    (mean / se).abs() > t_quantile(1.0 - P_LIMIT / 2.0, df)
}

/// Two significant digits.
fn round_sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (1 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// Rounded up to two significant digits (a suggestion must not fall short).
fn round_up_sig(x: f64) -> String {
    if x <= 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let step = 10f64.powi(x.log10().floor() as i32 - 1);
    let up = (x / step).ceil() * step;
    round_sig(up)
}

#[cfg(test)]
mod tests {
    use super::super::trace::SeriesTrace;
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn trace(warmup: f64, bins: Vec<f64>) -> Trace {
        Trace { horizon: 1000.0, warmup, series: vec![SeriesTrace { metric: "q_mean".into(), bins }] }
    }

    fn noisy(seed: u64, f: impl Fn(usize) -> f64) -> Vec<f64> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..BINS).map(|k| f(k) + rng.random_range(-1.0..1.0)).collect()
    }

    fn check(warmup: f64, f: impl Fn(usize) -> f64 + Copy) -> Vec<Warning> {
        let traces: Vec<Trace> = (0..10).map(|s| trace(warmup, noisy(s, f))).collect();
        let v = VariantTraces { name: "baseline", traces: traces.iter().collect() };
        steady_warnings(&[v], "minute")
    }

    #[test]
    fn stationary_series_stay_silent() {
        assert_eq!(check(0.0, |_| 5.0), []);
        assert_eq!(check(200.0, |k| if k < 20 { k as f64 / 4.0 } else { 5.0 }), []);
    }

    #[test]
    fn a_growing_queue_is_not_stationary() {
        let w = check(100.0, |k| 0.25 * k as f64 * 10.0);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, "not_stationary");
        assert!(w[0].message.contains("`q_mean` grows by about 0.25 per minute"), "{}", w[0].message);
    }

    #[test]
    fn a_transient_after_the_warmup_gets_a_suggestion() {
        // Rises from 0 to 20 over the first 300 time units, then flat.
        let w = check(0.0, |k| if k < 30 { k as f64 * 20.0 / 30.0 } else { 20.0 });
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, "warmup_too_short");
        assert!(w[0].message.contains("Set `[scenario] warmup` to about"), "{}", w[0].message);
        let until: f64 =
            w[0].message.split("t = ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        // The ramp ends at 300; MSER errs long rather than short when noise follows it.
        assert!((270.0..=500.0).contains(&until), "{until}");
    }

    #[test]
    fn mser_finds_the_end_of_a_ramp() {
        let x: Vec<f64> = (0..100).map(|k| if k < 10 { k as f64 } else { 10.0 }).collect();
        assert!((9..=11).contains(&mser(&x)), "{}", mser(&x));
        assert_eq!(mser(&[3.0; 50]), 0);
    }

    #[test]
    fn rounding_keeps_two_significant_digits() {
        assert_eq!(round_sig(0.2531), "0.25");
        assert_eq!(round_sig(1234.0), "1234");
        assert_eq!(round_up_sig(1234.0), "1300");
        assert_eq!(round_up_sig(0.251), "0.26");
    }
}
