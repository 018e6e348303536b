//! The decision instruments beyond the PSA that a report may include: the value of a study
//! (`trdsim evsi`, one directory per target) and threshold analyses (`trdsim threshold`,
//! one directory per parameter), each as a formatted table with its figures.
//!
//! The tables say in words what the files hold: the EVSI by study size at each threshold,
//! for the population when the run sets one (with the per-person value, the study's
//! expected net benefit when it has a cost, and the EVPPI of the target as the ceiling); the
//! value of a parameter at which the preferred strategy changes, with its Monte Carlo
//! standard error, or that it does not change over the range searched.

use serde::Serialize;

use super::files::{Figure, figure};
use super::format::{Money, number, plain};
use super::tables::{Columns, Names, Table, cell, noted, perspective};
use crate::analysis::manifest::ResultDir;
use crate::analysis::read::ReadError;
use crate::model::Model;

/// A figure with its caption.
#[derive(Clone, Debug, Serialize)]
pub struct Captioned {
    pub figure: Figure,
    pub caption: String,
}

/// The value of one study: what it measures, its table and its figures.
#[derive(Clone, Debug, Serialize)]
pub struct EvsiSection {
    /// What the study measures, in words.
    pub target: String,
    /// The study's costs and the delay until it reports, in words.
    pub study: String,
    pub table: Table,
    pub figures: Vec<Captioned>,
}

/// One threshold analysis: the parameter, its table and its figures.
#[derive(Clone, Debug, Serialize)]
pub struct ThresholdSection {
    pub parameter: String,
    /// Per perspective, where the decision changes in one sentence (for the key results).
    pub summary: Vec<String>,
    pub table: Table,
    pub figures: Vec<Captioned>,
}

/// Distinct values of a column in file order.
fn distinct(c: &Columns, column: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in 0..c.csv.rows.len() {
        let v = c.text(r, column);
        if !out.iter().any(|x| x == v) {
            out.push(v.to_string());
        }
    }
    out
}

/// The willingness to pay of a column value, as `€20,000/QALY`.
fn wtp_text(m: &Money, text: &str) -> String {
    text.parse::<f64>()
        .map_or_else(|_| text.to_string(), |w| m.per_qaly(w))
}

