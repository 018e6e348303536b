//! The tornado diagram of a one-way sensitivity analysis.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::annotate::{ANNOTATION_GAP, annotated_chart};
use super::axes::{Axes, auto_range};
use super::error::{PlotError, failure};
use super::figure::{Figure, Output, frame};
use super::font::FONT_FAMILY;
use super::format::tick_formatter;
use super::legend::{LegendEntry, Swatch};
use super::marks::draw_stroke;
use super::render::render;
use super::style::{LEGEND_SIZE, LineStyle, MAX_HEIGHT, PALETTE, WIDTH};

/// Height of one tornado bar's slot, in pixels.
pub(super) const TORNADO_ROW: u32 = 34;
/// Height of a tornado diagram without its bars (title, axes, legend).
pub(super) const TORNADO_CHROME: u32 = 220;
/// Least height of a tornado diagram, so that a few bars are not drawn
/// absurdly thick nor a single one squashed.
pub(super) const TORNADO_MIN_HEIGHT: u32 = 480;

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

/// Colour of the half-bar for a parameter at its low value (blue).
pub(super) const LOW_COLOR: RGBColor = PALETTE[3];
/// Colour of the half-bar for a parameter at its high value (vermillion).
pub(super) const HIGH_COLOR: RGBColor = PALETTE[4];

/// A tornado diagram; bars are sorted widest first.
pub(super) struct Tornado<'a> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::test_support::{check_files, clean, coloured_pixels, figure_dir, png_size};

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
}
