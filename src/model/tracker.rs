//! Trackers: per-individual clocks and counters that remember more of an individual's history
//! than the time in its current state (`docs/scenario-format.md`, section 2.14).
//!
//! A tracker holds a whole number that changes only when the individual moves from the
//! state at one cycle boundary to the state at the next (a stay counts as a move to the
//! same state). The rule is one function, `Tracker::advance`, shared by the microsimulation
//! and the cohort evaluation, so both count by the same rule.

use super::StateId;

/// How a tracker changes from one cycle boundary to the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrackerKind {
    /// Cycles on a clock that runs while the individual is in a set of states.
    Clock {
        /// Whether each state (by `StateId`) belongs to the clock's set.
        states: Vec<bool>,
        /// Restart at zero on entering the set from a state outside it.
        restart: bool,
        /// Keep running while the individual is outside the set.
        outside_runs: bool,
    },
    /// Events counted: entries into a set of states and named transitions.
    Counter {
        /// Whether each state belongs to the set whose entry (from outside it) counts.
        enter: Vec<bool>,
        /// Transitions (from, to) that count each time they happen.
        transitions: Vec<(StateId, StateId)>,
    },
}

/// A named per-individual clock or counter.
#[derive(Clone, Debug)]
pub struct Tracker {
    pub name: String,
    pub kind: TrackerKind,
    /// Value at boundary 0, for every individual.
    pub initial: u32,
    /// The value never exceeds this (it stays there); `u32::MAX` when the scenario sets none.
    pub max: u32,
    /// First variable slot of the tracker's readings (a clock has two, a counter one).
    pub slot: usize,
    pub source: Option<String>,
}

impl Tracker {
    /// Whether the tracker is a clock.
    pub fn is_clock(&self) -> bool {
        matches!(self.kind, TrackerKind::Clock { .. })
    }

    /// Number of variable slots its readings take: `NAME` and `NAME_years` for a clock,
    /// `NAME` for a counter.
    pub fn n_slots(&self) -> usize {
        if self.is_clock() { 2 } else { 1 }
    }

    /// The value at the next boundary for an individual with `value` who moves from state
    /// `from` to state `to` (`from == to` for a stay).
    ///
    /// Clock: restarts at 0 on entering its set from outside when `restart`; otherwise it
    /// gains one cycle when the cycle just lived was spent in the set (or anywhere, when
    /// `outside_runs`). Counter: gains one when the move enters its `enter` set from
    /// outside or is one of its transitions (once per move, even when both hold).
    #[inline]
    pub fn advance(&self, value: u32, from: usize, to: usize) -> u32 {
        let up = match &self.kind {
            TrackerKind::Clock {
                states,
                restart,
                outside_runs,
            } => {
                if *restart && states[to] && !states[from] {
                    return 0;
                }
                states[from] || *outside_runs
            }
            TrackerKind::Counter { enter, transitions } => {
                (enter[to] && !enter[from])
                    || transitions.iter().any(|(f, t)| f.0 == from && t.0 == to)
            }
        };
        if up && value < self.max {
            value + 1
        } else {
            value
        }
    }

    /// Write the readings of `value` into the variable slots: a clock reads as `state_time`
    /// (`value + 1`, the cycle number on the clock) and `state_years` (`value × Δ`, years on
    /// the clock at the start of the cycle); a counter reads as its value.
    #[inline]
    pub fn write(&self, value: u32, cycle_years: f64, vars: &mut [f64]) {
        let v = f64::from(value);
        if self.is_clock() {
            vars[self.slot] = v + 1.0;
            vars[self.slot + 1] = v * cycle_years;
        } else {
            vars[self.slot] = v;
        }
    }

    /// How many values (0, 1, …) the tracker can take within `n_cycles` cycles: it starts
    /// at `initial`, gains at most one per cycle and never exceeds `max`.
    pub fn n_values(&self, n_cycles: usize) -> usize {
        let reach = u64::from(self.initial).saturating_add(n_cycles as u64);
        reach.min(u64::from(self.max)) as usize + 1
    }
}

/// Advance every tracker for a move from `from` to `to` (no allocation: the hot loop's).
#[inline]
pub fn advance(trackers: &[Tracker], values: &mut [u32], from: usize, to: usize) {
    for (v, tr) in values.iter_mut().zip(trackers) {
        *v = tr.advance(*v, from, to);
    }
}

/// Every tracker after `k` cycles spent in `state`: the same as `k` moves from `state` to
/// itself, each of which moves a tracker by the same step.
#[inline]
pub fn advance_stay(trackers: &[Tracker], values: &mut [u32], state: usize, k: usize) {
    for (v, tr) in values.iter_mut().zip(trackers) {
        if tr.advance(*v, state, state) != *v {
            *v = (u64::from(*v) + k as u64).min(u64::from(tr.max)) as u32;
        }
    }
}

