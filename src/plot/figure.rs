//! What every figure is: a value that draws itself onto any plotters backend
//! (so PNG and SVG come from one code path), inside a frame with its title
//! and its legend below the plot.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::annotate::ANNOTATION_GAP;
use super::axes::{Axes, Chart};
use super::font::FONT_FAMILY;
use super::legend::{LEGEND_PAD, LEGEND_ROW_HEIGHT, LegendEntry, draw_legend, legend_rows};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{LEGEND_SIZE, MAX_HEIGHT, TITLE_SIZE};

/// Upper bound on the points per scatter cloud or line in SVG output; larger
/// inputs keep every k-th point so that the file stays small.
pub(super) const SVG_MAX_POINTS: usize = 5_000;

/// Which file a figure is being drawn for. The drawing is the same for both
/// except that SVG output thins very large point sets (see
/// [`SVG_MAX_POINTS`]), because every point is an element of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Output {
    Png,
    Svg,
}

impl Output {
    /// Stride that keeps at most [`SVG_MAX_POINTS`] of `len` points in SVG
    /// output, and every point in PNG output.
    pub(super) fn stride(self, len: usize) -> usize {
        match self {
            Self::Png => 1,
            Self::Svg => len.div_ceil(SVG_MAX_POINTS).max(1),
        }
    }

    /// Every k-th point of a line (see [`Output::stride`]), plus the last
    /// point so that the line still ends where the data ends.
    pub(super) fn thin_line(self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let stride = self.stride(points.len());
        let mut kept: Vec<(f64, f64)> = points.iter().step_by(stride).copied().collect();
        if !points.len().saturating_sub(1).is_multiple_of(stride) {
            kept.extend(points.last());
        }
        kept
    }
}

/// A figure that can draw itself onto any plotters backend, so that PNG and
/// SVG output share one code path. Every figure kind implements this on top
/// of the frame, legend and axis helpers.
pub(super) trait Figure {
    /// Size in pixels (PNG) or user units (SVG).
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure, background included, onto `root`.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        output: Output,
    ) -> Result<(), String>;
}

/// Fills the background, draws the title and the legend strip at the bottom,
/// and returns the area left for panels. The legend lives outside the plotting
/// area so that it can never cover data.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[LegendEntry<'_>],
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    // plotters leaves only 5 px above the title; give it room to breathe.
    let body = root
        .margin(10, 0, 0, 0)
        .titled(title, (FONT_FAMILY, title_size(root, title)?))
        .map_err(|e| e.to_string())?;
    if legend.is_empty() {
        return Ok(body);
    }
    let (_, body_height) = body.dim_in_pixel();
    let rows = legend_rows(&body, legend)?;
    let legend_height = i32::try_from(rows.len())
        .unwrap_or(i32::MAX)
        .saturating_mul(LEGEND_ROW_HEIGHT)
        .saturating_add(2 * LEGEND_PAD);
    let body_height = i32::try_from(body_height).unwrap_or(i32::MAX);
    // Never let the legend take more than half of the figure.
    let split = body_height
        .saturating_sub(legend_height)
        .max(body_height / 2);
    let (panels, legend_area) = body.split_vertically(split);
    draw_legend(&legend_area, &rows)?;
    Ok(panels)
}

/// The title's font size: [`TITLE_SIZE`], or less for a long title, so that
/// it fits the figure's width with a margin of 60 px on each side (at least
/// [`MIN_TITLE_SIZE`]; a title too long even then is the caller's to shorten).
pub(super) fn title_size<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<f64, String> {
    let (width, _) = root.dim_in_pixel();
    let room = f64::from(width.saturating_sub(120));
    let (text_width, _) = root
        .estimate_text_size(
            title,
            &TextStyle::from((FONT_FAMILY, TITLE_SIZE).into_font()),
        )
        .map_err(|e| e.to_string())?;
    let fitted = if f64::from(text_width) > room {
        (TITLE_SIZE * room / f64::from(text_width)).floor()
    } else {
        TITLE_SIZE
    };
    Ok(fitted.max(MIN_TITLE_SIZE))
}

/// The smallest title size [`title_size`] shrinks a long title to.
pub(super) const MIN_TITLE_SIZE: f64 = 20.0;

