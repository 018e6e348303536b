//! What a program's value is known to be when some of its inputs are known only to lie in a
//! range: an interval evaluation of the bytecode. The engine asks it whether a program that
//! reads model time and something individual (age, time in state, a tracker) has one value
//! for everyone from some boundary on: `age < 67 && model_time <= 16` is 0 once model time is
//! past 16, whatever the age.
//!
//! Soundness is all that matters: a [`Range::Known`] result bounds every value the program
//! can take when each input lies in its range, and a single point is exactly the value a
//! concrete evaluation gives (the point is computed by the same operations on the same
//! numbers). Anything not handled is [`Range::Unknown`]: an operation on a range other than
//! a comparison, a branch on an undecided condition, a NaN.

use super::bytecode::{Bin, Op, Un};
use super::functions::{from_bool, truthy, weibull_surv};
use super::program::Program;

/// What is known of a value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Range {
    /// Every value lies in `[lo, hi]` (never NaN); `lo == hi` is a single known value.
    Known { lo: f64, hi: f64 },
    /// Nothing is known (the value may be anything, NaN included).
    Unknown,
}

impl Range {
    /// A single value (`Unknown` for NaN).
    pub fn point(x: f64) -> Range {
        if x.is_nan() {
            Range::Unknown
        } else {
            Range::Known { lo: x, hi: x }
        }
    }

    /// The value, when only one is possible.
    pub fn as_point(self) -> Option<f64> {
        match self {
            Range::Known { lo, hi } if lo.to_bits() == hi.to_bits() => Some(lo),
            _ => None,
        }
    }
}

/// The inputs of an interval evaluation.
pub trait Ranges {
    /// Value of parameter `i` (always known).
    fn param(&self, i: usize) -> f64;
    /// What is known of variable `i`.
    fn var(&self, i: usize) -> Range;
    /// Value of table `table` at known keys.
    fn lookup(&self, table: usize, args: &[f64]) -> f64;
}

/// Whether `a op b` holds for every pair of values in the ranges (`Some(true)`), for none
/// (`Some(false)`), or is undecided.
fn compare(op: Bin, a: (f64, f64), b: (f64, f64)) -> Option<bool> {
    let ((alo, ahi), (blo, bhi)) = (a, b);
    let (always, never) = match op {
        Bin::Lt => (ahi < blo, alo >= bhi),
        Bin::Le => (ahi <= blo, alo > bhi),
        Bin::Gt => (alo > bhi, ahi <= blo),
        Bin::Ge => (alo >= bhi, ahi < blo),
        Bin::Eq => (false, ahi < blo || bhi < alo),
        Bin::Ne => (ahi < blo || bhi < alo, false),
        _ => return None,
    };
    if always {
        Some(true)
    } else if never {
        Some(false)
    } else {
        None
    }
}

/// `&&` or `||` whose left operand was undecided: the right operand's value decides the
/// result only when it gives the value the left operand's short cut gives (0 for `&&`, 1
/// for `||`).
struct Pending {
    target: usize,
    and: bool,
}

impl Program {
    /// What is known of the program's value when its inputs lie in the ranges of `r`.
    pub fn bounds<R: Ranges>(&self, r: &R) -> Range {
        let mut stack: Vec<Range> = Vec::with_capacity(self.depth.max(1));
        let mut pending: Vec<Pending> = Vec::new();
        let mut pc = 0;
        loop {
            while let Some(p) = pending.last()
                && p.target == pc
            {
                let top = stack.last_mut();
                let settled: f64 = if p.and { 0.0 } else { 1.0 };
                if let Some(top) = top {
                    *top = match top.as_point() {
                        Some(x) if x.to_bits() == settled.to_bits() => Range::point(settled),
                        _ => Range::Unknown,
                    };
                }
                pending.pop();
            }
            let Some(&op) = self.ops.get(pc) else { break };
            pc += 1;
            match op {
                Op::Const(x) => stack.push(Range::point(x)),
                Op::Param(i) => stack.push(Range::point(r.param(i))),
                Op::Var(i) => stack.push(r.var(i)),
                Op::Unary(f) => {
                    let Some(top) = stack.last_mut() else {
                        return Range::Unknown;
                    };
                    *top = match (top.as_point(), *top, f) {
                        (Some(x), _, _) => Range::point(f.apply(x)),
                        (None, Range::Known { lo, hi }, Un::Truthy | Un::Not)
                            if lo > 0.0 || hi < 0.0 =>
                        {
                            Range::point(f.apply(1.0))
                        }
                        _ => Range::Unknown,
                    };
                }
                Op::Binary(f) => {
                    let (Some(b), Some(a)) = (stack.pop(), stack.pop()) else {
                        return Range::Unknown;
                    };
                    stack.push(match (a, b) {
                        (Range::Known { lo: alo, hi: ahi }, Range::Known { lo: blo, hi: bhi }) => {
                            match (a.as_point(), b.as_point()) {
                                (Some(x), Some(y)) => Range::point(f.apply(x, y)),
                                _ => compare(f, (alo, ahi), (blo, bhi))
                                    .map_or(Range::Unknown, |c| Range::point(from_bool(c))),
                            }
                        }
                        _ => Range::Unknown,
                    });
                }
                Op::WeibullSurv => {
                    let (Some(t), Some(k), Some(l)) = (stack.pop(), stack.pop(), stack.pop())
                    else {
                        return Range::Unknown;
                    };
                    stack.push(match (l.as_point(), k.as_point(), t.as_point()) {
                        (Some(l), Some(k), Some(t)) => Range::point(weibull_surv(l, k, t)),
                        _ => Range::Unknown,
                    });
                }
                Op::Lookup { table, argc } => {
                    let Some(base) = stack.len().checked_sub(argc) else {
                        return Range::Unknown;
                    };
                    let args: Option<Vec<f64>> =
                        stack[base..].iter().map(|v| v.as_point()).collect();
                    stack.truncate(base);
                    stack.push(args.map_or(Range::Unknown, |a| Range::point(r.lookup(table, &a))));
                }
                Op::Jump(n) => pc += n,
                Op::JumpIfFalse(n) => match stack.pop().and_then(Range::as_point) {
                    Some(c) if truthy(c) => {}
                    Some(_) => pc += n,
                    // An undecided branch: give up rather than join the two sides.
                    None => return Range::Unknown,
                },
                Op::AndJump(n) | Op::OrJump(n) => {
                    let and = matches!(op, Op::AndJump(_));
                    let Some(top) = stack.last().copied() else {
                        return Range::Unknown;
                    };
                    match top.as_point() {
                        Some(x) if truthy(x) != and => {
                            // The short cut: `0 && _` is 0, `1 || _` is 1.
                            if let Some(t) = stack.last_mut() {
                                *t = Range::point(from_bool(!and));
                            }
                            pc += n;
                        }
                        Some(_) => {
                            stack.pop();
                        }
                        None => {
                            stack.pop();
                            pending.push(Pending {
                                target: pc + n,
                                and,
                            });
                        }
                    }
                }
            }
        }
        stack.pop().unwrap_or(Range::Unknown)
    }
}
