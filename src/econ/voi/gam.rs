//! Penalised regression splines with smoothing parameters chosen by generalised
//! cross-validation, as mgcv's `gam()` fits a Gaussian additive model by default
//! (`method = "GCV.Cp"`; Wood 2017, §4.4 and §6.2).
//!
//! For a design `X` (n × k) and penalties `S_j`, the coefficients minimise
//! `‖y − Xβ‖² + Σ_j λ_j βᵀS_jβ`, so `β = P⁻¹Xᵀy` with `P = XᵀX + Σ_j λ_j S_j`. The effective
//! degrees of freedom are `τ = tr(P⁻¹XᵀX)` and the GCV score is `n·RSS/(n − τ)²`
//! (Craven & Wahba 1979), minimised over `ρ_j = log λ_j`. The Bayesian covariance of the
//! coefficients is `V_β = P⁻¹σ̂²` with `σ̂² = RSS/(n − τ)` (Wood 2017, §6.10; mgcv `vcov()`),
//! which gives the variance of any linear function `aᵀf̂ = aᵀXβ` as
//! `σ̂²‖L⁻¹Xᵀa‖²` where `P = LLᵀ`.

use std::sync::Arc;

use nalgebra::{DMatrix, DVector};

use super::optim::{golden, nelder_mead};
use super::{Cov, Fit};

/// A penalised regression design: the basis at the data, its cross-product and the
/// scaled penalties. Built once per set of inputs and fitted to several responses.
pub(super) struct Smoother {
    x: Arc<DMatrix<f64>>,
    g: DMatrix<f64>,
    penalties: Vec<DMatrix<f64>>,
    /// A tiny ridge keeping `P` positive definite when the basis is rank deficient (a
    /// tensor product over inputs that do not fill their bounding box, such as shares).
    ridge: f64,
}

/// What one value of the smoothing parameters gives.
struct Trial {
    gcv: f64,
    beta: DVector<f64>,
    rss: f64,
    tau: f64,
    l: DMatrix<f64>,
}

impl Smoother {
    /// A design from the basis `x` and penalties (each scaled so that `λ = 1` weighs it
    /// like the data, as mgcv does, which keeps the search range fixed).
    pub(super) fn new(x: DMatrix<f64>, penalties: Vec<DMatrix<f64>>) -> Self {
        let g = x.transpose() * &x;
        let g_norm = g.norm();
        let penalties = penalties
            .into_iter()
            .filter_map(|s| {
                let s_norm = s.norm();
                (s_norm > 0.0).then(|| s * (g_norm / s_norm))
            })
            .collect();
        let k = g.nrows().max(1) as f64;
        let ridge = 1e-9 * g.trace() / k;
        Self {
            x: Arc::new(x),
            g,
            penalties,
            ridge,
        }
    }

    /// Fit `y` with the smoothing parameters that minimise the GCV score.
    pub(super) fn fit(&self, y: &[f64]) -> Fit {
        let y = DVector::from_column_slice(y);
        let xty = self.x.transpose() * &y;
        let d = self.penalties.len();
        let mut score = |rho: &[f64]| self.trial(rho, &xty, &y).map_or(f64::INFINITY, |t| t.gcv);
        let rho = if d == 0 {
            Vec::new()
        } else {
            // A coarse grid with every λ equal, then a local search.
            let grid: Vec<(f64, f64)> = (-6..=6)
                .map(|i| {
                    let r = 2.0 * f64::from(i);
                    (r, score(&vec![r; d]))
                })
                .collect();
            let start = grid
                .iter()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map_or(0.0, |g| g.0);
            if d == 1 {
                let (r, _) = golden(&mut |r| score(&[r]), start - 2.0, start + 2.0, 0.01);
                vec![r]
            } else {
                nelder_mead(&mut score, &vec![start; d], 2.0, 1e-6, 40 * d + 40).0
            }
        };
        match self.trial(&rho, &xty, &y) {
            Some(t) => self.finish(t),
            None => Fit {
                fitted: vec![y.mean(); y.len()],
                cov: Cov::None,
            },
        }
    }

    /// The fit at smoothing parameters `exp(rho)`; `None` if `P` cannot be factorised.
    fn trial(&self, rho: &[f64], xty: &DVector<f64>, y: &DVector<f64>) -> Option<Trial> {
        let k = self.g.nrows();
        let mut p = self.g.clone();
        for (r, s) in rho.iter().zip(&self.penalties) {
            p += s * r.clamp(-40.0, 40.0).exp();
        }
        for i in 0..k {
            p[(i, i)] += self.ridge;
        }
        let chol = p.cholesky()?;
        let beta = chol.solve(xty);
        let fitted = &*self.x * &beta;
        let rss = (y - fitted).norm_squared();
        let p_inv = chol.inverse();
        let tau = p_inv.component_mul(&self.g).sum();
        let n = y.len() as f64;
        let gcv = if n - tau > 0.0 {
            n * rss / (n - tau).powi(2)
        } else {
            f64::INFINITY
        };
        Some(Trial {
            gcv,
            beta,
            rss,
            tau,
            l: chol.l(),
        })
    }

    fn finish(&self, t: Trial) -> Fit {
        let n = self.x.nrows() as f64;
        let fitted = (&*self.x * &t.beta).iter().copied().collect();
        let sigma2 = if n - t.tau > 0.0 {
            t.rss / (n - t.tau)
        } else {
            0.0
        };
        Fit {
            fitted,
            cov: Cov::Basis {
                x: Arc::clone(&self.x),
                l: t.l,
                sigma2,
            },
        }
    }
}

/// `σ̂²‖L⁻¹Xᵀa‖²`: the variance of `aᵀf̂` under the coefficients' Bayesian covariance.
pub(super) fn basis_variance(x: &DMatrix<f64>, l: &DMatrix<f64>, sigma2: f64, a: &[f64]) -> f64 {
    if sigma2 == 0.0 || a.iter().all(|v| *v == 0.0) {
        return 0.0;
    }
    let xta = x.tr_mul(&DVector::from_column_slice(a));
    match l.solve_lower_triangular(&xta) {
        Some(w) => sigma2 * w.norm_squared(),
        None => f64::NAN,
    }
}
