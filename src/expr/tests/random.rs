//! Randomised tests: token soup never panics, and compiled programs agree with a tree-walking
//! reference evaluator.

use super::*;
use crate::expr::functions::{
    cum_prob_to_cycle, hr_prob, nan_or, prob_to_rate, rate_to_prob, weibull_surv,
};
use crate::expr::parser::{BinaryOp, Kind, Node, UnaryOp, parse};

/// Deterministic xorshift generator for the randomised tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

#[test]
fn random_token_soup_never_panics() {
    const TOKENS: &[&str] = &[
        "x",
        "t",
        "1",
        ".5",
        "1e",
        "2.5E+2",
        "(",
        ")",
        ",",
        "+",
        "-",
        "*",
        "/",
        "^",
        "!",
        "&&",
        "||",
        "==",
        "!=",
        "<",
        ">=",
        "min",
        "if",
        "lookup",
        "life_table",
        "utility_table",
        "sex",
        "\"female\"",
        "\"",
        " ",
        "exp",
        "#",
        "λ",
        "=",
        "&",
        "|",
        "p_remission",
        "ten",
        "cycle_prob",
        "weibull_surv",
        "hr_prob",
        "age",
        "0",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = 1 + rng.below(16);
        let src: String = (0..len).map(|_| rng.pick(TOKENS)).collect();
        if let Ok(p) = compile(&src, &TestResolver) {
            let env = TestEnv::new();
            let value = p.eval(&env);
            if let Some(c) = p.as_constant() {
                assert!(c.to_bits() == value.to_bits(), "{src:?}");
            }
        }
    }
}

/// A straightforward tree-walking evaluator, used as an oracle for the compiler and VM.
fn reference(node: &Node<'_>, env: &TestEnv) -> f64 {
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    match &node.kind {
        Kind::Num(v) => *v,
        Kind::Str(_) => unreachable!("compile rejects stray strings"),
        Kind::Name(name) => match TestResolver.resolve(name) {
            Some(Symbol::Param(i)) => env.param(i),
            Some(Symbol::Var(i)) => env.var(i),
            Some(Symbol::Const(c)) => c,
            other => unreachable!("{other:?}"),
        },
        Kind::Unary(UnaryOp::Neg, x) => -reference(x, env),
        Kind::Unary(UnaryOp::Not, x) => b(reference(x, env) == 0.0),
        Kind::Binary(op, l, r) => {
            let level = |var: &Node<'_>, s: &str| {
                let Kind::Name(name) = var.kind else {
                    unreachable!()
                };
                let Some(Symbol::Var(i)) = TestResolver.resolve(name) else {
                    unreachable!()
                };
                (env.var(i), TestResolver.level(i, s).unwrap())
            };
            let (a, c) = match (&l.kind, &r.kind) {
                (Kind::Str(s), _) => level(r, s),
                (_, Kind::Str(s)) => level(l, s),
                _ => (reference(l, env), reference(r, env)),
            };
            reference_arith(*op, a, c)
        }
        Kind::Chain(first, rest) => {
            let mut acc = reference(first, env);
            for (op, rhs) in rest {
                acc = match op {
                    BinaryOp::And if acc == 0.0 => 0.0,
                    BinaryOp::Or if acc != 0.0 => 1.0,
                    BinaryOp::And | BinaryOp::Or => b(reference(rhs, env) != 0.0),
                    _ => reference_arith(*op, acc, reference(rhs, env)),
                };
            }
            acc
        }
        Kind::Call { name, args, .. } => {
            if *name == "if" {
                let taken = if reference(&args[0], env) != 0.0 {
                    1
                } else {
                    2
                };
                return reference(&args[taken], env);
            }
            if let ("lookup", Kind::Name(table)) = (*name, &args[0].kind) {
                let Some(Symbol::Table { index, .. }) = TestResolver.resolve(table) else {
                    unreachable!()
                };
                let keys: Vec<f64> = args[1..].iter().map(|a| reference(a, env)).collect();
                return env.lookup(index, &keys);
            }
            // Every other function evaluates each argument exactly once, left to right.
            let values: Vec<f64> = args.iter().map(|a| reference(a, env)).collect();
            let v = |i: usize| values[i];
            match *name {
                "min" => (1..args.len()).fold(v(0), |m, i| nan_or(m, v(i), f64::min)),
                "max" => (1..args.len()).fold(v(0), |m, i| nan_or(m, v(i), f64::max)),
                "exp" => v(0).exp(),
                "log" => v(0).ln(),
                "sqrt" => v(0).sqrt(),
                "abs" => v(0).abs(),
                "floor" => v(0).floor(),
                "ceil" => v(0).ceil(),
                "pow" => v(0).powf(v(1)),
                "odds" => v(0) / (1.0 - v(0)),
                "odds_to_prob" => v(0) / (1.0 + v(0)),
                "prob_to_rate" => prob_to_rate(v(0), v(1)),
                "rate_to_prob" => rate_to_prob(v(0), v(1)),
                "cycle_prob" => rate_to_prob(v(0), DELTA),
                "hr_prob" => hr_prob(v(0), v(1)),
                "cum_prob_to_cycle" => cum_prob_to_cycle(v(0), v(1), DELTA),
                "weibull_surv" => weibull_surv(v(0), v(1), v(2)),
                other => unreachable!("{other}"),
            }
        }
    }
}

