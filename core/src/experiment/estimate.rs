//! The work of an experiment, known before it runs: expected calendar entries over every
//! variant × replication, from each variant's [`preflight`], with the cautions the rates imply.
//!
//! `validate` and `run` print it ([`WorkEstimate::describe`]) so that a horizon of `1e300` is
//! seen for what it is before anything runs, and the run warns (`large_run`) above
//! [`LARGE_RUN_EVENTS`]. Nothing is refused here: an estimate is an expectation from mean rates,
//! and a long run may be exactly what the user wants.

use super::BASELINE;
use crate::diagnostics::Warning;
use crate::domains::{RunShape, preflight};
use crate::scenario::ScenarioFile;

/// Typical engine speed on one core [calendar entries per second], for time estimates: the
/// README's M/M/1 benchmark measures 7.6–8.4 M events/s with the full framework. Large models
/// or costly plugins are slower, so times are stated as "≈".
pub const TYPICAL_EVENTS_PER_SECOND: f64 = 8e6;

/// Expected calendar entries above which a run gets the `large_run` warning: 10¹⁰ entries are
/// about 21 minutes on one core at [`TYPICAL_EVENTS_PER_SECOND`], longer than any shipped
/// scenario by two orders of magnitude, and the usual sign of a horizon or replication count
/// typed with extra zeros.
pub const LARGE_RUN_EVENTS: f64 = 1e10;

/// Warning code of a run above [`LARGE_RUN_EVENTS`].
pub const LARGE_RUN: &str = "large_run";

/// The expected work of one variant.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantWork {
    /// `baseline` or the variant's name.
    pub variant: String,
    /// Expected calendar entries of one of its replications (`+∞` if beyond `f64`).
    pub events_per_replication: f64,
}

/// The expected work of a whole experiment (see [`estimate`]).
#[derive(Clone, Debug, PartialEq)]
pub struct WorkEstimate {
    /// Every variant, the baseline first, in the order the experiment runs them.
    pub variants: Vec<VariantWork>,
    /// Replications per variant that certainly run: `replications` (with a precision target, its
    /// first batch).
    pub min_replications: u32,
    /// Replications per variant at most: `max_replications` with a precision target, else
    /// `replications`.
    pub max_replications: u32,
    /// Expected calendar entries with [`min_replications`](Self::min_replications) each.
    pub events_min: f64,
    /// Expected calendar entries with [`max_replications`](Self::max_replications) each.
    pub events_max: f64,
    /// The cautions of every variant's rates (`overloaded`, `heavy_load`; a caution that holds
    /// in every variant alike is given once with `variant: None`), then `large_run` if
    /// [`events_max`](Self::events_max) exceeds [`LARGE_RUN_EVENTS`].
    pub warnings: Vec<Warning>,
}

impl WorkEstimate {
    /// Whether the run exceeds [`LARGE_RUN_EVENTS`] at its largest.
    pub fn is_large(&self) -> bool {
        self.events_max > LARGE_RUN_EVENTS
    }

    /// Expected wall time \[s\] of `events` on `threads` cores at [`TYPICAL_EVENTS_PER_SECOND`]
    /// each (`+∞` saturates).
    pub fn seconds(events: f64, threads: usize) -> f64 {
        events / (TYPICAL_EVENTS_PER_SECOND * threads.max(1) as f64)
    }

    /// The estimate in words, e.g. `about 2.4·10⁹ events (≈ 5 min on 1 core at 8 M events/s)`,
    /// or with a precision target `about 8.0·10⁶ to 2.0·10⁸ events (≈ 1 s to 25 s on …)`.
    pub fn describe(&self, threads: usize) -> String {
        let cores = match threads.max(1) {
            1 => "1 core".to_owned(),
            n => format!("{n} cores"),
        };
        let at = format!("on {cores} at {} M events/s", TYPICAL_EVENTS_PER_SECOND / 1e6);
        let time = |events| duration_words(Self::seconds(events, threads));
        let (low, high) = (time(self.events_min), time(self.events_max));
        let time = match (low, high) {
            (low, high) if low == high && (high == "forever" || high.starts_with("under")) => high,
            (low, high) if low == high => format!("≈ {high}"),
            (low, high) => format!("≈ {low} to {high}"),
        };
        let events = if self.events_min == self.events_max {
            match self.events_max {
                e if e.is_finite() => format!("about {}", events_words(e)),
                e => events_words(e),
            }
        } else {
            format!("about {} to {}", events_words(self.events_min), events_words(self.events_max))
        };
        format!("{events} events ({time} {at})")
    }
}

