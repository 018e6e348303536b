//! Memoised individual-level variables: a variable that differs between individuals is
//! evaluated again only when one of its inputs (`Program::inputs`) changes.
//!
//! The flagship's death probabilities read `age`, which changes every cycle, but only as the
//! key of a step life table: their inputs are the table's value, which changes once a year of
//! age, so the rate conversions behind them run once a year instead of once a cycle. In the
//! same way the friction-cost productivity loss reads age and model time only in comparisons
//! (`age < retirement_age && model_time <= n_friction_weeks`): its inputs are whether each
//! holds, which changes at most at the pension age and the end of the friction period. Where
//! the one input is a lookup, the value at each row of the table is kept for the parameter set
//! once an individual has read that row (`ByRow`), so the next individual to reach the row
//! reads it instead of evaluating the program again. A value
//! is reused only when every input has the same bits as when it was computed, for the same
//! individual and strategy, so it is the value a new evaluation would give.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::expr::{Cmp, Env, Input, Key, Program};
use crate::model::{Model, var};

use super::prepare::IndEnv;

/// Most memoised values per strategy: one bit each in `Memo::valid` (the scenario format
/// allows at most this many variables, `model::MAX_VARIABLES`).
pub(crate) const MAX_MEMOS: usize = 64;

/// Most inputs of a memoised variable.
const MAX_INPUTS: usize = 8;
/// Most keys of a lookup among them.
const MAX_KEYS: usize = 4;

/// How one variable is memoised.
#[derive(Clone, Debug)]
pub(crate) struct MemoPlan<'m> {
    program: &'m Program,
    /// The variable's index (`Model::variables`), which places its memo.
    id: usize,
    inputs: Box<[Input]>,
    /// Whether every input is fixed for the individual (attributes other than age,
    /// parameters, constants) but for age as the numeric key of lookups, age and model time
    /// compared with a parameter or constant, and variables that are themselves held until a
    /// boundary: then the value holds until age leaves the rows those lookups read, one of
    /// those comparisons turns, or one of those variables changes, a boundary computed once
    /// when the value is (`lasting_until`), and a cycle within it checks nothing else.
    lasting: bool,
    /// Slot of the age attribute, if the population has one.
    age: Option<usize>,
    /// For a `lasting` plan: the lasting variables among its inputs, by id and the boundary
    /// from which they are one value for everyone (`Val::KnownFrom`; `usize::MAX` for none),
    /// whose own boundaries bound its own.
    lasting_vars: Box<[(usize, usize)]>,
    /// When the one input is a table lookup: the value at each row of the table
    /// (`Table::row_values`), for the parameter set the plan belongs to.
    by_row: Option<ByRow>,
}

/// A program's value at each row of the one table lookup it depends on, filled in as
/// individuals first read each row: a parameter set evaluates it once a row, not once an
/// individual and year of age. The program depends on nothing else that differs between
/// individuals or boundaries (`Program::inputs`), so the value at a row is the value of any
/// evaluation that reads that row; threads that fill the same row store the same bits.
#[derive(Debug)]
struct ByRow {
    /// The value's bits, `UNSET` where no one has read the row yet.
    values: Box<[AtomicU64]>,
}

/// A NaN with every bit set: no arithmetic makes it from the values a scenario can hold, and
/// a program that did would only be evaluated each time.
const UNSET: u64 = u64::MAX;

impl ByRow {
    /// Cells for a program whose one input is a lookup of a table that gives its rows' values
    /// as they are (a step table, or one without a numeric key: `Table::gives_rows`).
    fn of(model: &Model, inputs: &[Input]) -> Option<ByRow> {
        let [Input::Lookup { table, .. }] = inputs else {
            return None;
        };
        let t = &model.tables[*table];
        t.gives_rows().then(|| ByRow {
            values: t.row_values().map(|_| AtomicU64::new(UNSET)).collect(),
        })
    }
}

