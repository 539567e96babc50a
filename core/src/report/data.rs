//! The input reorganised for the page: lookups, key metrics, series means, sweep lines, and
//! the caps that keep large experiments readable.
//!
//! Everything is ordered by the input's own order (variants as listed, metrics by first
//! appearance); maps are `BTreeMap`s, so nothing depends on hash order.

use std::collections::BTreeMap;

use super::input::ReportInput;
use crate::compare::Comparison;
use crate::stats::Summary;

/// Key metrics shown in the headline and charts (the rest are in the full tables).
pub(crate) const MAX_KEY_METRICS: usize = 8;
/// Variants listed one by one in "The question".
pub(crate) const MAX_LISTED_VARIANTS: usize = 40;
/// Variants in the headline table.
pub(crate) const MAX_HEADLINE_VARIANTS: usize = 40;
/// Rows of the forest plot.
pub(crate) const MAX_FOREST_ROWS: usize = 40;
/// Bars per bar chart.
pub(crate) const MAX_BARS: usize = 30;
/// Time-series charts (one per series metric).
pub(crate) const MAX_SERIES_METRICS: usize = 6;
/// Lines per time-series chart (baseline included).
pub(crate) const MAX_SERIES_VARIANTS: usize = 8;
/// Points per time-series line (longer lines are averaged into this many bins).
pub(crate) const MAX_SERIES_POINTS: usize = 600;
/// Time series with more time points than this get no interval bars (they would hide the lines).
pub(crate) const MAX_SERIES_INTERVALS: usize = 60;
/// Sweep charts (swept path × key metric).
pub(crate) const MAX_SWEEP_CHARTS: usize = 12;
/// Lines per sweep chart.
pub(crate) const MAX_SWEEP_LINES: usize = 8;
/// Rows per full table (the CSV files hold everything).
pub(crate) const MAX_TABLE_ROWS: usize = 5000;

/// The input with its lookups.
pub(crate) struct View<'a> {
    /// The input.
    pub input: &'a ReportInput,
    /// Variant names: those listed in the input, then any others the results mention.
    pub variants: Vec<&'a str>,
    /// Key metrics before capping (every metric, by first appearance in summary then
    /// comparison, when the input names none).
    pub key_metrics_all: Vec<&'a str>,
    summaries: BTreeMap<(&'a str, &'a str), &'a Summary>,
    comparisons: BTreeMap<(&'a str, &'a str), &'a Comparison>,
}

fn push_unique<'a>(list: &mut Vec<&'a str>, seen: &mut BTreeMap<&'a str, ()>, name: &'a str) {
    if seen.insert(name, ()).is_none() {
        list.push(name);
    }
}

impl<'a> View<'a> {
    /// Builds the lookups.
    pub(crate) fn new(input: &'a ReportInput) -> Self {
        let (mut variants, mut seen) = (Vec::new(), BTreeMap::new());
        for v in &input.variants {
            push_unique(&mut variants, &mut seen, &v.name);
        }
        for r in &input.summary {
            push_unique(&mut variants, &mut seen, &r.variant);
        }
        for c in &input.comparison {
            push_unique(&mut variants, &mut seen, &c.variant);
        }
        let (mut metrics, mut seen) = (Vec::new(), BTreeMap::new());
        for r in &input.summary {
            push_unique(&mut metrics, &mut seen, &r.metric);
        }
        for c in &input.comparison {
            push_unique(&mut metrics, &mut seen, &c.metric);
        }
        let key_metrics_all = if input.key_metrics.is_empty() {
            metrics
        } else {
            let (mut keys, mut seen) = (Vec::new(), BTreeMap::new());
            for m in &input.key_metrics {
                push_unique(&mut keys, &mut seen, m);
            }
            keys
        };
        let mut summaries = BTreeMap::new();
        for r in &input.summary {
            summaries.entry((r.variant.as_str(), r.metric.as_str())).or_insert(&r.summary);
        }
        let mut comparisons = BTreeMap::new();
        for c in &input.comparison {
            comparisons.entry((c.variant.as_str(), c.metric.as_str())).or_insert(c);
        }
        View { input, variants, key_metrics_all, summaries, comparisons }
    }

    /// Key metrics, capped at [`MAX_KEY_METRICS`].
    pub(crate) fn key_metrics(&self) -> &[&'a str] {
        &self.key_metrics_all[..self.key_metrics_all.len().min(MAX_KEY_METRICS)]
    }

