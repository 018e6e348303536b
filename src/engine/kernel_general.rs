//! The general kernel: one individual in one strategy, cycle by cycle, with
//! individual-level expressions evaluated lazily.

use crate::model::{Model, tracker};
use crate::params;
use crate::rng::{self, Purpose};

use super::accum::ChunkAcc;
use super::kernel_stay::{accrue_stay, apply_fixed};
use super::prepare::{IndEnv, PrepStrategy, row_probabilities, set_time};
use super::results::{SimError, Trajectory};
use super::simulate::{Ctx, Worker, start_state};
use super::stays::{held_until, walk_stay};

// Longer than 120 lines by design: this is the per-individual, per-cycle hot loop, kept in
// one function so its state lives in registers and the order of floating-point additions
// (which the kernels share to the last bit) is visible in one place. Never inlined into the
// chunk loop: inlined, its code depended on the build's debug-information setting, and the
// release build ran about 3% more instructions than with it kept apart (callgrind).
/// Simulate one individual in one strategy from boundary 0 to T, accumulating its
/// outcomes (and its trajectory when asked).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub(super) fn simulate_individual(
    ctx: &Ctx,
    si: usize,
    prep: &PrepStrategy,
    individual: usize,
    u_start: f64,
    age: Option<(usize, f64)>,
    w: &mut Worker,
    acc: &mut ChunkAcc,
    mut path: Option<&mut Trajectory>,
) -> Result<(), SimError> {
    let model = ctx.model;
    let l = ctx.layout;
    let weights = ctx.weights;
    let dt = model.settings.cycle_years();
    let n_states = model.states.len();
    let n_cycles = model.settings.n_cycles;
    let k = l.len();
    let trace_base = si * (n_cycles + 1) * n_states;
    let out = &mut w.outcome[si * k..(si + 1) * k];
    let occupancy = &mut w.occupancy;
    occupancy.fill([0.0; 3]);
    let mut vars = w.scratch.vars.borrow_mut();
    w.scratch.memo.clear();
    let mut rng = rng::stream(ctx.seed, Purpose::Transitions, ctx.draw, individual as u64);
    let mut state = start_state(prep, u_start);
    let mut state_time = 1usize;
    // Boundary at which the current state was entered: fixed payoffs are accrued per stay,
    // as a difference of suffix sums of the weights, not per cycle.
    let mut entered = 0usize;
    // In a state whose row is fixed, steady or competing risks: where the stay ends, once
    // drawn (`FastRow::sample_stay`, `walk_stay`; `None`: not before `redraw`), and the
    // boundary from which it is to be drawn (again).
    let mut plan: Option<(usize, usize)> = None;
    let mut redraw = 0usize;
    let tracks = &mut w.tracks;
    tracker::start(&model.trackers, tracks);
    for (c, x) in &prep.start_costs {
        out[l.cost(*c, true)] += x;
        out[l.cost(*c, false)] += x;
    }
    let mut t = 0;
    while t <= n_cycles {
        let ps = &prep.states[state];
        if ps.absorbing && t >= ps.fixed_from {
            // Nothing changes any more: the rest of the horizon in closed form.
            acc.frozen_entries[trace_base + t * n_states + state] += 1;
            let o = &mut occupancy[state];
            o[0] += ctx.suffix.cost[t];
            o[1] += ctx.suffix.effect[t];
            o[2] += ctx.suffix.plain[t];
            if let Some(p) = path.as_deref_mut() {
                p.states.resize(n_cycles + 1, state as u16);
            }
            if let Some(tm) = &ps.timed {
                tm.accrue(entered, t, out);
            }
            break;
        }
        acc.trace[trace_base + t * n_states + state] += 1;
        if let Some(p) = path.as_deref_mut() {
            p.states.push(state as u16);
        }
        if ps.needs_vars {
            set_time(&mut vars, age, t, state_time, dt);
            tracker::write(&model.trackers, tracks, dt, &mut vars);
            w.scratch.reset();
        }
        let env = IndEnv {
            params: &prep.params,
            vars: &vars,
            tables: &model.tables,
            var_vals: &prep.var_vals,
            tracks,
            memo: &w.scratch.memo,
            cache: &w.scratch.cache,
            valid: &w.scratch.valid,
            t,
            state_time,
            age,
            dt,
        };
        if weights.plain[t] == 0.0 || t >= ps.evaluated_until {
            // Fixed payoffs are accrued when the stay ends. A boundary that carries no weight
            // (the last one without a within-cycle correction) is not evaluated, so an
            // expression undefined there cannot matter.
        } else {
            for (c, v) in &ps.costs {
                let x = v.get(&env);
                out[l.cost(*c, true)] += x * weights.cost[t];
                out[l.cost(*c, false)] += x * weights.plain[t];
            }
            let u = ps.utility.get(&env);
            out[l.qalys(true)] += u * dt * weights.effect[t];
            out[l.qalys(false)] += u * dt * weights.plain[t];
            if ps.alive {
                out[l.life_years(true)] += dt * weights.effect[t];
                out[l.life_years(false)] += dt * weights.plain[t];
            }
        }
        if t == n_cycles {
            accrue_stay(ctx, &mut occupancy[state], out, ps, entered, n_cycles + 1);
            break;
        }
        if ps.absorbing {
            tracker::advance(&model.trackers, tracks, state, state);
            state_time += 1;
            t += 1;
            continue;
        }
        let row = &prep.rows[state];
        let fixed = prep.fast[state].filter(|f| !f.events);
        if fixed.is_some() || row.steady.is_some() || row.competing.is_some() {
            // Where the stay ends is drawn when it starts: for a fixed row at once, with the
            // same random numbers as the stay kernel; for a steady row, or competing risks
            // that follow the stay, cycle by cycle with the numbers and moves of evaluating
            // the row every cycle, as far as the boundary where a held value can change, and
            // from there again (`walk_stay`).
            if t >= redraw {
                let until = if let Some(f) = fixed {
                    plan = f.sample_stay(&mut rng, t, n_cycles);
                    usize::MAX
                } else {
                    let n = row.transitions.len();
                    let probs = &mut w.probs[..n];
                    if let Err(j) = row_probabilities(row, &env, probs) {
                        return Err(row_error(model, prep, state, j, &env, individual, t, None));
                    }
                    let until = held_until(row, &w.scratch.memo, t, state_time);
                    plan = walk_stay(
                        row,
                        probs,
                        &prep.var_vals,
                        &mut rng,
                        state,
                        t,
                        state_time,
                        tracks,
                        until.min(n_cycles),
                    );
                    until
                };
                redraw = if plan.is_some() { usize::MAX } else { until };
            }
            let to = match plan {
                Some((leave, to)) if leave == t => to,
                _ => state,
            };
            if to == state && t >= ps.evaluated_until {
                // Nothing is evaluated before the next event (the move that leaves, a new
                // draw, the horizon): skip to it. The boundaries in between are in this
                // state, their moves stay, and their payoffs are accrued per stay.
                let next = plan.map_or(redraw.min(n_cycles), |(leave, _)| leave);
                let moves = next - t;
                acc.transitions[(si * n_states + state) * n_states + state] += moves as u64;
                tracker::advance_stay(&model.trackers, tracks, state, moves);
                if moves > 1 {
                    acc.frozen_entries[trace_base + (t + 1) * n_states + state] += 1;
                    acc.frozen_entries[trace_base + next * n_states + state] -= 1;
                    if let Some(p) = path.as_deref_mut() {
                        p.states.resize(p.states.len() + moves - 1, state as u16);
                    }
                }
                state_time += moves;
                t = next;
                continue;
            }
            acc.transitions[(si * n_states + state) * n_states + to] += 1;
            tracker::advance(&model.trackers, tracks, state, to);
            if to == state {
                state_time += 1;
            } else {
                accrue_stay(ctx, &mut occupancy[state], out, ps, entered, t + 1);
                entered = t + 1;
                state = to;
                state_time = 1;
                plan = None;
                redraw = 0;
            }
            t += 1;
            continue;
        }
        let chosen = if row.fixed.is_some() {
            let u = params::uniform(&mut rng);
            row.fixed_cum.iter().map(|c| usize::from(*c <= u)).sum()
        } else {
            let n = row.transitions.len();
            if let Err(j) = row_probabilities(row, &env, &mut w.probs[..n]) {
                return Err(row_error(model, prep, state, j, &env, individual, t, None));
            }
            let u = params::uniform(&mut rng);
            let mut cum = 0.0;
            let mut chosen = n - 1;
            for (j, pj) in w.probs[..n].iter().enumerate() {
                cum += pj;
                if u < cum {
                    chosen = j;
                    break;
                }
            }
            chosen
        };
        let tr = &row.transitions[chosen];
        acc.transitions[(si * n_states + state) * n_states + tr.to] += 1;
        for (c, v) in &tr.costs {
            let x = v.get(&env);
            out[l.cost(*c, true)] += x * weights.cycle_cost[t];
            out[l.cost(*c, false)] += x * weights.cycle_plain[t];
        }
        if let Some(q) = &tr.qaly_loss {
            let x = q.get(&env);
            out[l.qalys(true)] -= x * weights.cycle_effect[t];
            out[l.qalys(false)] -= x * weights.cycle_plain[t];
        }
        tracker::advance(&model.trackers, tracks, state, tr.to);
        if tr.to == state {
            state_time += 1;
        } else {
            accrue_stay(ctx, &mut occupancy[state], out, ps, entered, t + 1);
            entered = t + 1;
            state = tr.to;
            state_time = 1;
            plan = None;
            redraw = 0;
        }
        t += 1;
    }
    // Fixed payoffs: per-cycle value times the summed weights of the cycles spent there.
    apply_fixed(prep, occupancy, l, dt, out);
    Ok(())
}

