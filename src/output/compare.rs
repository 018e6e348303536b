//! A scenario comparison's files: `compare_inputs.csv` (what differs from the first
//! scenario), `compare_results.csv` (each scenario's incremental analysis), and
//! `compare_inmb.csv` with its forest plots (incremental net benefit per scenario), and
//! `compare.xlsx` with a sheet per table.

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::compare::Comparison;
use crate::plot;

use super::{OutputError, field, opt, write_atomically, write_file};

/// `compare_inputs.csv`.
pub fn compare_inputs_csv(names: &[String], c: &Comparison) -> String {
    let mut changes = String::from("scenario,item,in_first,in_this\n");
    for ch in &c.changes {
        let _ = writeln!(
            changes,
            "{},{},{},{}",
            field(&names[ch.scenario]),
            field(&ch.item),
            field(ch.in_first.as_deref().unwrap_or("(absent)")),
            ch.in_this.as_deref().map_or("(absent)".to_string(), field)
        );
    }
    changes
}

/// `compare_results.csv`.
pub fn compare_results_csv(names: &[String], c: &Comparison, with_psa: bool) -> String {
    let mut results =
        String::from("scenario,perspective,strategy,cost,qalys,inc_cost,inc_qalys,icer,status");
    if with_psa {
        for w in &c.thresholds {
            let _ = write!(results, ",prob_cost_effective_{w}");
        }
    }
    results.push('\n');
    for r in &c.rows {
        let row = &r.icer;
        let _ = write!(
            results,
            "{},{},{},{},{},{},{},{},{}",
            field(&names[r.scenario]),
            r.perspective,
            r.strategy,
            row.cost,
            row.effect,
            opt(row.inc_cost),
            opt(row.inc_effect),
            opt(row.icer),
            row.status.as_str()
        );
        for p in r.prob_cost_effective.iter().flatten() {
            let _ = write!(results, ",{p}");
        }
        results.push('\n');
    }
    results
}

/// `compare_inmb.csv`: the incremental net monetary benefit of every strategy against its
/// scenario's reference at each threshold, with the 95% interval of the PSA when there is
/// one (empty otherwise); what the forest plots show.
pub fn compare_inmb_csv(names: &[String], c: &Comparison) -> String {
    let mut s =
        String::from("scenario,perspective,strategy,reference,wtp,inmb,inmb_low,inmb_high\n");
    for r in &c.rows {
        let info = &c.scenarios[r.scenario];
        let reference = &info.strategies[info.reference].0;
        if &r.strategy == reference {
            continue;
        }
        for (w, e) in c.thresholds.iter().zip(&r.inmb) {
            let (low, high) = e.interval.map_or((None, None), |(l, h)| (Some(l), Some(h)));
            let _ = writeln!(
                s,
                "{},{},{},{reference},{w},{},{},{}",
                field(&names[r.scenario]),
                r.perspective,
                r.strategy,
                e.value,
                opt(low),
                opt(high)
            );
        }
    }
    s
}

/// One forest plot per perspective and threshold (`forest_<perspective>_<wtp>`): each
/// scenario's incremental net monetary benefit against its reference, with its 95%
/// interval from the PSA.
fn forest_figures(dir: &Path, c: &Comparison) -> Result<(), OutputError> {
    let Some(first) = c.scenarios.first() else {
        return Ok(());
    };
    let mut perspectives: Vec<&str> = Vec::new();
    for r in &c.rows {
        if !perspectives.contains(&r.perspective.as_str()) {
            perspectives.push(&r.perspective);
        }
    }
    let several = c
        .scenarios
        .iter()
        .any(|s| s.strategies.len() > 2 || s.strategies != first.strategies);
    for persp in perspectives {
        for (k, w) in c.thresholds.iter().enumerate() {
            let mut rows = Vec::new();
            for r in c.rows.iter().filter(|r| r.perspective == persp) {
                let info = &c.scenarios[r.scenario];
                let Some(position) = info.strategies.iter().position(|s| s.0 == r.strategy) else {
                    continue;
                };
                if position == info.reference {
                    continue;
                }
                let (name, reference) = (
                    &info.strategies[position].1,
                    &info.strategies[info.reference].1,
                );
                let label = if several {
                    format!("{}: {name}", info.title)
                } else {
                    info.title.clone()
                };
                rows.push((label, format!("{name} vs {reference}"), position, r.inmb[k]));
            }
            let forest_rows: Vec<plot::ForestRow> = rows
                .iter()
                .map(|(label, comparison, position, e)| plot::ForestRow {
                    label,
                    comparison,
                    strategy: *position,
                    estimate: e.value,
                    interval: e.interval,
                })
                .collect();
            let unit = super::figures::currency_unit(&first.currency);
            let wtp = super::figures::money(*w, &first.currency);
            plot::forest(
                &dir.join(format!("forest_{persp}_{w}")),
                &format!("Scenario analyses at {wtp}/QALY, {persp} perspective"),
                &format!("Incremental net monetary benefit{unit}"),
                &first.currency,
                &forest_rows,
            )
            .map_err(|e| OutputError(e.to_string()))?;
        }
    }
    Ok(())
}

/// Write a comparison's result directory.
pub fn write_comparison(
    dir: &Path,
    force: bool,
    names: &[String],
    c: &Comparison,
    draws: Option<usize>,
) -> Result<(), OutputError> {
    let json = serde_json::json!({
        "tool": "trdsim",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "analysis": "scenario comparison",
        "scenarios": names,
        "titles": c.titles,
        "command": std::env::args().collect::<Vec<_>>(),
        "draws": draws,
    });
    let changes = compare_inputs_csv(names, c);
    let results = compare_results_csv(names, c, draws.is_some());
    write_atomically(dir, force, json, |tmp| {
        write_file(&tmp.join("compare_inputs.csv"), &changes)?;
        write_file(&tmp.join("compare_results.csv"), &results)?;
        write_file(&tmp.join("compare_inmb.csv"), &compare_inmb_csv(names, c))?;
        forest_figures(tmp, c)?;
        // The same tables for Excel, one sheet each (no parameter column to label).
        let currency = c.scenarios.first().map_or("", |s| s.currency.as_str());
        super::export::write_workbook_named(
            &tmp.join(super::export::COMPARE_WORKBOOK),
            &[tmp],
            currency,
            &[],
        )?;
        Ok(serde_json::Map::new())
    })
}
