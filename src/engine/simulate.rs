//! The simulation driver: parameter draws, chunks of individuals in parallel, attributes
//! and starting states, and the in-order merge.

use rayon::prelude::*;

use crate::model::{AttributeDist, Model, var};
use crate::params::{self};
use crate::rng::{self, Purpose};

use super::accum::{ChunkAcc, Suffix, finish, finish_individual, suffix};
use super::kernel_general::simulate_individual;
use super::kernel_stay::{all_fast, simulate_stays};
use super::layout::Layout;
use super::prepare::{PrepStrategy, Scratch, prepare};
use super::results::{DrawOutcome, SimError, SimOutput, SimSpec, Trajectory};
use super::weights::{Weights, weights};
use super::{BATCH, CHUNK};

/// Simulate probabilistic draws `first..=last` (1-based), each on its own parameter draw
/// with `n_individuals` individuals; in parallel over draws and individuals, results in
/// draw order. `progress` is told when a draw finishes.
pub fn simulate_draws(
    model: &Model,
    first: u64,
    last: u64,
    n_individuals: usize,
    seed: u64,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<DrawOutcome>, SimError> {
    let l = Layout::of(model);
    let reference = model.settings.reference_strategy.0;
    let results: Vec<Result<DrawOutcome, SimError>> = (first..=last)
        .into_par_iter()
        .map(|d| {
            let base = params::draw(model, seed, d);
            let spec = SimSpec {
                draw: d,
                n_individuals,
                seed,
                trajectories: 0,
            };
            let sim = simulate(model, &base, &spec, &|_| {}).map_err(|e| SimError {
                message: format!("probabilistic draw {d}: {}", e.message),
                at: e.at,
            })?;
            let outcomes = sim
                .strategies
                .iter()
                .map(|s| s.outcomes.iter().map(|e| e.mean).collect())
                .collect();
            let inmb_se = (0..sim.strategies.len())
                .map(|s| {
                    (0..l.n_perspectives)
                        .flat_map(|p| (0..l.n_wtp).map(move |w| l.nmb(p, w)))
                        .map(|k| sim.difference(reference, s, k).se)
                        .collect()
                })
                .collect();
            progress(1);
            Ok(DrawOutcome {
                draw: d,
                params: base,
                outcomes,
                inmb_se,
            })
        })
        .collect();
    results.into_iter().collect()
}

/// Fixed inputs shared by every chunk.
pub(super) struct Ctx<'a, 'm> {
    pub(super) model: &'m Model,
    pub(super) prep: &'a [PrepStrategy<'m>],
    pub(super) weights: &'a Weights,
    pub(super) suffix: Suffix,
    pub(super) layout: Layout,
    pub(super) seed: u64,
    pub(super) draw: u64,
    pub(super) max_row: usize,
    pub(super) record: usize,
    /// Truncation bounds of the attribute distributions.
    pub(super) bounds: Vec<(f64, f64)>,
    /// Every strategy's states are fast rows or frozen absorbing states with fixed payoffs:
    /// the stay kernel applies.
    pub(super) all_fast: bool,
}

/// Starting state for a uniform number.
#[inline]
pub(super) fn start_state(prep: &PrepStrategy, u_start: f64) -> usize {
    prep.initial
        .iter()
        .find(|(_, cum)| u_start < *cum)
        .or(prep.initial.last())
        .map(|(s, _)| *s)
        .unwrap_or(0)
}

