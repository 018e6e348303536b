//! Lexing and parsing: literals, precedence, syntax errors and their offsets, nesting limits.

use super::*;

#[test]
fn number_literals() {
    for (src, expected) in [
        ("1", 1.0),
        ("0.5", 0.5),
        (".5", 0.5),
        ("1.", 1.0),
        ("1e-3", 0.001),
        ("2.5E+2", 250.0),
        ("1.5e1", 15.0),
        ("007", 7.0),
    ] {
        assert_eq!(prog(src).as_constant(), Some(expected), "{src}");
    }
}

#[test]
fn arithmetic_precedence_and_associativity() {
    for (src, expected) in [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("8 / 4 / 2", 1.0),
        ("2 ^ 3 ^ 2", 512.0),
        ("-2 ^ 2", -4.0),
        ("(-2) ^ 2", 4.0),
        ("2 ^ -1", 0.5),
        ("2 * -3", -6.0),
        ("--2", 2.0),
        ("1 - -1", 2.0),
        ("2 * 3 ^ 2", 18.0),
        ("12 / 2 * 3", 18.0),
    ] {
        assert_eq!(eval(src), expected, "{src}");
    }
    // The same shapes with run-time operands (x = 3, t = 2, y = -1.5) exercise the VM.
    for (src, expected) in [
        ("x + t * y", 0.0),
        ("x - t - 1", 0.0),
        ("x / t / t", 0.75),
        ("t ^ x ^ t", 512.0),
        ("-x ^ t", -9.0),
        ("t * -x", -6.0),
        ("-(-x)", 3.0),
    ] {
        assert_eq!(eval(src), expected, "{src}");
        assert_eq!(prog(src).as_constant(), None, "{src}");
    }
}

#[test]
fn comparison_and_logic_precedence() {
    for (src, expected) in [
        ("1 + 2 < 4", 1.0),
        ("x > t", 1.0),
        ("x <= t", 0.0),
        ("x >= 3", 1.0),
        ("x < 3", 0.0),
        ("x == 3", 1.0),
        ("x != 3", 0.0),
        ("!0 + 1", 2.0),
        ("!x == 0", 1.0),
        ("!!x", 1.0),
        // `&&` binds tighter than `||`: 1 || (0 && 0) is 1, (1 || 0) && 0 would be 0.
        ("1 || 0 && 0", 1.0),
        ("x > 0 || t > 5 && y > 0", 1.0),
    ] {
        assert_eq!(eval(src), expected, "{src}");
    }
    // Logical operators normalise their result to 0 or 1.
    assert_eq!(eval("x && y"), 1.0);
    assert_eq!(eval("0 || y"), 1.0);
    assert_eq!(eval("x && 0"), 0.0);
}

#[test]
fn comparisons_do_not_chain() {
    for (src, offset) in [("x < t < y", 6), ("x == t != y", 7), ("1 < 2 < 3", 6)] {
        let e = err(src);
        assert!(e.message.contains("cannot be chained"), "{src}: {e}");
        assert_eq!(e.offset, offset, "{src}");
    }
    let e = err("x < t >= y");
    assert_eq!(
        e.message,
        "comparison operators cannot be chained: found `>=` after `x < t`; \
         combine comparisons with `&&`"
    );
    assert_eq!((e.offset, e.len), (6, 2));
    // Parentheses and logical operators make the intent explicit.
    assert_eq!(eval("(x < t) < y"), 0.0);
    assert_eq!(eval("x > t && t > y"), 1.0);
}

