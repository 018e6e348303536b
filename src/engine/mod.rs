//! The microsimulation: everything between a parameter set and per-strategy outcomes.
//!
//! Reading order: `layout` (where each outcome sits in a vector), `weights` (discounting
//! and within-cycle correction per boundary), `prepare` (everything fixed for one parameter
//! set, evaluated once, with `val`, what each expression is for that set, and `memo`, the
//! per-individual values computed again only when their inputs change), `simulate` (draws,
//! chunks, individuals), `stays` (the end of a stay drawn at once or walked, without
//! evaluating its row every cycle), the two kernels `kernel_general` and `kernel_stay`,
//! `accum` (what chunks accumulate and how they merge) and `results` (what a simulation
//! returns).
//!
//! Timeline: boundaries t = 0..=T (T = number of cycles); cycle c (1-based) spans
//! boundaries c−1 to c. An individual in state s at boundary t spends cycle t+1 there
//! and its transition is drawn at the end of that cycle; in a state with a fixed row, the
//! end of the whole stay is drawn when it starts (`FastRow::sample_stay`), which is the
//! same in distribution; in one whose row stays the same over stretches (`PrepRow::steady`)
//! or is competing risks that follow the stay (`Competing`), the stay is walked cycle by
//! cycle with the same numbers and moves as evaluating the row (`walk_stay`). Payoffs are
//! accrued per boundary with the weights of `Weights`, which encode discounting and the
//! within-cycle correction, so the microsimulation and the cohort evaluation share one
//! accounting rule.
//!
//! Invariants: the per-individual, per-cycle loop does no allocation, hashing, string
//! comparison or parsing; individual `i` draws its attributes and transitions from
//! streams keyed by (seed, draw, i), the same in every strategy (common random numbers);
//! chunk results are combined in chunk order, so results do not depend on threads.
//!
//! Depends on `model`, `expr`, `params`, `rng` and `table`; knows nothing of YAML, files,
//! economics or presentation.

mod accum;
mod finite;
mod kernel_general;
mod kernel_stay;
mod layout;
mod memo;
mod prepare;
mod results;
mod simulate;
mod stays;
mod val;
mod weights;

pub use accum::Moments;
pub(crate) use finite::check_results;
pub(crate) use kernel_general::row_error;
pub use layout::Layout;
pub(crate) use prepare::{
    Deps, IndEnv, PrepStrategy, Scratch, prepare, program_deps, row_probabilities, set_time,
    variable_deps,
};
pub use results::{
    DrawOutcome, Estimate, SimError, SimOutput, SimSpec, StrategySim, Trajectory, pair_index,
};
pub use simulate::{simulate, simulate_draws};
pub use weights::{
    Weights, boundary_weights, darth_simpson_weights, discount_factor, simpson_weights, weights,
};

/// Individuals per work unit; fixed so that results do not depend on the thread count.
pub const CHUNK: usize = 256;
/// Work units simulated between two in-order merges (bounds memory for huge runs).
const BATCH: usize = 64;

#[cfg(test)]
mod tests {
    use super::prepare::Val;
    use super::*;

