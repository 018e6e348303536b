//! The lockstep kernel: every strategy of one individual at once, for models whose states
//! are fixed flat rows or frozen absorbing states. Bit-identical to the general kernel.

use crate::params::{self};
use crate::rng::{self, Purpose};

use super::accum::ChunkAcc;
use super::layout::Layout;
use super::prepare::{PrepState, PrepStrategy};
use super::simulate::{Ctx, Worker, start_state};

/// Whether the lockstep kernel can simulate these strategies: every state is either an
/// absorbing state with fixed payoffs or has a fixed flat row without one-off events, fixed
/// payoffs and no need for individual variables. A state or row that reads a tracker is
/// never fixed, so a model whose expressions read trackers never takes this kernel (which
/// keeps none); trackers that nothing reads change no result.
pub(super) fn all_fast(prep: &[PrepStrategy]) -> bool {
    prep.iter().all(|p| {
        p.states.iter().zip(&p.fast).all(|(s, f)| {
            s.fixed_from == 0
                && !s.needs_vars
                && (s.absorbing || f.as_ref().is_some_and(|f| !f.events))
        })
    })
}

/// Per-cycle payoffs held fixed, multiplied by the summed weights of the cycles spent in
/// each state (shared by both kernels so their arithmetic is identical).
pub(super) fn apply_fixed(
    prep: &PrepStrategy,
    occupancy: &[[f64; 3]],
    l: Layout,
    dt: f64,
    out: &mut [f64],
) {
    for (ps, o) in prep.states.iter().zip(occupancy) {
        let Some((costs, utility)) = &ps.fixed else {
            continue;
        };
        if o[2] == 0.0 {
            continue;
        }
        for (c, x) in costs {
            out[l.cost(*c, true)] += x * o[0];
            out[l.cost(*c, false)] += x * o[2];
        }
        out[l.qalys(true)] += utility * dt * o[1];
        out[l.qalys(false)] += utility * dt * o[2];
        if ps.alive {
            out[l.life_years(true)] += dt * o[1];
            out[l.life_years(false)] += dt * o[2];
        }
    }
}

/// Add the weights of boundaries `from..to` spent in a state with fixed payoffs (those from
/// the boundary where they become fixed; the kernel accrues the earlier ones cycle by cycle).
#[inline]
pub(super) fn accrue_stay(ctx: &Ctx, o: &mut [f64; 3], ps: &PrepState, from: usize, to: usize) {
    let from = from.max(ps.fixed_from);
    if from < to {
        o[0] += ctx.suffix.cost[from] - ctx.suffix.cost[to];
        o[1] += ctx.suffix.effect[from] - ctx.suffix.effect[to];
        o[2] += ctx.suffix.plain[from] - ctx.suffix.plain[to];
    }
}

