//! The individual-level Markov microsimulation and the shared per-parameter-set preparation.
//!
//! Timeline: boundaries t = 0..=T (T = number of cycles); cycle c (1-based) spans
//! boundaries c−1 to c. An individual in state s at boundary t spends cycle t+1 there
//! and its transition is drawn at the end of that cycle. Payoffs are accrued per
//! boundary with the weights of `Weights`, which encode discounting and the
//! within-cycle correction, so the microsimulation and the cohort evaluation share one
//! accounting rule.
//!
//! Invariants: the per-individual, per-cycle loop does no allocation, hashing, string
//! comparison or parsing; individual `i` draws its attributes and transitions from
//! streams keyed by (seed, draw, i), the same in every strategy (common random numbers);
//! chunk results are combined in chunk order, so results do not depend on threads.

use std::fmt;

use rayon::prelude::*;

use crate::expr::{Env, Program};
use crate::model::{
    AttributeDist, DiscountTiming, Model, Probability, Settings, Variable, WithinCycle, var,
};
use crate::params::{self, ROW_TOLERANCE};
use crate::rng::{self, Purpose};
use crate::table::Table;

/// Individuals per work unit; fixed so that results do not depend on the thread count.
pub const CHUNK: usize = 256;
/// Work units simulated between two in-order merges (bounds memory for huge runs).
const BATCH: usize = 64;

// ---------------------------------------------------------------------------
// Outcome layout and statistics
// ---------------------------------------------------------------------------

/// Positions of the outcomes in a per-strategy outcome vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub n_categories: usize,
    pub n_perspectives: usize,
    pub n_wtp: usize,
}

impl Layout {
    /// Length of an outcome vector.
    pub fn len(&self) -> usize {
        2 * self.n_categories + 4 + 2 * self.n_perspectives + self.n_perspectives * self.n_wtp
    }

    /// Layout for a model.
    pub fn of(model: &Model) -> Self {
        Layout {
            n_categories: model.cost_categories.len(),
            n_perspectives: model.perspectives.len(),
            n_wtp: model.settings.wtp_per_qaly.len(),
        }
    }
    /// Always false: every layout has QALYs and life-years.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Cost in one category.
    pub fn cost(&self, category: usize, discounted: bool) -> usize {
        2 * category + usize::from(!discounted)
    }
    /// Quality-adjusted life-years.
    pub fn qalys(&self, discounted: bool) -> usize {
        2 * self.n_categories + usize::from(!discounted)
    }
    /// Life-years.
    pub fn life_years(&self, discounted: bool) -> usize {
        2 * self.n_categories + 2 + usize::from(!discounted)
    }
    /// Total cost counted by one perspective.
    pub fn perspective(&self, perspective: usize, discounted: bool) -> usize {
        2 * self.n_categories + 4 + 2 * perspective + usize::from(!discounted)
    }
    /// Discounted net monetary benefit, wtp·QALYs − cost, for one perspective and threshold.
    pub fn nmb(&self, perspective: usize, wtp: usize) -> usize {
        2 * self.n_categories + 4 + 2 * self.n_perspectives + perspective * self.n_wtp + wtp
    }

    /// Name of outcome `k` for messages.
    pub fn describe(&self, model: &Model, k: usize) -> String {
        let disc = |k: usize| {
            if k.is_multiple_of(2) {
                "discounted"
            } else {
                "undiscounted"
            }
        };
        if k < 2 * self.n_categories {
            format!("{} cost `{}`", disc(k), model.cost_categories[k / 2])
        } else if k < 2 * self.n_categories + 2 {
            format!("{} QALYs", disc(k))
        } else if k < 2 * self.n_categories + 4 {
            format!("{} life-years", disc(k))
        } else {
            "a total over categories".to_string()
        }
    }

    /// Fill the perspective totals and net monetary benefits from the per-category costs.
    pub fn complete(&self, model: &Model, out: &mut [f64]) {
        for (p, persp) in model.perspectives.iter().enumerate() {
            for disc in [true, false] {
                out[self.perspective(p, disc)] = persp
                    .includes
                    .iter()
                    .enumerate()
                    .filter(|(_, inc)| **inc)
                    .map(|(c, _)| out[self.cost(c, disc)])
                    .sum();
            }
            for (w, wtp) in model.settings.wtp_per_qaly.iter().enumerate() {
                out[self.nmb(p, w)] = wtp * out[self.qalys(true)] - out[self.perspective(p, true)];
            }
        }
    }
}

/// Running mean and sum of squared deviations (Welford 1962; merge by Chan et al. 1979).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    pub m2: f64,
}

impl Moments {
    /// Add one observation.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Combine with the moments of a later block of observations.
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let d = other.mean - self.mean;
        self.mean += d * other.n as f64 / n as f64;
        self.m2 += other.m2 + d * d * (self.n as f64 * other.n as f64 / n as f64);
        self.n = n;
    }

    /// Monte Carlo standard error of the mean: sample SD / √n.
    pub fn se(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64 / self.n as f64).sqrt()
        }
    }
}

/// Mean and standard error of one outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    /// Monte Carlo standard error (zero for the cohort evaluation).
    pub se: f64,
}

/// What one strategy produced.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategySim {
    /// Per-person outcomes, indexed by `Layout`.
    pub outcomes: Vec<Estimate>,
    /// Share of the cohort in each state at each boundary: `trace[t * n_states + s]`.
    pub trace: Vec<f64>,
    /// Mean number of transitions per person: `transitions[from * n_states + to]`.
    pub transitions: Vec<f64>,
}

/// What to simulate on one parameter set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimSpec {
    /// Probabilistic draw index (0 for the base case); keys the random streams.
    pub draw: u64,
    pub n_individuals: usize,
    pub seed: u64,
    /// Record the state path of the first this-many individuals (0: none).
    pub trajectories: usize,
}

/// The state of one individual at every boundary t = 0..=T, in one strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    pub individual: usize,
    pub strategy: usize,
    pub states: Vec<u16>,
}

