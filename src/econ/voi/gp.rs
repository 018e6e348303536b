//! Gaussian-process regression for several inputs at once, as in SAVI (Strong, Oakley &
//! Brennan 2014, Med Decis Making 34:311, §3.2 and appendix) and voi's `method = "gp"`.
//!
//! The inputs are scaled to [0, 1]; the mean is linear, `Hβ` with `H = [1, X]`; the
//! correlation is squared-exponential, `exp(−Σ_j ((x_j − x'_j)/δ_j)²)`, plus a nugget `ν`,
//! so `A* = A + νI`. The hyperparameters `δ, ν` maximise the marginal posterior density of
//! SAVI's `post.density()` (flat-ish normal priors on `log δ`, an inverse-gamma(0.001, 1)
//! prior on `ν`, `σ²` and `β` integrated out) on the first `min(30·p, 250)` draws, by
//! Nelder–Mead restarted until it moves less than 0.05 (at most three runs), as SAVI
//! does. Then, on all draws (at most [`MAX_GP_DRAWS`], voi's `maxSample`):
//!
//! `β̂ = (HᵀA*⁻¹H)⁻¹HᵀA*⁻¹y`, fitted values `ĝ = Hβ̂ + AA*⁻¹(y − Hβ̂) = y − νA*⁻¹(y − Hβ̂)`,
//! `σ̂² = (y − Hβ̂)ᵀA*⁻¹(y − Hβ̂)/(n − q − 2)`, and the covariance of the fitted values
//! `V = σ̂²(νI − ν²A*⁻¹ + (H − AA*⁻¹H)(HᵀA*⁻¹H)⁻¹(H − AA*⁻¹H)ᵀ)`, where
//! `H − AA*⁻¹H = νA*⁻¹H`. Only quadratic forms `aᵀVa` are needed, so `V` is never formed.
//!
//! One departure from SAVI: the response is centred and scaled to unit variance before
//! fitting (and the results scaled back), because the inverse-gamma(0.001, 0.001) prior on
//! `σ²` is not scale-free: with incremental QALYs of order 0.01 it would otherwise weigh
//! differently from incremental costs of order 1,000.

use nalgebra::{Cholesky, DMatrix, DVector, Dyn};

use super::optim::nelder_mead;
use super::{Cov, Fit};

/// Largest number of draws a Gaussian process is fitted to (voi's `maxSample`): the
/// correlation matrix has this many rows and columns.
pub const MAX_GP_DRAWS: usize = 5000;

/// What the variance of a linear function of the fitted values needs.
pub(super) struct GpCov {
    chol: Cholesky<f64, Dyn>,
    h: DMatrix<f64>,
    /// `(HᵀA*⁻¹H)⁻¹`.
    m: DMatrix<f64>,
    nu: f64,
    /// `σ̂²` times the squared scale of the response.
    scale2: f64,
}

impl GpCov {
    /// `aᵀVa`.
    pub(super) fn variance(&self, a: &[f64]) -> f64 {
        if a.iter().all(|v| *v == 0.0) {
            return 0.0;
        }
        let a = DVector::from_column_slice(a);
        let w = self.chol.solve(&a);
        let b = self.h.tr_mul(&w);
        let nu = self.nu;
        let v = nu * a.norm_squared() - nu * nu * a.dot(&w)
            + nu * nu * (b.transpose() * &self.m * &b)[0];
        self.scale2 * v.max(0.0)
    }
}

/// Fit a Gaussian process to `y` on the inputs `columns` (each as long as `y`, at most
/// [`MAX_GP_DRAWS`], none constant).
pub(super) fn fit(columns: &[Vec<f64>], y: &[f64]) -> Fit {
    let n = y.len();
    let mean = y.iter().sum::<f64>() / n as f64;
    let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    if sd == 0.0 || !sd.is_finite() {
        return Fit {
            fitted: y.to_vec(),
            cov: Cov::None,
        };
    }
    let x = scaled_inputs(columns);
    let z = DVector::from_iterator(n, y.iter().map(|v| (v - mean) / sd));
    let p = columns.len();
    let m = (30 * p).min(250).min(n);
    let hyper = hyperparameters(&x.rows(0, m).into_owned(), &z.rows(0, m).into_owned());
    match fit_with(&x, &z, &hyper) {
        Some((g, cov)) => Fit {
            fitted: g.iter().map(|v| mean + sd * v).collect(),
            cov: Cov::Gp(Box::new(GpCov {
                scale2: cov.scale2 * sd * sd,
                ..cov
            })),
        },
        None => Fit {
            fitted: vec![mean; n],
            cov: Cov::None,
        },
    }
}

/// The inputs as an n × p matrix, each column scaled to [0, 1] by its range.
fn scaled_inputs(columns: &[Vec<f64>]) -> DMatrix<f64> {
    let n = columns.first().map_or(0, Vec::len);
    let mut x = DMatrix::zeros(n, columns.len());
    for (j, c) in columns.iter().enumerate() {
        let lo = c.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let range = if hi > lo { hi - lo } else { 1.0 };
        for (i, v) in c.iter().enumerate() {
            x[(i, j)] = (v - lo) / range;
        }
    }
    x
}

/// `[1, X]`.
fn mean_basis(x: &DMatrix<f64>) -> DMatrix<f64> {
    let mut h = DMatrix::from_element(x.nrows(), x.ncols() + 1, 1.0);
    h.view_mut((0, 1), (x.nrows(), x.ncols())).copy_from(x);
    h
}

