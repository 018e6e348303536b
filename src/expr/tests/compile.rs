//! Compilation: constant folding, categorical comparisons, name and arity errors, stack limits.

use super::*;
use crate::expr::Cmp;
use crate::expr::bytecode::max_stack_depth;

#[test]
fn constant_conditions_fold_away_dead_code() {
    let p = prog("if(ten > 5, 2, lookup(utility_table, x))");
    assert_eq!(p.as_constant(), Some(2.0));
    assert_eq!(p.tables().count(), 0);
    assert_eq!(p.params().count(), 0);

    let p = prog("if(ten < 5, x, y)");
    assert_eq!(p.params().collect::<Vec<_>>(), vec![7]);
    assert_eq!(p.eval(&TestEnv::new()), -1.5);

    let p = prog("if(ten, if(t, x, y), 0) * 2");
    assert_eq!(p.eval(&TestEnv::new()), 6.0);

    assert_eq!(
        prog("0 && lookup(utility_table, x)").as_constant(),
        Some(0.0)
    );
    assert_eq!(prog("ten || time_in_state").as_constant(), Some(1.0));
    assert_eq!(prog("ten && 0.5").as_constant(), Some(1.0));
    let p = prog("1 && if(x, t, y)");
    assert_eq!(p.eval(&TestEnv::new()), 1.0);
    assert!(p.is_param_only());
    // Dead branches are still checked for errors.
    assert!(err("if(1, 2, nonsense)").message.contains("unknown name"));
    assert!(err("0 && nonsense").message.contains("unknown name"));
}

#[test]
fn constants() {
    let p = Program::constant(2.5);
    assert_eq!(p.as_constant(), Some(2.5));
    assert_eq!(p.eval(&TestEnv::new()), 2.5);
    assert!(p.is_param_only());
    assert_eq!(prog("ten * 2 - 1").as_constant(), Some(19.0));
    assert_eq!(prog("-0.5").as_constant(), Some(-0.5));
    assert_eq!(prog("min(ten, 3, 4 ^ 0.5)").as_constant(), Some(2.0));
    assert_eq!(prog("x").as_constant(), None);
    assert_eq!(prog("x * 0").as_constant(), None);
    assert_eq!(prog("lookup(utility_table, 1)").as_constant(), None);
}

#[test]
fn categorical_comparisons() {
    let env = TestEnv::new();
    assert_eq!(eval_in("sex == \"female\"", &env), 1.0);
    assert_eq!(eval_in("sex == \"male\"", &env), 0.0);
    assert_eq!(eval_in("\"male\" != sex", &env), 1.0);
    assert_eq!(eval_in("(sex) != \"female\"", &env), 0.0);
    assert_eq!(eval_in("if(sex == \"male\", 2, 3) * (age > 40)", &env), 3.0);
    let mut env = TestEnv::new();
    env.vars[2] = MALE;
    assert_eq!(eval_in("sex == \"male\" && age >= 50", &env), 1.0);
    assert_eq!(prog("sex == \"male\"").vars().collect::<Vec<_>>(), vec![2]);

    let e = err("sex == \"femal\"");
    assert_eq!(
        e.message,
        "unknown level \"femal\" of `sex`, expected one of \"female\", \"male\"; \
         did you mean \"female\"?"
    );
    assert_eq!((e.offset, e.len), (7, 7));
    let e = err("sex != \"other\"");
    assert_eq!(
        e.message,
        "unknown level \"other\" of `sex`, expected one of \"female\", \"male\""
    );
    let e = err("age == \"old\"");
    assert_eq!(
        e.message,
        "`age` is not categorical, so it cannot be compared with the string \"old\""
    );
    assert_eq!((e.offset, e.len), (0, 3));
    let e = err("p == \"female\"");
    assert_eq!(
        e.message,
        "`p` is a parameter, not a categorical variable, so it cannot be compared with \
         the string \"female\""
    );
    let e = err("sexx == \"female\"");
    assert_eq!(e.message, "unknown name `sexx`; did you mean `sex`?");
    let e = err("sex + 1 == \"female\"");
    assert_eq!(
        e.message,
        "expected a categorical variable to compare with the string \"female\", found `sex + 1`"
    );
    let e = err("\"a\" == \"b\"");
    assert!(e.message.starts_with("cannot compare two strings"), "{e}");
    for (src, offset) in [("\"female\"", 0), ("sex < \"female\"", 6), ("1 + \"x\"", 4)] {
        let e = err(src);
        assert!(e.message.starts_with("unexpected string"), "{src}: {e}");
        assert_eq!(e.offset, offset, "{src}");
    }
}

