//! Fitting a distribution to its specification: natural parameters, mean and standard
//! error (method of moments), or a 95% interval (quantile matching).

use std::cmp::Ordering;

use super::family::unit_gamma_quantile;
use super::{
    CI_REL_TOL, Dist, DistError, DistKind, DistSpec, MAX_BETA_CONCENTRATION, MAX_GAMMA_SHAPE, Z975,
    fail, finite, positive_se, show,
};
use statrs::function::beta::checked_beta_reg;

/// Turns a specification into a validated distribution.
///
/// Method of moments (`MeanSe`, var = se²), after Briggs et al. ch. 4 and the
/// heemod/hesim/dampack helpers:
/// - beta: needs 0 < mean < 1 and var < mean(1 − mean);
///   α = mean·c, β = (1 − mean)·c with c = mean(1 − mean)/var − 1
///   (the same as β = α(1 − mean)/mean, without the division);
/// - gamma: needs mean > 0; shape = mean²/var, scale = var/mean;
/// - lognormal: needs mean > 0; sdlog² = ln(1 + var/mean²),
///   meanlog = ln(mean) − sdlog²/2 (heemod's `lognormal(mean, sd)`);
/// - normal: sd = se (se = 0 allowed);
/// - uniform: min, max = mean ∓ √3·se, since a uniform's sd is (max − min)/√12;
/// - fixed: needs se = 0.
///
/// Beta, gamma, lognormal and uniform need se > 0.
///
/// From a 95% interval (`Ci95`, low < high), with se = (high − low)/(2·z),
/// z = Φ⁻¹(0.975) ≈ 1.959964; a given `mean` must lie within [low, high]:
/// - normal: mean = the given one or (low + high)/2, sd = se;
/// - lognormal (ratios, Briggs et al. ch. 4: ln ratio is normal and the
///   interval is symmetric on the log scale): low > 0,
///   meanlog = (ln low + ln high)/2, sdlog = (ln high − ln low)/(2z); the point
///   estimate of a ratio is taken as the geometric mean of the bounds, so a
///   given `mean` is only checked, not used;
/// - beta and gamma without `mean`: both parameters are solved numerically so
///   that the 2.5% and 97.5% quantiles equal low and high (no closed form
///   exists), which needs the interval strictly inside the support, and fails
///   unless both are reproduced within 1e-6 relative error with α + β ≤ 1e7
///   or shape ≤ 1e8 (where statrs's special functions stay accurate and fast;
///   give the mean for anything tighter);
/// - beta and gamma with `mean`: method of moments with that mean and se, as
///   when a paper reports a mean and a (symmetric, normal-theory) interval;
///   the interval must lie within the closed support;
/// - uniform: widened so that its central 95% is [low, high]:
///   min = low − 0.025·w/0.95, max = high + 0.025·w/0.95 with w = high − low;
///   a given `mean` is only checked;
/// - fixed: an error, a constant has no interval.
///
/// Every result is checked as a `Natural` spec is, so NaN, infinities and
/// parameters that overflow are reported rather than returned. That check also
/// caps the gamma shape at 1e8 (cv ≥ 1e-4), beyond which statrs's gamma cdf,
/// and so [`Dist::quantile`], becomes too slow or never returns.
pub fn fit(spec: &DistSpec) -> Result<Dist, DistError> {
    let dist = match spec {
        DistSpec::Natural(dist) => dist.clone(),
        DistSpec::MeanSe { kind, mean, se } => from_mean_se(*kind, *mean, *se)?,
        DistSpec::Ci95 {
            kind,
            low,
            high,
            mean,
        } => from_ci95(*kind, *low, *high, *mean)?,
    };
    dist.check()?;
    Ok(dist)
}

