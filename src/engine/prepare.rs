//! Preparation: everything that is constant for one parameter set, evaluated once before
//! any individual runs (fixed values, expressions tabulated over time, flat fixed rows),
//! and the per-individual environment the kernels evaluate the rest in.

use crate::expr::{Env, Program};
use crate::model::table::Table;
use crate::model::{Model, Probability, SourceAt, State, Strategy, Transition, var};
use crate::params::{self, ROW_TOLERANCE};

use super::layout::Layout;
use super::memo::{MAX_MEMOS, Memo, MemoPlan};
use super::results::SimError;
use super::stays::{Competing, FastRow, competing_row, fast_row, steady_row};
use super::val::TabulateCx;
pub(crate) use super::val::Val;
use super::weights::Weights;

// ---------------------------------------------------------------------------
// Preparation: everything that is constant for one parameter set
// ---------------------------------------------------------------------------

/// Which time variables a program reads, directly or through individual-level variables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Deps {
    pub model_time: bool,
    pub state_time: bool,
    /// Population attributes (which differ between individuals).
    pub attributes: bool,
    /// Trackers read, one bit per tracker (they depend on each individual's history).
    pub trackers: u64,
}

/// What a program reads: built-in times directly, and individual-level variables through
/// `sub` (which gives a variable's own dependencies).
pub(super) fn fold_deps(model: &Model, p: &Program, sub: &mut dyn FnMut(usize) -> Deps) -> Deps {
    let first = model.first_variable();
    let first_tracker = model.first_tracker_slot();
    let mut d = Deps::default();
    for v in p.vars() {
        match v {
            var::MODEL_TIME | var::MODEL_YEARS => d.model_time = true,
            var::STATE_TIME | var::STATE_YEARS => d.state_time = true,
            v if v >= first => {
                let s = sub(v - first);
                d.model_time |= s.model_time;
                d.state_time |= s.state_time;
                d.attributes |= s.attributes;
                d.trackers |= s.trackers;
            }
            v if v >= first_tracker => {
                if let Some(k) = model
                    .trackers
                    .iter()
                    .position(|t| (t.slot..t.slot + t.n_slots()).contains(&v))
                {
                    d.trackers |= 1 << k;
                }
            }
            v if Some(v - var::FIRST_ATTRIBUTE) == model.population.age => {
                // Age grows with model time as well as differing between individuals.
                d.attributes = true;
                d.model_time = true;
            }
            _ => d.attributes = true,
        }
    }
    d
}

/// Dependencies of every individual-level variable, closed over the variables it reads.
pub(crate) fn variable_deps(model: &Model) -> Vec<Deps> {
    // Validation guarantees the variables form a DAG, so this recursion ends.
    fn resolve(model: &Model, j: usize, memo: &mut Vec<Option<Deps>>) -> Deps {
        if let Some(d) = memo[j] {
            return d;
        }
        let d = fold_deps(model, &model.variables[j].program, &mut |k| {
            resolve(model, k, memo)
        });
        memo[j] = Some(d);
        d
    }
    let mut memo = vec![None; model.variables.len()];
    (0..model.variables.len())
        .map(|j| resolve(model, j, &mut memo))
        .collect()
}

/// Dependencies of one program, through the variables it reads.
pub(crate) fn program_deps(model: &Model, variable_deps: &[Deps], p: &Program) -> Deps {
    fold_deps(model, p, &mut |k| variable_deps[k])
}

/// Per-worker buffers for evaluating individual-level expressions.
pub(crate) struct Scratch {
    pub vars: std::cell::RefCell<Vec<f64>>,
    pub cache: Vec<std::cell::Cell<f64>>,
    pub valid: std::cell::Cell<u64>,
    /// Memoised variables, kept from cycle to cycle (`Memo::clear` forgets them).
    pub memo: Memo,
}

impl Scratch {
    pub(crate) fn new(model: &Model) -> Self {
        Scratch {
            vars: std::cell::RefCell::new(vec![0.0; model.n_vars()]),
            cache: vec![std::cell::Cell::new(0.0); model.variables.len()],
            valid: std::cell::Cell::new(0),
            memo: Memo::new(),
        }
    }

    /// Forget the cached individual-level variables (a new cycle or individual).
    #[inline]
    pub(crate) fn reset(&self) {
        self.valid.set(0);
    }
}