/// Results of simulating every strategy on one parameter set.
#[derive(Clone, Debug, PartialEq)]
pub struct SimOutput {
    pub layout: Layout,
    pub n_individuals: usize,
    pub n_states: usize,
    pub n_cycles: usize,
    pub strategies: Vec<StrategySim>,
    /// Differences `strategy j − strategy i` for every pair i < j, in order (0,1), (0,2), …, (1,2), …
    pub pairs: Vec<Vec<Estimate>>,
    /// Recorded state paths, by individual then strategy (empty unless asked for).
    pub trajectories: Vec<Trajectory>,
}

impl SimOutput {
    /// The difference `b − a` in outcome `k`, from the pair table.
    pub fn difference(&self, a: usize, b: usize, k: usize) -> Estimate {
        if a == b {
            return Estimate::default();
        }
        let (lo, hi, sign) = if a < b { (a, b, 1.0) } else { (b, a, -1.0) };
        let e = self.pairs[pair_index(self.strategies.len(), lo, hi)][k];
        Estimate {
            mean: sign * e.mean,
            se: e.se,
        }
    }
}

/// Index of pair (i, j), i < j, among `n` strategies.
pub fn pair_index(n: usize, i: usize, j: usize) -> usize {
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

/// A run-time problem: a probability that leaves [0, 1] for some individual.
#[derive(Clone, Debug, PartialEq)]
pub struct SimError {
    pub message: String,
    /// Line and column in the scenario of the transition concerned, when known.
    pub at: Option<(u64, u64)>,
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SimError {}

// ---------------------------------------------------------------------------
// Discounting and within-cycle weights
// ---------------------------------------------------------------------------

/// Boundary weights combining discounting with the within-cycle correction.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    /// Weight of a per-cycle cost held at boundary t (t = 0..=T).
    pub cost: Vec<f64>,
    /// Weight of a per-cycle effect held at boundary t.
    pub effect: Vec<f64>,
    /// Undiscounted weight at boundary t.
    pub plain: Vec<f64>,
    /// Discount factor of cycle c (index c−1) for one-off transition costs.
    pub cycle_cost: Vec<f64>,
    /// Discount factor of cycle c (index c−1) for one-off QALY losses.
    pub cycle_effect: Vec<f64>,
}

/// Composite Simpson weights over boundaries 0..=T (Elbasha & Chhatwal 2016):
/// the 1/3 rule on pairs of cycles, the 3/8 rule on the last three cycles when T is odd,
/// and the trapezoid rule when T = 1.
pub fn simpson_weights(n_cycles: usize) -> Vec<f64> {
    let t = n_cycles;
    let mut w = vec![0.0; t + 1];
    if t == 1 {
        w[0] = 0.5;
        w[1] = 0.5;
        return w;
    }
    let simpson_end = if t.is_multiple_of(2) { t } else { t - 3 };
    for k in (0..simpson_end).step_by(2) {
        w[k] += 1.0 / 3.0;
        w[k + 1] += 4.0 / 3.0;
        w[k + 2] += 1.0 / 3.0;
    }
    if !t.is_multiple_of(2) {
        let k = t - 3;
        w[k] += 3.0 / 8.0;
        w[k + 1] += 9.0 / 8.0;
        w[k + 2] += 9.0 / 8.0;
        w[k + 3] += 3.0 / 8.0;
    }
    w
}

/// Boundary weights for one annual discount rate.
///
/// With D_c the discount factor of cycle c, (1 + r)^−τ where τ is the cycle's start
/// (c−1)Δ or middle (c−½)Δ in years (Dutch guideline 2024, Zorginstituut Nederland):
/// - none: Σ_c v_{c−1}·D_c (the state at the start of a cycle is held all cycle);
/// - half-cycle: the same, minus half of the first cycle, plus half a cycle of the
///   final state (v_T·D_T / 2) (Sonnenberg & Beck 1993);
/// - trapezoid: Σ_c ½(v_{c−1} + v_c)·D_c (life-table method);
/// - Simpson: composite Simpson weights on v_t·(1 + r)^−tΔ, the discounted value at the
///   boundary's own time (the start/middle setting does not apply).
pub fn boundary_weights(settings: &Settings, rate: f64) -> (Vec<f64>, Vec<f64>) {
    let t_max = settings.n_cycles;
    let dt = settings.cycle_years();
    let shift = match settings.discount_timing {
        DiscountTiming::Start => 0.0,
        DiscountTiming::Middle => 0.5,
    };
    let cycle: Vec<f64> = (1..=t_max)
        .map(|c| (1.0 + rate).powf(-((c as f64 - 1.0 + shift) * dt)))
        .collect();
    let mut w = vec![0.0; t_max + 1];
    match settings.within_cycle {
        WithinCycle::None => w[..t_max].copy_from_slice(&cycle),
        WithinCycle::HalfCycle => {
            w[..t_max].copy_from_slice(&cycle);
            w[0] -= 0.5 * cycle[0];
            w[t_max] += 0.5 * cycle[t_max - 1];
        }
        WithinCycle::Trapezoid => {
            for (c, d) in cycle.iter().enumerate() {
                w[c] += 0.5 * d;
                w[c + 1] += 0.5 * d;
            }
        }
        WithinCycle::Simpson => {
            for (t, s) in simpson_weights(t_max).into_iter().enumerate() {
                w[t] = s * (1.0 + rate).powf(-(t as f64 * dt));
            }
        }
    }
    (w, cycle)
}

/// All weights for a model's settings.
pub fn weights(settings: &Settings) -> Weights {
    let (cost, cycle_cost) = boundary_weights(settings, settings.discount_rate_costs_annual);
    let (effect, cycle_effect) = boundary_weights(settings, settings.discount_rate_effects_annual);
    let (plain, _) = boundary_weights(settings, 0.0);
    Weights {
        cost,
        effect,
        plain,
        cycle_cost,
        cycle_effect,
    }
}

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
}