pub(super) fn from_mean_se(kind: DistKind, mean: f64, se: f64) -> Result<Dist, DistError> {
    let name = kind.name();
    finite(name, "mean", mean)?;
    finite(name, "se", se)?;
    if se < 0.0 {
        return fail(format!(
            "{name} se {} is negative; expected se >= 0",
            show(se)
        ));
    }
    let var = se * se;
    Ok(match kind {
        DistKind::Fixed if se == 0.0 => Dist::Fixed(mean),
        DistKind::Fixed => {
            return fail(format!(
                "fixed value {} has se {}; a fixed parameter needs se 0 (choose a distribution to make it uncertain)",
                show(mean),
                show(se)
            ));
        }
        DistKind::Normal => Dist::Normal { mean, sd: se },
        DistKind::Uniform => {
            positive_se(name, se)?;
            let half_width = 3f64.sqrt() * se;
            Dist::Uniform {
                min: mean - half_width,
                max: mean + half_width,
            }
        }
        DistKind::Beta => {
            if mean <= 0.0 || mean >= 1.0 {
                return fail(format!(
                    "beta mean {} is outside (0, 1); expected a probability strictly between 0 and 1",
                    show(mean)
                ));
            }
            positive_se(name, se)?;
            let limit = mean * (1.0 - mean);
            if var >= limit {
                return fail(format!(
                    "beta with mean {} and se {} is impossible: the variance {} must be below mean·(1−mean) = {}",
                    show(mean),
                    show(se),
                    show(var),
                    show(limit)
                ));
            }
            let c = limit / var - 1.0;
            Dist::Beta {
                alpha: mean * c,
                beta: (1.0 - mean) * c,
            }
        }
        DistKind::Gamma | DistKind::LogNormal => {
            if mean <= 0.0 {
                return fail(format!(
                    "{name} mean {} must be > 0; {name} is for positive quantities",
                    show(mean)
                ));
            }
            positive_se(name, se)?;
            // Written with se/mean so that squaring cannot overflow first.
            let cv = se / mean;
            if kind == DistKind::Gamma {
                Dist::Gamma {
                    shape: cv.powi(-2),
                    scale: se * cv,
                }
            } else {
                // ln_1p keeps sdlog accurate when the cv is small.
                let sdlog2 = (cv * cv).ln_1p();
                Dist::LogNormal {
                    meanlog: mean.ln() - sdlog2 / 2.0,
                    sdlog: sdlog2.sqrt(),
                }
            }
        }
    })
}

pub(super) fn from_ci95(
    kind: DistKind,
    low: f64,
    high: f64,
    mean: Option<f64>,
) -> Result<Dist, DistError> {
    let name = kind.name();
    finite(name, "95% interval low", low)?;
    finite(name, "95% interval high", high)?;
    let interval = format!("({}, {})", show(low), show(high));
    if low >= high {
        return fail(format!(
            "{name} 95% interval {interval} is empty; expected low < high"
        ));
    }
    if let Some(m) = mean {
        finite(name, "mean", m)?;
        if !(low..=high).contains(&m) {
            return fail(format!(
                "{name} mean {} lies outside its 95% interval {interval}",
                show(m)
            ));
        }
    }
    let se = (high - low) / (2.0 * Z975);
    match kind {
        DistKind::Fixed => fail(format!(
            "fixed cannot have a 95% interval {interval}; give a mean with se 0, or choose a distribution"
        )),
        DistKind::Normal => Ok(Dist::Normal {
            mean: mean.unwrap_or(low + (high - low) / 2.0),
            sd: se,
        }),
        DistKind::Uniform => {
            let pad = 0.025 * (high - low) / 0.95;
            Ok(Dist::Uniform {
                min: low - pad,
                max: high + pad,
            })
        }
        DistKind::LogNormal => {
            if low <= 0.0 {
                return fail(format!(
                    "lognormal 95% interval {interval} must lie above 0; expected the interval of a ratio"
                ));
            }
            let (ln_low, ln_high) = (low.ln(), high.ln());
            Ok(Dist::LogNormal {
                meanlog: ln_low + (ln_high - ln_low) / 2.0,
                sdlog: (ln_high - ln_low) / (2.0 * Z975),
            })
        }
        DistKind::Beta | DistKind::Gamma => {
            let (support, top) = match kind {
                DistKind::Beta => ("(0, 1)", 1.0),
                _ => ("(0, inf)", f64::INFINITY),
            };
            // Quantile matching needs the bounds strictly inside the support
            // (a 2.5% quantile of 0 is unreachable); moments from a given mean
            // only need the interval not to stick out of it.
            let inside = match mean {
                None => low > 0.0 && high < top,
                Some(_) => low >= 0.0 && high <= top,
            };
            if !inside {
                return fail(format!(
                    "{name} 95% interval {interval} is outside the support {support}"
                ));
            }
            match mean {
                Some(m) => from_mean_se(kind, m, se),
                None if kind == DistKind::Beta => {
                    check_ci_fit(name, fit_beta_ci(low, high), low, high)
                }
                None => check_ci_fit(name, fit_gamma_ci(low, high), low, high),
            }
        }
    }
}

