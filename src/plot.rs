//! Figures rendered to PNG and SVG.
//!
//! Plotting is a leaf of the crate: every function here receives finished
//! numbers and output paths and computes nothing statistical. Each figure is
//! described once as a private value that can draw itself onto any plotters
//! backend, so the PNG and the SVG of a figure come from the same code path.
//!
//! Text is rendered with `DejaVu Sans` embedded in the binary and registered
//! with plotters under the family `"sans-serif"`, so figures render the same
//! on a machine without any system fonts (CI containers, minimal servers).
//!
//! Figures: [`trace`] and [`lines`] for the deterministic model; [`ce_plane`],
//! [`ceac`], [`evpi`] and [`convergence`] for a probabilistic sensitivity
//! analysis; [`tornado`] for a one-way sensitivity analysis. Legends sit
//! below the plot and threshold labels outside the frame, so neither can
//! cover data.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::data::float::FloatPrettyPrinter;
use plotters::element::{ComposedElement, DashedPathElement};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

/// `DejaVu Sans` (regular), embedded so that text renders without system fonts.
/// Licence: `assets/fonts/LICENSE-DejaVu.txt`.
static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// Font family every text style in this module asks for; the embedded font is
/// registered under this name.
const FONT_FAMILY: &str = "sans-serif";

/// Okabe–Ito colour-blind-safe palette. The canonical order starts with black
/// and has yellow fifth; yellow is moved last because it is barely visible as
/// a thin line on white, so it only appears once seven series are in use.
const PALETTE: [RGBColor; 8] = [
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
const WIDTH: u32 = 1200;
/// Height of a figure with one row of panels.
const HEIGHT: u32 = 700;
/// Height added per panel when panels are stacked, so that each stacked panel
/// keeps a readable plotting area instead of shrinking to a sliver.
const STACKED_PANEL_HEIGHT: u32 = 280;
/// Height reserved above stacked panels for the title and below for the legend.
const STACKED_CHROME_HEIGHT: u32 = 160;
/// Upper bound on figure height, so that an absurd panel count degrades into
/// thin panels instead of a multi-gigabyte pixel buffer.
const MAX_HEIGHT: u32 = 4200;

const TITLE_SIZE: f64 = 30.0;
const CAPTION_SIZE: f64 = 22.0;
const AXIS_DESC_SIZE: f64 = 18.0;
const TICK_LABEL_SIZE: f64 = 15.0;
const LEGEND_SIZE: f64 = 18.0;

const LINE_WIDTH: u32 = 2;
/// Length of a legend swatch, in pixels.
const SWATCH_LEN: i32 = 36;
/// Gap between a legend swatch and its label.
const SWATCH_GAP: i32 = 8;
/// Gap between two legend entries on the same row.
const ENTRY_GAP: i32 = 28;
/// Height of one legend row.
const LEGEND_ROW_HEIGHT: i32 = 28;
/// Vertical padding around the legend block.
const LEGEND_PAD: i32 = 10;

/// Margin around a chart inside its panel.
const CHART_MARGIN: u32 = 12;
/// Right margin of a chart, wide enough for half of the last x tick label.
const CHART_RIGHT: u32 = 40;
/// Height of the x tick label and description area.
const X_AREA: u32 = 52;
/// Narrowest y tick label and description area.
const Y_AREA_MIN: u32 = 72;
/// Size of threshold and reference-line labels drawn outside the frame.
const ANNOTATION_SIZE: f64 = 16.0;
/// Height of one row of labels stacked above the frame.
const ANNOTATION_ROW: i32 = 22;
/// Gap between the frame and a label outside it, and between two labels.
const ANNOTATION_GAP: i32 = 8;
/// At most this many rows of labels are stacked above the frame; further
/// labels share the least crowded row.
const MAX_ANNOTATION_ROWS: usize = 4;
/// Colour of threshold guides and their labels: dark enough to read, neutral
/// so that it is never confused with a data series.
const GUIDE_COLOR: RGBColor = RGBColor(85, 85, 85);
/// Colour of the thick band marking the acceptability frontier.
const BAND_COLOR: RGBColor = RGBColor(200, 200, 200);
/// Stroke width of the acceptability frontier band.
const BAND_WIDTH: u32 = 10;
/// Radius of one scatter point.
const POINT_RADIUS: u32 = 2;
/// Opacity of one scatter point, low enough to show the density of a cloud.
const POINT_ALPHA: f64 = 0.3;
/// Half-diagonal of the diamond marking the mean of a cloud.
const MEAN_RADIUS: i32 = 9;
/// Upper bound on the points per scatter cloud or line in SVG output; larger
/// inputs keep every k-th point so that the file stays small.
const SVG_MAX_POINTS: usize = 5_000;
/// Height of one tornado bar's slot, in pixels.
const TORNADO_ROW: u32 = 34;
/// Height of a tornado diagram without its bars (title, axes, legend).
const TORNADO_CHROME: u32 = 220;
/// Least height of a tornado diagram, so that a few bars are not drawn
/// absurdly thick nor a single one squashed.
const TORNADO_MIN_HEIGHT: u32 = 480;

/// Error from rendering or writing a figure; its message names the file that
/// was being written.
#[derive(Debug)]
pub struct PlotError(pub String);

impl PlotError {
    /// Builds an error naming `path`, the file that was being written.
    fn at(path: &Path, what: impl fmt::Display) -> Self {
        Self(format!("cannot write figure {}: {what}", path.display()))
    }
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlotError {}

/// One line series of a figure.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// Legend label; series with the same label share a colour and a legend
    /// entry (e.g. one health state drawn in several panels).
    pub label: &'a str,
    /// Points joined in the given order. A point with a non-finite coordinate
    /// is treated as missing and breaks the line.
    pub points: &'a [(f64, f64)],
}

/// Markov trace: one panel per strategy (side by side, or stacked vertically
/// when there are more than 2), state occupancy share (0–1) against time, one
/// coloured line per state, and one legend shared by all panels.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `x_label` names the time axis with its unit, e.g. `"Time (weeks)"`. A state
/// keeps the same colour in every panel because colours are assigned by label.
///
/// # Errors
/// Returns [`PlotError`] if `panels` is empty, if the time range is not
/// finite, or if rendering or writing either file fails.
pub fn trace(
    stem: &Path,
    title: &str,
    x_label: &str,
    panels: &[(&str, Vec<Series<'_>>)],
) -> Result<(), PlotError> {
    if panels.is_empty() {
        return Err(PlotError::at(
            &with_extension(stem, "png"),
            "trace has no panels",
        ));
    }
    let all_series = panels.iter().flat_map(|(_, series)| series.iter());
    let x_range = auto_range(
        all_series
            .clone()
            .flat_map(|s| s.points.iter().map(|p| p.0)),
        0.0,
    )
    .map_err(|e| PlotError::at(&with_extension(stem, "png"), e))?;
    let figure = LineFigure {
        title,
        x_label,
        y_label: "Share of cohort",
        x_range,
        // Shares are fixed to 0–1 so that panels are directly comparable.
        y_range: (0.0, 1.0),
        panels: panels
            .iter()
            .map(|(caption, series)| Panel {
                caption: Some(caption),
                series,
            })
            .collect(),
        legend: legend_entries(all_series),
    };
    render(stem, &figure)
}

/// General line chart with one panel: one coloured line per series and a
/// legend below the plot.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `y_range` fixes the y axis (e.g. `Some((0.0, 1.0))` for probabilities);
/// `None` fits it to the data with a small margin. Empty, constant or
/// non-finite input still renders, with a padded axis range.
///
/// # Errors
/// Returns [`PlotError`] if the data span is not representable as a finite
/// range, or if rendering or writing either file fails.
pub fn lines(
    stem: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series<'_>],
    y_range: Option<(f64, f64)>,
) -> Result<(), PlotError> {
    let fail = |e: String| PlotError::at(&with_extension(stem, "png"), e);
    let x_range = auto_range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        0.0,
    )
    .map_err(fail)?;
    let y_range = match y_range {
        Some((lo, hi)) => auto_range([lo, hi].into_iter(), 0.0),
        // A margin keeps extreme values off the frame, where they would hide.
        None => auto_range(
            series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
            0.05,
        ),
    }
    .map_err(fail)?;
    let figure = LineFigure {
        title,
        x_label,
        y_label,
        x_range,
        y_range,
        panels: vec![Panel {
            caption: None,
            series,
        }],
        legend: legend_entries(series.iter()),
    };
    render(stem, &figure)
}

/// Cost-effectiveness plane: one scatter cloud per comparison (incremental
/// QALYs on x, incremental cost on y), the origin axes drawn solid, a dashed
/// line through the origin for each willingness-to-pay threshold labelled
/// like "€20,000/QALY" where it leaves the frame, and the mean of each cloud
/// marked with a large diamond outlined in black.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `currency` is an ISO code: `"EUR"` prints as `€` (`€20,000`), any other
/// code is printed as given (`GBP 20,000`); a symbol such as `"£"` is used
/// as is. Each cloud is `(label, points)` with points `(inc_qalys,
/// inc_cost)`, e.g. `("EKO vs ECT", &draws)`. The axes always include the
/// origin.
///
/// The mean marker is the arithmetic mean of the cloud's finite points, as
/// given; pass the points of the whole PSA if it should equal the PSA mean.
/// Points with a non-finite coordinate are skipped, and so are non-finite or
/// negative thresholds. The PNG draws every point; **the SVG draws every k-th
/// point of a cloud larger than 5,000 points** (k = ⌈n / 5,000⌉, so at most
/// 5,000 per cloud, deterministic), which keeps the file small without
/// changing the axes or the means. Empty clouds render an empty plane.
///
/// # Errors
/// Returns [`PlotError`] if the data span is not representable as a finite
/// range, or if rendering or writing either file fails.
pub fn ce_plane(
    stem: &Path,
    title: &str,
    currency: &str,
    clouds: &[(&str, &[(f64, f64)])],
    wtp: &[f64],
) -> Result<(), PlotError> {
    let figure = CePlane::new(title, currency, clouds, wtp).map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

/// Cost-effectiveness acceptability curves: the probability that each
/// strategy is cost-effective (y, 0–1) against willingness to pay (x,
/// currency per QALY), one coloured line per strategy. The frontier (CEAF)
/// is drawn as a thick grey band beneath the curves, so it highlights the
/// curve of the strategy with the highest expected net benefit at each
/// willingness to pay; a jump in the band shows where that strategy changes.
/// Each threshold is a dotted vertical line labelled like "€20,000/QALY"
/// above the frame.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `curves[i].1` and `frontier` hold one value per entry of `wtp`; pass an
/// empty `frontier` to leave the band out. Non-finite values leave gaps;
/// non-finite or negative thresholds are skipped. The x axis spans the grid
/// and the thresholds. `currency` as in [`ce_plane`].
///
/// # Errors
/// Returns [`PlotError`] if a curve or a non-empty frontier does not have
/// one value per willingness-to-pay value, if the x span is not
/// representable as a finite range, or if rendering or writing either file
/// fails.
pub fn ceac(
    stem: &Path,
    title: &str,
    currency: &str,
    wtp: &[f64],
    curves: &[(&str, &[f64])],
    frontier: &[f64],
    thresholds: &[f64],
) -> Result<(), PlotError> {
    let figure = ceac_figure(title, currency, wtp, curves, frontier, thresholds)
        .map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

/// Expected value of perfect information per person (y, currency) against
/// willingness to pay (x, currency per QALY), with each threshold a dotted
/// vertical line labelled like "€20,000/QALY" above the frame.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `evpi` holds one value per entry of `wtp`; non-finite values leave gaps,
/// and non-finite or negative thresholds are skipped. The x axis spans the
/// grid and the thresholds; the y axis starts (just below) 0 unless a value
/// is negative. `currency` as in
/// [`ce_plane`].
///
/// # Errors
/// Returns [`PlotError`] if `evpi` does not have one value per
/// willingness-to-pay value, if a span is not representable as a finite
/// range, or if rendering or writing either file fails.
pub fn evpi(
    stem: &Path,
    title: &str,
    currency: &str,
    wtp: &[f64],
    evpi: &[f64],
    thresholds: &[f64],
) -> Result<(), PlotError> {
    let figure =
        evpi_figure(title, currency, wtp, evpi, thresholds).map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

/// Convergence of a PSA: the running mean of incremental net monetary
/// benefit (y, currency) against the number of draws (x, the i-th value is
/// drawn at i + 1), one line per comparison, each with a thin dashed line
/// of its colour at its final value, which is labelled right of the frame.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// Each series is `(label, running_means)`, computed by the caller; the
/// final value is the last finite one. Non-finite values leave gaps. The PNG
/// draws every point; the SVG keeps every k-th point of a series longer than
/// 5,000 (plus the last), which is invisible at the figure's resolution.
/// `currency` as in [`ce_plane`].
///
/// # Errors
/// Returns [`PlotError`] if a span is not representable as a finite range,
/// or if rendering or writing either file fails.
pub fn convergence(
    stem: &Path,
    title: &str,
    currency: &str,
    series: &[(&str, &[f64])],
) -> Result<(), PlotError> {
    let figure = convergence_figure(title, currency, series).map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

/// Tornado diagram of a one-way sensitivity analysis: one horizontal bar per
/// parameter, sorted by width (|high − low|, widest on top), with a solid
/// vertical line at the base-case value labelled above the frame.
///
/// Each bar is drawn as two halves from the base case: to the outcome with
/// the parameter at its low value (blue) and to the outcome with it at its
/// high value (vermillion). When the base case lies between the two outcomes,
/// as usual, the bar spans exactly low-value outcome to high-value outcome;
/// when both outcomes lie on one side, the bar reaches back to the base-case
/// line and the shorter half is drawn on top of the longer.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `bars` is `(parameter name, outcome at low, outcome at high)`; names
/// wider than a third of the figure are shortened with "…". `x_label` names
/// the outcome with its unit,
/// e.g. `"ICER (€/QALY)"`; x tick labels are plain grouped numbers. The
/// figure is 1200 px wide and 34 px tall per bar plus 220 px (at least
/// 480 px, at most 4200 px). A
/// non-finite outcome leaves out its half of the bar; bars whose width is
/// not finite sort last.
///
/// # Errors
/// Returns [`PlotError`] if `base` is not finite, if the x span is not
/// representable as a finite range, or if rendering or writing either file
/// fails.
pub fn tornado(
    stem: &Path,
    title: &str,
    x_label: &str,
    base: f64,
    bars: &[(&str, f64, f64)],
) -> Result<(), PlotError> {
    let figure = Tornado::new(title, x_label, base, bars).map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

/// Two-way sensitivity heat map: the preferred strategy (highest net monetary benefit) at
/// each point of a grid over two parameters. `best[i * y.len() + j]` is the index into
/// `strategies` of the preferred strategy at `(x[i], y[j])`; each strategy keeps the colour
/// of its position, and the base case is marked with a cross.
///
/// # Errors
/// Returns [`PlotError`] if the grid does not match its axes, if a range is not finite, or
/// if rendering or writing either file fails.
#[allow(clippy::too_many_arguments)]
pub fn heatmap(
    stem: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    x: &[f64],
    y: &[f64],
    best: &[usize],
    strategies: &[&str],
    base: (f64, f64),
) -> Result<(), PlotError> {
    if x.len() < 2 || y.len() < 2 || best.len() != x.len() * y.len() {
        return Err(failure(
            stem,
            "expected at least a 2 x 2 grid with one strategy per point",
        ));
    }
    if best.iter().any(|b| *b >= strategies.len()) {
        return Err(failure(
            stem,
            "a grid point names a strategy that is not listed",
        ));
    }
    let figure = Heatmap {
        title,
        x_label,
        y_label,
        x,
        y,
        best,
        base,
        legend: strategies
            .iter()
            .enumerate()
            .map(|(i, label)| LegendEntry {
                label,
                style: LineStyle::nth(i),
                swatch: Swatch::Bar,
            })
            .collect(),
    };
    render(stem, &figure)
}

struct Heatmap<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    x: &'a [f64],
    y: &'a [f64],
    best: &'a [usize],
    base: (f64, f64),
    legend: Vec<LegendEntry<'a>>,
}

/// Cell edges halfway between grid points, extended by half a step at both ends.
fn cell_edges(v: &[f64]) -> Vec<f64> {
    let mut edges = Vec::with_capacity(v.len() + 1);
    edges.push(v[0] - (v[1] - v[0]) / 2.0);
    for w in v.windows(2) {
        edges.push((w[0] + w[1]) / 2.0);
    }
    let n = v.len();
    edges.push(v[n - 1] + (v[n - 1] - v[n - 2]) / 2.0);
    edges
}

impl Figure for Heatmap<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _output: Output,
    ) -> Result<(), String> {
        let area = frame(root, self.title, &self.legend)?;
        let (xe, ye) = (cell_edges(self.x), cell_edges(self.y));
        let x_range = (xe[0], xe[xe.len() - 1]);
        let y_range = (ye[0], ye[ye.len() - 1]);
        if !(x_range.0.is_finite()
            && x_range.1.is_finite()
            && y_range.0.is_finite()
            && y_range.1.is_finite())
        {
            return Err("the grid is not finite".into());
        }
        let mut chart = cartesian(&area, None, self.x_label, self.y_label, x_range, y_range)?;
        let ny = self.y.len();
        chart
            .draw_series((0..self.x.len()).flat_map(|i| {
                let (xe, ye) = (&xe, &ye);
                (0..ny).map(move |j| {
                    let color = self.legend[self.best[i * ny + j]].style.color;
                    Rectangle::new(
                        [(xe[i], ye[j]), (xe[i + 1], ye[j + 1])],
                        color.mix(0.85).filled(),
                    )
                })
            }))
            .map_err(|e| e.to_string())?;
        let (bx, by) = self.base;
        let arm_x = (x_range.1 - x_range.0) / 60.0;
        let arm_y = (y_range.1 - y_range.0) / 60.0;
        for line in [
            vec![(bx - arm_x, by - arm_y), (bx + arm_x, by + arm_y)],
            vec![(bx - arm_x, by + arm_y), (bx + arm_x, by - arm_y)],
        ] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    line,
                    BLACK.stroke_width(3),
                )))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// An error about the figure `{stem}.png` (the first file written).
fn failure(stem: &Path, what: impl fmt::Display) -> PlotError {
    PlotError::at(&with_extension(stem, "png"), what)
}

/// Registers the embedded font with plotters exactly once per process.
///
/// The outcome is cached, so a font that fails to parse is reported on every
/// call rather than only the first.
fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the embedded DejaVu Sans font could not be parsed".to_owned())
        })
        .clone()
}