/// Describe an invalid row for one individual (cold path: allocation is fine here).
#[allow(clippy::too_many_arguments)]
pub(crate) fn row_error(
    model: &Model,
    prep: &PrepStrategy,
    state: usize,
    j: usize,
    env: &IndEnv,
    individual: usize,
    t: usize,
    mass: Option<f64>,
) -> SimError {
    let row = &prep.rows[state];
    let values: Vec<String> = row
        .transitions
        .iter()
        .map(|tr| {
            let v = tr
                .probability
                .as_ref()
                .map(|v| format!("{}", v.get(env)))
                .unwrap_or_else(|| "complement".into());
            format!(
                "{} → {} = {v} ({})",
                model.states[state].name, model.states[tr.to].name, tr.origin
            )
        })
        .collect();
    let at = row
        .transitions
        .get(j)
        .or(row.transitions.first())
        .map(|tr| tr.at.clone());
    let what = match row.transitions.get(j) {
        Some(tr) => format!(
            "transition {} is outside [0, 1] or leaves a negative complement",
            tr.origin
        ),
        None => "the probabilities do not sum to 1".to_string(),
    };
    let who = match mass {
        None => format!("individual {individual}"),
        Some(_) => "the cohort".to_string(),
    };
    let hint = if model.tables.is_empty() {
        ""
    } else {
        "; a table lookup with no matching row or out of range gives NaN"
    };
    SimError {
        message: format!(
            "strategy `{}`, {who}, cycle {}: {what}: {}{hint}",
            prep.name,
            t + 1,
            values.join("; ")
        ),
        at,
    }
}
