//! Cubic regression spline bases (mgcv's `bs = "cr"`) and their tensor products (mgcv's
//! `te()`), with the penalties of integrated squared second derivatives.
//!
//! A cubic regression spline with knots `x₁ < … < x_k` is parameterised by its values
//! `β_j = f(x_j)` at the knots; the second derivatives there, `δ = F·β`, follow from
//! continuity of the first derivative with natural end conditions (`δ₁ = δ_k = 0`). On
//! `[x_j, x_{j+1}]`, with `h_j = x_{j+1} − x_j`,
//!
//! `f(x) = a⁻β_j + a⁺β_{j+1} + c⁻δ_j + c⁺δ_{j+1}`,
//! `a⁻ = (x_{j+1} − x)/h_j`, `a⁺ = (x − x_j)/h_j`,
//! `c⁻ = ((x_{j+1} − x)³/h_j − h_j(x_{j+1} − x))/6`, `c⁺ = ((x − x_j)³/h_j − h_j(x − x_j))/6`,
//!
//! and `∫f''² = βᵀ·Dᵀ B⁻¹ D·β`, where `D` ((k−2)×k) has rows `1/h_i, −1/h_i − 1/h_{i+1},
//! 1/h_{i+1}` and `B` ((k−2)×(k−2)) is tridiagonal with `(h_i + h_{i+1})/3` on the diagonal
//! and `h_{i+1}/6` beside it, so that `F = [0; B⁻¹D; 0]` (Wood 2017, *Generalized Additive
//! Models*, 2nd ed., §5.3.1). The basis spans constants and straight lines, which the
//! penalty leaves unpenalised, so no separate intercept is needed.
//!
//! Knots are placed as mgcv's `place.knots()` does: evenly through the sorted unique values,
//! the first and last at the data's extremes.

use nalgebra::DMatrix;

/// One margin: knots, the map from knot values to second derivatives, and the penalty.
#[derive(Clone, Debug)]
pub(super) struct CrBasis {
    knots: Vec<f64>,
    /// `F`, k × k: second derivatives at the knots from the values there.
    f: DMatrix<f64>,
    /// `Dᵀ B⁻¹ D`, k × k.
    penalty: DMatrix<f64>,
}

impl CrBasis {
    /// A basis of (at most) `k` knots for the values `x`, which must hold at least two
    /// distinct finite values; fewer distinct values than `k` give that many knots.
    pub(super) fn new(x: &[f64], k: usize) -> Self {
        let knots = place_knots(x, k);
        let k = knots.len();
        let h: Vec<f64> = knots.windows(2).map(|w| w[1] - w[0]).collect();
        let m = k.saturating_sub(2);
        let mut d = DMatrix::zeros(m, k);
        let mut b = DMatrix::zeros(m, m);
        for i in 0..m {
            d[(i, i)] = 1.0 / h[i];
            d[(i, i + 1)] = -1.0 / h[i] - 1.0 / h[i + 1];
            d[(i, i + 2)] = 1.0 / h[i + 1];
            b[(i, i)] = (h[i] + h[i + 1]) / 3.0;
            if i + 1 < m {
                b[(i, i + 1)] = h[i + 1] / 6.0;
                b[(i + 1, i)] = h[i + 1] / 6.0;
            }
        }
        let mut f = DMatrix::zeros(k, k);
        let mut penalty = DMatrix::zeros(k, k);
        if m > 0 {
            // B is symmetric, diagonally dominant and positive definite.
            let b_inv_d = b
                .cholesky()
                .map(|c| c.solve(&d))
                .unwrap_or_else(|| DMatrix::zeros(m, k));
            f.view_mut((1, 0), (m, k)).copy_from(&b_inv_d);
            penalty = d.transpose() * b_inv_d;
        }
        Self { knots, f, penalty }
    }

    /// The knots, in increasing order.
    #[cfg(test)]
    pub(super) fn knots(&self) -> &[f64] {
        &self.knots
    }

    /// Number of basis functions (knots).
    pub(super) fn len(&self) -> usize {
        self.knots.len()
    }

    /// The penalty matrix `∫f''²` in terms of the knot values.
    pub(super) fn penalty(&self) -> &DMatrix<f64> {
        &self.penalty
    }

