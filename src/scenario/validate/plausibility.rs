//! Warnings for values that validate but that a careful modeller would want flagged: a
//! utility above full health or below the worst EQ-5D-5L state, a distribution that can
//! draw values outside [0, 1] on a parameter used as a probability, and ages that run past
//! the end (or start before the beginning) of a table looked up by age under
//! `out_of_range: clamp`. They run last, on a model without errors, and never stop a run.

use std::collections::{BTreeMap, HashMap};

use serde_saphyr::Spanned;

use crate::expr::{Program, probability_names};
use crate::model::table::OutOfRange;
use crate::model::{AttributeDist, Model, ParamDef, Probability};
use crate::params;

use super::super::raw::{RawParam, RawState, RawStrategy, RawTable, RawVariable, Scalar, loc};
use super::Validator;

/// The lowest utility of the Dutch EQ-5D-5L value set, that of state 55555: 1 − 0.047
/// (the constant for any problem) − 0.203 (mobility) − 0.168 (self-care) − 0.192 (usual
/// activities) − 0.415 (pain/discomfort) − 0.421 (anxiety/depression). Versteegh MM et al.
/// Dutch tariff for the five-level version of EQ-5D. *Value Health* 2016;19(4):343–352.
pub(super) const WORST_EQ5D_UTILITY: f64 = -0.446;

/// The raw sections the warnings point into.
pub(super) struct Sources<'a> {
    pub(super) states: &'a [Spanned<RawState>],
    pub(super) params: &'a [(String, Spanned<RawParam>)],
    pub(super) strategies: &'a [Spanned<RawStrategy>],
    pub(super) variables: &'a [(String, Spanned<RawVariable>)],
}

impl<'a> Sources<'a> {
    pub(super) fn new(
        states: &'a [Spanned<RawState>],
        params: &'a [(String, Spanned<RawParam>)],
        strategies: &'a [Spanned<RawStrategy>],
        variables: &'a [(String, Spanned<RawVariable>)],
    ) -> Sources<'a> {
        Sources {
            states,
            params,
            strategies,
            variables,
        }
    }
}

/// Each table's name and where its `out_of_range` (or else the table) is defined, taken
/// before the tables are validated.
pub(super) fn table_locs(
    tables: &BTreeMap<String, Spanned<RawTable>>,
) -> Vec<(String, (u64, u64))> {
    tables
        .iter()
        .map(|(n, t)| (n.clone(), t.value.out_of_range.as_ref().map_or(loc(t), loc)))
        .collect()
}

impl Validator {
    /// Every plausibility warning of a model without errors; `tables` from [`table_locs`].
    pub(super) fn plausibility(
        &mut self,
        model: &Model,
        src: &Sources<'_>,
        tables: &[(String, (u64, u64))],
    ) {
        if self.has_errors() {
            return;
        }
        self.utilities(model, src.states);
        self.probability_distributions(model, src);
        for (t, table) in model.tables.iter().enumerate() {
            let at = tables
                .iter()
                .find(|(n, _)| *n == table.name)
                .map_or((0, 0), |(_, at)| *at);
            self.clamped_ages(model, t, at);
        }
    }

    /// A utility above 1 or below the worst EQ-5D-5L state; an expression is checked at the
    /// point values of each strategy when it reads parameters only.
    fn utilities(&mut self, model: &Model, raw_states: &[Spanned<RawState>]) {
        let base = params::point_values(model);
        let values: Vec<Vec<f64>> = model
            .strategies
            .iter()
            .map(|s| params::evaluate(model, s, &base))
            .collect();
        for (i, state) in model.states.iter().enumerate() {
            let Some(raw) = raw_states.get(i).and_then(|s| s.value.utility.as_ref()) else {
                continue;
            };
            if !state.utility.is_param_only() {
                continue;
            }
            let found = model.strategies.iter().zip(&values).find_map(|(s, v)| {
                let u = params::eval(&state.utility, v, &model.tables);
                (!(WORST_EQ5D_UTILITY..=1.0).contains(&u)).then_some((s, u))
            });
            let Some((strategy, u)) = found else { continue };
            let written = match &raw.value {
                Scalar::Num(_) => format!("utility {u}"),
                Scalar::Text(t) => format!(
                    "utility `{t}` is {} at the point values of strategy `{}`:",
                    params::round(u),
                    strategy.name
                ),
            };
            let why = if u > 1.0 {
                "above 1, full health; expected a QALY weight of at most 1".to_string()
            } else {
                format!(
                    "below {WORST_EQ5D_UTILITY}, the worst state (55555) of the Dutch EQ-5D-5L value set (Versteegh et al. 2016); expected a QALY weight of at least that"
                )
            };
            self.warning(
                loc(raw),
                format!("states[{i}].utility"),
                format!("{written} {why}"),
            );
        }
    }

