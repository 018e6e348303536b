//! Expected value of perfect information against willingness to pay.

use std::path::Path;

use super::axes::auto_range;
use super::error::{PlotError, failure};
use super::guided::GuidedFigure;
use super::legend::{LegendEntry, Swatch};
use super::money::Money;
use super::render::render;
use plotters::style::colors::BLACK;

use super::style::LineStyle;
use super::wtp::{against, check_len, wtp_guides};

/// Expected value of perfect information per person (y, currency) against
/// willingness to pay (x, currency per QALY), with each threshold a dotted
/// vertical line labelled like "€20,000/QALY" above the frame.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `evpi` holds one value per entry of `wtp`; non-finite values leave gaps,
/// and non-finite or negative thresholds are skipped. The x axis spans the
/// grid and the thresholds; the y axis starts (just below) 0 unless a value
/// is negative. `currency` as in
/// [`ce_plane`](super::ce_plane()).
///
/// # Errors
/// Returns [`PlotError`] if `evpi` does not have one value per
/// willingness-to-pay value, if a span is not representable as a finite
/// range, or if rendering or writing either file fails.
pub fn evpi(
    stem: &Path,
    title: &str,
    currency: &str,
    wtp: &[f64],
    evpi: &[f64],
    thresholds: &[f64],
) -> Result<(), PlotError> {
    let figure =
        evpi_figure(title, currency, wtp, evpi, thresholds).map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

pub(super) fn evpi_figure<'a>(
    title: &'a str,
    currency: &str,
    wtp: &[f64],
    evpi: &[f64],
    thresholds: &[f64],
) -> Result<GuidedFigure<'a>, String> {
    check_len("EVPI", evpi.len(), wtp.len())?;
    let money = Money::new(currency);
    let verticals = wtp_guides(&money, thresholds);
    let x_range = auto_range(
        wtp.iter().chain(verticals.iter().map(|(t, _)| t)).copied(),
        0.0,
    )?;
    let (lo, hi) = auto_range(evpi.iter().copied().chain([0.0]), 0.05)?;
    // EVPI is non-negative: start the axis at 0, less a sliver so that a
    // value of 0 is not drawn on the frame.
    let nonnegative = evpi.iter().all(|v| v.is_nan() || *v >= 0.0);
    let y_range = if nonnegative {
        (-0.02 * hi, hi)
    } else {
        (lo, hi)
    };
    // Black: EVPI is not a strategy, and every strategy colour means one.
    let style = LineStyle::solid(BLACK);
    Ok(GuidedFigure {
        title,
        x_label: money.described("Willingness to pay", "/QALY"),
        y_label: money.described("EVPI per person", ""),
        x_money: Some(money.clone()),
        y_money: Some(money),
        x_range,
        y_range,
        band: Vec::new(),
        shades: Vec::new(),
        lines: vec![(against(wtp, evpi), style)],
        verticals,
        horizontals: Vec::new(),
        legend: vec![LegendEntry {
            label: "EVPI per person",
            style,
            swatch: Swatch::Line,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::style::{HEIGHT, WIDTH};
    use crate::plot::test_support::{
        assert_geometry, check_files, clean, coloured_pixels, figure_dir,
    };

    #[test]
    fn evpi_writes_png_and_svg() {
        let (dir, keep) = figure_dir("evpi");
        let wtp: Vec<f64> = (0..=60).map(|i| f64::from(i) * 2_500.0).collect();
        let values: Vec<f64> = wtp
            .iter()
            .map(|w| 1_800.0 * (-((w - 30_000.0) / 15_000.0).powi(2)).exp())
            .collect();
        evpi(
            &dir.join("evpi"),
            "Expected value of perfect information",
            "GBP",
            &wtp,
            &values,
            &[20_000.0, 30_000.0],
        )
        .unwrap();
        let svg = check_files(
            &dir,
            "evpi",
            (WIDTH, HEIGHT),
            &[
                "Expected value of perfect information",
                "EVPI per person",
                "GBP 20,000/QALY",
                "GBP 30,000/QALY",
                "EVPI per person (GBP)",
                "Willingness to pay (GBP/QALY)",
            ],
        );
        assert_geometry(&svg, &["EVPI per person"]);
        let figure = evpi_figure("t", "GBP", &wtp, &values, &[20_000.0]).unwrap();
        assert!(figure.y_range.0 < 0.0 && figure.y_range.0 > -0.03 * figure.y_range.1);
        assert!(coloured_pixels(&figure) == 0, "EVPI is drawn in black");
        if !keep {
            clean(&dir);
        }
    }
}
