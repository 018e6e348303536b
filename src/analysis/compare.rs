//! Scenario comparison: what differs in the inputs of several scenarios, and their results
//! side by side (incremental analysis per perspective, and the probability cost-effective
//! from a probabilistic analysis when asked).

use crate::econ::psa::PsaTable;
use crate::econ::{IcerRow, Outcome};
use crate::engine::{self, SimSpec};
use crate::model::{Model, ParamDef, WithinCycle};
use crate::params;

use super::{AnalysisError, MAX_DRAWS, Progress, check_individuals};

/// What a caller asks of a comparison.
#[derive(Clone, Debug, Default)]
pub struct CompareRequest {
    /// Individuals per scenario (and per draw with `draws`) [default: each scenario's].
    pub individuals: Option<usize>,
    /// Also run a PSA of this many draws per scenario.
    pub draws: Option<usize>,
}

/// One input that differs from the first scenario's.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub scenario: usize,
    pub item: String,
    /// `None`: absent there.
    pub in_first: Option<String>,
    pub in_this: Option<String>,
}

/// One strategy's row of one scenario's incremental analysis in one perspective.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRow {
    pub scenario: usize,
    pub perspective: String,
    pub strategy: String,
    pub icer: IcerRow,
    /// Probability cost-effective at each of the first scenario's thresholds.
    pub prob_cost_effective: Option<Vec<f64>>,
    /// Incremental net monetary benefit against the scenario's reference strategy
    /// (`settings.reference_strategy`) at each of the first scenario's thresholds.
    pub inmb: Vec<InmbEstimate>,
}

/// The incremental net monetary benefit of a strategy against the reference at one
/// threshold: the base case's, `wtp · ΔE − ΔC` of the mean outcomes, and with a PSA the
/// 2.5th and 97.5th percentiles of the draws' (R's type 7, as every PSA interval here).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InmbEstimate {
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

/// What a figure of the comparison names: each scenario's title, currency, strategy
/// labels and reference strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioInfo {
    pub title: String,
    pub currency: String,
    /// `(id, label)` of each strategy, in the scenario's order.
    pub strategies: Vec<(String, String)>,
    pub reference: usize,
}

/// A comparison of scenarios, against the first.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Each scenario's title (`meta.title`), in the order given.
    pub titles: Vec<String>,
    /// The first scenario's thresholds (settings.wtp).
    pub thresholds: Vec<f64>,
    pub changes: Vec<Change>,
    pub rows: Vec<CompareRow>,
    /// One per scenario, in order.
    pub scenarios: Vec<ScenarioInfo>,
}

/// Check a comparison request.
pub fn check(req: &CompareRequest) -> Result<(), AnalysisError> {
    if let Some(n) = req.individuals {
        check_individuals("--individuals", n)?;
    }
    if let Some(d) = req.draws
        && (d == 0 || d > MAX_DRAWS)
    {
        return Err(AnalysisError::Invalid(format!(
            "--draws: expected a number from 1 to {MAX_DRAWS}, found {d}"
        )));
    }
    Ok(())
}

/// Compare scenarios; differences are taken against the first. A simulation error is
/// returned with the index of the scenario concerned.
pub fn compare(
    models: &[Model],
    req: &CompareRequest,
    progress: &dyn Progress,
) -> Result<Comparison, (usize, AnalysisError)> {
    check(req).map_err(|e| (0, e))?;
    if let Some(d) = req.draws {
        for (i, m) in models.iter().enumerate() {
            super::check_psa_memory(m, d).map_err(|e| (i, e))?;
        }
    }
    let first = inputs(&models[0]);
    let thresholds = models[0].settings.wtp_per_qaly.clone();
    let mut out = Comparison {
        titles: models.iter().map(|m| m.meta.title.clone()).collect(),
        thresholds,
        changes: Vec::new(),
        rows: Vec::new(),
        scenarios: Vec::with_capacity(models.len()),
    };
    for (i, model) in models.iter().enumerate() {
        out.scenarios.push(ScenarioInfo {
            title: model.meta.title.clone(),
            currency: model.meta.currency.clone(),
            strategies: model
                .strategies
                .iter()
                .map(|s| (s.name.clone(), s.label.clone()))
                .collect(),
            reference: model.settings.reference_strategy.0,
        });
        out.changes.extend(changes(i, &first, &inputs(model)));
        scenario_rows(i, model, req, &mut out, progress).map_err(|e| (i, e))?;
    }
    Ok(out)
}