    /// The basis functions at `x`, written into `out` (length [`len`](Self::len)).
    pub(super) fn row(&self, x: f64, out: &mut [f64]) {
        let k = self.knots.len();
        out.fill(0.0);
        // Interval j with knots[j] <= x <= knots[j + 1]; values outside (never the data the
        // knots were placed on) use the end intervals' cubics.
        let j = self
            .knots
            .partition_point(|t| *t <= x)
            .saturating_sub(1)
            .min(k - 2);
        let (lo, hi) = (self.knots[j], self.knots[j + 1]);
        let h = hi - lo;
        let (left, right) = (hi - x, x - lo);
        out[j] += left / h;
        out[j + 1] += right / h;
        let c_minus = (left.powi(3) / h - h * left) / 6.0;
        let c_plus = (right.powi(3) / h - h * right) / 6.0;
        for (l, o) in out.iter_mut().enumerate() {
            *o += c_minus * self.f[(j, l)] + c_plus * self.f[(j + 1, l)];
        }
    }
}

/// Knots evenly through the sorted unique values of `x` (mgcv `place.knots()`), at most
/// `k` and at most the number of unique values.
fn place_knots(x: &[f64], k: usize) -> Vec<f64> {
    let mut u: Vec<f64> = x.to_vec();
    u.sort_by(f64::total_cmp);
    u.dedup();
    let n = u.len();
    let k = k.min(n).max(2);
    if n < 2 {
        return vec![u.first().copied().unwrap_or(0.0); 2];
    }
    let step = (n - 1) as f64 / (k - 1) as f64;
    (0..k)
        .map(|i| {
            if i == 0 {
                return u[0];
            }
            if i == k - 1 {
                return u[n - 1];
            }
            let index = i as f64 * step;
            let lo = index.floor() as usize;
            let frac = index - lo as f64;
            u[lo] + frac * (u[(lo + 1).min(n - 1)] - u[lo])
        })
        .collect()
}

/// The design matrix and penalties of a tensor product of cubic regression splines, one
/// margin per column of `columns` (mgcv `te(x1, …, bs = "cr", k = k)`): each row is the
/// Kronecker product of the margins' rows, and margin `j`'s penalty is
/// `I ⊗ … ⊗ S_j ⊗ … ⊗ I`.
pub(super) fn tensor(columns: &[Vec<f64>], k: usize) -> (DMatrix<f64>, Vec<DMatrix<f64>>) {
    let margins: Vec<CrBasis> = columns.iter().map(|c| CrBasis::new(c, k)).collect();
    let sizes: Vec<usize> = margins.iter().map(CrBasis::len).collect();
    let total: usize = sizes.iter().product();
    let n = columns.first().map_or(0, Vec::len);
    let mut x = DMatrix::zeros(n, total);
    let mut rows: Vec<Vec<f64>> = sizes.iter().map(|&s| vec![0.0; s]).collect();
    let mut row = vec![0.0; total];
    for i in 0..n {
        for (m, basis) in margins.iter().enumerate() {
            basis.row(columns[m][i], &mut rows[m]);
        }
        kron_rows(&rows, &mut row);
        for (c, v) in row.iter().enumerate() {
            x[(i, c)] = *v;
        }
    }
    let penalties = (0..margins.len())
        .map(|j| {
            let mut s = DMatrix::from_element(1, 1, 1.0);
            for (m, basis) in margins.iter().enumerate() {
                let factor = if m == j {
                    basis.penalty().clone()
                } else {
                    DMatrix::identity(sizes[m], sizes[m])
                };
                s = s.kronecker(&factor);
            }
            s
        })
        .collect();
    (x, penalties)
}

/// The Kronecker product of several row vectors, the first varying slowest.
fn kron_rows(rows: &[Vec<f64>], out: &mut [f64]) {
    out[0] = 1.0;
    let mut len = 1;
    for r in rows {
        // Expand in place from the back so that nothing is overwritten before it is read.
        for a in (0..len).rev() {
            let v = out[a];
            for (b, rb) in r.iter().enumerate().rev() {
                out[a * r.len() + b] = v * rb;
            }
        }
        len *= r.len();
    }
}
