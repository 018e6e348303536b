//! Incremental cost-effectiveness analysis over per-strategy mean (cost, effect) pairs.
//!
//! The functions here are pure: they know nothing about models, files or
//! configuration, only about one `(cost, effect)` point per strategy. The
//! conventions follow the usual references so that results can be checked
//! against other tools:
//!
//! - Drummond MF, Sculpher MJ, Claxton K, Stoddart GL, Torrance GW. *Methods for
//!   the Economic Evaluation of Health Care Programmes*, 4th ed. Oxford
//!   University Press, 2015 (dominance, extended dominance, sequential ICERs).
//! - Cantor SB. Cost-effectiveness analysis, extended dominance, and ethics: a
//!   quantitative assessment. *Med Decis Making* 1994;14(3):259–265.
//! - Black WC. The CE plane: a graphic representation of cost-effectiveness.
//!   *Med Decis Making* 1990;10(3):212–214 (quadrants).
//! - Stinnett AA, Mullahy J. Net health benefits: a new framework for the
//!   analysis of uncertainty in cost-effectiveness analysis. *Med Decis Making*
//!   1998;18(2 Suppl):S68–S80 (net monetary benefit).
//! - R package dampack, `calculate_icers()` (DARTH workgroup), R package hesim,
//!   `cea_pw()` and `icer()` (Incerti & Jansen), and TreeAge Pro's CE analysis,
//!   whose outputs this module reproduces.

use std::cmp::Ordering;

/// Mean outcome of one strategy, as the (cost, effect) point plotted on the cost-effectiveness
/// plane (Black 1990).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Mean (discounted) cost per patient.
    pub cost: f64,
    /// Mean (discounted) effect per patient, e.g. QALYs.
    pub effect: f64,
}

/// Status of a strategy in a full incremental analysis, using dampack's categories
/// `ref`/`ND`/`D`/`ED` (Drummond et al. 2015).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcerStatus {
    /// The cheapest strategy on the efficiency frontier, against which the first ICER is computed.
    Reference,
    /// A frontier strategy after the reference, with an ICER against the previous frontier
    /// strategy.
    NonDominated,
    /// Strongly dominated: another strategy costs no more and is at least as effective, one
    /// of them strictly, or it duplicates a lower-indexed strategy.
    Dominated,
    /// Extendedly dominated: a mix of two other strategies costs no more and is at least as
    /// effective, one of them strictly (Cantor 1994).
    ExtendedlyDominated,
}

impl IcerStatus {
    /// Lower-case label for reports, spelled as in Drummond et al. (2015).
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Reference => "reference",
            Self::NonDominated => "non-dominated",
            Self::Dominated => "dominated",
            Self::ExtendedlyDominated => "extendedly dominated",
        }
    }
}

/// One strategy's line in the incremental table, laid out like dampack's `calculate_icers()`
/// output.
#[derive(Clone, Debug, PartialEq)]
pub struct IcerRow {
    /// Index of the strategy in the input slice.
    pub strategy: usize,
    /// The strategy's cost, copied from the input.
    pub cost: f64,
    /// The strategy's effect, copied from the input.
    pub effect: f64,
    /// Where the strategy stands relative to the efficiency frontier.
    pub status: IcerStatus,
    /// The previous frontier strategy, set only for [`IcerStatus::NonDominated`].
    pub compared_to: Option<usize>,
    /// Cost minus the cost of `compared_to`, set only for [`IcerStatus::NonDominated`].
    pub inc_cost: Option<f64>,
    /// Effect minus the effect of `compared_to` (always > 0), set only for
    /// [`IcerStatus::NonDominated`].
    pub inc_effect: Option<f64>,
    /// `inc_cost / inc_effect`, set only for [`IcerStatus::NonDominated`].
    pub icer: Option<f64>,
    /// For [`IcerStatus::Dominated`], the cheapest strategy that strongly dominates this
    /// one, or the kept duplicate (see [`incremental`]); otherwise `None`.
    pub dominated_by: Option<usize>,
}

