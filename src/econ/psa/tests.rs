//! Tests against closed forms and the reference tools named in the parent module.

use super::*;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64;
use statrs::distribution::{Continuous, ContinuousCDF};

/// A table with normally distributed costs and effects that overlap across strategies.
fn random_table(rng: &mut Pcg64, n_draws: usize, n_strategies: usize) -> PsaTable {
    let mut t = PsaTable::new(n_strategies);
    for _ in 0..n_draws {
        let (costs, effects): (Vec<f64>, Vec<f64>) = (0..n_strategies)
            .map(|s| {
                let c = Normal::new(10_000.0 + 2_000.0 * s as f64, 3_000.0).unwrap();
                let e = Normal::new(5.0 + 0.1 * s as f64, 0.5).unwrap();
                (c.sample(rng), e.sample(rng))
            })
            .unzip();
        t.push_draw(&costs, &effects);
    }
    t
}

fn assert_close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "expected {expected}, got {actual} (tolerance {tol})"
    );
}

#[test]
fn acceptability_sums_to_one_and_matches_brute_force() {
    let mut rng = Pcg64::seed_from_u64(20_240_501);
    let t = random_table(&mut rng, 500, 3);
    let grid = wtp_grid(100_000.0, 50, &[20_000.0, 30_000.0]);
    let points = ceac(&t, &grid, 1);
    assert_eq!(points.len(), grid.len());
    for (p, &w) in points.iter().zip(&grid) {
        assert_eq!(p.wtp, w);
        let total: f64 = p.prob_best.iter().sum();
        assert_close(total, 1.0, 1e-12);
        assert_eq!(p.frontier_prob, p.prob_best[p.optimal]);

        // Independent computation, draw by draw.
        let mut wins = [0_usize; 3];
        let mut sums = [0.0; 3];
        let mut better = [0_usize; 3];
        for d in 0..t.n_draws {
            let nmb: Vec<f64> = (0..3)
                .map(|s| w * t.effect[d * 3 + s] - t.cost[d * 3 + s])
                .collect();
            let max = nmb.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            wins[nmb.iter().position(|&v| v == max).unwrap()] += 1;
            for s in 0..3 {
                sums[s] += nmb[s];
                if t.inmb(d, s, 1, w) > 0.0 {
                    better[s] += 1;
                }
            }
        }
        let expected: Vec<f64> = wins.iter().map(|&k| k as f64 / 500.0).collect();
        assert_eq!(p.prob_best, expected);
        let best_mean = sums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(
            p.optimal,
            sums.iter().position(|&v| v == best_mean).unwrap()
        );
        assert_eq!(
            p.prob_better_than_reference,
            vec![
                Some(better[0] as f64 / 500.0),
                None,
                Some(better[2] as f64 / 500.0)
            ]
        );
    }
    // The curves must actually move across the grid for the test to mean something.
    assert_ne!(points[0].optimal, points[points.len() - 1].optimal);
    assert!(ceac(&t, &[], 0).is_empty());
}

#[test]
fn evpi_is_never_negative() {
    let mut rng = Pcg64::seed_from_u64(7);
    for round in 0..400 {
        let n_draws = rng.random_range(1..40);
        let n_strategies = rng.random_range(1..6);
        let mut t = PsaTable::new(n_strategies);
        for _ in 0..n_draws {
            // Every other table uses a coarse lattice of values, so that ties and
            // equal sums are common.
            let draw = |rng: &mut Pcg64, scale: f64| -> f64 {
                if round % 2 == 0 {
                    rng.random::<f64>() * scale
                } else {
                    f64::from(rng.random_range(0_u8..4)) * scale / 3.0
                }
            };
            let costs: Vec<f64> = (0..n_strategies).map(|_| draw(&mut rng, 1e4)).collect();
            let effects: Vec<f64> = (0..n_strategies).map(|_| draw(&mut rng, 1.0)).collect();
            t.push_draw(&costs, &effects);
        }
        let wtp = [0.0, rng.random::<f64>() * 1e5, 1e4 / 3.0, 1e6];
        for (&w, &v) in wtp.iter().zip(&evpi(&t, &wtp)) {
            assert!(v >= 0.0, "negative EVPI {v}");
            // Without the clamp the difference is already non-negative (the monotone
            // rounding argument in the doc comment), and it is what `evpi` returns.
            let n = t.n_draws as f64;
            let (mut sum_max, mut sums) = (0.0, vec![0.0; n_strategies]);
            for d in 0..t.n_draws {
                let nmb: Vec<f64> = (0..n_strategies).map(|s| t.nmb(d, s, w)).collect();
                sum_max += nmb.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                for (sum, x) in sums.iter_mut().zip(&nmb) {
                    *sum += x;
                }
            }
            let best = sums.iter().map(|s| s / n).fold(f64::NEG_INFINITY, f64::max);
            let raw = sum_max / n - best;
            assert!(raw >= 0.0, "unclamped EVPI {raw}");
            assert_eq!(v, raw);
        }
    }
}

