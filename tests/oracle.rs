//! The engines against independent oracles: closed forms for discounting and
//! within-cycle correction, and the cohort evaluation for the microsimulation.

use trdsim::engine::{self, SimOutput};
use trdsim::model::Model;
use trdsim::{cohort, params, scenario};

use crate::common::{root, spec};

pub(crate) fn load(text: &str) -> Model {
    match scenario::load_str(
        text,
        "test.yaml",
        "test",
        &root().join("scenarios/examples"),
    ) {
        Ok(m) => m,
        Err(e) => panic!("test scenario is invalid:\n{e}"),
    }
}

pub(crate) fn simulate(model: &Model, n: usize) -> SimOutput {
    let base = params::point_values(model);
    engine::simulate(model, &base, &spec(model, n), &|_| {}).expect("simulation runs")
}

pub(crate) fn cohort(model: &Model) -> SimOutput {
    cohort::evaluate(model, &params::point_values(model)).expect("cohort evaluation runs")
}

/// A one-state model with constant cost and utility and no way out.
fn one_state(within: &str, timing: &str, cycle: &str, n_cycles: usize) -> String {
    format!(
        r#"
version: 1
meta: {{title: one state}}
settings:
  cycle: {{length: 1, unit: {cycle}}}
  horizon: {{length: {n_cycles}, unit: {cycle}}}
  discount: {{costs: 0.04, effects: 0.015, timing: {timing}}}
  within_cycle: {within}
  individuals: 10
  seed: 3
  cost_categories: [care]
  perspectives: {{all: [care]}}
  wtp: [1000]
parameters:
  c: {{value: 250, source: test}}
  u: {{value: 0.8, source: test}}
states:
  - {{id: alive, utility: u, costs: {{care: c}}}}
transitions:
  - {{from: alive, to: alive, probability: 1}}
strategies:
  - {{id: only, initial: alive}}
"#
    )
}

/// Σ_{k=0}^{n−1} q^k.
fn geometric(q: f64, n: usize) -> f64 {
    (1.0 - q.powi(n as i32)) / (1.0 - q)
}

#[test]
fn one_state_model_equals_the_discounted_geometric_sum() {
    let (cost, utility) = (250.0, 0.8);
    for unit in ["years", "months"] {
        let dt = if unit == "years" { 1.0 } else { 1.0 / 12.0 };
        for n in [1usize, 2, 3, 7, 10] {
            for timing in ["start", "middle"] {
                for within in ["none", "half-cycle", "trapezoid", "simpson"] {
                    let model = load(&one_state(within, timing, unit, n));
                    let shift = if timing == "middle" { 0.5 } else { 0.0 };
                    // Closed forms, with q the per-cycle discount factor and D_c = q^(c−1+shift).
                    let expected = |rate: f64| -> f64 {
                        let q = (1.0f64 + rate).powf(-dt);
                        let d1 = q.powf(shift);
                        let d_last = q.powf(n as f64 - 1.0 + shift);
                        match within {
                            "none" | "trapezoid" => d1 * geometric_or_n(q, n),
                            "half-cycle" => d1 * geometric_or_n(q, n) - 0.5 * d1 + 0.5 * d_last,
                            _ => f64::NAN,
                        }
                    };
                    let l = engine::Layout::of(&model);
                    for out in [cohort(&model), simulate(&model, 10)] {
                        let o = &out.strategies[0].outcomes;
                        let got_cost = o[l.cost(0, true)].mean;
                        let got_qaly = o[l.qalys(true)].mean;
                        let got_plain = o[l.cost(0, false)].mean;
                        let ctx = format!("{within}, {timing}, {n} {unit}");
                        if within == "simpson" {
                            // Simpson integrates the continuously discounted value: compare with
                            // ∫_0^T (1+r)^−t dt = (1 − q^T)/ln(1/q) per unit of time, in cycles.
                            for (rate, got, per) in
                                [(0.04, got_cost, cost), (0.015, got_qaly, utility * dt)]
                            {
                                let q = (1.0f64 + rate).powf(-dt);
                                let integral = (1.0 - q.powi(n as i32)) / (-q.ln());
                                let tol = if n == 1 { 1e-3 } else { 1e-6 };
                                assert!(
                                    ((got / per) - integral).abs() < tol * integral,
                                    "{ctx}: Simpson {got} vs integral {}",
                                    integral * per
                                );
                            }
                            assert!(
                                (got_plain - cost * n as f64).abs() < 1e-9,
                                "{ctx}: undiscounted"
                            );
                        } else {
                            let want_cost = cost * expected(0.04);
                            let want_qaly = utility * dt * expected(0.015);
                            assert!(
                                (got_cost - want_cost).abs() < 1e-9 * want_cost,
                                "{ctx}: cost {got_cost} vs {want_cost}"
                            );
                            assert!(
                                (got_qaly - want_qaly).abs() < 1e-9 * want_qaly,
                                "{ctx}: QALYs {got_qaly} vs {want_qaly}"
                            );
                            // Every rule counts exactly n cycles of a constant value.
                            assert!(
                                (got_plain - cost * n as f64).abs() < 1e-9,
                                "{ctx}: undiscounted"
                            );
                        }
                        let ly = o[l.life_years(false)].mean;
                        assert!((ly - n as f64 * dt).abs() < 1e-9, "{ctx}: life-years {ly}");
                    }
                }
            }
        }
    }
}

