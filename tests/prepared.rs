//! Values the engine prepares once per parameter set instead of evaluating per individual
//! and cycle give the results of evaluating them per individual and cycle: each model here
//! is simulated twice, once as written and once with its expressions rewritten so that the
//! preparation cannot see through them (same values, same random numbers, same paths), and
//! the two results are compared.

use trdsim::engine::SimOutput;

use crate::oracle::{load, simulate};

/// A three-state model whose payoffs, transitions and variables are given by the caller.
fn model(n_cycles: usize, variables: &str, states: &str, transitions: &str) -> String {
    format!(
        r#"
version: 1
meta: {{title: prepared values}}
settings:
  cycle: {{length: 1, unit: months}}
  horizon: {{length: {n_cycles}, unit: months}}
  discount: {{costs: 0.04, effects: 0.015, timing: start}}
  within_cycle: none
  individuals: 2000
  seed: 5
  cost_categories: [care, other]
  perspectives: {{all: [care, other]}}
  wtp: [20000]
population:
  attributes:
    age: {{dist: {{type: normal, mean: 50, sd: 10}}, min: 20, max: 80, source: test}}
trackers:
  well_clock: {{type: clock, states: [well]}}
variables:
{variables}
states:
{states}
  - {{id: dead, utility: 0, costs: {{}}, absorbing: true, alive: false}}
transitions:
{transitions}
strategies:
  - {{id: a, initial: {{well: 0.6, sick: 0.4}}}}
  - {{id: b, initial: {{well: 0.3, sick: 0.7}}}}
"#
    )
}

/// Every outcome, trace entry and transition count of `a` and `b` within `rel` of each
/// other (relative to the larger magnitude; 0 asks for the same bits).
fn assert_same(a: &SimOutput, b: &SimOutput, rel: f64) {
    assert_eq!(a.strategies.len(), b.strategies.len());
    for (sa, sb) in a.strategies.iter().zip(&b.strategies) {
        let close = |x: f64, y: f64| {
            if rel == 0.0 {
                x.to_bits() == y.to_bits()
            } else {
                (x - y).abs() <= rel * x.abs().max(y.abs())
            }
        };
        for (k, (x, y)) in sa.outcomes.iter().zip(&sb.outcomes).enumerate() {
            assert!(
                close(x.mean, y.mean),
                "outcome {k}: {} vs {}",
                x.mean,
                y.mean
            );
            assert!(close(x.se, y.se), "outcome {k} SE: {} vs {}", x.se, y.se);
        }
        assert_eq!(sa.trace, sb.trace, "the paths differ");
        assert_eq!(sa.transitions, sb.transitions, "the paths differ");
    }
}

/// Death by age from both states (twice the rate when sick), falling ill as `onset` and
/// recovering as `recovery` (both read after surviving the cycle).
fn illness(onset: &str, recovery: &str) -> String {
    format!(
        r#"
  - {{from: well, to: dead, probability: p_die}}
  - {{from: well, to: sick, probability: "(1 - p_die) * {onset}"}}
  - {{from: well, to: well, probability: complement}}
  - {{from: sick, to: dead, probability: "2 * p_die"}}
  - {{from: sick, to: well, probability: "(1 - 2 * p_die) * {recovery}"}}
  - {{from: sick, to: sick, probability: complement}}"#
    )
}

const DEATH: &str = r#"  p_die: {expr: "1 - exp(-0.0005 * exp(0.08 * (age - 50)))", source: test}"#;

/// Two strategies that start in `well` and `sick` in different shares.
const STRATEGIES: &str = "strategies:
  - {id: a, initial: {well: 0.6, sick: 0.4}}
  - {id: b, initial: {well: 0.3, sick: 0.7}}
";

/// A population aged 70 (SD 12, 40 to 95), 60% women.
const AGED_70: &str = r#"    age: {dist: {type: normal, mean: 70, sd: 12}, min: 40, max: 95, source: test}
    sex: {categorical: {female: 0.6, male: 0.4}, source: test}"#;

/// A scenario of monthly cycles over `months` with one cost category, the CBS life table by
/// age and sex as `life_table`, and the population attributes `population`; `rest` gives the
/// trackers, variables, states, transitions and strategies.
pub(crate) fn life_table_scenario(
    months: usize,
    seed: u64,
    population: &str,
    rest: &str,
) -> String {
    format!(
        r#"
version: 1
meta: {{title: life table}}
settings:
  cycle: {{length: 1, unit: months}}
  horizon: {{length: {months}, unit: months}}
  discount: {{costs: 0.04, effects: 0.015, timing: start}}
  within_cycle: none
  individuals: 2000
  seed: {seed}
  cost_categories: [care]
  perspectives: {{all: [care]}}
  wtp: [20000]
tables:
  life_table:
    file: ../data/nl_cbs37360ned_qx_by_sex_2019.csv
    numeric_key: age
    categorical_keys: [sex]
    value: qx
    lookup: step
    out_of_range: clamp
    source: "CBS StatLine 37360ned, 2019"
population:
  attributes:
{population}
{rest}"#
    )
}

