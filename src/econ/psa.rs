//! Statistics of a probabilistic sensitivity analysis (PSA): acceptability curves and
//! frontier, expected value of perfect information, interval summaries and Monte Carlo
//! convergence diagnostics.
//!
//! The functions here are pure. They see only a [`PsaTable`] (one cost and one effect per
//! draw and strategy) and never know which model produced it. Every sum runs over the
//! draws in draw order, so results are bit-for-bit reproducible for a given table.
//!
//! # Conventions
//!
//! - Net monetary benefit is `wtp · effect − cost` (Stinnett & Mullahy 1998), written
//!   `k * e - c` in hesim. The incremental net monetary benefit (INMB) of strategy `s`
//!   against a reference `r` in one draw is `wtp · (e_s − e_r) − (c_s − c_r)`, the form
//!   of hesim's `cea_pw()`: the increments are taken first, then priced.
//! - The probability that a strategy is best is the share of draws in which its NMB is the
//!   highest (hesim `cea()$mce`, dampack `ceac()`). A tie between strategies in a draw goes
//!   to the **lowest index**, as in hesim, whose C++ uses `std::max_element` (first
//!   maximum). dampack uses R's `max.col()`, whose default breaks ties at random; the two
//!   agree except on ties, which have probability zero for continuous outcomes.
//! - The pairwise acceptability of a strategy against the reference is the share of draws
//!   with INMB strictly greater than zero (hesim `cea_pw()$ceac`); a draw with INMB
//!   exactly zero does not count as better.
//! - The cost-effectiveness acceptability frontier (CEAF; Fenwick, Claxton & Sculpher
//!   2001) follows the strategy with the highest **expected** NMB, not the one most
//!   likely to be best; ties again go to the lowest index (R's `which.max()`, used by
//!   both hesim and dampack).
//! - EVPI is `E[max_s NMB_s] − max_s E[NMB_s]` (Claxton 1999; hesim `cea()$evpi`, dampack
//!   `calc_evpi()`, which computes the same number as the smallest expected opportunity
//!   loss).
//! - Intervals are the 2.5th and 97.5th percentiles by R's default quantile (type 7,
//!   Hyndman & Fan 1996), as in hesim's summaries.
//!
//! Inputs must be finite; this is checked with `debug_assert!` only. Shape errors (wrong
//! row length, strategy index out of range, an empty table where a probability is needed)
//! are programming errors and panic, as documented on each function.
//!
//! # References
//!
//! - Claxton K. The irrelevance of inference: a decision-making approach to the stochastic
//!   evaluation of health care technologies. *J Health Econ* 1999;18(3):341–364.
//! - Fenwick E, Claxton K, Sculpher M. Representing uncertainty: the role of
//!   cost-effectiveness acceptability curves. *Health Econ* 2001;10(8):779–787.
//! - Briggs A, Claxton K, Sculpher M. *Decision Modelling for Health Economic Evaluation*.
//!   Oxford University Press, 2006 (presentation of PSA output; population EVPI).
//! - Stinnett AA, Mullahy J. Net health benefits: a new framework for the analysis of
//!   uncertainty in cost-effectiveness analysis. *Med Decis Making* 1998;18(2
//!   Suppl):S68–S80.
//! - Hyndman RJ, Fan Y. Sample quantiles in statistical packages. *Am Stat*
//!   1996;50(4):361–365.
//! - R package hesim, `cea()` and `cea_pw()` (Incerti & Jansen); R package dampack,
//!   `ceac()` and `calc_evpi()` (DARTH workgroup).

/// Outcomes of a probabilistic analysis: for each draw and strategy, a cost and an effect
/// (e.g. QALYs).
///
/// Storage is draw-major: the value for draw `d` and strategy `s` sits at index
/// `d * n_strategies + s` of both `cost` and `effect`. Build it with [`PsaTable::new`] and
/// [`PsaTable::push_draw`]; the fields are public for reading and serialising, and the
/// analysis functions check that their lengths agree.
#[derive(Clone, Debug, PartialEq)]
pub struct PsaTable {
    /// Number of draws (sampled parameter sets) in the table.
    pub n_draws: usize,
    /// Number of strategies in every draw (at least one).
    pub n_strategies: usize,
    /// Cost per draw and strategy, at `draw * n_strategies + s`.
    pub cost: Vec<f64>,
    /// Effect per draw and strategy, at `draw * n_strategies + s`.
    pub effect: Vec<f64>,
}

