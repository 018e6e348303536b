//! The `strategies` section: each strategy's starting states, parameter overrides, start
//! costs and transition overrides on top of the base transitions; the row rules that hold
//! whatever the parameter values; and the checks at the point values (finite parameters,
//! probabilities in [0, 1], rows that sum to one).

use std::collections::HashSet;

use serde_saphyr::Spanned;

use crate::model::{Model, Param, ParamDef, Probability, State, StateId, Strategy, Transition};
use crate::params;

use super::super::raw::{RawInitial, RawStrategy, Scalar, in_file_order, loc};
use super::Validator;
use super::names::Names;
use super::states::StateNames;

/// What a strategy may refer to: the parameters (and names for expressions without and
/// with individual variables), the states, the cost categories and the base transitions.
pub(super) struct Scope<'a> {
    pub(super) params: &'a [Param],
    pub(super) param_names: &'a Names<'a>,
    pub(super) var_names: &'a Names<'a>,
    pub(super) states: &'a StateNames,
    pub(super) categories: &'a [String],
    pub(super) base_rows: &'a [Vec<Transition>],
}

impl Validator {
    /// The strategies, each with where it is defined.
    pub(super) fn strategies(
        &mut self,
        raw_strategies: &[Spanned<RawStrategy>],
        scope: &Scope<'_>,
    ) -> Vec<(Strategy, (u64, u64))> {
        raw_strategies
            .iter()
            .enumerate()
            .map(|(si, s)| (self.strategy(si, s, scope), loc(s)))
            .collect()
    }

    fn strategy(&mut self, si: usize, s: &Spanned<RawStrategy>, scope: &Scope<'_>) -> Strategy {
        let path = format!("strategies[{si}]");
        let rs = &s.value;
        let initial = self.initial(&rs.initial, &format!("{path}.initial"), scope.states);
        let (defs, overridden) = self.param_overrides(rs, &path, scope);
        let start_costs = self.cost_list(
            &rs.start_costs,
            &format!("{path}.start_costs"),
            scope.categories,
            scope.param_names,
        );
        let mut rows = scope.base_rows.to_vec();
        let overrides = self.transitions(
            &rs.transitions,
            &format!("{path}.transitions"),
            scope.states,
            scope.categories,
            scope.var_names,
        );
        for (from, row) in overrides.into_iter().enumerate() {
            for t in row {
                match rows[from].iter_mut().find(|b| b.to == t.to) {
                    Some(b) => *b = t,
                    None => rows[from].push(t),
                }
            }
        }
        let param_order = self.param_order(&defs, scope.params, &path, loc(s));
        Strategy {
            name: rs.id.value.clone(),
            label: match &rs.label {
                Some(l) => self.label(l, &format!("{path}.label")),
                None => rs.id.value.clone(),
            },
            initial,
            params: defs,
            overridden,
            param_order,
            start_costs,
            rows,
        }
    }

    /// The strategy's parameter definitions (the base ones with its overrides) and which
    /// of them it overrides.
    fn param_overrides(
        &mut self,
        rs: &RawStrategy,
        path: &str,
        scope: &Scope<'_>,
    ) -> (Vec<ParamDef>, Vec<bool>) {
        let params = scope.params;
        let mut defs: Vec<ParamDef> = params.iter().map(|p| p.def.clone()).collect();
        let mut overridden = vec![false; params.len()];
        let known_params: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
        for (pname, o) in in_file_order(rs.parameters.clone()) {
            let ppath = format!("{path}.parameters.{pname}");
            let Some(&id) = scope.param_names.params.get(&pname) else {
                self.unknown(loc(&o), &ppath, "parameter", &pname, &known_params);
                continue;
            };
            overridden[id] = true;
            defs[id] = match &o.value {
                Scalar::Num(x) if x.is_finite() => ParamDef::Value {
                    value: *x,
                    dist: None,
                },
                other => match self.compile(loc(&o), &ppath, other, scope.param_names) {
                    Some(p) => ParamDef::Derived(p),
                    None => continue,
                },
            };
        }
        (defs, overridden)
    }