    #[test]
    fn moments_merge_equals_one_pass() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1013) as f64 * 0.37 - 50.0)
            .collect();
        let mut all = Moments::default();
        xs.iter().for_each(|x| all.push(*x));
        let mut merged = Moments::default();
        for chunk in xs.chunks(77) {
            let mut m = Moments::default();
            chunk.iter().for_each(|x| m.push(*x));
            merged.merge(&m);
        }
        // Textbook two-pass mean and variance as the oracle.
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        for m in [all, merged] {
            assert_eq!(m.n, 1000);
            assert!((m.mean - mean).abs() < 1e-10);
            assert!((m.se() - (var / n).sqrt()).abs() < 1e-12);
        }
    }

    fn scenario(path: &str) -> crate::model::Model {
        crate::scenario::load(std::path::Path::new(path)).expect("the scenario loads")
    }

    fn prepared(model: &crate::model::Model) -> Vec<prepare::PrepStrategy<'_>> {
        let weights = weights(&model.settings);
        prepare(model, &crate::params::point_values(model), &weights).expect("prepares")
    }

    fn param(model: &crate::model::Model, prep: &prepare::PrepStrategy, name: &str) -> f64 {
        prep.params[model.params.iter().position(|p| p.name == name).unwrap()]
    }

    fn state(model: &crate::model::Model, name: &str) -> usize {
        model.states.iter().position(|s| s.name == name).unwrap()
    }

    /// The prepared transition from state `from` to state `to`.
    fn transition<'p, 'm>(
        model: &crate::model::Model,
        prep: &'p prepare::PrepStrategy<'m>,
        from: &str,
        to: &str,
    ) -> &'p prepare::PrepTransition<'m> {
        let to = state(model, to);
        prep.rows[state(model, from)]
            .transitions
            .iter()
            .find(|t| t.to == to)
            .unwrap()
    }

    fn variable(model: &crate::model::Model, name: &str) -> usize {
        model.variables.iter().position(|v| v.name == name).unwrap()
    }

    /// The flagship's relapse probability after the first course reads only the clock
    /// `well_first`: it is tabulated over the clock's values, and every entry is the one-cycle
    /// probability of the Weibull fitted to Jelovac et al. (2013) at that time since response,
    /// 1 − S(t + Δ)/S(t) with S(t) = exp(−(λt)^k), t in months.
    #[test]
    fn a_variable_read_through_one_clock_is_tabulated_over_its_values() {
        let model = scenario("scenarios/eko-vs-ect.yaml");
        let prep = prepared(&model);
        let param = |name: &str| param(&model, &prep[0], name);
        let (lambda, k) = (param("lambda_relapse_month"), param("k_relapse"));
        let j = variable(&model, "p_relapse_base_first");
        let Val::ByTracker {
            n_time,
            time_stride,
            v,
            ..
        } = &prep[0].var_vals[j]
        else {
            panic!("p_relapse_base_first is not tabulated over its clock");
        };
        assert_eq!((*n_time, *time_stride), (1, 0));
        let n_cycles = model.settings.n_cycles;
        assert_eq!(v.len(), n_cycles + 1);
        let dt = model.settings.cycle_years();
        let s = |months: f64| (-(lambda * months).powf(k)).exp();
        for (x, got) in v.iter().enumerate() {
            let t = x as f64 * dt * 12.0;
            let want = 1.0 - s(t + dt * 12.0) / s(t);
            assert!((got - want).abs() < 1e-14, "clock {x}: {got} vs {want}");
        }
        // Read with model time as well, the relapse probability under maintenance is a table
        // over both (61 × 61 entries for the 60-week horizon): 1 − (1 − p)^(hr^dose), with p
        // the Weibull's at the clock's value and the dose tapering linearly over phase 2,
        // wherever the clock can have that value, at most the boundary (it starts at 0 and
        // gains one a week). The rest are copies of the entry of the largest such value,
        // never read, and not evaluated.
        let j = variable(&model, "p_relapse_first");
        for (si, p) in prep.iter().enumerate() {
            let param = |name: &str| super::tests::param(&model, p, name);
            let Val::ByTracker {
                n_time,
                time_stride: 1,
                v,
                ..
            } = &p.var_vals[j]
            else {
                panic!("p_relapse_first is not a table over the clock and model time");
            };
            assert_eq!(*n_time, n_cycles + 1);
            let (end, weeks) = (param("n_followup_end_week"), param("n_maintenance_weeks"));
            assert_eq!(param("maintenance_taper"), 1.0);
            let hr = param("hr_relapse_first");
            for t in 0..=n_cycles {
                let week = (t + 1) as f64;
                let dose = if week <= end {
                    f64::min(1.0, (end - week + 1.0) / weeks)
                } else {
                    0.0
                };
                for x in 0..=n_cycles {
                    let got = v[x * n_time + t];
                    let want = if x <= t {
                        let months = x as f64 * dt * 12.0;
                        let p = 1.0 - s(months + dt * 12.0) / s(months);
                        1.0 - (1.0 - p).powf(hr.powf(dose))
                    } else {
                        v[t * n_time + t]
                    };
                    assert!(
                        (got - want).abs() < 1e-14,
                        "strategy {si}, clock {x}, boundary {t}: {got} vs {want}"
                    );
                }
            }
        }
    }

    /// Tables over model time or time in state hold every entry's own evaluation, also past
    /// the time from which the program is one number for everyone, where that number is
    /// filled in instead of evaluated (a course's costs after its last week, the dose after
    /// the follow-up): over the lifetime horizon, 5,324 entries each, most of them filled in.
    /// Each entry of every such table (variables, payoffs, transitions) is compared with the
    /// program evaluated afresh, its variables evaluated from their programs instead of read
    /// from their tables; and where the fill starts is checked for the EKO course's admission
    /// and the maintenance dose.
    #[test]
    fn tables_filled_in_past_their_last_change_hold_each_entrys_own_value() {
        for path in [
            "scenarios/eko-vs-ect.yaml",
            "scenarios/analyses/lifetime.yaml",
        ] {
            let model = scenario(path);
            let vdeps = prepare::variable_deps(&model);
            for (p, strategy) in prepared(&model).iter().zip(&model.strategies) {
                let fresh = val::TabulateCx::new(&model, &p.params, &vdeps);
                let mut checked = 0;
                let mut check = |what: &str, v: &Val, program: &crate::expr::Program| {
                    let (entries, at): (&[f64], &dyn Fn(usize) -> (usize, usize)) = match v {
                        Val::ByModelTime(e) => (e, &|i| (i, 1)),
                        Val::ByStateTime(e) => (e, &|i| (0, i + 1)),
                        _ => return,
                    };
                    checked += 1;
                    for (i, x) in entries.iter().enumerate() {
                        let (t, st) = at(i);
                        let want = fresh.eval(program, t, st, None);
                        assert_eq!(
                            x.to_bits(),
                            want.to_bits(),
                            "{path}: {what} entry {i}: {x} vs {want}"
                        );
                    }
                };
                for (j, v) in p.var_vals.iter().enumerate() {
                    check(&model.variables[j].name, v, &model.variables[j].program);
                }
                for (s, ps) in p.states.iter().enumerate() {
                    let state = &model.states[s];
                    for (c, v) in &ps.costs {
                        let program = state.costs[*c].as_ref().expect("a cost");
                        check(&format!("{} cost {c}", state.name), v, program);
                    }
                    check(
                        &format!("{} utility", state.name),
                        &ps.utility,
                        &state.utility,
                    );
                }
                for (row, transitions) in p.rows.iter().zip(&strategy.rows) {
                    for (tr, model_tr) in row.transitions.iter().zip(transitions) {
                        if let (Some(v), crate::model::Probability::Expr(program)) =
                            (&tr.probability, &model_tr.probability)
                        {
                            check(&model_tr.origin, v, program);
                        }
                    }
                }
                assert!(checked >= 10, "{path}: {checked} tables");
            }
            // Where the fill starts: the EKO course's admission costs nothing after its
            // first week (`state_time <= n_eko_inpatient_weeks`), from time in state 2 on;
            // the maintenance dose after a first course is 0 from model week 61, boundary
            // 60, past the follow-up's last week. (The interval evaluation decides
            // comparisons, not arithmetic: the ECT course's sessions, `max(0, min(2, 9 − 2 ·
            // (state_time − 1)))`, are evaluated at every entry.)
            let p = &prepared(&model)[0];
            let cx = val::TabulateCx::new(&model, &p.params, &vdeps);
            let program = |name: &str| &model.variables[variable(&model, name)].program;
            let weeks = param(&model, p, "n_eko_inpatient_weeks");
            assert_eq!(
                val::state_time_tail(program("eko_inpatient"), &cx),
                Some((weeks as usize + 1, 0.0))
            );
            let end = param(&model, p, "n_followup_end_week");
            assert_eq!(
                val::known_from_boundary(program("dose_first"), &cx),
                Some((end as usize, 0.0))
            );
        }
    }

    /// The friction-cost payoff reads age (below the pension age) and model time (within the
    /// friction period of 16.4 weeks): from boundary 16 on, where model time is 17 weeks or
    /// more, it is 0 for everyone, and the prepared value says so instead of evaluating it.
    /// Before, it is the memoised per-individual value, held until age reaches the pension
    /// age or the friction period ends (`Input::Compare`), and so are the payoffs that read
    /// it.
    #[test]
    fn a_payoff_that_reads_age_within_a_period_is_known_after_it() {
        let model = scenario("scenarios/eko-vs-ect.yaml");
        let prep = prepared(&model);
        assert_eq!(param(&model, &prep[0], "n_friction_weeks"), 16.4);
        let j = variable(&model, "productivity_week");
        for p in &prep {
            let Val::KnownFrom { from, value, inner } = &p.var_vals[j] else {
                panic!("productivity_week is not known after the friction period");
            };
            // Model time at boundary t is t + 1 weeks: the first boundary past 16.4 is 16.
            assert_eq!((*from, *value), (16, 0.0));
            assert!(matches!(&**inner, Val::Memo(m) if m.is_lasting()));
            let response = &p.states[state(&model, "response")];
            let (_, productivity) = response
                .costs
                .iter()
                .find(|(c, _)| model.cost_categories[*c] == "productivity")
                .expect("a productivity cost");
            let Val::KnownFrom { inner, .. } = productivity else {
                panic!("the productivity cost is not known after the friction period");
            };
            assert!(matches!(&**inner, Val::Memo(m) if m.is_lasting()));
        }
    }

    /// Over the lifetime horizon (5,324 boundaries), the relapse probability under
    /// maintenance reads the clock and, through the dose, model time: too large a table over
    /// both, but the dose is 0 for everyone once the follow-up ends (model time past week
    /// 60, boundary 60), so from there the probability is a table over the clock alone,
    /// the Weibull relapse probability itself (a hazard ratio to the power 0).
    #[test]
    fn the_lifetime_relapse_probability_is_a_clock_table_after_the_follow_up() {
        let model = scenario("scenarios/analyses/lifetime.yaml");
        let prep = prepared(&model);
        let param = |name: &str| param(&model, &prep[0], name);
        let (lambda, k) = (param("lambda_relapse_month"), param("k_relapse"));
        assert_eq!(param("n_followup_end_week"), 60.0);
        let j = variable(&model, "p_relapse_first");
        let n_cycles = model.settings.n_cycles;
        let dt = model.settings.cycle_years();
        let s = |months: f64| (-(lambda * months).powf(k)).exp();
        for p in &prep {
            let Val::TrackerFrom {
                from,
                before,
                after,
                ..
            } = &p.var_vals[j]
            else {
                panic!("p_relapse_first is not a clock table split at the end of the follow-up");
            };
            assert_eq!(*from, 60);
            // Before: boundaries 0 to 59, where the clock (0 at the start, one more a cycle
            // at most) is at most 59.
            assert_eq!(before.len(), 60 * 60);
            assert_eq!(after.len(), n_cycles + 1);
            for (x, got) in after.iter().enumerate().step_by(97) {
                let t = x as f64 * dt * 12.0;
                let want = 1.0 - s(t + dt * 12.0) / s(t);
                assert!((got - want).abs() < 1e-14, "clock {x}: {got} vs {want}");
            }
        }
    }

    /// The flagship's week-8 transitions read the death probability, but are 0 for everyone
    /// at every other week of the course: known at times in state 1 to 7, and from 9 on,
    /// evaluated only at 8. The death transition, one read of a variable, reads it directly.
    #[test]
    fn the_end_of_course_transitions_are_known_zero_before_and_after_week_8() {
        let model = scenario("scenarios/eko-vs-ect.yaml");
        let prep = prepared(&model);
        let acute = state(&model, "acute");
        let row = &prep[0].rows[acute];
        assert!(matches!(row.transitions[0].probability, Some(Val::Var(_))));
        for tr in &row.transitions[1..row.transitions.len() - 1] {
            let Some(Val::KnownByStateTime { known, tail, inner }) = &tr.probability else {
                panic!("an end-of-course transition is not known by time in state");
            };
            assert_eq!(*tail, Some((9, 0.0)));
            assert_eq!(known.len(), 8);
            assert!(known[..7].iter().all(|k| *k == Some(0.0)));
            assert_eq!(known[7], None);
            assert!(matches!(**inner, Val::Dyn(_)));
        }
    }

    /// A state whose payoffs stop changing is accrued per stay from that boundary: the
    /// flagship's depressed state from week 17 (the friction-cost payoff is 0 after boundary
    /// 16), its follow-up states from the end of the follow-up (boundary 60, the horizon),
    /// and before that from running sums over model time; the course states, whose payoffs
    /// vary with time in state, never.
    #[test]
    fn states_are_fixed_from_where_their_payoffs_stop_changing() {
        let model = scenario("scenarios/eko-vs-ect.yaml");
        let prep = prepared(&model);
        let state = |name: &str| state(&model, name);
        let from = |name: &str| prep[0].states[state(name)].fixed_from;
        assert_eq!(from("depressed"), 16);
        assert_eq!(from("remission"), 60);
        assert_eq!(from("remission_r"), 60);
        assert_eq!(from("remission_tau"), 0);
        assert_eq!(from("acute"), usize::MAX);
        // Before they are fixed, the follow-up states' payoffs depend on model time alone
        // (from the start, or once the friction-cost payoff is known, from boundary 16).
        let timed = |name: &str| {
            let tm = prep[0].states[state(name)].timed.as_ref().unwrap();
            (tm.from, tm.until)
        };
        assert_eq!(timed("remission"), (0, 60));
        assert_eq!(timed("response"), (16, 60));
        assert!(prep[0].states[state("depressed")].timed.is_none());
        assert!(prep[0].states[state("acute")].timed.is_none());
        let (costs, utility) = prep[0].states[state("depressed")].fixed.as_ref().unwrap();
        assert_eq!(*utility, param(&model, &prep[0], "u_depressed"));
        let productivity = model
            .cost_categories
            .iter()
            .position(|c| c == "productivity")
            .unwrap();
        assert_eq!(
            costs
                .iter()
                .find(|(c, _)| *c == productivity)
                .map(|(_, x)| *x),
            Some(0.0)
        );
    }

    /// The end of a stay in a fixed row, drawn at once: the number of staying moves is
    /// geometric, P(K = k) = pᵏ(1 − p), the destination is a leaving transition with
    /// probability proportional to its own, and a stay that would outlast the horizon ends
    /// there, with probability p^(T − t). Checked on 400,000 draws against those closed forms
    /// (each frequency within 4.5 binomial standard errors).
    #[test]
    fn a_stay_drawn_at_once_is_geometric_with_the_rows_destinations() {
        use super::stays::{FAST, FastRow};
        let (p_stay, p_a, p_b): (f64, f64, f64) = (0.9, 0.06, 0.04);
        let mut f = FastRow {
            leave: 0.0,
            ln_stay: p_stay.ln(),
            exit_cum: [f64::INFINITY; FAST],
            exit_to: [0; FAST],
            n_exit: 2,
            events: false,
        };
        f.leave = p_a + p_b;
        f.exit_cum[0] = p_a;
        f.exit_to[..2].copy_from_slice(&[3, 7]);
        let (t0, horizon) = (5, 45);
        let n = 400_000;
        let mut rng = crate::rng::stream(1, crate::rng::Purpose::Transitions, 0, 0);
        let mut length = vec![0usize; horizon - t0];
        let (mut to_a, mut to_b, mut outlast) = (0usize, 0usize, 0usize);
        for _ in 0..n {
            match f.sample_stay(&mut rng, t0, horizon) {
                Some((leave, to)) => {
                    length[leave - t0] += 1;
                    match to {
                        3 => to_a += 1,
                        7 => to_b += 1,
                        other => panic!("destination {other}"),
                    }
                }
                None => outlast += 1,
            }
        }
        let within = |count: usize, p: f64, what: &str| {
            let se = (n as f64 * p * (1.0 - p)).sqrt();
            let expected = n as f64 * p;
            assert!(
                (count as f64 - expected).abs() < 4.5 * se.max(1.0),
                "{what}: {count} against {expected:.1} (SE {se:.1})"
            );
        };
        for (k, count) in length.iter().enumerate() {
            within(
                *count,
                p_stay.powi(k as i32) * (1.0 - p_stay),
                &format!("K = {k}"),
            );
        }
        let left = 1.0 - p_stay.powi((horizon - t0) as i32);
        within(outlast, 1.0 - left, "outlasting the horizon");
        within(to_a, left * p_a / (p_a + p_b), "to the first destination");
        within(to_b, left * p_b / (p_a + p_b), "to the second destination");
        // At the horizon nothing is drawn; a state never left is never left; one always left
        // is left at once.
        let before = rng.clone();
        assert_eq!(f.sample_stay(&mut rng, horizon, horizon), None);
        assert_eq!(rng, before);
        let never = FastRow {
            leave: 0.0,
            ln_stay: 0.0,
            ..f
        };
        assert_eq!(never.sample_stay(&mut rng, 0, horizon), None);
        let always = FastRow {
            ln_stay: f64::NEG_INFINITY,
            leave: 1.0,
            ..f
        };
        assert!(matches!(
            always.sample_stay(&mut rng, 2, horizon),
            Some((2, 3 | 7))
        ));
    }

    /// A death probability written inline in a transition (the teaching example's
    /// `cum_prob_to_cycle(lookup(life_table, age, sex), 1)`) is memoised like a variable, with
    /// an id after the variables'.
    #[test]
    fn an_inline_life_table_probability_is_memoised() {
        let model = scenario("scenarios/examples/relapse-life-table.yaml");
        for p in &prepared(&model) {
            let tr = transition(&model, p, "remission", "dead");
            assert!(
                matches!(&tr.probability, Some(Val::Memo(m)) if m.is_lasting()),
                "{:?}",
                tr.probability
            );
        }
        // So is one that reads a variable held until a boundary: the flagship's
        // `(1 - p_die_depressed) * p_later_remission`, held while the death probability is.
        let model = scenario("scenarios/eko-vs-ect.yaml");
        let prep = prepared(&model);
        let tr = transition(&model, &prep[0], "depressed", "remission_tau");
        assert!(matches!(&tr.probability, Some(Val::Memo(m)) if m.is_lasting()));
    }

    /// The flagship's rows that stay the same between the changes of the death probability
    /// (a life table by age and sex) are steady: `depressed` reads the death probability and
    /// `(1 - p_die_depressed) * p_later_remission`, both memoised until age leaves its row;
    /// the courses read the death probability, and their week-8 transitions are known to be 0
    /// at every other week. The follow-up rows read the Weibull relapse by clock, which
    /// changes every cycle: not steady, but competing risks that follow the stay.
    #[test]
    fn the_flagships_steady_rows_are_found() {
        let model = scenario("scenarios/eko-vs-ect.yaml");
        for p in &prepared(&model) {
            let row = |name: &str| &p.rows[state(&model, name)];
            let depressed = row("depressed").steady.as_deref().expect("steady");
            let Some(Val::Memo(inline)) =
                &transition(&model, p, "depressed", "remission_tau").probability
            else {
                panic!("the transition is memoised inline")
            };
            assert_eq!(
                depressed,
                [variable(&model, "p_die_depressed"), inline.id()]
            );
            for course in ["acute", "rescue"] {
                let steady = row(course).steady.as_deref().expect("steady");
                assert_eq!(steady, [variable(&model, "p_die_depressed")]);
            }
            // The follow-up rows are competing risks: death first, then among survivors
            // relapse (and moving between responses) read from tables along the stay.
            for followup in [
                "remission",
                "response",
                "partial",
                "remission_r",
                "response_r",
                "partial_r",
                "remission_tau",
            ] {
                assert!(row(followup).steady.is_none(), "{followup}");
                let c = row(followup).competing.as_ref().expect(followup);
                // Each lists its complement last: a walk stops computing at the transition
                // chosen (`Competing::draw`).
                assert!(c.order.is_some(), "{followup}");
                let dead = state(&model, "dead");
                assert_eq!(row(followup).transitions[c.first].to, dead, "{followup}");
                let to: Vec<&str> = c
                    .rest
                    .iter()
                    .map(|(j, _)| model.states[row(followup).transitions[*j].to].name.as_str())
                    .collect();
                assert!(to.contains(&"depressed"), "{followup}: {to:?}");
            }
            for course in ["acute", "rescue", "depressed"] {
                assert!(row(course).competing.is_none(), "{course}");
            }
        }
    }

    /// Where a probability known by time in state or from a boundary can next change, as the
    /// kernel asks at boundary t with time in state s: a course of 8 weeks whose last week is
    /// evaluated (known 0 at weeks 1 to 7, and from week 9 on).
    #[test]
    fn steady_values_hold_until_their_known_values_change() {
        let course = Val::KnownByStateTime {
            known: vec![Some(0.0); 7].into_iter().chain([None]).collect(),
            tail: Some((9, 0.0)),
            inner: Box::new(Val::Const(0.3)),
        };
        // From week 1 at boundary 10, the known value holds until week 8 (boundary 17).
        assert_eq!(course.steady_until(10, 1), 17);
        assert_eq!(course.steady_until(13, 4), 17);
        // Week 8 is evaluated: it holds one boundary.
        assert_eq!(course.steady_until(17, 8), 18);
        // From week 9 on it is 0 for ever.
        assert_eq!(course.steady_until(18, 9), usize::MAX);
        assert_eq!(course.steady_until(40, 31), usize::MAX);
        // Without a tail, what is past the listed weeks is evaluated.
        let open = Val::KnownByStateTime {
            known: vec![Some(0.0), Some(0.0)].into(),
            tail: None,
            inner: Box::new(Val::Const(0.3)),
        };
        assert_eq!(open.steady_until(0, 1), 2);
        assert_eq!(open.steady_until(2, 3), 3);
        // A value known from boundary 17 on holds until there, then for ever.
        let friction = Val::KnownFrom {
            from: 17,
            value: 0.0,
            inner: Box::new(Val::Const(5.0)),
        };
        assert_eq!(friction.steady_until(3, 2), 17);
        assert_eq!(friction.steady_until(17, 16), usize::MAX);
        assert_eq!(Val::Const(0.1).steady_until(5, 5), usize::MAX);
    }

    #[test]
    fn pair_index_enumerates_pairs_in_order() {
        for n in 2..6 {
            let mut k = 0;
            for i in 0..n {
                for j in i + 1..n {
                    assert_eq!(pair_index(n, i, j), k);
                    k += 1;
                }
            }
        }
    }

    #[test]
    fn simpson_weights_integrate_cubics_exactly() {
        // Simpson's 1/3 and 3/8 rules are exact for polynomials up to degree 3.
        for t in 2..12usize {
            let w = simpson_weights(t);
            let f = |x: f64| 2.0 * x.powi(3) - x * x + 3.0;
            let integral = |x: f64| 0.5 * x.powi(4) - x.powi(3) / 3.0 + 3.0 * x;
            let got: f64 = w.iter().enumerate().map(|(i, wi)| wi * f(i as f64)).sum();
            let want = integral(t as f64);
            assert!(
                (got - want).abs() < 1e-9 * want.abs(),
                "T = {t}: {got} vs {want}"
            );
        }
        assert_eq!(simpson_weights(1), vec![0.5, 0.5]);
    }

    #[test]
    fn layout_positions_are_distinct() {
        let l = Layout {
            n_categories: 3,
            n_perspectives: 2,
            n_wtp: 3,
        };
        let mut seen = std::collections::BTreeSet::new();
        for disc in [true, false] {
            for c in 0..3 {
                assert!(seen.insert(l.cost(c, disc)));
            }
            assert!(seen.insert(l.qalys(disc)));
            assert!(seen.insert(l.life_years(disc)));
            for p in 0..2 {
                assert!(seen.insert(l.perspective(p, disc)));
            }
        }
        for p in 0..2 {
            for w in 0..3 {
                assert!(seen.insert(l.nmb(p, w)));
            }
        }
        assert_eq!(seen.len(), l.len());
        assert_eq!(*seen.iter().next_back().unwrap(), l.len() - 1);
    }
}
