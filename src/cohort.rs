//! Cohort (expected-value) evaluation of a scenario: the microsimulation's oracle.
//!
//! It propagates state occupancy instead of individuals. States whose transitions or
//! payoffs read `state_time`/`state_years` are expanded into tunnel states up to the
//! horizon, so time-in-state dependence is exact. It applies when every population
//! attribute an expression reads is the same for everyone; the answer is then exactly
//! what the microsimulation converges to as the number of individuals grows.

use crate::engine::{
    self, Estimate, IndEnv, Layout, SimOutput, StrategySim, pair_index, prepare, row_probabilities,
    set_time,
};
use crate::expr::Program;
use crate::model::{Model, Probability, var};

/// Why a cohort evaluation cannot be done or failed: the engine's error type.
pub type CohortError = engine::SimError;

fn programs(model: &Model) -> impl Iterator<Item = &Program> {
    let states = model
        .states
        .iter()
        .flat_map(|s| s.costs.iter().flatten().chain(std::iter::once(&s.utility)));
    let rows = model.strategies.iter().flat_map(|st| {
        st.rows.iter().flatten().flat_map(|t| {
            let p = match &t.probability {
                Probability::Expr(p) => Some(p),
                Probability::Complement => None,
            };
            p.into_iter()
                .chain(t.costs.iter().map(|(_, p)| p))
                .chain(t.qaly_loss.iter())
        })
    });
    states
        .chain(rows)
        .chain(model.variables.iter().map(|v| &v.program))
}

/// Does any program of state `s` (payoffs or outgoing transitions) read the time in state,
/// directly or through individual-level variables?
fn reads_state_time(model: &Model, vdeps: &[engine::Deps], s: usize) -> bool {
    let state = &model.states[s];
    let uses = |p: &Program| engine::program_deps(model, vdeps, p).state_time;
    state.costs.iter().flatten().any(uses)
        || uses(&state.utility)
        || model.strategies.iter().any(|st| {
            st.rows[s].iter().any(|t| {
                matches!(&t.probability, Probability::Expr(p) if uses(p))
                    || t.costs.iter().any(|(_, p)| uses(p))
                    || t.qaly_loss.as_ref().is_some_and(uses)
            })
        })
}

/// The fixed attribute values a cohort evaluation uses, or why it does not apply: every
/// attribute an expression reads must be the same for all individuals.
pub fn applicable(model: &Model) -> Result<Vec<f64>, CohortError> {
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

/// Evaluate every strategy as a cohort on one parameter set.
pub fn evaluate(model: &Model, base: &[f64]) -> Result<SimOutput, CohortError> {
    let mut vars = applicable(model)?;
    let prep = prepare(model, base)?;
    let weights = engine::weights(&model.settings);
    let layout = Layout::of(model);
    let n_states = model.states.len();
    let n_cycles = model.settings.n_cycles;
    let dt = model.settings.cycle_years();
    let age = model
        .population
        .age
        .map(|slot| (slot, vars[var::FIRST_ATTRIBUTE + slot]));
    // Tunnel depth per state: the state_time values 1..=depth are tracked separately.
    let vdeps = engine::variable_deps(model);
    let depth: Vec<usize> = (0..n_states)
        .map(|s| {
            if reads_state_time(model, &vdeps, s) {
                n_cycles + 1
            } else {
                1
            }
        })
        .collect();
    let offset: Vec<usize> = depth
        .iter()
        .scan(0, |acc, d| {
            let o = *acc;
            *acc += d;
            Some(o)
        })
        .collect();
    let n_slots: usize = depth.iter().sum();
    let max_row = model
        .strategies
        .iter()
        .flat_map(|s| s.rows.iter().map(Vec::len))
        .max()
        .unwrap_or(0);
    let mut probs = vec![0.0; max_row.max(1)];
    let scratch = engine::Scratch::new(model);

    let mut strategies = Vec::new();
    let k = layout.len();
    for p in &prep {
        let mut out = vec![0.0; k];
        let mut trace = vec![0.0; (n_cycles + 1) * n_states];
        let mut transitions = vec![0.0; n_states * n_states];
        let mut mass = vec![0.0; n_slots];
        let mut next = vec![0.0; n_slots];
        let mut prev_share = 0.0;
        for (s, cum) in &p.initial {
            mass[offset[*s]] += cum - prev_share;
            prev_share = *cum;
        }
        for (c, x) in &p.start_costs {
            out[layout.cost(*c, true)] += x;
            out[layout.cost(*c, false)] += x;
        }
        for t in 0..=n_cycles {
            next.fill(0.0);
            for s in 0..n_states {
                let ps = &p.states[s];
                for d in 0..depth[s] {
                    let m = mass[offset[s] + d];
                    if m == 0.0 {
                        continue;
                    }
                    trace[t * n_states + s] += m;
                    set_time(&mut vars, age, t, d + 1, dt);
                    scratch.reset();
                    let env = IndEnv {
                        params: &p.params,
                        vars: &vars,
                        tables: &model.tables,
                        variables: &model.variables,
                        cache: &scratch.cache,
                        valid: &scratch.valid,
                        t,
                        state_time: d + 1,
                    };
                    // As in the microsimulation, a boundary without weight is not evaluated.
                    if weights.plain[t] != 0.0 {
                        for (c, v) in &ps.costs {
                            let x = v.get(&env) * m;
                            out[layout.cost(*c, true)] += x * weights.cost[t];
                            out[layout.cost(*c, false)] += x * weights.plain[t];
                        }
                        let u = ps.utility.get(&env) * m;
                        out[layout.qalys(true)] += u * dt * weights.effect[t];
                        out[layout.qalys(false)] += u * dt * weights.plain[t];
                        if ps.alive {
                            out[layout.life_years(true)] += m * dt * weights.effect[t];
                            out[layout.life_years(false)] += m * dt * weights.plain[t];
                        }
                    }
                    if t == n_cycles {
                        continue;
                    }
                    let stay = |d: usize| offset[s] + (d + 1).min(depth[s] - 1);
                    if ps.absorbing {
                        next[stay(d)] += m;
                        continue;
                    }
                    let row = &p.rows[s];
                    let n = row.transitions.len();
                    if let Err(j) = row_probabilities(row, &env, &mut probs[..n]) {
                        return Err(engine::row_error(model, p, s, j, &env, 0, t, Some(m)));
                    }
                    for (tr, pj) in row.transitions.iter().zip(&probs[..n]) {
                        let flow = m * pj;
                        if flow == 0.0 {
                            continue;
                        }
                        transitions[s * n_states + tr.to] += flow;
                        let slot = if tr.to == s { stay(d) } else { offset[tr.to] };
                        next[slot] += flow;
                        for (c, v) in &tr.costs {
                            let x = v.get(&env) * flow;
                            out[layout.cost(*c, true)] += x * weights.cycle_cost[t];
                            out[layout.cost(*c, false)] += x;
                        }
                        if let Some(q) = &tr.qaly_loss {
                            let x = q.get(&env) * flow;
                            out[layout.qalys(true)] -= x * weights.cycle_effect[t];
                            out[layout.qalys(false)] -= x;
                        }
                    }
                }
            }
            std::mem::swap(&mut mass, &mut next);
        }
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
        layout.complete(model, &mut out);
        strategies.push(StrategySim {
            outcomes: out.iter().map(|x| Estimate { mean: *x, se: 0.0 }).collect(),
            trace,
            transitions,
        });
    }
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
    Ok(SimOutput {
        layout,
        n_individuals: 0,
        n_states,
        n_cycles,
        strategies,
        pairs,
        trajectories: Vec::new(),
    })
}
