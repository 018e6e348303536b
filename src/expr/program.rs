//! The compiled program and its allocation-free evaluation.

use super::bytecode::{Bin, Op, max_stack_depth};
use super::functions::{truthy, weibull_surv};
use super::{Env, MAX_STACK};

/// A compiled expression: flat bytecode plus the parameters, variables and tables it reads.
#[derive(Clone, Debug)]
pub struct Program {
    pub(super) ops: Vec<Op>,
    params: Vec<usize>,
    vars: Vec<usize>,
    tables: Vec<usize>,
    /// Largest stack depth any execution reaches (`max_stack_depth`).
    pub(super) depth: usize,
}

/// An operand pushed straight from a variable, a parameter or a constant: a key of a table
/// lookup or the other side of a comparison that `Program::inputs` groups, or the second
/// factor of `(1 - d) * r` (`Program::survivors_times`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Key {
    Var(usize),
    Param(usize),
    Const(f64),
}

impl Key {
    /// The operand an instruction pushes, when it pushes one straight.
    fn of(op: &Op) -> Option<Key> {
        match *op {
            Op::Var(v) => Some(Key::Var(v)),
            Op::Param(p) => Some(Key::Param(p)),
            Op::Const(c) => Some(Key::Const(c)),
            _ => None,
        }
    }
}

/// A comparison, with the variable on the left (`Input::Compare`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// Whether `a cmp b` holds, as the bytecode computes it (false with a NaN but for `Ne`).
    #[inline]
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }

    /// The comparison of a bytecode operation, when it is one.
    fn of(b: Bin) -> Option<Cmp> {
        Some(match b {
            Bin::Eq => Cmp::Eq,
            Bin::Ne => Cmp::Ne,
            Bin::Lt => Cmp::Lt,
            Bin::Le => Cmp::Le,
            Bin::Gt => Cmp::Gt,
            Bin::Ge => Cmp::Ge,
            _ => return None,
        })
    }

    /// The same comparison with its operands swapped: `a < b` is `b > a`.
    fn swapped(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            c => c,
        }
    }
}

/// Something a program's value depends on besides parameters and constants.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A variable whose value the program uses other than as a lookup key or in a
    /// comparison with a parameter or constant.
    Var(usize),
    /// A table lookup whose keys are read straight from variables, parameters or constants:
    /// the program uses those variables only through the lookup's result.
    Lookup { table: usize, keys: Vec<Key> },
    /// A comparison of a variable with a parameter or constant, `var cmp other`: the program
    /// uses this reading of the variable only through whether the comparison holds.
    Compare { var: usize, cmp: Cmp, other: Key },
}

/// Stack slots of the common case: most expressions need a handful, and a small array costs
/// a few stores to initialise where the full `MAX_STACK` costs a `memset` per evaluation.
const SMALL_STACK: usize = 8;

impl Program {
    /// Wraps compiled bytecode, recording the parameters, variables and tables it reads.
    pub(super) fn from_ops(ops: Vec<Op>) -> Program {
        let (mut params, mut vars, mut tables) = (Vec::new(), Vec::new(), Vec::new());
        // Collected from the final bytecode so references in folded-away branches don't count.
        for op in &ops {
            match *op {
                Op::Param(i) => params.push(i),
                Op::Var(i) => vars.push(i),
                Op::Lookup { table, .. } => tables.push(table),
                _ => {}
            }
        }
        for list in [&mut params, &mut vars, &mut tables] {
            list.sort_unstable();
            list.dedup();
        }
        let depth = max_stack_depth(&ops);
        Program {
            ops,
            params,
            vars,
            tables,
            depth,
        }
    }

    /// Returns a program that always evaluates to `value`.
    pub fn constant(value: f64) -> Program {
        Program::from_ops(vec![Op::Const(value)])
    }

    /// Returns the value if the program is a single constant (after compile-time folding).
    pub fn as_constant(&self) -> Option<f64> {
        match self.ops.as_slice() {
            [Op::Const(value)] => Some(*value),
            _ => None,
        }
    }

    /// For a program that is exactly `(1 - d) * r`, with `d` a variable and `r` a parameter, a
    /// variable or a constant: the variable `d` and the factor `r`. A transition written so is
    /// taken only by those who do not take the one whose probability is `d` (competing risks:
    /// the death probability, then the rest among survivors).
    pub fn survivors_times(&self) -> Option<(usize, Key)> {
        match self.ops.as_slice() {
            [
                Op::Const(one),
                Op::Var(d),
                Op::Binary(Bin::Sub),
                r,
                Op::Binary(Bin::Mul),
            ] if *one == 1.0 => Some((*d, Key::of(r)?)),
            _ => None,
        }
    }

