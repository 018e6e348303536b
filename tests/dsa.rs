//! Sensitivity and scenario analyses: one-way, two-way, and scenario comparison.

use trdsim::analysis::dsa;
use trdsim::scenario;

use crate::common::{code, root, s, stderr, tempdir, trdsim};

#[test]
fn a_cost_that_enters_linearly_moves_net_benefit_symmetrically() {
    // c_treatment (point 12,000) varied to 6,000 and 18,000: net benefit is linear in a
    // cost, and the same individuals are simulated at each value, so the two bars are
    // exactly symmetric around the base case.
    let text = std::fs::read_to_string(root().join("scenarios/examples/three-state.yaml"))
        .unwrap()
        .replace(
            "  c_treatment:\n    value: 12000\n",
            "  c_treatment:\n    value: 12000\n    low: 6000\n    high: 18000\n",
        );
    let model =
        scenario::load_str(&text, "t.yaml", "t", &root().join("scenarios/examples")).unwrap();
    let c = model
        .params
        .iter()
        .position(|p| p.name == "c_treatment")
        .unwrap();
    let ranges = dsa::ranges(&model, Some(&[c]));
    assert_eq!(ranges.len(), 1);
    assert_eq!(ranges[0].basis, "low/high");
    let o = dsa::one_way(&model, &ranges, 0, 50_000.0, 2_000, &|_| {}).unwrap();
    assert_eq!(o.rows.len(), 1, "one comparison: treatment vs usual care");
    let r = &o.rows[0];
    let base = o.base[r.strategy].inmb;
    let (down, up) = (r.at_low.inmb - base, base - r.at_high.inmb);
    assert!(down > 0.0, "a cheaper treatment raises net benefit");
    assert!((down - up).abs() < 1e-6 * down, "{down} vs {up}");
    // QALYs do not depend on the cost.
    assert_eq!(r.at_low.inc_qalys, r.at_high.inc_qalys);
}

#[test]
fn default_ranges_are_the_95_percent_interval_of_each_distribution() {
    let model = scenario::load(&root().join("scenarios/examples/three-state.yaml")).unwrap();
    let ranges = dsa::ranges(&model, None);
    let with_dist = model
        .params
        .iter()
        .filter(|p| matches!(p.def, trdsim::model::ParamDef::Value { dist: Some(_), .. }))
        .count();
    assert_eq!(ranges.len(), with_dist);
    let hr = ranges
        .iter()
        .find(|r| model.params[r.param].name == "hr_treatment")
        .unwrap();
    // lognormal fitted to the 95% interval [0.4, 0.9] gives back its bounds.
    assert!(
        (hr.low - 0.4).abs() < 1e-9 && (hr.high - 0.9).abs() < 1e-9,
        "{hr:?}"
    );
}