impl Clone for ByRow {
    fn clone(&self) -> Self {
        ByRow {
            values: self
                .values
                .iter()
                .map(|v| AtomicU64::new(v.load(Ordering::Relaxed)))
                .collect(),
        }
    }
}

/// How a variable that only grows with the boundary is computed at boundary u, as `set_time`
/// computes it: `a + u · b` (model time u + 1, model years u · Δt, age age₀ + u · Δt).
#[derive(Clone, Copy)]
enum Growth {
    ModelTime,
    ModelYears,
    Age,
}

impl Growth {
    #[inline]
    fn at(self, u: usize, age0: f64, dt: f64) -> f64 {
        match self {
            Growth::ModelTime => (u + 1) as f64,
            Growth::ModelYears => u as f64 * dt,
            Growth::Age => age0 + u as f64 * dt,
        }
    }

    /// The first boundary after `t` at which `x cmp c` differs from what it is at `t`, for
    /// x this variable (`usize::MAX` when it never does). Every comparison of a value that
    /// does not decrease with u is a function of one or two predicates that turn at most
    /// once, from false to true: x ≥ c (for <, ≥, = and ≠) and x > c (for ≤, >, = and ≠).
    fn turns(self, cmp: Cmp, c: f64, t: usize, age0: f64, dt: f64) -> usize {
        let (ge, gt) = match cmp {
            Cmp::Lt | Cmp::Ge => (true, false),
            Cmp::Le | Cmp::Gt => (false, true),
            Cmp::Eq | Cmp::Ne => (true, true),
        };
        let at = |u: usize| self.at(u, age0, dt);
        let first = |strict: bool| {
            let p = |u: usize| if strict { at(u) > c } else { at(u) >= c };
            if p(t) {
                return usize::MAX;
            }
            let (a, b) = match self {
                Growth::ModelTime => (1.0, 1.0),
                Growth::ModelYears => (0.0, dt),
                Growth::Age => (age0, dt),
            };
            // A first guess from the arithmetic (none when the value never reaches c: c is
            // NaN or infinite, or the variable does not grow), then the exact boundary by
            // the arithmetic `set_time` uses. A guess that is far off falls back to t + 1,
            // which only evaluates the value again sooner.
            let guess = ((c - a) / b).ceil();
            if guess.is_nan() || guess >= 1e15_f64.min(usize::MAX as f64 / 2.0) || b <= 0.0 {
                return usize::MAX;
            }
            let mut u = if guess > (t + 1) as f64 {
                guess as usize
            } else {
                t + 1
            };
            for _ in 0..64 {
                if u > t + 1 && p(u - 1) {
                    u -= 1;
                } else if !p(u) {
                    u += 1;
                } else {
                    return u;
                }
            }
            t + 1
        };
        let mut until = usize::MAX;
        if ge {
            until = until.min(first(false));
        }
        if gt {
            until = until.min(first(true));
        }
        until
    }
}

impl<'m> MemoPlan<'m> {
    /// The plan for variable `id`, unless memoising cannot pay: an input that changes every
    /// cycle (model or state time, age) or more inputs or lookup keys than the memo holds;
    /// a comparison of one with a parameter or constant is an input that changes rarely.
    /// `lasting_var(j)` says whether individual-level variable j holds its value until a
    /// boundary (a lasting plan's, with the boundary from which it is one value for everyone,
    /// or a constant's): an input that does keeps the plan lasting.
    pub(super) fn new(
        model: &Model,
        id: usize,
        program: &'m Program,
        lasting_var: &dyn Fn(usize) -> Option<Option<(usize, usize)>>,
    ) -> Option<Self> {
        let age = model.population.age.map(|a| var::FIRST_ATTRIBUTE + a);
        let changes = |v: usize| v < var::FIRST_ATTRIBUTE || Some(v) == age;
        let inputs = program.inputs();
        let fits = inputs.len() <= MAX_INPUTS
            && inputs.iter().all(|i| match i {
                Input::Var(v) => !changes(*v),
                Input::Lookup { keys, .. } => keys.len() <= MAX_KEYS,
                Input::Compare { .. } => true,
            });
        let first_tracker = model.first_tracker_slot();
        let fixed = |v: usize| (var::FIRST_ATTRIBUTE..first_tracker).contains(&v) && Some(v) != age;
        let first = model.first_variable();
        let mut lasting_vars = Vec::new();
        let lasting = inputs.iter().all(|i| match i {
            Input::Var(v) | Input::Compare { var: v, .. } if *v >= first => {
                match lasting_var(v - first) {
                    Some(memo) => {
                        lasting_vars.extend(memo);
                        true
                    }
                    None => false,
                }
            }
            Input::Var(v) => fixed(*v),
            Input::Compare { var, .. } => fixed(*var) || growth(*var, age).is_some(),
            Input::Lookup { keys, .. } => keys.iter().enumerate().all(|(n, k)| match k {
                Key::Var(v) => fixed(*v) || (n == 0 && Some(*v) == age),
                Key::Param(_) | Key::Const(_) => true,
            }),
        });
        fits.then(|| MemoPlan {
            program,
            id,
            by_row: ByRow::of(model, &inputs),
            inputs: inputs.into(),
            lasting,
            age,
            lasting_vars: lasting_vars.into(),
        })
    }

