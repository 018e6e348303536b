//! Conditional parameter sets for nested Monte Carlo value-of-information analysis: some
//! parameters held at an outer draw, the others redrawn from their distribution given
//! those.
//!
//! Independent parameters need nothing: the inner draw's values are already draws from
//! the conditional distribution. Two kinds of dependence need an adjustment:
//!
//! - **Dirichlet groups** held in part: given the held shares `x_F`, the others are
//!   `(1 − Σx_F)·w` with `w ~ Dirichlet(α_R)`, independent of `x_F` (the neutrality of the
//!   Dirichlet distribution; Connor & Mosimann 1969, J Am Stat Assoc 64:194). The inner
//!   draw's shares of the others, renormalised, are such a `w`.
//! - **Correlated parameters** held in part: on the copula's normal scores
//!   `z = Φ⁻¹(F(x))`, `z_R | z_F ~ N(Σ_RF Σ_FF⁻¹ z_F, Σ_RR − Σ_RF Σ_FF⁻¹ Σ_FR)`. With the
//!   inner draw's scores `(z'_F, z'_R) ~ N(0, Σ)`, `z'_R + Σ_RF Σ_FF⁻¹ (z_F − z'_F)` has
//!   exactly that distribution (conditioning by kriging; e.g. Chilès & Delfiner 2012,
//!   *Geostatistics*, §7.3.1).

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::model::{Model, ParamDef};

/// Base values for one inner draw: parameter `i` takes `outer[i]` where `fixed[i]`, and
/// otherwise `inner[i]`, adjusted so that the redrawn parameters follow their distribution
/// given the held ones. `outer` and `inner` are full base-value vectors (`params::draw`).
///
/// # Panics
///
/// Panics if the slices are not one entry per parameter of `model`.
#[must_use]
pub fn conditional(model: &Model, fixed: &[bool], outer: &[f64], inner: &[f64]) -> Vec<f64> {
    let n = model.params.len();
    assert!(
        fixed.len() == n && outer.len() == n && inner.len() == n,
        "conditional: expected one value per parameter"
    );
    let mut values: Vec<f64> = (0..n)
        .map(|i| if fixed[i] { outer[i] } else { inner[i] })
        .collect();
    for group in &model.dirichlet {
        let held: f64 = group
            .members
            .iter()
            .filter(|id| fixed[id.0])
            .map(|id| outer[id.0])
            .sum();
        let free: f64 = group
            .members
            .iter()
            .filter(|id| !fixed[id.0])
            .map(|id| inner[id.0])
            .sum();
        let partial = group.members.iter().any(|id| fixed[id.0])
            && group.members.iter().any(|id| !fixed[id.0]);
        if partial && free > 0.0 {
            for id in group.members.iter().filter(|id| !fixed[id.0]) {
                values[id.0] = (1.0 - held).max(0.0) * inner[id.0] / free;
            }
        }
    }
    if let Some(c) = &model.correlation {
        condition_correlated(model, c, fixed, outer, inner, &mut values);
    }
    values
}

/// Redraw the free correlated parameters given the held ones, on the copula's normal scores.
fn condition_correlated(
    model: &Model,
    c: &crate::model::Correlation,
    fixed: &[bool],
    outer: &[f64],
    inner: &[f64],
    values: &mut [f64],
) {
    let k = c.params.len();
    let held: Vec<usize> = (0..k).filter(|&i| fixed[c.params[i].0]).collect();
    let free: Vec<usize> = (0..k).filter(|&i| !fixed[c.params[i].0]).collect();
    if held.is_empty() || free.is_empty() {
        return;
    }
    let l = DMatrix::from_row_slice(k, k, &c.cholesky);
    let sigma = &l * l.transpose();
    let phi = Normal::standard();
    let dist = |i: usize| match &model.params[c.params[i].0].def {
        ParamDef::Value { dist: Some(d), .. } => Some(d),
        _ => None,
    };
    let score = |i: usize, x: f64| {
        dist(i).map_or(0.0, |d| phi.inverse_cdf(d.cdf(x).clamp(1e-16, 1.0 - 1e-16)))
    };
    let sub = |rows: &[usize], cols: &[usize]| {
        DMatrix::from_fn(rows.len(), cols.len(), |r, q| sigma[(rows[r], cols[q])])
    };
    let Some(ff) = sub(&held, &held).cholesky() else {
        return;
    };
    let shift = DVector::from_iterator(
        held.len(),
        held.iter().map(|&i| {
            let id = c.params[i].0;
            score(i, outer[id]) - score(i, inner[id])
        }),
    );
    let adjust = sub(&free, &held) * ff.solve(&shift);
    for (r, &i) in free.iter().enumerate() {
        let id = c.params[i].0;
        if let Some(d) = dist(i) {
            let z = score(i, inner[id]) + adjust[r];
            values[id] = d.quantile(phi.cdf(z).clamp(1e-16, 1.0 - 1e-16));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Model {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        crate::scenario::load(&dir.join("voi-toy.yaml")).expect("the toy scenario is valid")
    }

    fn id(model: &Model, name: &str) -> usize {
        model.params.iter().position(|p| p.name == name).unwrap()
    }

    #[test]
    fn a_held_dirichlet_share_rescales_the_others() {
        let m = toy();
        let (x, y, z) = (id(&m, "share_x"), id(&m, "share_y"), id(&m, "share_z"));
        let mut fixed = vec![false; m.params.len()];
        fixed[x] = true;
        let outer = crate::params::draw(&m, 1, 1);
        let inner = crate::params::draw(&m, 2, 7);
        let v = conditional(&m, &fixed, &outer, &inner);
        assert_eq!(v[x], outer[x]);
        assert!((v[x] + v[y] + v[z] - 1.0).abs() < 1e-12);
        // The free shares keep the inner draw's proportions.
        assert!((v[y] / v[z] - inner[y] / inner[z]).abs() < 1e-12);
        // Other parameters come from the inner draw.
        let g = id(&m, "u_gain");
        assert_eq!(v[g], inner[g]);
        // Holding the whole group, or none of it, changes nothing else.
        fixed[y] = true;
        fixed[z] = true;
        let all = conditional(&m, &fixed, &outer, &inner);
        assert_eq!((all[x], all[y], all[z]), (outer[x], outer[y], outer[z]));
    }

    /// For two normals with correlation ρ, `b | a ~ N(μ_b + ρσ_b(a − μ_a)/σ_a, σ_b²(1 − ρ²))`.
    #[test]
    fn a_held_correlated_parameter_conditions_the_other() {
        let m = toy();
        let (a, b) = (id(&m, "u_a"), id(&m, "u_b"));
        let mut fixed = vec![false; m.params.len()];
        fixed[a] = true;
        let mut outer = crate::params::point_values(&m);
        outer[a] = 0.01 + 1.5 * 0.005;
        let n = 4000;
        let xs: Vec<f64> = (1..=n)
            .map(|j| conditional(&m, &fixed, &outer, &crate::params::draw(&m, 3, j))[b])
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let (want_mean, want_sd) = (0.01 + 0.7 * 1.5 * 0.005, 0.005 * (1.0 - 0.49f64).sqrt());
        assert!(
            (mean - want_mean).abs() < 4.0 * want_sd / (n as f64).sqrt(),
            "{mean} vs {want_mean}"
        );
        assert!(
            (var.sqrt() / want_sd - 1.0).abs() < 0.05,
            "{} vs {want_sd}",
            var.sqrt()
        );
    }
}
