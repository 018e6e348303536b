//! What the report shows, gathered from the model, `run.json` and the result files into
//! plain serializable structs for the templates. Numbers are formatted here, as text, so the
//! templates only place them; headings, captions and fixed wording live in the templates.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::Sources;
use super::diagram::{self, Diagram};
use super::format::{dist_text, significant};
use super::sources::{CsvTable, Figure, csv_table, figure};
use crate::analysis::manifest::{ResultDir, Shape};
use crate::analysis::read::ReadError;
use crate::model::{Model, ParamDef};

/// The whole report, one field per section.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub title: String,
    pub description: String,
    pub problem: Problem,
    pub structure: Structure,
    pub parameters: Vec<ParamRow>,
    pub base_case: BaseCase,
    /// Present when the run included a probabilistic analysis.
    pub psa: Option<Psa>,
    /// The result directories with one-way sensitivity results; empty when there are none.
    pub dsa: Vec<DsaSource>,
    /// Present when a `trdsim compare` directory was given.
    pub compare: Option<Compare>,
    /// Warnings when the scenario was loaded.
    pub load_warnings: Vec<String>,
    pub reproducibility: Reproducibility,
}

/// The decision problem: strategies, perspectives, horizon, discounting, prices.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub strategies: Vec<String>,
    pub reference_strategy: String,
    pub perspectives: Vec<PerspectiveRow>,
    pub n_cycles: String,
    pub cycle_length: String,
    pub cycle_unit: String,
    pub discount_costs_percent: String,
    pub discount_effects_percent: String,
    /// `start` or `middle` (of the cycle).
    pub discount_timing: String,
    pub within_cycle: String,
    pub currency: String,
    /// Empty when the scenario gives none.
    pub price_year: String,
    pub wtp_per_qaly: Vec<String>,
    pub individuals: String,
    pub references: Vec<String>,
}

/// A perspective and the cost categories it counts.
#[derive(Clone, Debug, Serialize)]
pub struct PerspectiveRow {
    pub name: String,
    pub categories: Vec<String>,
}

/// The model structure: the diagram and, per state, where each strategy moves to.
#[derive(Clone, Debug, Serialize)]
pub struct Structure {
    pub diagram: Diagram,
    pub states: Vec<StateRow>,
}

/// A state and its outgoing transitions per strategy.
#[derive(Clone, Debug, Serialize)]
pub struct StateRow {
    pub label: String,
    pub absorbing: bool,
    pub moves: Vec<StrategyMoves>,
}

/// Where one strategy moves from a state (empty: nowhere).
#[derive(Clone, Debug, Serialize)]
pub struct StrategyMoves {
    pub strategy: String,
    pub to: Vec<Move>,
}

/// A transition: the target state's label and the probability as the scenario writes it.
#[derive(Clone, Debug, Serialize)]
pub struct Move {
    pub state: String,
    pub text: String,
}

/// A row of the parameter table.
#[derive(Clone, Debug, Serialize)]
pub struct ParamRow {
    pub name: String,
    /// No published source: highlighted.
    pub assumption: bool,
    /// Derived from other parameters: shown as its expression instead of a value.
    pub derived: bool,
    /// The point value to 6 significant digits (empty when derived).
    pub value: String,
    /// The expression as written in the scenario, for derived parameters.
    pub expr: Option<String>,
    /// The distribution, empty when the parameter has none.
    pub distribution: String,
    pub source: Option<String>,
    /// For a price indexed to the scenario's price year: "2022 prices × 1.073".
    pub indexed: Option<String>,
}

/// The base-case tables and the Markov trace.
#[derive(Clone, Debug, Serialize)]
pub struct BaseCase {
    pub icer: Option<CsvTable>,
    pub pairwise: Option<CsvTable>,
    pub nmb: Option<CsvTable>,
    pub trace: Option<Figure>,
}

/// The probabilistic sensitivity analysis.
#[derive(Clone, Debug, Serialize)]
pub struct Psa {
    pub draws: String,
    pub individuals_per_draw: String,
    pub prob_cost_effective: Vec<ProbRow>,
    pub summary: Option<CsvTable>,
    pub perspectives: Vec<PsaFigures>,
    pub warnings: Vec<String>,
}

