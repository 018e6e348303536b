//! Dirichlet vectors, for groups of probabilities that must sum to one.

use super::{DistError, fail, positive, show};
use rand::Rng;

/// Draws one Dirichlet vector into `out`: Gamma(αᵢ, 1) draws normalised by
/// their sum (Briggs et al. ch. 4, for multinomial transition probabilities),
/// via rand_distr's `Dirichlet`, which switches to stick-breaking with beta
/// draws when every αᵢ ≤ 0.1, where the gamma draws could all underflow to 0.
///
/// Validate with [`check_dirichlet`] first: for invalid `alphas`, or if
/// `out.len() != alphas.len()`, `out` is filled with NaN and no randomness is
/// consumed.
pub fn sample_dirichlet<R: Rng + ?Sized>(alphas: &[f64], rng: &mut R, out: &mut [f64]) {
    use rand_distr::multi::{Dirichlet, MultiDistribution};
    match Dirichlet::new(alphas) {
        Ok(dirichlet) if out.len() == alphas.len() => dirichlet.sample_to_slice(rng, out),
        _ => out.fill(f64::NAN),
    }
}

/// Checks Dirichlet concentration parameters: at least two, each finite and
/// positive (and not subnormal, which the sampler cannot use).
pub fn check_dirichlet(alphas: &[f64]) -> Result<(), DistError> {
    if alphas.len() < 2 {
        return fail(format!(
            "dirichlet needs at least two concentration parameters, found {}",
            alphas.len()
        ));
    }
    for (i, &alpha) in alphas.iter().enumerate() {
        positive("dirichlet", &format!("alpha[{i}]"), alpha)?;
        if alpha < f64::MIN_POSITIVE {
            return fail(format!(
                "dirichlet alpha[{i}] {} is too small to sample; expected at least {}",
                show(alpha),
                show(f64::MIN_POSITIVE)
            ));
        }
    }
    Ok(())
}
