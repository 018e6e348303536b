//! EVPPI by nested two-level Monte Carlo, with the engine as the inner model (Brennan,
//! Kharroubi, O'Hagan & Chilcott 2007, Med Decis Making 27:448).
//!
//! Outer draw `k` (1..=K) holds the target's parameters at their values in probabilistic
//! draw `k` of the run's seed, so the outer sample is the run's own first K draws. Inner
//! draw `j` (1..=J) redraws every other parameter from an independent stream
//! (`params::draw` with a seed derived from the run's, at draw index `(k − 1)·J + j`),
//! conditional on the held ones where they are dependent (`params::conditional`), and
//! simulates `N` individuals keyed by the same index, the same individuals in every
//! strategy (common random numbers). The conditional mean costs and QALYs over the inner
//! draws give `evppi_conditional`. Every inner sample is independent of the others, so
//! the standard error over the outer draws is valid; the estimate is biased upwards by the
//! noise of the inner means, which is estimated by comparing the two halves of the inner
//! sample (`(EVPPI_{J/2,a} + EVPPI_{J/2,b})/2 − EVPPI_J` ≈ the bias of `EVPPI_J`, as the
//! bias shrinks as 1/J) and reported as a warning when it is not small.

use rayon::prelude::*;

use crate::econ::psa::PsaTable;
use crate::econ::voi::{Method, evppi_conditional};
use crate::engine::{self, Layout, SimSpec};
use crate::model::Model;
use crate::{params, rng};

use super::super::{AnalysisError, Progress, check_individuals};
use super::{Target, TargetEstimate, VoiRequest};

/// Default number of outer draws.
pub const DEFAULT_OUTER: usize = 100;
/// Default number of inner draws per outer draw.
pub const DEFAULT_INNER: usize = 100;
/// Largest outer × inner product accepted per target.
const MAX_EVALUATIONS: usize = 10_000_000;
/// Mixed into the run's seed for the inner draws' streams ("voi_innr").
const INNER_SALT: u64 = 0x766f_695f_696e_6e72;

/// A checked nested analysis.
pub(super) struct NestedPlan {
    pub(super) outer: usize,
    pub(super) inner: usize,
    pub(super) individuals: usize,
}

/// Check the nested options.
pub(super) fn plan(
    model: &Model,
    req: &VoiRequest,
    targets: &[Target],
) -> Result<NestedPlan, AnalysisError> {
    if req.params.is_empty() && req.groups.is_empty() {
        return Err(AnalysisError::Invalid(
            "--method nested: name the parameters or groups (--params, --groups); each costs outer × inner simulations".into(),
        ));
    }
    let outer = req.outer.unwrap_or(DEFAULT_OUTER);
    let inner = req.inner.unwrap_or(DEFAULT_INNER);
    if outer < 2 || inner < 2 || outer.saturating_mul(inner) > MAX_EVALUATIONS {
        return Err(AnalysisError::Invalid(format!(
            "--outer/--inner: expected at least 2 each and at most {MAX_EVALUATIONS} simulations per target, found {outer} × {inner}"
        )));
    }
    let individuals = check_individuals(
        "--individuals",
        req.individuals.unwrap_or(model.settings.psa.n_individuals),
    )?;
    debug_assert!(!targets.is_empty());
    Ok(NestedPlan {
        outer,
        inner,
        individuals,
    })
}

/// What the nested analysis returns.
pub(super) struct Nested {
    pub(super) estimates: Vec<Vec<TargetEstimate>>,
}

/// Conditional mean cost per perspective and QALYs of every strategy, for one outer draw:
/// over all inner draws and over each half. Outer draw `k` depends only on the seed, `k`
/// and the plan, so a slice of the outer draws computes exactly these numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct OuterMeans {
    /// `[sample][perspective][strategy]` cost; sample 0 all inner draws, 1 and 2 the halves.
    pub cost: [Vec<Vec<f64>>; 3],
    /// `[sample][strategy]` QALYs.
    pub effect: [Vec<f64>; 3],
}

/// Nested EVPPI of every target, `[perspective][target]`.
pub(super) fn nested(
    model: &Model,
    perspectives: &[String],
    targets: &[Target],
    plan: &NestedPlan,
    grid: &[f64],
    progress: &dyn Progress,
) -> Result<Nested, AnalysisError> {
    let means = outer_means_of(model, targets, plan, (1, plan.outer as u64), progress)?;
    Ok(from_means(model, perspectives, &means, grid))
}

