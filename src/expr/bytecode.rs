//! Bytecode: the stack machine's instructions, their pure operations, and the static bound on
//! the stack depth a sequence of instructions can reach.

use super::functions::{
    cum_prob_to_cycle, from_bool, hr_prob, nan_or, prob_to_rate, rate_to_prob, truthy,
};

/// A pure operation on the top stack value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Un {
    Neg,
    Not,
    /// Normalises a value to `1.0`/`0.0`; used for the right operand of `&&`/`||`.
    Truthy,
    Exp,
    Log,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Odds,
    OddsToProb,
    /// `rate_to_prob(r, cycle)` with the cycle length baked in.
    CycleProb(f64),
}

impl Un {
    /// The operation's value at `x`.
    pub(super) fn apply(self, x: f64) -> f64 {
        match self {
            Un::Neg => -x,
            Un::Not => from_bool(!truthy(x)),
            Un::Truthy => from_bool(truthy(x)),
            Un::Exp => x.exp(),
            Un::Log => x.ln(),
            Un::Sqrt => x.sqrt(),
            Un::Abs => x.abs(),
            Un::Floor => x.floor(),
            Un::Ceil => x.ceil(),
            Un::Odds => x / (1.0 - x),
            Un::OddsToProb => x / (1.0 + x),
            Un::CycleProb(cycle) => rate_to_prob(x, cycle),
        }
    }
}

/// A pure operation on the top two stack values (`a` below `b`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Min,
    Max,
    ProbToRate,
    RateToProb,
    HrProb,
    /// `cum_prob_to_cycle(p, t)` with the cycle length baked in.
    CumProbToCycle(f64),
}

impl Bin {
    /// The operation's value at `a` (below) and `b` (top).
    pub(super) fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Bin::Add => a + b,
            Bin::Sub => a - b,
            Bin::Mul => a * b,
            Bin::Div => a / b,
            Bin::Pow => a.powf(b),
            Bin::Eq => from_bool(a == b),
            Bin::Ne => from_bool(a != b),
            Bin::Lt => from_bool(a < b),
            Bin::Le => from_bool(a <= b),
            Bin::Gt => from_bool(a > b),
            Bin::Ge => from_bool(a >= b),
            Bin::Min => nan_or(a, b, f64::min),
            Bin::Max => nan_or(a, b, f64::max),
            Bin::ProbToRate => prob_to_rate(a, b),
            Bin::RateToProb => rate_to_prob(a, b),
            Bin::HrProb => hr_prob(a, b),
            Bin::CumProbToCycle(cycle) => cum_prob_to_cycle(a, b, cycle),
        }
    }
}

/// One instruction of a stack machine. Jump offsets are relative to the next instruction and
/// always forward, which lets the compiler drop or move whole sub-programs when folding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Op {
    Const(f64),
    Param(usize),
    Var(usize),
    Unary(Un),
    Binary(Bin),
    /// Replaces `lambda, k, t` with `weibull_surv(lambda, k, t)`.
    WeibullSurv,
    /// Replaces the top `argc` values with `Env::lookup(table, those values)`.
    Lookup {
        table: usize,
        argc: usize,
    },
    /// Skips the given number of instructions.
    Jump(usize),
    /// Pops the condition and skips if it is false.
    JumpIfFalse(usize),
    /// `&&`: if the top is false, replaces it with `0.0` and skips; otherwise pops it.
    AndJump(usize),
    /// `||`: if the top is true, replaces it with `1.0` and skips; otherwise pops it.
    OrJump(usize),
}

/// Computes the largest stack depth any execution of `ops` reaches.
///
/// Every jump is forward, so a single pass sees each jump before its target.
pub(super) fn max_stack_depth(ops: &[Op]) -> usize {
    let mut at_target: Vec<Option<usize>> = vec![None; ops.len() + 1];
    // `None` right after an unconditional jump: the next instruction is only reached by jumps.
    let mut fallthrough = Some(0usize);
    let mut max = 0;
    for (pc, op) in ops.iter().enumerate() {
        let depth = fallthrough.or(at_target[pc]).unwrap_or(0);
        let mut jump_to = |n: usize, d: usize| {
            if let Some(slot) = at_target.get_mut(pc + 1 + n) {
                *slot = Some(d);
            }
        };
        let after = match *op {
            Op::Const(_) | Op::Param(_) | Op::Var(_) => depth + 1,
            Op::Unary(_) => depth,
            Op::Binary(_) => depth.saturating_sub(1),
            Op::WeibullSurv => depth.saturating_sub(2),
            Op::Lookup { argc, .. } => (depth + 1).saturating_sub(argc),
            Op::Jump(n) => {
                jump_to(n, depth);
                fallthrough = None;
                continue;
            }
            Op::JumpIfFalse(n) => {
                jump_to(n, depth.saturating_sub(1));
                depth.saturating_sub(1)
            }
            Op::AndJump(n) | Op::OrJump(n) => {
                jump_to(n, depth);
                depth.saturating_sub(1)
            }
        };
        max = max.max(after);
        fallthrough = Some(after);
    }
    max
}
