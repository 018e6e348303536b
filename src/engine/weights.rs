//! Boundary weights: discounting combined with the within-cycle correction, and the
//! weights of one-off transition payoffs.

use crate::model::{Compounding, Settings, TransitionTiming, WithinCycle};

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
    /// Weight of a one-off transition cost made at the end of cycle c (index c−1): the
    /// cycle's discount factor D_c, or with `transition_timing: arrival` the cost weight of
    /// boundary c.
    pub cycle_cost: Vec<f64>,
    /// The same for one-off QALY losses, with the effects rate.
    pub cycle_effect: Vec<f64>,
    /// The same undiscounted: 1, or with `transition_timing: arrival` the undiscounted
    /// weight of boundary c.
    pub cycle_plain: Vec<f64>,
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

/// DARTH's within-cycle weights `gen_wcc(n_cycles, method = "Simpson1/3")` over boundaries
/// 0..=T, exactly as darthtools codes them (R/within_cycle_corrections.R):
///
/// ```r
/// v_cycles <- seq(1, n_cycles + 1)
/// v_wcc <- ((v_cycles %% 2)==0)*(2/3) + ((v_cycles %% 2)!=0)*(4/3)
/// v_wcc[1] <- v_wcc[n_cycles + 1] <- 1/3
/// ```
///
/// R's entry i is boundary t = i − 1, so t = 0 and t = T get 1/3, odd t 2/3 and even t
/// 4/3, for any T, odd or even. This is not the textbook pattern (1/3, 4/3, 2/3, …, 4/3,
/// 1/3; see `simpson_weights`): the weights sum to T − 2/3 when T is even, T − 1/3 when T
/// is odd. Used by Alarid-Escudero et al. 2023 (Med Decis Making 43:3).
pub fn darth_simpson_weights(n_cycles: usize) -> Vec<f64> {
    let mut w: Vec<f64> = (0..=n_cycles)
        .map(|t| if t % 2 == 1 { 2.0 / 3.0 } else { 4.0 / 3.0 })
        .collect();
    w[0] = 1.0 / 3.0;
    w[n_cycles] = 1.0 / 3.0;
    w
}

/// The discount factor `cycles` cycles after the start, for an annual rate and a cycle of
/// `dt` years: (1 + r)^−kΔ (annual), (1 + rΔ)^−k (per cycle) or e^−rkΔ (continuous).
pub fn discount_factor(rate: f64, cycles: f64, dt: f64, compounding: Compounding) -> f64 {
    match compounding {
        Compounding::Annual => (1.0 + rate).powf(-(cycles * dt)),
        Compounding::PerCycle => (1.0 + rate * dt).powf(-cycles),
        Compounding::Continuous => (-(rate * cycles * dt)).exp(),
    }
}

/// The weight s_t of each boundary for the options that discount every boundary at its own
/// time; `None` for the cycle-based options.
fn boundary_pattern(within: &WithinCycle, n_cycles: usize) -> Option<Vec<f64>> {
    Some(match within {
        WithinCycle::Simpson => simpson_weights(n_cycles),
        WithinCycle::DarthSimpson => darth_simpson_weights(n_cycles),
        WithinCycle::AllBoundaries => vec![1.0; n_cycles + 1],
        WithinCycle::BoundaryHalfCycle => {
            let mut w = vec![1.0; n_cycles + 1];
            w[0] = 0.5;
            w[n_cycles] = 0.5;
            w
        }
        WithinCycle::Weights(b) => (0..=n_cycles).map(|t| b.at(t, n_cycles)).collect(),
        WithinCycle::None
        | WithinCycle::HalfCycle
        | WithinCycle::Trapezoid
        | WithinCycle::End
        | WithinCycle::HeemodHalfCycle => return None,
    })
}