    /// The summary of `metric` in `variant`.
    pub(crate) fn summary(&self, variant: &str, metric: &str) -> Option<&'a Summary> {
        self.summaries.get(&(variant, metric)).copied()
    }

    /// The comparison of `variant` against the baseline on `metric`.
    pub(crate) fn comparison(&self, variant: &str, metric: &str) -> Option<&'a Comparison> {
        self.comparisons.get(&(variant, metric)).copied()
    }

    /// Variants compared against the baseline, in order.
    pub(crate) fn compared_variants(&self) -> Vec<&'a str> {
        self.variants
            .iter()
            .copied()
            .filter(|v| *v != self.input.baseline && self.comparisons.keys().any(|(cv, _)| cv == v))
            .collect()
    }

    /// Series metric names by first appearance.
    pub(crate) fn series_metrics(&self) -> Vec<&'a str> {
        let (mut list, mut seen) = (Vec::new(), BTreeMap::new());
        for p in &self.input.series {
            push_unique(&mut list, &mut seen, &p.metric);
        }
        list
    }

    /// Variants with points of `metric`, in variant order (baseline first if present).
    pub(crate) fn series_variants(&self, metric: &str) -> Vec<&'a str> {
        let mut present = BTreeMap::new();
        for p in self.input.series.iter().filter(|p| p.metric == metric) {
            present.insert(p.variant.as_str(), ());
        }
        let mut order: Vec<&'a str> =
            self.variants.iter().copied().filter(|v| present.contains_key(v)).collect();
        if let Some(i) = order.iter().position(|v| *v == self.input.baseline) {
            let b = order.remove(i);
            order.insert(0, b);
        }
        order
    }

    /// The finite values of `metric` in `variant` at each time, in time order (one value per
    /// replication that has a point there).
    fn series_groups(&self, metric: &str, variant: &str) -> Vec<(f64, Vec<f64>)> {
        let mut points: Vec<(f64, f64)> = self
            .input
            .series
            .iter()
            .filter(|p| {
                p.metric == metric && p.variant == variant && p.time.is_finite() && p.value.is_finite()
            })
            .map(|p| (p.time, p.value))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut groups: Vec<(f64, Vec<f64>)> = Vec::new();
        for (t, v) in points {
            match groups.last_mut() {
                Some((last, values)) if *last == t => values.push(v),
                _ => groups.push((t, vec![v])),
            }
        }
        groups
    }

    /// The 95 % Student-t interval of the across-replication mean at each time, when there are
    /// at most [`MAX_SERIES_INTERVALS`] time points (more would hide the lines) and at least
    /// two replications there.
    pub(crate) fn series_intervals(&self, metric: &str, variant: &str) -> Vec<(f64, f64, f64)> {
        let groups = self.series_groups(metric, variant);
        if groups.len() > MAX_SERIES_INTERVALS {
            return Vec::new();
        }
        groups
            .iter()
            .filter(|(_, values)| values.len() >= 2)
            .map(|(t, values)| {
                let s = crate::stats::summarize(values, 0.95);
                (*t, s.ci_low, s.ci_high)
            })
            .collect()
    }

    /// The across-replication mean of `metric` in `variant` at each time (finite points only),
    /// averaged into at most [`MAX_SERIES_POINTS`] bins.
    pub(crate) fn series_means(&self, metric: &str, variant: &str) -> Vec<(f64, f64)> {
        let means: Vec<(f64, f64)> = self
            .series_groups(metric, variant)
            .into_iter()
            .map(|(t, values)| (t, values.iter().sum::<f64>() / values.len() as f64))
            .collect();
        if means.len() <= MAX_SERIES_POINTS {
            return means;
        }
        let per_bin = means.len().div_ceil(MAX_SERIES_POINTS);
        means
            .chunks(per_bin)
            .map(|c| {
                let n = c.len() as f64;
                (c.iter().map(|p| p.0).sum::<f64>() / n, c.iter().map(|p| p.1).sum::<f64>() / n)
            })
            .collect()
    }

    /// The lines of a sweep chart along `path`: variants generated with a value of `path`,
    /// grouped by their other swept values (each group sorted along `path`).
    /// Whether some sweep grid crosses an explicit variant (not only the baseline).
    fn crosses_variants(&self) -> bool {
        self.input
            .variants
            .iter()
            .any(|v| v.crossed_with.as_deref().is_some_and(|c| c != crate::experiment::BASELINE))
    }

    pub(crate) fn sweep_lines(&self, path: &str) -> SweepAxis<'a> {
        let mut lines: Vec<SweepLine<'a>> = Vec::new();
        let mut values: Vec<&'a str> = Vec::new();
        for v in &self.input.variants {
            let Some((_, x)) = v.sweep.iter().find(|(p, _)| p == path) else { continue };
            if !values.contains(&x.as_str()) {
                values.push(x);
            }
            // One line per crossed variant and combination of the other swept values; the
            // baseline's grid is named only when explicit variants are crossed too.
            let crossed = v.crossed_with.as_deref().filter(|_| self.crosses_variants());
            let others = v.sweep.iter().filter(|(p, _)| p != path).map(|(p, val)| format!("{p} = {val}"));
            let label = crossed.map(str::to_owned).into_iter().chain(others).collect::<Vec<_>>().join(", ");
            match lines.iter_mut().find(|l| l.label == label) {
                Some(line) => line.points.push((x, &v.name)),
                None => lines.push(SweepLine { label, points: vec![(x, &v.name)] }),
            }
        }
        let numeric: Option<Vec<f64>> = values.iter().map(|v| v.trim().parse::<f64>().ok()).collect();
        let numeric = numeric.filter(|xs| xs.iter().all(|x| x.is_finite()));
        SweepAxis { values, numeric: numeric.is_some(), lines }
    }
}

/// One swept path's chart data.
pub(crate) struct SweepAxis<'a> {
    /// Distinct values of the path, by first appearance.
    pub values: Vec<&'a str>,
    /// Whether every value is a finite number (otherwise: categories in `values` order).
    pub numeric: bool,
    /// The lines: one per combination of the other swept values.
    pub lines: Vec<SweepLine<'a>>,
}

/// One line of a sweep chart.
pub(crate) struct SweepLine<'a> {
    /// The other swept values, in words ("" when only one path is swept).
    pub label: String,
    /// (value of the swept path as written, variant name).
    pub points: Vec<(&'a str, &'a str)>,
}

impl SweepAxis<'_> {
    /// The x coordinate of a value: the number, or its category index.
    pub(crate) fn x(&self, value: &str) -> Option<f64> {
        if self.numeric {
            value.trim().parse::<f64>().ok()
        } else {
            self.values.iter().position(|v| *v == value).map(|i| i as f64)
        }
    }
}