    /// Whether the value holds until a boundary computed when it is (`lasting_until`).
    pub(super) fn is_lasting(&self) -> bool {
        self.lasting
    }

    /// The program memoised.
    pub(super) fn program(&self) -> &'m Program {
        self.program
    }

    /// Where the value is held in the memo (`Memo::holds_until`).
    pub(super) fn id(&self) -> usize {
        self.id
    }

    /// The arguments of a lookup input, read from the environment.
    #[inline]
    fn args(keys: &[Key], env: &IndEnv) -> [f64; MAX_KEYS] {
        let mut args = [0.0; MAX_KEYS];
        for (a, k) in args.iter_mut().zip(keys) {
            *a = match *k {
                Key::Var(v) => env.var(v),
                Key::Param(p) => env.param(p),
                Key::Const(c) => c,
            };
        }
        args
    }

    /// For a `lasting` plan evaluated at boundary `env.t`: the first later boundary at which
    /// age has left the row of a lookup keyed by it, or a comparison of age or model time
    /// turns (`usize::MAX` when none does). Age and model time at boundary u are computed as
    /// `set_time` computes them (age₀ + u · Δt, u + 1), which never decrease with u, so every
    /// boundary before the one returned reads the same rows and comparisons.
    fn lasting_until(&self, env: &IndEnv) -> usize {
        let t = env.t;
        // A lasting variable among the inputs holds until its own boundary, and for good from
        // the one where it is one value for everyone.
        let mut until = self
            .lasting_vars
            .iter()
            .map(|&(id, from)| {
                if t >= from {
                    usize::MAX
                } else {
                    env.memo.holds_until(id, t).min(from)
                }
            })
            .min()
            .unwrap_or(usize::MAX);
        for input in &self.inputs {
            if let Input::Compare { var, cmp, other } = *input
                && let Some(g) = growth(var, self.age)
            {
                let age0 = env.age.map_or(0.0, |(_, a)| a);
                until = until.min(g.turns(cmp, other_value(other, env), t, age0, env.dt));
                continue;
            }
            let Input::Lookup { table, keys } = input else {
                continue;
            };
            if !matches!(keys.first(), Some(Key::Var(v)) if Some(*v) == self.age) {
                continue;
            }
            let Some((_, age0)) = env.age else {
                return t + 1;
            };
            let at = |u: usize| age0 + u as f64 * env.dt;
            let args = Self::args(keys, env);
            let (_, lo, hi) = env.tables[*table].lookup_span(&args[..keys.len()]);
            if !(lo <= at(t) && at(t) < hi) {
                return t + 1;
            }
            if hi == f64::INFINITY || env.dt <= 0.0 {
                continue;
            }
            // A first guess from the arithmetic, then the exact boundary by the same
            // arithmetic `set_time` uses.
            let guess = ((hi - age0) / env.dt).ceil();
            let mut u = if guess > (t + 1) as f64 && guess < 1e15 {
                guess as usize
            } else {
                t + 1
            };
            while u > t + 1 && at(u - 1) >= hi {
                u -= 1;
            }
            while at(u) < hi {
                u += 1;
            }
            until = until.min(u);
        }
        until
    }

    /// A new evaluation of the program: the value at the row of its one lookup where that row
    /// has been read before.
    #[inline]
    fn evaluate(&self, env: &IndEnv) -> f64 {
        let Some(by_row) = &self.by_row else {
            return self.program.eval(env);
        };
        // `ByRow::of` made cells only for a plan whose one input is this lookup.
        let Some(Input::Lookup { table, keys }) = self.inputs.first() else {
            return self.program.eval(env);
        };
        let args = Self::args(keys, env);
        let Some(cell) = env.tables[*table]
            .lookup_row(&args[..keys.len()])
            .and_then(|r| by_row.values.get(r))
        else {
            return self.program.eval(env);
        };
        let bits = cell.load(Ordering::Relaxed);
        if bits != UNSET {
            return f64::from_bits(bits);
        }
        let x = self.program.eval(env);
        cell.store(x.to_bits(), Ordering::Relaxed);
        x
    }

    /// The variable's value: the memo when every input is unchanged, else a new evaluation.
    #[inline]
    pub(super) fn get(&self, env: &IndEnv) -> f64 {
        let memo = env.memo;
        let bit = 1u64 << self.id;
        if self.lasting {
            if memo.held(self.id, env.t).is_some() {
                return memo.values[self.id].get();
            }
            let x = self.evaluate(env);
            memo.lasting[self.id].set((env.t, self.lasting_until(env)));
            memo.values[self.id].set(x);
            memo.valid.set(memo.valid.get() | bit);
            return x;
        }
        let keys = &memo.keys[self.id * MAX_INPUTS..(self.id + 1) * MAX_INPUTS];
        let mut hit = memo.valid.get() & bit != 0;
        let spans = &memo.spans[self.id * MAX_INPUTS..(self.id + 1) * MAX_INPUTS];
        for ((input, key), span) in self.inputs.iter().zip(keys).zip(spans) {
            let x = match input {
                Input::Var(v) => env.var(*v),
                Input::Compare { var, cmp, other } => {
                    f64::from(u8::from(cmp.holds(env.var(*var), other_value(*other, env))))
                }
                Input::Lookup { table, keys } => {
                    let args = Self::args(keys, env);
                    let last = span.get();
                    if last.holds(&args) {
                        // The same row as when `key` was read: the value is `key`'s.
                        continue;
                    }
                    let (x, lo, hi) = env.tables[*table].lookup_span(&args[..keys.len()]);
                    span.set(Span { lo, hi, args });
                    x
                }
            };
            if key.get().to_bits() != x.to_bits() {
                hit = false;
                key.set(x);
            }
        }
        if hit {
            return memo.values[self.id].get();
        }
        let x = self.evaluate(env);
        memo.values[self.id].set(x);
        memo.valid.set(memo.valid.get() | bit);
        x
    }
}

