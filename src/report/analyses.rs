//! The tables of the one-way sensitivity analysis and of the scenario comparison.
//!
//! The one-way table has four columns so that it fits the page: each parameter's low and
//! high value with where they come from, and the incremental net benefit at each, with
//! the incremental cost and QALYs beneath it; the widest range first, as in the tornado. The scenario table gives each scenario by
//! its title, with the increments against the comparator.

use serde_json::Value;

use super::format::{number, percent, qalys};
use super::tables::{Columns, Names, Table, cell, noted, perspective};
use crate::analysis::read::ReadError;
use crate::analysis::table::Table as Csv;

/// Where a low or high value came from, in words.
fn basis(text: &str) -> String {
    match text {
        "2.5%/97.5%" => "2.5th and 97.5th percentiles".into(),
        "low/high" => "bounds given in the scenario".into(),
        other => other.to_string(),
    }
}

/// `dsa.csv`: one table per perspective, threshold and strategy.
pub fn dsa(csv: &Csv, n: &Names) -> Result<Vec<Table>, ReadError> {
    let c = Columns::new(
        csv,
        &[
            "perspective",
            "wtp",
            "parameter",
            "low",
            "high",
            "strategy",
            "inmb_at_low",
            "inmb_at_high",
        ],
    )?;
    let m = &n.money;
    let mut order: Vec<(f64, usize)> = Vec::new();
    for r in 0..csv.rows.len() {
        let width = match (c.num(r, "inmb_at_low")?, c.num(r, "inmb_at_high")?) {
            (Some(lo), Some(hi)) => (hi - lo).abs(),
            _ => 0.0,
        };
        order.push((width, r));
    }
    // Widest first, as in the tornado diagram; ties in file order.
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut tables: Vec<(String, Table)> = Vec::new();
    for r in order.into_iter().map(|(_, r)| r) {
        let key = format!(
            "{}\u{1}{}\u{1}{}",
            c.text(r, "perspective"),
            c.text(r, "wtp"),
            c.text(r, "strategy")
        );
        if !tables.iter().any(|(k, _)| *k == key) {
            let wtp = c.num(r, "wtp")?.map_or(String::new(), |w| m.per_qaly(w));
            let base = c
                .num(r, "base_inmb")?
                .map_or(String::new(), |b| format!("; base case {}", m.amount(b)));
            let against = match c.text(r, "reference") {
                "" => n.comparator_label.clone(),
                id => n.strategy(id),
            };
            let caption = format!(
                "{} against {against}, {} at {wtp}: incremental net monetary benefit with each parameter at its low and high value{base}",
                n.strategy(c.text(r, "strategy")),
                perspective(c.text(r, "perspective")).to_lowercase(),
            );
            tables.push((
                key.clone(),
                Table::new(
                    caption,
                    &csv.file,
                    &[
                        ("Parameter", false),
                        ("Low and high value", true),
                        ("Net benefit at low", true),
                        ("Net benefit at high", true),
                    ],
                ),
            ));
        }
        let Some((_, t)) = tables.iter_mut().find(|(k, _)| *k == key) else {
            continue;
        };
        let at = |end: &str| -> Result<_, ReadError> {
            let inmb = c.num(r, &format!("inmb_at_{end}"))?;
            let dc = c.num(r, &format!("inc_cost_at_{end}"))?;
            let dq = c.num(r, &format!("inc_qalys_at_{end}"))?;
            let note = match (dc, dq) {
                (Some(dc), Some(dq)) => format!("Δ cost {}, Δ QALYs {}", m.amount(dc), qalys(dq)),
                _ => String::new(),
            };
            Ok(noted(inmb.map_or("—".into(), |x| m.amount(x)), note))
        };
        let value = |col: &str| -> Result<String, ReadError> {
            Ok(c.num(r, col)?.map_or("—".into(), |x| number(x, 3)))
        };
        let moves = match c.text(r, "moves_with") {
            "" => String::new(),
            w => format!("moves with {w}"),
        };
        t.row(vec![
            noted(n.parameter(c.text(r, "parameter")), moves),
            noted(
                format!("{} to {}", value("low")?, value("high")?),
                basis(c.text(r, "basis")),
            ),
            at("low")?,
            at("high")?,
        ]);
    }
    Ok(tables.into_iter().map(|(_, t)| t).collect())
}

/// Scenario titles by path, from the comparison's `run.json` (`titles` beside
/// `scenarios`); a path without a recorded title is shown as it is.
fn titles(json: &Value) -> Vec<(String, String)> {
    let paths = json["scenarios"].as_array().cloned().unwrap_or_default();
    let titles = json["titles"].as_array().cloned().unwrap_or_default();
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let path = p.as_str().unwrap_or_default().to_string();
            let title = titles
                .get(i)
                .and_then(Value::as_str)
                .map_or_else(|| path.clone(), str::to_string);
            (path, title)
        })
        .collect()
}

