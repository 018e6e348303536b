//! The stay kernel: every strategy of one individual, stay by stay, for models whose states
//! are fixed rows or frozen absorbing states. Bit-identical to the general kernel.

use crate::rng::{self, Purpose};

use super::accum::ChunkAcc;
use super::layout::Layout;
use super::prepare::{PrepState, PrepStrategy};
use super::simulate::{Ctx, Worker, start_state};

/// Whether the stay kernel can simulate these strategies: every state is either an
/// absorbing state with fixed payoffs or has a fixed row without one-off events, fixed
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

/// A stay in a state over boundaries `from..to` ends: add the weights of those where its
/// payoffs are fixed to `o` (multiplied out by `apply_fixed`), and its payoffs where they
/// depend on model time alone to `out` (`Timed`); the kernel accrues the others cycle by
/// cycle.
#[inline]
pub(super) fn accrue_stay(
    ctx: &Ctx,
    o: &mut [f64; 3],
    out: &mut [f64],
    ps: &PrepState,
    from: usize,
    to: usize,
) {
    let fixed = from.max(ps.fixed_from);
    if fixed < to {
        o[0] += ctx.suffix.cost[fixed] - ctx.suffix.cost[to];
        o[1] += ctx.suffix.effect[fixed] - ctx.suffix.effect[to];
        o[2] += ctx.suffix.plain[fixed] - ctx.suffix.plain[to];
    }
    if let Some(tm) = &ps.timed {
        tm.accrue(from, to, out);
    }
}

/// Every strategy of one individual, for models whose every state is a fixed row or a
/// frozen absorbing state: stay by stay, each drawn at once (`FastRow::sample_stay`), so
/// the work is per stay, not per cycle. The random numbers and the order of additions are
/// those of `simulate_individual`, so the results are identical to the last bit (a test
/// compares the two). Trace occupancy is recorded as entries and exits, and payoffs as the
/// summed weights of each stay.
pub(super) fn simulate_stays(
    ctx: &Ctx,
    individual: usize,
    u_start: f64,
    w: &mut Worker,
    acc: &mut ChunkAcc,
) {
    let model = ctx.model;
    let l = ctx.layout;
    let dt = model.settings.cycle_years();
    let n_states = model.states.len();
    let n_cycles = model.settings.n_cycles;
    let k = l.len();
    w.occupancy_all.fill([0.0; 3]);
    let base_rng = rng::stream(ctx.seed, Purpose::Transitions, ctx.draw, individual as u64);
    for (si, prep) in ctx.prep.iter().enumerate() {
        // Common random numbers: every strategy reads the individual's stream from its start.
        let mut rng = base_rng.clone();
        let out = &mut w.outcome[si * k..(si + 1) * k];
        for (c, x) in &prep.start_costs {
            out[l.cost(*c, true)] += x;
            out[l.cost(*c, false)] += x;
        }
        let trace_base = si * (n_cycles + 1) * n_states;
        let occ = &mut w.occupancy_all[si * n_states..(si + 1) * n_states];
        let mut state = start_state(prep, u_start);
        let mut entered = 0;
        acc.frozen_entries[trace_base + state] += 1;
        loop {
            let ps = &prep.states[state];
            if ps.absorbing {
                // Frozen: the entry stays counted to the horizon, with the suffix weights.
                let o = &mut occ[state];
                o[0] += ctx.suffix.cost[entered];
                o[1] += ctx.suffix.effect[entered];
                o[2] += ctx.suffix.plain[entered];
                break;
            }
            // `all_fast` guarantees a fixed row here.
            let Some(f) = &prep.fast[state] else { break };
            let stay = f.sample_stay(&mut rng, entered, n_cycles);
            let end = stay.map_or(n_cycles + 1, |(leave, _)| leave + 1);
            // The stay's moves to itself (at boundaries entered to end − 2), its exit from the
            // trace and its weights.
            let stays = (end - 1 - entered) as u64;
            if end <= n_cycles {
                acc.frozen_entries[trace_base + end * n_states + state] -= 1;
            }
            acc.transitions[(si * n_states + state) * n_states + state] += stays;
            accrue_stay(ctx, &mut occ[state], out, ps, entered, end);
            let Some((_, to)) = stay else { break };
            acc.transitions[(si * n_states + state) * n_states + to] += 1;
            acc.frozen_entries[trace_base + end * n_states + to] += 1;
            entered = end;
            state = to;
        }
        apply_fixed(prep, occ, l, dt, out);
    }
}
