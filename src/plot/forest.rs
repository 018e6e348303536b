//! The scenario forest plot: one estimate with its interval per row.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::annotate::{ANNOTATION_GAP, annotated_chart, annotation_style};
use super::axes::{Axes, auto_range};
use super::error::{PlotError, failure};
use super::figure::{Figure, Output, draw_row_name, frame, row_axes, row_labels, rows_height};
use super::legend::{LegendEntry, Swatch};
use super::marks::draw_stroke;
use super::money::Money;
use super::render::render;
use super::style::{Dash, GUIDE_COLOR, LineStyle, WIDTH, strategy_color};

/// Height of one row, in pixels.
pub(super) const FOREST_ROW: u32 = 40;
/// Height of a forest plot without its rows (title, axes, legend).
pub(super) const FOREST_CHROME: u32 = 230;
/// Least height of a forest plot.
pub(super) const FOREST_MIN_HEIGHT: u32 = 400;

/// One row of a forest plot.
#[derive(Clone, Copy, Debug)]
pub struct ForestRow<'a> {
    /// Row label, e.g. the scenario's title.
    pub label: &'a str,
    /// Legend label of the comparison, e.g. "EKO vs ECT"; rows with the same
    /// one share an entry.
    pub comparison: &'a str,
    /// Position in the scenario of the strategy compared (its colour).
    pub strategy: usize,
    pub estimate: f64,
    /// The 95% interval, if there is one.
    pub interval: Option<(f64, f64)>,
}

