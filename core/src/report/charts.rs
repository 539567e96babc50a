//! The charts, as inline SVG drawn with plotters.
//!
//! Two shapes cover every chart of the report:
//!
//! - [`rows_chart`]: one labelled row per item, a dot or a bar with a horizontal interval
//!   (the forest plot and the per-metric bar charts). Labels are drawn beside the plot, so
//!   long names stay readable; a note at the right gives the number.
//! - [`line_chart`]: lines over a numeric or categorical x axis with optional vertical
//!   intervals and a horizontal reference line (time series and sweeps).
//!
//! Only finite values are drawn; ranges are padded and never empty, so no coordinate is NaN.
//! Legends are not drawn here: the page lists them in HTML under each chart.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::font::{FAMILY, ensure_registered};
use super::words::format_number;

/// Width of every chart [px] (the page scales it down on narrow screens).
pub(crate) const WIDTH: u32 = 960;
/// Most room for row labels left of a rows chart [px] (labels are cut to fit beyond it).
const MAX_LABEL_WIDTH: u32 = 360;
/// Most room for the number right of a rows chart [px].
const MAX_NOTE_WIDTH: u32 = 300;
/// Height of one row [px].
const ROW_HEIGHT: u32 = 28;
/// Longest label drawn (in characters); longer ones end in "…".
const MAX_LABEL_CHARS: usize = 46;

/// Baseline grey, then the Okabe–Ito colour-blind-safe palette (yellow dropped: unreadable
/// on white), then two extra.
pub(crate) const PALETTE: [RGBColor; 9] = [
    BASELINE,
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0x99, 0x99, 0x33),
];
/// Colour of the baseline.
pub(crate) const BASELINE: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Colour of effects distinguishable from zero.
pub(crate) const EFFECT: RGBColor = RGBColor(0x00, 0x5A, 0x9C);
/// Colour of effects not distinguishable from zero.
pub(crate) const NO_EFFECT: RGBColor = RGBColor(0x9A, 0x9A, 0x9A);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
const BAND: RGBColor = RGBColor(0xF4, 0xF6, 0xF8);
const AXIS: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// `#RRGGBB` of a colour, for HTML legends.
pub(crate) fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The colour of the `i`-th line or bar (0 is the baseline's grey).
pub(crate) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn text(size: u32, color: &'static RGBColor) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(color)
}

/// Width of `s` in the embedded font at `size` px, as the SVG will draw it [px]. A string the
/// font cannot measure is given a generous 0.7 em per character.
pub(crate) fn text_width(s: &str, size: u32) -> u32 {
    let fallback = || u32::try_from(s.chars().count()).unwrap_or(u32::MAX / 2).saturating_mul(size * 7 / 10);
    if !ensure_registered() {
        return fallback();
    }
    (FAMILY, size).into_font().box_size(s).map_or_else(|_| fallback(), |(w, _)| w)
}

/// `label` cut (with "…") until it is at most `max` px wide at `size` px.
fn fit(label: &str, size: u32, max: u32) -> String {
    let mut s = short(label);
    while text_width(&s, size) > max && s.chars().count() > 2 {
        let keep = s.chars().count() - 2;
        s = s.chars().take(keep).collect();
        s.push('…');
    }
    s
}

/// `label` cut to [`MAX_LABEL_CHARS`] characters.
pub(crate) fn short(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// A padded, non-empty range around the finite values (and 0 if `with_zero`).
fn padded_range(values: impl IntoIterator<Item = f64>, with_zero: bool, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite() && v.abs() < 1e100) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if with_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if lo > hi {
        return (-1.0, 1.0);
    }
    let span = hi - lo;
    if span <= f64::EPSILON * hi.abs().max(lo.abs()).max(1e-300) {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - d, hi + d);
    }
    let (lo_pad, hi_pad) = (lo - span * pad, hi + span * pad);
    // Keep an axis that starts at zero there.
    (if with_zero && lo == 0.0 { 0.0 } else { lo_pad }, if with_zero && hi == 0.0 { 0.0 } else { hi_pad })
}