/// `{stem}.{ext}`, appended rather than substituted so that a stem containing
/// a dot (`trace.v2`) keeps its full name.
fn with_extension(stem: &Path, ext: &str) -> PathBuf {
    let mut name = OsString::from(stem.as_os_str());
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// Range of the finite values, widened by `margin` times the span on each
/// side. Falls back to 0–1 when there is no finite value and pads a zero-width
/// range, because plotters cannot lay out ticks on an empty interval.
fn auto_range(values: impl Iterator<Item = f64>, margin: f64) -> Result<(f64, f64), String> {
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

/// How one series is stroked.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LineStyle {
    color: RGBColor,
    /// Dashed lines tell series apart once the palette has cycled.
    dashed: bool,
}

impl LineStyle {
    /// Style of the `index`-th distinct series: palette colours first, then
    /// the same colours dashed, alternating on further cycles.
    fn nth(index: usize) -> Self {
        Self {
            color: PALETTE[index % PALETTE.len()],
            dashed: (index / PALETTE.len()) % 2 == 1,
        }
    }

    fn shape(self) -> ShapeStyle {
        self.color.stroke_width(LINE_WIDTH)
    }
}

/// How a legend entry's sample is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Swatch {
    /// A line stroked with the entry's style.
    Line,
    /// A thick grey band (the acceptability frontier).
    Band,
    /// A few scatter points.
    Dots,
    /// The diamond marking a cloud's mean.
    Mean,
    /// A filled bar (tornado).
    Bar,
}

/// A legend entry: a label and the style of the marks it stands for.
#[derive(Debug, Clone, Copy)]
struct LegendEntry<'a> {
    label: &'a str,
    style: LineStyle,
    swatch: Swatch,
}

/// One legend entry per distinct label, in order of first appearance, each
/// with its own style; series are later styled by looking up their label.
fn legend_entries<'s, 'a: 's>(
    series: impl Iterator<Item = &'s Series<'a>>,
) -> Vec<LegendEntry<'a>> {
    let mut entries: Vec<LegendEntry<'a>> = Vec::new();
    for s in series {
        if !entries.iter().any(|e| e.label == s.label) {
            entries.push(LegendEntry {
                label: s.label,
                style: LineStyle::nth(entries.len()),
                swatch: Swatch::Line,
            });
        }
    }
    entries
}

/// One chart within a figure.
struct Panel<'a> {
    caption: Option<&'a str>,
    series: &'a [Series<'a>],
}

/// A figure of one or more line-chart panels sharing axes labels, ranges and a
/// legend. Drawn identically onto any backend.
struct LineFigure<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    x_range: (f64, f64),
    y_range: (f64, f64),
    panels: Vec<Panel<'a>>,
    legend: Vec<LegendEntry<'a>>,
}

impl LineFigure<'_> {
    /// Panels sit side by side up to two; more are stacked so that each keeps
    /// a usable width.
    fn grid(&self) -> (usize, usize) {
        match self.panels.len() {
            n @ 0..=2 => (1, n.max(1)),
            n => (n, 1),
        }
    }

    fn style_of(&self, label: &str) -> LineStyle {
        self.legend
            .iter()
            .find(|e| e.label == label)
            .map_or(LineStyle::nth(0), |e| e.style)
    }
}

/// Which file a figure is being drawn for. The drawing is the same for both
/// except that SVG output thins very large point sets (see
/// [`SVG_MAX_POINTS`]), because every point is an element of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Png,
    Svg,
}

impl Output {
    /// Stride that keeps at most [`SVG_MAX_POINTS`] of `len` points in SVG
    /// output, and every point in PNG output.
    fn stride(self, len: usize) -> usize {
        match self {
            Self::Png => 1,
            Self::Svg => len.div_ceil(SVG_MAX_POINTS).max(1),
        }
    }

