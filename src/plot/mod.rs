//! Figures rendered to PNG and SVG.
//!
//! Plotting is a leaf of the crate: every function here receives finished
//! numbers and output paths and computes nothing statistical. Each figure is
//! described once as a private value that can draw itself onto any plotters
//! backend (`figure`), so the PNG and the SVG of a figure come from the same
//! code path (`render`).
//!
//! Text is rendered with `DejaVu Sans` embedded in the binary and registered
//! with plotters under the family `"sans-serif"` (`font`), so figures render
//! the same on a machine without any system fonts (CI containers, minimal
//! servers).
//!
//! Figures: [`trace`](trace()) and [`lines`] for the deterministic model; [`ce_plane`](ce_plane()),
//! [`ceac`](ceac()), [`evpi`](evpi()) and [`convergence`](convergence()) for a probabilistic sensitivity
//! analysis; [`evppi_rank`](evppi_rank()) and [`evppi_curves`](evppi_curves()) for its
//! value of partial information; [`tornado`](tornado()) for a one-way and [`heatmap`](heatmap()) for a two-way
//! sensitivity analysis; [`forest`](forest()) for a comparison of scenarios. Every strategy
//! has one colour in every figure, from the Okabe–Ito palette by its position in the
//! scenario (`style`). Legends sit below the plot and threshold labels
//! outside the frame, so neither can cover data.
//!
//! Layout of the folder: one file per figure (`trace`, `line_chart` for
//! [`lines`], `ce_plane`, `ceac`, `evpi`, `evppi_rank`, `evppi_curves`,
//! `convergence`, `tornado`, `heatmap`, `forest`), with `guided`, the chart that CEAC, EVPI and convergence are
//! drawn as; below them the shared building blocks: `style` (palette, sizes,
//! line styles), `font` (the embedded font), `format` and `money` (number
//! formatting), `wtp` (threshold helpers), `axes`, `annotate`, `marks` and
//! `legend` (chart parts), `figure` (the figure trait and its frame),
//! `render` (PNG and SVG backends, writing files) and `error`. Figure files
//! use building blocks (and `trace` builds on `line_chart`); building blocks
//! never use a figure file, not even in tests.
//!
//! Invariants: every drawing or writing failure is returned as a
//! [`PlotError`] naming the file, never a panic; no half-drawn file is ever
//! written, because each file is rendered in memory before it is written. This folder depends on `plotters`,
//! `font-subset` and `base64` (the font each SVG carries) and the standard
//! library only, and must not depend on any other module of the crate.

mod annotate;
mod axes;
mod ce_plane;
mod ceac;
mod convergence;
mod error;
mod evpi;
mod evppi_curves;
mod evppi_rank;
mod figure;
mod font;
mod forest;
mod format;
mod guided;
mod heatmap;
mod legend;
mod line_chart;
mod marks;
mod money;
mod render;
mod style;
#[cfg(test)]
mod test_support;
mod tornado;
mod trace;
mod wtp;