fn reference_arith(op: BinaryOp, a: f64, c: f64) -> f64 {
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    match op {
        BinaryOp::Eq => b(a == c),
        BinaryOp::Ne => b(a != c),
        BinaryOp::Lt => b(a < c),
        BinaryOp::Le => b(a <= c),
        BinaryOp::Gt => b(a > c),
        BinaryOp::Ge => b(a >= c),
        BinaryOp::Add => a + c,
        BinaryOp::Sub => a - c,
        BinaryOp::Mul => a * c,
        BinaryOp::Div => a / c,
        BinaryOp::Pow => a.powf(c),
        BinaryOp::And | BinaryOp::Or => unreachable!("handled lazily by the caller"),
    }
}

/// Generates a random well-formed expression of at most `depth` levels.
fn random_expr(rng: &mut Rng, depth: usize) -> String {
    const LEAVES: &[&str] = &[
        "0",
        "1",
        "2",
        "0.5",
        ".25",
        "1e-3",
        "3",
        "x",
        "t",
        "y",
        "p",
        "r",
        "time_in_state",
        "age",
        "sex",
        "ten",
        "cycle_years",
        "(sex == \"female\")",
        "(\"male\" != sex)",
    ];
    const OPS: &[&str] = &[
        "+", "-", "*", "/", "^", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
    ];
    const FUNCS: &[(&str, usize)] = &[
        ("exp", 1),
        ("log", 1),
        ("sqrt", 1),
        ("abs", 1),
        ("floor", 1),
        ("ceil", 1),
        ("pow", 2),
        ("min", 3),
        ("max", 2),
        ("if", 3),
        ("prob_to_rate", 2),
        ("rate_to_prob", 2),
        ("cycle_prob", 1),
        ("odds", 1),
        ("odds_to_prob", 1),
        ("hr_prob", 2),
        ("cum_prob_to_cycle", 2),
        ("weibull_surv", 3),
    ];
    if depth == 0 {
        return rng.pick(LEAVES).to_string();
    }
    let sub = |rng: &mut Rng| random_expr(rng, depth - 1);
    match rng.below(8) {
        0 => rng.pick(LEAVES).to_string(),
        1 => format!("({})", sub(rng)),
        2 => format!("-{}", sub(rng)),
        3 => format!("!{}", sub(rng)),
        4 => {
            let (name, arity) = FUNCS[rng.below(FUNCS.len())];
            let args: Vec<String> = (0..arity).map(|_| sub(rng)).collect();
            format!("{name}({})", args.join(", "))
        }
        5 => match rng.below(2) {
            0 => format!("lookup(utility_table, {})", sub(rng)),
            _ => format!("lookup(life_table, {}, {})", sub(rng), sub(rng)),
        },
        _ => {
            let op = rng.pick(OPS);
            format!("{} {op} {}", sub(rng), sub(rng))
        }
    }
}

#[test]
fn compiled_programs_match_reference_evaluator() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let envs = [
        TestEnv::new(),
        TestEnv {
            params: vec![0.0, 1.0, 0.5, 0.99, 0.0, -1.0, 0.5, 0.0],
            vars: vec![0.0, 0.0, MALE],
            lookups: Cell::new(0),
        },
    ];
    let mut compiled = 0;
    for _ in 0..20_000 {
        let src = random_expr(&mut rng, 5);
        let Ok(program) = compile(&src, &TestResolver) else {
            let e = err(&src);
            assert!(
                e.message.contains("chained") || e.message.contains("stack"),
                "{src}: {e}"
            );
            continue;
        };
        compiled += 1;
        let ast = parse(&src).unwrap();
        for env in &envs {
            env.lookups.set(0);
            let expected = reference(&ast, env);
            let expected_lookups = env.lookups.replace(0);
            let actual = program.eval(env);
            assert!(
                actual.to_bits() == expected.to_bits() || (actual.is_nan() && expected.is_nan()),
                "{src}: vm {actual}, reference {expected}\n{program:?}"
            );
            assert_eq!(env.lookups.get(), expected_lookups, "{src}");
        }
    }
    assert!(
        compiled > 15_000,
        "only {compiled} random expressions compiled"
    );
}
