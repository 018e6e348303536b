//! Boundary weights: discounting combined with the within-cycle correction.

use crate::model::{DiscountTiming, Settings, WithinCycle};

// ---------------------------------------------------------------------------
// Discounting and within-cycle weights
// ---------------------------------------------------------------------------

/// Boundary weights combining discounting with the within-cycle correction.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    /// Weight of a per-cycle cost held at boundary t (t = 0..=T).
    pub cost: Vec<f64>,
    /// Weight of a per-cycle effect held at boundary t.
    pub effect: Vec<f64>,
    /// Undiscounted weight at boundary t.
    pub plain: Vec<f64>,
    /// Discount factor of cycle c (index c−1) for one-off transition costs.
    pub cycle_cost: Vec<f64>,
    /// Discount factor of cycle c (index c−1) for one-off QALY losses.
    pub cycle_effect: Vec<f64>,
}

/// Composite Simpson weights over boundaries 0..=T (Elbasha & Chhatwal 2016):
/// the 1/3 rule on pairs of cycles, the 3/8 rule on the last three cycles when T is odd,
/// and the trapezoid rule when T = 1.
pub fn simpson_weights(n_cycles: usize) -> Vec<f64> {
    let t = n_cycles;
    let mut w = vec![0.0; t + 1];
    if t == 1 {
        w[0] = 0.5;
        w[1] = 0.5;
        return w;
    }
    let simpson_end = if t.is_multiple_of(2) { t } else { t - 3 };
    for k in (0..simpson_end).step_by(2) {
        w[k] += 1.0 / 3.0;
        w[k + 1] += 4.0 / 3.0;
        w[k + 2] += 1.0 / 3.0;
    }
    if !t.is_multiple_of(2) {
        let k = t - 3;
        w[k] += 3.0 / 8.0;
        w[k + 1] += 9.0 / 8.0;
        w[k + 2] += 9.0 / 8.0;
        w[k + 3] += 3.0 / 8.0;
    }
    w
}

/// Boundary weights for one annual discount rate.
///
/// With D_c the discount factor of cycle c, (1 + r)^−τ where τ is the cycle's start
/// (c−1)Δ or middle (c−½)Δ in years (Dutch guideline 2024, Zorginstituut Nederland):
/// - none: Σ_c v_{c−1}·D_c (the state at the start of a cycle is held all cycle);
/// - half-cycle: the same, minus half of the first cycle, plus half a cycle of the
///   final state (v_T·D_T / 2) (Sonnenberg & Beck 1993);
/// - trapezoid: Σ_c ½(v_{c−1} + v_c)·D_c (life-table method);
/// - Simpson: composite Simpson weights on v_t·(1 + r)^−tΔ, the discounted value at the
///   boundary's own time (the start/middle setting does not apply).
pub fn boundary_weights(settings: &Settings, rate: f64) -> (Vec<f64>, Vec<f64>) {
    let t_max = settings.n_cycles;
    let dt = settings.cycle_years();
    let shift = match settings.discount_timing {
        DiscountTiming::Start => 0.0,
        DiscountTiming::Middle => 0.5,
    };
    let cycle: Vec<f64> = (1..=t_max)
        .map(|c| (1.0 + rate).powf(-((c as f64 - 1.0 + shift) * dt)))
        .collect();
    let mut w = vec![0.0; t_max + 1];
    match settings.within_cycle {
        WithinCycle::None => w[..t_max].copy_from_slice(&cycle),
        WithinCycle::HalfCycle => {
            w[..t_max].copy_from_slice(&cycle);
            w[0] -= 0.5 * cycle[0];
            w[t_max] += 0.5 * cycle[t_max - 1];
        }
        WithinCycle::Trapezoid => {
            for (c, d) in cycle.iter().enumerate() {
                w[c] += 0.5 * d;
                w[c + 1] += 0.5 * d;
            }
        }
        WithinCycle::Simpson => {
            for (t, s) in simpson_weights(t_max).into_iter().enumerate() {
                w[t] = s * (1.0 + rate).powf(-(t as f64 * dt));
            }
        }
    }
    (w, cycle)
}

/// All weights for a model's settings.
pub fn weights(settings: &Settings) -> Weights {
    let (cost, cycle_cost) = boundary_weights(settings, settings.discount_rate_costs_annual);
    let (effect, cycle_effect) = boundary_weights(settings, settings.discount_rate_effects_annual);
    let (plain, _) = boundary_weights(settings, 0.0);
    Weights {
        cost,
        effect,
        plain,
        cycle_cost,
        cycle_effect,
    }
}
