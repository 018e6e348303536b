//! What a fitted distribution gives: name, moments, cdf, quantiles (a safeguarded Newton
//! on the cdf) and samples.

use super::{Dist, DistError, MAX_GAMMA_SHAPE, fail, finite, non_negative, positive, show};
use rand::Rng;
use rand_distr::Distribution;
use statrs::distribution::{Continuous, ContinuousCDF};
use statrs::function::beta::checked_beta_reg;
use statrs::function::gamma::checked_gamma_lr;

impl Dist {
    /// Lowercase family name, as in the YAML.
    pub fn name(&self) -> &'static str {
        match self {
            Dist::Fixed(_) => "fixed",
            Dist::Beta { .. } => "beta",
            Dist::Gamma { .. } => "gamma",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Normal { .. } => "normal",
            Dist::Uniform { .. } => "uniform",
        }
    }

    /// Expected value: α/(α+β) for beta, kθ for gamma,
    /// exp(meanlog + sdlog²/2) for lognormal, (min+max)/2 for uniform
    /// (Briggs et al. ch. 4). NaN for invalid parameters.
    pub fn mean(&self) -> f64 {
        if !self.is_valid() {
            return f64::NAN;
        }
        match *self {
            Dist::Fixed(value) => value,
            Dist::Beta { alpha, beta } => alpha / (alpha + beta),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::LogNormal { meanlog, sdlog } => (meanlog + sdlog * sdlog / 2.0).exp(),
            Dist::Normal { mean, .. } => mean,
            Dist::Uniform { min, max } => min + (max - min) / 2.0,
        }
    }

    /// Standard deviation: √(αβ/(α+β+1))/(α+β) for beta, √k·θ for gamma,
    /// mean·√(exp(sdlog²) − 1) for lognormal, (max − min)/√12 for uniform,
    /// 0 for fixed (Briggs et al. ch. 4). NaN for invalid parameters.
    pub fn sd(&self) -> f64 {
        if !self.is_valid() {
            return f64::NAN;
        }
        match *self {
            Dist::Fixed(_) => 0.0,
            Dist::Beta { alpha, beta } => {
                let total = alpha + beta;
                (alpha * beta / (total + 1.0)).sqrt() / total
            }
            Dist::Gamma { shape, scale } => shape.sqrt() * scale,
            // exp_m1 keeps small sdlog accurate.
            Dist::LogNormal { sdlog, .. } => self.mean() * (sdlog * sdlog).exp_m1().sqrt(),
            Dist::Normal { sd, .. } => sd,
            Dist::Uniform { min, max } => (max - min) / 12f64.sqrt(),
        }
    }

    /// Cumulative distribution function P(X ≤ x): statrs's regularised
    /// incomplete beta and gamma functions, Φ for normal and lognormal, closed
    /// form for uniform, and a step for fixed and for a zero sd. 0 below and 1
    /// above the support, infinite `x` included. NaN for NaN `x` or invalid
    /// parameters.
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() || !self.is_valid() {
            return f64::NAN;
        }
        let step = |at: f64| if x < at { 0.0 } else { 1.0 };
        let phi = |z: f64| statrs::distribution::Normal::standard().cdf(z);
        let (low, high) = self.support();
        match *self {
            Dist::Fixed(value) => step(value),
            _ if x <= low => 0.0,
            _ if x >= high => 1.0,
            Dist::Beta { alpha, beta } => checked_beta_reg(alpha, beta, x).unwrap_or(f64::NAN),
            Dist::Gamma { shape, scale } => checked_gamma_lr(shape, x / scale).unwrap_or(f64::NAN),
            Dist::LogNormal {
                meanlog,
                sdlog: 0.0,
            } => step(meanlog.exp()),
            Dist::LogNormal { meanlog, sdlog } => phi((x.ln() - meanlog) / sdlog),
            Dist::Normal { mean, sd: 0.0 } => step(mean),
            Dist::Normal { mean, sd } => phi((x - mean) / sd),
            Dist::Uniform { min, max } => (x - min) / (max - min),
        }
    }

    /// Inverse cdf at probability `p`: closed forms for lognormal, normal and
    /// uniform (Φ⁻¹ from statrs); for beta and gamma, bisection to adjacent
    /// floats on statrs's regularised incomplete beta and gamma functions, so
    /// as accurate as those (with α and β both above ~1e5, quantiles near the
    /// median are good only to a small fraction of an sd). A fixed value is
    /// its own quantile. NaN if `p` is outside [0, 1] or the parameters are
    /// invalid.
    pub fn quantile(&self, p: f64) -> f64 {
        if !(0.0..=1.0).contains(&p) || !self.is_valid() {
            return f64::NAN;
        }
        // Φ⁻¹(p) is ±∞ at p = 0 or 1, so a zero sd is special-cased to avoid 0·∞.
        let normal = |mean: f64, sd: f64| {
            if sd == 0.0 {
                mean
            } else {
                mean + sd * statrs::distribution::Normal::standard().inverse_cdf(p)
            }
        };
        match *self {
            Dist::Fixed(value) => value,
            // The bisection below cannot return the ends of the support.
            Dist::Beta { .. } | Dist::Gamma { .. } if p == 0.0 => 0.0,
            Dist::Beta { .. } | Dist::Gamma { .. } if p == 1.0 => self.support().1,
            Dist::Beta { alpha, beta } => beta_quantile(alpha, beta, p),
            Dist::Gamma { shape, scale } => unit_gamma_quantile(shape, p) * scale,
            Dist::LogNormal { meanlog, sdlog } => normal(meanlog, sdlog).exp(),
            Dist::Normal { mean, sd } => normal(mean, sd),
            Dist::Uniform { min, max } => min + p * (max - min),
        }
    }

    /// One draw using the rand_distr sampler of the same name; deterministic
    /// given the RNG state. Kinds consume different amounts of randomness and
    /// `Fixed` consumes none, so give each parameter its own stream. NaN (and
    /// no randomness consumed) for invalid parameters.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        if !self.is_valid() {
            return f64::NAN;
        }
        match *self {
            Dist::Fixed(value) => value,
            Dist::Beta { alpha, beta } => {
                rand_distr::Beta::new(alpha, beta).map_or(f64::NAN, |d| d.sample(rng))
            }
            Dist::Gamma { shape, scale } => {
                rand_distr::Gamma::new(shape, scale).map_or(f64::NAN, |d| d.sample(rng))
            }
            Dist::LogNormal { meanlog, sdlog } => {
                rand_distr::LogNormal::new(meanlog, sdlog).map_or(f64::NAN, |d| d.sample(rng))
            }
            Dist::Normal { mean, sd } => {
                rand_distr::Normal::new(mean, sd).map_or(f64::NAN, |d| d.sample(rng))
            }
            Dist::Uniform { min, max } => {
                rand_distr::Uniform::new(min, max).map_or(f64::NAN, |d| d.sample(rng))
            }
        }
    }

    /// The distribution of `factor · X` for a positive finite `factor`: the same family with
    /// its scale changed (gamma scale, lognormal meanlog + ln factor, normal and uniform
    /// ends and spread, a fixed value). `None` for beta, whose support (0, 1) a factor
    /// would leave, and for a factor that is not positive and finite.
    pub fn scaled(&self, factor: f64) -> Option<Dist> {
        if !(factor.is_finite() && factor > 0.0) {
            return None;
        }
        Some(match *self {
            Dist::Fixed(value) => Dist::Fixed(value * factor),
            Dist::Beta { .. } => return None,
            Dist::Gamma { shape, scale } => Dist::Gamma {
                shape,
                scale: scale * factor,
            },
            Dist::LogNormal { meanlog, sdlog } => Dist::LogNormal {
                meanlog: meanlog + factor.ln(),
                sdlog,
            },
            Dist::Normal { mean, sd } => Dist::Normal {
                mean: mean * factor,
                sd: sd * factor,
            },
            Dist::Uniform { min, max } => Dist::Uniform {
                min: min * factor,
                max: max * factor,
            },
        })
    }

    /// Bounds of the support: (0, 1) for beta, (0, ∞) for
    /// gamma and lognormal, (−∞, ∞) for normal, (min, max) for uniform and
    /// (value, value) for fixed.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Dist::Fixed(value) => (value, value),
            Dist::Beta { .. } => (0.0, 1.0),
            Dist::Gamma { .. } | Dist::LogNormal { .. } => (0.0, f64::INFINITY),
            Dist::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Dist::Uniform { min, max } => (min, max),
        }
    }

    pub(super) fn is_valid(&self) -> bool {
        self.check().is_ok()
    }

    /// The checks of a `Natural` spec.
    pub(super) fn check(&self) -> Result<(), DistError> {
        let name = self.name();
        match *self {
            Dist::Fixed(value) => finite(name, "value", value),
            Dist::Beta { alpha, beta } => {
                positive(name, "alpha", alpha)?;
                positive(name, "beta", beta)
            }
            Dist::Gamma { shape, scale } => {
                positive(name, "shape", shape)?;
                positive(name, "scale", scale)?;
                if shape > MAX_GAMMA_SHAPE {
                    return fail(format!(
                        "gamma shape {} is too large; expected at most {} (cv at least 1e-4), use normal for so precise a quantity",
                        show(shape),
                        show(MAX_GAMMA_SHAPE)
                    ));
                }
                Ok(())
            }
            Dist::LogNormal { meanlog, sdlog } => {
                finite(name, "meanlog", meanlog)?;
                non_negative(name, "sdlog", sdlog)
            }
            Dist::Normal { mean, sd } => {
                finite(name, "mean", mean)?;
                non_negative(name, "sd", sd)
            }
            Dist::Uniform { min, max } => {
                finite(name, "min", min)?;
                finite(name, "max", max)?;
                if min >= max {
                    fail(format!(
                        "uniform min {} must be below max {}",
                        show(min),
                        show(max)
                    ))
                } else if !(max - min).is_finite() {
                    fail(format!(
                        "uniform range ({}, {}) is too wide; expected max − min to be finite",
                        show(min),
                        show(max)
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// The x in (0, `max`] where `cdf(x)` reaches `p` ∈ (0, 1), by Newton's
/// method from `start`, safeguarded by a bracket kept on the bit patterns of
/// x: for non-negative floats these order like the values, so a bisection
/// step on them halves the range of representable values and at most 64 reach
/// adjacent floats, however far into a tail the quantile lies. Newton usually
/// needs a handful of steps, which matters because the engine draws truncated
/// attributes by inverse cdf for every individual.
///
/// statrs's own inverses are not used: its beta inverse can loop forever (e.g.
/// Beta(1, 1e9)) and its gamma inverse stops at an absolute tolerance, so
/// quantiles below ~1e-8 (2.5% quantiles for shapes below ~0.3) come out wrong.
pub(super) fn invert_cdf(
    cdf: impl Fn(f64) -> f64,
    pdf: impl Fn(f64) -> f64,
    p: f64,
    start: f64,
    max: f64,
) -> f64 {
    // Invariant: cdf(below) < p ≤ cdf(above), as bit patterns.
    let (mut below, mut above) = (0u64, max.to_bits());
    let mut x = start;
    for _ in 0..200 {
        // NaN fails both comparisons, so it also takes the bisection step.
        if !(x > f64::from_bits(below) && x < f64::from_bits(above)) {
            x = f64::from_bits(below + (above - below) / 2);
        }
        let value = cdf(x);
        if value < p {
            below = x.to_bits();
        } else if value >= p {
            above = x.to_bits();
        } else {
            return f64::NAN;
        }
        if above - below <= 1 {
            break;
        }
        // Without a usable density (0 or overflowing), bisect instead.
        let density = pdf(x);
        if !(density > 0.0 && density.is_finite()) {
            x = f64::NAN;
            continue;
        }
        let step = (value - p) / density;
        x -= step;
        if step.abs() <= 4.0 * f64::EPSILON * x {
            return x;
        }
    }
    f64::from_bits(above)
}

/// Quantile of Beta(α, β), Newton from the mean.
pub(super) fn beta_quantile(alpha: f64, beta: f64, p: f64) -> f64 {
    let Ok(d) = statrs::distribution::Beta::new(alpha, beta) else {
        return f64::NAN;
    };
    let cdf = |x| checked_beta_reg(alpha, beta, x).unwrap_or(f64::NAN);
    // ln_pdf, because statrs's pdf overflows for large parameters.
    invert_cdf(cdf, |x| d.ln_pdf(x).exp(), p, alpha / (alpha + beta), 1.0)
}

/// Quantile of Gamma(shape, scale 1), Newton from the mean; scaling afterwards
/// avoids statrs's rate parameter, whose 1/scale could overflow where the
/// product does not.
pub(super) fn unit_gamma_quantile(shape: f64, p: f64) -> f64 {
    let Ok(d) = statrs::distribution::Gamma::new(shape, 1.0) else {
        return f64::NAN;
    };
    let cdf = |x| checked_gamma_lr(shape, x).unwrap_or(f64::NAN);
    invert_cdf(cdf, |x| d.ln_pdf(x).exp(), p, shape, f64::INFINITY)
}