/// Full incremental analysis along the efficiency frontier (Drummond et al. 2015; dampack
/// `calculate_icers()`).
///
/// Rows are returned sorted by cost ascending, ties by effect descending,
/// then by input index; an empty input gives an empty table.
///
/// # Algorithm
///
/// 1. Sort as above.
/// 2. Strong dominance: a strategy is [`IcerStatus::Dominated`] when another
///    has cost ≤ and effect ≥ with at least one strict. `dominated_by` names
///    the first such strategy in the sorted order (the cheapest dominator,
///    most effective among equally cheap); that strategy is never itself
///    dominated, so it can be reported as "dominated by X" without chains.
/// 3. Extended dominance (Cantor 1994): among the remaining strategies, any
///    whose ICER versus the previous one is greater than the ICER of the next
///    one versus it is [`IcerStatus::ExtendedlyDominated`]; repeated until ICERs
///    are non-decreasing along the frontier. dampack loops until no change; a
///    single stack pass gives the same set, because every removed strategy
///    lies strictly above a chord between two strategies that stay.
/// 4. The cheapest remaining strategy is the [`IcerStatus::Reference`]; every
///    other frontier strategy is [`IcerStatus::NonDominated`] and gets
///    `inc_cost`, `inc_effect` and `icer` against the previous frontier
///    strategy.
///
/// # Ties
///
/// - Identical cost and identical effect: the strategy with the lowest input
///   index stays and the others are `Dominated` with `dominated_by` set to it.
///   This is a convention so that the frontier has no zero-length step (whose
///   ICER would be 0/0). dampack's `calculate_icers()` likewise keeps only one
///   of a set of duplicates: its `Effect[j] <= Effect[i]` test after
///   `arrange(Cost, desc(Effect))` marks every later duplicate `D`.
/// - Equal cost, different effect: the less effective is `Dominated`.
/// - Equal effect, different cost: the costlier is `Dominated`.
/// - Equal ICERs along the frontier (collinear strategies): the middle one is
///   *not* extendedly dominated, because the comparison is a strict `>` as in
///   dampack; its ICER equals the next one's. Collinearity is judged on the
///   computed `f64` ICERs, so points collinear only up to rounding may fall
///   either way.
/// - A single strategy is the `Reference`.
///
/// # Inputs
///
/// The caller guarantees that every cost and effect is finite; this is only
/// checked by `debug_assert!`. A NaN would make every comparison false and
/// silently place the strategy on the frontier.
///
/// # Complexity
///
/// O(n²) in the number of strategies because of the strong-dominance scan,
/// which is immaterial for the handful of strategies in a decision problem.
#[must_use]
pub fn incremental(outcomes: &[Outcome]) -> Vec<IcerRow> {
    debug_assert!(
        outcomes
            .iter()
            .all(|o| o.cost.is_finite() && o.effect.is_finite()),
        "incremental: costs and effects must be finite"
    );

    let mut order: Vec<usize> = (0..outcomes.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (outcomes[a], outcomes[b]);
        cmp_finite(x.cost, y.cost)
            .then_with(|| cmp_finite(y.effect, x.effect))
            .then(a.cmp(&b))
    });

    // In this order, "some earlier strategy has effect >= mine" is exactly
    // "I am strongly dominated, or an identical strategy has a lower index":
    // earlier means cheaper, or equally cheap and more effective, or identical
    // with a lower index. The first such strategy is therefore the cheapest
    // dominator, and it cannot be dominated itself, since whatever dominated
    // it would also dominate us and come before it.
    let mut dominated_by: Vec<Option<usize>> = vec![None; outcomes.len()];
    for (pos, &i) in order.iter().enumerate() {
        dominated_by[i] = order[..pos]
            .iter()
            .copied()
            .find(|&j| outcomes[j].effect >= outcomes[i].effect);
    }

    // After strong dominance, successive survivors have strictly increasing
    // cost and strictly increasing effect (an equal cost or an effect that
    // does not increase would have been caught above), so every ICER below
    // divides by a positive number.
    let icer_between = |from: usize, to: usize| {
        (outcomes[to].cost - outcomes[from].cost) / (outcomes[to].effect - outcomes[from].effect)
    };

    // Monotone-chain pass over the survivors in cost order: before accepting
    // a new strategy, drop the last frontier candidate while its ICER exceeds
    // the ICER of the new strategy versus it. A dropped candidate sits above
    // the chord between its neighbours, so it stays off the frontier whatever
    // comes later, which is why one pass matches dampack's repeat-until-stable
    // loop. Comparing the same quotients that are reported keeps the reported
    // ICERs non-decreasing even where rounding is involved.
    let mut extended = vec![false; outcomes.len()];
    let mut frontier: Vec<usize> = Vec::new();
    for &i in order.iter().filter(|&&i| dominated_by[i].is_none()) {
        while let &[.., prev, last] = frontier.as_slice() {
            if icer_between(prev, last) > icer_between(last, i) {
                extended[last] = true;
                frontier.pop();
            } else {
                break;
            }
        }
        frontier.push(i);
    }

    let mut rows = Vec::with_capacity(outcomes.len());
    let mut previous_on_frontier: Option<usize> = None;
    for &i in &order {
        let Outcome { cost, effect } = outcomes[i];
        let mut row = IcerRow {
            strategy: i,
            cost,
            effect,
            status: IcerStatus::Reference,
            compared_to: None,
            inc_cost: None,
            inc_effect: None,
            icer: None,
            dominated_by: dominated_by[i],
        };
        if row.dominated_by.is_some() {
            row.status = IcerStatus::Dominated;
        } else if extended[i] {
            row.status = IcerStatus::ExtendedlyDominated;
        } else {
            if let Some(p) = previous_on_frontier {
                row.status = IcerStatus::NonDominated;
                row.compared_to = Some(p);
                row.inc_cost = Some(cost - outcomes[p].cost);
                row.inc_effect = Some(effect - outcomes[p].effect);
                row.icer = Some(icer_between(p, i));
            }
            previous_on_frontier = Some(i);
        }
        rows.push(row);
    }
    rows
}

