//! `trdsim evsi`: the expected value of sample information of a study, from a PSA result
//! directory (read only), written to its own directory.

use std::path::PathBuf;

use crate::analysis::read::analysis_from_info;
use crate::analysis::voi::evsi::EvsiPlan;
use crate::analysis::{AnalysisError, voi};
use crate::output;

use super::args::EvsiArgs;
use super::{EXIT_FAILURE, EXIT_OK, fail, fail_with, out};

/// Study sizes when none are given: around the RESET-TRD arms (73-86 people) and beyond.
const DEFAULT_SIZES: [u64; 11] = [0, 10, 25, 50, 80, 100, 150, 200, 300, 500, 1000];

pub fn evsi(args: &EvsiArgs) -> i32 {
    let dir = &args.dir;
    let super::voi::RunModel {
        model,
        info,
        scenario,
    } = match super::voi::run_model(dir) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let scenario = scenario.as_path();
    let costs = (args.cost_fixed, args.cost_per_patient);
    if !(costs.0.is_finite() && costs.0 >= 0.0 && costs.1.is_finite() && costs.1 >= 0.0) {
        let e = AnalysisError::Invalid(
            "--cost-fixed, --cost-per-patient: expected non-negative numbers".into(),
        );
        return fail(None, &e);
    }
    let plan = EvsiPlan {
        target: args.target.clone(),
        sizes: if args.sizes.is_empty() {
            DEFAULT_SIZES.to_vec()
        } else {
            args.sizes.clone()
        },
        cost_fixed: costs.0,
        cost_per_patient: costs.1,
        mark: args.mark.clone(),
        duration: args.duration,
    };
    let settings = analysis_from_info(&info["figures"]);
    let result = match voi::evsi::analyse(dir, &settings, &model, &plan) {
        Ok(r) => r,
        Err(e) => return fail(Some(scenario), &e),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{name}-evsi-{}", args.target)));
    let _claim = match super::claim(&target, args.force) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let psa_sha = info["files"]["psa.csv"].as_str().unwrap_or_default();
    let run = (dir.as_path(), psa_sha);
    if let Err(e) = output::write_evsi(&target, args.force, &model, run, &plan, &result) {
        return fail_with(EXIT_FAILURE, e);
    }
    out(&output::evsi_summary(&plan, &result));
    out(&format!("EVSI written to {}\n", target.display()));
    EXIT_OK
}
