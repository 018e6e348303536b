//! The `trackers` section: per-individual clocks and counters. Their names (and a clock's
//! `NAME_years`) must not clash with other names; their states must exist; a counted
//! transition must exist in some strategy; `initial` and `max` are whole numbers.

use serde_saphyr::Spanned;

use crate::model::{MAX_TRACKERS, StateId, Strategy, Tracker, TrackerKind, var};

use super::super::raw::{RawTracker, loc};
use super::names::Names;
use super::states::StateNames;
use super::{Validator, is_builtin, is_identifier};

/// Largest `initial` or `max` of a tracker.
const MAX_TRACKER_VALUE: f64 = 1e9;

impl Validator {
    /// Check the trackers and build them, with their variable slots after the attributes;
    /// `names` holds the parameters, tables and attributes and `variables` the variable
    /// names they must not clash with. A tracker with an error is left out.
    pub(super) fn trackers(
        &mut self,
        raw: &[(String, Spanned<RawTracker>)],
        names: &Names<'_>,
        variables: &[String],
        states: &StateNames,
    ) -> Vec<Tracker> {
        if raw.len() > MAX_TRACKERS {
            self.error(
                (0, 0),
                "trackers",
                format!(
                    "{} trackers defined; expected at most {MAX_TRACKERS}",
                    raw.len()
                ),
            );
        }
        // Whether a name is used by anything but the tracker `own`.
        let taken = |n: &str, own: &str| {
            names.params.contains_key(n)
                || names.tables.iter().any(|t| t.name == n)
                || names.attributes.iter().any(|a| a.name == n)
                || variables.iter().any(|v| v == n)
                || is_builtin(n)
                || raw.iter().any(|(other, t)| {
                    other != own
                        && (other == n
                            || (t.value.kind.value == "clock" && format!("{other}_years") == n))
                })
        };
        let mut slot = var::FIRST_ATTRIBUTE + names.attributes.len();
        let mut trackers = Vec::new();
        for (name, t) in raw {
            let path = format!("trackers.{name}");
            let is_clock = t.value.kind.value == "clock";
            let years = format!("{name}_years");
            let clash = taken(name, name) || (is_clock && taken(&years, name));
            if !is_identifier(name) || clash {
                let also = if is_clock {
                    format!(" (nor may `{years}`)")
                } else {
                    String::new()
                };
                self.error(loc(t), &path, format!("invalid tracker name `{name}`; expected an identifier not used by a parameter, table, attribute, variable, other tracker or built-in variable{also}"));
                continue;
            }
            if let Some(tracker) = self.tracker(name, &t.value, &path, slot, states) {
                slot += tracker.n_slots();
                trackers.push(tracker);
            }
        }
        trackers
    }

    /// One tracker: its kind with its states, and its initial value and cap.
    fn tracker(
        &mut self,
        name: &str,
        t: &RawTracker,
        path: &str,
        slot: usize,
        states: &StateNames,
    ) -> Option<Tracker> {
        let n_states = states.names.len();
        let kind = match t.kind.value.as_str() {
            "clock" => {
                self.misplaced(t.enter.as_ref().map(loc), path, "enter", "clock")?;
                self.misplaced(
                    t.transitions.as_ref().map(loc),
                    path,
                    "transitions",
                    "clock",
                )?;
                let Some(set) = &t.states else {
                    self.error(
                        loc(&t.kind),
                        path,
                        "a clock needs `states`, the states in which it runs; found none",
                    );
                    return None;
                };
                let members = self.state_set(set, &format!("{path}.states"), states)?;
                if set.value.is_empty() {
                    self.error(
                        loc(set),
                        format!("{path}.states"),
                        "empty list; expected at least one state in which the clock runs",
                    );
                    return None;
                }
                let outside_runs = match t.outside.as_ref().map(|o| (o.value.as_str(), loc(o))) {
                    None | Some(("run", _)) => true,
                    Some(("stop", _)) => false,
                    Some((other, at)) => {
                        self.error(at, format!("{path}.outside"), format!("unknown value `{other}`; expected `run` (the clock keeps running outside its states) or `stop`"));
                        return None;
                    }
                };
                TrackerKind::Clock {
                    states: members,
                    restart: t.restart.as_ref().is_none_or(|r| r.value),
                    outside_runs,
                }
            }
            "counter" => {
                self.misplaced(t.states.as_ref().map(loc), path, "states", "counter")?;
                self.misplaced(t.restart.as_ref().map(loc), path, "restart", "counter")?;
                self.misplaced(t.outside.as_ref().map(loc), path, "outside", "counter")?;
                let enter = match &t.enter {
                    Some(set) => self.state_set(set, &format!("{path}.enter"), states)?,
                    None => vec![false; n_states],
                };
                let mut transitions = Vec::new();
                let mut known = true;
                for (i, tr) in t.transitions.iter().flat_map(|l| &l.value).enumerate() {
                    let p = format!("{path}.transitions[{i}]");
                    let from = self.state(&tr.value.from, &format!("{p}.from"), states);
                    let to = self.state(&tr.value.to, &format!("{p}.to"), states);
                    match (from, to) {
                        (Some(f), Some(t)) => transitions.push((StateId(f), StateId(t))),
                        _ => known = false,
                    }
                }
                if !known {
                    return None;
                }
                if transitions.is_empty() && !enter.contains(&true) {
                    self.error(loc(&t.kind), path, "a counter needs `enter` (states whose entry counts) or `transitions` (transitions that count); found neither");
                    return None;
                }
                TrackerKind::Counter { enter, transitions }
            }
            other => {
                self.error(
                    loc(&t.kind),
                    format!("{path}.type"),
                    format!("unknown tracker type `{other}`; expected `clock` or `counter`"),
                );
                return None;
            }
        };
        let initial = self.whole(t.initial.as_ref(), &format!("{path}.initial"))?;
        let max = self.whole(t.max.as_ref(), &format!("{path}.max"))?;
        let initial = initial.unwrap_or(0);
        let max = max.unwrap_or(u32::MAX);
        if initial > max {
            let at = t.max.as_ref().map(loc).unwrap_or_default();
            self.error(
                at,
                format!("{path}.max"),
                format!("`max` is {max}, below `initial` {initial}; expected at least `initial`"),
            );
            return None;
        }
        Some(Tracker {
            name: name.to_string(),
            kind,
            initial,
            max,
            slot,
            source: t.source.clone(),
        })
    }

