//! Line charts: the [`Series`] type, the one-panel chart [`lines`], and the
//! multi-panel line figure the Markov trace is drawn with.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{auto_range, cartesian};
use super::error::{PlotError, with_extension};
use super::figure::{Figure, Output, frame};
use super::legend::{LegendEntry, Swatch};
use super::marks::draw_line;
use super::render::render;
use super::style::{HEIGHT, LineStyle, MAX_HEIGHT, WIDTH};

/// Height added per panel when panels are stacked, so that each stacked panel
/// keeps a readable plotting area instead of shrinking to a sliver.
pub(super) const STACKED_PANEL_HEIGHT: u32 = 280;
/// Height reserved above stacked panels for the title and below for the legend.
pub(super) const STACKED_CHROME_HEIGHT: u32 = 160;

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

/// General line chart with one panel: one coloured line per series and a
/// legend below the plot. The first `strategies` series are the strategies
/// of a scenario in its order and take their colours of every figure; the
/// others change colour and dash pattern from one to the next.
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
    strategies: usize,
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
        legend: legend_entries(series.iter())
            .into_iter()
            .enumerate()
            .map(|(i, entry)| LegendEntry {
                style: if i < strategies {
                    LineStyle::strategy(i)
                } else {
                    LineStyle::nth(i - strategies)
                },
                ..entry
            })
            .collect(),
    };
    render(stem, &figure)
}

/// One legend entry per distinct label, in order of first appearance, each
/// with its own style; series are later styled by looking up their label.
pub(super) fn legend_entries<'s, 'a: 's>(
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
pub(super) struct Panel<'a> {
    pub(super) caption: Option<&'a str>,
    pub(super) series: &'a [Series<'a>],
}

/// A figure of one or more line-chart panels sharing axes labels, ranges and a
/// legend. Drawn identically onto any backend.
pub(super) struct LineFigure<'a> {
    pub(super) title: &'a str,
    pub(super) x_label: &'a str,
    pub(super) y_label: &'a str,
    pub(super) x_range: (f64, f64),
    pub(super) y_range: (f64, f64),
    pub(super) panels: Vec<Panel<'a>>,
    pub(super) legend: Vec<LegendEntry<'a>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::render::render_rgb;
    use crate::plot::test_support::{assert_svg, clean, png_size, temp_dir, weeks};

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
            2,
            Some((0.0, 1.0)),
        )
        .unwrap();
        let png = std::fs::read(dir.join("ceac.png")).unwrap();
        assert_eq!(png_size(&png), (WIDTH, HEIGHT));
        let svg = std::fs::read_to_string(dir.join("ceac.svg")).unwrap();
        // The SVG backend escapes markup characters in text; assert_svg decodes them.
        assert!(svg.contains("Esketamine &amp; ECT"));
        assert_svg(
            &svg,
            &[
                "Acceptability curve",
                "Esketamine & ECT",
                "ECT",
                "Willingness to pay (£/QALY)",
            ],
        );
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
            0,
            None,
        )
        .unwrap();
        let legend = legend_entries(series.iter());
        assert_eq!(legend.len(), 12);
        // Colours repeat after seven series, but never with the same pattern.
        assert_eq!(legend[7].style.color, legend[0].style.color);
        for (i, a) in legend.iter().enumerate() {
            assert!(legend[i + 1..].iter().all(|b| b.style != a.style));
        }
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
    fn write_failure_is_an_error_naming_the_file() {
        let stem = std::env::temp_dir()
            .join(format!("trdsim-plot-missing-{}", std::process::id()))
            .join("fig");
        let series = [Series {
            label: "a",
            points: &[(0.0, 0.0), (1.0, 1.0)],
        }];
        let err = lines(&stem, "t", "x", "y", &series, 0, None).unwrap_err();
        assert!(err.to_string().contains("fig.png"), "{err}");
        assert!(err.to_string().starts_with("cannot write"), "{err}");
    }
}