/// `text` as drawn in `style` within `max` pixels: shortened with "…" until it fits (as
/// little as "…" when nothing fits), with its width. A closing parenthesis ending the text
/// (a tornado bar's range, a unit, "(group)") is kept while the text before it is
/// shortened, as long as it takes at most half of `max`.
pub(super) fn fit_text<DB: DrawingBackend, CT: plotters::coord::CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    text: &str,
    style: &TextStyle<'_>,
    max: u32,
) -> Result<(String, u32), String> {
    let width = |t: &str| {
        area.estimate_text_size(t, style)
            .map(|(w, _)| w)
            .map_err(|e| e.to_string())
    };
    let w = width(text)?;
    if w <= max {
        return Ok((text.to_owned(), w));
    }
    let (head, tail) = match text.rfind(" (") {
        Some(i) if text.ends_with(')') && i > 0 && width(&text[i..])? <= max / 2 => {
            (&text[..i], &text[i..])
        }
        _ => (text, ""),
    };
    let mut chars: Vec<char> = head.chars().collect();
    loop {
        chars.pop();
        let shown = chars.iter().collect::<String>().trim_end().to_owned() + "…" + tail;
        let w = width(&shown)?;
        if w <= max || chars.is_empty() {
            return Ok((shown, w));
        }
    }
}

/// The height of a chart with one row per item (tornado, EVPPI ranking, forest plot): `row`
/// pixels a row plus `chrome`, at least `min` and at most [`MAX_HEIGHT`].
pub(super) fn rows_height(rows: usize, row: u32, chrome: u32, min: u32) -> u32 {
    let rows = u32::try_from(rows).unwrap_or(u32::MAX);
    row.saturating_mul(rows)
        .saturating_add(chrome)
        .clamp(min, MAX_HEIGHT)
}

/// The right-aligned row labels of such a chart, each fitted into `max` pixels, with their
/// style and the width of the widest.
pub(super) fn row_labels<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: impl Iterator<Item = &'a str>,
    max: u32,
) -> Result<(TextStyle<'static>, Vec<String>, u32), String> {
    let style = TextStyle::from((FONT_FAMILY, LEGEND_SIZE - 1.0).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    let mut names = Vec::new();
    let mut widest = 0;
    for label in labels {
        let (name, width) = fit_text(area, label, &style, max)?;
        widest = widest.max(width);
        names.push(name);
    }
    Ok((style, names, widest))
}

/// No tick label: a row chart names its rows with `row_labels` instead.
fn no_labels(_: &f64) -> String {
    String::new()
}

/// The axes of a row chart: `n` rows on y, the first on top, without y ticks or grid, and
/// room left of the frame for row labels `widest` pixels wide; the value on x.
pub(super) fn row_axes<'a>(
    x_label: &'a str,
    x_range: (f64, f64),
    n: f64,
    widest: u32,
    x_fmt: &'a dyn Fn(&f64) -> String,
) -> Axes<'a> {
    Axes {
        y_ticks: 0,
        y_grid: false,
        y_area: widest.saturating_add(24),
        ..Axes::new(x_label, "", x_range, (-0.5, n - 0.5), x_fmt, &no_labels)
    }
}

/// Write a row's label (from `row_labels`) left of the chart's frame, centred on row `y`.
pub(super) fn draw_row_name<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    (name, style): (&str, &TextStyle<'_>),
    x_range: (f64, f64),
    y: f64,
) -> Result<(), String> {
    let (frame_x, _) = chart.plotting_area().get_pixel_range();
    let (base_x, base_y) = area.get_base_pixel();
    let centre = chart.backend_coord(&(x_range.0, y)).1;
    area.draw_text(
        name,
        style,
        (frame_x.start - ANNOTATION_GAP - base_x, centre - base_y),
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_thins_large_point_sets_only() {
        let points: Vec<(f64, f64)> = (0..12_001).map(|i| (f64::from(i), 0.0)).collect();
        assert_eq!(Output::Png.thin_line(&points).len(), points.len());
        let thinned = Output::Svg.thin_line(&points);
        assert!(thinned.len() <= SVG_MAX_POINTS + 1);
        assert_eq!(thinned.last(), points.last());
        assert_eq!(thinned[1].0, 3.0);
        assert_eq!(Output::Svg.stride(5_000), 1);
        assert_eq!(Output::Svg.stride(10_000), 2);
    }
}