fn geometric_or_n(q: f64, n: usize) -> f64 {
    if q == 1.0 { n as f64 } else { geometric(q, n) }
}

/// |micro − cohort| ≤ 4 standard errors (plus a rounding floor), for every outcome.
pub(crate) fn assert_agrees(model: &Model, micro: &SimOutput, exact: &SimOutput) {
    let n = micro.n_individuals as f64;
    for (si, (m, c)) in micro.strategies.iter().zip(&exact.strategies).enumerate() {
        let name = &model.strategies[si].name;
        for (k, (a, b)) in m.outcomes.iter().zip(&c.outcomes).enumerate() {
            let tol = 4.0 * a.se + 1e-9 * b.mean.abs().max(1.0);
            assert!(
                (a.mean - b.mean).abs() <= tol,
                "strategy {name}, outcome {k}: microsimulation {} ± {} vs cohort {}",
                a.mean,
                a.se,
                b.mean
            );
        }
        for (i, (a, b)) in m.trace.iter().zip(&c.trace).enumerate() {
            // A share is a binomial proportion: SE = √(p(1−p)/n).
            let se = (b * (1.0 - b) / n).sqrt();
            assert!(
                (a - b).abs() <= 4.0 * se + 1e-12,
                "strategy {name}, trace cell {i} (cycle {}, state {}): {a} vs {b}",
                i / micro.n_states,
                model.states[i % micro.n_states].name
            );
        }
    }
    // Differences between strategies too (common random numbers make their SE small).
    for (p, (a, b)) in micro.pairs.iter().zip(&exact.pairs).enumerate() {
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x.mean - y.mean).abs() <= 4.0 * x.se + 1e-9 * y.mean.abs().max(1.0),
                "pair {p}, outcome {k}: {} ± {} vs {}",
                x.mean,
                x.se,
                y.mean
            );
        }
    }
}

#[test]
fn memoryless_microsimulation_matches_the_cohort() {
    let text = std::fs::read_to_string(root().join("scenarios/examples/three-state.yaml")).unwrap();
    let model = load(&text);
    let micro = simulate(&model, 20_000);
    assert_agrees(&model, &micro, &cohort(&model));
}