pub(crate) struct PrepTransition<'m> {
    pub to: usize,
    /// `None` for the complement.
    pub probability: Option<Val<'m>>,
    pub costs: Vec<(usize, Val<'m>)>,
    pub qaly_loss: Option<Val<'m>>,
    pub origin: &'m str,
    pub at: &'m SourceAt,
}

pub(crate) struct PrepRow<'m> {
    pub transitions: Vec<PrepTransition<'m>>,
    /// Probabilities (complement filled in) when none depends on the individual.
    pub fixed: Option<Vec<f64>>,
    /// Running sums of `fixed` without its last entry, summed in row order as the scan does.
    pub fixed_cum: Vec<f64>,
    /// When the row is not fixed but stays the same for an individual over stretches of a
    /// stay: the memoised values it reads (`Memo` ids), while whose held values it holds,
    /// and each probability's own stretches (`Val::steady_until`). Such a row is evaluated,
    /// and the end of the stay drawn, only where it can have changed (`steady_row`).
    pub steady: Option<Box<[usize]>>,
    /// When the row is competing risks that change along a stay (`competing_row`): how the
    /// end of a stay is drawn at once.
    pub competing: Option<Competing>,
}

pub(crate) struct PrepState<'m> {
    pub costs: Vec<(usize, Val<'m>)>,
    pub utility: Val<'m>,
    pub alive: bool,
    pub absorbing: bool,
    /// When every payoff of the state is fixed for the parameter set from boundary
    /// `fixed_from` on: per-cycle costs by category and utility there. Such payoffs are
    /// accrued as sums of weights per state (of the boundaries from `fixed_from` on) and
    /// multiplied out once per individual; before `fixed_from` they are accrued cycle by
    /// cycle.
    pub fixed: Option<(Vec<(usize, f64)>, f64)>,
    /// The boundary from which `fixed` holds: 0 for a state whose payoffs are fixed
    /// throughout, `usize::MAX` when `fixed` is `None`.
    pub fixed_from: usize,
    /// Payoffs that depend on model time alone before `fixed_from`, accrued per stay.
    pub timed: Option<Timed>,
    /// The boundary from which the payoffs are not evaluated cycle by cycle (`timed` or
    /// `fixed` accrue them per stay).
    pub evaluated_until: usize,
    /// Whether anything evaluated in this state reads the per-individual variable array
    /// (time or attributes); when not, the cycle skips filling it.
    pub needs_vars: bool,
}

/// A state's payoffs over the boundaries `from..until` where each is a function of model
/// time alone (a constant, a table over model time, a value known for everyone from a
/// boundary), as running sums of their weighted values: a stay adds the difference of two
/// rows instead of evaluating its payoffs every cycle.
pub(crate) struct Timed {
    pub from: usize,
    /// One past the last boundary covered: the state's `fixed_from`, or T + 1.
    pub until: usize,
    /// The outcome (`Layout` index) each column adds to.
    pub slots: Box<[usize]>,
    /// Row r, column j: the weighted payoffs of column j over boundaries `from..from + r`.
    pub prefix: Box<[f64]>,
}