/// What a program reads: built-in times directly, and individual-level variables through
/// `sub` (which gives a variable's own dependencies).
fn fold_deps(model: &Model, p: &Program, sub: &mut dyn FnMut(usize) -> Deps) -> Deps {
    let first = model.first_variable();
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

/// Largest table of precomputed values for one expression (entries).
const MAX_TABULATED: usize = 1 << 20;

/// A number for one parameter set: fixed, precomputed over time, or evaluated per
/// individual-cycle. Programs that read only model time and/or time in state are
/// evaluated once per parameter set into tables indexed by boundary t and state_time.
#[derive(Clone, Debug)]
pub(crate) enum Val<'m> {
    Const(f64),
    /// Indexed by boundary t (0..=T).
    ByModelTime(Box<[f64]>),
    /// Indexed by state_time − 1 (state_time 1..=T+1).
    ByStateTime(Box<[f64]>),
    /// Indexed by t · (T+1) + state_time − 1.
    ByBoth(Box<[f64]>),
    Dyn(&'m Program),
}

impl<'m> Val<'m> {
    fn new(p: &'m Program, cx: &TabulateCx) -> Self {
        if p.is_param_only() {
            return Val::Const(params::eval(p, cx.params, &cx.model.tables));
        }
        let d = program_deps(cx.model, cx.variable_deps, p);
        let n = cx.model.settings.n_cycles + 1;
        if d.attributes {
            return Val::Dyn(p);
        }
        match (d.model_time, d.state_time) {
            (false, false) => Val::Const(cx.eval(p, 0, 1)),
            (true, false) => Val::ByModelTime((0..n).map(|t| cx.eval(p, t, 1)).collect()),
            (false, true) => Val::ByStateTime((1..=n).map(|st| cx.eval(p, 0, st)).collect()),
            (true, true) if n * n <= MAX_TABULATED => Val::ByBoth(
                (0..n)
                    .flat_map(|t| (1..=n).map(move |st| (t, st)))
                    .map(|(t, st)| cx.eval(p, t, st))
                    .collect(),
            ),
            (true, true) => Val::Dyn(p),
        }
    }

    #[inline]
    pub(crate) fn get(&self, env: &IndEnv) -> f64 {
        match self {
            Val::Const(x) => *x,
            Val::ByModelTime(v) => v[env.t],
            Val::ByStateTime(v) => v[env.state_time - 1],
            Val::ByBoth(v) => v[env.t * v.len().isqrt() + env.state_time - 1],
            Val::Dyn(p) => p.eval(env),
        }
    }

    fn as_const(&self) -> Option<f64> {
        match self {
            Val::Const(x) => Some(*x),
            _ => None,
        }
    }
}

/// What tabulation needs: the parameter values and a scratch environment.
struct TabulateCx<'a> {
    model: &'a Model,
    params: &'a [f64],
    variable_deps: &'a [Deps],
    scratch: Scratch,
}

impl TabulateCx<'_> {
    fn eval(&self, p: &Program, t: usize, state_time: usize) -> f64 {
        let mut vars = self.scratch.vars.borrow_mut();
        let dt = self.model.settings.cycle_years();
        set_time(&mut vars, None, t, state_time, dt);
        self.scratch.reset();
        let env = IndEnv {
            params: self.params,
            vars: &vars,
            tables: &self.model.tables,
            variables: &self.model.variables,
            cache: &self.scratch.cache,
            valid: &self.scratch.valid,
            t,
            state_time,
        };
        p.eval(&env)
    }
}

/// Per-worker buffers for evaluating individual-level expressions.
pub(crate) struct Scratch {
    pub vars: std::cell::RefCell<Vec<f64>>,
    pub cache: Vec<std::cell::Cell<f64>>,
    pub valid: std::cell::Cell<u64>,
}

impl Scratch {
    pub(crate) fn new(model: &Model) -> Self {
        Scratch {
            vars: std::cell::RefCell::new(vec![0.0; model.n_vars()]),
            cache: vec![std::cell::Cell::new(0.0); model.variables.len()],
            valid: std::cell::Cell::new(0),
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
    pub at: (u64, u64),
}

pub(crate) struct PrepRow<'m> {
    pub transitions: Vec<PrepTransition<'m>>,
    /// Probabilities (complement filled in) when none depends on the individual.
    pub fixed: Option<Vec<f64>>,
    /// Running sums of `fixed` without its last entry, summed in row order as the scan does.
    pub fixed_cum: Vec<f64>,
}

pub(crate) struct PrepState<'m> {
    pub costs: Vec<(usize, Val<'m>)>,
    pub utility: Val<'m>,
    pub alive: bool,
    pub absorbing: bool,
    /// When every payoff of the state is fixed for the parameter set: per-cycle costs by
    /// category and utility. Such payoffs are accrued as sums of weights per state and
    /// multiplied out once per individual.
    pub fixed: Option<(Vec<(usize, f64)>, f64)>,
    /// Whether anything evaluated in this state reads the per-individual variable array
    /// (time or attributes); when not, the cycle skips filling it.
    pub needs_vars: bool,
}

/// Widest row served by `FastRow`.
const FAST: usize = 8;

/// A fixed row laid out flat so the next state costs one indexed load and a vector compare:
/// the loop carries a dependency from one cycle's state to the next, so every pointer
/// chased here is latency on the critical path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FastRow {
    /// Running sums of the probabilities (the last entry's omitted); unused slots are +∞.
    cum: [f64; FAST],
    to: [u16; FAST],
    /// Number of running sums in use (transitions − 1).
    n_cum: usize,
    /// Whether any transition of the row has a one-off cost or QALY loss.
    events: bool,
}

pub(crate) struct PrepStrategy<'m> {
    pub params: Vec<f64>,
    pub states: Vec<PrepState<'m>>,
    pub rows: Vec<PrepRow<'m>>,
    /// Per state, the flat form of a fixed row with at most `FAST` transitions.
    pub fast: Vec<Option<FastRow>>,
    pub start_costs: Vec<(usize, f64)>,
    /// Cumulative starting shares with their states.
    pub initial: Vec<(usize, f64)>,
    pub name: &'m str,
}

