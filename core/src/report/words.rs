//! Numbers and effects in plain words.
//!
//! Estimates with an interval are shown with two significant digits of the interval's
//! half-width and the same number of decimals for the estimate ("6.5 % ± 0.80 %" reads
//! "6.50 % ± 0.80 %"); estimates without one get three significant digits. Negative numbers use
//! the minus sign `−` (U+2212), and a number that rounds to zero never shows a sign.

use crate::collect::MetricInfo;
use crate::compare::Comparison;
use crate::experiment::PrecisionReport;
use crate::stats::Summary;

/// The most decimals any number in a report is given.
const MAX_DECIMALS: i32 = 6;

/// Relative changes smaller than this (0.1 %, as a fraction) are stated as "no practical
/// effect" even when the simulation tells them apart from zero: with common random numbers a
/// change of 0.009 % in throughput can be statistically clear and still mean nothing to a
/// decision. It applies only where the relative change is shown (see
/// [`relative_is_meaningful`]).
pub const PRACTICAL_THRESHOLD: f64 = 0.001;

/// The largest relative change shown as a percentage (10 = 1 000 %). Beyond it the baseline is
/// close to 0 compared with the difference, and the percentage says more about the baseline's
/// smallness than about the effect: the absolute difference is shown instead.
pub const MAX_RELATIVE_CHANGE: f64 = 10.0;

/// Which way a metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Lower is better (times, queues, work in process, losses, costs, lateness, tardiness,
    /// failures, downtime, delays, stops, spillback, gridlocks, saturation).
    Lower,
    /// Higher is better (throughput, output, availability, a predictor's precision, recall, F1
    /// and accuracy).
    Higher,
    /// Neither: a change is just a change (utilization, and any metric not in the table).
    Neither,
}

/// Which way is better, by the start of the metric's name (checked in order; the first match
/// wins). A metric that matches none is [`Better::Neither`]: the report then says "changes",
/// never "improves". Utilization is deliberately neutral: higher means better use of capacity
/// but longer queues; so is maintenance, which is worth its downtime only if it prevents more.
pub const DIRECTIONS: [(&str, Better); 33] = [
    ("throughput", Better::Higher),
    ("output", Better::Higher),
    ("completed", Better::Higher),
    ("utilization", Better::Neither),
    ("busy", Better::Neither),
    ("cycle_time", Better::Lower),
    ("wait_time", Better::Lower),
    ("lead_time", Better::Lower),
    ("flow_time", Better::Lower),
    ("queue", Better::Lower),
    ("wip", Better::Lower),
    ("loss", Better::Lower),
    ("lost", Better::Lower),
    ("blocked", Better::Lower),
    ("lateness", Better::Lower),
    ("tard", Better::Lower),
    ("cost", Better::Lower),
    ("failures", Better::Lower),
    ("downtime", Better::Lower),
    ("availability", Better::Higher),
    ("precision", Better::Higher),
    ("recall", Better::Higher),
    ("f1", Better::Higher),
    ("accuracy", Better::Higher),
    ("delay", Better::Lower),
    ("vehicle_hours", Better::Lower),
    ("travel_time", Better::Lower),
    ("stops", Better::Lower),
    ("insertion", Better::Lower),
    ("spillback", Better::Lower),
    ("gridlock", Better::Lower),
    ("degree_of_saturation", Better::Lower),
    ("unfinished", Better::Lower),
];

/// `metric` without its domain's scope: a scoped domain's metrics are named
/// `<domain>.<metric>` (`city.delay_mean`), an unscoped domain's `<metric>[.<subject>]`.
fn unscoped(metric: &str) -> &str {
    match metric.split_once('.') {
        Some((scope, rest)) if crate::domains::NAMES.contains(&scope) => rest,
        _ => metric,
    }
}

/// Which way `metric` is better ([`DIRECTIONS`]).
pub fn better(metric: &str) -> Better {
    let metric = unscoped(metric);
    DIRECTIONS.iter().find(|(prefix, _)| metric.starts_with(prefix)).map_or(Better::Neither, |(_, b)| *b)
}

/// The glossary entry of `metric`: an exact pattern first, then a family (`base.*`).
pub fn metric_info<'a>(metric: &str, glossary: &'a [MetricInfo]) -> Option<&'a MetricInfo> {
    glossary.iter().find(|i| i.pattern == metric).or_else(|| glossary.iter().find(|i| i.matches(metric)))
}

