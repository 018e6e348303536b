//! The checks that keep NaN and infinity out of a simulation's results.
//!
//! Validation proves every parameter finite at its point value and the kernels stop at a
//! payoff that is not finite for one individual and cycle. Two things remain, and both are
//! caught here, once per parameter set (never in the per-individual, per-cycle loop):
//!
//! - a parameter set other than the point values (a probabilistic draw, a DSA bound) can hold
//!   a value that is not finite: a lognormal with `sdlog: 500` draws `inf`, and a derived
//!   parameter of it overflows ([`check_params`]);
//! - finite payoffs can overflow when they are summed over the horizon, averaged over
//!   individuals or squared for the Monte Carlo error: costs near 1e300 give a finite mean
//!   but an infinite standard error ([`check_results`]).
//!
//! Each error names the input that caused it (the parameter, or the payoff of a state or
//! transition with the largest magnitude) and the strategy; `simulate_draws` adds the draw.

use crate::model::{Model, ParamDef, Strategy};

use super::layout::Layout;
use super::prepare::{PrepStrategy, Val};
use super::results::{Estimate, SimError, SimOutput};

/// Every parameter value of one strategy's parameter set is finite.
pub(super) fn check_params(
    model: &Model,
    strategy: &Strategy,
    base: &[f64],
    values: &[f64],
) -> Result<(), SimError> {
    let Some(i) = values.iter().position(|v| !v.is_finite()) else {
        return Ok(());
    };
    let p = &model.params[i];
    let message = match &p.def {
        ParamDef::Value { dist: Some(d), .. } if !base[i].is_finite() => format!(
            "parameter `{}` took the value {} from its {} distribution; expected a finite number (the distribution is too wide: narrow it, or use one whose values stay finite)",
            p.name,
            base[i],
            d.name()
        ),
        _ => format!(
            "strategy `{}`: parameter `{}` evaluates to {}; expected a finite number (an expression of the parameter values overflows or is undefined)",
            strategy.name, p.name, values[i]
        ),
    };
    Err(SimError { message, at: None })
}

/// Every mean and Monte Carlo error of a simulation's results is finite, per strategy and
/// for every difference between two strategies.
pub(crate) fn check_results(
    model: &Model,
    prep: &[PrepStrategy],
    sim: &SimOutput,
) -> Result<(), SimError> {
    let l = sim.layout;
    for (s, st) in sim.strategies.iter().enumerate() {
        if let Some(k) = first_non_finite(&st.outcomes) {
            let e = st.outcomes[k];
            return Err(SimError {
                message: format!(
                    "strategy `{}`: the {} per person is {} with a Monte Carlo standard error of {}; expected finite results: {}",
                    prep[s].name,
                    l.describe(model, k),
                    num(e.mean),
                    num(e.se),
                    cause(model, &prep[s], l, k)
                ),
                at: None,
            });
        }
    }
    let n = sim.strategies.len();
    let mut pairs = sim.pairs.iter();
    for a in 0..n {
        for b in a + 1..n {
            let Some(pair) = pairs.next() else { continue };
            if let Some(k) = first_non_finite(pair) {
                return Err(SimError {
                    message: format!(
                        "the difference in {} per person between strategies `{}` and `{}` is {} with a Monte Carlo standard error of {}; expected finite results: {}",
                        l.describe(model, k),
                        prep[b].name,
                        prep[a].name,
                        num(pair[k].mean),
                        num(pair[k].se),
                        cause(model, &prep[b], l, k)
                    ),
                    at: None,
                });
            }
        }
    }
    Ok(())
}

