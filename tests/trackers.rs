//! Clocks and counters (`trackers`) against closed forms, against `state_time` in a merged
//! state, against the cohort's tunnel expansion, and the Krijkamp et al. (2018)
//! history-dependent model against an independent hand-written cohort recursion.

use trdsim::engine::{self, Layout, SimOutput};
use trdsim::model::Model;
use trdsim::{cohort, params, scenario};

use crate::common::{code, root, s, spec, stderr, stdout, tempdir, trdsim};
use crate::oracle::{assert_agrees, cohort, load, simulate};

/// Settings shared by the small test models: `unit` cycles, `n` of them, no discounting
/// unless `discount` is set.
fn settings(unit: &str, n: usize, discount: &str, categories: &str) -> String {
    format!(
        r#"
version: 1
meta: {{title: trackers test}}
settings:
  cycle: {{length: 1, unit: {unit}}}
  horizon: {{length: {n}, unit: {unit}}}
  discount: {{{discount}, timing: start}}
  within_cycle: none
  individuals: 1000
  seed: 11
  cost_categories: [{categories}]
  perspectives: {{all: [{categories}]}}
  wtp: [20000]
"#
    )
}

// ---------------------------------------------------------------------------
// A clock over a group of states is state_time in the merged state
// ---------------------------------------------------------------------------

/// Illness as two states `ill_a` and `ill_b` that swap back and forth, with recovery, death,
/// cost and utility read from a clock over both.
fn ill_as_a_group() -> String {
    settings("months", 36, "costs: 0.03, effects: 0.015", "care")
        + r#"
trackers:
  ill:
    type: clock
    states: [ill_a, ill_b]
variables:
  p_recover: {expr: "0.05 + 0.4 * exp(-0.3 * ill)", source: test}
  p_die: {expr: "0.002 + 0.001 * ill_years", source: test}
states:
  - {id: well, utility: 0.9, costs: {care: 50}}
  - {id: ill_a, utility: "0.6 - 0.02 * ill_years", costs: {care: "if(ill <= 3, 900, 300)"}}
  - {id: ill_b, utility: "0.6 - 0.02 * ill_years", costs: {care: "if(ill <= 3, 900, 300)"}}
  - {id: dead, utility: 0, costs: {}, absorbing: true, alive: false}
transitions:
  - {from: well, to: ill_a, probability: 0.08}
  - {from: well, to: dead, probability: 0.001}
  - {from: well, to: well, probability: complement}
  - {from: ill_a, to: well, probability: p_recover}
  - {from: ill_a, to: dead, probability: p_die}
  - {from: ill_a, to: ill_b, probability: 0.3}
  - {from: ill_a, to: ill_a, probability: complement}
  - {from: ill_b, to: well, probability: p_recover}
  - {from: ill_b, to: dead, probability: p_die}
  - {from: ill_b, to: ill_a, probability: 0.3}
  - {from: ill_b, to: ill_b, probability: complement}
strategies:
  - {id: only, initial: {well: 0.7, ill_a: 0.3}}
"#
}

/// The same illness as one state reading `state_time`.
fn ill_merged() -> String {
    settings("months", 36, "costs: 0.03, effects: 0.015", "care")
        + r#"
variables:
  p_recover: {expr: "0.05 + 0.4 * exp(-0.3 * state_time)", source: test}
  p_die: {expr: "0.002 + 0.001 * state_years", source: test}
states:
  - {id: well, utility: 0.9, costs: {care: 50}}
  - {id: ill, utility: "0.6 - 0.02 * state_years", costs: {care: "if(state_time <= 3, 900, 300)"}}
  - {id: dead, utility: 0, costs: {}, absorbing: true, alive: false}
transitions:
  - {from: well, to: ill, probability: 0.08}
  - {from: well, to: dead, probability: 0.001}
  - {from: well, to: well, probability: complement}
  - {from: ill, to: well, probability: p_recover}
  - {from: ill, to: dead, probability: p_die}
  - {from: ill, to: ill, probability: complement}
strategies:
  - {id: only, initial: {well: 0.7, ill: 0.3}}
"#
}

