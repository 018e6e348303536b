//! EVPPI by regression on a run's draws (`econ::voi`): for each target, one design from the
//! target's columns of `draws.csv`, one fit of each strategy's incremental effect against
//! the reference (shared by the perspectives, whose effects are the same) and one fit of
//! its incremental cost per perspective. Targets are computed in parallel; each one's
//! arithmetic is sequential, so results do not depend on the number of threads.

use rayon::prelude::*;

use crate::econ::psa::PsaTable;
use crate::econ::voi::{Design, Fit, evppi_regression};

use super::super::AnalysisError;
use super::super::read::{DrawsData, PsaData};
use super::{Target, TargetEstimate};

/// `[perspective][target]` estimates over the grid.
pub(super) fn regression(
    data: &PsaData,
    draws: &DrawsData,
    targets: &[Target],
    reference: usize,
    grid: &[f64],
) -> Result<Vec<Vec<TargetEstimate>>, AnalysisError> {
    if draws.draws != data.draws {
        return Err(AnalysisError::Failed(
            "draws.csv and psa.csv hold different draws; expected the files of one run".into(),
        ));
    }
    let columns: Vec<Vec<&[f64]>> = targets
        .iter()
        .map(|t| {
            t.names
                .iter()
                .map(|name| {
                    draws
                        .names
                        .iter()
                        .position(|n| n == name)
                        .map(|k| draws.values[k].as_slice())
                        .ok_or_else(|| {
                            AnalysisError::Failed(format!(
                                "draws.csv has no column `{name}`; expected the drawn parameters of the run's scenario"
                            ))
                        })
                })
                .collect()
        })
        .collect::<Result<_, _>>()?;
    let shared_effects = data
        .tables
        .iter()
        .all(|t| t.effect == data.tables[0].effect);
    let per_target: Vec<Vec<TargetEstimate>> = columns
        .par_iter()
        .map(|cols| one_target(data, cols, reference, grid, shared_effects))
        .collect();
    // Transpose to [perspective][target].
    Ok((0..data.perspectives.len())
        .map(|p| per_target.iter().map(|t| t[p].clone()).collect())
        .collect())
}

/// One target's estimates, `[perspective]`.
pub(super) fn one_target(
    data: &PsaData,
    columns: &[&[f64]],
    reference: usize,
    grid: &[f64],
    shared_effects: bool,
) -> Vec<TargetEstimate> {
    let design = Design::new(columns);
    let ns = data.strategies.len();
    let fit_all = |t: &PsaTable, values: fn(&PsaTable) -> &[f64]| -> Vec<Option<Fit>> {
        (0..ns)
            .map(|s| (s != reference).then(|| design.fit(&increments(t, values(t), s, reference))))
            .collect()
    };
    let shared = shared_effects.then(|| fit_all(&data.tables[0], effect_of));
    data.tables
        .iter()
        .map(|t| {
            let own;
            let effects = match &shared {
                Some(e) => e,
                None => {
                    own = fit_all(t, effect_of);
                    &own
                }
            };
            let costs = fit_all(t, cost_of);
            let c: Vec<Option<&Fit>> = costs.iter().map(Option::as_ref).collect();
            let e: Vec<Option<&Fit>> = effects.iter().map(Option::as_ref).collect();
            TargetEstimate {
                method: design.method,
                estimates: evppi_regression(&c, &e, grid),
                inner_bias: None,
            }
        })
        .collect()
}

/// `values[s] − values[reference]` in every draw of a draw-major table.
fn increments(t: &PsaTable, values: &[f64], s: usize, reference: usize) -> Vec<f64> {
    values
        .chunks_exact(t.n_strategies)
        .map(|row| row[s] - row[reference])
        .collect()
}

fn effect_of(t: &PsaTable) -> &[f64] {
    &t.effect
}

fn cost_of(t: &PsaTable) -> &[f64] {
    &t.cost
}