/// The relapse example with age and sex fixed, so the cohort evaluation applies.
fn relapse_fixed_population() -> Model {
    let text =
        std::fs::read_to_string(root().join("scenarios/examples/relapse-life-table.yaml")).unwrap();
    let start = text.find("population:").unwrap();
    let end = text.find("parameters:").unwrap();
    let fixed = "population:\n  attributes:\n    age: {dist: {type: fixed, mean: 62}, source: test}\n    sex: {categorical: {female: 1.0, male: 0.0}, source: test}\n\n";
    load(&format!("{}{fixed}{}", &text[..start], &text[end..]))
}

#[test]
fn time_in_state_microsimulation_matches_the_cohort() {
    let model = relapse_fixed_population();
    let exact = cohort(&model);
    let micro = simulate(&model, 20_000);
    assert_agrees(&model, &micro, &exact);
}

#[test]
fn cohort_refuses_varying_attributes() {
    let text =
        std::fs::read_to_string(root().join("scenarios/examples/relapse-life-table.yaml")).unwrap();
    let model = load(&text);
    let err = cohort::evaluate(&model, &params::point_values(&model)).unwrap_err();
    assert!(err.message.contains("`age` varies"), "{}", err.message);
}

#[test]
fn weibull_relapse_reproduces_its_survival_curve() {
    // Remitters relapse with S(t) = exp(−(λt)^k): the cohort's share still in remission
    // among those who entered it at month 3 and never died follows S exactly when
    // death is switched off; check the cumulative relapse at 6 and 12 months.
    let mut text =
        std::fs::read_to_string(root().join("scenarios/examples/relapse-life-table.yaml")).unwrap();
    text = text.replace(
        "p_remission_acute:\n    value: 0.48",
        "p_remission_acute:\n    value: 1",
    );
    text = text.replace(
        "p_remission_later:\n    value: 0.02",
        "p_remission_later:\n    value: 0",
    );
    let start = text.find("population:").unwrap();
    let end = text.find("parameters:").unwrap();
    let no_death = "population:\n  attributes:\n    age: {dist: {type: fixed, mean: 62}, source: test}\n    sex: {categorical: {female: 1.0}, source: test}\n\n";
    let text = format!("{}{no_death}{}", &text[..start], &text[end..])
        .replace("lookup(life_table, age, sex)", "0");
    let model = load(&text);
    let out = cohort(&model);
    let ns = out.n_states;
    let remission = model
        .states
        .iter()
        .position(|s| s.name == "remission")
        .unwrap();
    let s = |t_months: f64| (-(0.0475f64 * t_months).powf(0.596)).exp();
    for (months, published) in [(6usize, 0.377), (12, 0.511)] {
        let share = out.strategies[0].trace[(3 + months) * ns + remission];
        assert!((1.0 - share - (1.0 - s(months as f64))).abs() < 1e-12);
        // The fitted Weibull reproduces Jelovac et al. 2013 to the published precision.
        assert!(
            (1.0 - share - published).abs() < 0.005,
            "{months} months: {}",
            1.0 - share
        );
    }
}

/// The relapse example with its repeated death probability moved into `variables`.
fn relapse_with_variables() -> String {
    let text =
        std::fs::read_to_string(root().join("scenarios/examples/relapse-life-table.yaml")).unwrap();
    let depressed =
        "cum_prob_to_cycle(hr_prob(lookup(life_table, age, sex), rr_death_depressed), 1)";
    let background = "cum_prob_to_cycle(lookup(life_table, age, sex), 1)";
    assert!(text.contains(depressed) && text.contains(background));
    let text = text
        .replace(depressed, "p_die_dep")
        .replace(background, "p_die_bg");
    text.replace(
        "states:\n",
        &format!(
            "variables:\n  p_die_dep: {{expr: \"{depressed}\", source: test}}\n  p_die_bg: {{expr: \"{background}\", source: test}}\n\nstates:\n"
        ),
    )
}

