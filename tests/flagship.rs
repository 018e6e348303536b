//! The flagship model (scenarios/eko-vs-ect.yaml, version 2): calibration targets, the
//! week-8 branch and the second course, tapering maintenance, the price index, AdViSHE
//! extreme-value checks and trace checks.

use trdsim::engine::{self, Layout, SimOutput};
use trdsim::model::{Model, StateId};
use trdsim::{params, scenario};

use crate::common::{code, root, s, spec, stderr, tempdir, trdsim};

fn flagship() -> Model {
    scenario::load(&root().join("scenarios/eko-vs-ect.yaml"))
        .expect("the flagship scenario is valid")
}

fn param(model: &Model, name: &str) -> usize {
    model
        .params
        .iter()
        .position(|p| p.name == name)
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

fn state(model: &Model, name: &str) -> usize {
    model.states.iter().position(|s| s.name == name).unwrap()
}

fn run(model: &Model, base: &[f64], n: usize) -> SimOutput {
    engine::simulate(model, base, &spec(model, n), &|_| {}).expect("simulation runs")
}

/// Weibull survival of Jelovac et al. 2013 as fitted: S(t) = exp(−(λt)^k), t in months.
fn weibull_s(months: f64) -> f64 {
    (-(0.0475f64 * months).powf(0.596)).exp()
}

#[test]
fn flagship_runs_in_its_default_configuration() {
    let tmp = tempdir();
    let dir = tmp.path().join("flagship");
    let sc = root().join("scenarios/eko-vs-ect.yaml");
    let out = trdsim(&["run", s(&sc), "--out", s(&dir), "--quiet"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["individuals"], 20000);
    // The transfer of SUSTAIN-1 to oral esketamine is labelled an assumption in the outputs.
    let assumptions = std::fs::read_to_string(dir.join("assumptions.csv")).unwrap();
    assert!(assumptions.contains("hr_oral_transfer,"), "{assumptions}");
    assert!(assumptions.contains("p_second_course,"), "{assumptions}");
    assert!(
        assumptions.contains("c_day_treatment_day,"),
        "{assumptions}"
    );
    assert!(!assumptions.contains("c_inpatient_day,"), "{assumptions}");
}

/// Everyone starts in remission with background mortality off, so the trace is the
/// relapse-free survival of remitters.
fn remitters(strategy: usize, n: usize, taper: f64) -> (Model, Vec<f64>) {
    let mut model = flagship();
    let remission = state(&model, "remission");
    let base = {
        let mut b = params::point_values(&model);
        b[param(&model, "hr_background_mortality")] = 0.0;
        b[param(&model, "maintenance_taper")] = taper;
        b
    };
    for st in &mut model.strategies {
        st.initial = vec![(StateId(remission), 1.0)];
    }
    let out = run(&model, &base, n);
    let ns = out.n_states;
    let share = (0..=out.n_cycles)
        .map(|t| out.strategies[strategy].trace[t * ns + remission])
        .collect();
    (model, share)
}

#[test]
fn ect_relapse_matches_jelovac_at_26_and_52_weeks() {
    let n = 20_000;
    let (model, remission_share) = remitters(0, n, 1.0);
    assert_eq!(model.strategies[0].name, "ect");
    let months_per_week = model.settings.cycle_years() * 12.0;
    for (weeks, published) in [(26usize, 0.377), (52, 0.511)] {
        let relapsed = 1.0 - remission_share[weeks];
        let expected = 1.0 - weibull_s(weeks as f64 * months_per_week);
        let se = (expected * (1.0 - expected) / n as f64).sqrt();
        assert!(
            (relapsed - expected).abs() <= 4.0 * se,
            "{weeks} weeks: simulated {relapsed}, Weibull {expected} (SE {se})"
        );
        // 26 and 52 weeks are 5.98 and 11.96 months: the published 6- and 12-month
        // values differ from the curve there by less than the rounding of 0.001 plus 0.002.
        assert!(
            (expected - published).abs() < 0.003,
            "{weeks} weeks: {expected} vs {published}"
        );
        assert!((relapsed - published).abs() <= 4.0 * se + 0.003);
    }
}

/// The SUSTAIN-style hazard ratio of esketamine maintenance (its point value, pooled
/// SUSTAIN-1 ratio times an oral-transfer factor of 1).
fn hr_sustain(model: &Model) -> f64 {
    let values = params::evaluate(model, &model.strategies[1], &params::point_values(model));
    values[param(model, "hr_sustain")]
}

#[test]
fn eko_maintenance_at_full_dose_scales_the_relapse_hazard_by_the_sustain_ratio() {
    let n = 20_000;
    let (model, ect) = remitters(0, n, 0.0);
    let (_, eko) = remitters(1, n, 0.0);
    assert_eq!(model.strategies[1].name, "eko");
    let hr = hr_sustain(&model);
    assert!((hr - 0.398).abs() < 1e-12, "{hr}");
    for weeks in [26usize, 52] {
        // Cumulative hazards H = −ln S; under proportional hazards H_eko / H_ect = HR.
        let (s_ect, s_eko) = (ect[weeks], eko[weeks]);
        let ratio = s_eko.ln() / s_ect.ln();
        // Delta method: var(ln Ŝ) ≈ (1 − S)/(n S); var of the ratio of two logs.
        let v = |s: f64| (1.0 - s) / (n as f64 * s);
        let se = ratio * (v(s_eko) / s_eko.ln().powi(2) + v(s_ect) / s_ect.ln().powi(2)).sqrt();
        assert!(
            (ratio - hr).abs() <= 4.0 * se,
            "{weeks} weeks: hazard ratio {ratio} (SE {se}), expected {hr}"
        );
    }
}

#[test]
fn tapering_maintenance_raises_the_hazard_ratio_to_one_by_week_60() {
    let n = 20_000;
    let (model, eko) = remitters(1, n, 1.0);
    let hr = hr_sustain(&model);
    let months_per_week = model.settings.cycle_years() * 12.0;
    // Independent computation: in cycle c (model_time c) the dose is min(1, (61 − c)/52)
    // until week 60 and 0 after, and the baseline Weibull hazard of that week is
    // multiplied by hr^dose; S(t) = exp(−Σ_{c ≤ t} ΔH_c · hr^dose_c).
    let h = |weeks: f64| (0.0475 * weeks * months_per_week).powf(0.596);
    let mut cum = 0.0;
    for (c, simulated) in eko.iter().enumerate().skip(1) {
        let dose = if c <= 60 {
            ((61.0 - c as f64) / 52.0).min(1.0)
        } else {
            0.0
        };
        cum += (h(c as f64) - h(c as f64 - 1.0)) * hr.powf(dose);
        if [26, 52, 60].contains(&c) {
            let expected = (-cum).exp();
            let se = (expected * (1.0 - expected) / n as f64).sqrt();
            assert!(
                (simulated - expected).abs() <= 4.0 * se,
                "week {c}: simulated {simulated} vs {expected} (SE {se})"
            );
        }
    }
}

#[test]
fn week_8_branch_probabilities_come_out_as_specified() {
    let model = flagship();
    let base = params::point_values(&model);
    let n = 20_000;
    let out = run(&model, &base, n);
    let ns = out.n_states;
    let acute = state(&model, "acute");
    let targets = ["remission", "response", "partial", "rescue", "depressed"];
    for (si, strategy) in model.strategies.iter().enumerate() {
        let values = params::evaluate(&model, strategy, &base);
        let share = |p: &str| values[param(&model, p)];
        let second = share("p_second_course");
        let expected = [
            share("p_w8_remission"),
            share("p_w8_response"),
            share("p_w8_partial"),
            share("p_w8_no_mcid") * second,
            share("p_w8_no_mcid") * (1.0 - second),
        ];
        assert!((expected.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let flows = targets.map(|t| out.strategies[si].transitions[acute * ns + state(&model, t)]);
        let assessed: f64 = flows.iter().sum();
        let n_assessed = assessed * n as f64;
        assert!(
            n_assessed > 0.95 * n as f64,
            "nearly everyone survives to week 8"
        );
        for ((target, flow), p) in targets.iter().zip(flows).zip(expected) {
            let share = flow / assessed;
            let se = (p * (1.0 - p) / n_assessed).sqrt();
            assert!(
                (share - p).abs() <= 4.0 * se,
                "{}: acute → {target} share {share}, specified {p} (SE {se})",
                strategy.name
            );
        }
    }
}

#[test]
fn trace_loses_nobody_death_is_absorbing_and_acute_lasts_eight_cycles() {
    let model = flagship();
    let out = run(&model, &params::point_values(&model), 5_000);
    let ns = out.n_states;
    let (acute, dead) = (state(&model, "acute"), state(&model, "dead"));
    for (si, st) in out.strategies.iter().enumerate() {
        for t in 0..=out.n_cycles {
            let total: f64 = st.trace[t * ns..(t + 1) * ns].iter().sum();
            assert!(
                (total - 1.0).abs() < 1e-12,
                "strategy {si}, cycle {t}: occupancy sums to {total}"
            );
            if t > 0 {
                assert!(
                    st.trace[t * ns + dead] >= st.trace[(t - 1) * ns + dead],
                    "the dead stay dead"
                );
            }
        }
        // The second course runs from boundary 8 to boundary 15, for some.
        let rescue = state(&model, "rescue");
        for t in 0..=out.n_cycles {
            let occupied = st.trace[t * ns + rescue];
            if (8..16).contains(&t) {
                assert!(occupied > 0.05, "strategy {si}: rescue at boundary {t}");
            } else {
                assert_eq!(occupied, 0.0, "strategy {si}: rescue at boundary {t}");
            }
        }
        // In acute treatment at the start of cycles 1..8, nobody from cycle 9 on.
        assert_eq!(st.trace[acute], 1.0);
        assert!(st.trace[7 * ns + acute] > 0.99);
        for t in 8..=out.n_cycles {
            assert_eq!(
                st.trace[t * ns + acute],
                0.0,
                "strategy {si}: acute at boundary {t}"
            );
        }
        for to in 0..ns {
            if to != dead {
                assert_eq!(st.transitions[dead * ns + to], 0.0, "nobody leaves death");
            }
        }
    }
}

#[test]
fn equal_efficacy_and_costs_give_zero_increments() {
    let mut model = flagship();
    // EKO becomes ECT in everything but its name: same efficacy, same costs.
    let ect = model.strategies[0].clone();
    let eko = &mut model.strategies[1];
    eko.params = ect.params;
    eko.overridden = ect.overridden;
    eko.param_order = ect.param_order;
    eko.rows = ect.rows;
    let out = run(&model, &params::point_values(&model), 5_000);
    let l = Layout::of(&model);
    for k in [
        l.perspective(0, true),
        l.perspective(1, true),
        l.qalys(true),
        l.life_years(true),
    ] {
        let d = out.difference(0, 1, k);
        // Common random numbers make every individual's difference exactly zero.
        assert!(
            d.mean.abs() <= 4.0 * d.se + 1e-9,
            "outcome {k}: {} ± {}",
            d.mean,
            d.se
        );
        assert_eq!(d.se, 0.0);
    }
}

#[test]
fn all_utilities_one_and_no_deaths_give_the_discounted_horizon() {
    let model = flagship();
    let mut base = params::point_values(&model);
    for name in ["u_remission", "u_response", "u_nonresponse"] {
        base[param(&model, name)] = 1.0;
    }
    // The adverse events are the only other utility losses.
    base[param(&model, "dis_amnesia")] = 0.0;
    base[param(&model, "dis_transient_ae")] = 0.0;
    base[param(&model, "hr_background_mortality")] = 0.0;
    let out = run(&model, &base, 2_000);
    let l = Layout::of(&model);
    let dt = model.settings.cycle_years();
    let q = 1.015f64.powf(-dt);
    let n = model.settings.n_cycles as i32;
    // Σ_{c=1}^{60} q^(c−1)·Δ: the discounted horizon in years (no within-cycle correction).
    let horizon = dt * (1.0 - q.powi(n)) / (1.0 - q);
    for st in &out.strategies {
        let qalys = st.outcomes[l.qalys(true)];
        assert!(
            (qalys.mean - horizon).abs() < 1e-9,
            "{} vs {horizon}",
            qalys.mean
        );
        // Everyone has the same QALYs; only the summation order differs between paths.
        assert!(qalys.se < 1e-12, "{}", qalys.se);
        assert!((st.outcomes[l.life_years(false)].mean - 60.0 * dt).abs() < 1e-9);
    }
}

#[test]
fn adverse_events_cost_each_course_their_expected_days_in_its_first_week() {
    let model = flagship();
    let mut base = params::point_values(&model);
    for name in ["u_remission", "u_response", "u_nonresponse"] {
        base[param(&model, name)] = 1.0;
    }
    base[param(&model, "dis_amnesia")] = 0.0;
    base[param(&model, "hr_background_mortality")] = 0.0;
    base[param(&model, "p_second_course")] = 0.0;
    let dis = 0.2;
    base[param(&model, "dis_transient_ae")] = dis;
    let p = |name: &str| base[param(&model, name)];
    // KetECT's median durations in days (vertigo and blood pressure: 1 day, assumed).
    let ect_days = p("p_ae_headache_ect") + 2.0 * p("p_ae_muscle_pain_ect") + p("p_ae_nausea_ect");
    let esk_days = 2.0 * p("p_ae_dissociation_esk")
        + p("p_ae_vertigo_esk")
        + p("p_ae_nausea_esk")
        + p("p_ae_blood_pressure_esk");
    let out = run(&model, &base, 500);
    let l = Layout::of(&model);
    let dt = model.settings.cycle_years();
    let q = 1.015f64.powf(-dt);
    let n = model.settings.n_cycles as i32;
    let horizon = dt * (1.0 - q.powi(n)) / (1.0 - q);
    for (k, st) in out.strategies.iter().enumerate() {
        let days = if model.strategies[k].name == "ect" {
            ect_days
        } else {
            esk_days
        };
        // The loss falls in the first cycle, whose discount factor is 1.
        let expected = horizon - dt * dis * days / 7.0;
        let qalys = st.outcomes[l.qalys(true)].mean;
        assert!(
            (qalys - expected).abs() < 1e-9,
            "{}: {qalys} vs {expected}",
            model.strategies[k].name
        );
    }
}

#[test]
fn all_costs_zero_give_zero_costs() {
    let model = flagship();
    let mut base = params::point_values(&model);
    for (i, p) in model.params.iter().enumerate() {
        if p.name.starts_with("c_") && !base[i].is_nan() {
            base[i] = 0.0;
        }
    }
    let out = run(&model, &base, 2_000);
    let l = Layout::of(&model);
    for st in &out.strategies {
        for c in 0..model.cost_categories.len() {
            assert_eq!(
                st.outcomes[l.cost(c, true)].mean,
                0.0,
                "{}",
                model.cost_categories[c]
            );
        }
        assert!(
            st.outcomes[l.qalys(true)].mean > 0.5,
            "effects are untouched"
        );
    }
}

#[test]
fn five_year_variant_is_the_flagship_with_a_longer_horizon() {
    let base = flagship();
    let five = scenario::load(&root().join("scenarios/eko-vs-ect-5y.yaml")).unwrap();
    assert_eq!(five.settings.n_cycles, 261);
    assert_eq!(base.settings.n_cycles, 60);
    // Everything else comes from the flagship file: same parameters, states and strategies.
    assert_eq!(five.params.len(), base.params.len());
    let bits = |m: &Model| {
        params::point_values(m)
            .iter()
            .map(|x| x.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        bits(&five),
        bits(&base),
        "derived parameters are NaN here; compare bit patterns"
    );
    assert_eq!(five.states.len(), base.states.len());
    assert_eq!(five.strategies.len(), base.strategies.len());
}

#[test]
fn prices_of_2022_and_2023_are_indexed_to_2024_with_the_cbs_factors() {
    let model = flagship();
    let base = params::point_values(&model);
    assert_eq!(model.meta.price_year, Some(2024));
    // CBS CPI factors to 2024 (scenarios/data/nl_cpi_factors_to_2024.csv): 2022 1.073, 2023 1.033.
    for (name, price, factor) in [
        ("c_inpatient_day", 490.0, 1.073),
        ("c_mh_contact", 134.0, 1.073),
        ("c_esketamine_week", 60.0, 1.033),
    ] {
        let x = base[param(&model, name)];
        assert!((x - price * factor).abs() < 1e-9, "{name}: {x}");
    }
    // A quantity that is not a price is not indexed.
    assert_eq!(base[param(&model, "n_ect_sessions_course")], 9.0);
}

/// Undiscounted costs per person of one category in the ECT strategy, with nobody dying.
fn ect_arm_without_deaths(category: &str) -> (f64, f64, Vec<f64>, Model) {
    let model = flagship();
    let mut base = params::point_values(&model);
    base[param(&model, "hr_background_mortality")] = 0.0;
    let out = run(&model, &base, 4_000);
    let l = Layout::of(&model);
    let c = model
        .cost_categories
        .iter()
        .position(|x| x == category)
        .unwrap();
    let ns = out.n_states;
    let rescued =
        out.strategies[0].transitions[state(&model, "acute") * ns + state(&model, "rescue")];
    let values = params::evaluate(&model, &model.strategies[0], &base);
    (
        out.strategies[0].outcomes[l.cost(c, false)].mean,
        rescued,
        values,
        model,
    )
}

#[test]
fn an_ect_course_costs_the_sessions_it_gives_and_the_second_course_is_esketamine() {
    let (cost, rescued, v, model) = ect_arm_without_deaths("intervention");
    let p = |name: &str| v[param(&model, name)];
    // Nine sessions at two a week (2, 2, 2, 2, 1), the work-up once; then eight weeks of
    // esketamine for those who start a second course.
    let expected =
        9.0 * p("c_ect_session") + p("c_ect_workup") + rescued * 8.0 * p("c_esketamine_week");
    assert!(rescued > 0.1, "{rescued}");
    assert!(
        (cost - expected).abs() < 1e-9 * expected,
        "{cost} vs {expected}"
    );
}

#[test]
fn ect_admission_lasts_the_course_plus_the_extra_weeks() {
    let (cost, rescued, v, model) = ect_arm_without_deaths("inpatient");
    let p = |name: &str| v[param(&model, name)];
    // Admitted share × 7 days × (9 sessions / 2 a week + 2 weeks = 6.5 weeks), and the
    // one inpatient week of the esketamine course for those who start a second course.
    let weeks = 9.0 / 2.0 + 2.0;
    let expected = p("c_inpatient_day") * 7.0 * (p("share_ect_inpatient") * weeks + rescued);
    assert!(
        (cost - expected).abs() < 1e-9 * expected,
        "{cost} vs {expected}"
    );
}

#[test]
fn without_a_second_course_nobody_enters_it() {
    let model = flagship();
    let mut base = params::point_values(&model);
    base[param(&model, "p_second_course")] = 0.0;
    let out = run(&model, &base, 2_000);
    let ns = out.n_states;
    let rescue = state(&model, "rescue");
    for st in &out.strategies {
        for t in 0..=out.n_cycles {
            assert_eq!(st.trace[t * ns + rescue], 0.0);
        }
    }
}

/// Thousands separated by commas, rounded to whole euros: 33122.16 → "33,122".
fn euros(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("−{out}") } else { out }
}

/// The rows of a CSV file of the committed run, as maps from column to text.
fn csv_rows(name: &str) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(root().join("outputs/eko-vs-ect").join(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn the_model_document_quotes_the_committed_run() {
    let doc = std::fs::read_to_string(root().join("docs/model-eko-vs-ect.md")).unwrap();
    let quoted = |text: String| assert!(doc.contains(&text), "the document lacks `{text}`");
    // Base case: costs and QALYs per perspective and strategy.
    for r in csv_rows("icer.csv") {
        let label = if r["strategy"] == "ect" { "ECT" } else { "EKO" };
        let cost: f64 = r["cost"].parse().unwrap();
        let qalys: f64 = r["qalys"].parse().unwrap();
        quoted(format!(
            "| {} | {label} | {} ± ",
            r["perspective"],
            euros(cost)
        ));
        quoted(format!("| {qalys:.4} ± "));
    }
    // Probability that EKO is cost-effective at the three reference values.
    let ceac = csv_rows("ceac.csv");
    for wtp in ["20000", "50000", "80000"] {
        let p = |perspective: &str| {
            let r = ceac
                .iter()
                .find(|r| {
                    r["perspective"] == perspective && r["wtp"] == wtp && r["strategy"] == "eko"
                })
                .unwrap();
            format!("{:.3}", r["prob_best"].parse::<f64>().unwrap())
        };
        let evpi = csv_rows("evpi.csv")
            .into_iter()
            .find(|r| r["perspective"] == "societal" && r["wtp"] == wtp)
            .unwrap();
        let per_person: f64 = evpi["evpi_per_person"].parse().unwrap();
        quoted(format!(
            "| {} | {} | €{} |",
            p("societal"),
            p("healthcare"),
            euros(per_person)
        ));
    }
}

#[test]
fn the_documented_evppi_of_the_ect_setting_comes_from_the_committed_draws() {
    let tmp = tempdir();
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    for e in std::fs::read_dir(root().join("outputs/eko-vs-ect")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    let out = trdsim(&[
        "voi",
        s(&dir),
        "--groups",
        "ect_setting",
        "--params",
        "share_ect_inpatient",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("evppi.csv")).unwrap();
    let doc = std::fs::read_to_string(root().join("docs/model-eko-vs-ect.md")).unwrap();
    for (name, row) in [
        ("ect_setting", "| ECT setting: "),
        ("share_ect_inpatient", "| ECT inpatient share alone |"),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("societal,{name},")) && l.contains(",50000,"))
            .unwrap();
        let cols: Vec<&str> = line.split(',').collect();
        let (evppi, se): (f64, f64) = (cols[5].parse().unwrap(), cols[8].parse().unwrap());
        let doc_line = doc.lines().find(|l| l.starts_with(row)).unwrap();
        assert!(
            doc_line.contains(&format!("| {evppi:.1} | {se:.1} |")),
            "{doc_line} vs {evppi:.1} ± {se:.1}"
        );
    }
}

#[test]
fn the_documented_degerlund_mirror_is_what_the_mirror_scenario_gives() {
    let tmp = tempdir();
    let dir = tmp.path().join("mirror");
    let sc = root().join("scenarios/analyses/degerlund-mirror.yaml");
    let out = trdsim(&["run", s(&sc), "--out", s(&dir), "--quiet"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("icer.csv")).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let get = |perspective: &str, strategy: &str| -> (f64, f64) {
        let r = rows
            .iter()
            .find(|r| r[0] == perspective && r[1] == strategy)
            .unwrap();
        (r[2].parse().unwrap(), r[3].parse().unwrap())
    };
    let doc = std::fs::read_to_string(root().join("docs/model-eko-vs-ect.md")).unwrap();
    let row = |label: &str| {
        doc.lines()
            .find(|l| l.starts_with(&format!("| {label} | ")) && l.matches('|').count() == 5)
            .unwrap_or_else(|| panic!("no row `{label}` in the cross-validation table"))
            .to_string()
    };
    let (ect, eko) = (get("societal", "ect"), get("societal", "eko"));
    for (label, (cost, qalys)) in [("ECT", ect), ("esketamine", eko)] {
        let cell = format!("| {}; {qalys:.2} QALYs |", euros(cost));
        assert!(row(label).ends_with(&cell), "{} lacks {cell}", row(label));
    }
    let saving = euros(ect.0 - eko.0);
    assert!(
        row("result").contains(&format!("€{saving} cheaper) |")),
        "{}",
        row("result")
    );
    let hc = euros(get("healthcare", "ect").0 - get("healthcare", "eko").0);
    assert!(
        row("healthcare perspective")
            .ends_with(&format!("| esketamine €{hc} cheaper and more QALYs |")),
        "{}",
        row("healthcare perspective")
    );
}

/// The model document's scenario table against `trdsim compare` of the shipped scenario
/// analyses, at the flagship's 20,000 individuals: Δ cost per perspective and Δ QALYs of EKO
/// against ECT, as printed.
#[test]
fn the_documented_scenario_table_is_what_compare_gives() {
    let tmp = tempdir();
    let dir = tmp.path().join("compare");
    let mut args = vec![
        "compare".to_string(),
        root()
            .join("scenarios/eko-vs-ect.yaml")
            .display()
            .to_string(),
    ];
    let mut overlays: Vec<_> = std::fs::read_dir(root().join("scenarios/analyses"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.ends_with(".yaml") && !name.contains("lifetime") && !name.contains("degerlund")
        })
        .collect();
    overlays.sort();
    args.extend(overlays.iter().map(|p| p.display().to_string()));
    args.extend(["--out".into(), dir.display().to_string(), "--quiet".into()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = trdsim(&refs);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("compare_results.csv")).unwrap();
    let mut by: std::collections::HashMap<(String, String, String), (f64, f64)> =
        std::collections::HashMap::new();
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let stem = std::path::Path::new(c[0])
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let stem = if stem == "eko-vs-ect" {
            "base case".to_string()
        } else {
            stem
        };
        by.insert(
            (stem, c[1].to_string(), c[2].to_string()),
            (c[3].parse().unwrap(), c[4].parse().unwrap()),
        );
    }
    let doc = std::fs::read_to_string(root().join("docs/model-eko-vs-ect.md")).unwrap();
    let table: Vec<&str> = doc
        .lines()
        .skip_while(|l| !l.starts_with("| scenario (`scenarios/analyses/`)"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    let mut checked = 0;
    for row in &table {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // "base case", "`name`: what it does", or "`a`, `b`" with "x, y" in each column.
        let stems: Vec<String> = if cells[1] == "base case" {
            vec!["base case".into()]
        } else {
            cells[1]
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        };
        for (k, stem) in stems.iter().enumerate() {
            let inc = |perspective: &str| {
                let get = |s: &str| by[&(stem.clone(), perspective.to_string(), s.to_string())];
                let (eko, ect) = (get("eko"), get("ect"));
                (eko.0 - ect.0, eko.1 - ect.1)
            };
            let cell = |col: usize| cells[col].split(", ").nth(k).unwrap().to_string();
            assert_eq!(cell(2), euros(inc("societal").0), "{row}");
            assert_eq!(cell(3), euros(inc("healthcare").0), "{row}");
            assert_eq!(
                cell(4),
                format!("{:.4}", inc("societal").1).replace('-', "−"),
                "{row}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} scenarios checked");
}
