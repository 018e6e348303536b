//! The `states` section: each state's costs per cycle and utility, whether it is absorbing
//! and whether its occupants are alive; and the reachability rules (a state reachable from
//! a strategy's starting states needs a utility, costs and, unless absorbing, a way out).

use std::collections::HashMap;

use serde_saphyr::Spanned;

use crate::expr::Program;
use crate::model::{State, Strategy};

use super::super::raw::{RawState, loc};
use super::Validator;
use super::names::Names;

/// The state ids in file order, and an index from id to position (the first, when an id
/// is repeated).
pub(super) struct StateNames {
    pub(super) names: Vec<String>,
    pub(super) index: HashMap<String, usize>,
}

impl StateNames {
    pub(super) fn new(raw_states: &[Spanned<RawState>]) -> StateNames {
        let names: Vec<String> = raw_states
            .iter()
            .map(|s| s.value.id.value.clone())
            .collect();
        let index: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .rev()
            .collect();
        StateNames { names, index }
    }
}

impl Validator {
    /// The states, and for each whether it gave a `utility` and `costs` (needed when it
    /// is reachable).
    pub(super) fn states(
        &mut self,
        raw_states: &[Spanned<RawState>],
        categories: &[String],
        names: &Names<'_>,
    ) -> (Vec<State>, Vec<(bool, bool)>) {
        let mut states = Vec::new();
        let mut state_has_payoff = Vec::new();
        for (i, s) in raw_states.iter().enumerate() {
            let path = format!("states[{i}]");
            let rs = &s.value;
            let mut costs = vec![None; categories.len()];
            if let Some(cmap) = &rs.costs {
                for (cat, c) in cmap {
                    let cpath = format!("{path}.costs.{cat}");
                    match categories.iter().position(|k| k == cat) {
                        Some(k) => costs[k] = self.compile(loc(c), &cpath, &c.value, names),
                        None => self.unknown(loc(c), &cpath, "cost category", cat, categories),
                    }
                }
            }
            let utility = rs
                .utility
                .as_ref()
                .and_then(|u| self.compile(loc(u), &format!("{path}.utility"), &u.value, names))
                .unwrap_or_else(|| Program::constant(0.0));
            state_has_payoff.push((rs.utility.is_some(), rs.costs.is_some()));
            states.push(State {
                name: rs.id.value.clone(),
                label: match &rs.label {
                    Some(l) => self.label(l, &format!("{path}.label")),
                    None => rs.id.value.clone(),
                },
                costs,
                utility,
                absorbing: rs.absorbing,
                alive: rs.alive.unwrap_or(true),
            });
        }
        (states, state_has_payoff)
    }

    /// Every state reachable from a starting state needs a cost and a utility, and a way
    /// out unless it is absorbing; an unreachable state is a warning.
    pub(super) fn reachability(
        &mut self,
        raw_states: &[Spanned<RawState>],
        state_has_payoff: &[(bool, bool)],
        states: &[State],
        strategies: &[(Strategy, (u64, u64))],
    ) {
        let reachable = reachable(states.len(), strategies);
        for (i, s) in raw_states.iter().enumerate() {
            let (has_utility, has_costs) = state_has_payoff[i];
            let path = format!("states[{i}]");
            let sname = &s.value.id.value;
            if reachable[i] {
                if !has_utility {
                    self.error(loc(s), &path, format!("state `{sname}` is reachable but has no `utility`; expected a number, a parameter or an expression (use 0 for death)"));
                }
                if !has_costs {
                    self.error(loc(s), &path, format!("state `{sname}` is reachable but has no `costs`; expected a mapping of cost category to cost per cycle (use `costs: {{}}` for none)"));
                }
                if !states[i].absorbing && strategies.iter().any(|(st, _)| st.rows[i].is_empty()) {
                    self.error(loc(s), &path, format!("state `{sname}` is not absorbing but has no transitions out of it; add transitions (use `complement` for staying) or set `absorbing: true`"));
                }
            } else if !strategies.is_empty() {
                self.warning(
                    loc(s),
                    &path,
                    format!(
                        "state `{sname}` cannot be reached from any strategy's starting states"
                    ),
                );
            }
        }
    }
}

/// Which of `n` states some strategy can reach from its starting states.
fn reachable(n: usize, strategies: &[(Strategy, (u64, u64))]) -> Vec<bool> {
    let mut reachable = vec![false; n];
    for (strategy, _) in strategies {
        // Each strategy has its own rows, so each gets its own search.
        let mut seen = vec![false; n];
        let mut stack: Vec<usize> = strategy.initial.iter().map(|(s, _)| s.0).collect();
        while let Some(s) = stack.pop() {
            if std::mem::replace(&mut seen[s], true) {
                continue;
            }
            stack.extend(strategy.rows[s].iter().map(|t| t.to.0));
        }
        for (r, s) in reachable.iter_mut().zip(seen) {
            *r |= s;
        }
    }
    reachable
}
