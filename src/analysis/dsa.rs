//! One-way deterministic sensitivity analysis: each parameter at a low and a high value
//! with all others at their point values, on the same individuals and random numbers
//! (common random numbers make the differences free of Monte Carlo noise between runs).
//! A member of a Dirichlet group moves with its group (the others keep their proportions,
//! so the group still sums to one), and a correlated parameter moves the others of its
//! correlation group to their conditional medians.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::dist::Dist;
use crate::engine::{self, Layout, SimError, SimSpec};
use crate::model::{Model, ParamDef};
use crate::params;

use super::{AnalysisError, Progress, check_individuals};

/// What else moves when one parameter is varied.
#[derive(Clone, Debug, PartialEq)]
pub enum Coupling {
    /// The parameter alone.
    Alone,
    /// A member of Dirichlet group `g`: the other members are rescaled so that the group
    /// still sums to one, keeping their proportions to each other.
    Dirichlet(usize),
    /// A member of the correlated parameters: each other member moves to its conditional
    /// median given this one under the Gaussian copula, F_j⁻¹(Φ(ρ_ij · Φ⁻¹(F_i(x)))).
    Correlated,
}

/// The range one parameter is varied over, and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    pub param: usize,
    pub low: f64,
    pub high: f64,
    /// `"low/high"` when given in the scenario, else `"2.5%/97.5%"` of the distribution
    /// (of the Beta marginal for a Dirichlet member).
    pub basis: &'static str,
    pub coupling: Coupling,
}

impl Range {
    /// Set the parameter to `x` in `values` (point values) and move what is coupled to it.
    pub fn apply(&self, model: &Model, values: &mut [f64], x: f64) {
        let i = self.param;
        let before = values[i];
        values[i] = x;
        match self.coupling {
            Coupling::Alone => {}
            Coupling::Dirichlet(g) => {
                // The others keep their proportions and fill what is left: p_j (1 − x)/(1 − p_i).
                if before < 1.0 {
                    let scale = (1.0 - x) / (1.0 - before);
                    for id in &model.dirichlet[g].members {
                        if id.0 != i {
                            values[id.0] *= scale;
                        }
                    }
                }
            }
            Coupling::Correlated => correlated_medians(model, values, i, x),
        }
    }
}

/// The distribution of a plain parameter.
fn dist_of(model: &Model, i: usize) -> Option<&Dist> {
    match &model.params[i].def {
        ParamDef::Value { dist: Some(d), .. } => Some(d),
        _ => None,
    }
}

/// Move every other correlated parameter to its conditional median given parameter `i` at
/// `x`: z_i = Φ⁻¹(F_i(x)), z_j = ρ_ij z_i, x_j = F_j⁻¹(Φ(z_j)), with ρ = L Lᵀ.
fn correlated_medians(model: &Model, values: &mut [f64], i: usize, x: f64) {
    let (Some(c), Ok(phi)) = (&model.correlation, Normal::new(0.0, 1.0)) else {
        return;
    };
    let n = c.params.len();
    let Some(a) = c.params.iter().position(|id| id.0 == i) else {
        return;
    };
    let Some(di) = dist_of(model, i) else { return };
    let zi = phi.inverse_cdf(di.cdf(x).clamp(1e-16, 1.0 - 1e-16));
    for (b, id) in c.params.iter().enumerate().filter(|(b, _)| *b != a) {
        let rho: f64 = (0..n)
            .map(|k| c.cholesky[a * n + k] * c.cholesky[b * n + k])
            .sum();
        if let Some(dj) = dist_of(model, id.0) {
            values[id.0] = dj.quantile(phi.cdf(rho * zi).clamp(1e-16, 1.0 - 1e-16));
        }
    }
}

/// The parameters a one-way analysis varies: those with explicit `low`/`high`, else those
/// with a non-degenerate distribution (2.5th and 97.5th percentiles, the convention of
/// dampack's `run_owsa_det` and of TreeAge's tornado defaults), and the members of
/// Dirichlet groups (percentiles of their Beta marginals, Beta(α_i, α₀ − α_i)). Derived
/// parameters vary through their inputs.
pub fn ranges(model: &Model, only: Option<&[usize]>) -> Vec<Range> {
    let correlated = |i: usize| {
        model
            .correlation
            .as_ref()
            .is_some_and(|c| c.params.iter().any(|id| id.0 == i))
    };
    model
        .params
        .iter()
        .enumerate()
        .filter(|(i, _)| only.is_none_or(|o| o.contains(i)))
        .filter_map(|(i, p)| {
            let coupling = if correlated(i) {
                Coupling::Correlated
            } else {
                Coupling::Alone
            };
            let (low, high, basis, coupling) = match (&p.def, p.low, p.high) {
                (ParamDef::Value { .. }, Some(low), Some(high)) => {
                    (low, high, "low/high", coupling)
                }
                (ParamDef::Value { dist: Some(d), .. }, _, _) => {
                    (d.quantile(0.025), d.quantile(0.975), "2.5%/97.5%", coupling)
                }
                (ParamDef::Dirichlet { group, .. }, _, _) => {
                    let g = &model.dirichlet[*group];
                    let k = g.members.iter().position(|id| id.0 == i)?;
                    let total: f64 = g.alpha.iter().sum();
                    let marginal = Dist::Beta {
                        alpha: g.alpha[k],
                        beta: total - g.alpha[k],
                    };
                    let (lo, hi) = (marginal.quantile(0.025), marginal.quantile(0.975));
                    (lo, hi, "2.5%/97.5%", Coupling::Dirichlet(*group))
                }
                _ => return None,
            };
            (low.is_finite() && high.is_finite() && low < high).then_some(Range {
                param: i,
                low,
                high,
                basis,
                coupling,
            })
        })
        .collect()
}

