//! The two-way sensitivity heat map: the preferred strategy at each point of
//! a grid over two parameters.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::cartesian;
use super::error::{PlotError, failure};
use super::figure::{Figure, Output, frame};
use super::legend::{LegendEntry, Swatch};
use super::render::render;
use super::style::{HEIGHT, LineStyle, WIDTH};

/// Two-way sensitivity heat map: the preferred strategy (highest net monetary benefit) at
/// each point of a grid over two parameters. `best[i * y.len() + j]` is the index into
/// `strategies` of the preferred strategy at `(x[i], y[j])`. `strategies` lists every
/// strategy in the scenario's order, so that each has its colour of every figure; the base
/// case is marked with a black cross, which the legend explains. `x_label` and `y_label`
/// name the two parameters with their units.
///
/// # Errors
/// Returns [`PlotError`] if the grid does not match its axes, if a range is not finite, or
/// if rendering or writing either file fails.
#[allow(clippy::too_many_arguments)]
pub fn heatmap(
    stem: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    x: &[f64],
    y: &[f64],
    best: &[usize],
    strategies: &[&str],
    base: (f64, f64),
) -> Result<(), PlotError> {
    if x.len() < 2 || y.len() < 2 || best.len() != x.len() * y.len() {
        return Err(failure(
            stem,
            "expected at least a 2 x 2 grid with one strategy per point",
        ));
    }
    if best.iter().any(|b| *b >= strategies.len()) {
        return Err(failure(
            stem,
            "a grid point names a strategy that is not listed",
        ));
    }
    let figure = Heatmap {
        title,
        x_label,
        y_label,
        x,
        y,
        best,
        base,
        legend: strategies
            .iter()
            .enumerate()
            .map(|(i, label)| LegendEntry {
                label,
                style: LineStyle::strategy(i),
                swatch: Swatch::Bar,
            })
            .chain(std::iter::once(LegendEntry {
                label: "Base case",
                style: LineStyle::solid(BLACK),
                swatch: Swatch::Cross,
            }))
            .collect(),
    };
    render(stem, &figure)
}

/// The heat map of [`heatmap`]; its legend has one entry per strategy, in
/// the order of `strategies`, and `best` indexes into it.
pub(super) struct Heatmap<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    x: &'a [f64],
    y: &'a [f64],
    best: &'a [usize],
    base: (f64, f64),
    legend: Vec<LegendEntry<'a>>,
}

/// Cell edges halfway between grid points, extended by half a step at both ends.
pub(super) fn cell_edges(v: &[f64]) -> Vec<f64> {
    let mut edges = Vec::with_capacity(v.len() + 1);
    edges.push(v[0] - (v[1] - v[0]) / 2.0);
    for w in v.windows(2) {
        edges.push((w[0] + w[1]) / 2.0);
    }
    let n = v.len();
    edges.push(v[n - 1] + (v[n - 1] - v[n - 2]) / 2.0);
    edges
}

impl Figure for Heatmap<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        _output: Output,
    ) -> Result<(), String> {
        let area = frame(root, self.title, &self.legend)?;
        let (xe, ye) = (cell_edges(self.x), cell_edges(self.y));
        let x_range = (xe[0], xe[xe.len() - 1]);
        let y_range = (ye[0], ye[ye.len() - 1]);
        if !(x_range.0.is_finite()
            && x_range.1.is_finite()
            && y_range.0.is_finite()
            && y_range.1.is_finite())
        {
            return Err("the grid is not finite".into());
        }
        let mut chart = cartesian(&area, None, self.x_label, self.y_label, x_range, y_range)?;
        let ny = self.y.len();
        chart
            .draw_series((0..self.x.len()).flat_map(|i| {
                let (xe, ye) = (&xe, &ye);
                (0..ny).map(move |j| {
                    let color = self.legend[self.best[i * ny + j]].style.color;
                    Rectangle::new(
                        [(xe[i], ye[j]), (xe[i + 1], ye[j + 1])],
                        color.mix(0.85).filled(),
                    )
                })
            }))
            .map_err(|e| e.to_string())?;
        let (bx, by) = self.base;
        let arm_x = (x_range.1 - x_range.0) / 60.0;
        let arm_y = (y_range.1 - y_range.0) / 60.0;
        for line in [
            vec![(bx - arm_x, by - arm_y), (bx + arm_x, by + arm_y)],
            vec![(bx - arm_x, by + arm_y), (bx + arm_x, by - arm_y)],
        ] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    line,
                    BLACK.stroke_width(3),
                )))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::test_support::{assert_geometry, check_files, clean, figure_dir};

    #[test]
    fn heatmap_writes_png_and_svg() {
        let (dir, keep) = figure_dir("heatmap");
        let x = [100.0, 200.0, 300.0];
        let y = [0.1, 0.2, 0.3, 0.4];
        // EKO (1) preferred where the price is low or the probability high.
        let best: Vec<usize> = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| usize::from(*a < 250.0 || *b > 0.25)))
            .collect();
        let x_label = "Cost of esketamine per week (€)";
        let y_label = "Probability of remission, EKO";
        heatmap(
            &dir.join("two_way"),
            "Preferred strategy at €20,000/QALY",
            x_label,
            y_label,
            &x,
            &y,
            &best,
            &["ECT", "Oral esketamine (EKO)"],
            (200.0, 0.2),
        )
        .unwrap();
        let svg = check_files(
            &dir,
            "two_way",
            (WIDTH, HEIGHT),
            &["Preferred strategy at €20,000/QALY", x_label, y_label],
        );
        assert_geometry(&svg, &["ECT", "Oral esketamine (EKO)", "Base case"]);
        // Cells in the strategies' colours: vermillion for EKO, blue for ECT.
        assert!(svg.contains("#D55E00") && svg.contains("#0072B2"));
        assert!(
            heatmap(
                &dir.join("bad"),
                "t",
                "x",
                "y",
                &x,
                &y,
                &best[1..],
                &["a"],
                (0.0, 0.0)
            )
            .is_err()
        );
        if !keep {
            clean(&dir);
        }
    }

    #[test]
    fn axis_descriptions_longer_than_their_axis_are_shortened() {
        let (dir, keep) = figure_dir("heatmap-long");
        let long = "Hazard ratio of relapse with maintenance esketamine, pooled over the remitters and responders of SUSTAIN-1, times the factor transferring the intranasal effect to oral esketamine";
        heatmap(
            &dir.join("two_way"),
            "Preferred strategy",
            long,
            long,
            &[1.0, 2.0],
            &[1.0, 2.0],
            &[0, 1, 1, 0],
            &["ECT", "EKO"],
            (1.5, 1.5),
        )
        .unwrap();
        let svg = std::fs::read_to_string(dir.join("two_way.svg")).unwrap();
        assert_geometry(&svg, &["ECT", "EKO"]);
        let shortened: Vec<String> = crate::plot::test_support::svg_texts(&svg)
            .into_iter()
            .map(|t| t.text)
            .filter(|t| t.starts_with("Hazard ratio of relapse"))
            .collect();
        assert_eq!(shortened.len(), 2, "{shortened:?}");
        assert!(
            shortened
                .iter()
                .all(|t| t.ends_with('…') && t.len() < long.len())
        );
        if !keep {
            clean(&dir);
        }
    }
}