    /// A parameter used as a probability whose distribution can draw outside [0, 1].
    fn probability_distributions(&mut self, model: &Model, src: &Sources<'_>) {
        let uses = probability_uses(model, src);
        for (i, p) in model.params.iter().enumerate() {
            let (Some(place), ParamDef::Value { dist: Some(d), .. }) = (&uses[i], &p.def) else {
                continue;
            };
            let (lo, hi) = d.support();
            if lo >= 0.0 && hi <= 1.0 {
                continue;
            }
            let outside = d.cdf(0.0) + (1.0 - d.cdf(1.0));
            let share = if outside >= 1e-3 {
                format!("{outside:.3}")
            } else if outside >= 1e-16 {
                format!("{outside:.1e}")
            } else {
                "below 1e-16".to_string()
            };
            let raw = src.params.iter().find(|(n, _)| *n == p.name);
            let at = raw
                .and_then(|(_, r)| r.value.dist.as_ref().map(loc))
                .or_else(|| raw.map(|(_, r)| loc(r)))
                .unwrap_or((0, 0));
            self.warning(
                at,
                format!("parameters.{}.dist", p.name),
                format!(
                    "`{}` is used as a probability ({place}), but its {} distribution can draw values outside [0, 1] (support from {lo} to {hi}; probability {share} per draw), which stop the probabilistic analysis or give meaningless probabilities; expected a distribution on [0, 1] such as beta",
                    p.name,
                    d.name()
                ),
            );
        }
    }

    /// Ages past the last key (or before the first) of a table with `out_of_range: clamp`
    /// that an expression reading `age` looks up: a static bound from the population's
    /// oldest (youngest) age and the horizon, given before the run.
    fn clamped_ages(&mut self, model: &Model, t: usize, at: (u64, u64)) {
        let table = &model.tables[t];
        let (Some((first, last)), Some((young, old))) =
            (table.common_key_range(), age_range(model))
        else {
            return;
        };
        if table.out_of_range != OutOfRange::Clamp || !looked_up_by_age(model, t) {
            return;
        }
        let dt = model.settings.cycle_years();
        let n_cycles = model.settings.n_cycles;
        let n = model.settings.n_individuals;
        // The age at the start of cycle t + 1, as the engine computes it (`set_time`).
        let age = |a0: f64, t: usize| a0 + t as f64 * dt;
        let past = (0..n_cycles).filter(|&t| age(old, t) > last).count();
        let before = (0..n_cycles).filter(|&t| age(young, t) < first).count();
        let bound = |k: usize, who: &str| {
            format!(
                "at most {} individual-cycles are affected ({n} individuals of settings.individuals × {k} of the {n_cycles} cycles; a bound computed before the run, as if every individual started at the {who} age and survived the whole horizon, so the simulation has fewer)",
                n as u128 * k as u128
            )
        };
        let path = format!("tables.{}", table.name);
        if past > 0 {
            let who = if old.is_finite() {
                let reach = params::round(age(old, n_cycles - 1));
                format!("individuals as old as {old} at the start are {reach} in the last cycle")
            } else {
                "the age attribute has no upper bound (`max`), so individuals can be of any age"
                    .to_string()
            };
            let message = format!(
                "ages run past the table's last age {last}: {who}, and `out_of_range: clamp` gives them the row for {last}; {}; extend the table, or shorten the horizon",
                bound(past, "oldest")
            );
            self.warning(at, &path, message);
        }
        if before > 0 {
            let message = format!(
                "ages start before the table's first age {first}: {} get the row for {first} (`out_of_range: clamp`); {}; extend the table",
                if young.is_finite() {
                    format!("individuals as young as {young}")
                } else {
                    "with no lower bound on the age attribute (`min`), individuals".to_string()
                },
                bound(before, "youngest")
            );
            self.warning(at, &path, message);
        }
    }
}

