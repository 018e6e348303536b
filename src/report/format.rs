//! How numbers and distributions are written in the report: rounding to significant digits
//! and the text of a parameter distribution.

use crate::dist::Dist;

/// `x` rounded to `digits` significant digits (zero and non-finite values unchanged).
pub fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi((digits - 1 - x.abs().log10().floor() as i32).clamp(-300, 300));
    (x * scale).round() / scale
}

/// A distribution as the parameter table shows it, e.g. `beta(α = 12, β = 30)`.
pub fn dist_text(d: &Dist) -> String {
    match d {
        Dist::Fixed(v) => format!("fixed {v}"),
        Dist::Beta { alpha, beta } => format!(
            "beta(α = {}, β = {})",
            significant(*alpha, 4),
            significant(*beta, 4)
        ),
        Dist::Gamma { shape, scale } => format!(
            "gamma(shape = {}, scale = {})",
            significant(*shape, 4),
            significant(*scale, 4)
        ),
        Dist::LogNormal { meanlog, sdlog } => format!(
            "lognormal(μ = {}, σ = {})",
            significant(*meanlog, 4),
            significant(*sdlog, 4)
        ),
        Dist::Normal { mean, sd } => format!(
            "normal(mean = {}, sd = {})",
            significant(*mean, 4),
            significant(*sd, 4)
        ),
        Dist::Uniform { min, max } => format!("uniform({min}, {max})"),
    }
}
