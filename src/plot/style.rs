//! The common look of every figure: palette, figure size, text sizes, stroke
//! widths and colours of guides and marks, and how the n-th series is styled.

use plotters::prelude::*;

/// Okabe–Ito colour-blind-safe palette (Okabe and Ito 2008, "Color Universal
/// Design"). Yellow is last because it is barely visible as a thin line on
/// white.
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

/// Colours of strategies, by their position in the scenario, so that a
/// strategy has one colour in every figure. Blue and vermillion, the first two,
/// differ in hue for every kind of colour vision and in lightness in print;
/// black is left out because the figures use it for reference lines.
pub(super) const STRATEGY_PALETTE: [RGBColor; 6] = [
    PALETTE[3], // blue
    PALETTE[4], // vermillion
    PALETTE[2], // bluish green
    PALETTE[5], // reddish purple
    PALETTE[0], // orange
    PALETTE[1], // sky blue
];

/// Colour of the strategy at `position` in the scenario (cycling after six).
pub(super) fn strategy_color(position: usize) -> RGBColor {
    STRATEGY_PALETTE[position % STRATEGY_PALETTE.len()]
}

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
/// Opacity of a shaded interval (the Monte Carlo band of a running mean).
pub(super) const SHADE_ALPHA: f64 = 0.18;
/// Half-diagonal of the diamond marking the mean of a cloud.
pub(super) const MEAN_RADIUS: i32 = 9;

/// A stroke pattern: (dash, gap) lengths in pixels, or solid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dash {
    Solid,
    Dashed,
    Dotted,
    Long,
}

impl Dash {
    /// Patterns in the order series take them; each differs from the others
    /// in print and for every kind of colour vision.
    pub(super) const ALL: [Dash; 4] = [Dash::Solid, Dash::Dashed, Dash::Dotted, Dash::Long];

    /// (dash, gap) in pixels, `None` for a solid line.
    pub(super) fn pattern(self) -> Option<(u32, u32)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((9, 5)),
            Dash::Dotted => Some((2, 4)),
            Dash::Long => Some((20, 6)),
        }
    }
}

/// How one series is stroked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LineStyle {
    pub(super) color: RGBColor,
    pub(super) dash: Dash,
}

/// Colours of series that are not strategies (states, parameters), in order:
/// the Okabe–Ito palette without yellow.
const SERIES_COLORS: [RGBColor; 7] = [
    PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[3], PALETTE[4], PALETTE[5], PALETTE[6],
];

impl LineStyle {
    /// A solid line of one colour.
    pub(super) fn solid(color: RGBColor) -> Self {
        Self {
            color,
            dash: Dash::Solid,
        }
    }

    /// Style of the strategy at `position` in the scenario.
    pub(super) fn strategy(position: usize) -> Self {
        Self::solid(strategy_color(position))
    }

    /// Style of the `index`-th series that is not a strategy (a state of the
    /// trace, a parameter): colours and dash patterns both change from one
    /// series to the next (colour `i mod 7`, pattern `i mod 3`), so that the
    /// two blues and the two oranges of the palette never share a pattern
    /// and every pair of series differs in colour or pattern up to 21 series.
    pub(super) fn nth(index: usize) -> Self {
        Self {
            color: SERIES_COLORS[index % SERIES_COLORS.len()],
            dash: Dash::ALL[index % 3],
        }
    }

    pub(super) fn shape(self) -> ShapeStyle {
        self.color.stroke_width(LINE_WIDTH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_styles_are_distinct_and_strategies_keep_their_colour() {
        let styles: Vec<LineStyle> = (0..21).map(LineStyle::nth).collect();
        for (i, a) in styles.iter().enumerate() {
            for b in &styles[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // Blue (3) and sky blue (1), orange (0) and vermillion (4) differ in pattern.
        assert_ne!(LineStyle::nth(1).dash, LineStyle::nth(3).dash);
        assert_ne!(LineStyle::nth(0).dash, LineStyle::nth(4).dash);
        assert_eq!(strategy_color(1), RGBColor(213, 94, 0));
        assert_eq!(strategy_color(7), strategy_color(1));
        assert!(STRATEGY_PALETTE.iter().all(|c| PALETTE.contains(c)));
    }
}
