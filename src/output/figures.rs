//! Every figure of a result directory, drawn from its files alone (CSV and `run.json`),
//! so that `trdsim plot` reproduces a run's figures byte for byte.

use std::fs;
use std::path::Path;

use crate::analysis::psa::{self as analysis_psa, AnalysisSettings, PsaAnalysis, PsaFindings};
use crate::analysis::read::{self, PsaData};
use crate::analysis::table::Trace;
use crate::econ::psa;
use crate::plot::{self, Series};

use super::{OutputError, export};

/// Redraw every figure of a result directory from its CSV files and `run.json`; with PSA
/// files present, the PSA tables and figures are recomputed from `psa.csv` too, and with
/// `evppi.csv` the EVPPI figures are redrawn from it.
pub fn render(dir: &Path, info: &serde_json::Value) -> Result<Option<PsaFindings>, OutputError> {
    let strategies = ids(info, "strategies");
    let file = dir.join("trace.csv");
    let text = fs::read_to_string(&file)
        .map_err(|e| OutputError(format!("cannot read `{}`: {e}", file.display())))?;
    let trace = crate::analysis::table::parse_trace(
        &text,
        &file.display().to_string(),
        &strategies,
        &ids(info, "states"),
        None,
    )?;
    let psa_file = dir.join("psa.csv");
    let data = if psa_file.exists() {
        let text = fs::read_to_string(&psa_file)
            .map_err(|e| OutputError(format!("cannot read `{}`: {e}", psa_file.display())))?;
        let expect = read::PsaExpect {
            strategies: Some(strategies),
            ..read::PsaExpect::default()
        };
        Some(read::parse_psa_expecting(
            &text,
            &psa_file.display().to_string(),
            &expect,
        )?)
    } else {
        None
    };
    render_from(dir, info, &trace, data.as_ref())
}

/// The ids recorded under `key` (states or strategies) in the figures' settings.
fn ids(info: &serde_json::Value, key: &str) -> Vec<String> {
    read::label_map(info, key)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// Draw every figure of a result directory from its trace (`[strategy][state]` →
/// `(cycle, share)`) and its PSA data, already read and checked; the PSA tables are
/// written again too.
pub fn render_from(
    dir: &Path,
    info: &serde_json::Value,
    trace: &Trace,
    psa: Option<&PsaData>,
) -> Result<Option<PsaFindings>, OutputError> {
    trace_figure(dir, info, trace)?;
    let mut findings = None;
    if let Some(data) = psa {
        let settings = read::analysis_from_info(info);
        let analysis = analysis_psa::analyse(data, &settings)?;
        super::write_psa_analysis(dir, data, &analysis, &settings)?;
        if dir.join("evppi.csv").exists() {
            super::voi_figures(dir, info)?;
        }
        export::write_psa_matrices(dir, data)?;
        findings = Some(analysis.findings);
    }
    // Last: the workbook holds every table written above.
    export::write_workbook(
        dir,
        &[dir],
        info["currency"].as_str().unwrap_or_default(),
        &read::label_map(info, "parameters"),
    )?;
    Ok(findings)
}

/// Draw the Markov trace (`[strategy][state]` → `(cycle, share)`, from `trace.csv`).
pub fn trace_figure(
    dir: &Path,
    info: &serde_json::Value,
    trace: &Trace,
) -> Result<(), OutputError> {
    let states = read::label_map(info, "states");
    let strategies = read::label_map(info, "strategies");
    let len = info["cycle_length"].as_f64().unwrap_or(1.0);
    let unit = info["cycle_unit"].as_str().unwrap_or("cycles");
    // points[strategy][state] = (time, share)
    let points: Vec<Vec<Vec<(f64, f64)>>> = trace
        .iter()
        .map(|row| {
            row.iter()
                .map(|series| series.iter().map(|(t, x)| (t * len, *x)).collect())
                .collect()
        })
        .collect();
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
    let cloud_refs: Vec<plot::PlaneCloud> = labels
        .iter()
        .zip(&clouds)
        .zip(&others)
        .map(|((label, points), s)| plane_cloud(label, *s, points))
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
    let mut series = Vec::new();
    for (s, label) in others.iter().zip(&labels) {
        for (k, w) in a.thresholds.iter().enumerate() {
            series.push((
                format!("{label} at {}/QALY", money(*w, &a.currency)),
                *s,
                k,
                psa::running_mean_inmb(t, *s, reference, *w),
                psa::running_se_inmb(t, *s, reference, *w),
            ));
        }
    }
    let series_refs: Vec<plot::RunningMean> = series
        .iter()
        .map(|(label, s, k, mean, se)| plot::RunningMean {
            label,
            strategy: *s,
            threshold: *k,
            mean,
            se,
        })
        .collect();
    plot::convergence(
        &dir.join(format!("convergence_{persp}")),
        &format!("Convergence of mean incremental net benefit, {persp} perspective"),
        &a.currency,
        &series_refs,
    )
    .map_err(err)
}

/// A cloud of the cost-effectiveness plane with its summary (mean, covariance, quadrants).
fn plane_cloud<'a>(
    label: &'a str,
    strategy: usize,
    points: &'a [(f64, f64)],
) -> plot::PlaneCloud<'a> {
    let stats = crate::econ::plane::plane_summary(points).map(|p| plot::PlaneStats {
        mean: p.mean,
        covariance: p.covariance,
        quadrants: p.quadrants,
    });
    plot::PlaneCloud {
        label,
        strategy,
        points,
        stats,
    }
}

/// The unit of an amount for an axis description, in parentheses after a space:
/// " (€)" for EUR, " (USD)" for another code, nothing without a currency.
pub(super) fn currency_unit(currency: &str) -> String {
    match currency {
        "" => String::new(),
        "EUR" | "eur" => " (€)".to_owned(),
        c => format!(" ({c})"),
    }
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

/// Whether [`render`] writes the file `name` (a figure of a run, a table of its PSA
/// analysis or an export): `trdsim plot` writes these again, so their recorded state does not matter.
pub fn redrawn(name: &str) -> bool {
    let figure = [".png", ".svg"].iter().any(|e| name.ends_with(e))
        && [
            "trace.",
            "ce_plane_",
            "ceac_",
            "evpi_",
            "evppi_",
            "convergence_",
        ]
        .iter()
        .any(|p| name.starts_with(p));
    figure || ["psa_summary.csv", "ceac.csv", "evpi.csv"].contains(&name) || export::is_export(name)
}