#[test]
fn variables_give_the_same_results_as_inline_expressions() {
    let inline = load(
        &std::fs::read_to_string(root().join("scenarios/examples/relapse-life-table.yaml"))
            .unwrap(),
    );
    let with_vars = load(&relapse_with_variables());
    assert_eq!(with_vars.variables.len(), 2);
    let a = simulate(&inline, 2_000);
    let b = simulate(&with_vars, 2_000);
    // Same random numbers, same arithmetic: identical to the last bit.
    assert_eq!(a, b);
}

#[test]
fn tabulated_time_expressions_match_direct_evaluation() {
    // A probability that depends on model time and time in state (tabulated once per
    // parameter set) against the same model where it also reads a fixed attribute,
    // which forces evaluation per individual-cycle.
    let base = one_state("none", "start", "months", 24)
        .replace(
            "  - {id: alive, utility: u, costs: {care: c}}",
            "  - {id: alive, utility: u, costs: {care: c}}\n  - {id: gone, utility: 0.5, costs: {care: \"c * state_years\"}}",
        )
        .replace(
            "  - {from: alive, to: alive, probability: 1}",
            "  - {from: alive, to: gone, probability: \"0.01 * model_time + 0.02 * state_time * (1 + TAIL)\"}\n  - {from: alive, to: alive, probability: complement}\n  - {from: gone, to: alive, probability: \"0.3 / state_time\"}\n  - {from: gone, to: gone, probability: complement}",
        );
    let tabulated = load(&base.replace("TAIL", "0"));
    let population =
        "population:\n  attributes:\n    x: {dist: {type: fixed, mean: 0}, source: test}\nstates:";
    let dynamic = load(&base.replace("TAIL", "x").replace("states:", population));
    let (a, b) = (cohort(&tabulated), cohort(&dynamic));
    for (x, y) in a.strategies[0]
        .outcomes
        .iter()
        .zip(&b.strategies[0].outcomes)
    {
        assert!(
            (x.mean - y.mean).abs() <= 1e-12 * x.mean.abs().max(1.0),
            "{} vs {}",
            x.mean,
            y.mean
        );
    }
    let (a, b) = (simulate(&tabulated, 3_000), simulate(&dynamic, 3_000));
    assert_eq!(a.strategies[0].trace, b.strategies[0].trace);
}

#[test]
fn cyclic_variables_are_rejected() {
    let text = relapse_with_variables()
        .replace("p_die_bg: {expr: \"", "p_die_bg: {expr: \"p_die_dep * 0 + ")
        .replace(
            "p_die_dep: {expr: \"",
            "p_die_dep: {expr: \"p_die_bg * 0 + ",
        );
    let err =
        scenario::load_str(&text, "t.yaml", "t", &root().join("scenarios/examples")).unwrap_err();
    assert!(err.to_string().contains("cyclic variables"), "{err}");
}

/// The competing-risk rule: probabilities in a row are unconditional one-cycle
/// probabilities of mutually exclusive events, and the complement takes the rest. With
/// death drawn first (`p_die`, then `(1 − p_die)·p_event`), the simulated one-cycle
/// frequencies match the specified probabilities.
#[test]
fn competing_risks_in_one_row_follow_the_stated_rule() {
    let text = one_state("none", "start", "years", 1)
        .replace(
            "  - {id: alive, utility: u, costs: {care: c}}",
            "  - {id: alive, utility: u, costs: {care: c}}\n  - {id: sick, utility: 0.5, costs: {}, absorbing: true}\n  - {id: dead, utility: 0, costs: {}, absorbing: true, alive: false}",
        )
        .replace(
            "  - {from: alive, to: alive, probability: 1}",
            "  - {from: alive, to: dead, probability: 0.2}\n  - {from: alive, to: sick, probability: \"(1 - 0.2) * 0.5\"}\n  - {from: alive, to: alive, probability: complement}",
        );
    let model = load(&text);
    let n = 40_000;
    let out = simulate(&model, n);
    let ns = out.n_states;
    let share = |state: usize| out.strategies[0].trace[ns + state];
    // dead 0.2, sick 0.8·0.5 = 0.4, stay 1 − 0.2 − 0.4 = 0.4.
    for (state, p) in [(2usize, 0.2), (1, 0.4), (0, 0.4)] {
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!(
            (share(state) - p).abs() < 4.0 * se,
            "state {state}: {} vs {p}",
            share(state)
        );
    }
    // The same row through the cohort evaluation is exact.
    let exact = cohort(&model);
    for (state, p) in [(2usize, 0.2), (1, 0.4), (0, 0.4)] {
        assert!((exact.strategies[0].trace[ns + state] - p).abs() < 1e-12);
    }
}

