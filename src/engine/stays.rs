//! How the end of a stay is drawn without evaluating a row every cycle: at once for a fixed
//! row (`FastRow`), and as a walk along the stay for a row that stays the same over stretches
//! of it (`steady_row`) or competing risks whose probabilities follow the stay
//! (`Competing`), with the numbers and moves of evaluating it every cycle (`walk_stay`).

use crate::expr::Key;
use crate::model::Model;
use crate::params::{self, ROW_TOLERANCE};

use super::memo::Memo;
use super::prepare::PrepRow;
use super::val::Val;

/// A row of competing risks (`competing_row`): transition `first` has a probability D that is
/// held over stretches of a stay (the death probability, memoised until age leaves its
/// life-table row), every other leaving transition j has `(1 − D) · R_j` with R_j a
/// constant or a table over model time, time in state or a tracker (the relapse hazard by
/// clock), and the complement stays: along a stay, its probabilities follow from D and the
/// tables alone (`Competing::probs_at`).
pub(crate) struct Competing {
    pub first: usize,
    /// The memo ids D's value is held by (as `PrepRow::steady`).
    pub memos: Box<[usize]>,
    /// The other leaving transitions (row index) with their R_j.
    pub rest: Box<[(usize, Along)]>,
    /// The complement's place in the row.
    pub complement: usize,
    /// Per tracker: its step per cycle in the state and its largest value.
    pub steps: Box<[(u32, u32)]>,
    /// When the complement is the row's last transition: every other transition in row
    /// order, `None` for D and R_j for the others (`Competing::draw`).
    pub order: Option<Box<[Option<Along>]>>,
}

/// R_j of competing risks: a constant (or a parameter's value), or a variable
/// (`PrepStrategy::var_vals` index) that follows the stay (`Val::follows_stay`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Along {
    Const(f64),
    Var(usize),
}

impl Competing {
    /// The row's probabilities `k` cycles after boundary `t` (time in state `s`, trackers
    /// `tracks`), in `probs`, which holds them at `t`: each `(1 − D) · R_j` as its program
    /// computes it, and the complement as `row_probabilities` computes it, so that they are
    /// the values an evaluation of the row there gives, to the last bit.
    #[inline]
    fn probs_at(
        &self,
        probs: &mut [f64],
        vals: &[Val],
        t: usize,
        s: usize,
        tracks: &[u32],
        k: usize,
    ) {
        let d = probs[self.first];
        for (j, f) in self.rest.iter() {
            let r = match *f {
                Along::Const(c) => c,
                Along::Var(v) => vals[v].along(t, s, tracks, &self.steps, k),
            };
            probs[*j] = (1.0 - d) * r;
        }
        let mut sum = 0.0;
        for (j, p) in probs.iter().enumerate() {
            if j != self.complement {
                sum += p;
            }
        }
        probs[self.complement] = (1.0 - sum).max(0.0);
    }

    /// The transition a uniform number `u` chooses `k` cycles after boundary `t`, where the
    /// row's complement is its last transition (`order`): the first in row order whose
    /// running sum of probabilities exceeds u, each probability computed as `probs_at`
    /// computes it and summed in the same order, and the complement when none does. Its
    /// value cannot change which transition is chosen, so it is not computed, nor are the
    /// probabilities after the one chosen.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn draw(
        &self,
        order: &[Option<Along>],
        d: f64,
        vals: &[Val],
        t: usize,
        s: usize,
        tracks: &[u32],
        k: usize,
        u: f64,
    ) -> usize {
        let mut cum = 0.0;
        for (j, a) in order.iter().enumerate() {
            let p = match *a {
                None => d,
                Some(Along::Const(r)) => (1.0 - d) * r,
                Some(Along::Var(v)) => (1.0 - d) * vals[v].along(t, s, tracks, &self.steps, k),
            };
            cum += p;
            if u < cum {
                return j;
            }
        }
        order.len()
    }
}

