//! Cartesian charts: axis ranges fitted to data, chart layout, tick labels
//! and the grid.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::font::FONT_FAMILY;
use super::format::tick_formatter;
use super::style::{AXIS_DESC_SIZE, CAPTION_SIZE, TICK_LABEL_SIZE, WIDTH};

/// Margin around a chart inside its panel.
pub(super) const CHART_MARGIN: u32 = 12;
/// Right margin of a chart, wide enough for half of the last x tick label.
pub(super) const CHART_RIGHT: u32 = 40;
/// Height of the x tick label and description area.
pub(super) const X_AREA: u32 = 52;
/// Narrowest y tick label and description area.
pub(super) const Y_AREA_MIN: u32 = 72;

/// Range of the finite values, widened by `margin` times the span on each
/// side. Falls back to 0–1 when there is no finite value and pads a zero-width
/// range, because plotters cannot lay out ticks on an empty interval.
pub(super) fn auto_range(
    values: impl Iterator<Item = f64>,
    margin: f64,
) -> Result<(f64, f64), String> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return Ok((0.0, 1.0));
    }
    let span = hi - lo;
    if !span.is_finite() {
        return Err(format!("axis range {lo}..{hi} is too wide to draw"));
    }
    // Compare against the magnitude so that a span lost in rounding (e.g.
    // 1e17 and 1e17 + 1) is padded too instead of giving a degenerate axis.
    let magnitude = lo.abs().max(hi.abs());
    if span <= magnitude * 1e-12 {
        let pad = if magnitude > 0.0 {
            magnitude * 0.05
        } else {
            0.5
        };
        return Ok((lo - pad, hi + pad));
    }
    Ok((lo - span * margin, hi + span * margin))
}

/// A chart with linear f64 axes on both sides.
pub(super) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Builds a Cartesian chart on `area` with an optional caption, labelled axes
/// and a light grid.
pub(super) fn cartesian<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: Option<&str>,
    x_label: &str,
    y_label: &str,
    x_range: (f64, f64),
    y_range: (f64, f64),
) -> Result<Chart<'a, DB>, String> {
    let x_fmt = tick_formatter(x_range);
    let y_fmt = tick_formatter(y_range);
    let axes = Axes {
        caption,
        ..Axes::new(x_label, y_label, x_range, y_range, &x_fmt, &y_fmt)
    };
    let mut chart = build_chart(area, &axes)?;
    draw_mesh(&mut chart, &axes)?;
    Ok(chart)
}

/// Layout and labelling of one chart's axes.
pub(super) struct Axes<'a> {
    pub(super) caption: Option<&'a str>,
    pub(super) x_label: &'a str,
    pub(super) y_label: &'a str,
    pub(super) x_range: (f64, f64),
    pub(super) y_range: (f64, f64),
    pub(super) x_fmt: &'a dyn Fn(&f64) -> String,
    pub(super) y_fmt: &'a dyn Fn(&f64) -> String,
    /// Upper bound on the number of x (y) tick labels; 0 for none.
    pub(super) x_ticks: usize,
    pub(super) y_ticks: usize,
    /// Width of the y tick label and description area.
    pub(super) y_area: u32,
    /// Margins above and right of the frame, where labels can be placed.
    pub(super) top: u32,
    pub(super) right: u32,
    /// Whether horizontal grid lines are drawn.
    pub(super) y_grid: bool,
}

impl<'a> Axes<'a> {
    /// Default layout: 10 x ticks, 6 y ticks, grid on both axes.
    pub(super) fn new(
        x_label: &'a str,
        y_label: &'a str,
        x_range: (f64, f64),
        y_range: (f64, f64),
        x_fmt: &'a dyn Fn(&f64) -> String,
        y_fmt: &'a dyn Fn(&f64) -> String,
    ) -> Self {
        Self {
            caption: None,
            x_label,
            y_label,
            x_range,
            y_range,
            x_fmt,
            y_fmt,
            x_ticks: 10,
            y_ticks: 6,
            y_area: Y_AREA_MIN,
            top: CHART_MARGIN,
            right: CHART_RIGHT,
            y_grid: true,
        }
    }

    /// Widens the y label area to fit the longest y tick label (money labels
    /// such as "-€150,000" do not fit the default).
    pub(super) fn fit_y_labels<DB: DrawingBackend>(
        mut self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<Self, String> {
        let (lo, hi) = self.y_range;
        let style = TextStyle::from((FONT_FAMILY, TICK_LABEL_SIZE).into_font());
        let mut widest = 0;
        for tick in RangedCoordf64::from(lo..hi).key_points(self.y_ticks) {
            let (width, _) = area
                .estimate_text_size(&(self.y_fmt)(&tick), &style)
                .map_err(|e| e.to_string())?;
            widest = widest.max(width);
        }
        // Room for the tick marks, the gap and the rotated axis description.
        self.y_area = widest.saturating_add(48).clamp(Y_AREA_MIN, WIDTH / 3);
        Ok(self)
    }
}

/// Builds the chart's coordinate system without drawing anything (there is
/// no caption when a chart is built only to measure its layout).
pub(super) fn build_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    axes: &Axes<'_>,
) -> Result<Chart<'a, DB>, String> {
    let (x0, x1) = axes.x_range;
    let (y0, y1) = axes.y_range;
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(CHART_MARGIN)
        .margin_top(axes.top)
        .margin_right(axes.right)
        .x_label_area_size(X_AREA)
        .y_label_area_size(axes.y_area);
    if let Some(caption) = axes.caption {
        builder.caption(caption, (FONT_FAMILY, CAPTION_SIZE));
    }
    builder
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())
}

/// Draws the grid, the tick labels and the axis descriptions.
pub(super) fn draw_mesh<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    axes: &Axes<'_>,
) -> Result<(), String> {
    // An axis description longer than its axis (a long parameter label) is shortened with
    // "…" rather than drawn past the figure's edge.
    let area = chart.plotting_area();
    let (width, height) = area.dim_in_pixel();
    let style = TextStyle::from((FONT_FAMILY, AXIS_DESC_SIZE).into_font());
    let (x_label, _) = super::figure::fit_text(area, axes.x_label, &style, width)?;
    let (y_label, _) = super::figure::fit_text(area, axes.y_label, &style, height)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style((FONT_FAMILY, AXIS_DESC_SIZE))
        .label_style((FONT_FAMILY, TICK_LABEL_SIZE))
        .x_labels(axes.x_ticks)
        .y_labels(axes.y_ticks)
        .x_label_formatter(axes.x_fmt)
        .y_label_formatter(axes.y_fmt)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04));
    if !axes.y_grid {
        mesh.disable_y_mesh();
    }
    mesh.draw().map_err(|e| e.to_string())
}
