//! Prepared values: what an expression is for one parameter set, decided once before any
//! individual runs. A constant; a table over model time, time in state or a tracker; a value
//! known for everyone from a boundary or at given times in state (by an interval evaluation
//! of the bytecode); or, for the rest, the program evaluated per individual and cycle, or
//! memoised. Every prepared value is the program evaluated with the readings the individual
//! has, so results are the same to the last bit as evaluating it every cycle.

use crate::expr::{Env, Program};
use crate::model::{Model, var};
use crate::params;

use super::memo::MemoPlan;
use super::prepare::{Deps, IndEnv, Scratch, program_deps, set_time};

/// Largest table of precomputed values for one expression (entries).
pub(super) const MAX_TABULATED: usize = 1 << 20;

/// A number for one parameter set: fixed, precomputed over time and trackers, or evaluated
/// per individual-cycle. Programs that read only model time, time in state and at most one
/// tracker (a clock or counter; the tracker with model time at most) are evaluated once per
/// parameter set into tables indexed by boundary t, state_time and the tracker's value.
/// A tabulated entry is the program evaluated with the same readings the individual would
/// have, so it equals the per-individual value to the last bit.
#[derive(Clone, Debug)]
pub(crate) enum Val<'m> {
    Const(f64),
    /// Indexed by boundary t (0..=T).
    ByModelTime(Box<[f64]>),
    /// Indexed by state_time − 1 (state_time 1..=T+1).
    ByStateTime(Box<[f64]>),
    /// Indexed by t · (T+1) + state_time − 1.
    ByBoth(Box<[f64]>),
    /// Indexed by value · `n_time` + t · `time_stride` of tracker `k` (`n_time` is T+1 and
    /// `time_stride` 1 when the program also reads model time, else 1 and 0).
    ByTracker {
        k: usize,
        n_time: usize,
        time_stride: usize,
        v: Box<[f64]>,
    },
    Dyn(&'m Program),
    /// An individual-level variable evaluated again only when its inputs change.
    Memo(Box<MemoPlan<'m>>),
    /// `inner` before boundary `from`, and one value for everyone from there on (a payoff
    /// that reads age only within a period of model time, for instance).
    KnownFrom {
        from: usize,
        value: f64,
        inner: Box<Val<'m>>,
    },
    /// A program that is one read of an individual-level variable: the variable's own
    /// prepared value, read through the environment's per-cycle cache (slot `i`).
    Var(usize),
    /// A program of one tracker `k` (and model time, read only through variables that stop
    /// changing at boundary `from`): before `from`, indexed by value · `from` + t over the
    /// values the tracker can reach by then; from `from` on, by value alone.
    TrackerFrom {
        k: usize,
        from: usize,
        before: Box<[f64]>,
        after: Box<[f64]>,
    },
    /// `inner`, except at the times in state where an interval evaluation with everything
    /// individual unknown gives one value for everyone: `known[state_time − 1]` where that is
    /// `Some`, and `tail.1` from time in state `tail.0` on. A transition that can happen only
    /// at the end of a course (`if(state_time == 8, (1 − p_die) · p, 0)`) is 0 at every other
    /// time in state without being evaluated.
    KnownByStateTime {
        known: Box<[Option<f64>]>,
        tail: Option<(usize, f64)>,
        inner: Box<Val<'m>>,
    },
}

/// Most times in state given their own entry in `Val::KnownByStateTime`.
const MAX_KNOWN_STATE_TIME: usize = 64;

/// The ranges of an interval evaluation at boundary `t` and later: model time from `t` on,
/// parameters known, individual-level variables by their own programs, and everything
/// individual (attributes, time in state, trackers) unknown.
struct FromBoundary<'a> {
    model: &'a Model,
    params: &'a [f64],
    t: usize,
    /// The range of the time in state, when known (`None`: unknown).
    state_time: Option<(usize, f64)>,
}