/// Where a stay in state `state` from boundary `t` ends before boundary `limit`: the boundary
/// whose move leaves and where to, or `None`. It is drawn as the general kernel draws a row,
/// one uniform number a cycle and the first transition in row order whose running sum
/// exceeds it, with the row's probabilities at `t` in `probs`: those of a steady row, the
/// same until `limit`, or of competing risks, which follow the stay (`Competing::probs_at`).
/// The same numbers give the same moves as evaluating the row every cycle, without
/// evaluating it.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn walk_stay(
    row: &PrepRow,
    probs: &mut [f64],
    vals: &[Val],
    rng: &mut rand_pcg::Pcg64,
    state: usize,
    t: usize,
    s: usize,
    tracks: &[u32],
    limit: usize,
) -> Option<(usize, usize)> {
    let n = probs.len();
    for b in t..limit {
        if let Some(c) = &row.competing
            && b > t
        {
            if let Some(order) = &c.order {
                let u = params::uniform(rng);
                let d = probs[c.first];
                let chosen = c.draw(order, d, vals, t, s, tracks, b - t, u);
                let to = row.transitions[chosen].to;
                if to != state {
                    return Some((b, to));
                }
                continue;
            }
            c.probs_at(probs, vals, t, s, tracks, b - t);
        }
        let u = params::uniform(rng);
        let mut cum = 0.0;
        let mut chosen = n - 1;
        for (j, pj) in probs.iter().enumerate() {
            cum += pj;
            if u < cum {
                chosen = j;
                break;
            }
        }
        let to = row.transitions[chosen].to;
        if to != state {
            return Some((b, to));
        }
    }
    None
}

/// Widest row served by `FastRow`.
pub(crate) const FAST: usize = 8;

/// A fixed row with at most `FAST` transitions, laid out for sampling a whole stay at once:
/// with the same probabilities every cycle, the number of cycles an individual stays before
/// leaving is geometric, and where it goes is drawn from the leaving transitions in
/// proportion to their probabilities (`FastRow::sample_stay`). Exact in distribution, it
/// costs two uniform numbers per stay instead of one per cycle; hesim's event-driven
/// simulation is fast over long horizons for the same reason.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FastRow {
    /// Probability of leaving the state in a cycle (the transitions elsewhere).
    pub(super) leave: f64,
    /// Natural logarithm of the probability of staying (−∞ when it is 0).
    pub(super) ln_stay: f64,
    /// Running sums of the leaving probabilities in row order, the last omitted; unused
    /// slots are +∞.
    pub(super) exit_cum: [f64; FAST],
    pub(super) exit_to: [u16; FAST],
    /// Number of leaving transitions.
    pub(super) n_exit: usize,
    /// Whether any transition of the row has a one-off cost or QALY loss.
    pub(super) events: bool,
}

impl FastRow {
    /// A stay that starts at boundary `t`, where the individual has just arrived (or starts):
    /// the boundary whose move leaves the state, and the state it moves to, or `None` when
    /// it stays to the horizon. Moves happen at boundaries t to T − 1. The number of staying
    /// moves K is geometric: K = ⌊ln(1 − u) / ln p⌋ for a uniform u and staying probability
    /// p, so P(K ≥ k) = P(1 − u ≤ pᵏ) = pᵏ; the destination is the first leaving transition
    /// whose running sum exceeds a second uniform times the probability of leaving. No number
    /// is drawn where none is needed: at the horizon, in a state never left (p = 1), or for
    /// the stay's length in a state always left (p = 0).
    #[inline]
    pub(super) fn sample_stay(
        &self,
        rng: &mut rand_pcg::Pcg64,
        t: usize,
        n_cycles: usize,
    ) -> Option<(usize, usize)> {
        if t >= n_cycles || self.leave == 0.0 {
            return None;
        }
        let k = if self.ln_stay == f64::NEG_INFINITY {
            0
        } else {
            let x = (-params::uniform(rng)).ln_1p() / self.ln_stay;
            if x >= (n_cycles - t) as f64 {
                return None;
            }
            x as usize
        };
        let v = params::uniform(rng) * self.leave;
        let j: usize = self.exit_cum[..self.n_exit - 1]
            .iter()
            .map(|c| usize::from(*c <= v))
            .sum();
        Some((t + k, usize::from(self.exit_to[j])))
    }
}