impl PsaTable {
    /// An empty table for `n_strategies` strategies.
    ///
    /// # Panics
    ///
    /// Panics if `n_strategies` is zero.
    #[must_use]
    pub fn new(n_strategies: usize) -> Self {
        assert!(
            n_strategies > 0,
            "PsaTable::new: need at least one strategy"
        );
        Self {
            n_draws: 0,
            n_strategies,
            cost: Vec::new(),
            effect: Vec::new(),
        }
    }

    /// Appends one draw: the cost and effect of every strategy, in strategy order.
    ///
    /// # Panics
    ///
    /// Panics if either slice's length differs from `n_strategies`.
    pub fn push_draw(&mut self, costs: &[f64], effects: &[f64]) {
        assert!(
            costs.len() == self.n_strategies && effects.len() == self.n_strategies,
            "PsaTable::push_draw: expected {} costs and effects, got {} and {}",
            self.n_strategies,
            costs.len(),
            effects.len()
        );
        debug_assert!(
            costs.iter().chain(effects).all(|x| x.is_finite()),
            "PsaTable::push_draw: costs and effects must be finite"
        );
        self.cost.extend_from_slice(costs);
        self.effect.extend_from_slice(effects);
        self.n_draws += 1;
    }

    /// Net monetary benefit `wtp · effect − cost` of strategy `s` in draw `draw`.
    ///
    /// # Panics
    ///
    /// Panics if `s` or `draw` is out of range.
    #[must_use]
    pub fn nmb(&self, draw: usize, s: usize, wtp: f64) -> f64 {
        let (cost, effect) = self.row(draw, s);
        nmb_of(cost[s], effect[s], wtp)
    }

    /// Incremental net monetary benefit `wtp · (e_s − e_ref) − (c_s − c_ref)` of strategy
    /// `s` against `reference` in draw `draw` (hesim `cea_pw()`), the quantity behind the
    /// pairwise acceptability curve and the INMB summaries.
    ///
    /// # Panics
    ///
    /// Panics if `s`, `reference` or `draw` is out of range.
    #[must_use]
    pub fn inmb(&self, draw: usize, s: usize, reference: usize, wtp: f64) -> f64 {
        let (cost, effect) = self.row(draw, s.max(reference));
        inmb_of(cost, effect, s, reference, wtp)
    }

    /// The cost and effect rows of one draw, after checking that `s` is a valid strategy.
    fn row(&self, draw: usize, s: usize) -> (&[f64], &[f64]) {
        assert!(
            s < self.n_strategies && draw < self.n_draws,
            "PsaTable: strategy {s} / draw {draw} out of range for {} strategies and {} draws",
            self.n_strategies,
            self.n_draws
        );
        let range = draw * self.n_strategies..(draw + 1) * self.n_strategies;
        (&self.cost[range.clone()], &self.effect[range])
    }

    /// Rows `(costs, effects)` of every draw, in draw order.
    fn rows(&self) -> impl Iterator<Item = (&[f64], &[f64])> {
        self.cost
            .chunks_exact(self.n_strategies)
            .zip(self.effect.chunks_exact(self.n_strategies))
    }

    /// Checks that the public fields agree with each other (they can be set directly).
    fn check_shape(&self, caller: &str) {
        assert!(
            self.n_strategies > 0
                && self.cost.len() == self.n_draws * self.n_strategies
                && self.effect.len() == self.cost.len(),
            "{caller}: inconsistent PsaTable ({} draws × {} strategies, {} costs, {} effects)",
            self.n_draws,
            self.n_strategies,
            self.cost.len(),
            self.effect.len()
        );
        debug_assert!(
            self.cost.iter().chain(&self.effect).all(|x| x.is_finite()),
            "{caller}: costs and effects must be finite"
        );
    }

    /// Checks the shape, that there is at least one draw, and that `indices` are strategies.
    fn check_nonempty(&self, caller: &str, indices: &[usize]) {
        self.check_shape(caller);
        assert!(self.n_draws > 0, "{caller}: the PSA table has no draws");
        self.check_strategies(caller, indices);
    }

    /// Checks that every index in `indices` is a valid strategy.
    fn check_strategies(&self, caller: &str, indices: &[usize]) {
        for &s in indices {
            assert!(
                s < self.n_strategies,
                "{caller}: strategy index {s} out of range for {} strategies",
                self.n_strategies
            );
        }
    }
}