/// For each parameter, the first place that uses it as a probability: a transition's
/// probability, the first argument of a probability function in any expression, or the
/// expression of a derived parameter (or strategy override) that is itself so used.
fn probability_uses(model: &Model, src: &Sources<'_>) -> Vec<Option<String>> {
    let index: HashMap<&str, usize> = model
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let mut uses: Vec<Option<String>> = vec![None; model.params.len()];
    let mark = |uses: &mut Vec<Option<String>>, names: Vec<String>, place: &str| {
        let mut changed = false;
        for n in names {
            if let Some(&i) = index.get(n.as_str())
                && uses[i].is_none()
            {
                uses[i] = Some(place.to_string());
                changed = true;
            }
        }
        changed
    };
    // Every expression defining a parameter: the base `expr` and the strategies' overrides.
    let mut definitions: Vec<(usize, String, String)> = Vec::new();
    for p in &model.params {
        if let Some(e) = &p.expr {
            definitions.push((
                index[p.name.as_str()],
                e.clone(),
                format!("parameters.{}", p.name),
            ));
        }
    }
    for (si, s) in src.strategies.iter().enumerate() {
        for (name, v) in &s.value.parameters {
            if let (Some(&i), Scalar::Text(t)) = (index.get(name.as_str()), &v.value) {
                definitions.push((i, t.clone(), format!("strategies[{si}].parameters.{name}")));
            }
        }
    }
    for s in &model.strategies {
        for tr in s.rows.iter().flatten() {
            if matches!(tr.probability, Probability::Expr(_)) {
                let place = format!("{}.probability", tr.origin);
                mark(&mut uses, probability_names(&tr.text, true), &place);
            }
        }
    }
    for (_, text, place) in &definitions {
        mark(&mut uses, probability_names(text, false), place);
    }
    for (name, v) in src.variables {
        let place = format!("variables.{name}");
        mark(
            &mut uses,
            probability_names(&v.value.expr.value, false),
            &place,
        );
    }
    // A derived parameter used as a probability passes the use on; each round marks at
    // least one more parameter, so this ends.
    loop {
        let mut changed = false;
        for (i, text, place) in &definitions {
            if let Some(used) = uses[*i].clone() {
                let via = format!("{used}, through {place}");
                changed |= mark(&mut uses, probability_names(text, true), &via);
            }
        }
        if !changed {
            return uses;
        }
    }
}

/// The youngest and oldest age at the start: the age attribute's range, or the ages of an
/// empirical population table; `None` without an age attribute.
fn age_range(model: &Model) -> Option<(f64, f64)> {
    let pop = &model.population;
    let slot = pop.age?;
    if let Some(e) = &pop.empirical
        && let Some(j) = e.columns.iter().position(|c| *c == slot)
    {
        let ages = e.rows.iter().skip(j).step_by(e.columns.len());
        let fold = ages.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), a| {
            (lo.min(*a), hi.max(*a))
        });
        return Some(fold);
    }
    match &pop.attributes[slot].dist {
        AttributeDist::Continuous { dist, min, max } => {
            let (lo, hi) = dist.support();
            Some((lo.max(*min), hi.min(*max)))
        }
        AttributeDist::Categorical { .. } => None,
    }
}

/// Whether some expression that reads `age` (directly or through variables) looks up table `t`.
fn looked_up_by_age(model: &Model, t: usize) -> bool {
    let Some(slot) = model.population.age else {
        return false;
    };
    let age = crate::model::var::FIRST_ATTRIBUTE + slot;
    let first = model.first_variable();
    // Variables form a DAG (validation), so a pass per variable settles which read age.
    let mut reads = vec![false; model.variables.len()];
    for _ in 0..model.variables.len() {
        for (j, v) in model.variables.iter().enumerate() {
            reads[j] = v
                .program
                .vars()
                .any(|x| x == age || x.checked_sub(first).is_some_and(|k| reads[k]));
        }
    }
    let by_age = |p: &Program| {
        p.tables().any(|x| x == t)
            && p.vars()
                .any(|x| x == age || x.checked_sub(first).is_some_and(|k| reads[k]))
    };
    let states = model
        .states
        .iter()
        .flat_map(|s| s.costs.iter().flatten().chain([&s.utility]));
    let transitions = model
        .strategies
        .iter()
        .flat_map(|s| s.rows.iter().flatten());
    let in_transitions = transitions.flat_map(|tr| {
        let p = match &tr.probability {
            Probability::Expr(p) => Some(p),
            Probability::Complement => None,
        };
        p.into_iter()
            .chain(tr.costs.iter().map(|(_, c)| c))
            .chain(tr.qaly_loss.iter())
    });
    let variables = model.variables.iter().map(|v| &v.program);
    states.chain(in_transitions).chain(variables).any(by_age)
}
