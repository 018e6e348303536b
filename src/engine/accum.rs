//! What a chunk of individuals accumulates, how chunks merge (in chunk order), and how
//! the merged sums become estimates.

use super::layout::Layout;
use super::prepare::PrepStrategy;
use super::results::{Estimate, SimError, SimOutput, StrategySim, Trajectory};
use super::simulate::{Ctx, Worker};

/// Running mean and sum of squared deviations (Welford 1962; merge by Chan et al. 1979).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    pub m2: f64,
}

impl Moments {
    /// Add one observation.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Combine with the moments of a later block of observations.
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let d = other.mean - self.mean;
        self.mean += d * other.n as f64 / n as f64;
        self.m2 += other.m2 + d * d * (self.n as f64 * other.n as f64 / n as f64);
        self.n = n;
    }

    /// Monte Carlo standard error of the mean: sample SD / √n.
    pub fn se(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64 / self.n as f64).sqrt()
        }
    }
}

/// Everything one chunk of individuals accumulates.
pub(super) struct ChunkAcc {
    /// `[strategy][outcome]`.
    pub(super) moments: Vec<Moments>,
    /// `[pair][outcome]`.
    pub(super) pair_moments: Vec<Moments>,
    /// Occupancy counts `[strategy][t][state]`, excluding frozen absorbing states.
    pub(super) trace: Vec<u64>,
    /// Entries into frozen absorbing states `[strategy][t][state]` (prefix-summed at the end).
    pub(super) frozen_entries: Vec<i64>,
    /// `[strategy][from][to]`.
    pub(super) transitions: Vec<u64>,
    /// Recorded paths of this chunk's first individuals, in order.
    pub(super) trajectories: Vec<Trajectory>,
}

impl ChunkAcc {
    pub(super) fn new(n_strategies: usize, k: usize, n_states: usize, n_cycles: usize) -> Self {
        let n_pairs = n_strategies * n_strategies.saturating_sub(1) / 2;
        let trace = n_strategies * (n_cycles + 1) * n_states;
        ChunkAcc {
            moments: vec![Moments::default(); n_strategies * k],
            pair_moments: vec![Moments::default(); n_pairs * k],
            trace: vec![0; trace],
            frozen_entries: vec![0; trace],
            transitions: vec![0; n_strategies * n_states * n_states],
            trajectories: Vec::new(),
        }
    }

    pub(super) fn merge(&mut self, other: &ChunkAcc) {
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            a.merge(b);
        }
        for (a, b) in self.pair_moments.iter_mut().zip(&other.pair_moments) {
            a.merge(b);
        }
        for (a, b) in self.trace.iter_mut().zip(&other.trace) {
            *a += b;
        }
        for (a, b) in self.frozen_entries.iter_mut().zip(&other.frozen_entries) {
            *a += b;
        }
        for (a, b) in self.transitions.iter_mut().zip(&other.transitions) {
            *a += b;
        }
        self.trajectories.extend_from_slice(&other.trajectories);
    }
}

/// Suffix sums of the boundary weights, for states that never change again.
pub(super) struct Suffix {
    pub(super) cost: Vec<f64>,
    pub(super) effect: Vec<f64>,
    pub(super) plain: Vec<f64>,
}

pub(super) fn suffix(w: &[f64]) -> Vec<f64> {
    let mut s = vec![0.0; w.len() + 1];
    for t in (0..w.len()).rev() {
        s[t] = s[t + 1] + w[t];
    }
    s
}

pub(super) fn finish(
    acc: &ChunkAcc,
    layout: Layout,
    n: usize,
    n_states: usize,
    n_cycles: usize,
) -> SimOutput {
    let k = layout.len();
    let n_strategies = acc.moments.len() / k;
    let per_boundary = n_states * (n_cycles + 1);
    let strategies = (0..n_strategies)
        .map(|s| {
            let outcomes = acc.moments[s * k..(s + 1) * k]
                .iter()
                .map(|m| Estimate {
                    mean: m.mean,
                    se: m.se(),
                })
                .collect();
            let counts = &acc.trace[s * per_boundary..(s + 1) * per_boundary];
            let entries = &acc.frozen_entries[s * per_boundary..(s + 1) * per_boundary];
            let mut frozen = vec![0i64; n_states];
            let mut trace = vec![0.0; per_boundary];
            for t in 0..=n_cycles {
                for (st, f) in frozen.iter_mut().enumerate() {
                    let i = t * n_states + st;
                    *f += entries[i];
                    trace[i] = (counts[i] as i64 + *f) as f64 / n as f64;
                }
            }
            let transitions = acc.transitions
                [s * n_states * n_states..(s + 1) * n_states * n_states]
                .iter()
                .map(|c| *c as f64 / n as f64)
                .collect();
            StrategySim {
                outcomes,
                trace,
                transitions,
            }
        })
        .collect();
    let pairs = acc
        .pair_moments
        .chunks(k)
        .map(|ms| {
            ms.iter()
                .map(|m| Estimate {
                    mean: m.mean,
                    se: m.se(),
                })
                .collect()
        })
        .collect();
    SimOutput {
        layout,
        n_individuals: n,
        n_states,
        n_cycles,
        strategies,
        pairs,
        trajectories: acc.trajectories.clone(),
    }
}

/// Check one individual's outcomes in one strategy, add perspective totals and NMB, and
/// accumulate them.
pub(super) fn finish_individual(
    ctx: &Ctx,
    si: usize,
    prep: &PrepStrategy,
    i: usize,
    w: &mut Worker,
    acc: &mut ChunkAcc,
) -> Result<(), SimError> {
    let k = ctx.layout.len();
    let out = &mut w.outcome[si * k..(si + 1) * k];
    if let Some(bad) = out.iter().position(|x| !x.is_finite()) {
        let place = match super::finite::payoff_place(ctx.model, prep, ctx.layout, bad) {
            Some((place, x)) => format!("; the largest such payoff is {x:e} ({place})"),
            None => String::new(),
        };
        return Err(SimError {
            message: format!(
                "strategy `{}`, individual {i}: the {} is {}; expected finite payoffs (a cost, utility or QALY loss evaluated to NaN or infinity, e.g. a table lookup with no matching row or out of range, or 0/0){place}",
                prep.name,
                ctx.layout.describe(ctx.model, bad),
                out[bad]
            ),
            at: None,
        });
    }
    ctx.layout.complete(ctx.model, out);
    for (j, x) in out.iter().enumerate() {
        acc.moments[si * k + j].push(*x);
    }
    Ok(())
}