/// Payoffs that become one number from some boundary on (a table over model time that stops
/// changing; a value that reads age only within a period) are accrued per stay from that
/// boundary; `+ 0 * state_time` makes the same payoffs vary with time in state in the
/// preparation's eyes, so they are accrued cycle by cycle. The order of the additions
/// differs, so the results agree to rounding, and the paths exactly.
#[test]
fn payoffs_fixed_from_a_boundary_are_the_sums_of_their_cycles() {
    let transitions = &illness("0.06", "0.1");
    let states = |extra: &str| {
        format!(
            r#"  - {{id: well, utility: "if(model_time <= 7, 0.8, 0.9){extra}", costs: {{care: "if(model_time <= 12, 30, 10){extra}", other: 5}}}}
  - {{id: sick, utility: 0.5, costs: {{care: "if(age < 65 && model_time <= 5, 1000, 200){extra}", other: "if(model_time <= 20, 40, 0){extra}"}}}}"#
        )
    };
    let fixed = load(&model(48, DEATH, &states(""), transitions));
    let per_cycle = load(&model(48, DEATH, &states(" + 0 * state_time"), transitions));
    assert_same(&simulate(&fixed, 2000), &simulate(&per_cycle, 2000), 1e-12);
}

/// A relapse probability under a maintenance dose that ends (a clock and model time, read
/// through a variable that stops changing) on a horizon too long for a table over both
/// (1,201 clock values × 1,201 boundaries): a table over the clock before the dose ends and
/// one after. Written with model time inline, it is evaluated per cycle; the values are
/// the same, so are the results, bit for bit.
#[test]
fn a_clock_table_split_where_the_dose_ends_gives_the_same_bits() {
    let variables = |p: &str| {
        format!(
            r#"{DEATH}
  dose: {{expr: "if(model_time <= 10, 1, 0)", source: test}}
  base: {{expr: "0.2 * exp(-0.05 * well_clock)", source: test}}
  p_relapse: {{expr: "{p}", source: test}}"#
        )
    };
    let states = r#"  - {id: well, utility: 0.85, costs: {care: 10}}
  - {id: sick, utility: 0.5, costs: {care: 300}}"#;
    let transitions = &illness("p_relapse", "0.15");
    let split = load(&model(
        1200,
        &variables("1 - (1 - base) ^ (0.4 ^ dose)"),
        states,
        transitions,
    ));
    let inline = load(&model(
        1200,
        &variables("1 - (1 - base) ^ (0.4 ^ if(model_time <= 10, 1, 0))"),
        states,
        transitions,
    ));
    assert_same(&simulate(&split, 300), &simulate(&inline, 300), 0.0);
}

/// A transition that can happen only at the end of a course reads the individual's death
/// probability, but is 0 for everyone at every other time in state; the preparation knows
/// so without evaluating it. With `0 * age` in the other branch, nothing is known and it is
/// evaluated every cycle: the same values, so the same bits.
#[test]
fn a_transition_known_zero_outside_one_time_in_state_gives_the_same_bits() {
    let states = r#"  - {id: well, utility: 0.85, costs: {care: 10}}
  - {id: sick, utility: "0.4 + 0.02 * min(state_time, 4)", costs: {care: 300}}"#;
    let transitions = |zero: &str| {
        format!(
            r#"
  - {{from: well, to: dead, probability: p_die}}
  - {{from: well, to: sick, probability: "(1 - p_die) * 0.05"}}
  - {{from: well, to: well, probability: complement}}
  - {{from: sick, to: dead, probability: p_die}}
  - {{from: sick, to: well, probability: "if(state_time == 4, (1 - p_die) * 0.7, {zero})"}}
  - {{from: sick, to: sick, probability: complement}}"#
        )
    };
    let known = load(&model(36, DEATH, states, &transitions("0")));
    let evaluated = load(&model(36, DEATH, states, &transitions("0 * age")));
    assert_same(&simulate(&known, 2000), &simulate(&evaluated, 2000), 0.0);
}

