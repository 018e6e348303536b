//! Cohort (expected-value) evaluation of a scenario: the microsimulation's oracle.
//!
//! It propagates state occupancy instead of individuals. States whose transitions or
//! payoffs read `state_time`/`state_years` are expanded into tunnel states up to the
//! horizon, and so are the values of the trackers that expressions read, so time-in-state
//! and tracker dependence are exact. It applies when every population attribute an
//! expression reads is the same for everyone and the expansion fits in `tunnels::MAX_SLOTS`;
//! the answer is then exactly what the microsimulation converges to as the number of
//! individuals grows.

mod tunnels;

use crate::engine::{
    self, Estimate, IndEnv, Layout, PrepStrategy, SimOutput, StrategySim, pair_index, prepare,
    row_probabilities, set_time,
};
use crate::model::{Model, tracker, var};

use tunnels::{Tunnels, programs};

/// Why a cohort evaluation cannot be done or failed: the engine's error type.
pub type CohortError = engine::SimError;

/// The fixed attribute values a cohort evaluation uses, or why it does not apply: every
/// attribute an expression reads must be the same for all individuals, and the tunnel
/// expansion of time in state and trackers must fit.
pub fn applicable(model: &Model) -> Result<Vec<f64>, CohortError> {
    if let Err(message) = Tunnels::of(model) {
        return Err(CohortError { message, at: None });
    }
    let mut vars = vec![0.0; model.n_vars()];
    for p in programs(model) {
        for v in p.vars() {
            if let Some(attr) = v
                .checked_sub(var::FIRST_ATTRIBUTE)
                .and_then(|a| model.population.attributes.get(a))
            {
                match attr.fixed_value() {
                    Some(x) if model.population.empirical.is_none() => vars[v] = x,
                    _ => {
                        return Err(CohortError {
                            message: format!(
                                "the cohort evaluation needs every attribute that expressions read to be the same for all individuals, but `{}` varies; use the microsimulation, or fix the attribute (e.g. `dist: {{type: fixed, mean: 45}}`)",
                                attr.name
                            ),
                            at: None,
                        });
                    }
                }
            }
        }
    }
    Ok(vars)
}

/// What every strategy's evaluation shares.
struct Cohort<'m> {
    model: &'m Model,
    weights: engine::Weights,
    layout: Layout,
    n_states: usize,
    n_cycles: usize,
    dt: f64,
    /// The age attribute's slot and its fixed value.
    age: Option<(usize, f64)>,
    tunnels: Tunnels,
}

/// One strategy's running totals while its occupancy is propagated.
struct Totals {
    out: Vec<f64>,
    trace: Vec<f64>,
    transitions: Vec<f64>,
}

/// Evaluate every strategy as a cohort on one parameter set.
pub fn evaluate(model: &Model, base: &[f64]) -> Result<SimOutput, CohortError> {
    let mut vars = applicable(model)?;
    let weights = engine::weights(&model.settings);
    let prep = prepare(model, base, &weights)?;
    let layout = Layout::of(model);
    let cohort = Cohort {
        model,
        weights,
        layout,
        n_states: model.states.len(),
        n_cycles: model.settings.n_cycles,
        dt: model.settings.cycle_years(),
        age: model
            .population
            .age
            .map(|slot| (slot, vars[var::FIRST_ATTRIBUTE + slot])),
        tunnels: Tunnels::of(model).map_err(|message| CohortError { message, at: None })?,
    };
    let strategies = prep
        .iter()
        .map(|p| cohort.strategy(p, &mut vars))
        .collect::<Result<Vec<_>, _>>()?;
    let k = layout.len();
    let n = strategies.len();
    let mut pairs = vec![Vec::new(); n * n.saturating_sub(1) / 2];
    for a in 0..n {
        for b in a + 1..n {
            pairs[pair_index(n, a, b)] = (0..k)
                .map(|j| Estimate {
                    mean: strategies[b].outcomes[j].mean - strategies[a].outcomes[j].mean,
                    se: 0.0,
                })
                .collect();
        }
    }
    let sim = SimOutput {
        layout,
        n_individuals: 0,
        n_states: cohort.n_states,
        n_cycles: cohort.n_cycles,
        strategies,
        pairs,
        trajectories: Vec::new(),
    };
    engine::check_results(model, &prep, &sim)?;
    Ok(sim)
}