/// A metric's name in words: `cycle_time_mean` → "cycle time", `lateness_max` → "maximum
/// lateness", `wip_mean` → "work in process", `utilization.cell` → "utilization of cell".
pub fn metric_words(metric: &str) -> String {
    let metric = unscoped(metric);
    let (base, qualifier) = metric.split_once('.').map_or((metric, None), |(b, q)| (b, Some(q)));
    let (base, prefix) = if let Some(b) = base.strip_suffix("_mean") {
        (b, "")
    } else if let Some(b) = base.strip_suffix("_max") {
        (b, "maximum ")
    } else if let Some(b) = base.strip_suffix("_min") {
        (b, "minimum ")
    } else {
        (base, "")
    };
    let words = match base {
        "wip" => "work in process".to_owned(),
        other => other.replace('_', " "),
    };
    match qualifier {
        Some(q) => format!("{prefix}{words} of {q}"),
        None => format!("{prefix}{words}"),
    }
}

/// A metric as the sentences name it: "cycle time (cycle_time_mean, minutes)" when the
/// glossary knows it (without the unit when it has none), the bare name otherwise (an older
/// run without a glossary, or a collector that declares nothing).
pub fn metric_label(metric: &str, glossary: &[MetricInfo]) -> String {
    match metric_info(metric, glossary) {
        Some(info) if !info.unit.is_empty() => format!("{} ({metric}, {})", metric_words(metric), info.unit),
        Some(_) => format!("{} ({metric})", metric_words(metric)),
        None => metric.to_owned(),
    }
}

/// Whether the unit is a fraction (shown in percent).
fn is_fraction(info: Option<&MetricInfo>) -> bool {
    info.is_some_and(|i| i.unit.eq_ignore_ascii_case("fraction"))
}

/// A value of a metric with its unit: "12.3 minutes", "15 %" for a fraction, "n/a" when
/// undefined; the bare number without a glossary entry.
pub fn format_value(x: f64, info: Option<&MetricInfo>) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    if is_fraction(info) {
        return format_percent(x);
    }
    match info.map(|i| i.unit.as_str()).filter(|u| !u.is_empty()) {
        Some(unit) => format!("{} {unit}", format_number(x)),
        None => format_number(x),
    }
}

/// Whether `c`'s relative change means something, so it is shown (otherwise the absolute
/// difference is). It does not when
///
/// - the baseline mean is 0 (no relative change exists),
/// - the baseline mean is close to 0 compared with the difference: `|difference| >
///   10 × |baseline mean|` ([`MAX_RELATIVE_CHANGE`], a change beyond ±1 000 %), or
/// - the baseline mean itself is not distinguishable from 0: its 95 % interval contains 0
///   (when `baseline` is known), so dividing by it divides by noise.
pub fn relative_is_meaningful(c: &Comparison, baseline: Option<&Summary>) -> bool {
    c.rel_change.is_finite()
        && c.rel_change.abs() <= MAX_RELATIVE_CHANGE
        && !baseline.is_some_and(|b| b.ci_low.is_finite() && b.ci_low <= 0.0 && b.ci_high >= 0.0)
}

/// How a comparison reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EffectKind {
    /// No paired replications, or the metric is undefined somewhere.
    Undefined,
    /// An estimate without an interval (fewer than 2 pairs).
    NoInterval,
    /// The difference's interval contains 0.
    Indistinguishable,
    /// Distinguishable from zero but smaller than [`PRACTICAL_THRESHOLD`].
    Negligible,
    /// A clear effect: distinguishable and practically relevant.
    Clear,
}

/// What kind of effect `c` is; `baseline` is the baseline's summary of the metric, if known.
pub fn effect_kind(c: &Comparison, baseline: Option<&Summary>) -> EffectKind {
    if c.n == 0 || !c.diff_mean.is_finite() {
        EffectKind::Undefined
    } else if !(c.diff_ci_high - c.diff_ci_low).is_finite() {
        EffectKind::NoInterval
    } else if c.includes_zero() {
        EffectKind::Indistinguishable
    } else if relative_is_meaningful(c, baseline) && c.rel_change.abs() < PRACTICAL_THRESHOLD {
        EffectKind::Negligible
    } else {
        EffectKind::Clear
    }
}

/// "raises" or "lowers", by the difference's sign.
pub(crate) fn verb(c: &Comparison) -> &'static str {
    if c.diff_mean > 0.0 { "raises" } else { "lowers" }
}

