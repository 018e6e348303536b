//! Threshold (break-even) analysis: the value of one parameter at which the preferred
//! strategy changes, with all others at their point values. Net monetary benefit is
//! evaluated on a grid over the parameter's range (as dampack's one-way plots); wherever the
//! best strategy changes between two grid points, the root of the two strategies' net
//! benefit difference is found by the Illinois variant of regula falsi. Every evaluation
//! simulates the same individuals with the same random numbers (common random numbers), so
//! the difference is a smooth function of the parameter and its root is stable. Its Monte
//! Carlo standard error is the standard error of the difference at the root divided by the
//! slope there (the delta method).

use crate::engine::{self, Layout, SimError, SimSpec};
use crate::model::Model;
use crate::params;

use super::dsa::{self, Range};
use super::{AnalysisError, Progress, check_individuals};

/// What a caller asks of a threshold analysis; `None` keeps the defaults.
#[derive(Clone, Debug, Default)]
pub struct ThresholdRequest {
    /// The parameter to vary.
    pub param: String,
    /// The range to search [default: `low`/`high`, else the 95% interval of its distribution].
    pub range: Option<(f64, f64)>,
    /// Willingness to pay per QALY [default: every threshold of settings.wtp].
    pub wtp: Option<f64>,
    /// [default: every perspective]
    pub perspective: Option<String>,
    /// [default: settings.individuals]
    pub individuals: Option<usize>,
    /// Grid points over the range [default: 21].
    pub steps: Option<usize>,
}

/// A validated threshold analysis.
#[derive(Clone, Debug)]
pub struct ThresholdPlan {
    pub range: Range,
    pub perspectives: Vec<usize>,
    pub wtps: Vec<f64>,
    pub individuals: usize,
    pub steps: usize,
}

/// Net monetary benefit of every strategy at one value of the parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct GridPoint {
    pub value: f64,
    /// `nmb[(perspective index in the plan × wtps + wtp index) × strategies + strategy]`.
    pub nmb: Vec<f64>,
}

/// One change of the preferred strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct Crossing {
    pub perspective: usize,
    pub wtp: f64,
    /// Preferred below the threshold (at lower values of the parameter).
    pub below: usize,
    /// Preferred above it.
    pub above: usize,
    pub threshold: f64,
    /// Monte Carlo standard error of the threshold.
    pub se: f64,
}

/// What a threshold analysis produced.
#[derive(Clone, Debug)]
pub struct ThresholdResult {
    pub grid: Vec<GridPoint>,
    pub crossings: Vec<Crossing>,
    /// The parameter's point value.
    pub base: f64,
}

/// Largest grid accepted.
const MAX_STEPS: usize = 201;
/// Root-finding iterations per crossing at most.
const MAX_ITER: usize = 60;

