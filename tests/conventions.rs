//! Payoff-timing conventions of other tools: each named option against a closed form, the
//! engine against the cohort, and the DARTH Sick-Sicker model against its published table.

use trdsim::econ::{IcerStatus, Outcome, incremental};
use trdsim::engine::{self, Layout, SimOutput, pair_index};
use trdsim::model::Model;
use trdsim::{cohort, params, scenario};

use crate::common::{code, root, s, spec, stderr, tempdir, trdsim};

fn load(text: &str) -> Model {
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

fn cohort(model: &Model) -> SimOutput {
    cohort::evaluate(model, &params::point_values(model)).expect("cohort evaluation runs")
}

fn simulate(model: &Model, n: usize) -> SimOutput {
    let base = params::point_values(model);
    engine::simulate(model, &base, &spec(model, n), &|_| {}).expect("simulation runs")
}

// ---------------------------------------------------------------------------
// Closed forms: a two-state model whose totals are geometric sums
// ---------------------------------------------------------------------------

/// Alive (cost 250 and utility 0.8 per cycle) dies with probability `p_death` each cycle,
/// which costs 1000 and loses 0.1 QALY once; `settings` is spliced into `settings:`.
fn two_state(settings: &str, cycle: &str, n_cycles: usize, p_death: &str) -> String {
    format!(
        r#"
version: 1
meta: {{title: two states}}
settings:
  cycle: {{length: 1, unit: {cycle}}}
  horizon: {{length: {n_cycles}, unit: {cycle}}}
{settings}
  individuals: 10
  seed: 3
  cost_categories: [care]
  perspectives: {{all: [care]}}
parameters:
  c: {{value: 250, source: test}}
  u: {{value: 0.8, source: test}}
states:
  - {{id: alive, utility: u, costs: {{care: c}}}}
  - {{id: dead, utility: 0, costs: {{}}, absorbing: true, alive: false}}
transitions:
  - {{from: alive, to: dead, probability: "{p_death}", cost: {{care: 1000}}, qaly_loss: 0.1}}
  - {{from: alive, to: alive, probability: complement}}
strategies:
  - {{id: only, initial: alive}}
"#
    )
}

/// Σ_{k=0}^{n−1} x^k.
fn geometric(x: f64, n: usize) -> f64 {
    if x == 1.0 {
        n as f64
    } else {
        (1.0 - x.powi(n as i32)) / (1.0 - x)
    }
}

/// Σ_{k=0}^{n} k·x^k.
fn arithmetico_geometric(x: f64, n: usize) -> f64 {
    let n = n as i32;
    x * (1.0 - (n + 1) as f64 * x.powi(n) + n as f64 * x.powi(n + 1)) / (1.0 - x).powi(2)
}

/// One convention: its settings, and its closed-form totals for survival `a` per cycle.
struct Convention {
    within: &'static str,
    /// `start`, `middle` or `end`; only the cycle-based options use it.
    timing: &'static str,
}

impl Convention {
    fn shift(&self) -> f64 {
        match self.timing {
            "middle" => 0.5,
            "end" => 1.0,
            _ => 0.0,
        }
    }

    /// (W, w_0): the total weight Σ_t a^t·w_t of a payoff of 1 per cycle held while alive,
    /// and the weight of boundary 0, for per-cycle discount factor q and T cycles.
    fn totals(&self, a: f64, q: f64, n: usize) -> (f64, f64) {
        let s = q.powf(self.shift());
        let x = a * q;
        let xt = x.powi(n as i32);
        let last = a.powi(n as i32) * q.powf(n as f64 - 1.0 + self.shift());
        match self.within {
            "none" => (s * geometric(x, n), s),
            "half-cycle" => (s * geometric(x, n) - 0.5 * s + 0.5 * last, 0.5 * s),
            "trapezoid" => (0.5 * (1.0 + a) * s * geometric(x, n), 0.5 * s),
            "end" => (a * s * geometric(x, n), 0.0),
            "heemod-half-cycle" if n == 1 => (0.75 * s + 1.5 * a * s, 0.75 * s),
            "heemod-half-cycle" => (a * s * geometric(x, n) + 0.5 * s + 0.5 * last, 0.5 * s),
            "all-boundaries" => (geometric(x, n + 1), 1.0),
            "boundary-half-cycle" => (geometric(x, n + 1) - 0.5 - 0.5 * xt, 0.5),
            "darth-simpson" => {
                // 4/3 on even t, 2/3 on odd t, then 1/3 at t = 0 and t = T.
                let even = geometric(x * x, n / 2 + 1);
                let odd = x * geometric(x * x, n.div_ceil(2));
                let end = if n.is_multiple_of(2) { 1.0 } else { 1.0 / 3.0 };
                (
                    4.0 / 3.0 * even + 2.0 / 3.0 * odd - 1.0 - end * xt,
                    1.0 / 3.0,
                )
            }
            // `{weights: "1 + t / T"}`.
            "weights" => (
                geometric(x, n + 1) + arithmetico_geometric(x, n) / n as f64,
                1.0,
            ),
            other => panic!("no closed form for {other}"),
        }
    }

    fn yaml(&self, compounding: &str, arrival: bool) -> String {
        let within = if self.within == "weights" {
            r#"{weights: "1 + t / T"}"#.to_string()
        } else {
            self.within.to_string()
        };
        let transition = if arrival { "arrival" } else { "cycle" };
        format!(
            "  discount: {{costs: 0.04, effects: 0.015, timing: {}, compounding: {compounding}}}\n  within_cycle: {within}\n  transition_timing: {transition}",
            self.timing
        )
    }
}

fn conventions() -> Vec<Convention> {
    let mut all = Vec::new();
    for within in [
        "none",
        "half-cycle",
        "trapezoid",
        "end",
        "heemod-half-cycle",
    ] {
        for timing in ["start", "middle", "end"] {
            all.push(Convention { within, timing });
        }
    }
    for within in [
        "all-boundaries",
        "boundary-half-cycle",
        "darth-simpson",
        "weights",
    ] {
        all.push(Convention {
            within,
            timing: "start",
        });
    }
    all
}

/// Per-cycle discount factor q for an annual rate, a cycle of `dt` years and a compounding.
fn per_cycle(rate: f64, dt: f64, compounding: &str) -> f64 {
    match compounding {
        "annual" => (1.0 + rate).powf(-dt),
        "per-cycle" => 1.0 / (1.0 + rate * dt),
        "continuous" => (-rate * dt).exp(),
        other => panic!("{other}"),
    }
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
        "{what}: got {got}, expected {want}"
    );
}