/// The stay-sampling layout of state `s`'s fixed row of at most `FAST` transitions.
pub(super) fn fast_row(s: usize, row: &PrepRow) -> Option<FastRow> {
    let n = row.transitions.len();
    let probs = row.fixed.as_deref()?;
    if n > FAST || n == 0 {
        return None;
    }
    let mut f = FastRow {
        leave: 0.0,
        ln_stay: 0.0,
        exit_cum: [f64::INFINITY; FAST],
        exit_to: [0; FAST],
        n_exit: 0,
        events: row
            .transitions
            .iter()
            .any(|t| !t.costs.is_empty() || t.qaly_loss.is_some()),
    };
    let mut stay = 0.0;
    for (p, t) in probs.iter().zip(&row.transitions) {
        if t.to == s {
            stay += p;
        } else {
            f.leave += p;
            f.exit_cum[f.n_exit] = f.leave;
            f.exit_to[f.n_exit] = t.to as u16;
            f.n_exit += 1;
        }
    }
    f.ln_stay = f64::ln(stay);
    Some(f)
}

/// For a steady row, or competing risks, evaluated at boundary `t` with time in state `s`:
/// the first later boundary at which its probabilities can differ other than along the
/// stay, where a memoised value it reads stops holding or a value known by time in state or
/// from a boundary changes (`Val::steady_until`; the held probability of competing risks is
/// a variable, which changes only with its memo).
#[inline]
pub(crate) fn held_until(row: &PrepRow, memo: &Memo, t: usize, s: usize) -> usize {
    let held = |memos: &[usize]| memos.iter().map(|id| memo.holds_until(*id, t)).min();
    let until = match (&row.competing, &row.steady) {
        (Some(c), _) => held(&c.memos),
        (None, Some(memos)) => held(memos)
            .into_iter()
            .chain(
                row.transitions
                    .iter()
                    .filter_map(|tr| tr.probability.as_ref().map(|v| v.steady_until(t, s))),
            )
            .min(),
        (None, None) => Some(t + 1),
    };
    until.unwrap_or(usize::MAX)
}

/// Whether a row that is not fixed stays the same for an individual over stretches of a
/// stay (`PrepRow::steady`), and the memoised values it reads. Every transition has no
/// one-off payoff, and every probability is a constant, a variable that is a constant or
/// held until a boundary (`MemoPlan::is_lasting`: a death probability from a life table,
/// until age leaves its row), such a value written inline, one of these until a boundary
/// and one number for everyone from there on (`Val::KnownFrom`), or a value known by time in
/// state but at finitely many times in state (`Val::KnownByStateTime` with a tail: the
/// week-8 transitions of a course), where it is evaluated.
pub(super) fn steady_row(model: &Model, row: &PrepRow, vals: &[Val]) -> Option<Box<[usize]>> {
    if row.fixed.is_some() || row.transitions.len() > FAST {
        return None;
    }
    let first = model.first_variable();
    fn held(v: &Val, first: usize, vals: &[Val], memos: &mut Vec<usize>) -> bool {
        match v {
            Val::Const(_) => true,
            Val::Var(i) => match i.checked_sub(first).map(|j| (j, &vals[j])) {
                Some((_, Val::Const(_))) => true,
                Some((j, Val::Memo(m))) if m.is_lasting() => {
                    memos.push(j);
                    true
                }
                _ => false,
            },
            Val::Memo(m) if m.is_lasting() => {
                memos.push(m.id());
                true
            }
            Val::KnownFrom { inner, .. } => held(inner, first, vals, memos),
            _ => false,
        }
    }
    let mut memos = Vec::new();
    for t in &row.transitions {
        if !t.costs.is_empty() || t.qaly_loss.is_some() {
            return None;
        }
        let ok = match &t.probability {
            None => true,
            Some(Val::KnownByStateTime { tail, .. }) => tail.is_some(),
            Some(v) => held(v, first, vals, &mut memos),
        };
        if !ok {
            return None;
        }
    }
    memos.sort_unstable();
    memos.dedup();
    Some(memos.into())
}

