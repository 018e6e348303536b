//! A run: the base case (microsimulation or cohort) and, when asked, the probabilistic
//! analysis's draws, on a thread pool of the planned size (results do not depend on it).

use std::time::Instant;

use crate::engine::{self, DrawOutcome, SimOutput, SimSpec};
use crate::model::Model;
use crate::{cohort, params};

use super::{AnalysisError, MAX_DRAWS, Progress, check_individuals};

/// What a caller asks of a run; `None` keeps the scenario's setting.
#[derive(Clone, Debug, Default)]
pub struct RunRequest {
    pub individuals: Option<usize>,
    pub seed: Option<u64>,
    /// Worker threads [default: all cores].
    pub threads: Option<usize>,
    /// Evaluate as a cohort instead of simulating individuals.
    pub cohort: bool,
    /// Number of PSA draws (with `draw_range`, the total the range is part of).
    pub draws: Option<usize>,
    /// `A..B`: compute only draws A to B (1-based, inclusive).
    pub draw_range: Option<String>,
    pub draw_individuals: Option<usize>,
    /// Record the state path of the first N individuals.
    pub trajectories: usize,
}

/// A validated run.
#[derive(Clone, Debug)]
pub struct RunPlan {
    pub cohort: bool,
    pub threads: usize,
    pub trajectories: usize,
    pub psa: Option<PsaPlan>,
}

/// Which PSA draws a run computes.
#[derive(Clone, Copy, Debug)]
pub struct PsaPlan {
    pub total: u64,
    pub first: u64,
    pub last: u64,
    pub individuals: usize,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub sim: SimOutput,
    /// The PSA's plan and draws, in draw order.
    pub draws: Option<(PsaPlan, Vec<DrawOutcome>)>,
    /// Seconds spent per phase (`simulate`, `psa`).
    pub timings: Vec<(&'static str, f64)>,
}

/// Check a request against the model and apply its overrides (individuals, seed) to the
/// model's settings.
pub fn plan(model: &mut Model, req: &RunRequest) -> Result<RunPlan, AnalysisError> {
    if let Some(n) = req.individuals {
        model.settings.n_individuals = check_individuals("--individuals", n)?;
    }
    if let Some(seed) = req.seed {
        model.settings.seed = seed;
    }
    let threads = match req.threads {
        Some(0) => {
            return Err(AnalysisError::Invalid(
                "--threads: expected at least 1, found 0".into(),
            ));
        }
        Some(t) if t > 1024 => {
            return Err(AnalysisError::Invalid(format!(
                "--threads: expected at most 1024, found {t}"
            )));
        }
        Some(t) => t,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if req.cohort
        && let Err(e) = cohort::applicable(model)
    {
        return Err(AnalysisError::Scenario(format!("--cohort: {}", e.message)));
    }
    Ok(RunPlan {
        cohort: req.cohort,
        threads,
        trajectories: req.trajectories,
        psa: plan_psa(model, req)?,
    })
}

fn plan_psa(model: &Model, req: &RunRequest) -> Result<Option<PsaPlan>, AnalysisError> {
    let invalid = |m: String| Err(AnalysisError::Invalid(m));
    if req.draws.is_none() && req.draw_range.is_none() {
        return Ok(None);
    }
    if req.cohort {
        return invalid(
            "--draws: the probabilistic analysis simulates individuals; remove --cohort".into(),
        );
    }
    let total = req.draws.unwrap_or(model.settings.psa.n_draws);
    if total == 0 || total > MAX_DRAWS {
        return invalid(format!(
            "--draws: expected a number from 1 to {MAX_DRAWS}, found {total}"
        ));
    }
    super::check_psa_memory(model, total)?;
    let total = total as u64;
    let (first, last) = match &req.draw_range {
        None => (1, total),
        Some(r) => {
            let parsed = r.split_once("..").and_then(|(a, b)| {
                Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?))
            });
            match parsed {
                Some((a, b)) if 1 <= a && a <= b && b <= total => (a, b),
                _ => {
                    return invalid(format!(
                        "--draw-range: expected A..B with 1 <= A <= B <= {total} (the number of draws), found `{r}`"
                    ));
                }
            }
        }
    };
    let individuals = check_individuals(
        "--draw-individuals",
        req.draw_individuals
            .unwrap_or(model.settings.psa.n_individuals),
    )?;
    Ok(Some(PsaPlan {
        total,
        first,
        last,
        individuals,
    }))
}

/// Run the base case and the planned PSA draws.
pub fn run(
    model: &Model,
    plan: &RunPlan,
    progress: &dyn Progress,
) -> Result<RunResult, AnalysisError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads)
        .build()
        .map_err(|e| {
            AnalysisError::Failed(format!("cannot start {} threads: {e}", plan.threads))
        })?;
    let base = params::point_values(model);
    let n = model.settings.n_individuals;
    let started = Instant::now();
    let sim = if plan.cohort {
        cohort::evaluate(model, &base)?
    } else {
        let phase = progress.phase(n as u64, "individuals");
        let spec = SimSpec {
            draw: 0,
            n_individuals: n,
            seed: model.settings.seed,
            trajectories: plan.trajectories,
        };
        pool.install(|| engine::simulate(model, &base, &spec, &|k| phase.advance(k as u64)))?
    };
    let mut timings = vec![("simulate", started.elapsed().as_secs_f64())];
    let draws = match plan.psa {
        None => None,
        Some(psa) => {
            let started = Instant::now();
            let phase = progress.phase(psa.last - psa.first + 1, "draws");
            let d = pool.install(|| {
                engine::simulate_draws(
                    model,
                    psa.first,
                    psa.last,
                    psa.individuals,
                    model.settings.seed,
                    &|k| phase.advance(k as u64),
                )
            })?;
            timings.push(("psa", started.elapsed().as_secs_f64()));
            Some((psa, d))
        }
    };
    Ok(RunResult {
        sim,
        draws,
        timings,
    })
}
