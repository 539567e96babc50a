//! The summary table printed at the end of a run.

use std::fmt::Write;

use xinzhi_core::compare::Comparison;
use xinzhi_core::experiment::MetricSummary;
use xinzhi_core::report::effect_sentence;

/// Formats a number with about 4 significant digits, without scientific notation for the usual
/// range of KPIs.
fn num(x: f64) -> String {
    if x.is_nan() {
        return "-".into();
    }
    let a = x.abs();
    if a == 0.0 || (1e-3..1e6).contains(&a) {
        let decimals = if a == 0.0 { 0 } else { (3 - a.log10().floor() as i32).clamp(0, 6) as usize };
        format!("{x:.decimals$}")
    } else {
        format!("{x:.3e}")
    }
}

/// Beyond this many variants (large sweeps) the terminal lists no more: the output files and
/// the report have them all.
const MAX_VARIANTS: usize = 12;

/// `rows` (consecutive per variant) as one block per variant: the first [`MAX_VARIANTS`], and
/// how many more there are.
fn variant_blocks<T>(rows: &[T], variant: impl Fn(&T) -> &str) -> (Vec<&[T]>, usize) {
    let blocks: Vec<&[T]> = rows.chunk_by(|a, b| variant(a) == variant(b)).collect();
    let hidden = blocks.len().saturating_sub(MAX_VARIANTS);
    (blocks.into_iter().take(MAX_VARIANTS).collect(), hidden)
}

/// One block per variant: metric, mean, 95 % CI half-width, n.
pub(crate) fn render(summaries: &[MetricSummary]) -> String {
    let width = summaries.iter().map(|s| s.metric.len()).max().unwrap_or(6).max(6);
    let mut out = String::new();
    let (blocks, hidden) = variant_blocks(summaries, |s| &s.variant);
    for block in blocks {
        let _ = writeln!(out, "\n{}", block[0].variant);
        let _ = writeln!(out, "  {:width$}  {:>12}  {:>12}  {:>4}", "metric", "mean", "± 95% CI", "n");
        for s in block {
            let sm = &s.summary;
            let half = (sm.ci_high - sm.ci_low) / 2.0;
            let _ =
                writeln!(out, "  {:width$}  {:>12}  {:>12}  {:>4}", s.metric, num(sm.mean), num(half), sm.n);
        }
    }
    if hidden > 0 {
        let _ = writeln!(out, "\n… and {hidden} more variant(s): see summary.csv");
    }
    out
}

/// Each variant's paired effects on the key metrics, in words (effects whose interval contains
/// zero are said to be indistinguishable from zero).
pub(crate) fn effects(comparisons: &[Comparison], key_metrics: &[String]) -> String {
    let rows: Vec<&Comparison> = comparisons.iter().filter(|c| key_metrics.contains(&c.metric)).collect();
    let Some(first) = rows.first() else { return String::new() };
    let mut out =
        format!("\neffects vs `{}` (paired over common random numbers, 95 % CI):\n", first.baseline);
    let (blocks, hidden) = variant_blocks(&rows, |c| &c.variant);
    for block in blocks {
        let _ = writeln!(out, "  {}", block[0].variant);
        for c in block {
            // The sentence itself says when the interval contains zero.
            let _ = writeln!(out, "    {}", effect_sentence(c));
        }
    }
    if hidden > 0 {
        let _ = writeln!(out, "  … and {hidden} more variant(s): see comparison.csv and report.html");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_are_readable() {
        assert_eq!(num(4.98412), "4.984");
        assert_eq!(num(0.800227), "0.8002");
        assert_eq!(num(1234.5678), "1235");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(f64::NAN), "-");
        assert_eq!(num(2.5e-7), "2.500e-7");
    }
}
