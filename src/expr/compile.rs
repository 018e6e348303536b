//! Compiler: resolves the names of a syntax tree, checks calls, folds constants and emits
//! bytecode.

use super::bytecode::{Bin, Op, Un, max_stack_depth};
use super::error::{ExprError, Span};
use super::functions::{FUNCTIONS, Func, FuncInfo, find_function, from_bool, truthy, weibull_surv};
use super::parser::{BinaryOp, Kind, Node, UnaryOp, parse};
use super::program::Program;
use super::{MAX_STACK, Resolver, Symbol};
use crate::suggest::did_you_mean;

/// Compilation state: the source (for quoting it in errors), the resolver and the bytecode
/// emitted so far.
struct Compiler<'r, R: ?Sized> {
    src: &'r str,
    resolver: &'r R,
    cycle_years: f64,
    ops: Vec<Op>,
}

/// The error for a string literal outside a categorical comparison.
#[cold]
fn stray_string(s: &str, span: Span) -> ExprError {
    ExprError::new(
        span,
        format!(
            "unexpected string \"{s}\"; strings can only be compared with a categorical \
             variable using `==` or `!=`"
        ),
    )
}

/// Parses `src` and compiles it against `resolver`, stopping at the first error.
///
/// # Errors
///
/// Returns the first syntax error, unknown or misused name, arity mismatch, invalid
/// categorical comparison, or an expression nested deeper than the parser allows or needing
/// more than [`MAX_STACK`] stack slots, located by byte offset in `src`.
pub fn compile(src: &str, resolver: &(impl Resolver + ?Sized)) -> Result<Program, ExprError> {
    let ast = parse(src)?;
    let mut compiler = Compiler {
        src,
        resolver,
        cycle_years: resolver.cycle_years(),
        ops: Vec::new(),
    };
    compiler.compile_node(&ast)?;
    let depth = max_stack_depth(&compiler.ops);
    if depth > MAX_STACK {
        return Err(ExprError::new(
            Span {
                start: 0,
                end: src.len(),
            },
            format!(
                "expression is too complex: evaluating it needs {depth} stack slots, more \
                 than the limit of {MAX_STACK}; split it into intermediate parameters"
            ),
        ));
    }
    Ok(Program::from_ops(compiler.ops))
}

