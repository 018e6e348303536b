//! The `correlation` section: which parameters' draws are correlated in the PSA, and the
//! correlation matrix, checked and stored as its Cholesky factor.

use serde_saphyr::Spanned;

use crate::dist::Dist;
use crate::model::{Correlation, Model, ParamDef, ParamId};

use super::super::raw::{RawCorrelation, loc};
use super::Validator;

impl Validator {
    /// The correlation, once all parameters are known; `None` when it is unusable.
    pub(super) fn correlation(
        &mut self,
        raw: &Spanned<RawCorrelation>,
        model: &Model,
    ) -> Option<Correlation> {
        let at = loc(raw);
        let rc = &raw.value;
        let n = rc.parameters.len();
        let mut ids = Vec::new();
        let names: Vec<String> = model.params.iter().map(|p| p.name.clone()).collect();
        for (i, name) in rc.parameters.iter().enumerate() {
            let path = format!("correlation.parameters[{i}]");
            match model.params.iter().position(|p| p.name == name.value) {
                Some(id) => match &model.params[id].def {
                    ParamDef::Value { dist: Some(d), .. } if !matches!(d, Dist::Fixed(_)) => {
                        if ids.contains(&ParamId(id)) {
                            self.error(loc(name), path, format!("parameter `{}` listed twice", name.value));
                        }
                        ids.push(ParamId(id));
                    }
                    _ => self.error(loc(name), path, format!("parameter `{}` has no (non-fixed) distribution; expected a parameter with `value` and `dist` (Dirichlet members cannot be correlated)", name.value)),
                },
                None => self.unknown(loc(name), &path, "parameter", &name.value, &names),
            }
        }
        if rc.matrix.len() != n || rc.matrix.iter().any(|r| r.len() != n) {
            self.error(
                at,
                "correlation.matrix",
                format!("expected a {n} × {n} matrix (one row and column per listed parameter)"),
            );
            return None;
        }
        for i in 0..n {
            for j in 0..n {
                let x = rc.matrix[i][j];
                if !x.is_finite() || !(-1.0..=1.0).contains(&x) {
                    self.error(
                        at,
                        format!("correlation.matrix[{i}][{j}]"),
                        format!("expected a correlation in [-1, 1], found {x}"),
                    );
                    return None;
                }
                if (x - rc.matrix[j][i]).abs() > 1e-12 {
                    self.error(
                        at,
                        format!("correlation.matrix[{i}][{j}]"),
                        format!(
                            "the matrix is not symmetric: {x} vs {} at [{j}][{i}]",
                            rc.matrix[j][i]
                        ),
                    );
                    return None;
                }
            }
            if rc.matrix[i][i] != 1.0 {
                self.error(
                    at,
                    format!("correlation.matrix[{i}][{i}]"),
                    format!("expected 1 on the diagonal, found {}", rc.matrix[i][i]),
                );
                return None;
            }
        }
        // Cholesky–Banachiewicz; a non-positive pivot means the matrix is not positive definite.
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let sum: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
                if i == j {
                    let d = rc.matrix[i][i] - sum;
                    if d <= 1e-12 {
                        self.error(at, "correlation.matrix", "the correlation matrix is not positive definite; expected a valid correlation matrix");
                        return None;
                    }
                    l[i * n + j] = d.sqrt();
                } else {
                    l[i * n + j] = (rc.matrix[i][j] - sum) / l[j * n + j];
                }
            }
        }
        (ids.len() == n).then_some(Correlation {
            params: ids,
            cholesky: l,
        })
    }
}