/// A death probability from a step life table by age and sex is computed once per row the
/// individual's age passes through: the memo holds it until the boundary where age leaves
/// the row, found when it is computed. With `+ 0 * state_time`, it reads something that
/// changes every cycle and is evaluated every cycle: the same values, so the same bits.
/// Monthly cycles over five years take every individual across four or five rows, at
/// boundaries that depend on their age at the start.
#[test]
fn a_death_probability_held_until_age_leaves_its_row_gives_the_same_bits() {
    let text = |extra: &str, transitions: &str| {
        let rest = format!(
            r#"
variables:
  p_die: {{expr: "cum_prob_to_cycle(hr_prob(lookup(life_table, age, sex), 1.5), 1){extra}", source: test}}
states:
  - {{id: well, utility: 0.85, costs: {{care: 10}}}}
  - {{id: sick, utility: 0.5, costs: {{care: 300}}}}
  - {{id: dead, utility: 0, costs: {{}}, absorbing: true, alive: false}}
transitions:{transitions}
strategies:
  - {{id: a, initial: {{well: 0.6, sick: 0.4}}}}
  - {{id: b, initial: {{well: 0.3, sick: 0.7}}}}
"#,
        );
        life_table_scenario(60, 9, AGED_70, &rest)
    };
    // Its rows stay the same between the memo's boundaries: they are drawn as a walk along
    // the stay (`walk_stay`) with the numbers and moves of evaluating them every cycle.
    let transitions = illness("0.04", "0.1");
    let held = load(&text("", &transitions));
    let every_cycle = load(&text(" + 0 * state_time", &transitions));
    let every_cycle = simulate(&every_cycle, 2000);
    assert_same(&simulate(&held, 2000), &every_cycle, 0.0);
    // Written inline in each transition instead of as a variable, the death probability is
    // memoised all the same (one memo per transition that reads it).
    let inline = transitions
        .replace("probability: p_die}", "probability: \"p_die\"}")
        .replace(
            "p_die",
            "cum_prob_to_cycle(hr_prob(lookup(life_table, age, sex), 1.5), 1)",
        );
    let inline = text("", &inline);
    assert_same(&simulate(&load(&inline), 2000), &every_cycle, 0.0);
}

/// A value that reads age and model time only in comparisons with a parameter or constant
/// (working age within a friction period, a price from a given year, a checkup at a given
/// month) is held by the memo until one of those comparisons turns, a boundary computed
/// with `set_time`'s arithmetic: payoffs read it from the memo, and a row that reads it stays
/// the same between such boundaries and is walked. With `+ 0 * state_time` the same values
/// are evaluated every cycle: the same values, the same numbers and moves, the same bits. A
/// population aged 70 (SD 12) over ten years crosses 67 throughout; one aged exactly 66.5
/// reaches 67 exactly at month 6 (66.5 + 6 · 1/12), where `age < 67` and `age >= 67` turn
/// but `age <= 67` and `age > 67` only a month later. A value that also compares time in
/// state is memoised on whether the comparisons hold, and evaluated again when one of them
/// has turned.
#[test]
fn comparisons_of_age_and_model_time_held_until_they_turn_give_the_same_bits() {
    const AGED_66_5: &str = r#"    age: {dist: {type: fixed, mean: 66.5}, source: test}
    sex: {categorical: {female: 0.6, male: 0.4}, source: test}"#;
    assert_eq!(66.5 + 6.0 * (1.0 / 12.0), 67.0);
    let text = |population: &str, x: &str| {
        let rest = format!(
            r#"
parameters:
  retirement: {{value: 67, source: test}}
variables:
  p_die: {{expr: "cum_prob_to_cycle(hr_prob(lookup(life_table, age, sex), 1.5), 1)", source: test}}
  working: {{expr: "if(age < retirement && model_time <= 30, 1, 0){x}", source: test}}
  p_onset: {{expr: "if(age >= 67, 0.06, 0.03){x}", source: test}}
  p_recover: {{expr: "if(age <= 67, 0.1, 0.05) * if(state_time <= 6, 1.5, 1){x}", source: test}}
states:
  - id: well
    utility: "0.85 - if(age > 67, 0.05, 0){x}"
    costs: {{care: "100 * working + if(model_years >= 4, 5, 0) + if(model_time == 12, 50, 0) + if(model_time != 24, 1, 0){x}"}}
  - {{id: sick, utility: 0.5, costs: {{care: "300 + 200 * if(age < retirement, 1, 0){x}"}}}}
  - {{id: dead, utility: 0, costs: {{}}, absorbing: true, alive: false}}
transitions:
  - {{from: well, to: dead, probability: p_die}}
  - {{from: well, to: sick, probability: "(1 - p_die) * p_onset"}}
  - {{from: well, to: well, probability: complement}}
  - {{from: sick, to: dead, probability: p_die}}
  - {{from: sick, to: well, probability: "(1 - p_die) * p_recover"}}
  - {{from: sick, to: sick, probability: complement}}
{STRATEGIES}"#,
        );
        life_table_scenario(120, 13, population, &rest)
    };
    for population in [AGED_70, AGED_66_5] {
        let held = load(&text(population, ""));
        let every_cycle = load(&text(population, " + 0 * state_time"));
        assert_same(&simulate(&held, 2000), &simulate(&every_cycle, 2000), 0.0);
    }
}

