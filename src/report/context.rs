//! What the report shows, gathered from the model, `run.json` and the result files into
//! plain serializable structs for the templates. Numbers are formatted here, as text, so the
//! templates only place them; headings, captions and fixed wording live in the templates.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use std::collections::HashMap;

use super::Sources;
use super::analyses;
use super::diagram::{self, Diagram};
use super::files::{Figure, figure};
use super::format::{Money, family, mean_interval, number, plain};
use super::research;
use super::sources::{Shown, clean, shown};
use super::summary::{self, KeyResults};
use super::tables::{self, Columns, Names, Table};
use crate::analysis::manifest::{ResultDir, Shape};
use crate::analysis::read::ReadError;
use crate::dist::Dist;
use crate::model::{Model, ParamDef};

/// The whole report, one field per section.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub title: String,
    pub description: String,
    /// The key results, shown first.
    pub key: KeyResults,
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
    /// The value of a study, one per `trdsim evsi` directory given.
    pub evsi: Vec<research::EvsiSection>,
    /// Threshold analyses, one per `trdsim threshold` directory given.
    pub thresholds: Vec<research::ThresholdSection>,
    /// Warnings when the scenario was loaded.
    pub load_warnings: Vec<String>,
    pub reproducibility: Reproducibility,
}

/// The decision problem: strategies, perspectives, horizon, discounting, prices.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub strategies: Vec<String>,
    /// The comparator: `settings.reference_strategy`.
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
    /// What readers see (`Model::param_label`); the name stays beside it, as the
    /// expressions of derived parameters use names.
    pub label: String,
    /// No published source: highlighted.
    pub assumption: bool,
    /// Derived from other parameters: shown as its expression instead of a value.
    pub derived: bool,
    /// The point value to 3 significant digits (empty when derived).
    pub value: String,
    /// The expression as written in the scenario, for derived parameters.
    pub expr: Option<String>,
    /// The distribution's family in words (`beta`, `Dirichlet (w8_ect)`), empty when none.
    pub distribution: String,
    /// The distribution's mean and 95% interval, empty when none.
    pub mean_interval: String,
    /// The source as shown: a citation, the reasoning of an assumption, or nothing.
    pub source: Option<String>,
    /// For a price indexed to the scenario's price year: "2022 prices × 1.073".
    pub indexed: Option<String>,
}

/// The base-case tables and the Markov trace.
#[derive(Clone, Debug, Serialize)]
pub struct BaseCase {
    pub icer: Option<Table>,
    pub pairwise: Option<Table>,
    pub nmb: Option<Table>,
    pub trace: Option<Figure>,
}

/// The probabilistic sensitivity analysis.
#[derive(Clone, Debug, Serialize)]
pub struct Psa {
    pub draws: String,
    pub individuals_per_draw: String,
    pub prob_cost_effective: Table,
    pub summary: Option<Table>,
    pub evpi: Option<Table>,
    pub perspectives: Vec<PsaFigures>,
    pub warnings: Vec<String>,
}

