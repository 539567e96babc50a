//! `report.html`: a self-contained what-if report for decision makers.
//!
//! [`render`] turns a [`ReportInput`] (filled by the caller from a run's results) into one
//! HTML5 page: inline CSS and SVG, no script, no external URL, printable. The same input gives
//! the same bytes. Sections: the question, the headline (each effect in plain words), a forest
//! plot of relative effects, per-metric means, time series and sweep charts when the run has
//! them, full summary and comparison tables, and provenance. An incomplete run is flagged at
//! the top. Large experiments are capped in the charts and headline, and the page says so.
//!
//! | file | concern |
//! |---|---|
//! | `input.rs` | the input types |
//! | `words.rs` | numbers and effects in plain words ([`effect_sentence`], [`format_percent`]), the metrics' direction, the practical threshold |
//! | `answer.rs` | the answer first: the best variant per key metric and its trade-offs ([`findings`]) |
//! | `data.rs` | lookups, key metrics, series means, sweep lines, caps |
//! | `font.rs` | the embedded DejaVu Sans, registered once for plotters |
//! | `charts.rs` | the SVG charts (plotters) |
//! | `html.rs`, `report.css` | the page |
//! | `figures.rs` | the page's figures: forest panels, means, time series, sweeps |
//! | `from_run.rs` | [`ReportInput::from_run`]: the input of an output folder |

mod answer;
mod charts;
mod data;
mod figures;
mod font;
mod from_run;
mod html;
mod input;
mod words;

#[cfg(test)]
mod tests;

pub use answer::{Finding, findings};
pub use input::{PluginInfo, Provenance, ReportInput, SeriesInput, VariantInfo};
pub use words::{
    Better, DIRECTIONS, EffectKind, MAX_RELATIVE_CHANGE, PRACTICAL_THRESHOLD, better, effect_kind,
    effect_sentence, effect_sentence_with, format_estimate, format_interval, format_number, format_p_value,
    format_percent, format_percent_estimate, format_percent_interval, format_signed_percent, format_value,
    metric_info, metric_label, metric_words, precision_sentence, relative_is_meaningful,
};

/// Rendering a report failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The embedded chart font could not be loaded (a defect of the build, not of the input).
    #[error("the report's embedded font could not be loaded")]
    Font,
}

/// The report as one self-contained HTML page.
///
/// Any input renders: NaN and missing values read "n/a", empty sections say so, names are
/// escaped. A chart that cannot be drawn is replaced by a note saying so.
///
/// # Errors
/// [`ReportError::Font`] if the embedded font cannot be parsed.
pub fn render(input: &ReportInput) -> Result<String, ReportError> {
    if !font::ensure_registered() {
        return Err(ReportError::Font);
    }
    Ok(html::page(input))
}