/// Competing risks that change along a stay (a death probability from a life table, held
/// until age leaves its row, and among survivors a Weibull relapse by clock, a rate by model
/// time, by time in state or by both, or a parameter, each written `(1 - p_die) * R`) and
/// rows that stay the same but for the last week of a course are walked along a stay: the
/// row's probabilities at each cycle from the held value and the tables, one number a cycle.
/// In one variant the payoffs read time in state, so walked stays are stepped cycle by cycle
/// instead of skipped. With `+ 0 * state_time` (and `0 * age` for the course's other weeks)
/// the same probabilities are evaluated every cycle: the same numbers and the same moves, so
/// the same bits.
#[test]
fn competing_risks_walked_along_a_stay_give_the_same_bits() {
    // (what, well's cost, sick's utility, well to better, better to sick, sick to well)
    let variants = [
        (
            "relapse by clock",
            "if(model_time <= 12, 30, 10)",
            "0.5",
            "(1 - p_die) * 0.02{x}",
            "(1 - p_die) * p_relapse{x}",
            "(1 - p_die) * 0.1{x}",
        ),
        (
            "payoffs by time in state",
            "10 + state_time",
            "0.4 + 0.02 * min(state_time, 4)",
            "(1 - p_die) * p_better{x}",
            "(1 - p_die) * p_relapse{x}",
            "(1 - p_die) * 0.1{x}",
        ),
        (
            "rates by model time, time in state and both",
            "10",
            "0.5",
            "(1 - p_die) * p_both{x}",
            "(1 - p_die) * p_late{x}",
            "(1 - p_die) * p_recover{x}",
        ),
        (
            "a course of four months",
            "10",
            "0.4 + 0.02 * min(state_time, 4)",
            "(1 - p_die) * p_better{x}",
            "(1 - p_die) * p_relapse{x}",
            "if(state_time == 4, (1 - p_die) * 0.6, {z}){x}",
        ),
    ];
    for (what, cost, utility, to_better, to_sick, to_well) in variants {
        let text = |x: &str, z: &str| {
            let fill = |e: &str| e.replace("{x}", x).replace("{z}", z);
            let (to_better, to_sick, to_well) = (fill(to_better), fill(to_sick), fill(to_well));
            let rest = format!(
                r#"
parameters:
  p_better: {{value: 0.02, source: test}}
trackers:
  well_clock: {{type: clock, states: [well, better]}}
variables:
  p_die: {{expr: "cum_prob_to_cycle(hr_prob(lookup(life_table, age, sex), 1.5), 1)", source: test}}
  p_relapse: {{expr: "1 - weibull_surv(0.05, 0.6, well_clock_years * 12 + 1) / weibull_surv(0.05, 0.6, well_clock_years * 12)", source: test}}
  p_late: {{expr: "if(model_time <= 24, 0.03, 0.01)", source: test}}
  p_recover: {{expr: "0.3 / state_time", source: test}}
  p_both: {{expr: "0.02 * min(state_time, model_time) / model_time", source: test}}
states:
  - {{id: well, utility: 0.85, costs: {{care: "{cost}"}}}}
  - {{id: better, utility: 0.9, costs: {{care: 5}}}}
  - {{id: sick, utility: "{utility}", costs: {{care: 300}}}}
  - {{id: dead, utility: 0, costs: {{}}, absorbing: true, alive: false}}
transitions:
  - {{from: well, to: dead, probability: p_die}}
  - {{from: well, to: sick, probability: "(1 - p_die) * p_relapse{x}"}}
  - {{from: well, to: better, probability: "{to_better}"}}
  - {{from: well, to: well, probability: complement}}
  - {{from: better, to: dead, probability: p_die}}
  - {{from: better, to: sick, probability: "{to_sick}"}}
  - {{from: better, to: better, probability: complement}}
  - {{from: sick, to: dead, probability: p_die}}
  - {{from: sick, to: well, probability: "{to_well}"}}
  - {{from: sick, to: sick, probability: complement}}
{STRATEGIES}"#,
            );
            life_table_scenario(120, 13, AGED_70, &rest)
        };
        // With the complement last, a walk computes each probability only as far as the one
        // chosen (`Competing::draw`); listed first, it computes the whole row every cycle.
        let last = "  - {from: well, to: well, probability: complement}\n";
        for first in [false, true] {
            let text = |x: &str, z: &str| {
                let t = text(x, z);
                if first {
                    assert!(t.contains(last));
                    let t = t.replace(last, "");
                    t.replace("transitions:\n", &format!("transitions:\n{last}"))
                } else {
                    t
                }
            };
            let walked = simulate(&load(&text("", "0")), 2000);
            let every_cycle = simulate(&load(&text(" + 0 * state_time", "0 * age")), 2000);
            eprintln!("{what}, complement first: {first}");
            assert_same(&walked, &every_cycle, 0.0);
        }
    }
}