#[test]
fn evpi_is_zero_when_one_strategy_always_wins() {
    let mut rng = Pcg64::seed_from_u64(11);
    let mut t = PsaTable::new(3);
    for _ in 0..1_000 {
        let c0 = 20_000.0 + 5_000.0 * rng.random::<f64>();
        let e0 = 3.0 + rng.random::<f64>();
        // Strategy 1 is cheaper and more effective than 0; 2 is costlier and less effective.
        let c1 = c0 - 1.0 - 1_000.0 * rng.random::<f64>();
        let e1 = e0 + 0.5 * rng.random::<f64>();
        let c2 = c0 + 1.0 + 1_000.0 * rng.random::<f64>();
        let e2 = e0 - 0.5 * rng.random::<f64>();
        t.push_draw(&[c0, c1, c2], &[e0, e1, e2]);
    }
    let wtp = wtp_grid(200_000.0, 20, &[]);
    assert!(evpi(&t, &wtp).iter().all(|&v| v == 0.0));
    for p in ceac(&t, &wtp, 0) {
        assert_eq!(p.prob_best, vec![0.0, 1.0, 0.0]);
        assert_eq!((p.optimal, p.frontier_prob), (1, 1.0));
        assert_eq!(
            p.prob_better_than_reference,
            vec![None, Some(1.0), Some(0.0)]
        );
    }
    // A single strategy has nothing to learn either.
    let mut single = PsaTable::new(1);
    single.push_draw(&[1.0], &[2.0]);
    single.push_draw(&[3.0], &[1.0]);
    assert_eq!(evpi(&single, &[0.0, 5.0]), vec![0.0, 0.0]);
}

/// Unit normal loss integral `L(z) = E[max(0, Z − z)] = φ(z) − z(1 − Φ(z))`.
fn unit_normal_loss(z: f64) -> f64 {
    let n = statrs::distribution::Normal::standard();
    n.pdf(z) - z * (1.0 - n.cdf(z))
}

fn sample_sd(xs: &[f64]) -> f64 {
    let m = mean(xs);
    let ss: f64 = xs.iter().map(|x| (x - m).powi(2)).sum();
    (ss / (xs.len() - 1) as f64).sqrt()
}