/// `compare_results.csv`: one table per perspective, each scenario under its title, with
/// costs, QALYs and the increments and ICER against the comparator, and the probability
/// cost-effective when the comparison ran a PSA.
pub fn compare_results(csv: &Csv, json: &Value, n: &Names) -> Result<Vec<Table>, ReadError> {
    let c = Columns::new(
        csv,
        &["scenario", "perspective", "strategy", "cost", "qalys"],
    )?;
    let titles = titles(json);
    let title = |path: &str| {
        titles
            .iter()
            .find(|(p, _)| p == path)
            .map_or_else(|| path.to_string(), |(_, t)| t.clone())
    };
    let thresholds: Vec<(String, f64)> = csv
        .header
        .iter()
        .filter_map(|h| {
            let w = h.strip_prefix("prob_cost_effective_")?.parse().ok()?;
            Some((h.clone(), w))
        })
        .collect();
    let m = &n.money;
    let prob_header = if thresholds.is_empty() {
        None
    } else {
        let ws: Vec<String> = thresholds.iter().map(|(_, w)| m.amount(*w)).collect();
        Some(format!(
            "Probability cost-effective at {} per QALY",
            ws.join(" / ")
        ))
    };
    let vs = &n.comparator_label;
    let mut out = Vec::new();
    for (persp, rows) in c.groups("perspective") {
        let d_cost = format!("Incremental cost against {vs}");
        let d_qalys = format!("Incremental QALYs against {vs}");
        let icer = format!("ICER against {vs}");
        let mut columns = vec![
            ("Strategy", false),
            ("Cost", true),
            ("QALYs", true),
            (d_cost.as_str(), true),
            (d_qalys.as_str(), true),
            (icer.as_str(), true),
        ];
        if let Some(h) = &prob_header {
            columns.push((h.as_str(), true));
        }
        let mut t = Table::new(
            format!(
                "Results per scenario, {} (discounted, per person)",
                perspective(&persp).to_lowercase()
            ),
            &csv.file,
            &columns,
        );
        let mut scenario = None;
        for &r in &rows {
            let path = c.text(r, "scenario");
            if scenario != Some(path) {
                scenario = Some(path);
                t.group(title(path));
            }
            // The comparator's row of the same scenario and perspective.
            let base = rows
                .iter()
                .copied()
                .find(|&b| c.text(b, "scenario") == path && c.text(b, "strategy") == n.comparator);
            let (cost, q) = (c.num(r, "cost")?, c.num(r, "qalys")?);
            let mut cells = vec![
                cell(n.strategy(c.text(r, "strategy"))),
                cell(cost.map_or("—".into(), |x| m.amount(x))),
                cell(q.map_or("—".into(), qalys)),
            ];
            let increments = match base {
                Some(b) if c.text(r, "strategy") != n.comparator => {
                    match (cost, q, c.num(b, "cost")?, c.num(b, "qalys")?) {
                        (Some(x), Some(y), Some(bx), Some(by)) => Some((x - bx, y - by)),
                        _ => None,
                    }
                }
                _ => None,
            };
            match increments {
                Some((dc, dq)) => {
                    cells.extend([cell(m.amount(dc)), cell(qalys(dq)), cell(m.icer(dc, dq))])
                }
                None if c.text(r, "strategy") == n.comparator => {
                    cells.extend([cell("comparator"), cell(""), cell("")])
                }
                None => cells.extend([cell("—"), cell("—"), cell("—")]),
            }
            if prob_header.is_some() {
                let mut ps = Vec::new();
                for (col, _) in &thresholds {
                    ps.push(c.num(r, col)?.map_or("—".into(), percent));
                }
                cells.push(cell(ps.join(" / ")));
            }
            t.row(cells);
        }
        out.push(t);
    }
    Ok(out)
}

/// `compare_inputs.csv`: what each scenario changes, by title.
pub fn compare_inputs(csv: &Csv, json: &Value) -> Result<Table, ReadError> {
    let c = Columns::new(csv, &["scenario", "item", "in_first", "in_this"])?;
    let titles = titles(json);
    let first = titles.first().map_or(String::new(), |(_, t)| t.clone());
    let mut t = Table::new(
        format!("What each scenario changes against the first, {first}"),
        &csv.file,
        &[
            ("Input", false),
            ("In the first scenario", false),
            ("In this scenario", false),
        ],
    );
    for (path, rows) in c.groups("scenario") {
        let title = titles
            .iter()
            .find(|(p, _)| *p == path)
            .map_or(path.clone(), |(_, t)| t.clone());
        t.group(title);
        for r in rows {
            t.row(vec![
                cell(c.text(r, "item")),
                cell(c.text(r, "in_first")),
                cell(c.text(r, "in_this")),
            ]);
        }
    }
    Ok(t)
}