fn finite(v: f64) -> bool {
    v.is_finite() && v.abs() < 1e100
}

/// Adds `role="img"` and an accessible name to plotters' root `<svg>`.
fn finish(svg: String, name: &str) -> String {
    // Inline SVG in HTML needs no namespace, and the page is to name no URL at all.
    let name = super::html::escape(name);
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1).replacen(
        "<svg ",
        &format!("<svg class=\"chart\" role=\"img\" aria-label=\"{name}\" "),
        1,
    )
}

/// How a row shows its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// A dot with an interval (forest plot).
    Dot,
    /// A bar from 0 with an interval.
    Bar,
}

/// One row of a [`rows_chart`].
pub(crate) struct Row {
    /// Label left of the plot.
    pub label: String,
    /// The estimate.
    pub value: f64,
    /// Interval ends (NaN: no interval).
    pub low: f64,
    /// Interval ends (NaN: no interval).
    pub high: f64,
    /// Colour of the mark.
    pub color: RGBColor,
    /// Text right of the plot.
    pub note: String,
    /// Whether the row's background is shaded (to group rows).
    pub shaded: bool,
}

/// One labelled row per item: dots or bars with horizontal intervals and a line at 0.
pub(crate) fn rows_chart(
    name: &str,
    rows: &[Row],
    mark: Mark,
    x_desc: &str,
    percent: bool,
) -> Result<String, String> {
    if !ensure_registered() {
        return Err("the embedded font could not be loaded".to_owned());
    }
    let n = rows.len().max(1);
    let (top, bottom) = (12u32, 52u32);
    let height = top + bottom + ROW_HEIGHT * u32::try_from(n).unwrap_or(u32::MAX / 64).min(10_000);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        draw_rows(&root, rows, mark, x_desc, percent, (top, bottom), n)?;
        root.present().map_err(err)?;
    }
    Ok(finish(svg, name))
}

