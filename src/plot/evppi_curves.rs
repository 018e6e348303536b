//! Expected value of partial perfect information against willingness to pay.

use std::path::Path;

use super::axes::auto_range;
use super::error::{PlotError, failure};
use super::guided::GuidedFigure;
use super::legend::{LegendEntry, Swatch};
use super::money::Money;
use super::render::render;
use super::style::{LineStyle, PALETTE};
use super::wtp::{against, check_len, wtp_guides};

/// EVPPI per person of several parameters or groups (y, currency) against willingness to
/// pay (x, currency per QALY), one coloured line each, with the EVPI as a thick black
/// line above them for reference and each threshold a dotted vertical line labelled like
/// "€20,000/QALY" above the frame.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist. `evpi` and
/// every curve hold one value per entry of `wtp`; non-finite values leave gaps. The y axis
/// starts (just below) 0. `currency` as in [`ce_plane`](super::ce_plane()).
///
/// # Errors
/// Returns [`PlotError`] if a series does not have one value per willingness-to-pay
/// value, if a span is not representable as a finite range, or if rendering or writing
/// either file fails.
pub fn evppi_curves(
    stem: &Path,
    title: &str,
    currency: &str,
    wtp: &[f64],
    evpi: &[f64],
    curves: &[(&str, &[f64])],
    thresholds: &[f64],
) -> Result<(), PlotError> {
    let figure = evppi_figure(title, currency, wtp, evpi, curves, thresholds)
        .map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

fn evppi_figure<'a>(
    title: &'a str,
    currency: &str,
    wtp: &[f64],
    evpi: &[f64],
    curves: &[(&'a str, &[f64])],
    thresholds: &[f64],
) -> Result<GuidedFigure<'a>, String> {
    check_len("EVPI", evpi.len(), wtp.len())?;
    for (label, values) in curves {
        check_len(&format!("curve {label:?}"), values.len(), wtp.len())?;
    }
    let money = Money::new(currency);
    let verticals = wtp_guides(&money, thresholds);
    let x_range = auto_range(
        wtp.iter().chain(verticals.iter().map(|(t, _)| t)).copied(),
        0.0,
    )?;
    let all = evpi
        .iter()
        .chain(curves.iter().flat_map(|(_, v)| v.iter()))
        .copied();
    let (_, hi) = auto_range(all.chain([0.0]), 0.05)?;
    // Black is the EVPI's; the curves take the other colours.
    let evpi_style = LineStyle::solid(PALETTE[6]);
    let mut legend = vec![LegendEntry {
        label: "EVPI (all parameters)",
        style: evpi_style,
        swatch: Swatch::Line,
    }];
    let mut lines = vec![(against(wtp, evpi), evpi_style)];
    for (i, (label, values)) in curves.iter().enumerate() {
        // Parameters are not strategies: colours and dash patterns of the
        // non-strategy series, without black, which is the EVPI's.
        let style = LineStyle::nth(i + i / 6);
        legend.push(LegendEntry {
            label,
            style,
            swatch: Swatch::Line,
        });
        lines.push((against(wtp, values), style));
    }
    Ok(GuidedFigure {
        title,
        x_label: money.described("Willingness to pay", "/QALY"),
        y_label: money.described("EVPPI per person", ""),
        x_money: Some(money.clone()),
        y_money: Some(money),
        x_range,
        y_range: (-0.02 * hi, hi),
        band: Vec::new(),
        shades: Vec::new(),
        lines,
        verticals,
        horizontals: Vec::new(),
        legend,
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
    fn evppi_curves_write_png_and_svg() {
        let (dir, keep) = figure_dir("evppi-curves");
        let wtp: Vec<f64> = (0..=40).map(|i| f64::from(i) * 2_500.0).collect();
        let bump = |h: f64, at: f64| -> Vec<f64> {
            wtp.iter()
                .map(|w| h * (-((w - at) / 20_000.0).powi(2)).exp())
                .collect()
        };
        let evpi = bump(1_000.0, 40_000.0);
        let (a, b) = (bump(700.0, 40_000.0), bump(150.0, 30_000.0));
        evppi_curves(
            &dir.join("evppi"),
            "Expected value of partial perfect information",
            "EUR",
            &wtp,
            &evpi,
            &[("Cost of esketamine", &a), ("Relapse (group)", &b)],
            &[20_000.0, 50_000.0],
        )
        .unwrap();
        let svg = check_files(
            &dir,
            "evppi",
            (WIDTH, HEIGHT),
            &[
                "Expected value of partial perfect information",
                "EVPI (all parameters)",
                "Cost of esketamine",
                "Relapse (group)",
                "€20,000/QALY",
                "EVPPI per person (€)",
            ],
        );
        assert_geometry(
            &svg,
            &[
                "EVPI (all parameters)",
                "Cost of esketamine",
                "Relapse (group)",
            ],
        );
        let figure = evppi_figure("t", "EUR", &wtp, &evpi, &[("a", &a)], &[]).unwrap();
        assert!(coloured_pixels(&figure) > 1_000);
        assert!(evppi_figure("t", "EUR", &wtp, &evpi, &[("a", &a[1..])], &[]).is_err());
        if !keep {
            clean(&dir);
        }
    }
}