impl Timed {
    /// The payoffs of state `st` from the boundary where all depend on model time alone
    /// to the one where they are fixed, when that range is not empty.
    fn of(st: &PrepState, w: &Weights, l: Layout, dt: f64) -> Option<Timed> {
        let until = st.fixed_from.min(w.plain.len());
        let from = st
            .costs
            .iter()
            .map(|(_, v)| v)
            .chain([&st.utility])
            .map(Val::time_only_from)
            .try_fold(0, |a, f| f.map(|f| a.max(f)))?;
        if from >= until {
            return None;
        }
        // Each column: its outcome, its value at boundary t and its weight there, multiplied
        // as the per-cycle accrual multiplies them.
        type Column<'a> = (usize, Box<dyn Fn(usize) -> f64 + 'a>);
        let mut columns: Vec<Column> = Vec::new();
        for (c, v) in &st.costs {
            columns.push((l.cost(*c, true), Box::new(|t| v.at_time(t) * w.cost[t])));
            columns.push((l.cost(*c, false), Box::new(|t| v.at_time(t) * w.plain[t])));
        }
        let u = &st.utility;
        columns.push((l.qalys(true), Box::new(|t| u.at_time(t) * dt * w.effect[t])));
        columns.push((l.qalys(false), Box::new(|t| u.at_time(t) * dt * w.plain[t])));
        if st.alive {
            columns.push((l.life_years(true), Box::new(|t| dt * w.effect[t])));
            columns.push((l.life_years(false), Box::new(|t| dt * w.plain[t])));
        }
        let n = columns.len();
        let mut prefix = vec![0.0; (until - from + 1) * n];
        for t in from..until {
            let r = t - from;
            for (j, (_, f)) in columns.iter().enumerate() {
                // A boundary without weight is not evaluated, as in the per-cycle accrual.
                let x = if w.plain[t] == 0.0 { 0.0 } else { f(t) };
                prefix[(r + 1) * n + j] = prefix[r * n + j] + x;
            }
        }
        Some(Timed {
            from,
            until,
            slots: columns.iter().map(|(s, _)| *s).collect(),
            prefix: prefix.into(),
        })
    }

    /// Add the payoffs of boundaries `a..b` spent in the state (those within the range).
    #[inline]
    pub(super) fn accrue(&self, a: usize, b: usize, out: &mut [f64]) {
        let (a, b) = (
            a.clamp(self.from, self.until),
            b.clamp(self.from, self.until),
        );
        if a < b {
            let n = self.slots.len();
            let lo = &self.prefix[(a - self.from) * n..][..n];
            let hi = &self.prefix[(b - self.from) * n..][..n];
            for ((s, x), y) in self.slots.iter().zip(lo).zip(hi) {
                out[*s] += y - x;
            }
        }
    }
}

impl<'m> PrepState<'m> {
    /// The state's payoffs: its costs, then its utility.
    fn vals_mut(&mut self) -> impl Iterator<Item = &mut Val<'m>> {
        self.costs
            .iter_mut()
            .map(|(_, v)| v)
            .chain(std::iter::once(&mut self.utility))
    }
}

impl<'m> PrepRow<'m> {
    /// Everything the row evaluates: each transition's probability, costs and QALY loss.
    fn vals_mut(&mut self) -> impl Iterator<Item = &mut Val<'m>> {
        self.transitions.iter_mut().flat_map(|t| {
            t.probability
                .iter_mut()
                .chain(t.costs.iter_mut().map(|(_, v)| v))
                .chain(t.qaly_loss.iter_mut())
        })
    }
}

pub(crate) struct PrepStrategy<'m> {
    pub params: Vec<f64>,
    pub states: Vec<PrepState<'m>>,
    pub rows: Vec<PrepRow<'m>>,
    /// Per state, the flat form of a fixed row with at most `FAST` transitions.
    pub fast: Vec<Option<FastRow>>,
    pub start_costs: Vec<(usize, f64)>,
    /// Every individual-level variable (`Model::variables`), tabulated where it can be.
    pub var_vals: Vec<Val<'m>>,
    /// Cumulative starting shares with their states.
    pub initial: Vec<(usize, f64)>,
    pub name: &'m str,
}

/// Evaluate everything fixed for one parameter set; checks fixed rows.
pub(crate) fn prepare<'m>(
    model: &'m Model,
    base: &[f64],
    weights: &Weights,
) -> Result<Vec<PrepStrategy<'m>>, SimError> {
    let vdeps = variable_deps(model);
    model
        .strategies
        .iter()
        .map(|strategy| prepare_strategy(model, strategy, base, &vdeps, weights))
        .collect()
}

