use rand_distr::{Distribution, StandardNormal};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use super::spline::CrBasis;
use super::*;
use crate::econ::psa::{PsaTable, evpi};
use crate::rng::{Purpose, stream};

/// `n` standard normal draws from a stream keyed by `index`.
fn normals(n: usize, index: u64) -> Vec<f64> {
    let mut r = stream(7, Purpose::Parameter, 0, index);
    (0..n).map(|_| StandardNormal.sample(&mut r)).collect()
}

/// `E[max(0, X)]` for `X ~ N(m, s²)`: `m·Φ(m/s) + s·φ(m/s)` (the mean of a normal's
/// positive part; `m·Φ(m/s)` from the mass above zero, `s·φ(m/s)` from integrating
/// `x·φ((x − m)/s)/s` over `x > 0`).
fn positive_part_mean(m: f64, s: f64) -> f64 {
    let n = Normal::standard();
    m * n.cdf(m / s) + s * n.pdf(m / s)
}

/// Two strategies whose incremental net benefit at a willingness to pay of 1 is
/// `INB = a + b·θ + c·φ`, split as an incremental effect `b·θ + c·φ` and an incremental
/// cost `−a`, so that the regressions see both parts.
struct Linear {
    theta: Vec<f64>,
    phi: Vec<f64>,
    psi: Vec<f64>,
    cost: Vec<f64>,
    effect: Vec<f64>,
}

const A: f64 = -50.0;
const B: f64 = 100.0;
const C: f64 = 60.0;
const MU_THETA: f64 = 0.2;
const SD_THETA: f64 = 0.5;
const MU_PHI: f64 = 0.1;
const SD_PHI: f64 = 1.0;

fn linear(n: usize) -> Linear {
    let theta: Vec<f64> = normals(n, 1)
        .iter()
        .map(|z| MU_THETA + SD_THETA * z)
        .collect();
    let phi: Vec<f64> = normals(n, 2).iter().map(|z| MU_PHI + SD_PHI * z).collect();
    let psi = normals(n, 3);
    let effect = theta.iter().zip(&phi).map(|(t, p)| B * t + C * p).collect();
    Linear {
        theta,
        phi,
        psi,
        cost: vec![-A; n],
        effect,
    }
}

/// EVPPI of `inputs` at willingness to pay `wtp` for the two-strategy table of `cost`,
/// `effect` (strategy 0 the reference at zero).
fn regression(
    inputs: &[&[f64]],
    cost: &[f64],
    effect: &[f64],
    wtp: &[f64],
) -> (Vec<Estimate>, Method) {
    let d = Design::new(inputs);
    let c = d.fit(cost);
    let e = d.fit(effect);
    (
        evppi_regression(&[None, Some(&c)], &[None, Some(&e)], wtp),
        d.method,
    )
}

fn table(cost: &[f64], effect: &[f64]) -> PsaTable {
    let mut t = PsaTable::new(2);
    for (c, e) in cost.iter().zip(effect) {
        t.push_draw(&[0.0, *c], &[0.0, *e]);
    }
    t
}