#[test]
fn a_clock_over_a_group_equals_state_time_in_the_merged_state() {
    let group = load(&ill_as_a_group());
    let merged = load(&ill_merged());
    // Cohort: the clock's tunnels split the merged state's mass in two; the totals agree.
    let (a, b) = (cohort(&group), cohort(&merged));
    for (k, (x, y)) in a.strategies[0]
        .outcomes
        .iter()
        .zip(&b.strategies[0].outcomes)
        .enumerate()
    {
        assert!(
            (x.mean - y.mean).abs() <= 1e-12 * y.mean.abs().max(1.0),
            "outcome {k}: clock over a group {} vs merged state {}",
            x.mean,
            y.mean
        );
    }
    // Microsimulation: each individual draws one number per cycle and the rows list
    // recovery and death first, so the paths, and hence the results, are the same.
    let (a, b) = (simulate(&group, 4000), simulate(&merged, 4000));
    for (k, (x, y)) in a.strategies[0]
        .outcomes
        .iter()
        .zip(&b.strategies[0].outcomes)
        .enumerate()
    {
        assert_eq!(x.mean, y.mean, "outcome {k}");
        assert_eq!(x.se, y.se, "outcome {k}");
    }
    assert!(a.strategies[0].outcomes[0].mean > 0.0);
    // And the clock model's microsimulation converges to its cohort.
    assert_agrees(&group, &simulate(&group, 20_000), &cohort(&group));
}

// ---------------------------------------------------------------------------
// Counters and a cumulative clock in a two-state model: closed forms
// ---------------------------------------------------------------------------

const P_FALL: f64 = 0.2;
const P_RECOVER: f64 = 0.35;
const N_YEARS: usize = 20;

/// Well and ill, no death: each cost category reads one tracker, in both states, so its
/// undiscounted total is Σ_{t=0}^{T−1} E[tracker at t].
fn well_ill() -> String {
    settings("years", N_YEARS, "costs: 0, effects: 0", "a, b, c, d, e")
        + r#"
parameters:
  p_fall: {value: 0.2, source: test}
  p_recover: {value: 0.35, source: test}
trackers:
  relapses:
    type: counter
    enter: [ill]
  relapses_named:
    type: counter
    transitions: [{from: well, to: ill}]
  relapses_capped:
    type: counter
    enter: [ill]
    max: 2
  time_ill:
    type: clock
    states: [ill]
    restart: false
    outside: stop
states:
  - id: well
    utility: 1
    costs: {a: relapses, b: relapses_named, c: relapses_capped, d: time_ill_years, e: "min(relapses, 2)"}
  - id: ill
    utility: 1
    costs: {a: relapses, b: relapses_named, c: relapses_capped, d: time_ill_years, e: "min(relapses, 2)"}
transitions:
  - {from: well, to: ill, probability: p_fall}
  - {from: well, to: well, probability: complement}
  - {from: ill, to: well, probability: p_recover}
  - {from: ill, to: ill, probability: complement}
strategies:
  - {id: only, initial: well}
"#
}

/// P(ill at boundary t) when starting well: π (1 − λ^t), π = p / (p + q), λ = 1 − p − q.
fn p_ill(t: usize) -> f64 {
    let pi = P_FALL / (P_FALL + P_RECOVER);
    pi * (1.0 - (1.0 - P_FALL - P_RECOVER).powi(t as i32))
}

#[test]
fn counters_and_a_cumulative_clock_match_their_closed_forms() {
    let model = load(&well_ill());
    let l = Layout::of(&model);
    // E[relapses at t] = Σ_{j<t} P(well at j) · p; E[cycles ill before t] = Σ_{j<t} P(ill at j).
    let expected_relapses: f64 = (0..N_YEARS)
        .map(|t| (0..t).map(|j| (1.0 - p_ill(j)) * P_FALL).sum::<f64>())
        .sum();
    let expected_time_ill: f64 = (0..N_YEARS).map(|t| (0..t).map(p_ill).sum::<f64>()).sum();
    let exact = cohort(&model);
    let o = &exact.strategies[0].outcomes;
    for (category, want) in [
        (0, expected_relapses),
        (1, expected_relapses),
        (3, expected_time_ill),
    ] {
        let got = o[l.cost(category, false)].mean;
        assert!(
            (got - want).abs() < 1e-10 * want,
            "category {category}: cohort {got} vs closed form {want}"
        );
    }
    // The cap: a counter with `max: 2` is min(relapses, 2), tracked with 3 values instead of 21.
    let (capped, min2) = (o[l.cost(2, false)].mean, o[l.cost(4, false)].mean);
    assert!((capped - min2).abs() < 1e-12 * min2, "{capped} vs {min2}");
    assert!(capped < expected_relapses);

    let micro = simulate(&model, 20_000);
    let m = &micro.strategies[0].outcomes;
    for (category, want) in [(0, expected_relapses), (3, expected_time_ill)] {
        let got = m[l.cost(category, false)];
        assert!(
            (got.mean - want).abs() <= 4.0 * got.se,
            "category {category}: microsimulation {} ± {} vs closed form {want}",
            got.mean,
            got.se
        );
    }
    // Per individual the same numbers: entering `ill` is the transition well → ill, and the
    // capped counter is min(relapses, 2).
    assert_eq!(m[l.cost(0, false)].mean, m[l.cost(1, false)].mean);
    assert_eq!(m[l.cost(2, false)].mean, m[l.cost(4, false)].mean);
    assert_agrees(&model, &micro, &exact);
}

