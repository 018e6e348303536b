//! Lexer: splits an expression's source into tokens, one at a time as the parser asks.

use super::error::{ExprError, Span};

/// What a token is; literals and names borrow their text from the source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Tok<'a> {
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

/// A token and where it lies in the source.
#[derive(Clone, Copy, Debug)]
pub(super) struct Token<'a> {
    pub(super) kind: Tok<'a>,
    pub(super) span: Span,
}

/// Produces tokens on demand, so that errors are reported in source order.
pub(super) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// Starts lexing at the beginning of `src`.
    pub(super) fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    /// Lexes the next token, skipping whitespace; at the end it returns `Tok::Eof` forever.
    pub(super) fn next_token(&mut self) -> Result<Token<'a>, ExprError> {
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
