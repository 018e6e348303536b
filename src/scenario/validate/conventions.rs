//! The payoff-timing settings: `discount.timing`, `discount.compounding`, `within_cycle`
//! (a named option or a weight expression over `t` and `T`) and `transition_timing`.

use serde_saphyr::Spanned;

use crate::expr::{self, Resolver, Symbol};
use crate::model::{BoundaryWeights, Compounding, DiscountTiming, TransitionTiming, WithinCycle};

use super::super::raw::{RawDiscount, RawSettings, RawWithinCycle, Scalar, loc};
use super::Validator;

/// The names a within-cycle weight expression may use: the boundary index `t` and the
/// number of cycles `T`, nothing else.
struct BoundaryNames {
    cycle_years: f64,
}

impl Resolver for BoundaryNames {
    fn resolve(&self, name: &str) -> Option<Symbol> {
        BoundaryWeights::VARS
            .iter()
            .position(|v| *v == name)
            .map(Symbol::Var)
    }
    fn names(&self) -> Vec<String> {
        BoundaryWeights::VARS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }
    fn level(&self, _: usize, _: &str) -> Option<f64> {
        None
    }
    fn levels(&self, _: usize) -> Vec<String> {
        Vec::new()
    }
    fn cycle_years(&self) -> f64 {
        self.cycle_years
    }
}

/// One of `known`, or an error naming them; `default` when absent or wrong.
fn choose<T: Copy>(
    v: &mut Validator,
    raw: Option<&Spanned<String>>,
    path: &str,
    what: &str,
    known: &[(&str, T)],
    ok: &mut bool,
) -> T {
    let default = known[0].1;
    let Some(raw) = raw else { return default };
    match known.iter().find(|(name, _)| *name == raw.value) {
        Some((_, x)) => *x,
        None => {
            let names: Vec<String> = known.iter().map(|(n, _)| n.to_string()).collect();
            v.unknown(loc(raw), path, what, &raw.value, &names);
            *ok = false;
            default
        }
    }
}

impl Validator {
    /// Where in a cycle the discount factor is taken (`start` unless given).
    pub(super) fn discount_timing(&mut self, d: &RawDiscount, ok: &mut bool) -> DiscountTiming {
        let known = [
            ("start", DiscountTiming::Start),
            ("middle", DiscountTiming::Middle),
            ("end", DiscountTiming::End),
        ];
        let path = "settings.discount.timing";
        choose(self, d.timing.as_ref(), path, "discount timing", &known, ok)
    }

    /// How the annual rate compounds (`annual` unless given).
    pub(super) fn compounding(&mut self, d: &RawDiscount, ok: &mut bool) -> Compounding {
        let known = [
            ("annual", Compounding::Annual),
            ("per-cycle", Compounding::PerCycle),
            ("continuous", Compounding::Continuous),
        ];
        let path = "settings.discount.compounding";
        choose(
            self,
            d.compounding.as_ref(),
            path,
            "compounding",
            &known,
            ok,
        )
    }

    /// When one-off transition payoffs count (`cycle` unless given).
    pub(super) fn transition_timing(
        &mut self,
        rs: &RawSettings,
        ok: &mut bool,
    ) -> TransitionTiming {
        let known = [
            ("cycle", TransitionTiming::Cycle),
            ("arrival", TransitionTiming::Arrival),
        ];
        let path = "settings.transition_timing";
        let raw = rs.transition_timing.as_ref();
        choose(self, raw, path, "transition timing", &known, ok)
    }

    /// The within-cycle correction (`none` unless given); a weight expression is compiled
    /// and checked at every boundary of the horizon (`n_cycles`, 0 when it is unusable).
    pub(super) fn within_cycle(
        &mut self,
        rs: &RawSettings,
        n_cycles: usize,
        cycle_years: f64,
        ok: &mut bool,
    ) -> WithinCycle {
        let Some(raw) = rs.within_cycle.as_ref() else {
            return WithinCycle::None;
        };
        let within = match &raw.value {
            RawWithinCycle::Named(name) => match WithinCycle::named(name) {
                Some(w) => Some(w),
                None => {
                    let mut known: Vec<String> =
                        WithinCycle::NAMES.iter().map(|s| s.to_string()).collect();
                    known.push("{weights: EXPRESSION}".into());
                    let path = "settings.within_cycle";
                    self.unknown(loc(raw), path, "within-cycle correction", name, &known);
                    None
                }
            },
            RawWithinCycle::Weights(scalar) => {
                self.boundary_weights(loc(raw), scalar, n_cycles, cycle_years)
            }
        };
        let Some(within) = within else {
            *ok = false;
            return WithinCycle::None;
        };
        let timing = rs.discount.value.timing.as_ref();
        let new_option = within.at_boundaries() && !matches!(within, WithinCycle::Simpson);
        if let Some(t) = timing.filter(|t| new_option && t.value != "start") {
            // `simpson` predates this check and keeps accepting (and ignoring) the timing.
            self.error(
                loc(t),
                "settings.discount.timing",
                format!(
                    "discount timing `{}` does not apply to within_cycle `{}`, which discounts each boundary at its own time; remove it or use `start`",
                    t.value,
                    within.as_str()
                ),
            );
            *ok = false;
        }
        within
    }

    /// A weight expression over `t` and `T`: compiled, then evaluated at every boundary,
    /// where it must give a finite number ≥ 0, not 0 everywhere.
    fn boundary_weights(
        &mut self,
        at: (u64, u64),
        scalar: &Scalar,
        n_cycles: usize,
        cycle_years: f64,
    ) -> Option<WithinCycle> {
        let path = "settings.within_cycle.weights";
        let source = match scalar {
            Scalar::Num(x) => format!("{x}"),
            Scalar::Text(s) => s.clone(),
        };
        let program = match expr::compile(&source, &BoundaryNames { cycle_years }) {
            Ok(p) => p,
            Err(e) => {
                let message = format!(
                    "in expression `{source}` at character {}: {}; a weight may use only `t` (the boundary, 0 to T) and `T` (the number of cycles)",
                    e.offset + 1,
                    e.message
                );
                self.error(at, path, message);
                return None;
            }
        };
        let weights = BoundaryWeights::new(source, program);
        if n_cycles == 0 {
            // The horizon is unusable (reported already); nothing to evaluate.
            return Some(WithinCycle::Weights(weights));
        }
        let mut any_positive = false;
        for t in 0..=n_cycles {
            let w = weights.at(t, n_cycles);
            if !(w.is_finite() && w >= 0.0) {
                let message = format!(
                    "the weight `{}` is {w} at t = {t} (T = {n_cycles}); expected a finite number >= 0 at every boundary",
                    weights.source
                );
                self.error(at, path, message);
                return None;
            }
            any_positive |= w > 0.0;
        }
        if !any_positive {
            let message = format!(
                "the weight `{}` is 0 at every boundary; expected a positive weight somewhere",
                weights.source
            );
            self.error(at, path, message);
            return None;
        }
        Some(WithinCycle::Weights(weights))
    }
}