/// A spell clock frozen outside its state (`outside: stop`) and a counter that starts at 2,
/// in the same well–ill model.
#[test]
fn a_frozen_spell_clock_and_a_counter_from_an_initial_value() {
    let text = settings("years", N_YEARS, "costs: 0, effects: 0", "f, g")
        + r#"
parameters:
  p_fall: {value: 0.2, source: test}
  p_recover: {value: 0.35, source: test}
trackers:
  spell: {type: clock, states: [ill], outside: stop}
  from_two: {type: counter, enter: [ill], initial: 2}
states:
  - {id: well, utility: 1, costs: {f: spell_years, g: from_two}}
  - {id: ill, utility: 1, costs: {f: spell_years, g: from_two}}
transitions:
  - {from: well, to: ill, probability: p_fall}
  - {from: well, to: well, probability: complement}
  - {from: ill, to: well, probability: p_recover}
  - {from: ill, to: ill, probability: complement}
strategies:
  - {id: only, initial: well}
"#;
    let model = load(&text);
    let l = Layout::of(&model);
    // The counter: 2 per cycle plus the expected entries so far (as in the test above).
    let want_g: f64 = (0..N_YEARS)
        .map(|t| 2.0 + (0..t).map(|j| (1.0 - p_ill(j)) * P_FALL).sum::<f64>())
        .sum();
    // The clock, by the rule of the format written out over (state, k): entering `ill`
    // restarts k at 0, a cycle lived in `ill` adds one (also when it ends in recovery), a
    // cycle in `well` keeps k.
    let mut mass = vec![[0.0f64; 2]; N_YEARS + 1];
    mass[0][0] = 1.0;
    let mut want_f = 0.0;
    for _ in 0..N_YEARS {
        let mut next = vec![[0.0f64; 2]; N_YEARS + 1];
        for k in 0..N_YEARS {
            let [well, ill] = mass[k];
            want_f += (well + ill) * k as f64;
            next[0][1] += well * P_FALL;
            next[k][0] += well * (1.0 - P_FALL);
            next[k + 1][0] += ill * P_RECOVER;
            next[k + 1][1] += ill * (1.0 - P_RECOVER);
        }
        mass = next;
    }
    let exact = cohort(&model);
    let o = &exact.strategies[0].outcomes;
    for (category, want) in [(0, want_f), (1, want_g)] {
        let got = o[l.cost(category, false)].mean;
        assert!(
            (got - want).abs() < 1e-10 * want,
            "category {category}: cohort {got} vs by hand {want}"
        );
    }
    assert_agrees(&model, &simulate(&model, 20_000), &exact);
}

#[test]
fn a_tracker_nothing_reads_changes_nothing() {
    let text = std::fs::read_to_string(root().join("scenarios/examples/three-state.yaml")).unwrap();
    let plain = load(&text);
    let tracked = load(&text.replace(
        "\nstates:",
        "\ntrackers:\n  n_sick: {type: counter, enter: [sick]}\n  t_sick: {type: clock, states: [sick]}\n\nstates:",
    ));
    assert_eq!(tracked.trackers.len(), 2);
    let (a, b) = (simulate(&plain, 3000), simulate(&tracked, 3000));
    for (x, y) in a.strategies.iter().zip(&b.strategies) {
        for (u, v) in x.outcomes.iter().zip(&y.outcomes) {
            assert_eq!((u.mean, u.se), (v.mean, v.se));
        }
        assert_eq!(x.trace, y.trace);
    }
}