/// Whether state `s`'s row is competing risks that change along a stay (`Competing`): not
/// fixed or steady, at most `FAST` transitions without one-off payoffs, the complement
/// staying, one transition whose probability is a variable held over stretches of a stay
/// (a constant or `MemoPlan::is_lasting`), and every other one `(1 - that variable) * R`
/// with R a parameter, a constant or a variable that follows the stay (`Val::follows_stay`)
/// and is a probability everywhere in its table, the R of a row summing to at most 1.
/// Anything else is evaluated cycle by cycle, where an invalid value is reported.
pub(super) fn competing_row(
    model: &Model,
    s: usize,
    row: &PrepRow,
    vals: &[Val],
    params: &[f64],
) -> Option<Competing> {
    if row.fixed.is_some() || row.transitions.len() > FAST {
        return None;
    }
    let first_var = model.first_variable();
    let mut first = None;
    let mut d_slot = None;
    for (j, tr) in row.transitions.iter().enumerate() {
        if !tr.costs.is_empty() || tr.qaly_loss.is_some() {
            return None;
        }
        match &tr.probability {
            None if tr.to == s => {}
            Some(Val::Var(v)) if tr.to != s && first.is_none() => {
                first = Some(j);
                d_slot = Some(*v);
            }
            Some(Val::Dyn(_) | Val::Memo(_)) if tr.to != s => {}
            _ => return None,
        }
    }
    let (first, d_slot) = (first?, d_slot?);
    let memos: Box<[usize]> = match &vals[d_slot.checked_sub(first_var)?] {
        Val::Const(_) => Box::new([]),
        Val::Memo(m) if m.is_lasting() => Box::new([d_slot - first_var]),
        _ => return None,
    };
    let mut rest = Vec::new();
    let mut largest = 0.0;
    for (j, tr) in row.transitions.iter().enumerate() {
        // `(1 - D) * R` with R a parameter is memoised as D is (`memoise_inline`).
        let p = match &tr.probability {
            Some(Val::Dyn(p)) => *p,
            Some(Val::Memo(m)) => m.program(),
            _ => continue,
        };
        let (d, r) = p.survivors_times()?;
        if d != d_slot {
            return None;
        }
        let (along, values) = match r {
            Key::Const(c) => (Along::Const(c), vec![c]),
            Key::Param(i) => (Along::Const(params[i]), vec![params[i]]),
            Key::Var(v) => {
                let k = v.checked_sub(first_var)?;
                if !vals[k].follows_stay() {
                    return None;
                }
                (Along::Var(k), vals[k].table_values())
            }
        };
        if !values.iter().all(|x| (0.0..=1.0).contains(x)) {
            return None;
        }
        largest += values.iter().copied().fold(0.0, f64::max);
        rest.push((j, along));
    }
    if rest.is_empty() || largest > 1.0 + ROW_TOLERANCE {
        return None;
    }
    let steps = model
        .trackers
        .iter()
        .map(|tr| (tr.advance(0, s, s), tr.max))
        .collect();
    let complement = row
        .transitions
        .iter()
        .position(|t| t.probability.is_none())?;
    let n = row.transitions.len();
    // Every transition but the complement is D's or one of the R_j's.
    let order = if complement == n - 1 {
        (0..n - 1)
            .map(|j| match rest.iter().find(|(i, _)| *i == j) {
                Some((_, a)) => Some(Some(*a)),
                None => (j == first).then_some(None),
            })
            .collect()
    } else {
        None
    };
    Some(Competing {
        first,
        memos,
        rest: rest.into(),
        complement,
        steps,
        order,
    })
}
