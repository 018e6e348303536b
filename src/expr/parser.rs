//! Syntax tree and the recursive-descent parser that builds it from the lexer's tokens.

use super::error::{ExprError, Span};
use super::lexer::{Lexer, Tok, Token};

/// Maximum recursion depth of the parser, counted over nested operands and operator levels.
///
/// Parentheses, calls and unary operators each nest one or two levels, so realistic
/// expressions stay far below the limit; hostile input gets an error instead of overflowing
/// the thread's stack. The tree's height, and so the compiler's recursion, is bounded by it too.
/// At the limit, parsing plus compiling was measured at under 0.5 MiB of stack in an
/// unoptimised build (under 0.1 MiB optimised), well inside a spawned thread's 2 MiB.
const MAX_DEPTH: usize = 100;

/// A prefix operator: `-` or `!`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UnaryOp {
    Neg,
    Not,
}

/// An infix operator, as written in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BinaryOp {
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

/// A node of the syntax tree, with the span of the source it was parsed from.
#[derive(Debug)]
pub(super) struct Node<'a> {
    pub(super) kind: Kind<'a>,
    pub(super) span: Span,
}

/// What a syntax-tree node is.
#[derive(Debug)]
pub(super) enum Kind<'a> {
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

/// Recursive-descent parser state: one token of lookahead over a lazy lexer.
struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    /// The current, not yet consumed token.
    tok: Token<'a>,
    /// Number of active calls of the recursive parsing functions.
    depth: usize,
}

/// Parses `src` into a syntax tree.
pub(super) fn parse(src: &str) -> Result<Node<'_>, ExprError> {
    if src.trim().is_empty() {
        return Err(ExprError::new(
            Span {
                start: 0,
                end: src.len(),
            },
            "empty expression; expected a number, name or `(`",
        ));
    }
    let mut lexer = Lexer::new(src);
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
