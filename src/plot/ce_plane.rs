//! The cost-effectiveness plane: scatter clouds of incremental QALYs and
//! costs, each with its mean, its 95% ellipse and the share of draws in each
//! quadrant, and willingness-to-pay lines through the origin.

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
use super::style::{Dash, GUIDE_COLOR, HEIGHT, LineStyle, POINT_RADIUS, WIDTH, strategy_color};
use super::wtp::clean_thresholds;

/// The 0.95 quantile of the chi-square distribution with 2 degrees of freedom,
/// −2 ln 0.05: the squared Mahalanobis radius of a 95% ellipse of a bivariate
/// normal distribution.
pub(super) const CHI2_2DF_95: f64 = 5.991_464_547_107_979;

/// Dash patterns of the threshold lines, in increasing order of threshold, so
/// that they can be told apart without colour.
const THRESHOLD_DASHES: [Dash; 4] = [Dash::Dashed, Dash::Dotted, Dash::Long, Dash::Solid];

/// What the caller computed of a cloud: its mean, its sample covariance
/// (var ΔE, cov(ΔE, ΔC), var ΔC) and the share of draws in the north-east,
/// south-east, south-west and north-west quadrants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlaneStats {
    pub mean: (f64, f64),
    pub covariance: (f64, f64, f64),
    pub quadrants: [f64; 4],
}

/// One comparison of the cost-effectiveness plane.
#[derive(Clone, Copy, Debug)]
pub struct PlaneCloud<'a> {
    /// Legend label, e.g. "EKO vs ECT".
    pub label: &'a str,
    /// Position in the scenario of the strategy compared with the reference,
    /// which gives the cloud its colour (the strategy's in every figure).
    pub strategy: usize,
    /// Draws `(incremental QALYs, incremental cost)`.
    pub points: &'a [(f64, f64)],
    /// The cloud's summary; without it the mean, ellipse and quadrant shares
    /// are left out.
    pub stats: Option<PlaneStats>,
}

/// Cost-effectiveness plane: one scatter cloud of solid points per comparison
/// (incremental QALYs on x, incremental cost on y) in its strategy's colour;
/// the mean of each cloud marked with a diamond outlined in black; its 95%
/// ellipse, `{x : (x − μ)ᵀ Σ⁻¹ (x − μ) ≤ χ²₂(0.95) = 5.991}` for the sample
/// mean μ and covariance Σ (the region a bivariate normal with those moments
/// gives 95%; Briggs, Claxton & Sculpher 2006, §5.2), in a darker shade of the
/// colour; the origin axes drawn solid; a line through the origin for each
/// willingness-to-pay threshold, each with its own dash pattern, in the legend
/// and labelled like "€20,000/QALY" where it leaves the frame. The legend
/// gives the share of draws in each quadrant after each comparison's label
/// (NE: more effective and more costly; SE: more effective, less costly;
/// SW: less effective, less costly; NW: less effective, more costly).
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `currency` is an ISO code: `"EUR"` prints as `€` (`€20,000`), any other
/// code is printed as given (`GBP 20,000`); a symbol such as `"£"` is used
/// as is. The axes always include the origin and every ellipse.
///
/// Points with a non-finite coordinate are skipped, and so are non-finite or
/// negative thresholds, and an ellipse whose covariance is not positive
/// definite. The PNG draws every point; **the SVG draws every k-th
/// point of a cloud larger than 5,000 points** (k = ⌈n / 5,000⌉, so at most
/// 5,000 per cloud, deterministic), which keeps the file small without
/// changing the axes or the summaries. Empty clouds render an empty plane.
///
/// # Errors
/// Returns [`PlotError`] if the data span is not representable as a finite
/// range, or if rendering or writing either file fails.
pub fn ce_plane(
    stem: &Path,
    title: &str,
    currency: &str,
    clouds: &[PlaneCloud<'_>],
    wtp: &[f64],
) -> Result<(), PlotError> {
    let figure = CePlane::new(title, currency, clouds, wtp).map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

/// The outline of the 95% ellipse of a cloud, as 97 points (closed), or
/// `None` when the covariance is not positive definite. With the Cholesky
/// factor L of Σ (Σ = L Lᵀ), the ellipse is μ + √5.991 · L (cos t, sin t).
pub(super) fn ellipse(stats: &PlaneStats) -> Option<Vec<(f64, f64)>> {
    let (a, b, c) = stats.covariance;
    if !(a > 0.0 && a.is_finite() && c.is_finite()) {
        return None;
    }
    let l11 = a.sqrt();
    let l21 = b / l11;
    let rest = c - l21 * l21;
    if rest.is_nan() || rest <= 0.0 {
        return None;
    }
    let l22 = rest.sqrt();
    let k = CHI2_2DF_95.sqrt();
    let (mx, my) = stats.mean;
    let mut outline: Vec<(f64, f64)> = (0..96)
        .map(|i| {
            let t = std::f64::consts::TAU * f64::from(i) / 96.0;
            let (u, v) = (t.cos(), t.sin());
            (mx + k * l11 * u, my + k * (l21 * u + l22 * v))
        })
        .collect();
    outline.push(outline[0]);
    Some(outline)
}

/// A colour darkened towards black, for the ellipse drawn over its own cloud.
fn darker(color: RGBColor) -> RGBColor {
    let f = |v: u8| (f64::from(v) * 0.55).round() as u8;
    RGBColor(f(color.0), f(color.1), f(color.2))
}

/// "12.3%" for a share of 0.123.
fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

/// One scatter cloud of the cost-effectiveness plane.
pub(super) struct Cloud<'a> {
    points: &'a [(f64, f64)],
    label: String,
    mean: Option<(f64, f64)>,
    ellipse: Option<Vec<(f64, f64)>>,
    color: RGBColor,
}

/// The cost-effectiveness plane.
pub(super) struct CePlane<'a> {
    title: &'a str,
    money: Money,
    clouds: Vec<Cloud<'a>>,
    /// Finite, non-negative willingness-to-pay thresholds and their labels.
    wtp: Vec<(f64, String)>,
    x_range: (f64, f64),
    y_range: (f64, f64),
}

