//! The compile error, located by a byte span of the source string.

use std::fmt;

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
    pub(super) fn new(span: Span, message: impl Into<String>) -> Self {
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
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Span {
    /// The span from the start of `self` to the end of `other`.
    pub(super) fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end,
        }
    }
}
