//! Cost-effectiveness acceptability curves, with the frontier as a band.

use std::path::Path;

use super::axes::auto_range;
use super::error::{PlotError, failure};
use super::guided::GuidedFigure;
use super::legend::{LegendEntry, Swatch};
use super::money::Money;
use super::render::render;
use super::style::{BAND_COLOR, LineStyle};
use super::wtp::{against, check_len, wtp_guides};

/// Cost-effectiveness acceptability curves: the probability that each
/// strategy is cost-effective (y, 0–1) against willingness to pay (x,
/// currency per QALY), one line per strategy in its colour: `curves` lists
/// every strategy in the scenario's order, which gives each its colour. The frontier (CEAF)
/// is drawn as a thick grey band beneath the curves, so it highlights the
/// curve of the strategy with the highest expected net benefit at each
/// willingness to pay; a jump in the band shows where that strategy changes.
/// Each threshold is a dotted vertical line labelled like "€20,000/QALY"
/// above the frame.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `curves[i].1` and `frontier` hold one value per entry of `wtp`; pass an
/// empty `frontier` to leave the band out. Non-finite values leave gaps;
/// non-finite or negative thresholds are skipped. The x axis spans the grid
/// and the thresholds. `currency` as in [`ce_plane`](super::ce_plane()).
///
/// # Errors
/// Returns [`PlotError`] if a curve or a non-empty frontier does not have
/// one value per willingness-to-pay value, if the x span is not
/// representable as a finite range, or if rendering or writing either file
/// fails.
pub fn ceac(
    stem: &Path,
    title: &str,
    currency: &str,
    wtp: &[f64],
    curves: &[(&str, &[f64])],
    frontier: &[f64],
    thresholds: &[f64],
) -> Result<(), PlotError> {
    let figure = ceac_figure(title, currency, wtp, curves, frontier, thresholds)
        .map_err(|e| failure(stem, e))?;
    render(stem, &figure)
}

pub(super) fn ceac_figure<'a>(
    title: &'a str,
    currency: &str,
    wtp: &[f64],
    curves: &[(&'a str, &[f64])],
    frontier: &[f64],
    thresholds: &[f64],
) -> Result<GuidedFigure<'a>, String> {
    for (label, values) in curves {
        check_len(&format!("curve {label:?}"), values.len(), wtp.len())?;
    }
    if !frontier.is_empty() {
        check_len("the frontier", frontier.len(), wtp.len())?;
    }
    let money = Money::new(currency);
    let verticals = wtp_guides(&money, thresholds);
    let x_range = auto_range(
        wtp.iter().chain(verticals.iter().map(|(t, _)| t)).copied(),
        0.0,
    )?;
    let mut legend: Vec<LegendEntry<'a>> = Vec::with_capacity(curves.len() + 1);
    let mut lines = Vec::with_capacity(curves.len());
    for (i, (label, values)) in curves.iter().enumerate() {
        let style = LineStyle::strategy(i);
        legend.push(LegendEntry {
            label,
            style,
            swatch: Swatch::Line,
        });
        lines.push((against(wtp, values), style));
    }
    if !frontier.is_empty() {
        legend.push(LegendEntry {
            label: "Frontier (CEAF)",
            style: LineStyle::solid(BAND_COLOR),
            swatch: Swatch::Band,
        });
    }
    Ok(GuidedFigure {
        title,
        x_label: money.described("Willingness to pay", "/QALY"),
        y_label: "Probability cost-effective".to_owned(),
        x_money: Some(money),
        y_money: None,
        x_range,
        // A little room so that lines at 0 or 1 are not drawn on the frame.
        y_range: (-0.02, 1.02),
        band: against(wtp, frontier),
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
    fn ceac_writes_png_and_svg() {
        let (dir, keep) = figure_dir("ceac");
        let wtp: Vec<f64> = (0..=100).map(|i| f64::from(i) * 1_000.0).collect();
        let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
        let eko: Vec<f64> = wtp
            .iter()
            .map(|w| logistic((w - 30_000.0) / 8_000.0))
            .collect();
        let ect: Vec<f64> = eko.iter().map(|p| 0.85 * (1.0 - p)).collect();
        let tau: Vec<f64> = eko.iter().zip(&ect).map(|(a, b)| 1.0 - a - b).collect();
        let frontier: Vec<f64> = eko
            .iter()
            .zip(&ect)
            .zip(&tau)
            .map(|((a, b), c)| a.max(*b).max(*c))
            .collect();
        let curves: [(&str, &[f64]); 3] = [("Esketamine", &eko), ("ECT", &ect), ("TAU", &tau)];
        let thresholds = [20_000.0, 25_000.0, 50_000.0];
        ceac(
            &dir.join("ceac"),
            "Cost-effectiveness acceptability curves",
            "EUR",
            &wtp,
            &curves,
            &frontier,
            &thresholds,
        )
        .unwrap();
        let svg = check_files(
            &dir,
            "ceac",
            (WIDTH, HEIGHT),
            &[
                "Cost-effectiveness acceptability curves",
                "Esketamine",
                "ECT",
                "TAU",
                "Frontier (CEAF)",
                "€20,000/QALY",
                "€25,000/QALY",
                "€50,000/QALY",
                "Willingness to pay (€/QALY)",
                "Probability cost-effective",
            ],
        );
        assert_geometry(&svg, &["Esketamine", "ECT", "TAU", "Frontier (CEAF)"]);
        let figure = ceac_figure("t", "EUR", &wtp, &curves, &frontier, &thresholds).unwrap();
        assert!(coloured_pixels(&figure) > 2_000);
        // Strategies keep the colour of their position.
        assert_eq!(figure.lines[1].1, LineStyle::strategy(1));
        if !keep {
            clean(&dir);
        }
    }
}
