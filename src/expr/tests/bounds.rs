//! The interval evaluation (`Program::bounds`): it decides what it can and is sound, so a
//! single known value is what every concrete evaluation gives.

use super::*;

/// `time_in_state` known to be at least `from`; `age` and `sex` unknown; the parameters
/// of `TestEnv`.
struct AtLeast {
    from: f64,
    env: TestEnv,
}

impl Ranges for AtLeast {
    fn param(&self, i: usize) -> f64 {
        self.env.params[i]
    }

    fn var(&self, i: usize) -> Range {
        match VARS[i] {
            "time_in_state" => Range::Known {
                lo: self.from,
                hi: f64::INFINITY,
            },
            _ => Range::Unknown,
        }
    }

    fn lookup(&self, table: usize, args: &[f64]) -> f64 {
        self.env.lookup(table, args)
    }
}

fn bounds(src: &str, from: f64) -> Range {
    prog(src).bounds(&AtLeast {
        from,
        env: TestEnv::new(),
    })
}

#[test]
fn a_condition_decided_by_time_makes_the_individual_part_irrelevant() {
    let friction = "if(age < 67 && time_in_state <= 16, 100, 0)";
    assert_eq!(bounds(friction, 17.0), Range::point(0.0));
    assert_eq!(bounds(friction, 16.0), Range::Unknown);
    // `||` settles at 1 the same way, and a decided condition picks its branch.
    assert_eq!(
        bounds("age > 67 || time_in_state > 12", 13.0),
        Range::point(1.0)
    );
    assert_eq!(
        bounds("age > 67 || time_in_state > 12", 12.0),
        Range::Unknown
    );
    assert_eq!(
        bounds("if(time_in_state > 5, p * 4, age)", 6.0),
        Range::point(1.0)
    );
    // Only comparisons are decided on a range; anything else on it is unknown.
    assert_eq!(bounds("min(time_in_state, 10)", 20.0), Range::Unknown);
    assert_eq!(bounds("age * 0", 20.0), Range::Unknown, "NaN * 0 is NaN");
    // A branch on an undecided condition is not joined: unknown.
    assert_eq!(bounds("if(age < 50, 1, 1)", 0.0), Range::Unknown);
}

/// Sources mixing an unknown (`age`), a range (`time_in_state`) and parameters.
const SOURCES: [&str; 8] = [
    "if(age < 67 && time_in_state <= 16, p * 100, x)",
    "(age > 40 || time_in_state > 12) * r + y",
    "if(time_in_state > 5, if(age < 50, 1, 2), 3)",
    "!(time_in_state < 20) && age >= 18",
    "time_in_state >= 3 && time_in_state < 100",
    "if(time_in_state == 7, age, t) + (time_in_state != 7)",
    "(age < 30 && time_in_state > 9) || time_in_state <= 4",
    "if(time_in_state > 10 && (age > 20 || time_in_state > 30), x * y, p)",
];

proptest::proptest! {
    /// Wherever the interval evaluation knows the value, every concrete evaluation with
    /// `time_in_state` in the range and any age gives exactly that value (or lies in the
    /// range it gives).
    #[test]
    fn known_values_are_what_every_evaluation_gives(
        which in 0..SOURCES.len(),
        from in 0u32..40,
        after in 0u32..40,
        age in -10.0f64..120.0,
    ) {
        let src = SOURCES[which];
        let known = bounds(src, f64::from(from));
        let mut env = TestEnv::new();
        env.vars[0] = f64::from(from + after);
        env.vars[1] = age;
        let x = eval_in(src, &env);
        match known {
            Range::Known { lo, hi } if lo.to_bits() == hi.to_bits() => {
                proptest::prop_assert_eq!(x.to_bits(), lo.to_bits(), "{}", src);
            }
            Range::Known { lo, hi } => proptest::prop_assert!(lo <= x && x <= hi, "{}", src),
            Range::Unknown => {}
        }
    }
}

#[test]
fn knowing_more_never_knows_less() {
    // What the engine's bisection relies on: a narrower range decides at least as much.
    for src in SOURCES {
        let mut known = false;
        for from in 0..40 {
            let now = bounds(src, f64::from(from)).as_point().is_some();
            assert!(
                !known || now,
                "{src}: known from an earlier start but not at {from}"
            );
            known |= now;
        }
    }
}