/// The size of a [`EffectKind::Clear`] effect, what follows "by": "16.9 % ± 1.5 % (95 % CI)",
/// or the absolute difference with why: "+0.14 ± 0.010 (95 % CI; absolute: …)".
pub(crate) fn clear_amount(c: &Comparison, baseline: Option<&Summary>) -> String {
    if relative_is_meaningful(c, baseline) {
        let (rel, half) = (c.rel_change * 100.0, (c.rel_ci_high - c.rel_ci_low) / 2.0 * 100.0);
        let dec = half_width_decimals(half);
        format!("{} % ± {} % (95 % CI)", fixed(rel.abs(), dec), fixed(half, dec))
    } else {
        let half = (c.diff_ci_high - c.diff_ci_low) / 2.0;
        let dec = half_width_decimals(half);
        format!(
            "{} ± {} (95 % CI; {})",
            signed(c.diff_mean, dec),
            fixed(half, dec),
            no_relative_why(c, baseline)
        )
    }
}

/// Why a comparison shows its absolute difference.
fn no_relative_why(c: &Comparison, baseline: Option<&Summary>) -> String {
    if !c.rel_change.is_finite() {
        "the baseline mean is 0, so no relative change".to_owned()
    } else {
        let mean = baseline.map_or_else(String::new, |b| format!(" ({})", format_number(b.mean)));
        format!("absolute difference: the baseline mean{mean} is too close to 0 for a relative change")
    }
}

/// What `variant` does to the metric, as a verb phrase whose subject is the variant, naming the
/// metric as it is written (see [`effect_sentence_with`] for the rules):
///
/// - "raises throughput by 6.5 % ± 0.80 % (95 % CI)"
/// - "lowers cycle_time_mean by 12 % ± 3.1 % (95 % CI)"
/// - "has no effect on wip_mean distinguishable from zero (+0.30 % ± 1.1 %, 95 % CI)"
/// - "has no practical effect on throughput (−0.0090 % ± 0.0077 %, 95 % CI; below the 0.1 %
///   threshold)"
/// - "raises throughput by 6.50 % (no confidence interval: fewer than 2 replications)"
/// - "raises lost by +2.0 ± 1.1 (95 % CI; the baseline mean is 0, so no relative change)"
/// - "cannot be compared on throughput (undefined in some replication)"
pub fn effect_sentence(c: &Comparison) -> String {
    effect_sentence_with(c, None, &[])
}

/// [`effect_sentence`] with the baseline's summary of the metric (to tell a meaningless
/// relative change, [`relative_is_meaningful`]) and the glossary (to name the metric in words
/// with its unit, [`metric_label`]).
///
/// Whether there is an effect is decided by the difference's interval
/// ([`Comparison::includes_zero`]); a distinguishable relative change smaller than
/// [`PRACTICAL_THRESHOLD`] (0.1 %) is "no practical effect"; the size is the relative change
/// and its interval's half-width in percent, or the absolute difference when the relative one
/// means nothing.
pub fn effect_sentence_with(c: &Comparison, baseline: Option<&Summary>, glossary: &[MetricInfo]) -> String {
    let m = metric_label(&c.metric, glossary);
    if c.n == 0 {
        return format!("cannot be compared on {m} (no paired replications)");
    }
    if !c.diff_mean.is_finite() {
        return format!("cannot be compared on {m} (undefined in some replication)");
    }
    let verb = verb(c);
    let kind = effect_kind(c, baseline);
    if !relative_is_meaningful(c, baseline) {
        let why = no_relative_why(c, baseline);
        let half = (c.diff_ci_high - c.diff_ci_low) / 2.0;
        if kind == EffectKind::NoInterval {
            return if c.diff_mean == 0.0 {
                format!("leaves {m} unchanged (no confidence interval: fewer than 2 replications; {why})")
            } else {
                let d = signed(c.diff_mean, significant_decimals(c.diff_mean));
                format!("{verb} {m} by {d} (no confidence interval: fewer than 2 replications; {why})")
            };
        }
        let dec = half_width_decimals(half);
        let (d, h) = (signed(c.diff_mean, dec), fixed(half, dec));
        return if kind == EffectKind::Indistinguishable {
            format!("has no effect on {m} distinguishable from zero ({d} ± {h}, 95 % CI; {why})")
        } else {
            format!("{verb} {m} by {}", clear_amount(c, baseline))
        };
    }
    let rel = c.rel_change * 100.0;
    let half = (c.rel_ci_high - c.rel_ci_low) / 2.0 * 100.0;
    if kind == EffectKind::NoInterval || !half.is_finite() {
        let note = "no confidence interval: fewer than 2 replications";
        return if c.diff_mean == 0.0 {
            format!("leaves {m} unchanged ({note})")
        } else {
            format!("{verb} {m} by {} % ({note})", fixed(rel.abs(), significant_decimals(rel)))
        };
    }
    let dec = half_width_decimals(half);
    match kind {
        EffectKind::Indistinguishable => format!(
            "has no effect on {m} distinguishable from zero ({} % ± {} %, 95 % CI)",
            signed(rel, dec),
            fixed(half, dec)
        ),
        EffectKind::Negligible => format!(
            "has no practical effect on {m} ({} % ± {} %, 95 % CI; below the {} % threshold)",
            signed(rel, dec),
            fixed(half, dec),
            format_number(PRACTICAL_THRESHOLD * 100.0)
        ),
        _ => format!("{verb} {m} by {}", clear_amount(c, baseline)),
    }
}