/// The beta whose 2.5% and 97.5% quantiles are `low` and `high`.
///
/// Parametrised by the logit of the mean, t, and the concentration κ = α + β.
/// For fixed κ the cdf at `low` falls as the mean rises, so an inner bisection
/// finds the t that puts 2.5% below `low`; the outer one finds the κ that then
/// puts 97.5% below `high` (as κ grows the distribution tightens, so that
/// cdf rises from about 0.025 towards 1).
pub(super) fn fit_beta_ci(low: f64, high: f64) -> Option<Dist> {
    // α = κ·σ(t) and β = κ·σ(−t), so neither rounds to 0 even for t near ±50.
    let logistic = |t: f64| 1.0 / (1.0 + (-t).exp());
    let cdf = |x: f64, t: f64, kappa: f64| {
        checked_beta_reg(kappa * logistic(t), kappa * logistic(-t), x).unwrap_or(f64::NAN)
    };
    let mean_logit = |kappa: f64| bisect(|t| 0.025 - cdf(low, t, kappa), -50.0, 50.0);
    // Start from the method-of-moments concentration of the normal approximation.
    let mid = low + (high - low) / 2.0;
    let se = (high - low) / (2.0 * Z975);
    let guess = mid * (1.0 - mid) / (se * se) - 1.0;
    let kappa = log_bisect(
        |kappa| mean_logit(kappa).map_or(f64::NAN, |t| cdf(high, t, kappa) - 0.975),
        guess,
        MAX_BETA_CONCENTRATION,
    )?;
    let t = mean_logit(kappa)?;
    Some(Dist::Beta {
        alpha: kappa * logistic(t),
        beta: kappa * logistic(-t),
    })
}

/// The gamma whose 2.5% and 97.5% quantiles are `low` and `high`.
///
/// The scale cancels from the ratio of two quantiles, which falls from ∞ to 1
/// as the shape grows, so one bisection finds the shape; the scale then maps
/// the unit-scale 2.5% quantile onto `low`.
pub(super) fn fit_gamma_ci(low: f64, high: f64) -> Option<Dist> {
    let ratio = high / low;
    let mid = low + (high - low) / 2.0;
    let se = (high - low) / (2.0 * Z975);
    let shape = log_bisect(
        |shape| ratio - unit_gamma_quantile(shape, 0.975) / unit_gamma_quantile(shape, 0.025),
        (mid / se).powi(2),
        MAX_GAMMA_SHAPE,
    )?;
    Some(Dist::Gamma {
        shape,
        scale: low / unit_gamma_quantile(shape, 0.025),
    })
}

/// Accepts a fitted distribution only if its quantiles reproduce the interval.
pub(super) fn check_ci_fit(
    name: &str,
    dist: Option<Dist>,
    low: f64,
    high: f64,
) -> Result<Dist, DistError> {
    let close = |q: f64, target: f64| (q - target).abs() <= CI_REL_TOL * target.abs();
    let found = match &dist {
        Some(d) => {
            let (q_low, q_high) = (d.quantile(0.025), d.quantile(0.975));
            if close(q_low, low) && close(q_high, high) {
                return d.check().map(|()| d.clone());
            }
            format!(
                "; the closest found has ({}, {})",
                show(q_low),
                show(q_high)
            )
        }
        None => String::new(),
    };
    fail(format!(
        "no {name} has 2.5% and 97.5% quantiles ({}, {}) within relative error 1e-6{found}; give the mean as well to fit by method of moments",
        show(low),
        show(high)
    ))
}

/// Zero of an increasing function on (0, `max`]. Shapes and concentrations span
/// orders of magnitude, so the bracket grows geometrically from `guess` and is
/// bisected on the log scale; extreme values, where the special functions are
/// slow and inaccurate, are only tried when the answer lies there.
pub(super) fn log_bisect(mut f: impl FnMut(f64) -> f64, guess: f64, max: f64) -> Option<f64> {
    const MIN: f64 = 1e-8;
    let start = if guess.is_finite() {
        guess.clamp(MIN, max)
    } else {
        1.0
    };
    // Grow until f is negative at lo and positive at hi; NaN counts as
    // neither, so a bracket must be found where f is defined.
    let mut lo = start;
    while f(lo).partial_cmp(&0.0) != Some(Ordering::Less) {
        if lo <= MIN {
            return None;
        }
        lo = (lo / 8.0).max(MIN);
    }
    let mut hi = start;
    while f(hi).partial_cmp(&0.0) != Some(Ordering::Greater) {
        if hi >= max {
            return None;
        }
        hi = (hi * 8.0).min(max);
    }
    bisect(|u| f(u.exp()), lo.ln(), hi.ln()).map(f64::exp)
}

/// Zero of an increasing function with f(lo) < 0 < f(hi), by bisection down
/// to adjacent floats: slow but it cannot diverge, and fitting is not a hot
/// path. None if f returns NaN.
pub(super) fn bisect(mut f: impl FnMut(f64) -> f64, mut lo: f64, mut hi: f64) -> Option<f64> {
    for _ in 0..200 {
        let mid = lo + (hi - lo) / 2.0;
        if mid <= lo || mid >= hi {
            break;
        }
        let value = f(mid);
        if value < 0.0 {
            lo = mid;
        } else if value > 0.0 {
            hi = mid;
        } else if value == 0.0 {
            return Some(mid);
        } else {
            return None;
        }
    }
    Some(lo + (hi - lo) / 2.0)
}