    /// Every k-th point of a line (see [`Output::stride`]), plus the last
    /// point so that the line still ends where the data ends.
    fn thin_line(self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
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
trait Figure {
    /// Size in pixels (PNG) or user units (SVG).
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure, background included, onto `root`.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        output: Output,
    ) -> Result<(), String>;
}

impl Figure for LineFigure<'_> {
    fn size(&self) -> (u32, u32) {
        match self.grid() {
            (1, _) => (WIDTH, HEIGHT),
            (rows, _) => {
                let rows = u32::try_from(rows).unwrap_or(u32::MAX);
                let height = STACKED_PANEL_HEIGHT
                    .saturating_mul(rows)
                    .saturating_add(STACKED_CHROME_HEIGHT)
                    .min(MAX_HEIGHT);
                (WIDTH, height)
            }
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _output: Output,
    ) -> Result<(), String> {
        let plot_area = frame(root, self.title, &self.legend)?;
        let (rows, cols) = self.grid();
        for (panel, area) in self.panels.iter().zip(plot_area.split_evenly((rows, cols))) {
            let mut chart = cartesian(
                &area,
                panel.caption,
                self.x_label,
                self.y_label,
                self.x_range,
                self.y_range,
            )?;
            for series in panel.series {
                draw_line(&mut chart, series.points, self.style_of(series.label))?;
            }
        }
        Ok(())
    }
}

/// Fills the background, draws the title and the legend strip at the bottom,
/// and returns the area left for panels. The legend lives outside the plotting
/// area so that it can never cover data.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[LegendEntry<'_>],
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    // plotters leaves only 5 px above the title; give it room to breathe.
    let body = root
        .margin(10, 0, 0, 0)
        .titled(title, (FONT_FAMILY, TITLE_SIZE))
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

/// A legend entry placed on a row, with its measured width.
struct Placed<'a> {
    entry: LegendEntry<'a>,
    width: i32,
}

fn legend_style() -> TextStyle<'static> {
    (FONT_FAMILY, LEGEND_SIZE).into_font().color(&BLACK)
}

/// Lays legend entries out left to right, wrapping to a new row when the next
/// entry would overflow the figure width.
fn legend_rows<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    legend: &[LegendEntry<'a>],
) -> Result<Vec<Vec<Placed<'a>>>, String> {
    let (width, _) = area.dim_in_pixel();
    let available = i32::try_from(width).unwrap_or(i32::MAX) - 2 * ENTRY_GAP;
    let style = legend_style();
    let mut rows: Vec<Vec<Placed<'a>>> = Vec::new();
    let mut row_width = 0;
    for &entry in legend {
        let (text_width, _) = area
            .estimate_text_size(entry.label, &style)
            .map_err(|e| e.to_string())?;
        let width = SWATCH_LEN + SWATCH_GAP + i32::try_from(text_width).unwrap_or(i32::MAX / 4);
        match rows.last_mut() {
            Some(row) if row_width + ENTRY_GAP + width <= available => {
                row_width += ENTRY_GAP + width;
                row.push(Placed { entry, width });
            }
            _ => {
                row_width = width;
                rows.push(vec![Placed { entry, width }]);
            }
        }
    }
    Ok(rows)
}

/// Draws legend rows, each centred horizontally.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[Vec<Placed<'_>>],
) -> Result<(), String> {
    let (width, _) = area.dim_in_pixel();
    let width = i32::try_from(width).unwrap_or(i32::MAX);
    let style = legend_style().pos(Pos::new(HPos::Left, VPos::Center));
    let mut y = LEGEND_PAD + LEGEND_ROW_HEIGHT / 2;
    for row in rows {
        let gaps = i32::try_from(row.len().saturating_sub(1)).unwrap_or(i32::MAX);
        let row_width = row
            .iter()
            .map(|p| p.width)
            .fold(ENTRY_GAP.saturating_mul(gaps), i32::saturating_add);
        let mut x = ((width - row_width) / 2).max(0);
        for placed in row {
            draw_swatch(area, placed.entry, (x, y))?;
            area.draw_text(placed.entry.label, &style, (x + SWATCH_LEN + SWATCH_GAP, y))
                .map_err(|e| e.to_string())?;
            x += placed.width + ENTRY_GAP;
        }
        y += LEGEND_ROW_HEIGHT;
    }
    Ok(())
}

/// Draws the sample of a legend entry, `SWATCH_LEN` wide, starting at `(x, y)`
/// (left end, vertical centre).
fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entry: LegendEntry<'_>,
    (x, y): (i32, i32),
) -> Result<(), String> {
    let line = [(x, y), (x + SWATCH_LEN, y)];
    let color = entry.style.color;
    match entry.swatch {
        Swatch::Line if entry.style.dashed => {
            area.draw(&DashedPathElement::new(line, 8, 5, entry.style.shape()))
        }
        Swatch::Line => area.draw(&PathElement::new(line, entry.style.shape())),
        Swatch::Band => area.draw(&PathElement::new(line, BAND_COLOR.stroke_width(BAND_WIDTH))),
        Swatch::Dots => [6, 15, 24, 31]
            .into_iter()
            .zip([2, -3, 3, -2])
            .try_for_each(|(dx, dy)| {
                area.draw(&Circle::new(
                    (x + dx, y + dy),
                    POINT_RADIUS + 1,
                    color.filled(),
                ))
            }),
        Swatch::Mean => area.draw(&mean_marker((x + SWATCH_LEN / 2, y), color)),
        Swatch::Bar => area.draw(&Rectangle::new(
            [(x, y - 8), (x + SWATCH_LEN, y + 8)],
            color.filled(),
        )),
    }
    .map_err(|e| e.to_string())
}

/// A diamond outlined in black, positioned at a coordinate `C`.
type MeanMarker<C, DB> = ComposedElement<C, DB, Polygon<(i32, i32)>, PathElement<(i32, i32)>>;

/// The diamond marking the mean of a cloud: filled with the cloud's colour
/// and outlined in black so that it stands out on top of its own points.
fn mean_marker<C, DB: DrawingBackend>(at: C, fill: RGBColor) -> MeanMarker<C, DB> {
    let r = MEAN_RADIUS;
    let corners = vec![(0, -r), (r, 0), (0, r), (-r, 0), (0, -r)];
    EmptyElement::at(at)
        + Polygon::new(corners.clone(), fill.filled())
        + PathElement::new(corners, BLACK.stroke_width(2))
}

/// A chart with linear f64 axes on both sides.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Builds a Cartesian chart on `area` with an optional caption, labelled axes
/// and a light grid.
fn cartesian<'a, DB: DrawingBackend>(
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
struct Axes<'a> {
    caption: Option<&'a str>,
    x_label: &'a str,
    y_label: &'a str,
    x_range: (f64, f64),
    y_range: (f64, f64),
    x_fmt: &'a dyn Fn(&f64) -> String,
    y_fmt: &'a dyn Fn(&f64) -> String,
    /// Upper bound on the number of x (y) tick labels; 0 for none.
    x_ticks: usize,
    y_ticks: usize,
    /// Width of the y tick label and description area.
    y_area: u32,
    /// Margins above and right of the frame, where labels can be placed.
    top: u32,
    right: u32,
    /// Whether horizontal grid lines are drawn.
    y_grid: bool,
}