/// The expected work of running `file`: every variant's [`preflight`] times the replications
/// (a precision target's first batch as the lower end, `max_replications` as the upper). Never
/// panics, whatever the horizon: totals saturate to `+∞`.
pub fn estimate(file: &ScenarioFile) -> WorkEstimate {
    let experiment = &file.baseline.experiment;
    let min_replications = experiment.replications;
    let max_replications =
        experiment.target.as_ref().map_or(min_replications, |t| t.max_replications.max(min_replications));
    let scenarios = std::iter::once((BASELINE, &file.baseline))
        .chain(file.variants.iter().map(|v| (v.name.as_str(), &v.scenario)));
    let mut variants = Vec::new();
    let mut found: Vec<(String, Warning)> = Vec::new();
    for (name, scenario) in scenarios {
        let p = preflight(
            &scenario.domains,
            RunShape { horizon: scenario.horizon, time_unit: scenario.time_unit },
        );
        variants
            .push(VariantWork { variant: name.to_owned(), events_per_replication: p.events_per_replication });
        found.extend(p.warnings.into_iter().map(|w| (name.to_owned(), w)));
    }
    let per_replication: f64 = variants.iter().map(|v| v.events_per_replication).sum();
    let events_min = per_replication * f64::from(min_replications);
    let events_max = per_replication * f64::from(max_replications);

    // A caution found in every variant alike is one caution about the scenario.
    let mut warnings: Vec<Warning> = Vec::new();
    for (i, (_, w)) in found.iter().enumerate() {
        let same = |(_, o): &(String, Warning)| o.code == w.code && o.message == w.message;
        if found[..i].iter().any(same) {
            continue;
        }
        let everywhere = found.iter().filter(|o| same(o)).count() == variants.len();
        if everywhere {
            warnings.push(Warning { variant: None, ..w.clone() });
        } else {
            warnings.extend(
                found[i..]
                    .iter()
                    .filter(|o| same(o))
                    .map(|(n, o)| Warning { variant: Some(n.clone()), ..o.clone() }),
            );
        }
    }

    let mut estimate =
        WorkEstimate { variants, min_replications, max_replications, events_min, events_max, warnings };
    if estimate.is_large() {
        let largest = estimate
            .variants
            .iter()
            .max_by(|a, b| a.events_per_replication.total_cmp(&b.events_per_replication))
            .map(|v| {
                format!(
                    "; one replication of `{}` alone is about {} events",
                    v.variant,
                    events_words(v.events_per_replication)
                )
            })
            .unwrap_or_default();
        let message = format!(
            "this run is {} over {} variant(s) × {} replication(s){largest}: more than the {} events above which \
             Xinzhi warns; check `horizon` ({} {}) and the replications",
            estimate.describe(1),
            estimate.variants.len(),
            if min_replications == max_replications {
                max_replications.to_string()
            } else {
                format!("{min_replications} to {max_replications}")
            },
            events_words(LARGE_RUN_EVENTS),
            written_number(file.baseline.horizon.as_f64()),
            file.baseline.time_unit.name(),
        );
        estimate.warnings.push(Warning { code: LARGE_RUN.to_owned(), variant: None, message });
    }
    estimate
}

/// A number as a scenario writes it, in scientific notation when it is huge (`1e300`, not 301
/// digits).
pub fn written_number(x: f64) -> String {
    if x.abs() < 1e15 { x.to_string() } else { format!("{x:e}") }
}

/// A count of events in words: exact below 10 000 (`800`), else two significant digits
/// (`2.4·10⁹`); `more than 10³⁰⁸` when it does not fit in an `f64`.
pub fn events_words(events: f64) -> String {
    if !events.is_finite() {
        return "more than 10³⁰⁸".to_owned();
    }
    if events < 1e4 {
        return format!("{}", events.round());
    }
    let exponent = events.log10().floor();
    let mut mantissa = events / 10f64.powf(exponent);
    let mut exponent = exponent as i32;
    // 9.96 rounds to 10.0: carry into the exponent.
    if (mantissa * 10.0).round() >= 100.0 {
        mantissa /= 10.0;
        exponent += 1;
    }
    format!("{mantissa:.1}·10{}", superscript(exponent))
}

fn superscript(n: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let sign = if n < 0 { "⁻" } else { "" };
    let digits: String =
        n.unsigned_abs().to_string().chars().map(|c| DIGITS[c as usize - '0' as usize]).collect();
    format!("{sign}{digits}")
}