/// Models whose every state is a fixed row take a kernel that simulates stay by stay;
/// adding one state that needs the general kernel (an unreachable absorbing state with a
/// time-varying utility) switches every state to the general path, which steps cycle by
/// cycle but draws each stay's end with the same random numbers. Both must give the same
/// numbers to the last bit.
#[test]
fn stay_and_general_kernels_agree_exactly() {
    for file in [
        "scenarios/examples/three-state.yaml",
        "benches/data/five-state-weekly.yaml",
    ] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let general_text = text.replacen(
            "states:\n",
            "states:\n  - {id: unused, utility: \"model_time * 0\", costs: {}, absorbing: true}\n",
            1,
        );
        let fast = load(&text);
        let general = load(&general_text);
        let (a, b) = (simulate(&fast, 3_000), simulate(&general, 3_000));
        for (sa, sb) in a.strategies.iter().zip(&b.strategies) {
            assert_eq!(sa.outcomes, sb.outcomes, "{file}");
            // The general model has the extra state first; compare the others.
            let (na, nb) = (a.n_states, b.n_states);
            for t in 0..=a.n_cycles {
                assert_eq!(
                    &sa.trace[t * na..(t + 1) * na],
                    &sb.trace[t * nb + 1..(t + 1) * nb],
                    "{file}"
                );
            }
        }
        assert_eq!(a.pairs, b.pairs, "{file}");
    }
}

/// Rows that stay the same between the changes of a memoised death probability (a life
/// table by age and sex) are walked along a stay without being evaluated, and evaluated
/// again where age leaves the table's row (`PrepRow::steady`, `walk_stay`); a course's last
/// week, where its outcome transitions are not known to be 0, is evaluated on its own. With
/// age and sex fixed the cohort evaluation applies. Women of 88.5 followed monthly for five
/// years read six rows of the life table, whose mortality rises by a tenth or more a year,
/// and five times that risk when sick: a stay walked with the first row's probability to
/// its end would die too late.
#[test]
fn rows_drawn_by_stay_between_life_table_rows_match_the_cohort() {
    let population = r#"    age: {dist: {type: fixed, mean: 88.5}, source: test}
    sex: {categorical: {female: 1.0, male: 0.0}, source: test}"#;
    let rest = r#"
variables:
  p_die: {expr: "cum_prob_to_cycle(lookup(life_table, age, sex), 1)", source: test}
states:
  - {id: well, utility: 0.85, costs: {care: 10}}
  - {id: sick, utility: "0.4 + 0.05 * min(state_time, 4)", costs: {care: 300}}
  - {id: dead, utility: 0, costs: {}, absorbing: true, alive: false}
transitions:
  - {from: well, to: dead, probability: p_die}
  - {from: well, to: sick, probability: "(1 - p_die) * 0.08"}
  - {from: well, to: well, probability: complement}
  - {from: sick, to: dead, probability: "5 * p_die"}
  - {from: sick, to: well, probability: "if(state_time == 4, (1 - 5 * p_die) * 0.6, 0)"}
  - {from: sick, to: sick, probability: complement}
strategies:
  - {id: a, initial: {well: 0.7, sick: 0.3}}
  - {id: b, initial: {well: 0.2, sick: 0.8}}
"#;
    let model = load(&crate::prepared::life_table_scenario(
        60, 11, population, rest,
    ));
    assert_agrees(&model, &simulate(&model, 20_000), &cohort(&model));
}