/// Simulate every strategy for `n_individuals` individuals on one parameter set.
///
/// `base` holds the base parameter values (point values or a probabilistic draw);
/// `draw` keys the random streams; `progress` is told how many individuals finished.
pub fn simulate(
    model: &Model,
    base: &[f64],
    spec: &SimSpec,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<SimOutput, SimError> {
    let SimSpec {
        draw,
        n_individuals,
        seed,
        trajectories: record,
    } = *spec;
    let weights = weights(&model.settings);
    let prep = prepare(model, base, &weights)?;
    let layout = Layout::of(model);
    let ctx = Ctx {
        model,
        prep: &prep,
        suffix: Suffix {
            cost: suffix(&weights.cost),
            effect: suffix(&weights.effect),
            plain: suffix(&weights.plain),
        },
        weights: &weights,
        layout,
        seed,
        draw,
        record,
        all_fast: all_fast(&prep),
        bounds: truncation_bounds(model),
        max_row: model
            .strategies
            .iter()
            .flat_map(|s| s.rows.iter().map(Vec::len))
            .max()
            .unwrap_or(0),
    };
    let n_strategies = model.strategies.len();
    let n_states = model.states.len();
    let n_cycles = model.settings.n_cycles;
    let mut total = ChunkAcc::new(n_strategies, layout.len(), n_states, n_cycles);
    total
        .trajectories
        .reserve(record.min(n_individuals) * n_strategies);
    let n_chunks = n_individuals.div_ceil(CHUNK);
    let mut first = 0;
    while first < n_chunks {
        let last = (first + BATCH).min(n_chunks);
        let results: Vec<Result<ChunkAcc, SimError>> = (first..last)
            .into_par_iter()
            .map(|c| {
                let lo = c * CHUNK;
                let hi = (lo + CHUNK).min(n_individuals);
                let acc = simulate_chunk(&ctx, lo..hi);
                progress(hi - lo);
                acc
            })
            .collect();
        for r in results {
            total.merge(&r?);
        }
        first = last;
    }
    let sim = finish(&total, layout, n_individuals, n_states, n_cycles);
    super::finite::check_results(model, &prep, &sim)?;
    Ok(sim)
}

/// F(min) and F(max) of each continuous attribute, for truncated inverse-CDF sampling
/// (computed once per simulation, not per individual).
pub(super) fn truncation_bounds(model: &Model) -> Vec<(f64, f64)> {
    model
        .population
        .attributes
        .iter()
        .map(|a| match &a.dist {
            AttributeDist::Continuous { dist, min, max } => (dist.cdf(*min), dist.cdf(*max)),
            AttributeDist::Categorical { .. } => (0.0, 1.0),
        })
        .collect()
}

/// Draw an individual's attributes into `vars` and return its starting-state number.
pub(super) fn draw_individual(
    model: &Model,
    bounds: &[(f64, f64)],
    seed: u64,
    draw: u64,
    individual: u64,
    vars: &mut [f64],
) -> f64 {
    let mut r = rng::stream(seed, Purpose::Attributes, draw, individual);
    let pop = &model.population;
    if let Some(e) = &pop.empirical {
        let u = params::uniform(&mut r);
        let row = e
            .cumulative_weights
            .partition_point(|c| *c <= u)
            .min(e.cumulative_weights.len() - 1);
        let width = e.columns.len();
        for (j, slot) in e.columns.iter().enumerate() {
            vars[var::FIRST_ATTRIBUTE + slot] = e.rows[row * width + j];
        }
    }
    for (i, a) in pop.attributes.iter().enumerate() {
        if pop
            .empirical
            .as_ref()
            .is_some_and(|e| e.columns.contains(&i))
        {
            continue;
        }
        let u = params::uniform(&mut r);
        vars[var::FIRST_ATTRIBUTE + i] = match &a.dist {
            AttributeDist::Continuous { dist, min, max } => {
                // Inverse-CDF sampling restricted to [F(min), F(max)]: truncation without rejection loops.
                let (lo, hi) = bounds[i];
                dist.quantile(lo + u * (hi - lo)).clamp(*min, *max)
            }
            AttributeDist::Categorical { levels, probs } => {
                let mut cum = 0.0;
                let mut chosen = levels[levels.len() - 1];
                for (l, p) in levels.iter().zip(probs) {
                    cum += p;
                    if u < cum {
                        chosen = *l;
                        break;
                    }
                }
                chosen as f64
            }
        };
    }
    params::uniform(&mut r)
}

/// Buffers one worker reuses for every individual of a chunk (no allocation per cycle).
pub(super) struct Worker {
    pub(super) base_vars: Vec<f64>,
    pub(super) scratch: Scratch,
    pub(super) outcome: Vec<f64>,
    pub(super) probs: Vec<f64>,
    /// Sums of boundary weights (cost, effect, undiscounted) per state, for fixed payoffs.
    pub(super) occupancy: Vec<[f64; 3]>,
    /// The same for every strategy at once (`[strategy * n_states + state]`), for the stay kernel.
    pub(super) occupancy_all: Vec<[f64; 3]>,
    /// The current individual's tracker values (`Model::trackers`).
    pub(super) tracks: Vec<u32>,
}

pub(super) fn simulate_chunk(
    ctx: &Ctx,
    individuals: std::ops::Range<usize>,
) -> Result<ChunkAcc, SimError> {
    let model = ctx.model;
    let n_strategies = ctx.prep.len();
    let n_states = model.states.len();
    let n_cycles = model.settings.n_cycles;
    let k = ctx.layout.len();
    let mut acc = ChunkAcc::new(n_strategies, k, n_states, n_cycles);
    let mut w = Worker {
        base_vars: vec![0.0; model.n_vars()],
        scratch: Scratch::new(model),
        outcome: vec![0.0; n_strategies * k],
        probs: vec![0.0; ctx.max_row.max(1)],
        occupancy: vec![[0.0; 3]; n_states],
        occupancy_all: vec![[0.0; 3]; n_states * n_strategies],
        tracks: vec![0; model.trackers.len()],
    };
    for i in individuals {
        let u_start = draw_individual(
            model,
            &ctx.bounds,
            ctx.seed,
            ctx.draw,
            i as u64,
            &mut w.base_vars,
        );
        let age = model
            .population
            .age
            .map(|slot| (slot, w.base_vars[var::FIRST_ATTRIBUTE + slot]));
        w.outcome.fill(0.0);
        let stays = ctx.all_fast && i >= ctx.record;
        if stays {
            simulate_stays(ctx, i, u_start, &mut w, &mut acc);
        }
        for (si, prep) in ctx.prep.iter().enumerate() {
            if stays {
                finish_individual(ctx, si, prep, i, &mut w, &mut acc)?;
                continue;
            }
            w.scratch.vars.borrow_mut().copy_from_slice(&w.base_vars);
            let mut path = (i < ctx.record).then(|| Trajectory {
                individual: i,
                strategy: si,
                states: Vec::with_capacity(n_cycles + 1),
            });
            simulate_individual(
                ctx,
                si,
                prep,
                i,
                u_start,
                age,
                &mut w,
                &mut acc,
                path.as_mut(),
            )?;
            if let Some(p) = path {
                acc.trajectories.push(p);
            }
            finish_individual(ctx, si, prep, i, &mut w, &mut acc)?;
        }
        let mut pair = 0;
        for a in 0..n_strategies {
            for b in a + 1..n_strategies {
                for j in 0..k {
                    acc.pair_moments[pair * k + j]
                        .push(w.outcome[b * k + j] - w.outcome[a * k + j]);
                }
                pair += 1;
            }
        }
    }
    Ok(acc)
}