/// One `trdsim evsi` directory.
pub fn evsi(dir: &ResultDir, model: &Model, n: &Names) -> Result<EvsiSection, ReadError> {
    let m = &n.money;
    let json = &dir.json;
    let id = json["target"].as_str().unwrap_or_default();
    let target = if model.dirichlet.iter().any(|g| g.name == id) {
        format!("Shares of the Dirichlet group {id}")
    } else {
        n.parameter(id)
    };
    let factor = json["population_factor"].as_f64().unwrap_or(0.0);
    let population = factor > 0.0;
    let costed = json["cost_fixed"].as_f64().unwrap_or(0.0) > 0.0
        || json["cost_per_patient"].as_f64().unwrap_or(0.0) > 0.0;
    let Some(csv) = dir.table("evsi.csv", None)? else {
        return Err(ReadError::Manifest {
            file: dir.file("run.json"),
            what: "an EVSI result directory without evsi.csv".into(),
        });
    };
    let c = Columns::new(
        &csv,
        &[
            "perspective",
            "sample_size",
            "wtp",
            "evsi_per_person",
            "evsi_population",
            "enbs",
            "evppi_per_person",
        ],
    )?;
    let wtps = distinct(&c, "wtp");
    let mut header: Vec<String> = vec!["Study size (people)".into()];
    header.extend(wtps.iter().map(|w| format!("At {}", wtp_text(m, w))));
    let columns: Vec<(&str, bool)> = header.iter().map(|h| (h.as_str(), true)).collect();
    let what = if population {
        "population EVSI (per person beneath)"
    } else {
        "EVSI per person"
    };
    let enbs = if costed {
        ", and the expected net benefit of sampling (ENBS) after the study's cost"
    } else {
        ""
    };
    let mut table = Table::new(
        format!(
            "Expected value of sample information of a study measuring “{target}”: {what} by study size and willingness to pay{enbs}; the last row is the expected value of perfect information on it (EVPPI), which no study exceeds"
        ),
        &csv.file,
        &columns,
    );
    let value = |r: usize, per_person: f64| -> Result<String, ReadError> {
        Ok(if population {
            m.amount(c.num(r, "evsi_population")?.unwrap_or(f64::NAN))
        } else {
            m.amount(per_person)
        })
    };
    for (perspective_name, rows) in c.groups("perspective") {
        table.group(perspective(&perspective_name));
        let mut ceiling: Vec<f64> = vec![f64::NAN; wtps.len()];
        for size in distinct(&c, "sample_size") {
            let people = size.parse::<f64>().map_or(size.clone(), |x| number(x, 3));
            let mut cells = vec![cell(people)];
            for (wi, w) in wtps.iter().enumerate() {
                let Some(&r) = rows
                    .iter()
                    .find(|&&r| c.text(r, "sample_size") == size && c.text(r, "wtp") == w)
                else {
                    cells.push(cell("—"));
                    continue;
                };
                let per_person = c.num(r, "evsi_per_person")?.unwrap_or(f64::NAN);
                ceiling[wi] = c.num(r, "evppi_per_person")?.unwrap_or(f64::NAN);
                let mut note = Vec::new();
                if population {
                    note.push(format!("{} per person", m.amount(per_person)));
                }
                if costed {
                    let e = c.num(r, "enbs")?.unwrap_or(f64::NAN);
                    note.push(format!("ENBS {}", m.amount(e)));
                }
                cells.push(noted(value(r, per_person)?, note.join("; ")));
            }
            table.row(cells);
        }
        let mut cells = vec![cell("Perfect information (EVPPI)")];
        for &evppi in &ceiling {
            cells.push(if population {
                // The figure's ceiling: the EVPPI of everyone the decision concerns.
                noted(
                    m.amount(evppi * factor),
                    format!("{} per person", m.amount(evppi)),
                )
            } else {
                cell(m.amount(evppi))
            });
        }
        table.row(cells);
    }
    let mut figures = Vec::new();
    for p in &model.perspectives {
        if let Some(f) = figure(dir, &format!("evsi_{id}_{}", p.name))? {
            figures.push(Captioned {
                figure: f,
                caption: format!(
                    "Expected value of sample information of a study measuring “{target}” by study size, {} perspective: one line per threshold, the EVPPI as the dashed ceiling",
                    p.name
                ),
            });
        }
    }
    Ok(EvsiSection {
        target,
        study: study(json, m),
        table,
        figures,
    })
}

/// The study's costs and delay as the EVSI directory records them, in words.
fn study(json: &serde_json::Value, m: &Money) -> String {
    let cost_fixed = json["cost_fixed"].as_f64().unwrap_or(0.0);
    let cost_per = json["cost_per_patient"].as_f64().unwrap_or(0.0);
    let mut study = Vec::new();
    if cost_fixed > 0.0 || cost_per > 0.0 {
        study.push(format!(
            "the study costs {} plus {} per person measured",
            m.amount(cost_fixed),
            m.amount(cost_per)
        ));
    }
    if let Some(y) = json["duration_years"].as_u64().filter(|y| *y > 0) {
        study.push(format!(
            "it reports after {y} years, and the people treated meanwhile do not benefit"
        ));
    }
    study.join("; ")
}

