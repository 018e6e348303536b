//! The single-panel line chart with threshold guides that the CEAC, EVPI
//! and convergence figures are drawn as.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::annotate::annotated_chart;
use super::axes::{Axes, CHART_RIGHT};
use super::figure::{Figure, Output, frame};
use super::format::tick_formatter;
use super::legend::LegendEntry;
use super::marks::{draw_line, draw_stroke};
use super::money::Money;
use super::style::{BAND_COLOR, BAND_WIDTH, GUIDE_COLOR, HEIGHT, LineStyle, SHADE_ALPHA, WIDTH};

/// A single-panel line chart with threshold guides: the CEAC, EVPI and
/// convergence figures.
pub(super) struct GuidedFigure<'a> {
    pub(super) title: &'a str,
    pub(super) x_label: String,
    pub(super) y_label: String,
    /// Currency of the x (y) tick labels; plain numbers when `None`.
    pub(super) x_money: Option<Money>,
    pub(super) y_money: Option<Money>,
    pub(super) x_range: (f64, f64),
    pub(super) y_range: (f64, f64),
    /// Drawn as a thick grey band beneath the lines (the CEAF).
    pub(super) band: Vec<(f64, f64)>,
    /// Light bands between a lower and an upper line, in a colour (Monte
    /// Carlo intervals), drawn beneath everything else.
    pub(super) shades: Vec<Shade>,
    pub(super) lines: Vec<(Vec<(f64, f64)>, LineStyle)>,
    /// Dotted vertical guides at x, labelled above the frame.
    pub(super) verticals: Vec<(f64, String)>,
    /// Thin dashed horizontal guides at y in a colour, labelled right of the
    /// frame.
    pub(super) horizontals: Vec<(f64, RGBColor, String)>,
    pub(super) legend: Vec<LegendEntry<'a>>,
}

/// A light band between `lower` and `upper` (same x values) in `color`.
pub(super) struct Shade {
    pub(super) lower: Vec<(f64, f64)>,
    pub(super) upper: Vec<(f64, f64)>,
    pub(super) color: RGBColor,
}

impl Shade {
    /// The band as polygons, one per run of points finite on both sides, in
    /// the thinned resolution of `output`.
    fn polygons(&self, output: Output) -> Vec<Vec<(f64, f64)>> {
        let pairs: Vec<((f64, f64), (f64, f64))> = self
            .lower
            .iter()
            .copied()
            .zip(self.upper.iter().copied())
            .collect();
        let finite = |p: &((f64, f64), (f64, f64))| {
            p.0.0.is_finite() && p.0.1.is_finite() && p.1.0.is_finite() && p.1.1.is_finite()
        };
        let stride = output.stride(pairs.len());
        let mut polygons = Vec::new();
        for run in pairs.split(|p| !finite(p)).filter(|run| run.len() > 1) {
            let mut kept: Vec<_> = run.iter().step_by(stride).copied().collect();
            if !(run.len() - 1).is_multiple_of(stride) {
                kept.extend(run.last());
            }
            let mut outline: Vec<(f64, f64)> = kept.iter().map(|p| p.1).collect();
            outline.extend(kept.iter().rev().map(|p| p.0));
            polygons.push(outline);
        }
        polygons
    }
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

        for shade in &self.shades {
            let fill = shade.color.mix(SHADE_ALPHA).filled();
            chart
                .draw_series(
                    shade
                        .polygons(output)
                        .into_iter()
                        .map(|outline| Polygon::new(outline, fill)),
                )
                .map_err(|e| e.to_string())?;
        }
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