/// The conditional means of outer draws `first..=last` of every target,
/// `[target][k − first]`; computed in parallel, collected in draw order.
pub(super) fn outer_means_of(
    model: &Model,
    targets: &[Target],
    plan: &NestedPlan,
    (first, last): (u64, u64),
    progress: &dyn Progress,
) -> Result<Vec<Vec<OuterMeans>>, AnalysisError> {
    let n_outer = last + 1 - first;
    let phase = progress.phase(
        targets.len() as u64 * n_outer * plan.inner as u64,
        "simulations",
    );
    let mut per_target = Vec::new();
    for t in targets {
        let mut fixed = vec![false; model.params.len()];
        t.params.iter().for_each(|id| fixed[id.0] = true);
        let outer: Vec<OuterMeans> = (first..=last)
            .into_par_iter()
            .map(|k| {
                let m = outer_means(model, &fixed, k, plan);
                phase.advance(plan.inner as u64);
                m
            })
            .collect::<Result<_, _>>()?;
        per_target.push(outer);
    }
    Ok(per_target)
}

/// The EVPPI `[perspective][target]` from every outer draw's conditional means
/// (`[target][k − 1]`, all K of them).
pub(super) fn from_means(
    model: &Model,
    perspectives: &[String],
    means: &[Vec<OuterMeans>],
    grid: &[f64],
) -> Nested {
    let per_target: Vec<Vec<TargetEstimate>> = means
        .iter()
        .map(|outer| estimates(model, perspectives, outer, grid))
        .collect();
    Nested {
        estimates: (0..perspectives.len())
            .map(|p| per_target.iter().map(|t| t[p].clone()).collect())
            .collect(),
    }
}

/// Simulate the inner draws of outer draw `k` and average them.
fn outer_means(
    model: &Model,
    fixed: &[bool],
    k: u64,
    plan: &NestedPlan,
) -> Result<OuterMeans, AnalysisError> {
    let seed = model.settings.seed;
    let inner_seed = rng::splitmix64(seed ^ INNER_SALT);
    let layout = Layout::of(model);
    let (ns, np) = (model.strategies.len(), model.perspectives.len());
    let held = params::draw(model, seed, k);
    let mut cost: [Vec<Vec<f64>>; 3] = std::array::from_fn(|_| vec![vec![0.0; ns]; np]);
    let mut effect: [Vec<f64>; 3] = std::array::from_fn(|_| vec![0.0; ns]);
    let half = plan.inner / 2;
    for j in 0..plan.inner as u64 {
        let key = (k - 1) * plan.inner as u64 + j + 1;
        let redrawn = params::draw(model, inner_seed, key);
        let values = params::conditional(model, fixed, &held, &redrawn);
        let spec = SimSpec {
            draw: key,
            n_individuals: plan.individuals,
            seed: inner_seed,
            trajectories: 0,
        };
        let sim = engine::simulate(model, &values, &spec, &|_| {}).map_err(|e| {
            AnalysisError::Simulation(engine::SimError {
                message: format!("nested value of information, outer draw {k}: {}", e.message),
                at: e.at,
            })
        })?;
        let part = if (j as usize) < half { 1 } else { 2 };
        for (s, st) in sim.strategies.iter().enumerate() {
            let q = st.outcomes[layout.qalys(true)].mean;
            for slot in [0, part] {
                effect[slot][s] += q;
                for (p, c) in cost[slot].iter_mut().enumerate().take(np) {
                    c[s] += st.outcomes[layout.perspective(p, true)].mean;
                }
            }
        }
    }
    let counts = [plan.inner, half, plan.inner - half];
    for (slot, n) in counts.iter().enumerate() {
        let n = *n as f64;
        effect[slot].iter_mut().for_each(|v| *v /= n);
        cost[slot].iter_mut().flatten().for_each(|v| *v /= n);
    }
    Ok(OuterMeans { cost, effect })
}

/// EVPPI per perspective from the outer draws' conditional means, with the split-half
/// estimate of the inner-sample bias.
fn estimates(
    model: &Model,
    perspectives: &[String],
    outer: &[OuterMeans],
    grid: &[f64],
) -> Vec<TargetEstimate> {
    let ns = model.strategies.len();
    (0..perspectives.len())
        .map(|p| {
            let table = |slot: usize| {
                let mut t = PsaTable::new(ns);
                for m in outer {
                    t.push_draw(&m.cost[slot][p], &m.effect[slot]);
                }
                t
            };
            let full = evppi_conditional(&table(0), grid);
            let (a, b) = (
                evppi_conditional(&table(1), grid),
                evppi_conditional(&table(2), grid),
            );
            let bias = full
                .iter()
                .zip(a.iter().zip(&b))
                .map(|(f, (x, y))| (x.value + y.value) / 2.0 - f.value)
                .collect();
            TargetEstimate {
                method: Method::Nested,
                estimates: full,
                inner_bias: Some(bias),
            }
        })
        .collect()
}