// ---------------------------------------------------------------------------
// Relapse risk counted from the response, not restarted on remission (flagship v2)
// ---------------------------------------------------------------------------

/// Responders who may improve to remission, with a Weibull relapse hazard (Jelovac et al.
/// 2013 fit of the flagship) read from `time` in both states: `since_response_years` (a
/// clock over both) or `state_years` (restarted on remission).
fn responders(time: &str) -> String {
    settings("weeks", 60, "costs: 0, effects: 0", "relapse_free")
        + &r#"
parameters:
  lambda_relapse_month: {value: 0.0475, source: "flagship (Jelovac et al. 2013 Weibull fit)"}
  k_relapse: {value: 0.596, source: "flagship (Jelovac et al. 2013 Weibull fit)"}
trackers:
  since_response:
    type: clock
    states: [response, remission]
variables:
  p_relapse:
    expr: "1 - weibull_surv(lambda_relapse_month, k_relapse, (TIME + cycle_years) * 12) / weibull_surv(lambda_relapse_month, k_relapse, TIME * 12)"
    source: test
states:
  - {id: response, utility: 0.72, costs: {relapse_free: 1}}
  - {id: remission, utility: 0.85, costs: {relapse_free: 1}}
  - {id: depressed, utility: 0.58, costs: {}}
transitions:
  - {from: response, to: depressed, probability: p_relapse}
  - {from: response, to: remission, probability: "(1 - p_relapse) * 0.15"}
  - {from: response, to: response, probability: complement}
  - {from: remission, to: depressed, probability: p_relapse}
  - {from: remission, to: remission, probability: complement}
  - {from: depressed, to: depressed, probability: complement}
strategies:
  - {id: only, initial: response}
"#
        .replace("TIME", time)
}

#[test]
fn a_clock_from_the_response_keeps_the_relapse_hazard_when_a_responder_remits() {
    // Relapse depends only on the clock, so the probability of being relapse-free at
    // boundary t is the Weibull survival S(t Δ): the undiscounted total of a cost of 1 per
    // relapse-free cycle is Σ_{t<T} exp(−(λ · 12 t Δ)^k), whatever the remission rate.
    let clocked = load(&responders("since_response_years"));
    let dt = clocked.settings.cycle_years();
    let want: f64 = (0..60)
        .map(|t| (-(0.0475 * 12.0 * t as f64 * dt).powf(0.596)).exp())
        .sum();
    let l = Layout::of(&clocked);
    let exact = cohort(&clocked);
    let got = exact.strategies[0].outcomes[l.cost(0, false)].mean;
    assert!(
        (got - want).abs() < 1e-10 * want,
        "cohort {got} vs closed form {want}"
    );
    assert_agrees(&clocked, &simulate(&clocked, 20_000), &exact);
    // With `state_years` the hazard restarts high (k < 1) on remission: more relapses.
    let restarted = load(&responders("state_years"));
    let fewer = cohort(&restarted).strategies[0].outcomes[l.cost(0, false)].mean;
    assert!(fewer < want - 0.1, "state_years {fewer} vs clock {want}");
}

// ---------------------------------------------------------------------------
// The cohort's reach
// ---------------------------------------------------------------------------

