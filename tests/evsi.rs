//! The expected value of sample information (`trdsim evsi`), checked against the exact
//! EVSI of a conjugate model: a proportion θ ~ Beta(a, b) measured by a binomial study of
//! n people, with incremental net benefit θ − c, has EVSI
//! Σ_x BetaBinomial(x; n, a, b) · max(0, (a + x)/(a + b + n) − c) − max(0, a/(a + b) − c),
//! and EVPPI E[max(0, θ − c)] = μ(1 − I_c(a + 1, b)) − c(1 − I_c(a, b)).

use rand::SeedableRng;
use rand_distr::{Beta, Distribution};
use rand_pcg::Pcg64;
use statrs::function::beta::beta_reg;
use statrs::function::gamma::ln_gamma;

use trdsim::analysis::read::{DrawsData, PsaData};
use trdsim::analysis::voi::evsi::{Likelihood, evsi};
use trdsim::econ::psa::PsaTable;

use crate::common::{code, root, s, stderr, tempdir, trdsim};

const A: f64 = 3.0;
const B: f64 = 7.0;
const C: f64 = 0.3;

/// `n_draws` draws of θ ~ Beta(3, 7); two strategies, the second with incremental effect θ
/// and incremental cost C, so that at a willingness to pay of 1 its net benefit is θ − C.
fn toy(n_draws: usize) -> (PsaData, DrawsData) {
    let mut rng = Pcg64::seed_from_u64(11);
    let beta = Beta::new(A, B).unwrap();
    let theta: Vec<f64> = (0..n_draws).map(|_| beta.sample(&mut rng)).collect();
    let mut table = PsaTable::new(2);
    for t in &theta {
        table.n_draws += 1;
        table.cost.extend([0.0, C]);
        table.effect.extend([0.0, *t]);
    }
    let draws: Vec<u64> = (1..=n_draws as u64).collect();
    let data = PsaData {
        strategies: vec!["a".into(), "b".into()],
        perspectives: vec!["p".into()],
        wtp: vec![1.0],
        draws: draws.clone(),
        tables: vec![table],
        inmb_se: vec![vec![vec![vec![0.0]; 2]; n_draws]],
    };
    let d = DrawsData {
        names: vec!["theta".into()],
        draws,
        values: vec![theta],
    };
    (data, d)
}

fn exact_evsi(n: u64) -> f64 {
    let nf = n as f64;
    let ln_beta = |x: f64, y: f64| ln_gamma(x) + ln_gamma(y) - ln_gamma(x + y);
    let ln_choose = |k: f64| ln_gamma(nf + 1.0) - ln_gamma(k + 1.0) - ln_gamma(nf - k + 1.0);
    let prior = (A / (A + B) - C).max(0.0);
    (0..=n)
        .map(|x| {
            let k = x as f64;
            let p = (ln_choose(k) + ln_beta(A + k, B + nf - k) - ln_beta(A, B)).exp();
            p * ((A + k) / (A + B + nf) - C).max(0.0)
        })
        .sum::<f64>()
        - prior
}

fn exact_evppi() -> f64 {
    let mu = A / (A + B);
    mu * (1.0 - beta_reg(A + 1.0, B, C)) - C * (1.0 - beta_reg(A, B, C))
}

#[test]
fn evsi_of_a_binomial_study_matches_the_beta_binomial_closed_form() {
    let (data, draws) = toy(4_000);
    let lik = Likelihood::Binomial {
        a: A,
        b: B,
        column: 0,
    };
    let sizes = [0, 5, 20, 100, 1_000_000];
    let r = evsi(&data, &draws, &lik, &sizes, 0, &[1.0], 7).unwrap();
    assert_eq!(r.evsi[0][0][0].value, 0.0, "no study, no information");
    for (k, &n) in sizes.iter().enumerate().skip(1) {
        let e = r.evsi[0][k][0];
        let exact = if n > 10_000 {
            exact_evppi()
        } else {
            exact_evsi(n)
        };
        // The regression's error plus the Monte Carlo error of 4,000 draws.
        assert!(
            (e.value - exact).abs() <= 3.0 * e.se + 0.003,
            "n = {n}: {} ± {} vs exact {exact}",
            e.value,
            e.se
        );
    }
    // EVSI grows with the sample size towards the EVPPI.
    let values: Vec<f64> = r.evsi[0].iter().map(|e| e[0].value).collect();
    assert!(
        values.windows(2).all(|w| w[1] >= w[0] - 0.002),
        "{values:?}"
    );
    let evppi = r.evppi[0][0];
    assert!((evppi.value - exact_evppi()).abs() <= 3.0 * evppi.se + 0.003);
}

#[test]
fn evsi_command_reads_a_run_and_writes_its_own_directory() {
    let tmp = tempdir();
    let dir = tmp.path().join("e");
    let run = root().join("outputs/eko-vs-ect");
    let before: Vec<_> = std::fs::read_dir(&run).unwrap().count().to_string().into();
    let out = trdsim(&[
        "evsi",
        s(&run),
        "--target",
        "w8_eko",
        "--sizes",
        "0,80,1000",
        "--cost-fixed",
        "500000",
        "--cost-per-patient",
        "2000",
        "--out",
        s(&dir),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let csv = std::fs::read_to_string(dir.join("evsi.csv")).unwrap();
    // 2 perspectives × 3 sizes × 3 thresholds, and a header.
    assert_eq!(csv.lines().count(), 1 + 2 * 3 * 3, "{csv}");
    let zero = csv
        .lines()
        .find(|l| l.starts_with("societal,w8_eko,0,"))
        .unwrap();
    let cols: Vec<&str> = zero.split(',').collect();
    assert_eq!(cols[4], "0", "{zero}");
    // ENBS = population EVSI − (500,000 + 2,000 n).
    let at80 = csv
        .lines()
        .find(|l| l.starts_with("societal,w8_eko,80,"))
        .unwrap();
    let c: Vec<f64> = at80
        .split(',')
        .skip(4)
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(c[3], 500_000.0 + 2_000.0 * 80.0);
    assert!((c[4] - (c[2] - c[3])).abs() < 1e-6 * c[3]);
    assert!(dir.join("evsi_w8_eko_societal.png").exists());
    // A study that takes 5 of the population's 10 years (1,750 a year, discounted at 1.5%)
    // helps only the people of years 5-9: Σ_{t=5}^{9} 1.015^−t / Σ_{t=0}^{9} 1.015^−t.
    let later = tmp.path().join("later");
    let out = trdsim(&[
        "evsi",
        s(&run),
        "--target",
        "w8_eko",
        "--sizes",
        "0,80,1000",
        "--duration",
        "5",
        "--out",
        s(&later),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(later.join("run.json")).unwrap()).unwrap();
    let annuity = |a: i32, b: i32| (a..b).map(|t| 1.015f64.powi(-t)).sum::<f64>();
    let expected = 1750.0 * annuity(5, 10);
    let found = json["population_factor"].as_f64().unwrap();
    assert!(
        (found - expected).abs() < 1e-9 * expected,
        "{found} vs {expected}"
    );
    // The run directory is only read.
    let after: Vec<_> = std::fs::read_dir(&run).unwrap().count().to_string().into();
    assert_eq!(before, after);
    // A parameter that is not Beta-distributed cannot be measured by a binomial study.
    let out = trdsim(&[
        "evsi",
        s(&run),
        "--target",
        "c_inpatient_day",
        "--out",
        s(&tmp.path().join("x")),
        "--quiet",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not Beta-distributed"),
        "{}",
        stderr(&out)
    );
}
