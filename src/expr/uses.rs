//! Which names an expression uses as probabilities, for validation warnings (a normal
//! distribution on a parameter that a transition uses as its probability, say).
//!
//! This reads the syntax tree, not the bytecode: a name is "used as a probability" when it
//! stands where the value must be a probability, as written.

use super::parser::{Kind, Node, parse};

/// Functions whose first argument is a probability (`prob_to_rate(p, t)`, `odds(p)`,
/// `hr_prob(p, hr)`, `cum_prob_to_cycle(p, t)`).
const PROBABILITY_FIRST: &[&str] = &["prob_to_rate", "odds", "hr_prob", "cum_prob_to_cycle"];

/// The names `src` uses as probabilities, in order of appearance (repeats kept): the first
/// argument of a function in [`PROBABILITY_FIRST`] anywhere; and, when `whole` is true (the
/// expression is itself a probability, such as a transition's), the expression itself when
/// it is a bare name, and likewise the branches of `if` and the arguments of `min` and `max`
/// in such a position. Empty when `src` does not parse (validation reports that elsewhere).
pub fn probability_names(src: &str, whole: bool) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(node) = parse(src) {
        visit(&node, whole, &mut names);
    }
    names
}

fn visit(node: &Node<'_>, probability: bool, names: &mut Vec<String>) {
    match &node.kind {
        Kind::Name(n) if probability => names.push((*n).to_string()),
        Kind::Num(_) | Kind::Str(_) | Kind::Name(_) => {}
        Kind::Unary(_, x) => visit(x, false, names),
        Kind::Binary(_, a, b) => {
            visit(a, false, names);
            visit(b, false, names);
        }
        Kind::Chain(first, rest) => {
            visit(first, false, names);
            for (_, x) in rest {
                visit(x, false, names);
            }
        }
        Kind::Call { name, args, .. } => {
            for (i, a) in args.iter().enumerate() {
                let as_probability = match *name {
                    "if" => probability && i > 0,
                    "min" | "max" => probability,
                    f => i == 0 && PROBABILITY_FIRST.contains(&f),
                };
                visit(a, as_probability, names);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::probability_names;

    #[test]
    fn bare_names_and_branches_in_a_probability_position() {
        assert_eq!(probability_names("p_sick", true), ["p_sick"]);
        assert!(probability_names("p_sick", false).is_empty());
        assert_eq!(
            probability_names("if(state_time == 1, p_a, min(p_b, 0.5))", true),
            ["p_a", "p_b"]
        );
        assert!(probability_names("p_a * hr", true).is_empty());
        assert!(probability_names("(p_a", true).is_empty(), "does not parse");
    }

    #[test]
    fn first_arguments_of_probability_functions_anywhere() {
        assert_eq!(
            probability_names("1 - exp(-prob_to_rate(p_x, 1) * hr) + odds(p_y)", false),
            ["p_x", "p_y"]
        );
        assert_eq!(
            probability_names("hr_prob(cum_prob_to_cycle(p_z, 1), hr_z)", true),
            ["p_z"]
        );
        assert!(probability_names("rate_to_prob(r, 1)", true).is_empty());
    }
}
