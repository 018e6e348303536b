//! The probabilistic analysis: which draws a run computes, simulating them, and the
//! statistics of the per-draw outcomes read back from `psa.csv` (summaries, the
//! acceptability curves and frontier, EVPI, and the two levels of Monte Carlo error).

use crate::econ::psa::{self, CeacPoint, Summary};
use crate::econ::{IcerRow, Outcome};
use crate::model::Model;

use super::AnalysisError;
use super::read::PsaData;

/// What the analysis found, for `run.json` and the console.
#[derive(Clone, Debug)]
pub struct PsaFindings {
    /// `(perspective, wtp, strategy, probability cost-effective)` at the scenario thresholds.
    pub prob_cost_effective: Vec<(String, f64, String, f64)>,
    /// `(perspective, wtp, EVPI per person)` at the scenario thresholds.
    pub evpi: Vec<(String, f64, f64)>,
    /// `(perspective, wtp, strategy, SE of mean INMB across draws, share of the between-draw
    /// variance that is within-draw Monte Carlo noise)`.
    pub mc_error: Vec<(String, f64, String, f64, f64)>,
    pub warnings: Vec<String>,
}

/// Share of between-draw INMB variance attributable to within-draw noise above which a
/// warning is given: more individuals per draw are then needed (O'Hagan et al. 2007,
/// Health Econ 16:1009, on the two levels of Monte Carlo error in PSA of microsimulations).
pub const NOISE_WARNING_SHARE: f64 = 0.1;

/// Settings the analysis needs besides the CSV data.
#[derive(Clone, Debug)]
pub struct AnalysisSettings {
    pub title: String,
    pub currency: String,
    /// Reference strategy name.
    pub reference: String,
    /// Thresholds reported (settings.wtp).
    pub thresholds: Vec<f64>,
    pub wtp_max: f64,
    pub wtp_steps: usize,
    pub population_per_year: f64,
    pub population_years: u32,
    pub population_discount: f64,
    /// Display labels of strategies by id (ids are used where a label is missing).
    pub labels: Vec<(String, String)>,
}

impl AnalysisSettings {
    pub fn label<'a>(&'a self, id: &'a str) -> &'a str {
        self.labels
            .iter()
            .find(|(i, _)| i == id)
            .map_or(id, |(_, l)| l.as_str())
    }
}

/// Analysis settings of a model.
pub fn analysis_settings(model: &Model) -> AnalysisSettings {
    let psa = &model.settings.psa;
    AnalysisSettings {
        title: model.meta.title.clone(),
        currency: model.meta.currency.clone(),
        reference: model.strategies[model.settings.reference_strategy.0]
            .name
            .clone(),
        thresholds: model.settings.wtp_per_qaly.clone(),
        wtp_max: psa.wtp_max,
        wtp_steps: psa.wtp_steps,
        population_per_year: psa.population_per_year,
        population_years: psa.population_years,
        population_discount: psa.population_discount,
        labels: model
            .strategies
            .iter()
            .map(|s| (s.name.clone(), s.label.clone()))
            .collect(),
    }
}

/// What the analysis computed for one perspective.
#[derive(Clone, Debug)]
pub struct PerspectiveAnalysis {
    /// Means and intervals of costs, QALYs, increments and INMB.
    pub summary: Summary,
    /// The incremental analysis on the mean costs and QALYs.
    pub incremental: Vec<IcerRow>,
    /// Acceptability at every point of the WTP grid.
    pub points: Vec<CeacPoint>,
    /// EVPI per person at every point of the WTP grid.
    pub evpi: Vec<f64>,
}

/// Everything a probabilistic analysis computes from the per-draw outcomes.
#[derive(Clone, Debug)]
pub struct PsaAnalysis {
    /// Index of the reference strategy among the strategies of `psa.csv`.
    pub reference: usize,
    /// The WTP grid of the curves (the thresholds included).
    pub grid: Vec<f64>,
    /// Population EVPI per person EVPI.
    pub population_factor: f64,
    pub perspectives: Vec<PerspectiveAnalysis>,
    pub findings: PsaFindings,
}

/// Analyse parsed PSA data: summaries, acceptability, EVPI and Monte Carlo error.
pub fn analyse(data: &PsaData, a: &AnalysisSettings) -> Result<PsaAnalysis, AnalysisError> {
    super::finite::check_inputs(data)?;
    let reference = data.reference_index(&a.reference)?;
    let grid = psa::wtp_grid(a.wtp_max, a.wtp_steps, &a.thresholds);
    let population_factor = psa::population_factor(
        a.population_per_year,
        a.population_years,
        a.population_discount,
    );
    let mut findings = PsaFindings {
        prob_cost_effective: Vec::new(),
        evpi: Vec::new(),
        mc_error: Vec::new(),
        warnings: Vec::new(),
    };
    let mut perspectives = Vec::new();
    for (p, persp) in data.perspectives.iter().enumerate() {
        let t = &data.tables[p];
        let summary = psa::summarise(t, &data.wtp, reference);
        let means: Vec<Outcome> = summary
            .strategies
            .iter()
            .map(|r| Outcome {
                cost: r.cost.mean,
                effect: r.effect.mean,
            })
            .collect();
        let incremental = crate::econ::incremental(&means);
        let points = psa::ceac(t, &grid, reference);
        for pt in points.iter().filter(|pt| a.thresholds.contains(&pt.wtp)) {
            for (s, name) in data.strategies.iter().enumerate() {
                findings.prob_cost_effective.push((
                    persp.clone(),
                    pt.wtp,
                    name.clone(),
                    pt.prob_best[s],
                ));
            }
        }
        let evpi = psa::evpi(t, &grid);
        for (w, e) in grid.iter().zip(&evpi) {
            if a.thresholds.contains(w) {
                findings.evpi.push((persp.clone(), *w, *e));
            }
        }
        monte_carlo_error(data, p, reference, a, &mut findings);
        perspectives.push(PerspectiveAnalysis {
            summary,
            incremental,
            points,
            evpi,
        });
    }
    let analysis = PsaAnalysis {
        reference,
        grid,
        population_factor,
        perspectives,
        findings,
    };
    super::finite::check_psa(data, &analysis, a)?;
    Ok(analysis)
}

/// Monte Carlo error of one perspective: between draws, and the within-draw share of it,
/// with a warning where within-draw noise is too large a share.
fn monte_carlo_error(
    data: &PsaData,
    p: usize,
    reference: usize,
    a: &AnalysisSettings,
    findings: &mut PsaFindings,
) {
    let persp = &data.perspectives[p];
    let t = &data.tables[p];
    let n_draws = data.draws.len();
    for (wi, w) in data.wtp.iter().enumerate() {
        for (s, name) in data.strategies.iter().enumerate() {
            if s == reference || n_draws < 2 {
                continue;
            }
            let se_between = psa::inmb_se(t, s, reference, *w);
            let var_between = se_between * se_between * n_draws as f64;
            let within: f64 = data.inmb_se[p]
                .iter()
                .map(|d| d[s][wi] * d[s][wi])
                .sum::<f64>()
                / n_draws as f64;
            let share = if var_between > 0.0 {
                within / var_between
            } else {
                0.0
            };
            findings
                .mc_error
                .push((persp.clone(), *w, name.clone(), se_between, share));
            if share > NOISE_WARNING_SHARE {
                findings.warnings.push(format!(
                    "{persp} perspective, {name} vs {} at {w}/QALY: within-draw Monte Carlo noise is {:.0}% of the variance of incremental net benefit between draws; use more individuals per draw (settings.psa.individuals)",
                    a.reference,
                    share * 100.0
                ));
            }
        }
    }
}
