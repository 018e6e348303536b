//! No NaN or infinity in a successful run's files: a computation that overflows is an error
//! (exit 2) naming the input that caused it, and the draw in a probabilistic analysis. The
//! thresholds that can be checked up front are bounded at validation (the invalid scenarios
//! `wtp-too-large`, `psa-wtp-max-too-large` and `population-per-year-too-large` in
//! `tests/invalid/`); the rest is caught while running, and a last guard refuses a CSV file
//! with a non-finite number.

use std::fs;

use trdsim::analysis::Silent;
use trdsim::analysis::psa::{AnalysisSettings, analyse};
use trdsim::analysis::read::{PsaData, analysis_from_info};
use trdsim::analysis::voi::{self, VoiRequest};
use trdsim::econ::psa::PsaTable;
use trdsim::{output, params, scenario};

use crate::common::{code, root, s, stderr, tempdir, trdsim};

/// three-state.yaml with each `old` (which must occur once) replaced by `new`.
fn three_state_with(edits: &[(&str, &str)]) -> String {
    let mut text = fs::read_to_string(root().join("scenarios/examples/three-state.yaml"))
        .expect("the example is readable");
    for (old, new) in edits {
        assert_eq!(text.matches(old).count(), 1, "`{old}` occurs once");
        text = text.replace(old, new);
    }
    text
}

/// Run `text` as a scenario with `extra` arguments; returns exit code and stderr, and checks
/// that no result directory (or temporary directory) was left behind on failure.
fn run(text: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempdir();
    let path = dir.path().join("scenario.yaml");
    fs::write(&path, text).expect("written");
    let results = dir.path().join("results");
    let mut args = vec!["run", s(&path), "--out", s(&results), "--quiet"];
    args.extend_from_slice(extra);
    let out = trdsim(&args);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    if code(&out) != 0 {
        let left: Vec<_> = fs::read_dir(dir.path())
            .expect("listable")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        assert_eq!(left, ["scenario.yaml"], "a failed run left files behind");
    }
    (code(&out), err)
}

#[test]
fn costs_near_1e300_stop_the_run_naming_the_cost() {
    // Each person's cost is finite (about 4e300), but its square, which the Monte Carlo
    // error needs, is not: before, results.csv said `mcse = inf`.
    let text = three_state_with(&[("    value: 12000\n", "    value: 1e300\n")]);
    let (code, err) = run(&text, &["--individuals", "200"]);
    assert_eq!(code, 2, "{err}");
    for fragment in [
        "strategy `treatment`: the discounted cost `healthcare` per person is",
        "with a Monte Carlo standard error of inf; expected finite results",
        "the largest is 1e300 (state `sick`, per cycle)",
    ] {
        assert!(err.contains(fragment), "no `{fragment}` in:\n{err}");
    }
}

#[test]
fn a_cost_that_overflows_in_one_individual_is_an_error_naming_its_state() {
    // A treatment cost of 1.7e308 a year is finite, but an individual's sum over the
    // cycles sick is not. Found by the fuzz harness
    // (seed 9, case 772), which asks that the error name the input behind it.
    let text = three_state_with(&[("    value: 12000\n", "    value: 1.7e308\n")]);
    let (code, err) = run(&text, &["--individuals", "200"]);
    assert_eq!(code, 2, "{err}");
    for fragment in [
        "strategy `treatment`, individual",
        "expected finite payoffs",
        "the largest such payoff is 1.7e308 (state `sick`, per cycle)",
    ] {
        assert!(err.contains(fragment), "no `{fragment}` in:\n{err}");
    }
}

#[test]
fn an_infinite_draw_stops_the_psa_naming_the_parameter_and_the_draw() {
    // A lognormal with sdlog 500 draws `inf` (exp of more than 709.78) in about 8% of draws.
    // Capped by `min`, an infinite cost used to pass unnoticed: exit 0, and a draws.csv
    // with `inf` in it.
    let text = three_state_with(&[
        (
            "    value: 3000\n",
            "    value: 3000\n    dist: {type: lognormal, meanlog: 8, sdlog: 500}\n",
        ),
        (
            "productivity: c_productivity_sick",
            "productivity: \"min(c_productivity_sick, 1e6)\"",
        ),
    ]);
    // Which draw is the first infinite one, from the pinned parameter streams.
    let model = scenario::load_str(&text, "scenario.yaml", "scenario", &root()).expect("valid");
    let i = model
        .params
        .iter()
        .position(|p| p.name == "c_productivity_sick")
        .expect("the parameter exists");
    let first = (1..=100)
        .find(|&d| !params::draw(&model, model.settings.seed, d)[i].is_finite())
        .expect("a draw out of 100 is infinite");

    let (code, err) = run(
        &text,
        &[
            "--individuals",
            "100",
            "--draws",
            "100",
            "--draw-individuals",
            "50",
        ],
    );
    assert_eq!(code, 2, "{err}");
    let expected = format!(
        "probabilistic draw {first}: parameter `c_productivity_sick` took the value inf from its lognormal distribution; expected a finite number"
    );
    assert!(err.contains(&expected), "no `{expected}` in:\n{err}");
}

