//! Checks and messages shared by the collectors, so that the same malformed input gets the same
//! error whichever collector sees it.

use xinzhi_plugin::{
    Aggregate, Catalogue, Config, KindInfo, MetricDecl, PluginError, Record, Report, Window,
};

/// Parses the parameters of a component that takes none: any key is an error naming it.
pub(crate) fn no_parameters(config: &Config<'_>) -> Result<(), PluginError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NoParams {}
    let NoParams {} = config.parse()?;
    Ok(())
}

/// The window must be a finite, non-empty interval: every metric divides by its length.
pub(crate) fn check_window(window: Window) -> Result<(), PluginError> {
    let Window { warmup, horizon } = window;
    if warmup.is_finite() && horizon.is_finite() && warmup < horizon {
        Ok(())
    } else {
        Err(PluginError::invalid_input(format!(
            "measurement window [{warmup}, {horizon}]: warmup and horizon must be finite with warmup < horizon"
        )))
    }
}

/// A kind without subjects could never receive a valid record; the catalogue is broken.
pub(crate) fn check_subjects(catalogue: &Catalogue) -> Result<(), PluginError> {
    match catalogue.kinds.iter().find(|k| k.subjects.is_empty()) {
        Some(kind) => Err(PluginError::invalid_input(format!("record kind `{}` has no subjects", kind.name))),
        None => Ok(()),
    }
}

/// Checks what every record must satisfy whatever its kind: a finite time not before the
/// previous record's (`last`, updated) and a finite value.
///
/// Cheap enough for every record, and it turns a host or model bug into a clear error instead of
/// a NaN metric (which the host would report as a fault of this plugin) or a silently wrong
/// integral.
#[inline]
pub(crate) fn check_record(r: &Record, last: &mut f64) -> Result<(), PluginError> {
    if !r.time.is_finite() || !r.value.is_finite() {
        return Err(PluginError::invalid_input(format!(
            "record of kind {} (subject {}) has time {} and value {}: both must be finite",
            r.kind, r.subject, r.time, r.value
        )));
    }
    if r.time < *last {
        return Err(PluginError::invalid_input(format!(
            "record of kind {} at time {} comes after one at time {}: records must come in \
             non-decreasing time",
            r.kind, r.time, *last
        )));
    }
    *last = r.time;
    Ok(())
}

/// The error for a record whose kind is not in the catalogue.
#[cold]
pub(crate) fn unknown_kind(r: &Record, kinds: usize) -> PluginError {
    PluginError::invalid_input(format!(
        "record of unknown kind {} (the catalogue has {kinds} kind{})",
        r.kind,
        if kinds == 1 { "" } else { "s" }
    ))
}

/// The error for a record whose subject is not one of its kind's.
#[cold]
pub(crate) fn unknown_subject(r: &Record, kind: &KindInfo) -> PluginError {
    let n = kind.subjects.len();
    PluginError::invalid_input(format!(
        "record of kind {} (`{}`) has unknown subject {} (the kind has {n} subject{})",
        r.kind,
        kind.name,
        r.subject,
        if n == 1 { "" } else { "s" }
    ))
}

/// The name of the per-subject metric `base.subject`.
pub(crate) fn subject_metric(base: &str, subject: &str) -> String {
    format!("{base}.{subject}")
}

/// What a kind's values are, in words: its description, or its name when it has none.
fn what(kind: &KindInfo) -> String {
    if kind.description.is_empty() { format!("`{}` records", kind.name) } else { kind.description.clone() }
}

/// The subjects for a description: `mill, lathe`, at most five named.
fn subject_list(kind: &KindInfo) -> String {
    const SHOWN: usize = 5;
    let mut names = kind.subjects.iter().take(SHOWN).map(String::as_str).collect::<Vec<_>>().join(", ");
    if kind.subjects.len() > SHOWN {
        names.push_str(&format!(" and {} more", kind.subjects.len() - SHOWN));
    }
    names
}