/// One strategy's preparation: its parameter values, states, rows and fast rows.
fn prepare_strategy<'m>(
    model: &'m Model,
    strategy: &'m Strategy,
    base: &[f64],
    vdeps: &[Deps],
    weights: &Weights,
) -> Result<PrepStrategy<'m>, SimError> {
    let values = params::evaluate(model, strategy, base);
    super::finite::check_params(model, strategy, base, &values)?;
    let mut cx = TabulateCx::new(model, &values, vdeps);
    cx.prepare_variables();
    let problems = params::check_rows(model, strategy, &values);
    if let Some(p) = problems.first() {
        return Err(SimError {
            message: format!("strategy `{}`: {}", strategy.name, p.message),
            at: Some(p.at.clone()),
        });
    }
    let mut states: Vec<PrepState> = model.states.iter().map(|s| prepare_state(s, &cx)).collect();
    let mut rows: Vec<PrepRow> = strategy
        .rows
        .iter()
        .map(|row| prepare_row(row, &cx))
        .collect();
    let layout = Layout::of(model);
    // Payoffs and probabilities that read a life table inline are memoised as variables are.
    let mut next_id = model.variables.len();
    for (s, (st, row)) in states.iter_mut().zip(&mut rows).enumerate() {
        // Whether anything in the state or its row is evaluated per individual-cycle.
        let mut reads_vars = false;
        for v in st.vals_mut().chain(row.vals_mut()) {
            memoise_inline(model, &cx.vals, v, &mut next_id);
            reads_vars |= v.reads_vars();
        }
        st.needs_vars = reads_vars;
        st.timed = Timed::of(st, weights, layout, model.settings.cycle_years());
        if let Some(tm) = &st.timed {
            st.evaluated_until = tm.from;
        }
        row.steady = steady_row(model, row, &cx.vals);
        if row.steady.is_none() {
            row.competing = competing_row(model, s, row, &cx.vals, &values);
        }
    }
    let start_costs = strategy
        .start_costs
        .iter()
        .map(|(k, p)| (*k, params::eval(p, &values, &model.tables)))
        .collect();
    let mut cum = 0.0;
    let initial = strategy
        .initial
        .iter()
        .map(|(s, p)| {
            cum += p;
            (s.0, cum)
        })
        .collect();
    let fast = rows
        .iter()
        .enumerate()
        .map(|(s, row)| fast_row(s, row))
        .collect();
    let var_vals = std::mem::take(&mut cx.vals);
    drop(cx);
    Ok(PrepStrategy {
        var_vals,
        params: values,
        states,
        rows,
        fast,
        start_costs,
        initial,
        name: &strategy.name,
    })
}

/// A state's payoffs, with their fixed values where nothing varies per individual.
fn prepare_state<'m>(s: &'m State, cx: &TabulateCx) -> PrepState<'m> {
    let costs: Vec<(usize, Val)> = s
        .costs
        .iter()
        .enumerate()
        .filter_map(|(k, c)| c.as_ref().map(|p| (k, Val::new(p, cx))))
        .collect();
    let utility = Val::new(&s.utility, cx);
    // Every payoff's value from the boundary where it stops changing, and the latest such
    // boundary.
    let mut from = 0;
    let mut settle = |v: &Val| {
        let (f, x) = v.fixed_from()?;
        from = from.max(f);
        Some(x)
    };
    let fixed: Option<Vec<(usize, f64)>> = costs
        .iter()
        .map(|(k, v)| settle(v).map(|x| (*k, x)))
        .collect();
    let fixed = fixed.zip(settle(&utility));
    let fixed_from = if fixed.is_some() { from } else { usize::MAX };
    PrepState {
        costs,
        utility,
        alive: s.alive,
        absorbing: s.absorbing,
        fixed,
        fixed_from,
        timed: None,
        evaluated_until: fixed_from,
        needs_vars: true,
    }
}

/// A row's transitions, with the fixed probabilities (complement filled in) and their
/// cumulative sums where no probability varies per individual.
fn prepare_row<'m>(row: &'m [Transition], cx: &TabulateCx) -> PrepRow<'m> {
    let transitions: Vec<PrepTransition> = row
        .iter()
        .map(|t| PrepTransition {
            to: t.to.0,
            probability: match &t.probability {
                Probability::Complement => None,
                Probability::Expr(p) => Some(Val::new(p, cx)),
            },
            costs: t.costs.iter().map(|(k, p)| (*k, Val::new(p, cx))).collect(),
            qaly_loss: t.qaly_loss.as_ref().map(|p| Val::new(p, cx)),
            origin: &t.origin,
            at: &t.at,
        })
        .collect();
    let fixed: Option<Vec<f64>> = transitions
        .iter()
        .map(|t| match &t.probability {
            None => Some(f64::NAN),
            Some(v) => v.as_const(),
        })
        .collect();
    let fixed = fixed.map(|mut p| {
        let rest: f64 = p.iter().filter(|x| !x.is_nan()).sum();
        for x in &mut p {
            if x.is_nan() {
                *x = (1.0 - rest).max(0.0);
            }
        }
        p
    });
    let fixed_cum = fixed
        .as_deref()
        .map(|p| {
            let mut c = 0.0;
            p[..p.len().saturating_sub(1)]
                .iter()
                .map(|x| {
                    c += x;
                    c
                })
                .collect()
        })
        .unwrap_or_default();
    PrepRow {
        transitions,
        fixed,
        fixed_cum,
        steady: None,
        competing: None,
    }
}

