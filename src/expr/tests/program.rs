//! Evaluation of compiled programs: laziness, IEEE semantics, tables, collected references.

use std::fmt;

use super::*;

#[test]
fn logic_short_circuits() {
    let cases = [
        ("p > 1 && lookup(utility_table, x) > 0", 0.0, 0),
        ("p < 1 && lookup(utility_table, x) > 0", 1.0, 1),
        ("p < 1 || lookup(utility_table, x) > 0", 1.0, 0),
        ("p > 1 || lookup(utility_table, x)", 1.0, 1),
        ("p > 1 || lookup(utility_table, x) && p > 1", 0.0, 1),
    ];
    for (src, expected, calls) in cases {
        let env = TestEnv::new();
        assert_eq!(eval_in(src, &env), expected, "{src}");
        assert_eq!(env.lookups.get(), calls, "{src}");
    }
}

#[test]
fn if_is_lazy() {
    // utility_table(k) = 200 + k in the test environment.
    let cases = [
        (
            "if(time_in_state >= 7, lookup(utility_table, 1), lookup(utility_table, 2))",
            201.0,
        ),
        (
            "if(time_in_state >= 9, lookup(utility_table, 1), lookup(utility_table, 2))",
            202.0,
        ),
        (
            "if(x > 5, lookup(utility_table, 1), if(x > 2, lookup(utility_table, 2), \
             lookup(utility_table, 3)))",
            202.0,
        ),
        (
            "1 + if(p, lookup(utility_table, x), 0) * 2",
            1.0 + 2.0 * 203.0,
        ),
    ];
    for (src, expected) in cases {
        let env = TestEnv::new();
        assert_eq!(eval_in(src, &env), expected, "{src}");
        assert_eq!(env.lookups.get(), 1, "{src}");
    }
    assert_eq!(eval("if(time_in_state >= 7, p_remission, 0)"), 0.3);
    assert_eq!(eval("if(time_in_state >= 9, p_remission, 0)"), 0.0);
}

#[test]
fn ieee_semantics() {
    assert_eq!(eval("1 / 0"), f64::INFINITY);
    assert_eq!(eval("-x / 0"), f64::NEG_INFINITY);
    assert!(eval("0 / 0").is_nan());
    assert_eq!(eval("log(0)"), f64::NEG_INFINITY);
    assert!(eval("sqrt(y)").is_nan());
    // NaN is truthy because it is != 0.
    assert_eq!(eval("if(0 / 0, 1, 2)"), 1.0);
}

#[test]
fn tables() {
    // life_table(a, b) = 100 + 10a + b; utility_table(k) = 200 + k.
    let env = TestEnv::new();
    assert_eq!(eval_in("lookup(life_table, 3, 4)", &env), 134.0);
    assert_eq!(eval_in("lookup(utility_table, x + 1)", &env), 204.0);
    assert_eq!(
        eval_in(
            "2 * lookup(life_table, age, sex) + lookup(utility_table, 1)",
            &env
        ),
        2.0 * (100.0 + 500.0 + FEMALE) + 201.0
    );
    assert_eq!(env.lookups.get(), 4);
    let p = prog("lookup(life_table, age, sex) * hr_eko");
    assert_eq!(p.tables().collect::<Vec<_>>(), vec![0]);
    assert_eq!(p.vars().collect::<Vec<_>>(), vec![1, 2]);
    assert!(!p.is_param_only());
    let p = prog("lookup(utility_table, p) * x");
    assert!(p.is_param_only());
    assert_eq!(p.tables().collect::<Vec<_>>(), vec![1]);
}

#[test]
fn references_are_collected() {
    let p =
        prog("x * p_remission + x * lookup(utility_table, time_in_state) - time_in_state / ten");
    assert_eq!(p.params().collect::<Vec<_>>(), vec![0, 6]);
    assert_eq!(p.vars().collect::<Vec<_>>(), vec![0]);
    assert_eq!(p.tables().collect::<Vec<_>>(), vec![1]);
    assert!(!p.is_param_only());
    let p = prog("1 - exp(-r_relapse * cycle_years) * hr_eko");
    assert_eq!(p.params().collect::<Vec<_>>(), vec![1, 2]);
    assert!(p.is_param_only());
    assert_close(
        p.eval(&TestEnv::new()),
        1.0 - (-0.2f64 / 12.0).exp() * 0.8,
        1e-15,
    );
}

#[test]
fn program_traits() {
    fn assert_traits<T: Clone + fmt::Debug + Send + Sync + 'static>() {}
    assert_traits::<Program>();
    assert_traits::<ExprError>();
    // A resolver behind `dyn` works too.
    let resolver: &dyn Resolver = &TestResolver;
    assert_eq!(
        compile("x * 2", resolver).unwrap().eval(&TestEnv::new()),
        6.0
    );
}