/// How variable slot `v` grows with the boundary, when it is model time, model years or age
/// (slot `age`): the variables whose comparisons a lasting plan follows.
fn growth(v: usize, age: Option<usize>) -> Option<Growth> {
    match v {
        var::MODEL_TIME => Some(Growth::ModelTime),
        var::MODEL_YEARS => Some(Growth::ModelYears),
        v if Some(v) == age => Some(Growth::Age),
        _ => None,
    }
}

/// The value a comparison input compares with.
#[inline]
fn other_value(other: Key, env: &IndEnv) -> f64 {
    match other {
        Key::Param(p) => env.param(p),
        Key::Const(c) => c,
        Key::Var(v) => env.var(v),
    }
}

/// Where a lookup input was last read: its arguments, and the span of the numeric one
/// (the first) over which the table gives the same value (`Table::lookup_span`).
#[derive(Clone, Copy, Debug)]
struct Span {
    lo: f64,
    hi: f64,
    args: [f64; MAX_KEYS],
}

impl Span {
    /// Nothing is inside it.
    const EMPTY: Span = Span {
        lo: f64::INFINITY,
        hi: f64::NEG_INFINITY,
        args: [0.0; MAX_KEYS],
    };

    /// Whether a lookup at `args` reads the same row: the numeric argument within the span,
    /// the categorical ones (and unused slots, always 0) the same bits.
    #[inline]
    fn holds(&self, args: &[f64; MAX_KEYS]) -> bool {
        self.lo <= args[0]
            && args[0] < self.hi
            && args[1..]
                .iter()
                .zip(&self.args[1..])
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

/// Per-worker memo of every variable's last inputs and value.
pub(crate) struct Memo {
    keys: Vec<Cell<f64>>,
    /// For an input that is a lookup: where it was last read, with its key in `keys`.
    spans: Vec<Cell<Span>>,
    values: Vec<Cell<f64>>,
    /// For a `lasting` plan: the boundaries `[since, until)` over which its value holds.
    lasting: Vec<Cell<(usize, usize)>>,
    /// One bit per variable whose memo holds a value.
    valid: Cell<u64>,
}

impl Memo {
    /// Room for `MAX_MEMOS` values: variables take the first ids, payoffs and probabilities
    /// written inline the rest (`memoise_inline`).
    pub(crate) fn new() -> Self {
        let n = MAX_MEMOS;
        Memo {
            keys: vec![Cell::new(0.0); n * MAX_INPUTS],
            spans: vec![Cell::new(Span::EMPTY); n * MAX_INPUTS],
            values: vec![Cell::new(0.0); n],
            lasting: vec![Cell::new((0, 0)); n],
            valid: Cell::new(0),
        }
    }

    /// For a lasting plan `id`: the boundary until which its held value holds, when it holds
    /// one that covers boundary `t`.
    #[inline]
    fn held(&self, id: usize, t: usize) -> Option<usize> {
        let (since, until) = self.lasting[id].get();
        (self.valid.get() & (1u64 << id) != 0 && since <= t && t < until).then_some(until)
    }

    /// The boundary until which the held value of lasting variable `id` holds, for an
    /// evaluation at boundary `t`: `usize::MAX` when it holds none that covers `t` (then the
    /// value was not read at `t`, and what it would be cannot matter there).
    #[inline]
    pub(crate) fn holds_until(&self, id: usize, t: usize) -> usize {
        self.held(id, t).unwrap_or(usize::MAX)
    }

    /// Forget every memo (a new individual, or another strategy's parameters).
    #[inline]
    pub(crate) fn clear(&self) {
        self.valid.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::{Cmp, Growth};

    const MONTH: f64 = 1.0 / 12.0;

    /// Age 66.5 in monthly cycles reaches 67 at boundary 6 (66.5 + 6/12 = 67 exactly): `<`
    /// and `>=` turn there, `<=` and `>` one boundary later, when age first exceeds 67.
    #[test]
    fn a_comparison_of_age_turns_where_age_first_reaches_the_value() {
        let turns = |cmp, t| Growth::Age.turns(cmp, 67.0, t, 66.5, MONTH);
        assert_eq!(66.5 + 6.0 * MONTH, 67.0);
        assert_eq!(turns(Cmp::Lt, 0), 6);
        assert_eq!(turns(Cmp::Ge, 3), 6);
        assert_eq!(turns(Cmp::Le, 0), 7);
        assert_eq!(turns(Cmp::Gt, 5), 7);
        // Once past, it never turns back: age only grows.
        assert_eq!(turns(Cmp::Lt, 6), usize::MAX);
        assert_eq!(turns(Cmp::Gt, 7), usize::MAX);
        // From far below, the guess from the arithmetic lands on the exact boundary: age 20
        // reaches 67 after 47 years, boundary 564.
        assert_eq!(Growth::Age.turns(Cmp::Lt, 67.0, 0, 20.0, MONTH), 564);
    }

    /// Model time at boundary u is u + 1: `model_time == 12` holds at boundary 11 only, so it
    /// turns at 11 and again at 12; `!=` the same.
    #[test]
    fn an_equality_turns_twice() {
        let turns = |cmp, t| Growth::ModelTime.turns(cmp, 12.0, t, 0.0, MONTH);
        for cmp in [Cmp::Eq, Cmp::Ne] {
            assert_eq!(turns(cmp, 0), 11);
            assert_eq!(turns(cmp, 11), 12);
            assert_eq!(turns(cmp, 12), usize::MAX);
        }
        // Model years at boundary u are u / 12: 4 years are reached at boundary 48.
        assert_eq!(Growth::ModelYears.turns(Cmp::Ge, 4.0, 0, 0.0, MONTH), 48);
    }

    /// The value compared is the one `set_time` writes, at every boundary.
    #[test]
    fn the_values_compared_are_those_set_time_writes() {
        use crate::model::var;
        let (slot, age0, dt) = (2, 41.3, 1.0 / 52.0);
        let mut vars = vec![0.0; var::FIRST_ATTRIBUTE + 3];
        for u in [0, 1, 7, 52, 1000, 5323] {
            super::super::prepare::set_time(&mut vars, Some((slot, age0)), u, 1, dt);
            let at = |g: Growth| g.at(u, age0, dt).to_bits();
            assert_eq!(at(Growth::ModelTime), vars[var::MODEL_TIME].to_bits());
            assert_eq!(at(Growth::ModelYears), vars[var::MODEL_YEARS].to_bits());
            assert_eq!(at(Growth::Age), vars[var::FIRST_ATTRIBUTE + slot].to_bits());
        }
    }

    /// For cycles of 1/13 year (four weeks) and ages from 40 to 89.6 in steps of 0.37, the
    /// boundary found for an ordering is the first where the comparison differs, by brute
    /// force over the boundaries; for an equality, never later than that.
    #[test]
    fn the_boundary_found_is_the_first_where_the_comparison_differs() {
        let dt = 1.0 / 13.0;
        for cmp in [Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge, Cmp::Eq, Cmp::Ne] {
            for i in 0..135 {
                let age0 = 40.0 + f64::from(i) * 0.37;
                for (t, c) in [(0, 67.0), (5, 67.0), (0, 65.0 + 5.0 / 13.0), (100, 80.5)] {
                    let at = |u: usize| cmp.holds(Growth::Age.at(u, age0, dt), c);
                    let brute = (t + 1..2000)
                        .find(|u| at(*u) != at(t))
                        .unwrap_or(usize::MAX);
                    let found = Growth::Age.turns(cmp, c, t, age0, dt);
                    let what = format!("{cmp:?} {c} from age {age0} at boundary {t}");
                    if matches!(cmp, Cmp::Eq | Cmp::Ne) {
                        // Where age passes c without equalling it, an equality is evaluated
                        // again there to no effect: early is safe, late would not be.
                        assert!(found <= brute, "{what}: {found} after {brute}");
                    } else {
                        assert_eq!(found, brute, "{what}");
                    }
                }
            }
        }
    }

    /// A comparison with NaN or infinity, or of a value that does not grow, never turns.
    #[test]
    fn a_comparison_that_cannot_turn_holds_for_good() {
        assert_eq!(
            Growth::Age.turns(Cmp::Lt, f64::NAN, 0, 50.0, MONTH),
            usize::MAX
        );
        assert_eq!(
            Growth::Age.turns(Cmp::Lt, f64::INFINITY, 0, 50.0, MONTH),
            usize::MAX
        );
        assert_eq!(Growth::Age.turns(Cmp::Lt, 67.0, 0, 50.0, 0.0), usize::MAX);
        assert_eq!(
            Growth::ModelTime.turns(Cmp::Gt, -3.0, 0, 0.0, MONTH),
            usize::MAX
        );
    }
}