/// Evaluate everything fixed for one parameter set; checks fixed rows.
pub(crate) fn prepare<'m>(
    model: &'m Model,
    base: &[f64],
) -> Result<Vec<PrepStrategy<'m>>, SimError> {
    let mut out = Vec::with_capacity(model.strategies.len());
    let vdeps = variable_deps(model);
    for strategy in &model.strategies {
        let values = params::evaluate(model, strategy, base);
        let cx = TabulateCx {
            model,
            params: &values,
            variable_deps: &vdeps,
            scratch: Scratch::new(model),
        };
        let problems = params::check_rows(model, strategy, &values);
        if let Some(p) = problems.first() {
            return Err(SimError {
                message: format!("strategy `{}`: {}", strategy.name, p.message),
                at: Some(p.at),
            });
        }
        let states = model
            .states
            .iter()
            .map(|s| {
                let costs: Vec<(usize, Val)> = s
                    .costs
                    .iter()
                    .enumerate()
                    .filter_map(|(k, c)| c.as_ref().map(|p| (k, Val::new(p, &cx))))
                    .collect();
                let utility = Val::new(&s.utility, &cx);
                let fixed: Option<Vec<(usize, f64)>> = costs
                    .iter()
                    .map(|(k, v)| v.as_const().map(|x| (*k, x)))
                    .collect();
                let fixed = fixed.zip(utility.as_const());
                PrepState {
                    costs,
                    utility,
                    alive: s.alive,
                    absorbing: s.absorbing,
                    fixed,
                    needs_vars: true,
                }
            })
            .collect();
        let rows: Vec<PrepRow> = strategy
            .rows
            .iter()
            .map(|row| {
                let transitions: Vec<PrepTransition> = row
                    .iter()
                    .map(|t| PrepTransition {
                        to: t.to.0,
                        probability: match &t.probability {
                            Probability::Complement => None,
                            Probability::Expr(p) => Some(Val::new(p, &cx)),
                        },
                        costs: t
                            .costs
                            .iter()
                            .map(|(k, p)| (*k, Val::new(p, &cx)))
                            .collect(),
                        qaly_loss: t.qaly_loss.as_ref().map(|p| Val::new(p, &cx)),
                        origin: &t.origin,
                        at: t.at,
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
                }
            })
            .collect();
        let mut states: Vec<PrepState> = states;
        for (st, row) in states.iter_mut().zip(&rows) {
            let dynamic = |v: &Val| matches!(v, Val::Dyn(_));
            let row: &PrepRow = row;
            st.needs_vars = st.costs.iter().any(|(_, v)| dynamic(v))
                || dynamic(&st.utility)
                || row.transitions.iter().any(|t| {
                    t.probability.as_ref().is_some_and(dynamic)
                        || t.costs.iter().any(|(_, v)| dynamic(v))
                        || t.qaly_loss.as_ref().is_some_and(dynamic)
                });
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
            .map(|row: &PrepRow| {
                let n = row.transitions.len();
                if row.fixed.is_none() || n > FAST || n == 0 {
                    return None;
                }
                let mut f = FastRow {
                    cum: [f64::INFINITY; FAST],
                    to: [0; FAST],
                    n_cum: n - 1,
                    events: row
                        .transitions
                        .iter()
                        .any(|t| !t.costs.is_empty() || t.qaly_loss.is_some()),
                };
                f.cum[..n - 1].copy_from_slice(&row.fixed_cum);
                for (slot, t) in f.to.iter_mut().zip(&row.transitions) {
                    *slot = t.to as u16;
                }
                Some(f)
            })
            .collect();
        out.push(PrepStrategy {
            params: values,
            states,
            rows,
            fast,
            start_costs,
            initial,
            name: &strategy.name,
        });
    }
    Ok(out)
}

/// Per-individual variables visible to expressions, with lazily cached `variables`.
pub(crate) struct IndEnv<'a> {
    pub params: &'a [f64],
    /// Built-in time variables and attributes.
    pub vars: &'a [f64],
    pub tables: &'a [Table],
    pub variables: &'a [Variable],
    pub cache: &'a [std::cell::Cell<f64>],
    pub valid: &'a std::cell::Cell<u64>,
    /// Boundary index (the individual is about to live cycle t+1).
    pub t: usize,
    pub state_time: usize,
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
                let x = self.variables[j].program.eval(self);
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

/// What one probabilistic draw produced: its base parameter values and per-person outcomes.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawOutcome {
    /// Draw number (1-based; 0 is the deterministic base case).
    pub draw: u64,
    /// Base parameter values of the draw (derived parameters are NaN).
    pub params: Vec<f64>,
    /// Per strategy, the outcome vector (indexed by `Layout`).
    pub outcomes: Vec<Vec<f64>>,
    /// Per strategy, the Monte Carlo standard error of the strategy's NMB minus the
    /// reference's, per perspective and threshold (`Layout::nmb` order).
    pub inmb_se: Vec<Vec<f64>>,
}

/// Simulate probabilistic draws `first..=last` (1-based), each on its own parameter draw
/// with `n_individuals` individuals; in parallel over draws and individuals, results in
/// draw order. `progress` is told when a draw finishes.
pub fn simulate_draws(
    model: &Model,
    first: u64,
    last: u64,
    n_individuals: usize,
    seed: u64,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<DrawOutcome>, SimError> {
    let l = Layout::of(model);
    let reference = model.settings.reference_strategy.0;
    let results: Vec<Result<DrawOutcome, SimError>> = (first..=last)
        .into_par_iter()
        .map(|d| {
            let base = params::draw(model, seed, d);
            let spec = SimSpec {
                draw: d,
                n_individuals,
                seed,
                trajectories: 0,
            };
            let sim = simulate(model, &base, &spec, &|_| {}).map_err(|e| SimError {
                message: format!("probabilistic draw {d}: {}", e.message),
                at: e.at,
            })?;
            let outcomes = sim
                .strategies
                .iter()
                .map(|s| s.outcomes.iter().map(|e| e.mean).collect())
                .collect();
            let inmb_se = (0..sim.strategies.len())
                .map(|s| {
                    (0..l.n_perspectives)
                        .flat_map(|p| (0..l.n_wtp).map(move |w| l.nmb(p, w)))
                        .map(|k| sim.difference(reference, s, k).se)
                        .collect()
                })
                .collect();
            progress(1);
            Ok(DrawOutcome {
                draw: d,
                params: base,
                outcomes,
                inmb_se,
            })
        })
        .collect();
    results.into_iter().collect()
}

/// Everything one chunk of individuals accumulates.
struct ChunkAcc {
    /// `[strategy][outcome]`.
    moments: Vec<Moments>,
    /// `[pair][outcome]`.
    pair_moments: Vec<Moments>,
    /// Occupancy counts `[strategy][t][state]`, excluding frozen absorbing states.
    trace: Vec<u64>,
    /// Entries into frozen absorbing states `[strategy][t][state]` (prefix-summed at the end).
    frozen_entries: Vec<i64>,
    /// `[strategy][from][to]`.
    transitions: Vec<u64>,
    /// Recorded paths of this chunk's first individuals, in order.
    trajectories: Vec<Trajectory>,
}

impl ChunkAcc {
    fn new(n_strategies: usize, k: usize, n_states: usize, n_cycles: usize) -> Self {
        let n_pairs = n_strategies * n_strategies.saturating_sub(1) / 2;
        let trace = n_strategies * (n_cycles + 1) * n_states;
        ChunkAcc {
            moments: vec![Moments::default(); n_strategies * k],
            pair_moments: vec![Moments::default(); n_pairs * k],
            trace: vec![0; trace],
            frozen_entries: vec![0; trace],
            transitions: vec![0; n_strategies * n_states * n_states],
            trajectories: Vec::new(),
        }
    }

    fn merge(&mut self, other: &ChunkAcc) {
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            a.merge(b);
        }
        for (a, b) in self.pair_moments.iter_mut().zip(&other.pair_moments) {
            a.merge(b);
        }
        for (a, b) in self.trace.iter_mut().zip(&other.trace) {
            *a += b;
        }
        for (a, b) in self.frozen_entries.iter_mut().zip(&other.frozen_entries) {
            *a += b;
        }
        for (a, b) in self.transitions.iter_mut().zip(&other.transitions) {
            *a += b;
        }
        self.trajectories.extend_from_slice(&other.trajectories);
    }
}