/// `A* = A + νI` with the squared-exponential correlation of scales `delta`.
fn correlation(x: &DMatrix<f64>, delta: &[f64], nu: f64) -> DMatrix<f64> {
    let n = x.nrows();
    let inv: Vec<f64> = delta.iter().map(|d| 1.0 / d).collect();
    let mut a = DMatrix::zeros(n, n);
    for i in 0..n {
        a[(i, i)] = 1.0 + nu;
        for l in 0..i {
            let d2: f64 = inv
                .iter()
                .enumerate()
                .map(|(j, s)| ((x[(i, j)] - x[(l, j)]) * s).powi(2))
                .sum();
            let v = (-d2).exp();
            a[(i, l)] = v;
            a[(l, i)] = v;
        }
    }
    a
}

/// Log marginal posterior density of SAVI's `post.density()` at log hyperparameters
/// `(log δ₁, …, log δ_p, log ν)`, up to a constant; −∞ where `A*` is not positive definite.
fn log_posterior(log_hyper: &[f64], x: &DMatrix<f64>, y: &DVector<f64>) -> f64 {
    const A_SIGMA: f64 = 0.001;
    const B_SIGMA: f64 = 0.001;
    const A_NU: f64 = 0.001;
    const B_NU: f64 = 1.0;
    let p = x.ncols();
    if log_hyper.iter().any(|v| v.abs() > 30.0) {
        return f64::NEG_INFINITY;
    }
    let delta: Vec<f64> = log_hyper[..p].iter().map(|v| v.exp()).collect();
    let nu = log_hyper[p].exp();
    let Some(chol) = correlation(x, &delta, nu).cholesky() else {
        return f64::NEG_INFINITY;
    };
    let h = mean_basis(x);
    let q = h.ncols();
    let l = chol.l();
    let (Some(yy), Some(xx)) = (l.solve_lower_triangular(y), l.solve_lower_triangular(&h)) else {
        return f64::NEG_INFINITY;
    };
    let mut thah = xx.tr_mul(&xx);
    for i in 0..q {
        thah[(i, i)] += 1e-7;
    }
    let Some(thah_chol) = thah.clone().cholesky() else {
        return f64::NEG_INFINITY;
    };
    let xty = xx.tr_mul(&yy);
    let beta = thah_chol.solve(&xty);
    let resid_ss =
        yy.norm_squared() - 2.0 * yy.dot(&(&xx * &beta)) + (beta.transpose() * &thah * &beta)[0];
    let log_det_l: f64 = l.diagonal().iter().map(|d| d.ln()).sum();
    let log_det_thah: f64 = 2.0 * thah_chol.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
    let n = x.nrows() as f64;
    let log_prior = log_hyper[..p].iter().map(|v| -v * v / 2e5).sum::<f64>()
        - (A_NU + 1.0) * nu.ln()
        - B_NU / nu;
    -log_det_l
        - 0.5 * log_det_thah
        - (n - q as f64 + 2.0 * A_SIGMA) / 2.0 * (resid_ss.max(0.0) / 2.0 + B_SIGMA).ln()
        + log_prior
}

/// `(δ, ν)` maximising the marginal posterior density, from `log δ = log ν = 0`: at most
/// three Nelder–Mead runs of up to 150 evaluations per hyperparameter, each restarted
/// from the last, stopping once a run moves less than 0.05 in total (SAVI restarts R's
/// `optim` the same way, without a cap).
fn hyperparameters(x: &DMatrix<f64>, y: &DVector<f64>) -> Vec<f64> {
    let p = x.ncols();
    let mut objective = |h: &[f64]| -log_posterior(h, x, y);
    let mut start = vec![0.0; p + 1];
    for _ in 0..3 {
        let (next, _) = nelder_mead(&mut objective, &start, 1.0, 1e-9, 150 * (p + 1));
        let moved: f64 = next.iter().zip(&start).map(|(a, b)| (a - b).abs()).sum();
        start = next;
        if moved < 0.05 {
            break;
        }
    }
    start.iter().map(|v| v.exp()).collect()
}

/// Fitted values (standardised scale) and their covariance for hyperparameters `hyper`.
fn fit_with(x: &DMatrix<f64>, y: &DVector<f64>, hyper: &[f64]) -> Option<(DVector<f64>, GpCov)> {
    let p = x.ncols();
    let (delta, nu) = (&hyper[..p], hyper[p]);
    let chol = correlation(x, delta, nu).cholesky()?;
    let h = mean_basis(x);
    let q = h.ncols();
    let ainv_h = chol.solve(&h);
    let mut thah = h.tr_mul(&ainv_h);
    for i in 0..q {
        thah[(i, i)] += 1e-7;
    }
    let m = thah.try_inverse()?;
    let ainv_y = chol.solve(y);
    let beta = &m * h.tr_mul(&ainv_y);
    let resid = y - &h * &beta;
    let w = chol.solve(&resid);
    let fitted = y - &w * nu;
    let n = y.len() as f64;
    let dof = n - q as f64 - 2.0;
    let sigma2 = if dof > 0.0 { resid.dot(&w) / dof } else { 0.0 };
    Some((
        fitted,
        GpCov {
            chol,
            h,
            m,
            nu,
            scale2: sigma2,
        },
    ))
}
