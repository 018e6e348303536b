//! Value of information: the expected value of partial perfect information (EVPPI) of a
//! parameter or a group of parameters, from the draws of a probabilistic analysis by
//! nonparametric regression (Strong, Oakley & Brennan 2014), or from conditional means
//! computed by nested Monte Carlo.
//!
//! # Method
//!
//! For inputs `φ` (one parameter or a group) the EVPPI is
//! `E_φ[max_s E(NB_s | φ)] − max_s E(NB_s)`. Regression estimates `E(NB_s | φ)` at each
//! draw by smoothing the draws' outcomes against `φ`; as in the R package voi (Jackson,
//! Heath, Baio & Strong), the incremental costs and the incremental effects of each
//! strategy against the reference are smoothed separately, so that one pair of fits serves
//! every willingness to pay `k`: the fitted incremental net benefit is
//! `ĝ_s = k·ê_s − ĉ_s` (`0` for the reference) and
//!
//! `EVPPI(k) = (1/n) Σ_i max_s ĝ_is − max_s (1/n) Σ_i ĝ_is` (voi `calc_evppi()`).
//!
//! The smoother follows voi's defaults (`default_npreg_method()`):
//!
//! - **`gam`** for one to four inputs: a tensor product of cubic regression splines
//!   (mgcv `te(…, bs = "cr")`, 5 knots per input, 4 from four inputs on) with one
//!   smoothing parameter per input chosen by GCV (`gam`, `spline`). With one input this is
//!   a penalised cubic regression spline.
//! - **`gp`** for five inputs or more: Gaussian-process regression as in SAVI (`gp`),
//!   because a tensor product would need 4⁵ = 1,024 or more coefficients.
//!
//! Inputs are first cleaned as voi's `remove_constant_linear_cols()` does: constant inputs
//! are dropped, and so is any input that is a linear combination of the ones before it
//! (for example the last share of a Dirichlet group, which is one minus the others). With
//! nothing left the EVPPI is exactly zero (method `constant`).
//!
//! # Error
//!
//! Each estimate carries a standard error combining two parts:
//!
//! - the uncertainty of the fitted regression, which voi's `se = TRUE` estimates by
//!   simulating the regression coefficients (`gam`: `N(β̂, V_β)`, mgcv `vcov()`; `gp`: the
//!   fitted values' posterior covariance, SAVI's `V`). Here the same variance is taken by
//!   the delta method, `Var(EVPPI) ≈ Σ_s (k²·aₛᵀV(ê_s)aₛ + aₛᵀV(ĉ_s)aₛ)` with
//!   `a_{s,i} = (1[s is best at draw i] − 1[s is best on average])/n`, the gradient of the
//!   estimate with respect to the fitted values; it is exact to first order and needs no
//!   random numbers. Costs and effects are treated as independent, as voi does;
//! - the Monte Carlo error of the outer mean over the `n` draws,
//!   `sd_i(max_s ĝ_is − ĝ_{i,s*})/√n`.
//!
//! Neither covers a regression that is misspecified; the residual checks voi's
//! `check_regression()` shows are the guard against that.
//!
//! # References
//!
//! - Strong M, Oakley JE, Brennan A. Estimating multiparameter partial expected value of
//!   perfect information from a probabilistic sensitivity analysis sample: a nonparametric
//!   regression approach. *Med Decis Making* 2014;34(3):311–326.
//! - Wood SN. *Generalized Additive Models: An Introduction with R*, 2nd ed. CRC, 2017.
//! - Jackson C, Heath A, Baio G, Strong M. voi: Expected Value of Information. R package
//!   (github.com/chjackson/voi): `evppi()`, `evppi_npreg.R`, `evppi_gam.R`, `evppi_gp.R`.
//! - Brennan A, Kharroubi S, O'Hagan A, Chilcott J. Calculating partial expected value of
//!   perfect information via Monte Carlo sampling algorithms. *Med Decis Making*
//!   2007;27(4):448–470 (the nested estimator).

mod evppi;
mod gam;
mod gp;
mod optim;
mod spline;

use std::sync::Arc;

use nalgebra::DMatrix;

pub use evppi::{Estimate, evppi_conditional, evppi_regression};
pub use gp::MAX_GP_DRAWS;

/// Knots per input of a tensor-product spline with up to three inputs (mgcv `te()`'s
/// default basis dimension per margin, which voi keeps).
pub const KNOTS: usize = 5;
/// Knots per input from four inputs on (voi adds `k = 4` to `te()` there, as SAVI does).
pub const KNOTS_FOUR: usize = 4;
/// Most inputs fitted by a tensor-product spline; more use a Gaussian process.
pub const MAX_GAM_INPUTS: usize = 4;

/// How an EVPPI was estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Penalised (tensor-product) cubic regression spline.
    Gam,
    /// Gaussian-process regression.
    Gp,
    /// Every input is constant: EVPPI is zero.
    Constant,
    /// Nested two-level Monte Carlo.
    Nested,
}