/// A fraction as a percentage: `0.065` → "6.5 %", `−0.004` → "−0.40 %", `1.5` → "150 %",
/// `0` → "0 %"; NaN or infinite → "n/a". One decimal from 1 % to 100 %, none above, two
/// significant digits below.
pub fn format_percent(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    format!("{} %", fixed(x * 100.0, percent_decimals(x * 100.0)))
}

/// What a precision target came to, in one sentence: "throughput half-width ≤ 1 % (relative):
/// met with 30 replications per variant; widest: `v` at ± 0.92 %". `complete` is false when a
/// replication failed, which stops the rounds.
pub fn precision_sentence(p: &PrecisionReport, complete: bool) -> String {
    let show = |x: f64| if p.is_relative() { format_percent(x) } else { format_number(x) };
    let kind = if p.is_relative() { "relative" } else { "absolute" };
    let verdict = if p.met {
        format!("met with {} replications per variant", p.replications)
    } else if !complete {
        format!("not met: the rounds stopped at {} replications because a replication failed", p.replications)
    } else if p.missing_metric {
        "not evaluated: no replication produced the metric".to_owned()
    } else {
        format!("NOT met: stopped at max_replications = {}", p.replications)
    };
    let worst =
        p.worst().map_or_else(String::new, |w| format!("; widest: `{}` at ± {}", w.variant, show(p.got(w))));
    format!("{} half-width ≤ {} ({kind}): {verdict}{worst}", p.metric, show(p.required()))
}

/// [`format_percent`] with an explicit sign: "+6.5 %", "−0.40 %", "0 %".
pub fn format_signed_percent(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    format!("{} %", signed(x * 100.0, percent_decimals(x * 100.0)))
}

fn percent_decimals(p: f64) -> usize {
    let a = p.abs();
    if a >= 100.0 {
        0
    } else if a >= 1.0 {
        1
    } else {
        decimals_for_digits(a, 2)
    }
}

/// A number in compact form: four significant digits without trailing zeros ("2.7", "12346",
/// "0.0123"), scientific notation beyond [0.001, 10⁶) ("1.23e-7", "4.56e9"), "n/a" when NaN or
/// infinite.
pub fn format_number(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let a = x.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{x:.2e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = trim_zeros(mantissa);
        return format!("{}e{exponent}", minus(&mantissa));
    }
    let s = format!("{:.*}", decimals_for_digits(a, 4), x);
    minus(&trim_zeros(&s))
}

/// An estimate and its interval with matching decimals: "2.70 [2.41, 2.99]"; with
/// `signed_value`, "+2.70 [2.41, 2.99]". Without a finite interval, the estimate alone in
/// compact form.
pub fn format_estimate(value: f64, low: f64, high: f64, signed_value: bool) -> String {
    match estimate_parts(value, low, high, signed_value) {
        (v, Some(i)) => format!("{v} {i}"),
        (v, None) => v,
    }
}

/// [`format_estimate`] in two parts: the estimate, and the interval if it is defined.
pub(crate) fn estimate_parts(
    value: f64,
    low: f64,
    high: f64,
    signed_value: bool,
) -> (String, Option<String>) {
    if !value.is_finite() {
        return ("n/a".to_owned(), None);
    }
    let half = (high - low) / 2.0;
    if !half.is_finite() {
        let v = format_number(value);
        return (if signed_value && value > 0.0 { format!("+{v}") } else { v }, None);
    }
    let dec = half_width_decimals(half);
    let v = if signed_value { signed(value, dec) } else { fixed(value, dec) };
    (v, Some(format!("[{}, {}]", fixed(low, dec), fixed(high, dec))))
}