/// The inputs of `these` that differ from `first`'s, then those absent from `these`.
fn changes(scenario: usize, first: &[(String, String)], these: &[(String, String)]) -> Vec<Change> {
    let mut out = Vec::new();
    for (item, value) in these {
        let before = first.iter().find(|(i, _)| i == item).map(|(_, v)| v);
        if before != Some(value) {
            out.push(Change {
                scenario,
                item: item.clone(),
                in_first: before.cloned(),
                in_this: Some(value.clone()),
            });
        }
    }
    for (item, value) in first {
        if !these.iter().any(|(i, _)| i == item) {
            out.push(Change {
                scenario,
                item: item.clone(),
                in_first: Some(value.clone()),
                in_this: None,
            });
        }
    }
    out
}

/// One scenario's base case (and PSA) into rows of the comparison.
fn scenario_rows(
    i: usize,
    model: &Model,
    req: &CompareRequest,
    out: &mut Comparison,
    progress: &dyn Progress,
) -> Result<(), AnalysisError> {
    let n = req.individuals.unwrap_or(model.settings.n_individuals);
    let spec = SimSpec {
        draw: 0,
        n_individuals: n,
        seed: model.settings.seed,
        trajectories: 0,
    };
    let sim = engine::simulate(model, &params::point_values(model), &spec, &|_| {})?;
    let draws = match req.draws {
        None => None,
        Some(d) => {
            let per = req.individuals.unwrap_or(model.settings.psa.n_individuals);
            let phase = progress.phase(d as u64, "draws");
            Some(engine::simulate_draws(
                model,
                1,
                d as u64,
                per,
                model.settings.seed,
                &|k| phase.advance(k as u64),
            )?)
        }
    };
    let l = sim.layout;
    for (p, persp) in model.perspectives.iter().enumerate() {
        let oc: Vec<Outcome> = sim
            .strategies
            .iter()
            .map(|s| Outcome {
                cost: s.outcomes[l.perspective(p, true)].mean,
                effect: s.outcomes[l.qalys(true)].mean,
            })
            .collect();
        let table = draws.as_ref().map(|d| {
            let mut t = PsaTable::new(model.strategies.len());
            for draw in d {
                let c: Vec<f64> = draw
                    .outcomes
                    .iter()
                    .map(|o| o[l.perspective(p, true)])
                    .collect();
                let e: Vec<f64> = draw.outcomes.iter().map(|o| o[l.qalys(true)]).collect();
                t.push_draw(&c, &e);
            }
            t
        });
        let reference = model.settings.reference_strategy.0;
        let probs = table
            .as_ref()
            .map(|t| crate::econ::psa::ceac(t, &out.thresholds, reference));
        for row in crate::econ::incremental(&oc) {
            let s = row.strategy;
            let inmb = out
                .thresholds
                .iter()
                .map(|w| InmbEstimate {
                    value: w * (oc[s].effect - oc[reference].effect)
                        - (oc[s].cost - oc[reference].cost),
                    interval: table.as_ref().map(|t| {
                        let draws: Vec<f64> = (0..t.n_draws)
                            .map(|d| t.inmb(d, s, reference, *w))
                            .collect();
                        let i = crate::econ::psa::interval(&draws);
                        (i.low, i.high)
                    }),
                })
                .collect();
            out.rows.push(CompareRow {
                scenario: i,
                perspective: persp.name.clone(),
                strategy: model.strategies[row.strategy].name.clone(),
                prob_cost_effective: probs
                    .as_ref()
                    .map(|pts| pts.iter().map(|pt| pt.prob_best[row.strategy]).collect()),
                inmb,
                icer: row,
            });
        }
    }
    Ok(())
}

/// `x` as the shortest decimal of at most `digits` significant digits, so that float
/// noise (`0.48000000000000004`) does not show: dividing the rounded integer by a power
/// of ten gives the double nearest the decimal, which prints as that decimal.
fn decimal(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let k = digits - 1 - x.abs().log10().floor() as i32;
    let rounded = if k >= 0 {
        let scale = 10f64.powi(k.min(300));
        (x * scale).round() / scale
    } else {
        let scale = 10f64.powi((-k).min(300));
        (x / scale).round() * scale
    };
    rounded.to_string()
}