/// Write every tracker's readings into the variable slots.
#[inline]
pub fn write(trackers: &[Tracker], values: &[u32], cycle_years: f64, vars: &mut [f64]) {
    for (v, tr) in values.iter().zip(trackers) {
        tr.write(*v, cycle_years, vars);
    }
}

/// Set every tracker to its initial value.
#[inline]
pub fn start(trackers: &[Tracker], values: &mut [u32]) {
    for (v, tr) in values.iter_mut().zip(trackers) {
        *v = tr.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(set: &[bool], restart: bool, outside_runs: bool) -> Tracker {
        Tracker {
            name: "c".into(),
            kind: TrackerKind::Clock {
                states: set.to_vec(),
                restart,
                outside_runs,
            },
            initial: 0,
            max: u32::MAX,
            slot: 0,
            source: None,
        }
    }

    /// Values along a path of states s_0, s_1, … (one per boundary).
    fn along(tr: &Tracker, path: &[usize]) -> Vec<u32> {
        let mut v = tr.initial;
        let mut out = vec![v];
        for w in path.windows(2) {
            v = tr.advance(v, w[0], w[1]);
            out.push(v);
        }
        out
    }

    #[test]
    fn a_clock_over_one_state_reads_as_state_time() {
        // States 0 (out) and 1 (in); state_time in state 1 restarts at entry.
        let tr = clock(&[false, true], true, false);
        let path = [0, 1, 1, 1, 0, 0, 1, 1];
        let mut vars = [0.0; 2];
        let values = along(&tr, &path);
        let mut state_time = 1;
        for (t, s) in path.iter().enumerate() {
            if t > 0 {
                state_time = if path[t - 1] == *s { state_time + 1 } else { 1 };
            }
            tr.write(values[t], 0.25, &mut vars);
            if *s == 1 {
                assert_eq!(vars[0], f64::from(state_time), "boundary {t}");
                assert_eq!(vars[1], f64::from(state_time - 1) * 0.25, "boundary {t}");
            }
        }
    }

    #[test]
    fn clock_options() {
        let path = [1, 1, 0, 0, 1, 1];
        // Time in the current spell, frozen outside.
        assert_eq!(
            along(&clock(&[false, true], true, false), &path),
            [0, 1, 2, 2, 0, 1]
        );
        // Time since the last entry (running outside, from the start of the model).
        assert_eq!(
            along(&clock(&[false, true], true, true), &path),
            [0, 1, 2, 3, 0, 1]
        );
        // Cumulative time in the set.
        assert_eq!(
            along(&clock(&[false, true], false, false), &path),
            [0, 1, 2, 2, 2, 3]
        );
        // A cap stops the clock.
        let mut capped = clock(&[false, true], false, false);
        capped.max = 2;
        assert_eq!(along(&capped, &path), [0, 1, 2, 2, 2, 2]);
        assert_eq!(capped.n_values(100), 3);
    }

    #[test]
    fn counter_counts_entries_and_transitions_once_per_move() {
        let tr = Tracker {
            name: "n".into(),
            kind: TrackerKind::Counter {
                enter: vec![false, true, true],
                transitions: vec![(StateId(1), StateId(2)), (StateId(0), StateId(1))],
            },
            initial: 3,
            max: u32::MAX,
            slot: 0,
            source: None,
        };
        // 0→1 is both an entry and a named transition: one event. 1→2 stays inside the
        // entry set but is named. 2→2 is neither.
        assert_eq!(along(&tr, &[0, 1, 2, 2, 0, 1]), [3, 4, 5, 5, 5, 6]);
        assert_eq!(tr.n_values(10), 14);
    }

    /// A stay of k cycles moves each tracker as k moves from the state to itself do: clocks
    /// that run in the state (or outside their states) and counters of the move to itself,
    /// up to their largest value.
    #[test]
    fn a_stay_advances_trackers_as_its_moves_do() {
        let mut capped = clock(&[true, false, false], false, false);
        capped.max = 5;
        let trackers = [
            capped,
            clock(&[false, true, false], true, false),
            clock(&[false, true, false], false, true),
            Tracker {
                name: "n".into(),
                kind: TrackerKind::Counter {
                    enter: vec![false, true, false],
                    transitions: vec![(StateId(2), StateId(2))],
                },
                initial: 1,
                max: u32::MAX,
                slot: 0,
                source: None,
            },
        ];
        for state in 0..3 {
            for k in [0, 1, 3, 7] {
                let mut one_by_one = vec![2, 4, 0, 1];
                let mut at_once = one_by_one.clone();
                for _ in 0..k {
                    advance(&trackers, &mut one_by_one, state, state);
                }
                advance_stay(&trackers, &mut at_once, state, k);
                assert_eq!(at_once, one_by_one, "state {state}, {k} cycles");
            }
        }
    }
}