/// Net monetary benefit; the single expression every function here uses.
fn nmb_of(cost: f64, effect: f64, wtp: f64) -> f64 {
    wtp * effect - cost
}

/// Incremental net monetary benefit of `s` against `r` within one draw's rows.
fn inmb_of(cost: &[f64], effect: &[f64], s: usize, r: usize, wtp: f64) -> f64 {
    wtp * (effect[s] - effect[r]) - (cost[s] - cost[r])
}

/// Arithmetic mean, summing from `0.0` in slice order (NaN for an empty slice).
fn mean(xs: &[f64]) -> f64 {
    xs.iter().fold(0.0, |acc, x| acc + x) / xs.len() as f64
}

/// Index of the first maximum (ties go to the lowest index, like R's `which.max()`).
fn argmax_first(xs: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate().skip(1) {
        if x > xs[best] {
            best = i;
        }
    }
    best
}

/// INMB of `s` against `reference` in every draw, in draw order.
fn inmb_draws(t: &PsaTable, s: usize, reference: usize, wtp: f64) -> Vec<f64> {
    t.rows()
        .map(|(cost, effect)| inmb_of(cost, effect, s, reference, wtp))
        .collect()
}

/// One pass over the draws at one willingness to pay.
struct NmbPass {
    /// Mean NMB of each strategy.
    mean: Vec<f64>,
    /// Mean over draws of the highest NMB in the draw (the value of perfect information).
    mean_of_max: f64,
    /// Number of draws in which each strategy has the highest NMB (ties to the lowest index).
    wins: Vec<usize>,
}

/// Sums NMB per strategy and the per-draw maximum, in draw order, for a non-empty table.
fn nmb_pass(t: &PsaTable, wtp: f64) -> NmbPass {
    debug_assert!(wtp.is_finite(), "willingness to pay must be finite");
    let mut sums = vec![0.0; t.n_strategies];
    let mut sum_of_max = 0.0;
    let mut wins = vec![0_usize; t.n_strategies];
    for (cost, effect) in t.rows() {
        let mut best = 0;
        let mut best_nmb = f64::NEG_INFINITY;
        for (s, (&c, &e)) in cost.iter().zip(effect).enumerate() {
            let v = nmb_of(c, e, wtp);
            sums[s] += v;
            // Strict comparison: an equal NMB later in the row does not displace the
            // earlier strategy, so ties go to the lowest index.
            if s == 0 || v > best_nmb {
                best = s;
                best_nmb = v;
            }
        }
        sum_of_max += best_nmb;
        wins[best] += 1;
    }
    let n = t.n_draws as f64;
    NmbPass {
        mean: sums.iter().map(|sum| sum / n).collect(),
        mean_of_max: sum_of_max / n,
        wins,
    }
}

/// Cost-effectiveness acceptability at one willingness to pay: the multi-strategy curve
/// (probability of being best), the frontier, and the pairwise curve against a reference.
#[derive(Clone, Debug, PartialEq)]
pub struct CeacPoint {
    /// Willingness to pay per unit of effect.
    pub wtp: f64,
    /// Probability that each strategy has the highest NMB (hesim `cea()$mce`, dampack
    /// `ceac()`): the share of draws in which it is best, ties going to the lowest index.
    /// Sums to 1 up to rounding.
    pub prob_best: Vec<f64>,
    /// The strategy with the highest expected NMB at this willingness to pay: the strategy
    /// on the cost-effectiveness acceptability frontier (Fenwick et al. 2001). Ties go to
    /// the lowest index.
    pub optimal: usize,
    /// The frontier's value: `prob_best[optimal]`. It can be lower than the largest entry
    /// of `prob_best` when the NMB distributions are skewed (Fenwick et al. 2001).
    pub frontier_prob: f64,
    /// Pairwise acceptability (hesim `cea_pw()$ceac`): the share of draws in which strategy
    /// `s` has INMB > 0 against the reference. `None` at the reference's own index, where
    /// the comparison is undefined (kept out of the numbers rather than written as NaN).
    pub prob_better_than_reference: Vec<Option<f64>>,
}

