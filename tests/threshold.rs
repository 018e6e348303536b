//! Threshold analysis (`trdsim threshold`): the break-even value of a parameter, checked
//! against the root of a net-benefit difference that is exactly linear in the parameter
//! (a price, or a share that only prices depend on), computed independently from two
//! simulations with the same random numbers.

use trdsim::analysis::Silent;
use trdsim::analysis::threshold::{self, ThresholdRequest};
use trdsim::engine::{self, Layout, SimSpec};
use trdsim::model::Model;
use trdsim::{params, scenario};

use crate::common::{code, root, s, stderr, stdout, tempdir, trdsim};

fn index(model: &Model, name: &str) -> usize {
    model.params.iter().position(|p| p.name == name).unwrap()
}

/// NMB of strategy `b` minus strategy `a` with parameter `name` at `x` (others at their
/// point values), perspective 0, at willingness to pay index `w`.
fn inmb(model: &Model, name: &str, x: f64, n: usize, w: usize, a: usize, b: usize) -> f64 {
    let mut values = params::point_values(model);
    values[index(model, name)] = x;
    let spec = SimSpec {
        draw: 0,
        n_individuals: n,
        seed: model.settings.seed,
        trajectories: 0,
    };
    let sim = engine::simulate(model, &values, &spec, &|_| {}).unwrap();
    sim.difference(a, b, Layout::of(model).nmb(0, w)).mean
}

#[test]
fn the_threshold_price_of_a_treatment_is_the_root_of_its_linear_net_benefit() {
    let mut model = scenario::load(&root().join("scenarios/examples/three-state.yaml")).unwrap();
    let req = ThresholdRequest {
        param: "c_treatment".into(),
        range: Some((0.0, 200_000.0)),
        wtp: Some(50_000.0),
        perspective: Some("societal".into()),
        individuals: Some(8_000),
        steps: Some(11),
    };
    let plan = threshold::plan(&mut model, &req).unwrap();
    let result = threshold::run(&model, &plan, &Silent).unwrap();
    assert_eq!(result.crossings.len(), 1, "{:?}", result.crossings);
    let c = &result.crossings[0];
    // Treatment is preferred when it is cheap, usual care when it is dear.
    assert_eq!(model.strategies[c.below].name, "treatment");
    assert_eq!(model.strategies[c.above].name, "usual_care");
    // Independent: net benefit of treatment over usual care is linear in its price.
    let w = model
        .settings
        .wtp_per_qaly
        .iter()
        .position(|x| *x == 50_000.0)
        .unwrap();
    let f0 = inmb(&model, "c_treatment", 0.0, 8_000, w, 0, 1);
    let f1 = inmb(&model, "c_treatment", 100_000.0, 8_000, w, 0, 1);
    let expected = 100_000.0 * f0 / (f0 - f1);
    assert!(
        (c.threshold - expected).abs() < 1e-6 * expected,
        "{} vs {expected}",
        c.threshold
    );
    assert!(c.se > 0.0 && c.se < 0.2 * expected, "{}", c.se);
}

#[test]
fn the_break_even_ect_inpatient_share_of_the_flagship() {
    let mut model = scenario::load(&root().join("scenarios/eko-vs-ect.yaml")).unwrap();
    let req = ThresholdRequest {
        param: "share_ect_inpatient".into(),
        range: Some((0.0, 1.0)),
        wtp: Some(50_000.0),
        perspective: Some("societal".into()),
        individuals: Some(1_000),
        steps: Some(5),
    };
    let plan = threshold::plan(&mut model, &req).unwrap();
    let result = threshold::run(&model, &plan, &Silent).unwrap();
    assert_eq!(result.crossings.len(), 1);
    let c = &result.crossings[0];
    // Below the threshold ECT is cheaper to give; above it EKO is preferred.
    assert_eq!(model.strategies[c.below].name, "ect");
    assert_eq!(model.strategies[c.above].name, "eko");
    // Costs are linear in the share and QALYs do not depend on it.
    let w = model
        .settings
        .wtp_per_qaly
        .iter()
        .position(|x| *x == 50_000.0)
        .unwrap();
    let f0 = inmb(&model, "share_ect_inpatient", 0.0, 1_000, w, 0, 1);
    let f1 = inmb(&model, "share_ect_inpatient", 1.0, 1_000, w, 0, 1);
    let expected = f0 / (f0 - f1);
    assert!(
        (c.threshold - expected).abs() < 1e-6,
        "{} vs {expected}",
        c.threshold
    );
}

#[test]
fn threshold_command_writes_its_tables_and_figure_and_prints_the_threshold() {
    let tmp = tempdir();
    let dir = tmp.path().join("t");
    let sc = root().join("scenarios/examples/three-state.yaml");
    let out = trdsim(&[
        "threshold",
        s(&sc),
        "--param",
        "c_treatment",
        "--range",
        "0,200000",
        "--wtp",
        "50000",
        "--perspective",
        "societal",
        "--individuals",
        "500",
        "--steps",
        "5",
        "--out",
        s(&dir),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out)
            .contains("societal at 50000/QALY: treatment below, usual_care above c_treatment = "),
        "{}",
        stdout(&out)
    );
    let csv = std::fs::read_to_string(dir.join("threshold.csv")).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let nmb = std::fs::read_to_string(dir.join("threshold_nmb.csv")).unwrap();
    assert_eq!(nmb.lines().count(), 1 + 5 * 2, "{nmb}");
    for ext in ["png", "svg"] {
        assert!(
            dir.join(format!("threshold_c_treatment_societal_50000.{ext}"))
                .exists()
        );
    }
}

#[test]
fn threshold_refuses_what_it_cannot_search() {
    let sc = root().join("scenarios/examples/three-state.yaml");
    for (args, fragment) in [
        (vec!["--param", "c_treatmnt"], "did you mean `c_treatment`?"),
        (vec!["--param", "c_treatment"], "give --range LOW,HIGH"),
        (vec!["--param", "c_sick", "--range", "5,1"], "LOW < HIGH"),
        (
            vec!["--param", "c_sick", "--steps", "2"],
            "--steps: expected 3 to 201",
        ),
    ] {
        let tmp = tempdir();
        let dir = tmp.path().join("t");
        let mut all = vec!["threshold", s(&sc), "--out", s(&dir), "--quiet"];
        all.extend(args);
        let out = trdsim(&all);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        assert!(stderr(&out).contains(fragment), "{}", stderr(&out));
        assert!(!dir.exists(), "nothing is written");
    }
}