/// The probabilistic figures of one perspective.
#[derive(Clone, Debug, Serialize)]
pub struct PsaFigures {
    /// `societal perspective`.
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
    /// One table per perspective, threshold and strategy.
    pub tables: Vec<Table>,
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
    /// One table per perspective.
    pub results: Vec<Table>,
    pub inputs: Option<Table>,
    /// The forest plots of incremental net benefit per scenario (`forest_<perspective>_<wtp>`).
    pub forests: Vec<Figure>,
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
    let names = Names::new(model);
    let n = &names;
    let table = |name: &str| run.table(name, Some(shape));
    let dsa = dsa(run, shape, model, sources, n)?;
    Ok(Report {
        title: model.meta.title.clone(),
        description: model.meta.description.clone(),
        key: summary::gather(run, shape, model, n, &dsa_ranges(run, shape, sources)?)?,
        problem: problem(model, json),
        structure: structure(model),
        parameters: parameters(model),
        base_case: BaseCase {
            icer: table("icer.csv")?
                .map(|t| tables::icer(&t, n))
                .transpose()?,
            pairwise: table("pairwise.csv")?
                .map(|t| tables::pairwise(&t, n))
                .transpose()?,
            nmb: table("nmb.csv")?.map(|t| tables::nmb(&t, n)).transpose()?,
            trace: figure(run, "trace")?,
        },
        psa: psa(run, shape, model, n)?,
        dsa,
        compare: match &sources.compare {
            Some(c) => Some(Compare {
                results: match c.table("compare_results.csv", None)? {
                    Some(t) => analyses::compare_results(&t, &c.json, n)?,
                    None => Vec::new(),
                },
                inputs: c
                    .table("compare_inputs.csv", None)?
                    .map(|t| analyses::compare_inputs(&t, &c.json))
                    .transpose()?,
                forests: forests(c)?,
            }),
            None => None,
        },
        evsi: sources
            .evsi
            .iter()
            .map(|d| research::evsi(d, model, n))
            .collect::<Result<_, _>>()?,
        thresholds: sources
            .threshold
            .iter()
            .map(|d| research::threshold(d, model, n))
            .collect::<Result<_, _>>()?,
        load_warnings: texts(&json["warnings"]),
        reproducibility: reproducibility(&run.dir, json),
    })
}

/// The one-way net benefits at each parameter's low and high value, by parameter, of the
/// first perspective, threshold and strategy of the run's or the `--dsa` directory's
/// `dsa.csv` (empty without one).
fn dsa_ranges(
    run: &ResultDir,
    shape: &Shape,
    sources: &Sources,
) -> Result<HashMap<String, (f64, f64)>, ReadError> {
    let mut out = HashMap::new();
    for d in [Some(run), sources.dsa.as_ref()].into_iter().flatten() {
        let Some(csv) = d.table("dsa.csv", Some(shape))? else {
            continue;
        };
        let c = Columns::new(&csv, &["perspective", "wtp", "strategy", "parameter"])?;
        let group = |r: usize| {
            [
                c.text(r, "perspective"),
                c.text(r, "wtp"),
                c.text(r, "strategy"),
            ]
        };
        for r in 0..csv.rows.len() {
            if group(r) != group(0) {
                continue;
            }
            if let (Some(lo), Some(hi)) = (c.num(r, "inmb_at_low")?, c.num(r, "inmb_at_high")?) {
                out.insert(c.text(r, "parameter").to_string(), (lo, hi));
            }
        }
        break;
    }
    Ok(out)
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
                .map(|(c, _)| c.replace('_', " "))
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
        discount_costs_percent: plain(s.discount_rate_costs_annual * 100.0, 4),
        discount_effects_percent: plain(s.discount_rate_effects_annual * 100.0, 4),
        discount_timing: s.discount_timing.as_str().to_string(),
        within_cycle: s.within_cycle.as_str().to_string(),
        currency: model.meta.currency.clone(),
        price_year: model
            .meta
            .price_year
            .map(|y| y.to_string())
            .unwrap_or_default(),
        wtp_per_qaly: s
            .wtp_per_qaly
            .iter()
            .map(|w| Money::new(&model.meta.currency).per_qaly(*w))
            .collect(),
        individuals: json["individuals"]
            .as_f64()
            .map_or_else(|| json["individuals"].to_string(), |x| number(x, 1)),
        references: model
            .meta
            .references
            .iter()
            .map(|r| clean(r))
            .filter(|r| !r.is_empty())
            .collect(),
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
        .enumerate()
        .map(|(i, (p, &x))| {
            let (derived, distribution, interval) = match &p.def {
                ParamDef::Value { dist: Some(d), .. } => {
                    (false, family(d).to_string(), mean_interval(d))
                }
                ParamDef::Value { dist: None, .. } => (false, String::new(), String::new()),
                ParamDef::Dirichlet { group, .. } => {
                    let g = &model.dirichlet[*group];
                    let total: f64 = g.alpha.iter().sum();
                    let a = g
                        .members
                        .iter()
                        .zip(&g.alpha)
                        .find(|(m, _)| m.0 < model.params.len() && model.params[m.0].name == p.name)
                        .map_or(f64::NAN, |(_, a)| *a);
                    // A Dirichlet share's marginal is Beta(α_i, Σα − α_i).
                    let marginal = Dist::Beta {
                        alpha: a,
                        beta: total - a,
                    };
                    (
                        false,
                        format!("Dirichlet ({})", g.name),
                        mean_interval(&marginal),
                    )
                }
                ParamDef::Derived(_) => (true, String::new(), String::new()),
            };
            let source = match shown(p.source.as_deref()) {
                Shown::Citation(t) | Shown::Assumption(t) => Some(t),
                Shown::Nothing => None,
            };
            ParamRow {
                name: p.name.clone(),
                label: model.param_label(i),
                assumption: p.is_assumption(),
                derived,
                value: if derived { String::new() } else { plain(x, 3) },
                expr: if derived { p.expr.clone() } else { None },
                distribution,
                mean_interval: interval,
                source,
                indexed: p
                    .price
                    .map(|i| format!("{} prices × {}", i.year, number(i.factor, 4))),
            }
        })
        .collect()
}