#[test]
fn dsa_command_writes_the_table_and_a_tornado_diagram() {
    let tmp = tempdir();
    let dir = tmp.path().join("d");
    let sc = root().join("scenarios/examples/three-state.yaml");
    let out = trdsim(&[
        "dsa",
        s(&sc),
        "--out",
        s(&dir),
        "--individuals",
        "500",
        "--quiet",
        "--params",
        "p_sick,c_sick",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let csv = std::fs::read_to_string(dir.join("dsa.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("societal,50000,p_sick,2.5%/97.5%,"),
        "{csv}"
    );
    for f in ["tornado_treatment.png", "tornado_treatment.svg", "run.json"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let out = trdsim(&[
        "dsa",
        s(&sc),
        "--out",
        s(&tmp.path().join("e")),
        "--params",
        "p_sik",
    ]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("unknown parameter `p_sik`; did you mean `p_sick`?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn two_way_grid_centre_equals_the_base_case_and_prefers_the_best_strategy() {
    // Both ranges are symmetric around the point values, so the centre of an odd grid is
    // the base case: same parameter values, same individuals, hence the same numbers.
    let text = std::fs::read_to_string(root().join("scenarios/examples/three-state.yaml"))
        .unwrap()
        .replace(
            "  c_treatment:\n    value: 12000\n",
            "  c_treatment:\n    value: 12000\n    low: 2000\n    high: 22000\n",
        )
        .replace(
            "  hr_treatment:\n    value: 0.6\n",
            "  hr_treatment:\n    value: 0.6\n    low: 0.2\n    high: 1.0\n",
        );
    let model =
        scenario::load_str(&text, "t.yaml", "t", &root().join("scenarios/examples")).unwrap();
    let idx = |n: &str| model.params.iter().position(|p| p.name == n).unwrap();
    let ranges = dsa::ranges(&model, Some(&[idx("c_treatment"), idx("hr_treatment")]));
    let t = dsa::two_way(
        &model,
        &ranges[1],
        &ranges[0],
        5,
        0,
        50_000.0,
        1_000,
        &|_| {},
    )
    .unwrap();
    assert_eq!(model.params[t.x.param].name, "c_treatment");
    let ns = model.strategies.len();
    // Every point prefers the strategy with the highest net benefit.
    for (p, best) in t.best.iter().enumerate() {
        let nmb = &t.nmb[p * ns..(p + 1) * ns];
        assert!(nmb.iter().all(|v| *v <= nmb[*best]), "point {p}");
    }
    let centre = 2 * 5 + 2;
    let base = trdsim::engine::simulate(
        &model,
        &trdsim::params::point_values(&model),
        &crate::common::spec(&model, 1_000),
        &|_| {},
    )
    .unwrap();
    let l = trdsim::engine::Layout::of(&model);
    for s in 0..ns {
        let o = &base.strategies[s].outcomes;
        let want = 50_000.0 * o[l.qalys(true)].mean - o[l.perspective(0, true)].mean;
        assert_eq!(t.nmb[centre * ns + s], want);
    }
    // A cheaper, more effective treatment is preferred in the corner (low cost, low HR).
    assert_eq!(t.best[0], 1);
}

#[test]
fn two_way_command_writes_the_grid_and_a_heat_map() {
    let tmp = tempdir();
    let dir = tmp.path().join("t");
    let sc = root().join("scenarios/examples/three-state.yaml");
    let out = trdsim(&[
        "dsa",
        s(&sc),
        "--two-way",
        "p_sick,c_sick",
        "--grid",
        "3",
        "--individuals",
        "300",
        "--out",
        s(&dir),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let csv = std::fs::read_to_string(dir.join("dsa_two_way.csv")).unwrap();
    // 3 × 3 points × 2 strategies, plus the header.
    assert_eq!(csv.lines().count(), 19, "{csv}");
    assert!(csv.starts_with("perspective,wtp,p_sick,c_sick,strategy,nmb,preferred\n"));
    for f in ["two_way_p_sick_c_sick.png", "two_way_p_sick_c_sick.svg"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let out = trdsim(&[
        "dsa",
        s(&sc),
        "--two-way",
        "p_sick",
        "--out",
        s(&tmp.path().join("u")),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

#[test]
fn compare_lists_changed_inputs_and_results_per_scenario() {
    let tmp = tempdir();
    let base = root().join("scenarios/examples/three-state.yaml");
    let text = std::fs::read_to_string(&base)
        .unwrap()
        .replace("discount: {costs: 0.03,", "discount: {costs: 0.04,")
        .replace(
            "  hr_treatment:\n    value: 0.6\n",
            "  hr_treatment:\n    value: 0.5\n",
        );
    // The copy lives next to the example so that relative paths keep working.
    let variant = tmp.path().join("variant.yaml");
    std::fs::write(&variant, text).unwrap();
    let dir = tmp.path().join("c");
    let out = trdsim(&[
        "compare",
        s(&base),
        s(&variant),
        "--individuals",
        "400",
        "--draws",
        "5",
        "--out",
        s(&dir),
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let changes = std::fs::read_to_string(dir.join("compare_inputs.csv")).unwrap();
    let items: Vec<&str> = changes
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(
        items,
        ["settings.discount.costs", "parameters.hr_treatment"],
        "{changes}"
    );
    let results = std::fs::read_to_string(dir.join("compare_results.csv")).unwrap();
    // 2 scenarios × 2 perspectives × 2 strategies.
    assert_eq!(results.lines().count(), 9, "{results}");
    assert!(
        results
            .lines()
            .next()
            .unwrap()
            .ends_with("prob_cost_effective_80000")
    );
    // compare_inmb.csv: wtp · ΔQALYs − Δcost from compare_results.csv's rows, and the
    // interval of the draws around it; one forest plot per perspective and threshold.
    let inmb = std::fs::read_to_string(dir.join("compare_inmb.csv")).unwrap();
    let result_rows: Vec<Vec<&str>> = results
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let find = |scenario: &str, persp: &str, strategy: &str| {
        let row = result_rows
            .iter()
            .find(|r| r[0] == scenario && r[1] == persp && r[2] == strategy)
            .unwrap();
        (
            row[3].parse::<f64>().unwrap(),
            row[4].parse::<f64>().unwrap(),
        )
    };
    let lines: Vec<&str> = inmb.lines().collect();
    assert_eq!(
        lines[0],
        "scenario,perspective,strategy,reference,wtp,inmb,inmb_low,inmb_high"
    );
    // 2 scenarios × 2 perspectives × 1 comparison × 3 thresholds.
    assert_eq!(lines.len(), 1 + 12, "{inmb}");
    for line in &lines[1..] {
        let f: Vec<&str> = line.split(',').collect();
        let (cost, qalys) = find(f[0], f[1], f[2]);
        let (ref_cost, ref_qalys) = find(f[0], f[1], f[3]);
        let wtp: f64 = f[4].parse().unwrap();
        let expected = wtp * (qalys - ref_qalys) - (cost - ref_cost);
        let got: f64 = f[5].parse().unwrap();
        assert!(
            (got - expected).abs() <= 1e-9 * (1.0 + expected.abs()),
            "{line}"
        );
        let (low, high): (f64, f64) = (f[6].parse().unwrap(), f[7].parse().unwrap());
        assert!(low <= high, "{line}");
        let figure = dir.join(format!("forest_{}_{}.svg", f[1], f[4]));
        assert!(figure.exists(), "{}", figure.display());
    }
}

fn param_index(model: &trdsim::model::Model, name: &str) -> usize {
    model.params.iter().position(|p| p.name == name).unwrap()
}

#[test]
fn a_dirichlet_share_varies_over_its_beta_marginal_and_the_group_still_sums_to_one() {
    use statrs::distribution::{Beta, ContinuousCDF};
    let model = scenario::load(&root().join("scenarios/eko-vs-ect.yaml")).unwrap();
    let i = param_index(&model, "p_w8_remission_eko");
    let ranges = dsa::ranges(&model, Some(&[i]));
    assert_eq!(ranges.len(), 1, "a Dirichlet member is varied");
    let r = &ranges[0];
    // The w8_eko group has α = (22.8, 7.2, 8.4, 21.6); the marginal of the first member is
    // Beta(22.8, 60 − 22.8) (independent computation with statrs).
    let marginal = Beta::new(22.8, 37.2).unwrap();
    assert!((r.low - marginal.inverse_cdf(0.025)).abs() < 1e-9, "{r:?}");
    assert!((r.high - marginal.inverse_cdf(0.975)).abs() < 1e-9, "{r:?}");
    let g = model
        .dirichlet
        .iter()
        .position(|g| g.name == "w8_eko")
        .unwrap();
    assert_eq!(r.coupling, dsa::Coupling::Dirichlet(g));
    let point = trdsim::params::point_values(&model);
    for x in [r.low, r.high] {
        let mut v = point.clone();
        r.apply(&model, &mut v, x);
        let members = &model.dirichlet[g].members;
        let total: f64 = members.iter().map(|id| v[id.0]).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert_eq!(v[i], x);
        // The others keep their proportions: response-only 7.2 to no-MCID 21.6.
        let ratio = v[param_index(&model, "p_w8_response_eko")]
            / v[param_index(&model, "p_w8_no_mcid_eko")];
        assert!((ratio - 7.2 / 21.6).abs() < 1e-12, "{ratio}");
        // Nothing outside the group moves.
        for (k, (a, b)) in v.iter().zip(&point).enumerate() {
            if !members.iter().any(|id| id.0 == k) && !a.is_nan() {
                assert_eq!(a, b, "{}", model.params[k].name);
            }
        }
    }
}

#[test]
fn a_correlated_parameter_moves_the_others_to_their_conditional_medians() {
    use statrs::distribution::{ContinuousCDF, Normal};
    let model = scenario::load(&root().join("scenarios/examples/relapse-life-table.yaml")).unwrap();
    let (a, b) = (
        param_index(&model, "u_remission"),
        param_index(&model, "u_depressed"),
    );
    let ranges = dsa::ranges(&model, Some(&[a]));
    let r = &ranges[0];
    assert_eq!(r.coupling, dsa::Coupling::Correlated);
    let point = trdsim::params::point_values(&model);
    let mut v = point.clone();
    r.apply(&model, &mut v, r.high);
    // At the 97.5% quantile z = 1.96; with ρ = 0.5 the other is at the quantile
    // Φ(0.5 · 1.96) of its own distribution.
    let phi = Normal::new(0.0, 1.0).unwrap();
    let trdsim::model::ParamDef::Value { dist: Some(d), .. } = &model.params[b].def else {
        panic!("u_depressed has a distribution");
    };
    let z = phi.inverse_cdf(0.975);
    let expected = d.quantile(phi.cdf(0.5 * z));
    assert!((v[b] - expected).abs() < 1e-9, "{} vs {expected}", v[b]);
    assert!(v[b] > d.quantile(0.5), "a positive correlation moves it up");
}

#[test]
fn dsa_command_varies_a_dirichlet_share_and_labels_bars_with_their_range() {
    let tmp = tempdir();
    let dir = tmp.path().join("d");
    let sc = root().join("scenarios/eko-vs-ect.yaml");
    let out = trdsim(&[
        "dsa",
        s(&sc),
        "--out",
        s(&dir),
        "--individuals",
        "300",
        "--quiet",
        "--params",
        "p_w8_remission_eko,share_ect_inpatient",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let csv = std::fs::read_to_string(dir.join("dsa.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains(",p_w8_remission_eko,"))
        .unwrap();
    assert!(row.ends_with(",dirichlet w8_eko"), "{row}");
    // share_ect_inpatient ~ Beta(7, 3): the bar is labelled with its 2.5% and 97.5%
    // quantiles (statrs, independently), to three significant digits.
    use statrs::distribution::{Beta, ContinuousCDF};
    let b = Beta::new(7.0, 3.0).unwrap();
    // The parameter is named by its label in the scenario.
    let label = format!(
        "Share of ECT courses given during admission ({:.3} – {:.3})",
        b.inverse_cdf(0.025),
        b.inverse_cdf(0.975)
    );
    let svg = std::fs::read_to_string(dir.join("tornado_eko.svg")).unwrap();
    assert!(svg.contains(&label), "the bar names its range: {label}");
    // A Dirichlet member is named by its group's `labels`.
    assert!(
        svg.contains("Remission at week 8, oral esketamine ("),
        "member label"
    );
}