/// Quadrant of the cost-effectiveness plane in which a strategy lies relative to a comparator
/// (Black 1990).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quadrant {
    /// No costlier and no less effective, not both equal (hesim's "Dominates", widened to
    /// zero incremental cost).
    Dominant,
    /// No cheaper and no more effective, not both equal (hesim's "Dominated", widened to
    /// zero incremental cost).
    Dominated,
    /// North-east: strictly costlier and strictly more effective, so the ICER is a price
    /// per unit of effect gained.
    MoreCostlyMoreEffective,
    /// South-west: strictly cheaper and strictly less effective, so the ICER is a saving
    /// per unit of effect forgone.
    LessCostlyLessEffective,
    /// Both increments exactly zero.
    Equivalent,
}

impl Quadrant {
    /// Lower-case, comma-free label for reports and CSV files, following Black (1990).
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Dominant => "dominant",
            Self::Dominated => "dominated",
            Self::MoreCostlyMoreEffective => "more costly more effective",
            Self::LessCostlyLessEffective => "less costly less effective",
            Self::Equivalent => "equivalent",
        }
    }

    /// Classifies finite increments; points on an axis go to `Dominant` or
    /// `Dominated`, so the five cases cover the plane exactly once.
    pub fn of(inc_cost: f64, inc_effect: f64) -> Self {
        if inc_cost == 0.0 && inc_effect == 0.0 {
            Self::Equivalent
        } else if inc_cost <= 0.0 && inc_effect >= 0.0 {
            Self::Dominant
        } else if inc_cost >= 0.0 && inc_effect <= 0.0 {
            Self::Dominated
        } else if inc_cost > 0.0 {
            Self::MoreCostlyMoreEffective
        } else {
            Self::LessCostlyLessEffective
        }
    }
}

/// One strategy compared with a fixed comparator, as in hesim's `cea_pw()` summary.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairRow {
    /// Index of the strategy in the input slice.
    pub strategy: usize,
    /// Index of the comparator in the input slice.
    pub reference: usize,
    /// Strategy cost minus comparator cost.
    pub inc_cost: f64,
    /// Strategy effect minus comparator effect.
    pub inc_effect: f64,
    /// `inc_cost / inc_effect`, or `None` when `inc_effect == 0`; like hesim it may be
    /// negative, so report it together with `quadrant`.
    pub icer: Option<f64>,
    /// Quadrant of the cost-effectiveness plane relative to the comparator.
    pub quadrant: Quadrant,
}

/// Pairwise comparison of every other strategy with `reference`, in input order (hesim
/// `cea_pw()`/`icer()`; Black 1990).
///
/// Unlike [`incremental`], no dominance is removed: each strategy is compared
/// directly with the comparator. hesim reports negative ICERs and leaves the
/// zero-incremental-cost cases unlabelled; here an increment of exactly zero
/// on one axis counts as weak dominance (see [`Quadrant`]) and the ICER is
/// `None` when the incremental effect is zero, where the ratio is undefined.
///
/// # Panics
///
/// Panics if `reference` is not a valid index into `outcomes`.
#[must_use]
pub fn pairwise(outcomes: &[Outcome], reference: usize) -> Vec<PairRow> {
    assert!(
        reference < outcomes.len(),
        "pairwise: reference index {reference} out of range for {} strategies",
        outcomes.len()
    );
    debug_assert!(
        outcomes
            .iter()
            .all(|o| o.cost.is_finite() && o.effect.is_finite()),
        "pairwise: costs and effects must be finite"
    );
    let comparator = outcomes[reference];
    outcomes
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != reference)
        .map(|(strategy, o)| {
            let inc_cost = o.cost - comparator.cost;
            let inc_effect = o.effect - comparator.effect;
            PairRow {
                strategy,
                reference,
                inc_cost,
                inc_effect,
                icer: (inc_effect != 0.0).then(|| inc_cost / inc_effect),
                quadrant: Quadrant::of(inc_cost, inc_effect),
            }
        })
        .collect()
}

/// Net monetary benefit `wtp · effect − cost` (Stinnett & Mullahy 1998; hesim's `k * e - c`).
#[must_use]
pub fn nmb(o: Outcome, wtp_per_effect: f64) -> f64 {
    wtp_per_effect * o.effect - o.cost
}

/// Orders finite numbers; `partial_cmp` rather than `total_cmp` so that
/// `-0.0` and `0.0` tie, as they do under `==` everywhere else in this module.
fn cmp_finite(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests;
