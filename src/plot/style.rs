//! The common look of every figure: palette, figure size, text sizes, stroke
//! widths and colours of guides and marks, and how the n-th series is styled.

use plotters::prelude::*;

/// Okabe–Ito colour-blind-safe palette. The canonical order starts with black
/// and has yellow fifth; yellow is moved last because it is barely visible as
/// a thin line on white, so it only appears once seven series are in use.
pub(super) const PALETTE: [RGBColor; 8] = [
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];

/// Width of every figure in pixels (PNG) or user units (SVG).
pub(super) const WIDTH: u32 = 1200;
/// Height of a figure with one row of panels.
pub(super) const HEIGHT: u32 = 700;
/// Upper bound on figure height, so that an absurd panel count degrades into
/// thin panels instead of a multi-gigabyte pixel buffer.
pub(super) const MAX_HEIGHT: u32 = 4200;

// Text sizes, in pixels (PNG) or user units (SVG).
pub(super) const TITLE_SIZE: f64 = 30.0;
pub(super) const CAPTION_SIZE: f64 = 22.0;
pub(super) const AXIS_DESC_SIZE: f64 = 18.0;
pub(super) const TICK_LABEL_SIZE: f64 = 15.0;
pub(super) const LEGEND_SIZE: f64 = 18.0;

/// Stroke width of a data line.
pub(super) const LINE_WIDTH: u32 = 2;

/// Colour of threshold guides and their labels: dark enough to read, neutral
/// so that it is never confused with a data series.
pub(super) const GUIDE_COLOR: RGBColor = RGBColor(85, 85, 85);
/// Colour of the thick band marking the acceptability frontier.
pub(super) const BAND_COLOR: RGBColor = RGBColor(200, 200, 200);
/// Stroke width of the acceptability frontier band.
pub(super) const BAND_WIDTH: u32 = 10;
/// Radius of one scatter point.
pub(super) const POINT_RADIUS: u32 = 2;
/// Opacity of one scatter point, low enough to show the density of a cloud.
pub(super) const POINT_ALPHA: f64 = 0.3;
/// Half-diagonal of the diamond marking the mean of a cloud.
pub(super) const MEAN_RADIUS: i32 = 9;

/// How one series is stroked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LineStyle {
    pub(super) color: RGBColor,
    /// Dashed lines tell series apart once the palette has cycled.
    pub(super) dashed: bool,
}

impl LineStyle {
    /// Style of the `index`-th distinct series: palette colours first, then
    /// the same colours dashed, alternating on further cycles.
    pub(super) fn nth(index: usize) -> Self {
        Self {
            color: PALETTE[index % PALETTE.len()],
            dashed: (index / PALETTE.len()) % 2 == 1,
        }
    }

    pub(super) fn shape(self) -> ShapeStyle {
        self.color.stroke_width(LINE_WIDTH)
    }
}