/// A distribution whose 2.5th or 97.5th percentile is not finite (a lognormal with
/// `sdlog: 500`) cannot give a one-way range; that is an overflow naming the parameter, not
/// a parameter to leave out of the tornado quietly (which [`ranges`] would do).
fn check_bounds(model: &Model, only: Option<&[usize]>) -> Result<(), SimError> {
    for (i, p) in model.params.iter().enumerate() {
        // A parameter with `low` and `high` uses those, not its distribution.
        let ParamDef::Value { dist: Some(d), .. } = &p.def else {
            continue;
        };
        if (p.low.is_some() && p.high.is_some()) || only.is_some_and(|o| !o.contains(&i)) {
            continue;
        }
        let bounds = [(d.quantile(0.025), "2.5th"), (d.quantile(0.975), "97.5th")];
        if let Some((x, which)) = bounds.into_iter().find(|(x, _)| !x.is_finite()) {
            return Err(SimError {
                message: format!(
                    "parameter `{}` took the value {x} from its {} distribution (its {which} percentile, a bound of the one-way analysis); expected a finite number (the distribution is too wide: narrow it, give `low` and `high`, or use one whose values stay finite)",
                    p.name,
                    d.name()
                ),
                at: None,
            });
        }
    }
    Ok(())
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
            r.apply(model, &mut values, x);
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

/// A two-way analysis: the net monetary benefit of every strategy on a grid over two
/// parameters, and the preferred strategy at each point.
#[derive(Clone, Debug, PartialEq)]
pub struct TwoWay {
    pub x: Range,
    pub y: Range,
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    /// `nmb[(i * ys.len() + j) * n_strategies + s]` at `(xs[i], ys[j])`.
    pub nmb: Vec<f64>,
    /// Preferred strategy (highest NMB; ties go to the lower index) at each point.
    pub best: Vec<usize>,
    /// Base-case (point) values of the two parameters.
    pub base: (f64, f64),
}

/// `steps` evenly spaced values from low to high.
fn grid(r: &Range, steps: usize) -> Vec<f64> {
    (0..steps)
        .map(|k| r.low + (r.high - r.low) * k as f64 / (steps - 1) as f64)
        .collect()
}

/// Run a two-way analysis over a `steps × steps` grid (steps ≥ 2).
#[allow(clippy::too_many_arguments)]
pub fn two_way(
    model: &Model,
    x: &Range,
    y: &Range,
    steps: usize,
    perspective: usize,
    wtp: f64,
    n_individuals: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<TwoWay, SimError> {
    let l = Layout::of(model);
    let spec = SimSpec {
        draw: 0,
        n_individuals,
        seed: model.settings.seed,
        trajectories: 0,
    };
    let point = params::point_values(model);
    let (xs, ys) = (grid(x, steps.max(2)), grid(y, steps.max(2)));
    let n_strategies = model.strategies.len();
    let mut nmb = Vec::with_capacity(xs.len() * ys.len() * n_strategies);
    let mut best = Vec::with_capacity(xs.len() * ys.len());
    for xv in &xs {
        for yv in &ys {
            let mut values = point.clone();
            x.apply(model, &mut values, *xv);
            y.apply(model, &mut values, *yv);
            let sim = engine::simulate(model, &values, &spec, &|_| {}).map_err(|e| SimError {
                message: format!(
                    "`{}` = {xv}, `{}` = {yv}: {}",
                    model.params[x.param].name, model.params[y.param].name, e.message
                ),
                at: e.at,
            })?;
            let here: Vec<f64> = sim
                .strategies
                .iter()
                .map(|s| {
                    wtp * s.outcomes[l.qalys(true)].mean
                        - s.outcomes[l.perspective(perspective, true)].mean
                })
                .collect();
            let mut top = 0;
            for (s, v) in here.iter().enumerate() {
                if *v > here[top] {
                    top = s;
                }
            }
            best.push(top);
            nmb.extend(here);
            progress(1);
        }
    }
    Ok(TwoWay {
        x: x.clone(),
        y: y.clone(),
        base: (point[x.param], point[y.param]),
        xs,
        ys,
        nmb,
        best,
    })
}

/// What a caller asks of a sensitivity analysis; `None` and empty keep the defaults.
#[derive(Clone, Debug, Default)]
pub struct DsaRequest {
    /// Only these parameters [default: every parameter with low/high or a distribution].
    pub params: Vec<String>,
    /// A two-way analysis of this pair of parameters.
    pub two_way: Vec<String>,
    /// Grid points per parameter in a two-way analysis.
    pub grid: usize,
    /// [default: the middle threshold of settings.wtp]
    pub wtp: Option<f64>,
    /// [default: the first perspective]
    pub perspective: Option<String>,
    /// [default: settings.individuals]
    pub individuals: Option<usize>,
}

/// A validated sensitivity analysis.
#[derive(Clone, Debug)]
pub struct DsaPlan {
    /// Every parameter varied (also those of a two-way analysis).
    pub ranges: Vec<Range>,
    /// The two parameters of a two-way analysis.
    pub pair: Option<(Range, Range)>,
    pub grid: usize,
    pub perspective: usize,
    pub wtp: f64,
    pub individuals: usize,
}

/// What a sensitivity analysis produced: a one-way analysis, or a two-way analysis (with an
/// empty one-way analysis).
#[derive(Clone, Debug)]
pub struct DsaResult {
    pub owsa: Owsa,
    pub two_way: Option<TwoWay>,
}

/// Check a request against the model.
pub fn plan(model: &Model, req: &DsaRequest) -> Result<DsaPlan, AnalysisError> {
    let invalid = |m: String| Err(AnalysisError::Invalid(m));
    let names: Vec<String> = model.params.iter().map(|p| p.name.clone()).collect();
    if !req.two_way.is_empty() && (req.two_way.len() != 2 || req.grid < 2 || req.grid > 101) {
        return invalid(
            "--two-way: expected two parameter names (A,B) and --grid from 2 to 101".into(),
        );
    }
    let mut only = Vec::new();
    for name in req.params.iter().chain(&req.two_way) {
        match names.iter().position(|n| n == name) {
            Some(i) => only.push(i),
            None => {
                let hint = crate::suggest::did_you_mean(name, names.iter().map(String::as_str))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return invalid(format!("--params: unknown parameter `{name}`{hint}"));
            }
        }
    }
    let only = (!only.is_empty()).then_some(only.as_slice());
    check_bounds(model, only).map_err(AnalysisError::Simulation)?;
    let ranges = ranges(model, only);
    let pair: Vec<&Range> = req
        .two_way
        .iter()
        .filter_map(|n| ranges.iter().find(|r| model.params[r.param].name == *n))
        .collect();
    if !req.two_way.is_empty() && pair.len() != 2 {
        return invalid(
            "--two-way: both parameters need `low`/`high` or a distribution, and must differ"
                .into(),
        );
    }
    if ranges.is_empty() {
        return invalid(
            "no parameter to vary: give parameters `low` and `high`, or a distribution".into(),
        );
    }
    let wtps = &model.settings.wtp_per_qaly;
    let wtp = match req.wtp.or_else(|| wtps.get(wtps.len() / 2).copied()) {
        Some(w) if (0.0..=crate::scenario::MAX_WTP).contains(&w) => w,
        Some(w) => {
            return invalid(format!(
                "--wtp: expected a non-negative number of at most {:e}, found {w}",
                crate::scenario::MAX_WTP
            ));
        }
        None => {
            return invalid(
                "--wtp: the scenario has no thresholds (settings.wtp); give --wtp".into(),
            );
        }
    };
    let perspective = match &req.perspective {
        None => 0,
        Some(p) => match model.perspectives.iter().position(|x| x.name == *p) {
            Some(i) => i,
            None => return invalid(format!("--perspective: unknown perspective `{p}`")),
        },
    };
    let individuals = check_individuals(
        "--individuals",
        req.individuals.unwrap_or(model.settings.n_individuals),
    )?;
    let pair = (pair.len() == 2).then(|| (pair[0].clone(), pair[1].clone()));
    Ok(DsaPlan {
        ranges,
        pair,
        grid: req.grid,
        perspective,
        wtp,
        individuals,
    })
}

/// Run a planned sensitivity analysis: the two-way grid when a pair is planned, otherwise
/// the one-way analysis of every range.
pub fn run(
    model: &Model,
    plan: &DsaPlan,
    progress: &dyn Progress,
) -> Result<DsaResult, AnalysisError> {
    let two_way = match &plan.pair {
        Some((x, y)) => {
            let phase = progress.phase((plan.grid * plan.grid) as u64, "grid points");
            Some(two_way(
                model,
                x,
                y,
                plan.grid,
                plan.perspective,
                plan.wtp,
                plan.individuals,
                &|k| phase.advance(k as u64),
            )?)
        }
        None => None,
    };
    let one_way_ranges: &[Range] = if two_way.is_some() { &[] } else { &plan.ranges };
    let phase = progress.phase(one_way_ranges.len() as u64, "parameters");
    let owsa = one_way(
        model,
        one_way_ranges,
        plan.perspective,
        plan.wtp,
        plan.individuals,
        &|k| phase.advance(k as u64),
    )?;
    Ok(DsaResult { owsa, two_way })
}