/// A payoff or probability written inline (not as a variable) and evaluated per individual
/// is memoised like a variable when its value holds until age leaves a life-table row
/// (`MemoPlan::is_lasting`): `cum_prob_to_cycle(lookup(life_table, age, sex), 1)` as a
/// transition's probability is computed once a year of age. Ids follow the variables' while
/// the memo has room.
fn memoise_inline<'m>(model: &'m Model, vals: &[Val], v: &mut Val<'m>, next_id: &mut usize) {
    match v {
        Val::Dyn(p) if *next_id < MAX_MEMOS => {
            let plan = MemoPlan::new(model, *next_id, p, &|k| super::val::lasting(vals, k));
            if let Some(m) = plan.filter(MemoPlan::is_lasting) {
                *v = Val::Memo(Box::new(m));
                *next_id += 1;
            }
        }
        Val::KnownFrom { inner, .. } | Val::KnownByStateTime { inner, .. } => {
            memoise_inline(model, vals, inner, next_id);
        }
        _ => {}
    }
}

/// Per-individual variables visible to expressions, with lazily cached `variables`.
pub(crate) struct IndEnv<'a> {
    pub params: &'a [f64],
    /// Built-in time variables and attributes.
    pub vars: &'a [f64],
    pub tables: &'a [Table],
    /// The strategy's individual-level variables (`PrepStrategy::var_vals`).
    pub var_vals: &'a [Val<'a>],
    /// The individual's tracker values (`Model::trackers`).
    pub tracks: &'a [u32],
    /// The worker's memoised variables.
    pub memo: &'a Memo,
    pub cache: &'a [std::cell::Cell<f64>],
    pub valid: &'a std::cell::Cell<u64>,
    /// Boundary index (the individual is about to live cycle t+1).
    pub t: usize,
    pub state_time: usize,
    /// The age attribute's slot and the individual's age at the start, as `set_time` reads
    /// them, and the cycle length in years.
    pub age: Option<(usize, f64)>,
    pub dt: f64,
}

impl Env for IndEnv<'_> {
    #[inline]
    fn param(&self, i: usize) -> f64 {
        self.params[i]
    }
    #[inline]
    fn var(&self, i: usize) -> f64 {
        match i.checked_sub(self.vars.len()) {
            None => self.vars[i],
            Some(j) => {
                let bit = 1u64 << j;
                if self.valid.get() & bit != 0 {
                    return self.cache[j].get();
                }
                let x = self.var_vals[j].get(self);
                self.cache[j].set(x);
                self.valid.set(self.valid.get() | bit);
                x
            }
        }
    }
    #[inline]
    fn lookup(&self, table: usize, args: &[f64]) -> f64 {
        self.tables[table].lookup(args)
    }
}

/// Set the time variables for boundary `t` (the individual is about to live cycle t+1).
#[inline]
pub(crate) fn set_time(
    vars: &mut [f64],
    age: Option<(usize, f64)>,
    t: usize,
    state_time: usize,
    dt: f64,
) {
    vars[var::MODEL_TIME] = (t + 1) as f64;
    vars[var::STATE_TIME] = state_time as f64;
    vars[var::MODEL_YEARS] = t as f64 * dt;
    vars[var::STATE_YEARS] = (state_time - 1) as f64 * dt;
    if let Some((slot, age0)) = age {
        vars[var::FIRST_ATTRIBUTE + slot] = age0 + t as f64 * dt;
    }
}

/// Evaluate a row's probabilities into `out` (complement filled in) and check them.
#[inline]
pub(crate) fn row_probabilities(row: &PrepRow, env: &IndEnv, out: &mut [f64]) -> Result<(), usize> {
    let mut sum = 0.0;
    let mut complement = None;
    for (j, t) in row.transitions.iter().enumerate() {
        match &t.probability {
            None => complement = Some(j),
            Some(v) => {
                let p = v.get(env);
                if !(-ROW_TOLERANCE..=1.0 + ROW_TOLERANCE).contains(&p) {
                    return Err(j);
                }
                out[j] = p;
                sum += p;
            }
        }
    }
    match complement {
        Some(j) => {
            if sum > 1.0 + ROW_TOLERANCE {
                return Err(j);
            }
            out[j] = (1.0 - sum).max(0.0);
        }
        None if (sum - 1.0).abs() > ROW_TOLERANCE => return Err(usize::MAX),
        None => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Microsimulation
// ---------------------------------------------------------------------------
