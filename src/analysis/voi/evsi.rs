//! The expected value of sample information (EVSI) of a study that measures one group of
//! parameters, by regression on a probabilistic run's draws (Strong, Oakley, Brennan &
//! Breeze 2015, Med Decis Making 35:570). For every draw θ_i of the run, study data X_i of
//! size n are simulated from θ_i, and the draw's incremental costs and effects are smoothed
//! against a summary of X_i with the EVPPI's smoothers (`econ::voi`); the EVSI is then
//! computed from the fitted values exactly as the EVPPI is. The summary is the posterior
//! mean of the conjugate update, which is sufficient:
//!
//! - a Dirichlet group with prior concentrations α (the week-8 shares of an arm): X_i ~
//!   Multinomial(n, θ_i), summary (α_j + X_ij)/(α₀ + n) for every share but the last;
//! - a parameter with a Beta(a, b) distribution: X_i ~ Binomial(n, θ_i), summary
//!   (a + X_i)/(a + b + n).
//!
//! At n = 0 the summary is constant and the EVSI is exactly zero; as n grows the summary
//! tends to θ_i and the EVSI to the group's EVPPI. The data of draw d and size n come from
//! their own random stream (seed, draw, n), so results do not depend on threads or order.

use rand_distr::{Binomial, Distribution};

use crate::dist::Dist;
use crate::econ::voi::Estimate;
use crate::model::{Model, ParamDef};
use crate::rng::{self, Purpose};

use super::super::AnalysisError;
use super::super::read::{DrawsData, PsaData};
use super::regression::one_target;

/// How the study's data depend on the measured parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum Likelihood {
    /// Counts of a Dirichlet group's outcomes among n people; `columns` index `draws.csv`.
    Multinomial {
        alpha: Vec<f64>,
        columns: Vec<usize>,
    },
    /// Events among n people for a Beta-distributed proportion.
    Binomial { a: f64, b: f64, column: usize },
}

/// EVSI per person for each sample size, `[perspective][size][threshold]`, and the EVPPI
/// of the measured parameters, `[perspective][threshold]`.
pub struct EvsiEstimates {
    pub evsi: Vec<Vec<Vec<Estimate>>>,
    pub evppi: Vec<Vec<Estimate>>,
}

/// The study's likelihood for `target`: a Dirichlet group's name or a Beta-distributed
/// parameter, with its columns in `draws.csv`.
pub fn likelihood(
    model: &Model,
    draws: &DrawsData,
    target: &str,
) -> Result<Likelihood, AnalysisError> {
    let column = |name: &str| {
        draws.names.iter().position(|n| n == name).ok_or_else(|| {
            AnalysisError::Failed(format!("draws.csv has no column `{name}`; expected the drawn parameters of the run's scenario"))
        })
    };
    if let Some(g) = model.dirichlet.iter().find(|g| g.name == target) {
        let columns = g
            .members
            .iter()
            .map(|id| column(&model.params[id.0].name))
            .collect::<Result<_, _>>()?;
        return Ok(Likelihood::Multinomial {
            alpha: g.alpha.clone(),
            columns,
        });
    }
    match model
        .params
        .iter()
        .find(|p| p.name == target)
        .map(|p| &p.def)
    {
        Some(ParamDef::Value {
            dist: Some(Dist::Beta { alpha, beta }),
            ..
        }) => Ok(Likelihood::Binomial {
            a: *alpha,
            b: *beta,
            column: column(target)?,
        }),
        Some(_) => Err(AnalysisError::Invalid(format!(
            "--target: `{target}` is not Beta-distributed; the EVSI needs a Dirichlet group (multinomial data) or a Beta parameter (binomial data)"
        ))),
        None => {
            let names = model
                .dirichlet
                .iter()
                .map(|g| g.name.as_str())
                .chain(model.params.iter().map(|p| p.name.as_str()));
            let hint = crate::suggest::did_you_mean(target, names)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            Err(AnalysisError::Invalid(format!(
                "--target: unknown Dirichlet group or parameter `{target}`{hint}"
            )))
        }
    }
}

