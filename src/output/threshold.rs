//! The threshold analysis's files: `threshold.csv` (each change of the preferred strategy
//! with its standard error), `threshold_nmb.csv` (net benefit of every strategy on the grid)
//! and one line plot of net benefit against the parameter per perspective and willingness
//! to pay, with the thresholds drawn as vertical lines (as dampack's one-way plots).

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::threshold::{ThresholdPlan, ThresholdResult};
use crate::model::Model;
use crate::plot::{self, Series};

use super::dsa::short;
use super::figures::money;
use super::{OutputError, write_atomically, write_file};

/// `threshold.csv`: one row per change of the preferred strategy.
pub fn threshold_csv(model: &Model, plan: &ThresholdPlan, r: &ThresholdResult) -> String {
    let mut s =
        String::from("perspective,wtp,parameter,base,low,high,basis,below,above,threshold,se\n");
    let name = &model.params[plan.range.param].name;
    for c in &r.crossings {
        let _ = writeln!(
            s,
            "{},{},{name},{},{},{},{},{},{},{},{}",
            model.perspectives[c.perspective].name,
            c.wtp,
            r.base,
            plan.range.low,
            plan.range.high,
            plan.range.basis,
            model.strategies[c.below].name,
            model.strategies[c.above].name,
            c.threshold,
            c.se
        );
    }
    s
}

/// `threshold_nmb.csv`: net monetary benefit of every strategy at each grid value.
pub fn threshold_nmb_csv(model: &Model, plan: &ThresholdPlan, r: &ThresholdResult) -> String {
    let mut s = String::from("perspective,wtp,parameter,value,strategy,nmb,best\n");
    let name = &model.params[plan.range.param].name;
    let n = model.strategies.len();
    for (pi, &p) in plan.perspectives.iter().enumerate() {
        for (wi, &w) in plan.wtps.iter().enumerate() {
            let block = pi * plan.wtps.len() + wi;
            for g in &r.grid {
                let row = &g.nmb[block * n..(block + 1) * n];
                let best = (0..n).fold(0, |t, k| if row[k] > row[t] { k } else { t });
                for (k, v) in row.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "{},{w},{name},{},{},{v},{}",
                        model.perspectives[p].name,
                        g.value,
                        model.strategies[k].name,
                        k == best
                    );
                }
            }
        }
    }
    s
}

/// One figure per perspective and willingness to pay: net benefit of each strategy against
/// the parameter, each threshold a vertical line labelled with its value.
fn figures(
    dir: &Path,
    model: &Model,
    plan: &ThresholdPlan,
    r: &ThresholdResult,
) -> Result<Vec<String>, OutputError> {
    let name = &model.params[plan.range.param].name;
    let axis = super::dsa::param_axis(model, plan.range.param);
    let n = model.strategies.len();
    let mut stems = Vec::new();
    for (pi, &p) in plan.perspectives.iter().enumerate() {
        for (wi, &w) in plan.wtps.iter().enumerate() {
            let block = pi * plan.wtps.len() + wi;
            let lines: Vec<Vec<(f64, f64)>> = (0..n)
                .map(|k| {
                    r.grid
                        .iter()
                        .map(|g| (g.value, g.nmb[block * n + k]))
                        .collect()
                })
                .collect();
            let (lo, hi) = lines
                .iter()
                .flatten()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, y)| {
                    (a.min(*y), b.max(*y))
                });
            let marks: Vec<(String, Vec<(f64, f64)>)> = r
                .crossings
                .iter()
                .filter(|c| c.perspective == p && c.wtp == w)
                .map(|c| {
                    (
                        format!("threshold = {}", short(c.threshold, 4)),
                        vec![(c.threshold, lo), (c.threshold, hi)],
                    )
                })
                .collect();
            let mut series: Vec<Series<'_>> = model
                .strategies
                .iter()
                .zip(&lines)
                .map(|(s, pts)| Series {
                    label: &s.label,
                    points: pts,
                })
                .collect();
            series.extend(
                marks
                    .iter()
                    .map(|(label, pts)| Series { label, points: pts }),
            );
            let stem = format!(
                "threshold_{name}_{}_{}",
                model.perspectives[p].name, w as u64
            );
            plot::lines(
                &dir.join(&stem),
                &format!(
                    "Threshold analysis at {}/QALY, {} perspective",
                    money(w, &model.meta.currency),
                    model.perspectives[p].name
                ),
                &axis,
                &format!(
                    "Net monetary benefit per person{}",
                    super::figures::currency_unit(&model.meta.currency)
                ),
                &series,
                model.strategies.len(),
                None,
            )
            .map_err(|e| OutputError(e.to_string()))?;
            stems.push(stem);
        }
    }
    Ok(stems)
}

/// What the command prints: each threshold with its standard error, or that the preferred
/// strategy does not change within the range.
pub fn threshold_summary(model: &Model, plan: &ThresholdPlan, r: &ThresholdResult) -> String {
    let name = &model.params[plan.range.param].name;
    let mut s = format!(
        "{name}: base {}, searched {} to {} ({})\n",
        short(r.base, 4),
        short(plan.range.low, 4),
        short(plan.range.high, 4),
        plan.range.basis
    );
    let n = model.strategies.len();
    for (pi, &p) in plan.perspectives.iter().enumerate() {
        for (wi, &w) in plan.wtps.iter().enumerate() {
            let here: Vec<_> = r
                .crossings
                .iter()
                .filter(|c| c.perspective == p && c.wtp == w)
                .collect();
            let at = format!("{} at {}/QALY", model.perspectives[p].name, w);
            if here.is_empty() {
                let block = pi * plan.wtps.len() + wi;
                let row = &r.grid[0].nmb[block * n..(block + 1) * n];
                let best = (0..n).fold(0, |t, k| if row[k] > row[t] { k } else { t });
                let _ = writeln!(
                    s,
                    "  {at}: {} is preferred over the whole range",
                    model.strategies[best].name
                );
            }
            for c in here {
                let _ = writeln!(
                    s,
                    "  {at}: {} below, {} above {name} = {} (Monte Carlo SE {})",
                    model.strategies[c.below].name,
                    model.strategies[c.above].name,
                    short(c.threshold, 4),
                    short(c.se, 4)
                );
            }
        }
    }
    s
}

/// Write a threshold analysis's result directory.
pub fn write_threshold(
    dir: &Path,
    force: bool,
    model: &Model,
    scenario: &Path,
    plan: &ThresholdPlan,
    result: &ThresholdResult,
) -> Result<(), OutputError> {
    let scenario_bytes = std::fs::read(scenario).unwrap_or_default();
    let json = serde_json::json!({
        "tool": "trdsim",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "analysis": "threshold",
        "scenario": {"path": scenario.display().to_string(), "sha256": super::sha256_hex(&scenario_bytes)},
        "command": std::env::args().collect::<Vec<_>>(),
        "seed": model.settings.seed,
        "individuals": plan.individuals,
        "parameter": model.params[plan.range.param].name,
        "range": [plan.range.low, plan.range.high],
        "steps": plan.steps,
        "wtp": plan.wtps,
    });
    write_atomically(dir, force, json, |tmp| {
        write_file(
            &tmp.join("threshold.csv"),
            &threshold_csv(model, plan, result),
        )?;
        write_file(
            &tmp.join("threshold_nmb.csv"),
            &threshold_nmb_csv(model, plan, result),
        )?;
        figures(tmp, model, plan, result)?;
        super::write_workbook(
            tmp,
            &[tmp],
            &model.meta.currency,
            &super::manifest::param_labels(model),
        )?;
        Ok(serde_json::Map::new())
    })
}