/// Two strategies whose INMB is Normal(μ, σ): the CEAC is Φ(μ/σ), and the EVPI is
/// `E[max(0, D)] − max(0, μ) = σ·L(|μ|/σ)` (for μ ≥ 0 this is `σ·L(μ/σ)`; for μ < 0,
/// `σ·(φ(z) + zΦ(z)) = σ·L(−z)`, because `L(−z) = L(z) + z`).
#[test]
fn normal_inmb_oracle() {
    const N: usize = 200_000;
    let sigma = 1_000.0;
    let wtp = 30_000.0;
    let standard = statrs::distribution::Normal::standard();
    for (case, z) in [-1.0, 0.0, 0.5, 2.0].into_iter().enumerate() {
        let mu = z * sigma;
        let mut rng = Pcg64::seed_from_u64(1_000 + case as u64);
        let inmb = Normal::new(mu, sigma).unwrap();
        let base_cost = Normal::new(20_000.0, 3_000.0).unwrap();
        let qalys = Normal::new(2.0, 0.3).unwrap();
        let mut t = PsaTable::new(2);
        for _ in 0..N {
            let (c0, e, d) = (
                base_cost.sample(&mut rng),
                qalys.sample(&mut rng),
                inmb.sample(&mut rng),
            );
            t.push_draw(&[c0, c0 - d], &[e, e]);
        }

        // CEAC: a binomial proportion, so 4 standard errors of p = Φ(z).
        let p = standard.cdf(z);
        let se_p = (p * (1.0 - p) / N as f64).sqrt();
        let point = &ceac(&t, &[wtp], 0)[0];
        assert_close(point.prob_best[1], p, 4.0 * se_p);
        let pairwise = point.prob_better_than_reference[1].unwrap();
        assert_close(pairwise, p, 4.0 * se_p);
        assert_close(point.prob_best[1], pairwise, 1e-12);

        // EVPI. The estimate equals min_j mean_i(loss_ij), with loss_ij = max_k NMB_ik −
        // NMB_ij the opportunity loss of strategy j in draw i (dampack's form), and the
        // truth is min_j E[loss_j]. Let ĵ be the sample-optimal strategy (the CEAF's
        // `optimal`) and j* a truly optimal one. Then estimate − truth lies between
        // mean(loss_ĵ) − E[loss_ĵ] (as E[loss_ĵ] ≥ truth) and mean(loss_j*) − E[loss_j*]
        // (as the estimate ≤ mean(loss_j*)). For μ ≠ 0 the sample picks j* (asserted:
        // D̄ is 2 standard errors away from 0 only if |z| < 0.005), and for μ = 0 every
        // strategy is optimal, so in all four cases ĵ serves as j* and the error is a
        // sample-mean error of loss_ĵ: 4 of its standard errors (sd / √n) bound it except
        // with probability about 6e-5 per strategy.
        let chosen = point.optimal;
        if z != 0.0 {
            assert_eq!(chosen, usize::from(z > 0.0));
        }
        let loss: Vec<f64> = (0..N)
            .map(|i| {
                let (a, b) = (t.nmb(i, 0, wtp), t.nmb(i, 1, wtp));
                a.max(b) - t.nmb(i, chosen, wtp)
            })
            .collect();
        let tol = 4.0 * sample_sd(&loss) / (N as f64).sqrt();
        let expected = sigma * unit_normal_loss(z.abs());
        assert_close(evpi(&t, &[wtp])[0], expected, tol);
        assert_close(mean(&loss), evpi(&t, &[wtp])[0], 1e-9 * expected);
        assert!(
            tol < 0.1 * expected,
            "tolerance {tol} too loose to test anything"
        );
    }
}

#[test]
fn ties_go_to_the_lowest_index() {
    // Strategies 1 and 2 identical in every draw and better than 0.
    let mut t = PsaTable::new(3);
    for (c, e) in [(100.0, 2.0), (250.0, 3.0), (80.0, 1.5)] {
        t.push_draw(&[c + 50.0, c, c], &[e - 0.1, e, e]);
    }
    for p in ceac(&t, &[0.0, 100.0, 1e5], 1) {
        assert_eq!(p.prob_best, vec![0.0, 1.0, 0.0]);
        assert_eq!((p.optimal, p.frontier_prob), (1, 1.0));
        // Identical is not better.
        assert_eq!(p.prob_better_than_reference[2], Some(0.0));
    }
    assert_eq!(evpi(&t, &[0.0, 1e5]), vec![0.0, 0.0]);

    // A tie that exists only at wtp = 0: same cost, different effects.
    let mut u = PsaTable::new(2);
    u.push_draw(&[100.0, 100.0], &[1.0, 2.0]);
    let points = ceac(&u, &[0.0, 1.0], 0);
    assert_eq!(points[0].prob_best, vec![1.0, 0.0]);
    assert_eq!(points[0].optimal, 0);
    assert_eq!(points[0].prob_better_than_reference, vec![None, Some(0.0)]);
    assert_eq!(points[1].prob_best, vec![0.0, 1.0]);
    assert_eq!(points[1].optimal, 1);
    assert_eq!(points[1].prob_better_than_reference, vec![None, Some(1.0)]);
}