/// The summary statistic of simulated data of size `n` for every draw: one column per
/// input of the regression.
fn summaries(lik: &Likelihood, draws: &DrawsData, n: u64, seed: u64) -> Vec<Vec<f64>> {
    let rows = draws.draws.len();
    match lik {
        Likelihood::Binomial { a, b, column } => {
            let theta = &draws.values[*column];
            vec![
                (0..rows)
                    .map(|r| {
                        let mut g = rng::stream(seed, Purpose::Sample, draws.draws[r], n);
                        let x = Binomial::new(n, theta[r].clamp(0.0, 1.0))
                            .map_or(0, |d| d.sample(&mut g));
                        (a + x as f64) / (a + b + n as f64)
                    })
                    .collect(),
            ]
        }
        Likelihood::Multinomial { alpha, columns } => {
            let k = columns.len();
            let total: f64 = alpha.iter().sum();
            let mut out = vec![vec![0.0; rows]; k.saturating_sub(1)];
            for (r, &draw) in draws.draws.iter().enumerate() {
                let mut g = rng::stream(seed, Purpose::Sample, draw, n);
                // Multinomial as successive binomials on what is left.
                let (mut left, mut mass) = (n, 1.0);
                for j in 0..k.saturating_sub(1) {
                    let p = draws.values[columns[j]][r];
                    let q = if mass > 0.0 {
                        (p / mass).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    let x = Binomial::new(left, q).map_or(0, |d| d.sample(&mut g));
                    left -= x;
                    mass -= p;
                    out[j][r] = (alpha[j] + x as f64) / (total + n as f64);
                }
            }
            out
        }
    }
}

/// The parameters' own columns (the EVPPI of the measured group).
fn parameters(lik: &Likelihood, draws: &DrawsData) -> Vec<Vec<f64>> {
    match lik {
        Likelihood::Binomial { column, .. } => vec![draws.values[*column].clone()],
        Likelihood::Multinomial { columns, .. } => {
            columns.iter().map(|c| draws.values[*c].clone()).collect()
        }
    }
}

/// EVSI for each sample size and the EVPPI of the measured parameters, at `thresholds`.
pub fn evsi(
    data: &PsaData,
    draws: &DrawsData,
    lik: &Likelihood,
    sizes: &[u64],
    reference: usize,
    thresholds: &[f64],
    seed: u64,
) -> Result<EvsiEstimates, AnalysisError> {
    if draws.draws != data.draws {
        return Err(AnalysisError::Failed(
            "draws.csv and psa.csv hold different draws; expected the files of one run".into(),
        ));
    }
    let shared = data
        .tables
        .iter()
        .all(|t| t.effect == data.tables[0].effect);
    let fit = |cols: &[Vec<f64>]| {
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        one_target(data, &refs, reference, thresholds, shared)
    };
    let np = data.perspectives.len();
    let mut evsi = vec![Vec::with_capacity(sizes.len()); np];
    for &n in sizes {
        let per = fit(&summaries(lik, draws, n, seed));
        for (p, t) in per.into_iter().enumerate() {
            evsi[p].push(t.estimates);
        }
    }
    let evppi = fit(&parameters(lik, draws))
        .into_iter()
        .map(|t| t.estimates)
        .collect();
    Ok(EvsiEstimates { evsi, evppi })
}

/// What to compute: the measured target, the study sizes, and the study's costs.
#[derive(Clone, Debug, PartialEq)]
pub struct EvsiPlan {
    pub target: String,
    pub sizes: Vec<u64>,
    pub cost_fixed: f64,
    pub cost_per_patient: f64,
    /// Sizes to mark on the figure.
    pub mark: Vec<u64>,
    /// Whole years the study takes to report: the people treated meanwhile (the first years
    /// of the population) do not benefit from it.
    pub duration: u32,
}

/// The EVSI of a study over its sizes, per perspective and threshold.
pub struct EvsiResult {
    pub perspectives: Vec<String>,
    pub thresholds: Vec<f64>,
    pub estimates: EvsiEstimates,
    /// Population EVSI per person EVSI (`settings.psa.population`).
    pub population_factor: f64,
    pub currency: String,
}

/// Discounted number of people who benefit from a study that reports after `duration`
/// years: the population factor of the whole horizon less that of the study's years,
/// N·Σ_{t=d}^{Y−1} (1 + r)^−t (zero when the study outlasts the horizon).
pub fn after_study(a: &super::super::psa::AnalysisSettings, duration: u32) -> f64 {
    let f = |years| {
        crate::econ::psa::population_factor(a.population_per_year, years, a.population_discount)
    };
    if duration >= a.population_years {
        0.0
    } else {
        f(a.population_years) - f(duration)
    }
}

/// Read a run directory's `psa.csv` and `draws.csv` and compute the EVSI of `plan`.
pub fn analyse(
    dir: &std::path::Path,
    a: &super::super::psa::AnalysisSettings,
    model: &Model,
    plan: &EvsiPlan,
) -> Result<EvsiResult, AnalysisError> {
    let data = super::read_psa(dir)?;
    let draws = super::read_draws(dir)?;
    let reference = data.reference_index(&a.reference)?;
    let lik = likelihood(model, &draws, &plan.target)?;
    let estimates = evsi(
        &data,
        &draws,
        &lik,
        &plan.sizes,
        reference,
        &a.thresholds,
        model.settings.seed,
    )?;
    Ok(EvsiResult {
        perspectives: data.perspectives.clone(),
        thresholds: a.thresholds.clone(),
        estimates,
        population_factor: after_study(a, plan.duration),
        currency: a.currency.clone(),
    })
}