/// One `trdsim threshold` directory.
pub fn threshold(dir: &ResultDir, model: &Model, n: &Names) -> Result<ThresholdSection, ReadError> {
    let m = &n.money;
    let id = dir.json["parameter"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let label = n.parameter(&id);
    // A cost's values are money, as in the one-way analysis.
    let cost = model
        .params
        .iter()
        .position(|p| p.name == id)
        .is_some_and(|i| model.is_cost_param(i));
    let value = |x: f64| if cost { m.amount(x) } else { number(x, 3) };
    let missing = |name: &str| ReadError::Manifest {
        file: dir.file("run.json"),
        what: format!("a threshold result directory without {name}"),
    };
    let csv = dir
        .table("threshold.csv", None)?
        .ok_or_else(|| missing("threshold.csv"))?;
    let grid = dir
        .table("threshold_nmb.csv", None)?
        .ok_or_else(|| missing("threshold_nmb.csv"))?;
    let c = Columns::new(
        &csv,
        &[
            "perspective",
            "wtp",
            "base",
            "low",
            "high",
            "below",
            "above",
            "threshold",
            "se",
        ],
    )?;
    let g = Columns::new(&grid, &["perspective", "wtp", "strategy", "best"])?;
    let range = match dir.json["range"].as_array().map(Vec::as_slice) {
        Some([lo, hi]) => format!(
            "{} to {}",
            plain(lo.as_f64().unwrap_or(f64::NAN), 4),
            plain(hi.as_f64().unwrap_or(f64::NAN), 4)
        ),
        _ => String::new(),
    };
    let base = match csv.rows.is_empty() {
        true => String::new(),
        false => c.num(0, "base")?.map_or(String::new(), |v| {
            let v = if cost { m.amount(v) } else { plain(v, 4) };
            format!("; base case {v}")
        }),
    };
    let mut table = Table::new(
        format!(
            "Threshold analysis of {label} over {range}{base}: the value at which the preferred strategy changes, with its Monte Carlo standard error"
        ),
        &csv.file,
        &[
            ("Willingness to pay", false),
            ("Threshold", true),
            ("Preferred below", false),
            ("Preferred above", false),
        ],
    );
    let mut summary = Vec::new();
    for (perspective_name, rows) in g.groups("perspective") {
        table.group(perspective(&perspective_name));
        // The sentence of the key results: the thresholds at each willingness to pay.
        let mut at: Vec<String> = Vec::new();
        let mut sides: Vec<(String, String)> = Vec::new();
        for w in distinct(&g, "wtp") {
            let crossings: Vec<usize> = (0..csv.rows.len())
                .filter(|&r| c.text(r, "perspective") == perspective_name && c.text(r, "wtp") == w)
                .collect();
            if crossings.is_empty() {
                // No change over the range: the strategy best everywhere on the grid.
                let best = rows
                    .iter()
                    .find(|&&r| g.text(r, "wtp") == w && g.text(r, "best") == "true")
                    .map_or_else(String::new, |&r| n.strategy(g.text(r, "strategy")));
                table.row(vec![
                    cell(wtp_text(m, &w)),
                    noted("none", "no change over the range"),
                    cell(best.clone()),
                    cell(best),
                ]);
            }
            for r in crossings {
                let x = c.num(r, "threshold")?.unwrap_or(f64::NAN);
                let se = c.num(r, "se")?.unwrap_or(f64::NAN);
                at.push(format!("{} at {}", value(x), wtp_text(m, &w)));
                let side = (
                    n.strategy(c.text(r, "below")),
                    n.strategy(c.text(r, "above")),
                );
                if !sides.contains(&side) {
                    sides.push(side);
                }
                table.row(vec![
                    cell(wtp_text(m, &w)),
                    noted(value(x), format!("SE {}", number(se, 2))),
                    cell(n.strategy(c.text(r, "below"))),
                    cell(n.strategy(c.text(r, "above"))),
                ]);
            }
        }
        let whose = format!("{} perspective{base}", perspective_name);
        summary.push(sentence(&label, &range, &whose, &sides, &at));
    }
    Ok(ThresholdSection {
        figures: threshold_figures(dir, model, m, (&id, &label), &distinct(&g, "wtp"))?,
        parameter: label,
        summary,
        table,
    })
}

/// A threshold analysis's figures: per perspective and willingness to pay, of parameter
/// `id` with its label.
fn threshold_figures(
    dir: &ResultDir,
    model: &Model,
    m: &Money,
    (id, label): (&str, &str),
    wtps: &[String],
) -> Result<Vec<Captioned>, ReadError> {
    let mut figures = Vec::new();
    for p in &model.perspectives {
        for w in wtps {
            let stem = format!("threshold_{id}_{}_{w}", p.name);
            if let Some(f) = figure(dir, &stem)? {
                figures.push(Captioned {
                    figure: f,
                    caption: format!(
                        "Net monetary benefit of each strategy against “{label}” at {}, {} perspective; a vertical line marks each threshold",
                        wtp_text(m, w),
                        p.name
                    ),
                });
            }
        }
    }
    Ok(figures)
}

/// Where the decision changes in one sentence, for the key results: the thresholds `at`
/// each willingness to pay and the strategies preferred on either side (`sides`, below and
/// above; none when the preferred strategy does not change over the range).
fn sentence(
    label: &str,
    range: &str,
    whose: &str,
    sides: &[(String, String)],
    at: &[String],
) -> String {
    match sides {
        [] => format!("{label} does not change the decision over {range} ({whose})."),
        [(below, above)] => format!(
            "{label}: {below} is preferred below {}, {above} above ({whose}).",
            super::format::words(at)
        ),
        _ => format!(
            "{label} changes the preferred strategy at {} ({whose}; see the threshold analyses).",
            super::format::words(at)
        ),
    }
}