pub use ce_plane::{PlaneCloud, PlaneStats, ce_plane};
pub use ceac::ceac;
pub use convergence::{RunningMean, convergence};
pub use error::PlotError;
pub use evpi::evpi;
pub use evppi_curves::evppi_curves;
pub use evppi_rank::evppi_rank;
pub use forest::{ForestRow, forest};
pub use heatmap::heatmap;
pub use line_chart::{Series, lines};
pub use tornado::tornado;
pub use trace::trace;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::test_support::{clean, figure_dir};

    #[test]
    fn psa_degenerate_inputs_do_not_panic() {
        let (dir, keep) = figure_dir("psa-degenerate");
        let nan = [(f64::NAN, 1.0), (0.1, f64::INFINITY)];
        let single = [(0.05, 1_200.0)];
        let same = [(0.1, 500.0); 4];
        let huge = [(-f64::MAX, -f64::MAX), (f64::MAX, f64::MAX)];
        let clouds: [&[(f64, f64)]; 5] = [&[], &nan, &single, &same, &[(0.0, 0.0)]];
        for (i, points) in clouds.iter().enumerate() {
            let stem = dir.join(format!("ce{i}"));
            let cloud = |label, stats| PlaneCloud {
                label,
                strategy: 9,
                points,
                stats,
            };
            let odd = PlaneStats {
                mean: (0.1, 500.0),
                covariance: (f64::NAN, 0.0, -1.0),
                quadrants: [0.25; 4],
            };
            ce_plane(&stem, "t", "EUR", &[cloud("a", None)], &[20_000.0]).unwrap();
            ce_plane(
                &stem,
                "",
                "",
                &[cloud("", Some(odd))],
                &[f64::NAN, -1.0, 0.0],
            )
            .unwrap();
        }
        ce_plane(&dir.join("ce-none"), "t", "EUR", &[], &[]).unwrap();
        let huge = [PlaneCloud {
            label: "h",
            strategy: 0,
            points: &huge,
            stats: None,
        }];
        assert!(ce_plane(&dir.join("ce-huge"), "t", "EUR", &huge, &[1.0]).is_err());

        let wtp = [0.0, 10_000.0, 20_000.0];
        let flat = [0.5, 0.5, 0.5];
        let holes = [f64::NAN, 0.3, f64::INFINITY];
        for (i, values) in [&flat[..], &holes[..], &[0.0; 3][..]].iter().enumerate() {
            let stem = dir.join(format!("ceac{i}"));
            ceac(
                &stem,
                "t",
                "EUR",
                &wtp,
                &[("a", values)],
                values,
                &[5_000.0],
            )
            .unwrap();
            ceac(&stem, "t", "EUR", &wtp, &[("a", values)], &[], &[f64::NAN]).unwrap();
            evpi(&dir.join(format!("evpi{i}")), "t", "EUR", &wtp, values, &[]).unwrap();
            let series = RunningMean {
                label: "a",
                strategy: 1,
                threshold: 5,
                mean: values,
                se: values,
            };
            convergence(&dir.join(format!("conv{i}")), "t", "EUR", &[series]).unwrap();
        }
        ceac(&dir.join("ceac-empty"), "t", "EUR", &[], &[], &[], &[]).unwrap();
        ceac(
            &dir.join("ceac-one"),
            "t",
            "EUR",
            &[1.0],
            &[("a", &[1.0])],
            &[1.0],
            &[1.0],
        )
        .unwrap();
        evpi(&dir.join("evpi-empty"), "t", "EUR", &[], &[], &[]).unwrap();
        evpi(
            &dir.join("evpi-neg"),
            "t",
            "EUR",
            &wtp,
            &[-1.0, 0.0, 1.0],
            &[],
        )
        .unwrap();
        convergence(&dir.join("conv-empty"), "t", "EUR", &[]).unwrap();
        let none = RunningMean {
            label: "a",
            strategy: 0,
            threshold: 0,
            mean: &[],
            se: &[],
        };
        convergence(&dir.join("conv-none"), "t", "EUR", &[none]).unwrap();
        let one = RunningMean {
            mean: &[3.0],
            se: &[0.0],
            ..none
        };
        convergence(&dir.join("conv-one"), "t", "EUR", &[one]).unwrap();
        let err = ceac(
            &dir.join("bad"),
            "t",
            "EUR",
            &wtp,
            &[("a", &[1.0])],
            &[],
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("bad.png"), "{err}");
        assert!(err.to_string().contains("\"a\" has 1 values"), "{err}");
        assert!(ceac(&dir.join("bad"), "t", "EUR", &wtp, &[], &[1.0], &[]).is_err());
        assert!(evpi(&dir.join("bad"), "t", "EUR", &wtp, &[1.0], &[]).is_err());

        tornado(&dir.join("tor-empty"), "t", "x", "EUR", 0, 0.0, &[]).unwrap();
        tornado(
            &dir.join("tor-flat"),
            "t",
            "x",
            "EUR",
            0,
            5.0,
            &[("p", 5.0, 5.0)],
        )
        .unwrap();
        tornado(
            &dir.join("tor-nan"),
            "t",
            "x",
            "",
            99,
            5.0,
            &[
                ("p", f64::NAN, 6.0),
                ("q", f64::NAN, f64::NAN),
                ("", 4.0, 7.0),
            ],
        )
        .unwrap();
        assert!(
            tornado(
                &dir.join("tor-base"),
                "t",
                "x",
                "EUR",
                0,
                f64::NAN,
                &[("p", 1.0, 2.0)]
            )
            .is_err()
        );
        if !keep {
            clean(&dir);
        }
    }
}
