//! Derivative-free minimisation for the smoothing and covariance hyperparameters: the
//! Nelder–Mead simplex (Nelder & Mead 1965, Comput J 7:308, with the standard coefficients
//! 1, 2, ½, ½ of Lagarias et al. 1998, SIAM J Optim 9:112) and a golden-section search.
//! Both are deterministic: the same function and start give the same result.

/// Minimise `f` from `start` with a simplex of edge `step`; stops when the spread of the
/// simplex's values falls below `ftol · (|f_best| + 1e-12)` or after `max_evals` calls.
/// Returns the best point and its value.
pub(super) fn nelder_mead(
    f: &mut dyn FnMut(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    ftol: f64,
    max_evals: usize,
) -> (Vec<f64>, f64) {
    let d = start.len();
    let mut simplex: Vec<Vec<f64>> = vec![start.to_vec()];
    for i in 0..d {
        let mut p = start.to_vec();
        p[i] += step;
        simplex.push(p);
    }
    let mut values: Vec<f64> = simplex.iter().map(|p| finite(f(p))).collect();
    let mut evals = d + 1;
    while evals < max_evals {
        let mut order: Vec<usize> = (0..=d).collect();
        order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
        simplex = order.iter().map(|i| simplex[*i].clone()).collect();
        values = order.iter().map(|i| values[*i]).collect();
        let (best, worst) = (values[0], values[d]);
        if (worst - best).abs() <= ftol * (best.abs() + 1e-12) {
            break;
        }
        let centroid: Vec<f64> = (0..d)
            .map(|j| simplex[..d].iter().map(|p| p[j]).sum::<f64>() / d as f64)
            .collect();
        let towards = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[d])
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let reflected = towards(-1.0);
        let fr = finite(f(&reflected));
        evals += 1;
        if fr < best {
            let expanded = towards(-2.0);
            let fe = finite(f(&expanded));
            evals += 1;
            (simplex[d], values[d]) = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < values[d - 1] {
            (simplex[d], values[d]) = (reflected, fr);
        } else {
            let t = if fr < worst { -0.5 } else { 0.5 };
            let contracted = towards(t);
            let fc = finite(f(&contracted));
            evals += 1;
            if fc < fr.min(worst) {
                (simplex[d], values[d]) = (contracted, fc);
            } else {
                for i in 1..=d {
                    let shrunk: Vec<f64> = simplex[0]
                        .iter()
                        .zip(&simplex[i])
                        .map(|(b, p)| b + 0.5 * (p - b))
                        .collect();
                    values[i] = finite(f(&shrunk));
                    simplex[i] = shrunk;
                }
                evals += d;
            }
        }
    }
    let best = (0..=d)
        .min_by(|a, b| values[*a].total_cmp(&values[*b]))
        .unwrap_or(0);
    (simplex[best].clone(), values[best])
}

/// Minimise a function of one variable on `[lo, hi]` by golden-section search to within
/// `tol`; returns the best point seen and its value.
pub(super) fn golden(f: &mut dyn FnMut(f64) -> f64, lo: f64, hi: f64, tol: f64) -> (f64, f64) {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lo, hi);
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (finite(f(c)), finite(f(d)));
    while (b - a).abs() > tol {
        if fc <= fd {
            b = d;
            (d, fd) = (c, fc);
            c = b - g * (b - a);
            fc = finite(f(c));
        } else {
            a = c;
            (c, fc) = (d, fd);
            d = a + g * (b - a);
            fd = finite(f(d));
        }
    }
    if fc <= fd { (c, fc) } else { (d, fd) }
}

/// Non-finite objective values (a failed factorisation) count as worst.
fn finite(v: f64) -> f64 {
    if v.is_nan() { f64::INFINITY } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_the_minimum_of_a_quadratic() {
        // Minimum at (1, −2, 0.5) with value 3.
        let mut f = |p: &[f64]| {
            (p[0] - 1.0).powi(2) + 2.0 * (p[1] + 2.0).powi(2) + 4.0 * (p[2] - 0.5).powi(2) + 3.0
        };
        let (x, v) = nelder_mead(&mut f, &[0.0, 0.0, 0.0], 1.0, 1e-12, 5000);
        assert!(
            (x[0] - 1.0).abs() < 1e-4 && (x[1] + 2.0).abs() < 1e-4,
            "{x:?}"
        );
        assert!((x[2] - 0.5).abs() < 1e-4 && (v - 3.0).abs() < 1e-8);
    }

    #[test]
    fn golden_section_finds_the_minimum() {
        let (x, v) = golden(&mut |x| (x - 0.3).powi(2) - 1.0, -5.0, 5.0, 1e-8);
        assert!((x - 0.3).abs() < 1e-6 && (v + 1.0).abs() < 1e-10);
    }
}