impl<'a> Axes<'a> {
    /// Default layout: 10 x ticks, 6 y ticks, grid on both axes.
    fn new(
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
    fn fit_y_labels<DB: DrawingBackend>(
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
fn build_chart<'a, DB: DrawingBackend>(
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
fn draw_mesh<DB: DrawingBackend>(chart: &mut Chart<'_, DB>, axes: &Axes<'_>) -> Result<(), String> {
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(axes.x_label)
        .y_desc(axes.y_label)
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

fn annotation_style() -> TextStyle<'static> {
    (FONT_FAMILY, ANNOTATION_SIZE)
        .into_font()
        .color(&GUIDE_COLOR)
}

/// Builds a chart whose frame leaves room for labels outside it, draws its
/// mesh, and draws the labels: `above` are centred above the frame at a data
/// x (stacked in rows where they would overlap), `beside` are right of the
/// frame at a data y (spread apart vertically where they would overlap).
/// Keeping these labels outside the frame means they never cover data.
fn annotated_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    mut axes: Axes<'_>,
    above: &[(f64, String)],
    beside: &[(f64, String)],
) -> Result<Chart<'a, DB>, String> {
    let style = annotation_style();
    let measure = |text: &str| -> Result<i32, String> {
        let (width, _) = area
            .estimate_text_size(text, &style)
            .map_err(|e| e.to_string())?;
        Ok(i32::try_from(width).unwrap_or(i32::MAX / 4))
    };
    if !beside.is_empty() {
        let mut widest = 0;
        for (_, text) in beside {
            widest = widest.max(measure(text)?);
        }
        let needed = u32::try_from(widest + 3 * ANNOTATION_GAP).unwrap_or(WIDTH / 3);
        axes.right = axes.right.max(needed.min(WIDTH / 3));
    }

    // Only x positions matter for stacking, and they do not depend on the
    // top margin, so a chart built with any top margin measures them.
    let (area_x, _) = area.get_pixel_range();
    let mut placed = Vec::with_capacity(above.len());
    if !above.is_empty() {
        let probe = build_chart(area, &axes)?;
        let mut boxes = Vec::with_capacity(above.len());
        for (x, text) in above {
            let centre = probe.backend_coord(&(*x, axes.y_range.1)).0;
            boxes.push((centre, measure(text)?));
        }
        placed = stack_rows(&boxes, (area_x.start, area_x.end));
    }
    let rows = placed.iter().map(|&(_, row)| row + 1).max().unwrap_or(0);
    if rows > 0 {
        let rows = i32::try_from(rows).unwrap_or(0);
        axes.top = axes
            .top
            .max(u32::try_from(rows * ANNOTATION_ROW + ANNOTATION_GAP).unwrap_or(CHART_MARGIN));
    }

    let mut chart = build_chart(area, &axes)?;
    draw_mesh(&mut chart, &axes)?;
    let (frame_x, frame_y) = chart.plotting_area().get_pixel_range();
    let (base_x, base_y) = area.get_base_pixel();

    let centred = style.pos(Pos::new(HPos::Center, VPos::Bottom));
    for ((_, text), &(centre, row)) in above.iter().zip(&placed) {
        let row = i32::try_from(row).unwrap_or(0);
        let y = frame_y.start - ANNOTATION_GAP / 2 - row * ANNOTATION_ROW;
        area.draw_text(text, &centred, (centre - base_x, y - base_y))
            .map_err(|e| e.to_string())?;
    }

    let ys: Vec<i32> = beside
        .iter()
        .map(|(y, _)| chart.backend_coord(&(axes.x_range.1, *y)).1)
        .collect();
    let ys = spread(&ys, ANNOTATION_ROW, (frame_y.start, frame_y.end));
    let left = style.pos(Pos::new(HPos::Left, VPos::Center));
    for ((_, text), y) in beside.iter().zip(ys) {
        area.draw_text(
            text,
            &left,
            (frame_x.end + ANNOTATION_GAP - base_x, y - base_y),
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(chart)
}

/// Assigns labels, given as (centre, width) in pixels, to rows so that labels
/// in one row do not overlap; row 0 is nearest the frame. Centres are moved
/// inwards so that every label lies within `bounds`. Returns the (possibly
/// moved) centre and the row of each label, in input order.
fn stack_rows(boxes: &[(i32, i32)], (left, right): (i32, i32)) -> Vec<(i32, usize)> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by_key(|&i| boxes[i].0);
    let mut row_ends: Vec<i32> = Vec::new();
    let mut placed = vec![(0, 0); boxes.len()];
    for i in order {
        let (centre, width) = boxes[i];
        let half = width / 2;
        let centre = centre.min(right - half - 2).max(left + half + 2);
        let start = centre - half;
        let row = match row_ends
            .iter()
            .position(|&end| end + ANNOTATION_GAP <= start)
        {
            Some(row) => row,
            None if row_ends.len() < MAX_ANNOTATION_ROWS => {
                row_ends.push(i32::MIN);
                row_ends.len() - 1
            }
            // Out of rows: share the one that ends first.
            None => row_ends
                .iter()
                .enumerate()
                .min_by_key(|&(_, &end)| end)
                .map_or(0, |(row, _)| row),
        };
        row_ends[row] = centre + width - half;
        placed[i] = (centre, row);
    }
    placed
}

/// Moves positions apart so that consecutive ones are at least `gap` apart,
/// staying within `bounds` where there is room, and keeping input order of
/// the values (each output corresponds to the input at the same index).
fn spread(positions: &[i32], gap: i32, (lo, hi): (i32, i32)) -> Vec<i32> {
    let mut order: Vec<usize> = (0..positions.len()).collect();
    order.sort_by_key(|&i| positions[i]);
    let mut sorted: Vec<i32> = order
        .iter()
        .map(|&i| positions[i].clamp(lo + gap / 2, (hi - gap / 2).max(lo + gap / 2)))
        .collect();
    for i in 1..sorted.len() {
        sorted[i] = sorted[i].max(sorted[i - 1] + gap);
    }
    // Push back up from the bottom if the last ones ran past it.
    if let Some(last) = sorted.last_mut() {
        *last = (*last).min((hi - gap / 2).max(lo));
    }
    for i in (0..sorted.len().saturating_sub(1)).rev() {
        sorted[i] = sorted[i].min(sorted[i + 1] - gap);
    }
    let mut out = vec![0; positions.len()];
    for (rank, i) in order.into_iter().enumerate() {
        out[i] = sorted[rank];
    }
    out
}

/// Tick label formatter for an axis spanning `lo..hi`.
///
/// plotters' default always prints a decimal (`10.0`, `50000.0`), which reads
/// badly for weeks and money. This prints the shortest exact form, groups
/// thousands (`20,000`), and switches the whole axis to scientific notation
/// only for very large or very small magnitudes, so that one axis never
/// mixes notations.
fn tick_formatter((lo, hi): (f64, f64)) -> impl Fn(&f64) -> String {
    let span = hi - lo;
    let magnitude = lo.abs().max(hi.abs());
    let scientific = !(1e-4..1e9).contains(&magnitude);
    move |&value| {
        // Tick positions are computed in floating point; a tick meant to be
        // zero can come out as -5e-17, which must not print as such.
        let value = if value.abs() < span * 1e-9 {
            0.0
        } else {
            value
        };
        let text = FloatPrettyPrinter {
            allow_scientific: scientific,
            min_decimal: 0,
            max_decimal: 5,
        }
        .print(value);
        if scientific {
            text
        } else {
            group_thousands(&text)
        }
    }
}

/// Inserts thousands separators into a plain decimal number (`-12345.5` →
/// `-12,345.5`).
fn group_thousands(number: &str) -> String {
    let (sign, unsigned) = number
        .strip_prefix('-')
        .map_or(("", number), |rest| ("-", rest));
    let (integer, fraction) = unsigned
        .split_once('.')
        .map_or((unsigned, ""), |(int, _)| (int, &unsigned[int.len()..]));
    let digits = integer.len();
    let mut grouped = String::with_capacity(number.len() + digits / 3);
    grouped.push_str(sign);
    for (i, digit) in integer.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped.push_str(fraction);
    grouped
}

/// Draws one series. Runs of finite points become separate lines so that a
/// missing value shows as a gap instead of a spurious segment; an isolated
/// point is drawn as a dot because a one-point line would be invisible.
fn draw_line<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    points: &[(f64, f64)],
    style: LineStyle,
) -> Result<(), String> {
    let dashes = style.dashed.then_some((8, 5));
    draw_stroke(chart, points, style.shape(), dashes)
}

/// Draws a polyline with any stroke, broken at non-finite points as in
/// [`draw_line`]; `dashes` is (dash, gap) in pixels for a dashed line.
fn draw_stroke<DB: DrawingBackend>(
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

/// How money is written on axes and labels: `€` for `"EUR"`, any other
/// alphabetic code as a prefix with a space (`GBP 20,000`), anything else
/// (a symbol such as `£`, or nothing) as a prefix without one.
#[derive(Debug, Clone)]
struct Money {
    prefix: String,
    /// A code goes before the sign (`GBP -5,000`), a symbol after it
    /// (`-€5,000`).
    is_code: bool,
}

impl Money {
    fn new(currency: &str) -> Self {
        let currency = currency.trim();
        if currency.eq_ignore_ascii_case("EUR") {
            Self {
                prefix: "€".to_owned(),
                is_code: false,
            }
        } else if !currency.is_empty() && currency.chars().all(char::is_alphabetic) {
            Self {
                prefix: format!("{currency} "),
                is_code: true,
            }
        } else {
            Self {
                prefix: currency.to_owned(),
                is_code: false,
            }
        }
    }

    /// Attaches the currency to a formatted number.
    fn attach(&self, number: &str) -> String {
        match number.strip_prefix('-') {
            Some(magnitude) if !self.is_code => format!("-{}{magnitude}", self.prefix),
            _ => format!("{}{number}", self.prefix),
        }
    }

    /// Tick label formatter for a money axis spanning `range`.
    fn ticks(&self, range: (f64, f64)) -> impl Fn(&f64) -> String + use<> {
        let money = self.clone();
        let plain = tick_formatter(range);
        move |value| money.attach(&plain(value))
    }

    /// An amount for a label: whole units from 100 up, else up to 2
    /// decimals (`€20,000`, `€12.5`).
    fn amount(&self, value: f64) -> String {
        // The printer truncates, so round first.
        let (value, decimals) = if value.abs() >= 100.0 {
            (value.round(), 0)
        } else {
            ((value * 100.0).round() / 100.0, 2)
        };
        let text = FloatPrettyPrinter {
            allow_scientific: false,
            min_decimal: 0,
            max_decimal: decimals,
        }
        .print(value);
        // A value that rounds to zero must not print as "-0".
        let text = if text.trim_start_matches(['-', '0', '.']).is_empty() {
            "0".to_owned()
        } else {
            text
        };
        self.attach(&group_thousands(&text))
    }

    /// A willingness-to-pay label, e.g. "€20,000/QALY".
    fn per_qaly(&self, value: f64) -> String {
        format!("{}/QALY", self.amount(value))
    }

    /// An axis description with the unit in parentheses, e.g.
    /// "Incremental cost (€)"; no parentheses without a currency.
    fn described(&self, what: &str, per: &str) -> String {
        match self.prefix.trim_end() {
            "" if per.is_empty() => what.to_owned(),
            "" => format!("{what} ({})", per.trim_start_matches('/')),
            unit => format!("{what} ({unit}{per})"),
        }
    }
}

/// Finite, non-negative thresholds, sorted, duplicates removed.
fn clean_thresholds(thresholds: &[f64]) -> Vec<f64> {
    let mut kept: Vec<f64> = thresholds
        .iter()
        .copied()
        .filter(|t| t.is_finite() && *t >= 0.0)
        .collect();
    kept.sort_by(f64::total_cmp);
    kept.dedup();
    kept
}

/// Checks that a y series has one value per x value.
fn check_len(what: &str, len: usize, expected: usize) -> Result<(), String> {
    if len == expected {
        Ok(())
    } else {
        Err(format!(
            "{what} has {len} values but there are {expected} willingness-to-pay values"
        ))
    }
}

/// One scatter cloud of the cost-effectiveness plane.
struct Cloud<'a> {
    points: &'a [(f64, f64)],
    mean: Option<(f64, f64)>,
    color: RGBColor,
}

/// The cost-effectiveness plane.
struct CePlane<'a> {
    title: &'a str,
    money: Money,
    clouds: Vec<Cloud<'a>>,
    /// Finite, non-negative willingness-to-pay thresholds.
    wtp: Vec<f64>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    legend: Vec<LegendEntry<'a>>,
}

impl<'a> CePlane<'a> {
    fn new(
        title: &'a str,
        currency: &str,
        clouds: &'a [(&'a str, &'a [(f64, f64)])],
        wtp: &[f64],
    ) -> Result<Self, String> {
        let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
        let all = || {
            clouds
                .iter()
                .flat_map(|(_, points)| points.iter().filter(finite))
        };
        // The origin is always in view: it is where the threshold lines meet.
        let x_range = auto_range(all().map(|p| p.0).chain([0.0]), 0.06)?;
        let y_range = auto_range(all().map(|p| p.1).chain([0.0]), 0.06)?;
        let mut legend = Vec::with_capacity(clouds.len() + 1);
        let mut drawn = Vec::with_capacity(clouds.len());
        for (i, (label, points)) in clouds.iter().enumerate() {
            let style = LineStyle::nth(i);
            legend.push(LegendEntry {
                label,
                style,
                swatch: Swatch::Dots,
            });
            let (n, sx, sy) = points
                .iter()
                .filter(finite)
                .fold((0.0, 0.0, 0.0), |(n, sx, sy), p| {
                    (n + 1.0, sx + p.0, sy + p.1)
                });
            let mean = (n > 0.0)
                .then(|| (sx / n, sy / n))
                .filter(|m| m.0.is_finite() && m.1.is_finite());
            drawn.push(Cloud {
                points,
                mean,
                color: style.color,
            });
        }
        if drawn.iter().any(|c| c.mean.is_some()) {
            legend.push(LegendEntry {
                label: "Mean of draws",
                style: LineStyle {
                    color: WHITE,
                    dashed: false,
                },
                swatch: Swatch::Mean,
            });
        }
        Ok(Self {
            title,
            money: Money::new(currency),
            clouds: drawn,
            wtp: clean_thresholds(wtp),
            x_range,
            y_range,
            legend,
        })
    }

    /// The part of the line `cost = λ · qalys` inside the frame, from its
    /// lower-left to its upper-right end, if any part is inside.
    fn wtp_segment(&self, lambda: f64) -> Option<((f64, f64), (f64, f64))> {
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let (from, to) = if lambda > 0.0 {
            (x0.max(y0 / lambda), x1.min(y1 / lambda))
        } else {
            (x0, x1)
        };
        (from < to).then_some(((from, lambda * from), (to, lambda * to)))
    }
}

