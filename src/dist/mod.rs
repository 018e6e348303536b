//! Probability distributions for model parameters, as health economists
//! specify them: natural parameters, a mean and standard error (method of
//! moments), or a reported 95% interval.
//!
//! References: Briggs, Claxton & Sculpher (2006), *Decision Modelling for
//! Health Economic Evaluation*, ch. 4 ("Briggs et al."), and the method-of-
//! moments helpers of heemod (`define_psa`), hesim (`mom_beta`, `mom_gamma`)
//! and dampack (`beta_params`, `gamma_params`), whose conventions this follows.
//!
//! Files: `fit` (specifications to natural parameters), `family` (moments, quantiles
//! and sampling of a fitted distribution), `dirichlet` (Dirichlet vectors). Depends on
//! nothing in the crate.

mod dirichlet;
mod family;
mod fit;
#[cfg(test)]
mod tests;

use std::fmt;

pub use dirichlet::{check_dirichlet, sample_dirichlet};
pub use fit::fit;

/// Φ⁻¹(0.975): a central 95% interval spans ±`Z975` standard errors. The full
/// value (not 1.96) lets fitted quantiles reproduce the given bounds exactly.
const Z975: f64 = 1.959_963_984_540_054;

/// Largest gamma shape accepted (cv ≥ 1e-4). statrs evaluates the gamma cdf
/// by a series whose length grows with √shape and which stops advancing past
/// 2⁵³, so quantiles beyond this would be slow or never return; a quantity
/// known this precisely is better modelled as normal or fixed.
const MAX_GAMMA_SHAPE: f64 = 1e8;

/// Largest beta concentration α + β that quantile matching may return. Checked
/// against exact binomial sums, statrs's incomplete beta function is good to
/// ~1e-9 up to α + β = 2e5 and ~3e-8 at (20, 1e8), but it forms
/// ln Γ(α+β) − ln Γ(β) by subtraction and caps its continued fraction at 140
/// terms, so it degrades beyond. This still allows intervals for rare events
/// down to about (1e-6, 1e-5); tighter betas can be given by their mean.
const MAX_BETA_CONCENTRATION: f64 = 1e7;

/// Relative error within which a fitted distribution's 2.5% and 97.5%
/// quantiles must reproduce the interval it was fitted to.
const CI_REL_TOL: f64 = 1e-6;

/// A validated distribution with natural parameters.
///
/// Build it through [`fit`], which rejects invalid parameters. Since the fields
/// are public a `Dist` can also be built directly; for parameters `fit` would
/// reject, [`Dist::mean`], [`Dist::sd`], [`Dist::quantile`] and
/// [`Dist::sample`] return NaN instead of panicking.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// A known constant.
    Fixed(f64),
    /// Beta(α, β) on (0, 1), for probabilities and utilities (Briggs et al. ch. 4).
    Beta { alpha: f64, beta: f64 },
    /// Gamma with shape k and scale θ (mean kθ), for costs and other positive
    /// skewed quantities (Briggs et al. ch. 4); shape at most 1e8, see `fit`.
    Gamma { shape: f64, scale: f64 },
    /// exp(Normal(meanlog, sdlog)), for ratios such as relative risks and
    /// hazard ratios (Briggs et al. ch. 4).
    LogNormal { meanlog: f64, sdlog: f64 },
    /// Normal(mean, sd); sd = 0 is allowed and degenerate.
    Normal { mean: f64, sd: f64 },
    /// Continuous uniform on (min, max).
    Uniform { min: f64, max: f64 },
}

/// The family a [`DistSpec`] asks for, as named in the model's YAML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DistKind {
    Fixed,
    Beta,
    Gamma,
    LogNormal,
    Normal,
    Uniform,
}

/// How the user specified a distribution (mirrors the YAML); [`fit`] turns it
/// into a [`Dist`] or explains why it cannot.
#[derive(Clone, Debug, PartialEq)]
pub enum DistSpec {
    /// Natural parameters, checked: alpha, beta, shape, scale > 0; sdlog, sd ≥ 0;
    /// min < max; all finite; shape ≤ 1e8.
    Natural(Dist),
    /// A mean and its standard error, converted by the method of moments.
    MeanSe { kind: DistKind, mean: f64, se: f64 },
    /// A reported 95% interval, optionally with a point estimate `mean`.
    Ci95 {
        kind: DistKind,
        low: f64,
        high: f64,
        mean: Option<f64>,
    },
}

/// Why a specification cannot be turned into a distribution. The message is
/// lowercase and says what was found and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistError(pub String);

impl fmt::Display for DistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DistError {}

impl DistKind {
    /// Lowercase name, matching [`Dist::name`].
    pub fn name(self) -> &'static str {
        match self {
            DistKind::Fixed => "fixed",
            DistKind::Beta => "beta",
            DistKind::Gamma => "gamma",
            DistKind::LogNormal => "lognormal",
            DistKind::Normal => "normal",
            DistKind::Uniform => "uniform",
        }
    }
}

fn fail<T>(message: String) -> Result<T, DistError> {
    Err(DistError(message))
}

fn finite(name: &str, what: &str, x: f64) -> Result<(), DistError> {
    if x.is_finite() {
        Ok(())
    } else {
        fail(format!(
            "{name} {what} is {}; expected a finite number",
            show(x)
        ))
    }
}

fn positive(name: &str, what: &str, x: f64) -> Result<(), DistError> {
    finite(name, what, x)?;
    if x > 0.0 {
        Ok(())
    } else {
        fail(format!(
            "{name} {what} is {}; expected a number > 0",
            show(x)
        ))
    }
}

fn non_negative(name: &str, what: &str, x: f64) -> Result<(), DistError> {
    finite(name, what, x)?;
    if x >= 0.0 {
        Ok(())
    } else {
        fail(format!(
            "{name} {what} is {}; expected a number >= 0",
            show(x)
        ))
    }
}

fn positive_se(name: &str, se: f64) -> Result<(), DistError> {
    if se > 0.0 {
        Ok(())
    } else {
        fail(format!(
            "{name} se is 0; expected se > 0 (use fixed for a known value)"
        ))
    }
}

/// A number for messages, rounded to six significant digits so that derived
/// values print as 0.1225 rather than 0.12249999999999998.
fn show(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    format!("{rounded:?}")
}
