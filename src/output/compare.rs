//! A scenario comparison's files: `compare_inputs.csv` (what differs from the first
//! scenario) and `compare_results.csv` (each scenario's incremental analysis).

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::compare::Comparison;

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
        Ok(serde_json::Map::new())
    })
}
