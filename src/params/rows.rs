//! Checks of the transition rows whose probabilities are fixed for a parameter set.

use super::evaluate::eval;
use super::{ROW_TOLERANCE, round};
use crate::model::{Model, Probability, SourceAt, Strategy};

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
                            at: t.at.clone(),
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
        let at = row[0].at.clone();
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
    /// Where the (first) transition concerned is defined.
    pub at: SourceAt,
    pub message: String,
}
