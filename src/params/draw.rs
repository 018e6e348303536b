//! Base values of every parameter: point estimates, or one probabilistic draw.

use super::copula::correlated;
use crate::dist;
use crate::model::{Model, ParamDef};
use crate::rng;

/// Base values of every parameter at its point estimate (derived parameters are NaN here).
pub fn point_values(model: &Model) -> Vec<f64> {
    model
        .params
        .iter()
        .map(|p| match &p.def {
            ParamDef::Value { value, .. } | ParamDef::Dirichlet { value, .. } => *value,
            ParamDef::Derived(_) => f64::NAN,
        })
        .collect()
}

/// Draw the base value of every parameter for probabilistic draw `draw_idx`.
///
/// Each parameter and each Dirichlet group has its own stream keyed by
/// (seed, draw, parameter), so adding a parameter does not change the others' draws.
/// Parameters without a distribution keep their point value.
pub fn draw(model: &Model, seed: u64, draw_idx: u64) -> Vec<f64> {
    let mut values = point_values(model);
    for (i, p) in model.params.iter().enumerate() {
        if let ParamDef::Value { dist: Some(d), .. } = &p.def {
            let mut r = rng::stream(seed, rng::Purpose::Parameter, draw_idx, i as u64);
            values[i] = d.sample(&mut r);
        }
    }
    if let Some(c) = &model.correlation {
        correlated(model, c, seed, draw_idx, &mut values);
    }
    let mut buf = Vec::new();
    for (g, group) in model.dirichlet.iter().enumerate() {
        let mut r = rng::stream(seed, rng::Purpose::Dirichlet, draw_idx, g as u64);
        buf.resize(group.alpha.len(), 0.0);
        dist::sample_dirichlet(&group.alpha, &mut r, &mut buf);
        for (id, v) in group.members.iter().zip(&buf) {
            values[id.0] = *v;
        }
    }
    values
}
