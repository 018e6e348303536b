//! Arithmetic expression language for model inputs.
//!
//! Health economists write transition probabilities, costs and utilities as small formulas in
//! the YAML model definition, e.g. `1 - exp(-r_relapse * cycle_years) * hr_eko` or
//! `if(time_in_state >= 7, p_remission, 0)`. [`compile()`] parses such a formula, resolves its
//! names through a caller-supplied [`Resolver`] and produces a flat bytecode [`Program`] that
//! [`Program::eval`] runs against an [`Env`] without allocating, so it can sit in the inner loop
//! of the microsimulation.
//!
//! Grammar, lowest precedence first:
//!
//! ```text
//! expr    := or
//! or      := and ("||" and)*
//! and     := cmp ("&&" cmp)*
//! cmp     := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?   // non-associative
//! sum     := product (("+" | "-") product)*
//! product := unary (("*" | "/") unary)*
//! unary   := ("-" | "!") unary | power
//! power   := primary ("^" unary)?                                  // right-associative
//! primary := number | string | name | name "(" args? ")" | "(" expr ")"
//! ```
//!
//! Built-in functions (`Δ` is the cycle length in years from [`Resolver::cycle_years`]):
//!
//! | call | value |
//! |------|-------|
//! | `exp(x)`, `log(x)`, `sqrt(x)`, `abs(x)`, `floor(x)`, `ceil(x)`, `pow(x, y)` | as in `f64` (`log` is natural) |
//! | `min(a, ...)`, `max(a, ...)` | smallest / largest argument; NaN if any is NaN |
//! | `if(c, a, b)` | `a` if `c != 0`, else `b`; only the taken branch is evaluated |
//! | `prob_to_rate(p, t)` | `-ln(1 - p) / t` |
//! | `rate_to_prob(r, t)` | `1 - exp(-r t)` |
//! | `cycle_prob(r)` | `1 - exp(-r Δ)` |
//! | `odds(p)`, `odds_to_prob(o)` | `p / (1 - p)`, `o / (1 + o)` |
//! | `hr_prob(p, hr)` | `1 - (1 - p)^hr` |
//! | `cum_prob_to_cycle(p, t)` | `1 - (1 - p)^(Δ / t)` |
//! | `weibull_surv(lambda, k, t)` | `exp(-(lambda t)^k)` |
//! | `lookup(table, key, ...)` | [`Env::lookup`] of a table named by the resolver |
//!
//! The rate/probability conversions follow Fleurence RL, Hollenbeak CS (2007), "Rates and
//! probabilities in economic modelling", PharmacoEconomics 25(1):3–6.
//!
//! Comparisons and logical operators yield `1.0` or `0.0`; a value is true when it is `!= 0.0`
//! (so NaN counts as true). `&&`, `||` and `if` evaluate lazily. Arithmetic follows IEEE 754:
//! division by zero gives an infinity or NaN and the caller is expected to check results.
//! Sub-expressions that only involve literals and resolver constants are folded at compile time.
//!
//! # Layout and invariants
//!
//! The pipeline runs `lexer` → `parser` → `compile` → `program`; `functions` holds the
//! built-in functions and their numeric semantics, `bytecode` the instruction set the compiler
//! emits and the program runs, `error` the located [`ExprError`]. Each stage depends only on
//! earlier ones and on the API types declared here ([`Symbol`], [`Resolver`], [`Env`],
//! [`MAX_STACK`]); this file only re-exports from its children.
//!
//! - A [`Program`] only exists through [`compile()`] (or [`Program::constant`]), which proved
//!   that its evaluation never needs more than [`MAX_STACK`] slots; [`Program::eval`] relies on
//!   that and never allocates.
//! - Every error carries the byte span of the offending source text.
//!
//! This module depends on nothing in the crate but `crate::suggest`; it must not depend on
//! the scenario format, the engine or any other pipeline stage, which all depend on it.

mod bounds;
mod bytecode;
mod compile;
mod error;
mod functions;
mod lexer;
mod parser;
mod program;
mod uses;

#[cfg(test)]
mod tests;

pub use bounds::{Range, Ranges};
pub use compile::compile;
pub use error::ExprError;
pub use program::{Cmp, Input, Key, Program};
pub use uses::probability_names;

/// Maximum number of values that may be pending on the evaluation stack at once.
pub const MAX_STACK: usize = 64;

/// What a name in an expression refers to, as decided by the [`Resolver`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Symbol {
    /// A model parameter, read with [`Env::param`].
    Param(usize),
    /// A per-individual state variable, read with [`Env::var`].
    Var(usize),
    /// A lookup table taking `arity` keys, usable only as the first argument of `lookup`.
    Table {
        /// Index passed to [`Env::lookup`].
        index: usize,
        /// Number of keys the table expects.
        arity: usize,
    },
    /// A value known at compile time.
    Const(f64),
}

impl Symbol {
    /// Describes the kind of symbol for error messages, with an article.
    fn describe(self) -> &'static str {
        match self {
            Symbol::Param(_) => "a parameter",
            Symbol::Var(_) => "a variable",
            Symbol::Table { .. } => "a table",
            Symbol::Const(_) => "a constant",
        }
    }
}

/// Resolves the names used in an expression; the caller decides which names are allowed where.
pub trait Resolver {
    /// Returns what `name` refers to, or `None` if it is not allowed here.
    fn resolve(&self, name: &str) -> Option<Symbol>;
    /// Every name that `resolve` accepts, for "did you mean".
    fn names(&self) -> Vec<String>;
    /// For `var == "level"`: the numeric code of a categorical level of variable `var`, or None.
    ///
    /// Also returns `None` if the variable is not categorical.
    fn level(&self, var: usize, level: &str) -> Option<f64>;
    /// The levels of categorical variable `var` (listed in error messages), empty if it is not
    /// categorical.
    fn levels(&self, var: usize) -> Vec<String>;
    /// Cycle length in years, a compile-time constant for `cycle_prob` and `cum_prob_to_cycle`.
    fn cycle_years(&self) -> f64;
}

/// Supplies the values a compiled [`Program`] reads while evaluating.
pub trait Env {
    /// Value of parameter `i`.
    fn param(&self, i: usize) -> f64;
    /// Value of state variable `i`.
    fn var(&self, i: usize) -> f64;
    /// Value of table `table` at the given keys (as many as the table's arity).
    fn lookup(&self, table: usize, args: &[f64]) -> f64;
}