impl crate::expr::Ranges for FromBoundary<'_> {
    fn param(&self, i: usize) -> f64 {
        self.params[i]
    }

    fn var(&self, i: usize) -> crate::expr::Range {
        use crate::expr::Range;
        let unbounded = |lo: f64| Range::Known {
            lo,
            hi: f64::INFINITY,
        };
        match i {
            // As `set_time` writes them at boundary t: t + 1 and t · cycle length.
            var::MODEL_TIME => unbounded((self.t + 1) as f64),
            var::MODEL_YEARS => unbounded(self.t as f64 * self.model.settings.cycle_years()),
            // As `set_time` writes them: state_time, and (state_time − 1) · cycle length.
            var::STATE_TIME | var::STATE_YEARS if self.state_time.is_some() => {
                let (lo, hi) = self.state_time.unwrap_or((1, f64::INFINITY));
                if i == var::STATE_TIME {
                    Range::Known { lo: lo as f64, hi }
                } else {
                    let dt = self.model.settings.cycle_years();
                    Range::Known {
                        lo: (lo - 1) as f64 * dt,
                        hi: (hi - 1.0) * dt,
                    }
                }
            }
            i => match i.checked_sub(self.model.first_variable()) {
                Some(j) if j < self.model.variables.len() => {
                    self.model.variables[j].program.bounds(self)
                }
                _ => Range::Unknown,
            },
        }
    }

    fn lookup(&self, table: usize, args: &[f64]) -> f64 {
        self.model.tables[table].lookup(args)
    }
}

impl<'m> Val<'m> {
    pub(super) fn new(p: &'m Program, cx: &TabulateCx) -> Self {
        if p.is_param_only() {
            return Val::Const(params::eval(p, cx.params, &cx.model.tables));
        }
        let d = program_deps(cx.model, cx.variable_deps, p);
        let n = cx.model.settings.n_cycles + 1;
        if d.attributes {
            let v = Val::known_from(Val::dynamic(p), p, d, cx);
            return if d.state_time {
                Val::known_by_state_time(v, p, cx)
            } else {
                v
            };
        }
        if d.trackers != 0 {
            return Val::by_tracker(p, d, cx)
                .or_else(|| Val::tracker_from(p, d, cx))
                .unwrap_or_else(|| Val::known_from(Val::dynamic(p), p, d, cx));
        }
        // Where a table's value is one number for everyone from some time on (the EKO
        // course's admission after its first week, a dose after the follow-up), the entries
        // from there on are that number, not evaluated: over a lifetime horizon most of them.
        let or_tail = |tail: Option<(usize, f64)>, i: usize, eval: &dyn Fn() -> f64| match tail {
            Some((from, x)) if i >= from => x,
            _ => eval(),
        };
        match (d.model_time, d.state_time) {
            (false, false) => Val::Const(cx.eval(p, 0, 1, None)),
            (true, false) => {
                let tail = known_from_boundary(p, cx);
                Val::ByModelTime(
                    (0..n)
                        .map(|t| or_tail(tail, t, &|| cx.eval(p, t, 1, None)))
                        .collect(),
                )
            }
            (false, true) => {
                let tail = state_time_tail(p, cx);
                Val::ByStateTime(
                    (1..=n)
                        .map(|st| or_tail(tail, st, &|| cx.eval(p, 0, st, None)))
                        .collect(),
                )
            }
            (true, true) if n * n <= MAX_TABULATED => Val::ByBoth(
                (0..n)
                    .flat_map(|t| (1..=n).map(move |st| (t, st)))
                    .map(|(t, st)| cx.eval(p, t, st, None))
                    .collect(),
            ),
            (true, true) => Val::known_from(Val::dynamic(p), p, d, cx),
        }
    }