/// The probability that a strategy is cost-effective at a willingness to pay.
#[derive(Clone, Debug, Serialize)]
pub struct ProbRow {
    pub perspective: String,
    pub wtp: String,
    pub strategy: String,
    /// To three decimals.
    pub probability: String,
}

/// The probabilistic figures of one perspective.
#[derive(Clone, Debug, Serialize)]
pub struct PsaFigures {
    pub name: String,
    pub ce_plane: Option<Figure>,
    pub ceac: Option<Figure>,
    pub evpi: Option<Figure>,
    pub convergence: Option<Figure>,
}

/// One-way sensitivity results found in one result directory (never both empty).
#[derive(Clone, Debug, Serialize)]
pub struct DsaSource {
    pub tornadoes: Vec<Tornado>,
    pub table: Option<CsvTable>,
}

/// The tornado diagram of one strategy against the reference.
#[derive(Clone, Debug, Serialize)]
pub struct Tornado {
    pub strategy: String,
    pub figure: Figure,
}

/// The tables of a `trdsim compare` directory.
#[derive(Clone, Debug, Serialize)]
pub struct Compare {
    pub results: Option<CsvTable>,
    pub inputs: Option<CsvTable>,
}

/// What identifies the run and how to check it.
#[derive(Clone, Debug, Serialize)]
pub struct Reproducibility {
    pub tool_version: String,
    pub scenario_path: String,
    pub scenario_sha256: String,
    pub seed: String,
    pub command: Vec<String>,
    /// The result directory, for the `trdsim verify` command line.
    pub dir: String,
}

/// Everything the report of `run` shows; `shape` is what its manifest records, and
/// `sources` the other result directories it includes, checked likewise.
pub fn gather(
    run: &ResultDir,
    shape: &Shape,
    model: &Model,
    sources: &Sources,
) -> Result<Report, ReadError> {
    let json = &run.json;
    Ok(Report {
        title: model.meta.title.clone(),
        description: model.meta.description.clone(),
        problem: problem(model, json),
        structure: structure(model),
        parameters: parameters(model),
        base_case: BaseCase {
            icer: csv_table(run, "icer.csv", Some(shape))?,
            pairwise: csv_table(run, "pairwise.csv", Some(shape))?,
            nmb: csv_table(run, "nmb.csv", Some(shape))?,
            trace: figure(run, "trace")?,
        },
        psa: psa(run, shape, model)?,
        dsa: dsa(run, shape, model, sources)?,
        compare: match &sources.compare {
            Some(c) => Some(Compare {
                results: csv_table(c, "compare_results.csv", None)?,
                inputs: csv_table(c, "compare_inputs.csv", None)?,
            }),
            None => None,
        },
        load_warnings: texts(&json["warnings"]),
        reproducibility: reproducibility(&run.dir, json),
    })
}

/// The string items of a JSON array, a non-string item as empty text.
fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn problem(model: &Model, json: &Value) -> Problem {
    let s = &model.settings;
    let perspectives = model
        .perspectives
        .iter()
        .map(|p| PerspectiveRow {
            name: p.name.clone(),
            categories: model
                .cost_categories
                .iter()
                .zip(&p.includes)
                .filter(|(_, i)| **i)
                .map(|(c, _)| c.clone())
                .collect(),
        })
        .collect();
    Problem {
        strategies: model.strategies.iter().map(|x| x.label.clone()).collect(),
        reference_strategy: model.strategies[s.reference_strategy.0].label.clone(),
        perspectives,
        n_cycles: s.n_cycles.to_string(),
        cycle_length: s.cycle_length.to_string(),
        cycle_unit: s.cycle_unit.as_str().to_string(),
        discount_costs_percent: (s.discount_rate_costs_annual * 100.0).to_string(),
        discount_effects_percent: (s.discount_rate_effects_annual * 100.0).to_string(),
        discount_timing: s.discount_timing.as_str().to_string(),
        within_cycle: s.within_cycle.as_str().to_string(),
        currency: model.meta.currency.clone(),
        price_year: model
            .meta
            .price_year
            .map(|y| y.to_string())
            .unwrap_or_default(),
        wtp_per_qaly: s.wtp_per_qaly.iter().map(|w| w.to_string()).collect(),
        individuals: json["individuals"].to_string(),
        references: model.meta.references.clone(),
    }
}

