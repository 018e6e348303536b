//! Prices of one year (`settings.price_index`, a parameter's `price_year`): the tool
//! multiplies a price's value, distribution and bounds by the index factor from its year to
//! `meta.price_year`, so a model whose every price is given in 2022 costs exactly 1.073
//! times as much in 2024 euros (the CBS factor 2022 → 2024 in
//! `scenarios/data/nl_cpi_factors_to_2024.csv`), with the same QALYs.

use std::fs;
use std::path::Path;

use trdsim::engine::{self, SimSpec};
use trdsim::model::{Model, ParamDef, PriceIndexing};
use trdsim::scenario::{self, diag::LoadError};
use trdsim::{dist::Dist, params};

use crate::common::{root, tempdir};

/// CBS CPI factor from 2022 to 2024 (tatooheene `df_cpi_combined`, 3 decimals).
const F_2022_2024: f64 = 1.073;

const INDEX: &str = r#"
settings:
  price_index: {table: cpi, kind: factor, source: "CBS 83131NED via tatooheene"}
tables:
  cpi:
    file: cpi.csv
    numeric_key: year
    value: factor_to_2024
    lookup: step
    out_of_range: error
    source: "CBS 83131NED via tatooheene"
"#;

/// The three-state example extended by `overlay`, loaded from a temporary directory that
/// holds the CPI table as `cpi.csv`.
fn load(overlay: &str) -> Result<Model, LoadError> {
    let dir = tempdir();
    write(dir.path(), overlay);
    scenario::load(&dir.path().join("overlay.yaml"))
}

fn write(dir: &Path, overlay: &str) {
    let base = root().join("scenarios/examples/three-state.yaml");
    fs::copy(base, dir.join("three-state.yaml")).expect("the example is copied");
    let cpi = root().join("scenarios/data/nl_cpi_factors_to_2024.csv");
    fs::copy(cpi, dir.join("cpi.csv")).expect("the CPI table is copied");
    let text = format!("extends: three-state.yaml\nmeta: {{price_year: 2024}}\n{overlay}");
    fs::write(dir.join("overlay.yaml"), text).expect("the overlay is written");
}

fn param<'a>(m: &'a Model, name: &str) -> &'a trdsim::model::Param {
    m.params
        .iter()
        .find(|p| p.name == name)
        .expect("the parameter exists")
}

/// Every plain price of the example, given in 2022 euros.
const PRICES_2022: &str = r#"
parameters:
  c_healthy: {value: 2000, price_year: 2022, low: 1500, high: 2500, dist: {type: gamma, se: 200}, source: "DARTH c_H"}
  c_sick: {value: 4000, price_year: 2022, dist: {type: gamma, se: 400}, source: "DARTH c_S1"}
  c_treatment: {value: 12000, price_year: 2022, source: "DARTH c_trtA"}
  c_productivity_sick: {value: 3000, price_year: 2022, source: "assumption"}
"#;

#[test]
fn a_price_of_2022_is_multiplied_by_the_cpi_factor_with_its_distribution_and_bounds() {
    let m = load(&format!("{INDEX}{PRICES_2022}")).expect("the overlay is valid");
    let p = param(&m, "c_healthy");
    let ParamDef::Value {
        value,
        dist: Some(d),
    } = &p.def
    else {
        panic!("c_healthy keeps a value and a distribution: {:?}", p.def);
    };
    assert!((value - 2000.0 * F_2022_2024).abs() < 1e-9, "{value}");
    // Scaling a gamma multiplies its mean and sd by the factor (closed form).
    assert!(matches!(d, Dist::Gamma { .. }));
    assert!(
        (d.mean() - 2000.0 * F_2022_2024).abs() < 1e-6,
        "{}",
        d.mean()
    );
    assert!((d.sd() - 200.0 * F_2022_2024).abs() < 1e-6, "{}", d.sd());
    assert_eq!(p.low, Some(1500.0 * F_2022_2024));
    assert_eq!(p.high, Some(2500.0 * F_2022_2024));
    assert_eq!(
        p.price,
        Some(PriceIndexing {
            year: 2022,
            factor: F_2022_2024
        })
    );
    // A parameter without a price year is left alone.
    assert!(param(&m, "u_sick").price.is_none());
}

#[test]
fn costs_scale_by_the_factor_and_qalys_do_not_change_when_every_price_is_indexed() {
    let base = scenario::load(&root().join("scenarios/examples/three-state.yaml"))
        .expect("the example is valid");
    let indexed = load(&format!("{INDEX}{PRICES_2022}")).expect("the overlay is valid");
    let spec = SimSpec {
        draw: 0,
        n_individuals: 500,
        seed: 7,
        trajectories: 0,
    };
    let run = |m: &Model| {
        engine::simulate(m, &params::point_values(m), &spec, &|_| {}).expect("the model runs")
    };
    let (a, b) = (run(&base), run(&indexed));
    let l = &a.layout;
    for (i, (sa, sb)) in a.strategies.iter().zip(&b.strategies).enumerate() {
        for discounted in [false, true] {
            for p in 0..l.n_perspectives {
                let k = l.perspective(p, discounted);
                let (ca, cb) = (sa.outcomes[k].mean, sb.outcomes[k].mean);
                assert!(ca > 0.0);
                assert!(
                    (cb - ca * F_2022_2024).abs() <= 1e-9 * ca,
                    "strategy {i}, perspective {p}: {ca} × {F_2022_2024} ≠ {cb}"
                );
            }
            let q = l.qalys(discounted);
            assert_eq!(sa.outcomes[q], sb.outcomes[q]);
        }
    }
}