    /// The starting states and their shares, which must sum to one.
    fn initial(
        &mut self,
        raw: &Spanned<RawInitial>,
        path: &str,
        states: &StateNames,
    ) -> Vec<(StateId, f64)> {
        let shares = match &raw.value {
            RawInitial::One(s) => vec![(s.clone(), 1.0)],
            RawInitial::Shares(v) => v.clone(),
        };
        let mut out = Vec::new();
        for (s, p) in shares {
            match states.index.get(&s) {
                Some(i) if p.is_finite() && (0.0..=1.0).contains(&p) => out.push((StateId(*i), p)),
                Some(_) => self.error(
                    loc(raw),
                    format!("{path}.{s}"),
                    format!("expected a share in [0, 1], found {p}"),
                ),
                None => self.unknown(loc(raw), path, "state", &s, &states.names),
            }
        }
        let total: f64 = out.iter().map(|x| x.1).sum();
        if !out.is_empty() && (total - 1.0).abs() > 1e-9 {
            self.error(
                loc(raw),
                path,
                format!("the starting shares sum to {total}; expected 1"),
            );
        }
        out
    }

    /// Row rules that hold whatever the parameter values: at most one `complement` per
    /// row, and no transitions out of an absorbing state.
    pub(super) fn row_rules(&mut self, strategies: &[(Strategy, (u64, u64))], states: &[State]) {
        for (si, (strategy, at)) in strategies.iter().enumerate() {
            for (from, row) in strategy.rows.iter().enumerate() {
                let complements = row
                    .iter()
                    .filter(|t| matches!(t.probability, Probability::Complement))
                    .count();
                let sname = &strategy.name;
                let fname = &states[from].name;
                if complements > 1 {
                    let origins: Vec<&str> = row
                        .iter()
                        .filter(|t| matches!(t.probability, Probability::Complement))
                        .map(|t| t.origin.as_str())
                        .collect();
                    self.error(
                        *at,
                        format!("strategies[{si}]"),
                        format!(
                            "strategy `{sname}`: the row from `{fname}` has {complements} `complement` probabilities ({}); expected at most one per row",
                            origins.join(", ")
                        ),
                    );
                }
                if states[from].absorbing && !row.is_empty() {
                    self.error(
                        *at,
                        format!("strategies[{si}]"),
                        format!(
                            "strategy `{sname}`: state `{fname}` is absorbing but has transitions out of it ({}); remove them or set `absorbing: false`",
                            row[0].origin
                        ),
                    );
                }
            }
        }
    }

    /// Numbers at the point values: parameters finite, probabilities in [0, 1], rows that
    /// sum to one. `strategy_locs` is where each strategy is defined.
    pub(super) fn point_values(&mut self, model: &Model, strategy_locs: &[(u64, u64)]) {
        let base = params::point_values(model);
        let mut reported = HashSet::new();
        for (si, strategy) in model.strategies.iter().enumerate() {
            let values = params::evaluate(model, strategy, &base);
            for (pi, v) in values.iter().enumerate() {
                if !v.is_finite() {
                    let p = &model.params[pi];
                    self.error(
                        strategy_locs[si],
                        format!("strategies[{si}]"),
                        format!(
                            "strategy `{}`: parameter `{}` evaluates to {v}; expected a finite number",
                            strategy.name, p.name
                        ),
                    );
                }
            }
            for problem in params::check_rows(model, strategy, &values) {
                // A row shared by strategies that do not override it is reported once.
                // It is reported where the transition is written (the base or the overlay).
                if reported.insert((problem.at.clone(), problem.message.clone())) {
                    let message = format!("strategy `{}`: {}", strategy.name, problem.message);
                    self.error_at(&problem.at, format!("strategies[{si}]"), message);
                }
            }
        }
    }
}