fn structure(model: &Model) -> Structure {
    let states = model
        .states
        .iter()
        .enumerate()
        .map(|(i, st)| StateRow {
            label: st.label.clone(),
            absorbing: st.absorbing,
            moves: model
                .strategies
                .iter()
                .map(|strat| StrategyMoves {
                    strategy: strat.label.clone(),
                    to: strat.rows[i]
                        .iter()
                        .map(|t| Move {
                            state: model.states[t.to.0].label.clone(),
                            text: t.text.clone(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Structure {
        diagram: diagram::layout(model),
        states,
    }
}

fn parameters(model: &Model) -> Vec<ParamRow> {
    let point = crate::params::point_values(model);
    model
        .params
        .iter()
        .zip(&point)
        .map(|(p, &x)| {
            let (derived, distribution) = match &p.def {
                ParamDef::Value { dist, .. } => {
                    (false, dist.as_ref().map(dist_text).unwrap_or_default())
                }
                ParamDef::Dirichlet { group, .. } => (
                    false,
                    format!("Dirichlet group {}", model.dirichlet[*group].name),
                ),
                ParamDef::Derived(_) => (true, String::new()),
            };
            ParamRow {
                name: p.name.clone(),
                assumption: p.is_assumption(),
                derived,
                value: if derived {
                    String::new()
                } else {
                    significant(x, 6).to_string()
                },
                expr: if derived { p.expr.clone() } else { None },
                distribution,
                source: p.source.clone(),
                indexed: p
                    .price
                    .map(|i| format!("{} prices × {}", i.year, significant(i.factor, 6))),
            }
        })
        .collect()
}

fn psa(run: &ResultDir, shape: &Shape, model: &Model) -> Result<Option<Psa>, ReadError> {
    let json = &run.json;
    let Some(probs) = json["psa_results"]["prob_cost_effective"].as_array() else {
        return Ok(None);
    };
    let prob_cost_effective = probs
        .iter()
        .map(|p| ProbRow {
            perspective: p["perspective"].as_str().unwrap_or_default().to_string(),
            wtp: p["wtp"].to_string(),
            strategy: p["strategy"].as_str().unwrap_or_default().to_string(),
            probability: format!("{:.3}", p["probability"].as_f64().unwrap_or(f64::NAN)),
        })
        .collect();
    let mut perspectives = Vec::new();
    for persp in &model.perspectives {
        let n = &persp.name;
        perspectives.push(PsaFigures {
            name: n.clone(),
            ce_plane: figure(run, &format!("ce_plane_{n}"))?,
            ceac: figure(run, &format!("ceac_{n}"))?,
            evpi: figure(run, &format!("evpi_{n}"))?,
            convergence: figure(run, &format!("convergence_{n}"))?,
        });
    }
    Ok(Some(Psa {
        draws: json["psa"]["draws_total"].to_string(),
        individuals_per_draw: json["psa"]["individuals_per_draw"].to_string(),
        prob_cost_effective,
        summary: csv_table(run, "psa_summary.csv", Some(shape))?,
        perspectives,
        warnings: texts(&json["psa_results"]["warnings"]),
    }))
}

/// One-way sensitivity results from this directory or a `trdsim dsa` directory.
fn dsa(
    run: &ResultDir,
    shape: &Shape,
    model: &Model,
    sources: &Sources,
) -> Result<Vec<DsaSource>, ReadError> {
    let mut out = Vec::new();
    for d in [Some(run), sources.dsa.as_ref()].into_iter().flatten() {
        let mut tornadoes = Vec::new();
        for st in &model.strategies {
            if let Some(figure) = figure(d, &format!("tornado_{}", st.name))? {
                tornadoes.push(Tornado {
                    strategy: st.label.clone(),
                    figure,
                });
            }
        }
        let table = csv_table(d, "dsa.csv", Some(shape))?;
        if !tornadoes.is_empty() || table.is_some() {
            out.push(DsaSource { tornadoes, table });
        }
    }
    Ok(out)
}

fn reproducibility(dir: &Path, json: &Value) -> Reproducibility {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    Reproducibility {
        tool_version: text(&json["tool_version"]),
        scenario_path: text(&json["scenario"]["path"]),
        scenario_sha256: text(&json["scenario"]["sha256"]),
        seed: json["seed"].to_string(),
        command: json["command"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        dir: dir.display().to_string(),
    }
}