// Longer than 120 lines by design: this is the per-individual, per-cycle hot loop, kept in
// one function so its state lives in registers and the order of floating-point additions
// (which the kernels share to the last bit) is visible in one place.
/// All strategies of one individual at once, for models whose every state is a fixed flat
/// row or a frozen absorbing state. The strategies' paths are independent chains of
/// dependent loads; interleaving them lets the processor overlap their latencies. The
/// arithmetic, random numbers and order of additions are those of `simulate_individual`,
/// so the results are identical to the last bit (a test compares the two).
pub(super) fn simulate_lockstep(
    ctx: &Ctx,
    individual: usize,
    u_start: f64,
    w: &mut Worker,
    acc: &mut ChunkAcc,
) {
    /// Most strategies interleaved at once; more are simulated in groups of this size.
    const LANES: usize = 4;
    let model = ctx.model;
    let l = ctx.layout;
    let dt = model.settings.cycle_years();
    let n_states = model.states.len();
    let n_cycles = model.settings.n_cycles;
    let k = l.len();
    let n_strategies = ctx.prep.len();
    w.occupancy_all.fill([0.0; 3]);
    let base_rng = rng::stream(ctx.seed, Purpose::Transitions, ctx.draw, individual as u64);
    for group in (0..n_strategies).step_by(LANES) {
        let lanes = (n_strategies - group).min(LANES);
        let mut state = [0usize; LANES];
        let mut entered = [0usize; LANES];
        let mut stays = [0u64; LANES];
        let mut live = [false; LANES];
        let mut rngs = [
            base_rng.clone(),
            base_rng.clone(),
            base_rng.clone(),
            base_rng.clone(),
        ];
        for (lane, si) in (group..group + lanes).enumerate() {
            state[lane] = start_state(&ctx.prep[si], u_start);
            live[lane] = true;
            let out = &mut w.outcome[si * k..(si + 1) * k];
            for (c, x) in &ctx.prep[si].start_costs {
                out[l.cost(*c, true)] += x;
                out[l.cost(*c, false)] += x;
            }
            // Occupancy of the trace as entries and exits, prefix-summed at the end.
            let trace_base = si * (n_cycles + 1) * n_states;
            acc.frozen_entries[trace_base + state[lane]] += 1;
        }
        // Each lane's stay ends (at boundary `end`): count it and accrue its weights.
        let end_stay = |acc: &mut ChunkAcc,
                        occ: &mut [[f64; 3]],
                        si: usize,
                        st: usize,
                        from: usize,
                        end: usize,
                        stays: u64| {
            let prep = &ctx.prep[si];
            let trace_base = si * (n_cycles + 1) * n_states;
            if end <= n_cycles {
                acc.frozen_entries[trace_base + end * n_states + st] -= 1;
            }
            acc.transitions[(si * n_states + st) * n_states + st] += stays;
            accrue_stay(
                ctx,
                &mut occ[si * n_states + st],
                &prep.states[st],
                from,
                end,
            );
        };
        for t in 0..=n_cycles {
            let mut any = false;
            for lane in 0..lanes {
                if !live[lane] {
                    continue;
                }
                any = true;
                let si = group + lane;
                let prep = &ctx.prep[si];
                let st = state[lane];
                if prep.states[st].absorbing {
                    // Frozen: the entry stays counted to the horizon, with the suffix weights.
                    let o = &mut w.occupancy_all[si * n_states + st];
                    o[0] += ctx.suffix.cost[t];
                    o[1] += ctx.suffix.effect[t];
                    o[2] += ctx.suffix.plain[t];
                    live[lane] = false;
                    continue;
                }
                if t == n_cycles {
                    end_stay(
                        acc,
                        &mut w.occupancy_all,
                        si,
                        st,
                        entered[lane],
                        n_cycles + 1,
                        stays[lane],
                    );
                    continue;
                }
                let Some(f) = &prep.fast[st] else { continue };
                let u = params::uniform(&mut rngs[lane]);
                let chosen: usize = f.cum[..f.n_cum].iter().map(|c| usize::from(*c <= u)).sum();
                let to = usize::from(f.to[chosen]);
                if to == st {
                    stays[lane] += 1;
                } else {
                    end_stay(
                        acc,
                        &mut w.occupancy_all,
                        si,
                        st,
                        entered[lane],
                        t + 1,
                        stays[lane],
                    );
                    acc.transitions[(si * n_states + st) * n_states + to] += 1;
                    acc.frozen_entries[si * (n_cycles + 1) * n_states + (t + 1) * n_states + to] +=
                        1;
                    stays[lane] = 0;
                    entered[lane] = t + 1;
                    state[lane] = to;
                }
            }
            if !any {
                break;
            }
        }
        for si in group..group + lanes {
            let out = &mut w.outcome[si * k..(si + 1) * k];
            apply_fixed(
                &ctx.prep[si],
                &w.occupancy_all[si * n_states..(si + 1) * n_states],
                l,
                dt,
                out,
            );
        }
    }
}
