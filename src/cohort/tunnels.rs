//! Tunnel expansion: a state whose programs read the time in state is tracked as one
//! slot per value of `state_time` up to the horizon, so time-in-state dependence is exact.
//! Trackers that some expression reads are expanded the same way, one slot per combination
//! of their values: a tracker gains at most one per cycle, so it is bounded by its
//! `initial` plus the horizon, or by its `max`. A model whose expansion would exceed
//! `MAX_SLOTS` is outside the cohort evaluation's reach and says so.

use crate::engine;
use crate::expr::Program;
use crate::model::{Model, Probability, Tracker};

/// Largest number of slots (states × values of time in state × tracker combinations) the
/// cohort evaluation propagates: two vectors of this many numbers (128 MiB).
pub(super) const MAX_SLOTS: usize = 1 << 23;

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

/// Where each state's tunnel slots sit in the occupancy vector: slot
/// `offset[s] + d · n_combos + combo` holds the mass in state `s` with `state_time` d + 1
/// and tracker values encoded in `combo`.
pub(super) struct Tunnels {
    /// Slots per state: the state_time values 1..=depth are tracked separately.
    pub(super) depth: Vec<usize>,
    /// Index of each state's first slot.
    pub(super) offset: Vec<usize>,
    /// Total number of slots.
    pub(super) n_slots: usize,
    /// The trackers some expression reads: (index in `Model::trackers`, number of values,
    /// stride in `combo`). Trackers nobody reads change nothing and are not expanded.
    pub(super) tracked: Vec<(usize, usize, usize)>,
    /// Combinations of tracked values per state and time in state.
    pub(super) n_combos: usize,
}

impl Tunnels {
    /// The expansion of a model, or why it is too large for the cohort evaluation.
    pub(super) fn of(model: &Model) -> Result<Self, String> {
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
        let read = programs(model).fold(0u64, |acc, p| {
            acc | engine::program_deps(model, &vdeps, p).trackers
        });
        let mut tracked = Vec::new();
        let mut n_combos = 1usize;
        for (k, tr) in model.trackers.iter().enumerate() {
            if read & (1 << k) != 0 {
                let n = tr.n_values(n_cycles);
                tracked.push((k, n, n_combos));
                n_combos = n_combos.saturating_mul(n);
            }
        }
        let n_slots = depth.iter().fold(0usize, |acc, d| {
            acc.saturating_add(d.saturating_mul(n_combos))
        });
        if n_slots > MAX_SLOTS {
            return Err(too_large(model, &depth, &tracked, n_slots));
        }
        let offset: Vec<usize> = depth
            .iter()
            .scan(0, |acc, d| {
                let o = *acc;
                *acc += d * n_combos;
                Some(o)
            })
            .collect();
        Ok(Tunnels {
            depth,
            offset,
            n_slots,
            tracked,
            n_combos,
        })
    }

    /// The slot of state `s`, time-in-state slot `d` and tracker combination `combo`.
    #[inline]
    pub(super) fn slot(&self, s: usize, d: usize, combo: usize) -> usize {
        self.offset[s] + d * self.n_combos + combo
    }

    /// The combination of the trackers' initial values.
    pub(super) fn initial(&self, trackers: &[Tracker]) -> usize {
        self.tracked
            .iter()
            .map(|(k, _, stride)| trackers[*k].initial as usize * stride)
            .sum()
    }

    /// Set the tracked values of `combo` in `values` (the others keep theirs).
    #[inline]
    pub(super) fn decode(&self, combo: usize, values: &mut [u32]) {
        for (k, n, stride) in &self.tracked {
            values[*k] = (combo / stride % n) as u32;
        }
    }

    /// The slot one cycle later for the mass in state `s`, time-in-state slot `d`, with
    /// tracker `values`, that moves to `to` (a stay when `to == s`; the last time-in-state
    /// slot absorbs).
    #[inline]
    pub(super) fn next(
        &self,
        trackers: &[Tracker],
        (s, d): (usize, usize),
        values: &[u32],
        to: usize,
    ) -> usize {
        let d = if to == s {
            (d + 1).min(self.depth[s] - 1)
        } else {
            0
        };
        let combo: usize = self
            .tracked
            .iter()
            .map(|(k, n, stride)| {
                let v = trackers[*k].advance(values[*k], s, to) as usize;
                debug_assert!(v < *n, "a tracker gains at most one per cycle");
                v * stride
            })
            .sum();
        self.slot(to, d, combo)
    }
}

/// Why the expansion is too large, with its factors and what would shrink it.
fn too_large(
    model: &Model,
    depth: &[usize],
    tracked: &[(usize, usize, usize)],
    n_slots: usize,
) -> String {
    let mut factors = vec![format!("{} states", depth.len())];
    let timed = depth.iter().filter(|d| **d > 1).count();
    if timed > 0 {
        factors.push(format!(
            "{timed} of them over {} values of time in state",
            model.settings.n_cycles + 1
        ));
    }
    factors.extend(tracked.iter().map(|(k, n, _)| {
        let t = &model.trackers[*k];
        format!(
            "{n} values of {} `{}`",
            if t.is_clock() { "clock" } else { "counter" },
            t.name
        )
    }));
    format!(
        "the cohort evaluation would track {n_slots} tunnel states ({}) but handles at most {MAX_SLOTS}; give a tracker a `max`, shorten the horizon, or use the microsimulation",
        factors.join(", ")
    )
}