fn draw_rows(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    rows: &[Row],
    mark: Mark,
    x_desc: &str,
    percent: bool,
    (top, bottom): (u32, u32),
    n: usize,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let values = rows.iter().flat_map(|r| [r.value, r.low, r.high]);
    let (lo, hi) = padded_range(values, true, 0.06);
    let y_max = n as f64 - 0.5;
    // Margins are measured, not guessed: every label and note is drawn whole.
    let labels: Vec<String> = rows.iter().map(|r| fit(&r.label, 16, MAX_LABEL_WIDTH)).collect();
    let label_width = labels.iter().map(|l| text_width(l, 16)).max().unwrap_or(0) + 24;
    let notes: Vec<String> = rows.iter().map(|r| r.note.clone()).collect();
    let note_width =
        (notes.iter().map(|n| text_width(n, 15)).max().unwrap_or(0) + 24).clamp(48, MAX_NOTE_WIDTH + 24);
    // The x axis's end labels are centred on the plot's edges: leave half a label of room.
    let tick_room = text_width(
        &format!("−{}{}", format_number(hi.abs().max(lo.abs())), if percent { " %" } else { "" }),
        15,
    ) / 2
        + 8;
    let mut chart = ChartBuilder::on(root)
        .margin_top(top)
        .margin_right(note_width.max(tick_room))
        .x_label_area_size(bottom)
        .y_label_area_size(label_width.max(tick_room))
        .build_cartesian_2d(lo..hi, -0.5..y_max)
        .map_err(err)?;
    let unit = if percent { " %" } else { "" };
    // Ticks are computed in floating point: one meant to be 0 can come out as ±1e-18.
    let span = (hi - lo).abs();
    let formatter =
        |v: &f64| format!("{}{unit}", format_number(if v.abs() < 1e-9 * span { 0.0 } else { *v }));
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(8)
        .x_label_formatter(&formatter)
        .x_desc(x_desc)
        .label_style(text(15, &MUTED))
        .axis_desc_style(text(16, &INK))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS)
        .draw()
        .map_err(err)?;
    // Row i is drawn at y = n − 1 − i, so the first row is at the top.
    let y_of = |i: usize| (n - 1 - i) as f64;
    chart
        .draw_series(
            rows.iter()
                .enumerate()
                .filter(|(_, r)| r.shaded)
                .map(|(i, _)| Rectangle::new([(lo, y_of(i) - 0.5), (hi, y_of(i) + 0.5)], BAND.filled())),
        )
        .map_err(err)?;
    if lo < 0.0 && hi > 0.0 || mark == Mark::Dot {
        chart
            .draw_series([PathElement::new(vec![(0.0, -0.5), (0.0, y_max)], INK.stroke_width(1))])
            .map_err(err)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = y_of(i);
        if mark == Mark::Bar && finite(r.value) {
            let bar = Rectangle::new([(0.0, y - 0.32), (r.value, y + 0.32)], r.color.mix(0.85).filled());
            chart.draw_series([bar]).map_err(err)?;
        }
        if finite(r.low) && finite(r.high) {
            let ink = if mark == Mark::Bar { INK } else { r.color };
            let style = ink.stroke_width(2);
            let cap = 0.22;
            chart
                .draw_series([
                    PathElement::new(vec![(r.low, y), (r.high, y)], style),
                    PathElement::new(vec![(r.low, y - cap), (r.low, y + cap)], style),
                    PathElement::new(vec![(r.high, y - cap), (r.high, y + cap)], style),
                ])
                .map_err(err)?;
        }
        if mark == Mark::Dot && finite(r.value) {
            chart.draw_series([Circle::new((r.value, y), 5, r.color.filled())]).map_err(err)?;
        }
        let (left, py) = chart.backend_coord(&(lo, y));
        let (right, _) = chart.backend_coord(&(hi, y));
        let label_style = text(16, &INK).pos(Pos::new(HPos::Right, VPos::Center));
        root.draw(&Text::new(labels[i].clone(), (left - 10, py), label_style)).map_err(err)?;
        let note_style = text(15, &MUTED).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(notes[i].clone(), (right + 10, py), note_style)).map_err(err)?;
    }
    Ok(())
}

/// One line of a [`line_chart`].
pub(crate) struct Line {
    /// Colour.
    pub color: RGBColor,
    /// Points `(x, y)`, in x order.
    pub points: Vec<(f64, f64)>,
    /// Vertical intervals `(x, low, high)`.
    pub intervals: Vec<(f64, f64, f64)>,
}

/// The x axis of a [`line_chart`].
pub(crate) enum XAxis<'a> {
    /// Numbers with automatic ticks, and this description.
    Numeric(&'a str),
    /// Ticks labelled at these positions (swept values, or categories at 0, 1, …), and this
    /// description.
    Labelled(&'a str, Vec<(f64, &'a str)>),
}

/// Most tick labels drawn on a labelled axis (every k-th beyond).
const MAX_TICK_LABELS: usize = 16;

/// A point drawn apart from the lines: the baseline at its own value of a swept path.
pub(crate) struct Marked<'a> {
    /// x coordinate.
    pub x: f64,
    /// The estimate.
    pub y: f64,
    /// Its interval (NaN: none).
    pub low: f64,
    /// Its interval (NaN: none).
    pub high: f64,
    /// Label beside it.
    pub label: &'a str,
}