#[test]
fn every_convention_gives_the_geometric_sums_of_a_constant_hazard() {
    let (p, cost, utility, one_off, loss) = (0.2, 250.0, 0.8, 1000.0, 0.1);
    let a = 1.0 - p;
    for unit in ["years", "months"] {
        let dt = if unit == "years" { 1.0 } else { 1.0 / 12.0 };
        for n in [1usize, 2, 3, 6, 7] {
            for conv in conventions() {
                for compounding in ["annual", "per-cycle", "continuous"] {
                    for arrival in [false, true] {
                        let text = two_state(&conv.yaml(compounding, arrival), unit, n, "0.2");
                        let model = load(&text);
                        let l = Layout::of(&model);
                        let o = &cohort(&model).strategies[0].outcomes;
                        let ctx = format!(
                            "{} (timing {}, {compounding}, arrival {arrival}), {n} {unit}",
                            conv.within, conv.timing
                        );
                        let qc = per_cycle(0.04, dt, compounding);
                        let qe = per_cycle(0.015, dt, compounding);
                        let (wc, wc0) = conv.totals(a, qc, n);
                        let (we, we0) = conv.totals(a, qe, n);
                        let (wp, wp0) = conv.totals(a, 1.0, n);
                        // One-offs: a death at the end of cycle c (share a^(c−1)·p) counts
                        // with D_c, or at the arrival boundary c, where Σ_c a^(c−1)·w_c =
                        // (W − w_0)/a.
                        let (oc, oe, op) = if arrival {
                            ((wc - wc0) / a, (we - we0) / a, (wp - wp0) / a)
                        } else {
                            let d = |q: f64| q.powf(conv.shift()) * geometric(a * q, n);
                            (d(qc), d(qe), geometric(a, n))
                        };
                        let want_cost = cost * wc + one_off * p * oc;
                        let want_qaly = utility * dt * we - loss * p * oe;
                        close(o[l.cost(0, true)].mean, want_cost, &format!("{ctx}: cost"));
                        close(o[l.qalys(true)].mean, want_qaly, &format!("{ctx}: QALYs"));
                        close(o[l.life_years(true)].mean, dt * we, &format!("{ctx}: LYs"));
                        let plain = cost * wp + one_off * p * op;
                        close(o[l.cost(0, false)].mean, plain, &format!("{ctx}: plain"));
                    }
                }
            }
        }
    }
}