/// Check a request against the model; a `--wtp` outside `settings.wtp` is added to the model
/// so that the engine reports its net benefit.
pub fn plan(model: &mut Model, req: &ThresholdRequest) -> Result<ThresholdPlan, AnalysisError> {
    let invalid = |m: String| Err(AnalysisError::Invalid(m));
    let names: Vec<String> = model.params.iter().map(|p| p.name.clone()).collect();
    let Some(i) = names.iter().position(|n| *n == req.param) else {
        let hint = crate::suggest::did_you_mean(&req.param, names.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return invalid(format!("--param: unknown parameter `{}`{hint}", req.param));
    };
    let mut range = match dsa::ranges(model, Some(&[i])).pop() {
        Some(r) => r,
        None if req.range.is_some() => Range {
            param: i,
            low: 0.0,
            high: 0.0,
            basis: "--range",
            coupling: dsa::Coupling::Alone,
        },
        None => {
            return invalid(format!(
                "--param: `{}` has no `low`/`high` and no distribution; give --range LOW,HIGH (a derived parameter varies through its inputs)",
                req.param
            ));
        }
    };
    if let Some((low, high)) = req.range {
        if !(low.is_finite() && high.is_finite() && low < high) {
            return invalid(format!(
                "--range: expected two finite numbers LOW,HIGH with LOW < HIGH, found {low},{high}"
            ));
        }
        (range.low, range.high, range.basis) = (low, high, "--range");
    }
    let perspectives = match &req.perspective {
        None => (0..model.perspectives.len()).collect(),
        Some(p) => match model.perspectives.iter().position(|x| x.name == *p) {
            Some(k) => vec![k],
            None => return invalid(format!("--perspective: unknown perspective `{p}`")),
        },
    };
    let wtps = match req.wtp {
        Some(w) if !(w.is_finite() && w >= 0.0) => {
            return invalid(format!("--wtp: expected a non-negative number, found {w}"));
        }
        Some(w) => {
            if !model.settings.wtp_per_qaly.contains(&w) {
                model.settings.wtp_per_qaly.push(w);
            }
            vec![w]
        }
        None if model.settings.wtp_per_qaly.is_empty() => {
            return invalid(
                "--wtp: the scenario has no thresholds (settings.wtp); give --wtp".into(),
            );
        }
        None => model.settings.wtp_per_qaly.clone(),
    };
    let steps = req.steps.unwrap_or(21);
    if !(3..=MAX_STEPS).contains(&steps) {
        return invalid(format!("--steps: expected 3 to {MAX_STEPS}, found {steps}"));
    }
    let individuals = check_individuals(
        "--individuals",
        req.individuals.unwrap_or(model.settings.n_individuals),
    )?;
    Ok(ThresholdPlan {
        range,
        perspectives,
        wtps,
        individuals,
        steps,
    })
}

/// Net benefit of every strategy, per planned perspective and willingness to pay, and the
/// standard error of every pairwise difference, at one value of the parameter.
struct Evaluation {
    nmb: Vec<f64>,
    /// `se[((p × wtps + w) × n + a) × n + b]` of NMB_b − NMB_a.
    se: Vec<f64>,
}

struct Evaluator<'a> {
    model: &'a Model,
    plan: &'a ThresholdPlan,
    point: Vec<f64>,
    spec: SimSpec,
    layout: Layout,
}

impl Evaluator<'_> {
    fn at(&self, x: f64) -> Result<Evaluation, SimError> {
        let mut values = self.point.clone();
        self.plan.range.apply(self.model, &mut values, x);
        let sim =
            engine::simulate(self.model, &values, &self.spec, &|_| {}).map_err(|e| SimError {
                message: format!(
                    "parameter `{}` at {x}: {}",
                    self.model.params[self.plan.range.param].name, e.message
                ),
                at: e.at,
            })?;
        let n = self.model.strategies.len();
        let (mut nmb, mut se) = (Vec::new(), Vec::new());
        for &p in &self.plan.perspectives {
            for &w in &self.plan.wtps {
                let k = self.wtp_index(w);
                let out = self.layout.nmb(p, k);
                nmb.extend(sim.strategies.iter().map(|s| s.outcomes[out].mean));
                for a in 0..n {
                    se.extend((0..n).map(|b| sim.difference(a, b, out).se));
                }
            }
        }
        Ok(Evaluation { nmb, se })
    }

    fn wtp_index(&self, w: f64) -> usize {
        let wtps = &self.model.settings.wtp_per_qaly;
        wtps.iter().position(|x| *x == w).unwrap_or(wtps.len())
    }
}

/// The best strategy (highest net benefit; ties to the lower index) in block `block`.
fn best(nmb: &[f64], block: usize, n: usize) -> usize {
    let row = &nmb[block * n..(block + 1) * n];
    (0..n).fold(0, |top, s| if row[s] > row[top] { s } else { top })
}

