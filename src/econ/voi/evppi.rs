//! The EVPPI estimators: from regression fits of incremental costs and effects, and from
//! conditional mean costs and effects computed by nested Monte Carlo.

use crate::econ::psa::PsaTable;

use super::Fit;

/// An estimate with its standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
}

/// What one willingness to pay gives from a table of (conditional) net benefits.
pub(super) struct Pass {
    pub(super) value: f64,
    /// Monte Carlo standard error of the outer mean.
    pub(super) se_mc: f64,
    /// The best strategy at each row (ties to the lowest index).
    pub(super) best: Vec<usize>,
    /// The strategy with the highest mean (ties to the lowest index).
    pub(super) best_mean: usize,
}

/// `mean_i max_s g_is − max_s mean_i g_is` over rows of `g` (row-major, `ns` per row), with
/// the Monte Carlo error of the outer mean, `sd_i(max_s g_is − g_{i,s*})/√n`.
pub(super) fn pass(g: &[f64], ns: usize) -> Pass {
    let n = g.len() / ns;
    let mut best = Vec::with_capacity(n);
    let mut sums = vec![0.0; ns];
    let mut sum_max = 0.0;
    for row in g.chunks_exact(ns) {
        let mut b = 0;
        for (s, v) in row.iter().enumerate() {
            sums[s] += v;
            if *v > row[b] {
                b = s;
            }
        }
        sum_max += row[b];
        best.push(b);
    }
    let nf = n as f64;
    let means: Vec<f64> = sums.iter().map(|s| s / nf).collect();
    let mut best_mean = 0;
    for (s, m) in means.iter().enumerate() {
        if *m > means[best_mean] {
            best_mean = s;
        }
    }
    // As for EVPI (econ::psa::evpi): both terms sum the same values in the same order and
    // the row maximum is at least every entry, so the difference is not negative.
    let value = (sum_max / nf - means[best_mean]).max(0.0);
    let diffs: Vec<f64> = g
        .chunks_exact(ns)
        .zip(&best)
        .map(|(row, b)| row[*b] - row[best_mean])
        .collect();
    let se_mc = if n > 1 {
        let m = diffs.iter().sum::<f64>() / nf;
        let var = diffs.iter().map(|d| (d - m).powi(2)).sum::<f64>() / (nf - 1.0);
        (var / nf).sqrt()
    } else {
        0.0
    };
    Pass {
        value,
        se_mc,
        best,
        best_mean,
    }
}

/// EVPPI at each willingness to pay in `wtp`, from regressions of each strategy's
/// incremental cost and incremental effect against the reference on the inputs of interest
/// (voi's `calc_evppi_ce()`). `cost[s]` and `effect[s]` are `None` for the reference
/// strategy, whose incremental net benefit is zero. See the module documentation for the
/// estimate and its standard error.
///
/// # Panics
///
/// Panics if `cost` and `effect` differ in length or if the fits differ in their number
/// of draws. With no fit at all (a single strategy) every estimate is zero.
#[must_use]
pub fn evppi_regression(
    cost: &[Option<&Fit>],
    effect: &[Option<&Fit>],
    wtp: &[f64],
) -> Vec<Estimate> {
    assert_eq!(
        cost.len(),
        effect.len(),
        "evppi_regression: cost and effect fits"
    );
    let ns = cost.len();
    let Some(n) = cost
        .iter()
        .chain(effect)
        .flatten()
        .map(|f| f.fitted.len())
        .next()
    else {
        // A single strategy: there is no decision, so no value of information.
        return vec![
            Estimate {
                value: 0.0,
                se: 0.0
            };
            wtp.len()
        ];
    };
    assert!(
        cost.iter()
            .chain(effect)
            .flatten()
            .all(|f| f.fitted.len() == n),
        "evppi_regression: fits of different lengths"
    );
    let mut g = vec![0.0; n * ns];
    wtp.iter()
        .map(|&k| {
            for s in 0..ns {
                if let (Some(c), Some(e)) = (cost[s], effect[s]) {
                    for i in 0..n {
                        g[i * ns + s] = k * e.fitted[i] - c.fitted[i];
                    }
                }
            }
            let p = pass(&g, ns);
            let mut var_fit = 0.0;
            let mut a = vec![0.0; n];
            for s in 0..ns {
                let (Some(c), Some(e)) = (cost[s], effect[s]) else {
                    continue;
                };
                let on_average = if p.best_mean == s { 1.0 } else { 0.0 };
                let mut any = false;
                for (ai, b) in a.iter_mut().zip(&p.best) {
                    let here = if *b == s { 1.0 } else { 0.0 };
                    *ai = (here - on_average) / n as f64;
                    any |= *ai != 0.0;
                }
                if any {
                    var_fit += k * k * e.variance(&a) + c.variance(&a);
                }
            }
            Estimate {
                value: p.value,
                se: (var_fit + p.se_mc * p.se_mc).sqrt(),
            }
        })
        .collect()
}

/// EVPPI at each willingness to pay from a table whose rows are outer draws of the inputs
/// of interest and whose costs and effects are the conditional means given them (nested
/// Monte Carlo; Brennan et al. 2007): `mean_k max_s NB_ks − max_s mean_k NB_ks`, with the
/// standard error over the outer draws. The inner means' own noise biases the estimate
/// upwards (by about the variance of their differences over the number of inner draws),
/// which this error does not include.
///
/// # Panics
///
/// Panics if the table has no rows.
#[must_use]
pub fn evppi_conditional(t: &PsaTable, wtp: &[f64]) -> Vec<Estimate> {
    assert!(t.n_draws > 0, "evppi_conditional: no outer draws");
    let ns = t.n_strategies;
    let mut g = vec![0.0; t.n_draws * ns];
    wtp.iter()
        .map(|&k| {
            for (i, v) in g.iter_mut().enumerate() {
                *v = k * t.effect[i] - t.cost[i];
            }
            let p = pass(&g, ns);
            Estimate {
                value: p.value,
                se: p.se_mc,
            }
        })
        .collect()
}