#[test]
fn cr_basis_reproduces_straight_lines_without_penalty() {
    let x: Vec<f64> = (0..200)
        .map(|i| (f64::from(i) * 0.37).sin() * 3.0 + 1.0)
        .collect();
    let b = CrBasis::new(&x, 5);
    assert_eq!(b.len(), 5);
    let mut row = vec![0.0; 5];
    // Knot values of f(x) = 2 − 3x: a straight line is in the basis and unpenalised.
    let knots: Vec<f64> = (0..5)
        .map(|j| {
            let mut e = [0.0; 5];
            e[j] = 1.0;
            // The knot is where basis j is 1 and the others 0; find it on a fine grid.
            let grid: Vec<f64> = (0..=4000).map(|i| -2.0 + f64::from(i) * 0.002).collect();
            *grid
                .iter()
                .min_by(|p, q| {
                    let dist = |z: f64| {
                        let mut r = [0.0; 5];
                        b.row(z, &mut r);
                        r.iter().zip(&e).map(|(u, v)| (u - v).powi(2)).sum::<f64>()
                    };
                    dist(**p).total_cmp(&dist(**q))
                })
                .unwrap()
        })
        .collect();
    let beta: Vec<f64> = knots.iter().map(|k| 2.0 - 3.0 * k).collect();
    for &z in &x {
        b.row(z, &mut row);
        let f: f64 = row.iter().zip(&beta).map(|(r, w)| r * w).sum();
        assert!((f - (2.0 - 3.0 * z)).abs() < 0.02, "{z}: {f}");
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
    // The penalty is checked at the basis's own knots: the grid search above finds them only
    // to within its step, which is enough for the fit but not for an exact zero.
    let exact_line: Vec<f64> = b.knots().iter().map(|k| 2.0 - 3.0 * k).collect();
    let s = b.penalty();
    let v = nalgebra::DVector::from_vec(exact_line);
    assert!((v.transpose() * s * &v)[0].abs() < 1e-6);
}

/// Closed form (Strong et al. 2014 use the same kind of check). With two strategies and
/// `INB = a + bθ + cφ`, `θ ~ N(μ_θ, σ_θ²)` and `φ ~ N(μ_φ, σ_φ²)` independent,
/// `E(INB | θ) = a + bθ + cμ_φ ~ N(m, (bσ_θ)²)` with `m = a + bμ_θ + cμ_φ`, so
///
/// `EVPPI(θ) = E[max(0, a + bθ + cμ_φ)] − max(0, m) = m·Φ(m/s) + s·φ(m/s) − max(0, m)`,
/// `s = |b|σ_θ`,
///
/// the mean of a normal's positive part less the positive part of its mean; likewise for
/// φ with `s = |c|σ_φ`; and `EVPPI(ψ) = 0` for a parameter ψ that INB does not depend on.
#[test]
fn single_parameter_evppi_matches_the_closed_form() {
    let n = 4000;
    let l = linear(n);
    let m = A + B * MU_THETA + C * MU_PHI;
    for (input, s) in [(&l.theta, B * SD_THETA), (&l.phi, C * SD_PHI)] {
        let (est, method) = regression(&[input], &l.cost, &l.effect, &[1.0]);
        assert_eq!(method, Method::Gam);
        let truth = positive_part_mean(m, s) - m.max(0.0);
        let e = est[0];
        assert!(e.se > 0.0 && e.se < 0.1 * truth, "{e:?} vs {truth}");
        assert!((e.value - truth).abs() < 4.0 * e.se, "{e:?} vs {truth}");
    }
    let (est, _) = regression(&[&l.psi], &l.cost, &l.effect, &[1.0]);
    let evpi = evpi(&table(&l.cost, &l.effect), &[1.0])[0];
    assert!(est[0].value < 4.0 * est[0].se + 1e-9, "{:?}", est[0]);
    assert!(est[0].value < 0.02 * evpi, "{:?} vs EVPI {evpi}", est[0]);
}

#[test]
fn evppi_of_all_parameters_is_the_evpi() {
    let l = linear(1000);
    let t = table(&l.cost, &l.effect);
    let wtp = [0.0, 0.5, 1.0, 2.0];
    let evpi = evpi(&t, &wtp);
    // INB is linear in (θ, φ), which the tensor product spans unpenalised: an exact fit.
    let (est, method) = regression(&[&l.theta, &l.phi, &l.psi], &l.cost, &l.effect, &wtp);
    assert_eq!(method, Method::Gam);
    for (e, v) in est.iter().zip(&evpi) {
        assert!((e.value - v).abs() <= 1e-6 * v.max(1.0), "{e:?} vs {v}");
    }
}

#[test]
fn gaussian_process_evppi_of_all_parameters_is_the_evpi() {
    // Five inputs, one entering non-linearly and two through an interaction: a Gaussian
    // process (voi's default from five inputs on).
    let n = 300;
    let z: Vec<Vec<f64>> = (10..15).map(|k| normals(n, k)).collect();
    let effect: Vec<f64> = (0..n)
        .map(|i| {
            40.0 * z[0][i] + 25.0 * z[1][i] * z[2][i] + 10.0 * z[3][i].powi(2) + 5.0 * z[4][i] - 8.0
        })
        .collect();
    let cost = vec![0.0; n];
    let inputs: Vec<&[f64]> = z.iter().map(Vec::as_slice).collect();
    let (est, method) = regression(&inputs, &cost, &effect, &[1.0]);
    assert_eq!(method, Method::Gp);
    let evpi = evpi(&table(&cost, &effect), &[1.0])[0];
    let e = est[0];
    assert!(
        (e.value - evpi).abs() < (3.0 * e.se).max(0.03 * evpi),
        "{e:?} vs {evpi}"
    );
}

#[test]
fn evppi_is_never_negative_nor_above_the_evpi() {
    let l = linear(800);
    let wtp: Vec<f64> = (0..=20).map(|i| f64::from(i) * 0.15).collect();
    let evpi = evpi(&table(&l.cost, &l.effect), &wtp);
    for inputs in [
        vec![&l.theta[..]],
        vec![&l.phi[..]],
        vec![&l.psi[..]],
        vec![&l.theta[..], &l.psi[..]],
    ] {
        let (est, _) = regression(&inputs, &l.cost, &l.effect, &wtp);
        for (e, v) in est.iter().zip(&evpi) {
            assert!(e.value >= 0.0 && e.se >= 0.0);
            assert!(e.value <= v + 2.0 * e.se + 1e-9, "{e:?} above EVPI {v}");
        }
    }
}

#[test]
fn constant_and_dependent_inputs_are_dropped() {
    let a = normals(100, 20);
    let b = normals(100, 21);
    let c: Vec<f64> = a.iter().zip(&b).map(|(x, y)| 1.0 - x - 2.0 * y).collect();
    let k = vec![3.0; 100];
    let d = Design::new(&[&k, &a, &b, &c]);
    assert_eq!(d.kept, vec![1, 2]);
    let d = Design::new(&[&k]);
    assert_eq!(d.method, Method::Constant);
    let (est, _) = regression(&[&k], &a, &b, &[0.0, 1.0]);
    assert!(est.iter().all(|e| e.value == 0.0 && e.se == 0.0));
}

/// The delta-method error of the regression part agrees with voi's simulation of it:
/// replicate fitted values drawn from the fits' covariance (`N(f̂, X·V_β·Xᵀ)`), the EVPPI
/// of each, and their standard deviation.
#[test]
fn delta_method_error_agrees_with_simulated_replicates() {
    let n = 600;
    let l = linear(n);
    // Noise in the cost that θ does not explain gives the fit something to be unsure of.
    let cost: Vec<f64> = normals(n, 30).iter().map(|z| -A + 40.0 * z).collect();
    let d = Design::new(&[&l.theta]);
    let (c, e) = (d.fit(&cost), d.fit(&l.effect));
    let est = evppi_regression(&[None, Some(&c)], &[None, Some(&e)], &[1.0])[0];
    let g: Vec<f64> = (0..n)
        .flat_map(|i| [0.0, e.fitted[i] - c.fitted[i]])
        .collect();
    let se_mc = super::evppi::pass(&g, 2).se_mc;
    let delta = (est.se * est.se - se_mc * se_mc).sqrt();
    let replicate = |fit: &Fit, key: u64| -> Vec<f64> {
        let Cov::Basis { x, l, sigma2 } = &fit.cov else {
            panic!("a spline fit")
        };
        let z = nalgebra::DVector::from_vec(normals(l.nrows(), key));
        let w = l.transpose().solve_upper_triangular(&z).unwrap() * sigma2.sqrt();
        let shift = &**x * w;
        fit.fitted
            .iter()
            .zip(shift.iter())
            .map(|(f, s)| f + s)
            .collect()
    };
    let reps: Vec<f64> = (0..400)
        .map(|b| {
            let (cr, er) = (replicate(&c, 1000 + 2 * b), replicate(&e, 1001 + 2 * b));
            let g: Vec<f64> = (0..n).flat_map(|i| [0.0, er[i] - cr[i]]).collect();
            super::evppi::pass(&g, 2).value
        })
        .collect();
    let mean = reps.iter().sum::<f64>() / reps.len() as f64;
    let sd =
        (reps.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (reps.len() - 1) as f64).sqrt();
    assert!(
        delta > 0.0 && (delta / sd - 1.0).abs() < 0.2,
        "delta {delta} vs simulated {sd}"
    );
}

/// Nested Monte Carlo with exact inner means is the closed form up to the outer error.
#[test]
fn conditional_means_give_the_closed_form() {
    let k = 5000;
    let theta: Vec<f64> = normals(k, 40)
        .iter()
        .map(|z| MU_THETA + SD_THETA * z)
        .collect();
    let effect: Vec<f64> = theta.iter().map(|t| B * t + C * MU_PHI).collect();
    let t = table(&vec![-A; k], &effect);
    let e = evppi_conditional(&t, &[1.0])[0];
    let m = A + B * MU_THETA + C * MU_PHI;
    let truth = positive_part_mean(m, B * SD_THETA) - m.max(0.0);
    assert!((e.value - truth).abs() < 4.0 * e.se, "{e:?} vs {truth}");
    // With every row alike the EVPPI and its error are zero.
    let flat = evppi_conditional(&table(&[1.0; 10], &[2.0; 10]), &[0.0, 3.0]);
    assert!(flat.iter().all(|e| e.value == 0.0 && e.se == 0.0));
}
