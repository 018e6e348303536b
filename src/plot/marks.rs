//! Marks drawn on a chart: lines broken at missing values, dashed strokes,
//! and the diamond marking the mean of a cloud.

use plotters::element::ComposedElement;
use plotters::prelude::*;

use super::axes::Chart;
use super::style::{LineStyle, MEAN_RADIUS};

/// A diamond outlined in black, positioned at a coordinate `C`.
pub(super) type MeanMarker<C, DB> =
    ComposedElement<C, DB, Polygon<(i32, i32)>, PathElement<(i32, i32)>>;

/// The diamond marking the mean of a cloud: filled with the cloud's colour
/// and outlined in black so that it stands out on top of its own points.
pub(super) fn mean_marker<C, DB: DrawingBackend>(at: C, fill: RGBColor) -> MeanMarker<C, DB> {
    let r = MEAN_RADIUS;
    let corners = vec![(0, -r), (r, 0), (0, r), (-r, 0), (0, -r)];
    EmptyElement::at(at)
        + Polygon::new(corners.clone(), fill.filled())
        + PathElement::new(corners, BLACK.stroke_width(2))
}

/// Draws one series. Runs of finite points become separate lines so that a
/// missing value shows as a gap instead of a spurious segment; an isolated
/// point is drawn as a dot because a one-point line would be invisible.
pub(super) fn draw_line<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    points: &[(f64, f64)],
    style: LineStyle,
) -> Result<(), String> {
    draw_stroke(chart, points, style.shape(), style.dash.pattern())
}

/// Draws a polyline with any stroke, broken at non-finite points as in
/// [`draw_line`]; `dashes` is (dash, gap) in pixels for a dashed line.
pub(super) fn draw_stroke<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    points: &[(f64, f64)],
    shape: ShapeStyle,
    dashes: Option<(u32, u32)>,
) -> Result<(), String> {
    let runs = points
        .split(|(x, y)| !(x.is_finite() && y.is_finite()))
        .filter(|run| !run.is_empty());
    for run in runs {
        let result = match (run, dashes) {
            ([point], _) => chart
                .draw_series(std::iter::once(Circle::new(
                    *point,
                    shape.stroke_width.max(2) + 1,
                    shape.color.filled(),
                )))
                .map(|_| ()),
            (_, Some((dash, gap))) => chart
                .draw_series(DashedLineSeries::new(run.iter().copied(), dash, gap, shape))
                .map(|_| ()),
            (_, None) => chart
                .draw_series(LineSeries::new(run.iter().copied(), shape))
                .map(|_| ()),
        };
        result.map_err(|e| e.to_string())?;
    }
    Ok(())
}