/// Acceptability curves and frontier at each willingness to pay in `wtp`, in that order.
///
/// See the module documentation for the tie conventions: within a draw the lowest index
/// wins a tie for best, and an INMB of exactly zero is not "better".
///
/// # Panics
///
/// Panics if the table has no draws, its fields disagree in length, or `reference` is not a
/// strategy index.
#[must_use]
pub fn ceac(t: &PsaTable, wtp: &[f64], reference: usize) -> Vec<CeacPoint> {
    t.check_nonempty("ceac", &[reference]);
    let n = t.n_draws as f64;
    wtp.iter()
        .map(|&w| {
            let pass = nmb_pass(t, w);
            let prob_best: Vec<f64> = pass.wins.iter().map(|&k| k as f64 / n).collect();
            let optimal = argmax_first(&pass.mean);
            let prob_better_than_reference = (0..t.n_strategies)
                .map(|s| {
                    (s != reference).then(|| {
                        let better = t
                            .rows()
                            .filter(|(cost, effect)| inmb_of(cost, effect, s, reference, w) > 0.0)
                            .count();
                        better as f64 / n
                    })
                })
                .collect();
            CeacPoint {
                wtp: w,
                frontier_prob: prob_best[optimal],
                prob_best,
                optimal,
                prob_better_than_reference,
            }
        })
        .collect()
}

/// Expected value of perfect information per person at each willingness to pay in `wtp`:
/// `E_draws[max_s NMB_s] − max_s E_draws[NMB_s]` (Claxton 1999; hesim `cea()$evpi`, dampack
/// `calc_evpi()` with `pop = 1`). Multiply by [`population_factor`] for population EVPI.
///
/// The result is never negative. Both terms are sums over the same draws in the same order
/// and the per-draw maximum is at least every strategy's NMB; as floating-point rounding is
/// monotone, the first term is then at least the second even after rounding, and the result
/// is exactly `0.0` when one strategy is best in every draw. The final `max(0.0)` clamp is
/// only a safeguard for that argument.
///
/// # Panics
///
/// Panics if the table has no draws or its fields disagree in length.
#[must_use]
pub fn evpi(t: &PsaTable, wtp: &[f64]) -> Vec<f64> {
    t.check_nonempty("evpi", &[]);
    wtp.iter()
        .map(|&w| {
            let pass = nmb_pass(t, w);
            let best_expected = pass.mean[argmax_first(&pass.mean)];
            (pass.mean_of_max - best_expected).max(0.0)
        })
        .collect()
}

/// Discounted size of the population affected by the decision, the factor that turns
/// per-person EVPI into population EVPI (Briggs, Claxton & Sculpher 2006):
///
/// `population_per_year · Σ_{y=0}^{years−1} (1 + discount_rate)^−y`.
///
/// Each year's incident population is counted at the start of its year, so year 0 is
/// undiscounted; for the end-of-year convention (`Σ_{y=1}^{years}`) divide the result by
/// `1 + discount_rate`. The geometric sum is evaluated in closed form,
/// `(1 − v^years) / (1 − v)` with `v = 1 / (1 + discount_rate)`, through `exp_m1`/`ln_1p`
/// so that it stays accurate for small rates; a rate of exactly zero gives `years`.
/// `years == 0` gives 0.
///
/// # Panics
///
/// Panics if `discount_rate <= -1`.
#[must_use]
pub fn population_factor(population_per_year: f64, years: u32, discount_rate: f64) -> f64 {
    debug_assert!(
        population_per_year.is_finite() && discount_rate.is_finite(),
        "population_factor: inputs must be finite"
    );
    assert!(
        discount_rate > -1.0,
        "population_factor: discount rate {discount_rate} must exceed -1"
    );
    let years = f64::from(years);
    let log_growth = discount_rate.ln_1p();
    let annuity = if log_growth == 0.0 {
        years
    } else {
        // 1 − v^n = −expm1(−n·ln(1+r)) and 1 − v = −expm1(−ln(1+r)).
        (-years * log_growth).exp_m1() / (-log_growth).exp_m1()
    };
    population_per_year * annuity
}

/// Mean and central 95% interval of a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Arithmetic mean, summed in input order.
    pub mean: f64,
    /// 2.5th percentile (R `quantile(x, 0.025)`, type 7).
    pub low: f64,
    /// 97.5th percentile (R `quantile(x, 0.975)`, type 7).
    pub high: f64,
}