#[test]
fn did_you_mean_messages() {
    let e = err("p_remision");
    assert_eq!(
        e.message,
        "unknown name `p_remision`; did you mean `p_remission`?"
    );
    assert_eq!((e.offset, e.len), (0, 10));
    let src = "1 - exp(-r_relapse * cycle_yrs)";
    let e = err(src);
    assert_eq!(
        e.message,
        "unknown name `cycle_yrs`; did you mean `cycle_years`?"
    );
    assert_eq!((e.offset, e.len), (src.find("cycle_yrs").unwrap(), 9));
    assert_eq!(err("qqq").message, "unknown name `qqq`");

    let e = err("1 + mn(x, 2)");
    assert_eq!(e.message, "unknown function `mn`; did you mean `min`?");
    assert_eq!((e.offset, e.len), (4, 2));
    assert_eq!(
        err("rate_to_prb(r, 1)").message,
        "unknown function `rate_to_prb`; did you mean `rate_to_prob`?"
    );
    assert_eq!(
        err("weibull(1, 2, 3)").message,
        "unknown function `weibull`"
    );
    assert_eq!(
        err("p_remission(2)").message,
        "`p_remission` is a parameter, not a function"
    );
    assert_eq!(
        err("2 * exp").message,
        "`exp` is a function; call it as `exp(x)`"
    );
    assert_eq!(
        err("life_table + 1").message,
        "`life_table` is a table; read it with `lookup(life_table, ...)`"
    );
    let e = err("lookup(life_tabel, age, sex)");
    assert_eq!(
        e.message,
        "unknown table `life_tabel`; did you mean `life_table`?"
    );
    assert_eq!((e.offset, e.len), (7, 10));
    // Only tables are suggested for a table argument.
    assert_eq!(err("lookup(hr_ek, 1)").message, "unknown table `hr_ek`");
    assert_eq!(
        err("lookup(age, 1)").message,
        "`age` is a variable, not a table"
    );
    assert_eq!(
        err("lookup(2, 1)").message,
        "expected a table name as the first argument of `lookup`, found `2`"
    );
}

#[test]
fn arity_errors() {
    for (src, message) in [
        (
            "exp(1, 2)",
            "`exp` takes 1 argument, found 2; usage: `exp(x)`",
        ),
        (
            "pow(1)",
            "`pow` takes 2 arguments, found 1; usage: `pow(x, y)`",
        ),
        (
            "min()",
            "`min` takes at least 1 argument, found 0; usage: `min(a, b, ...)`",
        ),
        (
            "if(x, 2)",
            "`if` takes 3 arguments, found 2; usage: `if(condition, then, else)`",
        ),
        (
            "weibull_surv(1, 2)",
            "`weibull_surv` takes 3 arguments, found 2; usage: `weibull_surv(lambda, k, t)`",
        ),
        (
            "lookup()",
            "`lookup` takes at least 1 argument, found 0; usage: `lookup(table, key, ...)`",
        ),
        (
            "lookup(life_table, age)",
            "table `life_table` takes 2 keys after its name, found 1",
        ),
        (
            "lookup(utility_table)",
            "table `utility_table` takes 1 key after its name, found 0",
        ),
    ] {
        let e = err(src);
        assert_eq!(e.message, message, "{src}");
        assert_eq!((e.offset, e.len), (0, src.len()), "{src}");
    }
    let e = err("1 + cycle_prob()");
    assert_eq!((e.offset, e.len), (4, 12));
}

/// `lookup(wide_table, ...)` with the given keys, which all sit on the stack at once.
fn wide_lookup(keys: &[&str]) -> String {
    format!("lookup(wide_table, {})", keys.join(", "))
}

#[test]
fn stack_depth_is_limited() {
    let keys = vec!["x"; WIDE];
    let p = prog(&wide_lookup(&keys));
    let env = TestEnv::new();
    assert_eq!(p.eval(&env), env.lookup(2, &[3.0; WIDE]));
    let e = err(&format!("1 + {}", wide_lookup(&keys)));
    assert_eq!(
        e.message,
        "expression is too complex: evaluating it needs 65 stack slots, more than the \
         limit of 64; split it into intermediate parameters"
    );
    assert_eq!((e.offset, e.len), (0, 4 + wide_lookup(&keys).len()));
    // The last key needs a second slot while the other keys wait.
    let mut keys = vec!["x"; WIDE - 1];
    keys.push("x * t");
    assert!(
        err(&wide_lookup(&keys))
            .message
            .contains("needs 65 stack slots")
    );
    // Unless it folds to a constant.
    keys[WIDE - 1] = "2 * ten";
    assert!(compile(&wide_lookup(&keys), &TestResolver).is_ok());
    // Left-nested chains and variadic calls need only two slots however long they are.
    let chain = vec!["x"; 500].join(" + ");
    assert_eq!(eval(&chain), 1500.0);
    let chain = vec!["x"; 500].join(" ^ ");
    assert!(err(&chain).message.contains("nested too deeply"));
    let min = format!("min({})", vec!["x"; 500].join(", "));
    assert_eq!(eval(&min), 3.0);
}

