//! Every figure of a result directory, drawn from its files alone (CSV and `run.json`),
//! so that `trdsim plot` reproduces a run's figures byte for byte.

use std::fs;
use std::path::Path;

use crate::analysis::psa::{self as analysis_psa, AnalysisSettings, PsaAnalysis, PsaFindings};
use crate::analysis::read::{self, PsaData};
use crate::econ::psa;
use crate::plot::{self, Series};

use super::OutputError;

/// Redraw every figure of a result directory from its CSV files and `run.json`; with PSA
/// files present, the PSA tables and figures are recomputed from `psa.csv` too, and with
/// `evppi.csv` the EVPPI figures are redrawn from it.
pub fn render(dir: &Path, info: &serde_json::Value) -> Result<Option<PsaFindings>, OutputError> {
    trace_figure(dir, info)?;
    let psa_file = dir.join("psa.csv");
    if !psa_file.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&psa_file)
        .map_err(|e| OutputError(format!("cannot read `{}`: {e}", psa_file.display())))?;
    let data = read::parse_psa(&text, &psa_file.display().to_string())?;
    let settings = read::analysis_from_info(info);
    let analysis = analysis_psa::analyse(&data, &settings)?;
    super::write_psa_analysis(dir, &data, &analysis, &settings)?;
    if dir.join("evppi.csv").exists() {
        super::voi_figures(dir, info)?;
    }
    Ok(Some(analysis.findings))
}

/// Draw the Markov trace from `trace.csv` in `dir`.
pub fn trace_figure(dir: &Path, info: &serde_json::Value) -> Result<(), OutputError> {
    let file = dir.join("trace.csv");
    let text = fs::read_to_string(&file)
        .map_err(|e| OutputError(format!("cannot read `{}`: {e}", file.display())))?;
    let states = read::label_map(info, "states");
    let strategies = read::label_map(info, "strategies");
    let len = info["cycle_length"].as_f64().unwrap_or(1.0);
    let unit = info["cycle_unit"].as_str().unwrap_or("cycles");
    // points[strategy][state] = (time, share)
    let mut points = vec![vec![Vec::new(); states.len()]; strategies.len()];
    for (i, line) in text.lines().enumerate().skip(1) {
        let f = crate::model::table::split_csv_line(line);
        let bad = || {
            OutputError(format!(
                "{}:{}: expected strategy,cycle,state,share",
                file.display(),
                i + 1
            ))
        };
        if f.len() != 4 {
            return Err(bad());
        }
        let s = strategies
            .iter()
            .position(|(id, _)| *id == f[0])
            .ok_or_else(bad)?;
        let k = states
            .iter()
            .position(|(id, _)| *id == f[2])
            .ok_or_else(bad)?;
        let t: f64 = f[1].parse().map_err(|_| bad())?;
        let share: f64 = f[3].parse().map_err(|_| bad())?;
        points[s][k].push((t * len, share));
    }
    let panels: Vec<(&str, Vec<Series>)> = strategies
        .iter()
        .zip(&points)
        .map(|((_, label), pts)| {
            let series = states
                .iter()
                .zip(pts)
                .map(|((_, state), p)| Series {
                    label: state,
                    points: p,
                })
                .collect();
            (label.as_str(), series)
        })
        .collect();
    let title = format!(
        "Markov trace: {}",
        info["title"].as_str().unwrap_or_default()
    );
    let x_label = format!("Time ({unit})");
    plot::trace(&dir.join("trace"), &title, &x_label, &panels)
        .map_err(|e| OutputError(e.to_string()))
}

/// The figures of one perspective of a probabilistic analysis: CE plane, acceptability
/// curves with the frontier, EVPI, and the convergence of mean INMB.
pub(super) fn psa_figures(
    dir: &Path,
    data: &PsaData,
    p: usize,
    an: &PsaAnalysis,
    a: &AnalysisSettings,
) -> Result<(), OutputError> {
    let (reference, grid) = (an.reference, an.grid.as_slice());
    let (points, evpi) = (&an.perspectives[p].points, &an.perspectives[p].evpi);
    let persp = &data.perspectives[p];
    let t = &data.tables[p];
    let err = |e: plot::PlotError| OutputError(e.to_string());
    let others: Vec<usize> = (0..data.strategies.len())
        .filter(|s| *s != reference)
        .collect();
    let labels: Vec<String> = others
        .iter()
        .map(|s| {
            format!(
                "{} vs {}",
                a.label(&data.strategies[*s]),
                a.label(&data.strategies[reference])
            )
        })
        .collect();
    let clouds: Vec<Vec<(f64, f64)>> = others
        .iter()
        .map(|s| {
            (0..t.n_draws)
                .map(|d| {
                    let i = d * t.n_strategies;
                    (
                        t.effect[i + s] - t.effect[i + reference],
                        t.cost[i + s] - t.cost[i + reference],
                    )
                })
                .collect()
        })
        .collect();
    let cloud_refs: Vec<(&str, &[(f64, f64)])> = labels
        .iter()
        .zip(&clouds)
        .map(|(l, c)| (l.as_str(), c.as_slice()))
        .collect();
    plot::ce_plane(
        &dir.join(format!("ce_plane_{persp}")),
        &format!("Cost-effectiveness plane, {persp} perspective"),
        &a.currency,
        &cloud_refs,
        &a.thresholds,
    )
    .map_err(err)?;
    let curves: Vec<Vec<f64>> = (0..data.strategies.len())
        .map(|s| points.iter().map(|pt| pt.prob_best[s]).collect())
        .collect();
    let curve_refs: Vec<(&str, &[f64])> = data
        .strategies
        .iter()
        .zip(&curves)
        .map(|(n, c)| (a.label(n), c.as_slice()))
        .collect();
    let frontier: Vec<f64> = points.iter().map(|pt| pt.frontier_prob).collect();
    plot::ceac(
        &dir.join(format!("ceac_{persp}")),
        &format!("Cost-effectiveness acceptability, {persp} perspective"),
        &a.currency,
        grid,
        &curve_refs,
        &frontier,
        &a.thresholds,
    )
    .map_err(err)?;
    plot::evpi(
        &dir.join(format!("evpi_{persp}")),
        &format!("Expected value of perfect information per person, {persp} perspective"),
        &a.currency,
        grid,
        evpi,
        &a.thresholds,
    )
    .map_err(err)?;
    let mut series_labels = Vec::new();
    let mut series = Vec::new();
    for (s, label) in others.iter().zip(&labels) {
        for w in &a.thresholds {
            series_labels.push(format!("{label} at {}", money(*w, &a.currency)));
            series.push(psa::running_mean_inmb(t, *s, reference, *w));
        }
    }
    let series_refs: Vec<(&str, &[f64])> = series_labels
        .iter()
        .zip(&series)
        .map(|(l, s)| (l.as_str(), s.as_slice()))
        .collect();
    plot::convergence(
        &dir.join(format!("convergence_{persp}")),
        &format!("Convergence of mean incremental net benefit, {persp} perspective"),
        &a.currency,
        &series_refs,
    )
    .map_err(err)
}

/// A threshold for a label: "€20,000" for EUR, "USD 20,000" otherwise.
pub(super) fn money(x: f64, currency: &str) -> String {
    let whole = format!("{:.0}", x.abs());
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 { "-" } else { "" };
    match currency {
        "EUR" | "eur" => format!("{sign}€{grouped}"),
        "" => format!("{sign}{grouped}"),
        c => format!("{sign}{c} {grouped}"),
    }
}
