//! The last check of a probabilistic analysis: every statistic is finite.
//!
//! The engine already refuses a draw whose costs or QALYs are not finite, and validation
//! bounds the willingness to pay and the population (`scenario::MAX_WTP`,
//! `scenario::MAX_POPULATION_PER_YEAR`). What is left is arithmetic on finite but huge
//! numbers: `wtp × ΔQALYs` squared for the Monte Carlo error between draws, or per-person
//! EVPI times the population. Such an overflow is an error naming the statistic, the
//! perspective, the willingness to pay and the draw with the largest value, instead of a NaN
//! in `ceac.csv`, `evpi.csv`, `psa_summary.csv` or `run.json`.

use crate::econ::psa::Interval;

use super::AnalysisError;
use super::psa::{AnalysisSettings, PsaAnalysis};
use super::read::{DrawsData, PsaData};
use super::voi::{VoiMethod, VoiResult};

/// Every number the analysis computed from `data` is finite.
pub(crate) fn check_psa(
    data: &PsaData,
    an: &PsaAnalysis,
    a: &AnalysisSettings,
) -> Result<(), AnalysisError> {
    for (p, pa) in an.perspectives.iter().enumerate() {
        let persp = &data.perspectives[p];
        let fail = |what: String, cause: String| {
            Err(AnalysisError::Failed(format!(
                "probabilistic analysis, `{persp}` perspective: the {what} is not finite; expected finite results: {cause}"
            )))
        };
        let sm = &pa.summary;
        for row in &sm.strategies {
            let name = &data.strategies[row.strategy];
            if !finite(row.cost) || !finite(row.effect) {
                return fail(
                    format!("mean or interval of the costs or QALYs of `{name}`"),
                    largest_draw(data, p, row.strategy),
                );
            }
        }
        for row in &sm.incremental {
            let name = &data.strategies[row.strategy];
            if !finite(row.inc_cost) || !finite(row.inc_effect) {
                return fail(
                    format!("incremental costs or QALYs of `{name}`"),
                    largest_draw(data, p, row.strategy),
                );
            }
        }
        for row in &sm.inmb {
            if !finite(row.inmb) {
                let name = &data.strategies[row.strategy];
                return fail(
                    format!(
                        "incremental net monetary benefit of `{name}` at {}",
                        row.wtp
                    ),
                    largest_draw(data, p, row.strategy),
                );
            }
        }
        for (w, e) in an.grid.iter().zip(&pa.evpi) {
            if !e.is_finite() {
                return fail(
                    format!("EVPI per person at {w} per QALY (settings.psa.wtp_max)"),
                    largest_draw(data, p, an.reference),
                );
            }
            if !(e * an.population_factor).is_finite() {
                return fail(
                    format!("population EVPI at {w} per QALY"),
                    format!(
                        "EVPI per person {e:e} times the discounted population {:e} overflows (settings.psa.population: {} people per year for {} years)",
                        an.population_factor, a.population_per_year, a.population_years
                    ),
                );
            }
        }
    }
    for (persp, w, s, se, share) in &an.findings.mc_error {
        if !se.is_finite() || !share.is_finite() {
            let p = data.perspectives.iter().position(|x| x == persp);
            let i = data.strategies.iter().position(|x| x == s);
            let cause = match (p, i) {
                (Some(p), Some(i)) => largest_draw(data, p, i),
                _ => String::new(),
            };
            return Err(AnalysisError::Failed(format!(
                "probabilistic analysis, `{persp}` perspective: the Monte Carlo error between draws of the incremental net monetary benefit of `{s}` at {w} per QALY is {se}; expected finite results: {cause}"
            )));
        }
    }
    Ok(())
}

/// The costs and QALYs read from `psa.csv` are finite (a slice written by another version,
/// or edited, could hold anything); checked before any statistic is computed.
pub(crate) fn check_inputs(data: &PsaData) -> Result<(), AnalysisError> {
    for (p, t) in data.tables.iter().enumerate() {
        let values = t.cost.iter().zip(&t.effect).enumerate();
        for (i, (c, e)) in values {
            if !c.is_finite() || !e.is_finite() {
                let (d, s) = (i / t.n_strategies, i % t.n_strategies);
                return Err(AnalysisError::Failed(format!(
                    "psa.csv: draw {}, strategy `{}`, `{}` perspective: cost {c}, QALYs {e}; expected finite numbers",
                    data.draws.get(d).copied().unwrap_or(0),
                    data.strategies[s],
                    data.perspectives[p]
                )));
            }
        }
    }
    Ok(())
}

