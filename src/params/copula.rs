//! Correlated parameters: a Gaussian copula over each parameter's own marginal.

use crate::model::{Model, ParamDef};
use crate::rng;

/// Overwrite correlated parameters with a Gaussian-copula draw: z = L·e with e standard
/// normal, u = Φ(z), x = F⁻¹(u) for each parameter's own marginal distribution
/// (Briggs, Claxton & Sculpher 2006, ch. 4).
pub(super) fn correlated(
    model: &Model,
    c: &crate::model::Correlation,
    seed: u64,
    draw_idx: u64,
    values: &mut [f64],
) {
    use rand_distr::{Distribution, StandardNormal};
    use statrs::distribution::{ContinuousCDF, Normal};
    let n = c.params.len();
    let mut r = rng::stream(seed, rng::Purpose::Copula, draw_idx, 0);
    let e: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut r)).collect();
    let phi = Normal::standard();
    for (i, id) in c.params.iter().enumerate() {
        let z: f64 = (0..=i).map(|k| c.cholesky[i * n + k] * e[k]).sum();
        if let ParamDef::Value { dist: Some(d), .. } = &model.params[id.0].def {
            // Keep u inside (0, 1): Φ(z) rounds to 1 for z > 8.3, where unbounded quantiles are infinite.
            values[id.0] = d.quantile(phi.cdf(z).clamp(1e-16, 1.0 - 1e-16));
        }
    }
}