/// Boundary weights for one annual discount rate, and the weights of one-off transition
/// payoffs per cycle.
///
/// With D_c the discount factor of cycle c, taken at the cycle's start (c−1)Δ, middle
/// (c−½)Δ or end cΔ in years (Dutch guideline 2024, Zorginstituut Nederland), the
/// cycle-based options are:
/// - none: Σ_c v_{c−1}·D_c (the state at the start of a cycle is held all cycle);
/// - half-cycle: the same, minus half of the first cycle, plus half a cycle of the
///   final state (v_T·D_T / 2) (Sonnenberg & Beck 1993);
/// - trapezoid: Σ_c ½(v_{c−1} + v_c)·D_c (life-table method; heemod's "life-table");
/// - end: Σ_c v_c·D_c (heemod ≥ 0.14 "end", in `correct_counts`: `out$counts <- n1`);
/// - heemod-half-cycle: end + ½·v_0·D_1 + ½·v_T·D_T (heemod ≤ 0.8 "half-cycle":
///   `out <- n1; out[1, ] <- out[1, ] + init / 2; out[nrow(out), ] <- out[nrow(out), ] +
///   out[nrow(out), ] / 2`, which for T = 1 gives ¾·v_0·D_1 + 3/2·v_1·D_1).
///
/// The other options weight each boundary by s_t and discount it at its own time tΔ:
/// Σ_t s_t·v_t·δ_t with δ_t the factor t cycles after the start (`discount.timing` does
/// not apply): Simpson (Elbasha & Chhatwal 2016), DARTH's Simpson pattern, weight 1 at every
/// boundary (DARTH's "none"; Krijkamp et al. 2018), ½, 1, …, 1, ½ (DARTH's "half-cycle",
/// TreeAge's half-cycle correction, hesim's "trapz"), or a weight expression.
///
/// One-off payoffs: D_c for a transition at the end of cycle c, or with
/// `transition_timing: arrival` the weight of boundary c, where the individual arrives
/// (DARTH's transition rewards, Alarid-Escudero et al. 2023, Med Decis Making 43:21).
pub fn boundary_weights(settings: &Settings, rate: f64) -> (Vec<f64>, Vec<f64>) {
    let t_max = settings.n_cycles;
    let dt = settings.cycle_years();
    let factor = |cycles: f64| discount_factor(rate, cycles, dt, settings.discount_compounding);
    let shift = settings.discount_timing.shift();
    let cycle: Vec<f64> = (1..=t_max)
        .map(|c| factor(c as f64 - 1.0 + shift))
        .collect();
    let mut w = vec![0.0; t_max + 1];
    if let Some(s) = boundary_pattern(&settings.within_cycle, t_max) {
        for (t, s) in s.into_iter().enumerate() {
            w[t] = s * factor(t as f64);
        }
    } else {
        match settings.within_cycle {
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
            WithinCycle::End | WithinCycle::HeemodHalfCycle => {
                w[1..].copy_from_slice(&cycle);
                if matches!(settings.within_cycle, WithinCycle::HeemodHalfCycle) {
                    // heemod adds half the first row, then half of the last row again
                    // (which with one cycle is the first row, half of n_0 included).
                    w[0] += 0.5 * cycle[0];
                    w[t_max] += 0.5 * w[t_max];
                    if t_max == 1 {
                        w[0] += 0.5 * w[0];
                    }
                }
            }
            _ => w[..t_max].copy_from_slice(&cycle),
        }
    }
    let one_off = match settings.transition_timing {
        TransitionTiming::Cycle => cycle,
        TransitionTiming::Arrival => w[1..].to_vec(),
    };
    (w, one_off)
}

/// All weights for a model's settings.
pub fn weights(settings: &Settings) -> Weights {
    let (cost, cycle_cost) = boundary_weights(settings, settings.discount_rate_costs_annual);
    let (effect, cycle_effect) = boundary_weights(settings, settings.discount_rate_effects_annual);
    let (plain, cycle_plain) = boundary_weights(settings, 0.0);
    Weights {
        cost,
        effect,
        plain,
        cycle_cost,
        cycle_effect,
        cycle_plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn darth_simpson_weights_follow_gen_wcc_for_odd_and_even_horizons() {
        // gen_wcc(4, "Simpson1/3") and gen_wcc(5, "Simpson1/3") evaluated by hand from the
        // R code quoted on `darth_simpson_weights`.
        let (a, b, c) = (1.0 / 3.0, 2.0 / 3.0, 4.0 / 3.0);
        assert_eq!(darth_simpson_weights(4), vec![a, b, c, b, a]);
        assert_eq!(darth_simpson_weights(5), vec![a, b, c, b, c, a]);
        assert_eq!(darth_simpson_weights(1), vec![a, a]);
        assert_eq!(darth_simpson_weights(2), vec![a, b, a]);
    }

    #[test]
    fn the_three_compoundings_agree_at_a_zero_rate_and_order_as_expected() {
        for k in [0.0, 1.0, 7.5] {
            for comp in [
                Compounding::Annual,
                Compounding::PerCycle,
                Compounding::Continuous,
            ] {
                assert_eq!(discount_factor(0.0, k, 1.0 / 12.0, comp), 1.0);
            }
        }
        // One year of monthly cycles at 3%: 1/1.03, 1/(1.0025)^12 and e^−0.03.
        let f = |c| discount_factor(0.03, 12.0, 1.0 / 12.0, c);
        assert!((f(Compounding::Annual) - 1.0 / 1.03).abs() < 1e-15);
        assert!((f(Compounding::PerCycle) - 1.0025f64.powi(-12)).abs() < 1e-15);
        assert!((f(Compounding::Continuous) - (-0.03f64).exp()).abs() < 1e-15);
    }
}