/// Scenario analyses (`extends:`): the overlay's changes apply, everything else comes from
/// the base, and a diagnostic about an overlaid value points into the overlay file.
#[test]
fn overlays_change_what_they_name_and_report_into_the_overlay() {
    let tmp = crate::common::tempdir();
    let base = root().join("scenarios/examples/three-state.yaml");
    let overlay = tmp.path().join("overlay.yaml");
    let write = |body: &str| {
        std::fs::write(&overlay, format!("extends: {}\n{body}", base.display())).unwrap();
        scenario::load(&overlay)
    };
    let model = write("settings:\n  discount: {costs: 0.04, effects: 0.015}\nparameters:\n  hr_treatment: {value: 0.5, source: test}\n").unwrap();
    let base_model = scenario::load(&base).unwrap();
    assert_eq!(model.settings.discount_rate_costs_annual, 0.04);
    assert_eq!(model.settings.n_cycles, base_model.settings.n_cycles);
    let hr = model
        .params
        .iter()
        .position(|p| p.name == "hr_treatment")
        .unwrap();
    assert_eq!(params::point_values(&model)[hr], 0.5);
    assert_eq!(model.params.len(), base_model.params.len());
    // An error in an overlaid value names the overlay file and its line.
    let err =
        write("parameters:\n  hr_treatment: {value: 0.5, source: test, dist: {type: betta}}\n")
            .unwrap_err();
    let d = &err.diagnostics[0];
    assert_eq!(d.file, overlay.display().to_string(), "{err}");
    assert_eq!(d.line, 3, "{err}");
    assert!(d.message.contains("did you mean `beta`?"), "{err}");
    // Unknown keys in the overlay are reported there too.
    let err = write("setings: {}\n").unwrap_err();
    assert_eq!(err.diagnostics[0].file, overlay.display().to_string());
    assert!(err.to_string().contains("unknown field `setings`"), "{err}");
    // A base that cannot be read is an error at `extends`.
    std::fs::write(&overlay, "extends: nowhere.yaml\n").unwrap();
    let err = scenario::load(&overlay).unwrap_err();
    assert!(
        err.to_string().contains("cannot read the base scenario"),
        "{err}"
    );
}

/// Recorded paths (which take the general kernel, skipping from one move to the next in a
/// fixed row) are complete and agree with the trace: the share of recorded individuals in
/// each state at each boundary, when every individual is recorded, is the trace.
#[test]
fn recorded_paths_skip_no_boundary() {
    let model =
        load(&std::fs::read_to_string(root().join("benches/data/five-state-weekly.yaml")).unwrap());
    let n = 500;
    let mut spec = crate::common::spec(&model, n);
    spec.trajectories = n;
    let base = params::point_values(&model);
    let sim = engine::simulate(&model, &base, &spec, &|_| {}).expect("simulation runs");
    let (ns, nc) = (sim.n_states, sim.n_cycles);
    assert_eq!(sim.trajectories.len(), n * model.strategies.len());
    for (si, strategy) in sim.strategies.iter().enumerate() {
        let mut counts = vec![0usize; (nc + 1) * ns];
        for path in sim.trajectories.iter().filter(|p| p.strategy == si) {
            assert_eq!(path.states.len(), nc + 1, "individual {}", path.individual);
            for (t, s) in path.states.iter().enumerate() {
                counts[t * ns + usize::from(*s)] += 1;
            }
        }
        for (k, c) in counts.iter().enumerate() {
            assert_eq!(
                strategy.trace[k],
                *c as f64 / n as f64,
                "boundary {}, state {}",
                k / ns,
                k % ns
            );
        }
    }
}
