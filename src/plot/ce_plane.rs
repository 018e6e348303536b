//! The cost-effectiveness plane: scatter clouds of incremental QALYs and
//! costs, with willingness-to-pay lines through the origin.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::annotate::annotated_chart;
use super::axes::{Axes, auto_range};
use super::error::{PlotError, failure};
use super::figure::{Figure, Output, frame};
use super::format::tick_formatter;
use super::legend::{LegendEntry, Swatch};
use super::marks::{draw_stroke, mean_marker};
use super::money::Money;
use super::render::render;
use super::style::{GUIDE_COLOR, HEIGHT, LineStyle, POINT_ALPHA, POINT_RADIUS, WIDTH};
use super::wtp::clean_thresholds;

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

/// One scatter cloud of the cost-effectiveness plane.
pub(super) struct Cloud<'a> {
    points: &'a [(f64, f64)],
    mean: Option<(f64, f64)>,
    color: RGBColor,
}

/// The cost-effectiveness plane.
pub(super) struct CePlane<'a> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::figure::SVG_MAX_POINTS;
    use crate::plot::test_support::{check_files, clean, cloud, coloured_pixels, figure_dir};

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
}