impl Method {
    /// The name written in `evppi.csv`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Gam => "gam",
            Method::Gp => "gp",
            Method::Constant => "constant",
            Method::Nested => "nested",
        }
    }
}

/// Fitted values of one regression, with what the variance of a linear function of them
/// needs.
pub struct Fit {
    /// Fitted value at each draw.
    pub fitted: Vec<f64>,
    cov: Cov,
}

/// The covariance of the fitted values.
enum Cov {
    /// Known exactly (a constant response).
    None,
    /// `X·V_β·Xᵀ` with `V_β = σ²(LLᵀ)⁻¹`.
    Basis {
        x: Arc<DMatrix<f64>>,
        l: DMatrix<f64>,
        sigma2: f64,
    },
    Gp(Box<gp::GpCov>),
}

impl Fit {
    /// Variance of `Σ_i a_i·f̂_i` under the fit's covariance.
    #[must_use]
    pub fn variance(&self, a: &[f64]) -> f64 {
        match &self.cov {
            Cov::None => 0.0,
            Cov::Basis { x, l, sigma2 } => gam::basis_variance(x, l, *sigma2, a),
            Cov::Gp(g) => g.variance(a),
        }
    }
}

/// The inputs of one EVPPI, cleaned, with the smoother chosen for them.
pub struct Design {
    /// Indices (into the columns given) of the inputs kept.
    pub kept: Vec<usize>,
    /// Number of draws the fits use: all, or the first [`MAX_GP_DRAWS`] for a Gaussian
    /// process.
    pub n: usize,
    /// The method the fits use.
    pub method: Method,
    smoother: Smoother,
}

enum Smoother {
    None,
    Gam(gam::Smoother),
    Gp(Vec<Vec<f64>>),
}

impl Design {
    /// Clean the inputs (one slice per input, each one value per draw) and choose the
    /// smoother: `gam` for up to [`MAX_GAM_INPUTS`] inputs, `gp` beyond.
    ///
    /// # Panics
    ///
    /// Panics if the columns differ in length.
    #[must_use]
    pub fn new(columns: &[&[f64]]) -> Self {
        let n = columns.first().map_or(0, |c| c.len());
        assert!(
            columns.iter().all(|c| c.len() == n),
            "Design::new: inputs of different lengths"
        );
        let kept = independent_columns(columns);
        let inputs: Vec<Vec<f64>> = kept.iter().map(|&j| columns[j].to_vec()).collect();
        let (method, n, smoother) = match inputs.len() {
            0 => (Method::Constant, n, Smoother::None),
            p if p <= MAX_GAM_INPUTS => {
                let knots = if p >= 4 { KNOTS_FOUR } else { KNOTS };
                let (x, penalties) = spline::tensor(&inputs, knots);
                (
                    Method::Gam,
                    n,
                    Smoother::Gam(gam::Smoother::new(x, penalties)),
                )
            }
            _ => {
                let m = n.min(MAX_GP_DRAWS);
                let inputs = inputs.into_iter().map(|c| c[..m].to_vec()).collect();
                (Method::Gp, m, Smoother::Gp(inputs))
            }
        };
        Self {
            kept,
            n,
            method,
            smoother,
        }
    }

    /// Regress `y` (one value per draw; only the first [`n`](Self::n) are used) on the
    /// inputs.
    #[must_use]
    pub fn fit(&self, y: &[f64]) -> Fit {
        let y = &y[..self.n];
        match &self.smoother {
            Smoother::None => {
                let mean = y.iter().sum::<f64>() / y.len().max(1) as f64;
                Fit {
                    fitted: vec![mean; y.len()],
                    cov: Cov::None,
                }
            }
            Smoother::Gam(s) => s.fit(y),
            Smoother::Gp(inputs) => gp::fit(inputs, y),
        }
    }
}

/// Indices of the columns that are neither constant nor a linear combination of earlier
/// kept columns (voi `remove_constant_linear_cols()`): modified Gram–Schmidt on the
/// centred columns, dropping a column whose remainder is below 10⁻⁸ of its own size.
fn independent_columns(columns: &[&[f64]]) -> Vec<usize> {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let mut kept = Vec::new();
    for (j, c) in columns.iter().enumerate() {
        let n = c.len().max(1) as f64;
        let mean = c.iter().sum::<f64>() / n;
        let mut v: Vec<f64> = c.iter().map(|x| x - mean).collect();
        let norm0 = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm0 == 0.0 || !norm0.is_finite() {
            continue;
        }
        for b in &basis {
            let dot: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
            v.iter_mut().zip(b).for_each(|(x, y)| *x -= dot * y);
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 1e-8 * norm0 {
            v.iter_mut().for_each(|x| *x /= norm);
            basis.push(v);
            kept.push(j);
        }
    }
    kept
}

#[cfg(test)]
mod tests;