/// A number for a message: scientific notation when it is huge (a 300-digit decimal helps
/// nobody).
fn num(x: f64) -> String {
    if x.abs() < 1e15 {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

fn first_non_finite(outcomes: &[Estimate]) -> Option<usize> {
    outcomes
        .iter()
        .position(|e| !e.mean.is_finite() || !e.se.is_finite())
}

/// Which input makes outcome `k` overflow, as far as the prepared payoffs tell.
fn cause(model: &Model, prep: &PrepStrategy, l: Layout, k: usize) -> String {
    let n_cat = l.n_categories;
    if k < 2 * n_cat {
        let c = k / 2;
        let what = format!("`{}` costs", model.cost_categories[c]);
        payoff_cause(&what, largest_cost(model, prep, c))
    } else if k < 2 * n_cat + 2 {
        payoff_cause("utilities and QALY losses", largest_effect(model, prep))
    } else if k < 2 * n_cat + 4 + 2 * l.n_perspectives {
        "the perspective's categories add up to more than can be represented".to_string()
    } else {
        "willingness to pay × QALYs − cost overflows (settings.wtp)".to_string()
    }
}

/// The state or transition whose payoff behind outcome `k` (a cost category or the QALYs)
/// is largest for this parameter set, with that payoff: where a non-finite outcome of one
/// individual most likely came from. `None` for other outcomes, or when every such payoff is
/// evaluated per individual.
pub(super) fn payoff_place(
    model: &Model,
    prep: &PrepStrategy,
    l: Layout,
    k: usize,
) -> Option<(String, f64)> {
    let n_cat = l.n_categories;
    if k < 2 * n_cat {
        largest_cost(model, prep, k / 2)
    } else if k < 2 * n_cat + 2 {
        largest_effect(model, prep)
    } else {
        None
    }
}

/// The largest payoff of one kind named as the cause, or a general statement when every
/// payoff of that kind varies between individuals.
fn payoff_cause(what: &str, largest: Option<(String, f64)>) -> String {
    match largest {
        Some((place, x)) => format!(
            "the {what} are too large to add up over the horizon and the individuals and to square for the Monte Carlo error; the largest is {x:e} ({place})"
        ),
        None => format!(
            "the {what} are too large to add up over the horizon and the individuals and to square for the Monte Carlo error"
        ),
    }
}

/// The largest magnitude a prepared payoff takes for this parameter set (`None` when it is
/// evaluated per individual).
fn magnitude(v: &Val) -> Option<f64> {
    let max = |xs: &[f64]| xs.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    match v {
        Val::Const(x) => Some(x.abs()),
        Val::ByModelTime(xs) | Val::ByStateTime(xs) | Val::ByBoth(xs) => Some(max(xs)),
        Val::ByTracker { v, .. } => Some(max(v)),
        Val::TrackerFrom { before, after, .. } => Some(max(before).max(max(after))),
        Val::Dyn(_)
        | Val::Memo(_)
        | Val::KnownFrom { .. }
        | Val::Var(_)
        | Val::KnownByStateTime { .. } => None,
    }
}

/// Keep the candidate with the larger magnitude.
fn larger(
    best: Option<(String, f64)>,
    place: impl FnOnce() -> String,
    x: Option<f64>,
) -> Option<(String, f64)> {
    match (best, x) {
        (Some(b), Some(x)) if x <= b.1 => Some(b),
        (_, Some(x)) => Some((place(), x)),
        (b, None) => b,
    }
}

/// The state or transition with the largest cost of category `c` per cycle or event.
fn largest_cost(model: &Model, p: &PrepStrategy, c: usize) -> Option<(String, f64)> {
    let mut best = p
        .start_costs
        .iter()
        .filter(|(k, _)| *k == c)
        .fold(None, |b, (_, x)| {
            larger(b, || "a start cost".into(), Some(x.abs()))
        });
    for (i, st) in p.states.iter().enumerate() {
        for (k, v) in &st.costs {
            if *k == c {
                let place = || format!("state `{}`, per cycle", model.states[i].name);
                best = larger(best, place, magnitude(v));
            }
        }
        for tr in &p.rows[i].transitions {
            for (k, v) in &tr.costs {
                if *k == c {
                    let place = || format!("{}, one-off", tr.origin);
                    best = larger(best, place, magnitude(v));
                }
            }
        }
    }
    best
}

/// The state or transition with the largest utility or QALY loss.
fn largest_effect(model: &Model, p: &PrepStrategy) -> Option<(String, f64)> {
    let mut best = None;
    for (i, st) in p.states.iter().enumerate() {
        let place = || format!("the utility of state `{}`", model.states[i].name);
        best = larger(best, place, magnitude(&st.utility));
        for tr in &p.rows[i].transitions {
            if let Some(q) = &tr.qaly_loss {
                let place = || format!("the QALY loss of {}", tr.origin);
                best = larger(best, place, magnitude(q));
            }
        }
    }
    best
}