#[test]
fn an_infinite_dsa_bound_stops_the_dsa_naming_the_parameter() {
    // The 97.5th percentile of that lognormal is exp(8 + 1.96 × 500) = inf.
    let text = three_state_with(&[(
        "    value: 3000\n",
        "    value: 3000\n    dist: {type: lognormal, meanlog: 8, sdlog: 500}\n",
    )]);
    let dir = tempdir();
    let path = dir.path().join("scenario.yaml");
    fs::write(&path, text).expect("written");
    let results = dir.path().join("dsa");
    // Named, and among all parameters: before, the first said "no parameter to vary" and the
    // second left the parameter out of the tornado without a word.
    for only in [&["--params", "c_productivity_sick"][..], &[]] {
        let mut args = vec![
            "dsa",
            s(&path),
            "--individuals",
            "100",
            "--out",
            s(&results),
        ];
        args.extend_from_slice(only);
        let out = trdsim(&args);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{only:?}: {err}");
        assert!(
            err.contains(
                "parameter `c_productivity_sick` took the value inf from its lognormal distribution (its 97.5th percentile, a bound of the one-way analysis)"
            ),
            "{err}"
        );
        assert!(!results.exists());
    }
}

#[test]
fn willingness_to_pay_on_the_dsa_command_line_is_bounded() {
    let sc = root().join("scenarios/examples/three-state.yaml");
    let dir = tempdir();
    let out = trdsim(&[
        "dsa",
        s(&sc),
        "--wtp",
        "1e308",
        "--out",
        s(&dir.path().join("dsa")),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("--wtp: expected a non-negative number of at most 1e12"));
}

#[test]
fn the_largest_documented_bounds_are_accepted() {
    // wtp and wtp_max at 1e12 and a population of 1e10 a year are valid, and a PSA with
    // them writes only finite numbers.
    let text = three_state_with(&[
        ("wtp: [20000, 50000, 80000]", "wtp: [20000, 1e12]"),
        (
            "  reference_strategy: usual_care\n",
            "  reference_strategy: usual_care\n  psa: {wtp_max: 1e12, population: {per_year: 1e10, years: 1000}}\n",
        ),
    ]);
    let dir = tempdir();
    let path = dir.path().join("scenario.yaml");
    fs::write(&path, text).expect("written");
    let results = dir.path().join("results");
    let out = trdsim(&[
        "run",
        s(&path),
        "--out",
        s(&results),
        "--quiet",
        "--individuals",
        "100",
        "--draws",
        "5",
        "--draw-individuals",
        "50",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for f in ["nmb.csv", "ceac.csv", "evpi.csv", "psa_summary.csv"] {
        let text = fs::read_to_string(results.join(f)).expect("written");
        assert!(
            !text.contains("NaN") && !text.contains("inf"),
            "{f} holds a non-finite number:\n{text}"
        );
    }
}

#[test]
fn a_csv_with_a_non_finite_number_is_never_written() {
    let dir = tempdir();
    for bad in ["NaN", "inf", "-inf"] {
        let path = dir.path().join("nmb.csv");
        let e = output::write_file(&path, &format!("perspective,wtp,nmb\ns,1,2\ns,3,{bad}\n"))
            .expect_err(bad);
        assert!(
            e.to_string().starts_with(&format!(
                "`nmb.csv` line 3, column `nmb`: {bad}; expected a finite number"
            )),
            "{e}"
        );
        assert!(!path.exists(), "the file was written");
    }
    // Other files, and text columns, are not numbers.
    output::write_file(&dir.path().join("notes.txt"), "NaN\n").expect("not a CSV");
    output::write_file(&dir.path().join("t.csv"), "strategy,x\ninf,1\n").expect("a name");
}

fn settings(wtp_max: f64) -> AnalysisSettings {
    AnalysisSettings {
        title: "t".into(),
        currency: "EUR".into(),
        reference: "a".into(),
        thresholds: vec![0.0],
        wtp_max,
        wtp_steps: 2,
        population_per_year: 0.0,
        population_years: 0,
        population_discount: 0.0,
        labels: Vec::new(),
    }
}

/// Two strategies and two draws, from costs and QALYs in draw-major order.
fn psa_data(costs: &[f64], qalys: &[f64]) -> PsaData {
    // Built field by field: `push_draw` asserts finite values in debug builds.
    let t = PsaTable {
        n_draws: 2,
        n_strategies: 2,
        cost: costs.to_vec(),
        effect: qalys.to_vec(),
    };
    PsaData {
        strategies: vec!["a".into(), "b".into()],
        perspectives: vec!["p".into()],
        wtp: vec![0.0],
        draws: vec![1, 2],
        tables: vec![t],
        inmb_se: vec![vec![vec![vec![0.0]; 2]; 2]],
    }
}

#[test]
fn psa_statistics_that_overflow_are_an_error_naming_the_draw() {
    // Each cost is finite, but their mean over the draws, (1e308 + 1.5e308) / 2, is not.
    let data = psa_data(&[1.0, 1e308, 2.0, 1.5e308], &[1.0, 1.0, 1.0, 1.0]);
    let e = analyse(&data, &settings(10.0)).expect_err("the mean overflows");
    let e = e.to_string();
    assert!(
        e.starts_with("probabilistic analysis, `p` perspective: the mean or interval of the costs or QALYs of `b` is not finite"),
        "{e}"
    );
    assert!(e.contains("the largest are in draw 2: cost 1.5e308"), "{e}");

    // Finite inputs of ordinary size analyse without complaint.
    let data = psa_data(&[1.0, 2.0, 2.0, 3.0], &[1.0, 1.1, 1.0, 1.2]);
    analyse(&data, &settings(10.0)).expect("finite");
}

#[test]
fn a_non_finite_cell_of_psa_csv_is_an_error_naming_the_draw() {
    let data = psa_data(&[1.0, 2.0, 2.0, f64::NAN], &[1.0, 1.1, 1.0, 1.2]);
    let e = analyse(&data, &settings(10.0)).expect_err("NaN in psa.csv");
    assert!(
        e.to_string()
            .starts_with("psa.csv: draw 2, strategy `b`, `p` perspective: cost NaN"),
        "{e}"
    );
}

#[test]
fn the_scenario_format_documents_the_bounds() {
    let doc = fs::read_to_string(root().join("docs/scenario-format.md")).expect("readable");
    for needle in [
        "at most 10¹²",
        "at most 10¹⁰",
        "-0.446",
        "individual-cycles",
    ] {
        assert!(
            doc.contains(needle),
            "docs/scenario-format.md lacks `{needle}`"
        );
    }
}

#[test]
fn evppi_that_overflows_is_an_error_naming_the_target_and_the_draw() {
    // A run of the value-of-information toy whose psa.csv costs and QALYs are then scaled by
    // 1e200: each net benefit is finite (about 1e205) and so are the EVPI's means, but the
    // regression's sums of squares are not. Before, the EVPPI came back as NaN or inf and
    // evppi.csv held it.
    let tmp = tempdir();
    let out = tmp.path().join("toy");
    let toy = "tests/data/voi-toy.yaml";
    let run = trdsim(&["run", toy, "--draws", "60", "--quiet", "--out", s(&out)]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let text = fs::read_to_string(out.join("psa.csv")).expect("written");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (draw, cost, qalys) = (column("draw"), column("cost"), column("qalys"));
    let mut scaled = header.join(",") + "\n";
    let mut largest = (0.0_f64, String::new());
    for line in lines {
        let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
        let c = f[cost].parse::<f64>().expect("a number") * 1e200;
        let q = f[qalys].parse::<f64>().expect("a number") * 1e200;
        if c.abs().max(q.abs()) > largest.0 {
            largest = (c.abs().max(q.abs()), f[draw].clone());
        }
        f[cost] = format!("{c}");
        f[qalys] = format!("{q}");
        scaled += &(f.join(",") + "\n");
    }
    fs::write(out.join("psa.csv"), scaled).expect("rewritten");

    let model = scenario::load(&root().join(toy)).expect("valid");
    let info: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("run.json")).expect("run.json")).expect("json");
    let settings = analysis_from_info(&info["figures"]);
    let req = VoiRequest {
        params: vec!["u_gain".into()],
        ..VoiRequest::default()
    };
    let e = voi::analyse(&out, &settings, &model, &req, &Silent)
        .expect_err("the EVPPI overflows")
        .to_string();
    assert!(
        e.starts_with("value of information, `healthcare` perspective: the "),
        "{e}"
    );
    assert!(e.contains("of `u_gain` at "), "{e}");
    assert!(
        e.contains(&format!("the largest are in draw {}:", largest.1)),
        "{e}"
    );
}
