//! The built-in functions: rate and probability conversions, odds, Weibull, elementary ones.

use super::*;

#[test]
fn probability_and_rate_conversions() {
    for &(r, t) in &[(0.7, 2.0), (0.01, 1.0 / 12.0), (3.0, 0.5), (1e-9, 1.0)] {
        let env = TestEnv::with_params(&[("r", r), ("t", t)]);
        let p = eval_in("rate_to_prob(r, t)", &env);
        assert_close(p, 1.0 - (-r * t).exp(), 1e-15);
        assert_close(
            eval_in("prob_to_rate(rate_to_prob(r, t), t)", &env),
            r,
            1e-12 * r.max(1.0),
        );
    }
    let env = TestEnv::with_params(&[("p", 0.25), ("t", 2.0)]);
    assert_close(
        eval_in("prob_to_rate(p, t)", &env),
        -(0.75f64).ln() / 2.0,
        1e-15,
    );
    assert_close(
        eval_in("rate_to_prob(prob_to_rate(p, t), t)", &env),
        0.25,
        1e-15,
    );
    // Small probabilities keep their relative precision.
    assert_close(eval("prob_to_rate(1e-12, 1)") / 1e-12, 1.0, 1e-9);
}

#[test]
fn cycle_prob_uses_cycle_length() {
    // Twelve monthly cycles at rate r leave exp(-r) survivors.
    let env = TestEnv::with_params(&[("r", 0.7)]);
    assert_close(
        eval_in("(1 - cycle_prob(r)) ^ 12", &env),
        (-0.7f64).exp(),
        1e-14,
    );
    assert_close(
        eval_in("cycle_prob(r)", &env),
        1.0 - (-0.7f64 / 12.0).exp(),
        1e-15,
    );
    // The cycle length is baked in at compile time.
    assert_close(
        prog("cycle_prob(1.2)").as_constant().unwrap(),
        1.0 - (-0.1f64).exp(),
        1e-15,
    );
}

#[test]
fn cum_prob_to_cycle_compounds_back() {
    for &(p, t) in &[(0.25, 2.0), (0.5, 1.0), (0.01, 5.0), (0.9, 0.25)] {
        let env = TestEnv::with_params(&[("p", p), ("t", t)]);
        let cycles = t / DELTA;
        let per_cycle = eval_in("cum_prob_to_cycle(p, t)", &env);
        assert_close(1.0 - (1.0 - per_cycle).powf(cycles), p, 1e-12);
        assert_close(per_cycle, 1.0 - (1.0 - p).powf(DELTA / t), 1e-15);
    }
    // One cycle's cumulative probability is already per cycle.
    assert_close(eval("cum_prob_to_cycle(0.3, cycle_years)"), 0.3, 1e-15);
}

#[test]
fn hazard_ratio_on_probabilities() {
    for &p in &[0.0, 0.01, 0.25, 0.9] {
        let env = TestEnv::with_params(&[("p", p)]);
        assert_close(eval_in("hr_prob(p, 1)", &env), p, 1e-15);
        assert_close(eval_in("hr_prob(p, 2)", &env), 2.0 * p - p * p, 1e-15);
        assert_close(eval_in("hr_prob(p, 0)", &env), 0.0, 1e-15);
        // Same as scaling the rate over a unit interval.
        assert_close(
            eval_in("hr_prob(p, 0.8)", &env),
            eval_in("rate_to_prob(prob_to_rate(p, 1) * 0.8, 1)", &env),
            1e-15,
        );
    }
    assert_eq!(eval("hr_prob(1, 0.5)"), 1.0);
}

#[test]
fn odds_conversions() {
    assert_close(eval("odds(0.2)"), 0.25, 1e-15);
    assert_close(eval("odds(0.5)"), 1.0, 1e-15);
    assert_close(eval("odds_to_prob(1)"), 0.5, 1e-15);
    assert_close(eval("odds_to_prob(3)"), 0.75, 1e-15);
    for &p in &[0.01, 0.25, 0.6, 0.99] {
        let env = TestEnv::with_params(&[("p", p)]);
        assert_close(eval_in("odds_to_prob(odds(p))", &env), p, 1e-14);
    }
}

#[test]
fn weibull_survival() {
    let env = TestEnv::with_params(&[("r", 0.3), ("t", 2.5)]);
    // Shape 1 is the exponential distribution.
    assert_close(
        eval_in("weibull_surv(r, 1, t)", &env),
        (-0.75f64).exp(),
        1e-15,
    );
    // At t = 1/lambda the survival is exp(-1) for any shape.
    assert_close(
        eval_in("weibull_surv(r, 2.7, 1 / r)", &env),
        (-1.0f64).exp(),
        1e-15,
    );
    assert_close(eval("weibull_surv(0.5, 2, 2)"), (-1.0f64).exp(), 1e-15);
    assert_close(eval("weibull_surv(0.5, 2, 4)"), (-4.0f64).exp(), 1e-15);
    assert_eq!(eval("weibull_surv(0.5, 2, 0)"), 1.0);
}

#[test]
fn elementary_functions() {
    for (src, expected) in [
        ("log(exp(x))", 3.0),
        ("exp(0)", 1.0),
        ("log(1)", 0.0),
        ("sqrt(16)", 4.0),
        ("abs(y)", 1.5),
        ("floor(y)", -2.0),
        ("ceil(y)", -1.0),
        ("floor(2.5)", 2.0),
        ("ceil(2.5)", 3.0),
        ("pow(2, 10)", 1024.0),
        ("pow(x, t)", 9.0),
        ("min(3, 1, 2)", 1.0),
        ("max(x, t, y)", 3.0),
        ("min(x)", 3.0),
        ("max(y, -x)", -1.5),
    ] {
        assert_eq!(eval(src), expected, "{src}");
    }
    // NaN propagates through min and max instead of being masked.
    assert!(eval("max(0 / 0, 1)").is_nan());
    assert!(eval("min(x, 0 / 0)").is_nan());
}
