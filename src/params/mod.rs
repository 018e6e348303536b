//! Parameter sets: point values, probabilistic draws (independent streams,
//! a Gaussian copula for correlated parameters, Dirichlet groups), and per-strategy
//! evaluation of overrides and derived parameters (once per parameter set, never per
//! individual-cycle).
//!
//! Files: `draw` (point values and draws), `copula` (correlated draws), `condition` (some
//! parameters held, the rest redrawn given them, for nested value-of-information
//! analysis), `evaluate` (strategy values and parameter-only expressions), `rows` (checks
//! of transition rows that are fixed for a parameter set). Depends on `model`, `expr`,
//! `table` and `rng`; knows nothing of the engine, files or presentation.

mod condition;
mod copula;
mod draw;
mod evaluate;
mod rows;

use rand::Rng;

pub use condition::conditional;
pub use draw::{draw, point_values};
pub use evaluate::{ParamEnv, eval, evaluate};
pub use rows::{RowProblem, check_rows};

/// Tolerance for a probability row summing to one, and for probabilities just outside [0, 1].
pub const ROW_TOLERANCE: f64 = 1e-9;

/// Round to 12 significant digits for messages, hiding binary noise such as 0.8999999999999999.
pub fn round(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 11 - x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits.clamp(-300, 300));
    (x * scale).round() / scale
}

/// A uniform number in [0, 1) from the top 53 bits of one 64-bit output.
#[inline]
pub fn uniform<R: Rng + ?Sized>(r: &mut R) -> f64 {
    (r.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}
