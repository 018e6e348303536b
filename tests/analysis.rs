//! The analyses called as a library, without the command line: a base case, a
//! probabilistic analysis and a scenario comparison, checked against the engine called
//! directly and against closed-form properties of their statistics.

use trdsim::analysis::compare::{self, CompareRequest};
use trdsim::analysis::read::parse_psa;
use trdsim::analysis::run::{self, RunRequest};
use trdsim::analysis::{Silent, psa};
use trdsim::engine::{self, SimSpec};
use trdsim::{output, params, scenario};

use crate::common::root;

fn model(path: &str) -> trdsim::model::Model {
    scenario::load(&root().join(path)).expect("the scenario is valid")
}

#[test]
fn a_base_case_through_the_library_equals_the_engine_called_directly() {
    let mut m = model("scenarios/examples/three-state.yaml");
    let req = RunRequest {
        individuals: Some(2_000),
        threads: Some(1),
        ..RunRequest::default()
    };
    let plan = run::plan(&mut m, &req).expect("the request fits the model");
    assert_eq!(m.settings.n_individuals, 2_000, "the override is applied");
    assert!(plan.psa.is_none());
    let result = run::run(&m, &plan, &Silent).expect("the base case runs");
    let spec = SimSpec {
        draw: 0,
        n_individuals: 2_000,
        seed: m.settings.seed,
        trajectories: 0,
    };
    let direct = engine::simulate(&m, &params::point_values(&m), &spec, &|_| {}).unwrap();
    assert_eq!(result.sim, direct);
    // The same plan on two threads gives the same numbers.
    let two = run::plan(
        &mut m,
        &RunRequest {
            threads: Some(2),
            ..req.clone()
        },
    )
    .unwrap();
    assert_eq!(run::run(&m, &two, &Silent).unwrap().sim, direct);
}

#[test]
fn a_psa_through_the_library_gives_probabilities_that_sum_to_one() {
    let mut m = model("scenarios/examples/three-state.yaml");
    let req = RunRequest {
        draws: Some(40),
        draw_individuals: Some(200),
        individuals: Some(200),
        ..RunRequest::default()
    };
    let plan = run::plan(&mut m, &req).unwrap();
    let result = run::run(&m, &plan, &Silent).unwrap();
    let (psa_plan, draws) = result.draws.expect("a PSA was planned");
    assert_eq!((psa_plan.first, psa_plan.last), (1, 40));
    assert_eq!(draws.len(), 40);
    // The per-draw table written and read back, then analysed, without any file.
    let data = parse_psa(&output::psa_csv(&m, &draws), "psa.csv").unwrap();
    let settings = psa::analysis_settings(&m);
    let an = psa::analyse(&data, &settings).unwrap();
    let n_strategies = m.strategies.len();
    for p in &an.perspectives {
        for pt in &p.points {
            let total: f64 = pt.prob_best.iter().sum();
            assert!((total - 1.0).abs() < 1e-12, "{total}");
        }
        // EVPI is never negative (Jensen: E max ≥ max E).
        assert!(p.evpi.iter().all(|e| *e >= 0.0));
    }
    assert_eq!(
        an.findings.prob_cost_effective.len(),
        m.perspectives.len() * m.settings.wtp_per_qaly.len() * n_strategies
    );
    // A request the model cannot take is refused before anything runs.
    let bad = RunRequest {
        draws: Some(10),
        draw_range: Some("5..20".into()),
        ..RunRequest::default()
    };
    let err = run::plan(&mut m, &bad).unwrap_err();
    assert!(err.to_string().contains("--draw-range"), "{err}");
}

#[test]
fn a_comparison_through_the_library_reports_what_differs() {
    let base = model("scenarios/eko-vs-ect.yaml");
    let five = model("scenarios/eko-vs-ect-5y.yaml");
    let req = CompareRequest {
        individuals: Some(300),
        draws: None,
    };
    let c = compare::compare(&[base.clone(), five, base], &req, &Silent).unwrap();
    // The 5-year variant changes the horizon, and nothing differs for the base itself.
    assert!(
        c.changes
            .iter()
            .any(|ch| ch.scenario == 1 && ch.item == "settings.cycles")
    );
    assert!(c.changes.iter().all(|ch| ch.scenario == 1));
    // Same scenario, same seed and individuals: the same rows.
    let rows = |i: usize| -> Vec<_> {
        c.rows
            .iter()
            .filter(|r| r.scenario == i)
            .map(|r| (r.perspective.clone(), r.strategy.clone(), r.icer.clone()))
            .collect()
    };
    assert_eq!(rows(0), rows(2));
    assert!(!rows(0).is_empty());
}

#[test]
fn a_psa_too_large_for_the_memory_budget_is_refused_before_it_runs() {
    let mut m = model("scenarios/eko-vs-ect.yaml");
    let per = trdsim::analysis::psa_bytes_per_draw(&m);
    let most = trdsim::analysis::PSA_MEMORY_BUDGET / per;
    let ask = |n: usize| RunRequest {
        draws: Some(n),
        ..RunRequest::default()
    };
    let err = run::plan(&mut m, &ask(most + 1)).unwrap_err().to_string();
    assert!(err.contains(&format!("use at most {most} draws")), "{err}");
    assert!(run::plan(&mut m, &ask(most)).is_ok());
    // The estimate covers at least the text of the per-draw files it writes.
    let plan = run::plan(
        &mut m,
        &RunRequest {
            draws: Some(20),
            draw_individuals: Some(10),
            individuals: Some(10),
            ..RunRequest::default()
        },
    )
    .unwrap();
    let draws = run::run(&m, &plan, &Silent).unwrap().draws.unwrap().1;
    let text = output::draws_csv(&m, &draws).len() + output::psa_csv(&m, &draws).len();
    assert!(
        per * 20 > text,
        "{per} bytes per draw, {text} bytes of text for 20 draws"
    );
}