impl<R: Resolver + ?Sized> Compiler<'_, R> {
    fn text(&self, span: Span) -> &str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    fn push_const(&mut self, value: f64) -> Option<f64> {
        self.ops.push(Op::Const(value));
        Some(value)
    }

    /// Emits `f` on the operand just compiled, folding it if the operand is a constant.
    ///
    /// A constant operand was compiled to exactly one `Const`, the last instruction.
    fn emit_unary(&mut self, f: Un, a: Option<f64>) -> Option<f64> {
        if let Some(a) = a {
            self.ops.pop();
            return self.push_const(f.apply(a));
        }
        self.ops.push(Op::Unary(f));
        None
    }

    /// Emits `f` on the two operands just compiled, folding it if both are constants.
    fn emit_binary(&mut self, f: Bin, a: Option<f64>, b: Option<f64>) -> Option<f64> {
        if let (Some(a), Some(b)) = (a, b) {
            self.ops.truncate(self.ops.len().saturating_sub(2));
            return self.push_const(f.apply(a, b));
        }
        self.ops.push(Op::Binary(f));
        None
    }

    /// Emits a jump with a placeholder offset and returns its position for [`Self::patch`].
    fn emit_jump(&mut self, op: fn(usize) -> Op) -> usize {
        self.ops.push(op(0));
        self.ops.len() - 1
    }

    /// Points the jump at `at` to the next instruction to be emitted.
    fn patch(&mut self, at: usize) {
        let offset = self.ops.len() - (at + 1);
        if let Some(Op::Jump(n) | Op::JumpIfFalse(n) | Op::AndJump(n) | Op::OrJump(n)) =
            self.ops.get_mut(at)
        {
            *n = offset;
        }
    }

    /// Compiles `node`; returns its value if it folded to a single constant.
    fn compile_node(&mut self, node: &Node<'_>) -> Result<Option<f64>, ExprError> {
        match &node.kind {
            Kind::Num(value) => Ok(self.push_const(*value)),
            Kind::Str(s) => Err(stray_string(s, node.span)),
            Kind::Name(name) => self.compile_name(name, node.span),
            Kind::Unary(op, operand) => {
                let a = self.compile_node(operand)?;
                let f = match op {
                    UnaryOp::Neg => Un::Neg,
                    UnaryOp::Not => Un::Not,
                };
                Ok(self.emit_unary(f, a))
            }
            Kind::Binary(op, lhs, rhs) => {
                if let Some(result) = self.try_level_cmp(*op, lhs, rhs) {
                    return result;
                }
                let a = self.compile_node(lhs)?;
                self.compile_rhs(*op, a, rhs)
            }
            Kind::Chain(first, rest) => {
                let mut acc = self.compile_node(first)?;
                for (op, rhs) in rest {
                    acc = self.compile_rhs(*op, acc, rhs)?;
                }
                Ok(acc)
            }
            Kind::Call {
                name,
                name_span,
                args,
            } => self.compile_call(name, *name_span, node.span, args),
        }
    }

    fn compile_name(&mut self, name: &str, span: Span) -> Result<Option<f64>, ExprError> {
        match self.resolver.resolve(name) {
            Some(Symbol::Param(i)) => self.ops.push(Op::Param(i)),
            Some(Symbol::Var(i)) => self.ops.push(Op::Var(i)),
            Some(Symbol::Const(value)) => return Ok(self.push_const(value)),
            Some(Symbol::Table { .. }) => {
                return Err(ExprError::new(
                    span,
                    format!("`{name}` is a table; read it with `lookup({name}, ...)`"),
                ));
            }
            None => return Err(self.unknown_name(name, span)),
        }
        Ok(None)
    }

    fn unknown_name(&self, name: &str, span: Span) -> ExprError {
        if let Some(f) = find_function(name) {
            return ExprError::new(
                span,
                format!("`{name}` is a function; call it as `{}`", f.usage),
            );
        }
        let names = self.resolver.names();
        let message = match did_you_mean(name, names.iter().map(String::as_str)) {
            Some(s) => format!("unknown name `{name}`; did you mean `{s}`?"),
            None => format!("unknown name `{name}`"),
        };
        ExprError::new(span, message)
    }

    /// Compiles `rhs` and combines it by `op` with the operand just compiled, whose value
    /// is `a` if it is a constant.
    fn compile_rhs(
        &mut self,
        op: BinaryOp,
        a: Option<f64>,
        rhs: &Node<'_>,
    ) -> Result<Option<f64>, ExprError> {
        let f = match op {
            BinaryOp::And => return self.compile_logic(true, a, rhs),
            BinaryOp::Or => return self.compile_logic(false, a, rhs),
            BinaryOp::Eq => Bin::Eq,
            BinaryOp::Ne => Bin::Ne,
            BinaryOp::Lt => Bin::Lt,
            BinaryOp::Le => Bin::Le,
            BinaryOp::Gt => Bin::Gt,
            BinaryOp::Ge => Bin::Ge,
            BinaryOp::Add => Bin::Add,
            BinaryOp::Sub => Bin::Sub,
            BinaryOp::Mul => Bin::Mul,
            BinaryOp::Div => Bin::Div,
            BinaryOp::Pow => Bin::Pow,
        };
        let b = self.compile_node(rhs)?;
        Ok(self.emit_binary(f, a, b))
    }

    /// Compiles `==`/`!=` with a string operand as a categorical comparison; `None` otherwise.
    fn try_level_cmp(
        &mut self,
        op: BinaryOp,
        lhs: &Node<'_>,
        rhs: &Node<'_>,
    ) -> Option<Result<Option<f64>, ExprError>> {
        let equal = match op {
            BinaryOp::Eq => true,
            BinaryOp::Ne => false,
            _ => return None,
        };
        Some(match (&lhs.kind, &rhs.kind) {
            (Kind::Str(_), Kind::Str(_)) => Err(ExprError::new(
                lhs.span.to(rhs.span),
                "cannot compare two strings; one side must be a categorical variable",
            )),
            (Kind::Str(level), _) => self.compile_level_cmp(equal, rhs, level, lhs.span),
            (_, Kind::Str(level)) => self.compile_level_cmp(equal, lhs, level, rhs.span),
            _ => return None,
        })
    }

    /// Compiles `var == "level"` (or `!=`) to a numeric comparison with the level's code.
    fn compile_level_cmp(
        &mut self,
        equal: bool,
        var: &Node<'_>,
        level: &str,
        level_span: Span,
    ) -> Result<Option<f64>, ExprError> {
        let Kind::Name(name) = var.kind else {
            return Err(ExprError::new(
                var.span,
                format!(
                    "expected a categorical variable to compare with the string \"{level}\", \
                     found `{}`",
                    self.text(var.span)
                ),
            ));
        };
        let index = match self.resolver.resolve(name) {
            Some(Symbol::Var(i)) => i,
            Some(other) => {
                return Err(ExprError::new(
                    var.span,
                    format!(
                        "`{name}` is {}, not a categorical variable, so it cannot be compared \
                         with the string \"{level}\"",
                        other.describe()
                    ),
                ));
            }
            None => return Err(self.unknown_name(name, var.span)),
        };
        let Some(code) = self.resolver.level(index, level) else {
            let levels = self.resolver.levels(index);
            if levels.is_empty() {
                return Err(ExprError::new(
                    var.span,
                    format!(
                        "`{name}` is not categorical, so it cannot be compared with the string \
                         \"{level}\""
                    ),
                ));
            }
            let list = levels
                .iter()
                .map(|l| format!("\"{l}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let hint = did_you_mean(level, levels.iter().map(String::as_str))
                .map(|s| format!("; did you mean \"{s}\"?"))
                .unwrap_or_default();
            return Err(ExprError::new(
                level_span,
                format!("unknown level \"{level}\" of `{name}`, expected one of {list}{hint}"),
            ));
        };
        self.ops.push(Op::Var(index));
        self.ops.push(Op::Const(code));
        self.ops
            .push(Op::Binary(if equal { Bin::Eq } else { Bin::Ne }));
        Ok(None)
    }

    /// Compiles the right operand of `&&` (`and`) or `||`, short-circuiting at run time.
    ///
    /// The left operand was just compiled; `a` is its value if it is a constant.
    fn compile_logic(
        &mut self,
        and: bool,
        a: Option<f64>,
        rhs: &Node<'_>,
    ) -> Result<Option<f64>, ExprError> {
        if let Some(a) = a {
            let at = self.ops.len().saturating_sub(1);
            // The right side is compiled even if it is dropped, so its errors are reported.
            let b = self.compile_node(rhs)?;
            if truthy(a) != and {
                self.ops.truncate(at);
                return Ok(self.push_const(from_bool(!and)));
            }
            // Jumps are relative, so removing the constant before the right side is safe.
            self.ops.remove(at);
            return Ok(self.emit_unary(Un::Truthy, b));
        }
        let jump = self.emit_jump(if and { Op::AndJump } else { Op::OrJump });
        let b = self.compile_node(rhs)?;
        self.emit_unary(Un::Truthy, b);
        self.patch(jump);
        Ok(None)
    }

    /// Checks that a call to `info` has exactly `N` arguments.
    fn fixed_args<'n, 'a, const N: usize>(
        info: &FuncInfo,
        args: &'n [Node<'a>],
        span: Span,
    ) -> Result<&'n [Node<'a>; N], ExprError> {
        args.try_into()
            .map_err(|_| Self::arity_error(info, args.len(), span))
    }

    fn arity_error(info: &FuncInfo, found: usize, span: Span) -> ExprError {
        let n = info.min_args;
        let plural = if n == 1 { "" } else { "s" };
        let at_least = if info.variadic { "at least " } else { "" };
        ExprError::new(
            span,
            format!(
                "`{}` takes {at_least}{n} argument{plural}, found {found}; usage: `{}`",
                info.name, info.usage
            ),
        )
    }

    #[cold]
    fn unknown_function(&self, name: &str, span: Span) -> ExprError {
        let message = match self.resolver.resolve(name) {
            Some(symbol) => format!("`{name}` is {}, not a function", symbol.describe()),
            None => match did_you_mean(name, FUNCTIONS.iter().map(|f| f.name)) {
                Some(s) => format!("unknown function `{name}`; did you mean `{s}`?"),
                None => format!("unknown function `{name}`"),
            },
        };
        ExprError::new(span, message)
    }

    fn compile_call(
        &mut self,
        name: &str,
        name_span: Span,
        span: Span,
        args: &[Node<'_>],
    ) -> Result<Option<f64>, ExprError> {
        let Some(info) = find_function(name) else {
            return Err(self.unknown_function(name, name_span));
        };
        match info.func {
            Func::Exp => self.call_unary(Un::Exp, info, args, span),
            Func::Log => self.call_unary(Un::Log, info, args, span),
            Func::Sqrt => self.call_unary(Un::Sqrt, info, args, span),
            Func::Abs => self.call_unary(Un::Abs, info, args, span),
            Func::Floor => self.call_unary(Un::Floor, info, args, span),
            Func::Ceil => self.call_unary(Un::Ceil, info, args, span),
            Func::Odds => self.call_unary(Un::Odds, info, args, span),
            Func::OddsToProb => self.call_unary(Un::OddsToProb, info, args, span),
            Func::CycleProb => self.call_unary(Un::CycleProb(self.cycle_years), info, args, span),
            Func::Pow => self.call_binary(Bin::Pow, info, args, span),
            Func::ProbToRate => self.call_binary(Bin::ProbToRate, info, args, span),
            Func::RateToProb => self.call_binary(Bin::RateToProb, info, args, span),
            Func::HrProb => self.call_binary(Bin::HrProb, info, args, span),
            Func::CumProbToCycle => {
                self.call_binary(Bin::CumProbToCycle(self.cycle_years), info, args, span)
            }
            Func::Min | Func::Max => {
                let f = if info.func == Func::Min {
                    Bin::Min
                } else {
                    Bin::Max
                };
                let Some((first, rest)) = args.split_first() else {
                    return Err(Self::arity_error(info, 0, span));
                };
                // Fold pairwise so the stack never holds more than two of the arguments.
                let mut acc = self.compile_node(first)?;
                for arg in rest {
                    let b = self.compile_node(arg)?;
                    acc = self.emit_binary(f, acc, b);
                }
                Ok(acc)
            }
            Func::WeibullSurv => {
                let [lambda, k, t] = Self::fixed_args(info, args, span)?;
                let start = self.ops.len();
                let consts = [
                    self.compile_node(lambda)?,
                    self.compile_node(k)?,
                    self.compile_node(t)?,
                ];
                if let [Some(lambda), Some(k), Some(t)] = consts {
                    self.ops.truncate(start);
                    return Ok(self.push_const(weibull_surv(lambda, k, t)));
                }
                self.ops.push(Op::WeibullSurv);
                Ok(None)
            }
            Func::If => {
                let [cond, then, otherwise] = Self::fixed_args(info, args, span)?;
                self.compile_if(cond, then, otherwise)
            }
            Func::Lookup => self.compile_lookup(info, args, span),
        }
    }

    fn call_unary(
        &mut self,
        f: Un,
        info: &FuncInfo,
        args: &[Node<'_>],
        span: Span,
    ) -> Result<Option<f64>, ExprError> {
        let [x] = Self::fixed_args(info, args, span)?;
        let a = self.compile_node(x)?;
        Ok(self.emit_unary(f, a))
    }

    fn call_binary(
        &mut self,
        f: Bin,
        info: &FuncInfo,
        args: &[Node<'_>],
        span: Span,
    ) -> Result<Option<f64>, ExprError> {
        let [x, y] = Self::fixed_args(info, args, span)?;
        let a = self.compile_node(x)?;
        let b = self.compile_node(y)?;
        Ok(self.emit_binary(f, a, b))
    }

    /// Compiles `if(cond, then, otherwise)` so that only the taken branch is evaluated.
    fn compile_if(
        &mut self,
        cond: &Node<'_>,
        then: &Node<'_>,
        otherwise: &Node<'_>,
    ) -> Result<Option<f64>, ExprError> {
        let start = self.ops.len();
        if let Some(c) = self.compile_node(cond)? {
            // Both branches are compiled for their errors; then the dead one is dropped.
            self.ops.truncate(start);
            let a = self.compile_node(then)?;
            let middle = self.ops.len();
            let b = self.compile_node(otherwise)?;
            if truthy(c) {
                self.ops.truncate(middle);
                return Ok(a);
            }
            self.ops.drain(start..middle);
            return Ok(b);
        }
        let to_else = self.emit_jump(Op::JumpIfFalse);
        self.compile_node(then)?;
        let to_end = self.emit_jump(Op::Jump);
        self.patch(to_else);
        self.compile_node(otherwise)?;
        self.patch(to_end);
        Ok(None)
    }

    fn compile_lookup(
        &mut self,
        info: &FuncInfo,
        args: &[Node<'_>],
        span: Span,
    ) -> Result<Option<f64>, ExprError> {
        let Some((table, keys)) = args.split_first() else {
            return Err(Self::arity_error(info, 0, span));
        };
        let Kind::Name(name) = table.kind else {
            return Err(ExprError::new(
                table.span,
                format!(
                    "expected a table name as the first argument of `lookup`, found `{}`",
                    self.text(table.span)
                ),
            ));
        };
        let (index, arity) = match self.resolver.resolve(name) {
            Some(Symbol::Table { index, arity }) => (index, arity),
            Some(other) => {
                return Err(ExprError::new(
                    table.span,
                    format!("`{name}` is {}, not a table", other.describe()),
                ));
            }
            None => {
                let tables: Vec<String> = self
                    .resolver
                    .names()
                    .into_iter()
                    .filter(|n| matches!(self.resolver.resolve(n), Some(Symbol::Table { .. })))
                    .collect();
                let message = match did_you_mean(name, tables.iter().map(String::as_str)) {
                    Some(s) => format!("unknown table `{name}`; did you mean `{s}`?"),
                    None => format!("unknown table `{name}`"),
                };
                return Err(ExprError::new(table.span, message));
            }
        };
        if keys.len() != arity {
            let plural = if arity == 1 { "" } else { "s" };
            return Err(ExprError::new(
                span,
                format!(
                    "table `{name}` takes {arity} key{plural} after its name, found {}",
                    keys.len()
                ),
            ));
        }
        for key in keys {
            self.compile_node(key)?;
        }
        self.ops.push(Op::Lookup {
            table: index,
            argc: keys.len(),
        });
        Ok(None)
    }
}