/// A relative change and its interval, in percent with matching decimals:
/// "+6.30 % [5.57, 7.03]"; without a finite interval, "+6.5 %"; "n/a" when undefined.
pub fn format_percent_estimate(rel: f64, low: f64, high: f64) -> String {
    if !rel.is_finite() {
        return "n/a".to_owned();
    }
    match estimate_parts(rel * 100.0, low * 100.0, high * 100.0, true) {
        (v, Some(i)) => format!("{v} % {i}"),
        (_, None) => format_signed_percent(rel),
    }
}

/// The relative change alone, with the decimals [`format_percent_estimate`] gives it.
pub(crate) fn format_percent_value(rel: f64, low: f64, high: f64) -> String {
    if !rel.is_finite() {
        return "n/a".to_owned();
    }
    match estimate_parts(rel * 100.0, low * 100.0, high * 100.0, true) {
        (v, Some(_)) => format!("{v} %"),
        (_, None) => format_signed_percent(rel),
    }
}

/// An interval alone with two significant digits of its half-width: "[2.41, 2.99]"; "n/a"
/// when undefined.
pub fn format_interval(low: f64, high: f64) -> String {
    let half = (high - low) / 2.0;
    if !half.is_finite() {
        return "n/a".to_owned();
    }
    let dec = half_width_decimals(half);
    format!("[{}, {}]", fixed(low, dec), fixed(high, dec))
}

/// A relative interval in percent: "[+5.7 %, +7.3 %]"; "n/a" when undefined.
pub fn format_percent_interval(low: f64, high: f64) -> String {
    let half = (high - low) / 2.0 * 100.0;
    if !half.is_finite() {
        return "n/a".to_owned();
    }
    let dec = half_width_decimals(half);
    format!("[{} %, {} %]", signed(low * 100.0, dec), signed(high * 100.0, dec))
}

/// A p-value: "< 0.001", two significant digits otherwise ("0.042", "0.74", "1"), "n/a" when
/// undefined.
pub fn format_p_value(p: f64) -> String {
    if !p.is_finite() {
        "n/a".to_owned()
    } else if p < 0.001 {
        "< 0.001".to_owned()
    } else {
        trim_zeros(&format!("{:.*}", decimals_for_digits(p, 2), p))
    }
}

/// Decimals showing two significant digits of a (positive) half-width; a zero half-width gets 1.
fn half_width_decimals(half: f64) -> usize {
    if half > 0.0 { decimals_for_digits(half, 2) } else { 1 }
}

/// Decimals showing three significant digits of `x`.
fn significant_decimals(x: f64) -> usize {
    if x == 0.0 { 1 } else { decimals_for_digits(x.abs(), 3) }
}

/// Decimals that show `digits` significant digits of `a` (> 0), between 0 and
/// [`MAX_DECIMALS`].
fn decimals_for_digits(a: f64, digits: i32) -> usize {
    if a.is_nan() || a <= 0.0 || a.is_infinite() {
        return 0;
    }
    let magnitude = a.log10().floor() as i32;
    usize::try_from((digits - 1 - magnitude).clamp(0, MAX_DECIMALS)).unwrap_or(0)
}

/// `x` with `dec` decimals, a true minus sign, and no sign on a value that rounds to zero.
fn fixed(x: f64, dec: usize) -> String {
    let s = format!("{x:.dec$}");
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        return s.trim_start_matches('-').to_owned();
    }
    minus(&s)
}

/// [`fixed`] with a `+` on positive values.
fn signed(x: f64, dec: usize) -> String {
    let s = fixed(x, dec);
    if x > 0.0 && !s.chars().all(|c| c == '0' || c == '.') { format!("+{s}") } else { s }
}

fn minus(s: &str) -> String {
    s.replace('-', "−")
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s.to_owned() }
}

/// A variant's change as plain words: "`factory.station.mill.machines` = 2".
pub(crate) fn change_words(path: &str, value: &str) -> String {
    format!("{path} = {value}")
}