/// A wall time \[s\] in words: `under 1 s`, `40 s`, `5 min`, `3.2 h`, `12 days`, `2.4·10⁹ years`,
/// `forever` for `+∞`.
pub fn duration_words(seconds: f64) -> String {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 3600.0;
    const DAY: f64 = 86_400.0;
    const YEAR: f64 = 365.25 * DAY;
    if !seconds.is_finite() {
        return "forever".to_owned();
    }
    if seconds < 1.0 {
        "under 1 s".to_owned()
    } else if seconds < MINUTE {
        format!("{} s", seconds.round())
    } else if seconds < HOUR {
        format!("{} min", (seconds / MINUTE).round())
    } else if seconds < 2.0 * DAY {
        format!("{:.1} h", seconds / HOUR)
    } else if seconds < YEAR {
        format!("{} days", (seconds / DAY).round())
    } else {
        format!("{} years", events_words(seconds / YEAR))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::scenario::{Override, parse};

    const MM1: &str = r#"
[scenario]
name = "mm1"
domain = "factory"
time_unit = "minute"
horizon = 1000

[experiment]
replications = 4

[[factory.source]]
name = "orders"
product = "widget"
interarrival = { dist = "exponential", mean = 1.25 }
[[factory.product]]
name = "widget"
route = ["mill"]
[[factory.station]]
name = "mill"
machines = 1
process = { dist = "exponential", mean = 1.0 }
"#;

    fn file(text: &str, sets: &[&str]) -> ScenarioFile {
        let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
        parse(Path::new("mm1.toml"), text, &overrides).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn mm1_events_are_two_per_arrival_per_replication() {
        let e = estimate(&file(MM1, &[]));
        assert_eq!(e.variants, [VariantWork { variant: "baseline".into(), events_per_replication: 1600.0 }]);
        assert_eq!((e.min_replications, e.max_replications), (4, 4));
        assert_eq!((e.events_min, e.events_max), (6400.0, 6400.0));
        assert!(e.warnings.is_empty(), "{:?}", e.warnings);
        assert!(!e.is_large());
        assert_eq!(e.describe(1), "about 6400 events (under 1 s on 1 core at 8 M events/s)");
    }

    #[test]
    fn variants_add_up_and_a_target_gives_a_range() {
        let text = MM1.replace(
            "replications = 4",
            "replications = 4\ntarget = { metric = \"wip_mean\", relative_half_width = 0.01 }\nmax_replications = 40",
        ) + "[[variant]]\nname = \"busy\"\nset = { \"factory.source.orders.interarrival\" = 0.5 }\n";
        let e = estimate(&file(&text, &[]));
        // busy: 2000 arrivals × 2 entries.
        assert_eq!(e.variants[1], VariantWork { variant: "busy".into(), events_per_replication: 4000.0 });
        assert_eq!((e.min_replications, e.max_replications), (4, 40));
        assert_eq!((e.events_min, e.events_max), (5600.0 * 4.0, 5600.0 * 40.0));
        assert!(
            e.describe(2).starts_with("about 2.2·10⁴ to 2.2·10⁵ events (under 1 s on 2 cores"),
            "{}",
            e.describe(2)
        );
        // Only the variant is overloaded (ρ = 2), so its warning names it.
        assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
        assert_eq!(e.warnings[0].code, "overloaded");
        assert_eq!(e.warnings[0].variant.as_deref(), Some("busy"));
    }

    #[test]
    fn a_caution_of_every_variant_is_given_once() {
        let text =
            MM1.to_owned() + "[[variant]]\nname = \"two\"\nset = { \"factory.source.orders.weight\" = 2 }\n";
        let e = estimate(&file(&text, &["factory.source.orders.interarrival=0.8"]));
        assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
        assert_eq!(e.warnings[0].variant, None);
    }

    #[test]
    fn an_absurd_horizon_is_a_large_run_not_a_panic() {
        let e = estimate(&file(MM1, &["scenario.horizon=1e300"]));
        assert!(e.events_max.is_finite() && e.is_large());
        let w = e.warnings.last().unwrap();
        assert_eq!(w.code, LARGE_RUN);
        assert!(w.message.starts_with("this run is about 6.4·10³⁰⁰ events (≈ "), "{}", w.message);
        assert!(w.message.contains("years on 1 core"), "{}", w.message);
        let e = estimate(&file(MM1, &["scenario.horizon=1e300", "factory.source.orders.interarrival=1e-10"]));
        assert_eq!(e.events_max, f64::INFINITY);
        assert!(e.describe(4).starts_with("more than 10³⁰⁸ events (forever on 4 cores"), "{}", e.describe(4));
    }

    #[test]
    fn words_for_counts_and_times() {
        assert_eq!(events_words(800.0), "800");
        assert_eq!(events_words(2.4e9), "2.4·10⁹");
        assert_eq!(events_words(9.96e9), "1.0·10¹⁰");
        assert_eq!(events_words(1.0e4), "1.0·10⁴");
        assert_eq!(duration_words(0.2), "under 1 s");
        assert_eq!(duration_words(40.0), "40 s");
        assert_eq!(duration_words(300.0), "5 min");
        assert_eq!(duration_words(3.2 * 3600.0), "3.2 h");
        assert_eq!(duration_words(12.0 * 86_400.0), "12 days");
        assert_eq!(duration_words(f64::INFINITY), "forever");
    }
}
