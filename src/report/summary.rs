//! The key results at the top of the report, for a decision maker: per perspective the
//! decision in one sentence, costs, QALYs, the increments and ICER against the comparator
//! and the probability of being cost-effective at the Dutch reference values; then what
//! drives the uncertainty and the main assumptions. Everything is read from the run's files.

use std::collections::HashMap;

use serde::Serialize;

use super::format::{percent, qalys, words};
use super::sources::{Shown, shown};
use super::tables::{Columns, Names, perspective};
use crate::analysis::manifest::{ResultDir, Shape};
use crate::analysis::read::ReadError;
use crate::model::Model;

/// The reference values of willingness to pay per QALY in the Netherlands (Zorginstituut
/// Nederland, *Ziektelast in de praktijk*, 2018): by disease burden, from the lowest to the
/// highest class.
pub const DUTCH_WTP: [f64; 3] = [20_000.0, 50_000.0, 80_000.0];

/// How many assumptions the box names.
const N_ASSUMPTIONS: usize = 5;

/// How many EVPPI targets the box names.
const N_DRIVERS: usize = 3;

#[derive(Clone, Debug, Serialize)]
pub struct KeyResults {
    pub comparator: String,
    pub perspectives: Vec<KeyPerspective>,
    /// The thresholds of the probability columns, e.g. `€20,000`.
    pub thresholds: Vec<String>,
    /// Whether the run has a probabilistic analysis (else the probabilities are absent).
    pub psa: bool,
    /// The number of columns of the table.
    pub columns: usize,
    /// Sentences on the uncertainty: EVPI, EVPPI or that it was not run.
    pub uncertainty: Vec<String>,
    pub assumptions: Vec<KeyAssumption>,
    /// How the assumptions are ordered, and how many more the parameter table lists.
    pub assumptions_note: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyPerspective {
    pub name: String,
    pub decision: String,
    pub rows: Vec<KeyRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyRow {
    pub strategy: String,
    pub cost: String,
    pub qalys: String,
    pub inc_cost: String,
    pub inc_qalys: String,
    pub icer: String,
    pub probabilities: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyAssumption {
    /// The parameter's label (`Model::param_label`).
    pub name: String,
    pub reason: String,
    /// The net-benefit range in the one-way analysis, when there is one.
    pub effect: String,
}

/// Values of a table keyed by (perspective, strategy) or (perspective, wtp, strategy).
type Keyed = HashMap<(String, String), (f64, f64)>;

/// (perspective, strategy) → (a, b) from two columns of `name`.
fn keyed(run: &ResultDir, shape: &Shape, name: &str, a: &str, b: &str) -> Result<Keyed, ReadError> {
    let mut out = HashMap::new();
    if let Some(csv) = run.table(name, Some(shape))? {
        let c = Columns::new(&csv, &["perspective", "strategy", a, b])?;
        for r in 0..csv.rows.len() {
            if let (Some(x), Some(y)) = (c.num(r, a)?, c.num(r, b)?) {
                let key = (
                    c.text(r, "perspective").to_string(),
                    c.text(r, "strategy").to_string(),
                );
                out.insert(key, (x, y));
            }
        }
    }
    Ok(out)
}

/// (perspective, wtp as text of whole units, strategy) → value of `column` in `name`.
fn by_wtp(
    run: &ResultDir,
    shape: &Shape,
    name: &str,
    column: &str,
) -> Result<HashMap<(String, i64, String), f64>, ReadError> {
    let mut out = HashMap::new();
    if let Some(csv) = run.table(name, Some(shape))? {
        let c = Columns::new(&csv, &["perspective", "wtp", column])?;
        for r in 0..csv.rows.len() {
            if let (Some(w), Some(v)) = (c.num(r, "wtp")?, c.num(r, column)?) {
                let key = (
                    c.text(r, "perspective").to_string(),
                    w.round() as i64,
                    c.text(r, "strategy").to_string(),
                );
                out.insert(key, v);
            }
        }
    }
    Ok(out)
}

/// The key results of `run`; `dsa_ranges` are the one-way net benefits at each parameter's low and high value
/// (empty without a one-way analysis).
pub fn gather(
    run: &ResultDir,
    shape: &Shape,
    model: &Model,
    n: &Names,
    dsa_ranges: &HashMap<String, (f64, f64)>,
) -> Result<KeyResults, ReadError> {
    let m = &n.money;
    let totals = keyed(run, shape, "icer.csv", "cost", "qalys")?;
    let pairs = keyed(run, shape, "pairwise.csv", "inc_cost", "inc_qalys")?;
    let nmb_best = best_strategies(run, shape)?;
    let ceac = by_wtp(run, shape, "ceac.csv", "prob_best")?;
    let psa = run.table("ceac.csv", Some(shape))?.is_some();
    let (assumptions, assumptions_note) = assumptions(model, n, dsa_ranges);
    let mut perspectives = Vec::new();
    for persp in &shape.perspectives {
        let mut rows = Vec::new();
        for s in &shape.strategies {
            let key = (persp.clone(), s.clone());
            let (cost, q) = totals.get(&key).copied().unwrap_or((f64::NAN, f64::NAN));
            let (inc_cost, inc_qalys, icer) = match pairs.get(&key) {
                Some(&(dc, dq)) if *s != n.comparator => (m.amount(dc), qalys(dq), m.icer(dc, dq)),
                _ => ("comparator".into(), String::new(), String::new()),
            };
            let probabilities = DUTCH_WTP
                .iter()
                .map(|w| {
                    ceac.get(&(persp.clone(), *w as i64, s.clone()))
                        .map_or("—".into(), |p| percent(*p))
                })
                .collect();
            rows.push(KeyRow {
                strategy: n.strategy(s),
                cost: m.amount(cost),
                qalys: qalys(q),
                inc_cost,
                inc_qalys,
                icer,
                probabilities,
            });
        }
        let chosen = nmb_best.get(persp).cloned().unwrap_or_default();
        perspectives.push(KeyPerspective {
            name: perspective(persp),
            decision: decision(&chosen, &pairs, persp, n),
            rows,
        });
    }
    Ok(KeyResults {
        comparator: n.comparator_label.clone(),
        perspectives,
        thresholds: DUTCH_WTP.iter().map(|w| m.amount(*w)).collect(),
        psa,
        columns: if psa { 6 + DUTCH_WTP.len() } else { 6 },
        uncertainty: uncertainty(run, shape, model, n, dsa_ranges)?,
        assumptions,
        assumptions_note,
    })
}

/// Per perspective, the strategy with the highest net benefit at each threshold of `nmb.csv`.
fn best_strategies(
    run: &ResultDir,
    shape: &Shape,
) -> Result<HashMap<String, Vec<(f64, String)>>, ReadError> {
    let mut out: HashMap<String, Vec<(f64, String)>> = HashMap::new();
    if let Some(csv) = run.table("nmb.csv", Some(shape))? {
        let c = Columns::new(&csv, &["perspective", "wtp", "strategy", "best"])?;
        for r in 0..csv.rows.len() {
            if c.text(r, "best") == "true"
                && let Some(w) = c.num(r, "wtp")?
            {
                out.entry(c.text(r, "perspective").to_string())
                    .or_default()
                    .push((w, c.text(r, "strategy").to_string()));
            }
        }
    }
    Ok(out)
}

/// The decision in one sentence: which strategy has the highest net benefit at which
/// thresholds, and how the preferred strategy compares with the comparator.
fn decision(best: &[(f64, String)], pairs: &Keyed, persp: &str, n: &Names) -> String {
    let m = &n.money;
    let mut by: Vec<(String, Vec<String>)> = Vec::new();
    for (w, s) in best {
        match by.iter_mut().find(|(k, _)| k == s) {
            Some((_, ws)) => ws.push(m.amount(*w)),
            None => by.push((s.clone(), vec![m.amount(*w)])),
        }
    }
    if by.is_empty() {
        return "No threshold of willingness to pay was evaluated.".into();
    }
    let parts: Vec<String> = by
        .iter()
        .map(|(s, ws)| format!("{} at {} per QALY", n.strategy(s), words(ws)))
        .collect();
    let mut sentence = format!("Cost-effective (highest net benefit): {}", words(&parts));
    if let [(s, _)] = by.as_slice() {
        if *s == n.comparator {
            sentence = format!(
                "{} (the comparator) is cost-effective at {} per QALY",
                n.comparator_label,
                words(&by[0].1)
            );
        } else if let Some(&(dc, dq)) = pairs.get(&(persp.to_string(), s.clone())) {
            let cost = if dc <= 0.0 {
                format!("costs {} less", m.amount(-dc))
            } else {
                format!("costs {} more", m.amount(dc))
            };
            let gain = if dq >= 0.0 {
                format!("gains {} QALYs", qalys(dq))
            } else {
                format!("loses {} QALYs", qalys(-dq))
            };
            sentence = format!(
                "{} is cost-effective at {} per QALY: against {} it {cost} and {gain} per person ({})",
                n.strategy(s),
                words(&by[0].1),
                n.comparator_label,
                m.icer(dc, dq)
            );
        }
    }
    sentence.push('.');
    sentence
}

/// A group of the EVPPI in words: its name, and its members' labels when the scenario's
/// `voi_groups` or a Dirichlet group gives them (at most three, then how many more).
fn group_text(model: &Model, n: &Names, name: &str) -> String {
    let members: Vec<String> = model
        .voi_groups
        .iter()
        .find(|g| g.name == name)
        .map(|g| g.members.iter().map(|p| p.0).collect::<Vec<_>>())
        .or_else(|| {
            model
                .dirichlet
                .iter()
                .find(|g| g.name == name)
                .map(|g| g.members.iter().map(|p| p.0).collect())
        })
        .unwrap_or_default()
        .into_iter()
        .map(|i| n.parameter(&model.params[i].name))
        .collect();
    let title = name.replace('_', " ");
    match members.len() {
        0 => format!("the group “{title}”"),
        1..=3 => format!("the group “{title}” of {}", words(&members)),
        k => format!(
            "the group “{title}” of {} and {} more",
            members[..3].join(", "),
            k - 3
        ),
    }
}

/// What drives the uncertainty: the EVPI at the Dutch thresholds and the parameters with
/// the highest EVPPI, or that EVPPI was not run (with the one-way ranking where there is one).
fn uncertainty(
    run: &ResultDir,
    shape: &Shape,
    model: &Model,
    n: &Names,
    dsa_ranges: &HashMap<String, (f64, f64)>,
) -> Result<Vec<String>, ReadError> {
    let m = &n.money;
    let mut out = Vec::new();
    let first = shape.perspectives.first().cloned().unwrap_or_default();
    let evpi = run.table("evpi.csv", Some(shape))?;
    if let Some(csv) = &evpi {
        let c = Columns::new(csv, &["perspective", "wtp", "evpi_per_person"])?;
        let mut at = Vec::new();
        for r in 0..csv.rows.len() {
            if c.text(r, "perspective") == first
                && let (Some(w), Some(v)) = (c.num(r, "wtp")?, c.num(r, "evpi_per_person")?)
                && DUTCH_WTP.contains(&w)
            {
                at.push(format!("{} at {}", m.amount(v), m.per_qaly(w)));
            }
        }
        if !at.is_empty() {
            out.push(format!(
                "Expected value of perfect information ({}): {} per person.",
                perspective(&first).to_lowercase(),
                words(&at)
            ));
        }
    }
    match run.table("evppi.csv", Some(shape))? {
        Some(csv) => {
            let c = Columns::new(
                &csv,
                &["perspective", "name", "kind", "wtp", "evppi_per_person"],
            )?;
            let wtp = DUTCH_WTP[1];
            let mut rows = Vec::new();
            for r in 0..csv.rows.len() {
                if c.text(r, "perspective") == first
                    && c.num(r, "wtp")? == Some(wtp)
                    && let Some(v) = c.num(r, "evppi_per_person")?
                {
                    let name = c.text(r, "name");
                    rows.push((
                        v,
                        match c.text(r, "kind") {
                            "parameter" => n.parameter(name),
                            _ => group_text(model, n, name),
                        },
                    ));
                }
            }
            rows.sort_by(|a, b| b.0.total_cmp(&a.0));
            let top: Vec<String> = rows
                .iter()
                .take(N_DRIVERS)
                .map(|(v, name)| format!("{name} ({} per person)", m.amount(*v)))
                .collect();
            if !top.is_empty() {
                out.push(format!(
                    "The uncertainty that matters most for the decision (highest EVPPI at {}): {}.",
                    m.per_qaly(wtp),
                    words(&top)
                ));
            }
        }
        None => {
            out.push(if evpi.is_some() {
                "EVPPI was not run (trdsim voi), so which parameters drive the decision uncertainty is not quantified here.".into()
            } else {
                "No probabilistic analysis was run, so the decision uncertainty is not quantified.".into()
            });
            let mut ranked: Vec<(&String, f64)> = dsa_ranges
                .iter()
                .map(|(p, (lo, hi))| (p, (hi - lo).abs()))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            let top: Vec<String> = ranked
                .iter()
                .take(N_DRIVERS)
                .map(|(p, _)| n.parameter(p))
                .collect();
            if !top.is_empty() {
                out.push(format!(
                    "In the one-way sensitivity analysis, the net benefit moves most with {}.",
                    words(&top)
                ));
            }
        }
    }
    if model.settings.psa.population_per_year <= 0.0 && evpi.is_some() {
        out.push("The scenario sets no population (settings.psa.population), so no population EVPI is given.".into());
    }
    Ok(out)
}

/// The main assumptions: parameters labelled as assumptions, the most influential in the
/// one-way analysis first when there is one, else in the scenario's order.
fn assumptions(
    model: &Model,
    n: &Names,
    dsa_ranges: &HashMap<String, (f64, f64)>,
) -> (Vec<KeyAssumption>, String) {
    let mut list: Vec<(f64, usize)> = model
        .params
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_assumption())
        .map(|(i, p)| {
            let width = dsa_ranges
                .get(&p.name)
                .map_or(-1.0, |(lo, hi)| (hi - lo).abs());
            (width, i)
        })
        .collect();
    list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let total = list.len();
    let shown_list = list
        .iter()
        .take(N_ASSUMPTIONS)
        .map(|&(_, i)| {
            let p = &model.params[i];
            let reason = match shown(p.source.as_deref()) {
                Shown::Assumption(t) | Shown::Citation(t) => first_clause(&t),
                Shown::Nothing => "no source given".into(),
            };
            let effect = dsa_ranges.get(&p.name).map_or(String::new(), |(lo, hi)| {
                format!(
                    "net benefit {} to {} in the one-way analysis",
                    n.money.amount(lo.min(*hi)),
                    n.money.amount(lo.max(*hi))
                )
            });
            KeyAssumption {
                name: model.param_label(i),
                reason,
                effect,
            }
        })
        .collect();
    let order = if dsa_ranges.is_empty() {
        "in the order of the scenario"
    } else {
        "the most influential in the one-way analysis first"
    };
    let more = total.saturating_sub(N_ASSUMPTIONS);
    let note = if total == 0 {
        "No parameter is labelled as an assumption.".into()
    } else if more > 0 {
        format!(
            "{total} parameters are assumptions; {N_ASSUMPTIONS} are shown here, {order}, and every one is marked in the parameter table."
        )
    } else {
        format!("{total} parameters are assumptions, shown {order}.")
    };
    (shown_list, note)
}

/// The first clause of a reason (up to a `;` outside parentheses), for the summary.
fn first_clause(text: &str) -> String {
    let mut depth = 0usize;
    for (i, ch) in text.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => return text[..i].trim().to_string(),
            _ => {}
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_clause_stops_at_a_semicolon_outside_parentheses() {
        assert_eq!(first_clause("a (b; c); d"), "a (b; c)");
        assert_eq!(first_clause("a"), "a");
    }

    #[test]
    fn a_group_is_named_with_its_members_labels() {
        let model = crate::scenario::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/eko-vs-ect.yaml"),
        )
        .unwrap();
        let n = Names::new(&model);
        let label = |id: &str| n.parameter(id);
        assert_eq!(
            group_text(&model, &n, "day_treatment"),
            format!(
                "the group “day treatment” of {} and {}",
                label("c_day_treatment_day"),
                label("n_day_treatment_days_week")
            )
        );
        let utilities = group_text(&model, &n, "utilities");
        assert!(
            utilities.ends_with(" and 4 more"),
            "7 members, 3 named: {utilities}"
        );
        assert_eq!(
            group_text(&model, &n, "no_such_group"),
            "the group “no such group”"
        );
    }
}