fn psa(run: &ResultDir, shape: &Shape, model: &Model, n: &Names) -> Result<Option<Psa>, ReadError> {
    let json = &run.json;
    let Some(probs) = json["psa_results"]["prob_cost_effective"].as_array() else {
        return Ok(None);
    };
    let mut perspectives = Vec::new();
    for persp in &model.perspectives {
        let name = &persp.name;
        perspectives.push(PsaFigures {
            name: tables::perspective(name).to_lowercase(),
            ce_plane: figure(run, &format!("ce_plane_{name}"))?,
            ceac: figure(run, &format!("ceac_{name}"))?,
            evpi: figure(run, &format!("evpi_{name}"))?,
            convergence: figure(run, &format!("convergence_{name}"))?,
        });
    }
    let ps = &model.settings.psa;
    let population = (ps.population_per_year > 0.0).then(|| {
        format!(
            "{} people a year for {} years, discounted at {}% a year",
            number(ps.population_per_year, 3),
            ps.population_years,
            plain(ps.population_discount * 100.0, 3)
        )
    });
    let count = |v: &Value| v.as_f64().map_or_else(|| v.to_string(), |x| number(x, 1));
    Ok(Some(Psa {
        draws: count(&json["psa"]["draws_total"]),
        individuals_per_draw: count(&json["psa"]["individuals_per_draw"]),
        prob_cost_effective: tables::probabilities(probs, n, &shape.strategies),
        summary: run
            .table("psa_summary.csv", Some(shape))?
            .map(|t| tables::psa_summary(&t, n))
            .transpose()?,
        evpi: run
            .table("evpi.csv", Some(shape))?
            .map(|t| tables::evpi(&t, n, &model.settings.wtp_per_qaly, population))
            .transpose()?,
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
    n: &Names,
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
        let tables = match d.table("dsa.csv", Some(shape))? {
            Some(t) => analyses::dsa(&t, n)?,
            None => Vec::new(),
        };
        if !tornadoes.is_empty() || !tables.is_empty() {
            out.push(DsaSource { tornadoes, tables });
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

/// The forest plots a `trdsim compare` directory recorded, in file-name order (perspective,
/// then threshold).
fn forests(c: &ResultDir) -> Result<Vec<Figure>, ReadError> {
    let recorded = crate::analysis::manifest::recorded_files(&c.dir, &c.json)?;
    let mut out = Vec::new();
    for name in recorded.keys() {
        if let Some(stem) = name
            .strip_prefix("forest_")
            .and_then(|_| name.strip_suffix(".svg"))
            && let Some(f) = figure(c, stem)?
        {
            out.push(f);
        }
    }
    Ok(out)
}
