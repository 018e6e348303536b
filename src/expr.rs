//! Arithmetic expression language for model inputs.
//!
//! Health economists write transition probabilities, costs and utilities as small formulas in
//! the YAML model definition, e.g. `1 - exp(-r_relapse * cycle_years) * hr_eko` or
//! `if(time_in_state >= 7, p_remission, 0)`. [`compile`] parses such a formula, resolves its
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

use std::fmt;

use crate::suggest::did_you_mean;

/// Maximum number of values that may be pending on the evaluation stack at once.
pub const MAX_STACK: usize = 64;

/// Maximum recursion depth of the parser, counted over nested operands and operator levels.
///
/// Parentheses, calls and unary operators each nest one or two levels, so realistic
/// expressions stay far below the limit; hostile input gets an error instead of overflowing
/// the thread's stack. The tree's height, and so the compiler's recursion, is bounded by it too.
/// At the limit, parsing plus compiling was measured at under 0.5 MiB of stack in an
/// unoptimised build (under 0.1 MiB optimised), well inside a spawned thread's 2 MiB.
const MAX_DEPTH: usize = 100;

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

/// A compile error, located in the source string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset into the source string where the problem starts.
    pub offset: usize,
    /// Length in bytes of the offending text (0 at the end of the expression).
    pub len: usize,
    /// Lowercase description of what was found and what was expected.
    pub message: String,
}

impl ExprError {
    /// Creates an error covering `span`.
    fn new(span: Span, message: impl Into<String>) -> Self {
        ExprError {
            offset: span.start,
            len: span.end.saturating_sub(span.start),
            message: message.into(),
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

/// A half-open byte range of the source string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    /// The span from the start of `self` to the end of `other`.
    fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok<'a> {
    Num(f64),
    Str(&'a str),
    Ident(&'a str),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Bang,
    AndAnd,
    OrOr,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    kind: Tok<'a>,
    span: Span,
}

/// Produces tokens on demand, so that errors are reported in source order.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn next_token(&mut self) -> Result<Token<'a>, ExprError> {
        let rest = self.src.get(self.pos..).unwrap_or("");
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
        let start = self.pos;
        let Some(c) = trimmed.chars().next() else {
            return Ok(Token {
                kind: Tok::Eof,
                span: Span { start, end: start },
            });
        };
        let next = trimmed.as_bytes().get(1).copied();
        let error = |len: usize, message: String| {
            Err(ExprError::new(
                Span {
                    start,
                    end: start + len,
                },
                message,
            ))
        };
        let (kind, len) = match c {
            '0'..='9' => return self.number(start),
            '.' if next.is_some_and(|b| b.is_ascii_digit()) => return self.number(start),
            'a'..='z' | 'A'..='Z' | '_' => {
                let len = trimmed
                    .bytes()
                    .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
                    .unwrap_or(trimmed.len());
                (Tok::Ident(&trimmed[..len]), len)
            }
            '"' => return self.string(start),
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' if next == Some(b'*') => {
                return error(2, "unexpected `**`; use `^` for powers".into());
            }
            '*' => (Tok::Star, 1),
            '/' => (Tok::Slash, 1),
            '^' => (Tok::Caret, 1),
            '&' if next == Some(b'&') => (Tok::AndAnd, 2),
            '&' => return error(1, "unexpected `&`; use `&&` for logical and".into()),
            '|' if next == Some(b'|') => (Tok::OrOr, 2),
            '|' => return error(1, "unexpected `|`; use `||` for logical or".into()),
            '=' if next == Some(b'=') => (Tok::EqEq, 2),
            '=' => return error(1, "unexpected `=`; use `==` to compare values".into()),
            '!' if next == Some(b'=') => (Tok::NotEq, 2),
            '!' => (Tok::Bang, 1),
            '<' if next == Some(b'=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some(b'=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            other => {
                return error(other.len_utf8(), format!("unexpected character `{other}`"));
            }
        };
        self.pos += len;
        Ok(Token {
            kind,
            span: Span {
                start,
                end: start + len,
            },
        })
    }

    /// Lexes `digits [. digits] [(e|E) [+|-] digits]`; either digit run around `.` may be
    /// empty, but not both (the caller checked).
    fn number(&mut self, start: usize) -> Result<Token<'a>, ExprError> {
        let bytes = self.src.as_bytes();
        let digits_from = |mut i: usize| {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut end = digits_from(start);
        if bytes.get(end) == Some(&b'.') {
            end = digits_from(end + 1);
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let mut exp = end + 1;
            if matches!(bytes.get(exp), Some(b'+' | b'-')) {
                exp += 1;
            }
            if !bytes.get(exp).is_some_and(u8::is_ascii_digit) {
                let span = Span { start, end: exp };
                let text = self.src.get(start..exp).unwrap_or("");
                return Err(ExprError::new(
                    span,
                    format!("malformed number `{text}`; expected digits after the exponent"),
                ));
            }
            end = digits_from(exp);
        }
        let span = Span { start, end };
        // Only ASCII was scanned, so the range lies on character boundaries.
        let text = self.src.get(start..end).unwrap_or("");
        let value: f64 = text
            .parse()
            .map_err(|_| ExprError::new(span, format!("malformed number `{text}`")))?;
        if !value.is_finite() {
            return Err(ExprError::new(
                span,
                format!("number `{text}` is too large to represent"),
            ));
        }
        self.pos = end;
        Ok(Token {
            kind: Tok::Num(value),
            span,
        })
    }

    /// Lexes a double-quoted string without escapes.
    fn string(&mut self, start: usize) -> Result<Token<'a>, ExprError> {
        let body = self.src.get(start + 1..).unwrap_or("");
        let Some(len) = body.find('"') else {
            return Err(ExprError::new(
                Span {
                    start,
                    end: self.src.len(),
                },
                "unterminated string literal; expected a closing `\"`",
            ));
        };
        let end = start + len + 2;
        self.pos = end;
        Ok(Token {
            kind: Tok::Str(&body[..len]),
            span: Span { start, end },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug)]
struct Node<'a> {
    kind: Kind<'a>,
    span: Span,
}

#[derive(Debug)]
enum Kind<'a> {
    Num(f64),
    Str(&'a str),
    Name(&'a str),
    Unary(UnaryOp, Box<Node<'a>>),
    /// A comparison or a power.
    Binary(BinaryOp, Box<Node<'a>>, Box<Node<'a>>),
    /// A left-associative run of operators of equal precedence, `first op1 x1 op2 x2 ...`.
    ///
    /// Kept flat rather than as nested binary nodes so that long sums do not make the tree
    /// (and the compiler's recursion over it) deep.
    Chain(Box<Node<'a>>, Vec<(BinaryOp, Node<'a>)>),
    Call {
        name: &'a str,
        name_span: Span,
        args: Vec<Node<'a>>,
    },
}

/// Binding power of `||`, the loosest binary operator.
const PREC_OR: u8 = 1;
/// Binding power shared by all comparison operators.
const PREC_CMP: u8 = 3;

/// Returns the binary operator for a token and its binding power (higher binds tighter).
fn binary_op(tok: Tok<'_>) -> Option<(BinaryOp, u8)> {
    Some(match tok {
        Tok::OrOr => (BinaryOp::Or, PREC_OR),
        Tok::AndAnd => (BinaryOp::And, 2),
        Tok::EqEq => (BinaryOp::Eq, PREC_CMP),
        Tok::NotEq => (BinaryOp::Ne, PREC_CMP),
        Tok::Lt => (BinaryOp::Lt, PREC_CMP),
        Tok::Le => (BinaryOp::Le, PREC_CMP),
        Tok::Gt => (BinaryOp::Gt, PREC_CMP),
        Tok::Ge => (BinaryOp::Ge, PREC_CMP),
        Tok::Plus => (BinaryOp::Add, 4),
        Tok::Minus => (BinaryOp::Sub, 4),
        Tok::Star => (BinaryOp::Mul, 5),
        Tok::Slash => (BinaryOp::Div, 5),
        _ => return None,
    })
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    /// The current, not yet consumed token.
    tok: Token<'a>,
    /// Number of active calls of the recursive parsing functions.
    depth: usize,
}

/// Parses `src` into a syntax tree.
fn parse(src: &str) -> Result<Node<'_>, ExprError> {
    if src.trim().is_empty() {
        return Err(ExprError::new(
            Span {
                start: 0,
                end: src.len(),
            },
            "empty expression; expected a number, name or `(`",
        ));
    }
    let mut lexer = Lexer { src, pos: 0 };
    let tok = lexer.next_token()?;
    let mut parser = Parser {
        src,
        lexer,
        tok,
        depth: 0,
    };
    let node = parser.parse_binary(PREC_OR)?;
    match parser.tok.kind {
        Tok::Eof => Ok(node),
        Tok::RParen => Err(ExprError::new(
            parser.tok.span,
            "unmatched `)`; no `(` is open here",
        )),
        _ => Err(parser.expected("an operator or end of expression")),
    }
}

impl<'a> Parser<'a> {
    /// Consumes the current token and returns it.
    fn advance(&mut self) -> Result<Token<'a>, ExprError> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.tok, next))
    }

    fn text(&self, span: Span) -> &'a str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    /// Describes the current token for "found ..." messages.
    fn found(&self) -> String {
        match self.tok.kind {
            Tok::Eof => "end of expression".to_string(),
            Tok::Num(_) => format!("number `{}`", self.text(self.tok.span)),
            Tok::Str(s) => format!("string \"{s}\""),
            _ => format!("`{}`", self.text(self.tok.span)),
        }
    }

    /// An error at the current token saying what was expected instead.
    #[cold]
    fn expected(&self, what: &str) -> ExprError {
        ExprError::new(
            self.tok.span,
            format!("expected {what}, found {}", self.found()),
        )
    }

    /// Accounts for one more level of recursion, failing beyond [`MAX_DEPTH`].
    ///
    /// Every recursive parsing function calls this on entry and [`Self::leave`] on success;
    /// after an error the parser is abandoned, so the count needs no unwinding.
    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.too_deep());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    #[cold]
    fn too_deep(&self) -> ExprError {
        ExprError::new(
            self.tok.span,
            format!(
                "expression is nested too deeply (more than {MAX_DEPTH} levels of \
                 parentheses, operators and calls); split it into intermediate parameters"
            ),
        )
    }