    /// Distinct parameter indices the program reads, in ascending order.
    pub fn params(&self) -> impl Iterator<Item = usize> + '_ {
        self.params.iter().copied()
    }

    /// Distinct variable indices the program reads, in ascending order.
    pub fn vars(&self) -> impl Iterator<Item = usize> + '_ {
        self.vars.iter().copied()
    }

    /// Distinct table indices the program looks up, in ascending order.
    pub fn tables(&self) -> impl Iterator<Item = usize> + '_ {
        self.tables.iter().copied()
    }

    /// The variable a program consisting of one read of it reads (`x`, nothing else).
    pub fn single_var(&self) -> Option<usize> {
        match self.ops.as_slice() {
            [Op::Var(i)] => Some(*i),
            _ => None,
        }
    }

    /// Whether the program reads no variables, so its value is fixed once parameters are drawn.
    pub fn is_param_only(&self) -> bool {
        self.vars.is_empty()
    }

    /// What the program's value is a function of, besides parameters and constants: two
    /// evaluations whose inputs have the same values (bit for bit) give the same value. A
    /// lookup whose keys are pushed just before it, with no jump landing between them, stands
    /// for its keys, so a program that reads `age` only as the key of a step table depends on
    /// the table's row, not on every value of `age`. In the same way a variable pushed next to
    /// a parameter or constant and compared with it at once (`age < retirement_age`) stands
    /// for whether the comparison holds. Inputs are listed lookups first, then comparisons,
    /// then variables, in program order; a variable read twice is listed twice.
    pub fn inputs(&self) -> Vec<Input> {
        let ops = &self.ops;
        let mut landing = vec![false; ops.len() + 1];
        for (pc, op) in ops.iter().enumerate() {
            if let Op::Jump(n) | Op::JumpIfFalse(n) | Op::AndJump(n) | Op::OrJump(n) = *op
                && let Some(l) = landing.get_mut(pc + 1 + n)
            {
                *l = true;
            }
        }
        let mut grouped = vec![false; ops.len()];
        let mut inputs = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            let Op::Lookup { table, argc } = *op else {
                continue;
            };
            let Some(first) = i.checked_sub(argc) else {
                continue;
            };
            let keys: Option<Vec<Key>> = ops[first..i].iter().map(Key::of).collect();
            if let Some(keys) = keys
                && !landing[first + 1..=i].contains(&true)
            {
                grouped[first..i].fill(true);
                inputs.push(Input::Lookup { table, keys });
            }
        }
        for i in 2..ops.len() {
            let Op::Binary(b) = ops[i] else { continue };
            let Some(cmp) = Cmp::of(b) else { continue };
            let key = |o: &Op| Key::of(o).filter(|k| !matches!(k, Key::Var(_)));
            let compare = match (&ops[i - 2], &ops[i - 1]) {
                (Op::Var(v), o) => key(o).map(|other| (*v, cmp, other)),
                (o, Op::Var(v)) => key(o).map(|other| (*v, cmp.swapped(), other)),
                _ => None,
            };
            if let Some((var, cmp, other)) = compare
                && !landing[i - 1..=i].contains(&true)
                && !grouped[i - 2..i].contains(&true)
            {
                grouped[i - 2..i].fill(true);
                inputs.push(Input::Compare { var, cmp, other });
            }
        }
        for (op, grouped) in ops.iter().zip(&grouped) {
            if let (Op::Var(v), false) = (*op, grouped) {
                inputs.push(Input::Var(v));
            }
        }
        inputs
    }

    /// Evaluates the program without allocating.
    #[inline]
    pub fn eval<E: Env>(&self, env: &E) -> f64 {
        if self.depth <= SMALL_STACK {
            self.run::<SMALL_STACK, E>(env)
        } else {
            self.run::<MAX_STACK, E>(env)
        }
    }

    /// The stack machine with `N` slots (`N` at least `self.depth`).
    fn run<const N: usize, E: Env>(&self, env: &E) -> f64 {
        // `compile` proved that no execution needs more than `depth` ≤ MAX_STACK slots and
        // that every instruction finds its operands, so the indexing below cannot go out of
        // bounds.
        let mut stack = [0.0_f64; N];
        let mut sp = 0;
        let mut pc = 0;
        while let Some(&op) = self.ops.get(pc) {
            pc += 1;
            match op {
                Op::Const(value) => {
                    stack[sp] = value;
                    sp += 1;
                }
                Op::Param(i) => {
                    stack[sp] = env.param(i);
                    sp += 1;
                }
                Op::Var(i) => {
                    stack[sp] = env.var(i);
                    sp += 1;
                }
                Op::Unary(f) => stack[sp - 1] = f.apply(stack[sp - 1]),
                Op::Binary(f) => {
                    sp -= 1;
                    stack[sp - 1] = f.apply(stack[sp - 1], stack[sp]);
                }
                Op::WeibullSurv => {
                    sp -= 2;
                    stack[sp - 1] = weibull_surv(stack[sp - 1], stack[sp], stack[sp + 1]);
                }
                Op::Lookup { table, argc } => {
                    let base = sp - argc;
                    stack[base] = env.lookup(table, &stack[base..sp]);
                    sp = base + 1;
                }
                Op::Jump(n) => pc += n,
                Op::JumpIfFalse(n) => {
                    sp -= 1;
                    if !truthy(stack[sp]) {
                        pc += n;
                    }
                }
                Op::AndJump(n) => {
                    if truthy(stack[sp - 1]) {
                        sp -= 1;
                    } else {
                        stack[sp - 1] = 0.0;
                        pc += n;
                    }
                }
                Op::OrJump(n) => {
                    if truthy(stack[sp - 1]) {
                        stack[sp - 1] = 1.0;
                        pc += n;
                    } else {
                        sp -= 1;
                    }
                }
            }
        }
        stack[0]
    }
}
