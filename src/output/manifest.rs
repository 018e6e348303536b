//! The run manifest, `run.json`: what was run, on which inputs (with their SHA-256), and
//! the labels and settings that let `trdsim plot` redraw every figure from the directory;
//! and adding a file (the report) to a finished result directory with its SHA-256.

use std::fs;
use std::path::Path;

use crate::model::Model;

use super::{OutputError, sha256_hex, write_file};

/// What `run.json` records besides the results.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub scenario_path: String,
    pub scenario_sha256: String,
    pub command: Vec<String>,
    pub seed: u64,
    pub n_individuals: usize,
    pub threads: usize,
    pub method: &'static str,
    /// Individuals whose paths were recorded (`--trajectories`).
    pub trajectories: usize,
    pub timings_s: Vec<(&'static str, f64)>,
}

/// The parts of `run.json` that describe the run (the file list is added on writing).
pub fn run_json(model: &Model, info: &RunInfo) -> serde_json::Value {
    use serde_json::json;
    let assumptions: Vec<serde_json::Value> = model
        .assumptions()
        .iter()
        .map(|p| {
            json!({
                "parameter": p.name,
                "source": p.source.clone().unwrap_or_else(|| "(none given)".into()),
            })
        })
        .collect();
    let timings: serde_json::Map<String, serde_json::Value> = info
        .timings_s
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "tool": "trdsim",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": model.name,
            "title": model.meta.title,
            "path": info.scenario_path,
            "sha256": info.scenario_sha256,
        },
        "command": info.command,
        "method": info.method,
        "seed": info.seed,
        "individuals": info.n_individuals,
        "threads": info.threads,
        "trajectories": info.trajectories,
        "cycles": model.settings.n_cycles,
        "cycle": format!("{} {}", model.settings.cycle_length, model.settings.cycle_unit.as_str()),
        "within_cycle": model.settings.within_cycle.as_str(),
        "discount": {
            "costs": model.settings.discount_rate_costs_annual,
            "effects": model.settings.discount_rate_effects_annual,
            "timing": model.settings.discount_timing.as_str(),
            "compounding": model.settings.discount_compounding.as_str(),
        },
        "transition_timing": model.settings.transition_timing.as_str(),
        "timings_s": timings,
        "warnings": model.warnings,
        "inputs": model
            .inputs
            .iter()
            .map(|f| json!({
                "path": f.display().to_string(),
                "sha256": fs::read(f).map(|b| sha256_hex(&b)).unwrap_or_default(),
            }))
            .collect::<Vec<_>>(),
        "assumptions": assumptions,
        "figures": figure_info(model),
    })
}

/// Labels and settings the figures need, recorded in `run.json` under `"figures"` so that
/// `trdsim plot` can redraw every figure from the result directory alone.
pub fn figure_info(model: &Model) -> serde_json::Value {
    use serde_json::json;
    let a = crate::analysis::psa::analysis_settings(model);
    json!({
        "title": model.meta.title,
        "currency": model.meta.currency,
        "cycle_length": model.settings.cycle_length,
        "cycle_unit": model.settings.cycle_unit.as_str(),
        "states": model.states.iter().map(|s| json!({"id": s.name, "label": s.label})).collect::<Vec<_>>(),
        "strategies": model.strategies.iter().map(|s| json!({"id": s.name, "label": s.label})).collect::<Vec<_>>(),
        "parameters": param_labels(model).into_iter().map(|(id, label)| json!({"id": id, "label": label})).collect::<Vec<_>>(),
        "reference": a.reference,
        "thresholds": a.thresholds,
        "wtp_max": a.wtp_max,
        "wtp_steps": a.wtp_steps,
        "population_per_year": a.population_per_year,
        "population_years": a.population_years,
        "population_discount": a.population_discount,
    })
}

/// Every parameter's id and the label readers see (`Model::param_label`), in the model's
/// order: recorded in `run.json` for the figures and the workbook, which are written again
/// from the directory's files alone.
pub fn param_labels(model: &Model) -> Vec<(String, String)> {
    (0..model.params.len())
        .map(|i| (model.params[i].name.clone(), model.param_label(i)))
        .collect()
}

/// Add a file to a finished result directory and record its SHA-256 in `run.json`.
///
/// Both are written into a temporary copy of the directory and moved into place together
/// (`update_files`), before a signal can interrupt, so neither is ever half-written and an
/// interrupted command leaves the directory as it was.
pub fn add_file(dir: &Path, name: &str, text: &str) -> Result<(), OutputError> {
    let mut json = super::read_run_json(dir)?;
    let Some(files) = json["files"].as_object_mut() else {
        return Err(OutputError(format!(
            "{}: no `files` object to record `{name}` in",
            dir.join("run.json").display()
        )));
    };
    files.insert(
        name.to_string(),
        serde_json::Value::String(sha256_hex(text.as_bytes())),
    );
    let manifest = serde_json::to_string_pretty(&json)
        .map_err(|e| OutputError(format!("cannot encode run.json: {e}")))?;
    super::update_files(dir, |tmp| {
        write_file(&tmp.join(name), text)?;
        write_file(&tmp.join("run.json"), &(manifest + "\n"))
    })
}