impl Cohort<'_> {
    /// Propagate one strategy's occupancy over the horizon and total its payoffs.
    fn strategy(&self, p: &PrepStrategy, vars: &mut [f64]) -> Result<StrategySim, CohortError> {
        let (model, layout, n_states) = (self.model, self.layout, self.n_states);
        let max_row = model
            .strategies
            .iter()
            .flat_map(|s| s.rows.iter().map(Vec::len))
            .max()
            .unwrap_or(0);
        let mut probs = vec![0.0; max_row.max(1)];
        let scratch = engine::Scratch::new(model);
        let mut totals = Totals {
            out: vec![0.0; layout.len()],
            trace: vec![0.0; (self.n_cycles + 1) * n_states],
            transitions: vec![0.0; n_states * n_states],
        };
        let tunnels = &self.tunnels;
        let mut mass = vec![0.0; tunnels.n_slots];
        let mut next = vec![0.0; tunnels.n_slots];
        let mut values: Vec<u32> = model.trackers.iter().map(|t| t.initial).collect();
        let start = tunnels.initial(&model.trackers);
        let mut prev_share = 0.0;
        for (s, cum) in &p.initial {
            mass[tunnels.slot(*s, 0, start)] += cum - prev_share;
            prev_share = *cum;
        }
        for (c, x) in &p.start_costs {
            totals.out[layout.cost(*c, true)] += x;
            totals.out[layout.cost(*c, false)] += x;
        }
        for t in 0..=self.n_cycles {
            next.fill(0.0);
            for s in 0..n_states {
                for (d, combo) in (0..tunnels.depth[s])
                    .flat_map(|d| (0..tunnels.n_combos).map(move |combo| (d, combo)))
                {
                    let m = mass[tunnels.slot(s, d, combo)];
                    if m == 0.0 {
                        continue;
                    }
                    totals.trace[t * n_states + s] += m;
                    set_time(vars, self.age, t, d + 1, self.dt);
                    tunnels.decode(combo, &mut values);
                    tracker::write(&model.trackers, &values, self.dt, vars);
                    scratch.reset();
                    let env = IndEnv {
                        params: &p.params,
                        vars,
                        tables: &model.tables,
                        var_vals: &p.var_vals,
                        tracks: &values,
                        memo: &scratch.memo,
                        cache: &scratch.cache,
                        valid: &scratch.valid,
                        t,
                        state_time: d + 1,
                        age: self.age,
                        dt: self.dt,
                    };
                    let slot = Slot {
                        s,
                        d,
                        t,
                        m,
                        values: &values,
                    };
                    self.accrue(p, &slot, &env, &mut totals.out);
                    if t < self.n_cycles {
                        self.flow(p, &slot, &env, &mut probs, &mut next, &mut totals)?;
                    }
                }
            }
            std::mem::swap(&mut mass, &mut next);
        }
        let out = &mut totals.out;
        if let Some(bad) = out.iter().position(|x| !x.is_finite()) {
            return Err(CohortError {
                message: format!(
                    "strategy `{}`: the {} is {}; expected finite payoffs (a cost, utility or QALY loss evaluated to NaN or infinity, e.g. a table lookup with no matching row or out of range, or 0/0)",
                    p.name,
                    layout.describe(model, bad),
                    out[bad]
                ),
                at: None,
            });
        }
        layout.complete(model, out);
        Ok(StrategySim {
            outcomes: out.iter().map(|x| Estimate { mean: *x, se: 0.0 }).collect(),
            trace: totals.trace,
            transitions: totals.transitions,
        })
    }

    /// State payoffs of the mass in one slot at boundary `t`.
    fn accrue(&self, p: &PrepStrategy, slot: &Slot, env: &IndEnv, out: &mut [f64]) {
        let (layout, w, t, m, dt) = (self.layout, &self.weights, slot.t, slot.m, self.dt);
        // As in the microsimulation, a boundary without weight is not evaluated.
        if w.plain[t] == 0.0 {
            return;
        }
        let ps = &p.states[slot.s];
        for (c, v) in &ps.costs {
            let x = v.get(env) * m;
            out[layout.cost(*c, true)] += x * w.cost[t];
            out[layout.cost(*c, false)] += x * w.plain[t];
        }
        let u = ps.utility.get(env) * m;
        out[layout.qalys(true)] += u * dt * w.effect[t];
        out[layout.qalys(false)] += u * dt * w.plain[t];
        if ps.alive {
            out[layout.life_years(true)] += m * dt * w.effect[t];
            out[layout.life_years(false)] += m * dt * w.plain[t];
        }
    }

    /// Move the mass in one slot along its row to the next boundary, with the transitions'
    /// one-off payoffs.
    fn flow(
        &self,
        p: &PrepStrategy,
        slot: &Slot,
        env: &IndEnv,
        probs: &mut [f64],
        next: &mut [f64],
        totals: &mut Totals,
    ) -> Result<(), CohortError> {
        let (layout, w, n_states) = (self.layout, &self.weights, self.n_states);
        let Slot { s, d, t, m, values } = *slot;
        let trackers = &self.model.trackers;
        if p.states[s].absorbing {
            next[self.tunnels.next(trackers, (s, d), values, s)] += m;
            return Ok(());
        }
        let row = &p.rows[s];
        let n = row.transitions.len();
        if let Err(j) = row_probabilities(row, env, &mut probs[..n]) {
            return Err(engine::row_error(self.model, p, s, j, env, 0, t, Some(m)));
        }
        for (tr, pj) in row.transitions.iter().zip(&probs[..n]) {
            let flow = m * pj;
            if flow == 0.0 {
                continue;
            }
            totals.transitions[s * n_states + tr.to] += flow;
            next[self.tunnels.next(trackers, (s, d), values, tr.to)] += flow;
            for (c, v) in &tr.costs {
                let x = v.get(env) * flow;
                totals.out[layout.cost(*c, true)] += x * w.cycle_cost[t];
                totals.out[layout.cost(*c, false)] += x * w.cycle_plain[t];
            }
            if let Some(q) = &tr.qaly_loss {
                let x = q.get(env) * flow;
                totals.out[layout.qalys(true)] -= x * w.cycle_effect[t];
                totals.out[layout.qalys(false)] -= x * w.cycle_plain[t];
            }
        }
        Ok(())
    }
}

/// The mass `m` in tunnel slot `d` of state `s` at boundary `t`, with tracker `values`.
#[derive(Clone, Copy)]
struct Slot<'a> {
    s: usize,
    d: usize,
    t: usize,
    m: f64,
    values: &'a [u32],
}
