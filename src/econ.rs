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
    fn of(inc_cost: f64, inc_effect: f64) -> Self {
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
mod tests {
    use super::*;

    fn o(cost: f64, effect: f64) -> Outcome {
        Outcome { cost, effect }
    }

    fn row(rows: &[IcerRow], strategy: usize) -> &IcerRow {
        rows.iter()
            .find(|r| r.strategy == strategy)
            .expect("every input strategy has a row")
    }

    fn order(rows: &[IcerRow]) -> Vec<usize> {
        rows.iter().map(|r| r.strategy).collect()
    }

    /// Asserts a frontier row after the reference, with its increments.
    fn assert_nd(r: &IcerRow, compared_to: usize, inc_cost: f64, inc_effect: f64, icer: f64) {
        assert_eq!(r.status, IcerStatus::NonDominated, "{r:?}");
        assert_eq!(r.compared_to, Some(compared_to), "{r:?}");
        assert_eq!(r.inc_cost, Some(inc_cost), "{r:?}");
        assert_eq!(r.inc_effect, Some(inc_effect), "{r:?}");
        assert_eq!(r.icer, Some(icer), "{r:?}");
        assert_eq!(r.dominated_by, None, "{r:?}");
    }

    /// Asserts a row with no increments and the given status and dominator.
    fn assert_off(r: &IcerRow, status: IcerStatus, dominated_by: Option<usize>) {
        assert_eq!(r.status, status, "{r:?}");
        assert_eq!(r.dominated_by, dominated_by, "{r:?}");
        assert_eq!(
            (r.compared_to, r.inc_cost, r.inc_effect, r.icer),
            (None, None, None, None),
            "{r:?}"
        );
    }

    /// The HERC example used in dampack's own `calculate_icers` tests, plus
    /// strategy H dominated by two others.
    fn textbook() -> Vec<Outcome> {
        vec![
            o(55_000.0, 5.0), // 0 E
            o(35_000.0, 4.0), // 1 D
            o(25_000.0, 3.0), // 2 C
            o(10_000.0, 2.0), // 3 B
            o(12_000.0, 1.5), // 4 A
            o(5_000.0, 1.0),  // 5 UC
            o(56_000.0, 4.0), // 6 H
        ]
    }

    #[test]
    fn textbook_example_matches_hand_calculation() {
        // Sorted by cost: UC 5000/1, B 10000/2, A 12000/1.5, C 25000/3,
        // D 35000/4, E 55000/5, H 56000/4.
        // Strong dominance: A is beaten by B (cheaper, 2 > 1.5 QALYs). H is
        // beaten by D (35000 < 56000, equal 4 QALYs) and by E (55000 < 56000,
        // 5 > 4); the cheapest dominator, D, is reported.
        // Remaining UC, B, C, D, E. Sequential ICERs:
        //   B vs UC (10000-5000)/(2-1) = 5000
        //   C vs B  (25000-10000)/(3-2) = 15000
        //   D vs C  (35000-25000)/(4-3) = 10000
        //   E vs D  (55000-35000)/(5-4) = 20000
        // 15000 > 10000, so C is extendedly dominated. Without C:
        //   D vs B  (35000-10000)/(4-2) = 12500 <= 20000, so we are done.
        // dampack's test expects exactly UC ref, B 5000, D 12500, E 20000,
        // C ED, A D.
        let input = textbook();
        let rows = incremental(&input);
        assert_eq!(order(&rows), vec![5, 3, 4, 2, 1, 0, 6]);

        assert_off(row(&rows, 5), IcerStatus::Reference, None);
        assert_nd(row(&rows, 3), 5, 5_000.0, 1.0, 5_000.0);
        assert_off(row(&rows, 4), IcerStatus::Dominated, Some(3));
        assert_off(row(&rows, 2), IcerStatus::ExtendedlyDominated, None);
        assert_nd(row(&rows, 1), 3, 25_000.0, 2.0, 12_500.0);
        assert_nd(row(&rows, 0), 1, 20_000.0, 1.0, 20_000.0);
        assert_off(row(&rows, 6), IcerStatus::Dominated, Some(1));

        for r in &rows {
            assert_eq!(o(r.cost, r.effect), input[r.strategy]);
        }
    }

    #[test]
    fn extended_dominance_cascades() {
        // (cost, effect): P0 0/0, P1 5/1, P2 12/2, P3 14/3.
        // First pass: ICERs 5, 7, 2. Only P2 has an ICER above the next one
        // (7 > 2), so P2 is extendedly dominated.
        // Second pass: P1 vs P0 = 5, P3 vs P1 = (14-5)/(3-1) = 4.5; now
        // 5 > 4.5, so P1 goes too. Final: P0 reference, P3 vs P0 = 14/3.
        let rows = incremental(&[o(0.0, 0.0), o(5.0, 1.0), o(12.0, 2.0), o(14.0, 3.0)]);
        assert_off(row(&rows, 0), IcerStatus::Reference, None);
        assert_off(row(&rows, 1), IcerStatus::ExtendedlyDominated, None);
        assert_off(row(&rows, 2), IcerStatus::ExtendedlyDominated, None);
        assert_nd(row(&rows, 3), 0, 14.0, 3.0, 14.0 / 3.0);
    }

    #[test]
    fn identical_strategies_keep_the_lowest_index() {
        // 0 and 2 are identical at 100/1; 0 stays, 2 is dominated by 0.
        // 1 (50/0.5) is cheapest, so it is the reference and 0 has
        // ICER (100-50)/(1-0.5) = 100.
        let rows = incremental(&[o(100.0, 1.0), o(50.0, 0.5), o(100.0, 1.0)]);
        assert_eq!(order(&rows), vec![1, 0, 2]);
        assert_off(row(&rows, 1), IcerStatus::Reference, None);
        assert_nd(row(&rows, 0), 1, 50.0, 0.5, 100.0);
        assert_off(row(&rows, 2), IcerStatus::Dominated, Some(0));

        // Three identical cheapest strategies: index 0 is the reference and
        // the other two point at it.
        let rows = incremental(&[o(10.0, 1.0); 3]);
        assert_eq!(order(&rows), vec![0, 1, 2]);
        assert_off(row(&rows, 0), IcerStatus::Reference, None);
        assert_off(row(&rows, 1), IcerStatus::Dominated, Some(0));
        assert_off(row(&rows, 2), IcerStatus::Dominated, Some(0));
    }

    #[test]
    fn signed_zero_costs_are_identical() {
        // -0.0 == 0.0, so these are identical and index 0 must stay even
        // though its cost is +0.0.
        let rows = incremental(&[o(0.0, 1.0), o(-0.0, 1.0)]);
        assert_eq!(order(&rows), vec![0, 1]);
        assert_off(row(&rows, 0), IcerStatus::Reference, None);
        assert_off(row(&rows, 1), IcerStatus::Dominated, Some(0));
    }

    #[test]
    fn equal_cost_less_effective_is_dominated() {
        // Both cost 100; 1 has 3 QALYs > 2, so 0 is dominated by 1 and sorts
        // after it (effect descending).
        let rows = incremental(&[o(100.0, 2.0), o(100.0, 3.0)]);
        assert_eq!(order(&rows), vec![1, 0]);
        assert_off(row(&rows, 1), IcerStatus::Reference, None);
        assert_off(row(&rows, 0), IcerStatus::Dominated, Some(1));
    }

    #[test]
    fn equal_effect_costlier_is_dominated() {
        // Both 2 QALYs; 0 costs 200 > 100, so it is dominated by 1.
        let rows = incremental(&[o(200.0, 2.0), o(100.0, 2.0)]);
        assert_eq!(order(&rows), vec![1, 0]);
        assert_off(row(&rows, 1), IcerStatus::Reference, None);
        assert_off(row(&rows, 0), IcerStatus::Dominated, Some(1));
    }

    #[test]
    fn zero_incremental_effect_is_dominated_not_infinite_icer() {
        // 1 costs 50 more for the same 2 QALYs: incremental effect 0, so it is
        // dominated by 0 rather than given an infinite ICER.
        let rows = incremental(&[o(100.0, 2.0), o(150.0, 2.0)]);
        assert_off(row(&rows, 0), IcerStatus::Reference, None);
        assert_off(row(&rows, 1), IcerStatus::Dominated, Some(0));
    }

    #[test]
    fn collinear_middle_strategy_stays_on_frontier() {
        // 0/0, 10/1, 20/2: ICERs 10 and 10. 10 > 10 is false, so the middle
        // strategy is not extendedly dominated (dampack's strict comparison).
        let rows = incremental(&[o(20.0, 2.0), o(0.0, 0.0), o(10.0, 1.0)]);
        assert_eq!(order(&rows), vec![1, 2, 0]);
        assert_off(row(&rows, 1), IcerStatus::Reference, None);
        assert_nd(row(&rows, 2), 1, 10.0, 1.0, 10.0);
        assert_nd(row(&rows, 0), 2, 10.0, 1.0, 10.0);
    }

    #[test]
    fn single_and_empty_inputs() {
        let rows = incremental(&[o(123.0, 4.5)]);
        assert_eq!(rows.len(), 1);
        assert_off(&rows[0], IcerStatus::Reference, None);
        assert_eq!(
            (rows[0].strategy, rows[0].cost, rows[0].effect),
            (0, 123.0, 4.5)
        );
        assert!(incremental(&[]).is_empty());
    }

    #[test]
    fn dominant_cheapest_strategy_dominates_everything() {
        // 1 costs 100 for 10 QALYs: every other strategy costs more and
        // yields less, so 1 is the reference and the rest are dominated by it.
        let rows = incremental(&[o(500.0, 3.0), o(100.0, 10.0), o(300.0, 5.0), o(900.0, 8.0)]);
        assert_eq!(order(&rows), vec![1, 2, 0, 3]);
        assert_off(row(&rows, 1), IcerStatus::Reference, None);
        for s in [0, 2, 3] {
            assert_off(row(&rows, s), IcerStatus::Dominated, Some(1));
        }
    }

    #[test]
    fn status_labels() {
        assert_eq!(IcerStatus::Reference.as_str(), "reference");
        assert_eq!(IcerStatus::NonDominated.as_str(), "non-dominated");
        assert_eq!(IcerStatus::Dominated.as_str(), "dominated");
        assert_eq!(
            IcerStatus::ExtendedlyDominated.as_str(),
            "extendedly dominated"
        );
        assert_eq!(Quadrant::Dominant.as_str(), "dominant");
        assert_eq!(Quadrant::Dominated.as_str(), "dominated");
        assert_eq!(
            Quadrant::MoreCostlyMoreEffective.as_str(),
            "more costly more effective"
        );
        assert_eq!(
            Quadrant::LessCostlyLessEffective.as_str(),
            "less costly less effective"
        );
        assert_eq!(Quadrant::Equivalent.as_str(), "equivalent");
    }

    #[test]
    fn pairwise_covers_every_quadrant() {
        // Comparator (index 3) costs 100 for 1 QALY. Increments by hand:
        let outcomes = [
            o(50.0, 2.0),  // 0: -50, +1    cheaper & better      -> dominant, ICER -50
            o(100.0, 2.0), // 1:   0, +1    same cost, better     -> dominant, ICER 0
            o(80.0, 1.0),  // 2: -20,  0    cheaper, same effect  -> dominant, no ICER
            o(100.0, 1.0), // 3: comparator, no row
            o(150.0, 0.5), // 4: +50, -0.5  dearer & worse        -> dominated, ICER -100
            o(150.0, 1.0), // 5: +50,  0    dearer, same effect   -> dominated, no ICER
            o(100.0, 0.5), // 6:   0, -0.5  same cost, worse      -> dominated, ICER -0
            o(300.0, 3.0), // 7: +200, +2   north-east            -> ICER 100
            o(40.0, 0.5),  // 8: -60, -0.5  south-west            -> ICER 120
            o(100.0, 1.0), // 9:   0,  0    identical             -> equivalent, no ICER
        ];
        let expected = [
            (0, -50.0, 1.0, Some(-50.0), Quadrant::Dominant),
            (1, 0.0, 1.0, Some(0.0), Quadrant::Dominant),
            (2, -20.0, 0.0, None, Quadrant::Dominant),
            (4, 50.0, -0.5, Some(-100.0), Quadrant::Dominated),
            (5, 50.0, 0.0, None, Quadrant::Dominated),
            (6, 0.0, -0.5, Some(0.0), Quadrant::Dominated),
            (
                7,
                200.0,
                2.0,
                Some(100.0),
                Quadrant::MoreCostlyMoreEffective,
            ),
            (
                8,
                -60.0,
                -0.5,
                Some(120.0),
                Quadrant::LessCostlyLessEffective,
            ),
            (9, 0.0, 0.0, None, Quadrant::Equivalent),
        ];
        let rows = pairwise(&outcomes, 3);
        assert_eq!(rows.len(), expected.len());
        for (r, &(strategy, inc_cost, inc_effect, icer, quadrant)) in rows.iter().zip(&expected) {
            assert_eq!(
                *r,
                PairRow {
                    strategy,
                    reference: 3,
                    inc_cost,
                    inc_effect,
                    icer,
                    quadrant
                }
            );
        }
    }

    #[test]
    fn pairwise_single_strategy_is_empty() {
        assert!(pairwise(&[o(1.0, 1.0)], 0).is_empty());
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn pairwise_rejects_bad_reference() {
        let _ = pairwise(&[o(1.0, 1.0)], 1);
    }

    #[test]
    fn net_monetary_benefit() {
        // 50 000 × 2 − 1 000 = 99 000; at zero WTP the NMB is minus the cost.
        assert_eq!(nmb(o(1_000.0, 2.0), 50_000.0), 99_000.0);
        assert_eq!(nmb(o(1_000.0, 2.0), 0.0), -1_000.0);
    }

    /// All permutations of `0..n` (Heap's algorithm), in a fixed order.
    fn permutations(n: usize) -> Vec<Vec<usize>> {
        fn heap(k: usize, p: &mut [usize], out: &mut Vec<Vec<usize>>) {
            if k <= 1 {
                out.push(p.to_vec());
                return;
            }
            for i in 0..k - 1 {
                heap(k - 1, p, out);
                let j = if k.is_multiple_of(2) { i } else { 0 };
                p.swap(j, k - 1);
            }
            heap(k - 1, p, out);
        }
        let mut out = Vec::new();
        heap(n, &mut (0..n).collect::<Vec<_>>(), &mut out);
        out
    }

    #[test]
    fn result_does_not_depend_on_input_order() {
        // Every one of the 7! = 5040 orderings of the textbook example (all
        // points distinct) must give each strategy the same status, ICER,
        // comparator and dominator, and the same row order.
        let base = textbook();
        let expected = incremental(&base);
        let perms = permutations(base.len());
        assert_eq!(perms.len(), 5040);
        for perm in perms {
            // New position k holds original strategy perm[k].
            let shuffled: Vec<Outcome> = perm.iter().map(|&s| base[s]).collect();
            let rows = incremental(&shuffled);
            assert_eq!(rows.len(), expected.len());
            let back = |k: Option<usize>| k.map(|k| perm[k]);
            for (got, want) in rows.iter().zip(&expected) {
                let mapped = IcerRow {
                    strategy: perm[got.strategy],
                    compared_to: back(got.compared_to),
                    dominated_by: back(got.dominated_by),
                    ..got.clone()
                };
                assert_eq!(&mapped, want, "permutation {perm:?}");
            }
        }
    }

    /// Knuth's MMIX linear congruential generator; the high bits are used.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> i32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            i32::try_from((self.0 >> 33) % n).expect("small")
        }
    }

    /// Integer point so that the oracle can use exact arithmetic.
    #[derive(Clone, Copy, PartialEq)]
    struct P {
        c: i32,
        e: i32,
    }

    fn strongly_dominates(a: P, b: P) -> bool {
        a.c <= b.c && a.e >= b.e && (a.c < b.c || a.e > b.e)
    }

    /// Exact rational `n / d` with `d > 0`.
    #[derive(Clone, Copy)]
    struct Q(i128, i128);

    impl Q {
        fn lt(self, o: Q) -> bool {
            self.0 * o.1 < o.0 * self.1
        }
    }

    /// Whether some point `b + λ(a − b)`, λ ∈ [0, 1], strongly dominates `t`.
    fn mix_dominates(a: P, b: P, t: P) -> bool {
        let (mut lo, mut hi) = (Q(0, 1), Q(1, 1));
        // cost:   b.c + λ(a.c − b.c) <= t.c   ⇔ λ·(a.c − b.c) <= t.c − b.c
        // effect: b.e + λ(a.e − b.e) >= t.e   ⇔ λ·(b.e − a.e) <= b.e − t.e
        for (k, m) in [(a.c - b.c, t.c - b.c), (b.e - a.e, b.e - t.e)] {
            let (k, m) = (i128::from(k), i128::from(m));
            match k.cmp(&0) {
                Ordering::Greater if Q(m, k).lt(hi) => hi = Q(m, k),
                Ordering::Less if lo.lt(Q(-m, -k)) => lo = Q(-m, -k),
                Ordering::Equal if m < 0 => return false,
                _ => {}
            }
        }
        if hi.lt(lo) {
            return false;
        }
        // The mix equals `t` for at most one λ unless a == b, so if any
        // feasible λ is strict then one of lo, hi or their midpoint is.
        let mid = Q(lo.0 * hi.1 + hi.0 * lo.1, 2 * lo.1 * hi.1);
        [lo, mid, hi].into_iter().any(|Q(n, d)| {
            let cost = i128::from(b.c) * d + n * i128::from(a.c - b.c);
            let effect = i128::from(b.e) * d + n * i128::from(a.e - b.e);
            cost < i128::from(t.c) * d || effect > i128::from(t.e) * d
        })
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Naive {
        Dominated,
        Extended,
        Frontier,
    }

    /// Brute-force classification straight from the definitions: dominated
    /// by one strategy (or an identical one listed earlier), else dominated
    /// by a mix of two others, else on the frontier.
    fn naive(pts: &[P], i: usize) -> Naive {
        let others = || (0..pts.len()).filter(move |&j| j != i);
        if others().any(|j| strongly_dominates(pts[j], pts[i]) || (pts[j] == pts[i] && j < i)) {
            Naive::Dominated
        } else if others().any(|j| others().any(|k| mix_dominates(pts[j], pts[k], pts[i]))) {
            Naive::Extended
        } else {
            Naive::Frontier
        }
    }

    #[test]
    fn agrees_with_brute_force_oracle() {
        let mut rng = Lcg(0x5EED);
        let mut seen = [0usize; 3];
        let mut collinear = 0;
        for case in 0..200_u32 {
            // Small integer grids force plenty of ties and collinear triples;
            // f64 holds them exactly and quotients of such small integers
            // order the same way as the exact fractions. Every other case
            // makes cost rise with effect, as real strategies tend to, so
            // that extended dominance is common rather than rare.
            let n = usize::try_from(1 + rng.below(7)).expect("small");
            let pts: Vec<P> = (0..n)
                .map(|_| {
                    let e = rng.below(7);
                    let c = if case.is_multiple_of(2) {
                        rng.below(13)
                    } else {
                        2 * e + rng.below(5)
                    };
                    P { c, e }
                })
                .collect();
            let outcomes: Vec<Outcome> = pts
                .iter()
                .map(|p| o(f64::from(p.c), f64::from(p.e)))
                .collect();
            let rows = incremental(&outcomes);
            let ctx = format!("case {case}: {outcomes:?}\n{rows:#?}");

            let statuses: Vec<Naive> = (0..n).map(|i| naive(&pts, i)).collect();
            let mut frontier: Vec<usize> =
                (0..n).filter(|&i| statuses[i] == Naive::Frontier).collect();
            frontier.sort_by_key(|&i| pts[i].c);
            assert!(!frontier.is_empty(), "{ctx}");

            assert_eq!(order(&rows).len(), n, "{ctx}");
            for w in rows.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                let key = |r: &IcerRow| (pts[r.strategy].c, -pts[r.strategy].e, r.strategy);
                assert!(key(a) < key(b), "row order\n{ctx}");
            }

            for r in &rows {
                let i = r.strategy;
                seen[statuses[i] as usize] += 1;
                match statuses[i] {
                    Naive::Dominated => {
                        assert_eq!(r.status, IcerStatus::Dominated, "{ctx}");
                        let d = r.dominated_by.expect("dominated rows name a dominator");
                        assert!(
                            strongly_dominates(pts[d], pts[i]) || (pts[d] == pts[i] && d < i),
                            "{ctx}"
                        );
                        assert_ne!(statuses[d], Naive::Dominated, "{ctx}");
                    }
                    Naive::Extended => {
                        assert_off(r, IcerStatus::ExtendedlyDominated, None);
                    }
                    Naive::Frontier => {
                        let pos = frontier.iter().position(|&f| f == i).expect("on frontier");
                        if pos == 0 {
                            assert_off(r, IcerStatus::Reference, None);
                        } else {
                            let p = frontier[pos - 1];
                            let (dc, de) = (pts[i].c - pts[p].c, pts[i].e - pts[p].e);
                            assert!(dc > 0 && de > 0, "{ctx}");
                            let (dc, de) = (f64::from(dc), f64::from(de));
                            assert_nd(r, p, dc, de, dc / de);
                        }
                    }
                }
            }

            // ICERs never decrease along the frontier; equal neighbours are
            // the collinear ties that the strict comparison keeps.
            let icers: Vec<f64> = rows.iter().filter_map(|r| r.icer).collect();
            assert!(icers.windows(2).all(|w| w[0] <= w[1]), "{ctx}");
            collinear += icers.windows(2).filter(|w| w[0] == w[1]).count();
        }
        // The generator must actually exercise every category and the tie.
        assert!(
            seen.iter().all(|&k| k > 20) && collinear > 5,
            "{seen:?} {collinear}"
        );
    }
}