/// Every number of an EVPPI analysis is finite: per person, per population, its standard
/// error and (nested) its inner-sample bias, and the EVPI it is compared with. An overflow
/// names the parameter or group, the perspective, the willingness to pay and, for the
/// regression on a run's draws, the draw with the largest costs or QALYs.
pub(crate) fn check_voi(data: &PsaData, r: &VoiResult) -> Result<(), AnalysisError> {
    let fail = |p: usize, what: String, w: f64, value: f64| {
        let persp = &r.perspectives[p];
        let cause = match r.method {
            VoiMethod::Regression => largest_of_all(data, p),
            VoiMethod::Nested => {
                "the nested simulation's costs or QALYs are too large to average and square"
                    .to_string()
            }
        };
        Err(AnalysisError::Failed(format!(
            "value of information, `{persp}` perspective: the {what} at {w} per QALY is {value}; expected finite results: {cause}"
        )))
    };
    for p in 0..r.perspectives.len() {
        for (w, e) in r.grid.iter().zip(&r.evpi[p]) {
            if !e.is_finite() {
                return fail(p, "EVPI per person".into(), *w, *e);
            }
        }
        for (t, te) in r.targets.iter().zip(&r.estimates[p]) {
            let bias = te.inner_bias.as_deref().unwrap_or(&[]);
            for (i, (w, e)) in r.grid.iter().zip(&te.estimates).enumerate() {
                let b = bias.get(i).copied().unwrap_or(0.0);
                let population = e.value * r.population_factor;
                let bad = [
                    ("EVPPI per person", e.value),
                    ("standard error of the EVPPI", e.se),
                    ("inner-sample bias of the EVPPI", b),
                    ("population EVPPI", population),
                ];
                if let Some((what, x)) = bad.into_iter().find(|(_, x)| !x.is_finite()) {
                    return fail(p, format!("{what} of `{}`", t.name), *w, x);
                }
            }
        }
    }
    Ok(())
}

/// The draw with the largest cost or QALYs of any strategy in perspective `p`.
fn largest_of_all(data: &PsaData, p: usize) -> String {
    let t = &data.tables[p];
    let size = |i: usize| t.cost[i].abs().max(t.effect[i].abs());
    let biggest =
        (0..t.n_draws * t.n_strategies).reduce(|a, b| if size(b) > size(a) { b } else { a });
    match biggest {
        Some(i) => largest_draw(data, p, i % t.n_strategies),
        None => "the analysis has no draws".to_string(),
    }
}

/// The parameter values read from `draws.csv` are finite (a run never writes others).
pub(crate) fn check_draws(data: &DrawsData) -> Result<(), AnalysisError> {
    for (name, column) in data.names.iter().zip(&data.values) {
        if let Some((d, x)) = (data.draws.iter().zip(column)).find(|(_, x)| !x.is_finite()) {
            return Err(AnalysisError::Failed(format!(
                "draws.csv: draw {d}, parameter `{name}`: {x}; expected a finite number"
            )));
        }
    }
    Ok(())
}

fn finite(iv: Interval) -> bool {
    iv.mean.is_finite() && iv.low.is_finite() && iv.high.is_finite()
}

/// The draw with the largest cost or QALYs of strategy `s`, the input that overflowed.
fn largest_draw(data: &PsaData, p: usize, s: usize) -> String {
    let t = &data.tables[p];
    let mut best: Option<(usize, f64)> = None;
    for d in 0..t.n_draws {
        let i = d * t.n_strategies + s;
        let size = t.cost[i].abs().max(t.effect[i].abs());
        if best.is_none_or(|(_, b)| size > b) {
            best = Some((d, size));
        }
    }
    match best {
        Some((d, _)) => {
            let i = d * t.n_strategies + s;
            format!(
                "the costs or QALYs of `{}` are too large for the statistics of the draws (psa.csv); the largest are in draw {}: cost {:e}, QALYs {:e}",
                data.strategies[s],
                data.draws.get(d).copied().unwrap_or(0),
                t.cost[i],
                t.effect[i]
            )
        }
        None => "the analysis has no draws".to_string(),
    }
}
