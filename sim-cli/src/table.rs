//! The summary table printed at the end of a run.

use std::fmt::Write;

use xinzhi_core::experiment::MetricSummary;

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

/// One block per variant: metric, mean, 95 % CI half-width, n.
pub(crate) fn render(summaries: &[MetricSummary]) -> String {
    let width = summaries.iter().map(|s| s.metric.len()).max().unwrap_or(6).max(6);
    let mut out = String::new();
    let mut current: Option<&str> = None;
    for s in summaries {
        if current != Some(&s.variant) {
            current = Some(&s.variant);
            let _ = writeln!(out, "\n{}", s.variant);
            let _ = writeln!(out, "  {:width$}  {:>12}  {:>12}  {:>4}", "metric", "mean", "± 95% CI", "n");
        }
        let sm = &s.summary;
        let half = (sm.ci_high - sm.ci_low) / 2.0;
        let _ = writeln!(out, "  {:width$}  {:>12}  {:>12}  {:>4}", s.metric, num(sm.mean), num(half), sm.n);
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
