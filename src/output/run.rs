//! A run's result directory: the base case, trajectories, the PSA's per-draw files and
//! their analysis, and `run.json`, written atomically.

use std::path::Path;

use crate::analysis::Silent;
use crate::analysis::psa::PsaFindings;
use crate::analysis::run::RunResult;
use crate::analysis::voi::VoiRequest;
use crate::model::Model;

use super::{
    OutputError, RunInfo, draws_csv, findings_json, psa_csv, render, run_json, trajectories_csv,
    write_atomically, write_base_case, write_file,
};

/// Write a run into `dir`; returns the PSA findings when the run had a PSA.
pub fn write_run(
    dir: &Path,
    force: bool,
    model: &Model,
    info: &RunInfo,
    result: &RunResult,
) -> Result<Option<PsaFindings>, OutputError> {
    write_run_with_voi(dir, force, model, info, result, None)
}

/// Write a run into `dir`, with the EVPPI of `voi` computed from its PSA files when asked
/// (`run --voi`); returns the PSA findings when the run had a PSA.
pub fn write_run_with_voi(
    dir: &Path,
    force: bool,
    model: &Model,
    info: &RunInfo,
    result: &RunResult,
    voi: Option<&VoiRequest>,
) -> Result<Option<PsaFindings>, OutputError> {
    let json = run_json(model, info);
    let figures = json["figures"].clone();
    let sim = &result.sim;
    let mut findings = None;
    write_atomically(dir, force, json, |tmp| {
        write_base_case(tmp, model, sim)?;
        if info.trajectories > 0 {
            write_file(&tmp.join("trajectories.csv"), &trajectories_csv(model, sim))?;
        }
        let mut extra = serde_json::Map::new();
        if let Some((plan, d)) = &result.draws {
            write_file(&tmp.join("draws.csv"), &draws_csv(model, d))?;
            write_file(&tmp.join("psa.csv"), &psa_csv(model, d))?;
            extra.insert(
                "psa".into(),
                serde_json::json!({
                    "draws_total": plan.total,
                    "draw_range": [plan.first, plan.last],
                    "individuals_per_draw": plan.individuals,
                }),
            );
        }
        if let (Some(req), Some(_)) = (voi, &result.draws) {
            // render() below draws the EVPPI figures from evppi.csv and evpi.csv.
            let settings = crate::analysis::read::analysis_from_info(&figures);
            let v = crate::analysis::voi::analyse(tmp, &settings, model, req, &Silent)?;
            super::write_file(&tmp.join("evppi.csv"), &super::evppi_csv(&v))?;
            extra.insert("voi".into(), super::voi_json(&v, req));
        }
        let f = render(tmp, &figures)?;
        if let Some(f) = &f {
            extra.insert("psa_results".into(), findings_json(f));
        }
        findings = f;
        Ok(extra)
    })?;
    Ok(findings)
}
