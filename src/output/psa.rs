//! The probabilistic analysis's files: per-draw parameters (`draws.csv`) and outcomes
//! (`psa.csv`), and the tables of its analysis (`psa_summary.csv`, `ceac.csv`,
//! `evpi.csv`) with their figures.

use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;

use crate::analysis::psa::{AnalysisSettings, PsaAnalysis, PsaFindings};
use crate::analysis::read::PsaData;
use crate::engine::{DrawOutcome, Layout};
use crate::model::Model;

use super::{OutputError, figures, write_file};

/// Columns of `draws.csv`: the parameters that vary between draws.
pub fn drawn_params(model: &Model) -> Vec<usize> {
    (0..model.params.len())
        .filter(|i| model.params[*i].has_distribution())
        .collect()
}

/// `draws.csv`: the drawn parameter values of every draw (for value-of-information work).
pub fn draws_csv(model: &Model, draws: &[DrawOutcome]) -> String {
    let cols = drawn_params(model);
    let mut s = String::from("draw");
    for c in &cols {
        let _ = write!(s, ",{}", model.params[*c].name);
    }
    s.push('\n');
    for d in draws {
        let _ = write!(s, "{}", d.draw);
        for c in &cols {
            let _ = write!(s, ",{}", d.params[*c]);
        }
        s.push('\n');
    }
    s
}

/// `psa.csv`: per draw, strategy and perspective, discounted costs, QALYs and life-years,
/// and the Monte Carlo standard error of the incremental net monetary benefit against the
/// reference at each threshold (from the individuals within the draw).
pub fn psa_csv(model: &Model, draws: &[DrawOutcome]) -> String {
    let l = Layout::of(model);
    let wtp = &model.settings.wtp_per_qaly;
    let mut s = String::from("draw,strategy,perspective,cost,qalys,life_years");
    for w in wtp {
        let _ = write!(s, ",inmb_mcse_{w}");
    }
    s.push('\n');
    for d in draws {
        for (si, o) in d.outcomes.iter().enumerate() {
            for (p, persp) in model.perspectives.iter().enumerate() {
                let _ = write!(
                    s,
                    "{},{},{},{},{},{}",
                    d.draw,
                    model.strategies[si].name,
                    persp.name,
                    o[l.perspective(p, true)],
                    o[l.qalys(true)],
                    o[l.life_years(true)]
                );
                for w in 0..wtp.len() {
                    let _ = write!(s, ",{}", d.inmb_se[si][p * wtp.len() + w]);
                }
                s.push('\n');
            }
        }
    }
    s
}

/// The findings as a JSON object for `run.json`.
pub fn findings_json(f: &PsaFindings) -> serde_json::Value {
    use serde_json::json;
    json!({
        "prob_cost_effective": f.prob_cost_effective.iter().map(|(p, w, s, x)| json!({"perspective": p, "wtp": w, "strategy": s, "probability": x})).collect::<Vec<_>>(),
        "evpi_per_person": f.evpi.iter().map(|(p, w, e)| json!({"perspective": p, "wtp": w, "evpi": e})).collect::<Vec<_>>(),
        "monte_carlo_error": f.mc_error.iter().map(|(p, w, s, se, share)| json!({"perspective": p, "wtp": w, "strategy": s, "inmb_se_between_draws": se, "within_draw_noise_share": share})).collect::<Vec<_>>(),
        "warnings": f.warnings,
    })
}

/// Write the tables of a probabilistic analysis (`psa_summary.csv`, `ceac.csv`, `evpi.csv`)
/// and draw its figures, per perspective.
pub fn write_psa_analysis(
    dir: &Path,
    data: &PsaData,
    an: &PsaAnalysis,
    a: &AnalysisSettings,
) -> Result<(), OutputError> {
    let mut summary = String::from("perspective,strategy,measure,wtp,mean,low,high,status\n");
    let mut ceac_csv = String::from(
        "perspective,wtp,strategy,prob_best,prob_better_than_reference,optimal,frontier_prob\n",
    );
    let mut evpi_csv = String::from("perspective,wtp,evpi_per_person,evpi_population\n");
    for (p, persp) in data.perspectives.iter().enumerate() {
        let pa = &an.perspectives[p];
        summary_rows(&mut summary, persp, data, pa);
        for pt in &pa.points {
            for (s, name) in data.strategies.iter().enumerate() {
                let vs = pt.prob_better_than_reference[s]
                    .map(|x| format!("{x}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    ceac_csv,
                    "{persp},{},{name},{},{vs},{},{}",
                    pt.wtp,
                    pt.prob_best[s],
                    s == pt.optimal,
                    if s == pt.optimal {
                        format!("{}", pt.frontier_prob)
                    } else {
                        String::new()
                    }
                );
            }
        }
        for (w, e) in an.grid.iter().zip(&pa.evpi) {
            let _ = writeln!(evpi_csv, "{persp},{w},{e},{}", e * an.population_factor);
        }
    }
    // Each perspective's figures are drawn on a core of their own: rasterising them is most of
    // the time a large analysis spends after its simulation. The first error in perspective
    // order is the one reported, whatever the order they finish in.
    let drawn: Vec<Result<(), OutputError>> = (0..data.perspectives.len())
        .into_par_iter()
        .map(|p| figures::psa_figures(dir, data, p, an, a))
        .collect();
    drawn.into_iter().collect::<Result<(), _>>()?;
    write_file(&dir.join("psa_summary.csv"), &summary)?;
    write_file(&dir.join("ceac.csv"), &ceac_csv)?;
    write_file(&dir.join("evpi.csv"), &evpi_csv)
}

/// One perspective's rows of `psa_summary.csv`: means and intervals of costs, QALYs,
/// increments and INMB, and the incremental analysis on the mean costs and QALYs.
fn summary_rows(
    summary: &mut String,
    persp: &str,
    data: &PsaData,
    pa: &crate::analysis::psa::PerspectiveAnalysis,
) {
    let sm = &pa.summary;
    for row in &sm.strategies {
        let name = &data.strategies[row.strategy];
        for (measure, iv) in [("cost", row.cost), ("qalys", row.effect)] {
            let _ = writeln!(
                summary,
                "{persp},{name},{measure},,{},{},{},",
                iv.mean, iv.low, iv.high
            );
        }
    }
    for row in &sm.incremental {
        let name = &data.strategies[row.strategy];
        for (measure, iv) in [("inc_cost", row.inc_cost), ("inc_qalys", row.inc_effect)] {
            let _ = writeln!(
                summary,
                "{persp},{name},{measure},,{},{},{},",
                iv.mean, iv.low, iv.high
            );
        }
    }
    for row in &sm.inmb {
        let name = &data.strategies[row.strategy];
        let iv = row.inmb;
        let _ = writeln!(
            summary,
            "{persp},{name},inmb,{},{},{},{},",
            row.wtp, iv.mean, iv.low, iv.high
        );
    }
    for row in &pa.incremental {
        let name = &data.strategies[row.strategy];
        let icer = row.icer.map(|x| format!("{x}")).unwrap_or_default();
        let _ = writeln!(
            summary,
            "{persp},{name},icer,,{icer},,,{}",
            row.status.as_str()
        );
    }
}