/// A distribution as a reader compares it: family, mean and 95% interval to four
/// significant digits, e.g. `beta, mean 0.7, 95% interval 0.3999 to 0.9251`.
fn dist_text(d: &crate::dist::Dist) -> String {
    format!(
        "{}, mean {}, 95% interval {} to {}",
        d.name(),
        decimal(d.mean(), 4),
        decimal(d.quantile(0.025), 4),
        decimal(d.quantile(0.975), 4)
    )
}

/// The settings and parameter values of a model as comparable text, by item name.
pub fn inputs(model: &Model) -> Vec<(String, String)> {
    let st = &model.settings;
    let mut v = vec![
        (
            "settings.cycle".to_string(),
            format!("{} {}", st.cycle_length, st.cycle_unit.as_str()),
        ),
        ("settings.cycles".to_string(), st.n_cycles.to_string()),
        (
            "settings.discount.costs".to_string(),
            st.discount_rate_costs_annual.to_string(),
        ),
        (
            "settings.discount.effects".to_string(),
            st.discount_rate_effects_annual.to_string(),
        ),
        (
            "settings.discount.compounding".to_string(),
            st.discount_compounding.as_str().to_string(),
        ),
        (
            "settings.within_cycle".to_string(),
            match &st.within_cycle {
                WithinCycle::Weights(w) => format!("weights: {}", w.source),
                other => other.as_str().to_string(),
            },
        ),
        (
            "settings.transition_timing".to_string(),
            st.transition_timing.as_str().to_string(),
        ),
        (
            "settings.individuals".to_string(),
            st.n_individuals.to_string(),
        ),
        ("settings.seed".to_string(), st.seed.to_string()),
        (
            "settings.wtp".to_string(),
            st.wtp_per_qaly
                .iter()
                .map(|w| decimal(*w, 12))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    for (p, persp) in model.perspectives.iter().enumerate() {
        let cats: Vec<&str> = model
            .cost_categories
            .iter()
            .zip(&persp.includes)
            .filter(|(_, i)| **i)
            .map(|(c, _)| c.as_str())
            .collect();
        let _ = p;
        v.push((
            format!("settings.perspectives.{}", persp.name),
            cats.join(" "),
        ));
    }
    let base = params::point_values(model);
    for (i, p) in model.params.iter().enumerate() {
        let text = match &p.def {
            ParamDef::Value { dist, .. } => match dist {
                Some(d) => format!("{} ({})", decimal(base[i], 12), dist_text(d)),
                None => decimal(base[i], 12),
            },
            ParamDef::Dirichlet { value, group } => format!(
                "{} (Dirichlet {})",
                decimal(*value, 12),
                model.dirichlet[*group].name
            ),
            ParamDef::Derived(_) => "(derived)".to_string(),
        };
        v.push((format!("parameters.{}", p.name), text));
    }
    for st in &model.strategies {
        for (i, o) in st.overridden.iter().enumerate() {
            if *o {
                let text = match &st.params[i] {
                    ParamDef::Value { value, .. } => value.to_string(),
                    _ => "(expression)".to_string(),
                };
                v.push((
                    format!("strategies.{}.parameters.{}", st.name, model.params[i].name),
                    text,
                ));
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;

    /// Values are compared as a reader writes them: no float noise, no Rust debug text.
    /// Beta(7, 3) has mean 0.7 and percentiles 0.3999 and 0.9251 (the binomial sum of the
    /// regularised incomplete beta function, inverted by bisection).
    #[test]
    fn inputs_are_written_as_decimals_and_distributions_in_words() {
        assert_eq!(decimal(0.48000000000000004, 12), "0.48");
        assert_eq!(decimal(123456.7, 4), "123500");
        assert_eq!(decimal(20000.0, 12), "20000");
        let d = Dist::Beta {
            alpha: 7.0,
            beta: 3.0,
        };
        assert_eq!(
            dist_text(&d),
            "beta, mean 0.7, 95% interval 0.3999 to 0.9251"
        );
    }
}