/// "1 variant", "3 variants".
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comparison(metric: &str, diff: (f64, f64, f64), rel: (f64, f64, f64), n: usize) -> Comparison {
        Comparison {
            variant: "v".into(),
            baseline: "baseline".into(),
            metric: metric.into(),
            n,
            diff_mean: diff.0,
            diff_ci_low: diff.1,
            diff_ci_high: diff.2,
            rel_change: rel.0,
            rel_ci_low: rel.1,
            rel_ci_high: rel.2,
            p_value: 0.01,
        }
    }

    #[test]
    fn sentences_for_each_kind_of_effect() {
        let up = comparison("throughput", (2.7, 2.41, 2.99), (0.065, 0.057, 0.073), 20);
        assert_eq!(effect_sentence(&up), "raises throughput by 6.50 % ± 0.80 % (95 % CI)");
        let down = comparison("cycle_time_mean", (-1.2, -1.5, -0.9), (-0.12, -0.151, -0.089), 20);
        assert_eq!(effect_sentence(&down), "lowers cycle_time_mean by 12.0 % ± 3.1 % (95 % CI)");
        let none = comparison("wip_mean", (0.01, -0.03, 0.05), (0.003, -0.008, 0.014), 20);
        assert_eq!(
            effect_sentence(&none),
            "has no effect on wip_mean distinguishable from zero (+0.3 % ± 1.1 %, 95 % CI)"
        );
        let neg = comparison("wip_mean", (-0.01, -0.05, 0.03), (-0.004, -0.015, 0.007), 20);
        assert_eq!(
            effect_sentence(&neg),
            "has no effect on wip_mean distinguishable from zero (−0.4 % ± 1.1 %, 95 % CI)"
        );
        let big = comparison("lost", (50.0, 40.0, 60.0), (2.5, 2.0, 3.0), 20);
        assert_eq!(effect_sentence(&big), "raises lost by 250 % ± 50 % (95 % CI)");
        let exact = comparison("m", (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 5);
        assert_eq!(
            effect_sentence(&exact),
            "has no effect on m distinguishable from zero (0.0 % ± 0.0 %, 95 % CI)"
        );
    }

    /// Defect 3: with a negative baseline mean the words said "−0.06 %" next to a difference of
    /// +0.0047 (dispatch-rules, `edd` on `lateness_mean`). From [`crate::compare::compare`] to
    /// the sentence, the sign of the relative change is the difference's.
    #[test]
    fn defect_3_relative_change_sign_follows_difference_in_words() {
        use crate::compare::compare;
        // A tiny, noisy rise from −8.5: not distinguishable, but its sign must be "+".
        let rise = [(-8.0, -7.99), (-9.0, -9.01), (-8.5, -8.48), (-8.2, -8.19)];
        let c = compare("edd", "baseline", "lateness_mean", &rise, 0.95);
        assert!(c.diff_mean > 0.0 && c.includes_zero());
        let s = effect_sentence(&c);
        assert!(s.starts_with("has no effect on lateness_mean distinguishable from zero (+"), "{s}");
        assert!(format_percent_value(c.rel_change, c.rel_ci_low, c.rel_ci_high).starts_with('+'));
        // A clear fall from −8.5 to −11.2 is "lowers … by 32 %" and a negative percentage.
        let fall = [(-8.0, -11.0), (-9.0, -11.5), (-8.5, -11.2), (-8.2, -10.9)];
        let c = compare("spt", "baseline", "lateness_mean", &fall, 0.95);
        assert!(effect_sentence(&c).starts_with("lowers lateness_mean by 3"), "{}", effect_sentence(&c));
        assert!(format_percent_estimate(c.rel_change, c.rel_ci_low, c.rel_ci_high).starts_with('−'));
    }

    /// A distinguishable change below the 0.1 % practical threshold is not "lowers … by".
    #[test]
    fn tiny_effects_are_stated_as_no_practical_effect() {
        let tiny = comparison("throughput", (-9e-5, -1.7e-4, -1.3e-5), (-9.0e-5, -1.67e-4, -1.3e-5), 30);
        assert_eq!(
            effect_sentence(&tiny),
            "has no practical effect on throughput (−0.0090 % ± 0.0077 %, 95 % CI; below the 0.1 % threshold)"
        );
        assert_eq!(effect_kind(&tiny, None), EffectKind::Negligible);
        let clear = comparison("throughput", (-0.5, -0.7, -0.3), (-0.002, -0.0028, -0.0012), 30);
        assert_eq!(effect_kind(&clear, None), EffectKind::Clear);
    }

    /// A relative change against a baseline close to 0 is replaced by the absolute difference,
    /// and the sentence says why.
    #[test]
    fn meaningless_relative_changes_give_the_absolute_difference() {
        let huge = comparison("loss_fraction", (0.14, 0.13, 0.15), (13.49, 12.5, 14.5), 30);
        assert!(!relative_is_meaningful(&huge, None));
        assert_eq!(
            effect_sentence(&huge),
            "raises loss_fraction by +0.140 ± 0.010 (95 % CI; absolute difference: the baseline mean is too close to 0 for a relative change)"
        );
        // A baseline whose own interval contains 0 is noise to divide by, whatever the ratio.
        let small = comparison("loss_fraction", (3.4e-5, 1.0e-5, 5.8e-5), (5.4, 1.6, 9.2), 30);
        let base = Summary { n: 30, mean: 6.3e-6, sd: 1e-5, ci_low: -6.2e-6, ci_high: 1.9e-5 };
        assert!(relative_is_meaningful(&small, None));
        assert!(!relative_is_meaningful(&small, Some(&base)));
        assert!(
            effect_sentence_with(&small, Some(&base), &[])
                .contains("the baseline mean (6.3e-6) is too close")
        );
    }

    #[test]
    fn metrics_are_named_in_words_with_their_unit() {
        let glossary = vec![
            MetricInfo {
                pattern: "cycle_time_mean".into(),
                unit: "minutes".into(),
                description: "time from arrival to completion, mean over jobs".into(),
                lower: Some(0.0),
                upper: None,
            },
            MetricInfo {
                pattern: "utilization.*".into(),
                unit: "fraction".into(),
                description: "fraction of machines busy".into(),
                lower: Some(0.0),
                upper: Some(1.0),
            },
        ];
        assert_eq!(metric_label("cycle_time_mean", &glossary), "cycle time (cycle_time_mean, minutes)");
        assert_eq!(
            metric_label("utilization.cell", &glossary),
            "utilization of cell (utilization.cell, fraction)"
        );
        assert_eq!(metric_label("throughput", &glossary), "throughput");
        assert_eq!(metric_words("lateness_max"), "maximum lateness");
        assert_eq!(metric_words("wip_mean"), "work in process");
        assert_eq!(format_value(0.15, metric_info("utilization.cell", &glossary)), "15.0 %");
        assert_eq!(format_value(12.34, metric_info("cycle_time_mean", &glossary)), "12.34 minutes");
        let down = comparison("cycle_time_mean", (-1.2, -1.5, -0.9), (-0.12, -0.151, -0.089), 20);
        assert_eq!(
            effect_sentence_with(&down, None, &glossary),
            "lowers cycle time (cycle_time_mean, minutes) by 12.0 % ± 3.1 % (95 % CI)"
        );
    }

    #[test]
    fn directions_follow_the_documented_table() {
        assert_eq!(better("cycle_time_mean"), Better::Lower);
        assert_eq!(better("lateness_max"), Better::Lower);
        assert_eq!(better("tardy_fraction"), Better::Lower);
        assert_eq!(better("loss_fraction"), Better::Lower);
        assert_eq!(better("throughput.part"), Better::Higher);
        assert_eq!(better("utilization.cell"), Better::Neither);
        assert_eq!(better("something_else"), Better::Neither);
        assert_eq!(better("failures.press"), Better::Lower);
        assert_eq!(better("downtime_mean"), Better::Lower);
        assert_eq!(better("availability.press"), Better::Higher);
        assert_eq!(better("f1.press"), Better::Higher);
        assert_eq!(better("maintenance"), Better::Neither);
        assert_eq!(better("city.delay_mean"), Better::Lower);
        assert_eq!(better("city.vehicle_hours_delay"), Better::Lower);
        assert_eq!(better("city.queue_mean.north-in"), Better::Lower);
        assert_eq!(better("city.throughput"), Better::Higher);
        assert_eq!(better("city.phase_changes_per_hour"), Better::Neither);
        assert_eq!(metric_words("city.delay_mean.north-south"), "delay of north-south");
    }

    #[test]
    fn sentences_for_degenerate_comparisons() {
        let nan = f64::NAN;
        let undefined = comparison("throughput", (nan, nan, nan), (nan, nan, nan), 20);
        assert_eq!(
            effect_sentence(&undefined),
            "cannot be compared on throughput (undefined in some replication)"
        );
        let empty = comparison("throughput", (nan, nan, nan), (nan, nan, nan), 0);
        assert_eq!(effect_sentence(&empty), "cannot be compared on throughput (no paired replications)");
        let one = comparison("throughput", (2.7, nan, nan), (0.065, nan, nan), 1);
        assert_eq!(
            effect_sentence(&one),
            "raises throughput by 6.50 % (no confidence interval: fewer than 2 replications)"
        );
        let zero_base = comparison("lost", (2.0, 0.9, 3.1), (nan, nan, nan), 10);
        assert_eq!(
            effect_sentence(&zero_base),
            "raises lost by +2.0 ± 1.1 (95 % CI; the baseline mean is 0, so no relative change)"
        );
        let zero_base_none = comparison("lost", (0.5, -0.6, 1.6), (nan, nan, nan), 10);
        assert_eq!(
            effect_sentence(&zero_base_none),
            "has no effect on lost distinguishable from zero (+0.5 ± 1.1, 95 % CI; the baseline mean is 0, so no relative change)"
        );
        let inf = comparison("m", (f64::INFINITY, nan, nan), (nan, nan, nan), 3);
        assert_eq!(effect_sentence(&inf), "cannot be compared on m (undefined in some replication)");
    }

    #[test]
    fn percents() {
        assert_eq!(format_percent(0.065), "6.5 %");
        assert_eq!(format_percent(-0.004), "−0.40 %");
        assert_eq!(format_percent(1.5), "150 %");
        assert_eq!(format_percent(0.0), "0 %");
        assert_eq!(format_percent(0.123_45), "12.3 %");
        assert_eq!(format_percent(0.000_123), "0.012 %");
        assert_eq!(format_percent(f64::NAN), "n/a");
        assert_eq!(format_signed_percent(0.065), "+6.5 %");
        assert_eq!(format_signed_percent(-0.000_000_1), "−0.000010 %");
        assert_eq!(format_signed_percent(-0.0), "0 %");
    }

    #[test]
    fn numbers_and_intervals() {
        assert_eq!(format_number(2.7), "2.7");
        assert_eq!(format_number(12_345.6), "12346");
        assert_eq!(format_number(0.012_346), "0.01235");
        assert_eq!(format_number(-4.0), "−4");
        assert_eq!(format_number(1.234e-7), "1.23e-7");
        assert_eq!(format_number(4.56e9), "4.56e9");
        assert_eq!(format_number(f64::INFINITY), "n/a");
        assert_eq!(format_estimate(2.7, 2.41, 2.99, true), "+2.70 [2.41, 2.99]");
        assert_eq!(format_estimate(-2.7, -2.99, -2.41, true), "−2.70 [−2.99, −2.41]");
        assert_eq!(format_estimate(812.3, 790.1, 834.4, false), "812 [790, 834]");
        assert_eq!(format_estimate(3.0, f64::NAN, f64::NAN, false), "3");
        assert_eq!(format_interval(2.41, 2.99), "[2.41, 2.99]");
        assert_eq!(format_interval(f64::NAN, 1.0), "n/a");
        assert_eq!(format_percent_interval(0.057, 0.073), "[+5.70 %, +7.30 %]");
        assert_eq!(format_percent_estimate(0.063, 0.0557, 0.0703), "+6.30 % [5.57, 7.03]");
        assert_eq!(format_percent_estimate(-0.001, -0.006, 0.004), "−0.10 % [−0.60, 0.40]");
        assert_eq!(format_percent_estimate(0.065, f64::NAN, f64::NAN), "+6.5 %");
        assert_eq!(format_percent_estimate(f64::NAN, 0.0, 1.0), "n/a");
        assert_eq!(format_percent_value(0.063, 0.0557, 0.0703), "+6.30 %");
        assert_eq!(format_p_value(0.0421), "0.042");
        assert_eq!(format_p_value(0.00001), "< 0.001");
        assert_eq!(format_p_value(1.0), "1");
        assert_eq!(format_p_value(f64::NAN), "n/a");
    }

    #[test]
    fn precision_sentences_say_how_the_rounds_ended() {
        use crate::experiment::Achieved;
        use crate::scenario::HalfWidth;
        let achieved = |variant: &str, rel: f64| Achieved {
            variant: variant.into(),
            n: 30,
            mean: 2.0,
            half_width: 2.0 * rel,
            relative_half_width: rel,
        };
        let mut p = PrecisionReport {
            metric: "throughput".into(),
            target: HalfWidth::Relative(0.01),
            replications: 30,
            met: true,
            missing_metric: false,
            achieved: vec![achieved("baseline", 0.0061), achieved("v", 0.0092)],
        };
        assert_eq!(
            precision_sentence(&p, true),
            "throughput half-width ≤ 1.0 % (relative): met with 30 replications per variant; widest: `v` at ± 0.92 %"
        );
        p.met = false;
        assert!(precision_sentence(&p, false).contains("because a replication failed"));
        assert!(precision_sentence(&p, true).contains("NOT met: stopped at max_replications = 30"));
        p.target = HalfWidth::Absolute(0.01);
        assert!(
            precision_sentence(&p, true).starts_with("throughput half-width ≤ 0.01 (absolute)"),
            "{}",
            precision_sentence(&p, true)
        );
        p.achieved.clear();
        p.missing_metric = true;
        assert_eq!(
            precision_sentence(&p, true),
            "throughput half-width ≤ 0.01 (absolute): not evaluated: no replication produced the metric"
        );
    }
}
