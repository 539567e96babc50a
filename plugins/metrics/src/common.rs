//! Checks and messages shared by the collectors, so that the same malformed input gets the same
//! error whichever collector sees it.

use xinzhi_plugin::{Catalogue, Config, KindInfo, PluginError, Record, Window};

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