impl Figure for CePlane<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        output: Output,
    ) -> Result<(), String> {
        let area = frame(root, self.title, &self.legend)?;
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;

        // Each threshold is labelled where its line leaves the frame on the
        // right-hand side: above the frame if through the top edge, right of
        // it if through the right edge.
        let mut above = Vec::new();
        let mut beside = Vec::new();
        let mut segments = Vec::new();
        for &lambda in &self.wtp {
            let Some(segment) = self.wtp_segment(lambda) else {
                continue;
            };
            let (end_x, end_y) = segment.1;
            let label = self.money.per_qaly(lambda);
            if end_x < x1 {
                above.push((end_x, label));
            } else {
                beside.push((end_y, label));
            }
            segments.push(segment);
        }

        let x_fmt = tick_formatter(self.x_range);
        let y_fmt = self.money.ticks(self.y_range);
        let y_label = self.money.described("Incremental cost", "");
        let axes = Axes::new(
            "Incremental QALYs",
            &y_label,
            self.x_range,
            self.y_range,
            &x_fmt,
            &y_fmt,
        )
        .fit_y_labels(&area)?;
        let mut chart = annotated_chart(&area, axes, &above, &beside)?;

        let origin = BLACK.stroke_width(1);
        draw_stroke(&mut chart, &[(x0, 0.0), (x1, 0.0)], origin, None)?;
        draw_stroke(&mut chart, &[(0.0, y0), (0.0, y1)], origin, None)?;

        for cloud in &self.clouds {
            let style = cloud.color.mix(POINT_ALPHA).filled();
            let stride = output.stride(cloud.points.len());
            chart
                .draw_series(
                    cloud
                        .points
                        .iter()
                        .step_by(stride)
                        .filter(|p| p.0.is_finite() && p.1.is_finite())
                        .map(|&p| Circle::new(p, POINT_RADIUS, style)),
                )
                .map_err(|e| e.to_string())?;
        }

        // Thresholds go over the clouds so that they stay visible.
        let guide = GUIDE_COLOR.stroke_width(2);
        for (from, to) in segments {
            draw_stroke(&mut chart, &[from, to], guide, Some((10, 6)))?;
        }

        for cloud in &self.clouds {
            if let Some(mean) = cloud.mean {
                chart
                    .draw_series(std::iter::once(mean_marker(mean, cloud.color)))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

/// A single-panel line chart with threshold guides: the CEAC, EVPI and
/// convergence figures.
struct GuidedFigure<'a> {
    title: &'a str,
    x_label: String,
    y_label: String,
    /// Currency of the x (y) tick labels; plain numbers when `None`.
    x_money: Option<Money>,
    y_money: Option<Money>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    /// Drawn as a thick grey band beneath the lines (the CEAF).
    band: Vec<(f64, f64)>,
    lines: Vec<(Vec<(f64, f64)>, LineStyle)>,
    /// Dotted vertical guides at x, labelled above the frame.
    verticals: Vec<(f64, String)>,
    /// Thin dashed horizontal guides at y in a colour, labelled right of the
    /// frame.
    horizontals: Vec<(f64, RGBColor, String)>,
    legend: Vec<LegendEntry<'a>>,
}

impl Figure for GuidedFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        output: Output,
    ) -> Result<(), String> {
        let area = frame(root, self.title, &self.legend)?;
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let formatter = |money: &Option<Money>, range| -> Box<dyn Fn(&f64) -> String> {
            match money {
                Some(money) => Box::new(money.ticks(range)),
                None => Box::new(tick_formatter(range)),
            }
        };
        let x_fmt = formatter(&self.x_money, self.x_range);
        let y_fmt = formatter(&self.y_money, self.y_range);
        let mut axes = Axes::new(
            &self.x_label,
            &self.y_label,
            self.x_range,
            self.y_range,
            &*x_fmt,
            &*y_fmt,
        )
        .fit_y_labels(&area)?;
        if self.x_money.is_some() {
            // Money labels are wider: fewer of them keeps them apart, and the
            // last one needs more room at the right edge.
            axes.x_ticks = 8;
            axes.right = CHART_RIGHT + 16;
        }
        let beside: Vec<(f64, String)> = self
            .horizontals
            .iter()
            .map(|(y, _, label)| (*y, label.clone()))
            .collect();
        let mut chart = annotated_chart(&area, axes, &self.verticals, &beside)?;

        draw_stroke(
            &mut chart,
            &self.band,
            BAND_COLOR.stroke_width(BAND_WIDTH),
            None,
        )?;
        let guide = GUIDE_COLOR.stroke_width(2);
        for (x, _) in &self.verticals {
            draw_stroke(&mut chart, &[(*x, y0), (*x, y1)], guide, Some((2, 5)))?;
        }
        for (y, color, _) in &self.horizontals {
            draw_stroke(
                &mut chart,
                &[(x0, *y), (x1, *y)],
                color.stroke_width(1),
                Some((8, 5)),
            )?;
        }
        for (points, style) in &self.lines {
            draw_line(&mut chart, &output.thin_line(points), *style)?;
        }
        Ok(())
    }
}

/// Pairs each willingness-to-pay value with a y value.
fn against(wtp: &[f64], values: &[f64]) -> Vec<(f64, f64)> {
    wtp.iter().copied().zip(values.iter().copied()).collect()
}

/// Threshold guides labelled like "€20,000/QALY".
fn wtp_guides(money: &Money, thresholds: &[f64]) -> Vec<(f64, String)> {
    clean_thresholds(thresholds)
        .into_iter()
        .map(|t| (t, money.per_qaly(t)))
        .collect()
}

fn ceac_figure<'a>(
    title: &'a str,
    currency: &str,
    wtp: &[f64],
    curves: &[(&'a str, &[f64])],
    frontier: &[f64],
    thresholds: &[f64],
) -> Result<GuidedFigure<'a>, String> {
    for (label, values) in curves {
        check_len(&format!("curve {label:?}"), values.len(), wtp.len())?;
    }
    if !frontier.is_empty() {
        check_len("the frontier", frontier.len(), wtp.len())?;
    }
    let money = Money::new(currency);
    let verticals = wtp_guides(&money, thresholds);
    let x_range = auto_range(
        wtp.iter().chain(verticals.iter().map(|(t, _)| t)).copied(),
        0.0,
    )?;
    let mut legend: Vec<LegendEntry<'a>> = Vec::with_capacity(curves.len() + 1);
    let mut lines = Vec::with_capacity(curves.len());
    for (i, (label, values)) in curves.iter().enumerate() {
        let style = LineStyle::nth(i);
        legend.push(LegendEntry {
            label,
            style,
            swatch: Swatch::Line,
        });
        lines.push((against(wtp, values), style));
    }
    if !frontier.is_empty() {
        legend.push(LegendEntry {
            label: "Frontier (CEAF)",
            style: LineStyle::nth(0),
            swatch: Swatch::Band,
        });
    }
    Ok(GuidedFigure {
        title,
        x_label: money.described("Willingness to pay", "/QALY"),
        y_label: "Probability cost-effective".to_owned(),
        x_money: Some(money),
        y_money: None,
        x_range,
        // A little room so that lines at 0 or 1 are not drawn on the frame.
        y_range: (-0.02, 1.02),
        band: against(wtp, frontier),
        lines,
        verticals,
        horizontals: Vec::new(),
        legend,
    })
}

fn evpi_figure<'a>(
    title: &'a str,
    currency: &str,
    wtp: &[f64],
    evpi: &[f64],
    thresholds: &[f64],
) -> Result<GuidedFigure<'a>, String> {
    check_len("EVPI", evpi.len(), wtp.len())?;
    let money = Money::new(currency);
    let verticals = wtp_guides(&money, thresholds);
    let x_range = auto_range(
        wtp.iter().chain(verticals.iter().map(|(t, _)| t)).copied(),
        0.0,
    )?;
    let (lo, hi) = auto_range(evpi.iter().copied().chain([0.0]), 0.05)?;
    // EVPI is non-negative: start the axis at 0, less a sliver so that a
    // value of 0 is not drawn on the frame.
    let nonnegative = evpi.iter().all(|v| v.is_nan() || *v >= 0.0);
    let y_range = if nonnegative {
        (-0.02 * hi, hi)
    } else {
        (lo, hi)
    };
    let style = LineStyle::nth(3);
    Ok(GuidedFigure {
        title,
        x_label: money.described("Willingness to pay", "/QALY"),
        y_label: money.described("EVPI per person", ""),
        x_money: Some(money.clone()),
        y_money: Some(money),
        x_range,
        y_range,
        band: Vec::new(),
        lines: vec![(against(wtp, evpi), style)],
        verticals,
        horizontals: Vec::new(),
        legend: vec![LegendEntry {
            label: "EVPI per person",
            style,
            swatch: Swatch::Line,
        }],
    })
}

fn convergence_figure<'a>(
    title: &'a str,
    currency: &str,
    series: &[(&'a str, &[f64])],
) -> Result<GuidedFigure<'a>, String> {
    let money = Money::new(currency);
    let draws = series.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    // Draw counts are exact in f64 far beyond any feasible PSA.
    let index = |i: usize| (i + 1) as f64;
    let x_range = auto_range([1.0, index(draws.saturating_sub(1))].into_iter(), 0.0)?;
    let y_range = auto_range(series.iter().flat_map(|(_, v)| v.iter().copied()), 0.05)?;
    let mut legend: Vec<LegendEntry<'a>> = Vec::with_capacity(series.len() + 1);
    let mut lines = Vec::with_capacity(series.len());
    let mut horizontals = Vec::new();
    for (i, (label, values)) in series.iter().enumerate() {
        let style = LineStyle::nth(i);
        legend.push(LegendEntry {
            label,
            style,
            swatch: Swatch::Line,
        });
        let points = values
            .iter()
            .enumerate()
            .map(|(i, v)| (index(i), *v))
            .collect();
        lines.push((points, style));
        if let Some(last) = values.iter().rev().find(|v| v.is_finite()) {
            horizontals.push((*last, style.color, money.amount(*last)));
        }
    }
    if !horizontals.is_empty() {
        legend.push(LegendEntry {
            label: "Final value",
            style: LineStyle {
                color: GUIDE_COLOR,
                dashed: true,
            },
            swatch: Swatch::Line,
        });
    }
    Ok(GuidedFigure {
        title,
        x_label: "Number of draws".to_owned(),
        y_label: money.described("Mean incremental net monetary benefit", ""),
        x_money: None,
        y_money: Some(money),
        x_range,
        y_range,
        band: Vec::new(),
        lines,
        verticals: Vec::new(),
        horizontals,
        legend,
    })
}

/// Colour of the half-bar for a parameter at its low value (blue).
const LOW_COLOR: RGBColor = PALETTE[3];
/// Colour of the half-bar for a parameter at its high value (vermillion).
const HIGH_COLOR: RGBColor = PALETTE[4];

/// A tornado diagram; bars are sorted widest first.
struct Tornado<'a> {
    title: &'a str,
    x_label: &'a str,
    base: f64,
    bars: Vec<(&'a str, f64, f64)>,
    x_range: (f64, f64),
    legend: Vec<LegendEntry<'a>>,
}

