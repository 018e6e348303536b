//! The ranking of parameters and groups by their expected value of partial perfect
//! information at one threshold (BCEA's `info.rank`).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::annotate::annotated_chart;
use super::axes::{Axes, auto_range};
use super::error::{PlotError, failure};
use super::figure::{Figure, Output, draw_row_name, frame, row_axes, row_labels, rows_height};
use super::legend::{LegendEntry, Swatch};
use super::marks::draw_stroke;
use super::money::Money;
use super::render::render;
use super::style::{LineStyle, WIDTH};
use super::tornado::{TORNADO_CHROME, TORNADO_MIN_HEIGHT, TORNADO_ROW};

/// Colour of the bars: a neutral grey, because every palette colour stands for a
/// strategy somewhere.
const BAR_COLOR: RGBColor = RGBColor(140, 140, 140);

/// EVPPI per person of each parameter or group at one willingness to pay, as horizontal
/// bars from zero sorted largest on top (BCEA `info.rank()`), each with a whisker of ±1.96
/// standard errors, and the EVPI as a solid vertical line labelled above the frame.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist. `bars` is
/// `(name, EVPPI, standard error)`; names wider than a third of the figure are shortened
/// with "…"; a non-finite EVPPI leaves out its bar and sorts last, a non-finite error its
/// whisker. Sized like a tornado diagram: 34 px per bar plus 220 px, at least 480 px.
/// `currency` as in [`ce_plane`](super::ce_plane()).
///
/// # Errors
/// Returns [`PlotError`] if `evpi` is not finite, if the x span is not representable as a
/// finite range, or if rendering or writing either file fails.
pub fn evppi_rank(
    stem: &Path,
    title: &str,
    currency: &str,
    evpi: f64,
    bars: &[(&str, f64, f64)],
) -> Result<(), PlotError> {
    let figure = Rank::new(title, currency, evpi, bars).map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

struct Rank<'a> {
    title: &'a str,
    money: Money,
    x_label: String,
    evpi: f64,
    bars: Vec<(&'a str, f64, f64)>,
    x_range: (f64, f64),
    legend: Vec<LegendEntry<'a>>,
}

impl<'a> Rank<'a> {
    fn new(
        title: &'a str,
        currency: &str,
        evpi: f64,
        bars: &[(&'a str, f64, f64)],
    ) -> Result<Self, String> {
        if !evpi.is_finite() {
            return Err(format!("the EVPI {evpi} is not finite"));
        }
        let mut bars = bars.to_vec();
        let size = |b: &(&str, f64, f64)| {
            if b.1.is_finite() {
                b.1
            } else {
                f64::NEG_INFINITY
            }
        };
        // Stable, so that equal values keep the caller's order.
        bars.sort_by(|a, b| size(b).total_cmp(&size(a)));
        let ends = bars.iter().flat_map(|(_, v, se)| {
            let whisker = if se.is_finite() { v + 1.96 * se } else { *v };
            [*v, whisker]
        });
        let (_, hi) = auto_range(ends.chain([0.0, evpi]), 0.05)?;
        let money = Money::new(currency);
        Ok(Self {
            title,
            x_label: money.described("EVPPI per person", ""),
            money,
            evpi,
            bars,
            x_range: (-0.02 * hi, hi),
            legend: vec![
                LegendEntry {
                    label: "EVPPI (whisker: ±1.96 standard errors)",
                    style: LineStyle::solid(BAR_COLOR),
                    swatch: Swatch::Bar,
                },
                LegendEntry {
                    label: "EVPI (all parameters)",
                    style: LineStyle::solid(BLACK),
                    swatch: Swatch::Line,
                },
            ],
        })
    }
}

impl Figure for Rank<'_> {
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
        let (name_style, names, widest) =
            row_labels(&area, self.bars.iter().map(|(name, _, _)| *name), WIDTH / 3)?;
        let n = self.bars.len().max(1) as f64;
        let x_fmt = self.money.ticks(self.x_range);
        let axes = Axes {
            x_ticks: 8,
            ..row_axes(&self.x_label, self.x_range, n, widest, &x_fmt)
        };
        let label = format!("EVPI: {}", self.money.amount(self.evpi));
        let mut chart = annotated_chart(&area, axes, &[(self.evpi, label)], &[])?;
        for (i, ((_, value, se), name)) in self.bars.iter().zip(&names).enumerate() {
            let y = n - 1.0 - i as f64;
            if value.is_finite() {
                chart
                    .draw_series([Rectangle::new(
                        [(0.0, y - 0.32), (*value, y + 0.32)],
                        BAR_COLOR.filled(),
                    )])
                    .map_err(|e| e.to_string())?;
                if se.is_finite() && *se > 0.0 {
                    let (lo, hi) = ((value - 1.96 * se).max(0.0), value + 1.96 * se);
                    let stroke = BLACK.stroke_width(2);
                    draw_stroke(&mut chart, &[(lo, y), (hi, y)], stroke, None)?;
                    for end in [lo, hi] {
                        draw_stroke(
                            &mut chart,
                            &[(end, y - 0.15), (end, y + 0.15)],
                            stroke,
                            None,
                        )?;
                    }
                }
            }
            draw_row_name(&area, &chart, (name, &name_style), self.x_range, y)?;
        }
        draw_stroke(
            &mut chart,
            &[(self.evpi, -0.5), (self.evpi, n - 0.5)],
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
        assert_geometry, check_files, clean, coloured_pixels, figure_dir,
    };

    #[test]
    fn evppi_rank_writes_png_and_svg() {
        let (dir, keep) = figure_dir("evppi-rank");
        let bars = [
            ("Share of ECT given inpatient", 120.0, 10.0),
            ("Cost of esketamine per week", 480.0, 25.0),
            ("Week-8 shares, EKO (group)", 60.0, f64::NAN),
            ("Utility in remission", 0.0, 0.0),
        ];
        evppi_rank(
            &dir.join("rank"),
            "EVPPI per person at €20,000/QALY",
            "EUR",
            650.0,
            &bars,
        )
        .unwrap();
        let svg = check_files(
            &dir,
            "rank",
            (WIDTH, TORNADO_MIN_HEIGHT),
            &[
                "EVPPI per person at €20,000/QALY",
                "EVPI: €650",
                "Cost of esketamine per week",
                "EVPPI per person (€)",
            ],
        );
        let figure = Rank::new("t", "EUR", 650.0, &bars).unwrap();
        let order: Vec<&str> = figure.bars.iter().map(|b| b.0).collect();
        assert_eq!(order[0], "Cost of esketamine per week");
        assert_eq!(order[3], "Utility in remission");
        assert_geometry(
            &svg,
            &[
                "EVPPI (whisker: ±1.96 standard errors)",
                "EVPI (all parameters)",
            ],
        );
        // Grey bars: no strategy colour where no strategy is meant.
        assert_eq!(coloured_pixels(&figure), 0);
        assert!(Rank::new("t", "EUR", f64::NAN, &bars).is_err());
        evppi_rank(&dir.join("empty"), "t", "EUR", 0.0, &[]).unwrap();
        if !keep {
            clean(&dir);
        }
    }
}