#[test]
fn the_engine_equals_the_cohort_exactly_when_every_path_is_certain() {
    // Death after exactly 3 cycles, or never within the horizon: every individual follows
    // the same path, so the microsimulation has no Monte Carlo error.
    for n in [2usize, 3, 5] {
        for conv in conventions() {
            for arrival in [false, true] {
                let settings = conv.yaml("annual", arrival);
                let text = two_state(&settings, "years", n, "if(state_time == 3, 1, 0)");
                let model = load(&text);
                let (c, s) = (cohort(&model), simulate(&model, 300));
                let ctx = format!("{} {} arrival {arrival}, T = {n}", conv.within, conv.timing);
                for (k, (x, y)) in c.strategies[0]
                    .outcomes
                    .iter()
                    .zip(&s.strategies[0].outcomes)
                    .enumerate()
                {
                    close(y.mean, x.mean, &format!("{ctx}: outcome {k}"));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The DARTH Sick-Sicker cohort (Alarid-Escudero et al. 2023, Med Decis Making 43:3)
// ---------------------------------------------------------------------------

const SICK_SICKER: &str = "scenarios/examples/sick-sicker-darth.yaml";

/// The published table: strategy id, cost ($, to the dollar), QALYs (to 0.001).
const PUBLISHED: [(&str, f64, f64); 4] = [
    ("soc", 151_580.0, 20.711),
    ("A", 284_805.0, 21.499),
    ("B", 259_100.0, 22.184),
    ("AB", 378_875.0, 23.137),
];

fn sick_sicker() -> Model {
    scenario::load(&root().join(SICK_SICKER)).expect("the Sick-Sicker example is valid")
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

#[test]
fn the_sick_sicker_cohort_reproduces_the_published_cost_effectiveness_table() {
    let model = sick_sicker();
    let out = cohort(&model);
    let l = out.layout;
    let mut outcomes = Vec::new();
    for (i, (id, cost, qalys)) in PUBLISHED.iter().enumerate() {
        assert_eq!(model.strategies[i].name, *id);
        let o = &out.strategies[i].outcomes;
        let (c, e) = (o[l.perspective(0, true)].mean, o[l.qalys(true)].mean);
        assert_eq!(round_to(c, 0), *cost, "{id}: cost {c}");
        assert_eq!(round_to(e, 3), *qalys, "{id}: QALYs {e}");
        outcomes.push(Outcome { cost: c, effect: e });
    }
    // The incremental analysis: B against standard of care, AB against B, A dominated.
    let rows = incremental(&outcomes);
    let row = |s: usize| {
        rows.iter()
            .find(|r| r.strategy == s)
            .expect("a row per strategy")
    };
    assert_eq!(row(0).status, IcerStatus::Reference);
    assert_eq!(row(1).status, IcerStatus::Dominated);
    for (s, against, inc_cost, inc_qalys, icer) in [
        (2, 0, 107_521.0, 1.473, 72_988.0),
        (3, 2, 119_775.0, 0.952, 125_764.0),
    ] {
        let r = row(s);
        assert_eq!(r.status, IcerStatus::NonDominated);
        assert_eq!(r.compared_to, Some(against));
        assert_eq!(r.inc_cost.map(|x| round_to(x, 0)), Some(inc_cost));
        assert_eq!(r.inc_effect.map(|x| round_to(x, 3)), Some(inc_qalys));
        assert_eq!(r.icer.map(|x| round_to(x, 0)), Some(icer));
    }
}

#[test]
fn the_sick_sicker_microsimulation_agrees_with_the_published_table_within_three_mcse() {
    let model = sick_sicker();
    let n = 100_000;
    let out = simulate(&model, n);
    let l = out.layout;
    // Published values are rounded: allow half a unit of the last digit on top of 3 MCSE.
    // The error must also be small (`max_rel` of the value) for the check to mean something.
    let check = |got: engine::Estimate, want: f64, half_unit: f64, max_rel: f64, what: &str| {
        assert!(got.se > 0.0, "{what}: a Monte Carlo error");
        assert!(
            3.0 * got.se < max_rel * want.abs(),
            "{what}: 3 MCSE ({}) must be small for the check to mean something",
            3.0 * got.se
        );
        assert!(
            (got.mean - want).abs() <= 3.0 * got.se + half_unit,
            "{what}: {} ± {} vs published {want}",
            got.mean,
            got.se
        );
    };
    for (i, (id, cost, qalys)) in PUBLISHED.iter().enumerate() {
        let o = &out.strategies[i].outcomes;
        check(
            o[l.perspective(0, true)],
            *cost,
            0.5,
            0.01,
            &format!("{id} cost"),
        );
        check(
            o[l.qalys(true)],
            *qalys,
            0.0005,
            0.01,
            &format!("{id} QALYs"),
        );
    }
    // Increments along the frontier, with the smaller errors of common random numbers.
    for (a, b, inc_cost, inc_qalys) in [(0, 2, 107_521.0, 1.473), (2, 3, 119_775.0, 0.952)] {
        let d = &out.pairs[pair_index(4, a, b)];
        check(
            d[l.perspective(0, true)],
            inc_cost,
            0.5,
            0.03,
            "incremental cost",
        );
        check(
            d[l.qalys(true)],
            inc_qalys,
            0.0005,
            0.03,
            "incremental QALYs",
        );
    }
}

// ---------------------------------------------------------------------------
// Transition rewards at the arrival boundary, against DARTH's own arithmetic
// ---------------------------------------------------------------------------

/// The Sick-Sicker example with the transition rewards of the DARTH time-dependent tutorial
/// (du_HS1 0.01, ic_HS1 1000, ic_D 2000; Alarid-Escudero et al. 2023, Med Decis Making
/// 43:21) counted at the arrival boundary.
fn sick_sicker_with_transition_rewards() -> String {
    let text = std::fs::read_to_string(root().join(SICK_SICKER)).expect("the example exists");
    let edits = [
        (
            "  within_cycle: darth-simpson\n",
            "  within_cycle: darth-simpson\n  transition_timing: arrival\n",
        ),
        (
            r#"{from: H, to: S1, probability: "(1 - p_HD) * p_HS1"}"#,
            r#"{from: H, to: S1, probability: "(1 - p_HD) * p_HS1", cost: {healthcare: 1000}, qaly_loss: 0.01}"#,
        ),
        (
            "{from: H, to: D, probability: p_HD}",
            "{from: H, to: D, probability: p_HD, cost: {healthcare: 2000}}",
        ),
        (
            "{from: S1, to: D, probability: p_S1D}",
            "{from: S1, to: D, probability: p_S1D, cost: {healthcare: 2000}}",
        ),
        (
            "{from: S2, to: D, probability: p_S2D}",
            "{from: S2, to: D, probability: p_S2D, cost: {healthcare: 2000}}",
        ),
    ];
    edits.iter().fold(text, |t, (from, to)| {
        assert!(t.contains(from), "the example still has `{from}`");
        t.replace(from, to)
    })
}

/// DARTH's computation, written independently of trdsim: the transition array
/// A[i][j](t+1) = m_i(t)·P_ij, a reward array R[i][j] of the destination's state reward
/// plus the transition reward, and Σ_t (Σ_ij A·R)(t)·wcc_t·(1.03)^−t, with the initial
/// state vector on the diagonal of A(0) (analysis/cSTM_time_dep_simulation.R).
fn darth_totals(strategy: usize) -> (f64, f64) {
    let r2p = |r: f64| 1.0 - (-r).exp();
    let (p_hd, p_s1d, p_s2d) = (r2p(0.002), r2p(0.006), r2p(0.02));
    let (p_hs1, p_s1h) = (r2p(0.15), r2p(0.5));
    let treat_a = strategy == 1 || strategy == 3;
    let treat_b = strategy >= 2;
    let p_s1s2 = r2p(0.105 * if treat_b { 0.6 } else { 1.0 });
    let p = [
        [
            (1.0 - p_hd) * (1.0 - p_hs1),
            (1.0 - p_hd) * p_hs1,
            0.0,
            p_hd,
        ],
        [
            (1.0 - p_s1d) * p_s1h,
            (1.0 - p_s1d) * (1.0 - (p_s1h + p_s1s2)),
            (1.0 - p_s1d) * p_s1s2,
            p_s1d,
        ],
        [0.0, 0.0, 1.0 - p_s2d, p_s2d],
        [0.0, 0.0, 0.0, 1.0],
    ];
    let c_trt = [0.0, 12_000.0, 13_000.0, 25_000.0][strategy];
    let cost = [2000.0, 4000.0 + c_trt, 15_000.0 + c_trt, 0.0];
    let utility = [1.0, if treat_a { 0.95 } else { 0.75 }, 0.5, 0.0];
    // Each row holds the destination's state reward (`matrix(v_c_str, byrow = TRUE)`).
    let mut reward_c = [cost; 4];
    let mut reward_u = [utility; 4];
    reward_u[0][1] -= 0.01;
    reward_c[0][1] += 1000.0;
    for row in reward_c.iter_mut().take(3) {
        row[3] += 2000.0;
    }
    let n = 75;
    let wcc = |t: usize| match t {
        0 => 1.0 / 3.0,
        t if t == n => 1.0 / 3.0,
        t if t % 2 == 1 => 2.0 / 3.0,
        _ => 4.0 / 3.0,
    };
    let mut prev = [1.0, 0.0, 0.0, 0.0];
    let (mut total_c, mut total_u) = (0.0, 0.0);
    for t in 0..=n {
        let mut a = [[0.0; 4]; 4];
        if t == 0 {
            for (i, mi) in prev.iter().enumerate() {
                a[i][i] = *mi;
            }
        } else {
            let mut next = [0.0; 4];
            for i in 0..4 {
                for j in 0..4 {
                    a[i][j] = prev[i] * p[i][j];
                    next[j] += a[i][j];
                }
            }
            prev = next;
        }
        let (mut yc, mut yu) = (0.0, 0.0);
        for i in 0..4 {
            for j in 0..4 {
                yc += a[i][j] * reward_c[i][j];
                yu += a[i][j] * reward_u[i][j];
            }
        }
        let disc = 1.03f64.powi(-(t as i32)) * wcc(t);
        total_c += yc * disc;
        total_u += yu * disc;
    }
    (total_c, total_u)
}

#[test]
fn transition_rewards_at_the_arrival_boundary_match_darths_arithmetic() {
    let model = load(&sick_sicker_with_transition_rewards());
    let out = cohort(&model);
    let l = out.layout;
    for s in 0..4 {
        let (want_c, want_u) = darth_totals(s);
        let o = &out.strategies[s].outcomes;
        close(
            o[l.cost(0, true)].mean,
            want_c,
            &format!("strategy {s} cost"),
        );
        close(
            o[l.qalys(true)].mean,
            want_u,
            &format!("strategy {s} QALYs"),
        );
    }
    // The microsimulation converges to the cohort.
    let sim = simulate(&model, 20_000);
    for s in 0..4 {
        for k in [l.cost(0, true), l.qalys(true), l.cost(0, false)] {
            let (c, m) = (
                out.strategies[s].outcomes[k].mean,
                sim.strategies[s].outcomes[k],
            );
            assert!(
                (m.mean - c).abs() <= 3.0 * m.se,
                "strategy {s}, outcome {k}: simulated {} ± {} vs cohort {c}",
                m.mean,
                m.se
            );
        }
    }
}

// ---------------------------------------------------------------------------
// heemod's counting methods, against heemod's own test of `compute_counts`
// ---------------------------------------------------------------------------

/// heemod's `compute_counts works` test (tests/testthat/test_model.R, commit 808ac89 of
/// github.com/pierucci/heemod): states A and B, 10 people in A, two cycles with the
/// matrices ((0.5, 0.5), (0.1, 0.9)) and ((0.67, 0.33), (0.2, 0.8)). A cost of 1 per cycle
/// in A (category `a`) and in B (category `b`), undiscounted, counts the corrected counts.
fn heemod_counts(within: &str) -> String {
    format!(
        r#"
version: 1
meta: {{title: heemod compute_counts}}
settings:
  cycle: {{length: 1, unit: years}}
  horizon: {{length: 2, unit: years}}
  discount: {{costs: 0, effects: 0}}
  within_cycle: {within}
  individuals: 10
  seed: 1
  cost_categories: [a, b]
  perspectives: {{all: [a, b]}}
parameters: {{}}
states:
  - {{id: A, utility: 1, costs: {{a: 1}}}}
  - {{id: B, utility: 1, costs: {{b: 1}}}}
transitions:
  - {{from: A, to: B, probability: "if(model_time == 1, 0.5, 0.33)"}}
  - {{from: A, to: A, probability: complement}}
  - {{from: B, to: A, probability: "if(model_time == 1, 0.1, 0.2)"}}
  - {{from: B, to: B, probability: complement}}
strategies:
  - {{id: only, initial: A}}
"#
    )
}

#[test]
fn the_heemod_options_reproduce_heemods_compute_counts_test() {
    // heemod's expected counts per cycle (A then B), for 10 people, with the method names
    // of that version (before 0.14, where "end" returned the counts at each cycle's start).
    let cases = [
        ("none", [10.0, 5.0], [0.0, 5.0]), // heemod < 0.14 "end", ≥ 0.14 "beginning"
        ("end", [5.0, 4.35], [5.0, 5.65]), // heemod < 0.14 "beginning", ≥ 0.14 "end"
        ("trapezoid", [7.5, 4.675], [2.5, 5.325]), // "life-table"
        ("heemod-half-cycle", [10.0, 6.525], [5.0, 8.475]), // "half-cycle"
    ];
    for (within, a, b) in cases {
        let model = load(&heemod_counts(within));
        let l = Layout::of(&model);
        let o = &cohort(&model).strategies[0].outcomes;
        for (k, counts) in [(0, a), (1, b)] {
            let want = (counts[0] + counts[1]) / 10.0;
            close(
                o[l.cost(k, false)].mean,
                want,
                &format!("{within}: category {k}"),
            );
            close(
                o[l.cost(k, true)].mean,
                want,
                &format!("{within}: discounted {k}"),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Counting the starting state, and a weight expression written out
// ---------------------------------------------------------------------------

#[test]
fn all_boundaries_counts_what_a_horizon_one_cycle_longer_counts_without_changing_the_trace() {
    // DARTH's `gen_wcc(n, "none")` counts boundaries 0..T; the only workaround before was
    // T + 1 cycles with `none`. For a cohort that never leaves its state (so that the extra
    // cycle adds nothing else), both count the same payoffs, but the trace keeps T cycles.
    let settings =
        |w: &str| format!("  discount: {{costs: 0.04, effects: 0.015}}\n  within_cycle: {w}");
    for n in [1usize, 4, 9] {
        let counted = load(&two_state(&settings("all-boundaries"), "years", n, "0"));
        let longer = load(&two_state(&settings("none"), "years", n + 1, "0"));
        let l = Layout::of(&counted);
        let (x, y) = (cohort(&counted), cohort(&longer));
        for k in [
            l.cost(0, true),
            l.cost(0, false),
            l.qalys(true),
            l.qalys(false),
        ] {
            let (got, want) = (
                x.strategies[0].outcomes[k].mean,
                y.strategies[0].outcomes[k].mean,
            );
            close(got, want, &format!("T = {n}, outcome {k}"));
        }
        assert_eq!(x.n_cycles, n, "the trace keeps T cycles");
        assert_eq!(x.strategies[0].trace.len(), (n + 1) * 2);
        assert_eq!(y.strategies[0].trace.len(), (n + 2) * 2);
    }
}

#[test]
fn darths_simpson_pattern_written_as_a_weight_expression_equals_darth_simpson() {
    let pattern =
        r#"{weights: "if(t == 0 || t == T, 1/3, if(t - 2 * floor(t / 2) == 1, 2/3, 4/3))"}"#;
    for n in [1usize, 2, 5, 8] {
        let settings =
            |w: &str| format!("  discount: {{costs: 0.04, effects: 0.015}}\n  within_cycle: {w}");
        let named = cohort(&load(&two_state(
            &settings("darth-simpson"),
            "months",
            n,
            "0.2",
        )));
        let written = cohort(&load(&two_state(&settings(pattern), "months", n, "0.2")));
        for (k, (x, y)) in named.strategies[0]
            .outcomes
            .iter()
            .zip(&written.strategies[0].outcomes)
            .enumerate()
        {
            assert_eq!(x.mean, y.mean, "T = {n}, outcome {k}");
        }
    }
}

#[test]
fn a_comparison_lists_the_conventions_that_differ_with_the_weight_expression() {
    let settings = |w: &str, t: &str| {
        format!(
            "  discount: {{costs: 0.04, effects: 0.015, compounding: per-cycle}}\n  within_cycle: {w}\n  transition_timing: {t}"
        )
    };
    let a = load(&two_state(
        &settings(r#"{weights: "1"}"#, "cycle"),
        "years",
        3,
        "0.2",
    ));
    let b = load(&two_state(
        &settings(r#"{weights: "t"}"#, "arrival"),
        "years",
        3,
        "0.2",
    ));
    let (a, b) = (
        trdsim::analysis::compare::inputs(&a),
        trdsim::analysis::compare::inputs(&b),
    );
    let get = |v: &[(String, String)], k: &str| {
        v.iter()
            .find(|(name, _)| name == k)
            .map(|(_, x)| x.clone())
            .unwrap_or_else(|| panic!("no input {k}"))
    };
    assert_eq!(get(&a, "settings.within_cycle"), "weights: 1");
    assert_eq!(get(&b, "settings.within_cycle"), "weights: t");
    assert_eq!(get(&a, "settings.transition_timing"), "cycle");
    assert_eq!(get(&b, "settings.transition_timing"), "arrival");
    assert_eq!(get(&a, "settings.discount.compounding"), "per-cycle");
}

#[test]
fn run_json_records_every_payoff_timing_convention() {
    let tmp = tempdir();
    let path = tmp.path().join("arrival.yaml");
    std::fs::write(
        &path,
        two_state(
            "  discount: {costs: 0.03, effects: 0.015, timing: end, compounding: continuous}\n  within_cycle: heemod-half-cycle\n  transition_timing: arrival\n",
            "years",
            5,
            "0.1",
        ),
    )
    .unwrap();
    let out_dir = tmp.path().join("out");
    let out = trdsim(&["run", s(&path), "--cohort", "--out", s(&out_dir), "--quiet"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["discount"]["timing"], "end");
    assert_eq!(run["discount"]["compounding"], "continuous");
    assert_eq!(run["within_cycle"], "heemod-half-cycle");
    assert_eq!(run["transition_timing"], "arrival");
}