impl<'a> Tornado<'a> {
    fn new(
        title: &'a str,
        x_label: &'a str,
        base: f64,
        bars: &[(&'a str, f64, f64)],
    ) -> Result<Self, String> {
        if !base.is_finite() {
            return Err(format!("the base-case value {base} is not finite"));
        }
        let mut bars = bars.to_vec();
        let width = |&(_, low, high): &(&str, f64, f64)| {
            let w = (high - low).abs();
            if w.is_nan() { f64::NEG_INFINITY } else { w }
        };
        // Stable, so that equal widths keep the caller's order.
        bars.sort_by(|a, b| width(b).total_cmp(&width(a)));
        let x_range = auto_range(bars.iter().flat_map(|b| [b.1, b.2]).chain([base]), 0.05)?;
        let entry = |label, color| LegendEntry {
            label,
            style: LineStyle {
                color,
                dashed: false,
            },
            swatch: Swatch::Bar,
        };
        Ok(Self {
            title,
            x_label,
            base,
            bars,
            x_range,
            legend: vec![
                entry("Parameter at its low value", LOW_COLOR),
                entry("Parameter at its high value", HIGH_COLOR),
            ],
        })
    }

    /// Shortens `name` with "…" until it is at most `max` pixels wide.
    fn fit_name<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        name: &str,
        style: &TextStyle<'_>,
        max: u32,
    ) -> Result<(String, u32), String> {
        let width = |text: &str| {
            area.estimate_text_size(text, style)
                .map(|(w, _)| w)
                .map_err(|e| e.to_string())
        };
        let full = width(name)?;
        if full <= max {
            return Ok((name.to_owned(), full));
        }
        let mut chars: Vec<char> = name.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let short: String = chars.iter().collect::<String>().trim_end().to_owned() + "…";
            let w = width(&short)?;
            if w <= max {
                return Ok((short, w));
            }
        }
        Ok(("…".to_owned(), width("…")?))
    }
}

impl Figure for Tornado<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = u32::try_from(self.bars.len()).unwrap_or(u32::MAX);
        let height = TORNADO_ROW
            .saturating_mul(rows)
            .saturating_add(TORNADO_CHROME)
            .clamp(TORNADO_MIN_HEIGHT, MAX_HEIGHT);
        (WIDTH, height)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _output: Output,
    ) -> Result<(), String> {
        let area = frame(root, self.title, &self.legend)?;
        let name_style = TextStyle::from((FONT_FAMILY, LEGEND_SIZE - 1.0).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        let mut names = Vec::with_capacity(self.bars.len());
        let mut widest = 0;
        for (name, _, _) in &self.bars {
            let (name, width) = Self::fit_name(&area, name, &name_style, WIDTH / 3)?;
            widest = widest.max(width);
            names.push(name);
        }

        // Bar i sits at y = n - 1 - i, so that the widest is on top.
        let n = self.bars.len().max(1) as f64;
        let x_fmt = tick_formatter(self.x_range);
        let no_labels = |_: &f64| String::new();
        let axes = Axes {
            y_ticks: 0,
            y_grid: false,
            y_area: widest.saturating_add(24),
            ..Axes::new(
                self.x_label,
                "",
                self.x_range,
                (-0.5, n - 0.5),
                &x_fmt,
                &no_labels,
            )
        };
        // The base case is a result, not a tick: four significant digits are enough to read it.
        let digits = 3 - self.base.abs().max(1e-12).log10().floor() as i32;
        let rounded = if (0..=6).contains(&digits) || digits < 0 {
            let scale = 10f64.powi(digits.clamp(-12, 12));
            (self.base * scale).round() / scale
        } else {
            self.base
        };
        let base_label = format!("Base case: {}", tick_formatter(self.x_range)(&rounded));
        let mut chart = annotated_chart(&area, axes, &[(self.base, base_label)], &[])?;

        let (frame_x, _) = chart.plotting_area().get_pixel_range();
        let (base_x, base_y) = area.get_base_pixel();
        for (i, ((_, low, high), name)) in self.bars.iter().zip(&names).enumerate() {
            let y = n - 1.0 - i as f64;
            let mut halves: Vec<(f64, RGBColor)> = [(*low, LOW_COLOR), (*high, HIGH_COLOR)]
                .into_iter()
                .filter(|(end, _)| end.is_finite())
                .collect();
            // The longer half first, so that the shorter stays visible.
            halves.sort_by(|a, b| (b.0 - self.base).abs().total_cmp(&(a.0 - self.base).abs()));
            chart
                .draw_series(halves.into_iter().map(|(end, color)| {
                    Rectangle::new([(self.base, y - 0.32), (end, y + 0.32)], color.filled())
                }))
                .map_err(|e| e.to_string())?;
            let centre = chart.backend_coord(&(self.x_range.0, y)).1;
            area.draw_text(
                name,
                &name_style,
                (frame_x.start - ANNOTATION_GAP - base_x, centre - base_y),
            )
            .map_err(|e| e.to_string())?;
        }
        draw_stroke(
            &mut chart,
            &[(self.base, -0.5), (self.base, n - 0.5)],
            BLACK.stroke_width(2),
            None,
        )?;
        Ok(())
    }
}

/// Renders `figure` into an RGB pixel buffer (3 bytes per pixel, row-major).
fn render_rgb(figure: &impl Figure) -> Result<Vec<u8>, String> {
    ensure_font()?;
    let (width, height) = figure.size();
    let len = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(3))
        .ok_or_else(|| format!("figure size {width}x{height} is too large"))?;
    let mut pixels = vec![0; len];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        figure.draw(&root, Output::Png)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(pixels)
}

