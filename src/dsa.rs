//! One-way deterministic sensitivity analysis: each parameter at a low and a high value
//! with all others at their point values, on the same individuals and random numbers
//! (common random numbers make the differences free of Monte Carlo noise between runs).

use crate::engine::{self, Layout, SimError, SimSpec};
use crate::model::{Model, ParamDef};
use crate::params;

/// The range one parameter is varied over, and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    pub param: usize,
    pub low: f64,
    pub high: f64,
    /// `"low/high"` when given in the scenario, else `"2.5%/97.5%"` of the distribution.
    pub basis: &'static str,
}

/// The parameters a one-way analysis varies: those with explicit `low`/`high`, else those
/// with a non-degenerate distribution (2.5th and 97.5th percentiles, the convention of
/// dampack's `run_owsa_det` and of TreeAge's tornado defaults). Dirichlet members are not
/// varied one at a time, because their group must sum to one; derived parameters vary
/// through their inputs.
pub fn ranges(model: &Model, only: Option<&[usize]>) -> Vec<Range> {
    model
        .params
        .iter()
        .enumerate()
        .filter(|(i, _)| only.is_none_or(|o| o.contains(i)))
        .filter_map(|(i, p)| match (&p.def, p.low, p.high) {
            (ParamDef::Value { .. }, Some(low), Some(high)) => Some(Range {
                param: i,
                low,
                high,
                basis: "low/high",
            }),
            (ParamDef::Value { dist: Some(d), .. }, _, _) => {
                let (low, high) = (d.quantile(0.025), d.quantile(0.975));
                (low.is_finite() && high.is_finite() && low < high).then_some(Range {
                    param: i,
                    low,
                    high,
                    basis: "2.5%/97.5%",
                })
            }
            _ => None,
        })
        .collect()
}

/// Outcomes of one strategy against the reference at one setting of the parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Increment {
    pub inc_cost: f64,
    pub inc_qalys: f64,
    pub inmb: f64,
}

/// One row of the analysis: a parameter at its low and high value, for one strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub range: Range,
    pub strategy: usize,
    pub at_low: Increment,
    pub at_high: Increment,
}

/// Results of a one-way analysis for one perspective and willingness to pay.
#[derive(Clone, Debug, PartialEq)]
pub struct Owsa {
    pub perspective: usize,
    pub wtp: f64,
    /// Base case, per strategy (the reference's own entry is zero).
    pub base: Vec<Increment>,
    pub rows: Vec<Row>,
}

fn increments(
    sim: &engine::SimOutput,
    l: Layout,
    perspective: usize,
    wtp: f64,
    reference: usize,
) -> Vec<Increment> {
    (0..sim.strategies.len())
        .map(|s| {
            let dc = sim
                .difference(reference, s, l.perspective(perspective, true))
                .mean;
            let dq = sim.difference(reference, s, l.qalys(true)).mean;
            Increment {
                inc_cost: dc,
                inc_qalys: dq,
                inmb: wtp * dq - dc,
            }
        })
        .collect()
}

/// Run the one-way analysis over `ranges` with `n_individuals` individuals.
pub fn one_way(
    model: &Model,
    ranges: &[Range],
    perspective: usize,
    wtp: f64,
    n_individuals: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Owsa, SimError> {
    let l = Layout::of(model);
    let reference = model.settings.reference_strategy.0;
    let spec = SimSpec {
        draw: 0,
        n_individuals,
        seed: model.settings.seed,
        trajectories: 0,
    };
    let point = params::point_values(model);
    let run = |values: &[f64]| -> Result<Vec<Increment>, SimError> {
        let sim = engine::simulate(model, values, &spec, &|_| {})?;
        Ok(increments(&sim, l, perspective, wtp, reference))
    };
    let base = run(&point)?;
    let mut rows = Vec::new();
    for r in ranges {
        let at = |x: f64| {
            let mut values = point.clone();
            values[r.param] = x;
            run(&values).map_err(|e| SimError {
                message: format!(
                    "parameter `{}` at {x}: {}",
                    model.params[r.param].name, e.message
                ),
                at: e.at,
            })
        };
        let (lo, hi) = (at(r.low)?, at(r.high)?);
        progress(1);
        for s in (0..model.strategies.len()).filter(|s| *s != reference) {
            rows.push(Row {
                range: r.clone(),
                strategy: s,
                at_low: lo[s],
                at_high: hi[s],
            });
        }
    }
    Ok(Owsa {
        perspective,
        wtp,
        base,
        rows,
    })
}
