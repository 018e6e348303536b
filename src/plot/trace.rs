//! The Markov trace: state occupancy over time, one panel per strategy.

use std::path::Path;

use super::axes::auto_range;
use super::error::{PlotError, with_extension};
use super::line_chart::{LineFigure, Panel, Series, legend_entries};
use super::render::render;

/// Markov trace: one panel per strategy (side by side, or stacked vertically
/// when there are more than 2), state occupancy share (0–1) against time, one
/// coloured line per state, and one legend shared by all panels.
///
/// Writes `{stem}.png` and `{stem}.svg`; the directory must already exist.
/// `x_label` names the time axis with its unit, e.g. `"Time (weeks)"`. A state
/// keeps the same colour in every panel because colours are assigned by label.
///
/// # Errors
/// Returns [`PlotError`] if `panels` is empty, if the time range is not
/// finite, or if rendering or writing either file fails.
pub fn trace(
    stem: &Path,
    title: &str,
    x_label: &str,
    panels: &[(&str, Vec<Series<'_>>)],
) -> Result<(), PlotError> {
    if panels.is_empty() {
        return Err(PlotError::at(
            &with_extension(stem, "png"),
            "trace has no panels",
        ));
    }
    let all_series = panels.iter().flat_map(|(_, series)| series.iter());
    let x_range = auto_range(
        all_series
            .clone()
            .flat_map(|s| s.points.iter().map(|p| p.0)),
        0.0,
    )
    .map_err(|e| PlotError::at(&with_extension(stem, "png"), e))?;
    let figure = LineFigure {
        title,
        x_label,
        y_label: "Share of cohort",
        x_range,
        // Shares are fixed to 0–1 so that panels are directly comparable.
        y_range: (0.0, 1.0),
        panels: panels
            .iter()
            .map(|(caption, series)| Panel {
                caption: Some(caption),
                series,
            })
            .collect(),
        legend: legend_entries(all_series),
    };
    render(stem, &figure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::line_chart::{STACKED_CHROME_HEIGHT, STACKED_PANEL_HEIGHT, lines};
    use crate::plot::style::{HEIGHT, WIDTH};
    use crate::plot::test_support::{
        assert_geometry, assert_svg, clean, png_size, svg_texts, temp_dir, weeks,
    };

    #[test]
    fn trace_writes_png_and_svg() {
        let dir = temp_dir("trace");
        let remission = weeks(|t| 0.6 * (1.0 - (-t / 10.0).exp()));
        let depressed = weeks(|t| 1.0 - 0.6 * (1.0 - (-t / 10.0).exp()) - 0.002 * t);
        let dead = weeks(|t| 0.002 * t);
        let states = vec![
            Series {
                label: "Remission",
                points: &remission,
            },
            Series {
                label: "Depressed",
                points: &depressed,
            },
            Series {
                label: "Dead",
                points: &dead,
            },
        ];
        let stem = dir.join("trace");
        trace(
            &stem,
            "Markov trace",
            "Time (weeks)",
            &[("Esketamine", states.clone()), ("ECT", states.clone())],
        )
        .unwrap();
        // A title too wide for the figure at full size is set smaller.
        let long = "Markov trace: Oral esketamine versus ECT for treatment-resistant depression (60 weeks)";
        trace(
            &dir.join("long"),
            long,
            "Time (weeks)",
            &[("Esketamine", states.clone()), ("ECT", states)],
        )
        .unwrap();
        let svg = std::fs::read_to_string(dir.join("long.svg")).unwrap();
        assert_geometry(&svg, &["Remission", "Depressed", "Dead"]);
        assert!(svg_texts(&svg).iter().any(|t| t.text == long));

        let png = std::fs::read(dir.join("trace.png")).unwrap();
        assert_eq!(png_size(&png), (WIDTH, HEIGHT));
        let svg = std::fs::read_to_string(dir.join("trace.svg")).unwrap();
        assert_svg(
            &svg,
            &[
                "Markov trace",
                "Esketamine",
                "ECT",
                "Remission",
                "Depressed",
                "Dead",
                "Time (weeks)",
                "Share of cohort",
            ],
        );
        clean(&dir);
    }

    #[test]
    fn stacked_trace_grows_taller() {
        let dir = temp_dir("stacked");
        let points = weeks(|_| 0.5);
        let states = vec![Series {
            label: "Responding",
            points: &points,
        }];
        let panels: Vec<_> = ["A", "B", "C"]
            .iter()
            .map(|s| (*s, states.clone()))
            .collect();
        trace(&dir.join("t"), "Three strategies", "Time (weeks)", &panels).unwrap();
        let (width, height) = png_size(&std::fs::read(dir.join("t.png")).unwrap());
        assert_eq!(width, WIDTH);
        assert_eq!(height, 3 * STACKED_PANEL_HEIGHT + STACKED_CHROME_HEIGHT);
        clean(&dir);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let dir = temp_dir("degenerate");
        let nan = [(f64::NAN, 0.5), (1.0, f64::NAN), (2.0, f64::INFINITY)];
        let single = [(3.0, 0.25)];
        let flat = [(0.0, 2.0), (1.0, 2.0), (2.0, 2.0)];
        let same_x = [(5.0, 1.0), (5.0, 2.0)];
        let tiny = [(1e17, 1e17), (1e17 + 16.0, 1e17 + 16.0)];
        let huge = [(-f64::MAX, -f64::MAX), (f64::MAX, f64::MAX)];
        let gap = [(0.0, 0.1), (1.0, f64::NAN), (2.0, 0.3), (3.0, 0.4)];
        let cases: [&[(f64, f64)]; 9] = [
            &[],
            &nan,
            &single,
            &flat,
            &same_x,
            &tiny,
            &huge,
            &gap,
            &[(0.0, 0.0)],
        ];
        for (i, points) in cases.iter().enumerate() {
            let series = [Series { label: "", points }];
            let _ = lines(&dir.join(format!("l{i}")), "", "", "", &series, 3, None);
            let _ = lines(
                &dir.join(format!("r{i}")),
                "t",
                "x",
                "y",
                &series,
                1,
                Some((1.0, 1.0)),
            );
            let _ = lines(
                &dir.join(format!("n{i}")),
                "t",
                "x",
                "y",
                &series,
                0,
                Some((f64::NAN, 3.0)),
            );
            let _ = trace(
                &dir.join(format!("t{i}")),
                "t",
                "x",
                &[("s", series.to_vec())],
            );
        }
        assert!(lines(&dir.join("empty"), "t", "x", "y", &[], 2, None).is_ok());
        assert!(trace(&dir.join("none"), "t", "x", &[]).is_err());
        assert!(trace(&dir.join("no-states"), "t", "x", &[("s", vec![])]).is_ok());
        // The huge span cannot be drawn and must say so, naming the file.
        let series = [Series {
            label: "h",
            points: &huge,
        }];
        let err = lines(&dir.join("huge"), "t", "x", "y", &series, 0, None).unwrap_err();
        assert!(err.to_string().contains("huge.png"), "{err}");
        clean(&dir);
    }
}
