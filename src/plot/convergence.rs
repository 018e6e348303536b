//! Convergence of a PSA: running means of incremental net monetary benefit
//! against the number of draws.

use std::path::Path;

use super::axes::auto_range;
use super::error::{PlotError, failure};
use super::guided::GuidedFigure;
use super::legend::{LegendEntry, Swatch};
use super::money::Money;
use super::render::render;
use super::style::{GUIDE_COLOR, LineStyle};

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
/// `currency` as in [`ce_plane`](super::ce_plane()).
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

pub(super) fn convergence_figure<'a>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::style::{HEIGHT, WIDTH};
    use crate::plot::test_support::{check_files, clean, coloured_pixels, figure_dir, normals};

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
}