/// Mean, 2.5th and 97.5th percentiles of `xs`, the percentiles by R's default quantile
/// definition (type 7, Hyndman & Fan 1996), as in hesim's summaries.
///
/// Type 7 interpolates linearly between order statistics at the 1-based position
/// `1 + (n − 1)·p`. The arithmetic follows R's `quantile.default` step by step (the same
/// position and weights, and no interpolation between equal neighbours), so the bounds
/// match R to the last bit or so; the mean may differ from R's in the last bits because R
/// accumulates in extended precision. An empty sample gives NaN in all three fields, as R
/// does.
#[must_use]
pub fn interval(xs: &[f64]) -> Interval {
    if xs.is_empty() {
        return Interval {
            mean: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    debug_assert!(
        xs.iter().all(|x| x.is_finite()),
        "interval: values must be finite"
    );
    let mut sorted = xs.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    Interval {
        mean: mean(xs),
        low: quantile7(&sorted, 0.025),
        high: quantile7(&sorted, 0.975),
    }
}

/// R's type 7 quantile of a sorted, non-empty sample, computed as `quantile.default` does.
fn quantile7(sorted: &[f64], p: f64) -> f64 {
    let index = 1.0 + (sorted.len() - 1) as f64 * p; // 1-based position
    let lo = index.floor();
    let hi = index.ceil();
    let x_lo = sorted[lo as usize - 1];
    let x_hi = sorted[hi as usize - 1];
    if index > lo && x_hi != x_lo {
        let h = index - lo;
        (1.0 - h) * x_lo + h * x_hi
    } else {
        x_lo
    }
}

/// Summary of one strategy's absolute outcomes (hesim `cea()$summary`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StrategySummary {
    /// Strategy index.
    pub strategy: usize,
    /// Cost across draws.
    pub cost: Interval,
    /// Effect across draws.
    pub effect: Interval,
}

/// Summary of one strategy's increments over the reference (hesim `cea_pw()$summary`).
/// Each increment is taken within a draw, then summarised across draws.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IncrementalSummary {
    /// Strategy index.
    pub strategy: usize,
    /// Strategy cost minus reference cost.
    pub inc_cost: Interval,
    /// Strategy effect minus reference effect.
    pub inc_effect: Interval,
}

/// Incremental net monetary benefit of one strategy over the reference at one willingness
/// to pay (hesim `cea_pw()$inmb`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InmbSummary {
    /// Strategy index.
    pub strategy: usize,
    /// Willingness to pay per unit of effect.
    pub wtp: f64,
    /// INMB `wtp · Δeffect − Δcost` across draws.
    pub inmb: Interval,
}

/// Interval summaries of a PSA, laid out as rows for tables and CSV files.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The reference (comparator) strategy of the incremental rows.
    pub reference: usize,
    /// One row per strategy, in index order.
    pub strategies: Vec<StrategySummary>,
    /// One row per strategy other than the reference, in index order.
    pub incremental: Vec<IncrementalSummary>,
    /// One row per (strategy other than the reference, willingness to pay): strategies in
    /// index order, and for each the willingness-to-pay values in the order given.
    pub inmb: Vec<InmbSummary>,
}

/// Mean and 95% interval of each strategy's cost and effect, of each strategy's incremental
/// cost and effect over `reference`, and of its INMB at each willingness to pay in `wtp`
/// (hesim `cea()` and `cea_pw()` summaries). The reference gets no incremental rows.
///
/// # Panics
///
/// Panics if the table has no draws, its fields disagree in length, or `reference` is not a
/// strategy index.
#[must_use]
pub fn summarise(t: &PsaTable, wtp: &[f64], reference: usize) -> Summary {
    t.check_nonempty("summarise", &[reference]);
    let column = |values: &[f64], s: usize| -> Vec<f64> {
        values
            .iter()
            .skip(s)
            .step_by(t.n_strategies)
            .copied()
            .collect()
    };
    let others = || (0..t.n_strategies).filter(move |&s| s != reference);
    let strategies = (0..t.n_strategies)
        .map(|s| StrategySummary {
            strategy: s,
            cost: interval(&column(&t.cost, s)),
            effect: interval(&column(&t.effect, s)),
        })
        .collect();
    let incremental = others()
        .map(|s| {
            let (inc_cost, inc_effect): (Vec<f64>, Vec<f64>) = t
                .rows()
                .map(|(cost, effect)| (cost[s] - cost[reference], effect[s] - effect[reference]))
                .unzip();
            IncrementalSummary {
                strategy: s,
                inc_cost: interval(&inc_cost),
                inc_effect: interval(&inc_effect),
            }
        })
        .collect();
    let inmb = others()
        .flat_map(|s| {
            wtp.iter().map(move |&w| InmbSummary {
                strategy: s,
                wtp: w,
                inmb: interval(&inmb_draws(t, s, reference, w)),
            })
        })
        .collect();
    Summary {
        reference,
        strategies,
        incremental,
        inmb,
    }
}

