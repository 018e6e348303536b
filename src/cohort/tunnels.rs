//! Tunnel expansion: a state whose programs read the time in state is tracked as one
//! slot per value of `state_time` up to the horizon, so time-in-state dependence is exact.

use crate::engine;
use crate::expr::Program;
use crate::model::{Model, Probability};

/// Every program of a model: state payoffs, transitions and individual-level variables.
pub(super) fn programs(model: &Model) -> impl Iterator<Item = &Program> {
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
pub(super) fn reads_state_time(model: &Model, vdeps: &[engine::Deps], s: usize) -> bool {
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

/// Where each state's tunnel slots sit in the occupancy vector.
pub(super) struct Tunnels {
    /// Slots per state: the state_time values 1..=depth are tracked separately.
    pub(super) depth: Vec<usize>,
    /// Index of each state's first slot.
    pub(super) offset: Vec<usize>,
    /// Total number of slots.
    pub(super) n_slots: usize,
}

impl Tunnels {
    pub(super) fn of(model: &Model) -> Self {
        let n_cycles = model.settings.n_cycles;
        let vdeps = engine::variable_deps(model);
        let depth: Vec<usize> = (0..model.states.len())
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
        let n_slots = depth.iter().sum();
        Tunnels {
            depth,
            offset,
            n_slots,
        }
    }

    /// The slot one cycle later for an individual who stays in `s` (the last slot absorbs).
    pub(super) fn stay(&self, s: usize, d: usize) -> usize {
        self.offset[s] + (d + 1).min(self.depth[s] - 1)
    }
}