impl<'a> CePlane<'a> {
    fn new(
        title: &'a str,
        currency: &str,
        clouds: &[PlaneCloud<'a>],
        wtp: &[f64],
    ) -> Result<Self, String> {
        let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
        let mut drawn = Vec::with_capacity(clouds.len());
        for cloud in clouds {
            let stats = cloud
                .stats
                .filter(|s| s.mean.0.is_finite() && s.mean.1.is_finite());
            let label = match stats {
                Some(s) => format!(
                    "{}: NE {}, SE {}, SW {}, NW {}",
                    cloud.label,
                    percent(s.quadrants[0]),
                    percent(s.quadrants[1]),
                    percent(s.quadrants[2]),
                    percent(s.quadrants[3])
                ),
                None => cloud.label.to_owned(),
            };
            drawn.push(Cloud {
                points: cloud.points,
                label,
                mean: stats.map(|s| s.mean),
                ellipse: stats.as_ref().and_then(ellipse),
                color: strategy_color(cloud.strategy),
            });
        }
        let all = || {
            drawn.iter().flat_map(|c| {
                c.points
                    .iter()
                    .filter(finite)
                    .chain(c.ellipse.iter().flatten())
                    .copied()
            })
        };
        // The origin is always in view: it is where the threshold lines meet.
        let x_range = auto_range(all().map(|p| p.0).chain([0.0]), 0.06)?;
        let y_range = auto_range(all().map(|p| p.1).chain([0.0]), 0.06)?;
        let money = Money::new(currency);
        Ok(Self {
            title,
            wtp: clean_thresholds(wtp)
                .into_iter()
                .map(|t| (t, money.per_qaly(t)))
                .collect(),
            money,
            clouds: drawn,
            x_range,
            y_range,
        })
    }

    fn legend(&self) -> Vec<LegendEntry<'_>> {
        let mut legend: Vec<LegendEntry<'_>> = self
            .clouds
            .iter()
            .map(|c| LegendEntry {
                label: &c.label,
                style: LineStyle::solid(c.color),
                swatch: Swatch::Dots,
            })
            .collect();
        if self.clouds.iter().any(|c| c.mean.is_some()) {
            legend.push(LegendEntry {
                label: "Mean of draws",
                style: LineStyle::solid(WHITE),
                swatch: Swatch::Mean,
            });
        }
        if let Some(cloud) = self.clouds.iter().find(|c| c.ellipse.is_some()) {
            legend.push(LegendEntry {
                label: "95% ellipse",
                style: LineStyle::solid(darker(cloud.color)),
                swatch: Swatch::Line,
            });
        }
        for (k, (_, label)) in self.wtp.iter().enumerate() {
            legend.push(LegendEntry {
                label,
                style: threshold_style(k),
                swatch: Swatch::Line,
            });
        }
        legend
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

/// The style of the `k`-th threshold line (thresholds in increasing order).
fn threshold_style(k: usize) -> LineStyle {
    LineStyle {
        color: GUIDE_COLOR,
        dash: THRESHOLD_DASHES[k % THRESHOLD_DASHES.len()],
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
        let area = frame(root, self.title, &self.legend())?;
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;

        // Each threshold is labelled where its line leaves the frame on the
        // right-hand side: above the frame if through the top edge, right of
        // it if through the right edge.
        let mut above = Vec::new();
        let mut beside = Vec::new();
        let mut segments = Vec::new();
        for (k, (lambda, label)) in self.wtp.iter().enumerate() {
            let Some(segment) = self.wtp_segment(*lambda) else {
                continue;
            };
            let (end_x, end_y) = segment.1;
            if end_x < x1 {
                above.push((end_x, label.clone()));
            } else {
                beside.push((end_y, label.clone()));
            }
            segments.push((segment, threshold_style(k)));
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
            let style = cloud.color.filled();
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

        // Thresholds and ellipses go over the clouds so that they stay visible.
        for ((from, to), style) in segments {
            draw_stroke(&mut chart, &[from, to], style.shape(), style.dash.pattern())?;
        }
        for cloud in &self.clouds {
            if let Some(outline) = &cloud.ellipse {
                draw_stroke(
                    &mut chart,
                    outline,
                    darker(cloud.color).stroke_width(3),
                    None,
                )?;
            }
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
    use crate::plot::test_support::{
        assert_geometry, check_files, clean, cloud, coloured_pixels, figure_dir,
    };

    /// The summary of a cloud as the caller computes it (econ::plane), here by
    /// hand so that the test sees only this module.
    fn stats(points: &[(f64, f64)]) -> PlaneStats {
        let n = points.len() as f64;
        let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
        let my = points.iter().map(|p| p.1).sum::<f64>() / n;
        let cov = |f: &dyn Fn(&(f64, f64)) -> f64| points.iter().map(f).sum::<f64>() / (n - 1.0);
        let share = |f: &dyn Fn(&&(f64, f64)) -> bool| points.iter().filter(f).count() as f64 / n;
        PlaneStats {
            mean: (mx, my),
            covariance: (
                cov(&|p| (p.0 - mx).powi(2)),
                cov(&|p| (p.0 - mx) * (p.1 - my)),
                cov(&|p| (p.1 - my).powi(2)),
            ),
            quadrants: [
                share(&|p| p.0 > 0.0 && p.1 > 0.0),
                share(&|p| p.0 > 0.0 && p.1 <= 0.0),
                share(&|p| p.0 <= 0.0 && p.1 <= 0.0),
                share(&|p| p.0 <= 0.0 && p.1 > 0.0),
            ],
        }
    }

    #[test]
    fn ce_plane_writes_png_and_svg() {
        let (dir, keep) = figure_dir("ce-plane");
        let a = cloud(1, 10_000, (0.12, 4_000.0), (0.08, 6_000.0));
        let b = cloud(2, 10_000, (-0.02, -9_000.0), (0.05, 5_000.0));
        let c = cloud(3, 10_000, (0.2, 18_000.0), (0.07, 7_000.0));
        let clouds = [
            PlaneCloud {
                label: "EKO vs TAU",
                strategy: 1,
                points: &a,
                stats: Some(stats(&a)),
            },
            PlaneCloud {
                label: "ECT vs TAU",
                strategy: 2,
                points: &b,
                stats: Some(stats(&b)),
            },
            PlaneCloud {
                label: "X vs TAU",
                strategy: 3,
                points: &c,
                stats: None,
            },
        ];
        let wtp = [20_000.0, 50_000.0, 100_000.0];
        ce_plane(
            &dir.join("ce_plane"),
            "Cost-effectiveness plane",
            "EUR",
            &clouds,
            &wtp,
        )
        .unwrap();
        let figure = CePlane::new("t", "EUR", &clouds, &wtp).unwrap();
        let legend: Vec<String> = figure.legend().iter().map(|e| e.label.to_owned()).collect();
        let legend: Vec<&str> = legend.iter().map(String::as_str).collect();
        let svg = check_files(
            &dir,
            "ce_plane",
            (WIDTH, HEIGHT),
            &[
                "Cost-effectiveness plane",
                "Incremental QALYs",
                "Incremental cost (€)",
            ],
        );
        assert_geometry(&svg, &legend);
        let q = stats(&a).quadrants;
        let first = format!(
            "EKO vs TAU: NE {:.1}%, SE {:.1}%, SW {:.1}%, NW {:.1}%",
            100.0 * q[0],
            100.0 * q[1],
            100.0 * q[2],
            100.0 * q[3]
        );
        for label in [
            first.as_str(),
            "X vs TAU",
            "Mean of draws",
            "95% ellipse",
            "€20,000/QALY",
            "€50,000/QALY",
            "€100,000/QALY",
        ] {
            assert!(legend.contains(&label), "{label} not in {legend:?}");
        }
        // Every point drawn solid in its strategy's colour.
        let vermillion = "fill=\"#D55E00\" stroke=\"none\"";
        assert!(
            svg.matches(vermillion).count() >= SVG_MAX_POINTS,
            "points not solid"
        );
        assert!(!svg.contains("fill-opacity"));
        assert!(!svg.contains("opacity=\"0.3\""));
        // At most 5,000 points per cloud, plus 4 dots per legend swatch.
        let circles = svg.matches("<circle").count();
        assert_eq!(circles, 3 * SVG_MAX_POINTS + 3 * 4);
        assert!(svg.len() < 2_000_000, "svg is {} bytes", svg.len());
        // Three dash patterns for three thresholds.
        let styles: Vec<LineStyle> = (0..3).map(threshold_style).collect();
        assert!(styles[0] != styles[1] && styles[1] != styles[2] && styles[0] != styles[2]);
        assert!(coloured_pixels(&figure) > 20_000);
        if !keep {
            clean(&dir);
        }
    }

    #[test]
    fn ellipse_is_the_95_percent_contour() {
        // Σ = [[4, 2], [2, 5]]: every point of the outline has Mahalanobis
        // distance² 5.991 from the mean.
        let stats = PlaneStats {
            mean: (1.0, -2.0),
            covariance: (4.0, 2.0, 5.0),
            quadrants: [0.0; 4],
        };
        let outline = ellipse(&stats).unwrap();
        let det = 4.0 * 5.0 - 2.0 * 2.0;
        for (x, y) in &outline {
            let (dx, dy) = (x - 1.0, y + 2.0);
            let d2 = (5.0 * dx * dx - 2.0 * 2.0 * dx * dy + 4.0 * dy * dy) / det;
            assert!((d2 - CHI2_2DF_95).abs() < 1e-9, "{d2}");
        }
        assert_eq!(outline.first(), outline.last());
        // The quantile: P(χ²₂ ≤ q) = 1 − exp(−q/2) = 0.95.
        assert!((1.0 - (-CHI2_2DF_95 / 2.0).exp() - 0.95).abs() < 1e-15);
        let flat = PlaneStats {
            covariance: (1.0, 1.0, 1.0),
            ..stats
        };
        assert!(ellipse(&flat).is_none());
    }
}
