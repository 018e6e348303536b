//! Convergence of a PSA: running means of incremental net monetary benefit
//! against the number of draws.

use std::path::Path;

use super::axes::auto_range;
use super::error::{PlotError, failure};
use super::guided::{GuidedFigure, Shade};
use super::legend::{LegendEntry, Swatch};
use super::money::Money;
use super::render::render;
use super::style::{Dash, GUIDE_COLOR, LineStyle, strategy_color};

/// One running mean of a convergence plot.
#[derive(Clone, Copy, Debug)]
pub struct RunningMean<'a> {
    /// Legend label, e.g. "EKO vs ECT at €20,000/QALY".
    pub label: &'a str,
    /// Position in the scenario of the strategy compared, which gives the
    /// line its colour.
    pub strategy: usize,
    /// Index of the threshold among those drawn, which gives the line its
    /// dash pattern (solid, dashed, dotted, long dashes).
    pub threshold: usize,
    /// The running mean after each draw.
    pub mean: &'a [f64],
    /// Its Monte Carlo standard error after each draw (same length), drawn as
    /// a band of ±1.96 standard errors; empty for no band.
    pub se: &'a [f64],
}

/// Convergence of a PSA: the running mean of incremental net monetary
/// benefit (y, currency) against the number of draws (x, the i-th value is
/// drawn at i + 1), one line per comparison and threshold, in the colour of
/// the strategy compared and the dash pattern of the threshold, inside a
/// light band of its colour, mean ± 1.96 × the running Monte Carlo standard
/// error (the 95% interval of the mean so far), and with a thin dashed line
/// of its colour at its final value, which is labelled right of the frame.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// Running means and errors are computed by the caller; the final value is
/// the last finite mean. Non-finite values leave gaps. The PNG draws every
/// point; the SVG keeps every k-th point of a series longer than 5,000 (plus
/// the last), which is invisible at the figure's resolution. `currency` as in
/// [`ce_plane`](super::ce_plane()).
///
/// # Errors
/// Returns [`PlotError`] if a standard error series is neither empty nor as
/// long as its mean, if a span is not representable as a finite range, or if
/// rendering or writing either file fails.
pub fn convergence(
    stem: &Path,
    title: &str,
    currency: &str,
    series: &[RunningMean<'_>],
) -> Result<(), PlotError> {
    let figure = convergence_figure(title, currency, series).map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

pub(super) fn convergence_figure<'a>(
    title: &'a str,
    currency: &str,
    series: &[RunningMean<'a>],
) -> Result<GuidedFigure<'a>, String> {
    for s in series {
        if !s.se.is_empty() && s.se.len() != s.mean.len() {
            return Err(format!(
                "{:?} has {} means but {} standard errors",
                s.label,
                s.mean.len(),
                s.se.len()
            ));
        }
    }
    let money = Money::new(currency);
    let draws = series.iter().map(|s| s.mean.len()).max().unwrap_or(0);
    // Draw counts are exact in f64 far beyond any feasible PSA.
    let index = |i: usize| (i + 1) as f64;
    let x_range = auto_range([1.0, index(draws.saturating_sub(1))].into_iter(), 0.0)?;
    let bound = |s: &RunningMean<'_>, sign: f64| -> Vec<(f64, f64)> {
        s.mean
            .iter()
            .zip(s.se)
            .enumerate()
            .map(|(i, (m, e))| (index(i), m + sign * 1.96 * e))
            .collect()
    };
    let mut shades = Vec::with_capacity(series.len());
    for s in series.iter().filter(|s| !s.se.is_empty()) {
        shades.push(Shade {
            lower: bound(s, -1.0),
            upper: bound(s, 1.0),
            color: strategy_color(s.strategy),
        });
    }
    // The band of the first few draws is wide and says little: the axis is
    // fitted to the means and to the band from the tenth draw on.
    let y_range = auto_range(
        series
            .iter()
            .flat_map(|s| s.mean.iter().copied())
            .chain(shades.iter().flat_map(|b| {
                b.lower
                    .iter()
                    .chain(&b.upper)
                    .skip_while(|p| p.0 < 10.0)
                    .map(|p| p.1)
            })),
        0.05,
    )?;
    let mut legend: Vec<LegendEntry<'a>> = Vec::with_capacity(series.len() + 2);
    let mut lines = Vec::with_capacity(series.len());
    let mut horizontals = Vec::new();
    for s in series {
        let style = LineStyle {
            color: strategy_color(s.strategy),
            dash: Dash::ALL[s.threshold % Dash::ALL.len()],
        };
        legend.push(LegendEntry {
            label: s.label,
            style,
            swatch: Swatch::Line,
        });
        let points = s
            .mean
            .iter()
            .enumerate()
            .map(|(i, v)| (index(i), *v))
            .collect();
        lines.push((points, style));
        if let Some(last) = s.mean.iter().rev().find(|v| v.is_finite()) {
            horizontals.push((*last, style.color, money.amount(*last)));
        }
    }
    if !shades.is_empty() {
        legend.push(LegendEntry {
            label: "±1.96 Monte Carlo standard errors",
            style: LineStyle::solid(GUIDE_COLOR),
            swatch: Swatch::Shade,
        });
    }
    if !horizontals.is_empty() {
        legend.push(LegendEntry {
            label: "Final value",
            style: LineStyle {
                color: GUIDE_COLOR,
                dash: Dash::Dashed,
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
        shades,
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
    use crate::plot::test_support::{
        assert_geometry, check_files, clean, coloured_pixels, figure_dir, normals,
    };

    /// Running mean and standard error of normal draws, computed directly
    /// from each prefix.
    fn running(seed: u64, mean: f64, sd: f64) -> (Vec<f64>, Vec<f64>) {
        let draws: Vec<f64> = normals(seed, 2_000)
            .into_iter()
            .map(|z| mean + sd * z)
            .collect();
        let mut means = Vec::new();
        let mut ses = Vec::new();
        for n in 1..=draws.len() {
            let prefix = &draws[..n];
            let m = prefix.iter().sum::<f64>() / n as f64;
            let var =
                prefix.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n as f64 - 1.0).max(1.0);
            means.push(m);
            ses.push((var / n as f64).sqrt());
        }
        (means, ses)
    }

    #[test]
    fn convergence_writes_png_and_svg() {
        let (dir, keep) = figure_dir("convergence");
        let (a, sa) = running(7, 6_500.0, 30_000.0);
        let (b, sb) = running(8, -2_000.0, 25_000.0);
        let series = [
            RunningMean {
                label: "EKO vs ECT at €20,000/QALY",
                strategy: 1,
                threshold: 0,
                mean: &a,
                se: &sa,
            },
            RunningMean {
                label: "EKO vs ECT at €50,000/QALY",
                strategy: 1,
                threshold: 1,
                mean: &b,
                se: &sb,
            },
        ];
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
                "Number of draws",
                "Mean incremental net monetary benefit (€)",
                &Money::new("EUR").amount(a[a.len() - 1]),
            ],
        );
        assert_geometry(
            &svg,
            &[
                "EKO vs ECT at €20,000/QALY",
                "EKO vs ECT at €50,000/QALY",
                "±1.96 Monte Carlo standard errors",
                "Final value",
            ],
        );
        assert!(svg.len() < 1_000_000, "svg is {} bytes", svg.len());
        let figure = convergence_figure("t", "EUR", &series).unwrap();
        assert_eq!(figure.x_range, (1.0, 2_000.0));
        // The band is mean ± 1.96 SE at every draw, in the strategy's colour.
        let band = &figure.shades[0];
        assert_eq!(band.upper[99], (100.0, a[99] + 1.96 * sa[99]));
        assert_eq!(band.lower[99], (100.0, a[99] - 1.96 * sa[99]));
        assert_eq!(band.color, strategy_color(1));
        // One strategy, two thresholds: same colour, two patterns.
        assert_eq!(figure.lines[0].1.color, figure.lines[1].1.color);
        assert_ne!(figure.lines[0].1.dash, figure.lines[1].1.dash);
        assert!(coloured_pixels(&figure) > 2_000);
        let short = [RunningMean {
            se: &sa[1..],
            ..series[0]
        }];
        assert!(convergence_figure("t", "EUR", &short).is_err());
        if !keep {
            clean(&dir);
        }
    }
}
