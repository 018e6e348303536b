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

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::data::float::FloatPrettyPrinter;
use plotters::element::DashedPathElement;
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

/// A legend entry: a label and the style of the lines it stands for.
#[derive(Debug, Clone, Copy)]
struct LegendEntry<'a> {
    label: &'a str,
    style: LineStyle,
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

/// A figure that can draw itself onto any plotters backend, so that PNG and
/// SVG output share one code path. Later figure kinds (cost-effectiveness
/// plane, tornado) implement this on top of the frame and legend helpers.
trait Figure {
    /// Size in pixels (PNG) or user units (SVG).
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure, background included, onto `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
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

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
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
            let swatch = [(x, y), (x + SWATCH_LEN, y)];
            let shape = placed.entry.style.shape();
            if placed.entry.style.dashed {
                area.draw(&DashedPathElement::new(swatch, 8, 5, shape))
            } else {
                area.draw(&PathElement::new(swatch, shape))
            }
            .map_err(|e| e.to_string())?;
            area.draw_text(placed.entry.label, &style, (x + SWATCH_LEN + SWATCH_GAP, y))
                .map_err(|e| e.to_string())?;
            x += placed.width + ENTRY_GAP;
        }
        y += LEGEND_ROW_HEIGHT;
    }
    Ok(())
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
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Result<Chart<'a, DB>, String> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(12)
        .margin_right(40)
        .x_label_area_size(52)
        .y_label_area_size(72);
    if let Some(caption) = caption {
        builder.caption(caption, (FONT_FAMILY, CAPTION_SIZE));
    }
    let mut chart = builder
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style((FONT_FAMILY, AXIS_DESC_SIZE))
        .label_style((FONT_FAMILY, TICK_LABEL_SIZE))
        .x_labels(10)
        .y_labels(6)
        .x_label_formatter(&tick_formatter((x0, x1)))
        .y_label_formatter(&tick_formatter((y0, y1)))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
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
    let runs = points
        .split(|(x, y)| !(x.is_finite() && y.is_finite()))
        .filter(|run| !run.is_empty());
    for run in runs {
        let result = match run {
            [point] => chart
                .draw_series(std::iter::once(Circle::new(
                    *point,
                    3,
                    style.color.filled(),
                )))
                .map(|_| ()),
            _ if style.dashed => chart
                .draw_series(DashedLineSeries::new(
                    run.iter().copied(),
                    8,
                    5,
                    style.shape(),
                ))
                .map(|_| ()),
            _ => chart
                .draw_series(LineSeries::new(run.iter().copied(), style.shape()))
                .map(|_| ()),
        };
        result.map_err(|e| e.to_string())?;
    }
    Ok(())
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
        figure.draw(&root)?;
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
        figure.draw(&root)?;
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
}