    /// A field that belongs to the other kind of tracker is an error.
    fn misplaced(
        &mut self,
        at: Option<(u64, u64)>,
        path: &str,
        field: &str,
        kind: &str,
    ) -> Option<()> {
        let Some(at) = at else { return Some(()) };
        let expected = if kind == "clock" {
            "a clock has `states`, `restart` and `outside`"
        } else {
            "a counter has `enter` and `transitions`"
        };
        self.error(
            at,
            format!("{path}.{field}"),
            format!("`{field}` does not apply to a {kind}; {expected}"),
        );
        None
    }

    /// Membership of each state in a list of state ids.
    fn state_set(
        &mut self,
        set: &Spanned<Vec<Spanned<String>>>,
        path: &str,
        states: &StateNames,
    ) -> Option<Vec<bool>> {
        let mut members = vec![false; states.names.len()];
        let mut ok = true;
        for (i, s) in set.value.iter().enumerate() {
            match self.state(s, &format!("{path}[{i}]"), states) {
                Some(j) => members[j] = true,
                None => ok = false,
            }
        }
        ok.then_some(members)
    }

    /// A state id, or an error with a suggestion.
    fn state(&mut self, id: &Spanned<String>, path: &str, states: &StateNames) -> Option<usize> {
        let found = states.index.get(&id.value).copied();
        if found.is_none() {
            self.unknown(loc(id), path, "state", &id.value, &states.names);
        }
        found
    }

    /// A whole number in [0, 10⁹], when given.
    fn whole(&mut self, v: Option<&Spanned<f64>>, path: &str) -> Option<Option<u32>> {
        let Some(v) = v else { return Some(None) };
        let x = v.value;
        if !(0.0..=MAX_TRACKER_VALUE).contains(&x) || x.fract() != 0.0 {
            self.error(
                loc(v),
                path,
                format!("expected a whole number from 0 to {MAX_TRACKER_VALUE}, found {x}"),
            );
            return None;
        }
        Some(Some(x as u32))
    }

    /// After the strategies: a transition a counter counts must exist in some strategy.
    pub(super) fn tracked_transitions(
        &mut self,
        raw: &[(String, Spanned<RawTracker>)],
        trackers: &[Tracker],
        strategies: &[(Strategy, (u64, u64))],
        states: &StateNames,
    ) {
        for tracker in trackers {
            let TrackerKind::Counter { transitions, .. } = &tracker.kind else {
                continue;
            };
            let Some(rt) = raw.iter().find(|(n, _)| *n == tracker.name) else {
                continue;
            };
            let written = rt.1.value.transitions.iter().flat_map(|l| &l.value);
            for (i, ((from, to), at)) in transitions.iter().zip(written).enumerate() {
                let exists = strategies
                    .iter()
                    .any(|(s, _)| s.rows[from.0].iter().any(|t| t.to == *to));
                if !exists {
                    self.error(
                        loc(at),
                        format!("trackers.{}.transitions[{i}]", tracker.name),
                        format!(
                            "counter `{}` counts the transition {} → {}, which no strategy has; expected a transition of `transitions` or of a strategy",
                            tracker.name, states.names[from.0], states.names[to.0]
                        ),
                    );
                }
            }
        }
    }
}