#[test]
fn a_cohort_too_large_for_its_tunnels_is_refused_at_the_command_line() {
    let text = settings("days", 4000, "costs: 0, effects: 0", "care")
        + r#"
trackers:
  since_ill: {type: clock, states: [ill]}
  episodes: {type: counter, enter: [ill]}
states:
  - {id: well, utility: 1, costs: {care: episodes}}
  - {id: ill, utility: "0.5 + 0.001 * since_ill", costs: {}}
transitions:
  - {from: well, to: ill, probability: 0.01}
  - {from: well, to: well, probability: complement}
  - {from: ill, to: well, probability: 0.1}
  - {from: ill, to: ill, probability: complement}
strategies:
  - {id: only, initial: well}
"#;
    let tmp = tempdir();
    let path = tmp.path().join("big.yaml");
    std::fs::write(&path, &text).unwrap();
    let out = trdsim(&[
        "run",
        s(&path),
        "--cohort",
        "--out",
        s(&tmp.path().join("out")),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--cohort: the cohort evaluation would track 32016002 tunnel states")
            && err.contains("4001 values of clock `since_ill`, 4001 values of counter `episodes`")
            && err.contains("give a tracker a `max`"),
        "{err}"
    );
    assert!(!tmp.path().join("out").exists());
    // With a cap on the counter the same model fits.
    let capped = text.replace(
        "{type: counter, enter: [ill]}",
        "{type: counter, enter: [ill], max: 3}",
    );
    let model = load(&capped);
    assert!(cohort::applicable(&model).is_ok());
}

#[test]
fn trackers_can_be_changed_by_a_scenario_analysis() {
    let tmp = tempdir();
    let base = settings("years", 5, "costs: 0, effects: 0", "care")
        + r#"
trackers:
  episodes: {type: counter, enter: [ill]}
states:
  - {id: well, utility: 1, costs: {care: "100 * episodes"}}
  - {id: ill, utility: 0.5, costs: {}}
transitions:
  - {from: well, to: ill, probability: 0.3}
  - {from: well, to: well, probability: complement}
  - {from: ill, to: well, probability: 0.5}
  - {from: ill, to: ill, probability: complement}
strategies:
  - {id: only, initial: well}
"#;
    std::fs::write(tmp.path().join("base.yaml"), base).unwrap();
    let overlay = tmp.path().join("capped.yaml");
    std::fs::write(
        &overlay,
        "extends: base.yaml\ntrackers:\n  episodes: {type: counter, enter: [ill], max: 1}\n",
    )
    .unwrap();
    let model = scenario::load(&overlay).unwrap();
    assert_eq!(model.trackers[0].max, 1);
    // At most one episode is counted: the cost is 100 × P(ever ill by t), summed.
    let out = cohort(&model);
    let got = out.strategies[0].outcomes[Layout::of(&model).cost(0, false)].mean;
    // P(never ill by t) = 0.7^t while well; the cost is paid only while well.
    let want: f64 = (0..5)
        .map(|t| {
            100.0 * {
                // Mass well at t that has been ill before: P(well at t) − 0.7^t.
                let mut well = 1.0;
                for _ in 0..t {
                    well = well * 0.7 + (1.0 - well) * 0.5;
                }
                well - 0.7f64.powi(t)
            }
        })
        .sum();
    assert!((got - want).abs() < 1e-10, "{got} vs {want}");
}

// ---------------------------------------------------------------------------
// Krijkamp et al. 2018, Appendix B
// ---------------------------------------------------------------------------

/// The Appendix B model with X fixed at its mean 1, so the cohort evaluation applies. X
/// multiplies only the treated utility in S1 and does not change any transition, so the
/// expected QALYs with X ~ U(0.95, 1.05) equal those with X = E[X] = 1.
fn krijkamp_mean_x() -> Model {
    let text = std::fs::read_to_string(root().join("scenarios/examples/krijkamp-history.yaml"))
        .unwrap()
        .replace(
            "dist: {type: uniform, min: 0.95, max: 1.05}",
            "dist: {type: fixed, mean: 1}",
        );
    load(&text)
}

/// Discounted (cost, QALYs, life-years) of one strategy, written out from the tutorial's
/// R code (Appendix B, Probs/Costs/Effs) as a recursion over (state, dur) with X = 1:
/// `dur` is R's duration after the update of each cycle, transitions out of a state use it
/// and utilities use its value one cycle earlier (dur − 1 when sick). Payoffs at
/// t = 0 … 29, weight (1.03)^−t, as `within_cycle: none` counts them.
fn krijkamp_by_hand(treated: bool) -> (f64, f64, f64) {
    let trt = if treated { 1.0 } else { 0.0 };
    let r_hd = -(1.0f64 - 0.005).ln();
    let (r_s1d, r_s2d) = (3.0 * r_hd, 10.0 * r_hd);
    // mass[state][dur], states H, S1, S2, D; dur ≤ t + 1 ≤ 30 before the last update.
    let n = 32;
    let mut mass = vec![vec![0.0f64; n]; 4];
    mass[0][0] = 1.0;
    let (mut cost, mut qalys, mut ly) = (0.0, 0.0, 0.0);
    for t in 0..30 {
        let disc = 1.03f64.powi(-t);
        let mut next = vec![vec![0.0f64; n]; 4];
        for dur in 0..n - 1 {
            let (h, s1, s2) = (mass[0][dur], mass[1][dur], mass[2][dur]);
            let used = dur as f64;
            let before = (dur as f64 - 1.0).max(0.0);
            cost += disc
                * (h * 2000.0 + s1 * (4000.0 + 12000.0 * trt) + s2 * (15000.0 + 12000.0 * trt));
            let u_s1 = trt * (0.95 - before * 0.03) + (1.0 - trt) * 0.75;
            qalys += disc * (h + s1 * u_s1 + s2 * 0.5);
            ly += disc * (h + s1 + s2);
            let p_s1d = 1.0 - (-r_s1d * (1.0 + used * 0.2)).exp();
            let p_s2d = 1.0 - (-r_s2d * (1.0 + used * 0.2)).exp();
            // From H (dur is 0): sick next cycle means dur 1.
            next[1][1] += h * 0.15;
            next[3][0] += h * 0.005;
            next[0][0] += h * (1.0 - 0.15 - 0.005);
            next[0][0] += s1 * 0.5;
            next[2][dur + 1] += s1 * 0.105;
            next[3][0] += s1 * p_s1d;
            next[1][dur + 1] += s1 * (1.0 - 0.5 - 0.105 - p_s1d);
            next[3][0] += s2 * p_s2d;
            next[2][dur + 1] += s2 * (1.0 - p_s2d);
            next[3][0] += mass[3][dur];
        }
        mass = next;
    }
    (cost, qalys, ly)
}

#[test]
fn krijkamp_history_cohort_matches_the_tutorials_recursion() {
    let model = krijkamp_mean_x();
    let l = Layout::of(&model);
    let out = cohort(&model);
    for (si, treated) in [(0, false), (1, true)] {
        let (cost, qalys, ly) = krijkamp_by_hand(treated);
        let o = &out.strategies[si].outcomes;
        for (name, got, want) in [
            ("cost", o[l.cost(0, true)].mean, cost),
            ("QALYs", o[l.qalys(true)].mean, qalys),
            ("life-years", o[l.life_years(true)].mean, ly),
        ] {
            assert!(
                (got - want).abs() < 1e-10 * want,
                "strategy {si}, {name}: cohort {got} vs the tutorial's recursion {want}"
            );
        }
    }
}

#[test]
fn krijkamp_history_microsimulation_agrees_with_the_cohort() {
    // The shipped scenario, with X ~ U(0.95, 1.05) drawn per individual, against the cohort
    // with X = 1 (see `krijkamp_mean_x`): within 4 Monte Carlo standard errors.
    let model = scenario::load(&root().join("scenarios/examples/krijkamp-history.yaml")).unwrap();
    assert!(
        cohort::applicable(&model).is_err(),
        "X varies between individuals"
    );
    let base = params::point_values(&model);
    let micro: SimOutput =
        engine::simulate(&model, &base, &spec(&model, 20_000), &|_| {}).expect("the example runs");
    let exact = cohort(&krijkamp_mean_x());
    let l = Layout::of(&model);
    for si in 0..2 {
        for k in [
            l.cost(0, true),
            l.qalys(true),
            l.life_years(true),
            l.qalys(false),
        ] {
            let (m, c) = (
                micro.strategies[si].outcomes[k],
                exact.strategies[si].outcomes[k],
            );
            assert!(
                (m.mean - c.mean).abs() <= 4.0 * m.se,
                "strategy {si}, outcome {k}: microsimulation {} ± {} vs cohort {}",
                m.mean,
                m.se,
                c.mean
            );
        }
    }
    // Treatment costs more and, here, gains QALYs.
    let d_cost = micro.difference(0, 1, l.cost(0, true)).mean;
    let d_qalys = micro.difference(0, 1, l.qalys(true)).mean;
    assert!(d_cost > 0.0 && d_qalys > 0.0, "{d_cost}, {d_qalys}");
}

#[test]
fn validate_lists_the_trackers_of_the_krijkamp_example() {
    let path = root().join("scenarios/examples/krijkamp-history.yaml");
    let out = trdsim(&["validate", s(&path)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("  trackers: sick (clock)\n"),
        "{}",
        stdout(&out)
    );
}
