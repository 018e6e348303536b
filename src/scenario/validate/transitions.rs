//! Transitions (the `transitions` section and a strategy's overrides): from and to a known
//! state, a probability (a number in [0, 1], an expression or `complement`), one-off costs
//! and a QALY loss; at most one transition per pair of states.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use crate::expr::Program;
use crate::model::{Probability, StateId, Transition};

use super::super::raw::{RawTransition, Scalar, loc};
use super::Validator;
use super::names::Names;
use super::states::StateNames;

impl Validator {
    /// Costs by category (`path` names the mapping); unknown categories are reported.
    pub(super) fn cost_list(
        &mut self,
        raw: &BTreeMap<String, Spanned<Scalar>>,
        path: &str,
        categories: &[String],
        names: &Names<'_>,
    ) -> Vec<(usize, Program)> {
        let mut out = Vec::new();
        for (cat, c) in raw {
            let cpath = format!("{path}.{cat}");
            match categories.iter().position(|k| k == cat) {
                Some(k) => {
                    if let Some(p) = self.compile(loc(c), &cpath, &c.value, names) {
                        out.push((k, p));
                    }
                }
                None => self.unknown(loc(c), &cpath, "cost category", cat, categories),
            }
        }
        out
    }

    /// The rows of transitions (one per state, by origin); `section` prefixes the paths.
    pub(super) fn transitions(
        &mut self,
        raw: &[Spanned<RawTransition>],
        section: &str,
        states: &StateNames,
        categories: &[String],
        resolver: &Names<'_>,
    ) -> Vec<Vec<Transition>> {
        let mut rows: Vec<Vec<Transition>> = vec![Vec::new(); states.names.len()];
        for (i, t) in raw.iter().enumerate() {
            let path = format!("{section}[{i}]");
            let rt = &t.value;
            let from = states.index.get(&rt.from.value).copied();
            if from.is_none() {
                self.unknown(
                    loc(&rt.from),
                    &format!("{path}.from"),
                    "state",
                    &rt.from.value,
                    &states.names,
                );
            }
            let to = states.index.get(&rt.to.value).copied();
            if to.is_none() {
                self.unknown(
                    loc(&rt.to),
                    &format!("{path}.to"),
                    "state",
                    &rt.to.value,
                    &states.names,
                );
            }
            let probability = match &rt.probability.value {
                Scalar::Text(s) if s.trim() == "complement" => Some(Probability::Complement),
                Scalar::Num(x) if !(0.0..=1.0).contains(x) => {
                    self.error(
                        loc(&rt.probability),
                        format!("{path}.probability"),
                        format!("expected a probability in [0, 1], found {x}"),
                    );
                    None
                }
                other => self
                    .compile(
                        loc(&rt.probability),
                        &format!("{path}.probability"),
                        other,
                        resolver,
                    )
                    .map(Probability::Expr),
            };
            let costs = self.cost_list(&rt.cost, &format!("{path}.cost"), categories, resolver);
            let qaly_loss = rt.qaly_loss.as_ref().and_then(|q| {
                self.compile(loc(q), &format!("{path}.qaly_loss"), &q.value, resolver)
            });
            let (Some(from), Some(to), Some(probability)) = (from, to, probability) else {
                continue;
            };
            if let Some(prev) = rows[from].iter().find(|x| x.to.0 == to) {
                self.error(loc(&rt.to), format!("{path}.to"), format!("a second transition from `{}` to `{}` (first at {}); expected one per pair", rt.from.value, rt.to.value, prev.origin));
                continue;
            }
            rows[from].push(Transition {
                to: StateId(to),
                probability,
                costs,
                qaly_loss,
                at: self.source_at(loc(t), &path),
                origin: path,
                text: match &rt.probability.value {
                    Scalar::Num(x) => x.to_string(),
                    Scalar::Text(t) => t.trim().to_string(),
                },
            });
        }
        rows
    }
}