    /// A program evaluated per individual: a read of one variable is that variable's value
    /// (`Val::Var`), anything else the program (`Val::Dyn`).
    fn dynamic(p: &'m Program) -> Val<'m> {
        p.single_var().map_or(Val::Dyn(p), Val::Var)
    }

    /// `val` (the program `p` evaluated per individual), or, when `p` reads model time and
    /// has one value for everyone from some boundary on, that value from there
    /// (`Val::KnownFrom`). The boundary is found by an interval evaluation of `p` with model
    /// time from the boundary on and everything individual unknown (`Program::bounds`),
    /// which is sound: a single value there is what every evaluation at a later boundary
    /// gives, to the last bit. Knowing more as model time grows, the smallest such boundary
    /// is found by bisection.
    pub(super) fn known_from(val: Val<'m>, p: &Program, d: Deps, cx: &TabulateCx) -> Val<'m> {
        if !d.model_time {
            return val;
        }
        match known_from_boundary(p, cx) {
            Some((0, value)) => Val::Const(value),
            Some((from, value)) => Val::KnownFrom {
                from,
                value,
                inner: Box::new(val),
            },
            None => val,
        }
    }

    /// `val` (the program `p`, which reads time in state and something individual), with
    /// the values known for everyone at given times in state (`Val::KnownByStateTime`): an
    /// interval evaluation with time in state fixed, model time from boundary 0 on and
    /// everything individual unknown, for each time in state up to `MAX_KNOWN_STATE_TIME`,
    /// and for time in state from some value on, found by bisection as in `known_from`.
    fn known_by_state_time(val: Val<'m>, p: &Program, cx: &TabulateCx) -> Val<'m> {
        let n = cx.model.settings.n_cycles + 1;
        let at = |lo: usize, hi: f64| state_time_bounds(p, cx, lo, hi);
        let tail = state_time_tail(p, cx);
        let m = tail.map_or(n, |(s, _)| s - 1).min(MAX_KNOWN_STATE_TIME);
        let known: Box<[Option<f64>]> = (1..=m).map(|st| at(st, st as f64)).collect();
        if tail.is_none() && known.iter().all(Option::is_none) {
            return val;
        }
        Val::KnownByStateTime {
            known,
            tail,
            inner: Box::new(val),
        }
    }

    /// The table over one tracker's values, split at the boundary from which every
    /// model-time input of the program stops changing (`Val::TrackerFrom`): over a long
    /// horizon, the relapse probability under a maintenance dose that ends after the
    /// follow-up is a function of the clock alone from then on. `None` when the program
    /// reads model time directly or through something that never settles, or a table is
    /// too large.
    fn tracker_from(p: &'m Program, d: Deps, cx: &TabulateCx) -> Option<Self> {
        if d.trackers.count_ones() != 1 || d.state_time || d.attributes || !d.model_time {
            return None;
        }
        let k = d.trackers.trailing_zeros() as usize;
        let from = settles_from(p, cx)?;
        let n_cycles = cx.model.settings.n_cycles;
        let tracker = &cx.model.trackers[k];
        let n_after = tracker.n_values(n_cycles);
        // Before `from`, the values reachable at boundary from − 1 at the latest.
        let n_before = if from == 0 {
            0
        } else {
            tracker.n_values(from - 1)
        };
        if n_after > MAX_TABULATED || n_before.checked_mul(from)? > MAX_TABULATED {
            return None;
        }
        let before = over_reach(tracker, n_before, from, |x, t| {
            cx.eval(p, t, 1, Some((k, x as u32)))
        });
        let after = (0..n_after)
            .map(|x| cx.eval(p, from, 1, Some((k, x as u32))))
            .collect();
        Some(Val::TrackerFrom {
            k,
            from,
            before,
            after,
        })
    }

    /// The table over one tracker's values (and model time), when the program reads no other
    /// tracker, not the time in state, and the table is not too large.
    fn by_tracker(p: &'m Program, d: Deps, cx: &TabulateCx) -> Option<Self> {
        if d.trackers.count_ones() != 1 || d.state_time {
            return None;
        }
        let k = d.trackers.trailing_zeros() as usize;
        let n_cycles = cx.model.settings.n_cycles;
        let n_values = cx.model.trackers[k].n_values(n_cycles);
        let (n_time, time_stride) = if d.model_time {
            (n_cycles + 1, 1)
        } else {
            (1, 0)
        };
        if n_values.checked_mul(n_time)? > MAX_TABULATED {
            return None;
        }
        let at = |x: usize, t: usize| cx.eval(p, t, 1, Some((k, x as u32)));
        let v = if d.model_time {
            over_reach(&cx.model.trackers[k], n_values, n_time, at)
        } else {
            (0..n_values).map(|x| at(x, 0)).collect()
        };
        Some(Val::ByTracker {
            k,
            n_time,
            time_stride,
            v,
        })
    }

    /// The value for an individual at its boundary. The table reads most payoffs are, and
    /// constants, are read where they are asked for; the rest is a call.
    #[inline(always)]
    pub(crate) fn get(&self, env: &IndEnv) -> f64 {
        match self {
            Val::Const(x) => *x,
            Val::ByModelTime(v) => v[env.t],
            Val::ByStateTime(v) => v[env.state_time - 1],
            _ => self.get_other(env),
        }
    }

    /// The value for every variant, so the match stays whole; `get` answers the three it
    /// reads inline before calling this.
    #[inline(never)]
    fn get_other(&self, env: &IndEnv) -> f64 {
        match self {
            Val::Const(x) => *x,
            Val::ByModelTime(v) => v[env.t],
            Val::ByStateTime(v) => v[env.state_time - 1],
            Val::ByBoth(v) => v[env.t * v.len().isqrt() + env.state_time - 1],
            Val::ByTracker {
                k,
                n_time,
                time_stride,
                v,
            } => v[env.tracks[*k] as usize * n_time + env.t * time_stride],
            Val::Dyn(p) => p.eval(env),
            Val::Memo(m) => m.get(env),
            Val::KnownFrom { from, value, inner } => {
                if env.t >= *from {
                    *value
                } else {
                    inner.get(env)
                }
            }
            Val::Var(i) => env.var(*i),
            Val::TrackerFrom {
                k,
                from,
                before,
                after,
            } => {
                let x = env.tracks[*k] as usize;
                if env.t >= *from {
                    after[x]
                } else {
                    before[x * from + env.t]
                }
            }
            Val::KnownByStateTime { known, tail, inner } => {
                if let Some((s, v)) = tail
                    && env.state_time >= *s
                {
                    return *v;
                }
                match known.get(env.state_time - 1) {
                    Some(Some(v)) => *v,
                    _ => inner.get(env),
                }
            }
        }
    }

    /// For a probability of a steady row (`prepare::steady_row`) got at boundary `t` with
    /// time in state `s`: the first later boundary of the stay at which it can have another
    /// value, other than through the memoised values it reads (`usize::MAX`: none). A value
    /// known by time in state holds while the known value does (at most `MAX_KNOWN_STATE_TIME`
    /// steps to look at); where it is not known it is evaluated, and holds one boundary.
    pub(crate) fn steady_until(&self, t: usize, s: usize) -> usize {
        match self {
            Val::Const(_) | Val::Var(_) | Val::Memo(_) => usize::MAX,
            Val::KnownFrom { from, inner, .. } => {
                if t >= *from {
                    usize::MAX
                } else {
                    (*from).min(inner.steady_until(t, s))
                }
            }
            Val::KnownByStateTime { known, tail, .. } => {
                // The known value's bits at time in state s, `None` where it is evaluated.
                let at = |s: usize| match tail {
                    Some((s0, v)) if s >= *s0 => Some(v.to_bits()),
                    _ => known.get(s - 1).copied().flatten().map(f64::to_bits),
                };
                let now = at(s);
                if now.is_none() {
                    return t + 1;
                }
                // From the last time in state listed, or the tail's start, on, nothing changes.
                let last = (known.len() + 1).max(tail.map_or(0, |(s0, _)| s0));
                (s + 1..=last)
                    .find(|&s1| at(s1) != now)
                    .map_or(usize::MAX, |s1| t + (s1 - s))
            }
            _ => t + 1,
        }
    }

    /// Whether the value `j` cycles into a stay follows from the readings where it starts
    /// (`Val::along`): a constant, or a table over model time, time in state or a tracker.
    pub(super) fn follows_stay(&self) -> bool {
        matches!(
            self,
            Val::Const(_)
                | Val::ByModelTime(_)
                | Val::ByStateTime(_)
                | Val::ByBoth(_)
                | Val::ByTracker { .. }
                | Val::TrackerFrom { .. }
        )
    }

    /// Every value of a value that follows a stay (`follows_stay`), for checking them once.
    pub(super) fn table_values(&self) -> Vec<f64> {
        match self {
            Val::Const(x) => vec![*x],
            Val::ByModelTime(v)
            | Val::ByStateTime(v)
            | Val::ByBoth(v)
            | Val::ByTracker { v, .. } => v.to_vec(),
            Val::TrackerFrom { before, after, .. } => {
                before.iter().chain(after.iter()).copied().collect()
            }
            _ => vec![f64::NAN],
        }
    }

    /// For a value that follows a stay (`follows_stay`): its value `j` cycles after boundary
    /// `t`, where time in state is `s` and the trackers read `tracks`, each moving by
    /// `steps[k].0` a cycle in the state up to `steps[k].1` (NaN for any other value).
    #[inline(always)]
    pub(crate) fn along(
        &self,
        t: usize,
        s: usize,
        tracks: &[u32],
        steps: &[(u32, u32)],
        j: usize,
    ) -> f64 {
        let at = |k: usize| {
            let (step, max) = steps[k];
            (u64::from(tracks[k]) + u64::from(step) * j as u64).min(u64::from(max)) as usize
        };
        match self {
            Val::Const(x) => *x,
            Val::ByModelTime(v) => v[t + j],
            Val::ByStateTime(v) => v[s + j - 1],
            Val::ByBoth(v) => v[(t + j) * v.len().isqrt() + s + j - 1],
            Val::ByTracker {
                k,
                n_time,
                time_stride,
                v,
            } => v[at(*k) * n_time + (t + j) * time_stride],
            Val::TrackerFrom {
                k,
                from,
                before,
                after,
            } => {
                let x = at(*k);
                if t + j >= *from {
                    after[x]
                } else {
                    before[x * from + t + j]
                }
            }
            _ => f64::NAN,
        }
    }

    /// Whether getting the value reads the per-individual variable array (time,
    /// attributes, individual-level variables), which the kernel must then fill each cycle.
    pub(super) fn reads_vars(&self) -> bool {
        match self {
            Val::Dyn(_) | Val::Memo(_) | Val::Var(_) => true,
            Val::KnownFrom { inner, .. } | Val::KnownByStateTime { inner, .. } => {
                inner.reads_vars()
            }
            Val::Const(_)
            | Val::ByModelTime(_)
            | Val::ByStateTime(_)
            | Val::ByBoth(_)
            | Val::ByTracker { .. }
            | Val::TrackerFrom { .. } => false,
        }
    }

    /// The boundary from which the value is one number for everyone, and that number: 0 for
    /// a constant, the boundary where a table over model time stops changing (its last
    /// value's bits), the boundary of a value known from one. `None` for the rest.
    pub(super) fn fixed_from(&self) -> Option<(usize, f64)> {
        match self {
            Val::Const(x) => Some((0, *x)),
            Val::ByModelTime(v) => {
                let last = *v.last()?;
                let changes = v.iter().rposition(|x| x.to_bits() != last.to_bits());
                Some((changes.map_or(0, |i| i + 1), last))
            }
            Val::KnownFrom { from, value, .. } => Some((*from, *value)),
            _ => None,
        }
    }

    /// The boundary from which the value depends on model time alone (`at_time`).
    pub(super) fn time_only_from(&self) -> Option<usize> {
        match self {
            Val::Const(_) | Val::ByModelTime(_) => Some(0),
            Val::KnownFrom { from, .. } => Some(*from),
            _ => None,
        }
    }

    /// The value at boundary `t`, from `time_only_from` on.
    pub(super) fn at_time(&self, t: usize) -> f64 {
        match self {
            Val::Const(x) => *x,
            Val::ByModelTime(v) => v[t],
            Val::KnownFrom { from, value, .. } if t >= *from => *value,
            _ => f64::NAN,
        }
    }

    /// A variable's value, with what is evaluated per individual memoised where that can
    /// pay (`MemoPlan`).
    fn memoised(self, model: &'m Model, j: usize, vals: &[Val]) -> Val<'m> {
        let memo = |p: &'m Program| {
            MemoPlan::new(model, j, p, &|k| lasting(vals, k))
                .map_or(Val::Dyn(p), |m| Val::Memo(Box::new(m)))
        };
        match self {
            Val::Dyn(p) => memo(p),
            Val::KnownFrom { from, value, inner } => match *inner {
                Val::Dyn(p) => Val::KnownFrom {
                    from,
                    value,
                    inner: Box::new(memo(p)),
                },
                inner => Val::KnownFrom {
                    from,
                    value,
                    inner: Box::new(inner),
                },
            },
            tabulated => tabulated,
        }
    }

    pub(super) fn as_const(&self) -> Option<f64> {
        match self {
            Val::Const(x) => Some(*x),
            _ => None,
        }
    }
}

/// What tabulation needs: the parameter values, the variables prepared so far and a
/// scratch environment.
pub(super) struct TabulateCx<'a, 'm> {
    pub(super) model: &'m Model,
    pub(super) params: &'a [f64],
    pub(super) variable_deps: &'a [Deps],
    pub(super) scratch: Scratch,
    /// Every individual-level variable: its prepared value once `prepare_variables` has
    /// reached it, else its program.
    pub(super) vals: Vec<Val<'m>>,
    /// Tracker values (all at 0 but the one a table is indexed by).
    pub(super) tracks: std::cell::RefCell<Vec<u32>>,
}

impl<'a, 'm> TabulateCx<'a, 'm> {
    pub(super) fn new(
        model: &'m Model,
        params: &'a [f64],
        variable_deps: &'a [Deps],
    ) -> TabulateCx<'a, 'm> {
        TabulateCx {
            model,
            params,
            variable_deps,
            scratch: Scratch::new(model),
            vals: model
                .variables
                .iter()
                .map(|v| Val::Dyn(&v.program))
                .collect(),
            tracks: std::cell::RefCell::new(vec![0; model.trackers.len()]),
        }
    }

    /// Prepare every individual-level variable, each after the variables it reads, so that
    /// a table reads the prepared values of the variables its program reads instead of
    /// evaluating them again at each entry (the same values to the last bit, so the same
    /// table). A variable evaluated per individual is memoised where that can pay.
    pub(super) fn prepare_variables(&mut self) {
        let model = self.model;
        let first = model.first_variable();
        let mut done = vec![false; model.variables.len()];
        // Depth-first in reading order; validation guarantees the variables form a DAG.
        fn visit(cx: &mut TabulateCx, j: usize, first: usize, done: &mut [bool]) {
            if done[j] {
                return;
            }
            done[j] = true;
            let program = &cx.model.variables[j].program;
            for v in program.vars() {
                if let Some(k) = v.checked_sub(first) {
                    visit(cx, k, first, done);
                }
            }
            let val = Val::new(program, cx).memoised(cx.model, j, &cx.vals);
            cx.vals[j] = val;
        }
        for j in 0..model.variables.len() {
            visit(self, j, first, &mut done);
        }
    }

    /// The program at boundary `t` and `state_time`, with tracker `k` at a value.
    pub(super) fn eval(
        &self,
        p: &Program,
        t: usize,
        state_time: usize,
        tracker: Option<(usize, u32)>,
    ) -> f64 {
        let mut vars = self.scratch.vars.borrow_mut();
        let mut tracks = self.tracks.borrow_mut();
        let dt = self.model.settings.cycle_years();
        set_time(&mut vars, None, t, state_time, dt);
        tracks.fill(0);
        if let Some((k, x)) = tracker {
            tracks[k] = x;
        }
        crate::model::tracker::write(&self.model.trackers, &tracks, dt, &mut vars);
        self.scratch.reset();
        let env = IndEnv {
            params: self.params,
            vars: &vars,
            tables: &self.model.tables,
            var_vals: &self.vals,
            tracks: &tracks,
            memo: &self.scratch.memo,
            cache: &self.scratch.cache,
            valid: &self.scratch.valid,
            t,
            state_time,
            age: None,
            dt,
        };
        p.eval(&env)
    }
}

/// A table over a tracker's values `x < n_values` and boundaries `t < n_time`, entry
/// `x · n_time + t`: `at(x, t)` where the tracker can have value x at boundary t (it gains at
/// most one a cycle: `Tracker::n_values(t)`), and elsewhere a copy of the entry of the
/// largest value it can have there. The kernel and the walks read a tracker's value at a
/// boundary where it can have it, so the copies are never read; they keep every entry one
/// the table can give, for the checks of its values (`Val::table_values`), and save
/// evaluating the program at about half the entries.
fn over_reach(
    tracker: &crate::model::Tracker,
    n_values: usize,
    n_time: usize,
    at: impl Fn(usize, usize) -> f64,
) -> Box<[f64]> {
    let mut v = vec![0.0; n_values * n_time];
    for t in 0..n_time {
        let reach = tracker.n_values(t).min(n_values);
        for x in 0..n_values {
            v[x * n_time + t] = if x < reach {
                at(x, t)
            } else {
                v[(reach - 1) * n_time + t]
            };
        }
    }
    v.into()
}

/// Whether prepared variable `k` holds its value until a boundary: `Some(None)` for a
/// constant, `Some(Some((k, usize::MAX)))` for a lasting memo (its id is its index),
/// `Some(Some((k, from)))` for one of these (a constant or lasting memo) before boundary
/// `from` and one value for everyone from there on (`Val::KnownFrom`), `None` otherwise.
pub(super) fn lasting(vals: &[Val], k: usize) -> Option<Option<(usize, usize)>> {
    match vals.get(k)? {
        Val::Const(_) => Some(None),
        Val::Memo(m) if m.is_lasting() => Some(Some((k, usize::MAX))),
        // Memo id k holds nothing when the variable is not memoised: then only `from` bounds.
        Val::KnownFrom { from, inner, .. } => match &**inner {
            Val::Const(_) => Some(Some((k, *from))),
            Val::Memo(m) if m.is_lasting() => Some(Some((k, *from))),
            _ => None,
        },
        _ => None,
    }
}

/// The boundary from which the interval evaluation of `p` (model time from there on,
/// everything individual unknown) gives one value, and that value: the smallest such
/// boundary, by bisection (knowing more as model time grows). `None` when even the last
/// boundary leaves the value open.
pub(super) fn known_from_boundary(p: &Program, cx: &TabulateCx) -> Option<(usize, f64)> {
    first_known(0, cx.model.settings.n_cycles, |t| {
        p.bounds(&FromBoundary {
            model: cx.model,
            params: cx.params,
            t,
            state_time: None,
        })
        .as_point()
    })
}

/// The interval evaluation of `p` with time in state from `lo` to `hi`, model time from
/// boundary 0 on and everything individual unknown: its value, when that is one number.
fn state_time_bounds(p: &Program, cx: &TabulateCx, lo: usize, hi: f64) -> Option<f64> {
    p.bounds(&FromBoundary {
        model: cx.model,
        params: cx.params,
        t: 0,
        state_time: Some((lo, hi)),
    })
    .as_point()
}

/// The time in state from which `p` is one value for everyone, and that value (found by
/// bisection, as `known_from_boundary`).
pub(super) fn state_time_tail(p: &Program, cx: &TabulateCx) -> Option<(usize, f64)> {
    let n = cx.model.settings.n_cycles + 1;
    first_known(1, n, |s| state_time_bounds(p, cx, s, f64::INFINITY))
}

/// The smallest `i` in `lo..=last` where `at(i)` is the value `at(last)`, when `at` knows
/// more as `i` grows (once known, known with the same value from there on): found by
/// bisection. `None` when `at(last)` is.
fn first_known(lo: usize, last: usize, at: impl Fn(usize) -> Option<f64>) -> Option<(usize, f64)> {
    let value = at(last)?;
    let (mut lo, mut hi) = (lo.min(last), last);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if at(mid).is_some() {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    match at(lo) {
        Some(x) if x.to_bits() == value.to_bits() => Some((lo, value)),
        _ => None,
    }
}

/// The boundary from which every input of `p` that changes with model time stops
/// changing: `p` reads model time only through individual-level variables, each of which
/// either reads model time alone and is known for everyone from a boundary on
/// (`known_from_boundary`), or settles in the same way through its own variables. `None`
/// when `p` reads model time or age directly, or an input never settles.
fn settles_from(p: &Program, cx: &TabulateCx) -> Option<usize> {
    let model = cx.model;
    let first = model.first_variable();
    let age = model.population.age.map(|a| var::FIRST_ATTRIBUTE + a);
    let mut from = 0;
    for v in p.vars() {
        if matches!(v, var::MODEL_TIME | var::MODEL_YEARS) || Some(v) == age {
            return None;
        }
        let Some(j) = v.checked_sub(first) else {
            continue;
        };
        let d = cx.variable_deps[j];
        if !d.model_time {
            continue;
        }
        let q = &model.variables[j].program;
        let only_time = !d.state_time && !d.attributes && d.trackers == 0;
        let f = if only_time {
            known_from_boundary(q, cx)?.0
        } else {
            settles_from(q, cx)?
        };
        from = from.max(f);
    }
    Some(from)
}
