//! The tornado diagram of a one-way sensitivity analysis.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::annotate::annotated_chart;
use super::axes::auto_range;
use super::error::{PlotError, failure};
use super::figure::{Figure, Output, draw_row_name, frame, row_axes, row_labels, rows_height};
use super::legend::{LegendEntry, Swatch};
use super::marks::draw_stroke;
use super::money::Money;
use super::render::render;
use super::style::{Dash, GUIDE_COLOR, LineStyle, WIDTH, strategy_color};

/// Height of one tornado bar's slot, in pixels.
pub(super) const TORNADO_ROW: u32 = 34;
/// Height of a tornado diagram without its bars (title, axes, legend).
pub(super) const TORNADO_CHROME: u32 = 220;
/// Least height of a tornado diagram, so that a few bars are not drawn
/// absurdly thick nor a single one squashed.
pub(super) const TORNADO_MIN_HEIGHT: u32 = 480;

/// Tornado diagram of a one-way sensitivity analysis: one horizontal bar per
/// parameter, sorted by width (|high − low|, widest on top), with a solid
/// vertical line at the base-case value labelled above the frame (like
/// "Base case: €6,520"), and a dashed line at zero, labelled in the legend,
/// whenever the axis spans zero (where the decision changes for net benefit).
///
/// Each bar is drawn as two halves from the base case, in the colour of the
/// strategy at position `strategy` of the scenario: to the outcome with the
/// parameter at its low value (a light tint) and to the outcome with it at
/// its high value (the full colour). When the base case lies between the two outcomes,
/// as usual, the bar spans exactly low-value outcome to high-value outcome;
/// when both outcomes lie on one side, the bar reaches back to the base-case
/// line and the shorter half is drawn on top of the longer.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `bars` is `(parameter label, outcome at low, outcome at high)`, the label
/// saying which values the parameter runs between; labels wider than 40% of
/// the figure are shortened with "…". `x_label` names the outcome with its
/// unit, e.g. `"Incremental net monetary benefit (€)"`; tick labels and the
/// base case are amounts of `currency` (as in [`ce_plane`](super::ce_plane())). The
/// figure is 1200 px wide and 34 px tall per bar plus 220 px (at least
/// 480 px, at most 4200 px). A
/// non-finite outcome leaves out its half of the bar; bars whose width is
/// not finite sort last.
///
/// # Errors
/// Returns [`PlotError`] if `base` is not finite, if the x span is not
/// representable as a finite range, or if rendering or writing either file
/// fails.
#[allow(clippy::too_many_arguments)]
pub fn tornado(
    stem: &Path,
    title: &str,
    x_label: &str,
    currency: &str,
    strategy: usize,
    base: f64,
    bars: &[(&str, f64, f64)],
) -> Result<(), PlotError> {
    let figure = Tornado::new(title, x_label, currency, strategy, base, bars)
        .map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

/// A light tint of a colour (halfway to white), for the low half of a bar.
pub(super) fn tint(color: RGBColor) -> RGBColor {
    let f = |v: u8| v / 2 + 128;
    RGBColor(f(color.0), f(color.1), f(color.2))
}

/// Style of the line at zero.
const ZERO_LINE: LineStyle = LineStyle {
    color: GUIDE_COLOR,
    dash: Dash::Dashed,
};

/// A tornado diagram; bars are sorted widest first.
pub(super) struct Tornado<'a> {
    title: &'a str,
    x_label: &'a str,
    money: Money,
    low_color: RGBColor,
    high_color: RGBColor,
    base: f64,
    bars: Vec<(&'a str, f64, f64)>,
    x_range: (f64, f64),
    legend: Vec<LegendEntry<'a>>,
}

impl<'a> Tornado<'a> {
    fn new(
        title: &'a str,
        x_label: &'a str,
        currency: &str,
        strategy: usize,
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
        let high_color = strategy_color(strategy);
        let low_color = tint(high_color);
        let entry = |label, color| LegendEntry {
            label,
            style: LineStyle::solid(color),
            swatch: Swatch::Bar,
        };
        let mut legend = vec![
            entry("Parameter at its low value", low_color),
            entry("Parameter at its high value", high_color),
        ];
        if x_range.0 < 0.0 && x_range.1 > 0.0 {
            legend.push(LegendEntry {
                label: "Zero",
                style: ZERO_LINE,
                swatch: Swatch::Line,
            });
        }
        Ok(Self {
            title,
            x_label,
            money: Money::new(currency),
            low_color,
            high_color,
            base,
            bars,
            x_range,
            legend,
        })
    }
}

impl Figure for Tornado<'_> {
    fn size(&self) -> (u32, u32) {
        let height = rows_height(
            self.bars.len(),
            TORNADO_ROW,
            TORNADO_CHROME,
            TORNADO_MIN_HEIGHT,
        );
        (WIDTH, height)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _output: Output,
    ) -> Result<(), String> {
        let area = frame(root, self.title, &self.legend)?;
        let (name_style, names, widest) = row_labels(
            &area,
            self.bars.iter().map(|(name, _, _)| *name),
            WIDTH * 2 / 5,
        )?;

        // Bar i sits at y = n - 1 - i, so that the widest is on top.
        let n = self.bars.len().max(1) as f64;
        let x_fmt = self.money.ticks(self.x_range);
        let axes = row_axes(self.x_label, self.x_range, n, widest, &x_fmt);
        let base_label = format!("Base case: {}", self.money.amount(self.base));
        let mut chart = annotated_chart(&area, axes, &[(self.base, base_label)], &[])?;

        for (i, ((_, low, high), name)) in self.bars.iter().zip(&names).enumerate() {
            let y = n - 1.0 - i as f64;
            let mut halves: Vec<(f64, RGBColor)> =
                [(*low, self.low_color), (*high, self.high_color)]
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
            draw_row_name(&area, &chart, (name, &name_style), self.x_range, y)?;
        }
        if self.x_range.0 < 0.0 && self.x_range.1 > 0.0 {
            draw_stroke(
                &mut chart,
                &[(0.0, -0.5), (0.0, n - 0.5)],
                ZERO_LINE.shape(),
                ZERO_LINE.dash.pattern(),
            )?;
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
    use crate::plot::test_support::{
        assert_geometry, check_files, clean, coloured_pixels, figure_dir, png_size,
    };

    #[test]
    fn tornado_writes_png_and_svg() {
        let (dir, keep) = figure_dir("tornado");
        let bars = [
            ("Cost of an ECT session (€200 – €400)", 2_100.0, 2_750.0),
            ("Utility in remission (0.75 – 0.9)", 2_900.0, 1_950.0),
            (
                "Probability of remission on esketamine (0.2 – 0.4)",
                3_100.0,
                -700.0,
            ),
            ("Discount rate (0 – 0.05)", 2_350.0, 2_480.0),
            (
                "A parameter with a very long label that must be shortened to fit the figure (1 – 2)",
                2_200.0,
                2_600.0,
            ),
            ("Both above base (1 – 2)", 2_500.0, 2_700.0),
        ];
        let x_label = "Incremental net monetary benefit (€) at €20,000/QALY";
        tornado(
            &dir.join("tornado"),
            "One-way sensitivity analysis",
            x_label,
            "EUR",
            1,
            2_400.0,
            &bars,
        )
        .unwrap();
        let svg = check_files(
            &dir,
            "tornado",
            (WIDTH, TORNADO_MIN_HEIGHT),
            &[
                "One-way sensitivity analysis",
                x_label,
                "Base case: €2,400",
                "Probability of remission on esketamine (0.2 – 0.4)",
                "Cost of an ECT session (€200 – €400)",
                "€0",
            ],
        );
        assert_geometry(
            &svg,
            &[
                "Parameter at its low value",
                "Parameter at its high value",
                "Zero",
            ],
        );
        let texts = crate::plot::test_support::svg_texts(&svg);
        assert!(texts.iter().all(|t| !t.text.contains("EUR")), "{texts:?}");
        // A label too long for the figure is shortened before its range, which stays.
        assert!(
            texts
                .iter()
                .any(|t| t.text.starts_with("A parameter with") && t.text.ends_with("… (1 – 2)")),
            "{texts:?}"
        );
        let figure = Tornado::new("t", "x", "EUR", 1, 2_400.0, &bars).unwrap();
        let order: Vec<&str> = figure.bars.iter().map(|b| b.0).collect();
        assert!(order[0].starts_with("Probability of remission"));
        assert!(order[1].starts_with("Utility in remission"));
        assert!(order[5].starts_with("Discount rate"));
        // The strategy's colour, full for high values and tinted for low ones.
        assert_eq!(figure.high_color, strategy_color(1));
        assert_eq!(figure.low_color, RGBColor(234, 175, 128));
        assert!(coloured_pixels(&figure) > 5_000);
        // No bar crosses zero: no zero line.
        let positive = Tornado::new("t", "x", "EUR", 1, 2_400.0, &bars[..2]).unwrap();
        assert!(positive.legend.iter().all(|e| e.label != "Zero"));

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
            "",
            0,
            0.0,
            &many,
        )
        .unwrap();
        let png = std::fs::read(dir.join("tornado_many.png")).unwrap();
        assert_eq!(png_size(&png), (WIDTH, 40 * TORNADO_ROW + TORNADO_CHROME));
        let svg = std::fs::read_to_string(dir.join("tornado_many.svg")).unwrap();
        assert_geometry(&svg, &["Parameter at its low value"]);
        if !keep {
            clean(&dir);
        }
    }
}