#[test]
fn interval_matches_r_type_7() {
    // R: quantile(x, c(0.025, 0.975)), type 7: position h = 1 + (n − 1)p (1-based),
    // Q = (1 − frac(h))·x[floor(h)] + frac(h)·x[ceil(h)] on the sorted sample.
    //
    // x = c(1, 2, 3, 4, 5): h = 1.1 → 0.9·1 + 0.1·2 = 1.1; h = 4.9 → 0.1·4 + 0.9·5 = 4.9.
    let i = interval(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_close(i.mean, 3.0, 1e-12);
    assert_close(i.low, 1.1, 1e-12);
    assert_close(i.high, 4.9, 1e-12);
    // x = c(10, 0, 5, 20), sorted 0 5 10 20: h = 1.075 → 0.925·0 + 0.075·5 = 0.375;
    // h = 3.925 → 0.075·10 + 0.925·20 = 19.25; mean 35/4 = 8.75.
    let i = interval(&[10.0, 0.0, 5.0, 20.0]);
    assert_close(i.mean, 8.75, 1e-12);
    assert_close(i.low, 0.375, 1e-12);
    assert_close(i.high, 19.25, 1e-12);
    // x = c(3, 1, 2): h = 1.05 → 0.95·1 + 0.05·2 = 1.05; h = 2.95 → 0.05·2 + 0.95·3 = 2.95.
    let i = interval(&[3.0, 1.0, 2.0]);
    assert_close(i.mean, 2.0, 1e-12);
    assert_close(i.low, 1.05, 1e-12);
    assert_close(i.high, 2.95, 1e-12);
    // x = c(-1, 3): h = 1.025 → 0.975·(−1) + 0.025·3 = −0.9; h = 1.975 → −0.025 + 2.925 = 2.9.
    let i = interval(&[-1.0, 3.0]);
    assert_close(i.mean, 1.0, 1e-12);
    assert_close(i.low, -0.9, 1e-12);
    assert_close(i.high, 2.9, 1e-12);
    // x = c(5, 5, 5, 1), sorted 1 5 5 5: h = 1.075 → 0.925·1 + 0.075·5 = 1.3;
    // h = 3.925 falls between two 5s, which R returns without interpolating: exactly 5.
    let i = interval(&[5.0, 5.0, 5.0, 1.0]);
    assert_close(i.mean, 4.0, 1e-12);
    assert_close(i.low, 1.3, 1e-12);
    assert_eq!(i.high, 5.0);
    // x = 1:41: h = 1 + 40·0.025 = 2 and 1 + 40·0.975 = 40, order statistics 2 and 40.
    let xs: Vec<f64> = (1..=41).map(f64::from).collect();
    let i = interval(&xs);
    assert_close(i.mean, 21.0, 1e-12);
    assert_close(i.low, 2.0, 1e-12);
    assert_close(i.high, 40.0, 1e-12);
    // One value: all three are that value. None: NaN, as in R.
    assert_eq!(
        interval(&[7.5]),
        Interval {
            mean: 7.5,
            low: 7.5,
            high: 7.5
        }
    );
    let empty = interval(&[]);
    assert!(empty.mean.is_nan() && empty.low.is_nan() && empty.high.is_nan());
}

#[test]
fn population_factor_is_the_discounted_geometric_sum() {
    // Σ_{y=0}^{9} 1.035^−y = (1 − 1.035^−10) / (1 − 1/1.035) = 8.607686508868186.
    assert_close(
        population_factor(1_000.0, 10, 0.035),
        8_607.686_508_868_186,
        1e-9,
    );
    assert_eq!(population_factor(250.0, 12, 0.0), 3_000.0);
    assert_eq!(population_factor(250.0, 0, 0.035), 0.0);
    assert_eq!(population_factor(250.0, 1, 0.035), 250.0);
    for years in [1_u32, 2, 5, 10, 20, 50] {
        for rate in [1e-12, 1e-6, 0.015, 0.035, 0.06, 0.5, -0.01] {
            let v: f64 = 1.0 / (1.0 + rate);
            let direct: f64 = (0..years).map(|y| v.powi(y as i32)).sum();
            let closed = (1.0 - v.powi(years as i32)) / (1.0 - v);
            let got = population_factor(1.0, years, rate);
            assert_close(got, direct, 1e-13 * direct);
            if rate.abs() >= 1e-3 {
                // The textbook closed form loses digits to cancellation at tiny rates.
                assert_close(got, closed, 1e-11 * direct);
            }
        }
    }
}

#[test]
fn running_mean_ends_at_the_mean_and_se_matches_hand_values() {
    let mut rng = Pcg64::seed_from_u64(3);
    let t = random_table(&mut rng, 1_001, 3);
    for (s, r, w) in [(0, 1, 20_000.0), (2, 0, 50_000.0), (1, 1, 0.0)] {
        let running = running_mean_inmb(&t, s, r, w);
        assert_eq!(running.len(), t.n_draws);
        let d: Vec<f64> = (0..t.n_draws).map(|i| t.inmb(i, s, r, w)).collect();
        assert_eq!(running[0], d[0]);
        assert_eq!(running[t.n_draws - 1], interval(&d).mean);
        let se = inmb_se(&t, s, r, w);
        assert_close(
            se,
            sample_sd(&d) / (t.n_draws as f64).sqrt(),
            1e-9 * (1.0 + se),
        );
    }

    // INMB 1, 2, 3, 4: sd = √(5/3), se = √(5/3)/2 = 0.6454972243679028.
    let mut t = PsaTable::new(2);
    for d in [1.0, 2.0, 3.0, 4.0] {
        t.push_draw(&[10.0, 10.0 - d], &[1.0, 1.0]);
    }
    assert_close(inmb_se(&t, 1, 0, 30_000.0), 0.645_497_224_367_902_8, 1e-15);
    assert_eq!(
        running_mean_inmb(&t, 1, 0, 30_000.0),
        vec![1.0, 1.5, 2.0, 2.5]
    );
    assert_eq!(inmb_se(&t, 0, 0, 30_000.0), 0.0);
    let mut one = PsaTable::new(2);
    one.push_draw(&[1.0, 2.0], &[1.0, 1.0]);
    assert!(inmb_se(&one, 1, 0, 1.0).is_nan());
    assert!(running_mean_inmb(&PsaTable::new(2), 1, 0, 1.0).is_empty());
}

#[test]
fn running_se_is_the_standard_error_of_each_prefix() {
    // INMB 1, 2, 3, 4: prefixes' sample sd 0.7071…, 1, 1.2910…; se = sd / √n.
    let mut t = PsaTable::new(2);
    for d in [1.0, 2.0, 3.0, 4.0] {
        t.push_draw(&[10.0, 10.0 - d], &[1.0, 1.0]);
    }
    let se = running_se_inmb(&t, 1, 0, 30_000.0);
    assert_eq!(se[0], 0.0);
    assert_close(se[1], 0.5, 1e-15);
    assert_close(se[2], 1.0 / 3f64.sqrt(), 1e-15);
    assert_close(se[3], inmb_se(&t, 1, 0, 30_000.0), 1e-15);
    let mut rng = Pcg64::seed_from_u64(4);
    let t = random_table(&mut rng, 500, 2);
    let last = *running_se_inmb(&t, 1, 0, 20_000.0).last().unwrap();
    assert_close(last, inmb_se(&t, 1, 0, 20_000.0), 1e-9 * (1.0 + last));
}

#[test]
fn wtp_grid_includes_thresholds_sorted_and_unique() {
    let grid = wtp_grid(
        50_000.0,
        10,
        &[30_000.0, 20_000.0, 12_345.0, 20_000.0, -0.0],
    );
    let mut expected: Vec<f64> = (0..=10).map(|i| 5_000.0 * f64::from(i)).collect();
    expected.insert(3, 12_345.0);
    assert_eq!(grid, expected);
    assert!(grid.windows(2).all(|w| w[0] < w[1]));
    assert!(grid[0].is_sign_positive());

    assert_eq!(wtp_grid(100.0, 0, &[]), vec![0.0, 100.0]);
    assert_eq!(wtp_grid(0.0, 5, &[]), vec![0.0]);
    assert_eq!(
        wtp_grid(1e5, 3, &[2e5]),
        vec![0.0, 1e5 / 3.0, 2e5 / 3.0, 1e5, 2e5]
    );
    let fine = wtp_grid(100_000.0, 1_000, &[20_000.0, 30_000.0]);
    assert_eq!(fine.len(), 1_001);
    assert_eq!(fine[1_000], 100_000.0);
}

#[test]
fn summarise_rows_match_direct_computation() {
    let mut rng = Pcg64::seed_from_u64(99);
    let t = random_table(&mut rng, 400, 3);
    let wtp = [0.0, 20_000.0, 30_000.0];
    let summary = summarise(&t, &wtp, 1);
    assert_eq!(summary.reference, 1);
    assert_eq!(summary.strategies.len(), 3);
    for (s, row) in summary.strategies.iter().enumerate() {
        let costs: Vec<f64> = (0..400).map(|d| t.cost[d * 3 + s]).collect();
        let effects: Vec<f64> = (0..400).map(|d| t.effect[d * 3 + s]).collect();
        assert_eq!(row.strategy, s);
        assert_eq!(row.cost, interval(&costs));
        assert_eq!(row.effect, interval(&effects));
    }
    let ids: Vec<usize> = summary.incremental.iter().map(|r| r.strategy).collect();
    assert_eq!(ids, vec![0, 2]);
    for row in &summary.incremental {
        let s = row.strategy;
        let ic: Vec<f64> = (0..400)
            .map(|d| t.cost[d * 3 + s] - t.cost[d * 3 + 1])
            .collect();
        let ie: Vec<f64> = (0..400)
            .map(|d| t.effect[d * 3 + s] - t.effect[d * 3 + 1])
            .collect();
        assert_eq!(row.inc_cost, interval(&ic));
        assert_eq!(row.inc_effect, interval(&ie));
        assert!(row.inc_cost.low <= row.inc_cost.mean && row.inc_cost.mean <= row.inc_cost.high);
    }
    let keys: Vec<(usize, f64)> = summary.inmb.iter().map(|r| (r.strategy, r.wtp)).collect();
    assert_eq!(
        keys,
        vec![
            (0, 0.0),
            (0, 20_000.0),
            (0, 30_000.0),
            (2, 0.0),
            (2, 20_000.0),
            (2, 30_000.0)
        ]
    );
    for row in &summary.inmb {
        let running = running_mean_inmb(&t, row.strategy, 1, row.wtp);
        assert_eq!(row.inmb.mean, running[running.len() - 1]);
        // At wtp = 0 the INMB is minus the incremental cost.
        if row.wtp == 0.0 {
            let inc = summary
                .incremental
                .iter()
                .find(|r| r.strategy == row.strategy);
            assert_close(row.inmb.mean, -inc.unwrap().inc_cost.mean, 1e-9);
        }
    }
}

#[test]
#[should_panic(expected = "no draws")]
fn empty_table_panics() {
    let _ = ceac(&PsaTable::new(2), &[0.0], 0);
}

#[test]
#[should_panic(expected = "out of range")]
fn bad_reference_panics() {
    let mut t = PsaTable::new(2);
    t.push_draw(&[1.0, 2.0], &[1.0, 1.0]);
    let _ = summarise(&t, &[0.0], 2);
}

#[test]
#[should_panic(expected = "expected 2 costs")]
fn wrong_row_length_panics() {
    PsaTable::new(2).push_draw(&[1.0], &[1.0]);
}