/// Suffix sums of the boundary weights, for states that never change again.
struct Suffix {
    cost: Vec<f64>,
    effect: Vec<f64>,
    plain: Vec<f64>,
}

fn suffix(w: &[f64]) -> Vec<f64> {
    let mut s = vec![0.0; w.len() + 1];
    for t in (0..w.len()).rev() {
        s[t] = s[t + 1] + w[t];
    }
    s
}

/// Fixed inputs shared by every chunk.
struct Ctx<'a, 'm> {
    model: &'m Model,
    prep: &'a [PrepStrategy<'m>],
    weights: &'a Weights,
    suffix: Suffix,
    layout: Layout,
    seed: u64,
    draw: u64,
    max_row: usize,
    record: usize,
    /// Truncation bounds of the attribute distributions.
    bounds: Vec<(f64, f64)>,
    /// Every strategy's states are fast rows or frozen absorbing states with fixed payoffs:
    /// the lockstep kernel applies.
    all_fast: bool,
}

/// Whether the lockstep kernel can simulate these strategies: every state is either an
/// absorbing state with fixed payoffs or has a fixed flat row without one-off events, fixed
/// payoffs and no need for individual variables.
fn all_fast(prep: &[PrepStrategy]) -> bool {
    prep.iter().all(|p| {
        p.states.iter().zip(&p.fast).all(|(s, f)| {
            s.fixed.is_some()
                && !s.needs_vars
                && (s.absorbing || f.as_ref().is_some_and(|f| !f.events))
        })
    })
}

