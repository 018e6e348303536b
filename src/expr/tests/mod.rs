//! Unit tests of the expression language, and the fixtures they share: a resolver and an
//! environment with known names and values, and helpers that compile and evaluate a source.

mod bounds;
mod compile;
mod functions;
mod program;
mod random;
mod syntax;

use std::cell::Cell;

use super::*;

/// Cycle length used by the test resolver: one month.
const DELTA: f64 = 1.0 / 12.0;

const PARAMS: &[&str] = &[
    "p_remission",
    "r_relapse",
    "hr_eko",
    "p",
    "r",
    "t",
    "x",
    "y",
];
const VARS: &[&str] = &["time_in_state", "age", "sex"];
/// Arity of `wide_table`, which can fill the whole evaluation stack.
const WIDE: usize = MAX_STACK;
const FEMALE: f64 = 1.0;
const MALE: f64 = 2.0;

struct TestResolver;

impl Resolver for TestResolver {
    fn resolve(&self, name: &str) -> Option<Symbol> {
        if let Some(i) = PARAMS.iter().position(|&p| p == name) {
            return Some(Symbol::Param(i));
        }
        if let Some(i) = VARS.iter().position(|&v| v == name) {
            return Some(Symbol::Var(i));
        }
        match name {
            "life_table" => Some(Symbol::Table { index: 0, arity: 2 }),
            "utility_table" => Some(Symbol::Table { index: 1, arity: 1 }),
            "wide_table" => Some(Symbol::Table {
                index: 2,
                arity: WIDE,
            }),
            "ten" => Some(Symbol::Const(10.0)),
            "cycle_years" => Some(Symbol::Const(DELTA)),
            _ => None,
        }
    }

    fn names(&self) -> Vec<String> {
        PARAMS
            .iter()
            .chain(VARS)
            .chain(&[
                "life_table",
                "utility_table",
                "wide_table",
                "ten",
                "cycle_years",
            ])
            .map(|s| s.to_string())
            .collect()
    }

    fn level(&self, var: usize, level: &str) -> Option<f64> {
        match (VARS[var], level) {
            ("sex", "female") => Some(FEMALE),
            ("sex", "male") => Some(MALE),
            _ => None,
        }
    }

    fn levels(&self, var: usize) -> Vec<String> {
        match VARS[var] {
            "sex" => vec!["female".into(), "male".into()],
            _ => Vec::new(),
        }
    }

    fn cycle_years(&self) -> f64 {
        DELTA
    }
}

/// An environment whose lookups count their calls, to observe laziness.
struct TestEnv {
    params: Vec<f64>,
    vars: Vec<f64>,
    lookups: Cell<usize>,
}

impl TestEnv {
    fn new() -> Self {
        TestEnv {
            //           p_rem r_rel hr_eko p    r    t    x    y
            params: vec![0.3, 0.2, 0.8, 0.25, 0.7, 2.0, 3.0, -1.5],
            //         time_in_state age  sex
            vars: vec![8.0, 50.0, FEMALE],
            lookups: Cell::new(0),
        }
    }

    fn with_params(params: &[(&str, f64)]) -> Self {
        let mut env = TestEnv::new();
        for &(name, value) in params {
            let i = PARAMS.iter().position(|&p| p == name).unwrap();
            env.params[i] = value;
        }
        env
    }
}

impl Env for TestEnv {
    fn param(&self, i: usize) -> f64 {
        self.params[i]
    }

    fn var(&self, i: usize) -> f64 {
        self.vars[i]
    }

    fn lookup(&self, table: usize, args: &[f64]) -> f64 {
        self.lookups.set(self.lookups.get() + 1);
        // Table t at keys (k1, ..., kn) gives 100 (t + 1) + the keys read as decimal digits,
        // so both the table and the order of the keys show in the result.
        100.0 * (table + 1) as f64 + args.iter().fold(0.0, |acc, k| acc * 10.0 + k)
    }
}

fn prog(src: &str) -> Program {
    compile(src, &TestResolver).unwrap_or_else(|e| panic!("{src:?}: {e} at {}", e.offset))
}

fn eval_in(src: &str, env: &TestEnv) -> f64 {
    prog(src).eval(env)
}

fn eval(src: &str) -> f64 {
    eval_in(src, &TestEnv::new())
}

fn err(src: &str) -> ExprError {
    match compile(src, &TestResolver) {
        Ok(p) => panic!("{src:?} compiled to {p:?}"),
        Err(e) => e,
    }
}

fn assert_close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "expected {expected}, got {actual} (tolerance {tol})"
    );
}
