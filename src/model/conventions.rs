//! Payoff-timing conventions: where in a cycle the discount factor is taken, how an annual
//! rate compounds, how the state at each cycle boundary is weighted (the within-cycle
//! correction), and at which point a one-off transition payoff counts.
//!
//! Each option reproduces how an established tool counts payoffs (DARTH, Krijkamp et al.
//! 2018, heemod, hesim, TreeAge); `docs/scenario-format.md` (section 4.6) maps every tool's
//! setting to these names. The weights themselves are computed in `engine::weights`.

use crate::expr::{Env, Program};

/// When within a cycle the discount factor of cycle-based weights is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscountTiming {
    /// (c − 1)Δ, the cycle's start (the default).
    Start,
    /// (c − ½)Δ.
    Middle,
    /// cΔ, the cycle's end (heemod's `discount(x, r, first = TRUE)`; its default
    /// `first = FALSE` is `Start`).
    End,
}

impl DiscountTiming {
    /// Name as written in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            DiscountTiming::Start => "start",
            DiscountTiming::Middle => "middle",
            DiscountTiming::End => "end",
        }
    }

    /// Cycles after the start of cycle c at which its factor is taken.
    pub fn shift(self) -> f64 {
        match self {
            DiscountTiming::Start => 0.0,
            DiscountTiming::Middle => 0.5,
            DiscountTiming::End => 1.0,
        }
    }
}

/// How an annual discount rate r turns into a factor k cycles (kΔ years) after the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compounding {
    /// (1 + r)^−kΔ (the default; Dutch guideline 2024).
    Annual,
    /// (1 + rΔ)^−k: the annual rate split evenly over the cycles of a year and compounded
    /// per cycle (DARTH's `1 / (1 + d * cycle_length)^(0:n_cycles)`).
    PerCycle,
    /// e^−rkΔ (hesim's `exp(-dr * t)`).
    Continuous,
}

impl Compounding {
    /// Name as written in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            Compounding::Annual => "annual",
            Compounding::PerCycle => "per-cycle",
            Compounding::Continuous => "continuous",
        }
    }
}

/// Within-cycle correction: how the state occupied at each boundary t = 0..T is weighted.
///
/// The first six are cycle-based: boundary weights are built from the cycle discount
/// factors D_c (with `DiscountTiming`). The others give a weight s_t to each boundary and
/// discount it at the boundary's own time tΔ, as the tools they reproduce do.
#[derive(Clone, Debug)]
pub enum WithinCycle {
    /// The state at the start of a cycle is held for the whole cycle.
    None,
    /// Sonnenberg & Beck (1993): `None` minus half of cycle 1 plus half a cycle of the state
    /// at T (discounted with D_T).
    HalfCycle,
    /// ½(v_{c−1} + v_c)·D_c per cycle (the life-table method; heemod's "life-table").
    Trapezoid,
    /// Composite Simpson weights, each boundary discounted at its own time (Elbasha &
    /// Chhatwal 2016).
    Simpson,
    /// The state at the end of a cycle is held for the whole cycle (heemod ≥ 0.14 "end", hesim's
    /// "riemann_right").
    End,
    /// heemod's "half-cycle" counting (versions up to 0.8): `End` plus half the states at
    /// boundary 0 (with D_1) and half those at boundary T (with D_T).
    HeemodHalfCycle,
    /// Weight 1 at every boundary t = 0..T, the starting state and the final state included
    /// (DARTH's `gen_wcc(n, "none")`; Krijkamp et al. 2018).
    AllBoundaries,
    /// ½, 1, …, 1, ½ (DARTH's `gen_wcc(n, "half-cycle")`, TreeAge's half-cycle correction,
    /// hesim's "trapz").
    BoundaryHalfCycle,
    /// DARTH's `gen_wcc(n, "Simpson1/3")`: 1/3 at t = 0 and T, 2/3 at odd t, 4/3 at even t.
    DarthSimpson,
    /// A weight expression over the boundary index `t` and the number of cycles `T`.
    Weights(BoundaryWeights),
}