/// A bound of the per-subject level metric: the time average of a level that is 0 until its
/// first record, so 0 is always a possible value.
fn with_zero(bound: Option<f64>, toward: fn(f64, f64) -> f64) -> Option<f64> {
    bound.map(|b| toward(b, 0.0))
}

/// The metrics the `kpi` aggregation of `catalogue` produces, with units (in the catalogue's
/// words, `{time}` left for the host), meanings and bounds; exactly the names
/// `kpi`'s `finish` pushes, per-subject ones as the family `metric.*`.
///
/// Bounds follow from the kind's: a time average or a mean of values in `[lo, hi]` stays in it
/// (a level also takes 0 before its first record, so 0 is included); a total of levels adds up
/// the subjects' (`n·lo`, `n·hi`); a rate is `>= 0`.
pub(crate) fn kpi_declarations(catalogue: &Catalogue) -> Vec<MetricDecl> {
    let mut out = Vec::new();
    for kind in &catalogue.kinds {
        let n = kind.subjects.len() as f64;
        let rate_unit = |unit: &str| if unit.is_empty() { "per {time}".to_owned() } else { unit.to_owned() };
        let (unit, text, (lower, upper), total_bounds) = match kind.aggregate {
            Aggregate::Level => {
                let per = (with_zero(kind.lower, f64::min), with_zero(kind.upper, f64::max));
                let total = (per.0.map(|b| b * n), per.1.map(|b| b * n));
                (kind.unit.clone(), format!("time-average of {}", what(kind)), per, total)
            }
            Aggregate::Sample => {
                let b = (kind.lower, kind.upper);
                (kind.unit.clone(), format!("{}, averaged over the measurement window", what(kind)), b, b)
            }
            Aggregate::Rate => {
                let b = (Some(0.0), None);
                (
                    rate_unit(&kind.unit),
                    format!("{} per {{time}} over the measurement window", what(kind)),
                    b,
                    b,
                )
            }
        };
        let rate = kind.rate_metric.as_ref().filter(|_| kind.aggregate == Aggregate::Sample).map(|name| {
            let counted = if kind.rate_description.is_empty() {
                format!("`{}` observations", kind.name)
            } else {
                kind.rate_description.clone()
            };
            (name, rate_unit(&kind.rate_unit), format!("{counted} per {{time}} over the measurement window"))
        });
        let subjects = subject_list(kind);
        // Per subject by exact name, not as a `metric.*` family: a target naming a subject that
        // does not exist (`utilization.mil`) is then found before anything runs.
        if matches!(kind.report, Report::PerSubject | Report::Both) {
            for subject in &kind.subjects {
                let of = format!(", of `{subject}`");
                out.push(
                    MetricDecl::new(format!("{}.{subject}", kind.metric), &unit, format!("{text}{of}"))
                        .bounds(lower, upper),
                );
                if let Some((name, unit, text)) = &rate {
                    out.push(
                        MetricDecl::new(format!("{name}.{subject}"), unit, format!("{text}{of}"))
                            .bounds(Some(0.0), None),
                    );
                }
            }
        }
        if matches!(kind.report, Report::Total | Report::Both) {
            let (all, rate_all) = match (kind.subjects.len(), kind.aggregate) {
                (0 | 1, _) => (String::new(), String::new()),
                (_, Aggregate::Sample) => {
                    (format!(", pooled over {subjects}"), format!(", summed over {subjects}"))
                }
                _ => (format!(", summed over {subjects}"), format!(", summed over {subjects}")),
            };
            out.push(
                MetricDecl::new(&kind.metric, &unit, format!("{text}{all}"))
                    .bounds(total_bounds.0, total_bounds.1),
            );
            if let Some((name, unit, text)) = &rate {
                out.push(
                    MetricDecl::new(name.as_str(), unit, format!("{text}{rate_all}")).bounds(Some(0.0), None),
                );
            }
        }
    }
    out
}