    #[cold]
    fn chained_comparison(&self, lhs: Span) -> ExprError {
        ExprError::new(
            self.tok.span,
            format!(
                "comparison operators cannot be chained: found `{}` after `{}`; \
                 combine comparisons with `&&`",
                self.text(self.tok.span),
                self.text(lhs)
            ),
        )
    }

    /// Precedence climbing over the binary operators that bind at least as tight as `min_prec`.
    fn parse_binary(&mut self, min_prec: u8) -> Result<Node<'a>, ExprError> {
        self.enter()?;
        let mut lhs = self.parse_unary()?;
        // Comparisons are non-associative: remember whether `lhs` is a comparison built here.
        let mut lhs_is_cmp = false;
        while let Some((op, prec)) = binary_op(self.tok.kind) {
            if prec < min_prec {
                break;
            }
            if prec == PREC_CMP {
                if lhs_is_cmp {
                    return Err(self.chained_comparison(lhs.span));
                }
                self.advance()?;
                let rhs = self.parse_binary(prec + 1)?;
                let span = lhs.span.to(rhs.span);
                lhs = Node {
                    kind: Kind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                };
                lhs_is_cmp = true;
                continue;
            }
            // Gather the whole run of this precedence level into one flat chain.
            let mut rest = Vec::new();
            let mut op = op;
            loop {
                self.advance()?;
                rest.push((op, self.parse_binary(prec + 1)?));
                match binary_op(self.tok.kind) {
                    Some((next, p)) if p == prec => op = next,
                    _ => break,
                }
            }
            let span = rest
                .last()
                .map_or(lhs.span, |(_, last)| lhs.span.to(last.span));
            lhs = Node {
                kind: Kind::Chain(Box::new(lhs), rest),
                span,
            };
            lhs_is_cmp = false;
        }
        self.leave();
        Ok(lhs)
    }

    fn parse_unary(&mut self) -> Result<Node<'a>, ExprError> {
        self.enter()?;
        let op = match self.tok.kind {
            Tok::Minus => UnaryOp::Neg,
            Tok::Bang => UnaryOp::Not,
            _ => {
                let node = self.parse_power()?;
                self.leave();
                return Ok(node);
            }
        };
        let op_span = self.advance()?.span;
        let operand = self.parse_unary()?;
        self.leave();
        Ok(Node {
            span: op_span.to(operand.span),
            kind: Kind::Unary(op, Box::new(operand)),
        })
    }

    fn parse_power(&mut self) -> Result<Node<'a>, ExprError> {
        let base = self.parse_primary()?;
        if self.tok.kind != Tok::Caret {
            return Ok(base);
        }
        self.advance()?;
        // The exponent may carry its own sign (`2^-1`) and recursing through `parse_unary`
        // makes `^` right-associative.
        let exponent = self.parse_unary()?;
        Ok(Node {
            span: base.span.to(exponent.span),
            kind: Kind::Binary(BinaryOp::Pow, Box::new(base), Box::new(exponent)),
        })
    }

    fn parse_primary(&mut self) -> Result<Node<'a>, ExprError> {
        let tok = self.tok;
        let kind = match tok.kind {
            Tok::Num(value) => Kind::Num(value),
            Tok::Str(s) => Kind::Str(s),
            Tok::Ident(name) => {
                self.advance()?;
                if self.tok.kind == Tok::LParen {
                    return self.parse_call(name, tok.span);
                }
                return Ok(Node {
                    kind: Kind::Name(name),
                    span: tok.span,
                });
            }
            Tok::LParen => {
                self.advance()?;
                let mut inner = self.parse_binary(PREC_OR)?;
                if self.tok.kind != Tok::RParen {
                    return Err(self.expected("`)` to close `(`"));
                }
                let close = self.advance()?;
                // Widen the span so messages quoting this operand show the parentheses.
                inner.span = tok.span.to(close.span);
                return Ok(inner);
            }
            _ => return Err(self.expected("a number, name or `(`")),
        };
        self.advance()?;
        Ok(Node {
            kind,
            span: tok.span,
        })
    }

    /// Parses the argument list of a call; the current token is the opening `(`.
    fn parse_call(&mut self, name: &'a str, name_span: Span) -> Result<Node<'a>, ExprError> {
        self.advance()?;
        let mut args = Vec::new();
        if self.tok.kind != Tok::RParen {
            loop {
                args.push(self.parse_binary(PREC_OR)?);
                match self.tok.kind {
                    Tok::Comma => {
                        self.advance()?;
                    }
                    Tok::RParen => break,
                    _ => {
                        return Err(self.expected(&format!("`)` after arguments of `{name}`")));
                    }
                }
            }
        }
        let close = self.advance()?;
        Ok(Node {
            kind: Kind::Call {
                name,
                name_span,
                args,
            },
            span: name_span.to(close.span),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Built-in functions
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func {
    Exp,
    Log,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Pow,
    Min,
    Max,
    If,
    ProbToRate,
    RateToProb,
    CycleProb,
    Odds,
    OddsToProb,
    HrProb,
    CumProbToCycle,
    WeibullSurv,
    Lookup,
}

struct FuncInfo {
    name: &'static str,
    func: Func,
    /// Fewest arguments accepted.
    min_args: usize,
    /// Whether more than `min_args` arguments are accepted.
    variadic: bool,
    /// Call shape shown in arity errors.
    usage: &'static str,
}

const fn func(name: &'static str, func: Func, args: usize, usage: &'static str) -> FuncInfo {
    FuncInfo {
        name,
        func,
        min_args: args,
        variadic: false,
        usage,
    }
}

const fn variadic(name: &'static str, func: Func, min: usize, usage: &'static str) -> FuncInfo {
    FuncInfo {
        name,
        func,
        min_args: min,
        variadic: true,
        usage,
    }
}

const FUNCTIONS: &[FuncInfo] = &[
    func("exp", Func::Exp, 1, "exp(x)"),
    func("log", Func::Log, 1, "log(x)"),
    func("sqrt", Func::Sqrt, 1, "sqrt(x)"),
    func("abs", Func::Abs, 1, "abs(x)"),
    func("floor", Func::Floor, 1, "floor(x)"),
    func("ceil", Func::Ceil, 1, "ceil(x)"),
    func("pow", Func::Pow, 2, "pow(x, y)"),
    variadic("min", Func::Min, 1, "min(a, b, ...)"),
    variadic("max", Func::Max, 1, "max(a, b, ...)"),
    func("if", Func::If, 3, "if(condition, then, else)"),
    func("prob_to_rate", Func::ProbToRate, 2, "prob_to_rate(p, t)"),
    func("rate_to_prob", Func::RateToProb, 2, "rate_to_prob(r, t)"),
    func("cycle_prob", Func::CycleProb, 1, "cycle_prob(r)"),
    func("odds", Func::Odds, 1, "odds(p)"),
    func("odds_to_prob", Func::OddsToProb, 1, "odds_to_prob(o)"),
    func("hr_prob", Func::HrProb, 2, "hr_prob(p, hr)"),
    func(
        "cum_prob_to_cycle",
        Func::CumProbToCycle,
        2,
        "cum_prob_to_cycle(p, t)",
    ),
    func(
        "weibull_surv",
        Func::WeibullSurv,
        3,
        "weibull_surv(lambda, k, t)",
    ),
    variadic("lookup", Func::Lookup, 1, "lookup(table, key, ...)"),
];

fn find_function(name: &str) -> Option<&'static FuncInfo> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Converts a probability over `t` years to a constant rate: `-ln(1 - p) / t`.
///
/// Source: Fleurence RL, Hollenbeak CS (2007). Rates and probabilities in economic modelling:
/// transformation, translation and appropriate application. PharmacoEconomics 25(1):3–6.
/// `ln_1p` keeps precision for the small probabilities typical of monthly cycles.
fn prob_to_rate(p: f64, t: f64) -> f64 {
    -(-p).ln_1p() / t
}

/// Converts a constant rate to the probability of an event within `t` years: `1 - exp(-r·t)`.
///
/// Source: Fleurence RL, Hollenbeak CS (2007), PharmacoEconomics 25(1):3–6.
/// `exp_m1` keeps precision when `r·t` is small.
fn rate_to_prob(r: f64, t: f64) -> f64 {
    -(-r * t).exp_m1()
}

/// Applies a hazard ratio to a probability over the same interval: `1 - (1 - p)^hr`.
///
/// Equivalent to converting `p` to a rate, multiplying by `hr` and converting back.
fn hr_prob(p: f64, hr: f64) -> f64 {
    -(hr * (-p).ln_1p()).exp_m1()
}

/// Converts a cumulative probability `p` by time `t` years to a per-cycle probability for a
/// cycle of `cycle` years, assuming a constant hazard: `1 - (1 - p)^(cycle / t)`.
fn cum_prob_to_cycle(p: f64, t: f64, cycle: f64) -> f64 {
    -((cycle / t) * (-p).ln_1p()).exp_m1()
}

/// Weibull survival function `exp(-(lambda·t)^k)` (scale given as a rate `lambda`).
fn weibull_surv(lambda: f64, k: f64, t: f64) -> f64 {
    (-(lambda * t).powf(k)).exp()
}

/// Truthiness used by logical operators and `if`.
fn truthy(x: f64) -> bool {
    x != 0.0
}

fn from_bool(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Like `f64::min`/`max`, but a NaN operand propagates so bad inputs are not silently masked.
fn nan_or(a: f64, b: f64, pick: fn(f64, f64) -> f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        pick(a, b)
    }
}

// ---------------------------------------------------------------------------------------------
// Bytecode
// ---------------------------------------------------------------------------------------------

/// A pure operation on the top stack value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Un {
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
    fn apply(self, x: f64) -> f64 {
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
enum Bin {
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
    fn apply(self, a: f64, b: f64) -> f64 {
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
enum Op {
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
fn max_stack_depth(ops: &[Op]) -> usize {
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

// ---------------------------------------------------------------------------------------------
// Compiler
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Program
// ---------------------------------------------------------------------------------------------

/// A compiled expression: flat bytecode plus the parameters, variables and tables it reads.
#[derive(Clone, Debug)]
pub struct Program {
    ops: Vec<Op>,
    params: Vec<usize>,
    vars: Vec<usize>,
    tables: Vec<usize>,
}

impl Program {
    fn from_ops(ops: Vec<Op>) -> Program {
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
        Program {
            ops,
            params,
            vars,
            tables,
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

    /// Whether the program reads no variables, so its value is fixed once parameters are drawn.
    pub fn is_param_only(&self) -> bool {
        self.vars.is_empty()
    }

    /// Evaluates the program without allocating.
    pub fn eval<E: Env>(&self, env: &E) -> f64 {
        // `compile` proved that no execution needs more than MAX_STACK slots and that every
        // instruction finds its operands, so the indexing below cannot go out of bounds.
        let mut stack = [0.0_f64; MAX_STACK];
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Cycle length used by the test resolver: one month.
    const DELTA: f64 = 1.0 / 12.0;

    const PARAMS: &[&str] = &[
        "p_remission",
        "r_relapse",
        "hr_eko",
        "p",
        "r",
        "t",
        "x",
        "y",
    ];
    const VARS: &[&str] = &["time_in_state", "age", "sex"];
    /// Arity of `wide_table`, which can fill the whole evaluation stack.
    const WIDE: usize = MAX_STACK;
    const FEMALE: f64 = 1.0;
    const MALE: f64 = 2.0;

    struct TestResolver;

    impl Resolver for TestResolver {
        fn resolve(&self, name: &str) -> Option<Symbol> {
            if let Some(i) = PARAMS.iter().position(|&p| p == name) {
                return Some(Symbol::Param(i));
            }
            if let Some(i) = VARS.iter().position(|&v| v == name) {
                return Some(Symbol::Var(i));
            }
            match name {
                "life_table" => Some(Symbol::Table { index: 0, arity: 2 }),
                "utility_table" => Some(Symbol::Table { index: 1, arity: 1 }),
                "wide_table" => Some(Symbol::Table {
                    index: 2,
                    arity: WIDE,
                }),
                "ten" => Some(Symbol::Const(10.0)),
                "cycle_years" => Some(Symbol::Const(DELTA)),
                _ => None,
            }
        }

        fn names(&self) -> Vec<String> {
            PARAMS
                .iter()
                .chain(VARS)
                .chain(&[
                    "life_table",
                    "utility_table",
                    "wide_table",
                    "ten",
                    "cycle_years",
                ])
                .map(|s| s.to_string())
                .collect()
        }

        fn level(&self, var: usize, level: &str) -> Option<f64> {
            match (VARS[var], level) {
                ("sex", "female") => Some(FEMALE),
                ("sex", "male") => Some(MALE),
                _ => None,
            }
        }

        fn levels(&self, var: usize) -> Vec<String> {
            match VARS[var] {
                "sex" => vec!["female".into(), "male".into()],
                _ => Vec::new(),
            }
        }

        fn cycle_years(&self) -> f64 {
            DELTA
        }
    }

    /// An environment whose lookups count their calls, to observe laziness.
    struct TestEnv {
        params: Vec<f64>,
        vars: Vec<f64>,
        lookups: Cell<usize>,
    }

    impl TestEnv {
        fn new() -> Self {
            TestEnv {
                //           p_rem r_rel hr_eko p    r    t    x    y
                params: vec![0.3, 0.2, 0.8, 0.25, 0.7, 2.0, 3.0, -1.5],
                //         time_in_state age  sex
                vars: vec![8.0, 50.0, FEMALE],
                lookups: Cell::new(0),
            }
        }

        fn with_params(params: &[(&str, f64)]) -> Self {
            let mut env = TestEnv::new();
            for &(name, value) in params {
                let i = PARAMS.iter().position(|&p| p == name).unwrap();
                env.params[i] = value;
            }
            env
        }
    }

    impl Env for TestEnv {
        fn param(&self, i: usize) -> f64 {
            self.params[i]
        }

        fn var(&self, i: usize) -> f64 {
            self.vars[i]
        }

        fn lookup(&self, table: usize, args: &[f64]) -> f64 {
            self.lookups.set(self.lookups.get() + 1);
            // Table t at keys (k1, ..., kn) gives 100 (t + 1) + the keys read as decimal digits,
            // so both the table and the order of the keys show in the result.
            100.0 * (table + 1) as f64 + args.iter().fold(0.0, |acc, k| acc * 10.0 + k)
        }
    }

    fn prog(src: &str) -> Program {
        compile(src, &TestResolver).unwrap_or_else(|e| panic!("{src:?}: {e} at {}", e.offset))
    }

    fn eval_in(src: &str, env: &TestEnv) -> f64 {
        prog(src).eval(env)
    }

    fn eval(src: &str) -> f64 {
        eval_in(src, &TestEnv::new())
    }

    fn err(src: &str) -> ExprError {
        match compile(src, &TestResolver) {
            Ok(p) => panic!("{src:?} compiled to {p:?}"),
            Err(e) => e,
        }
    }

    fn assert_close(actual: f64, expected: f64, tol: f64) {
        assert!(
            (actual - expected).abs() <= tol,
            "expected {expected}, got {actual} (tolerance {tol})"
        );
    }

    #[test]
    fn number_literals() {
        for (src, expected) in [
            ("1", 1.0),
            ("0.5", 0.5),
            (".5", 0.5),
            ("1.", 1.0),
            ("1e-3", 0.001),
            ("2.5E+2", 250.0),
            ("1.5e1", 15.0),
            ("007", 7.0),
        ] {
            assert_eq!(prog(src).as_constant(), Some(expected), "{src}");
        }
    }

    #[test]
    fn arithmetic_precedence_and_associativity() {
        for (src, expected) in [
            ("1 + 2 * 3", 7.0),
            ("(1 + 2) * 3", 9.0),
            ("10 - 4 - 3", 3.0),
            ("8 / 4 / 2", 1.0),
            ("2 ^ 3 ^ 2", 512.0),
            ("-2 ^ 2", -4.0),
            ("(-2) ^ 2", 4.0),
            ("2 ^ -1", 0.5),
            ("2 * -3", -6.0),
            ("--2", 2.0),
            ("1 - -1", 2.0),
            ("2 * 3 ^ 2", 18.0),
            ("12 / 2 * 3", 18.0),
        ] {
            assert_eq!(eval(src), expected, "{src}");
        }
        // The same shapes with run-time operands (x = 3, t = 2, y = -1.5) exercise the VM.
        for (src, expected) in [
            ("x + t * y", 0.0),
            ("x - t - 1", 0.0),
            ("x / t / t", 0.75),
            ("t ^ x ^ t", 512.0),
            ("-x ^ t", -9.0),
            ("t * -x", -6.0),
            ("-(-x)", 3.0),
        ] {
            assert_eq!(eval(src), expected, "{src}");
            assert_eq!(prog(src).as_constant(), None, "{src}");
        }
    }

    #[test]
    fn comparison_and_logic_precedence() {
        for (src, expected) in [
            ("1 + 2 < 4", 1.0),
            ("x > t", 1.0),
            ("x <= t", 0.0),
            ("x >= 3", 1.0),
            ("x < 3", 0.0),
            ("x == 3", 1.0),
            ("x != 3", 0.0),
            ("!0 + 1", 2.0),
            ("!x == 0", 1.0),
            ("!!x", 1.0),
            // `&&` binds tighter than `||`: 1 || (0 && 0) is 1, (1 || 0) && 0 would be 0.
            ("1 || 0 && 0", 1.0),
            ("x > 0 || t > 5 && y > 0", 1.0),
        ] {
            assert_eq!(eval(src), expected, "{src}");
        }
        // Logical operators normalise their result to 0 or 1.
        assert_eq!(eval("x && y"), 1.0);
        assert_eq!(eval("0 || y"), 1.0);
        assert_eq!(eval("x && 0"), 0.0);
    }

    #[test]
    fn comparisons_do_not_chain() {
        for (src, offset) in [("x < t < y", 6), ("x == t != y", 7), ("1 < 2 < 3", 6)] {
            let e = err(src);
            assert!(e.message.contains("cannot be chained"), "{src}: {e}");
            assert_eq!(e.offset, offset, "{src}");
        }
        let e = err("x < t >= y");
        assert_eq!(
            e.message,
            "comparison operators cannot be chained: found `>=` after `x < t`; \
             combine comparisons with `&&`"
        );
        assert_eq!((e.offset, e.len), (6, 2));
        // Parentheses and logical operators make the intent explicit.
        assert_eq!(eval("(x < t) < y"), 0.0);
        assert_eq!(eval("x > t && t > y"), 1.0);
    }

    #[test]
    fn logic_short_circuits() {
        let cases = [
            ("p > 1 && lookup(utility_table, x) > 0", 0.0, 0),
            ("p < 1 && lookup(utility_table, x) > 0", 1.0, 1),
            ("p < 1 || lookup(utility_table, x) > 0", 1.0, 0),
            ("p > 1 || lookup(utility_table, x)", 1.0, 1),
            ("p > 1 || lookup(utility_table, x) && p > 1", 0.0, 1),
        ];
        for (src, expected, calls) in cases {
            let env = TestEnv::new();
            assert_eq!(eval_in(src, &env), expected, "{src}");
            assert_eq!(env.lookups.get(), calls, "{src}");
        }
    }

    #[test]
    fn if_is_lazy() {
        // utility_table(k) = 200 + k in the test environment.
        let cases = [
            (
                "if(time_in_state >= 7, lookup(utility_table, 1), lookup(utility_table, 2))",
                201.0,
            ),
            (
                "if(time_in_state >= 9, lookup(utility_table, 1), lookup(utility_table, 2))",
                202.0,
            ),
            (
                "if(x > 5, lookup(utility_table, 1), if(x > 2, lookup(utility_table, 2), \
                 lookup(utility_table, 3)))",
                202.0,
            ),
            (
                "1 + if(p, lookup(utility_table, x), 0) * 2",
                1.0 + 2.0 * 203.0,
            ),
        ];
        for (src, expected) in cases {
            let env = TestEnv::new();
            assert_eq!(eval_in(src, &env), expected, "{src}");
            assert_eq!(env.lookups.get(), 1, "{src}");
        }
        assert_eq!(eval("if(time_in_state >= 7, p_remission, 0)"), 0.3);
        assert_eq!(eval("if(time_in_state >= 9, p_remission, 0)"), 0.0);
    }

    #[test]
    fn constant_conditions_fold_away_dead_code() {
        let p = prog("if(ten > 5, 2, lookup(utility_table, x))");
        assert_eq!(p.as_constant(), Some(2.0));
        assert_eq!(p.tables().count(), 0);
        assert_eq!(p.params().count(), 0);

        let p = prog("if(ten < 5, x, y)");
        assert_eq!(p.params().collect::<Vec<_>>(), vec![7]);
        assert_eq!(p.eval(&TestEnv::new()), -1.5);

        let p = prog("if(ten, if(t, x, y), 0) * 2");
        assert_eq!(p.eval(&TestEnv::new()), 6.0);

        assert_eq!(
            prog("0 && lookup(utility_table, x)").as_constant(),
            Some(0.0)
        );
        assert_eq!(prog("ten || time_in_state").as_constant(), Some(1.0));
        assert_eq!(prog("ten && 0.5").as_constant(), Some(1.0));
        let p = prog("1 && if(x, t, y)");
        assert_eq!(p.eval(&TestEnv::new()), 1.0);
        assert!(p.is_param_only());
        // Dead branches are still checked for errors.
        assert!(err("if(1, 2, nonsense)").message.contains("unknown name"));
        assert!(err("0 && nonsense").message.contains("unknown name"));
    }

    #[test]
    fn probability_and_rate_conversions() {
        for &(r, t) in &[(0.7, 2.0), (0.01, 1.0 / 12.0), (3.0, 0.5), (1e-9, 1.0)] {
            let env = TestEnv::with_params(&[("r", r), ("t", t)]);
            let p = eval_in("rate_to_prob(r, t)", &env);
            assert_close(p, 1.0 - (-r * t).exp(), 1e-15);
            assert_close(
                eval_in("prob_to_rate(rate_to_prob(r, t), t)", &env),
                r,
                1e-12 * r.max(1.0),
            );
        }
        let env = TestEnv::with_params(&[("p", 0.25), ("t", 2.0)]);
        assert_close(
            eval_in("prob_to_rate(p, t)", &env),
            -(0.75f64).ln() / 2.0,
            1e-15,
        );
        assert_close(
            eval_in("rate_to_prob(prob_to_rate(p, t), t)", &env),
            0.25,
            1e-15,
        );
        // Small probabilities keep their relative precision.
        assert_close(eval("prob_to_rate(1e-12, 1)") / 1e-12, 1.0, 1e-9);
    }

    #[test]
    fn cycle_prob_uses_cycle_length() {
        // Twelve monthly cycles at rate r leave exp(-r) survivors.
        let env = TestEnv::with_params(&[("r", 0.7)]);
        assert_close(
            eval_in("(1 - cycle_prob(r)) ^ 12", &env),
            (-0.7f64).exp(),
            1e-14,
        );
        assert_close(
            eval_in("cycle_prob(r)", &env),
            1.0 - (-0.7f64 / 12.0).exp(),
            1e-15,
        );
        // The cycle length is baked in at compile time.
        assert_close(
            prog("cycle_prob(1.2)").as_constant().unwrap(),
            1.0 - (-0.1f64).exp(),
            1e-15,
        );
    }

    #[test]
    fn cum_prob_to_cycle_compounds_back() {
        for &(p, t) in &[(0.25, 2.0), (0.5, 1.0), (0.01, 5.0), (0.9, 0.25)] {
            let env = TestEnv::with_params(&[("p", p), ("t", t)]);
            let cycles = t / DELTA;
            let per_cycle = eval_in("cum_prob_to_cycle(p, t)", &env);
            assert_close(1.0 - (1.0 - per_cycle).powf(cycles), p, 1e-12);
            assert_close(per_cycle, 1.0 - (1.0 - p).powf(DELTA / t), 1e-15);
        }
        // One cycle's cumulative probability is already per cycle.
        assert_close(eval("cum_prob_to_cycle(0.3, cycle_years)"), 0.3, 1e-15);
    }

    #[test]
    fn hazard_ratio_on_probabilities() {
        for &p in &[0.0, 0.01, 0.25, 0.9] {
            let env = TestEnv::with_params(&[("p", p)]);
            assert_close(eval_in("hr_prob(p, 1)", &env), p, 1e-15);
            assert_close(eval_in("hr_prob(p, 2)", &env), 2.0 * p - p * p, 1e-15);
            assert_close(eval_in("hr_prob(p, 0)", &env), 0.0, 1e-15);
            // Same as scaling the rate over a unit interval.
            assert_close(
                eval_in("hr_prob(p, 0.8)", &env),
                eval_in("rate_to_prob(prob_to_rate(p, 1) * 0.8, 1)", &env),
                1e-15,
            );
        }
        assert_eq!(eval("hr_prob(1, 0.5)"), 1.0);
    }

    #[test]
    fn odds_conversions() {
        assert_close(eval("odds(0.2)"), 0.25, 1e-15);
        assert_close(eval("odds(0.5)"), 1.0, 1e-15);
        assert_close(eval("odds_to_prob(1)"), 0.5, 1e-15);
        assert_close(eval("odds_to_prob(3)"), 0.75, 1e-15);
        for &p in &[0.01, 0.25, 0.6, 0.99] {
            let env = TestEnv::with_params(&[("p", p)]);
            assert_close(eval_in("odds_to_prob(odds(p))", &env), p, 1e-14);
        }
    }

    #[test]
    fn weibull_survival() {
        let env = TestEnv::with_params(&[("r", 0.3), ("t", 2.5)]);
        // Shape 1 is the exponential distribution.
        assert_close(
            eval_in("weibull_surv(r, 1, t)", &env),
            (-0.75f64).exp(),
            1e-15,
        );
        // At t = 1/lambda the survival is exp(-1) for any shape.
        assert_close(
            eval_in("weibull_surv(r, 2.7, 1 / r)", &env),
            (-1.0f64).exp(),
            1e-15,
        );
        assert_close(eval("weibull_surv(0.5, 2, 2)"), (-1.0f64).exp(), 1e-15);
        assert_close(eval("weibull_surv(0.5, 2, 4)"), (-4.0f64).exp(), 1e-15);
        assert_eq!(eval("weibull_surv(0.5, 2, 0)"), 1.0);
    }

    #[test]
    fn elementary_functions() {
        for (src, expected) in [
            ("log(exp(x))", 3.0),
            ("exp(0)", 1.0),
            ("log(1)", 0.0),
            ("sqrt(16)", 4.0),
            ("abs(y)", 1.5),
            ("floor(y)", -2.0),
            ("ceil(y)", -1.0),
            ("floor(2.5)", 2.0),
            ("ceil(2.5)", 3.0),
            ("pow(2, 10)", 1024.0),
            ("pow(x, t)", 9.0),
            ("min(3, 1, 2)", 1.0),
            ("max(x, t, y)", 3.0),
            ("min(x)", 3.0),
            ("max(y, -x)", -1.5),
        ] {
            assert_eq!(eval(src), expected, "{src}");
        }
        // NaN propagates through min and max instead of being masked.
        assert!(eval("max(0 / 0, 1)").is_nan());
        assert!(eval("min(x, 0 / 0)").is_nan());
    }

    #[test]
    fn ieee_semantics() {
        assert_eq!(eval("1 / 0"), f64::INFINITY);
        assert_eq!(eval("-x / 0"), f64::NEG_INFINITY);
        assert!(eval("0 / 0").is_nan());
        assert_eq!(eval("log(0)"), f64::NEG_INFINITY);
        assert!(eval("sqrt(y)").is_nan());
        // NaN is truthy because it is != 0.
        assert_eq!(eval("if(0 / 0, 1, 2)"), 1.0);
    }

    #[test]
    fn tables() {
        // life_table(a, b) = 100 + 10a + b; utility_table(k) = 200 + k.
        let env = TestEnv::new();
        assert_eq!(eval_in("lookup(life_table, 3, 4)", &env), 134.0);
        assert_eq!(eval_in("lookup(utility_table, x + 1)", &env), 204.0);
        assert_eq!(
            eval_in(
                "2 * lookup(life_table, age, sex) + lookup(utility_table, 1)",
                &env
            ),
            2.0 * (100.0 + 500.0 + FEMALE) + 201.0
        );
        assert_eq!(env.lookups.get(), 4);
        let p = prog("lookup(life_table, age, sex) * hr_eko");
        assert_eq!(p.tables().collect::<Vec<_>>(), vec![0]);
        assert_eq!(p.vars().collect::<Vec<_>>(), vec![1, 2]);
        assert!(!p.is_param_only());
        let p = prog("lookup(utility_table, p) * x");
        assert!(p.is_param_only());
        assert_eq!(p.tables().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn references_are_collected() {
        let p = prog(
            "x * p_remission + x * lookup(utility_table, time_in_state) - time_in_state / ten",
        );
        assert_eq!(p.params().collect::<Vec<_>>(), vec![0, 6]);
        assert_eq!(p.vars().collect::<Vec<_>>(), vec![0]);
        assert_eq!(p.tables().collect::<Vec<_>>(), vec![1]);
        assert!(!p.is_param_only());
        let p = prog("1 - exp(-r_relapse * cycle_years) * hr_eko");
        assert_eq!(p.params().collect::<Vec<_>>(), vec![1, 2]);
        assert!(p.is_param_only());
        assert_close(
            p.eval(&TestEnv::new()),
            1.0 - (-0.2f64 / 12.0).exp() * 0.8,
            1e-15,
        );
    }

    #[test]
    fn constants() {
        let p = Program::constant(2.5);
        assert_eq!(p.as_constant(), Some(2.5));
        assert_eq!(p.eval(&TestEnv::new()), 2.5);
        assert!(p.is_param_only());
        assert_eq!(prog("ten * 2 - 1").as_constant(), Some(19.0));
        assert_eq!(prog("-0.5").as_constant(), Some(-0.5));
        assert_eq!(prog("min(ten, 3, 4 ^ 0.5)").as_constant(), Some(2.0));
        assert_eq!(prog("x").as_constant(), None);
        assert_eq!(prog("x * 0").as_constant(), None);
        assert_eq!(prog("lookup(utility_table, 1)").as_constant(), None);
    }

    #[test]
    fn categorical_comparisons() {
        let env = TestEnv::new();
        assert_eq!(eval_in("sex == \"female\"", &env), 1.0);
        assert_eq!(eval_in("sex == \"male\"", &env), 0.0);
        assert_eq!(eval_in("\"male\" != sex", &env), 1.0);
        assert_eq!(eval_in("(sex) != \"female\"", &env), 0.0);
        assert_eq!(eval_in("if(sex == \"male\", 2, 3) * (age > 40)", &env), 3.0);
        let mut env = TestEnv::new();
        env.vars[2] = MALE;
        assert_eq!(eval_in("sex == \"male\" && age >= 50", &env), 1.0);
        assert_eq!(prog("sex == \"male\"").vars().collect::<Vec<_>>(), vec![2]);

        let e = err("sex == \"femal\"");
        assert_eq!(
            e.message,
            "unknown level \"femal\" of `sex`, expected one of \"female\", \"male\"; \
             did you mean \"female\"?"
        );
        assert_eq!((e.offset, e.len), (7, 7));
        let e = err("sex != \"other\"");
        assert_eq!(
            e.message,
            "unknown level \"other\" of `sex`, expected one of \"female\", \"male\""
        );
        let e = err("age == \"old\"");
        assert_eq!(
            e.message,
            "`age` is not categorical, so it cannot be compared with the string \"old\""
        );
        assert_eq!((e.offset, e.len), (0, 3));
        let e = err("p == \"female\"");
        assert_eq!(
            e.message,
            "`p` is a parameter, not a categorical variable, so it cannot be compared with \
             the string \"female\""
        );
        let e = err("sexx == \"female\"");
        assert_eq!(e.message, "unknown name `sexx`; did you mean `sex`?");
        let e = err("sex + 1 == \"female\"");
        assert_eq!(
            e.message,
            "expected a categorical variable to compare with the string \"female\", found `sex + 1`"
        );
        let e = err("\"a\" == \"b\"");
        assert!(e.message.starts_with("cannot compare two strings"), "{e}");
        for (src, offset) in [("\"female\"", 0), ("sex < \"female\"", 6), ("1 + \"x\"", 4)] {
            let e = err(src);
            assert!(e.message.starts_with("unexpected string"), "{src}: {e}");
            assert_eq!(e.offset, offset, "{src}");
        }
    }

    #[test]
    fn did_you_mean_messages() {
        let e = err("p_remision");
        assert_eq!(
            e.message,
            "unknown name `p_remision`; did you mean `p_remission`?"
        );
        assert_eq!((e.offset, e.len), (0, 10));
        let src = "1 - exp(-r_relapse * cycle_yrs)";
        let e = err(src);
        assert_eq!(
            e.message,
            "unknown name `cycle_yrs`; did you mean `cycle_years`?"
        );
        assert_eq!((e.offset, e.len), (src.find("cycle_yrs").unwrap(), 9));
        assert_eq!(err("qqq").message, "unknown name `qqq`");

        let e = err("1 + mn(x, 2)");
        assert_eq!(e.message, "unknown function `mn`; did you mean `min`?");
        assert_eq!((e.offset, e.len), (4, 2));
        assert_eq!(
            err("rate_to_prb(r, 1)").message,
            "unknown function `rate_to_prb`; did you mean `rate_to_prob`?"
        );
        assert_eq!(
            err("weibull(1, 2, 3)").message,
            "unknown function `weibull`"
        );
        assert_eq!(
            err("p_remission(2)").message,
            "`p_remission` is a parameter, not a function"
        );
        assert_eq!(
            err("2 * exp").message,
            "`exp` is a function; call it as `exp(x)`"
        );
        assert_eq!(
            err("life_table + 1").message,
            "`life_table` is a table; read it with `lookup(life_table, ...)`"
        );
        let e = err("lookup(life_tabel, age, sex)");
        assert_eq!(
            e.message,
            "unknown table `life_tabel`; did you mean `life_table`?"
        );
        assert_eq!((e.offset, e.len), (7, 10));
        // Only tables are suggested for a table argument.
        assert_eq!(err("lookup(hr_ek, 1)").message, "unknown table `hr_ek`");
        assert_eq!(
            err("lookup(age, 1)").message,
            "`age` is a variable, not a table"
        );
        assert_eq!(
            err("lookup(2, 1)").message,
            "expected a table name as the first argument of `lookup`, found `2`"
        );
    }

    #[test]
    fn arity_errors() {
        for (src, message) in [
            (
                "exp(1, 2)",
                "`exp` takes 1 argument, found 2; usage: `exp(x)`",
            ),
            (
                "pow(1)",
                "`pow` takes 2 arguments, found 1; usage: `pow(x, y)`",
            ),
            (
                "min()",
                "`min` takes at least 1 argument, found 0; usage: `min(a, b, ...)`",
            ),
            (
                "if(x, 2)",
                "`if` takes 3 arguments, found 2; usage: `if(condition, then, else)`",
            ),
            (
                "weibull_surv(1, 2)",
                "`weibull_surv` takes 3 arguments, found 2; usage: `weibull_surv(lambda, k, t)`",
            ),
            (
                "lookup()",
                "`lookup` takes at least 1 argument, found 0; usage: `lookup(table, key, ...)`",
            ),
            (
                "lookup(life_table, age)",
                "table `life_table` takes 2 keys after its name, found 1",
            ),
            (
                "lookup(utility_table)",
                "table `utility_table` takes 1 key after its name, found 0",
            ),
        ] {
            let e = err(src);
            assert_eq!(e.message, message, "{src}");
            assert_eq!((e.offset, e.len), (0, src.len()), "{src}");
        }
        let e = err("1 + cycle_prob()");
        assert_eq!((e.offset, e.len), (4, 12));
    }

    #[test]
    fn syntax_error_messages_and_offsets() {
        for (src, offset, len, message) in [
            ("", 0, 0, "empty expression; expected a number, name or `(`"),
            (
                "  ",
                0,
                2,
                "empty expression; expected a number, name or `(`",
            ),
            ("1 + #", 4, 1, "unexpected character `#`"),
            ("x + λ", 4, 2, "unexpected character `λ`"),
            (
                "min(x, t",
                8,
                0,
                "expected `)` after arguments of `min`, found end of expression",
            ),
            (
                "min(x t)",
                6,
                1,
                "expected `)` after arguments of `min`, found `t`",
            ),
            ("min(x,)", 6, 1, "expected a number, name or `(`, found `)`"),
            (
                "(x + 1",
                6,
                0,
                "expected `)` to close `(`, found end of expression",
            ),
            (
                "x +",
                3,
                0,
                "expected a number, name or `(`, found end of expression",
            ),
            (
                "x t",
                2,
                1,
                "expected an operator or end of expression, found `t`",
            ),
            (
                "2 3.5",
                2,
                3,
                "expected an operator or end of expression, found number `3.5`",
            ),
            ("x)", 1, 1, "unmatched `)`; no `(` is open here"),
            ("))", 0, 1, "expected a number, name or `(`, found `)`"),
            (
                "1e",
                0,
                2,
                "malformed number `1e`; expected digits after the exponent",
            ),
            (
                "2 * 1e+",
                4,
                3,
                "malformed number `1e+`; expected digits after the exponent",
            ),
            ("1e999", 0, 5, "number `1e999` is too large to represent"),
            (
                "\"unterminated",
                0,
                13,
                "unterminated string literal; expected a closing `\"`",
            ),
            ("x = 1", 2, 1, "unexpected `=`; use `==` to compare values"),
            ("x & t", 2, 1, "unexpected `&`; use `&&` for logical and"),
            ("x | t", 2, 1, "unexpected `|`; use `||` for logical or"),
            ("2 ** 3", 2, 2, "unexpected `**`; use `^` for powers"),
            ("x.y", 1, 1, "unexpected character `.`"),
            ("1 + * 2", 4, 1, "expected a number, name or `(`, found `*`"),
        ] {
            let e = err(src);
            assert_eq!(e.message, message, "{src:?}");
            assert_eq!((e.offset, e.len), (offset, len), "{src:?}");
            assert_eq!(e.to_string(), message);
        }
    }

    #[test]
    fn first_error_wins() {
        // The lexer runs lazily, so a parse error before a bad character is reported first.
        assert_eq!(err("x t #").offset, 2);
        assert_eq!(err("x + # t").offset, 4);
        // Name errors are reported left to right.
        assert_eq!(err("aaa + bbb").message, "unknown name `aaa`");
    }

    /// `lookup(wide_table, ...)` with the given keys, which all sit on the stack at once.
    fn wide_lookup(keys: &[&str]) -> String {
        format!("lookup(wide_table, {})", keys.join(", "))
    }

    #[test]
    fn stack_depth_is_limited() {
        let keys = vec!["x"; WIDE];
        let p = prog(&wide_lookup(&keys));
        let env = TestEnv::new();
        assert_eq!(p.eval(&env), env.lookup(2, &[3.0; WIDE]));
        let e = err(&format!("1 + {}", wide_lookup(&keys)));
        assert_eq!(
            e.message,
            "expression is too complex: evaluating it needs 65 stack slots, more than the \
             limit of 64; split it into intermediate parameters"
        );
        assert_eq!((e.offset, e.len), (0, 4 + wide_lookup(&keys).len()));
        // The last key needs a second slot while the other keys wait.
        let mut keys = vec!["x"; WIDE - 1];
        keys.push("x * t");
        assert!(
            err(&wide_lookup(&keys))
                .message
                .contains("needs 65 stack slots")
        );
        // Unless it folds to a constant.
        keys[WIDE - 1] = "2 * ten";
        assert!(compile(&wide_lookup(&keys), &TestResolver).is_ok());
        // Left-nested chains and variadic calls need only two slots however long they are.
        let chain = vec!["x"; 500].join(" + ");
        assert_eq!(eval(&chain), 1500.0);
        let chain = vec!["x"; 500].join(" ^ ");
        assert!(err(&chain).message.contains("nested too deeply"));
        let min = format!("min({})", vec!["x"; 500].join(", "));
        assert_eq!(eval(&min), 3.0);
    }

    #[test]
    fn max_stack_depth_follows_branches() {
        let p = prog("if(x, t, lookup(life_table, x, t + (y * x)))");
        assert_eq!(max_stack_depth(&p.ops), 4);
        let p = prog("x && (t || y * x)");
        assert_eq!(max_stack_depth(&p.ops), 2);
    }

    #[test]
    fn nesting_is_limited_without_overflowing() {
        // Each parenthesis costs two levels: one for the operators inside, one for the operand.
        let ok = format!("{}x{}", "(".repeat(45), ")".repeat(45));
        assert_eq!(eval(&ok), 3.0);
        let ok = format!("{}x{}", "if(t, 1, ".repeat(45), ")".repeat(45));
        assert_eq!(eval(&ok), 1.0);
        let too_deep = [
            format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000)),
            "(".repeat(10_000),
            format!("{}1", "-".repeat(10_000)),
            format!("{}1", "!".repeat(10_000)),
            format!("{}2", "2^".repeat(10_000)),
            "exp(".repeat(10_000),
            format!("{}1", "min(1, ".repeat(10_000)),
        ];
        for src in &too_deep {
            let e = err(src);
            assert!(
                e.message.starts_with("expression is nested too deeply"),
                "{e}"
            );
        }
        // Runs of same-precedence operators are kept flat, so their length is not limited.
        let long = format!("{}1", "1 + ".repeat(100_000));
        assert_eq!(prog(&long).as_constant(), Some(100_001.0));
        let long = format!("{}x", "x - y + ".repeat(100_000));
        assert_eq!(eval(&long), 450_003.0);
        let long = format!("{}1", "x > 0 && ".repeat(100_000));
        assert_eq!(eval(&long), 1.0);
    }

    #[test]
    fn malformed_inputs_are_errors() {
        for src in [
            "",
            " ",
            "(",
            ")",
            "1 +",
            "))",
            "1e",
            "1e+",
            "\"unterminated",
            "\"",
            "a b",
            "min()",
            ",",
            "1,2",
            "()",
            "f()",
            "x(",
            "x(1",
            "x(1,",
            "if(",
            "lookup(",
            "lookup(,)",
            "-",
            "!",
            "^2",
            "2^",
            "2^^2",
            "==",
            "1 ==",
            "&&",
            "x ||",
            "1..2",
            ".",
            "..5",
            "1.2.3",
            "$x",
            "x y z",
            "\u{0}",
            "é",
            "🙂",
            "lookup(\"x\", 1)",
            "\"a\" == ",
            "(((1)",
            "sex == \"",
            "exp()",
            "abs(1,2,3)",
            "1 2",
            "+1",
            "1 ! 2",
        ] {
            assert!(compile(src, &TestResolver).is_err(), "{src:?} compiled");
        }
    }

    /// Deterministic xorshift generator for the randomised tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    #[test]
    fn random_token_soup_never_panics() {
        const TOKENS: &[&str] = &[
            "x",
            "t",
            "1",
            ".5",
            "1e",
            "2.5E+2",
            "(",
            ")",
            ",",
            "+",
            "-",
            "*",
            "/",
            "^",
            "!",
            "&&",
            "||",
            "==",
            "!=",
            "<",
            ">=",
            "min",
            "if",
            "lookup",
            "life_table",
            "utility_table",
            "sex",
            "\"female\"",
            "\"",
            " ",
            "exp",
            "#",
            "λ",
            "=",
            "&",
            "|",
            "p_remission",
            "ten",
            "cycle_prob",
            "weibull_surv",
            "hr_prob",
            "age",
            "0",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let len = 1 + rng.below(16);
            let src: String = (0..len).map(|_| rng.pick(TOKENS)).collect();
            if let Ok(p) = compile(&src, &TestResolver) {
                let env = TestEnv::new();
                let value = p.eval(&env);
                if let Some(c) = p.as_constant() {
                    assert!(c.to_bits() == value.to_bits(), "{src:?}");
                }
            }
        }
    }

    /// A straightforward tree-walking evaluator, used as an oracle for the compiler and VM.
    fn reference(node: &Node<'_>, env: &TestEnv) -> f64 {
        let b = |x: bool| if x { 1.0 } else { 0.0 };
        match &node.kind {
            Kind::Num(v) => *v,
            Kind::Str(_) => unreachable!("compile rejects stray strings"),
            Kind::Name(name) => match TestResolver.resolve(name) {
                Some(Symbol::Param(i)) => env.param(i),
                Some(Symbol::Var(i)) => env.var(i),
                Some(Symbol::Const(c)) => c,
                other => unreachable!("{other:?}"),
            },
            Kind::Unary(UnaryOp::Neg, x) => -reference(x, env),
            Kind::Unary(UnaryOp::Not, x) => b(reference(x, env) == 0.0),
            Kind::Binary(op, l, r) => {
                let level = |var: &Node<'_>, s: &str| {
                    let Kind::Name(name) = var.kind else {
                        unreachable!()
                    };
                    let Some(Symbol::Var(i)) = TestResolver.resolve(name) else {
                        unreachable!()
                    };
                    (env.var(i), TestResolver.level(i, s).unwrap())
                };
                let (a, c) = match (&l.kind, &r.kind) {
                    (Kind::Str(s), _) => level(r, s),
                    (_, Kind::Str(s)) => level(l, s),
                    _ => (reference(l, env), reference(r, env)),
                };
                reference_arith(*op, a, c)
            }
            Kind::Chain(first, rest) => {
                let mut acc = reference(first, env);
                for (op, rhs) in rest {
                    acc = match op {
                        BinaryOp::And if acc == 0.0 => 0.0,
                        BinaryOp::Or if acc != 0.0 => 1.0,
                        BinaryOp::And | BinaryOp::Or => b(reference(rhs, env) != 0.0),
                        _ => reference_arith(*op, acc, reference(rhs, env)),
                    };
                }
                acc
            }
            Kind::Call { name, args, .. } => {
                if *name == "if" {
                    let taken = if reference(&args[0], env) != 0.0 {
                        1
                    } else {
                        2
                    };
                    return reference(&args[taken], env);
                }
                if let ("lookup", Kind::Name(table)) = (*name, &args[0].kind) {
                    let Some(Symbol::Table { index, .. }) = TestResolver.resolve(table) else {
                        unreachable!()
                    };
                    let keys: Vec<f64> = args[1..].iter().map(|a| reference(a, env)).collect();
                    return env.lookup(index, &keys);
                }
                // Every other function evaluates each argument exactly once, left to right.
                let values: Vec<f64> = args.iter().map(|a| reference(a, env)).collect();
                let v = |i: usize| values[i];
                match *name {
                    "min" => (1..args.len()).fold(v(0), |m, i| nan_or(m, v(i), f64::min)),
                    "max" => (1..args.len()).fold(v(0), |m, i| nan_or(m, v(i), f64::max)),
                    "exp" => v(0).exp(),
                    "log" => v(0).ln(),
                    "sqrt" => v(0).sqrt(),
                    "abs" => v(0).abs(),
                    "floor" => v(0).floor(),
                    "ceil" => v(0).ceil(),
                    "pow" => v(0).powf(v(1)),
                    "odds" => v(0) / (1.0 - v(0)),
                    "odds_to_prob" => v(0) / (1.0 + v(0)),
                    "prob_to_rate" => prob_to_rate(v(0), v(1)),
                    "rate_to_prob" => rate_to_prob(v(0), v(1)),
                    "cycle_prob" => rate_to_prob(v(0), DELTA),
                    "hr_prob" => hr_prob(v(0), v(1)),
                    "cum_prob_to_cycle" => cum_prob_to_cycle(v(0), v(1), DELTA),
                    "weibull_surv" => weibull_surv(v(0), v(1), v(2)),
                    other => unreachable!("{other}"),
                }
            }
        }
    }

    fn reference_arith(op: BinaryOp, a: f64, c: f64) -> f64 {
        let b = |x: bool| if x { 1.0 } else { 0.0 };
        match op {
            BinaryOp::Eq => b(a == c),
            BinaryOp::Ne => b(a != c),
            BinaryOp::Lt => b(a < c),
            BinaryOp::Le => b(a <= c),
            BinaryOp::Gt => b(a > c),
            BinaryOp::Ge => b(a >= c),
            BinaryOp::Add => a + c,
            BinaryOp::Sub => a - c,
            BinaryOp::Mul => a * c,
            BinaryOp::Div => a / c,
            BinaryOp::Pow => a.powf(c),
            BinaryOp::And | BinaryOp::Or => unreachable!("handled lazily by the caller"),
        }
    }

    /// Generates a random well-formed expression of at most `depth` levels.
    fn random_expr(rng: &mut Rng, depth: usize) -> String {
        const LEAVES: &[&str] = &[
            "0",
            "1",
            "2",
            "0.5",
            ".25",
            "1e-3",
            "3",
            "x",
            "t",
            "y",
            "p",
            "r",
            "time_in_state",
            "age",
            "sex",
            "ten",
            "cycle_years",
            "(sex == \"female\")",
            "(\"male\" != sex)",
        ];
        const OPS: &[&str] = &[
            "+", "-", "*", "/", "^", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
        ];
        const FUNCS: &[(&str, usize)] = &[
            ("exp", 1),
            ("log", 1),
            ("sqrt", 1),
            ("abs", 1),
            ("floor", 1),
            ("ceil", 1),
            ("pow", 2),
            ("min", 3),
            ("max", 2),
            ("if", 3),
            ("prob_to_rate", 2),
            ("rate_to_prob", 2),
            ("cycle_prob", 1),
            ("odds", 1),
            ("odds_to_prob", 1),
            ("hr_prob", 2),
            ("cum_prob_to_cycle", 2),
            ("weibull_surv", 3),
        ];
        if depth == 0 {
            return rng.pick(LEAVES).to_string();
        }
        let sub = |rng: &mut Rng| random_expr(rng, depth - 1);
        match rng.below(8) {
            0 => rng.pick(LEAVES).to_string(),
            1 => format!("({})", sub(rng)),
            2 => format!("-{}", sub(rng)),
            3 => format!("!{}", sub(rng)),
            4 => {
                let (name, arity) = FUNCS[rng.below(FUNCS.len())];
                let args: Vec<String> = (0..arity).map(|_| sub(rng)).collect();
                format!("{name}({})", args.join(", "))
            }
            5 => match rng.below(2) {
                0 => format!("lookup(utility_table, {})", sub(rng)),
                _ => format!("lookup(life_table, {}, {})", sub(rng), sub(rng)),
            },
            _ => {
                let op = rng.pick(OPS);
                format!("{} {op} {}", sub(rng), sub(rng))
            }
        }
    }

    #[test]
    fn compiled_programs_match_reference_evaluator() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let envs = [
            TestEnv::new(),
            TestEnv {
                params: vec![0.0, 1.0, 0.5, 0.99, 0.0, -1.0, 0.5, 0.0],
                vars: vec![0.0, 0.0, MALE],
                lookups: Cell::new(0),
            },
        ];
        let mut compiled = 0;
        for _ in 0..20_000 {
            let src = random_expr(&mut rng, 5);
            let Ok(program) = compile(&src, &TestResolver) else {
                let e = err(&src);
                assert!(
                    e.message.contains("chained") || e.message.contains("stack"),
                    "{src}: {e}"
                );
                continue;
            };
            compiled += 1;
            let ast = parse(&src).unwrap();
            for env in &envs {
                env.lookups.set(0);
                let expected = reference(&ast, env);
                let expected_lookups = env.lookups.replace(0);
                let actual = program.eval(env);
                assert!(
                    actual.to_bits() == expected.to_bits()
                        || (actual.is_nan() && expected.is_nan()),
                    "{src}: vm {actual}, reference {expected}\n{program:?}"
                );
                assert_eq!(env.lookups.get(), expected_lookups, "{src}");
            }
        }
        assert!(
            compiled > 15_000,
            "only {compiled} random expressions compiled"
        );
    }

    #[test]
    fn program_traits() {
        fn assert_traits<T: Clone + fmt::Debug + Send + Sync + 'static>() {}
        assert_traits::<Program>();
        assert_traits::<ExprError>();
        // A resolver behind `dyn` works too.
        let resolver: &dyn Resolver = &TestResolver;
        assert_eq!(
            compile("x * 2", resolver).unwrap().eval(&TestEnv::new()),
            6.0
        );
    }
}