/// Renders `figure` as an SVG document.
fn render_svg(figure: &impl Figure) -> Result<String, String> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        figure.draw(&root, Output::Svg)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Writes `{stem}.png` and `{stem}.svg`. Both are rendered in memory first so
/// that a drawing failure never leaves a half-drawn file behind.
fn render(stem: &Path, figure: &impl Figure) -> Result<(), PlotError> {
    let png_path = with_extension(stem, "png");
    let pixels = render_rgb(figure).map_err(|e| PlotError::at(&png_path, e))?;
    let mut backend = BitMapBackend::new(&png_path, figure.size());
    backend
        .blit_bitmap((0, 0), figure.size(), &pixels)
        .and_then(|()| backend.present())
        .map_err(|e| PlotError::at(&png_path, e))?;

    let svg_path = with_extension(stem, "svg");
    let svg = render_svg(figure).map_err(|e| PlotError::at(&svg_path, e))?;
    std::fs::write(&svg_path, svg).map_err(|e| PlotError::at(&svg_path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, unique per test.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("trdsim-plot-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Removes a test directory; a leftover in the temp dir is harmless, so
    /// failure is ignored.
    fn clean(dir: &Path) {
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Width and height from the IHDR chunk, after checking the signature.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "missing PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR");
        let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        (be(16), be(20))
    }

    /// Checks that every string in `texts` is the content of a `<text>`
    /// element (so it is real, selectable text) and that no external font
    /// file is referenced.
    fn assert_svg(svg: &str, texts: &[&str]) {
        let contents: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|element| {
                let start = element.find('>')? + 1;
                let end = element.find("</text>")?;
                Some(element[start..end].trim())
            })
            .collect();
        for text in texts {
            assert!(
                contents.contains(text),
                "svg lacks text {text:?}: {contents:?}"
            );
        }
        for external in [".ttf", ".otf", ".woff", "@font-face", "url("] {
            assert!(!svg.contains(external), "svg references {external}");
        }
    }

    fn weeks(f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        (0..=52).map(|w| (f64::from(w), f(f64::from(w)))).collect()
    }

    #[test]
    fn trace_writes_png_and_svg() {
        let dir = temp_dir("trace");
        let remission = weeks(|t| 0.6 * (1.0 - (-t / 10.0).exp()));
        let depressed = weeks(|t| 1.0 - 0.6 * (1.0 - (-t / 10.0).exp()) - 0.002 * t);
        let dead = weeks(|t| 0.002 * t);
        let states = vec![
            Series {
                label: "Remission",
                points: &remission,
            },
            Series {
                label: "Depressed",
                points: &depressed,
            },
            Series {
                label: "Dead",
                points: &dead,
            },
        ];
        let stem = dir.join("trace");
        trace(
            &stem,
            "Markov trace",
            "Time (weeks)",
            &[("Esketamine", states.clone()), ("ECT", states)],
        )
        .unwrap();

        let png = std::fs::read(dir.join("trace.png")).unwrap();
        assert_eq!(png_size(&png), (WIDTH, HEIGHT));
        let svg = std::fs::read_to_string(dir.join("trace.svg")).unwrap();
        assert_svg(
            &svg,
            &[
                "Markov trace",
                "Esketamine",
                "ECT",
                "Remission",
                "Depressed",
                "Dead",
                "Time (weeks)",
                "Share of cohort",
            ],
        );
        clean(&dir);
    }

    #[test]
    fn stacked_trace_grows_taller() {
        let dir = temp_dir("stacked");
        let points = weeks(|_| 0.5);
        let states = vec![Series {
            label: "Responding",
            points: &points,
        }];
        let panels: Vec<_> = ["A", "B", "C"]
            .iter()
            .map(|s| (*s, states.clone()))
            .collect();
        trace(&dir.join("t"), "Three strategies", "Time (weeks)", &panels).unwrap();
        let (width, height) = png_size(&std::fs::read(dir.join("t.png")).unwrap());
        assert_eq!(width, WIDTH);
        assert_eq!(height, 3 * STACKED_PANEL_HEIGHT + STACKED_CHROME_HEIGHT);
        clean(&dir);
    }

    #[test]
    fn lines_writes_png_and_svg() {
        let dir = temp_dir("lines");
        let a = weeks(|t| t / 52.0);
        let b = weeks(|t| 1.0 - t / 52.0);
        let series = [
            Series {
                label: "Esketamine & ECT",
                points: &a,
            },
            Series {
                label: "ECT",
                points: &b,
            },
        ];
        lines(
            &dir.join("ceac"),
            "Acceptability curve",
            "Willingness to pay (£/QALY)",
            "Probability cost-effective",
            &series,
            Some((0.0, 1.0)),
        )
        .unwrap();
        let png = std::fs::read(dir.join("ceac.png")).unwrap();
        assert_eq!(png_size(&png), (WIDTH, HEIGHT));
        let svg = std::fs::read_to_string(dir.join("ceac.svg")).unwrap();
        // The SVG backend escapes markup characters in text.
        assert_svg(
            &svg,
            &[
                "Acceptability curve",
                "Esketamine &amp; ECT",
                "ECT",
                "Willingness to pay (£/QALY)",
            ],
        );
        clean(&dir);
    }

    #[test]
    fn title_is_rendered_with_embedded_font() {
        let series = [Series {
            label: "x",
            points: &[(0.0, 0.0), (1.0, 1.0)],
        }];
        let figure = LineFigure {
            title: "Title",
            x_label: "x",
            y_label: "y",
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            panels: vec![Panel {
                caption: None,
                series: &series,
            }],
            legend: legend_entries(series.iter()),
        };
        let pixels = render_rgb(&figure).unwrap();
        let (width, _) = figure.size();
        let row_bytes = width as usize * 3;
        // The title band is the top 40 pixel rows; only glyphs can darken it.
        let title_band = &pixels[..40 * row_bytes];
        let dark = title_band
            .chunks(3)
            .filter(|px| px.iter().all(|&c| c < 128))
            .count();
        assert!(dark > 50, "only {dark} dark pixels in the title band");
        // The background really is white, so the count above is meaningful.
        assert_eq!(&pixels[..3], &[255, 255, 255]);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let dir = temp_dir("degenerate");
        let nan = [(f64::NAN, 0.5), (1.0, f64::NAN), (2.0, f64::INFINITY)];
        let single = [(3.0, 0.25)];
        let flat = [(0.0, 2.0), (1.0, 2.0), (2.0, 2.0)];
        let same_x = [(5.0, 1.0), (5.0, 2.0)];
        let tiny = [(1e17, 1e17), (1e17 + 16.0, 1e17 + 16.0)];
        let huge = [(-f64::MAX, -f64::MAX), (f64::MAX, f64::MAX)];
        let gap = [(0.0, 0.1), (1.0, f64::NAN), (2.0, 0.3), (3.0, 0.4)];
        let cases: [&[(f64, f64)]; 9] = [
            &[],
            &nan,
            &single,
            &flat,
            &same_x,
            &tiny,
            &huge,
            &gap,
            &[(0.0, 0.0)],
        ];
        for (i, points) in cases.iter().enumerate() {
            let series = [Series { label: "", points }];
            let _ = lines(&dir.join(format!("l{i}")), "", "", "", &series, None);
            let _ = lines(
                &dir.join(format!("r{i}")),
                "t",
                "x",
                "y",
                &series,
                Some((1.0, 1.0)),
            );
            let _ = lines(
                &dir.join(format!("n{i}")),
                "t",
                "x",
                "y",
                &series,
                Some((f64::NAN, 3.0)),
            );
            let _ = trace(
                &dir.join(format!("t{i}")),
                "t",
                "x",
                &[("s", series.to_vec())],
            );
        }
        assert!(lines(&dir.join("empty"), "t", "x", "y", &[], None).is_ok());
        assert!(trace(&dir.join("none"), "t", "x", &[]).is_err());
        assert!(trace(&dir.join("no-states"), "t", "x", &[("s", vec![])]).is_ok());
        // The huge span cannot be drawn and must say so, naming the file.
        let series = [Series {
            label: "h",
            points: &huge,
        }];
        let err = lines(&dir.join("huge"), "t", "x", "y", &series, None).unwrap_err();
        assert!(err.to_string().contains("huge.png"), "{err}");
        clean(&dir);
    }

    #[test]
    fn many_series_cycle_palette_with_dashes() {
        let dir = temp_dir("many");
        let data: Vec<Vec<(f64, f64)>> = (0..12)
            .map(|i| weeks(|t| f64::from(i) + t / 52.0))
            .collect();
        let labels: Vec<String> = (0..12).map(|i| format!("Series {i}")).collect();
        let series: Vec<Series<'_>> = data
            .iter()
            .zip(&labels)
            .map(|(points, label)| Series { label, points })
            .collect();
        lines(
            &dir.join("many"),
            "Twelve series",
            "Time (weeks)",
            "Value",
            &series,
            None,
        )
        .unwrap();
        let legend = legend_entries(series.iter());
        assert_eq!(legend.len(), 12);
        assert!(!legend[7].style.dashed);
        assert!(legend[8].style.dashed);
        assert_eq!(legend[8].style.color, legend[0].style.color);
        clean(&dir);
    }

    #[test]
    fn write_failure_is_an_error_naming_the_file() {
        let stem = std::env::temp_dir()
            .join(format!("trdsim-plot-missing-{}", std::process::id()))
            .join("fig");
        let series = [Series {
            label: "a",
            points: &[(0.0, 0.0), (1.0, 1.0)],
        }];
        let err = lines(&stem, "t", "x", "y", &series, None).unwrap_err();
        assert!(err.to_string().contains("fig.png"), "{err}");
        assert!(err.to_string().starts_with("cannot write"), "{err}");
    }

    #[test]
    fn tick_labels_are_short_and_grouped() {
        let money = tick_formatter((-50_000.0, 150_000.0));
        assert_eq!(money(&20_000.0), "20,000");
        assert_eq!(money(&-5_000.0), "-5,000");
        assert_eq!(money(&0.0), "0");
        let weeks = tick_formatter((0.0, 52.0));
        assert_eq!(weeks(&10.0), "10");
        let share = tick_formatter((-0.3, 0.3));
        assert_eq!(share(&0.2), "0.2");
        assert_eq!(share(&-5.551_115_123_125_783e-17), "0");
        assert_eq!(group_thousands("-1234567.25"), "-1,234,567.25");
        assert_eq!(group_thousands("999"), "999");
        let tiny = tick_formatter((0.0, 2e-5));
        assert_eq!(tiny(&1e-5), "1e-5");
    }

    #[test]
    fn stem_with_dot_keeps_its_name() {
        assert_eq!(
            with_extension(Path::new("out/trace.v2"), "png"),
            PathBuf::from("out/trace.v2.png")
        );
    }

    /// Where the PSA tests write: the directory named by `TRDSIM_KEEP_PLOTS`
    /// (kept, for looking at the figures), else a fresh temp directory.
    fn figure_dir(name: &str) -> (PathBuf, bool) {
        match std::env::var_os("TRDSIM_KEEP_PLOTS") {
            Some(dir) => {
                let dir = PathBuf::from(dir);
                std::fs::create_dir_all(&dir).unwrap();
                (dir, true)
            }
            None => (temp_dir(name), false),
        }
    }

    /// Deterministic standard normal draws (xorshift64 and Box–Muller).
    fn normals(seed: u64, n: usize) -> Vec<f64> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            u.max(1e-300)
        };
        (0..n)
            .map(|_| {
                let (u, v) = (uniform(), uniform());
                (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
            })
            .collect()
    }

    /// A correlated cloud of (incremental QALYs, incremental cost) draws.
    fn cloud(seed: u64, n: usize, (mq, mc): (f64, f64), (sq, sc): (f64, f64)) -> Vec<(f64, f64)> {
        let z = normals(seed, 2 * n);
        z.chunks(2)
            .map(|p| (mq + sq * p[0], mc + sc * (0.6 * p[0] + 0.8 * p[1])))
            .collect()
    }

    /// Pixels that are clearly coloured (not white, grey or black): only
    /// data marks are drawn in colour.
    fn coloured_pixels(figure: &impl Figure) -> usize {
        render_rgb(figure)
            .unwrap()
            .chunks(3)
            .filter(|px| {
                let max = px.iter().max().unwrap();
                let min = px.iter().min().unwrap();
                max - min > 60
            })
            .count()
    }

    /// Reads both files of a figure and checks the PNG size and SVG texts.
    fn check_files(dir: &Path, stem: &str, size: (u32, u32), texts: &[&str]) -> String {
        let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
        assert_eq!(png_size(&png), size);
        let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
        assert_svg(&svg, texts);
        svg
    }

    #[test]
    fn ce_plane_writes_png_and_svg_quickly() {
        let (dir, keep) = figure_dir("ce-plane");
        let a = cloud(1, 10_000, (0.12, 4_000.0), (0.08, 6_000.0));
        let b = cloud(2, 10_000, (-0.02, -9_000.0), (0.05, 5_000.0));
        let c = cloud(3, 10_000, (0.2, 18_000.0), (0.07, 7_000.0));
        let clouds: [(&str, &[(f64, f64)]); 3] =
            [("EKO vs ECT", &a), ("EKO vs TAU", &b), ("ECT vs TAU", &c)];
        let wtp = [20_000.0, 50_000.0, 100_000.0];
        let started = std::time::Instant::now();
        ce_plane(
            &dir.join("ce_plane"),
            "Cost-effectiveness plane",
            "EUR",
            &clouds,
            &wtp,
        )
        .unwrap();
        let elapsed = started.elapsed();
        // Well under a second on a quiet machine; generous for shared CI.
        assert!(elapsed.as_secs_f64() < 3.0, "took {elapsed:?}");
        let svg = check_files(
            &dir,
            "ce_plane",
            (WIDTH, HEIGHT),
            &[
                "Cost-effectiveness plane",
                "EKO vs ECT",
                "EKO vs TAU",
                "ECT vs TAU",
                "Mean of draws",
                "€20,000/QALY",
                "€50,000/QALY",
                "€100,000/QALY",
                "Incremental QALYs",
                "Incremental cost (€)",
            ],
        );
        // At most 5,000 points per cloud in the SVG, plus 4 dots per legend
        // swatch.
        let circles = svg.matches("<circle").count();
        assert_eq!(circles, 3 * SVG_MAX_POINTS + 3 * 4);
        assert!(svg.len() < 2_000_000, "svg is {} bytes", svg.len());
        assert!(svg.contains("€"), "money ticks carry the currency");

        let figure = CePlane::new("t", "EUR", &clouds, &wtp).unwrap();
        assert!(coloured_pixels(&figure) > 20_000);
        let mean = figure.clouds[0].mean.unwrap();
        assert!((mean.0 - 0.12).abs() < 0.01 && (mean.1 - 4_000.0).abs() < 300.0);
        if !keep {
            clean(&dir);
        }
    }

    #[test]
    fn ceac_writes_png_and_svg() {
        let (dir, keep) = figure_dir("ceac");
        let wtp: Vec<f64> = (0..=100).map(|i| f64::from(i) * 1_000.0).collect();
        let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
        let eko: Vec<f64> = wtp
            .iter()
            .map(|w| logistic((w - 30_000.0) / 8_000.0))
            .collect();
        let ect: Vec<f64> = eko.iter().map(|p| 0.85 * (1.0 - p)).collect();
        let tau: Vec<f64> = eko.iter().zip(&ect).map(|(a, b)| 1.0 - a - b).collect();
        let frontier: Vec<f64> = eko
            .iter()
            .zip(&ect)
            .zip(&tau)
            .map(|((a, b), c)| a.max(*b).max(*c))
            .collect();
        let curves: [(&str, &[f64]); 3] = [("Esketamine", &eko), ("ECT", &ect), ("TAU", &tau)];
        let thresholds = [20_000.0, 25_000.0, 50_000.0];
        ceac(
            &dir.join("ceac"),
            "Cost-effectiveness acceptability curves",
            "EUR",
            &wtp,
            &curves,
            &frontier,
            &thresholds,
        )
        .unwrap();
        check_files(
            &dir,
            "ceac",
            (WIDTH, HEIGHT),
            &[
                "Cost-effectiveness acceptability curves",
                "Esketamine",
                "ECT",
                "TAU",
                "Frontier (CEAF)",
                "€20,000/QALY",
                "€25,000/QALY",
                "€50,000/QALY",
                "Willingness to pay (€/QALY)",
                "Probability cost-effective",
            ],
        );
        let figure = ceac_figure("t", "EUR", &wtp, &curves, &frontier, &thresholds).unwrap();
        assert!(coloured_pixels(&figure) > 2_000);
        if !keep {
            clean(&dir);
        }
    }

    #[test]
    fn evpi_writes_png_and_svg() {
        let (dir, keep) = figure_dir("evpi");
        let wtp: Vec<f64> = (0..=60).map(|i| f64::from(i) * 2_500.0).collect();
        let values: Vec<f64> = wtp
            .iter()
            .map(|w| 1_800.0 * (-((w - 30_000.0) / 15_000.0).powi(2)).exp())
            .collect();
        evpi(
            &dir.join("evpi"),
            "Expected value of perfect information",
            "GBP",
            &wtp,
            &values,
            &[20_000.0, 30_000.0],
        )
        .unwrap();
        check_files(
            &dir,
            "evpi",
            (WIDTH, HEIGHT),
            &[
                "Expected value of perfect information",
                "EVPI per person",
                "GBP 20,000/QALY",
                "GBP 30,000/QALY",
                "EVPI per person (GBP)",
                "Willingness to pay (GBP/QALY)",
            ],
        );
        let figure = evpi_figure("t", "GBP", &wtp, &values, &[20_000.0]).unwrap();
        assert!(figure.y_range.0 < 0.0 && figure.y_range.0 > -0.03 * figure.y_range.1);
        assert!(coloured_pixels(&figure) > 1_000);
        if !keep {
            clean(&dir);
        }
    }

    #[test]
    fn convergence_writes_png_and_svg() {
        let (dir, keep) = figure_dir("convergence");
        let running = |seed: u64, mean: f64, sd: f64| -> Vec<f64> {
            let mut sum = 0.0;
            normals(seed, 12_000)
                .into_iter()
                .enumerate()
                .map(|(i, z)| {
                    sum += mean + sd * z;
                    sum / f64::from(u32::try_from(i + 1).unwrap())
                })
                .collect()
        };
        let a = running(7, 6_500.0, 30_000.0);
        let b = running(8, -2_000.0, 25_000.0);
        let c = running(9, 4_000.0, 20_000.0);
        let series: [(&str, &[f64]); 3] =
            [("EKO vs ECT", &a), ("EKO vs TAU", &b), ("ECT vs TAU", &c)];
        convergence(
            &dir.join("convergence"),
            "Convergence of the PSA",
            "EUR",
            &series,
        )
        .unwrap();
        let svg = check_files(
            &dir,
            "convergence",
            (WIDTH, HEIGHT),
            &[
                "Convergence of the PSA",
                "EKO vs ECT",
                "EKO vs TAU",
                "ECT vs TAU",
                "Final value",
                "Number of draws",
                "Mean incremental net monetary benefit (€)",
                &Money::new("EUR").amount(a[a.len() - 1]),
            ],
        );
        assert!(svg.len() < 1_000_000, "svg is {} bytes", svg.len());
        let figure = convergence_figure("t", "EUR", &series).unwrap();
        assert_eq!(figure.x_range, (1.0, 12_000.0));
        assert!(coloured_pixels(&figure) > 2_000);
        if !keep {
            clean(&dir);
        }
    }

    #[test]
    fn tornado_writes_png_and_svg() {
        let (dir, keep) = figure_dir("tornado");
        let bars = [
            ("Cost of an ECT session", 21_000.0, 27_500.0),
            ("Utility in remission", 29_000.0, 19_500.0),
            ("Probability of remission on esketamine", 31_000.0, 17_000.0),
            ("Discount rate", 23_500.0, 24_800.0),
            (
                "A parameter with a very long name that must be shortened to fit the figure",
                22_000.0,
                26_000.0,
            ),
            ("Both above base", 25_000.0, 27_000.0),
        ];
        tornado(
            &dir.join("tornado"),
            "One-way sensitivity analysis",
            "ICER (€/QALY)",
            24_000.0,
            &bars,
        )
        .unwrap();
        check_files(
            &dir,
            "tornado",
            (WIDTH, TORNADO_MIN_HEIGHT),
            &[
                "One-way sensitivity analysis",
                "ICER (€/QALY)",
                "Parameter at its low value",
                "Parameter at its high value",
                "Base case: 24,000",
                "Probability of remission on esketamine",
                "Discount rate",
            ],
        );
        let figure = Tornado::new("t", "x", 24_000.0, &bars).unwrap();
        let order: Vec<&str> = figure.bars.iter().map(|b| b.0).collect();
        assert_eq!(order[0], "Probability of remission on esketamine");
        assert_eq!(order[1], "Utility in remission");
        assert_eq!(order[5], "Discount rate");
        assert!(coloured_pixels(&figure) > 5_000);

        // Many bars make the figure taller.
        let names: Vec<String> = (0..40).map(|i| format!("Parameter {i}")).collect();
        let many: Vec<(&str, f64, f64)> = names
            .iter()
            .zip(1..)
            .map(|(name, i)| (name.as_str(), -f64::from(i), f64::from(i) * 0.5))
            .collect();
        tornado(
            &dir.join("tornado_many"),
            "Forty",
            "Net benefit",
            0.0,
            &many,
        )
        .unwrap();
        let png = std::fs::read(dir.join("tornado_many.png")).unwrap();
        assert_eq!(png_size(&png), (WIDTH, 40 * TORNADO_ROW + TORNADO_CHROME));
        if !keep {
            clean(&dir);
        }
    }

    #[test]
    fn psa_degenerate_inputs_do_not_panic() {
        let (dir, keep) = figure_dir("psa-degenerate");
        let nan = [(f64::NAN, 1.0), (0.1, f64::INFINITY)];
        let single = [(0.05, 1_200.0)];
        let same = [(0.1, 500.0); 4];
        let huge = [(-f64::MAX, -f64::MAX), (f64::MAX, f64::MAX)];
        let clouds: [&[(f64, f64)]; 5] = [&[], &nan, &single, &same, &[(0.0, 0.0)]];
        for (i, points) in clouds.iter().enumerate() {
            let stem = dir.join(format!("ce{i}"));
            ce_plane(&stem, "t", "EUR", &[("a", points)], &[20_000.0]).unwrap();
            ce_plane(&stem, "", "", &[("", points)], &[f64::NAN, -1.0, 0.0]).unwrap();
        }
        ce_plane(&dir.join("ce-none"), "t", "EUR", &[], &[]).unwrap();
        assert!(ce_plane(&dir.join("ce-huge"), "t", "EUR", &[("h", &huge)], &[1.0]).is_err());

        let wtp = [0.0, 10_000.0, 20_000.0];
        let flat = [0.5, 0.5, 0.5];
        let holes = [f64::NAN, 0.3, f64::INFINITY];
        for (i, values) in [&flat[..], &holes[..], &[0.0; 3][..]].iter().enumerate() {
            let stem = dir.join(format!("ceac{i}"));
            ceac(
                &stem,
                "t",
                "EUR",
                &wtp,
                &[("a", values)],
                values,
                &[5_000.0],
            )
            .unwrap();
            ceac(&stem, "t", "EUR", &wtp, &[("a", values)], &[], &[f64::NAN]).unwrap();
            evpi(&dir.join(format!("evpi{i}")), "t", "EUR", &wtp, values, &[]).unwrap();
            convergence(&dir.join(format!("conv{i}")), "t", "EUR", &[("a", values)]).unwrap();
        }
        ceac(&dir.join("ceac-empty"), "t", "EUR", &[], &[], &[], &[]).unwrap();
        ceac(
            &dir.join("ceac-one"),
            "t",
            "EUR",
            &[1.0],
            &[("a", &[1.0])],
            &[1.0],
            &[1.0],
        )
        .unwrap();
        evpi(&dir.join("evpi-empty"), "t", "EUR", &[], &[], &[]).unwrap();
        evpi(
            &dir.join("evpi-neg"),
            "t",
            "EUR",
            &wtp,
            &[-1.0, 0.0, 1.0],
            &[],
        )
        .unwrap();
        convergence(&dir.join("conv-empty"), "t", "EUR", &[]).unwrap();
        convergence(&dir.join("conv-none"), "t", "EUR", &[("a", &[])]).unwrap();
        convergence(&dir.join("conv-one"), "t", "EUR", &[("a", &[3.0])]).unwrap();
        let err = ceac(
            &dir.join("bad"),
            "t",
            "EUR",
            &wtp,
            &[("a", &[1.0])],
            &[],
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("bad.png"), "{err}");
        assert!(err.to_string().contains("\"a\" has 1 values"), "{err}");
        assert!(ceac(&dir.join("bad"), "t", "EUR", &wtp, &[], &[1.0], &[]).is_err());
        assert!(evpi(&dir.join("bad"), "t", "EUR", &wtp, &[1.0], &[]).is_err());

        tornado(&dir.join("tor-empty"), "t", "x", 0.0, &[]).unwrap();
        tornado(&dir.join("tor-flat"), "t", "x", 5.0, &[("p", 5.0, 5.0)]).unwrap();
        tornado(
            &dir.join("tor-nan"),
            "t",
            "x",
            5.0,
            &[
                ("p", f64::NAN, 6.0),
                ("q", f64::NAN, f64::NAN),
                ("", 4.0, 7.0),
            ],
        )
        .unwrap();
        assert!(
            tornado(
                &dir.join("tor-base"),
                "t",
                "x",
                f64::NAN,
                &[("p", 1.0, 2.0)]
            )
            .is_err()
        );
        if !keep {
            clean(&dir);
        }
    }

    #[test]
    fn money_is_written_with_currency_and_separators() {
        let eur = Money::new("EUR");
        assert_eq!(eur.per_qaly(20_000.0), "€20,000/QALY");
        assert_eq!(eur.amount(-12_345.678), "-€12,346");
        assert_eq!(eur.amount(12.5), "€12.5");
        assert_eq!(eur.amount(-0.001), "€0");
        let ticks = eur.ticks((-50_000.0, 150_000.0));
        assert_eq!(ticks(&20_000.0), "€20,000");
        assert_eq!(ticks(&-5_000.0), "-€5,000");
        assert_eq!(
            eur.described("Incremental cost", ""),
            "Incremental cost (€)"
        );
        let gbp = Money::new("GBP");
        assert_eq!(gbp.per_qaly(30_000.0), "GBP 30,000/QALY");
        assert_eq!(gbp.attach("-5,000"), "GBP -5,000");
        assert_eq!(
            gbp.described("Willingness to pay", "/QALY"),
            "Willingness to pay (GBP/QALY)"
        );
        assert_eq!(Money::new("£").amount(1_000.0), "£1,000");
        let none = Money::new("");
        assert_eq!(none.amount(1_000.0), "1,000");
        assert_eq!(
            none.described("Willingness to pay", "/QALY"),
            "Willingness to pay (QALY)"
        );
    }

    #[test]
    fn labels_are_kept_apart() {
        // Two labels 40 px apart, each 100 px wide, need two rows; a third far
        // away goes back to the first row; one at the edge is moved inside.
        let placed = stack_rows(&[(300, 100), (340, 100), (700, 100), (5, 100)], (0, 1000));
        assert_eq!(placed[0].1, 0);
        assert_eq!(placed[1].1, 1);
        assert_eq!(placed[2].1, 0);
        assert_eq!(placed[3], (52, 0));
        assert!(placed[0].0 == 300 && placed[1].0 == 340);

        let ys = spread(&[100, 105, 500, 98], 20, (0, 1000));
        let mut sorted = ys.clone();
        sorted.sort_unstable();
        assert!(sorted.windows(2).all(|w| w[1] - w[0] >= 20), "{ys:?}");
        assert_eq!(ys[2], 500);
        // Crowded at the bottom: pushed back up, still inside.
        let ys = spread(&[995, 996, 997], 20, (0, 1000));
        assert!(ys.iter().all(|y| *y <= 990), "{ys:?}");
    }

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