impl WithinCycle {
    /// Name as written in scenarios (`weights` for a weight expression).
    pub fn as_str(&self) -> &'static str {
        match self {
            WithinCycle::None => "none",
            WithinCycle::HalfCycle => "half-cycle",
            WithinCycle::Trapezoid => "trapezoid",
            WithinCycle::Simpson => "simpson",
            WithinCycle::End => "end",
            WithinCycle::HeemodHalfCycle => "heemod-half-cycle",
            WithinCycle::AllBoundaries => "all-boundaries",
            WithinCycle::BoundaryHalfCycle => "boundary-half-cycle",
            WithinCycle::DarthSimpson => "darth-simpson",
            WithinCycle::Weights(_) => "weights",
        }
    }

    /// The names accepted in scenarios, in the order the documentation lists them.
    pub const NAMES: [&'static str; 9] = [
        "none",
        "half-cycle",
        "trapezoid",
        "simpson",
        "end",
        "heemod-half-cycle",
        "all-boundaries",
        "boundary-half-cycle",
        "darth-simpson",
    ];

    /// The option of a name (not `weights`, which carries an expression).
    pub fn named(name: &str) -> Option<WithinCycle> {
        Some(match name {
            "none" => WithinCycle::None,
            "half-cycle" => WithinCycle::HalfCycle,
            "trapezoid" => WithinCycle::Trapezoid,
            "simpson" => WithinCycle::Simpson,
            "end" => WithinCycle::End,
            "heemod-half-cycle" => WithinCycle::HeemodHalfCycle,
            "all-boundaries" => WithinCycle::AllBoundaries,
            "boundary-half-cycle" => WithinCycle::BoundaryHalfCycle,
            "darth-simpson" => WithinCycle::DarthSimpson,
            _ => return None,
        })
    }

    /// Whether each boundary is discounted at its own time tΔ (so `discount.timing` does
    /// not apply) rather than with the cycle factors D_c.
    pub fn at_boundaries(&self) -> bool {
        matches!(
            self,
            WithinCycle::Simpson
                | WithinCycle::AllBoundaries
                | WithinCycle::BoundaryHalfCycle
                | WithinCycle::DarthSimpson
                | WithinCycle::Weights(_)
        )
    }
}

/// A user-defined within-cycle weight: an expression that reads only the boundary index
/// `t` (0..T) and the number of cycles `T`, evaluated once per boundary before any
/// simulation.
#[derive(Clone, Debug)]
pub struct BoundaryWeights {
    /// The expression as written.
    pub source: String,
    program: Program,
}

impl BoundaryWeights {
    /// Variable slots of the expression: `t` is slot 0, `T` slot 1.
    pub const VARS: [&'static str; 2] = ["t", "T"];

    /// Wrap an expression compiled against [`BoundaryWeights::VARS`] (and nothing else).
    pub fn new(source: String, program: Program) -> Self {
        BoundaryWeights { source, program }
    }

    /// The weight of boundary `t` in a horizon of `n_cycles` cycles.
    pub fn at(&self, t: usize, n_cycles: usize) -> f64 {
        self.program.eval(&BoundaryEnv {
            vars: [t as f64, n_cycles as f64],
        })
    }
}

/// The environment of a weight expression: `t` and `T`, nothing else.
struct BoundaryEnv {
    vars: [f64; 2],
}

impl Env for BoundaryEnv {
    fn param(&self, _: usize) -> f64 {
        // The resolver of a weight expression knows no parameters.
        f64::NAN
    }
    fn var(&self, i: usize) -> f64 {
        self.vars.get(i).copied().unwrap_or(f64::NAN)
    }
    fn lookup(&self, _: usize, _: &[f64]) -> f64 {
        f64::NAN
    }
}

/// When a transition's one-off cost or QALY loss counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransitionTiming {
    /// With the discount factor D_c of the cycle in which it happens, unweighted (default).
    Cycle,
    /// At the boundary where the individual arrives, with that boundary's weight (discount
    /// and within-cycle weight), as a state payoff there would be (DARTH's transition
    /// rewards).
    Arrival,
}

impl TransitionTiming {
    /// Name as written in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionTiming::Cycle => "cycle",
            TransitionTiming::Arrival => "arrival",
        }
    }
}