/// Monte Carlo standard error of the mean INMB of strategy `s` over `reference` at `wtp`:
/// the sample standard deviation across draws (denominator `n − 1`) divided by `√n`
/// (Briggs, Claxton & Sculpher 2006). It measures how far the PSA's mean could move with
/// more draws, not parameter uncertainty. NaN with fewer than two draws, where the standard
/// deviation is undefined; 0 when `s == reference`.
///
/// # Panics
///
/// Panics if the table's fields disagree in length or `s` or `reference` is not a strategy
/// index.
#[must_use]
pub fn inmb_se(t: &PsaTable, s: usize, reference: usize, wtp: f64) -> f64 {
    t.check_shape("inmb_se");
    t.check_strategies("inmb_se", &[s, reference]);
    let xs = inmb_draws(t, s, reference, wtp);
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = mean(&xs);
    let sum_sq = xs.iter().fold(0.0, |acc, x| acc + (x - m) * (x - m));
    let n = xs.len() as f64;
    (sum_sq / (n - 1.0)).sqrt() / n.sqrt()
}

/// Running mean of the INMB of strategy `s` over `reference` at `wtp` after the first
/// 1, 2, …, n draws, for a convergence plot. Entry `k − 1` is the plain sum of the first
/// `k` INMBs in draw order divided by `k`, so the last entry equals the mean reported by
/// [`summarise`] exactly. Empty for an empty table.
///
/// # Panics
///
/// Panics if the table's fields disagree in length or `s` or `reference` is not a strategy
/// index.
#[must_use]
pub fn running_mean_inmb(t: &PsaTable, s: usize, reference: usize, wtp: f64) -> Vec<f64> {
    t.check_shape("running_mean_inmb");
    t.check_strategies("running_mean_inmb", &[s, reference]);
    let mut sum = 0.0;
    inmb_draws(t, s, reference, wtp)
        .iter()
        .enumerate()
        .map(|(i, x)| {
            sum += x;
            sum / (i + 1) as f64
        })
        .collect()
}

/// The Monte Carlo standard error of [`running_mean_inmb`] after each draw: the sample
/// standard deviation of the first `n` INMB draws over `√n` (0 for the first draw), by
/// Welford's update (Welford 1962; Knuth, TAOCP vol. 2, §4.2.2), so that the band
/// `mean ± 1.96 · SE` of a convergence plot is exact for every prefix.
///
/// # Panics
/// As [`running_mean_inmb`].
#[must_use]
pub fn running_se_inmb(t: &PsaTable, s: usize, reference: usize, wtp: f64) -> Vec<f64> {
    t.check_shape("running_se_inmb");
    t.check_strategies("running_se_inmb", &[s, reference]);
    let (mut mean, mut m2) = (0.0, 0.0);
    inmb_draws(t, s, reference, wtp)
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let n = (i + 1) as f64;
            let delta = x - mean;
            mean += delta / n;
            m2 += delta * (x - mean);
            if i == 0 {
                0.0
            } else {
                (m2 / (n - 1.0) / n).sqrt()
            }
        })
        .collect()
}

/// A willingness-to-pay grid: `0, max/n, 2·max/n, …, max` (`n` equal steps, `n + 1`
/// points; `n == 0` is treated as one step), merged with the thresholds in `include`, then
/// sorted ascending with exact duplicates removed (`-0.0` counts as `0.0`). Grid point `i`
/// is computed as `max · i / n` and the last point is `max` itself, so round thresholds on
/// a round grid coincide with grid points instead of appearing twice.
#[must_use]
pub fn wtp_grid(max: f64, n: usize, include: &[f64]) -> Vec<f64> {
    debug_assert!(
        max.is_finite() && max >= 0.0 && include.iter().all(|x| x.is_finite()),
        "wtp_grid: max must be finite and non-negative, thresholds finite"
    );
    let steps = n.max(1);
    let mut grid: Vec<f64> = (0..=steps)
        .map(|i| {
            if i == steps {
                max
            } else {
                max * i as f64 / steps as f64
            }
        })
        // Adding 0.0 turns -0.0 into 0.0 and leaves every other value unchanged.
        .chain(include.iter().map(|&x| x + 0.0))
        .collect();
    grid.sort_unstable_by(f64::total_cmp);
    grid.dedup();
    grid
}

#[cfg(test)]
mod tests;