#[test]
fn syntax_error_messages_and_offsets() {
    for (src, offset, len, message) in [
        ("", 0, 0, "empty expression; expected a number, name or `(`"),
        (
            "  ",
            0,
            2,
            "empty expression; expected a number, name or `(`",
        ),
        ("1 + #", 4, 1, "unexpected character `#`"),
        ("x + λ", 4, 2, "unexpected character `λ`"),
        (
            "min(x, t",
            8,
            0,
            "expected `)` after arguments of `min`, found end of expression",
        ),
        (
            "min(x t)",
            6,
            1,
            "expected `)` after arguments of `min`, found `t`",
        ),
        ("min(x,)", 6, 1, "expected a number, name or `(`, found `)`"),
        (
            "(x + 1",
            6,
            0,
            "expected `)` to close `(`, found end of expression",
        ),
        (
            "x +",
            3,
            0,
            "expected a number, name or `(`, found end of expression",
        ),
        (
            "x t",
            2,
            1,
            "expected an operator or end of expression, found `t`",
        ),
        (
            "2 3.5",
            2,
            3,
            "expected an operator or end of expression, found number `3.5`",
        ),
        ("x)", 1, 1, "unmatched `)`; no `(` is open here"),
        ("))", 0, 1, "expected a number, name or `(`, found `)`"),
        (
            "1e",
            0,
            2,
            "malformed number `1e`; expected digits after the exponent",
        ),
        (
            "2 * 1e+",
            4,
            3,
            "malformed number `1e+`; expected digits after the exponent",
        ),
        ("1e999", 0, 5, "number `1e999` is too large to represent"),
        (
            "\"unterminated",
            0,
            13,
            "unterminated string literal; expected a closing `\"`",
        ),
        ("x = 1", 2, 1, "unexpected `=`; use `==` to compare values"),
        ("x & t", 2, 1, "unexpected `&`; use `&&` for logical and"),
        ("x | t", 2, 1, "unexpected `|`; use `||` for logical or"),
        ("2 ** 3", 2, 2, "unexpected `**`; use `^` for powers"),
        ("x.y", 1, 1, "unexpected character `.`"),
        ("1 + * 2", 4, 1, "expected a number, name or `(`, found `*`"),
    ] {
        let e = err(src);
        assert_eq!(e.message, message, "{src:?}");
        assert_eq!((e.offset, e.len), (offset, len), "{src:?}");
        assert_eq!(e.to_string(), message);
    }
}

#[test]
fn first_error_wins() {
    // The lexer runs lazily, so a parse error before a bad character is reported first.
    assert_eq!(err("x t #").offset, 2);
    assert_eq!(err("x + # t").offset, 4);
    // Name errors are reported left to right.
    assert_eq!(err("aaa + bbb").message, "unknown name `aaa`");
}

#[test]
fn nesting_is_limited_without_overflowing() {
    // Each parenthesis costs two levels: one for the operators inside, one for the operand.
    let ok = format!("{}x{}", "(".repeat(45), ")".repeat(45));
    assert_eq!(eval(&ok), 3.0);
    let ok = format!("{}x{}", "if(t, 1, ".repeat(45), ")".repeat(45));
    assert_eq!(eval(&ok), 1.0);
    let too_deep = [
        format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000)),
        "(".repeat(10_000),
        format!("{}1", "-".repeat(10_000)),
        format!("{}1", "!".repeat(10_000)),
        format!("{}2", "2^".repeat(10_000)),
        "exp(".repeat(10_000),
        format!("{}1", "min(1, ".repeat(10_000)),
    ];
    for src in &too_deep {
        let e = err(src);
        assert!(
            e.message.starts_with("expression is nested too deeply"),
            "{e}"
        );
    }
    // Runs of same-precedence operators are kept flat, so their length is not limited.
    let long = format!("{}1", "1 + ".repeat(100_000));
    assert_eq!(prog(&long).as_constant(), Some(100_001.0));
    let long = format!("{}x", "x - y + ".repeat(100_000));
    assert_eq!(eval(&long), 450_003.0);
    let long = format!("{}1", "x > 0 && ".repeat(100_000));
    assert_eq!(eval(&long), 1.0);
}

#[test]
fn malformed_inputs_are_errors() {
    for src in [
        "",
        " ",
        "(",
        ")",
        "1 +",
        "))",
        "1e",
        "1e+",
        "\"unterminated",
        "\"",
        "a b",
        "min()",
        ",",
        "1,2",
        "()",
        "f()",
        "x(",
        "x(1",
        "x(1,",
        "if(",
        "lookup(",
        "lookup(,)",
        "-",
        "!",
        "^2",
        "2^",
        "2^^2",
        "==",
        "1 ==",
        "&&",
        "x ||",
        "1..2",
        ".",
        "..5",
        "1.2.3",
        "$x",
        "x y z",
        "\u{0}",
        "é",
        "🙂",
        "lookup(\"x\", 1)",
        "\"a\" == ",
        "(((1)",
        "sex == \"",
        "exp()",
        "abs(1,2,3)",
        "1 2",
        "+1",
        "1 ! 2",
    ] {
        assert!(compile(src, &TestResolver).is_err(), "{src:?} compiled");
    }
}