/// Scenario forest plot: one row per scenario (and comparison), top to bottom
/// in the given order, with the estimate as a dot in the colour of the
/// strategy compared and its 95% interval as a whisker, a dashed line at zero,
/// and the estimate and interval written right of the frame (like "€6,520
/// (−€1,200 to €14,000)").
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `x_label` names the outcome with its unit; tick labels are amounts of
/// `currency` (as in [`ce_plane`](super::ce_plane())). A non-finite estimate
/// leaves its dot out, a non-finite interval its whisker. Labels wider than
/// 40% of the figure are shortened with "…". The figure is 40 px tall per
/// row plus 230 px (at least 400 px, at most 4200 px).
///
/// # Errors
/// Returns [`PlotError`] if the x span is not representable as a finite
/// range, or if rendering or writing either file fails.
pub fn forest(
    stem: &Path,
    title: &str,
    x_label: &str,
    currency: &str,
    rows: &[ForestRow<'_>],
) -> Result<(), PlotError> {
    let figure = Forest::new(title, x_label, currency, rows).map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

const ZERO_LINE: LineStyle = LineStyle {
    color: GUIDE_COLOR,
    dash: Dash::Dashed,
};

pub(super) struct Forest<'a> {
    title: &'a str,
    x_label: &'a str,
    money: Money,
    rows: Vec<ForestRow<'a>>,
    /// The text right of each row.
    values: Vec<String>,
    x_range: (f64, f64),
    legend: Vec<LegendEntry<'a>>,
}

impl<'a> Forest<'a> {
    fn new(
        title: &'a str,
        x_label: &'a str,
        currency: &str,
        rows: &[ForestRow<'a>],
    ) -> Result<Self, String> {
        let money = Money::new(currency);
        let ends = rows.iter().flat_map(|r| {
            let (lo, hi) = r.interval.unwrap_or((r.estimate, r.estimate));
            [r.estimate, lo, hi]
        });
        let x_range = auto_range(ends.chain([0.0]), 0.05)?;
        let values = rows
            .iter()
            .map(|r| match r.interval {
                Some((lo, hi)) if lo.is_finite() && hi.is_finite() => format!(
                    "{} ({} to {})",
                    money.amount(r.estimate),
                    money.amount(lo),
                    money.amount(hi)
                ),
                _ => money.amount(r.estimate),
            })
            .collect();
        let mut legend: Vec<LegendEntry<'a>> = Vec::new();
        for r in rows {
            if !legend.iter().any(|e| e.label == r.comparison) {
                legend.push(LegendEntry {
                    label: r.comparison,
                    style: LineStyle::strategy(r.strategy),
                    swatch: Swatch::Interval,
                });
            }
        }
        if rows.iter().any(|r| r.interval.is_some()) {
            legend.push(LegendEntry {
                label: "Whisker: 95% interval of the PSA",
                style: LineStyle::solid(GUIDE_COLOR),
                swatch: Swatch::Line,
            });
        }
        legend.push(LegendEntry {
            label: "Zero",
            style: ZERO_LINE,
            swatch: Swatch::Line,
        });
        Ok(Self {
            title,
            x_label,
            money,
            rows: rows.to_vec(),
            values,
            x_range,
            legend,
        })
    }
}

impl Figure for Forest<'_> {
    fn size(&self) -> (u32, u32) {
        let height = rows_height(
            self.rows.len(),
            FOREST_ROW,
            FOREST_CHROME,
            FOREST_MIN_HEIGHT,
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
            row_labels(&area, self.rows.iter().map(|row| row.label), WIDTH * 2 / 5)?;
        let value_style = annotation_style().pos(Pos::new(HPos::Left, VPos::Center));
        let mut widest_value = 0;
        for value in &self.values {
            let (width, _) = area
                .estimate_text_size(value, &value_style)
                .map_err(|e| e.to_string())?;
            widest_value = widest_value.max(width);
        }
        let n = self.rows.len().max(1) as f64;
        let x_fmt = self.money.ticks(self.x_range);
        let axes = Axes {
            right: widest_value
                .saturating_add(3 * ANNOTATION_GAP.unsigned_abs())
                .min(WIDTH / 3),
            x_ticks: 8,
            ..row_axes(self.x_label, self.x_range, n, widest, &x_fmt)
        };
        let mut chart = annotated_chart(&area, axes, &[], &[])?;
        draw_stroke(
            &mut chart,
            &[(0.0, -0.5), (0.0, n - 0.5)],
            ZERO_LINE.shape(),
            ZERO_LINE.dash.pattern(),
        )?;
        let (frame_x, _) = chart.plotting_area().get_pixel_range();
        let (base_x, base_y) = area.get_base_pixel();
        for (i, ((row, name), value)) in self.rows.iter().zip(&names).zip(&self.values).enumerate()
        {
            let y = n - 1.0 - i as f64;
            let color = strategy_color(row.strategy);
            if let Some((lo, hi)) = row.interval.filter(|(l, h)| l.is_finite() && h.is_finite()) {
                draw_stroke(&mut chart, &[(lo, y), (hi, y)], color.stroke_width(3), None)?;
                for end in [lo, hi] {
                    draw_stroke(
                        &mut chart,
                        &[(end, y - 0.18), (end, y + 0.18)],
                        color.stroke_width(3),
                        None,
                    )?;
                }
            }
            if row.estimate.is_finite() {
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (row.estimate, y),
                        7,
                        color.filled(),
                    )))
                    .map_err(|e| e.to_string())?;
            }
            draw_row_name(&area, &chart, (name, &name_style), self.x_range, y)?;
            let centre = chart.backend_coord(&(self.x_range.0, y)).1;
            area.draw_text(
                value,
                &value_style,
                (frame_x.end + ANNOTATION_GAP - base_x, centre - base_y),
            )
            .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::test_support::{assert_geometry, check_files, clean, figure_dir};

    #[test]
    fn forest_writes_png_and_svg() {
        let (dir, keep) = figure_dir("forest");
        let rows = [
            ForestRow {
                label: "Base case",
                comparison: "EKO vs ECT",
                strategy: 1,
                estimate: 6_520.0,
                interval: Some((-1_200.0, 14_000.0)),
            },
            ForestRow {
                label: "A scenario with a title far too long to be shown whole beside the plot",
                comparison: "EKO vs ECT",
                strategy: 1,
                estimate: -2_000.0,
                interval: None,
            },
            ForestRow {
                label: "Third strategy",
                comparison: "TAU vs ECT",
                strategy: 2,
                estimate: 300.0,
                interval: Some((f64::NAN, 1.0)),
            },
        ];
        let x_label = "Incremental net monetary benefit (€) at €20,000/QALY";
        forest(
            &dir.join("forest"),
            "Scenario analyses",
            x_label,
            "EUR",
            &rows,
        )
        .unwrap();
        let svg = check_files(
            &dir,
            "forest",
            (WIDTH, FOREST_MIN_HEIGHT),
            &[
                "Scenario analyses",
                x_label,
                "Base case",
                "€6,520 (-€1,200 to €14,000)",
                "-€2,000",
            ],
        );
        assert_geometry(
            &svg,
            &[
                "EKO vs ECT",
                "TAU vs ECT",
                "Whisker: 95% interval of the PSA",
                "Zero",
            ],
        );
        let figure = Forest::new("t", "x", "EUR", &rows).unwrap();
        assert!(figure.x_range.0 < -2_000.0 && figure.x_range.1 > 14_000.0);
        assert_eq!(figure.legend.len(), 4);
        forest(&dir.join("empty"), "t", "x", "EUR", &[]).unwrap();
        if !keep {
            clean(&dir);
        }
    }
}