/// Lines (with points and optional intervals) over x, with an optional horizontal reference
/// line `(y, label)` and an optional marked point.
pub(crate) fn line_chart(
    name: &str,
    lines: &[Line],
    x_axis: &XAxis<'_>,
    y_desc: &str,
    reference: Option<(f64, &str)>,
    marked: Option<&Marked<'_>>,
    dots: bool,
) -> Result<String, String> {
    if !ensure_registered() {
        return Err("the embedded font could not be loaded".to_owned());
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 380)).into_drawing_area();
        draw_lines(&root, lines, x_axis, y_desc, reference, marked, dots)?;
        root.present().map_err(err)?;
    }
    Ok(finish(svg, name))
}

fn draw_lines(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    lines: &[Line],
    x_axis: &XAxis<'_>,
    y_desc: &str,
    reference: Option<(f64, &str)>,
    marked: Option<&Marked<'_>>,
    dots: bool,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let marked_x = marked.map(|m| m.x);
    let (x_lo, x_hi) = match x_axis {
        XAxis::Numeric(_) => {
            padded_range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).chain(marked_x), false, 0.03)
        }
        XAxis::Labelled(_, ticks) => padded_range(ticks.iter().map(|t| t.0).chain(marked_x), false, 0.06),
    };
    let ys = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1).chain(l.intervals.iter().flat_map(|i| [i.1, i.2])))
        .chain(reference.map(|r| r.0))
        .chain(marked.into_iter().flat_map(|m| [m.y, m.low, m.high]));
    let (y_lo, y_hi) = padded_range(ys, false, 0.08);
    // The y tick labels' room is measured on the widest number the axis can show.
    let widest = [y_lo, y_hi, (y_lo + y_hi) / 2.0]
        .iter()
        .map(|v| text_width(&format_number(*v), 15))
        .max()
        .unwrap_or(40);
    let mut chart = ChartBuilder::on(root)
        .margin_top(14)
        .margin_right(28)
        .margin_left(8)
        .x_label_area_size(52)
        .y_label_area_size(widest + 46)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
        .map_err(err)?;
    let x_desc = match x_axis {
        XAxis::Numeric(d) | XAxis::Labelled(d, _) => *d,
    };
    // Ticks are computed in floating point: one meant to be 0 can come out as ±1e-21.
    let snap = |v: f64, span: f64| if v.abs() < 1e-9 * span { 0.0 } else { v };
    let (x_span, y_span) = ((x_hi - x_lo).abs(), (y_hi - y_lo).abs());
    let x_formatter = |v: &f64| format_number(snap(*v, x_span));
    let y_formatter = |v: &f64| format_number(snap(*v, y_span));
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc)
        .y_desc(short(y_desc))
        .x_label_formatter(&x_formatter)
        .y_label_formatter(&y_formatter)
        .x_labels(10)
        .y_labels(8)
        .label_style(text(15, &MUTED))
        .axis_desc_style(text(16, &INK))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS);
    if matches!(x_axis, XAxis::Labelled(..)) {
        mesh.x_labels(0).disable_x_mesh();
    }
    mesh.draw().map_err(err)?;
    if let XAxis::Labelled(_, ticks) = x_axis {
        let style = text(15, &MUTED).pos(Pos::new(HPos::Center, VPos::Top));
        let step = ticks.len().div_ceil(MAX_TICK_LABELS).max(1);
        // Labels are kept apart on any scale: one that would touch the previous one drawn (by
        // its measured width) is left out; its grid line and tick stay.
        let mut sorted: Vec<(f64, &str)> =
            ticks.iter().step_by(step).copied().filter(|t| finite(t.0)).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut right_edge = i32::MIN;
        for (x, label) in sorted {
            chart
                .draw_series([PathElement::new(vec![(x, y_lo), (x, y_hi)], GRID.stroke_width(1))])
                .map_err(err)?;
            let (px, py) = chart.backend_coord(&(x, y_lo));
            root.draw(&PathElement::new(vec![(px, py), (px, py + 5)], AXIS.stroke_width(1))).map_err(err)?;
            let label = short(label);
            let half = i32::try_from(text_width(&label, 15) / 2).unwrap_or(i32::MAX / 4);
            if px - half >= right_edge + 8 {
                root.draw(&Text::new(label, (px, py + 8), style.clone())).map_err(err)?;
                right_edge = px + half;
            }
        }
    }
    if let Some((y, label)) = reference.filter(|r| finite(r.0)) {
        let grey = &BASELINE;
        chart
            .draw_series([PathElement::new(vec![(x_lo, y), (x_hi, y)], BASELINE.mix(0.7).stroke_width(2))])
            .map_err(err)?;
        let (px, py) = chart.backend_coord(&(x_hi, y));
        let style = text(15, grey).pos(Pos::new(HPos::Right, VPos::Bottom));
        root.draw(&Text::new(short(label), (px - 4, py - 3), style)).map_err(err)?;
    }
    if let Some(m) = marked.filter(|m| finite(m.x) && finite(m.y)) {
        if finite(m.low) && finite(m.high) {
            let w = (x_hi - x_lo) * 0.006;
            let style = BASELINE.stroke_width(2);
            chart
                .draw_series([
                    PathElement::new(vec![(m.x, m.low), (m.x, m.high)], style),
                    PathElement::new(vec![(m.x - w, m.low), (m.x + w, m.low)], style),
                    PathElement::new(vec![(m.x - w, m.high), (m.x + w, m.high)], style),
                ])
                .map_err(err)?;
        }
        let (px, py) = chart.backend_coord(&(m.x, m.y));
        root.draw(&Rectangle::new([(px - 6, py - 6), (px + 6, py + 6)], BASELINE.filled())).map_err(err)?;
        let style = text(14, &BASELINE).pos(Pos::new(HPos::Left, VPos::Bottom));
        root.draw(&Text::new(short(m.label), (px + 9, py - 6), style)).map_err(err)?;
    }
    for line in lines {
        let points: Vec<(f64, f64)> =
            line.points.iter().copied().filter(|p| finite(p.0) && finite(p.1)).collect();
        for &(x, low, high) in line.intervals.iter().filter(|i| finite(i.0) && finite(i.1) && finite(i.2)) {
            let w = (x_hi - x_lo) * 0.006;
            let style = line.color.mix(0.8).stroke_width(1);
            chart
                .draw_series([
                    PathElement::new(vec![(x, low), (x, high)], style),
                    PathElement::new(vec![(x - w, low), (x + w, low)], style),
                    PathElement::new(vec![(x - w, high), (x + w, high)], style),
                ])
                .map_err(err)?;
        }
        chart
            .draw_series(LineSeries::new(points.iter().copied(), line.color.stroke_width(2)))
            .map_err(err)?;
        if dots {
            chart
                .draw_series(PointSeries::of_element(
                    points.iter().copied(),
                    4,
                    line.color.filled(),
                    &|c, s, st| EmptyElement::at(c) + Circle::new((0, 0), s, st),
                ))
                .map_err(err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_never_empty_or_nan() {
        assert_eq!(padded_range([], false, 0.1), (-1.0, 1.0));
        assert_eq!(padded_range([f64::NAN, f64::INFINITY], true, 0.1), (-1.0, 1.0));
        let (lo, hi) = padded_range([5.0, 5.0], false, 0.1);
        assert!(lo < 5.0 && hi > 5.0);
        let (lo, hi) = padded_range([2.0, 4.0], true, 0.1);
        assert_eq!(lo, 0.0);
        assert!(hi > 4.0);
        let (lo, hi) = padded_range([1e300, -1e300, 3.0], false, 0.1);
        assert!(lo < 3.0 && hi > 3.0 && (hi - lo).is_finite());
    }

    #[test]
    fn labels_are_cut_on_characters() {
        assert_eq!(short("abc"), "abc");
        let long = "é".repeat(100);
        assert_eq!(short(&long).chars().count(), MAX_LABEL_CHARS);
        assert!(short(&long).ends_with('…'));
    }
}