/// Per-cycle payoffs held fixed, multiplied by the summed weights of the cycles spent in
/// each state (shared by both kernels so their arithmetic is identical).
fn apply_fixed(prep: &PrepStrategy, occupancy: &[[f64; 3]], l: Layout, dt: f64, out: &mut [f64]) {
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

/// Add the weights of boundaries `from..to` spent in a state with fixed payoffs.
#[inline]
fn accrue_stay(ctx: &Ctx, o: &mut [f64; 3], ps: &PrepState, from: usize, to: usize) {
    if ps.fixed.is_some() {
        o[0] += ctx.suffix.cost[from] - ctx.suffix.cost[to];
        o[1] += ctx.suffix.effect[from] - ctx.suffix.effect[to];
        o[2] += ctx.suffix.plain[from] - ctx.suffix.plain[to];
    }
}

/// Starting state for a uniform number.
#[inline]
fn start_state(prep: &PrepStrategy, u_start: f64) -> usize {
    prep.initial
        .iter()
        .find(|(_, cum)| u_start < *cum)
        .or(prep.initial.last())
        .map(|(s, _)| *s)
        .unwrap_or(0)
}

/// Simulate every strategy for `n_individuals` individuals on one parameter set.
///
/// `base` holds the base parameter values (point values or a probabilistic draw);
/// `draw` keys the random streams; `progress` is told how many individuals finished.
pub fn simulate(
    model: &Model,
    base: &[f64],
    spec: &SimSpec,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<SimOutput, SimError> {
    let SimSpec {
        draw,
        n_individuals,
        seed,
        trajectories: record,
    } = *spec;
    let prep = prepare(model, base)?;
    let weights = weights(&model.settings);
    let layout = Layout::of(model);
    let ctx = Ctx {
        model,
        prep: &prep,
        suffix: Suffix {
            cost: suffix(&weights.cost),
            effect: suffix(&weights.effect),
            plain: suffix(&weights.plain),
        },
        weights: &weights,
        layout,
        seed,
        draw,
        record,
        all_fast: all_fast(&prep),
        bounds: truncation_bounds(model),
        max_row: model
            .strategies
            .iter()
            .flat_map(|s| s.rows.iter().map(Vec::len))
            .max()
            .unwrap_or(0),
    };
    let n_strategies = model.strategies.len();
    let n_states = model.states.len();
    let n_cycles = model.settings.n_cycles;
    let mut total = ChunkAcc::new(n_strategies, layout.len(), n_states, n_cycles);
    total
        .trajectories
        .reserve(record.min(n_individuals) * n_strategies);
    let n_chunks = n_individuals.div_ceil(CHUNK);
    let mut first = 0;
    while first < n_chunks {
        let last = (first + BATCH).min(n_chunks);
        let results: Vec<Result<ChunkAcc, SimError>> = (first..last)
            .into_par_iter()
            .map(|c| {
                let lo = c * CHUNK;
                let hi = (lo + CHUNK).min(n_individuals);
                let acc = simulate_chunk(&ctx, lo..hi);
                progress(hi - lo);
                acc
            })
            .collect();
        for r in results {
            total.merge(&r?);
        }
        first = last;
    }
    Ok(finish(&total, layout, n_individuals, n_states, n_cycles))
}

fn finish(acc: &ChunkAcc, layout: Layout, n: usize, n_states: usize, n_cycles: usize) -> SimOutput {
    let k = layout.len();
    let n_strategies = acc.moments.len() / k;
    let per_boundary = n_states * (n_cycles + 1);
    let strategies = (0..n_strategies)
        .map(|s| {
            let outcomes = acc.moments[s * k..(s + 1) * k]
                .iter()
                .map(|m| Estimate {
                    mean: m.mean,
                    se: m.se(),
                })
                .collect();
            let counts = &acc.trace[s * per_boundary..(s + 1) * per_boundary];
            let entries = &acc.frozen_entries[s * per_boundary..(s + 1) * per_boundary];
            let mut frozen = vec![0i64; n_states];
            let mut trace = vec![0.0; per_boundary];
            for t in 0..=n_cycles {
                for (st, f) in frozen.iter_mut().enumerate() {
                    let i = t * n_states + st;
                    *f += entries[i];
                    trace[i] = (counts[i] as i64 + *f) as f64 / n as f64;
                }
            }
            let transitions = acc.transitions
                [s * n_states * n_states..(s + 1) * n_states * n_states]
                .iter()
                .map(|c| *c as f64 / n as f64)
                .collect();
            StrategySim {
                outcomes,
                trace,
                transitions,
            }
        })
        .collect();
    let pairs = acc
        .pair_moments
        .chunks(k)
        .map(|ms| {
            ms.iter()
                .map(|m| Estimate {
                    mean: m.mean,
                    se: m.se(),
                })
                .collect()
        })
        .collect();
    SimOutput {
        layout,
        n_individuals: n,
        n_states,
        n_cycles,
        strategies,
        pairs,
        trajectories: acc.trajectories.clone(),
    }
}

/// F(min) and F(max) of each continuous attribute, for truncated inverse-CDF sampling
/// (computed once per simulation, not per individual).
fn truncation_bounds(model: &Model) -> Vec<(f64, f64)> {
    model
        .population
        .attributes
        .iter()
        .map(|a| match &a.dist {
            AttributeDist::Continuous { dist, min, max } => (dist.cdf(*min), dist.cdf(*max)),
            AttributeDist::Categorical { .. } => (0.0, 1.0),
        })
        .collect()
}

/// Draw an individual's attributes into `vars` and return its starting-state number.
fn draw_individual(
    model: &Model,
    bounds: &[(f64, f64)],
    seed: u64,
    draw: u64,
    individual: u64,
    vars: &mut [f64],
) -> f64 {
    let mut r = rng::stream(seed, Purpose::Attributes, draw, individual);
    let pop = &model.population;
    if let Some(e) = &pop.empirical {
        let u = params::uniform(&mut r);
        let row = e
            .cumulative_weights
            .partition_point(|c| *c <= u)
            .min(e.cumulative_weights.len() - 1);
        let width = e.columns.len();
        for (j, slot) in e.columns.iter().enumerate() {
            vars[var::FIRST_ATTRIBUTE + slot] = e.rows[row * width + j];
        }
    }
    for (i, a) in pop.attributes.iter().enumerate() {
        if pop
            .empirical
            .as_ref()
            .is_some_and(|e| e.columns.contains(&i))
        {
            continue;
        }
        let u = params::uniform(&mut r);
        vars[var::FIRST_ATTRIBUTE + i] = match &a.dist {
            AttributeDist::Continuous { dist, min, max } => {
                // Inverse-CDF sampling restricted to [F(min), F(max)]: truncation without rejection loops.
                let (lo, hi) = bounds[i];
                dist.quantile(lo + u * (hi - lo)).clamp(*min, *max)
            }
            AttributeDist::Categorical { levels, probs } => {
                let mut cum = 0.0;
                let mut chosen = levels[levels.len() - 1];
                for (l, p) in levels.iter().zip(probs) {
                    cum += p;
                    if u < cum {
                        chosen = *l;
                        break;
                    }
                }
                chosen as f64
            }
        };
    }
    params::uniform(&mut r)
}

/// Buffers one worker reuses for every individual of a chunk (no allocation per cycle).
struct Worker {
    base_vars: Vec<f64>,
    scratch: Scratch,
    outcome: Vec<f64>,
    probs: Vec<f64>,
    /// Sums of boundary weights (cost, effect, undiscounted) per state, for fixed payoffs.
    occupancy: Vec<[f64; 3]>,
    /// The same for every strategy at once (`[strategy * n_states + state]`), for the lockstep kernel.
    occupancy_all: Vec<[f64; 3]>,
}

fn simulate_chunk(ctx: &Ctx, individuals: std::ops::Range<usize>) -> Result<ChunkAcc, SimError> {
    let model = ctx.model;
    let n_strategies = ctx.prep.len();
    let n_states = model.states.len();
    let n_cycles = model.settings.n_cycles;
    let k = ctx.layout.len();
    let mut acc = ChunkAcc::new(n_strategies, k, n_states, n_cycles);
    let mut w = Worker {
        base_vars: vec![0.0; model.n_vars()],
        scratch: Scratch::new(model),
        outcome: vec![0.0; n_strategies * k],
        probs: vec![0.0; ctx.max_row.max(1)],
        occupancy: vec![[0.0; 3]; n_states],
        occupancy_all: vec![[0.0; 3]; n_states * n_strategies],
    };
    for i in individuals {
        let u_start = draw_individual(
            model,
            &ctx.bounds,
            ctx.seed,
            ctx.draw,
            i as u64,
            &mut w.base_vars,
        );
        let age = model
            .population
            .age
            .map(|slot| (slot, w.base_vars[var::FIRST_ATTRIBUTE + slot]));
        w.outcome.fill(0.0);
        let lockstep = ctx.all_fast && i >= ctx.record;
        if lockstep {
            simulate_lockstep(ctx, i, u_start, &mut w, &mut acc);
        }
        for (si, prep) in ctx.prep.iter().enumerate() {
            if lockstep {
                finish_individual(ctx, si, prep, i, &mut w, &mut acc)?;
                continue;
            }
            w.scratch.vars.borrow_mut().copy_from_slice(&w.base_vars);
            let mut path = (i < ctx.record).then(|| Trajectory {
                individual: i,
                strategy: si,
                states: Vec::with_capacity(n_cycles + 1),
            });
            simulate_individual(
                ctx,
                si,
                prep,
                i,
                u_start,
                age,
                &mut w,
                &mut acc,
                path.as_mut(),
            )?;
            if let Some(p) = path {
                acc.trajectories.push(p);
            }
            finish_individual(ctx, si, prep, i, &mut w, &mut acc)?;
        }
        let mut pair = 0;
        for a in 0..n_strategies {
            for b in a + 1..n_strategies {
                for j in 0..k {
                    acc.pair_moments[pair * k + j]
                        .push(w.outcome[b * k + j] - w.outcome[a * k + j]);
                }
                pair += 1;
            }
        }
    }
    Ok(acc)
}

/// Check one individual's outcomes in one strategy, add perspective totals and NMB, and
/// accumulate them.
fn finish_individual(
    ctx: &Ctx,
    si: usize,
    prep: &PrepStrategy,
    i: usize,
    w: &mut Worker,
    acc: &mut ChunkAcc,
) -> Result<(), SimError> {
    let k = ctx.layout.len();
    let out = &mut w.outcome[si * k..(si + 1) * k];
    if let Some(bad) = out.iter().position(|x| !x.is_finite()) {
        return Err(SimError {
            message: format!(
                "strategy `{}`, individual {i}: the {} is {}; expected finite payoffs (a cost, utility or QALY loss evaluated to NaN or infinity, e.g. a table lookup with no matching row or out of range, or 0/0)",
                prep.name,
                ctx.layout.describe(ctx.model, bad),
                out[bad]
            ),
            at: None,
        });
    }
    ctx.layout.complete(ctx.model, out);
    for (j, x) in out.iter().enumerate() {
        acc.moments[si * k + j].push(*x);
    }
    Ok(())
}

/// All strategies of one individual at once, for models whose every state is a fixed flat
/// row or a frozen absorbing state. The strategies' paths are independent chains of
/// dependent loads; interleaving them lets the processor overlap their latencies. The
/// arithmetic, random numbers and order of additions are those of `simulate_individual`,
/// so the results are identical to the last bit (a test compares the two).
fn simulate_lockstep(
    ctx: &Ctx,
    individual: usize,
    u_start: f64,
    w: &mut Worker,
    acc: &mut ChunkAcc,
) {
    /// Most strategies interleaved at once; more are simulated in groups of this size.
    const LANES: usize = 4;
    let model = ctx.model;
    let l = ctx.layout;
    let dt = model.settings.cycle_years();
    let n_states = model.states.len();
    let n_cycles = model.settings.n_cycles;
    let k = l.len();
    let n_strategies = ctx.prep.len();
    w.occupancy_all.fill([0.0; 3]);
    let base_rng = rng::stream(ctx.seed, Purpose::Transitions, ctx.draw, individual as u64);
    for group in (0..n_strategies).step_by(LANES) {
        let lanes = (n_strategies - group).min(LANES);
        let mut state = [0usize; LANES];
        let mut entered = [0usize; LANES];
        let mut stays = [0u64; LANES];
        let mut live = [false; LANES];
        let mut rngs = [
            base_rng.clone(),
            base_rng.clone(),
            base_rng.clone(),
            base_rng.clone(),
        ];
        for (lane, si) in (group..group + lanes).enumerate() {
            state[lane] = start_state(&ctx.prep[si], u_start);
            live[lane] = true;
            let out = &mut w.outcome[si * k..(si + 1) * k];
            for (c, x) in &ctx.prep[si].start_costs {
                out[l.cost(*c, true)] += x;
                out[l.cost(*c, false)] += x;
            }
            // Occupancy of the trace as entries and exits, prefix-summed at the end.
            let trace_base = si * (n_cycles + 1) * n_states;
            acc.frozen_entries[trace_base + state[lane]] += 1;
        }
        // Each lane's stay ends (at boundary `end`): count it and accrue its weights.
        let end_stay = |acc: &mut ChunkAcc,
                        occ: &mut [[f64; 3]],
                        si: usize,
                        st: usize,
                        from: usize,
                        end: usize,
                        stays: u64| {
            let prep = &ctx.prep[si];
            let trace_base = si * (n_cycles + 1) * n_states;
            if end <= n_cycles {
                acc.frozen_entries[trace_base + end * n_states + st] -= 1;
            }
            acc.transitions[(si * n_states + st) * n_states + st] += stays;
            accrue_stay(
                ctx,
                &mut occ[si * n_states + st],
                &prep.states[st],
                from,
                end,
            );
        };
        for t in 0..=n_cycles {
            let mut any = false;
            for lane in 0..lanes {
                if !live[lane] {
                    continue;
                }
                any = true;
                let si = group + lane;
                let prep = &ctx.prep[si];
                let st = state[lane];
                if prep.states[st].absorbing {
                    // Frozen: the entry stays counted to the horizon, with the suffix weights.
                    let o = &mut w.occupancy_all[si * n_states + st];
                    o[0] += ctx.suffix.cost[t];
                    o[1] += ctx.suffix.effect[t];
                    o[2] += ctx.suffix.plain[t];
                    live[lane] = false;
                    continue;
                }
                if t == n_cycles {
                    end_stay(
                        acc,
                        &mut w.occupancy_all,
                        si,
                        st,
                        entered[lane],
                        n_cycles + 1,
                        stays[lane],
                    );
                    continue;
                }
                let Some(f) = &prep.fast[st] else { continue };
                let u = params::uniform(&mut rngs[lane]);
                let chosen: usize = f.cum[..f.n_cum].iter().map(|c| usize::from(*c <= u)).sum();
                let to = usize::from(f.to[chosen]);
                if to == st {
                    stays[lane] += 1;
                } else {
                    end_stay(
                        acc,
                        &mut w.occupancy_all,
                        si,
                        st,
                        entered[lane],
                        t + 1,
                        stays[lane],
                    );
                    acc.transitions[(si * n_states + st) * n_states + to] += 1;
                    acc.frozen_entries[si * (n_cycles + 1) * n_states + (t + 1) * n_states + to] +=
                        1;
                    stays[lane] = 0;
                    entered[lane] = t + 1;
                    state[lane] = to;
                }
            }
            if !any {
                break;
            }
        }
        for si in group..group + lanes {
            let out = &mut w.outcome[si * k..(si + 1) * k];
            apply_fixed(
                &ctx.prep[si],
                &w.occupancy_all[si * n_states..(si + 1) * n_states],
                l,
                dt,
                out,
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline]
fn simulate_individual(
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
    let mut rng = rng::stream(ctx.seed, Purpose::Transitions, ctx.draw, individual as u64);
    let mut state = start_state(prep, u_start);
    let mut state_time = 1usize;
    // Boundary at which the current state was entered: fixed payoffs are accrued per stay,
    // as a difference of suffix sums of the weights, not per cycle.
    let mut entered = 0usize;
    for (c, x) in &prep.start_costs {
        out[l.cost(*c, true)] += x;
        out[l.cost(*c, false)] += x;
    }
    for t in 0..=n_cycles {
        let ps = &prep.states[state];
        if ps.absorbing && ps.fixed.is_some() {
            // Nothing changes any more: the rest of the horizon in closed form.
            acc.frozen_entries[trace_base + t * n_states + state] += 1;
            let o = &mut occupancy[state];
            o[0] += ctx.suffix.cost[t];
            o[1] += ctx.suffix.effect[t];
            o[2] += ctx.suffix.plain[t];
            if let Some(p) = path.as_deref_mut() {
                p.states.resize(n_cycles + 1, state as u16);
            }
            break;
        }
        acc.trace[trace_base + t * n_states + state] += 1;
        if let Some(p) = path.as_deref_mut() {
            p.states.push(state as u16);
        }
        if ps.needs_vars {
            set_time(&mut vars, age, t, state_time, dt);
            w.scratch.reset();
        }
        let env = IndEnv {
            params: &prep.params,
            vars: &vars,
            tables: &model.tables,
            variables: &model.variables,
            cache: &w.scratch.cache,
            valid: &w.scratch.valid,
            t,
            state_time,
        };
        if weights.plain[t] == 0.0 || ps.fixed.is_some() {
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
            accrue_stay(ctx, &mut occupancy[state], ps, entered, n_cycles + 1);
            break;
        }
        if ps.absorbing {
            state_time += 1;
            continue;
        }
        let row = &prep.rows[state];
        if let Some(f) = &prep.fast[state]
            && !f.events
        {
            // Inverse CDF without branches: the number of running sums at or below u is the
            // first index whose running sum exceeds u (sums are non-decreasing).
            let u = params::uniform(&mut rng);
            let chosen: usize = f.cum[..f.n_cum].iter().map(|c| usize::from(*c <= u)).sum();
            let to = usize::from(f.to[chosen]);
            acc.transitions[(si * n_states + state) * n_states + to] += 1;
            if to == state {
                state_time += 1;
            } else {
                accrue_stay(ctx, &mut occupancy[state], ps, entered, t + 1);
                entered = t + 1;
                state = to;
                state_time = 1;
            }
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
            out[l.cost(*c, false)] += x;
        }
        if let Some(q) = &tr.qaly_loss {
            let x = q.get(&env);
            out[l.qalys(true)] -= x * weights.cycle_effect[t];
            out[l.qalys(false)] -= x;
        }
        if tr.to == state {
            state_time += 1;
        } else {
            accrue_stay(ctx, &mut occupancy[state], ps, entered, t + 1);
            entered = t + 1;
            state = tr.to;
            state_time = 1;
        }
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
        .map(|tr| tr.at);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_merge_equals_one_pass() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1013) as f64 * 0.37 - 50.0)
            .collect();
        let mut all = Moments::default();
        xs.iter().for_each(|x| all.push(*x));
        let mut merged = Moments::default();
        for chunk in xs.chunks(77) {
            let mut m = Moments::default();
            chunk.iter().for_each(|x| m.push(*x));
            merged.merge(&m);
        }
        // Textbook two-pass mean and variance as the oracle.
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        for m in [all, merged] {
            assert_eq!(m.n, 1000);
            assert!((m.mean - mean).abs() < 1e-10);
            assert!((m.se() - (var / n).sqrt()).abs() < 1e-12);
        }
    }

    #[test]
    fn pair_index_enumerates_pairs_in_order() {
        for n in 2..6 {
            let mut k = 0;
            for i in 0..n {
                for j in i + 1..n {
                    assert_eq!(pair_index(n, i, j), k);
                    k += 1;
                }
            }
        }
    }

    #[test]
    fn simpson_weights_integrate_cubics_exactly() {
        // Simpson's 1/3 and 3/8 rules are exact for polynomials up to degree 3.
        for t in 2..12usize {
            let w = simpson_weights(t);
            let f = |x: f64| 2.0 * x.powi(3) - x * x + 3.0;
            let integral = |x: f64| 0.5 * x.powi(4) - x.powi(3) / 3.0 + 3.0 * x;
            let got: f64 = w.iter().enumerate().map(|(i, wi)| wi * f(i as f64)).sum();
            let want = integral(t as f64);
            assert!(
                (got - want).abs() < 1e-9 * want.abs(),
                "T = {t}: {got} vs {want}"
            );
        }
        assert_eq!(simpson_weights(1), vec![0.5, 0.5]);
    }

    #[test]
    fn layout_positions_are_distinct() {
        let l = Layout {
            n_categories: 3,
            n_perspectives: 2,
            n_wtp: 3,
        };
        let mut seen = std::collections::BTreeSet::new();
        for disc in [true, false] {
            for c in 0..3 {
                assert!(seen.insert(l.cost(c, disc)));
            }
            assert!(seen.insert(l.qalys(disc)));
            assert!(seen.insert(l.life_years(disc)));
            for p in 0..2 {
                assert!(seen.insert(l.perspective(p, disc)));
            }
        }
        for p in 0..2 {
            for w in 0..3 {
                assert!(seen.insert(l.nmb(p, w)));
            }
        }
        assert_eq!(seen.len(), l.len());
        assert_eq!(*seen.iter().next_back().unwrap(), l.len() - 1);
    }
}