#[test]
fn a_price_index_of_levels_divides_the_target_level_by_the_year_level() {
    let dir = tempdir();
    write(
        dir.path(),
        r#"
settings:
  price_index: {table: cpi_level, kind: level}
tables:
  cpi_level: {file: level.csv, numeric_key: year, value: cpi, lookup: step, out_of_range: error}
parameters:
  c_sick: {value: 4000, price_year: 2015, dist: {type: lognormal, meanlog: 8, sdlog: 0.1}, source: "x"}
"#,
    );
    fs::write(
        dir.path().join("level.csv"),
        "year,cpi\n2015,100\n2020,105.2\n2024,125.5\n",
    )
    .expect("written");
    let m = scenario::load(&dir.path().join("overlay.yaml")).expect("valid");
    let f = 125.5 / 100.0;
    let p = param(&m, "c_sick");
    let ParamDef::Value {
        value,
        dist: Some(d),
    } = &p.def
    else {
        panic!("{:?}", p.def);
    };
    assert!((value - 4000.0 * f).abs() < 1e-9);
    // A lognormal times f is a lognormal with meanlog + ln f (closed form).
    assert_eq!(
        *d,
        Dist::LogNormal {
            meanlog: 8.0 + f.ln(),
            sdlog: 0.1
        }
    );
}

/// The first error's line and message.
fn first_error(overlay: &str) -> (u64, String) {
    let e = load(overlay).expect_err("the overlay is invalid");
    let d = e
        .diagnostics
        .iter()
        .find(|d| d.severity == trdsim::scenario::diag::Severity::Error)
        .expect("an error");
    assert!(d.file.ends_with("overlay.yaml"), "{}", d.file);
    (d.line, format!("{}: {}", d.path, d.message))
}

#[test]
fn bad_price_indexing_is_a_located_error() {
    let cases: &[(&str, u64, &str)] = &[
        (
            "parameters:\n  c_sick: {value: 4000, price_year: 2022, source: x}\n",
            4,
            "parameters.c_sick.price_year: a price year needs a price index",
        ),
        (
            &format!(
                "{INDEX}parameters:\n  c_sick: {{value: 4000, price_year: 2009, source: x}}\n"
            ),
            15,
            "no positive value for price year 2009",
        ),
        (
            &format!(
                "{INDEX}parameters:\n  c_sick: {{value: 4000, price_year: 2022.5, source: x}}\n"
            ),
            15,
            "is not a year",
        ),
        (
            &format!(
                "{INDEX}parameters:\n  c_sick: {{expr: \"2 * c_healthy\", price_year: 2022, source: x}}\n"
            ),
            15,
            "a derived parameter (`expr`) is indexed through the prices it uses",
        ),
        (
            &format!(
                "{INDEX}parameters:\n  c_sick:\n    value: 0.4\n    price_year: 2022\n    dist: {{type: beta, se: 0.1}}\n    source: x\n"
            ),
            18,
            "a beta distribution cannot be multiplied by a price index",
        ),
        (
            &INDEX.replace("table: cpi,", "table: cpl,"),
            5,
            "unknown table `cpl`; did you mean `cpi`?",
        ),
        (
            &INDEX.replace("kind: factor", "kind: ratio"),
            5,
            "unknown index kind `ratio`",
        ),
    ];
    for (overlay, line, fragment) in cases {
        let (l, message) = first_error(overlay);
        assert!(
            message.contains(fragment),
            "{message}\n  expected: {fragment}"
        );
        assert_eq!(l, *line, "{message}");
    }
}

#[test]
fn a_price_index_needs_the_year_to_index_to() {
    let dir = tempdir();
    write(dir.path(), INDEX);
    let text = fs::read_to_string(dir.path().join("overlay.yaml")).expect("read");
    fs::write(
        dir.path().join("overlay.yaml"),
        text.replace("meta: {price_year: 2024}\n", ""),
    )
    .expect("written");
    // The base (three-state) names 2022, which the table has; without it the run fails.
    let base = fs::read_to_string(dir.path().join("three-state.yaml")).expect("read");
    fs::write(
        dir.path().join("three-state.yaml"),
        base.replace("  price_year: 2022\n", ""),
    )
    .expect("written");
    let e = scenario::load(&dir.path().join("overlay.yaml")).expect_err("invalid");
    let text = e.to_string();
    assert!(text.contains("expected `meta.price_year`"), "{text}");
}
