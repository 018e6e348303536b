//! Checking a recorded run: the command that reruns it (after checking that the scenario
//! and every input it read are unchanged), and the comparison of two result directories.

use std::path::Path;

use super::AnalysisError;
use super::read::{read_run_json, sha256_hex};

/// How to rerun a recorded run: the arguments of `trdsim` except `--out`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rerun {
    pub scenario: String,
    pub args: Vec<String>,
}

/// Read a result directory's `run.json` and check that its scenario and inputs are
/// unchanged; returns the arguments that rerun it.
pub fn rerun(dir: &Path) -> Result<Rerun, AnalysisError> {
    let json = read_run_json(dir)?;
    let Some(scenario) = json["scenario"]["path"].as_str() else {
        return Err(AnalysisError::Invalid(format!(
            "{}: no scenario path in run.json",
            dir.display()
        )));
    };
    let bytes = std::fs::read(scenario).map_err(|e| {
        AnalysisError::Invalid(format!(
            "cannot read the recorded scenario `{scenario}`: {e} (run verify from the directory the run was made in)"
        ))
    })?;
    let recorded = json["scenario"]["sha256"].as_str().unwrap_or_default();
    if sha256_hex(&bytes) != recorded {
        return Err(AnalysisError::Failed(format!(
            "`{scenario}` has changed since the run (SHA-256 {} now, {recorded} recorded); the run cannot be reproduced from it",
            sha256_hex(&bytes)
        )));
    }
    // The base of a scenario analysis and every table must be unchanged too.
    for input in json["inputs"].as_array().into_iter().flatten() {
        let path = input["path"].as_str().unwrap_or_default();
        let want = input["sha256"].as_str().unwrap_or_default();
        let now = std::fs::read(path)
            .map(|b| sha256_hex(&b))
            .unwrap_or_default();
        if now != want {
            return Err(AnalysisError::Failed(format!(
                "`{path}`, read by the scenario, has changed since the run (SHA-256 {now} now, {want} recorded)"
            )));
        }
    }
    Ok(Rerun {
        scenario: scenario.to_string(),
        args: rerun_args(scenario, &json),
    })
}

/// The `trdsim run` arguments that reproduce what `run.json` records.
fn rerun_args(scenario: &str, json: &serde_json::Value) -> Vec<String> {
    let mut args: Vec<String> = vec!["run".into(), scenario.into(), "--quiet".into()];
    let seed = json["seed"].as_u64().unwrap_or(0);
    args.extend(["--seed".into(), seed.to_string()]);
    if json["method"] == "cohort" {
        args.push("--cohort".into());
    } else if let Some(n) = json["individuals"].as_u64() {
        args.extend(["--individuals".into(), n.to_string()]);
    }
    if let Some(n) = json["trajectories"].as_u64().filter(|n| *n > 0) {
        args.extend(["--trajectories".into(), n.to_string()]);
    }
    if let (Some(total), Some(range), Some(per)) = (
        json["psa"]["draws_total"].as_u64(),
        json["psa"]["draw_range"].as_array(),
        json["psa"]["individuals_per_draw"].as_u64(),
    ) {
        let a = range.first().and_then(|x| x.as_u64()).unwrap_or(1);
        let b = range.get(1).and_then(|x| x.as_u64()).unwrap_or(total);
        args.extend([
            "--draws".into(),
            total.to_string(),
            "--draw-range".into(),
            format!("{a}..{b}"),
            "--draw-individuals".into(),
            per.to_string(),
        ]);
    }
    // The EVPPI added by `run --voi` or `trdsim voi`, with the options that reproduce it.
    if let Some(voi) = json["voi"]["arguments"].as_array() {
        args.push("--voi".into());
        args.extend(voi.iter().filter_map(|a| a.as_str().map(str::to_string)));
    }
    args
}

/// Every difference between a recorded result directory and a rerun, one line per file:
/// for CSV files the first differing row and column.
pub fn compare_dirs(recorded: &Path, rerun: &Path) -> Vec<String> {
    let names = |d: &Path| -> std::collections::BTreeSet<String> {
        std::fs::read_dir(d)
            .map(|it| {
                it.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    // run.json records times; report.html is a document derived from the rest.
                    .filter(|n| n != "run.json" && n != "report.html")
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (names(recorded), names(rerun));
    let mut diffs = Vec::new();
    for n in a.difference(&b) {
        diffs.push(format!(
            "{n}: in the recorded run but not produced by the rerun"
        ));
    }
    for n in b.difference(&a) {
        diffs.push(format!(
            "{n}: produced by the rerun but missing from the recorded run"
        ));
    }
    for n in a.intersection(&b) {
        let (x, y) = (
            std::fs::read(recorded.join(n)),
            std::fs::read(rerun.join(n)),
        );
        let (Ok(x), Ok(y)) = (x, y) else {
            diffs.push(format!("{n}: cannot be read"));
            continue;
        };
        if x == y {
            continue;
        }
        if n.ends_with(".csv") {
            let (tx, ty) = (String::from_utf8_lossy(&x), String::from_utf8_lossy(&y));
            let (lx, ly): (Vec<&str>, Vec<&str>) = (tx.lines().collect(), ty.lines().collect());
            let header: Vec<String> = lx
                .first()
                .map(|h| crate::model::table::split_csv_line(h))
                .unwrap_or_default();
            let row = (0..lx.len().max(ly.len()))
                .find(|i| lx.get(*i) != ly.get(*i))
                .unwrap_or(0);
            let fx = lx
                .get(row)
                .map(|l| crate::model::table::split_csv_line(l))
                .unwrap_or_default();
            let fy = ly
                .get(row)
                .map(|l| crate::model::table::split_csv_line(l))
                .unwrap_or_default();
            let col = (0..fx.len().max(fy.len()))
                .find(|i| fx.get(*i) != fy.get(*i))
                .unwrap_or(0);
            let name = header
                .get(col)
                .cloned()
                .unwrap_or_else(|| format!("{}", col + 1));
            diffs.push(format!(
                "{n}: row {}, column `{name}`: recorded `{}`, rerun `{}`",
                row + 1,
                fx.get(col).map(String::as_str).unwrap_or("(none)"),
                fy.get(col).map(String::as_str).unwrap_or("(none)")
            ));
        } else {
            diffs.push(format!(
                "{n}: differs (SHA-256 recorded {}, rerun {})",
                sha256_hex(&x),
                sha256_hex(&y)
            ));
        }
    }
    diffs
}
