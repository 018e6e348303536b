//! Parameter sets: point values, probabilistic draws, and per-strategy evaluation of
//! overrides and derived parameters (once per parameter set, never per individual-cycle).

use rand::Rng;

use crate::dist;
use crate::expr::{Env, Program};
use crate::model::{Model, ParamDef, Probability, Strategy};
use crate::rng;
use crate::table::Table;

/// Tolerance for a probability row summing to one, and for probabilities just outside [0, 1].
pub const ROW_TOLERANCE: f64 = 1e-9;

/// Evaluation environment with parameters and tables only (no individual variables).
pub struct ParamEnv<'a> {
    pub values: &'a [f64],
    pub tables: &'a [Table],
}

impl Env for ParamEnv<'_> {
    fn param(&self, i: usize) -> f64 {
        self.values[i]
    }
    fn var(&self, _: usize) -> f64 {
        // Validation only gives parameter expressions a resolver without variables.
        f64::NAN
    }
    fn lookup(&self, table: usize, args: &[f64]) -> f64 {
        self.tables[table].lookup(args)
    }
}

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

/// Overwrite correlated parameters with a Gaussian-copula draw: z = L·e with e standard
/// normal, u = Φ(z), x = F⁻¹(u) for each parameter's own marginal distribution
/// (Briggs, Claxton & Sculpher 2006, ch. 4).
fn correlated(
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

/// All parameter values for one strategy: base values (point or drawn), the strategy's
/// overrides, then derived parameters in dependency order.
pub fn evaluate(model: &Model, strategy: &Strategy, base: &[f64]) -> Vec<f64> {
    let mut values = base.to_vec();
    for id in &strategy.param_order {
        let i = id.0;
        values[i] = match &strategy.params[i] {
            ParamDef::Derived(p) => eval(p, &values, &model.tables),
            ParamDef::Value { value, .. } if strategy.overridden[i] => *value,
            _ => base[i],
        };
    }
    values
}

/// Evaluate a parameter-only program.
pub fn eval(p: &Program, values: &[f64], tables: &[Table]) -> f64 {
    p.eval(&ParamEnv { values, tables })
}

/// Check the transition rows whose probabilities do not depend on individuals.
///
/// Returns one message per problem: a probability outside [0, 1], or a row that exceeds
/// one (with a complement) or does not sum to one (without). Rows that depend on
/// individual variables are checked by the engine as it runs.
pub fn check_rows(model: &Model, strategy: &Strategy, values: &[f64]) -> Vec<RowProblem> {
    let mut problems = Vec::new();
    for (from, row) in strategy.rows.iter().enumerate() {
        let mut sum = 0.0;
        let mut complement = false;
        let mut all_fixed = true;
        for t in row {
            match &t.probability {
                Probability::Complement => complement = true,
                Probability::Expr(p) if p.is_param_only() => {
                    let v = eval(p, values, &model.tables);
                    if !(-ROW_TOLERANCE..=1.0 + ROW_TOLERANCE).contains(&v) {
                        problems.push(RowProblem {
                            at: t.at,
                            message: format!(
                                "{}.probability ({} → {}) is {v} at the parameter values; expected a probability in [0, 1]",
                                t.origin, model.states[from].name, model.states[t.to.0].name
                            ),
                        });
                    }
                    sum += v;
                }
                Probability::Expr(_) => all_fixed = false,
            }
        }
        if !all_fixed || row.is_empty() || !sum.is_finite() {
            continue;
        }
        let name = &model.states[from].name;
        let at = row[0].at;
        let origins: Vec<&str> = row.iter().map(|t| t.origin.as_str()).collect();
        let origins = origins.join(", ");
        if complement && sum > 1.0 + ROW_TOLERANCE {
            problems.push(RowProblem {
                at,
                message: format!(
                    "the probabilities out of `{name}` other than the complement sum to {}; expected at most 1 ({origins})",
                    round(sum)
                ),
            });
        } else if !complement && (sum - 1.0).abs() > ROW_TOLERANCE {
            problems.push(RowProblem {
                at,
                message: format!(
                    "the probabilities out of `{name}` sum to {}; expected 1 (add a `complement` transition for staying) ({origins})",
                    round(sum)
                ),
            });
        }
    }
    problems
}

/// A transition row that is invalid at some parameter values.
#[derive(Clone, Debug, PartialEq)]
pub struct RowProblem {
    /// Line and column of the (first) transition concerned.
    pub at: (u64, u64),
    pub message: String,
}

/// Round to 12 significant digits for messages, hiding binary noise such as 0.8999999999999999.
pub fn round(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 11 - x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits.clamp(-300, 300));
    (x * scale).round() / scale
}

/// A uniform number in [0, 1) from the top 53 bits of one 64-bit output.
#[inline]
pub fn uniform<R: Rng + ?Sized>(r: &mut R) -> f64 {
    (r.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}