#[test]
fn max_stack_depth_follows_branches() {
    let p = prog("if(x, t, lookup(life_table, x, t + (y * x)))");
    assert_eq!(max_stack_depth(&p.ops), 4);
    let p = prog("x && (t || y * x)");
    assert_eq!(max_stack_depth(&p.ops), 2);
}

#[test]
fn evaluation_is_exact_on_both_sides_of_the_small_stack() {
    // Right-nested sums need one slot per term: depths 1 to 12 straddle the small stack
    // (8 slots) and the full one; x = 3, so n terms sum exactly to 3n.
    for n in 1..=12usize {
        let src = (1..n).fold("x".to_string(), |acc, _| format!("x + ({acc})"));
        let p = prog(&src);
        assert_eq!(max_stack_depth(&p.ops), n, "{src}");
        assert_eq!(p.eval(&TestEnv::new()), 3.0 * n as f64, "{src}");
    }
}

#[test]
fn inputs_group_lookups_whose_keys_are_read_directly() {
    let (age, sex) = (1, 2);
    let lookup = Input::Lookup {
        table: 0,
        keys: vec![Key::Var(age), Key::Var(sex)],
    };
    // The life-table row is all that the death probability depends on.
    let p = prog("cum_prob_to_cycle(lookup(life_table, age, sex) * hr_eko, 1)");
    assert_eq!(p.inputs(), vec![lookup.clone()]);
    // `age` used elsewhere as well is an input of its own: here, whether it is below 50.
    let p = prog("if(age < 50, lookup(life_table, age, sex), 0)");
    let below_50 = Input::Compare {
        var: age,
        cmp: Cmp::Lt,
        other: Key::Const(50.0),
    };
    assert_eq!(p.inputs(), vec![lookup.clone(), below_50.clone()]);
    let p = prog("if(age * 1 < 50, lookup(life_table, age, sex), 0)");
    assert_eq!(p.inputs(), vec![lookup.clone(), Input::Var(age)]);
    // A computed key is not read directly: its variables are inputs.
    let p = prog("lookup(life_table, age + 1, sex)");
    assert_eq!(p.inputs(), vec![Input::Var(age), Input::Var(sex)]);
    // Parameters and constants as keys; a branch inside the keys breaks the group.
    let p = prog("lookup(life_table, x, 1)");
    assert_eq!(
        p.inputs(),
        vec![Input::Lookup {
            table: 0,
            keys: vec![Key::Param(6), Key::Const(1.0)]
        }]
    );
    let p = prog("lookup(life_table, if(sex == 1, age, 40), sex)");
    let female = Input::Compare {
        var: sex,
        cmp: Cmp::Eq,
        other: Key::Const(1.0),
    };
    assert_eq!(p.inputs(), vec![female, Input::Var(age), Input::Var(sex)]);
    assert!(prog("x * 2").inputs().is_empty());
}

#[test]
fn inputs_group_comparisons_of_a_variable_with_a_parameter_or_constant() {
    let (time, age) = (0, 1);
    let compare = |var, cmp, other| Input::Compare { var, cmp, other };
    // The friction-cost payoff depends on age and time only through two comparisons.
    let p = prog("if(age < x && time_in_state <= 16.4, y, 0)");
    assert_eq!(
        p.inputs(),
        vec![
            compare(age, Cmp::Lt, Key::Param(6)),
            compare(time, Cmp::Le, Key::Const(16.4))
        ]
    );
    // With the variable on the right the comparison is turned round: 50 > age is age < 50.
    for (src, cmp) in [
        ("50 > age", Cmp::Lt),
        ("50 >= age", Cmp::Le),
        ("50 < age", Cmp::Gt),
        ("50 <= age", Cmp::Ge),
        ("50 == age", Cmp::Eq),
        ("50 != age", Cmp::Ne),
    ] {
        let p = prog(src);
        assert_eq!(
            p.inputs(),
            vec![compare(age, cmp, Key::Const(50.0))],
            "{src}"
        );
        // The grouped comparison is the one the program computes, NaN included.
        for a in [49.0, 50.0, 51.0, f64::NAN] {
            let mut env = TestEnv::new();
            env.vars[age] = a;
            assert_eq!(p.eval(&env) != 0.0, cmp.holds(a, 50.0), "{src} at {a}");
        }
    }
    // A computed operand, a variable on both sides, or a jump landing on the second operand
    // (its value then depends on the branch taken) is not a comparison input.
    assert_eq!(prog("age + 1 < 50").inputs(), vec![Input::Var(age)]);
    assert_eq!(
        prog("age < time_in_state").inputs(),
        vec![Input::Var(age), Input::Var(time)]
    );
    assert_eq!(
        prog("(x && age) < 5").inputs(),
        vec![Input::Var(age)],
        "{:?}",
        prog("(x && age) < 5").ops
    );
}