/// Run a planned threshold analysis.
pub fn run(
    model: &Model,
    plan: &ThresholdPlan,
    progress: &dyn Progress,
) -> Result<ThresholdResult, AnalysisError> {
    let ev = Evaluator {
        model,
        plan,
        point: params::point_values(model),
        spec: SimSpec {
            draw: 0,
            n_individuals: plan.individuals,
            seed: model.settings.seed,
            trajectories: 0,
        },
        layout: Layout::of(model),
    };
    let r = &plan.range;
    let phase = progress.phase(plan.steps as u64, "grid points");
    let mut grid = Vec::with_capacity(plan.steps);
    for k in 0..plan.steps {
        let value = r.low + (r.high - r.low) * k as f64 / (plan.steps - 1) as f64;
        grid.push(GridPoint {
            value,
            nmb: ev.at(value)?.nmb,
        });
        phase.advance(1);
    }
    let n = model.strategies.len();
    let mut crossings = Vec::new();
    for (pi, &p) in plan.perspectives.iter().enumerate() {
        for (wi, &w) in plan.wtps.iter().enumerate() {
            let block = pi * plan.wtps.len() + wi;
            for pair in grid.windows(2) {
                let (a, b) = (best(&pair[0].nmb, block, n), best(&pair[1].nmb, block, n));
                if a != b {
                    let (threshold, se) = root(&ev, block, a, b, pair[0].value, pair[1].value)?;
                    crossings.push(Crossing {
                        perspective: p,
                        wtp: w,
                        below: a,
                        above: b,
                        threshold,
                        se,
                    });
                }
            }
        }
    }
    Ok(ThresholdResult {
        grid,
        crossings,
        base: ev.point[r.param],
    })
}

/// The root of NMB_b − NMB_a between `lo` and `hi` (where it changes sign), by regula falsi
/// with the Illinois modification, and its standard error (SE of the difference at the root
/// over the slope of the bracketing secant).
fn root(
    ev: &Evaluator<'_>,
    block: usize,
    a: usize,
    b: usize,
    mut lo: f64,
    mut hi: f64,
) -> Result<(f64, f64), AnalysisError> {
    let n = ev.model.strategies.len();
    let diff = |x: f64| -> Result<(f64, f64), AnalysisError> {
        let e = ev.at(x)?;
        let d = e.nmb[block * n + b] - e.nmb[block * n + a];
        Ok((d, e.se[(block * n + a) * n + b]))
    };
    let (mut f_lo, _) = diff(lo)?;
    let (mut f_hi, _) = diff(hi)?;
    let scale = f_lo.abs().max(f_hi.abs()).max(1.0);
    let (mut x, mut se_d) = (lo, 0.0);
    let mut side = 0i8;
    for _ in 0..MAX_ITER {
        x = (lo * f_hi - hi * f_lo) / (f_hi - f_lo);
        if !x.is_finite() {
            x = 0.5 * (lo + hi);
        }
        let (f, s) = diff(x)?;
        se_d = s;
        if f.abs() <= 1e-10 * scale || (hi - lo).abs() <= 1e-12 * (hi.abs() + lo.abs()).max(1e-300)
        {
            break;
        }
        if (f < 0.0) == (f_lo < 0.0) {
            (lo, f_lo) = (x, f);
            if side == -1 {
                f_hi /= 2.0;
            }
            side = -1;
        } else {
            (hi, f_hi) = (x, f);
            if side == 1 {
                f_lo /= 2.0;
            }
            side = 1;
        }
    }
    // The slope from the original bracket's secant is too coarse near a curved root: take a
    // symmetric difference over a small step around it.
    let h = 1e-4 * (ev.plan.range.high - ev.plan.range.low);
    let (up, _) = diff(x + h)?;
    let (down, _) = diff(x - h)?;
    let slope = (up - down) / (2.0 * h);
    let se = if slope != 0.0 {
        se_d / slope.abs()
    } else {
        f64::INFINITY
    };
    Ok((x, se))
}
